"""Benchmark: what an engine round adds to store every customer's score figures for its outputs.

An engine round stores only its selected customers, so the report's median score, each tier's
mean score and the score histogram are engine aggregates over every customer
(:func:`xuanba.rounds.engine._scores_on_engine`). This times them beside the headline figures
the round already computed in the engine (:func:`xuanba.rounds.engine._summary_on_engine`),
on the same synthetic roster (N customers, 5 % in tier A, 15 % in B, revenue), in one DuckDB
process, alternating. The table gives the medians (wall and CPU of this process, all threads)
and the ratio.

    python bench/bench_round_scores.py                        # 200 k customers
    flock /tmp/xuanba-heavy.lock python bench/bench_round_scores.py --customers 1e6
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _roster(n: int):  # noqa: ANN202 - an Ibis table
    import ibis
    import pyarrow as pa

    rng = np.random.default_rng(1)
    score = np.round(rng.uniform(0, 100, n), 6)
    rank = np.argsort(np.argsort(-score, kind="stable")) + 1
    tier = np.where(rank <= n * 0.05, "A", np.where(rank <= n * 0.2, "B", ""))
    con = ibis.duckdb.connect()
    return con.create_table("roster", pa.table({
        "customer_id": [f"c{i:08d}" for i in range(n)], "score": score, "rank": rank, "tier": tier,
        "selected": tier != "", "quadrant": rng.choice(["stars", "rising", "others"], n),
        "revenue_365d": np.round(rng.lognormal(5, 1, n), 2)})), int((tier != "").sum())


def main() -> None:
    from xuanba.rounds.engine import _scores_on_engine, _summary_on_engine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=2e5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = int(args.customers)
    t, n_sel = _roster(n)
    runs: dict[str, list[tuple[float, float]]] = {"headline figures": [], "score figures": []}
    steps = {"headline figures": lambda: _summary_on_engine(t, n, n_sel, ["A", "B", ""], ["revenue_365d"]),
             "score figures": lambda: _scores_on_engine(t)}
    for _ in range(args.repeat):
        for name, step in steps.items():
            c, w = time.process_time(), time.perf_counter()
            step()
            runs[name].append((time.perf_counter() - w, time.process_time() - c))
    med = {k: (statistics.median(x for x, _ in v), statistics.median(y for _, y in v)) for k, v in runs.items()}
    print(f"{n:,} customers, median of {args.repeat}")
    print("| step | wall s | CPU s |\n|---|---:|---:|")
    for k, (w, c) in med.items():
        print(f"| {k} | {w:.3f} | {c:.3f} |")
    (hw, hc), (sw, sc) = med["headline figures"], med["score figures"]
    print(f"score figures / headline figures: wall {sw / hw:.2f}x, CPU {sc / hc:.2f}x")


if __name__ == "__main__":
    main()
