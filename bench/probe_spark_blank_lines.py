"""Probe: what a Spark round's local CSV source costs before Spark reads it to find its lines of
spaces or tabs alone (``xuanba.rounds.spark._with_blank_rows``: a search of the file's bytes, and
the records read by ingest's scan where one may be), this tree against another commit's, each run
in a fresh process, alternating (ratios, not seconds: the machine is shared).

    python bench/probe_spark_blank_lines.py --rows 1000000 --against 013e459 --repeat 3

Three files of ``--rows`` lines are written to a temporary folder: ids as a system writes them
(``c000042``), ids that begin with spaces (``  c000042``, a padded export), and those ids with one
line of spaces 99 % down (the case the search is for). Spark itself is not started: a stand-in
frame takes the rows put back.
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
import xuanba.ingest.csv_records, xuanba.ingest.csv_source, xuanba.ingest.mapping  # imported before the clock
from xuanba.rounds.spark import _with_blank_rows

class Typed:
    def typeName(self):
        return "string"

class Field:
    dataType = Typed()

class Frame:
    columns = ["customer_id", "ts", "amount"]
    class schema:
        fields = [Field(), Field(), Field()]
    def unionByName(self, other):
        return other

class Session:
    def createDataFrame(self, rows, schema):
        return rows

t0, c0 = time.perf_counter(), time.process_time()
out = _with_blank_rows(Session(), sys.argv[1], Frame(), None)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "put_back": 0 if isinstance(out, Frame) else len(out),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _tree(commit: str) -> Path:
    """A checkout of ``commit``'s src in a temporary folder (``git archive``)."""
    out = Path(tempfile.mkdtemp(prefix="probe_blank_lines_"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def _write(folder: Path, rows: int) -> dict[str, Path]:
    """The three files: plain ids, ids that begin with spaces, and those with a line of spaces."""
    files = {}
    for name, lead, blank in (("plain", "", False), ("leading spaces", "  ", False),
                              ("leading spaces + a line of spaces", "  ", True)):
        path = folder / f"{name.replace(' ', '_').replace('+', 'and')}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write("customer_id,ts,amount\n")
            for i in range(rows):
                if blank and i == rows * 99 // 100:
                    fh.write("   \n")
                fh.write(f"{lead}c{i % 100_000:06d},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i % 500}.5\n")
        files[name] = path
    return files


def _run(src: Path, csv: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", CHILD, str(csv)], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--against", default="013e459")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    trees = {"this tree": ROOT / "src", args.against: _tree(args.against)}
    with tempfile.TemporaryDirectory() as tmp:
        files = _write(Path(tmp), args.rows)
        print(f"load {os.getloadavg()[0]:.1f}")
        for label, csv in files.items():
            runs: dict[str, list[dict]] = {k: [] for k in trees}
            for _ in range(args.repeat):
                for name, src in trees.items():
                    runs[name].append(_run(src, csv))
            med = {k: (statistics.median(r["wall_s"] for r in v), statistics.median(r["cpu_s"] for r in v),
                       v[-1]["put_back"]) for k, v in runs.items()}
            print(f"{label} ({csv.stat().st_size / 1e6:,.1f} MB):")
            for name, (wall, cpu, back) in med.items():
                print(f"  median {name}: {wall:.3f} s wall, {cpu:.3f} s CPU, {back} line(s) put back")
            (a_wall, a_cpu, _), (b_wall, b_cpu, _) = med["this tree"], med[args.against]
            print(f"  this tree / {args.against}: wall {a_wall / b_wall:.2f}x, CPU {a_cpu / b_cpu:.2f}x")
        print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
