"""The main job on the bundled demo data, end to end: what ``xuanba demo`` runs.

Every step is an ordinary library call, so the demo doubles as a worked example of the API:
ingest the GBK sales log and the account side tables into a fresh workspace, write a starter
standard, run two selection rounds (half a year apart) and compare them, then write what the
latest round stored — the customer facts at the cutoff, the fitted customer-base models and
their predictions, the report, a few customer statements and the account work. Every file and
every number in the summary comes from the stored round, so none can disagree with another.

Example
-------
>>> from pathlib import Path
>>> import tempfile
>>> result = run_demo(Path(tempfile.mkdtemp()) / "demo", steps=("ingest", "facts"))  # doctest: +SKIP
>>> result.summary["customers"]  # doctest: +SKIP
3000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xuanba._files import write_text_atomic
from xuanba.workspace import Workspace

CUTOFF = "2026-06-30"
PREVIOUS_CUTOFF = "2025-12-31"


@dataclass
class DemoResult:
    """What the demo wrote (``paths``, by name) and its headline numbers (``summary``)."""

    out_dir: Path
    paths: dict[str, Path] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    latest: Any = field(default=None, repr=False)  # the latest round as stored, read once


Step = Callable[[Workspace, DemoResult, str], None]


def _latest(ws: Workspace, result: DemoResult) -> Any:
    """The demo's latest round as stored, read once for every step that writes from it (the
    rounds step runs first when it has not)."""
    from xuanba.rounds import load_round

    if "round_ids" not in result.summary:
        _rounds(ws, result, "zh")
    if result.latest is None:
        result.latest = load_round(ws, result.summary["round_ids"][-1])
    return result.latest


def _ingest(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.demo import demo_sales_path
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.ingest import ingest

    accounting = ingest(demo_sales_path(), ws).to_dict()
    result.summary["ingest"] = {k: accounting[k] for k in ("input_rows", "loaded", "merged", "rejected", "returns")}
    counts = ws.sql("SELECT customer_id, count(*) AS n FROM transactions GROUP BY 1 ORDER BY 1")
    ids = counts["customer_id"].tolist()
    span = ws.sql("SELECT min(ts)::DATE AS a, max(ts)::DATE AS b FROM transactions").iloc[0]
    side = make_side_tables(ids, seed=7, start=str(span["a"]), end=str(span["b"]),
                            orders=dict(zip(ids, counts["n"].astype(int), strict=True)))
    for kind, table in side.items():
        ingest(table, ws, kind=kind)
    result.summary["customers"] = len(ids)
    result.summary["side_tables"] = {kind: len(t) for kind, t in side.items()}


def _standard(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.standard.starter import write_starter

    result.paths["standard"] = write_starter(result.out_dir / "standard.toml", lang, overwrite=True)


def _rounds(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.outputs.exports import export_round
    from xuanba.rounds import diff_rounds, run_round

    standard = result.paths.get("standard")
    if standard is None:
        _standard(ws, result, lang)
        standard = result.paths["standard"]
    before = run_round(ws, standard, PREVIOUS_CUTOFF)
    now = run_round(ws, standard, CUTOFF)
    diff = diff_rounds(ws, before.round_id, now.round_id)
    result.summary["round"] = round_figures(now)
    result.summary["diff"] = {k: v for k, v in diff.summary.items() if isinstance(v, (int, float, str))}
    result.paths["roster"] = export_round(ws, str(now.round_id), result.out_dir / "round.xlsx",
                                          tables=("roster", "diff"), against=str(before.round_id), lang=lang)[0]
    result.summary["round_ids"] = [before.round_id, now.round_id]


def round_figures(rnd: Any) -> dict[str, Any]:
    """The headline figures of a stored round, as the summaries print them."""
    s = rnd.meta.get("summary", {})
    out = {"round_id": rnd.round_id, "cutoff": rnd.meta["cutoff"], "customers": rnd.meta["n_customers"],
           "selected": rnd.meta["n_selected"], "tier_counts": s.get("tier_counts", rnd.meta.get("tier_counts"))}
    for key in ("measure", "value_total", "value_share", "coverage", "lift"):
        if s.get(key) is not None:
            out[key] = s[key]
    if "whale" in s:
        out["whale_peak"] = s["whale"]
    return out


def _facts(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.facts import FACT_COLUMNS
    from xuanba.tables import write_table

    fields = _latest(ws, result).fields
    facts = fields[["customer_id", *[c for c in FACT_COLUMNS if c in fields.columns and c != "customer_id"]]]
    result.paths["facts"] = write_table(facts, result.out_dir / "facts.xlsx", sheet="facts", lang=lang)
    result.summary["facts_rows"] = len(facts)
    result.summary["repeat_buyers"] = int((facts["frequency"] > 0).sum())


def _models(ws: Workspace, result: DemoResult, lang: str) -> None:
    import json

    from xuanba.standard.schema import PREDICTION_COLUMNS
    from xuanba.tables import write_table

    rnd = _latest(ws, result)
    columns = [c for c in PREDICTION_COLUMNS if c in rnd.fields.columns]
    if columns:
        result.paths["predictions"] = write_table(rnd.fields[["customer_id", *columns]],
                                                  result.out_dir / "predictions.xlsx", sheet="predictions", lang=lang)
    for role, info in rnd.meta.get("models", {}).items():
        doc = rnd.tables[f"model_{role}"].info
        path = result.out_dir / f"model_{role}.json"
        write_text_atomic(path, json.dumps(doc, indent=2))
        result.paths[f"model_{role}"] = path
        result.summary[f"model_{role}"] = {
            "model": info["model"],
            **{k: round(float(info["params"][k]), 4) for k in info["param_names"]},
            "loglik": round(float(info["loglik"]), 2),
        }


def _report(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.outputs.report import write_report
    from xuanba.outputs.statements import write_statements

    rnd = _latest(ws, result)
    rid = str(rnd.round_id)
    result.paths["report"] = write_report(ws, rid, result.out_dir / f"report-{lang}.html", lang=lang)
    roster = rnd.roster
    # A few statements: the top three and the first customer just outside the selection.
    picks = roster["customer_id"].head(3).tolist()
    outside = roster.loc[~roster["selected"], "customer_id"].head(1).tolist()
    pages = write_statements(ws, rid, result.out_dir / "statements", customers=picks + outside, lang=lang)
    result.paths["statements"] = pages[0].parent
    result.summary["statements"] = len(pages)


def _accounts(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.tables import write_table

    rnd = _latest(ws, result)
    stored = rnd.tables.get("profit_by_size")
    if stored is not None:
        bands = stored.frame.assign(window_start=stored.info["window_start"], as_of=stored.info["as_of"])
        result.paths["profit_bands"] = write_table(bands, result.out_dir / "profit_by_size.xlsx",
                                                   sheet="profit_by_size_365d", lang=lang)
    whale = rnd.meta.get("summary", {}).get("whale")
    if whale:
        result.summary["whale_peak"] = {"customer_pct": round(float(whale["customer_pct"]), 1),
                                        "profit_pct": round(float(whale["profit_pct"]), 1)}


STEPS: dict[str, Step] = {
    "ingest": _ingest,
    "standard": _standard,
    "rounds": _rounds,
    "facts": _facts,
    "models": _models,
    "report": _report,
    "accounts": _accounts,
}


def run_demo(
    out_dir: str | Path = "xuanba-demo",
    *,
    lang: str = "zh",
    steps: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the demo into ``out_dir`` (a fresh workspace ``out_dir/xuanba.duckdb`` every time).

    ``steps`` picks a prefix of the pipeline (default: all of :data:`STEPS`); ``progress`` is
    called with each step's name before it runs (the CLI draws its progress bar from it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "xuanba.duckdb"
    for stale in (db, out / "xuanba.duckdb.wal"):
        stale.unlink(missing_ok=True)
    result = DemoResult(out_dir=out)
    result.paths["workspace"] = db
    chosen = list(STEPS) if steps is None else list(steps)
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        from xuanba.errors import InputError, Phrase

        raise InputError(Phrase("err_demo_steps", steps=str(unknown)), fix=Phrase("err_choose_from", names=str(list(STEPS))))
    with Workspace(db) as ws:
        for name in chosen:
            if progress is not None:
                progress(name)
            STEPS[name](ws, result, lang)
    return result

