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
