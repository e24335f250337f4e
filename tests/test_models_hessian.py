"""Exact log-likelihood sums, gradient and Hessian of BG/NBD and MBG/NBD (``_loglik_sums``),
checked against brute force: the per-row log-likelihood summed directly and its central
differences (second differences of the value, not of the analytic gradient), and the Newton fit
checked against the L-BFGS-B fit it replaced and against the published CDNOW estimates
(Fader, Hardie & Lee 2005, as listed in tests/data/PUBLISHED.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import BGNBD, MBGNBD
from xuanba.models._base import Model, compress, numerical_hessian


def _simulated(n: int = 4000, seed: int = 7) -> pd.DataFrame:
    """BG/NBD customers with known parameters (r=0.243, alpha=4.414, a=0.793, b=2.426)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.243, 1 / 4.414, n)
    p = rng.beta(0.793, 2.426, n)
    big_t = np.round(rng.uniform(26, 78, n) * 7) / 7
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > big_t[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"customer_id": range(n), "frequency": x, "recency": np.round(tx * 7) / 7, "T": big_t})


@pytest.fixture(scope="module")
def histories() -> pd.DataFrame:
    return _simulated()


def _arrays(model: Model, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    distinct, counts, _ = compress(frame, model.history_columns, None)
    arrays = model._prepare({c: distinct[c].to_numpy(dtype=float) for c in model.history_columns})
    return arrays, counts


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD])
@pytest.mark.parametrize("params", [(0.25, 4.3, 0.8, 2.5), (1.7, 0.6, 3.0, 0.4)])
def test_sums_match_brute_force(histories, model_class, params):
    model = model_class()
    arrays, counts = _arrays(model, histories)
    p = np.array(params)
    ll, grad, hess = model._loglik_sums(p, arrays, counts)

    def total(q: np.ndarray) -> float:
        return float(counts @ model._loglik_terms(q, arrays))

    assert ll == pytest.approx(total(p), rel=1e-12)
    h = 1e-6 * p
    numeric_grad = np.array([(total(p + h * e) - total(p - h * e)) / (2 * h[i]) for i, e in enumerate(np.eye(4))])
    np.testing.assert_allclose(grad, numeric_grad, rtol=1e-5, atol=1e-4 * np.abs(numeric_grad).max())
    numeric_hess = numerical_hessian(total, p, rel_step=1e-4)
    np.testing.assert_allclose(hess, numeric_hess, rtol=2e-4, atol=1e-4 * np.abs(numeric_hess).max())
    np.testing.assert_array_equal(hess, hess.T)


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD])
def test_newton_fit_equals_lbfgs_fit(histories, model_class, monkeypatch):
    newton = model_class().fit(histories)
    monkeypatch.setattr(model_class, "_loglik_sums", Model._loglik_sums)  # the previous path
    lbfgs = model_class().fit(histories)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-5)
    assert newton.loglik_ >= lbfgs.loglik_ - 1e-7
    # standard errors from the exact Hessian against differences of the analytic gradient
    np.testing.assert_allclose(newton.stderr_, lbfgs.stderr_, rtol=1e-4)
    assert newton.converged_


def test_newton_fit_recovers_published_cdnow(test_data):
    """FHL 2005 CDNOW estimates r=0.243, alpha=4.414, a=0.793, b=2.426, LL -9582.4."""
    frame = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    model = BGNBD().fit(frame)
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert f"{model.params_[name]:.3g}" == f"{value:.3g}"
    assert round(model.loglik_, 1) == -9582.4


def test_penalized_newton_fit_matches_lbfgs(histories, monkeypatch):
    newton = BGNBD(penalizer=0.05).fit(histories)
    monkeypatch.setattr(BGNBD, "_loglik_sums", Model._loglik_sums)
    lbfgs = BGNBD(penalizer=0.05).fit(histories)
    np.testing.assert_allclose(newton.params_, lbfgs.params_, rtol=1e-5)
    assert newton.params_["alpha"] < BGNBD().fit(histories).params_["alpha"]  # the penalty bites


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD])
def test_discounted_purchases_per_pair_match_a_month_by_month_sum(histories, model_class):
    """The per-(x, T) weighted sums of the value equal the brute-force monthly sum, for several
    horizons at once (one of them not a whole number of months)."""
    from xuanba.models.value import DAYS_PER_YEAR, discounted_purchases

    model = model_class(time_unit="week").fit(histories)
    head = histories.sample(300, random_state=3)
    rate, horizons = 0.08, [0.5, 1.3, 3.0]
    got = discounted_purchases(model, head, horizons, discount_rate=rate, time_unit="week")
    year = DAYS_PER_YEAR / 7
    for horizon, values in zip(horizons, got, strict=True):
        brute, previous = np.zeros(len(head)), np.zeros(len(head))
        for k in range(1, int(np.ceil(horizon * 12 - 1e-9)) + 1):
            end = min(k / 12, horizon)
            now = model.expected_purchases(head, end * year).to_numpy()
            brute += (now - previous) / (1 + rate) ** end
            previous = now
        np.testing.assert_allclose(values, brute, rtol=1e-10, atol=1e-14)
