"""Backtest a standard: at past cutoffs, did the customers it selected turn out to be the valuable ones?

At each cutoff the standard is applied exactly as a round would apply it (the same fields,
gathered from the data up to the cutoff, and the same scoring), nothing is stored, and the
selection is measured against what customers did in the horizon after the cutoff. The same
measures are taken, under the same capacity (as many customers as the standard selected), for
simple baselines: last-year revenue top-N, RFM score top-N, predicted value (``clv_1y``) top-N and
random draws (mean and 90% band).

Measures (per cutoff and method; the base is every customer with a purchase by the cutoff):

* ``revenue_captured`` / ``profit_captured``: the selected customers' share of the base's revenue
  (profit: revenue less known cost) in the horizon; ``lift``: revenue captured over the
  selection's share of customers (1 = no better than its size);
* ``precision``: the share of the selected who are among the horizon's top-N customers by
  revenue (N = the number selected; a customer who bought nothing is never a hit);
  ``top_tier_hit``: the same for the top tier (the first K of a baseline's list, K = the top
  tier's size);
* ``retention_selected`` / ``retention_rest``: the share who bought again in the horizon;
* ``stability``: the share of the previous cutoff's list still selected.

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> ws = Workspace(":memory:")
>>> ws.replace("transactions", pd.DataFrame({
...     "customer_id": ["a", "a", "b", "c", "a", "c"],
...     "ts": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-02-10", "2025-03-01", "2025-05-01", "2025-05-02"]),
...     "amount": [50.0, 50.0, 5.0, 20.0, 80.0, 10.0]}))
>>> s = ('[standard]\\nname = "r"\\nversion = "1"\\n[[criteria]]\\nname = "revenue"\\n'
...      'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n')
>>> bt = backtest(ws, s, "2025-03-01", "2025-03-31", horizon="90d", baselines=("revenue", "random"))
>>> bt.selections[dt.date(2025, 3, 31)], float(bt.overall.loc["standard", "revenue_captured"])
(['a'], 0.888889)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba._dates import parse_horizon
from xuanba.errors import DataError, InputError, Listed, Phrase, XuanbaError
from xuanba.rounds.extra_names import checked_extra_fields, criteria_numbers, extra_field_names
from xuanba.rounds.replay import replay_cutoffs
from xuanba.rounds.run import (
    Progress,
    _predict,
    applied_standard,
    as_standard,
    customer_attributes,
    fallback_standard,
    gather_fields,
)
from xuanba.standard.apply import select
from xuanba.standard.schema import Standard
from xuanba.workspace import Workspace, open_workspace

BASELINES: tuple[str, ...] = ("revenue", "rfm", "clv", "random")
"""The baselines a backtest can compare with, under the standard's capacity."""

BASELINE_FIELDS = {"revenue": "revenue_365d", "rfm": "rfm_score", "clv": "clv_1y"}
"""The field each ranked baseline takes its top-N by (ties: the revenue of the last year, then id)."""

MEASURES: tuple[str, ...] = ("revenue_captured", "profit_captured", "customer_share", "lift", "precision",
                             "top_tier_hit", "retention_selected", "retention_rest", "stability")
"""The measures of a selection, in the order the tables show them."""

COLUMNS: tuple[str, ...] = ("cutoff", "method", "horizon_days", "complete", "customers", "selected",
                            "top_tier", *MEASURES, "revenue_captured_lo", "revenue_captured_hi")
"""Columns of :attr:`Backtest.cutoffs` (the band columns are filled for ``random`` only)."""

DECIMALS = 6

LEVEL = 0.01
"""A standard ahead of a baseline by less than this share of the horizon's revenue (one percentage
point) is called level with it, not better."""


@dataclass
class Backtest:
    """What :func:`backtest` measured.

    ``cutoffs``: one row per cutoff and method (:data:`COLUMNS`); ``overall``: one row per
    method (the mean over the cutoffs whose horizon is complete, or over all when none is),
    indexed by method; ``verdicts``: plain sentences comparing the standard with each baseline;
    ``selections``: the customer ids the standard selected at each cutoff, in rank order;
    ``notes``: what was left out and why; ``fairness``: per cutoff, the standard's selection by
    owner, region and segment (when the data have them) beside each group's share of the base and
    of the horizon's revenue (:func:`~xuanba.rounds.fairness.fairness_table`); ``judgements``: per
    baseline, the verdict (``worse``, ``level``, ``better``, ``like_random``) and at how many of
    the compared cutoffs the standard was behind, what ``verdicts`` say in words
    (:func:`verdict_lines` says them in either language). ``backtest_id`` and ``created_at`` are
    set once it is stored (:func:`~xuanba.rounds.store.save_backtest`).
    """

    standard: Standard
    horizon_days: int
    cutoffs: pd.DataFrame
    overall: pd.DataFrame
    verdicts: list[str] = field(default_factory=list)
    selections: dict[dt.date, list[str]] = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)
    fairness: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    judgements: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    backtest_id: int | None = None
    created_at: str | None = None

    def worse_than(self) -> list[str]:
        """The baselines whose mean revenue captured beat the standard's (``random``: its mean)."""
        o = self.overall
        if "standard" not in o.index:
            return []
        own = o.loc["standard", "revenue_captured"]
        return [m for m in o.index if m != "standard" and o.loc[m, "revenue_captured"] > own + 1e-12]


def _outcomes(ws: Workspace, cutoff: dt.date, end: dt.date) -> pd.DataFrame:
    """Revenue, profit (revenue less known cost; NaN when no line had a cost) and purchase days of
    every customer in (cutoff, end]."""
    return outcomes_by_cutoff(ws, [(cutoff, end)])[cutoff]


def outcomes_by_cutoff(ws: Workspace, windows: Sequence[tuple[dt.date, dt.date]]) -> dict[dt.date, pd.DataFrame]:
    """What :func:`_outcomes` gives for every window ``(cutoff, end]`` at once: one pass of the
    engine over the transactions (the windows of quarterly cutoffs and a year's horizon overlap
    four times over), split by cutoff afterwards."""
    import ibis
    import pyarrow as pa

    from xuanba.facts.expressions import purchase_days

    if not windows:
        return {}
    days = purchase_days(ws.table("transactions"), max(e for _, e in windows), start=min(c for c, _ in windows))
    spans = ibis.memtable(pa.table({"window_cut": pa.array([c for c, _ in windows], pa.date32()),
                                    "window_end": pa.array([e for _, e in windows], pa.date32())}))
    j = days.join(spans, (days.day > spans.window_cut) & (days.day <= spans.window_end))
    agg = j.group_by(["window_cut", "customer_id"]).aggregate(
        revenue=j.spend.sum(),
        profit=(j.costed_spend - j.cost).sum(),
        has_cost=j.has_cost.any(),
        purchases=j.is_purchase.cast("int64").sum(),
    )
    out = ws.ibis.to_pyarrow(agg).to_pandas()
    out["customer_id"] = out["customer_id"].astype(str)
    cuts = pd.to_datetime(out.pop("window_cut")).dt.date
    parts = {c: g.reset_index(drop=True) for c, g in out.groupby(cuts.to_numpy(), sort=False)}
    empty = out.iloc[:0].reset_index(drop=True)
    return {c: parts.get(c, empty) for c, _ in windows}


def _last_day(ws: Workspace) -> dt.date:
    last = ws.sql("SELECT max(ts) AS last FROM transactions")["last"].iloc[0]
    if pd.isna(last):
        raise DataError(Phrase("err_no_transactions"), fix=Phrase("err_no_transactions_fix"))
    return pd.Timestamp(last).date()


def _top(values: np.ndarray, tie: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest ``values`` (missing last), ties by ``tie`` (larger first),
    then by position (the table is sorted by customer id).

    Only the rows that can be among them are sorted: those above the ``n``-th largest value and
    every row equal to it (the same order as sorting all rows, at a small ``n``'s cost).

    >>> _top(np.array([1.0, 3.0, np.nan, 3.0, 2.0]), np.array([0.0, 1.0, 9.0, 2.0, 0.0]), 3).tolist()
    [3, 1, 4]
    """
    v = np.where(np.isnan(values), -np.inf, values)
    t = np.where(np.isnan(tie), -np.inf, tie)
    if 0 < n < len(v):
        bar = np.partition(v, len(v) - n)[len(v) - n]  # the n-th largest value
        rows = np.flatnonzero(v >= bar)
    else:
        rows = np.arange(len(v))
    return rows[np.lexsort((rows, -t[rows], -v[rows]))][:n]


@dataclass
class _Truth:
    """What happened in the horizon, per customer of the base (in the base's order), with the
    totals every selection is measured against (summed once, not once per random draw)."""

    revenue: np.ndarray
    profit: np.ndarray
    bought: np.ndarray
    future_rank: np.ndarray  # 0 = the best customer of the horizon by revenue

    def __post_init__(self) -> None:
        self.revenue_total = _total(self.revenue)
        self.profit_total = _total(self.profit)
        self.bought_total = int(self.bought.sum())

    def hits(self, sel: np.ndarray, n: int) -> float:
        if len(sel) == 0:
            return float("nan")
        return float(np.mean((self.future_rank[sel] < n) & (self.revenue[sel] > 0)))


def _total(values: np.ndarray) -> float:
    """The sum a share is taken of; NaN when no value is known or they sum to nothing."""
    total = float(np.nansum(values))
    return float("nan") if np.isnan(values).all() or total == 0 else total


def _share(values: np.ndarray, sel: np.ndarray, total: float | None = None) -> float:
    total = _total(values) if total is None else total
    if np.isnan(total):
        return float("nan")
    return float(np.nansum(values[sel]) / total)


def _measure(sel: np.ndarray, k_top: int, truth: _Truth, kept_before: float) -> dict[str, float]:
    """The measures of one selection (positions in rank order); ``kept_before``: how many of the
    previous cutoff's list it holds, over that list's size (NaN at the first cutoff)."""
    return {k: float(v[0]) for k, v in _measure_many(sel[None, :], k_top, truth, np.array([kept_before])).items()}


def _measure_many(sel: np.ndarray, k_top: int, truth: _Truth, stability: np.ndarray) -> dict[str, np.ndarray]:
    """The measures of many selections of one size at once (one row of positions each, in rank
    order): what 200 random draws need without a loop over them."""
    draws, size = sel.shape
    n_all = len(truth.revenue)
    share = size / n_all
    nan = np.full(draws, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rev = np.nansum(truth.revenue[sel], axis=1) / truth.revenue_total
        profit = np.nansum(truth.profit[sel], axis=1) / truth.profit_total
        kept = truth.bought[sel].sum(axis=1)
        hits = (truth.future_rank[sel] < size) & (truth.revenue[sel] > 0)
        top = sel[:, :k_top]
        top_hits = (truth.future_rank[top] < k_top) & (truth.revenue[top] > 0)
        return {
            "revenue_captured": rev,
            "profit_captured": profit,
            "customer_share": np.full(draws, share),
            "lift": rev / share if share > 0 else nan,
            "precision": hits.mean(axis=1) if size else nan,
            "top_tier_hit": top_hits.mean(axis=1) if k_top else nan,
            "retention_selected": kept / size if size else nan,
            "retention_rest": (truth.bought_total - kept) / (n_all - size) if n_all > size else nan,
            "stability": np.asarray(stability, dtype=float),
        }


def _stability(index: pd.Index, sel: np.ndarray, before: np.ndarray | None) -> np.ndarray:
    """Per row of ``sel`` (positions into ``index``, the base's customer ids), the share of the
    same row of ``before`` (the previous cutoff's lists, as customer ids) selected again; NaN
    without one. Compared by id: customers first seen later move the positions of the base."""
    if before is None or before.shape[1] == 0:
        return np.full(sel.shape[0], np.nan)
    prev = index.get_indexer(before.ravel()).reshape(before.shape)  # -1: not in this base (never)
    n = len(index) + 1
    rows_prev = np.arange(before.shape[0])[:, None] * n + (prev + 1)
    rows_now = np.arange(sel.shape[0])[:, None] * n + (sel + 1)
    again = np.isin(rows_prev.ravel(), rows_now.ravel()).reshape(before.shape)
    return again.sum(axis=1) / before.shape[1]


def _clv(ws: Workspace, fields: pd.DataFrame, std: Standard, cut: dt.date,
         time_unit: str) -> tuple[np.ndarray | None, str | None]:
    """``clv_1y`` of every customer: the round's own prediction when it has one, else the
    standard's model (or ``auto``'s choice) fitted on the facts at the cutoff (the reason when
    none can be)."""
    if "clv_1y" in fields.columns and pd.to_numeric(fields["clv_1y"], errors="coerce").notna().any():
        return pd.to_numeric(fields["clv_1y"], errors="coerce").to_numpy(dtype=float, na_value=np.nan), None
    try:
        table, _models, info = _predict(ws, fields, std, cut, time_unit)
        if info["model"] is None or "clv_1y" in info["unavailable"]:
            return None, info["reason"] or "no model could give a predicted value"
    except XuanbaError as exc:
        return None, exc.message
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    table["customer_id"] = table["customer_id"].astype(str)
    clv = table.set_index("customer_id")["clv_1y"].reindex(fields["customer_id"])
    return clv.to_numpy(dtype=float, na_value=np.nan), None


def facts_read(std: Standard) -> list[str]:
    """The facts a backtest of ``std`` reads at a cutoff, in :data:`~xuanba.facts.FACT_COLUMNS`
    order: the histories the models fit on, the fields the standard uses and those the baselines
    rank by. Only these are computed (the same values as a round's, which computes them all)."""
    from xuanba.facts import FACT_COLUMNS
    from xuanba.models.predict import NEEDED

    wanted = {*NEEDED, *std.fields_used(), *read_by(std), *BASELINE_FIELDS.values()}
    return [c for c in FACT_COLUMNS if c in wanted and c != "customer_id"]


def facts_at(source: Any, std: Standard, cut: dt.date, time_unit: str) -> pd.DataFrame:
    """The facts a backtest of ``std`` reads at ``cut`` (:func:`facts_read`), from ``source`` (a
    workspace, or its transactions on a connection of their own, see :func:`_facts_ahead`)."""
    from xuanba.facts import customer_facts

    return customer_facts(source, cut, time_unit=time_unit, columns=facts_read(std))  # type: ignore[arg-type]


def cutoff_data(ws: Workspace, std: Standard, cut: dt.date, end: dt.date, *, time_unit: str = "week",
                predictions: pd.DataFrame | None = None, extra_fields: pd.DataFrame | None = None,
                warm: dict[str, Any] | None = None, outcomes: pd.DataFrame | None = None,
                facts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, _Truth, dict[str, Any] | None]:
    """The fields a round would score at ``cut`` (sorted by customer id), what each of those
    customers did in (cut, end], and the fallback a round would apply there (``None``: none; see
    :func:`xuanba.rounds.run.applied_standard` and :func:`scored_by`). ``warm`` carries the
    models' estimates from one cutoff to the next (see :func:`xuanba.rounds.run.gather_fields`);
    ``outcomes``: the window's row of :func:`outcomes_by_cutoff`, when read already; ``facts``:
    :func:`facts_at` at ``cut``, when read already (else read here)."""
    if facts is None:
        facts = facts_at(ws, std, cut, time_unit)
    fields, notes = gather_fields(ws, std, cut, time_unit=time_unit, predictions=predictions,
                                  extra_fields=extra_fields, warm=warm, facts=facts)
    _scoring, fallback = applied_standard(std, notes, cut)  # the fields are steady already (gather_fields)
    if not fields["customer_id"].is_monotonic_increasing:
        fields = fields.sort_values("customer_id", kind="stable")
    fields = fields.reset_index(drop=True)
    index = pd.Index(fields["customer_id"].to_numpy(dtype=object))
    out = _outcomes(ws, cut, end) if outcomes is None else outcomes
    pos = index.get_indexer(out["customer_id"].to_numpy(dtype=object))
    keep = pos >= 0  # customers first seen after the cutoff are not in the base
    n = len(index)
    revenue = np.zeros(n)
    revenue[pos[keep]] = out["revenue"].to_numpy(dtype=float, na_value=0.0)[keep]
    has_cost = bool(out["has_cost"].fillna(False).any())
    profit = np.full(n, np.nan)
    if has_cost:
        profit = np.zeros(n)
        profit[pos[keep]] = out["profit"].to_numpy(dtype=float, na_value=0.0)[keep]
    bought = np.zeros(n, dtype=bool)
    bought[pos[keep]] = out["purchases"].to_numpy(dtype=float, na_value=0.0)[keep] > 0
    order = np.lexsort((np.arange(n), -revenue))
    future_rank = np.empty(n, dtype=np.int64)
    future_rank[order] = np.arange(n)
    return fields, _Truth(revenue, profit, bought, future_rank), fallback


def scored_by(std: Standard, fallback: dict[str, Any] | None) -> Standard:
    """``std`` (or a variant of it, e.g. re-weighted by a tune) as a round applies it at a cutoff
    whose ``fallback`` dropped the criteria and gates needing predictions no model could give."""
    return std if not fallback else fallback_standard(std, set(fallback["unavailable"]))[0]


def read_by(std: Standard) -> list[str]:
    """The fields scoring by ``std`` reads (criteria, gates, tie-break, capacity), sorted."""
    from xuanba.standard.expressions import fields_read

    names: set[str] = {f for f, _ in std.tie_break.sort_keys()}
    for expr in [*(c.field for c in std.criteria), *(g.expr for g in std.gates)]:
        names |= fields_read(expr)
    names |= {f for f in (std.capacity.cost_field, std.capacity.objective) if f and f != "score"}
    return sorted(names - {"customer_id"})


def selection(fields: pd.DataFrame, std: Standard) -> tuple[np.ndarray, int]:
    """The standard's selection on ``fields`` (sorted by customer id): positions in rank order
    and the size of the top tier, applied as a round applies it
    (:func:`xuanba.standard.apply.select`); only the columns the standard reads go to the engine."""
    return select(fields[["customer_id", *(c for c in read_by(std) if c in fields.columns)]], std)


def _cutoff_rows(ws: Workspace, std: Standard, cut: dt.date, end: dt.date, last: dt.date, horizon: int,
                 time_unit: str, predictions: pd.DataFrame | None, extra_fields: pd.DataFrame | None,
                 baselines: Sequence[str], draws: int, seed: int, prev: dict[str, Any], notes: list[str],
                 warm: dict[str, Any] | None = None, outcomes: pd.DataFrame | None = None,
                 facts: pd.DataFrame | None = None,
                 ) -> tuple[list[dict[str, Any]], list[str], pd.DataFrame | None]:
    """The rows of one cutoff, and the standard's selection (ids in rank order)."""
    fields, truth, fallback = cutoff_data(ws, std, cut, end, time_unit=time_unit, predictions=predictions,
                                          extra_fields=extra_fields, warm=warm, outcomes=outcomes, facts=facts)
    ids = fields["customer_id"].to_numpy(dtype=object)
    index = pd.Index(ids)  # hashed once for every method's stability
    n = len(ids)
    if fallback:
        notes.append(f"{cut}: no usable model ({fallback['reason']}); scored without "
                     f"{', '.join([*fallback.get('criteria', []), *fallback.get('gates', [])])}, as a round would")
    sel_std, k_top = selection(fields, scored_by(std, fallback))

    days = (min(end, last) - cut).days
    base = {"cutoff": cut, "horizon_days": days, "complete": end <= last, "customers": n}
    n_sel = len(sel_std)
    rows = []

    def row(method: str, sel: np.ndarray, k: int, **more: Any) -> None:
        measures = _measure(sel, k, truth, float(_stability(index, sel[None, :], prev.get(method))[0]))
        prev[method] = ids[sel][None, :]
        rows.append({**base, "method": method, "selected": len(sel), "top_tier": k, **measures, **more})

    row("standard", sel_std, k_top)
    if n_sel == 0:
        notes.append(f"{cut}: the standard selected nobody; no baseline is drawn")
        return rows, [], None
    tie = pd.to_numeric(fields.get("revenue_365d"), errors="coerce")
    tie_v = tie.to_numpy(dtype=float, na_value=np.nan) if tie is not None else np.zeros(n)
    for b in baselines:
        if b == "random":
            continue
        if b == "clv":
            values, why = _clv(ws, fields, std, cut, time_unit)
            if values is None:
                notes.append(f"{cut}: no predicted-value baseline ({why})")
                continue
        else:
            col = BASELINE_FIELDS[b]
            values = pd.to_numeric(fields[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        row(b, _top(values, tie_v, n_sel), k_top)
    if "random" in baselines and draws > 0:
        rng = np.random.default_rng([seed, cut.toordinal()])
        drawn = np.stack([rng.choice(n, size=n_sel, replace=False) for _ in range(draws)])
        got = _measure_many(drawn, k_top, truth, _stability(index, drawn, prev.get("random")))
        prev["random"] = ids[drawn]
        rev = got["revenue_captured"]
        rows.append({**base, "method": "random", "selected": n_sel, "top_tier": k_top,
                     **{k: float(np.mean(got[k])) for k in MEASURES},
                     "revenue_captured_lo": float(np.nanquantile(rev, 0.05)) if not np.isnan(rev).all() else np.nan,
                     "revenue_captured_hi": float(np.nanquantile(rev, 0.95)) if not np.isnan(rev).all() else np.nan})
    fair = _fairness(fields, sel_std, truth, cut)
    return rows, [str(i) for i in ids[sel_std]], fair


def backtest(
    workspace: Workspace | str | Path,
    standard: Standard | str | Path,
    start: dt.date | str,
    end: dt.date | str,
    *,
    every: str = "quarter",
    horizon: str | int = "365d",
    time_unit: str = "week",
    predictions: Callable[[dt.date], pd.DataFrame] | None = None,
    extra_fields: pd.DataFrame | None = None,
    baselines: Sequence[str] = BASELINES,
    draws: int = 200,
    seed: int = 0,
    progress: Progress | None = None,
    store: bool = False,
    warm_start: bool = True,
) -> Backtest:
    """Apply ``standard`` at every period end from ``start`` to ``end`` and measure its selection
    against the horizon that followed, beside the baselines under the same capacity.

    Nothing after a cutoff is read to select at that cutoff (facts, predictions and account
    fields are as of the cutoff; ``extra_fields`` are taken as given, so pass only what was
    known then). Nothing is stored unless ``store`` is true. A cutoff whose horizon runs past the data is measured on the
    days there are (``complete`` false, ``horizon_days`` shorter) and left out of ``overall``
    unless no cutoff is complete.

    Parameters
    ----------
    workspace
        A workspace (or its path) holding the transactions.
    standard
        A :class:`~xuanba.standard.Standard`, a ``.toml`` path or TOML text.
    start, end, every
        The cutoffs: every month, quarter or year end between ``start`` and ``end``.
    horizon
        How long after each cutoff to measure: ``"365d"``, ``"26w"``, ``"1y"`` or days.
    predictions
        A function of the cutoff returning a predictions table (else the standard's model is
        fitted at each cutoff when the standard or the ``clv`` baseline needs it).
    baselines
        Any of :data:`BASELINES`.
    draws, seed
        Random selections per cutoff for the ``random`` baseline, and their seed.
    store
        Also keep the result in the workspace (:func:`~xuanba.rounds.store.save_backtest`), where the report of a
        round of the same standard shows it.
    warm_start
        Start each cutoff's model fits from the estimates at the previous cutoff (the same optima
        to the optimiser's tolerance, in fewer steps; nothing after a cutoff is used); ``False``
        fits every cutoff from the models' own starting guesses, as a round does.

    Returns
    -------
    Backtest

    Examples
    --------
    >>> bt = backtest("shop.duckdb", "standard.toml", "2024-01-01", "2025-06-30")  # doctest: +SKIP
    >>> bt.overall[["revenue_captured", "lift", "precision"]]                     # doctest: +SKIP
    """
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise InputError(Phrase("err_unknown_baselines", names=Listed(unknown)),
                         fix=Phrase("err_use_any_of", names=Listed(BASELINES)))
    days = parse_horizon(horizon)
    cutoffs = replay_cutoffs(start, end, every)
    extra_fields = checked_extra_fields(extra_fields)  # names checked before any is used
    extras = extra_field_names(extra_fields)
    people = customer_attributes(workspace)
    std = as_standard(standard, extras, people)
    criteria_numbers(extra_fields, std)  # before any work
    say = progress or (lambda _msg: None)
    rows: list[dict[str, Any]] = []
    selections: dict[dt.date, list[str]] = {}
    notes: list[str] = []
    prev: dict[str, Any] = {}
    fairness: list[pd.DataFrame] = []
    warm: dict[str, Any] | None = {} if warm_start else None
    with open_workspace(workspace, read_only=True) as ws:
        last = _last_day(ws)
        measured = [c for c in cutoffs if c < last]
        say("what followed each cutoff")
        after = outcomes_by_cutoff(ws, [(c, c + dt.timedelta(days=days)) for c in measured])
        stream = _facts_ahead(ws, std, measured, time_unit)
        try:
            for cut, facts in stream:
                say(f"backtest at {cut}")
                preds = predictions(cut) if predictions is not None else None
                got, chosen, fair = _cutoff_rows(ws, std, cut, cut + dt.timedelta(days=days), last, days,
                                                 time_unit, preds, extra_fields, baselines, draws, seed, prev,
                                                 notes, warm, after[cut], facts())
                rows.extend(got)
                selections[cut] = chosen
                if fair is not None:
                    fairness.append(fair)
        finally:
            stream.close()  # the thread reading ahead ends before the workspace closes
        notes.extend(f"{cut}: no data after this cutoff; left out" for cut in cutoffs if cut >= last)
    if not rows:
        raise DataError(Phrase("err_backtest_no_cutoff", start=str(start), end=str(end)),
                        fix=Phrase("err_backtest_no_cutoff_fix"))
    table = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    table = table[list(COLUMNS)]
    floats = [*MEASURES, "revenue_captured_lo", "revenue_captured_hi"]
    table[floats] = table[floats].astype(float).round(DECIMALS)
    overall = _overall(table)
    fair = pd.concat(fairness, ignore_index=True) if fairness else pd.DataFrame()
    judged = _judge(table, overall)
    bt = Backtest(std, days, table, overall, verdict_lines(overall, judged, std.lang), selections, notes, fair,
                  judged)
    if store:
        from xuanba.rounds.store import save_backtest

        with open_workspace(workspace) as ws:
            save_backtest(ws, bt, every=every, extra_fields=extras, customer_fields=people)
    return bt


def _facts_ahead(ws: Workspace, std: Standard, cutoffs: Sequence[dt.date],
                 time_unit: str) -> Iterator[tuple[dt.date, Callable[[], pd.DataFrame]]]:
    """Each cutoff with a call that gives its facts (:func:`facts_at`); the next cutoff's are read
    in a thread, on a connection of its own, while the caller works on this one (the engine's
    work beside the models' fits: the two cores). Nothing after a cutoff is read for it."""
    from concurrent.futures import ThreadPoolExecutor

    if len(cutoffs) < 2:
        for cut in cutoffs:
            yield cut, lambda cut=cut: facts_at(ws, std, cut, time_unit)  # type: ignore[misc]
        return
    ws.table("transactions")  # the workspace's own check of the table, in this thread
    with ws.reader() as other, ThreadPoolExecutor(max_workers=1) as pool:  # leaving waits for the thread
        tx = other.table("transactions")
        ahead = pool.submit(facts_at, tx, std, cutoffs[0], time_unit)
        for i, cut in enumerate(cutoffs):
            now = ahead
            if i + 1 < len(cutoffs):
                ahead = pool.submit(facts_at, tx, std, cutoffs[i + 1], time_unit)
            yield cut, now.result


def _fairness(fields: pd.DataFrame, sel: np.ndarray, truth: _Truth, cut: dt.date) -> pd.DataFrame | None:
    from xuanba.rounds.fairness import ATTRIBUTES, fairness_table

    attrs = [a for a in ATTRIBUTES if a in fields.columns]
    if not attrs:
        return None
    mask = np.zeros(len(fields), dtype=bool)
    mask[sel] = True
    parts = [fairness_table(fields[a], mask, truth.revenue, attribute=a) for a in attrs]
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "cutoff", cut)
    return out


def _overall(table: pd.DataFrame) -> pd.DataFrame:
    used = table.loc[table["complete"]] if table["complete"].any() else table
    methods = list(dict.fromkeys(used["method"]))
    agg = used.groupby("method", sort=False)[[*MEASURES, "revenue_captured_lo", "revenue_captured_hi"]].mean()
    agg.insert(0, "cutoffs", used.groupby("method", sort=False).size())
    return agg.loc[methods].round(DECIMALS)


JUDGEMENT_COLUMNS: tuple[str, ...] = ("verdict", "behind", "compared")
"""Columns of :attr:`Backtest.judgements` (indexed by baseline)."""


def _judge(table: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """Per baseline, on mean revenue captured: the standard ``worse`` (any shortfall), ``level``
    (ahead by less than :data:`LEVEL`), ``better``, or ``like_random`` (inside the band of random
    draws); with the cutoffs it was behind at out of those compared."""
    rows: list[dict[str, Any]] = []
    if "standard" in overall.index:
        used = table.loc[table["complete"]] if table["complete"].any() else table
        own = used.loc[used["method"] == "standard"].set_index("cutoff")["revenue_captured"]
        mine = float(overall.loc["standard", "revenue_captured"])
        for method in overall.index:
            theirs = float(overall.loc[method, "revenue_captured"])
            if method == "standard" or np.isnan(mine) or np.isnan(theirs):
                continue
            other = used.loc[used["method"] == method].set_index("cutoff")["revenue_captured"]
            both = own.index.intersection(other.index)
            behind = int((own[both] < other[both] - 1e-12).sum())
            if method == "random" and _inside(mine, overall.loc["random"]):
                kind = "like_random"
            elif mine < theirs - 1e-12:
                kind = "worse"
            elif mine < theirs + LEVEL:
                kind = "level"
            else:
                kind = "better"
            rows.append({"method": method, "verdict": kind, "behind": behind, "compared": len(both)})
    return pd.DataFrame(rows, columns=["method", *JUDGEMENT_COLUMNS]).set_index("method")


def verdict_lines(overall: pd.DataFrame, judgements: pd.DataFrame, lang: str) -> list[str]:
    """The verdicts in words (one sentence per baseline), from the overall figures and the
    judgements, in ``lang``; a shortfall starts with WORSE (不如).

    Example
    -------
    >>> o = pd.DataFrame({"revenue_captured": [0.4, 0.5]}, index=["standard", "revenue"])
    >>> j = pd.DataFrame({"verdict": ["worse"], "behind": [3], "compared": [4]}, index=["revenue"])
    >>> verdict_lines(o, j, "en")[0][:34]
    'WORSE than last-year revenue top-N'
    """
    from xuanba.i18n import t

    if "standard" not in overall.index:
        return []
    mine = float(overall.loc["standard", "revenue_captured"])
    out = []
    for method, j in judgements.iterrows():
        kw = {"method": t(f"bt_method_{method}", lang), "own": 100 * mine,
              "theirs": 100 * float(overall.loc[method, "revenue_captured"]),
              "behind": int(j["behind"]), "n": int(j["compared"])}
        if j["verdict"] == "like_random":
            kw.update(lo=100 * float(overall.loc[method, "revenue_captured_lo"]),
                      hi=100 * float(overall.loc[method, "revenue_captured_hi"]))
        out.append(t(f"bt_{j['verdict']}", lang, **kw))
    return out


def _inside(value: float, random: pd.Series) -> bool:
    """Whether ``value`` lies within the 90% band of the random draws."""
    lo, hi = float(random["revenue_captured_lo"]), float(random["revenue_captured_hi"])
    return lo - 1e-12 <= value <= hi + 1e-12
