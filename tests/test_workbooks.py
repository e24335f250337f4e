"""Workbooks for people (issue 13, point 4): headers in the reader's language that name their
window, the field names kept on a ``columns`` sheet (and read back by xuanba's own reader), number
formats per column, widths, autofilter, frozen header; CSV and Parquet stay raw. Every workbook is
opened with openpyxl, the way a spreadsheet reads it."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.test_report import make_workspace
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.i18n import sheet_words
from xuanba.outputs.exports import criterion_columns, export_round
from xuanba.tables import read_table, write_table

MONEY, PERCENT, DATE, COUNT = "#,##0.00", "0.0%", "yyyy\\-mm\\-dd", "#,##0"

FACTS = pd.DataFrame({
    "customer_id": ["007", "=HYPERLINK(\"http://x\",\"y\")", "<b>甲</b>"],
    "first_purchase": pd.to_datetime(["2024-01-02", "2024-03-04", "2025-05-06"]),
    "orders": np.array([3, 12_000, 1], dtype="int64"),
    "revenue_total": [1_234_567.891, 0.0, -12.5],
    "revenue_365d": [45_000.0, 0.0, np.nan],
    "p_alive": [0.91, 0.05, 0.5],
    "nps": [7.5, 3.0, 9.0],  # a field the catalogue does not know
})

# what a reader sees: written by hand here, not read from the catalogue
HEADERS = {
    "en": ["Customer id", "First purchase", "Orders (all time)", "Revenue (all time)", "Revenue (365 days)",
           "P(alive)", "nps"],
    "zh": ["客户编号", "首次购买日期", "订单数（累计）", "收入（累计）", "收入（近365天）", "仍活跃概率", "nps"],
}
FORMATS = {"first_purchase": DATE, "orders": COUNT, "revenue_total": MONEY, "revenue_365d": MONEY,
           "p_alive": PERCENT, "nps": "General", "customer_id": "General"}


def _sheet(path, name):
    """Sheet ``name`` of a workbook, or the sheet xuanba names so for a Chinese reader."""
    book = openpyxl.load_workbook(path)
    return book[name] if name in book.sheetnames else book[sheet_words(name, "zh")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_workbook_for_people_has_headers_formats_filter_frozen_header_and_widths(tmp_path, lang):
    p = write_table(FACTS, tmp_path / "facts.xlsx", sheet="facts", lang=lang)
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == [sheet_words("facts", lang), sheet_words("columns", lang)]
    ws = wb[sheet_words("facts", lang)]
    assert [c.value for c in ws[1]] == HEADERS[lang]
    for j, field in enumerate(FACTS.columns, 1):
        for i in range(2, 5):
            cell = ws.cell(i, j)
            if cell.value is not None and cell.data_type == "n":
                assert cell.number_format == FORMATS[field], (field, cell.number_format)
    assert ws.cell(2, 4).value == pytest.approx(1_234_567.891)  # the value is whole; only its look is money
    assert ws.cell(2, 2).value.date().isoformat() == "2024-01-02"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"
    assert all(c.font.b for c in ws[1])
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert set(widths) == set("ABCDEFG")
    assert all(6 <= w <= 60 for w in widths.values())
    assert widths["E"] > widths["G"]  # "Revenue (365 days)" needs more room than "nps"
    # text stays text: no formula, no markup, even in the header row
    assert ws.cell(3, 1).value == FACTS.loc[1, "customer_id"] and ws.cell(3, 1).data_type == "s"
    assert ws.cell(4, 1).value == "<b>甲</b>"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_columns_sheet_maps_every_header_to_its_field_and_meaning(tmp_path, lang):
    p = write_table(FACTS, tmp_path / "facts.xlsx", sheet="facts", lang=lang)
    ws = _sheet(p, "columns")
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (("Sheet", "Header", "Field", "Meaning") if lang == "en" else ("工作表", "表头", "字段名", "含义"))
    assert [r[:3] for r in rows[1:]] == [(sheet_words("facts", lang), h, f)
                                         for h, f in zip(HEADERS[lang], FACTS.columns, strict=True)]
    meaning = {r[2]: r[3] for r in rows[1:]}
    assert meaning["revenue_365d"] == ("revenue in the last 365 days" if lang == "en" else "近 365 天收入")
    assert not meaning["nps"]  # unknown: no meaning invented
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:D{len(rows)}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_xuanbas_reader_gets_the_field_names_back(tmp_path, lang):
    p = write_table(FACTS, tmp_path / "facts.xlsx", sheet="facts", lang=lang)
    back = read_table(p)
    assert list(back.columns) == list(FACTS.columns)
    assert back["customer_id"].tolist() == FACTS["customer_id"].tolist()  # "007" keeps its zeros
    np.testing.assert_allclose(back["revenue_total"], FACTS["revenue_total"])
    assert back["revenue_365d"].isna().tolist() == [False, False, True]
    assert back["first_purchase"].dt.date.tolist() == FACTS["first_purchase"].dt.date.tolist()


def test_facts_written_for_people_are_read_as_facts(tmp_path):
    from xuanba.models.predict import read_facts

    p = write_table(FACTS, tmp_path / "facts.xlsx", sheet="facts", lang="zh")
    assert list(read_facts(p).columns) == list(FACTS.columns)


def test_a_columns_sheet_that_does_not_match_renames_nothing(tmp_path):
    """A user's own workbook with a sheet called columns: its headers are left as they are."""
    p = tmp_path / "mine.xlsx"
    with pd.ExcelWriter(p) as xl:
        pd.DataFrame({"客户": ["a"], "金额": [1.0]}).to_excel(xl, sheet_name="data", index=False)
        pd.DataFrame({"s": ["data"], "h": ["客户"], "f": ["customer_id"]}).to_excel(xl, sheet_name="columns", index=False)
    assert list(read_table(p, sheet="data").columns) == ["客户", "金额"]  # only one header of two is mapped


def test_hostile_field_names_are_text_in_the_header_and_the_columns_sheet(tmp_path):
    evil = '=HYPERLINK("http://x","y")'
    p = write_table(pd.DataFrame({"customer_id": ["a"], evil: [1.0]}), tmp_path / "e.xlsx", lang="en")
    wb = openpyxl.load_workbook(p)
    assert wb["table"]["B1"].value == evil and wb["table"]["B1"].data_type == "s"
    assert wb["columns"]["B3"].value == evil and wb["columns"]["B3"].data_type == "s"
    assert list(read_table(p).columns) == ["customer_id", evil]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_keep_the_field_names_whatever_the_language(tmp_path, suffix):
    p = write_table(FACTS, tmp_path / f"facts{suffix}", lang="zh")
    assert list(read_table(p).columns) == list(FACTS.columns)


def test_without_a_language_a_workbook_keeps_field_names_and_still_gets_formats(tmp_path):
    p = write_table(FACTS, tmp_path / "raw.xlsx", sheet="facts")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["facts"]
    ws = wb["facts"]
    assert [c.value for c in ws[1]] == list(FACTS.columns)
    assert ws.cell(2, 4).number_format == MONEY and ws.auto_filter.ref == "A1:G4"


def test_an_unknown_language_is_a_clean_error(tmp_path):
    with pytest.raises(InputError, match="language 'fr'"):
        write_table(FACTS, tmp_path / "x.csv", lang="fr")


def test_a_criterion_column_takes_its_fields_header_and_format_not_a_namesakes():
    """The starter's criterion "margin" holds margin_365d (money); the account table's "margin" is
    a ratio (percent): the roster column must read as the former."""
    from xuanba.standard import starter_standard
    from xuanba.standard.schema import load_standard

    cols = criterion_columns(load_standard(starter_standard("en")))
    assert cols["margin"] == "margin_365d" and cols["revenue"] == "revenue_365d"


# -- stored rounds and the command line ----------------------------------------------------------

@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def test_export_round_for_people_labels_every_sheet_and_reads_back(real_ws, tmp_path):
    from xuanba.rounds import load_round

    [p] = export_round(real_ws, "latest", tmp_path / "r.xlsx", tables=["roster", "contributions", "diff", "facts"],
                       lang="zh")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["名单", "各项得分", "变动", "客户数据", "列说明"]  # sheets named for the reader
    roster = wb["名单"]
    head = [c.value for c in roster[1]]
    assert head[:4] == ["客户编号", "排名", "得分", "层级"]
    col = {h: i for i, h in enumerate(head, 1)}
    assert "收入（近365天）" in col and "毛利（近365天）" in col  # the criteria revenue and margin
    assert roster.cell(2, col["毛利（近365天）"]).number_format == MONEY
    assert roster.cell(2, col["排名"]).number_format == COUNT
    facts = wb["客户数据"]
    fh = {c.value: i for i, c in enumerate(facts[1], 1)}
    assert {"收入（累计）", "收入（近365天）", "收入（近90天）"} <= set(fh)  # windows told apart
    assert facts.cell(2, fh["仍活跃概率"]).number_format == PERCENT
    contrib = wb["各项得分"]
    assert contrib.cell(2, [c.value for c in contrib[1]].index("权重占比") + 1).number_format == PERCENT
    expected = load_round(real_ws, "latest").roster
    back = read_table(p, sheet="roster")
    assert list(back.columns) == list(expected.columns)
    assert back["customer_id"].tolist() == expected["customer_id"].tolist()


def test_commands_write_workbooks_in_the_language_asked(real_ws, tmp_path):
    run = CliRunner().invoke
    res = run(app, ["export", "latest", "--out", str(tmp_path / "e.xlsx"), "--lang", "en", "-w", str(real_ws)])
    assert res.exit_code == 0, res.output
    assert _sheet(tmp_path / "e.xlsx", "roster")["A1"].value == "Customer id"
    res = run(app, ["rounds", "latest", "--out", str(tmp_path / "r.xlsx"), "--lang", "zh", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert _sheet(tmp_path / "r.xlsx", "roster")["B1"].value == "排名"
    res = run(app, ["diff", "1", "2", "--out", str(tmp_path / "d.xlsx"), "--lang", "zh", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert [c.value for c in _sheet(tmp_path / "d.xlsx", "changes")[1]][:3] == ["客户编号", "原层级", "现层级"]
    res = run(app, ["facts", "--cutoff", "2026-06-30", "--out", str(tmp_path / "f.xlsx"), "--lang", "zh",
                    "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["customers"] == 300
    assert _sheet(tmp_path / "f.xlsx", "facts")["A1"].value == "客户编号"
    # the people's workbook feeds the next command: fit reads the field names back
    with_ws = ["--facts", str(tmp_path / "f.xlsx"), "-w", str(real_ws), "--json"]
    res = run(app, ["fit", "--model", "gamma-gamma", *with_ws])
    assert res.exit_code == 0, res.output
    from_parquet = run(app, ["facts", "--cutoff", "2026-06-30", "--out", str(tmp_path / "f.parquet"), "-w", str(real_ws)])
    assert from_parquet.exit_code == 0, from_parquet.output
    same = run(app, ["fit", "--model", "gamma-gamma", "--facts", str(tmp_path / "f.parquet"),
                     "-w", str(real_ws), "--json"])
    assert json.loads(res.stdout)["loglik"] == pytest.approx(json.loads(same.stdout)["loglik"], rel=1e-9)
    res = run(app, ["export", "latest", "--out", str(tmp_path / "x.xlsx"), "--lang", "fr", "-w", str(real_ws)])
    assert res.exit_code == InputError.exit_code and "Traceback" not in res.output


def test_every_column_a_round_or_a_command_writes_has_a_header_in_both_languages():
    """The catalogue covers the facts, predictions, account fields, roster, contributions and diff,
    so no workbook shows a raw field name where a person reads it."""
    from xuanba.facts import FACT_COLUMNS
    from xuanba.i18n import FIELD_CATALOGUE
    from xuanba.rounds.diff import CHANGE_COLUMNS
    from xuanba.standard.schema import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS, PREDICTION_COLUMNS
    from xuanba.standard.score import CONTRIBUTION_COLUMNS, ROSTER_COLUMNS

    written = {*FACT_COLUMNS, *PREDICTION_COLUMNS, *ACCOUNT_COLUMNS, *CUSTOMER_COLUMNS, *ROSTER_COLUMNS,
               *CONTRIBUTION_COLUMNS, *CHANGE_COLUMNS}
    assert written - set(FIELD_CATALOGUE) == set()
    for field in written:
        kind, (en, zh), _ = FIELD_CATALOGUE[field]
        assert kind in ("", "text", "money", "percent", "date", "count", "number"), field
        assert en != field and zh != field, field
    # windows are told apart in both languages
    for lang in (0, 1):
        heads = [FIELD_CATALOGUE[f][1][lang] for f in ("revenue_total", "revenue_90d", "revenue_365d", "revenue_prev_365d")]
        assert len(set(heads)) == 4


@settings(max_examples=25, deadline=None)
@given(cols=st.lists(st.sampled_from(["orders", "revenue_365d", "p_alive", "segment", "score", "rank", "weight",
                                      "tier", "growth_365d"]), min_size=1, max_size=6, unique=True),
       n=st.integers(1, 8), lang=st.sampled_from(["en", "zh"]), seed=st.integers(0, 1000))
def test_any_table_written_for_people_reads_back_the_same(tmp_path_factory, cols, n, lang, seed):
    rng = np.random.default_rng(seed)
    text = ["=1+1", "007", "甲", "<x>", "a b"]
    frame = pd.DataFrame({"customer_id": [f"{i:03d}" for i in range(n)]})
    for c in cols:
        if c in ("segment", "tier"):
            frame[c] = rng.choice(text, n)
        elif c in ("orders", "rank"):
            frame[c] = rng.integers(0, 10**6, n)
        else:
            frame[c] = rng.normal(0, 1e5, n).round(3)
    p = write_table(frame, tmp_path_factory.mktemp("wb") / "t.xlsx", lang=lang)
    back = read_table(p, text=("customer_id", "segment", "tier"))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_widths_count_chinese_characters_double_and_stay_within_bounds(tmp_path):
    frame = pd.DataFrame({"a": ["客户名称很长的一家公司"], "b": ["abcdefghijk"], "c": ["x" * 500], "d": [1]})
    ws = _sheet(write_table(frame, tmp_path / "w.xlsx"), "table")
    w = {k: d.width for k, d in ws.column_dimensions.items()}
    assert w["A"] == 2 * 11 + 1 and w["B"] == 11 + 1  # eleven characters each, the Chinese twice as wide
    assert w["C"] == 60 and w["D"] == 6  # a long text is capped; a narrow column keeps room for its filter
