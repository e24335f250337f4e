"""The transactions a round on an engine reads, checked as ``xuanba ingest`` checks them.

A workspace round reads what ingest checked and stored; a round on an engine reads its source
as it is. :func:`checked_transactions` applies ingest's rules (:mod:`xuanba.ingest.rules`, the
same Ibis expressions) in the engine, without collecting rows:

- ids are read as ingest reads them (spaces trimmed, empty text missing), so ``" abc"`` and
  ``"abc"`` are one customer on both;
- a row that breaks a rule (no id, no date, a date before 1900 or after 2100, no amount, an
  amount that is not a number ingest stores: ``NaN``, ``±inf``, or ``1e14`` and beyond,
  :data:`~xuanba.ingest.rules.MONEY_LIMIT`) is left out and counted by reason, as ingest rejects
  it; the counts go into the round's meta (``source_rows``) and onto the console;
- a ``cost`` that is not such a number, or an Excel error (``#N/A``, ``#DIV/0!``:
  :func:`~xuanba.ingest.rules.excel_error`), is left empty, as ingest leaves it, and counted
  (``source_rows["values_left_empty"]``, only when there are some): no customer's money is
  infinite or NaN, so no headline figure reads one;
- a ``quantity`` written as text is read for its sign as ingest reads it
  (:func:`~xuanba.ingest.rules.negative_number`: ``-1,000``, ``－1``, ``(1)``), and one ingest
  reads as no number (``abc``, and ``inf``, ``-inf``, ``NaN``, ``1e999``, as text or as a float) is
  no return, counted as ingest counts it (``values_left_empty``);
- text that is meant to be a date, an amount or a used row's cost and cannot be read as one
  (``"abc"``, ``"2025-13-45"``) is an :class:`SourceError` naming the column, a row and the value: ingest
  reads more date formats than the engine (``2025年6月30日``), and money text beyond a plain
  number only a ``.csv`` source on DuckDB reads as ingest does (``¥1,234.50``, ``1.2万``, decimal
  commas: :func:`xuanba.rounds.engine.duckdb_source`, which leaves a cell that is no money by
  ingest's rules as written), so such a row is not silently dropped on a guess.

The counts come from the query that already read the source once to find its first date (one
aggregate, grouped by reason); the rows used are a filter the facts' query carries.

Example
-------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": [" a", "a ", "", "b"], "amount": [1.0, 2.0, 3.0, float("nan")],
...                    "ts": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-04", "1500-01-01"])})
>>> table, rows = checked_transactions(tx, "2025-12-31")
>>> rows
{'input_rows': 4, 'used': 2, 'rejected': 2, 'rejected_by_reason': {'date before 1900': 1, 'missing customer id': 1}}
>>> sorted(table.to_pyarrow()["customer_id"].to_pylist())
['a', 'a']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import ibis

from xuanba.errors import DataError, InputError, Phrase, SchemaError
from xuanba.ingest.rules import (
    MONEY_LIMIT,
    REASONS,
    excel_error,
    finite,
    flag_value,
    is_return_line,
    negative_number,
    netted,
    reject_reason,
    text_value,
)

UNPARSEABLE_DATE, NON_NUMERIC = REASONS[2], REASONS[6]


class SourceError(InputError):
    """A cell of an engine round's source that cannot be read; the command line adds the source's
    name (``file``) where it knows it."""


class SourceDataError(DataError):
    """An engine round's source with no transaction to use (no rows, or none that ingest would
    keep); the command line adds the source's name (``file``) where it knows it."""


def _read_ts(ts: Any) -> tuple[Any, Any]:
    """The date as written (``NULL``: missing) and as read (``NULL``: unreadable), compared as a
    timestamp; a date or time column is read as it is, text as ISO text."""
    if ts.type().is_string():
        raw = text_value(ts)
        return raw, raw.try_cast("timestamp")
    if ts.type().is_temporal():
        return ts, ts if ts.type().is_timestamp() else ts.cast("timestamp")
    return ts, ts.cast("timestamp")  # a number: as the facts have always cast it


def _read_amount(amount: Any) -> tuple[Any, Any, Any]:
    """The amount (or cost) as written, as read (``NULL``: not a number ingest stores, as ingest
    reads ``NaN``, ``inf`` or ``1e20``: :func:`_money_read`), and whether it is text that is not a
    number at all."""
    if amount.type().is_null():  # a column of no value at all (pandas' None, Arrow's null type): as numbers
        amount = amount.cast("float64")
    if amount.type().is_string():
        raw = text_value(amount)
        number = raw.try_cast("float64")
        unread = raw.notnull() & number.isnull()
        return raw, _money_read(number, raw), unread
    raw, number, unread = amount, amount, ibis.literal(False)
    if number.type().is_floating():  # NaN is written (Ibis on Spark takes it for missing)
        raw = ibis.ifelse(amount.isnan(), 0.0, amount)
    return raw, _money_read(number, amount if amount.type().is_decimal() else None), unread


def _money_read(number: Any, exact: Any = None) -> Any:
    """``number`` where ingest stores it as money (``DECIMAL(18,4)``): ``NULL`` for ``NaN``,
    ``±inf`` and an absolute value of :data:`~xuanba.ingest.rules.MONEY_LIMIT` or more (``abs(x) <
    limit`` is false for NaN and ±inf, null for null: one comparison). ``exact``: the value as
    text or Decimal, where it says more than a double: money too when it fits ``DECIMAL(18,4)``,
    ingest's own cast (``99999999999999.9999`` is a double of 1e14, and ingest stores it).

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"x": ["99999999999999.9999", "100000000000000", "1e300", "-5"]}))
    >>> got = t.select(m=_money_read(t.x.try_cast("float64"), t.x)).to_pyarrow()["m"].to_pylist()
    >>> [v is not None for v in got]
    [True, False, False, True]
    """
    if not number.type().is_numeric():
        return number
    fits = number.abs() < ibis.literal(MONEY_LIMIT, type="float64")
    if exact is not None:
        fits = fits | exact.try_cast("decimal(18,4)").notnull()
    return ibis.ifelse(fits, number.cast("float64"), ibis.null("float64"))


def named_as_ingest_names(table: Any, mapping: Mapping[str, str] | None = None) -> tuple[Any, dict[str, str]]:
    """``table`` (an Ibis table) with its headers read as ``xuanba ingest`` reads a file's: by
    :func:`xuanba.ingest.mapping.map_columns` (its aliases, 客户编号, 退货标志, Order Date, ...;
    ``mapping`` ``{field: header}`` first), each mapped header renamed to its field in one Ibis
    projection (work per column, none per row; a table of canonical names is handed back as it is),
    and ``{field: header}``. A column named as a field that ``mapping`` reads from another header
    (in any case: ``Amount`` beside ``amount``, one name to Spark and DuckDB) is not read, as
    ingest reads it not; a header ``mapping`` gives two fields gives both, as
    ingest reads it for both.

    Raises
    ------
    SchemaError
        As ingest raises it: one name written twice (:func:`refuse_twin_headers`), two columns of
        one field (``is_return`` and ``退货标志``), a mapping
        that names no column, a required field with no column; and an amount that only a quantity
        and a unit price give (ingest multiplies them, the engine does not).

    Example
    -------
    >>> t = ibis.table({"客户编号": "string", "下单日期": "date", "金额（元）": "float64", "备注": "string"}, name="t")
    >>> named, found = named_as_ingest_names(t)
    >>> named.columns, found["amount"]
    (('customer_id', 'ts', 'amount', '备注'), '金额（元）')
    """
    from xuanba.ingest.mapping import check_required, map_columns

    columns = list(table.columns)
    refuse_twin_headers(table, columns, mapping)
    found = map_columns(columns, mapping)
    check_required(found, columns)
    if "amount" not in found:  # the quantity and the unit price check_required accepts for it
        raise SchemaError(Phrase("err_source_amount_from_price", quantity=repr(found["quantity"]),
                                 price=repr(found["unit_price"])),
                          column=found["unit_price"], fix=Phrase("err_source_amount_from_price_fix"))
    fields_of: dict[str, list[str]] = {}  # header -> the fields read from it (ingest reads one column for two)
    for field, header in found.items():
        fields_of.setdefault(header, []).append(field)
    given = {field.casefold() for field in found}
    # a column named as a field that another header gives is not read (Amount beside 金额 read as
    # amount: one name to Spark and DuckDB)
    unread = [c for c in columns if c not in fields_of and c.casefold() in given]
    if not unread and all(fields == [header] for header, fields in fields_of.items()):
        return table, found
    named = []
    for column in columns:
        fields = fields_of.get(column)
        if fields is None:
            if column not in unread:
                named.append(table[column])
            continue
        first = column if column in fields else fields[0]
        named += [table[column].name(first), *(table[column].name(f) for f in fields if f != first)]
    return table.select(*named), found


def refuse_twin_headers(table: Any, columns: Sequence[str], mapping: Mapping[str, str] | None) -> None:
    """Refuse ``columns`` (of the Ibis ``table``) holding one name written twice (``amount`` and
    ``AMOUNT``) as ingest refuses such a table (:func:`xuanba.ingest.read.duplicate_headers`: twins
    of a field's name or of a ``mapping`` column): which one holds the data would be a guess, and
    ``mapping`` cannot pick one on Spark (names are one to its analyser: an ambiguous reference,
    a traceback). On Spark any two names Spark reads as one are refused so, not only a field's,
    and a table's names are Spark's own (:func:`_spark_names`: a joined DataFrame's two
    ``amount``, which Ibis's schema holds as one).

    Example
    -------
    >>> refuse_twin_headers(None, ["customer_id", "ts", "amount", "AMOUNT"], {"amount": "amount"})
    Traceback (most recent call last):
    ...
    xuanba.errors.SchemaError: column 'amount': columns 3 and 4 ('amount', 'AMOUNT') are one name written twice
      fix: Rename or delete one of them in the file, then ingest again.
    """
    on_spark = _on_spark(table)
    if on_spark:  # Spark's own names: Ibis holds a joined frame's two `amount` as one
        columns = _spark_names(table) or columns
    _refuse_twins(columns, mapping, spark=on_spark, case_sensitive=on_spark and _case_sensitive(table))


def _refuse_twins(columns: Sequence[str], mapping: Mapping[str, str] | None, *, spark: bool,
                  case_sensitive: bool = False) -> None:
    """:func:`xuanba.ingest.read.duplicate_headers` of ``columns``: twins of a field's name or of
    a ``mapping`` column; with ``spark`` also any two names Spark reads as one (in a session with
    ``spark.sql.caseSensitive`` on, names written alike only: ``note`` and ``NOTE`` are two there)."""
    from collections import Counter

    from xuanba.ingest.mapping import read_as_field
    from xuanba.ingest.read import duplicate_headers

    def fold(name: str) -> str:  # Spark's own folding (Java's toLowerCase), unless the session is case-sensitive
        return name if case_sensitive else name.lower()

    reads = read_as_field(mapping)
    folded = Counter(fold(str(c)) for c in columns)
    if max(folded.values(), default=0) < 2 or not spark:
        folded.clear()
    duplicate_headers(columns, matters=lambda c: reads(c) or folded[fold(c)] > 1)


def _case_sensitive(table: Any) -> bool:
    """Whether the Spark session of ``table`` tells names apart by case (``spark.sql.caseSensitive``)."""
    try:
        return str(table._find_backend()._session.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    except Exception:  # noqa: BLE001 - no session to ask: Spark's default, case-insensitive
        return False


def _on_spark(table: Any) -> bool:
    from xuanba.standard.engine_spark import is_spark

    try:
        return is_spark(table)
    except Exception:  # noqa: BLE001 - an unbound or in-memory table: not Spark
        return False


def _spark_names(table: Any) -> list[str] | None:
    """The column names Spark gives the Ibis ``table`` where it is a table or view of the session
    (a DataFrame registered after ``df1.join(df2, ...)``: two ``amount``, which Ibis's schema holds
    as one; the view's analysis only, no job); ``None`` for an expression over one."""
    import ibis.expr.operations as ops

    if not isinstance(table.op(), ops.DatabaseTable):
        return None
    backend = table._find_backend()
    try:
        return list(backend._session.sql(str(backend.compile(table))).columns)
    except Exception:  # noqa: BLE001 - not Spark's to say: the names Ibis gives
        return None


def without_unread_twins(source: Any, mapping: Mapping[str, str] | None = None) -> Any:
    """An in-memory ``source`` (pandas or Arrow) with one name written twice as it is (two
    ``amount`` after ``df1.merge(df2, ...)`` renamed, or built so), which neither Arrow nor Ibis
    takes as a table: twins of a field's name or of a ``mapping`` column refused as ingest
    refuses them (:func:`xuanba.ingest.read.duplicate_headers`, which columns and the fix), twins
    nobody reads (two ``备注``) left out, as ingest leaves them unused. A Spark DataFrame's
    ``.columns`` are refused so (any twins: Spark reads no one of them). Anything else as it is.

    Example
    -------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([["a", "2025-01-01", 5, "x", "y"]], columns=["customer_id", "ts", "amount", "备注", "备注"])
    >>> list(without_unread_twins(frame).columns)
    ['customer_id', 'ts', 'amount']
    >>> without_unread_twins(frame.set_axis(["customer_id", "ts", "amount", "amount", "备注"], axis=1))
    Traceback (most recent call last):
    ...
    xuanba.errors.SchemaError: column 'amount': columns 3 and 4 ('amount', 'amount') are one name written twice
      fix: Rename or delete one of them in the file, then ingest again.
    """
    from collections import Counter

    import pandas as pd
    import pyarrow as pa

    if isinstance(source, pd.DataFrame):
        names = [str(c) for c in source.columns]
    elif isinstance(source, pa.Table | pa.RecordBatch):
        names = list(source.column_names)
    elif type(source).__module__.startswith("pyspark.sql") and hasattr(source, "columns"):  # a Spark DataFrame
        _refuse_twins(list(source.columns), mapping, spark=True)
        return source
    else:
        return source
    counts = Counter(names)
    if max(counts.values(), default=0) < 2:
        return source
    _refuse_twins(names, mapping, spark=False)  # a field's twins (in any case), refused
    keep = [i for i, name in enumerate(names) if counts[name] == 1]
    return source.iloc[:, keep] if isinstance(source, pd.DataFrame) else source.select(keep)


#: Bytes of a CSV read at a time by :func:`refuse_wider_rows` (a numpy pass over each block).
WIDTH_CHUNK = 8 << 20
#: Records read at a time by the csv module where :func:`refuse_wider_rows` meets a quote.
_RECORD_BLOCK = 1 << 20


def refuse_wider_rows(path: str | Path, delim: str, above: int) -> None:
    """Refuse the local UTF-8 CSV ``path`` (``delim`` its delimiter, its header the record ``above``
    from 1, as :func:`xuanba.ingest.read.checked_csv_layout` finds it) where a row has more cells
    than the header, as ``xuanba ingest`` refuses it (:func:`wider_row_refused`: the file, the row,
    both widths and the fix; ingest's words): Spark's reader drops the cells past the header,
    silently (``b,2025-01-02,6,99`` under ``customer_id,ts,amount`` read as amount 6, the 99
    lost). A row narrower than the header is read as ingest reads it, its missing cells empty.

    The file's cells are counted per line with numpy, block by block (:func:`_wider_somewhere`;
    from the line of its first quote on, per record with the csv module); only where a row is
    wider is it read again for ingest's row number (:func:`xuanba.ingest.csv_records._wider_row`).

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("customer_id,ts,amount\\na,2025-01-01,5\\nb,2025-01-02\\nc,2025-01-03,6,99\\n")
    >>> refuse_wider_rows(p, ",", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: ...t.csv, row 3: the row has 4 fields where the header has 3: a cell holding the delimiter is not quoted, or a quote is not closed
      fix: Open the file, quote the cell that holds the delimiter (or delete the extra delimiter), save, and ingest again; Excel's 'CSV UTF-8' export quotes such cells itself.
    """
    from xuanba.ingest.csv_records import _wider_row

    path = Path(path)
    if delim == " " or not _wider_somewhere(path, delim, above):  # runs of spaces: no cell to count past
        return
    found = _wider_row(path, delim, above)
    if found is not None:
        raise wider_row_refused(*found, str(path))


def wider_row_refused(record: Any, width: int, where: str) -> InputError:
    """Ingest's refusal of ``record`` (a :func:`xuanba.ingest.csv_records._wider_row` record) with more
    cells than the header's ``width`` (:func:`xuanba.ingest.read._wider_error`, its very words)."""
    from xuanba.ingest.read import _wider_error

    return _wider_error(record, width, where)


def _wider_somewhere(path: Path, delim: str, above: int) -> bool:
    """Whether a record of the UTF-8 CSV ``path`` below its header (the record ``above``, from 1)
    may hold more cells than the header: each block's records counted at once with numpy
    (:func:`_record_cells`); from a block whose quotes it cannot read so (``12"`` in a cell, a line
    ended by a lone CR), each record's cells counted by the csv module (:func:`_wider_records`).
    ``True`` may be a false alarm (a cell too long for the csv module): the caller reads the file
    again for the row."""
    import codecs

    width, done, carry = 0, 0, b""
    with path.open("rb") as fh:
        start = len(codecs.BOM_UTF8) if fh.read(3) == codecs.BOM_UTF8 else 0  # the byte where ``data`` starts
        fh.seek(start)
        while True:
            chunk = fh.read(WIDTH_CHUNK)
            data = carry + chunk
            if not chunk and data and not data.endswith(b"\n"):
                data += b"\n"  # the last line, with no line end
            counted = _record_cells(data, ord(delim))
            if counted is None:
                fh.seek(start)
                return _wider_records(fh, delim, above, done, width)
            cells, cut = counted
            if cut < len(data) and (not chunk or len(data) - cut > 4 * WIDTH_CHUNK):
                # a quote never closed (the layout's scan refuses one first), or a record of many blocks
                fh.seek(start)
                return _wider_records(fh, delim, above, done, width)
            at = above - 1 - done  # the header among these records
            if 0 <= at < len(cells):
                width = int(cells[at])
            if width and (cells[max(at + 1, 0):] > width).any():
                return True
            done, start, carry = done + len(cells), start + cut, data[cut:]
            if not chunk:
                return False


def _record_cells(data: bytes, sep: int) -> tuple[Any, int] | None:
    """(the cells of each whole record of ``data``, which starts a record, and the bytes they take)
    where each quote stands at a cell's edge, as a spreadsheet writes them: one opening a cell after
    the delimiter ``sep``, a line end or one space, or doubled; one closing it before the delimiter,
    a line end or a quote. Then the quotes' parity says what is quoted: a delimiter or a line end
    between an opening quote and its closing one is text. ``None`` where a quote stands elsewhere
    (``12"``, two spaces before a quote) or a line ends with a lone CR: the csv module decides.

    >>> _record_cells(b'id,note\\n"a","x,y"\\nb, "1\\n2",3\\nc', ord(","))
    (array([2, 2, 3]), 29)
    >>> _record_cells(b'a,12" screen\\n', ord(",")) is None
    True
    """
    import numpy as np

    a = np.frombuffer(data, np.uint8)
    quotes = np.flatnonzero(a == 34)
    padded = np.concatenate((np.array([10, 10], np.uint8), a))  # a line end before the block
    opening, closing = quotes[0::2], quotes[1::2]
    closing = closing[closing + 1 < len(a)]  # one at the block's end: its next byte in the next block
    before, before2, after = padded[opening + 1], padded[opening], a[closing + 1]

    def edge(b: Any) -> Any:
        return (b == sep) | (b == 10) | (b == 13)

    if not ((edge(before) | (before == 34) | ((before == 32) & edge(before2))).all()
            and (edge(after) | (after == 34)).all()):
        return None
    # outside quotes: an even number of quotes up to the byte (a running XOR: one pass in C)
    outside = np.bitwise_xor.accumulate((a == 34).view(np.uint8)) == 0 if len(quotes) else None

    def out(mask: Any) -> Any:  # the bytes of ``mask`` outside quotes (all, in a block without one)
        return np.flatnonzero(mask if outside is None else mask & outside[: len(mask)])

    ends = out(a == 10)  # the line ends outside quotes: records end there
    if not len(ends):
        return np.empty(0, np.int64), 0
    cut = int(ends[-1]) + 1
    crs = out(a[:cut] == 13)
    if (a[crs + 1] != 10).any():  # a lone CR outside quotes
        return None
    return np.diff(np.searchsorted(out(a[:cut] == sep), ends), prepend=0) + 1, cut


def _wider_records(raw: Any, delim: str, above: int, done: int, width: int) -> bool:
    """:func:`_wider_somewhere` from the binary file ``raw``'s position on (``done`` records
    above it, ``width`` the header's cells if read already), each record's cells counted by the csv
    module as :func:`xuanba.ingest.read.scan_csv_source` reads them (a quote opening a cell after
    spaces too), in blocks of :data:`_RECORD_BLOCK`."""
    import csv
    import io
    import itertools

    import numpy as np

    text = io.TextIOWrapper(raw, encoding="utf-8-sig" if raw.tell() == 0 else "utf-8", newline="")
    sizes = map(len, csv.reader(text, delimiter=delim, skipinitialspace=True))
    try:
        while len(block := np.fromiter(itertools.islice(sizes, _RECORD_BLOCK), np.int64)):
            at = above - 1 - done
            if 0 <= at < len(block):
                width = int(block[at])
            if width and (block[max(at + 1, 0):] > width).any():
                return True
            done += len(block)
    except (csv.Error, UnicodeDecodeError):  # a cell longer than the csv module reads: the exact scan decides
        return True
    finally:
        text.detach()  # the caller's file, closed by the caller
    return False


_DELIM_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'", " ": "spaces"}


def refuse_glob_headers_apart(pattern: str, find_header: Any = None, *, spark: bool = False,
                              mapping: Mapping[str, str] | None = None) -> None:
    """Refuse the CSV glob ``pattern`` (``exports/*.csv``) where a file's header, as ingest finds it
    (:func:`xuanba.ingest.csv_source.csv_headers`), differs from the first file's, naming the file, the
    first file and the difference (English and Chinese): a column it lacks (DuckDB stopped with its
    "Schema mismatch" traceback) or holds that the first lacks (read by neither engine, silently), on
    DuckDB only one a field is read from (:func:`~xuanba.ingest.mapping.read_as_field` with
    ``mapping``: a later export's ``coupon`` is unread as the first file's ``note`` is);
    on Spark (``spark``) also columns in another order or another delimiter, which Spark's reader,
    reading every file by the first one's header by position, read into the wrong columns. One
    file, or a plain path: nothing to compare."""
    from xuanba.errors import Listed, quoted
    from xuanba.ingest.csv_source import csv_headers
    from xuanba.ingest.mapping import read_as_field

    if not any(ch in pattern for ch in "*?[") or Path(pattern).is_file():
        return
    files = csv_headers(pattern, find_header)
    if len(files) < 2:
        return
    # each cell trimmed, as DuckDB names a header's columns (``id, ts, amount`` is ``id``, ``ts``, ``amount``)
    (first, delim, header), *rest = [(f, d, [c.strip() for c in cells]) for f, d, cells in files]
    for file, other_delim, cells in rest:
        lacks = [c for c in header if c not in cells]
        extra = [c for c in cells if c not in header and (spark or read_as_field(mapping)(c))]
        what = ([Phrase("glob_lacks", columns=Listed(lacks, quoted=True))] if lacks else []) + (
            [Phrase("glob_extra", columns=Listed(extra, quoted=True))] if extra else [])
        if not what and spark and other_delim != delim:
            what = [Phrase("glob_delim", found=_DELIM_NAMES.get(other_delim, quoted(other_delim)),
                           expected=_DELIM_NAMES.get(delim, quoted(delim)))]
        elif not what and spark and cells != header:
            what = [Phrase("glob_order", order=Listed(cells, quoted=True))]
        if what:
            raise InputError(Phrase("err_source_glob_columns", first=quoted(str(first)),
                                    what=what[0] if len(what) == 1 else what),
                             file=str(file), column=(lacks or extra or [None])[0],
                             fix=Phrase("err_source_glob_spark_fix" if spark and not (lacks or extra)
                                        else "err_source_glob_columns_fix"))


def checked_transactions(source: Any, cutoff: dt.date | str, *,
                         mapping: Mapping[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    """The transactions of ``source`` (an Ibis table or an in-memory one) that ingest would load,
    as an Ibis expression on the source's engine, and the accounting of its rows:
    ``input_rows = used + rejected``, ``rejected_by_reason`` (most first). Its headers are read
    as ingest reads them first (:func:`named_as_ingest_names`, ``mapping`` as ingest's), and
    ``headers`` says ``{field: header}`` of those not read under the field's own name.

    Raises
    ------
    SourceError
        A date or amount written as text that is not one (column, row, value, how many).
    SchemaError
        Headers that ingest would not map (:func:`named_as_ingest_names`).
    DataError
        No usable transaction, or none on or before ``cutoff``.
    """
    from xuanba._dates import as_date
    from xuanba.facts.compute import as_ibis_table, check_first_transaction, transactions_table
    from xuanba.rounds.engine import dates_read_as_ingest
    from xuanba.standard.engine import to_arrow

    cut = as_date(cutoff, "cutoff")
    named, headers = named_as_ingest_names(as_ibis_table(without_unread_twins(source, mapping)), mapping)
    raw = transactions_table(named, cast_ts=False)
    _needs_sql(raw)
    raw, restore = _set_aside(raw)
    as_text = raw.customer_id.cast("string")
    dates_read = dates_read_as_ingest(source)  # a text date left as written is one ingest rejects
    checked = _judged(raw.mutate(_id_text=as_text), dates_read=dates_read)
    # told by the source's columns, not the helpers' names: a source may hold a column of any name
    emptied_sum = ({"_emptied": checked._cost_empty.cast("int64").sum(),
                    "_cost_unread": checked._cost_unread.cast("int64").sum()} if "cost" in raw.columns else {})
    if "is_return" in raw.columns:
        emptied_sum["_flag_unread"] = checked._flag_unread.cast("int64").sum()
    if "_qty_empty" in checked.columns:  # a helper only where the source's quantity is text (set aside else)
        emptied_sum["_qty_empty"] = checked._qty_empty.cast("int64").sum()
    try:
        counts = to_arrow(
            checked.group_by("_why").aggregate(
                _n=checked.count(),
                _first=checked.ts.min(),
                _unread=checked._unread.cast("int64").sum(),
                _trimmed=(checked.customer_id != checked._id_text).cast("int64").sum(),
                _to_net=checked._to_net.cast("int64").sum(),
                **emptied_sum,
            )
        ).to_pylist()
    except Exception as exc:  # DuckDB typed a CSV's money column on its sample, and a later cell is text
        from xuanba.rounds.engine import csv_read_refused, reread_as_text, reread_short_rows

        again = reread_as_text(source, exc)
        if again is None:  # not ``or``: an Ibis table has no truth value
            again = reread_short_rows(source, exc)
        if again is not None:
            return checked_transactions(again, cutoff, mapping=mapping)
        refused = csv_read_refused(exc, mapping)
        if refused is None:
            raise
        raise refused from None
    by_reason = {r["_why"]: r for r in counts}
    for reason, column in ((UNPARSEABLE_DATE, "ts"), (NON_NUMERIC, "amount")):
        bad = int((by_reason.get(reason) or {}).get("_unread") or 0)
        if bad:
            _unreadable(raw, reason, column, bad, headers)
    good = by_reason.get(None) or {"_n": 0, "_first": None}
    if good.get("_cost_unread"):  # a used row's cost (ingest reads ¥1,234.50 and (3.00); a rejected row's: unread)
        _unreadable(raw, None, "cost", int(good["_cost_unread"]), headers)
    if good.get("_flag_unread"):  # a used row's own is_return that says neither yes nor no
        _unreadable(raw, None, "is_return", int(good["_flag_unread"]), headers)
    rejected = {str(k): int(v["_n"]) for k, v in by_reason.items() if k is not None}
    rows = {
        "input_rows": sum(int(r["_n"]) for r in counts),
        "used": int(good["_n"]),
        "rejected": sum(rejected.values()),
        "rejected_by_reason": dict(sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    emptied = int(good.get("_emptied") or 0)
    left_empty = {"cost": emptied, "quantity": int(good.get("_qty_empty") or 0)}
    if any(left_empty.values()):  # as ingest's report says them (said only when some are: a clean source's meta as before)
        rows["values_left_empty"] = {k: n for k, n in left_empty.items() if n}
    renamed = {field: header for field, header in headers.items() if field != header}
    if renamed:  # the header each field was read from, as ingest's report keeps its mapping (a canonical source's meta as before)
        rows["headers"] = renamed
    if not rows["input_rows"]:  # said of the source, not as a workspace to load with ingest
        raise SourceDataError(Phrase("err_source_no_rows"), fix=Phrase("err_source_no_rows_fix"))
    if not rows["used"]:
        raise SourceDataError(
            Phrase(
                "err_source_none_usable",
                n=f"{rows['input_rows']:,}",
                reasons=_Reasons(rows),  # in the reader's language, as the console says them
            ),
            fix=Phrase("err_source_none_usable_fix"),
        )
    check_first_transaction(rows["used"], good["_first"], cut)
    typed = not any(raw[c].type().is_string() for c in ("ts", "amount", "cost") if c in raw.columns)
    if typed and not rows["rejected"] and not good.get("_trimmed") and not emptied and not good.get("_to_net"):
        # every row kept as it is: the queries after read the source as they did before the checks
        plain = raw.mutate(customer_id=as_text)
        if "is_return" in raw.columns and not raw.is_return.type().is_boolean():  # 0/1, "true": as the facts read it
            plain = plain.mutate(is_return=_flagged(raw))
        return (
            plain if raw.ts.type().is_timestamp() else plain.mutate(ts=plain.ts.cast("timestamp"))
        ).rename(restore), rows
    helpers = [c for c in _HELPERS if c in checked.columns]
    used = checked.filter(checked._why.isnull())
    money = {c: netted(used[c], used._ret) for c in ("amount", "cost") if c in used.columns}
    return used.mutate(**money, is_return=used._ret).drop(*helpers).rename(restore), rows


#: The columns :func:`_judged` adds beside the source's (and :func:`_unreadable` its ``_v``, ``_id``, ``_row``).
_HELPERS = ("_why", "_unread", "_id_text", "_cost_empty", "_cost_unread", "_flag_unread", "_qty_neg", "_qty_empty",
            "_ret", "_to_net")


def _set_aside(raw: Any) -> tuple[Any, dict[str, str]]:
    """``raw`` with its own columns named as a helper of :func:`_judged` renamed aside, and the
    renaming that gives them back (``{name: aside}``, Ibis's ``rename``): a source's ``_why`` or
    ``_ret`` (or ``_WHY``: one name to DuckDB and Spark) is one of its columns like any other,
    handed on as it came."""
    restore: dict[str, str] = {}
    taken = {c.casefold() for c in raw.columns} | set(_HELPERS)  # _WHY is _why to DuckDB and Spark
    for name in (c for c in raw.columns if c.casefold() in _HELPERS):
        aside = name
        while aside.casefold() in taken:
            aside += "_"
        taken.add(aside.casefold())
        restore[name] = aside
    return (raw.rename({v: k for k, v in restore.items()}) if restore else raw), restore


def _needs_sql(table: Any) -> None:
    """Ingest's rules call SQL's ``trim``: a backend that is no SQL engine (polars) cannot run
    them, said as Ibis says what a backend cannot translate (and the round names the engines
    that work)."""
    from ibis.backends.sql import SQLBackend
    from ibis.common.exceptions import TranslationError

    try:
        backend = table._find_backend(use_default=True)
    except Exception:  # noqa: BLE001 - an in-memory table: DuckDB runs it
        return
    if not isinstance(backend, SQLBackend):
        raise TranslationError(f"no SQL functions (trim) on the {backend.name} backend")


def _judged(raw: Any, *, dates_read: bool = False) -> Any:
    """``raw`` with its id, date and amount as read, ``_why`` (ingest's reason to reject the row,
    ``NULL``: none) and ``_unread`` (a date or amount written as text that is not one; ``dates_read``:
    the dates were read by ingest's reader, and a date left as text is rejected as ingest rejects it,
    "unparseable date", :func:`xuanba.rounds.engine.dates_read_as_ingest`)."""
    ts_raw, ts = _read_ts(raw.ts)
    amount_raw, amount, unread_amount = _read_amount(raw.amount)
    unread = ts_raw.notnull() & ts.isnull() if raw.ts.type().is_string() and not dates_read else ibis.literal(False)
    customer_id = text_value(raw.customer_id)
    # an Excel error (#N/A) in a text quantity, order number, status or return flag: ingest's reject too
    others = [text_value(raw[c]) for c in ("quantity", "unit_price", "order_id", "status", "is_return")
              if c in raw.columns and raw[c].type().is_string()]
    why = reject_reason(customer_id, ts_raw, ts, amount_raw, amount, others)
    cost: dict[str, Any] = {}
    if "cost" in raw.columns:  # a number ingest stores as no money is left empty (its values_left_empty);
        cost_raw, cost["cost"], cost["_cost_unread"] = _read_amount(raw.cost)  # text that is none, said
        if raw.cost.type().is_string():  # but an Excel error (#N/A): left empty and counted, as ingest does
            cost["_cost_unread"] = cost["_cost_unread"] & ~excel_error(cost_raw)
        cost["_cost_empty"] = cost_raw.notnull() & cost["cost"].isnull() & ~cost["_cost_unread"]
    quantity: dict[str, Any] = {}
    if "quantity" in raw.columns and not raw.quantity.type().is_numeric():  # text: its sign read as ingest reads it
        raw = raw.mutate(_qty_neg=negative_number(raw.quantity))
        quantity["_qty_empty"] = text_value(raw.quantity).notnull() & raw._qty_neg.isnull()
    elif "quantity" in raw.columns and raw.quantity.type().is_floating():  # NaN, ±inf: no number, as ingest reads them
        raw = raw.mutate(_qty_neg=finite(raw.quantity) < 0)
        written = ibis.ifelse(raw.quantity.isnan(), True, raw.quantity.notnull())  # NaN: null to Ibis on Spark
        quantity["_qty_empty"] = written & raw._qty_neg.isnull()
    flagged, flag = ibis.literal(False), {}
    if "is_return" in raw.columns:  # the source's own flag; text that is none (是, true, 1, ...) said as an unread cost is
        read, flag["_flag_unread"] = flag_value(raw.is_return)
        flagged = read.fill_null(False)
    ret = _return(raw, amount, flagged)
    # a return the source already gives as the facts read it: flagged, its money not positive
    given = flagged & (amount <= 0)
    if cost:
        given &= (cost["cost"] <= 0).fill_null(True)
    return raw.mutate(
        customer_id=customer_id,
        ts=ts,
        amount=amount,
        **cost,
        **flag,
        **quantity,
        _why=why,
        _unread=ibis.ifelse(why == NON_NUMERIC, unread_amount, unread),
        _ret=ret,
        _to_net=ret & ~given,
    )


def _return(raw: Any, amount: Any, flagged: Any) -> Any:
    """Whether a row is a return, as ingest decides it (:func:`~xuanba.ingest.rules.is_return_line`
    over the source's ``quantity``, ``order_id`` and ``status`` where it has them, and ``flagged``:
    its own ``is_return``, :func:`~xuanba.ingest.rules.flag_value`)."""
    quantity = raw.quantity if "quantity" in raw.columns else None
    if "_qty_neg" in raw.columns:  # text or a float: whether negative, a finite number (_judged's _qty_neg)
        quantity = raw._qty_neg
    order_id = text_value(raw.order_id) if "order_id" in raw.columns else None
    status = text_value(raw.status) if "status" in raw.columns else None
    return is_return_line(amount, quantity=quantity, order_id=order_id, status=status, flag=flagged)


def _flagged(raw: Any) -> Any:
    """The source's own ``is_return`` (false where it has none, or none given)."""
    if "is_return" not in raw.columns:
        return ibis.literal(False)
    return flag_value(raw.is_return)[0].fill_null(False)


def _unreadable(raw: Any, reason: str | None, column: str, count: int, headers: Mapping[str, str]) -> None:
    """Raise the :class:`SourceError` of ``count`` cells of ``column`` that cannot be read, with
    the first one's value, its customer and (on DuckDB) its row in the order the engine reads
    the source (``reason``: the rows' reject reason; ``None`` with ``column="cost"`` or
    ``"is_return"``: that cell of the rows used); the column named by its header in the source
    (``headers``: ``{field: header}``)."""
    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import is_spark

    kept = {"_v": raw[column].cast("string"), "_id": raw.customer_id.cast("string")}
    if not is_spark(raw):  # Spark numbers rows only in an order; DuckDB reads a file in its order
        kept["_row"] = ibis.row_number() + 1
    judged = _judged(raw.mutate(**kept))
    used_cell = {"cost": "_cost_unread", "is_return": "_flag_unread"}.get(column)
    if used_cell:
        bad = judged.filter(judged._why.isnull() & judged[used_cell])
    else:
        bad = judged.filter((judged._why == reason) & judged._unread)
    first = to_arrow(bad.select(*kept).limit(1)).to_pylist()[0]
    what = {"ts": "date", "cost": "cost", "is_return": "flag"}.get(column, "amount")
    raise SourceError(
        Phrase(f"err_source_unread_{what}", value=_shown(first["_v"]), customer=_shown(first["_id"])),
        row=first.get("_row"),
        column=headers.get(column, column),
        count=count,
        fix=Phrase(f"err_source_unread_{what}_fix"),
    )


#: The characters of a cell an error quotes; a longer one is cut, and said to be.
SHOWN_CHARS = 80


def _shown(value: Any) -> str:
    """``value`` quoted for an error, at most :data:`SHOWN_CHARS` characters of it.

    >>> _shown("是"), _shown("x" * 100)[-3:], len(_shown("x" * 100))
    ("'是'", "x'…", 83)
    """
    text = repr(value)
    if value is None or len(str(value)) <= SHOWN_CHARS:
        return text
    return repr(str(value)[:SHOWN_CHARS]) + "…"


def reasons_said(rows: dict[str, Any], lang: str) -> str:
    """``rejected_by_reason`` in words: ``"3 missing customer id, 1 date before 1900"`` (Chinese:
    ``"缺少客户编号 3 行、日期早于 1900 年 1 行"``), ingest's words for its reasons."""
    from xuanba.i18n import reason_words, t

    return t("list_comma", lang).join(
        t("source_reason_count", lang, n=f"{n:,}", reason=reason_words(r, lang))
        for r, n in rows.get("rejected_by_reason", {}).items()
    )


class _Reasons(Phrase):
    """:func:`reasons_said` as a field of an error's phrase: in the words of its reader's language."""

    __slots__ = ()

    def __init__(self, rows: dict[str, Any]) -> None:
        super().__init__("source_reason_count", rows=rows)  # each reason's phrase; words() joins them

    def words(self, lang: str) -> str:
        return reasons_said(self.fields["rows"], lang)


def rejected_line(meta: dict[str, Any], lang: str) -> str | None:
    """What the console says of the source rows a round on an engine left out and of the values it
    left empty (``None``: none); a value left empty named by the header it was read from
    (``source_rows["headers"]``), as ``xuanba ingest`` names it.

    Example
    -------
    >>> rows = {"input_rows": 9, "used": 9, "rejected": 0, "rejected_by_reason": {},
    ...         "values_left_empty": {"cost": 3, "quantity": 1}, "headers": {"cost": "成本（元）", "quantity": "数量"}}
    >>> said = rejected_line({"source_rows": rows}, "en")
    >>> said[: said.index(")") + 2]
    'Values of the source not understood and left empty, as `xuanba ingest` leaves them (成本（元）: 3, 数量: 1).'
    >>> said.count("成本（元）: costs"), said.count("数量: quantities")
    (1, 1)
    """
    from xuanba.errors import shown
    from xuanba.i18n import t
    from xuanba.ingest.mapping import header_counts

    rows = meta.get("source_rows") or {}
    said = []
    if rows.get("rejected"):
        said.append(t("source_rows_rejected", lang, rejected=f"{rows['rejected']:,}", n=f"{rows['input_rows']:,}",
                      reasons=reasons_said(rows, lang)))
    left_empty = {f: n for f, n in (rows.get("values_left_empty") or {}).items() if n}
    headers = rows.get("headers") or {}

    def header(field: str) -> str:  # as ingest's console names it: quoted where a terminal would act on it
        return shown(headers.get(field, field))

    if left_empty:  # ingest's words: "成本（元）: 3, 数量: 1" (Chinese: "成本（元）：3、数量：1")
        said.append(t("source_left_empty", lang, left=header_counts({headers.get(f, f): n for f, n in left_empty.items()},
                                                                     lang)))
    for field, key in (("cost", "source_costs_left_empty"), ("quantity", "source_quantities_left_empty")):
        if left_empty.get(field):
            said.append(t(key, lang, column=header(field)))
    return ("" if lang == "zh" else " ").join(said) or None  # Chinese sentences end in "。", no space after


def refuse_roster_out_in_source(source: str | None, roster_out: str | Path | None) -> None:
    """Refuse a ``--roster-out`` folder inside the ``--source`` folder (or the folder itself): the
    next round over that source would read ``roster.parquet`` and ``fields.parquet`` as parts
    of the transactions. A URL or a catalog table is not a local folder; nothing to check."""
    if source is None or roster_out is None or "://" in str(source) or "://" in str(roster_out):
        return
    if str(roster_out).lower().startswith("table:"):  # a catalog table: no folder of ours
        return
    folder = _source_folder(str(source))
    if folder is not None and _inside(Path(roster_out).resolve().as_uri(), folder.resolve().as_uri()):
        raise InputError(
            Phrase("err_roster_out_in_source", out=repr(str(roster_out)), source=repr(str(source))),
            file=str(roster_out),
            fix=Phrase("err_roster_out_in_source_fix"),
        )


def _source_folder(text: str) -> Path | None:
    """The local folder whose files a source path reads (``None``: a single file, or nothing
    there): the folder itself, or the folder of a glob's fixed part (``data/tx/**/*.parquet``:
    ``data/tx``; ``data/tx/part-*.parquet``: ``data/tx``)."""
    glob = next((i for i, ch in enumerate(text) if ch in "*?["), None)
    if glob is not None:
        fixed = text[:glob]
        folder = Path(fixed) if fixed.endswith(("/", "\\")) or not fixed else Path(fixed).parent
    else:
        folder = Path(text)
    return folder if folder.is_dir() else None


def _inside(out: str, folder: str) -> bool:
    """Whether the URI ``out`` is the URI ``folder`` or under it (same scheme and host; Hadoop's
    ``file:/x`` and ``file:///x`` alike)."""
    a, b = urlparse(out), urlparse(folder)
    if (a.scheme.lower(), a.netloc) != (b.scheme.lower(), b.netloc):
        return False

    def parts(u: Any) -> list[str]:  # a local path through its links, as the CLI resolves --source
        path = unquote(u.path)
        return list(Path(path).resolve().parts) if u.scheme.lower() == "file" else [p for p in path.split("/") if p]

    inside = parts(b)
    return parts(a)[: len(inside)] == inside


def refuse_roster_out_in_table_source(transactions: Any, target: Any) -> None:
    """:func:`refuse_roster_out_in_source` for a Python caller's Ibis table: refuse a
    ``roster_out`` (a :class:`~xuanba.rounds.roster_out.RosterOut`, a folder or a URL) inside a
    folder the table reads its files from, found where the backend exposes it
    (:func:`source_folders`). Where it does not (a table of a database, another backend, Spark
    Connect), nothing is said: not knowing the source's files, the check passes rather than
    guess."""
    if target is None or target.kind == "table":
        return
    out = Path(target.where).resolve().as_uri() if target.kind == "folder" else target.where
    for folder in source_folders(transactions):
        if _inside(out, folder):
            raise InputError(
                Phrase("err_roster_out_in_table_source", out=repr(str(target)), source=repr(folder)),
                file=str(target),
                fix=Phrase("err_roster_out_in_source_fix"),
            )


def source_folders(transactions: Any) -> list[str]:
    """The folders (as URIs) whose files the Ibis table ``transactions`` reads, where its backend
    says them: on DuckDB the ``read_parquet``/``read_csv``/``read_json`` paths of the views it
    reads (``duckdb_views()``, parsed by sqlglot, views of views followed), a glob as its fixed
    folder; on Spark the root paths of the file relations in its plan that are folders (a
    ``spark.read.parquet`` view, a catalog table's location). Elsewhere, and for a single file,
    none."""
    try:
        backend = transactions._find_backend(use_default=True) if hasattr(transactions, "_find_backend") else None
    except Exception:  # noqa: BLE001 - an unbound table: nothing read from files
        return []
    name = getattr(backend, "name", None)
    try:
        if name == "duckdb":
            return _duckdb_folders(backend, transactions)
        if name == "pyspark":
            return _spark_folders(backend, transactions)
    except Exception:  # noqa: BLE001 - an API that moved (a remote session): not known, nothing said
        return []
    return []


#: DuckDB's table functions that read files, by the name sqlglot gives them (lower case).
_DUCKDB_READERS = {"read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_json", "read_json_auto",
                   "read_ndjson"}


def _duckdb_folders(backend: Any, table: Any) -> list[str]:
    import ibis.expr.operations as ops
    import sqlglot
    from sqlglot import exp

    raw = backend.con
    todo = [op.name for op in table.op().find(ops.DatabaseTable)]
    seen: set[str] = set()
    paths: list[str] = []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        rows = raw.execute("SELECT sql FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]).fetchall()
        for (sql,) in rows:
            tree = sqlglot.parse_one(sql, dialect="duckdb")
            for fn in tree.find_all(exp.Func):
                fname = (fn.name if isinstance(fn, exp.Anonymous) else fn.sql_name()).lower()
                if fname in _DUCKDB_READERS:
                    first = fn.expressions[0] if fn.expressions else fn.this
                    if first is not None:
                        lits = [first] if isinstance(first, exp.Literal) else list(first.find_all(exp.Literal))
                        paths += [lit.this for lit in lits if lit.is_string]
            todo += [t.name for t in tree.expression.find_all(exp.Table) if t.name] if tree.expression else []
    folders = []
    for text in paths:
        if "://" in text and not text.lower().startswith("file://"):
            continue  # a remote store read through httpfs: no local folder
        local = unquote(urlparse(text).path) if "://" in text else text
        folder = _source_folder(local)
        if folder is not None:
            folders.append(folder.resolve().as_uri())
    return folders


def _spark_folders(backend: Any, table: Any) -> list[str]:
    backend._run_pre_execute_hooks(table)  # the in-memory tables it reads, registered (the round drops them)
    frame = backend._session.sql(backend.compile(table))
    conf = backend._session.sparkContext._jsc.hadoopConfiguration()
    leaves = frame._jdf.queryExecution().analyzed().collectLeaves()
    folders = []
    for i in range(leaves.size()):
        leaf = leaves.apply(i)
        if leaf.getClass().getSimpleName() != "LogicalRelation":
            continue
        relation = leaf.relation()
        if relation.getClass().getSimpleName() != "HadoopFsRelation":
            continue
        roots = relation.location().rootPaths()
        for j in range(roots.size()):
            path = roots.apply(j)
            if path.getFileSystem(conf).getFileStatus(path).isDirectory():
                uri = path.toUri()
                # the raw (%-encoded) path: a folder named "a%20b" is not "a b" when _inside unquotes it
                folders.append(f"{uri.getScheme() or 'file'}://{uri.getRawAuthority() or ''}{uri.getRawPath()}")
    return folders
