"""P(alive) kept per history dict (``PurchaseModel._alive_at``) is never handed to another model
or to other histories."""

from __future__ import annotations

import numpy as np

from xuanba.models import BGNBD, MBGNBD


def test_kept_alive_belongs_to_its_model_and_its_arrays():
    h = {"frequency": np.array([0.0, 2.0, 5.0]), "recency": np.array([0.0, 20.0, 30.0]),
         "T": np.array([38.0, 38.0, 38.0])}
    p = np.array([0.24, 4.4, 0.79, 2.4])
    bg, mbg = BGNBD(), MBGNBD()
    first = bg._alive_at(p, h)
    assert np.array_equal(first, bg._alive(p, h))
    # the same dict and parameters, another model of four parameters: its own P(alive)
    assert np.array_equal(mbg._alive_at(p, h), mbg._alive(p, h))
    assert not np.array_equal(mbg._alive(p, h), bg._alive(p, h))
    # a copy of the dict with a later T: recomputed, not the kept answer
    later = {**h, "T": np.array([80.0, 80.0, 80.0])}
    assert np.array_equal(bg._alive_at(p, later), bg._alive(p, later))
    assert not np.array_equal(bg._alive_at(p, later), first)
