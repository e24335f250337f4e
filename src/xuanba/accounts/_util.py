"""Small helpers shared by the account modules (column checks, dates).

Windows and "days since" follow :mod:`xuanba._dates`: a date D includes all of day D.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from xuanba.errors import Listed, Phrase, SchemaError, quoted


def need(df: pd.DataFrame, cols: Iterable[str], table: str) -> None:
    """Raise SchemaError naming the first required column absent from ``df``."""
    for col in cols:
        if col not in df.columns:
            raise SchemaError(
                Phrase("err_table_no_column", table=table, column=quoted(col)), column=col,
                fix=Phrase("err_table_no_column_fix", column=quoted(col), columns=Listed(df.columns)),
            )


def dates(s: pd.Series) -> pd.Series:
    """A column as naive datetimes (coercing strings)."""
    out = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def ids(s: pd.Series) -> pd.Series:
    """Customer ids as strings."""
    return s.astype(str)
