"""Exports: CSV in UTF-8 with BOM (Excel reads Chinese), one workbook with a frozen-header sheet
per table, Parquet that round-trips exactly; stored rounds' roster, diff and facts."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import kill_when
from tests.test_report import make_workspace
from xuanba import _files, tables
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


def test_bad_format_and_too_many_rows_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="cannot write a '.txt' file"):
        export_table(FRAME, tmp_path / "x.txt")
    with pytest.raises(InputError, match="which format"):
        export_tables({"a": FRAME}, tmp_path / "folder")
    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 2)
    with pytest.raises(DataError, match="an Excel sheet holds 1") as err:
        export_tables({"roster": FRAME}, tmp_path / "big.xlsx")
    assert ".parquet or .csv" in err.value.fix


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


# -- formula injection (issue 12, point 6) -------------------------------------------------------

EVIL = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "甲=1"]


def test_xlsx_text_that_looks_like_a_formula_stays_text(tmp_path):
    frame = pd.DataFrame({"customer_id": EVIL, "=name": EVIL, "score": range(len(EVIL))})
    [p] = export_tables({"roster": frame}, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(p)["roster"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c.data_type for c in cells if c.data_type == "f"] == []
    assert ws["B1"].value == "=name" and ws.freeze_panes == "A2"
    assert [ws.cell(r, 1).value for r in range(2, len(EVIL) + 2)] == EVIL
    assert [ws.cell(r, 3).value for r in range(2, len(EVIL) + 2)] == list(range(len(EVIL)))


def test_csv_neutralises_text_that_starts_like_a_formula_and_leaves_numbers(tmp_path):
    frame = pd.DataFrame({"customer_id": EVIL, "product": pd.Categorical(EVIL),
                          "delta": [-1.5] * len(EVIL), "n": [-3] * len(EVIL)})
    p = export_table(frame, tmp_path / "r.csv")
    back = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False)
    expected = ["'" + v for v in EVIL[:-1]] + ["甲=1"]
    assert back["customer_id"].tolist() == expected
    assert back["product"].tolist() == expected
    assert back["delta"].tolist() == [-1.5] * len(EVIL) and back["n"].tolist() == [-3] * len(EVIL)


def test_rejects_and_facts_outputs_go_through_the_safe_writer(tmp_path):
    from xuanba import Workspace
    from xuanba.ingest import ingest

    src = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": ['=HYPERLINK("http://x","y")', "c2"],
                  "date": ["2026-01-01", "=cmd|' /C calc'!A0"], "amount": [10, 5]}).to_csv(src, index=False)
    with Workspace(":memory:") as ws:
        ingest(src, ws, rejects_out=tmp_path / "rejects.xlsx")
    ws_ = openpyxl.load_workbook(tmp_path / "rejects.xlsx").worksheets[0]
    cells = [c for row in ws_.iter_rows() for c in row]
    assert "=cmd|' /C calc'!A0" in [c.value for c in cells]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []


# -- a file name is honoured (point 7) -----------------------------------------------------------


def test_a_csv_file_name_is_honoured_and_other_files_are_left_alone(tmp_path):
    mine = tmp_path / "roster.csv"
    mine.write_bytes(b"my own file")
    [p] = export_tables({"roster": FRAME}, tmp_path / "round.csv")
    assert p == tmp_path / "round.csv" and p.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert mine.read_bytes() == b"my own file"
    paths = export_tables({"roster": FRAME, "diff": FRAME.head(1)}, tmp_path / "round.csv")
    assert [p.name for p in paths] == ["round-roster.csv", "round-diff.csv"]
    assert len(pd.read_csv(paths[1], encoding="utf-8-sig")) == 1
    assert mine.read_bytes() == b"my own file"


def test_export_command_honours_a_file_name(real_ws, tmp_path):
    mine = tmp_path / "roster.csv"
    mine.write_bytes(b"my own file")
    res = CliRunner().invoke(app, ["export", "2", "--out", str(tmp_path / "round.csv"), "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["files"] == [str(tmp_path / "round.csv")]
    assert len(pd.read_csv(tmp_path / "round.csv", encoding="utf-8-sig")) == 300
    assert mine.read_bytes() == b"my own file"
    res = CliRunner().invoke(app, ["export", "2", "--out", str(tmp_path / "round.csv"), "--tables", "roster,diff",
                                   "--against", "1", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert [f.rsplit("/", 1)[-1] for f in json.loads(res.stdout)["files"]] == ["round-roster.csv", "round-diff.csv"]


# -- atomic writes (point 8) ---------------------------------------------------------------------


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _half_then_full(real):
    """A writer that writes part of the file, then finds the disk full."""
    def write(self, path, *args, **kwargs):
        real(self.head(1), path, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_full_disk_half_way_leaves_the_previous_export_intact(tmp_path, monkeypatch, suffix):
    target = tmp_path / f"roster{suffix}"
    export_table(FRAME, target)
    before = target.read_bytes()
    if suffix == ".csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", _half_then_full(pd.DataFrame.to_csv))
    elif suffix == ".parquet":
        monkeypatch.setattr(pd.DataFrame, "to_parquet", _half_then_full(pd.DataFrame.to_parquet))
    else:
        real_write = tables.write_sheets

        def write_sheets(sheets, path):
            real_write([(name, frame.head(1), *look) for name, frame, *look in sheets], path)
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(tables, "write_sheets", write_sheets)
    with pytest.raises(OSError, match="No space"):
        export_table(pd.concat([FRAME] * 50), target)
    assert target.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [target.name]


def test_a_failed_rename_leaves_the_previous_files_and_no_temp_file(real_ws, tmp_path, monkeypatch):
    from xuanba.accounts.resources import write_sheet
    from xuanba.outputs.report import write_report

    report, sheet, csv = tmp_path / "r.html", tmp_path / "s.html", tmp_path / "t.csv"
    write_report(real_ws, "latest", report)
    write_sheet("# old\n", sheet)
    export_table(FRAME, csv)
    before = {p: p.read_bytes() for p in (report, sheet, csv)}
    monkeypatch.setattr(_files.os, "replace", _disk_full)
    with pytest.raises(OSError):
        write_report(real_ws, "1", report)
    with pytest.raises(OSError):
        write_sheet("# new\n", sheet)
    with pytest.raises(OSError):
        export_round(real_ws, "latest", csv)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.html", "s.html", "t.csv"]


def test_statement_pages_are_written_atomically(real_ws, tmp_path, monkeypatch):
    from xuanba.outputs.statements import write_statements

    pages = write_statements(real_ws, "latest", tmp_path / "st", customers=None, lang="en")[:3]
    before = {p: p.read_bytes() for p in pages}
    monkeypatch.setattr(_files, "_fsync", _disk_full)
    with pytest.raises(OSError):
        write_statements(real_ws, "1", tmp_path / "st", lang="en")
    assert {p: p.read_bytes() for p in pages} == before
    assert not [x for x in (tmp_path / "st").iterdir() if x.name.startswith(_files.TEMP_PREFIX)]


def test_a_killed_export_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "big.csv"
    export_table(FRAME, target)
    before = target.read_bytes()
    code = ("import sys, numpy as np, pandas as pd; from xuanba.tables import write_table; "
            "n = 3_000_000; write_table(pd.DataFrame({'a': np.arange(n), 'b': ['x' * 20] * n}), sys.argv[1])")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)])

    def writing() -> bool:
        temps = [x for x in tmp_path.iterdir() if x.name.startswith(_files.TEMP_PREFIX)]
        return bool(temps) and temps[0].stat().st_size > 0

    kill_when(proc, writing, "export")
    assert target.read_bytes() == before


# -- the GBK ingest's transcoded copy (point 8) ----------------------------------------------------


def _gbk_file(path, rows: int = 3):
    pd.DataFrame({"客户编号": ["王记"] * rows, "日期": ["2026-01-01"] * rows, "金额": [1.5] * rows}).to_csv(
        path, index=False, encoding="gbk")
    return path


def test_a_failed_gbk_ingest_leaves_no_transcoded_copy(tmp_path, monkeypatch):
    from xuanba import Workspace
    from xuanba.ingest import ingest, read

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    real = read._transcode

    def transcode_then_fail(path, encoding, out):
        real(path, encoding, out)
        assert out.stat().st_size > 0
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(read, "_transcode", transcode_then_fail)
    with Workspace(":memory:") as ws, pytest.raises(OSError, match="No space"):
        ingest(_gbk_file(tmp_path / "gbk.csv"), ws)
    assert list(tmp.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="a killed process is recognised by its id on POSIX")
def test_the_copy_of_a_killed_gbk_ingest_is_removed_by_the_next_ingest(tmp_path, monkeypatch):
    from xuanba import Workspace
    from xuanba.ingest import ingest

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    big = _gbk_file(tmp_path / "big.csv", rows=400_000)
    code = "import sys; from xuanba import Workspace; from xuanba.ingest import ingest; ingest(sys.argv[1], Workspace(':memory:'))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(big)], env={**os.environ, "TMPDIR": str(tmp)})
    kill_when(proc, lambda: bool(list(tmp.glob("xuanba-ingest-*/*"))), "ingest")
    assert list(tmp.glob("xuanba-ingest-*"))  # the killed run could not clean up after itself
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with Workspace(":memory:") as ws:
        ingest(_gbk_file(tmp_path / "small.csv"), ws)
    assert list(tmp.iterdir()) == []


# -- Excel's row limit (point 12) ----------------------------------------------------------------


def test_a_sheet_of_1048576_rows_and_a_header_is_refused_with_the_fix(tmp_path):
    big = pd.DataFrame({"n": np.zeros(tables.EXCEL_MAX_ROWS, dtype=np.int8)})
    with pytest.raises(DataError, match="1,048,576 rows; an Excel sheet holds 1,048,575") as err:
        export_table(big, tmp_path / "big.xlsx")
    assert ".parquet or .csv" in err.value.fix
    assert list(tmp_path.iterdir()) == []
