"""Benchmark: exporting a 1 M-row roster to .xlsx, .csv and .parquet through ``write_table``.

A made-up round's roster (``xuanba.outputs._synthetic.synthetic_round``, fixed seed: ids, ranks,
scores, tiers, flags, text columns) is stored once as Parquet; each run reads it in a fresh
subprocess (not timed) and times one write. The floor is the same frame written by pandas'
own ``DataFrame.to_parquet`` in the same run. Peak memory is the child's peak resident set
during the write (the frame itself included; reading the Parquet file before is not counted,
on Linux); "frame" is the resident set once the frame is loaded.

    python bench/bench_export.py                      # 1 M rows, 3 runs of each
    python bench/bench_export.py --rows 1e6 --repeat 1
    python bench/bench_export.py --rows 1e5 --formats xlsx   # quick
    python bench/bench_export.py --lang none                 # field names as .xlsx headers

The workbook is the one people get (``--lang zh`` by default: Chinese headers, a ``columns``
sheet, number formats, widths, autofilter); CSV and Parquet ignore the language.

Target (issue 12, point 12): a 1 M-row .xlsx export in <= 60 s and <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("xlsx", "csv", "parquet", "floor")


def _rss_gib() -> float:
    """Current resident set of this process (Linux), GiB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**3


def _peak_since_reset() -> float | None:
    """Peak resident set (VmHWM) since :func:`_reset_peak`, GiB; None where Linux cannot say."""
    try:
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024**2


def _reset_peak() -> bool:
    """Start the peak anew (Linux >= 4.0: write 5 to clear_refs), so reading the frame is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _child(data: str, fmt: str, out: str, lang: str = "zh") -> None:
    """One timed write in this process; prints JSON."""
    import gc
    import resource

    import pandas as pd

    from xuanba.tables import write_table

    frame = pd.read_parquet(data)
    gc.collect()
    loaded = _rss_gib()
    reset = _reset_peak()
    target = Path(out) / f"roster.{'parquet' if fmt == 'floor' else fmt}"
    t0 = time.perf_counter()
    if fmt == "floor":
        frame.to_parquet(target, index=False)
    else:
        write_table(frame, target, sheet="roster", **({} if lang == "none" else {"lang": lang}))
    seconds = time.perf_counter() - t0
    since = _peak_since_reset() if reset else None
    peak = since if since is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "frame_gib": loaded,
                      "bytes": target.stat().st_size}))


def _call(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated among {', '.join(FORMATS)} (floor: DataFrame.to_parquet)")
    parser.add_argument("--lang", default="zh", help="zh, en or none: the language of the .xlsx headers")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    from xuanba.outputs._synthetic import synthetic_round

    n = int(args.rows)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    runs: dict[str, list[dict]] = {f: [] for f in formats}
    with tempfile.TemporaryDirectory(prefix="xuanba-bench-export-") as tmp:
        data = Path(tmp) / "roster.parquet"
        roster = synthetic_round(n, seed=1, round_id="1").roster
        roster.to_parquet(data, index=False)
        cols = len(roster.columns)
        del roster
        for i in range(args.repeat):
            for fmt in formats:
                out = Path(tmp) / f"{fmt}-{i}"
                out.mkdir()
                runs[fmt].append(_call(["--child", str(data), fmt, str(out), args.lang]))
                print(f"run {i + 1}, {fmt}: {runs[fmt][-1]['seconds']:.2f} s", file=sys.stderr)
    floor = statistics.median(r["seconds"] for r in runs["floor"]) if "floor" in runs else None
    print(f"\n{n:,} rows x {cols} columns, median of {args.repeat} run(s), .xlsx headers: {args.lang}\n")
    print("| write | median s | all runs s | x floor | peak memory GiB while writing (frame alone) | file MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for fmt, rs in runs.items():
        med = statistics.median(r["seconds"] for r in rs)
        ratio = f"{med / floor:.1f}" if floor else "-"
        name = "floor: `DataFrame.to_parquet`" if fmt == "floor" else f"`write_table` .{fmt}"
        every = ", ".join(f"{r['seconds']:.2f}" for r in rs)
        print(f"| {name} | {med:.2f} | {every} | {ratio} | "
              f"{max(r['peak_gib'] for r in rs):.2f} ({max(r['frame_gib'] for r in rs):.2f}) | "
              f"{statistics.median(r['bytes'] for r in rs) / 1e6:.1f} |")


if __name__ == "__main__":
    main()
