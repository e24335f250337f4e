"""Number formats of the report and the statements; their words are :mod:`xuanba.i18n`'s.

Example
-------
>>> t("selected", "zh")
'入选'
>>> money(1234567.891, "CNY", "en")
'¥1,234,568'
>>> rank_band(3, 100, "en"), rank_band(3, 100, "zh")
('top 5%', '前 5%')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from xuanba.i18n import LANGS, check_lang, t

__all__ = ["BANDS", "CURRENCY_SYMBOLS", "LANGS", "check_lang", "currency_unit", "money", "num", "pct",
           "rank_band", "t", "with_unit"]

#: Symbols of the common currencies; any other code is written after the amount.
CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£",
                    "HKD": "HK$", "TWD": "NT$", "SGD": "S$", "KRW": "₩", "INR": "₹"}

def num(x: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators (``1,234.5``); a dash when missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"


def pct(x: float | None, digits: int = 1) -> str:
    """A percentage given in percent (``12.3%``)."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.{digits}f}%"


def currency_unit(currency: str | None) -> str:
    """What an axis label says for amounts: the symbol and the code (``¥ CNY``); ``""`` when the
    currency is unknown (a label then names no unit rather than a made-up one)."""
    code = (currency or "").strip().upper()
    sym = CURRENCY_SYMBOLS.get(code)
    if sym and code:
        return f"{sym} {code}" if sym != code else code
    return code


def with_unit(label: str, unit: str, lang: str = "en") -> str:
    """``label (unit)`` (full-width brackets in Chinese), or the label alone without a unit.

    Example
    -------
    >>> with_unit("Margin", "¥ CNY"), with_unit("Margin", ""), with_unit("毛利", "€ EUR", "zh")
    ('Margin (¥ CNY)', 'Margin', '毛利（€ EUR）')
    """
    if not unit:
        return label
    return t("tiers_value_axis", lang, measure=label, cur=unit)


def money(x: float | None, currency: str | None, lang: str = "en", digits: int = 0) -> str:
    """An amount with thousands separators and its currency (``¥1,234`` or ``1,234 XYZ``)."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    code = (currency or "").upper()
    sym = CURRENCY_SYMBOLS.get(code)
    sign = "-" if x < 0 else ""
    body = f"{abs(x):,.{digits}f}"
    if sym:
        return f"{sign}{sym}{body}"
    return f"{sign}{body} {code}".rstrip()


#: Rank bands a statement may name (percent of customers from the top).
BANDS = (1, 5, 10, 20, 30, 50)


def rank_band(rank: int, n: int, lang: str = "en") -> str:
    """The narrowest band that holds ``rank`` among ``n``: "top 5%" when ``rank / n <= 5%``; past
    half-way, "lower half". Never narrower than the truth (1st of 7 is "top 20%", not "top 1%")."""
    for b in BANDS:
        if rank * 100 <= b * n:
            return t("band_top", lang, pct=f"{b}%")
    return t("band_lower", lang)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)
