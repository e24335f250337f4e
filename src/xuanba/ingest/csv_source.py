"""The checks of a CSV source that an engine round reads itself (``xuanba round --source sales.csv``),
so that it reads what ingest reads or says why not: its files (:func:`source_files`: a file, or a
glob's), the ``read_csv`` options with which DuckDB reads it as ingest does (:func:`csv_read_options`:
the header under title lines, the line end), the headers of a glob's files (:func:`csv_headers`),
and for Spark one pass over each file (:func:`scan_csv_source`, :func:`checked_csv_layout`): a NUL
byte, text not UTF-8 and a quote never closed refused in ingest's words, a line break in a quoted
cell and a quote after a space told to the engine, two spaces before a quote refused
(:func:`refuse_spaced_quote`).

Example
-------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("销售明细,,\\n\\n会员卡号,消费时间,实收金额\\nA1,2024-01-02,10\\n", encoding="utf-8")
>>> csv_read_options(path, lambda cells: "会员卡号" in cells)
{'header': True, 'skip': 2}
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from xuanba.errors import InputError, Phrase, quoted, shown
from xuanba.ingest.csv_records import (
    _CSV_LIMIT,
    _END,
    _MAX_CELL,
    _breaks_in_cells,
    _ends_told,
    _scan,
)
from xuanba.ingest.delimiters import _cells
from xuanba.ingest.encodings import _CHUNK, refuse_not_utf8, refuse_nul
from xuanba.ingest.read import HeaderTest, _head_lines, _header_at


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
    (:class:`CsvScan`). ``parse``: also the text decoded as UTF-8 (else :func:`xuanba.ingest.encodings.not_utf8`'s refusal)
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


def csv_read_options(path: str | os.PathLike[str], find_header: HeaderTest | None = None) -> dict[str, Any]:
    """The ``read_csv`` options with which DuckDB reads the UTF-8 CSV ``path`` (an engine round's
    ``--source``; a glob: its first file's, every file's header on the same line, as DuckDB reads them
    all with one ``skip``, else :class:`InputError` naming the file apart) as :func:`xuanba.ingest.read.stage` reads it: the
    header where ingest finds it (``find_header`` as its), the records above it (title lines,
    blank lines) skipped, and :func:`xuanba.ingest.csv_records._line_end` of the header's record. ``{}`` for a file not in
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
