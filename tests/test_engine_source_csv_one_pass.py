"""A Spark round's local CSV source is checked in one reading of each file (a NUL byte, text not
UTF-8, a line break in a quoted cell, a quote after one space): e97c1c3 read it up to six times
before Spark read it (a NUL search, a UTF-8 decode, a search for a quote, one for two spaces
before a quote, the csv module's parse, a search for a quote after a space). The one pass finds
what the checks one by one find (compared with them, on files cut into chunks anywhere), and a
cell that opens with two spaces before a quote, which DuckDB and ingest read as a character and
Spark otherwise, is refused by name on Spark, or read as DuckDB reads it where Spark can."""

from __future__ import annotations

import codecs
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._helpers import spark_test
from xuanba.errors import InputError
from xuanba.ingest import csv_records, csv_source, encodings

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\n'
            'weight = 1\n')


def _lead_quote(path: pathlib.Path, delim: str) -> bool:
    """The check one by one of a quote after one space at a cell's start (after ``delim`` or a
    line's start), as the Spark round made it before the one pass: the file read in chunks."""
    mark = re.compile(b"[\\r\\n" + re.escape(delim.encode()) + b'] "')
    tail = b"\n"  # the file's start, as a line's
    with path.open("rb") as fh:
        while chunk := fh.read(encodings._CHUNK):
            if mark.search(tail + chunk):
                return True
            tail = chunk[-2:]
    return False


def _one_by_one(path: pathlib.Path, delim: str = ",", above: int = 1) -> tuple:
    """What the checks one by one say of ``path``: (the refusal's words or None, lead, breaks)."""
    try:
        encodings.refuse_nul(path)
        encodings.refuse_not_utf8(path)
        return None, _lead_quote(path, delim), csv_records._breaks_in_cells(path, delim, above - 1, True, str(path))
    except InputError as exc:
        return exc.render("en"), None, None


def _one_pass(path: pathlib.Path, delim: str = ",", above: int = 1) -> tuple:
    try:
        got = csv_source.scan_csv_source(path, delim, above)
    except InputError as exc:
        return exc.render("en"), None, None
    return None, got.lead, got.breaks


CELLS = st.sampled_from(['"a\nb"', '"a\r\nb"', "x", ' "q,r"', '"say ""hi"""', "", "王", "\x00", "\xe9".encode("latin-1"),
                         '"open', "12\"", '"c\rd"', b"\xe7\x8e"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=3), min_size=1, max_size=8),
       ends=st.sampled_from([b"\n", b"\r\n", b"\r"]), chunk=st.integers(3, 11), bom=st.booleans())
def test_the_one_pass_says_what_the_checks_one_by_one_say(tmp_path, monkeypatch, rows, ends, chunk, bom):
    """Random files of line breaks in quoted cells (LF, CRLF, CR), quotes after a space, NUL bytes,
    Latin-1 and cut UTF-8 bytes, quotes never closed, read in chunks of 3-11 bytes so that every
    boundary falls somewhere (the search for a quote after a space one by one keeps a chunk's last two
    bytes for the next: a chunk of fewer than three missed it, and a chunk is 8 MB): the same refusal in the same words, the same quote after a space and
    the same line break in a cell."""
    for module in (encodings, csv_records, csv_source):  # each reads in chunks of its own _CHUNK
        monkeypatch.setattr(module, "_CHUNK", chunk)
    body = ends.join(b",".join(c if isinstance(c, bytes) else c.encode() for c in r) for r in rows)
    path = tmp_path / "t.csv"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + b"id,note,x" + ends + body + ends)
    assert _one_pass(path) == _one_by_one(path)


def test_a_spark_round_reads_its_local_csv_once_before_spark_does(tmp_path, monkeypatch):
    """The bytes read of the file by the checks (``_local_csv_options``, a 2 MB file quoted
    throughout, a note over two lines at its end): twice, and its first 64 KB for the header: the
    layout's one pass, and the count of each row's cells against the header's
    (:func:`xuanba.rounds.source_check.refuse_wider_rows`, numpy over the bytes: spark31), which
    read.py's scan does not count yet."""
    from xuanba.rounds.spark import _local_csv_options

    path = tmp_path / "tx.csv"
    lines = ['"customer_id","ts","amount","note"'] + [f'"c{i % 997}","2025-01-{1 + i % 28:02d}","{i % 50}.5","n"'
                                                      for i in range(60_000)]
    path.write_text("\n".join(lines) + '\n"c1","2025-02-01","5","two\nlines"\n', "utf-8")
    size, got = path.stat().st_size, []
    real = pathlib.Path.open

    def counted(self, *args, **kwargs):
        fh = real(self, *args, **kwargs)
        return _Counted(fh, got) if self == path else fh

    monkeypatch.setattr(pathlib.Path, "open", counted)
    told = _local_csv_options(str(path), None)
    assert told == {"multiLine": "true"}
    assert 2 * size < sum(got) <= 2 * size + (1 << 16) * 4, (size, sum(got))  # characters in text mode: the head's 64 K


class _Counted:
    """A file whose ``read`` and ``readinto`` count what they give (the rest as the file's own)."""

    def __init__(self, fh, got):
        self._fh, self._got = fh, got

    def read(self, *args):
        out = self._fh.read(*args)
        self._got.append(len(out))
        return out

    def readinto(self, buffer):
        n = self._fh.readinto(buffer)
        self._got.append(n or 0)
        return n

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __iter__(self):
        return iter(self._fh)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _spark_said(spark, path):
    from xuanba.rounds import run_round_on_engine
    from xuanba.rounds.spark import spark_source

    return run_round_on_engine(spark_source(spark, str(path)), STANDARD, CUTOFF)


@spark_test
@pytest.mark.parametrize("kind", ["told", "wider"])
def test_a_cell_opening_with_two_spaces_before_a_quote_is_refused_on_spark_by_name(tmp_path, spark, kind):
    """``a,  "x,y",5``: DuckDB and ingest read ``  "x`` and ``y"`` (a row of five cells under four
    names, which ingest refuses), where e97c1c3's Spark read ``x,y`` when told ignoreLeadingWhiteSpace
    for a quote after one space in another row (``told``), and else dropped the fifth cell silently
    (``wider``, the note last): a round with no word."""
    from xuanba import Workspace
    from xuanba.ingest import ingest

    path = tmp_path / "t.csv"
    if kind == "told":
        path.write_text('customer_id,ts,note,amount\nb,2025-01-02, "p,q",6\na,2025-01-01,  "x,y",5\n', "utf-8")
        line, row, column = 3, 2, "note"
    else:
        path.write_text('customer_id,ts,amount,note\nc,2025-01-03,7,n\na,2025-01-01,5,  "x,y"\n', "utf-8")
        line, row, column = 3, 2, "note"
    with pytest.raises(InputError) as err:
        _spark_said(spark, path)
    assert (err.value.row, err.value.column) == (row, column)
    en, zh = err.value.render("en"), err.value.render("zh")
    assert f"line {line}: the cell '  \"x' opens with two or more spaces before a quote" in en, en
    assert f"第 {line} 行：单元格 “  \"x” 在引号前有两个或更多空格" in zh and "请删掉引号前的空格" in zh, zh
    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(InputError) as ingested:
        ingest(str(path), ws)
    assert "the row has 5 fields where the header has 4" in str(ingested.value)


@spark_test
def test_two_spaces_before_a_quote_in_a_cell_of_its_own_are_read_as_duckdb_reads_them(tmp_path, spark):
    """``a,  "xy",5`` with no quote after one space elsewhere: Spark, not told to skip spaces,
    reads the cell as DuckDB does (``  "xy"``), refusing nothing: the lines the round's source
    check hands on are DuckDB's (a round on each, compared by their data hashes, until session 36)."""
    from tests._helpers import checked_lines
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.spark import spark_source

    path = tmp_path / "t.csv"
    path.write_text('customer_id,ts,note,amount\na,2025-01-01,  "xy",5\nc,2025-01-03,n,7\n', "utf-8")
    on_spark, counted = checked_lines(spark_source(spark, str(path)), CUTOFF)
    assert (on_spark, counted) == checked_lines(duckdb_source(str(path)), CUTOFF)
    assert [(c, a) for c, _, a in on_spark] == [("a", 5.0), ("c", 7.0)] and counted["used"] == 2


@spark_test
@pytest.mark.parametrize("kind", ["gbk", "titles"])
def test_a_url_csv_is_refused_where_sparks_read_of_its_header_shows_gbk_or_titles(tmp_path, spark, kind):
    """A CSV given as a URL (``file://`` here; ``s3a://`` and ``hdfs://`` alike) is not read before
    Spark: where Spark's read of its first rows shows a GBK header (replacement characters) or the
    header under two title rows, the round says so as for a local file (e97c1c3: "no column for the
    required fields", the garbled names or the title's as the columns found)."""
    path = tmp_path / "t.csv"
    if kind == "gbk":
        path.write_bytes("客户编号,下单日期,金额\nA1,2025-01-01,5\n王记,2025-02-01,7\n".encode("gbk"))
    else:
        path.write_text("销售明细表,,\n导出日期 2025-12-31,,\ncustomer_id,ts,amount\na,2025-01-01,5\n", "utf-8")
    with pytest.raises(InputError) as err:
        _spark_said(spark, path.as_uri())
    en, zh = err.value.render("en"), err.value.render("zh")
    if kind == "gbk":
        assert "garbled: the file is not UTF-8 text" in en and "Save the file as 'CSV UTF-8'" in en, en
        assert "是乱码：该文件不是 UTF-8 编码的文本" in zh, zh
    else:
        assert "the header of the --source CSV is under 2 title row(s)" in en and "--engine duckdb" in en, en
        assert "表头上方有 2 行标题" in zh, zh


@spark_test
def test_a_url_csv_whose_header_is_ascii_and_rows_gbk_is_refused(tmp_path, spark):
    """A CSV URL with an English header over GBK rows (Chinese names as ids): Spark reads each GBK
    name as replacement characters, 张三 and 李四 alike, one customer of two. c89dfa7 looked for
    them in the header alone, found none and ran the round: two customers one, silently. The local
    file is refused as GBK (the control)."""
    path = tmp_path / "t.csv"
    path.write_bytes("customer_id,ts,amount\nA1,2025-01-01,5\n张三,2025-02-01,7\n李四,2025-03-01,9\n".encode("gbk"))
    with pytest.raises(InputError):
        _spark_said(spark, path)  # the local file's check
    with pytest.raises(InputError) as err:
        _spark_said(spark, path.as_uri())
    en, zh = err.value.render("en"), err.value.render("zh")
    assert "garbled: the file is not UTF-8 text" in en and "line 3" in en and "Save the file as 'CSV UTF-8'" in en, en
    assert "是乱码：该文件不是 UTF-8 编码的文本" in zh and "第 3 行" in zh, zh
