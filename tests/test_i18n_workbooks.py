"""Issue 13 point 4/6: a workbook for people names its sheets and the values xuanba writes itself
(a diff's status, "(not selected)", "(absent)") in the reader's language; CSV and Parquet, read
by machines, keep the raw names and values, and xuanba reads its own workbooks back by raw name."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from xuanba.rounds.diff import ABSENT, NOT_SELECTED
from xuanba.tables import read_table, write_table

CHANGES = pd.DataFrame({
    "customer_id": ["a", "b", "c", "=HYPERLINK(\"x\")"],
    "tier_a": ["gold", NOT_SELECTED, "gold", ABSENT],
    "tier_b": [NOT_SELECTED, "gold", "gold", "gold"],
    "status": ["left", "entered", "same", "entered"],
    "name": ["rose", "same", "left", NOT_SELECTED],  # a customer's own words are never translated
})
MIGRATION = pd.DataFrame({"from": ["gold", NOT_SELECTED], "gold": [1, 1], NOT_SELECTED: [1, 0]})


def _rows(path, sheet):
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def test_sheets_and_xuanbas_own_values_read_chinese(tmp_path):
    p = write_table({"diff": CHANGES, "migration": MIGRATION}, tmp_path / "d.xlsx", lang="zh")[0]
    assert openpyxl.load_workbook(p).sheetnames == ["变动", "层级迁移", "列说明"]
    rows = _rows(p, "变动")
    assert [r[1:4] for r in rows[1:]] == [("gold", "（未入选）", "落选"), ("（未入选）", "gold", "新入选"),
                                          ("gold", "gold", "不变"), ("（不在该轮）", "gold", "新入选")]
    assert [r[4] for r in rows[1:]] == ["rose", "same", "left", NOT_SELECTED]
    assert rows[4][0] == "=HYPERLINK(\"x\")"  # text stays text, never a formula
    mig = _rows(p, "层级迁移")
    assert mig[0][2] == "（未入选）" and [r[0] for r in mig[1:]] == ["gold", "（未入选）"]
    assert CHANGES["status"].tolist() == ["left", "entered", "same", "entered"]  # the caller's table untouched


def test_english_workbook_keeps_the_words_it_always_had(tmp_path):
    p = write_table({"diff": CHANGES}, tmp_path / "d.xlsx", lang="en")[0]
    assert openpyxl.load_workbook(p).sheetnames == ["diff", "columns"]
    assert [r[3] for r in _rows(p, "diff")[1:]] == ["left", "entered", "same", "entered"]
    assert _rows(p, "diff")[1][2] == NOT_SELECTED


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_keep_raw_values_under_any_language(tmp_path, suffix):
    p = write_table({"diff": CHANGES}, tmp_path / f"d{suffix}", lang="zh")[0]
    back = read_table(p)
    assert back["status"].tolist() == CHANGES["status"].tolist() and NOT_SELECTED in back["tier_b"].tolist()


def test_xuanba_reads_a_chinese_workbook_back_by_the_raw_sheet_name(tmp_path):
    p = write_table({"roster": pd.DataFrame({"customer_id": ["a"], "rank": [1]})}, tmp_path / "r.xlsx", lang="zh")[0]
    back = read_table(p, sheet="roster")
    assert list(back.columns) == ["customer_id", "rank"] and back["rank"].tolist() == [1]
