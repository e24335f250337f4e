"""Probe: what reading a text quantity's sign costs per cell, by kind of cell.

:func:`xuanba.ingest.rules.negative_number` (what an engine round reads a text ``quantity`` by)
over ``--cells`` cells of each kind, summed in one DuckDB query on one thread, with this tree's
xuanba and with the one of commit ``--against REV``, alternating, each run a fresh subprocess.
Kinds: ``whole`` (``1`` to ``5``: the one-pattern branch), ``decimal`` (``0.255`` to ``4.255``),
``thousands`` (``-1,000`` to ``-1,999``), ``wide`` (``１２``: full-width digits), ``thousands-dec``
(``-1,000.50``), ``currency`` (``¥-1,000.50``), ``comma`` (``-0,5`` to ``-9,5``: a decimal comma). The table gives
the median CPU seconds (user + system of the query) per kind and tree.

    flock /tmp/xuanba-heavy.lock python bench/probe_quantity_text.py --against 57ce493 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_round import _source_of  # noqa: E402

KINDS = {
    "whole": "CAST(1 + i % 5 AS VARCHAR)",
    "decimal": "CAST(0.25 + i % 5 AS VARCHAR) || '5'",
    "thousands": "'-1,' || lpad(CAST(i % 1000 AS VARCHAR), 3, '0')",
    "wide": "'１' || CAST(i % 10 AS VARCHAR)",
    "thousands-dec": "'-1,' || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') || '.50'",
    "currency": "'¥-1,' || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') || '.50'",
    "comma": "'-' || CAST(i % 10 AS VARCHAR) || ',5'",
}


def _child(kind: str, cells: int) -> None:
    import ibis

    from xuanba.ingest.rules import negative_number

    con = ibis.duckdb.connect(threads=1)
    con.raw_sql(f"CREATE TABLE t AS SELECT {KINDS[kind]} AS q FROM range({cells}) r(i)")
    t = con.table("t")
    read = t.select(n=negative_number(t.q))
    expr = read.aggregate(n=read.n.cast("int64").sum(), u=read.count() - read.n.count())
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    got = con.execute(expr)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"cpu_s": cpu, "wall_s": time.perf_counter() - wall,
                      "negative": int(got["n"].iloc[0] or 0), "none": int(got["u"].iloc[0] or 0)}))


def _run(kind: str, cells: int, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--cells", str(cells)], capture_output=True,
                         text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", default="main", help="the commit to compare with")
    ap.add_argument("--cells", type=float, default=2e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    cells = int(args.cells)
    if args.child:
        _child(args.child, cells)
        return
    trees = {"this tree": None, args.against: _source_of(args.against)}
    runs: dict[tuple[str, str], list[dict]] = {(k, t): [] for k in args.kinds for t in trees}
    for _ in range(args.repeat):
        for kind in args.kinds:
            for tree, src in trees.items():
                runs[kind, tree].append(_run(kind, cells, src))
                print(kind, tree, runs[kind, tree][-1], file=sys.stderr, flush=True)
    print(f"\n{cells:,} cells a kind, one DuckDB thread, median of {args.repeat}, alternating; "
          f"load {os.getloadavg()[0]:.2f}\n")
    print("| cells | tree | CPU (s) | µs a cell | negative / none |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (kind, tree), got in runs.items():
        cpu = statistics.median(r["cpu_s"] for r in got)
        print(f"| {kind} | {tree} | {cpu:.2f} | {cpu / cells * 1e6:.2f} | {got[0]['negative']:,} / {got[0]['none']:,} |")


if __name__ == "__main__":
    main()
