"""Probe: the checks a Spark round makes of a local CSV source before Spark reads it
(``xuanba.rounds.spark._local_csv_options``: a NUL byte, text not UTF-8, title rows, a line break
in a quoted cell, a quote after one space; since session 31 a row wider than its header, counted in
a second pass), timed alone on bench_spark.py's CSV, this tree against
another commit's, each run in a fresh process, alternating (ratios, not seconds: the machine is
shared).

    python bench/probe_spark_csv_checks.py --csv bench/out/round_bgnbd_1000000_plain.csv --against e97c1c3 --repeat 3

The CSV is written by ``bench_spark.py --csv plain`` (or ``csv_data`` of that module): every cell
quoted and a ``note`` column, the worst case for the scan for a line break in a quoted cell.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from xuanba.rounds.spark import _local_csv_options
t0, c0 = time.perf_counter(), time.process_time()
told = _local_csv_options(sys.argv[1], None)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "told": told,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _tree(commit: str) -> Path:
    """A checkout of ``commit``'s src in a temporary folder (git worktree-free: ``git archive``)."""
    out = Path(tempfile.mkdtemp(prefix="probe_csv_checks_"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def _run(src: Path, csv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", CHILD, csv], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--against", default="e97c1c3")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    trees = {"this tree": ROOT / "src", args.against: _tree(args.against)}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    print(f"{Path(args.csv).name}: {Path(args.csv).stat().st_size / 1e6:,.1f} MB; load {os.getloadavg()[0]:.1f}")
    for _ in range(args.repeat):
        for name, src in trees.items():
            runs[name].append(_run(src, args.csv))
            r = runs[name][-1]
            print(f"  {name}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, peak {r['peak_mib']:.0f} MiB, told {r['told']}")
    print(f"load {os.getloadavg()[0]:.1f}")
    med = {k: (statistics.median(r["wall_s"] for r in v), statistics.median(r["cpu_s"] for r in v)) for k, v in runs.items()}
    for name, (wall, cpu) in med.items():
        print(f"median {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    (a_wall, a_cpu), (b_wall, b_cpu) = med["this tree"], med[args.against]
    print(f"this tree / {args.against}: wall {a_wall / b_wall:.2f}x, CPU {a_cpu / b_cpu:.2f}x")


if __name__ == "__main__":
    main()
