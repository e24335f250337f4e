"""Group view: a persona profile per segment (customers.segment, or size bands when absent).

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["A", "B", "C"], "ts": ["2026-01-01"] * 3,
...                    "amount": [10.0, 20.0, 70.0], "channel": ["web", "web", "store"]})
>>> cu = pd.DataFrame({"customer_id": list("ABC"), "segment": ["s1", "s1", "s2"]})
>>> personas(tx, cu)[["segment", "customers", "revenue_share"]].values.tolist()
[['s2', 1, 0.7], ['s1', 2, 0.3]]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from xuanba.accounts._util import ids, need


def _mix(df: pd.DataFrame, col: str, weight: str, top: int) -> pd.Series:
    """'a 60%, b 40%' per segment, by share of ``weight`` (an empty Series when ``df`` has no rows:
    a log whose channel or product is blank everywhere)."""
    if df.empty:
        return pd.Series(dtype=object)

    def one(g: pd.DataFrame) -> str:
        s = g.groupby(col)[weight].sum().sort_values(ascending=False)
        tot = s.sum()
        if not tot:
            return ""
        return ", ".join(f"{k} {v / tot:.0%}" for k, v in s.head(top).items())
    return df.groupby("segment").apply(one, include_groups=False)


def _known(df: pd.DataFrame, col: str) -> bool:
    """Whether ``df`` has column ``col`` with at least one value."""
    return col in df and bool(df[col].notna().any())


def personas(
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    profit: pd.DataFrame | None = None,
    potential: pd.Series | None = None,
    bands: Sequence[float] = (1, 10),
    top: int = 3,
) -> pd.DataFrame:
    """One profile row per segment: size, revenue and profit share, mix of channels, regions
    and products.

    Parameters
    ----------
    customers : DataFrame, optional
        ``customer_id`` and ``segment`` (and ``region``); without a segment column, revenue
        size bands are the segments.
    profit : DataFrame, optional
        ``customer_id, profit`` (from :func:`xuanba.accounts.profit.customer_profit`).
    potential : Series, optional
        Predicted value by customer_id; its segment mean is reported.

    Returns
    -------
    DataFrame
        ``segment, customers, revenue, revenue_share, mean_value`` and where the data allow
        ``profit, profit_share, mean_potential, channel_mix, region_mix, top_products``;
        largest revenue first.
    """
    need(transactions, ["customer_id", "amount"], "transactions")
    tx = transactions.assign(customer_id=ids(transactions["customer_id"]),
                             amount=pd.to_numeric(transactions["amount"], errors="coerce").fillna(0.0))
    rev = tx.groupby("customer_id")["amount"].sum().rename("revenue").astype(float)
    base = rev.to_frame()
    if customers is not None and "segment" in customers:
        cu = customers.assign(customer_id=ids(customers["customer_id"])).drop_duplicates("customer_id").set_index("customer_id")
        base = base.join(cu[[c for c in ("segment", "region") if c in cu]], how="outer")
        base["revenue"] = base["revenue"].fillna(0.0)
        base["segment"] = base["segment"].fillna("(none)").astype(str)
    else:
        from xuanba.accounts.profit import assign_bands

        tmp = base.reset_index()
        base["segment"] = assign_bands(tmp, bands).astype(str).to_numpy()
        if customers is not None and "region" in customers:
            cu = customers.assign(customer_id=ids(customers["customer_id"])).drop_duplicates("customer_id").set_index("customer_id")
            base = base.join(cu[["region"]], how="left")
    if profit is not None:
        base = base.join(profit.assign(customer_id=ids(profit["customer_id"])).set_index("customer_id")["profit"], how="left")
    if potential is not None:
        pot = potential.copy()
        pot.index = pot.index.astype(str)
        base["potential"] = pot.reindex(base.index).astype(float)
    g = base.groupby("segment")
    out = pd.DataFrame({"customers": g.size().astype("int64"), "revenue": g["revenue"].sum()})
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    out["mean_value"] = out["revenue"] / out["customers"]
    if "profit" in base:
        out["profit"] = g["profit"].sum()
        tp = out["profit"].sum()
        out["profit_share"] = out["profit"] / tp if tp else float("nan")
    if "potential" in base:
        out["mean_potential"] = g["potential"].mean()
    seg = base["segment"]
    txs = tx.assign(segment=tx["customer_id"].map(seg))
    # a mix only where the data know it: a column that is blank everywhere adds nothing
    if _known(txs, "channel"):
        out["channel_mix"] = _mix(txs.dropna(subset=["channel"]), "channel", "amount", top)
    if _known(base, "region"):
        reg = base.reset_index().assign(n=1.0).dropna(subset=["region"])
        out["region_mix"] = _mix(reg, "region", "n", top)
    if _known(txs, "product"):
        out["top_products"] = _mix(txs.dropna(subset=["product"]), "product", "amount", top)
    out.index.name = "segment"
    out = out.reset_index().sort_values(["revenue", "segment"], ascending=[False, True], kind="stable")
    for c in ("channel_mix", "region_mix", "top_products"):
        if c in out:
            out[c] = out[c].fillna("").astype(str)
    return out.reset_index(drop=True)
