"""A ``--fields`` workbook's error cells (``#N/A`` of a lookup, ``#DIV/0!``, ``#VALUE!``): at
0c7bf4c pandas read each as an empty cell, so the round scored those customers as missing and said
nothing, where a CSV's ``#N/A`` was counted and said (``meta["extra_fields_missing_words"]``). Now
a sheet's error cell is read as its error (:func:`xuanba.tables.error_cells`), missing in a column
of numbers or of text, and counted and said with the words for missing, in English and Chinese, on
the workspace and the engine round alike; an error in ``customer_id`` is refused, naming the file,
the row and the error. A CSV saved from Excel writes the same text, read the same way."""

from __future__ import annotations

import html

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_extra_fields_missing_words import CUTOFF, STANDARD
from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.errors import DataError
from xuanba.rounds import load_round, run_round
from xuanba.rounds.extra_names import MISSING_WRITTEN
from xuanba.rounds.run import read_fields_file
from xuanba.tables import error_cells, read_table

ERRORS = ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xlerr")
    tx = simulated_transactions(150, seed=8)
    ids = sorted(tx["customer_id"].astype(str).unique())
    (tmp / "s.toml").write_text(STANDARD, encoding="utf-8")
    tx.to_parquet(tmp / "tx.parquet", index=False)
    return tmp, tx, ids


def _book(path, header, rows, errors=True):
    """A workbook whose cells holding an error's text are error cells (type ``e``), or, with
    ``errors`` False, the same cells empty (what pandas read them as)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append([None if v in ERRORS and not errors else v for v in r])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):  # an id '=1+1' is text, never a formula
                cell.data_type = "e" if cell.value in ERRORS else "s"
    book.save(path)
    return path


def _rows(ids):
    """``nps`` a number or, for every sixth customer, an error; ``segment`` A/B or, for every
    ninth, #N/A. Returns the rows and, per column, the customers with an error and the errors."""
    rows, said = [], {"nps": ([], []), "segment": ([], [])}
    for i, cid in enumerate(ids):
        nps = ERRORS[(i // 6) % len(ERRORS)] if i % 6 == 2 else i % 10 + 0.5
        seg = "#N/A" if i % 9 == 4 else "AB"[i % 2]
        rows.append([cid, nps, seg])
        for col, v in (("nps", nps), ("segment", seg)):
            if v in ERRORS:
                said[col][0].append(cid)
                said[col][1].append(v)
    return rows, said


def _expected(said):
    return {col: {"n": len(who), "customers": who[:5], "words": list(dict.fromkeys(words))[:3]}
            for col, (who, words) in said.items()}


@pytest.mark.parametrize("engine", [False, True])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_sheets_error_cells_are_scored_as_missing_counted_and_said(base, tmp_path, lang, engine):
    tmp, tx, ids = base
    ws = _workspace(tmp_path, tx)
    rows, said = _rows(ids)
    path = _book(tmp_path / "fields.xlsx", ["customer_id", "nps", "segment"], rows)
    where = ["--engine", "duckdb", "--source", str(tmp / "tx.parquet")] if engine else []
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF,
                                   "--fields", str(path), "--workspace", str(ws), *where], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    rnd = load_round(ws, "latest")
    assert rnd.meta["extra_fields_missing_words"] == _expected(said)
    who, words = said["nps"]
    q = {"en": repr, "zh": lambda x: f"“{x}”"}[lang]
    sep = {"en": ", ", "zh": "、"}[lang]
    first = {"en": f"nps: {len(who)} (customers {sep.join(map(q, who[:5]))}, …; written "
                   f"{sep.join(map(q, list(dict.fromkeys(words))[:3]))})",
             "zh": f"nps：{len(who)} 个（客户 {sep.join(map(q, who[:5]))}、…；写作 "
                   f"{sep.join(map(q, list(dict.fromkeys(words))[:3]))}）"}[lang]
    said_out = "".join(res.output.split())  # the console wraps a Chinese line between any two characters
    assert first.replace(" ", "") in said_out, res.output
    assert {"en": "holdinganExcelerror", "zh": "Excel错误值"}[lang] in said_out
    out = tmp_path / "r.html"
    rep = CliRunner().invoke(app, ["--lang", lang, "report", "latest", "--out", str(out), "--workspace", str(ws)])
    assert rep.exit_code == 0, rep.output
    assert first in html.unescape(out.read_text("utf-8"))


def test_an_error_cell_is_scored_as_the_empty_cell_pandas_read(base, tmp_path):
    """The scores are those of the same sheet with those cells empty: only the saying is new."""
    tmp, tx, ids = base
    ws = _workspace(tmp_path, tx)
    rows, said = _rows(ids)
    header = ["customer_id", "nps", "segment"]
    fields = [read_fields_file(_book(tmp_path / f"f{e}.xlsx", header, rows, errors=e)) for e in (True, False)]
    pd.testing.assert_frame_equal(fields[0], fields[1], check_dtype=False)  # the errors as the empty cells
    runs = [run_round(ws, tmp / "s.toml", CUTOFF, check_model=False, store=False, extra_fields=f) for f in fields]
    assert runs[1].meta["extra_fields_missing_words"] == {}
    a, b = (r.roster.set_index("customer_id").sort_index() for r in runs)
    pd.testing.assert_series_equal(a["score"], b["score"])
    assert a.loc[said["nps"][0], "nps"].isna().all()


@pytest.mark.parametrize("lang, words", [("en", "the customer id is the Excel error '#N/A'"),
                                         ("zh", "客户编号是 Excel 错误值 '#N/A'")])
def test_an_error_in_the_id_column_is_refused_naming_the_row(base, tmp_path, lang, words):
    tmp, tx, ids = base
    ws = _workspace(tmp_path, tx)
    path = _book(tmp_path / "fields.xlsx", ["customer_id", "nps"], [[ids[0], 1.0], ["#N/A", 2.0], ["#REF!", 3.0]])
    with pytest.raises(DataError) as err:
        read_fields_file(path)
    assert (err.value.row, err.value.column, err.value.count) == (2, "customer_id", 2)
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF,
                                   "--fields", str(path), "--workspace", str(ws)], env={"COLUMNS": "400"})
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert words in res.output and "fields.xlsx" in res.output


def test_a_csv_saved_from_excel_is_read_as_the_sheet(base, tmp_path):
    """Excel writes an error cell to CSV as its text: ``#DIV/0!`` beside numbers, at 0c7bf4c a
    column of text refused as no number, and ``#N/A`` in a text column, text then, are missing and
    said as the sheet's."""
    tmp, tx, ids = base
    rows, said = _rows(ids)
    path = tmp_path / "fields.csv"
    pd.DataFrame(rows, columns=["customer_id", "nps", "segment"]).to_csv(path, index=False)
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path),
                    check_model=False, store=False)
    assert rnd.meta["extra_fields_missing_words"] == _expected(said)


def test_error_cells_land_where_pandas_puts_their_rows(tmp_path):
    """pandas keeps a blank row as a row of missing values and an empty first column as a column:
    the errors are put in the frame at the cells the sheet has them in; pandas' own reading (the
    default, words for missing) still reads them as empty."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B1"], sheet["C1"] = "customer_id", "nps"
    sheet["B2"], sheet["C2"] = "a", "#N/A"
    sheet["B4"], sheet["C4"] = "b", "#DIV/0!"
    sheet["B5"], sheet["C5"] = "#REF!", "x"
    sheet["B6"], sheet["C6"] = "c", "#N/A"  # text typed, not an error
    for ref in ("C2", "C4", "B5"):
        sheet[ref].data_type = "e"
    sheet["C6"].data_type = "s"  # openpyxl takes an error's text for an error unless told
    book.save(tmp_path / "f.xlsx")
    assert error_cells(tmp_path / "f.xlsx", "Sheet") == [(0, 2, "#N/A"), (2, 2, "#DIV/0!"), (3, 1, "#REF!")]
    frame = read_table(tmp_path / "f.xlsx", missing_words=False)
    got = [[None if pd.isna(v) else v for v in frame[c]] for c in ("customer_id", "nps")]
    assert got == [["a", None, "b", "#REF!", "c"], ["#N/A", None, "#DIV/0!", "x", "#N/A"]]
    plain = read_table(tmp_path / "f.xlsx")
    assert plain["nps"].isna().tolist() == [True, True, True, False, True]


def test_a_workbook_without_error_cells_is_not_read_twice(tmp_path, monkeypatch):
    """The sheet's XML is searched for an error cell first; without one openpyxl is not opened."""
    import xuanba.tables as tables

    path = _book(tmp_path / "f.xlsx", ["customer_id", "nps"], [["a", 1.0], ["b", "#N/A"]], errors=False)
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or 1 / 0)
    assert tables.error_cells(path, "Sheet") == [] and not opened


def _by_openpyxl(path, sheet):
    """The error cells as openpyxl reads them, cell by cell (the reference)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sorted((c.row - 2, c.column - 1, str(c.value)) for row in book[sheet].iter_rows(min_row=2)
                      for c in row if getattr(c, "data_type", None) == "e" and c.value is not None)
    finally:
        book.close()


def _rewrite(path, member, edit):
    """``path`` with the zip member ``member`` edited by ``edit`` (bytes to bytes)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, edit(data) if info.filename == member else data)


@pytest.mark.parametrize("shape", ["plain", "write-only", "formula", "no-value", "text-look-alike", "no-ref"])
def test_the_sheets_xml_gives_the_error_cells_openpyxl_reads(tmp_path, shape):
    """error_cells finds the errors in the sheet's XML, where they are (a formula's cached error
    after its <f>, the second sheet, column AB); a cell written otherwise (no r) sends it to
    openpyxl: the same cells either way."""
    import random

    rng = random.Random(5)
    book = openpyxl.Workbook(write_only=shape == "write-only")
    if shape != "write-only":
        book.active.title = "first"
        book.active.append(["x"])
        sheet = book.create_sheet("fields")
    else:
        book.create_sheet("first").append(["x"])
        sheet = book.create_sheet("fields")
    sheet.append(["customer_id", *[f"c{j}" for j in range(30)]])
    for i in range(300):
        row = [f"id{i}"]
        for _ in range(30):
            v = rng.choice(ERRORS) if rng.random() < 0.05 else rng.random()
            if isinstance(v, str):
                cell = openpyxl.cell.WriteOnlyCell(sheet, v) if shape == "write-only" else v
                if shape == "write-only":
                    cell.data_type = "e"
                v = cell
            row.append(v)
        sheet.append(row)
    if shape != "write-only":
        for r in sheet.iter_rows(min_row=2):
            for c in r:
                if c.value in ERRORS:
                    c.data_type = "e"
        sheet["B5"] = 'say t="e" here'
        sheet["B5"].data_type = "s"
    path = tmp_path / "f.xlsx"
    book.save(path)
    member = "xl/worksheets/sheet2.xml"
    if shape == "formula":
        _rewrite(path, member, _formula)
    elif shape == "no-value":
        _rewrite(path, member, _no_value)
    elif shape == "no-ref":
        _rewrite(path, member, _no_ref)
    elif shape == "text-look-alike":
        _rewrite(path, member, lambda x: x.replace(b"say t=&quot;e&quot; here", b'say t="e" here'))
    assert error_cells(path, "fields") == _by_openpyxl(path, "fields")
    assert len(_by_openpyxl(path, "fields")) > 300 * 30 * 0.03


def _formula(xml: bytes) -> bytes:
    """The first error cell written as Excel writes a formula's error: <f> before the cached <v>."""
    at = xml.find(b't="e">') + len(b't="e">')
    return xml[:at] + b"<f>1/0</f>" + xml[at:]


def _no_ref(xml: bytes) -> bytes:
    """The first error cell without its r attribute (the spec allows it; the cell is then next
    to the one before): found by openpyxl, not by the XML search."""
    import re

    return re.sub(rb'<c r="[A-Z]+[0-9]+"( t="e")', rb"<c\1", xml, count=1)


def _no_value(xml: bytes) -> bytes:
    """The first error cell written without a value, self-closed (``<c r="B2" t="e"/>``)."""
    import re

    return re.sub(rb'(<c r="[A-Z]+[0-9]+" t="e")><v>[^<]*</v></c>', rb"\1/>", xml, count=1)


def _moved(path, old, new):
    """``path`` with its sheet part ``old`` stored as ``new`` (and the workbook's relationship
    saying so): OOXML names a sheet's part by relationship, not by its folder."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    rel = old.removeprefix("xl/").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(rel, new.removeprefix("xl/").encode())
            z.writestr(new if name == old else name, data)


@pytest.mark.parametrize("part", ["xl/sheets/data1.xml", "xl/Worksheets/Sheet1.xml", "xl/worksheets/sheet10.xml"])
def test_a_sheet_stored_outside_xl_worksheets_has_its_errors_found(tmp_path, part):
    """A sheet's part is where the workbook's relationships say (any folder, any name); at b836c12
    only parts under ``xl/worksheets/`` were searched for an error first, so a workbook whose one
    sheet lay elsewhere had its errors read as empty cells, not counted nor said."""
    path = _book(tmp_path / "f.xlsx", ["customer_id", "nps"], [["a", 1.0], ["b", "#N/A"], ["c", "#DIV/0!"]])
    _moved(path, "xl/worksheets/sheet1.xml", part)
    assert _by_openpyxl(path, "Sheet") == [(1, 1, "#N/A"), (2, 1, "#DIV/0!")]  # openpyxl reads it so
    assert error_cells(path, "Sheet") == [(1, 1, "#N/A"), (2, 1, "#DIV/0!")]
    said = read_fields_file(path).attrs[MISSING_WRITTEN]["nps"]
    assert said == {"customers": ["b", "c"], "words": ["#N/A", "#DIV/0!"]}


def test_a_big_sheets_errors_are_found_without_holding_its_xml(tmp_path):
    """The sheet's XML is searched as it is unzipped, never held whole: a 40 MB sheet with error
    cells (some across the reader's 1 MiB blocks) searched with less than 8 MiB of memory (b836c12
    read it whole: 80+ MiB), every error found where it is."""
    import tracemalloc
    import zipfile

    path = _book(tmp_path / "f.xlsx", ["customer_id", "nps"], [["a", 1.0]], errors=False)
    want, rows = [], [b'<row r="1"><c r="A1" t="inlineStr"><is><t>customer_id</t></is></c>'
                      b'<c r="B1" t="inlineStr"><is><t>nps</t></is></c></row>']
    for r in range(2, 400_002):
        if r % 9_973 == 0 or r == 400_001:
            want.append((r - 2, 1, ERRORS[r % len(ERRORS)]))
            cell = b'<c r="B%d" t="e"><f>VLOOKUP(A%d,x!A:B,2,0)</f><v>%s</v></c>' % (r, r, ERRORS[r % len(ERRORS)].encode())
        else:
            cell = b'<c r="B%d"><v>%d.5</v></c>' % (r, r % 97)
        rows.append(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>c%07d</t></is></c>%s</row>' % (r, r, r, cell))
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main"><sheetData>' + b"".join(rows) + b"</sheetData></worksheet>")
    assert len(xml) > 40e6
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda _: xml)
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 40e6
    tracemalloc.start()
    try:
        got = error_cells(path, "Sheet")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == want and len(want) > 40
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB"
