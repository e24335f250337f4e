"""Evaluate customer-base models on a calibration / holdout split and say which fits best.

Every model is fitted on the calibration facts, then asked to predict what each customer did in
the holdout period. The comparison gives, per model, the fit (log-likelihood, AIC, BIC) and the
holdout error per customer (MAE, RMSE, correlation, top-decile capture), and the two classic
views of Fader, Hardie & Lee (2005): mean holdout purchases by calibration frequency, and
cumulative repeat purchases period by period (actual against the model's expectation summed
over the cohort's first-purchase days).

Example
-------
>>> import pandas as pd
>>> from xuanba.models.evaluate import evaluate
>>> tx = pd.read_parquet("cdnow_sample.parquet")  # doctest: +SKIP
>>> ev = evaluate(tx.rename(columns={"timestamp": "ts"}), "1997-09-30", "1998-06-30")  # doctest: +SKIP
>>> ev.best, ev.comparison.loc[ev.best, "rmse"]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xuanba._dates import as_date as _as_date
from xuanba._frames import ids_sorted
from xuanba.errors import DataError, InputError, Listed, ModelError, Phrase, XuanbaError

ID = "customer_id"
DEFAULT_MODELS: tuple[str, ...] = ("bgnbd", "pareto-nbd", "mbgnbd")
FREQUENCY_CAP = 7
"""Calibration frequencies at or above this are pooled into one row ("7+")."""
CALIBRATION_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
"""What an evaluation reads of the calibration facts (the engine computes no other fact; the
table :func:`xuanba.facts.facts_and_holdout` gives beside the facts has these)."""


@dataclass
class Evaluation:
    """The result of :func:`evaluate`: tables keyed by model, frequency and period.

    Attributes
    ----------
    comparison
        One row per model (index ``model``): ``n_params``, ``loglik``, ``aic``, ``bic``,
        ``mae``, ``rmse``, ``correlation``, ``top_decile_capture``, ``predicted_total``,
        ``actual_total``; sorted by holdout RMSE.
    by_frequency
        One row per calibration frequency 0..6 and "7+": ``customers``, ``actual`` (mean holdout
        purchases) and one column per model (mean conditional expectation).
    cumulative
        One row per period from the cohort's first purchase to the holdout end: ``period``
        (1-based), ``period_end`` (date), ``holdout`` (whether it lies after the calibration end),
        ``actual`` (repeat purchases in the period), ``actual_cumulative`` and, per model,
        ``<model>`` (expected in the period) and ``<model>_cumulative``.
    predictions
        One row per customer: the calibration history, ``frequency_holdout`` and one column per
        model with its conditional expectation for the holdout.
    best
        The model with the lowest holdout RMSE among the usable ones (fitted, no problem in
        ``problems``); else among the fitted ones; ``""`` when no model could be fitted.
    best_by
        The best model per metric column (highest log-likelihood and correlation and capture,
        lowest AIC, BIC and errors).
    warnings
        What makes the split itself doubtful (a calibration period too short to fit).

    ``comparison`` also has ``error`` (why a model could not be fitted, else ``""``),
    ``problems`` (why its fit cannot be trusted, see :func:`xuanba.models._base.fit_problems`),
    ``usable`` and ``group_mae`` (the error of the mean holdout purchases by calibration
    frequency, weighted by customers).
    """

    calibration_end: dt.date
    holdout_end: dt.date
    time_unit: str
    comparison: pd.DataFrame
    by_frequency: pd.DataFrame
    cumulative: pd.DataFrame | None
    predictions: pd.DataFrame
    best: str
    models: dict[str, Any] = field(default_factory=dict, repr=False)
    best_by: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        """The evaluation in a notebook: the models compared, and holdout purchases by
        calibration frequency (plots: :mod:`xuanba.outputs.plots`)."""
        from xuanba import _html
        from xuanba.i18n import display_lang, t

        lang = display_lang()
        pairs = [(t("nb_calibration_end", lang), self.calibration_end), (t("nb_holdout_end", lang), self.holdout_end),
                 (t("nb_customers", lang), len(self.predictions)), (t("nb_best", lang), self.best)]
        return _html.card(t("nb_evaluation", lang), pairs, _html.table(self.comparison, index=True, lang=lang),
                          _html.table(self.by_frequency, index=True, caption=t("model_title", lang), lang=lang))

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready records (``predictions`` left out: it has a row per customer)."""

        def plain(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer | np.bool_):
                return v.item()
            return v.isoformat() if hasattr(v, "isoformat") else v

        def records(frame: pd.DataFrame, index: str | None = None) -> list[dict[str, Any]]:
            out = frame.reset_index() if index else frame
            return [{k: plain(v) for k, v in row.items()} for row in out.to_dict("records")]

        return {
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "time_unit": self.time_unit,
            "customers": len(self.predictions),
            "best": self.best,
            "best_by": self.best_by,
            "warnings": self.warnings,
            "comparison": records(self.comparison, "model"),
            "by_frequency": records(self.by_frequency, "frequency"),
            "cumulative": records(self.cumulative) if self.cumulative is not None else None,
        }


# -- metrics ------------------------------------------------------------------------------------
def holdout_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, Pearson correlation and top-decile capture of per-customer predictions.

    Top-decile capture is the share of all actual holdout purchases made by the 10% of customers
    (rounded up) with the highest predictions; ties are broken by position, so sort the inputs
    by customer id for a reproducible answer.

    Examples
    --------
    >>> m = holdout_metrics(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0, 1, 2, 5]))
    >>> m["mae"], m["rmse"], round(m["top_decile_capture"], 3)
    (0.5, 1.0, 0.625)
    """
    p = np.asarray(predicted, dtype=float)
    a = np.asarray(actual, dtype=float)
    err = p - a
    n = len(a)
    if n == 0:
        raise DataError(Phrase("err_no_customers_to_evaluate"), fix=Phrase("err_no_customers_to_evaluate_fix"))
    corr = float(np.corrcoef(p, a)[0, 1]) if n > 1 and p.std() > 0 and a.std() > 0 else float("nan")
    k = max(1, math.ceil(0.1 * n))
    top = top_positions(p, k)
    total = a.sum()
    capture = float(a[top].sum() / total) if total > 0 else float("nan")
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "correlation": corr,
        "top_decile_capture": capture,
    }


def top_positions(values: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` largest ``values``, largest first, a tie by position: what
    ``np.argsort(-values, kind="stable")[:k]`` gives, without sorting every value (a model check
    sorted 666,000 predictions three times to keep a tenth of them).

    The ``k``-th largest value is found by a partition; every value above it is in, and of those
    equal to it the first by position; only those ``k`` are sorted.

    >>> top_positions(np.array([1.0, 3.0, 2.0, 3.0, 0.5]), 3).tolist()
    [1, 3, 2]
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if k >= n:
        return np.argsort(-v, kind="stable")
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    neg = -v
    if np.isnan(neg).any():  # NaN sorts last in argsort; keep its exact order the plain way
        return np.argsort(neg, kind="stable")[:k]
    kth = np.partition(neg, k - 1)[k - 1]  # the k-th smallest of -v
    above = np.flatnonzero(neg < kth)
    tied = np.flatnonzero(neg == kth)[: k - len(above)]
    chosen = np.sort(np.concatenate([above, tied]))  # by position: the stable sort's tie order
    return chosen[np.argsort(neg[chosen], kind="stable")]


#: The metric columns of the comparison, and whether more is better.
METRIC_COLUMNS: dict[str, bool] = {
    "loglik": True, "aic": False, "bic": False, "mae": False, "rmse": False,
    "correlation": True, "top_decile_capture": True, "group_mae": False,
}
#: A calibration period shorter than this many days cannot show drop-out: the split is flagged.
MIN_CALIBRATION_DAYS = 90


def _best_of(values: pd.Series, col: str) -> str:
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return ""
    return str(v.idxmax() if METRIC_COLUMNS[col] else v.idxmin())


def group_error(frequency: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute error of the mean holdout purchases by calibration frequency (0..6, 7+),
    each group weighted by its customers (a group of one customer counts once, not as much as a
    group of 500).

    Examples
    --------
    >>> round(group_error(np.array([0, 0, 0, 9]), np.array([1.0, 1.0, 1.0, 9.0]),
    ...                   np.array([1, 1, 1, 40])), 2)
    7.75
    """
    group = np.minimum(np.asarray(frequency, dtype=np.int64), FREQUENCY_CAP)
    n = np.bincount(group, minlength=FREQUENCY_CAP + 1).astype(float)
    keep = n > 0
    mean_p = np.bincount(group, weights=predicted, minlength=FREQUENCY_CAP + 1)[keep] / n[keep]
    mean_a = np.bincount(group, weights=actual, minlength=FREQUENCY_CAP + 1)[keep] / n[keep]
    return float(np.sum(n[keep] * np.abs(mean_p - mean_a)) / n[keep].sum())


def span_days(longest_t: float, days_per_unit: float) -> float:
    """The history's span in days from its longest ``T`` in another unit, to the thousandth of a
    day: ``T`` is stored rounded (weeks to six decimals), and a span of 1,095 days read back as
    1,094.999997 would hold out 364 days instead of a year.

    >>> round(1095 / 7, 6) * 7 < 1095, span_days(round(1095 / 7, 6), 7.0)
    (True, 1095.0)
    """
    return round(longest_t * days_per_unit, 3)


def split_warnings(frame: pd.DataFrame, duration: float, unit_days: float) -> list[str]:
    """Why a calibration/holdout split is doubtful: a calibration period (first purchase to the
    calibration end) shorter than :data:`MIN_CALIBRATION_DAYS` or than a quarter of the holdout."""
    span = span_days(float(frame["T"].max()), unit_days)
    hold_days = duration * unit_days
    if span < MIN_CALIBRATION_DAYS or span < hold_days / 4:
        return [
            f"the calibration period is too short to fit: {span:.0f} days of purchases before "
            f"the calibration end against a holdout of {hold_days:.0f} days (needs at least "
            f"{MIN_CALIBRATION_DAYS} days and a quarter of the holdout)"
        ]
    return []


# -- model plumbing -----------------------------------------------------------------------------
def _model_class(name: str) -> type:
    from xuanba.models import MODELS

    usable = ("bgnbd", "pareto-nbd", "mbgnbd")
    if name not in MODELS or name not in usable:
        raise InputError(Phrase("err_evaluate_model", name=repr(name)),
                         fix=Phrase("err_evaluate_model_fix", names=Listed(usable)))
    return MODELS[name]


def _expected_new(model: Any, t: np.ndarray) -> np.ndarray:
    """Unconditional expected repeat purchases in (0, t] for each t (vectorised when possible)."""
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    pos = t > 0
    if not pos.any():
        return out
    try:
        vals = np.asarray(model.expected_purchases_new(t[pos]), dtype=float).reshape(-1)
        if len(vals) != int(pos.sum()):
            raise ValueError
    except (TypeError, ValueError):
        vals = np.array([float(model.expected_purchases_new(float(v))) for v in t[pos]])
    out[pos] = vals
    return out


# -- the two classic views ----------------------------------------------------------------------
def _by_frequency(frame: pd.DataFrame, predicted: dict[str, np.ndarray]) -> pd.DataFrame:
    freq = frame["frequency"].to_numpy()
    group = np.minimum(freq, FREQUENCY_CAP)
    labels = [str(i) for i in range(FREQUENCY_CAP)] + [f"{FREQUENCY_CAP}+"]
    data: dict[str, Any] = {"customers": np.bincount(group, minlength=FREQUENCY_CAP + 1)}
    counts = np.maximum(data["customers"], 1)
    actual = frame["frequency_holdout"].to_numpy(dtype=float)
    data["actual"] = np.bincount(group, weights=actual, minlength=FREQUENCY_CAP + 1) / counts
    for name, pred in predicted.items():
        data[name] = np.bincount(group, weights=pred, minlength=FREQUENCY_CAP + 1) / counts
    out = pd.DataFrame(data, index=pd.Index(labels, name="frequency"))
    empty = out["customers"] == 0
    out.loc[empty, [c for c in out.columns if c != "customers"]] = np.nan
    return out


def _period_index(offset_units: np.ndarray) -> np.ndarray:
    """Period number of a time offset from the calibration end: period k is (k-1, k]."""
    return np.ceil(np.round(offset_units, 9)).astype(np.int64)


def _cumulative(
    frame: pd.DataFrame,
    repeat_offsets_days: pd.DataFrame,
    models: dict[str, Any],
    calibration_end: dt.date,
    duration: float,
    unit_days: float,
) -> pd.DataFrame:
    """Actual and expected repeat purchases per period, periods aligned to end on the calibration end."""
    T = frame["T"].to_numpy(dtype=float)
    k_first = int(_period_index(np.array([-T.max()]))[0])
    k_last = int(math.ceil(round(duration, 9)))
    ks = np.arange(k_first, k_last + 1)
    ends = np.minimum(ks.astype(float), duration)  # offset (units) of each period's end
    # Actual: repeat occasions by day offset from the calibration end, binned into periods.
    off = repeat_offsets_days["offset_days"].to_numpy(dtype=float) / unit_days
    n = repeat_offsets_days["n"].to_numpy(dtype=float)
    kk = _period_index(off)
    keep = (kk >= k_first) & (kk <= k_last)
    actual = np.bincount(kk[keep] - k_first, weights=n[keep], minlength=len(ks))
    out = pd.DataFrame(
        {
            "period": ks - k_first + 1,
            "period_end": [calibration_end + dt.timedelta(days=math.floor(e * unit_days + 1e-9)) for e in ends],
            "holdout": ks > 0,
            "actual": actual,
            "actual_cumulative": np.cumsum(actual),
        }
    )
    # Expected: sum over customers of E[X(age at period end)], once per distinct T.
    t_vals, t_counts = np.unique(np.round(T, 9), return_counts=True)
    ages = t_vals[:, None] + ends[None, :]
    flat = ages.reshape(-1)
    for name, model in models.items():
        e = _expected_new(model, np.clip(flat, 0.0, None)).reshape(ages.shape)
        cum = t_counts @ e
        out[f"{name}_cumulative"] = cum
        out[name] = np.diff(cum, prepend=0.0)
    cols = ["period", "period_end", "holdout", "actual"] + list(models) + ["actual_cumulative"] + [
        f"{m}_cumulative" for m in models
    ]
    return out[cols]


def _repeat_offsets(source: Any, calibration_end: dt.date, holdout_end: dt.date) -> pd.DataFrame:
    """Repeat purchase occasions (day-merged) of the calibration cohort, counted by day offset."""
    from xuanba.facts.compute import _execute, transactions_table
    from xuanba.facts.expressions import _occasions, purchase_days

    tx = transactions_table(source)
    occ = _occasions(purchase_days(tx, holdout_end), holdout_end, 1.0, "day")
    first = occ.group_by(ID).aggregate(first=occ.occasion.min())
    j = occ.join(first, ID)
    j = j.filter((j.first <= calibration_end) & (j.occasion > j.first))
    import ibis

    offset = j.occasion.delta(ibis.literal(calibration_end), unit="day").cast("int64")
    m = j.mutate(offset_days=offset)
    expr = m.group_by("offset_days").aggregate(n=m.count()).order_by("offset_days")
    return _execute(expr, source)


def _candidates_and_window(models: Sequence[str], calibration_end: Any, holdout_end: Any,
                           time_unit: str) -> tuple[dict[str, type], dt.date, dt.date]:
    """The model classes to compare (each name once, in order) and the calibration and holdout
    ends as dates; a clear error for an unknown unit or model, or none at all."""
    from xuanba._dates import check_unit

    check_unit(time_unit, "time_unit")
    names = list(dict.fromkeys(models))
    if not names:
        raise InputError(Phrase("err_no_model_to_evaluate"), fix=Phrase("err_no_model_to_evaluate_fix"))
    classes = {name: _model_class(name) for name in names}
    return classes, _as_date(calibration_end, "calibration end"), _as_date(holdout_end, "holdout end")


def _fit_candidates(classes: Mapping[str, type], hist: pd.DataFrame, duration: float, take: np.ndarray,
                    weights: np.ndarray | None, figures: Callable[[np.ndarray], dict[str, Any]], *,
                    time_unit: str, penalizer: float, start: Mapping[str, Any] | None = None,
                    ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, np.ndarray]]:
    """Each candidate of ``classes`` fitted on the distinct calibration histories ``hist`` (their
    counts as weights), its expected holdout purchases per row (``take``: each row's history) and
    its comparison row (fit statistics and ``figures(predictions)``); one model failing never
    loses the others' results: its row says why (a fit gone astray shows as predictions that are
    not numbers, counted in rows, or in customers with ``weights``). Returns the rows, the fitted
    models and their predictions."""
    from xuanba.models.predict import COUNT

    rows: list[dict[str, Any]] = []
    fitted: dict[str, Any] = {}
    predicted: dict[str, np.ndarray] = {}
    for name, cls in classes.items():
        row: dict[str, Any] = {"model": name, "n_params": np.nan, "error": "", "problems": ""}
        rows.append(row)
        try:
            with np.errstate(all="ignore"):
                model = cls(time_unit=time_unit, penalizer=penalizer).fit(  # knows its facts' unit
                    hist, weights=hist[COUNT].to_numpy(), start=(start or {}).get(name))
                pred = np.asarray(model.expected_purchases(hist, duration), dtype=float)[take]
            bad = ~np.isfinite(pred)
            if bad.any():
                raise ModelError(f"{name} gave {int(bad.sum() if weights is None else weights[bad].sum())} "
                                 "predictions that are not numbers")
        except XuanbaError as exc:
            row["error"] = exc.message
            continue
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
            continue
        fitted[name], predicted[name] = model, pred
        stats = model.fit_stats()
        row.update({"n_params": len(model.params_), "loglik": stats["loglik"], "aic": stats["aic"],
                    "bic": stats["bic"], **figures(pred), "problems": "; ".join(model.problems_)})
    return rows, fitted, predicted


def _ranked(rows: list[dict[str, Any]], actual_total: float) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The candidates' comparison, usable ones first by holdout RMSE then AIC; the ones that
    fitted; and the best of those (``""`` when none did)."""
    comparison = pd.DataFrame(rows).set_index("model")
    for col in [*METRIC_COLUMNS, "predicted_total"]:
        if col not in comparison.columns:
            comparison[col] = np.nan
    comparison["actual_total"] = actual_total
    comparison["usable"] = (comparison["error"] == "") & (comparison["problems"] == "")
    comparison = comparison.sort_values(["usable", "rmse", "aic"], ascending=[False, True, True],
                                        kind="stable", na_position="last")
    ok = comparison.loc[comparison["error"] == ""]
    return comparison, ok, str(ok.index[0]) if len(ok) else ""


# -- the entry point ----------------------------------------------------------------------------
def evaluate(
    transactions_or_workspace: Any,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    models: Sequence[str] = DEFAULT_MODELS,
    time_unit: str = "week",
    cumulative: bool = True,
    penalizer: float = 0.0,
    start: Mapping[str, Any] | None = None,
    calibration: pd.DataFrame | None = None,
) -> Evaluation:
    """Fit each model on the calibration period and score its holdout predictions.

    Parameters
    ----------
    transactions_or_workspace
        A :class:`~xuanba.Workspace` or a transactions table (``customer_id``, ``ts``,
        ``amount``), as :func:`xuanba.calibration_holdout` takes.
    calibration_end, holdout_end
        Last day of the calibration period and of the holdout period (inclusive).
    models
        Names of continuous-time models: ``"bgnbd"``, ``"pareto-nbd"``, ``"mbgnbd"``.
    time_unit
        ``"day"``, ``"week"`` or ``"month"``: the unit of ``recency``/``T`` and of the periods of
        the cumulative view.
    penalizer
        L2 penalty on every model's parameters (0 = maximum likelihood).
    cumulative
        Compute the cumulative view (repeat purchases period by period); ``False`` leaves it
        ``None`` and skips reading every repeat purchase (a round's model check needs only the
        comparison and the table by frequency).
    start
        Where each model's fit begins, by name (e.g. its estimates in an earlier evaluation; see
        :meth:`xuanba.models._base.Model.fit`).
    calibration
        The calibration table of this window (:func:`xuanba.facts.calibration_holdout` of the
        source with at least :data:`CALIBRATION_COLUMNS`), when read already: a round reads it
        with its facts (:func:`xuanba.facts.facts_and_holdout`), and it is not read again.

    Returns
    -------
    Evaluation
        Comparison, holdout by calibration frequency, cumulative repeat purchases, per-customer
        predictions, the best model (lowest holdout RMSE among those fitted without a problem,
        else among those fitted), the best model per column and warnings about the split.

    Examples
    --------
    >>> ev = evaluate(tx, "1997-09-30", "1998-06-30", models=["bgnbd"])  # doctest: +SKIP
    >>> ev.by_frequency.loc["0", "actual"]  # doctest: +SKIP
    0.2367...
    """
    from xuanba.facts import DAYS_PER_UNIT, calibration_holdout

    classes, cal, hold = _candidates_and_window(models, calibration_end, holdout_end, time_unit)
    if calibration is None:
        frame = calibration_holdout(transactions_or_workspace, cal, hold, time_unit=time_unit,  # type: ignore[arg-type]
                                    columns=CALIBRATION_COLUMNS)
    else:
        frame = calibration[[ID, *CALIBRATION_COLUMNS]]
    if frame.empty:
        raise DataError(Phrase("err_no_first_purchase_by", cal=str(cal)), fix=Phrase("err_no_first_purchase_by_fix"))
    if not ids_sorted(frame[ID]):  # the engine's order is the ids' already: no sort of a million ids
        frame = frame.sort_values(ID, kind="stable")
    frame = frame.reset_index(drop=True)
    duration = float(frame["duration_holdout"].iloc[0])
    warnings = split_warnings(frame, duration, DAYS_PER_UNIT[time_unit])
    if not np.isfinite(penalizer) or penalizer < 0:
        raise InputError(Phrase("err_penalizer", value=repr(penalizer)), fix=Phrase("err_penalizer_fix"))
    actual = frame["frequency_holdout"].to_numpy(dtype=float)
    # every model is fitted on the same distinct histories (counts as weights) and predicts once
    # per distinct history; one gather gives each customer's prediction
    from xuanba.models.predict import purchase_histories

    hist, inverse = purchase_histories(frame)

    rows, fitted, predicted = _fit_candidates(
        classes, hist, duration, inverse, None, time_unit=time_unit, penalizer=penalizer, start=start,
        figures=lambda pred: {**holdout_metrics(pred, actual),
                              "group_mae": group_error(frame["frequency"].to_numpy(), pred, actual),
                              "predicted_total": float(pred.sum()), "actual_total": float(actual.sum())})
    comparison, ok, best = _ranked(rows, float(actual.sum()))
    best_by = {col: _best_of(ok[col], col) for col in METRIC_COLUMNS if len(ok)}

    predictions = frame[[ID, "frequency", "recency", "T", "frequency_holdout"]].copy()
    for name, pred in predicted.items():
        predictions[name] = pred
    curve = None
    if cumulative and fitted:
        offsets = _repeat_offsets(transactions_or_workspace, cal, hold)
        curve = _cumulative(frame, offsets, fitted, cal, duration, DAYS_PER_UNIT[time_unit])
    return Evaluation(
        calibration_end=cal,
        holdout_end=hold,
        time_unit=time_unit,
        comparison=comparison,
        by_frequency=_by_frequency(frame, predicted),
        cumulative=curve,
        predictions=predictions,
        best=best,
        models=fitted,
        best_by=best_by,
        warnings=warnings,
    )


#: The columns of the distinct calibration histories :func:`evaluate_groups` takes.
GROUP_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T", "frequency_holdout", "customers")


def evaluate_groups(
    groups: pd.DataFrame,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    models: Sequence[str] = DEFAULT_MODELS,
    time_unit: str = "week",
    penalizer: float = 0.0,
    start: Mapping[str, Any] | None = None,
    tied_actual: Any = None,
) -> Evaluation:
    """:func:`evaluate` (without the cumulative view) from the customers compressed by an engine:
    one row per distinct calibration history and holdout count, :data:`GROUP_COLUMNS`, in the
    order of each row's first customer by id. The fits are those of :func:`evaluate` (the same
    distinct histories in the same order, with their counts as weights); the per-customer metrics
    are their weighted sums, equal to :func:`evaluate`'s to the last bits of the sums' order.

    ``tied_actual(histories, m)``: the holdout purchases of the first ``m`` customers by id among
    those whose ``(frequency, recency, T)`` is a row of ``histories`` (the top decile's customers
    tied at its edge, whom :func:`evaluate` takes by position); ``None``: those of the histories
    in their order, a customer's own order not being known.

    ``predictions`` holds the rows of ``groups`` with each model's expectation (a row per
    distinct history, its ``customers`` counting them), not a row per customer.

    Example
    -------
    >>> g = pd.DataFrame({"frequency": [0.0, 1.0], "recency": [0.0, 2.0], "T": [5.0, 5.0],
    ...                   "frequency_holdout": [0, 1], "customers": [3.0, 1.0]})
    >>> ev = evaluate_groups(g, "2026-01-31", "2026-03-31", models=["bgnbd"])
    >>> float(ev.comparison.loc["bgnbd", "actual_total"]), ev.by_frequency["customers"].tolist()[:2]
    (1.0, [3, 1])
    """
    from xuanba.facts import DAYS_PER_UNIT
    from xuanba.models.predict import COUNT, HISTORY

    classes, cal, hold = _candidates_and_window(models, calibration_end, holdout_end, time_unit)
    if groups.empty:
        raise DataError(Phrase("err_no_first_purchase_by", cal=str(cal)), fix=Phrase("err_no_first_purchase_by_fix"))
    if not np.isfinite(penalizer) or penalizer < 0:
        raise InputError(Phrase("err_penalizer", value=repr(penalizer)), fix=Phrase("err_penalizer_fix"))
    unit_days = DAYS_PER_UNIT[time_unit]
    duration = (hold - cal).days / unit_days
    warnings = split_warnings(groups, duration, unit_days)
    w = groups[COUNT].to_numpy(dtype=float)
    n = w.sum()
    actual = groups["frequency_holdout"].to_numpy(dtype=float)
    freq = groups["frequency"].to_numpy(dtype=float).astype(np.int64)
    # the distinct histories in the order of their first customer (the rows are in that order)
    keys = groups[list(HISTORY)].astype(float)
    codes, first = pd.factorize(pd.MultiIndex.from_frame(keys))
    hist = pd.DataFrame(list(first), columns=list(HISTORY)).astype(float)
    hist[COUNT] = np.bincount(codes, weights=w, minlength=len(hist))

    def top_capture(pred: np.ndarray) -> float:
        total = float((w * actual).sum())
        if total <= 0:
            return float("nan")
        k = max(1, math.ceil(0.1 * n))
        if k >= n:  # every customer
            return float((w * actual).sum()) / total
        order = np.argsort(-pred, kind="stable")
        cum = np.cumsum(w[order])
        edge = int(np.searchsorted(cum, k))  # the row holding the k-th customer
        kth = pred[order[edge]]
        above = pred > kth
        got = float((w[above] * actual[above]).sum())
        left = int(k - w[above].sum())
        tied = np.flatnonzero(pred == kth)
        if tied_actual is not None:
            got += float(tied_actual(hist[list(HISTORY)].iloc[np.unique(codes[tied])].reset_index(drop=True), left))
        else:
            for i in tied:
                take = min(left, int(w[i]))
                got += take * actual[i]
                left -= take
        return got / total

    def metrics(pred: np.ndarray) -> dict[str, float]:
        err = pred - actual
        mp, ma = (w * pred).sum() / n, (w * actual).sum() / n
        sp, sa = (w * (pred - mp) ** 2).sum(), (w * (actual - ma) ** 2).sum()
        corr = float((w * (pred - mp) * (actual - ma)).sum() / np.sqrt(sp * sa)) if n > 1 and sp > 0 and sa > 0 \
            else float("nan")
        return {"mae": float((w * np.abs(err)).sum() / n), "rmse": float(np.sqrt((w * err**2).sum() / n)),
                "correlation": corr, "top_decile_capture": top_capture(pred)}

    group = np.minimum(freq, FREQUENCY_CAP)
    counts = np.bincount(group, weights=w, minlength=FREQUENCY_CAP + 1)

    def by_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=w * values, minlength=FREQUENCY_CAP + 1)

    keep = counts > 0

    def figures(pred: np.ndarray) -> dict[str, Any]:
        mean_p, mean_a = by_group(pred)[keep] / counts[keep], by_group(actual)[keep] / counts[keep]
        return {**metrics(pred),
                "group_mae": float(np.sum(counts[keep] * np.abs(mean_p - mean_a)) / counts[keep].sum()),
                "predicted_total": float((w * pred).sum()), "actual_total": float((w * actual).sum())}

    rows, fitted, predicted = _fit_candidates(classes, hist, duration, codes, w, figures, time_unit=time_unit,
                                              penalizer=penalizer, start=start)
    comparison, ok, best = _ranked(rows, float((w * actual).sum()))
    labels = [str(i) for i in range(FREQUENCY_CAP)] + [f"{FREQUENCY_CAP}+"]
    table: dict[str, Any] = {"customers": counts.astype(np.int64)}
    safe = np.maximum(counts, 1)
    table["actual"] = by_group(actual) / safe
    for name, pred in predicted.items():
        table[name] = by_group(pred) / safe
    by_frequency = pd.DataFrame(table, index=pd.Index(labels, name="frequency"))
    by_frequency.loc[counts == 0, [c for c in by_frequency.columns if c != "customers"]] = np.nan
    predictions = groups[list(GROUP_COLUMNS)].copy()
    for name, pred in predicted.items():
        predictions[name] = pred
    return Evaluation(calibration_end=cal, holdout_end=hold, time_unit=time_unit, comparison=comparison,
                      by_frequency=by_frequency, cumulative=None, predictions=predictions, best=best,
                      models=fitted, best_by={col: _best_of(ok[col], col) for col in METRIC_COLUMNS if len(ok)},
                      warnings=warnings)
