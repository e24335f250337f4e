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

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import tempfile
import threading
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from xuanba._files import process_gone
from xuanba._frames import cell_text
from xuanba.errors import InputError, Phrase, SchemaError, quoted, shown
from xuanba.workspace import create_scratch, drop_scratch

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SUFFIXES = (*CSV_SUFFIXES, ".xlsx", ".xlsm", ".xls", ".parquet")
_CHUNK = 8 << 20
_DELIMS = (",", "\t", ";", "|")
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


# -- encodings ---------------------------------------------------------------------------------
def _sniff_bytes(path: Path) -> tuple[str | None, str, int | None]:
    """(encoding decided from the first bytes or None, sha256 of the whole file, the offset of its
    first NUL byte in a file that is not UTF-16, where no text table has one: found by the read
    that hashes the file, so a good file is read once)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    multibyte = seen = 0
    encoding: str | None = None
    nul: int | None = None
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if nul is None and not (encoding or "").startswith("utf-16") and (at := chunk.find(b"\x00")) >= 0:
                nul = seen + at
            if first:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    encoding = "utf-8-sig"
                elif chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    encoding = "utf-16"
                elif b"\x00" in chunk[:4096]:
                    head = chunk[:4096]
                    if head[1::2].count(0) > len(head) // 4:
                        encoding = "utf-16-le"
                    elif head[0::2].count(0) > len(head) // 4:
                        encoding = "utf-16-be"
                    else:
                        encoding = "binary"
            if encoding is None and utf8_ok:
                try:
                    multibyte += len(chunk) - len(utf8.decode(chunk))
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    good = chunk[: max(exc.start, 0)]
                    multibyte += len(good) - len(good.decode("utf-8", "ignore"))
                    if multibyte >= _UTF8_TEXT:  # long valid UTF-8 text, then a bad byte: not GBK
                        _mostly_utf8(path, seen + max(exc.start, 0))
            seen += len(chunk)
    if encoding is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
        encoding = "utf-8" if utf8_ok else None
    return encoding, digest.hexdigest(), nul if not (encoding or "").startswith("utf-16") else None


def _line_at(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return fh.read(offset).count(_line_byte(path)) + 1


def _line_byte(path: Path) -> bytes:
    """The byte that ends a line of ``path``: LF, or CR where its first chunk holds a CR and no LF
    (old Mac line ends, which DuckDB and the csv module read line by line too: counting LF alone
    named every bad byte of such a file on line 1)."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    return _ends_with(head)


def _ends_with(head: bytes) -> bytes:
    """:func:`_line_byte` of a file whose first chunk is ``head``."""
    return b"\r" if b"\r" in head and b"\n" not in head else b"\n"


def _file_lines(fh: Any, end: bytes) -> Iterator[bytes]:
    """The lines of the binary file ``fh`` from where it stands, each with its ``end`` byte (LF or CR)."""
    if end == b"\n":
        yield from fh
        return
    rest = b""
    while chunk := fh.read(_CHUNK):
        *whole, rest = (rest + chunk).split(end)
        yield from (line + end for line in whole)
    if rest:
        yield rest


#: Bytes past one per character of valid UTF-8 above a bad byte that make a file UTF-8 text, not GBK
#: (about 30 Chinese characters; GBK's 一 and 业 are valid UTF-8 too, a few such are not enough).
_UTF8_TEXT = 60


def _mostly_utf8(path: Path, offset: int) -> None:
    line = f"{_line_at(path, offset):,}"
    raise InputError(Phrase("err_mostly_utf8", line=line, byte=f"{offset:,}"), file=str(path),
                     fix=Phrase("err_mostly_utf8_fix"))


_GBK_LINES_TO_BE_SURE = 200  # non-UTF-8 lines with no UTF-8 Chinese line among them: a GBK file


def _refuse_mixed(path: Path) -> None:
    """Raise when a file that is not all UTF-8 holds a line of UTF-8 Chinese text: it is a UTF-8
    file with some lines in another encoding (pasted from elsewhere), and decoding it whole as
    GBK would garble every UTF-8 line. Reads lines until such a line, or until enough lines fail
    UTF-8 to take the file for GBK (a GBK file stops after a few hundred lines)."""
    first_bad = 0
    bad = 0
    with path.open("rb") as fh:
        lines = _file_lines(fh, _line_byte(path))
        for number, raw in enumerate(lines, start=1):
            if raw.isascii():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                first_bad = first_bad or number
                bad += 1
                if bad >= _GBK_LINES_TO_BE_SURE:
                    return
                continue
            if max(text) >= "\u0800":  # Chinese (or other three-byte) text, valid UTF-8
                if first_bad:
                    raise mixed_encoding(path, number, text, first_bad)
                utf8_line, utf8_text = number, text
                break
        else:
            return
        for number, raw in enumerate(lines, start=utf8_line + 1):  # a UTF-8 line came first: find the other
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise mixed_encoding(path, utf8_line, utf8_text, number) from None


_LINES_TO_TELL = 50  # non-UTF-8 lines read to tell Big5 from GBK


def _refuse_big5(path: Path) -> None:
    """Raise where the first non-UTF-8 lines of ``path`` read as Big5 (Traditional Chinese) rather
    than GBK (:func:`line_encoding` over them together), or as single-byte text (Latin-1's ``25°C``,
    :func:`_single_byte`): GB18030 decodes nearly any pair of bytes, so such a file was loaded as
    garbled text without a word."""
    first: tuple[int, bytes] | None = None
    taken: list[bytes] = []
    seen = at = 0  # at: the offset of the first such line
    with path.open("rb") as fh:
        for number, raw in enumerate(_file_lines(fh, _line_byte(path)), start=1):
            seen += len(raw)
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                if first is None:
                    first, at = (number, raw), seen - len(raw)
                taken.append(raw)
                if len(taken) >= _LINES_TO_TELL:
                    break
    if first is not None and _single_byte(b"".join(taken)):  # Latin-1's 25°C: GB18030 would garble it
        byte = at + next(i for i, b in enumerate(first[1]) if b >= 0x80)
        raise InputError(Phrase("err_encoding", line=f"{first[0]:,}", byte=f"{byte:,}", encoding="GBK/GB18030"),
                         file=str(path), fix=Phrase("err_encoding_fix"))
    if first is None or line_encoding(b"".join(taken))[0] != "big5":
        return
    text = first[1].rstrip(b"\r\n").decode(_BIG5, "replace")
    raise InputError(Phrase("err_big5", line=f"{first[0]:,}", text=quoted(text[:60])), file=str(path),
                     fix=Phrase("err_big5_fix"))


def mixed_encoding(path: Path, utf8_line: int, utf8_text: str, bad_line: int) -> InputError:
    """The refusal of the file ``path`` whose line ``utf8_line`` is UTF-8 Chinese text (``utf8_text``)
    and whose line ``bad_line`` is not UTF-8 (ingest's, and an engine round's CSV source's)."""
    with path.open("rb") as fh:
        shown = next((raw for i, raw in enumerate(_file_lines(fh, _line_byte(path)), start=1) if i == bad_line), b"")
    return InputError(
        Phrase("err_mixed_encoding", utf8_line=f"{utf8_line:,}", utf8_text=repr(utf8_text.strip()[:40]),
               bad_line=f"{bad_line:,}", shown=repr(shown.decode("gb18030", "replace").strip()[:40])),
        file=str(path),
        fix=Phrase("err_mixed_encoding_fix", bad_line=f"{bad_line:,}"),
    )


_NUL_MARK = "\ue000"  # a private-use character standing for the NUL while its cell is found


def _nul_error(path: Path, offset: int, encoding: str) -> InputError:
    """The refusal of a file with a NUL byte at ``offset``: binary, damaged, or UTF-16 text without
    its mark. Names the line of the file and the byte; and, when the lines above it read as a
    table (a header line without a NUL), the row (the first record under the header being row 1)
    and the column of the cell that holds it."""
    end = _line_byte(path)
    with path.open("rb") as fh:
        above = fh.read(offset)
        rest = next(_file_lines(fh, end), b"")
    line = above.count(end) + 1
    row = column = None
    if end in above:  # a header line above it, which reads as text
        text = (above + rest).decode(encoding, "replace").replace("\x00", _NUL_MARK)
        delim = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(_LINE.findall(text)[:200])
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if r]
        except csv.Error:  # a quote left open: the line of the file is said
            records = []
        if len(records) > 1:
            cell = next((i for i, v in enumerate(records[-1]) if _NUL_MARK in v), None)
            row = len(records) - 1
            column = records[0][cell] if cell is not None and cell < len(records[0]) else None
    return InputError(Phrase("err_nul", line=f"{line:,}", byte=f"{offset:,}"), file=str(path), row=row,
                      column=column, fix=Phrase("err_nul_fix", line=f"{line:,}"))


def refuse_nul(path: str | os.PathLike[str]) -> None:
    """Refuse the delimited text file at ``path`` where it holds a NUL byte, as ingest refuses it
    (:func:`_nul_error`: its line, row and column); for a reader that takes the file itself (an
    engine round's ``--source file.csv``: DuckDB reads a NUL into the cell, a customer id of its own).
    A file with a UTF-16 mark is left to its reader: its zero bytes are text.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"customer_id,ts,amount\\na\\x00,2025-01-01,5\\n")
    >>> refuse_nul(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...t.csv, row 1, column 'customer_id': the file holds a NUL byte ... at line 2 ...
    ...
    """
    path = Path(path)
    seen = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if not seen and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return
            if (at := chunk.find(b"\x00")) >= 0:
                raise _nul_error(path, seen + at, "utf-8")
            seen += len(chunk)


def refuse_empty(path: str | os.PathLike[str]) -> None:
    """Refuse the delimited text file at ``path`` where it holds no text, as ingest refuses it: no
    byte (``err_file_empty``), or nothing but a UTF-8 byte order mark, spaces and line ends
    (``err_file_blank``); for a reader that takes the file itself (an engine round's ``--source``:
    DuckDB reads such a file as one column, ``column0``, and the round asked to map the fields to it).
    Reads to the first byte of text.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbf\\r\\n")
    >>> refuse_empty(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...t.csv: the file is empty (no lines with data)
    ...
    """
    path = Path(path)
    with path.open("rb") as fh:
        chunk = fh.read(_CHUNK)
        if not chunk:
            raise InputError(Phrase("err_file_empty"), file=str(path), fix=Phrase("err_file_empty_fix"))
        chunk = chunk.removeprefix(codecs.BOM_UTF8)
        text = codecs.getincrementaldecoder("utf-8")("replace")  # spaces as ingest strips them: U+3000, NBSP
        while not text.decode(chunk).strip():
            if not (chunk := fh.read(_CHUNK)):
                raise InputError(Phrase("err_file_blank"), file=str(path), fix=Phrase("err_file_blank_fix"))


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """Rewrite ``path`` from ``encoding`` to UTF-8 in chunks; error names the first bad line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as src, out.open("wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = done + exc.start
                line = _line_at(path, bad)
                raise InputError(
                    Phrase("err_encoding", line=f"{line:,}", byte=f"{bad:,}", encoding=encoding),
                    file=str(path),
                    fix=Phrase("err_encoding_fix"),
                ) from None
            dst.write(text.encode("utf-8"))
            done += len(chunk)
            if final:
                break


_COPY_PREFIX = "xuanba-ingest-"  # + pid: the folder of a run's transcoded UTF-8 copy


def _remove_copies_of_killed_runs() -> None:
    """Remove the transcoded copies left in the temp folder by ingests that were killed (POSIX).

    A copy's folder is named after the process that made it; one whose process is gone is removed.
    """
    import shutil

    if os.name != "posix":
        return
    try:
        entries = list(Path(tempfile.gettempdir()).glob(f"{_COPY_PREFIX}*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name[len(_COPY_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and process_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _utf8_file(path: Path, tmpdir: Path) -> tuple[Path, str, str]:
    """(a UTF-8 file DuckDB can read, the source encoding, sha256 of the original)."""
    if path.stat().st_size == 0:
        raise InputError(Phrase("err_file_empty"), file=str(path), fix=Phrase("err_file_empty_fix"))
    encoding, digest, nul = _sniff_bytes(path)
    if nul is not None:  # in the head (a binary file) or anywhere below it (a damaged one)
        raise _nul_error(path, nul, "gb18030" if encoding is None else "utf-8")
    if encoding in ("utf-8", "utf-8-sig"):
        return path, encoding, digest
    target = tmpdir / (path.stem + ".utf8.csv")
    if encoding is None:
        _refuse_mixed(path)
        _refuse_big5(path)
        _transcode(path, "gb18030", target)
        return target, "gb18030", digest
    _transcode(path, encoding, target)
    return target, encoding, digest


# -- delimiters ------------------------------------------------------------------------------
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line as DuckDB and csv count them
_BREAK = re.compile(r"\r\n|\r|\n")
_CLOSES = re.compile(r'[^"]*(?:""[^"]*)*"(?!")')  # the rest of a quoted cell, to its closing quote
_OPENS = {d: re.compile(f'(?:^|(?<={re.escape(d)})) ?"') for d in _DELIMS}  # a quote at the start of a cell
_UNQUOTED = {d: re.compile(f"[^{re.escape(d)}]*") for d in _DELIMS}  # a cell's text to the next delimiter
_LEAD = {d: re.compile(f'(?:^|(?<={re.escape(d)})) (?=")') for d in _DELIMS}  # a space after d, before a quote


def _spaces_dropped(lines: Iterable[str], delim: str) -> Iterator[str]:
    """``lines`` with every space between ``delim`` (or a line's start) and a quote dropped, inside a
    quoted cell too: the records and cells the csv module reads are DuckDB's (in a quoted cell the
    space is text, its loss changes no cell's end), a cell's text a space short. For the scans that
    count records and cells, a regex on the lines that hold one (:func:`_as_duckdb` reads the text)."""
    lead, mark = _LEAD.get(delim), f'{delim} "'
    return (lead.sub("", line) if lead and (mark in line or line.startswith(' "')) else line for line in lines)


def _as_duckdb(lines: Iterable[str], delim: str) -> Iterator[str]:
    """``lines`` with the one space DuckDB skips before a quote that opens a cell dropped (``, "a,b"``
    is a,b; two spaces and the quote is a character), for the csv module to read them as DuckDB does
    (the lines and their ends as they are otherwise). A space before a quote inside a quoted cell
    (``"a, ""b"" c"``, or a cell's second line starting `` "``) is the cell's text: the quoted cell open at
    the end of a line is followed into the next."""
    rest, inside = _UNQUOTED.get(delim), False
    for line in lines:
        if rest is None or '"' not in line:  # no quote: no cell opens or closes here
            yield line
            continue
        spaces, pos, end = [], 0, len(line)  # the offsets of the spaces dropped
        while True:  # at a cell's start, or inside a quoted cell (``inside``)
            if not inside and line.startswith(' "', pos):
                spaces.append(pos)
                pos += 1
            if inside or line.startswith('"', pos):
                close = _CLOSES.match(line, pos + (not inside))
                if close is None:  # open at the line's end
                    inside = True
                    break
                inside, pos = False, close.end()
            pos = rest.match(line, pos).end()  # the cell's text, or what follows its closing quote
            if pos >= end or line[pos] != delim:
                break
            pos += 1
        yield "".join(line[a + 1:b] for a, b in zip([-1, *spaces], [*spaces, end], strict=True)) if spaces else line


def _open_at_end(line: str, inside: bool, delim: str) -> bool:
    """Whether a quoted cell is open at the end of ``line`` (``inside`` one at its start). A quote
    opens a cell only at its start (the line's or after ``delim``), as the csv module and DuckDB read
    it: an inch mark (``12"``), Excel's unquoted ``ab"c``, a title's ``Report "Q3`` or ``a,"b`` in a
    file delimited by ``;`` is a character. Whitespace-delimited lines (``delim`` " ") hold no quoted cell."""
    opens = _OPENS.get(delim)
    pos = 0
    while opens and (match := (_CLOSES.match if inside else opens.search)(line, pos)):
        pos, inside = match.end(), not inside
    return inside


def _head_lines(path: Path) -> list[str]:
    """The whole lines (line ends kept) of the first 64 KB of a UTF-8 file; the start of the line the
    64 KB cut too, when few lines are whole (a title and a header above a line of megabytes)."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        text = fh.read(1 << 16)
    lines = _LINE.findall(text)
    if len(text) == 1 << 16 and len(lines) > _HEADER_SEARCH:
        lines = lines[:-1]  # the last one may be cut
    return lines


def _sample_lines(lines: list[str], delim: str, n: int = 200) -> list[tuple[int, int, str]]:
    """(0-based line, 0-based record, text) of the first non-blank records of ``lines`` read with ``delim``.

    A record whose quoted cell holds a line break spans lines: lines are joined while a quoted cell
    is open (where a quote opens a cell depends on the delimiter). Lines a quote opened at the end of
    the sample still holds are records of their own (the whole-file scan names a quote never closed).
    Blank lines count as records (DuckDB's ``skip`` counts them).
    """
    records: list[tuple[int, str]] = []
    start, inside = 0, False
    quoted = any('"' in line for line in lines)
    for i, line in enumerate(lines):
        inside = quoted and _open_at_end(line, inside, delim)
        if not inside:
            records.append((start, "".join(lines[start:i + 1]).rstrip("\r\n")))
            start = i + 1
    records += [(i, lines[i].rstrip("\r\n")) for i in range(start, len(lines))]
    return [(line, record, body) for record, (line, body) in enumerate(records) if body.strip()][:n]


def _line_end(lines: list[str], start: int, record: str, path: Path | None = None, delim: str = ",",
              above: int = 0) -> dict[str, str]:
    """DuckDB's ``new_line`` option for a file whose first record read (``record``, from 0-based line
    ``start`` of ``lines``) holds a line break in a quoted cell: the end of that record (CR LF, LF or
    CR). DuckDB's sniffer takes the first break for the file's line end, and fails where the two
    differ, as in a Windows CSV whose header cell was typed with Excel's Alt+Enter (a bare LF, the
    lines ending CR LF); told, it reads the file as it reads one whose break is lower down. ``{}``
    for a first record on one line (the sniffer's own reading). A record whose quote is still open
    at the end of ``lines`` (the head: a note of more than 64 KB) is read to its end in the file
    ``path``, ``above`` records (blank lines too) above it."""
    last = start + len(_BREAK.findall(record))
    if last == start and path is not None and start < len(lines) and _open_at_end(lines[start], False, delim):
        end = _record_end(path, delim, above)
    else:
        end = lines[last][len(lines[last].rstrip("\r\n")):] if start < last < len(lines) else ""
    return {"new_line": _TOLD[end]} if end in _TOLD else {}


def _record_end(path: Path, delim: str, above: int) -> str:
    """The line end of the UTF-8 CSV ``path``'s record ``above`` (0-based, blank lines counted), read
    from the top of the file to that record's last line; ``""`` for one the csv module refuses."""
    try:
        last = next((line for number, (line, _) in enumerate(_records(path, delim)) if number == above), 0)
    except csv.Error:  # a cell longer than DuckDB reads: DuckDB's error names it
        return ""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        text = next(itertools.islice(fh, last - 1, None), "") if last else ""
    return text[len(text.rstrip("\r\n")):]


_TOLD = {"\r\n": "\\r\\n", "\n": "\\n", "\r": "\\r"}  # a line end as DuckDB's new_line is told it


def _ends_told(lines: list[str], start: int, records: int, record: str, path: Path | None = None,
               delim: str = ",") -> dict[str, str]:
    """:func:`_line_end` of the header's record (``record``, from 0-based line ``start``, under
    ``records`` records; one longer than the head read to its end in ``path``); where a record above
    it holds a line break (a title typed with Alt+Enter, ``start`` > ``records``), the end of the
    header's line: DuckDB's sniffer fails on a title's bare LF in a file of CR LF lines, as on a header's."""
    told = _line_end(lines, start, record, path, delim, records)
    if told or start == records:
        return told
    end = lines[start][len(lines[start].rstrip("\r\n")):]
    return {"new_line": _TOLD[end]} if end in _TOLD else {}


def _cells(line: str, delim: str) -> list[str]:
    if delim == " ":
        return line.split()
    try:
        return next(csv.reader(_as_duckdb([line], delim), delimiter=delim), [])
    except csv.Error:  # a line break outside quotes as this delimiter cuts the cells: not its cells
        return [line]


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


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of some CSV lines: one of ``, \\t ; |``, or ``" "`` for runs of whitespace.

    Picks the candidate that splits every record into the same number (> 1) of fields, the most
    fields winning; failing that, the one whose most common number (> 1) most records agree on. Each candidate reads the lines with
    its own quoting (a quote opens a cell only after that delimiter), so a record spans lines where a
    cell quoted with it holds a line break.

    Example
    -------
    >>> sniff_delimiter(["a;b;c", "1;2,5;3"])
    ';'
    >>> sniff_delimiter(["Kunde;Notiz\\n", 'K1;a,"b\\n', 'K2;"zwei\\n', 'Zeilen"\\n'])
    ';'
    >>> sniff_delimiter([" 00004 0001 19970101  2   29.33"])
    ' '

    A candidate that splits every record, though not all into as many fields (a row with one ``;``
    too many), is the delimiter rather than runs of spaces that happen to split every line alike
    (names of two words): read with it, that row is refused by its number.

    >>> sniff_delimiter(["客户 编号;日期;金额", "Li Ltd;2025-01-01;1,5", "Wu Co;2025-01-02;2,5;"])
    ';'

    Not a comma that stands between digits on every line, though: amounts' thousands marks in a
    file of whitespace-separated columns without a header.

    >>> sniff_delimiter(["00001 19970101 1 1,234.50", "00002 19970102 2 12,345,678.00"])
    ' '
    """
    best: tuple[float, int, str] | None = None
    everywhere: tuple[float, int, str] | None = None  # the best of those that split every record
    for delim in _DELIMS:
        if not any(delim in line for line in lines):  # one field a record: not the delimiter
            continue
        counts = [len(_cells(text, delim)) for *_, text in _sample_lines(lines, delim)]
        split = [c for c in counts if c > 1]  # a title line is one field whatever the delimiter
        if not split:
            continue
        mode = max(set(split), key=lambda c: (split.count(c), c))
        share = split.count(mode) / len(counts)
        score = (share, mode, delim)
        if best is None or score[:2] > best[:2]:
            best = score
        if len(split) == len(counts) and (everywhere is None or score[:2] > everywhere[:2]):
            everywhere = score
    if best is not None and best[0] == 1.0:
        return best[2]
    ws = [len(text.split()) for *_, text in _sample_lines(lines, " ")]
    spaced = bool(ws) and min(ws) > 1 and len(set(ws)) == 1
    if everywhere is not None and not _spaces_alike(lines, everywhere[2]) and not (
            spaced and _in_numbers(lines, everywhere[2])):
        return everywhere[2]
    if spaced:
        return " "
    return best[2] if best is not None else ","


def _in_numbers(lines: list[str], delim: str) -> bool:
    """Whether every ``delim`` of ``lines`` stands between two digits: a number's thousands or
    decimal mark (``1,234.50``, ``12,345,678``), not a delimiter, in a file that whitespace splits
    every line of alike."""
    apart = re.compile(f"(?<![0-9]){re.escape(delim)}|{re.escape(delim)}(?![0-9])")
    return not any(apart.search(line) for line in lines if line.strip())


def _spaces_alike(lines: list[str], delim: str) -> bool:
    """Whether runs of whitespace cut each record of ``lines`` into the cells ``delim`` does (the
    empty ones and the spaces around left out): a tab file with a tab after a row's last cell,
    which whitespace reads right; not where a cell holds a space or a word holds ``delim``."""
    return all(text.split() == [c.strip() for c in _cells(text, delim) if c.strip()]
               for *_, text in _sample_lines(lines, delim))


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


_END = "\ue000xuanba: end of the file\ue000"  # a last line no file holds: a quote left open swallows it
_MAX_CELL = 1 << 22  # characters: above DuckDB's 2 MB line, whose own error names a longer one
_CSV_LIMIT = threading.Lock()  # csv's field size limit is one setting of the process


def _records(path: Path, delim: str, strict: bool = False, lead: bool = True,
             spaces: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(last line, cells) of each record of a UTF-8 CSV file as Excel writes it (a quote opens a cell
    only at its start, or after one space as DuckDB reads it; ``""`` inside is one quote), then of the
    line :data:`_END` (``lead`` False: a quote after a space is a character, as the csv module reads it,
    at C speed; with ``spaces``, after any spaces it opens a cell, at C speed too). ``strict``: a
    quoted cell closed and followed by more text (``"b" c``) raises :class:`csv.Error`; spaces
    alone after it (``"b" ,``) do not, DuckDB reading them (the spaces dropped)."""
    with _CSV_LIMIT, path.open("r", encoding="utf-8-sig", newline="") as fh:
        limit = csv.field_size_limit(_MAX_CELL)
        lines = _spaces_dropped(fh, delim) if lead else fh  # :func:`_as_duckdb`'s cells, at regex speed
        if strict:  # a line keeps its line end: csv's count of lines is the file's
            after = re.compile(f'" +(?={re.escape(delim)}|\r|\n|$)')  # not ``spaces``: that is csv's option
            lines = (after.sub('"', line) if '" ' in line else line for line in lines)
        try:
            reader = csv.reader(itertools.chain(lines, [_END]), delimiter=delim, strict=strict, skipinitialspace=spaces)
            for cells in reader:
                yield reader.line_num, cells
        finally:
            csv.field_size_limit(limit)


class _Record(NamedTuple):
    """A record of a CSV file as :func:`_scan` yields it."""

    number: int  # from 1 at the top of the file, blank lines and the records above the rows too
    row: int | None  # the data row (the staged table's :data:`ROW`); None above the rows and for a blank line
    last: int  # the line of the file it ends on
    cells: list[str] | None  # None: a record the csv module refuses, where the scan stops


def _scan(path: Path, delim: str, above: int, strict: bool = False, lead: bool = True) -> Iterator[_Record]:
    """The records of the UTF-8 CSV ``path`` (:func:`_records`), numbered as DuckDB's errors count them
    and as the staged table numbers its rows (``above`` records over the rows, and blank lines, are none).
    Ends before :data:`_END`'s own record: a record holding :data:`_END` is one a quote left open.
    A record the csv module refuses (a cell longer than :data:`_MAX_CELL`; ``strict``, a quote closed
    and followed by text) ends the scan, without its cells."""
    number = row = 0
    try:
        for number, (last, cells) in enumerate(_records(path, delim, strict, lead), start=1):
            if cells == [_END]:
                return
            data = number > above and bool(cells)
            row += data
            yield _Record(number, row if data else None, last, cells)
    except csv.Error:  # the next record holds a cell longer than any line DuckDB reads (or a loose quote)
        yield _Record(number + 1, row + 1 if number >= above else None, 0, None)


def _wider_row(path: Path, delim: str, above: int, width: int = 0) -> tuple[_Record, int] | None:
    """The first row wider than the line above the rows (the header), or than ``width`` fields (the
    names --columns gives a file without a header), and that width."""
    for record in _scan(path, delim, above):
        if record.cells is None:
            return None
        if record.number == above and not width:
            width = len(record.cells)
        elif record.row and width and len(record.cells) > width:
            return record, width
    return None


def _long_row(path: Path, delim: str, above: int, limit: int) -> int | None:
    """The row of the first record longer than ``limit`` bytes as written (its cells quoted), or
    whose cell the csv scan refuses as longer than :data:`_MAX_CELL`; DuckDB's error names line 1."""
    for record in _scan(path, delim, above):
        if record.row and (record.cells is None
                           or sum(len(c.encode()) + 3 + c.count('"') for c in record.cells) > limit):
            return record.row
    return None


def record_place(path: str | os.PathLike[str], number: int, delim: str = ",", above: int = 0) -> tuple[int, int | None]:
    """(the line of the UTF-8 CSV ``path`` on which the record DuckDB's errors number ``number``
    starts, that record's row: the first under the header row 1, as ingest counts, ``None`` above
    the rows), ``above`` records (titles, the header) over the rows: a line break inside a quoted
    cell makes DuckDB's count of records fall one short of the file's lines per break. ``(number,
    None)`` when the scan ends first (a file that is not UTF-8, a record the csv module refuses).

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text('id,note,amount\\na,"one\\ntwo",5\\nb,x,y\\n', encoding="utf-8")
    >>> record_place(path, 3, above=1)
    (4, 2)
    """
    quick = _line_place(Path(path), number, above)
    if quick is not None:
        return quick
    start = 1
    try:
        for record in _scan(Path(path), delim, above):
            if record.cells is None:
                break
            if record.number >= number:
                return start, record.row
            start = record.last + 1
    except (OSError, UnicodeDecodeError):
        pass
    return number, None


def _line_place(path: Path, number: int, above: int) -> tuple[int, int | None] | None:
    """:func:`record_place` where each record above record ``number`` is one line of the file (no
    quote above that line, one kind of line end): the record is that line, and its row the lines
    under the ``above`` records but the blank ones. Counted over the bytes (C speed; the csv
    module's scan reads 45 s a gigabyte); ``None`` where the scan must read the records (a quote or
    another line end above the record, or the file ends first)."""
    below = _lines_over(path, number - 1)
    if below is None or below[0] < number - 1:
        return None
    with path.open("rb") as fh:  # the record's own line: a blank one (or none, past the end) is no row
        fh.seek(below[2])
        own = fh.read(2)
    top = _lines_over(path, above)
    if below[3] == b"\r" and own.startswith(b"\n"):  # a CR, then an LF: one line end to the scan
        return None
    if number <= above or top is None or not own or own.startswith((b"\n", b"\r")):
        return number, None
    return number, number - above - (below[1] - top[1])


def _lines_over(path: Path, k: int) -> tuple[int, int, int, bytes] | None:
    """(line ends, blank lines, the offset after them, the line end) among the first ``k`` lines of ``path`` (fewer where it ends first),
    read in chunks cut after a line end; ``None`` where they hold a quote or a line end of another kind
    than the first line's (CR LF, LF, CR alone: a lone CR in a file of CR LF)."""
    import numpy as np

    lines = blanks = 0
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
        while not re.search(b"[\r\n].", head, re.DOTALL) and (more := fh.read(_CHUNK)):
            head += more  # to the byte after the first line end, which tells its kind
        rest = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
        offset = len(head) - len(rest)
        first = re.search(b"\r\n|\r|\n", rest)
        end = first.group() if first else b"\n"
        mark, stray = end[-1:], {b"\n": b"\r", b"\r": b"\n"}.get(end)
        carry = b""
        while rest and lines < k:
            rest, ahead = carry + rest, fh.read(_CHUNK)
            last = rest.rfind(mark)
            if last < 0:  # no line end yet: read on (at the end, a last line without one ends nothing)
                carry, rest = rest, ahead
                continue
            rest, carry = rest[:last + 1], rest[last + 1:]  # a piece cut after a line end: a CR LF whole
            n = rest.count(mark)
            if lines + n > k:  # the lines asked for end in this piece
                cut = int(np.flatnonzero(np.frombuffer(rest, np.uint8) == mark[0])[k - lines - 1]) + 1
                rest, n = rest[:cut], k - lines
            if b'"' in rest or (stray and stray in rest) or (
                    end == b"\r\n" and not rest.count(b"\r") == n == rest.count(b"\r\n")):
                return None
            blanks += _blank_lines(end + rest, end)  # the file's start (or the piece's) follows a line end
            lines += n
            offset += len(rest)
            rest = ahead
    return lines, blanks, offset, end


def _blank_lines(data: bytes, end: bytes) -> int:
    """How many line ends (``end``) of ``data`` follow a line end right away: its blank lines."""
    import numpy as np

    pattern = end[-1:] + end
    if pattern not in data:  # the common case: no blank line, no array
        return 0
    arr, k = np.frombuffer(data, np.uint8), len(pattern)
    hit = np.ones(len(arr) - k + 1, dtype=bool)
    for i, byte in enumerate(pattern):
        hit &= arr[i:len(arr) - k + 1 + i] == byte
    return int(hit.sum())


def _breaks_in_cells(path: Path, delim: str, above: int, header: bool, where: str) -> bool:
    """Whether a quoted cell of the UTF-8 CSV ``path`` holds a line break (a note or an address typed
    on two lines). A file without a quote character is not parsed; the others are, whole, with the
    csv module (C), so that a break far below any sample is found.

    A cell DuckDB opens after one space (``, "a<break>b"``) is read so by the csv module's
    ``skipinitialspace``, which opens one after two spaces too, where DuckDB reads a character: a file
    holding two spaces before a quote is read with the one space dropped (:func:`_spaces_dropped`) instead,
    whatever the first reading finds (``1,  "a,"b<break>c",2``: skipinitialspace pairs the quote after
    two spaces with the one that opens the cell, and finds no break).

    Raises :class:`InputError` for a quote opened and never closed (DuckDB's one-thread reader would
    drop the rest of the file silently), naming its row (``above`` records above the header) and line.
    """
    with path.open("rb") as fh:
        if not any(b'"' in chunk for chunk in iter(lambda: fh.read(_CHUNK), b"")):
            return False
    two = _holds(path, b'  "')  # skipinitialspace opens a cell there too, where DuckDB reads a character
    try:  # at C speed without such a quote; with one, a line holding a quote after one space is rewritten
        last = deque(enumerate(_records(path, delim, lead=two, spaces=not two)), maxlen=1)  # keeping the last
    except csv.Error:  # a cell longer than DuckDB reads: DuckDB's error names it
        return False
    count, (lines, cells) = last[0]
    if cells != [_END]:
        raise _open_quote(path, delim, above + header, where, lead=True)
    return lines > count + 1


def _holds(path: Path, text: bytes) -> bool:
    """Whether the file ``path`` holds ``text`` (read in chunks, a match across two found too)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if text in tail + chunk[:len(text) - 1] or text in chunk:
                return True
            tail = chunk[-(len(text) - 1):]
    return False


def _open_quote(path: Path, delim: str, above: int, where: str, lead: bool = False) -> InputError:
    """The error for the quote left open at the end of the file: its row and the line it opens on
    (``lead``: a quote after one space opening a cell)."""
    last = deque(_scan(path, delim, above, lead=lead), maxlen=1)[0]  # the record holding :data:`_END`, as
    # :func:`_breaks_in_cells` read it
    swallowed = last.cells[-1][:-len(_END)]  # the open cell after its quote, line breaks kept
    breaks = len(_BREAK.findall(swallowed))  # the _END item is a line of csv's count, glued or not
    line = last.last - breaks - (not _BREAK.search(swallowed[-1:] or "x"))
    return InputError(Phrase("err_open_quote", line=f"{line:,}"), file=where, row=last.row,
                      fix=Phrase("err_open_quote_fix", line=f"{line:,}"))


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


def source_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files an engine round's ``--source`` names: the file itself, else the files its glob
    matches, sorted (the order DuckDB reads them in). One reading for every check of the files
    (:func:`refuse_nul`, :func:`csv_read_options`): ``sales[1].csv`` is a file, not a pattern.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a[1].csv").write_text("x"); _ = (d / "b.csv").write_text("x")
    >>> [p.name for p in source_files(d / "a[1].csv")], [p.name for p in source_files(d / "*.csv")]
    (['a[1].csv'], ['a[1].csv', 'b.csv'])
    """
    import glob

    return [Path(path)] if Path(path).is_file() else [Path(f) for f in sorted(glob.glob(str(path), recursive=True))]


class CsvLayout(NamedTuple):
    """Where a CSV source's header is and how its quoted cells are written (:func:`checked_csv_layout`)."""

    titles: int  # the rows above the header that are not blank (titles: 销售明细表, 导出日期)
    delim: str  # the delimiter ingest finds (``,`` ``;`` ``\t`` ``|``; " ": runs of whitespace), the first file's
    breaks: bool  # a quoted cell holds a line break (a note typed with Alt+Enter)
    lead: bool  # a quote opens a cell after one space (``a, "b,c"``), as DuckDB and ingest read it


def csv_headers(path: str | os.PathLike[str], find_header: HeaderTest | None = None) -> list[tuple[Path, str, list[str]]]:
    """(file, delimiter, header cells as written) of each UTF-8 CSV file ``path`` names
    (:func:`source_files`), the header where ingest finds it (``find_header`` as its): what an
    engine round compares across the files of a glob, which its engine reads as one table. A file
    not in UTF-8 or without text is left out (its own check says so).

    Example
    -------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("id,ts,amount\\na,2025-01-01,5\\n"); _ = (d / "b.csv").write_text("ts;id\\n2025-01-01;b\\n")
    >>> [(f.name, delim, cells) for f, delim, cells in csv_headers(d / "*.csv")]
    [('a.csv', ',', ['id', 'ts', 'amount']), ('b.csv', ';', ['ts', 'id'])]
    """
    return [(file, delim, _cells(sample[at][2], delim)) for file, delim, sample, at in _headers_at(path, find_header)]


def _headers_at(path: str | os.PathLike[str], find_header: HeaderTest | None) -> Iterator[tuple[Path, str, list[tuple[int, int, str]], int]]:
    """(file, delimiter, sampled lines, the header's index among them) of each UTF-8 CSV file with
    text that ``path`` names, the header where ingest finds it; the others are left to their own checks."""
    for file in source_files(path):
        try:
            top = _head_lines(file)
        except (OSError, UnicodeDecodeError):
            continue
        if any(line.strip() for line in top):
            yield file, *_header_at(top, file.suffix.lower() == ".tsv", True, find_header)


class CsvScan(NamedTuple):
    """What one pass over a local CSV source finds (:func:`scan_csv_source`)."""

    quotes: bool  # a quote character anywhere
    lead: bool  # a quote opens a cell after one space (``a, "b,c"``), as DuckDB and ingest read it
    spaced: bool  # two spaces before a quote somewhere (``a,  "b,c"``: DuckDB and ingest read a character)
    breaks: bool | None  # a quoted cell holds a line break (``None``: not parsed)


_TWO_SPACES = b'  "'


def scan_csv_source(path: str | os.PathLike[str], delim: str = ",", above: int = 0, *,
                    parse: bool = True) -> CsvScan:
    """One pass over the local CSV ``path`` (``delim`` its delimiter, ``above`` records over its
    rows) before an engine reads it, in chunks of :data:`_CHUNK` bytes: a NUL byte refused as ingest
    refuses it (:func:`refuse_nul`'s words), and the quotes that tell the engine how to read it
    (:class:`CsvScan`). ``parse``: also the text decoded as UTF-8 (else :func:`not_utf8`'s refusal)
    and, from the line of the first quote on, its records read with the csv module, for a line break
    in a quoted cell (:func:`_breaks_in_cells`' answer and its refusal of a quote never closed): the
    work of :func:`refuse_nul`, :func:`refuse_not_utf8` and the layout's scans in one reading
    of the file, where they read it up to six times. A file holding two spaces before a quote (rare:
    the csv module reads a quoted cell there, DuckDB a character) is scanned again by
    :func:`_breaks_in_cells` itself; an error is worded by the function whose check it is (which
    reads the file again, only then).

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b'id,ts,amount,note\\na,2025-01-01,5, "x\\ny"\\n')
    >>> scan_csv_source(p, ",", 1)
    CsvScan(quotes=True, lead=True, spaced=False, breaks=True)
    >>> scan_csv_source(p, ",", 1, parse=False).breaks is None
    True
    """
    path = Path(path)
    mark = re.compile(b"[\\r\\n" + re.escape(delim.encode()) + b'] "')  # a quote after one space at a cell's start
    found = {"quotes": False, "lead": False, "spaced": False}

    state = {"seen": 0, "tail": b"\n"}  # the file's start, as a line's

    def watch(chunk: bytes) -> None:  # each block of bytes as it is read, at C speed
        if not state["seen"] and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            refuse_not_utf8(path)  # UTF-16, said so
        if b"\x00" in chunk:
            refuse_nul(path)
        joined = state["tail"] + chunk
        found["quotes"] = found["quotes"] or b'"' in chunk
        found["lead"] = found["lead"] or bool(mark.search(joined))
        found["spaced"] = found["spaced"] or _TWO_SPACES in joined
        state["seen"], state["tail"] = state["seen"] + len(chunk), joined[-2:]

    if not parse:
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                watch(chunk)
        return CsvScan(**found, breaks=None)
    with _CSV_LIMIT, io.TextIOWrapper(io.BufferedReader(_Watched(path, watch), _CHUNK), encoding="utf-8-sig",
                                      newline="") as fh:
        limit = csv.field_size_limit(_MAX_CELL)
        try:
            lines = _from_first_quote(fh) if delim != " " else None  # whitespace-delimited: no quoted cell
            if lines is None:
                for _ in iter(lambda: fh.read(_CHUNK), ""):  # decoded to its end
                    pass
                return CsvScan(**found, breaks=False)
            reader = csv.reader(itertools.chain(lines, [_END]), delimiter=delim, skipinitialspace=True)
            last = deque(enumerate(reader), maxlen=1)
        except csv.Error:  # a cell longer than DuckDB reads: DuckDB's error names it; the rest checked all the same
            for _ in iter(lambda: fh.read(_CHUNK), ""):
                pass
            return CsvScan(**found, breaks=False)
        except UnicodeDecodeError:
            refuse_nul(path)  # a NUL further down is said first, as the checks one by one said it
            refuse_not_utf8(path)
            raise
        finally:
            csv.field_size_limit(limit)
    if found["spaced"] or last[0][1] != [_END]:  # read as DuckDB reads it, or the open quote named
        return CsvScan(**found, breaks=_breaks_in_cells(path, delim, above, False, str(path)))
    count, _ = last[0]
    return CsvScan(**found, breaks=reader.line_num > count + 1)


def checked_csv_layout(path: str | os.PathLike[str], find_header: HeaderTest | None = None) -> CsvLayout:
    """:class:`CsvLayout` of the UTF-8 CSV files ``path`` names (:func:`source_files`; the most
    titles, a break or a quote after a space in any of them; the header where ingest finds it,
    ``find_header`` as its), each checked in the same pass (:func:`scan_csv_source`: a NUL byte, text
    not UTF-8, a quote never closed, refused in their checks' words), for Spark's round, which must
    be told what DuckDB and ingest find themselves (``multiLine``, ``ignoreLeadingWhiteSpace``, a
    header under titles it cannot skip); and a cell that opens with two spaces before a quote refused
    where Spark cannot read it as DuckDB does (:func:`refuse_spaced_quote`).

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_bytes(b'id,ts,amount,note\\na,2025-01-01,5,"x\\ny"\\n')
    >>> checked_csv_layout(path)
    CsvLayout(titles=0, delim=',', breaks=True, lead=False)
    >>> _ = path.write_bytes(b'Sales 2025\\n\\nid,ts,amount,note\\na,2025-01-01,5, "x,y"\\n')
    >>> checked_csv_layout(path, lambda cells: "id" in cells)
    CsvLayout(titles=1, delim=',', breaks=False, lead=True)
    """
    titles, delims, breaks, lead = 0, [], False, False
    for file in source_files(path):
        try:
            top = _head_lines(file)
        except (OSError, UnicodeDecodeError):
            top = []
        if not any(line.strip() for line in top):
            scan_csv_source(file)  # not UTF-8, or no text: its refusal, if any
            continue
        delim, sample, at = _header_at(top, file.suffix.lower() == ".tsv", True, find_header)
        titles = max(titles, at)  # _sample_lines leaves blank lines out
        delims.append(delim)
        scanned = scan_csv_source(file, delim, sample[at][1] + 1)
        breaks, lead = breaks or bool(scanned.breaks), lead or scanned.lead
        if scanned.spaced:
            refuse_spaced_quote(file, delim, sample[at][1] + 1, told=scanned.lead)
    return CsvLayout(titles, delims[0] if delims else ",", breaks, lead)


_SPACED_QUOTE = re.compile(' {2,}"')


def refuse_spaced_quote(path: str | os.PathLike[str], delim: str, above: int, *, told: bool) -> None:
    """Refuse the CSV ``path`` where a cell, as DuckDB and ingest read it, opens with two spaces or
    more before a quote (``a,  "b,c",5``: a character there, so the cell ends at the next delimiter,
    ``  "b``) and Spark would read it otherwise: ``told`` (Spark is told ``ignoreLeadingWhiteSpace``
    for a quote after one space elsewhere in the file, and then reads ``b,c``), or its row has more
    cells than the header (Spark drops the cells past the header, silently). Named by its line,
    row, column and text, with the fix. (A quoted cell whose text starts so, written with its
    quotes doubled, is taken for one too: rare, and refused with the same fix.)"""
    path = Path(path)
    start, header = 1, []
    for record in _scan(path, delim, above):
        if record.cells is None:
            return
        if record.number == above:
            header = record.cells
        elif record.row:
            at = next((i for i, c in enumerate(record.cells) if _SPACED_QUOTE.match(c)), None)
            if at is not None and (told or len(record.cells) > len(header)):
                raise InputError(Phrase("err_csv_spaced_quote", line=f"{start:,}",
                                        value=quoted(record.cells[at][:60])),
                                 file=str(path), row=record.row, column=header[at] if at < len(header) else None,
                                 fix=Phrase("err_csv_spaced_quote_fix"))
        start = record.last + 1


class _Watched(io.RawIOBase):
    """The bytes of a file, each block handed to ``watch`` as it is read (:func:`scan_csv_source`)."""

    def __init__(self, path: Path, watch: Callable[[bytes], None]) -> None:
        super().__init__()
        self._fh, self._watch = path.open("rb"), watch

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._fh.readinto(buffer)
        if n:
            self._watch(bytes(memoryview(buffer)[:n]))
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _from_first_quote(fh: io.TextIOBase) -> Iterator[str] | None:
    """The lines of the text file ``fh`` (opened with ``newline=""``), their ends kept, from the line
    that holds its first quote on (above it no quoted cell opens): read in chunks until a quote is
    found, the lines after that chunk from the file itself; ``None``, the file read to its end, for a
    file without a quote."""
    carry = ""
    while text := fh.read(_CHUNK):
        text = carry + text
        at = text.find('"')
        if at >= 0:
            piece = text[max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1:]
            return itertools.chain(io.StringIO(piece + fh.readline(), newline="").readlines(), fh)
        carry = text[max(text.rfind("\n"), text.rfind("\r")) + 1:]
    return None


def not_utf8(path: str | os.PathLike[str]) -> InputError | None:
    """The refusal of the CSV at ``path`` where it is not UTF-8 text (a BOM allowed), ``None`` where it
    is: its first byte that is not, that byte's line, and the line's text where it reads as Chinese
    GBK/GB18030 (Chinese Excel's and ERPs' plain CSV) or Big5 (:func:`line_encoding`). UTF-8 text above the bad
    byte, as much as makes ingest call a file UTF-8 (:data:`_UTF8_TEXT`), is a UTF-8 file cut short or
    holding a byte from elsewhere, and a whole line of UTF-8 Chinese above it a UTF-8 file with a line
    from elsewhere (ingest's words, :func:`mixed_encoding`): converted from GB18030, as the GBK words
    ask, either would be garbled. A UTF-16 file (its byte order mark) is said to be one. An engine round reads its ``--source`` as UTF-8 (DuckDB stops at the first bad byte with
    its own words, Spark reads GBK as garbled names, two customers' garbled ids one), where ingest
    reads GBK and UTF-16 itself. Read in chunks: the bad byte may lie gigabytes down.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("customer_id,ts,amount\\n张三,2025-01-01,5\\n".encode("gbk"))
    >>> said = not_utf8(p).render("en")
    >>> "is GBK/GB18030 text" in said, "(line 2 of the file, read so: '张三,2025-01-01,5')" in said
    (True, True)
    >>> _ = p.write_bytes("customer_id,ts,amount\\n张三,2025-01-01,5\\n".encode())
    >>> not_utf8(p) is None
    True
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen = breaks = start = 0
    offset: int | None = None
    multibyte = 0  # the bytes past one per character read as UTF-8 above the bad byte (ingest's count)
    wide: tuple[int, str] | None = None  # the first line with UTF-8 text of three bytes a character, and its text
    end, nl = b"\n", "\n"  # a line's end: CR in a file of old Mac line ends (:func:`_ends_with`)
    with Path(path).open("rb") as fh:
        while offset is None:
            chunk = fh.read(_CHUNK)
            if not seen and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return InputError(Phrase("err_source_utf16"), file=str(path), fix=Phrase("err_source_utf16_fix"))
            if not seen:
                end = _ends_with(chunk)
                nl = end.decode()
            held = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
                multibyte += held + len(chunk) - len(text)
            except UnicodeDecodeError as exc:
                at = exc.start - (len(exc.object) - len(chunk))  # the bytes the decoder held come first
                text = exc.object[:exc.start].decode("utf-8")
                chunk, offset = chunk[:max(at, 0)], seen + at
                multibyte += len(chunk) - len(chunk.decode("utf-8", "ignore"))
            else:
                if not chunk:
                    return None
            multibyte -= len(decoder.getstate()[0])  # held for the next chunk: counted with it
            if wide is None and (m := re.search("[\u0800-\U0010ffff]", text)):
                wide = (breaks + text.count(nl, 0, m.start()) + 1,
                        text[text.rfind(nl, 0, m.start()) + 1:].split(nl, 1)[0].rstrip("\r"))
            breaks += chunk.count(end)
            if end in chunk:
                start = seen + chunk.rfind(end) + 1
            seen += len(chunk)
        fh.seek(start)
        below = _file_lines(fh, end)
        raw = next(below, b"").rstrip(b"\r\n")
        more = [line for line in itertools.islice(below, 10 * _LINES_TO_TELL)  # Big5 or GBK: told over more text
                if not line.isascii() and not _decodes(line, "utf-8")][:_LINES_TO_TELL]
    line = breaks + 1
    if multibyte >= _UTF8_TEXT:  # UTF-8 text cut short or with a byte of another encoding: converting it all would garble it
        return InputError(Phrase("err_source_utf8_damaged", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_utf8_damaged_fix", line=f"{line:,}"))
    if wide is not None and wide[0] < line:  # a whole line of UTF-8 Chinese above (not the bad line's start)
        return mixed_encoding(Path(path), wide[0], wide[1], line)
    kind, text = line_encoding(raw)
    if kind in ("gbk", "big5") and more:  # the lines below (not UTF-8) tell them apart where one line cannot
        told = line_encoding(b"\n".join([raw, *more]))[0]
        kind, text = (told, raw.decode(_BIG5 if told == "big5" else "gb18030", "replace")) \
            if told in ("gbk", "big5") else (kind, text)
    if kind == "utf-8":  # UTF-8 Chinese on the bad line itself, too little above it for the count
        return InputError(Phrase("err_source_utf8_damaged", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_utf8_damaged_fix", line=f"{line:,}"))
    if kind == "big5":
        return InputError(Phrase("err_source_big5", line=f"{line:,}", text=quoted(text[:60])), file=str(path),
                          fix=Phrase("err_source_big5_fix"))
    if kind is None:
        return InputError(Phrase("err_source_not_utf8", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_not_utf8_other_fix"))
    return InputError(Phrase("err_source_gbk", line=f"{line:,}", text=quoted(text[:60])), file=str(path),
                      fix=Phrase("err_source_not_utf8_fix"))


def _cjk(text: str) -> int:
    """How many characters of ``text`` are Chinese ideographs (CJK Unified, U+4E00–U+9FFF)."""
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def _pairs(raw: bytes) -> tuple[int, int, int, int]:
    """Counts over the two-byte characters of ``raw`` as GBK and Big5 both write them (a lead from
    0x81, then a byte; GB18030's four bytes apart): (GB2312's hanzi and symbols, every common GBK
    character: both bytes from 0xA1 up, a lead to 0xA9 a symbol; or four bytes), (Big5's level-1
    hanzi, every common Big5 character: a lead 0xA4–0xC6), (those of Big5's level 1 that are no
    GB2312 character: a lead 0xAA–0xAF, GBK's unassigned rows, or a second byte below 0xA1, a rare
    GBK character; not a lead 0xA4–0xA9 after 0xA0, GBK's Greek, kana, pinyin ü and box lines, which
    a GBK file writes beside its hanzi as Big5 writes hanzi there), (GB2312
    hanzi that are no Big5 level-1 hanzi: a lead 0xC7 and up, Big5's rare level 2)."""
    gbk = big5 = only_big5 = only_gbk = 0
    i, n = 0, len(raw)
    while i < n:
        lead = raw[i]
        if lead < 0x81 or i + 1 >= n:
            i += 1
            continue
        if 0x30 <= raw[i + 1] <= 0x39 and i + 3 < n:  # GB18030's four bytes
            gbk, i = gbk + 1, i + 4
            continue
        trail = raw[i + 1]
        common_gbk = 0xB0 <= lead <= 0xF7 and trail >= 0xA1
        symbol = (lead == 0xA6 and trail >= 0xA1) or (lead == 0xA8 and 0xA1 <= trail <= 0xC0)  # GBK's Greek, pinyin
        common_big5 = 0xA4 <= lead <= 0xC6 and (0x40 <= trail <= 0x7E or trail >= 0xA1)
        gbk += common_gbk or symbol
        big5 += common_big5
        only_big5 += common_big5 and not common_gbk and not symbol
        only_gbk += common_gbk and not common_big5
        i += 2
    return gbk, big5, only_big5, only_gbk


def _single_byte(raw: bytes) -> bool:
    """Whether ``raw`` reads as single-byte text (Latin-1's ``25°C``, ``Ångström``) rather than
    Chinese: each byte from 0x80 stands alone between ASCII bytes but the one after it, an ASCII
    letter or sign that Big5 would take as a hanzi's second byte (``°C`` is 0xB0 0x43, Big5's 蚓).
    Chinese text writes two characters together or one with two high bytes (GB18030's four too);
    a lone Big5 hanzi whose second byte is ASCII between ASCII cells is the one text taken so."""
    i, n, after = 0, len(raw), -1  # after: where the last character read as two bytes ended
    while i < n:
        if raw[i] < 0x80:
            i += 1
            continue
        if i + 1 < n and (raw[i + 1] >= 0x80 or raw[i + 1] in b"0123456789" or after == i):
            return False
        i, after = i + 2, i + 2
    return True


#: Big5 as Hong Kong writes it too (HKSCS: 嘅, 咗, 邨), which Python's ``big5`` refuses: a Hong Kong
#: file so read as no Big5 was GBK, and ingest loaded it garbled. (Tried after ``big5``, which reads
#: a few codes, as 0xC6A1 up, that this one does not.)
_BIG5 = "big5hkscs"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def line_encoding(raw: bytes) -> tuple[str | None, str]:
    """The encoding the Chinese text of ``raw`` (a line, or lines, not all UTF-8) is written in, and
    the text read so: ``"utf-8"`` (UTF-8 Chinese with a byte cut short or from elsewhere), ``"gbk"``
    (GBK/GB18030, Simplified Chinese as Chinese Excel and ERPs save a CSV) or ``"big5"`` (Traditional
    Chinese, as Excel in Taiwan and Hong Kong saves one); ``(None, "")`` where no reading gives
    common Chinese characters (Latin-1 ``Müller``, Shift-JIS). UTF-8 wins where its reading holds as
    many ideographs as the others hold common characters (a tie's fix garbles nothing). Between GBK
    and Big5 (:func:`_pairs`), Big5 where more of its characters are common Big5 ones that GBK would
    read as kana or rare characters than the other way round (Big5's 王記 is 0xA4FD 0xB04F); a line
    whose every character is common in both (北京 is 0xB1B1 0xBEA9 in GBK, two level-1 hanzi to Big5)
    is GBK, the encoding of most Chinese CSV files.

    Example
    -------
    >>> line_encoding("王记客户资料".encode("gbk")), line_encoding("王記客戶資料".encode("big5"))
    (('gbk', '王记客户资料'), ('big5', '王記客戶資料'))
    >>> line_encoding("客户王记".encode()[:-1])[0], line_encoding("Müller".encode("latin-1"))
    ('utf-8', (None, ''))
    """
    if _single_byte(raw):  # Latin-1's 25°C, Ångström: no Chinese, whatever Big5 makes of it
        return None, ""
    utf8 = raw.decode("utf-8", "replace")
    gbk, big5, only_big5, only_gbk = _pairs(raw)
    big5_codec = next((c for c in ("big5", _BIG5) if _decodes(raw, c)), None)  # plain Big5 first
    is_gbk, is_big5 = gbk and _decodes(raw, "gb18030"), big5 and big5_codec is not None
    if (ideographs := _cjk(utf8)) and ideographs >= max(gbk if is_gbk else 0, big5 if is_big5 else 0):
        return "utf-8", utf8
    if is_big5 and (only_big5 > only_gbk or not is_gbk):
        return "big5", raw.decode(big5_codec or _BIG5)
    if is_gbk:
        return "gbk", raw.decode("gb18030")
    return None, ""


def refuse_not_utf8(path: str | os.PathLike[str]) -> None:
    """Raise :func:`not_utf8`'s refusal of the CSV at ``path``, if any: Spark's round checks each
    local file of its ``--source`` so before reading it (Spark reads GBK as garbled text; DuckDB
    stops at the bad byte itself, said by ``rounds.engine.csv_read_refused``)."""
    if (refusal := not_utf8(path)) is not None:
        raise refusal


def csv_read_options(path: str | os.PathLike[str], find_header: HeaderTest | None = None) -> dict[str, Any]:
    """The ``read_csv`` options with which DuckDB reads the UTF-8 CSV ``path`` (an engine round's
    ``--source``; a glob: its first file's, every file's header on the same line, as DuckDB reads them
    all with one ``skip``, else :class:`InputError` naming the file apart) as :func:`stage` reads it: the
    header where ingest finds it (``find_header`` as its), the records above it (title lines,
    blank lines) skipped, and :func:`_line_end` of the header's record. ``{}`` for a file not in
    UTF-8 or without a line of text (DuckDB's own reading, and its error).

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("销售明细,,\\n\\n会员卡号,消费时间,实收金额\\nA1,2024-01-02,10\\n", encoding="utf-8")
    >>> csv_read_options(path), csv_read_options(path, lambda cells: False)
    ({'header': True, 'skip': 0}, {'header': True, 'skip': 2})
    >>> _ = path.write_bytes(b'id,"qty\\n(pcs)",amount\\r\\nA1,2,10\\r\\n')
    >>> csv_read_options(path)
    {'header': True, 'skip': 0, 'new_line': '\\\\r\\\\n'}
    """
    files = source_files(path)
    told, line = _file_read_options(files[0], find_header) if files else ({}, 0)
    for other in files[1:]:  # DuckDB reads each file with these options: a header elsewhere lost its rows
        apart, other_line = _file_read_options(other, find_header)
        if apart and told and apart["skip"] != told["skip"]:
            raise InputError(Phrase("err_source_headers_apart", first=shown(files[0]), line=f"{line:,}",
                                    other=shown(other), other_line=f"{other_line:,}"),
                             file=str(other), fix=Phrase("err_source_headers_apart_fix"))
    return told


def _file_read_options(path: Path, find_header: HeaderTest | None) -> tuple[dict[str, Any], int]:
    """(:func:`csv_read_options` of the one file ``path``, the line of its header, from 1)."""
    try:
        top = _head_lines(path)
    except (OSError, UnicodeDecodeError):
        return {}, 0
    if not any(line.strip() for line in top):
        return {}, 0
    delim, sample, at = _header_at(top, path.suffix.lower() == ".tsv", True, find_header)
    line, records, record = sample[at]
    # a quoted title over two lines (Alt+Enter): DuckDB counts skip in records where it reads
    # quotes, in lines where its sniffer chose none (a quote in a title alone, thousands of rows under it)
    quoted = {"quote": '"'} if line != records else {}
    return {"header": True, "skip": records, **quoted, **_ends_told(top, line, records, record, path, delim)}, line + 1


def _read_delimited(con: duckdb.DuckDBPyConnection, table: str, path: Path, delim: str, records: int,
                    header: bool, columns: list[str] | None, one: bool, tz: str | None,
                    where: str, ends: dict[str, str] | None = None) -> tuple[list[str], int]:
    """(column names, rows) of the delimited UTF-8 file ``path`` staged as ``table``, ``records``
    records (titles, blank lines) skipped above the header; ``one``: a quoted cell holds a line break;
    ``ends``: the line end told (:func:`_line_end`)."""
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


_ENDS = {"\r\n": "CR LF", "\n": "LF", "\r": "CR"}


def _mixed_ends(path: Path, delim: str) -> tuple[tuple[int, str], tuple[int, str]] | None:
    """((line, end), (line, end)) of the first record end of the UTF-8 CSV ``path`` and the first one ending
    otherwise (CR LF, LF or CR), line breaks inside quoted cells aside: DuckDB reads a file whose
    records all end alike. None when they do."""
    first: tuple[int, str] | None = None
    inside = False
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            inside = _open_at_end(line, inside, delim)
            end = line[len(line.rstrip("\r\n")):]
            if inside or not end:
                continue
            if first is None:
                first = number, end
            elif end != first[1]:
                return (first[0], _ENDS[first[1]]), (number, _ENDS[end])
    return None


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
        record, width = wider  # DuckDB stops counting fields one past the header: the scan counts them all
        cells = record.cells or []
        if not any(c.strip() for c in cells[width:]):  # a;b;c; : delimiters at the end, nothing after them
            extra = len(cells) - width
            key = "err_csv_fields_trailing" + ("_columns" if names else "") + ("_one" if extra == 1 else "")
            return InputError(Phrase(key, expected=width, found=len(cells), extra=extra), file=where,
                              row=record.row, fix=Phrase("err_csv_fields_trailing_fix"))
        return InputError(Phrase("err_csv_fields_columns" if names else "err_csv_fields", expected=width,
                                 found=len(cells)), file=where, row=record.row, fix=Phrase("err_csv_fields_fix"))
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
            (one, expected), (other, found) = mixed
            row = next((r.row for r in _scan(path, delim, above) if r.last >= other), None)
            return InputError(Phrase("err_csv_line_ends", first=f"{one + lines:,}", expected=expected,
                                     line=f"{other + lines:,}", found=found), file=where, row=row,
                              fix=Phrase("err_csv_line_ends_fix", line=f"{other + lines:,}"))
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
            raise InputError(f"the workbook has {len(names)} sheets, not {sheet}", file=where,
                             fix=f"Give a sheet name ({', '.join(map(shown, names))}), a number from 1, or all.")
        return index
    if sheet in names:
        return names.index(sheet)
    raise InputError(f"the workbook has no sheet {sheet!r}", file=where,
                     fix=f"Sheets: {', '.join(map(shown, names))} (or --sheet all).")


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
        raise InputError(
            "old Excel .xls workbooks need the xlrd package, which is not installed",
            file=str(path),
            fix="pip install xlrd, or open the file in Excel or WPS and use Save As > Excel Workbook "
            "(.xlsx) or CSV UTF-8 (without either: soffice --headless --convert-to xlsx FILE.xls).",
        ) from None
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
        raise InputError(f"the sheet {shown(title)} is empty", file=where,
                         fix="Put the data on the first sheet, or name the sheet with --sheet.")
    if header_row is not None:
        first = next((i for i, (n, _) in enumerate(rows) if n == header_row), -1)
        if first < 0:
            raise InputError(f"--header-row {header_row}: row {header_row} of sheet {shown(title)} is empty or "
                             "past the last row", file=where,
                             fix="Give the number Excel shows left of the row that holds the column names.")
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
    raise InputError(
        f"cannot ingest a {type(source).__name__}",
        fix="Pass a file path, a folder, or a pandas/polars DataFrame or an Arrow table.",
    )


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
        raise InputError(f"--header-row {header_row} is not a line number",
                         fix="Count lines from 1 at the top of the file.")
    if not isinstance(source, (str, os.PathLike)):
        arrow = _to_arrow(source)
        if arrow.num_columns == 0 or arrow.num_rows == 0:
            raise InputError("the table is empty", file="<table>", fix="Pass a table with rows and columns.")
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
            raise InputError(
                f"not a Parquet table: {str(exc).splitlines()[0]}",
                file=str(path),
                fix="Write the file again with pandas/pyarrow/polars, or export it as CSV.",
            ) from None
        staged = Staged(str(path), digest, "parquet", names, rows, header=_parquet_header(path, names))
    elif suffix == ".et":
        raise InputError(
            "WPS .et workbooks are not read",
            file=str(path),
            fix="Open it in WPS and use Save As > Excel Workbook (.xlsx) or CSV UTF-8, then ingest that.",
        )
    else:
        raise InputError(
            f"unknown file type {suffix or '(no extension)'!r}",
            file=str(path),
            fix=f"Give a file ending in {', '.join(SUFFIXES)}.",
        )
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

