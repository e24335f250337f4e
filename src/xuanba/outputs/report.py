"""The round report: one self-contained HTML file (plotly.js inlined once, no network, CJK font
stack) with the headline figures, tiers, who is selected (by tier, with name, owner, score, rank,
change and strongest criteria; searchable and paged, drawn by a small inline script from JSON
embedded in the page, so tens of thousands of rows cost no DOM until shown), each owner's
accounts, value × potential, the whale curve, scores, movers and migration against the previous
round, how the round's standard has performed (its latest stored backtest, or how to make one),
model fit when the round has it, and the standard in plain words. Customers are named
wherever they appear (the names and owners the round stored from the customers table).

Example
-------
>>> from xuanba.outputs._synthetic import synthetic_round
>>> html = build_report(synthetic_round(200, seed=1), lang="zh")
>>> "价值 × 潜力矩阵" in html and "<script src" not in html
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba._files import write_text_atomic
from xuanba.errors import DataError, Phrase
from xuanba.i18n import counted, warning_words
from xuanba.outputs import charts
from xuanba.outputs.field_words import missing_words_line, not_finite_line
from xuanba.outputs.i18n import (
    _get,
    check_lang,
    currency_unit,
    money,
    num,
    pct,
    t,
    with_unit,
)
from xuanba.outputs.model_words import model_trust_lines
from xuanba.outputs.people import OWNER_ALIASES, PERSON_FIELDS, People, script_json
from xuanba.rounds.selection_only import rest_of_round, sentences, where_the_rest_is
from xuanba.rounds.summary import round_summary, tier_order, whale_profits
from xuanba.standard.describe import describe

#: Most points the value × potential scatter draws (stratified sample above that).
MAX_SCATTER_POINTS = 20_000
#: Biggest movers shown each way (up and down).
TOP_MOVERS = 10
#: Most selected customers the searchable list embeds (the highest-ranked; the export has all).
MAX_LISTED = 50_000
#: Most keep-warm accounts the per-owner list embeds (highest potential first).
MAX_WARM = 5_000
#: Rows per page of the searchable lists.
PAGE_ROWS = 25


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
    backtest: Any = None,
    backtest_hint: bool = False,
) -> str:
    """The report of a round as one HTML string (see the module docstring for its sections).

    Parameters
    ----------
    round_
        A :class:`xuanba.rounds.Round` (``round_id``, ``meta``, ``standard``, ``roster``).
    facts
        Per-customer fields of the round (``profit_365d``, ``margin_365d`` or ``revenue_365d``
        give the money value of each customer); default ``round_.fields``, what the round stored.
    diff, previous_id
        A :class:`xuanba.rounds.RoundDiff` against the previous round and that round's id.
    holdout
        ``bucket, actual, predicted``: a model's calibration/holdout check; default the check
        the round stored.
    extra_sections
        More sections (``id, title, reading, fig=None, table``) placed after the movers; default
        the account work the round stored (:func:`xuanba.outputs.account_sections.account_sections`).
    public
        Say the standard as customers see it (no private criteria or gates), as the statements do.
    backtest, backtest_hint
        A stored backtest of the round's standard (:func:`xuanba.rounds.backtest.load_backtest`)
        for the section "how this standard has performed"; without one, ``backtest_hint`` puts
        there the one line that says how to produce it (:func:`write_report` does both).
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
    # a round run on an engine stored only its selected customers: every whole-base figure comes
    # from what it stored of every customer (its meta), never from the rows it holds
    # (a round that selected every customer stored them all: its charts are drawn as any round's)
    rest = rest_of_round(round_)  # its --roster-out checked: a later round's rows are not this round's
    only_selected = rest is not None
    n = int(meta["n_customers"]) if only_selected else len(roster)
    if n == 0:
        raise DataError(Phrase("err_round_no_customers", round_id=str(round_.round_id)),
                        fix=Phrase("err_round_no_customers_fix"))
    n_sel_stored = int(meta.get("n_selected") or 0)
    not_stored = t(counted("engine_not_stored", n_sel_stored), lang, engine=str(meta.get("engine") or "an engine"),
                   sel=num(n_sel_stored), n=num(n)) if only_selected else ""
    if rest is not None:  # and where every customer's row is: the roster output, gone, replaced or not kept
        not_stored = sentences(lang, not_stored, where_the_rest_is(rest, lang))
    scores = _base_scores(meta, roster) if only_selected else None
    fields = facts if facts is not None else getattr(round_, "fields", None)
    people = People.of(fields)
    if not people.columns and facts is not None:  # facts given without the customers' names
        people = People.of(getattr(round_, "fields", None))
    warm_note = ""
    if rest is not None:  # the keep-warm customers it did not store: who they are, from its roster output
        people, warm_note = _people_of_the_rest(round_, people, rest, lang)
    order, labels = tier_order(std, roster)
    summary = meta.get("summary") or round_summary(roster, fields, order[:-1])
    measure_key = summary.get("measure")
    measure = t(measure_key, lang) if measure_key else t("value", lang)
    labels[""] = t("not_selected", lang)
    selected = roster["tier"] != ""
    n_sel = int(summary["selected"])

    figures: list[tuple[str, Any]] = []  # (div id, figure)
    sections: list[dict[str, Any]] = []

    # headline: the figures the round stored
    cards = [
        {"label": t("customers", lang), "value": num(summary["customers"]), "note": ""},
        {"label": t("selected", lang), "value": num(n_sel), "note": t("of_customers", lang, pct=pct(100 * n_sel / n))},
    ]
    if measure_key:
        share = summary.get("value_share")
        cards.append({"label": t("value_share", lang), "value": pct(100 * share) if share is not None else "–",
                      "note": t("value_share_note", lang, value=money(summary["value_total"], cur, lang), measure=measure)})
        if summary.get("coverage") is not None:
            cards.append({"label": t("coverage", lang), "value": pct(100 * summary["coverage"]),
                          "note": t("coverage_note", lang, n=num(n_sel))})
        if summary.get("lift") is not None:
            cards.append({"label": t("quality", lang), "value": t("quality_value", lang, x=num(summary["lift"], 1)),
                          "note": t("quality_note", lang)})

    missing = list(getattr(round_, "missing", []) or [])
    if missing:
        sep = t("list_sep", lang)
        sections.append({"id": "missing", "title": t("missing_title", lang), "fig": None, "table": None,
                         "reading": t("missing_reading", lang, parts=sep.join(t(f"missing_{m}", lang) for m in missing))})

    # the extra fields' values scored as missing, as the console says
    unusable = [line for line in (not_finite_line(meta, lang), missing_words_line(meta, lang)) if line]
    if unusable:
        sections.append({"id": "not-finite", "title": t("not_finite_title", lang), "fig": None, "table": None,
                         "reading": ("" if lang == "zh" else " ").join(unusable)})  # 。 needs no space

    # tiers
    by = pd.DataFrame({"tier": order, "label": [labels[x] for x in order]})
    tier_counts = summary["tier_counts"]
    by["count"] = [int(tier_counts.get(x, 0)) for x in order]
    if scores is not None:  # the engine's means over every customer of each tier
        means = scores.get("tier_mean_score") or {}
        by["mean_score"] = [float(means[x]) if tier_counts.get(x, 0) and means.get(x) is not None else np.nan
                            for x in order]
    else:
        by["mean_score"] = [float(roster.loc[roster["tier"] == x, "score"].mean()) if tier_counts.get(x, 0)
                            else np.nan for x in order]
    tier_values = summary.get("tier_values") or {}
    by["value"] = [float(tier_values.get(x, 0.0)) for x in order]
    # a tier nobody reached this round is not drawn as an empty bar (its exact row says 0)
    empty = [labels[x] for x in order if x != "" and by.loc[by["tier"] == x, "count"].iloc[0] == 0]
    filled = by[by["count"] > 0].reset_index(drop=True)
    figures.append(("fig-tiers", charts.tier_bars(filled, lang=lang, value_label=measure, currency=unit)))
    vtotal = float(by["value"].sum())
    first = filled.iloc[0]
    tier_rows = [[r.label, num(r.count), pct(100 * r.count / n), money(r.value, cur, lang) if measure_key else "–",
                  pct(100 * r.value / vtotal) if measure_key and vtotal else "–", num(r.mean_score, 1)]
                 for r in by.itertuples()]
    reading = t("tiers_reading", lang, top_tier=first["label"], top_n=num(first["count"]),
                top_pct=pct(100 * first["count"] / n),
                top_value_pct=pct(100 * first["value"] / vtotal) if vtotal else "–", sel=num(n_sel))
    if empty:
        reading = t("tiers_empty", lang, reading=reading, tiers=t("list_sep", lang).join(empty))
    sections.append({
        "id": "tiers", "title": t("tiers_title", lang), "fig": "fig-tiers", "reading": reading,
        "table": _table([t("tier", lang), t("count", lang), t("share", lang), with_unit(measure, unit, lang),
                         t("share", lang), t("mean_score", lang)], tier_rows),
    })

    # who is selected, by tier, and each owner's accounts: rows drawn by the page from embedded data
    listing = _selection(round_, roster, people, diff, order, labels, lang, public=public, warm_note=warm_note)
    sections.extend(listing["sections"])

    # value x potential
    if {"value_score", "potential_score"} <= set(roster.columns):
        quads = _get(std, "quadrants")
        qlabel = getattr(quads, "label", None)
        named = set(roster["quadrant"].dropna().astype(str)) if "quadrant" in roster.columns else set()
        named |= set(map(str, summary.get("quadrant_counts") or {}))  # every customer's quadrants, as stored
        qnames = {q: (qlabel(q) if callable(qlabel) else q) for q in sorted(named) if q}
        if only_selected:  # a scatter of the selected alone is not the base's: not drawn
            fig_q, shown = None, n
        else:
            fig, shown = charts.quadrant_scatter(roster, lang=lang, max_points=max_points, quadrant_labels=qnames,
                                                 hover=people.labels if "name" in people.columns else None,
                                                 thresholds=(_get(quads, "value_threshold"),
                                                             _get(quads, "potential_threshold")))
            figures.append(("fig-quadrants", fig))
            fig_q = "fig-quadrants"
        qc = pd.Series(summary.get("quadrant_counts") or {}, dtype="int64")
        qvalues = summary.get("quadrant_values") or {}
        q_rows = [[qnames.get(str(q), str(q)), num(c), pct(100 * c / n),
                   money(float(qvalues.get(q, 0.0)), cur, lang) if measure_key else "–"]
                  for q, c in qc.sort_index().items()]
        largest = {"largest": qnames.get(str(qc.idxmax()), str(qc.idxmax())) if len(qc) else "–",
                   "largest_n": num(qc.max()) if len(qc) else "–"}
        if fig_q is None:  # no dots to read: the table's largest group, and why there is no chart
            reading = f"{t('quadrant_reading_table', lang, **largest)} {not_stored}"
        else:
            reading = t("quadrant_reading", lang, **largest,
                        shown=t("quadrant_sampled", lang, shown=num(shown), total=num(n)) if shown < n else "")
        sections.append({"id": "quadrants", "title": t("quadrant_title", lang), "fig": fig_q,
                         "reading": reading.strip(),
                         "table": _table([t("quadrant", lang), t("count", lang), t("share", lang),
                                          with_unit(measure, unit, lang)], q_rows)})

    # whale curve: drawn from the stored values, read from the stored peak
    whale = {"id": "whale", "title": t("whale_title", lang), "fig": None, "reading": t("whale_missing", lang),
             "table": None}
    peak = summary.get("whale")
    if "fields" in missing:
        whale["reading"] = t("missing_reading", lang, parts=t("missing_fields", lang))
    elif measure_key not in ("profit_365d", "margin_365d"):
        whale["reading"] = t("whale_no_costs", lang)  # revenue alone says nothing of profit
    elif not peak:
        whale["reading"] = t("whale_not_positive", lang)
    profits = whale_profits(fields, measure_key) if not only_selected else None  # the selected's alone: not the curve
    if peak and only_selected and measure_key in ("profit_365d", "margin_365d"):  # the stored peak, no curve
        whale["reading"] = (t("whale_reading", lang, cpct=pct(peak["customer_pct"]), ppct=pct(peak["profit_pct"]),
                              give=pct(peak["profit_pct"] - 100)) if peak["profit_pct"] > 100.05
                            else t("whale_reading_flat", lang)) + " " + not_stored
    if peak and profits is not None:
        from xuanba.accounts.profit import whale_shape

        figures.append(("fig-whale", charts.whale_chart(whale_shape(profits), peak, lang=lang)))
        whale["fig"] = "fig-whale"
        if peak["profit_pct"] > 100.05:
            whale["reading"] = t("whale_reading", lang, cpct=pct(peak["customer_pct"]), ppct=pct(peak["profit_pct"]),
                                 give=pct(peak["profit_pct"] - 100))
        else:
            whale["reading"] = t("whale_reading_flat", lang)
    sections.append(whale)

    # scores
    if only_selected and scores is None:  # stored before the engine kept every customer's scores
        sections.append({"id": "scores", "title": t("score_title", lang), "fig": None, "reading": not_stored,
                         "table": None})
    else:
        counts = scores.get("histogram") if scores is not None else None
        figures.append(("fig-scores", charts.score_histogram(roster, tier_order=order, tier_labels=labels, lang=lang,
                                                             counts=counts)))
        median = float(scores["median"]) if scores is not None else float(roster["score"].median())
        reading = (t("score_reading", lang, median=num(median, 1),
                     cut=num(float(roster.loc[selected, "score"].min()), 1))
                   if n_sel else t("score_reading_none", lang, median=num(median, 1)))
        sections.append({"id": "scores", "title": t("score_title", lang), "fig": "fig-scores", "reading": reading,
                         "table": None})

    # movers and migration
    diff_said = getattr(diff, "summary", None) or {}
    if diff is not None and previous_id is not None and (only_selected or diff_said.get("selection_only")):
        # the rows either round holds say who entered and left the selection, not who else moved
        status = diff.changes["status"].value_counts()
        engine = str(meta.get("engine") or diff_said.get("engine") or "an engine")
        sections.append({"id": "movers", "title": t("movers_none_title", lang), "fig": None, "table": None,
                         "reading": t("movers_engine", lang, prev=str(previous_id),
                                      entered=num(int(status.get("entered", 0))), left=num(int(status.get("left", 0))),
                                      why=t("engine_why", lang, engine=engine))})
    elif diff is not None and previous_id is not None:
        sections.extend(_diff_sections(diff, str(previous_id), str(round_.round_id), labels, lang, figures, people))
    else:
        sections.append({"id": "movers", "title": t("movers_none_title", lang),
                         "fig": None, "reading": t("no_previous", lang), "table": None})

    if backtest is not None:
        sections.append(_backtest_section(backtest, lang, figures))
    elif backtest_hint:
        sections.append({"id": "backtest", "title": t("bt_report_title", lang), "fig": None, "table": None,
                         "reading": t("bt_report_none", lang)})

    if extra_sections is None:
        from xuanba.outputs.account_sections import account_sections

        extra_sections = account_sections(round_, lang, people=people)
        if warm_note:
            for s in extra_sections:
                if s["id"] == "accounts-keep-warm":
                    s["reading"] = sentences(lang, s["reading"], warm_note)
    sections.extend(extra_sections)

    # model fit: the check the round stored (a table, or the reason it could not run)
    stored = (getattr(round_, "tables", None) or {}).get("holdout")
    if holdout is None and stored is not None:
        holdout = stored.frame
    reason = stored.info.get("error") if stored is not None else None
    if holdout is None and reason:
        sections.append({"id": "model", "title": t("model_title", lang), "fig": None, "table": None,
                         "reading": t("model_check_failed", lang, reason=reason)})
    if isinstance(holdout, pd.DataFrame) and len(holdout):
        figures.append(("fig-model", charts.holdout_chart(holdout, lang=lang)))
        abs_err = (holdout["predicted"] - holdout["actual"]).abs()
        weights = holdout["customers"].astype(float) if "customers" in holdout.columns else None
        err = float((abs_err * weights).sum() / weights.sum()) if weights is not None and weights.sum() else float(abs_err.mean())
        table = None
        if "customers" in holdout.columns:
            rows = [[str(r.bucket), num(r.customers), num(r.actual, 3), num(r.predicted, 3)]
                    for r in holdout.itertuples()]
            table = _table([t("model_x", lang), t("customers", lang), t("actual", lang), t("predicted", lang)], rows)
        sections.append({"id": "model", "title": t("model_title", lang), "fig": "fig-model",
                         "reading": t("model_reading", lang, err=num(err, 2)), "table": table})

    models = meta.get("models")
    trust = model_trust_lines(meta, lang)  # fallback, auto's choice, untrusted fits, one-time buyers
    if isinstance(models, Mapping) and models:
        sections.append(_models_section(models, lang, meta.get("model_warnings") or []))
        stored = meta.get("intervals") or {}
        if stored.get("columns"):  # what the round's per-customer intervals are, where they are read
            from xuanba.i18n import column_words

            trust.append(t("models_intervals", lang, level=f"{float(stored['level']) * 100:g}%",
                           fields=t("list_sep", lang).join(column_words(f, lang)[0] for f in dict.fromkeys(
                               c.rsplit("_", 1)[0] for c in stored["columns"]))))
        sections[-1]["reading"] = " ".join([*trust, sections[-1]["reading"]])
    elif trust:
        sections.append({"id": "models", "title": t("models_title", lang), "fig": None,
                         "reading": " ".join(trust), "table": None})

    # the standard as the round applied it (a missing model's criteria and gates left out)
    std_lines = describe(getattr(round_, "scored_standard", std), lang, public=public)

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
        listing=listing,
        footer=t("footer", lang, round_id=round_.round_id, std_sha=str(meta.get("standard_sha256", ""))[:12],
                 data_sha=str(meta.get("data_sha256", ""))[:12]),
        plotlyjs=plotly.offline.get_plotlyjs(),
        font=charts.FONT,
    )


def _base_scores(meta: Mapping[str, Any], roster: pd.DataFrame) -> dict[str, Any] | None:
    """What an engine round stored of every customer's score (median, each tier's mean, the
    histogram); ``None`` when it stored none (an engine round of an older xuanba)."""
    stored = meta.get("base_scores")
    return dict(stored) if isinstance(stored, Mapping) and stored.get("histogram") is not None else None


def _strongest(contributions: pd.DataFrame | None, ids: np.ndarray, index: Mapping[str, int],
               k: int = 2) -> dict[str, list[float]]:
    """Each listed customer's ``k`` criteria that gave the most points, from the stored
    contributions: ``{id: [criterion index, points, criterion index, points]}``."""
    if contributions is None or not len(contributions) or not len(ids):
        return {}
    c = contributions
    c = c[c["customer_id"].isin(ids) & c["criterion"].isin(list(index))]  # both stored as text
    pts = pd.to_numeric(c["contribution"], errors="coerce")
    c = c.assign(pts=pts, at=c["criterion"].map(index))[pts > 0]  # ties: the standard's order
    c = c.sort_values(["customer_id", "pts", "at"], ascending=[True, False, True], kind="stable")
    top = c.groupby("customer_id", sort=False).head(k)
    out: dict[str, list[float]] = {}
    for cid, crit, p in zip(top["customer_id"].astype(str), top["criterion"].astype(str), top["pts"], strict=True):
        out.setdefault(cid, []).extend([index[crit], round(float(p), 1)])
    return out


def _people_of_the_rest(round_: Any, people: People, rest: Any, lang: str) -> tuple[People, str]:
    """``people`` with who the keep-warm customers are that round ``round_`` (run on an engine)
    did not store, read from its ``--roster-out`` fields while that folder holds its rows; else
    ``people`` as they are and what to say of it in ``lang``: the names and owners are the
    selection's only, and where the others' rows are."""
    from xuanba.rounds.selection_only import roster_out_fields

    stored = (getattr(round_, "tables", None) or {}).get("keep_warm")
    if stored is None or stored.frame is None or not len(stored.frame):
        return people, ""
    ids = stored.frame["customer_id"].astype(str)
    ids = ids[~people.knows(ids)].tolist()
    if not ids:
        return people, ""
    got = roster_out_fields(rest, ids, [*PERSON_FIELDS, *OWNER_ALIASES])
    if got is None:
        return people, sentences(lang, t("accounts_selection_only", lang), where_the_rest_is(rest, lang))
    return people.joined(People.of(got)), ""


def _selection(round_: Any, roster: pd.DataFrame, people: People, diff: Any, order: list[str],
               labels: Mapping[str, str], lang: str, *, public: bool = False, warm_note: str = "") -> dict[str, Any]:
    """The selection list (by tier) and the per-owner view: the sections, and the data the page's
    script draws their rows from (at most :data:`MAX_LISTED` selected and :data:`MAX_WARM`
    keep-warm accounts, so a million-customer report stays small). ``warm_note``: said of a round
    run on an engine whose keep-warm customers are not all known (:func:`_people_of_the_rest`): the
    per-owner view lists and counts only those it knows."""
    from xuanba.standard.describe import public_title, public_words

    std = round_.standard
    sel = roster[roster["tier"] != ""].sort_values("rank", kind="stable")
    out: dict[str, Any] = {"sections": [], "json": "", "owners": []}
    if not len(sel):
        return out
    listed = sel.head(MAX_LISTED)
    ids = listed["customer_id"].astype(str).to_numpy(dtype=object)
    has_owner = "owner" in people.columns
    crits = [c for c in _get(std, "criteria", []) or [] if not public or std.is_public(c)]
    index = {str(_get(c, "name")): i for i, c in enumerate(crits)}
    contributions = getattr(round_, "contributions", None)
    reasons = _strongest(contributions, ids, index)

    # owners, most selected accounts first; -1 is "no owner"
    warm_frame = None
    stored = (getattr(round_, "tables", None) or {}).get("keep_warm")
    if stored is not None and stored.frame is not None and len(stored.frame):
        warm_frame = stored.frame
        if warm_note:  # whose owner is not known is not "no owner": left out, and the section says so
            warm_frame = warm_frame.loc[people.knows(warm_frame["customer_id"].astype(str))]
    sel_owner = people.column(sel["customer_id"].astype(str), "owner") if has_owner else None
    warm_owner = people.column(warm_frame["customer_id"].astype(str), "owner") \
        if has_owner and warm_frame is not None else np.array([], dtype=object)
    owners: list[str] = []
    if has_owner:
        counts = pd.Series(np.concatenate([sel_owner, warm_owner])).value_counts()
        owners = sorted((o for o in counts.index if o), key=lambda o: (-int(counts[o]), o))
    pos = {o: i for i, o in enumerate(owners)}

    prev_rank = None
    if diff is not None:
        ch = diff.changes
        prev_rank = pd.Series(ch["rank_a"].to_numpy(dtype=float, na_value=np.nan),
                              index=ch["customer_id"].astype(str)).reindex(ids).to_numpy()

    names = people.column(ids, "name")
    lid = [str(x) for x in ids]
    owner_ix = [pos.get(o, -1) for o in people.column(ids, "owner")] if has_owner else None
    # segment and region, when known: few distinct values, so each row holds an index into a list
    groups: dict[str, list[str]] = {}
    group_ix: dict[str, list[int]] = {}
    for col, kind in (("segment", "s"), ("region", "g")):
        if col in people.columns:
            vals = people.column(ids, col)
            counts = pd.Series(vals[vals != ""]).value_counts()
            groups[kind] = sorted(counts.index, key=lambda v: (-int(counts[v]), v))
            at = {v: i for i, v in enumerate(groups[kind])}
            group_ix[kind] = [at.get(v, -1) for v in vals]
    head = [t("people_id", lang), t("people_name", lang)] + ([t("people_owner", lang)] if has_owner else []) + \
        [t(f"people_{c}", lang) for c, k in (("segment", "s"), ("region", "g")) if k in groups] + \
        [t("sel_score", lang), t("rank", lang)] + ([t("sel_change", lang)] if prev_rank is not None else []) + \
        [t("sel_reason", lang)]
    kinds = ["t", "t"] + (["o"] if has_owner else []) + list(groups) + ["n", "n"] + \
        (["n"] if prev_rank is not None else []) + ["r"]
    rows = []
    for j, r in enumerate(listed[["score", "rank"]].itertuples(index=False)):
        row: list[Any] = [lid[j], names[j]]
        if owner_ix is not None:
            row.append(owner_ix[j])
        row += [group_ix[k][j] for k in groups]
        row += [num(float(r.score), 1), num(int(r.rank))]
        if prev_rank is not None:
            before = prev_rank[j]
            moved = int(before - r.rank) if np.isfinite(before) else None
            row.append(t("sel_new", lang) if moved is None else f"{moved:+,}" if moved else "0")
        row.append(reasons.get(lid[j], []))
        rows.append(row)
    tiers = listed["tier"].astype(str).to_numpy()
    full = sel["tier"].astype(str).value_counts()
    lists: dict[str, Any] = {}
    entries = []
    for i, tier in enumerate(x for x in order if x and full.get(x, 0)):
        key = f"sel-{i}"
        part = [rows[j] for j in np.flatnonzero(tiers == tier)]
        lists[key] = {"head": head, "kinds": kinds, "rows": part}
        total = int(full[tier])
        summary = (t("sel_tier_summary", lang, tier=labels.get(tier, tier), n=num(total)) if len(part) == total
                   else t("sel_tier_shown", lang, tier=labels.get(tier, tier), n=num(total), shown=num(len(part))))
        entries.append({"key": key, "summary": summary, "open": i == 0})
    reading = t("sel_reading", lang, n=num(len(sel)))
    if len(listed) < len(sel):
        reading += " " + t("sel_capped", lang, shown=num(len(listed)))
    out["sections"].append({"id": "selection", "title": t("sel_title", lang), "fig": None, "table": None,
                            "reading": reading, "lists": entries, "controls": True})

    if has_owner:
        shown = [x for x in order if x and full.get(x, 0)]
        by_owner = pd.crosstab(pd.Series(sel_owner, name="owner"), pd.Series(sel["tier"].astype(str).to_numpy(), name="tier"))
        warm_n = pd.Series(warm_owner).value_counts()
        table_rows = []
        for o in [*owners, *([""] if (sel_owner == "").any() or (warm_owner == "").any() else [])]:
            cells = [int(by_owner.loc[o, x]) if o in by_owner.index and x in by_owner.columns else 0 for x in shown]
            table_rows.append([o or t("people_no_owner", lang)] + [num(v) for v in cells] +
                              [num(sum(cells)), num(int(warm_n.get(o, 0)))])
        header = [t("people_owner", lang)] + [labels.get(x, x) for x in shown] + \
            [t("owner_selected", lang), t("owner_warm", lang)]
        owner_lists = []
        if warm_frame is not None:
            w = warm_frame.head(MAX_WARM)
            wid = w["customer_id"].astype(str).tolist()
            wnames = people.column(wid, "name")
            wown = people.column(wid, "owner")
            days_c = pd.to_numeric(w["days_since_contact"], errors="coerce").to_numpy(dtype=float)
            lists["warm"] = {
                "head": [t("people_id", lang), t("people_name", lang), t("people_owner", lang),
                         t("acct_potential", lang), t("acct_days_purchase", lang), t("acct_days_contact", lang)],
                "kinds": ["t", "t", "o", "n", "n", "n"],
                "rows": [[wid[j], wnames[j], pos.get(wown[j], -1), num(float(p), 1), num(float(d)),
                          num(float(days_c[j])) if np.isfinite(days_c[j]) else "–"]
                         for j, (p, d) in enumerate(zip(w["potential"], w["days_since_purchase"], strict=True))],
            }
            summary = t("owner_warm", lang) + " · " + (num(len(w)) if len(w) == len(warm_frame)
                                                      else f"{num(len(w))} / {num(len(warm_frame))}")
            owner_lists.append({"key": "warm", "summary": summary, "open": False})
        out["sections"].append({"id": "owners", "title": t("owner_title", lang), "fig": None,
                                "reading": sentences(lang, t("owner_reading", lang), warm_note),
                                "table": _table(header, table_rows),
                                "lists": owner_lists, "controls": False})

    out["owners"] = [{"value": i, "label": o} for i, o in enumerate(owners)]
    if has_owner and ((sel_owner == "").any() or (warm_owner == "").any()):
        out["owners"].append({"value": -1, "label": t("people_no_owner", lang)})
    field_words = public_words(std, lang)
    words = {k: t(f"sel_{k}", lang) for k in ("prev", "next", "page", "no_match")}
    words["no_owner"] = t("people_no_owner", lang)
    words["sep"] = t("list_sep", lang)
    out["json"] = script_json({"lists": lists, "owners": owners, "groups": groups,
                               "criteria": [public_title(c, lang, field_words) for c in crits],
                               "words": words, "page": PAGE_ROWS})
    out["words"] = {"search": t("sel_search", lang), "all_owners": t("sel_all_owners", lang),
                    "noscript": t("sel_noscript", lang)}
    out["has_owner"] = has_owner
    return out


def _backtest_section(bt: Any, lang: str, figures: list[tuple[str, Any]]) -> dict[str, Any]:
    """How the round's standard has performed: value captured by method over the cutoffs (the
    stored per-cutoff figures), the overall figures and the verdicts, a shortfall said first."""
    from xuanba.outputs.plots import value_captured
    from xuanba.rounds.backtest import verdict_lines

    figures.append(("fig-backtest", value_captured(bt, lang=lang)))
    o = bt.overall
    cols = [("revenue_captured", "bt_col_revenue"), ("profit_captured", "bt_col_profit"), ("lift", "bt_col_lift"),
            ("precision", "bt_col_precision"), ("top_tier_hit", "bt_col_top_tier"), ("stability", "bt_col_stability")]
    cols = [(c, k) for c, k in cols if o[c].notna().any()]
    rows = [[t(f"bt_method_{m}", lang), *(num(r[c], 2) if c == "lift" else pct(100 * r[c]) for c, _k in cols)]
            for m, r in o.iterrows()]
    cut = pd.to_datetime(bt.cutoffs["cutoff"])
    reading = t("bt_report_reading", lang, id=bt.backtest_id, created=str(bt.created_at or "")[:10],
                cutoffs=num(int(bt.cutoffs["cutoff"].nunique())), first=cut.min().date(), last=cut.max().date(),
                days=num(bt.horizon_days))
    words = verdict_lines(o, bt.judgements, lang)
    worse = [w for w, v in zip(words, bt.judgements["verdict"], strict=True) if v == "worse"]
    lines = [{"text": w, "warn": True} for w in worse] + [{"text": w, "warn": False} for w in words if w not in worse]
    return {"id": "backtest", "title": t("bt_report_title", lang), "fig": "fig-backtest", "reading": reading,
            "lines": lines, "table": _table([t("bt_col_method", lang), *(t(k, lang) for _c, k in cols)], rows)}


def _models_section(models: Mapping[str, Any], lang: str, warned: list[str]) -> dict[str, Any]:
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
    if warned:
        extra.append(t("models_warnings", lang, text=t("list_sep", lang).join(warning_words(w, lang) for w in warned)))
    header = [t(k, lang) for k in ("model_col", "param_col", "estimate_col", "stderr_col", "ci_col", "loglik_col")]
    return {"id": "models", "title": t("models_title", lang), "fig": None,
            "reading": t("models_reading", lang, n=num(n), extra=" ".join(extra)).strip(),
            "table": _table(header, rows, numeric_from=2)}


def _biggest_moves(changes: pd.DataFrame, *, up: bool) -> pd.DataFrame:
    """The :data:`TOP_MOVERS` customers ranked in both rounds who rose (or fell) most, ties by id.
    Only the rows at or past the cut are sorted, not the whole base."""
    change = (changes["rank_a"].to_numpy(dtype=float, na_value=np.nan)
              - changes["rank_b"].to_numpy(dtype=float, na_value=np.nan))
    gain = change if up else -change
    moved = np.flatnonzero(gain > 0)
    if len(moved) > TOP_MOVERS:
        cut = np.partition(gain[moved], len(moved) - TOP_MOVERS)[len(moved) - TOP_MOVERS]
        moved = moved[gain[moved] >= cut]
    part = changes.iloc[moved].assign(rank_change=change[moved].astype("int64"))
    return part.sort_values(["rank_change", "customer_id"], ascending=[not up, True]).head(TOP_MOVERS)


def _diff_sections(diff: Any, prev: str, cur: str, labels: Mapping[str, str], lang: str,
                   figures: list[tuple[str, Any]], people: People | None = None) -> list[dict[str, Any]]:
    ch = diff.changes
    people = people or People.of(None)
    status = ch["status"].value_counts()
    movers = pd.concat([_biggest_moves(ch, up=True), _biggest_moves(ch, up=False)])
    movers = movers.assign(label=people.labels(movers["customer_id"]),
                           owner=people.column(movers["customer_id"], "owner"))
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

    has_owner = "owner" in people.columns
    rows = [[str(r.label)] + ([r.owner] if has_owner else []) +
            [tier_label(r.tier_a), tier_label(r.tier_b), num(r.rank_a), num(r.rank_b),
             f"{int(r.rank_change):+,}", t(str(r.status), lang) if str(r.status) in ("entered", "left", "rose", "fell", "same") else str(r.status)]
            for r in movers.itertuples()]
    out.append({"id": "movers", "title": t("movers_title", lang, prev=prev), "fig": fig_id, "reading": reading,
                "table": _table([t("customer", lang)] + ([t("people_owner", lang)] if has_owner else []) +
                                [f"{t('tier', lang)} {prev}", f"{t('tier', lang)} {cur}",
                                 f"{t('rank', lang)} {prev}", f"{t('rank', lang)} {cur}", t("rank_change", lang),
                                 t("status", lang)], rows, numeric_from=4 if has_owner else 3)})
    mig = getattr(diff, "migration", None)
    if isinstance(mig, pd.DataFrame) and mig.size:
        # a tier empty in both rounds is a row and a column of zeros: left out
        keep = [x for x in mig.index if x in mig.columns and (mig.loc[x].sum() + mig[x].sum()) > 0]
        keep += [x for x in mig.index if x not in mig.columns]
        mig = mig.loc[[x for x in mig.index if x in keep],
                      [x for x in mig.columns if x not in mig.index or x in keep]].copy()
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
    import dataclasses

    from xuanba.rounds import load_round, previous_round, resolve_round_id
    from xuanba.rounds.diff import diff_loaded
    from xuanba.rounds.store import load_backtest, load_contributions
    from xuanba.rounds.summary import VALUE_FIELDS
    from xuanba.workspace import open_workspace

    check_lang(lang)
    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_id)
        rnd = load_round(ws, rid, fields=(*VALUE_FIELDS, "cost_to_serve_365d", *PERSON_FIELDS, *OWNER_ALIASES),
                         contributions=False)
        # the strongest criteria of the customers the report lists, not every customer's rows
        listed = rnd.roster.loc[rnd.roster["selected"].astype(bool), "rank"].nsmallest(MAX_LISTED)
        if len(listed):
            rnd = dataclasses.replace(rnd, contributions=load_contributions(ws, rid, max_rank=int(listed.max())))
        prev = previous_round(ws, rid)
        before = load_round(ws, prev, fields=False, contributions=False) if prev is not None else None
        sha = rnd.meta.get("standard_sha256")
        bt = load_backtest(ws, standard_sha256=str(sha)) if sha else None
    diff = diff_loaded(before, rnd) if before is not None else None
    html = build_report(rnd, lang=lang, diff=diff, previous_id=prev, backtest=bt, backtest_hint=True)
    out = Path(path) if path is not None else Path(f"report-{rid}-{lang}.html")
    return write_text_atomic(out, html)  # the previous report stays whole if this fails
