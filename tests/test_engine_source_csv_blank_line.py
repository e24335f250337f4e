"""An engine round's CSV source with a line of spaces (or tabs) among its rows, or a row cut short,
reads it as ``xuanba ingest`` does: the line is a row, its missing cells empty, rejected by ingest's
rules (a line of spaces: "missing customer id"; of a tab: "missing date"), every line counted.
0c7bf4c's DuckDB sniffer read such a file as one column ("none of customer_id … candidates") where
the line fell in its sample, and refused it as "Expected Number of Columns" below it; telling
DuckDB the delimiter alone had it refuse the line in its strict mode."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.ingest import ingest
from xuanba.rounds.engine import duckdb_source
from xuanba.rounds.source_check import checked_transactions

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 1\n'
            '[[tiers]]\nname = "A"\nquota = 10\n')
SAMPLE = 20_480  # the rows DuckDB's sniffer reads: a line below them is met by the read itself


def _rows(n: int, delim: str = ",") -> list[str]:
    return [delim.join([f"c{i % 997}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", f"{i % 50}.5"]) for i in range(n)]


def _file(tmp_path, odd: str, where: str, end: str = "\n", n: int = 30, delim: str = ","):
    header = delim.join(["customer_id", "ts", "amount"])
    rows = _rows(n, delim)
    at = {"top": 0, "middle": n // 2, "end": n}[where]
    lines = [header, *rows[:at], odd, *rows[at:]] if where != "top" else [odd, header, *rows]
    path = tmp_path / "tx.csv"
    path.write_bytes((end.join(lines) + end).encode())
    return path


def _ingested(tmp_path, path) -> dict:
    """Ingest's own accounting of the file: its rows, and its rejects by reason."""
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        reasons = dict(ws.con.execute("SELECT reason, count(*) FROM rejects GROUP BY reason").fetchall())
    return {"input_rows": report.input_rows, "used": report.loaded + report.merged, "rejected": report.rejected,
            "rejected_by_reason": reasons}


def _rounds(path) -> dict:
    _, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)
    return {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}


def _lines_under_header(path) -> int:
    """The file's lines under the header that hold any character: counted apart from xuanba."""
    lines = path.read_bytes().decode().replace("\r\n", "\n").split("\n")
    return sum(1 for line in lines[lines.index(next(x for x in lines if x.startswith("customer_id"))) + 1:] if line)


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("where", ["top", "middle", "end"])
@pytest.mark.parametrize("odd", ["   ", "\t", " \t ", "c5,2025-03-01"])
def test_a_line_of_spaces_or_a_short_row_is_read_as_ingest_reads_it(tmp_path, odd, where, end):
    path = _file(tmp_path, odd, where, end)
    got, want = _rounds(path), _ingested(tmp_path, path)
    assert got == want
    # every line accounted for: the odd one a rejected row, but above the header (a blank title)
    assert got["input_rows"] == _lines_under_header(path) == 30 + (where != "top")
    assert got["rejected"] == (where != "top")


@pytest.mark.parametrize("where", ["middle", "end"])
def test_below_the_sniffers_sample_too(tmp_path, where):
    """Met by the read (DuckDB's sniffer read the file whole), then read again as ingest reads it."""
    path = _file(tmp_path, "   ", where, n=2 * SAMPLE)
    got = _rounds(path)
    assert got == _ingested(tmp_path, path)
    assert got["input_rows"] == 2 * SAMPLE + 1 and got["rejected_by_reason"] == {"missing customer id": 1}


@pytest.mark.parametrize("spaces", [10, 45_010])
def test_a_quoted_line_break_stays_one_row(tmp_path, spaces):
    """A note over two lines (Alt+Enter) below the sniffer's sample, beside a line of spaces in the
    sample or below it: one row, as ingest reads it (DuckDB's parallel reader refuses the padding of
    short rows beside a quoted line break: "The parallel scanner does not support null_padding")."""
    rows = [f'c{i},2025-01-{1 + i % 28:02d},{i}.5,' + ('"a\nb"' if i == 30_000 else "x") for i in range(50_000)]
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount,note", *rows[:spaces], "   ", *rows[spaces:]]) + "\n", "utf-8")
    got = _rounds(path)
    assert got == _ingested(tmp_path, path)
    assert got["input_rows"] == 50_001 and got["rejected_by_reason"] == {"missing customer id": 1}


def test_another_delimiter(tmp_path):
    path = _file(tmp_path, "  ", "middle", delim=";")
    assert _rounds(path) == _ingested(tmp_path, path)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_round_runs_and_says_the_line_rejected(tmp_path, lang):
    path = _file(tmp_path, "   ", "middle", "\r\n")
    (tmp_path / "s.toml").write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "-s", str(tmp_path / "s.toml"), "--cutoff", CUTOFF,
                                   "--engine", "duckdb", "--source", str(path), "--no-store"],
                             env={"COLUMNS": "1000"})
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    said = " ".join(res.output.split())
    assert ("missing customer id" if lang == "en" else "缺少客户编号") in said, said


def _big(tmp_path, changes: dict[int, str], n: int = 30_000, header: str = "customer_id,ts,amount") -> object:
    """``n`` rows of whole amounts (DuckDB's sniffer types the column on its sample), line ``i`` under
    the header replaced by (or, for a key beyond ``n``, put before the rows at) ``changes[i]``."""
    rows = [f"c{i % 997},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 50}" for i in range(n)]
    for at in sorted(changes, reverse=True):
        if changes[at].startswith("+"):
            rows.insert(at, changes[at][1:])
        else:
            rows[at] = changes[at]
    path = tmp_path / "tx.csv"
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("changes", [
    {24_000: "c5,2025-03-01,¥13", 28_000: "+   "},  # the money read as text first, then the short row
    {24_000: "+   ", 28_000: "c5,2025-03-01,¥13"},  # the short row first, then the money
    {5: "c5,2025-03-01,¥13", 28_000: "+   "},  # money text in the sample, the short row below it
])
def test_money_read_as_text_and_a_short_row_below_the_sample(tmp_path, changes):
    """Both of the round's second readings of a CSV source, in either order: review31b found the
    money read again as text (a ``¥13`` below the sniffer's sample) lose the short row's, DuckDB's
    "Expected Number of Columns: 3 Found: 1" left as a traceback."""
    path = _big(tmp_path, changes)
    got = _rounds(path)
    assert got == _ingested(tmp_path, path)
    assert got["input_rows"] == 30_001 and got["rejected_by_reason"] == {"missing customer id": 1}


def _refusals(tmp_path, path) -> tuple:
    from xuanba.errors import InputError

    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(InputError) as ingest_said:
        ingest(str(path), ws, tz="UTC")
    with pytest.raises(InputError) as round_said:
        checked_transactions(duckdb_source(str(path)), CUTOFF)
    return ingest_said.value, round_said.value


@pytest.mark.parametrize("changes", [
    {10: "c5,2025-03-01,5,9"},  # in the sniffer's sample: it read one column, and the padded read failed
    {25_000: "c5,2025-03-01,5,9"},  # below it: DuckDB's "Expected Number of Columns: 3 Found: 4", a traceback
    {10: "+   ", 25_000: "c5,2025-03-01,5,9"},  # below it, after a short row in the sample
    {22_000: "+   ", 25_000: "c5,2025-03-01,5,x,y"},  # after a short row below it, read padded
])
def test_a_row_wider_than_the_header_is_refused_as_ingest_refuses_it(tmp_path, changes):
    """The row, its fields and the fix, as ``xuanba ingest`` says them, in English and Chinese: not
    a traceback, nor "none of customer_id ..." or "cannot read --source" (review31b)."""
    ingest_said, round_said = _refusals(tmp_path, _big(tmp_path, changes))
    row = max(changes) + 1 + sum(1 for at, c in changes.items() if c.startswith("+") and at < max(changes))
    assert round_said.row == ingest_said.row == row
    for lang in ("en", "zh"):
        assert round_said.phrase.words(lang) == ingest_said.phrase.words(lang)
        assert round_said.fix_phrase.words(lang) == ingest_said.fix_phrase.words(lang)
    assert f"the row has {changes[max(changes)].count(',') + 1} fields where the header has 3" in \
        round_said.phrase.words("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_round_says_the_wider_row_without_a_traceback(tmp_path, lang):
    path = _big(tmp_path, {25_000: "c5,2025-03-01,5,9"})
    (tmp_path / "s.toml").write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "-s", str(tmp_path / "s.toml"), "--cutoff", CUTOFF,
                                   "--engine", "duckdb", "--source", str(path), "--no-store"],
                             env={"COLUMNS": "1000"})
    assert res.exit_code != 0 and "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    said = " ".join(res.output.split())
    assert ("row 25001" if lang == "en" else "第 25001 行") in said, said
    assert ("4 fields" if lang == "en" else "这一行有 4 个字段") in said, said


@pytest.mark.parametrize("cell", [
    '"a,b"',  # a quoted delimiter: DuckDB read 5 fields, "Expected Number of Columns: 4 Found: 5", a traceback
    '"a\nc6,2025-03-02,7,b"',  # a quoted line break whose two halves have 4 fields each: read as two rows
])
def test_a_quote_below_a_sample_without_one_is_read_as_ingest_reads_it(tmp_path, cell):
    """DuckDB's sniffer took a file whose 20,480-row sample holds no quote for a file without quoting
    (``quote = (empty)``): a quoted cell below it was cut at its delimiter or its line break, a
    traceback or, silently, one transaction more than ingest reads (``c6``, 7.0, made of a note).
    Told the quote, as ingest reads a CSV, it is one cell (review31b; on 0c7bf4c too)."""
    rows = [f"c{i % 997},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 50},x" for i in range(30_000)]
    rows[25_000] = "c5,2025-03-01,5," + cell
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount,note", *rows]) + "\n", "utf-8")
    got = _rounds(path)
    assert got == _ingested(tmp_path, path)
    assert got["input_rows"] == 30_000 and got["rejected"] == 0


def test_a_date_with_text_after_it_below_the_sample_is_rejected_as_ingest_rejects_it(tmp_path):
    path = _big(tmp_path, {25_000: "c5,2025-03-01 x,5"})
    assert _rounds(path) == _ingested(tmp_path, path)


@pytest.mark.parametrize("sample_quoted", [False, True])
def test_a_loose_quote_below_the_sample_is_refused_as_ingest_refuses_it(tmp_path, sample_quoted):
    """A quoted cell closed and followed by text (``"q" tail``) below the sniffer's sample: ingest
    refuses it naming its row; told the quote, DuckDB's read refuses it as "unterminated quote",
    said in ingest's words (review31b: a traceback once the quote was told, read as text before)."""
    rows = [f"c{i % 997},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 50},x" for i in range(30_000)]
    rows[25_000] = 'c5,2025-03-01,5,"q" tail'
    if sample_quoted:
        rows[3] = 'c3,2025-03-01,5,"a,b"'
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount,note", *rows]) + "\n", "utf-8")
    ingest_said, round_said = _refusals(tmp_path, path)
    assert round_said.row == ingest_said.row == 25_001
    for lang in ("en", "zh"):
        assert round_said.phrase.words(lang) == ingest_said.phrase.words(lang)
        assert round_said.fix_phrase.words(lang) == ingest_said.fix_phrase.words(lang)


@pytest.mark.parametrize("amount", ["{}.5", "{}"])  # doubles; whole numbers, which the round reads as doubles
def test_a_globs_later_file_with_a_line_of_spaces_is_read_as_ingest_reads_its_folder(tmp_path, amount):
    """DuckDB sniffs each file of a glob: a later file with a line of spaces in its sample was read
    as one column, and the round said "cannot read --source" with DuckDB's binder error (review31b,
    on 0c7bf4c and after split31 too), or its scan stopped at DuckDB's "Schema mismatch between
    globbed files", a traceback. Read again as ingest reads a short row: the folder's rows and
    rejects, every line counted."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, start, spaces in (("a.csv", 0, None), ("b.csv", 5_000, 5)):
        rows = [f"c{i},2025-{1 + i % 12:02d}-{1 + i % 28:02d}," + amount.format(i % 50) for i in range(start, start + 3_000)]
        if spaces is not None:
            rows.insert(spaces, "   ")
        (folder / name).write_text("\n".join(["customer_id,ts,amount", *rows]) + "\n", "utf-8")
    _, rows = checked_transactions(duckdb_source(str(folder / "*.csv")), CUTOFF)
    got = {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}
    assert got == _ingested(tmp_path, folder)
    assert got["input_rows"] == 6_001 and got["rejected_by_reason"] == {"missing customer id": 1}


@pytest.mark.parametrize("bad", ["2025-03-01 10:00:00 x", "2025-13-45 10:00:00", "2025年3月1日 10:00"])
def test_a_time_ingest_cannot_read_or_reads_otherwise_below_the_sample_is_read_as_ingest_reads_it(tmp_path, bad):
    """Times (DuckDB's TIMESTAMP, no format its sniffer reports): a later cell it cannot read stopped
    the round, named, where ingest rejects the line or reads it (``2025年3月1日 10:00``); now the dates
    are read again as text by ingest's reader."""
    rows = [f"c{i % 997},2025-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00,{i % 50}" for i in range(30_000)]
    rows[25_000] = f"c5,{bad},5"
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount", *rows]) + "\n", "utf-8")
    assert _rounds(path) == _ingested(tmp_path, path)
