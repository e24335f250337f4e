"""Issue 13 point 7 with point 6: the notebook display of a diff, a model, an ingest report and an
evaluation speaks the language chosen by ``xuanba.set_lang`` (else the locale, as every command),
and still escapes what the data hold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import xuanba
from xuanba import Workspace
from xuanba.i18n import display_lang
from xuanba.ingest import ingest

DATA = Path(__file__).parent / "data"
STANDARD = '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 1\n' \
           '[[tiers]]\nname = "A"\nquota = 2\n'


@pytest.fixture
def lang():
    """Set the display language for one test, and give it back to the locale after."""
    yield xuanba.set_lang
    xuanba.set_lang(None)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nb")
    tx = pd.DataFrame({"customer_id": ["<b>a</b>", "<b>a</b>", "c2", "c3", "c3", "c4", "c5"],
                       "ts": ["2026-01-05", "2026-03-01", "2026-02-01", "2026-01-10", "2026-05-20", "2026-05-25",
                              "not a date"],
                       "amount": [500.0, 700.0, 90.0, 300.0, 400.0, 2000.0, 1.0]})
    csv = folder / "sales.csv"
    tx.to_csv(csv, index=False)
    with Workspace(folder / "ws.duckdb") as ws:
        report = ingest(csv, ws)
        a = xuanba.run_round(ws, STANDARD, "2026-03-31")
        b = xuanba.run_round(ws, STANDARD, "2026-06-30")
        diff = xuanba.diff_rounds(ws, a.round_id, b.round_id)
    return report, diff


def test_the_default_follows_the_locale_and_set_lang_overrides(monkeypatch, lang):
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert display_lang() == "zh"
    lang("en")
    assert display_lang() == "en"
    lang(None)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert display_lang() == "en"
    with pytest.raises(xuanba.InputError):
        lang("fr")


def test_a_diff_in_both_languages(made, lang):
    _, diff = made
    lang("zh")
    zh = diff._repr_html_()
    assert f"第 {diff.a} 轮 → 第 {diff.b} 轮" in zh and "排名相关系数" in zh and "层级迁移" in zh
    assert ">新入选<" in zh and ">落选<" in zh and ">（未入选）<" in zh and ">原层级<" in zh
    assert ">entered<" not in zh and "&lt;b&gt;a&lt;/b&gt;" in zh and "<b>a</b>" not in zh
    lang("en")
    en = diff._repr_html_()
    assert f"Round {diff.a} → round {diff.b}" in en and ">entered<" in en and "新入选" not in en


def test_an_ingest_report_in_both_languages(made, lang):
    report, _ = made
    lang("zh")
    zh = report._repr_html_()
    assert "读取行数" in zh and "拒收原因" in zh and ">日期无法识别<" in zh and ">已载入<" in zh
    assert "unparseable date" not in zh and "rows read" not in zh
    lang("en")
    en = report._repr_html_()
    assert ">unparseable date<" in en and "rows read" in en and "读取行数" not in en


def test_a_model_in_both_languages(lang):
    facts = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    facts = facts.rename(columns={"ID": "customer_id"}) if "ID" in facts.columns else facts
    lang("zh")
    assert "BGNBD: 尚未拟合" in xuanba.BGNBD()._repr_html_()
    m = xuanba.BGNBD().fit(facts)
    zh = m._repr_html_()
    assert all(w in zh for w in ("参数估计", ">估计值<", ">标准误<", ">95% 下限<", "对数似然"))
    assert ">stderr<" not in zh and "loglik" not in zh
    lang("en")
    en = m._repr_html_()
    assert ">stderr<" in en and "loglik" in en and "参数估计" not in en


def test_an_evaluation_in_both_languages(lang):
    tx = pd.read_parquet(DATA / "cdnow_sample.parquet").rename(columns={"timestamp": "ts"})
    ev = xuanba.evaluate(tx[["customer_id", "ts", "amount"]], "1997-09-30", "1998-06-30", models=["bgnbd"],
                         cumulative=False)
    lang("zh")
    zh = ev._repr_html_()
    assert "模型在校准期 / 验证期上的比较" in zh and "校准期结束" in zh and ">2,357<" in zh and ">1,411<" in zh
    assert "calibration end" not in zh
    lang("en")
    en = ev._repr_html_()
    assert "calibration end" in en and "校准期结束" not in en
