"""Benchmark: a small round's fixed cost, and a replay of monthly cutoffs, on the CDNOW sample.

At 2,357 customers a round is mostly fixed cost (building and compiling queries, fitting): this
times ``run_round`` on fresh workspace files of the sample in one process (the first round
compiles, the later ones are warm) and ``replay_rounds`` over monthly cutoffs on another, in
CPU (``time.process_time``) and wall, with the CPU of their facts steps (``facts_and_holdout``).

    python bench/bench_small_round.py                        # this tree, 2 runs
    python bench/bench_small_round.py --against main         # and main's src/, alternating

With ``--against``, every table the replay stored is compared between the two trees, column by
column and exactly (the rounds' creation times aside).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH.parent / "tests" / "data" / "cdnow_sample.parquet"
CUTOFF, REPLAY = "1997-09-30", ("1997-09-30", "1998-04-30")


def _child(rounds: int, dump: Path | None) -> dict:
    import pandas as pd

    import xuanba
    import xuanba.facts
    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.rounds.replay import replay_rounds
    from xuanba.standard import starter_standard

    facts_cpu = [0.0]
    real = xuanba.facts.facts_and_holdout

    def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            facts_cpu[0] += time.process_time() - start

    xuanba.facts.facts_and_holdout = timed  # the round imports it from the package when it runs
    tx = pd.read_parquet(DATA)[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})
    folder = Path(tempfile.mkdtemp())

    def workspace(name: str) -> Path:
        path = folder / f"{name}.duckdb"
        with Workspace(path) as ws, ws.transaction() as con:
            con.register("_frame", tx)
            con.execute('CREATE TABLE "transactions" AS SELECT * FROM _frame')
            con.unregister("_frame")
        return path

    def timing(call) -> dict:  # noqa: ANN001
        facts_cpu[0] = 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        return {"wall": round(time.perf_counter() - wall, 3), "cpu": round(time.process_time() - cpu, 3),
                "facts_cpu": round(facts_cpu[0], 3)}

    std = starter_standard()
    out: dict = {"xuanba": xuanba.__file__}
    out["rounds"] = []
    for i in range(rounds):
        path = workspace(f"r{i}")
        out["rounds"].append(timing(lambda p=path: run_round(p, std, CUTOFF)))
    replayed = workspace("replay")
    out["replay"] = timing(lambda: replay_rounds(replayed, std, *REPLAY, every="month"))
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        with Workspace(replayed, read_only=True) as ws:
            names = [r[0] for r in ws.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
            for name in names:
                if name != "transactions":
                    ws.con.execute(f'SELECT * FROM "{name}"').df().to_pickle(dump / f"{name}.pkl")
    return out


def _decoded(folder: Path) -> dict:
    """The dump's ``roster_codes`` with each coded column as its texts (``roster_labels``: the
    text of code ``i`` of a round is its labels' ``i``-th)."""
    import pandas as pd

    codes = pd.read_pickle(folder / "roster_codes.pkl")
    labels = pd.read_pickle(folder / "roster_labels.pkl").set_index("round_id")
    for col in labels.columns:
        codes[col] = [None if pd.isna(k) else labels.loc[r, col][int(k)] for r, k in zip(codes["round_id"], codes[col],
                                                                                        strict=True)]
    return codes


def _same_tables(a: Path, b: Path) -> list[str]:
    """The tables (or columns) that differ between two dumps; ``rounds.created_at`` aside. The
    coded roster is compared by its texts: which code stands for which text depends on the path
    that stored it (the saver's early roster takes the engine's labels; a round whose model check
    still ran when it was scored is stored after, its texts encoded in the order they come), not on
    what was stored."""
    import pandas as pd

    names = sorted(p.name for p in a.glob("*.pkl"))
    if names != sorted(p.name for p in b.glob("*.pkl")):
        return ["the tables"]
    differ = []
    for name in names:
        if name == "roster_labels.pkl":  # read with the codes
            continue
        x, y = pd.read_pickle(a / name), pd.read_pickle(b / name)
        if name == "roster_codes.pkl":
            x, y = _decoded(a), _decoded(b)
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            differ.append(name)
            continue
        for col in x.columns:
            if name == "rounds.pkl" and col in ("created_at", "meta_json"):
                if col == "meta_json":
                    strip = [{k: v for k, v in json.loads(m).items() if k != "created_at"} for m in x[col]]
                    if strip != [{k: v for k, v in json.loads(m).items() if k != "created_at"} for m in y[col]]:
                        differ.append(f"{name}:{col}")
                continue
            try:
                pd.testing.assert_series_equal(x[col], y[col], check_exact=True)
            except AssertionError:
                differ.append(f"{name}:{col}")
    return differ


def _call(args: list[str], src: Path | None) -> dict:
    """This script's child run with the xuanba of ``src`` (default: the installed one)."""
    import os
    import subprocess

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=BENCH.parent)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--against", metavar="REV", help="also time the xuanba of commit REV, alternating")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dump = None if args.child[1] == "-" else Path(args.child[1])
        print(json.dumps(_child(int(args.child[0]), dump)))
        return
    from bench_round import _source_of

    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.against:
        trees.append((f"commit {args.against}", _source_of(args.against)))
    dumps = Path(tempfile.mkdtemp())
    runs: dict[str, list[dict]] = {name: [] for name, _ in trees}
    for k in range(args.repeat):
        for i, (name, src) in enumerate(trees):
            dump = dumps / str(i) if k == 0 and args.against else None
            runs[name].append(_call(["--child", str(args.rounds), str(dump) if dump else "-"], src))
            print(f"run {k + 1}, {name}: {json.dumps(runs[name][-1])}", flush=True)
    print("\n| tree | first round CPU s | later rounds CPU s (median) | their facts CPU s (median) "
          "| replay of 8 monthly cutoffs CPU s (median) | its facts CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, got in runs.items():
        later = [r for run in got for r in run["rounds"][1:]]
        print(f"| {name} | {statistics.median(run['rounds'][0]['cpu'] for run in got):.2f} "
              f"| {statistics.median(r['cpu'] for r in later):.2f} | {statistics.median(r['facts_cpu'] for r in later):.3f} "
              f"| {statistics.median(run['replay']['cpu'] for run in got):.2f} "
              f"| {statistics.median(run['replay']['facts_cpu'] for run in got):.2f} |")
    if args.against:
        differ = _same_tables(dumps / "0", dumps / "1")
        print(f"\nstored replay identical in both trees (creation times aside): {differ or 'yes'}")


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
