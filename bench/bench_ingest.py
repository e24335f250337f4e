"""Benchmark: ingest a 1 M-row GBK CSV beside a bare DuckDB read_csv of a UTF-8 copy.

The sales log is the demo generator's (Chinese headers, GBK, CRLF, order lines, returns and a few
bad rows), written once to bench/out/ and reused. Each run happens in a fresh subprocess with a
fresh workspace file; the table reports medians.

    python bench/bench_ingest.py                 # 1 M rows, 3 runs each
    python bench/bench_ingest.py --rows 2e5 --repeat 3   # quick

Target (issue 2): ingest of a 1 M-row GBK CSV <= 10 s.
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


def _child(kind: str, path: str, workdir: str) -> None:
    """One measurement in this process; prints JSON."""
    import resource

    from bench_facts import peak_gib  # this process's own peak (not a parent's)

    ws_path = Path(workdir) / "ws.duckdb"
    start = time.perf_counter()
    if kind == "bare":
        import duckdb

        con = duckdb.connect(str(ws_path))
        con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [path])
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        con.close()
        extra = {}
    else:
        from xuanba.ingest import ingest

        report = ingest(path, ws_path)
        rows = report.input_rows
        extra = {"loaded": report.loaded, "merged": report.merged, "rejected": report.rejected}
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = peak_gib()
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_gib": peak, **extra}))


def _run(kind: str, path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="xuanba-bench-", dir=OUT) as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(path), tmp],
            check=True, capture_output=True, text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    rows = int(args.rows)
    gbk, utf8 = make_data(rows)
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
