"""A delimited text file's lines read as cells: where a quote opens a cell (only at a cell's start,
or after one space, as DuckDB reads it), the cells of a line, and the delimiter sniffed from the
first lines (comma, tab, semicolon, bar, or runs of whitespace). Nothing here opens a file: the
lines are given.

Example
-------
>>> sniff_delimiter(["客户;日期;金额", "K1;2025-01-01;1,5"])
';'
>>> _cells('K1, "1,5",12"', ",")
['K1', '1,5', '12"']
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

_DELIMS = (",", "\t", ";", "|")


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


def _cells(line: str, delim: str) -> list[str]:
    if delim == " ":
        return line.split()
    try:
        return next(csv.reader(_as_duckdb([line], delim), delimiter=delim), [])
    except csv.Error:  # a line break outside quotes as this delimiter cuts the cells: not its cells
        return [line]


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
