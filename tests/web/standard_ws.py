"""A small real workspace for the standard page's tests: 60 customers' transactions (names and
owners in a customers table), one round of a two-criterion standard at 2026-03-31, and the four
users of :mod:`tests.web.helpers`. No criterion reads a prediction, so a round takes a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.web.helpers import PASSWORD

STANDARD = """[standard]
name = "core"
version = "1"
lang = "en"

[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 70

[[criteria]]
name = "repeat"
field = "frequency"
weight = 30

[[tiers]]
name = "gold"
label = "Gold"
quota = 10

[[tiers]]
name = "silver"
label = "Silver"
quota = 20
"""


def standard(version: int = 1, gold: int = 10, revenue: int = 70) -> str:
    """:data:`STANDARD` with another version number, gold quota or revenue weight (repeat: the rest)."""
    return (STANDARD.replace('version = "1"', f'version = "{version}"').replace("quota = 10", f"quota = {gold}")
            .replace("weight = 70", f"weight = {revenue}").replace("weight = 30", f"weight = {100 - revenue}"))


def make_standard_workspace(path: Path, n: int = 60) -> Path:
    from xuanba.ingest import ingest
    from xuanba.rounds import run_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    rng = np.random.default_rng(14)
    ids = np.array([f"S{i:03d}" for i in range(n)])
    cid = np.repeat(ids, rng.integers(1, 9, n))
    tx = pd.DataFrame({"customer_id": cid,
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, len(cid)), unit="D"),
                       "amount": np.round(rng.lognormal(5, 1, len(cid)), 2)})
    customers = pd.DataFrame({"customer_id": ids, "name": [f"Firm {i}" for i in range(n)],
                              "owner": [f"Rep {i % 3:02d}" for i in range(n)]})
    with Workspace(path) as ws:
        ingest(tx, ws)
        ingest(customers, ws, kind="customers")
        run_round(ws, STANDARD, "2026-03-31", check_model=False)
        store.add_user(ws, "admin", PASSWORD, role="admin")
        store.add_user(ws, "boss", PASSWORD, role="manager")
        store.add_user(ws, "ann", PASSWORD, role="rep", owner="Rep 01")
    return path
