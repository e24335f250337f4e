"""The records of a UTF-8 CSV file, read whole with the csv module as DuckDB reads them: a record is
a line, or several where a quoted cell holds a line break. Numbered as DuckDB's errors number them
and as the staged table numbers its rows (:func:`_scan`), so that an error names the line of the file
and the row (:func:`record_place`, the first row wider than the header, the first record too long);
a quote never closed (:func:`_open_quote`), a line break in a quoted cell (:func:`_breaks_in_cells`)
and the records' line ends (:func:`_line_end`, :func:`_mixed_ends`) are found over the whole file.

Example
-------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text('id,note,amount\\na,"one\\ntwo",5\\nb,x,y\\n', encoding="utf-8")
>>> [(r.number, r.row, r.last) for r in _scan(path, ",", 1)]
[(1, None, 1), (2, 1, 3), (3, 2, 4)]
>>> record_place(path, 3, above=1)
(4, 2)
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from xuanba.errors import InputError, Phrase
from xuanba.ingest.delimiters import _BREAK, _open_at_end, _spaces_dropped
from xuanba.ingest.encodings import _CHUNK

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
        lines = _spaces_dropped(fh, delim) if lead else fh  # :func:`xuanba.ingest.delimiters._as_duckdb`'s cells, at regex speed
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
    row: int | None  # the data row (the staged table's :data:`xuanba.ingest.read.ROW`); None above the rows and for a blank line
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
