"""Fairness diagnostics: selection and value by owner, region and segment beside their share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_backtest import simulated_base, standard
from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds.backtest import backtest
from xuanba.rounds.fairness import round_fairness


@pytest.fixture(scope="module")
def sim():
    tx, extra = simulated_base()
    rng = np.random.default_rng(11)
    people = pd.DataFrame({"customer_id": extra["customer_id"],
                           "region": rng.choice(["north", "south"], len(extra))})  # unrelated to value
    ws = Workspace(":memory:")
    ws.replace("transactions", tx)
    ws.replace("customers", people)
    yield ws, extra, people, tx
    ws.close()


def test_a_value_standard_selects_regions_in_line_with_their_value(sim):
    ws, extra, people, tx = sim
    bt = backtest(ws, standard({"true_value": 1.0}), "2024-06-01", "2024-06-30", extra_fields=extra,
                  baselines=())
    f = bt.fairness.loc[bt.fairness["attribute"] == "region"].set_index("group")
    assert list(f.index) == ["north", "south"]
    assert f["share_of_base"].sum() == pytest.approx(1.0) and f["share_of_selected"].sum() == pytest.approx(1.0)
    assert f["selection_vs_value"].between(0.8, 1.25).all()
    # counted directly from the transactions: the north's customers by the cutoff, and its selection rate
    chosen = set(bt.selections[pd.Timestamp("2024-06-30").date()])
    base = set(tx.loc[tx["ts"] < "2024-07-01", "customer_id"])
    north = set(people.loc[people["region"] == "north", "customer_id"]) & base
    assert f.loc["north", "customers"] == len(north)
    assert f.loc["north", "selection_rate"] == pytest.approx(len(north & chosen) / len(north), abs=1e-6)


def test_a_standard_gated_on_region_shows_the_favour(sim):
    ws, extra, _people, _tx = sim
    gated = standard({"true_value": 1.0}) + '[[gates]]\nname = "north"\nexpr = "region == \'north\'"\n'
    run_round(ws, gated, "2024-06-30", extra_fields=extra, check_model=False)
    f = round_fairness(ws, "latest", by=["region"]).set_index("group")
    assert f.loc["north", "share_of_selected"] == 1.0 and f.loc["south", "selected"] == 0
    assert f.loc["north", "selection_vs_value"] > 1.6 and f.loc["south", "selection_vs_value"] == 0


def test_a_stored_round_is_verified_and_a_tampered_one_is_not(tmp_path):
    from tests.test_rounds import make_transactions, predictions_for, store_tx
    from xuanba.rounds.fairness import verify_round
    from xuanba.standard import starter_standard

    path = tmp_path / "w.duckdb"
    tx = make_transactions(n=80)
    store_tx(path, tx)
    run_round(path, starter_standard("en"), "2026-03-31", predictions=predictions_for(tx.customer_id),
              check_model=False)
    proof = verify_round(path)
    assert proof["verified"] and proof["data"] and proof["roster"] and proof["standard"]
    with Workspace(path) as ws, ws.transaction() as con:  # someone edits one stored figure afterwards
        con.execute("UPDATE round_fields SET revenue_365d = revenue_365d * 100 "
                    "WHERE customer_id = (SELECT min(customer_id) FROM round_fields)")
    proof = verify_round(path)
    assert not proof["verified"] and not proof["data"] and proof["standard"]
