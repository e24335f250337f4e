"""The analyst's plots on the CDNOW sample: each returns a figure with the expected traces, and
the numbers they draw match the published figures (tests/data/PUBLISHED.md) or a computation
straight from the raw rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xuanba
from xuanba.outputs import plots

DATA = Path(__file__).parent / "data"
CAL, HOLD = "1997-09-30", "1998-06-30"
# Fader, Hardie & Lee (2005), CDNOW sample, calibration to week 39 (PUBLISHED.md)
CUSTOMERS_BY_FREQUENCY = [1411, 439, 214, 100, 62, 38, 29, 64]
HOLDOUT_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
HOLDOUT_BGNBD = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]
CUMULATIVE_WEEK_78 = 4339


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    raw = pd.read_parquet(DATA / "cdnow_sample.parquet")
    return raw[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})


@pytest.fixture(scope="module")
def ev(tx):
    return xuanba.evaluate(tx, CAL, HOLD, models=["bgnbd"])


@pytest.fixture(scope="module")
def fitted(ev):
    return ev.models["bgnbd"]


@pytest.fixture(scope="module")
def cal_facts(tx):
    return xuanba.customer_facts(tx, CAL)


def _names(fig) -> list[str]:
    return [tr.name for tr in fig.data]


def test_period_transactions_actual_is_the_published_count_and_model_the_closed_form(fitted, cal_facts, tx):
    fig = plots.period_transactions(fitted, cal_facts)
    assert _names(fig) == ["actual", "model (BGNBD)"]
    assert list(fig.data[0].x) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(fig.data[0].y) == CUSTOMERS_BY_FREQUENCY
    # the same counts straight from the raw rows: distinct purchase days - 1, capped at 7
    cal = tx[tx["ts"] <= pd.Timestamp(CAL)]
    raw = (cal.groupby("customer_id")["ts"].apply(lambda s: s.dt.normalize().nunique()) - 1).clip(upper=7)
    assert list(fig.data[0].y) == raw.value_counts().sort_index().tolist()
    model = np.asarray(fig.data[1].y)
    assert model.sum() == pytest.approx(len(cal_facts), rel=1e-9)  # every customer is somewhere
    # BG/NBD: P(X(T) = 0) = (alpha / (alpha + T))^r, summed over customers
    p = fitted.params_
    zero = ((p["alpha"] / (p["alpha"] + cal_facts["T"].to_numpy())) ** p["r"]).sum()
    assert model[0] == pytest.approx(zero, rel=1e-9)
    assert model[0] == pytest.approx(1411, rel=0.05)  # and the model fits the published count


def test_calibration_holdout_plot_draws_the_published_means(ev):
    fig = plots.calibration_holdout_plot(ev)
    assert _names(fig) == ["actual", "predicted"]
    np.testing.assert_allclose(fig.data[0].y, HOLDOUT_ACTUAL, atol=5e-4)
    np.testing.assert_allclose(fig.data[1].y, HOLDOUT_BGNBD, atol=2e-3)


def test_purchases_over_time_adds_up_to_the_published_total_and_marks_the_calibration_end(ev, tx):
    fig = plots.purchases_over_time(ev, cumulative=True)
    assert _names(fig) == ["actual", "model (bgnbd)"]
    assert fig.data[0].y[-1] == CUMULATIVE_WEEK_78
    # independent: repeat purchase days of the cohort (day-merged) to the holdout end
    days = tx.assign(day=tx["ts"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    assert fig.data[0].y[-1] == len(days) - days["customer_id"].nunique()
    [line] = [s for s in fig.layout.shapes if s.x0 == s.x1]
    assert pd.Timestamp(line.x0) == pd.Timestamp(CAL)
    per = plots.purchases_over_time(ev, cumulative=False, lang="zh")
    assert np.asarray(per.data[0].y).sum() == CUMULATIVE_WEEK_78
    assert per.layout.title.text == "每周的重复购买"


def _bgnbd_alive(p: pd.Series, x: np.ndarray, tx_: np.ndarray, T: float) -> np.ndarray:
    """P(alive) of BG/NBD, Fader, Hardie & Lee (2005) eq. (A.1), written out here."""
    odds = p["a"] / (p["b"] + np.maximum(x, 1) - 1) * ((p["alpha"] + T) / (p["alpha"] + tx_)) ** (p["r"] + x)
    return np.where(x > 0, 1 / (1 + odds), 1.0)


def test_alive_and_expected_grids_match_the_closed_forms(fitted):
    fig = plots.probability_alive_grid(fitted, T=39, max_frequency=10, points=14)
    [heat] = fig.data
    assert heat.type == "heatmap" and list(heat.y) == list(range(11)) and len(heat.x) == 14
    f, r = np.meshgrid(np.asarray(heat.y, float), np.asarray(heat.x, float), indexing="ij")
    np.testing.assert_allclose(heat.z, _bgnbd_alive(fitted.params_, f, np.where(f == 0, 0, r), 39.0), rtol=1e-10)
    # a long silence after many purchases: nearly lost; the same purchases just now: alive
    assert heat.z[10][0] < 0.01 < 0.9 < heat.z[10][-1]
    exp = plots.expected_purchases_grid(fitted, T=38.86, t_ahead=39, max_frequency=3, points=3)
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert exp.data[0].z[2][2] > exp.data[0].z[2][0]  # more recent, more purchases expected
    assert float(fitted.expected_purchases(one, 39).iloc[0]) == pytest.approx(1.226, abs=0.01)  # published


def test_customer_history_ends_where_the_facts_put_the_customer(fitted, tx):
    cid = "0001"  # bought on 1997-01-01, -01-18, -08-02, -12-12 (the raw rows)
    fig = plots.customer_history(fitted, tx, cid, end=HOLD)
    assert _names(fig) == ["P(alive)", "purchase"]
    mine = tx[tx["customer_id"] == cid]
    assert len(fig.data[1].x) == mine["ts"].dt.normalize().nunique() == 4
    facts = xuanba.customer_facts(mine, HOLD)
    assert fig.data[0].y[-1] == pytest.approx(float(fitted.probability_alive(facts).iloc[0]), rel=1e-12)
    assert fig.data[0].y[-1] == pytest.approx(
        _bgnbd_alive(fitted.params_, facts["frequency"].to_numpy(), facts["recency"].to_numpy(),
                     float(facts["T"].iloc[0]))[0], rel=1e-10)
    assert "0001" in fig.layout.title.text


def test_customer_history_escapes_a_hostile_id(fitted):
    evil = "<a href='x'>me</a>"
    tx = pd.DataFrame({"customer_id": [evil, evil], "ts": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                       "amount": [1.0, 2.0]})
    fig = plots.customer_history(fitted, tx, evil, end="2026-03-01")
    assert evil not in fig.layout.title.text and "&lt;a href='x'&gt;me&lt;/a&gt;" in fig.layout.title.text


STANDARD = """[standard]
name = "cdnow"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 0.6
group = "value"
[[criteria]]
name = "repeat"
field = "frequency"
weight = 0.4
group = "potential"
[[tiers]]
name = "A"
quota = 100
[[tiers]]
name = "B"
quota = 300
"""


def test_a_rounds_value_potential_and_migration(tx):
    with xuanba.Workspace(":memory:") as ws:
        xuanba.ingest.ingest(tx, ws)
        a = xuanba.run_round(ws, STANDARD, "1998-03-31", check_model=False)
        b = xuanba.run_round(ws, STANDARD, HOLD, check_model=False)
        d = xuanba.diff_rounds(ws, a.round_id, b.round_id)
    fig = plots.value_potential(b)
    drawn = sum(len(tr.x) for tr in fig.data)
    assert drawn == len(b.roster) == 2357
    counts = b.roster["quadrant"].value_counts()
    assert {tr.name: len(tr.x) for tr in fig.data} == {q: int(n) for q, n in counts.items()}
    mig = plots.migration(d)
    [heat] = mig.data
    # independent: the tier crosstab of the two rosters
    both = a.roster[["customer_id", "tier"]].merge(b.roster[["customer_id", "tier"]], on="customer_id")
    a_to_b = int(((both["tier_x"] == "A") & (both["tier_y"] == "B")).sum())
    assert heat.z[list(heat.y).index("A")][list(heat.x).index("B")] == a_to_b
    assert np.asarray(heat.z).sum() == 2357
