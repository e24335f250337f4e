"""A streaming ``.xlsx`` writer: sheets of plain values, written a chunk of rows at a time.

Every text cell is an inline string (``t="inlineStr"``), so no text — ``=HYPERLINK(...)``
included — is ever a formula; numbers are numbers, booleans booleans, dates Excel dates. Each
sheet has its header row frozen. Rows are formatted a chunk at a time straight into the zip
stream, so memory stays flat and a million rows take seconds (openpyxl, even write-only, builds
an object per cell). This module imports nothing from xuanba.

Example
-------
>>> import pandas as pd, tempfile, pathlib, openpyxl
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> write_sheets([("t", pd.DataFrame({"id": ["=1+1"], "n": [2]}))], p)
>>> ws = openpyxl.load_workbook(p)["t"]
>>> ws["A2"].value, ws["A2"].data_type, ws["B2"].value, ws.freeze_panes
('=1+1', 's', 2, 'A2')
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from xuanba.errors import DataError

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH = pd.Timestamp("1899-12-30")
_DATETIME, _DATE = 1, 2  # cell styles (see _STYLES)
_CHUNK = 20_000
# characters XML 1.0 cannot hold (dropped) and a carriage return (kept, as a reference)
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EMPTY = "<c/>"

_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetData>'
)


def _text(value: str) -> str:
    v = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in v:
        v = v.replace("\r", "&#13;")  # a raw CR would be read back as a line feed
    v = _BAD.sub("", v)
    return f'<c t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'


def _number(value: float) -> str:
    return f"<c><v>{value!r}</v></c>" if math.isfinite(value) else _EMPTY


def _when(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        ts = pd.Timestamp(value).tz_localize(None)
        style = _DATETIME
    else:
        ts, style = pd.Timestamp(value), _DATE
    return f'<c s="{style}"><v>{(ts - _EPOCH) / pd.Timedelta(days=1)!r}</v></c>'


def _any(value: object) -> str:
    """The cell of one value of a mixed (object) column."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _EMPTY
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool | np.bool_):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f"<c><v>{int(value)}</v></c>"
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if isinstance(value, dt.date):
        return _when(value)
    return _text(str(value))


def _formatter(s: pd.Series) -> Callable[[pd.Series], list[str]]:
    """How to turn a chunk of column ``s`` into cells, chosen once by its type."""
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else "O"  # extension types: value by value
    if kind == "b":
        return lambda c: ['<c t="b"><v>1</v></c>' if v else '<c t="b"><v>0</v></c>' for v in c.tolist()]
    if kind in "iu":
        return lambda c: [f"<c><v>{v}</v></c>" for v in c.tolist()]
    if kind == "f":
        return lambda c: [_number(v) for v in c.tolist()]
    if kind == "M":
        valid = s.dropna()
        style = _DATE if valid.empty or bool((valid == valid.dt.normalize()).all()) else _DATETIME

        def dates(c: pd.Series) -> list[str]:
            days = ((c - _EPOCH) / pd.Timedelta(days=1)).tolist()
            return [f'<c s="{style}"><v>{v!r}</v></c>' if v == v else _EMPTY for v in days]
        return dates
    return lambda c: [_any(v) for v in c.astype(object).tolist()]


def _sheet_rows(frame: pd.DataFrame) -> Iterator[str]:
    yield _SHEET_HEAD + '<row r="1">' + "".join(_text(str(c)) for c in frame.columns) + "</row>"
    formats = [_formatter(frame.iloc[:, i]) for i in range(frame.shape[1])]
    for start in range(0, len(frame), _CHUNK):
        part = frame.iloc[start : start + _CHUNK]
        cells = [fmt(part.iloc[:, i]) for i, fmt in enumerate(formats)]
        yield "".join(f'<row r="{r}">{"".join(row)}</row>'
                      for r, row in enumerate(zip(*cells, strict=True), start + 2))
    yield "</sheetData></worksheet>"


#: The most characters an Excel cell holds; a longer one makes Excel "repair" the whole file.
EXCEL_MAX_CELL = 32_767


def _check_cells(name: str, frame: pd.DataFrame) -> None:
    """Refuse text longer than a cell holds, naming the sheet, column and first row."""
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind in "biufcmM":
            continue
        if isinstance(s.dtype, pd.StringDtype):
            lengths = s.str.len().fillna(0)
        else:
            lengths = s.map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and int(lengths.max()) > EXCEL_MAX_CELL:
            row = int(np.flatnonzero(lengths.to_numpy() > EXCEL_MAX_CELL)[0]) + 1
            raise DataError(f"sheet {name!r}, column {col!r}, row {row:,}: a text of {int(lengths.max()):,} "
                            f"characters; an Excel cell holds {EXCEL_MAX_CELL:,}",
                            column=str(col), row=row, fix="Export this table as .csv or .parquet.")


def write_sheets(sheets: Sequence[tuple[str, pd.DataFrame]], path: str | Path) -> None:
    """Write ``(sheet name, table)`` pairs as one ``.xlsx`` workbook at ``path``.

    Parameters
    ----------
    sheets
        Legal, unique sheet names (at most 31 characters, no ``[]:*?/\\``) and their tables;
        indexes are not written, column names form the frozen header row.
    path
        The file, written in place (callers wanting atomicity pass a temporary path).

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> write_sheets([("a", pd.DataFrame({"x": [1.5]})), ("b", pd.DataFrame({"y": ["甲"]}))], p)
    >>> pd.read_excel(p, sheet_name=None)["b"]["y"].tolist()
    ['甲']
    """
    for name, frame in sheets:
        _check_cells(name, frame)
    n = len(sheets)
    types = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    content_types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{types}</Types>'
    )
    root_rels = (f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                 'Target="xl/workbook.xml"/></Relationships>')
    names = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                    for i, (name, _) in enumerate(sheets, 1))
    workbook = f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{names}</sheets></workbook>'
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))
    wb_rels = (f'{_HEAD}<Relationships xmlns="{_PKG}">{rels}<Relationship Id="rId{n + 1}" '
               f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/styles.xml", _STYLES)
        for i, (_, frame) in enumerate(sheets, 1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as out:
                for text in _sheet_rows(frame):
                    out.write(text.encode("utf-8"))
