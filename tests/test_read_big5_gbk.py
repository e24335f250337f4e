"""A CSV in Big5 (Traditional Chinese, as Excel in Taiwan and Hong Kong saves one) is named Big5 with
a Big5 fix; e97c1c3's not_utf8 called it GBK and advised converting it from GB18030, which garbles
it, and ingest loaded it so, garbled, without a word (GB18030 decodes nearly any pair of bytes). A
UTF-8 file cut short in a character on the line of its first Chinese (fewer than the ~30 characters
above the bad byte that make it UTF-8 by count) is damaged UTF-8, not GBK. The readings are checked
on common words, Simplified encoded GBK and Traditional encoded Big5, one a line and a file of them."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.ingest.encodings import line_encoding, not_utf8
from xuanba.ingest.read import stage

SIMPLIFIED = ["王记", "陈大文", "客户编号", "金额", "日期", "北京", "上海", "广州", "深圳", "有限公司", "贸易", "科技", "服务", "销售", "退货", "会员", "张伟", "李娜", "刘洋", "杨静", "黄磊", "赵敏", "周杰", "吴军", "徐丽", "孙强", "马超", "朱琳", "胡斌", "郭涛", "何芳", "高峰", "林海", "罗红", "郑凯", "梁燕", "谢明", "宋佳", "唐亮", "许可", "邓超", "冯刚", "韩梅", "曹操", "彭飞", "曾华", "肖雨", "田野", "董洁", "潘越", "袁泉", "蔡明", "蒋欣", "余华", "杜鹃", "叶青", "程琳", "苏醒", "魏晨", "吕方", "丁宁", "任泉", "沈腾", "姚晨", "卢卡", "姜文", "崔健", "钟汉", "谭咏", "陆毅", "汪峰", "范冰", "金城", "石头", "廖凡", "贾玲", "夏雨", "韦唯", "付笛", "方文", "白岩", "邹凯", "孟非", "熊黛", "秦岚", "邱淑", "江华", "尹相", "薛之", "闫妮", "段奕", "雷佳", "侯勇", "龙飞", "黎明", "史可", "陶喆", "贺岁", "顾长", "毛阿", "郝蕾", "龚琳", "邵兵", "万茜", "钱枫", "严屹", "覃彬", "武艺", "戴军", "莫文", "孔令", "向佐", "常远"]
TRADITIONAL = ["王記", "陳大文", "客戶編號", "金額", "日期", "臺北", "高雄", "臺中", "有限公司", "貿易", "科技", "服務", "銷售", "退貨", "會員", "張偉", "李娜", "劉洋", "楊靜", "黃磊", "趙敏", "周杰倫", "吳宗憲", "林志玲", "蔡依林", "郭台銘", "鄭成功", "謝長廷", "蘇貞昌", "馬英九", "陳水扁", "連戰", "宋楚瑜", "柯文哲", "侯友宜", "黃國昌", "羅智強", "賴清德", "蕭美琴", "新竹", "桃園", "嘉義", "屏東", "宜蘭", "花蓮", "臺東", "澎湖", "金門", "馬祖", "基隆", "彰化", "南投", "雲林", "苗栗", "香港", "九龍", "新界", "灣仔", "銅鑼灣", "尖沙咀", "旺角", "沙田", "荃灣", "屯門", "元朗", "將軍澳", "電話", "地址", "備註", "數量", "單價", "訂單", "發票", "客戶", "產品", "類別", "廠商", "門市", "業務", "經理", "總額"]


def test_every_gbk_word_reads_as_gbk_and_most_big5_words_as_big5_one_a_line():
    assert [w for w in SIMPLIFIED if line_encoding(w.encode("gbk")) != ("gbk", w)] == []
    big5 = [w for w in TRADITIONAL if line_encoding(w.encode("big5")) == ("big5", w)]
    assert len(big5) >= 0.9 * len(TRADITIONAL)  # a word whose every character is common in both is GBK's
    wrong = [w for w in TRADITIONAL if line_encoding(w.encode("big5"))[0] not in ("big5", "gbk")]
    assert wrong == []


def test_a_few_lines_tell_big5_from_gbk():
    for start in range(0, len(TRADITIONAL) - 5, 5):
        words = TRADITIONAL[start:start + 5]
        assert line_encoding("\n".join(words).encode("big5"))[0] == "big5", words
    for start in range(0, len(SIMPLIFIED) - 5, 5):
        assert line_encoding("\n".join(SIMPLIFIED[start:start + 5]).encode("gbk"))[0] == "gbk"


def _file(tmp_path, rows, encoding):
    path = tmp_path / "sales.csv"
    text = "customer_id,ts,amount\n" + "".join(f"{w},2025-01-{1 + i % 28:02d},{i}\n" for i, w in enumerate(rows))
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_big5_source_is_named_big5_on_the_engine_and_by_ingest(tmp_path, lang):
    path = _file(tmp_path, TRADITIONAL[:20], "big5")
    said = not_utf8(path).render(lang)
    first = TRADITIONAL[0]
    assert {"en": "the file is Big5 text", "zh": "该文件是 Big5 编码的文本"}[lang] in said, said
    assert first in said and "iconv -f BIG5-HKSCS -t UTF-8" in said and "GB18030 -t" not in said, said
    with pytest.raises(InputError) as info:
        stage(duckdb.connect(), path, "_raw")
    assert "Big5" in info.value.render(lang) and first in info.value.render(lang)
    res = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "w.duckdb")],
                             env={"COLUMNS": "400"})
    assert res.exit_code != 0 and "Big5" in res.output, res.output


def test_a_big5_file_whose_first_line_is_common_in_both_is_told_by_the_lines_below(tmp_path):
    tie = next(w for w in TRADITIONAL if line_encoding(w.encode("big5"))[0] == "gbk")
    path = _file(tmp_path, [tie, *TRADITIONAL[:10]], "big5")
    said = not_utf8(path).render("en")
    assert "Big5" in said and tie in said, said


def test_a_gbk_source_is_still_gbk_and_ingest_reads_it(tmp_path):
    path = _file(tmp_path, SIMPLIFIED[:20], "gbk")
    said = not_utf8(path).render("en")
    assert "GBK/GB18030 text" in said and SIMPLIFIED[0] in said, said
    info = stage(duckdb.connect(), path, "_raw")
    assert info.encoding == "gb18030"


@pytest.mark.parametrize("cut", [1, 2])
def test_utf8_cut_on_the_line_of_its_first_chinese_is_damaged_utf8_not_gbk(tmp_path, cut):
    """客户王记 cut in its last character: 11 bytes of UTF-8 Chinese above the bad byte, below the count
    that makes a file UTF-8; e97c1c3 read the line as GBK ('瀹㈡埛鐜嬭'), advising GB18030."""
    path = tmp_path / "sales.csv"
    path.write_bytes(b"customer_id,ts,amount\n" + "客户王记".encode()[:-cut] + b",2025-01-01,5\nb,2025-01-02,6\n")
    said = not_utf8(path).render("en")
    assert "UTF-8 text but for line 2" in said and "GB18030" not in said and "GBK" in said.split("fix")[1], said


#: GBK's Greek and pinyin, whose bytes Big5 reads as common hanzi (leads 0xA6, 0xA8).
GBK_SYMBOLS = ["α", "β", "μ", "Ω", "ü", "ā", "ǎ", "è"]


def test_gbk_text_with_greek_or_pinyin_is_still_gbk():
    """c89dfa7 counted a GBK symbol (β-胡萝卜素, 500μm, Lü) as Big5 evidence: a GBK line of such a symbol
    and hanzi common in both (客户) read as Big5, and ingest refused a GBK file e97c1c3 loaded."""
    for sym in GBK_SYMBOLS:
        assert sym.encode("gbk")[0] in (0xA6, 0xA8)  # rows Big5 fills with common hanzi
        for word in ["客户", "北京", *SIMPLIFIED[:40]]:
            line = sym + word
            assert line_encoding(line.encode("gbk")) == ("gbk", line), line
        assert line_encoding(f"500{sym}m".encode("gbk")) == ("gbk", f"500{sym}m")


def test_a_gbk_file_with_a_greek_letter_is_ingested_as_gbk(tmp_path):
    path = _file(tmp_path, ["β客户", "α客户", "μ北京"], "gbk")
    assert "GBK/GB18030 text" in not_utf8(path).render("en")
    con = duckdb.connect()
    assert stage(con, path, "_raw").encoding == "gb18030"
    assert con.sql('select "customer_id" from _raw').fetchall() == [("β客户",), ("α客户",), ("μ北京",)]


#: Latin-1 (Windows-1252) text whose high byte before an ASCII letter is a Big5 hanzi's lead (0xA4-0xC6).
LATIN1 = ["25°C", "Ångström", "©Acme", "5µg", "Ärger", "½Kg", "Àlex"]


@pytest.mark.parametrize("word", LATIN1)
def test_latin1_text_is_not_called_big5(tmp_path, word):
    """c89dfa7 read a Latin-1 byte before a letter (°C: 0xB0 0x43) as a Big5 hanzi and told the user
    to convert the file from Big5; it is no Chinese text (its docstring's own Müller case)."""
    raw = word.encode("cp1252")
    assert any(0xA4 <= b <= 0xC6 and 0x40 <= nxt <= 0x7E for b, nxt in zip(raw, raw[1:], strict=False))
    assert line_encoding(raw) == (None, "")
    path = tmp_path / "sales.csv"
    path.write_bytes(b"customer_id,ts,amount\n" + raw + b",2025-01-01,5\n")
    said = not_utf8(path).render("en")
    assert "is not UTF-8 text: line 2" in said and "Big5" not in said and "GB18030" not in said, said


@pytest.mark.parametrize("word", LATIN1)
def test_ingest_refuses_latin1_text_rather_than_load_it_garbled(tmp_path, word):
    """Told not Big5, a Latin-1 file is still no GBK: GB18030 decodes 25°C as 25蚓 (e97c1c3 loaded it
    so, without a word); refused naming the line and byte, as a Latin-1 byte GB18030 cannot decode is."""
    raw = word.encode("cp1252")
    data = b"customer_id,ts,amount\n" + b"".join(b"c%d,2025-01-01,%d\n" % (i, i) for i in range(30))
    data += b"x " + raw + b",2025-01-01,1\n"
    path = tmp_path / "sales.csv"
    path.write_bytes(data)
    byte = next(i for i, b in enumerate(data) if b >= 0x80)
    with pytest.raises(InputError) as info:
        stage(duckdb.connect(), path, "_raw")
    said = info.value.render("en")
    line = data.count(b"\n", 0, byte) + 1
    assert f"neither UTF-8, UTF-16 nor GBK/GB18030 text (line {line} of the file, byte {byte:,}," in said, said
    assert "文件既不是 UTF-8、UTF-16 也不是 GBK/GB18030" in info.value.render("zh")


#: Hong Kong's characters (HKSCS: Cantonese 嘅, 咗, 啲, 嚟, the estate 邨), which Python's plain big5 refuses.
HKSCS = ["嘅", "咗", "啲", "嚟", "邨"]


@pytest.mark.parametrize("char", HKSCS)
def test_a_big5_hkscs_file_is_named_big5_not_loaded_as_gbk(tmp_path, char):
    """c89dfa7 read Big5 only by Python's plain big5, which refuses HKSCS: a Hong Kong file with one
    such character a line was 'not Big5', so GBK, and ingest loaded it garbled without a word."""
    with pytest.raises(UnicodeEncodeError):
        char.encode("big5")
    rows = [w + char for w in TRADITIONAL[:20]]
    path = _file(tmp_path, rows, "big5hkscs")
    said = not_utf8(path).render("en")
    assert "the file is Big5 text" in said and rows[0] in said and "BIG5-HKSCS" in said, said
    with pytest.raises(InputError) as info:
        stage(duckdb.connect(), path, "_raw")
    assert "Big5" in info.value.render("en") and rows[0] in info.value.render("en")
