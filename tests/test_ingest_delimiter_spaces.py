"""A ``;``- or tab-separated export whose words hold spaces (``Li Ltd``, ``customer id``, a date
with its time) and whose last row has one delimiter too many (a trailing ``;`` or tab) is read by
its delimiter, not by runs of spaces: on 7200db1 whitespace split every line alike there, so a
tab file was loaded with its names cut at the first space and its amounts taken from the wrong
column (silently), and a ``;`` file was refused as having no ``ts`` column (columns found:
``customer``, ``id;order``, ...). A whitespace table, or a tab file with a tab after a row's last
cell, reads as before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xuanba import Workspace
from xuanba.ingest import ingest, sniff_delimiter


def _rows(n: int, *, spaces: bool, time: bool) -> list[tuple[str, str, str]]:
    """Rows whose words number as many as the header's (``customer id``, ``order date``, ``amount``:
    five) where ``spaces``: the coincidence that made whitespace split every line alike."""
    name = "Li{} Co" if time else "Li{} Trading Co"
    return [(name.format(i) if spaces else f"c{i}", f"2025-01-{i % 27 + 1:02d}" + (f" 10:{i:02d}" if time else ""),
             f"{i + 1},5") for i in range(n)]


def _written(tmp_path, delim: str, end: str, rows, *, title: bool, header: list[str]):
    lines = ([f"Sales report{delim}{delim}"] if title else []) + [delim.join(header)]
    lines += [delim.join(r) for r in rows]
    lines[-1] += delim  # the last row: one delimiter too many (an empty cell after its last)
    path = tmp_path / "export.csv"
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


@pytest.mark.parametrize("delim", [";", "\t"])
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])  # CR alone: an old Mac export
@pytest.mark.parametrize(("spaces", "time", "title"), [(True, False, False), (False, True, False), (True, True, True)])
def test_a_delimited_export_with_spaces_in_its_words_is_read_by_its_delimiter(tmp_path, delim, end, spaces, time, title):
    rows = _rows(12, spaces=spaces, time=time)
    if delim == "\t":  # a tab export writes the decimal point
        rows = [(a, b, c.replace(",", ".")) for a, b, c in rows]
    path = _written(tmp_path, delim, end, rows, title=title, header=["customer id", "order date", "amount"])
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        got = ws.con.execute("SELECT customer_id, CAST(ts AS VARCHAR), amount FROM transactions ORDER BY amount").fetchall()
    assert (report.loaded, report.rejected) == (len(rows), 0)
    want = [(a, b + (":00" if time else " 00:00:00"), Decimal(c.replace(",", ".")))
            for a, b, c in rows]
    assert got == want


def test_the_guess_itself():
    # every line two words (or four) apart from the delimiter, one row a delimiter too many
    assert sniff_delimiter(["客户 编号;日期;金额\n", "Li Ltd;2025-01-01;1,5\n", "Wu Co;2025-01-02;2,5;\n"]) == ";"
    assert sniff_delimiter(["customer id\tdate\tamount\n", "Li Ltd\t2025-01-01\t1.5\n",
                            "Wu Co\t2025-01-02\t2.5\t\n"]) == "\t"
    # a tab after a row's last cell, no spaces in the words: whitespace cuts it into the tab's cells
    assert sniff_delimiter(["id\tts\tamount\n", "c1\t2025-01-01\t1.5\t\n", "c2\t2025-01-02\t2.5\n"]) == " "
    assert sniff_delimiter(["x  y   z", " 1 2 3"]) == " "  # a whitespace table, as before
    # a whitespace table whose amounts hold decimal commas, not all alike: the commas split no header
    assert sniff_delimiter(["id date a b\n", "c1 2025-01-01 1,5 2,5\n", "c2 2025-01-02 3 4,5\n"]) == " "
