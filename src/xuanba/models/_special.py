"""Special functions the BG/NBD family needs, in forms that neither overflow nor lose precision.

The conditional expectation of BG/NBD and MBG/NBD contains ``(1-z)^s * 2F1(a, b; c; z)`` with
``a``, ``b``, ``c`` and ``s`` all growing with the customer's frequency ``x``: for x = 300 the
hypergeometric factor is astronomically large and the power astronomically small. Euler's
transformation ``2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)`` turns the product into
``(1-z)^(s+c-a-b) 2F1(c-a, c-b; c; z)`` whose numerator parameters do not grow with ``x``
(for BG/NBD they are ``a+b-1-r`` and ``a-1``): the series then converges in a few terms and the
value stays near 1. :func:`scaled_hyp2f1` does that and works with ``log(1-z)`` given directly,
so that ``1-z = (alpha+T)/(alpha+T+t)`` is never rounded.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def scaled_hyp2f1(
    a: np.ndarray | float,
    b: np.ndarray | float,
    c: np.ndarray | float,
    log1mz: np.ndarray | float,
    s: np.ndarray | float,
) -> np.ndarray:
    """``(1-z)^s * 2F1(a, b; c; z)`` for ``0 <= z < 1``, given ``log1mz = log(1-z)``.

    Uses Euler's transformation so that the hypergeometric function is evaluated with the
    numerator parameters ``c-a`` and ``c-b`` (small for the BG/NBD family) and the powers are
    combined in log space. Broadcasts like numpy.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> z = 0.3
    >>> bool(np.isclose(scaled_hyp2f1(2.0, 3.0, 4.5, np.log1p(-z), 1.5), (1 - z) ** 1.5 * hyp2f1(2.0, 3.0, 4.5, z)))
    True
    """
    a, b, c, log1mz, s = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, log1mz, s)))
    z = -np.expm1(log1mz)
    value = special.hyp2f1(c - a, c - b, c, z)
    return np.exp((s + c - a - b) * log1mz) * value


def log_nbd_pmf(n: np.ndarray, r: float, log_p: np.ndarray, log1mp: np.ndarray) -> np.ndarray:
    """Log of the negative binomial probability ``Gamma(r+n)/(Gamma(r) n!) p^r (1-p)^n``.

    ``p`` is given through ``log_p`` and ``log1mp = log(1-p)`` (no rounding of ``1-p``).
    """
    n = np.asarray(n, dtype=float)
    return special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1) + r * log_p + n * log1mp


def nbd_survival(n: np.ndarray, r: float, q: np.ndarray | float) -> np.ndarray:
    """``P(N >= n)`` for the negative binomial above, given ``q = 1 - p`` (``n >= 1``).

    ``1 - sum_{j<n} pmf(j)`` written as the regularised incomplete beta ``I_q(n, r)``, so it never
    cancels.
    """
    return special.betainc(np.asarray(n, dtype=float), r, np.asarray(q, dtype=float))
