"""Profile one round step by step: wall and CPU time, peak memory of each step, and where the
time goes (cProfile), on the data of bench_round.py.

    python bench/profile_round.py                       # 1 M customers, the starter standard
    python bench/profile_round.py --customers 1e5 --top 25
    python bench/profile_round.py --no-profile           # times and memory alone (cProfile adds ~20 %)
    python bench/profile_round.py --customers 1e7 --no-profile --stop-at 10   # stopped past 10 GiB
    python bench/profile_round.py --no-profile --timeline   # and when each piece ran, in which thread

Each step's peak is the resident set's high-water mark while it ran: Linux resets the mark when
``5`` is written to /proc/self/clear_refs, which the progress callback does at each step. The
table is printed in Markdown; with cProfile, the functions with the most cumulative time follow.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import bgnbd_data, rss, workspace_apart  # noqa: E402


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:  # not Linux: the peaks are then the process's so far
        pass


#: What the watchdog prints before it stops the round (the steps and the timeline so far).
_ON_STOP: list = []


def _watchdog(limit_gib: float) -> None:
    """Stop this process (SIGKILL, after a line on stderr and what :data:`_ON_STOP` prints: the
    steps so far and, with ``--timeline``, the pieces run and running with their memory) when its
    resident set passes ``limit_gib``: on a shared machine a run that outgrows its share ends
    instead of the others."""
    import os
    import signal
    import threading

    def watch() -> None:
        while True:
            now = rss()[0]
            if now > limit_gib:
                print(f"\nwatchdog: resident set {now:.2f} GiB > {limit_gib} GiB, stopping", file=sys.stderr, flush=True)
                for say in _ON_STOP:
                    try:
                        say()
                    except Exception as exc:  # the stop goes on whatever the report does
                        print(f"watchdog: the report failed: {exc!r}", file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--cutoff", default=CUTOFF)
    parser.add_argument("--scoring", choices=["pandas", "duckdb"], default="duckdb")
    parser.add_argument("--top", type=int, default=40, help="functions listed by cumulative time")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--dump", metavar="FILE", help="also write the cProfile statistics there (pstats)")
    parser.add_argument("--timeline", action="store_true",
                        help="also list when each piece of the round ran and in which thread (bench/timeline.py)")
    parser.add_argument("--stop-at", type=float, metavar="GIB", help="stop the round when it holds more than GIB")
    args = parser.parse_args()
    if args.stop_at:
        _watchdog(args.stop_at)
    n = int(args.customers)
    data = bgnbd_data(n)

    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.standard import load_standard, starter_standard

    std = load_standard(starter_standard("en"))
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "ws.duckdb"
        # loaded (and brought to the current layout) by another process, as bench_round.py does,
        # so that this process's memory is the round's
        workspace_apart(data, path)
        ws = Workspace(path, create=False)
        _ = ws.ibis
        import xuanba.models.predict  # noqa: F401

        if args.timeline:
            import timeline

            timeline.install()

        marks: list[tuple[str, float, float, float, float]] = []  # step, wall, cpu, rss at start, peak of the one before

        def mark(step: str) -> None:
            now, peak = rss()
            marks.append((step.split(" (")[0], time.perf_counter(), time.process_time(), now, peak))
            print(f"{time.strftime('%H:%M:%S')} {step}: RSS {now:.2f} GiB, peak of the step before {peak:.2f} GiB",
                  file=sys.stderr, flush=True)
            _reset_peak()

        prof = None if args.no_profile else cProfile.Profile()
        _reset_peak()
        start_rss = rss()[0]
        t0, c0 = time.perf_counter(), time.process_time()

        def stopped() -> None:
            print(f"\n{n:,} customers, scoring {args.scoring}: stopped by the watchdog after "
                  f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU\n")
            print("| step | started at s | RSS at start GiB |\n|---|---:|---:|")
            for name, w, _, at_start, _ in list(marks):
                print(f"| {name} | {w - t0:.2f} | {at_start:.2f} |")
            if args.timeline:
                print("\nWhen each piece ran (seconds from the round's start; pieces under 5 ms left out):\n")
                print(timeline.report(t0))
            sys.stdout.flush()

        _ON_STOP.append(stopped)
        if prof:
            prof.enable()
        run_round(ws, std, args.cutoff, progress=mark,
                  scoring_engine=args.scoring)
        if prof:
            prof.disable()
        t1, c1 = time.perf_counter(), time.process_time()
        now, peak = rss()
        ws.close()
    print(f"\n{n:,} customers, scoring {args.scoring}, cProfile {'off' if args.no_profile else 'on'}; "
          f"RSS before the round {start_rss:.2f} GiB\n")
    print("| step | wall s | CPU s | RSS at start GiB | peak during GiB |")
    print("|---|---:|---:|---:|---:|")
    ends = [*marks[1:], ("end", t1, c1, now, peak)]
    for (name, w, c, at_start, _), (_, w2, c2, _, pk) in zip(marks, ends, strict=True):
        print(f"| {name} | {w2 - w:.2f} | {c2 - c:.2f} | {at_start:.2f} | {pk:.2f} |")
    print(f"| **whole round** | **{t1 - t0:.2f}** | **{c1 - c0:.2f}** | | **{max(m[4] for m in ends):.2f}** |")
    if args.timeline:
        print("\nWhen each piece ran (seconds from the round's start; pieces under 5 ms left out):\n")
        print(timeline.report(t0))
    if prof:
        print()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
        if args.dump:
            prof.dump_stats(args.dump)


if __name__ == "__main__":
    main()
