"""Small HTML pieces for the notebook display (Jupyter's ``_repr_html_``) of a round, a diff, a
model, an ingest report and a standard.

Every value from the data (ids, names, file names, labels of a standard) is escaped, so a
customer called ``<script>`` shows as that text and runs nothing. The words come from
:mod:`xuanba.i18n`, in the language of :func:`xuanba.i18n.display_lang` (``xuanba.set_lang``, else
the locale); in English the tables keep the column names of the DataFrames an analyst works with,
in Chinese their headers and xuanba's own values (a diff's status) read in words.

Example
-------
>>> import pandas as pd
>>> html = card("Round 1", [("customers", 3)], table(pd.DataFrame({"customer_id": ["<b>x</b>"]})))
>>> "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

_STYLE = ("font-family:sans-serif;font-size:13px;border:1px solid #ddd;border-radius:4px;"
          "padding:6px 10px;display:inline-block;max-width:100%;overflow-x:auto")
_CELL = "padding:1px 8px;text-align:left;border-bottom:1px solid #eee"


def esc(value: Any) -> str:
    """``value`` as escaped HTML text; numbers with thousands separators and 4 significant
    digits after the point; missing values as an empty string.

    Example
    -------
    >>> esc('"a" & <b>'), esc(1234567.891), esc(3), esc(float("nan"))
    ('&quot;a&quot; &amp; &lt;b&gt;', '1,234,567.891', '3', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return html.escape(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return esc(value.item())
    return html.escape(str(value), quote=True)


def header(column: Any, lang: str) -> str:
    """A column's header for a reader of ``lang``: in English its name; in Chinese the notebook's
    word for it (``nb_col_*``), else the field catalogue's header, else the name.

    Example
    -------
    >>> header("stderr", "zh"), header("revenue_365d", "zh"), header("revenue_365d", "en"), header("nps", "zh")
    ('标准误', '收入（近365天）', 'revenue_365d', 'nps')
    """
    from xuanba.i18n import cell_words, column_words, has, t

    name = str(column)
    if lang == "en":
        return name
    if has(f"nb_col_{name}"):
        return t(f"nb_col_{name}", lang)
    return str(cell_words("", column_words(name, lang)[0], lang))


def table(frame: pd.DataFrame, *, max_rows: int = 10, caption: str = "", index: bool = False,
          lang: str = "en") -> str:
    """An HTML table of at most ``max_rows`` rows (a note says how many more there are), its
    headers and xuanba's own values in ``lang`` (:func:`header`)."""
    from xuanba.i18n import cell_words, t

    shown = frame.reset_index() if index else frame
    head = "".join(f'<th style="{_CELL}">{esc(header(c, lang))}</th>' for c in shown.columns)
    names = [str(c) for c in shown.columns]
    rows = []
    for rec in shown.head(max_rows).itertuples(index=False):
        cells = rec if lang == "en" else (cell_words(n, v, lang) for n, v in zip(names, rec, strict=True))
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{esc(v)}</td>' for v in cells) + "</tr>")
    more = len(shown) - max_rows
    note = f'<div style="color:#777">{esc(t("nb_more", lang, n=f"{more:,}"))}</div>' if more > 0 else ""
    cap = f'<div style="font-weight:600;margin-top:6px">{esc(caption)}</div>' if caption else ""
    return f'{cap}<table style="border-collapse:collapse"><tr>{head}</tr>{"".join(rows)}</table>{note}'


def items(pairs: Iterable[tuple[str, Any]]) -> str:
    """``label: value`` lines, as a small two-column table."""
    rows = "".join(f'<tr><td style="{_CELL};color:#555">{esc(k)}</td><td style="{_CELL}">{esc(v)}</td></tr>'
                   for k, v in pairs)
    return f'<table style="border-collapse:collapse">{rows}</table>'


def lines(texts: Sequence[str]) -> str:
    """A bulleted list of plain sentences."""
    return "<ul style=\"margin:4px 0;padding-left:18px\">" + "".join(f"<li>{esc(x)}</li>" for x in texts) + "</ul>"


def counts(mapping: Mapping[str, Any]) -> str:
    """``a 3 · b 5`` from a mapping, as plain text (escaped where it is shown)."""
    return " · ".join(f"{k or '—'} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in mapping.items())


def card(title: str, pairs: Iterable[tuple[str, Any]], *parts: str) -> str:
    """A boxed block: an escaped title, ``label: value`` lines, then ``parts`` (HTML already
    made by :func:`table`, :func:`lines` ...)."""
    return (f'<div class="xuanba" style="{_STYLE}"><div style="font-weight:700;font-size:14px">{esc(title)}</div>'
            f"{items(pairs)}{''.join(parts)}</div>")
