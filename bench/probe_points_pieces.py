"""What appending a round's contributions costs whole or in pieces: 1 M customers × 4 criteria
of ``round_points`` rows (raw and normalised lists, contributions derived: NULL) into a fresh
DuckDB file, as ``_insert_parts`` appends them (slices of 983,040 rows on two threads) or as a
round's saver appends them while the roster streams (``RoundSaver.start_points``: pieces of one
batch on one thread, the last on two). Process CPU and wall of the appends, then of the commit.

    python bench/probe_points_pieces.py                  # whole, 131072-row pieces, whole, pieces
    python bench/probe_points_pieces.py whole 65536      # any sequence of ways
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from xuanba.rounds import store

N, K = 1_000_000, 4


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    rng = np.random.default_rng(1)
    raw, points = np.round(rng.gamma(1.0, 100.0, (N, K)), 2), rng.uniform(0.0, 1.0, (N, K))
    for how in sys.argv[1:] or ["whole", "131072", "whole", "131072"]:
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "x.duckdb"))
            con.execute("SET write_buffer_row_group_count = 1")  # as a round stores (FLUSH_ROW_GROUPS)
            con.execute("CREATE TABLE round_points (round_id INTEGER, rank BIGINT, raw DOUBLE[], "
                        "normalised DOUBLE[], contribution DOUBLE[])")
            con.execute("BEGIN")
            c0, t0 = _cpu(), time.perf_counter()
            cuts = list(store._slices(N)) if how == "whole" else \
                [(a, min(a + int(how), N)) for a in range(0, N, int(how))]
            for a, b in cuts:
                con.execute(f"SET threads = {2 if how == 'whole' or b == N else 1}")
                store._points_rows(con, 1, np.arange(a + 1, b + 1), raw[a:b], points[a:b], None)
            c1, t1 = _cpu(), time.perf_counter()
            con.execute("COMMIT")
            print(f"{how}: append wall {t1 - t0:.2f} s, CPU {c1 - c0:.2f} s; commit wall "
                  f"{time.perf_counter() - t1:.2f} s, CPU {_cpu() - c1:.2f} s", flush=True)
            con.close()


if __name__ == "__main__":
    main()
