"""The names of a round's extra fields (``--fields``, ``extra_fields=``) are checked once, before
any work, the same on the workspace path and on an engine: a column equal to a built-in field
but for case, or named ``round_id``, is refused with the file, the column and the fix (never a
DuckDB traceback, never a late error at storing); full-width names meet the rule that reads them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.errors import DataError
from xuanba.rounds import list_rounds, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import read_fields_file


def _standard(rule: str) -> str:
    return ('[standard]\nname = "x"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 1\n'
            f'[[gates]]\nname = "g"\nexpr = "{rule}"\n')


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("names")
    tx = simulated_transactions(60, seed=3)
    source = tmp / "tx.parquet"
    tx.to_parquet(source, index=False)
    return tmp, tx, source, _workspace(tmp, tx)


@pytest.mark.parametrize(("column", "builtin"), [("t", "T"), ("Revenue_365d", "revenue_365d"),
                                                  ("round_id", None), ("ROUND_ID", None)])
def test_a_column_named_like_a_builtin_but_for_case_is_refused_before_any_work_on_both_paths(data, column, builtin):
    tmp, tx, source, path = data
    ids = sorted(tx["customer_id"].unique())
    fields = tmp / f"f_{column}.csv"
    pd.DataFrame({"customer_id": ids, column: np.arange(len(ids)) % 4}).to_csv(fields, index=False)
    (tmp / "s.toml").write_text(_standard(f"{column} >= 2" if builtin else "frequency >= 0"), "utf-8")
    base = ["round", "--standard", str(tmp / "s.toml"), "--cutoff", "2025-12-31", "--fields", str(fields)]
    engine = ["--engine", "duckdb", "--source", str(source), "--workspace", str(tmp / "e.duckdb")]
    said = []
    for where in (["--workspace", str(path)], engine):
        for lang in ("en", "zh"):
            res = CliRunner().invoke(app, [*base, *where, "--lang", lang])
            assert res.exit_code == 3, res.output
            assert "Traceback" not in res.output and "Catalog" not in res.output, res.output
            assert repr(column) in res.output and str(fields) in res.output, res.output
            if builtin:
                assert repr(builtin) in res.output, res.output
            said.append(res.output)
        res = CliRunner().invoke(app, [*base, *where, "--json"])
        assert res.exit_code == 3, res.output
        err = json.loads(res.output)  # strict JSON, nothing around it
        assert err["error"] == "DataError" and err["column"] == column and err["file"] == str(fields), err
    assert said[0] == said[2] and said[1] == said[3]  # one check, said the same on both paths
    assert "改名" in said[1] and "Rename" not in said[1]
    assert list_rounds(path).empty  # refused before fitting or storing anything
    with pytest.raises(DataError, match="stored rounds use" if builtin is None else "only in case"):
        run_round(path, _standard("frequency >= 0"), "2025-12-31",
                  extra_fields=pd.DataFrame({"customer_id": ids, column: 1.0}), check_model=False)


def test_a_full_width_column_meets_the_rule_that_reads_it_on_both_paths(data):
    tmp, tx, _, path = data
    ids = sorted(tx["customer_id"].unique())
    frame = pd.DataFrame({"customer_id": ids, "得分２０２５": np.arange(len(ids)) % 4})
    frame.to_csv(tmp / "wide.csv", index=False)
    extra = read_fields_file(tmp / "wide.csv")
    assert list(extra.columns) == ["customer_id", "得分2025"]
    std = _standard("得分２０２５ >= 2")  # Python reads the rule's name as 得分2025
    failing = set(frame.loc[frame["得分２０２５"] < 2, "customer_id"].astype(str))
    ws = run_round(path, std, "2025-12-31", extra_fields=frame, store=False, check_model=False)
    run_round_on_engine(tx, std, "2025-12-31", extra_fields=frame, roster_out=tmp / "wide_out")
    for roster in (ws.roster, pd.read_parquet(tmp / "wide_out" / "roster.parquet")):
        failed = set(roster.loc[roster["gates_failed"].fillna("") != "", "customer_id"].astype(str))
        assert failed == failing and failing


def test_two_columns_that_are_one_name_after_nfkc_or_case_are_refused(data):
    tmp, tx, _, path = data
    ids = sorted(tx["customer_id"].unique())
    for a, b in (("ｎｐｓ", "nps"), ("Nps", "nps")):
        frame = pd.DataFrame({"customer_id": ids, a: 1.0, b: 2.0})
        for run in (lambda f=frame: run_round(path, _standard("nps > 0"), "2025-12-31", extra_fields=f,
                                              store=False, check_model=False),
                    lambda f=frame: run_round_on_engine(tx, _standard("nps > 0"), "2025-12-31", extra_fields=f,
                                                        roster_out=tmp / "out2")):
            with pytest.raises(DataError, match="are one name"):
                run()


def test_a_prediction_the_predictions_table_lacks_is_said_as_such(data):
    _, tx, _, path = data
    preds = pd.DataFrame({"customer_id": sorted(tx["customer_id"].unique()), "clv_1y": 1.0})
    with pytest.raises(DataError) as err:
        run_round(path, _standard("p_alive > 0.1"), "2025-12-31", predictions=preds, store=False, check_model=False)
    en, zh = err.value.render("en"), err.value.render("zh")
    assert "p_alive (prediction: the predictions table lacks it" in en and "extra field" not in en, en
    assert "预测表中没有" in zh and "--fields" not in zh, zh


def _backtest(path, rule: str, frame: pd.DataFrame):
    from xuanba.rounds.backtest import backtest

    std = _standard(rule) + '[[tiers]]\nname = "A"\nquota = 12\n'
    return backtest(path, std, "2025-03-01", "2025-09-30", horizon="90d", extra_fields=frame,
                    baselines=("revenue",), draws=0)


def test_a_backtest_reads_a_full_width_column_as_the_round_does(data):
    """The backtest's extra fields pass the round's check before any name is used: a full-width
    column meets the rule that reads it, and selects what the half-width column selects."""
    _, tx, _, path = data
    ids = sorted(tx["customer_id"].astype(str).unique())
    score = np.arange(len(ids)) % 4
    low = {i for i, s in zip(ids, score, strict=True) if s < 2}
    wide = _backtest(path, "得分２０２５ >= 2", pd.DataFrame({"customer_id": ids, "得分２０２５": score}))
    narrow = _backtest(path, "得分2025 >= 2", pd.DataFrame({"customer_id": ids, "得分2025": score}))
    assert wide.selections == narrow.selections and len(wide.selections) == 3
    assert all(sel and not set(sel) & low for sel in wide.selections.values())  # the gate held
    pd.testing.assert_frame_equal(wide.cutoffs, narrow.cutoffs)


@pytest.mark.parametrize(("columns", "needle"), [(("t",), "only in case"), (("ｎｐｓ", "nps"), "are one name"),
                                                  (("Nps", "nps"), "are one name")])
def test_a_backtest_refuses_a_clash_with_the_rounds_words(data, columns, needle):
    tmp, tx, _, path = data
    ids = sorted(tx["customer_id"].astype(str).unique())
    frame = pd.DataFrame({"customer_id": ids, **{c: 1.0 for c in columns}})
    rule = "frequency >= 0"
    with pytest.raises(DataError, match=needle) as by_round:
        run_round(path, _standard(rule), "2025-12-31", extra_fields=frame, store=False, check_model=False)
    with pytest.raises(DataError, match=needle) as by_backtest:
        _backtest(path, rule, frame)
    for lang in ("en", "zh"):
        assert by_backtest.value.render(lang) == by_round.value.render(lang)
    assert by_backtest.value.column == columns[-1]  # the one that clashes with what came before
    # on the command line: the file, the column and the fix, in both languages; --json strict
    fields = tmp / f"clash_{len(columns)}_{columns[0]}.csv"
    frame.to_csv(fields, index=False)
    (tmp / "bt.toml").write_text(_standard(rule), "utf-8")
    base = ["--fields", str(fields), "--workspace", str(path)]
    for lang in ("en", "zh"):
        said = []
        for cmd in (["round", "--standard", str(tmp / "bt.toml"), "--cutoff", "2025-12-31"],
                    ["backtest", str(tmp / "bt.toml"), "--from", "2025-03-01", "--to", "2025-09-30"]):
            res = CliRunner().invoke(app, [*cmd, *base, "--lang", lang])
            assert res.exit_code == 3 and "Traceback" not in res.output, res.output
            assert str(fields) in res.output and repr(frame.columns[-1]) in res.output, res.output
            said.append(res.output)
        assert said[0] == said[1]
    res = CliRunner().invoke(app, ["backtest", str(tmp / "bt.toml"), "--from", "2025-03-01", "--to", "2025-09-30",
                                   *base, "--json"])
    err = json.loads(res.output)
    assert res.exit_code == 3 and err["error"] == "DataError" and err["file"] == str(fields), err
    assert err["column"] == str(frame.columns[-1]) and err["fix"], err


def _two_criteria(rule: str) -> str:
    return (_standard(rule).replace("weight = 1\n", "weight = 0.5\n", 1)
            + '[[criteria]]\nname = "o"\nfield = "orders"\nweight = 0.5\n[[tiers]]\nname = "A"\nquota = 12\n')


@pytest.mark.parametrize("what", ["replay", "replay_on_engine", "tune", "whatif"])
def test_replay_tune_and_whatif_read_a_full_width_column_as_the_round_does(data, tmp_path, what, request):
    """Every path that takes extra fields checks their names before any is used: a full-width
    column meets the rule that reads it (before, the standard was refused as reading an unknown
    field) and gives what the half-width column gives."""
    if what == "tune":  # names are the subject, not the engine: the tune's many selections by the reference
        request.getfixturevalue("pandas_reference")
    from xuanba.rounds import replay_rounds, replay_rounds_on_engine
    from xuanba.rounds.tune import tune
    from xuanba.rounds.whatif import whatif

    _, tx, _, path = data
    ids = sorted(tx["customer_id"].astype(str).unique())
    score = np.arange(len(ids)) % 4
    got = []
    for name in ("得分２０２５", "得分2025"):
        frame = pd.DataFrame({"customer_id": ids, name: score})
        std = _two_criteria(f"{name} >= 2")
        if what == "replay":
            r = replay_rounds(path, std, "2025-09-01", "2025-12-31", extra_fields=frame, store=False)
            got.append([x.roster for x in r.rounds])
        elif what == "replay_on_engine":
            r = replay_rounds_on_engine(tx, std, "2025-09-01", "2025-12-31", extra_fields=frame,
                                        roster_out=tmp_path / name)
            got.append([x.roster for x in r.rounds])
        elif what == "tune":
            t = tune(path, std, "2024-06-01", "2025-06-30", horizon="90d", extra_fields=frame)
            got.append([t.weights, t.cutoffs])
        else:
            ws = _workspace(tmp_path, tx, f"w{len(got)}.duckdb")
            run_round(ws, _two_criteria("frequency >= 0"), "2025-12-31", check_model=False)
            w = whatif(ws, std, extra_fields=frame)
            got.append([w.scored.roster, w.tiers])
    for a, b in zip(*got, strict=True):
        pd.testing.assert_frame_equal(a, b)
    first = got[0][0]
    if "selected" in first.columns:  # the gate held: nobody under 2 selected
        chosen = set(first.loc[first["selected"], "customer_id"].astype(str))
        assert chosen and not chosen & {i for i, s in zip(ids, score, strict=True) if s < 2}
