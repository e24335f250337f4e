"""Money given in a column of cells, read as ``xuanba ingest`` reads an amount: one reader.

Ingest reads an amount in SQL (:func:`xuanba.ingest.load._number` over a cell's text, the decimal
mark decided per column by :func:`xuanba.ingest.load.decimal_mark`) and stores it as
``DECIMAL(18,4)``. :func:`read_money` runs the very same SQL over a column that is not a
transaction log (a round's extra money fields, a side table's numbers), so ``1,234``,
``¥1,234.50``, ``1,234.50元``, ``(12.00)``, ``1.234,50``, full-width ``１２３．５０``, ``1.2万``
(exactly 12000) and Excel's accounting zero `` - `` (0) mean there what they mean in a transaction
log, and what ingest cannot read (``abc``, ``12%``, ``inf``, ``NaN``, ``1e14`` and beyond) is no
money there either.

A cell that is already a number is kept as it is when it is money (:func:`~xuanba.ingest.rules.not_money`
says which are not): a number column is read as its numbers, as before.

Example
-------
>>> import pandas as pd
>>> numbers, bad = read_money(pd.Series(["¥1,234.50", "(12.00)", None, " ", "inf", 7.5]))
>>> numbers.tolist()[:2], numbers.tolist()[-1], bad.tolist()
([1234.5, -12.0], 7.5, [False, False, False, False, True, False])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: The name of the column :func:`read_money` hands to ingest's SQL (errors name the caller's column).
_CELL = "_xb_money"


def read_money(values: Any, *, file: str | None = None, column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (a pandas Series of cells: numbers, text, missing) as money: the numbers
    (``float64``, ``NaN`` where missing or not money) and where a cell is given but holds no money
    the workspace stores (text ingest cannot read as an amount, ``NaN``, ``±inf``, ``1e14`` and
    beyond). Missing is ``None``, ``NaN`` in a number column, or blank text.

    Text is read by ingest's SQL (thousands separators, currency signs and units, parentheses for
    a negative, the decimal mark decided for the whole column); a number is kept as it is.

    Raises
    ------
    InputError
        The text's decimal mark cannot be decided (``1.234`` beside ``1,234``, or both marks):
        ingest's own error, naming ``file``, ``column`` and the first rows (1-based, in the
        Series' order).

    Example
    -------
    >>> import pandas as pd
    >>> read_money(pd.Series(["1.234,50", "12,5"]))[0].tolist()
    [1234.5, 12.5]
    """
    import pandas as pd

    from xuanba.ingest.rules import not_money

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype.kind in "biuf":  # numbers already (no text): kept as they are
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        return numbers, ~np.isnan(numbers) & not_money(numbers)
    cells = series.to_numpy(dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in cells), dtype=bool, count=len(cells))
    numbers = pd.to_numeric(pd.Series(np.where(is_text, None, cells), dtype=object), errors="coerce") \
        .to_numpy(dtype=float, na_value=np.nan)
    bad = ~is_text & ~pd.isna(pd.Series(cells)).to_numpy() & not_money(numbers)
    if is_text.any():  # text is money where ingest's DECIMAL(18,4) holds it (99999999999999.9999: a double of 1e14)
        read, unread = _read_text(np.where(is_text, cells, None), file=file, column=column)
        numbers = np.where(is_text, read, numbers)
        bad |= is_text & unread
    return np.where(bad, np.nan, numbers), bad


def _read_text(cells: np.ndarray, *, file: str | None, column: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The text ``cells`` (``None`` elsewhere) read by ingest's SQL on a private DuckDB: the numbers
    (``NaN``: missing or no money ingest stores) and where the text is given (not blank) but no
    such money."""
    import duckdb
    import pyarrow as pa

    from xuanba.errors import InputError
    from xuanba.ingest.load import _number, _text, decimal_mark
    from xuanba.ingest.read import ROW
    from xuanba.workspace import duckdb_settings

    con = duckdb.connect(config=duckdb_settings())  # xuanba's memory limit and spill folder
    try:
        raw = pa.table({_CELL: pa.array(cells, type=pa.string()), ROW: pa.array(np.arange(1, len(cells) + 1))})
        con.register("_xb_raw", raw)  # the staged table ingest's column checks read
        try:
            mark = decimal_mark(con, _CELL, None, file=file)
        except InputError as exc:  # said of the caller's column
            raise InputError(exc.phrase or exc.message, file=file, row=exc.row, column=column,
                             fix=exc.fix_phrase or exc.fix) from None
        number, text = _number(_text(_CELL), "DECIMAL(18,4)", mark), _text(_CELL)
        got = con.execute(f"SELECT CAST(n AS DOUBLE) AS n, t IS NOT NULL AND n IS NULL AS bad "
                          f"FROM (SELECT {ROW}, {number} AS n, {text} AS t FROM _xb_raw) ORDER BY {ROW}").to_arrow_table()
    finally:
        con.close()
    return got["n"].to_numpy(zero_copy_only=False).astype(float), got["bad"].to_numpy(zero_copy_only=False)


def money_text_sql(con: Any, relation: str, columns: Sequence[str], *, file: str | None = None) -> str:
    """SQL selecting ``relation`` (a table or view on the DuckDB connection ``con``) with each text
    column of ``columns`` read as ingest reads an amount (:func:`xuanba.ingest.load._number`, the
    column's decimal mark decided as ingest decides it): a cell that is money becomes that number
    written plainly (``¥1,234.50`` -> ``1234.5000``, ``1.2万`` -> ``12000.0000``: ingest's
    ``DECIMAL(18,4)`` as text), any other cell stays as it is written (``12%``, ``1.2元万``), for
    the caller to refuse naming it. What an engine round's CSV source reads (one reader: no second
    copy of the rules).

    Raises
    ------
    InputError
        A column's decimal mark cannot be decided (ingest's own error: ``file``, column, rows).

    Example
    -------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> cells = "(VALUES ('¥1,234.5'), ('1.2万'), ('12%')) AS t(amount)"
    >>> [r[0] for r in con.execute(money_text_sql(con, cells, ["amount"])).fetchall()]
    ['1234.5000', '12000.0000', '12%']
    """
    from xuanba.ingest.load import _number, _text, decimal_mark
    from xuanba.ingest.read import ROW, quote

    # the rows numbered, as ingest's staged table numbers them; only the money columns, so a
    # source's own column of that name is not taken for the numbers (a subquery: nothing to name or drop)
    rows = (f"(SELECT {', '.join(map(quote, columns))}, row_number() OVER () AS {ROW} "
            f"FROM {relation}) AS _xb_money_rows")
    marks = {c: decimal_mark(con, c, None, file=file, table=rows) for c in columns}
    read = ", ".join(f"COALESCE(CAST({_number(_text(c), 'DECIMAL(18,4)', marks[c])} AS VARCHAR), {quote(c)}) "
                     f"AS {quote(c)}" for c in columns)
    return f"SELECT * REPLACE ({read}) FROM {relation}"
