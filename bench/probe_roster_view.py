"""Probe: what a whole read and a page of the ``roster`` view cost by the view's form, on a
synthetic roster of ``N`` rows over two rounds whose ``gates_failed`` has ``LABELS`` distinct
labels (and a tier with NULL codes):

* ``old`` — schema version 5: each row indexes its round's list of labels (rows x labels);
* ``sub2`` — the list fetched by a scalar subquery, then indexed (still rows x labels once
  DuckDB decorrelates it);
* ``unnest`` — schema version 6 (``rounds.store._ROSTER_SELECT``): each code joined to its label.

Every form must read the same rows (checked). CPU of the process (all threads) and wall, twice.

    flock /tmp/xuanba-heavy.lock python bench/probe_roster_view.py 1000000 10
    flock /tmp/xuanba-heavy.lock python bench/probe_roster_view.py 100000 40000 old
"""

from __future__ import annotations

import sys
import time

import duckdb

VIEWS = {
    "old": "SELECT r.round_id, r.rank, r.customer_id, l.tier[r.tier::INTEGER + 1] AS tier, "
           "l.gates_failed[r.gates_failed::INTEGER + 1] AS gates_failed "
           "FROM roster_codes r JOIN roster_labels l ON l.round_id = r.round_id",
    "sub2": "SELECT r.round_id, r.rank, r.customer_id, "
            "(SELECT l.tier FROM roster_labels l WHERE l.round_id = r.round_id)[r.tier::INTEGER + 1] AS tier, "
            "(SELECT l.gates_failed FROM roster_labels l WHERE l.round_id = r.round_id)[r.gates_failed::INTEGER + 1] "
            "AS gates_failed FROM roster_codes r",
    "unnest": "SELECT r.round_id, r.rank, r.customer_id, t.w AS tier, g.w AS gates_failed FROM roster_codes r "
              "LEFT JOIN (SELECT round_id, unnest(tier) AS w, generate_subscripts(tier, 1) - 1 AS c "
              "FROM roster_labels) t ON t.round_id = r.round_id AND t.c = r.tier "
              "LEFT JOIN (SELECT round_id, unnest(gates_failed) AS w, generate_subscripts(gates_failed, 1) - 1 AS c "
              "FROM roster_labels) g ON g.round_id = r.round_id AND g.c = r.gates_failed",
}


def main(n: int, labels: int, skip: set[str]) -> None:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"CREATE TABLE roster_codes AS SELECT (1 + i % 2)::BIGINT AS round_id, i::BIGINT AS rank, "
                f"'c' || i AS customer_id, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END::SMALLINT AS tier, "
                f"(i % {labels})::INTEGER AS gates_failed FROM range({n}) t(i)")
    con.execute(f"CREATE TABLE roster_labels AS SELECT r::BIGINT AS round_id, ['a', 'b', NULL] AS tier, "
                f"list('g' || j || '_' || r) AS gates_failed FROM range({labels}) t(j), range(1, 3) s(r) GROUP BY r")
    forms = [k for k in VIEWS if k not in skip]
    for k in forms:
        con.execute(f"CREATE VIEW v_{k} AS {VIEWS[k]}")
    for _ in range(2):
        for k in forms:
            cpu, wall = time.process_time(), time.perf_counter()
            whole = con.execute(f"SELECT * FROM v_{k} ORDER BY rank").to_arrow_table()
            cpu_whole, wall_whole = time.process_time() - cpu, time.perf_counter() - wall
            cpu = time.process_time()
            page = con.execute(f"SELECT * FROM v_{k} WHERE round_id = 2 AND rank BETWEEN 500 AND 560").to_arrow_table()
            print(f"{k:7s} rows {n} labels {labels}: whole CPU {cpu_whole:.3f} s wall {wall_whole:.3f} s, "
                  f"page CPU {time.process_time() - cpu:.3f} s ({whole.num_rows} and {page.num_rows} rows)")
    for k in forms[1:]:
        agree = con.execute(f"SELECT count(*) FROM v_{forms[0]} o FULL JOIN v_{k} w USING (rank) "
                            "WHERE o.round_id IS NOT DISTINCT FROM w.round_id AND o.tier IS NOT DISTINCT FROM w.tier "
                            "AND o.gates_failed IS NOT DISTINCT FROM w.gates_failed").fetchone()[0]
        print(f"{k} reads as {forms[0]}: {agree == n} ({agree} of {n} rows)")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), set(sys.argv[3:]))
