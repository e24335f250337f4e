"""BG/BB: the published donations figures, enumeration of every history, Monte Carlo of the
future given a history, the published DERT closed form, parameter recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from xuanba.errors import InputError, ModelError
from xuanba.models import BGBB, Model
from xuanba.models.bgbb import log_likelihood_parts, sample_customers

# Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
# setting", Marketing Science 29(6): 1995 cohort of 11,104 donors (PUBLISHED.md)
FHS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations(test_data) -> pd.DataFrame:
    return pd.read_csv(test_data / "donations.csv")


@pytest.fixture(scope="module")
def fitted(donations) -> BGBB:
    return BGBB().fit(donations)


def test_bgbb_matches_fader_hardie_shang_2010(fitted):
    """α=1.204, β=0.750, γ=0.657, δ=2.783; LL −33,225.58."""
    np.testing.assert_allclose(fitted.params_[list(FHS)], list(FHS.values()), rtol=1e-3)
    assert fitted.loglik_ == pytest.approx(-33225.58, abs=0.01)
    assert fitted.n_customers_ == 11104
    assert fitted.n_distinct_ == 22


def test_bgbb_new_donor_expectations_fader_hardie_shang_2010(fitted):
    """E[X(n)], n = 1..5: 0.4985, 0.9233, 1.2969, 1.6323, 1.9381; E[X(10)] = 3.1798."""
    got = fitted.expected_purchases_new([1, 2, 3, 4, 5, 10]).to_numpy()
    np.testing.assert_allclose(got, [0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 3.1798], atol=6e-5)


def test_bgbb_five_year_conditional_expectation_total_fader_hardie_shang_2010(fitted, donations):
    """Weighted sum over all donors of E[X(6, 11) | history] = 12,884.2."""
    total = float(fitted.expected_purchases(donations, 5).to_numpy() @ donations["weights"].to_numpy())
    assert total == pytest.approx(12884.2, abs=0.1)


def test_bgbb_probability_alive_fader_hardie_shang_2010(fitted):
    """P(alive in 2002): (x, t_x) = (0, 0) 0.11, (2, 4) 0.59, (6, 6) 0.93."""
    h = pd.DataFrame({"frequency": [0, 2, 6], "recency": [0, 4, 6], "periods": 6})
    np.testing.assert_allclose(fitted.probability_alive(h).to_numpy(), [0.11, 0.59, 0.93], atol=0.005)


def test_bgbb_likelihood_sums_to_one_over_every_sequence():
    """Each (x, t_x) stands for C(t_x − 1, x − 1) purchase sequences; over all 2^n sequences the
    probabilities add to 1, and the pmf and mean agree with that enumeration."""
    p = np.array(list(FHS.values()))
    for n in (1, 6, 11):
        x, t_x = zip(*[(0, 0)] + [(k, t) for t in range(1, n + 1) for k in range(1, t + 1)], strict=True)
        x, t_x = np.array(x, float), np.array(t_x, float)
        ways = np.where(x > 0, special.comb(t_x - 1, x - 1), 1.0)
        prob = ways * np.exp(log_likelihood_parts(*p, x, t_x, np.full_like(x, n))[1])
        assert prob.sum() == pytest.approx(1.0, abs=1e-12)
        model = BGBB()
        model.params_ = pd.Series(FHS)
        pmf = model.probability_purchases(np.arange(n + 1), n).to_numpy()
        by_x = np.bincount(x.astype(int), weights=prob, minlength=n + 1)
        np.testing.assert_allclose(pmf, by_x, atol=1e-13)
        assert float(x @ prob) == pytest.approx(model.expected_purchases_new(n), rel=1e-12)


def test_bgbb_conditional_predictions_match_simulation():
    """Simulate 11 opportunities; given the first 6, the mean of the next 5 transactions, the share
    with none and the share alive at 7 match the model for the common histories."""
    rng = np.random.default_rng(11)
    size = 400_000
    p = rng.beta(FHS["alpha"], FHS["beta"], size)
    theta = rng.beta(FHS["gamma"], FHS["delta"], size)
    life = rng.geometric(theta)  # alive at opportunities 1 .. life-1
    buys = (np.arange(1, 12)[None, :] < life[:, None]) & (rng.random((size, 11)) < p[:, None])
    first = buys[:, :6]
    x = first.sum(axis=1)
    t_x = np.where(x > 0, 6 - np.argmax(first[:, ::-1], axis=1), 0)
    future = buys[:, 6:].sum(axis=1)
    sim = pd.DataFrame({"frequency": x, "recency": t_x, "future": future, "alive7": life > 7})
    model = BGBB()
    model.params_ = pd.Series(FHS)
    checked = 0
    for (fx, ftx), grp in sim.groupby(["frequency", "recency"]):
        if len(grp) < 20_000:
            continue
        checked += 1
        h = pd.DataFrame({"frequency": [fx], "recency": [ftx], "periods": [6]})
        se = grp["future"].std() / np.sqrt(len(grp))
        assert float(model.expected_purchases(h, 5).iloc[0]) == pytest.approx(grp["future"].mean(), abs=4 * se)
        none = (grp["future"] == 0).mean()
        assert float(model.probability_no_purchase(h, 5).iloc[0]) == pytest.approx(none, abs=0.006)
        assert float(model.probability_alive(h).iloc[0]) == pytest.approx(grp["alive7"].mean(), abs=0.006)
    assert checked >= 4


def test_bgbb_dert_matches_published_closed_form(fitted, donations):
    """DERT (Fader, Hardie & Shang 2010, eq. for the discounted expected residual transactions):
    B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ)/(1+d) · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / L."""
    a, b, g, dl = fitted.params_.to_numpy()
    d = 0.10
    x, t_x, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    log_l = log_likelihood_parts(a, b, g, dl, x, t_x, n)[1]
    ref = np.exp(special.betaln(a + x + 1, b + n - x) - special.betaln(a, b)
                 + special.betaln(g, dl + n + 1) - special.betaln(g, dl) - log_l) / (1 + d) * special.hyp2f1(
        1, dl + n + 1, g + dl + n + 1, 1 / (1 + d))
    np.testing.assert_allclose(fitted.expected_discounted_purchases(donations, d).to_numpy(), ref, rtol=1e-10)
    five = fitted.expected_discounted_purchases(donations, d, horizon=5).to_numpy()
    assert np.all(five < ref) and np.all(five < fitted.expected_purchases(donations, 5).to_numpy())


def test_bgbb_contract_and_errors(fitted, donations, tmp_path):
    loaded = Model.load(fitted.save(tmp_path / "bgbb.json"))
    pd.testing.assert_series_equal(loaded.probability_alive(donations), fitted.probability_alive(donations))
    expanded = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    alias = BGBB().fit(expanded.rename(columns={"periods": "n_periods"}))
    np.testing.assert_allclose(alias.params_, fitted.params_, rtol=1e-5)
    out = fitted.expected_purchases(donations, 5, interval=0.9, n_draws=40)
    assert np.all(out["lower"] <= out["expected_purchases"]) and np.all(out["expected_purchases"] <= out["upper"])
    with pytest.raises(InputError, match="frequency is larger than recency"):
        BGBB().fit(pd.DataFrame({"frequency": [3, 1], "recency": [2, 1], "periods": [6, 6]}))
    with pytest.raises(InputError, match="whole numbers"):
        BGBB().fit(pd.DataFrame({"frequency": [1, 1], "recency": [1.5, 1], "periods": [6, 6]}))
    with pytest.raises(ModelError, match="no customer made a repeat"):
        BGBB().fit(pd.DataFrame({"frequency": [0, 0], "recency": [0, 0], "periods": [6, 6]}))


def test_bgbb_recovers_simulated_parameters():
    """30,000 customers per seed (6 or 10 opportunities), three seeds: estimates inside their 95%
    intervals at the nominal rate (at most 2 misses of 12)."""
    truth = np.array([1.2, 0.75, 0.66, 2.8])
    misses = 0
    for seed in range(3):
        periods = np.where(np.arange(30_000) % 2 == 0, 6, 10)
        summ = BGBB().fit(sample_customers(*truth, periods, seed=seed)).summary()
        misses += int(np.sum((truth < summ["lower_95"]) | (truth > summ["upper_95"])))
    assert misses <= 2
