"""Benchmark: full customer facts vs one bare DuckDB query for frequency, recency and T.

Both run on the same Parquet file of canonical transactions, each in a fresh subprocess (so peak
memory is that run's alone), repeated; the table reports medians and the ratio.

    python bench/bench_facts.py                      # 10 M transactions, 1 M customers, 3 runs
    python bench/bench_facts.py --transactions 1e6 --customers 1e5 --repeat 3   # quick

Target (issue 2): facts within 2.5x the bare query's time, peak memory <= 4 GB.
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

CUTOFF = "2026-06-30"

BARE_SQL = f"""
SELECT customer_id,
       count(DISTINCT CAST(ts AS DATE)) - 1 AS frequency,
       date_diff('day', min(CAST(ts AS DATE)), max(CAST(ts AS DATE))) / 7.0 AS recency,
       date_diff('day', min(CAST(ts AS DATE)), DATE '{CUTOFF}') / 7.0 AS T
FROM read_parquet(?)
WHERE CAST(ts AS DATE) <= DATE '{CUTOFF}'
GROUP BY customer_id
"""


def rss() -> tuple[float, float]:
    """(current, peak) resident set of this process in GiB, from /proc/self/status (Linux).

    The peak is VmHWM, this process's own since it started: not ``ru_maxrss``, which a child
    started by ``subprocess`` (vfork, then exec) inherits from its parent's peak — a bench parent
    that generated the data first made every child report the generator's peak."""
    now = peak = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024**2
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024**2
    return now, peak


def peak_gib() -> float:
    """This process's own peak resident set in GiB (:func:`rss`); ``ru_maxrss`` where there is
    no /proc (it may then include the parent's peak)."""
    try:
        return rss()[1]
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def make_data(path: Path, n_tx: int, n_customers: int) -> None:
    """Synthetic canonical transactions: skewed customers, three years of dates, cents, costs."""
    import duckdb

    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"""
        COPY (
          SELECT lpad(CAST(CAST(floor(pow(random(), 2) * {n_customers}) AS BIGINT) AS VARCHAR), 7, '0')
                   AS customer_id,
                 TIMESTAMP '2023-07-01' + to_seconds(CAST(random() * 3 * 365 * 86400 AS BIGINT)) AS ts,
                 CAST(round(random() * 500 + 1, 2) AS DECIMAL(18, 4)) AS amount,
                 CAST(round(random() * 300, 2) AS DECIMAL(18, 4)) AS cost,
                 random() < 0.01 AS is_return
          FROM range({n_tx})
        ) TO '{path}' (FORMAT parquet)
        """
    )
    con.close()


def _child(kind: str, path: str) -> None:
    """Run one measurement in this process and print JSON."""

    import duckdb

    from xuanba import Workspace
    from xuanba.facts import customer_facts

    ws = Workspace(":memory:")
    _ = ws.ibis  # imports done before the clock starts, for both runs
    t0 = time.perf_counter()
    if kind == "bare":
        frame = duckdb.connect().execute(BARE_SQL, [path]).df()
    else:
        frame = customer_facts(ws.ibis.read_parquet(path), CUTOFF)
    seconds = time.perf_counter() - t0
    peak = peak_gib()
    print(json.dumps({"kind": kind, "seconds": seconds, "peak_gib": peak, "rows": len(frame)}))


def _run(kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=float, default=10e6)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="reuse this Parquet file instead of generating one")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    n_tx, n_c = int(args.transactions), int(args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data or Path(tmp) / "tx.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            make_data(path, n_tx, n_c)
            print(f"generated {n_tx:,} transactions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        runs: dict[str, list[dict]] = {"bare": [], "facts": []}
        for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
            for kind in runs:
                runs[kind].append(_run(kind, path))
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    peak = {k: max(r["peak_gib"] for r in v) for k, v in runs.items()}
    rows = runs["facts"][0]["rows"]
    print(f"\n{n_tx:,} transactions, {rows:,} customers, median of {args.repeat} runs\n")
    print("| run | median s | all runs s | peak memory GiB |")
    print("|---|---:|---:|---:|")
    for k, label in (("bare", "bare DuckDB query (frequency, recency, T)"), ("facts", "xuanba customer_facts (all facts)")):
        all_s = ", ".join(f"{r['seconds']:.2f}" for r in runs[k])
        print(f"| {label} | {med[k]:.2f} | {all_s} | {peak[k]:.2f} |")
    print(f"\nratio facts / bare = {med['facts'] / med['bare']:.2f} (target <= 2.5); "
          f"facts peak memory {peak['facts']:.2f} GiB (target <= 4)")


if __name__ == "__main__":
    main()
