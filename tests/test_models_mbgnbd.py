"""MBG/NBD: Batislam, Denizel & Filiztekin (2007) estimates on CDNOW (as listed in
tests/data/PUBLISHED.md), brute-force cross-checks and numerical stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from xuanba.errors import ModelError
from xuanba.models import BGNBD, MBGNBD

PUBLISHED = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


@pytest.fixture(scope="module")
def summary(test_data):
    return pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})


@pytest.fixture(scope="module")
def fitted(summary):
    return MBGNBD().fit(summary)


def model_at(params):
    model = MBGNBD()
    model.params_ = pd.Series(params)
    return model


def test_mbgnbd_matches_batislam_denizel_filiztekin_2007_on_cdnow(fitted):
    """r=0.525, alpha=6.183, a=0.891, b=1.614; LL -9582.13."""
    for name, value in PUBLISHED.items():
        assert f"{fitted.params_[name]:.3g}" == f"{value:.3g}", name
    assert fitted.loglik_ == pytest.approx(-9582.13, abs=0.01)
    assert fitted.converged_


def test_mbgnbd_analytic_gradient_matches_finite_differences(summary):
    model = MBGNBD()
    data = {c: summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")}
    p = np.array([0.525, 6.183, 0.891, 1.614]) * np.array([1.3, 0.7, 1.2, 0.8])
    analytic = model._loglik_grad(p, data)[1].sum(axis=0)
    numeric = np.empty(4)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-5 * p[i]
        numeric[i] = (model._loglik_terms(p + h, data).sum() - model._loglik_terms(p - h, data).sum()) / (2 * h[i])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-3)


def test_mbgnbd_count_distribution_is_a_distribution_with_the_right_mean():
    """Sum over n of P(X(t)=n) is 1 and its mean is the closed-form E[X(t)]."""
    model = model_at(PUBLISHED)
    n = np.arange(0, 3000)
    pmf = model.probability_purchases(n, 52).to_numpy()
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(model.expected_purchases_new(52), rel=1e-8)
    # a customer can drop out at her first purchase: P(X(t)=0) >= a/(a+b) for any t
    assert model.probability_purchases(0, 1e6) >= PUBLISHED["a"] / (PUBLISHED["a"] + PUBLISHED["b"]) - 1e-9


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 38.0), (1, 0.5, 38.0), (300, 399.0, 400.0), (5, 30.0, 39.0)])
def test_mbgnbd_expectation_matches_integration(x, t_x, T):
    """Given alive, lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+1) and
    E[Y | lambda, p] = (1 - exp(-lambda p t))/p; P(alive) from the likelihood terms."""
    r, alpha, a, b = PUBLISHED.values()
    t = 52.0
    dist = stats.beta(a, b + x + 1)
    given_alive = integrate.quad(
        lambda p: -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p * dist.pdf(p),
        dist.ppf(1e-15), dist.isf(1e-15), points=[dist.mean()], limit=400, epsabs=0, epsrel=1e-11,
    )[0]
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    h = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]})
    model = model_at(PUBLISHED)
    assert float(model.probability_alive(h).iloc[0]) == pytest.approx(special.expit(-log_odds), rel=1e-12)
    assert float(model.expected_purchases(h, t).iloc[0]) == pytest.approx(
        special.expit(-log_odds) * given_alive, rel=1e-7
    )


def test_mbgnbd_customer_without_repeat_purchase_may_be_dead_unlike_bgnbd():
    h = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [38.86]})
    assert float(model_at(PUBLISHED).probability_alive(h).iloc[0]) < 0.5
    bg = BGNBD()
    bg.params_ = pd.Series(PUBLISHED)
    assert float(bg.probability_alive(h).iloc[0]) == 1.0


def test_mbgnbd_fit_without_repeat_purchases_is_refused():
    with pytest.raises(ModelError):
        MBGNBD().fit(pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 4.0]}))
