"""Excel's error cells (``#N/A`` of a lookup that found nothing, ``#DIV/0!``, ``#VALUE!``, ``#REF!``,
``#NAME?``, ``#NUM!``, ``#NULL!``) in what ``xuanba ingest`` reads. At 0c7bf4c an .xlsx's error
cell reached ingest as its text, so a customer ``#N/A`` was loaded as a customer and a product
``#NAME?`` stored, while an error amount or date was rejected as *non-numeric* or *unparseable*
without naming the error; an .xls's error cell (xlrd's ``XL_CELL_ERROR``) was read as an empty
cell: a missing id, date or amount said as *missing*, and an error quantity, cost or product left
empty without a word; a side table stored every error as text (a customer ``#N/A``, a segment
``#N/A``). Now a line whose id, date, amount, quantity, unit price, order number, status or return
flag is an error is rejected as *Excel error cell*, its column and value naming the error, in
English and Chinese; an error cost, product or channel is left empty and counted; a side table's
row with an error in its key (a required column) is rejected likewise, one in an optional column
it reads leaves that value empty, counted, and a column it does not read is kept as written; an
engine round reads the same rule. Workbooks are written
here: .xlsx by openpyxl (a cell of type ``e``), .xls by xlwt (a BOOLERR record of the error's code,
``Row.set_cell_error``)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import spark_test
from xuanba import Workspace
from xuanba.cli import app
from xuanba.ingest import ingest
from xuanba.ingest.rules import EXCEL_ERROR

HEADER = ["customer_id", "date", "order_id", "amount", "quantity", "cost", "product", "channel", "status",
          "is_return"]
D = dt.datetime(2025, 3, 1)


def _row(cid, day, **cells):
    base = {"customer_id": cid, "date": D + dt.timedelta(days=day), "order_id": f"O{day}", "amount": 10.0 + day,
            "quantity": 1, "cost": 4.0, "product": "tea", "channel": "web", "status": "paid", "is_return": "no"}
    return [{**base, **cells}[h] for h in HEADER]


#: The sheet's data rows (row 1 = the first under the header) and what ingest must make of each:
#: (column, error) of a rejected row, or None for a loaded one.
ROWS = [
    (_row("a", 1), None),
    (_row("#N/A", 2), ("customer_id", "#N/A")),
    (_row("b", 3, date="#VALUE!"), ("date", "#VALUE!")),
    (_row("c", 4, amount="#DIV/0!"), ("amount", "#DIV/0!")),
    (_row("d", 5, quantity="#REF!"), ("quantity", "#REF!")),
    (_row("e", 6, order_id="#NAME?"), ("order_id", "#NAME?")),
    (_row("f", 7, status="#N/A"), ("status", "#N/A")),
    (_row("g", 8, cost="#NUM!"), None),  # cost left empty, counted
    (_row("h", 9, product="#N/A", channel="#NULL!"), None),  # product and channel left empty, counted
    (_row("i", 10, is_return="#N/A"), ("is_return", "#N/A")),
    (_row("j", 11, amount="#N/A", date="#REF!", customer_id="k"), ("date", "#REF!")),  # the first column in order
    (_row("a", 12), None),
]
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


def _is_error(value) -> bool:
    return isinstance(value, str) and value in ERRORS


def write_xlsx(path, header, rows):
    """An .xlsx whose cells holding an error's text are error cells (type ``e``, as Excel saves a
    formula's error), dates as date cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if _is_error(cell.value):
                cell.data_type = "e"
    book.save(path)
    return path


def write_xls(path, header, rows):
    """The same as an old .xls (BIFF8, xlwt): an error cell written as its code (xlwt's own table
    of error strings gives #VALUE! the code of #NUM!, so the codes are xlrd's)."""
    xlrd = pytest.importorskip("xlrd")
    xlwt = pytest.importorskip("xlwt")
    code = {text: c for c, text in xlrd.error_text_from_code.items()}
    book = xlwt.Workbook()
    sheet = book.add_sheet("sales")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for j, h in enumerate(header):
        sheet.write(0, j, h)
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if _is_error(v):
                sheet.row(i).set_cell_error(j, code[v])
            elif isinstance(v, dt.datetime):
                sheet.write(i, j, v, day)
            else:
                sheet.write(i, j, v)
    book.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls}


def _workbook_has_errors(path) -> None:
    """The fixture is what it claims: error cells, not text (so a test cannot pass on text alone)."""
    if path.suffix == ".xls":
        import xlrd

        sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
        kinds = {sheet.cell(i, j).ctype for i in range(sheet.nrows) for j in range(sheet.ncols)}
        assert xlrd.XL_CELL_ERROR in kinds
    else:
        sheet = openpyxl.load_workbook(path).active
        assert any(c.data_type == "e" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_an_error_cell_rejects_its_line_naming_the_column_and_the_error(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"sales.{kind}", HEADER, [r for r, _ in ROWS])
    _workbook_has_errors(path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        rejects = ws.sql('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row')
        tx = ws.sql("SELECT * FROM transactions ORDER BY source_row")
    src = report.sources[0]
    expected = [(i, col, err, EXCEL_ERROR) for i, (_, want) in enumerate(ROWS, start=1) if want for col, err in [want]]
    assert list(rejects.itertuples(index=False, name=None)) == expected
    assert src.input_rows == src.loaded + src.merged + src.rejected == len(ROWS)
    assert src.rejected_by_reason == {EXCEL_ERROR: len(expected)} and src.merged == 0
    kept = [i for i, (_, want) in enumerate(ROWS, start=1) if want is None]
    assert tx["source_row"].tolist() == kept
    assert tx["customer_id"].tolist() == [ROWS[i - 1][0][0] for i in kept]
    assert src.values_left_empty == {"cost": 1, "product": 1, "channel": 1}
    assert not tx.isin(sorted(ERRORS)).any().any()  # no error stored as a value anywhere
    h = tx.set_index("customer_id")
    # (a line of an order without a product is stored with the product '' by the merge, as before)
    assert pd.isna(h.loc["g", "cost"]) and all(pd.isna(v) or v == "" for v in h.loc["h", ["product", "channel"]])
    assert float(h.loc["h", "amount"]) == 19.0


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_an_error_in_the_price_of_an_amount_made_of_quantity_and_price(tmp_path, kind):
    header = ["customer_id", "date", "quantity", "unit_price"]
    rows = [["a", D, 2, 5.0], ["b", D, 2, "#DIV/0!"], ["c", D, "#N/A", 5.0]]
    path = WRITERS[kind](tmp_path / f"q.{kind}", header, rows)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        rejects = ws.sql('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row')
        amounts = ws.sql("SELECT customer_id, amount FROM transactions")
    assert list(rejects.itertuples(index=False, name=None)) == [(2, "unit_price", "#DIV/0!", EXCEL_ERROR),
                                                                 (3, "quantity", "#N/A", EXCEL_ERROR)]
    assert report.loaded == 1 and amounts.values.tolist() == [["a", 10]]


@pytest.mark.parametrize("lang, said", [("en", "Excel error cell"), ("zh", "Excel 错误值单元格")])
def test_the_cli_says_the_reason_and_the_rejects_file_names_the_error(tmp_path, lang, said):
    path = write_xlsx(tmp_path / "sales.xlsx", HEADER, [r for r, _ in ROWS])
    out = tmp_path / "rejects.csv"
    res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "-w", str(tmp_path / "w.duckdb"),
                                   "--rejects-out", str(out)])
    assert res.exit_code == 0, res.output
    assert said in res.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert written[["column", "value"]].values.tolist()[:3] == [["customer_id", "#N/A"], ["date", "#VALUE!"],
                                                                ["amount", "#DIV/0!"]]
    assert set(written["reason"]) == {EXCEL_ERROR}


def test_a_csv_saved_from_excel_is_read_by_the_same_rule(tmp_path):
    """Excel saves an error cell to CSV as its text: the same lines rejected, the same values said."""
    frame = pd.DataFrame([r for r, _ in ROWS], columns=HEADER)
    frame["date"] = [d.strftime("%Y-%m-%d") if isinstance(d, dt.datetime) else d for d in frame["date"]]
    frame.to_csv(tmp_path / "sales.csv", index=False)
    with Workspace(":memory:") as a, Workspace(":memory:") as b:
        ingest(tmp_path / "sales.csv", a)
        ingest(write_xlsx(tmp_path / "sales.xlsx", HEADER, [r for r, _ in ROWS]), b)
        q = 'SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row'
        pd.testing.assert_frame_equal(a.sql(q), b.sql(q))


def test_an_engine_round_rejects_the_lines_ingest_rejects(tmp_path):
    """One rule (xuanba.ingest.rules.reject_reason): a source read on an engine counts the same
    lines as Excel errors, never a customer ``#N/A``."""
    from xuanba.rounds.source_check import checked_transactions

    rows = [r for r, want in ROWS if want is None or want[0] != "date"]  # an engine reads dates as typed
    frame = pd.DataFrame(rows, columns=HEADER).astype({"amount": str, "quantity": str, "cost": str})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
    table, counts = checked_transactions(frame, "2025-12-31")
    assert counts["rejected_by_reason"] == report.rejected_by_reason == {EXCEL_ERROR: 6}
    # the cost #NUM!: left empty and counted, as ingest leaves it (the engine refused it at 16dfc23)
    assert counts["values_left_empty"] == {"cost": report.sources[0].values_left_empty["cost"]} == {"cost": 1}
    assert "#N/A" not in set(table.to_pyarrow()["customer_id"].to_pylist())


@spark_test
def test_a_spark_round_reads_the_errors_as_duckdb_does(spark, tmp_path):
    """The rule's pattern, ``(?i)`` and ``\\z``, read alike by RE2 and Java: the same lines counted."""
    from xuanba.rounds.source_check import checked_transactions
    from xuanba.rounds.spark import spark_source

    rows = [r for r, want in ROWS if want is None or want[0] != "date"]
    frame = pd.DataFrame(rows, columns=HEADER).astype({"amount": str, "quantity": str}).drop(columns=["cost"])
    frame.loc[0, "status"] = "#n/a "  # any case, spaces round it
    frame.loc[len(frame) - 1, "status"] = "#BU\u017fY!"  # no error: RE2's (?i) took U+017F for s, Java not
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    duck = checked_transactions(frame, "2025-12-31")[1]
    got = checked_transactions(spark_source(spark, str(tmp_path / "s.parquet")), "2025-12-31")[1]
    assert got == duck and got["rejected_by_reason"] == {EXCEL_ERROR: 7}


#: A customers sheet. The id is the key (an error rejects the row); segment and size are optional
#: columns it reads, and notes a customer attribute a round reads (an error leaves the value
#: empty, counted).
SIDE_HEADER = ["customer_id", "name", "segment", "size", "notes"]
SIDE_ROWS = [["a", "A co", "S", 3, "ok"], ["#N/A", "B co", "S", 3, "x"], ["c", "C co", "#N/A", 3, "x"],
             ["d", "D co", "S", "#DIV/0!", "x"], ["e", "E co", "M", 1, "#N/A"]]


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_a_side_tables_error_cell_rejects_its_row_only_in_its_key(tmp_path, kind):
    """At 16dfc23 an error in any column rejected the row: the customers ``c`` (segment ``#N/A``),
    ``d`` (size ``#DIV/0!``) and ``e`` (``#N/A`` in a notes column) were lost."""
    path = WRITERS[kind](tmp_path / f"customers.{kind}", SIDE_HEADER, SIDE_ROWS)
    _workbook_has_errors(path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, kind="customers")
        rejects = ws.sql('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row')
        kept = ws.sql("SELECT customer_id, segment, size, notes FROM customers ORDER BY customer_id")
    assert list(rejects.itertuples(index=False, name=None)) == [(2, "customer_id", "#N/A", EXCEL_ERROR)]
    src = report.sources[0]
    assert src.input_rows == src.loaded + src.merged + src.rejected == 5 and src.loaded == 4
    assert src.values_left_empty == {"segment": 1, "size": 1, "notes": 1}
    assert kept["customer_id"].tolist() == ["a", "c", "d", "e"]
    assert kept["segment"].isna().tolist() == [False, True, False, False]
    assert kept["size"].isna().tolist() == [False, False, True, False]
    assert kept["notes"].isna().tolist() == [False, False, False, True]


def test_a_side_tables_reasons_are_said_in_chinese(tmp_path):
    path = write_xlsx(tmp_path / "customers.xlsx", ["customer_id", "segment"], [["a", "S"], ["#N/A", "S"], ["b", "#N/A"]])
    res = CliRunner().invoke(app, ["--lang", "zh", "ingest", str(path), "--kind", "customers",
                                   "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "customer_id：Excel 错误值单元格" in said and "无法识别、留空的值（segment：1）" in said


def test_a_side_table_read_from_its_workbook_rejects_as_ingest_does(tmp_path):
    """``read_side_table(kind, "file.xlsx")`` (what ``xuanba accounts --customers FILE`` reads)
    rejects and leaves empty a sheet's error cells as ``xuanba ingest --kind`` does. At b836c12
    pandas read them as empty cells: an error id said as *missing required value* (value
    ``nan``), an error segment or size left empty without a word."""
    from xuanba.ingest.sidetables import LEFT_EMPTY, read_side_table

    path = write_xlsx(tmp_path / "customers.xlsx", SIDE_HEADER, SIDE_ROWS)
    _workbook_has_errors(path)
    table, rejects = read_side_table("customers", path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, kind="customers")
        stored = ws.sql('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row')
    assert list(rejects.itertuples(index=False, name=None)) == list(stored.itertuples(index=False, name=None))
    assert len(rejects) == 1 and set(rejects["reason"]) == {EXCEL_ERROR}
    assert table["customer_id"].tolist() == ["a", "c", "d", "e"]
    assert table.attrs[LEFT_EMPTY] == report.sources[0].values_left_empty == {"segment": 1, "size": 1, "notes": 1}


def test_a_transactions_files_error_amount_is_refused_not_read_as_empty(tmp_path):
    """``xuanba accounts --transactions FILE.xlsx``: an error amount is no number, refused naming
    its row and the error (at b836c12 pandas read it as an empty cell, an amount of NaN kept)."""
    from xuanba.accounts.stored import transactions_from_file
    from xuanba.errors import InputError

    path = write_xlsx(tmp_path / "tx.xlsx", ["customer_id", "ts", "amount"],
                      [["a", "2025-03-01", 5.0], ["b", "2025-03-02", "#DIV/0!"]])
    _workbook_has_errors(path)
    with pytest.raises(InputError) as err:
        transactions_from_file(path)
    assert err.value.row == 2 and err.value.column == "amount" and "#DIV/0!" in str(err.value)


@pytest.mark.parametrize("kind, header, bad, said", [
    ("interactions", ["customer_id", "ts", "minutes"], ["b", "someday", "5"], "ts：不是日期"),
    ("interactions", ["customer_id", "ts", "minutes"], ["b", "2025-03-02", "lots"], "minutes：不是数字"),
    ("customers", ["customer_id", "segment"], ["", "S"], "customer_id：缺少必填值"),
])
def test_every_side_table_reason_is_said_in_chinese(tmp_path, kind, header, bad, said):
    """reason_words reads a side table's 'column: reason' (b836c12): each reason a side table
    gives has its Chinese words, not only 'Excel error cell' ('ts: not a date' was English)."""
    good = ["a", "2025-03-01", "3"][:len(header)] if kind == "interactions" else ["a", "S"]
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(",".join(r) for r in (header, good, bad)) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", "zh", "ingest", str(path), "--kind", kind, "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 0, res.output
    assert said in res.output
    en = CliRunner().invoke(app, ["--lang", "en", "ingest", str(path), "--kind", kind, "-w", str(tmp_path / "e.duckdb")])
    assert said.split("：")[0] + ": " in en.output and "不是" not in en.output


@pytest.mark.parametrize("text, error", [("#N/A", True), (" #div/0! ", True), ("#Busy!", True), ("#BUSY!", True),
                                         ("#BLOC\u212aED!", False), ("#BU\u017fY!", False), ("#F\u0131ELD!", False),
                                         ("#N/A-2", False), ("#1234", False), ("#REF", False)])
def test_an_error_is_told_alike_in_python_and_in_sql(text, error):
    """is_excel_error (a side table, a fields file) and excel_error (ingest, an engine) agree on
    every text: at b836c12 RE2's (?i) took the Kelvin sign for K ('#BLOCKED!' with U+212A an
    error in ingest, text in a side table) and Python's upper took U+0131 for I (the reverse)."""
    import duckdb

    from xuanba.ingest.rules import excel_error_sql, is_excel_error

    sql = duckdb.execute(f"SELECT {excel_error_sql('x')} FROM (SELECT ?::VARCHAR AS x)", [text]).fetchone()[0]
    assert (is_excel_error(text), sql) == (error, error)
