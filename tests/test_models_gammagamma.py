"""Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", on the 946
CDNOW repeat buyers (figures from tests/data/PUBLISHED.md), plus what it leaves out and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import ModelError
from xuanba.models import GammaGamma
from xuanba.models.gammagamma import NO_REPEAT, NON_POSITIVE


@pytest.fixture(scope="module")
def summary(test_data):
    frame = pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def fitted(summary):
    return GammaGamma().fit(summary)


def test_gammagamma_matches_fader_hardie_lee_2005_iso_value(fitted):
    """p=6.25, q=3.74, gamma=15.44, LL -4055.92, population mean spend 35.17."""
    assert [f"{fitted.params_[k]:.3g}" for k in ("p", "q", "v")] == ["6.25", "3.74", "15.4"]
    assert fitted.params_["v"] == pytest.approx(15.44, abs=0.01)
    assert fitted.loglik_ == pytest.approx(-4055.92, abs=0.01)
    assert fitted.n_customers_ == 946
    assert fitted.mean_spend() == pytest.approx(35.17, abs=0.005)


def test_gammagamma_conditional_spend_of_the_first_ten_customers_fader_hardie_lee_2005(fitted, summary):
    """Published: 24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17."""
    got = fitted.expected_spend(summary.head(10))
    published = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    # to 3 significant figures: within half a unit of the third digit (24.65 vs 24.66 here)
    assert got.to_numpy() == pytest.approx(published, abs=0.02)
    assert got.index.tolist() == list(range(1, 11))


def test_gammagamma_lists_who_it_left_out_and_why(fitted, summary):
    assert fitted.excluded_counts_ == {NO_REPEAT: 1411, NON_POSITIVE: 0}
    assert set(fitted.excluded_["customer_id"]) == set(summary.loc[summary["frequency"] == 0, "customer_id"])
    data = summary.head(300).copy()
    data.loc[[1, 6], "monetary_value"] = [0.0, -12.5]  # a zero and a credit note, both repeat buyers
    model = GammaGamma().fit(data)
    refunds = model.excluded_[model.excluded_["reason"] == NON_POSITIVE]
    assert refunds["customer_id"].tolist() == data.loc[[1, 6], "customer_id"].tolist()
    # they get the population mean, never a negative or zero expected spend
    assert model.expected_spend(data.loc[[1, 6]]).tolist() == pytest.approx([model.mean_spend()] * 2)


def test_gammagamma_reports_the_frequency_spend_correlation(fitted, summary):
    repeat = summary[summary["frequency"] > 0]
    assert fitted.frequency_spend_correlation_ == pytest.approx(
        np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1], rel=1e-9
    )
    assert fitted.assumption_warning_ is None  # 0.11 on CDNOW
    rng = np.random.default_rng(4)
    x = rng.integers(1, 20, 2000)
    skewed = pd.DataFrame({"frequency": x, "monetary_value": 5 * x * rng.gamma(6, 1 / 6, 2000)})
    model = GammaGamma().fit(skewed)
    assert model.frequency_spend_correlation_ > 0.3
    assert "independent" in model.assumption_warning_


def test_gammagamma_recovers_simulated_parameters():
    """Spend simulated from the model (p=6, q=4, v=15) for 20k customers: within 4 standard errors."""
    rng = np.random.default_rng(9)
    n, truth = 20_000, np.array([6.0, 4.0, 15.0])
    x = rng.integers(1, 15, n)
    nu = rng.gamma(truth[1], 1 / truth[2], n)
    mean_spend = rng.gamma(truth[0] * x, 1 / nu) / x  # sum of x Gamma(p, nu) values, averaged
    model = GammaGamma().fit(pd.DataFrame({"frequency": x, "monetary_value": mean_spend}))
    z = (model.params_.to_numpy() - truth) / model.stderr_.to_numpy()
    assert np.all(np.abs(z) < 4), z


def test_gammagamma_needs_repeat_buyers():
    with pytest.raises(ModelError, match="repeat purchases and positive spend"):
        GammaGamma().fit(pd.DataFrame({"customer_id": ["a", "b"], "frequency": [0, 2], "monetary_value": [0.0, 10.0]}))


# -- the exact-Hessian Newton fit --------------------------------------------------------------
def test_gammagamma_sums_match_brute_force(summary):
    """``_loglik_sums`` against the per-row log-likelihood summed directly and its central
    differences (second differences of the value, not of the analytic gradient)."""
    from xuanba.models._base import compress, numerical_hessian

    model = GammaGamma()
    repeat = summary[summary["frequency"] > 0]
    distinct, counts, _ = compress(repeat, model.history_columns, None)
    arrays = model._prepare({c: distinct[c].to_numpy(dtype=float) for c in model.history_columns})
    for params in ([6.25, 3.74, 15.44], [1.5, 8.0, 60.0]):
        p = np.array(params)

        def total(q: np.ndarray) -> float:
            return float(counts @ model._loglik_terms(q, arrays))

        ll, grad, hess = model._loglik_sums(p, arrays, counts)
        assert ll == pytest.approx(total(p), rel=1e-12)
        h = 1e-6 * p
        numeric = np.array([(total(p + h * e) - total(p - h * e)) / (2 * h[i]) for i, e in enumerate(np.eye(3))])
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4 * np.abs(numeric).max())
        np.testing.assert_allclose(hess, numerical_hessian(total, p, rel_step=1e-4), rtol=2e-4)
        np.testing.assert_array_equal(hess, hess.T)


def test_gammagamma_newton_fit_equals_the_lbfgs_fit_on_cdnow(summary, monkeypatch):
    """The Newton fit lands where the L-BFGS-B fit it replaced did (the published p=6.25,
    q=3.74, gamma=15.44, LL -4055.92 are checked above), with the same standard errors."""
    from xuanba.models._base import Model

    newton = GammaGamma().fit(summary)
    monkeypatch.setattr(GammaGamma, "_loglik_sums", Model._loglik_sums)  # the previous path
    lbfgs = GammaGamma().fit(summary)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-6)
    assert newton.loglik_ >= lbfgs.loglik_ - 1e-7
    assert newton.loglik_ == pytest.approx(-4055.92, abs=0.01)
    np.testing.assert_allclose(newton.stderr_, lbfgs.stderr_, rtol=1e-4)
    assert newton.converged_ and not newton.problems_


def test_gammagamma_weighted_fit_equals_the_fit_on_every_customer(summary):
    """Compressed to distinct (frequency, spend) with counts as weights: the same estimates."""
    doubled = pd.concat([summary, summary], ignore_index=True)
    every = GammaGamma().fit(doubled)
    weighted = GammaGamma().fit(summary, weights=np.full(len(summary), 2.0))
    np.testing.assert_allclose(weighted.params_, every.params_, rtol=1e-6)
    assert weighted.loglik_ == pytest.approx(every.loglik_, rel=1e-9)


def test_a_newton_fit_stopped_by_round_off_at_the_optimum_is_kept(summary, monkeypatch):
    """trust-exact may end with status 2 ("no step improves") a hair above its gtol when the sums
    run over many histories (Gamma-Gamma on 1 M customers: gradient 1e-8 at its last accepted
    point, 1e-14 at a trial it rejected for the round-off of the value); the flattest point it
    evaluated is kept when its gradient is below 1e-8, not thrown away for a slower L-BFGS-B
    fit, while a status 2 that saw no such point still falls back."""
    from scipy import optimize

    from xuanba.models import _base

    real = _base.optimize.minimize
    fitted = GammaGamma().fit(summary)
    theta = fitted.params_.to_numpy()
    optimum = np.log(theta)
    # the free-scale Hessian of the mean at the optimum, and a point whose gradient is ~3e-9
    hess = np.diag(theta) @ np.linalg.inv(fitted.covariance_) @ np.diag(theta) / fitted.n_customers_
    near = optimum + np.linalg.solve(hess, np.array([3e-9, 0.0, 0.0]))
    seen: list[float] = []

    def stopped(fun, x0, jac=None, hess=None, method=None, options=None, **kwargs):
        if method != "trust-exact":
            return real(fun, x0, jac=jac, hess=hess, method=method, options=options, **kwargs)
        for x in [x0, *visit]:
            seen.append(float(np.max(np.abs(jac(x)))))
        return optimize.OptimizeResult(x=x0, fun=fun(x0), jac=jac(x0), success=False, status=2)

    def no_fallback(*args, **kwargs):
        raise AssertionError("fell back to L-BFGS-B")

    monkeypatch.setattr(_base.optimize, "minimize", stopped)
    visit = [near]
    with monkeypatch.context() as m:
        m.setattr(GammaGamma, "_fit_gradient", no_fallback)
        kept = GammaGamma().fit(summary)
    assert 1e-10 < seen[-1] < 1e-8  # between trust-exact's gtol and the round-off bound
    assert kept.converged_ and kept.loglik_ == pytest.approx(-4055.92, abs=0.01)
    np.testing.assert_allclose(kept.params_, theta, rtol=1e-6)
    np.testing.assert_allclose(kept.stderr_, fitted.stderr_, rtol=1e-6)
    visit = []  # only the start was seen: no optimum, the L-BFGS-B fit decides
    with pytest.raises(AssertionError, match="fell back"), monkeypatch.context() as m:
        m.setattr(GammaGamma, "_fit_gradient", no_fallback)
        GammaGamma().fit(summary)
