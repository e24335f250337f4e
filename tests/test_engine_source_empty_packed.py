"""An engine round's ``--source`` CSV with no text (no byte, a UTF-8 byte order mark alone, or with
blank lines) is refused as ingest refuses it ("the file is empty"): e97c1c3's DuckDB read it as one
column ``column0`` and the round asked to map customer_id, ts and amount to it. A compressed CSV
(``sales.csv.gz``) is refused by name: e97c1c3 read it as Parquet and said DuckDB's "No magic bytes
found at end of file"."""

from __future__ import annotations

import gzip

import pytest
from typer.testing import CliRunner

from xuanba.cli import app

STANDARD = '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 1\n'
EMPTY = {"no byte": b"", "a BOM alone": b"\xef\xbb\xbf", "a BOM and blank lines": b"\xef\xbb\xbf\r\n  \r\n\r\n",
         # spaces ingest strips but bytes.strip does not (review30a: c89dfa7 gave DuckDB these, column0)
         "full-width spaces": "\ufeff\u3000\u3000\r\n\u3000\r\n".encode(), "no-break spaces": "\u00a0\n \u00a0\n".encode()}


def _round(tmp_path, source, lang="en"):
    (tmp_path / "s.toml").write_text(STANDARD, encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--engine", "duckdb", "--source", str(source), "--no-store",
                                   "--workspace", str(tmp_path / "w.duckdb")], env={"COLUMNS": "400"})
    return res.exit_code, " ".join(res.output.split())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", list(EMPTY))
def test_an_empty_source_is_said_empty_in_ingests_words(tmp_path, kind, lang):
    path = tmp_path / "sales.csv"
    path.write_bytes(EMPTY[kind])
    code, said = _round(tmp_path, path, lang)
    ingest = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "i.duckdb")],
                                env={"COLUMNS": "400"})
    assert code != 0 and ingest.exit_code != 0
    assert "column0" not in said and "Traceback" not in said, said
    assert " ".join(ingest.output.split()) in said, (said, ingest.output)  # the same words, file and fix
    assert {"en": "the file is empty", "zh": "文件是空的"}[lang] in said


def test_an_empty_file_of_a_glob_is_named(tmp_path):
    (tmp_path / "a.csv").write_text("customer_id,ts,amount\nc1,2025-01-01,5\n", encoding="utf-8")
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbf")
    code, said = _round(tmp_path, tmp_path / "*.csv")
    assert code != 0 and f"{tmp_path / 'b.csv'}: the file is empty" in said, said


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["sales.csv.gz", "*.csv.gz"])
def test_a_gzip_csv_is_refused_by_name(tmp_path, name, lang):
    with gzip.open(tmp_path / "sales.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("customer_id,ts,amount\nc1,2025-01-01,5\n")
    code, said = _round(tmp_path, tmp_path / name, lang)
    assert code != 0 and "Parquet" not in said.split("fix")[0] and "magic" not in said, said
    assert {"en": "is a compressed CSV (.gz), which an engine round does not read",
            "zh": "是压缩过的 CSV（.gz），引擎上的一轮不读取这种文件"}[lang] in said, said
    assert "gzip -d" in said
