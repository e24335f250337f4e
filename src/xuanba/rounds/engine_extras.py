"""What a round on an engine adds to its facts and predictions so that it gives what a workspace
round gives (:mod:`xuanba.rounds.engine`): the predictions' intervals.

**Intervals** (:mod:`xuanba.models.intervals`, the delta method): the interval of a purchase
prediction depends only on the customer's history and the fitted model, so it is computed on the
driver once per distinct ``(frequency, recency, T)`` history and joined back with the point
predictions. The spend model's standard error is a closed form of a continuous mean spend: it is
an engine expression (the forward differences of Gamma-Gamma's conditional mean, written term by
term as :meth:`xuanba.models.gammagamma.GammaGamma._conditional`), and so are the values' bounds,
which combine it with the per-history error of the discounted purchases. The arithmetic is the
workspace's, in the same order; only ``exp`` and ``sqrt`` are the engine's, so a bound can differ
from the workspace's in its last bits, which the round's rounding to six decimals removes (but at
a tie).

Example
-------
>>> import numpy as np, pandas as pd
>>> from xuanba.models import BGNBD
>>> m = BGNBD(time_unit="week"); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
>>> m.covariance_ = np.diag([1e-4, 0.05, 0.01, 0.1]); m.problems_ = []
>>> h = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
>>> cols, said = history_intervals(m, h, 0.9, time_unit="week", discount_rate=0.1)
>>> said, bool((cols["p_alive_lower"] <= cols["p_alive_upper"]).all()), sorted(cols)[:2]
([], True, ['_d1_se', '_d3_se'])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: The purchase predictions whose bounds are computed per distinct history on the driver.
HISTORY_PREDICTIONS = ("p_alive", "expected_purchases_1y", "churn_90d")


def _interval_none(level: float, model: Any, reason: str, fields: str) -> str:
    from xuanba.i18n import t  # raised in English; warning_words says it in the reader's language

    return t("interval_none", "en", level=f"{level * 100:g}%", model=type(model).__name__, reason=reason,
             fields=fields)


def history_intervals(purchases: Any, hist: pd.DataFrame, level: float, *, time_unit: str,
                      discount_rate: float) -> tuple[dict[str, np.ndarray], list[str]]:
    """The bounds of the purchase predictions of each distinct history of ``hist`` (the columns
    ``<prediction>_lower/_upper`` of :data:`HISTORY_PREDICTIONS`) and the standard errors of its
    discounted purchases over 1 and 3 years (``_d1_se``, ``_d3_se``: the values' bounds need them),
    as :func:`xuanba.models.predict.prediction_intervals` computes them per customer; and what to
    say when the fit gives none (then no column)."""
    from xuanba.models._uncertainty import check_interval
    from xuanba.models.intervals import bounds, delta_se, interval_problem
    from xuanba.models.predict import _SCALES
    from xuanba.models.value import (
        DAYS_PER_YEAR,
        discount_weights,
        unit_length,
        weighted_expectations_at,
    )

    check_interval(level)
    problem = interval_problem(purchases)
    if problem is not None:
        return {}, [_interval_none(level, purchases, problem,
                                   "p_alive, expected_purchases_1y, churn_90d, clv_1y and clv_3y")]
    unit_days = unit_length(time_unit)
    arrays = {c: hist[c].to_numpy(dtype=float) for c in purchases.history_columns}
    ts, weights = discount_weights([1, 3], discount_rate=discount_rate, time_unit=time_unit)

    def quantities(p: np.ndarray) -> dict[str, np.ndarray]:
        return {"p_alive": purchases._alive_at(p, arrays),
                "expected_purchases_1y": purchases._expected(p, arrays, DAYS_PER_YEAR / unit_days),
                "churn_90d": purchases._no_purchase(p, arrays, 90 / unit_days),
                "discounted": weighted_expectations_at(purchases, p, arrays, ts, weights)}

    est, se = delta_se(purchases, quantities)
    out: dict[str, np.ndarray] = {}
    for name in HISTORY_PREDICTIONS:
        out[f"{name}_lower"], out[f"{name}_upper"] = bounds(est[name], se[name], level, _SCALES[name])
    out["_d1_se"], out["_d3_se"] = se["discounted"][:, 0], se["discounted"][:, 1]
    return out, []


def spend_interval_said(spend: Any, level: float) -> list[str]:
    """What to say when the spend model gives no interval (its fit cannot be trusted)."""
    from xuanba.models.intervals import interval_problem

    problem = interval_problem(spend)
    return [] if problem is None else [_interval_none(level, spend, problem, "expected_spend, clv_1y and clv_3y")]


def _conditional(p: float, q: float, v: float, x: Any, m: Any) -> Any:
    """Gamma-Gamma's expected spend of ``x`` repeat purchases of mean ``m`` at ``(p, q, v)``, as an
    engine expression in :meth:`~xuanba.models.gammagamma.GammaGamma._conditional`'s order."""
    import ibis

    p_, q_, v_ = ibis.literal(float(p)), ibis.literal(float(q)), ibis.literal(float(v))
    return p_ * (v_ + x * m) / (p_ * x + q_ - 1.0)


def _log_bounds(value: Any, se: Any, z: float) -> tuple[Any, Any]:
    """:func:`xuanba.models.intervals.bounds` on the log scale, as engine expressions: a value
    that is not positive has no spread (its bounds are itself), a missing one missing bounds."""
    import ibis

    spread = ibis.literal(z) * se / value
    inside = value > 0.0
    return (ibis.ifelse(inside, value * (-spread).exp(), value),
            ibis.ifelse(inside, value * spread.exp(), value))


def spend_intervals(t: Any, spend: Any, level: float, margin: float) -> dict[str, Any]:
    """The bounds of ``expected_spend`` and, when ``t`` has the per-history errors of the
    discounted purchases (``_d1_se``, ``_d3_se``), of ``clv_1y`` and ``clv_3y``: engine expressions
    over ``t`` (the facts with the point predictions and ``_d1``, ``_d3`` joined). The spend's
    standard error is :func:`xuanba.models.intervals.delta_se` of the conditional mean, per
    customer; a value's error combines the two independent fits
    (:func:`xuanba.models.intervals.product_se`)."""
    import ibis

    from xuanba.models.intervals import STEP, log_covariance, z_value

    theta = spend.params_.to_numpy(dtype=float)
    cov = log_covariance(spend)
    x = t.frequency.cast("float64")
    m = t.monetary_value.cast("float64")
    usable = (x > 0) & (m > 0)
    x = ibis.ifelse(usable, x, 0.0)
    m = ibis.ifelse(usable, m, 0.0)
    at = _conditional(*theta, x, m)
    grads = []
    for j in range(len(theta)):
        up = theta.copy()
        up[j] *= np.exp(STEP)
        grads.append((_conditional(*up, x, m) - at) / STEP)
    var: Any = None
    for i in range(len(theta)):
        for j in range(len(theta)):
            term = grads[i] * ibis.literal(float(cov[i, j])) * grads[j]
            var = term if var is None else var + term
    se_spend = ibis.greatest(var, 0.0).sqrt()
    z = z_value(level)
    out: dict[str, Any] = {}
    out["expected_spend_lower"], out["expected_spend_upper"] = _log_bounds(t.expected_spend, se_spend, z)
    if "_d1_se" in t.columns:
        for col, d, d_se in (("clv_1y", t._d1, t._d1_se), ("clv_3y", t._d3, t._d3_se)):
            ra, rb = se_spend / at, d_se / d
            se = ibis.literal(float(margin)) * ((at * d).abs() * (ra * ra + rb * rb).sqrt())
            out[f"{col}_lower"], out[f"{col}_upper"] = _log_bounds(t[col], se, z)
    return out


# -- model = "auto" and the model check, on the engine ---------------------------------------------
def evaluate_on_engine(tx: Any, calibration_end: Any, holdout_end: Any, *, models: Any, time_unit: str = "week",
                       penalizer: float = 0.0, start: Any = None) -> Any:
    """:func:`xuanba.models.evaluate.evaluate` (no cumulative view) of the Ibis transactions
    ``tx``: the engine computes every customer's calibration history and holdout purchases
    (:func:`xuanba.facts.expressions.history_holdout_expr`, the workspace's expression) and groups
    them; only the distinct ``(frequency, recency, T, frequency_holdout)`` with their customers
    reach the driver, for :func:`xuanba.models.evaluate.evaluate_groups`."""
    import ibis
    import pyarrow as pa

    from xuanba._dates import as_date
    from xuanba.errors import DataError
    from xuanba.facts.compute import _check_cutoff
    from xuanba.facts.expressions import history_holdout_expr
    from xuanba.models.engine import run
    from xuanba.models.evaluate import evaluate_groups

    cal, hold = as_date(calibration_end, "calibration end"), as_date(holdout_end, "holdout end")
    if hold <= cal:
        raise DataError(f"the holdout end {hold} is not after the calibration end {cal}",
                        fix="Give --holdout-end a date later than --calibration-end.")
    _check_cutoff(tx, cal, tx)
    per = history_holdout_expr(tx, cal, hold, time_unit=time_unit)  # type: ignore[arg-type]
    keys = ["frequency", "recency", "T", "frequency_holdout"]
    grouped = per.group_by(keys).aggregate(customers=per.count(), _first=per.customer_id.min())
    groups = run(grouped).sort_values("_first", kind="stable").drop(columns="_first").reset_index(drop=True)
    groups["customers"] = groups["customers"].astype(float)

    def tied_actual(histories: pd.DataFrame, m: int) -> float:
        """The holdout purchases of the first ``m`` customers by id whose history is one of these."""
        if m <= 0:
            return 0.0
        small = ibis.memtable(pa.Table.from_pandas(histories.rename(columns=lambda c: f"_{c}"), preserve_index=False))
        cond = [per[c] == small[f"_{c}"] for c in ("frequency", "recency", "T")]
        first = per.join(small, cond).select("customer_id", "frequency_holdout").order_by("customer_id").limit(m)
        got = run(first.aggregate(s=first.frequency_holdout.sum()))["s"].iloc[0]
        return 0.0 if pd.isna(got) else float(got)

    return evaluate_groups(groups, cal, hold, models=models, time_unit=time_unit, penalizer=penalizer,
                           start=start, tied_actual=tied_actual)


def choose_on_engine(tx: Any, hist: pd.DataFrame, cutoff: Any, *, time_unit: str, penalizer: float) -> tuple[Any, Any]:
    """``model = "auto"`` on the engine: :func:`xuanba.models.choose.choose_model` on the distinct
    histories at the cutoff ``hist`` (with ``customers``), its holdout check run by
    :func:`evaluate_on_engine`. Returns the choice and the round's model check read from it
    (``None`` when the holdout is not the year before the cutoff: then :func:`model_check_on_engine`)."""
    from xuanba.models.choose import choose_model
    from xuanba.rounds.run import model_check_of

    def holdout(cal: Any, hold: Any, **options: Any) -> Any:
        return evaluate_on_engine(tx, cal, hold, **options)

    choice = choose_model(None, cutoff, histories=hist, holdout=holdout, time_unit=time_unit, penalizer=penalizer)
    check = None
    if choice.model is not None:
        check = model_check_of(choice.evaluation, choice.model, cutoff, time_unit, penalizer)
    choice.evaluation = None  # its tables: not kept past here
    return choice, check


def model_check_on_engine(tx: Any, model: str, cutoff: Any, *, time_unit: str, penalizer: float = 0.0) -> Any:
    """:func:`xuanba.rounds.run.model_check` on the engine: the model fitted on the purchases up to
    the cutoff − 365 days and its expected purchases in the following year against what customers
    bought, by calibration frequency; when the data cannot support it, why."""
    import datetime as dt

    from xuanba.errors import XuanbaError
    from xuanba.rounds.run import StoredTable, _check_info, _check_table

    start = cutoff - dt.timedelta(days=365)
    try:
        ev = evaluate_on_engine(tx, start, cutoff, models=(model,), time_unit=time_unit, penalizer=penalizer)
    except XuanbaError as exc:
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": exc.message})
    except Exception as exc:  # noqa: BLE001 - a side check never fails the round; its reason is kept
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": f"{type(exc).__name__}: {exc}"})
    return _check_table(ev, model, _check_info(model, cutoff, time_unit, penalizer))
