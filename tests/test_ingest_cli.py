"""``xuanba ingest`` in-process: the row accounting it prints, --json, and each user mistake."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app

MESSY = pd.DataFrame(
    [
        ["C001", "SO1", "2026-01-05 10:00", "绿茶", "2", "10.50", "21.00", "12"],
        ["C001", "SO1", "2026-01-05 11:00", "红茶", "1", "5", "5", "3"],
        ["C001", "SO1", "2026-01-05 11:00", "红茶", "1", "5", "5", "3"],  # exact duplicate line
        ["", "SO2", "2026/1/6", "绿茶", "1", "10", "10", "5"],  # no customer id
        ["C002", "SO3", "2026年1月7日", "绿茶", "1", "10", "abc", "5"],  # non-numeric amount
        ["C002", "SO4", "2026-02-30", "绿茶", "1", "10", "10", "5"],  # no such day
        ["C003", "C5", "20260108", "绿茶", "-1", "10", "-10", "-5"],  # a cancellation
        ["C004", "SO6", "46203", "绿茶", "1", "10", "1,234.5", "5"],  # Excel serial date
    ],
    columns=["客户编号", "订单号", "下单日期", "产品", "数量", "单价", "金额", "成本"],
)


@pytest.fixture()
def messy_gbk(tmp_path):
    path = tmp_path / "销售.csv"
    MESSY.to_csv(path, index=False, encoding="gbk", lineterminator="\r\n")
    return path


def run(*args: str):
    return CliRunner().invoke(app, ["ingest", *args])


def test_cli_prints_the_row_accounting(messy_gbk, tmp_path):
    ws = tmp_path / "w.duckdb"
    out = tmp_path / "rejects.xlsx"
    result = run(str(messy_gbk), "-w", str(ws), "--rejects-out", str(out))
    assert result.exit_code == 0, result.output
    assert "input = loaded + merged + rejected: 8 = 3 + 1 + 4" in result.output
    for reason in ("exact duplicate line", "missing customer id", "non-numeric amount", "unparseable date"):
        assert reason in result.output
    assert pd.read_excel(out)["reason"].tolist() == [
        "exact duplicate line", "missing customer id", "non-numeric amount", "unparseable date"]
    again = run(str(messy_gbk), "-w", str(ws))
    assert again.exit_code == 0 and "already loaded" in again.output
    with Workspace(ws, read_only=True) as w:
        assert w.sql("SELECT count(*) AS n FROM transactions")["n"][0] == 3


def test_cli_json_has_the_same_numbers(messy_gbk, tmp_path):
    result = run(str(messy_gbk), "--workspace", str(tmp_path / "w.duckdb"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["input_rows"], data["loaded"], data["merged"], data["rejected"], data["returns"]) == (8, 3, 1, 4, 1)
    assert data["rejected_by_reason"] == {
        "exact duplicate line": 1, "missing customer id": 1, "non-numeric amount": 1, "unparseable date": 1}
    src = data["sources"][0]
    assert src["encoding"] == "gb18030" and src["amount_total"] == pytest.approx(26 - 10 + 1234.5)


def test_cli_reads_cdnow_text_with_named_columns(test_data, tmp_path):
    result = run(str(test_data / "CDNOW_sample.txt"), "-w", str(tmp_path / "w.duckdb"), "--json",
                 "--columns", "master_id,customer_id,ts,quantity,amount", "--date-format", "%Y%m%d")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["input_rows"], data["loaded"], data["sources"][0]["customers"]) == (6919, 6919, 2357)
    assert data["sources"][0]["amount_total"] == 244091.94


def test_cli_side_table_kind_and_map(tmp_path):
    path = tmp_path / "needs.csv"
    pd.DataFrame({"客户": ["007"], "想要": ["直播"]}).to_csv(path, index=False, encoding="utf-8-sig")
    ws = tmp_path / "w.duckdb"
    result = run(str(path), "-w", str(ws), "--kind", "needs", "--map", "customer_id=客户", "--map", "tag=想要")
    assert result.exit_code == 0, result.output
    with Workspace(ws, read_only=True) as w:
        assert w.con.execute("SELECT customer_id, tag FROM needs").fetchall() == [("007", "直播")]


def _bytes(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


ERRORS = [
    # (file name, content, extra args, fragments the message must hold)
    ("missing.csv", "客户编号,金额\r\nA,1\r\n".encode("gbk"), [],
     ["missing.csv", "required field 'ts'", "columns found: 客户编号, 金额", "下单时间", "--map ts="]),
    ("enc.csv", b"customer,date,amount\nA,2026-01-01,\x81\x20\n", [],
     ["enc.csv", "line 2 of the file", "neither UTF-8, UTF-16 nor GBK", "CSV UTF-8"]),
    ("empty.csv", b"", [], ["empty.csv", "the file is empty"]),
    ("header.csv", b"customer,date,amount\r\n", [], ["header.csv", "header but no data rows"]),
    ("blank.csv", b"\r\n  \r\n", [], ["blank.csv", "no lines with data"]),
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", [], ["image.csv", "not a text table"]),
    ("fake.xlsx", b"customer,date,amount\n", [], ["fake.xlsx", "not an Excel workbook"]),
    ("fake.parquet", b"customer,date,amount\n", [], ["fake.parquet", "not a Parquet table"]),
    ("report.pdf", b"%PDF-1.4", [], ["report.pdf", "unknown file type '.pdf'"]),
    ("dates.csv", b"customer,date,amount\nA,30.06.2026,1\nB,01.07.2026,2\n", [],
     ["dates.csv", "column 'date'", "no value of the date column could be read", "--date-format"]),
    ("nodates.csv", b"customer,date,amount\nA,,1\nB,,2\n", [], ["nodates.csv", "the date column is empty"]),
    ("late.csv", b"customer,date,amount\nA,2026-06-30,1\nB,2026-07-02,2\n", ["--cutoff", "2026-06-30"],
     ["late.csv", "row 2", "1 rows are dated after the cutoff 2026-06-30", "'2026-07-02'"]),
    ("two.csv", b"customer,date,time,amount\nA,2026-06-30,10:00,1\n", [],
     ["two.csv", "'date' and 'time' both look like ts", "--map ts=date"]),
    ("map.csv", b"customer,date,amount\nA,2026-06-30,1\n", ["--map", "customer_id"], ["is not field=column"]),
    ("nohead.txt", b"1 A 20260630 3\n2 B 20260629 4\n", ["--columns", "id,customer_id,ts"],
     ["nohead.txt", "--columns names 3 columns but the file has 4"]),
    ("headless.txt", b"1 A 20260630 3\n2 B 20260630 4\n", [], ["The first line looks like data", "--columns col1,col2"]),
    ("oneline.txt", b"1 A 20260630 3\n", [], ["header but no data rows", "--columns"]),
    ("kind.csv", b"a\n1\n", ["--kind", "orders"], ["unknown kind 'orders'"]),
]


@pytest.mark.parametrize(("name", "content", "args", "fragments"), ERRORS, ids=[e[0] for e in ERRORS])
def test_cli_user_mistakes_exit_2_with_file_and_fix_no_traceback(tmp_path, name, content, args, fragments):
    path = _bytes(tmp_path, name, content)
    ws = tmp_path / "w.duckdb"
    result = run(str(path), "-w", str(ws), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error:")
    flat = " ".join(result.output.split())
    for fragment in fragments:
        assert " ".join(fragment.split()) in flat, (fragment, result.output)
    if ws.exists():  # nothing half-written
        with Workspace(ws, read_only=True) as w:
            assert not w.has_table("transactions") or w.sql("SELECT count(*) AS n FROM transactions")["n"][0] == 0


def test_cli_error_as_json(tmp_path):
    path = _bytes(tmp_path, "missing.csv", b"customer,amount\nA,1\n")
    result = run(str(path), "-w", str(tmp_path / "w.duckdb"), "--json")
    assert result.exit_code == 2
    err = json.loads(result.stdout)
    assert err["error"] == "SchemaError" and err["file"].endswith("missing.csv") and err["column"] == "ts"


def test_cli_missing_file_and_folder_without_tables(tmp_path):
    assert run(str(tmp_path / "none.csv"), "-w", str(tmp_path / "w.duckdb")).exit_code == 2
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "readme.md").write_text("x")
    result = run(str(tmp_path / "dir"), "-w", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2 and "holds no table files" in result.output


def test_cli_utf8_file_with_one_foreign_byte_is_not_read_as_gbk(tmp_path):
    good = "".join(f"客户{i:03d},2026-01-01,{i}\n" for i in range(40)).encode("utf-8")
    path = _bytes(tmp_path, "mixed.csv", "客户编号,日期,金额\n".encode() + good + b"X\xe9,2026-01-02,1\n")
    result = run(str(path), "-w", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "UTF-8 text up to line 42 of the file" in flat and "CSV UTF-8" in flat
    zh = " ".join(CliRunner().invoke(app, ["--lang", "zh", "ingest", str(path), "-w", str(tmp_path / "w.duckdb")]).output.split())
    assert "该文件到第 42 行" in zh and "另存为“CSV UTF-8”" in zh and "Open the file" not in zh, zh  # was English


@pytest.mark.parametrize(("lang", "said"), [("en", "both look like is_return"), ("zh", "都像是 is_return")])
def test_two_columns_that_both_look_like_one_field_are_said_in_either_language(tmp_path, lang, said):
    """A file with two return-flag columns (是否退货 and 退货标志, aliases of is_return since
    ingest25): the message and its fix name both columns in the language asked for; 4910535 said
    them in English under --lang zh."""
    path = _bytes(tmp_path, "flags.csv", "客户编号,下单日期,金额,是否退货,退货标志\r\nA,2026-06-30,1,否,\r\n".encode("gbk"))
    result = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "-w", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    flat = " ".join(result.output.split())
    assert said in flat and "'是否退货'" in flat and "'退货标志'" in flat and "--map is_return=是否退货" in flat, flat
    assert ("Say which one" in flat) == (lang == "en"), flat
