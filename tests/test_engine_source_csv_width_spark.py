"""A Spark round's local CSV ``--source`` with a row wider than its header is refused as ``xuanba
ingest`` refuses it (the file, the row, both widths and the fix, in ingest's words): 0c7bf4c's Spark
read ``b,2025-01-02,6,99`` under ``customer_id,ts,amount`` as amount 6 and dropped the 99,
silently. A row narrower than the header is read as ingest reads it (its missing cells empty: a
missing amount rejected with ingest's reason). The width check counts each file's cells in one
numpy pass, the csv module from the first quote on; compared with ingest's own scan on random files
cut into blocks anywhere."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import xuanba.ingest.csv_records as csv_records
import xuanba.rounds.source_check as source_check
from tests._helpers import spark_test
from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.ingest import ingest

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\n'
            'weight = 1\n')


def _round(tmp_path, source, lang: str = "en") -> tuple[int, str]:
    """``xuanba round --engine spark --source source`` in-process: (exit code, output)."""
    std = tmp_path / "s.toml"
    std.write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(std), "--cutoff", CUTOFF,
                                   "--engine", "spark", "--source", str(source), "--no-store"],
                             env={"COLUMNS": "300"})
    return res.exit_code, res.output


def _ingest(tmp_path, source, lang: str = "en") -> tuple[int, str]:
    """``xuanba ingest source`` in-process into a new workspace: (exit code, output)."""
    ws = tmp_path / f"ws{len(list(tmp_path.glob('ws*')))}.duckdb"
    res = CliRunner().invoke(app, ["--lang", lang, "ingest", "-w", str(ws), "--tz", "UTC", str(source)],
                             env={"COLUMNS": "300"})
    return res.exit_code, res.output


def _error(out: str) -> str:
    """The error and its fix as the console says them (one line each, wrapped lines joined)."""
    return " ".join(out[out.index("error:") if "error:" in out else out.index("错误"):].split())


def _export(path, bad: str, at: int, n: int = 40, quoted: bool = False) -> None:
    """``n`` rows of customer_id,ts,amount,note, the row ``bad`` put at data row ``at`` (from 1);
    with ``quoted`` every fifth note quoted over two lines, above the bad row too."""
    lines = ["customer_id,ts,amount,note"]
    for i in range(n):
        note = f'"line {i}\nline two, {i}"' if quoted and i % 5 == 0 else f"note {i}"
        lines.append(f"c{i % 7},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i}.5,{note}")
    lines.insert(at, bad)
    path.write_text("\n".join(lines) + "\n", "utf-8")


@spark_test
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_row_wider_than_the_header_is_refused_on_spark_as_ingest_refuses_it(tmp_path, spark, lang):
    """Each kind of wider row (a cell holding the delimiter unquoted, a delimiter left at the end,
    one below quoted notes over two lines, one in a glob's second file): 0c7bf4c's Spark ran the
    round with the cells past the header dropped (exit 0). Now the error ingest gives the file,
    word for word, naming the same row."""
    cases = {
        "unquoted": ("b,2025-01-02,6,hello, world", 13, {}),
        "trailing": ("b,2025-01-02,6,x,", 30, {}),
        "below_quotes": ("b,2025-01-02,6,x,99", 25, {"quoted": True}),
    }
    for name, (bad, at, kw) in cases.items():
        path = tmp_path / f"{name}.csv"
        _export(path, bad, at, **kw)
        code, out = _round(tmp_path, path, lang)
        refused, said = _ingest(tmp_path, path, lang)
        assert refused != 0 and code != 0, (name, out)
        assert _error(out) == _error(said), (name, out, said)
        assert {"en": f"row {at}:", "zh": f"第 {at} 行"}[lang] in _error(out), out
        assert "Traceback" not in out
    folder = tmp_path / "exports"
    folder.mkdir()
    _export(folder / "a.csv", "a,2025-01-02,6,x", 3)
    _export(folder / "b.csv", "b,2025-01-02,6,x,7", 17)
    code, out = _round(tmp_path, folder / "*.csv", lang)
    assert code != 0 and str(folder / "b.csv") in out and _error(out) == _error(_ingest(tmp_path, folder / "b.csv", lang)[1])


@spark_test
def test_a_row_narrower_than_the_header_is_read_on_spark_as_ingest_reads_it(tmp_path, spark):
    """A row short of its note is read with the note empty, one short of its amount rejected as
    missing its amount: the rows, the revenue and the customers ingest stores, and the reason
    ingest gives (Spark pads the cells as ingest does; no refusal on either: the source read and
    checked as the round reads it, not the round itself, since session 36)."""
    from xuanba.rounds.source_check import checked_transactions
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    path = tmp_path / "short.csv"
    _export(path, "b,2025-01-02,6", 12)
    lines = path.read_text("utf-8").splitlines()
    lines.insert(20, "z,2025-01-03")  # no amount
    path.write_text("\n".join(lines) + "\n", "utf-8")
    table, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    got = to_arrow(table.aggregate(n=table.count(), revenue=table.amount.sum(), customers=table.customer_id.nunique()))
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        stored = ws.con.execute("SELECT count(*), sum(amount), count(DISTINCT customer_id) FROM transactions").fetchone()
    assert rows["input_rows"] == 42 and rows["rejected_by_reason"] == {"missing amount": 1}
    assert (got["n"][0].as_py(), got["revenue"][0].as_py(), got["customers"][0].as_py()) == (
        stored[0], float(stored[1]), stored[2]) == (41, sum(10 + i + 0.5 for i in range(40)) + 6, 8)
    assert "missing amount" in str(report)


CELLS = st.sampled_from(["x", "", "1", "王", '"a,b"', ' "q,r"', '"a\nb"', '"c\r\nd"', '"say ""hi"""', '12"', "a b",
                         '5" x', '"a" b', '"e\rf"', '""', '"g,""h"""'])
ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.sampled_from(["Sales", "Sales,,", ""]), max_size=2), width=st.integers(1, 4),
       rows=st.lists(st.tuples(st.integers(-1, 2), st.lists(CELLS, min_size=6, max_size=6)), max_size=8),
       end=ENDS, last=st.booleans(), bom=st.booleans(), block=st.sampled_from([3, 7, 64, 1 << 20]))
def test_the_width_check_finds_every_wider_row_ingest_finds(tmp_path, titles, width, rows, end, last, bom, block,
                                                            monkeypatch):
    """The numpy pass over blocks of any size (lines cut anywhere, a quote or a lone CR mid-file
    switching to the csv module) says "wider" wherever ingest's scan finds a wider row
    (:func:`xuanba.ingest.csv_records._wider_row`), and then the refusal names ingest's row; never a
    refusal where ingest's scan finds none."""
    lines = [*titles, ",".join(f"h{i}" for i in range(width))]
    lines += [",".join(cells[: max(1, width + extra)]) for extra, cells in rows]
    path = tmp_path / "f.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + (end.join(lines) + (end if last else "")).encode())
    above = len(titles) + 1
    monkeypatch.setattr(source_check, "WIDTH_CHUNK", block)
    exact = csv_records._wider_row(path, ",", above)
    if exact is not None:
        assert source_check._wider_somewhere(path, ",", above)
        with pytest.raises(InputError) as refused:
            source_check.refuse_wider_rows(path, ",", above)
        assert refused.value.row == exact[0].row
    else:
        source_check.refuse_wider_rows(path, ",", above)
