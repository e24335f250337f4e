"""A round with ``model = "auto"`` fits Gamma-Gamma and predicts the spend while ``auto`` chooses
its purchase model (the spend needs none): the same predictions, models and warnings as when
:func:`predict_customers` fits it after the choice."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
import pytest

import xuanba.models.choose as choose_module
from xuanba import Workspace
from xuanba.facts import customer_facts
from xuanba.models.gammagamma import GammaGamma
from xuanba.models.predict import predict_customers, spend_predictions
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import run_round
from xuanba.rounds.run import _steady
from xuanba.standard import starter_standard

CUTOFF = dt.date(2025, 12, 31)
SPEND = ["expected_spend", "spend_basis", "clv_1y", "clv_3y"]


@pytest.fixture(scope="module")
def four_years() -> pd.DataFrame:
    return simulate_transactions("pareto-nbd", 1500, "2022-01-01", "2025-12-31", seed=3)


def test_gamma_gamma_is_fitted_while_auto_chooses_and_predicts_what_after_the_choice_gives(
        four_years, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", four_years)
    fitted = threading.Event()
    real_fit, real_choose = GammaGamma.fit, choose_module.choose_model

    def fit(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        out = real_fit(self, *a, **k)
        fitted.set()
        return out

    def choose(*a, **k):  # noqa: ANN002, ANN003, ANN202
        # the choice waits for the spend's fit: after it (one thread) it would never come
        assert fitted.wait(30), "Gamma-Gamma was not fitted while auto chose"
        return real_choose(*a, **k)

    monkeypatch.setattr(GammaGamma, "fit", fit)
    monkeypatch.setattr(choose_module, "choose_model", choose)
    rnd = run_round(path, starter_standard("en"), CUTOFF, store=False)
    monkeypatch.undo()
    # the long way: auto's choice, then predict_customers fitting Gamma-Gamma after it, on the
    # facts as the round rounds them
    facts = _steady(customer_facts(four_years, CUTOFF))
    choice = choose_module.choose_model(four_years, CUTOFF, facts=facts)
    assert choice.model == rnd.meta["model_choice"]["model"]
    want, models = predict_customers(facts, purchase_model=choice.fitted[choice.model], spend_optional=True,
                                     return_models=True)
    want = _steady(want).set_index("customer_id")
    got = rnd.fields.set_index("customer_id").loc[want.index]
    pd.testing.assert_frame_equal(got[SPEND], want[SPEND], check_dtype=False)
    assert rnd.meta["models"]["spend"]["params"] == dict(models["spend"].params_)
    assert rnd.meta["model_warnings"] == []


def test_spend_predictions_given_are_those_predict_customers_makes(four_years):
    facts = customer_facts(four_years, CUTOFF)
    want, models = predict_customers(facts.copy(), model="bgnbd", return_models=True)
    spent = spend_predictions(facts)
    got, given = predict_customers(facts, model="bgnbd", return_models=True, spent=spent)
    pd.testing.assert_frame_equal(got, want)
    assert given["spend"] is spent.model
    assert np.array_equal(spent.model.params_.to_numpy(), models["spend"].params_.to_numpy())


def test_spend_predictions_without_a_fit_say_why_when_optional(four_years):
    """No repeat buyer: Gamma-Gamma cannot be fitted; optional gives NaN and the reason, else it raises."""
    facts = customer_facts(four_years, CUTOFF)
    facts = facts.assign(frequency=0, monetary_value=0.0)
    got = spend_predictions(facts, optional=True)
    assert got.model is None and np.isnan(got.spend).all()
    assert str(got.basis[0]).startswith("unavailable: ")
    from xuanba.errors import ModelError

    with pytest.raises(ModelError):
        spend_predictions(facts)
