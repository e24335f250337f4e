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


# -- i18n38: the modules converted in session 38, each by a mistake a user makes there -----------------


def _horizon_words(shop):
    from xuanba._dates import parse_horizon

    parse_horizon("一年")


def _side_map_missing(shop):
    from xuanba.ingest.sidetables import read_side_table

    read_side_table("customers", pd.DataFrame({"会员号": ["A"], "名称": ["甲"]}), mapping={"customer_id": "客户编号"})


def _scorer_unknown(shop):
    from xuanba.standard.apply import scorer

    scorer("excel")


def _tie_break_date(shop):
    from xuanba.standard import load_standard
    from xuanba.standard.score import score_customers

    text = (shop / "s.toml").read_text(encoding="utf-8").replace(
        'order = ["clv_3y desc", "revenue_365d desc"]', 'order = ["签约日 desc"]')
    path = shop / "tie.toml"
    path.write_text(text, encoding="utf-8")
    fields = pd.DataFrame({"customer_id": ["A", "B"], "revenue_365d": [1.0, 2.0], "margin_365d": [1.0, 1.0],
                           "clv_3y": [1.0, 2.0], "p_alive": [0.9, 0.9],
                           "签约日": pd.to_datetime(["2025-01-01", "2025-02-01"])})
    score_customers(fields, load_standard(path, any_extra=True))


def _starter_exists(shop):
    from xuanba.standard.starter import write_starter

    write_starter(shop / "s.toml")


def _interactions_no_ts(shop):
    from xuanba.accounts._util import need

    need(pd.DataFrame({"customer_id": ["A"], "日期": ["2025-01-01"]}), ["customer_id", "ts"], "interactions")


def _whale_negative(shop):
    from xuanba.accounts.profit import whale_shape

    whale_shape([-5.0, 1.0])


def _no_payment_dates(shop):
    from xuanba.accounts.receivables import ageing

    ageing(_tx(), "2025-12-31")


def _no_needs(shop):
    from xuanba.accounts.resources import match_resources

    match_resources(pd.DataFrame({"resource_id": ["R1"], "name": ["培训"], "tags": ["培训"]}),
                    pd.DataFrame({"customer_id": ["A"], "tag": ["培训"]}), customer_id="客户乙")


def _tx_file_bad_date(shop):
    from xuanba.accounts.stored import transactions_from_file

    path = shop / "流水.csv"
    path.write_text("customer_id,ts,amount\nA,2025-01-01,1\nB,下周,2\n", encoding="utf-8")
    transactions_from_file(path)


def _view_unknown(shop):
    from xuanba.accounts.view import account_view

    account_view("客户乙", _tx())


def _disk_full(shop):
    import errno

    from xuanba.cli._common import _output_fault

    raise _output_fault(OSError(errno.ENOSPC, "No space left on device", "名单.xlsx"))


def _demo_step(shop):
    from xuanba.demo.pipeline import run_demo

    run_demo(shop / "demo", steps=["ingest", "飞行"])


def _no_facts(shop):
    from xuanba.facts.stored import stored_facts

    stored_facts(shop / "w.duckdb")


def _long_cell(shop):
    from xuanba._xlsx import write_sheets

    write_sheets([("名单", pd.DataFrame({"备注": ["长" * 40000]}))], shop / "long.xlsx")


def _extra_side_id(shop):
    import ibis
    import pyarrow as pa

    from xuanba.rounds.engine_extras import extra_columns

    table = ibis.duckdb.connect().create_table("t", pa.table({"customer_id": ["A"]}))
    extra_columns(table, pd.DataFrame({"customer_id": ["A"], "_side_id": [1]}))


def _report_of_no_customers(shop):
    import dataclasses

    from xuanba.outputs.report import build_report
    from xuanba.rounds import load_round

    rnd = load_round(shop / "w.duckdb", "latest")  # a program's Round whose rows were all filtered away
    build_report(dataclasses.replace(rnd, roster=rnd.roster.iloc[:0]), lang="zh")


def _web_tables_read_only(shop):
    from xuanba.web.store import ensure_tables
    from xuanba.workspace import Workspace

    with Workspace(shop / "w.duckdb", read_only=True) as ws:
        ensure_tables(ws)


def _setting_read_only(shop):
    from xuanba.workspace import Workspace

    with Workspace(shop / "w.duckdb", read_only=True) as ws:
        ws.set_setting("时区", "Asia/Shanghai")


CASES.update({
    "_dates": (_horizon_words, ["--horizon '一年' 不是一段时长", "请写成天数、周数或年数"],
               "--horizon '一年' is not a length of time"),
    "ingest/sidetables": (_side_map_missing, ["映射中的列 “客户编号” 不在文件中", "文件中的列有：会员号、名称"],
                          "mapping names column '客户编号', which is not in the file"),
    "standard/apply": (_scorer_unknown, ["scoring_engine='excel' 不是可用的取值", "请用其中之一："],
                       "scoring_engine='excel' is not known"),
    "standard/expressions": (_tie_break_date, ["并列排序字段 “签约日” 是日期，不是数字", "请在字段中把它写成数字"],
                             "tie-break field '签约日' is a date, not a number"),
    "standard/starter": (_starter_exists, ["s.toml：文件已存在", "请换一个 --out，或加上 --force 覆盖它"],
                         "the file already exists"),
    "accounts/_util": (_interactions_no_ts, ["interactions 表没有 “ts” 列", "请添加或映射 “ts” 列（表中的列有：customer_id、日期）"],
                       "interactions table has no column 'ts'"),
    "accounts/profit": (_whale_negative, ["总利润为 -4.00；鲸鱼曲线需要总利润为正数", "请检查成本和时间窗口"],
                        "total profit is -4.00; the whale curve needs a positive total"),
    "accounts/receivables": (_no_payment_dates, ["交易记录中没有付款日期，而应收账款需要它", "付款日期/回款日期"],
                             "the transactions carry no payment dates"),
    "accounts/resources": (_no_needs, ["needs 表中没有客户 “客户乙” 的需求", "或核对客户编号"],
                           "customer '客户乙' has no needs in the needs table"),
    "accounts/stored": (_tx_file_bad_date, ["流水.csv，第 2 行，“ts”列：ts 不是有效的日期", "请把日期写成 YYYY-MM-DD"],
                        "ts is not a date"),
    "accounts/view": (_view_unknown, ["交易记录和附表中都没有客户 “客户乙”", "编号按文本比较"],
                      "customer '客户乙' is not in the transactions or side tables"),
    "cli/_common": (_disk_full, ["磁盘已满（设备上没有剩余空间）：名单.xlsx 没有写入；原有的同名文件没有改动",
                                 "请在存放 名单.xlsx 的磁盘上腾出空间"],
                    "the disk is full (no space left on device): 名单.xlsx was not written"),
    "demo/pipeline": (_demo_step, ["未知的演示步骤 ['飞行']", "请从 ["], "unknown demo steps ['飞行']"),
    "facts/stored": (_no_facts, ["工作区里没有 facts 表", "请先运行 `xuanba facts`"], "the workspace has no table 'facts'"),
    "_xlsx": (_long_cell, ["工作表 “名单”，“备注” 列，第 1 行：文本长 40,000 个字符", "请把这张表导出为 .csv 或 .parquet"],
              "sheet '名单', column '备注', row 1: a text of 40,000 characters"),
    "rounds/engine_extras": (_extra_side_id, ["额外字段表中有名为 _side_id 的列", "请给这一列改名"],
                             "the extra fields table has a column named _side_id"),
    "outputs/report": (_report_of_no_customers, ["第 1 轮没有任何客户", "请在有客户的数据上运行这一轮"],
                       "round 1 has no customers"),
    "web/store": (_web_tables_read_only, ["无法创建网页应用的表：工作区是以只读方式打开的", "read_only=False"],
                  "cannot create the web tables: the workspace is open read-only"),
    "workspace": (_setting_read_only, ["无法设置 “时区”：工作区是以只读方式打开的", "请用 Workspace(path)"],
                  "cannot set '时区': the workspace is open read-only"),
})


def _histories(frequency: list[int]) -> pd.DataFrame:
    n = len(frequency)
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "frequency": frequency,
                         "recency": [float(f * 3) for f in frequency], "T": [40.0] * n,
                         "monetary_value": [20.0 if f else 0.0 for f in frequency]})


def _model_not_fitted(shop):
    from xuanba.models import BGNBD

    BGNBD().expected_purchases(_histories([1, 2]), 52)


def _model_no_repeat(shop):
    from xuanba.models import BGNBD

    BGNBD().fit(_histories([0, 0, 0]))


def _model_interval(shop):
    from xuanba.models._uncertainty import check_interval

    check_interval(95)  # a percentage where a probability belongs


def _bgbb_days(shop):
    from xuanba.models import BGBB

    model = BGBB()
    model.params_ = pd.Series({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78})
    model.expected_purchases(pd.DataFrame({"customer_id": ["A"], "frequency": [1], "recency": [2], "periods": [6]}),
                             1.5)  # days where opportunities are counted


def _bgnbd_edge(shop):
    from xuanba.models import BGNBD

    BGNBD()._check_estimates(pd.Series({"r": 2e5, "alpha": 3.0, "a": 0.5, "b": 1.0}), 12)


def _covariate_missing(shop):
    from xuanba.models import BGNBDCovariates

    BGNBDCovariates(covariates_purchase=["渠道"]).fit(_histories([1, 2, 0, 3]))


def _gamma_gamma_few(shop):
    from xuanba.models import GammaGamma

    GammaGamma().fit(_histories([0, 2, 0]))


def _pareto_rate(shop):
    from xuanba.models import ParetoNBD

    model = ParetoNBD()
    model.params_ = pd.Series({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    model.expected_discounted_purchases(_histories([1]), 0)  # no discount asked for as a rate of 0


def _sbg_rising(shop):
    from xuanba.models.sbg import lifetimes_from_survivors

    lifetimes_from_survivors([1000, 631, 700])


def _simulate_kind(shop):
    from xuanba.models.simulate import simulate_transactions

    simulate_transactions("泊松", 10, "2025-01-01", "2025-12-31")


CASES.update({
    "models/_base": (_model_not_fitted, ["这个 BGNBD 还没有拟合", "请先调用 .fit(table)"], "this BGNBD is not fitted yet"),
    "models/_purchases": (_model_no_repeat, ["BGNBD 无法拟合：没有一位客户复购过", "请用更长的校准期"],
                          "BGNBD cannot be fitted: no customer made a repeat purchase"),
    "models/_uncertainty": (_model_interval, ["interval=95 不是概率", "interval=0.9 表示 5%..95%"],
                            "interval=95 is not a probability"),
    "models/bgbb": (_bgbb_days, ["t=1.5 必须是整数个交易机会", "而不是以天计"],
                    "t=1.5 must be a whole number of opportunities"),
    "models/bgnbd": (_bgnbd_edge, ["BGNBD 的估计值跑到了参数空间的边缘（r=2e+05", "这 12 位客户不足以识别购买过程和流失过程"],
                     "BGNBD estimates ran off to the edge of the parameter space"),
    "models/covariates": (_covariate_missing, ["表中没有协变量列 “渠道”", "文件中的列有：['customer_id'"],
                          "covariate column '渠道' is not in the table"),
    "models/gammagamma": (_gamma_gamma_few, ["GammaGamma 无法拟合：有复购且消费额为正的客户只有 1 位", "消费额模型需要许多复购客户"],
                          "GammaGamma cannot be fitted: 1 customer(s) with repeat purchases"),
    "models/paretonbd": (_pareto_rate, ["discount_rate=0 必须是每个时间单位的正利率", "1.15 ** (1/52) - 1"],
                         "discount_rate=0 must be a positive rate per time unit"),
    "models/sbg": (_sbg_rising, ["留存序列必须非负且不能增加：以下各期开始时的活跃客户比上一期多", "前几项：2", "新客户属于新的群组"],
                   "the retention series must be non-negative and never increase"),
    "models/simulate": (_simulate_kind, ["未知的模拟种类 “泊松”", "请用其中之一："], "unknown kind '泊松'"),
})


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_command_lines_facts_refusal_reads_in_its_language(shop, lang):
    """``facts --calibration-end`` without ``--holdout-end`` (cli/facts), through the command line;
    English as before (i18n38)."""
    runner = CliRunner()
    facts = runner.invoke(app, ["--lang", lang, "facts", "--calibration-end", "2025-06-30", "-w", str(shop / "w.duckdb")])
    assert facts.exit_code == 2, facts.output
    said = {"zh": ("--calibration-end 和 --holdout-end 须同时给出", "两个都给出以划分校准期和验证期"),
            "en": ("--calibration-end and --holdout-end go together", "Give both to split")}[lang]
    out = " ".join(facts.output.split())
    for words in said:
        assert words in out, out


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's thread exits
def test_an_app_that_cannot_listen_says_so_in_chinese():
    """``xuanba web --port`` of a port another program holds (web/serving): the host and port, in Chinese."""
    import socket

    from xuanba.web.serving import start

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(XuanbaError) as caught:
            start(lambda *a: None, port=port, timeout_s=10)
    zh = caught.value.render("zh")
    assert f"应用无法在 127.0.0.1:{port} 上监听" in zh and "请换一个 --port" in zh, zh
    assert str(caught.value).startswith(f"the app could not listen on 127.0.0.1:{port}")
