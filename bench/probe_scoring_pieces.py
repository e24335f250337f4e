"""Probe: the standard applied on DuckDB alone (``score_in_engine``) to a round's own fields, each
engine call timed in CPU of the whole process (DuckDB's threads included), with no saver beside it.

The fields are those a 1 M round scores (the starter standard on bench_round.py's data, read once by
``gather_fields`` and cached as Parquet in bench/out). Each repeat scores them in this process with
DuckDB on each of ``--threads`` (alternating), and lists the calls: the figures' one-row queries
(``run``), the kept tables (``keep``), the roster's query read whole (``stream``) and its placing by
rank (``by_rank``). ``--explain`` prints DuckDB's ``EXPLAIN ANALYZE`` of the kept ranked table and
of the roster's query once.

    flock /tmp/xuanba-heavy.lock python bench/probe_scoring_pieces.py --repeat 3
    flock /tmp/xuanba-heavy.lock python bench/probe_scoring_pieces.py --threads 2,1 --repeat 3
    python bench/probe_scoring_pieces.py --customers 1e5 --threads 2,1 --explain
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import bgnbd_data, workspace_apart  # noqa: E402


def round_fields(n: int) -> Path:
    """The fields a round of ``n`` customers scores, cached as Parquet in bench/out."""
    path = OUT / f"round_fields_{n}.parquet"
    if not path.exists():
        from xuanba import Workspace
        from xuanba.rounds.run import gather_fields
        from xuanba.standard import load_standard, starter_standard

        std = load_standard(starter_standard("en"))
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            ws_path = Path(tmp) / "ws.duckdb"
            workspace_apart(bgnbd_data(n), ws_path)
            with Workspace(ws_path, create=False) as ws:
                table, _ = gather_fields(ws, std, dt.date.fromisoformat(CUTOFF), intervals=True, checked=True)
        table.to_parquet(path)
    return path


def _timed(calls: list[tuple[str, float, float]]) -> None:
    """Wrap the engine's calls so that each notes its wall and process CPU in ``calls``."""
    import pyarrow as pa

    import xuanba.standard.engine as eng
    from xuanba.standard import engine_cache as ec

    def wrap(module: Any, name: str) -> None:
        orig = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            w0, c0 = time.perf_counter(), time.process_time()
            out = orig(*args, **kwargs)
            if name == "stream":  # read here, so that the query's time is the stream's
                whole = out.read_all()
                out = pa.RecordBatchReader.from_batches(whole.schema, whole.to_batches())
            calls.append((name, time.perf_counter() - w0, time.process_time() - c0))
            return out

        setattr(module, name, timed)

    for name in ("run", "keep", "stream"):
        wrap(ec, name)
    wrap(eng, "by_rank")


def _explain() -> None:
    """Print EXPLAIN ANALYZE of the kept ranked table and of the roster's query (next scoring)."""
    import xuanba.standard.engine as eng
    from xuanba.standard import engine_cache as ec

    def show(expr: Any, backend: Any) -> None:
        with eng.unfused():
            q = ec._compiled(backend, expr)
        ec._set_variables(backend, q.variables)
        for row in backend.con.sql("EXPLAIN ANALYZE " + q.sql).fetchall():
            print(row[-1])

    stream, keep = ec.stream, ec.keep

    def explained_stream(expr: Any, backend: Any = None, batch_rows: int | None = None) -> Any:
        show(expr, backend if backend is not None else expr._find_backend(use_default=True))
        ec.stream = stream  # once
        return stream(expr, backend, batch_rows)

    def explained_keep(expr: Any, name: str, *, table: bool = False) -> Any:
        if name == "_xuanba_kept2":
            show(expr, ec.active().backend)
            ec.keep = keep  # once
        return keep(expr, name, table=table)

    ec.stream, ec.keep = explained_stream, explained_keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", default="", help="DuckDB threads of the engine, e.g. 2,1 (default: as set)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the two big queries once")
    args = parser.parse_args()
    import pandas as pd

    import xuanba.standard.engine as eng
    from xuanba.standard import load_standard, starter_standard

    fields = pd.read_parquet(round_fields(int(args.customers)))
    std = load_standard(starter_standard("en"))
    if args.explain:
        _explain()
    eng.score_in_engine(fields, std)  # compiled once, as a round after the first would find it
    calls: list[tuple[str, float, float]] = []
    _timed(calls)
    con = eng._LOCAL[0].con
    threads = [int(x) for x in args.threads.split(",") if x] or [None]
    for i in range(args.repeat):
        for th in threads:
            if th is not None:
                con.execute(f"SET threads = {th}")
            calls.clear()
            w0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
            eng.score_in_engine(fields, std)
            w, c, m = time.perf_counter() - w0, time.process_time() - c0, time.thread_time() - m0
            print(f"run {i + 1}, threads {th or 'as set'}: wall {w:.2f} s, CPU {c:.2f} s (main thread {m:.2f} s)")
            for name, cw, cc in calls:
                print(f"    {name:8s} wall {cw:.3f} s, CPU {cc:.3f} s")


if __name__ == "__main__":
    main()
