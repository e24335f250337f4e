"""Account work written as Ibis expressions, for a round run by the engine that holds the
transactions (:mod:`xuanba.rounds.engine`): the same figures as the pandas functions of this
package, aggregated per customer in the engine so that no customer's rows reach Python.

Example
-------
>>> import datetime as dt, ibis, pyarrow as pa
>>> d = dt.date
>>> tx = ibis.memtable(pa.table({"customer_id": ["A", "A", "B"], "ts": [d(2026, 1, 1), d(2026, 1, 2), d(2026, 1, 1)],
...     "amount": [10.0, 30.0, 5.0], "due_on": [d(2026, 1, 10)] * 3, "paid_on": [d(2026, 1, 5), None, None]}))
>>> got = receivables_expr(tx, d(2026, 2, 1)).order_by("_pay_id").to_pyarrow().to_pylist()
>>> [(r["payment_punctuality"], r["overdue_receivables"]) for r in got]
[(0.5, 30.0), (0.0, 5.0)]
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def payment_dates_in(tx: Any) -> bool:
    """Whether the engine's transactions ``tx`` carry payment dates (a ``paid_on`` with a value),
    as :func:`xuanba.accounts.receivables.has_payment_dates` says of a pandas table."""
    if "paid_on" not in tx.columns:
        return False
    from xuanba.models.engine import run

    return bool(run(tx.aggregate(n=tx.paid_on.count()))["n"].iloc[0])


def _day(column: Any) -> Any:
    """A date, timestamp or text column as a date (the calendar day: the time of day is ignored)."""
    return column if column.type().is_date() else column.cast("date")


def receivables_expr(tx: Any, as_of: dt.date) -> Any:
    """Per customer (``_pay_id``): ``payment_punctuality`` and ``overdue_receivables`` as
    :func:`xuanba.accounts.receivables.receivables_summary` computes them at ``as_of``, as one
    engine aggregate of the transactions ``tx`` (``customer_id, ts, amount, paid_on``, optional
    ``due_on``).

    Each invoice (a positive ``amount`` dated on or before ``as_of``) is due on ``due_on`` (its own
    day when absent) and paid on ``paid_on`` when that is on or before ``as_of`` (else open).
    Punctuality: the invoices paid on or before their due day over those that fell due before
    ``as_of`` or were paid (``NULL`` when none); overdue: the open amount past its due day. A
    customer with no invoice is not in the result (the caller's left join gives them none)."""
    import ibis

    ref = ibis.literal(as_of)
    ts_day = _day(tx.ts)
    due = ibis.coalesce(_day(tx.due_on), ts_day) if "due_on" in tx.columns else ts_day
    paid_day = _day(tx.paid_on)
    paid = ibis.ifelse(paid_day <= ref, paid_day, ibis.null("date"))
    amount = ibis.coalesce(tx.amount.cast("float64"), 0.0)
    inv = tx.mutate(_a=amount, _due=due, _paid=paid, _ts=ts_day)
    inv = inv.filter((inv._ts <= ref) & (inv._a > 0.0))
    is_open = inv._paid.isnull()
    late = inv._due < ref  # days past due > 0
    judged = (late | ~is_open).cast("int64")
    on_time = ((~is_open) & (inv._paid <= inv._due)).cast("int64")
    overdue = ibis.ifelse(is_open & late, inv._a, 0.0)
    g = inv.group_by(inv.customer_id.cast("string").name("_pay_id")).aggregate(
        overdue_receivables=overdue.sum(), _judged=judged.sum(), _on_time=on_time.sum())
    share = g._on_time.cast("float64") / g._judged.cast("float64")
    return g.select("_pay_id", payment_punctuality=ibis.ifelse(g._judged > 0, share, ibis.null("float64")),
                    overdue_receivables=g.overdue_receivables)


# -- the account analyses a round stores (xuanba.accounts.book), from the engine's sums --------------
def _until(tx: Any, end: dt.date) -> Any:
    import ibis

    return tx.filter(tx.ts.date() <= ibis.literal(end))


def window_sums(tx: Any, start: dt.date, end: dt.date) -> Any:
    """The transactions of the days ``start`` .. ``end`` summed per customer (and per ``channel``
    and ``product`` when the table has them), as rows the analyses read as transactions dated
    ``end``: ``amount`` (a missing amount counts 0, as they count it) and ``cost`` (missing when
    none of the rows had one: the analyses then know no cost)."""
    import ibis

    day = tx.ts.date()
    w = tx.filter((day >= ibis.literal(start)) & (day <= ibis.literal(end)))
    keys = [w.customer_id.cast("string").name("customer_id")]
    keys += [w[c].name(c) for c in ("channel", "product") if c in w.columns]
    sums = {"amount": ibis.coalesce(w.amount.cast("float64"), 0.0).sum()}
    if "cost" in w.columns:
        sums["cost"] = w.cost.cast("float64").sum()  # NULL when every cost of the group is
    return w.group_by(keys).aggregate(**sums).mutate(ts=ibis.literal(dt.datetime.combine(end, dt.time())))


def history_sums(tx: Any, end: dt.date, *, idle_days: int) -> Any:
    """Up to ``end``, per customer whose last sale (a positive amount) is more than ``idle_days``
    days before it: one row of its sales (the last one's time, their sum) and one of the rest
    (returns, cancellations, missing amounts: the last time, the sum), as keep-warm reads them."""
    import ibis

    t = _until(tx, end)
    amount = ibis.coalesce(t.amount.cast("float64"), 0.0)
    t = t.mutate(_amount=amount, _sale=amount > 0.0, customer_id=t.customer_id.cast("string"))
    last = t.filter(t._sale).group_by("customer_id").aggregate(_last=t.ts.max())
    idle = last.filter(last._last.date() < ibis.literal(end - dt.timedelta(days=idle_days)))
    t = t.join(idle, t.customer_id == idle.customer_id).select(t.customer_id, t.ts, t._amount, t._sale)
    return t.group_by(["customer_id", "_sale"]).aggregate(ts=t.ts.max(), amount=t._amount.sum()).drop("_sale")


def ageing_sums(tx: Any, as_of: dt.date) -> tuple[Any, Any]:
    """:func:`xuanba.accounts.receivables.ageing`'s rows (the customers with an open balance, by
    days past due) and :func:`~xuanba.accounts.receivables.receivables_total`'s sums (``invoiced``,
    ``collected``, ``open_balance``, ``overdue_receivables``) as two engine aggregates, with the
    invoices of :func:`receivables_expr`."""
    import ibis

    from xuanba.accounts.receivables import BUCKETS

    ref = ibis.literal(as_of)
    ts_day = _day(tx.ts)
    due = ibis.coalesce(_day(tx.due_on), ts_day) if "due_on" in tx.columns else ts_day
    paid_day = _day(tx.paid_on)
    inv = tx.mutate(_a=ibis.coalesce(tx.amount.cast("float64"), 0.0), _due=due, _ts=ts_day,
                    _open=~(paid_day <= ref).fill_null(False))
    inv = inv.filter((inv._ts <= ref) & (inv._a > 0.0))
    edges = [ibis.literal(as_of - dt.timedelta(days=d)) for d in (0, 30, 60, 90)]  # days past due <= 0, 30 …
    bucket = ibis.cases(*[(inv._due >= e, name) for e, name in zip(edges, BUCKETS[:4], strict=True)], else_=BUCKETS[4])
    opened = inv.filter(inv._open).mutate(_b=bucket)
    rows = opened.group_by(opened.customer_id.cast("string").name("customer_id")).aggregate(
        **{b: ibis.ifelse(opened._b == b, opened._a, 0.0).sum() for b in BUCKETS})
    late = inv._open & (inv._due < ref)
    totals = inv.aggregate(invoiced=inv._a.sum(), collected=ibis.ifelse(inv._open, 0.0, inv._a).sum(),
                           open_balance=ibis.ifelse(inv._open, inv._a, 0.0).sum(),
                           overdue_receivables=ibis.ifelse(late, inv._a, 0.0).sum())
    return rows, totals


def engine_account_book(tx: Any, side: dict[str, Any], as_of: dt.date, *, selected: set[str],
                        scores: Any = None) -> dict[str, tuple[dict[str, Any], Any]]:
    """:func:`xuanba.accounts.book.account_book` for a round on an engine: the same analyses
    (:func:`~xuanba.accounts.book.book_of`) from the side tables ``side`` (``customers``,
    ``interactions``, ``commitments``, ``contacts`` as the driver holds them) and the engine's
    transactions ``tx``, which the engine sums per customer first (:func:`window_sums`,
    :func:`history_sums`, :func:`ageing_sums`): one or two rows per customer reach the driver,
    never a transaction. ``selected``: the round's selected customers (the owners' analysis);
    ``scores``: an Ibis table ``customer_id, potential_score`` of every customer (keep-warm ranks
    by it)."""
    import functools

    import pandas as pd

    from xuanba.accounts.book import book_of, book_window
    from xuanba.accounts.keepwarm import NO_PURCHASE_DAYS
    from xuanba.accounts.receivables import BUCKETS
    from xuanba.models.engine import run

    start, end = book_window(as_of)
    upto = _until(tx, end.date())
    paid = payment_dates_in(upto)
    if not side and not paid:
        return {}
    idle_days = NO_PURCHASE_DAYS

    @functools.cache
    def window() -> pd.DataFrame:
        return _frame(run(window_sums(tx, start.date(), end.date())))

    def history() -> pd.DataFrame:
        return _frame(run(history_sums(tx, end.date(), idle_days=idle_days)))

    def receivables() -> tuple[dict[str, Any], pd.DataFrame]:
        rows, totals = ageing_sums(tx, end.date())
        tab = _frame(run(rows.order_by("customer_id")))
        tab = tab[["customer_id", *BUCKETS]].astype({b: float for b in BUCKETS})
        tab["open_balance"] = tab[list(BUCKETS)].sum(axis=1)
        total = tab.drop(columns="customer_id").sum().to_frame().T
        total.insert(0, "customer_id", "TOTAL")
        sums = {k: 0.0 if pd.isna(v) else float(v) for k, v in run(totals).iloc[0].items()}
        sums["collection_rate"] = sums["collected"] / sums["invoiced"] if sums["invoiced"] else float("nan")
        info = {"window_start": start.date().isoformat(), "as_of": end.date().isoformat(), **sums}
        return info, pd.concat([tab, total], ignore_index=True)

    potential = None
    if "interactions" in side and scores is not None:  # keep-warm ranks its idle customers by their score
        ids = history_sums(tx, end.date(), idle_days=idle_days).select("customer_id").distinct()
        got = _frame(run(scores.join(ids, scores.customer_id == ids.customer_id).select(
            scores.customer_id, scores.potential_score)))
        potential = pd.Series(got["potential_score"].to_numpy(dtype=float), index=got["customer_id"].to_numpy(),
                              name="potential_score")
    return book_of(side, window=window, history=history, receivables=receivables if paid else None,
                   potential=potential, selected=selected, start=start, end=end)


def _frame(frame: Any) -> Any:
    """An engine's result as the analyses read transactions: ids as text, times without a zone
    (Spark gives them in its session's zone, UTC unless set: the clock time the data had)."""
    frame["customer_id"] = frame["customer_id"].astype(str)
    if "ts" in frame.columns and getattr(frame["ts"].dt, "tz", None) is not None:
        frame["ts"] = frame["ts"].dt.tz_localize(None)
    return frame
