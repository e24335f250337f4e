"""The shared machinery of the models: the registry behind ``Model.load``, options by
introspection, and the one fitting engine the covariate models reuse (hooks, not copies)."""

from __future__ import annotations

import ast
import inspect
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import InputError
from xuanba.models import BGNBD, BGNBDCovariates, Model, ParetoNBD, ParetoNBDCovariates, _base
from xuanba.models._base import registered_models


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    frame = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    return frame.assign(web=np.arange(len(frame)) % 2, region=np.where(np.arange(len(frame)) % 3 == 0, "north", "south"))


class ExponentialToy(Model):
    """A one-parameter exponential model of ``v``: the smallest complete model."""

    param_names: ClassVar[tuple[str, ...]] = ("rate",)
    history_columns: ClassVar[tuple[str, ...]] = ("v",)

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        return np.log(params[0]) - params[0] * data["v"]


def test_the_base_module_imports_no_model_module():
    """The base finds its subclasses through the registry, not by importing them."""
    tree = ast.parse(inspect.getsource(_base))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and m.startswith("xuanba.models")}


def test_a_new_model_class_registers_itself_and_loads(tmp_path):
    class TinyRegisteredModel(ExponentialToy):
        pass

    assert registered_models()["TinyRegisteredModel"] is TinyRegisteredModel
    model = TinyRegisteredModel(penalizer=0.0).fit(pd.DataFrame({"v": [1.0, 2.0, 2.5, 4.0]}))
    loaded = Model.load(model.save(tmp_path / "tiny.json"))
    assert type(loaded) is TinyRegisteredModel
    pd.testing.assert_series_equal(loaded.params_, model.params_)


def test_registry_refuses_a_second_class_of_the_same_name():
    with pytest.raises(TypeError, match="two model classes are named 'BGNBD'"):
        type("BGNBD", (Model,), {"__module__": "somewhere.else"})


def test_a_constructor_must_name_its_options():
    with pytest.raises(TypeError, match="names each option"):

        class Vague(Model):
            def __init__(self, **options):
                super().__init__()


def test_loading_through_another_model_class_is_refused(cdnow, tmp_path):
    path = ParetoNBD().fit(cdnow).save(tmp_path / "p.json")
    with pytest.raises(InputError, match="holds a ParetoNBD, not a BGNBD"):
        BGNBD.load(path)
    assert type(ParetoNBD.load(path)) is ParetoNBD


def test_set_params_discards_a_fit_only_when_an_option_changes(cdnow):
    model = BGNBD(time_unit="week").fit(cdnow)
    model.set_params(time_unit="week")
    assert hasattr(model, "params_")  # nothing changed
    model.set_params(penalizer=0.1)
    assert not hasattr(model, "params_") and not hasattr(model, "stderr_")


def test_get_params_follows_the_signature_of_a_subclass():
    class WithOption(ExponentialToy):
        def __init__(self, *, scale: float = 1.0, penalizer: float = 0.0) -> None:
            super().__init__(penalizer=penalizer)
            self.scale = scale

    model = WithOption(scale=3.0)
    assert model.get_params() == {"penalizer": 0.0, "scale": 3.0}
    assert model.clone().scale == 3.0


@pytest.mark.parametrize(
    ("cls", "engine_path"), [(BGNBDCovariates, "_fit_gradient"), (ParetoNBDCovariates, "_fit_simplex")]
)
def test_covariate_models_are_fitted_by_the_base_engine(cls, engine_path, cdnow, monkeypatch):
    """The optimiser and the standard errors of a covariate fit are the base engine's."""
    calls: dict[str, int] = {engine_path: 0, "_covariance": 0}
    for method in calls:
        original = getattr(Model, method)

        def counted(self, *args, _original=original, _method=method, **kwargs):
            calls[_method] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Model, method, counted)
    model = cls(covariates_purchase=["web"], covariates_dropout=["region"]).fit(cdnow)
    assert calls == {engine_path: 1, "_covariance": 1}
    assert model.converged_ and len(model.stderr_) == 6


def test_covariate_bgnbd_gradient_matches_differences_of_its_likelihood(cdnow):
    """The chain rule through the per-row parameter mapping (base parameters and coefficients)."""
    model = BGNBDCovariates(covariates_purchase=["web"], covariates_dropout=["region"])
    arrays, counts, names = model._fit_data(cdnow, None)
    assert names[4:] == ["purchase:web", "dropout:region[south]"]
    p = np.array([0.3, 4.0, 0.9, 2.6, 0.2, -0.3])
    terms, grads = model._loglik_grad(p, arrays)
    np.testing.assert_allclose(terms, model._loglik_terms(p, arrays), rtol=1e-13)

    def total(q: np.ndarray) -> float:
        return float(counts @ model._loglik_terms(q, arrays))

    step = 1e-6
    numeric = np.array([(total(p + step * e) - total(p - step * e)) / (2 * step) for e in np.eye(6)])
    np.testing.assert_allclose(counts @ grads, numeric, rtol=1e-5)


def test_coefficient_intervals_are_plain_wald(cdnow):
    """Coefficients may be negative or zero: their interval is estimate ± 1.96 stderr (the base
    parameters keep the log-scale one)."""
    summ = ParetoNBDCovariates(covariates_purchase=["web"]).fit(cdnow).summary()
    coef = summ.loc["purchase:web"]
    assert coef["estimate"] - coef["lower_95"] == pytest.approx(coef["upper_95"] - coef["estimate"])
    assert coef["upper_95"] - coef["lower_95"] == pytest.approx(2 * 1.959963984540054 * coef["stderr"])
    alpha = summ.loc["alpha"]
    assert alpha["lower_95"] * alpha["upper_95"] == pytest.approx(alpha["estimate"] ** 2)
