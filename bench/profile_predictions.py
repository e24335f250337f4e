"""The round's predictions step (``model = "auto"``) taken apart: each piece timed alone, in one
thread, on the data of bench_round.py (1 M customers).

    python bench/profile_predictions.py                  # this tree
    PYTHONPATH=bench/out/src-<sha>/src python bench/profile_predictions.py   # an older commit's
                                                         # src (bench_round.py --against extracts it)

Pieces: the facts at the cutoff are read once (not timed); then the holdout check's calibration
table (the columns a model check reads, and for comparison the full calibration facts), the
distinct histories, each candidate's fit at the cutoff and on the calibration year, Gamma-Gamma,
and ``predict_customers`` with the chosen purchase model given. In a round the check runs in a
thread beside the fits at the cutoff; here each piece runs alone, so the figures add up to CPU
work, not to the step's wall time. Wall and CPU seconds (this process, all threads), the load
average before and after.

    python bench/profile_predictions.py --paretonbd      # also Pareto/NBD's Newton fit against its
                                                         # L-BFGS-B path, side by side
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from bench_facts import CUTOFF  # noqa: E402
from bench_round import _workspace, bgnbd_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--paretonbd", action="store_true",
                        help="also fit Pareto/NBD by its L-BFGS-B path (no exact Hessian) beside the Newton fit")
    args = parser.parse_args()
    n = int(args.customers)
    data = bgnbd_data(n)


    import xuanba
    from xuanba import Workspace
    from xuanba.facts import calibration_holdout, customer_facts
    from xuanba.models.evaluate import CALIBRATION_COLUMNS
    from xuanba.models.gammagamma import GammaGamma
    from xuanba.models.predict import COUNT, fit_model, predict_customers, purchase_histories
    from xuanba.rounds.run import _steady

    cut = dt.date.fromisoformat(CUTOFF)
    cal_end = cut - dt.timedelta(days=365)
    rows: list[tuple[str, float, float]] = []

    def timed(label: str, call):  # noqa: ANN001, ANN202
        t0, c0 = time.perf_counter(), time.process_time()
        out = call()
        rows.append((label, time.perf_counter() - t0, time.process_time() - c0))
        print(f"{label}: {rows[-1][1]:.2f} s", file=sys.stderr, flush=True)
        return out

    print(f"xuanba from {Path(xuanba.__file__).parent}; load {os.getloadavg()}", file=sys.stderr)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "ws.duckdb"
        _workspace(data, path)
        ws = Workspace(path, create=False)
        _ = ws.ibis
        facts = _steady(customer_facts(ws, cut))
        facts["customer_id"] = facts["customer_id"].astype(str)
        timed("calibration table, the columns a model check reads",
              lambda: calibration_holdout(ws, cal_end, cut, columns=CALIBRATION_COLUMNS))
        cal = timed("calibration table, every calibration fact (for comparison)",
                    lambda: calibration_holdout(ws, cal_end, cut))
        cal = cal.sort_values("customer_id", kind="stable").reset_index(drop=True)
        ws.close()
    hist, _ = timed("distinct histories at the cutoff", lambda: purchase_histories(facts))
    hist_cal, _ = purchase_histories(cal)
    fitted = {}
    for name in ("pareto-nbd", "mbgnbd", "bgnbd"):
        fitted[name] = timed(f"fit {name} at the cutoff ({len(hist):,} histories)",
                             lambda name=name: fit_model(name, hist, weights=hist[COUNT].to_numpy()))
        timed(f"fit {name} on the calibration year ({len(hist_cal):,} histories)",
              lambda name=name: fit_model(name, hist_cal, weights=hist_cal[COUNT].to_numpy()))
    if args.paretonbd:
        _paretonbd_paths(hist, hist_cal, timed)
    timed("fit gamma-gamma", lambda: GammaGamma().fit(facts))
    import tracemalloc

    traced = []
    for name in ("bgnbd", "pareto-nbd"):
        tracemalloc.start()
        timed(f"predict_customers, {name} given", lambda name=name: predict_customers(
            facts, model=name, purchase_model=fitted[name], spend_optional=True))
        traced.append(f"predict_customers, {name} given: peak {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB "
                      "traced (NumPy and pandas buffers; Arrow's are not traced)")
        tracemalloc.stop()
    load1 = os.getloadavg()
    print(f"\n{len(facts):,} customers; load average {load0[0]:.1f} before, {load1[0]:.1f} after\n")
    print("| piece | wall s | CPU s |")
    print("|---|---:|---:|")
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")
    print()
    for line in traced:
        print(line)


def _paretonbd_paths(hist, hist_cal, timed) -> None:  # noqa: ANN001
    """Pareto/NBD by Newton (its exact Hessian) and by L-BFGS-B on the gradient (the fit it had
    before), alternating, with the largest relative difference of the estimates and standard
    errors printed to stderr."""
    from xuanba.models import Model, ParetoNBD
    from xuanba.models.predict import COUNT

    for label, h in (("at the cutoff", hist), ("on the calibration year", hist_cal)):
        fits = {}
        for path in ("Newton", "L-BFGS-B"):
            saved = ParetoNBD._loglik_sums
            if path == "L-BFGS-B":
                ParetoNBD._loglik_sums = Model._loglik_sums  # type: ignore[method-assign]
            try:
                fits[path] = timed(f"pareto-nbd {label} by {path}",
                                   lambda h=h: ParetoNBD().fit(h, weights=h[COUNT].to_numpy()))
            finally:
                ParetoNBD._loglik_sums = saved  # type: ignore[method-assign]
        a, b = fits["Newton"], fits["L-BFGS-B"]
        rel = float(((a.params_ - b.params_).abs() / b.params_.abs()).max())
        rel_se = float(((a.stderr_ - b.stderr_).abs() / b.stderr_.abs()).max())
        print(f"pareto-nbd {label}: estimates within {rel:.1e}, standard errors within {rel_se:.1e}, "
              f"log-likelihood {a.loglik_ - b.loglik_:+.1e} (Newton - L-BFGS-B)", file=sys.stderr)


if __name__ == "__main__":
    main()
