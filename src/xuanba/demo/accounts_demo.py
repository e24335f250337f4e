"""Deterministic demo side tables for given customer ids (numpy seeded, Chinese and English).

Example
-------
>>> tables = make_side_tables(["C001", "C002", "C003"], seed=7)
>>> sorted(tables)
['commitments', 'contacts', 'customers', 'interactions', 'needs', 'resources']
>>> make_side_tables(["C001"], seed=7)["customers"].equals(make_side_tables(["C001"], seed=7)["customers"])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTS = ["连锁零售 Retail chain", "餐饮 Restaurants", "制造 Manufacturing", "教育 Education"]
REGIONS = ["华东", "华南", "华北", "西南"]
OWNERS = ["王芳", "李强", "Zhang Wei", "Emily Chen"]
KINDS = ["visit", "call", "wechat", "email", "meeting"]
ROLES = [("市场总监", "品牌曝光 brand reach"), ("采购经理", "成本节约 cost saving"),
         ("门店经理", "到店客流 footfall"), ("CEO", "营收增长 revenue growth")]
TAGS = ["抖音", "直播", "小红书", "线下活动", "会员", "b2b", "海报", "短视频"]
PROMISES = ["寄送样品 send samples", "提供报价 send a quote", "安排演示 arrange a demo",
            "回访 follow-up visit", "提交方案 submit a proposal"]
RESOURCES = [
    ("R01", "抖音直播套餐 Douyin live package", "抖音", 8000.0, "场 session", "抖音,直播,短视频",
     "某连锁茶饮 3 场直播", "单场 GMV 12 万, ROI 3.1"),
    ("R02", "小红书种草 RED seeding", "小红书", 5000.0, "篇 x10 posts", "小红书,会员",
     "本地烘焙品牌", "曝光 80 万, 收藏 1.2 万"),
    ("R03", "门店海报 Store posters", "线下", 600.0, "套 set", "海报,线下活动",
     "", "到店 +8%"),
    ("R04", "会员日活动 Member day", "线下", 3000.0, "次 event", "会员,线下活动",
     "社区超市 12 家门店", "复购率 +15%"),
    ("R05", "B2B 展会展位 Trade-fair booth", "展会", 20000.0, "届 fair", "b2b,线下活动",
     "机械制造客户", "线索 140 条"),
    ("R06", "短视频代运营 Short-video ops", "抖音", 12000.0, "月 month", "短视频,抖音",
     "", "粉丝 +3 万/月"),
]


def make_side_tables(
    customer_ids: Sequence[str], seed: int = 7, start: str = "2025-01-01", end: str = "2026-06-30",
    orders: Mapping[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Demo customers, interactions, commitments, resources, needs and contacts.

    Parameters
    ----------
    customer_ids : sequence of str
        The ids to describe (e.g. those of the demo transaction log).
    seed : int
        Same seed and ids give identical tables.
    start, end : str
        Dates of interactions and promises.
    orders : mapping, optional
        Orders per customer id. When given, service follows the business as it does in real
        accounts: more orders bring more (and longer) contacts, with wide differences between
        accounts, so cost-to-serve turns some customers unprofitable and the whale curve rises
        above 100 %. Without it every customer gets about two short contacts.

    Returns
    -------
    dict of DataFrame
        Keyed by table name, in the canonical column names.
    """
    rng = np.random.default_rng(seed)
    ids = [str(c) for c in customer_ids]
    n = len(ids)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    span = (t1 - t0).days

    def day(k: int) -> pd.DatetimeIndex:
        return t0 + pd.to_timedelta(rng.integers(0, span + 1, size=k), unit="D")

    customers = pd.DataFrame({
        "customer_id": ids,
        "name": [f"客户{i + 1:04d} Customer {i + 1}" for i in range(n)],
        "segment": rng.choice(SEGMENTS, size=n),
        "region": rng.choice(REGIONS, size=n),
        "owner": rng.choice(OWNERS, size=n),
    })
    mean_minutes = 5.0
    if orders is None:
        k_int = rng.poisson(2, size=n)
    else:
        busy = np.array([orders.get(c, 0) for c in ids], dtype=float)
        k_int = rng.poisson((1.0 + 1.5 * busy) * rng.lognormal(-0.5, 1.0, size=n))
        mean_minutes = 30.0
    cid = np.repeat(ids, k_int)
    m = len(cid)
    kinds = rng.choice(KINDS, size=m, p=[0.15, 0.35, 0.25, 0.15, 0.10])
    minutes = np.round(rng.gamma(2.0, mean_minutes, size=m)).astype(float)
    cost = np.where(kinds == "visit", np.round(rng.uniform(10, 40, size=m)), np.nan)
    own = customers.set_index("customer_id")["owner"]
    reps = np.where(rng.random(m) < 0.8, own.reindex(cid).to_numpy(), rng.choice(OWNERS, size=m))
    interactions = pd.DataFrame({"customer_id": cid, "ts": day(m), "kind": kinds, "rep": reps,
                                 "minutes": minutes, "cost": cost})
    interactions = interactions.sort_values(["customer_id", "ts"], kind="stable").reset_index(drop=True)

    k_c = rng.poisson(1.2, size=n)
    cc = np.repeat(ids, k_c)
    q = len(cc)
    made = day(q)
    due = made + pd.to_timedelta(rng.integers(3, 45, size=q), unit="D")
    u = rng.random(q)
    lag = pd.to_timedelta(rng.integers(-15, 10, size=q), unit="D")
    kept = pd.Series(due + lag).where(u < 0.75)
    status = np.where(u < 0.75, "已兑现", np.where(u < 0.82, "取消", ""))
    commitments = pd.DataFrame({
        "customer_id": cc, "made_on": made, "due_on": due, "rep": own.reindex(cc).to_numpy(),
        "text": rng.choice(PROMISES, size=q), "kept_on": kept.to_numpy(), "status": status,
    })
    resources = pd.DataFrame(RESOURCES, columns=["resource_id", "name", "channel", "price", "unit",
                                                 "tags", "case_studies", "effect"])
    k_n = rng.integers(1, 4, size=n)
    nc = np.repeat(ids, k_n)
    needs = pd.DataFrame({
        "customer_id": nc, "tag": rng.choice(TAGS, size=len(nc)),
        "budget": np.repeat(np.round(rng.lognormal(8.5, 0.8, size=n), -2), k_n),
        "period": "2026Q3",
    }).drop_duplicates(["customer_id", "tag"]).reset_index(drop=True)
    k_p = rng.integers(1, 4, size=n)
    pc = np.repeat(ids, k_p)
    roles = rng.integers(0, len(ROLES), size=len(pc))
    contacts = pd.DataFrame({
        "customer_id": pc,
        "contact_id": [f"{c}-P{j + 1}" for c, kk in zip(ids, k_p, strict=True) for j in range(kk)],
        "name": [f"联系人{i + 1}" for i in range(len(pc))],
        "role": [ROLES[r][0] for r in roles], "kpi": [ROLES[r][1] for r in roles],
    })
    return {"customers": customers, "interactions": interactions, "commitments": commitments,
            "resources": resources, "needs": needs, "contacts": contacts}


def write_side_tables(tables: dict[str, pd.DataFrame], folder: str | Path) -> dict[str, Path]:
    """Write each table as ``<name>.csv`` (UTF-8 with BOM, opens in Excel) in ``folder``.

    Example
    -------
    >>> import tempfile
    >>> paths = write_side_tables(make_side_tables(["C1"]), tempfile.mkdtemp())
    >>> sorted(p.name for p in paths.values())[0]
    'commitments.csv'
    """
    from xuanba.tables import write_table

    return {name: write_table(df, Path(folder) / f"{name}.csv") for name, df in tables.items()}
