"""Title rows above a header no alias names (某某公司销售明细, 导出日期 2024-05-01 over
会员卡号,消费时间,实收金额): the file reads as the same file without them. 7dd5749 took the title for
the header, so the file could not be read even with ``--map`` ("row 2: the row has 3 fields where
the header has 1"). The reference of each titled file is the untitled one: its error word for word
(the file's path aside), or its transactions row for row; the titled read skips exactly its titles.

A file that read before reads the same: the header 7dd5749 found (its test, the aliases alone;
the shape test disabled) is compared with the one found now, through the staged table and the
transactions, over the test data and generated files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError, SchemaError, XuanbaError
from xuanba.ingest import load, read
from xuanba.ingest.load import ingest
from xuanba.ingest.mapping import looks_like_header
from xuanba.rounds.engine import duckdb_source
from xuanba.rounds.source_check import checked_transactions

HEADER = ["会员卡号", "消费时间", "实收金额"]
ROWS = [["A1", "2024-01-02", "10"], ["A2", "2024-02-03", "5"], ["A1", "2024-03-04", "7.5"], ["A3", "2024-04-05", "2"]]
MAPPING = dict(zip(("customer_id", "ts", "amount"), HEADER, strict=True))
TITLES = {
    "one cell": [["某某公司销售明细"], ["导出日期 2024-05-01"]],
    "cells then empties": [["某某公司销售明细", "", ""], ["导出日期", "2024-05-01", ""]],
    "a blank line": [["某某公司销售明细"], [], ["导出日期：2024-05-01"]],
}
FORMATS = [(d, e) for d in (",", ";", "\t") for e in ("utf-8", "utf-8-sig", "gb18030")] + [("xlsx", ""), ("xls", "")]
CUTOFF = dt.date(2025, 12, 31)


def _write(path: Path, records: list[list[str]], delim: str, encoding: str) -> Path:
    """``records`` as a CSV file (CR LF, as Excel writes it) or, for ``xlsx`` and ``xls`` (the old
    Excel 97-2003 workbook Chinese ERPs still export, written by xlwt), a workbook's first sheet."""
    if delim == "xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("销售明细")
        for i, record in enumerate(records):
            for j, cell in enumerate(record):
                if cell != "":  # an empty cell is no cell of the sheet, as Excel writes it
                    sheet.write(i, j, cell)
        book.save(str(path))
        return path
    if delim == "xlsx":
        book = openpyxl.Workbook()
        for record in records:
            book.active.append(record)
        book.save(path)
        return path
    path.write_bytes(("\r\n".join(delim.join(r) for r in records) + "\r\n").encode(encoding))
    return path


def _pair(tmp_path: Path, titles: list[list[str]], delim: str, encoding: str,
          header: list[str] = HEADER) -> tuple[Path, Path]:
    """(the file without titles, the same file under ``titles``), of one name in two folders."""
    name = f"sales.{delim}" if delim in ("xlsx", "xls") else "sales.csv"
    (tmp_path / "plain").mkdir(parents=True)
    (tmp_path / "titled").mkdir()
    return (_write(tmp_path / "plain" / name, [header, *ROWS], delim, encoding),
            _write(tmp_path / "titled" / name, [*titles, header, *ROWS], delim, encoding))


def _said(path: Path, mapping: dict[str, str] | None = None) -> dict[str, str]:
    """The error ingest gives for ``path``, in both languages, the folder of the file left out."""
    with Workspace(":memory:") as ws, pytest.raises(XuanbaError) as err:
        ingest(path, ws, mapping=mapping)
    return {lang: err.value.render(lang).replace(str(path.parent), "") for lang in ("en", "zh")}


def _loaded(path: Path, mapping: dict[str, str] | None = None) -> tuple[list[tuple], load.SourceReport]:
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, mapping=mapping, tz="UTC")
        rows = ws.con.execute("SELECT customer_id, ts, amount FROM transactions ORDER BY ALL").fetchall()
    source = report.sources[0]
    assert source.input_rows == source.loaded + source.merged + source.rejected  # every input row accounted for
    return rows, source


def _titled(tmp_path: Path, titles: list[list[str]], delim: str, encoding: str) -> Path:
    """The file of :func:`_pair` under ``titles`` alone (the untitled one: :func:`untitled`)."""
    name = f"sales.{delim}" if delim in ("xlsx", "xls") else "sales.csv"
    return _write(tmp_path / name, [*titles, HEADER, *ROWS], delim, encoding)


@pytest.fixture(scope="module")
def untitled(tmp_path_factory):
    """``untitled(read, delim, encoding)``: ``read`` (:func:`_said` or :func:`_loaded` with
    :data:`MAPPING`) of the file without titles in that format, read once for the module. It is
    the reference of the format's three titled files, the same file whichever titles they hold."""
    done: dict[tuple, object] = {}

    def untitled(read, delim: str, encoding: str):  # noqa: ANN001, ANN202
        if (read, delim, encoding) not in done:
            name = f"sales.{delim}" if delim in ("xlsx", "xls") else "sales.csv"
            path = _write(tmp_path_factory.mktemp("plain") / name, [HEADER, *ROWS], delim, encoding)
            done[read, delim, encoding] = _said(path) if read is _said else _loaded(path, MAPPING)
        return done[read, delim, encoding]

    return untitled


@pytest.mark.parametrize("titles", TITLES.values(), ids=TITLES.keys())
@pytest.mark.parametrize(("delim", "encoding"), FORMATS)
def test_a_titled_file_whose_header_no_alias_names_fails_as_the_untitled_one(tmp_path, untitled, titles, delim,
                                                                              encoding):
    titled = _titled(tmp_path, titles, delim, encoding)
    reference = untitled(_said, delim, encoding)
    assert "no column for the required fields" in reference["en"] and "会员卡号" in reference["zh"]  # the reference
    assert _said(titled) == reference


@pytest.mark.parametrize("titles", TITLES.values(), ids=TITLES.keys())
@pytest.mark.parametrize(("delim", "encoding"), FORMATS)
def test_a_titled_file_whose_header_no_alias_names_reads_with_map(tmp_path, untitled, titles, delim, encoding):
    titled = _titled(tmp_path, titles, delim, encoding)
    want, plain_source = untitled(_loaded, delim, encoding)
    got, source = _loaded(titled, MAPPING)
    assert len(want) == len(ROWS) and got == want
    assert source.input_rows == plain_source.input_rows == len(ROWS)
    # the titles skipped, blank lines too (an Excel blank row is not a row of the sheet: counted the same)
    assert source.lines_above_header == len(titles)


def test_a_partial_map_and_an_alias_name_the_header_together(tmp_path):
    """``--map customer_id=会员卡号`` beside 消费时间 and the alias 金额: short of the date, no row
    names the fields, the header is found by its shape and the date said missing, as without titles;
    with ``--map ts=消费时间`` too, the mapped columns and the alias name it."""
    header = ["会员卡号", "消费时间", "金额"]
    plain, titled = _pair(tmp_path, TITLES["one cell"], ",", "utf-8", header)
    assert _said(titled, {"customer_id": "会员卡号"}) == _said(plain, {"customer_id": "会员卡号"})
    mapping = {"customer_id": "会员卡号", "ts": "消费时间"}
    assert _loaded(titled, mapping)[0] == _loaded(plain, mapping)[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_commands_of_the_report(tmp_path, lang):
    """The two commands that failed on 7dd5749, as a user types them."""
    path = tmp_path / "unknown.csv"
    path.write_text("某某公司销售明细\n导出日期 2024-05-01\n会员卡号,消费时间,实收金额\nA1,2024-01-02,10\nA2,2024-02-03,5\n",
                    encoding="utf-8")
    bare = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "ws.duckdb")])
    assert bare.exit_code == 2 and "fields where the header has" not in bare.output, bare.output
    assert {"en": "no column for the required fields 'customer_id', 'ts'; columns found: 会员卡号, 消费时间, 实收金额",
            "zh": "找不到必需字段“customer_id”、“ts”对应的列；文件中的列有：会员卡号、消费时间、实收金额"}[lang] in bare.output
    assert {"en": "candidates in the file: 会员卡号", "zh": "文件中可能对应的列：会员卡号"}[lang] in bare.output
    assert "--map customer_id=<column> --map ts=<column>" in bare.output
    mapped = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--map", "customer_id=会员卡号", "--map",
                                      "ts=消费时间", "--map", "amount=实收金额", "--workspace", str(tmp_path / "ws2.duckdb")])
    assert mapped.exit_code == 0, mapped.output
    with Workspace(tmp_path / "ws2.duckdb") as ws:
        assert ws.con.execute("SELECT count(*), sum(amount) FROM transactions").fetchone() == (2, 15)


@pytest.mark.parametrize("titles", [TITLES["one cell"], TITLES["cells then empties"], [["销售明细表", "", ""], [],
                                                                                        ["导出时间: 2026-07-01", "", ""]]])
def test_an_engine_rounds_csv_source_finds_the_header_where_ingest_does(tmp_path, titles):
    """``xuanba round --engine duckdb --source FILE``: DuckDB's sniffer took a title with commas
    (``销售明细表,,``) for the header, where ingest skipped it; now one finder serves both. The
    untitled file on the engine is the reference: its error, its rows."""
    plain, titled = _pair(tmp_path, titles, ",", "utf-8")

    def said(path: Path) -> dict[str, str]:
        with pytest.raises(SchemaError) as err:
            checked_transactions(duckdb_source(path), CUTOFF)
        return {lang: err.value.render(lang).replace(str(path.parent), "") for lang in ("en", "zh")}

    def rows(path: Path) -> tuple[list[tuple], dict]:
        table, counts = checked_transactions(duckdb_source(path, mapping=MAPPING), CUTOFF, mapping=MAPPING)
        got = table.select("customer_id", "ts", "amount").to_pyarrow().to_pylist()
        return sorted((r["customer_id"], str(r["ts"]), float(r["amount"])) for r in got), counts

    assert said(titled) == said(plain)
    want = rows(plain)
    assert len(want[0]) == len(ROWS) and rows(titled) == want
    known, _ = _pair(tmp_path / "known", titles, ",", "utf-8", ["客户编号", "下单日期", "金额"])
    table, counts = checked_transactions(duckdb_source(known), CUTOFF)  # the aliases: no map
    assert counts["input_rows"] == counts["used"] == len(ROWS)


def test_a_file_without_a_header_keeps_its_first_row_as_the_header(tmp_path):
    """A file of rows only (no header) is not given a body row for a header: the first line stays
    the header and the error says the file may have none (--columns), titled or not; read with
    --columns, every line is a row."""
    rows = [["A1", "2024-01-02", "10"], ["B2", "王", "陈"], ["A2", "2024-02-03", "5"]]  # a row of text among them
    for titles in ([], [["某某公司销售明细"]], [["某某公司销售明细", "", ""]]):
        path = _write(tmp_path / f"rows{len(titles)}.csv", [*titles, *rows], ",", "utf-8")
        with duckdb.connect() as con:
            try:
                staged = read.stage(con, path, "_raw", find_header=looks_like_header)
            except InputError:  # one title cell: a header of one name, refused for the rows under it
                assert titles == [["某某公司销售明细"]]
            else:
                assert staged.skipped == 0 and staged.header[0] == (titles[0][0] if titles else "A1")
    with Workspace(":memory:") as ws, pytest.raises(SchemaError) as err:
        ingest(tmp_path / "rows0.csv", ws)
    assert "--columns col1,col2,col3" in err.value.render("en")
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "rows0.csv", ws, columns=["customer_id", "ts", "amount"])
    assert report.input_rows == 3 and report.loaded + report.rejected == 3 and report.rejected == 1


value = st.one_of(st.integers(-10**6, 10**6).map(str), st.dates().map(str), st.sampled_from(["¥1,234.50", "12.5"]))
text = st.text(st.characters(categories=["L"]), min_size=1, max_size=4)


@given(width=st.integers(2, 5), data=st.data())
@settings(max_examples=200, deadline=None)
def test_a_row_of_values_under_titles_is_never_a_header(width, data):
    """The shape test takes no row holding a number or a date (a file of rows only stays so), and
    no row under a full row (the first full row decides)."""
    titles = data.draw(st.lists(st.lists(text, max_size=width - 1), max_size=3))  # narrower than the rows
    body = data.draw(st.lists(st.lists(st.one_of(text, value), min_size=width, max_size=width)
                              .filter(lambda r: any(read._is_value(c) for c in r)), min_size=1, max_size=5))
    rows = [[*t, *[""] * (width - len(t))] for t in titles] + body
    assert read._header_by_shape(rows) == 0
    full = data.draw(st.lists(text, min_size=width, max_size=width))
    assert read._header_by_shape([full, *rows]) == 0


# -- the files that read on 7dd5749 read the same -------------------------------------------------------
def _old_test(kind: str, mapping: object) -> object:
    """7dd5749's header test: the aliases alone (no --map column)."""
    return looks_like_header if kind == "transactions" else load._side_header(kind)


def _as_before():
    """7dd5749's header finder: the test of the aliases alone, no header found by its shape."""
    return mock.patch.multiple(read, _header_by_shape=lambda rows: 0), mock.patch.object(load, "_header_test", _old_test)


def _staged(path: Path, mapping: dict[str, str] | None = None) -> tuple[int, list[str], list[tuple]] | None:
    """(lines above the header, the header, the rows) of ``path`` staged as ingest stages it."""
    with duckdb.connect() as con:
        try:
            staged = read.stage(con, path, "_raw", find_header=load._header_test("transactions", mapping))
        except XuanbaError:
            return None
        return staged.skipped, staged.header, con.execute("SELECT * FROM _raw ORDER BY _xb_row").fetchall()


DATA = Path(__file__).parent / "data"
FILES = [*(DATA / n for n in ("CDNOW_sample.txt", "cdnow_customers_summary.csv", "donations.csv",
                                "cdnow_customers_summary_with_transactions.csv", "erp_export.xls")),
         Path(read.__file__).parent.parent / "demo" / "data" / "demo_sales_gbk.csv"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_test_data_stages_as_before(path):
    old_shape, old_test = _as_before()
    with old_shape:
        before = _staged(path)
    assert before is not None, path  # each reads
    assert _staged(path) == before


TITLE_POOL = ["销售明细表", "导出日期 2024-05-01", "Sales report,,", "报表,2024-05-01,", "制表人,张三,审核", "", "1,2,3",
              "合计,100,", "备注"]
HEADER_POOL = [["客户编号", "下单日期", "金额"], ["customer", "date", "amount"], HEADER, ["编号", "时间点", "收款"],
               ["会员卡号", "", "实收金额"], ["会员卡号", "会员卡号", "实收金额"], None]  # None: no header line
ROW = st.tuples(st.sampled_from(["A1", "B2", "王", ""]), st.sampled_from(["2024-01-02", "2024/3/4", "x", "10"]),
                st.sampled_from(["10", "5.5", "-3", "", "x"])).map(list)


@given(titles=st.lists(st.sampled_from(TITLE_POOL), max_size=3), header=st.sampled_from(HEADER_POOL),
       rows=st.lists(ROW, min_size=1, max_size=5),
       delim=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       mapped=st.booleans())
# Each example ingests its file four times (≈ 0.3 s of CPU): 50 drawn, and the shapes the pools make
# rare, each explicit: titles over a named or an unnamed column, a title of numbers, a delimiter
# in a title, no header line, an empty or a twice-used header cell, tab and GB 18030, --map or not.
@example(titles=["销售明细表", "导出日期 2024-05-01"], header=["客户编号", "下单日期", "金额"],
         rows=[["A1", "2024-01-02", "10"], ["B2", "2024/3/4", "5.5"]], delim="\t", encoding="gb18030", mapped=False)
@example(titles=["Sales report,,", "制表人,张三,审核"], header=HEADER, rows=[["王", "2024-01-02", "-3"]],
         delim=",", encoding="utf-8-sig", mapped=True)
@example(titles=["1,2,3", "合计,100,"], header=["customer", "date", "amount"], rows=[["A1", "x", "10"]],
         delim=";", encoding="utf-8", mapped=False)
@example(titles=["报表,2024-05-01,"], header=None, rows=[["A1", "2024-01-02", "10"], ["", "10", "x"]],
         delim=",", encoding="utf-8", mapped=True)
@example(titles=["备注"], header=["会员卡号", "", "实收金额"], rows=[["B2", "2024-01-02", "5.5"]],
         delim=",", encoding="gb18030", mapped=True)
@example(titles=[], header=["会员卡号", "会员卡号", "实收金额"], rows=[["A1", "2024-01-02", "10"]],
         delim="\t", encoding="utf-8", mapped=False)
@example(titles=["", "销售明细表"], header=["编号", "时间点", "收款"], rows=[["A1", "2024/3/4", ""], ["王", "10", "5.5"]],
         delim=";", encoding="gb18030", mapped=True)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_files_that_read_before_read_the_same(tmp_path_factory, titles, header, rows, delim, encoding,
                                                        mapped):
    """Any file 7dd5749 ingested (with --map or not) gives the same staged table and the same
    transactions; what changes is only files it could not read."""
    lines = [t.replace(",", delim) for t in titles] + ([delim.join(header)] if header else []) + [delim.join(r) for r in rows]
    path = tmp_path_factory.mktemp("gen") / "f.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    mapping = dict(zip(("customer_id", "ts", "amount"), header or HEADER, strict=True)) if mapped else None
    mapping = {f: c for f, c in (mapping or {}).items() if c} or None
    old_shape, old_test = _as_before()
    with old_shape, old_test:
        try:
            want = _loaded(path, mapping)
        except XuanbaError:
            event("7dd5749 refused the file")
            return
        before = _staged(path, mapping)
    event(f"7dd5749 read it, {want[1].lines_above_header} lines above the header")
    assert before is not None and _staged(path, mapping) == before
    got = _loaded(path, mapping)
    assert got[0] == want[0] and got[1].lines_above_header == want[1].lines_above_header


def test_names_alike_but_for_case_are_no_header_by_shape():
    """Two cells of one name are no header by shape (DuckDB reads them as one): the first row stays."""
    assert read._header_by_shape([["报表"], ["金额", "AMOUNT", "amount"], ["1", "2", "3"]]) == 0
    assert read._header_by_shape([["报表"], ["ＡＭＯＵＮＴ", "x", "amount"], ["1", "2", "3"]]) == 0


def test_a_side_tables_header_under_titles_is_found_by_its_mapped_column(tmp_path):
    """A customers table (text only: no shape to go by) under titles, its id column one no alias
    names: ``--map customer_id=会员卡号`` finds its header, as it reads the untitled table."""
    rows = [["会员卡号", "姓名", "地区"], ["A1", "王", "上海"], ["A2", "陈", "北京"]]
    plain = _write(tmp_path / "plain.csv", rows, ",", "utf-8")
    titled = _write(tmp_path / "titled.csv", [["客户资料", "", ""], ["导出日期 2024-05-01"], *rows], ",", "gb18030")
    got = []
    for path in (plain, titled):
        with Workspace(":memory:") as ws:
            report = ingest(path, ws, kind="customers", mapping={"customer_id": "会员卡号"})
            got.append(ws.con.execute("SELECT customer_id, name, region FROM customers ORDER BY ALL").fetchall())
        assert report.loaded == 2 and report.sources[0].lines_above_header == (2 if path == titled else 0)
    assert got[0] == got[1] == [("A1", "王", "上海"), ("A2", "陈", "北京")]


def test_an_engine_glob_whose_files_hold_the_header_on_different_lines_is_refused_by_name(tmp_path):
    """``--source 'exports/*.csv'``: DuckDB reads every file with the first file's ``skip``; a file
    with fewer title lines lost its header and first rows to it, and DuckDB said a schema mismatch
    naming that file's data (``"B1" is missing``). Now the file whose header sits apart is named, with
    both lines; files with their headers alike (two titled ones) read every row."""
    folder = tmp_path / "exports"
    folder.mkdir()
    _write(folder / "a.csv", [*TITLES["one cell"], HEADER, *ROWS[:2]], ",", "utf-8")
    _write(folder / "b.csv", [HEADER, *ROWS[2:]], ",", "utf-8")
    with pytest.raises(InputError) as err:
        duckdb_source(str(folder / "*.csv"), mapping=MAPPING)
    en, zh = (err.value.render(lang) for lang in ("en", "zh"))
    assert "b.csv" in en and "line 3" in en and "line 1" in en and "DuckDB's words" not in en, en
    assert "b.csv" in zh and "第 3 行" in zh and "第 1 行" in zh and "原话" not in zh, zh
    _write(folder / "b.csv", [*TITLES["one cell"], HEADER, *ROWS[2:]], ",", "utf-8")
    table, counts = checked_transactions(duckdb_source(str(folder / "*.csv"), mapping=MAPPING), CUTOFF, mapping=MAPPING)
    assert counts["input_rows"] == counts["used"] == len(ROWS)


@pytest.mark.parametrize("money", ["{}", "¥{}.50"])
def test_an_engine_source_under_a_title_over_two_lines_reads_from_its_header(tmp_path, money):
    """A title cell typed with Alt+Enter (``"销售<break>明细表",,``) is one record over two lines. The
    skip is counted in records, as ingest reads the file; DuckDB counted it in lines where its sniffer
    read no quote (a quote in the title alone, thousands of rows under it) and took ``导出,,`` for the
    header; and its sniffer fails on the title's bare LF in a file of CR LF lines (ingest's too).
    Amounts as numbers and as text (read by ingest's SQL). Ingest's rows are the reference."""
    rows = [[f"A{i % 50}", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}", money.format(i % 97 + 1)] for i in range(3000)]
    path = _write(tmp_path / "sales.csv", [['"销售\n明细表"', "", ""], ["导出", "", ""], HEADER, *rows], ",", "utf-8")
    table, counts = checked_transactions(duckdb_source(str(path), mapping=MAPPING), CUTOFF, mapping=MAPPING)
    assert counts["input_rows"] == counts["used"] == len(rows)
    got = table.select("customer_id", "amount").to_pyarrow().to_pylist()
    want, _ = _loaded(path, MAPPING)
    assert len(want) == len(rows)
    assert sorted((r["customer_id"], float(r["amount"])) for r in got) == sorted((c, float(a)) for c, _, a in want)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_a_header_with_an_empty_cell_stays_the_header(tmp_path, fmt):
    """A customers export whose id column has no name (pandas' index, an unnamed column): the
    column is ``column0`` (a sheet's ``column1``) and ``--map customer_id=column0`` read it on
    7dd5749. The header then names no required field, and the first customer (``VIP001,王,上海``: a
    full row of names over a row holding a number, ``10002``) was taken for the header by its shape:
    the mapping failed. A row as wide as the table with one cell empty is a header, not a title."""
    rows = [["", "姓名", "地区"], ["VIP001", "王", "上海"], ["10002", "陈", "北京"]]
    path = _write(tmp_path / f"customers.{fmt}", rows, fmt if fmt != "csv" else ",", "utf-8")
    assert read._header_by_shape(rows) == 0
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, kind="customers", mapping={"customer_id": "column0" if fmt == "csv" else "column1"})
        got = ws.con.execute("SELECT customer_id, name, region FROM customers ORDER BY ALL").fetchall()
    assert report.loaded == 2 and got == [("10002", "陈", "北京"), ("VIP001", "王", "上海")]


@pytest.mark.parametrize("fmt", [",", "xlsx", "xls"])
def test_a_side_table_of_text_alone_under_titles_names_its_own_header(tmp_path, fmt):
    """A reps table (no number nor date under its header) under an ERP's title rows: its header is
    found by its shape, so a refusal lists its columns and says how to map one (on 7200db1 the title
    was taken for the header and the refusal, in English only, listed nothing and asked for Python's
    ``mapping=``); mapped, it reads as the untitled table."""
    rows = [["Rep No", "Rep Name", "Area"], ["K001", "王五", "华东"], ["K002", "李四", "华南"], ["K003", "张三", "华北"]]
    suffix = "csv" if fmt == "," else fmt
    titled = _write(tmp_path / f"reps.{suffix}", [["XX贸易有限公司 客户档案", "", ""], ["导出人：王五", "", ""], *rows],
                    fmt, "gb18030")
    plain = _write(tmp_path / f"plain.{suffix}", rows, fmt, "utf-8")
    said = {}
    for lang in ("en", "zh"):
        res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(titled), "--kind", "customers", "-w",
                                       str(tmp_path / f"{lang}.duckdb")], env={"COLUMNS": "1000"})
        assert res.exit_code == 2, res.output
        said[lang] = " ".join(res.output.split())
    assert "columns found: 'Rep No', 'Rep Name', 'Area'" in said["en"] and "--map customer_id=" in said["en"]
    assert "文件中的列有：“Rep No”、“Rep Name”、“Area”" in said["zh"] and "解决办法" in said["zh"]
    assert "is missing" not in said["zh"] and "XX贸易" not in said["en"]
    got = []
    for path in (plain, titled):
        with Workspace(":memory:") as ws:
            ingest(path, ws, kind="customers", mapping={"customer_id": "Rep No"})
            got.append(ws.con.execute("SELECT * FROM customers ORDER BY ALL").fetchall())
    assert got[0] == got[1] and len(got[0]) == 3


def test_a_table_of_text_alone_is_found_under_titles_only():
    assert read._header_by_shape([["客户档案", ""], ["导出人", ""], ["编号", "地区"], ["K1", "华东"]]) == 2
    assert read._header_by_shape([["编号", "地区"], ["K1", "华东"]]) == 0  # no title: the first row, as before
    assert read._header_by_shape([["客户档案", ""], ["编号", "地区"]]) == 0  # nothing under it
    assert read._header_by_shape([["客户档案", ""], ["编号", "编号"], ["K1", "华东"]]) == 0  # two cells alike
