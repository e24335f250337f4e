"""Benchmark: the pieces of the saver's last appends at 1 M customers — the roster and the
contributions (``round_points``) — each alone, on plain DuckDB (issue 16: they are the 1 M
round's critical path after the scoring).

The round's own data: ``--capture`` runs one round (the starter standard, the bench data of
``bench_round.py``) and pickles what its saver is given (fields, roster, contribution parts) into
``bench/out/saver_<N>``; without a capture a synthetic round (``bench_store.synthetic_round``) is
used. Each case appends into a new workspace file (``rounds.store``'s tables, its 256 MiB storing
limit, DuckDB's threads as the round sets them), in one transaction, and times the piece and then
the commit, CPU of the whole process (DuckDB's threads included) and wall:

* ``roster`` — ``rounds.store._append`` of the roster as the round does it (Arrow made per slice);
* ``roster arrow`` — only making the Arrow slices (Python, no DuckDB);
* ``roster insert`` — only DuckDB's append, of Arrow slices made beforehand;
* ``roster one`` — DuckDB's append of the whole roster in one statement (made beforehand);
* ``points`` — ``rounds.store._insert_parts`` as the round does it;
* ``points arrow`` — only making its Arrow slices;
* ``points insert`` — only DuckDB's append, of Arrow slices made beforehand;
* ``points whole`` — the parts' Arrow made for all rows at once (no per-slice copy) and appended
  slice by slice (what ``_insert_parts`` does now);
* ``points columns`` — each criterion's column given to DuckDB as it is (no copy of an F-ordered
  matrix), the lists made by DuckDB (``[raw_1, raw_2, ...]``);
* ``points uncompressed`` — ``points insert`` with DuckDB's compression of the new row groups
  forced off (``force_compression``: a physical choice, the values read back are the same);
* ``points no-alp``, ``roster no-alp``, ``roster no-fsst`` — the append with DuckDB's ALP / FSST
  compression disabled (``disabled_compression_methods``; physical choices as above);
* ``points array`` — the lists as fixed-size ``DOUBLE[k]`` arrays (a schema change; measured only);
* ``points wide`` — ``3 × k`` DOUBLE columns instead of lists (a schema change; measured only);
* ``fields`` — ``rounds.store._insert_fields`` on one thread then its tail (the round's way);
* ``fields no-alp``, ``fields no-fsst``, ``fields no-dict``, ``fields no-strings``, ``fields no-alp-strings``,
  ``fields uncompressed`` — ``fields`` with DuckDB's ALP/ALPRD, FSST, dictionary, all three text methods, both,
  or every method it lets one turn off disabled (``disabled_compression_methods``: a physical choice, the values
  read back are the same); the table also gives each case's file size;
* ``roster dict`` — ``roster insert`` with the six low-cardinality texts as Arrow dictionaries
  (as a DuckDB round's saver is given them: ``standard.engine.roster_arrow``).

    flock /tmp/xuanba-heavy.lock python bench/bench_saver_append.py --capture            # once
    flock /tmp/xuanba-heavy.lock python bench/bench_saver_append.py --repeat 5
    python bench/bench_saver_append.py --customers 1e5 --repeat 3 --cases roster,points   # synthetic, quick
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

CASES = ("roster", "roster arrow", "roster insert", "roster one", "points", "points arrow", "points insert",
         "points whole", "points columns", "points no-alp", "roster no-fsst", "roster no-alp", "points uncompressed", "points array", "points wide", "fields",
         "roster dict", *(f"fields {k}" for k in ("no-alp", "no-fsst", "no-dict", "no-strings", "no-alp-strings",
                                                  "uncompressed")))

#: What each ``fields ...`` case turns off (DuckDB's ``disabled_compression_methods``).
FIELDS_OFF = {"no-alp": "alp,alprd", "no-fsst": "fsst,dict_fsst", "no-dict": "dictionary,dict_fsst",
              "no-strings": "fsst,dictionary,dict_fsst", "no-alp-strings": "alp,alprd,fsst,dictionary,dict_fsst",
              "uncompressed": "rle,dictionary,bitpacking,fsst,chimp,patas,alp,alprd,zstd,roaring,dict_fsst"}


def capture(n: int, into: Path) -> None:
    """Run one round of ``n`` customers and pickle its saver's fields, roster and parts into ``into``."""
    from bench_facts import CUTOFF
    from bench_round import bgnbd_data, workspace_apart
    from xuanba import Workspace
    from xuanba.rounds import run_round, store
    from xuanba.standard import load_standard, starter_standard

    into.mkdir(parents=True, exist_ok=True)
    fields_of, rows_of = store._insert_fields, store._insert_rows

    def fields(con: Any, rid: int, frame: Any, threads: Any = None) -> None:
        with open(into / "fields.pkl", "wb") as fh:
            pickle.dump(frame, fh, protocol=5)
        fields_of(con, rid, frame, threads)

    def rows(con: Any, rid: int, roster: Any, parts: Any, threads: Any = None) -> None:
        with open(into / "rows.pkl", "wb") as fh:
            pickle.dump((roster, parts), fh, protocol=5)
        rows_of(con, rid, roster, parts, threads)

    roster_of, contributions_of = store._insert_roster, store._insert_contributions
    got: dict[str, Any] = {}

    def roster(con: Any, rid: int, table: Any, threads: Any = None) -> None:  # a DuckDB round's, as Arrow
        got["roster"] = table
        roster_of(con, rid, table, threads)

    def contributions(con: Any, rid: int, frame: Any, parts: Any) -> None:
        with open(into / "rows.pkl", "wb") as fh:
            pickle.dump((got.get("roster", frame), parts), fh, protocol=5)
        contributions_of(con, rid, frame, parts)

    store._insert_fields, store._insert_rows = fields, rows
    store._insert_roster, store._insert_contributions = roster, contributions
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "ws.duckdb"
        workspace_apart(bgnbd_data(n), path)
        ws = Workspace(path, create=False)
        run_round(ws, load_standard(starter_standard("en")), CUTOFF, scoring_engine="duckdb")
        ws.close()


def load(n: int) -> tuple[Any, Any, Any]:
    """(fields, roster, parts) of the captured round of ``n`` customers, else a synthetic one."""
    import pandas as pd

    src = OUT / f"saver_{n}"
    if (src / "rows.pkl").exists():
        with open(src / "fields.pkl", "rb") as fh:
            fields = pickle.load(fh)
        with open(src / "rows.pkl", "rb") as fh:
            roster, parts = pickle.load(fh)
        if not isinstance(roster, pd.DataFrame):  # the Arrow roster a DuckDB round hands its saver
            roster = roster.to_pandas()
        return fields, roster, parts
    from bench_store import synthetic_round

    print("no capture: a synthetic round", file=sys.stderr)
    import numpy as np

    rnd = synthetic_round(n)
    parts = rnd.__dict__["_contributions"]
    parts.raw, parts.normalised = np.asfortranarray(parts.raw), np.asfortranarray(parts.normalised)  # as the engine's
    return rnd.fields, rnd.roster, parts


def _points_arrow(parts: Any, start: int, stop: int, k: int) -> Any:
    import numpy as np
    import pyarrow as pa

    offsets = pa.array(np.arange(0, (stop - start) * k + 1, k, dtype=np.int32))
    cols: dict[str, Any] = {"rank": pa.array(np.arange(start + 1, stop + 1, dtype=np.int64))}
    for name in ("raw", "normalised", "contribution"):
        values = pa.array(np.ascontiguousarray(getattr(parts, name)[start:stop]).ravel(), type=pa.float64(),
                          from_pandas=True)
        cols[name] = pa.ListArray.from_arrays(offsets, values)
    return pa.table(cols)


def _points_whole(parts: Any, k: int, kind: str = "list") -> Any:
    """The points' Arrow table for every row at once: each matrix flattened once (no copy when it
    is C-ordered), lists (or fixed-size lists, or one column per criterion) over it."""
    import numpy as np
    import pyarrow as pa

    n = len(parts.customer_id)
    cols: dict[str, Any] = {"rank": pa.array(np.arange(1, n + 1, dtype=np.int64))}
    for name in ("raw", "normalised", "contribution"):
        matrix = getattr(parts, name)
        if kind == "wide":
            for j in range(k):
                cols[f"{name}_{j}"] = pa.array(np.ascontiguousarray(matrix[:, j]), type=pa.float64(), from_pandas=True)
            continue
        values = pa.array(np.ascontiguousarray(matrix).ravel(), type=pa.float64(), from_pandas=True)
        if kind == "array":
            cols[name] = pa.FixedSizeListArray.from_arrays(values, k)
        else:
            cols[name] = pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), values)
    return pa.table(cols)


def _insert_slices(con: Any, table: Any, insert: str) -> None:
    from xuanba.rounds.store import _batched, _slices

    for start, stop in _slices(table.num_rows):
        con.register("_xb_rows", _batched(table.slice(start, stop - start)))
        con.execute(insert)
        con.unregister("_xb_rows")


def run(case: str, fields: Any, roster: Any, parts: Any, workdir: Path,
        n_threads: int | None = None, after_fields: bool = False) -> tuple[float, float, float, float, int]:
    """One case in a new file: (piece wall, piece CPU, commit wall, commit CPU, the file's bytes)."""
    import duckdb

    from xuanba.rounds import store
    from xuanba.standard.score import ROSTER_COLUMNS

    k, n = len(parts.criteria), len(roster)
    if hasattr(store, "COMPRESSION_OFF"):  # DuckDB's own compression unless the case says otherwise
        store.COMPRESSION_OFF = {}
    path = workdir / "case.duckdb"
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    if n_threads:
        con.execute(f"SET threads = {int(n_threads)}")
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    store._ddl(con)
    if case == "points array":
        con.execute("DROP VIEW contributions")
        con.execute(f"CREATE OR REPLACE TABLE round_points (round_id BIGINT, rank BIGINT, raw DOUBLE[{k}], "
                    f"normalised DOUBLE[{k}], contribution DOUBLE[{k}])")
    if case == "points wide":
        con.execute("DROP VIEW contributions")
        cols = ", ".join(f"{m}_{j} DOUBLE" for m in ("raw", "normalised", "contribution") for j in range(k))
        con.execute(f"CREATE OR REPLACE TABLE round_points (round_id BIGINT, rank BIGINT, {cols})")
    con.execute("CHECKPOINT")
    con.execute(f"SET memory_limit = '{store.STORE_MEMORY // 2**20}MiB'")
    frame = roster[list(ROSTER_COLUMNS)]
    insert_roster = f"INSERT INTO roster SELECT 1, {', '.join(ROSTER_COLUMNS)} FROM _xb_rows"
    insert_points = "INSERT INTO round_points SELECT 1, * FROM _xb_rows"
    made: Any = None
    import pyarrow as pa

    if case in ("roster insert", "roster one"):
        made = [store._arrow(frame.iloc[a:b]) for a, b in store._slices(n)]
    elif case in ("points insert", "points uncompressed", "points no-alp"):
        made = [_points_arrow(parts, a, b, k) for a, b in store._slices(n)]
    elif case in ("roster no-fsst", "roster no-alp"):
        made = [store._arrow(frame.iloc[a:b]) for a, b in store._slices(n)]
    elif case == "roster dict":
        import pyarrow.compute as pc

        made = []
        for a, b in store._slices(n):
            t = store._arrow(frame.iloc[a:b])
            for i, name in enumerate(t.column_names):
                if name != "customer_id" and t.schema.field(name).type in (pa.string(), pa.large_string()):
                    t = t.set_column(i, name, pc.dictionary_encode(t.column(name)))
            made.append(t)
    elif case in ("points array", "points wide"):
        made = _points_whole(parts, k, case.split()[1])
    body: Callable[[], Any]
    if case == "roster":
        def body() -> None:
            store._append(con, frame, insert_roster)
    elif case == "roster arrow":
        def body() -> None:
            for a, b in store._slices(n):
                store._arrow(frame.iloc[a:b])
    elif case in ("roster insert", "roster dict"):
        def body() -> None:
            for table in made:
                con.register("_xb_rows", table)
                con.execute(insert_roster)
                con.unregister("_xb_rows")
    elif case == "roster one":
        import pyarrow as pa

        whole = store._batched(pa.concat_tables(made))

        def body() -> None:
            con.register("_xb_rows", whole)
            con.execute(insert_roster)
            con.unregister("_xb_rows")
    elif case == "points":
        import numpy as np

        def body() -> None:
            store._insert_parts(con, 1, parts, np.arange(1, n + 1))
    elif case == "points arrow":
        def body() -> None:
            for a, b in store._slices(n):
                _points_arrow(parts, a, b, k)
    elif case in ("roster no-fsst", "roster no-alp"):
        def body() -> None:
            con.execute(f"SET disabled_compression_methods = '{'fsst' if case.endswith('fsst') else 'alp,alprd'}'")
            for table in made:
                con.register("_xb_rows", table)
                con.execute(insert_roster)
                con.unregister("_xb_rows")
    elif case in ("points insert", "points uncompressed", "points no-alp"):
        def body() -> None:
            if case == "points uncompressed":
                con.execute("SET force_compression = 'uncompressed'")
            if case == "points no-alp":
                con.execute("SET disabled_compression_methods = 'alp,alprd'")
            for table in made:
                con.register("_xb_rows", store._batched(table))
                con.execute(insert_points)
                con.unregister("_xb_rows")
    elif case == "points whole":
        def body() -> None:
            _insert_slices(con, _points_whole(parts, k), insert_points)
    elif case in ("points array", "points wide"):
        def body() -> None:
            _insert_slices(con, made, insert_points)
    elif case == "points columns":
        lists = ", ".join("[" + ", ".join(f"{m}_{j}" for j in range(k)) + "]"
                          for m in ("raw", "normalised", "contribution"))

        def body() -> None:
            _insert_slices(con, _points_whole(parts, k, "wide"), f"INSERT INTO round_points SELECT 1, rank, {lists} "
                           "FROM _xb_rows")
    elif case == "fields" or case.startswith("fields "):
        tool = store._Threads(con, threads)
        off = FIELDS_OFF[case.split()[1]] if " " in case else None

        def body() -> None:
            if off:  # kept to the commit, as the whole table is then written with it
                con.execute(f"SET disabled_compression_methods = '{off}'")
            tool.few()
            store._insert_fields(con, 1, fields, tool)
    else:
        raise SystemExit(f"no case {case!r}")
    con.execute("BEGIN")
    if after_fields and case != "fields":  # the round's fields first, in the transaction (not timed)
        tool = store._Threads(con, threads)
        tool.few()
        store._insert_fields(con, 1, fields, tool)
        tool.all()
    w0, c0 = time.perf_counter(), time.process_time()
    body()
    w1, c1 = time.perf_counter(), time.process_time()
    con.execute("COMMIT")
    w2, c2 = time.perf_counter(), time.process_time()
    con.close()
    return w1 - w0, c1 - c0, w2 - w1, c2 - c1, sum(p.stat().st_size for p in (path, Path(str(path) + ".wal"))
                                                   if p.exists())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", default=",".join(c for c in CASES if not c.startswith("fields")))
    parser.add_argument("--threads", type=int, help="DuckDB's threads (default: its own, as the workspace)")
    parser.add_argument("--after-fields", action="store_true",
                        help="append the round's fields first in each case's transaction (not timed), as a round does")
    parser.add_argument("--capture", action="store_true", help="run a round and keep its saver's data, then stop")
    args = parser.parse_args()
    n = int(args.customers)
    if args.capture:
        capture(n, OUT / f"saver_{n}")
        return
    cases = args.cases.split(",")
    fields, roster, parts = load(n)
    got: dict[str, list[tuple[float, ...]]] = {c: [] for c in cases}
    load0, t0 = os.getloadavg()[0], time.strftime("%H:%M:%S", time.gmtime())
    workdir = Path(tempfile.mkdtemp(dir=OUT))
    try:
        for _ in range(args.repeat):
            for case in cases:
                got[case].append(run(case, fields, roster, parts, workdir, args.threads, args.after_fields))
    finally:
        shutil.rmtree(workdir)
    print(f"\n{n:,} customers, {len(parts.criteria)} criteria, {args.repeat} runs each alternating, "
          f"{t0}-{time.strftime('%H:%M:%S', time.gmtime())} UTC, DuckDB threads {args.threads or 'default'}, {'after the fields, ' if args.after_fields else ''}load {load0:.1f} -> {os.getloadavg()[0]:.1f}\n")
    print("| case | CPU s, least / median | wall s, least / median | commit CPU s, median | commit wall s, median "
          "| file MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for case in cases:
        rows = got[case]
        cpu, wall = [r[1] for r in rows], [r[0] for r in rows]
        print(f"| {case} | {min(cpu):.2f} / {statistics.median(cpu):.2f} | {min(wall):.2f} / {statistics.median(wall):.2f} "
              f"| {statistics.median(r[3] for r in rows):.3f} | {statistics.median(r[2] for r in rows):.3f} "
              f"| {statistics.median(r[4] for r in rows) / 2**20:.1f} |")


if __name__ == "__main__":
    main()
