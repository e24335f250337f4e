"""BG/NBD: the published CDNOW figures (Fader, Hardie & Lee 2005), brute-force cross-checks,
numerical stability for busy and one-purchase histories, and unit consistency.

Published figures are quoted from tests/data/PUBLISHED.md, which names the paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from xuanba.errors import InputError, ModelError, SchemaError
from xuanba.facts import calibration_holdout, customer_facts
from xuanba.models import BGNBD

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def sig3(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def summary(test_data):
    frame = pd.read_csv(test_data / "cdnow_customers_summary.csv")
    return frame.rename(columns={"ID": "customer_id"})


@pytest.fixture(scope="module")
def fitted(summary):
    return BGNBD().fit(summary)


@pytest.fixture(scope="module")
def rounded():
    model = BGNBD()
    model.params_ = pd.Series(PUBLISHED)
    return model


@pytest.fixture(scope="module")
def transactions(test_data):
    tx = pd.read_parquet(test_data / "cdnow_sample.parquet")
    return tx.rename(columns={"timestamp": "ts"})[["customer_id", "ts", "amount"]]


def test_bgnbd_matches_fader_hardie_lee_2005_estimates(fitted):
    """FHL (2005), CDNOW: r=0.243, alpha=4.414, a=0.793, b=2.426, LL -9582.4 (-9582.429)."""
    for name, value in PUBLISHED.items():
        assert sig3(fitted.params_[name]) == sig3(value), name
    assert fitted.loglik_ == pytest.approx(-9582.429, abs=0.01)
    assert fitted.n_customers_ == 2357
    assert fitted.converged_
    assert (fitted.stderr_ > 0).all()
    assert fitted.aic_ == pytest.approx(2 * 4 + 2 * 9582.429, abs=0.05)


def test_bgnbd_unconditional_expectations_fader_hardie_lee_2005(fitted):
    """FHL (2005): E[X(t)] = 0.0532, 0.1506, 1.0437, 1.444 at t = 1, 3, 32, 52 weeks."""
    got = fitted.expected_purchases_new([1, 3, 32, 52])
    assert got.round(4).tolist()[:3] == [0.0532, 0.1506, 1.0437]
    assert round(got.iloc[3], 3) == 1.444
    assert isinstance(fitted.expected_purchases_new(52), float)


def test_bgnbd_conditional_cases_fader_hardie_lee_2005(fitted):
    """FHL (2005): x=2, t_x=30.43, T=38.86 gives E[Y(39)]=1.226; x=26, t_x=30.85714, T=31 gives
    E[Y(52)]=25.757 and P(alive)=0.96885."""
    one = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency": [30.43], "T": [38.86]})
    assert round(float(fitted.expected_purchases(one, 39)["a"]), 3) == 1.226
    busy = pd.DataFrame({"customer_id": ["b"], "frequency": [26], "recency": [30.85714], "T": [31.0]})
    assert float(fitted.expected_purchases(busy, 52)["b"]) == pytest.approx(25.757, abs=0.002)
    assert float(fitted.probability_alive(busy)["b"]) == pytest.approx(0.96885, abs=2e-5)


def test_bgnbd_increasing_frequency_paradox_fader_hardie_lee_2005(fitted):
    """FHL (2005): t_x=20, T=39, t=52; x=10,15,20,25 give 0.34746, 0.042834, 0.0041590, 0.00035837."""
    h = pd.DataFrame({"frequency": [10, 15, 20, 25], "recency": 20.0, "T": 39.0})
    got = fitted.expected_purchases(h, 52).to_numpy()
    assert [sig3(v) for v in got] == [sig3(v) for v in (0.34746, 0.042834, 0.0041590, 0.00035837)]


def test_bgnbd_count_probabilities_fader_hardie_lee_2005(rounded):
    """At the rounded estimates: P(N(39)=0) = 0.5737864, P(N(2)=10) = 1.07869e-07."""
    assert rounded.probability_purchases(0, 39) == pytest.approx(0.5737864, rel=1e-6)
    assert rounded.probability_purchases(10, 2) == pytest.approx(1.07869e-07, rel=1e-5)


def test_bgnbd_count_distribution_sums_to_one_and_to_its_mean(rounded):
    n = np.arange(0, 2000)
    pmf = rounded.probability_purchases(n, 52).to_numpy()
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(rounded.expected_purchases_new(52), rel=1e-8)


def test_bgnbd_holdout_by_calibration_frequency_fader_hardie_lee_2005(transactions):
    """FHL (2005), 39/39-week split: mean holdout purchases by calibration frequency 0..6, 7+,
    actual and as predicted by BG/NBD."""
    facts = calibration_holdout(transactions, "1997-09-30", "1998-06-30", time_unit="week")
    model = BGNBD().fit(facts)
    facts["predicted"] = model.expected_purchases(facts, 39).to_numpy()
    group = facts["frequency"].clip(upper=7)
    table = facts.groupby(group).agg(
        customers=("customer_id", "size"), actual=("frequency_holdout", "mean"), predicted=("predicted", "mean")
    )
    assert table["customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["actual"].round(3).tolist() == [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
    published = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]
    assert table["predicted"].to_numpy() == pytest.approx(published, abs=0.0015)


def test_bgnbd_analytic_gradient_matches_finite_differences(summary):
    model = BGNBD()
    data = {c: summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")}
    for params in ([0.243, 4.414, 0.793, 2.426], [1.7, 0.6, 3.2, 0.9], [0.05, 40.0, 0.2, 8.0]):
        p = np.array(params)
        analytic = model._loglik_grad(p, data)[1].sum(axis=0)
        numeric = np.empty(4)
        for i in range(4):
            h = np.zeros(4)
            h[i] = 1e-5 * p[i]
            numeric[i] = (model._loglik_terms(p + h, data).sum() - model._loglik_terms(p - h, data).sum()) / (2 * h[i])
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-3)


def brute_expected(params, x, t_x, T, t):
    """E[Y(t) | history] by numerical integration over the posterior drop-out probability:
    given alive, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), and
    E[Y | lambda, p, alive] = (1 - exp(-lambda p t)) / p."""
    r, alpha, a, b = params
    shape, rate = r + x, alpha + T

    def g(p):
        return -np.expm1(-shape * np.log1p(p * t / rate)) / p

    dist = stats.beta(a, b + x)
    lo, hi = dist.ppf(1e-15), dist.isf(1e-15)
    given_alive = integrate.quad(lambda p: g(p) * dist.pdf(p), lo, hi, points=[dist.mean()], limit=400,
                                 epsabs=0, epsrel=1e-11)[0]
    if x == 0:
        alive = 1.0
    else:
        log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        alive = special.expit(-log_odds)
    return alive * given_alive


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [(300, 399.0, 400.0, 52.0), (300, 200.0, 400.0, 52.0), (0, 0.0, 38.0, 52.0), (1, 0.5, 38.0, 52.0),
     (1, 37.9, 38.0, 520.0), (0, 0.0, 0.01, 5000.0), (40, 30.0, 39.0, 39.0)],
)
def test_bgnbd_expectation_is_stable_and_matches_integration(x, t_x, T, t):
    """Busy (frequency 300 over T 400), single-purchase and fresh customers: finite and equal to
    an independent numerical integral."""
    model = BGNBD()
    model.params_ = pd.Series(PUBLISHED)
    h = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]})
    got = float(model.expected_purchases(h, t).iloc[0])
    assert np.isfinite(got)
    assert got == pytest.approx(brute_expected(list(PUBLISHED.values()), x, t_x, T, t), rel=1e-7)
    for value in (model.probability_alive(h).iloc[0], model.probability_no_purchase(h, t).iloc[0]):
        assert 0 <= value <= 1


def test_bgnbd_churn_score_of_a_new_customer_is_the_zero_count_probability(rounded):
    h = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    assert float(rounded.probability_no_purchase(h, 39).iloc[0]) == pytest.approx(
        rounded.probability_purchases(0, 39), rel=1e-12
    )


def simulate_bgnbd(n, params, T, seed, horizon=0.0):
    """Customers drawn from BG/NBD with known parameters (vectorised over customers), with
    their repeat purchases up to T and, in ``future``, those in (T, T + horizon]."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = np.asarray(T, dtype=float) * np.ones(n)
    clock = np.zeros(n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n)
    active = np.ones(n, bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1 / lam[idx])
        in_cal = clock[idx] <= T[idx]
        in_hold = ~in_cal & (clock[idx] <= T[idx] + horizon)
        x[idx[in_cal]] += 1
        t_x[idx[in_cal]] = clock[idx[in_cal]]
        future[idx[in_hold]] += 1
        bought = idx[in_cal | in_hold]
        active[idx[~(in_cal | in_hold)]] = False
        dies = rng.random(len(bought)) < p[bought]
        active[bought[dies]] = False
    return pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "recency": t_x, "T": T, "future": future})


def test_bgnbd_recovers_simulated_parameters():
    """20k customers simulated with the CDNOW estimates: each estimate within 4 standard errors."""
    truth = np.array([0.243, 4.414, 0.793, 2.426])
    rng = np.random.default_rng(7)
    data = simulate_bgnbd(20_000, truth, rng.uniform(26, 78, 20_000), seed=11)
    model = BGNBD().fit(data)
    z = (model.params_.to_numpy() - truth) / model.stderr_.to_numpy()
    assert np.all(np.abs(z) < 4), z


def test_bgnbd_conditional_expectation_matches_simulated_future():
    """Simulated histories and their next 26 weeks: mean predicted future purchases per
    calibration frequency agree with the simulated mean within sampling error."""
    truth = np.array([0.5, 6.0, 0.8, 2.5])
    data = simulate_bgnbd(60_000, truth, 39.0, seed=3, horizon=26.0)
    model = BGNBD()
    model.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), truth, strict=True)))
    data["predicted"] = model.expected_purchases(data, 26).to_numpy()
    groups = data.groupby(data["frequency"].clip(upper=6))
    for _, g in groups:
        se = g["future"].std(ddof=1) / np.sqrt(len(g))
        assert abs(g["predicted"].mean() - g["future"].mean()) < 4 * se + 1e-3


def test_bgnbd_same_answer_in_days_and_weeks(transactions):
    """A 30-day forecast from daily facts equals the same horizon from weekly facts."""
    cal = transactions[transactions["ts"] <= "1997-09-30"]
    days = customer_facts(cal, "1997-09-30", time_unit="day")
    weeks = customer_facts(cal, "1997-09-30", time_unit="week")
    m_day, m_week = BGNBD(time_unit="day").fit(days), BGNBD(time_unit="week").fit(weeks)
    assert m_day.params_["alpha"] == pytest.approx(7 * m_week.params_["alpha"], rel=1e-5)
    # each repeat purchase time has a density 7 times smaller per day than per week
    assert m_day.loglik_ - m_week.loglik_ == pytest.approx(-np.log(7) * days["frequency"].sum(), abs=1e-4)
    e_day = m_day.expected_purchases(days, 30)
    e_week = m_week.expected_purchases(weeks, 30 / 7)
    assert (e_day.index == e_week.index).all()
    np.testing.assert_allclose(e_day.to_numpy(), e_week.to_numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(m_day.probability_alive(days), m_week.probability_alive(weeks), rtol=1e-5)


def test_bgnbd_intervals_are_seeded_and_bracket_the_estimate(fitted, summary):
    head = summary.head(50)
    one = fitted.expected_purchases(head, 39, interval=0.9, seed=1)
    two = fitted.expected_purchases(head, 39, interval=0.9, seed=1)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == ["expected_purchases", "lower", "upper"]
    assert (one["lower"] < one["expected_purchases"]).all() and (one["expected_purchases"] < one["upper"]).all()
    wider = fitted.expected_purchases(head, 39, interval=0.99, seed=1)
    assert (wider["upper"] - wider["lower"] >= one["upper"] - one["lower"]).all()
    new = fitted.expected_purchases_new(52, interval=0.9)
    assert new["lower"].iloc[0] < 1.444 < new["upper"].iloc[0]


def test_bgnbd_predictions_are_keyed_by_customer_id(fitted, summary):
    shuffled = summary.sample(frac=1.0, random_state=3)
    a = fitted.expected_purchases(summary, 10)
    b = fitted.expected_purchases(shuffled, 10)
    pd.testing.assert_series_equal(a, b.loc[a.index])
    assert a.index.name == "customer_id"


def test_bgnbd_rejects_impossible_histories_with_ids():
    bad = pd.DataFrame({"customer_id": ["x", "y", "z"], "frequency": [1, 2, 0], "recency": [5.0, 40.0, 0.0],
                        "T": [10.0, 30.0, 5.0]})
    with pytest.raises(InputError) as err:
        BGNBD().fit(bad)
    assert err.value.examples == ["y"] and err.value.column == "recency"
    with pytest.raises(SchemaError):
        BGNBD().fit(bad.drop(columns="T"))
    with pytest.raises(InputError):
        BGNBD().fit(bad.assign(frequency=[1.5, 2, 0], recency=[5.0, 4.0, 0.0]))


def test_bgnbd_without_repeat_purchases_is_not_identifiable():
    data = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0], "T": [5.0, 8.0, 9.0]})
    with pytest.raises(ModelError, match="no customer made a repeat purchase"):
        BGNBD().fit(data)
