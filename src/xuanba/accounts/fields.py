"""Per-customer account fields a selection standard can use.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A"], "ts": ["2026-01-01"], "amount": [100.0]})
>>> f = account_fields(tx, as_of="2026-06-30")
>>> f.loc[0, "profit_365d"]
np.float64(100.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xuanba._dates import day, days_between, on_or_before, window_start
from xuanba.accounts._util import dates, ids, need

FIELDS = ("cost_to_serve_365d", "profit_365d", "promise_reliability", "days_since_contact",
          "payment_punctuality", "single_threaded", "overdue_receivables")


def account_fields(
    transactions: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    commitments: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    as_of: object = None,
    rates: Mapping[str, float] | None = None,
    window_days: int = 365,
) -> pd.DataFrame:
    """The account fields, one row per customer_id in the transactions.

    Fields (NaN where the data to compute them are absent):

    * ``cost_to_serve_365d``, ``profit_365d`` — over the ``window_days`` calendar days ending on
      ``as_of`` (all of that day included);
    * ``promise_reliability`` — kept on time / due, promises due in the window;
    * ``days_since_contact`` — calendar days since the last interaction (NaN: never);
    * ``payment_punctuality`` — share of invoices paid by due date (needs ``paid_on``);
    * ``single_threaded`` — one contact or one rep in the window;
    * ``overdue_receivables`` — open amount past due at ``as_of`` (needs ``paid_on``).

    ``as_of`` defaults to the last transaction date.
    """
    from xuanba.accounts.commitments import promise_ledger, reliability
    from xuanba.accounts.owners import single_threaded
    from xuanba.accounts.profit import customer_profit
    from xuanba.accounts.receivables import has_payment_dates, receivables_summary

    need(transactions, ["customer_id", "ts", "amount"], "transactions")
    ts = dates(transactions["ts"])
    ref = day(as_of) if as_of is not None else ts.max().normalize()
    start = window_start(ref, window_days)
    index = pd.Index(sorted(ids(transactions["customer_id"]).unique()), name="customer_id")
    out = pd.DataFrame(index=index)
    prof = customer_profit(transactions, interactions, rates, start, ref).set_index("customer_id")
    out["cost_to_serve_365d"] = prof["cost_to_serve"].reindex(index).fillna(0.0)
    out["profit_365d"] = prof["profit"].reindex(index).fillna(0.0)
    out["promise_reliability"] = np.nan
    if commitments is not None and len(commitments):
        rel = reliability(promise_ledger(commitments, ref), by="customer_id", start=start, end=ref)
        out["promise_reliability"] = rel.set_index("customer_id")["reliability"].reindex(index).astype(float)
    out["days_since_contact"] = np.nan
    if interactions is not None and len(interactions):
        it = pd.DataFrame({"customer_id": ids(interactions["customer_id"]), "ts": dates(interactions["ts"])})
        last = it.loc[on_or_before(it["ts"], ref)].groupby("customer_id")["ts"].max()
        out["days_since_contact"] = days_between(ref, last.reindex(index)).astype(float)
    st = single_threaded(contacts=contacts, interactions=interactions, as_of=ref, window_days=window_days)
    out["single_threaded"] = st.set_index("customer_id")["single_threaded"].reindex(index).fillna(False).astype(bool)
    out["payment_punctuality"] = np.nan
    out["overdue_receivables"] = np.nan
    if has_payment_dates(transactions):
        rs = receivables_summary(transactions, ref).set_index("customer_id")
        out["payment_punctuality"] = rs["payment_punctuality"].reindex(index).astype(float)
        out["overdue_receivables"] = rs["overdue_receivables"].reindex(index).fillna(0.0).astype(float)
    return out[list(FIELDS)].reset_index()
