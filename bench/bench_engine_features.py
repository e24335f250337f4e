"""Benchmark: what intervals and ``model = "auto"`` cost a round on an engine (DuckDB).

The same simulated base as bench_spark.py (bench_round.py's BG/NBD customers, cached as Parquet
in bench/out), the starter standard at the same cutoff, four rounds side by side in one run,
each in a fresh subprocess (wall time of ``run_round_on_engine``, peak resident memory):

* ``named``: ``model = "bgnbd"`` (the floor: what an engine round did before);
* ``named+interval``: and ``interval = 0.9`` (bounds per distinct history, spend's in the engine);
* ``auto``: ``model = "auto"`` (three candidates fitted, the holdout year grouped by the engine
  and checked);
* ``auto+interval``: both;
* ``named+accounts``: ``named`` with payment dates on three quarters of the transactions (due 30
  days on, paid 0–39 days after the sale) and a --workspace holding interactions, promises,
  contacts and customers for every customer (the demo's generator): the payment fields, the
  account fields and the account analyses the engine round now gives.

    python bench/bench_engine_features.py --customers 1e5
    python bench/bench_engine_features.py --customers 1e6
    python bench/bench_engine_features.py --customers 1e5 --cases named named+accounts
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF, peak_gib  # noqa: E402
from bench_round import bgnbd_data  # noqa: E402

CASES = ("named", "named+interval", "auto", "auto+interval", "named+accounts")


def _standard(case: str) -> object:
    from xuanba.standard import load_standard, starter_standard

    text = starter_standard("en")
    if not case.startswith("auto"):
        text = text.replace('model = "auto"', 'model = "bgnbd"')
    if case.endswith("+interval"):
        text = text.replace("[predictions]\n", "[predictions]\ninterval = 0.9\n")
    return load_standard(text)


def _accounts_data(parquet: Path) -> tuple[Path, Path]:
    """The transactions of ``parquet`` with payment dates, and a workspace of side tables for
    every customer (made once in bench/out)."""
    import duckdb

    paid = parquet.with_name(parquet.stem + "_paid.parquet")
    side = parquet.with_name(parquet.stem + "_side.duckdb")
    if not paid.exists():
        duckdb.sql(f"""COPY (SELECT *, CAST(ts AS DATE) + 30 AS due_on,
                       CASE WHEN hash(customer_id, ts) % 4 = 0 THEN NULL
                            ELSE CAST(ts AS DATE) + CAST(hash(ts, customer_id) % 40 AS INTEGER) END AS paid_on
                       FROM read_parquet('{parquet}')) TO '{paid}' (FORMAT parquet)""")
    if not side.exists():
        from xuanba import Workspace
        from xuanba.demo.accounts_demo import make_side_tables
        from xuanba.ingest import ingest

        ids = duckdb.sql(f"SELECT DISTINCT CAST(customer_id AS VARCHAR) AS c FROM read_parquet('{parquet}') ORDER BY c"
                         ).fetchnumpy()["c"]
        tables = make_side_tables(list(ids), seed=3, start="2025-01-01", end=CUTOFF)
        with Workspace(side) as ws:
            for kind in ("customers", "interactions", "commitments", "contacts"):
                ingest(tables[kind], ws, kind=kind)
    return paid, side


def _child(case: str, parquet: str) -> None:
    from xuanba.rounds.engine import duckdb_source, run_round_on_engine

    std = _standard(case)
    side = None
    if case.endswith("+accounts"):
        paid, side = _accounts_data(Path(parquet))
        parquet = str(paid)
    t0 = time.perf_counter()
    rnd = run_round_on_engine(duckdb_source(parquet), std, CUTOFF, side_tables=side)
    wall = time.perf_counter() - t0
    peak = peak_gib()
    print(json.dumps({"case": case, "wall_s": wall, "peak_gib": peak, "model": rnd.meta["predictions"],
                      "analyses": len([k for k in rnd.tables if not k.startswith("model") and k != "holdout"]),
                      "intervals": len(rnd.meta.get("intervals", {}).get("columns", [])),
                      "roster_sha256": rnd.meta["roster_sha256"][:12]}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    parquet = bgnbd_data(int(args.customers))
    if "named+accounts" in args.cases:  # made before the timed runs
        _accounts_data(parquet)
    rows = []
    for case in args.cases:
        out = subprocess.run([sys.executable, __file__, "--child", case, str(parquet)], capture_output=True,
                             text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr, flush=True)
    floor = rows[0]["wall_s"]
    print(f"\n{int(args.customers):,} customers, DuckDB engine round, cutoff {CUTOFF}\n")
    print("| case | model | bound columns | account analyses | wall (s) | × first case | peak RSS (GiB) | roster sha256 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['model']} | {r['intervals']} | {r['analyses']} | {r['wall_s']:.1f} "
              f"| {r['wall_s'] / floor:.2f} | {r['peak_gib']:.2f} | {r['roster_sha256']} |")


if __name__ == "__main__":
    main()
