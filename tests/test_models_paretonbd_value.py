"""Pareto/NBD's value over many horizons (the monthly edges of ``clv_*``): P(alive) once per
history for every edge must give what summing the per-edge expectation edge by edge gives, on
the CDNOW sample and on a simulated base with extreme histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import ParetoNBD
from xuanba.models.paretonbd import expected_alive, probability_alive, sample_customers
from xuanba.models.value import discounted_purchases, expected_purchases_by_period

# Fader, Hardie & Lee (2005), CDNOW sample, weeks
FHL = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
WEEKS_PER_YEAR = 365.25 / 7


def _model(params: dict[str, float], unit: str) -> ParetoNBD:
    model = ParetoNBD(time_unit=unit)
    model.params_ = pd.Series(params, name="estimate")
    return model


def _edge_by_edge(params: dict[str, float], h: pd.DataFrame, years: float, rate: float, per_year: float) -> np.ndarray:
    """The definition, one edge at a time from the public closed forms: the sum over months k of
    (E[Y(e_k)] − E[Y(e_(k−1))]) (1 + rate)^(−e_k), E[Y(t)] = P(alive) · E[Y(t) | alive]."""
    p = (params["r"], params["alpha"], params["s"], params["beta"])
    x, t_x, big_t = (h[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    alive = probability_alive(*p, x, t_x, big_t)
    total, before = np.zeros(len(h)), np.zeros(len(h))
    for k in range(1, int(round(years * 12)) + 1):
        e = k / 12
        now = alive * expected_alive(*p, x, big_t, e * per_year)
        total += (now - before) * (1.0 + rate) ** -e
        before = now
    return total


def _extreme(n_sim: int, seed: int) -> pd.DataFrame:
    """Simulated days-based histories plus the corners: new today (T = 0), one purchase long ago,
    a purchase on the last day (recency = T), very busy (300 purchases in 400 days), very old."""
    sim = sample_customers(0.55, 30.0, 0.6, 300.0, np.random.default_rng(seed).uniform(0, 730, n_sim), seed=seed)
    corners = pd.DataFrame({
        "frequency": [0, 0, 1, 5, 300, 300, 1, 40, 0],
        "recency": [0.0, 0.0, 1.0, 90.0, 399.9, 12.0, 3000.0, 3650.0, 0.0],
        "T": [0.0, 1e-9, 3650.0, 90.0, 400.0, 400.0, 3650.0, 3650.0, 5000.0],
    })
    out = pd.concat([sim.drop(columns="customer_id"), corners], ignore_index=True)
    out.insert(0, "customer_id", [f"c{i}" for i in range(len(out))])
    return out


@pytest.mark.parametrize("case", ["cdnow", "simulated"])
def test_paretonbd_value_over_edges_equals_the_edge_by_edge_sum(case, test_data):
    if case == "cdnow":
        h = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
        params, unit, per_year = FHL, "week", WEEKS_PER_YEAR
    else:
        h = _extreme(3000, seed=11)
        params, unit, per_year = {"r": 0.55, "alpha": 30.0, "s": 0.6, "beta": 300.0}, "day", 365.25
    model = _model(params, unit)
    one, three = discounted_purchases(model, h, [1.0, 3.0], discount_rate=0.1, time_unit=unit)
    for years, got in ((1.0, one), (3.0, three)):
        want = _edge_by_edge(params, h, years, 0.1, per_year)
        assert np.all(np.isfinite(got)) and np.all(got >= 0)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    # the per-edge path the models had before (the matrix of E[Y(e_k)] per history, then weighed)
    edges = np.arange(1, 37) / 12 * per_year
    values, inverse = expected_purchases_by_period(model, h, edges)
    direct = model._expected_combination(model.params_.to_numpy(dtype=float), {
        c: h[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")}, edges, np.eye(36))
    np.testing.assert_allclose(direct, values.to_numpy()[inverse], rtol=1e-10, atol=0)
    assert direct[:, 0].min() >= 0 and np.all(np.diff(direct, axis=1) >= 0)  # E[Y(t)] grows with t


def test_paretonbd_value_computes_p_alive_once_for_all_36_edges(monkeypatch, test_data):
    h = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    model = _model(FHL, "week")
    calls: list[int] = []
    alive = ParetoNBD._alive

    def counted(p, hist):
        calls.append(len(hist["frequency"]))
        return alive(p, hist)

    monkeypatch.setattr(ParetoNBD, "_alive", staticmethod(counted))
    discounted_purchases(model, h, [1.0, 3.0], discount_rate=0.1, time_unit="week")
    assert len(calls) == 1  # the per-edge path called it 36 times
    assert calls[0] == len(h.drop_duplicates(["frequency", "recency", "T"]))


def test_paretonbd_summed_gradient_equals_the_per_row_one_summed(test_data):
    """The fit's gradient summed per pair before expanding (``_loglik_grad_sum``) is the per-row
    gradient summed with the counts, on CDNOW and on extreme histories, at parameters far apart."""
    from xuanba.models import Model
    from xuanba.models._base import compress

    cdnow = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    for h in (cdnow, _extreme(3000, seed=5)):
        distinct, counts, _ = compress(h, ["frequency", "recency", "T"])
        model = ParetoNBD()
        data = model._prepare({c: distinct[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")})
        counts = np.asarray(counts, dtype=float) * np.linspace(0.5, 2.0, len(counts))  # uneven weights
        for p in ([0.553, 10.578, 0.606, 11.669], [2.0, 5.0, 0.1, 50.0], [0.1, 500.0, 3.0, 10.0]):
            p = np.asarray(p)
            value, grad = model._loglik_grad_sum(p, data, counts)
            want_value, want_grad = Model._loglik_grad_sum(model, p, data, counts)
            assert np.isfinite(value) and np.all(np.isfinite(grad))
            np.testing.assert_allclose(value, want_value, rtol=1e-12)
            np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-9 * np.abs(want_grad).max())


def test_p_alive_answers_only_its_own_parameters_and_histories():
    # asked again, or at other parameters, or for other histories: each answer is the closed form's
    # for those (P(alive) is kept only inside one set of arrays, see PurchaseModel._alive_at)
    h = sample_customers(*FHL.values(), np.linspace(5.0, 78.0, 3000), seed=4)
    cols = [h[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")]
    model = _model(FHL, "week")
    first = model.probability_alive(h).to_numpy()
    np.testing.assert_array_equal(first, probability_alive(*FHL.values(), *cols))
    np.testing.assert_array_equal(model.probability_alive(h).to_numpy(), first)
    moved = {**FHL, "s": FHL["s"] * 1.01}
    np.testing.assert_array_equal(_model(moved, "week").probability_alive(h).to_numpy(),
                                  probability_alive(*moved.values(), *cols))
    later = h.assign(T=h["T"] + 1.0)
    np.testing.assert_array_equal(model.probability_alive(later).to_numpy(),
                                  probability_alive(*FHL.values(), cols[0], cols[1], cols[2] + 1.0))
    # every prediction built on it is what the closed forms give
    expected = model.expected_purchases(h, 52.0).to_numpy()
    np.testing.assert_allclose(expected, probability_alive(*FHL.values(), *cols)
                               * expected_alive(*FHL.values(), cols[0], cols[2], 52.0), rtol=1e-15)


def test_paretonbd_weights_per_frequency_kept_only_for_their_own_counts(test_data):
    """The counts summed per frequency are kept between the steps of one fit; other counts on the
    same prepared histories (a refit with other weights) must not get them."""
    from xuanba.models import Model
    from xuanba.models._base import compress

    cdnow = pd.read_csv(test_data / "cdnow_customers_summary.csv").rename(columns={"ID": "customer_id"})
    distinct, counts, _ = compress(cdnow, ["frequency", "recency", "T"])
    model = ParetoNBD()
    data = model._prepare({c: distinct[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")})
    p = np.array([0.553, 10.578, 0.606, 11.669])
    for w in (np.asarray(counts, dtype=float), np.linspace(0.5, 2.0, len(counts)), np.asarray(counts, dtype=float)):
        value, grad = model._loglik_grad_sum(p, data, w)
        want_value, want_grad = Model._loglik_grad_sum(model, p, data, w)
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-9 * np.abs(want_grad).max())
