"""Benchmark: ingest a 1 M-row GBK CSV beside a bare DuckDB read_csv of a UTF-8 copy.

The sales log is the demo generator's (Chinese headers, GBK, CRLF, order lines, returns and a few
bad rows), written once to bench/out/ and reused. Each run happens in a fresh subprocess with a
fresh workspace file; the table reports medians.

    python bench/bench_ingest.py                 # 1 M rows, 3 runs each
    python bench/bench_ingest.py --rows 2e5 --repeat 3   # quick

Target (issue 2): ingest of a 1 M-row GBK CSV <= 10 s.

``--shapes`` also ingests the same log rewritten (GBK, CRLF) with every cell quoted (``quoted``: the
csv scan that looks for line breaks in cells runs, finds none, and DuckDB's parallel reader reads it)
or with a 备注 column whose cell holds a line break on one line in 100 (``breaks``: read by DuckDB's
one-thread reader). ``--against REV`` ingests each shape with the ``src/`` of commit REV too,
alternately with this tree; a shape that tree refuses is shown as such:

    flock /tmp/xuanba-heavy.lock python bench/bench_ingest.py --shapes plain quoted breaks --against c778c83

``--readers`` times the reading step alone on UTF-8 copies of the shapes: DuckDB's ``read_csv`` with
ingest's options into a table, by the parallel reader and by the one-thread one (``parallel=false``),
and the csv-module scan that chooses between them (``_breaks_in_cells``), alternately:

    flock /tmp/xuanba-heavy.lock python bench/bench_ingest.py --readers --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def make_data(rows: int) -> tuple[Path, Path]:
    """The GBK log and its UTF-8 copy, cached by size."""
    from xuanba.demo.generate import write_sales

    gbk = OUT / f"sales_{rows}_gbk.csv"
    utf8 = OUT / f"sales_{rows}_utf8.csv"
    if not gbk.exists():
        write_sales(gbk, n_rows=rows)
    if not utf8.exists():
        utf8.write_bytes(gbk.read_bytes().decode("gbk").encode("utf-8"))
    return gbk, utf8


SHAPES = ("plain", "quoted", "breaks")


def shaped(gbk: Path, shape: str) -> Path:
    """The GBK log as ``shape`` says (see the module's doc), written once beside it."""
    import csv
    import io

    if shape == "plain":
        return gbk
    out = gbk.with_name(f"{gbk.stem}_{shape}.csv")
    if not out.exists():
        rows = csv.reader(io.StringIO(gbk.read_bytes().decode("gbk"), newline=""))
        buf = io.StringIO()
        if shape == "quoted":
            csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        else:
            writer = csv.writer(buf, lineterminator="\r\n")
            for i, row in enumerate(rows):
                writer.writerow([*row, "备注" if i == 0 else ("送货上门\r\n周末勿扰" if i % 100 == 1 else "")])
        out.write_bytes(buf.getvalue().encode("gbk"))
    return out


def _child(kind: str, path: str, workdir: str) -> None:
    """One measurement in this process; prints JSON."""
    import resource

    from bench_facts import peak_gib  # this process's own peak (not a parent's)

    ws_path = Path(workdir) / "ws.duckdb"
    start = time.perf_counter()
    if kind.startswith(("parallel", "one-thread", "scan")):
        import duckdb

        if kind == "scan":
            from xuanba.ingest.csv_records import _breaks_in_cells

            cpu0, t0 = time.process_time(), time.perf_counter()
            found = _breaks_in_cells(Path(path), ",", 0, True, path)
            print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0,
                              "breaks": found}))
            return
        con = duckdb.connect(str(ws_path))
        one = ", parallel=false, escape='\"'" if kind == "one-thread" else ""
        cpu0, t0 = time.process_time(), time.perf_counter()
        try:
            con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header=true, all_varchar=true, "
                        f"null_padding=true, quote='\"'{one})", [path])
        except duckdb.Error as exc:  # the parallel reader beside line breaks in cells, at times
            print(json.dumps({"refused": str(exc).splitlines()[1][:80]}))
            return
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0, "rows": rows}))
        return
    if kind == "bare":
        import duckdb

        con = duckdb.connect(str(ws_path))
        con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [path])
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        con.close()
        extra = {}
    else:
        from xuanba.errors import InputError
        from xuanba.ingest import ingest

        try:
            report = ingest(path, ws_path)
        except InputError as exc:  # an older tree refuses the shape
            print(json.dumps({"refused": str(exc).splitlines()[0][:100]}))
            return
        rows = report.input_rows
        extra = {"loaded": report.loaded, "merged": report.merged, "rejected": report.rejected}
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = peak_gib()
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_gib": peak, **extra}))


def _run(kind: str, path: Path, src: Path | None = None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="xuanba-bench-", dir=OUT) as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(path), tmp],
            check=True, capture_output=True, text=True, env=env,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _readers(rows: int, gbk: Path, repeat: int) -> None:
    """The reading step alone on UTF-8 copies of the shapes: parallel and one-thread read, csv scan."""
    print(f"{rows:,} rows, UTF-8 copies; medians of {repeat} runs, each in a fresh process\n")
    print("| shape | file MiB | parallel read wall s (CPU s) | one-thread read wall s (CPU s) | one-thread / "
          "parallel, wall | csv scan wall s (CPU s) | line breaks in cells |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for shape in SHAPES:
        utf8 = OUT / f"{shaped(gbk, shape).stem}_utf8.csv"
        if not utf8.exists():
            utf8.write_bytes(shaped(gbk, shape).read_bytes().decode("gbk").encode("utf-8"))
        runs: dict[str, list[dict]] = {k: [] for k in ("parallel", "one-thread", "scan")}
        for _ in range(repeat):
            for kind, done in runs.items():
                done.append(_run(kind, utf8))
        med = {k: (statistics.median(r["seconds"] for r in v), statistics.median(r["cpu"] for r in v))
               for k, v in runs.items() if not any("refused" in r for r in v)}
        par = (f"{med['parallel'][0]:.2f} ({med['parallel'][1]:.2f})" if "parallel" in med
               else f"refused ({sum('refused' in r for r in runs['parallel'])} of {repeat} runs)")
        ratio = f"{med['one-thread'][0] / med['parallel'][0]:.2f}" if "parallel" in med else "–"
        print(f"| {shape} | {utf8.stat().st_size / 2**20:.1f} | {par} | {med['one-thread'][0]:.2f} "
              f"({med['one-thread'][1]:.2f}) | {ratio} | {med['scan'][0]:.2f} ({med['scan'][1]:.2f}) | "
              f"{runs['scan'][0]['breaks']} |")


def _compare(rows: int, gbk: Path, shapes: list[str], against: str, repeat: int) -> None:
    """Each shape ingested by this tree and by commit ``against``, alternately; medians."""
    from bench_round import _source_of

    trees = {"this tree": Path(__file__).resolve().parent.parent / "src", against: _source_of(against)}
    print(f"{rows:,} rows (GBK, CRLF); medians of {repeat} runs, each in a fresh process and workspace\n")
    print("| shape | file MiB | " + " | ".join(f"{t}: wall s | {t}: CPU s" for t in trees) + " | CPU ratio |")
    print("|---|---:|" + "---:|---:|" * len(trees) + "---:|")
    base = None
    for shape in shapes:
        path = shaped(gbk, shape)
        runs: dict[str, list[dict]] = {t: [] for t in trees}
        for _ in range(repeat):
            for tree, src in trees.items():
                runs[tree].append(_run("ingest", path, src))
        cells, cpu = [], {}
        for tree in trees:
            done = [r for r in runs[tree] if "refused" not in r]
            if not done:
                cells.append(f"refused: {runs[tree][0]['refused']} | –")
                continue
            cpu[tree] = statistics.median(r["cpu"] for r in done)
            cells.append(f"{statistics.median(r['seconds'] for r in done):.2f} | {cpu[tree]:.2f}")
            if tree == "this tree":
                accounted = done[-1]
        ratio = f"{cpu['this tree'] / cpu[against]:.3f}" if len(cpu) == 2 else "–"
        base = base or cpu.get("this tree")
        print(f"| {shape} | {path.stat().st_size / 2**20:.1f} | " + " | ".join(cells) + f" | {ratio} |")
        print(f"<!-- {shape}: {accounted['rows']:,} rows = {accounted['loaded']:,} loaded + "
              f"{accounted['merged']:,} merged + {accounted['rejected']:,} rejected; this tree's CPU / its plain "
              f"= {cpu['this tree'] / base:.3f} -->")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, help="ingest these shapes of the log (with --against)")
    parser.add_argument("--against", metavar="REV", help="also ingest with the src/ of this commit, alternately")
    parser.add_argument("--readers", action="store_true", help="time the reading step alone (see above)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    rows = int(args.rows)
    gbk, utf8 = make_data(rows)
    if args.readers:
        _readers(rows, gbk, args.repeat)
        return
    if args.against or args.shapes:
        _compare(rows, gbk, args.shapes or ["plain"], args.against or "main", args.repeat)
        return
    runs: dict[str, list[dict]] = {"bare": [], "ingest": []}
    for _ in range(args.repeat):
        runs["bare"].append(_run("bare", utf8))
        runs["ingest"].append(_run("ingest", gbk))
    bare = statistics.median(r["seconds"] for r in runs["bare"])
    ing = statistics.median(r["seconds"] for r in runs["ingest"])
    print(f"{rows:,} rows; GBK file {gbk.stat().st_size / 2**20:.1f} MiB")
    print("| run | median s | all runs s | median CPU s (user+sys) | peak memory GiB |")
    print("|---|---:|---:|---:|---:|")
    for name, label in (("bare", "bare DuckDB read_csv of the UTF-8 copy"), ("ingest", "xuanba `ingest` of the GBK file")):
        secs = ", ".join(f"{r['seconds']:.2f}" for r in runs[name])
        peak = max(r["peak_gib"] for r in runs[name])
        cpu = statistics.median(r["cpu"] for r in runs[name])
        print(f"| {label} | {statistics.median(r['seconds'] for r in runs[name]):.2f} | {secs} | {cpu:.2f} | {peak:.2f} |")
    last = runs["ingest"][-1]
    print(f"ingest / bare = {ing / bare:.2f}; accounting: {last['rows']:,} = {last['loaded']:,} loaded "
          f"+ {last['merged']:,} merged + {last['rejected']:,} rejected; target <= 10 s")


if __name__ == "__main__":
    main()
