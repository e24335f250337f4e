"""The bytes of a delimited text file before it is read as a table: its encoding, and what refuses it.

Ingest reads UTF-8 (a byte order mark allowed), UTF-16 with its mark, and GB18030/GBK as Chinese Excel
and ERP exports write it, transcoded to a temporary UTF-8 copy in chunks (:func:`_utf8_file`: DuckDB
reads UTF-8 only); it refuses, naming the line and the byte, Big5 or Latin-1 text that GB18030 would
garble, a UTF-8 file holding lines in another encoding, a NUL byte and a file without text. An engine
round, which reads its ``--source`` as UTF-8 itself, refuses such files before its engine reads them
(:func:`refuse_nul`, :func:`refuse_empty`, :func:`not_utf8`). Files are read in chunks of
:data:`_CHUNK` bytes: the bad byte may lie gigabytes down.

Example
-------
>>> line_encoding("王记客户资料".encode("gbk")), line_encoding("王記客戶資料".encode("big5"))
(('gbk', '王记客户资料'), ('big5', '王記客戶資料'))
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xuanba._files import process_gone
from xuanba.errors import InputError, Phrase, quoted
from xuanba.ingest.delimiters import _LINE, sniff_delimiter

_CHUNK = 8 << 20


def _sniff_bytes(path: Path) -> tuple[str | None, str, int | None]:
    """(encoding decided from the first bytes or None, sha256 of the whole file, the offset of its
    first NUL byte in a file that is not UTF-16, where no text table has one: found by the read
    that hashes the file, so a good file is read once)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    multibyte = seen = 0
    encoding: str | None = None
    nul: int | None = None
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if nul is None and not (encoding or "").startswith("utf-16") and (at := chunk.find(b"\x00")) >= 0:
                nul = seen + at
            if first:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    encoding = "utf-8-sig"
                elif chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    encoding = "utf-16"
                elif b"\x00" in chunk[:4096]:
                    head = chunk[:4096]
                    if head[1::2].count(0) > len(head) // 4:
                        encoding = "utf-16-le"
                    elif head[0::2].count(0) > len(head) // 4:
                        encoding = "utf-16-be"
                    else:
                        encoding = "binary"
            if encoding is None and utf8_ok:
                try:
                    multibyte += len(chunk) - len(utf8.decode(chunk))
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    good = chunk[: max(exc.start, 0)]
                    multibyte += len(good) - len(good.decode("utf-8", "ignore"))
                    if multibyte >= _UTF8_TEXT:  # long valid UTF-8 text, then a bad byte: not GBK
                        _mostly_utf8(path, seen + max(exc.start, 0))
            seen += len(chunk)
    if encoding is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
        encoding = "utf-8" if utf8_ok else None
    return encoding, digest.hexdigest(), nul if not (encoding or "").startswith("utf-16") else None


def _line_at(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return fh.read(offset).count(_line_byte(path)) + 1


def _line_byte(path: Path) -> bytes:
    """The byte that ends a line of ``path``: LF, or CR where its first chunk holds a CR and no LF
    (old Mac line ends, which DuckDB and the csv module read line by line too: counting LF alone
    named every bad byte of such a file on line 1)."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    return _ends_with(head)


def _ends_with(head: bytes) -> bytes:
    """:func:`_line_byte` of a file whose first chunk is ``head``."""
    return b"\r" if b"\r" in head and b"\n" not in head else b"\n"


def _file_lines(fh: Any, end: bytes) -> Iterator[bytes]:
    """The lines of the binary file ``fh`` from where it stands, each with its ``end`` byte (LF or CR)."""
    if end == b"\n":
        yield from fh
        return
    rest = b""
    while chunk := fh.read(_CHUNK):
        *whole, rest = (rest + chunk).split(end)
        yield from (line + end for line in whole)
    if rest:
        yield rest


#: Bytes past one per character of valid UTF-8 above a bad byte that make a file UTF-8 text, not GBK
#: (about 30 Chinese characters; GBK's 一 and 业 are valid UTF-8 too, a few such are not enough).
_UTF8_TEXT = 60


def _mostly_utf8(path: Path, offset: int) -> None:
    line = f"{_line_at(path, offset):,}"
    raise InputError(Phrase("err_mostly_utf8", line=line, byte=f"{offset:,}"), file=str(path),
                     fix=Phrase("err_mostly_utf8_fix"))


_GBK_LINES_TO_BE_SURE = 200  # non-UTF-8 lines with no UTF-8 Chinese line among them: a GBK file


def _refuse_mixed(path: Path) -> None:
    """Raise when a file that is not all UTF-8 holds a line of UTF-8 Chinese text: it is a UTF-8
    file with some lines in another encoding (pasted from elsewhere), and decoding it whole as
    GBK would garble every UTF-8 line. Reads lines until such a line, or until enough lines fail
    UTF-8 to take the file for GBK (a GBK file stops after a few hundred lines)."""
    first_bad = 0
    bad = 0
    with path.open("rb") as fh:
        lines = _file_lines(fh, _line_byte(path))
        for number, raw in enumerate(lines, start=1):
            if raw.isascii():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                first_bad = first_bad or number
                bad += 1
                if bad >= _GBK_LINES_TO_BE_SURE:
                    return
                continue
            if max(text) >= "\u0800":  # Chinese (or other three-byte) text, valid UTF-8
                if first_bad:
                    raise mixed_encoding(path, number, text, first_bad)
                utf8_line, utf8_text = number, text
                break
        else:
            return
        for number, raw in enumerate(lines, start=utf8_line + 1):  # a UTF-8 line came first: find the other
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise mixed_encoding(path, utf8_line, utf8_text, number) from None


_LINES_TO_TELL = 50  # non-UTF-8 lines read to tell Big5 from GBK


def _refuse_big5(path: Path) -> None:
    """Raise where the first non-UTF-8 lines of ``path`` read as Big5 (Traditional Chinese) rather
    than GBK (:func:`line_encoding` over them together), or as single-byte text (Latin-1's ``25°C``,
    :func:`_single_byte`): GB18030 decodes nearly any pair of bytes, so such a file was loaded as
    garbled text without a word."""
    first: tuple[int, bytes] | None = None
    taken: list[bytes] = []
    seen = at = 0  # at: the offset of the first such line
    with path.open("rb") as fh:
        for number, raw in enumerate(_file_lines(fh, _line_byte(path)), start=1):
            seen += len(raw)
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                if first is None:
                    first, at = (number, raw), seen - len(raw)
                taken.append(raw)
                if len(taken) >= _LINES_TO_TELL:
                    break
    if first is not None and _single_byte(b"".join(taken)):  # Latin-1's 25°C: GB18030 would garble it
        byte = at + next(i for i, b in enumerate(first[1]) if b >= 0x80)
        raise InputError(Phrase("err_encoding", line=f"{first[0]:,}", byte=f"{byte:,}", encoding="GBK/GB18030"),
                         file=str(path), fix=Phrase("err_encoding_fix"))
    if first is None or line_encoding(b"".join(taken))[0] != "big5":
        return
    text = first[1].rstrip(b"\r\n").decode(_BIG5, "replace")
    raise InputError(Phrase("err_big5", line=f"{first[0]:,}", text=quoted(text[:60])), file=str(path),
                     fix=Phrase("err_big5_fix"))


def mixed_encoding(path: Path, utf8_line: int, utf8_text: str, bad_line: int) -> InputError:
    """The refusal of the file ``path`` whose line ``utf8_line`` is UTF-8 Chinese text (``utf8_text``)
    and whose line ``bad_line`` is not UTF-8 (ingest's, and an engine round's CSV source's)."""
    with path.open("rb") as fh:
        shown = next((raw for i, raw in enumerate(_file_lines(fh, _line_byte(path)), start=1) if i == bad_line), b"")
    return InputError(
        Phrase("err_mixed_encoding", utf8_line=f"{utf8_line:,}", utf8_text=repr(utf8_text.strip()[:40]),
               bad_line=f"{bad_line:,}", shown=repr(shown.decode("gb18030", "replace").strip()[:40])),
        file=str(path),
        fix=Phrase("err_mixed_encoding_fix", bad_line=f"{bad_line:,}"),
    )


_NUL_MARK = "\ue000"  # a private-use character standing for the NUL while its cell is found


def _nul_error(path: Path, offset: int, encoding: str) -> InputError:
    """The refusal of a file with a NUL byte at ``offset``: binary, damaged, or UTF-16 text without
    its mark. Names the line of the file and the byte; and, when the lines above it read as a
    table (a header line without a NUL), the row (the first record under the header being row 1)
    and the column of the cell that holds it."""
    end = _line_byte(path)
    with path.open("rb") as fh:
        above = fh.read(offset)
        rest = next(_file_lines(fh, end), b"")
    line = above.count(end) + 1
    row = column = None
    if end in above:  # a header line above it, which reads as text
        text = (above + rest).decode(encoding, "replace").replace("\x00", _NUL_MARK)
        delim = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(_LINE.findall(text)[:200])
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if r]
        except csv.Error:  # a quote left open: the line of the file is said
            records = []
        if len(records) > 1:
            cell = next((i for i, v in enumerate(records[-1]) if _NUL_MARK in v), None)
            row = len(records) - 1
            column = records[0][cell] if cell is not None and cell < len(records[0]) else None
    return InputError(Phrase("err_nul", line=f"{line:,}", byte=f"{offset:,}"), file=str(path), row=row,
                      column=column, fix=Phrase("err_nul_fix", line=f"{line:,}"))


def refuse_nul(path: str | os.PathLike[str]) -> None:
    """Refuse the delimited text file at ``path`` where it holds a NUL byte, as ingest refuses it
    (:func:`_nul_error`: its line, row and column); for a reader that takes the file itself (an
    engine round's ``--source file.csv``: DuckDB reads a NUL into the cell, a customer id of its own).
    A file with a UTF-16 mark is left to its reader: its zero bytes are text.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"customer_id,ts,amount\\na\\x00,2025-01-01,5\\n")
    >>> refuse_nul(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...t.csv, row 1, column 'customer_id': the file holds a NUL byte ... at line 2 ...
    ...
    """
    path = Path(path)
    seen = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if not seen and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return
            if (at := chunk.find(b"\x00")) >= 0:
                raise _nul_error(path, seen + at, "utf-8")
            seen += len(chunk)


def refuse_empty(path: str | os.PathLike[str]) -> None:
    """Refuse the delimited text file at ``path`` where it holds no text, as ingest refuses it: no
    byte (``err_file_empty``), or nothing but a UTF-8 byte order mark, spaces and line ends
    (``err_file_blank``); for a reader that takes the file itself (an engine round's ``--source``:
    DuckDB reads such a file as one column, ``column0``, and the round asked to map the fields to it).
    Reads to the first byte of text.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbf\\r\\n")
    >>> refuse_empty(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...t.csv: the file is empty (no lines with data)
    ...
    """
    path = Path(path)
    with path.open("rb") as fh:
        chunk = fh.read(_CHUNK)
        if not chunk:
            raise InputError(Phrase("err_file_empty"), file=str(path), fix=Phrase("err_file_empty_fix"))
        chunk = chunk.removeprefix(codecs.BOM_UTF8)
        text = codecs.getincrementaldecoder("utf-8")("replace")  # spaces as ingest strips them: U+3000, NBSP
        while not text.decode(chunk).strip():
            if not (chunk := fh.read(_CHUNK)):
                raise InputError(Phrase("err_file_blank"), file=str(path), fix=Phrase("err_file_blank_fix"))


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """Rewrite ``path`` from ``encoding`` to UTF-8 in chunks; error names the first bad line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as src, out.open("wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = done + exc.start
                line = _line_at(path, bad)
                raise InputError(
                    Phrase("err_encoding", line=f"{line:,}", byte=f"{bad:,}", encoding=encoding),
                    file=str(path),
                    fix=Phrase("err_encoding_fix"),
                ) from None
            dst.write(text.encode("utf-8"))
            done += len(chunk)
            if final:
                break


_COPY_PREFIX = "xuanba-ingest-"  # + pid: the folder of a run's transcoded UTF-8 copy


def _remove_copies_of_killed_runs() -> None:
    """Remove the transcoded copies left in the temp folder by ingests that were killed (POSIX).

    A copy's folder is named after the process that made it; one whose process is gone is removed.
    """
    import shutil

    if os.name != "posix":
        return
    try:
        entries = list(Path(tempfile.gettempdir()).glob(f"{_COPY_PREFIX}*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name[len(_COPY_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and process_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _utf8_file(path: Path, tmpdir: Path) -> tuple[Path, str, str]:
    """(a UTF-8 file DuckDB can read, the source encoding, sha256 of the original)."""
    if path.stat().st_size == 0:
        raise InputError(Phrase("err_file_empty"), file=str(path), fix=Phrase("err_file_empty_fix"))
    encoding, digest, nul = _sniff_bytes(path)
    if nul is not None:  # in the head (a binary file) or anywhere below it (a damaged one)
        raise _nul_error(path, nul, "gb18030" if encoding is None else "utf-8")
    if encoding in ("utf-8", "utf-8-sig"):
        return path, encoding, digest
    target = tmpdir / (path.stem + ".utf8.csv")
    if encoding is None:
        _refuse_mixed(path)
        _refuse_big5(path)
        _transcode(path, "gb18030", target)
        return target, "gb18030", digest
    _transcode(path, encoding, target)
    return target, encoding, digest


def not_utf8(path: str | os.PathLike[str]) -> InputError | None:
    """The refusal of the CSV at ``path`` where it is not UTF-8 text (a BOM allowed), ``None`` where it
    is: its first byte that is not, that byte's line, and the line's text where it reads as Chinese
    GBK/GB18030 (Chinese Excel's and ERPs' plain CSV) or Big5 (:func:`line_encoding`). UTF-8 text above the bad
    byte, as much as makes ingest call a file UTF-8 (:data:`_UTF8_TEXT`), is a UTF-8 file cut short or
    holding a byte from elsewhere, and a whole line of UTF-8 Chinese above it a UTF-8 file with a line
    from elsewhere (ingest's words, :func:`mixed_encoding`): converted from GB18030, as the GBK words
    ask, either would be garbled. A UTF-16 file (its byte order mark) is said to be one. An engine round reads its ``--source`` as UTF-8 (DuckDB stops at the first bad byte with
    its own words, Spark reads GBK as garbled names, two customers' garbled ids one), where ingest
    reads GBK and UTF-16 itself. Read in chunks: the bad byte may lie gigabytes down.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("customer_id,ts,amount\\n张三,2025-01-01,5\\n".encode("gbk"))
    >>> said = not_utf8(p).render("en")
    >>> "is GBK/GB18030 text" in said, "(line 2 of the file, read so: '张三,2025-01-01,5')" in said
    (True, True)
    >>> _ = p.write_bytes("customer_id,ts,amount\\n张三,2025-01-01,5\\n".encode())
    >>> not_utf8(p) is None
    True
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen = breaks = start = 0
    offset: int | None = None
    multibyte = 0  # the bytes past one per character read as UTF-8 above the bad byte (ingest's count)
    wide: tuple[int, str] | None = None  # the first line with UTF-8 text of three bytes a character, and its text
    end, nl = b"\n", "\n"  # a line's end: CR in a file of old Mac line ends (:func:`_ends_with`)
    with Path(path).open("rb") as fh:
        while offset is None:
            chunk = fh.read(_CHUNK)
            if not seen and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return InputError(Phrase("err_source_utf16"), file=str(path), fix=Phrase("err_source_utf16_fix"))
            if not seen:
                end = _ends_with(chunk)
                nl = end.decode()
            held = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
                multibyte += held + len(chunk) - len(text)
            except UnicodeDecodeError as exc:
                at = exc.start - (len(exc.object) - len(chunk))  # the bytes the decoder held come first
                text = exc.object[:exc.start].decode("utf-8")
                chunk, offset = chunk[:max(at, 0)], seen + at
                multibyte += len(chunk) - len(chunk.decode("utf-8", "ignore"))
            else:
                if not chunk:
                    return None
            multibyte -= len(decoder.getstate()[0])  # held for the next chunk: counted with it
            if wide is None and (m := re.search("[\u0800-\U0010ffff]", text)):
                wide = (breaks + text.count(nl, 0, m.start()) + 1,
                        text[text.rfind(nl, 0, m.start()) + 1:].split(nl, 1)[0].rstrip("\r"))
            breaks += chunk.count(end)
            if end in chunk:
                start = seen + chunk.rfind(end) + 1
            seen += len(chunk)
        fh.seek(start)
        below = _file_lines(fh, end)
        raw = next(below, b"").rstrip(b"\r\n")
        more = [line for line in itertools.islice(below, 10 * _LINES_TO_TELL)  # Big5 or GBK: told over more text
                if not line.isascii() and not _decodes(line, "utf-8")][:_LINES_TO_TELL]
    line = breaks + 1
    if multibyte >= _UTF8_TEXT:  # UTF-8 text cut short or with a byte of another encoding: converting it all would garble it
        return InputError(Phrase("err_source_utf8_damaged", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_utf8_damaged_fix", line=f"{line:,}"))
    if wide is not None and wide[0] < line:  # a whole line of UTF-8 Chinese above (not the bad line's start)
        return mixed_encoding(Path(path), wide[0], wide[1], line)
    kind, text = line_encoding(raw)
    if kind in ("gbk", "big5") and more:  # the lines below (not UTF-8) tell them apart where one line cannot
        told = line_encoding(b"\n".join([raw, *more]))[0]
        kind, text = (told, raw.decode(_BIG5 if told == "big5" else "gb18030", "replace")) \
            if told in ("gbk", "big5") else (kind, text)
    if kind == "utf-8":  # UTF-8 Chinese on the bad line itself, too little above it for the count
        return InputError(Phrase("err_source_utf8_damaged", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_utf8_damaged_fix", line=f"{line:,}"))
    if kind == "big5":
        return InputError(Phrase("err_source_big5", line=f"{line:,}", text=quoted(text[:60])), file=str(path),
                          fix=Phrase("err_source_big5_fix"))
    if kind is None:
        return InputError(Phrase("err_source_not_utf8", line=f"{line:,}", byte=f"{offset:,}"), file=str(path),
                          fix=Phrase("err_source_not_utf8_other_fix"))
    return InputError(Phrase("err_source_gbk", line=f"{line:,}", text=quoted(text[:60])), file=str(path),
                      fix=Phrase("err_source_not_utf8_fix"))


def _cjk(text: str) -> int:
    """How many characters of ``text`` are Chinese ideographs (CJK Unified, U+4E00–U+9FFF)."""
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def _pairs(raw: bytes) -> tuple[int, int, int, int]:
    """Counts over the two-byte characters of ``raw`` as GBK and Big5 both write them (a lead from
    0x81, then a byte; GB18030's four bytes apart): (GB2312's hanzi and symbols, every common GBK
    character: both bytes from 0xA1 up, a lead to 0xA9 a symbol; or four bytes), (Big5's level-1
    hanzi, every common Big5 character: a lead 0xA4–0xC6), (those of Big5's level 1 that are no
    GB2312 character: a lead 0xAA–0xAF, GBK's unassigned rows, or a second byte below 0xA1, a rare
    GBK character; not a lead 0xA4–0xA9 after 0xA0, GBK's Greek, kana, pinyin ü and box lines, which
    a GBK file writes beside its hanzi as Big5 writes hanzi there), (GB2312
    hanzi that are no Big5 level-1 hanzi: a lead 0xC7 and up, Big5's rare level 2)."""
    gbk = big5 = only_big5 = only_gbk = 0
    i, n = 0, len(raw)
    while i < n:
        lead = raw[i]
        if lead < 0x81 or i + 1 >= n:
            i += 1
            continue
        if 0x30 <= raw[i + 1] <= 0x39 and i + 3 < n:  # GB18030's four bytes
            gbk, i = gbk + 1, i + 4
            continue
        trail = raw[i + 1]
        common_gbk = 0xB0 <= lead <= 0xF7 and trail >= 0xA1
        symbol = (lead == 0xA6 and trail >= 0xA1) or (lead == 0xA8 and 0xA1 <= trail <= 0xC0)  # GBK's Greek, pinyin
        common_big5 = 0xA4 <= lead <= 0xC6 and (0x40 <= trail <= 0x7E or trail >= 0xA1)
        gbk += common_gbk or symbol
        big5 += common_big5
        only_big5 += common_big5 and not common_gbk and not symbol
        only_gbk += common_gbk and not common_big5
        i += 2
    return gbk, big5, only_big5, only_gbk


def _single_byte(raw: bytes) -> bool:
    """Whether ``raw`` reads as single-byte text (Latin-1's ``25°C``, ``Ångström``) rather than
    Chinese: each byte from 0x80 stands alone between ASCII bytes but the one after it, an ASCII
    letter or sign that Big5 would take as a hanzi's second byte (``°C`` is 0xB0 0x43, Big5's 蚓).
    Chinese text writes two characters together or one with two high bytes (GB18030's four too);
    a lone Big5 hanzi whose second byte is ASCII between ASCII cells is the one text taken so."""
    i, n, after = 0, len(raw), -1  # after: where the last character read as two bytes ended
    while i < n:
        if raw[i] < 0x80:
            i += 1
            continue
        if i + 1 < n and (raw[i + 1] >= 0x80 or raw[i + 1] in b"0123456789" or after == i):
            return False
        i, after = i + 2, i + 2
    return True


#: Big5 as Hong Kong writes it too (HKSCS: 嘅, 咗, 邨), which Python's ``big5`` refuses: a Hong Kong
#: file so read as no Big5 was GBK, and ingest loaded it garbled. (Tried after ``big5``, which reads
#: a few codes, as 0xC6A1 up, that this one does not.)
_BIG5 = "big5hkscs"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def line_encoding(raw: bytes) -> tuple[str | None, str]:
    """The encoding the Chinese text of ``raw`` (a line, or lines, not all UTF-8) is written in, and
    the text read so: ``"utf-8"`` (UTF-8 Chinese with a byte cut short or from elsewhere), ``"gbk"``
    (GBK/GB18030, Simplified Chinese as Chinese Excel and ERPs save a CSV) or ``"big5"`` (Traditional
    Chinese, as Excel in Taiwan and Hong Kong saves one); ``(None, "")`` where no reading gives
    common Chinese characters (Latin-1 ``Müller``, Shift-JIS). UTF-8 wins where its reading holds as
    many ideographs as the others hold common characters (a tie's fix garbles nothing). Between GBK
    and Big5 (:func:`_pairs`), Big5 where more of its characters are common Big5 ones that GBK would
    read as kana or rare characters than the other way round (Big5's 王記 is 0xA4FD 0xB04F); a line
    whose every character is common in both (北京 is 0xB1B1 0xBEA9 in GBK, two level-1 hanzi to Big5)
    is GBK, the encoding of most Chinese CSV files.

    Example
    -------
    >>> line_encoding("王记客户资料".encode("gbk")), line_encoding("王記客戶資料".encode("big5"))
    (('gbk', '王记客户资料'), ('big5', '王記客戶資料'))
    >>> line_encoding("客户王记".encode()[:-1])[0], line_encoding("Müller".encode("latin-1"))
    ('utf-8', (None, ''))
    """
    if _single_byte(raw):  # Latin-1's 25°C, Ångström: no Chinese, whatever Big5 makes of it
        return None, ""
    utf8 = raw.decode("utf-8", "replace")
    gbk, big5, only_big5, only_gbk = _pairs(raw)
    big5_codec = next((c for c in ("big5", _BIG5) if _decodes(raw, c)), None)  # plain Big5 first
    is_gbk, is_big5 = gbk and _decodes(raw, "gb18030"), big5 and big5_codec is not None
    if (ideographs := _cjk(utf8)) and ideographs >= max(gbk if is_gbk else 0, big5 if is_big5 else 0):
        return "utf-8", utf8
    if is_big5 and (only_big5 > only_gbk or not is_gbk):
        return "big5", raw.decode(big5_codec or _BIG5)
    if is_gbk:
        return "gbk", raw.decode("gb18030")
    return None, ""


def refuse_not_utf8(path: str | os.PathLike[str]) -> None:
    """Raise :func:`not_utf8`'s refusal of the CSV at ``path``, if any: Spark's round checks each
    local file of its ``--source`` so before reading it (Spark reads GBK as garbled text; DuckDB
    stops at the bad byte itself, said by ``rounds.engine.csv_read_refused``)."""
    if (refusal := not_utf8(path)) is not None:
        raise refusal
