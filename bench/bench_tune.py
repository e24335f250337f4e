"""Benchmark: tuning a standard's weights, with the standard applied on the engine and in pandas.

A workspace holds made-up transactions (bench_backtest's base: customers first buy over two
years, then at their own Poisson rate over an exponential lifetime; seeded). The standard reads
facts only (no model is fitted: the fields at each cutoff are the same for both ways, and what
the switch changes is the many selections the search makes). Each repeat runs, in this process,
``tune(workspace, standard, 2025-03-31, 2025-09-30, horizon 365d)`` — three quarterly cutoffs, the
last held out — once with the standard applied as xuanba applies it (on the engine,
:mod:`xuanba.standard.apply`) and once with the pandas reference (the same switch the tests'
oracle uses), alternating. It counts the selections the search made and times them.

The table gives the median wall clock and CPU seconds (all threads of this process) of each, the
selections made, the median seconds a selection took, and the load average (1 minute) before and
after; the tuned weights of both must be equal. Progress goes to stderr.

    python bench/bench_tune.py                           # 10 k customers
    python bench/bench_tune.py --customers 1e5 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import build  # noqa: E402

STANDARD = """[standard]
name = "tune bench"
version = "1"

[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 0.5

[[criteria]]
name = "orders"
field = "orders"
weight = 0.3

[[criteria]]
name = "tenure"
field = "tenure_days"
weight = 0.2

[[tiers]]
name = "A"
quota = "5%"

[[tiers]]
name = "B"
quota = "15%"
"""


def run(path: Path, how: str) -> tuple[float, float, list[float], object]:
    """One tune with the standard applied ``how``: wall, CPU, the seconds of each selection, the result."""
    from xuanba.rounds import tune as tune_mod
    from xuanba.standard import apply as apply_mod

    real_select, real_default = tune_mod.selection, apply_mod.DEFAULT_SCORING
    spent: list[float] = []

    def timed(*a, **k):
        t = time.perf_counter()
        out = real_select(*a, **k)
        spent.append(time.perf_counter() - t)
        return out

    tune_mod.selection, apply_mod.DEFAULT_SCORING = timed, how
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        tuned = tune_mod.tune(
            path, STANDARD, "2025-03-31", "2025-09-30", horizon="365d", max_change=0.2
        )
        return time.perf_counter() - t0, time.process_time() - c0, spent, tuned
    finally:
        tune_mod.selection, apply_mod.DEFAULT_SCORING = real_select, real_default


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = int(args.customers)
    wall: dict[str, list[float]] = {"duckdb": [], "pandas": []}
    cpu: dict[str, list[float]] = {"duckdb": [], "pandas": []}
    per: dict[str, list[float]] = {"duckdb": [], "pandas": []}
    calls: dict[str, int] = {}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        t0 = time.perf_counter()
        build(path, n)
        print(
            f"built {n:,} customers in {time.perf_counter() - t0:.1f} s (not timed)",
            file=sys.stderr,
        )
        weights = {}
        for _ in range(args.repeat):
            for how in ("duckdb", "pandas"):
                load0 = os.getloadavg()[0]
                w, c, spent, tuned = run(path, how)
                load1 = os.getloadavg()[0]
                wall[how].append(w)
                cpu[how].append(c)
                per[how].append(statistics.median(spent))
                calls[how] = len(spent)
                weights[how] = tuned.weights["after"].tolist()  # type: ignore[attr-defined]
                loads.append(f"{load0:.1f}–{load1:.1f}")
                print(
                    f"{how}: {w:.1f} s ({c:.1f} s CPU), {len(spent)} selections, median {per[how][-1]:.3f} s, "
                    f"load {load0:.1f} -> {load1:.1f}",
                    file=sys.stderr,
                    flush=True,
                )
        assert weights["duckdb"] == weights["pandas"], weights
    e, p = statistics.median(wall["duckdb"]), statistics.median(wall["pandas"])
    ec, pc = statistics.median(cpu["duckdb"]), statistics.median(cpu["pandas"])
    es, ps = statistics.median(per["duckdb"]), statistics.median(per["pandas"])
    print(f"tuned weights (equal both ways): {weights['duckdb']}")
    print(
        "| customers | tune, engine | tune, pandas | ratio | CPU engine / pandas | selections | a selection, "
        "engine / pandas | load | repeats |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {n:,} | {e:.1f} s | {p:.1f} s | {e / p:.1f}× | {ec:.1f} s / {pc:.1f} s ({ec / pc:.1f}×) | "
        f"{calls['duckdb']} | {es:.3f} s / {ps:.3f} s | {', '.join(loads)} | {args.repeat} |"
    )


if __name__ == "__main__":
    main()
