"""One implementation of the standard (issue 16): every caller applies it on the engine.

With the pandas path made to fail (every binding of ``score_customers`` and ``rank_customers`` in
xuanba's modules), a round, a what-if (library, CLI, web preview), a backtest, a tune and a
round's check still run; each of their outputs equals the pandas oracle's on the same data
(rosters identical, scores within 1e-9); a round stored before the switch (no ``scoring_engine``
in its meta) is still rescored in pandas.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_backtest import simulated_base
from tests.test_backtest import standard as sim_standard
from tests.test_rounds import make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.standard import apply as apply_mod
from xuanba.standard import load_standard, starter_standard
from xuanba.standard import score as score_mod

CUTOFF = "2026-03-31"
STARTER = starter_standard("en").replace("max_accounts = 500", "max_accounts = 25")
CHANGED = (
    STARTER.replace(
        'weight = 0.25\ngroup = "value"\n\n[[criteria]]\nname = "margin"',
        'weight = 0.05\ngroup = "value"\n\n[[criteria]]\nname = "margin"',
        1,
    )
    .replace("weight = 0.35", "weight = 0.55", 1)
    .replace("min_score = 80", "min_score = 85", 1)
    .replace('version = "1"', 'version = "2"', 1)
)
CALLERS = (
    "xuanba.rounds.run",
    "xuanba.rounds.whatif",
    "xuanba.rounds.backtest",
    "xuanba.rounds.tune",
    "xuanba.rounds.fairness",
    "xuanba.web.standard_pages",
    "xuanba.cli.card",
    "xuanba.cli",
)


class PandasUsed(AssertionError):
    pass


@pytest.fixture()
def guard(monkeypatch):
    """A block in which the pandas path raises wherever xuanba holds it: in score.py (which
    score_customers calls rank_customers through) and every module that imported either
    function by name."""
    import contextlib

    for name in CALLERS:
        importlib.import_module(name)
    originals = (score_mod.score_customers, score_mod.rank_customers)

    def used(*_a, **_k):
        raise PandasUsed("the pandas path applied a standard outside the oracle")

    @contextlib.contextmanager
    def block():
        with monkeypatch.context() as m:
            for mod_name, mod in list(sys.modules.items()):
                if mod_name.startswith("xuanba") and mod is not None:
                    for attr, value in list(vars(mod).items()):
                        if any(value is o for o in originals):
                            m.setattr(mod, attr, used)
            yield

    return block


@pytest.fixture()
def oracle(monkeypatch):
    """A block in which the one definition applies the standard in pandas (the oracle)."""
    import contextlib

    @contextlib.contextmanager
    def block():
        with monkeypatch.context() as m:
            m.setattr(apply_mod, "DEFAULT_SCORING", "pandas")
            yield

    return block


def same_roster(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Identical ids, ranks, tiers, flags and texts; numbers within 1e-9."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x):
            np.testing.assert_allclose(
                x.to_numpy(float), y.to_numpy(float), rtol=0, atol=1e-9, equal_nan=True, err_msg=col
            )
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), col


@pytest.fixture()
def stored(tmp_path):
    tx = make_transactions(n=120)
    path = tmp_path / "w.duckdb"
    store_tx(path, tx)
    return path, predictions_for(tx.customer_id)


def test_the_guard_and_the_oracle_block_catch_the_pandas_path(guard, oracle):
    """The guard itself: the reference, called as a caller would, is refused; the oracle block
    sends the one definition there; the engine is untouched."""
    from xuanba.rounds import backtest as bt_mod

    f = pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": [1.0, 2.0]})
    s = load_standard(
        '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\n'
        'weight = 1\n[[tiers]]\nname = "A"\nquota = 2\n'
    )
    with guard():
        with pytest.raises(PandasUsed):
            score_mod.score_customers(f, s)
        with pytest.raises(PandasUsed):
            apply_mod.scorer("pandas")(f, s)
        with oracle(), pytest.raises(PandasUsed):
            bt_mod.selection(f, s)
        assert bt_mod.selection(f, s)[0].tolist() == [1, 0]
    with oracle():
        assert bt_mod.selection(f, s)[0].tolist() == [1, 0]


def test_round_and_its_check_run_on_the_engine_and_equal_the_oracle(stored, guard):
    from xuanba.rounds import run_round
    from xuanba.rounds.fairness import verify_round

    path, preds = stored
    with guard():
        rnd = run_round(path, STARTER, CUTOFF, predictions=preds, check_model=False)
        proof = verify_round(path)
    assert rnd.meta["scoring_engine"] == "duckdb"
    assert proof["verified"] and proof["roster"] is True
    ref = run_round(
        path,
        STARTER,
        CUTOFF,
        predictions=preds,
        check_model=False,
        store=False,
        scoring_engine="pandas",
    )
    same_roster(ref.roster, rnd.roster)
    assert (
        ref.meta["tier_counts"] == rnd.meta["tier_counts"]
        and ref.meta["n_selected"] == rnd.meta["n_selected"]
    )
    assert 0 < rnd.meta["n_selected"] < len(rnd.roster)  # a selection that tells


def test_a_round_stored_before_the_switch_is_rescored_in_pandas(stored, monkeypatch):
    """A stored round whose meta has no scoring_engine was scored in pandas: its check rescores
    it there (the engine's last bits may differ, and its roster hash must replay)."""
    from xuanba.rounds import run_round
    from xuanba.rounds.fairness import verify_round

    path, preds = stored
    run_round(path, STARTER, CUTOFF, predictions=preds, check_model=False, scoring_engine="pandas")
    with Workspace(path) as ws, ws.transaction() as con:
        meta = json.loads(con.execute("SELECT meta_json FROM rounds").fetchone()[0])
        del meta["scoring_engine"]
        con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])
    calls = []
    real = score_mod.score_customers
    monkeypatch.setattr(
        score_mod, "score_customers", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    assert verify_round(path)["verified"]
    assert calls == [1]


def test_whatif_library_cli_and_web_run_on_the_engine_and_equal_the_oracle(stored, guard, oracle):
    from xuanba.cli import app
    from xuanba.rounds import run_round
    from xuanba.rounds.whatif import whatif
    from xuanba.web.standard_pages import preview

    path, preds = stored
    run_round(path, STARTER, CUTOFF, predictions=preds, check_model=False)
    new = path.parent / "changed.toml"
    new.write_text(CHANGED, encoding="utf-8")
    with guard():
        got = whatif(path, CHANGED, horizon="365d")
        res = CliRunner().invoke(app, ["whatif", str(new), "-w", str(path), "--json"])
        with Workspace(path, create=False) as ws:
            web = preview(ws, CHANGED, "en")
    assert res.exit_code == 0, res.output
    assert "error" not in web, web
    with oracle():
        ref = whatif(path, CHANGED, horizon="365d")
    same_roster(ref.roster, got.roster)
    assert got.summary == ref.summary
    pd.testing.assert_frame_equal(got.tiers, ref.tiers)
    pd.testing.assert_frame_equal(
        got.movers.drop(columns="score_new"), ref.movers.drop(columns="score_new")
    )
    np.testing.assert_allclose(got.movers["score_new"], ref.movers["score_new"], rtol=0, atol=1e-9)
    assert json.loads(res.output)["entered"] == got.summary["entered"]
    assert (
        web["summary"]["entered"] == got.summary["entered"]
        and web["summary"]["left"] == got.summary["left"]
    )
    assert (
        got.summary["entered"] + got.summary["left"] > 0
    )  # the change moves somebody: a comparison that tells


@pytest.fixture(scope="module")
def sim():
    tx, extra = simulated_base(n=1200)
    ws = Workspace(":memory:")
    ws.replace("transactions", tx)
    yield ws, extra
    ws.close()


def test_backtest_runs_on_the_engine_and_equals_the_oracle(sim, guard, oracle):
    from xuanba.rounds.backtest import backtest

    ws, extra = sim
    std = sim_standard({"true_value": 0.6, "noise_a": 0.4}, quota=150)
    with guard():
        got = backtest(
            ws,
            std,
            "2024-01-01",
            "2024-09-30",
            extra_fields=extra,
            baselines=("revenue", "random"),
            draws=20,
        )
    with oracle():
        ref = backtest(
            ws,
            std,
            "2024-01-01",
            "2024-09-30",
            extra_fields=extra,
            baselines=("revenue", "random"),
            draws=20,
        )
    assert got.selections == ref.selections and len(got.selections) == 3
    pd.testing.assert_frame_equal(got.cutoffs, ref.cutoffs)


def test_tune_runs_on_the_engine_and_equals_the_oracle(sim, guard, oracle):
    from xuanba.rounds.tune import tune

    ws, extra = sim
    std = sim_standard({"true_value": 0.3, "noise_a": 0.7}, quota=150)
    with guard():
        got = tune(ws, std, "2024-06-30", "2024-12-31", extra_fields=extra, max_change=0.1)
    with oracle():
        ref = tune(ws, std, "2024-06-30", "2024-12-31", extra_fields=extra, max_change=0.1)
    pd.testing.assert_frame_equal(got.weights, ref.weights)
    pd.testing.assert_frame_equal(got.cutoffs, ref.cutoffs)
    assert got.text == ref.text
    assert (
        got.weights["after"] != got.weights["before"]
    ).any()  # the search moved: selections compared


def test_tuned_bars_run_on_the_engine_and_equal_the_oracle(sim, guard, oracle):
    """The tier bars' search (``bars=True``) on the engine: every shift's selection, at every
    training cutoff, as the oracle's. tests/test_tune.py checks what the search finds with the
    pandas reference selecting (hundreds of selections)."""
    from tests.test_tune import _barred
    from xuanba.rounds.tune import tune

    ws, extra = sim
    args = dict(extra_fields=extra, max_change=0.05, bars=True, max_bar_change=8)
    with guard():
        got = tune(ws, _barred(60, 30), "2024-06-30", "2024-12-31", **args)
    with oracle():
        ref = tune(ws, _barred(60, 30), "2024-06-30", "2024-12-31", **args)
    pd.testing.assert_frame_equal(got.bars, ref.bars)
    pd.testing.assert_frame_equal(got.weights, ref.weights)
    pd.testing.assert_frame_equal(got.cutoffs, ref.cutoffs)
    assert got.text == ref.text
    assert (got.bars["after"] != got.bars["before"]).all()  # the bars moved: shifts compared


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_select_equals_rank_customers_on_hostile_bases(seed):
    """The selection alone, against the reference's: ties, NaN, gates, quotas, bars, capacity and
    ids that look like numbers, blanks or markup; positions in the fields' order, best first."""
    rng = np.random.default_rng(seed)
    n = 400
    ids = np.array([f"c{i:04d}" for i in range(n)], dtype=object)
    ids[:6] = ["nan", "None", " 7", "<b>x</b>", "客户", "0"]
    f = pd.DataFrame(
        {
            "customer_id": ids,
            "a": rng.integers(0, 5, n).astype(float),
            "b": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n).round(1)),
            "cost": rng.integers(1, 4, n).astype(float),
        }
    )
    f = f.sort_values("customer_id", kind="stable").reset_index(drop=True)
    s = load_standard(
        '[standard]\nname = "h"\nversion = "1"\n'
        '[[criteria]]\nname = "a"\nfield = "a"\nweight = 0.5\n'
        '[[criteria]]\nname = "b"\nfield = "b"\nweight = 0.5\nnormalise = "minmax"\nmissing = "median"\n'
        '[[gates]]\nname = "g"\nexpr = "a >= 1"\n'
        '[[tiers]]\nname = "A"\nquota = 30\n[[tiers]]\nname = "B"\nmin_score = 40\n'
        f'[capacity]\nbudget = {60 + 20 * seed}\ncost_field = "cost"\n',
        extra_fields=("a", "b", "cost"),
    )
    pos, k_top = apply_mod.select(f, s)
    ref = score_mod.rank_customers(f, s)
    assert pos.tolist() == ref.selected.tolist()
    assert k_top == int((ref.tier[ref.selected] == 0).sum()) > 0
    assert 0 < len(pos) < n and ref.left_out.any()  # gates, quotas and the budget all bite
