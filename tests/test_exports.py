"""Exports: CSV in UTF-8 with BOM (Excel reads Chinese), one workbook with a frozen-header sheet
per table, Parquet that round-trips exactly; stored rounds' roster, diff and facts. What issue 12
asks of exports (formula injection, file names, atomic writes, Excel's row limit) is tested in
tests/security/."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_report import make_workspace
from xuanba.cli import app
from xuanba.errors import DataError, InputError
from xuanba.outputs.exports import export_round, export_table, export_tables

FRAME = pd.DataFrame({
    "客户编号": ["甲001", "乙002"],
    "score": [91.25, 48.5],
    "gates_failed": [["active"], []],
    "when": pd.to_datetime(["2026-06-30", "2026-07-01"]).tz_localize("Asia/Shanghai"),
})


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def test_csv_has_a_bom_and_reads_back_in_chinese(tmp_path):
    p = export_table(FRAME, tmp_path / "a" / "roster.csv")
    raw = p.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(p, encoding="utf-8-sig")
    assert list(back.columns) == list(FRAME.columns)
    assert back["客户编号"].tolist() == ["甲001", "乙002"]
    assert back["gates_failed"].fillna("").tolist() == ["active", ""]


def test_xlsx_has_a_sheet_per_table_with_frozen_headers(tmp_path):
    [p] = export_tables({"roster": FRAME, "名单/差异:2026": FRAME.head(1)}, tmp_path / "round.xlsx")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["roster", "名单_差异_2026"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
    ws = wb["roster"]
    assert [c.value for c in ws[1]] == list(FRAME.columns)
    assert ws["A2"].value == "甲001" and ws["B3"].value == 48.5 and ws["C2"].value == "active"


def test_parquet_round_trips_exactly(tmp_path):
    [p] = export_tables({"roster": FRAME}, tmp_path / "out", fmt="parquet")
    assert p.name == "roster.parquet"
    back = pd.read_parquet(p)
    assert back["客户编号"].tolist() == FRAME["客户编号"].tolist()
    assert back["score"].tolist() == FRAME["score"].tolist()
    assert [list(x) for x in back["gates_failed"]] == [["active"], []]
    assert (back["when"] == FRAME["when"]).all()


def test_csv_folder_gets_one_file_per_table(tmp_path):
    paths = export_tables({"roster": FRAME, "diff": FRAME}, tmp_path, fmt="csv")
    assert [p.name for p in paths] == ["roster.csv", "diff.csv"]


def test_a_bad_format_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="cannot write a '.txt' file"):
        export_table(FRAME, tmp_path / "x.txt")
    with pytest.raises(InputError, match="which format"):
        export_tables({"a": FRAME}, tmp_path / "folder")


def test_the_table_writer_writes_the_three_formats(tmp_path):
    from xuanba.tables import write_table

    for suffix in (".csv", ".xlsx", ".parquet"):
        p = write_table(FRAME[["客户编号", "score"]], tmp_path / f"f{suffix}", sheet="facts")
        assert p.exists() and p.stat().st_size > 0
    assert openpyxl.load_workbook(tmp_path / "f.xlsx").sheetnames == ["facts"]


def test_export_round_writes_roster_diff_and_facts(real_ws, tmp_path):
    from xuanba.rounds import diff_rounds, load_round

    [p] = export_round(real_ws, "latest", tmp_path / "r.xlsx", tables=["roster", "diff", "migration", "facts"])
    wb = openpyxl.load_workbook(p, read_only=True)
    assert wb.sheetnames == ["roster", "diff", "migration", "facts"]
    roster = pd.read_excel(p, sheet_name="roster")
    expected = load_round(real_ws, 2).roster
    assert roster["customer_id"].tolist() == expected["customer_id"].tolist()
    assert roster["score"].round(9).tolist() == expected["score"].round(9).tolist()
    diff = pd.read_excel(p, sheet_name="diff", keep_default_na=False)
    assert len(diff) == len(diff_rounds(real_ws, 1, 2).changes)
    with pytest.raises(DataError, match="first one"):
        export_round(real_ws, "1", tmp_path / "d.xlsx", tables=["diff"])
    with pytest.raises(InputError, match="unknown table"):
        export_round(real_ws, "1", tmp_path / "d.xlsx", tables=["secrets"])


def test_export_command(real_ws, tmp_path):
    res = CliRunner().invoke(app, ["export", "2", "--out", str(tmp_path / "o"), "--format", "parquet",
                                   "--tables", "roster,diff", "--against", "1", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    files = json.loads(res.stdout)["files"]
    assert [f.rsplit("/", 1)[-1] for f in files] == ["roster.parquet", "diff.parquet"]
    assert len(pd.read_parquet(files[0])) == 300
    res = CliRunner().invoke(app, ["export", "1", "--out", str(tmp_path / "x.txt"), "-w", str(real_ws)])
    assert res.exit_code == InputError.exit_code and "Traceback" not in res.output
