"""Customer facts written once as Ibis table expressions.

Nothing here touches an engine: every function takes an Ibis table of canonical transactions
(``customer_id``, ``ts``, ``amount``, optional ``cost``, ``is_return``) and returns an Ibis
expression, so DuckDB (the workspace) and Spark run the very same code.

Conventions (those of the published customer-base analyses, e.g. Fader, Hardie & Lee 2005):

* A **purchase occasion** is a calendar day on which the customer bought something (a day with
  at least one line that is not a return); all purchases of one day merge into one occasion.
  With ``merge="period"`` occasions are merged per time unit instead (one per week, say).
* ``frequency`` = occasions − 1 (repeat purchases only); ``recency`` = time from the first to the
  last occasion; ``T`` = time from the first occasion to the cutoff; ``monetary_value`` = mean
  spend of the repeat occasions (0 when there are none). Time is in days, weeks (7 days) or months
  (30.4375 days) as asked; a day's spend is the net of everything that day, returns included.
* Returns on other days lower the revenue and margin windows (they are netted), not the
  purchase counts. A customer whose every line up to the cutoff is a return has bought nothing
  in the period and has no row.
* RFM scores are quintiles 1..5 computed as ``1 + floor(5 * percent_rank)`` (capped at 5), where
  ties share the percent rank of their lowest member: equal values always get equal scores.
  R ranks the days since the last purchase (fewer is better), F the number of orders, M the total
  revenue. They are found from each value's *cuts* (:func:`rfm_cuts`: the lowest value that
  scores 2, 3, 4, 5, from a count per distinct value), not from a window over every customer,
  which would carry all the facts through three sorts (at 10 M customers most of the facts'
  memory); :func:`with_rfm` then compares each value with its cuts.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import ibis
import ibis.expr.types as ir

from xuanba._dates import DAYS_PER_UNIT, TimeUnit, check_unit
from xuanba._dates import as_date as _as_date
from xuanba.facts.compiled import at, scope

Merge = Literal["day", "period"]
#: Decimals sums of money are rounded to before they are divided (see customer_facts_expr).
MONEY_DECIMALS = 6
_MONEY_SUMS = ("occasion_spend", "first_spend", "revenue_total", "revenue_90d", "revenue_365d", "revenue_prev_365d",
               "margin_total", "margin_90d", "margin_365d")


def purchase_days(tx: ir.Table, cutoff: dt.date | str, *, start: dt.date | str | None = None) -> ir.Table:
    """One row per customer and calendar day up to ``cutoff`` (inclusive).

    Columns: ``customer_id``, ``day``, ``spend`` (net amount of the day), ``cost`` (NULL-safe sum
    of known costs), ``has_cost``, ``is_purchase`` (a non-return line that day), ``orders``
    (non-return lines that day).
    """
    cutoff_d = _as_date(cutoff)
    day = tx.ts.date()
    cond = day <= at("cutoff", cutoff_d)
    if start is not None:
        cond &= day > at("start", _as_date(start))
    t = tx.filter(cond).mutate(day=day)
    is_ret = t.is_return.fill_null(False) if "is_return" in t.columns else ibis.literal(False)
    t = t.mutate(_ret=is_ret)
    has_cost_col = "cost" in t.columns
    aggs = {
        "spend": t.amount.cast("float64").sum(),
        "orders": (~t._ret).cast("int64").sum(),
        "cost": t.cost.cast("float64").sum() if has_cost_col else ibis.null("float64"),
        "has_cost": t.cost.notnull().any() if has_cost_col else ibis.literal(False),
        "costed_spend": (
            t.amount.cast("float64").sum(where=t.cost.notnull()) if has_cost_col else ibis.null("float64")
        ),
    }
    days = t.group_by(["customer_id", "day"]).aggregate(**aggs)
    return days.mutate(is_purchase=days.orders > 0)


def _days_between(later: ir.Value, earlier: ir.Value) -> ir.Value:
    return later.delta(earlier, unit="day").cast("float64")


def _history(first: ir.Value, last: ir.Value, occasions: ir.Value, when: dt.date, unit: float,
             name: str = "cutoff") -> dict[str, ir.Value]:
    """``frequency``, ``recency`` and ``T`` at ``when`` (the date :func:`at` calls ``name``) of a
    customer whose purchase occasions up to ``when`` are ``occasions``, the first on day
    ``first`` and the last on day ``last``: the one definition of the facts' history, of a model
    check's calibration history and of the history at a calibration end that
    :func:`customer_facts_expr` gives with ``holdout_from``."""
    return {"frequency": (occasions - 1).cast("int64"), "recency": _days_between(last, first) / unit,
            "T": _days_between(at(name, when), first) / unit}


#: The columns :func:`customer_facts_expr` adds with ``holdout_from`` (a calibration end before
#: the cutoff), and the columns of :func:`history_holdout_expr` (a model check's) they are: the
#: history at the calibration end, the purchase occasions after it up to the cutoff, and the
#: holdout's length; NULL for a customer first seen after the calibration end.
HOLDOUT_FROM_COLUMNS: dict[str, str] = {
    "calibration_frequency": "frequency", "calibration_recency": "recency", "calibration_T": "T",
    "calibration_frequency_holdout": "frequency_holdout", "calibration_duration_holdout": "duration_holdout"}


def customer_facts_expr(
    tx: ir.Table,
    cutoff: dt.date | str,
    *,
    time_unit: TimeUnit = "week",
    merge: Merge = "day",
    rfm: bool = True,
    holdout_from: dt.date | str | None = None,
) -> ir.Table:
    """The facts table at ``cutoff`` as an Ibis expression (see the module docstring).

    ``rfm=False``: without the RFM scores (:data:`RFM_COLUMNS`), which :func:`with_rfm` adds to
    any table with the facts they rank (an engine that runs it in two steps reads the facts once).
    ``holdout_from`` (a date before the cutoff, ``merge="day"``): also the columns of
    :data:`HOLDOUT_FROM_COLUMNS`, a model check's calibration table at that date with the holdout
    ending at the cutoff (the values of :func:`history_holdout_expr`), from the same pass over the
    purchase days: two more aggregates instead of a second query over the transactions.
    """
    unit = DAYS_PER_UNIT[check_unit(time_unit, "time_unit")]
    cutoff_d = _as_date(cutoff)
    days = purchase_days(tx, cutoff_d)
    check_from = None if holdout_from is None else _as_date(holdout_from)
    if check_from is not None and (merge != "day" or check_from >= cutoff_d):
        raise ValueError("holdout_from needs merge='day' and a date before the cutoff")
    since = {w: days.day > at(f"since_{w}", cutoff_d - dt.timedelta(days=w)) for w in (90, 365)}
    prev = (days.day > at("since_730", cutoff_d - dt.timedelta(days=730))) & ~since[365]
    margin_day = days.costed_spend - days.cost
    # Money and order counts come from every day (returns netted) ...
    money = {
        "orders": days.orders.sum(),
        "revenue_total": days.spend.sum(),
        "revenue_90d": days.spend.sum(where=since[90]).fill_null(0.0),
        "revenue_365d": days.spend.sum(where=since[365]).fill_null(0.0),
        "revenue_prev_365d": days.spend.sum(where=prev).fill_null(0.0),
        "has_cost": days.has_cost.any(),
        "margin_total": margin_day.sum(),
        "margin_90d": margin_day.sum(where=since[90]),
        "margin_365d": margin_day.sum(where=since[365]),
    }
    if merge == "day":
        # ... and, with one occasion per purchase day, the BTYD statistics from the same single
        # pass over the days (no join: this is the hot path on big data).
        buy = days.is_purchase
        calibration: dict[str, ir.Value] = {}
        if check_from is not None:  # the occasions up to the calibration end, and the last of them
            before = buy & (days.day <= at("check_from", check_from))
            calibration = {"_calibration_last": days.day.max(where=before),
                           "_calibration_occasions": before.cast("int64").sum()}
        f = days.group_by("customer_id").aggregate(
            first_purchase=days.day.min(where=buy),
            last_purchase=days.day.max(where=buy),
            n_occasions=buy.cast("int64").sum(),
            occasion_spend=days.spend.sum(where=buy),
            first_spend=days.spend.argmin(days.day, where=buy),
            **money,
            **calibration,
        )
        f = f.filter(f.n_occasions > 0)
    else:
        occ = _occasions(days, cutoff_d, unit, merge)
        btyd = occ.group_by("customer_id").aggregate(
            first_purchase=occ.occasion.min(),
            last_purchase=occ.occasion.max(),
            n_occasions=occ.count(),
            occasion_spend=occ.spend.sum(),
            first_spend=occ.spend.argmin(occ.occasion),
        )
        f = btyd.join(days.group_by("customer_id").aggregate(**money), "customer_id")
    # A sum of money depends on the order the engine adds in (by a unit in the last place), and a
    # mean spend or a growth ratio on a tie at the seventh decimal then rounds either way from run
    # to run and from engine to engine. Rounded before anything divides them, the same data give
    # the same bits everywhere (exact for money with up to MONEY_DECIMALS decimals).
    f = f.mutate(**{c: round_half_even(f[c], MONEY_DECIMALS) for c in _MONEY_SUMS})
    history = _history(f.first_purchase, f.last_purchase, f.n_occasions, cutoff_d, unit)
    frequency = history["frequency"]
    repeat_spend = f.occasion_spend - f.first_spend
    cut = at("cutoff", cutoff_d)
    f = f.mutate(
        **history,
        monetary_value=ibis.ifelse(frequency > 0, repeat_spend / frequency.cast("float64"), 0.0),
        tenure_days=_days_between(cut, f.first_purchase).cast("int64"),
        days_since_last=_days_between(cut, f.last_purchase).cast("int64"),
        growth_365d=ibis.ifelse(
            f.revenue_prev_365d > 0, f.revenue_365d / f.revenue_prev_365d - 1.0, ibis.null("float64")
        ),
        margin_total=ibis.ifelse(f.has_cost, f.margin_total.fill_null(0.0), ibis.null("float64")),
        margin_90d=ibis.ifelse(f.has_cost, f.margin_90d.fill_null(0.0), ibis.null("float64")),
        margin_365d=ibis.ifelse(f.has_cost, f.margin_365d.fill_null(0.0), ibis.null("float64")),
    )
    extra: list[str] = []
    if check_from is not None:
        # the first purchase up to the calibration end is the first purchase, when there is one
        seen = f._calibration_occasions > 0
        then = _history(f.first_purchase, f._calibration_last, f._calibration_occasions, check_from, unit,
                        "check_from")
        check = {**then, "frequency_holdout": (f.n_occasions - f._calibration_occasions).cast("int64"),
                 "duration_holdout": at("check_duration", (cutoff_d - check_from).days / unit)}
        f = f.mutate(**{name: ibis.ifelse(seen, check[of], ibis.null(check[of].type()))
                        for name, of in HOLDOUT_FROM_COLUMNS.items()})
        extra = list(HOLDOUT_FROM_COLUMNS)
    if not rfm:
        return f.select(*(c for c in FACT_COLUMNS if c not in RFM_COLUMNS), *extra).order_by("customer_id")
    return with_rfm(f).select(*FACT_COLUMNS, *extra).order_by("customer_id")


def facts_values(cutoff: dt.date | str, *, time_unit: TimeUnit = "week",
                 holdout_from: dt.date | str | None = None) -> dict[str, dt.date | float]:
    """The dates and numbers :func:`customer_facts_expr` at ``cutoff`` reads, by the names it
    gives them (:func:`xuanba.facts.compiled.at`): what a query compiled once per shape is run
    with (checked against the build's own at each compile).

    Example
    -------
    >>> facts_values("2026-03-31")["since_90"]
    datetime.date(2025, 12, 31)
    """
    c = _as_date(cutoff)
    out: dict[str, dt.date | float] = {"cutoff": c, **{f"since_{w}": c - dt.timedelta(days=w) for w in (90, 365, 730)}}
    if holdout_from is not None:
        h = _as_date(holdout_from)
        out |= {"check_from": h, "check_duration": (c - h).days / DAYS_PER_UNIT[time_unit]}
    return out


def holdout_values(calibration_end: dt.date | str, holdout_end: dt.date | str, *,
                   time_unit: TimeUnit = "week") -> dict[str, dt.date | float]:
    """As :func:`facts_values`, of :func:`holdout_expr`."""
    cal, hold = _as_date(calibration_end), _as_date(holdout_end)
    return {**facts_values(cal, time_unit=time_unit), "holdout_cutoff": hold, "holdout_start": cal,
            "holdout_duration": (hold - cal).days / DAYS_PER_UNIT[time_unit]}


def history_holdout_values(calibration_end: dt.date | str, holdout_end: dt.date | str, *,
                           time_unit: TimeUnit = "week") -> dict[str, dt.date | float]:
    """As :func:`facts_values`, of :func:`history_holdout_expr`."""
    cal, hold = _as_date(calibration_end), _as_date(holdout_end)
    return {"cutoff": hold, "calibration_end": cal, "duration": (hold - cal).days / DAYS_PER_UNIT[time_unit]}


def _occasions(days: ir.Table, cutoff: dt.date, unit: float, merge: Merge) -> ir.Table:
    """Purchase occasions: purchase days, or purchase periods counted back from the cutoff."""
    buys = days.filter(days.is_purchase)
    if merge == "day":
        return buys.select("customer_id", occasion=buys.day, spend=buys.spend)
    if merge != "period":
        raise ValueError(f"merge must be 'day' or 'period', not {merge!r}")
    # Periods are counted backwards from the cutoff so that the last period ends on it; an
    # occasion is dated by the first purchase day inside its period.
    back = _days_between(at("cutoff", cutoff), buys.day)
    buys = buys.mutate(_k=(back / unit).floor().cast("int64"))
    per = buys.group_by(["customer_id", "_k"]).aggregate(occasion=buys.day.min(), spend=buys.spend.sum())
    return per.select("customer_id", "occasion", "spend")


#: The RFM scores, and the fact each one ranks (R: fewer days since the last purchase is better).
RFM_COLUMNS: tuple[str, ...] = ("rfm_r", "rfm_f", "rfm_m", "rfm_score")
_RFM_RANKS: dict[str, tuple[str, int]] = {"rfm_r": ("days_since_last", -1), "rfm_f": ("orders", 1),
                                          "rfm_m": ("revenue_total", 1)}
#: The facts :func:`with_rfm` reads.
RFM_INPUTS: tuple[str, ...] = tuple(col for col, _ in _RFM_RANKS.values())


def _ranked(table: ir.Table, score: str) -> ir.NumericValue:
    col, sign = _RFM_RANKS[score]
    return -table[col] if sign < 0 else table[col]


def rfm_cuts(table: ir.Table) -> ir.Table:
    """One row: for each RFM score, ``<score>_cut2`` .. ``_cut5``, the lowest value (of the fact it
    ranks, negated for R) that scores 2 .. 5 (NULL when none does), and ``<score>_null``, the score
    of a missing value (ranked last).

    A value's score is ``min(5, 1 + floor(5 * percent_rank))`` with ``percent_rank`` =
    (customers with a lower value) / (customers - 1), in doubles as SQL's ``percent_rank`` is; it
    grows with the value, so the cuts give every customer's score. Only the distinct values are
    sorted, and only they and their counts are held; the missing value after them whatever the
    connection's ``default_null_order``.
    """
    row: ir.Table | None = None
    for score in _RFM_RANKS:
        values = table.select(v=_ranked(table, score))
        per = values.group_by("v").aggregate(n=values.count())
        # the missing value last by a key of its own: ``NULLS LAST`` is not written in DuckDB's SQL,
        # so a connection whose ``default_null_order`` sorts them first would count them below all
        last = [per.v.isnull(), ibis.asc(per.v, nulls_first=False)]
        below = per.n.sum().over(ibis.window(order_by=last, rows=(None, -1)))
        total = per.n.sum().over(ibis.window())
        rank = ibis.ifelse(total > 1, below.fill_null(0).cast("float64") / (total - 1).cast("float64"), 0.0)
        per = per.mutate(q=ibis.least((rank * 5).floor().cast("int64") + 1, 5))
        cuts = per.aggregate(
            **{f"{score}_cut{k}": per.v.min(where=per.v.notnull() & (per.q >= k)) for k in range(2, 6)},
            **{f"{score}_null": per.q.max(where=per.v.isnull())},
        )
        row = cuts if row is None else row.cross_join(cuts)
    assert row is not None
    return row


def with_rfm(table: ir.Table, cuts: ir.Table | None = None) -> ir.Table:
    """``table`` (with the facts of :data:`RFM_INPUTS`) plus the RFM scores (:data:`RFM_COLUMNS`)
    of its rows among themselves; ``cuts``: :func:`rfm_cuts` of ``table``, when made already.

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> t = ibis.memtable(pa.table({"customer_id": list("abcdef"), "days_since_last": [5, 4, 3, 2, 1, 1],
    ...                             "orders": [1, 1, 1, 1, 1, 2], "revenue_total": [1.0, 2, 3, 4, 5, 6]}))
    >>> with_rfm(t).order_by("customer_id").to_pyarrow()["rfm_score"].to_pylist()
    ['111', '212', '313', '414', '515', '555']
    """
    cuts = rfm_cuts(table) if cuts is None else cuts
    both = table.cross_join(cuts)
    scores: dict[str, ir.Value] = {}
    for score in _RFM_RANKS:
        value = _ranked(both, score)
        passed = [(value >= both[f"{score}_cut{k}"]).fill_null(False).cast("int64") for k in range(2, 6)]
        above = passed[0] + passed[1] + passed[2] + passed[3]
        scores[score] = ibis.ifelse(value.isnull(), both[f"{score}_null"], above + 1).cast("int64")
    both = both.mutate(**scores)
    both = both.mutate(rfm_score=both.rfm_r.cast("string").concat(both.rfm_f.cast("string"), both.rfm_m.cast("string")))
    return both.select(*table.columns, *(c for c in RFM_COLUMNS if c not in table.columns))


FACT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "first_purchase",
    "last_purchase",
    "tenure_days",
    "days_since_last",
    "orders",
    "revenue_total",
    "revenue_90d",
    "revenue_365d",
    "revenue_prev_365d",
    "growth_365d",
    "margin_total",
    "margin_90d",
    "margin_365d",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_score",
)
"""Columns of the facts table, in order."""


def holdout_expr(
    tx: ir.Table,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    *,
    time_unit: TimeUnit = "week",
    merge: Merge = "day",
    rfm: bool = True,
) -> ir.Table:
    """Calibration facts plus what each customer actually did in the holdout period.

    Adds ``frequency_holdout`` (purchase occasions in (calibration_end, holdout_end]),
    ``revenue_holdout`` (net spend in the holdout), ``monetary_value_holdout`` (mean spend per
    holdout occasion, 0 when none) and ``duration_holdout`` (holdout length in the time unit).
    Only customers whose first purchase falls in the calibration period are returned; their RFM
    scores rank them among themselves (``rfm=False``: without them, see :func:`with_rfm`).
    """
    cal = _as_date(calibration_end)
    hold = _as_date(holdout_end)
    if hold <= cal:
        raise ValueError("holdout_end must be after calibration_end")
    facts = customer_facts_expr(tx, cal, time_unit=time_unit, merge=merge, rfm=False)
    with scope("holdout_"):  # the holdout's own purchase days, after the calibration's
        days = purchase_days(tx, hold, start=cal)
        occ = _occasions(days, hold, DAYS_PER_UNIT[time_unit], merge)
    h_occ = occ.group_by("customer_id").aggregate(frequency_holdout=occ.count(), spend_holdout=occ.spend.sum())
    h_rev = days.group_by("customer_id").aggregate(revenue_holdout=days.spend.sum())
    out = facts.left_join(h_occ, "customer_id").drop("customer_id_right")
    out = out.left_join(h_rev, "customer_id").drop("customer_id_right")
    freq = out.frequency_holdout.fill_null(0).cast("int64")
    out = out.mutate(
        frequency_holdout=freq,
        revenue_holdout=out.revenue_holdout.fill_null(0.0),
        monetary_value_holdout=ibis.ifelse(
            freq > 0, out.spend_holdout / freq.cast("float64"), 0.0
        ),
        duration_holdout=at("holdout_duration", (hold - cal).days / DAYS_PER_UNIT[time_unit]),
    )
    if not rfm:
        return out.select(*(c for c in FACT_COLUMNS if c not in RFM_COLUMNS), *HOLDOUT_COLUMNS).order_by("customer_id")
    return with_rfm(out).select(*FACT_COLUMNS, *HOLDOUT_COLUMNS).order_by("customer_id")


#: What :func:`holdout_expr` adds to the facts.
HOLDOUT_COLUMNS: tuple[str, ...] = ("frequency_holdout", "revenue_holdout", "monetary_value_holdout", "duration_holdout")


#: What :func:`history_holdout_expr` gives (with ``customer_id``): the purchase history at the
#: calibration end and the holdout purchases, all a model check reads.
HISTORY_HOLDOUT_COLUMNS: tuple[str, ...] = (
    "frequency", "recency", "T", "first_purchase", "last_purchase", "frequency_holdout", "duration_holdout")


def history_holdout_expr(
    tx: ir.Table,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    *,
    time_unit: TimeUnit = "week",
) -> ir.Table:
    """The columns :data:`HISTORY_HOLDOUT_COLUMNS` of :func:`holdout_expr` (``merge="day"``), in
    one pass over the purchase days up to the holdout end and one aggregate per customer.

    The same values as :func:`holdout_expr`'s, row for row: a calibration occasion is a purchase
    day up to ``calibration_end``, a holdout occasion one after it; customers without a
    calibration occasion are left out. No money, window or join: a model check needs the
    history and the holdout count, and the full calibration facts cost three times as much.
    """
    unit = DAYS_PER_UNIT[check_unit(time_unit, "time_unit")]
    cal = _as_date(calibration_end)
    hold = _as_date(holdout_end)
    if hold <= cal:
        raise ValueError("holdout_end must be after calibration_end")
    days = purchase_days(tx, hold)
    before = days.day <= at("calibration_end", cal)
    buy_before = days.is_purchase & before
    f = days.group_by("customer_id").aggregate(
        first_purchase=days.day.min(where=buy_before),
        last_purchase=days.day.max(where=buy_before),
        n_occasions=buy_before.cast("int64").sum(),
        frequency_holdout=(days.is_purchase & ~before).cast("int64").sum(),
    )
    f = f.filter(f.n_occasions > 0)
    f = f.mutate(
        **_history(f.first_purchase, f.last_purchase, f.n_occasions, cal, unit, "calibration_end"),
        frequency_holdout=f.frequency_holdout.cast("int64"),
        duration_holdout=at("duration", (hold - cal).days / unit),
    )
    return f.select("customer_id", *HISTORY_HOLDOUT_COLUMNS).order_by("customer_id")


def round_half_even(value: ir.NumericValue, decimals: int) -> ir.FloatingValue:
    """``value`` rounded to ``decimals`` places exactly as ``numpy.round`` does it, on any engine.

    numpy scales by ``10**decimals``, rounds to the nearest integer (half to even) and scales
    back; SQL's ``round`` rounds half away from zero on the decimal expansion (Spark) or
    otherwise, so a value on a tie would land a unit apart on another engine. Here the steps are
    IEEE operations every engine does alike: adding and taking away 2**52 leaves a double of
    magnitude below 2**52 rounded to an integer, half to even (beyond it, doubles are integers).

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> t = ibis.memtable(pa.table({"x": [0.5, 1.5, 2.5, -0.5, 0.125]}))
    >>> t.select(r=round_half_even(t.x, 0)).to_pyarrow()["r"].to_pylist()
    [0.0, 2.0, 2.0, -0.0, 0.0]
    """
    big = ibis.literal(float(2**52))
    y = value.cast("float64") * float(10**decimals)
    whole = ibis.ifelse(y >= 0.0, (y + big) - big, (y - big) + big)
    # numpy keeps the sign of a zero result (-0.4 gives -0.0): y * 0.0 is that zero
    whole = ibis.ifelse(whole == 0.0, y * 0.0, whole)
    return ibis.ifelse(y.abs() < big, whole, y) / float(10**decimals)
