"""Pareto/NBD's tail integrals computed once for what several rows or sets share, bit for bit.

A fit's exact Hessian needs the tail integrals' derivatives over two sets of pairs, ``(x, T)``
and ``(x, t_x)``: :func:`log_tail_integrals_hess` sums the series of both sets in one pass and
writes the derivatives in the fit's order. P(alive) of many distinct histories evaluates the
series branch once per distinct ``(x, y)`` pair (:func:`_tail_by_pairs`). Both must give what
one call per set, one row at a time, gives: the same numbers to the last bit, the quadrature's
rows (``z > 0.9``, whose panels depend on the other rows of their chunk of 2,048) included, so
a fit ends where it ended and a prediction is what it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.models import ParetoNBD
from xuanba.models._paretonbd_math import (
    log_tail_integral,
    log_tail_integral_hess,
    log_tail_integrals_hess,
)
from xuanba.models.paretonbd import _tail_by_pairs, log_parts, probability_alive, sample_customers


def _histories(n: int, seed: int) -> pd.DataFrame:
    """Distinct whole-day Pareto/NBD histories (many customers share a pair ``(x, t_x)``)."""
    rng = np.random.default_rng(seed)
    h = sample_customers(0.5, 4.0, 0.7, 12.0, rng.integers(1, 700, n) / 7.0, seed=seed)
    h["recency"] = np.round(h["recency"] * 7.0) / 7.0
    h.loc[h["frequency"] == 0, "recency"] = 0.0
    return h.drop_duplicates(["frequency", "recency", "T"]).reset_index(drop=True)


# (r, alpha, s, beta): alpha < beta with few and with thousands of quadrature rows (a ratio of
# 150 puts every young history past z = 0.9), alpha > beta, alpha = beta (z = 0)
PARAMS = [(0.5, 4.0, 0.7, 12.0), (0.3, 0.4, 0.8, 60.0), (0.6, 80.0, 0.5, 2.0), (0.5, 7.0, 0.6, 7.0)]


@pytest.mark.parametrize("params", PARAMS)
def test_both_sets_in_one_pass_give_each_set_its_own_call_bit_for_bit(params):
    r, alpha, s, beta = params
    h = _histories(20_000, 3)
    x, tx, big_t = (h[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    sets = [(alpha, r + x, beta, s + 1.0, big_t), (alpha, r + x, beta, s + 1.0, tx)]
    z = (max(alpha, beta) - min(alpha, beta)) / (max(alpha, beta) + tx)
    order = (1, 0, 3, 2)
    together = log_tail_integrals_hess(sets, order)
    for args, (value, grad, hess) in zip(sets, together, strict=True):
        v1, g1, h1 = log_tail_integral_hess(*args)
        np.testing.assert_array_equal(value, v1)
        np.testing.assert_array_equal(grad, g1[:, list(order)])
        np.testing.assert_array_equal(hess, h1[:, list(order)][:, :, list(order)])
        # laid out as the gather they replace gave them (a column's rows contiguous): the fit's
        # sums over them (einsum, BLAS) add in the same order only over the same layout
        assert grad.flags.f_contiguous and hess.flags.f_contiguous
    if params[1] < 1:
        assert (z > 0.9).sum() > 2048  # more than one chunk of the quadrature


def test_rows_of_both_branches_in_one_call_are_gathered_as_their_own_rows():
    """Arrays of rates: some rows alpha < beta, some alpha >= beta, some at z > 0.9."""
    rng = np.random.default_rng(4)
    n = 3000
    alpha, beta = np.exp(rng.uniform(-3, 5, n)), np.exp(rng.uniform(-3, 5, n))
    p, q, y = rng.uniform(0.05, 30, n), rng.uniform(1.05, 5, n), rng.uniform(0, 50, n)
    first, second = log_tail_integrals_hess([(alpha[:1000], p[:1000], beta[:1000], q[:1000], y[:1000]),
                                             (alpha[1000:], p[1000:], beta[1000:], q[1000:], y[1000:])], (3, 2, 1, 0))
    for (value, grad, hess), rows in ((first, slice(0, 1000)), (second, slice(1000, n))):
        v1, g1, h1 = log_tail_integral_hess(alpha[rows], p[rows], beta[rows], q[rows], y[rows])
        np.testing.assert_array_equal(value, v1)
        np.testing.assert_array_equal(grad, g1[:, [3, 2, 1, 0]])
        np.testing.assert_array_equal(hess, h1[:, [3, 2, 1, 0]][:, :, [3, 2, 1, 0]])


@pytest.mark.parametrize("params", PARAMS)
def test_tail_integrals_by_pairs_are_the_rows_own_bit_for_bit(params):
    r, alpha, s, beta = params
    h = _histories(30_000, 5)
    x, tx, big_t = (h[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    for y in (tx, big_t):
        by_pairs = _tail_by_pairs(alpha, r, beta, s + 1.0, x, y)
        np.testing.assert_array_equal(by_pairs, log_tail_integral(alpha, r + x, beta, s + 1.0, y))
    np.testing.assert_array_equal(probability_alive(r, alpha, s, beta, x, tx, big_t, by_pairs=True),
                                  probability_alive(r, alpha, s, beta, x, tx, big_t))
    parts = log_parts(r, alpha, s, beta, x, tx, big_t, by_pairs=True)
    for a, b in zip(parts, log_parts(r, alpha, s, beta, x, tx, big_t), strict=True):
        np.testing.assert_array_equal(a, b)
    # the model's predictions (by pairs) are the closed forms row by row
    m = ParetoNBD()
    m.params_ = pd.Series({"r": r, "alpha": alpha, "s": s, "beta": beta})
    np.testing.assert_array_equal(m.probability_alive(h).to_numpy(), probability_alive(r, alpha, s, beta, x, tx, big_t))
