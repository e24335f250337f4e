"""Load sources into the workspace: type the values in SQL, account for every row, write once.

Row accounting, for every source: ``input = loaded + merged + rejected``.

- **rejected**: a row that cannot be a transaction goes to the ``rejects`` table with its row,
  column, value and reason, checked in this order: *totals row* (合计, 总计, Total at the foot of
  an export), *missing customer id*, *missing date*, *unparseable date*, *date before 1900*,
  *date after 2100*, *missing amount*, *non-numeric amount* (and *Excel error cell* where the id, the
  date, the amount, the quantity, the unit price, the order number, the status or the return flag
  is an Excel error value such as ``#N/A`` or ``#DIV/0!``: :data:`~xuanba.ingest.rules.EXCEL_ERRORS`,
  the value naming it), *unreadable return flag* (the file's own
  ``is_return``, 是否退货, ... says neither yes nor no: :data:`~xuanba.ingest.rules.FLAG_WORDS`), then
  *exact duplicate line* (a line
  identical to an earlier one in every column, a column that only numbers the lines aside; only
  when the file has an order number, because without one two identical lines are two purchases — the CDNOW
  sample has 21 such lines and the published figures count both), and last *already loaded from
  <file>* (the transaction is in the workspace from another source; see :func:`_reject_repeats`).
- **merged**: several lines of one order (same order number, customer and day) become one
  transaction: amounts, costs and quantities summed, the earliest time kept, products joined
  with ``"; "`` when they differ. Each line folded into another counts as merged.
- **loaded**: the transactions written.

Returns and cancellations (negative amount or quantity, an order number like ``C536379`` as in
the Online Retail data, a status such as 退货/取消/return/cancel, or the file's own return flag
``is_return``/是否退货 read by :func:`xuanba.ingest.rules.flag_value`, as an engine round reads it)
are loaded with a negative amount and ``is_return`` true, so sums net them; they are counted in
the report.

Numbers may be written as text (``¥1,234.50``, ``1,234.50元``, ``(12.00)``, full-width ``１２３．５０``,
``1.2万``, Excel's accounting zero `` - ``: :func:`_number`) and with a decimal comma (decided per
column, :func:`decimal_mark`); a number that is not finite (``inf``, ``NaN``, ``1e999``) is none: an
amount *non-numeric*, a cost or quantity left empty (:func:`_finite`); an Excel error in the cost, a
payment date, the product or the channel leaves that value empty, counted; timestamps written with a
zone become wall time in the workspace's zone (:func:`workspace_time_zone`).

Loading a file whose sha256 is already in the ``sources`` table changes nothing and is reported
as "already loaded". All writes of one call happen in one workspace transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xuanba._dates import as_date
from xuanba.errors import InputError, Listed, Phrase, quoted
from xuanba.ingest.mapping import (
    check_required,
    header_test,
    map_columns,
    read_as_field,
)
from xuanba.ingest.read import ROW, Staged, duplicate_headers, list_sources, quote, stage, unstage
from xuanba.ingest.rules import (
    COMMA_OR_THOUSANDS,
    COMMA_SURE,
    DOT_OR_THOUSANDS,
    DOT_SURE,
    EXCEL_ERROR,
    MONEY_CODES,
    MONEY_LIMIT,
    MONEY_SIGNS,
    MONEY_SPACES,
    NARROW,
    UNITS,
    WIDE,
    YUAN,
    excel_error_sql,
    flag_sql,
    reason_sql,
    return_sql,
    text_sql,
)
from xuanba.ingest.sidetables import LEFT_EMPTY, SCHEMAS, read_side_table
from xuanba.workspace import TABLE_COLUMNS, Workspace, open_workspace

# What may stand around a number of money (MONEY_SPACES, ..., UNITS) and the digits that say its
# decimal mark (DOT_SURE, ...) are one table in xuanba.ingest.rules, shared with an engine round's
# CSV source (xuanba.rounds.engine reads a text amount column with this very SQL) and the
# engine's reading of a text quantity's sign (rules.negative_number)

KINDS = ("transactions", "customers", "interactions", "commitments", "resources", "needs", "contacts")

#: The columns of the ``transactions`` table (its layout lives with the workspace).
TRANSACTION_COLUMNS = TABLE_COLUMNS["transactions"]

_FORMATS = [
    "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d", "%Y年%m月%d日",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y.%m.%d", "%Y.%m.%d %H:%M:%S",
    "%Y-%m-%d %H:%M", "%Y%m%d%H%M%S",
]

#: Called as ``progress(done, total, name)`` before each source and once at the end.
Progress = Callable[[int, int, str], None]


@dataclass
class SourceReport:
    """Row accounting of one source: ``input_rows == loaded + merged + rejected``."""

    source: str
    kind: str
    status: str  # "loaded", "already loaded", or "no table" (a blank sheet under sheet="all")
    sha256: str
    source_id: int | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    input_rows: int = 0
    loaded: int = 0
    merged: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    returns: int = 0
    customers: int = 0
    amount_total: Decimal | None = None
    first_ts: dt.datetime | None = None
    last_ts: dt.datetime | None = None
    values_left_empty: dict[str, int] = field(default_factory=dict)
    # kept lines whose number was Excel's accounting zero, a lone dash read as 0 (per column)
    dashes_read_as_zero: dict[str, int] = field(default_factory=dict)
    lines_above_header: int = 0  # title lines skipped (e.g. 销售明细表 above the header)


@dataclass
class IngestReport:
    """What one :func:`ingest` call did, source by source, with totals."""

    workspace: str
    kind: str
    sources: list[SourceReport] = field(default_factory=list)
    rejects_out: str | None = None
    time_zone: str | None = None  # the workspace's, in which zoned timestamps were read

    def _sum(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sources)

    @property
    def input_rows(self) -> int:
        """Rows read from the sources loaded in this call (already-loaded ones count 0)."""
        return self._sum("input_rows")

    @property
    def loaded(self) -> int:
        """Rows written to the workspace table."""
        return self._sum("loaded")

    @property
    def merged(self) -> int:
        """Order lines folded into another line of the same order."""
        return self._sum("merged")

    @property
    def rejected(self) -> int:
        """Rows written to ``rejects`` instead."""
        return self._sum("rejected")

    @property
    def returns(self) -> int:
        """Loaded rows that are returns or cancellations (negative amount)."""
        return self._sum("returns")

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows per reason, over all sources."""
        out: dict[str, int] = {}
        for s in self.sources:
            for reason, n in s.rejected_by_reason.items():
                out[reason] = out.get(reason, 0) + n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def already_loaded(self) -> list[str]:
        """Sources skipped because the same content was loaded before."""
        return [s.source for s in self.sources if s.status == "already loaded"]

    def _repr_html_(self) -> str:
        """The report in a notebook: the row accounting, source by source, and the reasons of
        the rejected rows."""
        import pandas as pd

        from xuanba import _html
        from xuanba.i18n import display_lang, has, reason_words, t

        lang = display_lang()
        keys = ("input_rows", "loaded", "merged", "rejected", "returns")

        def status(s: str) -> str:
            key = "nb_status_" + s.replace(" ", "_")
            return t(key, lang) if lang != "en" and has(key) else s

        rows = pd.DataFrame([{"source": s.source, "status": status(s.status), **{k: getattr(s, k) for k in keys}}
                             for s in self.sources], columns=["source", "status", *keys])
        if lang != "en":
            rows = rows.rename(columns={"status": "source_status"})
        reasons = pd.DataFrame([(reason_words(r, lang), n) for r, n in self.rejected_by_reason.items()],
                               columns=["reason", "rows"])
        parts = [_html.table(rows, max_rows=50, caption=t("nb_sources", lang), lang=lang)]
        if len(reasons):
            parts.append(_html.table(reasons, caption=t("nb_reasons", lang), lang=lang))
        return _html.card(t("nb_ingest", lang, ws=self.workspace, kind=self.kind),
                          [(t(f"nb_{k}", lang), getattr(self, k)) for k in keys], *parts)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (decimals as floats, times as ISO text)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return float(value)
            if isinstance(value, (dt.date, dt.datetime)):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {
            "workspace": self.workspace,
            "kind": self.kind,
            "input_rows": self.input_rows,
            "loaded": self.loaded,
            "merged": self.merged,
            "rejected": self.rejected,
            "rejected_by_reason": self.rejected_by_reason,
            "returns": self.returns,
            "already_loaded": self.already_loaded,
            "rejects_out": self.rejects_out,
            "time_zone": self.time_zone,
            "sources": [plain(asdict(s)) for s in self.sources],
        }


# -- SQL pieces --------------------------------------------------------------------------------
def _text(col: str | None) -> str:
    """A cell as text (:func:`xuanba.ingest.rules.text_value`, the rule an engine round reads ids by)."""
    return text_sql(col) if col else "CAST(NULL AS VARCHAR)"


def _outside(text: str) -> str:
    """SQL: ``text`` (after :func:`_narrow`) without the currency sign or code before its number and
    the ``元``, sign or code after it (and its unit), each taken once and only there: a sign, an
    opening parenthesis and spaces may stand before the first (``-¥5``, ``(¥5)``), closing
    parentheses and spaces after the second (``(5元)``). Whatever else is in the cell stays, so a
    sign or ``元`` inside the number, before it or twice (``1.2元万``, ``1元2``, ``¥¥5``, ``5元元``)
    leaves a cell that is no number, as does a unit anywhere but right after the number
    (``万1.2``, ``1.2万万``, ``1.2万亿``: :func:`_cleaned_number` reads one unit, at the end).
    Two anchored patterns of one group each: a pattern of the whole cell with a group per part
    read ``¥1,234.50`` 1.34x slower (0.95 against 0.71 CPU s per 1 M)."""
    before = "|".join([f"[{MONEY_SIGNS}]", *MONEY_CODES])
    after = "|".join([YUAN, f"[{MONEY_SIGNS}]", *MONEY_CODES])
    lead = rf"regexp_replace({text}, '^([{MONEY_SPACES}(+-]*)(?:{before})', '\1')"
    return rf"regexp_replace({lead}, '(?:{after})([{MONEY_SPACES})]*)$', '\1')"


def _narrow(text: str) -> str:
    """SQL: ``text`` with its full-width digits, marks and signs as ASCII (``WIDE``); ``translate``
    only where there is one (it cost 0.57 CPU s per 1 M cells of ``¥1,234.50``, the test 0.07)."""
    return f"CASE WHEN regexp_matches({text}, '[{WIDE}]') THEN translate({text}, '{WIDE}', '{NARROW}') ELSE {text} END"


def _number(text: str, typ: str, decimal: str = ".") -> str:
    """SQL reading ``text`` as a number: ``¥1,234.50``, ``1,234.50元``, ``(12.00)`` = -12; with
    ``decimal=","`` the comma is the decimal mark (``1.234,50``, ``12,5``, ``1 234,50``).

    Also read: full-width forms (``１２３．５０``, ``－５``, ``（３．００）``, ``￥１，２３４``, as NFKC
    maps them); ``万``/``亿`` after the number (``1.2万`` = 12000, ``(1.5亿元)`` = -150000000, in
    decimal arithmetic: the digits shifted, then ``typ``'s rounding); and Excel's
    accounting zero, a lone dash with only currency signs and spaces around it (`` - ``, ``¥ -``),
    as 0: that format writes a dash for a cell holding 0 and nothing for an empty cell, which
    stays missing. Each part stands where :func:`_outside` says, at most once: ``1.2元万``,
    ``1元2`` or ``¥¥5`` is no amount (on 54f240f they were 12000, 12 and 5), nor a percent
    (``12%``), nor anything else.
    A plain number (``1234.5``, ``-7``; with a decimal comma ``1.234,50``) is read by one cast,
    the cleaning only when that fails.
    """
    parts = _outside(_narrow(text))  # then the spaces and thousands separators dropped
    if decimal == ",":
        cleaned = (rf"replace(regexp_replace(regexp_replace({parts}, '[.{MONEY_SPACES}]', '', 'g'), "
                   rf"'^\((.+)\)$', '-\1'), ',', '.')")
        # 1.234,50 and 12,5: one cast, as a plain number; only digits and marks tried (a failed
        # cast costs: ¥1.234,50 read 1.6× slower when every cell was tried first)
        plain = (f"CASE WHEN regexp_full_match({text}, '[-+]?[0-9.,]+') "
                 f"THEN TRY_CAST(replace(replace({text}, '.', ''), ',', '.') AS {typ}) END")
        return f"COALESCE({plain}, {_cleaned_number(cleaned, typ)})"
    # (12.00) is -12; () holds no number (with .* it became '-', the accounting zero)
    cleaned = rf"regexp_replace(regexp_replace({parts}, '[,{MONEY_SPACES}]', '', 'g'), '^\((.+)\)$', '-\1')"
    return f"COALESCE(TRY_CAST({text} AS {typ}), {_cleaned_number(cleaned, typ)})"


def _cleaned_number(c: str, typ: str) -> str:
    """SQL reading ``c`` (a cell without its currency signs, spaces and thousands separators, a
    decimal point, a leading minus for parentheses) as a number of ``typ``: a lone dash is 0, and
    ``万``/``亿`` at the end become the exponent they are (``1.2万`` -> ``1.2e4``), which the cast
    to ``DECIMAL`` applies to the digits exactly (``1.234567885万`` is 12345.6789, where a float
    multiply gives 12345.6788). ``c`` is written once: written twice, DuckDB computed it for
    every cell, plain ones too (a plain column read 19× slower)."""
    marked = f"regexp_replace({c}, '^-$', '0')"
    for chars, power in UNITS:
        marked = f"regexp_replace({marked}, '[{chars}]$', 'e{power}')"
    return f"TRY_CAST({marked} AS {typ})"


def _finite(number: str) -> str:
    """SQL: the ``DOUBLE`` column ``number`` where it is a finite number, else ``NULL``: ingest
    reads a quantity of ``inf``, ``-inf`` or ``NaN`` (``1e999`` too, a double's ``inf``) as no number,
    left empty and counted as ``abc`` is (on 6a3d048 ``-inf`` made the line a return and ``nan``
    was stored); an engine round reads it so too (:func:`xuanba.ingest.rules.negative_number`).
    Applied to a column, not to :func:`_number`'s text: written twice, that would be read twice."""
    return f"CASE WHEN isfinite({number}) THEN {number} END"


# A time of day followed by a zone: 2026-06-30T23:30:00+08:00, 2026-06-30 15:30Z, ... +0800, ... UTC
_ZONED = r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$"


def _timestamp(text: str, date_format: str | None, extra: Sequence[str] = (), tz: str = "UTC") -> str:
    formats = ", ".join("'" + f.replace("'", "''") + "'" for f in [*_FORMATS, *extra])
    zone = tz.replace("'", "''")
    # a written zone: the same instant as wall time in the workspace's zone; a zoned text that
    # does not read is unparseable, never read again without its zone
    zoned = (
        f"timezone('{zone}', "
        f"TRY_CAST(regexp_replace(regexp_replace(regexp_replace({text}, '\\s*(UTC|GMT)$', '+00'), "
        f"'\\s+([+-][0-9]{{2}}(:?[0-9]{{2}})?|Z|z)$', '\\1'), "
        f"'([T ])([0-9]{{1,2}}:[0-9]{{2}})\\s*(Z|z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$', '\\1\\2:00\\3') "
        f"AS TIMESTAMPTZ))"
    )
    if date_format and "%z" in date_format:  # the user's format reads the zone
        zoned = f"COALESCE({zoned}, timezone('{zone}', TRY_STRPTIME({text}, '{date_format.replace(chr(39), chr(39) * 2)}')))"
    parts = []
    if date_format:
        parts.append(f"TRY_STRPTIME({text}, '{date_format.replace(chr(39), chr(39) * 2)}')")
    parts += [
        f"TRY_CAST({text} AS TIMESTAMP)",
        f"TRY_STRPTIME({text}, [{formats}])",
        # Excel serial day numbers (1927..2173), e.g. 46203 = 2026-06-30
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{5}}(\\.[0-9]+)?') THEN TIMESTAMP '1899-12-30' "
        f"+ to_microseconds(CAST(round(CAST({text} AS DOUBLE) * 86400000000) AS BIGINT)) END",
    ]
    return f"CASE WHEN regexp_matches({text}, '{_ZONED}') THEN {zoned} ELSE COALESCE({', '.join(parts)}) END"


def decimal_mark(con: Any, column: str, forced: str | None = None, *, file: str | None = None,
                 table: str = "_xb_raw") -> str:
    """The decimal mark of a number column of ``table`` (ingest's staged ``_xb_raw``; its rows
    numbered by :data:`~xuanba.ingest.read.ROW`): ``"."`` or ``","``.

    ``1.234,50``, ``12,5`` or ``1 234,50`` mean a decimal comma; ``1,234.50``, ``12.5`` a decimal
    point. A column holding both kinds, or only ``1.234`` beside ``1,234`` (each readable either
    way), is refused with the rows that make it ambiguous. ``forced`` (``--decimal``) decides.
    """
    q = quote(column)
    if not _maybe_comma(con, [column], table)[0]:
        return forced or "."  # no comma, at most one dot: a decimal point (or forced)
    c = f"regexp_replace({_narrow(q)}, '[^0-9.,]', '', 'g')"  # １．２３４，５ as 1.234,5

    def either(patterns: Sequence[str], but: str) -> str:
        return ("(" + " OR ".join(f"regexp_full_match(c, '{p}')" for p in patterns)
                + f") AND NOT regexp_full_match(c, '{but}')")

    dot, comma = either(DOT_SURE, DOT_OR_THOUSANDS), either(COMMA_SURE, COMMA_OR_THOUSANDS)
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {dot}), list(r ORDER BY r) FILTER (WHERE {dot})[1:5], "
        f"count(*) FILTER (WHERE {comma}), list(r ORDER BY r) FILTER (WHERE {comma})[1:5], "
        f"list(r ORDER BY r) FILTER (WHERE regexp_full_match(c, '{DOT_OR_THOUSANDS}'))[1:5], "
        f"list(r ORDER BY r) FILTER (WHERE regexp_full_match(c, '{COMMA_OR_THOUSANDS}'))[1:5] "
        f"FROM (SELECT {ROW} AS r, {c} AS c FROM {table} WHERE {quote(column)} IS NOT NULL)"
    ).fetchone()
    n_dot, dot_rows, n_comma, comma_rows, dot3, comma3 = row
    if forced is not None:
        against, rows = (n_comma, comma_rows) if forced == "." else (n_dot, dot_rows)
        if against:
            raise InputError(Phrase("err_decimal_against", mark=forced, n=f"{against:,}",
                                    example=Phrase("err_decimal_example_comma" if forced == "." else "err_decimal_example_dot"),
                                    rows=_rows(rows)),
                             file=file, column=column, row=int(rows[0]), fix=Phrase("err_decimal_against_fix"))
        return forced
    if n_dot and n_comma:
        raise InputError(
            Phrase("err_decimal_mixed", n_dot=f"{n_dot:,}", dot_rows=_rows(dot_rows), n_comma=f"{n_comma:,}",
                   comma_rows=_rows(comma_rows)),
            file=file, column=column, row=int((dot_rows if n_dot <= n_comma else comma_rows)[0]),
            fix="Correct the rows of the smaller group, or say which mark is meant: --decimal . or --decimal ,",
        )
    if n_comma:
        return ","
    if n_dot or not (dot3 and comma3):
        return "."
    raise InputError(
        Phrase("err_decimal_ambiguous", dot_rows=_rows(dot3), comma_rows=_rows(comma3)),
        file=file, column=column, row=int(dot3[0]),
        fix="Say which mark is the decimal one: --decimal . (1,234 = 1234) or --decimal , (1,234 = 1.234).",
    )


def _maybe_comma(con: Any, columns: Sequence[str], table: str = "_xb_raw") -> list[bool]:
    """Per column of ``table``, in one scan: whether any value holds a comma or two dots (only
    then can its decimal mark be anything but a point), or a full-width comma or dot (told
    apart by :func:`decimal_mark`)."""
    if not columns:
        return []
    tests = ", ".join(f"bool_or(contains({q}, ',') OR {q} LIKE '%.%.%' OR contains({q}, '，') OR contains({q}, '．'))"
                      for q in map(quote, columns))
    return [bool(x) for x in con.execute(f"SELECT {tests} FROM {table}").fetchone()]


def _rows(rows: Sequence[int]) -> str:
    return ", ".join(f"{int(r):,}" for r in rows)


#: Headers of a column that only numbers the lines (never part of a duplicate key).
_LINE_NUMBER_NAMES = {"序号", "行号", "编号序号", "row", "rowno", "rownumber", "line", "lineno", "linenumber",
                      "no", "#", "index", "idx", "sn", "seq", "seqno"}


def line_number_columns(con: Any, columns: Sequence[str], mapped: Sequence[str]) -> list[str]:
    """The unmapped columns of ``_xb_raw`` that merely number its lines: named like 序号, 行号,
    ``row``, ``line_no``, or holding an integer that goes up by one from line to line (a column
    that merely increases, such as points or a running total, may tell two lines apart)."""
    from xuanba.ingest.mapping import normalise_header

    named = [c for c in columns if c not in mapped
             and (normalise_header(c) in _LINE_NUMBER_NAMES or str(c).strip() == "#")]
    others = [c for c in columns if c not in mapped and c not in named]
    if not others:
        return named
    values = ", ".join(f"TRY_CAST(trim({quote(c)}) AS BIGINT) AS v{i}" for i, c in enumerate(others))
    tests = ", ".join(
        f"count(*) >= 3 AND count(*) = count(v{i}) AND bool_and(v{i} = p{i} + 1 OR p{i} IS NULL)"
        for i in range(len(others))
    )
    lags = ", ".join(f"lag(v{i}) OVER (ORDER BY {ROW}) AS p{i}" for i in range(len(others)))
    counting = con.execute(
        f"SELECT {tests} FROM (SELECT *, {lags} FROM (SELECT {ROW}, {values} FROM _xb_raw))"
    ).fetchone()
    return named + [c for c, yes in zip(others, counting, strict=True) if yes]


def slash_order(con: Any, column: str, table: str = "_xb_raw") -> list[str]:
    """Formats for ``d/m/Y`` or ``m/d/Y`` dates, decided from the column itself (of ``table``:
    ingest's staged ``_xb_raw``, or a relation an engine round reads).

    A first number above 12 somewhere (``30/6/2026``) means day first; a second number above 12
    (``6/30/2026``, the Online Retail export) means month first. When every value fits both, or
    both appear, no such format is added: those rows stay unparsed and ``--date-format`` decides.
    """
    pattern = r"^\s*([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}(\s.*)?$"
    day_first, month_first = con.execute(
        f"SELECT count(*) FILTER (WHERE CAST(regexp_extract(x, '{pattern}', 1) AS INTEGER) > 12), "
        f"count(*) FILTER (WHERE CAST(regexp_extract(x, '{pattern}', 2) AS INTEGER) > 12) "
        f"FROM (SELECT {quote(column)} AS x FROM {table}) WHERE regexp_matches(x, '{pattern}')"
    ).fetchone()
    if bool(day_first) == bool(month_first):
        return []
    lead = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    return [lead, f"{lead} %H:%M", f"{lead} %H:%M:%S"]


_TOTALS = r"(合计|总计|小计|共计|总合计|合計|總計|小計|grand\s*total|sub\s*total|totals?|sum)\s*[:：]?"


def _lines_sql(m: Mapping[str, str], raw_columns: Sequence[str], date_format: str | None,
               extra: Sequence[str] = (), *, tz: str = "UTC", decimals: Mapping[str, str] | None = None,
               not_in_key: Sequence[str] = ()) -> str:
    """One typed row per input line with its reject reason (NULL when it is good)."""
    t = {f: _text(m.get(f)) for f in ("customer_id", "ts", "amount", "order_id", "cost", "quantity",
                                      "unit_price", "product", "channel", "paid_on", "due_on", "status",
                                      "is_return")}
    dec = dict(decimals or {})

    def num(f: str, typ: str = "DECIMAL(18,4)") -> str:
        return _number(t[f], typ, dec.get(f, "."))

    amount_num = num("amount") if "amount" in m else "CAST(NULL AS DECIMAL(18,4))"
    derived = (
        f"TRY_CAST({num('quantity')} * {num('unit_price')} AS DECIMAL(18,4))"
        if {"quantity", "unit_price"} <= set(m) else "CAST(NULL AS DECIMAL(18,4))"
    )
    # a totals row (合计, 总计, Total) at the bottom of an export: never summed in
    totals_in = " OR ".join(f"regexp_full_match(lower(trim({quote(c)})), '{_TOTALS}')" for c in raw_columns)
    if "amount" in m:
        amount_col, amount_raw = m["amount"], t["amount"]
    else:
        amount_col = f"{m.get('quantity')} × {m.get('unit_price')}"
        amount_raw = f"{t['quantity']} || ' × ' || {t['unit_price']}"
    dup_cte, dup_join, dup = "", "", "1"
    if "order_id" in m:
        # Exact duplicate lines: hash every line, then compare the lines whose hash repeats
        # column by column (a hash collision cannot reject a line).
        keyed = [c for c in raw_columns if c not in not_in_key]
        cols = ", ".join(quote(c) for c in keyed)
        dup_cte = f"""
    hashed AS (SELECT {ROW}, hash({cols}) AS _h FROM _xb_raw),
    repeated AS (
        SELECT r.{ROW}, row_number() OVER (PARTITION BY {', '.join('r.' + quote(c) for c in keyed)} ORDER BY r.{ROW}) AS _xb_dup
        FROM _xb_raw r SEMI JOIN (
            SELECT {ROW} FROM hashed WHERE _h IN (SELECT _h FROM hashed GROUP BY _h HAVING count(*) > 1)
        ) s ON r.{ROW} = s.{ROW}
    ),"""
        dup_join = f"LEFT JOIN repeated USING ({ROW})"
        dup = "COALESCE(repeated._xb_dup, 1)"  # a name of ingest's own (read.OWN_PREFIX): no file's column
    is_return = return_sql("order_id" in m, "status" in m, "is_return" in m)
    # the file's own return flag, read by the words an engine round reads it by (one rule)
    flag, flag_unread = flag_sql(m["is_return"]) if "is_return" in m else ("CAST(NULL AS BOOLEAN)", "false")
    col = {f: "'" + str(m.get(f, f)).replace("'", "''") + "'"
           for f in ("customer_id", "ts", "order_id", "is_return", "quantity", "unit_price", "status")}
    # an Excel error (#N/A, #DIV/0!) in a column that only describes the line: that value left empty, counted
    blank = {f: f"COALESCE({excel_error_sql(m[f])}, false)" if f in m else "false" for f in ("product", "channel")}
    amount_col_sql = "'" + amount_col.replace("'", "''") + "'"
    # the typed line's text of each column an Excel error rejects the line by (reason_sql's), and its header
    errors = [("customer_id", col["customer_id"]), ("ts_raw", col["ts"]), ("amount_raw", amount_col_sql),
              *((c, col[f]) for c, f in (("quantity_raw", "quantity"), ("unit_price_raw", "unit_price"),
                                         ("order_id", "order_id"), ("status", "status"), ("flag_raw", "is_return")))]
    return f"""
    WITH {dup_cte}
    base AS (
        SELECT {ROW} AS _row,
            {t['customer_id']} AS customer_id,
            {t['ts']} AS ts_raw,
            {_timestamp(t['ts'], date_format, extra, tz)} AS ts,
            {amount_raw} AS amount_raw,
            COALESCE({amount_num}, CASE WHEN {t['amount']} IS NULL THEN {derived} END) AS amount,
            {t['order_id']} AS order_id,
            {t['cost']} AS cost_raw, {num('cost')} AS cost,
            {t['quantity']} AS quantity_raw, {num('quantity', 'DOUBLE')} AS quantity_read,
            {t['unit_price']} AS unit_price_raw,
            CASE WHEN {blank['product']} THEN NULL ELSE {t['product']} END AS product, {blank['product']} AS product_bad,
            CASE WHEN {blank['channel']} THEN NULL ELSE {t['channel']} END AS channel, {blank['channel']} AS channel_bad,
            {t['status']} AS status,
            {flag} AS flag, {flag_unread} AS flag_unread, {t['is_return']} AS flag_raw,
            {t['paid_on']} AS paid_on_raw, CAST({_timestamp(t['paid_on'], date_format, extra, tz)} AS DATE) AS paid_on,
            {t['due_on']} AS due_on_raw, CAST({_timestamp(t['due_on'], date_format, extra, tz)} AS DATE) AS due_on,
            {dup} AS _dup,
            -- a totals line lacks a field of a sale, or carries its word in place of a customer and
            -- no readable date (a real customer named "Total" with a dated sale is a sale)
            CASE WHEN {t['customer_id']} IS NULL OR {t['amount']} IS NULL OR {t['ts']} IS NULL THEN {totals_in}
                WHEN regexp_full_match(lower({t['customer_id']}), '{_TOTALS}')
                    THEN {_timestamp(t['ts'], date_format, extra, tz)} IS NULL
                ELSE false END AS _totals
        FROM _xb_raw {dup_join}
    ), finite AS (
        -- a quantity of inf, -inf or NaN (1e999 too) is read as none, as a text one that is no number
        SELECT * EXCLUDE (quantity_read), {_finite('quantity_read')} AS quantity FROM base
    ), judged AS (
        SELECT *,
            CASE WHEN _totals THEN 'totals row'
                -- a return flag that says neither yes nor no: the line's sign unknown, never a guess
                ELSE COALESCE({reason_sql()}, CASE WHEN flag_unread THEN 'unreadable return flag' END,
                              CASE WHEN _dup > 1 THEN 'exact duplicate line' END)
            END AS reason,
            {is_return} AS is_return
        FROM finite
    )
    SELECT _row, customer_id, ts, amount, order_id, cost, quantity, product, channel, paid_on,
        due_on, is_return, reason,
        ts_raw IS NOT NULL AS has_ts, CASE WHEN ts IS NULL THEN ts_raw END AS ts_unread,
        cost IS NULL AND cost_raw IS NOT NULL AS cost_bad,
        quantity IS NULL AND quantity_raw IS NOT NULL AS quantity_bad,
        paid_on IS NULL AND paid_on_raw IS NOT NULL AS paid_on_bad,
        due_on IS NULL AND due_on_raw IS NOT NULL AS due_on_bad, product_bad, channel_bad,
        CASE reason
            WHEN 'totals row' THEN {col['customer_id']}
            WHEN 'missing customer id' THEN {col['customer_id']}
            WHEN 'missing date' THEN {col['ts']} WHEN 'unparseable date' THEN {col['ts']}
            WHEN 'date before 1900' THEN {col['ts']} WHEN 'date after 2100' THEN {col['ts']}
            WHEN 'missing amount' THEN {amount_col_sql} WHEN 'non-numeric amount' THEN {amount_col_sql}
            WHEN 'unreadable return flag' THEN {col['is_return']}
            WHEN 'exact duplicate line' THEN {col['order_id']}
            WHEN '{EXCEL_ERROR}' THEN CASE {' '.join(f"WHEN {excel_error_sql(c)} THEN {name}" for c, name in errors)} END
        END AS reject_column,
        CASE reason
            WHEN 'totals row' THEN COALESCE(customer_id, amount_raw)
            WHEN 'missing customer id' THEN customer_id
            WHEN 'missing date' THEN ts_raw WHEN 'unparseable date' THEN ts_raw
            WHEN 'date before 1900' THEN ts_raw WHEN 'date after 2100' THEN ts_raw
            WHEN 'missing amount' THEN amount_raw WHEN 'non-numeric amount' THEN amount_raw
            WHEN 'unreadable return flag' THEN flag_raw
            WHEN 'exact duplicate line' THEN order_id
            WHEN '{EXCEL_ERROR}' THEN COALESCE({', '.join(f"CASE WHEN {excel_error_sql(c)} THEN {c} END" for c, _ in errors)})
        END AS reject_value
    FROM judged
    """


#: The lines kept, a return's money negative: what :data:`_MERGE_SQL` merges and
#: :func:`_check_order_totals` checks.
_GOOD_SQL = """
WITH good AS (
    SELECT customer_id, ts,
        CASE WHEN is_return THEN -abs(amount) ELSE amount END AS amount,
        order_id,
        CASE WHEN is_return THEN -abs(cost) ELSE cost END AS cost,
        CASE WHEN is_return THEN -abs(quantity) ELSE quantity END AS quantity,
        product, channel, paid_on, due_on, is_return, _row
    FROM _xb_lines WHERE reason IS NULL
)
"""

_MERGE_SQL = _GOOD_SQL + """
SELECT customer_id, min(ts) AS ts, CAST(sum(amount) AS DECIMAL(18,4)) AS amount, order_id,
    CAST(sum(cost) AS DECIMAL(18,4)) AS cost, sum(quantity) AS quantity,
    CASE WHEN min(product) = max(product) THEN min(product)
         ELSE array_to_string(list_sort(list_distinct(list(product))), '; ') END AS product,
    min(channel) AS channel, max(paid_on) AS paid_on, min(due_on) AS due_on,
    bool_and(is_return) OR sum(amount) < 0 AS is_return,
    CAST(? AS INTEGER) AS source_id, min(_row) AS source_row
FROM good WHERE order_id IS NOT NULL
GROUP BY order_id, customer_id, CAST(ts AS DATE)
UNION ALL
SELECT customer_id, ts, amount, order_id, cost, quantity, product, channel, paid_on, due_on,
    is_return, CAST(? AS INTEGER), _row
FROM good WHERE order_id IS NULL
"""


# -- the load ----------------------------------------------------------------------------------
def _ensure_tables(ws: Workspace, kind: str) -> None:
    ws.ensure_table("sources")
    ws.ensure_table("rejects")
    if kind == "transactions":
        ws.ensure_table("transactions")  # also adds the columns a hand-made table lacks


def _next_source_id(con: Any) -> int:
    row = con.execute("SELECT COALESCE(max(source_id), 0) + 1 FROM sources").fetchone()
    return int(row[0])


def _check_dates(con: Any, staged: Staged, m: Mapping[str, str], cutoff: dt.date | None) -> None:
    row = con.execute(
        "SELECT count(ts), count(*) FILTER (WHERE has_ts), first(ts_unread ORDER BY _row) FILTER (WHERE ts_unread IS NOT NULL) "
        "FROM _xb_lines"
    ).fetchone()
    parsed, present, example = row
    if not present:
        raise InputError(Phrase("err_dates_empty"), file=staged.name, column=m["ts"], fix=Phrase("err_dates_empty_fix"))
    if not parsed:
        raise InputError(Phrase("err_dates_unread", example=repr(example)), file=staged.name, column=m["ts"],
                         fix=Phrase("err_dates_unread_fix"))
    if cutoff is None:
        return
    late = con.execute(
        "SELECT count(*), min(_row), list(strftime(ts, '%Y-%m-%d') ORDER BY _row)[1:5] FROM _xb_lines "
        "WHERE reason IS NULL AND ts >= CAST(? AS DATE) + INTERVAL 1 DAY",
        [cutoff],
    ).fetchone()
    if late[0]:
        raise InputError(
            Phrase("err_dates_late", n=f"{late[0]:,}", cutoff=cutoff.isoformat()),
            file=staged.name,
            row=int(late[1]),
            column=m["ts"],
            examples=late[2],
            fix=Phrase("err_dates_late_fix"),
        )


def _load_transactions(ws: Workspace, staged: Staged, report: SourceReport, mapping: Mapping[str, str] | None,
                       date_format: str | None, cutoff: dt.date | None, *, tz: str = "UTC",
                       decimal: str | None = None) -> None:
    con = ws.con
    duplicate_headers(staged.header, file=staged.name, matters=read_as_field(mapping))
    m = map_columns(staged.columns, mapping, file=staged.name)
    check_required(m, staged.columns, file=staged.name)
    report.mapping = dict(m)
    extra = [] if date_format else slash_order(con, m["ts"])
    numbers = [f for f in ("amount", "cost", "quantity", "unit_price") if f in m]
    marks = _maybe_comma(con, [m[f] for f in numbers])
    decimals = {f: decimal_mark(con, m[f], decimal, file=staged.name) if maybe else (decimal or ".")
                for f, maybe in zip(numbers, marks, strict=True)}
    counters = line_number_columns(con, staged.columns, list(m.values())) if "order_id" in m else []
    ws.scratch("_xb_lines", _lines_sql(m, staged.columns, date_format, extra, tz=tz, decimals=decimals,
                                       not_in_key=counters))
    _check_dates(con, staged, m, cutoff)
    sid = report.source_id
    _check_order_totals(con, staged, m)
    _reject_repeats(ws, sid, m.get("order_id"))
    ws.insert(
        "rejects",
        'SELECT ? AS source_id, _row AS source_row, reject_column AS "column", reject_value AS value, reason '
        "FROM _xb_lines WHERE reason IS NOT NULL ORDER BY _row",
        [sid],
    )
    cols = ", ".join(TRANSACTION_COLUMNS)
    ws.insert("transactions", f"SELECT {cols} FROM ({_MERGE_SQL}) ORDER BY source_row", [sid, sid])
    reasons = con.execute(
        "SELECT reason, count(*) FROM _xb_lines WHERE reason IS NOT NULL GROUP BY reason ORDER BY 2 DESC, 1"
    ).fetchall()
    report.rejected_by_reason = {r: int(n) for r, n in reasons}
    report.rejected = sum(report.rejected_by_reason.values())
    loaded, returns, customers, total, first, last = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_return), count(DISTINCT customer_id), "
        "sum(amount), min(ts), max(ts) FROM transactions WHERE source_id = ?", [sid]
    ).fetchone()
    report.loaded, report.returns, report.customers = int(loaded), int(returns), int(customers)
    report.amount_total, report.first_ts, report.last_ts = total, first, last
    report.merged = report.input_rows - report.loaded - report.rejected
    empty = con.execute(
        "SELECT count(*) FILTER (WHERE cost_bad), count(*) FILTER (WHERE quantity_bad), "
        "count(*) FILTER (WHERE paid_on_bad), count(*) FILTER (WHERE due_on_bad), "
        "count(*) FILTER (WHERE product_bad), count(*) FILTER (WHERE channel_bad) "
        "FROM _xb_lines WHERE reason IS NULL"
    ).fetchone()
    report.values_left_empty = {
        m[f]: int(n) for f, n in zip(("cost", "quantity", "paid_on", "due_on", "product", "channel"), empty, strict=True)
        if n
    }
    report.dashes_read_as_zero = _dash_zeros(con, {m[f]: decimals[f] for f in numbers})
    ws.drop_scratch("_xb_lines")


def _dash_zeros(con: Any, columns: Mapping[str, str]) -> dict[str, int]:
    """Per number column of ``_xb_raw`` (its decimal mark), how many kept lines held Excel's
    accounting zero, a lone dash :func:`_number` reads as 0: said in the report, since a dash some
    exports write for "none" then makes a line of 0 (a purchase occasion when it is an amount).
    A cell with a dash and no digit that reads as 0 is one; the others are never read twice."""
    if not columns:
        return {}
    tests = []
    for col, dec in columns.items():
        x = quote(col)
        tests.append(f"count(*) FILTER (WHERE regexp_matches({x}, '[-\u2212－]') AND NOT regexp_matches({x}, '[0-9０-９]') "
                     f"AND {_number(x, 'DOUBLE', dec)} = 0)")
    got = con.execute(f"SELECT {', '.join(tests)} FROM _xb_raw SEMI JOIN _xb_lines l "
                      f"ON _xb_raw.{ROW} = l._row AND l.reason IS NULL").fetchone()
    return {col: int(n) for col, n in zip(columns, got, strict=True) if n}


def _check_order_totals(con: Any, staged: Staged, m: Mapping[str, str]) -> None:
    """Said when the lines of one order (each money) add up to a total no workspace stores
    (:data:`~xuanba.ingest.rules.MONEY_LIMIT` or more in absolute value): the merge of
    :data:`_MERGE_SQL` would fail in DuckDB's cast to ``DECIMAL(18,4)``. Names the order, its first
    row and the column; a scan of two sums when no order can reach the limit."""
    sums = con.execute("SELECT sum(abs(amount)), sum(abs(cost)) FROM _xb_lines "
                       "WHERE reason IS NULL AND order_id IS NOT NULL").fetchone()
    if all(v is None or v < MONEY_LIMIT for v in sums):
        return
    row = con.execute(_GOOD_SQL + f"""
        SELECT min(_row), order_id, CAST(sum(amount) AS VARCHAR), CAST(sum(cost) AS VARCHAR),
            abs(sum(amount)) >= {MONEY_LIMIT}
        FROM good WHERE order_id IS NOT NULL GROUP BY order_id, customer_id, CAST(ts AS DATE)
        HAVING abs(sum(amount)) >= {MONEY_LIMIT} OR abs(sum(cost)) >= {MONEY_LIMIT}
        ORDER BY 1 LIMIT 1""").fetchone()
    if row is None:
        return
    first, order, amount, cost, by_amount = row
    column = m.get("amount" if by_amount else "cost") or m.get("unit_price")
    raise InputError(Phrase("err_order_total_too_large", order=order, total=amount if by_amount else cost),
                     file=staged.name, row=int(first), column=column, fix=Phrase("err_order_total_too_large_fix"))


def _reject_repeats(ws: Workspace, sid: int | None, order_col: str | None) -> None:
    """Mark the lines of ``_xb_lines`` whose transaction is already in the workspace (from another
    source) with the reason ``already loaded from <file>``.

    A transaction with an order number is known by order number, customer, day and amount; an
    order already loaded with another amount (a partial export cut inside the order, then the
    full one) is rejected too, as ``order already loaded from <file> with another amount``, so
    nothing is counted twice. A transaction without an order number is known by all its fields,
    counted: a file that holds a line twice after a file that held it once adds one.
    """
    con = ws.con
    if not con.execute("SELECT count(*) FROM (SELECT 1 FROM transactions LIMIT 1)").fetchone()[0]:
        return
    fields = ("customer_id", "ts", "amount", "cost", "quantity", "product", "channel", "paid_on", "due_on")
    same = " AND ".join(f"n.{f} IS NOT DISTINCT FROM e.{f}" for f in fields)
    ws.scratch("_xb_new", f"SELECT * FROM ({_MERGE_SQL})", [sid, sid])
    ws.scratch("_xb_seen", f"""
        WITH keyed AS (
            SELECT n.customer_id, n.order_id, CAST(n.ts AS DATE) AS day,
                arg_max(s.file, t.amount = n.amount) AS file, bool_or(t.amount = n.amount) AS same_amount
            FROM _xb_new n JOIN transactions t ON t.order_id = n.order_id AND t.customer_id = n.customer_id
                AND CAST(t.ts AS DATE) = CAST(n.ts AS DATE)
            JOIN sources s ON s.source_id = t.source_id
            WHERE n.order_id IS NOT NULL
            GROUP BY ALL
        ), n AS (
            SELECT *, row_number() OVER (PARTITION BY {', '.join(fields)} ORDER BY source_row) AS k
            FROM _xb_new WHERE order_id IS NULL
        ), e AS (
            SELECT {', '.join(fields)}, count(*) AS c, min(source_id) AS source_id
            FROM transactions WHERE order_id IS NULL GROUP BY ALL
        )
        SELECT l._row, CASE WHEN k.same_amount THEN 'already loaded from ' || k.file
            ELSE 'order already loaded from ' || k.file || ' with another amount' END AS why
        FROM _xb_lines l JOIN keyed k ON l.reason IS NULL AND l.order_id = k.order_id
            AND l.customer_id = k.customer_id AND CAST(l.ts AS DATE) = k.day
        UNION ALL
        SELECT n.source_row, 'already loaded from ' || s.file
        FROM n JOIN e ON {same} AND n.k <= e.c JOIN sources s ON s.source_id = e.source_id
    """)
    if con.execute("SELECT count(*) FROM _xb_seen").fetchone()[0]:
        order = "'" + order_col.replace("'", "''") + "'" if order_col else "CAST(NULL AS VARCHAR)"
        ws.scratch("_xb_marked", f"""
            SELECT l.* REPLACE (
                COALESCE(l.reason, r.why) AS reason,
                CASE WHEN r.why IS NOT NULL THEN {order} ELSE l.reject_column END AS reject_column,
                CASE WHEN r.why IS NOT NULL THEN l.order_id ELSE l.reject_value END AS reject_value)
            FROM _xb_lines l LEFT JOIN _xb_seen r USING (_row)
        """)
        ws.scratch("_xb_lines", "SELECT * FROM _xb_marked")
        ws.drop_scratch("_xb_marked")
    ws.drop_scratch("_xb_new")
    ws.drop_scratch("_xb_seen")


def _load_side(ws: Workspace, staged: Staged, report: SourceReport, kind: str,
               mapping: Mapping[str, str] | None) -> None:
    duplicate_headers(staged.header, file=staged.name)  # every column of a side table is kept
    raw = ws.con.execute(f"SELECT * EXCLUDE ({ROW}) FROM _xb_raw ORDER BY {ROW}").df()
    try:
        table, rejects = read_side_table(kind, raw, dict(mapping) if mapping else None)
    except InputError as exc:
        raise type(exc)(exc.phrase or exc.message, file=staged.name, row=exc.row, column=exc.column,
                        fix=exc.fix_phrase or exc.fix, examples=exc.examples, count=exc.count) from None
    report.mapping = {c: c for c in table.columns}
    report.loaded = len(table)
    report.values_left_empty = dict(table.attrs.get(LEFT_EMPTY) or {})  # an optional column's Excel error
    report.rejected = int(rejects["row"].nunique()) if len(rejects) else 0
    if len(rejects):
        first = rejects.drop_duplicates("row")
        report.rejected_by_reason = {
            f"{c}: {r}": int(n) for (c, r), n in first.groupby(["column", "reason"]).size().items()
        }
        ws.insert("rejects", first.rename(columns={"row": "source_row"}).sort_values("source_row")
                  .assign(source_id=report.source_id)[["source_id", "source_row", "column", "value", "reason"]])
    if "customer_id" in table.columns:
        report.customers = int(table["customer_id"].nunique())
    ws.append(kind, table)
    report.merged = report.input_rows - report.loaded - report.rejected


def _header_test(kind: str, mapping: Mapping[str, str] | None) -> Callable[[list[str]], bool]:
    """Tells the header of a ``kind`` source from title rows above it: the row names the required
    fields, by their aliases or by the columns ``mapping`` gives them."""
    if kind == "transactions":
        return header_test(mapping)
    return _side_header(kind, mapping)


def _side_header(kind: str, mapping: Mapping[str, str] | None = None) -> Callable[[list[str]], bool]:
    """Header test for a side table: the row names every required column (by its aliases or the
    column ``mapping`` gives it)."""
    from xuanba.ingest.mapping import normalise_header

    schema = SCHEMAS[kind]
    given = mapping or {}
    names = {req: {normalise_header(a) for a in (req, *schema.aliases.get(req, ()), *([given[req]] if req in given else []))}
             for req in schema.required}

    def test(cells: list[str]) -> bool:
        got = {normalise_header(c) for c in cells}
        return all(got & aliases for aliases in names.values())

    return test


def _is_many(source: Any) -> bool:
    return isinstance(source, (list, tuple)) and all(isinstance(s, (str, os.PathLike)) for s in source)


def _expand(source: Any) -> list[Any]:
    if isinstance(source, (str, os.PathLike)):
        return list(list_sources(source))
    if _is_many(source):
        out: list[Any] = []
        for s in source:
            out += list_sources(s)
        return out
    return [source]


def _sheets(items: list[Any], sheet: str | int | None) -> list[tuple[Any, str | int | None]]:
    """(source, sheet) pairs: with ``sheet="all"`` every sheet of each workbook is a source."""
    from xuanba.ingest.read import sheet_names

    out: list[tuple[Any, str | int | None]] = []
    for item in items:
        book = isinstance(item, (str, os.PathLike)) and Path(item).suffix.lower() in (".xlsx", ".xlsm", ".xls")
        if not book:
            out.append((item, None))
        elif sheet == "all":
            out += [(item, name) for name in sheet_names(item)]
        else:
            out.append((item, sheet))
    return out


def workspace_time_zone(ws: Workspace, tz: str | None = None) -> str:
    """The workspace's time zone: recorded at its first ingest (``tz``, else the machine's zone
    then) and the same ever after, whatever ``TZ`` says to the process that runs later commands.

    Example
    -------
    >>> from xuanba import Workspace
    >>> with Workspace(":memory:") as ws:
    ...     workspace_time_zone(ws, "Asia/Shanghai"), workspace_time_zone(ws)
    ('Asia/Shanghai', 'Asia/Shanghai')
    """
    have = ws.setting("time_zone")
    if have is not None and ws.con.execute(
            "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [have]).fetchone()[0] == 0:
        raise InputError(Phrase("err_ws_tz_bad", tz=quoted(have)), file=ws.path, fix=Phrase("err_ws_tz_bad_fix"))
    if tz is not None:
        known = ws.con.execute("SELECT name FROM pg_timezone_names() WHERE lower(name) = lower(?)", [tz]).fetchone()
        if known is None:
            raise InputError(Phrase("err_tz_bad", tz=quoted(tz)), fix=Phrase("err_tz_bad_fix"))
        tz = str(known[0])
        if have is not None and have != tz:
            raise InputError(Phrase("err_tz_other", have=have, tz=tz), file=ws.path, fix=Phrase("err_tz_other_fix", have=have))
    if have is not None:
        return have
    zone = tz or str(ws.con.execute("SELECT current_setting('TimeZone')").fetchone()[0])
    ws.set_setting("time_zone", zone)
    return zone


def _write_rejects(ws: Workspace, ids: list[int], path: Path) -> None:
    from xuanba.tables import write_table

    frame = ws.con.execute(
        'SELECT s.file, r.source_row, r."column", r.value, r.reason FROM rejects r '
        "JOIN sources s USING (source_id) WHERE list_contains(?, r.source_id) "
        "ORDER BY r.source_id, r.source_row",
        [ids],
    ).df()
    write_table(frame, path, sheet="rejects")


def ingest(
    source: Any,
    workspace: Workspace | str | os.PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    kind: str = "transactions",
    header: bool = True,
    columns: Sequence[str] | None = None,
    date_format: str | None = None,
    cutoff: dt.date | str | None = None,
    rejects_out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    decimal: str | None = None,
    tz: str | None = None,
) -> IngestReport:
    """Read sources, map and type their columns, and load them into the workspace.

    Parameters
    ----------
    source
        A file (.csv/.txt/.tsv in UTF-8, UTF-8 BOM, UTF-16 or GBK/GB18030; .xlsx; .parquet), a
        folder of such files, a list of paths, or an in-memory table (pandas, polars, Arrow).
    workspace
        A :class:`~xuanba.Workspace` or the path of its file (created when missing).
    mapping
        ``{field: column}`` for headers the built-in English and Chinese aliases miss; wins over
        them. Fields: customer_id, ts, amount, order_id, cost, quantity, unit_price, product,
        channel, paid_on, due_on, status, is_return (side tables: their own columns).
    kind
        ``transactions`` (default) or a side table: customers, interactions, commitments,
        resources, needs, contacts — stored in a workspace table of that name.
    header, columns
        For files without a header line give ``columns`` (names in file order; names that are
        not fields are ignored), e.g. ``["master_id", "customer_id", "ts", "quantity", "amount"]``.
    date_format
        A strptime format tried before the built-in ones (ISO, 2026/6/30, 20260630, 2026年6月30日,
        Excel serial numbers).
    cutoff
        When given, rows dated after this day are an error.
    rejects_out
        Also write this call's rejected rows to a .csv/.xlsx/.parquet file.
    progress
        Called as ``progress(done, total, name)`` before each source and once at the end.
    sheet
        The sheet of an .xlsx to read: a name, a number from 1, or ``"all"`` (each sheet a source);
        default the first.
    header_row
        The line of the file (row of the sheet), from 1, that holds the column names; default
        found: the first row naming a customer, a date and an amount (by their aliases or the
        columns ``mapping`` gives), else the first row of distinct names as wide as the rows under
        it (title rows above either are skipped). A second header row under merged cells is read with it.
    decimal
        ``"."`` or ``","``: the decimal mark of the number columns. Default decided per column
        (``1.234,50`` and ``12,5`` mean a comma); a column that could be either is refused.
    tz
        The workspace's time zone (an IANA name such as ``Asia/Shanghai``), recorded at the first
        ingest (default the machine's zone then) and fixed after: timestamps written with a
        zone become wall time in it, whatever the ``TZ`` of the process.

    Returns
    -------
    IngestReport
        Row accounting per source: ``input_rows == loaded + merged + rejected``.

    Raises
    ------
    InputError, SchemaError
        Unreadable file, empty file, missing required column, ambiguous headers, no parseable
        dates, dates after the cutoff. Nothing is written then.

    Example
    -------
    >>> import pandas as pd
    >>> from xuanba import Workspace
    >>> raw = pd.DataFrame({"客户编号": ["007", "007", ""], "日期": ["2026/6/1", "2026年6月30日", "2026-06-02"],
    ...                     "金额": ["12.50", "-2.5", "9"]})
    >>> with Workspace(":memory:") as ws:
    ...     rep = ingest(raw, ws)
    ...     total = ws.sql("SELECT sum(amount) AS s FROM transactions")["s"][0]
    >>> rep.input_rows, rep.loaded, rep.rejected, rep.returns, float(total)
    (3, 2, 1, 1, 10.0)
    """
    if kind not in KINDS:
        raise InputError(Phrase("err_unknown_kind", kind=quoted(kind)), fix=Phrase("err_use_one_of", names=Listed(KINDS)))
    if cutoff is not None:
        cutoff = as_date(cutoff, "cutoff")
    if decimal not in (None, ".", ","):
        raise InputError(Phrase("err_decimal_mark", value=quoted(decimal)), fix=Phrase("err_decimal_mark_fix"))
    names = list(columns) if columns is not None else None
    items = _sheets(_expand(source), sheet)
    with open_workspace(workspace, create=True) as ws, ws.transaction() as con:
        zone = workspace_time_zone(ws, tz)
        report = IngestReport(workspace=ws.path, kind=kind, time_zone=zone)
        _ensure_tables(ws, kind)
        for i, (item, item_sheet) in enumerate(items):
            label = str(item) if isinstance(item, (str, os.PathLike)) else "<table>"
            if progress is not None:
                progress(i, len(items), label)
            try:
                staged = stage(con, item, "_xb_raw", header=header, columns=names,
                               find_header=_header_test(kind, mapping),
                               sheet=item_sheet, header_row=header_row, tz=zone)
            except InputError as exc:
                blank = (exc.message.startswith("the sheet ") and exc.message.endswith(" is empty")
                         or exc.message == "the file has no data rows")
                if sheet == "all" and item_sheet is not None and blank:
                    # --sheet all: a blank sheet, or one holding a single line of notes, has no rows
                    report.sources.append(SourceReport(f"{label}#{item_sheet}", kind, "no table", ""))
                    continue
                raise
            seen = con.execute(
                "SELECT source_id FROM sources WHERE sha256 = ? AND kind = ?", [staged.sha256, kind]
            ).fetchone()
            rep = SourceReport(staged.name, kind, "loaded", staged.sha256, format=staged.fmt,
                               encoding=staged.encoding, delimiter=staged.delimiter,
                               lines_above_header=staged.skipped)
            if seen is not None:
                rep.status, rep.source_id = "already loaded", int(seen[0])
                report.sources.append(rep)
                unstage(con, "_xb_raw")
                continue
            rep.source_id = _next_source_id(con)
            rep.input_rows = staged.rows
            if kind == "transactions":
                _load_transactions(ws, staged, rep, mapping, date_format, cutoff, tz=zone, decimal=decimal)
            else:
                _load_side(ws, staged, rep, kind, mapping)
            ws.insert(
                "sources",
                "SELECT ? AS source_id, ? AS kind, ? AS file, ? AS sha256, ? AS format, ? AS encoding, "
                "? AS delimiter, ? AS rows, ? AS loaded, ? AS merged, ? AS rejected, "
                "current_localtimestamp() AS loaded_at, ? AS mapping",
                [rep.source_id, kind, Path(staged.name).name if staged.fmt != "table" else staged.name,
                 rep.sha256, rep.format, rep.encoding, rep.delimiter, rep.input_rows, rep.loaded,
                 rep.merged, rep.rejected, json.dumps(rep.mapping, ensure_ascii=False)],
            )
            unstage(con, "_xb_raw")
            report.sources.append(rep)
        if progress is not None:
            progress(len(items), len(items), "")
        if rejects_out is not None:
            ids = [s.source_id for s in report.sources if s.status == "loaded" and s.source_id]
            _write_rejects(ws, ids, Path(rejects_out))
            report.rejects_out = str(rejects_out)
    return report
