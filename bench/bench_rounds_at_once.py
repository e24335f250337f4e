"""Benchmark: two engine rounds at once, from two threads, on one DuckDB connection and on two.

On one connection the rounds take turns (xuanba.standard.engine_lock): two at once should cost what
two one after the other cost, and each gives the roster of a round alone. On two connections they
run at once. A round alone is timed too, to see the lock cost nothing by itself. With ``--against``
the same runs with the xuanba of another commit, alternating (an older tree's two rounds at once on
one connection end in DuckDB's error, said as its name).

    python bench/bench_rounds_at_once.py --customers 2e4                   # this tree
    python bench/bench_rounds_at_once.py --customers 2e4 --against 0c7bf4c # and an older one
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_round import _source_of

SRC = Path(__file__).resolve().parent.parent / "src"

CUTOFF = "2025-12-31"


def _child(customers: int) -> dict:
    import ibis
    import pyarrow as pa

    import xuanba
    from xuanba.models.simulate import simulate_transactions
    from xuanba.rounds import run_round_on_engine
    from xuanba.standard import starter_standard

    tx = pa.Table.from_pandas(simulate_transactions("pareto-nbd", customers, "2022-01-01", CUTOFF, seed=3),
                              preserve_index=False)
    std = starter_standard()
    con = ibis.duckdb.connect()
    table = con.create_table("tx", tx)

    def one(on: object = table) -> object:
        return run_round_on_engine(on, std, CUTOFF, check_model=False)

    def at_once(calls: list) -> tuple[float, list]:
        gate, got = threading.Barrier(len(calls)), [None] * len(calls)

        def work(i: int) -> None:
            gate.wait()
            try:
                got[i] = calls[i]()
            except Exception as exc:  # noqa: BLE001 - what an older tree does, said by name
                got[i] = type(exc).__name__
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start, got

    alone = one()  # warm: compiled, the model's code loaded
    start = time.perf_counter()
    one()
    one_s = time.perf_counter() - start
    start = time.perf_counter()
    one()
    one()
    after_s = time.perf_counter() - start
    same_s, same = at_once([one, one])
    other = ibis.duckdb.connect().create_table("tx", tx)
    two_s, two = at_once([one, lambda: one(other)])

    def said(rounds: list) -> str:
        bad = [r for r in rounds if isinstance(r, str)]
        if bad:
            return bad[0]
        return "same" if all(r.roster.equals(alone.roster) for r in rounds) else "differ"

    return {"xuanba": xuanba.__file__, "alone": round(one_s, 3), "one_after_other": round(after_s, 3),
            "at_once_one_connection": round(same_s, 3), "one_connection_rosters": said(same),
            "at_once_two_connections": round(two_s, 3), "two_connections_rosters": said(two)}


def _call(customers: int, src: Path) -> dict:
    """This script's child run with the xuanba of ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, __file__, "--child", str(customers)], capture_output=True, text=True,
                         env=env)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=2e4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--against", metavar="REV", help="also time the xuanba of commit REV, alternating")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return
    trees = {"this": SRC, **({args.against: _source_of(args.against)} if args.against else {})}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, src in trees.items():
            got = _call(int(args.customers), src)
            runs[name].append(got)
            print(name, json.dumps(got), flush=True)
    for name, got in runs.items():
        keys = [k for k in got[0] if isinstance(got[0][k], float)]
        print(name, "median", {k: round(statistics.median(g[k] for g in got), 3) for k in keys})


if __name__ == "__main__":
    sys.exit(main())
