"""An L-BFGS-B fit that stops in its line search at the optimum (round-off) is converged; one
that stops there far from it is not, and gets its polish. Pareto/NBD on its gradient path: the
fallback of its Newton fit (which takes that path when Newton fails)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from xuanba.models import Model, ParetoNBD


@pytest.fixture(scope="module")
def cdnow(test_data) -> pd.DataFrame:
    return pd.read_csv(test_data / "cdnow_customers_summary.csv")


@pytest.fixture(autouse=True)
def gradient_path(monkeypatch) -> None:
    """Pareto/NBD without its exact Hessian: fitted by L-BFGS-B on the analytic gradient."""
    monkeypatch.setattr(ParetoNBD, "_loglik_sums", Model._loglik_sums)


def _line_search_stops(monkeypatch, *, at_start: bool) -> list[str]:
    """L-BFGS-B made to end as it does under round-off (status 2, ABNORMAL_TERMINATION_IN_LNSRCH):
    at its real optimum, or where it started (``at_start``, a large gradient); returns the
    methods called."""
    real, called = optimize.minimize, []

    def minimize(fun, x0, *args, **kwargs):
        called.append(kwargs.get("method"))
        res = real(fun, x0, *args, **kwargs)
        if kwargs.get("method") == "L-BFGS-B":
            if at_start:
                value, grad = fun(np.asarray(x0, dtype=float))
                res.update(x=np.asarray(x0, dtype=float), fun=value, jac=grad)
            res.update(success=False, status=2, message="ABNORMAL_TERMINATION_IN_LNSRCH")
        return res

    monkeypatch.setattr(optimize, "minimize", minimize)
    return called


def test_a_line_search_stop_at_the_optimum_is_converged(cdnow, monkeypatch):
    want = ParetoNBD().fit(cdnow)
    called = _line_search_stops(monkeypatch, at_start=False)
    got = ParetoNBD().fit(cdnow)
    assert got.converged_ and not got.problems_
    assert "Nelder-Mead" not in called  # no polish spent confirming the optimum
    np.testing.assert_allclose(got.params_.to_numpy(), want.params_.to_numpy(), rtol=1e-6)


def test_a_line_search_stop_far_from_the_optimum_is_polished(cdnow, monkeypatch):
    called = _line_search_stops(monkeypatch, at_start=True)
    ParetoNBD().fit(cdnow, start=[1.0, 1.0, 1.0, 1.0])
    assert "Nelder-Mead" in called
