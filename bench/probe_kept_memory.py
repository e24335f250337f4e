"""Where the memory the facts step leaves behind is: the resident set after the facts, after the
facts frame is deleted, and after Arrow's pool is asked to give its freed pages back, beside what
Arrow's pool, DuckDB and the C library's malloc say they hold.

    python bench/probe_kept_memory.py --customers 1e6
    flock /tmp/xuanba-heavy.lock python bench/probe_kept_memory.py --customers 3e6

Uses bench_round.py's data (bench/out/round_bgnbd_N.parquet), loaded into a workspace by
another process so that this one's memory is the facts step's. Linux only (/proc, glibc's
``mallinfo2``).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_round import OUT, bgnbd_data, rss, workspace_apart  # noqa: E402


class _MallInfo2(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                 "fsmblks", "uordblks", "fordblks", "keepcost")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    args = parser.parse_args()
    import pyarrow as pa

    from xuanba import Workspace
    from xuanba.facts import customer_facts

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    data = bgnbd_data(int(args.customers))
    print("| moment | RSS GiB | Arrow pool allocated GiB | DuckDB in use GiB | malloc heap in use + mapped GiB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "ws.duckdb"
        workspace_apart(data, path)
        ws = Workspace(path, create=False)
        _ = ws.ibis

        def show(moment: str) -> None:
            duck = ws.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] / 2**30
            info = libc.mallinfo2()
            print(f"| {moment} | {rss()[0]:.2f} | {pa.total_allocated_bytes() / 2**30:.2f} | {duck:.2f} | "
                  f"{(info.uordblks + info.hblkhd) / 2**30:.2f} |", flush=True)

        show("workspace open")
        facts = customer_facts(ws, "2026-06-30")
        show(f"facts ({facts.memory_usage(deep=True).sum() / 2**30:.2f} GiB frame)")
        del facts
        gc.collect()
        time.sleep(1.5)  # DuckDB's allocator returns what it freed within a second
        show("frame deleted (+1.5 s)")
        with ws.memory_lowered(64 * 2**20):  # DuckDB evicts what it caches (the file's blocks) down to 64 MiB
            time.sleep(1.5)
        show("DuckDB's limit lowered to 64 MiB and set back (+1.5 s)")
        pa.default_memory_pool().release_unused()
        show(f"Arrow pool ({pa.default_memory_pool().backend_name}) released")
        libc.malloc_trim(0)
        show("malloc_trim(0)")
        ws.close()


if __name__ == "__main__":
    main()
