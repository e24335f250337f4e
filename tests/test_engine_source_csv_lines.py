"""An engine round's CSV source with a cell DuckDB cannot read as the type it gave the column
(``2025-13-45`` after its 20,480-row sample) is refused naming the file's line and the row as ingest
counts rows, where quoted cells above hold line breaks: DuckDB's ``CSV Error on Line: N`` counts
records, one short per such break (7200db1 printed it as the line)."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.rounds.engine import csv_cell_refused, duckdb_source
from xuanba.rounds.source_check import checked_transactions

STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 1\n'
            '[[tiers]]\nname = "A"\nquota = 10\n')


def _source(tmp_path, breaks: tuple[int, ...], delim: str = ",", title: bool = True):
    """A sales export: a title, the header, 21,000 rows (a note over two lines, Alt+Enter, in the rows
    ``breaks``), then a row whose date is no date. Returns the path, the line and the row of that cell,
    both found apart from xuanba (the text's lines; the csv module's records under the header)."""
    rows = [f"c{k}{delim}2025-01-01{delim}5{delim}" + ('"first\nsecond"' if k in breaks else "ok") for k in range(21_000)]
    head = ([f'"Sales 2025"{delim}"exported"'] if title else []) + [delim.join(["customer_id", "ts", "amount", "note"])]
    text = "\n".join([*head, *rows, delim.join(["z", "2025-13-45", "5", "ok"]), delim.join(["y", "2025-02-01", "5", "ok"])])
    path = tmp_path / "tx.csv"  # a tab-separated export named .csv too
    path.write_text(text + "\n", "utf-8")
    line = next(n for n, s in enumerate(text.split("\n"), start=1) if "2025-13-45" in s)
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f, delimiter=delim))[len(head):]
    row = next(n for n, r in enumerate(records, start=1) if r[1] == "2025-13-45")
    return path, line, row


def _cell_refused(path) -> InputError:
    """xuanba's words for DuckDB's failure to read the source's ``ts`` as the DATE of the format its
    sniffer found (told it, :func:`xuanba.rounds.engine._date_format`) below its sample
    (:func:`csv_cell_refused`); the source check then reads the dates again as text, as ingest reads them."""
    import duckdb

    t = duckdb_source(str(path))
    with pytest.raises(duckdb.ConversionException) as err:
        t.aggregate(m=t.ts.max()).to_pyarrow()
    refused = csv_cell_refused(err.value)
    assert refused is not None, err.value
    return refused


@pytest.mark.parametrize(("breaks", "delim"), [((3, 500, 20_999), ","), ((0,), ";"), ((), ","), ((7, 8), "\t")])
def test_the_line_named_is_the_files_and_the_row_is_ingests(tmp_path, breaks, delim):
    path, line, row = _source(tmp_path, breaks, delim)
    assert line == row + 2 + len(breaks)  # the title and the header above, one line more per break
    e = _cell_refused(path)
    assert (e.file, e.row, e.column) == (str(path), row, "ts")
    assert f"line {line}: '2025-13-45' is not a DATE" in e.render("en")
    assert f"第 {row} 行" in e.render("zh") and f"文件第 {line} 行：“2025-13-45” 不是 DATE" in e.render("zh")


def test_the_round_rejects_the_line_as_ingest_does_in_both_languages(tmp_path):
    """The round reads such a date again as text, as ingest reads it: the line rejected as ingest
    rejects it, "unparseable date", said in English and Chinese (it was refused, naming the line)."""
    from xuanba import Workspace
    from xuanba.ingest import ingest

    path, _, _ = _source(tmp_path, (10, 11, 12), title=False)
    _, rows = checked_transactions(duckdb_source(str(path)), "2025-12-31")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        want = ingest(str(path), ws, tz="UTC")
    assert (rows["input_rows"], rows["rejected"], rows["rejected_by_reason"]) == (
        want.input_rows, want.rejected, want.rejected_by_reason) == (21_002, 1, {"unparseable date": 1})
    for lang, words in (("en", "unparseable date"), ("zh", "日期无法识别")):
        res = _round(tmp_path, str(path), lang)
        assert res.exit_code == 0 and "Traceback" not in res.output, res.output
        assert words in " ".join(res.output.split()), res.output


def _round(tmp_path, source: str, lang: str):
    (tmp_path / "s.toml").write_text(STANDARD, "utf-8")
    return CliRunner().invoke(app, ["--lang", lang, "round", "-s", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                    "--engine", "duckdb", "--source", source, "--no-store"], env={"COLUMNS": "1000"})


@pytest.mark.parametrize("plain", [0, 30_000])
def test_a_gbk_source_is_refused_as_gbk_naming_the_users_file_and_the_line(tmp_path, plain):
    """A GBK export (Chinese Excel's CSV): refused in words that say so and how to fix it, at its
    first Chinese line (the header's, or one after DuckDB's sample). 7200db1 said 'cannot read
    --source ... CSV Error on Line: 2 ... give a .csv with a header row' (which it has), and a file
    whose first Chinese text came after DuckDB's sample stopped the round with a traceback."""
    rows = ["customer_id,ts,amount", *(f"c{k},2025-01-01,5" for k in range(plain)), "客户甲,2025-01-03,5", "b,2025-01-04,6"]
    data = ("\n".join(rows) + "\n").encode("gbk")
    path = tmp_path / "销售.csv"
    path.write_bytes(data)
    line = next(n for n, raw in enumerate(data.split(b"\n"), start=1) if not raw.isascii())
    said = {}
    for lang in ("en", "zh"):
        res = _round(tmp_path, str(path), lang)
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        said[lang] = " ".join(res.output.split())
    assert (f"{path}: the file is GBK/GB18030 text, as Chinese Excel and ERP exports save a CSV (line {line:,} of the "
            "file, read so: '客户甲,2025-01-03,5')") in said["en"], said["en"]
    assert "CSV UTF-8" in said["en"] and "xuanba ingest" in said["en"]
    assert f"{path}：该文件是 GBK/GB18030 编码的文本" in said["zh"] and f"文件第 {line:,} 行" in said["zh"]
    assert "“客户甲,2025-01-03,5”" in said["zh"] and "解决办法" in said["zh"] and "fix:" not in said["zh"]


def test_a_later_file_of_a_glob_with_a_cell_of_another_type_names_that_file_row_and_line(tmp_path):
    """DuckDB types a glob's columns on its first file; a later file's ``2025-13-45`` under a quoted
    break was 'Schema mismatch between globbed files' and a traceback on 7200db1."""
    folder = tmp_path / "parts"
    folder.mkdir()
    first, _, _ = _source(folder, (), title=False)
    first.rename(folder / "a.csv")
    later = folder / "b.csv"
    later.write_text('customer_id,ts,amount,note\nd1,2025-01-01,5,"x\ny"\nd2,2025-13-45,5,ok\n', "utf-8")
    for lang, want in (("en", f"{later}, row 2, column 'ts': line 4: '2025-13-45' is not a DATE"),
                       ("zh", f"{later}，第 2 行，“ts”列：文件第 4 行：“2025-13-45” 不是 DATE")):
        res = _round(tmp_path, str(folder / "*.csv"), lang)
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        assert want in " ".join(res.output.split()), res.output


def test_a_latin_1_source_is_refused_as_not_utf8_naming_its_line_and_byte(tmp_path):
    data = "customer_id,ts,amount\nc1,2025-01-01,5\nCafé Müller,2025-01-02,6\n".encode("latin-1")
    path = tmp_path / "eu.csv"
    path.write_bytes(data)
    byte = data.index("é".encode("latin-1"))
    res = _round(tmp_path, str(path), "zh")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    said = " ".join(res.output.split())
    assert f"{path}：该文件不是 UTF-8 编码的文本：文件第 3 行（第 {byte} 字节）不是 UTF-8" in said, said
    assert "CSV UTF-8" in said
