"""Benchmark: how many Spark jobs a warm small round runs, which code starts them, and its time.

A round on Spark is a hundred-odd small jobs even over a few thousand customers; each pays
Spark's fixed cost (scheduling, a shuffle's stages, on a cluster the executors' round trips), so
the number of jobs, not the rows, sets a small round's time. In a fresh subprocess per tree this
bench starts Spark local[2] with the tests' settings (``tests/conftest.py``'s ``SPARK_TEST_CONF``),
runs one round to warm the JVM, then ``--rounds`` warm rounds of each base, and counts each
round's jobs with Spark's status tracker (the round's jobs carry a job group of the bench's own):

- ``cdnow``: tests/test_round_spark.py's CDNOW round (2,357 customers, the starter standard with
  BG/NBD and Gamma-Gamma, roster and fields written as Parquet, stored in a workspace);
- ``busy``: its hostile simulated base (400 customers) under the standard with every
  normalisation, a median fill, gates, a quota, a bar, a tie-break and a capacity that binds.

With ``--against REV`` the same runs use the ``src/`` of commit REV too, the trees alternating,
and the table gives each tree's median; ``--sites`` lists the jobs per line of xuanba that
started them, with the driver JVM's CPU seconds spent in those calls (DataFrame actions,
checkpoints, writes and ``SparkSession.sql`` wrapped to find it).

    python bench/bench_spark_jobs.py --sites                     # this tree, where the jobs come from
    flock /tmp/xuanba-spark.lock flock /tmp/xuanba-heavy.lock \\
        python bench/bench_spark_jobs.py --against main --repeat 3
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
BASES = ("cdnow", "busy")


def _jvm_cpu_s(backend: object) -> float:
    """The driver JVM's CPU seconds so far (user + system, from /proc on Linux; NaN elsewhere):
    in local mode the executors' work too."""
    try:
        pid = backend._session.sparkContext._gateway.proc.pid  # type: ignore[attr-defined]
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, IndexError, ValueError):
        return float("nan")


def _sites_counted(context: object, backend: object) -> tuple[collections.Counter, collections.Counter]:
    """Wrap the DataFrame actions, checkpoints and writes (and ``SparkSession.sql``, which parses
    and analyses a query but starts no job) so that each runs its jobs under a job group of its
    own; count the jobs, and the driver JVM's CPU seconds while each ran, per line of xuanba that
    called (the two innermost). A call inside another wrapped call is the outer one's."""
    from pyspark.sql import SparkSession
    from pyspark.sql.classic.dataframe import DataFrame
    from pyspark.sql.readwriter import DataFrameWriter

    tracker = context.statusTracker()  # type: ignore[attr-defined]
    sites: collections.Counter = collections.Counter()
    jvm: collections.Counter = collections.Counter()
    serial = iter(range(10**9))
    depth = [0]

    def site() -> str:
        frames = [f for f in traceback.extract_stack()[:-2] if f"{os.sep}xuanba{os.sep}" in f.filename
                  and f.name not in ("to_arrow", "_scalars", "_computed_once", "wrapped")]
        return " < ".join(f"{Path(f.filename).name}:{f.name}:{f.lineno}" for f in frames[-1:-3:-1])

    def wrapped(cls: type, name: str) -> None:
        plain = getattr(cls, name)

        def counted(self, *args, **kwargs):  # noqa: ANN001, ANN202 - the wrapped method's own
            if depth[0]:
                return plain(self, *args, **kwargs)
            outer = context.getLocalProperty("spark.jobGroup.id")  # type: ignore[attr-defined]
            group = f"xuanba-bench-site-{next(serial)}"
            context.setJobGroup(group, group)  # type: ignore[attr-defined]
            depth[0] += 1
            cpu = _jvm_cpu_s(backend)
            try:
                return plain(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                context.setJobGroup(outer, outer)  # type: ignore[attr-defined]
                where = f"{name:<16} {site()}"
                sites[where] += len(tracker.getJobIdsForGroup(group))
                jvm[where] += _jvm_cpu_s(backend) - cpu

        setattr(cls, name, counted)

    for name in ("collect", "toArrow", "toPandas", "count", "localCheckpoint", "checkpoint", "take", "first",
                 "head", "toLocalIterator"):
        wrapped(DataFrame, name)
    for name in ("parquet", "save", "saveAsTable", "insertInto"):
        wrapped(DataFrameWriter, name)
    wrapped(SparkSession, "sql")
    return sites, jvm


def _child(rounds: int, bases: list[str], show_sites: bool) -> None:
    sys.path.insert(0, str(ROOT))  # the tests' settings, data and standards (this tree's, for every tree)
    from tests._helpers import cdnow_transactions
    from tests.conftest import SPARK_TEST_CONF, TEST_DATA
    from tests.test_round_engine import (
        BUSY_STANDARD,
        CDNOW_CUTOFF,
        cdnow_standard,
        simulated_transactions,
    )

    import xuanba
    from xuanba.rounds.engine import run_round_on_engine
    from xuanba.rounds.spark import spark_backend, spark_source
    from xuanba.standard import load_standard

    backend = spark_backend(SPARK_TEST_CONF, app_name="xuanba-bench-jobs")
    context = backend._session.sparkContext
    context.setLogLevel("ERROR")
    tracker = context.statusTracker()
    sites, site_jvm = _sites_counted(context, backend) if show_sites else (collections.Counter(), collections.Counter())
    folder = Path(tempfile.mkdtemp(prefix="xuanba-bench-jobs-"))
    cases = {"cdnow": (cdnow_transactions(TEST_DATA), cdnow_standard(), CDNOW_CUTOFF),
             "busy": (simulated_transactions(400, seed=5), load_standard(BUSY_STANDARD), "2025-12-31")}
    for base, (tx, _, _) in cases.items():
        tx.to_parquet(folder / f"{base}.parquet", index=False)
    out: dict = {"xuanba": str(Path(xuanba.__file__).parent), "runs": {b: [] for b in bases}, "sites": {}}
    serial = 0
    for k in range(rounds + 1):  # the first round of each base warms the JVM: not counted
        for base in bases:
            _, std, cutoff = cases[base]
            serial += 1
            group = f"xuanba-bench-round-{serial}"
            context.setJobGroup(group, group)
            sites.clear()
            site_jvm.clear()
            source = spark_source(backend, str(folder / f"{base}.parquet"))
            cpu, jvm, t0 = time.process_time(), _jvm_cpu_s(backend), time.perf_counter()
            rnd = run_round_on_engine(source, std, cutoff, roster_out=folder / f"out{serial}",
                                      workspace=folder / f"ws{serial}.duckdb")
            wall = time.perf_counter() - t0
            jobs = len(tracker.getJobIdsForGroup(group)) + sum(sites.values())
            if k:
                out["runs"][base].append({"jobs": jobs, "wall_s": wall, "python_cpu_s": time.process_time() - cpu,
                                          "jvm_cpu_s": _jvm_cpu_s(backend) - jvm,
                                          "roster_sha256": rnd.meta["roster_sha256"]})
                if show_sites:
                    out["sites"][base] = {k: [sites[k], site_jvm[k]] for k in sites}
            print(f"{base} round {k}: {jobs} jobs, {wall:.2f} s", file=sys.stderr, flush=True)
    backend._session.stop()
    print(json.dumps(out))


def _source_of(rev: str) -> Path:
    from bench_round import _source_of as extracted

    return extracted(rev)


def _run(src: Path | None, rounds: int, bases: list[str], show_sites: bool) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src if src is not None else ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    args = [sys.executable, __file__, "--child", "--rounds", str(rounds), "--bases", ",".join(bases)]
    res = subprocess.run([*args, *(["--sites"] if show_sites else [])], capture_output=True, text=True, env=env,
                         check=False)
    lines = [x for x in res.stdout.splitlines() if x.startswith("{")]
    if res.returncode or not lines:
        sys.exit(f"the child ended with {res.returncode} ({src or 'this tree'}):\n{res.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", metavar="REV", help="also the rounds with the src/ of this commit, alternating")
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per tree")
    ap.add_argument("--rounds", type=int, default=2, help="warm rounds per base in each process")
    ap.add_argument("--bases", default=",".join(BASES), help="cdnow, busy or both")
    ap.add_argument("--sites", action="store_true", help="list the jobs (and the JVM's CPU) per line of xuanba that started them")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    bases = [b for b in args.bases.split(",") if b]
    if args.child:
        _child(args.rounds, bases, args.sites)
        return
    trees: dict[str, Path | None] = {"this tree": None}
    if args.against:
        trees[args.against] = _source_of(args.against)
    got: dict[str, list[dict]] = {k: [] for k in trees}
    start = time.strftime("%H:%M:%S", time.gmtime())
    load0 = os.getloadavg()[0]
    for _ in range(args.repeat):
        for name, src in trees.items():
            got[name].append(_run(src, args.rounds, bases, args.sites))
    print(f"warm rounds on Spark local[2] (the tests' settings), {args.rounds} per base per process, "
          f"{args.repeat} process(es) per tree, alternating; {start}–{time.strftime('%H:%M:%S', time.gmtime())} UTC, "
          f"load {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n")
    print("| base | tree | jobs per round | wall (s, median) | Python CPU (s) | JVM CPU (s) | roster SHA-256 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for base in bases:
        for name in trees:
            runs = [r for g in got[name] for r in g["runs"][base]]
            jobs = sorted({r["jobs"] for r in runs})
            med = {m: statistics.median(r[m] for r in runs) for m in ("wall_s", "python_cpu_s", "jvm_cpu_s")}
            shas = sorted({r["roster_sha256"][:12] for r in runs})
            print(f"| {base} | {name} | {'/'.join(map(str, jobs))} | {med['wall_s']:.2f} | "
                  f"{med['python_cpu_s']:.2f} | {med['jvm_cpu_s']:.2f} | {', '.join(shas)} |")
    if args.sites:
        for name in trees:
            for base, sites in got[name][-1]["sites"].items():
                print(f"\njobs and the JVM's CPU seconds per call site, {base}, {name} (last warm round):")
                for site, (n, cpu) in sorted(sites.items(), key=lambda x: x[0].split(maxsplit=1)[1]):
                    if n or cpu >= 0.05:  # a query only parsed and analysed quickly: in the sum alone
                        print(f"  {n:3d}  {cpu:6.2f}  {site}")
                print(f"  {sum(v[0] for v in sites.values()):3d}  {sum(v[1] for v in sites.values()):6.2f}  in all")


if __name__ == "__main__":
    main()
