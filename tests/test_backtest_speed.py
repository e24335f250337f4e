"""What makes a backtest fast must not change what it measures: warm-started fits equal cold ones,
the lean selection equals the roster's, stability compares customers (not row positions), and the
random draws measured all at once agree with what a selection of that size must give."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.facts import customer_facts
from xuanba.models import BGNBD, ParetoNBD
from xuanba.models.predict import COUNT, purchase_histories
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import run_round
from xuanba.rounds.backtest import backtest, outcomes_by_cutoff, selection
from xuanba.standard import load_standard, starter_standard
from xuanba.standard.score import score_customers


@pytest.fixture(scope="module")
def pareto_tx():
    return simulate_transactions("pareto-nbd", 2000, "2023-01-01", "2025-12-31", seed=5)


def _histories(tx: pd.DataFrame, cut: str) -> pd.DataFrame:
    return purchase_histories(customer_facts(tx, cut, time_unit="week"))[0]


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD], ids=["bgnbd-newton", "pareto-nbd-newton"])
def test_a_fit_started_from_the_previous_cutoff_equals_a_cold_fit(pareto_tx, cls):
    earlier, later = _histories(pareto_tx, "2025-06-30"), _histories(pareto_tx, "2025-09-30")
    prev = cls(time_unit="week").fit(earlier, weights=earlier[COUNT])
    cold = cls(time_unit="week").fit(later, weights=later[COUNT])
    warm = cls(time_unit="week").fit(later, weights=later[COUNT], start=prev.params_.to_numpy())
    assert not np.allclose(prev.params_, cold.params_, rtol=1e-3)  # the start is not the answer
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=1e-4)
    assert warm.loglik_ == pytest.approx(cold.loglik_, rel=1e-9)
    assert warm.problems_ == cold.problems_


def test_a_start_that_cannot_be_used_is_ignored(pareto_tx):
    h = _histories(pareto_tx, "2025-06-30")
    cold = BGNBD(time_unit="week").fit(h, weights=h[COUNT])
    for bad in ([1.0, 2.0], [1.0, -2.0, 1.0, 1.0], [np.nan, 1.0, 1.0, 1.0]):
        again = BGNBD(time_unit="week").fit(h, weights=h[COUNT], start=bad)
        np.testing.assert_array_equal(again.params_, cold.params_)


@pytest.mark.slow
def test_a_warm_started_backtest_selects_what_rounds_do_on_cdnow(test_data):
    # CDNOW under the starter's auto: BG/NBD, then MBG/NBD, then Pareto/NBD are chosen as the
    # cutoffs move, and some candidates run to an edge of their space on the way (a start that
    # once left later fits stuck there); every cutoff must still select what a round selects
    ws = Workspace(":memory:")
    store(ws, "transactions", cdnow_transactions(test_data))
    std = starter_standard("en")
    bt = backtest(ws, std, "1997-01-01", "1998-03-31", horizon="90d", baselines=())
    chosen = set()
    for cut, picked in bt.selections.items():
        r = run_round(ws, std, cut, store=False, check_model=False)
        chosen.add(r.meta["model_choice"]["model"])
        assert picked == r.roster.loc[r.roster["selected"], "customer_id"].tolist(), cut
    assert len(bt.selections) == 5 and {"bgnbd", "pareto-nbd"} <= chosen


def test_the_lean_selection_is_the_rosters():
    rng = np.random.default_rng(3)
    n = 4000
    fields = pd.DataFrame({"customer_id": [f"c{i:05d}" for i in range(n)],
                           "revenue_365d": np.round(rng.gamma(1.0, 100.0, n), 0),  # ties on purpose
                           "margin_365d": np.nan, "clv_3y": rng.gamma(1.0, 80.0, n),
                           "p_alive": rng.uniform(0, 1, n), "unused": "x"})
    std = load_standard(starter_standard("en"))
    sel, k_top = selection(fields, std)
    roster = score_customers(fields, std).roster
    chosen = roster.loc[roster["selected"]]
    assert fields["customer_id"].to_numpy()[sel].tolist() == chosen["customer_id"].tolist()
    assert k_top == int((chosen["tier"] == "A").sum()) > 0


def test_stability_follows_customers_when_newcomers_sort_before_them():
    # five regulars buy every month; from April, newcomers whose ids sort first join the base,
    # which moves every regular's row: the same two regulars selected again are 100% stable
    days = pd.date_range("2025-01-05", "2025-12-05", freq="MS") + pd.Timedelta(days=4)
    rows = [(f"m{i}", d, 100.0 * (i + 1)) for i in range(5) for d in days]
    rows += [(f"a{j}", pd.Timestamp("2025-04-10") + pd.Timedelta(days=j), 1.0) for j in range(7)]
    ws = Workspace(":memory:")
    ws.replace("transactions", pd.DataFrame(rows, columns=["customer_id", "ts", "amount"]))
    std = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
           'weight = 1\n[[tiers]]\nname = "A"\nquota = 2\n')
    bt = backtest(ws, std, "2025-03-01", "2025-06-30", horizon="90d", baselines=("revenue",))
    assert bt.selections[dt.date(2025, 3, 31)] == bt.selections[dt.date(2025, 6, 30)] == ["m4", "m3"]
    later = bt.cutoffs.loc[bt.cutoffs["cutoff"] == dt.date(2025, 6, 30)].set_index("method")
    assert later.loc["standard", "customers"] == 12
    assert later.loc["standard", "stability"] == 1.0 and later.loc["revenue", "stability"] == 1.0


def test_random_draws_overlap_as_independent_draws_must():
    # two independent draws of k from the same n customers share k/n of a list on average
    rng = np.random.default_rng(0)
    n = 1000
    tx = pd.DataFrame({"customer_id": np.repeat([f"c{i:04d}" for i in range(n)], 2),
                       "ts": np.tile(pd.to_datetime(["2025-01-10", "2025-08-10"]), n),
                       "amount": rng.gamma(2.0, 20.0, 2 * n)})
    ws = Workspace(":memory:")
    ws.replace("transactions", tx)
    std = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
           'weight = 1\n[[tiers]]\nname = "A"\nquota = 200\n')
    bt = backtest(ws, std, "2025-03-01", "2025-06-30", horizon="90d", baselines=("random",), draws=400)
    rand = bt.cutoffs.loc[bt.cutoffs["method"] == "random"].set_index("cutoff")
    assert np.isnan(rand.loc[dt.date(2025, 3, 31), "stability"])
    assert rand.loc[dt.date(2025, 6, 30), "stability"] == pytest.approx(0.2, abs=0.01)
    assert rand.loc[dt.date(2025, 6, 30), "lift"] == pytest.approx(1.0, abs=0.05)


def test_what_followed_every_cutoff_in_one_pass_is_a_direct_count(pareto_tx):
    ws = Workspace(":memory:")
    tx = pareto_tx.copy()
    tx.loc[tx.index[::7], "amount"] *= -1  # returns net the day's spend
    ws.replace("transactions", tx)
    windows = [(dt.date(2024, 3, 31), dt.date(2025, 3, 31)), (dt.date(2024, 6, 30), dt.date(2025, 6, 30)),
               (dt.date(2025, 12, 31), dt.date(2026, 12, 31))]  # overlapping, and one with nothing after it
    got = outcomes_by_cutoff(ws, windows)
    day = tx["ts"].dt.date
    for cut, end in windows:
        part = tx.loc[(day > cut) & (day <= end)]
        direct = part.groupby("customer_id")["amount"].sum().sort_index()
        mine = got[cut].set_index("customer_id")["revenue"].sort_index()
        assert mine.index.tolist() == direct.index.tolist()
        np.testing.assert_allclose(mine.to_numpy(), direct.to_numpy(), rtol=1e-12)
    assert got[dt.date(2025, 12, 31)].empty


def test_the_top_n_by_partition_is_the_full_sorts():
    # revenue-like values with many ties, missing values, ties broken by a second field (also
    # tied and missing) and then by position: the rows above the n-th value and those equal to
    # it, sorted alone, give what sorting every row gives, for every n
    from xuanba.rounds.backtest import _top

    rng = np.random.default_rng(11)
    for _ in range(20):
        m = int(rng.integers(1, 400))
        values = np.round(rng.gamma(1.0, 3.0, m))
        values[rng.random(m) < 0.1] = np.nan
        tie = np.round(rng.gamma(1.0, 2.0, m))
        tie[rng.random(m) < 0.2] = np.nan
        v, t = np.nan_to_num(values, nan=-np.inf), np.nan_to_num(tie, nan=-np.inf)
        full = np.lexsort((np.arange(m), -t, -v))
        for n in {0, 1, m // 3, m - 1, m}:
            assert _top(values, tie, n).tolist() == full[:n].tolist()


def test_facts_read_ahead_in_a_thread_fail_as_facts_read_in_place():
    # the next cutoff's facts are read in a thread; a cutoff before the first purchase must still
    # stop the backtest with the facts' own clear error, and the workspace stays usable after it
    from xuanba import DataError

    ws = Workspace(":memory:")
    ws.replace("transactions", pd.DataFrame({"customer_id": ["a", "b", "a"],
                                             "ts": pd.to_datetime(["2025-05-02", "2025-05-03", "2025-08-01"]),
                                             "amount": [5.0, 7.0, 9.0]}))
    std = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
           'weight = 1\n[[tiers]]\nname = "A"\nquota = 1\n')
    with pytest.raises(DataError, match="no transaction on or before the cutoff 2025-03-31"):
        backtest(ws, std, "2025-03-01", "2025-06-30", horizon="90d", baselines=())
    bt = backtest(ws, std, "2025-05-01", "2025-06-30", every="month", horizon="90d", baselines=())
    assert bt.selections[dt.date(2025, 5, 31)] == ["b"]
