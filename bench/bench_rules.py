"""Benchmark: rules nesting ``//``, ``%`` and ``round`` compiled to the engine (DuckDB).

For each rule, in a fresh subprocess: the size of the query the engine is sent (nodes of the Ibis
graph written out: every table once, every column's expression as a full tree, counted here so
that any revision is measured alike), the time to build it and to write its SQL, the time to run
it over N customers (made-up values that misbehave: signed zeros, halves, huge values, ±inf,
NaN), the process's CPU time, and whether the values are the pandas path's bit for bit.
``--against REV`` measures the same rules with the ``src/`` of commit REV, in the same run (its
size guard, ``RULE_SIZE_MAX``, lifted so that the old compilation is measured, not refused); a
rule that does not finish in ``--timeout`` seconds is reported as such.

    python bench/bench_rules.py                          # 10,000 customers
    python bench/bench_rules.py --against main --timeout 300
    python bench/bench_rules.py --customers 1e6 --against main --rules "a // b" "a % b"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RULES = ["a // b", "(a % b) % t", "round(a // b)", "a // (b // 2)", "((a % b) % t) // c",
         "round(round(a / 2) // (b % 3))", "a // (b // (t // (c // 2)))"]


def _frame(n: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(16)
    odd = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 2.5, 1e300, -1e300, 1e-300, np.inf, -np.inf, np.nan])
    cols = {}
    for k, name in enumerate("abtc"):
        v = rng.normal(0, 10, n).round(k % 3)
        pick = rng.random(n) < 0.2
        v[pick] = rng.choice(odd, int(pick.sum()))
        cols[name] = v
    return pd.DataFrame(cols)


def _written_size(table) -> int:
    """Nodes of ``table``'s query written out: each table once, each value as a full tree."""
    from ibis.expr.operations import Relation

    sizes: dict[int, int] = {}

    def value(node) -> int:
        if id(node) not in sizes:
            sizes[id(node)] = 1 if isinstance(node, Relation) else 1 + sum(value(c) for c in node.__children__)
        return sizes[id(node)]

    seen: set[int] = set()
    total, stack = 0, [table.op()]
    while stack:
        rel = stack.pop()
        if id(rel) in seen:
            continue
        seen.add(id(rel))
        total += 1
        for child in rel.__children__:
            if isinstance(child, Relation):
                stack.append(child)
            else:
                total += value(child)
                stack.extend(child.find(Relation))
    return total


def _child(rule: str, n: int) -> None:
    import ibis
    import numpy as np
    import pyarrow as pa

    import xuanba.standard.engine_rules as er
    from xuanba.standard.expressions import evaluate

    frame = _frame(n)
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))

    def build(rule: str):
        if hasattr(er, "with_rules"):
            return er.with_rules(table, {"x": rule})
        er.RULE_SIZE_MAX = float("inf")  # before: one expression per rule, refused past it
        return table.mutate(x=er.compile_rule(rule, table))

    ibis.to_sql(build("a + 1"))
    build("a + 1").to_pyarrow()  # the engine's connection and Ibis's first compilation out of the timing
    cpu0, t0 = time.process_time(), time.perf_counter()
    query = build(rule)
    t1 = time.perf_counter()
    sql = ibis.to_sql(query)
    t2 = time.perf_counter()
    got = query.to_pyarrow()["x"].to_numpy(zero_copy_only=False)
    t3 = time.perf_counter()
    cpu = time.process_time() - cpu0
    with np.errstate(all="ignore"):
        want = np.asarray(evaluate(rule, frame), dtype=float)
    got = np.array([np.nan if v is None else v for v in got], dtype=float)
    num = ~np.isnan(want)
    same = bool(np.array_equal(got, want, equal_nan=True) and np.array_equal(np.signbit(got[num]), np.signbit(want[num])))
    print(json.dumps({"nodes": _written_size(query), "sql_chars": len(sql), "build": t1 - t0, "sql": t2 - t1,
                      "run": t3 - t2, "total": t3 - t0, "cpu": cpu, "same": same}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e4)
    parser.add_argument("--against", metavar="REV", help="also the rules with the src/ of this commit")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per rule and source")
    parser.add_argument("--rules", nargs="+", default=RULES, help="the rules to measure (default: the list above)")
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address space per rule and source")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import resource

        limit = int(args.memory_gb * 2**30)  # the old compilation of a deep rule grows without end
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        _child(args.child[0], int(float(args.child[1])))
        return
    sources = {"this": BENCH.parent / "src"}
    if args.against:
        sys.path.insert(0, str(BENCH))
        from bench_round import _source_of

        sources[args.against] = _source_of(args.against)
    n = int(args.customers)
    print(f"{n:,} customers; nodes of the query written out; seconds to build it, write its SQL and run it "
          f"(CPU seconds); the values equal to the pandas path's, bit for bit\n")
    print("| rule | " + " | ".join(f"{s}: nodes | {s}: s (CPU) | {s}: = pandas" for s in sources) + " |")
    print("| --- |" + " --- | --- | --- |" * len(sources))
    for rule in args.rules:
        cells = []
        for src in sources.values():
            env = {**os.environ, "PYTHONPATH": str(src)}
            try:
                out = subprocess.run([sys.executable, __file__, "--child", rule, str(n), "--memory-gb",
                                  str(args.memory_gb)], capture_output=True,
                                     text=True, env=env, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                cells += [f"> {args.timeout:.0f} s, not finished", "—", "—"]
                continue
            if out.returncode:
                cells += ["failed: " + out.stderr.strip().splitlines()[-1][:80], "—", "—"]
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            cells += [f"{r['nodes']:,}", f"{r['total']:.2f} ({r['cpu']:.2f})", "yes" if r["same"] else "**no**"]
        print(f"| `{rule}` | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
