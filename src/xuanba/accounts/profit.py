"""Profit by account: activity-based cost-to-serve, the whale curve and size bands.

Cost-to-serve of a customer is the sum over its interactions of ``cost`` where given, else
``minutes × rate[kind]`` (currency per minute). Profit = revenue − cost of goods − cost-to-serve.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2026-01-01"] * 2,
...                    "amount": [100.0, 50.0], "cost": [60.0, 20.0]})
>>> it = pd.DataFrame({"customer_id": ["A"], "ts": ["2026-01-02"], "kind": ["visit"],
...                    "minutes": [30]})
>>> customer_profit(tx, it)["profit"].tolist()
[-50.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xuanba._dates import in_window
from xuanba.accounts._util import dates, ids, need
from xuanba.errors import DataError, InputError, Phrase

#: Default cost per minute of each kind of activity (currency units per minute). A loaded
#: field visit costs more per minute than a call; pass ``rates=`` to use your own.
DEFAULT_RATES: dict[str, float] = {
    "visit": 3.0, "拜访": 3.0,
    "meeting": 2.0, "会议": 2.0,
    "call": 1.0, "电话": 1.0,
    "wechat": 0.5, "微信": 0.5,
    "email": 0.5, "邮件": 0.5,
    "support": 1.0, "服务": 1.0,
    "default": 1.0,
}


def _window(df: pd.DataFrame, start: object, end: object) -> pd.DataFrame:
    """Rows dated on a day from ``start`` to ``end``, all of both days included."""
    return df.loc[in_window(dates(df["ts"]), start, end)]


def cost_to_serve(
    interactions: pd.DataFrame,
    rates: Mapping[str, float] | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Activity-based cost-to-serve per customer.

    Parameters
    ----------
    interactions : DataFrame
        ``customer_id, ts`` and optionally ``kind, minutes, cost``.
    rates : mapping, optional
        Cost per minute by ``kind``; the ``default`` key prices unknown kinds. Merged over
        :data:`DEFAULT_RATES`.
    start, end : date, optional
        Keep interactions dated from day ``start`` to day ``end``, all of both days included.

    Returns
    -------
    DataFrame
        ``customer_id, interactions, minutes, cost_to_serve``.

    Example
    -------
    >>> import pandas as pd
    >>> it = pd.DataFrame({"customer_id": ["A", "A"], "ts": ["2026-01-01"] * 2,
    ...                    "kind": ["call", "visit"], "minutes": [10, 10], "cost": [None, 5]})
    >>> cost_to_serve(it)["cost_to_serve"].tolist()
    [15.0]
    """
    need(interactions, ["customer_id", "ts"], "interactions")
    table = dict(DEFAULT_RATES)
    table.update(rates or {})
    if any((not np.isfinite(v)) or v < 0 for v in table.values()):
        raise InputError(Phrase("err_rate_bad"), fix=Phrase("err_rate_bad_fix"))
    df = _window(interactions, start, end)
    kind = df["kind"].astype(str).str.strip().str.lower() if "kind" in df else pd.Series("default", index=df.index)
    minutes = pd.to_numeric(df["minutes"], errors="coerce") if "minutes" in df else pd.Series(np.nan, index=df.index)
    cost = pd.to_numeric(df["cost"], errors="coerce") if "cost" in df else pd.Series(np.nan, index=df.index)
    rate = kind.map(lambda k: table.get(k, table["default"])).astype(float)
    each = cost.where(cost.notna(), minutes.fillna(0.0) * rate).astype(float)
    _refuse_no_money(each, df["customer_id"])
    out = pd.DataFrame({"customer_id": ids(df["customer_id"]), "minutes": minutes.fillna(0.0).astype(float),
                        "cost_to_serve": each})
    g = out.groupby("customer_id", sort=True)
    res = g.agg(minutes=("minutes", "sum"), cost_to_serve=("cost_to_serve", "sum"))
    res.insert(0, "interactions", g.size().astype("int64"))
    return res.reset_index()


def _refuse_no_money(each: pd.Series, customers: pd.Series) -> None:
    """Refuse interaction costs no round can count (``NaN`` or ``±inf`` from the data, or
    :data:`~xuanba.ingest.rules.MONEY_LIMIT` and beyond, a cost or minutes × rate): ingest rejects
    them now, but a workspace loaded before kept ``inf`` costs, which made profit ``-inf``, read
    as ``-1.8e308`` by one round's figures and as 0 by another's.

    Example
    -------
    >>> _refuse_no_money(pd.Series([5.0, float("inf")]), pd.Series(["A", "B"]))
    Traceback (most recent call last):
    ...
    xuanba.errors.DataError: column 'cost': an interaction's cost is not money a round can count: inf (customer 'B') (1 in all)
      fix: Correct the interactions' cost and load them again: xuanba ingest FILE --kind interactions.
    """
    from xuanba.ingest.rules import not_money

    bad = not_money(each).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(Phrase("err_interaction_cost", value=str(each.iloc[first]),
                               customer=repr(str(customers.iloc[first]))),
                        column="cost", count=int(bad.sum()), fix=Phrase("err_interaction_cost_fix"))


def customer_profit(
    transactions: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    rates: Mapping[str, float] | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Revenue, cost of goods, cost-to-serve and profit per customer.

    Customers appear if they bought or were served in the window from day ``start`` to day
    ``end`` (all of both days included: a sale at 15:00 on ``end`` counts). Cost of goods is the
    transactions' ``cost`` column (0 where absent).

    Returns
    -------
    DataFrame
        ``customer_id, revenue, cogs, cost_to_serve, profit, margin`` (margin = profit /
        revenue, NaN without revenue), sorted by customer_id. ``attrs["costs_known"]`` is False
        when the data hold no cost at all (no ``cost`` value in the window and no
        interactions): profit is then revenue only and every margin is NaN (unknown, not 100%).

    Example
    -------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["A"], "ts": ["2026-01-01"], "amount": [10.0], "cost": [4.0]})
    >>> customer_profit(tx)["margin"].tolist()
    [0.6]
    >>> no_cost = customer_profit(tx.drop(columns="cost"))
    >>> no_cost.attrs["costs_known"], no_cost["margin"].tolist()
    (False, [nan])
    """
    need(transactions, ["customer_id", "ts", "amount"], "transactions")
    tx = _window(transactions, start, end)
    t = pd.DataFrame({
        "customer_id": ids(tx["customer_id"]),
        "revenue": pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0).astype(float),
        "cogs": (pd.to_numeric(tx["cost"], errors="coerce").fillna(0.0).astype(float)
                 if "cost" in tx else 0.0),
    })
    rev = t.groupby("customer_id")[["revenue", "cogs"]].sum()
    if interactions is not None and len(interactions):
        cts = cost_to_serve(interactions, rates, start, end).set_index("customer_id")["cost_to_serve"]
    else:
        cts = pd.Series(dtype=float, name="cost_to_serve")
    out = rev.join(cts, how="outer").fillna(0.0)
    out.index.name = "customer_id"
    out["profit"] = out["revenue"] - out["cogs"] - out["cost_to_serve"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["margin"] = np.where(out["revenue"] > 0, out["profit"] / out["revenue"].where(out["revenue"] > 0), np.nan)
    known = bool("cost" in tx and pd.to_numeric(tx["cost"], errors="coerce").notna().any()) or (
        interactions is not None and len(interactions) > 0)
    if not known:  # no cost anywhere: a margin of 100% would be a claim the data cannot make
        out["margin"] = np.nan
    out = out.reset_index().sort_values("customer_id", kind="stable").reset_index(drop=True)
    out["customer_id"] = out["customer_id"].astype("str")
    out = out[["customer_id", "revenue", "cogs", "cost_to_serve", "profit", "margin"]]
    out.attrs["costs_known"] = known
    return out


def costs_known(profit: pd.DataFrame) -> bool:
    """Whether the table of :func:`customer_profit` rests on some cost data (True for a table
    made elsewhere, which says nothing about it).

    Example
    -------
    >>> import pandas as pd
    >>> costs_known(pd.DataFrame({"customer_id": ["A"], "profit": [1.0]}))
    True
    """
    return profit.attrs.get("costs_known", True) is not False


def whale_shape(profit: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """The whale curve from the profits alone: ``rank, cum_profit, customer_pct, profit_pct``,
    most profitable first; the last row's ``profit_pct`` is 100. Which of two tied customers
    comes first does not change the curve, so no ids are needed (fast on a million customers).

    Raises
    ------
    DataError
        Total profit is zero or negative (a share of it means nothing).

    Example
    -------
    >>> whale_shape([-5.0, 10.0, 5.0])["profit_pct"].round(1).tolist()
    [100.0, 150.0, 100.0]
    """
    v = np.sort(np.asarray(profit, dtype=float))[::-1]
    total = float(v.sum())
    if not len(v) or total <= 0:
        raise DataError(Phrase("err_whale_total", total=f"{total:,.2f}"), fix=Phrase("err_whale_total_fix"))
    rank = np.arange(1, len(v) + 1, dtype="int64")
    cum = np.cumsum(v)
    pct = 100.0 * cum / total
    pct[-1] = 100.0
    return pd.DataFrame({"rank": rank, "cum_profit": cum, "customer_pct": 100.0 * rank / len(v), "profit_pct": pct})


def whale_curve(profit: pd.DataFrame) -> pd.DataFrame:
    """Cumulative profit by customer rank, most profitable first, as % of total profit: the
    :func:`whale_shape` of the profits with each customer in their place (ties by customer_id).

    Parameters
    ----------
    profit : DataFrame
        ``customer_id, profit`` (e.g. from :func:`customer_profit`).

    Returns
    -------
    DataFrame
        ``rank, customer_id, profit, cum_profit, customer_pct, profit_pct``; the last row's
        ``profit_pct`` is 100.

    Example
    -------
    >>> import pandas as pd
    >>> c = whale_curve(pd.DataFrame({"customer_id": list("ABC"), "profit": [-5.0, 10.0, 5.0]}))
    >>> c["profit_pct"].round(1).tolist()
    [100.0, 150.0, 100.0]
    """
    need(profit, ["customer_id", "profit"], "profit")
    df = pd.DataFrame({"customer_id": ids(profit["customer_id"]), "profit": profit["profit"].astype(float)})
    shape = whale_shape(df["profit"].to_numpy())
    df = df.sort_values(["profit", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return pd.concat([shape[["rank"]], df, shape[["cum_profit", "customer_pct", "profit_pct"]]], axis=1)


def whale_peak(curve: pd.DataFrame) -> dict[str, float | int | str]:
    """Where the whale curve (of :func:`whale_curve` or :func:`whale_shape`) peaks and how high.

    Returns
    -------
    dict
        ``customers`` (count up to the peak), ``customer_pct``, ``profit_pct`` and a
        ``sentence`` such as "the top 38.0 % of customers earn 142.0 % of profit".

    Example
    -------
    >>> whale_peak(whale_shape([-5.0, 10.0, 5.0]))["customers"]
    2
    """
    i = int(curve["profit_pct"].to_numpy().argmax())
    row = curve.iloc[i]
    cpct, ppct = float(row["customer_pct"]), float(row["profit_pct"])
    return {
        "customers": int(row["rank"]),
        "customer_pct": cpct,
        "profit_pct": ppct,
        "sentence": f"the top {cpct:.1f} % of customers earn {ppct:.1f} % of profit",
    }


def _band_labels(bands: Sequence[float]) -> list[str]:
    labels, lo = [], 0.0
    for b in bands:
        labels.append(f"top {b:g}%" if lo == 0 else f"next {b - lo:g}% ({lo:g}-{b:g}%)")
        lo = float(b)
    labels.append(f"rest ({lo:g}-100%)")
    return labels


def assign_bands(profit: pd.DataFrame, bands: Sequence[float] = (1, 10)) -> pd.Series:
    """Size band of each customer by revenue rank (cumulative % of customers).

    ``bands=(1, 10)`` gives "top 1%", "next 9% (1-10%)" and "rest (10-100%)". A customer
    of rank ``r`` among ``n`` is in the first band whose bound ``b`` has ``r <= ceil(b% × n)``
    (so the top band holds at least one customer).

    Example
    -------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": list("ABCD"), "revenue": [1.0, 9.0, 3.0, 2.0]})
    >>> assign_bands(p, (25, 50)).tolist()
    ['rest (50-100%)', 'top 25%', 'next 25% (25-50%)', 'rest (50-100%)']
    """
    bs = [float(b) for b in bands]
    if any(b <= 0 or b >= 100 for b in bs) or bs != sorted(set(bs)):
        raise InputError(Phrase("err_bands_bad", bands=repr(bands)), fix=Phrase("err_bands_bad_fix"))
    need(profit, ["customer_id", "revenue"], "profit")
    n = len(profit)
    order = profit.assign(_id=ids(profit["customer_id"])).sort_values(
        ["revenue", "_id"], ascending=[False, True], kind="stable")
    rank = pd.Series(np.arange(1, n + 1), index=order.index)
    labels = _band_labels(bs)
    cuts = [int(np.ceil(b / 100 * n - 1e-9)) for b in bs]
    out = pd.Series(labels[-1], index=profit.index, dtype=object)
    for lab, cut in zip(reversed(labels[:-1]), reversed(cuts), strict=True):
        out[rank.reindex(profit.index) <= cut] = lab
    return out.astype(pd.CategoricalDtype(labels, ordered=True))


def size_bands(profit: pd.DataFrame, bands: Sequence[float] = (1, 10)) -> pd.DataFrame:
    """Revenue, cost of goods, cost-to-serve, profit and margin by revenue size band (margin NaN
    when the costs are unknown).

    Returns
    -------
    DataFrame
        One row per band (largest first): ``band, customers, revenue, cogs, cost_to_serve,
        profit, margin, revenue_share, profit_share``.

    Example
    -------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": list("AB"), "revenue": [10.0, 1.0], "cogs": [9.0, 0.0],
    ...                   "cost_to_serve": [0.0, 0.0], "profit": [1.0, 1.0]})
    >>> size_bands(p, (50,))["margin"].tolist()
    [0.1, 1.0]
    """
    df = profit.copy()
    df["band"] = assign_bands(df, bands)
    g = df.groupby("band", observed=False)
    out = g[["revenue", "cogs", "cost_to_serve", "profit"]].sum()
    out.insert(0, "customers", g.size().astype("int64"))
    out["margin"] = out["profit"] / out["revenue"].where(out["revenue"] != 0)
    if not costs_known(profit):
        out["margin"] = np.nan
    tr, tp = out["revenue"].sum(), out["profit"].sum()
    out["revenue_share"] = out["revenue"] / tr if tr else np.nan
    out["profit_share"] = out["profit"] / tp if tp else np.nan
    out = out.reset_index()
    out["band"] = out["band"].astype(str)
    return out


def volume_without_profit(
    profit: pd.DataFrame, bands: Sequence[float] = (1, 10), min_margin: float = 0.05
) -> pd.DataFrame:
    """Accounts in the top revenue bands (all but "rest") whose margin is below ``min_margin``.

    Returns the profit rows of those accounts with their ``band``, lowest margin first; none when
    the costs are unknown (:func:`costs_known`).

    Example
    -------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": list("AB"), "revenue": [10.0, 1.0], "profit": [0.1, 1.0],
    ...                   "margin": [0.01, 1.0]})
    >>> volume_without_profit(p, (50,))["customer_id"].tolist()
    ['A']
    """
    df = profit.copy()
    df["band"] = assign_bands(df, bands)
    if not costs_known(profit):  # no margin is known, so none is known to be low
        return df.iloc[:0].assign(band=df["band"].iloc[:0].astype(str))
    rest = df["band"].cat.categories[-1]
    flag = (df["band"] != rest) & (df["margin"].isna() | (df["margin"] < min_margin))
    out = df.loc[flag].sort_values(["margin", "customer_id"], kind="stable").reset_index(drop=True)
    out["band"] = out["band"].astype(str)
    return out
