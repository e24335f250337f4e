"""Time, defined once for every stage: dates given by users, time units, and day windows.

* A date given by a user (``--cutoff``, ``--as-of``, ``--end`` ...) is read by :func:`as_date`.
* A date D as the end of a window includes **all of day D**: a purchase stamped D 15:00 is in a
  window that ends on D (:func:`in_window`, :func:`on_or_before`). A window of ``n`` days ending
  on D holds the ``n`` calendar days D−n+1 … D (:func:`window_start`).
* "Days since" counts calendar days between dates, whatever the time of day
  (:func:`days_between`): a contact on D−1 at 23:00 is 1 day before D.
* The time unit of ``recency`` and ``T`` is one of :data:`TIME_UNITS`, checked by
  :func:`check_unit` (an :class:`~xuanba.errors.InputError` with the fix).

Example
-------
>>> import pandas as pd
>>> ts = pd.Series(pd.to_datetime(["2026-06-29 23:00", "2026-06-30 15:00", "2026-07-01 00:00"]))
>>> on_or_before(ts, "2026-06-30").tolist(), days_between("2026-06-30", ts).tolist()
([True, True, False], [1, 0, -1])
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, overload

import pandas as pd

from xuanba.errors import InputError, Phrase

TimeUnit = Literal["day", "week", "month"]

#: Length of each time unit in days: the one place these constants live.
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 30.4375}
#: The time units, shortest first.
TIME_UNITS: tuple[str, ...] = tuple(DAYS_PER_UNIT)


#: The dates xuanba takes: the engines' timestamps (nanoseconds in pandas) end in April 2262.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2261, 12, 31)


def as_date(value: dt.date | str, what: str = "date") -> dt.date:
    """A calendar date from a date, a datetime or ISO text, between :data:`FIRST_DATE` and
    :data:`LAST_DATE`; :class:`InputError` naming ``what`` otherwise.

    Example
    -------
    >>> as_date("2026-06-30"), as_date(dt.datetime(2026, 6, 30, 12))
    (datetime.date(2026, 6, 30), datetime.date(2026, 6, 30))
    """
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InputError(Phrase("err_not_a_date", what=what, value=repr(value)),
                             fix=Phrase("err_not_a_date_fix", what=what)) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InputError(Phrase("err_date_range", what=what, day=day.isoformat()),
                         fix=Phrase("err_date_range_fix", first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()))
    return day


def check_unit(unit: object, what: str = "time unit") -> TimeUnit:
    """``unit`` if it is a time unit (``day``, ``week`` or ``month``), else :class:`InputError`.

    Parameters
    ----------
    unit
        The unit to check.
    what
        How the caller names it in the message, e.g. ``"--unit"`` or ``"time_unit"``.

    Example
    -------
    >>> check_unit("week")
    'week'
    >>> check_unit("weeks", "--unit")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: --unit 'weeks' is not a time unit
      fix: Use day, week or month: the unit recency and T are measured in.
    """
    if unit not in DAYS_PER_UNIT:
        raise InputError(Phrase("err_not_a_unit", what=what, unit=repr(unit)),
                         fix=Phrase("err_not_a_unit_fix"))
    return unit  # type: ignore[return-value]


def unit_days(unit: object, what: str = "time unit") -> float:
    """Length of the time unit ``unit`` in days, checked by :func:`check_unit`.

    Example
    -------
    >>> unit_days("month")
    30.4375
    """
    return DAYS_PER_UNIT[check_unit(unit, what)]


def day(value: object) -> pd.Timestamp:
    """The midnight that opens the calendar day of ``value`` (a date, datetime or ISO text).

    Example
    -------
    >>> day("2026-06-30 15:00")
    Timestamp('2026-06-30 00:00:00')
    """
    return pd.Timestamp(value).normalize()  # type: ignore[arg-type]


def window_start(end: object, days: int) -> pd.Timestamp:
    """First day of the window of ``days`` calendar days that ends on (and includes) ``end``.

    Example
    -------
    >>> window_start("2026-06-30", 365)
    Timestamp('2025-07-01 00:00:00')
    """
    return day(end) - pd.Timedelta(days=days - 1)


def in_window(ts: pd.Series, start: object = None, end: object = None) -> pd.Series:
    """Which timestamps fall on a calendar day from ``start`` to ``end``, both days included.

    ``None`` leaves that side open; missing timestamps are never in the window.

    Example
    -------
    >>> ts = pd.Series(pd.to_datetime(["2026-01-01 08:00", "2026-01-31 18:00", "2026-02-01 00:00"]))
    >>> in_window(ts, "2026-01-01", "2026-01-31").tolist()
    [True, True, False]
    """
    keep = ts.notna()
    if start is not None:
        keep &= ts >= day(start)
    if end is not None:
        keep &= ts < day(end) + pd.Timedelta(days=1)
    return keep


def on_or_before(ts: pd.Series, end: object) -> pd.Series:
    """Which timestamps fall on day ``end`` or earlier (all of day ``end`` included).

    Example
    -------
    >>> on_or_before(pd.Series(pd.to_datetime(["2026-06-30 23:59"])), "2026-06-30").tolist()
    [True]
    """
    return in_window(ts, end=end)


@overload
def days_between(later: pd.Series, earlier: object) -> pd.Series: ...
@overload
def days_between(later: object, earlier: pd.Series) -> pd.Series: ...
@overload
def days_between(later: object, earlier: object) -> int: ...


def days_between(later: object, earlier: object) -> pd.Series | int:
    """Calendar days from ``earlier`` to ``later`` (dates, timestamps or Series of them).

    The time of day is ignored: from D−1 23:00 to D 00:00 is 1 day. Missing values give
    missing days (a Series of floats then).

    Example
    -------
    >>> days_between("2026-06-30", "2026-06-29 23:00")
    1
    """
    def days_of(x: object) -> object:
        if isinstance(x, pd.Series):
            return (x if pd.api.types.is_datetime64_any_dtype(x) else pd.to_datetime(x, format="mixed")).dt.normalize()
        return day(x)

    delta = days_of(later) - days_of(earlier)  # type: ignore[operator]
    if isinstance(delta, pd.Series):
        return delta.dt.days
    return int(delta.days)


def parse_horizon(value: str | int) -> int:
    """The number of days of a horizon written ``365d``, ``13w``, ``2y`` or a number of days: a
    window of whole calendar days after a cutoff, so a year is 365 days, as in ``revenue_365d``.

    Examples
    --------
    >>> parse_horizon("365d"), parse_horizon("13w"), parse_horizon("2y"), parse_horizon(30)
    (365, 91, 730, 30)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*([dwy]?)\s*", str(value).lower())
        if not m:
            raise InputError(Phrase("err_horizon_not_length", value=repr(value)), fix=Phrase("err_horizon_not_length_fix"))
        days = int(m.group(1)) * {"": 1, "d": 1, "w": 7, "y": 365}[m.group(2)]
    if days < 1:
        raise InputError(Phrase("err_horizon_empty", value=repr(value)), fix=Phrase("err_horizon_empty_fix"))
    return days
