"""``xuanba fit`` and ``xuanba predict`` in-process: published CDNOW fits, files and workspace
input, any model in MODELS, and clean errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from xuanba.cli.models import register
from xuanba.workspace import Workspace


@pytest.fixture()
def app() -> typer.Typer:
    local = typer.Typer()
    register(local)
    return local


@pytest.fixture()
def facts_csv(test_data, tmp_path):
    summary = pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv", dtype={"ID": str})
    facts = summary.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    path = tmp_path / "facts.csv"
    facts.to_csv(path, index=False)
    return path


def run(app, args):
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_fit_bgnbd_json_reproduces_fader_hardie_lee_2005(app, facts_csv, tmp_path):
    """FHL (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL -9582.4."""
    result = run(app, ["fit", "--model", "bgnbd", "--facts", str(facts_csv), "--json",
                       "--save", str(tmp_path / "m.json"), "-w", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {k: f"{v['estimate']:.3g}" for k, v in doc["params"].items()} == {
        "r": "0.243", "alpha": "4.41", "a": "0.793", "b": "2.43"}
    assert doc["loglik"] == pytest.approx(-9582.43, abs=0.01)
    assert doc["n_customers"] == 2357 and doc["time_unit"] == "week"
    assert all(v["lower_95"] < v["estimate"] < v["upper_95"] for v in doc["params"].values())
    assert (tmp_path / "m.json").is_file()


def test_fit_prints_a_table(app, facts_csv):
    result = run(app, ["fit", "-m", "gamma-gamma", "--facts", str(facts_csv)])
    assert result.exit_code == 0, result.output
    for text in ("std. error", "log-likelihood", "AIC", "BIC", "left out: no repeat purchase", "1,411", "6.249"):
        assert text in result.stdout, text


@pytest.mark.parametrize("model", ["pareto-nbd", "mbgnbd"])
def test_fit_dispatches_to_any_model(app, facts_csv, model):
    result = run(app, ["fit", "--model", model, "--facts", str(facts_csv), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == model


def test_fit_from_the_workspace_facts_table(app, facts_csv, tmp_path):
    ws_path = tmp_path / "ws.duckdb"
    frame = pd.read_csv(facts_csv, dtype={"customer_id": str})
    with Workspace(ws_path) as ws, ws.transaction() as con:
        con.register("f", frame)
        con.execute("CREATE TABLE facts AS SELECT * FROM f")
    result = run(app, ["fit", "--model", "bgnbd", "--json", "-w", str(ws_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["facts"].endswith("(table facts)")


def test_predict_writes_per_customer_predictions(app, facts_csv, tmp_path):
    model = tmp_path / "bg.json"
    assert run(app, ["fit", "-m", "bgnbd", "--facts", str(facts_csv), "--save", str(model)]).exit_code == 0
    out = tmp_path / "preds.parquet"
    result = run(app, ["predict", "-m", str(model), "--facts", str(facts_csv), "--horizon", "39",
                       "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    preds = pd.read_parquet(out)
    assert list(preds.columns) == ["customer_id", "p_alive", "expected_purchases", "p_no_purchase"]
    assert len(preds) == 2357 and preds["customer_id"].iloc[0] == "1"
    # FHL (2005): x=2, t_x=30.43, T=38.86 (customer 1) expects 1.226 purchases in 39 weeks
    assert round(float(preds["expected_purchases"].iloc[0]), 3) == 1.226
    in_days = tmp_path / "days.csv"
    result = run(app, ["predict", "-m", str(model), "--facts", str(facts_csv), "--horizon", "273",
                       "--unit", "day", "--out", str(in_days), "--interval", "0.9"])
    assert result.exit_code == 0, result.output
    days = pd.read_csv(in_days, encoding="utf-8-sig")
    assert days["expected_purchases"].to_numpy() == pytest.approx(preds["expected_purchases"].to_numpy(), rel=1e-12)
    assert (days["expected_purchases_lower"] <= days["expected_purchases_upper"]).all()
    assert "Written to" in result.stdout


def test_clean_errors_not_tracebacks(app, facts_csv, tmp_path):
    result = run(app, ["fit", "--model", "lifetimes", "--facts", str(facts_csv)])
    assert result.exit_code == 2 and "unknown model" in result.output
    ws_path = tmp_path / "empty.duckdb"
    Workspace(ws_path).close()
    result = run(app, ["fit", "--model", "bgnbd", "-w", str(ws_path)])
    assert result.exit_code == 5 and "xuanba facts" in result.output
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "frequency": [0, 0], "recency": [0, 0], "T": [3, 4]}).to_csv(bad, index=False)
    result = run(app, ["fit", "--model", "bgnbd", "--facts", str(bad), "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"] == "ModelError"
    result = run(app, ["predict", "-m", str(tmp_path / "nope.json"), "--facts", str(bad), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "cannot read a saved model" in result.output


def test_predict_adds_discounted_value_with_a_spend_model(app, facts_csv, tmp_path):
    """`--spend-model` adds clv: the same numbers as customer_value on the fitted models."""
    from xuanba.models import Model
    from xuanba.models.value import customer_value

    bg, gg = tmp_path / "bg.json", tmp_path / "gg.json"
    assert run(app, ["fit", "-m", "bgnbd", "--facts", str(facts_csv), "--save", str(bg)]).exit_code == 0
    assert run(app, ["fit", "-m", "gamma-gamma", "--facts", str(facts_csv), "--save", str(gg)]).exit_code == 0
    out = tmp_path / "preds.parquet"
    result = run(app, ["predict", "-m", str(bg), "--spend-model", str(gg), "--facts", str(facts_csv),
                       "--value-years", "2", "--discount-rate", "0.08", "--margin", "0.3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    preds = pd.read_parquet(out)
    facts = pd.read_csv(facts_csv, dtype={"customer_id": str})
    expected = customer_value(Model.load(bg), Model.load(gg), facts, horizon_years=2, discount_rate=0.08,
                              margin=0.3)
    assert preds["clv"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert (preds["clv"] > 0).all()
