"""Model summaries and persistence shared by every model (base class behaviour)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import Model, ParetoNBD
from xuanba.models.covariates import BGNBDCovariates


@pytest.fixture(scope="module")
def cdnow(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})


def test_intervals_are_log_scale_wald_and_stay_positive(cdnow):
    """Pareto/NBD's beta on CDNOW has a standard error larger than half its estimate; a
    natural-scale Wald interval would go below zero, the log-scale one does not."""
    summ = ParetoNBD().fit(cdnow).summary()
    beta = summ.loc["beta"]
    assert beta["stderr"] > beta["estimate"] / 1.96  # the case that used to cross zero
    assert 0 < beta["lower_95"] < beta["estimate"] < beta["upper_95"]
    z = 1.959963984540054
    expected = np.exp(np.log(summ["estimate"]) + z * summ["stderr"] / summ["estimate"])
    np.testing.assert_allclose(summ["upper_95"], expected, rtol=1e-12)
    np.testing.assert_allclose(summ["lower_95"] * summ["upper_95"], summ["estimate"] ** 2, rtol=1e-12)


def test_covariate_models_load_through_the_base_class(cdnow, tmp_path):
    data = cdnow.assign(big=(cdnow["T"] > 35).astype(float))
    model = BGNBDCovariates(covariates_purchase=["big"]).fit(data)
    back = Model.load(model.save(tmp_path / "m.json"))
    assert type(back) is BGNBDCovariates
    pd.testing.assert_series_equal(back.params_, model.params_)
