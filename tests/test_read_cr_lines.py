"""A file with old Mac line ends (CR alone, no LF) has its bad byte named on its own line: e97c1c3
counted LF alone, so ingest's and an engine round's refusals of such a file (not UTF-8, GBK, damaged
UTF-8, a line from elsewhere, a NUL) all said line 1. Each refusal of the CR file is checked against
the same file with LF line ends (same bytes, same offsets), whose lines e97c1c3 named right."""

from __future__ import annotations

import duckdb
import pytest

from xuanba.errors import InputError
from xuanba.ingest.encodings import not_utf8, refuse_nul
from xuanba.ingest.read import stage

HEAD = b"customer_id,ts,amount\n"
ROWS = {  # the file's lines under the header, the bad one third (line 4 of the file)
    "gbk": [b"a,2025-01-01,5", b"b,2025-01-02,6", "王记,2025-01-03,7".encode("gbk"), b"c,2025-01-04,8"],
    "latin1": [b"a,2025-01-01,5", b"b,2025-01-02,6", "Müller,2025-01-03,7".encode("latin-1"), b"c,2025-01-04,8"],
    "damaged": ["一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五,2025-01-01,5".encode(), b"b,2025-01-02,6",
                "王".encode()[:2] + b",2025-01-03,7", b"c,2025-01-04,8"],
    "mixed": [b"a,2025-01-01,5", "王记,2025-01-02,6".encode(), "李四,2025-01-03,7".encode("gbk"), b"c,2025-01-04,8"],
    "neither": [b"a,2025-01-01,5", b"b,2025-01-02,6", b"\xff,2025-01-03,7", b"c,2025-01-04,8"],
    "nul": [b"a,2025-01-01,5", b"b,2025-01-02,6", b"d\x00,2025-01-03,7", b"c,2025-01-04,8"],
}


def _pair(tmp_path, kind: str):
    lf = tmp_path / "lf.csv"
    lf.write_bytes(HEAD + b"\n".join(ROWS[kind]) + b"\n")
    cr = tmp_path / "cr.csv"
    cr.write_bytes(lf.read_bytes().replace(b"\n", b"\r"))
    return lf, cr


def _said(error: InputError | None, path) -> str:
    assert error is not None
    return error.render("en").replace(str(path), "FILE")


def _refusal(call, path) -> str:
    with pytest.raises(InputError) as info:
        call(path)
    return _said(info.value, path)


@pytest.mark.parametrize("kind", ["gbk", "latin1", "damaged", "mixed"])
def test_an_engine_sources_refusal_names_the_line_of_a_cr_file(tmp_path, kind):
    lf, cr = _pair(tmp_path, kind)
    said = _said(not_utf8(lf), lf)
    assert "line 4" in said, said
    assert _said(not_utf8(cr), cr) == said


@pytest.mark.parametrize("kind", ["neither", "damaged", "mixed", "nul"])
def test_ingests_refusal_names_the_line_of_a_cr_file(tmp_path, kind):
    lf, cr = _pair(tmp_path, kind)

    def ingest(path):
        stage(duckdb.connect(), path, "_raw")

    said = _refusal(ingest, lf)
    assert "line 4" in said, said
    assert _refusal(ingest, cr) == said


def test_a_nul_in_a_cr_file_names_its_line_row_and_column(tmp_path):
    lf, cr = _pair(tmp_path, "nul")
    said = _refusal(refuse_nul, cr)
    assert said == _refusal(refuse_nul, lf)
    assert "FILE, row 3, column 'customer_id'" in said and "line 4" in said, said
