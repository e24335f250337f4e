"""The account-work sections of the round report, rendered from what the round stored.

A round stores its account analyses at its cutoff (:func:`xuanba.accounts.book.account_book`):
profit by account size (needs interactions), promises kept by rep (commitments), who owns the
selected accounts (customers), dormant accounts worth a call ranked by the round's potential
score (interactions), receivables ageing (payment dates) and segment personas (customers).
Each becomes a table with a one-line reading; nothing is recomputed here. A section whose data
were absent is left out, never filled with zeros.

Example
-------
>>> from xuanba.outputs._synthetic import synthetic_round
>>> account_sections(synthetic_round(50), "en")
[]
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from xuanba.i18n import t
from xuanba.outputs.i18n import money, num, pct
from xuanba.outputs.people import People

#: How many dormant accounts the keep-warm section lists.
KEEP_WARM_ROWS = 15


def _t(key: str, lang: str, **kw: Any) -> str:
    return t(f"acct_{key}", lang, **kw)


def _band(label: str, lang: str) -> str:
    """A size-band label of :func:`xuanba.accounts.size_bands` in ``lang`` ("top 1%" → "前 1%")."""
    if lang != "zh":
        return label
    m = re.fullmatch(r"(top|next|rest)\s*([\d.]*%?)\s*(?:\(([\d.]+)-([\d.]+)%\))?", label.strip())
    if not m:
        return label
    kind, size, lo, hi = m.groups()
    span = t("acct_band_span", lang, lo=lo, hi=hi) if lo else ""
    return t(f"acct_band_{kind}", lang, size=size, span=span)


def _section(sid: str, title: str, reading: str, header: list[str], rows: list[list[str]],
             numeric_from: int = 1) -> dict[str, Any]:
    return {"id": sid, "title": title, "fig": None, "reading": reading,
            "table": {"header": header, "rows": rows, "numeric_from": numeric_from}}


def account_sections(round_: Any, lang: str = "en", *, people: People | None = None) -> list[dict[str, Any]]:
    """The report sections of the account work ``round_`` stored (see the module docstring);
    ``people`` (default: from the round's fields) names the customers they list."""
    tables = getattr(round_, "tables", None) or {}
    cur = round_.meta.get("currency") or ""
    people = people if people is not None else People.of(getattr(round_, "fields", None))
    out: list[dict[str, Any]] = []
    for key, render in (("profit_by_size", _size_section), ("promises", _promises_section),
                        ("owners", _owners_section), ("keep_warm", _keep_warm_section),
                        ("receivables", _ageing_section), ("personas", _personas_section)):
        stored = tables.get(key)
        if stored is not None and stored.frame is not None:
            section = render(stored.info, stored.frame, cur, lang)
            if key == "keep_warm":
                section = _with_people(section, head_ids=stored.frame["customer_id"].head(KEEP_WARM_ROWS),
                                       people=people, lang=lang)
            out.append(section)
    return out


def _with_people(section: dict[str, Any], *, head_ids: Any, people: People, lang: str) -> dict[str, Any]:
    """A customer table whose first column is the id, with the name beside it (and the owner
    when known)."""
    cols = [c for c in ("name", "owner") if c in people.columns]
    if not cols:
        return section
    table = section["table"]
    extra = [people.column(head_ids.astype(str), c) for c in cols]
    rows = [[row[0], *(e[i] for e in extra), *row[1:]] for i, row in enumerate(table["rows"])]
    header = [table["header"][0], *(t(f"people_{c}", lang) for c in cols), *table["header"][1:]]
    return {**section, "table": {**table, "header": header, "rows": rows,
                                 "numeric_from": table["numeric_from"] + len(cols)}}


def _size_section(info: dict[str, Any], bands: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    rows = [[_band(str(b.band), lang), num(b.customers), money(b.revenue, cur, lang), money(b.cost_to_serve, cur, lang),
             money(b.profit, cur, lang), pct(100 * b.margin) if pd.notna(b.margin) else "–"]
            for b in bands.itertuples()]
    reading = _t("size_reading", lang, top=_band(str(info["top_band"]), lang).split(" ")[-1],
                 rev=pct(100 * info["top_revenue_share"]), profit=pct(100 * info["top_profit_share"]),
                 vwp=num(info["volume_without_profit"]))
    header = [_t(k, lang) for k in ("band", "customers", "revenue", "cost_to_serve", "profit", "margin")]
    return _section("accounts-size", _t("size_title", lang), reading, header, rows)


def _promises_section(info: dict[str, Any], rel: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    by = str(info.get("by", "rep"))
    rows = [[str(getattr(r, by)), num(r.due), num(r.kept_on_time), num(r.kept_late), num(r.broken),
             num(r.overdue), pct(100 * r.reliability) if pd.notna(r.reliability) else "–"]
            for r in rel.itertuples()]
    reading = _t("promises_reading", lang, kept=num(info["kept_on_time"]), due=num(info["due"]),
                 overdue=num(info["overdue"]))
    header = [_t(k, lang) for k in ("rep", "due", "on_time", "late", "broken", "overdue", "reliability")]
    return _section("accounts-promises", _t("promises_title", lang), reading, header, rows)


def _owners_section(info: dict[str, Any], conc: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    rows = [[str(r.owner), num(r.accounts), money(r.value, cur, lang), pct(100 * r.share)]
            for r in conc.itertuples()]
    reading = _t("owners_reading", lang, hhi=num(info["hhi"], 3), single=num(info["single_threaded"]))
    header = [_t(k, lang) for k in ("owner", "accounts", "value", "share")]
    return _section("accounts-owners", _t("owners_title", lang), reading, header, rows)


def _keep_warm_section(info: dict[str, Any], warm: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    head = warm.head(KEEP_WARM_ROWS)
    rows = [[str(r.customer_id), num(r.potential, 1), num(r.days_since_purchase),
             num(r.days_since_contact) if pd.notna(r.days_since_contact) else "–"] for r in head.itertuples()]
    reading = _t("warm_reading", lang, n=num(info["accounts"]), shown=num(len(head)))
    header = [_t(k, lang) for k in ("customer", "potential", "days_purchase", "days_contact")]
    return _section("accounts-keep-warm", _t("warm_title", lang), reading, header, rows)


def _ageing_section(info: dict[str, Any], ageing: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    from xuanba.accounts.receivables import BUCKETS

    total = ageing.iloc[-1]
    rows = [[_t("current", lang) if b == "current" else b, money(float(total[b]), cur, lang)] for b in BUCKETS]
    rows.append([_t("open", lang), money(float(total["open_balance"]), cur, lang)])
    reading = _t("ageing_reading", lang, rate=pct(100 * info["collection_rate"]),
                 overdue=money(info["overdue_receivables"], cur, lang))
    return _section("accounts-ageing", _t("ageing_title", lang), reading,
                    [_t("bucket", lang), _t("open", lang)], rows)


def _personas_section(info: dict[str, Any], profile: pd.DataFrame, cur: str, lang: str) -> dict[str, Any]:
    mixes = [(c, k) for c, k in (("channel_mix", "channels"), ("region_mix", "regions")) if c in profile]
    rows = [[str(r.segment), num(r.customers), money(r.revenue, cur, lang), pct(100 * r.revenue_share),
             pct(100 * r.profit_share)] + [str(getattr(r, c)) for c, _ in mixes] for r in profile.itertuples()]
    header = [_t(k, lang) for k in ("segment", "customers", "revenue", "revenue_share", "profit_share")]
    header += [_t(k, lang) for _, k in mixes]
    return _section("accounts-personas", _t("personas_title", lang), _t("personas_reading", lang), header, rows)
