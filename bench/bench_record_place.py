"""Benchmark: naming the row of a bad cell deep in an engine round's CSV source.

A CSV of transactions without a quote (``--mb`` megabytes, written once into bench/out) whose last
line holds a date DuckDB cannot read (``2025-13-45``): DuckDB's read fails there, and
``rounds.engine.csv_cell_refused`` turns its error into xuanba's, whose row
``ingest.csv_records.record_place`` finds. Timed with this tree's xuanba and with the one of commit
``--against REV``, alternating, each in a fresh subprocess: DuckDB's failed read, then the
refusal (the row's search); both trees must name the same line and row.

    flock /tmp/xuanba-heavy.lock python bench/bench_record_place.py --mb 213 --against e97c1c3 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_round import OUT, _source_of  # noqa: E402


def _child(path: str) -> None:
    import duckdb

    import xuanba.ingest.read  # noqa: F401 - imported before the clock, as a round has
    from xuanba.rounds.engine import csv_cell_refused

    con = duckdb.connect()
    t0 = time.perf_counter()
    try:
        con.execute("SELECT max(ts) FROM read_csv(?, header = true, types = {'ts': 'DATE'})", [path]).fetchall()
    except duckdb.Error as exc:
        error = exc
    else:
        sys.exit("DuckDB read the bad date")
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    said = csv_cell_refused(error)
    place = time.perf_counter() - t0
    print(json.dumps({"read_s": read, "place_s": place, "row": said.row, "said": said.message[:80]}))


def _file(mb: float) -> Path:
    out = OUT / f"record_place_{mb:g}mb.csv"
    if not out.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        line = b"c%07d,2025-%02d-%02d,%d.50\n"
        rows = int(mb * 1e6 / len(line % (0, 1, 1, 100)))
        with out.open("wb") as fh:
            fh.write(b"customer_id,ts,amount\n")
            for start in range(0, rows, 100_000):
                fh.write(b"".join(line % (i, 1 + i % 12, 1 + i % 28, i % 997) for i in range(start, min(rows, start + 100_000))))
            fh.write(b"c9999999,2025-13-45,1.00\n")
    return out


def _run(path: Path, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=213)
    ap.add_argument("--against", default="main", help="the commit to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    path = _file(args.mb)
    trees = {"this tree": None, args.against: _source_of(args.against)}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for _ in range(args.repeat):
        for tree, src in trees.items():
            runs[tree].append(_run(path, src))
            print(tree, runs[tree][-1], file=sys.stderr, flush=True)
    print(f"\n{path.stat().st_size / 1e6:.0f} MB CSV, bad date on its last line, median of {args.repeat}, "
          f"alternating; load {os.getloadavg()[0]:.2f}\n")
    print("| tree | DuckDB's failed read (s) | the row's search (s) | row named |")
    print("| --- | ---: | ---: | ---: |")
    for tree, got in runs.items():
        med = {m: statistics.median(r[m] for r in got) for m in ("read_s", "place_s")}
        print(f"| {tree} | {med['read_s']:.2f} | {med['place_s']:.3f} | {got[0]['row']:,} |")
    said = {r["said"] for got in runs.values() for r in got}
    print(f"\nthe same refusal from every run of both trees: {len(said) == 1}")


if __name__ == "__main__":
    main()
