"""A row with delimiters left at its end (``a;b;c;``, mid-file) is refused with the fix that fits:
delete the trailing delimiter, not quote a cell that holds one. A row wider for another reason
keeps the quoting fix. Both in English and Chinese, with the row."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xuanba.cli import app

ROWS = 60


def refused(tmp_path, delim: str, bad_row: int, tail: str, lang: str, *extra: str) -> str:
    """The output of ingesting a file whose data row ``bad_row`` ends with ``tail`` added."""
    rows = [delim.join(("customer_id", "ts", "amount"))] if not extra else []
    for i in range(1, ROWS + 1):
        row = delim.join((f"C{i}", f"2025-01-{i % 28 + 1:02d}", str(i)))
        rows.append(row + tail if i == bad_row else row)
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "-w", str(tmp_path / f"{lang}.duckdb"),
                                      *extra])
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize("delim", [";", ","])
def test_one_delimiter_left_at_a_rows_end_is_said_with_its_fix(tmp_path, delim):
    en = refused(tmp_path, delim, 37, delim, "en")
    assert "sales.csv, row 37: the row has 4 fields where the header has 3: it ends with a delimiter the header does " \
           "not have" in en
    assert "delete the delimiter(s) left at the end of that row" in en and "quote the cell" not in en
    zh = refused(tmp_path, delim, 37, delim, "zh")
    assert "sales.csv，第 37 行：这一行有 4 个字段，而表头有 3 个：行末多了一个分隔符" in zh
    assert "删掉这一行末尾多出的分隔符" in zh and "加上引号" not in zh


def test_two_delimiters_and_a_blank_cell_between_them(tmp_path):
    en = refused(tmp_path, ";", 12, "; ;", "en")
    assert "row 12: the row has 5 fields where the header has 3: it ends with 2 delimiters" in en
    named = refused(tmp_path, ";", 12, ";", "en", "--columns", "customer_id,ts,amount")
    assert "row 12: the row has 4 fields where --columns names 3: it ends with a delimiter" in named


@pytest.mark.parametrize("tail", [";5", ";;5"])
def test_a_row_wider_with_a_value_past_the_header_keeps_the_quoting_fix(tmp_path, tail):
    en = refused(tmp_path, ";", 20, tail, "en")
    assert "row 20: the row has" in en and "a cell holding the delimiter is not quoted" in en
    assert "quote the cell that holds the delimiter" in en and "left at the end" not in en
