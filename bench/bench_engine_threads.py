"""Benchmark: the 1 M round with the engine on fewer DuckDB threads while the fields are appended
beside its scoring (``xuanba.rounds.run._beside_the_saver``) against every thread, in one process,
alternating, each round on a fresh copy of the workspace.

    python bench/bench_engine_threads.py                      # 1 M customers, 4 rounds each way
    python bench/bench_engine_threads.py --customers 1e5 --repeat 2

Prints each round's wall and CPU seconds (every thread's) and each step's, then the medians.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import bgnbd_data, workspace_apart  # noqa: E402


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()

    import xuanba.models.predict  # noqa: F401
    import xuanba.rounds.run as run
    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.standard import load_standard, starter_standard

    std = load_standard(starter_standard("en"))
    fewer = run._beside_the_saver
    ways = {"fewer threads": fewer, "every thread": lambda saver, how: contextlib.nullcontext()}
    runs: dict[str, list[tuple[float, float, dict[str, tuple[float, float]]]]] = {k: [] for k in ways}
    with tempfile.TemporaryDirectory(dir=BENCH / "out") as tmp:
        base = Path(tmp) / "base.duckdb"
        workspace_apart(bgnbd_data(int(args.customers)), base)
        for i in range(args.repeat):
            for name in (list(ways) if i % 2 == 0 else list(reversed(ways))):
                run._beside_the_saver = ways[name]
                path = Path(tmp) / f"ws{i}.duckdb"
                shutil.copy(base, path)
                ws = Workspace(path, create=False)
                _ = ws.ibis
                marks: list[tuple[str, float, float]] = []
                t0, c0 = time.perf_counter(), _cpu()
                run_round(ws, std, CUTOFF, progress=lambda s, m=marks: m.append((s.split(" (")[0], time.perf_counter(), _cpu())))
                t1, c1 = time.perf_counter(), _cpu()
                ws.close()
                path.unlink()
                bounds = [*marks, ("end", t1, c1)]
                steps = {a[0]: (b[1] - a[1], b[2] - a[2]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)}
                runs[name].append((t1 - t0, c1 - c0, steps))
                print(f"{name}: round {t1 - t0:.2f} s, CPU {c1 - c0:.2f} s; "
                      + ", ".join(f"{k} {w:.2f}/{c:.2f}" for k, (w, c) in steps.items()), flush=True)
    run._beside_the_saver = fewer
    print("\n| engine while the fields are appended | round s | CPU s | facts s | scoring s | scoring CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rs in runs.items():
        med = statistics.median
        print(f"| {name} | {med(r[0] for r in rs):.2f} | {med(r[1] for r in rs):.2f} | "
              f"{med(r[2]['facts'][0] for r in rs):.2f} | {med(r[2]['scoring'][0] for r in rs):.2f} | "
              f"{med(r[2]['scoring'][1] for r in rs):.2f} |")


if __name__ == "__main__":
    main()
