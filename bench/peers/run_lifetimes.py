"""lifetimes 0.11.3: BG/NBD fit, or the whole chain (see _protocol.py). Runs in its own venv."""

from __future__ import annotations

import warnings

import pandas as pd
from _protocol import CLV_MONTHS, HORIZON_WEEKS, MONTHLY_DISCOUNT, args, run

warnings.filterwarnings("ignore")
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402


def main() -> None:
    a = args()
    d = pd.read_parquet(a.data)
    f, r, T = d["frequency"], d["recency"], d["T"]

    def fit() -> dict:
        bgf = BetaGeoFitter().fit(f, r, T)
        return {"params": {k: float(v) for k, v in bgf.params_.items()}, "_bgf": bgf}

    def chain() -> dict:
        out = fit()
        bgf = out.pop("_bgf")
        rep = d[d["frequency"] > 0]
        ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
        e52 = bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, f, r, T)
        alive = bgf.conditional_probability_alive(f, r, T)
        clv = ggf.customer_lifetime_value(
            bgf, f, r, T, d["monetary_value"], time=CLV_MONTHS, discount_rate=MONTHLY_DISCOUNT, freq="W"
        )
        out["gg_params"] = {k: float(v) for k, v in ggf.params_.items()}
        out["sums"] = {"expected_52": float(e52.sum()), "p_alive": float(alive.sum()), "clv_36m": float(clv.sum())}
        return out

    def fit_only() -> dict:
        out = fit()
        out.pop("_bgf")
        return out

    run(fit_only if a.task == "fit" else chain, a.repeat, {"peer": "lifetimes"})


if __name__ == "__main__":
    main()
