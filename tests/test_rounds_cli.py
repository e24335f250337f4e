"""``xuanba round``, ``rounds`` and ``diff`` in-process (issue 4)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tests.test_rounds import make_transactions, predictions_for, store_tx
from xuanba.cli.rounds import register
from xuanba.standard import starter_standard
from xuanba.tables import read_table


@pytest.fixture()
def app() -> typer.Typer:
    local = typer.Typer()
    register(local)
    return local


@pytest.fixture()
def setup(tmp_path):
    tx = make_transactions()
    ws = tmp_path / "w.duckdb"
    store_tx(ws, tx)
    std = tmp_path / "s.toml"
    std.write_text(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"), encoding="utf-8")
    predictions_for(tx.customer_id).to_csv(tmp_path / "p1.csv", index=False)
    predictions_for(tx.customer_id, seed=2).to_csv(tmp_path / "p2.csv", index=False)
    return tmp_path, ws, std


runner = CliRunner()


def test_round_prints_a_summary_stores_and_writes_the_roster(app, setup):
    tmp, ws, std = setup
    out = tmp / "roster.xlsx"
    res = runner.invoke(app, ["round", "-s", str(std), "--cutoff", "2026-03-31", "--fields", str(tmp / "p1.csv"),
                              "-w", str(ws), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Round 1" in res.output and "Key accounts" in res.output and "Top 10" in res.output
    roster = read_table(out)  # the field names back from a workbook for people
    assert roster["rank"].tolist() == list(range(1, len(roster) + 1)) and roster["selected"].sum() <= 12
    res = runner.invoke(app, ["round", "-s", str(std), "--cutoff", "2026-06-30", "--fields", str(tmp / "p2.csv"),
                              "-w", str(ws), "--json", "--out", str(tmp / "r2.parquet")])
    payload = json.loads(res.stdout)
    assert res.exit_code == 0 and payload["round_id"] == 2 and payload["n_selected"] <= 12
    assert len(payload["standard_sha256"]) == 64 and payload["out"].endswith("r2.parquet")
    assert pd.read_parquet(tmp / "r2.parquet")["rank"].iloc[0] == 1


def test_rounds_lists_and_reopens_and_diff_compares(app, setup):
    tmp, ws, std = setup
    for cut, p in (("2026-03-31", "p1.csv"), ("2026-06-30", "p2.csv")):
        assert runner.invoke(app, ["round", "-s", str(std), "--cutoff", cut, "--fields", str(tmp / p),
                                   "-w", str(ws)]).exit_code == 0
    res = runner.invoke(app, ["rounds", "-w", str(ws), "--json"])
    assert [r["round_id"] for r in json.loads(res.stdout)] == [1, 2]
    res = runner.invoke(app, ["rounds", "-w", str(ws)])
    assert res.exit_code == 0 and "2026-03-31" in res.output
    res = runner.invoke(app, ["rounds", "1", "-w", str(ws), "--out", str(tmp / "r1.csv")])
    assert res.exit_code == 0 and "Round 1" in res.output
    assert len(pd.read_csv(tmp / "r1.csv", encoding="utf-8-sig")) == 58
    res = runner.invoke(app, ["diff", "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "Tier migration" in res.output and "rank correlation" in res.output
    res = runner.invoke(app, ["diff", "1", "2", "-w", str(ws), "--json", "--out", str(tmp / "d.csv")])
    d = json.loads(res.stdout)
    assert d["a"] == 1 and d["b"] == 2 and d["entered"] == d["left"]  # capacity is full both times
    assert sum(sum(v.values()) for v in d["migration"].values()) == d["customers_b"]
    assert set(pd.read_csv(tmp / "d.csv", encoding="utf-8-sig")["status"]) <= {"entered", "left", "rose", "fell", "same"}


def test_replay_from_the_command_line(app, setup):
    tmp, ws, std = setup
    extra = pd.read_csv(tmp / "p1.csv")
    extra.to_csv(tmp / "p.csv", index=False)
    res = runner.invoke(app, ["round", "-s", str(std), "--every", "quarter", "--from", "2025-10-01",
                              "--to", "2026-06-30", "--fields", str(tmp / "p.csv"), "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rounds"]
    assert [r["cutoff"] for r in rows] == ["2025-12-31", "2026-03-31", "2026-06-30"]


def test_user_mistakes_are_clean_errors(app, setup, tmp_path):
    tmp, ws, std = setup
    res = runner.invoke(app, ["round", "-s", str(std), "-w", str(ws)])
    assert res.exit_code == 2 and "--cutoff" in res.output
    res = runner.invoke(app, ["round", "-s", str(std), "--every", "quarter", "-w", str(ws)])
    assert res.exit_code == 2 and "--from" in res.output
    res = runner.invoke(app, ["round", "-s", str(std), "--cutoff", "30/06/2026", "-w", str(ws)])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    res = runner.invoke(app, ["rounds", "7", "-w", str(ws)])
    assert res.exit_code == 5 and "no rounds yet" in res.output
    res = runner.invoke(app, ["round", "-s", str(tmp / "none.toml"), "--cutoff", "2026-06-30", "-w", str(ws)])
    assert res.exit_code == 2 and "not found" in res.output
    res = runner.invoke(app, ["round", "-s", str(std), "--cutoff", "2026-06-30", "-w", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 5 and "workspace file not found" in res.output
    for r in (res,):
        assert "Traceback" not in r.output
