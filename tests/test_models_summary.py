"""Model summaries and persistence shared by every model (base class behaviour)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import Model, ParetoNBD
from xuanba.models.covariates import BGNBDCovariates


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    return pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})


def test_intervals_are_log_scale_wald_and_stay_positive(cdnow):
    """Pareto/NBD's beta on CDNOW has a standard error larger than half its estimate; a
    natural-scale Wald interval would go below zero, the log-scale one does not."""
    summ = ParetoNBD().fit(cdnow).summary()
    beta = summ.loc["beta"]
    assert beta["stderr"] > beta["estimate"] / 1.96  # the case that used to cross zero
    assert 0 < beta["lower_95"] < beta["estimate"] < beta["upper_95"]
    z = 1.959963984540054
    expected = np.exp(np.log(summ["estimate"]) + z * summ["stderr"] / summ["estimate"])
    np.testing.assert_allclose(summ["upper_95"], expected, rtol=1e-12)
    np.testing.assert_allclose(summ["lower_95"] * summ["upper_95"], summ["estimate"] ** 2, rtol=1e-12)


def test_covariate_models_load_through_the_base_class(cdnow, tmp_path):
    data = cdnow.assign(big=(cdnow["T"] > 35).astype(float))
    model = BGNBDCovariates(covariates_purchase=["big"]).fit(data)
    back = Model.load(model.save(tmp_path / "m.json"))
    assert type(back) is BGNBDCovariates
    pd.testing.assert_series_equal(back.params_, model.params_)


def test_fit_effort_is_bounded_when_the_likelihood_runs_to_an_edge(monkeypatch):
    """Spend with no heterogeneity between customers drives Gamma-Gamma's q to infinity, and
    L-BFGS-B stops short. The fallback simplex has a budget: the fit ends after a bounded number
    of likelihood evaluations (it once took ~100,000 over every history: minutes at 1 M)."""
    from xuanba.models import GammaGamma

    rng = np.random.default_rng(3)
    n = 2000
    freq = rng.integers(1, 30, n)
    spend = 50 + rng.normal(0, 0.01, n)  # every customer spends the same
    table = pd.DataFrame({"customer_id": np.arange(n), "frequency": freq, "monetary_value": spend})
    calls = {"n": 0}
    original = GammaGamma._loglik_grad

    def counted(self, params, arrays):
        calls["n"] += 1
        return original(self, params, arrays)

    monkeypatch.setattr(GammaGamma, "_loglik_grad", counted)
    model = GammaGamma().fit(table)
    assert calls["n"] <= 2000
    assert model.mean_spend() == pytest.approx(50, rel=1e-3)
