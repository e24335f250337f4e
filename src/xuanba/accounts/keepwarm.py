"""Keep warm: dormant accounts worth a call now, ranked by potential.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2025-01-01", "2026-05-01"],
...                    "amount": [500.0, 10.0]})
>>> kw = keep_warm(tx, as_of="2026-06-01")
>>> kw["customer_id"].tolist(), kw.attrs["potential_source"]
(['A'], 'historical revenue')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xuanba._dates import day, days_between, on_or_before
from xuanba.accounts._util import dates, ids, need

#: Days without a purchase after which an account is dormant (keep-warm's default).
NO_PURCHASE_DAYS = 180


def keep_warm(
    transactions: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    commitments: pd.DataFrame | None = None,
    potential: pd.Series | pd.DataFrame | None = None,
    as_of: object = None,
    no_purchase_days: int = NO_PURCHASE_DAYS,
    no_contact_days: int = 90,
    potential_column: str = "clv_3y",
) -> pd.DataFrame:
    """Accounts with no current business and no recent contact, highest potential first.

    An account qualifies when it has no purchase in the last ``no_purchase_days``, no open
    commitment (kept_on blank and not broken) and no interaction in the last
    ``no_contact_days`` (never contacted counts as no contact). Days are calendar days up to
    ``as_of``, whose whole day counts. A purchase is a positive amount: returns and
    cancellations never date the last purchase, and accounts with returns only are not listed.

    Parameters
    ----------
    potential : Series or DataFrame, optional
        Predicted value keyed by customer_id (a Series indexed by id, or a table with
        ``customer_id`` and ``potential_column``). Without it, historical revenue is used;
        ``result.attrs["potential_source"]`` says which.
    as_of : date, optional
        Default: the last transaction date.

    Returns
    -------
    DataFrame
        ``customer_id, potential, last_purchase, days_since_purchase, last_contact,
        days_since_contact, revenue``, sorted by potential (descending).
    """
    need(transactions, ["customer_id", "ts", "amount"], "transactions")
    ts = dates(transactions["ts"])
    ref = day(as_of) if as_of is not None else ts.max().normalize()
    tx = pd.DataFrame({"customer_id": ids(transactions["customer_id"]), "ts": ts,
                       "amount": pd.to_numeric(transactions["amount"], errors="coerce").fillna(0.0)})
    tx = tx.loc[on_or_before(tx["ts"], ref)]
    # A return or cancellation (amount <= 0) is no purchase: the last purchase is the last sale, and
    # an account with returns only in the log (its sale predates the data) has none to date from.
    sales = tx.loc[tx["amount"] > 0]
    out = pd.DataFrame({"last_purchase": sales.groupby("customer_id")["ts"].max()})
    out = out.join(tx.groupby("customer_id")["amount"].sum().astype(float).rename("revenue"), how="left")
    if interactions is not None and len(interactions):
        need(interactions, ["customer_id", "ts"], "interactions")
        it = pd.DataFrame({"customer_id": ids(interactions["customer_id"]), "ts": dates(interactions["ts"])})
        it = it.loc[on_or_before(it["ts"], ref)]
        out = out.join(it.groupby("customer_id")["ts"].max().rename("last_contact"), how="left")
    else:
        out["last_contact"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["days_since_purchase"] = days_between(ref, out["last_purchase"]).astype("int64")
    out["days_since_contact"] = days_between(ref, out["last_contact"]).astype("float")
    open_ids: set[str] = set()
    if commitments is not None and len(commitments):
        from xuanba.accounts.commitments import promise_ledger

        led = promise_ledger(commitments, ref)
        open_ids = set(led.loc[led["state"].isin(["open", "overdue"]), "customer_id"])
    dormant = (out["days_since_purchase"] > no_purchase_days) & ~out.index.isin(list(open_ids))
    cold = out["days_since_contact"].isna() | (out["days_since_contact"] > no_contact_days)
    out = out.loc[dormant & cold].copy()
    if potential is None:
        out["potential"] = out["revenue"]
        source = "historical revenue"
    else:
        if isinstance(potential, pd.DataFrame):
            need(potential, ["customer_id", potential_column], "potential")
            pot = potential.set_index(ids(potential["customer_id"]))[potential_column]
            source = potential_column
        else:
            pot = potential.copy()
            pot.index = pot.index.astype(str)
            source = str(potential.name or "potential")
        out["potential"] = pd.to_numeric(pot.reindex(out.index), errors="coerce").astype(float)
    out.index.name = "customer_id"
    out = out.reset_index()
    out = out.sort_values(["potential", "customer_id"], ascending=[False, True], kind="stable",
                          na_position="last").reset_index(drop=True)
    out["days_since_contact"] = out["days_since_contact"].astype(float).replace({np.inf: np.nan})
    out = out[["customer_id", "potential", "last_purchase", "days_since_purchase", "last_contact",
               "days_since_contact", "revenue"]]
    out.attrs["potential_source"] = source
    return out


def predicted_potential(transactions: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """Each customer's predicted 3-year value at ``as_of``: BG/NBD + Gamma-Gamma fitted on the
    customers' facts (:func:`xuanba.models.predict.predict_customers`), as ``customer_id,
    clv_3y`` — the potential :func:`keep_warm` ranks by.

    Raises :class:`~xuanba.errors.ModelError` when the data cannot support the models (e.g. no
    repeat purchases).
    """
    from xuanba.facts import customer_facts
    from xuanba.models.predict import predict_customers

    need(transactions, ["customer_id", "ts", "amount"], "transactions")
    ts = dates(transactions["ts"])
    ref = day(as_of) if as_of is not None else ts.max().normalize()
    cols = [c for c in ("customer_id", "ts", "amount", "cost") if c in transactions.columns]
    tx = transactions[cols].assign(customer_id=ids(transactions["customer_id"]), ts=ts)
    facts = customer_facts(tx, ref.date(), time_unit="week")
    return predict_customers(facts, time_unit="week")[["customer_id", "clv_3y"]]
