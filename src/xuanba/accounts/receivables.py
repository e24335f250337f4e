"""Receivables: invoiced vs collected, ageing buckets, days sales outstanding, punctuality.

Each transaction is an invoice of ``amount`` dated ``ts``, due ``due_on`` (``ts`` when
absent) and paid in full on ``paid_on`` (blank = unpaid). At an as-of date an invoice is
open when invoiced on or before the as-of day and not paid by the end of that day; its days
past due are the calendar days from ``due_on`` to the as-of date. Returns and credit notes
(amount ≤ 0) are not invoices and are left out.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A", "A", "B"], "ts": ["2026-01-01", "2026-02-01", "2026-01-01"],
...                    "amount": [100.0, 50.0, 20.0], "due_on": ["2026-01-31", "2026-03-03", "2026-01-31"],
...                    "paid_on": [None, None, "2026-01-20"]})
>>> ageing(tx, "2026-03-15")[["current", "1-30", "31-60"]].iloc[0].tolist()
[0.0, 50.0, 100.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xuanba._dates import day, days_between, in_window, on_or_before, window_start
from xuanba.accounts._util import dates, ids, need
from xuanba.errors import Phrase, SchemaError

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def has_payment_dates(transactions: pd.DataFrame) -> bool:
    """True when some transaction has a payment date (a workspace always has the column, but an
    all-empty one means the data say nothing about payments, not that nothing was paid)."""
    return "paid_on" in transactions.columns and bool(transactions["paid_on"].notna().any())


def _invoices(transactions: pd.DataFrame, as_of: object) -> pd.DataFrame:
    need(transactions, ["customer_id", "ts", "amount"], "transactions")
    if "paid_on" not in transactions.columns or not has_payment_dates(transactions):
        raise SchemaError(Phrase("err_no_payment_dates"), column="paid_on",
                          fix=Phrase("err_no_payment_dates_fix", headers="付款日期/回款日期"))
    ref = day(as_of)
    ts = dates(transactions["ts"])
    due = dates(transactions["due_on"]) if "due_on" in transactions else ts
    due = due.fillna(ts)
    paid = dates(transactions["paid_on"])
    df = pd.DataFrame({
        "customer_id": ids(transactions["customer_id"]),
        "ts": ts, "due_on": due,
        "paid_on": paid.where(on_or_before(paid, ref)),
        "amount": pd.to_numeric(transactions["amount"], errors="coerce").fillna(0.0).astype(float),
    })
    df = df.loc[on_or_before(df["ts"], ref) & (df["amount"] > 0)].reset_index(drop=True)
    df["open"] = df["paid_on"].isna()
    df["days_past_due"] = days_between(ref, df["due_on"]).astype("int64")
    return df


def _bucket(days: pd.Series) -> pd.Series:
    cuts = np.select([days <= 0, days <= 30, days <= 60, days <= 90], list(BUCKETS[:4]), default="90+")
    return pd.Series(cuts, index=days.index)


def ageing(transactions: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """Open balance per customer by days past due, with a ``TOTAL`` row last.

    Returns
    -------
    DataFrame
        ``customer_id, current, 1-30, 31-60, 61-90, 90+, open_balance`` for customers with an
        open balance; buckets sum to ``open_balance``.

    Example
    -------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2026-01-01", "2026-01-01"],
    ...                    "amount": [10.0, 5.0], "due_on": ["2026-01-01", "2026-01-01"],
    ...                    "paid_on": [None, "2026-01-02"]})
    >>> ageing(tx, "2026-06-01")["90+"].tolist()
    [10.0, 10.0]
    """
    inv = _invoices(transactions, as_of)
    op = inv.loc[inv["open"]].copy()
    op["bucket"] = _bucket(op["days_past_due"])
    tab = op.pivot_table(index="customer_id", columns="bucket", values="amount", aggfunc="sum",
                         fill_value=0.0, observed=False)
    tab = tab.reindex(columns=list(BUCKETS), fill_value=0.0).astype(float)
    tab.columns.name = None
    tab["open_balance"] = tab[list(BUCKETS)].sum(axis=1)
    tab = tab.reset_index()
    tab["customer_id"] = tab["customer_id"].astype(str)
    total = tab.drop(columns="customer_id").sum().to_frame().T
    total.insert(0, "customer_id", "TOTAL")
    return pd.concat([tab, total], ignore_index=True)


def receivables_summary(transactions: pd.DataFrame, as_of: object, dso_days: int = 90) -> pd.DataFrame:
    """Per customer: invoiced, collected, open balance, overdue, DSO and payment punctuality.

    ``dso`` = open balance / invoiced in the last ``dso_days`` (the as-of day included) ×
    ``dso_days`` (NaN without recent sales). ``payment_punctuality`` = share of invoices that
    have fallen due (or were paid) that were paid on or before their due day.
    ``overdue_receivables`` = open amount past due.

    Example
    -------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["A", "A"], "ts": ["2026-01-01", "2026-01-02"],
    ...                    "amount": [10.0, 30.0], "due_on": ["2026-01-10"] * 2,
    ...                    "paid_on": ["2026-01-05", "2026-01-20"]})
    >>> receivables_summary(tx, "2026-02-01")["payment_punctuality"].tolist()
    [0.5]
    """
    ref = day(as_of)
    inv = _invoices(transactions, as_of)
    inv["collected"] = np.where(inv["open"], 0.0, inv["amount"])
    inv["open_amount"] = np.where(inv["open"], inv["amount"], 0.0)
    inv["overdue"] = np.where(inv["open"] & (inv["days_past_due"] > 0), inv["amount"], 0.0)
    inv["recent"] = np.where(in_window(inv["ts"], window_start(ref, dso_days)), inv["amount"], 0.0)
    due_day = inv["due_on"].dt.normalize()
    fell_due = (due_day < ref) | ~inv["open"]
    inv["judged"] = fell_due.astype(int)
    inv["on_time"] = (~inv["open"] & (inv["paid_on"].dt.normalize() <= due_day)).astype(int)
    g = inv.groupby("customer_id")
    out = pd.DataFrame({
        "invoiced": g["amount"].sum(), "collected": g["collected"].sum(),
        "open_balance": g["open_amount"].sum(), "overdue_receivables": g["overdue"].sum(),
        "recent_sales": g["recent"].sum(), "judged": g["judged"].sum(), "on_time": g["on_time"].sum(),
    })
    out["dso"] = out["open_balance"] / out["recent_sales"].where(out["recent_sales"] > 0) * dso_days
    out["payment_punctuality"] = out["on_time"] / out["judged"].where(out["judged"] > 0)
    out = out.drop(columns=["recent_sales", "judged", "on_time"]).reset_index()
    out["customer_id"] = out["customer_id"].astype(str)
    return out


def receivables_total(summary: pd.DataFrame) -> dict[str, float]:
    """Totals of :func:`receivables_summary`: invoiced, collected, open, overdue, DSO.

    Example
    -------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"invoiced": [10.0], "collected": [5.0], "open_balance": [5.0],
    ...                   "overdue_receivables": [0.0], "dso": [45.0]})
    >>> receivables_total(s)["collection_rate"]
    0.5
    """
    inv = float(summary["invoiced"].sum())
    return {
        "invoiced": inv,
        "collected": float(summary["collected"].sum()),
        "open_balance": float(summary["open_balance"].sum()),
        "overdue_receivables": float(summary["overdue_receivables"].sum()),
        "collection_rate": float(summary["collected"].sum()) / inv if inv else float("nan"),
    }
