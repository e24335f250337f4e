"""Benchmark: storing a scored round of N customers (issue 16), next to DuckDB's floor.

A synthetic scored round is made in memory (not timed): the roster (the stored columns and four
criteria's raw values), the contributions' parts (four criteria) and 29 fields shaped like the
starter round's (ids, counts, money, dates, scores, text codes). Each run, in a fresh process:

* ``store`` — ``save_round`` of that round into a new workspace file (this tree, or with
  ``--against REV`` also the xuanba of commit REV, alternating);
* ``as a round`` (``--as-round``) — this tree's round's own way: ``saving_round`` (the fields in
  its thread), the roster and contributions given to that thread (``start_rows``) while this
  thread hashes the roster and sums the round up, as ``run_round`` does after scoring; its peak
  is the storing's peak of a round run (the scoring's own peak left out);
* ``floor`` — plain DuckDB with the workspace's settings: ``CREATE TABLE ... AS`` of the same
  Arrow data (the roster, the fields, and the contributions unnested from the same parts), in one
  transaction, into a new file; with DuckDB's threads (both cores) and with one thread.

It prints wall and CPU seconds, the resident set before and the peak while storing (Linux's
high-water mark, reset when the clock starts), and a digest of what was stored, so that two
versions can be shown to store the same round.

    python bench/bench_store.py --customers 1e6 --repeat 3 --against main
    flock /tmp/xuanba-heavy.lock python bench/bench_store.py --customers 1e7 --repeat 1 --as-round --no-floor --stop-at 10
    flock /tmp/xuanba-heavy.lock python bench/bench_store.py --customers 1e7 --repeat 1 --stop-at 10
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_round import rss  # noqa: E402

CRITERIA = ("revenue", "margin", "future_value", "still_active")


def synthetic_round(n: int, seed: int = 7):  # noqa: ANN201
    """A scored round of ``n`` customers (roster, contribution parts, fields), as a round holds it
    before it is stored."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from xuanba.rounds.run import Round
    from xuanba.standard import load_standard, starter_standard
    from xuanba.standard.score import ContributionParts

    rng = np.random.default_rng(seed)
    ids = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0")
    ids = ids.to_pandas().astype("str")  # text kept in Arrow, as the round holds it
    order = rng.permutation(n)  # the roster in rank order
    score = np.sort(rng.uniform(0, 100, n).round(6))[::-1]

    def text(choices, p=None):  # noqa: ANN001, ANN202
        return pd.Series(np.asarray(choices, dtype=object)[rng.choice(len(choices), n, p=p)], dtype="str")

    k = len(CRITERIA)
    raw = rng.gamma(2.0, 100.0, (n, k)).round(6)
    raw[rng.uniform(size=(n, k)) < 0.01] = np.nan
    normalised = rng.uniform(0, 1, (n, k)).round(6)
    weights = np.array([0.4, 0.2, 0.3, 0.1])
    roster = pd.DataFrame({
        "customer_id": ids.iloc[order].reset_index(drop=True), "rank": np.arange(1, n + 1), "score": score,
        "tier": text(["A", "B", "C", ""], [0.01, 0.04, 0.15, 0.8]), "selected": rng.uniform(size=n) < 0.05,
        "quadrant": text(["star", "potential", "harvest", "watch"]),
        "value_score": rng.uniform(0, 100, n).round(6), "potential_score": rng.uniform(0, 100, n).round(6),
        "gates_failed": text(["", "min_orders", "min_orders;margin"], [0.7, 0.2, 0.1]),
        "next_tier": text(["A", "B", "C"]), "gap_to_next": rng.uniform(0, 30, n).round(6),
        "cheapest_criterion": text(list(CRITERIA)), "cheapest_change": rng.uniform(0, 500, n).round(6),
        "left_out_by_capacity": rng.uniform(size=n) < 0.01, "cheapest_public_criterion": text(list(CRITERIA)),
        "cheapest_public_change": rng.uniform(0, 500, n).round(6),
        **{c: raw[:, j] for j, c in enumerate(CRITERIA)},
    })
    parts = ContributionParts(roster["customer_id"], list(CRITERIA), weights, raw, normalised,
                              (normalised * weights * 100).round(6))
    day = np.datetime64("2026-06-30", "ms")
    first = day - rng.integers(0, 1095, n).astype("timedelta64[D]")
    fields = pd.DataFrame({"customer_id": ids})
    for c in ("frequency", "tenure_days", "days_since_last", "orders", "rfm_r", "rfm_f", "rfm_m"):
        fields[c] = rng.integers(0, 60, n)
    for c in ("recency", "T", "monetary_value", "revenue_total", "revenue_90d", "revenue_365d", "revenue_prev_365d",
              "growth_365d", "margin_total", "margin_90d", "margin_365d", "p_alive", "expected_purchases_1y",
              "expected_spend", "clv_1y", "clv_3y", "churn_90d"):
        fields[c] = rng.gamma(1.5, 80.0, n).round(6)
    fields["first_purchase"] = first
    fields["last_purchase"] = first + rng.integers(0, 300, n).astype("timedelta64[D]")
    fields["rfm_score"] = text([f"{a}{b}{c}" for a in "12345" for b in "12345" for c in "12345"])
    fields["spend_basis"] = text(["model", "one purchase", "returns only"], [0.6, 0.35, 0.05])
    std = load_standard(starter_standard("en"))
    meta = {"name": "bench", "cutoff": "2026-06-30", "created_at": "2026-07-01T00:00:00+00:00",
            "standard_name": std.name, "standard_version": std.version, "standard_sha256": std.sha256,
            "data_sha256": "0" * 64, "roster_sha256": "0" * 64, "n_customers": n,
            "n_selected": int(roster["selected"].sum()), "time_unit": "week", "currency": std.currency,
            "field_columns": [c for c in fields.columns if c != "customer_id"]}
    return Round(0, meta, std, roster, parts, fields=fields)


def _watchdog(limit_gib: float) -> None:
    import signal
    import threading

    def watch() -> None:
        while True:
            if rss()[0] > limit_gib:
                print(f"watchdog: resident set > {limit_gib} GiB, stopping", file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()


def _floor(con, rnd) -> None:  # noqa: ANN001
    """Plain CREATE TABLE AS of the same Arrow data, in one transaction."""
    import numpy as np
    import pyarrow as pa

    from xuanba.standard.score import ROSTER_COLUMNS

    parts = rnd.__dict__["_contributions"]
    k = len(parts.criteria)
    cols = {"customer_id": pa.array(parts.customer_id.array, type=pa.large_string())}
    for name, matrix in (("r", parts.raw), ("n", parts.normalised), ("c", parts.contribution)):
        for j in range(k):
            cols[f"{name}{j}"] = pa.array(np.ascontiguousarray(matrix[:, j]), type=pa.float64(), from_pandas=True)
    con.register("wide", pa.table(cols))
    con.register("roster_rows", pa.Table.from_pandas(rnd.roster[list(ROSTER_COLUMNS)], preserve_index=False))
    con.register("field_rows", pa.Table.from_pandas(rnd.fields, preserve_index=False))
    lists = {name: "[" + ", ".join(f"{name}{j}" for j in range(k)) + "]" for name in ("r", "n", "c")}
    con.execute("BEGIN")
    con.execute("CREATE TABLE roster AS SELECT 1 AS round_id, * FROM roster_rows")
    con.execute(f"CREATE TABLE contributions AS SELECT 1 AS round_id, customer_id, unnest($names::VARCHAR[]) AS criterion, "
                f"unnest({lists['r']}) AS raw, unnest({lists['n']}) AS normalised, unnest($w::DOUBLE[]) AS weight, "
                f"unnest({lists['c']}) AS contribution FROM wide",
                {"names": list(parts.criteria), "w": [float(w) for w in parts.weights]})
    con.execute("CREATE TABLE round_fields AS SELECT 1 AS round_id, * FROM field_rows")
    con.execute("COMMIT")
    for name in ("wide", "roster_rows", "field_rows"):
        con.unregister(name)


def _as_a_round(ws, rnd) -> int:  # noqa: ANN001
    """Store ``rnd`` the way ``run_round`` does: the fields in the saver's thread, then the roster
    and contributions given to it while this thread hashes the roster and sums the round up."""
    from xuanba._frames import positions_in
    from xuanba.rounds.run import column_hashes, table_sha256
    from xuanba.rounds.store import saving_round
    from xuanba.rounds.summary import round_summary

    with saving_round(ws, rnd.fields) as saver:
        saver.start_rows(rnd.roster, rnd.__dict__["_contributions"])
        rows = positions_in(rnd.roster["customer_id"], rnd.fields["customer_id"])
        ids = column_hashes(rnd.fields["customer_id"])
        rnd.meta["roster_sha256"] = table_sha256(rnd.roster, {"customer_id": ids[rows]})
        rnd.meta["summary"] = round_summary(rnd.roster, rnd.fields, ["A", "B", "C"], rows)
        return saver.save(rnd)


def _digest(con, round_id: int) -> dict[str, str]:  # noqa: ANN001
    out = {}
    for table in ("roster", "contributions", "round_fields"):
        row = con.execute(f"SELECT count(*), bit_xor(hash(t)), sum(hash(t) % 1000003) FROM "
                          f"(SELECT * EXCLUDE (round_id) FROM {table} WHERE round_id = ?) t",  # any order: a view's too
                          [round_id]).fetchone()
        out[table] = f"{row[0]}:{row[1]:x}:{row[2]}"
    return out


def _child(n: int, how: str, stop_at: float | None) -> None:
    import duckdb

    from xuanba import Workspace
    from xuanba.rounds.store import save_round
    from xuanba.workspace import duckdb_settings

    if stop_at:
        _watchdog(stop_at)
    rnd = synthetic_round(n)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "w.duckdb"
        if how.startswith("floor"):
            con = duckdb.connect(str(path))
            for key, value in duckdb_settings(str(path)).items():
                con.execute(f"SET {key} = ?", [value])
            if how == "floor1":
                con.execute("SET threads = 1")
        else:
            ws = Workspace(path)
            con = ws.con
        before = rss()[0]
        print(f"round made: resident set {before:.2f} GiB, peak so far {rss()[1]:.2f} GiB", file=sys.stderr, flush=True)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        use0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        if how.startswith("floor"):
            _floor(con, rnd)
            rid = 1
        elif how == "round":
            rid = _as_a_round(ws, rnd)
        else:
            rid = save_round(ws, rnd)
        seconds = time.perf_counter() - t0
        use1 = resource.getrusage(resource.RUSAGE_SELF)
        now, peak = rss()
        print(f"stored: {seconds:.2f} s, peak {peak:.2f} GiB", file=sys.stderr, flush=True)
        del rnd  # the check of what was stored is not timed: it runs without the round beside it
        gc.collect()
        digest = _digest(con, rid)
        con.close()
        size = path.stat().st_size
    cpu = (use1.ru_utime - use0.ru_utime) + (use1.ru_stime - use0.ru_stime)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_before": before, "peak": peak, "rss_after": now,
                      "file_mb": size / 1e6, "stored": digest}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="also store with the xuanba of commit REV")
    parser.add_argument("--no-floor", action="store_true", help="leave out DuckDB's CREATE TABLE AS")
    parser.add_argument("--as-round", action="store_true",
                        help="also store it as run_round does (the roster beside the hashes and summary)")
    parser.add_argument("--stop-at", type=float, metavar="GIB", help="stop a run whose resident set passes GIB")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(args.child[0]), args.child[1], float(args.child[2]) or None)
        return
    from bench_round import _source_of

    OUT.mkdir(parents=True, exist_ok=True)
    n = int(args.customers)
    versions: dict[str, tuple[str, Path | None]] = {"this tree": ("store", None)}
    if args.as_round:
        versions["this tree, as a round"] = ("round", None)
    if args.against:
        versions[f"commit {args.against}"] = ("store", _source_of(args.against))
    if not args.no_floor:
        versions["floor: DuckDB CREATE TABLE AS"] = ("floor", None)
        versions["floor, one DuckDB thread"] = ("floor1", None)
    runs: dict[str, list[dict]] = {v: [] for v in versions}
    for i in range(args.repeat):
        for version, (how, src) in versions.items():
            env = dict(os.environ)
            if src is not None:
                env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
            out = subprocess.run([sys.executable, __file__, "--child", str(n), how, str(args.stop_at or 0)],
                                 capture_output=True, text=True, env=env)
            print(out.stderr.strip()[-500:], file=sys.stderr, flush=True)
            if out.returncode:
                sys.exit(f"{version}: failed")
            runs[version].append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = runs[version][-1]
            print(f"run {i + 1}, {version}: {r['seconds']:.2f} s, CPU {r['cpu']:.2f} s, peak {r['peak']:.2f} GiB",
                  file=sys.stderr, flush=True)
    print(f"\nstoring a synthetic round of {n:,} customers (4 criteria, 29 fields), median of {args.repeat}\n")
    print("| version | wall s | CPU s | RSS before GiB | peak while storing GiB | file MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for version, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "cpu", "rss_before", "file_mb")}
        print(f"| {version} | {med['seconds']:.2f} | {med['cpu']:.2f} | {med['rss_before']:.2f} | "
              f"{max(r['peak'] for r in rs):.2f} | {med['file_mb']:.0f} |")
    floor = "floor: DuckDB CREATE TABLE AS"
    if floor in runs:
        ratio = statistics.median(r["seconds"] for r in runs["this tree"]) / statistics.median(
            r["seconds"] for r in runs[floor])
        print(f"\nthis tree / floor: {ratio:.2f} (wall)")
    digests = {v: {json.dumps(r["stored"], sort_keys=True) for r in rs} for v, rs in runs.items()}
    for version, seen in digests.items():  # to compare with another run's
        print(f"stored ({version}): {' | '.join(sorted(seen))}")
    print(f"stored rows identical in every version and run: {'yes' if len(set().union(*digests.values())) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
