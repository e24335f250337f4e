"""Benchmark: reading a stored round's contributions, this tree beside an older commit's.

A round of N made-up customers (:func:`xuanba.outputs._synthetic.synthetic_round`, fixed seed)
is stored by each version into its own workspace, in its own layout (since schema version 4 a
scored round's points are not stored: the readers compute ``100 × weight × normalised``). Each
repeat then times, in a fresh process per version and reader, the versions in turn (the median of
three calls after a warm-up one, each as a web server or a notebook reads a round again):

* ``ranked``: ``ranked_contributions`` — the whole round as Arrow, what the web keeps for its
  customer pages (a round's first customer page reads it);
* ``read``: ``read_contributions`` — the whole round as a frame (exports, statements, ``load_round``);
* ``top``: ``load_contributions(max_rank=2000)`` — the report's listed customers.

It prints each reader's median CPU seconds of a call (user + sys of the process, all its threads),
its wall seconds, the CPU ratio to the first version, and whether every version read the same bits.

    python bench/bench_contrib_read.py --customers 1e6 --repeat 5 --against e4d4857 --against b22a1aa
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
READERS = ("ranked", "read", "top")
#: Timed calls of a reader in each process, after one warm-up call: their median is the run's.
CALLS = 3


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _build(path: str, n: int) -> None:
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.workspace import Workspace

    r = synthetic_round(n, seed=1, people=True)
    r.meta.update(name="bench", roster_sha256="0" * 64,
                  field_columns=[c for c in r.fields.columns if c != "customer_id"])
    with Workspace(path) as ws:
        save_round(ws, r)


def _read(path: str, what: str) -> dict:
    import numpy as np

    from xuanba.rounds import store
    from xuanba.workspace import Workspace

    with Workspace(path, read_only=True) as ws:
        rid = int(ws.sql("SELECT max(round_id) AS r FROM rounds")["r"].iloc[0])
        cpus, walls = [], []
        for _ in range(1 + CALLS):  # a warm-up call (imports, DuckDB's first plan), then the timed ones
            cpu, wall = _cpu(), time.perf_counter()
            if what == "ranked":
                col = store.ranked_contributions(ws, rid).column("contribution")
                points = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
            elif what == "read":
                points = store.read_contributions(ws, rid)["contribution"].to_numpy(dtype=float)
            else:
                points = store.load_contributions(ws, rid, max_rank=2000)["contribution"].to_numpy(dtype=float)
            cpus.append(_cpu() - cpu)
            walls.append(time.perf_counter() - wall)
    return {"cpu": statistics.median(cpus[1:]), "wall": statistics.median(walls[1:]),
            "bits": hashlib.sha256(np.ascontiguousarray(points).tobytes()).hexdigest()}


def _call(args: list[str], src: Path | None) -> dict:
    import os

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr)
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", metavar="REV", action="append", default=[],
                        help="also read with the xuanba of commit REV (repeatable)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "build":
            _build(args.child[1], int(args.child[2]))
        else:
            print(json.dumps(_read(args.child[1], args.child[2])))
        return
    from bench_round import _source_of

    versions: dict[str, Path | None] = {"this tree": None}
    for rev in args.against:
        versions[f"commit {rev}"] = _source_of(rev)
    runs: dict[tuple[str, str], list[dict]] = {(v, w): [] for v in versions for w in READERS}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {v: str(Path(tmp) / f"w{i}.duckdb") for i, v in enumerate(versions)}
        for version, src in versions.items():
            _call(["build", paths[version], str(int(args.customers))], src)
        for i in range(args.repeat):
            for what in READERS:
                for version, src in versions.items():
                    runs[version, what].append(_call(["read", paths[version], what], src))
            print(f"repeat {i + 1} done", file=sys.stderr)
    first = next(iter(versions))
    print(f"\n{int(args.customers):,} customers, {args.repeat} repeats: median CPU s (wall s), CPU ratio to {first}\n")
    print("| reader | " + " | ".join(versions) + " | same bits |")
    print("|---|" + "---:|" * len(versions) + "---|")
    for what in READERS:
        base = statistics.median(r["cpu"] for r in runs[first, what])
        cells = []
        for version in versions:
            got = runs[version, what]
            cpu = statistics.median(r["cpu"] for r in got)
            cells.append(f"{cpu:.3f} ({statistics.median(r['wall'] for r in got):.2f}) {cpu / base:.2f}×")
        same = len({r["bits"] for v in versions for r in runs[v, what]}) == 1
        print(f"| {what} | " + " | ".join(cells) + f" | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
