"""Intervals of the discounted customer value (issue 3 item 4): parameter uncertainty only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import BGNBD, GammaGamma
from xuanba.models.value import DAYS_PER_YEAR, customer_value


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    return pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv").rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def models(cdnow):
    return BGNBD().fit(cdnow), GammaGamma().fit(cdnow)


def test_undiscounted_value_interval_is_spend_times_the_purchase_interval(cdnow, models):
    """With a fixed spend and no discounting, value = spend x E[Y(one year)]: its interval must be
    the purchase model's own interval for that horizon, scaled — the same draws, another path."""
    bgnbd, _ = models
    few = cdnow.head(40)
    spend = pd.Series(30.0, index=few["customer_id"])
    value = customer_value(bgnbd, spend, few, horizon_years=1, discount_rate=0.0, interval=0.8,
                           n_draws=60, seed=4)
    purchases = bgnbd.expected_purchases(few, DAYS_PER_YEAR / 7, interval=0.8, n_draws=60, seed=4)
    np.testing.assert_allclose(value["clv"], 30.0 * purchases.iloc[:, 0], rtol=1e-9)
    np.testing.assert_allclose(value["lower"], 30.0 * purchases["lower"], rtol=1e-9)
    np.testing.assert_allclose(value["upper"], 30.0 * purchases["upper"], rtol=1e-9)


def test_value_interval_brackets_the_estimate_widens_with_coverage_and_is_seeded(cdnow, models):
    bgnbd, gg = models
    few = cdnow.head(60)
    narrow = customer_value(bgnbd, gg, few, horizon_years=3, interval=0.5, n_draws=40, seed=1)
    wide = customer_value(bgnbd, gg, few, horizon_years=3, interval=0.95, n_draws=40, seed=1)
    assert (narrow["lower"] <= narrow["clv"] * 1.000001).all() and (narrow["clv"] <= narrow["upper"] * 1.000001).all()
    assert (wide["lower"] <= narrow["lower"]).all() and (wide["upper"] >= narrow["upper"]).all()
    assert (wide["upper"] > wide["lower"]).all()
    again = customer_value(bgnbd, gg, few, horizon_years=3, interval=0.95, n_draws=40, seed=1)
    pd.testing.assert_frame_equal(wide, again)
    point = customer_value(bgnbd, gg, few, horizon_years=3)
    np.testing.assert_allclose(wide["clv"], point, rtol=1e-12)
