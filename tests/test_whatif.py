"""What-if: a changed standard scored on a stored round's fields, compared with the round."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._helpers import copy_of
from tests.test_rounds import make_transactions, predictions_for, store_tx
from xuanba.errors import DataError
from xuanba.rounds import compare_rosters, list_rounds, run_round
from xuanba.rounds.whatif import whatif
from xuanba.standard import load_standard, starter_standard

CUTOFF = "2026-03-31"
STARTER = starter_standard("en").replace("max_accounts = 500", "max_accounts = 25")


def changed() -> str:
    """The starter with weight moved from past revenue to predicted value and a stricter tier A."""
    out = STARTER.replace('weight = 0.25\ngroup = "value"\n\n[[criteria]]\nname = "margin"',
                          'weight = 0.05\ngroup = "value"\n\n[[criteria]]\nname = "margin"', 1)
    out = out.replace("weight = 0.35", "weight = 0.55", 1).replace("min_score = 80", "min_score = 85", 1)
    assert out != STARTER
    return out.replace('version = "1"', 'version = "2"', 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The stored round the what-ifs compare with, run once for the module (a round is ≈ 3 s of
    CPU whatever its rows); each test takes a copy of its workspace (:func:`stored`)."""
    tx = make_transactions(n=120)
    folder = tmp_path_factory.mktemp("whatif")
    store_tx(folder / "w.duckdb", tx)
    preds = predictions_for(tx.customer_id)
    rnd = run_round(folder / "w.duckdb", STARTER, CUTOFF, predictions=preds, check_model=False)
    return folder, preds, rnd


@pytest.fixture()
def stored(built, tmp_path_factory):
    """``(workspace, predictions, round)``: a fresh copy of the module's workspace holding the round."""
    folder, preds, rnd = built
    return copy_of(folder, tmp_path_factory) / "w.duckdb", preds, rnd


def test_the_round_own_standard_changes_nothing(stored):
    path, _preds, rnd = stored
    w = whatif(path, STARTER)
    assert (w.summary["entered"], w.summary["left"], w.summary["rose"], w.summary["fell"]) == (0, 0, 0, 0)
    cols = ["customer_id", "rank", "score", "tier", "selected"]
    pd.testing.assert_frame_equal(w.roster[cols], rnd.roster[cols])
    assert w.movers.empty


def test_whatif_equals_a_fresh_round_of_the_new_standard(stored):
    path, preds, rnd = stored
    w = whatif(path, changed(), "latest")
    fresh = run_round(path, changed(), CUTOFF, predictions=preds, store=False, check_model=False)
    cols = ["customer_id", "rank", "score", "tier", "selected"]
    pd.testing.assert_frame_equal(w.roster[cols], fresh.roster[cols])
    d = compare_rosters(rnd.roster, fresh.roster, [t.name for t in fresh.standard.tiers])
    for key in ("entered", "left", "rose", "fell", "same", "kept"):
        assert w.summary[key] == d.summary[key], key
    assert w.summary["entered"] + w.summary["rose"] + w.summary["fell"] > 0
    assert w.diff.summary["rose"] == d.summary["rose"]  # the full comparison, made on demand
    counts = w.tiers.set_index("tier")
    assert counts["new"].to_dict() == fresh.meta["tier_counts"]
    assert counts["round"].to_dict() == rnd.meta["tier_counts"]
    assert len(list_rounds(path)) == 1  # nothing stored


def test_movers_are_the_biggest_tier_moves_and_name_the_criteria_that_moved_them(stored):
    path, _preds, rnd = stored
    w = whatif(path, changed(), movers=5)
    m = w.movers
    assert 0 < len(m) <= 5
    steps = m["tier_change"].abs().tolist()
    assert steps == sorted(steps, reverse=True) and steps[0] >= 1
    # only the revenue and future-value weights changed: those are the criteria that moved anyone
    assert all(set(part.split(" ")[0] for part in why.split(", ")) <= {"revenue", "future_value", "margin",
                                                                       "still_active"} for why in m["moved_by"])
    assert all(("revenue" in why) or ("future_value" in why) for why in m["moved_by"])
    # the contribution changes named add up to the score change (up to the criteria left unnamed)
    first = m.iloc[0]
    named = sum(float(p.split(" ")[1]) for p in first["moved_by"].split(", "))
    assert named == pytest.approx(first["score_new"] - first["score_round"], abs=0.2)
    old = rnd.roster.set_index("customer_id")
    assert old.loc[first["customer_id"], "tier"] == first["tier_round"]


def test_no_refit_and_a_missing_field_is_named(stored, monkeypatch):
    path, _preds, _rnd = stored
    import xuanba.models.predict as predict

    def refit(*_a, **_k):
        raise AssertionError("what-if must not fit a model")

    monkeypatch.setattr(predict, "predict_customers", refit)
    whatif(path, changed())
    extra = STARTER.replace('field = "clv_3y"', 'field = "nps"', 1)
    with pytest.raises(DataError, match="nps"):
        whatif(path, load_standard(extra, extra_fields=("nps",)))
    ids = sorted(make_transactions(n=120).customer_id.unique())
    nps = pd.DataFrame({"customer_id": ids, "nps": range(len(ids))})
    w = whatif(path, extra, extra_fields=nps)
    got = w.roster.set_index("customer_id")["future_value"]  # the criterion's raw value: the given nps
    want = nps.set_index("customer_id")["nps"].astype(float).reindex(got.index)
    assert got.tolist() == want.tolist()


def test_value_captured_of_both_selections_matches_a_backtest_at_that_cutoff(tmp_path):
    from xuanba.rounds.backtest import backtest

    tx = make_transactions(n=120)
    path = tmp_path / "w.duckdb"
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    run_round(path, STARTER, "2025-09-30", predictions=preds, check_model=False)
    w = whatif(path, changed(), horizon="180d")
    assert w.summary["horizon_days"] == 180
    for text, key in ((STARTER, "value_captured_round"), (changed(), "value_captured_new")):
        bt = backtest(path, text, "2025-09-01", "2025-09-30", horizon="180d", predictions=lambda _c: preds,
                      baselines=())
        assert w.summary[key] == pytest.approx(bt.overall.loc["standard", "revenue_captured"], abs=1e-6)
