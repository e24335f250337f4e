"""CSV files whose quoted cells hold line breaks (a note or an address typed on two lines, as ERP
and Excel exports write them): each record read once with its break kept, rows numbered by record,
and a quote left open refused with its row and line. The reference is Python's csv module, which
reads CSV as Excel writes it (RFC 4180)."""

from __future__ import annotations

import csv
import io

import duckdb
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xuanba import InputError, Workspace
from xuanba.cli import app
from xuanba.ingest import ingest
from xuanba.ingest.csv_records import _breaks_in_cells
from xuanba.ingest.read import ROW, quote, stage

HEADER = ["customer", "date", "amount", "product"]


def _csv(rows: list[list[str]], *, newline: str = "\n", header: list[str] = HEADER) -> str:
    """The text csv.writer writes (a cell holding a quote, a delimiter or a line break is quoted)."""
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows([header, *rows])
    return out.getvalue()


def _reference(text: str) -> list[list[str]]:
    """The data records of ``text`` as the csv module reads them (blank lines skipped)."""
    return [r for r in csv.reader(io.StringIO(text, newline=""))][1:]


def _tx(ws: Workspace) -> pd.DataFrame:
    return ws.sql("SELECT customer_id, amount, product, source_row FROM transactions ORDER BY source_row")


def _sales(n: int, *, start: int = 0) -> list[list[str]]:
    return [[f"C{i % 97}", f"2026-0{1 + i % 9}-1{i % 10}", f"{1 + i % 50}.5", f"p{i}"] for i in range(start, start + n)]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("cell", ["line one\nline two", "first\r\nsecond", 'say ""hi""\nthere', "a\n\nb, c\n"])
def test_a_line_break_in_a_quoted_cell_is_kept_and_its_record_counted_once(tmp_path, newline, cell):
    text = cell.replace('""', '"')
    rows = [["A", "2026-06-01", "5", text], ["B", "2026-06-02", "6", "plain"], ["A", "2026-06-03", "7", "x"]]
    path = tmp_path / "notes.csv"
    path.write_text(_csv(rows, newline=newline), encoding="utf-8", newline="")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        tx = _tx(ws)
    assert report.input_rows == report.loaded == len(_reference(path.read_text(encoding="utf-8"))) == 3
    assert list(tx["product"]) == [r[3] for r in rows] and text in set(tx["product"])
    assert list(tx["customer_id"]) == ["A", "B", "A"] and list(tx["source_row"]) == [1, 2, 3]


def test_a_bad_cell_below_multi_line_cells_is_rejected_with_its_record_number(tmp_path):
    rows = [["A", "2026-06-01", "5", "three\nlines\nhere"], ["B", "2026-06-02", "6", "two\nlines"],
            ["C", "2026-06-03", "abc", "x"], ["D", "2026-06-04", "8", "y"]]
    path = tmp_path / "bad.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    records = _reference(path.read_text(encoding="utf-8"))
    bad = next(i for i, r in enumerate(records, start=1) if r[2] == "abc")  # the record, not the line (6)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        rejects = ws.sql('SELECT source_row, "column", value, reason FROM rejects').values.tolist()
    assert bad == 3 and path.read_text().splitlines().index("C,2026-06-03,abc,x") == 6
    assert rejects == [[bad, "amount", "abc", "non-numeric amount"]]
    assert report.input_rows == 4 and report.loaded == 3 and report.rejected == 1


def test_a_line_break_far_below_any_sample_is_found_and_read(tmp_path):
    """One multi-line cell after 60,000 plain rows (DuckDB sniffs 20,480, ingest's head 64 KB)."""
    rows = [*_sales(60_000), ["Z", "2026-06-30", "9", "far\ndown"], *_sales(5, start=60_000)]
    rows[60_003][2] = "bad"
    text = _csv(rows)
    path = tmp_path / "far.csv"
    path.write_text(text, encoding="utf-8")
    assert _breaks_in_cells(path, ",", 0, True, str(path))
    assert '"' not in text[: 1 << 16]
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        far = ws.sql("SELECT product, source_row FROM transactions WHERE customer_id = 'Z'").values.tolist()
        rejects = ws.sql("SELECT source_row, value FROM rejects").values.tolist()
    assert report.input_rows == len(_reference(text)) == 60_006
    assert far == [["far\ndown", 60_001]] and rejects == [[60_004, "bad"]]


def test_the_parallel_reader_stays_for_files_without_a_break_in_a_cell(tmp_path):
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(_csv([["A", "2026-06-01", "1,234.50", 'a "b", c']] * 3), encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text(_csv([["A", "2026-06-01", "5", "x"]] * 3), encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(_csv([["A", "2026-06-01", "5", "x\ny"]]), encoding="utf-8")
    assert [_breaks_in_cells(p, ",", 0, True, str(p)) for p in (quoted, plain, broken)] == [False, False, True]


def test_a_gbk_file_with_a_line_break_in_a_quoted_cell(tmp_path):
    rows = [["客户甲", "2026-06-01", "5", "北京市海淀区\n中关村大街1号"], ["客户乙", "2026-06-02", "6", "上海"]]
    text = _csv(rows, newline="\r\n", header=["客户编号", "下单日期", "金额", "产品"])
    for encoding in ("gbk", "gb18030"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        with Workspace(":memory:") as ws:
            report = ingest(path, ws)
            tx = _tx(ws)
        assert report.sources[0].encoding == "gb18030" and report.input_rows == 2
        assert list(tx["product"]) == ["北京市海淀区\n中关村大街1号", "上海"]


def test_title_lines_above_the_header_and_a_line_break_in_a_cell(tmp_path):
    body = _csv([["A", "2026-06-01", "5", "x\ny"], ["B", "2026-06-02", "6", "z"], ["C", "2026-06-03", "no", "w"]],
                header=["客户编号", "下单日期", "金额", "产品"])
    for title in ("销售明细表\n\n", '"销售明细表\n2026年6月",\n'):  # the second title is one record on two lines
        path = tmp_path / "titled.csv"
        path.write_text(title + body, encoding="utf-8")
        with Workspace(":memory:") as ws:
            report = ingest(path, ws)
            tx = _tx(ws)
            rejects = ws.sql("SELECT source_row, value FROM rejects").values.tolist()
        assert list(tx["customer_id"]) == ["A", "B"] and list(tx["product"]) == ["x\ny", "z"]
        assert rejects == [[3, "no"]] and report.input_rows == 3
        assert report.sources[0].lines_above_header == 2


def test_a_short_row_beside_a_multi_line_cell_is_padded_not_refused(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text('customer,date,amount,product,channel\nA,2026-06-01,5,"x\ny",web\nB,2026-06-02,6\n',
                    encoding="utf-8")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        tx = ws.con.execute("SELECT customer_id, product, channel FROM transactions ORDER BY source_row").fetchall()
    assert report.loaded == 2 and tx == [("A", "x\ny", "web"), ("B", None, None)]


def test_headerless_file_with_a_line_break_in_a_cell(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text('A,2026-06-01,5,"x\ny"\nB,2026-06-02,6,z\n', encoding="utf-8")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, columns=["customer", "date", "amount", "product"])
        assert list(_tx(ws)["product"]) == ["x\ny", "z"] and report.input_rows == 2


@pytest.mark.parametrize("columns", [None, ["customer", "date", "amount", "product"]])
@pytest.mark.parametrize("plain_rows", [2, 30_000])  # within DuckDB's sniffing sample and beyond it
def test_a_quote_never_closed_is_refused_with_its_row_and_line(tmp_path, columns, plain_rows):
    """DuckDB's one-thread reader drops a record whose quote the end of the file closes, silently."""
    head = "" if columns else "customer,date,amount,product\n"
    body = 'A,2026-06-01,5,"x\ny"\n' + "".join(f"B{i},2026-06-02,6,z\n" for i in range(plain_rows))
    path = tmp_path / "open.csv"
    path.write_text(head + body + 'C,2026-06-03,7,"never closed\nD,2026-06-04,8,w\n', encoding="utf-8")
    row, line = plain_rows + 2, plain_rows + 3 + bool(head)
    with Workspace(":memory:") as ws:
        with pytest.raises(InputError) as err:
            ingest(path, ws, columns=columns)
        assert not ws.con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'transactions'").fetchall()
    assert err.value.row == row and err.value.file == str(path)
    assert f"line {line:,} of the file and is never closed" in str(err.value) and "CSV Error" not in str(err.value)
    zh = CliRunner().invoke(app, ["--lang", "zh", "ingest", str(path), "-w", str(tmp_path / "w.duckdb")]
                            + (["--columns", ",".join(columns)] if columns else []))
    assert zh.exit_code == 2 and f"第 {row} 行：文件第 {line:,} 行有一个单元格以引号开头" in zh.output
    assert "补上闭合的引号" in zh.output and "Traceback" not in zh.output


@pytest.mark.parametrize("plain_rows", [0, 30_000])  # in DuckDB's sniffing sample, and beyond it
def test_too_many_fields_below_a_multi_line_cell_names_the_record(tmp_path, plain_rows):
    """Named by its row: records, not lines, and blank lines no rows (DuckDB's error counts both)."""
    path = tmp_path / "extra.csv"
    path.write_text('customer,date,amount,product\nA,2026-06-01,5,"x\ny\nz"\n\n\nB,2026-06-02,6,w\n'
                    + "D,2026-06-04,8,v\n" * plain_rows + "C,2026-06-03,7,u,EXTRA\n" + "D,2026-06-04,8,v\n" * 30_000,
                    encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(InputError) as err:
        ingest(path, ws)
    assert err.value.row == 3 + plain_rows and "the row has 5 fields where the header has 4" in str(err.value)
    assert "CSV Error" not in str(err.value)


def test_excel_cells_with_line_breaks(tmp_path):
    book = openpyxl.Workbook()
    for row in (HEADER, ["A", "2026-06-01", 5, "北京\n海淀"], ["B", "2026-06-02", 6, "x"]):
        book.active.append(row)
    book.save(tmp_path / "notes.xlsx")
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "notes.xlsx", ws)
        assert list(_tx(ws)["product"]) == ["北京\n海淀", "x"] and report.input_rows == 2


cell = st.lists(st.sampled_from([*"ab,\"\n 客", "\r\n"]), max_size=6).map("".join)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8), crlf=st.booleans())
def test_staged_cells_equal_the_csv_modules_reading(tmp_path_factory, rows, crlf):
    """Any cells csv.writer quotes (quotes, delimiters, line breaks) stage as the csv module reads them."""
    rows = [["k", *r] for r in rows]  # a first cell that is never empty: no record is a blank line
    text = _csv(rows, newline="\r\n" if crlf else "\n", header=["id", "x", "y", "z"])
    path = tmp_path_factory.mktemp("p") / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    con = duckdb.connect()
    staged = stage(con, path, "_raw")
    got = con.execute(f'SELECT id, x, y, z FROM _raw ORDER BY {ROW}').fetchall()
    assert staged.rows == len(rows)
    assert [[c or "" for c in r] for r in got] == _reference(text)


@settings(max_examples=60, deadline=None)
@given(head=st.lists(cell.filter(lambda c: not c.endswith(" ")), min_size=3, max_size=3), rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=5),
       crlf=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_header_cells_with_line_breaks_stage_as_the_csv_modules_reading(tmp_path_factory, head, rows, crlf, encoding):
    """Header cells holding any breaks, quotes and delimiters, in files of LF or CR LF (a break in a cell
    written as it is: Excel's Alt+Enter is a bare LF in a file of CR LF): the header as written and
    every cell as the csv module reads them. 7dd5749 stopped at a header whose first break is a bare
    LF in a file of CR LF (or a CR LF in a file of LF). Not drawn, a header matter apart from breaks:
    a header cell ending in a space (DuckDB names ``"h, "`` ``h,``). A cell holding ``, "`` is drawn:
    c9288b0's header as written dropped that space (``h,"`` where DuckDB names the column ``h, "``)."""
    header = ["id", *(f"h{i}{c}" for i, c in enumerate(head))]
    text = _csv([["k", *r] for r in rows], newline="\r\n" if crlf else "\n", header=header)
    path = tmp_path_factory.mktemp("h") / "t.csv"
    path.write_bytes(text.encode(encoding))
    con = duckdb.connect()
    staged = stage(con, path, "_raw")
    got = con.execute(f"SELECT * EXCLUDE ({ROW}) FROM _raw ORDER BY {ROW}").fetchall()
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert staged.header == records[0] == header and staged.rows == len(rows)
    assert [[c or "" for c in r] for r in got] == records[1:]


@pytest.mark.parametrize(("name", "text", "columns"), [
    ("title.csv", 'Report "Q3 2026\n\ncustomer,date,amount,product\n', None),  # a title with one quote
    ("header.csv", 'customer,date,amount,pro"duct\n', None),  # a quote inside a header cell
    ("inch.txt", "customer date amount product\n", None),  # whitespace-delimited: quotes are text
    ("noheader.csv", "", ["customer", "date", "amount", "product"]),
])
def test_a_quote_inside_a_cell_does_not_join_the_lines_of_the_head(tmp_path, name, text, columns):
    """A quote that is not at the start of a cell is a character (an inch mark, Excel's unquoted
    ``ab"c``), as the csv module and DuckDB read it: the lines around it stay records of their own."""
    sep = " " if name.endswith(".txt") else ","
    rows = [["A", "2026-06-01", "5", '12"pipe'], ["B", "2026-06-02", "abc", "y"], ["C", "2026-06-03", "7", '3"bolt']]
    path = tmp_path / name
    path.write_text(text + "".join(sep.join(r) + "\n" for r in rows), encoding="utf-8")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, columns=columns)
        tx = ws.sql("SELECT customer_id, product, source_row FROM transactions ORDER BY source_row").values.tolist()
        rejects = ws.sql("SELECT source_row, value FROM rejects").values.tolist()
    assert [[r[0], r[2]] for r in tx] == [["A", 1], ["C", 3]] and rejects == [[2, "abc"]]
    assert [r[1] for r in tx] == ([None, None] if 'pro"duct' in text else ['12"pipe', '3"bolt'])  # pro"duct: no alias
    assert (report.input_rows, report.loaded, report.rejected) == (3, 2, 1)
    assert report.sources[0].lines_above_header == (2 if name == "title.csv" else 0)


def test_a_title_whose_quote_is_never_closed_is_refused_with_its_line(tmp_path):
    """Not "the file is empty": the head's lines stay records when a quote holds them to its end."""
    path = tmp_path / "title.csv"
    path.write_text('"Q3 report\n\ncustomer,date,amount,product\nA,2026-06-01,5,x\n', encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(InputError) as err:
        ingest(path, ws)
    assert "line 1 of the file and is never closed" in str(err.value) and err.value.row is None


@pytest.mark.parametrize("megabytes", [3, 5])  # within the csv scan's cell limit (4 M characters), and beyond
@pytest.mark.parametrize("quoted", [False, True])
def test_a_line_longer_than_duckdb_reads_is_named_by_its_row(tmp_path, megabytes, quoted):
    """DuckDB's error names line 1 whatever the line: the row is found by the scan."""
    cell = "x" * (megabytes * 1_000_000)
    path = tmp_path / "long.csv"
    path.write_text("customer,date,amount,product\nA,2026-06-01,5,x\n\nB,2026-06-02,6,y\n"
                    + (f'C,2026-06-03,7,"{cell}"\nD,2026-06-04,8,"y\nz"\n' if quoted else f"C,2026-06-03,7,{cell}\n")
                    + "E,2026-06-05,9,w\n" * 10, encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(InputError) as err:
        ingest(path, ws)
    assert err.value.row == 3 and f"holds {megabytes}.0 MB" in str(err.value)
    assert f"第 3 行：这一行有 {megabytes}.0 MB" in err.value.render("zh")


raw_cell = st.sampled_from(["a", "b c", "客", 'x"y', '12"', '"a\nb"', '"say ""hi""\nok"', '"1,5"',
                            ' "1,5"', ' "a\nb"'])  # one space before a quote: DuckDB opens a cell (skipinitialspace)
titles = st.sampled_from(["", 'Report "Q3 2026\n\n', "Sales\n", '"Two\nlines",\n', 'Q3,"b, c"\n'])


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(raw_cell, min_size=3, max_size=3), min_size=1, max_size=8), title=titles,
       crlf=st.booleans())
def test_quotes_inside_cells_and_titles_stage_as_the_csv_module_reads_them(tmp_path_factory, rows, title, crlf):
    """Cells as people and Excel write them unquoted (``x"y``, an inch mark ``12"``) beside quoted
    ones with line breaks, under titles that hold a quote: the reference is the csv module."""
    nl = "\r\n" if crlf else "\n"
    text = (title + "\n".join(["id,x,y,z", *(",".join([f"k{i}", *r]) for i, r in enumerate(rows))]) + "\n")
    text = text.replace("\n", nl)
    path = tmp_path_factory.mktemp("q") / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    records = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))
    want = [r for r in records[[r[:1] for r in records].index(["id"]) + 1:] if r]
    con = duckdb.connect()
    stage(con, path, "_raw", find_header=lambda row: list(row[:1]) == ["id"])
    got = con.execute(f"SELECT id, x, y, z FROM _raw ORDER BY {ROW}").fetchall()
    assert [[c or "" for c in r] for r in got] == want


@pytest.mark.parametrize("note", ['a,"b', 'x, "y', 'a,"b,c'])
def test_a_semicolon_file_with_a_quote_after_a_comma_in_a_cell_is_read_with_semicolons(tmp_path, note):
    """``a,"b`` in a ``;`` file is text (a quote opens a cell only after the file's delimiter), not a
    quoted cell that joins the lines below it, beside a quoted cell that does hold a line break."""
    text = (f'Kunde;Datum;Betrag;Notiz\nK1;2026-01-01;5,5;{note}\nK2;2026-01-02;6,5;"zwei\nZeilen"\n'
            "K3;2026-01-03;7;c\n")
    path = tmp_path / "semikolon.csv"
    path.write_text(text, encoding="utf-8")
    con = duckdb.connect()
    staged = stage(con, path, "_raw")
    got = con.execute(f"SELECT Kunde, Datum, Betrag, Notiz FROM _raw ORDER BY {ROW}").fetchall()
    assert staged.delimiter == ";"
    assert [list(r) for r in got] == list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]


@pytest.mark.parametrize("title", ['a,"b" c', 'Report,"Q3" 2026', '"Umsatz" Q3', '"Two\nlines",', '"Q3",x'])
@pytest.mark.parametrize("breaks", [False, True])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])  # Excel's CSV UTF-8 writes a BOM
def test_a_title_duckdbs_sniffer_cannot_parse_does_not_stop_the_read(tmp_path, title, breaks, encoding):
    """DuckDB's sniffer parses the lines it skips: a title whose quote is closed and followed by text,
    or a quoted title over two lines under a BOM, failed it. The rows under the header are read (and
    numbered) all the same."""
    rows = [["A", "2026-06-01", "5", "x\ny" if breaks else "x"], ["B", "2026-06-02", "6", "z"]]
    path = tmp_path / "title.csv"
    path.write_text(f"{title}\n\n" + _csv(rows), encoding=encoding)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        tx = _tx(ws)
    assert list(tx["product"]) == [r[3] for r in rows] and list(tx["source_row"]) == [1, 2]
    assert report.sources[0].lines_above_header == 2 + title.count("\n") and report.loaded == 2


@pytest.mark.parametrize("plain_rows", [0, 30_000])  # in DuckDB's sniffing sample, and beyond it
def test_a_quote_closed_and_followed_by_text_in_a_row_is_refused_with_its_row(tmp_path, plain_rows):
    path = tmp_path / "loose.csv"
    path.write_text("customer,date,amount,product\n" + "A,2026-06-01,5,x\n" * plain_rows
                    + 'B,2026-06-02,6,"x\ny"\n\nC,"2026-06-03" 12:00,7,z\nD,2026-06-04,8,w\n', encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(InputError) as err:
        ingest(path, ws)
    assert err.value.row == plain_rows + 2 and "a quote in the row is not closed" in str(err.value)
    zh = CliRunner().invoke(app, ["--lang", "zh", "ingest", str(path), "-w", str(tmp_path / "w.duckdb")])
    assert zh.exit_code == 2 and f"第 {plain_rows + 2} 行：这一行有引号没有闭合" in zh.output
    assert "Traceback" not in zh.output


ALT_ENTER = ["客户编号", "下单日期", "金额", "数量\n(件)"]  # a header cell typed with Alt+Enter (a bare LF)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("title", ["", "销售明细表\n\n"])
@pytest.mark.parametrize("mapping", [None, {"quantity": "数量\n(件)"}])
def test_a_windows_csv_whose_header_cell_holds_a_line_break_reads_as_one_of_lf(tmp_path, encoding, title, mapping):
    """Excel on Windows ends lines CR LF and writes a break typed in a cell as a bare LF: in a header
    cell, DuckDB's sniffer took it for the line end and 7dd5749 stopped with its raw "Error when
    sniffing file". Now the file reads as the same file with LF line ends: the header as written,
    the quantity read from it by its alias or by a --map, every row accounted for."""
    rows = [["A", "2026-06-01", "5", "2"], ["B", "2026-06-02", "abc", "1"], ["A", "2026-06-03", "7", "x\ny"]]
    got = {}
    for newline in ("\n", "\r\n"):
        text = (title + _csv(rows, header=ALT_ENTER)).replace("\n", newline).replace("数量" + newline, "数量\n")
        text = text.replace("x" + newline, "x\n")  # a break in a body cell: a bare LF too
        path = tmp_path / f"{len(newline)}.csv"
        path.write_bytes(text.encode(encoding))
        assert text.count("\r\n") == (0 if newline == "\n" else text.count("\n") - 2)
        with Workspace(":memory:") as ws:
            report = ingest(path, ws, mapping=mapping)
            tx = ws.sql("SELECT customer_id, amount, quantity, source_row FROM transactions ORDER BY source_row")
            got[newline] = (tx.astype(object).where(tx.notna(), None).values.tolist(),
                            ws.sql("SELECT source_row, value FROM rejects").values.tolist(), report.sources[0].mapping)
        records = list(csv.reader(io.StringIO(text, newline="")))
        assert report.input_rows == len([r for r in records[records.index(ALT_ENTER) + 1:] if r]) == 3
        assert report.loaded == 2 and report.rejected == 1
        assert report.sources[0].lines_above_header == title.count("\n")
    assert got["\r\n"] == got["\n"]
    assert got["\n"][:2] == ([["A", 5, 2, 1], ["A", 7, None, 3]], [[2, "abc"]])  # x<break>y: no quantity
    assert got["\n"][2]["quantity"] == "数量\n(件)"


def test_a_headerless_windows_csv_whose_first_row_holds_a_bare_lf(tmp_path):
    """The first record DuckDB reads is a row here (--columns): 7dd5749 stopped at its sniffer."""
    text = 'A,2026-06-01,5,"x\ny"\r\nB,2026-06-02,6,z\r\n'
    path = tmp_path / "noheader.csv"
    path.write_bytes(text.encode())
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, columns=["customer", "date", "amount", "product"])
        tx = _tx(ws)
    assert tx.values.tolist() == [[r[0], float(r[2]), r[3], i] for i, r in enumerate(
        csv.reader(io.StringIO(text, newline="")), start=1)]
    assert report.input_rows == report.loaded == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_windows_csv_whose_header_cell_holds_a_line_break_through_the_cli(tmp_path, lang):
    path = tmp_path / "altenter.csv"
    path.write_bytes("customer_id,\"数量\n(件)\",amount,date\r\nc1,2,10.5,2024-01-02\r\nc2,1,3,2024-02-03\r\n"
                     .encode())
    res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "-w", str(tmp_path / "w.duckdb")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "sniffing" not in res.output and "Traceback" not in res.output
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.sql("SELECT customer_id, quantity FROM transactions ORDER BY source_row").values.tolist() == [
            ["c1", 2.0], ["c2", 1.0]]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("plain_rows", [0, 30_000])  # in DuckDB's sniffing sample, and beyond it
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize(("one", "two"), [("a", "b"), ("北京", "海淀")])  # 7dd5749 refused the first, read the second
def test_a_cell_quoted_after_one_space_may_hold_a_line_break(tmp_path, newline, plain_rows, encoding, one, two):
    """``c1, "a<break>b"``: DuckDB reads a quote after one space as opening the cell (its value
    without the space), and the scan that chooses its reader did not (7dd5749 refused the file with
    "a quote in the row is not closed"). The cell reads as the same cell without the break does
    (``c1, "ab"`` is ``ab``), each record one row."""
    got = {}
    for cell in (f' "{one}{newline}{two}"', f' "{one}{two}"'):
        text = newline.join(["customer,date,amount,product", *["P,2026-05-01,1,p"] * plain_rows,
                             f"C1,2026-06-01,10.5,{cell}", "C2,2026-06-02,abc,x", "C3,2026-06-03,3,y"]) + newline
        path = tmp_path / "space.csv"
        path.write_bytes(text.encode(encoding))
        with Workspace(":memory:") as ws:
            report = ingest(path, ws)
            got[cell] = ws.sql("SELECT customer_id, product, source_row FROM transactions WHERE customer_id <> 'P' "
                               "ORDER BY source_row").values.tolist()
            rejects = ws.sql("SELECT source_row, value FROM rejects").values.tolist()
        records = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))[1:]
        assert report.input_rows == len(records) == plain_rows + 3 and report.loaded == plain_rows + 2
        assert rejects == [[plain_rows + 2, "abc"]]
        assert got[cell][0] == ["C1", records[plain_rows][3], plain_rows + 1]
    want = got[f' "{one}{two}"']
    assert [[c, (p or "").replace(newline, ""), r] for c, p, r in got[f' "{one}{newline}{two}"']] == want
    assert want[0][1] == one + two  # the space before the quote is no part of the cell


def test_a_cell_quoted_after_one_space_with_a_break_through_the_cli(tmp_path):
    path = tmp_path / "spacebreak.csv"
    path.write_text('customer_id,note,amount,date\nc1, "a\nb",10.5,2024-01-02\nc2,x,3,2024-02-03\n', encoding="utf-8")
    for lang in ("en", "zh"):
        res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "-w", str(tmp_path / f"{lang}.duckdb")],
                                 env={"COLUMNS": "200"})
        assert res.exit_code == 0 and "Traceback" not in res.output, res.output
        with Workspace(tmp_path / f"{lang}.duckdb") as ws:
            assert ws.sql("SELECT customer_id, amount FROM transactions ORDER BY source_row").values.tolist() == [
                ["c1", 10.5], ["c2", 3]]


def test_a_quote_after_two_spaces_is_a_character_and_one_left_open_below_it_is_refused(tmp_path):
    """DuckDB reads a quote after two spaces as a character: the csv module's skipinitialspace,
    which the scan reads a quote after one space with, would take ``  "x<break>B,...,"`` for one cell
    and find the file closed, where DuckDB finds the quote of ``"y`` open to the end of the file and
    its one-thread reader drops the rows from there silently. Such a file is read as before: the
    quote never closed refused, with its row and line."""
    path = tmp_path / "two.csv"
    path.write_text('customer,date,amount,product\nA,2026-06-01,5,  "x\nB,2026-06-02,6,"y\nC,2026-06-03,7,z\n',
                    encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(InputError) as err:
        ingest(path, ws)
    assert err.value.row == 2 and "line 3 of the file and is never closed" in str(err.value)
    closed = tmp_path / "closed.csv"
    closed.write_text('customer,date,amount,product\nA,2026-06-01,5,  "x\nB,2026-06-02,6,y"\nC,2026-06-03,7,"z\nw"\n',
                      encoding="utf-8")
    con = duckdb.connect()
    stage(con, closed, "_raw")
    got = con.execute(f"SELECT customer, date, amount, product FROM _raw ORDER BY {ROW}").fetchall()
    assert [list(r) for r in got] == _reference(closed.read_text(encoding="utf-8"))  # no skipinitialspace: characters


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("short", [False, True])  # a short row padded: DuckDB's parallel reader refuses it beside a break
def test_a_quote_after_two_spaces_paired_with_a_cells_quote_does_not_hide_its_break(tmp_path, newline, short):
    """``1,  "a,"b<break>c",2``: DuckDB reads ``  "a`` as characters and ``"b<break>c"`` as a cell over two
    lines (7dd5749 read it so). The csv module's skipinitialspace opens a cell at the first quote and
    closes it at the second, so its reading finds no record over two lines and no quote left open;
    the scan must not take that for the file's reading (c9288b0 refused the file: "a quote in the row
    is not closed"). Read as the csv module reads it without skipinitialspace, every record one row."""
    lines = ["id,n1,n2,x", '1,  "a,"b', 'c",2', "3,plain,p,4", *(["5,6"] if short else [])]
    text = newline.join(lines) + newline
    path = tmp_path / "pair.csv"
    path.write_bytes(text.encode())
    con = duckdb.connect()
    stage(con, path, "_raw")
    got = [[v or "" for v in r] for r in con.execute(f"SELECT id, n1, n2, x FROM _raw ORDER BY {ROW}").fetchall()]
    want = [r + [""] * (4 - len(r)) for r in _reference(text)]
    assert got == want and want[0] == ["1", '  "a', f"b{newline}c", "2"]


def test_a_quote_after_two_spaces_is_not_named_as_the_loose_quote(tmp_path):
    """The scan that names the row of a quote closed and followed by text (``3,"q" r,4``, DuckDB's
    error says no row) reads a quote after two spaces as DuckDB does, a character: ``1,  "x" y,2`` is
    a row DuckDB reads, and c9288b0 named it (its strict scan read with skipinitialspace)."""
    path = tmp_path / "loose.csv"
    path.write_text('a,b,c\n1,  "x" y,2\n3,"q" r,4\n5,6,7\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        stage(duckdb.connect(), path, "_raw")
    assert err.value.row == 2 and "quote" in str(err.value)


@pytest.mark.parametrize("delim", [",", ";", "\t"])
@pytest.mark.parametrize("head", ['"h{d} """', ' "h{d} """', '"a{d} ""b"""', '"x{n}{d} ""y"""'])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_space_before_a_quote_inside_a_quoted_header_cell_is_kept(tmp_path, delim, head, newline):
    """The one space DuckDB skips opens a cell only at a cell's start: inside a quoted cell
    (``"h, ""\"``) a space before a quote is the cell's text, and the header as written (by which
    twins are refused and --map names a column) is DuckDB's column name. c9288b0 dropped the space
    (``h,"``) wherever a delimiter stood before it, in a quoted cell too. The reference is the csv
    module's reading of the header, whose quotes all open at a cell's start."""
    cell = head.format(d=delim, n=newline)
    text = newline.join([delim.join(["customer", cell, "amount"]), delim.join(["c1", "v", "5"])]) + newline
    path = tmp_path / ("head.tsv" if delim == "\t" else "head.csv")
    path.write_bytes(text.encode())
    con = duckdb.connect()
    staged = stage(con, path, "_raw")
    want = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim, skipinitialspace=True))
    assert staged.header == want == staged.columns and f"{delim} " in want[1]
    assert con.execute(f"SELECT {quote(want[1])} FROM _raw").fetchall() == [("v",)]


@pytest.mark.parametrize("header", [False, True])
def test_a_first_record_longer_than_the_head_read_holding_a_bare_lf(tmp_path, header):
    """A Windows CSV (CR LF) whose first record DuckDB reads holds a bare LF in a quoted cell longer
    than the 64 KB head that decides DuckDB's line end (a pasted document in a note): its end is
    found in the file, as it is for a shorter one. c9288b0 refused the file with DuckDB's sniffer
    error (whose fix said nothing of line ends)."""
    note = "x" * 70_000 + "\ny"
    lines = [*(["customer,date,amount,product"] if header else []), f'A,2026-06-01,5,"{note}"', "B,2026-06-02,6,z"]
    text = "\r\n".join(lines) + "\r\n"
    path = tmp_path / "long.csv"
    path.write_bytes(text.encode())
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, **({} if header else {"columns": ["customer", "date", "amount", "product"]}))
        tx = _tx(ws)
    want = list(csv.reader(io.StringIO(text, newline="")))[header:]
    assert tx.values.tolist() == [[r[0], float(r[2]), r[3], i] for i, r in enumerate(want, start=1)]
    assert report.input_rows == report.loaded == 2 and tx["product"][0] == note
