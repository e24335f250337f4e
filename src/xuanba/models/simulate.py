"""Dated transaction logs drawn from a purchase model with known parameters.

What the diagnostics and the ``auto`` choice are tested and documented on: data where the right
model is known (BG/NBD, Pareto/NBD) or where no customer ever drops out (``"poisson"``: every
customer buys as a Poisson process for ever, the case where BG/NBD and Pareto/NBD run to an
edge of their parameter space).

Example
-------
>>> tx = simulate_transactions("poisson", 50, "2024-01-01", "2025-12-31", seed=1)
>>> list(tx.columns), tx["customer_id"].nunique()
(['customer_id', 'ts', 'amount'], 50)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from xuanba._dates import as_date
from xuanba.errors import InputError, Listed, Phrase, quoted

#: Default parameters per kind (rates per week): CDNOW-like for BG/NBD and Pareto/NBD.
DEFAULTS: dict[str, dict[str, float]] = {
    "bgnbd": {"r": 0.8, "alpha": 4.0, "a": 0.8, "b": 2.4},
    "pareto-nbd": {"r": 0.8, "alpha": 4.0, "s": 0.6, "beta": 12.0},
    "poisson": {"r": 2.0, "alpha": 4.0},
}


def simulate_transactions(
    kind: str, n: int, start: dt.date | str, end: dt.date | str, *,
    params: dict[str, float] | None = None, seed: int = 0,
) -> pd.DataFrame:
    """``customer_id, ts, amount`` for ``n`` customers whose first purchase falls uniformly in
    the first half of ``[start, end]``; repeat purchases follow ``kind`` until ``end``.

    ``kind``: ``"bgnbd"`` (rate ~ Gamma(r, alpha) per week, drop-out after each repeat purchase
    with p ~ Beta(a, b)), ``"pareto-nbd"`` (exponential lifetime, rate ~ Gamma(s, beta)) or
    ``"poisson"`` (rate ~ Gamma(r, alpha), nobody drops out). Amounts are Gamma(4, 10) draws.
    """
    if kind not in DEFAULTS:
        raise InputError(Phrase("err_unknown_sim_kind", kind=quoted(kind)), fix=Phrase("err_use_one_of", names=Listed(DEFAULTS)))
    p = {**DEFAULTS[kind], **(params or {})}
    first_day, last_day = as_date(start, "start"), as_date(end, "end")
    span_weeks = (last_day - first_day).days / 7.0
    rng = np.random.default_rng(seed)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], n)
    born = rng.uniform(0.0, span_weeks / 2.0, n)
    rows: list[tuple[int, float]] = []
    for i in range(n):
        t = born[i]
        rows.append((i, t))
        life = np.inf
        if kind == "pareto-nbd":
            life = t + rng.exponential(1.0 / max(rng.gamma(p["s"], 1.0 / p["beta"]), 1e-300))
        drop = rng.beta(p["a"], p["b"]) if kind == "bgnbd" else 0.0
        while True:
            t += rng.exponential(1.0 / max(lam[i], 1e-12))
            if t > span_weeks or t > life:
                break
            rows.append((i, t))
            if drop and rng.random() < drop:
                break
    ids = np.array([r[0] for r in rows])
    weeks = np.array([r[1] for r in rows])
    ts = pd.Timestamp(first_day) + pd.to_timedelta(np.floor(weeks * 7.0 * 86400.0), unit="s")
    out: dict[str, Any] = {
        "customer_id": np.char.add("c", np.char.zfill(ids.astype(str), 5)),
        "ts": ts,
        "amount": np.round(rng.gamma(4.0, 10.0, len(rows)), 2),
    }
    return pd.DataFrame(out)
