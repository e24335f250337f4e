"""The report card where data misbehave: the default baselines on a standard without predictions,
a round without a usable model (backtest, what-if and the proof apply the same fallback as the
round), the run's language, and a value field that is not a number."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
from tests.test_card_cli import REVENUE_ONLY
from xuanba import Workspace
from xuanba.cli import app
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds.backtest import backtest
from xuanba.rounds.fairness import verify_round
from xuanba.rounds.run import run_round
from xuanba.rounds.whatif import whatif
from xuanba.standard.starter import starter_standard

runner = CliRunner()


@pytest.fixture()
def cdnow(tmp_path, test_data):
    path = tmp_path / "cdnow.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
    std = tmp_path / "rev.toml"
    std.write_text(REVENUE_ONLY, encoding="utf-8")
    return tmp_path, path, std


def test_default_baselines_on_a_standard_without_predictions(cdnow):
    """The predicted-value baseline fits the model itself when the standard has none (it crashed)."""
    _tmp, ws, std = cdnow
    bt = backtest(ws, std.read_text("utf-8"), "1997-06-30", "1997-06-30", horizon="180d", draws=10)
    assert "clv" in set(bt.cutoffs["method"])
    assert 0 < bt.overall.loc["clv", "revenue_captured"] <= 1


@pytest.fixture(scope="module")
def no_model_round(tmp_path_factory):
    """Buyers who never drop out: no purchase model can be trusted, so a round drops what needs one.
    The round runs once for the module; each test takes a copy of the workspace (:func:`no_model`)."""
    path = tmp_path_factory.mktemp("no-model") / "ws.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("poisson", 300, "2023-01-01", "2025-12-31", seed=5))
    rnd = run_round(path, starter_standard("en"), "2025-06-30")
    assert "fallback" in rnd.meta and rnd.meta["n_selected"] > 0
    return path, rnd


@pytest.fixture()
def no_model(no_model_round, tmp_path):
    """A copy of one's own of the module's workspace (a test may change the stored round), and its round."""
    path, rnd = no_model_round
    return shutil.copy(path, tmp_path / "ws.duckdb"), rnd


def test_whatif_and_the_proof_apply_the_rounds_fallback(no_model):
    path, rnd = no_model
    w = whatif(path, starter_standard("en"))  # the round's own standard changes nothing
    assert w.summary["selected_new"] == rnd.meta["n_selected"]
    assert w.summary["entered"] == w.summary["left"] == 0
    proof = verify_round(path, "latest")
    assert proof["roster"] is True and proof["verified"] is True


def test_backtest_scores_a_cutoff_without_a_usable_model_as_a_round_would(no_model):
    path, rnd = no_model
    bt = backtest(path, starter_standard("en"), "2025-06-30", "2025-06-30", horizon="180d",
                  baselines=("revenue",))
    row = bt.cutoffs[bt.cutoffs["method"] == "standard"].iloc[0]
    assert row["selected"] == rnd.meta["n_selected"]  # not "selected nobody" through the dropped gate
    assert any("no usable model" in n for n in bt.notes)


def test_a_roster_scored_by_older_rules_is_not_called_tampered(no_model):
    path, _rnd = no_model
    with Workspace(path) as ws:
        meta = json.loads(ws.sql("SELECT meta_json FROM rounds")["meta_json"].iloc[0])
        meta.pop("scoring_rules")
        ws.con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])
    assert verify_round(path, "latest")["verified"]  # older rules, but its roster replays: checked
    with Workspace(path) as ws:  # one the present rules score differently (as an edit would look)
        meta["roster_sha256"] = "0" * 64
        ws.con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])
    proof = verify_round(path, "latest")
    assert proof["roster"] is None and proof["standard"] and proof["data"] and not proof["verified"]
    res = runner.invoke(app, ["fairness", "--by", "customer_id", "-w", str(path), "--lang", "en"])
    assert "NOT VERIFIED" not in res.stdout and "older" in res.stdout


def test_backtest_speaks_the_runs_language_and_names_its_workbook(cdnow):
    tmp, ws, std = cdnow
    out = tmp / "bt.xlsx"
    res = runner.invoke(app, ["--lang", "zh", "backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--baseline", "revenue", "--draws", "5", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "与" in res.stdout or "不如" in res.stdout or "持平" in res.stdout  # the verdicts in Chinese
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--baseline", "revenue", "--draws", "5", "--out", str(out), "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["out"] == str(out)


def test_fairness_refuses_a_value_that_is_not_a_number(no_model):
    path, _rnd = no_model
    res = runner.invoke(app, ["fairness", "--by", "customer_id", "--value", "customer_id", "-w", str(path)])
    assert res.exit_code == 3 and "not a number" in res.output and "Traceback" not in res.output
