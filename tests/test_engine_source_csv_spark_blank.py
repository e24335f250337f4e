"""A Spark round's CSV source with a line of spaces or tabs among its rows counts it as ``xuanba ingest``
and DuckDB's round count it: a row, rejected by ingest's rules ("missing customer id"; a tab's under
a ``,`` header, "missing date"). Spark's reader skips a line whose ``trim`` is empty: the same rows
used, but the line missing from the source's rows and rejects (review31b)."""

from __future__ import annotations

import re

import pytest

from tests._helpers import spark_test
from tests.test_engine_source_csv_blank_line import _ingested
from xuanba.rounds.source_check import checked_transactions

CUTOFF = "2025-12-31"


def _file(tmp_path, odd: list[str], note: bool = False):
    rows = [f"c{i % 7},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i}.5" + (',"a\nb"' if note and i == 3 else ",x" if note else "")
            for i in range(40)]
    for k, line in enumerate(odd):
        rows.insert(10 + 7 * k, line)
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount" + (",note" if note else ""), *rows]) + "\n", "utf-8")
    return path


@spark_test
@pytest.mark.parametrize(("odd", "note"), [(["   "], False), (["\t", "  \t "], False), (["   "], True)])
def test_a_line_of_spaces_is_counted_on_spark_as_ingest_counts_it(tmp_path, spark, odd, note):
    from xuanba.rounds.spark import spark_source

    path = _file(tmp_path, odd, note)
    _, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    got = {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}
    want = _ingested(tmp_path, path)
    assert got == want
    assert got["input_rows"] == 40 + len(odd) and got["rejected"] == len(odd)


def _has_blank_line(data: bytes) -> bool:
    """The reference, apart from the byte search: the file split into lines, one that Java's ``trim``
    (Spark's test) leaves empty: spaces, tabs, other control characters alone."""
    return any(line and not line.strip(bytes(range(0x21))) for line in re.split(rb"\r\n|\r|\n", data))


_SHAPES = [
    b"id,x\n  c1,2\n\tc2,3\n",  # ids that begin with spaces or a tab: no line of them alone
    b"id,x\n  c1,2\nc2 ,3\n c3 ,4\n",  # spaces before and after ids, never alone
    b"id,x\r\n  c1,2\r\n \t \r\nc2,3\r\n",
    b"id,x\n  c1,2\n   \n",
    b"id,x\n  c1,2\n   ",  # a last line of spaces, no line end after it
    b"id,x\r  c1,2\r\t\rc2,3\r",
    b"id,x\n" + b" " * 40 + b"\nc1,2\n",  # a line of spaces longer than a chunk
    b"id,x\n" + b" " * 40 + b"c1,2\n",  # a run of spaces longer than a chunk, then an id
    b"id,x\n\n\r\nc1 \n  c2\n",  # empty lines: no space or tab in them
    b"id,x\nc1,2\n\x0c\nc2,3\n",  # a form feed alone: Java's trim strips it, Spark skips the line
    b"id,x\r\nc1,2\r\n \x0b\t\r\n",  # a vertical tab among spaces
    b"id,x\nc1,2\n\x01",  # a control character, the last line, no line end
    b"id,x\n\x0cc1,2\nc2\x0c,3\n",  # control characters round ids, no line of them alone
]


@pytest.mark.parametrize("data", _SHAPES)
def test_the_byte_search_finds_a_line_of_spaces_alone_over_any_chunk_size(tmp_path, monkeypatch, data):
    """Exact where the lines split across chunks: every chunk size from 1 byte to the whole file
    agrees with the file split into lines."""
    import xuanba.ingest.encodings as encodings
    from xuanba.rounds.spark import _blank_lines_may_be

    path = tmp_path / "tx.csv"
    path.write_bytes(data)
    want = _has_blank_line(data)
    for size in range(1, len(data) + 2):
        monkeypatch.setattr(encodings, "_CHUNK", size)
        assert _blank_lines_may_be(path) == want, (data, size)


def _spaced_file(tmp_path, blank: bool):
    """Ids that begin with spaces (a system that pads them), and where ``blank`` a line of spaces."""
    rows = [f"  c{i % 7},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i}.5" for i in range(40)]
    if blank:
        rows.insert(17, "    ")
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount", *rows]) + "\n", "utf-8")
    return path


@spark_test
@pytest.mark.parametrize("blank", [False, True])
def test_ids_that_begin_with_spaces_are_not_read_by_the_csv_module(tmp_path, spark, monkeypatch, blank):
    """A file whose ids begin with spaces has no line of spaces: its records are not read again
    (review32: every such file was read record by record in Python); one that also has a line of
    spaces alone is, and counts it as ingest does."""
    import xuanba.ingest.csv_records as csv_records
    from xuanba.rounds.spark import spark_source

    scanned = []
    scan = csv_records._scan
    monkeypatch.setattr(csv_records, "_scan", lambda *a, **k: scanned.append(a) or scan(*a, **k))
    path = _spaced_file(tmp_path, blank)
    _, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    assert bool(scanned) == blank
    got = {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}
    assert got == _ingested(tmp_path, path)
    assert got["input_rows"] == 40 + blank and got["rejected"] == blank


@spark_test
@pytest.mark.parametrize("odd", [["\x0b"], ["\x0c"], [" \x0c\t"], ["\x1f"], ["\x01 "]])
def test_a_line_of_control_characters_is_counted_on_spark_as_ingest_counts_it(tmp_path, spark, odd):
    """A line of a vertical tab, a form feed or another control character (with spaces or tabs or
    not): Spark's line reader skips it too (Java's ``trim`` strips every character up to the space),
    ingest reads it as a row and rejects it."""
    from xuanba.rounds.spark import spark_source

    path = _file(tmp_path, odd)
    _, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    got = {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}
    want = _ingested(tmp_path, path)
    assert got == want
