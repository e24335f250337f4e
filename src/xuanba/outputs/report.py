"""The round report: one self-contained HTML file (plotly.js inlined once, no network, CJK font
stack) with the headline figures, tiers, value × potential, the whale curve, scores, movers and
migration against the previous round, model fit when the round has it, and the standard in
plain words.

Example
-------
>>> from xuanba.outputs._synthetic import synthetic_round
>>> html = build_report(synthetic_round(200, seed=1), lang="zh")
>>> "价值 × 潜力矩阵" in html and "<script src" not in html
True
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba.errors import DataError, XuanbaError
from xuanba.outputs import charts
from xuanba.outputs.i18n import (
    _get,
    check_lang,
    currency_unit,
    money,
    num,
    pct,
    t,
)
from xuanba.standard.describe import describe

#: Most points the value × potential scatter draws (stratified sample above that).
MAX_SCATTER_POINTS = 20_000
#: Biggest movers shown each way (up and down).
TOP_MOVERS = 10


# -- loading ---------------------------------------------------------------------------------
def resolve_round(ws: Any, round_id: Any) -> Any:
    """The id of a stored round from its id, ``"latest"`` or ``"previous"`` (a clear error when
    the workspace has no such round)."""
    from xuanba.rounds import resolve_round_id

    return resolve_round_id(ws, round_id)


def previous_round(ws: Any, round_id: Any) -> Any | None:
    """The round stored just before ``round_id``, if any."""
    from xuanba.rounds import list_rounds

    ids = list(list_rounds(ws)["round_id"])
    keys = [str(x) for x in ids]
    i = keys.index(str(round_id)) if str(round_id) in keys else -1
    return ids[i - 1] if i > 0 else None


def round_facts(ws: Any, round_: Any) -> pd.DataFrame | None:
    """Facts of the round's customers at its cutoff (``round_.facts`` when it carries them);
    ``None`` when the workspace cannot give them (no transactions)."""
    own = getattr(round_, "facts", None)
    if isinstance(own, pd.DataFrame):
        return own
    if ws is None:
        return None
    from xuanba.facts import customer_facts

    try:
        facts = customer_facts(ws, round_.meta.get("cutoff"), time_unit=round_.meta.get("time_unit", "week"))
    except XuanbaError:
        return None
    if ws.has_table("interactions"):  # account books: profit after cost-to-serve is the truer value
        from xuanba.accounts.profit import customer_profit
        from xuanba.accounts.stored import stored_table, stored_transactions
        from xuanba.rounds.store import round_cutoff

        end = pd.Timestamp(round_cutoff(round_.meta))
        profit = customer_profit(stored_transactions(ws), stored_table(ws, "interactions"),
                                 start=end - pd.Timedelta(days=364), end=end)
        profit = profit[["customer_id", "profit"]].rename(columns={"profit": "profit_365d"})
        facts = facts.merge(profit, on="customer_id", how="left")
        facts["profit_365d"] = facts["profit_365d"].fillna(0.0)
    return facts


def round_holdout(ws: Any, round_: Any) -> pd.DataFrame | None:
    """The check of the round's purchase model on the year before its cutoff: the model fitted on
    the purchases up to cutoff − 365 days, its expected purchases in the following year against
    what customers bought, by calibration frequency (``bucket, customers, actual, predicted``).
    ``None`` when the round used no model or the data cannot support the check."""
    source = str(round_.meta.get("predictions", ""))
    if ws is None or not source.startswith("model:"):
        return None
    from xuanba.models.evaluate import evaluate
    from xuanba.rounds.store import round_cutoff

    model = source.split(":", 1)[1]
    cutoff = round_cutoff(round_.meta)
    try:
        ev = evaluate(ws, cutoff - dt.timedelta(days=365), cutoff, models=(model,),
                      time_unit=round_.meta.get("time_unit", "week"))
    except XuanbaError:
        return None
    table = ev.by_frequency
    return pd.DataFrame({"bucket": [str(i) for i in table.index], "customers": table["customers"].to_numpy(),
                         "actual": table["actual"].to_numpy(), "predicted": table[model].to_numpy()})


# -- tables ----------------------------------------------------------------------------------
def _value_measure(roster: pd.DataFrame, facts: pd.DataFrame | None) -> tuple[pd.Series | None, str | None]:
    """Money value of each roster row and its key: profit after cost-to-serve over 365 days
    (when the workspace has interactions), else margin, else revenue."""
    if facts is None:
        return None, None
    for col in ("profit_365d", "margin_365d", "revenue_365d"):
        if col in facts.columns and facts[col].notna().any():
            pos = pd.Index(facts["customer_id"].astype(str)).get_indexer(roster["customer_id"].astype(str))
            vals = facts[col].astype(float).to_numpy()
            v = np.where(pos >= 0, vals[np.maximum(pos, 0)], 0.0)
            return pd.Series(np.nan_to_num(v), index=roster.index), col
    return None, None


def tier_order(standard: Any, roster: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Tier keys from the highest down (``""`` last) and their labels."""
    tiers = list(_get(standard, "tiers", []) or [])
    scores = [_get(x, "min_score") for x in tiers]
    if tiers and all(s is not None for s in scores):
        tiers = [x for _, x in sorted(zip(scores, tiers, strict=True), key=lambda p: -float(p[0]))]
    order = [str(_get(x, "name")) for x in tiers]
    labels = {str(_get(x, "name")): str(_get(x, "label") or _get(x, "name")) for x in tiers}
    for extra in sorted(set(roster["tier"].fillna("").astype(str)) - set(order) - {""}):
        order.append(extra)
        labels[extra] = extra
    return order + [""], labels


def _table(header: list[str], rows: list[list[str]], *, numeric_from: int = 1) -> dict[str, Any]:
    return {"header": header, "rows": rows, "numeric_from": numeric_from}


# -- building --------------------------------------------------------------------------------
def build_report(
    round_: Any,
    *,
    lang: str = "en",
    facts: pd.DataFrame | None = None,
    diff: Any = None,
    previous_id: str | None = None,
    holdout: pd.DataFrame | None = None,
    max_points: int = MAX_SCATTER_POINTS,
    extra_sections: list[dict[str, Any]] | None = None,
    public: bool = False,
) -> str:
    """The report of a round as one HTML string (see the module docstring for its sections).

    Parameters
    ----------
    round_
        A :class:`xuanba.rounds.Round` (``round_id``, ``meta``, ``standard``, ``roster``).
    facts
        Facts at the round's cutoff (``margin_365d`` or ``revenue_365d`` give the money value of
        each customer); defaults to ``round_.facts`` when present.
    diff, previous_id
        A :class:`xuanba.rounds.RoundDiff` against the previous round and that round's id.
    holdout
        ``bucket, actual, predicted``: a model's calibration/holdout check, when the round has one.
    extra_sections
        More sections (``id, title, reading, fig=None, table``) placed after the movers, e.g. the
        account work of :func:`xuanba.outputs.account_sections.account_sections`.
    public
        Say the standard as customers see it (no private criteria or gates), as the statements do.
    """
    import plotly.offline
    from jinja2 import Environment, PackageLoader, select_autoescape

    check_lang(lang)
    roster = round_.roster.copy()
    roster["tier"] = roster["tier"].fillna("").astype(str)
    meta = dict(round_.meta)
    std = round_.standard
    cur = meta.get("currency") or ""
    unit = currency_unit(cur)
    n = len(roster)
    if n == 0:
        raise DataError(f"round {round_.round_id} has no customers", fix="Run the round on data with customers.")
    if facts is None:
        facts = getattr(round_, "facts", None)
    value, measure_key = _value_measure(roster, facts)
    measure = t(measure_key, lang) if measure_key else t("value", lang)
    order, labels = tier_order(std, roster)
    labels[""] = t("not_selected", lang)
    selected = roster["tier"] != ""
    n_sel = int(selected.sum())

    figures: list[tuple[str, Any]] = []  # (div id, figure)
    sections: list[dict[str, Any]] = []

    # headline
    cards = [
        {"label": t("customers", lang), "value": num(n), "note": ""},
        {"label": t("selected", lang), "value": num(n_sel), "note": t("of_customers", lang, pct=pct(100 * n_sel / n))},
    ]
    if value is not None:
        total = float(value.sum())
        sel_value = float(value[selected].sum())
        cards.append({"label": t("value_share", lang), "value": pct(100 * sel_value / total) if total else "–",
                      "note": t("value_share_note", lang, value=money(total, cur, lang), measure=measure)})
        if n_sel:
            top = np.argsort(-value.to_numpy(), kind="stable")[:n_sel]  # the n_sel most valuable
            covered = int(selected.to_numpy()[top].sum())
            cards.append({"label": t("coverage", lang), "value": pct(100 * covered / n_sel),
                          "note": t("coverage_note", lang, n=num(n_sel))})
            mean_all = total / n
            lift = (sel_value / n_sel) / mean_all if mean_all > 0 else float("nan")
            cards.append({"label": t("quality", lang), "value": t("quality_value", lang, x=num(lift, 1)),
                          "note": t("quality_note", lang)})

    # tiers
    by = pd.DataFrame({"tier": order, "label": [labels[x] for x in order]})
    counts = roster["tier"].value_counts()
    by["count"] = [int(counts.get(x, 0)) for x in order]
    by["mean_score"] = [float(roster.loc[roster["tier"] == x, "score"].mean()) if counts.get(x, 0) else np.nan
                        for x in order]
    if value is not None:
        vs = value.groupby(roster["tier"]).sum()
        by["value"] = [float(vs.get(x, 0.0)) for x in order]
    else:
        by["value"] = 0.0
    figures.append(("fig-tiers", charts.tier_bars(by, lang=lang, value_label=measure, currency=unit)))
    vtotal = float(by["value"].sum())
    first = by.iloc[0]
    tier_rows = [[r.label, num(r.count), pct(100 * r.count / n), money(r.value, cur, lang) if value is not None else "–",
                  pct(100 * r.value / vtotal) if value is not None and vtotal else "–", num(r.mean_score, 1)]
                 for r in by.itertuples()]
    sections.append({
        "id": "tiers", "title": t("tiers_title", lang), "fig": "fig-tiers",
        "reading": t("tiers_reading", lang, top_tier=first["label"], top_n=num(first["count"]),
                     top_pct=pct(100 * first["count"] / n),
                     top_value_pct=pct(100 * first["value"] / vtotal) if vtotal else "–", sel=num(n_sel)),
        "table": _table([t("tier", lang), t("count", lang), t("share", lang), f"{measure} ({unit})",
                         t("share", lang), t("mean_score", lang)], tier_rows),
    })

    # value x potential
    if {"value_score", "potential_score"} <= set(roster.columns):
        quads = _get(std, "quadrants")
        qlabel = getattr(quads, "label", None)
        qnames = {str(q): (qlabel(str(q)) if callable(qlabel) else str(q)) for q in roster["quadrant"].dropna().unique()} \
            if "quadrant" in roster.columns else {}
        fig, shown = charts.quadrant_scatter(roster, lang=lang, max_points=max_points, quadrant_labels=qnames,
                                             thresholds=(_get(quads, "value_threshold"), _get(quads, "potential_threshold")))
        figures.append(("fig-quadrants", fig))
        qc = roster["quadrant"].value_counts() if "quadrant" in roster.columns else pd.Series(dtype=int)
        q_rows = []
        for q, c in qc.sort_index().items():
            qv = money(float(value[roster["quadrant"] == q].sum()), cur, lang) if value is not None else "–"
            q_rows.append([qnames.get(str(q), str(q)), num(c), pct(100 * c / n), qv])
        reading = t("quadrant_reading", lang, largest=qnames.get(str(qc.idxmax()), str(qc.idxmax())) if len(qc) else "–",
                    largest_n=num(qc.max()) if len(qc) else "–",
                    shown=t("quadrant_sampled", lang, shown=num(shown), total=num(n)) if shown < n else "")
        sections.append({"id": "quadrants", "title": t("quadrant_title", lang), "fig": "fig-quadrants",
                         "reading": reading.strip(),
                         "table": _table([t("quadrant", lang), t("count", lang), t("share", lang),
                                          f"{measure} ({unit})"], q_rows)})

    # whale curve
    whale = {"id": "whale", "title": t("whale_title", lang), "fig": None, "reading": t("whale_missing", lang),
             "table": None}
    if value is not None and measure_key in ("profit_365d", "margin_365d") and float(value.sum()) > 0:
        from xuanba.accounts.profit import whale_curve, whale_peak

        curve = whale_curve(pd.DataFrame({"customer_id": roster["customer_id"], "profit": value.to_numpy()}))
        peak = whale_peak(curve)
        figures.append(("fig-whale", charts.whale_chart(curve, peak, lang=lang)))
        whale["fig"] = "fig-whale"
        if peak["profit_pct"] > 100.05:
            whale["reading"] = t("whale_reading", lang, cpct=pct(peak["customer_pct"]), ppct=pct(peak["profit_pct"]),
                                 give=pct(peak["profit_pct"] - 100))
        else:
            whale["reading"] = t("whale_reading_flat", lang)
    sections.append(whale)

    # scores
    figures.append(("fig-scores", charts.score_histogram(roster, tier_order=order, tier_labels=labels, lang=lang)))
    median = float(roster["score"].median())
    reading = (t("score_reading", lang, median=num(median, 1), cut=num(float(roster.loc[selected, "score"].min()), 1))
               if n_sel else t("score_reading_none", lang, median=num(median, 1)))
    sections.append({"id": "scores", "title": t("score_title", lang), "fig": "fig-scores", "reading": reading,
                     "table": None})

    # movers and migration
    if diff is not None and previous_id is not None:
        sections.extend(_diff_sections(diff, str(previous_id), str(round_.round_id), labels, lang, figures))
    else:
        sections.append({"id": "movers", "title": t("movers_none_title", lang),
                         "fig": None, "reading": t("no_previous", lang), "table": None})

    sections.extend(extra_sections or [])

    # model fit
    if holdout is None:
        holdout = getattr(round_, "holdout", None)
    if isinstance(holdout, pd.DataFrame) and len(holdout):
        figures.append(("fig-model", charts.holdout_chart(holdout, lang=lang)))
        err = float((holdout["predicted"] - holdout["actual"]).abs().mean())
        table = None
        if "customers" in holdout.columns:
            rows = [[str(r.bucket), num(r.customers), num(r.actual, 3), num(r.predicted, 3)]
                    for r in holdout.itertuples()]
            table = _table([t("model_x", lang), t("customers", lang), t("actual", lang), t("predicted", lang)], rows)
        sections.append({"id": "model", "title": t("model_title", lang), "fig": "fig-model",
                         "reading": t("model_reading", lang, err=num(err, 2)), "table": table})

    models = meta.get("models")
    if isinstance(models, Mapping) and models:
        sections.append(_models_section(models, lang))

    std_lines = describe(std, lang, public=public)

    rendered = {
        fid: fig.to_html(full_html=False, include_plotlyjs=False, div_id=fid,
                         config={"displaylogo": False, "responsive": True})
        for fid, fig in figures
    }
    env = Environment(loader=PackageLoader("xuanba.outputs", "templates"), autoescape=select_autoescape(["j2"]))
    std_name = meta.get("standard_name") or _get(std, "name", "")
    return env.get_template("report.html.j2").render(
        lang=lang,
        title=t("report_title", lang, round_id=round_.round_id, standard=std_name),
        subtitle=t("report_sub", lang, cutoff=meta.get("cutoff", "–"), standard=std_name,
                   version=meta.get("standard_version", "–"), created=meta.get("created_at", "–")),
        headline_title=t("headline_title", lang),
        cards=cards,
        sections=sections,
        figures=rendered,
        standard_title=t("standard_title", lang),
        standard_lines=std_lines,
        figures_title=t("figures_title", lang),
        footer=t("footer", lang, round_id=round_.round_id, std_sha=str(meta.get("standard_sha256", ""))[:12],
                 data_sha=str(meta.get("data_sha256", ""))[:12]),
        plotlyjs=plotly.offline.get_plotlyjs(),
        font=charts.FONT,
    )


def _models_section(models: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The fitted models a round used (stored in its meta): a table of estimates and fit."""
    rows: list[list[str]] = []
    extra: list[str] = []
    n = 0.0
    for info in models.values():
        n = max(n, float(info.get("n_customers", 0)))
        params = info.get("params", {})
        for name in info.get("param_names") or list(params):
            est = float(params[name])
            se = float(info.get("stderr", {}).get(name, float("nan")))
            spread = float(np.exp(1.959963984540054 * se / est)) if est > 0 and np.isfinite(se) else float("nan")
            interval = f"{num(est / spread, 3)} – {num(est * spread, 3)}" if np.isfinite(spread) else "–"
            rows.append([str(info.get("model", "")), name, num(est, 4), num(se, 4), interval,
                         num(info.get("loglik"), 2)])
        excluded = sum(int(v) for v in (info.get("excluded") or {}).values())
        if excluded:
            extra.append(t("models_excluded", lang, k=num(excluded)))
        if "frequency_spend_correlation" in info:
            extra.append(t("models_corr", lang, r=num(float(info["frequency_spend_correlation"]), 2)))
    header = [t(k, lang) for k in ("model_col", "param_col", "estimate_col", "stderr_col", "ci_col", "loglik_col")]
    return {"id": "models", "title": t("models_title", lang), "fig": None,
            "reading": t("models_reading", lang, n=num(n), extra=" ".join(extra)).strip(),
            "table": _table(header, rows, numeric_from=2)}


def _diff_sections(diff: Any, prev: str, cur: str, labels: Mapping[str, str], lang: str,
                   figures: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    ch = diff.changes.copy()
    status = ch["status"].value_counts()
    both = ch.dropna(subset=["rank_a", "rank_b"]).copy()
    both["rank_change"] = both["rank_a"].astype("int64") - both["rank_b"].astype("int64")
    up = both[both["rank_change"] > 0].sort_values(["rank_change", "customer_id"], ascending=[False, True]).head(TOP_MOVERS)
    down = both[both["rank_change"] < 0].sort_values(["rank_change", "customer_id"], ascending=[True, True]).head(TOP_MOVERS)
    movers = pd.concat([up, down])
    rho = getattr(diff, "rank_correlation", None)
    out = []
    reading = t("movers_reading", lang, entered=num(status.get("entered", 0)), left=num(status.get("left", 0)),
                rose=num(status.get("rose", 0)), fell=num(status.get("fell", 0)),
                rho=num(float(rho), 3) if rho is not None else "–")
    fig_id = None
    if len(movers):
        figures.append(("fig-movers", charts.movers_chart(movers, prev=prev, lang=lang)))
        fig_id = "fig-movers"

    def tier_label(x: Any) -> str:
        x = "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)
        if x == "(not selected)":
            x = ""
        if x == "(absent)":
            return t("absent", lang)
        return labels.get(x, x)

    rows = [[str(r.customer_id), tier_label(r.tier_a), tier_label(r.tier_b), num(r.rank_a), num(r.rank_b),
             f"{int(r.rank_change):+,}", t(str(r.status), lang) if str(r.status) in ("entered", "left", "rose", "fell", "same") else str(r.status)]
            for r in movers.itertuples()]
    out.append({"id": "movers", "title": t("movers_title", lang, prev=prev), "fig": fig_id, "reading": reading,
                "table": _table([t("customer", lang), f"{t('tier', lang)} {prev}", f"{t('tier', lang)} {cur}",
                                 f"{t('rank', lang)} {prev}", f"{t('rank', lang)} {cur}", t("rank_change", lang),
                                 t("status", lang)], rows, numeric_from=3)})
    mig = getattr(diff, "migration", None)
    if isinstance(mig, pd.DataFrame) and mig.size:
        mig = mig.copy()
        mig.index = [tier_label(x) for x in mig.index]
        mig.columns = [tier_label(x) for x in mig.columns]
        figures.append(("fig-migration", charts.migration_heatmap(mig, prev=prev, cur=cur, lang=lang)))
        total = float(mig.to_numpy().sum())
        same = sum(float(mig.loc[k, k]) for k in mig.index if k in mig.columns)
        rows = [[str(i)] + [num(v) for v in mig.loc[i]] for i in mig.index]
        out.append({"id": "migration", "title": t("migration_title", lang, prev=prev, cur=cur), "fig": "fig-migration",
                    "reading": t("migration_reading", lang, stay=pct(100 * same / total) if total else "–"),
                    "table": _table([f"{prev} → {cur}"] + [str(c) for c in mig.columns], rows)})
    return out


def write_report(
    workspace: Any,
    round_id: str,
    path: str | os.PathLike[str] | None = None,
    *,
    lang: str = "en",
) -> Path:
    """Write the HTML report of a stored round and return its path.

    Parameters
    ----------
    workspace
        A :class:`~xuanba.Workspace` or the path of its file.
    round_id
        The round, or ``"latest"``.
    path
        The HTML file; default ``report-<round>-<lang>.html`` in the current folder.
    lang
        ``"en"`` or ``"zh"``.

    Example
    -------
    >>> write_report("xuanba.duckdb", "latest", "report.html", lang="zh")  # doctest: +SKIP
    PosixPath('report.html')
    """
    from xuanba.rounds import diff_rounds, load_round
    from xuanba.workspace import Workspace

    check_lang(lang)
    own = not isinstance(workspace, Workspace)
    ws = Workspace(workspace, create=False) if own else workspace
    try:
        rid = resolve_round(ws, round_id)
        rnd = load_round(ws, rid)
        prev = previous_round(ws, rid)
        diff = diff_rounds(ws, prev, rid) if prev is not None else None
        from xuanba.outputs.account_sections import account_sections

        html = build_report(rnd, lang=lang, facts=round_facts(ws, rnd), diff=diff, previous_id=prev,
                            extra_sections=account_sections(ws, rnd, lang), holdout=round_holdout(ws, rnd))
    finally:
        if own:
            ws.close()
    out = Path(path) if path is not None else Path(f"report-{rid}-{lang}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
