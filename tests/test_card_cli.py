"""``xuanba backtest`` and ``xuanba whatif`` in-process."""

from __future__ import annotations

import json
from pathlib import Path

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
    chart = _tmp / "chart.html"
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--baseline", "random", "--draws", "20", "--chart", str(chart), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "Backtest of rev v1" in res.output and "Better than random selection" in res.output
    html = chart.read_text("utf-8")
    assert "<script" in html and "<script src=" not in html  # the plotting code inside: works offline
    assert html.count('"name":"the standard"') == 1 and '"name":"random: 90% band"' in html


def test_backtest_rejects_a_bad_horizon_cleanly(app, cdnow):
    _tmp, ws, std = cdnow
    res = runner.invoke(app, ["backtest", str(std), "--from", "1997-03-01", "--to", "1997-06-30",
                              "--horizon", "soon", "-w", str(ws)])
    assert res.exit_code != 0 and "--horizon" in res.output and "Traceback" not in res.output


def test_whatif_prints_the_counts_and_the_movers_of_a_changed_standard(app, cdnow):
    from xuanba.rounds import run_round
    from xuanba.rounds.whatif import whatif

    tmp, ws, std = cdnow
    run_round(ws, REVENUE_ONLY, "1997-09-30", check_model=False)
    orders = tmp / "orders.toml"
    orders.write_text(REVENUE_ONLY.replace('field = "revenue_365d"', 'field = "orders"').replace(
        'name = "revenue"', 'name = "orders"').replace('version = "1"', 'version = "2"'), encoding="utf-8")
    res = runner.invoke(app, ["whatif", str(orders), "--against", "latest", "--show", "3", "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    lib = whatif(ws, orders, movers=3)
    assert {k: payload[k] for k in ("entered", "left", "rose", "fell")} == \
        {k: lib.summary[k] for k in ("entered", "left", "rose", "fell")}
    assert payload["entered"] > 0 and len(payload["movers"]) == 3
    out = tmp / "would-be.csv"
    res = runner.invoke(app, ["whatif", str(orders), "-w", str(ws), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "entered" in res.output and "orders +" in res.output and "revenue -" in res.output
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == payload["customers"]


def test_whatif_without_a_round_says_so(app, cdnow):
    _tmp, ws, std = cdnow
    res = runner.invoke(app, ["whatif", str(std), "-w", str(ws)])
    assert res.exit_code != 0 and "no rounds" in res.output and "Traceback" not in res.output


def test_standard_tune_writes_a_valid_standard_that_says_what_changed(cdnow, pandas_reference):
    from xuanba.cli import app as full_app
    from xuanba.standard import load_standard

    tmp, ws, _std = cdnow
    std = tmp / "two.toml"
    std.write_text(REVENUE_ONLY.replace("weight = 1", "weight = 0.5") + '[[criteria]]\nname = "orders"\n'
                   'field = "orders"\nweight = 0.5\n', encoding="utf-8")
    out = tmp / "tuned.toml"
    res = runner.invoke(full_app, ["standard", "tune", str(std), "--from", "1997-01-01", "--to", "1998-03-31",
                                   "--horizon", "90d", "--max-change", "0.2", "--out", str(out), "-w", str(ws),
                                   "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert [r["role"] for r in payload["cutoffs"]] == ["training"] * 4 + ["held out"]
    tuned = load_standard(out)
    assert tuned.version == "2" and out.read_text("utf-8").startswith("# Tuned from rev v1")
    assert [c.name for c in tuned.criteria] == ["revenue", "orders"]
    for w in payload["weights"]:  # within the limit, and what was written
        assert abs(w["after"] - w["before"]) <= 0.2 + 1e-9
        assert tuned.weight_shares[w["criterion"]] == pytest.approx(w["after"], abs=0.005)
    train = [r for r in payload["cutoffs"] if r["role"] == "training"]
    assert sum(r["after"] for r in train) >= sum(r["before"] for r in train) - 1e-12


def test_fairness_prints_selection_by_region(app, cdnow):
    from xuanba.rounds import run_round

    _tmp, ws, _std = cdnow
    with Workspace(ws) as w:
        ids = w.sql("SELECT DISTINCT customer_id FROM transactions ORDER BY 1")["customer_id"].astype(str)
        store(w, "customers", pd.DataFrame({"customer_id": ids, "region": ["east", "west"] * (len(ids) // 2)
                                            + ["east"] * (len(ids) % 2)}))
    run_round(ws, REVENUE_ONLY, "1997-09-30", check_model=False)
    res = runner.invoke(app, ["fairness", "latest", "--by", "region", "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["group"]: r for r in json.loads(res.output)["rows"]}
    assert set(rows) == {"east", "west"}
    assert rows["east"]["selected"] + rows["west"]["selected"] == 200
    res = runner.invoke(app, ["fairness", "--by", "owner", "-w", str(ws)])
    assert res.exit_code != 0 and "owner" in res.output and "Traceback" not in res.output


@pytest.fixture()
def tuned_once(monkeypatch):
    """``xuanba.rounds.tune.tune`` (which ``standard tune`` imports when it runs) tuning once per
    set of arguments: a later call with the same workspace, standard text, dates and options
    (everything but the progress callback) gets the first call's result, so the command's text
    and ``--json`` outputs of one tune cost one search (test_standard_tune_bars_…: two of 19 s).
    A call with other arguments tunes. ``tuned_once.runs`` counts the searches made."""
    from xuanba.rounds import tune as tune_module

    real, done = tune_module.tune, {}

    def once(workspace, standard, start, end, **kw):
        text = Path(standard).read_text("utf-8") if isinstance(standard, (str, Path)) else repr(standard)
        assert kw.get("extra_fields") is None and kw.get("predictions") is None  # not part of the key
        key = (str(workspace), text, str(start), str(end),
               tuple(sorted((k, repr(v)) for k, v in kw.items() if k != "progress")))
        if key not in done:
            once.runs += 1
            done[key] = real(workspace, standard, start, end, **kw)
        return done[key]

    once.runs = 0
    monkeypatch.setattr(tune_module, "tune", once)
    return once


def test_standard_tune_bars_prints_and_writes_the_moved_bars(cdnow, pandas_reference, tuned_once):
    from xuanba.cli import app as full_app
    from xuanba.standard import load_standard

    tmp, ws, _std = cdnow
    std = tmp / "barred.toml"
    # the top bar leaves the bars room to rise by the whole --max-bar-change and keep their spacing
    std.write_text(REVENUE_ONLY.replace('quota = 50\n', 'min_score = 60\n').replace('quota = 150\n', 'min_score = 5\n')
                   .replace('weight = 1\n', 'weight = 0.5\n')
                   + '[[criteria]]\nname = "orders"\nfield = "orders"\nweight = 0.5\n', encoding="utf-8")
    out = tmp / "tuned.toml"
    args = ["standard", "tune", str(std), "--from", "1997-01-01", "--to", "1998-03-31", "--horizon", "90d",
            "--bars", "--max-bar-change", "30", "-w", str(ws)]
    res = runner.invoke(full_app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Tier bars of rev" in res.output and "beyond its share of customers" in res.output
    tuned = load_standard(out)
    payload = json.loads(runner.invoke(full_app, [*args, "--json"]).output)
    assert [t.min_score for t in tuned.tiers] == [b["after"] for b in payload["bars"]]
    # an entry bar of 5 lets in nearly all of CDNOW's one-off buyers: it rises, and fewer are selected
    assert payload["bars"][1]["after"] > 5
    assert payload["held_out"]["share_after"] < payload["held_out"]["share_before"]
    assert tuned_once.runs == 1  # the text and the --json outputs of one search
    bad = runner.invoke(full_app, [*args[:-2], "--max-bar-change", "0", "-w", str(ws)])
    assert bad.exit_code != 0 and "max-bar-change" in bad.output and "Traceback" not in bad.output
