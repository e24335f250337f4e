"""Profile the scoring step alone: the fields of bench_round.py's round are gathered once (facts
and predictions, cached as a pickle in bench/out), then scored as the round scores them (the
starter standard), without storing, in a fresh process per tree:

    python bench/profile_scoring.py                        # 1 M customers
    python bench/profile_scoring.py --against main         # and the src/ of commit main, alternating
    python bench/profile_scoring.py --customers 1e5 --repeat 1

Per tree it prints the CPU seconds (the process's, so that a loaded machine changes them less
than wall time) of ``score_customers`` and of the round's whole scoring step (``_score_and_store``
with ``store=False``: scoring, the hashes, the summary), and the memory: the peak of the arrays
(tracemalloc) that ``score_customers`` allocates above what it is given, and the resident set's
rise over the step. The stored round is compared by bench_round.py; here the rosters of both
trees are compared too.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import _source_of, _workspace, bgnbd_data, rss  # noqa: E402


def _fields(n: int) -> Path:
    """The gathered fields (and notes) of the round at ``n`` customers, made once."""
    path = OUT / f"scoring_fields_{n}.pkl"
    if path.exists():
        return path
    from xuanba import Workspace
    from xuanba._dates import as_date
    from xuanba.rounds.run import gather_fields
    from xuanba.standard import load_standard, starter_standard

    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        ws_path = Path(tmp) / "ws.duckdb"
        _workspace(bgnbd_data(n), ws_path)
        with Workspace(ws_path, create=False) as ws:
            table, notes = gather_fields(ws, load_standard(starter_standard("en")), as_date(CUTOFF, "cutoff"),
                                         intervals=True)
    notes.pop("model_check", None)
    with open(path, "wb") as fh:
        pickle.dump((table, notes), fh)
    return path


def _child(path: str, roster_out: str) -> None:
    """One measurement in this process; prints JSON."""
    import gc
    import tracemalloc

    from xuanba import Workspace
    from xuanba._dates import as_date
    from xuanba.rounds import run
    from xuanba.standard import load_standard, starter_standard
    from xuanba.standard.score import score_customers

    with open(path, "rb") as fh:
        table, notes = pickle.load(fh)
    std = load_standard(starter_standard("en"))
    score_customers(table, std)  # imports and first touches, not timed
    gc.collect()
    c0 = time.process_time()
    score_customers(table, std)
    cpu_score = time.process_time() - c0
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    scored = score_customers(table, std)
    held, peak = (v - base for v in tracemalloc.get_traced_memory())
    tracemalloc.stop()
    scored.roster.to_pickle(roster_out)
    del scored
    gc.collect()
    with Workspace(":memory:") as ws:  # the account work reads the workspace: an empty one
        r0 = rss()[0]
        c0 = time.process_time()
        rnd = run._score_and_store(ws, std, as_date(CUTOFF, "cutoff"), "week", table, notes, None, False,
                                   lambda _m: None, None)
        cpu_step = time.process_time() - c0
        rise = rss()[0] - r0
    del rnd
    print(json.dumps({"cpu_score": cpu_score, "cpu_step": cpu_step, "arrays_peak_mib": peak / 2**20,
                      "arrays_held_mib": held / 2**20, "rss_rise_gib": rise}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--against", metavar="REV", help="also the src/ of this commit, alternating")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    path = _fields(int(args.customers))
    trees = {"this tree": BENCH.parent / "src"}
    if args.against:
        trees[f"commit {args.against}"] = _source_of(args.against)
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for i in range(args.repeat):
            for name, src in trees.items():
                env = {**os.environ, "PYTHONPATH": str(src)}
                out = subprocess.run([sys.executable, __file__, "--child", str(path), f"{tmp}/{i}-{len(runs[name])}"
                                      f"-{name.split()[-1]}.pkl"], capture_output=True, text=True, env=env, check=True)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"run {i + 1}, {name}: {runs[name][-1]}", file=sys.stderr, flush=True)
        import pandas as pd

        rosters = [pd.read_pickle(p) for p in sorted(Path(tmp).glob("*.pkl"))]
        same = all(r.equals(rosters[0]) for r in rosters)
    print(f"\n{int(args.customers):,} customers, median of {args.repeat}\n")
    print("| tree | score_customers CPU s | scoring step CPU s | arrays peak MiB | arrays held MiB | RSS rise GiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(f"| {name} | {med['cpu_score']:.2f} | {med['cpu_step']:.2f} | {med['arrays_peak_mib']:.0f} | "
              f"{med['arrays_held_mib']:.0f} | {med['rss_rise_gib']:.2f} |")
    print(f"\nrosters identical in every tree and run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
