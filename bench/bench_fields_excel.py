"""Benchmark: reading a ``--fields`` workbook (:func:`xuanba.rounds.run.read_fields_file`) with its
error cells found (:func:`xuanba.tables.error_cells`), beside an older tree that read them as empty.

Two workbooks of ``--customers`` rows (customer_id, two number columns, a text one), written once
to bench/out/: ``plain`` holds no error cell (the sheet's XML is searched for one and openpyxl is
not opened again), ``errors`` holds one in 100 cells of ``nps`` and of ``segment`` as error cells
(found in the sheet's XML). Each read happens in a fresh process, this tree and ``--against REV``
alternately; the table gives medians, and each tree's largest peak RSS (b836c12 held the sheet's
XML whole to search it: 194 MB at 1 M rows).

    flock /tmp/xuanba-heavy.lock python bench/bench_fields_excel.py --customers 2e5 --against 0c7bf4c --repeat 3
    flock /tmp/xuanba-heavy.lock python bench/bench_fields_excel.py --customers 1e6 --against b836c12 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
SHAPES = ("plain", "errors")


def make_book(customers: int, shape: str) -> Path:
    """The fields workbook of ``shape`` (see the module's doc), written once."""
    import openpyxl

    path = OUT / f"fields_{customers}_{shape}.xlsx"
    if path.exists():
        return path
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("fields")
    sheet.append(["customer_id", "nps", "spend", "segment"])
    for i in range(customers):
        error = shape == "errors" and i % 100 == 7
        nps = openpyxl.cell.WriteOnlyCell(sheet, "#N/A") if error else i % 11 + 0.5
        seg = openpyxl.cell.WriteOnlyCell(sheet, "#DIV/0!") if error else "AB"[i % 2]
        for cell in (nps, seg):
            if error:
                cell.data_type = "e"
        sheet.append([f"c{i:07d}", nps, i * 1.25, seg])
    book.save(path)
    return path


def _child(path: str) -> None:
    """One read in this process; prints JSON."""
    from xuanba.rounds.run import read_fields_file

    cpu0, t0 = time.process_time(), time.perf_counter()  # the read alone, not the imports
    frame = read_fields_file(path)
    out = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0, "rows": len(frame),
           "missing": int(frame["nps"].isna().sum()), "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        from xuanba.rounds.extra_names import missing_words

        out["said"] = {k: v["n"] for k, v in missing_words(frame).items()}
    except ImportError:  # a tree older than the count
        out["said"] = None
    print(json.dumps(out))


def _run(path: Path, src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True,
                          text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=2e5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", metavar="REV", default="main")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_round import _source_of

    OUT.mkdir(parents=True, exist_ok=True)
    n = int(args.customers)
    trees = {"this tree": Path(__file__).resolve().parent.parent / "src", args.against: _source_of(args.against)}
    print(f"{n:,} customers; medians of {args.repeat} reads, each in a fresh process\n")
    print("| workbook | MiB | " + " | ".join(f"{t}: wall s (CPU s), peak MiB" for t in trees) + " | CPU ratio | said missing |")
    print("|---|---:|" + "---:|" * len(trees) + "---:|---|")
    for shape in SHAPES:
        path = make_book(n, shape)
        runs: dict[str, list[dict]] = {t: [] for t in trees}
        for _ in range(args.repeat):
            for tree, src in trees.items():
                runs[tree].append(_run(path, src))
        cpu = {t: statistics.median(r["cpu"] for r in v) for t, v in runs.items()}
        cells = [f"{statistics.median(r['seconds'] for r in v):.2f} ({cpu[t]:.2f}), {max(r['peak_mib'] for r in v):,.0f}"
                 for t, v in runs.items()]
        said = "; ".join(f"{t}: {v[-1]['said']}" for t, v in runs.items())
        print(f"| {shape} | {path.stat().st_size / 2**20:.1f} | " + " | ".join(cells)
              + f" | {cpu['this tree'] / cpu[args.against]:.3f} | {said} |")


if __name__ == "__main__":
    main()
