"""A streaming ``.xlsx`` writer: sheets of plain values, written a chunk of rows at a time.

Every text cell is an inline string (``t="inlineStr"``), so no text — ``=HYPERLINK(...)``
included — is ever a formula; numbers are numbers, booleans booleans, dates Excel dates. Each
sheet has its header row bold and frozen, an autofilter over its rows, column widths from the
header and the first rows, and a number format per column (:data:`FORMATS`: money with thousands
separators, percentages, dates, counts) when a :class:`Look` asks for it. Rows are formatted a
chunk at a time straight into the zip stream, so memory stays flat and a million rows take
seconds (openpyxl, even write-only, builds an object per cell). This module imports nothing
from xuanba but the errors.

Example
-------
>>> import pandas as pd, tempfile, pathlib, openpyxl
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> write_sheets([("t", pd.DataFrame({"id": ["=1+1"], "n": [2]}))], p)
>>> ws = openpyxl.load_workbook(p)["t"]
>>> ws["A2"].value, ws["A2"].data_type, ws["B2"].value, ws.freeze_panes, ws.auto_filter.ref
('=1+1', 's', 2, 'A2', 'A1:B2')
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from xuanba.errors import DataError, Phrase, quoted

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH = pd.Timestamp("1899-12-30")
_CHUNK = 20_000
# characters XML 1.0 cannot hold (dropped) and a carriage return (kept, as a reference)
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EMPTY = "<c/>"

#: Number formats a column may ask for (:class:`Look`), with their Excel format codes.
FORMATS: dict[str, str] = {
    "datetime": "yyyy\\-mm\\-dd\\ hh:mm:ss",
    "date": "yyyy\\-mm\\-dd",
    "money": "#,##0.00",
    "percent": "0.0%",
    "count": "#,##0",
    "number": "#,##0.00##",
}
# cell style (xf) of each format: 0 is the default, the header's comes last
_XF = {kind: i for i, kind in enumerate(FORMATS, 1)}
_DATETIME, _DATE = _XF["datetime"], _XF["date"]
_HEADER_XF = len(FORMATS) + 1

_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="{len(FORMATS)}">'
    + "".join(f'<numFmt numFmtId="{163 + i}" formatCode={quoteattr(code)}/>' for i, code in enumerate(FORMATS.values(), 1))
    + '</numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(FORMATS) + 2}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + "".join(f'<xf numFmtId="{163 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              for i in range(1, len(FORMATS) + 1))
    + '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
)


@dataclass(frozen=True)
class Look:
    """How one sheet looks to a person: the header texts, a number format per column, widths.

    ``header``: the text of each column's header cell (default: the column names). ``formats``:
    each column's key in :data:`FORMATS`, or ``""`` for the format its type implies (dates as
    dates, other values as they are). ``widths``: each column's width in characters (default:
    from the header and the first rows, see :func:`fit_widths`).
    """

    header: Sequence[str] | None = None
    formats: Sequence[str] | None = None
    widths: Sequence[float] | None = None


def column_letters(i: int) -> str:
    """The letters of the ``i``-th column, from 0: ``A``, ..., ``Z``, ``AA``.

    Example
    -------
    >>> column_letters(0), column_letters(25), column_letters(26), column_letters(16383)
    ('A', 'Z', 'AA', 'XFD')
    """
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _display_width(text: str) -> int:
    """Characters as a spreadsheet shows them: East Asian wide and full-width characters count two."""
    return len(text) + sum(1 for ch in text if ord(ch) >= 0x1100 and unicodedata.east_asian_width(ch) in "WF")


#: Column widths stay within these many characters.
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0


def fit_widths(frame: pd.DataFrame, header: Sequence[str], formats: Sequence[str], sample: int = 200) -> list[float]:
    """Each column's width: its header or its widest value among the first ``sample`` rows
    (as the number format shows it), plus room for the autofilter button, within
    :data:`MIN_WIDTH` and :data:`MAX_WIDTH`.

    Example
    -------
    >>> fit_widths(pd.DataFrame({"a": [1234567.5], "客户": ["x"]}), ["a", "客户"], ["money", ""])
    [14.0, 7.0]
    """
    head = frame.head(sample)
    out = []
    for i, title in enumerate(header):
        s = head.iloc[:, i]
        kind = formats[i]
        if kind == "date":
            widest = 10
        elif kind == "datetime" or s.dtype.kind == "M":
            widest = 19
        elif s.dtype.kind in "iuf" and len(s.dropna()):
            big = float(np.nanmax(np.abs(s.to_numpy(dtype="float64", na_value=np.nan))))
            digits = len(f"{big:,.0f}") if math.isfinite(big) else 3
            widest = digits + (3 if kind in ("money", "number") or (not kind and s.dtype.kind == "f") else 0) + 1
            widest += 2 if kind == "percent" else 0
        else:
            widest = max((_display_width(str(v)) for v in s.dropna().tolist()), default=0)
        # the header wraps nothing: it gets its width plus the autofilter's button
        out.append(float(min(MAX_WIDTH, max(MIN_WIDTH, widest + 1, _display_width(str(title)) + 3))))
    return out


def _text(value: str, style: str = "") -> str:
    v = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in v:
        v = v.replace("\r", "&#13;")  # a raw CR would be read back as a line feed
    v = _BAD.sub("", v)
    return f'<c{style} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'


def _xml(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: float, style: str = "") -> str:
    return f"<c{style}><v>{value!r}</v></c>" if math.isfinite(value) else _EMPTY


def _when(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        ts = pd.Timestamp(value).tz_localize(None)
        style = _DATETIME
    else:
        ts, style = pd.Timestamp(value), _DATE
    return f'<c s="{style}"><v>{(ts - _EPOCH) / pd.Timedelta(days=1)!r}</v></c>'


def _any(value: object, style: str = "") -> str:
    """The cell of one value of a mixed (object) column; ``style`` (`` s="n"``) for numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _EMPTY
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool | np.bool_):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f"<c{style}><v>{int(value)}</v></c>"
    if isinstance(value, float | np.floating):
        return _number(float(value), style)
    if isinstance(value, dt.date):
        return _when(value)
    return _text(str(value))


def _formatter(s: pd.Series, kind: str = "") -> Callable[[pd.Series], list[str]]:
    """How to turn a chunk of column ``s`` into cells, chosen once by its type and its
    :data:`FORMATS` key ``kind`` (``""``: as the type implies)."""
    dtype_kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else "O"  # extension types: value by value
    style = f' s="{_XF[kind]}"' if kind in _XF and kind not in ("date", "datetime") else ""
    if dtype_kind == "b":
        return lambda c: ['<c t="b"><v>1</v></c>' if v else '<c t="b"><v>0</v></c>' for v in c.tolist()]
    if dtype_kind in "iu":
        return lambda c: [f"<c{style}><v>{v}</v></c>" for v in c.tolist()]
    if dtype_kind == "f":
        return lambda c: [_number(v, style) for v in c.tolist()]
    if dtype_kind == "M":
        valid = s.dropna()
        if kind in ("date", "datetime"):
            xf = _XF[kind]
        else:
            xf = _DATE if valid.empty or bool((valid == valid.dt.normalize()).all()) else _DATETIME

        def dates(c: pd.Series) -> list[str]:
            days = ((c - _EPOCH) / pd.Timedelta(days=1)).tolist()
            return [f'<c s="{xf}"><v>{v!r}</v></c>' if v == v else _EMPTY for v in days]
        return dates
    return lambda c: [_any(v, style) for v in c.astype(object).tolist()]


def _sheet_rows(frame: pd.DataFrame, look: Look | None = None) -> Iterator[str]:
    look = look or Look()
    ncol = frame.shape[1]
    header = [str(c) for c in (look.header if look.header is not None else frame.columns)]
    kinds = list(look.formats) if look.formats is not None else [""] * ncol
    if len(header) != ncol or len(kinds) != ncol:
        raise ValueError(f"the look of a sheet names {len(header)} headers and {len(kinds)} formats "
                         f"for {ncol} columns")
    widths = list(look.widths) if look.widths is not None else fit_widths(frame, header, kinds)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    yield (_SHEET_HEAD + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
           + '<row r="1">' + "".join(_text(h, f' s="{_HEADER_XF}"') for h in header) + "</row>")
    formats = [_formatter(frame.iloc[:, i], kinds[i]) for i in range(ncol)]
    for start in range(0, len(frame), _CHUNK):
        part = frame.iloc[start : start + _CHUNK]
        cells = [fmt(part.iloc[:, i]) for i, fmt in enumerate(formats)]
        yield "".join(f'<row r="{r}">{"".join(row)}</row>'
                      for r, row in enumerate(zip(*cells, strict=True), start + 2))
    yield "</sheetData>" + (f'<autoFilter ref="{_filter_ref(frame)}"/>' if ncol else "") + "</worksheet>"


def _filter_ref(frame: pd.DataFrame) -> str:
    """The autofilter's range: the header and every row."""
    return f"A1:{column_letters(frame.shape[1] - 1)}{len(frame) + 1}"


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
            raise DataError(Phrase("err_xlsx_cell_long", sheet=quoted(name), column=quoted(col), row=f"{row:,}",
                                   n=f"{int(lengths.max()):,}", most=f"{EXCEL_MAX_CELL:,}"),
                            column=str(col), row=row, fix=Phrase("err_xlsx_cell_long_fix"))


def write_sheets(sheets: Sequence[tuple[str, pd.DataFrame] | tuple[str, pd.DataFrame, Look | None]],
                 path: str | Path) -> None:
    """Write ``(sheet name, table[, look])`` as one ``.xlsx`` workbook at ``path``.

    Parameters
    ----------
    sheets
        Legal, unique sheet names (at most 31 characters, no ``[]:*?/\\``), their tables and
        optionally a :class:`Look` (header texts, number formats, widths); indexes are not
        written; the header row (the column names unless the look says otherwise) is bold,
        frozen and carries an autofilter.
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
    looks = [(item[0], item[1], item[2] if len(item) > 2 else None) for item in sheets]
    for name, frame, _ in looks:
        _check_cells(name, frame)
    n = len(looks)
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
                    for i, (name, _, _) in enumerate(looks, 1))
    # Excel keeps each autofilter's range as a hidden name too
    quoted = [("'" + name.replace("'", "''") + "'", frame) for name, frame, _ in looks]
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f'{_xml(q)}!$A$1:${column_letters(frame.shape[1] - 1)}${len(frame) + 1}</definedName>'
        for i, (q, frame) in enumerate(quoted) if frame.shape[1])
    defined = f"<definedNames>{filters}</definedNames>" if filters else ""
    workbook = f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{names}</sheets>{defined}</workbook>'
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
        for i, (_, frame, look) in enumerate(looks, 1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as out:
                for text in _sheet_rows(frame, look):
                    out.write(text.encode("utf-8"))
