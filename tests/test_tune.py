"""Tuning a standard's weights: away from noise, within bounds, checked on a held-out cutoff."""

from __future__ import annotations

import pytest

from tests.test_backtest import simulated_base, standard
from xuanba import Workspace
from xuanba.errors import DataError
from xuanba.rounds.backtest import backtest
from xuanba.rounds.tune import tune
from xuanba.standard import load_standard


@pytest.fixture(scope="module")
def sim():
    tx, extra = simulated_base()
    ws = Workspace(":memory:")
    ws.replace("transactions", tx)
    yield ws, extra
    ws.close()


def test_tune_moves_weight_off_the_noise_and_the_held_out_gain_is_reproduced(sim):
    ws, extra = sim
    std = standard({"true_value": 0.4, "noise_a": 0.3, "noise_b": 0.3})
    tuned = tune(ws, std, "2024-01-01", "2024-12-31", extra_fields=extra, max_change=0.25)
    w = tuned.weights.set_index("criterion")
    assert w.loc["true_value", "after"] > w.loc["true_value", "before"]
    assert w.loc["noise_a", "after"] + w.loc["noise_b", "after"] < 0.6
    assert ((w["after"] - w["before"]).abs() <= 0.25 + 1e-9).all() and (w["after"] >= 0.01).all()
    assert tuned.held_out["cutoff"].isoformat() == "2024-12-31"  # the latest complete cutoff, never searched on
    assert tuned.held_out["after"] > tuned.held_out["before"]
    # a fresh backtest of the written standard on the held-out cutoff gives the reported figure
    written = load_standard(tuned.text, extra_fields=("true_value", "noise_a", "noise_b"))
    fresh = backtest(ws, written, "2024-12-01", "2024-12-31", extra_fields=extra, baselines=())
    assert fresh.overall.loc["standard", "revenue_captured"] == pytest.approx(tuned.held_out["after"], abs=1e-6)
    before = backtest(ws, std, "2024-12-01", "2024-12-31", extra_fields=extra, baselines=())
    assert before.overall.loc["standard", "revenue_captured"] == pytest.approx(tuned.held_out["before"], abs=1e-6)
    # a plain, readable standard: same criteria and tiers, a new version, a comment saying what changed
    assert [c.name for c in written.criteria] == ["true_value", "noise_a", "noise_b"]
    assert [t.name for t in written.tiers] == ["A", "B"] and written.version == "2"
    assert tuned.text.startswith("# Tuned from sim v1") and "Held-out cutoff 2024-12-31" in tuned.text


def test_tune_needs_two_complete_cutoffs(sim):
    ws, extra = sim
    with pytest.raises(DataError, match="at least two cutoffs"):
        tune(ws, standard({"true_value": 0.5, "noise_a": 0.5}), "2024-10-01", "2025-06-30", extra_fields=extra)
