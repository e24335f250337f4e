"""xuanba: BG/NBD fit, or the whole chain (see _protocol.py), with the main interpreter.

``steps`` gives the wall seconds of each step of the last chain repeat (for profiling).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _protocol import CLV_MONTHS, HORIZON_WEEKS, MONTHLY_DISCOUNT, args, run

from xuanba.models import BGNBD, GammaGamma
from xuanba.models.value import customer_value


def discounted_value(bg: BGNBD, gg: GammaGamma, d: pd.DataFrame) -> pd.Series:
    """36-month value discounted at 1% a month (12.68% a year), monthly periods."""
    return customer_value(
        bg, gg, d, horizon_years=CLV_MONTHS / 12, discount_rate=(1 + MONTHLY_DISCOUNT) ** 12 - 1,
        time_unit="week", periods_per_year=12,
    )


def main() -> None:
    a = args()
    first = pd.read_parquet(a.data)
    # every repeat gets a table of its own, made before the timing: xuanba keeps the grouping of
    # a table into distinct histories for further calls on it, and a repeat must not inherit it
    tables = iter([first, *(first.copy() for _ in range(a.repeat - 1))])
    steps: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        t0 = time.perf_counter()
        value = fn()
        steps[name] = round(time.perf_counter() - t0, 3)
        return value

    def fit() -> dict:
        bg = BGNBD().fit(next(tables))
        return {"params": {k: float(v) for k, v in bg.params_.items()}, "_bg": bg}

    def chain() -> dict:
        d = next(tables)
        bg = timed("bgnbd_fit", lambda: BGNBD().fit(d))
        gg = timed("gamma_gamma_fit", lambda: GammaGamma().fit(d))
        e52 = timed("expected_52", lambda: bg.expected_purchases(d, HORIZON_WEEKS))
        alive = timed("p_alive", lambda: bg.probability_alive(d))
        clv = timed("clv_36m", lambda: discounted_value(bg, gg, d))
        return {
            "params": {k: float(v) for k, v in bg.params_.items()},
            "gg_params": {k: float(v) for k, v in gg.params_.items()},
            "sums": {"expected_52": float(e52.sum()), "p_alive": float(alive.sum()), "clv_36m": float(np.sum(clv))},
            "steps": dict(steps),
        }

    def fit_only() -> dict:
        out = fit()
        out.pop("_bg")
        return out

    run(fit_only if a.task == "fit" else chain, a.repeat, {"peer": "xuanba"})


if __name__ == "__main__":
    main()
