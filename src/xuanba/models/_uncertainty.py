"""Predictions per distinct history, joined back by customer, with intervals from parameter draws.

Intervals mean what :mod:`xuanba.models.intervals` says (where the customer's expected value
lies given the parameters' uncertainty); the rounds compute them there by the delta method, and
the model methods' ``interval=`` here by draws (the two agree: tests/test_intervals.py).
They reflect **parameter uncertainty only**: parameter sets are drawn from the asymptotic
normal distribution of the *log*-parameters (mean the estimate, covariance the inverse observed
information carried to log scale by the delta method, ``cov / (theta theta')``), the prediction is
recomputed for every draw, and the interval is the central quantile range of those values. Draws
use ``numpy.random.default_rng(seed)``, so the same seed gives the same interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xuanba._frames import same_kind
from xuanba.errors import InputError, ModelError, Phrase
from xuanba.models._base import ID, Model, compress

DEFAULT_DRAWS = 200


def check_interval(interval: float | None) -> None:
    """Raise :class:`InputError` unless ``interval`` is None or in (0, 1)."""
    if interval is not None and not 0 < interval < 1:
        raise InputError(Phrase("err_interval_not_probability", value=repr(interval)),
                         fix=Phrase("err_interval_not_probability_fix"))


def parameter_draws(model: Model, n_draws: int, seed: int) -> np.ndarray:
    """``n_draws`` natural-parameter vectors from the asymptotic normal of the log-parameters."""
    theta = model.params_.to_numpy(dtype=float)
    cov = np.asarray(model.covariance_, dtype=float)
    if not np.all(np.isfinite(cov)):
        raise ModelError(Phrase("err_no_covariance", model=type(model).__name__), fix=Phrase("err_no_covariance_fix"))
    cov_log = cov / np.outer(theta, theta)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(np.log(theta), cov_log, size=n_draws, method="eigh")
    return np.exp(draws)


def with_interval(
    model: Model,
    compute: Callable[[np.ndarray], np.ndarray],
    interval: float | None,
    n_draws: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``compute(params)`` at the estimate and, if asked, the ``interval`` quantiles over draws."""
    check_interval(interval)
    estimate = np.asarray(compute(model.params_.to_numpy(dtype=float)), dtype=float)
    if interval is None:
        return estimate, None, None
    values = np.stack([np.asarray(compute(p), dtype=float) for p in parameter_draws(model, n_draws, seed)])
    lo, hi = np.nanquantile(values, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return estimate, lo, hi


def keyed_output(
    index: pd.Index,
    name: str,
    estimate: np.ndarray,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
) -> pd.Series | pd.DataFrame:
    """A Series named ``name``, or a DataFrame ``[name, lower, upper]`` when there is an interval."""
    if lower is None:
        return pd.Series(estimate, index=index, name=name)
    return pd.DataFrame({name: estimate, "lower": lower, "upper": upper}, index=index)


def customer_index(frame: pd.DataFrame) -> pd.Index:
    """Index of the output: ``customer_id`` when the table has it, else the table's own index."""
    if ID in frame.columns:
        return pd.Index(frame[ID].to_numpy(), name=ID)
    return frame.index


def per_history(
    model: Model,
    data: Any,
    columns: Sequence[str],
    compute: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray],
    name: str,
    interval: float | None,
    n_draws: int,
    seed: int,
    *,
    group: bool = True,
) -> pd.Series | pd.DataFrame:
    """Evaluate ``compute(params, arrays)`` once per distinct history and join back per customer.

    ``group=False`` evaluates it row by row instead: for a closed form of a few arithmetic
    operations on a continuous column (Gamma-Gamma's mean spend), where nearly every row is a
    history of its own, grouping costs more than it saves.
    """
    model._require_fitted()
    frame, _ = model._history(data)
    if group:
        distinct, _, inverse = compress(frame, columns)
        arrays = {c: distinct[c].to_numpy(dtype=float) for c in columns}
    else:
        arrays = {c: frame[c].to_numpy(dtype=float) for c in columns}
        inverse = slice(None)
    est, lo, hi = with_interval(model, lambda p: compute(p, arrays), interval, n_draws, seed)
    if not np.all(np.isfinite(est)):
        raise ModelError(Phrase("err_non_finite_estimate", model=type(model).__name__, name=name),
                         fix=Phrase("err_non_finite_estimate_fix"))
    take = (lambda v: None) if lo is None else (lambda v: v[inverse])
    return same_kind(data, keyed_output(customer_index(frame), name, est[inverse], take(lo), take(hi)))


def scalar_or_series(
    values: Any,
    index_name: str,
    model: Model,
    compute: Callable[[np.ndarray, np.ndarray], np.ndarray],
    name: str,
    interval: float | None,
    n_draws: int,
    seed: int,
) -> float | pd.Series | pd.DataFrame:
    """For predictions over a grid (``t`` or ``n``): a float for a scalar without interval, else a
    Series / DataFrame indexed by the grid values."""
    model._require_fitted()
    scalar = np.ndim(values) == 0
    grid = np.atleast_1d(np.asarray(values, dtype=float))
    est, lo, hi = with_interval(model, lambda p: compute(p, grid), interval, n_draws, seed)
    if scalar and lo is None:
        return float(est[0])
    return keyed_output(pd.Index(grid, name=index_name), name, est, lo, hi)
