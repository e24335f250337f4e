"""Benchmark: appending a round's contributions in three layouts (issue 16), from the same parts.

The parts (ids, four criteria, raw / normalised / points) of ``bench_store.py``'s synthetic round
of N customers are appended, in one transaction into a new file with the workspace's DuckDB
settings and two threads, as

* ``arrays`` — what xuanba stores (schema 3): ``round_points`` (round_id, rank, raw DOUBLE[],
  normalised DOUBLE[], contribution DOUBLE[]) and ``round_criteria``, by
  :func:`xuanba.rounds.store._insert_parts`;
* ``long by rank`` — a row per customer and criterion keyed by (round_id, rank INTEGER,
  position TINYINT), unnested by DuckDB;
* ``long by id`` — schema 2's table (round_id, customer_id, criterion, raw, normalised, weight,
  contribution), unnested by DuckDB.

It prints wall and CPU seconds of the append (the commit included) and the file's size, each
layout in turn, ``--repeat`` times, and the medians.

    python bench/bench_contrib_layouts.py --customers 1e6 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _wide(parts, start: int, stop: int, first: dict):  # noqa: ANN001, ANN202
    """The slice's columns: ``first`` then one column per criterion and kind (r, n, c)."""
    import numpy as np
    import pyarrow as pa

    cols = dict(first)
    for name, matrix in (("r", parts.raw), ("n", parts.normalised), ("c", parts.contribution)):
        for j in range(len(parts.criteria)):
            cols[f"{name}{j}"] = pa.array(np.ascontiguousarray(matrix[start:stop, j]), type=pa.float64(),
                                          from_pandas=True)
    return pa.table(cols)


def _unnested(con, parts, ranks, by_rank: bool) -> None:  # noqa: ANN001
    import numpy as np
    import pyarrow as pa

    from xuanba.rounds.store import _batched, _slices

    k = len(parts.criteria)
    lists = {name: "[" + ", ".join(f"{name}{j}" for j in range(k)) + "]" for name in ("r", "n", "c")}
    if by_rank:
        con.execute("CREATE TABLE pts (round_id BIGINT, rank INTEGER, position TINYINT, raw DOUBLE, "
                    "normalised DOUBLE, contribution DOUBLE)")
        insert = (f"INSERT INTO pts SELECT 1, rank, unnest(range(1, {k} + 1))::TINYINT, unnest({lists['r']}), "
                  f"unnest({lists['n']}), unnest({lists['c']}) FROM _x")
        bound = {}
    else:
        con.execute("CREATE TABLE contributions (round_id BIGINT, customer_id VARCHAR, criterion VARCHAR, "
                    "raw DOUBLE, normalised DOUBLE, weight DOUBLE, contribution DOUBLE)")
        insert = (f"INSERT INTO contributions SELECT 1, customer_id, unnest($names::VARCHAR[]), unnest({lists['r']}), "
                  f"unnest({lists['n']}), unnest($w::DOUBLE[]), unnest({lists['c']}) FROM _x")
        bound = {"names": list(parts.criteria), "w": [float(w) for w in parts.weights]}
    ids = parts.customer_id.array
    for start, stop in _slices(len(ranks)):
        first = ({"rank": pa.array(ranks[start:stop].astype(np.int32))} if by_rank else
                 {"customer_id": pa.array(ids[start:stop], type=pa.large_string())})
        con.register("_x", _batched(_wide(parts, start, stop, first)))
        con.execute(insert, bound)
        con.unregister("_x")


def main() -> None:
    import duckdb

    from bench_store import synthetic_round
    from xuanba.rounds.store import _ddl, _insert_parts
    from xuanba.workspace import duckdb_settings

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rnd = synthetic_round(int(args.customers))
    parts = rnd.__dict__["_contributions"]
    ranks = rnd.roster["rank"].to_numpy()
    ways = {"arrays (xuanba, schema 3)": lambda con: (_ddl(con), _insert_parts(con, 1, parts, ranks)),
            "long by rank": lambda con: _unnested(con, parts, ranks, True),
            "long by id (schema 2)": lambda con: _unnested(con, parts, ranks, False)}
    got: dict[str, list[tuple[float, float, float]]] = {w: [] for w in ways}
    load0 = os.getloadavg()
    for i in range(args.repeat):
        for name, append in ways.items():
            with tempfile.TemporaryDirectory(dir=BENCH / "out") as tmp:
                path = os.path.join(tmp, "w.duckdb")
                con = duckdb.connect(path)
                for key, value in duckdb_settings(path).items():
                    con.execute(f"SET {key} = ?", [value])
                con.execute("SET threads = 2")
                c0, t0 = _cpu(), time.perf_counter()
                con.execute("BEGIN")
                append(con)
                con.execute("COMMIT")
                t1, c1 = time.perf_counter(), _cpu()
                con.execute("CHECKPOINT")
                con.close()
                got[name].append((t1 - t0, c1 - c0, os.path.getsize(path) / 2**20))
                print(f"run {i + 1}, {name}: {t1 - t0:.2f} s, CPU {c1 - c0:.2f} s", file=sys.stderr, flush=True)
    print(f"\n{int(args.customers):,} customers × {len(parts.criteria)} criteria, median of {args.repeat}, "
          f"load {load0[0]:.1f} → {os.getloadavg()[0]:.1f}\n")
    print("| layout | wall s | CPU s | file MiB |\n|---|---:|---:|---:|")
    for name, runs in got.items():
        print(f"| {name} | " + " | ".join(f"{statistics.median(r[i] for r in runs):.2f}" for i in range(3)) + " |")


if __name__ == "__main__":
    main()
