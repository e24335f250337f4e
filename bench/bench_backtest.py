"""Benchmark: a backtest over 8 quarterly cutoffs, beside the 8 unstored rounds it stands on.

A workspace holds made-up transactions (customers first buy over two years, then buy again at
their own Poisson rate over an exponential lifetime, the data ending a year after the last
cutoff; seeded). Each repeat times, in this process:

* ``backtest``: ``backtest(workspace, starter, 8 quarter ends, horizon 365d)`` — at each cutoff
  the facts, ``auto``'s three candidate fits and its holdout check, the chosen model's and
  Gamma-Gamma's predictions, the scoring, the outcome of the following year, the revenue, RFM
  and predicted-value baselines and 200 random draws;
* ``rounds``: ``run_round(..., store=False, check_model=False)`` at the same 8 cutoffs — the
  floor: a backtest cannot be cheaper than making its selections.

The table gives the wall clock of each, their ratio, the CPU seconds of this process (all its
threads), steadier than the wall clock on a shared machine, and the load average (1 minute) at
the start and end of each part. Progress goes to stderr.

    python bench/bench_backtest.py                          # 100 k customers
    python bench/bench_backtest.py --customers 1e6 --repeat 1
    python bench/bench_backtest.py --scoring both           # also with the pandas reference, alternating

``--scoring both`` runs each repeat twice, the standard applied as xuanba applies it (on the
engine, :mod:`xuanba.standard.apply`) and by the pandas reference (the backtest's selections and
the rounds' scoring alike), one row each; the selections must be equal.

Target (issue 15): 8 quarterly cutoffs over 1 M customers in ≤ 3 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CUTOFFS = ("2024-01-01", "2025-12-31")  # 8 quarter ends


def build(path: Path, n: int, seed: int = 9) -> None:
    import numpy as np
    import pandas as pd

    from xuanba import Workspace

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    days = (pd.Timestamp("2026-12-31") - start).days + 1
    first = rng.integers(0, 730, n)
    rate = rng.gamma(0.8, 3.0, n) / 365.0  # purchases a day while alive
    life = np.minimum(rng.exponential(rng.gamma(2.0, 300.0, n)), days - first).astype(np.int64) + 1
    k = rng.poisson(rate * life)
    cust = np.concatenate([np.arange(n), np.repeat(np.arange(n), k)])
    day = np.concatenate([first, np.repeat(first, k) + rng.integers(0, np.repeat(life, k))])
    ids = np.char.add("c", np.char.zfill(np.arange(n).astype(str), 7))
    tx = pd.DataFrame({"customer_id": ids[cust], "ts": start + pd.to_timedelta(day, unit="D"),
                       "amount": np.round(rng.gamma(2.0, 40.0, cust.size), 2)})
    with Workspace(path) as ws:
        ws.replace("transactions", tx)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scoring", choices=["default", "pandas", "both"], default="default",
                        help="how the standard is applied: xuanba's way (the engine), the pandas reference, or both")
    args = parser.parse_args(argv)
    from xuanba.rounds import replay_cutoffs, run_round
    from xuanba.rounds.backtest import backtest
    from xuanba.standard import apply as apply_mod
    from xuanba.standard import starter_standard

    ways = {"default": [apply_mod.DEFAULT_SCORING], "pandas": ["pandas"],
            "both": [apply_mod.DEFAULT_SCORING, "pandas"]}[args.scoring]
    real_default = apply_mod.DEFAULT_SCORING

    n = int(args.customers)
    std = starter_standard("en")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        t0 = time.perf_counter()
        build(path, n)
        print(f"built {n:,} customers in {time.perf_counter() - t0:.1f} s (not timed)")
        rows = []
        chosen = {}
        for how in ways * args.repeat if len(ways) == 1 else [h for _ in range(args.repeat) for h in ways]:
            apply_mod.DEFAULT_SCORING = how
            try:
                rows.append((how, *one_repeat(path, std, how, backtest, run_round, replay_cutoffs, chosen)))
            finally:
                apply_mod.DEFAULT_SCORING = real_default
        if len(chosen) > 1:
            assert chosen[ways[0]] == chosen["pandas"], "the selections differ between the engine and pandas"
    print("| customers | standard applied | cutoffs | backtest (median) | 8 unstored rounds (median) | ratio "
          "| CPU: backtest / rounds | load: backtest / rounds | repeats |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for how in ways:
        mine = [r for r in rows if r[0] == how]
        bm, rm = statistics.median(r[1] for r in mine), statistics.median(r[2] for r in mine)
        bc, rc = statistics.median(r[3] for r in mine), statistics.median(r[4] for r in mine)
        bt = mine[-1][6]
        cuts = bt.cutoffs["cutoff"].nunique()
        print(f"| {n:,} | {how} | {cuts} | {bm:.1f} s | {rm:.1f} s | {bm / rm:.2f}× | {bc:.0f} s / {rc:.0f} s "
              f"({bc / rc:.2f}×) | {'; '.join(r[5] for r in mine)} | {len(mine)} |")
    print(f"standard captured {100 * bt.overall.loc['standard', 'revenue_captured']:.1f}% of next-year revenue")


def one_repeat(path, std, how, backtest, run_round, replay_cutoffs, chosen):  # noqa: ANN001, ANN201
    """One backtest and the 8 unstored rounds beside it: wall and CPU of each, the loads, the backtest."""
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()

    def say(step: str, since: float = t0) -> None:  # a long run shows where it is (stderr)
        print(f"  {time.perf_counter() - since:7.1f} s  {step}", file=sys.stderr, flush=True)

    bt = backtest(path, std, *CUTOFFS, horizon="365d", progress=say)
    b_time, b_cpu = time.perf_counter() - t0, time.process_time() - c0
    load1 = os.getloadavg()[0]
    print(f"{how}: backtest {b_time:.1f} s ({b_cpu:.1f} s CPU), load {load0:.1f} -> {load1:.1f}", flush=True)
    chosen[how] = {str(k): v for k, v in bt.selections.items()}
    t0, c0 = time.perf_counter(), time.process_time()
    for cut in replay_cutoffs(*CUTOFFS, "quarter"):
        run_round(path, std, cut, store=False, check_model=False, scoring_engine=how)
        say(f"round at {cut}", t0)
    r_time, r_cpu = time.perf_counter() - t0, time.process_time() - c0
    load2 = os.getloadavg()[0]
    print(f"{how}: 8 unstored rounds {r_time:.1f} s ({r_cpu:.1f} s CPU), load {load1:.1f} -> {load2:.1f}", flush=True)
    return b_time, r_time, b_cpu, r_cpu, f"{load0:.1f}–{load1:.1f} / {load1:.1f}–{load2:.1f}", bt


if __name__ == "__main__":
    main()
