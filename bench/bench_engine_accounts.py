"""Benchmark: the account page (``/accounts``) of a round run on an engine (issue 16).

Such a round stored only its selected customers; its account analyses (keep-warm, receivables,
promises) list customers of the whole base. The page now reads who the others are (name, owner)
from the round's ``--roster-out`` fields, after checking that the folder still holds the round's
rows, and draws the whale curve from every customer's profit there; before, it showed the
selection's names and curve only. This times :func:`xuanba.web.account_data.account_work` on a
stored engine round over N simulated customers (BG/NBD purchases, the demo's side tables for three
quarters of them: owners, interactions, promises), a manager's page and a rep's, the first view in
a fresh process (what the roster output costs: read once per stored round and file version) and
the next one (kept), each in a subprocess, CPU seconds of the process (DuckDB's threads included)
beside the wall.

    python bench/bench_engine_accounts.py                       # 100 k customers
    python bench/bench_engine_accounts.py --against main        # this tree and main's, alternating
    flock /tmp/xuanba-heavy.lock python bench/bench_engine_accounts.py --customers 1e6 --against main
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
OUT = BENCH / "out"
CUTOFF = "2025-12-31"
STANDARD = """
[standard]
name = "accounts bench"
version = "1"
[predictions]
model = "bgnbd"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 60
group = "value"
[[criteria]]
name = "future"
field = "clv_3y"
weight = 40
group = "potential"
[[tiers]]
name = "A"
quota = "5%"
[capacity]
max_accounts = {cap}
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(n: int) -> Path:
    """The workspace of an engine round over ``n`` customers with its roster output beside it
    (made once into bench/out)."""
    folder = OUT / f"engine-accounts-{n}"
    path = folder / "ws.duckdb"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    from xuanba import Workspace
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.ingest import ingest
    from xuanba.models.simulate import simulate_transactions
    from xuanba.rounds.engine import run_round_on_engine
    from xuanba.standard import load_standard

    tx = simulate_transactions("bgnbd", n, "2024-01-01", CUTOFF, seed=3)
    ids = sorted(tx["customer_id"].unique())
    side = make_side_tables(ids[: len(ids) * 3 // 4], seed=3, start="2024-06-01", end=CUTOFF,
                            orders=tx.groupby("customer_id").size().to_dict())
    it = side["interactions"]  # cheap contacts: a positive profit, so the whale curve is drawn
    side["interactions"] = it.assign(minutes=it["minutes"] * 0.02, cost=it["cost"] * 0.02)
    tmp = folder / "building.duckdb"
    with Workspace(tmp) as ws:
        for kind in ("customers", "interactions", "commitments", "contacts"):
            ingest(side[kind], ws, kind=kind)
    run_round_on_engine(tx, load_standard(STANDARD.format(cap=max(n // 20, 1))), CUTOFF, workspace=tmp,
                        roster_out=folder / "out", check_model=False, side_tables=tmp)
    tmp.rename(path)
    return path


def _child(path: str, owner: str) -> None:
    from xuanba.web.account_data import account_work
    from xuanba.workspace import Workspace

    who = None if owner == "-" else owner
    out = {}
    with Workspace(path, read_only=True) as ws:
        for step in ("first", "next"):
            c0, w0 = _cpu(), time.perf_counter()
            w = account_work(ws, 1, owner=who, lang="en")
            out[step] = {"wall": time.perf_counter() - w0, "cpu": _cpu() - c0}
        warm = next((s for s in w["sections"] if s["id"] == "accounts-keep-warm"), None)
        out["keep_warm_rows"] = len(warm["table"]["rows"]) if warm else 0
        out["whale_customers"] = (w["whale"] or {}).get("customers")
        out["note"] = w.get("selection_note")
    print(json.dumps(out))


def _source_of(rev: str) -> Path:
    """The ``src/`` of commit ``rev``, extracted once into bench/out (as bench_round.py does)."""
    sys.path.insert(0, str(BENCH))
    from bench_round import _source_of as source

    return source(rev)


def _call(path: Path, owner: str, src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, __file__, "--child", str(path), owner], capture_output=True, text=True,
                         env=env)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--against", metavar="REV", help="also time the page with the xuanba of commit REV")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    n = int(args.customers)
    path = build(n)
    here = BENCH.parent / "src"
    versions = [("this tree", here)] + ([(args.against, _source_of(args.against))] if args.against else [])
    from xuanba.rounds import load_round

    rep = str(load_round(path, 1, fields=("owner",)).fields["owner"].dropna().mode().iloc[0])
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for name, src in versions:
            for who in ("-", rep):
                runs.setdefault((name, who), []).append(_call(path, who, src))
    print(f"\n{n:,} customers; rep {rep!r}; medians of {args.repeat}\n")
    print("| version | page | first view s (CPU s) | next view s (CPU s) | keep-warm rows shown | whale over |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, who), got in runs.items():
        med = {k: {m: statistics.median(r[k][m] for r in got) for m in ("wall", "cpu")} for k in ("first", "next")}
        last = got[-1]
        print(f"| {name} | {'manager' if who == '-' else 'rep'} | {med['first']['wall']:.3f} ({med['first']['cpu']:.3f}) "
              f"| {med['next']['wall']:.3f} ({med['next']['cpu']:.3f}) | {last['keep_warm_rows']} "
              f"| {last['whale_customers']} |")


if __name__ == "__main__":
    main()
