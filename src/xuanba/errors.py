"""One exception tree for everything a user can get wrong.

Every error says what was found, what was expected and how to fix it, and carries the facts
(file, row, column, example ids) so that the CLI and the web app can show them. The CLI turns a
:class:`XuanbaError` into a clean message and its ``exit_code``; a traceback always means a bug
in xuanba, never a user mistake.

Example
-------
>>> err = InputError("amount is not a number", file="sales.csv", row=12, column="金额",
...                  fix="Remove the currency sign or map another column.")
>>> print(err)
sales.csv, row 12, column '金额': amount is not a number
  fix: Remove the currency sign or map another column.

An error whose words are phrases of :mod:`xuanba.i18n` (a :class:`Phrase`: key and fields) reads
in English as ``str(err)`` and in another language through :meth:`XuanbaError.render`, which the
command line calls with its ``--lang``; file, row and column stay as they are:

>>> err = InputError(Phrase("err_not_a_date", what="the date", value="'31/13/2026'"), file="sales.csv",
...                  row=3, column="日期", fix=Phrase("err_not_a_date_fix", what="the date"))
>>> print(err)
sales.csv, row 3, column '日期': the date '31/13/2026' is not a date
  fix: Write the date as YYYY-MM-DD, e.g. 2026-06-30.
>>> print(err.render("zh"))
sales.csv，第 3 行，“日期”列：the date '31/13/2026' 不是有效的日期
  解决办法：请把 the date 写成 YYYY-MM-DD，例如 2026-06-30。
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

#: Unicode categories a console line does not show as written: controls (a line break, a carriage
#: return, an ANSI escape), format characters (a zero-width space, a right-to-left override), line
#: and paragraph separators, and the lone surrogates a file name of undecodable bytes arrives with.
_UNSHOWN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def shown(value: object, *, quoted: bool = True, keep: str = "") -> str:
    r"""Text taken from the data (a header, a sheet or file name, a customer id, a label) as a console
    line or an error names it: as written, or with its escapes where it holds a character a terminal
    acts on or does not show (:data:`_UNSHOWN`), quoted (``'数量\n(件)'``) or, with ``quoted=False``,
    each such character written as its escape in place (for a place that quotes it already);
    ``keep``: characters left as they are there. Spaces are shown as spaces (a full-width one too).
    The one definition every console line and error uses.

    Example
    -------
    >>> print(shown("成本（元）"), shown("客户　名称"), shown("数量\n(件)"), shown("cost\x1b[31m"), shown("a\u202eb"))
    成本（元） 客户　名称 '数量\n(件)' 'cost\x1b[31m' 'a\u202eb'
    >>> print(shown("a\tb\nc", quoted=False)); shown("a\nb\x1b", quoted=False, keep="\n")
    a\tb\nc
    'a\nb\\x1b'
    >>> print(shown("محمد\u200cرضا"), shown("👩\u200d💻"), shown("a\u200db"), shown("\u200cرضا"))
    محمد‌رضا 👩‍💻 'a\u200db' '\u200cرضا'
    """
    text = str(value)
    if not any(_unshown(text, i) for i in range(len(text))):
        return text
    if quoted:
        return repr(text)
    return "".join(repr(ch)[1:-1] if ch not in keep and _unshown(text, i) else ch for i, ch in enumerate(text))


#: The joiners a script's words and emoji hold (Persian ``می‌شود``, 👨‍👩‍👧): format characters that
#: are shown, as how the letters beside them join, where they stand between two such letters.
_JOINERS = frozenset("\u200c\u200d")


def _unshown(text: str, i: int) -> bool:
    """Whether ``text[i]`` is a character a console line does not show as written (:data:`_UNSHOWN`),
    but a joiner between two letters, marks or symbols past ASCII (a Latin ``a``\u200d``b`` stays
    escaped: nothing there is joined)."""
    ch = text[i]
    if unicodedata.category(ch) not in _UNSHOWN:
        return False
    return not (ch in _JOINERS and 0 < i < len(text) - 1 and _joins(text[i - 1]) and _joins(text[i + 1]))


def _joins(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] in "LMS"


class Phrase:
    """Words of an error that a reader gets in their language: the key of a phrase of
    :mod:`xuanba.i18n` and the values of its fields. A field's value may itself be a phrase, or a
    list of phrases (one per line).

    Example
    -------
    >>> Phrase("err_no_round", round_id="7").words("en")
    'there is no round 7'
    """

    __slots__ = ("key", "fields")

    def __init__(self, key: str, /, **fields: Any) -> None:
        self.key = key
        self.fields = fields

    def words(self, lang: str) -> str:
        """The phrase in ``lang`` (``"en"`` or ``"zh"``), its fields filled in."""
        from xuanba.i18n import t

        return t(self.key, lang, **{k: in_words(v, lang) for k, v in self.fields.items()})

    def __repr__(self) -> str:
        return f"Phrase({self.key!r}, **{self.fields!r})"


class Listed(Phrase):
    """Names listed in the reader's language (:mod:`xuanba.i18n`'s ``list_comma``: ``a, b``,
    ``a、b``), each quoted as that language quotes a name (``'a'``, ``“a”``) when ``quoted``.

    Example
    -------
    >>> Listed(["customer_id", "ts"], quoted=True).words("en"), Listed(["会员卡号", "消费时间"]).words("zh")
    ("'customer_id', 'ts'", '会员卡号、消费时间')
    """

    __slots__ = ()

    def __init__(self, names: Iterable[Any], *, quoted: bool = False) -> None:
        super().__init__("list_comma", names=[str(n) for n in names], quoted=quoted)

    def words(self, lang: str) -> str:
        from xuanba.i18n import t

        names = self.fields["names"]
        if self.fields["quoted"]:
            names = [t("name_quoted", lang, name=n) for n in names]
        return t("list_comma", lang).join(names)


class Said(Phrase):
    """Words another program said (a parser's English, kept as they are for an English reader)
    and a phrase of the table that says the same thing to a reader of another language.

    Example
    -------
    >>> said = Said("Cannot overwrite a value", Phrase("err_toml_key_twice", key=quoted("name")))
    >>> said.words("en"), said.words("zh")
    ('Cannot overwrite a value', '同一个表里键 “name” 写了两次')
    """

    __slots__ = ()

    def __init__(self, english: Any, other: Phrase) -> None:
        super().__init__(other.key, english=english, other=other)

    def words(self, lang: str) -> str:
        return str(in_words(self.fields["english"] if lang == "en" else self.fields["other"], lang))


def quoted(value: Any) -> Listed:
    r"""Text of the data (a name, a value, a customer id) as the reader's language quotes a name,
    shown as :func:`shown` shows it.

    Example
    -------
    >>> print(quoted("n/a").words("en"), quoted("n/a").words("zh"), quoted("7\x1b[2J").words("en"))
    'n/a' “n/a” '7\x1b[2J'
    """
    return Listed([shown(value, quoted=False)], quoted=True)


def no_id_fix(frame: Any) -> Phrase:
    """The fix of a table without a ``customer_id`` column: its first 20 columns, shown, and the name to give.

    Example
    -------
    >>> import pandas as pd
    >>> no_id_fix(pd.DataFrame(columns=["会员卡号", "nps"])).words("zh")
    '找到的列：“会员卡号”、“nps”；请把客户编号那一列命名为 customer_id。'
    """
    return Phrase("err_fields_no_id_fix", columns=Listed([shown(c, quoted=False) for c in list(frame.columns)[:20]],
                                                         quoted=True))


def in_words(value: Any, lang: str) -> Any:
    """``value`` for a reader of ``lang``: a :class:`Phrase` in words, a list of them one per line
    (indented as the lines of an error), anything else as it is."""
    if isinstance(value, Phrase):
        return value.words(lang)
    if isinstance(value, list):
        return "".join("\n  " + str(in_words(v, lang)) for v in value)
    return value


class XuanbaError(Exception):
    """Base class of every error a user can cause. ``exit_code`` is what the CLI returns.

    ``message`` and ``fix`` are text, or a :class:`Phrase` for words the command line shows in the
    reader's language (:meth:`render`); ``str(err)`` and ``err.message`` are always English."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(
        self,
        message: str | Phrase,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | Phrase | None = None,
        examples: Sequence[Any] | None = None,
        count: int | None = None,
    ) -> None:
        message, fix = (_data_shown(w) if isinstance(w, Phrase) else w for w in (message, fix))
        self.phrase = message if isinstance(message, Phrase) else None
        self.fix_phrase = fix if isinstance(fix, Phrase) else None
        self.message = in_words(message, "en")
        self.file = file
        self.row = row
        self.column = column
        self.fix = in_words(fix, "en")
        self.examples = list(examples) if examples is not None else []
        self.count = count
        super().__init__(self._render())

    def _where(self, lang: str = "en") -> str:
        parts = []
        if self.file:
            parts.append(shown(self.file))
        if self.row is not None:
            parts.append(_frame("err_row", lang, row=self.row))
        if self.column:  # the frame quotes it: its escapes in place
            parts.append(_frame("err_column", lang, column=shown(self.column, quoted=False)))
        return _frame("err_sep", lang).join(parts)

    def _message_fix(self, lang: str) -> tuple[str, str | None]:
        """The message and the fix in ``lang`` (English text given as text stays English)."""
        message = self.message if lang == "en" or self.phrase is None else self.phrase.words(lang)
        fix = self.fix if lang == "en" or self.fix_phrase is None else self.fix_phrase.words(lang)
        return message, fix

    def _render(self, lang: str = "en") -> str:
        where = self._where(lang)
        message, fix = self._message_fix(lang)
        text = _frame("err_at", lang, where=where, message=message) if where else message
        if self.count is not None:
            text += _frame("err_count", lang, count=f"{self.count:,}")
        if self.examples:
            first = ", ".join(repr(e) for e in self.examples[:5])
            text += "\n  " + _frame("err_first", lang, shown=first)
        if fix:
            text += "\n  " + _frame("err_fix", lang, fix=fix)
        # text a message was given as (not a phrase) may hold a value of the data: no character a
        # terminal acts on gets through, whoever forgot to show it
        return shown(text, quoted=False, keep="\n")

    def render(self, lang: str = "en") -> str:
        """The error for a reader of ``lang``: its phrases and the words around file, row and column
        in that language (text given as plain English stays English); ``render("en") == str(err)``.

        Example
        -------
        >>> print(DataError("no rows", file="a.csv", row=2).render("zh"))
        a.csv，第 2 行：no rows
        """
        return self._render(lang)

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready dict (used by ``--json`` and the web app)."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "fix": self.fix,
            "key": self.phrase.key if self.phrase is not None else None,
            "examples": [str(e) for e in self.examples[:5]],
            "count": self.count,
        }


def _data_shown(words: Any) -> Any:
    """``words`` with each text field of its phrases (a header, an id, a file name: the data's)
    through :func:`shown`; text given as text, a phrase of its own kind (a subclass says its own
    words), or anything else, as it is."""
    if type(words) is Phrase:
        return Phrase(words.key, **{k: _data_shown(v) for k, v in words.fields.items()})
    if isinstance(words, list):
        return [_data_shown(v) for v in words]
    return shown(words) if isinstance(words, str) else words


def _frame(key: str, lang: str, **fields: Any) -> str:
    """The words around an error's facts ("row 3", "fix: ...") in ``lang``."""
    from xuanba.i18n import t

    return t(key, lang, **fields)


class InputError(XuanbaError):
    """A file or table that cannot be read as what it claims to be (encoding, format, empty)."""

    exit_code = 2


class SchemaError(InputError):
    """A required column is missing or a mapping names a column that is not there."""


class DataError(XuanbaError):
    """The data are readable but cannot support the request (no rows before the cutoff, ...)."""

    exit_code = 3
    http_status = 422


class ModelError(XuanbaError):
    """A model cannot be fitted or used: unidentifiable data, not fitted yet, bad parameters."""

    exit_code = 4
    http_status = 422


class NotFittedError(ModelError):
    """A model method that needs fitted parameters was called before ``fit``."""


class WorkspaceError(XuanbaError):
    """The workspace file is missing, locked, or lacks a table the command needs."""

    exit_code = 5
    http_status = 409
