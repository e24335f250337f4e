"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005).

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)`` and
dies after an exponential lifetime with rate ``mu ~ Gamma(s, beta)``, independent of ``lambda``.
With ``I(y) = ∫_y^∞ (alpha+τ)^-(r+x) (beta+τ)^-(s+1) dτ`` (see
:mod:`xuanba.models._paretonbd_math`, which computes it in log space with the usual
``alpha >= beta`` / ``alpha < beta`` hypergeometric branches):

* likelihood ``Γ(r+x) alpha^r beta^s / Γ(r) · [A + s (I(t_x) − I(T))]`` with
  ``A = (alpha+T)^-(r+x) (beta+T)^-s`` (alive at T) — the second term is "died between t_x and T";
* ``P(alive) = A / (A + s (I(t_x) − I(T)))``;
* ``E[Y(t) | history] = P(alive) · (r+x)(beta+T) / ((alpha+T)(s−1)) · [1 − ((beta+T)/(beta+T+t))^(s−1)]``;
* DERT (Fader, Hardie & Shang 2005, "RFM and CLV: using iso-value curves", appendix):
  ``P(alive) · (r+x)/(alpha+T) · (beta+T) · U(1, 2−s; δ(beta+T))`` with the confluent
  hypergeometric ``U`` (``scipy.special.hyperu``), the same as the paper's
  ``δ^(s−1) (beta+T)^s Ψ(s, s; δ(beta+T))`` by Kummer's transformation.

Time is in the unit of ``recency`` and ``T``; ``alpha`` and ``beta`` carry that unit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import integrate, special

from xuanba.errors import InputError, Phrase
from xuanba.models._base import ID, validate_history, wdot
from xuanba.models._paretonbd_math import (
    _Z_SERIES_MAX,
    log_tail_integral,
    log_tail_integral_grad,
    log_tail_integrals_hess,
    one_minus_pow_over,
)
from xuanba.models._purchases import PurchaseModel, check_horizon
from xuanba.models._uncertainty import DEFAULT_DRAWS, per_history

_COLS = ("frequency", "recency", "T")


# -- closed forms at given parameters (arrays broadcast) -----------------------------------------
def distinct_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(x, y)`` pairs and the index of each row's pair (``ux[inv], uy[inv]``).

    Sorted by ``x`` then ``y``, as ``np.unique(..., axis=0)`` gives them, but by hashing each
    column and then the pair of codes: a tenth of the time of sorting rows at a million histories.

    Examples
    --------
    >>> ux, uy, inv = distinct_pairs(np.array([2.0, 0.0, 2.0]), np.array([5.0, 0.0, 5.0]))
    >>> ux.tolist(), uy.tolist(), inv.tolist()
    ([0.0, 2.0], [0.0, 5.0], [1, 0, 1])
    """
    x_codes, x_unique = pd.factorize(np.asarray(x, dtype=float), sort=True)
    y_codes, y_unique = pd.factorize(np.asarray(y, dtype=float), sort=True)
    width = max(len(y_unique), 1)
    inv, codes = pd.factorize(x_codes.astype(np.int64) * width + y_codes, sort=True)
    return x_unique[codes // width], y_unique[codes % width], np.asarray(inv, dtype=np.int64)


def _tail_by_pairs(alpha: float, r: float, beta: float, q: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``log_tail_integral(alpha, r + x, beta, q, y)`` of every row, bit for bit, with the
    values of the series branch (``z <= 0.9``) computed once per distinct ``(x, y)`` pair: each is
    a function of its own arguments. The quadrature's rows (``z > 0.9``), whose panels depend on
    the other rows of their chunk, are computed as rows, in the same chunks.

    Example
    -------
    >>> x, y = np.array([2.0, 0.0, 2.0, 1.0]), np.array([5.0, 0.0, 5.0, 0.5])
    >>> for a, b in ((10.0, 11.0), (0.5, 80.0)):
    ...     assert np.array_equal(_tail_by_pairs(a, 0.5, b, 1.6, x, y), log_tail_integral(a, 0.5 + x, b, 1.6, y))
    """
    ux, uy, inv = distinct_pairs(x, y)
    out = log_tail_integral(alpha, r + ux, beta, q, uy)[inv]
    hi, lo = max(alpha, beta), min(alpha, beta)
    near = np.flatnonzero((hi - lo) / (hi + y) > _Z_SERIES_MAX)
    if len(near):
        out[near] = log_tail_integral(alpha, r + x[near], beta, q, y[near])
    return out


def log_parts(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t_x: Any, big_t: Any,
    *, index: dict[str, np.ndarray] | None = None, by_pairs: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(log const, log A, log B)``: log-likelihood = const + logaddexp(A, B), P(alive) = A/(A+B).

    ``A`` is the "still alive at T" part, ``B = s (I(t_x) − I(T))`` the "died in (t_x, T]" part.
    ``index`` (from :func:`distinct_pairs`, keys ``x1, y1, inv1`` for ``(x, t_x)`` and ``x2, y2,
    inv2`` for ``(x, T)``) evaluates the tail integrals once per distinct pair. ``by_pairs`` (scalar
    parameters, arrays of histories): the same numbers as without it, the tail integrals of the
    series branch evaluated once per distinct pair (:func:`_tail_by_pairs`).
    """
    x = np.asarray(x, dtype=float)
    rx = r + x
    const = special.gammaln(rx) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_a = -rx * np.log(alpha + big_t) - s * np.log(beta + big_t)
    if by_pairs and index is None:
        log_i1 = _tail_by_pairs(alpha, r, beta, s + 1.0, x, np.asarray(t_x, dtype=float))
        log_i2 = _tail_by_pairs(alpha, r, beta, s + 1.0, x, np.asarray(big_t, dtype=float))
    elif index is None:
        log_i1 = log_tail_integral(alpha, rx, beta, s + 1.0, t_x)
        log_i2 = log_tail_integral(alpha, rx, beta, s + 1.0, big_t)
    else:
        log_i1 = log_tail_integral(alpha, r + index["x1"], beta, s + 1.0, index["y1"])[index["inv1"]]
        log_i2 = log_tail_integral(alpha, r + index["x2"], beta, s + 1.0, index["y2"])[index["inv2"]]
    diff = np.minimum(log_i2 - log_i1, 0.0)
    with np.errstate(divide="ignore"):
        log_b = np.log(s) + log_i1 + np.log(-np.expm1(diff))
    log_b = np.where(np.asarray(t_x) >= np.asarray(big_t), -np.inf, log_b)
    return const, log_a, log_b


def loglik_terms(r: float, alpha: float, s: float, beta: float, x: Any, t_x: Any, big_t: Any) -> np.ndarray:
    """Pareto/NBD log-likelihood of each history.

    Examples
    --------
    >>> float(np.round(loglik_terms(0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86), 4))
    -9.5543
    """
    const, log_a, log_b = log_parts(r, alpha, s, beta, x, t_x, big_t)
    return const + np.logaddexp(log_a, log_b)


def probability_alive(
    r: float, alpha: float, s: float, beta: float, x: Any, t_x: Any, big_t: Any, *, by_pairs: bool = False
) -> np.ndarray:
    """P(alive at T | x, t_x, T) (``by_pairs``: see :func:`log_parts`)."""
    _, log_a, log_b = log_parts(r, alpha, s, beta, x, t_x, big_t, by_pairs=by_pairs)
    return np.exp(log_a - np.logaddexp(log_a, log_b))


def expected_alive(r: float, alpha: float, s: float, beta: float, x: Any, big_t: Any, t: Any) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T, x purchases by T] (T = 0, x = 0: a new customer)."""
    bt = beta + np.asarray(big_t, dtype=float)
    log_q = np.log(bt) - np.log(bt + t)
    return (r + np.asarray(x, dtype=float)) * bt / (alpha + big_t) * one_minus_pow_over(s - 1.0, log_q)


def no_purchase_alive(r: float, alpha: float, s: float, beta: float, x: Any, big_t: Any, t: Any) -> np.ndarray:
    """P(no purchase in (T, T+t] | alive at T, x purchases by T).

    Given survival to T, ``lambda ~ Gamma(r+x, alpha+T)`` and ``mu ~ Gamma(s, beta+T)``; no
    purchase means surviving t quietly or dying at some ``τ < t`` before the next purchase.
    """
    x = np.asarray(x, dtype=float)
    big_t = np.asarray(big_t, dtype=float)
    rx = r + x
    scale = rx * np.log(alpha + big_t) + s * np.log(beta + big_t)
    quiet = -rx * np.log(alpha + big_t + t) - s * np.log(beta + big_t + t)
    log_i1 = log_tail_integral(alpha, rx, beta, s + 1.0, big_t)
    log_i2 = log_tail_integral(alpha, rx, beta, s + 1.0, big_t + t)
    with np.errstate(divide="ignore"):
        died = np.log(s) + log_i1 + np.log(-np.expm1(np.minimum(log_i2 - log_i1, 0.0)))
    died = np.where(np.asarray(t) > 0, died, -np.inf)
    return np.minimum(np.exp(scale + np.logaddexp(quiet, died)), 1.0)


def discounted_alive(s: float, beta: float, big_t: Any, delta: float, horizon: float | None) -> np.ndarray:
    """``∫_0^H e^(−δ t) ((beta+T)/(beta+T+t))^s dt``: discounted expected remaining lifetime.

    ``H = horizon`` (``None`` = no end). The infinite integral is ``B·U(1, 2−s; δB)``,
    ``B = beta+T``; a finite one subtracts the same integral started at ``H``.
    """
    b = beta + np.asarray(big_t, dtype=float)
    full = b * special.hyperu(1.0, 2.0 - s, delta * b)
    if horizon is None or not np.isfinite(horizon):
        return full
    bh = b + horizon
    tail = np.exp(-delta * horizon + s * (np.log(b) - np.log(bh))) * bh * special.hyperu(1.0, 2.0 - s, delta * bh)
    return full - tail


def pmf_new(r: float, alpha: float, s: float, beta: float, n: np.ndarray, t: float) -> np.ndarray:
    """``P(X(t) = n)`` for a new customer, by one adaptive integral over the death time.

    ``P = NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s + ∫_0^t NB(n; r, alpha/(alpha+τ)) g(τ) dτ``
    with ``g`` the (gamma-mixed exponential) density of the lifetime; the integral is taken in
    ``u = 1 − (beta/(beta+τ))^s``, in which ``g`` is uniform.
    """
    n = np.asarray(n, dtype=float)

    def nb(tau: Any) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.log(alpha) - np.log(alpha + tau)
            log_q = np.where(tau > 0, np.log(tau) - np.log(alpha + tau), -np.inf)
            val = (special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1)
                   + r * log_p + np.where(n > 0, n * log_q, 0.0))
        return np.exp(val)

    alive = nb(t) * np.exp(-s * np.log1p(t / beta))
    upper = -np.expm1(-s * np.log1p(t / beta))
    if upper <= 0:
        return alive

    def integrand(u: float) -> np.ndarray:
        tau = beta * np.expm1(-np.log1p(-u) / s)
        return nb(tau)

    dead, _ = integrate.quad_vec(integrand, 0.0, upper, epsabs=1e-13, epsrel=1e-10)
    return alive + dead


def sample_customers(
    r: float, alpha: float, s: float, beta: float, T: Any, *, seed: int = 0
) -> pd.DataFrame:
    """Simulate Pareto/NBD histories (``frequency``, ``recency``, ``T``) for the given ages ``T``.

    Examples
    --------
    >>> h = sample_customers(0.55, 10.6, 0.61, 11.7, np.full(1000, 39.0), seed=1)
    >>> list(h.columns), len(h)
    (['customer_id', 'frequency', 'recency', 'T'], 1000)
    """
    rng = np.random.default_rng(seed)
    big_t = np.asarray(T, dtype=float)
    n = len(big_t)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    end = np.minimum(life, big_t)
    x = rng.poisson(lam * end)
    # given x events in (0, end], the last one is the max of x uniforms: end * U^(1/x)
    with np.errstate(divide="ignore"):
        last = np.where(x > 0, end * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({ID: np.arange(n), "frequency": x, "recency": last, "T": big_t})


def _loglik_by_pairs(r: float, alpha: float, s: float, beta: float, idx: dict[str, np.ndarray]) -> np.ndarray:
    """The log-likelihood of :func:`loglik_terms`, with every part evaluated once per distinct value
    it depends on: the constant per frequency ``x``, the "alive" part and ``I(T)`` per ``(x, T)``,
    ``I(t_x)`` per ``(x, t_x)``; only the final combination runs per history (``idx`` from
    :meth:`ParetoNBD._prepare`)."""
    x2, y2 = idx["x2"], idx["y2"]
    xu = idx["xu"]
    const_x = special.gammaln(r + xu) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    rx2 = r + x2
    head2 = const_x[idx["xinv"]] - rx2 * np.log(alpha + y2) - s * np.log(beta + y2)  # const + log A
    log_i2 = log_tail_integral(alpha, rx2, beta, s + 1.0, y2)
    log_i1 = log_tail_integral(alpha, r + idx["x1"], beta, s + 1.0, idx["y1"])[idx["inv1"]]
    inv2 = idx["inv2"]
    const = (const_x[idx["xinv"]])[inv2]
    diff = np.minimum(log_i2[inv2] - log_i1, 0.0)
    log_b = np.log(s) + log_i1 + np.log(-np.expm1(diff))
    log_b = np.where(idx["dead"], -np.inf, log_b)
    return np.logaddexp(head2[inv2], const + log_b)


def _grad_terms(
    r: float, alpha: float, s: float, beta: float, idx: dict[str, np.ndarray], *, hessian: bool = False
) -> dict[str, Any]:
    """The parts the per-row and the summed gradient share: per distinct ``x`` the constant and
    its ``r``-derivative; per ``(x, T)`` pair ``∇log A``; per pair of each tail integral its
    gradient by ``(r, alpha, s, beta)`` (and with ``hessian`` its Hessian, ``h_i1``, ``h_i2``);
    per row ``log A``, ``logaddexp(log A, log B)``, P(alive), ``ρ/(1 − ρ)`` and whether ``B``
    vanishes (see :func:`_loglik_grad_by_pairs`)."""
    x2, y2, inv2 = idx["x2"], idx["y2"], idx["inv2"]
    xu = idx["xu"]
    rx2 = r + x2
    la2, lb2 = np.log(alpha + y2), np.log(beta + y2)
    order = (1, 0, 3, 2)  # (alpha, p, beta, q) -> (r, alpha, s, beta): p = r + x, q = s + 1
    out: dict[str, Any] = {}
    if hessian:  # both pairs' series in one pass, the derivatives written in (r, alpha, s, beta)
        (log_i2, g_i2, h_i2), (log_i1, g_i1, h_i1) = log_tail_integrals_hess(
            [(alpha, rx2, beta, s + 1.0, y2), (alpha, r + idx["x1"], beta, s + 1.0, idx["y1"])], order)
        out["h_i1"], out["h_i2"] = h_i1, h_i2
    else:
        log_i2, g_i2 = log_tail_integral_grad(alpha, rx2, beta, s + 1.0, y2)
        log_i1, g_i1 = log_tail_integral_grad(alpha, r + idx["x1"], beta, s + 1.0, idx["y1"])
        g_i1, g_i2 = g_i1[:, list(order)], g_i2[:, list(order)]
    row_i1 = log_i1[idx["inv1"]]
    diff = np.minimum(log_i2[inv2] - row_i1, 0.0)
    one_minus_rho = -np.expm1(diff)
    dead = idx["dead"] | (one_minus_rho <= 0)
    log_b = np.where(dead, -np.inf, np.log(s) + row_i1 + np.log(np.where(dead, 1.0, one_minus_rho)))
    head = (-rx2 * la2 - s * lb2)[inv2]  # log A, per (x, T) pair, on the rows
    both = np.logaddexp(head, log_b)
    return {
        **out,
        "const_x": special.gammaln(r + xu) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta),
        "d_const_r": special.digamma(r + xu) - special.digamma(r) + np.log(alpha),
        "grad_a": np.column_stack([-la2, -rx2 / (alpha + y2), -lb2, -s / (beta + y2)]),
        "g_i1": g_i1, "g_i2": g_i2,
        "dead": dead, "both": both, "alive": np.exp(head - both),
        "ratio": np.where(dead, 0.0, np.exp(diff) / np.where(dead, 1.0, one_minus_rho)),
    }


def _loglik_grad_by_pairs(
    r: float, alpha: float, s: float, beta: float, idx: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood of each history and its gradient by ``(r, alpha, s, beta)`` (rows x 4),
    each part evaluated once per distinct value it depends on, as :func:`_loglik_by_pairs`.

    With ``ll = const + logaddexp(log A, log B)`` and ``π = A/(A+B)`` (P(alive)), the gradient
    is ``∇const + π ∇log A + (1 − π) ∇log B``; ``log B = log s + log I1 + log(1 − ρ)`` with
    ``ρ = I2/I1`` gives ``∇log B = e_s/s + ∇log I1 + ρ (∇log I1 − ∇log I2)/(1 − ρ)``, and the
    derivatives of ``log I`` come from :func:`log_tail_integral_grad`.
    """
    t = _grad_terms(r, alpha, s, beta, idx)
    inv2, alive, dead = idx["inv2"], t["alive"], t["dead"]
    g_i1, g_i2 = t["g_i1"][idx["inv1"]], t["g_i2"][inv2]
    grad_b = g_i1 + t["ratio"][:, None] * (g_i1 - g_i2)
    grad_b[:, 2] += 1.0 / s
    grads = alive[:, None] * t["grad_a"][inv2] + np.where(dead, 0.0, 1.0 - alive)[:, None] * grad_b
    cx = idx["xrow"]
    grads[:, 0] += t["d_const_r"][cx]
    grads[:, 1] += r / alpha
    grads[:, 2] += np.log(beta)
    grads[:, 3] += s / beta
    return t["const_x"][cx] + t["both"], grads


def _per_frequency(idx: dict[str, Any], counts: np.ndarray) -> np.ndarray:
    """The rows' weights summed per distinct frequency: parameter-free, so computed once per fit
    (kept in ``idx`` for the very ``counts`` array the fit passes at every step)."""
    kept = idx.get("_per_x")
    if kept is None or kept[0] is not counts:
        kept = (counts, np.bincount(idx["xrow"], counts, len(idx["xu"])))
        idx["_per_x"] = kept
    return kept[1]


def _loglik_grad_sum_by_pairs(
    r: float, alpha: float, s: float, beta: float, idx: dict[str, np.ndarray], counts: np.ndarray
) -> tuple[float, np.ndarray]:
    """The ``counts``-weighted sums of :func:`_loglik_grad_by_pairs` (log-likelihood, gradient),
    without a rows x 4 array: each gradient part is a per-pair vector, so the rows' weights are
    summed per pair first (``bincount``) and multiplied by the pairs' gradients once."""
    t = _grad_terms(r, alpha, s, beta, idx)
    inv2, inv1, alive, ratio = idx["inv2"], idx["inv1"], t["alive"], t["ratio"]
    died = counts * np.where(t["dead"], 0.0, 1.0 - alive)  # weight of the "died in (t_x, T]" gradient
    n1, n2 = len(t["g_i1"]), len(t["g_i2"])
    grad = (np.bincount(inv2, counts * alive, n2) @ t["grad_a"]
            + np.bincount(inv1, died * (1.0 + ratio), n1) @ t["g_i1"]
            - np.bincount(inv2, died * ratio, n2) @ t["g_i2"])
    cx = idx["xrow"]
    total = float(counts.sum())
    grad[0] += _per_frequency(idx, counts) @ t["d_const_r"]
    grad[1] += total * r / alpha
    grad[2] += float(died.sum()) / s + total * np.log(beta)
    grad[3] += total * s / beta
    return wdot(counts, t["const_x"][cx] + t["both"]), grad



#: Rows per block of the Hessian's outer products (:func:`_loglik_sums_by_pairs`).
_OUTER_ROWS = 1 << 16


def _weighted_outer(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``Σ_n weights[n] · v_n v_nᵀ`` (4 x 4) for the vectors ``v_n = columns[:, n]``: ten sums
    over contiguous rows, plain loops (``einsum``), never a BLAS call (see
    :func:`xuanba.models._base.wdot`)."""
    weighted = columns * weights
    out = np.empty((4, 4))
    for i in range(4):
        for j in range(i, 4):
            out[i, j] = out[j, i] = np.einsum("i,i->", weighted[i], columns[j])
    return out


def _loglik_sums_by_pairs(
    r: float, alpha: float, s: float, beta: float, idx: dict[str, np.ndarray], counts: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """The ``counts``-weighted log-likelihood, gradient and exact Hessian by ``(r, alpha, s, beta)``.

    Per row ``ll = const + logaddexp(log A, log B)`` with ``π = A/(A+B)``, so
    ``∇²ll = ∇²const + π ∇²log A + (1 − π) ∇²log B + π (1 − π) (∇log A − ∇log B)(…)ᵀ``; with
    ``log B = log s + log I1 + log(1 − ρ)``, ``ρ = I2/I1`` and ``k = ρ/(1 − ρ)``:
    ``∇²log B = −e_s e_sᵀ/s² + (1 + k) ∇²log I1 − k ∇²log I2 − (k + k²) δ δᵀ`` with
    ``δ = ∇log I2 − ∇log I1``. The parts linear in a pair's Hessian are weighted per pair first
    (``bincount``), as in :func:`_loglik_grad_sum_by_pairs`; only the two outer products run
    per row. The Hessians of ``log I`` come from :func:`log_tail_integral_hess`.
    """
    t = _grad_terms(r, alpha, s, beta, idx, hessian=True)
    inv2, inv1, alive, ratio, dead = idx["inv2"], idx["inv1"], t["alive"], t["ratio"], t["dead"]
    died = counts * np.where(dead, 0.0, 1.0 - alive)  # weight of the "died in (t_x, T]" part
    n1, n2 = len(t["g_i1"]), len(t["g_i2"])
    w_a = np.bincount(inv2, counts * alive, n2)
    w_1 = np.bincount(inv1, died * (1.0 + ratio), n1)
    w_2 = np.bincount(inv2, died * ratio, n2)
    grad = w_a @ t["grad_a"] + w_1 @ t["g_i1"] - w_2 @ t["g_i2"]
    cx = idx["xrow"]
    total = float(counts.sum())
    per_x = _per_frequency(idx, counts)
    died_total = float(died.sum())
    grad[0] += per_x @ t["d_const_r"]
    grad[1] += total * r / alpha
    grad[2] += died_total / s + total * np.log(beta)
    grad[3] += total * s / beta
    hess = np.einsum("n,nij->ij", w_1, t["h_i1"]) - np.einsum("n,nij->ij", w_2, t["h_i2"])
    # ∇²log A per (x, T) pair: log A = −(r + x) log(alpha + T) − s log(beta + T)
    ia, ib = 1.0 / (alpha + idx["y2"]), 1.0 / (beta + idx["y2"])
    hess[0, 1] -= wdot(w_a, ia)
    hess[1, 1] += wdot(w_a, (r + idx["x2"]) * ia * ia)
    hess[2, 3] -= wdot(w_a, ib)
    hess[3, 3] += s * wdot(w_a, ib * ib)
    # the constant: gammaln(r + x) − gammaln(r) + r log alpha + s log beta
    hess[0, 0] += per_x @ (special.polygamma(1, r + idx["xu"]) - special.polygamma(1, r))
    hess[0, 1] += total / alpha
    hess[1, 1] -= total * r / alpha**2
    hess[2, 3] += total / beta
    hess[3, 3] -= total * s / beta**2
    hess[2, 2] -= died_total / s**2
    # the outer products, per row, a block of rows at a time (parameters x rows: each
    # parameter's values contiguous; a block bounds what the rows add to the fit's memory)
    gt1, gt2 = np.ascontiguousarray(t["g_i1"].T), np.ascontiguousarray(t["g_i2"].T)
    gta = np.ascontiguousarray(t["grad_a"].T)
    w_spread, w_delta = died * alive, died * ratio * (1.0 + ratio)  # c π (1 − π): zero where B vanishes
    for lo in range(0, len(counts), _OUTER_ROWS):
        rows = slice(lo, lo + _OUTER_ROWS)
        g1 = np.take(gt1, inv1[rows], axis=1)
        delta = np.take(gt2, inv2[rows], axis=1)
        delta -= g1  # ∇log I2 − ∇log I1
        spread = np.take(gta, inv2[rows], axis=1)  # ∇log A − ∇log B
        spread -= g1
        spread += ratio[rows] * delta
        spread[2] -= 1.0 / s
        hess += _weighted_outer(w_spread[rows], spread)
        hess -= _weighted_outer(w_delta[rows], delta)
    hess = np.triu(hess) + np.triu(hess, 1).T  # each pair (i < j) was summed in the upper half
    return wdot(counts, t["const_x"][cx] + t["both"]), grad, hess

class ParetoNBD(PurchaseModel):
    """Pareto/NBD model of repeat purchasing in continuous time.

    Parameters ``r``, ``alpha`` (purchase rate ~ Gamma(r, alpha)) and ``s``, ``beta``
    (drop-out rate ~ Gamma(s, beta)); history columns ``frequency``, ``recency``, ``T``.
    Fitted on distinct histories by the trust-region Newton method on the exact gradient and
    Hessian (:func:`_loglik_sums_by_pairs`), which also give the standard errors; where Newton
    fails or a shape parameter runs past the edge, by L-BFGS-B on the analytic gradient. The
    likelihood is in log space and stays finite for long, busy histories (frequency 300 over T 400).

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = maximum likelihood).
    time_unit
        Unit of ``recency`` and ``T`` ("day", "week", "month"), kept for the record.

    Examples
    --------
    >>> m = ParetoNBD()
    >>> m.params_ = pd.Series({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    >>> round(m.expected_purchases_new(52), 3)
    1.473
    >>> h = pd.DataFrame({"customer_id": ["c1"], "frequency": [26], "recency": [30.85714], "T": [31.0]})
    >>> round(float(m.expected_purchases(h, 52).iloc[0]), 2)
    25.46
    >>> round(float(m.probability_alive(h).iloc[0]), 5)
    0.99787
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    shape_params: ClassVar[tuple[str, ...]] = ("r", "s")
    history_columns: ClassVar[tuple[str, ...]] = _COLS
    newton_stops_at_edge: ClassVar[bool] = True

    def __init__(self, *, penalizer: float = 0.0, time_unit: str | None = None) -> None:
        super().__init__(penalizer=penalizer)
        self.time_unit = time_unit

    # -- fitting -------------------------------------------------------------------------------
    def _validate(self, frame: pd.DataFrame) -> None:
        validate_history(frame)

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        sum_t = wdot(counts, data["T"])
        mean_t = sum_t / float(counts.sum())
        rate = wdot(counts, data["frequency"]) / max(sum_t, 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-9), 1.0, max(mean_t, 1e-6)])

    def _prepare(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x1, y1, inv1 = distinct_pairs(data["frequency"], data["recency"])
        x2, y2, inv2 = distinct_pairs(data["frequency"], data["T"])
        xu, xinv = np.unique(x2, return_inverse=True)
        return {**data, "_pairs": {"x1": x1, "y1": y1, "inv1": inv1, "x2": x2, "y2": y2, "inv2": inv2,  # type: ignore[dict-item]
                                   "xu": xu, "xinv": np.ravel(xinv), "xrow": np.ravel(xinv)[inv2],
                                   "dead": np.asarray(data["recency"] >= data["T"])}}

    def _loglik_grad(self, params: np.ndarray, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        r, alpha, s, beta = (float(v) for v in params)
        if "_pairs" not in data:
            data = self._prepare(data)
        with np.errstate(all="ignore"):
            return _loglik_grad_by_pairs(r, alpha, s, beta, data["_pairs"])  # type: ignore[arg-type]

    def _loglik_grad_sum(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray]:
        r, alpha, s, beta = (float(v) for v in params)
        if "_pairs" not in data:
            data = self._prepare(data)
        with np.errstate(all="ignore"):
            return _loglik_grad_sum_by_pairs(r, alpha, s, beta, data["_pairs"], np.asarray(counts, dtype=float))  # type: ignore[arg-type]

    def _loglik_sums(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        r, alpha, s, beta = (float(v) for v in params)
        if "_pairs" not in data:
            data = self._prepare(data)
        with np.errstate(all="ignore"):
            return _loglik_sums_by_pairs(r, alpha, s, beta, data["_pairs"], np.asarray(counts, dtype=float))  # type: ignore[arg-type]

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, s, beta = (float(v) for v in params)
        with np.errstate(all="ignore"):
            if "_pairs" in data:
                return _loglik_by_pairs(r, alpha, s, beta, data["_pairs"])  # type: ignore[arg-type]
            const, log_a, log_b = log_parts(r, alpha, s, beta, data["frequency"], data["recency"], data["T"])
            return const + np.logaddexp(log_a, log_b)

    # -- predictions at given parameters -------------------------------------------------------
    @staticmethod
    def _alive(p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        """P(alive) of the histories ``h`` at ``p``: two tail integrals per history, the costly
        part of every prediction, which :meth:`_alive_at` keeps for the other predictions."""
        # the distinct histories of many customers share far fewer (x, t_x) and (x, T) pairs
        return probability_alive(*(float(v) for v in p), *(np.ascontiguousarray(h[c], dtype=float) for c in _COLS),
                                 by_pairs=True)

    def _expected(self, p: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        return expected_alive(*p, h["frequency"], h["T"], t) * self._alive_at(p, h)

    def _expected_combination(
        self, p: np.ndarray, h: dict[str, np.ndarray], ts: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """``[E[Y(t) | history] for t in ts] @ weights`` (histories x columns of ``weights``).

        P(alive) — two tail integrals per history, the costly part — is computed once for every
        horizon, and ``E[Y(t) | alive]`` once per distinct (x, T) pair for all of ``ts`` at once
        (a pairs x horizons array); equal to summing :meth:`_expected` horizon by horizon.
        """
        pair, first = self._pairs(h)
        x, big_t = h["frequency"][first][:, None], h["T"][first][:, None]
        per_edge = expected_alive(*p, x, big_t, np.asarray(ts, dtype=float)[None, :])
        return (per_edge @ weights)[pair] * self._alive_at(p, h)[:, None]

    def _no_purchase(self, p: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        alive = self._alive_at(p, h)
        quiet = no_purchase_alive(*p, h["frequency"], h["T"], t)
        return 1.0 - alive * (1.0 - quiet)

    def _dert(self, p: np.ndarray, h: dict[str, np.ndarray], delta: float, horizon: float | None) -> np.ndarray:
        r, alpha, s, beta = p
        rate = (r + h["frequency"]) / (alpha + h["T"])
        return self._alive_at(p, h) * rate * discounted_alive(s, beta, h["T"], delta, horizon)

    # -- public predictions --------------------------------------------------------------------
    def _expected_new(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        return expected_alive(*p, 0.0, 0.0, t)

    def _pmf(self, p: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
        return pmf_new(*p, n, t)

    def expected_discounted_purchases(
        self,
        table: Any,
        discount_rate: float,
        *,
        horizon: float | None = None,
        interval: float | None = None,
        n_draws: int = DEFAULT_DRAWS,
        seed: int = 0,
    ) -> pd.Series | pd.DataFrame:
        """DERT: discounted expected residual transactions of each customer after ``T``.

        ``discount_rate`` is the rate per time unit of ``T`` (compounded: 0.15 a year is
        ``1.15 ** (1/52) - 1`` a week), turned into the continuous ``δ = log(1 + rate)`` of
        Fader, Hardie & Shang (2005). ``horizon`` (same unit) stops the sum; ``None`` = forever.
        Multiply by the expected margin per transaction to get a residual value.

        Examples
        --------
        >>> m = ParetoNBD()
        >>> m.params_ = pd.Series({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
        >>> h = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
        >>> d = m.expected_discounted_purchases(h, 1.15 ** (1 / 52) - 1)
        >>> bool(d.iloc[1] > d.iloc[0] > 0)
        True
        """
        if not np.isfinite(discount_rate) or discount_rate <= 0:
            raise InputError(Phrase("err_discount_time_unit", value=repr(discount_rate)),
                             fix=Phrase("err_discount_time_unit_fix"))
        if horizon is not None:
            check_horizon(horizon, "horizon")
        delta = float(np.log1p(discount_rate))
        return per_history(
            self, table, _COLS, lambda p, h: self._dert(p, h, delta, horizon), "dert",
            interval, n_draws, seed,
        )

    def sample_customers(self, T: Any, *, seed: int = 0) -> pd.DataFrame:
        """Simulate histories from the fitted parameters for customers of ages ``T``."""
        self._require_fitted()
        r, alpha, s, beta = self.params_.to_numpy(dtype=float)
        return sample_customers(r, alpha, s, beta, T, seed=seed)
