"""Pareto/NBD: published CDNOW figures, a brute-force likelihood, DERT by numerical integration,
stability on extreme histories, parameter recovery by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from xuanba.errors import InputError, ModelError, NotFittedError
from xuanba.models import Model, ParetoNBD
from xuanba.models._paretonbd_math import log_tail_integral
from xuanba.models.paretonbd import loglik_terms, sample_customers

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW sample (PUBLISHED.md)
FHL = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    frame = pd.read_csv(test_data / "cdnow_customers_summary.csv")
    return frame.rename(columns={"ID": "customer_id"})


@pytest.fixture(scope="module")
def fitted(cdnow) -> ParetoNBD:
    return ParetoNBD().fit(cdnow)


def published() -> ParetoNBD:
    model = ParetoNBD()
    model.params_ = pd.Series(FHL, name="estimate")
    return model


def brute_loglik(r, alpha, s, beta, x, t_x, big_t) -> float:
    """The likelihood as 'alive at T' + 'died at τ in (t_x, T]', the integral done by quad
    (powers of alpha + τ taken relative to alpha + t_x so that nothing underflows)."""
    ref = np.log(alpha + t_x)

    def dens(tau):
        return np.exp(-(r + x) * (np.log(alpha + tau) - ref)) * s * beta**s * (beta + tau) ** -(s + 1)

    scale = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - (r + x) * ref
    alive = np.exp(-(r + x) * (np.log(alpha + big_t) - ref)) * (beta / (beta + big_t)) ** s
    died = integrate.quad(dens, t_x, big_t, epsabs=0, epsrel=1e-12, limit=200)[0] if big_t > t_x else 0.0
    return scale + np.log(alive + died)


def test_paretonbd_matches_fader_hardie_lee_2005(fitted):
    """PUBLISHED.md: r=0.553, α=10.578, s=0.606, β=11.669, LL −9594.976 (β nearly flat)."""
    est = fitted.params_
    assert est["r"] == pytest.approx(0.553, abs=6e-4)
    assert est["alpha"] == pytest.approx(10.578, abs=6e-3)
    assert est["s"] == pytest.approx(0.606, abs=6e-4)
    assert est["beta"] == pytest.approx(11.669, rel=2e-3)
    assert fitted.loglik_ == pytest.approx(-9594.976, abs=0.01)
    assert fitted.n_customers_ == 2357
    assert set(fitted.summary().columns) == {"estimate", "stderr", "lower_95", "upper_95"}
    assert np.all(fitted.stderr_ > 0)


def test_paretonbd_predictions_fader_hardie_lee_2005(fitted):
    """E[X(52)] = 1.4734; x=26, t_x=30.85714, T=31: E[Y(52)] = 25.456, P(alive) = 0.99787;
    paradox (t_x=20, T=39, t=52) x = 10, 15, 20, 25: 0.70623, 0.14424, 0.022507, 0.0030927."""
    assert fitted.expected_purchases_new(52) == pytest.approx(1.4734, rel=2e-4)
    h = pd.DataFrame({"customer_id": ["a"], "frequency": [26], "recency": [30.85714], "T": [31.0]})
    assert fitted.expected_purchases(h, 52)["a"] == pytest.approx(25.456, rel=2e-4)
    assert fitted.probability_alive(h)["a"] == pytest.approx(0.99787, abs=2e-5)
    paradox = pd.DataFrame({"frequency": [10, 15, 20, 25], "recency": 20.0, "T": 39.0})
    got = fitted.expected_purchases(paradox, 52).to_numpy()
    np.testing.assert_allclose(got, [0.70623, 0.14424, 0.022507, 0.0030927], rtol=1.5e-3)


def test_paretonbd_loglik_matches_brute_force_integral_on_extreme_histories():
    """Busy (300 over T 400), zero, one-purchase and dead-looking histories, with α ≫ β, α ≪ β
    and α ≈ β (both hypergeometric branches and the graded quadrature near z = 1)."""
    histories = [(300, 399.0, 400.0), (300, 100.0, 400.0), (0, 0.0, 400.0), (1, 0.01, 400.0),
                 (1, 390.0, 400.0), (0, 0.0, 0.5), (5, 38.0, 39.0), (40, 3.0, 39.0)]
    params = [(0.553, 10.578, 0.606, 11.669), (0.5, 100.0, 0.8, 0.05), (2.0, 0.01, 0.3, 50.0),
              (1.3, 5.0, 2.5, 5.0), (0.05, 2000.0, 0.05, 0.5)]
    for p in params:
        for x, t_x, big_t in histories:
            got = float(loglik_terms(*p, x, t_x, big_t))
            assert np.isfinite(got)
            assert got == pytest.approx(brute_loglik(*p, x, t_x, big_t), abs=1e-7, rel=1e-9), (p, x)


def test_log_tail_integral_near_one_agrees_with_quad():
    """z = (hi − lo)/(hi + y) close to 1 uses the graded quadrature; check it against quad."""
    for alpha, p, beta, q, y in [(1000.0, 0.3, 0.001, 1.5, 0.0), (0.01, 50.3, 300.0, 1.2, 0.2),
                                 (0.02, 0.5, 50.0, 3.0, 0.0), (5.0, 2.0, 6.0, 1.1, 3.0)]:
        ref = integrate.quad(
            lambda t, a=alpha, pp=p, b=beta, qq=q: (a + t) ** -pp * (b + t) ** -qq,
            y, np.inf, epsabs=0, epsrel=1e-12, limit=500,
            points=None,
        )[0] if y > 0 else sum(
            integrate.quad(lambda t, a=alpha, pp=p, b=beta, qq=q: (a + t) ** -pp * (b + t) ** -qq,
                           lo, hi, epsabs=0, epsrel=1e-12, limit=500)[0]
            for lo, hi in [(0, 1e-3), (1e-3, 1), (1, 1e3), (1e3, np.inf)]
        )
        assert float(np.exp(log_tail_integral(alpha, p, beta, q, y))) == pytest.approx(ref, rel=1e-8)


def test_paretonbd_stable_for_busy_and_one_purchase_customers(fitted):
    h = pd.DataFrame({"frequency": [300, 1, 0, 1], "recency": [399.0, 0.01, 0.0, 400.0], "T": 400.0})
    for values in (fitted.expected_purchases(h, 52), fitted.probability_alive(h),
                   fitted.probability_no_purchase(h, 52),
                   fitted.expected_discounted_purchases(h, 0.003)):
        assert np.all(np.isfinite(values.to_numpy()))
    alive = fitted.probability_alive(h).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[0] > 0.99 and alive[1] < 0.01  # the busy customer is alive, the lapsed one not


def test_dert_matches_numerical_integral_of_expected_purchases(fitted):
    """DERT = ∫ e^(−δt) dE[Y(t)] = δ ∫_0^∞ e^(−δt) E[Y(t)] dt (by parts), done by quad; and a
    finite horizon H adds e^(−δH) E[Y(H)]."""
    h = pd.DataFrame({"frequency": [0, 2, 26, 7], "recency": [0.0, 30.43, 30.85714, 10.0],
                      "T": [38.86, 38.86, 31.0, 38.0]})
    rate = 1.15 ** (1 / 52) - 1
    delta = np.log1p(rate)
    dert = fitted.expected_discounted_purchases(h, rate).to_numpy()
    dert_h = fitted.expected_discounted_purchases(h, rate, horizon=104).to_numpy()
    for i in range(len(h)):
        row = h.iloc[[i]]

        def ey(t, row=row):
            return float(fitted.expected_purchases(row, t).iloc[0])

        full = delta * integrate.quad(lambda t, f=ey: np.exp(-delta * t) * f(t), 0, np.inf, epsrel=1e-10, limit=200)[0]
        part = np.exp(-delta * 104) * ey(104) + delta * integrate.quad(
            lambda t, f=ey: np.exp(-delta * t) * f(t), 0, 104, epsrel=1e-10)[0]
        assert dert[i] == pytest.approx(full, rel=1e-6)
        assert dert_h[i] == pytest.approx(part, rel=1e-6)
    assert np.all(dert_h < dert)


def test_pmf_sums_to_one_and_matches_expectation_and_no_purchase(fitted):
    """Σ_n P(X(t)=n) = 1, Σ n P(X(t)=n) = E[X(t)], and P(X(t)=0) equals the churn score of a
    brand-new customer (two separate code paths)."""
    n = np.arange(0, 400)
    pmf = fitted.probability_purchases(n, 20).to_numpy()
    assert pmf.sum() == pytest.approx(1.0, abs=1e-8)
    assert float(n @ pmf) == pytest.approx(fitted.expected_purchases_new(20), rel=1e-7)
    new = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    assert fitted.probability_no_purchase(new, 20).iloc[0] == pytest.approx(pmf[0], rel=1e-9)


def test_no_purchase_matches_simulation_of_posterior():
    """P(no purchase in (T, T+t] | history) against a Monte Carlo over the posterior of (λ, μ)."""
    r, alpha, s, beta = FHL.values()
    x, t_x, big_t, t = 3, 20.0, 39.0, 26.0
    model = published()
    h = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [big_t]})
    got = float(model.probability_no_purchase(h, t).iloc[0])
    alive = float(model.probability_alive(h).iloc[0])
    rng = np.random.default_rng(7)
    lam = rng.gamma(r + x, 1 / (alpha + big_t), 400_000)
    mu = rng.gamma(s, 1 / (beta + big_t), 400_000)
    quiet = np.mean((mu + lam * np.exp(-(lam + mu) * t)) / (lam + mu))
    assert got == pytest.approx(1 - alive + alive * quiet, abs=3e-3)


def test_paretonbd_intervals_bracket_the_estimate(fitted, cdnow):
    out = fitted.probability_alive(cdnow.head(50), interval=0.9, n_draws=50, seed=3)
    assert list(out.columns) == ["p_alive", "lower", "upper"]
    assert np.all(out["lower"] <= out["p_alive"] + 1e-12) and np.all(out["p_alive"] <= out["upper"] + 1e-12)
    again = fitted.probability_alive(cdnow.head(50), interval=0.9, n_draws=50, seed=3)
    pd.testing.assert_frame_equal(out, again)
    new = fitted.expected_purchases_new([13, 52], interval=0.9, n_draws=50)
    assert np.all(new["lower"] < new["expected_purchases"]) and np.all(new["expected_purchases"] < new["upper"])


def test_paretonbd_save_load_and_weights(fitted, cdnow, tmp_path):
    path = fitted.save(tmp_path / "p.json")
    loaded = Model.load(path)
    assert isinstance(loaded, ParetoNBD)
    pd.testing.assert_series_equal(loaded.probability_alive(cdnow), fitted.probability_alive(cdnow))
    grouped = cdnow.groupby(["frequency", "recency", "T"], as_index=False).size().rename(columns={"size": "weights"})
    weighted = ParetoNBD().fit(grouped)
    np.testing.assert_allclose(weighted.params_, fitted.params_, rtol=1e-4)
    assert weighted.loglik_ == pytest.approx(fitted.loglik_, abs=1e-6)


def test_paretonbd_clear_errors():
    with pytest.raises(NotFittedError):
        ParetoNBD().probability_alive(pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0]}))
    with pytest.raises(ModelError, match="no customer made a repeat purchase"):
        ParetoNBD().fit(pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [5.0, 6.0]}))
    with pytest.raises(InputError, match="recency is larger than T") as info:
        ParetoNBD().fit(pd.DataFrame({"customer_id": ["a", "b"], "frequency": [1, 2],
                                      "recency": [7.0, 1.0], "T": [5.0, 6.0]}))
    assert info.value.examples == ["a"]
    with pytest.raises(InputError, match="discount_rate"):
        published().expected_discounted_purchases(pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0]}), 0)


def test_paretonbd_recovers_simulated_parameters():
    """20,000 customers per seed, three seeds: each estimate inside its 95% interval, allowing
    the nominal 5% miss rate (at most 2 misses of 12)."""
    truth = np.array([0.55, 10.6, 0.61, 11.7])
    misses = 0
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        big_t = rng.integers(26 * 7, 78 * 7 + 1, 20_000) / 7  # ages in whole days, weeks unit
        h = sample_customers(*truth, big_t, seed=seed)
        model = ParetoNBD().fit(h)
        summ = model.summary()
        misses += int(np.sum((truth < summ["lower_95"]) | (truth > summ["upper_95"])))
    assert misses <= 2


def test_paretonbd_same_answers_in_days_and_weeks(cdnow, fitted):
    """Refit in days: alpha and beta scale by 7, r and s stay, the log-likelihood moves by the
    Jacobian (−log 7 per repeat purchase), and a 30-day forecast equals the 30/7-week one."""
    days = cdnow.assign(recency=cdnow["recency"] * 7, T=cdnow["T"] * 7)
    in_days = ParetoNBD(time_unit="day").fit(days)
    ratio = in_days.params_ / fitted.params_
    np.testing.assert_allclose(ratio[["r", "s"]], 1, rtol=2e-3)
    np.testing.assert_allclose(ratio[["alpha", "beta"]], 7, rtol=5e-3)
    assert in_days.loglik_ == pytest.approx(fitted.loglik_ - cdnow["frequency"].sum() * np.log(7), abs=0.01)
    in_days.params_ = fitted.params_ * [1, 7, 1, 7]
    np.testing.assert_allclose(in_days.expected_purchases(days, 30), fitted.expected_purchases(cdnow, 30 / 7), rtol=1e-10)
    np.testing.assert_allclose(in_days.probability_no_purchase(days, 30),
                               fitted.probability_no_purchase(cdnow, 30 / 7), rtol=1e-10)
