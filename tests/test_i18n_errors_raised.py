"""The errors a user meets past ingest and the standard's checks (the facts, the round and its
scoring, replay, backtest, fairness, what-if, exports, statements, plots, the models, account
commands, tables) read in the reader's language: each case makes a real mistake and reads the
error in Chinese (``err.render("zh")`` or the CLI with ``--lang zh``), its data values (ids, names,
dates, paths) as they are, and in English as before. Before i18n37 they were English whatever
``--lang`` said."""

from __future__ import annotations

import random
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.errors import Phrase, XuanbaError


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A workspace of 30 customers' 2025 purchases and one round of the starter standard."""
    from xuanba.standard import starter_standard

    folder = tmp_path_factory.mktemp("shop")
    rng = random.Random(1)
    rows = ["customer_id,ts,amount"]
    for c in range(30):
        for _ in range(rng.randint(1, 6)):
            rows.append(f"C{c},2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.randint(5, 300)}")
    (folder / "tx.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "s.toml").write_text(starter_standard("en"), encoding="utf-8")
    ws = folder / "w.duckdb"
    for args in (["ingest", str(folder / "tx.csv")], ["round", "--standard", str(folder / "s.toml"),
                                                       "--cutoff", "2025-12-31"]):
        res = CliRunner().invoke(app, [*args, "-w", str(ws)])
        assert res.exit_code == 0, res.output
    return folder


def _tx() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["A", "A", "B"], "amount": [10.0, 20.0, 5.0],
                         "ts": pd.to_datetime(["2025-03-01", "2025-05-01", "2025-04-01"])})


def _facts_before_first(shop):
    from xuanba.facts import customer_facts

    customer_facts(_tx(), "2025-01-31")


def _score_twice(shop):
    from xuanba.standard import load_standard
    from xuanba.standard.score import score_customers

    score_customers(pd.DataFrame({"customer_id": ["A", "A"], "revenue_365d": [1.0, 2.0]}),
                    load_standard(shop / "s.toml"))


def _engine_twice(shop):
    import ibis
    import pyarrow as pa

    from xuanba.standard import load_standard
    from xuanba.standard.engine import roster_expression

    table = ibis.duckdb.connect().create_table("t", pa.table({"customer_id": ["A", "A"], "revenue_365d": [1.0, 2.0]}))
    roster_expression(table, load_standard(shop / "s.toml"))


def _round_extra_twice(shop):
    from xuanba.rounds import run_round

    run_round(shop / "w.duckdb", shop / "s.toml", "2025-12-31",
              extra_fields=pd.DataFrame({"customer_id": ["C1", "C1"], "nps": [1, 2]}))


def _replay_backwards(shop):
    from xuanba.rounds.replay import replay_cutoffs

    replay_cutoffs("2025-06-30", "2025-01-31", "month")


def _backtest_baseline(shop):
    from xuanba.rounds.backtest import backtest

    backtest(shop / "w.duckdb", shop / "s.toml", "2025-03-31", "2025-09-30", baselines=["by_luck"])


def _fairness_field(shop):
    from xuanba.rounds.fairness import round_fairness

    round_fairness(shop / "w.duckdb", by=["大区"])


def _whatif_selection_only(shop):
    from xuanba.rounds.store import refuse_selection_only

    refuse_selection_only({"stored_customers": "selected", "engine": "spark", "n_selected": 1200,
                           "n_customers": 50000}, 4, Phrase("err_what_whatif"))


def _store_case(shop):
    from xuanba.rounds.store import _check_names

    _check_names(["customer_id", "NPS", "nps"])  # the extra fields a round is asked to store


def _export_first_diff(shop):
    from xuanba.outputs.exports import round_tables
    from xuanba.workspace import Workspace

    with Workspace(shop / "w.duckdb", read_only=True) as ws:
        round_tables(ws, "latest", ["diff"])


def _statement_unknown(shop):
    from xuanba.outputs.statements import build_statement
    from xuanba.rounds import load_round

    build_statement(load_round(shop / "w.duckdb", "latest"), "客户X")


def _plot_no_customer(shop):
    from xuanba.outputs.plots import customer_history

    customer_history(None, _tx(), "客户X")


def _evaluate_penalizer(shop):
    from xuanba.models.evaluate import evaluate

    evaluate(_tx(), "2025-04-15", "2025-06-30", penalizer=-1.0)


def _value_horizon(shop):
    from xuanba.models.value import customer_value

    customer_value(None, None, None, horizon_years=9)


def _predict_lacks(shop):
    from xuanba.models.predict import predict_customers

    predict_customers(pd.DataFrame({"customer_id": ["A"], "frequency": [1]}))


def _read_wps(shop):
    from xuanba.ingest.read import stage

    path = shop / "销售.et"
    path.write_bytes(b"x")
    stage(None, path, "t")


def _table_suffix(shop):
    from xuanba.tables import read_table

    path = shop / "名单.doc"
    path.write_bytes(b"x")
    read_table(path)


CASES = {  # module: (the mistake, what the Chinese says, what the English said before)
    "facts/compute": (_facts_before_first, ["截止日 2025-01-31 当天及之前没有交易：最早的一笔在 2025-03-01",
                                            "请选一个更晚的 --cutoff"], "no transaction on or before the cutoff"),
    "standard/score": (_score_twice, ["有客户在字段表里出现了不止一次", "请让每个 customer_id 只占一行"],
                       "a customer appears more than once in the fields"),
    "standard/engine": (_engine_twice, ["有客户在字段表里出现了不止一次", "先把额外字段按客户汇总"],
                        "a customer appears more than once in the fields"),
    "rounds/run": (_round_extra_twice, ["额外字段表里有客户占了不止一行", "请让每个 customer_id 只占一行"],
                   "the extra fields table has more than one row per customer"),
    "rounds/replay": (_replay_backwards, ["--to 2025-01-31 早于 --from 2025-06-30", "请让 --from 早于 --to"],
                      "--to 2025-01-31 is before --from 2025-06-30"),
    "rounds/backtest": (_backtest_baseline, ["未知的基准：by_luck", "可用的有："], "unknown baseline(s): by_luck"),
    "rounds/fairness": (_fairness_field, ["第 1 轮没有字段 大区", "请载入含这些列的客户表"], "round 1 has no field(s) 大区"),
    "rounds/whatif": (_whatif_selection_only, ["第 4 轮在 spark 上运行，50,000 位客户中只保存了入选的 1,200 位客户；"
                                               "假设分析需要每一位客户"],
                      "round 4 was run on spark and stored only its 1,200 selected customers of 50,000; a what-if"),
    "rounds/store": (_store_case, ["字段 “NPS” 和 “nps” 只有字母大小写不同", "保存的字段不区分大小写"],
                     "fields 'NPS' and 'nps' differ only in case"),
    "outputs/exports": (_export_first_diff, ["第 1 轮是第一轮：没有可导出的变化", "请给出 --against 轮次"],
                        "round 1 is the first one: there is no diff to export"),
    "outputs/statements": (_statement_unknown, ["有 1 位客户不在第 1 轮中", "请对照名单核对客户编号", "客户X"],
                           "1 customer(s) are not in round 1"),
    "outputs/plots": (_plot_no_customer, ["客户 “客户X” 没有交易记录", "请检查客户编号"],
                      "no transaction of customer '客户X'"),
    "models/evaluate": (_evaluate_penalizer, ["penalizer=-1.0 不是有效的惩罚系数", "请给出 0 或一个小的正数"],
                        "penalizer=-1.0 is not a penalty"),
    "models/value": (_value_horizon, ["horizon_years=9 不在 1 到 5 年之间", "客户价值最多预测 5 年"],
                     "horizon_years=9 is outside 1..5 years"),
    "models/predict": (_predict_lacks, ["客户事实中缺少 ['recency', 'T', 'monetary_value']", "找到的列：['customer_id', 'frequency']"],
                       "the facts lack ['recency', 'T', 'monetary_value']"),
    "ingest/read": (_read_wps, ["销售.et：不能读取 WPS .et 工作簿", "再导入另存的文件"], "WPS .et workbooks are not read"),
    "tables": (_table_suffix, ["名单.doc：无法把“.doc”文件读成表格", "请另存为 .csv"],
               "cannot read a '.doc' file as a table"),
}


@pytest.mark.parametrize("module", list(CASES))
def test_a_users_mistake_reads_in_chinese(shop, module):
    make, zh_words, en_words = CASES[module]
    with pytest.raises(XuanbaError) as caught:
        make(shop)
    err = caught.value
    zh, en = err.render("zh"), err.render("en")
    for words in zh_words:
        assert words in zh, zh
    assert en_words in en and en == str(err), en  # programs (and --json) read the English as before
    # no English sentence left around the data: the fix and the message both in Chinese
    assert "fix:" not in zh and "解决办法：" in zh
    assert not re.search(r"\b(the|is|not|has|no|Give|Use|Check|Run|Pass)\b", zh.split("DuckDB")[0]), zh


def test_the_command_line_says_them_in_its_language(shop):
    """Through the command line, as a user meets them: ``ingest --tz`` of no zone (ingest/load),
    ``accounts profit --bands`` of no numbers (cli/accounts), in Chinese and in English as before."""
    for lang in ("zh", "en"):
        _said_in(shop, lang)


def _said_in(shop, lang):
    runner = CliRunner()
    tz = runner.invoke(app, ["--lang", lang, "ingest", str(shop / "tx.csv"), "--tz", "Mars/Base",
                             "-w", str(shop / "other.duckdb")])
    bands = runner.invoke(app, ["--lang", lang, "accounts", "profit", "--bands", "一,十", "-w", str(shop / "w.duckdb")])
    assert tz.exit_code == bands.exit_code == 2, (tz.output, bands.output)
    said = {"zh": ("--tz “Mars/Base” 不是有效的时区名", "请给出 IANA 时区名", "--bands “一,十” 不是一串数字", "请写成例如 --bands 1,10"),
            "en": ("--tz 'Mars/Base' is not a time zone name", "Give an IANA name", "--bands '一,十' is not a list of numbers",
                   "Write e.g. --bands 1,10")}[lang]
    out = " ".join((tz.output + bands.output).split())  # a console line may wrap
    for words in said:
        assert words in out, out
    assert "Traceback" not in out
