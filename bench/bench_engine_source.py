"""Benchmark: what reading the source by ingest's rules costs an engine round (DuckDB).

The engine round of bench_engine_features.py's ``named`` case (the starter standard with
``model = "bgnbd"``, bench_round.py's BG/NBD customers cached as Parquet in bench/out), run with
this tree's xuanba and with the one of commit ``--against REV`` (its ``src/`` extracted into
bench/out), alternating, each run in a fresh subprocess, so both are measured in one run on the
same machine state. The table gives the median wall time and CPU time (user + system of the
child) of ``run_round_on_engine`` and their ratios, and checks both rounds give the same roster.

    python bench/bench_engine_source.py --customers 1e5 --against main --repeat 3
    flock /tmp/xuanba-heavy.lock python bench/bench_engine_source.py --customers 1e6 --against main

``--forms`` also runs the same transactions as a ``.csv`` source: ``csv`` (amount and cost as
numbers: DuckDB's typed fast path) and ``csv-yen`` (every amount written ``¥1,234.50`` and every
cost ``1.2345万元``: read by ingest's SQL, what a text money column costs). A tree that refuses a
form (``csv-yen`` before money23) is said so. ``csv-qty`` is ``csv`` with a ``quantity`` column
(``1`` to ``5``, and ``-1`` on one line in 50: a return on every tree), which a CSV source reads as
text: what reading a text quantity's sign as ingest reads it costs (ingest25); ``csv-qty-dec``
the same with weights (``0.255`` to ``4.255``, ``-1.5`` one line in 50: no whole number, so every
cell is read by the full reader, edge27); ``csv-qty-sep`` with thousands separators as an ERP
exports them "as displayed" (``1,000`` to ``5,000``, ``-1,200.00`` one line in 50). ``csv-flag`` is
``csv`` with an ``is_return`` column of text that says no (``否``, ``no``, ``0``, ``N`` in turn: no
return, so the same roster): what reading a text return flag costs (alias26: its full-width forms).
``csv-spaces`` is ``csv`` with a line of spaces halfway down, below DuckDB's sniffer's sample: the
read meets it, and the source is read again as ingest reads a short row (its delimiter, the padding,
DuckDB's one-thread reader; split31), the line rejected as "missing customer id" (a tree before
that refuses the file). ``csv-spaces-end`` puts the line 99 % down: the first scan has read
nearly the whole file when it meets it (review31b).

    flock /tmp/xuanba-heavy.lock python bench/bench_engine_source.py --customers 1e6 --against 54f240f \
        --forms csv csv-yen --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import _source_of, bgnbd_data  # noqa: E402


def _child(parquet: str) -> None:
    from xuanba.rounds.engine import duckdb_source, run_round_on_engine
    from xuanba.standard import load_standard, starter_standard

    std = load_standard(starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'))
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    rnd = run_round_on_engine(duckdb_source(parquet), std, CUTOFF)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "roster_sha256": rnd.meta["roster_sha256"][:12],
                "rejected": (rnd.meta.get("source_rows") or {}).get("rejected"),
            }
        )
    )


def _source(parquet: Path, form: str) -> Path:
    """The transactions of ``parquet`` in the ``form`` of source, written once into bench/out."""
    if form == "parquet":
        return parquet
    out = parquet.with_name(f"{parquet.stem}_{form}.csv")
    if form in ("csv-spaces", "csv-spaces-end") and not out.exists():  # csv's file with a line of spaces
        data = _source(parquet, "csv").read_bytes()  # halfway down, or 99 % down (the first scan all but done)
        half = data.index(b"\n", len(data) * (99 if form == "csv-spaces-end" else 50) // 100) + 1
        out.write_bytes(data[:half] + b"   \n" + data[half:])
    if not out.exists():
        import duckdb

        con = duckdb.connect()
        money = (" REPLACE ('¥' || format('{:,.2f}', amount) AS amount, "
                 "format('{:.6f}', cost / 10000) || '万元' AS cost)" if form == "csv-yen" else "")
        # one line in 50 a return by its quantity (and its amount: what the workspace stores)
        qty = (", CASE WHEN hash(customer_id, ts) % 50 = 0 THEN '-1' ELSE CAST(1 + hash(customer_id, ts) % 5 AS "
               "VARCHAR) END AS quantity" if form == "csv-qty" else "")
        if form == "csv-qty-dec":  # weights: 0.25 to 4.75 (and -1.5 on one line in 50), never a whole number
            qty = (", CASE WHEN hash(customer_id, ts) % 50 = 0 THEN '-1.5' ELSE CAST(0.25 + hash(customer_id, ts) % 5 "
                   "AS VARCHAR) || '5' END AS quantity")
        if form == "csv-qty-sep":  # as an ERP exports them "as displayed": 1,000 to 5,000, -1,200.00 one in 50
            qty = (", CASE WHEN hash(customer_id, ts) % 50 = 0 THEN '-1,200.00' ELSE format('{:,}', "
                   "(1 + hash(customer_id, ts) % 5) * 1000) END AS quantity")
        flag = (", ['否', 'no', '0', 'N'][1 + CAST(hash(customer_id, ts) % 4 AS BIGINT)] AS is_return" if form == "csv-flag" else "")
        con.execute(f"COPY (SELECT *{money}{qty}{flag} FROM read_parquet(?)) TO '{out}' (HEADER)", [str(parquet)])
        con.close()
    return out


def _run(parquet: Path, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(parquet)], capture_output=True, text=True, env=env
    )
    if out.returncode:
        if "SourceError" in out.stderr or "is not a number" in out.stderr or "CSV Error" in out.stderr:
            return {"refused": True}
        sys.exit(
            f"the round ended with {out.returncode} ({src or 'this tree'}): {out.stderr[-2000:]}"
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--against", default="main", help="the commit to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--forms", nargs="+", default=["parquet"], choices=["parquet", "csv", "csv-yen", "csv-qty", "csv-qty-dec",
                                                                    "csv-qty-sep", "csv-flag", "csv-spaces",
                                                                    "csv-spaces-end"],
                    help="the sources to run (default parquet)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    parquet = bgnbd_data(int(args.customers))
    old = _source_of(args.against)
    trees = {"this tree": None, args.against: old}
    runs: dict[tuple[str, str], list[dict]] = {(f, k): [] for f in args.forms for k in trees}
    sources = {f: _source(parquet, f) for f in args.forms}
    for _ in range(args.repeat):
        for form in args.forms:  # alternately: the load falls on every tree and form alike
            for tree, src in trees.items():
                runs[form, tree].append(_run(sources[form], src))
                print(form, tree, runs[form, tree][-1], file=sys.stderr, flush=True)
    print(
        f"\n{int(args.customers):,} customers, DuckDB engine round, cutoff {CUTOFF}, "
        f"median of {args.repeat}, alternating; load {os.getloadavg()[0]:.2f}\n"
    )
    print("| source | tree | wall (s) | CPU (s) | CPU / this tree's first source |")
    print("| --- | --- | ---: | ---: | ---: |")
    base = None
    shas: dict[str, set] = {}
    for (form, tree), got in runs.items():
        if any(r.get("refused") for r in got):
            print(f"| {form} | {tree} | refused | refused | |")
            continue
        med = {m: statistics.median(r[m] for r in got) for m in ("wall_s", "cpu_s")}
        base = base or med["cpu_s"]
        shas.setdefault(form, set()).update(r["roster_sha256"] for r in got)
        print(f"| {form} | {tree} | {med['wall_s']:.2f} | {med['cpu_s']:.2f} | {med['cpu_s'] / base:.3f} |")
    every = set().union(*shas.values()) if shas else set()
    print(f"\nroster sha256 the same in every run of every source and tree: {len(every) == 1} "
          f"({', '.join(sorted(every))})")


if __name__ == "__main__":
    main()
