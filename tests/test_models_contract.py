"""The estimator contract, checked on every model in ``xuanba.models.MODELS`` (scikit-learn's
``check_estimator`` idea): fit returns self, refitting is idempotent, save/load predicts the same,
weights equal repeated rows, a fixed seed gives identical intervals, an unfitted model raises
NotFittedError, and data that cannot identify the model raise ModelError.

A class that is still a placeholder (``_loglik_terms`` not overridden) is skipped, saying so.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import ModelError, NotFittedError
from xuanba.models import MODELS, Model

NAMES = sorted(MODELS)


def _skip_placeholder(cls: type[Model]) -> None:
    if cls._loglik_terms is Model._loglik_terms:
        pytest.skip(f"{cls.__name__} is still a placeholder (_loglik_terms not overridden)")


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
    return {
        ("frequency", "recency", "T"): summary[["customer_id", "frequency", "recency", "T"]],
        ("frequency", "monetary_value"): summary[["customer_id", "frequency", "monetary_value"]],
        ("frequency", "recency", "periods"): donations,
        ("periods", "churned"): churn,
    }


def data_for(cls: type[Model], datasets) -> pd.DataFrame:
    key = tuple(cls.history_columns)
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


@pytest.fixture(scope="module")
def fitted_models(datasets):
    cache: dict[str, Model] = {}

    def get(name: str) -> Model:
        if name not in cache:
            cls = MODELS[name]
            _skip_placeholder(cls)
            cache[name] = cls().fit(data_for(cls, datasets))
        return cache[name]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_with_fitted_attributes(name, datasets):
    cls = MODELS[name]
    _skip_placeholder(cls)
    model = cls()
    assert model.fit(data_for(cls, datasets)) is model
    assert list(model.params_.index) == list(cls.param_names)
    assert np.all(np.isfinite(model.params_)) and np.all(np.isfinite(model.stderr_))
    assert np.isfinite(model.loglik_) and model.aic_ > -2 * model.loglik_
    assert list(model.summary().columns) == ["estimate", "stderr", "lower_95", "upper_95"]


@pytest.mark.parametrize("name", NAMES)
def test_refitting_is_idempotent(name, datasets, fitted_models):
    first = fitted_models(name)
    cls = MODELS[name]
    data = data_for(cls, datasets)
    again = cls().fit(data)
    np.testing.assert_allclose(again.params_, first.params_, rtol=1e-8)
    refit = again.fit(data)
    np.testing.assert_allclose(refit.params_, first.params_, rtol=1e-8)
    assert refit.loglik_ == pytest.approx(first.loglik_, abs=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_predict_identically(name, datasets, fitted_models, tmp_path):
    model = fitted_models(name)
    data = data_for(MODELS[name], datasets)
    path = model.save(tmp_path / f"{name}.json")
    for loader in (type(model).load, Model.load):
        loaded = loader(path)
        assert type(loaded) is type(model)
        pd.testing.assert_series_equal(loaded.params_, model.params_)
        np.testing.assert_array_equal(loaded.covariance_, model.covariance_)
        np.testing.assert_array_equal(np.asarray(a_prediction(loaded, data)), np.asarray(a_prediction(model, data)))
        assert loaded.loglik_ == model.loglik_ and loaded.bic_ == pytest.approx(model.bic_)


@pytest.mark.parametrize("name", NAMES)
def test_weights_equal_repeated_rows(name, datasets):
    cls = MODELS[name]
    _skip_placeholder(cls)
    data = data_for(cls, datasets).drop(columns="customer_id", errors="ignore")
    if "weights" not in data.columns:  # compress to distinct histories with counts
        data = data.groupby(list(data.columns), as_index=False).size().rename(columns={"size": "weights"})
    weighted = cls().fit(data)
    repeated = cls().fit(expanded(data))
    np.testing.assert_allclose(weighted.params_, repeated.params_, rtol=1e-6)
    assert weighted.loglik_ == pytest.approx(repeated.loglik_, rel=1e-9)
    assert weighted.n_customers_ == repeated.n_customers_


@pytest.mark.parametrize("name", NAMES)
def test_fixed_seed_gives_identical_intervals(name, datasets, fitted_models):
    model = fitted_models(name)
    data = data_for(MODELS[name], datasets).head(40)
    method = next((getattr(model, m) for m in ("expected_spend", "probability_alive") if hasattr(model, m)), None)
    if method is None or "seed" not in inspect.signature(method).parameters:
        pytest.skip(f"{type(model).__name__} offers no per-customer prediction with a seeded interval")
    one, two = method(data, interval=0.8, seed=5), method(data, interval=0.8, seed=5)
    pd.testing.assert_frame_equal(one, two)
    assert (one["lower"] <= one["upper"]).all()


@pytest.mark.parametrize("name", NAMES)
def test_unfitted_model_raises_not_fitted(name, datasets):
    cls = MODELS[name]
    _skip_placeholder(cls)
    model = cls()
    with pytest.raises(NotFittedError):
        model.summary()
    with pytest.raises(NotFittedError):
        model.save("never-written.json")
    for method in ("probability_alive", "expected_spend"):
        if hasattr(model, method):
            with pytest.raises(NotFittedError):
                getattr(model, method)(data_for(cls, datasets).head(3))


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
    cls = MODELS[name]
    _skip_placeholder(cls)
    for data in unidentifiable(cls, datasets):
        with pytest.raises(ModelError):
            cls().fit(data)
