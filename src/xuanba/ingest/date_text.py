"""Dates given as text in a column, read as ``xuanba ingest`` reads a transaction's date: one reader.

Ingest reads a date with :func:`xuanba.ingest.load._timestamp` over the cell's text (ISO text,
``2025/3/1``, ``2025年3月1日``, an Excel serial day, a written zone; ``d/m/Y`` or ``m/d/Y`` decided
from the whole column by :func:`xuanba.ingest.load.slash_order`) and rejects a line whose date it
cannot read ("unparseable date"). :func:`date_text_sql` runs that very SQL over a relation an engine
round reads (a CSV source on DuckDB), so the round reads the dates ingest reads and no others.

Example
-------
>>> import duckdb
>>> con = duckdb.connect()
>>> cells = "(VALUES ('2025年3月1日'), ('2025-03-01 x'), (' 2025/3/2 ')) AS t(ts)"
>>> [r[0] for r in con.execute(date_text_sql(con, cells, "ts")).fetchall()]
['2025-03-01 00:00:00', '2025-03-01 x', '2025-03-02 00:00:00']
"""

from __future__ import annotations

from typing import Any


def date_text_sql(con: Any, relation: str, column: str, *, tz: str = "UTC") -> str:
    """SQL selecting ``relation`` (a table or view on the DuckDB connection ``con``) with its text
    column ``column`` read as ingest reads a transaction's date: a cell ingest reads becomes that
    timestamp as ISO text (``2025年3月1日`` -> ``2025-03-01 00:00:00``), any other cell stays as it is
    written (``2025-03-01 x``), for the caller to reject as ingest rejects it. ``tz``: the zone a
    written zone's instant is read in (ingest's ``--tz``)."""
    from xuanba.ingest.load import _text, _timestamp, slash_order
    from xuanba.ingest.read import quote

    only = f"(SELECT {quote(column)} FROM {relation}) AS _xb_dates"  # the column alone: a source's own _xb_raw is no matter
    parsed = _timestamp(_text(column), None, slash_order(con, column, table=only), tz)
    return f"SELECT * REPLACE (COALESCE(CAST({parsed} AS VARCHAR), {quote(column)}) AS {quote(column)}) FROM {relation}"


def reads_as_ingest(date_format: str) -> bool:
    """Whether ingest reads every date written in ``date_format`` (a ``strptime`` format, as DuckDB's
    CSV sniffer reports it) as that format reads it, whatever the rest of the column: ISO and ingest's
    own formats, not a ``d/m/Y`` or ``m/d/Y`` whose order ingest decides from the whole column.

    >>> reads_as_ingest("%Y/%m/%d"), reads_as_ingest("%d/%m/%Y"), reads_as_ingest("%d-%m-%Y")
    (True, False, False)
    """
    from xuanba.ingest.load import _FORMATS

    return date_format in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", *_FORMATS)
