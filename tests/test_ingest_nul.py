"""A NUL byte in a CSV (a binary or damaged file, or UTF-16 text without its mark) is refused
wherever it is: 7dd5749 looked for one in the first 4 KB only, so a NUL further down went into a
cell's value. The refusal names the file, the line and byte, the row and the column of the cell,
and the fix, in English and Chinese; UTF-16 text, whose every other byte is a NUL, still loads."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.ingest import ingest

HEADER = ["customer_id", "ts", "amount", "note"]


def _rows(n: int = 400) -> list[list[str]]:
    return [[f"c{i}", f"2025-01-{1 + i % 28:02d}", f"{i}.5", "ok"] for i in range(n)]


def _text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue()


def _no_transactions(ws_path) -> bool:
    if not ws_path.exists():
        return True
    with Workspace(ws_path) as ws:
        return not ws.has_table("transactions")


@pytest.mark.parametrize(("row", "col"), [(3, 2), (300, 3), (399, 0)])
def test_a_nul_anywhere_is_refused_with_its_row_and_column(tmp_path, row, col):
    """Row 3 is in the first 4 KB (7dd5749 refused it, naming the file only); rows 300 and 399 are
    past it (7dd5749 loaded the NUL into the cell). The row and column are those the NUL was put in;
    the line and byte are the file's, counted here from the bytes written."""
    rows = _rows()
    rows[row - 1][col] = rows[row - 1][col][:1] + "\x00" + rows[row - 1][col][1:]
    text = _text(rows)
    path = tmp_path / "sales.csv"
    path.write_bytes(text.encode("utf-8"))
    byte = text.encode("utf-8").index(b"\x00")
    line = text.encode("utf-8")[:byte].count(b"\n") + 1
    assert row == 3 or byte > 4096  # what the head check of 7dd5749 never saw
    with pytest.raises(InputError) as err:
        ingest([path], tmp_path / "w.duckdb")
    e = err.value
    assert (e.file, e.row, e.column) == (str(path), row, HEADER[col])
    assert e.phrase.key == "err_nul" and f"line {line:,} of the file (byte {byte:,})" in str(e)
    assert f"第 {line:,} 行" in e.render("zh") and f"“{HEADER[col]}”列" in e.render("zh")
    assert _no_transactions(tmp_path / "w.duckdb")


def test_the_row_counts_records_when_a_quoted_cell_holds_a_line_break(tmp_path):
    """A note over two lines above it: the NUL is on line 302 of the file, row 300 of the table."""
    rows = _rows()
    rows[9][3] = "two\nlines"
    rows[299][3] = "b\x00d"
    path = tmp_path / "sales.csv"
    path.write_text(_text(rows), encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest([path], tmp_path / "w.duckdb")
    assert (err.value.row, err.value.column) == (300, "note")
    assert "line 302 of the file" in str(err.value)


def test_a_gbk_file_with_a_nul_below_the_head_is_refused(tmp_path):
    rows = _rows()
    rows[250][3] = "备注\x00坏"
    path = tmp_path / "gbk.csv"
    path.write_bytes(_text(rows).replace("note", "备注").encode("gb18030"))
    with pytest.raises(InputError) as err:
        ingest([path], tmp_path / "w.duckdb")
    assert (err.value.row, err.value.column) == (251, "备注")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_text_longer_than_the_head_still_loads(tmp_path, encoding):
    """UTF-16 (with its mark, and little-endian without it, as Excel's 'Unicode text' and some
    exports write it): a NUL in every other byte is its encoding, not damage."""
    path = tmp_path / "u16.csv"
    path.write_bytes(_text(_rows()).encode(encoding))
    assert path.stat().st_size > 8192
    report = ingest([path], tmp_path / "w.duckdb")
    assert report.loaded == 400 and report.rejected == 0
    with Workspace(tmp_path / "w.duckdb") as ws:
        ids = ws.sql("SELECT count(DISTINCT customer_id) AS n FROM transactions")["n"].iloc[0]
    assert ids == 400


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ingest_says_it_in_the_console(tmp_path, lang):
    rows = _rows()
    rows[349][2] = "3\x004"
    path = tmp_path / "sales.csv"
    path.write_text(_text(rows), encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "w.duckdb")],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    words = {"en": ("row 350", "column 'amount'", "NUL", "fix:"), "zh": ("第 350 行", "“amount”列", "NUL", "解决办法")}
    assert all(w in res.output for w in words[lang]), res.output
    assert "\x00" not in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_engine_rounds_csv_source_with_a_nul_is_refused_in_ingests_words(tmp_path, lang):
    """``xuanba round --engine duckdb --source file.csv`` reads the file with DuckDB, not ingest:
    ab5f03d scored the NUL's customer (``c300\\x00``) as one of its own; now the refusal is
    ingest's, word for word (one definition), and a glob over the file refuses it too."""
    rows = _rows()
    rows[300][0] += "\x00"
    path = tmp_path / "tx.csv"
    path.write_text(_text(rows), encoding="utf-8")
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 100\n[[tiers]]\nname = "A"\nmin_score = 10\n',
                                     encoding="utf-8")
    said = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "i.duckdb")])
    assert said.exit_code == 2 and "NUL" in said.output, said.output
    for source in (str(path), str(tmp_path / "*.csv")):
        res = CliRunner().invoke(app, ["--lang", lang, "round", "--engine", "duckdb", "--source", source, "--standard",
                                       str(tmp_path / "s.toml"), "--cutoff", "2025-12-31", "--workspace",
                                       str(tmp_path / "w.duckdb")])
        assert res.exit_code == 2, res.output
        assert res.output == said.output
