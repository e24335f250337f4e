"""The round report's section "how this standard has performed": a stored backtest of the very
standard the round used, rendered from what was stored (issue 15)."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.outputs.i18n import num, pct
from xuanba.outputs.report import write_report
from xuanba.rounds import run_round
from xuanba.rounds.backtest import backtest
from xuanba.rounds.store import list_backtests, load_backtest
from xuanba.workspace import SCHEMA_VERSION

# the customers who spent least last year: surely worse than last year's top spenders
SMALLEST = ('[standard]\nname = "small"\nversion = "1"\n'
            '[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 1\ndirection = "lower"\n'
            '[[tiers]]\nname = "A"\nquota = 50\n[[tiers]]\nname = "B"\nquota = 150\n')
REVENUE = SMALLEST.replace('name = "small"', 'name = "rev"').replace('direction = "lower"\n', "")


@pytest.fixture()
def cdnow(tmp_path, test_data):
    path = tmp_path / "cdnow.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
        run_round(ws, SMALLEST, "1997-12-31", check_model=False)
    return tmp_path, path


def _backtest(path, text, **kw):
    return backtest(path, text, "1997-03-01", "1997-06-30", baselines=("revenue", "random"), draws=20, **kw)


def test_a_stored_backtest_reads_back_exactly_and_only_for_its_standard(cdnow):
    _tmp, path = cdnow
    bt = _backtest(path, SMALLEST, store=True)
    assert bt.backtest_id == 1
    back = load_backtest(path, standard_sha256=bt.standard.sha256)
    assert back.cutoffs.equals(bt.cutoffs) and back.overall.equals(bt.overall)
    assert back.judgements.equals(bt.judgements) and back.verdicts == bt.verdicts
    assert back.judgements.loc["revenue", "verdict"] == "worse"
    assert load_backtest(path, standard_sha256="0" * 64) is None
    assert list_backtests(path)["standard_name"].tolist() == ["small"]
    assert _backtest(path, SMALLEST).backtest_id is None  # not stored unless asked
    assert len(list_backtests(path)) == 1


def test_the_report_shows_the_stored_figures_and_says_worse_plainly_in_both_languages(cdnow):
    tmp, path = cdnow
    _backtest(path, REVENUE, store=True)  # another standard: never shown for this round
    bt = _backtest(path, SMALLEST, store=True)
    stored = load_backtest(path, standard_sha256=bt.standard.sha256)
    html = write_report(path, "latest", tmp / "en.html", lang="en").read_text("utf-8")
    assert 'id="backtest"' in html and "How this standard has performed" in html
    assert f"Backtest {stored.backtest_id} (" in html
    assert '<p class="reading warn">WORSE than last-year revenue top-N' in html
    for method, row in stored.overall.iterrows():  # the table: exactly the stored overall figures
        label = {"standard": "the standard", "revenue": "last-year revenue top-N", "random": "random selection"}
        cells = [label[method], pct(100 * row["revenue_captured"]), num(row["lift"], 2)]
        assert all(f">{c}</td>" in html for c in cells), (method, cells)
    assert stored.backtest_id == 2  # the latest of this standard, not backtest 1 of another
    assert 'id="fig-backtest"' in html
    zh = write_report(path, "latest", tmp / "zh.html", lang="zh").read_text("utf-8")
    assert "本标准的历史表现" in zh and '<p class="reading warn">不如近一年收入前 N 名' in zh


def test_without_a_backtest_of_its_standard_the_report_says_how_to_make_one(cdnow):
    tmp, path = cdnow
    html = write_report(path, "latest", tmp / "none.html").read_text("utf-8")
    assert "No backtest of this standard is stored" in html and "--store" in html
    assert 'id="fig-backtest"' not in html
    _backtest(path, REVENUE, store=True)  # a backtest of another standard changes nothing
    html = write_report(path, "latest", tmp / "other.html").read_text("utf-8")
    assert "No backtest of this standard is stored" in html and 'id="fig-backtest"' not in html


def test_backtest_store_on_the_command_line(cdnow):
    from xuanba.cli import app

    tmp, path = cdnow
    std = tmp / "small.toml"
    std.write_text(SMALLEST, encoding="utf-8")
    args = ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30", "--baseline", "revenue",
            "--draws", "5", "-w", str(path)]
    res = CliRunner().invoke(app, [*args, "--store", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["stored"] == 1
    res = CliRunner().invoke(app, [*args, "--store"])
    assert res.exit_code == 0 and "Stored as backtest 2" in res.output
    assert json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)["stored"] is None
    assert list_backtests(path)["backtest_id"].tolist() == [1, 2]


def test_a_version_1_workspace_gains_the_backtest_tables_on_upgrade(tmp_path):
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE xuanba_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO xuanba_meta VALUES ('schema_version', '1'), ('xuanba_version', '0.1')")
    con.close()
    assert load_backtest(path) is None  # read-only: opens unchanged, and there is none
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION and ws.has_table("backtests") and ws.has_table("backtest_overall")
