"""Probe: a round's roster (or its contributions) appended on one DuckDB thread with its last rows
on all (``rounds.store._append_narrowed``, the saver's way since perf31) against on all threads, at
``--times`` × the captured round's rows (issue 16: the 10 M round's tail is the saver's appends).

The rows are those of ``bench/bench_saver_append.py --capture`` (a 1 M round's roster and
contribution parts, else a synthetic round), repeated ``--times`` times, appended into a new file
in one transaction with the saver's storing limit (256 MiB) and two DuckDB threads, then committed.
Prints the append's and the commit's wall and CPU seconds (the process's: DuckDB's threads too).

    flock /tmp/xuanba-heavy.lock python bench/bench_saver_append.py --capture     # once
    flock /tmp/xuanba-heavy.lock python bench/probe_roster_threads.py --times 10 --what roster --repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def once(roster: pa.Table, parts: object, what: str, narrowed: bool) -> str:
    from xuanba.rounds import store

    with tempfile.TemporaryDirectory(dir=BENCH / "out") as d:
        con = duckdb.connect(str(Path(d) / "ws.duckdb"))
        store._ddl(con)
        con.execute("SET threads = 2")
        con.execute(f"SET memory_limit = '{store.STORE_MEMORY}B'")
        threads = store._Threads(con, 2)
        con.execute("BEGIN")
        t0, c0 = time.perf_counter(), time.process_time()
        if what == "roster":
            insert = f"INSERT INTO roster SELECT 1, {', '.join(store.ROSTER_COLUMNS)} FROM _xb_rows"
            store._append_narrowed(con, roster, insert, threads if narrowed else None)
        else:
            if narrowed:
                threads.few()
            store._insert_parts(con, 1, parts, np.arange(1, len(roster) + 1))
        t1, c1 = time.perf_counter(), time.process_time()
        con.execute("COMMIT")
        t2, c2 = time.perf_counter(), time.process_time()
        con.close()
    how = "one thread, the tail on all" if narrowed else "all threads"
    return (f"| {what} | {how} | {t1 - t0:.2f} | {c1 - c0:.2f} | {t2 - t1:.2f} | {c2 - c1:.2f} | "
            f"{os.getloadavg()[0]:.1f} |")


def main() -> None:
    from bench_saver_append import load
    from xuanba.rounds import store
    from xuanba.standard.score import ContributionParts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e6, help="the captured round's customers")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--what", choices=("roster", "points"), default="roster")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    (BENCH / "out").mkdir(exist_ok=True)
    _, frame, parts = load(int(args.customers))
    one = pa.Table.from_pandas(frame[list(store.ROSTER_COLUMNS)], preserve_index=False)
    roster = pa.concat_tables([one] * args.times).combine_chunks()
    big = None
    if args.what == "points":
        big = ContributionParts(pd.Series(np.tile(parts.customer_id.to_numpy(), args.times)), parts.criteria,
                                parts.weights, raw=np.concatenate([parts.raw] * args.times),
                                normalised=np.concatenate([parts.normalised] * args.times),
                                contribution=np.concatenate([parts.contribution] * args.times))
    print(f"{len(roster):,} rows, {time.strftime('%H:%M:%S', time.gmtime())} UTC\n")
    print("| table | threads | append wall s | append CPU s | commit wall s | commit CPU s | load |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for _ in range(args.repeat):
        for narrowed in (True, False):
            print(once(roster, big, args.what, narrowed), flush=True)


if __name__ == "__main__":
    main()
