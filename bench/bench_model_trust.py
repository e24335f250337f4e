"""Benchmark: fits that end at an edge, and the ``auto`` choice on data where the answer is known.

(a) ``edge``: Poisson buyers who never drop out (rate ~ Gamma(2, 4) a week, ages uniform over
    10-78 weeks), where BG/NBD's ``a`` runs to 0 and Pareto/NBD's ``s`` to 0. Times each fit
    (wall and CPU seconds, best of ``--repeat``) and prints its estimates and ``problems_``.
(b) ``auto``: transaction logs simulated from BG/NBD and from Pareto/NBD (three years, first
    purchases in the first half), ``choose_model`` at the last day; counts how often it picks
    the model that made the data, and by which margin.

    python bench/bench_model_trust.py edge --customers 2000 5000
    python bench/bench_model_trust.py auto --customers 1000 --seeds 10

Run against another checkout (e.g. before a change) with ``PYTHONPATH=<that tree>/src``; the
``edge`` part uses only what every version has (``fit``, ``params_``, ``loglik_``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def edge(sizes: list[int], repeat: int) -> None:
    from xuanba.models import BGNBD, MBGNBD, ParetoNBD
    from xuanba.models.paretonbd import sample_customers

    print("| customers | model | wall s | CPU s | log-likelihood | estimates | flagged |")
    print("| ---: | --- | ---: | ---: | ---: | --- | --- |")
    for n in sizes:
        rng = np.random.default_rng(11)
        h = sample_customers(2.0, 4.0, 1e-12, 1.0, rng.uniform(10, 78, n), seed=11).round({"recency": 3, "T": 3})
        for cls in (BGNBD, MBGNBD, ParetoNBD):
            best = (np.inf, np.inf)
            model, error = None, ""
            for _ in range(repeat):
                w0, c0 = time.perf_counter(), time.process_time()
                try:
                    model = cls().fit(h)
                except Exception as exc:  # noqa: BLE001 - the old code raised here; report it
                    error = f"{type(exc).__name__}: {str(exc)[:60]}"
                best = min(best, (time.perf_counter() - w0, time.process_time() - c0))
            if model is None:
                print(f"| {n:,} | {cls.__name__} | {best[0]:.2f} | {best[1]:.2f} | – | {error} | – |")
                continue
            est = ", ".join(f"{k}={v:.3g}" for k, v in model.params_.items())
            problems = getattr(model, "problems_", None)
            flag = "–" if problems is None else ("yes" if problems else "no")
            print(f"| {n:,} | {cls.__name__} | {best[0]:.2f} | {best[1]:.2f} | {model.loglik_:,.2f} | {est} | {flag} |")


def auto(n: int, seeds: int) -> None:
    from xuanba.models.choose import choose_model
    from xuanba.models.simulate import simulate_transactions

    print("| data made by | seed | auto chose | criterion | group error: bgnbd / mbgnbd / pareto-nbd | seconds |")
    print("| --- | ---: | --- | --- | --- | ---: |")
    right = {"bgnbd": 0, "pareto-nbd": 0}
    for kind in right:
        for seed in range(1, seeds + 1):
            tx = simulate_transactions(kind, n, "2023-01-01", "2025-12-31", seed=seed)
            w0 = time.perf_counter()
            c = choose_model(tx, "2025-12-31")
            took = time.perf_counter() - w0
            err = {r["name"]: r["group_mae"] for r in c.candidates}
            errs = " / ".join("–" if err.get(m) is None else f"{err[m]:.3f}" for m in ("bgnbd", "mbgnbd", "pareto-nbd"))
            right[kind] += c.model == kind
            print(f"| {kind} | {seed} | {c.model} | {c.criterion} | {errs} | {took:.1f} |")
    for kind, k in right.items():
        print(f"\n{kind}: auto chose it {k} times out of {seeds}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["edge", "auto"])
    ap.add_argument("--customers", type=int, nargs="+", default=[2000])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    if args.part == "edge":
        edge(args.customers, args.repeat)
    else:
        auto(args.customers[0], args.seeds)


if __name__ == "__main__":
    main()
