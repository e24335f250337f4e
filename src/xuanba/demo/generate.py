"""A generated, seeded sales log that looks like a Chinese ERP export (GBK CSV, Chinese headers).

Customers follow the process the customer-base models assume, so the models fit it sensibly:

- each customer makes a first purchase on a day spread over the first two years, then buys at a
  Poisson rate λ ~ Gamma(r, α) per week and, after each purchase, drops out for good with
  probability p ~ Beta(a, b) (BG/NBD, Fader, Hardie & Lee 2005);
- order values are Gamma with a customer-specific mean drawn from a log-normal (heterogeneous
  spend), split into 1-4 order lines of products with list prices, quantities and unit prices
  (amount = quantity × unit price, cost from a product margin);
- about 1.5% of lines come back later as a return line with negative quantity and amount;
- a few bad rows on purpose, so the rejects show: blank customer ids, impossible or missing
  dates, a non-numeric amount, exact duplicate lines.

Headers: 客户编号, 订单号, 下单日期, 产品, 渠道, 数量, 单价, 金额, 成本, 到期日, 付款日期 (due and
payment dates: trade channels buy on credit, some pay late, the latest invoices are open). Ids like ``C00012`` keep
their leading zeros. Dates are mostly ``2025-03-14 10:23:00`` with some ``2025/3/14`` and
``2025年3月14日`` lines, as merged exports often mix them.

Example
-------
>>> log = simulate_sales(50, seed=1)
>>> list(log.columns)
['客户编号', '订单号', '下单日期', '产品', '渠道', '数量', '单价', '金额', '成本', '到期日', '付款日期']
>>> log.equals(simulate_sales(50, seed=1))
True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from xuanba._files import atomic_path

HEADERS = ["客户编号", "订单号", "下单日期", "产品", "渠道", "数量", "单价", "金额", "成本", "到期日", "付款日期"]
# product, list price (yuan), cost share of the price, popularity
PRODUCTS = [
    ("绿茶礼盒", 128.0, 0.55, 8), ("红茶散装500g", 86.0, 0.50, 10), ("普洱茶饼", 268.0, 0.45, 4),
    ("白茶饼", 198.0, 0.48, 4), ("茶具套装", 399.0, 0.62, 2), ("保温杯", 69.0, 0.58, 6),
    ("花茶组合", 58.0, 0.52, 9), ("乌龙茶罐装", 158.0, 0.50, 6), ("办公茶包(100袋)", 45.0, 0.60, 12),
    ("企业定制礼盒", 520.0, 0.57, 2), ("茶点心", 32.0, 0.66, 8), ("滤茶器", 25.0, 0.70, 5),
]
CHANNELS = [("线上商城", 0.45, 1.00), ("门店", 0.25, 1.00), ("经销商", 0.18, 0.88), ("企业团购", 0.12, 0.92)]
# payment terms in days by channel: shops and the web shop are paid on the spot, trade buyers on credit
TERMS = {"线上商城": 0, "门店": 0, "经销商": 60, "企业团购": 30}
START = "2024-01-01"
END = "2026-06-30"
SEED = 20260630

# BG/NBD heterogeneity (per week) and spend heterogeneity
R, ALPHA, A, B = 0.55, 5.0, 0.9, 4.0
SPEND_LOG_MEAN, SPEND_LOG_SD, SPEND_SHAPE = np.log(260.0), 0.75, 4.0


def _purchases(rng: np.random.Generator, n: int, span_weeks: float) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, week) of every purchase by the BG/NBD process, first purchases included."""
    lam = rng.gamma(R, 1.0 / ALPHA, n)
    p = rng.beta(A, B, n)
    birth = rng.uniform(0.0, span_weeks * 0.8, n)
    who = [np.arange(n)]
    when = [birth]
    idx = np.arange(n)
    t = birth.copy()
    first = True
    while idx.size:  # BG/NBD: no drop-out before the first repeat purchase
        alive = np.ones(idx.size, dtype=bool) if first else rng.uniform(size=idx.size) >= p[idx]
        first = False
        gap = rng.exponential(1.0, idx.size) / lam[idx]
        t = t + gap
        keep = alive & (t <= span_weeks)
        idx, t = idx[keep], t[keep]
        who.append(idx)
        when.append(t)
    cust = np.concatenate(who)
    week = np.concatenate(when)
    order = np.lexsort((cust, week))
    return cust[order], week[order]


def _fmt_dates(rng: np.random.Generator, ts: pd.DatetimeIndex) -> np.ndarray:
    out = np.asarray(ts.strftime("%Y-%m-%d %H:%M:%S"), dtype=object)
    pick = rng.uniform(size=len(ts))
    slash = pick < 0.05
    chinese = (pick >= 0.05) & (pick < 0.09)
    out[slash] = [f"{t.year}/{t.month}/{t.day}" for t in ts[slash]]
    out[chinese] = [f"{t.year}年{t.month}月{t.day}日" for t in ts[chinese]]
    return out


def simulate_sales(
    n_customers: int = 3000,
    *,
    seed: int = SEED,
    start: str = START,
    end: str = END,
    bad_rows: bool = True,
) -> pd.DataFrame:
    """The demo sales log as a table of text columns, one row per order line.

    Parameters
    ----------
    n_customers
        Customers to simulate (each makes at least one purchase).
    seed
        The same seed gives the same table, byte for byte once written.
    start, end
        First and last possible day (YYYY-MM-DD).
    bad_rows
        Add the deliberate bad rows (blank ids, bad dates, a non-numeric amount, duplicates).

    Example
    -------
    >>> log = simulate_sales(200, seed=3)
    >>> bool(log["客户编号"].str.match(r"C\\d{5}$").mean() > 0.99)
    True
    """
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    span = (t1 - t0).days / 7.0
    cust, week = _purchases(rng, n_customers, span)
    n_orders = cust.size
    day = t0 + pd.to_timedelta(np.floor(week * 7.0), unit="D")
    seconds = rng.integers(8 * 3600, 22 * 3600, n_orders)
    ts = pd.DatetimeIndex(day + pd.to_timedelta(seconds, unit="s"))

    mean_spend = np.exp(rng.normal(SPEND_LOG_MEAN, SPEND_LOG_SD, n_customers))
    value = rng.gamma(SPEND_SHAPE, mean_spend[cust] / SPEND_SHAPE)
    chan_w = np.array([c[1] for c in CHANNELS])
    home = rng.choice(len(CHANNELS), n_customers, p=chan_w)
    chan = np.where(rng.uniform(size=n_orders) < 0.85, home[cust], rng.choice(len(CHANNELS), n_orders, p=chan_w))

    k = np.minimum(1 + rng.poisson(0.6, n_orders), 4)
    line_order = np.repeat(np.arange(n_orders), k)
    n_lines = line_order.size
    pop = np.array([p[3] for p in PRODUCTS], dtype=float)
    first_line = np.repeat(np.cumsum(k) - k, k)
    j = np.arange(n_lines) - first_line  # line number within its order: products differ by line
    base = rng.choice(len(PRODUCTS), n_orders, p=pop / pop.sum())
    prod = (base[line_order] + 5 * j) % len(PRODUCTS)
    price = np.array([p[1] for p in PRODUCTS])[prod]
    cost_share = np.array([p[2] for p in PRODUCTS])[prod]
    discount = np.array([c[2] for c in CHANNELS])[chan[line_order]]
    unit = np.round(price * discount * rng.choice([1.0, 1.0, 0.95, 0.9], n_lines), 2)
    share = value[line_order] / k[line_order] * rng.uniform(0.5, 1.5, n_lines)
    qty = np.maximum(1, np.round(share / unit)).astype(np.int64)
    amount = np.round(qty * unit, 2)
    cost = np.round(amount * cost_share / discount, 2)

    order_no = np.char.add(
        np.char.add("SO", np.asarray(day.strftime("%Y%m%d"), dtype=str)),
        np.char.add("-", np.char.zfill(np.arange(1, n_orders + 1).astype(str), 6)),
    )
    ids = np.char.add("C", np.char.zfill((np.arange(n_customers) + 1).astype(str), 5))
    lines = pd.DataFrame({
        "ts": ts[line_order], "cust": ids[cust[line_order]], "order": order_no[line_order],
        "product": np.array([p[0] for p in PRODUCTS], dtype=object)[prod],
        "channel": np.array([c[0] for c in CHANNELS], dtype=object)[chan[line_order]],
        "qty": qty, "unit": unit, "amount": amount, "cost": cost,
    })

    back = rng.uniform(size=n_lines) < 0.015  # returns: a later line, negative quantity and amount
    ret = lines.loc[back].copy()
    ret["ts"] = ret["ts"] + pd.to_timedelta(rng.integers(3, 30, len(ret)), unit="D")
    ret = ret.loc[ret["ts"] <= t1 + pd.Timedelta(hours=23)]
    ret["order"] = "TH" + ret["order"].str[2:]
    ret["qty"] = -np.minimum(ret["qty"], rng.integers(1, 3, len(ret)))
    ret["amount"] = np.round(ret["qty"] * ret["unit"], 2)
    ret["cost"] = np.round(ret["amount"] * (lines.loc[ret.index, "cost"] / lines.loc[ret.index, "amount"]), 2)
    lines = pd.concat([lines, ret]).sort_values(["ts", "order"], kind="stable").reset_index(drop=True)

    out = pd.DataFrame({
        "客户编号": lines["cust"].to_numpy(dtype=object),
        "订单号": lines["order"].to_numpy(dtype=object),
        "下单日期": _fmt_dates(rng, pd.DatetimeIndex(lines["ts"])),
        "产品": lines["product"].to_numpy(dtype=object),
        "渠道": lines["channel"].to_numpy(dtype=object),
        "数量": lines["qty"].astype(str).to_numpy(dtype=object),
        "单价": [f"{v:.2f}" for v in lines["unit"]],
        "金额": [f"{v:.2f}" for v in lines["amount"]],
        "成本": [f"{v:.2f}" for v in lines["cost"]],
    })
    due, paid = _payments(np.random.default_rng([seed, 1]), lines, t1)
    out["到期日"] = due
    out["付款日期"] = paid
    if bad_rows and len(out) > 20:
        out = _spoil(out, rng)
    return out


def _payments(rng: np.random.Generator, lines: pd.DataFrame, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Due and payment dates per line (the same for every line of an order).

    Spot channels pay on the day; trade buyers get their channel's terms and pay late by a
    customer-specific habit (most on time, some a month or more late); invoices whose payment
    would fall after the end of the log are still open (blank payment date). Returns get none.
    A separate random stream keeps every other column as it was.
    """
    day = pd.DatetimeIndex(lines["ts"]).normalize()
    terms = lines["channel"].map(TERMS).to_numpy(dtype=float)
    due = day + pd.to_timedelta(terms, unit="D")
    custs, inverse = np.unique(lines["cust"].to_numpy(dtype=str), return_inverse=True)
    habit = rng.choice([0.0, 5.0, 20.0, 45.0], custs.size, p=[0.55, 0.25, 0.14, 0.06])
    orders, first = np.unique(lines["order"].to_numpy(dtype=str), return_inverse=True)
    late = np.round(rng.exponential(1.0, orders.size)[first] * habit[inverse])
    credit = terms > 0
    early = rng.integers(0, 10, orders.size)[first] * (late == 0)  # punctual buyers often pay early
    paid = day + pd.to_timedelta(np.where(credit, terms + late - early, 0), unit="D")
    paid = paid.where(paid >= day, day)
    ret = lines["qty"].to_numpy() < 0
    due_txt = np.asarray(due.strftime("%Y-%m-%d"), dtype=object)
    paid_txt = np.asarray(paid.strftime("%Y-%m-%d"), dtype=object)
    paid_txt[np.asarray(paid > end) | ret] = ""
    due_txt[ret] = ""
    return due_txt, paid_txt


def _spoil(out: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Blank ids, bad dates, a non-numeric amount and duplicated lines, as real exports have."""
    out = out.copy()
    n = len(out)
    spots = rng.choice(np.arange(10, n - 10), 5, replace=False)
    out.loc[spots[0], "客户编号"] = ""
    out.loc[spots[1], "客户编号"] = " "
    out.loc[spots[2], "下单日期"] = "2026-02-30"
    out.loc[spots[3], "下单日期"] = "待定"
    out.loc[spots[4], "金额"] = "N/A"
    dups = rng.choice(np.setdiff1d(np.arange(10, n - 10), spots), 2, replace=False)
    parts = []
    last = 0
    for d in sorted(dups):
        parts += [out.iloc[last:d + 1], out.iloc[[d]]]
        last = d + 1
    parts.append(out.iloc[last:])
    return pd.concat(parts).reset_index(drop=True)


def write_sales(
    path: str | os.PathLike[str],
    n_customers: int = 3000,
    *,
    n_rows: int | None = None,
    seed: int = SEED,
    encoding: str = "gbk",
    bad_rows: bool = True,
) -> Path:
    """Write the simulated sales log as CSV (GBK and CRLF line ends by default, as Chinese Excel does).

    Parameters
    ----------
    path
        The file to write.
    n_customers
        Customers to simulate; ignored when ``n_rows`` is given.
    n_rows
        Write exactly this many lines instead, simulating as many customers as that takes
        (for benchmarks: ``write_sales(p, n_rows=1_000_000)``).
    seed, encoding, bad_rows
        As in :func:`simulate_sales`; ``encoding`` may be ``"utf-8"`` for a UTF-8 copy.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write_sales(pathlib.Path(tempfile.mkdtemp()) / "s.csv", n_rows=100)
    >>> len(p.read_bytes().decode("gbk").splitlines())
    101
    """
    if n_rows is not None:
        customers = max(50, n_rows // 6)
        table = simulate_sales(customers, seed=seed, bad_rows=bad_rows)
        while len(table) < n_rows:
            customers = int(customers * 1.3 * n_rows / max(len(table), 1)) + 10
            table = simulate_sales(customers, seed=seed, bad_rows=bad_rows)
        table = table.iloc[:n_rows]
    else:
        table = simulate_sales(n_customers, seed=seed, bad_rows=bad_rows)
    path = Path(path)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding=encoding, lineterminator="\r\n")
    return path


def main() -> None:  # pragma: no cover - regenerates the bundled file
    """Regenerate ``src/xuanba/demo/data/demo_sales_gbk.csv`` (``python -m xuanba.demo.generate``)."""
    target = Path(__file__).with_name("data") / "demo_sales_gbk.csv"
    write_sales(target)
    print(target)


if __name__ == "__main__":  # pragma: no cover
    main()
