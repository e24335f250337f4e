"""Benchmark: the predictions' intervals alone, at 1 M customers, against the predictions without.

The customers of bench_round.py's BG/NBD data (CDNOW-like, cached in bench/out) at its cutoff:
their facts are computed once, BG/NBD (or ``--model``) and Gamma-Gamma fitted once; then each
repeat times, alternating in one process,

    predict_customers(facts, purchase_model=fitted)                  # the point predictions
    predict_customers(facts, purchase_model=fitted, interval=0.9)    # and their intervals

so the difference is the intervals' own cost: the delta method's ``k + 1`` evaluations per
distinct history of every purchase prediction, the spend's per customer, and the bounds. With
``--draws N`` it also times the same interval of ``clv_3y`` alone by N parameter draws (the
other definition, :func:`xuanba.models.value.customer_value`), to compare the two ways.

    python bench/bench_intervals.py                        # 1 M customers, 3 repeats
    python bench/bench_intervals.py --customers 1e5 --draws 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import bgnbd_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default="bgnbd", choices=["bgnbd", "mbgnbd", "pareto-nbd"])
    parser.add_argument("--level", type=float, default=0.9)
    parser.add_argument("--draws", type=int, default=0, help="also time clv_3y's interval by this many draws")
    args = parser.parse_args()
    import duckdb

    from xuanba import Workspace
    from xuanba.facts import customer_facts
    from xuanba.models.predict import predict_customers, purchase_histories
    from xuanba.models.value import customer_value

    n = int(args.customers)
    data = bgnbd_data(n)
    con = duckdb.connect()
    con.execute("CREATE TABLE transactions AS SELECT * FROM read_parquet(?)", [str(data)])
    ws = Workspace(":memory:")
    ws.replace("transactions", con.execute("SELECT * FROM transactions").df())
    facts = customer_facts(ws, CUTOFF, time_unit="week")
    facts["customer_id"] = facts["customer_id"].astype(str)
    hist, _ = purchase_histories(facts)
    _, models = predict_customers(facts, model=args.model, return_models=True)
    fitted = models["purchases"]
    times: dict[str, list[float]] = {"without": [], "with": []}
    for i in range(args.repeat):
        for name, kw in (("without", {}), ("with", {"interval": args.level})):
            t0 = time.perf_counter()
            predict_customers(facts, model=args.model, purchase_model=fitted, **kw)
            times[name].append(time.perf_counter() - t0)
        print(f"run {i + 1}: without {times['without'][-1]:.2f} s, with {times['with'][-1]:.2f} s", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{len(facts):,} customers, {len(hist):,} distinct (frequency, recency, T) histories, "
          f"{args.model} + Gamma-Gamma, median of {args.repeat}\n")
    print("| predict_customers | median s |")
    print("|---|---:|")
    print(f"| point predictions | {med['without']:.2f} |")
    print(f"| with {args.level:g} intervals | {med['with']:.2f} |")
    print(f"| **ratio** | **{med['with'] / med['without']:.2f}** |")
    if args.draws:
        t0 = time.perf_counter()
        customer_value(fitted, models["spend"], facts, horizon_years=3, interval=args.level, n_draws=args.draws)
        took = time.perf_counter() - t0
        print(f"\nclv_3y's interval alone by {args.draws} parameter draws: {took:.2f} s "
              f"({took / args.draws:.3f} s a draw; 200 draws ~ {200 * took / args.draws:.0f} s)")


if __name__ == "__main__":
    main()
