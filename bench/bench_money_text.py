"""Benchmark: money read by the one reader (``xuanba.ingest.money.read_money``, ingest's SQL) over
N cells, as a round's money extra field is read (``checked_extra_fields``), per form of cell.

Each (tree, form) runs in a fresh subprocess: CPU seconds (``time.process_time``) and wall seconds
of the read, the process's peak RSS, and the sum of the numbers read (equal across trees where
both read the form; ``refused`` where a tree does not read it). ``--against REV`` runs the same
forms with the ``src/`` of commit REV, alternately with this tree, ``--repeat`` times; the medians
are printed.

    python bench/bench_money_text.py --against 4f85048 --repeat 3          # 1 M cells
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

#: name: (the cell of row i, as a function of a number v), or a number / object column.
FORMS = {
    "text 1.234,50 among ¥1.234,50 (decimal comma)": "comma_yen",
    "float64 numbers": "float",
    "objects holding floats": "object",
    "text 1234.5 (plain)": "{v:.1f}",
    "text ¥1,234.50": "¥{v:,.2f}",
    "text 1.234,50 (decimal comma)": "comma",
    "text １，２３４．５０ (full-width)": "wide",
    "text 1.2万": "wan",
    "text ' - ' (accounting zero) among plain": "dash",
}


def _cells(form: str, n: int):
    import numpy as np
    import pandas as pd

    v = np.round(np.random.default_rng(22).uniform(0, 90_000, n), 1)
    spec = FORMS[form]
    if spec == "float":
        return pd.Series(v)
    if spec == "object":
        return pd.Series(v.tolist(), dtype=object)
    if spec == "comma":
        return pd.Series([f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") for x in v], dtype=object)
    if spec == "comma_yen":
        return pd.Series([("¥" if i % 2 else "") + f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
                          for i, x in enumerate(v)], dtype=object)
    if spec == "wide":
        table = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
        return pd.Series([f"{x:,.2f}".translate(table) for x in v], dtype=object)
    if spec == "wan":
        return pd.Series([f"{x / 10_000:.5f}万" for x in v], dtype=object)
    if spec == "dash":
        return pd.Series([" - " if i % 100 == 0 else f"{x:.1f}" for i, x in enumerate(v)], dtype=object)
    return pd.Series([spec.format(v=x) for x in v], dtype=object)


def _child(form: str, n: int) -> None:
    import pandas as pd

    from bench_facts import peak_gib  # this process's own peak (not a parent's)
    from xuanba.errors import DataError
    from xuanba.rounds.extra_names import checked_extra_fields

    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "revenue_365d": _cells(form, n)})
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        got = checked_extra_fields(frame)["revenue_365d"]
        total = round(float(got.sum()), 2)
    except DataError:
        total = None
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    peak = peak_gib() * 1024
    print(json.dumps({"cpu": cpu, "wall": wall, "peak_mb": peak, "sum": total, "sql": _sql_cpu(frame.revenue_365d)}))


def _sql_cpu(cells) -> float | None:
    """CPU seconds (best of 3, one DuckDB thread) of ingest's own SQL reading the text ``cells`` as
    an amount (``load._number``, the column's decimal mark decided first): what ``xuanba ingest``
    pays per amount column; ``None`` for numbers."""
    import duckdb
    import pyarrow as pa

    from xuanba.ingest.load import _number, _text, decimal_mark

    if cells.dtype != object or not isinstance(cells.iloc[0], str):
        return None
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.register("_xb_raw", pa.table({"c": pa.array(cells.tolist(), type=pa.string()),
                                      "_row": pa.array(range(1, len(cells) + 1))}))
    mark = decimal_mark(con, "c")
    best = float("inf")
    for _ in range(3):
        cpu0 = time.process_time()
        con.execute(f"SELECT count({_number(_text('c'), 'DECIMAL(18,4)', mark)}) FROM _xb_raw").fetchall()
        best = min(best, time.process_time() - cpu0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=float, default=1e6)
    parser.add_argument("--against", metavar="REV", help="also with the src/ of this commit, alternately")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--forms", nargs="+", default=list(FORMS), help="the forms to measure (default: all)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(float(args.child[1])))
        return
    sources = {"this": BENCH.parent / "src"}
    if args.against:
        sys.path.insert(0, str(BENCH))
        from bench_round import _source_of

        sources[args.against] = _source_of(args.against)
    n = int(args.cells)
    print(f"{n:,} cells; medians of {args.repeat}: the extra field read, CPU s (wall s); ingest's SQL alone, "
          f"CPU s on one thread; peak RSS; sum read\n")
    print("| form | " + " | ".join(f"{s}: CPU s (wall) | {s}: SQL CPU s | {s}: peak MB | {s}: sum" for s in sources)
          + " |")
    print("| --- |" + " ---: | ---: | ---: | ---: |" * len(sources))
    for form in args.forms:
        runs: dict[str, list[dict]] = {s: [] for s in sources}
        for _ in range(args.repeat):
            for name, src in sources.items():  # alternately: the load falls on both alike
                out = subprocess.run([sys.executable, __file__, "--child", form, str(n)], capture_output=True,
                                     text=True, env={**os.environ, "PYTHONPATH": str(src)})
                if out.returncode:
                    sys.exit(out.stderr)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        cells = []
        for got in runs.values():
            med = {k: statistics.median(r[k] for r in got) for k in ("cpu", "wall", "peak_mb")}
            sql = [r["sql"] for r in got if r.get("sql") is not None]
            total = got[0]["sum"]
            cells += [f"{med['cpu']:.2f} ({med['wall']:.2f})", f"{statistics.median(sql):.3f}" if sql else "—",
                      f"{med['peak_mb']:.0f}", "refused" if total is None else f"{total:,.2f}"]
        print(f"| {form} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
