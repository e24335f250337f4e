"""The account-work sections of the round report (issue 6), when the workspace holds side tables.

Each section is a table with a one-line reading, computed by the :mod:`xuanba.accounts`
functions over the year up to the round's cutoff: profit by account size (needs interactions),
promises kept by rep (commitments), who owns the selected accounts (customers), dormant
accounts worth a call ranked by this round's potential score (interactions), receivables
ageing (payment dates) and segment personas (customers). A section whose data are absent is
left out, never filled with zeros.

Example
-------
>>> account_sections(None, None, "en")
[]
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from xuanba._dates import on_or_before
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


def account_sections(ws: Any, round_: Any, lang: str = "en") -> list[dict[str, Any]]:
    """The report sections of account work for ``round_`` (see the module docstring)."""
    if ws is None or round_ is None or not ws.has_table("transactions"):
        return []
    from xuanba.accounts.stored import stored_tables, stored_transactions

    side = stored_tables(ws)
    if not side:
        return []
    cutoff = pd.Timestamp(round_.meta.get("cutoff"))
    start = cutoff - pd.Timedelta(days=364)
    cur = round_.meta.get("currency") or ""
    tx = stored_transactions(ws)
    tx = tx.loc[on_or_before(tx["ts"], cutoff)]
    out: list[dict[str, Any]] = []
    if "interactions" in side:
        out.append(_size_section(tx, side["interactions"], start, cutoff, cur, lang))
    if "commitments" in side:
        out.append(_promises_section(side["commitments"], start, cutoff, lang))
    if "customers" in side and "owner" in side["customers"]:
        out.append(_owners_section(tx, side, round_.roster, start, cutoff, cur, lang))
    if "interactions" in side:
        out.append(_keep_warm_section(tx, side, round_.roster, cutoff, lang))
    from xuanba.accounts.receivables import has_payment_dates

    if has_payment_dates(tx):
        out.append(_ageing_section(tx, cutoff, cur, lang))
    if "customers" in side and "segment" in side["customers"]:
        out.append(_personas_section(tx, side, start, cutoff, cur, lang))
    return out


def _size_section(tx: pd.DataFrame, interactions: pd.DataFrame, start: pd.Timestamp,
                  end: pd.Timestamp, cur: str, lang: str) -> dict[str, Any]:
    from xuanba.accounts.profit import customer_profit, size_bands, volume_without_profit

    profit = customer_profit(tx, interactions, start=start, end=end)
    bands = size_bands(profit)
    vwp = volume_without_profit(profit)
    top = bands.iloc[0]
    rows = [[_band(str(b.band), lang), num(b.customers), money(b.revenue, cur, lang), money(b.cost_to_serve, cur, lang),
             money(b.profit, cur, lang), pct(100 * b.margin) if pd.notna(b.margin) else "–"]
            for b in bands.itertuples()]
    reading = _t("size_reading", lang, top=_band(str(top.band), lang).split(" ")[-1],
                 rev=pct(100 * top.revenue_share), profit=pct(100 * top.profit_share), vwp=num(len(vwp)))
    header = [_t(k, lang) for k in ("band", "customers", "revenue", "cost_to_serve", "profit", "margin")]
    return _section("accounts-size", _t("size_title", lang), reading, header, rows)


def _promises_section(commitments: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                      lang: str) -> dict[str, Any]:
    from xuanba.accounts.commitments import promise_ledger, reliability

    ledger = promise_ledger(commitments, end)
    by = "rep" if "rep" in ledger and ledger["rep"].notna().any() else "customer_id"
    rel = reliability(ledger, by=by, start=start, end=end)
    rows = [[str(getattr(r, by)), num(r.due), num(r.kept_on_time), num(r.kept_late), num(r.broken),
             num(r.overdue), pct(100 * r.reliability) if pd.notna(r.reliability) else "–"]
            for r in rel.itertuples()]
    reading = _t("promises_reading", lang, kept=num(rel["kept_on_time"].sum()), due=num(rel["due"].sum()),
                 overdue=num(int((ledger["state"] == "overdue").sum())))
    header = [_t(k, lang) for k in ("rep", "due", "on_time", "late", "broken", "overdue", "reliability")]
    return _section("accounts-promises", _t("promises_title", lang), reading, header, rows)


def _owners_section(tx: pd.DataFrame, side: dict[str, pd.DataFrame], roster: pd.DataFrame,
                    start: pd.Timestamp, end: pd.Timestamp, cur: str, lang: str) -> dict[str, Any]:
    from xuanba.accounts.owners import owner_concentration, single_threaded

    chosen = set(roster.loc[roster["selected"].astype(bool), "customer_id"].astype(str))
    window = tx.loc[(tx["ts"] >= start) & tx["customer_id"].isin(chosen)]
    value = window.groupby("customer_id")["amount"].sum()
    conc = owner_concentration(side["customers"], value)
    st = single_threaded(side["customers"], side.get("contacts"), side.get("interactions"), end)
    single = int(st.loc[st["customer_id"].isin(chosen), "single_threaded"].sum())
    rows = [[str(r.owner), num(r.accounts), money(r.value, cur, lang), pct(100 * r.share)]
            for r in conc.itertuples()]
    reading = _t("owners_reading", lang, hhi=num(conc.attrs["hhi"], 3), single=num(single))
    header = [_t(k, lang) for k in ("owner", "accounts", "value", "share")]
    return _section("accounts-owners", _t("owners_title", lang), reading, header, rows)


def _keep_warm_section(tx: pd.DataFrame, side: dict[str, pd.DataFrame], roster: pd.DataFrame,
                       end: pd.Timestamp, lang: str) -> dict[str, Any]:
    from xuanba.accounts.keepwarm import keep_warm

    potential = roster.set_index(roster["customer_id"].astype(str))["potential_score"]
    warm = keep_warm(tx, side.get("interactions"), side.get("commitments"), potential.rename("potential_score"),
                     end)
    head = warm.head(KEEP_WARM_ROWS)
    rows = [[str(r.customer_id), num(r.potential, 1), num(r.days_since_purchase),
             num(r.days_since_contact) if pd.notna(r.days_since_contact) else "–"] for r in head.itertuples()]
    reading = _t("warm_reading", lang, n=num(len(warm)), shown=num(len(head)))
    header = [_t(k, lang) for k in ("customer", "potential", "days_purchase", "days_contact")]
    return _section("accounts-keep-warm", _t("warm_title", lang), reading, header, rows)


def _ageing_section(tx: pd.DataFrame, end: pd.Timestamp, cur: str, lang: str) -> dict[str, Any]:
    from xuanba.accounts.receivables import BUCKETS, ageing, receivables_summary, receivables_total

    total = ageing(tx, end).iloc[-1]
    sums = receivables_total(receivables_summary(tx, end))
    rows = [[b, money(float(total[b]), cur, lang)] for b in BUCKETS]
    rows.append([_t("open", lang), money(float(total["open_balance"]), cur, lang)])
    reading = _t("ageing_reading", lang, rate=pct(100 * sums["collection_rate"]),
                 overdue=money(sums["overdue_receivables"], cur, lang))
    return _section("accounts-ageing", _t("ageing_title", lang), reading,
                    [_t("bucket", lang), _t("open", lang)], rows)


def _personas_section(tx: pd.DataFrame, side: dict[str, pd.DataFrame], start: pd.Timestamp,
                      end: pd.Timestamp, cur: str, lang: str) -> dict[str, Any]:
    from xuanba.accounts.personas import personas
    from xuanba.accounts.profit import customer_profit

    window = tx.loc[tx["ts"] >= start]
    profile = personas(window, side["customers"], customer_profit(window, side.get("interactions"), start=start, end=end))
    mixes = [(c, k) for c, k in (("channel_mix", "channels"), ("region_mix", "regions")) if c in profile]
    rows = [[str(r.segment), num(r.customers), money(r.revenue, cur, lang), pct(100 * r.revenue_share),
             pct(100 * r.profit_share)] + [str(getattr(r, c)) for c, _ in mixes] for r in profile.itertuples()]
    header = [_t(k, lang) for k in ("segment", "customers", "revenue", "revenue_share", "profit_share")]
    header += [_t(k, lang) for _, k in mixes]
    return _section("accounts-personas", _t("personas_title", lang), _t("personas_reading", lang), header, rows)
