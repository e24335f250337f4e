"""The rules a transaction row must pass to be used, written once as Ibis expressions.

``xuanba ingest`` runs them compiled to DuckDB SQL over its typed lines (:func:`text_sql`,
:func:`reason_sql`); a round on an engine (:mod:`xuanba.rounds.source_check`) runs the same
expressions on the engine that holds the source. One definition, so a row the workspace rejects
is never a customer on the engine, and an id is read the same way on both.

- a cell is text with its spaces trimmed, empty text being missing (:func:`text_value`);
- the first rule a row breaks is its reason (:func:`reject_reason`): *missing customer id*,
  *missing date*, *unparseable date*, *date before 1900*, *date after 2100*, *missing amount*,
  *non-numeric amount*, with *Excel error cell* (:data:`EXCEL_ERRORS`: ``#N/A``, ``#DIV/0!``, ...)
  where the id, the date, the amount or another column that decides the line holds one;
- a line is a return (:func:`is_return_line`) when its amount or quantity is negative, its order
  number a credit note's (``C`` and a digit), its status a return word (退货, refund, void, ...)
  or its own return flag says so (:func:`flag_value`, :data:`FLAG_WORDS`); its money is then
  negative (:func:`netted`).

Example
-------
>>> import ibis, pyarrow as pa
>>> t = ibis.memtable(pa.table({"id": [" a ", "", None]}))
>>> t.select(id=text_value(t.id)).to_pyarrow()["id"].to_pylist()
['a', None, None]
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from typing import Any

import ibis

from xuanba.ingest.backends import runs_on

#: Dates before this one, or on or after :data:`END_TS`, are not taken for transactions.
FIRST_TS = dt.datetime(1900, 1, 1)
END_TS = dt.datetime(2101, 1, 1)
#: A money value (an amount, a cost) the workspace stores, as ``DECIMAL(18,4)``, is below this in
#: absolute value: ingest reads a larger one, like ``inf`` or ``NaN``, as no number (an amount:
#: *non-numeric amount*; a cost: left empty), and a round on an engine reads it so too. Sums of
#: such values stay finite in any engine (a customer's sum of ``1e308`` twice was ``inf``, and its
#: criterion missing).
MONEY_LIMIT = 1e14


def not_money(values: Any) -> Any:
    """Where ``values`` (numbers: NumPy, pandas) hold no money the workspace stores: ``NaN``,
    ``±inf``, or :data:`MONEY_LIMIT` and beyond in absolute value (one comparison: ``abs(x) <
    limit`` is false for NaN).
    A pandas Series gives a Series on its index, anything else a NumPy array.

    Example
    -------
    >>> not_money([1.0, float("nan"), float("-inf"), -1e14, 99999999999999.0]).tolist()
    [False, True, True, True, False]
    """
    import numpy as np

    if hasattr(values, "abs") and hasattr(values, "index"):
        return ~(values.abs() < MONEY_LIMIT)
    return ~(np.abs(np.asarray(values, dtype=float)) < MONEY_LIMIT)


# The one table of what may stand around a number of money, as ingest's number reader
# (:func:`xuanba.ingest.load._number`) and :func:`negative_number` read it.
#: Spaces: RE2's ``\s`` spelled out (so Java's regular expressions, Spark's, read the same), and
#: the no-break, narrow no-break and ideographic ones.
MONEY_SPACES = r"\t\n\f\r \x{00A0}\x{202F}\x{3000}"
MONEY_SIGNS = "¥￥$€£"  # a currency sign, before the number (¥1,234.50) or after it (1.234,50 €)
MONEY_CODES = ("RMB", "rmb", "CNY", "cny")  # a currency code, before or after (RMB 1,234.50, 1,234.50 CNY)
YUAN = "元"  # after the number only, after its unit (1.2万元, never 1.2元万)
#: Full-width digits, marks and signs as a Chinese input method types them (１２３．５０, －５,
#: （３．００）, ￥１，２３４), with the ASCII character NFKC maps each to (and the minus sign U+2212):
#: one character for one, so a cell's length and its rows are unchanged.
WIDE, NARROW = "０１２３４５６７８９．，－（）＋\u2212", "0123456789.,-()+-"
#: Chinese multipliers written after a number: 1.2万 = 12,000, 3亿元 = 300,000,000 (and 萬, 億).
UNITS = (("万萬", 4), ("亿億", 8))  # the characters and their powers of ten
#: The digits and separators of a number (``¥ 1.234,50`` -> ``1.234,50``) that say its decimal
#: mark: a point (``1,234.5``, ``1,234,567``), a comma (``1.234,5``, ``1.234.567``); ``1.234`` and
#: ``1,234`` say neither (:func:`xuanba.ingest.load.decimal_mark`).
DOT_SURE = (r"[0-9]*(,[0-9]{3})*\.[0-9]+", r"[0-9]{1,3}(,[0-9]{3}){2,}")
COMMA_SURE = (r"[0-9]*(\.[0-9]{3})*,[0-9]+", r"[0-9]{1,3}(\.[0-9]{3}){2,}")
DOT_OR_THOUSANDS = r"[0-9]{1,3}\.[0-9]{3}"  # 1.234: 1.234 or 1234
COMMA_OR_THOUSANDS = r"[0-9]{1,3},[0-9]{3}"  # 1,234: 1234 or 1.234

#: Reasons of :func:`reject_reason`, in the order the rules are checked (and :data:`EXCEL_ERROR`
#: among them: an id, a date or an amount that is an Excel error, before it is read).
REASONS = (
    "missing customer id",
    "missing date",
    "unparseable date",
    "date before 1900",
    "date after 2100",
    "missing amount",
    "non-numeric amount",
)
#: The reason of a line whose id, date, amount or other column that decides the line
#: (:func:`reject_reason`'s ``others``) holds an Excel error value (:data:`EXCEL_ERRORS`).
EXCEL_ERROR = "Excel error cell"
#: Excel's error values as a cell shows them: what openpyxl gives for an error cell of an .xlsx,
#: what ingest reads from xlrd's error code of an .xls, and what a CSV saved from Excel writes. A
#: formula that found nothing (``#N/A`` of a VLOOKUP), divided by zero, read a deleted cell: no
#: value of the line, never an id ``#N/A`` or a product so named.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!")


#: The spaces :func:`text_value` trims round a cell, on every engine (ingest's reading of a cell):
#: Unicode's space separators (Zs), the no-break U+00A0 and the ideographic U+3000 among them; not
#: a tab, a line break, U+200B or U+FEFF. Exactly what DuckDB's ``trim`` strips.
TRIMMED_SPACES = " \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"


@ibis.udf.scalar.builtin(name="trim")
def _trim(value: str) -> str:  # type: ignore[empty-body]
    """SQL's ``trim``: on DuckDB :data:`TRIMMED_SPACES`, on Spark the ASCII space alone."""


@ibis.udf.scalar.builtin(name="trim")
def _trim_these(value: str, characters: str) -> str:  # type: ignore[empty-body]
    """SQL's ``trim`` of the given characters (Spark: ``TRIM(characters FROM value)``)."""


def _spaces_trimmed(text: Any) -> Any:
    """The text expression ``text`` with :data:`TRIMMED_SPACES` trimmed at both ends, on any
    engine: DuckDB's own ``trim`` where DuckDB runs the expression (as a round decides it,
    :func:`~xuanba.ingest.backends.runs_on`: a table in memory runs on Ibis' default backend,
    Spark's too when it is the default; ingest's SQL over a table bound to none is DuckDB's), the
    characters spelled out elsewhere (Spark's ``trim`` strips the ASCII space alone). Not spelled
    out on DuckDB: there its ``trim`` of given characters took 6-10x the time of its own (2 M cells)."""
    backend = runs_on(text)
    if backend is None or backend.name == "duckdb":
        return _trim(text)
    return _trim_these(text, ibis.literal(TRIMMED_SPACES))


def text_value(value: Any) -> Any:
    """``value`` as text the way ingest reads a cell: :data:`TRIMMED_SPACES` trimmed at both ends
    (not a tab nor a line break), empty text missing (``NULL``); the same on DuckDB and Spark."""
    return _spaces_trimmed(value.cast("string")).nullif("")

#: :data:`EXCEL_ERRORS` as one pattern (RE2 and Java alike), in any ASCII case, the whole text: each
#: letter a class of its two cases, not ``(?i)``, which RE2 reads with Unicode's folding (the Kelvin
#: sign U+212A for K, U+017F for s), Java in ASCII alone, and Python's ``str.upper`` otherwise again
#: (U+0131 for I): three engines, three answers for one cell. Any of :data:`TRIMMED_SPACES` round it.
_SPACES_CLASS = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in TRIMMED_SPACES) + "]*"
_EXCEL_ERROR_PATTERN = "^" + _SPACES_CLASS + "(?:" + "|".join(
    "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c.replace("?", r"\?") for c in e) for e in EXCEL_ERRORS
) + ")" + _SPACES_CLASS + r"\z"


def is_excel_error(value: object) -> bool:
    """Whether the cell ``value`` (a pandas cell: Python text, a number, ``None``) is an Excel
    error value as text (:data:`EXCEL_ERRORS`, any case, spaces round it as :func:`text_value`
    trims them on DuckDB: :data:`TRIMMED_SPACES`): how a side table and a round's fields file tell
    one, as :func:`excel_error` tells it in ingest's and an engine's expressions.

    >>> is_excel_error(" #n/a"), is_excel_error("#DIV/0!\u00a0"), is_excel_error("N/A"), is_excel_error(None)
    (True, True, False, False)
    """
    if not isinstance(value, str):
        return False
    text = value.strip(TRIMMED_SPACES)
    return text.isascii() and text.upper() in EXCEL_ERRORS


def excel_error(text: Any) -> Any:
    """Whether the text expression ``text`` (as :func:`text_value` reads a cell) is an Excel error
    value (:data:`EXCEL_ERRORS`, in any case, a space of :data:`TRIMMED_SPACES` round it too);
    false where ``text`` is ``NULL``.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"x": ["#N/A", "#div/0!", "N/A", "#REF", "#NAME?", "#NAMEX", "#N/A\\n", None]}))
    >>> t.select(e=excel_error(text_value(t.x))).to_pyarrow()["e"].to_pylist()
    [True, True, False, False, True, False, False, False]
    """
    # a pattern, not IN: DuckDB makes a list of 16 a hash join per column, and a line's reason is
    # read once per reject column (1 M lines: 6 CPU s); and only where the text holds a #
    return ibis.ifelse(text.contains("#"), text.re_search(_EXCEL_ERROR_PATTERN), False)


def reject_reason(customer_id: Any, ts_raw: Any, ts: Any, amount_raw: Any, amount: Any, others: Any = ()) -> Any:
    """Why a row is not a transaction, as a text expression (``NULL``: it is one), from its
    ``customer_id`` (as :func:`text_value` reads it), its date as written (``ts_raw``) and read
    (``ts``, ``NULL`` when unreadable), and its amount as written and read (``amount``, ``NULL``
    when not a number). :data:`EXCEL_ERROR` where the id, the date or the amount as written (when
    text) or one of ``others`` (text as :func:`text_value` reads it: a quantity, an order number,
    a status, a return flag, whose value decides the line or its sign) is an Excel error value.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"c": ["a", "#N/A", "b"], "d": ["2025-01-02"] * 3, "a": ["5", "5", "#DIV/0!"]}))
    >>> why = reject_reason(t.c, t.d, t.d.try_cast("timestamp"), t.a, t.a.try_cast("decimal(18, 4)"))
    >>> t.select(why=why).to_pyarrow()["why"].to_pylist()
    [None, 'Excel error cell', 'Excel error cell']
    """
    cases = [(customer_id.isnull(), REASONS[0]), (excel_error(customer_id), EXCEL_ERROR), (ts_raw.isnull(), REASONS[1])]
    if ts_raw.type().is_string():
        cases.append((excel_error(ts_raw), EXCEL_ERROR))
    cases += [(ts.isnull(), REASONS[2]), (ts < FIRST_TS, REASONS[3]), (ts >= END_TS, REASONS[4])]
    if amount_raw.type().is_string():
        cases.append((excel_error(amount_raw), EXCEL_ERROR))
    cases += [(excel_error(other), EXCEL_ERROR) for other in others]
    cases += [(amount.isnull() & amount_raw.isnull(), REASONS[5]), (amount.isnull(), REASONS[6])]
    return ibis.cases(*cases)


#: Words of a status column that make a line a return or cancellation (matched in lower case).
RETURN_WORDS = "退货|退款|取消|作废|冲销|冲红|红冲|return|returned|refund|refunded|cancel|cancelled|canceled|void"


#: A return flag written as text (spaces trimmed, any case, full-width forms as their ASCII ones:
#: :data:`FLAG_WIDE`): what each word says. Text that is a plain number says what the number says
#: (:func:`flag_value`); any other text says nothing.
FLAG_WORDS = {"true": True, "t": True, "yes": True, "y": True, "1": True, "是": True,
              "false": False, "f": False, "no": False, "n": False, "0": False, "否": False}

#: Full-width forms a return flag may be typed in (``１``, ``ｙｅｓ``, ``ＴＲＵＥ`` once in lower case,
#: ``－１``, the ideographic space), each with the ASCII character NFKC maps it to (the minus sign
#: U+2212 as the money reader's :data:`WIDE` reads it): one character for one, by the engine's
#: ``translate``. Only the characters a flag word, a plain number, NaN or an infinity is made of:
#: a cell with any other full-width letter (``ｘ``) says nothing as it says nothing in ASCII, and
#: DuckDB's ``translate`` costs per character of its map for every cell it reads.
_FLAG_LETTERS = "aefilnorstuy"
FLAG_WIDE = ("０１２３４５６７８９．＋－\u2212" + "".join(chr(ord(c) + 0xFEE0) for c in _FLAG_LETTERS)
             + "\u3000")
FLAG_NARROW = "0123456789.+--" + _FLAG_LETTERS + " "
#: A cell holding one of them: only such a cell is translated (every text flag cell translated
#: made a 1 M round of a text flag column 2.2× the CPU: docs/benchmarks_round.md).
_FLAG_WIDE_CELL = f"[{FLAG_WIDE}]"

#: A plain number written as text (``2``, ``-1.5``, ``1e+20``: what a number column's values
#: become as text), matched before it is cast, so no engine reads more than this (Spark's ``1d``).
_PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\z"  # \z: Java's $ passes a last \n
#: A float's NaN and infinities as text (lower case), as DuckDB and pandas write a float column's
#: (``nan``, ``-nan``, ``inf``, ``-inf``; ``Infinity`` as Java does): none given, and a number other than 0.
_NAN, _INFINITE = r"^[+-]?nan\z", r"^[+-]?inf(inity)?\z"


def flag_value(flag: Any) -> tuple[Any, Any]:
    """A return flag (a source's own ``is_return``) as read, ``NULL`` where none is given or the
    text says nothing, and whether it is text that says nothing. A boolean is itself; a number is
    a flag when not 0 (NaN: none given); text is read by :data:`FLAG_WORDS`, and text that is a
    plain number as that number (``2``, ``-inf``: yes, ``0.0``: no; ``nan``: none given), so a column means
    the same written as numbers or as text (ingest reads every cell as text). Full-width forms
    read as their ASCII ones (:data:`FLAG_WIDE`: ``１``, ``ｙｅｓ``, ``０．０``), as ingest's
    number reader reads ``１２３．５０``.

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> t = ibis.memtable(pa.table({"f": [" 是", "No", "2", "0.0", "", "也许", None, "NaN", "１", "ｎｏ"]}))
    >>> read, unread = flag_value(t.f)
    >>> got = t.select(r=read, u=unread).to_pyarrow()
    >>> got["r"].to_pylist()
    [True, False, True, False, None, None, None, None, True, False]
    >>> got["u"].to_pylist()
    [False, False, False, False, False, True, False, False, False, False]
    """
    if flag.type().is_boolean():
        return flag, ibis.literal(False)
    if flag.type().is_floating():  # NaN is a missing flag (a frame's), not a number other than 0
        return ibis.ifelse(flag.isnan(), ibis.null("boolean"), flag != 0), ibis.literal(False)
    if flag.type().is_numeric():
        return flag != 0, ibis.literal(False)
    text = text_value(flag).lower()  # ＴＲＵＥ: ｔｒｕｅ
    # one character for one: no space at either end (text_value trimmed the ideographic one)
    narrow = text.translate(FLAG_WIDE, FLAG_NARROW)  # 'ｙｅｓ': 'yes'
    text = ibis.ifelse(text.re_search(_FLAG_WIDE_CELL), narrow, text)
    text = ibis.ifelse(text.re_search(_NAN), ibis.null("string"), text)  # a float column's NaN, as text
    number = ibis.ifelse(text.re_search(_PLAIN_NUMBER), text, ibis.null("string")).try_cast("float64")
    infinite = ibis.ifelse(text.re_search(_INFINITE), True, ibis.null("boolean"))  # as a float column's inf reads
    read = text.substitute(FLAG_WORDS, else_=ibis.null("boolean")).cast("boolean").coalesce(number != 0, infinite)
    return read, text.notnull() & read.isnull()


def is_return_line(amount: Any, *, quantity: Any = None, order_id: Any = None, status: Any = None,
                   flag: Any = None) -> Any:
    """Whether a line is a return or cancellation, never ``NULL``: its ``amount`` (a number) or
    ``quantity`` is negative, its ``order_id`` (text) begins with ``C`` and a digit (a credit
    note), its ``status`` (text) holds one of :data:`RETURN_WORDS`, or its ``flag`` (a boolean,
    :func:`flag_value`'s reading of a return flag) is true. ``quantity`` is a number, or a boolean
    that says whether it is negative (a text quantity read by :func:`negative_number`). A column
    the line has not is left out (``None``).

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> t = ibis.memtable(pa.table({"a": [5.0, -2.0, 5.0, 5.0, None], "o": ["A1", "A2", "C12", None, "x"],
    ...                             "s": ["ok", None, None, "已退货", None]}))
    >>> t.select(r=is_return_line(t.a, order_id=t.o, status=t.s)).to_pyarrow()["r"].to_pylist()
    [False, True, True, True, False]
    """
    signs = [amount < 0]
    if quantity is not None:
        signs.append(quantity if quantity.type().is_boolean() else quantity < 0)
    if order_id is not None:
        signs.append(order_id.re_search("^[Cc][0-9]"))
    if status is not None:
        signs.append(status.lower().re_search(RETURN_WORDS))
    if flag is not None:
        signs.append(flag)
    return functools.reduce(operator.or_, signs).fill_null(False)


#: A cell holding a character of :data:`WIDE`: only such a text quantity is translated.
_WIDE_CELL = f"[{WIDE}]"

# DuckDB's cast of text to a double, the last step of ingest's number reader, as one pattern (no
# engine's own cast is trusted with more than the plain digits both read alike): ASCII white space
# around, ``+-`` as a sign (DuckDB reads ``+-5`` as -5), ``_`` between digits (``1_000``), and
# ``inf``/``infinity``/``nan`` in any case. Group 1 is the sign, group 2 the number. Checked against
# DuckDB over every text of up to five characters of ``10-+.e_`` (tests/test_engine_source_returns.py).
_CAST_SPACE = r"[ \t\n\x0B\f\r]*"
_DIGITS = r"[0-9](?:_?[0-9])*"
_CAST = (rf"(?i)^{_CAST_SPACE}(\+-|[+-])?((?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:e[+-]?{_DIGITS})?"
         rf"|inf|infinity|nan){_CAST_SPACE}\z")


def _cast_number(text: Any) -> Any:
    """``text`` as DuckDB's ``TRY_CAST(text AS DOUBLE)`` reads it (``NULL``: no number; ``-1e400``
    is ``-inf``, ``-nan`` NaN): matched by :data:`_CAST`, its number alone cast (``inf``, ``nan``
    and plain digits: both engines read them alike), then signed."""
    size = text.re_extract(_CAST, 2).replace("_", "").try_cast("float64")  # '' (no match): NULL
    sign = ibis.ifelse(text.re_extract(_CAST, 1).isin(("-", "+-")), -1.0, 1.0)
    return size * sign


def _cast_negative(text: Any) -> Any:
    """Whether ``text`` is a negative number as DuckDB's ``TRY_CAST(text AS DOUBLE)`` reads it
    (``NULL``: no number; ``-0``, ``-1e-400`` and ``-nan`` are not negative, ``-1e400`` is)."""
    return _cast_number(text) < 0  # NaN times anything is no size below 0; -0.0 is none either


def finite(number: Any) -> Any:
    """The float expression ``number`` where it is finite, ``NULL`` for ``NaN`` and ``±inf``: ingest
    reads such a quantity as no number (:func:`xuanba.ingest.load._finite`). One comparison, ``abs(x)
    < inf``, false for NaN on DuckDB and Spark alike (NaN is above every number to both), and read
    right over a Parquet column holding NaN, where DuckDB 1.5.6 misreads ``x < c``."""
    return ibis.ifelse(number.abs() < ibis.literal(float("inf"), type="float64"), number, ibis.null("float64"))


#: The shapes most quantities are written in, an ERP's export "as displayed" too: a whole number
#: (``-1``), a decimal one (``-0.5``, ``12.000``), one with thousands commas (``-1,234``,
#: ``1,234.50``), ``+`` or ``-`` before, ASCII only. Ingest reads each of them with a decimal point
#: (its digits and marks are never :data:`COMMA_SURE` but as :data:`COMMA_OR_THOUSANDS` too, like
#: ``1,234``), so as the number its digits say: negative where it begins with ``-`` and holds a
#: digit other than 0 (:data:`_SIMPLE_NEGATIVE`). Of at most 300 characters: a longer one may be
#: beyond a double (``-1`` and 400 digits: ``-inf``, no number) or below it (``-0.00…1``: ``-0``).
#: Anything else (``-1,5``, ``1,23,4``, ``¥5``, ``(5)``) is read by the whole chain.
_SIMPLE = r"^[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?\z"
_SIMPLE_NEGATIVE = r"^-[0-9,.]*[1-9]"


def negative_number(value: Any) -> Any:
    """Whether the text ``value`` is a negative number as ``xuanba ingest`` reads a number
    (:func:`xuanba.ingest.load._number`), ``NULL`` where it reads no number: as an Ibis expression,
    so an engine round reads the sign of a text ``quantity`` (what the return rule asks of it) as
    ingest does, on DuckDB and Spark alike. Read as ingest reads them: full-width digits and signs
    and the minus sign ``−`` (:data:`WIDE`), a currency sign or code before the number and ``元``
    or a code after it, spaces and thousands separators, ``(5)`` for -5, a lone dash for 0,
    ``万``/``亿`` after the number, and a decimal comma (``-1,5``). Ingest decides the decimal mark
    per column; here each cell's is decided as ingest decides it for a column holding that cell
    alone (:data:`COMMA_SURE`): the same sign for every cell that reads as a number either way.
    A number that is not finite (``inf``, ``-Infinity``, ``NaN``, ``-1e999``) is no number, as ingest
    reads it (:func:`finite`). Compared with ingest's own reader on every text of up to four
    characters of several alphabets and on random ones (tests/test_engine_source_returns.py), on
    DuckDB and Spark.

    Example
    -------
    >>> import pyarrow as pa
    >>> cells = ["-1,000", "-1,5", "－1", "−1", "(¥3)", "1,2,3", "-", "-0", "abc", ""]
    >>> t = ibis.memtable(pa.table({"q": cells}))
    >>> t.select(n=negative_number(t.q)).to_pyarrow()["n"].to_pylist()
    [True, True, True, True, True, False, False, False, None, None]
    """
    text = text_value(value)
    # translated only where it holds a full-width character (as flag_value's FLAG_WIDE): DuckDB's
    # translate costs per character of its map for every cell it reads
    narrow = ibis.ifelse(text.re_search(_WIDE_CELL), text.translate(WIDE, NARROW), text)
    # the decimal mark ingest's decimal_mark gives a column of this cell alone
    marks = narrow.re_replace("[^0-9.,]", "")
    comma = (marks.re_search(f"^(?:{'|'.join(COMMA_SURE)})\\z") & ~marks.re_search(f"^(?:{COMMA_OR_THOUSANDS})\\z"))
    # a decimal comma read as a point: '.' and ',' swapped, then read as ingest reads 1,234.5
    swap = ibis.ifelse(comma, ".,", "")
    swapped = swap.translate(".,", ",.")
    # ingest's plain cast: of the cell as it is; with a decimal comma, of digits, signs and marks only
    plain = ibis.cases((~comma, text), (text.re_search(r"^[-+]?[0-9.,]+\z"), text.translate(",.", ".")),
                       else_=ibis.null("string"))
    # ingest's _outside: one currency sign or code after the signs, spaces and ( the number may
    # begin with, one 元, sign or code before the spaces and ) it may end with; what is between kept
    before = "|".join([f"[{MONEY_SIGNS}]", *MONEY_CODES])
    after = "|".join([YUAN, f"[{MONEY_SIGNS}]", *MONEY_CODES])
    around = rf"(?s)^([{MONEY_SPACES}(+-]*)(?:{before})?(.*?)(?:{after})?([{MONEY_SPACES})]*)\z"
    parts = narrow.re_extract(around, 1).concat(narrow.re_extract(around, 2), narrow.re_extract(around, 3))
    # then separators out, a lone dash 0, (x) as -x, 万/亿 as e4/e8
    cleaned = parts.translate(swap, swapped).re_replace(f"[,{MONEY_SPACES}]", "").re_replace(r"^-\z", "0")
    inner = cleaned.re_extract(r"(?s)^\((.+)\)\z", 1)  # '': the cell is not in parentheses
    body = inner.nullif("").coalesce(cleaned)
    for chars, power in UNITS:
        body = body.re_replace(f"[{chars}]\\z", f"e{power}")
    signed = ibis.ifelse(inner == "", "", "-").concat(body)
    # ingest's number, then none where it is not finite (inf, -inf, NaN, 1e999: as ingest reads them)
    read = finite(_cast_number(plain).coalesce(_cast_number(signed))) < 0
    # most quantities (-1, -0.5, -1,234, 1,234.50): their sign read by a second pattern; so too
    # the same shapes typed full-width (１２, －１，２３４), read by ingest as their ASCII forms: the
    # chain cost 65 µs a cell of them (a failed cast of the cell as written, then every step)
    simple = text.re_search(_SIMPLE) & (text.length() <= 300)
    narrow_simple = narrow.re_search(_SIMPLE) & (narrow.length() <= 300)
    return ibis.cases((simple, text.re_search(_SIMPLE_NEGATIVE)),
                      (narrow_simple, narrow.re_search(_SIMPLE_NEGATIVE)), else_=read)


def netted(value: Any, is_return: Any) -> Any:
    """A return's money (or quantity) made negative whatever sign it was written with, as the
    workspace stores it, so that sums net it; anything else as it is."""
    return ibis.ifelse(is_return, -value.abs(), value)


def _duckdb_sql(expr: Any, table: Any) -> str:
    """The DuckDB SQL text of the scalar ``expr`` over the unbound ``table``, its columns unqualified."""
    import sqlglot

    select = sqlglot.parse_one(ibis.to_sql(table.select(_x=expr), dialect="duckdb"), read="duckdb")
    out = select.expressions[0].this
    for column in out.find_all(sqlglot.exp.Column):
        column.set("table", None)
    return out.sql(dialect="duckdb")


@functools.lru_cache(maxsize=4096)
def text_sql(column: str) -> str:
    """:func:`text_value` of the column named ``column`` as DuckDB SQL (for ingest's queries;
    compiled once per name: a folder of a thousand files pays it once).

    Example
    -------
    >>> text_sql("客户")
    'NULLIF(TRIM("客户"), \\'\\')'
    """
    t = ibis.table({column: "string"}, name="t")
    return _duckdb_sql(text_value(t[column]), t)


#: The columns of ingest's typed lines, as text, whose Excel error rejects the line beside the id,
#: the date and the amount (:func:`reason_sql`, :func:`reject_reason`'s ``others``): the numbers an
#: amount is made of, the order that merges lines, and the columns that say a line is a return.
ERROR_REJECTS = ("quantity_raw", "unit_price_raw", "order_id", "status", "flag_raw")


@functools.cache
def reason_sql() -> str:
    """:func:`reject_reason` as DuckDB SQL over the columns ``customer_id``, ``ts_raw``, ``ts``,
    ``amount_raw`` and ``amount`` (ingest's typed lines), and :data:`ERROR_REJECTS`."""
    t = ibis.table(
        {
            "customer_id": "string",
            "ts_raw": "string",
            "ts": "timestamp",
            "amount_raw": "string",
            "amount": "decimal(18,4)",
            **dict.fromkeys(ERROR_REJECTS, "string"),
        },
        name="t",
    )
    return _duckdb_sql(reject_reason(t.customer_id, t.ts_raw, t.ts, t.amount_raw, t.amount,
                                     [t[c] for c in ERROR_REJECTS]), t)


@functools.lru_cache(maxsize=4096)
def excel_error_sql(column: str) -> str:
    """:func:`excel_error` of the column named ``column`` (a cell as :func:`text_value` reads it)
    as DuckDB SQL, for ingest's queries.

    Example
    -------
    >>> import duckdb
    >>> duckdb.sql(f"SELECT {excel_error_sql('x')} FROM (VALUES (' #n/a '), ('n/a')) v(x)").fetchall()
    [(True,), (False,)]
    """
    t = ibis.table({column: "string"}, name="t")
    return _duckdb_sql(excel_error(text_value(t[column])), t)


@functools.cache
def return_sql(order_id: bool, status: bool, flag: bool = False) -> str:
    """:func:`is_return_line` as DuckDB SQL over ingest's typed lines (``amount``, ``quantity``,
    and ``order_id``, ``status`` and the boolean ``flag`` where the source has them).

    Example
    -------
    >>> return_sql(False, False)
    'COALESCE(("amount" < 0) OR ("quantity" < 0), FALSE)'
    """
    t = ibis.table({"amount": "decimal(18,4)", "quantity": "float64", "order_id": "string", "status": "string",
                    "flag": "boolean"}, name="t")
    return _duckdb_sql(is_return_line(t.amount, quantity=t.quantity, order_id=t.order_id if order_id else None,
                                      status=t.status if status else None, flag=t.flag if flag else None), t)


@functools.lru_cache(maxsize=4096)
def flag_sql(column: str) -> tuple[str, str]:
    """:func:`flag_value` of the text column named ``column`` as DuckDB SQL: the flag as read and
    whether it is text that says nothing (for ingest's queries, whose cells are all text)."""
    t = ibis.table({column: "string"}, name="t")
    read, unread = flag_value(t[column])
    return _duckdb_sql(read, t), _duckdb_sql(unread, t)
