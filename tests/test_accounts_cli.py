"""The account commands, run in-process on a local Typer app (issue 6)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from xuanba.cli.accounts import register
from xuanba.tables import read_table


@pytest.fixture()
def app() -> typer.Typer:
    local = typer.Typer()
    register(local)

    @local.command("noop")
    def noop() -> None:  # a second command keeps Typer from collapsing the app to one command
        """Nothing."""

    return local


@pytest.fixture()
def files(tmp_path):
    tx = pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E"],
        "ts": ["2026-01-01", "2026-01-05", "2026-02-01", "2025-06-01", "2026-03-01"],
        "amount": [50.0, 30.0, 20.0, 10.0, 10.0],
        "cost": [0.0, 0.0, 0.0, 30.0, 40.0],
        "due_on": ["2026-01-31", "2026-02-04", "2026-03-03", "2025-07-01", "2026-03-31"],
        "paid_on": ["2026-01-20", None, "2026-03-10", None, None],
    })
    tx.to_csv(tmp_path / "tx.csv", index=False)
    pd.DataFrame({"资源编号": ["R1", "R2"], "名称": ["直播套餐", "海报"], "渠道": ["抖音", "线下"],
                  "价格": [800, 100], "单位": ["场", "套"], "标签": ["直播", "海报"],
                  "案例": ["茶饮品牌", ""], "效果": ["ROI 3.1", ""]}).to_csv(
        tmp_path / "res.csv", index=False, encoding="gbk")
    pd.DataFrame({"客户编号": ["A"], "需求": ["直播"], "预算": [1000]}).to_csv(
        tmp_path / "needs.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame({"customer_id": ["A", "A"], "made_on": ["2026-01-01"] * 2,
                  "due_on": ["2026-01-10", "2026-02-01"], "kept_on": ["2026-01-09", None],
                  "rep": ["王芳", "王芳"]}).to_csv(tmp_path / "cm.csv", index=False)
    return tmp_path


def test_profit_command_json_reports_whale_peak(app, files):
    res = CliRunner().invoke(app, ["accounts", "profit", "-t", str(files / "tx.csv"), "--bands", "20",
                                   "--json", "--out", str(files / "p.parquet")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # profits 50, 30, 20, -20, -30 -> total 50, peak after 3 of 5 customers at 200 %
    assert out["whale_peak"]["customers"] == 3
    assert out["whale_peak"]["profit_pct"] == pytest.approx(200.0)
    assert pd.read_parquet(files / "p.parquet")["profit"].sum() == pytest.approx(50.0)


def test_promises_and_receivables_commands(app, files):
    r = CliRunner().invoke(app, ["accounts", "promises", "--commitments", str(files / "cm.csv"),
                                 "--as-of", "2026-03-01", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["states"]["kept_on_time"] == 1 and out["states"]["overdue"] == 1
    assert out["reliability"][0]["reliability"] == 0.5
    r = CliRunner().invoke(app, ["accounts", "receivables", "-t", str(files / "tx.csv"),
                                 "--as-of", "2026-03-15", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    # open: B 30 (39 days late), D 10 (257 days late), E 10 (not due); C paid 2026-03-10
    assert out["total"]["open_balance"] == 50.0
    assert out["ageing_total"]["90+"] == 10.0 and out["ageing_total"]["31-60"] == 30.0


def test_sheet_command_writes_html(app, files):
    out = files / "sheet.html"
    r = CliRunner().invoke(app, ["sheet", "A", "--resources", str(files / "res.csv"),
                                 "--needs", str(files / "needs.csv"), "--lang", "en", "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "直播套餐" in html and "ROI 3.1" in html and "海报" not in html


def test_missing_column_is_a_clean_error(app, files):
    pd.DataFrame({"customer_id": ["A"], "amount": [1.0]}).to_csv(files / "bad.csv", index=False)
    r = CliRunner().invoke(app, ["accounts", "profit", "-t", str(files / "bad.csv")])
    assert r.exit_code == 2
    assert "no column 'ts'" in r.output and "Traceback" not in r.output


def test_owners_keep_warm_personas_fields_commands(app, files):
    pd.DataFrame({"customer_id": list("ABCDE"), "owner": ["X", "X", "Y", "Y", "Z"],
                  "segment": ["s1", "s1", "s2", "s2", "s2"]}).to_csv(files / "cu.csv", index=False)
    pd.DataFrame({"customer_id": ["A", "B"]}).to_csv(files / "sel.csv", index=False)
    run = CliRunner().invoke
    r = run(app, ["accounts", "owners", "--customers", str(files / "cu.csv"), "-t", str(files / "tx.csv"),
                  "--selected", str(files / "sel.csv"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["hhi"] == 1.0  # both selected accounts belong to X
    r = run(app, ["accounts", "keep-warm", "-t", str(files / "tx.csv"), "--as-of", "2026-08-20", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ranked by"].startswith("historical revenue (the models could not be fitted")
    # E bought 172 days before, inside the 180-day window; the rest rank by revenue
    assert [row["customer_id"] for row in out["table"]] == ["A", "B", "C", "D"]
    r = run(app, ["accounts", "personas", "-t", str(files / "tx.csv"), "--customers", str(files / "cu.csv"), "--json"])
    assert r.exit_code == 0, r.output
    assert {row["segment"]: row["customers"] for row in json.loads(r.stdout)["table"]} == {"s1": 2, "s2": 3}
    r = run(app, ["accounts", "fields", "-t", str(files / "tx.csv"), "--as-of", "2026-03-15",
                  "--out", str(files / "f.xlsx")])
    assert r.exit_code == 0, r.output
    f = read_table(files / "f.xlsx").set_index("customer_id")
    assert f.loc["A", "payment_punctuality"] == 1.0 and f.loc["B", "overdue_receivables"] == 30.0
