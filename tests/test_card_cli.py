"""``xuanba backtest`` and ``xuanba whatif`` in-process."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.cli.card import register

runner = CliRunner()

REVENUE_ONLY = ('[standard]\nname = "rev"\nversion = "1"\n'
                '[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 1\n'
                '[[tiers]]\nname = "A"\nquota = 50\n[[tiers]]\nname = "B"\nquota = 150\n')


@pytest.fixture()
def app() -> typer.Typer:
    local = typer.Typer()

    @local.callback()
    def _group() -> None:  # keep the command names even while one is registered
        """xuanba"""

    register(local)
    return local


@pytest.fixture()
def cdnow(tmp_path, test_data):
    path = tmp_path / "cdnow.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
    std = tmp_path / "rev.toml"
    std.write_text(REVENUE_ONLY, encoding="utf-8")
    return tmp_path, path, std


def test_backtest_of_a_revenue_only_standard_ties_with_the_revenue_baseline(app, cdnow):
    tmp, ws, std = cdnow
    out = tmp / "bt.csv"
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--baseline", "revenue", "--baseline", "random", "--draws", "20",
                              "--out", str(out), "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    overall = {r["method"]: r for r in payload["overall"]}
    # the same ranking (last-year revenue, ties by id) under the same capacity: the same figures
    assert overall["standard"]["revenue_captured"] == overall["revenue"]["revenue_captured"]
    assert overall["standard"]["precision"] == overall["revenue"]["precision"]
    assert overall["standard"]["revenue_captured"] > overall["random"]["revenue_captured_hi"]
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert sorted(written["method"].unique()) == ["random", "revenue", "standard"]
    assert len(written) == 6  # two cutoffs × three methods


def test_backtest_prints_tables_and_verdicts(app, cdnow):
    _tmp, ws, std = cdnow
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-03-31",
                              "--baseline", "random", "--draws", "20", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "Backtest of rev v1" in res.output and "Better than random selection" in res.output


def test_backtest_rejects_a_bad_horizon_cleanly(app, cdnow):
    _tmp, ws, std = cdnow
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--horizon", "soon", "-w", str(ws)])
    assert res.exit_code != 0 and "--horizon" in res.output and "Traceback" not in res.output
