"""Benchmark: the standard applied in pandas (score_customers) and on DuckDB (score_in_engine).

The starter standard (four criteria — three percentile, one in bands —, two gates, three tiers,
capacity 500) over a made-up table of N customers with the fields it reads; each variant runs in
a fresh subprocess, alternating, and prints its wall time and peak memory. Both rosters are
checked equal (texts and ranks exactly, numbers within 1e-9) on the first repeat.

    python bench/bench_scoring_engine.py                      # 1 M customers, 1 repeat
    python bench/bench_scoring_engine.py --customers 1e5 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


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


def _child(n: int, how: str, check: bool) -> None:
    import resource

    import numpy as np

    from xuanba.standard import load_standard, starter_standard
    from xuanba.standard.engine import score_in_engine
    from xuanba.standard.score import score_customers

    frame, std = _fields(n), load_standard(starter_standard("en"))
    t0 = time.perf_counter()
    scored = (score_customers if how == "pandas" else score_in_engine)(frame, std)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    same = None
    if check:
        other = (score_in_engine if how == "pandas" else score_customers)(frame, std).roster
        same = all(
            np.allclose(scored.roster[c].to_numpy(), other[c].to_numpy(), atol=1e-9, rtol=0, equal_nan=True)
            if other[c].dtype.kind == "f" else scored.roster[c].tolist() == other[c].tolist()
            for c in other.columns)
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "same": same}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(float(args.child[0])), args.child[1], args.child[2] == "1")
        return
    runs: dict[str, list[dict]] = {"pandas": [], "duckdb": []}
    for i in range(args.repeat):
        for how in runs:
            out = subprocess.run([sys.executable, __file__, "--child", str(args.customers), how,
                                  "1" if i == 0 and how == "duckdb" else "0"], capture_output=True, text=True)
            if out.returncode:
                sys.exit(out.stderr)
            runs[how].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"run {i + 1}, {how}: {runs[how][-1]['seconds']:.1f} s", file=sys.stderr)
    print(f"\n{int(args.customers):,} customers, the starter standard, median of {args.repeat}\n")
    print("| scoring | median s | peak GiB |\n|---|---:|---:|")
    for how, r in runs.items():
        print(f"| {how} | {statistics.median(x['seconds'] for x in r):.2f} | {max(x['peak_gib'] for x in r):.2f} |")
    ratio = statistics.median(x["seconds"] for x in runs["duckdb"]) / statistics.median(
        x["seconds"] for x in runs["pandas"])
    print(f"\nduckdb / pandas = {ratio:.2f}; rosters equal: {runs['duckdb'][0]['same']}")


if __name__ == "__main__":
    main()
