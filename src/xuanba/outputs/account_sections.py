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

from xuanba.outputs.i18n import money, num, pct

_T: dict[str, tuple[str, str]] = {
    "size_title": ("Profit by account size (last 12 months)", "按客户规模的利润（近 12 个月）"),
    "size_reading": ("The top {top} of accounts bring {rev} of revenue and {profit} of profit after "
                     "cost-to-serve; {vwp} big accounts bring volume at a margin under 5%.",
                     "规模前 {top} 的客户贡献 {rev} 的收入、{profit} 的利润（扣除服务成本）；"
                     "其中 {vwp} 个大客户量大而利润率低于 5%。"),
    "band": ("Size band", "规模分段"), "customers": ("Customers", "客户数"),
    "revenue": ("Revenue", "收入"), "cost_to_serve": ("Cost-to-serve", "服务成本"),
    "profit": ("Profit", "利润"), "margin": ("Margin", "利润率"),
    "promises_title": ("Promises kept (due in the last 12 months)", "承诺兑现（近 12 个月到期）"),
    "promises_reading": ("{kept} of {due} promises due were kept on time; {overdue} are overdue now.",
                         "到期的 {due} 项承诺中按时兑现 {kept}；目前逾期 {overdue} 项。"),
    "rep": ("Rep", "负责人"), "due": ("Due", "到期"), "on_time": ("On time", "按时"),
    "late": ("Late", "延迟"), "broken": ("Broken", "未兑现"), "overdue": ("Overdue", "逾期"),
    "reliability": ("Kept on time", "按时兑现率"),
    "owners_title": ("Who holds the selected accounts", "入选客户由谁负责"),
    "owners_reading": ("Concentration (Herfindahl) {hhi}; {single} selected accounts hang on one "
                       "contact or one rep.",
                       "集中度（赫芬达尔指数）{hhi}；{single} 个入选客户只靠一位联系人或一位销售维系。"),
    "owner": ("Owner", "负责人"), "accounts": ("Accounts", "客户数"), "value": ("Revenue", "收入"),
    "share": ("Share", "占比"),
    "warm_title": ("Keep warm: dormant accounts worth a call", "保温名单：值得联系的沉睡客户"),
    "warm_reading": ("{n} accounts bought nothing for 180 days and heard nothing from us for 90; "
                     "the {shown} with the highest potential score this round:",
                     "{n} 个客户 180 天未购买、90 天未联系；按本轮潜力得分最高的 {shown} 个："),
    "customer": ("Customer", "客户"), "potential": ("Potential score", "潜力得分"),
    "days_purchase": ("Days since purchase", "距上次购买（天）"),
    "days_contact": ("Days since contact", "距上次联系（天）"),
    "ageing_title": ("Receivables ageing", "应收账款账龄"),
    "ageing_reading": ("{rate} of the amount invoiced is collected; {overdue} is past due.",
                       "已开票金额回款 {rate}；逾期未收 {overdue}。"),
    "bucket": ("Days past due", "逾期天数"), "open": ("Open amount", "未收金额"),
    "personas_title": ("Segments", "客群画像"),
    "personas_reading": ("One profile per segment: size, revenue and profit share, channels and regions.",
                         "每个客群一份画像：规模、收入与利润占比、渠道与地区。"),
    "segment": ("Segment", "客群"), "revenue_share": ("Revenue share", "收入占比"),
    "profit_share": ("Profit share", "利润占比"), "channels": ("Channels", "渠道"),
    "regions": ("Regions", "地区"),
}

#: How many dormant accounts the keep-warm section lists.
KEEP_WARM_ROWS = 15


def _t(key: str, lang: str, **kw: Any) -> str:
    en, zh = _T[key]
    text = zh if lang == "zh" else en
    return text.format(**kw) if kw else text


def _band(label: str, lang: str) -> str:
    """A size-band label of :func:`xuanba.accounts.size_bands` in ``lang`` ("top 1%" → "前 1%")."""
    if lang != "zh":
        return label
    m = re.fullmatch(r"(top|next|rest)\s*([\d.]*%?)\s*(?:\(([\d.]+)-([\d.]+)%\))?", label.strip())
    if not m:
        return label
    kind, size, lo, hi = m.groups()
    span = f"（{lo}–{hi}%）" if lo else ""
    return {"top": f"前 {size}", "next": f"其次 {size}{span}", "rest": f"其余{span}"}[kind]


def _section(sid: str, title: str, reading: str, header: list[str], rows: list[list[str]],
             numeric_from: int = 1) -> dict[str, Any]:
    return {"id": sid, "title": title, "fig": None, "reading": reading,
            "table": {"header": header, "rows": rows, "numeric_from": numeric_from}}


def account_sections(round_: Any, lang: str = "en") -> list[dict[str, Any]]:
    """The report sections of the account work ``round_`` stored (see the module docstring)."""
    tables = getattr(round_, "tables", None) or {}
    cur = round_.meta.get("currency") or ""
    out: list[dict[str, Any]] = []
    for key, render in (("profit_by_size", _size_section), ("promises", _promises_section),
                        ("owners", _owners_section), ("keep_warm", _keep_warm_section),
                        ("receivables", _ageing_section), ("personas", _personas_section)):
        stored = tables.get(key)
        if stored is not None and stored.frame is not None:
            out.append(render(stored.info, stored.frame, cur, lang))
    return out


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
    rows = [[b, money(float(total[b]), cur, lang)] for b in BUCKETS]
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
