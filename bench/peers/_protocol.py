"""What every peer runner shares (stdlib only: it runs inside each peer's own venv).

A runner is called as ``python run_<peer>.py --data FILE.parquet --task fit|chain --repeat N``
and prints one JSON line: wall seconds of each repeat, the fitted BG/NBD parameters, peak RSS,
and for ``chain`` a checksum of every prediction (sums) so the peers can be compared.

The chain, identical for every peer: BG/NBD fit; Gamma-Gamma fit on the repeat buyers; for every
customer the expected purchases in the next 52 weeks, P(alive), and the 36-month customer value
discounted at 1% a month (lifetimes' convention: monthly steps of 4.345 weeks, Gamma-Gamma
expected spend times the expected purchases of each month).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

HORIZON_WEEKS = 52
CLV_MONTHS = 36
MONTHLY_DISCOUNT = 0.01
WEEKS_PER_MONTH = 4.345


def args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--task", choices=["fit", "chain"], required=True)
    ap.add_argument("--repeat", type=int, default=1)
    return ap.parse_args()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(task: Callable[[], dict[str, Any]], repeat: int, extra: dict[str, Any] | None = None) -> None:
    times, cpu, result = [], [], {}
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = task()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # all threads of the process: fairer on a busy machine
    out = {"times": times, "cpu_times": cpu, **result, "peak_rss_mb": peak_rss_mb(), **(extra or {})}
    sys.stdout.write(json.dumps(out) + "\n")
