"""Intervals of a round's predictions: parameter uncertainty by the delta method, per history.

What an interval means (the one definition the rounds, the pages and the docs use): the range
in which the customer's *expected* value lies — the expectation given the customer's history —
with probability ``level``, given how precisely the model's parameters are estimated from the
customer base. It is not the range of what the customer will actually buy (a single customer's
purchases vary far more than their expectation); it narrows as the base grows.

How: the estimates' covariance (the inverse observed information, carried to the
log-parameters as ``cov / (theta theta')``) and the gradient of each prediction with respect to
the log-parameters (forward differences, :data:`STEP`) give the prediction's standard error
``se = sqrt(g' cov_log g)`` (the delta method). The interval is symmetric on the scale where
the prediction is unbounded and then carried back: logit for probabilities (P(alive), churn),
log for positive amounts (purchases, spend, value), so it stays inside the prediction's range.
Each prediction is evaluated ``k + 1`` times per *distinct history* (``k`` parameters) and
joined back by customer, instead of once per parameter draw (:mod:`xuanba.models._uncertainty`,
which gives the same intervals within a few percent of their width at 200 times the cost:
tests/test_intervals.py).

A value of the two models (purchases and spend) is their product; the two fits are independent,
so the variances of the logs add.

A fit that cannot be trusted (an estimate at an edge, a singular or ill-conditioned Hessian:
``problems_``) gives no interval: :func:`interval_problem` says why.

Example
-------
>>> import numpy as np, pandas as pd
>>> from xuanba.models import BGNBD
>>> m = BGNBD(); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
>>> m.covariance_ = np.diag([0.0001, 0.05, 0.01, 0.1]); m.problems_ = []
>>> h = {"frequency": np.array([2.0]), "recency": np.array([30.43]), "T": np.array([38.86])}
>>> est, se = delta_se(m, lambda p: {"e": m._expected(p, h, 52.0)})
>>> lo, hi = bounds(est["e"], se["e"], 0.9, "log")
>>> bool(lo[0] < est["e"][0] < hi[0])
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from scipy import special

from xuanba.i18n import t

#: Step of the forward differences, on the log-parameters (a relative step of 0.001 %): the
#: gradient's error is of that relative order, far below what an interval needs.
STEP = 1e-5

Scale = Literal["log", "logit"]


def interval_problem(model: Any) -> str | None:
    """Why ``model`` gives no interval (``None`` when it does): the reasons its fit cannot be
    trusted, or a covariance that is not finite or not positive semi-definite.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from xuanba.models import GammaGamma
    >>> m = GammaGamma(); m.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    >>> m.covariance_ = np.full((3, 3), np.nan); m.problems_ = []
    >>> interval_problem(m)
    'its parameters have no covariance (the Hessian is singular, or the fit ran to an edge)'
    """
    problems = list(getattr(model, "problems_", []) or [])
    if problems:
        return "; ".join(problems)
    theta = model.params_.to_numpy(dtype=float)
    cov = np.asarray(getattr(model, "covariance_", np.nan), dtype=float)
    if cov.shape != (len(theta), len(theta)) or not np.all(np.isfinite(cov)) or np.any(theta <= 0):
        return t("interval_no_covariance", "en")
    eig = np.linalg.eigvalsh(log_covariance(model))
    if eig.min() < -1e-12 * max(eig.max(), 1e-300):
        return t("interval_not_psd", "en")
    return None


def log_covariance(model: Any) -> np.ndarray:
    """The covariance of the log-parameters, ``cov / (theta theta')`` (symmetrised)."""
    theta = model.params_.to_numpy(dtype=float)
    cov = np.asarray(model.covariance_, dtype=float) / np.outer(theta, theta)
    return (cov + cov.T) / 2


def delta_se(
    model: Any, compute: Callable[[np.ndarray], Mapping[str, np.ndarray]]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each quantity of ``compute(params)`` at the estimate and its standard error from the
    parameters' uncertainty (delta method on the log-parameters, forward differences).

    ``compute`` returns named arrays (one value per distinct history, or a 2-D array of several
    columns); it is called ``k + 1`` times. The model must have no :func:`interval_problem`.
    """
    theta = model.params_.to_numpy(dtype=float)
    cov = log_covariance(model)
    estimate = {k: np.asarray(v, dtype=float) for k, v in compute(theta).items()}
    grads: dict[str, list[np.ndarray]] = {k: [] for k in estimate}
    for j in range(len(theta)):
        up = theta.copy()
        up[j] *= np.exp(STEP)
        plus = compute(up)
        for k in estimate:
            grads[k].append((np.asarray(plus[k], dtype=float) - estimate[k]) / STEP)
    se: dict[str, np.ndarray] = {}
    for k, g in grads.items():
        stack = np.stack(g, axis=-1)  # (..., k): the gradient of each value
        var = np.einsum("...i,ij,...j->...", stack, cov, stack)
        se[k] = np.sqrt(np.clip(var, 0.0, None))
    return estimate, se


def z_value(level: float) -> float:
    """The standard normal quantile of a central ``level`` range (1.645 for 0.9)."""
    return float(special.ndtri((1 + level) / 2))


def bounds(value: np.ndarray, se: np.ndarray, level: float, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` interval of a prediction ``value`` with standard error ``se``,
    symmetric on the ``scale`` (``"log"``: positive amounts; ``"logit"``: probabilities) and
    carried back. A value on the edge of its range (0, or 1 for a probability) has no spread:
    its interval is the value itself. A missing value has missing bounds.

    Examples
    --------
    >>> lo, hi = bounds(np.array([0.5, 1.0]), np.array([0.1, 0.0]), 0.9, "logit")
    >>> [round(float(v), 4) for v in lo], [round(float(v), 4) for v in hi]
    ([0.3412, 1.0], [0.6588, 1.0])
    """
    z = z_value(level)
    value = np.asarray(value, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if scale == "log":
            inside = value > 0
            spread = np.where(inside, z * se / np.where(inside, value, 1.0), 0.0)
            lower, upper = value * np.exp(-spread), value * np.exp(spread)
        else:
            inside = (value > 0) & (value < 1)
            safe = np.where(inside, value, 0.5)
            spread = np.where(inside, z * se / (safe * (1 - safe)), 0.0)
            centre = special.logit(safe)
            lower = np.where(inside, special.expit(centre - spread), value)
            upper = np.where(inside, special.expit(centre + spread), value)
    return lower, upper


def product_se(a: np.ndarray, se_a: np.ndarray, b: np.ndarray, se_b: np.ndarray) -> np.ndarray:
    """The standard error of ``a * b`` for independent ``a`` and ``b`` on the log scale
    (relative errors add in quadrature), as a standard error of the product.

    Examples
    --------
    >>> float(product_se(np.array([2.0]), np.array([0.2]), np.array([10.0]), np.array([0.0]))[0])
    2.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.sqrt((se_a / a) ** 2 + (se_b / b) ** 2)
    return np.abs(a * b) * rel
