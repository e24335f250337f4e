"""The one table writer and reader (xuanba.tables): every format round-trips Chinese text and
leading-zero ids as text; CSV carries a BOM, workbooks a frozen header; clear errors."""

from __future__ import annotations

import ast
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import xuanba
from xuanba.errors import DataError, InputError
from xuanba.tables import read_table, write_table

FRAME = pd.DataFrame({
    "customer_id": ["007", "0420", "9"],
    "客户名称": ["王记茶饮", "李记", "张三"],
    "score": [1.5, 2.25, -3.0],
})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_each_format_round_trips_chinese_text_and_text_ids(tmp_path, suffix):
    path = write_table(FRAME, tmp_path / "sub" / f"roster{suffix}")
    assert path == tmp_path / "sub" / f"roster{suffix}"
    back = read_table(path)
    assert list(back.columns) == list(FRAME.columns)
    assert back["customer_id"].tolist() == ["007", "0420", "9"]
    assert back["客户名称"].tolist() == ["王记茶饮", "李记", "张三"]
    assert back["score"].tolist() == [1.5, 2.25, -3.0]


def test_csv_starts_with_a_bom(tmp_path):
    raw = write_table(FRAME, tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").splitlines()[1] == "007,王记茶饮,1.5"


def test_xlsx_has_a_sheet_per_table_and_a_frozen_header(tmp_path):
    [path] = write_table({"名单": FRAME, "diff": FRAME.head(1)}, tmp_path / "round.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["名单", "diff"]
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    assert read_table(path, sheet="diff")["customer_id"].tolist() == ["007"]
    single = write_table(FRAME, tmp_path / "one.xlsx", sheet="facts")
    assert openpyxl.load_workbook(single)["facts"].freeze_panes == "A2"


def test_several_tables_to_a_folder_give_one_file_each(tmp_path):
    paths = write_table({"roster": FRAME, "名单/差异": FRAME}, tmp_path / "out", "parquet")
    assert [p.name for p in paths] == ["roster.parquet", "名单_差异.parquet"]
    assert read_table(paths[1])["customer_id"].tolist() == ["007", "0420", "9"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(tmp_path, encoding):
    path = tmp_path / "客户.csv"
    path.write_bytes("customer_id,客户名称,金额\r\n007,王记茶饮,12.5\r\n".encode(encoding))
    back = read_table(path)
    assert back.columns.tolist() == ["customer_id", "客户名称", "金额"]
    assert back.iloc[0].tolist() == ["007", "王记茶饮", 12.5]


def test_text_true_guesses_no_types(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,amount,note\n007,1.50,\n", encoding="utf-8")
    assert read_table(path, text=True).iloc[0].tolist() == ["007", "1.50", ""]
    assert read_table(path, text=["code"])["code"].tolist() == ["007"]
    assert read_table(path, text="code")["code"].tolist() == ["007"]
    assert read_table(path)["code"].tolist() == [7]  # no customer_id here: types are guessed


def test_ids_stored_as_numbers_in_parquet_come_back_as_text(tmp_path):
    path = tmp_path / "n.parquet"
    pd.DataFrame({"customer_id": [7, 12]}).to_parquet(path)
    assert read_table(path)["customer_id"].tolist() == ["7", "12"]


def test_unknown_suffix_and_missing_file_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(InputError, match="cannot write a '.txt' file") as err:
        write_table(FRAME, tmp_path / "x.txt")
    assert "x.txt" in str(err.value) and ".csv" in err.value.fix
    doc = tmp_path / "notes.docx"
    doc.write_bytes(b"PK")
    with pytest.raises(InputError, match="cannot read a '.docx' file") as err:
        read_table(doc)
    assert err.value.file == str(doc) and ".xlsx" in err.value.fix
    with pytest.raises(InputError, match="does not exist") as err:
        read_table(tmp_path / "gone.csv", what="the facts file", hint="Write it with `xuanba facts --out FILE`.")
    assert err.value.file == str(tmp_path / "gone.csv")
    assert "xuanba facts --out" in err.value.fix
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be read") as err:
        read_table(bad)
    assert err.value.file == str(bad)
    with pytest.raises(InputError, match="which format"):
        write_table({"a": FRAME}, tmp_path / "folder")


def _xuanba_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("xuanba"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("xuanba")}
    return names


def test_the_table_module_is_at_the_bottom_and_facts_imports_no_outputs():
    src = Path(xuanba.__file__).parent
    # the headers of a workbook for people come from the one translation table, itself at the bottom
    assert _xuanba_imports(src / "tables.py") <= {"xuanba.errors", "xuanba._files", "xuanba._xlsx", "xuanba.i18n"}
    assert _xuanba_imports(src / "i18n.py") <= {"xuanba.errors"}
    assert _xuanba_imports(src / "_files.py") == set()
    assert _xuanba_imports(src / "_xlsx.py") <= {"xuanba.errors"}  # its refusals are the package's errors
    for path in (src / "facts").glob("*.py"):
        assert not {m for m in _xuanba_imports(path) if m.startswith("xuanba.outputs")}, path.name


def test_no_module_but_the_table_module_writes_or_reads_spreadsheets_itself():
    src = Path(xuanba.__file__).parent
    # ingest streams; generate makes messy input; a round on an engine has the engine write its own
    # Parquet (a folder of parts on Spark) where --roster-out says, through _files.atomic_tree
    allowed = {"tables.py", "ingest/read.py", "demo/generate.py", "rounds/roster_out.py"}
    calls = ("to_excel(", "ExcelWriter(", "read_excel(", ".to_parquet(", "pd.read_csv(", "pd.read_parquet(")
    offenders = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel in allowed:
            continue
        text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith((">>>", "...", "#")))
        offenders += [f"{rel}: {c}" for c in calls if c in text]
    assert offenders == []


def test_xlsx_keeps_dates_numbers_booleans_and_missing_cells_in_their_columns(tmp_path):
    import datetime as dt

    frame = pd.DataFrame({
        "day": pd.to_datetime(["2026-06-30", None]),
        "at": pd.to_datetime(["2026-06-30 12:30:01", "2026-01-01 00:00:00"]).tz_localize("Asia/Shanghai"),
        "n": pd.array([1, None], dtype="Int64"), "x": [float("inf"), 2.5], "mixed": [1, "a&b<c>"],
        "ok": [True, False], "cr": ["a\rb", None],
    })
    p = write_table(frame, tmp_path / "t.xlsx")
    back = pd.read_excel(p)
    assert back["day"].tolist()[0] == pd.Timestamp("2026-06-30") and pd.isna(back["day"][1])
    assert back["at"].tolist() == [pd.Timestamp("2026-06-30 12:30:01"), pd.Timestamp("2026-01-01")]
    assert back["n"].tolist()[0] == 1 and pd.isna(back["n"][1])
    assert pd.isna(back["x"][0]) and back["x"][1] == 2.5  # an infinity is no Excel number: left empty
    assert back["mixed"].tolist() == [1, "a&b<c>"] and back["ok"].tolist() == [True, False]
    assert back["cr"][0] == "a\rb"
    assert openpyxl.load_workbook(p).active["A2"].value == dt.datetime(2026, 6, 30)


def test_xlsx_refuses_text_longer_than_an_excel_cell(tmp_path):
    """Excel "repairs" a file whose cell holds more than 32,767 characters; refuse it instead, with
    the place and the fix, and leave no file."""
    from xuanba.tables import write_table

    frame = pd.DataFrame({"customer_id": ["a", "b"], "note": ["ok", "长" * 32_768]})
    with pytest.raises(DataError, match=r"column 'note', row 2: a text of 32,768 characters") as err:
        write_table(frame, tmp_path / "t.xlsx")
    assert ".csv or .parquet" in err.value.fix
    assert not list(tmp_path.iterdir())
    write_table(frame, tmp_path / "t.csv")  # CSV has no such limit
