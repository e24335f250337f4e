"""PyMC-Marketing: BG/NBD MAP fit, or the whole chain (see _protocol.py). Runs in its own venv.

The first fit in a process compiles the model (PyTensor); it is reported apart as
``first_fit_s`` and the timed repeats that follow run compiled, as the reference figures do.
"""

from __future__ import annotations

import logging
import time
import warnings

import pandas as pd
from _protocol import CLV_MONTHS, HORIZON_WEEKS, MONTHLY_DISCOUNT, args, run

warnings.filterwarnings("ignore")
logging.getLogger("pymc").setLevel(logging.ERROR)
logging.getLogger("pytensor").setLevel(logging.ERROR)
from pymc_marketing.clv import BetaGeoModel, GammaGammaModel  # noqa: E402


def _params(model, names) -> dict:
    post = model.fit_result
    return {k: float(post[k].values.reshape(-1)[0]) for k in names}


def main() -> None:
    a = args()
    d = pd.read_parquet(a.data)
    d["customer_id"] = range(len(d))
    hist = d[["customer_id", "frequency", "recency", "T"]]

    def fit() -> tuple[dict, object]:
        bg = BetaGeoModel(data=hist)
        bg.fit(method="map", progressbar=False)
        return {"params": _params(bg, ["r", "alpha", "a", "b"])}, bg

    def chain() -> dict:
        out, bg = fit()
        rep = d.loc[d["frequency"] > 0, ["customer_id", "frequency", "monetary_value"]]
        gg = GammaGammaModel(data=rep)
        gg.fit(method="map", progressbar=False)
        e52 = bg.expected_purchases(data=hist, future_t=HORIZON_WEEKS)
        alive = bg.expected_probability_alive(data=hist)
        clv = gg.expected_customer_lifetime_value(
            transaction_model=bg, data=d[["customer_id", "frequency", "recency", "T", "monetary_value"]],
            future_t=CLV_MONTHS, discount_rate=MONTHLY_DISCOUNT, time_unit="W",
        )
        out["gg_params"] = _params(gg, ["p", "q", "v"])
        out["sums"] = {"expected_52": float(e52.sum()), "p_alive": float(alive.sum()), "clv_36m": float(clv.sum())}
        return out

    t0 = time.perf_counter()
    fit()
    first = time.perf_counter() - t0
    run((lambda: fit()[0]) if a.task == "fit" else chain, a.repeat,
        {"peer": "pymc-marketing", "first_fit_s": first})


if __name__ == "__main__":
    main()
