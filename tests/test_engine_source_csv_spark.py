"""A round on Spark reads a CSV ``--source`` as the round on DuckDB and ``xuanba ingest`` read it:
a quoted cell over two lines (Excel's Alt+Enter in a note) is one cell, a quote after one space
opens a cell, a NUL byte, text not in UTF-8 and a header under title rows are refused by name.
Compared side by side: the lines the round's source check hands on (a refusal: what the command
line says) of both engines."""

from __future__ import annotations

import codecs
import csv

import pytest
from typer.testing import CliRunner

from tests._helpers import checked_lines, spark_test
from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.ingest import ingest

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\n'
            'weight = 1\n')


def _round(tmp_path, engine: str, source, lang: str = "en"):
    """``xuanba round --engine engine --source source`` in-process: (exit code, output)."""
    std = tmp_path / "s.toml"
    std.write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(std), "--cutoff", CUTOFF,
                                   "--engine", engine, "--source", str(source), "--no-store"],
                             env={"COLUMNS": "300"})
    return res.exit_code, res.output


def _notes_export(path, n: int = 60) -> list[list[str]]:
    """A CRLF export under a BOM whose every fifth note is typed over two lines (a bare LF, as
    Excel writes Alt+Enter), some written after one space (``, "a<LF>b"``, and ``, "x,y"`` before the
    amount), member numbers with leading zeros as ids; its rows (the last one's aside)."""
    rows = []
    for i in range(n):
        note = f"line {i}\nline two" if i % 5 == 0 else f"note {i}"
        member = f"{i % 7:0{1 + i % 3}d}"  # member numbers: 3, 03 and 003 three customers, as ingest reads them
        rows.append([member, f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", note, f"{10 + i}.5"])
    lines = ["\ufeffcustomer_id,ts,note,amount"]
    for i, (cid, ts, note, amount) in enumerate(rows):
        cell = f'"{note}"' if i % 2 else f' "{note}"'  # DuckDB and ingest drop the one space before the quote
        lines.append(f"{cid},{ts},{cell},{amount}")
    lines.append('01,2025-03-03, "x,y",7')
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    return rows


@spark_test
def test_a_note_over_two_lines_is_one_row_on_spark_as_on_duckdb_and_ingest(tmp_path, spark):
    """7200db1's Spark read each line of such a note as a row (61 rows read as 73; the next line's
    text where a date was), the cell ``, "x,y"`` cut in two so that its amount was ``y"``, and the
    members 3, 03 and 003 as one customer 3. Now the lines the round's source check hands on are
    DuckDB's, line for line, and ingest's 61 rows, revenue and customers. (The console and data
    hash of a round on each engine until session 36: the facts of the same lines are the same.)"""
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.spark import spark_source

    path = tmp_path / "notes.csv"
    rows = _notes_export(path)
    on_spark, counted = checked_lines(spark_source(spark, str(path)), CUTOFF)
    assert (on_spark, counted) == checked_lines(duckdb_source(str(path)), CUTOFF)
    assert counted["input_rows"] == counted["used"] == len(rows) + 1
    assert sorted((c, a) for c, _, a in on_spark) == sorted([(r[0], float(r[3])) for r in rows] + [("01", 7.0)])
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(str(path), ws, tz="UTC")
        stored = ws.con.execute("SELECT count(*), sum(amount) FROM transactions").fetchone()
        customers = ws.con.execute("SELECT count(DISTINCT customer_id) FROM transactions").fetchone()[0]
    assert stored[0] == len(rows) + 1 and float(stored[1]) == sum(float(r[3]) for r in rows) + 7
    assert customers == len({r[0] for r in rows} | {"01"}) > 7
    assert len({c for c, _, _ in on_spark}) == customers


@spark_test
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_nul_byte_and_gbk_are_refused_on_spark_as_on_duckdb_and_a_title_row_by_name(tmp_path, spark, lang):
    """A NUL byte in a Spark CSV source was read into the customer id (DuckDB's round refuses it,
    review28a); a GBK export was read as garbled names (张三 and 李四 one customer's garbled id) and
    DuckDB stopped "in DuckDB's words"; a header under a title row was read with the title as the
    header. Now the NUL and GBK are one error on both engines, in the reader's language, naming
    the line; the title row, which Spark cannot skip, refused by name on Spark."""
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"customer_id,ts,amount\na,2025-01-01,5\nb\x00,2025-01-02,6\n")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("customer_id,ts,amount\na,2025-01-01,5\n张三,2025-01-02,6\n李四,2025-01-03,7\n".encode("gbk"))
    for path, line in ((nul, "3"), (gbk, "3")):
        said = {engine: _round(tmp_path, engine, path, lang) for engine in ("duckdb", "spark")}
        assert said["spark"] == said["duckdb"] and said["spark"][0] != 0, said
        words = {"en": f"line {line} of the file", "zh": f"第 {line} 行"}[lang]
        assert words in said["spark"][1] and "Traceback" not in said["spark"][1]
    assert ("UTF-8" in said["spark"][1]) and ("GBK" in said["spark"][1])
    titled = tmp_path / "titled.csv"
    titled.write_text("销售明细,,\n\n客户编号,下单日期,金额\n甲,2025-01-01,5\n", "utf-8")
    assert _round(tmp_path, "duckdb", titled, lang)[0] == 0
    code, out = _round(tmp_path, "spark", titled, lang)
    assert code != 0 and {"en": "under 1 title row(s)", "zh": "表头上方有 1 行标题"}[lang] in out, out
    assert "--engine duckdb" in out


def test_the_not_utf8_check_names_the_line_ingest_reads_as_gbk(tmp_path):
    """The bad byte is found below any head a sniffer reads (70 KB of ASCII rows first), on the line
    the csv module numbers for the text as ingest decodes it (GB18030)."""
    from xuanba.ingest.encodings import refuse_not_utf8

    path = tmp_path / "late.csv"
    body = [["customer_id", "ts", "amount"], *([f"c{i}", "2025-01-01", "5"] for i in range(5000)), ["张三", "2025-01-02", "6"]]
    with open(path, "w", newline="", encoding="gbk") as f:
        csv.writer(f, lineterminator="\n").writerows(body)
    assert path.stat().st_size > 70_000
    with pytest.raises(InputError) as got:
        refuse_not_utf8(path)
    with open(path, encoding="gb18030", newline="") as f:
        want = next(n for n, row in enumerate(csv.reader(f), start=1) if not row[0].isascii())
    assert f"line {want:,} of the file" in got.value.render("en")
    ok = tmp_path / "bom.csv"
    ok.write_bytes(codecs.BOM_UTF8 + "客户编号,下单日期,金额\n甲,2025-01-01,5\n".encode())
    refuse_not_utf8(ok)


@spark_test
def test_a_semicolon_export_is_read_on_spark_as_on_duckdb(tmp_path, spark):
    """A European Excel's export (``;`` between cells, a decimal point kept): DuckDB's sniffer finds
    the delimiter, 7200db1's Spark read one column named ``customer_id;ts;amount`` and stopped for
    want of an id. Now the delimiter ingest finds: the lines the round's source check hands on are
    DuckDB's (a round on each, compared by console and data hash, until session 36)."""
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.spark import spark_source

    path = tmp_path / "semi.csv"
    path.write_text("customer_id;ts;amount\n007;2025-01-01;5.5\n7;2025-02-01;6\n007;2025-03-01;1\n", "utf-8")
    on_spark, counted = checked_lines(spark_source(spark, str(path)), CUTOFF)
    assert (on_spark, counted) == checked_lines(duckdb_source(str(path)), CUTOFF)
    assert sorted((c, a) for c, _, a in on_spark) == [("007", 1.0), ("007", 5.5), ("7", 6.0)] and counted["used"] == 3
