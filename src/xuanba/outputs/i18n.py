"""The words of the report and the statements, in English and Chinese, and number formats.

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
import re
from collections.abc import Mapping
from typing import Any

from xuanba.errors import InputError

LANGS = ("en", "zh")

#: Symbols of the common currencies; any other code is written after the amount.
CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£",
                    "HKD": "HK$", "TWD": "NT$", "SGD": "S$", "KRW": "₩", "INR": "₹"}

_S: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "report_title": ("Round {round_id}: {standard}", "第 {round_id} 轮选拔：{standard}"),
    "report_sub": ("Customers as of {cutoff} · standard {standard} v{version} · made {created}",
                   "数据截至 {cutoff} · 标准 {standard} 第 {version} 版 · 生成于 {created}"),
    "customers": ("Customers", "客户数"),
    "selected": ("Selected", "入选"),
    "not_selected": ("Not selected", "未入选"),
    "absent": ("Not a customer then", "当时不在名单"),
    "value_share": ("Value share of the selection", "入选客户的价值占比"),
    "coverage": ("Coverage", "覆盖"),
    "quality": ("Quality", "质量"),
    "coverage_note": ("of the {n} most valuable customers are selected",
                      "最有价值的 {n} 位客户中已入选的比例"),
    "quality_note": ("value of a selected customer vs the average", "入选客户人均价值与全体平均之比"),
    "of_customers": ("{pct} of customers", "占客户的 {pct}"),
    "value_share_note": ("of {value} ({measure})", "{measure}合计 {value}"),
    "tiers_title": ("Tier sizes and value by tier", "各层级人数与价值"),
    "tiers_count_axis": ("Customers", "客户数（位）"),
    "tiers_value_axis": ("{measure} ({cur})", "{measure}（{cur}）"),
    "tier_axis": ("Tier", "层级"),
    "tiers_reading": ("{top_tier} holds {top_n} customers ({top_pct}) and {top_value_pct} of the value; "
                      "{sel} are selected in all.",
                      "{top_tier}共 {top_n} 位客户（{top_pct}），占价值的 {top_value_pct}；入选合计 {sel} 位。"),
    "quadrant_title": ("Value × potential", "价值 × 潜力矩阵"),
    "value_axis": ("Value score (0–100)", "价值得分（0–100）"),
    "potential_axis": ("Potential score (0–100)", "潜力得分（0–100）"),
    "quadrant_reading": ("Each dot is a customer; {largest} is the largest group ({largest_n}). "
                         "{shown}", "每个点是一位客户；{largest}人数最多（{largest_n}）。{shown}"),
    "quadrant_sampled": ("The chart shows a stratified sample of {shown} of {total} customers; "
                         "the table counts all of them.",
                         "图中按分组分层抽样显示 {total} 位中的 {shown} 位，表格统计全部客户。"),
    "quadrant": ("Quadrant", "象限"),
    "whale_title": ("Whale curve: cumulative profit by customer rank", "鲸鱼曲线：按客户排名累计利润"),
    "whale_x": ("Customers, most profitable first (% of all)", "客户（按利润从高到低，占全体 %）"),
    "whale_y": ("Cumulative profit (% of total)", "累计利润（占总利润 %）"),
    "whale_reading": ("The top {cpct} of customers earn {ppct} of profit; the rest give {give} back.",
                      "利润最高的 {cpct} 客户贡献了总利润的 {ppct}；其余客户拉低了 {give}。"),
    "whale_reading_flat": ("The curve peaks at 100%: no group of customers loses money overall.",
                           "曲线峰值为 100%：没有整体亏损的客户群。"),
    "whale_peak": ("peak", "峰值"),
    "whale_missing": ("No whale curve for this round: it needs profit or margin per customer (costs in the "
                      "transactions, or interactions for cost-to-serve) and a positive total.",
                      "本轮没有利润鲸鱼曲线：需要每位客户的利润或毛利（交易中的成本，或用于计算服务成本的互动记录），"
                      "且总额为正。"),
    "missing_title": ("What this round did not store", "本轮未保存的内容"),
    "missing_reading": ("This round was stored by an older xuanba and lacks {parts}; those sections are left "
                        "out. Run the round again to see them.",
                        "本轮由较早版本的 xuanba 保存，缺少{parts}，相应部分从略。重新运行本轮即可看到。"),
    "missing_fields": ("the per-customer fields (value of each customer, whale curve)",
                       "每位客户的字段（客户价值、鲸鱼曲线）"),
    "missing_summary": ("the headline value figures", "价值概览数字"),
    "missing_holdout": ("the check of its model on the last year", "模型在最近一年的检验"),
    "score_title": ("Score distribution", "得分分布"),
    "score_x": ("Score (0–100)", "得分（0–100）"),
    "score_y": ("Customers", "客户数（位）"),
    "score_reading": ("Median score {median}; the lowest selected score is {cut}.",
                      "得分中位数为 {median}；入选客户的最低得分为 {cut}。"),
    "score_reading_none": ("Median score {median}; nobody is selected.", "得分中位数为 {median}；本轮无人入选。"),
    "movers_title": ("Biggest movers since round {prev}", "与第 {prev} 轮相比变化最大的客户"),
    "movers_none_title": ("Movers since the previous round", "与上一轮相比的变化"),
    "movers_x": ("Change in rank (places; up is better)", "排名变化（名次，正数为上升）"),
    "movers_reading": ("{entered} entered and {left} left the selection; {rose} moved up and {fell} moved down; "
                       "rank correlation with the previous round {rho}.",
                       "{entered} 位新入选，{left} 位落选；{rose} 位上升，{fell} 位下降；与上一轮的排名相关系数为 {rho}。"),
    "margin_365d": ("Margin, last 365 days", "近 365 天毛利"),
    "profit_365d": ("Profit after cost-to-serve, last 365 days", "近 365 天利润（扣除服务成本）"),
    "revenue_365d": ("Revenue, last 365 days", "近 365 天收入"),
    "headline_title": ("Headline figures", "核心数字"),
    "quality_value": ("{x}× average", "平均水平的 {x} 倍"),
    "migration_title": ("Tier migration from round {prev} to round {cur}", "从第 {prev} 轮到第 {cur} 轮的层级迁移"),
    "migration_x": ("Tier in round {cur}", "第 {cur} 轮层级"),
    "migration_y": ("Tier in round {prev}", "第 {prev} 轮层级"),
    "migration_reading": ("{stay} of customers kept their tier; the diagonal shows who stayed.",
                          "{stay} 的客户保持原层级；对角线上是未变化的客户。"),
    "no_previous": ("This is the first round: there is nothing to compare with yet.",
                    "这是第一轮选拔，暂无可比较的上一轮。"),
    "model_title": ("Model fit: calibration and holdout", "模型拟合：校准期与验证期"),
    "models_title": ("The models behind the predictions", "预测所用的模型"),
    "models_reading": ("Fitted on the {n} customers' histories at the cutoff; estimates with standard "
                       "errors and 95% intervals. {extra}",
                       "在截止日基于 {n} 位客户的购买历史拟合；估计值、标准误与 95% 区间。{extra}"),
    "models_excluded": ("Gamma-Gamma left out {k} customers (no repeat purchase or no positive spend); "
                        "they get the population mean spend.",
                        "Gamma-Gamma 未纳入 {k} 位客户（无复购或消费额非正），其消费额取总体均值。"),
    "models_corr": ("Correlation of frequency and spend: {r} (the spend model assumes none).",
                    "购买频次与消费额的相关系数：{r}（消费模型假设二者无关）。"),
    "model_col": ("Model", "模型"),
    "param_col": ("Parameter", "参数"),
    "estimate_col": ("Estimate", "估计值"),
    "stderr_col": ("Std. error", "标准误"),
    "ci_col": ("95% interval", "95% 区间"),
    "loglik_col": ("Log-likelihood", "对数似然"),
    "model_x": ("Repeat purchases in the calibration period", "校准期内重复购买次数"),
    "model_y": ("Purchases in the holdout period (mean per customer)", "验证期内购买次数（人均）"),
    "model_reading": ("Fitted on the purchases up to a year before the cutoff, the model's forecast of the "
                      "last year against what customers bought: by group, they differ by {err} purchases "
                      "per customer on average.",
                      "用截止日一年前的购买数据拟合模型，预测最近一年的购买并与实际对比：各组人均相差 {err} 次。"),
    "actual": ("actual", "实际"),
    "predicted": ("predicted", "预测"),
    "standard_title": ("The standard, in plain words", "选拔标准（通俗说明）"),
    "figures_title": ("Exact figures", "精确数字"),
    "tier": ("Tier", "层级"),
    "count": ("Customers", "客户数"),
    "share": ("Share", "占比"),
    "value": ("Value", "价值"),
    "mean_score": ("Mean score", "平均得分"),
    "customer": ("Customer", "客户"),
    "rank": ("Rank", "排名"),
    "rank_change": ("Rank change", "排名变化"),
    "status": ("Change", "变化"),
    "entered": ("entered", "新入选"),
    "left": ("left", "落选"),
    "rose": ("moved up", "上升"),
    "fell": ("moved down", "下降"),
    "same": ("same", "不变"),
    "footer": ("Made by xuanba from round {round_id} (standard sha256 {std_sha}…, data sha256 {data_sha}…). "
               "The file works offline.",
               "由 xuanba 根据第 {round_id} 轮生成（标准 sha256 {std_sha}…，数据 sha256 {data_sha}…），可离线打开。"),
    "weight": ("weight", "权重"),
    "criterion_line": ("{label} — weight {weight}", "{label}——权重 {weight}"),
    "gate_line": ("Must hold: {label}", "必须满足：{label}"),
    "tier_line_score": ("{label}: score of at least {min}", "{label}：得分不低于 {min}"),
    "tier_line_quota": ("{label}: the best {quota} customers by score", "{label}：得分最高的 {quota} 位客户"),
    "capacity_line": ("The team serves at most {capacity} accounts; beyond that, the higher score goes first.",
                      "团队最多服务 {capacity} 个客户，超出时按得分高者优先。"),
    "private_line": ("Internal criteria, not published, make up {weight} of the score.",
                     "另有不公开的内部指标，占得分的 {weight}。"),
    # statements
    "stmt_title": ("Where you stand: {standard}", "您的选拔结果：{standard}"),
    "stmt_intro": ("We select the customers we serve most closely every round, by one standard applied to "
                   "everyone in the same way. This page states that standard and where you stand as of {cutoff}.",
                   "我们每一轮都按同一个标准、以同样的方式评估每一位客户，选出重点服务的客户。"
                   "本页公开这一标准，以及截至 {cutoff} 您的位置。"),
    "stmt_customer": ("Customer", "客户"),
    "stmt_score": ("Your score", "您的得分"),
    "stmt_tier": ("Your tier", "您的层级"),
    "stmt_band": ("Your rank band", "您的排名区间"),
    "stmt_band_note": ("among {n} customers", "共 {n} 位客户"),
    "stmt_contrib_title": ("What makes up your score", "您的得分构成"),
    "stmt_criterion": ("Criterion", "指标"),
    "stmt_your_value": ("Your figure", "您的数值"),
    "stmt_points": ("Points", "得分"),
    "stmt_of_max": ("of {max}", "满分 {max}"),
    "stmt_private_points": ("Internal criteria (not published)", "内部指标（不公开）"),
    "stmt_next_title": ("What would move you up", "如何进入更高层级"),
    "stmt_next": ("You are {gap} points short of {tier}.", "距离{tier}还差 {gap} 分。"),
    "stmt_next_cheapest": ("The smallest step: raise {criterion} by about {change}.",
                           "最容易的一步：将{criterion}提高约 {change}。"),
    "stmt_top": ("You are in the highest tier. Keeping your score keeps you there.",
                 "您已在最高层级，保持现有得分即可保留。"),
    "stmt_gates": ("Before any tier, these rules must hold; for you they do not yet: {gates}.",
                   "进入任何层级之前须满足以下规则，您目前尚未满足：{gates}。"),
    "stmt_capacity": ("Your score qualifies, but the team's capacity was full this round: "
                      "customers with higher scores took the places.",
                      "您的得分已达标，但本轮服务名额已满，名额按得分从高到低分配。"),
    "stmt_standard_title": ("The standard, in plain words", "选拔标准（通俗说明）"),
    "stmt_footer": ("Standard {standard} v{version}, round {round_id}, data as of {cutoff}. "
                    "The same standard is applied to every customer; it changes only with a new version.",
                    "标准 {standard} 第 {version} 版，第 {round_id} 轮，数据截至 {cutoff}。"
                    "所有客户适用同一标准；标准只随新版本改变。"),
    "not_in_tier": ("not selected this round", "本轮未入选"),
    "band_top": ("top {pct}", "前 {pct}"),
    "band_lower": ("lower half", "后 50%"),
}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`; a clear error otherwise."""
    if lang not in LANGS:
        raise InputError(f"language {lang!r} is not available", fix="Use --lang en or --lang zh.")
    return lang


def t(key: str, lang: str, **kw: Any) -> str:
    """The phrase ``key`` in ``lang``, with ``{fields}`` filled in."""
    en, zh = _S[key]
    text = zh if lang == "zh" else en
    return text.format(**kw) if kw else text


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
    """What an axis label says for amounts: the symbol and the code (``¥ CNY``)."""
    code = (currency or "").upper()
    sym = CURRENCY_SYMBOLS.get(code)
    if sym and code:
        return f"{sym} {code}" if sym != code else code
    return code or "—"


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


def _weight_pct(w: float, total: float) -> str:
    share = 100.0 * float(w) / total if total else 0.0
    return f"{share:.0f}%" if abs(share - round(share)) < 0.05 else f"{share:.1f}%"


def private_fields(standard: Any) -> set[str]:
    """Names and fields of the criteria the standard marks private."""
    out: set[str] = set()
    for c in _get(standard, "criteria", []) or []:
        if _get(c, "private", False):
            out.update(str(x) for x in (_get(c, "name"), _get(c, "field")) if x)
    return out


def private_gates(standard: Any) -> set[str]:
    """Names of the gates whose rule uses a private criterion's field."""
    hidden = private_fields(standard)
    out = set()
    for g in _get(standard, "gates", []) or []:
        expr = str(_get(g, "expr", "") or "")
        if any(re.search(rf"\b{re.escape(f)}\b", expr) for f in hidden):
            out.add(str(_get(g, "name")))
    return out


def standard_lines(standard: Any, lang: str = "en", *, public_only: bool = False) -> list[str]:
    """The standard in plain words, one sentence a line, from its criteria, gates, tiers and
    capacity. With ``public_only``, private criteria are left out (only their total weight is
    stated) and so is any gate whose rule names a private field.

    Example
    -------
    >>> std = {"criteria": [{"name": "m", "field": "margin", "label": "Margin", "weight": 3},
    ...                     {"name": "c", "field": "credit", "label": "Credit", "weight": 1,
    ...                      "private": True}],
    ...        "gates": [], "tiers": [{"name": "a", "label": "A", "min_score": 60}]}
    >>> standard_lines(std, public_only=True)
    ['Margin — weight 75%', 'Internal criteria, not published, make up 25% of the score.', 'A: score of at least 60']
    """
    crits = list(_get(standard, "criteria", []) or [])
    total = sum(float(_get(c, "weight", 0) or 0) for c in crits)
    hidden = private_fields(standard) if public_only else set()
    lines, private_w = [], 0.0
    for c in crits:
        if public_only and _get(c, "private", False):
            private_w += float(_get(c, "weight", 0) or 0)
            continue
        label = _get(c, "label") or _get(c, "name")
        line = t("criterion_line", lang, label=label, weight=_weight_pct(_get(c, "weight", 0) or 0, total))
        desc = _get(c, "description")
        if desc:
            line += f" ({desc})" if lang != "zh" else f"（{desc}）"
        lines.append(line)
    if private_w:
        lines.append(t("private_line", lang, weight=_weight_pct(private_w, total)))
    for g in _get(standard, "gates", []) or []:
        expr = str(_get(g, "expr", "") or "")
        if hidden and any(re.search(rf"\b{re.escape(f)}\b", expr) for f in hidden):
            continue
        lines.append(t("gate_line", lang, label=_get(g, "label") or _get(g, "name")))
    for tier in _get(standard, "tiers", []) or []:
        label = _get(tier, "label") or _get(tier, "name")
        if _get(tier, "quota") is not None:
            lines.append(t("tier_line_quota", lang, label=label, quota=num(_get(tier, "quota"))))
        elif _get(tier, "min_score") is not None:
            lines.append(t("tier_line_score", lang, label=label, min=f"{float(_get(tier, 'min_score')):g}"))
    cap = _get(standard, "capacity")
    if cap:
        lines.append(t("capacity_line", lang, capacity=num(cap)))
    return lines
