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
