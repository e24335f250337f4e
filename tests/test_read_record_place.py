"""``record_place`` (the line and row of the record DuckDB's error numbers in an engine round's CSV
source) counts lines over the bytes where every record above is one line (no quote above it, one
kind of line end): e97c1c3 parsed the file with the csv module up to the record, about 45 s a
gigabyte (9.9 s on a 213 MB file after DuckDB's own error in 0.95 s). The places are the scan's,
checked against it on files of every line end, blank lines, a BOM, titles above the header, a
quote or a stray line end (where the scan still reads), and chunks cut anywhere."""

from __future__ import annotations

import random

import pytest

import xuanba.ingest.csv_records as records
from xuanba.ingest.csv_records import record_place


def _scan_place(monkeypatch, path, number, above):
    """The place as the csv scan finds it (the byte count switched off)."""
    with monkeypatch.context() as m:
        m.setattr(records, "_line_place", lambda *a: None)
        return record_place(path, number, ",", above)


def _file(rng: random.Random) -> tuple[bytes, int]:
    end = rng.choice([b"\n", b"\r\n", b"\r"])
    lines = [b"Sales 2025", b""][: rng.randint(0, 2)] + [b"id,ts,amount"]
    above = len(lines)
    for i in range(rng.randint(1, 40)):
        kind = rng.random()
        if kind < 0.15:
            lines.append(b"")  # a blank line
        elif kind < 0.2:
            lines.append(b"  ,  ,")  # spaces: a row, not a blank line
        else:
            lines.append(f"c{i},2025-01-{1 + i % 28:02d},{i}.5".encode())
    text = end.join(lines) + (end if rng.random() < 0.7 else b"")
    if rng.random() < 0.2:  # a quoted cell with a line break somewhere: the scan reads from there
        at = rng.randrange(len(lines))
        lines[at] = b'q,"two' + end + b'lines",1'
        text = end.join(lines) + end
    if rng.random() < 0.1:  # a line end of another kind
        text = text.replace(end, b"\n" if end != b"\n" else b"\r\n", 1)
    if rng.random() < 0.2:
        text = b"\xef\xbb\xbf" + text
    return text, above


@pytest.mark.parametrize("chunk", [5, 64, 8 << 20])
def test_the_place_is_the_scans_on_files_of_every_kind(tmp_path, monkeypatch, chunk):
    rng = random.Random(chunk)
    monkeypatch.setattr(records, "_CHUNK", chunk)
    path = tmp_path / "t.csv"
    for _ in range(150):
        text, above = _file(rng)
        path.write_bytes(text)
        lines = text.count(b"\n") + text.count(b"\r") + 1
        for number in {1, above, above + 1, above + 2, rng.randint(1, lines + 2), lines, lines + 1}:
            got = record_place(path, number, ",", above)
            assert got == _scan_place(monkeypatch, path, number, above), (text, number, above)


def test_a_quote_free_file_is_placed_without_the_scan(tmp_path, monkeypatch):
    """A 20 MB file without a quote: its last record placed by the byte count alone (the scan is
    switched to fail), blank lines not rows."""
    path = tmp_path / "big.csv"
    body = b"".join(b"c%d,2025-01-01,%d.5\r\n" % (i, i) for i in range(700_000))
    path.write_bytes(b"id,ts,amount\r\n\r\n" + body + b"\r\nc9,2025-99-99,1\r\n")
    monkeypatch.setattr(records, "_scan", lambda *a, **k: (_ for _ in ()).throw(AssertionError("scanned")))
    number = 700_000 + 4  # header, a blank line, the rows, a blank line, then the bad record
    assert record_place(path, number, ",", 1) == (number, 700_001)


def test_a_quote_above_the_record_still_reads_the_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,note,amount\na,"one\ntwo",5\nb,x,y\n', encoding="utf-8")
    assert record_place(path, 3, above=1) == (4, 2)
