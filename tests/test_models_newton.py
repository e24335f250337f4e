"""The Newton fit of many histories: a start from a subsample, the optimum it ends at, and the
Hessian it reuses for the standard errors (BG/NBD and Gamma-Gamma simulated with known parameters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import BGNBD, GammaGamma, _base


def bgnbd_base(n: int, seed: int) -> pd.DataFrame:
    """BG/NBD customers (Fader, Hardie & Lee 2005's CDNOW estimates) with Gamma-Gamma spend,
    continuous times: nearly every history distinct."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.243, 1 / 4.414, n)
    p = rng.beta(0.793, 2.426, n)
    big_t = rng.uniform(26, 78, n)
    k = rng.poisson(lam * big_t)  # purchases a never-dropping customer would make
    x = np.minimum(k, rng.geometric(p))  # drops out right after the G-th repeat purchase
    tx = np.where(x > 0, big_t * rng.beta(np.maximum(x, 1), k - x + 1), 0.0)
    nu = rng.gamma(3.74, 1 / 15.44, n)
    spend = np.where(x > 0, rng.gamma(6.25 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), 0.0)
    return pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "recency": tx, "T": big_t,
                         "monetary_value": spend})


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return bgnbd_base(60_000, seed=11)


@pytest.mark.parametrize("model_class", [BGNBD, GammaGamma])
def test_the_subsample_start_ends_at_the_same_optimum(base, model_class, monkeypatch):
    """Over 20,000 or more distinct histories the Newton fit starts from the fit of a subsample;
    it lands where the fit from the crude start does, with the same standard errors, in fewer
    passes over all histories."""
    passes: list[int] = []
    real = model_class._loglik_sums
    subsample = _base.WARM_START_ROWS

    def counted(self, params, data, counts):
        if len(counts) > subsample:
            passes.append(1)
        return real(self, params, data, counts)

    monkeypatch.setattr(model_class, "_loglik_sums", counted)
    warm = model_class().fit(base)
    warm_passes = len(passes)
    assert warm.n_distinct_ > _base.WARM_START_ROWS
    passes.clear()
    monkeypatch.setattr(_base, "WARM_START_ROWS", 10**9)
    cold = model_class().fit(base)
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=1e-7)
    np.testing.assert_allclose(warm.stderr_, cold.stderr_, rtol=1e-6)
    assert warm.loglik_ == pytest.approx(cold.loglik_, rel=1e-13, abs=1e-7)
    assert warm.converged_ and not warm.problems_
    assert warm_passes < len(passes)


@pytest.mark.parametrize("model_class", [BGNBD, GammaGamma])
def test_the_standard_errors_come_from_the_hessian_at_the_optimum(base, model_class):
    """The Newton fit keeps the exact Hessian of its last point for the covariance: the same as
    the Hessian computed afresh at the estimates, inverted."""
    model = model_class().fit(base)
    frame = base[base["frequency"] > 0] if model_class is GammaGamma else base
    arrays, counts, _ = model._fit_data(frame, None)
    arrays = model._prepare(arrays)
    hess = model._loglik_sums(model.params_.to_numpy(), arrays, counts)[2]
    np.testing.assert_allclose(model.covariance_, np.linalg.inv(-hess), rtol=1e-6)
    # and the estimates recover the simulated parameters within four standard errors
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
    for name, value in model.params_.items():
        assert abs(value - truth[name]) < 4 * model.stderr_[name], name


@pytest.mark.parametrize("rows", [2_000, 30_000], ids=["newton", "subsample start"])
def test_only_a_float_out_of_range_reads_as_an_impossible_point(rows, monkeypatch):
    """An OverflowError in the exact sums (a Python float past 1e308, far off at an edge) is a
    point of likelihood zero, and the fit goes on; a ZeroDivisionError or FloatingPointError is a
    bug and is raised, not turned silently into -inf (``except ArithmeticError`` caught all three)."""
    data = bgnbd_base(rows, seed=5)
    real = BGNBD._loglik_sums
    for error in (ZeroDivisionError, FloatingPointError):
        raised: list[int] = []

        def broken(self, p, arrays, counts, _error=error, _raised=raised):
            _raised.append(1)
            raise _error("a bug in the sums")

        monkeypatch.setattr(BGNBD, "_loglik_sums", broken)
        with pytest.raises(error, match="a bug in the sums") as err:
            BGNBD().fit(data)
        # raised by the first evaluation, inside the Newton fit: no other fit ran on past it
        assert len(raised) == 1 and any(entry.name == "_fit_newton" for entry in err.traceback)
    calls = []

    def overflows_once(self, p, arrays, counts):
        calls.append(1)
        if len(calls) == 1:
            raise OverflowError("math range error")
        return real(self, p, arrays, counts)

    monkeypatch.setattr(BGNBD, "_loglik_sums", overflows_once)
    fitted = BGNBD().fit(data)
    monkeypatch.setattr(BGNBD, "_loglik_sums", real)
    np.testing.assert_allclose(fitted.params_, BGNBD().fit(data).params_, rtol=1e-5)


def test_a_looser_subsample_fit_starts_pareto_nbd_at_the_same_optimum(monkeypatch):
    """The subsample's fit stops at ``SUBSAMPLE_GTOL`` (1e-3), not 1e-6: fewer passes over the
    subsample, and the full fit still ends where the start at 1e-6 (the old path) does. Pareto/NBD
    in days-as-weeks, as a round has it: the subsample's cost is its distinct tail-integral pairs."""
    from xuanba.models import ParetoNBD
    from xuanba.models.paretonbd import sample_customers

    rng = np.random.default_rng(3)
    big_t = np.round(rng.uniform(0, 156 * 7, 60_000)) / 7  # ages in whole days, in weeks
    hist = sample_customers(0.55, 10.6, 0.61, 11.7, big_t, seed=4)
    hist["recency"] = np.minimum(np.round(hist["recency"] * 7) / 7, hist["T"])
    sub_passes: list[int] = []
    real = ParetoNBD._loglik_sums

    def counted(self, params, data, counts):
        sub_passes.append(int(len(counts) <= _base.WARM_START_ROWS + 1))
        return real(self, params, data, counts)

    monkeypatch.setattr(ParetoNBD, "_loglik_sums", counted)
    fast = ParetoNBD().fit(hist)
    fast_sub = sum(sub_passes)
    assert fast.n_distinct_ > _base.WARM_START_ROWS and fast_sub > 0
    sub_passes.clear()
    monkeypatch.setattr(_base, "SUBSAMPLE_GTOL", 1e-6)
    old = ParetoNBD().fit(hist)
    np.testing.assert_allclose(fast.params_, old.params_, rtol=1e-8)
    np.testing.assert_allclose(fast.stderr_, old.stderr_, rtol=1e-6)
    assert fast.loglik_ == pytest.approx(old.loglik_, rel=1e-13)
    assert fast.converged_ and not fast.problems_
    assert fast_sub < sum(sub_passes)
