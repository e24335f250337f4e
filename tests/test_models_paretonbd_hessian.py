"""The exact Hessian of Pareto/NBD's log-likelihood and the Newton fit it drives.

The second derivatives of the tail integral are checked against an independent computation
where one exists (the rate derivatives are ratios of values of the same integral: ``∂I/∂alpha =
−p I(p+1)``) and against central differences of the exact gradient elsewhere, over the hard
regions: ``alpha = beta`` (``z = 0``) and nearly so, busy histories (large ``p``), large ``q``,
ages far beyond the last purchase, and ``z`` beyond 0.9 (the graded quadrature). The summed
Hessian is checked against differences of the summed gradient and of the summed likelihood; the
Newton fit against the published CDNOW estimates (Fader, Hardie & Lee 2005; tests/data/
PUBLISHED.md) and the L-BFGS-B fit it replaced; and data that make Newton give way (nobody ever
drops out) get the L-BFGS-B fit, unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import Model, ParetoNBD
from xuanba.models._base import gradient_hessian, numerical_hessian
from xuanba.models._paretonbd_math import (
    log_tail_integral,
    log_tail_integral_grad,
    log_tail_integral_hess,
)
from xuanba.models.paretonbd import sample_customers

# (alpha, p, beta, q, y): alpha = beta exactly and nearly, both branches, small and large z,
# busy histories (p = 300), large q (s = 40), y far beyond the rates, z beyond 0.9 (quadrature)
CASES = [
    (10.578, 2.553, 11.669, 1.606, 38.86), (11.669, 0.553, 10.578, 1.606, 0.0),
    (3.0, 1.5, 3.0, 1.3, 2.0), (3.0, 1.5, 3.0 * (1 + 1e-9), 1.3, 2.0), (7.0, 20.5, 7.0, 41.0, 0.0),
    (100.0, 1.5, 0.05, 1.8, 0.0), (0.05, 1.5, 100.0, 1.8, 10.0), (5.0, 300.553, 0.5, 1.606, 400.0),
    (0.01, 50.3, 300.0, 1.2, 0.2), (2.0, 1.5, 3.0, 1.2, 4.0), (20.0, 4.0, 1.0, 1.05, 1.2),
    (1.0, 0.8, 9.0, 2.5, 0.05), (0.5, 0.6, 2.0, 41.0, 5000.0), (1000.0, 0.3, 0.001, 1.5, 0.0),
]


@pytest.mark.parametrize("case", CASES)
def test_tail_integral_hessian_matches_identities_and_differences_of_the_gradient(case):
    alpha, p, beta, q, y = case
    value, grad, hess = log_tail_integral_hess(alpha, p, beta, q, y)
    v0, g0 = log_tail_integral_grad(alpha, p, beta, q, y)
    assert value[0] == pytest.approx(v0[0], rel=1e-13, abs=1e-13)
    np.testing.assert_allclose(grad[0], g0[0], rtol=1e-10, atol=1e-13 * np.abs(g0).max())
    np.testing.assert_array_equal(hess[0], hess[0].T)

    # the rates, without any derivative: dI/dalpha = −p I(p+1), dI/dbeta = −q I(q+1), so
    # d²log I/dalpha² = p(p+1) I(p+2)/I − (p I(p+1)/I)², and alike for beta and the cross term
    def ratio(dp: float, dq: float) -> float:
        return float(np.exp(log_tail_integral(alpha, p + dp, beta, q + dq, y) - v0[0]))

    assert hess[0, 0, 0] == pytest.approx(p * (p + 1) * ratio(2, 0) - (p * ratio(1, 0)) ** 2, rel=1e-7)
    assert hess[0, 2, 2] == pytest.approx(q * (q + 1) * ratio(0, 2) - (q * ratio(0, 1)) ** 2, rel=1e-7)
    assert hess[0, 0, 2] == pytest.approx(p * q * (ratio(1, 1) - ratio(1, 0) * ratio(0, 1)), rel=1e-6,
                                          abs=1e-9 * abs(hess[0, 0, 0]))

    # every entry against central differences of the exact gradient (the quadrature's panels
    # move with the parameters, so there a larger step)
    x = np.array([alpha, p, beta, q])
    step = 1e-4 if (max(alpha, beta) - min(alpha, beta)) / (max(alpha, beta) + y) > 0.9 else 1e-6
    numeric = np.empty((4, 4))
    for i in range(4):
        e = np.zeros(4)
        e[i] = step * x[i]
        numeric[i] = (log_tail_integral_grad(*(x + e), y)[1][0] - log_tail_integral_grad(*(x - e), y)[1][0]) / (2 * e[i])
    np.testing.assert_allclose(hess[0], numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


def test_tail_integral_hessian_is_vectorised_and_finite_on_random_cases():
    """4,000 random cases over both branches: finite, symmetric, the same row by row as in one call."""
    rng = np.random.default_rng(1)
    n = 4000
    alpha, beta = np.exp(rng.uniform(-3, 5, n)), np.exp(rng.uniform(-3, 5, n))
    beta[:200] = alpha[:200]  # alpha = beta: z = 0
    p = np.where(np.arange(n) < n // 2, rng.uniform(0.05, 5, n), rng.uniform(0.05, 300, n))
    q, y = rng.uniform(1.05, 40, n), rng.uniform(0, 400, n)
    value, grad, hess = log_tail_integral_hess(alpha, p, beta, q, y)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
    np.testing.assert_array_equal(hess, np.transpose(hess, (0, 2, 1)))
    np.testing.assert_allclose(value, log_tail_integral(alpha, p, beta, q, y), rtol=1e-13, atol=1e-11)
    for i in rng.choice(n, 20, replace=False):
        _, _, h1 = log_tail_integral_hess(alpha[i], p[i], beta[i], q[i], y[i])
        np.testing.assert_allclose(h1[0], hess[i], rtol=1e-9, atol=1e-12 * np.abs(hess[i]).max())


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    return pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})


def _long_lived() -> pd.DataFrame:
    """Pareto/NBD customers observed far beyond their last purchase (T up to 400 weeks, most
    dead long before), a few very busy ones, and whole-day times."""
    rng = np.random.default_rng(5)
    h = sample_customers(0.8, 6.0, 0.5, 9.0, rng.uniform(1, 400, 3000), seed=5)
    return h.round({"recency": 2, "T": 2})


# natural parameters (r, alpha, s, beta): the CDNOW optimum, alpha = beta, large r and s, a
# death rate far above the purchase rate and the reverse
PARAMS = [(0.553, 10.578, 0.606, 11.669), (0.5, 10.0, 0.6, 10.0), (50.0, 400.0, 30.0, 900.0),
          (0.3, 3.0, 1.4, 20.0), (2.0, 30.0, 0.2, 2.0), (0.5, 0.01, 0.6, 100.0)]


@pytest.mark.parametrize("data", ["cdnow", "long_lived"])
@pytest.mark.parametrize("params", PARAMS)
def test_summed_hessian_matches_differences_of_the_gradient_and_of_the_likelihood(cdnow, data, params):
    frame = cdnow if data == "cdnow" else _long_lived()
    model = ParetoNBD()
    arrays = model._prepare({c: frame[c].to_numpy(float) for c in ("frequency", "recency", "T")})
    counts = np.random.default_rng(2).integers(1, 4, len(frame)).astype(float)  # weights too
    p = np.array(params)
    ll, grad, hess = model._loglik_sums(p, arrays, counts)
    ll0, grad0 = model._loglik_grad_sum(p, arrays, counts)
    assert ll == pytest.approx(float(counts @ model._loglik_terms(p, arrays)), rel=1e-12)
    assert ll == pytest.approx(ll0, rel=1e-13)
    np.testing.assert_allclose(grad, grad0, rtol=1e-9, atol=1e-11 * np.abs(grad0).max())
    np.testing.assert_array_equal(hess, hess.T)
    by_gradient = gradient_hessian(lambda v: model._loglik_grad_sum(v, arrays, counts)[1], p)
    np.testing.assert_allclose(hess, by_gradient, rtol=1e-5, atol=1e-6 * np.abs(by_gradient).max())
    by_value = numerical_hessian(lambda v: float(counts @ model._loglik_terms(v, arrays)), p, rel_step=1e-4)
    np.testing.assert_allclose(hess, by_value, rtol=1e-3, atol=1e-4 * np.abs(by_value).max())


def _lbfgs(monkeypatch, frame: pd.DataFrame, **fit) -> ParetoNBD:
    """The fit Pareto/NBD had before its exact Hessian (L-BFGS-B on the analytic gradient)."""
    with monkeypatch.context() as patch:
        patch.setattr(ParetoNBD, "_loglik_sums", Model._loglik_sums)
        return ParetoNBD().fit(frame, **fit)


def test_newton_fit_reproduces_cdnow_and_the_lbfgs_fit(cdnow, monkeypatch):
    """FHL 2005: r = 0.553, α = 10.578, s = 0.606, β = 11.669, LL −9594.976; the Newton fit lands
    on the L-BFGS-B optimum to 1e-6, its standard errors (the exact Hessian) equal those from
    differences of the gradient."""
    called: list[str] = []
    real = Model._fit_gradient

    def spy(self, *args):
        called.append("gradient")
        return real(self, *args)

    monkeypatch.setattr(Model, "_fit_gradient", spy)
    newton = ParetoNBD().fit(cdnow)
    assert called == []  # Newton converged: no fallback
    assert newton.converged_ and not newton.problems_
    for name, value in {"r": 0.553, "alpha": 10.578, "s": 0.606}.items():
        assert newton.params_[name] == pytest.approx(value, abs=6e-4 * max(1, value))
    assert newton.params_["beta"] == pytest.approx(11.669, rel=2e-3)
    assert newton.loglik_ == pytest.approx(-9594.976, abs=0.01)
    lbfgs = _lbfgs(monkeypatch, cdnow)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-6)
    assert newton.loglik_ >= lbfgs.loglik_ - 1e-8
    np.testing.assert_allclose(newton.stderr_, lbfgs.stderr_, rtol=1e-5)


def test_newton_fit_of_many_histories_equals_the_lbfgs_fit(monkeypatch):
    """Over 20,000 distinct histories (the Newton fit starts from a subsample): the same optimum
    as L-BFGS-B to 1e-6, and the simulated parameters within four standard errors."""
    rng = np.random.default_rng(8)
    truth = {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}
    h = sample_customers(*truth.values(), rng.uniform(1, 78, 60_000), seed=8)
    newton = ParetoNBD().fit(h)
    assert newton.n_distinct_ > 20_000 and newton.converged_ and not newton.problems_
    lbfgs = _lbfgs(monkeypatch, h)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-6)
    assert newton.loglik_ >= lbfgs.loglik_ - 1e-7
    np.testing.assert_allclose(newton.stderr_, lbfgs.stderr_, rtol=1e-4)
    for name, value in truth.items():
        assert abs(newton.params_[name] - value) < 4 * newton.stderr_[name], name


def test_newton_gives_way_to_the_gradient_fit_where_nobody_drops_out(monkeypatch):
    """Poisson buyers who never die: s runs to 0. Newton stops as soon as s passes the edge
    (each step out there costs more) and the L-BFGS-B fit, which knows how to end at an edge,
    takes over: the result is the one that fit gives alone, flagged."""
    rng = np.random.default_rng(11)
    immortal = sample_customers(2.0, 4.0, 1e-12, 1.0, rng.uniform(10, 78, 2000), seed=11).round({"recency": 3, "T": 3})
    outcome: list[object] = []
    real = Model._fit_newton

    def spy(self, *args):
        outcome.append(real(self, *args))
        return outcome[-1]

    monkeypatch.setattr(Model, "_fit_newton", spy)
    fell_back = ParetoNBD().fit(immortal)
    assert outcome == [None]  # the Newton fit failed ...
    alone = _lbfgs(monkeypatch, immortal)
    np.testing.assert_array_equal(fell_back.params_, alone.params_)  # ... and the old path decided
    assert fell_back.loglik_ == alone.loglik_ and fell_back.problems_ == alone.problems_
    assert fell_back.params_["s"] < 1e-4 and any(p.startswith("s = ") for p in fell_back.problems_)


def test_penalized_newton_fit_matches_the_penalized_lbfgs_fit(cdnow, monkeypatch):
    """The penalty's gradient and Hessian join the exact ones (``Model._fit_newton``): the same
    penalized optimum as L-BFGS-B, and the penalty bites (beta falls from 11.7 to 5.9)."""
    newton = ParetoNBD(penalizer=0.05).fit(cdnow)
    lbfgs = _lbfgs_penalized(monkeypatch, cdnow)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-6)
    assert newton.params_["beta"] < 0.6 * ParetoNBD().fit(cdnow).params_["beta"]


def _lbfgs_penalized(monkeypatch, frame: pd.DataFrame) -> ParetoNBD:
    with monkeypatch.context() as patch:
        patch.setattr(ParetoNBD, "_loglik_sums", Model._loglik_sums)
        return ParetoNBD(penalizer=0.05).fit(frame)
