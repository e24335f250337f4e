"""The backtest: selections made with no look-ahead, measured against what followed, beside baselines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.errors import InputError
from xuanba.rounds.backtest import backtest, parse_horizon

START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-12-31")


def simulated_base(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transactions where the truth is known: customer i buys as a Poisson process at rate λ_i a
    year (Gamma, mean 2) with spends of mean m_i (Gamma, mean 50), from a first purchase in 2023
    to the end of 2025. ``true_value`` = λ_i m_i is each customer's expected yearly revenue;
    ``noise_a`` and ``noise_b`` are drawn independently of everything and predict nothing."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.8, 2.5, n)
    mean_spend = rng.gamma(2.0, 25.0, n)
    first = rng.uniform(0, 365, n)
    life = (END - START).days + 1 - first
    k = rng.poisson(lam * life / 365.0)
    cust = np.repeat(np.arange(n), k + 1)
    offset = np.concatenate([[0.0] if j == 0 else np.r_[0.0, rng.uniform(0, life[i], j)]
                             for i, j in enumerate(k)])
    day = np.floor(first[cust] + offset)
    amount = np.round(rng.gamma(4.0, mean_spend[cust] / 4.0), 2)
    ids = np.array([f"c{i:05d}" for i in range(n)])
    tx = pd.DataFrame({"customer_id": ids[cust], "ts": START + pd.to_timedelta(day, unit="D"), "amount": amount})
    extra = pd.DataFrame({"customer_id": ids, "true_value": lam * mean_spend,
                          "noise_a": rng.normal(size=n), "noise_b": rng.normal(size=n)})
    return tx, extra


def standard(criteria: dict[str, float], quota: int = 300) -> str:
    parts = ['[standard]\nname = "sim"\nversion = "1"\n']
    for name, w in criteria.items():
        parts.append(f'[[criteria]]\nname = "{name}"\nfield = "{name}"\nweight = {w}\n')
    parts.append(f'[[tiers]]\nname = "A"\nquota = {quota // 3}\n[[tiers]]\nname = "B"\nquota = {quota - quota // 3}\n')
    return "".join(parts)


@pytest.fixture(scope="module")
def sim():
    tx, extra = simulated_base()
    ws = Workspace(":memory:")
    ws.replace("transactions", tx)
    yield ws, tx, extra
    ws.close()


def test_true_drivers_beat_revenue_only_and_random_on_simulated_truth(sim):
    ws, _tx, extra = sim
    truth = backtest(ws, standard({"true_value": 0.8, "noise_a": 0.2}), "2024-01-01", "2024-06-30",
                     extra_fields=extra, baselines=("revenue", "rfm", "random"), draws=100)
    o = truth.overall
    assert list(o.index) == ["standard", "revenue", "rfm", "random"]
    assert o.loc["standard", "revenue_captured"] > o.loc["revenue", "revenue_captured"] + 0.02
    assert o.loc["revenue", "revenue_captured"] > o.loc["random", "revenue_captured_hi"]
    assert o.loc["standard", "precision"] > o.loc["revenue", "precision"]
    # random selection captures about its share of customers: lift ≈ 1
    assert o.loc["random", "lift"] == pytest.approx(1.0, abs=0.05)
    assert not truth.worse_than()
    assert all(v.startswith("Better than") for v in truth.verdicts)


def test_a_noise_standard_says_plainly_it_is_worse(sim):
    ws, _tx, extra = sim
    noise = backtest(ws, standard({"noise_a": 0.5, "noise_b": 0.5}), "2024-01-01", "2024-03-31",
                     extra_fields=extra, baselines=("revenue", "random"), draws=100)
    o = noise.overall
    assert o.loc["random", "revenue_captured_lo"] <= o.loc["standard", "revenue_captured"] \
        <= o.loc["random", "revenue_captured_hi"]
    assert "revenue" in noise.worse_than()
    assert any(v.startswith("WORSE than last-year revenue top-N") for v in noise.verdicts)
    assert any(v.startswith("No better than random selection") for v in noise.verdicts)


def test_nothing_after_the_cutoff_changes_the_selection(sim):
    ws, tx, _extra = sim
    cut = pd.Timestamp("2024-06-30")
    std = ('[standard]\nname = "p"\nversion = "1"\n'
           '[[criteria]]\nname = "clv"\nfield = "clv_1y"\nweight = 0.5\n'
           '[[criteria]]\nname = "alive"\nfield = "p_alive"\nweight = 0.2\n'
           '[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 0.3\n'
           '[[tiers]]\nname = "A"\nquota = 200\n')
    before = tx.loc[tx["ts"] <= cut + pd.Timedelta(hours=23)]
    after = tx.loc[tx["ts"] > cut + pd.Timedelta(hours=23)].copy()
    rng = np.random.default_rng(1)
    after["amount"] = rng.permutation(after["amount"].to_numpy()) * 3  # shuffled and scaled
    after["customer_id"] = rng.permutation(after["customer_id"].to_numpy())
    after = after.sample(frac=0.6, random_state=2)  # and 40% dropped
    newcomers = pd.DataFrame({"customer_id": ["zz1", "zz2"], "ts": pd.to_datetime(["2024-07-02", "2025-01-05"]),
                              "amount": [1e6, 2e6]})
    altered = pd.concat([before, after, newcomers], ignore_index=True).sample(frac=1.0, random_state=3)
    ws2 = Workspace(":memory:")
    ws2.replace("transactions", altered)
    a = backtest(ws, std, "2024-06-01", "2024-06-30", horizon="180d", baselines=("revenue", "rfm", "clv"))
    b = backtest(ws2, std, "2024-06-01", "2024-06-30", horizon="180d", baselines=("revenue", "rfm", "clv"))
    day = dt.date(2024, 6, 30)
    assert len(a.selections[day]) == 200
    assert a.selections[day] == b.selections[day]
    # the baselines select the same too: same capacity, same facts and predictions at the cutoff
    cols = ["method", "selected", "top_tier", "customers"]
    pd.testing.assert_frame_equal(a.cutoffs[cols], b.cutoffs[cols])
    # while what happened after did change, so the measures differ
    assert not np.allclose(a.cutoffs["revenue_captured"], b.cutoffs["revenue_captured"])


def test_cdnow_quarterly_backtest_matches_a_direct_count(test_data):
    ws = Workspace(":memory:")
    tx = cdnow_transactions(test_data)
    store(ws, "transactions", tx)
    std = ('[standard]\nname = "cd"\nversion = "1"\n'
           '[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 0.5\n'
           '[[criteria]]\nname = "orders"\nfield = "orders"\nweight = 0.5\n'
           '[[tiers]]\nname = "A"\nquota = 100\n[[tiers]]\nname = "B"\nquota = 200\n')
    bt = backtest(ws, std, "1997-01-01", "1998-06-30", baselines=("revenue", "random"), draws=50)
    cut = sorted(bt.cutoffs["cutoff"].unique())
    assert cut[0] == dt.date(1997, 3, 31) and len(cut) == 5  # 1998-06-30 has nothing after it
    assert any("1998-06-30" in n for n in bt.notes)
    assert bt.cutoffs.groupby("cutoff")["complete"].first().tolist() == [True, True, False, False, False]
    # the first cutoff's revenue captured, counted directly from the transactions
    day = tx["ts"].dt.normalize()
    base = set(tx.loc[day <= "1997-03-31", "customer_id"].astype(str))
    nxt = tx.loc[(day > "1997-03-31") & (day <= "1998-03-31")]
    nxt = nxt.loc[nxt["customer_id"].astype(str).isin(base)]
    picked = set(bt.selections[dt.date(1997, 3, 31)])
    assert len(picked) == 300
    direct = nxt.loc[nxt["customer_id"].astype(str).isin(picked), "amount"].sum() / nxt["amount"].sum()
    row = bt.cutoffs.loc[(bt.cutoffs["cutoff"] == dt.date(1997, 3, 31)) & (bt.cutoffs["method"] == "standard")]
    assert row["revenue_captured"].iloc[0] == pytest.approx(direct, abs=1e-6)
    assert row["lift"].iloc[0] == pytest.approx(direct / (300 / len(base)), abs=1e-5)
    # overall averages the complete cutoffs only
    std_rows = bt.cutoffs.loc[(bt.cutoffs["method"] == "standard") & bt.cutoffs["complete"]]
    assert bt.overall.loc["standard", "revenue_captured"] == pytest.approx(std_rows["revenue_captured"].mean(), abs=1e-6)


def test_horizon_is_read_in_days_weeks_or_years():
    assert parse_horizon("1y") == 365 and parse_horizon("4w") == 28
    with pytest.raises(InputError):
        parse_horizon("a while")
