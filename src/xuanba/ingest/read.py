"""Read any supported source into DuckDB as an all-text table, without asking about the format.

CSV and text files: the encoding is detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM as Excel's
"Unicode text" writes it, GB18030/GBK as Chinese Excel and ERP exports write it; Big5, which
GB18030 would decode garbled, refused saying so) and the
delimiter sniffed (comma, tab, semicolon, bar, or runs of whitespace). DuckDB reads UTF-8 only
without downloading an extension, so other encodings are transcoded to a temporary UTF-8 file in
chunks first. A quoted cell may hold line breaks (a note or an address on two lines): such a file
is found by reading it whole with the csv module (a file without a quote is not read) and read by
DuckDB's one-thread reader, the parallel one refusing it beside the padding of short rows; every
record is one row, numbered as such. Excel ``.xlsx`` goes through openpyxl, Parquet and in-memory
tables (pandas, polars, Arrow) straight into DuckDB. Every value becomes text here; typing happens later in SQL,
so that a bad value becomes a reject with its row number instead of a failed read.

This module stages; what it reads a CSV with lives beside it: the encodings in
:mod:`xuanba.ingest.encodings`, a line's cells and the delimiter in :mod:`xuanba.ingest.delimiters`, the
records (their rows, line ends, breaks in cells, quotes never closed) in :mod:`xuanba.ingest.csv_records`.
The checks of a CSV that an engine round reads itself are in :mod:`xuanba.ingest.csv_source`.

The staged table has the file's columns (VARCHAR) plus :data:`ROW`, the 1-based data row
(the first line under the header is row 1): a name of xuanba's own (``_xb_row``; a file's column
named ``_xb_…`` is refused), so a file's own ``_row`` (or ``row``, ``序号``) column is one of its
columns like any other.

Example
-------
>>> import duckdb, pandas as pd
>>> con = duckdb.connect()
>>> info = stage(con, pd.DataFrame({"客户": ["007"], "金额": [1.5]}), "_raw")
>>> con.execute("SELECT * FROM _raw").fetchall()
[('007', '1.5', 1)]
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import tempfile
import unicodedata
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from xuanba._frames import cell_text
from xuanba.errors import InputError, Listed, Phrase, SchemaError, quoted, shown
from xuanba.ingest.csv_records import (
    _breaks_in_cells,
    _ends_told,
    _long_row,
    _mixed_ends,
    _Record,
    _scan,
    _wider_row,
)
from xuanba.ingest.delimiters import _LINE, _cells, _sample_lines, sniff_delimiter
from xuanba.ingest.encodings import _CHUNK, _COPY_PREFIX, _remove_copies_of_killed_runs, _utf8_file
from xuanba.workspace import create_scratch, drop_scratch

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SUFFIXES = (*CSV_SUFFIXES, ".xlsx", ".xlsm", ".xls", ".parquet")
_LINE_DELIM = "\x1f"  # a byte no table uses: reads each line of a whitespace file whole
_HEADER_SEARCH = 15  # rows searched for a header under title lines

#: The prefix of the names ingest's SQL gives its own columns and tables beside a file's columns
#: (:data:`ROW`, a line's duplicate count): a file's column whose name begins so, in any case, is
#: refused (:func:`_finish`), so none is ever read in place of ingest's own.
OWN_PREFIX = "_xb_"
#: The staged table's row number (1 = the first line under the header).
ROW = f"{OWN_PREFIX}row"

#: Decides whether a row of cells is the header (see :func:`stage`).
HeaderTest = Callable[[list[str]], bool]


@dataclass
class Staged:
    """What :func:`stage` found out about one source."""

    name: str
    sha256: str
    fmt: str
    columns: list[str]
    rows: int
    encoding: str | None = None
    delimiter: str | None = None
    skipped: int = 0  # title lines above the header
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the names as the file writes them


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + str(name).replace('"', '""') + '"'


def list_sources(path: str | os.PathLike[str]) -> list[Path]:
    """A file, or the supported files of a directory (sorted, hidden files skipped).

    Example
    -------
    >>> list_sources("no/such/file.csv")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: no/such/file.csv: file not found
      fix: Check the path; give a .csv/.txt/.tsv, .xlsx, .parquet file or a folder of them.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f for f in p.iterdir()
            if f.is_file() and not f.name.startswith((".", "~$")) and f.suffix.lower() in SUFFIXES
        )
        if not files:
            raise InputError(Phrase("err_folder_no_tables"), file=str(p),
                             fix=Phrase("err_folder_no_tables_fix", suffixes=", ".join(SUFFIXES)))
    elif not p.is_file():
        raise InputError(Phrase("err_file_not_found"), file=str(p), fix=Phrase("err_file_not_found_fix"))
    else:
        files = [p]
    for f in files:  # a name of undecodable bytes: DuckDB and the workspace take text (a traceback before)
        try:
            str(f).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(Phrase("err_name_not_utf8"), file=str(f), fix=Phrase("err_name_not_utf8_fix")) from None
    return files


# -- headers ---------------------------------------------------------------------------------
def _head_lines(path: Path) -> list[str]:
    """The whole lines (line ends kept) of the first 64 KB of a UTF-8 file; the start of the line the
    64 KB cut too, when few lines are whole (a title and a header above a line of megabytes)."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        text = fh.read(1 << 16)
    lines = _LINE.findall(text)
    if len(text) == 1 << 16 and len(lines) > _HEADER_SEARCH:
        lines = lines[:-1]  # the last one may be cut
    return lines


def duplicate_headers(columns: Sequence[Any], *, file: str | None = None,
                      matters: Callable[[str], bool] | None = None) -> None:
    """Raise :class:`SchemaError` when two headers are one name written twice: the same text, or
    text differing only by letter case, full-width forms (``Amount``, ``amount``, ``ＡＭＯＵＮＴ``),
    spaces around it or a character no screen shows (a zero-width space, a soft hyphen: Unicode's
    format characters, :func:`_unseen`);
    which one holds the data would be a guess. With ``matters``, only twins of a name it accepts
    count, the first or the second (two 备注 columns of a sales log are read by nobody; ``Betrag``
    mapped beside a later ``BETRAG`` is refused as ``BETRAG`` beside a later ``Betrag`` is).

    Example
    -------
    >>> duplicate_headers(["客户", "日期", "金额"])
    >>> duplicate_headers(["Amount", "amount"])
    Traceback (most recent call last):
    ...
    xuanba.errors.SchemaError: column 'Amount': columns 1 and 2 ('Amount', 'amount') are one name written twice
      fix: Rename or delete one of them in the file, then ingest again.
    """
    seen: dict[str, int] = {}
    for i, col in enumerate(columns):
        key = _unseen(unicodedata.normalize("NFKC", str(col if col is not None else ""))).casefold().strip()
        if not key:
            continue
        if key in seen:
            j = seen[key]
            if matters is not None and not (matters(str(col)) or matters(str(columns[j]))):
                continue
            raise SchemaError(Phrase("err_header_twice", first=j + 1, second=i + 1, a=repr(columns[j]), b=repr(col)),
                              file=file, column=str(columns[j]), fix=Phrase("err_header_twice_fix"))
        seen[key] = i


def _unseen(text: str) -> str:
    """``text`` without its format characters (Unicode's category Cf: ``\u200b``, ``\u00ad``,
    ``\ufeff``, ...), which no screen shows: two headers differing by them look alike.

    >>> _unseen("am\u00adount\u200b")
    'amount'
    """
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf") if not text.isascii() else text


def _header_index(rows: list[list[str]], find_header: HeaderTest | None, pairs: bool = False) -> int:
    """Index of the header among the first rows: 0 unless row 0 fails ``find_header`` and a
    later one (under a title such as 销售明细表) passes, or, when none passes (names no alias
    knows), the first row under narrower title rows that is a header by its shape
    (:func:`_header_by_shape`)."""
    if find_header is None or not rows or find_header(rows[0]):
        return 0
    for i, row in enumerate(rows[1:_HEADER_SEARCH], start=1):
        if find_header(row):
            return i
    if pairs:  # a header in two rows under merged cells (客户 over 编号 and 名称)
        for i, row in enumerate(rows[:min(_HEADER_SEARCH, len(rows)) - 1]):
            if sum(bool(str(c).strip()) for c in row) >= 2 and find_header([*row, *rows[i + 1]]):
                return i
    return _header_by_shape(rows)


def _header_by_shape(rows: Sequence[Sequence[Any]]) -> int:
    """Index of the header known by its shape alone: the first row as wide as the widest row (at
    least two cells), every cell filled, no two alike, none a number or a date (:func:`_is_value`),
    with a number or a date in a row under it (or, under titles, a row of two cells or more); every
    row above it narrower or filling at most half its cells (a title: 某某公司销售明细,
    ``导出日期,2024-05-01,,``). 0 when the first full row is no
    such header (a row of values: a file without a header keeps its first row), when a row above it
    is as wide with more cells filled (a header with an empty cell: ``,姓名,地区``), or none is found.

    >>> _header_by_shape([["销售明细"], ["导出日期 2024-05-01"], ["会员卡号", "消费时间", "实收金额"], ["A1", "2024-01-02", "10"]])
    2
    >>> _header_by_shape([["销售明细", "", ""], ["A1", "2024-01-02", "10"], ["A2", "王", "x"]])
    0
    >>> _header_by_shape([["", "姓名", "地区"], ["VIP001", "王", "上海"], ["10002", "陈", "北京"]])
    0

    Under title rows a table of text alone (a reps or regions table) has its header found so too: the
    first full row, with a row of two cells or more under it, and every row above it a title (half its
    cells filled, or one); a header over such a table one of whose rows is a cell wider stays the header.

    >>> _header_by_shape([["某某公司 客户档案", ""], ["Account No", "Area"], ["K001", "华东"]])
    1
    >>> _header_by_shape([["Account No", "Area"], ["K001", "华东", "VIP"], ["K002", "华北"]])
    0
    """
    cells = [[str(c).strip() if c is not None else "" for c in row] for row in rows]
    spans = [max((i + 1 for i, c in enumerate(row) if c), default=0) for row in cells]
    width = max(spans, default=0)
    for i, row in enumerate(cells[:_HEADER_SEARCH]):
        named = [c for c in row[:width] if c]
        if len(named) < width:  # a title, a note or a blank row above the header
            if spans[i] == width and 2 * len(named) > width:  # a header with an empty cell (an
                return 0  # unnamed column, pandas' index), not a title: the first row stays
            continue
        below = cells[i + 1:]
        distinct = len({unicodedata.normalize("NFKC", c).casefold() for c in named}) == width
        values = any(j < len(r) and _is_value(r[j]) for r in below for j in range(width))
        # under titles, a table of text alone (reps, regions): a row below with two cells filled, and
        # every row above a title (half its cells or one filled), not a header over a row a cell wider
        text = (i > 0 and any(sum(bool(c) for c in r[:width]) >= 2 for r in below)
                and all(sum(map(bool, r)) <= max(1, width // 2) for r in cells[:i]))
        return i if width >= 2 and distinct and (values or text) and not any(map(_is_value, named)) else 0
    return 0


# -- staging -----------------------------------------------------------------------------------
def _finish(con: duckdb.DuckDBPyConnection, table: str, select: str, columns: list[str],
            tz: str | None = None, *, where: str | None = None) -> int:
    """Store ``select`` as text columns in ``{table}_t`` and expose it with :data:`ROW` as view ``table``.

    A timestamp with a time zone becomes the wall time in ``tz`` (the workspace's zone; UTC when
    None), never in the zone of the process that runs the ingest. A column whose name begins with
    :data:`OWN_PREFIX` (in any case: DuckDB's names are) is refused, naming the file ``where``.
    """
    taken = next((c for c in columns if str(c).lower().startswith(OWN_PREFIX)), None)
    if taken is not None:
        raise InputError(Phrase("err_reserved_column", column=repr(str(taken))), file=where, column=str(taken),
                         fix=Phrase("err_reserved_column_fix"))
    types = [str(t) for t in con.sql(f"SELECT * FROM {select} LIMIT 0").types]
    zone = (tz or "UTC").replace("'", "''")

    def text(col: str, typ: str) -> str:
        q = quote(col)
        if typ == "TIMESTAMP WITH TIME ZONE":
            return f"CAST(timezone('{zone}', {q}) AS VARCHAR) AS {q}"
        if typ in ("DOUBLE", "FLOAT"):  # 7.0 -> '7': ids stored as floats (pandas with NaN) stay ids
            return (f"CASE WHEN {q} = trunc({q}) AND abs({q}) < 9e15 THEN CAST(CAST({q} AS BIGINT) AS VARCHAR) "
                    f"ELSE CAST({q} AS VARCHAR) END AS {q}")
        return f"CAST({q} AS VARCHAR) AS {q}"

    casts = ", ".join(text(c, t) for c, t in zip(columns, types, strict=True))
    create_scratch(con, f"{table}_t", f"SELECT {casts} FROM {select}")
    offset, rows = con.execute(f"SELECT COALESCE(min(rowid), 0), count(*) FROM {table}_t").fetchone()
    create_scratch(con, table, f"SELECT *, CAST(rowid - {int(offset)} + 1 AS BIGINT) AS {ROW} FROM {table}_t",
                   view=True)
    return int(rows)


def unstage(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what :func:`stage` created."""
    drop_scratch(con, table, view=True)
    drop_scratch(con, f"{table}_t")


def _names(columns: list[str] | None, found: int, where: str) -> list[str]:
    if columns is None:  # no header and no names: column1, column2, ... (map them with mapping=)
        return [f"column{i + 1}" for i in range(found)]
    if len(columns) != found:
        raise SchemaError(Phrase("err_columns_count", names=len(columns), found=found), file=where,
                          fix=Phrase("err_columns_count_fix", found=found,
                                     example=",".join(f"col{i + 1}" for i in range(found))))
    return list(columns)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, header: bool,
               columns: list[str] | None, tmpdir: Path, find_header: HeaderTest | None = None,
               header_row: int | None = None, tz: str | None = None) -> Staged:
    where = str(path)
    readable, encoding, digest = _utf8_file(path, tmpdir)
    top = _head_lines(readable)
    if not any(line.strip() for line in top):
        raise InputError(Phrase("err_file_blank"), file=where, fix=Phrase("err_file_blank_fix"))
    tsv = path.suffix.lower() == ".tsv"
    delim, sample, first = _header_at(top, tsv, header, find_header, header_row, where)
    skip, records = sample[first][:2]  # lines and records above the header (titles, blanks)
    lines = [ln for *_, ln in sample[first:]]
    written = (lines[0].split() if delim == " " else _cells(lines[0], delim)) if header else []
    src = str(readable).replace("'", "''")
    cut = 0  # lines of the file above the copy DuckDB reads
    try:
        if delim == " ":
            head = lines[0].split()
            names = _names(columns, len(head), where) if not header else [str(h) for h in head]
            create_scratch(
                con, f"{table}_l",
                f"SELECT regexp_split_to_array(trim(line), '\\s+') AS f FROM read_csv('{src}', "
                f"columns={{'line': 'VARCHAR'}}, header=false, delim='{_LINE_DELIM}', quote='', "
                f"escape='', auto_detect=false, skip={skip}) WHERE trim(line) <> ''"
            )
            if header:
                con.execute(f"DELETE FROM {table}_l WHERE rowid = (SELECT min(rowid) FROM {table}_l)")
            parts = ", ".join(f"f[{i + 1}] AS {quote(n)}" for i, n in enumerate(names))
            rows = _finish(con, table, f"(SELECT {parts} FROM {table}_l ORDER BY rowid)", names, where=where)
            drop_scratch(con, f"{table}_l")
        else:
            one = _breaks_in_cells(readable, delim, records, header, where)
            titles = top[:skip]
            ends = _ends_told(top, skip, records, lines[0], readable, delim)  # the file's own lines, a copy's too
            if ends and (mixed := _mixed_ends(readable, delim)):  # told a line end, DuckDB no longer refuses
                # a file whose records end in two ways: it read a title's lone CR and no row under it
                raise _line_ends_error(readable, delim, records + header, where, 0, mixed)
            if records and (not _strict(titles, delim) or encoding == "utf-8-sig" and any('"' in t for t in titles)):
                # DuckDB's sniffer parses the lines it skips, and fails on a title it cannot (a quote
                # closed and more text after it: a,"b" c; a quoted title over two lines under a
                # BOM): the lines from the header down are read from a copy
                readable, records, cut = _from_line(readable, skip, tmpdir), 0, skip
            names, rows = _read_delimited(con, table, readable, delim, records, header, columns, one, tz, where,
                                          ends)
    except duckdb.Error as exc:
        raise _csv_error(exc, where, records + header, readable, delim, cut, len(columns or ())) from None
    return Staged(where, digest, "csv", names, rows, encoding, "whitespace" if delim == " " else delim,
                  skipped=skip, header=written or list(names))


def _header_at(top: list[str], tsv: bool, header: bool, find_header: HeaderTest | None,
               header_row: int | None = None, where: str = "") -> tuple[str, list[tuple[int, int, str]], int]:
    """(delimiter, :func:`_sample_lines` of the head lines ``top``, index of the header among them):
    the line ``header_row`` (from 1), or the row :func:`_header_index` finds (``header``), else the first."""
    delim = "\t" if tsv else sniff_delimiter(top)
    sample = _sample_lines(top, delim)
    first = 0
    if header_row is not None:
        first = next((i for i, (n, *_) in enumerate(sample) if n >= header_row - 1), -1)
        if first < 0 or sample[first][0] != header_row - 1:
            raise InputError(Phrase("err_header_row", line=f"{header_row:,}", lines=f"{len(sample):,}"), file=where,
                             fix=Phrase("err_header_row_fix"))
    elif header:
        first = _header_index([_cells(ln, delim) for *_, ln in sample], find_header)
    if first and not tsv:  # the lines from the header down decide: a title's commas do not
        line = sample[first][0]
        delim = sniff_delimiter(top[line:])
        sample = _sample_lines(top, delim)
        first = next((i for i, (n, *_) in enumerate(sample) if n >= line), len(sample) - 1)
    return delim, sample, first


def _read_delimited(con: duckdb.DuckDBPyConnection, table: str, path: Path, delim: str, records: int,
                    header: bool, columns: list[str] | None, one: bool, tz: str | None,
                    where: str, ends: dict[str, str] | None = None) -> tuple[list[str], int]:
    """(column names, rows) of the delimited UTF-8 file ``path`` staged as ``table``, ``records``
    records (titles, blank lines) skipped above the header; ``one``: a quoted cell holds a line break;
    ``ends``: the line end told (:func:`xuanba.ingest.csv_records._line_end`)."""
    src = str(path).replace("'", "''")
    d = delim.replace("'", "''")
    told = "".join(f", {k}='{v}'" for k, v in (ends or {}).items())
    # DuckDB's parallel reader refuses null padding beside a line break in a quoted cell; its
    # one-thread reader reads them, with the escape pinned to the quote the scan assumed
    single = ", parallel=false, escape='\"'" if one else ""
    opts = f"delim='{d}', all_varchar=true, null_padding=true, quote='\"', skip={records}{single}{told}"
    if header:
        rel = con.sql(f"SELECT * FROM read_csv('{src}', header=true, {opts}) LIMIT 0")
        names = list(rel.columns)
        select = f"read_csv('{src}', header=true, {opts})"
    else:
        probe = con.sql(f"SELECT * FROM read_csv('{src}', header=false, {opts}) LIMIT 0")
        names = _names(columns, len(probe.columns), where)
        spec = ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names)
        select = (f"read_csv('{src}', header=false, auto_detect=false, columns={{{spec}}}, "
                  f"delim='{d}', null_padding=true, quote='\"', escape='\"', skip={records}"
                  f"{', parallel=false' if one else ''}{told})")
    return names, _finish(con, table, select, names, tz, where=where)


def _strict(lines: list[str], delim: str) -> bool:
    """Whether ``lines`` are CSV by the letter: no quoted cell closed and followed by more text."""
    try:
        deque(csv.reader(lines, delimiter=delim, strict=True), maxlen=0)
    except csv.Error:
        return False
    return True


def _from_line(path: Path, line: int, tmpdir: Path) -> Path:
    """A copy of the UTF-8 file ``path`` from its 0-based ``line`` down (the lines above dropped)."""
    out = tmpdir / (path.stem + ".body.csv")
    with path.open("r", encoding="utf-8-sig", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        dst.writelines(itertools.islice(src, line, None))
    return out


def _csv_error(exc: duckdb.Error, where: str, above: int = 0, path: Path | None = None,
               delim: str = ",", lines: int = 0, names: int = 0) -> InputError:
    """The reader's error in words, with its row as the csv scan of ``path`` finds it (``above`` records
    over the rows: titles, the header, blank lines): the first row wider than the header, the first
    line too long, the first quote closed and followed by text. DuckDB's own line is the fallback: it
    counts records from the top of the file, blank lines too, but one more under a BOM and a quoted
    title over two lines, and its sniffer's error names none. ``lines``: the file's lines above ``path``
    (when it holds the lines from the header down), added to the lines an error names; ``names``: how many --columns
    names a file without a header."""
    text = str(exc)
    sniffing = "Error when sniffing" in text
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    quotes = "unterminated quote" in text or "conjunction with quoted new lines" in text
    size = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)", text)
    wider = _wider_row(path, delim, above, names) if path is not None and (fields or sniffing) else None
    # a quote closed and followed by text (B,"b" c,6): the sniffer's error says neither, the first is named
    loose = (next((r.row for r in _scan(path, delim, above, strict=True) if r.cells is None), None)
             if path is not None and (quotes or sniffing) else None)
    if wider and (loose is None or wider[0].row is None or wider[0].row < loose):
        return _wider_error(*wider, where, names)
    if size:
        limit, actual = int(size.group(1)), int(size.group(2))
        row = _long_row(path, delim, above, limit) if path is not None else None
        return InputError(Phrase("err_csv_long_line", size=f"{actual / 1e6:.1f}", limit=f"{limit / 1e6:.0f}"),
                          file=where, row=row, fix=Phrase("err_csv_long_line_fix"))
    if loose is not None:
        return InputError(Phrase("err_csv_quotes"), file=where, row=loose, fix=Phrase("err_csv_quotes_fix"))
    if path is not None and (sniffing or quotes or "state machine reached an invalid state" in text):
        mixed = _mixed_ends(path, delim)
        if mixed:  # a lone CR in a cell, or lines pasted from another program (a quoted cell then CR LF in
            # a file of LF: DuckDB's 'unterminated quote'); ``lines`` above ``path``
            return _line_ends_error(path, delim, above, where, lines, mixed)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    row = None
    if line and path is not None:
        row = next((r.row for r in _scan(path, delim, above) if r.number >= int(line.group(1))), None)
    if fields:
        return InputError(Phrase("err_csv_fields", expected=fields.group(1), found=fields.group(2)), file=where,
                          row=row, fix=Phrase("err_csv_fields_fix"))
    if quotes:
        return InputError(Phrase("err_csv_quotes"), file=where, row=row, fix=Phrase("err_csv_quotes_fix"))
    engine = [Phrase("engine_words", text=text.splitlines()[0])]  # DuckDB's English, as a line of its own
    return InputError(Phrase("err_csv_unreadable_sniff" if sniffing else "err_csv_unreadable", engine=engine),
                      file=where, row=row, fix=Phrase("err_csv_unreadable_fix"))


def _wider_error(record: _Record, width: int, where: str, names: int = 0) -> InputError:
    """The error for a row wider than the header (:func:`xuanba.ingest.csv_records._wider_row`'s
    ``record`` and ``width``): its row, its fields and the fix, delimiters at its end said apart.
    ``names``: how many --columns names a file without a header."""
    cells = record.cells or []  # DuckDB stops counting fields one past the header: the scan counts them all
    if not any(c.strip() for c in cells[width:]):  # a;b;c; : delimiters at the end, nothing after them
        extra = len(cells) - width
        key = "err_csv_fields_trailing" + ("_columns" if names else "") + ("_one" if extra == 1 else "")
        return InputError(Phrase(key, expected=width, found=len(cells), extra=extra), file=where,
                          row=record.row, fix=Phrase("err_csv_fields_trailing_fix"))
    return InputError(Phrase("err_csv_fields_columns" if names else "err_csv_fields", expected=width,
                             found=len(cells)), file=where, row=record.row, fix=Phrase("err_csv_fields_fix"))


def _line_ends_error(path: Path, delim: str, above: int, where: str, lines: int,
                     mixed: tuple[tuple[int, str], tuple[int, str]]) -> InputError:
    """The error for a file whose records end in two ways (:func:`_mixed_ends`'s ``mixed``): the first
    line of each way and the row of the second, ``above`` records over the rows, ``lines`` the file's
    lines above ``path`` (a copy from its header down)."""
    (one, expected), (other, found) = mixed
    row = next((r.row for r in _scan(path, delim, above) if r.last >= other), None)
    return InputError(Phrase("err_csv_line_ends", first=f"{one + lines:,}", expected=expected,
                             line=f"{other + lines:,}", found=found), file=where, row=row,
                      fix=Phrase("err_csv_line_ends_fix", line=f"{other + lines:,}"))


_cell = cell_text  # a cell as text: the one writer, which an engine round's frame shares


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The sheets of an .xlsx or .xls workbook, in order (for ``sheet="all"``)."""
    import openpyxl

    if Path(path).suffix.lower() == ".xls":
        book = _xls_book(Path(path))
        try:
            return list(book.sheet_names())
        finally:
            book.release_resources()

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise _not_workbook(str(path), exc) from None
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _not_workbook(where: str, exc: BaseException) -> InputError:
    return InputError(
        Phrase("err_not_workbook", kind=type(exc).__name__),
        file=where,
        fix=Phrase("err_not_workbook_fix"),
    )


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def _is_value(value: Any) -> bool:
    """A number or a date cell, or text that reads as one: data, not a header label."""
    if isinstance(value, (int, float, dt.date, dt.datetime)):
        return True
    text = str(value).strip()
    return bool(text) and all(ch.isdigit() or ch in ".,-/:¥￥$ 年月日()（）元" for ch in text)


def _header_names(head: Sequence[Any], below: Sequence[Any] | None, width: int) -> tuple[list[str], bool]:
    """Column names from a header row and, when it continues the header, the row below it.

    A header whose cells were merged (``金额`` spread over two columns, with ``含税`` and ``不含税``
    under it; ``客户编号`` merged down over two rows) leaves empty cells where the merge was. The
    row below continues the header when it holds no numbers or dates and is empty where the header
    row names a column with nothing under it. Names then are ``parent(sub)`` (or the parent alone
    where nothing stands under it). Returns (names, whether the row below was used).
    """
    head = list(head) + [None] * (width - len(head))
    sub = list(below or []) + [None] * (width - len(below or []))
    continues = (
        below is not None
        and any(not _blank(x) for x in sub)
        and not any(not _blank(x) and _is_value(x) for x in sub)
        and any(_blank(x) and not _blank(h) for x, h in zip(sub, head, strict=True))
    )
    from xuanba.ingest.mapping import field_of  # mapping reads this module: imported when used

    names: list[str] = []
    parent: str | None = None
    for i in range(width):
        top = None if _blank(head[i]) else str(head[i]).strip()
        low = None if _blank(sub[i]) else str(sub[i]).strip()
        if top is not None:
            parent = top
        if not continues or low is None:
            names.append(top if top is not None else f"column{i + 1}")
            continue
        base = top if top is not None else parent
        if not base:
            names.append(low)
        elif field_of(base + low):  # 客户 over 编号: 客户编号
            names.append(base + low)
        elif field_of(low) and not field_of(base):  # 销售信息 over 数量(件): 数量(件)
            names.append(low)
        else:  # 金额 over 含税 and 不含税: 金额(含税), 金额(不含税)
            names.append(f"{base}({low})")
    return names, continues


def _pick_sheet(names: list[str], sheet: str | int | None, where: str) -> int:
    """Index of the sheet asked for: a name, a number from 1, or None for the first."""
    if sheet is None:
        return 0
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        index = int(sheet) - 1
        if not 0 <= index < len(names):
            raise InputError(Phrase("err_sheet_number", n=len(names), sheet=str(sheet)), file=where,
                             fix=Phrase("err_sheet_number_fix", names=Listed([shown(n) for n in names])))
        return index
    if sheet in names:
        return names.index(sheet)
    raise InputError(Phrase("err_sheet_missing", sheet=quoted(sheet)), file=where,
                     fix=Phrase("err_sheet_missing_fix", names=Listed([shown(n) for n in names])))


def _xlsx_rows(path: Path, sheet: str | int | None) -> tuple[str, list[tuple[Any, ...]]]:
    """(sheet title, its rows of cell values) of an .xlsx/.xlsm workbook: an error cell as the error
    Excel shows (openpyxl's value of a cell of type ``e``: ``#N/A``, ``#DIV/0!``), which ingest
    rejects a line by (:data:`xuanba.ingest.rules.EXCEL_ERRORS`)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise _not_workbook(str(path), exc) from None
    try:
        ws = book.worksheets[_pick_sheet(list(book.sheetnames), sheet, str(path))]
        return ws.title, list(ws.iter_rows(values_only=True))
    finally:
        book.close()


def _xls_book(path: Path) -> Any:
    """An old .xls workbook opened with xlrd, or the message saying how to convert it."""
    try:
        import xlrd
    except ImportError:  # xlrd is a dependency; a trimmed install may lack it
        raise InputError(Phrase("err_xls_needs_xlrd"), file=str(path), fix=Phrase("err_xls_needs_xlrd_fix")) from None
    try:
        return xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises several types for a file that is not a BIFF workbook
        raise _not_workbook(str(path), exc) from None


def _xls_rows(path: Path, sheet: str | int | None) -> tuple[str, list[tuple[Any, ...]]]:
    """(sheet title, its rows of cell values) of an old .xls workbook; date cells as datetimes,
    error cells as the error Excel shows (``#N/A``, ``#DIV/0!``: xlrd gives its code), as openpyxl
    gives an .xlsx's, so ingest rejects a line by it (never a missing value said as none)."""
    book = _xls_book(path)  # first: says how to convert when xlrd is missing
    import xlrd

    try:
        ws = book.sheet_by_index(_pick_sheet(book.sheet_names(), sheet, str(path)))
        rows = []
        for r in range(ws.nrows):
            cells = []
            for c in ws.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    cells.append(xlrd.xldate_as_datetime(c.value, book.datemode))
                elif c.ctype == xlrd.XL_CELL_ERROR:  # BIFF8 has these seven codes only
                    cells.append(xlrd.error_text_from_code.get(c.value, "#N/A"))
                elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append(None)
                else:
                    cells.append(c.value)
            rows.append(tuple(cells))
        return ws.name, rows
    finally:
        book.release_resources()


def _stage_excel(con: duckdb.DuckDBPyConnection, path: Path, table: str, header: bool,
                 columns: list[str] | None, find_header: HeaderTest | None = None,
                 sheet: str | int | None = None, header_row: int | None = None,
                 tz: str | None = None) -> Staged:
    where = str(path)
    digest = _file_digest(path)
    old = path.suffix.lower() == ".xls"
    title, all_rows = (_xls_rows if old else _xlsx_rows)(path, sheet)
    # (physical 1-based row number, cells) of the rows that hold anything
    rows = [(n, r) for n, r in enumerate(all_rows, start=1) if any(not _blank(v) for v in r)]
    label = where if sheet is None else f"{where}#{title}"
    if not rows:
        raise InputError(Phrase("err_sheet_empty", sheet=title), file=where, fix=Phrase("err_sheet_empty_fix"))
    if header_row is not None:
        first = next((i for i, (n, _) in enumerate(rows) if n == header_row), -1)
        if first < 0:
            raise InputError(Phrase("err_sheet_header_row", row=header_row, sheet=title), file=where,
                             fix=Phrase("err_sheet_header_row_fix"))
    elif header:
        first = _header_index([[_cell(v) or "" for v in r] for _, r in rows[:_HEADER_SEARCH]], find_header,
                              pairs=True)
    else:
        first = 0
    skipped = rows[first][0] - 1
    body_rows = [r for _, r in rows[first:]]
    width = max(len(r) for r in body_rows)
    if header:
        below = body_rows[1] if len(body_rows) > 1 else None
        names, two = _header_names(body_rows[0], below, width)
        body = body_rows[2:] if two else body_rows[1:]
    else:
        names = _names(columns, width, where)
        body = body_rows
    data = {n: [_cell(r[i]) if i < len(r) else None for r in body] for i, n in enumerate(_dedupe(names))}
    arrow = pa.table({k: pa.array(v, type=pa.string()) for k, v in data.items()})
    staged = _stage_arrow(con, arrow, table, label, digest if sheet is None else
                          hashlib.sha256(f"{digest}#{title}".encode()).hexdigest(), "xls" if old else "xlsx", tz)
    staged.skipped = skipped
    staged.header = list(names)
    staged.notes.append(f"sheet {title}")
    return staged


def _dedupe(names: list[str]) -> list[str]:
    """``names`` made distinct to DuckDB, whose names are one in any case: a second ``备注`` (or
    ``AMOUNT`` after ``amount``) becomes ``备注_1``, never a name the table already has. The
    names as written stay the staged header, by which :func:`duplicate_headers` refuses twins
    of a field.

    >>> _dedupe(["备注", "amount", "AMOUNT", "备注", "备注_1"])
    ['备注', 'amount', 'AMOUNT_1', '备注_2', '备注_1']
    """
    taken = {str(n).casefold() for n in names}
    seen: set[str] = set()
    out = []
    for n in map(str, names):
        name, k = n, 0
        while name.casefold() in seen or (k and name.casefold() in taken):
            k += 1
            name = f"{n}_{k}"
        seen.add(name.casefold())
        out.append(name)
    return out


def _stage_arrow(con: duckdb.DuckDBPyConnection, arrow: pa.Table, table: str, where: str,
                 digest: str, fmt: str, tz: str | None = None) -> Staged:
    view = f"{table}_arrow"
    header = [str(n) for n in arrow.column_names]  # as written: twins of a field are refused by them
    columns = _dedupe(header)  # DuckDB reads no two columns of one name (Arrow's "Multiple matches")
    if columns != header:
        arrow = arrow.rename_columns(columns)
    con.register(view, arrow)
    try:
        rows = _finish(con, table, view, columns, tz, where=where)
    finally:
        con.unregister(view)
    return Staged(where, digest, fmt, columns, rows, header=header)


def _to_arrow(source: Any) -> pa.Table:
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        names = [str(c) for c in frame.columns]
        frame.columns = _dedupe(names)  # a frame may hold one name twice: converted apart, named back
        for col in frame.columns:  # mixed object columns (numbers and text) as text
            if frame[col].dtype == object:
                frame[col] = frame[col].map(_cell)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        return arrow if list(frame.columns) == names else arrow.rename_columns(names)
    if hasattr(source, "to_arrow"):  # polars
        return source.to_arrow()
    raise InputError(Phrase("err_ingest_kind", kind=type(source).__name__), fix=Phrase("err_ingest_kind_fix"))


def _parquet_header(path: Path, names: list[str]) -> list[str]:
    """The column names a Parquet file writes (``names``: DuckDB's, which renames a second
    ``amount`` or an ``AMOUNT`` beside it ``amount_1``, ``AMOUNT_1``): the file's own, by which
    :func:`duplicate_headers` refuses twins as it does a CSV's; DuckDB's where the file's cannot be
    read apart (their count differs)."""
    import pyarrow.parquet as pq

    try:
        own = [str(n) for n in pq.read_schema(path).names]
    except (OSError, pa.ArrowException):  # read by DuckDB, not by pyarrow: DuckDB's names
        return list(names)
    return own if len(own) == len(names) else list(names)


def table_digest(arrow: pa.Table) -> str:
    """sha256 of an Arrow table's content (its IPC stream), so re-loading a table is detected."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def stage(
    con: duckdb.DuckDBPyConnection,
    source: Any,
    table: str,
    *,
    header: bool = True,
    columns: list[str] | None = None,
    find_header: HeaderTest | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    tz: str | None = None,
) -> Staged:
    """Load one source into the temporary all-text table ``table`` on ``con``.

    Parameters
    ----------
    con
        The workspace connection.
    source
        A file path (.csv/.txt/.tsv, .xlsx/.xlsm, .parquet) or an in-memory table.
    table
        Name of the temporary table to create (replaced when it exists).
    header
        Whether the first line holds the column names (files only).
    columns
        Names for the columns of a file without a header; implies ``header=False``.
    find_header
        Tells a header row from a title row. When the first row fails it and one of the next
        rows passes, the rows above that one (a title such as 销售明细表, blank lines) are skipped.
    sheet
        The sheet of a workbook to read: its name or number from 1 (default the first).
    header_row
        The 1-based line of a file (row of a sheet) that holds the column names; overrides
        ``find_header``.
    tz
        The time zone whose wall time a timestamp with a zone becomes (default UTC).

    Raises
    ------
    InputError
        Unreadable encoding, empty file, not a table, unsupported file type, a file that changed
        while it was read, two headers that are one name written twice, a quote never closed, a
        row with more fields than the header.
    """
    if columns is not None:
        header = False
    if header_row is not None and header_row < 1:
        raise InputError(Phrase("err_header_row_number", row=header_row), fix=Phrase("err_header_row_number_fix"))
    if not isinstance(source, (str, os.PathLike)):
        arrow = _to_arrow(source)
        if arrow.num_columns == 0 or arrow.num_rows == 0:
            raise InputError(Phrase("err_table_empty"), file="<table>", fix=Phrase("err_table_empty_fix"))
        return _stage_arrow(con, arrow, table, "<table>", table_digest(arrow), "table", tz)
    path = Path(source)
    suffix = path.suffix.lower()
    before = _stamp(path)
    if suffix in CSV_SUFFIXES:
        _remove_copies_of_killed_runs()
        with tempfile.TemporaryDirectory(prefix=f"{_COPY_PREFIX}{os.getpid()}-") as tmp:  # gone on any error
            staged = _stage_csv(con, path, table, header, columns, Path(tmp), find_header, header_row, tz)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        staged = _stage_excel(con, path, table, header, columns, find_header, sheet, header_row, tz)
    elif suffix == ".parquet":
        if path.stat().st_size == 0:
            raise InputError(Phrase("err_file_empty"), file=str(path), fix=Phrase("err_export_again"))
        digest = _file_digest(path)
        src = str(path).replace("'", "''")
        try:
            names = list(con.sql(f"SELECT * FROM read_parquet('{src}') LIMIT 0").columns)
            rows = _finish(con, table, f"read_parquet('{src}')", names, tz, where=str(path))
        except duckdb.Error as exc:
            raise InputError(Phrase("err_not_parquet", detail=str(exc).splitlines()[0]), file=str(path),
                             fix=Phrase("err_not_parquet_fix")) from None
        staged = Staged(str(path), digest, "parquet", names, rows, header=_parquet_header(path, names))
    elif suffix == ".et":
        raise InputError(Phrase("err_wps_et"), file=str(path), fix=Phrase("err_wps_et_fix"))
    else:
        raise InputError(Phrase("err_file_type", suffix=repr(suffix) if suffix else Phrase("err_no_extension")),
                         file=str(path), fix=Phrase("err_file_type_fix", suffixes=Listed(SUFFIXES)))
    if _stamp(path) != before:
        unstage(con, table)
        raise InputError(Phrase("err_file_changed"), file=str(path), fix=Phrase("err_file_changed_fix"))
    if staged.rows == 0:
        unstage(con, table)
        raise InputError(Phrase("err_no_rows_header" if header and staged.fmt == "csv" else "err_no_rows"),
                         file=staged.name, fix=Phrase("err_no_rows_headerless_fix" if header and
                                                      headerless(staged.columns) else "err_no_rows_fix"))
    return staged


def headerless(names: list[str]) -> bool:
    """Whether most "headers" look like values (numbers, dates): the file has no header line."""

    def value(name: str) -> bool:
        text = str(name).strip()
        return bool(text) and all(ch.isdigit() or ch in ".-/: " for ch in text)

    return bool(names) and 2 * sum(value(n) for n in names) >= len(names)


def _stamp(path: Path) -> tuple[int, int]:
    """(size, modification time in ns): compared before and after a read to catch a growing file."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

