"""What a round stored about the values of its extra fields (``--fields``) that it could not use,
in the sentence the console and the report both say (one reader of
``meta["extra_fields_not_finite"]``, :func:`xuanba.rounds.extra_names.not_finite`).

Example
-------
>>> meta = {"extra_fields_not_finite": {"nps": {"n": 3, "customers": ["b", "c"]}}}
>>> print(not_finite_line(meta, "en"))
Values of the extra fields that are not finite numbers (±inf, or NaN written in the file) were scored as missing: nps: 3 (customers 'b', 'c', …).
>>> meta = {"extra_fields_not_finite": {"nps": {"n": 1, "customers": ["محمد\u200cرضا\x1b[2J"]}}}
>>> "“محمد\u200cرضا\\\\x1b[2J”" in not_finite_line(meta, "zh")  # a joiner kept, an escape shown
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xuanba.errors import shown
from xuanba.outputs.i18n import num, t


def missing_words_line(meta: Mapping[str, Any], lang: str) -> str | None:
    """The sentence on the extra fields' cells a file writes as a word for missing (``n/a``,
    ``#N/A``, ``NULL``) or that hold an Excel error (a sheet's error cell, ``#DIV/0!``), which the
    round scored as missing (``meta["extra_fields_missing_words"]``,
    :func:`xuanba.rounds.extra_names.missing_words`): each field, how many, the first customers and
    the words (``None``: there were none, or the round is older than this count).

    >>> meta = {"extra_fields_missing_words": {"nps": {"n": 2, "customers": ["a", "c"], "words": ["#N/A"]}}}
    >>> print(missing_words_line(meta, "zh"))
    附加字段中写成表示缺失的词（n/a、#N/A、NULL、NA、None）或为 Excel 错误值（#DIV/0!、#VALUE! 等）的单元格已按缺失计分：nps：2 个（客户 “a”、“c”；写作 “#N/A”）。
    """
    said = meta.get("extra_fields_missing_words") or {}
    if not said:
        return None
    sep = t("list_comma", lang)
    parts = []
    for field, one in said.items():
        ids = [t("name_quoted", lang, name=shown(c, quoted=False)) for c in one.get("customers") or []]
        more = "" if len(ids) >= int(one["n"]) else sep + "…"
        words = sep.join(t("name_quoted", lang, name=shown(w, quoted=False)) for w in one.get("words") or [])
        parts.append(t("missing_words_field", lang, field=shown(field), n=num(int(one["n"])),
                       customers=sep.join(ids) + more, words=words))
    return t("missing_words_line", lang, fields=t("list_sep", lang).join(parts))


def not_finite_line(meta: Mapping[str, Any], lang: str) -> str | None:
    """The sentence on the extra fields' ±inf and written NaN values the round scored as missing:
    each field, how many, the first customers (``None``: there were none, or the round is older
    than this count)."""
    unusable = meta.get("extra_fields_not_finite") or {}
    if not unusable:
        return None
    sep = t("list_comma", lang)
    parts = []
    for field, said in unusable.items():
        ids = [t("name_quoted", lang, name=shown(c, quoted=False)) for c in said.get("customers") or []]
        more = "" if len(ids) >= int(said["n"]) else sep + "…"
        parts.append(t("not_finite_field", lang, field=shown(field), n=num(int(said["n"])), customers=sep.join(ids) + more))
    return t("not_finite_line", lang, fields=t("list_sep", lang).join(parts))
