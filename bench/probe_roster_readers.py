"""Readers of a few roster columns, timed (web35): a workspace built by the xuanba on PYTHONPATH
(round 100 of 200,000 customers x 5 criteria; 30 rounds of 40,000 customers, each with 40,000
distinct gate failures), then, best of 5, the ``contributions`` view read whole,
``read_contributions`` whole, a customer's history over the 30 rounds as the web reads it when the
rounds are not kept in memory, and (one run) the web's whole export of a 40,000-row round.

    PYTHONPATH=src python bench/probe_roster_readers.py      # and with another tree's src, to compare
"""
import os
import tempfile
import time

import numpy as np
import pandas as pd

from xuanba import Workspace
from xuanba.rounds.store import CODED_COLUMNS, _ddl, _insert_roster, read_contributions
from xuanba.standard.score import ROSTER_COLUMNS
from xuanba.web import data


def roster(n, seed, gates_distinct):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "rank": np.arange(1, n + 1)})
    for col in ROSTER_COLUMNS:
        if col not in f:
            f[col] = "" if col in CODED_COLUMNS else (rng.random(n) if col != "selected" and col != "left_out_by_capacity" else rng.random(n) < .5)
    f["tier"] = np.where(f["rank"] < n // 4, "A", np.where(f["rank"] < n // 2, "B", ""))
    f["quadrant"] = rng.choice(["stars", "keep", "grow", "watch"], n)
    if gates_distinct:
        f["gates_failed"] = [f"g{i}" for i in range(n)]
    return f[list(ROSTER_COLUMNS)]

d = tempfile.mkdtemp()
path = os.path.join(d, "p.duckdb")
with Workspace(path) as ws, ws.transaction() as con:
    _ddl(con)
    for rid in range(1, 31):
        _insert_roster(con, rid, roster(40_000, rid, True))
        con.execute("INSERT INTO rounds (round_id, cutoff, n_customers, meta_json) VALUES (?, DATE '2025-01-01' + ?::INTEGER, 40000, '{}')", [rid, rid])
    _insert_roster(con, 100, roster(200_000, 100, False))
    con.execute("INSERT INTO rounds (round_id, cutoff, n_customers, meta_json) VALUES (100, DATE '2026-01-01', 200000, '{}')")
    con.execute("INSERT INTO round_criteria SELECT 100, i::INTEGER, 'k' || i, 0.2 FROM range(1, 6) t(i)")
    con.execute("INSERT INTO round_points SELECT 100, i, [i * 1.0, 2, 3, 4, 5], [0.1, 0.2, 0.3, 0.4, i / 1e6], NULL "
                "FROM range(1, 200001) t(i)")

def best(f, k=5):
    out = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return min(out) * 1000

with Workspace(path, read_only=True) as ws:
    heads = {rid: (None, str(rid)) for rid in range(1, 31)}
    res = {
        "contributions view, whole (200k x 5)": best(lambda: ws.con.execute("SELECT * FROM contributions").to_arrow_table()),
        "read_contributions, whole (200k x 5)": best(lambda: read_contributions(ws, 100)),
        "web history, 30 rounds x 40k labels": best(lambda: data._history(ws, "c123", heads, None)),
        "web roster_rows, a 40k round (one run)": best(lambda: data.roster_rows(ws, 5), 1),
    }
for k, v in res.items():
    print(f"{k:45s} {v:8.1f} ms")
