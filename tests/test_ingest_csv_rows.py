"""The row and line a refused CSV file's error names, for any file: checked against a brute-force
account of its records by Python's csv module (the whole file parsed at once; the line a quote left
open opens on found by parsing ever shorter prefixes), not by ingest's own scan.

Files have title lines above the header, blank lines, ``\\n``, ``\\r\\n`` or ``\\r`` line ends, quoted
cells with line breaks, unquoted quotes (``12"``, ``x"y``), comma or semicolon delimiters, UTF-8 (with
or without a BOM) or GBK, and one fault: a row wider than the header, a line longer than DuckDB
reads, a quote closed and followed by text, or a quote never closed; the fault lies within DuckDB's
sniffing sample or far below it. The ``@example`` files are those 6a3d048 got wrong.
"""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from xuanba import InputError
from xuanba.ingest.read import stage

HEADER = ["id", "x", "y", "z"]
SENTINEL = "\ue001end"
# cells as written in the file, {d} the delimiter: plain, unquoted quotes, quoted with breaks
CELLS = ["a", "b c", "客户", 'x"y', '12"', "", '"a{n}b"', '"say ""hi""{n}ok"', '"1{d}5"', '"{n}{n}"', '"q"',
         'a{o}"b',  # {o} the other delimiter: a quote after it is a character
         '"s"  ',  # spaces after a closing quote: DuckDB reads the cell (s), no loose quote
         ' "1{d}5"',  # one space before a quote: DuckDB reads a quoted cell (1{d}5), as csv's skipinitialspace
         ' "a{n}b"']  # and one holding a line break: 7dd5749 chose the parallel reader, which refused it
TITLES = ["Sales report", "", 'Report "Q3 2026', '"Two{n}lines"{d}', 'Q3{d}"b{d} c"', "销售明细表",
          'a{d}"b" c']  # a quote closed and more text after it: DuckDB's sniffer cannot parse it
PAD = 25_000  # plain rows: past DuckDB's sniffing sample (20,480 rows)
PAD_MARK, LONG_MARK = "<25,000 plain rows>", "<2.2 MB of y>"  # expanded by _text (short examples)


def _find_header(cells: list[str]) -> bool:
    return list(cells[:1]) == ["id"]


@st.composite
def files(draw: st.DrawFn, fault: str) -> tuple[str, str, int]:
    """(text, encoding, index of the fault's record among the data records) of a file with ``fault``."""
    d = draw(st.sampled_from([",", ";"]))
    n = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    o = ";" if d == "," else ","
    titles = [t.format(d=d, n=n) for t in draw(st.lists(st.sampled_from(TITLES), max_size=3))]
    rows = [d.join([f"k{i}", *(c.format(d=d, n=n, o=o) for c in draw(st.lists(st.sampled_from(CELLS), min_size=3,
                                                                          max_size=3)))])
            for i in range(draw(st.integers(1, 6)))]
    at = len(rows) if fault == "open" else draw(st.integers(0, len(rows)))  # nothing below closes the quote
    if draw(st.booleans()) and fault != "long":
        rows.insert(at, PAD_MARK)
        at += 1
    bad = {"wide": d.join(["w", "1", "2", "3", *draw(st.lists(st.sampled_from(["4", '"5"', "6"]), min_size=1,
                                                                 max_size=2))]),
           "long": d.join(["L", "1", "2", draw(st.sampled_from([LONG_MARK, f'"{LONG_MARK}"']))]),
           "loose": d.join(["q", draw(st.sampled_from(['"b" c', '"b"c', '"a{n}b" c'])).format(n=n), "1", "2"]),
           "open": d.join(["o", draw(st.sampled_from(['"a{n}b"', "c"])).format(n=n), '"never',
                           draw(st.sampled_from(["closed", f"closed{n}more{d}1{d}2"]))])}[fault]
    rows.insert(at, bad)
    if fault != "open":
        rows += [f"t{d}1{d}2{d}3"]
    lines = [*titles, d.join(HEADER), *rows]
    for _ in range(draw(st.integers(0, 3))):  # blank lines anywhere under the first line
        lines.insert(draw(st.integers(1, len(lines))), "")
    text = n.join(lines) + (n if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return text, encoding, at


def _text(short: str) -> str:
    d, n = _delimiter(short), next(nl for nl in ("\r\n", "\r", "\n") if nl in short)
    return short.replace(PAD_MARK, n.join(f"p{i}{d}p{d}p{d}p" for i in range(PAD))).replace(LONG_MARK, "y" * 2_200_000)


def _parse(text: str, delimiter: str | None = None) -> list[list[str]]:
    limit = csv.field_size_limit(1 << 30)  # a long line's cell
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(text),
                               skipinitialspace=True))
    finally:
        csv.field_size_limit(limit)


def _delimiter(text: str) -> str:
    return ";" if "id;x;y;z" in text else ","


def _open_at_end(prefix: str, delimiter: str | None = None) -> bool:
    """Whether a quoted cell is still open at the end of ``prefix`` (a sentinel line joins it)."""
    return _parse(prefix + "\n" + SENTINEL, delimiter)[-1] != [SENTINEL]


def _records_and_last_start(text: str) -> tuple[list[list[str]], int]:
    """The file's records by the csv module, and where its last record begins: the characters of
    the lines the module had read when it gave the record before."""
    lines = io.StringIO(text, newline="")
    read = [0]

    def counted():  # noqa: ANN202
        for line in lines:
            read[0] += len(line)
            yield line

    limit = csv.field_size_limit(1 << 30)  # a long line's cell
    try:
        records, ends = [], []
        for record in csv.reader(counted(), delimiter=_delimiter(text), skipinitialspace=True):
            records.append(record)
            ends.append(read[0])
    finally:
        csv.field_size_limit(limit)
    return records, (ends[-2] if len(ends) > 1 else 0)


def _reference(text: str) -> tuple[list[list[str]], int | None, int | None]:
    """(the records under the header, the index of the header record or None, the line of the file
    a quote never closed opens on or None), all by the csv module.

    A quote left open swallows the file's last record, and the csv module starts each record afresh:
    whether a prefix ending in that record leaves a quote open is whether the record's part of it
    does. So the prefixes are parsed from the last record's start, not the file's (the 25,000 rows
    above it were parsed again for each of some twenty prefixes)."""
    records, start = _records_and_last_start(text)
    d = _delimiter(text)
    opened = None
    if _open_at_end(text[start:], d):  # the quote after the longest prefix that ends outside a quoted cell
        at = next(j for j in range(len(text), start - 1, -1) if not _open_at_end(text[start:j], d))
        opened = len((text[:at] + "x").splitlines())
    nonblank = [i for i, r in enumerate(records) if r][:15]
    head = next((i for i in nonblank if _find_header(records[i])), None)
    return ([] if head is None else records[head + 1:]), head, opened


def _row_of(records: list[list[str]], index: int) -> int:
    """The data row of record ``index`` under the header: blank lines are no rows."""
    return sum(1 for r in records[:index + 1] if r)


def _refused(tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str) -> InputError:
    path = tmp_path_factory.mktemp("rows") / "t.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as err:
        stage(duckdb.connect(), path, "_raw", find_header=_find_header)
    return err.value


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.data_too_large,
                                                                          HealthCheck.too_slow])


@SETTINGS
@given(file=files("wide"))
@example(file=("id,x,y,z\n<25,000 plain rows>\nw,1,2,3,4,4\nk0,a,a,a\nt,1,2,3", "utf-8", 1))  # 6a3d048: "5 fields"
@example(file=('id,x,y,z\nk0, "1,5",a,a\n<25,000 plain rows>\nw,1,2,3,4\nt,1,2,3', "utf-8", 2))  # 86e6e84: row 1
@example(file=('"Two\nlines",\n\nid,x,y,z\n<25,000 plain rows>\nw,1,2,3,4\nt,1,2,3', "utf-8-sig", 1))  # BOM: DuckDB +1
@example(file=("Sales report\nSales report\nSales report\nid;x;y;z\nw;1;2;3;4\nk0;a;a;a\nt;1;2;3", "utf-8", 0))  # 6a3d048: ,
def test_a_row_wider_than_the_header_is_named_by_its_row(tmp_path_factory, file):
    short, encoding, _ = file
    text = _text(short)
    records, _, _ = _reference(text)
    wide = next(i for i, r in enumerate(records) if len(r) > len(HEADER))
    err = _refused(tmp_path_factory, text, encoding)
    assert err.row == _row_of(records, wide), str(err)
    assert f"the row has {len(records[wide])} fields where the header has {len(HEADER)}" in str(err)


@SETTINGS
@given(file=files("wide"))
@example(file=("id,x,y,z\nk0,a,a,a\n\nw,1,2,3,4\nt,1,2,3", "utf-8", 1))  # 86e6e84: DuckDB's sniffer's words, no row
def test_a_row_wider_than_the_columns_named_is_named_by_its_row(tmp_path_factory, file):
    """A file read with --columns (no header: every record is a row, the titles and the header line
    too): the first row with more fields than names."""
    short, encoding, _ = file
    assume('"b" c' not in short)  # a title DuckDB cannot parse: its own error
    text = _text(short)
    records = _parse(text)
    wide = next(i for i, r in enumerate(records) if len(r) > len(HEADER))
    path = tmp_path_factory.mktemp("columns") / "t.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as err:
        stage(duckdb.connect(), path, "_raw", columns=HEADER)
    assert err.value.row == _row_of(records, wide), str(err.value)
    assert f"the row has {len(records[wide])} fields where --columns names {len(HEADER)}" in str(err.value)


@SETTINGS
@given(file=files("open"))
@example(file=('id,x,y,z\nk0,a,a,a\no,"a\nb","never,closed', "utf-8", 1))  # 6a3d048: line 3, its record's first
@example(file=('Sales report\nSales report\nSales report\nid;x;y;z\nk0;a;a;a\no;"a\nb";"never;closed', "utf-8", 1))
def test_a_quote_never_closed_is_named_by_its_row_and_the_line_it_opens_on(tmp_path_factory, file):
    short, encoding, _ = file
    text = _text(short)
    records, head, opened = _reference(text)
    err = _refused(tmp_path_factory, text, encoding)
    assert opened is not None and f"a quote opens a cell on line {opened:,} of the file" in str(err), str(err)
    assert err.row == (_row_of(records, len(records) - 1) if head is not None else None)


@settings(SETTINGS, max_examples=12)
@given(file=files("long"))
@example(file=("Sales report\nid;x;y;z\nL;1;2;<2.2 MB of y>\nk0;a;a;a\nt;1;2;3", "utf-8", 0))  # 6a3d048: row 2
@example(file=('a,"b" c\nid,x,y,z\nL,1,2,<2.2 MB of y>\nk0,a,a,a\nt,1,2,3', "utf-8", 0))  # 6a3d048: no row
def test_a_line_longer_than_duckdb_reads_is_named_by_its_row(tmp_path_factory, file):
    short, encoding, _ = file
    text = _text(short)
    records, _, _ = _reference(text)
    long = next(i for i, r in enumerate(records) if r[:1] == ["L"])
    err = _refused(tmp_path_factory, text, encoding)
    assert err.row == _row_of(records, long) and " MB, more than the 2 MB " in str(err), str(err)


@SETTINGS
@given(file=files("loose"))
@example(file=('id,x,y,z\nq,"b" c,1,2\nk0,a,a,a\nt,1,2,3', "utf-8", 0))  # 6a3d048: no row
@example(file=('id,x,y,z\nk0,"s" ,a,a\nk1,a,a,a\nq,"b" c,1,2\nt,1,2,3', "utf-8", 2))  # 86e6e84: row 1 (the "s" cell)
@example(file=('"Two\nlines",\nSales report\n\nid,x,y,z\n<25,000 plain rows>\nq,"b" c,1,2\nt,1,2,3', "utf-8-sig", 1))
def test_a_quote_closed_and_followed_by_text_is_named_by_its_row(tmp_path_factory, file):
    """``"b" c``: DuckDB's sniffer fails on it (no line named) within its sample, its reader below it."""
    short, encoding, _ = file
    text = _text(short)
    records, _, _ = _reference(text)
    loose = next(i for i, r in enumerate(records) if r[:1] == ["q"])
    err = _refused(tmp_path_factory, text, encoding)
    assert err.row == _row_of(records, loose) and "a quote in the row is not closed" in str(err), str(err)


ENDS = {"\n": "LF", "\r\n": "CR LF", "\r": "CR"}


@st.composite
def mixed_ends(draw: st.DrawFn) -> tuple[str, str, list[tuple[int, str, int | None]]]:
    """(text, encoding, (line, end, data row or None) of each record end) of a file whose records end
    in two ways: one record at or under the header ends otherwise, or an unquoted cell holds a lone
    CR. By construction, not by a scan."""
    d = draw(st.sampled_from([",", ";"]))
    n, m = draw(st.permutations(list(ENDS)))[:2]  # the file's line end, the odd one
    titles = [t.format(d=d, n=n) for t in draw(st.lists(st.sampled_from(TITLES), max_size=2))]
    cells = [*CELLS, '"in{m}cell"']  # a quoted cell's break is no line end of DuckDB's
    rows = [d.join([f"k{i}", *(c.format(d=d, n=n, o=";" if d == "," else ",", m=m) for c in
                               draw(st.lists(st.sampled_from(cells), min_size=3, max_size=3)))])
            for i in range(draw(st.integers(1, 5)))]
    records = [*titles, d.join(HEADER), *rows]
    for _ in range(draw(st.integers(0, 2 if {n, m} != {"\r", "\n"} else 0))):  # CR, a blank line, LF: one CR LF
        records.insert(draw(st.integers(len(titles) + 1, len(records))), "")
    odd = draw(st.integers(len(titles), len(records) - 1))
    cr = n != "\r" and records[odd] != "" and odd > len(titles) and draw(st.booleans())
    if cr:  # a lone CR typed inside the record's last cell, unquoted
        records[odd] += "\rmore"
    text, marks = "", []  # marks: (offset of a record end, its end, the record's index)
    for i, record in enumerate(records):
        if i == odd and cr:
            marks.append((len(text) + record.rindex("\r"), "\r", i))
        text += record
        marks.append((len(text), m if i == odd and not cr else n, i))
        text += marks[-1][1]
    ends = [(len(re.findall(r"\r\n|\r|\n", text[:at])) + 1, ENDS[end],
             sum(1 for r in records[len(titles) + 1:i + 1] if r) if records[i] and i > len(titles) else None)
            for at, end, i in marks]
    return text, draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])), ends


@SETTINGS
@given(file=mixed_ends())
@example(file=("id,x,y,z\nk0,a,a,a\nt,1,2,3\r\n", "utf-8", [(1, "LF", None), (2, "LF", 1), (3, "CR LF", 2)]))
@example(file=("id,x,y,z\nk0,a,a\rmore\nt,1,2,3\n", "utf-8",
               [(1, "LF", None), (2, "CR", 1), (3, "LF", 1), (4, "LF", 2)]))  # a lone CR in a cell
def test_records_ending_in_two_ways_are_named_by_line_and_row(tmp_path_factory, file):
    """DuckDB refuses most files whose records end in two ways (its sniffer, or its parser's 'invalid
    state'); 86e6e84 said so in DuckDB's words, with no row, and told to count fields. The error names
    two lines that end as it says, the second the first one under the other ending otherwise (a title
    DuckDB is spared from is not one of them), and that line's row."""
    text, encoding, ends = file
    path = tmp_path_factory.mktemp("ends") / "t.csv"
    path.write_bytes(text.encode(encoding))
    con = duckdb.connect()
    try:
        stage(con, path, "_raw", find_header=_find_header)
    except InputError as err:
        said = re.search(r"line ([\d,]+) ends in (CR LF|LF|CR), line ([\d,]+) in (CR LF|LF|CR) ", str(err))
        assert said, str(err)
        one, other = int(said[1].replace(",", "")), int(said[3].replace(",", ""))
        first = next(i for i, e in enumerate(ends) if e[0] == one)
        line, found, row = next(e for e in ends[first:] if e[1] != ends[first][1])
        assert (ends[first][1], line, found) == (said[2], other, said[4]), str(err)
        assert f"at line {other:,}" in str(err) and err.row == row, str(err)
    else:  # DuckDB reads some (a last line's lone CR; a mixed title it skips): then as the csv module does
        records = [[c or "" for c in r] for r in con.execute("SELECT * EXCLUDE (_xb_row) FROM _raw").fetchall()]
        wanted = [r + [""] * (len(HEADER) - len(r)) for r in _reference(text)[0] if r]
        assert records == [[c.rstrip(" ") for c in r] for r in wanted]  # "s"  is s to DuckDB


@pytest.mark.parametrize(("text", "said"), [
    ('Sales report\r"Two\rlines",\rid,x,y,z\r\nk0,a,a,a\r', "line 1 ends in CR, line 4 in CR LF "),
    ('"Two\rlines"\rid,x,y,z\r\nk0,a,a,a\r\nk1,b,b,b\r\n', "line 2 ends in CR, line 3 in CR LF "),
])
def test_a_title_over_two_lines_ending_otherwise_than_the_header_is_named_by_its_line(tmp_path_factory, text, said):
    """Split31's Hypothesis find (on 0c7bf4c too): a title whose quoted cell holds a lone CR, above a
    header whose line ends otherwise (CR LF). Told the header's line end (the sniffer fails on a
    title's break), DuckDB read no row, and ingest said "the file has a header but no data rows" of
    a file with rows; its records end in two ways, said so as of any such file (a title's break
    typed as LF is), with the line."""
    err = _refused(tmp_path_factory, text, "utf-8")
    assert said in str(err) and "no data rows" not in str(err), str(err)


def test_a_quoted_cell_then_cr_lf_below_the_sample_in_a_file_of_lf_is_named_by_its_line(tmp_path_factory):
    """Past DuckDB's sniffing sample its reader calls it an unterminated quote (86e6e84: 'a quote in the
    row is not closed', though every quote is)."""
    text = "id,x,y,z\n" + "".join(f"p{i},p,p,p\n" for i in range(PAD)) + 'k0,a,a,"q"\r\nt,1,2,3\n'
    err = _refused(tmp_path_factory, text, "utf-8")
    assert f"line 1 ends in LF, line {PAD + 2:,} in CR LF " in str(err) and err.row == PAD + 1, str(err)


@pytest.mark.parametrize(("rows", "fault"), [(['q,"b" c,1,2', "w,1,2,3,4"], "quote"), (["w,1,2,3,4", 'q,"b" c,1,2'], "wide")])
def test_of_a_loose_quote_and_a_wide_row_the_first_is_named(tmp_path_factory, rows, fault):
    """DuckDB's sniffer names neither (86e6e84 named the wide row wherever it was)."""
    err = _refused(tmp_path_factory, "\n".join(["id,x,y,z", "k0,a,a,a", *rows, "t,1,2,3"]), "utf-8")
    assert err.row == 2 and ("a quote in the row" if fault == "quote" else "the row has 5 fields") in str(err), str(err)
