"""Static covariates on BG/NBD and Pareto/NBD: no covariates = the plain model, known
coefficients recovered from simulated customers, encoding, persistence, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import InputError, SchemaError
from xuanba.models import BGNBD, ParetoNBD
from xuanba.models.covariates import BGNBDCovariates, ParetoNBDCovariates
from xuanba.models.paretonbd import sample_customers as sample_paretonbd

PLAIN = {BGNBDCovariates: BGNBD, ParetoNBDCovariates: ParetoNBD}


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    frame = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    frame["web"] = np.arange(len(frame)) % 2
    frame["region"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    return frame


def sample_bgnbd(r, alpha, a, b, big_t, rng) -> pd.DataFrame:
    """BG/NBD customers: Poisson purchases at rate λ ~ Gamma(r, alpha); after each repeat purchase
    the customer leaves with probability p ~ Beta(a, b); per-customer alpha, a, b allowed."""
    lam = rng.gamma(r, 1 / alpha, len(big_t))
    p = rng.beta(a, b)
    events = rng.poisson(lam * big_t)
    x = np.minimum(events, rng.geometric(p))
    # the x-th of `events` uniform purchase times on (0, T]
    t_x = np.where(x > 0, big_t * rng.beta(np.maximum(x, 1), np.maximum(events - x + 1, 1)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t})


@pytest.mark.parametrize("cls", [BGNBDCovariates, ParetoNBDCovariates])
def test_no_covariates_reproduce_the_plain_model(cls, cdnow):
    """Without covariates the fit is the plain model's (CDNOW: BG/NBD LL −9582.43, Pareto/NBD
    −9594.98, Fader, Hardie & Lee 2005), and so are the predictions."""
    with_cov = cls().fit(cdnow)
    plain = PLAIN[cls]().fit(cdnow)
    assert with_cov.loglik_ == pytest.approx(plain.loglik_, abs=1e-4)
    np.testing.assert_allclose(with_cov.params_.to_numpy(), plain.params_.to_numpy(), rtol=2e-3)
    with_cov.params_ = plain.params_.copy()
    pd.testing.assert_series_equal(with_cov.probability_alive(cdnow), plain.probability_alive(cdnow))
    pd.testing.assert_series_equal(with_cov.expected_purchases(cdnow, 39), plain.expected_purchases(cdnow, 39))


@pytest.mark.parametrize("cls", [BGNBDCovariates, ParetoNBDCovariates])
def test_zero_coefficients_give_the_plain_likelihood(cls, cdnow):
    """The likelihood with covariates at coefficients 0 equals the plain one at the same base
    parameters, whatever the covariate values."""
    plain = PLAIN[cls]().fit(cdnow)
    model = cls(covariates_purchase=["web"], covariates_dropout=["region"])
    model._learn_levels(cdnow)
    zp, _ = model._encode(cdnow, ["web"])
    zd, _ = model._encode(cdnow, ["region"])
    base = plain.params_.to_numpy()
    h = {c: cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")}
    terms = model._row_loglik(model._row_params(base, zp, zd, np.zeros(1), np.zeros(1)), h)
    assert float(terms.sum()) == pytest.approx(plain.loglik_, abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [BGNBDCovariates, ParetoNBDCovariates])
def test_known_coefficients_are_recovered_from_simulated_customers(cls):
    """20,000 customers per seed with a channel (0/1), a size score (−1, 0, 1) on the purchase
    process and a region (text) on the drop-out process; two seeds: every parameter inside its
    95% interval at the nominal rate (at most 2 misses of 14)."""
    if cls is BGNBDCovariates:
        base = np.array([0.243, 4.414, 0.793, 2.426])
    else:
        base = np.array([0.55, 10.6, 0.61, 11.7])
    gp, gd = np.array([0.5, -0.3]), 0.4
    truth = np.r_[base, gp, gd]
    misses = 0
    for seed in range(2):
        rng = np.random.default_rng(seed)
        n = 20_000
        big_t = rng.integers(26, 79, n).astype(float)
        web, size = rng.integers(0, 2, n), rng.integers(-1, 2, n)
        region = rng.choice(["north", "south"], n)
        alpha_i = base[1] * np.exp(-(np.c_[web, size] @ gp))
        drop = np.exp(gd * (region == "south"))
        if cls is BGNBDCovariates:
            h = sample_bgnbd(base[0], alpha_i, base[2] * drop, base[3] * drop, big_t, rng)
        else:
            h = sample_paretonbd(base[0], alpha_i, base[2], base[3] / drop, big_t, seed=seed)
        h["recency"] = np.round(h["recency"] * 7) / 7  # purchase days, as facts give them
        h = h.assign(web=web, size=size, region=region)
        model = cls(covariates_purchase=["web", "size"], covariates_dropout=["region"]).fit(h)
        summ = model.summary()
        assert list(summ.index[4:]) == ["purchase:web", "purchase:size", "dropout:region[south]"]
        misses += int(np.sum((truth < summ["lower_95"]) | (truth > summ["upper_95"])))
        assert summ.loc["purchase:web", "p_value"] < 1e-6
    assert misses <= 2


def test_covariate_model_persistence_weights_and_errors(cdnow, tmp_path):
    model = ParetoNBDCovariates(covariates_purchase=["web"], covariates_dropout=["region"]).fit(cdnow)
    loaded = ParetoNBDCovariates.load(model.save(tmp_path / "cov.json"))
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    pd.testing.assert_series_equal(loaded.probability_alive(cdnow), model.probability_alive(cdnow))
    assert loaded.aic_ == pytest.approx(model.aic_)
    assert set(model.individual_parameters(cdnow.head(6))["alpha"].round(6)) == set(
        (model.params_["alpha"] * np.exp(-model.params_["purchase:web"] * np.array([0, 1]))).round(6))
    grouped = cdnow.groupby(["frequency", "recency", "T", "web", "region"], as_index=False).size()
    weighted = ParetoNBDCovariates(covariates_purchase=["web"], covariates_dropout=["region"]).fit(
        grouped.rename(columns={"size": "weights"}))
    assert weighted.loglik_ == pytest.approx(model.loglik_, abs=1e-5)
    with pytest.raises(SchemaError, match="'channel'"):
        BGNBDCovariates(covariates_purchase=["channel"]).fit(cdnow)
    with pytest.raises(InputError, match="not seen") as info:
        model.probability_alive(cdnow.assign(region="west"))
    assert info.value.examples == ["west"]
    dert = model.expected_discounted_purchases(cdnow.head(3), 0.003)
    assert np.all(np.isfinite(dert.to_numpy())) and dert.index.name == "customer_id"
