"""Simulate customers from the customer-base models with known parameters (vectorised, seeded).

Each function returns one row per customer with the sufficient statistics the models fit on
(``frequency``, ``recency``, ``T``; ``monetary_value`` for spend; ``x``, ``t_x``, ``n`` for BG/BB),
drawn exactly from the model's generative story, with no loop over customers:

* the purchase process is Poisson with rate λ ~ Gamma(r, α) over the customer's observed life;
  given ``k`` potential purchases in (0, L], the time of the ``j``-th is ``L * Beta(j, k - j + 1)``
  (an order statistic of ``k`` uniforms), so ``recency`` needs no list of purchase times;
* BG/NBD: after each repeat purchase the customer drops out with probability p ~ Beta(a, b);
  MBG/NBD: also right after the first purchase; Pareto/NBD: lifetime ~ Exp(μ), μ ~ Gamma(s, β);
* Gamma-Gamma: the mean of ``x`` spends ~ Gamma(p, ν) is Gamma(p x, ν x), ν ~ Gamma(q, γ);
* BG/BB: p ~ Beta(α, β) purchase and θ ~ Beta(γ, δ) dropout per discrete opportunity.

    python bench/simulate.py --customers 1e6 --out bench/out/bgnbd_1m.parquet

T is uniform over 26–78 weeks unless given. With ``days=True`` (the benchmark population) T and
recency are whole days expressed in weeks, as facts computed from dated transactions are;
otherwise continuous (the exact generative model, used by the recovery study).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

# Fader, Hardie & Lee (2005), CDNOW: the parameters the benchmarks simulate from.
BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO_PARAMS = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
MBGNBD_PARAMS = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
GAMMA_GAMMA_PARAMS = {"p": 6.25, "q": 3.74, "v": 15.44}
BGBB_PARAMS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _ages(rng: np.random.Generator, n: int, t_low: float, t_high: float, days: bool) -> np.ndarray:
    if days:  # whole days since the first purchase, as facts computed from dated transactions are
        return rng.integers(round(t_low * 7), round(t_high * 7), n, endpoint=True) / 7.0
    return rng.uniform(t_low, t_high, n)


def _frame(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, days: bool) -> pd.DataFrame:
    if days:  # the last purchase falls on a whole day in (0, T]
        t_x = np.where(x > 0, np.clip(np.ceil(t_x * 7.0 - 1e-9), 1.0, np.round(T * 7.0)) / 7.0, 0.0)
    return pd.DataFrame(
        {"customer_id": np.arange(len(x), dtype=np.int64), "frequency": x, "recency": t_x, "T": T}
    )


def _repeat_process(
    rng: np.random.Generator, lam: np.ndarray, T: np.ndarray, max_purchases: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat purchases in (0, T] at rate ``lam``, stopping after ``max_purchases`` (dropout)."""
    k = rng.poisson(lam * T)
    x = k if max_purchases is None else np.minimum(k, max_purchases)
    t_x = np.zeros(len(x))
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)
    return x.astype(np.int64), t_x


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, *, t_low: float = 26.0, t_high: float = 78.0,
    seed: int = 0, modified: bool = False, days: bool = False,
) -> pd.DataFrame:
    """BG/NBD customers (MBG/NBD with ``modified=True``): dropout after each (repeat) purchase."""
    rng = np.random.default_rng(seed)
    T = _ages(rng, n, t_low, t_high, days)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # number of repeat purchases before dropping out: BG/NBD drops after repeat j >= 1 with prob p;
    # MBG/NBD can also drop right after the first purchase (j = 0).
    drop_after = rng.geometric(p) - (1 if modified else 0)
    x, t_x = _repeat_process(rng, lam, T, drop_after)
    return _frame(x, t_x, T, days)


def simulate_mbgnbd(n: int, r: float, alpha: float, a: float, b: float, **kw: float) -> pd.DataFrame:
    """MBG/NBD customers (Batislam et al. 2007)."""
    return simulate_bgnbd(n, r, alpha, a, b, modified=True, **kw)  # type: ignore[arg-type]


def simulate_pareto_nbd(
    n: int, r: float, alpha: float, s: float, beta: float, *, t_low: float = 26.0, t_high: float = 78.0,
    seed: int = 0, days: bool = False,
) -> pd.DataFrame:
    """Pareto/NBD customers: exponential lifetimes with Gamma-distributed dropout rates."""
    rng = np.random.default_rng(seed)
    T = _ages(rng, n, t_low, t_high, days)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = np.minimum(rng.exponential(1.0 / mu), T)
    x, t_x = _repeat_process(rng, lam, life, None)
    return _frame(x, t_x, T, days)


def add_gamma_gamma_spend(frame: pd.DataFrame, p: float, q: float, v: float, *, seed: int = 0) -> pd.DataFrame:
    """Add ``monetary_value`` (mean repeat spend; 0 without repeats) drawn from Gamma-Gamma."""
    rng = np.random.default_rng(seed + 1_000_003)
    x = frame["frequency"].to_numpy()
    nu = rng.gamma(q, 1.0 / v, len(x))
    mv = np.zeros(len(x))
    pos = x > 0
    mv[pos] = rng.gamma(p * x[pos], 1.0 / (nu[pos] * x[pos]))
    out = frame.copy()
    out["monetary_value"] = mv
    return out


def simulate_bgbb(
    n: int, alpha: float, beta: float, gamma: float, delta: float, *, n_opportunities: int = 6, seed: int = 0
) -> pd.DataFrame:
    """BG/BB customers over ``n_opportunities`` discrete opportunities after the first purchase."""
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n, dtype=np.int64)
    for t in range(1, n_opportunities + 1):
        alive &= rng.random(n) >= theta  # dies at the start of opportunity t with prob theta
        buy = alive & (rng.random(n) < p)
        x += buy
        t_x[buy] = t
    return pd.DataFrame(
        {"customer_id": np.arange(n, dtype=np.int64), "frequency": x, "recency": t_x,
         "periods": np.full(n, n_opportunities, dtype=np.int64)}
    )


def bgnbd_customers(n: int, *, seed: int = 0, spend: bool = True) -> pd.DataFrame:
    """The benchmark population: BG/NBD (FHL 2005 CDNOW parameters), T ~ U(26, 78) weeks, and
    Gamma-Gamma spend (FHL 2005 iso-value parameters). Times are whole days (in weeks), as the
    facts of dated transactions are."""
    frame = simulate_bgnbd(n, **BGNBD_PARAMS, seed=seed, days=True)
    return add_gamma_gamma_spend(frame, **GAMMA_GAMMA_PARAMS, seed=seed) if spend else frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    frame = bgnbd_customers(int(args.customers), seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(args.out, index=False)
    print(f"{len(frame):,} customers, {int(frame.frequency.sum()):,} repeat purchases -> {args.out}")


if __name__ == "__main__":
    main()
