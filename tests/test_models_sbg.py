"""Shifted-beta-geometric: Fader & Hardie (2007) retention cohorts, projections against the
published validation years, brute-force sums for lifetimes, parameter recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from xuanba.errors import InputError, ModelError
from xuanba.models import Model, ShiftedBetaGeometric
from xuanba.models.sbg import lifetimes_from_survivors, sample_customers

# Fader & Hardie (2007), "How to project customer retention" (PUBLISHED.md): percent of a cohort
# still active at the start of years 0..7 (calibration) and 8..12 (validation)
REGULAR = [100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]
REGULAR_LATER = [22.3, 20.7, 19.4, 18.3, 17.3]
HIGH_END = [100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1]
HIGH_END_LATER = [46.8, 44.5, 42.7, 40.9, 39.4]


def fit_cohort(percent: list[float]) -> ShiftedBetaGeometric:
    return ShiftedBetaGeometric().fit(lifetimes_from_survivors(np.array(percent) * 10))  # 1,000 customers


@pytest.mark.parametrize(
    ("percent", "gamma", "delta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)], ids=["regular", "high-end"]
)
def test_sbg_matches_fader_hardie_2007(percent, gamma, delta):
    """Regular γ=0.704, δ=1.182; high end γ=0.668, δ=3.806 (calibration years 0..7)."""
    model = fit_cohort(percent)
    assert model.params_["gamma"] == pytest.approx(gamma, abs=6e-4)
    assert model.params_["delta"] == pytest.approx(delta, abs=6e-4)
    assert model.n_customers_ == 1000


@pytest.mark.parametrize(
    ("percent", "later"), [(REGULAR, REGULAR_LATER), (HIGH_END, HIGH_END_LATER)], ids=["regular", "high-end"]
)
def test_sbg_projects_validation_years_fader_hardie_2007(percent, later):
    """Years 8..12 projected from years 0..7 stay within 2 points of the published actuals; the
    model without heterogeneity (one churn probability for all, fitted by maximum likelihood)
    misses by more than 10 points, which is the paper's point."""
    model = fit_cohort(percent)
    projected = 100 * model.survival(np.arange(8, 13)).to_numpy()
    assert np.max(np.abs(projected - later)) < 2.0
    table = lifetimes_from_survivors(np.array(percent) * 10)
    theta = (table["weights"] * table["churned"]).sum() / (table["weights"] * table["periods"]).sum()
    homogeneous = 100 * (1 - theta) ** np.arange(8, 13)
    assert np.max(np.abs(homogeneous - later)) > 10
    fitted_curve = 100 * model.survival(np.arange(0, 8)).to_numpy()
    assert np.max(np.abs(fitted_curve - percent)) < 2.0


def test_sbg_curves_agree_with_each_other():
    model = fit_cohort(REGULAR)
    t = np.arange(1, 30)
    surv = model.survival(np.r_[0, t]).to_numpy()
    np.testing.assert_allclose(model.retention_rate(t).to_numpy(), surv[1:] / surv[:-1], rtol=1e-12)
    np.testing.assert_allclose(model.probability_churn(t).to_numpy(), surv[:-1] - surv[1:], rtol=1e-10)
    assert np.all(np.diff(model.retention_rate(t).to_numpy()) > 0)  # retention rises with tenure
    h = pd.DataFrame({"periods": t, "churned": 0})
    np.testing.assert_allclose(model.probability_alive(h).to_numpy(), model.retention_rate(t + 1).to_numpy())
    np.testing.assert_allclose(model.probability_alive(h.head(1), 5).iloc[0], surv[6] / surv[1], rtol=1e-12)


def test_sbg_lifetimes_match_brute_force_sums():
    """Expected lifetime Σ S(t) (finite for γ > 1, infinite otherwise), DEL Σ S(t)/(1+d)^t and
    DERL Σ_k S(n+k)/S(n)/(1+d)^(k−1) (n renewals made) by summing 20,000 terms."""
    k = np.arange(20_000)
    for gamma, delta in [(0.704, 1.182), (3.5, 4.0)]:
        model = ShiftedBetaGeometric()
        model.params_ = pd.Series({"gamma": gamma, "delta": delta})
        surv = np.exp(special.betaln(gamma, delta + k) - special.betaln(gamma, delta))
        if gamma > 1:
            assert model.expected_lifetime() == pytest.approx((gamma + delta - 1) / (gamma - 1))
            assert model.expected_lifetime() == pytest.approx(surv.sum(), rel=1e-6)
        else:
            assert model.expected_lifetime() == np.inf
        assert model.expected_lifetime(10) == pytest.approx(surv[:10].sum(), rel=1e-12)
        assert model.expected_discounted_lifetime(0.1) == pytest.approx(float(surv @ 1.1**-k), rel=1e-10)
        h = pd.DataFrame({"customer_id": ["a", "b", "c"], "periods": [1, 6, 6], "churned": [0, 0, 1]})
        derl = model.expected_residual_lifetime(h, 0.1)
        for cid, n in (("a", 1), ("b", 6)):
            s_n = np.exp(special.betaln(gamma, delta + n + k) - special.betaln(gamma, delta + n))
            assert derl[cid] == pytest.approx(float(s_n[1:] @ 1.1 ** -(k[1:] - 1)), rel=1e-10)
        assert derl["c"] == 0.0


def test_sbg_per_customer_table_equals_series_and_recovers_parameters(tmp_path):
    """Per-customer lifetimes give the same fit as the survivors series; simulated cohorts with
    known parameters (20,000 customers, three seeds) are recovered inside their 95% intervals
    (at most one miss of six)."""
    series = fit_cohort(REGULAR)
    table = lifetimes_from_survivors(np.array(REGULAR) * 10)
    rows = table.loc[table.index.repeat(table["weights"].astype(int))].drop(columns="weights")
    per_customer = ShiftedBetaGeometric().fit(rows)
    np.testing.assert_allclose(per_customer.params_, series.params_, rtol=1e-5)
    loaded = Model.load(series.save(tmp_path / "sbg.json"))
    assert loaded.survival(8) == series.survival(8)
    truth = np.array([0.7, 1.2])
    misses = 0
    for seed in range(3):
        summ = ShiftedBetaGeometric().fit(sample_customers(*truth, np.full(20_000, 8), seed=seed)).summary()
        misses += int(np.sum((truth < summ["lower_95"]) | (truth > summ["upper_95"])))
    assert misses <= 1


def test_sbg_intervals_and_errors():
    model = fit_cohort(HIGH_END)
    out = model.survival([8, 12], interval=0.9, n_draws=100)
    assert np.all(out["lower"] < out["survival"]) and np.all(out["survival"] < out["upper"])
    with pytest.raises(InputError, match="never increase"):
        lifetimes_from_survivors([1000, 600, 700])
    with pytest.raises(ModelError, match="nobody churned"):
        ShiftedBetaGeometric().fit(pd.DataFrame({"periods": [3, 4], "churned": [0, 0]}))
    with pytest.raises(InputError, match="churned must be 0 or 1"):
        ShiftedBetaGeometric().fit(pd.DataFrame({"periods": [3, 4], "churned": [2, 0]}))
    with pytest.raises(InputError, match="discount_rate"):
        model.expected_discounted_lifetime(0)
