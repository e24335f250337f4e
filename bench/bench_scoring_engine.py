"""Benchmark: the standard applied in pandas (score_customers) and on DuckDB (score_in_engine).

The starter standard (four criteria — three percentile, one in bands —, two gates, three tiers,
capacity 500) over a made-up table of N customers with the fields it reads; each variant runs in
a fresh subprocess, alternating, and prints its wall time, its CPU time (the process's, DuckDB's
threads included: on a shared machine it moves less than the wall time) and peak memory. Both
rosters are checked equal (texts and ranks exactly, numbers within 1e-9) on the first repeat.
The first call in a process also loads what it runs on (Ibis's DuckDB backend, about 0.1 s of
CPU); tune, what-if and backtests call the standard many times in one process, so the wall time
of a second call in the same process is given too ("next call"), and with ``--loop K`` the wall
and CPU time of K further calls in the same process with the weights varied each time (as tune
does: the same fields, random shares; the same K standards for both paths).

    python bench/bench_scoring_engine.py                      # 1 M customers, 1 repeat
    python bench/bench_scoring_engine.py --customers 1e5 --repeat 3
    python bench/bench_scoring_engine.py --against main       # and DuckDB with the src/ of commit main
    python bench/bench_scoring_engine.py --customers 1e4 --loop 100   # and a tune-like loop of 100 calls
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _fields(n: int):  # noqa: ANN202
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "customer_id": pd.Series(np.arange(n)).map("{:07d}".format),
        "revenue_365d": np.round(rng.gamma(1, 100, n) * (rng.uniform(size=n) < 0.6), 2),
        "margin_365d": np.round(rng.normal(30, 50, n), 2),
        "clv_3y": np.round(rng.gamma(2, 100, n), 6),
        "p_alive": np.round(rng.uniform(0, 1, n), 6),
    })


def _varied(text: str, k: int, seed: int = 0) -> list[str]:
    """``k`` versions of the starter standard's text with random weights (shares of 100)."""
    import re

    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        w = iter((rng.multinomial(92, rng.dirichlet(np.ones(4))) + 2).tolist())  # each at least 2, summing to 100
        out.append(re.sub(r"^weight = [0-9.]+", lambda _m, w=w: f"weight = {next(w)}", text, flags=re.M))
    return out


def _child(n: int, how: str, check: bool, loop: int = 0) -> None:
    import numpy as np

    from bench_facts import peak_gib  # this process's own peak (not a parent's)
    from xuanba.standard import load_standard, starter_standard
    from xuanba.standard.engine import score_in_engine
    from xuanba.standard.score import score_customers

    frame, std = _fields(n), load_standard(starter_standard("en"))
    t0, c0 = time.perf_counter(), time.process_time()
    run = score_customers if how == "pandas" else score_in_engine
    scored = run(frame, std)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter()
    run(frame, std)  # a second call in the same process: what a loop over the standard pays each time
    following = time.perf_counter() - t1
    looped = {"loop": None, "loop_cpu": None}
    if loop:
        stds = [load_standard(t) for t in _varied(starter_standard("en"), loop)]
        t2, c2 = time.perf_counter(), time.process_time()
        for s in stds:
            run(frame, s)
        looped = {"loop": time.perf_counter() - t2, "loop_cpu": time.process_time() - c2}
    peak = peak_gib()
    same = None
    if check:
        other = (score_in_engine if how == "pandas" else score_customers)(frame, std).roster
        same = all(
            np.allclose(scored.roster[c].to_numpy(), other[c].to_numpy(), atol=1e-9, rtol=0, equal_nan=True)
            if other[c].dtype.kind == "f" else scored.roster[c].tolist() == other[c].tolist()
            for c in other.columns)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_gib": peak, "same": same, "next": following, **looped}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--against", metavar="REV", help="also DuckDB with the src/ of this commit, alternating")
    parser.add_argument("--loop", type=int, default=0, metavar="K",
                        help="also K calls in the same process with the weights varied (a tune-like loop)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(float(args.child[0])), args.child[1], args.child[2] == "1", int(args.child[3]))
        return
    src = {"pandas": BENCH.parent / "src", "duckdb": BENCH.parent / "src"}
    if args.against:
        sys.path.insert(0, str(BENCH))
        from bench_round import _source_of

        src[f"duckdb, commit {args.against}"] = _source_of(args.against)
    runs: dict[str, list[dict]] = {k: [] for k in src}
    for i in range(args.repeat):
        for name in runs:
            how = "pandas" if name == "pandas" else "duckdb"
            env = {**os.environ, "PYTHONPATH": str(src[name])}
            out = subprocess.run([sys.executable, __file__, "--child", str(args.customers), how,
                                  "1" if i == 0 and how == "duckdb" else "0", str(args.loop)],
                                 capture_output=True, text=True, env=env)
            if out.returncode:
                sys.exit(out.stderr)
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"run {i + 1}, {name}: {runs[name][-1]['seconds']:.1f} s", file=sys.stderr, flush=True)
    print(f"\n{int(args.customers):,} customers, the starter standard, median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")
    loop = f" {args.loop} calls s | / pandas | {args.loop} calls CPU s | / pandas |" if args.loop else ""
    print("| scoring | median s | / pandas | median CPU s | / pandas | next call s | / pandas |" + loop
          + " peak GiB | rosters equal |")
    print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|" * 4 if args.loop else "") + "---:|---|")

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[name])

    for name, r in runs.items():
        print(f"| {name} | {med(name, 'seconds'):.2f} | {med(name, 'seconds') / med('pandas', 'seconds'):.2f} | "
              f"{med(name, 'cpu'):.2f} | {med(name, 'cpu') / med('pandas', 'cpu'):.2f} | "
              f"{med(name, 'next'):.2f} | {med(name, 'next') / med('pandas', 'next'):.2f} | "
              + (f"{med(name, 'loop'):.2f} | {med(name, 'loop') / med('pandas', 'loop'):.2f} | "
                 f"{med(name, 'loop_cpu'):.2f} | {med(name, 'loop_cpu') / med('pandas', 'loop_cpu'):.2f} | "
                 if args.loop else "") +
              f"{max(x['peak_gib'] for x in r):.2f} | {'' if name == 'pandas' else r[0]['same']} |")


if __name__ == "__main__":
    main()
