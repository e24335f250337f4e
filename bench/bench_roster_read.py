"""Benchmark: what reading a stored 1 M-customer roster costs when its texts are stored as codes
(schema version 5: ``roster_codes`` + ``roster_labels``, ``roster`` a decoding view) against
text (an older commit's ``src``), and what appending it costs.

A synthetic roster (the six texts as Arrow dictionaries, as a DuckDB round's saver is given them;
ids shuffled) is appended by each version's ``rounds.store._insert_roster`` into a file of its own
(one transaction, the round's storing settings), then each reader is timed in a fresh process
per version, the versions in turn: the median of ``--repeat`` calls after a warm-up, CPU of the
process (all threads) and wall:

* ``append`` — ``_insert_roster`` of the whole roster, then the commit;
* ``load_round's read`` — the whole roster as ``load_round`` reads it (pandas, texts ``str``);
* ``view, whole`` — ``SELECT * FROM roster WHERE round_id = ? ORDER BY rank`` (``.df()``: SQL and
  notebooks, the web's export of a roster);
* ``distinct tier`` — the web's list of tiers; ``tier page`` — a filtered page of 50 in SQL;
* ``one customer`` — a customer's row by id;
* ``web: ...`` — the web's filtered pages of a round not kept whole (``web.data``'s SQL: page 21
  of 50 by tier sorted by score, by quadrant sorted by tier) and its export of a tier's rows.

Every version must read the same values (checked: a hash of each reader's result).

    flock /tmp/xuanba-heavy.lock python bench/bench_roster_read.py --against 013e459 --repeat 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def roster(n: int):
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(1)

    def coded(labels, p=None):
        codes = rng.choice(len(labels), size=n, p=p).astype(np.int16)
        return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(labels, type=pa.large_string()))

    tiers, crits = ["", "A", "B", "C"], ["", "revenue", "margin", "future_value", "still_active"]
    return pa.table({
        "customer_id": pa.array([f"C{i:08d}" for i in rng.permutation(n)], type=pa.large_string()),
        "rank": pa.array(np.arange(1, n + 1)), "score": pa.array(np.sort(rng.random(n))[::-1] * 100),
        "tier": coded(tiers, [0.7, 0.05, 0.1, 0.15]), "selected": pa.array(rng.random(n) < 0.3),
        "quadrant": coded(["", "high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
                           "low_value_low_potential"]),
        "value_score": pa.array(rng.random(n)), "potential_score": pa.array(rng.random(n)),
        "gates_failed": coded(["", "profitable", "active", "profitable; active"], [0.8, 0.1, 0.05, 0.05]),
        "next_tier": coded(tiers), "gap_to_next": pa.array(rng.random(n)),
        "cheapest_criterion": coded(crits), "cheapest_change": pa.array(rng.random(n)),
        "left_out_by_capacity": pa.array(rng.random(n) < 0.01), "cheapest_public_criterion": coded(crits),
        "cheapest_public_change": pa.array(rng.random(n)),
    })


def web_page(ws, tier, quadrant, sort):
    """The web's page 21 of 50 (a round not kept whole: read in SQL), filtered, sorted descending."""
    import pandas as pd

    from xuanba.web import data

    frm, params = data._from(ws, 1, None)
    where, wp = data._where(ws, 1, tier, None, {"quadrant": quadrant} if quadrant else None)
    by = data._text(ws, sort) if hasattr(data, "_text") and sort == "tier" else data.SORTS[sort]
    frm_sorted = data._labelled(ws, frm) if hasattr(data, "_labelled") and sort == "tier" else frm  # as roster_page
    got = data._page_in_sql(ws, 1, frm, params, frm_sorted, where, wp, f"{by} DESC NULLS LAST, r.rank", sort, True,
                            21, 50, scoped=False)
    return pd.DataFrame(got["rows"]).assign(total=got["total"])


def web_rows(ws, tier):
    """The web's export of a tier's rows (``roster_rows``' SQL, without its round look-up)."""
    from xuanba.web import data

    frm, params = data._from(ws, 1, None)
    frm = data._labelled(ws, frm) if hasattr(data, "_labelled") else frm
    where, wp = data._where(ws, 1, tier, None, None)
    cols = ", ".join(data._text(ws, c) + f" AS {c}" if hasattr(data, "_text") else f"r.{c}"
                     for c in ("tier", "quadrant", "gates_failed", "next_tier"))
    return ws.con.execute(f"SELECT r.rank, r.customer_id, r.score, {cols} {frm}{where} ORDER BY r.rank",
                          params + wp).df()


def child(path: str, n: int, repeat: int) -> None:
    """In a fresh process with one version's ``src``: store, then time each reader."""
    import pandas as pd

    from xuanba import Workspace
    from xuanba.rounds import store
    from xuanba.standard.score import ROSTER_COLUMNS

    out: dict[str, object] = {}
    table = roster(n)
    with Workspace(path) as ws:
        with store._storing(ws) as threads, ws.transaction() as con:
            store._ddl(con)
            c0, w0 = cpu(), time.perf_counter()
            store._insert_roster(con, 1, table, threads)
            c1 = cpu()
        out["append"] = (cpu() - c0, time.perf_counter() - w0, c1 - c0, "")
    del table

    def whole(ws):
        if hasattr(store, "read_roster"):
            frame = store.roster_frame(store.read_roster(ws, 1))
        else:
            frame = ws.sql(f"SELECT {', '.join(ROSTER_COLUMNS)} FROM roster WHERE round_id = ? ORDER BY rank", [1])
        for col in ("customer_id", "tier", "quadrant", "gates_failed", "next_tier", "cheapest_criterion",
                    "cheapest_public_criterion"):
            frame[col] = frame[col].astype("str")
        return frame

    readers = {
        "load_round's read": whole,
        "view, whole": lambda ws: ws.sql("SELECT * FROM roster WHERE round_id = 1 ORDER BY rank"),
        "distinct tier": lambda ws: ws.sql("SELECT DISTINCT tier FROM roster WHERE round_id = 1 AND tier <> '' "
                                           "ORDER BY 1"),
        "tier page": lambda ws: ws.sql("SELECT * FROM roster r WHERE r.round_id = 1 AND r.tier = 'B' "
                                       "ORDER BY r.score DESC, r.rank LIMIT 50 OFFSET 1000"),
        "one customer": lambda ws: ws.sql("SELECT * FROM roster WHERE round_id = 1 AND customer_id = 'C00012345'"),
        "web: tier page by score": lambda ws: web_page(ws, "B", None, "score"),
        "web: quadrant page by tier": lambda ws: web_page(ws, None, "low_value_high_potential", "tier"),
        "web: tier export (roster_rows)": lambda ws: web_rows(ws, "C"),
    }
    with Workspace(path, read_only=True) as ws:
        for name, read in readers.items():
            got = read(ws)
            digest = hashlib.sha256(pd.util.hash_pandas_object(got, index=False).to_numpy().tobytes()).hexdigest()[:12]
            times = []
            for _ in range(repeat):
                c0, w0 = cpu(), time.perf_counter()
                read(ws)
                times.append((cpu() - c0, time.perf_counter() - w0))
            out[name] = (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times), None, digest)
    out["file_mib"] = os.path.getsize(path) / 2**20
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="fresh processes per version, the versions in turn")
    ap.add_argument("--against", default="main")
    ap.add_argument("--child", nargs=3, metavar=("PATH", "N", "REPEAT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    sys.path.insert(0, str(BENCH))
    from bench_round import _source_of

    trees = {"this tree": BENCH.parent / "src", args.against: _source_of(args.against)}
    results: dict[str, list[dict]] = {k: [] for k in trees}
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for r in range(args.rounds):
            for name, src in trees.items():
                path = Path(tmp) / f"{r}-{name.replace(' ', '_')}.duckdb"
                env = {**os.environ, "PYTHONPATH": str(src)}
                got = subprocess.run([sys.executable, __file__, "--child", str(path), str(int(args.customers)),
                                      str(args.repeat)], env=env, check=True, capture_output=True, text=True)
                results[name].append(json.loads(got.stdout.strip().splitlines()[-1]))
    first = next(iter(trees))
    keys = [k for k in results[first][0] if k != "file_mib"]
    print(f"| reader, {int(args.customers):,} customers | " + " | ".join(f"{k}: CPU s (wall s)" for k in trees)
          + f" | {first} / {args.against} |")
    print("|---|" + "---:|" * (len(trees) + 1))
    for key in keys:
        cells, cpus = [], []
        for name in trees:
            c = statistics.median(x[key][0] for x in results[name])
            w = statistics.median(x[key][1] for x in results[name])
            cpus.append(c)
            cells.append(f"{c:.3f} ({w:.3f})")
        print(f"| {key} | " + " | ".join(cells) + f" | {cpus[0] / cpus[1]:.2f}× |")
    digests = {name: [[x[k][3] for k in keys if k != "append"] for x in results[name]] for name in trees}
    flat = [d for runs in digests.values() for d in runs]
    print("same values read by every version in every run:", all(d == flat[0] for d in flat))
    print("file MiB:", {name: round(statistics.median(x["file_mib"] for x in results[name]), 1) for name in trees})


if __name__ == "__main__":
    main()
