"""Special functions of the Pareto/NBD model, in log space.

Everything the Pareto/NBD needs (likelihood, P(alive), P(no purchase), conditional
expectations) reduces to one tail integral of two gamma-mixture survival curves::

    I(y) = ∫_y^∞ (α+τ)^(−p) (β+τ)^(−q) dτ          (p + q > 1)

The textbook form writes it with Gauss hypergeometric functions and two branches (α ≥ β and
α < β). We use the same branch idea — put the larger rate ``hi`` first — and substitute
``hi + τ = (hi + y)·e^v``, which gives::

    I(y) = (hi + y)^(−m) · J,   J = ∫_0^∞ e^(−m v) (1 − z e^(−v))^(−e_lo) dv
    m = p + q − 1,   z = (hi − lo)/(hi + y) ∈ [0, 1)

and, by Euler's transformation, ``J = (1 − z)^(1 − e_lo) · 2F1(1, e_hi; m + 1; z) / m``. That
2F1 has positive, decreasing series terms and lies in ``[1, 1/(1 − z)]``, so it never
overflows. For ``z <= 0.9`` scipy's ``hyp2f1`` is accurate to ~1e-12 there; closer to 1 (a
large rate ratio at short ages, where scipy can return NaN or lose digits) ``J`` is integrated
directly by Gauss–Legendre panels graded geometrically toward ``v = 0``, with ``(1 − z)^(−e_lo)``
factored out so the integrand stays in ``(0, 1]``. Only logs are returned, so long busy
histories (frequency 300 over T 400) neither overflow nor give NaN.

Example
-------
>>> import numpy as np
>>> from scipy import integrate
>>> ref = integrate.quad(lambda t: (2 + t) ** -1.5 * (3 + t) ** -1.2, 4, np.inf)[0]
>>> bool(np.isclose(np.exp(log_tail_integral(2.0, 1.5, 3.0, 1.2, 4.0)), ref, rtol=1e-10))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

_Z_SERIES_MAX = 0.9
_CHUNK_ROWS = 2048
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)


def _panels(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``u`` and weights ``w`` of the graded Gauss–Legendre panels of
    :func:`_log_j_quadrature`, shared by every row."""
    fine = m * np.minimum(1.0 - z, (1.0 - z) / np.maximum(e_lo, 1e-300))
    lo_scale = float(min(np.min(fine), 1.0)) / 8.0
    n_geo = int(np.ceil(np.log2(64.0 / lo_scale)))
    edges = np.concatenate([[0.0], lo_scale * 2.0 ** np.arange(n_geo + 1)])
    a, b = edges[:-1], edges[1:]
    half = (b - a) / 2.0
    u = (((a + b) / 2.0)[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    w = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    return u, w


def _weighted_nodes(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``v``, ``e^(−v)``, ``log(1 − z e^(−v))`` at the panels' nodes, the normalised weights
    of the integrand there, and ``log J``: what the derivatives of ``log J`` average over."""
    log1mz = np.log1p(-z)
    u, w = _panels(m, e_lo, z)
    v = u[None, :] / m[:, None]
    ev = np.exp(-v)
    log_in = np.log1p(-z[:, None] * ev)  # log(1 − z e^(−v))
    log_f = -u[None, :] + e_lo[:, None] * (log1mz[:, None] - log_in)
    top_log = np.max(log_f, axis=1, keepdims=True)
    weights = np.exp(log_f - top_log) * w[None, :]
    total = weights.sum(axis=1)
    weights /= total[:, None]
    log_j = -e_lo * log1mz + top_log[:, 0] + np.log(total) - np.log(m)
    return v, ev, log_in, weights, log_j


def _log_j_quadrature(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log J by graded Gauss–Legendre panels (for z close to 1), J as in the module docstring.

    In ``u = m·v`` the integrand is ``e^(−u)·((1 − z)/(1 − z e^(−u/m)))^e_lo / m``: the second
    factor lies in (0, 1] and falls off on the scale ``m(1 − z)/e_lo``; the panels double in
    width from an eighth of the smallest such scale up to u = 64 (e^(−64) is below round-off).
    """
    log1mz = np.log1p(-z)
    u, w = _panels(m, e_lo, z)
    log_f = -u[None, :] + e_lo[:, None] * (
        log1mz[:, None] - np.log1p(-z[:, None] * np.exp(-u[None, :] / m[:, None]))
    )
    top_log = np.max(log_f, axis=1, keepdims=True)
    total = np.exp(log_f - top_log) @ w
    return -e_lo * log1mz + top_log[:, 0] + np.log(total) - np.log(m)


def _roles(alpha: Any, p: Any, beta: Any, q: Any, y: Any, *, flat: bool = False) -> tuple[np.ndarray, ...]:
    """The arguments broadcast (flattened with ``flat``) and put in the roles of the module
    docstring: the larger rate ``hi`` with its exponent ``e_hi``, the smaller ``lo`` with
    ``e_lo`` (``swap``: the rows where ``alpha < beta``, so ``hi = beta``), ``m = e_hi + e_lo − 1``,
    ``hy = hi + y`` and ``z = (hi − lo)/(hi + y)``; returns ``(swap, hi, lo, e_hi, e_lo, m, y, hy, z)``.

    Example
    -------
    >>> swap, hi, lo, e_hi, e_lo, m, y, hy, z = _roles(1.0, 2.0, 3.0, 4.0, 1.0)
    >>> bool(swap), float(hi), float(e_hi), float(lo), float(e_lo), float(m), float(z)
    (True, 3.0, 4.0, 1.0, 2.0, 5.0, 0.5)
    """
    alpha, p, beta, q, y = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (alpha, p, beta, q, y)))
    if flat:
        alpha, p, beta, q, y = (np.ravel(v) for v in (alpha, p, beta, q, y))
    swap = alpha < beta
    hi = np.where(swap, beta, alpha)
    lo = np.where(swap, alpha, beta)
    e_hi = np.where(swap, q, p)
    e_lo = np.where(swap, p, q)
    hy = hi + y
    return swap, hi, lo, e_hi, e_lo, e_hi + e_lo - 1.0, y, hy, (hi - lo) / hy


def log_tail_integral(
    alpha: np.ndarray | float,
    p: np.ndarray | float,
    beta: np.ndarray | float,
    q: np.ndarray | float,
    y: np.ndarray | float,
) -> np.ndarray:
    """``log ∫_y^∞ (alpha+τ)^(−p) (beta+τ)^(−q) dτ`` elementwise (arguments broadcast).

    Requires ``alpha, beta > 0``, ``y >= 0`` and ``p + q > 1``; stable for large ``p`` or ``q``.
    """
    _, hi, _, e_hi, e_lo, m, y, hy, z = _roles(alpha, p, beta, q, y)
    out = np.empty(hi.shape, dtype=float)
    near = z > _Z_SERIES_MAX
    far = ~near
    if far.any():
        zf, mf = z[far], m[far]
        out[far] = (
            -np.log(mf)
            + (1.0 - e_lo[far]) * np.log1p(-zf)
            + np.log(special.hyp2f1(1.0, e_hi[far], mf + 1.0, zf))
        )
    if near.any():
        # rows x nodes matrices: keep each chunk to a few million numbers
        mn, en, zn = m[near], e_lo[near], z[near]
        vals = np.empty(mn.shape)
        for lo_i in range(0, len(mn), _CHUNK_ROWS):
            sl = slice(lo_i, lo_i + _CHUNK_ROWS)
            vals[sl] = _log_j_quadrature(mn[sl], en[sl], zn[sl])
        out[near] = vals
    return out - m * np.log(hy)


def log_survival_gamma(rate: np.ndarray | float, shape: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
    """``log (rate/(rate+t))^shape``: log of E[exp(−λ t)] for λ ~ Gamma(shape, rate)."""
    rate = np.asarray(rate, dtype=float)
    return -np.asarray(shape, dtype=float) * np.log1p(np.asarray(t, dtype=float) / rate)


def one_minus_pow_over(k: np.ndarray | float, log_q: np.ndarray | float) -> np.ndarray:
    """``(1 − q^k)/k`` for ``q = exp(log_q) <= 1``, with its limit ``−log q`` at ``k = 0``."""
    k = np.asarray(k, dtype=float)
    log_q = np.asarray(log_q, dtype=float)
    small = np.abs(k) < 1e-10
    safe_k = np.where(small, 1.0, k)
    general = -np.expm1(safe_k * log_q) / safe_k
    return np.where(small, -log_q * (1.0 - 0.5 * k * log_q), general)


# -- derivatives ---------------------------------------------------------------------------------
#: Series terms below this (relative to the sum, which is at least 1) are dropped.
_SERIES_EPS = 1e-17


def _log_j_grad_series(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log J and its derivatives by ``(m, e_lo, z)`` for ``z <= 0.9``, by the series of
    ``F = 2F1(1, b; c; z)`` (``b = m + 1 − e_lo``, ``c = m + 1``): ``t_0 = 1``,
    ``t_(n+1) = t_n z (b+n)/(c+n)``, with ``dt_n/db = t_n Σ_(k<n) 1/(b+k)``,
    ``dt_n/dc = −t_n Σ_(k<n) 1/(c+k)`` and ``z dt_n/dz = n t_n``. The terms fall at least as
    fast as ``z^n``; rows are taken in order of falling ``z`` so that those still summing are a
    prefix."""
    order = np.argsort(-z, kind="stable")
    mo, eo, zo = m[order], e_lo[order], z[order]
    b, c = mo + 1.0 - eo, mo + 1.0
    f, f_b, f_c, f_z = np.ones_like(zo), np.zeros_like(zo), np.zeros_like(zo), np.zeros_like(zo)
    t, s_b, s_c = np.ones_like(zo), np.zeros_like(zo), np.zeros_like(zo)
    neg_z = -zo
    n = 0
    while True:
        # rows whose remaining terms (at most z^(n+1) (n+2)^2 / (1 − z) of the sum) still count
        bound = _SERIES_EPS * (1.0 - 0.9) / (n + 2.0) ** 2
        k = int(np.searchsorted(neg_z, -(bound ** (1.0 / (n + 1.0))), side="left")) if n < 5000 else 0
        if k == 0:
            break
        sl = slice(0, k)
        s_b[sl] += 1.0 / (b[sl] + n)
        s_c[sl] += 1.0 / (c[sl] + n)
        t[sl] *= zo[sl] * (b[sl] + n) / (c[sl] + n)
        n += 1
        f[sl] += t[sl]
        f_b[sl] += t[sl] * s_b[sl]
        f_c[sl] -= t[sl] * s_c[sl]
        f_z[sl] += n * t[sl]
    log1mz = np.log1p(-zo)
    with np.errstate(divide="ignore", invalid="ignore"):
        dz = np.where(zo > 0, f_z / (zo * f), c * 0.0 + b / c)  # F'(0) = b / c
    out = np.empty((len(zo), 3))
    out[:, 0] = -1.0 / mo + (f_b + f_c) / f  # b and c both move with m
    out[:, 1] = -log1mz - f_b / f  # b moves against e_lo
    out[:, 2] = -(1.0 - eo) / (1.0 - zo) + dz
    log_j = -np.log(mo) + (1.0 - eo) * log1mz + np.log(f)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return log_j[back], out[back]


def _log_j_grad_quadrature(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log J and its derivatives by ``(m, e_lo, z)`` for z close to 1, on the panels of
    :func:`_log_j_quadrature`: with ``h(v) = e^(−mv) (1 − z e^(−v))^(−e_lo)``,
    ``∂h/∂m = −v h``, ``∂h/∂e_lo = −log(1 − z e^(−v)) h`` and ``∂h/∂z = e_lo e^(−v)/(1 − z e^(−v)) h``,
    so each derivative of ``log J`` is a mean under the same normalised weights."""
    v, ev, log_in, weights, log_j = _weighted_nodes(m, e_lo, z)
    out = np.empty((len(m), 3))
    out[:, 0] = -(weights * v).sum(axis=1)
    out[:, 1] = -(weights * log_in).sum(axis=1)
    out[:, 2] = e_lo * (weights * (ev / (1.0 - z[:, None] * ev))).sum(axis=1)
    return log_j, out


def log_tail_integral_grad(
    alpha: np.ndarray | float,
    p: np.ndarray | float,
    beta: np.ndarray | float,
    q: np.ndarray | float,
    y: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`log_tail_integral` and its derivatives by ``(alpha, p, beta, q)`` (rows x 4).

    With ``I(y) = (hi+y)^(−m) J(m, e_lo, z)``, ``m = p + q − 1`` and ``z = (hi − lo)/(hi + y)``
    (module docstring), ``∂ log I/∂e_hi = −log(hi+y) + J_m``, ``∂/∂e_lo = −log(hi+y) + J_m +
    J_e``, ``∂/∂hi = −m/(hi+y) + J_z (lo+y)/(hi+y)²`` and ``∂/∂lo = −J_z/(hi+y)``, where
    ``J_m, J_e, J_z`` are the derivatives of ``log J``: by the series of the hypergeometric
    function for ``z <= 0.9``, by differentiating under the quadrature beyond.

    Examples
    --------
    >>> v, g = log_tail_integral_grad(2.0, 1.5, 3.0, 1.2, 4.0)
    >>> h = 1e-6
    >>> up, _ = log_tail_integral_grad(2.0 + h, 1.5, 3.0, 1.2, 4.0)
    >>> bool(np.isclose(g[0, 0], (up[0] - v[0]) / h, rtol=1e-4))
    True
    """
    swap, hi, lo, e_hi, e_lo, m, y, hy, z = _roles(alpha, p, beta, q, y, flat=True)
    log_j = np.empty(len(z))
    dj = np.empty((len(z), 3))
    near = z > _Z_SERIES_MAX
    far = ~near
    if far.any():
        log_j[far], dj[far] = _log_j_grad_series(m[far], e_lo[far], z[far])
    if near.any():
        idx = np.flatnonzero(near)
        for lo_i in range(0, len(idx), _CHUNK_ROWS):
            rows = idx[lo_i:lo_i + _CHUNK_ROWS]
            log_j[rows], dj[rows] = _log_j_grad_quadrature(m[rows], e_lo[rows], z[rows])
    log_hy = np.log(hy)
    d_ehi = -log_hy + dj[:, 0]
    d_elo = d_ehi + dj[:, 1]
    d_hi = -m / hy + dj[:, 2] * (lo + y) / hy**2
    d_lo = -dj[:, 2] / hy
    grad = np.empty((len(z), 4))
    grad[:, 0] = np.where(swap, d_lo, d_hi)  # alpha
    grad[:, 1] = np.where(swap, d_elo, d_ehi)  # p
    grad[:, 2] = np.where(swap, d_hi, d_lo)  # beta
    grad[:, 3] = np.where(swap, d_ehi, d_elo)  # q
    return log_j - m * log_hy, grad


# -- second derivatives --------------------------------------------------------------------------
def _phi_from_series(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray, s: dict[str, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log J, its gradient and Hessian by ``(m, e_lo, z)`` from the sums ``s`` of the series of
    ``F`` and of its derivatives by ``(b, c, z)`` (:func:`_log_j_hess_series`)."""
    f = s["f"]
    # F by (m, e, z): b = m + 1 − e and c = m + 1 both move with m, b against e
    d1 = np.stack([s["b"] + s["c"], -s["b"], s["z"]], axis=1) / f[:, None]
    d2 = np.empty((len(f), 3, 3))
    d2[:, 0, 0] = s["bb"] + 2.0 * s["bc"] + s["cc"]
    d2[:, 0, 1] = d2[:, 1, 0] = -(s["bb"] + s["bc"])
    d2[:, 1, 1] = s["bb"]
    d2[:, 0, 2] = d2[:, 2, 0] = s["bz"] + s["cz"]
    d2[:, 1, 2] = d2[:, 2, 1] = -s["bz"]
    d2[:, 2, 2] = s["zz"]
    log1mz = np.log1p(-z)
    grad = d1.copy()
    grad[:, 0] -= 1.0 / m
    grad[:, 1] -= log1mz
    grad[:, 2] -= (1.0 - e_lo) / (1.0 - z)
    hess = d2 / f[:, None, None] - d1[:, :, None] * d1[:, None, :]
    hess[:, 0, 0] += 1.0 / m**2
    hess[:, 1, 2] += 1.0 / (1.0 - z)
    hess[:, 2, 1] += 1.0 / (1.0 - z)
    hess[:, 2, 2] -= (1.0 - e_lo) / (1.0 - z) ** 2
    return -np.log(m) + (1.0 - e_lo) * log1mz + np.log(f), grad, hess


def _log_j_hess_series(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log J with its gradient and Hessian by ``(m, e_lo, z)`` for ``z <= 0.9``: the series
    ``F = Σ a_n z^n`` of :func:`_log_j_grad_series` (``a_n = Π_(k<n) (b+k)/(c+k)``, at most 1)
    with ``∂a_n/∂b = a_n S_b``, ``∂²a_n/∂b² = a_n (S_b² − Q_b)``, ``∂a_n/∂c = −a_n S_c``,
    ``∂²a_n/∂c² = a_n (S_c² + Q_c)``, ``∂²a_n/∂b∂c = −a_n S_b S_c`` (``S``, ``Q``: sums of
    ``1/(·+k)`` and ``1/(·+k)²`` over ``k < n``) and the powers of ``z`` differentiated term by
    term, so ``z = 0`` (``alpha = beta``) needs no limit. Rows in order of falling ``z``, every
    row for the first three terms (those that carry the derivatives at ``z = 0``)."""
    order = np.argsort(-z, kind="stable")
    mo, eo, zo = m[order], e_lo[order], z[order]
    b, c = mo + 1.0 - eo, mo + 1.0
    n_rows = len(zo)
    keys = ("f", "b", "c", "bb", "bc", "cc", "z", "bz", "cz", "zz")
    s = {k: np.zeros(n_rows) for k in keys}
    s["f"][:] = 1.0
    f_, b_, c_, bb_, bc_, cc_, z_, bz_, cz_, zz_ = (s[k] for k in keys)
    a = np.ones(n_rows)
    sb, sc, qb, qc = (np.zeros(n_rows) for _ in range(4))
    zp1, zp2 = np.ones(n_rows), np.zeros(n_rows)  # z^(n−1) and z^(n−2) at term n
    neg_z = -zo
    n = 0
    while True:
        bound = _SERIES_EPS * (1.0 - 0.9) / (n + 2.0) ** 4 / 100.0
        if n < 3:
            k = n_rows
        elif n < 5000:
            k = int(np.searchsorted(neg_z, -(bound ** (1.0 / (n + 1.0))), side="left"))
        else:  # pragma: no cover - z <= 0.9 ends the sum long before
            k = 0
        if k == 0:
            break
        sl = slice(0, k)
        b_n = b[sl] + n
        bn, cn = 1.0 / b_n, 1.0 / (c[sl] + n)
        sb[sl] += bn
        sc[sl] += cn
        qb[sl] += bn * bn
        qc[sl] += cn * cn
        a[sl] *= b_n * cn
        n += 1
        an, p1, zs = a[sl], zp1[sl], zo[sl]
        t = an * p1 * zs  # a_n z^n
        s_b, s_c = sb[sl], sc[sl]
        t_b = t * s_b
        f_[sl] += t
        b_[sl] += t_b
        c_[sl] -= t * s_c
        bb_[sl] += t * (s_b * s_b - qb[sl])
        bc_[sl] -= t_b * s_c
        cc_[sl] += t * (s_c * s_c + qc[sl])
        dz = n * an * p1  # d(a_n z^n)/dz
        z_[sl] += dz
        bz_[sl] += dz * s_b
        cz_[sl] -= dz * s_c
        zz_[sl] += (n * (n - 1.0)) * an * zp2[sl]
        # z^(n−1) becomes z^(n−2): the arrays trade places (a row past the prefix never returns)
        zp1, zp2 = zp2, zp1
        np.multiply(zp2[sl], zs, out=zp1[sl])
    log_j, grad, hess = _phi_from_series(mo, eo, zo, s)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return log_j[back], grad[back], hess[back]


def _log_j_hess_quadrature(m: np.ndarray, e_lo: np.ndarray, z: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log J with its gradient and Hessian by ``(m, e_lo, z)`` for z close to 1, on the panels
    of :func:`_log_j_quadrature`. With ``ℓ = log h = −m v − e_lo log(1 − z e^(−v))`` the
    derivatives of ``log J`` are means of ``∇ℓ`` and the second ones ``E[∇²ℓ] + Cov(∇ℓ)``
    under the normalised weights; ``ℓ`` is linear in ``m`` and ``e_lo``, and with
    ``g = e^(−v)/(1 − z e^(−v))``: ``ℓ_ez = g``, ``ℓ_zz = e_lo g²``."""
    v, ev, log_in, weights, log_j = _weighted_nodes(m, e_lo, z)
    g = ev / (1.0 - z[:, None] * ev)
    parts = [-v, -log_in, e_lo[:, None] * g]  # ∇ℓ by (m, e_lo, z)
    means = [(weights * p).sum(axis=1) for p in parts]
    centred = [p - mu[:, None] for p, mu in zip(parts, means, strict=True)]
    hess = np.empty((len(m), 3, 3))
    for i in range(3):
        for j in range(i, 3):
            hess[:, i, j] = hess[:, j, i] = (weights * centred[i] * centred[j]).sum(axis=1)
    mean_g = (weights * g).sum(axis=1)
    hess[:, 1, 2] += mean_g
    hess[:, 2, 1] += mean_g
    hess[:, 2, 2] += e_lo * (weights * g * g).sum(axis=1)
    return log_j, np.stack(means, axis=1), hess


def log_tail_integral_hess(
    alpha: np.ndarray | float,
    p: np.ndarray | float,
    beta: np.ndarray | float,
    q: np.ndarray | float,
    y: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`log_tail_integral` with its gradient (rows x 4) and Hessian (rows x 4 x 4) by
    ``(alpha, p, beta, q)``.

    ``log I = log J(m, e_lo, z) − m log(hi+y)`` with ``m = e_hi + e_lo − 1`` and
    ``z = (hi − lo)/(hi + y)`` (module docstring): ``m`` is linear in the exponents and ``z``
    depends on the rates alone, so the Hessian by ``(hi, lo, e_hi, e_lo)`` is the chain rule on
    the gradient and Hessian of ``log J`` (series for ``z <= 0.9``, quadrature beyond) plus the
    terms of ``−m log(hi+y)``; rows with ``alpha < beta`` swap the roles back.

    Examples
    --------
    >>> v, g, h = log_tail_integral_hess(2.0, 1.5, 3.0, 1.2, 4.0)
    >>> eps = 1e-6
    >>> _, g_up, _ = log_tail_integral_hess(2.0, 1.5 + eps, 3.0, 1.2, 4.0)
    >>> bool(np.allclose(h[0, 1], (g_up[0] - g[0]) / eps, rtol=1e-4))
    True
    """
    return log_tail_integrals_hess([(alpha, p, beta, q, y)])[0]


def log_tail_integrals_hess(
    sets: list[tuple[Any, Any, Any, Any, Any]], order: tuple[int, int, int, int] = (0, 1, 2, 3),
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`log_tail_integral_hess` of each ``(alpha, p, beta, q, y)`` of ``sets``, the
    derivatives' columns in ``order`` (column ``k`` is the one by argument ``order[k]`` of
    ``(alpha, p, beta, q)``): the same numbers, in one pass of the series for every set's rows.

    Every row's series is its own (which terms it sums depends on its ``z`` alone), so one
    pass over the rows of all sets gives each row what a pass over its own set gave, with
    half the passes' fixed cost for two sets; the quadrature's panels depend on the smallest
    scale among a chunk's rows, so its rows stay chunked by set as :func:`log_tail_integral_hess`
    chunks them. The derivatives are written straight in the asked order (no gather).

    Example
    -------
    >>> (v, g, h), = log_tail_integrals_hess([(2.0, 1.5, 3.0, 1.2, 4.0)], order=(1, 0, 3, 2))
    >>> v1, g1, h1 = log_tail_integral_hess(2.0, 1.5, 3.0, 1.2, 4.0)
    >>> bool(np.array_equal(g[0], g1[0, [1, 0, 3, 2]])), bool(np.array_equal(h[0], h1[0][[1, 0, 3, 2]][:, [1, 0, 3, 2]]))
    (True, True)
    """
    roles = [_roles(*args, flat=True) for args in sets]
    sizes = [len(r[0]) for r in roles]
    swap, hi, lo, e_hi, e_lo, m, y, hy, z = (np.concatenate([r[i] for r in roles]) for i in range(9))
    n = len(z)
    near = z > _Z_SERIES_MAX
    far = ~near
    if not near.any():  # every row by the series (the usual case): no scatter
        log_j, dj, hj = _log_j_hess_series(m, e_lo, z)
    else:
        log_j, dj, hj = np.empty(n), np.empty((n, 3)), np.empty((n, 3, 3))
        if far.any():
            log_j[far], dj[far], hj[far] = _log_j_hess_series(m[far], e_lo[far], z[far])
    offset = 0
    for size in sizes:
        idx = offset + np.flatnonzero(near[offset:offset + size])
        offset += size
        for lo_i in range(0, len(idx), _CHUNK_ROWS):
            rows = idx[lo_i:lo_i + _CHUNK_ROWS]
            log_j[rows], dj[rows], hj[rows] = _log_j_hess_quadrature(m[rows], e_lo[rows], z[rows])
    log_hy = np.log(hy)
    z_hi, z_lo = (lo + y) / hy**2, -1.0 / hy  # dz/dhi, dz/dlo
    # gradient and Hessian by the roles (hi, lo, e_hi, e_lo)
    d_ehi = -log_hy + dj[:, 0]
    g_role = (-m / hy + dj[:, 2] * z_hi, dj[:, 2] * z_lo, d_ehi, d_ehi + dj[:, 1])
    j_mm, j_me, j_ee = hj[:, 0, 0], hj[:, 0, 1], hj[:, 1, 1]
    j_mz, j_ez, j_zz = hj[:, 0, 2], hj[:, 1, 2], hj[:, 2, 2]
    h_vals = {  # the upper half
        (0, 0): j_zz * z_hi**2 - 2.0 * dj[:, 2] * (lo + y) / hy**3 + m / hy**2,
        (0, 1): j_zz * z_hi * z_lo + dj[:, 2] / hy**2,
        (1, 1): j_zz * z_lo**2,
        (0, 2): j_mz * z_hi - 1.0 / hy,
        (0, 3): (j_mz + j_ez) * z_hi - 1.0 / hy,
        (1, 2): j_mz * z_lo,
        (1, 3): (j_mz + j_ez) * z_lo,
        (2, 2): j_mm,
        (2, 3): j_mm + j_me,
        (3, 3): j_mm + 2.0 * j_me + j_ee,
    }
    # (alpha, p, beta, q) in the roles: alpha = hi, p = e_hi, beta = lo, q = e_lo unless swapped
    role_of = {False: (0, 2, 1, 3), True: (1, 3, 0, 2)}
    value = log_j - m * log_hy
    out = []
    bounds = np.cumsum([0, *sizes])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        # each set's derivatives in arrays of their own, column by column (Fortran order: the
        # layout the sums of a fit over them were written for, which add in another order over
        # another layout)
        k = int(b - a)
        grad, hess = np.empty((4, k)).T, np.empty((4, 4, k)).T
        sw = swap[a:b]
        if sw.all() or not sw.any():  # one role for each column: each written where it goes
            column = {role_of[bool(sw[0]) if k else False][arg]: c for c, arg in enumerate(order)}
            for role, c in column.items():
                grad[:, c] = g_role[role][a:b]
            for (i, j), v in h_vals.items():
                hess[:, column[i], column[j]] = hess[:, column[j], column[i]] = v[a:b]
        else:  # rows of both branches (arrays of rates): each row's roles gathered
            g = np.stack([v[a:b] for v in g_role], axis=1)
            h = np.empty((k, 4, 4))
            for (i, j), v in h_vals.items():
                h[:, i, j] = h[:, j, i] = v[a:b]
            perm = np.where(sw[:, None], np.array(role_of[True]), np.array(role_of[False]))[:, list(order)]
            rows = np.arange(k)[:, None]
            grad[...] = g[rows, perm]
            hess[...] = h[rows[:, :, None], perm[:, :, None], perm[:, None, :]]
        out.append((value[a:b].copy(), grad, hess))
    return out
