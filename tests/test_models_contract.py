"""The estimator contract, checked on every model of the package — the six in
``xuanba.models.MODELS`` and the two covariate ones (scikit-learn's ``check_estimator`` idea):
fit returns self, refitting is idempotent, clone gives an unfitted model with equal options,
get_params / set_params round trip, save/load predicts the same, weights equal repeated rows, a
fixed seed gives identical intervals, an unfitted model raises NotFittedError, data that cannot
identify the model raise ModelError, and a failed fit leaves the model unfitted.

A class that is still a placeholder (``_loglik_terms`` not overridden) is skipped, saying so.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import InputError, ModelError, NotFittedError
from xuanba.models import MODELS, BGNBDCovariates, Model, ParetoNBDCovariates, _base
from xuanba.models._base import registered_models

COVARIATES = {"covariates_purchase": ["web"], "covariates_dropout": ["region"]}

#: How to build each model of the contract: the plain ones with their defaults, the covariate
#: ones with one covariate per process (a 0/1 number and a text level).
CASES: dict[str, Callable[[], Model]] = {
    **MODELS,
    "bgnbd-covariates": partial(BGNBDCovariates, **COVARIATES),
    "pareto-nbd-covariates": partial(ParetoNBDCovariates, **COVARIATES),
}
#: The coefficient names the covariate models add after their base parameters.
COEFFICIENTS = ["purchase:web", "dropout:region[south]"]

NAMES = sorted(CASES)


def _class(name: str) -> type[Model]:
    make = CASES[name]
    return make.func if isinstance(make, partial) else make  # type: ignore[return-value]


def _skip_placeholder(cls: type[Model]) -> None:
    if cls._loglik_terms is Model._loglik_terms:
        pytest.skip(f"{cls.__name__} is still a placeholder (_loglik_terms not overridden)")


def _learned(model: Model) -> list[str]:
    """The learned attributes (public, ending in ``_``) a model carries."""
    return sorted(k for k in vars(model) if k.endswith("_") and not k.startswith("_"))


def _expected_names(model: Model) -> list[str]:
    base = getattr(model, "base_names", None)
    return list(model.param_names) if base is None else [*base, *COEFFICIENTS]


def test_every_model_of_the_package_is_in_the_contract():
    """Every concrete model class the package registers is checked here."""
    ours = {
        cls for cls in registered_models().values()
        if cls.__module__.startswith("xuanba.") and cls._loglik_terms is not Model._loglik_terms
    }
    assert ours == {_class(name) for name in NAMES}


@pytest.fixture(scope="module")
def datasets(test_data):
    """One real data set per kind of history, keyed by the model's history columns."""
    summary = pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv").rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    donations = pd.read_csv(test_data / "donations.csv")
    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), regular
    churn = pd.DataFrame(
        {"periods": list(range(1, 8)) + [7], "churned": [1] * 7 + [0],
         "weights": [survivors[k - 1] - survivors[k] for k in range(1, 8)] + [survivors[-1]]}
    )
    purchases = summary[["customer_id", "frequency", "recency", "T"]].assign(
        web=np.arange(len(summary)) % 2, region=np.where(np.arange(len(summary)) % 3 == 0, "north", "south")
    )
    return {
        ("frequency", "recency", "T"): purchases,
        ("frequency", "monetary_value"): summary[["customer_id", "frequency", "monetary_value"]],
        ("frequency", "recency", "periods"): donations,
        ("periods", "churned"): churn,
    }


def data_for(cls: type[Model] | str, datasets) -> pd.DataFrame:
    key = tuple((_class(cls) if isinstance(cls, str) else cls).history_columns)
    if key not in datasets:
        pytest.fail(f"the contract test has no data set for history columns {key}: add one")
    return datasets[key]


def expanded(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows repeated ``weights`` times (weights column dropped), or the frame itself."""
    if "weights" not in frame.columns:
        return frame
    return frame.loc[frame.index.repeat(frame["weights"].astype(int))].drop(columns="weights").reset_index(drop=True)


def a_prediction(model: Model, data: pd.DataFrame):
    """Some per-customer prediction the model offers (the log-likelihood terms otherwise)."""
    for name in ("expected_spend", "probability_alive"):
        if hasattr(model, name):
            return getattr(model, name)(data)
    arrays = {c: data[c].to_numpy(dtype=float) for c in model.history_columns}
    return model._loglik_terms(model.params_.to_numpy(), arrays)


def _make(name: str) -> Model:
    _skip_placeholder(_class(name))
    return CASES[name]()


@pytest.fixture(scope="module")
def fitted_models(datasets):
    cache: dict[str, Model] = {}

    def get(name: str) -> Model:
        if name not in cache:
            cache[name] = _make(name).fit(data_for(name, datasets))
        return cache[name]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_with_fitted_attributes(name, datasets):
    model = _make(name)
    assert model.fit(data_for(name, datasets)) is model
    assert list(model.params_.index) == _expected_names(model)
    assert np.all(np.isfinite(model.params_)) and np.all(np.isfinite(model.stderr_))
    assert np.isfinite(model.loglik_) and model.aic_ == pytest.approx(2 * len(model.params_) - 2 * model.loglik_)
    summary = model.summary()
    assert list(summary.columns[:4]) == ["estimate", "stderr", "lower_95", "upper_95"]
    assert (summary["lower_95"] < summary["estimate"]).all() and (summary["estimate"] < summary["upper_95"]).all()


@pytest.mark.parametrize("name", NAMES)
def test_refitting_is_idempotent(name, datasets, fitted_models):
    first = fitted_models(name)
    data = data_for(name, datasets)
    again = CASES[name]().fit(data)
    np.testing.assert_allclose(again.params_, first.params_, rtol=1e-8)
    refit = again.fit(data)
    np.testing.assert_allclose(refit.params_, first.params_, rtol=1e-8)
    assert refit.loglik_ == pytest.approx(first.loglik_, abs=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_predict_identically(name, datasets, fitted_models, tmp_path):
    model = fitted_models(name)
    data = data_for(name, datasets)
    path = model.save(tmp_path / f"{name}.json")
    for loader in (type(model).load, Model.load):
        loaded = loader(path)
        assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
        pd.testing.assert_series_equal(loaded.params_, model.params_)
        np.testing.assert_array_equal(loaded.covariance_, model.covariance_)
        np.testing.assert_array_equal(np.asarray(a_prediction(loaded, data)), np.asarray(a_prediction(model, data)))
        assert loaded.loglik_ == model.loglik_ and loaded.bic_ == pytest.approx(model.bic_)


@pytest.mark.parametrize("name", NAMES)
def test_weights_equal_repeated_rows(name, datasets):
    data = data_for(name, datasets).drop(columns="customer_id", errors="ignore")
    if "weights" not in data.columns:  # compress to distinct histories with counts
        data = data.groupby(list(data.columns), as_index=False).size().rename(columns={"size": "weights"})
    weighted = _make(name).fit(data)
    repeated = _make(name).fit(expanded(data))
    np.testing.assert_allclose(weighted.params_, repeated.params_, rtol=1e-6)
    assert weighted.loglik_ == pytest.approx(repeated.loglik_, rel=1e-9)
    assert weighted.n_customers_ == repeated.n_customers_


@pytest.mark.parametrize("name", NAMES)
def test_fixed_seed_gives_identical_intervals(name, datasets, fitted_models):
    model = fitted_models(name)
    data = data_for(name, datasets).head(40)
    method = next((getattr(model, m) for m in ("expected_spend", "probability_alive") if hasattr(model, m)), None)
    if method is None or "seed" not in inspect.signature(method).parameters:
        pytest.skip(f"{type(model).__name__} offers no per-customer prediction with a seeded interval")
    one, two = method(data, interval=0.8, seed=5), method(data, interval=0.8, seed=5)
    pd.testing.assert_frame_equal(one, two)
    assert (one["lower"] <= one["upper"]).all()


@pytest.mark.parametrize("name", NAMES)
def test_unfitted_model_raises_not_fitted(name, datasets):
    model = _make(name)
    with pytest.raises(NotFittedError):
        model.summary()
    with pytest.raises(NotFittedError):
        model.save("never-written.json")
    for method in ("probability_alive", "expected_spend"):
        if hasattr(model, method):
            with pytest.raises(NotFittedError):
                getattr(model, method)(data_for(name, datasets).head(3))


def unidentifiable(cls: type[Model], datasets) -> list[pd.DataFrame]:
    """Data that cannot identify the model: nobody repeats (or churns), and a single customer."""
    data = expanded(data_for(cls, datasets)).drop(columns="customer_id", errors="ignore")
    if "churned" in data.columns:
        nobody = data.assign(churned=0)
    elif "frequency" in data.columns:
        nobody = data.assign(frequency=0, recency=0.0) if "recency" in data.columns else data.assign(frequency=0)
    else:
        nobody = data.iloc[:0]
    single = data[data.iloc[:, 0] == data.iloc[:, 0].max()].head(1)
    return [nobody, single]


@pytest.mark.parametrize("name", NAMES)
def test_unidentifiable_data_raise_model_error(name, datasets):
    for data in unidentifiable(_class(name), datasets):
        with pytest.raises(ModelError):
            _make(name).fit(data)


@pytest.mark.parametrize("name", NAMES)
def test_clone_is_unfitted_with_equal_options(name, fitted_models):
    model = fitted_models(name)
    model_options = model.get_params()
    twin = model.clone()
    assert type(twin) is type(model) and twin is not model
    assert twin.get_params() == model_options
    assert _learned(twin) == [] and _learned(model) != []
    with pytest.raises(NotFittedError):
        twin.summary()
    # a non-default option travels too, and list options are copies, not shared
    tuned = model.clone().set_params(penalizer=0.25)
    assert tuned.clone().penalizer == 0.25
    for key, value in twin.get_params().items():
        if isinstance(value, list):
            value.append("changed")
            assert model.get_params()[key] == model_options[key] != value


@pytest.mark.parametrize("name", NAMES)
def test_get_and_set_params_round_trip(name):
    model = _make(name)
    params = model.get_params()
    assert sorted(params) == sorted(inspect.signature(type(model)).parameters)  # every option, by name
    other = type(model)().set_params(**params)
    assert other.get_params() == params
    assert model.set_params(penalizer=0.5) is model and model.get_params()["penalizer"] == 0.5
    with pytest.raises(InputError, match="no_such_option"):
        model.set_params(no_such_option=1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stage", ["optimiser", "standard errors", "unidentifiable data"])
def test_failed_fit_leaves_the_model_unfitted(name, stage, datasets, fitted_models, monkeypatch):
    """A model fitted once, then refitted with a fit that raises — in the optimiser, after the
    optimum (computing standard errors), or on data that cannot identify it: afterwards it has
    no learned value at all, neither from the failed attempt nor from the earlier fit."""
    data = data_for(name, datasets)
    model = copy.deepcopy(fitted_models(name))
    assert "params_" in _learned(model)

    class Boom(RuntimeError):
        pass

    def boom(*args, **kwargs):
        raise Boom("fails mid-fit")

    if stage == "optimiser":
        monkeypatch.setattr(_base.optimize, "minimize", boom)
        error, refit_data = Boom, data
    elif stage == "standard errors":
        monkeypatch.setattr(Model, "_covariance", boom)
        error, refit_data = Boom, data
    else:
        error, refit_data = ModelError, unidentifiable(_class(name), datasets)[0]
    with pytest.raises(error):
        model.fit(refit_data)
    assert _learned(model) == []
    with pytest.raises(NotFittedError):
        model.summary()
    if stage == "unidentifiable data":  # and it fits again as a new one would
        pd.testing.assert_series_equal(model.fit(data).params_, fitted_models(name).params_)
