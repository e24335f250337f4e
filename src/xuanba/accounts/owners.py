"""Contacts and owners: who holds the value, and accounts hanging on one person.

Example
-------
>>> import pandas as pd
>>> cu = pd.DataFrame({"customer_id": list("ABC"), "owner": ["王", "王", "Li"]})
>>> v = pd.Series([60.0, 20.0, 20.0], index=list("ABC"))
>>> owner_concentration(cu, v).attrs["hhi"]
0.68
"""

from __future__ import annotations

import pandas as pd

from xuanba._dates import day, in_window, window_start
from xuanba.accounts._util import dates, ids, need


def owner_concentration(customers: pd.DataFrame, value: pd.Series) -> pd.DataFrame:
    """Share of account value held by each owner (rep), with the Herfindahl index.

    Parameters
    ----------
    customers : DataFrame
        ``customer_id, owner`` (blank owner counts as "(none)").
    value : Series
        Value per customer_id (revenue, profit, CLV), indexed by id; restrict it to the
        selected accounts to measure concentration of a selection.

    Returns
    -------
    DataFrame
        ``owner, accounts, value, share`` sorted by value; ``attrs["hhi"]`` is the sum of
        squared shares (1 = one owner holds everything, 1/k = k equal owners).
    """
    need(customers, ["customer_id", "owner"], "customers")
    own = customers.assign(customer_id=ids(customers["customer_id"])).drop_duplicates("customer_id").set_index("customer_id")["owner"]
    v = value.copy()
    v.index = v.index.astype(str)
    df = pd.DataFrame({"value": v.astype(float)})
    df["owner"] = own.reindex(df.index).fillna("(none)").astype(str).replace({"": "(none)"})
    g = df.groupby("owner")
    out = pd.DataFrame({"accounts": g.size().astype("int64"), "value": g["value"].sum()})
    total = out["value"].sum()
    out["share"] = out["value"] / total if total else float("nan")
    out = out.reset_index().sort_values(["value", "owner"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.attrs["hhi"] = round(float((out["share"] ** 2).sum()), 12)
    return out


def single_threaded(
    customers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    as_of: object = None,
    window_days: int = 365,
) -> pd.DataFrame:
    """Accounts whose relationship hangs on one person.

    ``contacts`` counts distinct contacts per account; ``reps`` counts distinct reps who
    touched it in the ``window_days`` calendar days ending on ``as_of``, that whole day included
    (interactions; default the day of the last interaction). ``single_threaded`` is
    true when contacts == 1 or reps == 1 (an account with neither table's data is not flagged).

    Returns
    -------
    DataFrame
        ``customer_id, contacts, reps, single_threaded, reason``.

    Example
    -------
    >>> import pandas as pd
    >>> ct = pd.DataFrame({"customer_id": ["A", "A", "B"], "contact_id": ["1", "2", "3"]})
    >>> single_threaded(contacts=ct)["single_threaded"].tolist()
    [False, True]
    """
    parts = []
    if customers is not None:
        parts.append(pd.Index(ids(customers["customer_id"]).unique()))
    n_contacts = pd.Series(dtype="int64")
    if contacts is not None and len(contacts):
        need(contacts, ["customer_id", "contact_id"], "contacts")
        n_contacts = contacts.assign(customer_id=ids(contacts["customer_id"])).groupby("customer_id")["contact_id"].nunique()
        parts.append(n_contacts.index)
    n_reps = pd.Series(dtype="int64")
    if interactions is not None and len(interactions) and "rep" in interactions:
        ts = dates(interactions["ts"])
        ref = day(as_of if as_of is not None else ts.max())
        keep = in_window(ts, window_start(ref, window_days), ref) & interactions["rep"].notna()
        it = interactions.loc[keep]
        n_reps = it.assign(customer_id=ids(it["customer_id"])).groupby("customer_id")["rep"].nunique()
        parts.append(n_reps.index)
    index = pd.Index(sorted(set().union(*[set(p) for p in parts])) if parts else [], name="customer_id")
    out = pd.DataFrame(index=index)
    out["contacts"] = n_contacts.reindex(index).fillna(0).astype("int64")
    out["reps"] = n_reps.reindex(index).fillna(0).astype("int64")
    one_c, one_r = out["contacts"] == 1, out["reps"] == 1
    out["single_threaded"] = (one_c | one_r).astype(bool)
    reason = pd.Series("", index=index, dtype=object)
    reason[one_c & one_r] = "one contact, one rep"
    reason[one_c & ~one_r] = "one contact"
    reason[~one_c & one_r] = "one rep in window"
    out["reason"] = reason.astype(str)
    out = out.reset_index()
    out["customer_id"] = out["customer_id"].astype(str)
    return out


def account_contacts(contacts: pd.DataFrame, customer_id: str) -> pd.DataFrame:
    """The contacts of one account with their roles and KPIs (for the account view).

    Example
    -------
    >>> import pandas as pd
    >>> ct = pd.DataFrame({"customer_id": ["A"], "contact_id": ["1"], "role": ["CMO"], "kpi": ["ROI"]})
    >>> account_contacts(ct, "A")["kpi"].tolist()
    ['ROI']
    """
    need(contacts, ["customer_id", "contact_id"], "contacts")
    sel = contacts.loc[ids(contacts["customer_id"]) == str(customer_id)]
    cols = [c for c in ("contact_id", "name", "role", "kpi") if c in sel.columns]
    return sel[cols].reset_index(drop=True)
