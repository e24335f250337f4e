"""Inputs as they come (issue 11, points 7-12): ERP/WPS workbooks, numbers written as text,
decimal commas, mixed encodings, the same sale loaded twice, zoned timestamps, and CSVs that
were refused or misread. Every fixture is built here, small and made up (no real customer)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import TEST_DATA
from xuanba import InputError, SchemaError, Workspace
from xuanba.cli import app
from xuanba.ingest import ingest, map_columns
from xuanba.ingest import read as read_module


def _tx(ws: Workspace) -> pd.DataFrame:
    return ws.sql("SELECT * FROM transactions ORDER BY source_id, source_row")


def _accounted(report) -> bool:
    return all(s.input_rows == s.loaded + s.merged + s.rejected for s in report.sources)


# -- 7. Excel exports from Chinese ERPs, WPS and Excel ------------------------------------------
# (客户编号, 单据日期, 数量, 单价, 金额 as the ERP writes it, the amount it means)
ERP_ROWS = [
    ("K001", "2026-06-01", 2, "5", "¥1,234.50", Decimal("1234.50")),
    ("K002", "2026/6/2", 1, "10", "1,234.50元", Decimal("1234.50")),
    ("K001", "2026-06-03", 1, "12", "(12.00)", Decimal("-12.00")),
    ("K003", "2026年6月4日", 3, "29.33", 88, Decimal("88")),
]


def _erp_book(path: Path) -> None:
    """A WPS-style sales export: three title lines (report, date range, company) over a header in
    two rows with merged cells, units in the headers, and two totals rows at the bottom."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "销售明细"
    ws.append(["销售明细表"])
    ws.merge_cells("A1:H1")
    ws.append(["日期范围：2026-06-01 至 2026-06-30"])
    ws.append(["公司：某某贸易有限公司"])
    ws.append(["序号", "客户", None, "单据日期", "销售信息", None, None, "备注"])
    ws.append([None, "编号", "名称", None, "数量(件)", "单价/元", "金额（元）", None])
    for cells in ("B4:C4", "E4:G4", "A4:A5", "D4:D5", "H4:H5"):  # 客户 and 销售信息 across, the rest down
        ws.merge_cells(cells)
    for i, (cid, day, qty, price, amount, _) in enumerate(ERP_ROWS, start=1):
        ws.append([i, cid, f"客户{cid[-1]}", day, qty, price, amount, None])
    ws.append(["合计", None, None, None, 7, None, "2,545.00", None])
    ws.append([None, "总计", None, None, 7, None, 2545, None])
    book.save(path)


def test_erp_workbook_titles_merged_two_row_header_units_text_numbers_and_totals(tmp_path):
    path = tmp_path / "销售明细.xlsx"
    _erp_book(path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        rows = _tx(ws)
    src = report.sources[0]
    assert src.mapping == {"customer_id": "客户编号", "ts": "单据日期", "amount": "金额（元）",
                           "quantity": "数量(件)", "unit_price": "单价/元"}
    assert src.lines_above_header == 3
    # the totals rows are rejected and counted, never summed in
    assert report.rejected_by_reason == {"totals row": 2}
    assert report.loaded == len(ERP_ROWS) and _accounted(report)
    assert sum(rows["amount"]) == sum(r[-1] for r in ERP_ROWS) == Decimal("2545.00")
    assert list(rows["amount"]) == [r[-1] for r in ERP_ROWS]
    assert list(rows["is_return"]) == [False, False, True, False]


def test_map_takes_the_header_exactly_as_the_file_writes_it(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("顾客,成交时间,实收（元）,总额(元)\nA,2026-06-01,5,9\nB,2026-06-02,6,9\n", encoding="utf-8")
    runner = CliRunner()
    ws = tmp_path / "ws.duckdb"
    out = runner.invoke(app, ["ingest", str(path), "--map", "customer_id=顾客", "--map", "ts=成交时间",
                              "--map", "amount=实收（元）", "--workspace", str(ws), "--tz", "UTC"])
    assert out.exit_code == 0, out.output
    with Workspace(ws) as w:
        assert [float(x) for x in _tx(w)["amount"]] == [5.0, 6.0]


def test_sheet_by_name_number_or_all(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"  # left blank, as a notes sheet often is
    for name, rows in (("6月", [("A", "2026-06-01", 1), ("B", "2026-06-02", 2)]),
                       ("7月", [("A", "2026-07-01", 4)])):
        sheet = book.create_sheet(name)
        sheet.append(["客户编号", "日期", "金额"])
        for r in rows:
            sheet.append(list(r))
    path = tmp_path / "book.xlsx"
    book.save(path)
    with Workspace(":memory:") as ws:
        first = ingest(path, ws, sheet="7月")
        assert float(ws.sql("SELECT sum(amount) s FROM transactions")["s"][0]) == 4
        again = ingest(path, ws, sheet="all")  # 7月 again (same content: skipped), 6月 new, 说明 blank
        assert float(ws.sql("SELECT sum(amount) s FROM transactions")["s"][0]) == 7
    assert first.sources[0].source.endswith("#7月")
    assert [s.status for s in again.sources] == ["no table", "loaded", "already loaded"]
    with Workspace(":memory:") as ws:
        assert ingest(path, ws, sheet=2).loaded == 2
        with pytest.raises(InputError, match="no sheet '8月'"):
            ingest(path, ws, sheet="8月")


def test_header_row_overrides_the_detection(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("客户 销售 报表\n编号,时间点,收款\n顾客,成交时间,实收\nA,2026-06-01,5\n", encoding="utf-8")
    mapping = {"customer_id": "顾客", "ts": "成交时间", "amount": "实收"}
    with Workspace(":memory:") as ws:
        with pytest.raises(SchemaError, match="'顾客'"):  # told: line 2, which the mapping does not name
            ingest(path, ws, mapping=mapping, header_row=2)
        report = ingest(path, ws, mapping=mapping, header_row=3)
    assert report.loaded == 1 and report.sources[0].lines_above_header == 2
    with Workspace(":memory:") as ws:  # found: the line naming the mapped columns, not the one over it
        found = ingest(path, ws, mapping=mapping)
    assert found.loaded == 1 and found.sources[0].lines_above_header == 2
    with Workspace(":memory:") as ws, pytest.raises(InputError, match="--header-row 9"):
        ingest(path, ws, header_row=9)


def test_numbers_written_as_text():
    written = ["¥1,234.50", "1,234.50元", "(12.00)", "￥ 88", "-¥5", "RMB 10", "1,234,567.8"]
    meant = [1234.5, 1234.5, -12.0, 88.0, -5.0, 10.0, 1234567.8]
    frame = pd.DataFrame({"客户": [f"C{i}" for i in range(len(written))], "日期": "2026-06-01", "金额": written})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        got = [float(x) for x in _tx(ws)["amount"]]
    assert report.rejected == 0 and got == meant


def test_old_xls_export_reads_like_the_xlsx_one():
    # tests/data/erp_export.xls: a made-up BIFF8 export (title rows, units, text numbers, 合计 row)
    with Workspace(":memory:") as ws:
        report = ingest(TEST_DATA / "erp_export.xls", ws)
        rows = _tx(ws)
    assert report.sources[0].format == "xls" and report.sources[0].lines_above_header == 3
    assert report.rejected_by_reason == {"totals row": 1} and _accounted(report)
    assert list(rows["order_id"]) == ["XS-0001", "XS-0002", "XS-0003"]
    assert [str(t.date()) for t in rows["ts"]] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert [float(a) for a in rows["amount"]] == [1234.5, 88.0, -12.0]
    with Workspace(":memory:") as ws:  # the second sheet holds a one-line note, not a table
        every = ingest(TEST_DATA / "erp_export.xls", ws, sheet="all")
    assert [s.status for s in every.sources] == ["loaded", "no table"] and every.loaded == 3


def test_xls_without_its_reader_says_how_to_convert(monkeypatch):
    monkeypatch.setitem(sys.modules, "xlrd", None)  # a trimmed install without xlrd
    with Workspace(":memory:") as ws, pytest.raises(InputError, match=r"\.xls") as err:
        ingest(TEST_DATA / "erp_export.xls", ws)
    assert ".xlsx" in err.value.fix and "convert-to" in err.value.fix


def test_a_file_named_xls_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with Workspace(":memory:") as ws, pytest.raises(InputError, match="not an Excel workbook"):
        ingest(path, ws)


# -- 8. decimal commas ---------------------------------------------------------------------------
def test_decimal_comma_detected_per_column(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("customer;date;amount;cost\nA;2026-06-01;1.234,50;3.5\nB;2026-06-02;12,5;1,234.5\n"
                    "C;2026-06-03;1 234,50;2\n", encoding="utf-8")
    with Workspace(":memory:") as ws:
        ingest(path, ws)
        rows = _tx(ws)
    assert [float(x) for x in rows["amount"]] == [1234.5, 12.5, 1234.5]  # today: 1.2345, 125, 123450
    assert [float(x) for x in rows["cost"]] == [3.5, 1234.5, 2.0]  # its own column: decimal point


def test_a_column_mixing_decimal_marks_is_refused_with_its_rows():
    frame = pd.DataFrame({"客户": ["A", "B", "C"], "日期": "2026-06-01", "金额": ["1,234.50", "7", "12,5"]})
    with Workspace(":memory:") as ws, pytest.raises(InputError, match=r"rows 1\).*rows 3\)") as err:
        ingest(frame, ws)
    assert err.value.column == "金额"
    both = pd.DataFrame({"客户": ["A", "B"], "日期": "2026-06-01", "金额": ["1.234", "1,234"]})
    with Workspace(":memory:") as ws:
        with pytest.raises(InputError, match=r"ambiguous: 1.234 \(rows 1\) and 1,234 \(rows 2\)"):
            ingest(both, ws)
        ingest(both, ws, decimal=",")
        assert [float(x) for x in _tx(ws)["amount"]] == [1234.0, 1.234]
    # a forced mark that rows contradict is refused, not read as 125 or 1.2345
    with Workspace(":memory:") as ws, pytest.raises(InputError, match=r"--decimal , but 1 rows .*rows 2\)"):
        ingest(frame.assign(金额=["12,5", "12.5", "7"]), ws, decimal=",")


# -- 9. mixed encodings --------------------------------------------------------------------------
@pytest.mark.parametrize("gbk_line", [2, 4])
def test_utf8_file_with_one_gbk_line_is_refused_naming_the_lines(tmp_path, gbk_line):
    names = ["张三", "李四", "王五"]
    lines = [b"customer,date,amount\n"]
    for i, name in enumerate(names, start=2):
        lines.append(f"{name},2026-06-0{i},5\n".encode("gbk" if i == gbk_line else "utf-8"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"".join(lines))
    with Workspace(":memory:") as ws, pytest.raises(InputError, match="mixes text encodings") as err:
        ingest(path, ws)
    assert f"line {gbk_line} is not" in err.value.message
    # the same rows all in GBK, or all in UTF-8, load with the names intact
    for enc in ("gbk", "utf-8"):
        path.write_bytes(b"customer,date,amount\n" + "".join(f"{n},2026-06-01,5\n" for n in names).encode(enc))
        with Workspace(":memory:") as ws:
            ingest(path, ws)
            assert list(_tx(ws)["customer_id"]) == names


# -- 10. the same sale loaded twice --------------------------------------------------------------
def test_partial_then_full_export_loads_each_sale_once(tmp_path):
    full = pd.DataFrame({
        "序号": [1, 2, 3, 4],
        "订单号": ["S1", "S2", "S2", "S3"],
        "客户编号": ["A", "B", "B", "A"],
        "日期": ["2026-06-01", "2026-06-02", "2026-06-02", "2026-06-03"],
        "金额": ["10", "5", "7", "20"],
    })
    part = full.iloc[:2].assign(序号=[7, 8])  # another numbering: not part of the key
    part.to_csv(tmp_path / "part.csv", index=False)
    full.to_csv(tmp_path / "full.csv", index=False)
    with Workspace(":memory:") as ws:
        ingest(tmp_path / "part.csv", ws)
        report = ingest(tmp_path / "full.csv", ws)
        total = float(ws.sql("SELECT sum(amount) s FROM transactions")["s"][0])
    # S1 repeats; S2 was cut inside the order (5 of 12) and is not loaded a second time; S3 is new
    assert total == 35.0  # today 57: S1 twice, S2 as 5 and as 12
    assert report.rejected_by_reason == {"already loaded from part.csv": 1,
                                         "order already loaded from part.csv with another amount": 2}
    assert report.loaded == 1 and _accounted(report)


def test_same_rows_as_csv_then_parquet_without_order_numbers(tmp_path):
    # no order number: two identical lines are two purchases, so repeats are counted
    once = pd.DataFrame({"customer": ["A", "A", "B"], "date": ["2026-06-01"] * 3, "amount": [5.0, 5.0, 9.0]})
    more = pd.DataFrame({"customer": ["A", "A", "A", "B", "C"], "date": ["2026-06-01"] * 5,
                         "amount": [5.0, 5.0, 5.0, 9.0, 1.0]})
    once.to_csv(tmp_path / "jun.csv", index=False)
    more.assign(date=pd.to_datetime(more["date"])).to_parquet(tmp_path / "jun_full.parquet")
    with Workspace(":memory:") as ws:
        ingest(tmp_path / "jun.csv", ws)
        report = ingest(tmp_path / "jun_full.parquet", ws)
        per = ws.sql("SELECT customer_id, count(*) n FROM transactions GROUP BY 1 ORDER BY 1")
    assert dict(zip(per["customer_id"], per["n"], strict=True)) == {"A": 3, "B": 1, "C": 1}
    assert report.rejected_by_reason == {"already loaded from jun.csv": 3} and report.loaded == 2


def test_a_line_number_column_does_not_hide_an_exact_duplicate():
    frame = pd.DataFrame({"行号": ["1", "2", "3"], "订单号": ["S1", "S1", "S2"], "客户": ["A", "A", "B"],
                          "日期": "2026-06-01", "金额": ["5", "5", "6"], "n": ["10", "11", "12"]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
    assert report.rejected_by_reason == {"exact duplicate line": 1}
    # a column that increases but does not count lines (a running balance) still tells lines apart
    with Workspace(":memory:") as ws:
        report = ingest(frame.drop(columns="行号").assign(n=["10", "15", "40"]), ws)
    assert report.rejected == 0 and report.merged == 1


def test_a_file_that_changes_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "growing.csv"
    path.write_text("customer,date,amount\nA,2026-06-01,5\n", encoding="utf-8")
    real = read_module._stage_csv

    def growing(con, p, *args, **kwargs):
        staged = real(con, p, *args, **kwargs)
        with open(p, "a", encoding="utf-8") as fh:  # the export is still being written
            fh.write("B,2026-06-02,6\n")
        return staged

    monkeypatch.setattr(read_module, "_stage_csv", growing)
    with Workspace(":memory:") as ws:
        with pytest.raises(InputError, match="changed while it was read"):
            ingest(path, ws)
        assert not ws.has_table("transactions") or len(_tx(ws)) == 0


# -- 11. time zones -------------------------------------------------------------------------------
_TZ_CHILD = """
import sys
from xuanba import Workspace
from xuanba.ingest import ingest
with Workspace(sys.argv[2]) as ws:
    ingest(sys.argv[1], ws)
    row = ws.sql("SELECT sum(amount) FILTER (WHERE ts >= TIMESTAMP '2026-07-01') AS july, "
                 "min(ts) AS first FROM transactions")
print(float(row["july"][0] or 0), row["first"][0])
"""


def test_zoned_parquet_gives_the_same_revenue_under_any_tz(tmp_path):
    # 2026-06-30 20:00 UTC is 2026-07-01 04:00 in Shanghai: July revenue there is 30, not 20
    frame = pd.DataFrame({
        "customer_id": ["A", "A"],
        "ts": pd.to_datetime(["2026-06-30 20:00", "2026-07-02 01:00"]).tz_localize("UTC"),
        "amount": [10.0, 20.0],
    })
    frame.to_parquet(tmp_path / "zoned.parquet")
    src = str(Path(read_module.__file__).resolve().parents[2])
    results = []
    for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        ws = tmp_path / f"ws_{zone.replace('/', '_')}.duckdb"
        with Workspace(ws) as w:
            ingest(pd.DataFrame({"customer_id": ["seed"], "ts": ["2020-01-01"], "amount": [0.0]}), w,
                   tz="Asia/Shanghai")
        env = {**os.environ, "TZ": zone, "PYTHONPATH": src}
        out = subprocess.run([sys.executable, "-c", _TZ_CHILD, str(tmp_path / "zoned.parquet"), str(ws)],
                             capture_output=True, text=True, env=env, timeout=120, check=True)
        results.append(out.stdout.split()[0])
    assert results == ["30.0"] * 3


def test_written_offsets_become_the_workspace_zone_and_the_zone_is_fixed(tmp_path):
    written = ["2026-06-30T23:30:00+08:00", "2026-06-30 15:30Z", "2026-06-30 23:30:00 +0800", "2026-06-30 15:30 UTC"]
    frame = pd.DataFrame({"customer": list("ABCD"), "date": written, "amount": [1, 2, 3, 4]})
    with Workspace(":memory:") as ws:
        ingest(frame, ws, tz="UTC")
        assert [str(t) for t in _tx(ws)["ts"]] == ["2026-06-30 15:30:00"] * 4
        # a zoned text that does not read is rejected, never read again without its zone
        bad = ingest(pd.DataFrame({"customer": ["E", "F"], "amount": [5, 6],
                                   "date": ["2026-07-01T10:00:00+08:00", "2026-06-31 23:30:00+08:00"]}), ws)
        assert bad.loaded == 1 and bad.rejected_by_reason == {"unparseable date": 1}
        with pytest.raises(InputError, match="time zone is UTC"):
            ingest(frame, ws, tz="Asia/Shanghai")
    with Workspace(":memory:") as ws:
        ingest(frame, ws, tz="Asia/Shanghai")
        assert ws.setting("time_zone") == "Asia/Shanghai"
        assert [str(t) for t in _tx(ws)["ts"]] == ["2026-06-30 23:30:00"] * 4
    with Workspace(":memory:") as ws:  # a format of the user's with %z reads the zone too
        ingest(frame.assign(date="30.06.2026 23:30 +0800"), ws, tz="UTC", date_format="%d.%m.%Y %H:%M %z")
        assert [str(t) for t in _tx(ws)["ts"]] == ["2026-06-30 15:30:00"] * 4
    with Workspace(":memory:") as ws, pytest.raises(InputError, match="not a time zone"):
        ingest(frame, ws, tz="Mars/Olympus")


# -- 12. CSVs refused or misread today ------------------------------------------------------------
def test_crlf_csv_with_a_line_break_inside_a_quoted_cell(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b'customer,date,amount,note\r\nA,2026-06-01,5,"first\r\nsecond"\r\nB,2026-06-02,6,x\r\n')
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        assert list(_tx(ws)["customer_id"]) == ["A", "B"]
    assert report.input_rows == 2 and report.loaded == 2


def test_a_10_mb_cell_is_named_as_such(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b'customer,date,amount,note\nA,2026-06-01,5,"' + b"x" * (10 << 20) + b'"\n')
    with Workspace(":memory:") as ws, pytest.raises(InputError, match=r"holds 10\.5 MB") as err:
        ingest(path, ws)
    assert "quotes are closed" not in str(err.value)


@pytest.mark.parametrize("twins", [("amount", "Amount"), ("客户ID", "客户id"), ("Amount", "ＡＭＯＵＮＴ"),
                                   ("amount", "amount\u200b"), ("金额", "\u200b金额"), ("Amount", "am\u00adount")])
def test_headers_differing_only_by_case_or_width_are_an_error(tmp_path, twins):
    """Twins by letter case, width, or a character no screen shows (a zero-width space or a soft
    hyphen pasted from a web page: cf5866e loaded ``amount`` beside ``amount\u200b``, the first
    summed and the second dropped, silently)."""
    path = tmp_path / "t.csv"
    path.write_text(f"customer,date,{twins[0]},{twins[1]}\nA,2026-06-01,5,6\n", encoding="utf-8")
    with Workspace(":memory:") as ws, pytest.raises(SchemaError, match="one name written twice"):
        ingest(path, ws)
    book = openpyxl.Workbook()
    book.active.append(["customer", "date", *twins])
    book.active.append(["A", "2026-06-01", 5, 6])
    book.save(tmp_path / "t.xlsx")
    with Workspace(":memory:") as ws, pytest.raises(SchemaError, match="one name written twice"):
        ingest(tmp_path / "t.xlsx", ws)


def _twin_sources(tmp_path, names: list[str]) -> dict[str, object]:
    """The same two lines under ``names`` as a Parquet file, an Arrow table and a pandas frame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cells = [["A", "B"], ["2026-06-01", "2026-06-02"], ["5", "6"], ["7", "8"], ["x", "y"]][:len(names)]
    table = pa.Table.from_arrays([pa.array(c) for c in cells], names=names)
    pq.write_table(table, tmp_path / "t.parquet")
    frame = pd.DataFrame(dict(zip(range(len(names)), cells, strict=True)))
    frame.columns = names
    return {"parquet": tmp_path / "t.parquet", "arrow": table, "pandas": frame}


@pytest.mark.parametrize("form", ["parquet", "arrow", "pandas"])
@pytest.mark.parametrize("twins", [("amount", "AMOUNT"), ("amount", "amount"), ("金额", "金额"),
                                   ("Amount", "ＡＭＯＵＮＴ")])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_twin_headers_in_a_parquet_file_or_a_table_are_an_error(tmp_path, form, twins, lang):
    """As a CSV's: refused naming the file and both columns, in English and Chinese. 6a3d048 read
    a Parquet file's ``amount`` + ``AMOUNT`` (or ``amount`` twice) silently, DuckDB naming the
    second ``AMOUNT_1``: the first one summed, the second dropped; an Arrow table or a pandas frame
    with one name twice stopped on a raw ArrowInvalid or AttributeError."""
    source = _twin_sources(tmp_path, ["customer", "date", *twins])[form]
    with Workspace(":memory:") as ws, pytest.raises(SchemaError) as err:
        ingest(source, ws)
    said = err.value.render(lang)
    assert {"en": "one name written twice", "zh": "是同一个列名写了两次"}[lang] in said, said
    assert repr(twins[0]) in said and repr(twins[1]) in said and "3" in said and "4" in said, said
    assert (err.value.file or "").endswith("t.parquet" if form == "parquet" else "<table>")
    with Workspace(":memory:") as ws:  # one of them renamed: loaded, from the column named
        fixed = _twin_sources(tmp_path, ["customer", "date", twins[0], "note"])[form]
        assert ingest(fixed, ws).loaded == 2 and ws.sql("SELECT sum(amount) AS s FROM transactions").s[0] == 11


@pytest.mark.parametrize("form", ["parquet", "arrow", "pandas"])
def test_twin_headers_no_field_reads_in_a_table_are_left_alone(tmp_path, form):
    """Two ``note`` columns (or ``Note`` and ``NOTE``) beside the fields: loaded, as a CSV's are;
    a side table, which keeps every column, refuses them."""
    for twins in (["note", "note"], ["Note", "NOTE"]):
        source = _twin_sources(tmp_path, ["customer", "date", "amount", *twins])[form]
        with Workspace(":memory:") as ws:
            assert ingest(source, ws).loaded == 2
        with Workspace(":memory:") as ws, pytest.raises(SchemaError, match="one name written twice"):
            ingest(source, ws, kind="customers")


def test_twin_headers_no_field_reads_are_left_alone(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer,date,amount,备注,备注,Note,NOTE\nA,2026-06-01,5,x,y,z,w\n", encoding="utf-8")
    with Workspace(":memory:") as ws:
        assert ingest(path, ws).loaded == 1
    with Workspace(":memory:") as ws, pytest.raises(SchemaError, match="one name written twice"):
        ingest(path, ws, kind="customers")  # a side table keeps every column: which 备注 is a guess


def test_all_missing_required_columns_in_one_message():
    frame = pd.DataFrame({"买方": ["A"], "日子": ["2026-06-01"], "钱": ["5"]})
    with Workspace(":memory:") as ws, pytest.raises(SchemaError) as err:
        ingest(frame, ws)
    text = str(err.value)
    for field in ("customer_id", "ts", "amount"):
        assert f"--map {field}=" in text and f"\n  {field}" in text
    assert "candidates in the file: 买方, 日子, 钱" in text


@pytest.mark.parametrize("header", ["Basket ID", "ticket_no", "Receipt Number", "单据编号", "小票号"])
def test_order_number_aliases(header):
    assert map_columns(["客户", "日期", "金额", header])["order_id"] == header


def test_dates_before_1900_or_after_2100_are_rejected_with_the_reason():
    frame = pd.DataFrame({"客户": ["A", "B", "C", "D"], "日期": ["1899-12-31", "2101-01-01", "1900-01-01", "2100-12-31"],
                          "金额": ["1", "2", "3", "4"]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        assert list(_tx(ws)["customer_id"]) == ["C", "D"]
    assert report.rejected_by_reason == {"date after 2100": 1, "date before 1900": 1}


def test_cli_takes_the_new_options(tmp_path):
    path = tmp_path / "销售明细.xlsx"
    _erp_book(path)
    ws = tmp_path / "ws.duckdb"
    out = CliRunner().invoke(app, ["ingest", str(path), "--sheet", "销售明细", "--header-row", "4",
                                   "--decimal", ".", "--tz", "Asia/Shanghai", "--workspace", str(ws)])
    assert out.exit_code == 0, out.output
    assert "totals row" in out.output and "time zone, Asia/Shanghai" in out.output
    with Workspace(ws) as w:
        assert w.setting("time_zone") == "Asia/Shanghai" and len(_tx(w)) == len(ERP_ROWS)
    bad = CliRunner().invoke(app, ["ingest", str(path), "--decimal", ";", "--workspace", str(ws)])
    assert bad.exit_code == 2 and "decimal mark" in bad.output


@settings(max_examples=8, deadline=None)
@given(st.lists(st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2),
                min_size=1, max_size=6))
def test_a_column_reads_the_same_in_either_decimal_convention(amounts):
    point = [f"{a:,.2f}" for a in amounts]  # 1,234.50
    comma = [p.replace(",", " ").replace(".", ",") for p in point]  # 1 234,50
    got = []
    for written in (point, comma):
        frame = pd.DataFrame({"客户": [f"C{i}" for i in range(len(written))], "日期": "2026-06-01", "金额": written})
        with Workspace(":memory:") as ws:
            ingest(frame, ws)
            got.append([Decimal(str(x)).quantize(Decimal("0.01")) for x in _tx(ws)["amount"]])
    assert got[0] == got[1] == [abs(a) if a == 0 else a for a in amounts]


def test_a_customer_named_like_a_total_with_a_dated_sale_is_a_sale(tmp_path):
    """A real customer whose id reads "SUM" or "Total" bought something on a readable day: loaded,
    while a "合计" line without a date is still a totals row."""
    p = tmp_path / "s.csv"
    p.write_text("customer_id,ts,amount\nSUM,2026-06-01,10\nTotal,2026-06-02,5\nK1,2026-06-03,7\n合计,,22\n",
                 encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:
        rep = ingest(p, ws)
        loaded = _tx(ws)
    assert sorted(loaded["customer_id"]) == ["K1", "SUM", "Total"]
    assert _accounted(rep) and rep.sources[0].rejected == 1
