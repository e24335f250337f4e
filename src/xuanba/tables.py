"""Tables in and out of files: the one writer and the one reader every command uses.

:func:`write_table` writes CSV as UTF-8 with a BOM (so Excel shows Chinese), Excel workbooks
with a sheet per table and a frozen header row (streamed; text never becomes a formula), and
Parquet; CSV text that a spreadsheet would run as a formula is neutralised. Files are replaced
atomically (:mod:`xuanba._files`). :func:`read_table` reads CSV
(UTF-8, UTF-8 with BOM, GBK/GB18030), Excel and Parquet, keeping ids such as ``007`` as text.
Given a reader's language, a workbook speaks to people: headers in that language naming their
window ("Revenue (365 days)"), money, percentages and dates formatted, widths, autofilter, and a
last sheet ``columns`` mapping each header to its field and meaning, from which :func:`read_table`
puts the field names back. This module sits at the bottom of the package: it imports nothing
from xuanba but the errors and the translations.

Example
-------
>>> import pandas as pd, tempfile, pathlib
>>> path = write_table(pd.DataFrame({"customer_id": ["007"], "客户": ["甲"]}),
...                    pathlib.Path(tempfile.mkdtemp()) / "roster.csv")
>>> path.read_bytes()[:3], read_table(path)["customer_id"].tolist()
(b'\\xef\\xbb\\xbf', ['007'])
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import overload

import numpy as np
import pandas as pd

from xuanba._files import atomic_path
from xuanba._xlsx import Look, write_sheets
from xuanba.errors import DataError, InputError, Phrase, Said
from xuanba.i18n import CELL_PHRASES, LANGS, cell_words, check_lang, column_words, sheet_words, t

#: The formats :func:`write_table` writes, by file suffix.
FORMATS = (".csv", ".xlsx", ".parquet")
#: The suffixes :func:`read_table` reads (``.txt`` as CSV, ``.tsv`` tab-separated).
READ_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
#: Rows one Excel sheet holds, the header included.
EXCEL_MAX_ROWS = 1_048_576
#: Encodings tried, in order, for CSV text: UTF-8 (with or without BOM), then GB18030 (GBK's superset).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
#: The last sheet of a workbook written for people: sheet, header, field and meaning of every column.
COLUMNS_SHEET = "columns"
#: First characters that make a spreadsheet run a CSV cell as a formula; such text is written
#: with a leading ``'`` (see :func:`neutralise`).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- writing ---------------------------------------------------------------------------------


def _format_of(path: Path, fmt: str | None) -> str:
    suffix = ("." + fmt.lower().lstrip(".")) if fmt else path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            Phrase("err_write_suffix", suffix=suffix or Phrase("err_extensionless")),
            file=str(path),
            fix=Phrase("err_write_suffix_fix"),
        )
    return suffix


def _join(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()  # numpy arrays from Parquet/Arrow
    if isinstance(value, list | tuple | set):
        return "; ".join(str(v) for v in value)
    return value


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells a spreadsheet can hold: list cells joined with '; ', time zones dropped."""
    out = frame.copy(deep=False)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
        elif s.dtype == object:
            sample = s.dropna().head(50)
            if sample.map(lambda v: isinstance(v, list | tuple | set)).any() or sample.map(
                lambda v: hasattr(v, "tolist") and not isinstance(v, str)
            ).any():
                out[col] = s.map(_join)
    return out


def _sheet_name(name: str, taken: set[str]) -> str:
    """A legal, unique Excel sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "sheet"
    base = base[:31]
    cand, i = base, 2
    while cand.lower() in taken:
        tail = f"_{i}"
        cand, i = base[: 31 - len(tail)] + tail, i + 1
    taken.add(cand.lower())
    return cand


def _check_excel_rows(frame: pd.DataFrame, name: str, path: Path) -> None:
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise DataError(Phrase("err_excel_rows", name=name, n=f"{len(frame):,}", most=f"{EXCEL_MAX_ROWS - 1:,}"),
                        file=str(path), fix=Phrase("err_excel_rows_fix"))


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype)


def neutralise(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula (the OWASP rule for CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    single quote; everything else, numbers included, is returned unchanged.

    Example
    -------
    >>> print(neutralise("=1+2"), neutralise("-12"), neutralise(-12), neutralise("甲"))
    '=1+2 '-12 -12 甲
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell neutralised (:func:`neutralise`); numeric columns untouched."""
    out = frame.copy(deep=False)
    out.columns = [neutralise(c) for c in out.columns]
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if not _is_text(s):
            continue
        values = s.astype(object).to_numpy()
        hit = [isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values]
        if any(hit):
            values = values.copy()
            for j in np.flatnonzero(hit):
                values[j] = "'" + values[j]
            out.isetitem(i, pd.Series(values, index=s.index, dtype=object))
    return out


def _people_look(frame: pd.DataFrame, lang: str | None, columns: Mapping[str, str | None]
                 ) -> tuple[Look, list[tuple[str, str, str]]]:
    """The look of one sheet (headers in ``lang``, or the names when ``lang`` is None; number
    formats from the field catalogue) and its (header, field, meaning) rows."""
    rows: list[tuple[str, str, str]] = []
    formats: list[str] = []
    seen: set[str] = set()
    for col in frame.columns:
        name = str(col)
        field = columns.get(name, name)
        header, meaning, kind = column_words(field, lang or "en") if field is not None else (name, "", "")
        if lang is None or not header:
            header = name
        elif header == name:  # a header xuanba writes itself, e.g. "(not selected)" of a migration table
            header = str(cell_words("", name, lang))
        if header in seen:  # two columns that read the same: the field name tells them apart
            header = f"{header} ({name})"
        seen.add(header)
        rows.append((header, name, meaning))
        formats.append("" if kind == "text" else kind)
    return Look(header=[h for h, _, _ in rows], formats=formats), rows


def _cells_in_words(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with the values xuanba writes itself (a diff's status, "(not selected)") in the
    words of ``lang`` (:func:`xuanba.i18n.cell_words`); other columns, and ``frame``, untouched."""
    todo = [i for i, c in enumerate(frame.columns) if str(c) in CELL_PHRASES and _is_text(frame.iloc[:, i])]
    if not todo:
        return frame
    out = frame.copy(deep=False)
    for i in todo:
        name = str(frame.columns[i])
        out.isetitem(i, frame.iloc[:, i].map(lambda v, name=name: cell_words(name, v, lang)))
    return out


def _write_workbook(tables: Mapping[str, pd.DataFrame], path: Path, lang: str | None = None,
                    columns: Mapping[str, str | None] | None = None) -> Path:
    for name, frame in tables.items():
        _check_excel_rows(frame, name, path)
    taken: set[str] = set()
    sheets: list[tuple[str, pd.DataFrame, Look | None]] = []
    legend: list[tuple[str, str, str, str]] = []
    for name, frame in tables.items():
        sheet = _sheet_name(name if lang is None else sheet_words(name, lang), taken)
        look, rows = _people_look(frame, lang, columns or {})
        sheets.append((sheet, _flat(frame if lang is None else _cells_in_words(frame, lang)), look))
        legend += [(sheet, *row) for row in rows]
    if lang is not None:
        keys = ("xlsx_sheet", "xlsx_header", "xlsx_field", "xlsx_meaning")
        table = pd.DataFrame(legend, columns=[t(k, lang) for k in keys], dtype=object)
        sheets.append((_sheet_name(sheet_words(COLUMNS_SHEET, lang), taken), table, Look(formats=[""] * 4)))
    with atomic_path(path) as tmp:
        write_sheets(sheets, tmp)  # streamed; text cells are inline strings, never formulas
    return path


def _write_one(frame: pd.DataFrame, path: Path, suffix: str, sheet: str, lang: str | None = None,
               columns: Mapping[str, str | None] | None = None) -> Path:
    if suffix == ".xlsx":
        return _write_workbook({sheet: frame}, path, lang, columns)
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            # CRLF line ends (RFC 4180): a text cell holding a CR is quoted, not split into rows
            _csv_safe(_flat(frame)).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


@overload
def write_table(
    tables: pd.DataFrame, path: str | Path, fmt: str | None = None, *, sheet: str = "table",
    lang: str | None = None, columns: Mapping[str, str | None] | None = None,
) -> Path: ...


@overload
def write_table(
    tables: Mapping[str, pd.DataFrame], path: str | Path, fmt: str | None = None, *, sheet: str = "table",
    lang: str | None = None, columns: Mapping[str, str | None] | None = None,
) -> list[Path]: ...


def write_table(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | Path,
    fmt: str | None = None,
    *,
    sheet: str = "table",
    lang: str | None = None,
    columns: Mapping[str, str | None] | None = None,
) -> Path | list[Path]:
    """Write a table, or several, to ``.csv`` (UTF-8 BOM), ``.xlsx`` or ``.parquet``.

    Parameters
    ----------
    tables
        One DataFrame, or ``name -> DataFrame`` written in this order. Indexes are not written.
    path
        One table: the file, its suffix picking the format unless ``fmt`` is given. Several
        tables: a ``.xlsx`` workbook (a sheet per table); a folder that receives
        ``<name>.csv`` / ``<name>.parquet`` (``fmt`` then says which); or a file name such as
        ``round.csv``, honoured for one table and giving ``round-<name>.csv`` for several.
        Folders are created.
    fmt
        ``"csv"``, ``"xlsx"`` or ``"parquet"``; default from the suffix of ``path``.
    sheet
        Sheet name of a single table written to ``.xlsx``.
    lang
        ``"en"`` or ``"zh"``: a workbook for people reading that language — headers from the
        field catalogue (:data:`xuanba.i18n.FIELD_CATALOGUE`) naming their window, and a last sheet
        ``columns`` giving each header's field name and meaning (which :func:`read_table` uses
        to read the field names back). ``None``: the field names as headers. CSV and Parquet
        always keep the field names. Number formats, widths, autofilter and the frozen header
        are there either way.
    columns
        Columns holding a catalogue field under another name (a criterion named ``revenue``
        holding ``revenue_365d``): ``column -> field``, or ``None`` for a column the catalogue
        must not describe.

    Returns
    -------
    Path or list of Path
        The file written for one table; the files written for several.

    Raises
    ------
    InputError
        An unknown format, or several tables and no way to tell the format.
    DataError
        A table has more rows than an Excel sheet holds.

    Notes
    -----
    CSV and Excel cells holding lists are joined with ``"; "`` and time zones are dropped;
    Parquet keeps every value as it is. Excel sheets are streamed (write-only) with their header
    row frozen, and text cells are always text, never formulas. CSV text starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (:func:`neutralise`);
    CSV lines end in CRLF, so a cell holding a carriage return is quoted.
    Every file is written to a temporary file beside it and renamed into place, so an error or
    a kill half-way leaves the previous file intact.

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_table(pd.DataFrame({"a": [1]}), d / "t.parquet").name
    't.parquet'
    >>> [p.name for p in write_table({"roster": pd.DataFrame({"a": [1]}),
    ...                               "diff": pd.DataFrame({"b": [2]})}, d / "round.xlsx")]
    ['round.xlsx']
    """
    out = Path(path)
    if lang is not None:
        check_lang(lang)
    if isinstance(tables, pd.DataFrame):
        return _write_one(tables, out, _format_of(out, fmt), sheet, lang, columns)
    if fmt is None and out.suffix == "":
        raise InputError(Phrase("err_write_format"), file=str(out), fix=Phrase("err_write_format_fix"))
    suffix = _format_of(out, fmt)
    if suffix == ".xlsx":
        if out.suffix.lower() != ".xlsx":
            out = out.with_suffix(".xlsx") if out.suffix else out / "tables.xlsx"
        return [_write_workbook(tables, out, lang, columns)]
    if out.suffix.lower() in FORMATS:  # a file name: honoured
        if len(tables) == 1:
            [(_, frame)] = tables.items()
            return [_write_one(frame, out, suffix, sheet)]
        targets = [out.parent / f"{out.stem}-{_safe_name(name)}{suffix}" for name in tables]
    else:  # a folder: one file per table
        targets = [out / f"{_safe_name(name)}{suffix}" for name in tables]
    return [_write_one(frame, target, suffix, sheet) for frame, target in zip(tables.values(), targets, strict=True)]


def _safe_name(name: object) -> str:
    return re.sub(r"[^\w.-]+", "_", str(name)) or "table"


# -- reading ---------------------------------------------------------------------------------


def _read_csv(path: Path, sep: str, dtype: object, keep_na: bool, empty_na: bool = False) -> pd.DataFrame:
    na = {"na_values": [""]} if empty_na and not keep_na else {}  # an empty cell missing, every word text
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, sep=sep, dtype=dtype, encoding=encoding, keep_default_na=keep_na, **na)  # type: ignore[arg-type]
        except UnicodeDecodeError:
            continue
    raise InputError(Phrase("err_not_utf8_gbk"), file=str(path), fix=Phrase("err_not_utf8_gbk_fix"))


def _field_names(book: pd.ExcelFile, sheet: str) -> dict[str, str]:
    """``header -> field`` of ``sheet`` from the workbook's ``columns`` sheet (written by
    :func:`write_table` with a ``lang``); empty when there is none."""
    names = "|".join(re.escape(sheet_words(COLUMNS_SHEET, lang)) for lang in LANGS)
    legends = [n for n in book.sheet_names if re.fullmatch(rf"(?:{names})(_\d+)?", str(n)) and n != sheet]
    if not legends:
        return {}
    legend = pd.read_excel(book, sheet_name=legends[-1], dtype=str, keep_default_na=False)
    if legend.shape[1] < 3:
        return {}
    rows = legend.loc[legend.iloc[:, 0] == str(sheet)]
    return dict(zip(rows.iloc[:, 1], rows.iloc[:, 2], strict=True))


#: How a worksheet's XML marks a cell holding an error (``<c r="B2" t="e"><v>#N/A</v></c>``).
_ERROR_TYPE = (b' t="e"', b" t='e'")
_CELL_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})([0-9]{1,7})["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def _sheet_xml(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The member of ``book`` holding the sheet named ``sheet`` (from the workbook's sheet list and
    its relationships), or None when they do not say."""
    from xml.etree import ElementTree

    try:
        names = ElementTree.fromstring(book.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    rid = next((v for el in names.iter() if el.tag.endswith("}sheet") and el.get("name") == sheet
                for k, v in el.attrib.items() if k.endswith("}id")), None)
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _errors_in_xml(xml: bytes) -> list[tuple[int, int, str]] | None:
    """The error cells of a worksheet's XML below its first row, found from each ``t="e"`` (as
    :func:`error_cells` gives them; a cell without a value, ``<c r="B2" t="e"/>``, is none), or
    None where a cell is not written as expected (without its ``r``)."""
    found = []
    for mark in _ERROR_TYPE:
        at = xml.find(mark)
        while at >= 0:
            start, end = xml.rfind(b"<", 0, at), xml.find(b">", at)
            if end < 0:
                return None
            if _CELL_TAG.match(xml, start, end):  # not a text cell's words, ' t="e"' typed
                ref = _CELL_REF.search(xml, start, end)
                if ref is None:
                    return None
                close = _CELL_END.search(xml, end) if xml[end - 1:end] != b"/" else None
                value = _CELL_VALUE.search(xml, end, close.start()) if close else None  # after a formula's <f>
                if value is not None and int(ref.group(2)) > 1:
                    col = 0
                    for ch in ref.group(1):
                        col = col * 26 + ch - 64
                    found.append((int(ref.group(2)) - 2, col - 1, value.group(1).decode("utf-8", "replace")))
            at = xml.find(mark, end)
    return sorted(found)


def _sheet_errors(book: zipfile.ZipFile, member: str) -> list[tuple[int, int, str]] | None:
    """:func:`_errors_in_xml` of the worksheet part ``member``, searched as it is unzipped, a run
    of whole rows at a time (cut after the last ``</row>`` of each MiB read), never held whole: a
    million-row sheet is some 200 MB of XML."""
    found: list[tuple[int, int, str]] = []
    with book.open(member) as fh:
        rest = b""
        while True:
            chunk = fh.read(1 << 20)
            block = rest + chunk
            cut = len(block)
            if chunk:  # the rows ended in this block; the row begun in it waits for the next
                ends = list(_ROW_END.finditer(block, max(0, len(block) - (1 << 16)))) or list(_ROW_END.finditer(block))
                cut = ends[-1].end() if ends else 0
            part, rest = block[:cut], block[cut:]
            got = _errors_in_xml(part) if part else []
            if got is None:
                return None
            found += got
            if not chunk:
                return sorted(found)


def _marks_an_error(book: zipfile.ZipFile) -> bool:
    """Whether any XML part of ``book`` holds :data:`_ERROR_TYPE` (searched as it is unzipped):
    where the workbook does not say which part is the sheet, a workbook without one has none."""
    for info in book.infolist():
        if not info.filename.lower().endswith(".xml"):
            continue
        with book.open(info) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                block = tail + chunk
                if any(mark in block for mark in _ERROR_TYPE):
                    return True
                tail = block[-8:]
    return False


def error_cells(source: str | Path, sheet: str) -> list[tuple[int, int, str]]:
    """The error cells of the sheet ``sheet`` of the .xlsx ``source`` under its first row, as
    ``(row, column, error)``: the row and column of the frame pandas reads the sheet into (from 0;
    pandas keeps a blank row as a row of missing values, so the frame's row ``i`` is the sheet's row
    ``i + 2``) and the error as Excel shows it (``#N/A``, ``#DIV/0!``), which pandas reads as an
    empty cell. The sheet's part (wherever the workbook's relationships put it) is searched for its
    error cells as it is unzipped; openpyxl reads every cell where a cell is written otherwise, or
    where the workbook does not say which part is the sheet and some part marks an error.

    Example
    -------
    >>> import openpyxl, tempfile, pathlib
    >>> book = openpyxl.Workbook()
    >>> book.active.append(["customer_id", "nps"]); book.active.append(["a", "#N/A"])
    >>> book.active["B2"].data_type = "e"
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.xlsx"; book.save(path)
    >>> error_cells(path, "Sheet")
    [(0, 1, '#N/A')]
    """
    import openpyxl

    with zipfile.ZipFile(source) as book:
        member = _sheet_xml(book, sheet)
        if member in book.namelist():
            found = _sheet_errors(book, member)
            if found is not None:
                return found
        elif not _marks_an_error(book):
            return []
    book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        return [(cell.row - 2, cell.column - 1, str(cell.value)) for row in book[sheet].iter_rows(min_row=2)
                for cell in row if getattr(cell, "data_type", None) == "e" and cell.value is not None]
    finally:
        book.close()


def _error_text(frame: pd.DataFrame, errors: Sequence[tuple[int, int, str]]) -> pd.DataFrame:
    """``frame`` with each error cell of ``errors`` (:func:`error_cells`) holding its error as text."""
    if not errors:
        return frame
    out = frame.copy(deep=False)
    by_column: dict[int, list[tuple[int, str]]] = {}
    for row, col, error in errors:
        if 0 <= row < len(frame) and 0 <= col < frame.shape[1]:
            by_column.setdefault(col, []).append((row, error))
    for col, cells in by_column.items():
        values = out.iloc[:, col].astype(object).to_numpy(copy=True)
        for row, error in cells:
            values[row] = error
        out.isetitem(col, pd.Series(values, index=out.index, dtype=object))
    return out


def _read_workbook(source: Path, sheet: str | int, cols: list[str], raw: bool, words: bool = True) -> pd.DataFrame:
    """One sheet of a workbook, with the field names back when its ``columns`` sheet maps its
    headers (every header, in order), and ``cols`` read as text (``raw``, or ``words`` False:
    pandas' words for missing kept as text, an empty cell alone missing, and an error cell's error
    as text, ``#N/A``, where pandas reads none)."""
    with pd.ExcelFile(source) as book:
        name = book.sheet_names[sheet] if isinstance(sheet, int) else sheet
        if name not in book.sheet_names:  # a sheet xuanba named in the reader's language: asked by its own name
            name = next((w for lang in LANGS if (w := sheet_words(str(name), lang)) in book.sheet_names), name)
        names = _field_names(book, str(name))
        header_of = {field: header for header, field in names.items()}
        dtype = object if raw else {header_of.get(c, c): str for c in cols}
        # raw: a cell's text as stored ("NaN", "NA", "null" too); an empty cell is missing
        na = {"keep_default_na": False, "na_values": [""]} if raw or not words else {}
        frame = pd.read_excel(book, sheet_name=name, dtype=dtype, **na)
    if raw or not words:  # for a caller that reads the cells itself: the error too, never an empty cell
        frame = _error_text(frame, error_cells(source, str(name)))
    if names and [str(c) for c in frame.columns] == list(names):
        frame.columns = list(names.values())
    return frame


def read_table(
    path: str | Path,
    *,
    text: Sequence[str] | bool = ("customer_id",),
    sheet: str | int = 0,
    what: str = "the table file",
    hint: str | None = None,
    missing_words: bool = True,
) -> pd.DataFrame:
    """Read a table from ``.csv`` (UTF-8, UTF-8 BOM, GBK/GB18030), ``.xlsx`` or ``.parquet``.

    Parameters
    ----------
    path
        The file. ``.txt`` is read as CSV, ``.tsv`` as tab-separated text, ``.xlsm`` as ``.xlsx``.
    text
        Columns read as text, so that ids such as ``007`` keep their zeros (those absent are
        ignored). ``True``: no type guessing at all — CSV cells stay text (blanks as ``""``)
        and Excel cells stay as stored, an error cell as its error (``#N/A``: :func:`error_cells`);
        for callers that check and convert types themselves (a side table rejects its row).
    sheet
        The sheet of a workbook, by name or position. When the workbook has a ``columns``
        sheet mapping this sheet's headers to field names (written by :func:`write_table` for
        people), the columns get the field names back.
    what
        What the file is, for the error messages (e.g. ``"the facts file"``).
    hint
        How to make the file, added to the fix when it is missing (e.g. "Write it with
        `xuanba facts --out FILE`.").
    missing_words
        Whether a CSV's or a sheet's cells pandas reads as missing by default (``NA``, ``n/a``,
        ``NULL``, ``#N/A``, ``NaN``, ...) are missing (the default); ``False``: an empty cell alone
        is missing and those words are text as written, for a caller that reads them itself
        (:func:`xuanba.rounds.run.read_fields_file` says which cells were so written), and a
        sheet's error cell holds the error Excel shows (``#N/A``, ``#DIV/0!``: :func:`error_cells`).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        The file is missing, has an unknown suffix, or cannot be read as its suffix says;
        the message names the file and the fix.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gbk.csv"
    >>> _ = p.write_bytes("customer_id,名称\\n007,王记\\n".encode("gbk"))
    >>> read_table(p).values.tolist()
    [['007', '王记']]
    >>> read_table(p.with_suffix(".doc"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...gbk.doc: the table file does not exist (file not found)
      fix: Check the path.
    """
    source = Path(path)
    suffix = source.suffix.lower()
    if not source.is_file():
        raise InputError(Said(f"{what} does not exist (file not found)", Phrase("err_table_file_missing")), file=str(source),
                         fix=Phrase("err_check_path_fix", hint=f" {hint}" if hint else ""))
    if suffix not in READ_SUFFIXES:
        raise InputError(Phrase("err_read_suffix", suffix=suffix or Phrase("err_extensionless")), file=str(source),
                         fix=Phrase("err_read_suffix_fix"))
    cols = [] if isinstance(text, bool) else [text] if isinstance(text, str) else list(text)
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(source)
        elif suffix in (".xlsx", ".xlsm"):
            frame = _read_workbook(source, sheet, cols, text is True, missing_words)
        else:
            sep = "\t" if suffix == ".tsv" else ","
            frame = _read_csv(source, sep, str if text is True else dict.fromkeys(cols, str),
                              keep_na=text is not True and missing_words, empty_na=text is not True)
    except InputError:
        raise
    except (ValueError, OSError, KeyError, ImportError) as exc:
        raise InputError(Said(f"{what} cannot be read as {suffix}: {exc}",
                              Phrase("err_table_unreadable", suffix=suffix, detail=str(exc))), file=str(source),
                         fix=Phrase("err_table_unreadable_fix")) from None
    if suffix == ".parquet":  # typed already: ids stored as numbers become text (missing stays missing)
        for col in cols:
            if col in frame.columns:
                frame[col] = frame[col].astype(str)
    return frame
