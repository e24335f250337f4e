"""Benchmark: one round over 1 M customers — facts, model predictions, scoring and storing.

The transactions (bench_facts.py's generator: skewed customers, three years, cents, costs,
1 % returns) are cached as Parquet in bench/out and loaded once into a workspace file (that is
ingest, not timed). Each repeat copies that workspace and runs, in a fresh subprocess,

    run_round(workspace, <the starter standard>, "2026-06-30")

which computes the facts at the cutoff, fits BG/NBD + Gamma-Gamma and predicts (the starter
uses clv_3y and p_alive), adds nothing else (no side tables), scores, gates, tiers and caps
everyone, and appends the round (rounds, roster, contributions) in one transaction. The table
gives the median wall time and each step's share. Before each round a process of its own times
``customer_facts`` alone on the same copy: issue 16's target is the round against that (the
round's own facts step also reads the table its model checks read of the year before the cutoff).

    python bench/bench_round.py                                   # 10 M transactions, 1 M customers
    python bench/bench_round.py --transactions 1e6 --customers 1e5 --repeat 1   # quick
    python bench/bench_round.py --predictions given     # the round without the model step
    python bench/bench_round.py --against a0333c6 --report   # this tree and an older commit, side by side
    python bench/bench_round.py --scoring both          # the standard applied in pandas and on DuckDB
    python bench/bench_round.py --scoring both --against main   # both ways, this tree and main's
    python bench/bench_round.py --interval 0.9          # the same round with and without intervals

With ``--against REV`` every repeat runs the same round with this tree's xuanba and with the
one of commit REV (its ``src/`` extracted into bench/out), alternating, so the two are measured
in one run on the same machine state; the table gives both medians and their ratio. With
``--report`` each repeat also stores a round half a year earlier (not timed) and then times
``write_report`` of the stored round, the way ``xuanba report latest`` runs it.

Targets: a round over 1 M customers in <= 60 s on the 2-core machine (issue 4); no slower than
before rounds stored their fields, models and account analyses, and the report of a stored
1 M-customer round in at most a third of the time it took when the report refitted (issue 10).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF, make_data, peak_gib, rss  # noqa: E402, F401 (rss: for the benches that import it from here)

# Fader, Hardie & Lee (2005) CDNOW estimates: BG/NBD per week, and Gamma-Gamma spend.
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}


def make_bgnbd_data(path: Path, n_customers: int, days: int = 3 * 365, seed: int = 42) -> None:
    """Transactions of customers who behave like CDNOW's: BG/NBD purchases, Gamma-Gamma spend.

    Each customer's first purchase falls on a day in the ``days`` before the cutoff; repeat
    purchases follow a Poisson process (rate ~ Gamma(r, alpha) per week) until the customer
    drops out (after each repeat purchase with probability p ~ Beta(a, b)); spends are
    Gamma(p, nu) with nu ~ Gamma(q, v) per customer, in cents, with a cost of 30-80 %.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = n_customers
    age = rng.integers(0, days, n, endpoint=True)  # days from the first purchase to the cutoff
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], n) / 7.0  # per day
    p = rng.beta(BGNBD["a"], BGNBD["b"], n)
    k = rng.poisson(lam * age)  # potential repeat purchases in (0, age]
    g = rng.geometric(np.clip(p, 1e-12, 1.0))  # repeat purchases until the customer drops out
    x = np.minimum(k, g)
    owner = np.repeat(np.arange(n), k)  # k uniforms per customer; the first x in time are kept
    u = rng.uniform(0.0, 1.0, owner.size)
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    first_of = np.concatenate([[0], np.cumsum(k)[:-1]])
    pos = np.arange(owner.size) - first_of[owner]
    keep = pos < x[owner]
    owner, u = owner[keep], u[keep]
    offset = np.maximum(1, np.ceil(u * age[owner])).astype(np.int64)  # repeat purchases after day 0
    cust = np.concatenate([np.arange(n), owner])
    day = np.concatenate([np.zeros(n, dtype=np.int64), offset])
    nu = rng.gamma(SPEND["q"], 1.0 / SPEND["v"], n)
    amount = np.round(rng.gamma(SPEND["p"], 1.0 / nu[cust]), 2)
    cutoff = pd.Timestamp(CUTOFF)
    ts = cutoff - pd.to_timedelta(age[cust] - day, unit="D") + pd.to_timedelta(rng.integers(0, 86400, cust.size), unit="s")
    frame = pd.DataFrame({
        "customer_id": pd.Series(cust).map("{:07d}".format),
        "ts": ts,
        "amount": amount,
        "cost": np.round(amount * rng.uniform(0.3, 0.8, cust.size), 2),
    })
    frame.to_parquet(path, index=False)


def _given_predictions(ws) -> object:  # noqa: ANN001
    """Stand-in predictions (deterministic, from the customer ids) for --predictions given."""
    import numpy as np
    import pandas as pd

    ids = ws.sql("SELECT DISTINCT customer_id FROM transactions ORDER BY customer_id")["customer_id"]
    rng = np.random.default_rng(0)
    return pd.DataFrame({"customer_id": ids, "p_alive": rng.uniform(0, 1, len(ids)),
                         "clv_3y": rng.gamma(2.0, 100.0, len(ids))})


PREVIOUS_CUTOFF = "2025-12-31"


def _child_report(workspace: str) -> None:
    """Time write_report of the latest stored round in this process; prints JSON."""

    from xuanba.outputs.report import write_report

    t0 = time.perf_counter()
    path = write_report(workspace, "latest", Path(workspace).with_suffix(".html"), lang="zh")
    t1 = time.perf_counter()
    peak = peak_gib()
    print(json.dumps({"seconds": t1 - t0, "bytes": path.stat().st_size, "peak_gib": peak}))


def _child(workspace: str, mode: str, cutoff: str = CUTOFF, scoring: str = "pandas", interval: str = "none") -> None:
    """One timed round in this process (``interval``: the starter with ``[predictions] interval``
    set to it, or ``none``); prints JSON."""
    import resource

    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.standard import load_standard, starter_standard

    text = starter_standard("en")
    if interval != "none":
        text = text.replace("[predictions]\n", f"[predictions]\ninterval = {float(interval)}\n")
    std = load_standard(text)
    ws = Workspace(workspace, create=False)
    _ = ws.ibis  # imports done before the clock starts
    import xuanba.models.predict  # noqa: F401

    preds = _given_predictions(ws) if mode == "given" else None
    before = _file_bytes(workspace)
    marks: list[tuple[str, float]] = []
    use0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    import inspect

    # a commit from before scoring_engine existed scored in pandas, its only way
    how = {"scoring_engine": scoring} if "scoring_engine" in inspect.signature(run_round).parameters else {}
    rnd = run_round(ws, std, cutoff, predictions=preds, **how,
                    progress=lambda step: marks.append((step, time.perf_counter())))
    t1 = time.perf_counter()
    use1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (use1.ru_utime - use0.ru_utime) + (use1.ru_stime - use0.ru_stime)  # every thread's CPU: less load-bound
    stored = _stored_digest(ws, rnd.round_id)
    ws.close()
    after = _file_bytes(workspace)
    steps: dict[str, float] = {}
    bounds = [*marks, ("end", t1)]
    for (name, start), (_, stop) in zip(bounds[:-1], bounds[1:], strict=True):
        steps[name.split(" (")[0]] = stop - start
    peak = peak_gib()
    print(json.dumps({"seconds": t1 - t0, "cpu": cpu, "steps": steps, "customers": rnd.meta["n_customers"],
                      "selected": rnd.meta["n_selected"], "peak_gib": peak, "round_id": rnd.round_id,
                      "stored": stored, "file_bytes": [before, after]}))


def _child_facts(workspace: str, cutoff: str = CUTOFF) -> None:
    """The facts step alone, as the round's child runs it but nothing else: ``customer_facts`` at
    ``cutoff`` in a fresh process on the workspace the round then reads (issue 16's denominator:
    the round's own facts step also reads the table its model checks read of the year before the
    cutoff, ``facts_and_holdout``); prints JSON (``seconds``: ``null`` for a commit without it)."""
    from xuanba import Workspace

    ws = Workspace(workspace, create=False)
    _ = ws.ibis  # imports done before the clock starts, as in the round's child
    try:
        from xuanba.facts import customer_facts
    except ImportError:
        print(json.dumps({"seconds": None}))
        return
    t0 = time.perf_counter()
    customer_facts(ws, cutoff, time_unit="week")
    seconds = time.perf_counter() - t0
    ws.close()
    print(json.dumps({"seconds": seconds, "peak_gib": peak_gib()}))


def _file_bytes(workspace: str) -> int:
    """The workspace's bytes on disk: its file and write-ahead log."""
    return sum(p.stat().st_size for p in (Path(workspace), Path(workspace + ".wal")) if p.exists())


def _stored_digest(ws, round_id: int) -> dict[str, str]:  # noqa: ANN001
    """Digests of what the round stored (not timed): its meta without the creation time, and a
    hash of every row of its roster, contributions and fields, so that two versions of xuanba
    can be shown to store the same round."""
    import hashlib

    meta = json.loads(ws.sql("SELECT meta_json FROM rounds WHERE round_id = ?", [round_id])["meta_json"][0])
    meta.pop("created_at", None)
    out = {"meta": hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]}
    for table in ("roster", "contributions", "round_fields"):
        row = ws.con.execute(f"SELECT count(*), bit_xor(hash(t)), sum(hash(t) % 1000003) FROM "
                             f"(SELECT * EXCLUDE (round_id) FROM {table} WHERE round_id = ?) t", [round_id]).fetchone()
        out[table] = f"{row[0]}:{row[1]:x}:{row[2]}"
    tables = ws.sql("SELECT name, info_json, table_json FROM round_tables WHERE round_id = ? ORDER BY name", [round_id])
    out["round_tables"] = hashlib.sha256(tables.to_json().encode()).hexdigest()[:16]
    return out


def bgnbd_data(n_customers: int) -> Path:
    """The BG/NBD-shaped transactions of ``n_customers`` in bench/out, generated at first use
    (the round's benchmarks and profiles share them)."""
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / f"round_bgnbd_{n_customers}.parquet"
    if not data.exists():
        t0 = time.perf_counter()
        make_bgnbd_data(data, n_customers)
        print(f"generated {data.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return data


def _workspace(parquet: Path, path: Path) -> None:
    import duckdb

    from xuanba import Workspace

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE transactions AS SELECT * FROM read_parquet(?)", [str(parquet)])
    con.close()
    # opened once as a workspace here, so that its upgrade to the current layout (the ingest
    # table's other columns added, empty) is done: the timed process then opens it as it is (at
    # 10 M customers that upgrade held 2.0 GiB in the process that ran it)
    Workspace(path, create=False).close()


def workspace_apart(parquet: Path, path: Path, src: Path | None = None) -> None:
    """:func:`_workspace` run in another process, so that loading the data (and bringing the
    workspace to the current layout) leaves nothing in this process's memory; ``src``: with
    the xuanba of that ``src/`` (its layout: a later schema is one an older xuanba cannot open)."""
    import os
    import subprocess

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from bench_round import "
                    "_workspace; from pathlib import Path; _workspace(Path(sys.argv[2]), Path(sys.argv[3]))",
                    str(BENCH), str(parquet), str(path)], check=True, env=env)


def _source_of(rev: str) -> Path:
    """The ``src/`` of commit ``rev``, extracted once into bench/out."""
    import io
    import tarfile

    sha = subprocess.run(["git", "rev-parse", "--short", rev], capture_output=True, text=True, check=True,
                         cwd=BENCH).stdout.strip()
    root = OUT / f"src-{sha}"
    if not (root / "src" / "xuanba").is_dir():
        blob = subprocess.run(["git", "archive", "--format=tar", sha, "src"], capture_output=True, check=True,
                              cwd=BENCH.parent).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(root, filter="data")
    return root / "src"


def _call(args: list[str], src: Path | None) -> dict:
    import os

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(runs: list[dict], title: str) -> None:
    med = statistics.median(r["seconds"] for r in runs)
    print(f"\n{title}\n")
    print("| step | median s |")
    print("|---|---:|")
    for s in runs[0]["steps"]:
        print(f"| {s} | {statistics.median(r['steps'].get(s, 0.0) for r in runs):.2f} |")
    print(f"| **whole round** | **{med:.2f}** |")
    facts = statistics.median(r["steps"].get("facts", 0.0) for r in runs)
    if facts:
        print(f"\nwhole round / its facts step (facts and the model check's holdout table): {med / facts:.2f}")
    alone = [r["facts_alone"] for r in runs if r.get("facts_alone")]
    if alone:
        print(f"whole round / the facts alone (customer_facts in a process of its own before each round, "
              f"median {statistics.median(alone):.2f} s): {med / statistics.median(alone):.2f} (issue 16's target: <= 3)")
    every = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    if all("cpu" in r for r in runs):
        every += f" s wall; CPU median {statistics.median(r['cpu'] for r in runs):.2f}"
    print(f"\nall runs: {every} s; peak memory {max(r['peak_gib'] for r in runs):.2f} GiB")
    if all("file_bytes" in r for r in runs):
        before, after = (statistics.median(r["file_bytes"][i] for r in runs) / 1e6 for i in (0, 1))
        print(f"workspace file: {before:.1f} MB before the round, {after:.1f} MB after (+{after - before:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=float, default=10e6)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", choices=["bgnbd", "uniform"], default="bgnbd",
                        help="bgnbd: customers who behave like CDNOW's (BG/NBD + Gamma-Gamma); "
                             "uniform: bench_facts.py's generator (given --transactions)")
    parser.add_argument("--predictions", choices=["model", "given"], default="model",
                        help="model: fit BG/NBD + Gamma-Gamma at the cutoff (the real round); "
                             "given: stand-in predictions, to time the rest of the round alone")
    parser.add_argument("--against", metavar="REV", help="also time the round with the xuanba of commit REV")
    parser.add_argument("--report", action="store_true",
                        help="also time write_report of the stored round (after a round half a year earlier)")
    parser.add_argument("--scoring", choices=["pandas", "duckdb", "both"], default="duckdb",
                        help="how this tree's round applies the standard (run_round's scoring_engine: duckdb, "
                             "xuanba's way, or the pandas reference); both: each repeat runs the two, alternating")
    parser.add_argument("--interval", type=float, metavar="LEVEL",
                        help="each repeat also runs the round with [predictions] interval = LEVEL, "
                             "alternating, and prints its ratio to the round without")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "report":
            _child_report(args.child[1])
        elif args.child[0] == "facts":
            _child_facts(*args.child[1:])
        else:
            _child(*args.child)
        return
    n_tx, n_c = int(args.transactions), int(args.customers)
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / (f"round_tx_{n_tx}_{n_c}.parquet" if args.data == "uniform" else f"round_bgnbd_{n_c}.parquet")
    if not data.exists():
        t0 = time.perf_counter()
        if args.data == "uniform":
            make_data(data, n_tx, n_c)
        else:
            make_bgnbd_data(data, n_c)
        print(f"generated {data.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    versions: dict[str, Path | None] = {"this tree": None}
    scorings = {"this tree": "pandas" if args.scoring == "both" else args.scoring}
    if args.scoring == "both":
        versions["this tree, scoring on duckdb"] = None
        scorings["this tree, scoring on duckdb"] = "duckdb"
    intervals = {v: "none" for v in versions}
    with_interval = f"this tree, interval {args.interval:g}" if args.interval else None
    if with_interval:
        versions[with_interval], scorings[with_interval], intervals[with_interval] = None, "pandas", str(args.interval)
    if args.against:  # the commit's round scored as this tree's is (both: once each way)
        for scoring in ("pandas", "duckdb") if args.scoring == "both" else (scorings["this tree"],):
            old = f"commit {args.against}" + (", scoring on duckdb" if scoring == "duckdb" else "")
            versions[old], scorings[old], intervals[old] = _source_of(args.against), scoring, "none"
    runs: dict[str, list[dict]] = {v: [] for v in versions}
    reports: dict[str, list[dict]] = {v: [] for v in versions}
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        bases: dict[str, Path] = {}  # each version's own workspace of the data, in its own layout
        for src in versions.values():
            if str(src) not in bases:
                bases[str(src)] = Path(tmp) / f"base{len(bases)}.duckdb"
                if src is None:
                    _workspace(data, bases[str(src)])
                else:
                    workspace_apart(data, bases[str(src)], src)
        for i in range(args.repeat):
            for version, src in versions.items():
                ws = Path(tmp) / f"run{i}.duckdb"
                shutil.copy(bases[str(src)], ws)
                if args.report:
                    _call(["--child", str(ws), args.predictions, PREVIOUS_CUTOFF], src)
                child = ["--child", str(ws), args.predictions, CUTOFF, scorings[version]]
                if intervals[version] != "none":
                    child.append(intervals[version])
                alone = _call(["--child", "facts", str(ws), CUTOFF], src)["seconds"]  # before the round: same file
                runs[version].append({**_call(child, src), "facts_alone": alone})
                line = f"run {i + 1}, {version}: round {runs[version][-1]['seconds']:.1f} s"
                if args.report:
                    reports[version].append(_call(["--child", "report", str(ws)], src))
                    line += f", report {reports[version][-1]['seconds']:.1f} s"
                ws.unlink()
                ws.with_suffix(".html").unlink(missing_ok=True)
                print(line, file=sys.stderr)
    import pyarrow.parquet as pq

    first = runs["this tree"][0]
    rows = pq.ParquetFile(data).metadata.num_rows
    print(f"\n{args.data} data: {rows:,} transactions, {first['customers']:,} customers, "
          f"predictions: {args.predictions}, {first['selected']:,} selected, median of {args.repeat} runs")
    for version in versions:
        _table(runs[version], f"round, {version}")
    if args.report:
        print("\n| write_report of the stored round | median s | peak GiB | file MB |")
        print("|---|---:|---:|---:|")
        for version in versions:
            r = reports[version]
            print(f"| {version} | {statistics.median(x['seconds'] for x in r):.2f} | "
                  f"{max(x['peak_gib'] for x in r):.2f} | {r[0]['bytes'] / 1e6:.1f} |")
    for scoring in dict.fromkeys(scorings.values()):  # a round scored on DuckDB says so in its meta
        same_standard = [v for v in versions if v != with_interval and scorings[v] == scoring]  # intervals store more
        if len(same_standard) > 1:
            digests = {v: {json.dumps(r.get("stored"), sort_keys=True) for r in runs[v]} for v in same_standard}
            same = len(set().union(*digests.values())) == 1
            print(f"\nstored round scored in {scoring} (meta without its time, roster, contributions, fields, "
                  f"tables) identical in every version and run: {'yes' if same else 'NO'}")
            if not same:
                for v, d in digests.items():
                    print(f"  {v}: {sorted(d)}")
    if with_interval:
        ratio = statistics.median(r["seconds"] for r in runs[with_interval]) / statistics.median(
            r["seconds"] for r in runs["this tree"])
        pred = statistics.median(r["steps"].get("predictions", 0.0) for r in runs[with_interval]) / statistics.median(
            r["steps"].get("predictions", 0.0) for r in runs["this tree"])
        cpu = statistics.median(r["cpu"] for r in runs[with_interval]) / statistics.median(
            r["cpu"] for r in runs["this tree"])
        print(f"\nround with intervals / without = {ratio:.2f} (wall), {cpu:.2f} (CPU); predictions step: {pred:.2f}")
    if args.against:
        old = f"commit {args.against}"
        for mine, theirs in (("this tree", old), ("this tree, scoring on duckdb", f"{old}, scoring on duckdb")):
            if mine in runs and theirs in runs:
                ratio, cpu = (statistics.median(r[k] for r in runs[mine]) / statistics.median(r[k] for r in runs[theirs])
                              for k in ("seconds", "cpu"))
                print(f"\nround: {mine} / {theirs} = {ratio:.2f} wall, {cpu:.2f} CPU (target <= 1)")
        if args.report:
            ratio = statistics.median(r["seconds"] for r in reports["this tree"]) / statistics.median(
                r["seconds"] for r in reports[old])
            print(f"report: this tree / {old} = {ratio:.2f} (target <= 0.33)")


if __name__ == "__main__":
    main()
