"""An engine round's CSV source that is not UTF-8 is refused in words that fit what it is: a UTF-8
export cut short in a Chinese name (a copy cut off) or holding one byte of another encoding is no
GBK file, and converting it whole from GB18030 (ad3b793's fix) would garble its UTF-8 names; a
UTF-16 file (Excel's 'Unicode Text') is no GBK file either, and ingest reads it."""

from __future__ import annotations

import codecs

import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.ingest import ingest

STANDARD = '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_total"\nweight = 1\n'
UTF8 = "customer_id,ts,amount\n张三,2025-01-01,5\n李四,2025-01-02,6\n王五,2025-01-03,7\n".encode()


def _refusal(tmp_path, data: bytes, lang: str) -> str:
    path = tmp_path / "tx.csv"
    path.write_bytes(data)
    (tmp_path / "s.toml").write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "-s", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                   "--engine", "duckdb", "--source", str(path), "--no-store"], env={"COLUMNS": "1000"})
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    return " ".join(res.output.split())


@pytest.mark.parametrize("tail", [b"\xe8\xb5", b"caf\xe9,2025-01-04,8\n"], ids=["cut", "latin1"])
def test_a_damaged_utf8_file_is_not_called_gbk_nor_told_to_convert_from_gb18030(tmp_path, tail):
    data = UTF8 + tail
    bad = len(UTF8) + tail.index(next(b for b in tail if b >= 0x80).to_bytes(1, "big"))
    line = data[:bad].count(b"\n") + 1
    said = {lang: _refusal(tmp_path, data, lang) for lang in ("en", "zh")}
    for words in said.values():
        assert "GBK/GB18030 编码的文本" not in words and "GBK/GB18030 text" not in words and "-f GB18030" not in words
    assert f"UTF-8 text but for line {line} (byte {bad})" in said["en"], said["en"]
    assert f"Correct line {line} of the file" in said["en"]
    assert f"第 {line} 行（第 {bad} 字节）" in said["zh"] and "解决办法" in said["zh"], said["zh"]


def test_a_utf16_file_is_said_to_be_utf16_which_ingest_reads(tmp_path):
    data = codecs.BOM_UTF16_LE + UTF8.decode().encode("utf-16-le")
    said = {lang: _refusal(tmp_path, data, lang) for lang in ("en", "zh")}
    assert "the file is UTF-16 text" in said["en"] and "iconv -f UTF-16 -t UTF-8" in said["en"], said["en"]
    assert "GB18030" not in said["en"] and "UTF-16 编码的文本" in said["zh"], said
    with Workspace(tmp_path / "ws.duckdb") as ws:  # the fix's word: ingest reads it
        ingest(str(tmp_path / "tx.csv"), ws, tz="UTC")
        got = ws.con.execute("SELECT count(DISTINCT customer_id), sum(amount) FROM transactions").fetchone()
    assert got[0] == 3 and float(got[1]) == 18


def test_a_gbk_file_whose_first_chinese_spans_a_chunk_is_still_gbk(tmp_path, monkeypatch):
    """The bytes the decoder holds at a chunk's end are not counted as UTF-8 text read."""
    from xuanba.ingest import read

    data = "customer_id,ts,amount\n张三,2025-01-01,5\n".encode("gbk")
    monkeypatch.setattr(read, "_CHUNK", data.index("张".encode("gbk")) + 1)  # the lead byte ends a chunk
    path = tmp_path / "gbk.csv"
    path.write_bytes(data)
    assert "GBK/GB18030 text" in read.not_utf8(path).render("en")
