"""One account on one screen: its figures, contacts with roles and KPIs, promises and owner.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A"], "ts": ["2026-01-01"], "amount": [10.0]})
>>> ct = pd.DataFrame({"customer_id": ["A"], "contact_id": ["1"], "role": ["CMO"], "kpi": ["ROI"]})
>>> v = account_view("A", tx, contacts=ct, as_of="2026-06-30")
>>> v["summary"]["revenue"], v["contacts"]["kpi"].tolist()
(10.0, ['ROI'])
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from xuanba._dates import day, on_or_before
from xuanba.accounts._util import dates, ids
from xuanba.errors import DataError, Phrase, quoted


def account_view(
    customer_id: str,
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    commitments: pd.DataFrame | None = None,
    as_of: object = None,
) -> dict[str, Any]:
    """Everything known about one account at ``as_of`` (all of that day included; default
    the day of the last transaction): later transactions and interactions are left out.

    Returns
    -------
    dict
        ``summary`` (dict: name, segment, owner, revenue, profit, last purchase, the
        :func:`~xuanba.accounts.fields.account_fields` values), ``contacts`` (role and KPI of
        each contact), ``promises`` (the account's ledger) and ``interactions`` (latest first).

    Raises
    ------
    DataError
        The id is in none of the tables.
    """
    from xuanba.accounts.commitments import promise_ledger
    from xuanba.accounts.fields import account_fields
    from xuanba.accounts.owners import account_contacts

    cid = str(customer_id)
    tx_ids = ids(transactions["customer_id"])
    known = cid in set(tx_ids)
    for side in (customers, contacts, interactions, commitments):
        if side is not None and cid in set(ids(side["customer_id"])):
            known = True
    if not known:
        raise DataError(Phrase("err_customer_nowhere", customer=quoted(cid)), examples=[cid],
                        fix=Phrase("err_customer_nowhere_fix"))
    ref = day(as_of) if as_of is not None else dates(transactions["ts"]).max().normalize()
    summary: dict[str, Any] = {"customer_id": cid, "as_of": ref.date()}
    if customers is not None:
        row = customers.loc[ids(customers["customer_id"]) == cid]
        for col in ("name", "segment", "region", "owner", "size"):
            if col in row and len(row):
                summary[col] = row[col].iloc[0]
    mine = transactions.loc[(tx_ids == cid) & on_or_before(dates(transactions["ts"]), ref)]
    summary["revenue"] = float(pd.to_numeric(mine["amount"], errors="coerce").sum())
    summary["orders"] = len(mine)
    summary["last_purchase"] = dates(mine["ts"]).max().date() if len(mine) else None
    if len(mine):
        f = account_fields(transactions, interactions, commitments, contacts, ref)
        summary.update(f.loc[f["customer_id"] == cid].iloc[0].drop("customer_id").to_dict())
    view: dict[str, Any] = {"summary": summary}
    view["contacts"] = (account_contacts(contacts, cid) if contacts is not None
                        else pd.DataFrame(columns=["contact_id", "name", "role", "kpi"]))
    if commitments is not None:
        led = promise_ledger(commitments, ref)
        view["promises"] = led.loc[led["customer_id"] == cid].reset_index(drop=True)
    if interactions is not None:
        it = interactions.loc[(ids(interactions["customer_id"]) == cid) & on_or_before(dates(interactions["ts"]), ref)]
        view["interactions"] = it.assign(ts=dates(it["ts"])).sort_values("ts", ascending=False).reset_index(drop=True)
    return view
