"""Dates given by users (options, arguments): one parser and one message for every stage.

Example
-------
>>> as_date("2026-06-30"), as_date(dt.datetime(2026, 6, 30, 12))
(datetime.date(2026, 6, 30), datetime.date(2026, 6, 30))
"""

from __future__ import annotations

import datetime as dt

from xuanba.errors import InputError


def as_date(value: dt.date | str, what: str = "date") -> dt.date:
    """A calendar date from a date, a datetime or ISO text; :class:`InputError` naming ``what``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{what} {value!r} is not a date",
                         fix=f"Write {what} as YYYY-MM-DD, e.g. 2026-06-30.") from None
