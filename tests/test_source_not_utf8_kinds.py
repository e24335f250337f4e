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
NAMES = ["张三丰", "李四海", "王五洲", "赵六合", "钱七星", "孙八方", "周九龙", "吴十全", "郑一鸣", "冯二虎", "陈三多"]
UTF8 = ("customer_id,ts,amount\n" + "".join(f"{n},2025-01-0{1 + i % 9},{i + 1}\n" for i, n in enumerate(NAMES))).encode()


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
    assert got[0] == len(NAMES) and float(got[1]) == sum(range(1, len(NAMES) + 1))


@pytest.mark.parametrize("chunk", [1, 2, 5, 7, 8 << 20])
def test_chunks_cutting_characters_change_neither_the_words_nor_the_line_and_byte(tmp_path, monkeypatch, chunk):
    """Read in chunks that cut the UTF-8 names and the GBK ones: the same refusal as in one read."""
    from xuanba.ingest import encodings

    monkeypatch.setattr(encodings, "_CHUNK", chunk)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(UTF8 + "王".encode()[:2])
    line = UTF8.count(b"\n") + 1
    assert f"UTF-8 text but for line {line} (byte {len(UTF8)})" in encodings.not_utf8(cut).render("en")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(UTF8.decode().encode("gbk"))
    said = encodings.not_utf8(gbk).render("en")
    assert "GBK/GB18030 text" in said and f"read so: '{NAMES[0]},2025-01-01,1'" in said, said


def test_a_gbk_file_whose_first_names_are_valid_utf8_is_still_gbk(tmp_path):
    """GBK's 一 and 业 (D2 BB, D2 B5) are valid UTF-8 too: a GBK export whose first Chinese is such
    is not taken for UTF-8 damaged further down (ingest's own bar: about 30 characters of UTF-8)."""
    from xuanba.ingest.encodings import not_utf8

    path = tmp_path / "gbk.csv"
    path.write_bytes("customer_id,ts,amount\n一业,2025-01-01,5\n张三,2025-01-02,6\n".encode("gbk"))
    assert "GBK/GB18030 text" in not_utf8(path).render("en")
