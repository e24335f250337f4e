"""Benchmark: what-if of a changed standard against a stored round, beside the scoring floor.

A workspace with N customers (about three purchases each over two years, made up with a fixed
seed) holds one round of the starter standard, run with given predictions (no model fit: that is
not what is measured). The changed standard moves weight from past revenue to predicted value,
raises the bar of tier A and widens the capacity. Each repeat times, in this process:

* ``whatif``: ``whatif(workspace, changed)`` — read the stored fields the changed standard needs
  and the round's roster, score, compare, explain the movers;
* ``floor``: ``score_customers(fields, changed)`` alone, on fields already in memory — the
  scoring every what-if must do, so the ratio shows what reading and comparing add.

The table gives the median of each and their ratio, and the median CPU seconds of this process
(all its threads): on a shared machine the wall clock swings with what else runs, CPU time less.
``--scoring both`` times the what-if with the standard applied as xuanba applies it (on the
engine, :mod:`xuanba.standard.apply`) and with the pandas reference, alternating, one row each;
the floor is always the pandas reference, ``score_customers``.

    python bench/bench_whatif.py                       # 100 k customers
    python bench/bench_whatif.py --customers 1e6 --repeat 3
    python bench/bench_whatif.py --scoring both        # the engine beside the pandas reference

Targets (issue 15): ≤ 1 s for 100 k customers, ≤ 5 s for 1 M.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def changed(starter: str) -> str:
    """The starter with its weights moved towards the forecast, tier A stricter, capacity wider."""
    out = starter.replace("weight = 0.25\ngroup = \"value\"\n\n[[criteria]]\nname = \"margin\"",
                          "weight = 0.15\ngroup = \"value\"\n\n[[criteria]]\nname = \"margin\"", 1)
    out = out.replace("weight = 0.35", "weight = 0.45", 1)
    out = out.replace("min_score = 80", "min_score = 85", 1)
    out = out.replace("max_accounts = 500", "max_accounts = 2000", 1)
    out = out.replace('version = "1"', 'version = "2"', 1)
    assert out.count("weight = 0.15") >= 2 and "min_score = 85" in out, "the starter changed: update the edit"
    return out


def build(path: Path, n: int, seed: int = 5) -> None:
    import numpy as np
    import pandas as pd

    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.standard import starter_standard

    rng = np.random.default_rng(seed)
    k = 1 + rng.poisson(2.0, n)
    cust = np.repeat(np.arange(n), k)
    day = rng.integers(0, 730, cust.size)
    ids = np.char.add("c", np.char.zfill(np.arange(n).astype(str), 7))
    tx = pd.DataFrame({"customer_id": ids[cust], "ts": pd.Timestamp("2024-07-01") + pd.to_timedelta(day, unit="D"),
                       "amount": np.round(rng.gamma(2.0, 40.0, cust.size), 2),
                       "cost": np.round(rng.gamma(2.0, 25.0, cust.size), 2)})
    preds = pd.DataFrame({"customer_id": ids, "p_alive": rng.beta(2, 2, n), "expected_purchases_1y": rng.gamma(1, 2, n),
                          "expected_spend": rng.gamma(2, 40, n), "clv_1y": rng.gamma(1, 200, n),
                          "clv_3y": rng.gamma(1, 500, n), "churn_90d": rng.beta(2, 5, n)})
    with Workspace(path) as ws:
        ws.replace("transactions", tx)
        run_round(ws, starter_standard("en"), "2026-06-30", predictions=preds, check_model=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scoring", choices=["default", "pandas", "both"], default="default",
                        help="how the what-if applies the standard: xuanba's way (the engine), the pandas "
                             "reference, or both alternating")
    args = parser.parse_args(argv)
    import os

    from xuanba.rounds import load_round
    from xuanba.rounds.whatif import whatif
    from xuanba.standard import apply as apply_mod
    from xuanba.standard import load_standard, starter_standard
    from xuanba.standard.score import score_customers

    ways = {"default": [apply_mod.DEFAULT_SCORING], "pandas": ["pandas"],
            "both": [apply_mod.DEFAULT_SCORING, "pandas"]}[args.scoring]
    real_default = apply_mod.DEFAULT_SCORING

    n = int(args.customers)
    std = load_standard(changed(starter_standard("en")))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        t0 = time.perf_counter()
        build(path, n)
        print(f"built a stored round of {n:,} customers in {time.perf_counter() - t0:.1f} s (not timed)")
        fields = load_round(path, "latest", fields=sorted(std.fields_used()), contributions=False).fields
        w_times: dict[str, list[float]] = {h: [] for h in ways}
        w_cpu: dict[str, list[float]] = {h: [] for h in ways}
        f_times, f_cpu, loads = [], [], []
        for _ in range(args.repeat):
            load0 = os.getloadavg()[0]
            for how in ways:
                apply_mod.DEFAULT_SCORING = how
                try:
                    t0, c0 = time.perf_counter(), time.process_time()
                    w = whatif(path, std)
                    w_times[how].append(time.perf_counter() - t0)
                    w_cpu[how].append(time.process_time() - c0)
                finally:
                    apply_mod.DEFAULT_SCORING = real_default
            t0, c0 = time.perf_counter(), time.process_time()
            score_customers(fields, std)
            f_times.append(time.perf_counter() - t0)
            f_cpu.append(time.process_time() - c0)
            loads.append(f"{load0:.1f}–{os.getloadavg()[0]:.1f}")
    fm, fc = statistics.median(f_times), statistics.median(f_cpu)
    print(f"what-if: entered {w.summary['entered']:,}, left {w.summary['left']:,}, "
          f"rose {w.summary['rose']:,}, fell {w.summary['fell']:,}")
    print("| customers | standard applied | whatif (median) | scoring floor, pandas (median) | ratio | "
          "CPU: whatif / floor | load | repeats |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for how in ways:
        wm, wc = statistics.median(w_times[how]), statistics.median(w_cpu[how])
        print(f"| {n:,} | {how} | {wm:.3f} s | {fm:.3f} s | {wm / fm:.2f}× | {wc:.2f} s / {fc:.2f} s | "
              f"{', '.join(loads)} | {args.repeat} |")


if __name__ == "__main__":
    main()
