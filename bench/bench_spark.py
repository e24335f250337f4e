"""Benchmark: the same round on Spark local[2] and on DuckDB, over a simulated base.

The transactions are bench_round.py's simulated CDNOW-like customers (BG/NBD purchases,
Gamma-Gamma spend in cents, costs), cached as Parquet in bench/out. Each engine runs, in a fresh
subprocess,

    run_round_on_engine(<the Parquet on that engine>, <the starter standard, model bgnbd>,
                        "2026-06-30", roster_out=bench/out/spark_roster_<engine>_<n>)

(facts, compress-fit-expand BG/NBD and Gamma-Gamma, the whole roster in the engine — gates,
score, rank, tiers, capacity, gaps —, the roster and the fields written as Parquet by it). The table gives
the wall time of the round (the Spark session's start is timed apart), the driver's peak memory
(the Python process; on Spark the driver JVM's peak resident memory beside it, from /proc on Linux), and whether the two rosters are
equal (every column; floats within a relative 1e-12: the cheapest change inverts sums the
engines add in their own order) with the SHA-256 of each.

    python bench/bench_spark.py --customers 1e5                 # quick
    python bench/bench_spark.py --customers 1e6 --driver-memory 2g

``--csv plain`` or ``--csv break`` reads the same transactions from a CSV instead (written once
beside the Parquet, with a quoted ``note`` in every row, so that ingest's scan for a line break in a
quoted cell parses the whole file; ``break``: the last row's note on two lines, so that Spark reads
the file with ``multiLine``, in one task). Each run also times the checks of the local CSV apart
(:func:`xuanba.ingest.encodings.refuse_nul` and ``refuse_not_utf8`` one by one, and ``checked_csv_layout``,
the one pass that does every check (``probe_spark_csv_checks.py --against`` an older tree times the
checks one by one as they were before session 30), which the round runs again
in its source's read, timed within "session start"; ``probe_spark_csv_checks.py`` times it alone).

    python bench/bench_spark.py --customers 1e6 --csv plain
    python bench/bench_spark.py --customers 1e6 --csv break
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF, peak_gib  # noqa: E402
from bench_round import bgnbd_data  # noqa: E402


def _standard(model: str = "bgnbd", interval: float = 0.0) -> object:
    """The starter standard with ``model`` (``auto``: the starter's own choice on the data) and,
    when ``interval`` is set, ``[predictions] interval`` (each prediction's interval)."""
    from xuanba.standard import load_standard, starter_standard

    text = starter_standard("en").replace('model = "auto"', f'model = "{model}"')
    if interval:
        text = text.replace("# interval = 0.9", f"interval = {interval}")
    return load_standard(text)


def run_tag(model: str, interval: float, csv: str = "") -> str:
    """What names a run's saved figures and roster beside its size: empty for the default
    standard (model bgnbd, no interval) read from Parquet, so that earlier runs keep their names."""
    tag = "" if (model, interval) == ("bgnbd", 0.0) else f"_{model}" + (f"_i{interval:g}" if interval else "")
    return tag + (f"_csv{csv}" if csv else "")


def csv_data(parquet: Path, kind: str) -> Path:
    """The transactions of ``parquet`` as a CSV in bench/out (written at first use): a quoted
    ``note`` in every row; ``kind`` "break": the last row's note holds a line break."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = parquet.with_name(f"{parquet.stem}_{kind}.csv")
    if path.exists():
        return path
    table = pq.read_table(parquet)
    notes = ["n"] * table.num_rows
    if kind == "break":
        notes[-1] = "two\nlines"
    table = table.append_column("note", pa.array(notes))
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="all_valid"))
    return path


def _csv_checks(path: str) -> dict[str, float]:
    """The seconds of each check a round makes of a local CSV source before reading it."""
    from xuanba.ingest.csv_source import checked_csv_layout
    from xuanba.ingest.encodings import refuse_not_utf8, refuse_nul

    out = {}
    for name, check in (("refuse_nul", refuse_nul), ("refuse_not_utf8", refuse_not_utf8),
                        ("checked_csv_layout (the round's one pass of every check)", checked_csv_layout)):
        t0 = time.perf_counter()
        got = check(path)
        out[name] = time.perf_counter() - t0
        if got is not None:
            out["layout"] = got._asdict()
    return out


def roster_folder(engine: str, parquet: str, tag: str = "") -> Path:
    return OUT / f"spark_roster_{engine}_{Path(parquet).stem.rsplit('_', 1)[-1]}{tag}"


def _rosters_equal(parquet: Path, runs: list[dict], tag: str) -> str:
    """Whether the two engines' rosters are equal: by their SHA-256 (each engine hashed its whole
    roster in rank order, in chunks) when those agree; otherwise every column compared, floats
    within a relative 1e-12 (the cheapest change inverts sums the engines add in their own order)
    — read whole, so only up to 3 M customers."""
    import pandas as pd

    if runs[0]["roster_sha256"] == runs[1]["roster_sha256"]:
        return "True (the same SHA-256)"
    if runs[0]["customers"] > 3_000_000:
        return "False (SHA-256 differ; too many customers to compare column by column here)"
    a, b = (pd.read_parquet(roster_folder(e, str(parquet), tag) / "roster.parquet").sort_values("rank")
            .reset_index(drop=True) for e in ("duckdb", "spark"))
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12, atol=1e-9)
    except AssertionError:
        return "False"
    return "True (SHA-256 differ in the last bits; every column within 1e-12)"


def _jvm_peak_mb(backend: object) -> float:
    """The driver JVM's peak resident memory (spark-submit execs java), from /proc; 0 on DuckDB."""
    if backend is None:
        return 0.0
    try:
        proc = backend._session.sparkContext._gateway.proc  # type: ignore[attr-defined]
        with open(f"/proc/{proc.pid}/status", encoding="ascii") as fh:
            return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024
    except (OSError, AttributeError, StopIteration):
        return float("nan")


def _child(engine: str, parquet: str, driver_memory: str, partitions: int, model: str, interval: float,
           event_log: str = "", csv: str = "") -> None:
    from xuanba.rounds.engine import duckdb_source, run_round_on_engine

    out: dict = {"engine": engine}
    if parquet.endswith(".csv"):
        out["csv_checks_s"] = _csv_checks(parquet)
    start = time.perf_counter()
    backend = None
    if engine == "spark":
        from xuanba.rounds.spark import spark_backend, spark_source

        conf = {"spark.master": "local[2]", "spark.driver.memory": driver_memory,
                "spark.sql.shuffle.partitions": str(partitions), "spark.ui.enabled": "false"}
        if event_log:  # Spark's own record of every job, stage and task (bench/spark_profile.py reads it)
            Path(event_log).mkdir(parents=True, exist_ok=True)
            conf.update({"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(Path(event_log).resolve())})
        backend = spark_backend(conf)
        backend._session.sparkContext.setLogLevel("ERROR")
        source = spark_source(backend, parquet)
    else:
        source = duckdb_source(parquet)
    out["session_s"] = time.perf_counter() - start
    steps: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def step(name: str) -> None:
        now = time.perf_counter()
        if backend is not None:  # the jobs that follow carry the step's name (in an event log)
            backend._session.sparkContext.setJobGroup(name, name)
        steps[last[1]] = steps.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, name
        # said as it happens, so that a run stopped by --timeout shows how far it got and its memory
        print(f"[{now - start:7.1f} s] {name}; Python peak {peak_gib() * 1024:,.0f} MB, "
              f"driver JVM peak {_jvm_peak_mb(backend):,.0f} MB", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    rnd = run_round_on_engine(source, _standard(model, interval), CUTOFF, roster_out=roster_folder(engine, parquet, run_tag(model, interval, csv)),
                              progress=step)
    step("end")
    out["round_s"] = time.perf_counter() - t0
    out["steps"] = steps
    out["customers"] = rnd.meta["n_customers"]
    out["selected"] = rnd.meta["n_selected"]
    out["roster_sha256"] = rnd.meta["roster_sha256"]
    out["jvm_peak_mb"] = _jvm_peak_mb(backend)
    if backend is not None:
        backend._session.stop()
    out["python_peak_mb"] = peak_gib() * 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--engines", default="duckdb,spark",
                    help="engines to run now; a run's figures are saved, so each engine can run under its own lock")
    ap.add_argument("--timeout", type=float, default=25 * 60, help="stop an engine's run after this many seconds")
    ap.add_argument("--model", default="bgnbd", help="the standard's model: bgnbd, auto (the starter's), mbgnbd, pareto-nbd")
    ap.add_argument("--interval", type=float, default=0.0, help="[predictions] interval, e.g. 0.9 (0: none)")
    ap.add_argument("--event-log", default="", help="a folder for Spark's event log (jobs, stages, tasks per step)")
    ap.add_argument("--csv", default="", choices=["", "plain", "break"],
                    help="read the transactions from a CSV (break: one quoted cell holds a line break)")
    ap.add_argument("--child", nargs=8, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.child[2], int(args.child[3]), args.child[4], float(args.child[5]),
               args.child[6], args.child[7])
        return
    n = int(args.customers)
    tag = run_tag(args.model, args.interval, args.csv)
    OUT.mkdir(exist_ok=True)
    parquet = bgnbd_data(n)  # the round benchmarks' data (made once, shared)
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(parquet).metadata.num_rows
    if args.csv:
        parquet = csv_data(parquet, args.csv)
    for engine in filter(None, args.engines.split(",")):  # --engines "": the table of the saved runs
        saved = OUT / f"spark_run_{engine}_{n}{tag}.json"
        saved.unlink(missing_ok=True)
        t0 = time.perf_counter()
        log = OUT / f"spark_run_{engine}_{n}{tag}.log"  # the child's whole stderr: its steps, Spark's errors
        with log.open("w", encoding="utf-8") as err:
            try:
                res = subprocess.run([sys.executable, __file__, "--child", engine, str(parquet), args.driver_memory,
                                      str(args.partitions), args.model, str(args.interval), args.event_log,
                                      args.csv], stdout=subprocess.PIPE, stderr=err, text=True,
                                     check=False, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                res = None
        said = log.read_text(encoding="utf-8", errors="replace").splitlines()
        steps = [x for x in said if x.startswith("[")]
        errors = [x for x in said if "Error" in x or "Exception" in x][:8]
        if res is None:
            sys.exit(f"{engine} stopped after {time.perf_counter() - t0:.0f} s (--timeout); steps:\n"
                     + "\n".join(steps) + f"\n(log: {log})")
        lines = [x for x in res.stdout.splitlines() if x.startswith("{")]
        if res.returncode or not lines:
            sys.exit(f"{engine} failed after {time.perf_counter() - t0:.0f} s; steps:\n" + "\n".join(steps)
                     + "\nfirst errors:\n" + "\n".join(errors) + f"\n(log: {log})")
        saved.write_text(lines[-1], encoding="utf-8")
    runs = [json.loads((OUT / f"spark_run_{e}_{n}{tag}.json").read_text(encoding="utf-8")) for e in ("duckdb", "spark")
            if (OUT / f"spark_run_{e}_{n}{tag}.json").exists()]
    print(f"{n:,} customers, {rows:,} transactions, cutoff {CUTOFF}; spark local[2], driver memory "
          f"{args.driver_memory}, {args.partitions} shuffle partitions; model {args.model}, "
          f"interval {args.interval or 'none'}\n")
    print("| engine | session start | round | facts | predictions | scoring | writing the roster | headline figures | hashes | summary | "
          "customers | selected | Python peak | JVM peak | roster SHA-256 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in runs:
        s = r["steps"]
        pred = sum(v for k, v in s.items() if k.startswith("predictions"))
        jvm = f"{r['jvm_peak_mb']:,.0f} MB" if r["engine"] == "spark" else ""
        print(f"| {r['engine']} | {r['session_s']:.1f} s | {r['round_s']:.1f} s | {s.get('facts', 0):.1f} s | "
              f"{pred:.1f} s | {s.get('scoring', 0):.1f} s | {s.get('writing the roster', 0):.1f} s | "
              f"{s.get('headline figures', 0):.1f} s | {s.get('hashes', 0):.1f} s | {s.get('summary', 0):.1f} s | "
              f"{r['customers']:,} | {r['selected']:,} | {r['python_peak_mb']:,.0f} MB | {jvm} | "
              f"{r['roster_sha256'][:12]}… |")
    if len(runs) == 2:
        same = _rosters_equal(parquet, runs, tag)
        print(f"\nrosters equal: {same}; spark / duckdb: {runs[1]['round_s'] / runs[0]['round_s']:.2f}×")
    for r in runs:
        if "csv_checks_s" in r:
            print(f"{r['engine']}: the CSV's checks (s): {json.dumps(r['csv_checks_s'])}")


if __name__ == "__main__":
    main()
