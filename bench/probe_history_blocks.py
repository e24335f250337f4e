"""How many history blocks :func:`xuanba.rounds.engine._histories` reads at N customers on DuckDB,
and what each costs: the distinct histories, the position (by id) of the customer who brings the
last new one (the blocks run up to it on DuckDB; on Spark up to ``rows_known``, every customer),
and each block query's CPU and wall time.

    python bench/probe_history_blocks.py 1000000    # reads bench/out/round_bgnbd_1000000.parquet
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import ibis

import xuanba.rounds.engine as eng
from xuanba.facts.expressions import customer_facts_expr
from xuanba.rounds.source_check import checked_transactions

sys.path.insert(0, str(Path(__file__).parent))
from bench_facts import CUTOFF  # noqa: E402


def main(n: int) -> None:
    con = ibis.duckdb.connect()
    tx, _ = checked_transactions(con.read_parquet(str(Path(__file__).parent / "out" / f"round_bgnbd_{n}.parquet")),
                                 CUTOFF)
    facts = customer_facts_expr(tx, CUTOFF, rfm=False).cache()
    print("customers", facts.count().execute(), flush=True)
    calls: list[tuple[int, float, float]] = []
    read = eng.to_arrow_by

    def timed(expr, by):
        c0, w0 = time.process_time(), time.perf_counter()
        out = read(expr, by)
        calls.append((out.num_rows, time.process_time() - c0, time.perf_counter() - w0))
        return out

    eng.to_arrow_by = timed
    for cols in (eng.HISTORY, eng.SPEND_HISTORY):
        calls.clear()
        with eng._positions_kept(facts, cols) as t:
            groups = t.group_by(list(cols)).aggregate(_first=t._pos.min())
            print(cols, "distinct histories", groups.count().execute(), "last new one at position",
                  groups._first.max().execute(), flush=True)
            c0, w0 = time.process_time(), time.perf_counter()
            eng._histories(t, cols)
            c1, w1 = time.process_time(), time.perf_counter()
        print(cols, f"_histories CPU {c1 - c0:.2f} s, wall {w1 - w0:.2f} s; {len(calls)} blocks", flush=True)
        for rows, cpu, wall in calls:
            print(f"   block of {rows:>8} histories: CPU {cpu:.3f} s, wall {wall:.3f} s")
    print("peak RSS MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main(int(sys.argv[1]))
