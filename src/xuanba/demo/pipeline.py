"""The main job on the bundled demo data, end to end: what ``xuanba demo`` runs.

Every step is an ordinary library call, so the demo doubles as a worked example of the API:
ingest the GBK sales log and the account side tables into a fresh workspace, compute the
customer facts at the cutoff, fit the customer-base models, write a starter standard, run two
selection rounds (half a year apart) and compare them, then write the report, a few customer
statements and the account work.

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

from xuanba.workspace import Workspace

CUTOFF = "2026-06-30"
PREVIOUS_CUTOFF = "2025-12-31"


@dataclass
class DemoResult:
    """What the demo wrote (``paths``, by name) and its headline numbers (``summary``)."""

    out_dir: Path
    paths: dict[str, Path] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    facts: Any = field(default=None, repr=False)  # the facts at the cutoff, once computed


def _facts_at_cutoff(ws: Workspace, result: DemoResult) -> Any:
    if result.facts is None:
        from xuanba.facts import customer_facts

        result.facts = customer_facts(ws, CUTOFF, time_unit="week")
    return result.facts


Step = Callable[[Workspace, DemoResult, str], None]


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


def _facts(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.tables import write_table

    facts = _facts_at_cutoff(ws, result)
    result.paths["facts"] = write_table(facts, result.out_dir / "facts.xlsx", sheet="facts")
    result.summary["facts_rows"] = len(facts)
    result.summary["repeat_buyers"] = int((facts["frequency"] > 0).sum())


def _models(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.models.predict import predict_customers
    from xuanba.tables import write_table

    facts = _facts_at_cutoff(ws, result)
    predictions, models = predict_customers(facts, time_unit="week", return_models=True)
    result.paths["predictions"] = write_table(predictions, result.out_dir / "predictions.xlsx",
                                              sheet="predictions")
    for role, model in models.items():
        result.paths[f"model_{role}"] = model.save(result.out_dir / f"model_{role}.json")
        result.summary[f"model_{role}"] = {
            "model": type(model).__name__,
            **{k: round(float(v), 4) for k, v in model.params_.items()},
            "loglik": round(model.loglik_, 2),
        }


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
    result.summary["round"] = {"round_id": now.round_id, "customers": now.meta["n_customers"],
                               "selected": now.meta["n_selected"]}
    result.summary["diff"] = {k: v for k, v in diff.summary.items() if isinstance(v, (int, float, str))}
    result.paths["roster"] = export_round(ws, str(now.round_id), result.out_dir / "round.xlsx",
                                          tables=("roster", "diff"), against=str(before.round_id))[0]
    result.summary["round_ids"] = [before.round_id, now.round_id]


def _report(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.outputs.report import write_report
    from xuanba.outputs.statements import write_statements
    from xuanba.rounds import load_round

    rid = str(result.summary["round_ids"][-1])
    result.paths["report"] = write_report(ws, rid, result.out_dir / f"report-{lang}.html", lang=lang)
    roster = load_round(ws, rid).roster
    # A few statements: the top three and the first customer just outside the selection.
    picks = roster["customer_id"].head(3).tolist()
    outside = roster.loc[~roster["selected"], "customer_id"].head(1).tolist()
    pages = write_statements(ws, rid, result.out_dir / "statements", customers=picks + outside, lang=lang)
    result.paths["statements"] = pages[0].parent
    result.summary["statements"] = len(pages)


def _accounts(ws: Workspace, result: DemoResult, lang: str) -> None:
    from xuanba.accounts import customer_profit, size_bands, whale_curve, whale_peak
    from xuanba.accounts.stored import stored_table, stored_transactions
    from xuanba.tables import write_table

    tx = stored_transactions(ws)
    profit = customer_profit(tx, stored_table(ws, "interactions"))
    bands = size_bands(profit)
    result.paths["profit_bands"] = write_table(bands, result.out_dir / "profit_by_size.xlsx", sheet="profit_by_size")
    peak = whale_peak(whale_curve(profit))
    result.summary["whale_peak"] = {"customer_pct": round(float(peak["customer_pct"]), 1),
                                    "profit_pct": round(float(peak["profit_pct"]), 1)}


STEPS: dict[str, Step] = {
    "ingest": _ingest,
    "facts": _facts,
    "models": _models,
    "standard": _standard,
    "rounds": _rounds,
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
        from xuanba.errors import InputError

        raise InputError(f"unknown demo steps {unknown}", fix=f"Choose from {list(STEPS)}.")
    with Workspace(db) as ws:
        for name in chosen:
            if progress is not None:
                progress(name)
            STEPS[name](ws, result, lang)
    return result

