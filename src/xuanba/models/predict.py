"""Per-customer predictions from the facts in one call: what the rounds stage uses.

:func:`predict_customers` fits a purchase model (BG/NBD by default) and Gamma-Gamma on the facts
and predicts for every customer: P(alive), expected purchases over a year, expected spend,
discounted value over 1 and 3 years, and the churn score P(no purchase in 90 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from xuanba._frames import column_values, same_kind, text_from_codes
from xuanba.errors import InputError, Listed, ModelError, Phrase, SchemaError
from xuanba.models._base import ID, Model, as_frame
from xuanba.models._caught import said as warned
from xuanba.models.gammagamma import NO_REPEAT, NON_POSITIVE, GammaGamma, spend_exclusions
from xuanba.models.intervals import Scale, bounds, delta_se, interval_problem, product_se
from xuanba.models.value import DAYS_PER_YEAR, unit_length

#: Columns of :func:`predict_customers`, in order.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "p_alive",
    "expected_purchases_1y",
    "expected_spend",
    "spend_basis",
    "clv_1y",
    "clv_3y",
    "churn_90d",
)

#: Purchase models predict_customers can use (their CLI names).
PURCHASE_MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd", "pareto-nbd")

NEEDED = ("customer_id", "frequency", "recency", "T", "monetary_value")


@overload
def predict_customers(
    facts: Any, *, time_unit: str = ..., model: str = ..., discount_rate: float = ...,
    margin: float = ..., return_models: Literal[False] = ..., penalizer: float = ...,
    purchase_model: Model | None = ..., spend_optional: bool = ..., start: Mapping[str, Any] | None = ...,
    interval: float | None = ..., histories: tuple[pd.DataFrame, np.ndarray] | None = ...,
) -> pd.DataFrame: ...


@overload
def predict_customers(
    facts: Any, *, time_unit: str = ..., model: str = ..., discount_rate: float = ...,
    margin: float = ..., return_models: Literal[True], penalizer: float = ...,
    purchase_model: Model | None = ..., spend_optional: bool = ..., start: Mapping[str, Any] | None = ...,
    interval: float | None = ..., histories: tuple[pd.DataFrame, np.ndarray] | None = ...,
) -> tuple[pd.DataFrame, dict[str, Model]]: ...


def predict_customers(
    facts: Any,
    *,
    time_unit: str = "week",
    model: str = "bgnbd",
    discount_rate: float = 0.10,
    margin: float = 1.0,
    return_models: bool = False,
    penalizer: float = 0.0,
    purchase_model: Model | None = None,
    spend_optional: bool = False,
    start: Mapping[str, Any] | None = None,
    interval: float | None = None,
    histories: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, Model]]:
    """Fit a purchase model and Gamma-Gamma on ``facts`` and predict for every customer.

    Parameters
    ----------
    facts
        One row per customer with ``customer_id``, ``frequency``, ``recency``, ``T`` (in
        ``time_unit``) and ``monetary_value`` — e.g. ``xuanba.customer_facts(..., time_unit=...)``.
    time_unit
        Unit of ``recency`` and ``T``: "day", "week" or "month".
    model
        Purchase model: "bgnbd" (default), "mbgnbd" or "pareto-nbd".
    discount_rate
        Annual discount rate of the customer values.
    margin
        Share of revenue kept; multiplies the values (the spend model is fitted on revenue).
    return_models
        Also return the fitted models as ``{"purchases": ..., "spend": ...}``.
    penalizer
        L2 penalty on the parameters of both models (0 = maximum likelihood).
    purchase_model
        A purchase model already fitted on ``facts`` (e.g. chosen by
        :func:`xuanba.models.choose.choose_model`); ``model`` is then not fitted.
    spend_optional
        When Gamma-Gamma cannot be fitted (too few repeat buyers), leave ``expected_spend``,
        ``clv_1y`` and ``clv_3y`` empty (``spend_basis`` says why) instead of raising.
    start
        Where the fits begin, by role (``"purchases"``, ``"spend"``): e.g. the estimates at the
        previous cutoff of a backtest (see :meth:`xuanba.models._base.Model.fit`).
    interval
        Also give ``<prediction>_lower`` / ``<prediction>_upper`` with this coverage (e.g. 0.9)
        for every prediction: parameter uncertainty by the delta method, per distinct history
        (:mod:`xuanba.models.intervals`). A model whose fit cannot be trusted gives none for the
        predictions that need it: those columns are left out and a ``UserWarning`` says why.
    histories
        :func:`purchase_histories` of ``facts``, when made already (``auto``'s choice fitted its
        candidates on them): not grouped and checked again.

    Returns
    -------
    pandas.DataFrame (a polars or Arrow table when ``facts`` is one)
        :data:`PREDICTION_COLUMNS`, one row per customer in the order of ``facts``:
        ``p_alive``; ``expected_purchases_1y`` (repeat purchases in the next 365.25 days);
        ``expected_spend`` (per purchase, Gamma-Gamma); ``spend_basis`` ("own history", or
        "population mean: <reason>" for customers Gamma-Gamma left out — no repeat purchase, zero or
        negative spend); ``clv_1y`` and ``clv_3y`` (discounted value × margin, monthly periods);
        ``churn_90d`` (probability of no purchase in the next 90 days). With ``return_models`` a
        tuple ``(table, models)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2); n = 400
    >>> lam, life, T = rng.gamma(0.5, 0.2, n), rng.exponential(30, n), rng.uniform(20, 52, n)
    >>> x = rng.poisson(lam * np.minimum(life, T))
    >>> facts = pd.DataFrame({"customer_id": range(n), "frequency": x, "T": T,
    ...     "recency": np.where(x > 0, np.minimum(life, T) * rng.beta(x + 1e-9, 1), 0.0),
    ...     "monetary_value": np.where(x > 0, rng.gamma(6, 5, n), 0.0)})
    >>> out = predict_customers(facts, time_unit="week")
    >>> list(out.columns) == list(PREDICTION_COLUMNS), len(out)
    (True, 400)
    """
    from xuanba.models import MODELS

    frame = as_frame(facts, name="the facts")
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise SchemaError(Phrase("err_facts_lack", names=str(missing)),
                          fix=Phrase("err_facts_lack_fix", columns=str(list(frame.columns))))
    if model not in PURCHASE_MODELS:
        raise InputError(Phrase("err_not_purchase_model", value=repr(model)),
                         fix=Phrase("err_use_one_of_list", names=str(list(PURCHASE_MODELS))))
    unit_length(time_unit)  # a known unit, checked before any fit
    if histories is None:
        histories = purchase_histories(frame)
    purchases = purchase_model if purchase_model is not None else _make_purchase_model(
        MODELS[model], time_unit, penalizer).fit(histories[0], weights=histories[0][COUNT],
                                                  start=(start or {}).get("purchases"))
    spend_model: GammaGamma | None = None
    try:
        spend_model = GammaGamma(penalizer=penalizer).fit(frame, start=(start or {}).get("spend"))
    except ModelError as exc:
        if not spend_optional:
            raise
        spend_error = exc.message

    if not 0 <= discount_rate < 10:
        raise InputError(Phrase("err_discount_rate_annual", value=repr(discount_rate)), fix=Phrase("err_discount_rate_fix"))
    if spend_model is None:
        spend = np.full(len(frame), np.nan)
        basis = text_from_codes(np.zeros(len(frame), dtype=np.int8), [f"unavailable: {spend_error}"])
    else:
        # the spend of every customer by its closed form, on the two columns it reads (keyed by
        # position: the ids are the table's own); those the fit left out get the population mean
        spend = np.array(spend_model.expected_spend(frame[list(GammaGamma.history_columns)]), dtype=float)
        no_repeat, non_positive = spend_exclusions(frame["frequency"], frame["monetary_value"])
        basis = text_from_codes(np.where(no_repeat, 1, np.where(non_positive, 2, 0)).astype(np.int8), [
            "own history", f"population mean: {NO_REPEAT}", f"population mean: {NON_POSITIVE}"])
    # every purchase prediction once per distinct history, joined back by one gather
    hist, inverse = histories
    per = history_predictions(purchases, hist, time_unit=time_unit, discount_rate=discount_rate)
    ids = column_values(frame[ID])
    if isinstance(ids, np.ndarray):
        ids = ids.copy()  # the table below takes its columns as they are: none may be the facts'
    # the columns as they are, not consolidated into one block: each is a fresh array, and the
    # copy into a block doubled them for a moment (0.46 GB at 10 M customers)
    out = pd.DataFrame(
        {
            ID: ids,
            "p_alive": per["p_alive"][inverse],
            "expected_purchases_1y": per["expected_purchases_1y"][inverse],
            "expected_spend": spend,
            "spend_basis": basis,
            "clv_1y": margin * spend * per["discounted_1y"][inverse],
            "clv_3y": margin * spend * per["discounted_3y"][inverse],
            "churn_90d": per["churn_90d"][inverse],
        },
        columns=list(PREDICTION_COLUMNS),
        copy=False,
    )
    if interval is not None:
        limits, said = prediction_intervals(
            out, purchases, spend_model, hist, inverse, frame, interval, time_unit=time_unit,
            discount_rate=discount_rate, margin=margin)
        for message in said:
            warned(message)  # into the round's list when a round catches them (_caught)
        out = pd.concat([out, pd.DataFrame(limits)], axis=1)
    out = same_kind(facts, out)
    if return_models:
        models = {"purchases": purchases, "spend": spend_model}
        return out, {k: v for k, v in models.items() if v is not None}
    return out


def history_predictions(
    purchases: Model, hist: pd.DataFrame, *, time_unit: str, discount_rate: float
) -> dict[str, np.ndarray]:
    """The purchase predictions of each distinct history of ``hist`` (:func:`purchase_histories`):
    ``p_alive``, ``expected_purchases_1y``, ``churn_90d`` (no purchase in 90 days) and
    ``discounted_1y`` / ``discounted_3y`` (discounted expected purchases, monthly periods, as
    :func:`xuanba.models.value.discounted_purchases` gives them).

    All are computed on one set of arrays, so the model's P(alive), which each of them
    multiplies by, is computed once (:meth:`PurchaseModel._alive_at`); each equals the model's
    public method of the same name on ``hist``, value for value.

    Examples
    --------
    >>> from xuanba.models import BGNBD
    >>> m = BGNBD(time_unit="week")
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> h = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    >>> per = history_predictions(m, h, time_unit="week", discount_rate=0.1)
    >>> bool(np.array_equal(per["p_alive"], m.probability_alive(h).to_numpy()))
    True
    """
    from xuanba.models.value import _check_unit, discount_weights, weighted_expectations_at

    purchases._require_fitted()
    _check_unit(purchases, time_unit)
    unit_days = unit_length(time_unit)
    params = purchases.params_.to_numpy(dtype=float)
    arrays = {c: np.ascontiguousarray(hist[c].to_numpy(dtype=float)) for c in purchases.history_columns}
    ts, weights = discount_weights([1, 3], discount_rate=discount_rate, time_unit=time_unit)
    m: Any = purchases
    out: dict[str, np.ndarray] = {}
    # in the order, and with the words, of the public methods' checks
    for name, said, compute in (
        ("discounted", "expected_purchases", lambda: weighted_expectations_at(m, params, arrays, ts, weights)),
        ("p_alive", "p_alive", lambda: m._alive_at(params, arrays)),
        ("expected_purchases_1y", "expected_purchases", lambda: m._expected(params, arrays, DAYS_PER_YEAR / unit_days)),
        ("churn_90d", "p_no_purchase", lambda: m._no_purchase(params, arrays, 90 / unit_days)),
    ):
        value = np.asarray(compute(), dtype=float)
        if not np.all(np.isfinite(value)):
            raise ModelError(Phrase("err_non_finite", model=type(purchases).__name__, what=said),
                             fix=Phrase("err_non_finite_fix"))
        out[name] = value
    discounted = out.pop("discounted")
    out["discounted_1y"], out["discounted_3y"] = discounted[:, 0], discounted[:, 1]
    return out


#: The interval columns of :func:`predict_customers` with ``interval``, in order (those the
#: fits can give are present).
INTERVAL_COLUMNS: tuple[str, ...] = tuple(
    f"{c}_{side}" for c in PREDICTION_COLUMNS if c not in ("customer_id", "spend_basis") for side in ("lower", "upper"))

#: The scale each prediction's interval is symmetric on (:func:`xuanba.models.intervals.bounds`).
_SCALES: dict[str, Scale] = {"p_alive": "logit", "expected_purchases_1y": "log", "expected_spend": "log",
                             "clv_1y": "log", "clv_3y": "log", "churn_90d": "logit"}


def prediction_intervals(
    point: pd.DataFrame, purchases: Model, spend: Model | None, hist: pd.DataFrame, inverse: np.ndarray,
    facts: pd.DataFrame, level: float, *, time_unit: str, discount_rate: float, margin: float,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """The ``<prediction>_lower/_upper`` columns around the predictions ``point`` (one row per
    customer of ``facts``) and what to say about those left out.

    The standard errors come from :func:`xuanba.models.intervals.delta_se`, once per distinct
    purchase history ``hist`` (gathered back by ``inverse``) for the purchase predictions and
    once per customer for the spend (a closed form on a continuous mean spend); a value's error
    combines the two (independent fits). A model with an :func:`interval_problem` gives no
    interval for the predictions that need it.
    """
    from xuanba.i18n import t  # raised in English; warning_words says them in the reader's language
    from xuanba.models._uncertainty import check_interval
    from xuanba.models.value import discount_weights, weighted_expectations_at

    check_interval(level)
    unit_days = unit_length(time_unit)
    year = DAYS_PER_YEAR / unit_days
    se: dict[str, np.ndarray] = {}
    said: list[str] = []
    disc: tuple[np.ndarray, np.ndarray] | None = None
    problem = interval_problem(purchases)
    if problem is None:
        arrays = {c: hist[c].to_numpy(dtype=float) for c in purchases.history_columns}
        ts, weights = discount_weights([1, 3], discount_rate=discount_rate, time_unit=time_unit)

        def purchase_quantities(p: np.ndarray) -> dict[str, np.ndarray]:
            return {"p_alive": purchases._alive_at(p, arrays),  # type: ignore[attr-defined]
                    "expected_purchases_1y": purchases._expected(p, arrays, year),  # type: ignore[attr-defined]
                    "churn_90d": purchases._no_purchase(p, arrays, 90 / unit_days),  # type: ignore[attr-defined]
                    "discounted": weighted_expectations_at(purchases, p, arrays, ts, weights)}

        est, errors = delta_se(purchases, purchase_quantities)
        for name in ("p_alive", "expected_purchases_1y", "churn_90d"):
            se[name] = errors[name][inverse]
        disc = (est["discounted"][inverse], errors["discounted"][inverse])
    else:
        said.append(t("interval_none", "en", level=f"{level * 100:g}%", model=type(purchases).__name__, reason=problem,
                      fields="p_alive, expected_purchases_1y, churn_90d, clv_1y and clv_3y"))
    if spend is not None:
        spend_problem = interval_problem(spend)
        if spend_problem is None:
            rows = {c: facts[c].to_numpy(dtype=float) for c in spend.history_columns}
            s_est, s_se = delta_se(spend, lambda p: {"spend": spend._conditional(p, rows)})  # type: ignore[attr-defined]
            se["expected_spend"] = s_se["spend"]
            if disc is not None:
                for col, j in (("clv_1y", 0), ("clv_3y", 1)):
                    se[col] = margin * product_se(s_est["spend"], s_se["spend"], disc[0][:, j], disc[1][:, j])
        else:
            said.append(t("interval_none", "en", level=f"{level * 100:g}%", model=type(spend).__name__,
                          reason=spend_problem, fields="expected_spend, clv_1y and clv_3y"))
    out: dict[str, np.ndarray] = {}
    for name in _SCALES:
        if name in se:
            lower, upper = bounds(point[name].to_numpy(dtype=float), se[name], level, _SCALES[name])
            out[f"{name}_lower"], out[f"{name}_upper"] = lower, upper
    return {c: out[c] for c in INTERVAL_COLUMNS if c in out}, said


#: The column of :func:`purchase_histories` that counts the customers of each distinct history.
COUNT = "customers"
HISTORY = ("frequency", "recency", "T")


def purchase_histories(facts: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct ``(frequency, recency, T)`` histories of ``facts`` with a ``customers`` count,
    and the row of each customer in them: fit on the first with ``weights=customers``, predict
    once per distinct history and gather by the second.

    The histories are checked as a model's ``fit`` checks them, with the ids of the customers
    at fault in the message.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": list("abc"), "frequency": [0, 2, 0],
    ...                   "recency": [0.0, 5.0, 0.0], "T": [9.0, 9.0, 9.0]})
    >>> h, inverse = purchase_histories(f)
    >>> h["customers"].tolist(), inverse.tolist()
    ([2.0, 1.0], [0, 1, 0])
    """
    from xuanba.models._base import compress
    from xuanba.models.bgnbd import BGNBD

    frame = as_frame(facts, name="the facts")
    BGNBD()._history(frame)  # the checks every purchase model makes, once, with customer ids
    distinct, counts, inverse = compress(frame, HISTORY)
    distinct = distinct.astype(float)
    distinct[COUNT] = counts
    return distinct, inverse


def _make_purchase_model(cls: type[Model], time_unit: str, penalizer: float = 0.0) -> Model:
    if "time_unit" in cls._option_names():
        return cls(time_unit=time_unit, penalizer=penalizer)  # type: ignore[call-arg]
    return cls(penalizer=penalizer)


def read_facts(path: str | Path) -> pd.DataFrame:
    """Read a facts table written by ``xuanba facts --out`` (.parquet, .csv or .xlsx).

    ``customer_id`` is read as text so that ids such as ``0001`` keep their zeros.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> pd.DataFrame({"customer_id": ["0001"], "frequency": [1]}).to_csv(p, index=False)
    >>> read_facts(p)["customer_id"].tolist()
    ['0001']
    """
    from xuanba.tables import read_table

    frame = read_table(path, text=(ID,), what="the facts file",
                       hint="Write it with `xuanba facts --out FILE`, or leave --facts out to use the workspace.")
    return frame


def fit_model(
    name: str, table: Any, *, time_unit: str | None = "week", penalizer: float = 0.0, weights: Any = None,
    start: Any = None,
) -> Model:
    """Fit the model called ``name`` in :data:`xuanba.models.MODELS` on ``table``; return it.

    ``time_unit`` is recorded with models that take it (the unit of ``recency`` and ``T``).
    ``weights`` counts the customers of each row when ``table`` holds distinct histories
    (:func:`xuanba.models._base.compress`), so several fits can share one compressed table.
    ``start``: where the search begins (see :meth:`xuanba.models._base.Model.fit`).

    Examples
    --------
    >>> fit_model("no-such-model", None)
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: unknown model 'no-such-model'
      fix: Use one of: bgnbd, pareto-nbd, mbgnbd, bgbb, sbg, gamma-gamma.
    """
    from xuanba.models import MODELS

    if name not in MODELS:
        raise InputError(Phrase("err_unknown_model", name=repr(name)), fix=Phrase("err_use_one_of", names=Listed(MODELS)))
    cls = MODELS[name]
    options: dict[str, Any] = {}
    params = cls._option_names()
    if "penalizer" in params:
        options["penalizer"] = penalizer
    if time_unit is not None and "time_unit" in params:
        unit_length(time_unit)
        options["time_unit"] = time_unit
    return cls(**options).fit(table, weights=weights, start=start)


def predict_table(
    model: Model, table: Any, *, horizon: float, unit: str | None = None, interval: float | None = None
) -> pd.DataFrame:
    """Per-customer predictions of a fitted model over ``horizon`` (in ``unit``).

    Columns, for the predictions the model offers: ``p_alive``, ``expected_purchases``,
    ``p_no_purchase`` (within the horizon), ``expected_spend``; with ``interval`` also
    ``<column>_lower`` / ``<column>_upper``. ``unit`` is converted to the model's own time unit
    when the model records one; otherwise the horizon is taken in the unit of ``recency``/``T``.
    """
    model._require_fitted()
    frame = as_frame(table, name="the facts")
    t = float(horizon)
    model_unit = getattr(model, "time_unit", None)
    if unit is not None:
        unit_length(unit)  # checked even when the model records no unit
    if unit is not None and model_unit is not None:
        t = horizon * unit_length(unit) / unit_length(model_unit)
    calls: list[tuple[str, Any]] = []
    if hasattr(model, "probability_alive"):
        calls.append(("p_alive", lambda **kw: model.probability_alive(frame, **kw)))  # type: ignore[attr-defined]
    if hasattr(model, "expected_purchases"):
        calls.append(("expected_purchases", lambda **kw: model.expected_purchases(frame, t, **kw)))  # type: ignore[attr-defined]
    if hasattr(model, "probability_no_purchase"):
        calls.append(("p_no_purchase", lambda **kw: model.probability_no_purchase(frame, t, **kw)))  # type: ignore[attr-defined]
    if hasattr(model, "expected_spend"):
        calls.append(("expected_spend", lambda **kw: model.expected_spend(frame, **kw)))  # type: ignore[attr-defined]
    if not calls:
        raise InputError(Phrase("err_no_per_customer", kind=type(model).__name__), fix=Phrase("err_no_per_customer_fix"))
    out: dict[str, Any] = {}
    index = None
    for name, call in calls:
        result = call(interval=interval) if interval is not None else call()
        index = result.index
        if isinstance(result, pd.DataFrame):
            out[name] = result.iloc[:, 0].to_numpy()
            out[f"{name}_lower"] = result["lower"].to_numpy()
            out[f"{name}_upper"] = result["upper"].to_numpy()
        else:
            out[name] = result.to_numpy()
    assert index is not None
    result_frame = pd.DataFrame(out)
    result_frame.insert(0, ID, frame[ID].to_numpy() if ID in frame.columns else np.asarray(index))
    return result_frame
