"""Discounted expected customer value over a horizon of years.

For each customer, the horizon is cut into periods (monthly by default); the expected purchases in
period ``k`` are the difference of the conditional expectation at its edges,
``E[Y(t_k)] - E[Y(t_{k-1})]``, each valued at the customer's expected spend times the margin and
discounted at the annual rate to the end of the period:

``value = margin * spend * sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + rate)^(k / periods_per_year)``

The expectations are computed once per distinct purchase history and per period edge (vectorised),
then joined back by customer. The spend model is fitted on revenue; the margin is applied here,
after the model, never inside it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from xuanba._frames import same_kind
from xuanba.errors import InputError, ModelError, Phrase
from xuanba.facts import DAYS_PER_UNIT
from xuanba.models._base import ID, Model, as_frame, compress
from xuanba.models._uncertainty import (
    DEFAULT_DRAWS,
    check_interval,
    customer_index,
    keyed_output,
    parameter_draws,
)

#: A year in days: twelve months of the facts' month length.
DAYS_PER_YEAR: float = 12 * DAYS_PER_UNIT["month"]


def unit_length(time_unit: str) -> float:
    """Length of ``time_unit`` in days; :class:`InputError` for an unknown unit."""
    from xuanba._dates import unit_days

    return unit_days(time_unit, "time_unit")


def _check_unit(model: Model, time_unit: str) -> None:
    fitted_unit = getattr(model, "time_unit", None)
    if fitted_unit is not None and fitted_unit != time_unit:
        raise InputError(Phrase("err_unit_fitted", fitted=str(fitted_unit), unit=repr(time_unit)),
                         fix=Phrase("err_unit_fitted_fix", fitted=repr(fitted_unit), unit=str(time_unit)))


def expected_purchases_by_period(
    model: Model, table: Any, edges: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Conditional E[Y(t)] at each of ``edges`` for every distinct history of ``table``.

    Returns ``(values, inverse)``: ``values`` has one row per distinct history and one column per
    edge; ``values.iloc[inverse]`` gives the rows of ``table``.
    """
    frame = as_frame(table)
    direct = getattr(type(model), "_expected", None)  # the closed form of BG/NBD, MBG/NBD, Pareto/NBD
    if direct is None:
        distinct, _, inverse = compress(frame, model.history_columns)
        cols = {float(t): np.asarray(model.expected_purchases(distinct, float(t)), dtype=float) for t in edges}
        return pd.DataFrame(cols), inverse
    # Validate and compress once for every edge (expected_purchases would redo both per edge).
    model._require_fitted()
    frame, _ = model._history(frame)
    distinct, _, inverse = compress(frame, model.history_columns)
    arrays = {c: distinct[c].to_numpy(dtype=float) for c in model.history_columns}
    params = model.params_.to_numpy(dtype=float)
    values = np.column_stack([model._expected(params, arrays, float(t)) for t in edges])
    if not np.all(np.isfinite(values)):
        raise ModelError(Phrase("err_non_finite", model=type(model).__name__, what="expected_purchases"),
                         fix=Phrase("err_non_finite_fix"))
    return pd.DataFrame(values, columns=[float(t) for t in edges]), inverse


def customer_value(
    purchase_model: Model,
    spend: Any,
    table: Any,
    *,
    horizon_years: float = 1.0,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    time_unit: str = "week",
    periods_per_year: int = 12,
    interval: float | None = None,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> pd.Series | pd.DataFrame:
    """Discounted expected value of each customer over ``horizon_years`` (see module docstring).

    Parameters
    ----------
    purchase_model
        A fitted model with ``expected_purchases(table, t)`` (BG/NBD, MBG/NBD, Pareto/NBD).
    spend
        A fitted :class:`~xuanba.models.GammaGamma` (its ``expected_spend`` is used) or a Series
        of expected spend per transaction indexed by ``customer_id`` (or aligned with ``table``).
    table
        Customer histories: ``customer_id`` and the columns both models need.
    horizon_years
        1 to 5 years (fractions allowed).
    discount_rate
        Annual discount rate (0.10 = 10% a year).
    margin
        Share of revenue kept as margin, applied after the spend model.
    time_unit
        Unit of ``recency`` and ``T`` in ``table`` ("day", "week", "month").
    periods_per_year
        Discounting periods per year (12 = monthly).
    interval
        Also give ``lower`` and ``upper`` bounds with this coverage (e.g. 0.9), from parameter
        uncertainty only: ``n_draws`` parameter sets of the purchase model and of the spend model
        (independently, as they are fitted separately) drawn from the asymptotic normal of their
        log-parameters, the value recomputed for each draw (seeded by ``seed``).

    Returns
    -------
    Series ``clv`` by customer, or a DataFrame ``[clv, lower, upper]`` with ``interval``; for a
    polars or Arrow ``table``, a table of that kind with ``customer_id`` as its first column.

    Examples
    --------
    >>> import pandas as pd
    >>> from xuanba.models import BGNBD
    >>> m = BGNBD(); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> h = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> spend = pd.Series({"a": 25.0})
    >>> v0 = customer_value(m, spend, h, horizon_years=1, discount_rate=0.0)
    >>> bool(abs(v0["a"] - 25.0 * m.expected_purchases(h, 365.25 / 7)["a"]) < 1e-9)
    True
    """
    if not 0 < horizon_years <= 5:
        raise InputError(Phrase("err_horizon_years", value=repr(horizon_years)), fix=Phrase("err_horizon_years_fix"))
    if discount_rate < 0 or not np.isfinite(discount_rate):
        raise InputError(Phrase("err_discount_rate", value=repr(discount_rate)), fix=Phrase("err_discount_rate_fix"))
    if periods_per_year < 1:
        raise InputError(Phrase("err_periods_per_year"), fix=Phrase("err_periods_per_year_fix"))
    frame = as_frame(table)
    index = customer_index(frame)

    def value(purchases_model: Model, spend_model: Any) -> np.ndarray:
        purchases = discounted_purchases(
            purchases_model, frame, [horizon_years], discount_rate=discount_rate, time_unit=time_unit,
            periods_per_year=periods_per_year,
        )[0]
        return margin * _spend_values(spend_model, frame, index) * purchases

    estimate = value(purchase_model, spend)
    check_interval(interval)
    if interval is None:
        return same_kind(table, pd.Series(estimate, index=index, name="clv"))
    p_draws = parameter_draws(purchase_model, n_draws, seed)
    s_draws = parameter_draws(spend, n_draws, seed + 1) if isinstance(spend, Model) else None
    samples = np.stack([
        value(_with_params(purchase_model, p_draws[i]),
              spend if s_draws is None else _with_params(spend, s_draws[i]))
        for i in range(n_draws)
    ])
    lower, upper = np.nanquantile(samples, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return same_kind(table, keyed_output(index, "clv", estimate, lower, upper))


def _with_params(model: Model, params: np.ndarray) -> Model:
    """A shallow copy of a fitted model with other parameter values (for interval draws)."""
    other = copy.copy(model)
    other.params_ = pd.Series(params, index=model.params_.index, name=model.params_.name)
    return other


def discounted_purchases(
    purchase_model: Model,
    table: Any,
    horizons_years: list[float],
    *,
    discount_rate: float,
    time_unit: str,
    periods_per_year: int = 12,
) -> list[np.ndarray]:
    """Discounted expected purchases of each row of ``table`` over each horizon (in years).

    One pass over the period edges of the longest horizon serves all of them.
    """
    purchase_model._require_fitted()
    _check_unit(purchase_model, time_unit)
    frame = as_frame(table)
    ts, weights = discount_weights(horizons_years, discount_rate=discount_rate, time_unit=time_unit,
                                   periods_per_year=periods_per_year)
    sums, inverse = _weighted_expectations(purchase_model, frame, ts, weights)
    return [sums[:, col][inverse] for col in range(len(horizons_years))]


def discount_weights(
    horizons_years: list[float], *, discount_rate: float, time_unit: str, periods_per_year: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """The period edges (in ``time_unit``) and one column of weights per horizon such that
    ``E[Y(edges)] @ weights`` is the discounted expected purchases over each horizon.

    ``value = sum_k (E[Y(e_k)] - E[Y(e_(k-1))]) d_k = sum_k E[Y(e_k)] (d_k - d_(k+1))``.

    Examples
    --------
    >>> ts, w = discount_weights([1.0], discount_rate=0.0, time_unit="week", periods_per_year=12)
    >>> len(ts), float(w.sum())  # undiscounted: only the last edge counts
    (12, 1.0)
    """
    per_year = DAYS_PER_YEAR / unit_length(time_unit)
    longest = max(horizons_years)
    n_periods = int(np.ceil(longest * periods_per_year - 1e-9))
    ends_years = np.arange(1, n_periods + 1) / periods_per_year
    edges = sorted({*np.minimum(ends_years, longest), *horizons_years})
    index = {e: j for j, e in enumerate(edges)}
    weights = np.zeros((len(edges), len(horizons_years)))
    for col, horizon in enumerate(horizons_years):
        ends = np.minimum(ends_years[ends_years - 1 / periods_per_year < horizon - 1e-12], horizon)
        discount = (1.0 + discount_rate) ** -ends
        weights[[index[e] for e in ends], col] = discount - np.append(discount[1:], 0.0)
    return np.asarray(edges) * per_year, weights


def weighted_expectations_at(
    model: Model, params: np.ndarray, arrays: dict[str, np.ndarray], ts: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``E[Y(ts)] @ weights`` at ``params`` for the distinct histories ``arrays`` (histories x
    columns of ``weights``): the model's one-pass combination when it has one."""
    combine = getattr(model, "_expected_combination", None)  # BG/NBD, MBG/NBD, Pareto/NBD
    if combine is not None:
        return combine(params, arrays, ts, weights)
    return np.column_stack([model._expected(params, arrays, float(t)) for t in ts]) @ weights  # type: ignore[attr-defined]


def _weighted_expectations(
    model: Model, frame: pd.DataFrame, ts: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``E[Y(ts)] @ weights`` per distinct history of ``frame``, and the inverse to its rows."""
    combine = getattr(model, "_expected_combination", None)  # BG/NBD, MBG/NBD, Pareto/NBD
    if combine is None:
        values, inverse = expected_purchases_by_period(model, frame, ts)
        return values.to_numpy() @ weights, inverse
    model._require_fitted()
    frame, _ = model._history(frame)
    distinct, _, inverse = compress(frame, model.history_columns)
    arrays = {c: distinct[c].to_numpy(dtype=float) for c in model.history_columns}
    sums = combine(model.params_.to_numpy(dtype=float), arrays, ts, weights)
    if not np.all(np.isfinite(sums)):
        raise ModelError(Phrase("err_non_finite", model=type(model).__name__, what="expected_purchases"),
                         fix=Phrase("err_non_finite_fix"))
    return sums, inverse


def _spend_values(spend: Any, frame: pd.DataFrame, index: pd.Index) -> np.ndarray:
    if isinstance(spend, Model):
        _check_unitless(spend)
        return np.asarray(spend.expected_spend(frame), dtype=float)  # type: ignore[attr-defined]
    if isinstance(spend, pd.Series):
        if ID in frame.columns:
            missing = ~index.isin(spend.index)
            if missing.any():
                raise InputError(Phrase("err_spend_missing"), count=int(missing.sum()), examples=list(index[missing][:5]),
                                 fix=Phrase("err_spend_missing_fix"))
            return spend.reindex(index).to_numpy(dtype=float)
        return spend.to_numpy(dtype=float)
    values = np.asarray(spend, dtype=float)
    return np.broadcast_to(values, (len(frame),)).copy()


def _check_unitless(spend: Model) -> None:
    if not hasattr(spend, "expected_spend"):
        raise InputError(Phrase("err_not_spend_model", kind=type(spend).__name__), fix=Phrase("err_not_spend_model_fix"))
