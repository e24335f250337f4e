"""A CSV source's row wider than its header on DuckDB's engine round: refused as ingest refuses
it (the file, the row, both widths, the fix; en and zh), in DuckDB's sample (its sniffer then
fails) or past it (its reader stops on the row), never a traceback nor DuckDB's sniffer words."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xuanba.cli import app

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\n'
            'weight = 1\n')


def _run(tmp_path, args: list[str], lang: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["--lang", lang, *args], env={"COLUMNS": "300"})
    return res.exit_code, res.output


def _error(out: str) -> str:
    """The error and its fix as the console says them, the file named by its name alone."""
    said = " ".join(out[out.index("error:") if "error:" in out else out.index("错误"):].split())
    return said.replace(str(_error.folder) + "/", "")


def _export(path, bad: str, at: int, n: int) -> None:
    """``n`` rows of customer_id,ts,amount with the row ``bad`` put at data row ``at`` (from 1)."""
    lines = ["customer_id,ts,amount"] + [f"c{i % 97},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i % 50}.5"
                                         for i in range(n)]
    lines.insert(at, bad)
    path.write_text("\n".join(lines) + "\n", "utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("bad", "at", "n"), [
    ("b,2025-01-02,6,99", 31, 60),  # in DuckDB's sample: its sniffer failed ("Error when sniffing file")
    ("b,2025-01-02,6,99", 25_001, 30_000),  # past its sample of 20,480 rows: DuckDB's traceback
    ("b,2025-01-02,6,99,", 25_001, 30_000),  # two cells past the header, the last empty
])
def test_a_row_wider_than_the_header_is_refused_on_duckdb_as_ingest_refuses_it(tmp_path, lang, bad, at, n):
    path = tmp_path / "sales.csv"
    _export(path, bad, at, n)
    _error.folder = tmp_path
    std = tmp_path / "s.toml"
    std.write_text(STANDARD, "utf-8")
    code, out = _run(tmp_path, ["round", "--standard", str(std), "--cutoff", CUTOFF, "--engine", "duckdb",
                                "--source", str(path), "--no-store"], lang)
    refused, said = _run(tmp_path, ["ingest", "-w", str(tmp_path / "ws.duckdb"), "--tz", "UTC", str(path)], lang)
    assert code == refused == 2, out
    assert "Traceback" not in out and "sniffing" not in out, out
    assert _error(out) == _error(said), (out, said)
    assert {"en": f"row {at}:", "zh": f"第 {at} 行"}[lang] in _error(out), out


@pytest.mark.parametrize(("every", "at"), [(False, 10), (False, 25_000), (True, 0)])
def test_a_row_whose_extra_cell_is_empty_is_read_or_refused_as_ingest_does(tmp_path, every, at):
    """``a,b,c,`` under ``a,b,c`` (a delimiter left at the end): on one row, ingest refuses it in
    DuckDB's sniffer sample and reads it as its row below it (its own DuckDB read); on every row, with
    the header's too, it reads the file. DuckDB's round does what ingest does, in its words (en/zh)."""
    from tests.test_engine_source_csv_blank_line import _big, _ingested, _rounds
    from xuanba import Workspace
    from xuanba.errors import InputError
    from xuanba.ingest import ingest

    if every:
        path = tmp_path / "tx.csv"
        path.write_text("customer_id,ts,amount,\n" + "".join(f"c{i},2025-01-{1 + i % 28:02d},{i}.5,\n" for i in range(300)))
    else:
        path = _big(tmp_path, {at: "c5,2025-03-01,5,"})
    try:
        with Workspace(tmp_path / "ws0.duckdb") as ws:
            ingest(str(path), ws, tz="UTC")
    except InputError as refused:
        with pytest.raises(InputError) as said:
            _rounds(path)
        assert said.value.row == refused.row
        for lang in ("en", "zh"):
            assert said.value.phrase.words(lang) == refused.phrase.words(lang)
            assert said.value.fix_phrase.words(lang) == refused.fix_phrase.words(lang)
    else:
        assert _rounds(path) == _ingested(tmp_path, path)
