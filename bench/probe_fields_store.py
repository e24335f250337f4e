"""Probe: what storing a 1 M round's per-customer fields costs DuckDB, column kind by kind.

Runs one round over bench_round.py's data (1 M customers unless ``--customers``), copies its stored
``round_fields`` to Parquet, then appends those columns, one kind at a time, into a fresh DuckDB
file on one thread as the round's saver does (a transaction, an ``INSERT ... SELECT`` over Arrow),
and prints wall and CPU of each append; text columns also as Arrow dictionary, large-string and
string-view arrays, to see whether the input's form matters.

    python bench/probe_fields_store.py                 # 1 M customers
    python bench/probe_fields_store.py --customers 1e5
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import bgnbd_data, workspace_apart  # noqa: E402


def _append(table, threads: int = 1) -> tuple[float, float]:  # noqa: ANN001
    """Wall and CPU seconds of appending ``table`` (Arrow) into a new DuckDB file's table."""
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "t.duckdb"))
        con.execute(f"SET threads = {threads}")
        con.register("_fields", table)
        con.execute("CREATE TABLE x AS SELECT * FROM _fields LIMIT 0")
        c0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO x SELECT * FROM _fields")
        con.execute("COMMIT")
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter() - w0
        con.close()
    return wall, (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)


def main() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.standard import load_standard, starter_standard

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    n = int(parser.parse_args().customers)
    with tempfile.TemporaryDirectory() as tmp:
        path, fields = Path(tmp) / "ws.duckdb", Path(tmp) / "fields.parquet"
        workspace_apart(bgnbd_data(n), path)
        with Workspace(path, create=False) as ws:
            run_round(ws, load_standard(starter_standard("en")), CUTOFF)
            ws.con.execute(f"COPY (SELECT * EXCLUDE (round_id) FROM round_fields) TO '{fields}'")
        table = pq.read_table(fields)
    kinds: dict[str, list[str]] = {}
    for field in table.schema:
        kind = "the id" if field.name == "customer_id" else str(field.type)
        kinds.setdefault(kind, []).append(field.name)
    rows = [("every column, 1 thread", len(table.column_names), *_append(table)),
            ("every column, 2 threads", len(table.column_names), *_append(table, 2))]
    rows += [(kind, len(cols), *_append(table.select(cols))) for kind, cols in kinds.items()]
    texts = [c for c in kinds.get("string", [])]
    if texts:
        for form, make in (("dictionary", pc.dictionary_encode), ("large string", lambda a: a.cast(pa.large_string())),
                           ("string view", lambda a: a.cast(pa.string_view()))):
            rows.append((f"string as {form}", len(texts), *_append(pa.table({c: make(table[c]) for c in texts}))))
    print(f"\n{n:,} customers, DuckDB appends of the round's fields (load {os.getloadavg()[0]:.2f})\n")
    print("| columns | how many | wall s | CPU s |\n|---|---:|---:|---:|")
    for name, count, wall, cpu in rows:
        print(f"| {name} | {count} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
