"""Benchmark: what reading the source by ingest's rules costs an engine round (DuckDB).

The engine round of bench_engine_features.py's ``named`` case (the starter standard with
``model = "bgnbd"``, bench_round.py's BG/NBD customers cached as Parquet in bench/out), run with
this tree's xuanba and with the one of commit ``--against REV`` (its ``src/`` extracted into
bench/out), alternating, each run in a fresh subprocess, so both are measured in one run on the
same machine state. The table gives the median wall time and CPU time (user + system of the
child) of ``run_round_on_engine`` and their ratios, and checks both rounds give the same roster.

    python bench/bench_engine_source.py --customers 1e5 --against main --repeat 3
    flock /tmp/xuanba-heavy.lock python bench/bench_engine_source.py --customers 1e6 --against main
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

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import _source_of, bgnbd_data  # noqa: E402


def _child(parquet: str) -> None:
    from xuanba.rounds.engine import duckdb_source, run_round_on_engine
    from xuanba.standard import load_standard, starter_standard

    std = load_standard(starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'))
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    rnd = run_round_on_engine(duckdb_source(parquet), std, CUTOFF)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "roster_sha256": rnd.meta["roster_sha256"][:12],
                "rejected": (rnd.meta.get("source_rows") or {}).get("rejected"),
            }
        )
    )


def _run(parquet: Path, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(parquet)], capture_output=True, text=True, env=env
    )
    if out.returncode:
        sys.exit(
            f"the round ended with {out.returncode} ({src or 'this tree'}): {out.stderr[-2000:]}"
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--against", default="main", help="the commit to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    parquet = bgnbd_data(int(args.customers))
    old = _source_of(args.against)
    runs: dict[str, list[dict]] = {"this tree": [], args.against: []}
    for _ in range(args.repeat):
        runs["this tree"].append(_run(parquet, None))
        runs[args.against].append(_run(parquet, old))
        print({k: v[-1] for k, v in runs.items()}, file=sys.stderr, flush=True)
    med = {
        k: {m: statistics.median(r[m] for r in v) for m in ("wall_s", "cpu_s")}
        for k, v in runs.items()
    }
    shas = {r["roster_sha256"] for v in runs.values() for r in v}
    new, ref = med["this tree"], med[args.against]
    print(
        f"\n{int(args.customers):,} customers, DuckDB engine round, cutoff {CUTOFF}, "
        f"median of {args.repeat}, alternating; load {os.getloadavg()[0]:.2f}\n"
    )
    print("| tree | wall (s) | CPU (s) |")
    print("| --- | ---: | ---: |")
    for k, v in med.items():
        print(f"| {k} | {v['wall_s']:.2f} | {v['cpu_s']:.2f} |")
    print(f"| ratio | {new['wall_s'] / ref['wall_s']:.3f} | {new['cpu_s'] / ref['cpu_s']:.3f} |")
    print(f"\nroster sha256 the same in every run: {len(shas) == 1} ({', '.join(sorted(shas))})")


if __name__ == "__main__":
    main()
