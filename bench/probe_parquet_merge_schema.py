"""Probe: what ``mergeSchema`` costs a Spark round's Parquet ``--source`` (spark30 turned it on for
every Parquet source, so that a later part's extra column is read), against the same read without
it, in one Spark session (local[2]), alternating, each measure repeated (ratios, not seconds: the
machine is shared); and the cheaper check beside it: every part's footer read with pyarrow (the
files Spark lists, ``inputFiles()``), merged only where the parts' schemas differ.

Lakes written once under ``--out`` (synthetic transactions: customer_id, ts, amount, cost):
``small<N>`` N parts of ``--small-rows`` rows each, ``large<N>`` N parts of ``--large-rows`` rows;
each also with its last part holding one column more (``note``), which only a merge reads. For
each lake, median seconds of:

- ``schema``: ``spark.read.parquet(lake).schema`` (what ``spark_source`` does: it lists the files
  and reads the footer of one part, or of every part in a Spark job with ``mergeSchema``);
- ``scan``: that frame's ``count()`` and ``sum(amount)`` (the data read once);
- ``footers``: the cheaper check: Spark's file list without the merge, each part's footer read
  with pyarrow, their schemas compared (and the merge then only where they differ).

    flock /tmp/xuanba-spark.lock flock /tmp/xuanba-heavy.lock python bench/probe_parquet_merge_schema.py \\
        --small 200 1000 --large 4 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _write_lake(folder: Path, parts: int, rows: int, extra_last: bool, seed: int = 7) -> Path:
    """``parts`` Parquet files of ``rows`` transactions each in ``folder`` (written once); with
    ``extra_last`` the last part holds a ``note`` column the others lack."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = folder / "_done"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    for i in range(parts):
        ids = rng.integers(0, max(rows * parts // 3, 1), rows)
        table = pa.table({
            "customer_id": pa.array([f"c{x:08d}" for x in ids]),
            "ts": pa.array(start + rng.integers(0, 700 * 86_400_000_000, rows).astype("timedelta64[us]")),
            "amount": pa.array(np.round(rng.gamma(2.0, 20.0, rows), 2)),
            "cost": pa.array(np.round(rng.gamma(2.0, 14.0, rows), 2)),
        })
        if extra_last and i == parts - 1:
            table = table.append_column("note", pa.array(["n"] * rows))
        pq.write_table(table, folder / f"part-{i:05d}.parquet")
    done.touch()
    return folder


def _schema(session, lake: Path, merge: bool):
    return session.read.option("mergeSchema", str(merge).lower()).parquet(str(lake))


def _footers(session, lake: Path) -> tuple[bool, int]:
    """The cheaper check: (whether the parts' schemas differ, how many parts), by the files Spark
    lists for the read without the merge and each one's footer read with pyarrow."""
    from urllib.parse import unquote, urlparse

    import pyarrow.parquet as pq

    frame = _schema(session, lake, False)
    files = [unquote(urlparse(f).path) for f in frame.inputFiles()]
    first = pq.read_schema(files[0])
    differ = any(not pq.read_schema(f).equals(first, check_metadata=False) for f in files[1:])
    return differ, len(files)


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, nargs="*", default=[200, 1000], help="lakes of this many small parts")
    ap.add_argument("--small-rows", type=int, default=2_000)
    ap.add_argument("--large", type=int, nargs="*", default=[4], help="lakes of this many large parts")
    ap.add_argument("--large-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(BENCH / "out" / "merge_schema"))
    args = ap.parse_args()

    from xuanba.rounds.spark import spark_backend

    out = Path(args.out)
    lakes = []
    for parts in args.small:
        for extra in (False, True):
            lakes.append(_write_lake(out / f"small{parts}{'_extra' if extra else ''}", parts, args.small_rows, extra))
    for parts in args.large:
        for extra in (False, True):
            lakes.append(_write_lake(out / f"large{parts}{'_extra' if extra else ''}", parts, args.large_rows, extra))
    session = spark_backend({"spark.master": "local[2]", "spark.driver.memory": "1g"})._session
    print(f"load {os.getloadavg()[0]:.1f}; Spark {session.version}; repeat {args.repeat}")
    results = {}
    for lake in lakes:
        _schema(session, lake, True).count()  # warm: the files in the page cache, the JVM's code
        times: dict[str, list[float]] = {k: [] for k in ("schema", "schema_merge", "scan", "scan_merge", "footers")}
        for r in range(args.repeat):
            order = (False, True) if r % 2 == 0 else (True, False)
            for merge in order:
                key = "_merge" if merge else ""
                t, frame = _timed(lambda m=merge, d=lake: _schema(session, d, m))
                times["schema" + key].append(t)
                t, _ = _timed(lambda f=frame: f.selectExpr("count(*)", "sum(amount)").collect())
                times["scan" + key].append(t)
            t, (differ, parts) = _timed(lambda d=lake: _footers(session, d))
            times["footers"].append(t)
        med = {k: statistics.median(v) for k, v in times.items()}
        columns = {m: len(_schema(session, lake, m).columns) for m in (False, True)}
        results[lake.name] = {**{k: round(v, 4) for k, v in med.items()}, "parts": parts, "differ": differ,
                              "columns": columns}
        print(f"{lake.name:>16}: {parts:5d} parts, schemas differ {differ!s:5}, columns {columns[False]} / "
              f"{columns[True]} (merged) | schema {med['schema']:.3f} s, merged {med['schema_merge']:.3f} s "
              f"({med['schema_merge'] / med['schema']:.1f}x) | schema + scan {med['schema'] + med['scan']:.3f} s, "
              f"merged {med['schema_merge'] + med['scan_merge']:.3f} s "
              f"({(med['schema_merge'] + med['scan_merge']) / (med['schema'] + med['scan']):.2f}x) | "
              f"footers by pyarrow {med['footers']:.3f} s")
    print(f"load {os.getloadavg()[0]:.1f}")
    print(json.dumps(results))
    session.stop()


if __name__ == "__main__":
    main()
