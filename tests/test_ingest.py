"""Ingest: published CDNOW figures, every encoding and format, header mapping, merging, returns."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from xuanba import InputError, SchemaError, Workspace
from xuanba.facts import calibration_holdout
from xuanba.ingest import ingest, map_columns, normalise_header, sniff_delimiter

CDNOW_COLUMNS = ["master_id", "customer_id", "ts", "quantity", "amount"]


def _tx(ws: Workspace) -> pd.DataFrame:
    """The stored transactions with amounts as exact decimals (through Arrow)."""
    return ws.con.execute("SELECT * FROM transactions ORDER BY source_id, source_row").to_arrow_table().to_pandas()


# -- CDNOW: data nobody here wrote ---------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_ws(test_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("cdnow") / "ws.duckdb"
    report = ingest(test_data / "CDNOW_sample.txt", path, columns=CDNOW_COLUMNS)
    return path, report


def test_cdnow_text_without_header_gives_published_counts(cdnow_ws):
    """CDNOW sample (Fader, Hardie & Lee 2005; data README): 6,919 rows, 2,357 customers,
    total 244,091.94 USD — exactly, as decimals."""
    path, report = cdnow_ws
    assert (report.input_rows, report.loaded, report.merged, report.rejected) == (6919, 6919, 0, 0)
    src = report.sources[0]
    assert src.encoding == "utf-8" and src.delimiter == "whitespace" and src.customers == 2357
    with Workspace(path, read_only=True) as ws:
        n, customers, total, first, last = ws.con.execute(
            "SELECT count(*), count(DISTINCT customer_id), sum(amount), min(ts), max(ts) FROM transactions"
        ).fetchone()
        types = dict(ws.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'transactions'"
        ).fetchall())
        ids = ws.sql("SELECT DISTINCT customer_id FROM transactions ORDER BY 1")["customer_id"]
    assert (n, customers) == (6919, 2357)
    assert total == Decimal("244091.94")
    assert (first, last) == (dt.datetime(1997, 1, 1), dt.datetime(1998, 6, 30))
    assert types["amount"] == "DECIMAL(18,4)" and types["customer_id"] == "VARCHAR"
    assert types["ts"] == "TIMESTAMP" and types["is_return"] == "BOOLEAN"
    assert ids.iloc[0] == "0001" and ids.iloc[-1] == "2357"  # leading zeros kept


def test_cdnow_text_end_to_end_reproduces_published_summary(cdnow_ws, test_data):
    """Ingested text file -> facts at 1997-09-30 in weeks = the published per-customer summary
    (frequency, recency, T to 2 decimals; zbar to 2 decimals), 1,882 holdout repeat purchases."""
    path, _ = cdnow_ws
    with Workspace(path, read_only=True) as ws:
        cal = calibration_holdout(ws, "1997-09-30", "1998-06-30", time_unit="week")
    pub = pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv")
    pub["customer_id"] = pub["ID"].map("{:04d}".format)
    got = cal.merge(pub, on="customer_id", how="inner", suffixes=("", "_pub"))
    assert len(got) == 2357
    assert (got["frequency"] == got["x"]).all()
    np.testing.assert_array_equal(got["recency"].round(2), got["t_x"])
    np.testing.assert_array_equal(got["T"].round(2), got["T_pub"])
    assert (got["monetary_value"] - got["zbar"]).abs().max() <= 0.005 + 1e-9
    assert cal["frequency_holdout"].sum() == 1882


def test_cdnow_parquet_gives_the_same_table_as_the_text_file(cdnow_ws, test_data, tmp_path):
    """Same 6,919 rows, 2,357 customers and 244,091.94 from the Parquet copy."""
    path, _ = cdnow_ws
    with Workspace(tmp_path / "p.duckdb") as ws:
        report = ingest(test_data / "cdnow_sample.parquet", ws, mapping={"ts": "timestamp"})
        got = ws.sql("SELECT customer_id, ts, amount FROM transactions ORDER BY source_row")
    with Workspace(path, read_only=True) as ws:
        txt = ws.sql("SELECT customer_id, ts, amount FROM transactions ORDER BY source_row")
    assert (report.input_rows, report.loaded, report.sources[0].customers) == (6919, 6919, 2357)
    assert report.sources[0].amount_total == Decimal("244091.94")
    pd.testing.assert_frame_equal(got, txt)


def test_two_date_columns_are_ambiguous_and_the_error_names_both(test_data):
    """The CDNOW Parquet has both 'timestamp' and 'date': ingest must not guess."""
    with Workspace(":memory:") as ws, pytest.raises(SchemaError) as err:
        ingest(test_data / "cdnow_sample.parquet", ws)
    assert "'timestamp' and 'date'" in str(err.value) and "--map ts=timestamp" in str(err.value)


# -- encodings and formats -----------------------------------------------------------------------
SMALL = pd.DataFrame({
    "客户编号": ["007", "007", "0100", "䶮记"],  # 䶮 is in GB18030 but not GBK
    "订单号": ["S1", "S2", "S3", "S4"],
    "下单日期": ["2026-01-05 10:00:00", "2026/1/6", "2026年2月1日", "20260301"],
    "金额": ["1,200.50", "3", "0.05", "-7.5"],
})
EXPECTED = [
    ("007", dt.datetime(2026, 1, 5, 10), Decimal("1200.5"), False),
    ("007", dt.datetime(2026, 1, 6), Decimal("3"), False),
    ("0100", dt.datetime(2026, 2, 1), Decimal("0.05"), False),
    ("䶮记", dt.datetime(2026, 3, 1), Decimal("-7.5"), True),
]


def _write(frame: pd.DataFrame, path, encoding: str, sep: str = ",") -> None:
    frame.to_csv(path, index=False, encoding=encoding, sep=sep, lineterminator="\r\n")


@pytest.mark.parametrize(
    ("name", "encoding", "sep", "detected"),
    [
        ("utf8.csv", "utf-8", ",", "utf-8"),
        ("bom.csv", "utf-8-sig", ",", "utf-8-sig"),
        ("gb.csv", "gb18030", ",", "gb18030"),
        ("u16.txt", "utf-16", "\t", "utf-16"),
        ("semi.csv", "utf-8", ";", "utf-8"),
        ("tabs.tsv", "gb18030", "\t", "gb18030"),
    ],
)
def test_every_encoding_and_delimiter_gives_the_same_rows(tmp_path, name, encoding, sep, detected):
    path = tmp_path / name
    _write(SMALL, path, encoding, sep)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        rows = _tx(ws)[["customer_id", "ts", "amount", "is_return"]]
    assert report.sources[0].encoding == detected
    assert report.sources[0].delimiter == sep
    assert [tuple(r) for r in rows.itertuples(index=False)] == [
        (c, pd.Timestamp(t), a, r) for c, t, a, r in EXPECTED
    ]


def test_gbk_file_as_chinese_excel_writes_it(tmp_path):
    frame = SMALL.assign(客户编号=["007", "007", "0100", "王记"])
    _write(frame, tmp_path / "gbk.csv", "gbk")
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "gbk.csv", ws)
        assert list(_tx(ws)["customer_id"]) == ["007", "007", "0100", "王记"]
    assert report.sources[0].encoding == "gb18030"


def test_xlsx_with_real_dates_serial_numbers_and_text_ids(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户ID", "交易日期", "销售额", "数量"])
    sheet.append(["007", dt.datetime(2026, 6, 30, 9, 30), 12.5, 1])
    sheet.append(["008", 46203, 3, 2])  # Excel serial day 46203 = 2026-06-30
    sheet.append(["009", "2026/6/29", "4.25", None])
    book.save(tmp_path / "s.xlsx")
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "s.xlsx", ws)
        rows = _tx(ws)
    assert report.loaded == 3 and report.sources[0].format == "xlsx"
    assert list(rows["customer_id"]) == ["007", "008", "009"]
    assert list(rows["ts"]) == [pd.Timestamp("2026-06-30 09:30"), pd.Timestamp("2026-06-30"), pd.Timestamp("2026-06-29")]
    assert list(rows["amount"]) == [Decimal("12.5"), Decimal("3"), Decimal("4.25")]
    assert rows["quantity"].iloc[1] == 2.0 and pd.isna(rows["quantity"].iloc[2])


def test_in_memory_pandas_and_arrow_tables(tmp_path):
    frame = pd.DataFrame({"customer": ["a", "b"], "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                          "amount": [1.1, 2.2]})
    with Workspace(":memory:") as ws:
        ingest(frame, ws)
        ingest(pa.Table.from_pandas(frame.assign(customer=["c", "d"])), ws)
        rows = _tx(ws)
        assert ws.sql("SELECT count(*) AS n FROM sources")["n"][0] == 2
    assert list(rows["customer_id"]) == ["a", "b", "c", "d"]
    assert list(rows["amount"]) == [Decimal("1.1"), Decimal("2.2")] * 2


def test_folder_of_files_loads_each_and_reports_progress(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _write(SMALL.iloc[:2], folder / "a.csv", "gbk")
    _write(SMALL.iloc[2:3], folder / "b.csv", "utf-8-sig")
    (folder / "notes.md").write_text("not a table")
    calls = []
    with Workspace(":memory:") as ws:
        report = ingest(folder, ws, progress=lambda done, total, name: calls.append((done, total)))
        assert ws.sql("SELECT count(*) AS n FROM transactions")["n"][0] == 3
    assert [s.loaded for s in report.sources] == [2, 1]
    assert calls == [(0, 2), (1, 2), (2, 2)]


# -- mapping -------------------------------------------------------------------------------------
def test_headers_are_normalised_case_spaces_and_full_width():
    assert normalise_header("  Customer ID ") == normalise_header("customer_id") == "customerid"
    assert normalise_header("ＣＵＳＴＯＭＥＲ＿ＩＤ") == "customerid"
    assert map_columns(["ＣｕｓｔｏｍｅｒＩＤ", "Order Date", "Amount"]) == {
        "customer_id": "ＣｕｓｔｏｍｅｒＩＤ", "ts": "Order Date", "amount": "Amount"}


def test_online_retail_headers_map_without_help():
    cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    assert map_columns(cols) == {"customer_id": "CustomerID", "ts": "InvoiceDate", "order_id": "InvoiceNo",
                                 "quantity": "Quantity", "unit_price": "UnitPrice", "product": "StockCode"}


def test_specific_alias_beats_generic_and_explicit_mapping_wins():
    cols = ["客户名称", "客户编号", "日期", "实收金额", "金额"]
    with pytest.raises(SchemaError, match="'实收金额' and '金额' both look like amount"):
        map_columns(cols)
    got = map_columns(cols, {"amount": "实收金额"})
    assert got == {"customer_id": "客户编号", "ts": "日期", "amount": "实收金额"}
    assert map_columns(cols, {"customer_id": "客户名称", "amount": "金额"})["customer_id"] == "客户名称"
    with pytest.raises(SchemaError, match="not in the file"):
        map_columns(cols, {"amount": "收入"})
    with pytest.raises(SchemaError, match="unknown field 'money'"):
        map_columns(cols, {"money": "金额"})


def test_amount_is_quantity_times_unit_price_when_there_is_no_amount():
    frame = pd.DataFrame({"客户": ["a", "b", "c"], "日期": ["2026-01-01"] * 3, "数量": ["3", "2", "x"],
                          "单价": ["19.99", "0.125", "1"]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        rows = _tx(ws)
        rej = ws.sql("SELECT * FROM rejects")
    assert list(rows["amount"]) == [Decimal("59.97"), Decimal("0.25")]
    assert report.rejected_by_reason == {"non-numeric amount": 1}
    assert rej["column"][0] == "数量 × 单价" and rej["value"][0] == "x × 1"


# -- merging, returns, rejects -------------------------------------------------------------------
def test_lines_of_one_order_merge_into_one_transaction():
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B"],
        "order_id": ["O1", "O1", "O1", "O2", "O1"],
        "ts": ["2026-01-05 10:00", "2026-01-05 09:00", "2026-01-05 12:00", "2026-01-05", "2026-01-05"],
        "amount": ["10", "5.5", "1", "2", "3"],
        "cost": ["6", "3", None, "1", "1"],
        "product": ["茶", "杯", "茶", "茶", "茶"],
    })
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        rows = _tx(ws)
    assert (report.input_rows, report.loaded, report.merged, report.rejected) == (5, 3, 2, 0)
    first = rows.iloc[0]
    assert (first["customer_id"], first["order_id"], first["amount"], first["cost"]) == ("A", "O1", Decimal("16.5"), Decimal("9"))
    assert first["ts"] == pd.Timestamp("2026-01-05 09:00") and first["product"] == "杯; 茶"
    assert first["source_row"] == 1
    assert list(rows["amount"]) == [Decimal("16.5"), Decimal("2"), Decimal("3")]


def test_returns_and_cancellations_are_negative_and_counted():
    frame = pd.DataFrame({
        "客户编号": ["A", "A", "A", "A", "A"],
        "单号": ["S1", "C536379", "S3", "S4", "S5"],
        "日期": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"],
        "数量": ["2", "-1", "1", "-1", "1"],
        "金额": ["100", "-50", "30", "20", "40"],
        "状态": ["完成", "完成", "退货", "", "已取消"],
    })
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        rows = _tx(ws)
    assert report.returns == 4
    assert list(rows["is_return"]) == [False, True, True, True, True]
    assert list(rows["amount"]) == [Decimal(x) for x in ("100", "-50", "-30", "-20", "-40")]
    assert rows["amount"].sum() == Decimal("-40")
    assert list(rows["quantity"]) == [2.0, -1.0, -1.0, -1.0, -1.0]


def test_each_reject_reason_with_row_column_and_value(tmp_path):
    frame = pd.DataFrame({
        "客户编号": ["A", "", "B", "B", "C", "C", "D", "E"],
        "订单号": ["1", "2", "3", "4", "5", "5", "6", "7"],
        "下单日期": ["2026-01-01", "2026-01-01", "2026-02-30", None, "2026-01-02", "2026-01-02", "2026-01-03", "2026-01-03"],
        "金额": ["1", "1", "1", "1", "2", "2", "¥ 1,000.00", "N/A"],
    })
    out = tmp_path / "rej.csv"
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws, rejects_out=out)
        rej = ws.con.execute('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row').fetchall()
        amounts = list(_tx(ws)["amount"])
    assert report.rejected_by_reason == {
        "exact duplicate line": 1, "missing customer id": 1, "missing date": 1,
        "non-numeric amount": 1, "unparseable date": 1}
    assert rej == [
        (2, "客户编号", None, "missing customer id"),
        (3, "下单日期", "2026-02-30", "unparseable date"),
        (4, "下单日期", None, "missing date"),
        (6, "订单号", "5", "exact duplicate line"),
        (8, "金额", "N/A", "non-numeric amount"),
    ]
    assert amounts == [Decimal("1"), Decimal("2"), Decimal("1000")]
    written = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(written["source_row"]) == ["2", "3", "4", "6", "8"]


def test_identical_lines_without_order_number_are_two_purchases():
    """As in the CDNOW sample (21 such lines counted by the published figures)."""
    frame = pd.DataFrame({"customer_id": ["A", "A"], "ts": ["2026-01-01"] * 2, "amount": ["5", "5"]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
    assert (report.loaded, report.rejected) == (2, 0)


def test_unreadable_optional_values_are_left_empty_and_reported():
    frame = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2026-01-01"] * 2, "amount": ["5", "6"],
                          "cost": ["x", "1"], "回款日期": ["2026-02-01", "soon"]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        rows = _tx(ws)
    assert report.loaded == 2
    assert report.sources[0].values_left_empty == {"cost": 1, "回款日期": 1}
    assert pd.isna(rows["cost"][0]) and rows["paid_on"][0] == dt.date(2026, 2, 1)


def test_loading_the_same_file_twice_changes_nothing(tmp_path):
    _write(SMALL, tmp_path / "s.csv", "gb18030")
    path = tmp_path / "ws.duckdb"
    first = ingest(tmp_path / "s.csv", path)
    before = {t: Workspace(path).sql(f"SELECT count(*) AS n FROM {t}")["n"][0] for t in ("transactions", "sources")}
    (tmp_path / "copy.csv").write_bytes((tmp_path / "s.csv").read_bytes())
    again = ingest([tmp_path / "s.csv", tmp_path / "copy.csv"], path)
    with Workspace(path) as ws:
        after = {t: ws.sql(f"SELECT count(*) AS n FROM {t}")["n"][0] for t in ("transactions", "sources")}
    assert first.loaded == 4 and before == after == {"transactions": 4, "sources": 1}
    assert [s.status for s in again.sources] == ["already loaded", "already loaded"]
    assert again.input_rows == again.loaded == 0


def test_an_error_in_one_file_rolls_back_the_whole_call(tmp_path):
    _write(SMALL, tmp_path / "a.csv", "utf-8")
    _write(SMALL.drop(columns="金额"), tmp_path / "b.csv", "utf-8")
    path = tmp_path / "ws.duckdb"
    with pytest.raises(SchemaError, match="required field 'amount'"):
        ingest([tmp_path / "a.csv", tmp_path / "b.csv"], path)
    with Workspace(path) as ws:
        assert not ws.has_table("transactions") or ws.sql("SELECT count(*) AS n FROM transactions")["n"][0] == 0


def test_dates_after_the_cutoff_and_no_readable_dates_are_errors():
    frame = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2026-06-30 23:59", "2026-07-01"], "amount": ["1", "2"]})
    with Workspace(":memory:") as ws:
        with pytest.raises(InputError, match="1 rows are dated after the cutoff 2026-06-30") as err:
            ingest(frame, ws, cutoff="2026-06-30")
        assert err.value.row == 2
        ingest(frame, ws, cutoff=dt.date(2026, 7, 1))
        with pytest.raises(InputError, match="no value of the date column could be read"):
            ingest(frame.assign(ts=["30.06.2026", "01.07.2026"]), ws)
        report = ingest(frame.assign(ts=["30.06.2026", "01.07.2026"]), ws, date_format="%d.%m.%Y")
        # B's sale (2026-07-01, 2) was loaded above; A's differs by its time of day
        assert report.loaded == 1 and report.rejected_by_reason == {"already loaded from <table>": 1}


def test_existing_hand_made_transactions_table_gets_the_missing_columns():
    with Workspace(":memory:") as ws:
        ws.con.execute("CREATE TABLE transactions AS SELECT 'x' AS customer_id, TIMESTAMP '2026-01-01' AS ts, "
                       "1.0::DECIMAL(18,4) AS amount")
        ingest(pd.DataFrame({"customer_id": ["y"], "ts": ["2026-01-02"], "amount": ["2"]}), ws)
        rows = _tx(ws)
    assert list(rows["customer_id"]) == ["y", "x"] or list(rows["customer_id"]) == ["x", "y"]
    assert "is_return" in rows.columns


def test_sources_table_records_file_hash_encoding_and_mapping(tmp_path):
    _write(SMALL, tmp_path / "s.csv", "gb18030")
    with Workspace(":memory:") as ws:
        ingest(tmp_path / "s.csv", ws)
        src = ws.sql("SELECT * FROM sources").iloc[0]
    import hashlib

    assert src["file"] == "s.csv" and src["encoding"] == "gb18030" and src["rows"] == 4
    assert src["sha256"] == hashlib.sha256((tmp_path / "s.csv").read_bytes()).hexdigest()
    assert json.loads(src["mapping"]) == {"customer_id": "客户编号", "ts": "下单日期", "amount": "金额", "order_id": "订单号"}


def test_sniff_delimiter_cases():
    assert sniff_delimiter(['a,"b,c",d', "1,2,3"]) == ","
    assert sniff_delimiter(["a\tb", "1\t2,5"]) == "\t"
    assert sniff_delimiter(["a|b|c", "1|2|3"]) == "|"
    assert sniff_delimiter(["x  y   z", " 1 2 3"]) == " "


# -- side tables (issue 6) ----------------------------------------------------------------------
def test_side_tables_go_through_the_same_reader(tmp_path):
    pd.DataFrame({"客户编号": ["007", "008", ""], "客户名称": ["王记", "李记", "无名"], "地区": ["华东", "华南", "华北"]}).to_csv(
        tmp_path / "c.csv", index=False, encoding="gbk")
    pd.DataFrame({"客户编号": ["007", "007"], "互动时间": ["2026-01-05", "bad"], "类型": ["visit", "call"]}).to_csv(
        tmp_path / "i.csv", index=False, encoding="utf-16", sep="\t")
    with Workspace(":memory:") as ws:
        cust = ingest(tmp_path / "c.csv", ws, kind="customers")
        inter = ingest(tmp_path / "i.csv", ws, kind="interactions")
        again = ingest(tmp_path / "c.csv", ws, kind="customers")
        customers = ws.sql("SELECT * FROM customers")
        interactions = ws.sql("SELECT * FROM interactions")
        rej = ws.sql("SELECT * FROM rejects ORDER BY source_id")
    assert (cust.input_rows, cust.loaded, cust.rejected) == (3, 2, 1)
    assert cust.sources[0].encoding == "gb18030" and inter.sources[0].encoding == "utf-16"
    assert list(customers["customer_id"]) == ["007", "008"] and list(customers["region"]) == ["华东", "华南"]
    assert (inter.loaded, inter.rejected) == (1, 1)
    assert interactions["ts"][0] == pd.Timestamp("2026-01-05")
    assert list(rej["reason"]) == ["missing required value", "not a date"]
    assert again.already_loaded == [str(tmp_path / "c.csv")]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["12/1/2010 8:26", "12/13/2010 9:00"], ["2010-12-01 08:26", "2010-12-13 09:00"]),  # Online Retail: month first
        (["1/12/2010", "30/6/2026"], ["2010-12-01", "2026-06-30"]),  # day first
    ],
)
def test_slash_dates_take_their_order_from_the_column(dates, expected):
    with Workspace(":memory:") as ws:
        ingest(pd.DataFrame({"CustomerID": ["1", "2"], "InvoiceDate": dates, "amount": ["1", "2"]}), ws)
        assert list(_tx(ws)["ts"]) == [pd.Timestamp(e) for e in expected]


def test_slash_dates_that_fit_both_orders_need_a_format():
    frame = pd.DataFrame({"CustomerID": ["1", "2"], "InvoiceDate": ["1/2/2010", "3/4/2010"], "amount": ["1", "2"]})
    with Workspace(":memory:") as ws:
        with pytest.raises(InputError, match="--date-format"):
            ingest(frame, ws)
        ingest(frame, ws, date_format="%d/%m/%Y")
        assert list(_tx(ws)["ts"]) == [pd.Timestamp("2010-02-01"), pd.Timestamp("2010-04-03")]


def test_file_without_header_and_without_names_gets_numbered_columns(tmp_path):
    (tmp_path / "raw.csv").write_text("A;2026-01-01;5\nB;2026-01-02;6\n", encoding="utf-8")
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "raw.csv", ws, header=False,
                        mapping={"customer_id": "column1", "ts": "column2", "amount": "column3"})
        assert list(_tx(ws)["customer_id"]) == ["A", "B"]
    assert report.loaded == 2 and report.sources[0].delimiter == ";"


def test_ids_stored_as_floats_by_pandas_stay_ids():
    frame = pd.DataFrame({"customer_id": [7.0, None, 12.0], "ts": ["2026-01-01"] * 3, "amount": [1.0, 2.0, 2.5]})
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        rows = _tx(ws)
    assert list(rows["customer_id"]) == ["7", "12"] and report.rejected_by_reason == {"missing customer id": 1}
    assert list(rows["amount"]) == [Decimal("1"), Decimal("2.5")]


def test_title_lines_above_the_header_are_skipped(tmp_path):
    """ERP exports often put a title (and a blank line) above the header."""
    text = "销售明细表,,\r\n导出时间: 2026-07-01,,\r\n\r\n客户编号,下单日期,金额\r\n007,2026-06-01,5\r\n008,2026-06-02,6\r\n"
    (tmp_path / "erp.csv").write_bytes(text.encode("gbk"))
    book = openpyxl.Workbook()
    for row in (["销售明细表"], [], ["客户编号", "下单日期", "金额"], ["007", "2026-06-01", 5], ["008", "2026-06-02", 6]):
        book.active.append(row)
    book.save(tmp_path / "erp.xlsx")
    for name, skipped in (("erp.csv", 3), ("erp.xlsx", 2)):  # blank lines count, as in the CSV
        with Workspace(":memory:") as ws:
            report = ingest(tmp_path / name, ws)
            rows = _tx(ws)
        assert list(rows["customer_id"]) == ["007", "008"] and list(rows["source_row"]) == [1, 2]
        assert report.sources[0].lines_above_header == skipped and report.rejected == 0


def test_side_table_under_a_title_line(tmp_path):
    text = "客户名单,,\r\n客户编号,客户名称,地区\r\n007,王记,华东\r\n"
    (tmp_path / "c.csv").write_bytes(text.encode("gbk"))
    with Workspace(":memory:") as ws:
        report = ingest(tmp_path / "c.csv", ws, kind="customers")
        assert ws.con.execute("SELECT customer_id, name, region FROM customers").fetchall() == [("007", "王记", "华东")]
    assert report.sources[0].lines_above_header == 1
