"""Benchmark: what the page of a customer an engine round did not store costs (issue 16).

``/customers/C`` of a round that stored only its selection reads C's rank from the round's
``--roster-out`` roster (and, for a rep, C's owner from its fields) before saying "ranked R of N
but not selected"; before, it answered "not found" at once. This times that read
(:func:`xuanba.rounds.selection_only.unstored_customer`) on made-up ``roster.parquet`` and
``fields.parquet`` files of N customers in rank order, as an engine round writes them: a
manager's look-up, a rep's (with the owner check) and an id the files do not hold; and the check
that the file still holds the round's rows (:func:`xuanba.rounds.selection_only.holds_the_round`,
made once per version of the file, then kept), against a stored selection of 1,000.

    python bench/bench_unstored_customer.py                    # 100 k customers
    flock /tmp/xuanba-heavy.lock python bench/bench_unstored_customer.py --customers 1e6
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    """CPU seconds of this process, every thread (DuckDB's) included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(folder: Path, n: int) -> list[str]:
    """``roster.parquet`` and ``fields.parquet`` of ``n`` customers (ids in a shuffled order, 40
    owners); the ids of a customer near the end of the roster, and of no customer."""
    import duckdb

    with duckdb.connect() as con:
        con.execute(
            f"CREATE TABLE r AS SELECT 'customer ' || (i * 7919 % {n}) AS customer_id, i + 1 AS rank, "
            "random() * 100 AS score, CASE WHEN i < 1000 THEN 'A' ELSE '' END AS tier, i < 1000 AS selected, "
            f"'Rep ' || lpad(((i * 7919 % {n}) % 40)::VARCHAR, 2, '0') AS owner FROM range({n}) t(i)"
        )
        con.execute(
            f"COPY (SELECT * EXCLUDE owner FROM r ORDER BY rank) TO '{folder / 'roster.parquet'}'"
        )
        con.execute(
            f"COPY (SELECT customer_id, owner FROM r ORDER BY rank) TO '{folder / 'fields.parquet'}'"
        )
        cid, owner = con.execute(
            "SELECT customer_id, owner FROM r WHERE rank = ?", [n - 10]
        ).fetchone()
    return [cid, owner, "nobody at all"]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from xuanba.rounds.selection_only import rest_of_base, unstored_customer

    n = int(args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cid, owner, stranger = build(out, n)
        meta = {
            "stored_customers": "selected",
            "engine": "duckdb",
            "n_customers": n,
            "n_selected": 1000,
            "roster_out": str(out),
            "roster_places": {
                "roster": str(out / "roster.parquet"),
                "fields": str(out / "fields.parquet"),
            },
        }
        rest = rest_of_base(meta, 1)
        cases = {
            "manager, ranked customer": (cid, None),
            "rep, their own customer": (cid, owner),
            "rep, another rep's customer": (cid, "Rep 99"),
            "manager, no such customer": (stranger, None),
        }
        print(
            f"{n:,} customers, roster.parquet {(out / 'roster.parquet').stat().st_size / 1e6:.1f} MB, "
            f"{args.repeat} runs after one warm-up"
        )
        print("| look-up | median ms | CPU ms (median) | answer |")
        print("|---|---:|---:|---|")
        import duckdb

        from xuanba.rounds import selection_only

        with duckdb.connect() as con:  # the round's stored selection, as the workspace gives it
            stored = con.execute("SELECT customer_id, rank, score FROM read_parquet(?) WHERE selected",
                                 [str(out / "roster.parquet")]).to_arrow_table()

        def check() -> bool:
            selection_only._HELD.clear()  # as for a file not seen before
            return selection_only.holds_the_round(rest, lambda: stored)

        check()
        walls, cpus = [], []
        for _ in range(args.repeat):
            c0, t0 = _cpu(), time.perf_counter()
            held = check()
            walls.append(time.perf_counter() - t0)
            cpus.append(_cpu() - c0)
        print(f"| the file is the round's (once per file version) | {1e3 * statistics.median(walls):.1f} | "
              f"{1e3 * statistics.median(cpus):.1f} | {held} |")
        for name, (who, scope) in cases.items():
            # warm-up: the file's footer in the page cache
            unstored_customer(rest, who, "en", scope)
            walls, cpus = [], []
            for _ in range(args.repeat):
                c0, t0 = _cpu(), time.perf_counter()
                said = unstored_customer(rest, who, "en", scope)
                walls.append(time.perf_counter() - t0)
                cpus.append(_cpu() - c0)
            answer = "not found" if said is None else f"rank {said[1]}"
            print(
                f"| {name} | {1e3 * statistics.median(walls):.1f} | {1e3 * statistics.median(cpus):.1f} | "
                f"{answer} |"
            )


if __name__ == "__main__":
    main()
