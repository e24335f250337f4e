"""Evaluation on a calibration/holdout split: the CDNOW holdout tables of Fader, Hardie & Lee
(2005), the cumulative repeat-purchase curve, the metrics, and ``xuanba evaluate``."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from xuanba.errors import DataError, InputError
from xuanba.models.evaluate import _expected_new, evaluate, holdout_metrics
from xuanba.workspace import Workspace

CAL, HOLD = "1997-09-30", "1998-06-30"

# PUBLISHED.md, BG/NBD section: Fader, Hardie & Lee (2005), holdout weeks 40-78 by calibration
# frequency x = 0..6, 7+.
FHL_CUSTOMERS = [1411, 439, 214, 100, 62, 38, 29, 64]
FHL_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
FHL_BGNBD = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def cdnow_tx(test_data) -> pd.DataFrame:
    raw = pd.read_parquet(test_data / "cdnow_sample.parquet")
    return raw[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})


@pytest.fixture(scope="module")
def cdnow_eval(cdnow_tx):
    return evaluate(cdnow_tx, CAL, HOLD, models=("bgnbd", "pareto-nbd", "mbgnbd"))


@pytest.fixture(scope="module")
def cdnow_workspace(cdnow_tx, tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "cdnow.duckdb"
    with Workspace(path) as ws, ws.transaction() as con:
        con.register("_tx", cdnow_tx)
        con.execute("CREATE TABLE transactions AS SELECT * FROM _tx")
        con.unregister("_tx")
    return path


# -- the published tables ----------------------------------------------------------------------
def test_holdout_by_frequency_matches_fader_hardie_lee_2005(cdnow_eval):
    """PUBLISHED.md (FHL 2005): customers and actual means exactly, BG/NBD to 3 s.f."""
    table = cdnow_eval.by_frequency
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].tolist() == FHL_CUSTOMERS
    assert [round(v, 3) for v in table["actual"]] == FHL_ACTUAL
    assert [sig3(v) for v in table["bgnbd"]] == [sig3(v) for v in FHL_BGNBD]


def test_cumulative_repeat_purchases_cdnow_week_78_is_4339(cdnow_eval):
    """PUBLISHED.md: 2,457 repeat purchases in the 39 calibration weeks, 4,339 by week 78."""
    cum = cdnow_eval.cumulative
    assert cum["period"].tolist() == list(range(1, 79))
    assert str(cum["period_end"].iloc[0]) == "1997-01-07"
    assert str(cum["period_end"].iloc[-1]) == HOLD
    assert int(cum.loc[cum["period"] == 39, "actual_cumulative"].iloc[0]) == 2457
    assert int(cum["actual_cumulative"].iloc[-1]) == 4339
    assert cum["holdout"].sum() == 39
    # the holdout actuals of the cumulative view and of the per-customer table agree
    assert cum.loc[cum["holdout"], "actual"].sum() == cdnow_eval.predictions["frequency_holdout"].sum() == 1882


def test_cumulative_expectation_equals_per_customer_sum(cdnow_eval):
    """The grouped cumulative curve equals a brute-force sum of E[X(age)] over every customer."""
    model = cdnow_eval.models["bgnbd"]
    T = cdnow_eval.predictions["T"].to_numpy()
    for week, offset in [(1, -38.0), (39, 0.0), (60, 21.0), (78, 39.0)]:
        brute = sum(float(_expected_new(model, np.array([max(t + offset, 0.0)]))[0]) for t in T)
        got = cdnow_eval.cumulative.loc[week - 1, "bgnbd_cumulative"]
        assert got == pytest.approx(brute, rel=1e-10)
    # FHL (2005) figure 3: BG/NBD tracks the actual curve; by week 78 within 5% of 4,339
    assert cdnow_eval.cumulative["bgnbd_cumulative"].iloc[-1] == pytest.approx(4339, rel=0.05)


def test_comparison_names_lowest_rmse_and_recomputes_metrics(cdnow_eval):
    comp = cdnow_eval.comparison
    assert set(comp.index) == {"bgnbd", "pareto-nbd", "mbgnbd"}
    assert cdnow_eval.best == comp["rmse"].idxmin()
    pred = cdnow_eval.predictions
    actual = pred["frequency_holdout"].to_numpy(float)
    for name, row in comp.iterrows():
        p = pred[name].to_numpy()
        assert row["rmse"] == pytest.approx(math.sqrt(np.mean((p - actual) ** 2)))
        assert row["mae"] == pytest.approx(np.mean(np.abs(p - actual)))
        assert row["aic"] == pytest.approx(2 * row["n_params"] - 2 * row["loglik"])
        assert row["bic"] == pytest.approx(row["n_params"] * math.log(2357) - 2 * row["loglik"])
        assert row["actual_total"] == 1882
    # published log-likelihoods (PUBLISHED.md): BG/NBD -9582.4, Pareto/NBD -9595.0
    assert comp.loc["bgnbd", "loglik"] == pytest.approx(-9582.43, abs=0.05)
    assert comp.loc["pareto-nbd", "loglik"] == pytest.approx(-9594.98, abs=0.05)
    doc = json.loads(json.dumps(cdnow_eval.to_dict()))
    assert doc["best"] == cdnow_eval.best and len(doc["cumulative"]) == 78


def test_daily_units_give_the_same_actuals_and_forecast(cdnow_tx, cdnow_eval):
    """Time unit is a presentation choice: holdout actuals and BG/NBD forecasts agree in days."""
    ev = evaluate(cdnow_tx, CAL, HOLD, models=["bgnbd"], time_unit="day")
    assert ev.by_frequency["actual"].tolist() == pytest.approx(cdnow_eval.by_frequency["actual"].tolist())
    assert ev.by_frequency["bgnbd"].tolist() == pytest.approx(
        cdnow_eval.by_frequency["bgnbd"].tolist(), rel=1e-4
    )
    assert len(ev.cumulative) == 546 and ev.cumulative["actual_cumulative"].iloc[-1] == 4339


# -- metrics on hand-checked numbers -----------------------------------------------------------
def test_holdout_metrics_hand_checked():
    pred = np.array([0.5, 3.0, 1.0, 0.0, 2.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7])
    act = np.array([1, 4, 0, 0, 2, 0, 0, 0, 0, 1, 0, 1, 0, 1, 2, 1, 1, 2, 1, 3])
    m = holdout_metrics(pred, act)
    assert m["mae"] == pytest.approx(np.abs(pred - act).mean())
    assert m["rmse"] == pytest.approx(np.sqrt(((pred - act) ** 2).mean()))
    assert m["correlation"] == pytest.approx(np.corrcoef(pred, act)[0, 1])
    # top 10% of 20 customers = the 2 highest predictions (3.0 -> 4, 2.0 -> 2) of 20 purchases
    assert m["top_decile_capture"] == pytest.approx(6 / 20)
    # ceil(10%) of 11 customers is 2
    m = holdout_metrics(np.arange(11.0), np.r_[np.zeros(9), 1.0, 3.0])
    assert m["top_decile_capture"] == pytest.approx(1.0)


def test_holdout_metrics_empty_is_a_clear_error():
    with pytest.raises(DataError):
        holdout_metrics(np.array([]), np.array([]))


def test_unknown_model_and_bad_dates_are_clear_errors(cdnow_tx):
    with pytest.raises(InputError, match="bgbb"):
        evaluate(cdnow_tx, CAL, HOLD, models=["bgbb"])
    with pytest.raises(InputError, match="not a date"):
        evaluate(cdnow_tx, "30/09/1997", HOLD)
    with pytest.raises(DataError, match="not after"):
        evaluate(cdnow_tx, HOLD, CAL, models=["bgnbd"])
    with pytest.raises(InputError, match="time unit"):
        evaluate(cdnow_tx, CAL, HOLD, time_unit="fortnight")


# -- the command -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from xuanba.cli import evaluate as cli_evaluate

    application = typer.Typer()
    cli_evaluate.register(application)

    @application.command("noop")
    def _noop() -> None:  # a second command keeps Typer from collapsing to a single command
        pass

    return application


def test_cli_evaluate_json_and_out(app, cdnow_workspace, tmp_path):
    out = tmp_path / "pred.csv"
    res = CliRunner().invoke(
        app,
        ["evaluate", "--calibration-end", CAL, "--holdout-end", HOLD, "--models", "bgnbd",
         "-w", str(cdnow_workspace), "--json", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["best"] == "bgnbd" and doc["customers"] == 2357
    assert [r["customers"] for r in doc["by_frequency"]] == FHL_CUSTOMERS
    assert doc["cumulative"][-1]["actual_cumulative"] == 4339
    written = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": str})
    assert len(written) == 2357 and written["frequency_holdout"].sum() == 1882


def test_cli_evaluate_prints_tables_and_best(app, cdnow_workspace):
    res = CliRunner().invoke(
        app, ["evaluate", "--calibration-end", CAL, "--holdout-end", HOLD, "--models", "bgnbd",
              "-w", str(cdnow_workspace)],
    )
    assert res.exit_code == 0, res.output
    assert "Best model: bgnbd" in res.output
    assert "6.359" in res.output and "4,339" in res.output


def test_cli_evaluate_user_mistakes_exit_cleanly(app, cdnow_workspace, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--calibration-end", "1997-13-01", "--holdout-end", HOLD,
                              "-w", str(cdnow_workspace)])
    assert res.exit_code == 2 and "not a date" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["evaluate", "--calibration-end", CAL, "--holdout-end", HOLD,
                              "--models", "sbg", "-w", str(cdnow_workspace)])
    assert res.exit_code == 2 and "cannot evaluate" in res.output
    res = runner.invoke(app, ["evaluate", "--calibration-end", CAL, "--holdout-end", HOLD,
                              "-w", str(tmp_path / "missing.duckdb")])
    assert res.exit_code == 5 and "not found" in res.output


def test_top_positions_are_the_stable_sort_s_first_k():
    """The top decile of a model check is the stable sort's first k (ties by position), found
    without sorting every prediction: on values with many ties, zeros of both signs, k at every
    size, and NaN."""
    from xuanba.models.evaluate import top_positions

    rng = np.random.default_rng(7)
    for n in (1, 2, 10, 257, 5000):
        for values in (rng.normal(size=n), rng.integers(0, 4, n).astype(float),
                       np.round(rng.gamma(0.5, 1.0, n), 1), np.where(rng.random(n) < 0.5, -0.0, 0.0)):
            for k in sorted({1, 2, n // 10 + 1, n // 2, max(n - 1, 1), n}):
                want = np.argsort(-values, kind="stable")[:k]
                np.testing.assert_array_equal(top_positions(values, k), want)
    with_nan = np.array([1.0, np.nan, 3.0, 3.0, 0.0])
    np.testing.assert_array_equal(top_positions(with_nan, 3), np.argsort(-with_nan, kind="stable")[:3])
