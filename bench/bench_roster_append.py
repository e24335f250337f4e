"""Benchmark: what the roster's six low-cardinality text columns cost when a round appends its
roster to the workspace file (issue 16: the roster's append is on the 1 M round's critical path).

Plain DuckDB, no xuanba: a synthetic roster of N customers shaped like the starter round's (the
id as text, the six text columns with the starter round's values and shares, eight numbers) is
appended to a new file as ``rounds.store`` appends it (the workspace's 256 MiB storing limit,
DuckDB's threads, slices of eight row groups, Arrow batches of one row group, one transaction),
with the six text columns stored

* ``varchar`` — as text, as the workspace stores them (DuckDB compresses each string);
* ``codes`` — as small integers (``UTINYINT``), the labels kept elsewhere;
* ``enum`` — as ``ENUM`` columns fed Arrow dictionaries;
* ``no-fsst`` — as text, with DuckDB's FSST compression disabled for the append.
* ``dictionary`` — as text in columns declared ``USING COMPRESSION dictionary`` (no other
  method analysed).

Each mode runs ``--repeat`` times, alternating, a fresh file each time; it prints the append's
and the commit's wall and CPU seconds (least and median) and the file's size.

    flock /tmp/xuanba-heavy.lock python bench/bench_roster_append.py --customers 1e6 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import duckdb
import numpy as np
import pyarrow as pa

#: The six text columns of the starter round's roster (1 M customers): its values and their shares.
TEXT = {
    "tier": (["", "A"], [0.995, 0.005]),
    "quadrant": (["stars", "others", "rising", "at_risk"], [0.47, 0.324, 0.173, 0.033]),
    "gates_failed": (["", "profitable", "profitable; active", "active"], [0.493, 0.377, 0.109, 0.021]),
    "next_tier": (["A", ""], [0.995, 0.005]),
    "cheapest_criterion": (["", "future_value", "margin", "still_active", "revenue"],
                           [0.99575, 0.00167, 0.00092, 0.0009, 0.00076]),
    "cheapest_public_criterion": (["", "revenue"], [0.99777, 0.00223]),
}
MODES = ("varchar", "codes", "enum", "no-fsst", "dictionary")
GROUP = 122_880  # DuckDB's row group


def roster(n: int, mode: str, seed: int = 1) -> pa.Table:
    """The synthetic roster of ``n`` customers with the text columns as ``mode`` stores them."""
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {"customer_id": pa.array([f"{i:07d}" for i in rng.permutation(n)], pa.large_string())}
    for name, (labels, shares) in TEXT.items():
        codes = rng.choice(len(labels), size=n, p=shares)
        if mode == "codes":
            cols[name] = pa.array(codes.astype(np.uint8))
        elif mode == "enum":
            cols[name] = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(labels))
        else:
            cols[name] = pa.array(np.array(labels, dtype=object)[codes], pa.large_string())
    cols["rank"] = pa.array(np.arange(1, n + 1))
    for j in range(7):
        cols[f"x{j}"] = pa.array(rng.random(n))
    table = pa.table(cols)
    return pa.Table.from_batches(table.to_batches(max_chunksize=GROUP), schema=table.schema)


def ddl(mode: str) -> str:
    def text(name: str) -> str:
        if mode == "codes":
            return "UTINYINT"
        if mode == "enum":
            return "ENUM(" + ", ".join("'" + v + "'" for v in TEXT[name][0]) + ")"
        if mode == "dictionary":
            return "VARCHAR USING COMPRESSION dictionary"
        return "VARCHAR"

    cols = ", ".join(f"{name} {text(name)}" for name in TEXT)
    nums = ", ".join(f"x{j} DOUBLE" for j in range(7))
    return f"CREATE TABLE roster (round_id BIGINT, customer_id VARCHAR, {cols}, rank BIGINT, {nums})"


def run(n: int, mode: str, table: pa.Table) -> tuple[float, float, float, float, float]:
    """One append into a new file: (append wall, append CPU, commit wall, commit CPU, MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ws.duckdb")
        con = duckdb.connect(path)
        con.execute("SET memory_limit = '256MiB'")
        con.execute(ddl(mode))
        con.execute("CHECKPOINT")
        if mode == "no-fsst":
            con.execute("SET disabled_compression_methods = 'fsst'")
        w0, c0 = time.perf_counter(), time.process_time()
        con.execute("BEGIN")
        for start in range(0, n, 8 * GROUP):
            con.register("_xb_rows", table.slice(start, 8 * GROUP))
            con.execute("INSERT INTO roster SELECT 1, * FROM _xb_rows")
            con.unregister("_xb_rows")
        w1, c1 = time.perf_counter(), time.process_time()
        con.execute("COMMIT")
        w2, c2 = time.perf_counter(), time.process_time()
        con.close()
        return w1 - w0, c1 - c0, w2 - w1, c2 - c1, os.path.getsize(path) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    n, modes = int(args.customers), args.modes.split(",")
    tables = {mode: roster(n, mode) for mode in modes}
    got: dict[str, list[tuple[float, ...]]] = {mode: [] for mode in modes}
    load0 = os.getloadavg()[0]
    for _ in range(args.repeat):
        for mode in modes:
            got[mode].append(run(n, mode, tables[mode]))
    print(f"\n{n:,} rows, {args.repeat} runs each, alternating; load {load0:.1f} -> {os.getloadavg()[0]:.1f}\n")
    print("| text columns as | append CPU s, least / median | append wall s, median | commit CPU s, median | file MiB |")
    print("|---|---:|---:|---:|---:|")
    for mode in modes:
        rows = got[mode]
        cpu = [r[1] for r in rows]
        print(f"| {mode} | {min(cpu):.2f} / {statistics.median(cpu):.2f} | {statistics.median(r[0] for r in rows):.2f} "
              f"| {statistics.median(r[3] for r in rows):.3f} | {rows[0][4]:.1f} |")


if __name__ == "__main__":
    main()
