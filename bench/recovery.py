"""Parameter recovery: simulate customers with known parameters, fit, and count how often the
reported 95% intervals (from the Hessian's standard errors) contain the truth.

For every model, ``--reps`` independent data sets of ``--customers`` customers are drawn from the
model itself (bench/simulate.py, continuous time, T uniform over 26–78 weeks; BG/BB over 6
opportunities; Gamma-Gamma spend on BG/NBD repeat buyers) at the published parameters, and each is
fitted. Reported per parameter: coverage of the 95% interval that ``summary()`` reports (Wald
on the log scale, mapped back) and of the plain Wald interval ± 1.96 SE (nominal 0.95; with 50 repetitions
the binomial standard error is 0.03, so 0.89–1.00 is consistent with nominal), the mean relative
bias, and the ratio of the mean reported standard error to the standard deviation of the
estimates across repetitions (1 when the standard errors are honest).

    python bench/recovery.py                               # 50 x 100k customers per model
    python bench/recovery.py --reps 10 --customers 2e4     # quick
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from simulate import (
    BGBB_PARAMS,
    BGNBD_PARAMS,
    GAMMA_GAMMA_PARAMS,
    MBGNBD_PARAMS,
    PARETO_PARAMS,
    add_gamma_gamma_spend,
    simulate_bgbb,
    simulate_bgnbd,
    simulate_mbgnbd,
    simulate_pareto_nbd,
)
from xuanba.models import MODELS

Z95 = 1.959963984540054


def _gamma_gamma(n: int, seed: int) -> pd.DataFrame:
    return add_gamma_gamma_spend(simulate_bgnbd(n, **BGNBD_PARAMS, seed=seed), **GAMMA_GAMMA_PARAMS, seed=seed)


CASES = {
    "bgnbd": (BGNBD_PARAMS, lambda n, s: simulate_bgnbd(n, **BGNBD_PARAMS, seed=s)),
    "mbgnbd": (MBGNBD_PARAMS, lambda n, s: simulate_mbgnbd(n, **MBGNBD_PARAMS, seed=s)),
    "pareto-nbd": (PARETO_PARAMS, lambda n, s: simulate_pareto_nbd(n, **PARETO_PARAMS, seed=s)),
    "gamma-gamma": (GAMMA_GAMMA_PARAMS, _gamma_gamma),
    "bgbb": (BGBB_PARAMS, lambda n, s: simulate_bgbb(n, **BGBB_PARAMS, seed=s)),
}


def study(name: str, reps: int, n: int, seed0: int = 1000) -> pd.DataFrame:
    truth, simulate = CASES[name]
    rows = []
    for rep in range(reps):
        data = simulate(n, seed0 + rep)
        model = MODELS[name]().fit(data)
        summary = model.summary()
        for param, true in truth.items():
            est, se = float(model.params_[param]), float(model.stderr_[param])
            lo, hi = float(summary.loc[param, "lower_95"]), float(summary.loc[param, "upper_95"])
            rows.append({"model": name, "rep": rep, "param": param, "true": true, "estimate": est,
                         "stderr": se, "covered": lo <= true <= hi,
                         "covered_wald": abs(est - true) <= Z95 * se})
    return pd.DataFrame(rows)


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    g = raw.groupby(["model", "param"], sort=False)
    return pd.DataFrame({
        "true": g["true"].first(),
        "mean_estimate": g["estimate"].mean(),
        "rel_bias": g.apply(lambda d: (d["estimate"].mean() - d["true"].iloc[0]) / d["true"].iloc[0]),
        "se_over_sd": g.apply(lambda d: d["stderr"].mean() / d["estimate"].std(ddof=1)),
        "coverage_95": g["covered"].mean(),
        "coverage_wald": g["covered_wald"].mean(),
        "reps": g.size(),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--models", default=",".join(CASES))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "recovery.json")
    args = ap.parse_args()
    raws = []
    for name in args.models.split(","):
        t0 = time.perf_counter()
        raws.append(study(name, args.reps, int(args.customers)))
        print(f"{name}: {args.reps} fits of {int(args.customers):,} customers in {time.perf_counter() - t0:.1f} s",
              flush=True)
    raw = pd.concat(raws, ignore_index=True)
    table = summarise(raw)
    with pd.option_context("display.width", 160, "display.precision", 4, "display.max_columns", 20):
        print(table)
    overall = float(raw["covered"].mean())
    print(f"overall coverage of the reported 95% intervals: {overall:.3f} over {len(raw)} intervals; "
          f"Wald: {float(raw['covered_wald'].mean()):.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"reps": args.reps, "customers": int(args.customers), "overall": overall,
                                    "table": table.reset_index().to_dict("records")}, indent=2))


if __name__ == "__main__":
    main()
