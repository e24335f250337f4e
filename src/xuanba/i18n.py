"""The one translation table of xuanba: every user-facing phrase in English and Chinese.

Every layer (the standard, the outputs, the command line, account work) takes its words from
:data:`TEXT` through :func:`t`; no other module keeps its own table of translations (a test
scans the sources). Keys are grouped by where the words are used: ``field_*`` the fields a
standard reads, ``std_*`` and ``expr_*`` the standard in plain words, the report and the
statements, ``acct_*`` the account-work sections, ``sheet_*`` resource sheets, ``demo_*`` the
demo command, ``xlsx_*`` workbooks. The ``field_*`` phrases come from :data:`FIELD_CATALOGUE`, the one
catalogue of the fields xuanba writes: for each, the kind of number it holds and its column
header (with its window) in both languages; :func:`column_words` reads it for workbooks.

Example
-------
>>> t("selected", "zh")
'入选'
>>> t("std_hidden_gates", "en", n=2)
'Internal gates, not published, apply to every customer as well (2 in all).'
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from xuanba.errors import InputError, Phrase

LANGS = ("en", "zh")
"""The languages of :data:`TEXT`, in the order of its pairs."""

#: The field catalogue: every column xuanba writes by name, with the kind of number it holds (how a
#: workbook shows it: ``money`` with thousands separators, ``percent`` for shares held as 0–1,
#: ``date``, ``count``, ``number``; ``text``, or ``""`` for what its type implies), then in
#: English and Chinese a short column header that names its window ("Revenue (365 days)") and what
#: it means. The ``field_*`` phrases of :data:`TEXT` are its meanings; workbooks read it through
#: :func:`column_words`.
FIELD_CATALOGUE: dict[str, tuple[str, tuple[str, str], tuple[str, str]]] = {
    # facts (xuanba.facts)
    "customer_id": ("text", ("Customer id", "客户编号"), ("customer id", "客户编号")),
    "frequency": ("count", ("Repeat purchases", "复购次数"), ("repeat purchases", "复购次数")),
    "recency": ("number", ("Recency (first to last purchase)", "首末购买间隔"),
                ("time from first to last purchase", "首次到最近一次购买的间隔")),
    "T": ("number", ("Age T (since first purchase)", "客龄 T（自首次购买）"),
          ("time since the first purchase", "首次购买至今的时长")),
    "monetary_value": ("money", ("Mean repeat spend", "复购平均消费额"),
                       ("average spend per repeat purchase", "复购的平均消费额")),
    "first_purchase": ("date", ("First purchase", "首次购买日期"), ("date of the first purchase", "首次购买日期")),
    "last_purchase": ("date", ("Last purchase", "最近购买日期"), ("date of the last purchase", "最近一次购买日期")),
    "tenure_days": ("count", ("Tenure (days)", "客龄（天）"), ("days since the first purchase", "首次购买至今的天数")),
    "days_since_last": ("count", ("Days since last purchase", "距上次购买天数"),
                        ("days since the last purchase", "距最近一次购买的天数")),
    "orders": ("count", ("Orders (all time)", "订单数（累计）"), ("number of orders", "订单数")),
    "revenue_total": ("money", ("Revenue (all time)", "收入（累计）"), ("revenue to date", "累计收入")),
    "revenue_90d": ("money", ("Revenue (90 days)", "收入（近90天）"), ("revenue in the last 90 days", "近 90 天收入")),
    "revenue_365d": ("money", ("Revenue (365 days)", "收入（近365天）"),
                     ("revenue in the last 365 days", "近 365 天收入")),
    "revenue_prev_365d": ("money", ("Revenue (the 365 days before)", "收入（再往前365天）"),
                          ("revenue in the 365 days before those", "再往前 365 天的收入")),
    "growth_365d": ("percent", ("Revenue growth (365 days)", "收入增长（近365天）"),
                    ("revenue growth over the last 365 days", "近 365 天收入增长")),
    "margin_total": ("money", ("Margin (all time)", "毛利（累计）"), ("margin to date", "累计毛利")),
    "margin_90d": ("money", ("Margin (90 days)", "毛利（近90天）"), ("margin in the last 90 days", "近 90 天毛利")),
    "margin_365d": ("money", ("Margin (365 days)", "毛利（近365天）"),
                    ("margin in the last 365 days", "近 365 天毛利")),
    "rfm_r": ("count", ("RFM recency (1–5)", "RFM 最近购买（1–5）"), ("RFM recency score (1–5)", "RFM 最近购买得分（1–5）")),
    "rfm_f": ("count", ("RFM frequency (1–5)", "RFM 频次（1–5）"), ("RFM frequency score (1–5)", "RFM 购买频次得分（1–5）")),
    "rfm_m": ("count", ("RFM spend (1–5)", "RFM 金额（1–5）"), ("RFM spend score (1–5)", "RFM 消费金额得分（1–5）")),
    "rfm_score": ("count", ("RFM score", "RFM 总分"), ("RFM score", "RFM 总分")),
    "frequency_holdout": ("count", ("Purchases in the holdout", "验证期购买次数"),
                          ("purchase occasions in the holdout period", "验证期内的购买次数")),
    "revenue_holdout": ("money", ("Revenue in the holdout", "验证期收入"), ("net spend in the holdout period", "验证期内的净消费额")),
    "monetary_value_holdout": ("money", ("Mean spend in the holdout", "验证期平均消费额"),
                               ("mean spend per holdout purchase", "验证期内每次购买的平均消费额")),
    "duration_holdout": ("number", ("Holdout length", "验证期长度"), ("length of the holdout, in the time unit", "验证期长度（按时间单位）")),
    # predictions (xuanba.models.predict)
    "p_alive": ("percent", ("P(alive)", "仍活跃概率"),
                ("probability the customer is still active", "客户仍活跃的概率")),
    "expected_purchases_1y": ("number", ("Expected purchases (next year)", "预计购买次数（未来一年）"),
                              ("expected purchases in the next year", "未来一年的预计购买次数")),
    "expected_spend": ("money", ("Expected spend per purchase", "预计每次消费额"),
                       ("expected spend per purchase", "预计每次消费额")),
    "spend_basis": ("text", ("Spend basis", "消费额依据"),
                    ("what the expected spend rests on", "预计消费额的依据")),
    "clv_1y": ("money", ("Value (next year)", "预计价值（未来一年）"),
               ("predicted value in the next year (discounted)", "未来一年的预计价值（折现）")),
    "clv_3y": ("money", ("Value (next 3 years)", "预计价值（未来三年）"),
               ("predicted value in the next 3 years (discounted)", "未来三年的预计价值（折现）")),
    "expected_purchases": ("number", ("Expected purchases (chosen horizon)", "预计购买次数（所选期限）"),
                           ("expected purchases over the horizon asked for", "所选期限内的预计购买次数")),
    "p_no_purchase": ("percent", ("P(no purchase, chosen horizon)", "不再购买的概率（所选期限）"),
                      ("probability of no purchase over the horizon asked for", "所选期限内不购买的概率")),
    "clv": ("money", ("Value (chosen horizon)", "预计价值（所选期限）"),
            ("predicted value over the years asked for (discounted)", "所选年限内的预计价值（折现）")),
    "churn_90d": ("percent", ("Churn risk (90 days)", "流失概率（90天内）"),
                  ("probability of leaving within 90 days", "90 天内流失的概率")),
    # account fields (xuanba.accounts)
    "cost_to_serve_365d": ("money", ("Cost to serve (365 days)", "服务成本（近365天）"),
                           ("cost to serve in the last 365 days", "近 365 天服务成本")),
    "profit_365d": ("money", ("Profit (365 days)", "利润（近365天）"),
                    ("profit after cost-to-serve in the last 365 days", "近 365 天利润（扣除服务成本）")),
    "promise_reliability": ("percent", ("Promises kept", "承诺兑现率"),
                            ("share of promises kept on time", "承诺按时兑现率")),
    "days_since_contact": ("count", ("Days since contact", "距上次联系天数"),
                           ("days since the last contact", "距最近一次联系的天数")),
    "payment_punctuality": ("percent", ("Paid on time", "按时付款率"),
                            ("share of invoices paid on time", "按时付款率")),
    "single_threaded": ("", ("Single-threaded", "单线维系"),
                        ("hangs on one contact or one rep", "只靠一位联系人或一位销售维系")),
    "overdue_receivables": ("money", ("Overdue receivables", "逾期应收"), ("overdue receivables", "逾期应收账款")),
    # customers (side table)
    "name": ("text", ("Name", "名称"), ("the customer's name", "客户名称")),
    "segment": ("text", ("Segment", "客群"), ("segment", "客群")),
    "region": ("text", ("Region", "地区"), ("region", "地区")),
    "owner": ("text", ("Owner", "负责人"), ("owner", "负责人")),
    "size": ("text", ("Size", "规模"), ("size", "规模")),
    # a round's roster, contributions and diff (xuanba.standard, xuanba.rounds)
    "round_id": ("text", ("Round", "轮次"), ("the round", "所属轮次")),
    "rank": ("count", ("Rank", "排名"), ("rank by score; 1 is the best", "按得分的排名，1 为最好")),
    "score": ("number", ("Score", "得分"), ("score from 0 to 100", "得分（0–100）")),
    "tier": ("text", ("Tier", "层级"), ("the tier given (empty: not selected)", "所得层级（空：未入选）")),
    "selected": ("", ("Selected", "入选"), ("selected in this round", "本轮是否入选")),
    "quadrant": ("text", ("Quadrant", "象限"), ("value × potential quadrant", "价值 × 潜力象限")),
    "value_score": ("number", ("Value score", "价值分"), ("value sub-score, 0–100", "价值分（0–100）")),
    "potential_score": ("number", ("Potential score", "潜力分"), ("potential sub-score, 0–100", "潜力分（0–100）")),
    "gates_failed": ("text", ("Gates failed", "未通过的门槛"), ("the gates not met", "未满足的门槛")),
    "next_tier": ("text", ("Next tier", "更高一级"), ("the tier above", "更高一级的层级")),
    "gap_to_next": ("number", ("Points to next tier", "距更高一级的分差"),
                    ("score points missing for the tier above", "进入更高层级还差的分数")),
    "cheapest_criterion": ("text", ("Easiest criterion", "最易提升的指标"),
                           ("the criterion whose change alone closes the gap most easily", "单独改变即可最容易补足分差的指标")),
    "cheapest_change": ("number", ("Change needed", "所需变化"),
                        ("the change of that criterion's raw value", "该指标原始值所需的变化")),
    "left_out_by_capacity": ("", ("Left out by capacity", "因容量未入选"),
                             ("would have a tier but for the team's capacity", "仅因团队容量未入选")),
    "cheapest_public_criterion": ("text", ("Easiest public criterion", "最易提升的公开指标"),
                                  ("the same among the public criteria a customer can act on", "在客户可改变的公开指标中最易提升者")),
    "cheapest_public_change": ("number", ("Public change needed", "公开指标所需变化"),
                               ("the change of that public criterion's raw value", "该公开指标原始值所需的变化")),
    "criterion": ("text", ("Criterion", "指标"), ("criterion of the standard", "标准中的指标")),
    "raw": ("number", ("Raw value", "原始值"), ("the criterion's raw value", "指标的原始值")),
    "normalised": ("number", ("Normalised (0–1)", "标准化值（0–1）"), ("the raw value normalised to 0–1", "原始值换算到 0–1")),
    "weight": ("percent", ("Weight share", "权重占比"), ("the criterion's share of the score", "指标占得分的比重")),
    "contribution": ("number", ("Points", "得分贡献"), ("points the criterion gave", "该指标贡献的得分")),
    "tier_a": ("text", ("Tier before", "原层级"), ("tier in the earlier round", "前一轮的层级")),
    "tier_b": ("text", ("Tier now", "现层级"), ("tier in the later round", "后一轮的层级")),
    "rank_a": ("count", ("Rank before", "原排名"), ("rank in the earlier round", "前一轮的排名")),
    "rank_b": ("count", ("Rank now", "现排名"), ("rank in the later round", "后一轮的排名")),
    "score_a": ("number", ("Score before", "原得分"), ("score in the earlier round", "前一轮的得分")),
    "score_b": ("number", ("Score now", "现得分"), ("score in the later round", "后一轮的得分")),
    "rank_change": ("count", ("Rank change", "排名变化"), ("places moved up (negative: down)", "上升的名次（负数为下降）")),
    "status": ("text", ("Change", "变化"), ("entered, left, moved up, moved down or same", "新入选、落选、上升、下降或不变")),
    "from": ("text", ("From tier", "原层级"), ("tier in the earlier round (rows)", "前一轮的层级（行）")),
    # account work tables (xuanba.accounts)
    "revenue": ("money", ("Revenue (chosen period)", "收入（所选期间）"), ("revenue in the chosen period", "所选期间的收入")),
    "cogs": ("money", ("Cost of goods (chosen period)", "销售成本（所选期间）"),
             ("cost of the goods sold in the chosen period", "所选期间的销售成本")),
    "cost_to_serve": ("money", ("Cost to serve (chosen period)", "服务成本（所选期间）"),
                      ("cost to serve in the chosen period", "所选期间的服务成本")),
    "profit": ("money", ("Profit (chosen period)", "利润（所选期间）"),
               ("profit after cost-to-serve in the chosen period", "所选期间扣除服务成本后的利润")),
    "margin": ("percent", ("Profit margin (chosen period)", "利润率（所选期间）"),
               ("profit over revenue in the chosen period", "所选期间利润占收入的比例")),
    "invoiced": ("money", ("Invoiced (all time)", "开票（累计）"), ("amount invoiced to date", "累计开票金额")),
    "collected": ("money", ("Collected (all time)", "回款（累计）"), ("amount collected to date", "累计回款金额")),
    "open_balance": ("money", ("Open balance", "未收余额"), ("amount invoiced and not yet paid", "已开票未回款的金额")),
    "dso": ("number", ("Days sales outstanding", "应收账款天数"),
            ("open balance over recent sales, in days", "未收余额相当于近期销售的天数")),
    "made_on": ("date", ("Promised on", "承诺日期"), ("day the promise was made", "做出承诺的日期")),
    "due_on": ("date", ("Due on", "到期日"), ("day the promise or invoice falls due", "承诺或账款的到期日")),
    "kept_on": ("date", ("Kept on", "兑现日期"), ("day the promise was kept", "兑现承诺的日期")),
    "state": ("text", ("State", "状态"), ("kept on time, kept late, broken, overdue or open", "按时兑现、延迟兑现、违约、逾期或未到期")),
    "days_overdue": ("count", ("Days overdue", "逾期天数"), ("days past due, not kept", "已过期未兑现的天数")),
    "days_late": ("count", ("Days late", "延迟天数"), ("days the promise was kept late", "延迟兑现的天数")),
    "rep": ("text", ("Rep", "销售"), ("the sales rep", "负责的销售")),
    "contacts": ("count", ("Contacts", "联系人数"), ("contacts at the customer", "客户方联系人数")),
    "reps": ("count", ("Reps", "销售人数"), ("reps in touch in the window", "窗口期内联系过的销售人数")),
    "reason": ("text", ("Reason", "原因"), ("why the account is flagged", "标记的原因")),
    "band": ("text", ("Size band", "规模档"), ("revenue size band, largest first", "按收入划分的规模档，从大到小")),
    "customers": ("count", ("Customers", "客户数"), ("number of customers", "客户数量")),
    "revenue_share": ("percent", ("Share of revenue", "收入占比"), ("share of all customers' revenue", "占全部客户收入的比例")),
    "profit_share": ("percent", ("Share of profit", "利润占比"), ("share of all customers' profit", "占全部客户利润的比例")),
    "mean_value": ("money", ("Revenue per customer", "户均收入"), ("revenue over customers", "收入除以客户数")),
    "mean_potential": ("number", ("Mean potential", "平均潜力"), ("mean potential of the customers", "客户的平均潜力")),
    "channel_mix": ("text", ("Channels", "渠道构成"), ("largest channels by revenue", "按收入排列的主要渠道")),
    "region_mix": ("text", ("Regions", "地区构成"), ("largest regions by customers", "按客户数排列的主要地区")),
    "top_products": ("text", ("Top products", "主要产品"), ("largest products by revenue", "按收入排列的主要产品")),
    "potential": ("number", ("Potential", "潜力"), ("what the list is ranked by", "名单的排序依据")),
    "days_since_purchase": ("count", ("Days since purchase", "距上次购买天数"),
                            ("days since the last purchase", "距最近一次购买的天数")),
    "last_contact": ("date", ("Last contact", "最近联系日期"), ("day of the last contact", "最近一次联系的日期")),
    "window_start": ("date", ("Window start", "窗口起始"), ("first day of the window", "统计窗口的第一天")),
    "as_of": ("date", ("As of", "截至"), ("last day of the window", "统计窗口的最后一天")),
}

TEXT: dict[str, tuple[str, str]] = {
    # -- the fields, in words: the meanings of the field catalogue (FIELD_CATALOGUE, above) ----------------
    **{f"field_{name}": meaning for name, (_, _, meaning) in FIELD_CATALOGUE.items()},
    # -- workbooks for people (tables.py): the columns sheet --------------------------------------
    "xlsx_sheet": ("Sheet", "工作表"),
    "xlsx_header": ("Header", "表头"),
    "xlsx_field": ("Field", "字段名"),
    "xlsx_meaning": ("Meaning", "含义"),
    "xlsx_lower": ("{header}, lower bound", "{header}（下限）"),
    "xlsx_upper": ("{header}, upper bound", "{header}（上限）"),
    "xlsx_bound_meaning": ("{meaning}: a bound of its interval (where the expected value lies given the "
                           "uncertainty of the model's parameters, at the level of the standard's "
                           "[predictions] interval)",
                           "{meaning}：其区间的边界（在模型参数的不确定性下期望值所在的范围，"
                           "水平见标准的 [predictions] interval）"),
    # -- workbooks for people: sheet names (sheet_words) and the values xuanba writes (cell_words) -
    "xlsx_sheet_roster": ("roster", "名单"),
    "xlsx_sheet_selected": ("selected", "入选客户"),
    "xlsx_sheet_contributions": ("contributions", "各项得分"),
    "xlsx_sheet_diff": ("diff", "变动"),
    "xlsx_sheet_changes": ("changes", "变动"),
    "xlsx_sheet_migration": ("migration", "层级迁移"),
    "xlsx_sheet_facts": ("facts", "客户数据"),
    "xlsx_sheet_predictions": ("predictions", "预测"),
    "xlsx_sheet_columns": ("columns", "列说明"),
    "xlsx_sheet_note": ("note", "说明"),
    "xlsx_note": ("What this file holds", "本文件的内容"),
    "xlsx_sheet_table": ("table", "数据"),
    "xlsx_sheet_rejects": ("rejects", "拒收行"),
    "xlsx_sheet_cutoffs": ("cutoffs", "各截止日"),
    "xlsx_sheet_overall": ("overall", "总体"),
    "xlsx_sheet_fairness": ("fairness", "公平性"),
    "xlsx_value_not_selected": ("(not selected)", "（未入选）"),
    "xlsx_value_absent": ("(absent)", "（不在该轮）"),
    "xlsx_status_entered": ("entered", "新入选"),
    "xlsx_status_left": ("left", "落选"),
    "xlsx_status_rose": ("rose", "上升"),
    "xlsx_status_fell": ("fell", "下降"),
    "xlsx_status_same": ("same", "不变"),
    # -- rules in words (standard/describe.py) ----------------------------------------------------
    "expr_and": ("{a} and {b}", "{a}，且{b}"),
    "expr_or": ("{a} or {b}", "{a}，或{b}"),
    "expr_not": ("not ({x})", "并非（{x}）"),
    "expr_in": ("{x} is one of {items}", "{x}属于 {items}"),
    "expr_not_in": ("{x} is none of {items}", "{x}不属于 {items}"),
    "expr_isnull": ("{x} is unknown", "{x}未知"),
    "expr_notnull": ("{x} is known", "{x}已知"),
    "expr_coalesce": ("{x} (or {d} when unknown)", "{x}（未知时取 {d}）"),
    "expr_min": ("the smaller of {a} and {b}", "{a}与{b}中较小者"),
    "expr_max": ("the larger of {a} and {b}", "{a}与{b}中较大者"),
    "expr_round": ("{x} rounded", "{x}（四舍五入）"),
    "expr_if": ("{a} if {c}, else {b}", "若{c}则为{a}，否则为{b}"),
    "expr_true": ("yes", "是"),
    "expr_false": ("no", "否"),
    "list_sep": ("; ", "；"),
    "list_comma": (", ", "、"),
    "name_count": ("{name}: {n}", "{name}：{n}"),
    "name_said": ("{name}: {said}", "{name}：{said}"),
    "name_quoted": ("'{name}'", "“{name}”"),
    # -- the standard in plain words (standard/describe.py) ---------------------------------------
    "std_intro": ("Every customer is scored from 0 to 100 by the same standard \"{name}\" (version {version}), "
                  "a weighted sum of {n} criteria.",
                  "每位客户都按同一个标准“{name}”（第 {version} 版）评分，满分 100 分，由 {n} 项指标加权而成。"),
    "std_criterion": ("{title} ({what}) counts for {share}; {better}; {how}.", "“{title}”（{what}）占 {share}，{better}，{how}。"),
    "std_criterion_same": ("{title} counts for {share}; {better}; {how}.", "“{title}”占 {share}，{better}，{how}。"),
    "std_higher": ("higher is better", "越高越好"),
    "std_lower": ("lower is better", "越低越好"),
    "std_norm_percentile": ("ranked among all customers (percentile: the lowest value earns none of these points, "
                            "the highest all of them, equal values the same)",
                            "按全部客户中的百分位排名（最低值不得分，最高值得满分，相同数值得分相同）"),
    "std_norm_minmax": ("scaled from the lowest (0) to the highest (1) customer", "按最低（0）到最高（1）线性换算"),
    "std_norm_zscore": ("compared with the average (z-score, ±3 standard deviations spans 0 to 1)",
                        "与平均值比较（标准分，±3 个标准差对应 0 到 1）"),
    "std_norm_bands": ("by bands: {bands}", "按分档：{bands}"),
    "std_band_at_least": ("at least {th} gives {pts} points", "不低于 {th} 得 {pts} 分"),
    "std_band_at_most": ("at most {th} gives {pts} points", "不高于 {th} 得 {pts} 分"),
    "std_hidden_criteria": ("Internal criteria, not published, make up {share} of the score ({n} in all).",
                            "另有 {n} 项不公开的内部指标，占得分的 {share}。"),
    "std_gates": ("To be selected at all, a customer must meet every gate:", "入选的前提是满足以下全部门槛："),
    "std_gate": ("Gate “{title}”: {rule}.", "门槛“{title}”：{rule}。"),
    "std_hidden_gates": ("Internal gates, not published, apply to every customer as well ({n} in all).",
                         "另有 {n} 项不公开的内部门槛，同样适用于每位客户。"),
    "std_no_tiers": ("The standard has no tiers: customers are ranked, nobody is selected.",
                     "标准没有设置等级：客户只排名，不入选。"),
    "std_tier": ("Tier {name} ({title}): among customers who meet the gates and are not in a higher tier, {cond}.",
                 "等级 {name}“{title}”：尚未进入更高等级、满足门槛的客户中，{cond}。"),
    "std_tier_quota": ("the top {q} customers", "排名前 {q} 位"),
    "std_tier_share": ("the top {q}", "排名前 {q}"),
    "std_tier_min": ("a score of at least {min}", "得分不低于 {min}"),
    "std_tier_both": ("{a} with {b}", "{a}且{b}"),
    "std_max_accounts": ("At most {n} customers are selected (the team's capacity).",
                         "最多入选 {n} 位客户（团队的服务容量）。"),
    "std_budget": ("The selected accounts' {cost} adds up to at most {budget}; within it, the set with the "
                   "highest {objective} is chosen.",
                   "入选客户的{cost}合计不超过 {budget}，在此预算内选出{objective}最高的一组客户。"),
    "std_total_score": ("total score", "总分"),
    "std_capacity_named": ("Customers left out because of capacity alone are named as such.",
                           "因容量未能入选的客户会被单独标出。"),
    "std_tie_break": ("Equal scores are ordered by {keys}.", "分数相同时依次比较：{keys}。"),
    "std_then": (", then ", "，其次"),
    "std_desc": ("{field} (higher first)", "{field}（高者在前）"),
    "std_asc": ("{field} (lower first)", "{field}（低者在前）"),
    "std_quadrants": ("A value sub-score ({value}) and a potential sub-score ({potential}), split at {vt} and {pt}, "
                      "place every customer in a quadrant: {names}.",
                      "价值分（{value}）与潜力分（{potential}）分别以 {vt} 和 {pt} 为界，把客户分为四个象限：{names}。"),
    "std_none": ("none", "无"),
    "std_internal_field": ("an internal figure", "一项内部数据"),
    # -- the report and the statements (outputs/report.py, outputs/statements.py) ------------------
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
    "quadrant_reading_table": ("{largest} is the largest group ({largest_n}).", "{largest}人数最多（{largest_n}）。"),
    "quadrant_sampled": ("The chart shows a stratified sample of {shown} of {total} customers; "
                         "the table counts all of them.",
                         "图中按分组分层抽样显示 {total} 位中的 {shown} 位，表格统计全部客户。"),
    "quadrant": ("Quadrant", "象限"),
    "engine_not_stored": ("Not drawn for this round: it ran on {engine} and stored only its {sel} selected "
                          "customers of {n}.",
                          "本轮不绘制：本轮在 {engine} 上运行，只保存了 {n} 位客户中入选的 {sel} 位。"),
    "engine_not_stored_one": ("Not drawn for this round: it ran on {engine} and stored only its {sel} selected "
                              "customer of {n}.",
                              "本轮不绘制：本轮在 {engine} 上运行，只保存了 {n} 位客户中入选的 {sel} 位。"),
    "selection_only": ("Round {round_id} ran on {engine} and stored only its {sel} selected customers of {n}.",
                       "第 {round_id} 轮在 {engine} 上运行，只保存了 {n} 位客户中入选的 {sel} 位。"),
    "selection_only_one": ("Round {round_id} ran on {engine} and stored only its {sel} selected customer of {n}.",
                           "第 {round_id} 轮在 {engine} 上运行，只保存了 {n} 位客户中入选的 {sel} 位。"),
    "selection_only_out": ("Every customer's row is in {place} (written by --roster-out).",
                           "每位客户的名单行在 {place} 中（由 --roster-out 写出）。"),
    "selection_only_gone": ("The other {rest} customers' rows were written to {folder}, which no longer holds "
                            "{file}.",
                            "其余 {rest} 位客户的名单行曾写到 {folder}，但那里已没有 {file}。"),
    "selection_only_gone_one": ("The other customer's row was written to {folder}, which no longer holds {file}.",
                                "另一位客户的名单行曾写到 {folder}，但那里已没有 {file}。"),
    "selection_only_replaced": ("The other {rest} customers' rows were written to {folder}, but the {file} there "
                                "now holds another round's roster, not this round's.",
                                "其余 {rest} 位客户的名单行曾写到 {folder}，但那里的 {file} 现在是另一轮的名单，"
                                "不是本轮的。"),
    "selection_only_replaced_one": ("The other customer's row was written to {folder}, but the {file} there now "
                                    "holds another round's roster, not this round's.",
                                    "另一位客户的名单行曾写到 {folder}，但那里的 {file} 现在是另一轮的名单，"
                                    "不是本轮的。"),
    "selection_only_unreadable": ("The other {rest} customers' rows were written to {folder}, but the {file} "
                                  "there cannot be read as this round's roster ({why}).",
                                  "其余 {rest} 位客户的名单行曾写到 {folder}，但那里的 {file} 无法作为本轮名单读取"
                                  "（{why}）。"),
    "selection_only_unreadable_one": ("The other customer's row was written to {folder}, but the {file} there "
                                      "cannot be read as this round's roster ({why}).",
                                      "另一位客户的名单行曾写到 {folder}，但那里的 {file} 无法作为本轮名单读取"
                                      "（{why}）。"),
    "selection_only_lost": ("The other {rest} customers' rows were not kept (the round was run without "
                            "--roster-out).",
                            "其余 {rest} 位客户的名单行未保存（本轮运行时未用 --roster-out）。"),
    "selection_only_lost_one": ("The other customer's row was not kept (the round was run without --roster-out).",
                                "另一位客户的名单行未保存（本轮运行时未用 --roster-out）。"),
    "selection_only_file": ("The file holds those {sel} selected customers only, not the whole roster.",
                            "文件中只有这 {sel} 位入选客户，不是完整名单。"),
    "selection_only_file_one": ("The file holds that {sel} selected customer only, not the whole roster.",
                                "文件中只有这 {sel} 位入选客户，不是完整名单。"),
    "selection_only_rows": ("The customers this round did not select are not stored in the workspace: "
                            "this page cannot list them.",
                            "本轮未入选的客户没有保存在工作区中，本页无法列出。"),
    "accounts_selection_only": ("The names and owners beside these lists, and each owner's keep-warm count, are "
                                "those of the selected customers only.",
                                "这些列表旁的名称与负责人，以及各负责人的保温客户数，只含入选客户。"),
    "web_accounts_selection_only": ("The names and owners beside these lists, each owner's keep-warm count and the "
                                    "overdue promises listed are those of the selected customers only.",
                                    "这些列表旁的名称与负责人、各负责人的保温客户数以及所列的逾期承诺，只含入选客户。"),
    "accounts_selection_only_rep": ("This round ran on {engine} and stored only its selected customers: your "
                                    "keep-warm accounts, promises and receivables here are those of your selected "
                                    "customers only; your customers who were not selected are not listed.",
                                    "本轮在 {engine} 上运行，只保存了入选客户：这里您的保温客户、承诺与应收款只含您的入选"
                                    "客户；您未入选的客户不在列表中。"),
    "selection_only_scoped": ("This round ran on {engine} and stored only its selected customers: your "
                              "customers who were not selected are not listed.",
                              "本轮在 {engine} 上运行，只保存了入选客户：您未入选的客户不在列表中。"),
    "selection_only_rep_count": ("–: the round ran on an engine and stored only its selected customers, so how "
                                 "many of your customers it ranked is not known.",
                                 "–：该轮在引擎上运行，只保存了入选客户，因此无从得知它排了您的多少位客户。"),
    "share_not_selected": ("the latest round (round {round_id}) ranked {customer} {rank} of {n} but did not select "
                           "them; it ran on {engine} and stored only its {sel} selected customers",
                           "最近一轮（第 {round_id} 轮）把 {customer} 排在 {n} 位中的第 {rank} 名，但未入选；"
                           "该轮在 {engine} 上运行，只保存了入选的 {sel} 位客户"),
    "share_not_selected_one": ("the latest round (round {round_id}) ranked {customer} {rank} of {n} but did not "
                               "select them; it ran on {engine} and stored only its {sel} selected customer",
                               "最近一轮（第 {round_id} 轮）把 {customer} 排在 {n} 位中的第 {rank} 名，但未入选；"
                               "该轮在 {engine} 上运行，只保存了入选的 {sel} 位客户"),
    "share_selection_only": ("the latest round (round {round_id}) ran on {engine} and stored only its {sel} "
                             "selected customers of {n}; {customer} is not one of them",
                             "最近一轮（第 {round_id} 轮）在 {engine} 上运行，只保存了 {n} 位客户中入选的 "
                             "{sel} 位；{customer} 不在其中"),
    "share_selection_only_one": ("the latest round (round {round_id}) ran on {engine} and stored only its {sel} "
                                 "selected customer of {n}; {customer} is not that one",
                                 "最近一轮（第 {round_id} 轮）在 {engine} 上运行，只保存了 {n} 位客户中入选的 "
                                 "{sel} 位；{customer} 不在其中"),
    "customer_not_selected": ("Round {round_id} ranked {customer} {rank} of {n} but did not select them. It ran "
                              "on {engine} and stored only its {sel} selected customers, so it holds no page for "
                              "them.",
                              "第 {round_id} 轮把 {customer} 排在 {n} 位中的第 {rank} 名，但未入选。该轮在 {engine} "
                              "上运行，只保存了入选的 {sel} 位客户，因此没有该客户的页面。"),
    "customer_not_selected_one": ("Round {round_id} ranked {customer} {rank} of {n} but did not select them. It "
                                  "ran on {engine} and stored only its {sel} selected customer, so it holds no page "
                                  "for them.",
                                  "第 {round_id} 轮把 {customer} 排在 {n} 位中的第 {rank} 名，但未入选。该轮在 "
                                  "{engine} 上运行，只保存了入选的 {sel} 位客户，因此没有该客户的页面。"),
    "customer_not_stored": ("{customer} is not one of them, and their rank cannot be read here.",
                            "{customer} 不在其中，此处也无法读到其名次。"),
    "share_selection_only_fix": ("A shared page shows a customer the round stored: share a selected customer, "
                                 "or run the round in the workspace (xuanba round without --engine/--source) "
                                 "to share any customer.",
                                 "分享页只能显示本轮保存的客户：请分享一位入选客户，或在工作区中运行本轮"
                                 "（xuanba round，不带 --engine/--source）后再分享任意客户。"),
    "movers_engine": ("{entered} entered and {left} left the selection since round {prev}. Who else moved, "
                      "the rank correlation and the tier migration are not shown: {why}",
                      "与第 {prev} 轮相比，{entered} 位新入选，{left} 位落选。其他客户的名次变化、排名相关系数与"
                      "层级迁移从略：{why}"),
    "engine_why": ("a round run on {engine} stores only its selected customers.",
                   "在 {engine} 上运行的轮次只保存入选客户。"),
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
    "missing_accounts": ("the account analyses at its cutoff", "截止日的客户经营分析"),
    "model_check_failed": ("The model could not be checked on the year before the cutoff: {reason}",
                           "无法用截止日前一年的数据检验模型：{reason}"),
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
    "stmt_fallback": ("In this round no forecast could be trusted, so these criteria did not count and the "
                      "others weigh more: {criteria}.",
                      "本轮没有可信的预测，以下指标未计分，其余指标的权重相应提高：{criteria}。"),
    "trust_fallback": ("No customer-base model could be trusted on these data at this cutoff, so this round "
                       "did not use predictions: the criteria that need them ({criteria}) were left out and the "
                       "other criteria's weights scaled up. Reason: {reason}",
                       "截止日的数据上没有可信的客户模型，本轮未使用预测：需要预测的指标（{criteria}）被略去，"
                       "其余指标按比例加权。原因：{reason}"),
    "trust_chosen": ("The model was chosen on the data: {model}. {reason}.",
                     "模型按数据自动选择：{model}。{reason}。"),
    # why auto chose a model (raised in English and stored so; read back by choice_words)
    "choice_bic": ("{model} has the lowest BIC ({bic}); the window was too short for a holdout",
                   "{model} 的 BIC 最低（{bic}）；数据的时间跨度太短，留不出检验期"),
    "choice_holdout": ("{model} predicted the last {days} days best: customer-weighted error {error} purchases "
                       "by calibration frequency",
                       "{model} 对最近 {days} 天的预测最准：按校准期购买次数分组、以客户数加权的误差为 {error} 次购买"),
    "choice_as_well": ("{other} predicted as well as {best} ({other_error} against {best_error}, within {share}) "
                       "and, unlike it, does not count every one-time buyer as surely active",
                       "{other} 的预测与 {best} 相当（误差分别为 {other_error} 和 {best_error}，相差不超过 {share}），"
                       "而且不会像 {best} 那样把每位只买过一次的客户都算作一定仍活跃"),
    "choice_as_well_near": ("{other} predicted as well as {best} ({other_error} against {best_error}, at most "
                            "{gap} purchases apart) and, unlike it, does not count every one-time buyer as surely active",
                            "{other} 的预测与 {best} 相当（误差分别为 {other_error} 和 {best_error}，相差不超过 {gap} 次购买），"
                            "而且不会像 {best} 那样把每位只买过一次的客户都算作一定仍活跃"),
    "choice_none": ("no candidate can be trusted on these data ({why})",
                    "这些数据上没有可信的候选模型（{why}）"),
    "trust_untrusted": ("Caution: the {model} fit ran to a limit of what the model can describe, so its "
                        "predictions (such as the probability of still being active) should not be relied on.",
                        "注意：{model} 的拟合到了模型所能描述的极限，其预测（如仍活跃的概率）不可依赖。"),
    "trust_one_time": ("{n} customers bought only once; on average the model gives them a {mean} probability "
                       "of still being active, and counts {sure} of them as surely active.",
                       "{n} 位客户只购买过一次；模型给他们的平均仍活跃概率为 {mean}，其中 {sure} 位被视为一定仍活跃。"),
    "models_reading": ("Fitted on the {n} customers' histories at the cutoff; estimates with standard "
                       "errors and 95% intervals. {extra}",
                       "在截止日基于 {n} 位客户的购买历史拟合；估计值、标准误与 95% 区间。{extra}"),
    "models_excluded": ("Gamma-Gamma left out {k} customers (no repeat purchase or no positive spend); "
                        "they get the population mean spend.",
                        "Gamma-Gamma 未纳入 {k} 位客户（无复购或消费额非正），其消费额取总体均值。"),
    "models_corr": ("Correlation of frequency and spend: {r} (the spend model assumes none).",
                    "购买频次与消费额的相关系数：{r}（消费模型假设二者无关）。"),
    "models_warnings": ("The fits warned: {text}.", "拟合时的警告：{text}。"),
    # the prediction intervals' warnings a round stores (raised in English; read by warning_words)
    "interval_none": ("no {level} interval for {fields}: {model}'s fit cannot give one ({reason})",
                      "{fields}没有 {level} 区间：{model} 模型的拟合给不出区间（{reason}）"),
    "interval_no_covariance": ("its parameters have no covariance (the Hessian is singular, or the fit ran to an edge)",
                               "参数没有协方差：Hessian 矩阵奇异，或拟合落在了参数空间的边界上"),
    "interval_not_psd": ("its covariance is not positive semi-definite (the estimate is not a maximum)",
                         "协方差矩阵不是半正定的：估计值不是似然的极大值点"),
    # said by the rounds an engine ran before it computed intervals (no longer raised): kept so that
    # what those stored rounds say reads in either language
    "interval_on_engine": ("the predictions' intervals are not computed on an engine yet: this round stores none "
                           "(run it on the workspace for them)",
                           "在计算引擎上运行的轮次暂不计算预测区间，本轮未保存区间（需要区间时请在工作区上运行本轮）"),
    # why a fit cannot be trusted (a model's problems_) and the round's fallback, as the round's
    # warnings say them (raised in English from here; read back by warning_words)
    "trust_problem": ("{model} cannot be trusted: {problem}", "{model} 模型的拟合不可信：{problem}"),
    "problem_edge": ("{name} = {value} is at the edge of its range", "参数 {name} = {value} 落在了取值范围的边界上"),
    "problem_no_stderr": ("no standard errors (the Hessian is singular, or the fit ran to an edge)",
                          "没有标准误（Hessian 矩阵奇异，或拟合落在了参数空间的边界上）"),
    "problem_zero_stderr": ("the standard error of {name} is zero", "参数 {name} 的标准误为零"),
    "problem_not_maximum": ("the Hessian is not that of a maximum", "Hessian 矩阵表明估计值不是似然的极大值点"),
    "problem_ill_conditioned": ("the Hessian is ill-conditioned (condition number {number})",
                                "Hessian 矩阵病态（条件数 {number}）"),
    "problem_not_converged": ("the optimiser did not converge", "优化算法没有收敛"),
    "round_fallback": ("no model could give {fields} ({reason}), so the round scored without {left}",
                       "没有模型能给出{fields}（{reason}），本轮计分时略去了：{left}"),
    "models_intervals": ("The round stored each customer's {level} interval of {fields}: where the customer's "
                         "expected value lies given how precisely the parameters are estimated (shown on the "
                         "customer page and in the exported customer data).",
                         "本轮为每位客户保存了 {fields} 的 {level} 区间：在参数估计精度下客户期望值所在的范围"
                         "（见客户页面和导出的客户数据）。"),
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
    "private_line": ("Internal criteria, not published, make up {weight} of the score.",
                     "另有不公开的内部指标，占得分的 {weight}。"),
    # statements
    "stmt_title": ("Where you stand: {standard}", "您的选拔结果：{standard}"),
    "stmt_intro": ("We select the customers we serve most closely every round, by one standard applied to "
                   "everyone in the same way. This page states that standard and where you stand as of {cutoff}.",
                   "我们每一轮都按同一个标准、以同样的方式评估每一位客户，选出重点服务的客户。"
                   "本页公开这一标准，以及截至 {cutoff} 您的位置。"),
    "stmt_customer": ("Customer:", "客户："),
    "stmt_score": ("Your score", "您的得分"),
    "stmt_tier": ("Your tier", "您的层级"),
    "stmt_band": ("Your rank band", "您的排名区间"),
    "stmt_band_note": ("among {n} customers", "共 {n} 位客户"),
    "stmt_contrib_title": ("What makes up your score", "您的得分构成"),
    "stmt_criterion": ("Criterion", "指标"),
    "stmt_your_value": ("Your figure", "您的数值"),
    "stmt_interval": ("In brackets beside a forecast: the range in which your expected figure lies with {level} "
                      "probability, given how precisely the model is estimated; what actually happens can vary more.",
                      "预测值旁括号内为区间：考虑到模型估计的精度，您的期望数值以 {level} 的概率落在此范围内；"
                      "实际情况的波动可能更大。"),
    "stmt_points": ("Points", "得分"),
    "stmt_of_max": ("of {max}", "满分 {max}"),
    "stmt_private_points": ("Internal criteria (not published)", "内部指标（不公开）"),
    "stmt_next_title": ("What would move you up", "如何进入更高层级"),
    "stmt_next": ("You are {gap} points short of {tier}.", "距离{tier}还差 {gap} 分。"),
    "stmt_next_cheapest": ("The smallest step: raise {criterion} by about {change}.",
                           "最容易的一步：将{criterion}提高约 {change}。"),
    "stmt_next_cheapest_upto": ("The smallest step: raising {criterion} by {change} would be enough.",
                                "最容易的一步：将{criterion}提高 {change} 即可。"),
    "stmt_next_cheapest_lower": ("The smallest step: lower {criterion} by about {change}.",
                                 "最容易的一步：将{criterion}降低约 {change}。"),
    "stmt_next_cheapest_lower_upto": ("The smallest step: lowering {criterion} by {change} would be enough.",
                                      "最容易的一步：将{criterion}降低 {change} 即可。"),
    "stmt_next_tier": ("The next tier up is {tier}.", "上一层级为{tier}。"),
    "stmt_public_score": ("Public part of your score", "您得分中的公开部分"),
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
    # -- people in the outputs: names, owners, the selection list (outputs/people.py, report) ------
    "people_name": ("Name", "名称"),
    "people_id": ("Id", "编号"),
    "people_owner": ("Owner", "负责人"),
    "people_segment": ("Segment", "客群"),
    "people_region": ("Region", "地区"),
    "people_no_owner": ("(no owner)", "（未指定负责人）"),
    "sel_title": ("Who is selected", "入选名单"),
    "sel_reading": ("{n} customers are selected, listed by tier with their owner, score, rank, the change "
                    "since the previous round and the criteria that gave them the most points. Search by "
                    "name, id or owner, or pick an owner.",
                    "共 {n} 位客户入选，按层级列出负责人、得分、排名、与上一轮相比的名次变化，以及得分最多的指标。"
                    "可按名称、编号或负责人搜索，或选择一位负责人。"),
    "sel_capped": ("The list holds the {shown} highest-ranked of them; the export (`xuanba export`) has all.",
                   "名单列出排名最高的 {shown} 位；全部名单见导出文件（`xuanba export`）。"),
    "sel_tier_summary": ("{tier}: {n} customers", "{tier}：{n} 位客户"),
    "sel_tier_shown": ("{tier}: {n} customers ({shown} listed)", "{tier}：{n} 位客户（列出 {shown} 位）"),
    "sel_search": ("Search name, id or owner", "搜索名称、编号或负责人"),
    "sel_all_owners": ("All owners", "全部负责人"),
    "sel_prev": ("Previous", "上一页"),
    "sel_next": ("Next", "下一页"),
    "sel_page": ("Page {p} of {n} · {rows} customers", "第 {p} / {n} 页 · {rows} 位客户"),
    "sel_no_match": ("No customer matches.", "没有匹配的客户。"),
    "sel_noscript": ("The list is drawn by the page's script; with scripts off, use the export.",
                     "名单由页面脚本显示；如禁用脚本，请查看导出文件。"),
    "sel_score": ("Score", "得分"),
    "sel_change": ("Since last round", "较上一轮"),
    "sel_reason": ("Strongest criteria (points)", "得分最多的指标（分）"),
    "sel_new": ("new", "新进"),
    "sel_first": ("first round", "首轮"),
    "owner_title": ("By owner: selected and keep-warm accounts", "按负责人：入选与保温客户"),
    "owner_reading": ("Each owner's selected accounts by tier and dormant accounts worth a call; choose an "
                      "owner above the lists to see them by name.",
                      "每位负责人名下的入选客户（按层级）与值得联系的沉睡客户；在名单上方选择负责人即可按名称查看。"),
    "owner_selected": ("Selected", "入选"),
    "owner_warm": ("Keep warm", "保温"),
    "tiers_empty": ("{reading} Nobody is in {tiers} this round, so it is not drawn or offered as a next tier.",
                    "{reading}本轮{tiers}无人，图中不画出，也不作为上一层级提示。"),
    "whale_no_costs": ("No whale curve for this round: the data have no costs, so profit per customer is "
                       "unknown (add a cost column to the transactions, or interactions for cost-to-serve).",
                       "本轮没有利润鲸鱼曲线：数据中没有成本，无法得出每位客户的利润（可在交易中加入成本列，"
                       "或导入互动记录以计算服务成本）。"),
    "whale_not_positive": ("No whale curve for this round: total profit over the last 365 days is not positive.",
                           "本轮没有利润鲸鱼曲线：近 365 天的利润总额不为正。"),
    "stmt_dear": ("Dear {name},", "尊敬的{name}："),
    "stmt_owner": ("Your account manager: {owner}", "您的客户经理：{owner}"),
    # -- account work sections of the report (outputs/account_sections.py) ------------------------
    "acct_size_title": ("Profit by account size (last 12 months)", "按客户规模的利润（近 12 个月）"),
    "acct_size_reading": ("The top {top} of accounts bring {rev} of revenue and {profit} of profit after cost-to-serve; {vwp} big accounts bring volume at a margin under 5%.", "规模前 {top} 的客户贡献 {rev} 的收入、{profit} 的利润（扣除服务成本）；其中 {vwp} 个大客户量大而利润率低于 5%。"),
    "acct_band": ("Size band", "规模分段"),
    "acct_customers": ("Customers", "客户数"),
    "acct_revenue": ("Revenue", "收入"),
    "acct_cost_to_serve": ("Cost-to-serve", "服务成本"),
    "acct_profit": ("Profit", "利润"),
    "acct_margin": ("Margin", "利润率"),
    "acct_promises_title": ("Promises kept (due in the last 12 months)", "承诺兑现（近 12 个月到期）"),
    "acct_promises_reading": ("{kept} of {due} promises due were kept on time; {overdue} are overdue now.", "到期的 {due} 项承诺中按时兑现 {kept}；目前逾期 {overdue} 项。"),
    "acct_rep": ("Rep", "负责人"),
    "acct_due": ("Due", "到期"),
    "acct_on_time": ("On time", "按时"),
    "acct_late": ("Late", "延迟"),
    "acct_broken": ("Broken", "未兑现"),
    "acct_overdue": ("Overdue", "逾期"),
    "acct_reliability": ("Kept on time", "按时兑现率"),
    "acct_owners_title": ("Who holds the selected accounts", "入选客户由谁负责"),
    "acct_owners_reading": ("Concentration (Herfindahl) {hhi}; {single} selected accounts hang on one contact or one rep.", "集中度（赫芬达尔指数）{hhi}；{single} 个入选客户只靠一位联系人或一位销售维系。"),
    "acct_owner": ("Owner", "负责人"),
    "acct_accounts": ("Accounts", "客户数"),
    "acct_value": ("Revenue", "收入"),
    "acct_share": ("Share", "占比"),
    "acct_warm_title": ("Keep warm: dormant accounts worth a call", "保温名单：值得联系的沉睡客户"),
    "acct_warm_reading": ("{n} accounts bought nothing for 180 days and heard nothing from us for 90; the {shown} with the highest potential score this round:", "{n} 个客户 180 天未购买、90 天未联系；按本轮潜力得分最高的 {shown} 个："),
    "acct_customer": ("Customer", "客户"),
    "acct_potential": ("Potential score", "潜力得分"),
    "acct_days_purchase": ("Days since purchase", "距上次购买（天）"),
    "acct_days_contact": ("Days since contact", "距上次联系（天）"),
    "acct_ageing_title": ("Receivables ageing", "应收账款账龄"),
    "acct_ageing_reading": ("{rate} of the amount invoiced is collected; {overdue} is past due.", "已开票金额回款 {rate}；逾期未收 {overdue}。"),
    "acct_bucket": ("Days past due", "逾期天数"),
    "acct_open": ("Open amount", "未收金额"),
    "acct_current": ("Not yet due", "未到期"),
    "acct_personas_title": ("Segments", "客群画像"),
    "acct_personas_reading": ("One profile per segment: size, revenue and profit share, channels and regions.", "每个客群一份画像：规模、收入与利润占比、渠道与地区。"),
    "acct_segment": ("Segment", "客群"),
    "acct_revenue_share": ("Revenue share", "收入占比"),
    "acct_profit_share": ("Profit share", "利润占比"),
    "acct_channels": ("Channels", "渠道"),
    "acct_regions": ("Regions", "地区"),
    "acct_band_top": ("top {size}", "前 {size}"),
    "acct_band_next": ("next {size}{span}", "其次 {size}{span}"),
    "acct_band_rest": ("rest{span}", "其余{span}"),
    "acct_band_span": (" ({lo}-{hi}%)", "（{lo}–{hi}%）"),
    # -- resource sheets (accounts/resources.py) -------------------------------------------------
    "sheet_title": ("Resource sheet", "资源单"),
    "sheet_for": ("for", "客户"),
    "sheet_needs": ("Needs", "需求"),
    "sheet_budget": ("budget", "预算"),
    "sheet_name": ("Resource", "资源"),
    "sheet_channel": ("Channel", "渠道"),
    "sheet_price": ("Price", "价格"),
    "sheet_unit": ("Unit", "单位"),
    "sheet_cases": ("Cases", "案例"),
    "sheet_results": ("Results", "效果"),
    "sheet_why": ("Why", "理由"),
    "sheet_none": ("No resource matches.", "没有匹配的资源。"),
    "sheet_unstored_fix": ("To see their standing, run the round at cutoff {cutoff} again on {engine} with "
                           "--roster-out naming a new folder of its own (xuanba round ... --cutoff {cutoff} --roster-out "
                           "NEW_FOLDER), or in the workspace without --engine.",
                           "如需查看其位置，请在 {engine} 上以截止日 {cutoff} 重新运行该轮，并用 --roster-out 指定一个"
                           "专属的新文件夹（xuanba round ... --cutoff {cutoff} --roster-out 新文件夹），或不带 --engine "
                           "在工作区中运行。"),
    "sheet_not_in_round": ("{customer} is not in round {round_id}; the sheet shows no standing.",
                           "{customer} 不在第 {round_id} 轮中；本资源单不显示其位置。"),
    "sheet_standing": ("Standing in round {round_id} (cutoff {cutoff})", "第 {round_id} 轮（截止 {cutoff}）中的位置"),
    "sheet_tier": ("tier", "层级"),
    "sheet_none_tier": ("not selected", "未入选"),
    "sheet_score": ("score", "得分"),
    "sheet_rank": ("rank {rank:,} of {n:,}", "排名 {rank:,} / {n:,}"),
    "sheet_revenue_365d": ("revenue, last 365 days", "近 365 天收入"),
    "sheet_profit_365d": ("profit after cost-to-serve, last 365 days", "近 365 天利润（扣除服务成本）"),
    "sheet_p_alive": ("P(alive)", "仍活跃概率"),
    "sheet_clv_3y": ("predicted 3-year value", "预测 3 年价值"),
    "sheet_owner": ("Owner:", "负责人："),
    "sheet_segment": ("Segment:", "客群："),
    "sheet_region": ("Region:", "地区："),
    # -- xuanba demo (cli/demo.py) ---------------------------------------------------------------
    "demo_step_ingest": ("ingest the GBK sales log and side tables", "导入 GBK 销售流水与客户资料"),
    "demo_step_facts": ("the customer facts the round stored", "本轮保存的客户事实"),
    "demo_step_models": ("the customer-base models the round fitted", "本轮拟合的客户基础模型"),
    "demo_step_standard": ("write the starter standard", "生成入门选拔标准"),
    "demo_step_rounds": ("run two selection rounds and compare them", "运行两轮选拔并比较"),
    "demo_step_report": ("write the round report and statements", "生成本轮报告与客户说明"),
    "demo_step_accounts": ("account work: profit by size, keep-warm, sheet", "客户经营：按规模利润、保温名单、资源单"),
    "demo_file_workspace": ("workspace", "工作区"),
    "demo_file_facts": ("customer facts", "客户事实"),
    "demo_file_predictions": ("predictions", "预测"),
    "demo_file_model_purchases": ("purchase model", "购买模型"),
    "demo_file_model_spend": ("spend model", "消费模型"),
    "demo_file_standard": ("standard", "选拔标准"),
    "demo_file_roster": ("roster and diff", "名单与变化"),
    "demo_file_report": ("round report", "本轮报告"),
    "demo_file_statements": ("customer statements", "客户说明"),
    "demo_file_profit_bands": ("profit by size", "按规模利润"),
    "demo_done": ("done", "完成"),
    "demo_story_ingest": ("Ingested {rows} rows = {loaded} loaded + {merged} merged + {rejected} rejected "
                          "({returns} returns)",
                          "导入 {rows} 行 = 载入 {loaded} + 合并 {merged} + 拒收 {rejected}（其中退货 {returns} 行）"),
    "demo_story_facts": ("{n} customers, {repeat} with repeat purchases", "客户 {n} 位，其中 {repeat} 位有复购"),
    "demo_story_models": ("Models: {models}", "模型：{models}"),
    "demo_story_round": ("Round {round_id}: {selected} of {customers} customers selected; since the previous round "
                         "{entered} entered, {left} left, rank correlation {rho}",
                         "第 {round_id} 轮：{customers} 位客户中入选 {selected} 位；与上一轮相比新进 {entered}、退出 {left}，"
                         "排名相关 {rho}"),
    "demo_story_whale": ("Whale curve: the top {cpct}% of customers earn {ppct}% of profit after cost-to-serve "
                         "over the last 365 days",
                         "利润鲸鱼曲线：前 {cpct}% 的客户贡献 {ppct}% 的利润（近 365 天，扣除服务成本）"),
    # -- the standard's report card: backtest and what-if (rounds/backtest.py, rounds/whatif.py) ------
    "bt_method_standard": ("the standard", "本标准"),
    "bt_method_revenue": ("last-year revenue top-N", "近一年收入前 N 名"),
    "bt_method_rfm": ("RFM score top-N", "RFM 得分前 N 名"),
    "bt_method_clv": ("predicted value (CLV) top-N", "预测价值（CLV）前 N 名"),
    "bt_method_random": ("random selection", "随机选取"),
    "bt_worse": ("WORSE than {method}: the standard's selection brought {own:.1f}% of next-horizon revenue, "
                 "{method} {theirs:.1f}% (behind at {behind} of {n} cutoffs).",
                 "不如{method}：本标准入选客户带来下一期收入的 {own:.1f}%，{method}为 {theirs:.1f}%"
                 "（{n} 个截止日中有 {behind} 个落后）。"),
    "bt_better": ("Better than {method}: {own:.1f}% of next-horizon revenue against {theirs:.1f}% "
                  "(behind at {behind} of {n} cutoffs).",
                  "优于{method}：下一期收入的 {own:.1f}%，对方为 {theirs:.1f}%（{n} 个截止日中有 {behind} 个落后）。"),
    "bt_level": ("Level with {method}: {own:.1f}% of next-horizon revenue against {theirs:.1f}%, less than one "
                 "percentage point ahead (behind at {behind} of {n} cutoffs).",
                 "与{method}持平：下一期收入的 {own:.1f}%，对方为 {theirs:.1f}%，领先不足一个百分点"
                 "（{n} 个截止日中有 {behind} 个落后）。"),
    "bt_like_random": ("No better than {method}: {own:.1f}% of next-horizon revenue lies inside the 90% band "
                       "of random draws ({lo:.1f}%–{hi:.1f}%, mean {theirs:.1f}%).",
                       "与{method}无异：下一期收入的 {own:.1f}% 落在随机选取的 90% 区间内"
                       "（{lo:.1f}%–{hi:.1f}%，均值 {theirs:.1f}%）。"),
    "bt_title_overall": ("Backtest of {name} v{version}: {cutoffs} cutoffs, horizon {days} days",
                         "{name} v{version} 回测：{cutoffs} 个截止日，观察期 {days} 天"),
    "bt_title_cutoffs": ("Revenue captured in the next horizon, by cutoff and method",
                         "各截止日、各方法在下一期捕获的收入占比"),
    "bt_partial": ("* the {days}-day horizon runs past the data: measured on the days there are, "
                   "left out of the overall figures",
                   "* {days} 天的观察期超出数据范围：按已有天数计量，不计入总体数字"),
    "tune_better": ("Held-out cutoff {cutoff}: {before} captured before, {after} with the tuned weights.",
                    "保留验证的截止日 {cutoff}：调整前捕获 {before}，调整后 {after}。"),
    "tune_worse": ("WORSE on the held-out cutoff {cutoff}: {before} before, {after} with the tuned weights; "
                   "keep the current standard.",
                   "在保留验证的截止日 {cutoff} 上更差：调整前 {before}，调整后 {after}；请保留现行标准。"),
    "bt_band": ("random: 90% band", "随机选取：90% 区间"),
    "bt_captured": ("share of next-horizon revenue", "占下一期收入的比例"),
    "bt_band_line": ("random: 90% band of revenue captured {lo}–{hi}", "随机选取：捕获收入的 90% 区间 {lo}–{hi}"),
    "bt_stored": ("Stored as backtest {id}: the report of a round of this standard shows it.",
                  "已保存为第 {id} 次回测：本标准各轮的报告会显示它。"),
    "bt_report_title": ("How this standard has performed", "本标准的历史表现"),
    "bt_report_reading": ("Backtest {id} ({created}) of this very standard: at {cutoffs} past cutoffs from {first} "
                          "to {last}, the customers it would have selected, measured against the next {days} days, "
                          "beside simple ways of choosing as many.",
                          "本标准（同一版本）的第 {id} 次回测（{created}）：在 {first} 至 {last} 的 {cutoffs} 个历史截止日，"
                          "按本标准会入选的客户在随后 {days} 天的表现，并与选取同样人数的简单方法对比。"),
    "bt_report_none": ("No backtest of this standard is stored. To show here how it would have done at past cutoffs, "
                       "run: xuanba backtest STANDARD.toml --from YYYY-MM-DD --to YYYY-MM-DD --store",
                       "尚未保存本标准的回测。若要在此显示它在历史截止日的表现，请运行："
                       "xuanba backtest 标准.toml --from YYYY-MM-DD --to YYYY-MM-DD --store"),
    "bt_col_method": ("method", "方法"),
    "bt_col_revenue": ("revenue captured", "捕获收入"),
    "bt_col_profit": ("profit captured", "捕获利润"),
    "bt_col_lift": ("lift", "提升倍数"),
    "bt_col_precision": ("precision at capacity", "容量内命中率"),
    "bt_col_top_tier": ("top-tier hit rate", "最高层级命中率"),
    "bt_col_stability": ("stability", "稳定性"),
    "card_note": ("note: {text}", "注：{text}"),
    "card_written": ("{what} written to {path}.", "{what}已写入 {path}。"),
    "card_what_cutoffs": ("Per-cutoff table", "各截止日明细表"),
    "card_what_roster": ("Would-be roster", "假设名单"),
    "card_what_standard": ("Tuned standard", "调整后的标准"),
    "card_what_table": ("Table", "表格"),
    "card_tiers": ("Tiers", "层级"),
    "tune_weights_title": ("Weights of {name} (shares of the score)", "{name} 的权重（占得分的比例）"),
    "tune_bars_title": ("Tier bars of {name} (min_score)", "{name} 的层级门槛（min_score）"),
    "tune_bars_better": ("Held-out cutoff {cutoff}: beyond its share of customers ({share_before} -> {share_after} "
                         "selected) the selection captured {before} before, {after} with the tuned standard.",
                         "保留验证的截止日 {cutoff}：扣除所选客户占比（{share_before} -> {share_after}）后，"
                         "调整前多捕获 {before}，调整后 {after}。"),
    "tune_bars_worse": ("WORSE on the held-out cutoff {cutoff}: beyond its share of customers ({share_before} -> "
                        "{share_after} selected) the selection captured {before} before, {after} with the tuned "
                        "standard; keep the current standard.",
                        "在保留验证的截止日 {cutoff} 上更差：扣除所选客户占比（{share_before} -> {share_after}）后，"
                        "调整前多捕获 {before}，调整后 {after}；请保留现行标准。"),
    "tune_cutoffs_title": ("{objective} captured in the horizon after each cutoff", "各截止日之后观察期内捕获的{objective}"),
    "fair_title": ("Selection by {attribute} (value: {value})", "按 {attribute} 的入选情况（价值：{value}）"),
    "fair_verified": ("Verified: round {id}'s roster is reproduced from its stored standard and fields alone "
                      "(roster sha256 {sha}…).",
                      "已验证：第 {id} 轮的名单仅凭其保存的标准与字段即可重现（名单 sha256 {sha}…）。"),
    "fair_older_rules": ("Round {id}'s standard and fields match their hashes; its roster was scored by older "
                         "rules of xuanba and cannot be re-checked by this version (run the round again to check it).",
                         "第 {id} 轮的标准与字段和其哈希一致；其名单按 xuanba 较早的规则计分，本版本无法复核"
                         "（重新运行这一轮即可复核）。"),
    "fair_not_verified": ("NOT VERIFIED: round {id}'s stored {what} no longer match(es) its hash.",
                          "未通过验证：第 {id} 轮保存的 {what} 与其哈希不再一致。"),
    "wi_title": ("What if {name} v{version} had been applied in round {round_id} ({cutoff})",
                 "若在第 {round_id} 轮（{cutoff}）采用 {name} v{version}"),
    "wi_movers": ("Customers whose tier moves most, and the criteria that moved them",
                  "层级变动最大的客户及推动变动的指标"),
    # -- the notebook: display of a round, a diff, a model, an ingest report (xuanba._html) ------------
    # -- notebook display: column headers of its tables (see _html.table) and ingest's reasons ---
    "nb_more": ("… {n} more", "……另有 {n} 行"),
    "nb_col_estimate": ("estimate", "估计值"),
    "nb_col_stderr": ("std. error", "标准误"),
    "nb_col_lower_95": ("95% lower", "95% 下限"),
    "nb_col_upper_95": ("95% upper", "95% 上限"),
    "nb_col_source": ("source", "数据源"),
    "nb_col_source_status": ("status", "状态"),
    "nb_col_input_rows": ("rows read", "读取行数"),
    "nb_col_loaded": ("loaded", "已载入"),
    "nb_col_merged": ("merged", "已合并"),
    "nb_col_rejected": ("rejected", "拒收"),
    "nb_col_returns": ("returns", "退货"),
    "nb_col_reason": ("reason", "原因"),
    "nb_col_rows": ("rows", "行数"),
    "nb_col_loglik": ("log-likelihood", "对数似然"),
    "nb_col_aic": ("AIC", "AIC 信息准则"),
    "nb_col_bic": ("BIC", "BIC 信息准则"),
    "nb_col_n_customers": ("customers", "客户数"),
    "nb_col_n_distinct": ("distinct histories", "不同购买记录数"),
    "nb_col_rmse": ("holdout RMSE", "验证期 RMSE"),
    "nb_col_error": ("error", "错误"),
    "nb_col_model": ("model", "模型"),
    "nb_col_customers": ("customers", "客户数"),
    "nb_col_actual": ("actual", "实际"),
    "nb_col_n_params": ("parameters", "参数个数"),
    "nb_col_problems": ("problems", "问题"),
    "nb_col_mae": ("holdout MAE", "验证期 MAE"),
    "nb_col_correlation": ("correlation", "相关系数"),
    "nb_col_top_decile_capture": ("top-decile capture", "预测前 10% 客户的实际购买占比"),
    "nb_col_group_mae": ("MAE by frequency group", "按频次分组的 MAE"),
    "nb_col_predicted_total": ("predicted total", "预测总数"),
    "nb_col_actual_total": ("actual total", "实际总数"),
    "nb_col_usable": ("usable", "可用"),
    "nb_status_loaded": ("loaded", "已载入"),
    "nb_status_already_loaded": ("already loaded", "此前已导入"),
    "nb_status_no_table": ("no table", "没有表格"),
    "reject_totals_row": ("totals row", "合计行"),
    "reject_missing_customer_id": ("missing customer id", "缺少客户编号"),
    "reject_missing_date": ("missing date", "缺少日期"),
    "reject_unparseable_date": ("unparseable date", "日期无法识别"),
    "reject_date_before_1900": ("date before 1900", "日期早于 1900 年"),
    "reject_date_after_2100": ("date after 2100", "日期晚于 2100 年"),
    "reject_missing_amount": ("missing amount", "缺少金额"),
    "reject_non_numeric_amount": ("non-numeric amount", "金额不是数字"),
    "reject_exact_duplicate_line": ("exact duplicate line", "完全重复的行"),
    "reject_unreadable_return_flag": ("unreadable return flag", "退货标志无法识别"),
    "reject_excel_error_cell": ("Excel error cell", "Excel 错误值单元格"),
    "reject_missing_required_value": ("missing required value", "缺少必填值"),
    # a side table's cell its column's type cannot read (xuanba.ingest.sidetables, "not a {type}")
    "reject_not_a_date": ("not a date", "不是日期"),
    "reject_not_a_number": ("not a number", "不是数字"),
    "reject_not_a_bool": ("not a bool", "不是是/否值"),
    "nb_round": ("Round {id}: {name}", "第 {id} 轮：{name}"),
    "nb_round_unstored": ("Round (not stored): {name}", "未保存的一轮：{name}"),
    "nb_cutoff": ("cutoff", "截止日"),
    "nb_standard": ("standard", "标准"),
    "nb_customers": ("customers", "客户数"),
    "nb_selected": ("selected", "入选"),
    "nb_tiers": ("tiers", "各层级人数"),
    "nb_predictions": ("predictions", "预测"),
    "nb_top": ("Selected customers, by rank", "入选客户（按排名）"),
    "nb_diff": ("Round {a} → round {b}", "第 {a} 轮 → 第 {b} 轮"),
    "nb_rank_correlation": ("rank correlation", "排名相关系数"),
    "nb_changes": ("customers who entered, left, moved", "新入选、落选、升降的客户"),
    "nb_migration": ("Tier migration (rows: round {a}; columns: round {b})",
                     "层级迁移（行：第 {a} 轮；列：第 {b} 轮）"),
    "nb_not_fitted": ("not fitted yet", "尚未拟合"),
    "nb_evaluation": ("Models on a calibration / holdout split", "模型在校准期 / 验证期上的比较"),
    "nb_calibration_end": ("calibration end", "校准期结束"),
    "nb_holdout_end": ("holdout end", "验证期结束"),
    "nb_best": ("best (lowest holdout RMSE)", "最佳（验证期 RMSE 最低）"),
    "nb_params": ("Estimates", "参数估计"),
    "nb_parameter": ("parameter", "参数"),
    "nb_criterion": ("criterion", "指标"),
    "nb_label": ("label", "名称"),
    "nb_field": ("field", "字段"),
    "nb_ingest": ("Ingest into {ws} ({kind})", "导入到 {ws}（{kind}）"),
    "nb_input_rows": ("rows read", "读取行数"),
    "nb_loaded": ("loaded", "已载入"),
    "nb_merged": ("merged into another line of the same order", "并入同一订单的其他行"),
    "nb_rejected": ("rejected", "拒收"),
    "nb_returns": ("returns", "退货"),
    "nb_sources": ("Sources", "数据源"),
    "nb_reasons": ("Rejected rows by reason", "拒收原因"),
    "nb_version": ("version", "版本"),
    # -- the notebook: plots of a model and of a round (xuanba.outputs.plots) --------------------------
    "unit_day": ("day", "天"),
    "unit_week": ("week", "周"),
    "unit_month": ("month", "月"),
    "plot_model": ("model ({model})", "模型（{model}）"),
    "plot_period_title": ("Customers by number of repeat purchases: model and actual",
                          "按重复购买次数统计的客户数：模型与实际"),
    "plot_period_x": ("Repeat purchases", "重复购买次数"),
    "plot_period_y": ("Customers", "客户数"),
    "plot_cumulative_title": ("Cumulative repeat purchases", "累计重复购买"),
    "plot_incremental_title": ("Repeat purchases per {unit}", "每{unit}的重复购买"),
    "plot_time_x": ("End of the {unit}", "每{unit}的最后一天"),
    "plot_purchases_y": ("Repeat purchases", "重复购买次数"),
    "plot_calibration_end": ("calibration end", "校准期结束"),
    "plot_alive_title": ("Probability alive by frequency and recency (T = {T:g} {unit}s)",
                         "按频次与最近购买时间的存活概率（T = {T:g} {unit}）"),
    "plot_expected_title": ("Expected purchases in the next {t:g} {unit}s, by frequency and recency",
                            "未来 {t:g} {unit}的预期购买次数（按频次与最近购买时间）"),
    "plot_recency_x": ("Recency: time from the first to the last purchase ({unit}s)",
                       "最近购买时间：首次到最近一次购买的间隔（{unit}）"),
    "plot_frequency_y": ("Frequency: repeat purchases", "频次：重复购买次数"),
    "plot_history_title": ("Customer {id}: purchases and probability alive", "客户 {id}：购买记录与存活概率"),
    "plot_history_x": ("Date", "日期"),
    "plot_p_alive": ("P(alive)", "存活概率"),
    "plot_purchase": ("purchase", "购买"),
    # -- the command line: help (cli/*.py, chosen when the app is built) and messages ------------
    "help_app": ("xuanba (\"selection\"): select customers by one open standard, every round. Messages and help "
                 "follow --lang (zh or en), else the locale (LC_ALL, LC_MESSAGES, LANG).",
                 "xuanba（选拔）：每一轮都按同一个公开的标准选拔客户。提示与帮助的语言由 --lang（zh 或 en）"
                 "决定，未指定时取系统语言环境（LC_ALL、LC_MESSAGES、LANG）。"),
    "help_app_lang": ("Language of messages, help and outputs: zh or en (default: the locale).",
                      "提示、帮助与输出的语言：zh 或 en（默认取系统语言环境）。"),
    "help_app_version": ("Print the version and exit.", "显示版本号后退出。"),
    "help_version": ("Print the xuanba version.", "显示 xuanba 的版本号。"),
    "help_ingest": ("Load sales logs into the workspace; every input row is loaded, merged or rejected "
                    "with a reason.\n\nLines of one order (same order number, customer and day) are merged "
                    "into one transaction; returns and cancellations are kept with a negative amount. "
                    "Loading the same file twice changes nothing.",
                    "把销售流水导入工作区；每一行输入都会被载入、合并或附理由拒收。\n\n同一订单（订单号、客户、"
                    "日期相同）的多行合并为一笔交易；退货与取消以负金额保留。同一文件导入两次不会重复。"),
    "help_facts": ("Compute one row of facts per customer and store them in the workspace table `facts`.",
                   "按客户计算事实数据（每位客户一行），并存入工作区的 `facts` 表。"),
    "help_fit": ("Fit a customer-base model; print parameters with standard errors, LL, AIC and BIC.",
                 "拟合客户基础模型；显示参数及其标准误、对数似然、AIC 与 BIC。"),
    "help_predict": ("Write per-customer predictions (P(alive), expected purchases, churn score, spend, value).",
                     "输出每位客户的预测（仍活跃概率、预计购买次数、流失分、消费额、价值）。"),
    "help_evaluate": ("Fit models on a calibration period, predict the holdout and say which fits best.",
                      "在校准期拟合模型，预测验证期，并指出哪个模型最合适。"),
    "help_standard": ("Write, check and read the selection standard (a TOML file).",
                      "编写、检查和阅读选拔标准（TOML 文件）。"),
    "help_standard_init": ("Write a documented starter standard (value × potential) to edit.",
                           "生成一份带说明的入门标准（价值 × 潜力），供修改。"),
    "help_standard_check": ("Validate a standard: every problem with its line and a fix; exit code 2 when any.",
                            "检查标准：列出每个问题、所在行和修改办法；有问题时退出码为 2。"),
    "help_standard_show": ("Print the standard in plain words, one sentence per line.",
                           "用通俗的话逐句说明标准。"),
    "help_backtest": ("Apply a standard at past cutoffs and measure what the selected brought afterwards, "
                      "against revenue, RFM, predicted-value and random selections of the same size.",
                      "在过去的各个截止日应用标准，衡量入选客户此后带来的价值，并与同样人数的按收入、RFM、"
                      "预测价值和随机选拔比较。"),
    "help_whatif": ("Show the roster a changed standard would give at a stored round's cutoff: who enters, "
                    "leaves, rises and falls (nothing refitted, nothing stored).",
                    "在已保存一轮的截止日，看改动后的标准会给出怎样的名单：谁新入选、落选、上升、下降"
                    "（不重新拟合，不保存）。"),
    "help_standard_tune": ("Learn the weights of a standard's criteria (with --bars also its tier bars) from past "
                           "cutoffs, within a limit; write a new version with what changed and the backtest before "
                           "and after.",
                           "从过去的截止日学习标准各项指标的权重（加 --bars 时也学习层级门槛，限幅内）；"
                           "写出新版本，说明改动及改动前后的回测。"),
    "help_fairness": ("Selection rate and value captured by owner, region or segment beside their share of "
                      "customers and value; the proof that the roster follows from the standard.",
                      "按负责人、地区或细分市场列出入选率和所占价值，并与其客户数和价值占比对照；"
                      "附名单确由标准得出的核验。"),
    "help_round": ("Rank every customer by the standard at a cutoff; store the roster as a new round.",
                   "在截止日按标准给每位客户排名；把名单保存为新的一轮。"),
    "help_rounds": ("List the stored rounds, or re-open one (and export its roster with --out).",
                    "列出已保存的各轮，或重新打开其中一轮（用 --out 导出名单）。"),
    "help_diff": ("Who entered and left the selection, who rose and fell, the tier migration matrix.",
                  "谁新入选、谁落选，谁上升、谁下降，以及层级迁移矩阵。"),
    "help_report": ("Write the round's report: one HTML file that works offline (charts, tables, the standard).",
                    "生成本轮报告：一个可离线打开的 HTML 文件（图表、表格、标准）。"),
    "help_statements": ("Write each customer's statement: the standard in plain words and where they stand.",
                        "为每位客户生成说明：通俗的标准说明及其所处位置。"),
    "help_export": ("Export a round's tables to CSV (UTF-8 with BOM), Excel or Parquet.",
                    "把一轮的表格导出为 CSV（带 BOM 的 UTF-8）、Excel 或 Parquet。"),
    "help_accounts": ("Account work: profit by size, promises, keep-warm, owners, receivables, personas.",
                      "客户经营：按规模利润、承诺、保温名单、负责人、应收账款、客群画像。"),
    "help_accounts_profit": ("Profit per customer, the whale curve's peak and the size-band table.",
                             "每位客户的利润、鲸鱼曲线峰值与按规模分段的表格。"),
    "help_accounts_promises": ("Promise states at a date, reliability per rep/account, and the overdue list.",
                               "某日的承诺状态、按负责人或客户的兑现率，以及逾期清单。"),
    "help_accounts_keep_warm": ("Dormant, uncontacted accounts worth a call now, by potential.",
                                "值得现在联系的沉睡且久未联系的客户，按潜力排序。"),
    "help_accounts_owners": ("Share of revenue held by each owner (with Herfindahl index) and single-threaded accounts.",
                             "各负责人掌握的收入占比（含赫芬达尔指数）及只靠一条线维系的客户。"),
    "help_accounts_receivables": ("Invoiced vs collected, ageing buckets, DSO and payment punctuality.",
                                  "开票与回款、账龄分段、应收账款周转天数与按时付款率。"),
    "help_accounts_personas": ("A persona profile per segment: size, revenue/profit share, channel, region, products.",
                               "每个客群一份画像：规模、收入与利润占比、渠道、地区、产品。"),
    "help_accounts_fields": ("The per-customer account fields a selection standard can use.",
                             "选拔标准可用的每位客户的经营字段。"),
    "help_accounts_view": ("One account: figures, contacts with roles and KPIs, promises, latest interactions.",
                           "单个客户：数字、联系人及其角色与考核指标、承诺、最近的互动。"),
    "help_accounts_demo": ("Write deterministic demo side tables for the customers of a transactions file.",
                           "为交易文件中的客户生成固定的演示附表。"),
    "help_sheet": ("A one-page resource sheet to lead a conversation with one customer, opened by the "
                   "customer's standing in the latest stored round (tier, score, rank, its figures).",
                   "与一位客户沟通用的一页资源单，开头是该客户在最近一轮中的位置（层级、得分、排名及其数字）。"),
    "help_demo": ("Run the whole job on the bundled demo data and write the outputs to a folder.",
                  "用自带的演示数据跑完整个流程，并把输出写入一个文件夹。"),
    "help_upgrade": ("Upgrade the workspace's layout to this xuanba's schema version (one transaction).\n\n"
                     "Any command that writes does this too; the reading commands open the workspace "
                     "read-only and ask for it once.",
                     "把工作区的结构升级到当前 xuanba 的版本（一个事务内完成）。\n\n任何写入的命令也会这样做；"
                     "只读的命令以只读方式打开工作区，并提示升级一次。"),
    # the names of summary rows and columns (keys of the --json output, in words)
    "cli_key_cutoff": ("cutoff", "截止日"),
    # (the column heads of `standard check` and `backtest`)
    "cli_key_field": ("field", "字段"),
    "cli_key_normalise": ("normalise", "归一化方式"),
    "cli_key_share": ("share", "权重占比"),
    "cli_key_group": ("group", "所属维度"),
    "cli_key_private": ("private", "内部"),
    "cli_key_rule": ("rule", "规则"),
    "cli_key_min_score": ("min score", "最低得分"),
    "cli_key_quota": ("quota", "名额"),
    "cli_key_method": ("method", "方法"),
    "cli_key_selected": ("selected", "入选数"),
    "cli_key_revenue_captured": ("revenue", "收入捕获"),
    "cli_key_profit_captured": ("profit", "利润捕获"),
    "cli_key_lift": ("lift", "提升倍数"),
    "cli_key_precision": ("precision", "命中率"),
    "cli_key_top_tier_hit": ("top tier", "最高层命中"),
    "cli_key_retention_selected": ("kept (sel.)", "留存（入选）"),
    "cli_key_retention_rest": ("kept (rest)", "留存（其余）"),
    "cli_key_stability": ("stable", "稳定性"),
    "cli_key_standard_name": ("standard", "标准"),
    "cli_key_standard_version": ("standard version", "标准版本"),
    "cli_key_n_customers": ("customers", "客户数"),
    "cli_key_n_selected": ("selected", "入选"),
    "cli_key_n_gated_out": ("stopped by a gate", "未过门槛"),
    "cli_key_n_left_out_by_capacity": ("left out by capacity", "因容量未入选"),
    "cli_key_capacity_method": ("capacity method", "容量分配方法"),
    "cli_key_predictions": ("predictions", "预测"),
    "cli_key_round_id": ("round", "轮次"),
    "cli_key_name": ("name", "名称"),
    # -- fit, predict and evaluate on the console (cli/models.py, cli/evaluate.py) ---------------------
    "cli_fit_title": ("{model} fitted on {facts}{unit}", "{model}，拟合于 {facts}{unit}"),
    "cli_fit_unit": (", {unit}s", "，单位：{unit}"),
    "cli_fit_parameter": ("parameter", "参数"),
    "cli_fit_estimate": ("estimate", "估计值"),
    "cli_fit_stderr": ("std. error", "标准误"),
    "cli_fit_low": ("95% low", "95% 下限"),
    "cli_fit_high": ("95% high", "95% 上限"),
    "cli_fit_loglik": ("log-likelihood", "对数似然"),
    "cli_fit_customers": ("customers", "客户数"),
    "cli_fit_distinct": ("distinct histories", "不同购买史数"),
    "cli_fit_left_out": ("left out: {reason}", "未计入：{reason}"),
    "cli_fit_corr": ("corr(frequency, spend)", "频次与客单价的相关系数"),
    "cli_warning": ("warning:", "注意："),
    "cli_fit_untrusted": ("This fit cannot be trusted", "此拟合结果不可信"),
    "cli_fit_untrusted_why": (" (its predictions would be arbitrary):", "（其预测没有依据）："),
    "cli_fit_untrusted_fix": ("Fit on more customers or a longer period, try --penalizer 0.01, or another model "
                              "(`xuanba evaluate` compares them).",
                              "请用更多客户或更长的时间段拟合，试试 --penalizer 0.01，或换一个模型"
                              "（`xuanba evaluate` 可比较各模型）。"),
    "cli_fit_saved": ("Model saved to {path}", "模型已保存到 {path}"),
    "cli_pred_title": ("{model} predictions over {horizon} {unit}s for {n} customers",
                       "{model} 对 {n} 位客户未来 {horizon} 个{unit}的预测"),
    "cli_pred_column": ("column", "列"),
    "cli_pred_mean": ("mean", "平均值"),
    "cli_written_to": ("Written to {path}", "已写入 {path}"),
    "cli_eval_title": ("Models fitted to {cal}, holdout to {hold} ({unit}s)",
                       "模型拟合至 {cal}，验证期至 {hold}（单位：{unit}）"),
    "cli_eval_model": ("model", "模型"),
    "cli_eval_pred": ("pred.", "预测"),
    "cli_eval_failed": ("{model} (failed)", "{model}（失败）"),
    "cli_eval_caption": ("{n} holdout purchases (pred.: predicted); green: best in the column; top10%: share made "
                         "by the predicted top decile; grp err: error by calibration frequency, weighted by "
                         "customers; *: the fit cannot be trusted",
                         "验证期共 {n} 次购买（预测：模型预测值）；绿色：该列最佳；top10%：预测前 10% 的客户所占的"
                         "购买份额；grp err：按校准期频次分组的误差，按客户数加权；*：拟合结果不可信"),
    "cli_eval_not_fitted": ("{model} could not be fitted:", "{model} 无法拟合："),
    "cli_eval_untrusted": ("{model} cannot be trusted:", "{model} 不可信："),
    "cli_eval_none": ("No model could be fitted on this calibration period.", "在此校准期内没有模型能够拟合。"),
    "cli_eval_by_frequency": ("Mean holdout purchases by calibration frequency", "按校准期频次的验证期平均购买次数"),
    "cli_eval_frequency": ("frequency", "频次"),
    "cli_eval_customers": ("customers", "客户数"),
    "cli_eval_actual": ("actual", "实际"),
    "cli_eval_cumulative": ("Cumulative repeat purchases by {unit}", "按{unit}累计的重复购买次数"),
    "cli_eval_period": ("period", "期"),
    "cli_eval_ends": ("ends", "截止"),
    "cli_eval_best": ("Best model: [bold]{model}[/] ({kind} {rmse}; AIC {aic})",
                      "最佳模型：[bold]{model}[/]（{kind} {rmse}；AIC {aic}）"),
    "cli_eval_best_kind": ("lowest holdout RMSE", "验证期 RMSE 最低"),
    "cli_eval_best_kind_untrusted": ("lowest holdout RMSE, but no model can be trusted",
                                     "验证期 RMSE 最低，但没有可信的模型"),
    "cli_eval_written": ("Per-customer predictions written to {path}", "逐客户预测已写入 {path}"),
    "cli_key_selected_a": ("selected in A", "前一轮入选"),
    "cli_key_selected_b": ("selected in B", "后一轮入选"),
    "cli_key_kept": ("kept", "保留"),
    "cli_key_entered": ("entered", "新入选"),
    "cli_key_left": ("left", "落选"),
    "cli_key_rose": ("moved up", "上升"),
    "cli_key_fell": ("moved down", "下降"),
    "cli_key_same": ("same rank", "排名不变"),
    "cli_key_selection_overlap": ("selection overlap", "入选重合度"),
    "cli_key_rank_correlation": ("rank correlation", "排名相关系数"),
    "cli_key_same_standard": ("same standard", "同一标准"),
    "cli_key_time_unit": ("time unit", "时间单位"),
    "cli_key_customers": ("customers", "客户数"),
    "cli_key_repeat_buyers": ("repeat buyers", "复购客户"),
    "cli_key_repeat_purchases": ("repeat purchases", "复购次数"),
    "cli_key_revenue_total": ("revenue to date", "累计收入"),
    "cli_key_out": ("written to", "写入"),
    "cli_key_workspace_table": ("workspace table", "工作区表"),
    "cli_key_holdout_end": ("holdout end", "验证期结束"),
    "cli_key_holdout_purchases": ("holdout purchases", "验证期购买次数"),
    "cli_key_value_share": ("value share ({measure})", "价值占比（{measure}）"),
    "cli_key_whale_peak": ("whale peak", "鲸鱼曲线峰值"),
    "cli_key_whale_value": ("top {cpct}% earn {ppct}% of {measure}", "前 {cpct}% 的客户贡献 {ppct}% 的{measure}"),
    "cli_key_standard_sha256": ("standard sha256", "标准 sha256"),
    "cli_key_data_sha256": ("data sha256", "数据 sha256"),
    "cli_key_tier": ("tier", "层级"),
    "cli_key_label": ("label", "名称"),
    "cli_key_quadrant": ("quadrant", "象限"),
    "cli_key_rank": ("rank", "排名"),
    "cli_key_customer_id": ("customer", "客户编号"),
    "cli_key_score": ("score", "得分"),
    "cli_key_gates_failed": ("gates failed", "未过门槛"),
    "cli_key_every": ("every", "周期"),
    "cli_key_source": ("source", "来源"),
    "cli_key_input": ("input", "输入行"),
    "cli_key_loaded": ("loaded", "载入"),
    "cli_key_merged": ("merged", "合并"),
    "cli_key_rejected": ("rejected", "拒收"),
    "cli_key_returns": ("returns", "退货"),
    "cli_key_total": ("total", "合计"),
    "cli_key_reason": ("reason", "原因"),
    "cli_key_rows": ("rows", "行数"),
    "cli_ingest_title": ("Ingest into {ws} ({kind})", "导入 {ws}（{kind}）"),
    "cli_ingest_already_loaded": (" (already loaded)", "（已导入过）"),
    "cli_ingest_no_table": (" (no table)", "（无数据表）"),
    "cli_ingest_balance": ("input = loaded + merged + rejected: {input} = {loaded} + {merged} + {rejected}",
                           "输入 = 载入 + 合并 + 拒收：{input} = {loaded} + {merged} + {rejected}"),
    "cli_ingest_rejects_table": ("the workspace table 'rejects' (export with --rejects-out FILE)",
                                 "工作区的 rejects 表（可用 --rejects-out 文件 导出）"),
    "cli_ingest_rejects_in": ("Rejected rows are in {where}.", "拒收的行在{where}。"),
    "cli_ingest_left_empty": ("{source}: values not understood and left empty ({left})",
                              "{source}：无法识别、留空的值（{left}）"),
    # xuanba accounts ... --transactions/--customers FILE: the rows left out as ingest rejects them
    "cli_acct_rows_rejected": ("{file}: {n} row(s) left out, as `xuanba ingest` rejects them ({reasons}); "
                               "the first: row {row}, column {column}, value {value}",
                               "{file}：{n} 行未使用，与 `xuanba ingest` 拒收的相同（{reasons}）；"
                               "第一处：第 {row} 行，{column} 列，值 {value}"),
    "cli_ingest_dash_zero": ("{source}: numbers written as a lone dash (Excel's accounting zero) read as 0 ({counts}); "
                             "if a dash there means 'none', clear those cells before loading",
                             "{source}：写成单个短横（Excel 会计格式的零）的数字按 0 读取（{counts}）；"
                             "若短横表示“无”，请在导入前清空这些单元格"),
    "cli_ingest_time_zone": ("Times written with a zone are read in the workspace's time zone, {tz}.",
                             "带时区的时间按工作区的时区 {tz} 读取。"),
    "cli_ingest_already_before": ("{n} source(s) already loaded before; nothing changed for them.",
                                  "{n} 个数据源此前已导入，未作改动。"),
    "cli_ingest_reasons": ("Rejected rows by reason", "按原因统计的拒收行"),
    "opt_workspace": ("The workspace file (one DuckDB file).", "工作区文件（一个 DuckDB 文件）。"),
    "opt_json": ("Print a machine-readable JSON summary on stdout (strict JSON: null, never NaN).",
                 "在标准输出打印机器可读的 JSON 摘要（严格 JSON：缺失值为 null，绝无 NaN）。"),
    "opt_lang": ("Language: zh or en (default: xuanba --lang, else the locale).",
                 "语言：zh 或 en（默认取 xuanba --lang，否则取系统语言环境）。"),
    "opt_unit": ("Time unit of recency and T: day, week or month.", "recency 与 T 的时间单位：day、week 或 month。"),
    # -- the command line: help of each command's options (cli/*.py; put in the app's language
    #    when a command is declared, see cli._common.handle_errors) ----------------------------------
    "opt_period": ("Deprecated spelling of --unit.", "--unit 的旧写法，已弃用。"),
    "opt_acct_transactions": ("Canonical transactions (.csv/.parquet/.xlsx); default: the workspace's.",
                              "标准格式的交易表（.csv/.parquet/.xlsx）；默认用工作区里的。"),
    "opt_acct_out": ("Write the result table to .csv, .xlsx or .parquet.", "把结果表写入 .csv、.xlsx 或 .parquet 文件。"),
    "opt_acct_as_of": ("As-of date YYYY-MM-DD, all of that day included (default: last transaction or today).",
                       "统计截至日期 YYYY-MM-DD，含当天全天（默认：最后一笔交易的日期，没有交易则为今天）。"),
    "opt_profit_interactions": ("Interactions table (cost-to-serve).", "互动记录表（用于计算服务成本）。"),
    "opt_profit_bands": ("Revenue size bands, cumulative % of customers.", "按收入划分的规模档，以客户累计百分比表示。"),
    "opt_profit_min_margin": ("Top-band accounts below this margin are 'volume without profit'.",
                              "最高档中毛利率低于此值的客户，记为“有量无利”。"),
    "opt_profit_start": ("Window start YYYY-MM-DD (that day included).", "统计区间起始日 YYYY-MM-DD（含当天）。"),
    "opt_profit_end": ("Window end YYYY-MM-DD (all of that day included).", "统计区间截止日 YYYY-MM-DD（含当天全天）。"),
    "opt_promises_commitments": ("Commitments table; default: the workspace's.", "承诺记录表；默认用工作区里的。"),
    "opt_promises_by": ("Reliability per 'rep' or 'customer_id'.", "按销售（rep）或按客户（customer_id）统计兑现率。"),
    "opt_promises_window_days": ("Reliability over promises due in this many days up to --as-of, that day included.",
                                 "只统计截至 --as-of（含当天）这么多天内到期的承诺。"),
    "opt_interactions": ("Interactions table.", "互动记录表。"),
    "opt_keep_warm_commitments": ("Commitments (open ones mean current business).", "承诺记录表（有未结承诺即视为仍有业务往来）。"),
    "opt_keep_warm_potential": ("Table with customer_id and a potential column (e.g. clv_3y); default: the potential "
                                "score of the latest stored round whose cutoff is the --as-of day (the last "
                                "transaction's day without it), else the predicted 3-year value of BG/NBD + "
                                "Gamma-Gamma fitted on the transactions.",
                                "含 customer_id 和潜力列（如 clv_3y）的表；默认取截止日为 --as-of 当天（未指定时为最后一笔"
                                "交易的日期）的最近一轮的潜力分，没有这样的轮次则用交易数据拟合 BG/NBD + Gamma-Gamma，"
                                "取预测的三年价值。"),
    "opt_keep_warm_potential_column": ("Column of --potential to rank by.", "按 --potential 表中的哪一列排序。"),
    "opt_keep_warm_no_purchase_days": ("No purchase for more than this many days.", "超过这么多天没有购买。"),
    "opt_keep_warm_no_contact_days": ("No contact for more than this many days.", "超过这么多天没有联系。"),
    "opt_owners_customers": ("Customers table with owner; default: the workspace's.",
                             "含负责人（owner）列的客户表；默认用工作区里的。"),
    "opt_contacts": ("Contacts table.", "联系人表。"),
    "opt_owners_interactions": ("Interactions (reps touching each account).", "互动记录表（看哪些销售接触过每个客户）。"),
    "opt_owners_selected": ("Only these accounts (a table with customer_id, e.g. a round's selection).",
                            "只看这些客户（含 customer_id 的表，例如某一轮的入选名单）。"),
    "opt_receivables_dso_days": ("Sales period of days sales outstanding.", "计算应收账款周转天数（DSO）所用的销售期（天）。"),
    "opt_personas_customers": ("Customers table with segment/region.", "含客群（segment）/地区（region）列的客户表。"),
    "opt_personas_interactions": ("Interactions (adds profit share).", "互动记录表（加上利润占比）。"),
    "opt_personas_bands": ("Size bands used when customers have no segment.", "客户没有客群信息时使用的规模档。"),
    "opt_commitments": ("Commitments table.", "承诺记录表。"),
    "opt_customer": ("The customer id.", "客户编号。"),
    "opt_view_customers": ("Customers table.", "客户表。"),
    "opt_view_contacts": ("Contacts table (roles and KPIs).", "联系人表（角色与考核指标）。"),
    "opt_demo_folder": ("Folder to write the demo side tables to.", "写入示例附表的文件夹。"),
    "opt_demo_seed": ("Random seed.", "随机数种子。"),
    "opt_sheet_resources": ("Resources catalog; default: the workspace's.", "资源目录；默认用工作区里的。"),
    "opt_sheet_needs": ("Needs table (customer_id, tag, budget); default: the workspace's.",
                        "需求表（customer_id、tag、budget）；默认用工作区里的。"),
    "opt_sheet_customers": ("Customers table (for the name).", "客户表（用于显示客户名称）。"),
    "opt_sheet_top": ("Show this many resources.", "显示多少项资源。"),
    "opt_sheet_out": ("Write the sheet to .md or .html.", "把客户资料页写入 .md 或 .html 文件。"),
    "opt_sheet_round_id": ("Show the customer's standing in this stored round (an id, latest or previous).",
                           "显示该客户在这一已保存轮次中的位置（轮次编号、latest 或 previous）。"),
    "opt_sheet_owner": ("Make the sheet as this rep sees their accounts (the owner column's name): the round's "
                        "standing only of their own customers, without file paths.",
                        "按该销售（负责人列中的名字）的视角生成资源单：只显示其本人客户在该轮中的位置，不含文件路径。"),
    "opt_standard_file": ("The standard (.toml).", "选拔标准文件（.toml）。"),
    "opt_from": ("First date of the cutoffs (YYYY-MM-DD).", "第一个截止日（YYYY-MM-DD）。"),
    "opt_to": ("Last date of the cutoffs (YYYY-MM-DD).", "最后一个截止日（YYYY-MM-DD）。"),
    "opt_every": ("A cutoff every month, quarter or year end.", "截止日的间隔：每月末（month）、每季末（quarter）或每年末（year）。"),
    "opt_backtest_horizon": ("What happened how long after each cutoff: 365d, 26w, 1y.",
                             "考察每个截止日之后多长时间内的结果：365d、26w、1y。"),
    "opt_backtest_baseline": ("Baselines to compare (revenue, rfm, clv, random); repeat the option. Default: all.",
                              "用作对照的基准方法（revenue、rfm、clv、random）；可重复此选项。默认：全部。"),
    "opt_backtest_draws": ("Random selections per cutoff for the random baseline.", "随机基准在每个截止日随机抽选的次数。"),
    "opt_backtest_seed": ("Seed of the random selections.", "随机抽选的种子。"),
    "opt_backtest_fields_file": ("A table of extra per-customer fields, with customer_id (only what was known at the "
                                 "cutoffs).", "每位客户的附加字段表，含 customer_id（只能包含截止日时已知的信息）。"),
    "opt_backtest_out": ("Write the per-cutoff table to .csv, .xlsx or .parquet.", "把各截止日的结果表写入 .csv、.xlsx 或 .parquet 文件。"),
    "opt_backtest_chart": ("Write the chart of value captured over time, by method, to a self-contained .html file.",
                           "把各方法随时间捕获价值的图表写入一个独立的 .html 文件。"),
    "opt_backtest_store": ("Keep the result in the workspace: the report of a round of this standard then shows how "
                           "it has performed.", "把结果保存在工作区：之后按此标准生成的轮次报告会展示它过去的表现。"),
    "opt_whatif_against": ("The stored round to compare with: an id, latest or previous.",
                           "用来对比的已保存轮次：轮次编号、latest 或 previous。"),
    "opt_whatif_show": ("How many of the customers whose tier moves most to list.", "列出层级变动最大的客户多少位。"),
    "opt_whatif_horizon": ("Also the share of the revenue after the round's cutoff (e.g. 365d) each selection brought, "
                           "when the data go on.", "若数据延续到截止日之后，同时给出每种选法在截止日后一段时间（如 365d）"
                           "内带来的收入占比。"),
    "opt_whatif_fields_file": ("A table of extra per-customer fields, with customer_id, for criteria the round did not "
                               "store.", "每位客户的附加字段表，含 customer_id，供该轮未保存的指标使用。"),
    "opt_whatif_out": ("Write the would-be roster to .csv, .xlsx or .parquet.", "把假设情形下的名单写入 .csv、.xlsx 或 .parquet 文件。"),
    "opt_tune_horizon": ("Value captured over how long after each cutoff: 365d, 26w, 1y.",
                         "统计每个截止日之后多长时间内捕获的价值：365d、26w、1y。"),
    "opt_tune_objective": ("What to capture: revenue or profit.", "优化目标：收入（revenue）或利润（profit）。"),
    "opt_tune_max_change": ("How far each criterion's share of the score may move (0-1).", "每项指标在总分中的占比最多可调整多少（0–1）。"),
    "opt_tune_bars": ("Also learn the tiers' min_score bars (moved together), where the selection captured the most value beyond its share of customers.",
                      "同时学习各层级的 min_score 门槛（一起平移）：取入选客户带来的价值超出其客户占比最多之处。"),
    "opt_tune_max_bar_change": ("How far the bars may move, in score points.", "门槛最多可移动多少分。"),
    "opt_demo_serve": ("Then serve the demo workspace on 127.0.0.1 and open it in the browser (Ctrl+C stops it).",
                       "随后在 127.0.0.1 上提供演示工作区的网页，并在浏览器中打开（按 Ctrl+C 停止）。"),
    "opt_demo_port": ("Port for --serve.", "--serve 使用的端口。"),
    "opt_demo_browser": ("With --serve, open the browser (never without a display).",
                         "配合 --serve 打开浏览器（没有显示器时不打开）。"),
    "opt_round_engine": ("Where the round runs: duckdb (the workspace, or --source) or spark (--source).",
                         "本轮在哪里计算：duckdb（工作区，或 --source）或 spark（需 --source）。"),
    "opt_round_source": ("The transactions to rank from, instead of the workspace's: a Parquet file or folder (any path or URL the engine reads), or a Spark catalog table.",
                         "用于排名的交易数据（代替工作区中的）：Parquet 文件或文件夹（引擎能读的任何路径或网址），或 Spark 目录中的表。"),
    "opt_round_map": ("field=column for a --source header the aliases miss or one of two that look like one field, "
                      "as xuanba ingest --map, e.g. is_return=ReturnFlag; repeatable.",
                      "字段=列名，用于 --source 中自动识别不了的表头，或两列都像同一字段时指明用哪一列（同 xuanba ingest --map），"
                      "例如 is_return=退货标志；可重复。"),
    "opt_round_spark_conf": ("A Spark setting key=value (the settings spark-submit takes); repeat the option.",
                             "一项 Spark 设置 key=value（与 spark-submit 的设置相同）；可重复此选项。"),
    "opt_round_roster_out": ("With --source: where every customer's roster row and fields go: a folder for "
                             "roster.parquet and fields.parquet; on Spark also a URL (s3a://, hdfs://, abfss://, "
                             "file://) or a catalog table table:db.name (the fields in db.name_fields). A replay "
                             "writes each cutoff apart: FOLDER/2025-03-31/ or URL/2025-03-31/, or the tables "
                             "db.name_20250331 and db.name_20250331_fields.",
                             "配合 --source：全部客户的名单行和字段写到哪里：存放 roster.parquet 和 fields.parquet 的文件夹；"
                             "在 Spark 上也可以是网址（s3a://、hdfs://、abfss://、file://）或目录中的表 table:库名.表名"
                             "（字段写入 库名.表名_fields）。回放时每个截止日分开写：文件夹/2025-03-31/ 或 网址/2025-03-31/，"
                             "或表 库名.表名_20250331 与 库名.表名_20250331_fields。"),
    "opt_round_roster_replace": ("With --roster-out table:db.name: replace the tables if they exist (the earlier ones "
                                 "stay until the new ones are complete).",
                                 "配合 --roster-out table:库名.表名：表已存在时替换（新表写完之前旧表保持不变）。"),
    "opt_tune_fields_file": ("A table of extra per-customer fields, with customer_id.", "每位客户的附加字段表，含 customer_id。"),
    "opt_tune_out": ("Write the tuned standard here (.toml).", "调整后的标准写到这里（.toml）。"),
    "opt_fairness_round_id": ("The round: an id, latest or previous.", "轮次：轮次编号、latest 或 previous。"),
    "opt_fairness_by": ("Attribute to compare (owner, region, segment …); repeat the option. Default: those the round "
                        "has.", "用来比较的属性（owner、region、segment 等）；可重复此选项。默认：该轮有的全部属性。"),
    "opt_fairness_value": ("The stored field that measures value.", "衡量价值所用的已保存字段。"),
    "opt_fairness_out": ("Write the table to .csv, .xlsx or .parquet.", "把结果表写入 .csv、.xlsx 或 .parquet 文件。"),
    "opt_demo_out": ("Folder for the demo workspace and outputs.", "存放示例工作区及其输出的文件夹。"),
    "opt_evaluate_calibration_end": ("Last day of the calibration period (YYYY-MM-DD).", "校准期的最后一天（YYYY-MM-DD）。"),
    "opt_evaluate_holdout_end": ("Last day of the holdout period (YYYY-MM-DD).", "验证期的最后一天（YYYY-MM-DD）。"),
    "opt_evaluate_models": ("Comma-separated models: bgnbd, pareto-nbd, mbgnbd.", "要比较的模型，以逗号分隔：bgnbd、pareto-nbd、mbgnbd。"),
    "opt_evaluate_out": ("Write per-customer holdout predictions to .parquet, .csv or .xlsx.",
                         "把每位客户在验证期的预测写入 .parquet、.csv 或 .xlsx 文件。"),
    "opt_evaluate_penalizer": ("L2 penalty on every model's parameters (0 = maximum likelihood).",
                               "对各模型参数施加的 L2 惩罚（0 即最大似然估计）。"),
    "opt_facts_cutoff": ("Facts as of this date (YYYY-MM-DD); default the last transaction's date.",
                         "按此日期计算事实数据（YYYY-MM-DD）；默认为最后一笔交易的日期。"),
    "opt_facts_merge": ("Merge purchases per calendar 'day' (published convention) or per 'period'.",
                        "同一天（day，文献通行做法）或同一时间单位（period）内的购买合并为一次。"),
    "opt_facts_calibration_end": ("End of the calibration period; with --holdout-end adds holdout actuals.",
                                  "校准期的结束日；与 --holdout-end 同用时，加上验证期的实际数据。"),
    "opt_facts_holdout_end": ("End of the holdout period (YYYY-MM-DD).", "验证期的结束日（YYYY-MM-DD）。"),
    "opt_facts_out": ("Write the facts to .parquet, .csv (UTF-8 BOM) or .xlsx.", "把事实数据写入 .parquet、.csv（UTF-8 BOM）或 .xlsx 文件。"),
    "opt_ingest_paths": ("CSV/TXT/TSV (UTF-8, UTF-8 BOM, UTF-16, GBK), .xlsx or .parquet files, or folders of them.",
                         "CSV/TXT/TSV 文件（UTF-8、UTF-8 BOM、UTF-16、GBK 编码）、.xlsx 或 .parquet 文件，或存放这些文件的文件夹。"),
    "opt_ingest_map": ("field=column for a header the aliases miss, e.g. customer_id=CustNo; repeatable.",
                       "字段=列名，用于自动识别不了的表头，例如 customer_id=客户编号；可重复。"),
    "opt_ingest_kind": ("transactions, or a side table: customers, interactions, commitments, resources, needs, contacts.",
                        "表的种类：transactions（交易），或附表 customers、interactions、commitments、resources、needs、contacts。"),
    "opt_ingest_columns": ("The file has no header: its column names in order, comma separated, e.g. "
                           "master_id,customer_id,ts,quantity,amount.",
                           "文件没有表头时，按顺序给出列名，以逗号分隔，例如 master_id,customer_id,ts,quantity,amount。"),
    "opt_ingest_date_format": ("strptime format tried first, e.g. '%d.%m.%Y' (ISO, 2026/6/30, 20260630 and Chinese "
                               "dates are read anyway).", "优先尝试的 strptime 日期格式，例如 '%d.%m.%Y'（ISO、2026/6/30、20260630、"
                               "2026年6月30日 等写法无需指定也能识别）。"),
    "opt_ingest_cutoff": ("Refuse rows dated after this day (YYYY-MM-DD).", "拒收日期晚于这一天的行（YYYY-MM-DD）。"),
    "opt_ingest_rejects_out": ("Also write the rejected rows to this .csv/.xlsx/.parquet file.",
                               "同时把拒收的行写入这个 .csv/.xlsx/.parquet 文件。"),
    "opt_ingest_sheet": ("Sheet of an .xlsx to read: its name, its number from 1, or all (each sheet a source). "
                         "Default: the first.", "要读取的 .xlsx 工作表：表名、从 1 起的序号，或 all（每张表作为一个数据源）。"
                         "默认：第一张。"),
    "opt_ingest_header_row": ("Line (sheet row) from 1 that holds the column names, when the title rows above it fool "
                              "the detection.", "表头所在的行号（从 1 起）；表头上方的标题行干扰了自动识别时使用。"),
    "opt_ingest_decimal": ("Decimal mark of the numbers: . or , (1.234,50). Default: decided per column; an ambiguous "
                           "column is refused.", "数字的小数点符号：. 或 ,（如 1.234,50）。默认逐列判断；无法判断的列会被拒收。"),
    "opt_ingest_tz": ("The workspace's time zone, e.g. Asia/Shanghai: set at the first ingest (default the machine's), "
                      "fixed after. Times written with a zone are converted to it.",
                      "工作区的时区，例如 Asia/Shanghai：首次导入时设定（默认取本机时区），之后不再改变。带时区的时间会换算到该时区。"),
    "opt_fit_model": ("bgnbd, pareto-nbd, mbgnbd, bgbb, sbg or gamma-gamma.", "模型：bgnbd、pareto-nbd、mbgnbd、bgbb、sbg 或 gamma-gamma。"),
    "opt_fit_facts": ("Facts file (.parquet, .csv, .xlsx); default the workspace table 'facts'.",
                      "事实数据文件（.parquet、.csv、.xlsx）；默认用工作区的 facts 表。"),
    "opt_fit_save": ("Save the fitted model to this JSON file.", "把拟合好的模型保存到这个 JSON 文件。"),
    "opt_fit_penalizer": ("L2 penalty on the parameters (0 = maximum likelihood).", "对参数施加的 L2 惩罚（0 即最大似然估计）。"),
    "opt_predict_model": ("A model saved by `xuanba fit --save`.", "由 `xuanba fit --save` 保存的模型。"),
    "opt_predict_out": ("Write predictions to .parquet, .csv or .xlsx.", "把预测结果写入 .parquet、.csv 或 .xlsx 文件。"),
    "opt_predict_facts": ("Facts file; default the workspace table 'facts'.", "事实数据文件；默认用工作区的 facts 表。"),
    "opt_predict_horizon": ("Forecast horizon, in --unit.", "预测期长度，单位由 --unit 指定。"),
    "opt_predict_unit": ("Time unit of --horizon: day, week or month.", "--horizon 的时间单位：day、week 或 month。"),
    "opt_predict_interval": ("Also write lower/upper bounds with this coverage, e.g. 0.9.", "同时写出此覆盖率的上下限，例如 0.9。"),
    "opt_predict_spend_model": ("A saved gamma-gamma model: adds the discounted customer value 'clv'.",
                                "已保存的 gamma-gamma 模型：加上折现后的客户价值 clv。"),
    "opt_predict_value_years": ("Horizon of the customer value, 1 to 5 years.", "客户价值的计算年限，1 到 5 年。"),
    "opt_predict_discount_rate": ("Yearly discount rate of the customer value.", "计算客户价值所用的年折现率。"),
    "opt_predict_margin": ("Share of spend that is margin, applied after the spend model.", "消费额中毛利所占比例，在消费额模型之后应用。"),
    "opt_report_round": ("The round id, or 'latest'.", "轮次编号，或 latest（最近一轮）。"),
    "opt_report_out": ("The HTML file; default report-ROUND-LANG.html.", "HTML 文件；默认为 report-轮次-语言.html。"),
    "opt_statements_out": ("Folder that receives one page per customer.", "存放客户说明的文件夹，每位客户一页。"),
    "opt_statements_customers": ("Customer ids (comma-separated or repeated); default everyone.",
                                 "客户编号（以逗号分隔，或重复此选项）；默认为全部客户。"),
    "opt_statements_pdf": ("Also print each page to PDF (needs Chromium).", "同时把每一页打印成 PDF（需要 Chromium）。"),
    "opt_export_out": ("A .xlsx workbook (a sheet per table); a .csv/.parquet file (with several tables, NAME.csv "
                       "gives NAME-roster.csv, NAME-diff.csv, ...); or a folder that gets one file per table (with "
                       "--format). Files are replaced whole.",
                       "一个 .xlsx 工作簿（每张表一个工作表）；一个 .csv/.parquet 文件（有多张表时，NAME.csv 会生成 "
                       "NAME-roster.csv、NAME-diff.csv 等）；或一个文件夹，每张表一个文件（配合 --format）。文件整体替换。"),
    "opt_export_tables": ("Comma-separated: roster, contributions, diff, migration, facts.",
                          "要导出的表，以逗号分隔：roster、contributions、diff、migration、facts。"),
    "opt_export_against": ("Round the diff compares with; default the previous one.", "diff 所对比的轮次；默认为上一轮。"),
    "opt_export_fmt": ("csv, xlsx or parquet; default from the --out suffix.", "文件格式：csv、xlsx 或 parquet；默认取自 --out 的扩展名。"),
    "opt_round_out": ("Write the roster to .csv, .xlsx or .parquet.", "把名单写入 .csv、.xlsx 或 .parquet 文件。"),
    "opt_round_cutoff": ("Facts and predictions as of this date (YYYY-MM-DD).", "按此日期计算事实数据与预测（YYYY-MM-DD）。"),
    "opt_round_name": ("A label for the round.", "本轮的名称。"),
    "opt_round_fields_file": ("A table (.csv/.xlsx/.parquet) of extra per-customer fields, with customer_id.",
                              "每位客户的附加字段表（.csv/.xlsx/.parquet），含 customer_id。"),
    "opt_round_store": ("Append the round to the workspace.", "把本轮追加保存到工作区。"),
    "opt_round_every": ("Replay: one round per month, quarter or year end between --from and --to.",
                        "回放：在 --from 与 --to 之间，每月末、每季末或每年末各跑一轮。"),
    "opt_round_from": ("Replay: first date (YYYY-MM-DD).", "回放：起始日期（YYYY-MM-DD）。"),
    "opt_round_to": ("Replay: last date (YYYY-MM-DD).", "回放：结束日期（YYYY-MM-DD）。"),
    "opt_top": ("How many of the best-ranked customers to show.", "显示排名最前的多少位客户。"),
    "opt_rounds_round_id": ("Open this round (an id, latest or previous); omit to list.",
                            "打开这一轮（轮次编号、latest 或 previous）；不填则列出所有轮次。"),
    "opt_diff_round_a": ("The earlier round (id, or previous).", "较早的一轮（轮次编号，或 previous）。"),
    "opt_diff_round_b": ("The later round (id, or latest).", "较晚的一轮（轮次编号，或 latest）。"),
    "opt_diff_show": ("How many entered / left customers to list.", "新入选与落选的客户各列出多少位。"),
    "opt_standard_init_out": ("Where to write the starter standard.", "入门标准写到哪里。"),
    "opt_standard_init_force": ("Overwrite the file if it exists.", "文件已存在时覆盖。"),
    "opt_standard_check_field": ("An extra field a round will be given (repeatable); with it, any other name that is "
                                 "not built in is a problem. Without it, such names are listed as the extra fields "
                                 "a round needs.",
                                 "轮次将会另给的字段名（可重复）；写出后，其余非内置名称都算问题。不写时，这些名称"
                                 "会被列为轮次所需的另给字段。"),
    "opt_standard_check_fields": ("Also list every field a standard can use.", "同时列出标准可以使用的全部字段。"),
    "opt_standard_show_lang": ("en or zh (default: the standard's own).", "en 或 zh（默认取标准自身的语言）。"),
    "opt_standard_show_public": ("Leave out private criteria and gates (what customers see).",
                                 "不显示内部指标与门槛（即客户看到的内容）。"),
    "opt_serve_host": ("Address to listen on; beyond localhost a user must exist.", "监听地址；监听本机以外的地址时，必须已有用户。"),
    "opt_serve_port": ("Port to listen on.", "监听端口。"),
    "opt_serve_behind_tls": ("Mark cookies Secure (a TLS proxy in front).", "把 Cookie 标为 Secure（前面有 TLS 代理时使用）。"),
    "opt_serve_idle_minutes": ("Minutes of inactivity that end a session.", "闲置多少分钟后会话结束。"),
    "opt_serve_base_url": ("The public address, for customer links.", "对外公开的地址，用于生成客户链接。"),
    "opt_users_add_name": ("The user's log-in name.", "用户的登录名。"),
    "opt_users_add_role": ("admin, manager or rep.", "角色：admin（管理员）、manager（经理）或 rep（销售）。"),
    "opt_users_add_owner": ("A rep's name as the data's owner column writes it.", "销售的名字，须与数据中负责人（owner）列的写法一致。"),
    "opt_password_stdin": ("Read the password from stdin.", "从标准输入读取密码。"),
    "opt_users_name": ("The user.", "用户名。"),
    "opt_share_days": ("Days the link stays valid (1 to 366).", "链接的有效天数（1 到 366）。"),
    "opt_share_base_url": ("The address the app is reached at.", "访问本应用所用的地址。"),
    "opt_share_revoke": ("Revoke the link with this id.", "撤销此编号的链接。"),
    "opt_share_list": ("List the links.", "列出所有链接。"),
    # -- errors a user meets (xuanba.errors and where they are raised; the CLI shows them in its
    #    language, str(err) stays English) ---------------------------------------------------------
    "err_at": ("{where}: {message}", "{where}：{message}"),
    "err_sep": (", ", "，"),
    "err_row": ("row {row}", "第 {row} 行"),
    "err_line": ("line {line}", "第 {line} 行"),
    "err_column": ("column '{column}'", "“{column}”列"),
    "err_count": (" ({count} in all)", "（共 {count} 处）"),
    "err_first": ("first: {shown}", "前几项：{shown}"),
    "err_fix": ("fix: {fix}", "解决办法：{fix}"),
    "err_at_char": ("{message} (at character {col})", "{message}（第 {col} 个字符处）"),
    "err_not_a_date": ("{what} {value} is not a date", "{what} {value} 不是有效的日期"),
    "err_not_a_date_fix": ("Write {what} as YYYY-MM-DD, e.g. 2026-06-30.", "请把 {what} 写成 YYYY-MM-DD，例如 2026-06-30。"),
    "err_date_range": ("{what} {day} is outside the dates xuanba works with", "{what} {day} 超出了 xuanba 能处理的日期范围"),
    "err_date_range_fix": ("Give a date from {first} to {last}.", "请给出 {first} 至 {last} 之间的日期。"),
    "err_not_a_unit": ("{what} {unit} is not a time unit", "{what} {unit} 不是时间单位"),
    "err_not_a_unit_fix": ("Use day, week or month: the unit recency and T are measured in.",
                           "请用 day、week 或 month：即衡量 recency 与 T 的时间单位。"),
    "err_lang": ("language {lang} is not available", "没有 {lang} 这种语言"),
    "err_lang_fix": ("Use --lang en or --lang zh.", "请用 --lang en 或 --lang zh。"),
    "err_unit_period": ("--unit {unit} and --period {period} disagree", "--unit {unit} 与 --period {period} 不一致"),
    "err_unit_period_fix": ("Give the time unit once, as --unit.", "时间单位只需给一次，写作 --unit。"),
    "err_replay_needs": ("a replay needs --every, --from and --to together", "回放需要同时给出 --every、--from 和 --to"),
    "err_replay_needs_fix": ("e.g. --every quarter --from 2025-01-01 --to 2026-06-30.",
                             "例如 --every quarter --from 2025-01-01 --to 2026-06-30。"),
    "err_round_needs_cutoff": ("a round needs --cutoff", "运行一轮需要 --cutoff"),
    "err_round_needs_cutoff_fix": ("Pass --cutoff YYYY-MM-DD (or --every/--from/--to to replay).",
                                   "请给出 --cutoff YYYY-MM-DD（或用 --every/--from/--to 回放）。"),
    "err_merge": ("--merge {merge} is not known", "--merge {merge} 不是可用的选项"),
    "err_merge_fix": ("Use day or period.", "请用 day 或 period。"),
    # round on an engine (xuanba.cli.rounds, xuanba.rounds.spark)
    "err_engine_unknown": ("--engine {engine} is not an engine xuanba runs on", "--engine {engine} 不是 xuanba 支持的引擎"),
    "err_engine_unknown_fix": ("Use --engine duckdb or spark.", "请用 --engine duckdb 或 spark。"),
    "err_spark_conf_engine": ("--spark-conf is for --engine spark", "--spark-conf 只用于 --engine spark"),
    "err_spark_conf_engine_fix": ("Add --engine spark, or leave --spark-conf out.",
                                  "请加上 --engine spark，或去掉 --spark-conf。"),
    "err_engine_needs_source": ("--engine {engine} needs --source: the transactions it reads",
                                "--engine {engine} 需要 --source，即它要读取的交易数据"),
    "err_engine_needs_source_fix": ("Give --source PATH (Parquet file or folder) or a table name; or leave --engine "
                                    "out to rank the workspace's transactions.",
                                    "请给出 --source PATH（Parquet 文件或文件夹）或表名；或去掉 --engine，"
                                    "直接按工作区里的交易数据排名。"),
    "err_spark_conf_kv": ("--spark-conf {item} is not key=value", "--spark-conf {item} 不是 key=value 的写法"),
    "err_spark_conf_kv_fix": ("Write each setting as key=value, e.g. --spark-conf spark.sql.shuffle.partitions=200.",
                              "每项设置请写成 key=value，例如 --spark-conf spark.sql.shuffle.partitions=200。"),
    "err_spark_conf_key": ("--spark-conf {item}: {key} is not a setting name",
                           "--spark-conf {item}：{key} 不是有效的设置名"),
    "err_spark_conf_key_fix": ("Setting names are dotted words, e.g. spark.driver.memory=2g.",
                               "设置名是用点连接的单词，例如 spark.driver.memory=2g。"),
    "err_spark_conf_value": ("--spark-conf {item} has no value", "--spark-conf {item} 没有给出值"),
    "err_spark_conf_value_fix": ("Give a value: {key}=VALUE.", "请给出值：{key}=VALUE。"),
    "err_spark_missing": ("--engine spark needs pyspark (and Java 17 or later)",
                          "--engine spark 需要安装 pyspark（以及 Java 17 或更高版本）"),
    "err_spark_start": ("Spark did not start: {detail}", "Spark 未能启动：{detail}"),
    "err_spark_start_fix": ("Check Java (17+) and the --spark-conf settings (spark.master, memory sizes).",
                            "请检查 Java（17 及以上）和 --spark-conf 的设置（spark.master、内存大小）。"),
    "err_source_empty": ("--source is empty", "--source 是空的"),
    "err_source_empty_fix": ("Give a Parquet path or a table name.", "请给出 Parquet 路径或表名。"),
    "err_source_missing": ("--source {source} does not exist", "--source {source} 不存在"),
    "err_source_missing_fix": ("Give the path of the transactions (Parquet file or folder), or a table name.",
                               "请给出交易数据的路径（Parquet 文件或文件夹），或表名。"),
    "err_source_unreadable": ("Spark cannot read --source {source} as {fmt}: {detail}",
                              "Spark 无法按 {fmt} 格式读取 --source {source}：{detail}"),
    "err_source_unreadable_fix": ("Give Parquet written by `xuanba export` or your pipeline (a file or a folder of "
                                  "parts), or a .csv with a header row.",
                                  "请给出由 `xuanba export` 或您的数据管道写出的 Parquet（单个文件或分片文件夹），"
                                  "或带表头行的 .csv。"),
    "err_source_url_spark_fix": ("Check the URL, and that Spark has the file system of its scheme (s3a:// needs the "
                                 "hadoop-aws package and credentials, abfss:// hadoop-azure).",
                                 "请检查网址，并确认 Spark 已配置该协议的文件系统（s3a:// 需要 hadoop-aws 包和凭据，"
                                 "abfss:// 需要 hadoop-azure）。"),
    "err_source_neither": ("--source {source} is neither an existing path nor a table name",
                           "--source {source} 既不是已有的路径，也不是表名"),
    "err_source_neither_fix": ("Give a Parquet path or a catalog table such as sales.transactions.",
                               "请给出 Parquet 路径，或目录中的表，例如 sales.transactions。"),
    "err_spark_frame": ("a Spark DataFrame is read through Ibis, not handed as it is",
                        "Spark DataFrame 要通过 Ibis 读取，不能直接传入"),
    "err_spark_frame_fix": ("Register it and hand its Ibis table: df.createOrReplaceTempView('tx'), then "
                            "ibis.pyspark.connect(spark).table('tx').",
                            "请先注册它，再传入它的 Ibis 表：df.createOrReplaceTempView('tx')，然后 "
                            "ibis.pyspark.connect(spark).table('tx')。"),
    "err_spark_no_table": ("Spark has no table {source}: {detail}", "Spark 中没有表 {source}：{detail}"),
    "err_spark_no_table_fix": ("Check the name with SHOW TABLES, or give a Parquet path.",
                               "请用 SHOW TABLES 核对表名，或给出 Parquet 路径。"),
    "err_source_url_duckdb": ("--source {source} is a URL; DuckDB reads a URL only with its httpfs extension, "
                              "which xuanba does not download",
                              "--source {source} 是网址；DuckDB 只有加载 httpfs 扩展才能读取网址，而 xuanba 不会下载该扩展"),
    "err_source_url_duckdb_fix": ("Download the files into a local folder and give its path, or run on Spark: "
                                  "--engine spark --source {source}.",
                                  "请把文件复制到本地文件夹并给出其路径，或在 Spark 上运行：--engine spark --source {source}。"),
    "err_source_no_rows": ("--source has no transactions", "--source 中没有交易记录"),
    "err_source_amount_from_price": ("the source has a quantity ({quantity}) and a unit price ({price}) but no amount: "
                                     "`xuanba ingest` multiplies them, a round on an engine reads an amount column",
                                     "数据源有数量列（{quantity}）和单价列（{price}），但没有金额列：`xuanba ingest` 会把两者相乘，"
                                     "而在引擎上运行的评选只读金额列"),
    "err_source_amount_from_price_fix": ("Add an amount column (quantity × unit price) to the source, or load the file "
                                         "with `xuanba ingest` and run the round on the workspace.",
                                         "请在数据源中加一列金额（数量 × 单价），或用 `xuanba ingest` 载入文件，再在工作区上运行评选。"),
    "err_tx_lacks": ("the transactions table lacks {missing}", "交易表缺少列 {missing}"),
    "err_tx_lacks_fix": ("Columns found: {found}. Load the data with `xuanba ingest`, which maps and checks them, "
                         "or rename the columns.",
                         "现有的列：{found}。请用 `xuanba ingest` 载入数据（它会识别并检查各列），或给列改名。"),
    "err_source_no_rows_fix": ("Give the source that holds the canonical transactions (customer_id, ts, amount).",
                               "请给出包含规范交易记录（customer_id、ts、amount）的数据源。"),
    "err_roster_out_empty": ("--roster-out is empty", "--roster-out 是空的"),
    "err_roster_out_empty_fix": ("Give a folder, a URL Spark writes, or table:db.name.",
                                 "请给出文件夹、Spark 能写入的网址，或 table:库名.表名。"),
    "err_roster_out_chars": ("--roster-out {value} holds {chars}, which the engines read as a pattern or cannot "
                             "write",
                             "--roster-out {value} 含有 {chars}，引擎会把它当作通配模式读取，或无法写入"),
    "err_roster_out_chars_fix": ("Name a folder or URL without line breaks, control characters or * ? [ ] { }.",
                                 "请给出不含换行、控制字符或 * ? [ ] { } 的文件夹或网址。"),
    "err_roster_out_table_name": ("--roster-out {value} is not a table name", "--roster-out {value} 不是表名"),
    "err_roster_out_table_name_fix": ("Name a catalog table as table:db.name (letters, digits and _), e.g. "
                                      "table:sales.roster.",
                                      "请按 table:库名.表名 的写法给出目录中的表（字母、数字和 _），例如 table:sales.roster。"),
    "err_roster_out_url_duckdb": ("--roster-out {value} is a URL; DuckDB writes a URL only with its httpfs extension, "
                                  "which xuanba does not download",
                                  "--roster-out {value} 是网址；DuckDB 只有加载 httpfs 扩展才能写入网址，而 xuanba 不会下载该扩展"),
    "err_roster_out_url_duckdb_fix": ("Give a local folder (or file:///path), or run on Spark (--engine spark), "
                                      "whose executors write the URL.",
                                      "请给出本地文件夹（或 file:///路径），或在 Spark 上运行（--engine spark），由其执行器写入该网址。"),
    "err_roster_out_table_duckdb": ("--roster-out {value} is a catalog table; only Spark writes one",
                                    "--roster-out {value} 是目录中的表；只有 Spark 能写入"),
    "err_roster_out_table_duckdb_fix": ("Run on Spark (--engine spark), or give a folder for roster.parquet and "
                                        "fields.parquet.",
                                        "请在 Spark 上运行（--engine spark），或给出存放 roster.parquet 和 fields.parquet 的文件夹。"),
    "err_roster_out_file": ("--roster-out {value} is a file; the roster is written to a folder",
                            "--roster-out {value} 是文件；名单要写入文件夹"),
    "err_roster_out_file_fix": ("Give a folder (new or existing) for roster.parquet and fields.parquet.",
                                "请给出存放 roster.parquet 和 fields.parquet 的文件夹（新建或已有均可）。"),
    "err_roster_out_unwritable": ("--roster-out {value} cannot be written: {detail}",
                                  "--roster-out {value} 无法写入：{detail}"),
    "err_roster_out_unwritable_fix": ("Give a folder you can write.", "请给出您有写入权限的文件夹。"),
    "err_roster_out_url_spark": ("Spark cannot write --roster-out {value}: {detail}",
                                 "Spark 无法写入 --roster-out {value}：{detail}"),
    "err_roster_out_url_spark_fix": ("Give a URL of a file system Spark is set up for (hdfs://, s3a:// with the "
                                     "hadoop-aws package, abfss://, file://), or a folder every executor sees.",
                                     "请给出 Spark 已配置的文件系统的网址（hdfs://、带 hadoop-aws 包的 s3a://、abfss://、"
                                     "file://），或所有执行器都能访问的文件夹。"),
    "err_roster_out_no_database": ("--roster-out {value}: Spark's catalog has no database {db}",
                                   "--roster-out {value}：Spark 目录中没有数据库 {db}"),
    "err_roster_out_no_database_fix": ("Create the database {db} first (in Spark SQL), or name a table of a database "
                                       "that exists.",
                                       "请先（用 Spark SQL）创建数据库 {db}，或给出已有数据库中的表。"),
    "err_roster_out_table_exists": ("--roster-out: Spark's catalog holds these tables already: {tables}",
                                    "--roster-out：Spark 目录中已有这些表：{tables}"),
    "err_roster_out_table_exists_fix": ("Add --roster-replace to replace them (from Python roster_replace=True; the "
                                        "earlier tables stay until the new ones are complete), or name another table.",
                                        "如要替换，请加上 --roster-replace（Python 中为 roster_replace=True；新表写完之前旧表保持不变），"
                                        "或换一个表名。"),
    "err_roster_out_write": ("the roster could not be written to {place}: {detail}",
                             "名单未能写入 {place}：{detail}"),
    "err_roster_out_write_fix": ("Check the space and the permissions there; an earlier roster there is kept as it was.",
                                 "请检查该处的空间和权限；原有的名单保持不变。"),
    "err_source_csv_cell": ("line {line}: {value} is not a {type}, the type DuckDB gave the column from the "
                            "file's first rows (20,480)",
                            "文件第 {line} 行：{value} 不是 {type}（DuckDB 依据文件的前 20,480 行为该列定的类型）"),
    "err_source_csv_cell_fix": ("Correct that cell (or make the column's first rows show what it holds), or load the "
                                "file with `xuanba ingest`, which sets such a row aside in the rejects table.",
                                "请更正该单元格（或让该列的前几行体现其内容），或用 `xuanba ingest` 载入该文件："
                                "它把这样的行放入拒收表。"),
    "err_source_unread_date": ("the source's dates are text, and {value} (customer {customer}) is not a date",
                               "数据源的日期是文本，其中 {value}（客户 {customer}）不是日期"),
    "err_source_unread_date_fix": ("Write the dates as ISO text (2025-06-30 or 2025-06-30 14:05:00) or as a date "
                                   "column, or load the file with `xuanba ingest`, which reads other formats and "
                                   "sets unreadable rows aside in the rejects table.",
                                   "请把日期写成 ISO 文本（2025-06-30 或 2025-06-30 14:05:00）或日期列，或用 "
                                   "`xuanba ingest` 载入该文件：它能识别更多格式，并把无法识别的行放入拒收表。"),
    "err_source_unread_flag": ("the source's return flags are text, and {value} (customer {customer}) says neither "
                               "yes nor no", "数据源的退货标志是文本，其中 {value}（客户 {customer}）既不是“是”也不是“否”"),
    "err_source_unread_flag_fix": ("Write the return flags as true/false, yes/no, the Chinese yes/no, or a number (0: not a "
                                   "return; any other: a return); empty is not a return. Or leave the column out: a "
                                   "negative amount, a credit note's order number or a status word marks a return as "
                                   "ingest reads it; `xuanba ingest` sets such a row aside as an unreadable return flag.",
                                   "请把退货标志写成 true/false、yes/no、是/否 或数字（0：不是退货；其他数字：退货），"
                                   "留空表示不是退货；或去掉这一列：金额为负、红字单号或状态中的退货字样都会按 ingest 的"
                                   "规则标为退货；`xuanba ingest` 会把这样的行作为“退货标志无法识别”放入拒收表。"),
    "err_source_unread_cost": ("the source's costs are text, and {value} (customer {customer}) is not a number",
                               "数据源的成本是文本，其中 {value}（客户 {customer}）不是数字"),
    "err_source_unread_cost_fix": ("Write the costs as numbers: plain (1234.5) or a number column (a .csv source "
                                   "on DuckDB also reads them as ingest does: ¥1,234.50, (12.00), decimal "
                                   "commas); or load the file with `xuanba ingest`, which leaves an unreadable cost "
                                   "empty.",
                                   "请把成本写成数字：普通数字（1234.5）或数值列（DuckDB 上的 .csv 数据源也按 ingest "
                                   "的规则识别 ¥1,234.50、1.2万、(12.00) 和小数逗号）；或用 `xuanba ingest` 载入该文件："
                                   "它把无法识别的成本留空。"),
    "err_source_unread_amount": ("the source's amounts are text, and {value} (customer {customer}) is not a number",
                                 "数据源的金额是文本，其中 {value}（客户 {customer}）不是数字"),
    "err_source_unread_amount_fix": ("Write the amounts as numbers: plain (1234.5) or a number column (a .csv "
                                     "source on DuckDB also reads them as ingest does: ¥1,234.50, (12.00), "
                                     "decimal commas); or load the file with `xuanba ingest`, which sets unreadable "
                                     "rows aside in the rejects table.",
                                     "请把金额写成数字：普通数字（1234.5）或数值列（DuckDB 上的 .csv 数据源也按 ingest "
                                     "的规则识别 ¥1,234.50、1.2万、(12.00) 和小数逗号）；或用 `xuanba ingest` 载入该文件："
                                     "它把无法识别的行放入拒收表。"),
    "err_source_none_usable": ("none of the source's {n} rows is a usable transaction ({reasons})",
                               "数据源的 {n} 行中没有可用的交易（{reasons}）"),
    "err_source_none_usable_fix": ("Correct the source, or load it with `xuanba ingest` to see each row set aside "
                                   "in the rejects table.",
                                   "请修正数据源，或用 `xuanba ingest` 载入，在拒收表中查看每一行被拒收的原因。"),
    "source_rows_rejected": ("{rejected} of the source's {n} rows were left out, as `xuanba ingest` rejects them: "
                             "{reasons}.",
                             "数据源 {n} 行中有 {rejected} 行未使用（与 `xuanba ingest` 的拒收规则相同）：{reasons}。"),
    "not_finite_line": ("Values of the extra fields that are not finite numbers (±inf, or NaN written in the file) were "
                        "scored as missing: {fields}.",
                        "附加字段中不是有限数值的值（±inf，或文件里写的 NaN）已按缺失计分：{fields}。"),
    "not_finite_field": ("{field}: {n} (customers {customers})", "{field}：{n} 个（客户 {customers}）"),
    "not_finite_title": ("Extra fields' values scored as missing", "按缺失计分的附加字段值"),
    "missing_words_line": ("Cells of the extra fields written as a word for missing (n/a, #N/A, NULL, NA, None) or "
                           "holding an Excel error (#DIV/0!, #VALUE!, …) were scored as missing: {fields}.",
                           "附加字段中写成表示缺失的词（n/a、#N/A、NULL、NA、None）或为 Excel 错误值（#DIV/0!、#VALUE! 等）"
                           "的单元格已按缺失计分：{fields}。"),
    "missing_words_field": ("{field}: {n} (customers {customers}; written {words})",
                            "{field}：{n} 个（客户 {customers}；写作 {words}）"),
    "source_left_empty": ("Values of the source not understood and left empty, as `xuanba ingest` leaves them "
                          "({left}).",
                          "数据源中无法识别、留空的值（{left}），与 `xuanba ingest` 相同。"),
    "source_costs_left_empty": ("{column}: costs `xuanba ingest` does not store as numbers (NaN, infinite, 1e14 or "
                                "more, an Excel error such as #N/A).",
                                "{column}：`xuanba ingest` 不能存储为数字的成本（NaN、无穷大、不小于 1e14，"
                                "或 #N/A 等 Excel 错误值）。"),
    "source_quantities_left_empty": ("{column}: quantities `xuanba ingest` does not read as a number (abc, 1.2.3, NaN, "
                                     "infinite), their lines read as no return.",
                                     "{column}：`xuanba ingest` 读不出数字的数量（如 abc、1.2.3、NaN、无穷大），"
                                     "这些行按“不是退货”处理。"),
    "source_reason_count": ("{n} {reason}", "{reason} {n} 行"),
    "err_roster_out_in_source": ("--roster-out {out} is inside --source {source}: the next round over that source "
                                 "would read the roster's files as transactions",
                                 "--roster-out {out} 位于 --source {source} 之内：之后对该数据源的轮次会把名单文件"
                                 "当作交易读入"),
    "err_roster_out_in_table_source": ("roster_out {out} is inside {source}, a folder the transactions are read "
                                       "from: the next round over them would read the roster's files as transactions",
                                       "roster_out {out} 位于 {source} 之内，而交易数据正是从该文件夹读取：之后对其运行的"
                                       "轮次会把名单文件当作交易读入"),
    "err_roster_out_in_source_fix": ("Give a --roster-out folder outside the source folder.",
                                     "请给出数据源文件夹之外的 --roster-out 文件夹。"),
    # scoring (xuanba.standard)
    "err_id_missing": ("customer_id is missing in {n} row(s) of the fields", "字段表中有 {n} 行缺少 customer_id"),
    "err_id_missing_fix": ("Give every row a customer_id, or drop the rows without one before scoring.",
                           "请给每一行填上 customer_id，或在评分前删掉没有 customer_id 的行。"),
    # a DuckDB connection or column that would order text its own way (xuanba.standard.engine)
    "err_engine_collation": ("the DuckDB connection compares text with the collation '{collation}'",
                             "DuckDB 连接按排序规则 “{collation}” 比较文本"),
    "err_engine_collation_fix": ("xuanba compares text (ids, text gates) by its characters: run "
                                 "SET default_collation = '' on the connection first.",
                                 "xuanba 按字符比较文本（客户编号、文本门槛）：请先在该连接上执行 "
                                 "SET default_collation = ''。"),
    "err_engine_id_collation": ("the ids compare by a collation of their column's own ({probe} sort as {order})",
                                "客户编号按其所在列自身的排序规则比较（{probe} 排成 {order}）"),
    "err_engine_id_collation_fix": ("xuanba orders and tells ids apart by their characters (a and A are two "
                                    "customers): declare the column without COLLATE, or read it as "
                                    "{column} COLLATE c, before the round.",
                                    "xuanba 按字符排序和区分客户编号（a 与 A 是两个客户）：请在运行前把该列声明为"
                                    "不带 COLLATE，或以 {column} COLLATE c 读取。"),
    # tuning a standard (xuanba.rounds.tune)
    "err_tune_objective": ("--objective {objective} is not known", "--objective {objective} 不是可用的目标"),
    "err_tune_objective_fix": ("Use revenue or profit.", "请用 revenue 或 profit。"),
    "err_tune_max_change": ("--max-change {value} is outside (0, 1]", "--max-change {value} 不在 (0, 1] 范围内"),
    "err_tune_max_change_fix": ("Give a share such as 0.3.", "请给出一个比例，例如 0.3。"),
    "err_tune_max_bar_change": ("--max-bar-change {value} is outside (0, 100]",
                                "--max-bar-change {value} 不在 (0, 100] 范围内"),
    "err_tune_max_bar_change_fix": ("Give score points such as 20.", "请给出以分计的幅度，例如 20。"),
    "err_tune_no_bars": ("--bars: no tier of the standard has a min_score bar to learn",
                         "--bars：标准中没有哪个层级设了 min_score 门槛，无从学习"),
    "err_tune_no_bars_fix": ("Give the tiers a min_score, or tune the weights alone.",
                             "请给层级设上 min_score，或只调整权重。"),
    "err_tune_no_cost": ("the transactions carry no cost, so profit is unknown", "交易数据里没有成本，无法得知利润"),
    "err_tune_no_cost_fix": ("Tune on --objective revenue, or load costs.",
                             "请改用 --objective revenue 调整，或载入成本数据。"),
    "err_tune_few_cutoffs": ("tuning needs at least two cutoffs with a whole {days}-day horizon after them; "
                             "found {found}",
                             "调整至少需要两个截止日，且每个截止日之后都有完整的 {days} 天观察期；目前只有 {found} 个"),
    "err_tune_few_cutoffs_fix": ("Widen --from/--to, use a shorter --every or a shorter --horizon.",
                                 "请放宽 --from/--to，或缩短 --every 或 --horizon。"),
    "err_dates_empty": ("the date column is empty", "日期列是空的"),
    "err_dates_empty_fix": ("Map the column that holds the dates: --map ts=<column>.",
                            "请指明存放日期的列：--map ts=<列名>。"),
    "err_dates_unread": ("no value of the date column could be read as a date (e.g. {example})",
                         "日期列中没有一个值能读成日期（例如 {example}）"),
    "err_dates_unread_fix": ("Write dates like 2026-06-30, 2026/6/30, 20260630 or as year/month/day in Chinese, "
                             "pass the format (--date-format '%d.%m.%Y', '%m/%d/%Y' ...), or map another column: "
                             "--map ts=<column>.",
                             "请把日期写成 2026-06-30、2026/6/30、20260630 或 2026年6月30日 这样，或给出日期格式"
                             "（--date-format '%d.%m.%Y'、'%m/%d/%Y' 等），或改用其他列：--map ts=<列名>。"),
    "err_order_total_too_large": ("the lines of order {order} add up to {total}, beyond what a workspace stores "
                                  "(below 1e14 in absolute value)",
                                  "订单 {order} 的各行合计为 {total}，超出工作区可存储的范围（绝对值须小于 1e14）"),
    "err_order_total_too_large_fix": ("Check the amounts of this order's lines (a misplaced decimal mark, a total "
                                      "line read as an item) and load the file again.",
                                      "请检查该订单各行的金额（小数点位置是否有误、合计行是否被当作明细），然后重新导入。"),
    "err_interaction_cost": ("an interaction's cost is not money a round can count: {value} (customer {customer})",
                             "有一条互动记录的成本不是本轮能计入的金额：{value}（客户 {customer}）"),
    "err_interaction_cost_fix": ("Correct the interactions' cost and load them again: xuanba ingest FILE --kind "
                                 "interactions.",
                                 "请更正互动记录的成本后重新导入：xuanba ingest FILE --kind interactions。"),
    "err_dates_late": ("{n} rows are dated after the cutoff {cutoff}", "有 {n} 行的日期晚于截止日 {cutoff}"),
    "err_dates_late_fix": ("Check the date column and its format, remove the future rows, or give a later --cutoff.",
                           "请检查日期列及其格式，删掉日期在未来的行，或给出更晚的 --cutoff。"),
    "err_missing_required": ("no column for the required field {fields}; columns found: {columns}{details}",
                             "找不到必需字段{fields}对应的列；文件中的列有：{columns}{details}"),
    "err_missing_required_many": ("no column for the required fields {fields}; columns found: {columns}{details}",
                                  "找不到必需字段{fields}对应的列；文件中的列有：{columns}{details}"),
    "err_missing_line": ("{field}{extra}: none of {names} ...{hint}", "{field}{extra}：没有名为 {names} 等的列{hint}"),
    "err_missing_amount_extra": (" (or a quantity and a unit price column)", "（或者数量列加单价列）"),
    "err_missing_hint": ("; candidates in the file: {columns}", "；文件中可能对应的列：{columns}"),
    "err_missing_taken": ("; the column {column} is read as {other}, as the mapping says",
                          "；{column} 列按映射被读作 {other}"),
    "err_missing_required_fix": ("Map each one, e.g. {example}.{more}", "请逐一指明对应的列，例如 {example}。{more}"),
    "err_missing_headerless": (" The first line looks like data, not names: if the file has no header, name its "
                               "columns in order, e.g. --columns {columns}.",
                               "第一行看起来是数据而不是列名：如果文件没有表头，请按顺序给出列名，例如 --columns {columns}。"),
    "err_reserved_column": ("the file has a column named {column}: names beginning with _xb_ are the ones xuanba "
                            "gives its own columns while it reads a file",
                            "文件中有一列名为 {column}：以 _xb_ 开头的名称是 xuanba 读文件时给自己的列用的"),
    "err_reserved_column_fix": ("Rename that column (or leave it out of the export) and ingest again.",
                                "请给这一列改名（或导出时不要这一列），再重新导入。"),
    "err_map_ambiguous": ("columns {columns} and {last} both look like {field}", "{columns} 和 {last} 都像是 {field} 列"),
    "err_map_ambiguous_fix": ("Say which one to use, e.g. --map {field}={column} (Python: mapping={{'{field}': '{column}'}}).",
                              "请指明用哪一列，例如 --map {field}={column}（Python：mapping={{'{field}': '{column}'}}）。"),
    "err_round_map_needs_source": ("--map names the headers of a --source file; the workspace's transactions "
                                   "were mapped when they were ingested",
                                   "--map 用于指明 --source 文件的表头；工作区里的交易数据在导入时已经映射过"),
    "err_round_map_needs_source_fix": ("Give --source PATH with --map, or leave --map out to rank the workspace's "
                                       "transactions (to map them again: xuanba ingest --map …).",
                                       "请同时给出 --source PATH，或去掉 --map，直接按工作区里的交易数据排名"
                                       "（要重新映射：xuanba ingest --map …）。"),
    "err_map_not_pair": ("--map {pair} is not field=column", "--map {pair} 不是 字段=列名 的写法"),
    "err_map_not_pair_fix": ("Write it like --map customer_id=CustNo (repeat --map for more fields).",
                             "请写成 --map customer_id=客户编号 这样（多个字段就重复 --map）。"),
    "err_map_unknown_field": ("the mapping names an unknown field {field}", "映射中指定的字段 {field} 不存在"),
    "err_map_unknown_field_fix": ("Map one of: {fields} (as field=column).", "请映射以下字段之一：{fields}（写作 字段=列名）。"),
    "err_map_column_twice": ("the mapping {field}={header} fits the columns {columns}, which differ only in letter case "
                             "or width",
                             "映射 {field}={header} 同时对应 {columns} 这几列，它们只有字母大小写或全角半角不同"),
    "err_map_column_twice_fix": ("Write the header exactly as the file writes the one to read, e.g. --map {field}={column}.",
                                 "请按文件里要读取的那一列的写法原样写出列名，例如 --map {field}={column}。"),
    "err_map_missing_column": ("the mapping {field}={header} names a column that is not in the file",
                               "映射 {field}={header} 指定的列不在文件中"),
    "err_side_missing": ("required {kind} column {column} is missing; columns found: {columns}",
                         "缺少 {kind} 表的必需列 {column}；文件中的列有：{columns}"),
    "err_side_missing_fix": ("Name a column {column} (or {aliases}), or map yours: --map {field}=<your header> "
                             "(mapping={{'{field}': '<your header>'}} in Python).",
                             "请把某一列命名为 {column}（或 {aliases}），或指明对应的列：--map {field}=<您的表头>"
                             "（Python 中为 mapping={{'{field}': '<您的表头>'}}）。"),
    "err_columns_found": ("Columns found: {columns}.", "文件中的列有：{columns}。"),
    "err_file_not_found": ("file not found", "找不到这个文件"),
    "err_file_not_found_fix": ("Check the path; give a .csv/.txt/.tsv, .xlsx, .parquet file or a folder of them.",
                               "请检查路径；请给出 .csv/.txt/.tsv、.xlsx、.parquet 文件，或装有这些文件的文件夹。"),
    "err_name_not_utf8": ("the file's name holds bytes that are not UTF-8 (shown as \\udc..), which xuanba cannot "
                          "record; a zip made on Chinese Windows names its files so (GBK)",
                          "文件名中有不是 UTF-8 的字节（显示为 \\udc..），xuanba 无法记录；在中文 Windows 上打包的 zip "
                          "解压后的文件名常是这样（GBK）"),
    "err_name_not_utf8_fix": ("Rename the file so its name reads as text (or unzip it again with its names as GBK), "
                              "then ingest again.",
                              "请给文件重新命名，让文件名能正常显示（或按 GBK 文件名重新解压），然后再导入。"),
    "err_folder_no_tables": ("the folder holds no table files", "文件夹里没有表格文件"),
    "err_folder_no_tables_fix": ("Put {suffixes} files in it, or name the files themselves.",
                                 "请在文件夹里放入 {suffixes} 文件，或直接指明文件。"),
    "err_no_rows_header": ("the file has a header but no data rows", "文件只有表头，没有数据行"),
    "err_no_rows": ("the file has no data rows", "文件没有数据行"),
    "err_no_rows_fix": ("Export the data again with its rows.", "请连同数据行重新导出。"),
    "err_no_rows_headerless_fix": ("Export the data again with its rows. The only line looks like data, not names: if "
                                   "the file has no header, name its columns in order with --columns.",
                                   "请连同数据行重新导出。唯一的一行看起来是数据而不是列名：如果文件没有表头，请用 --columns "
                                   "按顺序给各列命名。"),
    "err_columns_count": ("--columns names {names} columns but the file has {found} per line",
                          "--columns 给了 {names} 个列名，但文件每行有 {found} 个字段"),
    "err_columns_count_fix": ("Give exactly {found} names, e.g. --columns {example}",
                              "请正好给出 {found} 个列名，例如 --columns {example}"),
    "err_file_changed": ("the file changed while it was read (its size or modification time moved): it is still "
                         "being written or copied, and what was read is neither the old nor the new content",
                         "读取期间文件变了（大小或修改时间有变化）：它还在被写入或复制，读到的内容既不是旧的也不是新的"),
    "err_file_changed_fix": ("Wait until the export or copy has finished, then ingest again.",
                             "请等导出或复制完成后再重新导入。"),
    "err_file_blank": ("the file is empty (no lines with data)", "文件是空的（没有含数据的行）"),
    "err_file_blank_fix": ("Export the data again; the file holds only blank lines.",
                           "请重新导出数据；这个文件只有空行。"),
    "err_header_row": ("--header-row {line}: line {line} of the file is blank or past the first {lines} lines with data",
                       "--header-row {line}：文件第 {line} 行是空行，或者在前 {lines} 行含数据的行之外"),
    "err_header_row_fix": ("Give the number of the line that holds the column names, counting from 1 at the top of "
                           "the file (title lines included).",
                           "请给出列名所在的行号，从文件顶部第 1 行数起（标题行也算在内）。"),
    "err_header_twice": ("columns {first} and {second} ({a}, {b}) are one name written twice",
                         "第 {first} 列和第 {second} 列（{a}、{b}）是同一个列名写了两次"),
    "err_header_twice_fix": ("Rename or delete one of them in the file, then ingest again.",
                             "请在文件里把其中一列改名或删掉，再重新导入。"),
    "err_duckdb_source_missing": ("--source {source} does not exist", "--source {source} 不存在"),
    "err_duckdb_source_missing_fix": ("Give the path of the transactions (Parquet file or folder, or .csv).",
                               "请给出交易数据的路径（Parquet 文件或文件夹，或 .csv 文件）。"),
    "err_source_packed": ("--source {source} is a compressed CSV ({suffix}), which an engine round does not read",
                          "--source {source} 是压缩过的 CSV（{suffix}），引擎上的一轮不读取这种文件"),
    "err_source_packed_fix": ("Decompress it (gzip -d, or 7-Zip on Windows) and give the .csv it holds, or load "
                              "that .csv with `xuanba ingest` and run the round on the workspace.",
                              "请先解压（gzip -d，Windows 上可用 7-Zip），再给出解压得到的 .csv；或用 `xuanba ingest` "
                              "载入该 .csv，再在工作区上运行这一轮。"),
    "err_source_headers_apart": ("the files of the --source glob hold their header on different lines: line {line} in "
                                 "{first}, line {other_line} in {other} (DuckDB reads every file with the first one's "
                                 "lines skipped)",
                                 "--source 通配符匹配的文件，表头不在同一行：{first} 在第 {line} 行，{other} 在第 "
                                 "{other_line} 行（DuckDB 对每个文件都跳过与第一个文件相同的行数）"),
    "err_source_headers_apart_fix": ("Delete the title lines above the header so that every file begins with it, or "
                                     "load the files with xuanba ingest, which finds each file's header where it is.",
                                     "请删掉表头上方的标题行，让每个文件都从表头开始；或者用 xuanba ingest 导入这些文件，"
                                     "它会在每个文件里各自找到表头。"),
    "err_source_not_utf8": ("the file is not UTF-8 text: line {line} of the file (byte {byte}) is not, and an engine "
                            "round reads a .csv source in UTF-8 only",
                            "该文件不是 UTF-8 编码的文本：文件第 {line} 行（第 {byte} 字节）不是 UTF-8，而引擎上的一轮只读取 "
                            "UTF-8 编码的 .csv 数据源"),
    "err_source_gbk": ("the file is GBK/GB18030 text, as Chinese Excel and ERP exports save a CSV (line {line} of the "
                       "file, read so: {text}), and an engine round reads a .csv source in UTF-8 only",
                       "该文件是 GBK/GB18030 编码的文本（中文版 Excel 和 ERP 导出的 CSV 常用此编码；文件第 {line} 行按此编码"
                       "读作 {text}），而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_source_big5": ("the file is Big5 text (Traditional Chinese, as Excel in Taiwan and Hong Kong saves a CSV; "
                        "line {line} of the file, read so: {text}), and an engine round reads a .csv source in UTF-8 only",
                        "该文件是 Big5 编码的文本（繁体中文，台湾、香港的 Excel 保存 CSV 时常用此编码；文件第 {line} 行按此编码"
                        "读作 {text}），而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_source_big5_fix": ("Save the file as 'CSV UTF-8' (Excel: Save As) or convert it from Big5 (iconv -f BIG5-HKSCS -t UTF-8); "
                            "do not convert it from GBK/GB18030, which would garble it.",
                            "请把文件另存为“CSV UTF-8”（Excel：另存为），或从 Big5 转换（iconv -f BIG5-HKSCS -t UTF-8）；"
                            "不要按 GBK/GB18030 转换，那会把文字变成乱码。"),
    "err_source_not_utf8_fix": ("Save the file as 'CSV UTF-8' (Excel: Save As) or convert it (iconv -f GB18030 -t UTF-8), "
                                "or load it with `xuanba ingest`, which reads GBK, and run the round on the workspace.",
                                "请把文件另存为“CSV UTF-8”（Excel：另存为），或转换其编码（iconv -f GB18030 -t UTF-8）；"
                                "或用 `xuanba ingest` 载入（它能读 GBK），再在工作区上运行这一轮。"),
    "err_source_not_utf8_other_fix": ("Save the file as 'CSV UTF-8' (Excel: Save As), or convert it from the encoding it "
                                      "was written in (iconv -f <that encoding> -t UTF-8).",
                                      "请把文件另存为“CSV UTF-8”（Excel：另存为），或从它原来的编码转换"
                                      "（iconv -f <原编码> -t UTF-8）。"),
    "err_mostly_utf8": ("the file is UTF-8 text up to line {line} of the file (byte {byte}), where a byte is not UTF-8; "
                        "decoding it all as GBK would garble the text",
                        "该文件到第 {line} 行（第 {byte} 字节）为止都是 UTF-8 编码的文本，此处有一个字节不是 UTF-8；"
                        "整个文件按 GBK 解码会把文字变成乱码"),
    "err_mostly_utf8_fix": ("Open the file, fix or retype that line (it may have been pasted from another program), save "
                            "it as 'CSV UTF-8', and ingest again.",
                            "请打开文件，改正或重新输入该行（它可能是从别的程序粘贴来的），另存为“CSV UTF-8”，再重新载入。"),
    "err_source_utf8_damaged": ("the file is UTF-8 text but for line {line} (byte {byte}), whose character is cut short "
                                "or in another encoding, and an engine round reads a .csv source in UTF-8 only",
                                "该文件是 UTF-8 编码的文本，但第 {line} 行（第 {byte} 字节）的字符不完整或不是 UTF-8 编码，"
                                "而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_source_utf8_damaged_fix": ("Correct line {line} of the file (a file cut in copying: copy it again) and run the "
                                    "round again; do not convert the whole file from GBK, which would garble its UTF-8 text.",
                                    "请改正文件第 {line} 行（复制时被截断的文件请重新复制），再运行这一轮；不要把整个文件按 GBK "
                                    "转换，那会把其中的 UTF-8 文字变成乱码。"),
    "err_source_utf16": ("the file is UTF-16 text (it starts with UTF-16's byte order mark, as Excel's 'Unicode Text' "
                         "saves it), and an engine round reads a .csv source in UTF-8 only",
                         "该文件是 UTF-16 编码的文本（以 UTF-16 的字节顺序标记开头，Excel 的“Unicode 文本”即如此保存），"
                         "而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_source_utf16_fix": ("Save the file as 'CSV UTF-8' (Excel: Save As) or convert it (iconv -f UTF-16 -t UTF-8), "
                             "or load it with `xuanba ingest`, which reads UTF-16, and run the round on the workspace.",
                             "请把文件另存为“CSV UTF-8”（Excel：另存为），或转换其编码（iconv -f UTF-16 -t UTF-8）；"
                             "或用 `xuanba ingest` 载入（它能读 UTF-16），再在工作区上运行这一轮。"),
    "err_source_glob_types": ("the column {column} holds {found} in this file where the first file of the --source glob, "
                              "{first}, holds {expected}: a cell of this file is not a {expected}",
                              "这个文件的 {column} 列是 {found}，而 --source 通配符匹配的第一个文件 {first} 中该列是 "
                              "{expected}：这个文件里有不是 {expected} 的单元格"),
    "err_source_glob_types_fix": ("Correct that cell (DuckDB gives every file of a glob the types of the first), or load "
                                  "the files with `xuanba ingest`, which sets such a row aside in the rejects table.",
                                  "请更正该单元格（DuckDB 对通配符匹配的每个文件都使用第一个文件的列类型），或用 "
                                  "`xuanba ingest` 载入这些文件：它把这样的行放入拒收表。"),
    "err_spark_source_titles": ("the header of the --source CSV is under {n} title row(s), which Spark's "
                                "CSV reader would take for the header (it skips no rows)",
                                "--source 的 CSV 表头上方有 {n} 行标题，Spark 的 CSV 读取器会把它们当成表头"
                                "（它不会跳过任何行）"),
    "err_spark_source_titles_fix": ("Delete the rows above the header, or run the round with --engine duckdb (which "
                                    "skips them as xuanba ingest does).",
                                    "请删掉表头上方的这些行，或者用 --engine duckdb 运行这一轮（它会像 xuanba ingest "
                                    "一样跳过这些行）。"),
    "err_source_glob_columns": ("this file's header differs from that of the first file of the --source glob, {first}: "
                                "{what}",
                                "这个文件的表头与 --source 通配符匹配的第一个文件 {first} 不同：{what}"),
    "glob_lacks": ("it has no column {columns}", "它没有 {columns} 列"),
    "glob_extra": ("it has a column {columns} that the first has not (the round would leave it unread)",
                   "它多出 {columns} 列，第一个文件没有（这一轮不会读取它）"),
    "glob_order": ("its columns are in another order ({order}), and Spark reads each file of a glob by the first "
                   "file's order, not by name",
                   "它的列顺序不同（{order}），而 Spark 按第一个文件的列顺序读取通配符匹配的每个文件，不按列名"),
    "glob_delim": ("its cells are delimited by {found} where the first file's are by {expected}, and Spark reads each "
                   "file of a glob with the first file's delimiter",
                   "它的分隔符是 {found}，而第一个文件的是 {expected}；Spark 用第一个文件的分隔符读取通配符匹配的每个文件"),
    "err_source_glob_columns_fix": ("Give every file of the glob the same header, or load the files with `xuanba "
                                    "ingest`, which reads each file by its own header, and run the round on the workspace.",
                                    "请让通配符匹配的每个文件使用同一个表头；或者用 `xuanba ingest` 载入这些文件（它按每个"
                                    "文件自己的表头读取），再在工作区上运行这一轮。"),
    "err_source_glob_spark_fix": ("Write every file with the first file's columns in its order and delimiter, or run "
                                  "the round with --engine duckdb, which reads each file of a glob by its own header.",
                                  "请让每个文件的列顺序和分隔符都与第一个文件相同；或者用 --engine duckdb 运行这一轮"
                                  "（它按每个文件自己的表头读取通配符匹配的文件）。"),
    "err_csv_spaced_quote": ("line {line}: the cell {value} opens with two or more spaces before a quote, which DuckDB "
                             "and xuanba ingest read as a character (the cell ends at the next delimiter) and Spark "
                             "would read otherwise (as a quoted cell, or dropping the cells past the header)",
                             "第 {line} 行：单元格 {value} 在引号前有两个或更多空格，DuckDB 和 xuanba ingest 把这个引号"
                             "当作普通字符（单元格到下一个分隔符为止），而 Spark 会读成别的样子（当作带引号的单元格，"
                             "或丢掉表头之外的单元格）"),
    "err_csv_spaced_quote_fix": ("Delete the spaces before the quote (a quote right after the delimiter, or after one "
                                 "space, opens a quoted cell) and run the round again, or run it with --engine duckdb.",
                                 "请删掉引号前的空格（紧跟在分隔符后、或只隔一个空格的引号才开始一个带引号的单元格），"
                                 "再运行这一轮；或者用 --engine duckdb 运行。"),
    "err_spark_url_garbled": ("Spark reads the header of the --source CSV as {header}, garbled: the file is not UTF-8 "
                              "text (GBK, as Chinese Excel saves a CSV?), and an engine round reads a .csv source in "
                              "UTF-8 only",
                              "Spark 把 --source 的 CSV 表头读成 {header}，是乱码：该文件不是 UTF-8 编码的文本（可能是"
                              "中文版 Excel 保存的 GBK），而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_spark_url_garbled_row": ("Spark reads line {line} of the --source CSV as {cells}, garbled: the file is not "
                                  "UTF-8 text (GBK, as Chinese Excel saves a CSV?), whose names Spark reads alike, "
                                  "two customers as one; an engine round reads a .csv source in UTF-8 only",
                                  "Spark 把 --source 的 CSV 第 {line} 行读成 {cells}，是乱码：该文件不是 UTF-8 编码的"
                                  "文本（可能是中文版 Excel 保存的 GBK），Spark 会把不同的名字读成同样的乱码，两个客户"
                                  "变成一个；而引擎上的一轮只读取 UTF-8 编码的 .csv 数据源"),
    "err_duckdb_source_unreadable": ("cannot read --source {source}{engine}", "无法读取 --source {source}{engine}"),
    "err_duckdb_source_unreadable_fix": ("Give Parquet (a file or a folder of parts) or a .csv with a header row.",
                                  "请给出 Parquet（一个文件或一个分块文件夹），或带表头行的 .csv 文件。"),
    "err_big5": ("the file is Big5 text (Traditional Chinese, as Excel in Taiwan and Hong Kong saves a CSV; line {line} "
                 "of the file reads so: {text}), which ingest does not read: read as GBK it would be garbled",
                 "该文件是 Big5 编码的文本（繁体中文，台湾、香港的 Excel 保存 CSV 时常用此编码；文件第 {line} 行按此编码读作 "
                 "{text}），导入不读取这种编码：按 GBK 读取会变成乱码"),
    "err_big5_fix": ("Save it as 'CSV UTF-8' (Excel: Save As) or convert it from Big5 (iconv -f BIG5-HKSCS -t UTF-8), then "
                     "ingest again.",
                     "请把它另存为“CSV UTF-8”（Excel：另存为），或从 Big5 转换（iconv -f BIG5-HKSCS -t UTF-8），再重新导入。"),
    "err_encoding": ("the file is neither UTF-8, UTF-16 nor GBK/GB18030 text (line {line} of the file, byte {byte}, "
                     "cannot be read as {encoding})",
                     "文件既不是 UTF-8、UTF-16 也不是 GBK/GB18030 编码的文本（文件第 {line} 行、第 {byte} 字节无法按 "
                     "{encoding} 读取）"),
    "err_encoding_fix": ("Open it in Excel or a text editor and save it as 'CSV UTF-8', then ingest again.",
                         "请用 Excel 或文本编辑器打开它，另存为“CSV UTF-8”格式，再重新导入。"),
    "err_open_quote": ("a quote opens a cell on line {line} of the file and is never closed: the rest of the file "
                       "would be read into that one cell",
                       "文件第 {line} 行有一个单元格以引号开头，但这个引号直到文件末尾都没有闭合：文件其余部分都会被读进"
                       "这一个单元格"),
    "err_open_quote_fix": ("Open the file in a text editor at line {line}, close that quote or delete it (a quote "
                           "inside a cell is written twice: \"\"), save, and ingest again.",
                           "请用文本编辑器打开文件，找到第 {line} 行，补上闭合的引号或删掉它（单元格里的引号要连写两个：\"\"），"
                           "保存后重新导入。"),
    "err_csv_fields": ("the row has {found} fields where the header has {expected}: a cell holding the "
                       "delimiter is not quoted, or a quote is not closed",
                       "这一行有 {found} 个字段，而表头有 {expected} 个：某个含有分隔符的单元格没有加引号，或者有引号没有闭合"),
    "err_csv_fields_columns": ("the row has {found} fields where --columns names {expected}: a cell holding the "
                               "delimiter is not quoted, or a quote is not closed",
                               "这一行有 {found} 个字段，而 --columns 只给了 {expected} 个列名：某个含有分隔符的单元格没有加引号，"
                               "或者有引号没有闭合"),
    "err_csv_fields_trailing_one": ("the row has {found} fields where the header has {expected}: it ends with a "
                                    "delimiter the header does not have, with nothing after it",
                                    "这一行有 {found} 个字段，而表头有 {expected} 个：行末多了一个分隔符，后面什么也没有"),
    "err_csv_fields_trailing": ("the row has {found} fields where the header has {expected}: it ends with {extra} "
                                "delimiters the header does not have, with nothing after them",
                                "这一行有 {found} 个字段，而表头有 {expected} 个：行末多了 {extra} 个分隔符，后面什么也没有"),
    "err_csv_fields_trailing_columns_one": ("the row has {found} fields where --columns names {expected}: it ends "
                                            "with a delimiter the names do not have, with nothing after it",
                                            "这一行有 {found} 个字段，而 --columns 只给了 {expected} 个列名：行末多了"
                                            "一个分隔符，后面什么也没有"),
    "err_csv_fields_trailing_columns": ("the row has {found} fields where --columns names {expected}: it ends with "
                                        "{extra} delimiters the names do not have, with nothing after them",
                                        "这一行有 {found} 个字段，而 --columns 只给了 {expected} 个列名：行末多了 {extra} "
                                        "个分隔符，后面什么也没有"),
    "err_csv_fields_trailing_fix": ("Open the file, delete the delimiter(s) left at the end of that row after its "
                                    "last cell, save, and ingest again.", "请打开文件，删掉这一行末尾多出的分隔符，保存后重新导入。"),
    "err_csv_fields_fix": ("Open the file, quote the cell that holds the delimiter (or delete the extra delimiter), "
                           "save, and ingest again; Excel's 'CSV UTF-8' export quotes such cells itself.",
                           "请打开文件，给含有分隔符的单元格加上引号（或删掉多余的分隔符），保存后重新导入；"
                           "用 Excel 另存为“CSV UTF-8”会自动给这样的单元格加引号。"),
    "err_csv_quotes": ("a quote in the row is not closed, or a quote inside a cell is not written twice (\"\"), "
                       "so its cells cannot be told apart",
                       "这一行有引号没有闭合，或者单元格里的引号没有连写两个（\"\"），无法分清各个单元格"),
    "err_csv_quotes_fix": ("Open the file, close the quote or write each quote inside a cell twice (\"\"), save, "
                           "and ingest again; Excel's 'CSV UTF-8' export writes quotes so.",
                           "请打开文件，补上闭合的引号，或把单元格里的每个引号连写两个（\"\"），保存后重新导入；"
                           "用 Excel 另存为“CSV UTF-8”就是这样写引号的。"),
    "err_csv_long_line": ("a line holds {size} MB, more than the {limit} MB a line of a sales log may hold: a cell "
                          "that long is a pasted document or picture, or a quote opened and never closed that "
                          "swallows the following lines",
                          "这一行有 {size} MB，超过了销售记录一行最多 {limit} MB 的上限：这么长的单元格多半是粘贴进来的文档或"
                          "图片，或者有引号没有闭合，把后面的行都吞了进去"),
    "err_csv_long_line_fix": ("Open the file, shorten or empty that cell (or close its quote), save, and ingest again.",
                              "请打开文件，缩短或清空那个单元格（或补上闭合的引号），保存后重新导入。"),
    "err_csv_line_ends": ("the lines of the file end in two ways: line {first} ends in {expected}, line {line} in "
                          "{found} (a line pasted from another program, or a lone carriage return (CR) inside a "
                          "cell that ends the line there), and the reader takes one way for the whole file",
                          "文件的行尾有两种写法：文件第 {first} 行以 {expected} 结尾，文件第 {line} 行却以 {found} 结尾（多半是从别的"
                          "程序粘贴进来的行，或单元格里有一个单独的回车符（CR）把这一行在那里截断了），而读取时整个文件只认一种"),
    "err_csv_line_ends_fix": ("Open the file in a text editor at line {line}: join the line cut by a lone CR, or save the "
                              "file with one kind of line end (Excel's 'CSV UTF-8', or dos2unix), and ingest again.",
                              "请用文本编辑器打开文件，找到第 {line} 行：把被单独的回车符截断的行接回去，或者把文件存成统一的行尾"
                              "（用 Excel 另存为“CSV UTF-8”，或用 dos2unix 转换），再重新导入。"),
    "err_csv_unreadable": ("cannot read the file as a table{engine}", "无法把文件读成表格{engine}"),
    "err_csv_unreadable_sniff": ("cannot read the file as a table: the reader could not make out its columns from "
                                 "its first lines{engine}",
                                 "无法把文件读成表格：读取器从文件开头的几行认不出它的各列{engine}"),
    "engine_words": ("DuckDB's words: {text}", "DuckDB 的原话（英文）：{text}"),
    "err_csv_unreadable_fix": ("Check that every line has the same number of fields and that quotes are closed.",
                               "请检查每一行的字段数是否相同、引号是否都已闭合。"),
    "err_mixed_encoding": ("the file mixes text encodings: line {utf8_line} is UTF-8 ({utf8_text}) but line {bad_line} "
                           "is not (read as GBK it says {shown}); decoding the whole file as GBK would garble the "
                           "UTF-8 lines",
                           "文件混用了不同的文本编码：第 {utf8_line} 行是 UTF-8（{utf8_text}），第 {bad_line} 行却不是"
                           "（按 GBK 读出来是 {shown}）；把整个文件按 GBK 解码会让 UTF-8 的行变成乱码"),
    "err_mixed_encoding_fix": ("Retype line {bad_line} (it may have been pasted from another program) and any other "
                               "line that is not UTF-8, save the file as 'CSV UTF-8', and ingest again.",
                               "请重新输入第 {bad_line} 行（可能是从别的程序粘贴来的）以及其他非 UTF-8 的行，把文件"
                               "另存为“CSV UTF-8”格式，再重新导入。"),
    "err_not_workbook": ("not an Excel workbook ({kind})", "不是 Excel 工作簿（{kind}）"),
    "err_not_workbook_fix": ("Save it from Excel or WPS as .xlsx (not .xls or a renamed file), or export it as CSV.",
                             "请在 Excel 或 WPS 中另存为 .xlsx（不要用 .xls 或只改了扩展名的文件），或导出为 CSV。"),
    "err_nul": ("the file holds a NUL byte (a zero byte) at line {line} of the file (byte {byte}): it is not a text table "
                "but binary data, a damaged file, or text saved as UTF-16 without its mark",
                "文件第 {line} 行（第 {byte} 个字节）有一个 NUL 字节（零字节）：这不是文本表格，而是二进制数据、损坏的文件，"
                "或存成 UTF-16 却没有编码标记的文本"),
    "err_nul_fix": ("Give a CSV, tab-separated text, .xlsx or .parquet file (check the file extension); export the "
                    "table again as CSV UTF-8, or open the file at line {line} and remove what is damaged there.",
                    "请提供 CSV、制表符分隔的文本、.xlsx 或 .parquet 文件（并检查文件扩展名）；把表格重新导出为"
                    "“CSV UTF-8”，或打开文件找到第 {line} 行，删去损坏的内容。"),
    "err_file_empty": ("the file is empty", "文件是空的"),
    "err_file_empty_fix": ("Export the data again; the file has no bytes.", "文件里什么都没有，请重新导出数据。"),
    "err_export_again": ("Export the data again.", "请重新导出数据。"),
    "err_std_more": ("and {n} more problem(s):", "另有 {n} 个问题："),
    "err_std_toml": ("not valid TOML: {detail}", "不是有效的 TOML：{detail}"),
    "err_std_toml_fix": ("Check quotes, brackets and `key = value` on that line.", "请检查这一行的引号、括号和 `键 = 值` 的写法。"),
    # what the TOML reader refuses: its kind of error, column and fix, in either language
    "err_std_toml_at": ("not valid TOML at column {col}: {detail}", "不是有效的 TOML（第 {col} 列）：{detail}"),
    "err_std_toml_end": ("not valid TOML at the end of the file: {detail}", "不是有效的 TOML（文件末尾）：{detail}"),
    "err_toml_unclosed": ("a text in quotes is not closed", "引号里的文本没有结束（缺少收尾的引号）"),
    "err_toml_unclosed_fix": ("Close the text with the quote it opens with (\" or '), on the same line; a text of "
                              "several lines goes between \"\"\" and \"\"\".",
                              "请找到缺少收尾引号的那段文本，在末尾补上与开头相同的英文引号（\" 或 '），并在同一行内结束；"
                              "多行文本请用三个引号 \"\"\" 括起来。"),
    "err_toml_control": ("a control character TOML does not allow: {char}", "有 TOML 不允许的控制字符 {char}"),
    "err_toml_control_fix": ("Delete it (it is not shown; it often comes with pasted text).",
                             "请删去它（它看不见，往往是随粘贴的文字带进来的）。"),
    "err_toml_key_twice": ("key {key} is given twice in one table", "同一个表里键 {key} 写了两次"),
    "err_toml_key_twice_fix": ("Keep one of them; if the second starts another criterion, gate or tier, put "
                               "[[criteria]], [[gates]] or [[tiers]] on a line above it.",
                               "请只保留一处；若第二处是另一条标准项、门槛或层级，请在它上方另起一行写 "
                               "[[criteria]]、[[gates]] 或 [[tiers]]。"),
    "err_toml_key_in_value": ("{holder} is given above as {kind}, so it cannot hold the key {key}",
                              "{holder} 在上文已写成{kind}，不能再在它下面写键 {key}"),
    "err_toml_key_in_value_fix": ("Write `{holder}` one way: a value (`{holder} = …`) or keys below it (`{key} = …`), "
                                  "not both; or rename one of them.",
                                  "`{holder}` 只能有一种写法：要么是一个值（`{holder} = …`），要么在它下面写键（`{key} = …`），"
                                  "不能两者都有；或者给其中一个改名。"),
    "err_toml_inline_key_in_value": ("in the braces, a key is given as a value and with keys below it",
                                     "花括号里有一个键既写成了值，又在它下面写了键"),
    "err_toml_inline_key_in_value_fix": ("Give each key in the braces one way: a value, or keys below it.",
                                         "花括号里的每个键只能有一种写法：要么是一个值，要么在它下面写键。"),
    "err_toml_kind_number": ("a number", "数字"),
    "err_toml_kind_text": ("a text", "文本"),
    "err_toml_kind_bool": ("true or false", "真假值"),
    "err_toml_kind_date": ("a date or time", "日期或时间"),
    "err_toml_kind_value": ("a value", "值"),
    "err_toml_table_clash": ("{table} clashes with a key or table of that name above",
                             "表头 {table} 与上文同名的键或表冲突"),
    "err_toml_table_clash_fix": ("Write the name one way: [[{name}]] above each item of a list, [{name}] once for "
                                 "one table, or {name} = once as a key.",
                                 "同一个名字只能用一种写法：列表的每一项上方都写 [[{name}]]，单个表只写一次 [{name}]，"
                                 "或者只作为键写一次 {name} =。"),
    "err_toml_table_twice": ("table [{name}] is given twice", "表 [{name}] 写了两次"),
    "err_toml_table_twice_fix": ("Put its keys under one [{name}]; only a table in double brackets ([[criteria]]) "
                                 "repeats.",
                                 "请把它的键合并到同一个 [{name}] 下；只有两对方括号的表（如 [[criteria]]）可以重复。"),
    "err_toml_no_equals": ("a key without '=' after it", "键后面缺少等号“=”"),
    "err_toml_no_equals_fix": ("Write `key = value`, e.g. weight = 1 (not a colon, nor a full-width equals sign).",
                               "请写成 `键 = 值`，例如 weight = 1；不能用冒号，也不能用全角的“＝”。"),
    "err_toml_value": ("a value TOML cannot read", "等号后面的值无法识别"),
    "err_toml_value_fix": ("Put text in straight double quotes (\"...\"), not “ ”; write a number with a point and "
                           "without a unit or %; true and false in lower case.",
                           "文本要写在英文双引号里（\"...\"），不能用中文引号“ ”；数字用英文小数点，不带单位或 %；"
                           "真假写成小写的 true / false。"),
    "err_toml_statement": ("a line that is neither `key = value` nor a [table]", "这一行既不是 `键 = 值`，也不是 [表头]"),
    "err_toml_statement_fix": ("Name a key in Latin letters, digits, _ or - (a name in other letters in quotes); "
                               "start a comment with #.",
                               "键名请用英文字母、数字、_ 或 -（其他文字的键名要写在引号里）；注释以 # 开头。"),
    "err_toml_line_end": ("more after the value or table header on this line", "这一行的值或表头后面还有多余的内容"),
    "err_toml_line_end_fix": ("One `key = value` per line; a decimal point, not a comma (0.5); a share in quotes "
                              "(quota = \"5%\"); a comment starts with #.",
                              "一行只写一个 `键 = 值`；小数点用“.”而不是“,”（写 0.5）；百分比写在引号里"
                              "（quota = \"5%\"）；注释以 # 开头。"),
    "err_toml_header": ("a table header without its closing {bracket}", "表头缺少收尾的 {bracket}"),
    "err_toml_header_fix": ("Write it as [standard] or [[criteria]], with nothing after it on the line.",
                            "请写成 [standard] 或 [[criteria]] 的样子，表头后面不要再写别的。"),
    "err_toml_array": ("a list without its closing ]", "列表缺少收尾的“]”"),
    "err_toml_array_fix": ("Close it with ]; separate its items with commas.", "请补上“]”；列表各项之间用英文逗号分隔。"),
    "err_toml_inline": ("an inline table (in braces) not closed on its line", "花括号里的内联表没有在同一行内结束"),
    "err_toml_inline_fix": ("Close it with a brace on the same line; separate its keys with commas, none after the "
                            "last.",
                            "请在同一行内用右花括号结束；各键之间用英文逗号分隔，最后一项后面不要加逗号。"),
    "err_toml_key_start": ("a key or table name starting with a character TOML does not allow",
                           "键名或表名以 TOML 不允许的字符开头"),
    "err_toml_key_start_fix": ("Name keys and tables in Latin letters, digits, _ or - (others in quotes); brackets "
                               "are not left empty; in braces, no comma after the last key and no line break.",
                               "键名和表名请用英文字母、数字、_ 或 -（其他文字写在引号里）；方括号里不能为空；"
                               "花括号里最后一项后面不要加逗号，也不能换行。"),
    "err_toml_backslash": ("a \\ in a text that starts no escape", "文本里有单独的反斜杠“\\”"),
    "err_toml_backslash_fix": ("Write it \\\\, or put the text in single quotes ('C:\\data').",
                               "请写成 \\\\，或把文本写在单引号里（'C:\\data'）。"),
    "err_toml_escape": ("a \\u or \\U escape that is not a character", "文本里的 \\u 或 \\U 转义不是有效的字符"),
    "err_toml_escape_fix": ("Write the character itself, or \\u and four hexadecimal digits (`\\u00e9`).",
                            "请直接写出这个字符，或写成 \\u 加四位十六进制数字（如 `\\u00e9`）。"),
    "err_toml_date": ("a date or time that does not exist", "日期或时间无效"),
    "err_toml_date_fix": ("Write a real date as 2026-06-30 (a time as `2026-06-30T09:00:00`), or put it in quotes as "
                          "text.",
                          "请写成真实存在的日期，如 2026-06-30（时间如 `2026-06-30T09:00:00`），或写在引号里作为文本。"),
    "err_toml_inline_key_twice": ("key {key} is given twice in one inline table", "内联表里键 {key} 写了两次"),
    "err_toml_inline_key_twice_fix": ("Keep one of them.", "请只保留一处。"),
    "err_toml_namespace": ("{key} was given above as a value or an inline table: no key can be added to it",
                           "{key} 在上文已写成值或内联表，不能再往里加键"),
    "err_toml_namespace_fix": ("Give all its keys in one place: in its braces, or under one [table].",
                               "请把它的键写在一处：都写在花括号里，或都写在同一个 [表] 下。"),
    "err_std_unknown_section": ("unknown section [{name}]", "未知的节 [{name}]"),
    "err_std_sections": ("Sections: {names}.", "可用的节：{names}。"),
    "err_std_unknown_key": ("unknown key {key} in [{section}]", "[{section}] 中有未知的键 {key}"),
    "err_std_keys_of": ("Keys of [{section}]: {keys}.", "[{section}] 可用的键：{keys}。"),
    "err_std_keys_allowed": ("Keys allowed there: {keys}.", "这里可用的键：{keys}。"),
    "err_std_missing": ("{where} is missing", "缺少 {where}"),
    "err_std_missing_fix": ("Add `{key} = ...` there.", "请在那里加上 `{key} = ...`。"),
    "err_std_no_criteria": ("the standard has no [[criteria]]", "标准中没有任何 [[criteria]]"),
    "err_std_no_criteria_fix": ("Add at least one [[criteria]] block with name, field and weight.",
                                "请至少加一个 [[criteria]] 块，写明 name、field 和 weight。"),
    "err_std_criterion": ("criterion {name}: {problem}", "指标 {name}：{problem}"),
    "err_std_capacity_field": ("capacity {key}: {problem}", "容量 {key}：{problem}"),
    "err_std_tie_break_field": ("tie_break entry {entry}: {problem}", "tie_break 第 {entry} 项：{problem}"),
    "err_std_gate": ("gate {name}: {problem}", "门槛 {name}：{problem}"),
    # the standard's own rules (xuanba.standard.schema): names from the file come quoted (errors.quoted)
    "err_fields_no_id": ("the fields table has no customer_id column", "字段表没有 customer_id 列"),
    "err_fields_no_id_fix": ("Columns found: {columns}; name the id column customer_id.",
                             "找到的列：{columns}；请把客户编号那一列命名为 customer_id。"),
    "err_fields_id_excel_error": ("the customer id is the Excel error {value}, which names no customer",
                                  "客户编号是 Excel 错误值 {value}，不是任何客户的编号"),
    "err_fields_id_excel_error_fix": ("Fix the formula that gives the id (a lookup that found nothing gives #N/A), "
                                      "or delete the row.",
                                      "请修正给出客户编号的公式（查找不到时得到 #N/A），或删去这一行。"),
    "err_selection_no_id": ("the selection has no customer_id column", "所选名单没有 customer_id 列"),
    "err_selection_no_id_fix": ("Give a table with a customer_id column.", "请给出带 customer_id 列的表。"),
    "err_std_not_found": ("standard file not found", "找不到标准文件"),
    "err_std_not_found_fix": ("Check the path, or write a starter with `xuanba standard init`.",
                              "请检查路径，或用 `xuanba standard init` 先生成一份起步用的标准。"),
    "err_std_not_utf8": ("the standard is not UTF-8 text", "标准文件不是 UTF-8 编码的文本"),
    "err_std_not_utf8_fix": ("Save the file as UTF-8.", "请把文件另存为 UTF-8 编码。"),
    "err_std_twice_criterion": ("criterion name {name} is used twice (criterion names ignore case)",
                                "指标名称 {name} 出现了不止一次（指标名称不区分大小写）"),
    "err_std_twice_gate": ("gate name {name} is used twice", "门槛名称 {name} 出现了不止一次"),
    "err_std_twice_tier": ("tier name {name} is used twice", "层级名称 {name} 出现了不止一次"),
    "err_std_twice_fix": ("Give each one its own name.", "请给每一项起一个不同的名称。"),
    "err_std_roster_field": ("the field {name} has the name of a roster column", "字段 {name} 与名单中的一列同名"),
    "err_std_roster_field_fix": ("Rename that column of your data (e.g. {example}) and use the new name.",
                                 "请在数据中给这一列改名（例如 {example}），并在标准中使用新名称。"),
    "err_std_text_field": ("criterion {name} uses the text field(s) {fields}", "指标 {name} 用到了文本字段 {fields}"),
    "err_std_text_field_fix": ("Use text fields in gates (e.g. `segment != 'internal'`), numbers in criteria.",
                               "文本字段请放在门槛里用（例如 `segment != 'internal'`），指标只能用数字。"),
    "err_std_name_reserved": ("criterion name {name} is taken by a roster column", "指标名称 {name} 已被名单中的一列占用"),
    "err_std_name_reserved_fix": ("Choose another name; taken: {names}.", "请换一个名称；已被占用的有：{names}。"),
    "err_std_name_is_field": ("criterion name {name} is also a field name with another meaning",
                              "指标名称 {name} 恰好是另一个字段的名称，而两者含义不同"),
    "err_std_name_is_field_fix": ("Name it after its field ({field}) or choose another name.",
                                  "请按它所用的字段命名（{field}），或换一个名称。"),
    "err_std_missing_fill": ("criterion {name} fills a missing value with {value}", "指标 {name} 用 {value} 填补缺失值"),
    "err_std_missing_fill_fix": ('Fill with a finite number, "zero" or "median".',
                                 '请用一个有限的数、"zero"（记零分）或 "median"（取中位数）填补。'),
    "err_std_weight": ("criterion {name} has weight {weight}", "指标 {name} 的权重是 {weight}"),
    "err_std_weight_fix": ("Weights are positive; remove a criterion rather than giving it weight 0.",
                           "权重必须是正数；不想要某个指标时，请删掉它，而不是把权重设为 0。"),
    "err_std_bands_unused": ("criterion {name} has bands but normalise = {normalise}",
                             "指标 {name} 写了 bands，但 normalise = {normalise}"),
    "err_std_bands_unused_fix": ('Set normalise = "bands" or remove bands.', '请设 normalise = "bands"，或删掉 bands。'),
    "err_std_weights_sum": ("the weights sum to {total}, neither 1 nor 100", "权重之和为 {total}，既不是 1 也不是 100"),
    "err_std_weights_sum_fix": ("Make them sum to 1 (or 100) so each reads as a share, e.g. {shares}.",
                                "请让权重之和为 1（或 100），这样每个权重就是它所占的比重，例如 {shares}。"),
    "err_std_capacity_pair": ("capacity needs both cost_field and budget, or neither",
                              "容量的 cost_field 和 budget 要么都写，要么都不写"),
    "err_std_capacity_pair_fix": ("Give the field with each account's cost (e.g. cost_to_serve_365d) and the total "
                                  "budget.", "请写明记着每个客户成本的字段（例如 cost_to_serve_365d）和总预算。"),
    "err_std_tie_break_entry": ("tie_break entry {entry} {item} is not `field` or `field asc|desc`",
                                "tie_break 第 {entry} 项 {item} 的写法不对，应为 `字段` 或 `字段 asc|desc`"),
    "err_std_tie_break_entry_fix": ('Write e.g. order = ["clv_3y desc", "customer_id"].',
                                    '请写成例如 order = ["clv_3y desc", "customer_id"]。'),
    "err_std_bands_fix": ("Write bands as [threshold, points] pairs with rising thresholds, e.g. bands = [[0, 0], "
                          "[1000, 50], [10000, 100]]; points 0-100, rising in the better direction.",
                          "请把 bands 写成一组 [阈值, 分数]，阈值逐个升高，例如 bands = [[0, 0], [1000, 50], "
                          "[10000, 100]]；分数在 0 到 100 之间，越往好的方向分数越高。"),
    "err_std_bands_none": ("criterion {name} uses bands but gives none", "指标 {name} 按分档打分，却一档也没有给出"),
    "err_std_bands_rise": ("criterion {name}: band thresholds must rise", "指标 {name}：分档的阈值必须逐个升高"),
    "err_std_bands_points": ("criterion {name}: band points must be between 0 and 100",
                             "指标 {name}：分档的分数必须在 0 到 100 之间"),
    "err_std_bands_higher": ("criterion {name}: higher is better, so points must not fall as thresholds rise",
                             "指标 {name}：数值越高越好，所以阈值升高时分数不能下降"),
    "err_std_bands_lower": ("criterion {name}: lower is better, so points must not rise with thresholds",
                            "指标 {name}：数值越低越好，所以阈值升高时分数不能上升"),
    "err_std_tier_empty": ("tier {name} has neither min_score nor quota", "层级 {name} 既没有 min_score，也没有 quota"),
    "err_std_tier_empty_fix": ('Give a minimum score (e.g. min_score = 70), a quota (quota = 50 or "5%"), or both.',
                               '请给出最低分（例如 min_score = 70）或名额（quota = 50 或 "5%"），也可以两者都给。'),
    "err_std_tier_overlap": ("tier {name} (min_score {min}) overlaps tier {above} above it (min_score {above_min})",
                             "层级 {name}（min_score {min}）与上一级 {above}（min_score {above_min}）重叠"),
    "err_std_tier_overlap_fix": ("List tiers best first with falling min_score, e.g. A 80, B 60, C 40.",
                                 "请从最好的层级排起，min_score 逐级降低，例如 A 80、B 60、C 40。"),
    "err_std_criterion_name": ("a criterion name is letters, digits and _ (it becomes a column name)",
                               "指标名称只能由字母、数字和 _ 组成（它会成为一列的列名）"),
    "err_std_quota_positive": ('a quota is a positive number of customers, e.g. 50, or a share, e.g. "5%"',
                               '名额须为正的客户数（例如 50）或比例（例如 "5%"）'),
    "err_std_quota": ('a quota is a number of customers, e.g. 50, or a share, e.g. "5%"',
                      '名额须为客户数（例如 50）或比例（例如 "5%"）'),
    "err_std_quadrant_keys": ("quadrant names need exactly the keys {keys}", "象限名称必须恰好有这几个键：{keys}"),
    # what pydantic refuses: the English is pydantic's own message; these give the other language its words
    "err_std_not_allowed": ("{where}: {value} is not allowed", "{where}：不能写 {value}"),
    "err_std_use_one": ("Use one of {values}.", "请从 {values} 中选一个。"),
    "err_std_want_number": ("should be a number", "这里应填数字"),
    "err_std_want_whole": ("should be a whole number", "这里应填整数"),
    "err_std_want_text": ("should be text in quotes", "这里应填文本（写在引号里）"),
    "err_std_want_bool": ("should be true or false", "这里应填 true 或 false"),
    "err_std_want_list": ("should be a list in [ ]", "这里应填一个列表（写在 [ ] 里）"),
    "err_std_want_table": ("should be a table of keys and values", "这里应是一个由键和值组成的表"),
    "err_std_want_ge": ("should be at least {n}", "不能小于 {n}"),
    "err_std_want_gt": ("should be more than {n}", "必须大于 {n}"),
    "err_std_want_le": ("should be at most {n}", "不能大于 {n}"),
    "err_std_want_lt": ("should be less than {n}", "必须小于 {n}"),
    "err_std_want_at_most": ("should have at most {n} items, not {actual}", "最多只能有 {n} 项，这里有 {actual} 项"),
    "err_std_want_at_least": ("should have at least {n} items, not {actual}", "至少要有 {n} 项，这里只有 {actual} 项"),
    "err_expr_empty": ("the expression is empty", "规则是空的"),
    "err_expr_empty_fix": ("Write a rule such as `margin_365d > 0`.", "请写一条规则，例如 `margin_365d > 0`。"),
    "err_expr_too_long": ("the expression is {n} characters long (at most {max})", "规则有 {n} 个字符，太长了（最多 {max} 个）"),
    "err_expr_too_long_fix": ("Split it into simpler gates.", "请拆成几个更简单的门槛。"),
    "err_expr_lines": ("the expression spans several lines", "规则写成了好几行"),
    "err_expr_lines_fix": ("Write it on one line.", "请写在一行里。"),
    "err_expr_deep": ("the expression is nested too deeply", "规则嵌套得太深"),
    "err_expr_deep_fix": ("Simplify it.", "请把它写得简单些。"),
    "err_expr_symbol": ("{what} is not allowed in a rule", "规则中不能用{what}"),
    "err_expr_syntax": ("{what} is not allowed in a rule", "规则中不能用 {what} 这种写法"),
    "err_expr_plain_fix": ("Use field names, numbers, comparisons and the listed functions only.",
                           "只能用字段名、数字、比较和列出的函数。"),
    "err_expr_symbol_attribute": ("attribute access (a.b)", "属性访问（a.b）"),
    "err_expr_symbol_subscript": ("subscripts (a[...])", "下标（a[...]）"),
    "err_expr_symbol_lambda": ("lambda", "匿名函数（lambda）"),
    "err_expr_symbol_comprehension": ("comprehensions", "推导式"),
    "err_expr_symbol_assignment": ("assignment (:=)", "赋值（:=）"),
    "err_expr_symbol_starred": ("star arguments", "星号参数（*）"),
    "err_expr_symbol_dict": ("dictionaries", "字典"),
    "err_expr_symbol_set": ("sets", "集合"),
    "err_expr_symbol_fstring": ("f-strings", "格式化字符串（f-string）"),
    "err_expr_symbol_await": ("await", "等待表达式（await）"),
    "err_expr_symbol_yield": ("yield", "生成器表达式（yield）"),
    "err_expr_int_big": ("the number {digits}… ({n} digits) is too large", "数字 {digits}…（共 {n} 位）太大了"),
    "err_expr_int_big_fix": ("Numbers in a rule fit 64 bits: use at most 18 digits.", "规则中的数字须在 64 位以内：最多写 18 位。"),
    "err_expr_float_big": ("a number in the rule is too large", "规则中有个数字太大了"),
    "err_expr_float_big_fix": ("Write a finite number, at most about 1e308.", "请写一个有限的数，最大约 1e308。"),
    "err_expr_value": ("the value {value} is not allowed", "不能用值 {value}"),
    "err_expr_value_fix": ("Use numbers, quoted text, True or False.", "请用数字、加引号的文本、True 或 False。"),
    "err_expr_underscore": ("the name {name} is not allowed", "不能用名称 {name}"),
    "err_expr_underscore_fix": ("Field names do not start with an underscore.", "字段名不以下划线开头。"),
    "err_expr_tilde": ("the operator ~ is not allowed", "不能用运算符 ~"),
    "err_expr_tilde_fix": ("Use `not`.", "请用 `not`。"),
    "err_expr_operator": ("the operator {op} is not allowed", "不能用运算符 {op}"),
    "err_expr_operator_fix": ("Use + - * / // % ** only.", "只能用 + - * / // % **。"),
    "err_expr_in_list": ("`in` needs a list of plain values", "`in` 后面须是一组普通的值"),
    "err_expr_in_fix": ("Write e.g. `segment in ['retail', 'wholesale']`.", "请写成例如 `segment in ['retail', 'wholesale']`。"),
    "err_expr_comparison": ("the comparison {op} is not allowed", "不能用比较 {op}"),
    "err_expr_comparison_fix": ("Use < <= > >= == != or in.", "请用 < <= > >= == != 或 in。"),
    "err_expr_call_other": ("only the listed functions may be called", "只能调用列出的函数"),
    "err_expr_functions": ("Functions: {names}.", "可用的函数：{names}。"),
    "err_expr_not_function": ("{name} is not a function a rule may call", "规则中不能调用 {name}"),
    "err_expr_keywords": ("keyword arguments are not allowed", "不能用关键字参数"),
    "err_expr_keywords_fix": ("Call {name}(...) with plain arguments.", "调用 {name}(...) 时请直接给出参数。"),
    "err_expr_arity": ("{name}() takes {want} argument(s), got {got}", "{name}() 需要 {want} 个参数，这里给了 {got} 个"),
    "err_expr_arity_fix": ("Write {call}.", "请写成 {call}。"),
    "err_expr_text_arithmetic": ("text {value} cannot be used in arithmetic", "文本 {value} 不能参与加减乘除"),
    "err_expr_list": ("a list is only allowed after `in`", "列表只能写在 `in` 后面"),
    "err_expr_unknown_field": ("unknown field {name}", "未知字段 {name}"),
    "err_expr_unknown_field_fix": ("{hint}Known fields: {fields}.", "{hint}已知字段：{fields}。"),
    "err_did_you_mean": ("Did you mean {names}? ", "您是不是想写 {names}？"),
    "err_fields_missing": ("the standard uses fields the data do not have:{fields}", "标准用到了数据中没有的字段：{fields}"),
    "err_fields_missing_fix": ("Provide them (extra_fields= or the side tables) or change the standard.",
                               "请提供这些字段（extra_fields= 或附表），或修改标准。"),
    "err_fields_missing_fix_engine": ("A round on an engine reads the side tables of its --workspace; provide them "
                                      "there, or change the standard.",
                                      "引擎上的轮次从它的 --workspace 读取附表；请在那里提供这些字段，或修改标准。"),
    "err_field_from_account": ("{name} (account field: load interactions/commitments with `xuanba ingest --kind`)",
                               "{name}（客户经营字段：用 `xuanba ingest --kind` 导入 interactions/commitments 表）"),
    "err_field_from_account_engine": ("{name} (account field: load interactions/commitments into the --workspace "
                                      "with `xuanba ingest --kind`)",
                                      "{name}（客户经营字段：用 `xuanba ingest --kind` 把 interactions/commitments "
                                      "表导入 --workspace）"),
    "err_field_from_customers": ("{name} (customer attribute: load a customers table)",
                                 "{name}（客户属性：导入 customers 表）"),
    "err_field_from_customers_engine": ("{name} (customer attribute: load a customers table into the --workspace)",
                                        "{name}（客户属性：把 customers 表导入 --workspace）"),
    "err_field_from_predictions": ("{name} (prediction: the predictions table lacks it; add that column, or give "
                                   "no predictions)",
                                   "{name}（预测字段：所给的预测表中没有这一列；请补上这一列，或不给预测表）"),
    "err_field_from_facts": ("{name} (fact: the facts computed from the transactions lack it; check the "
                             "transactions have the columns it needs)",
                             "{name}（事实字段：由交易计算的事实中没有它；请检查交易表是否有计算它所需的列）"),
    "err_field_from_extra": ("{name} (extra field: give it as a column of the --fields file, or extra_fields=)",
                             "{name}（另给字段：作为 --fields 文件中的一列提供，或用 extra_fields=）"),
    "err_extra_builtin_case": ("the extra fields' column {column} differs from the built-in field {field} only in case",
                               "另给字段中的列 {column} 与内置字段 {field} 只差大小写"),
    "err_engine_out_of_range": ("a value of the standard's fields is too large for the engine to take its spread "
                                "({detail})",
                                "标准所用字段中有数值过大，引擎无法计算其离散程度（{detail}）"),
    "err_engine_out_of_range_fix": ("Bring the field to a smaller unit (e.g. divide it by 1e6) or fill its missing "
                                    "values with a smaller number: values beyond about 1e154 cannot be squared.",
                                    "把该字段换成更大的单位（例如除以 1e6），或用更小的数填补缺失值：超过约 1e154 "
                                    "的数值无法平方。"),
    "err_criterion_text": ("criterion {criterion} reads this column as numbers, and {value} (customer {customer}) is "
                           "not a number", "指标 {criterion} 按数字读取这一列，而 {value}（客户 {customer}）不是数字"),
    "err_criterion_text_fix": ("Write a plain number in each cell of that column (1234.5; an empty cell is missing), or "
                               "read the text in a gate (e.g. segment == 'A') rather than in a criterion.",
                               "请在该列每个单元格中填写普通数字（1234.5；空单元格按缺失计），或在门槛中使用文本"
                               "（例如 segment == 'A'），而不是在指标中使用。"),
    "err_criterion_text_typed": ("criterion {criterion} reads this column as numbers, and the column is text: text is "
                                 "not a number, even where it reads as one",
                                 "指标 {criterion} 按数字读取这一列，而该列是文本：文本不是数字，即使它读起来像数字"),
    "err_criterion_text_typed_fix": ("Give that column as numbers (in Python, e.g. pd.to_numeric(frame[column])), or "
                                     "read it in a gate rather than in a criterion.",
                                     "请以数值类型提供该列（在 Python 中可用 pd.to_numeric(frame[column])），或在门槛中"
                                     "使用它，而不是在指标中使用。"),
    "err_criterion_date": ("criterion {criterion} reads this column as numbers, and the column holds dates: a date is "
                           "not a number", "指标 {criterion} 按数字读取这一列，而该列是日期：日期不是数字"),
    "err_criterion_date_fix": ("Give it as a number (e.g. the days since that date) in the fields, or read the date "
                               "in a gate rather than in a criterion.",
                               "请在字段中把它换成数字（例如距该日期的天数），或在门槛中使用日期，而不是在指标中使用。"),
    "err_extra_money": ("the extra field {column} holds values that are not money, the first {value} (customer "
                        "{customer})", "另给字段 {column} 中有不是金额的值，第一个为 {value}（客户 {customer}）"),
    "err_extra_money_fix": ("Give a number below 1e14 in absolute value, plain (1234.5) or as ingest reads an amount "
                            "(1,234.50, ¥1,234.50, (12.00) for -12), or leave the cell empty (missing).",
                            "请填写绝对值小于 1e14 的数字，写成普通数字（1234.5）或 ingest 能读的金额写法"
                            "（1,234.50、¥1,234.50、(12.00) 表示 -12、1.2万），或留空（缺失）。"),
    "err_extra_money_percent_fix": ("A percentage (12%) is a rate, not an amount of money: give the amount itself "
                                    "(e.g. the revenue times the rate), plain (1234.5) or as ingest reads an amount "
                                    "(1,234.50, ¥1,234.50), or leave the cell empty (missing).",
                                    "百分比（12%）是比率，不是金额：请填写金额本身（例如收入乘以该比率），写成普通数字"
                                    "（1234.5）或 ingest 能读的金额写法（1,234.50、¥1,234.50、1.2万），或留空（缺失）。"),
    "err_decimal_mixed": ("the column mixes decimal points and decimal commas: {n_dot} rows are written like 1,234.50 "
                          "or 12.5 (rows {dot_rows}) and {n_comma} like 1.234,50 or 12,5 (rows {comma_rows})",
                          "该列混用了小数点和小数逗号：{n_dot} 行写成 1,234.50 或 12.5 这样（第 {dot_rows} 行），"
                          "{n_comma} 行写成 1.234,50 或 12,5 这样（第 {comma_rows} 行）"),
    "err_decimal_ambiguous": ("the column's decimal mark is ambiguous: 1.234 (rows {dot_rows}) and 1,234 (rows "
                              "{comma_rows}) each read as a thousand or as a little over one",
                              "该列的小数点无法判断：1.234（第 {dot_rows} 行）和 1,234（第 {comma_rows} 行）"
                              "既可读作一千多，也可读作一点几"),
    "err_extra_money_mark": ("the extra field {column} writes its numbers with a decimal mark that cannot be told: "
                             "{detail}", "另给字段 {column} 的数字无法判断小数点是哪个符号：{detail}"),
    "err_extra_money_mark_fix": ("Write the numbers of that column with one decimal mark, plainly (1234.5), or with "
                                 "the decimal comma throughout (1.234,50).",
                                 "请让该列的数字使用同一种小数点：写成普通数字（1234.5），或全部使用小数逗号（1.234,50）。"),
    "err_extra_round_id": ("the extra fields have a column {column}, a name the stored rounds use themselves",
                           "另给字段中有一列名为 {column}，这是已存轮次自己使用的名称"),
    "err_extra_same_name": ("the extra fields' columns {column} and {other} are one name, {name}, ignoring case "
                            "and full-width characters",
                            "另给字段中的列 {column} 与 {other} 在忽略大小写和全角字符后是同一个名称 {name}"),
    "err_extra_bad_name": ("the extra fields have a column named {column}, which a round cannot store (empty, or "
                           "with a line break or another control character)",
                           "另给字段中有一列名为 {column}，轮次无法存储这样的名称（为空，或含换行等控制字符）"),
    "err_extra_plain_name": ("Rename the column {column} to a plain name (not empty, no line break or tab).",
                             "请把列 {column} 改为普通名称（不为空，不含换行或制表符）。"),
    "err_extra_rename": ("Rename the column {column} (a field of your own needs a name of its own).",
                         "请给列 {column} 改名（自有字段需要一个独有的名称）。"),
    "err_std_unknown_field_fix": ("{hint}Known fields: {fields}. {table}{more}", "{hint}已知字段：{fields}。{table}{more}"),
    "err_std_customer_columns": ("Columns of the customers table: {names}. ", "客户表的列：{names}。"),
    "err_std_extras_given": ("Extra fields given (--fields, extra_fields=): {names}; a field of your own must be "
                             "one of their columns or a column of the workspace's customers table.",
                             "另给的字段（--fields、extra_fields=）：{names}；自有字段须是其中的一列，"
                             "或工作区 customers 表中的一列。"),
    "err_std_no_extras": ("No extra fields were given: a field of your own comes as a column of the workspace's "
                          "customers table or of the round's --fields file (extra_fields= in Python).",
                          "未另给任何字段：自有字段须是工作区 customers 表中的一列，或该轮 --fields 文件中的一列"
                          "（Python 中用 extra_fields=）。"),
    "err_std_field_own_check": ("If {name} is a field of your own, check with `xuanba standard check FILE --field "
                                "{name}`; a round reads it from a column of its --fields file.",
                                "如果 {name} 是自有字段，请用 `xuanba standard check 文件 --field {name}` 再检查；"
                                "轮次会从 --fields 文件中的同名列读取它。"),
    "err_std_extras_given_web": ("Extra fields of this workspace's rounds: {names}; a field of your own must be "
                                 "one of them.",
                                 "本工作区各轮另给的字段：{names}；自有字段须是其中之一。"),
    "err_std_no_extras_web": ("No round of this workspace was given extra fields: a field of your own can be used "
                              "here once it is a column of the workspace's customers table, or once a round has "
                              "been run with it as an extra field.",
                              "本工作区还没有哪一轮另给过字段：自有字段须是工作区 customers 表中的一列，"
                              "或先在某一轮中作为另给字段使用，才能在这里使用。"),
    "err_expr_unreadable": ("cannot read the expression: {detail}", "无法读懂这条规则：{detail}"),
    "err_expr_unreadable_fix": ("Use field names, numbers, comparisons and and/or/not, e.g. "
                                "`margin_365d > 0 and p_alive >= 0.3`.",
                                "规则里只能用字段名、数字、比较符号和 and/or/not，例如 `margin_365d > 0 and p_alive >= 0.3`。"),
    # what Python's parser refuses in a rule (its English shown as it is to an English reader; these for another)
    "err_syntax_end": ("the rule ends after {tail}, before it is complete", "规则在 {tail} 之后就结束了，没有写完"),
    "err_syntax_end_fix": ("Follow each comparison, sign (+ - * / %) and `and`, `or`, `not` with a field or a number, e.g. "
                           "`frequency > 0`; a share as a decimal (0.3, not 30%).",
                           "比较符号、运算符号（+ - * / %）和 `and`、`or`、`not` 后面都要跟字段或数字，例如 `frequency > 0`；"
                           "百分比请写成小数（0.3，而不是 30%）。"),
    "err_syntax_here": ("the rule is not written as a rule", "写法有误"),
    "err_syntax_here_fix": ("Join two conditions with `and` or `or`; use field names, numbers, comparisons and "
                            "`and`, `or`, `not`, e.g. `margin_365d > 0 and p_alive >= 0.3`.",
                            "两个条件之间要用 `and` 或 `or` 连接；规则里只能用字段名、数字、比较符号和 `and`、`or`、`not`，"
                            "例如 `margin_365d > 0 and p_alive >= 0.3`。"),
    "err_syntax_c_ops": ("{op} is not how a rule says and, or, not", "规则里不能用 {op}"),
    "err_syntax_c_ops_fix": ("Write `and`, `or`, `not`, e.g. `p_alive > 0.3 and not single_threaded`.",
                             "“并且”请写 `and`，“或者”写 `or`，“取反”写 `not`，例如 `p_alive > 0.3 and not single_threaded`。"),
    "err_syntax_arrow": ("{op} is not a comparison", "{op} 不是比较符号"),
    "err_syntax_arrow_fix": ("Write >= for at least and <= for at most.", "大于等于请写成 >=，小于等于请写成 <=。"),
    "err_syntax_equals": ("= is not a comparison", "“=”不是比较符号"),
    "err_syntax_equals_fix": ("Write == for equal, e.g. segment == 'vip'.", "相等请写成 ==，例如 segment == 'vip'。"),
    "err_syntax_quote": ("a text in quotes is not closed", "引号里的文本没有结束（缺少收尾的引号）"),
    "err_syntax_quote_fix": ("Close the text with the quote it opens with; in a rule written in TOML's double quotes, "
                             "quote a text with single ones: expr = \"segment == 'vip'\".",
                             "请在文本末尾补上与开头相同的英文引号；规则本身写在 TOML 的双引号里时，其中的文本请用单引号："
                             "expr = \"segment == 'vip'\"。"),
    "err_syntax_not_closed": ("{open} is not closed", "{open} 没有对应的右括号"),
    "err_syntax_not_closed_fix": ("Close it with {close}.", "请补上 {close}。"),
    "err_syntax_unmatched": ("{close} closes nothing", "多了一个 {close}，前面没有与它配对的左括号"),
    "err_syntax_unmatched_fix": ("Delete it, or open it earlier with {open}.", "请删去它，或在前面补上 {open}。"),
    "err_syntax_mismatch": ("{close} does not close {open}", "右括号 {close} 与左括号 {open} 不配对"),
    "err_syntax_mismatch_fix": ("Close {open} with {match}.", "请用 {match} 与 {open} 配对。"),
    "err_syntax_char": ("the character {char} ({code}) cannot be in a rule", "规则里不能有字符 {char}（{code}）"),
    "err_syntax_char_fix": ("Write it as {ascii}, the Latin (half-width) sign.", "请改成英文半角的 {ascii}。"),
    "err_syntax_char_drop_fix": ("Delete it, or write the sign in Latin (half-width) letters.",
                                 "请删去它，或改用英文半角符号。"),
    "err_syntax_invisible": ("a character that is not shown ({code})", "规则里有看不见的字符（{code}）"),
    "err_syntax_invisible_fix": ("Delete it (it often comes with pasted text); a full-width space (U+3000) is written "
                                 "as a plain space.",
                                 "请删去它（往往是随粘贴的文字带进来的）；全角空格（U+3000）请改成普通空格。"),
    "err_syntax_leading_zero": ("a number that starts with 0", "数字不能以 0 开头（如 01）"),
    "err_syntax_leading_zero_fix": ("Write it without the 0 (1); a code such as '01' in quotes, as text.",
                                    "请去掉开头的 0（写成 1）；若是编号这类文本，请写在引号里，如 '01'。"),
    "err_syntax_number": ("a number followed by letters or other signs", "数字后面直接跟了字母或其他字符"),
    "err_syntax_number_fix": ("Write a number without a unit or % (100, not 100 yuan; 0.3, not 30%); a field name does "
                              "not start with a digit.",
                              "数字不要带单位或 %（写 100 而不是 100元，写 0.3 而不是 30%）；字段名不能以数字开头。"),
    "err_syntax_else": ("`x if c` without `else y`", "`x if 条件` 缺少 `else y` 部分"),
    "err_syntax_else_fix": ("Write `x if c else y`, e.g. `1 if p_alive > 0.5 else 0`.",
                            "请写成 `x if 条件 else y`，例如 `1 if p_alive > 0.5 else 0`。"),
    "err_syntax_comma": ("a comma may be missing", "可能缺少逗号"),
    "err_syntax_comma_fix": ("Separate a function's arguments and a list's items with commas, e.g. `max(a, b)`.",
                             "函数的各个参数、列表的各项之间要用英文逗号分隔，例如 `max(a, b)`。"),
    "err_syntax_backslash": ("a \\ in a rule", "规则里不能有反斜杠“\\”"),
    "err_syntax_backslash_fix": ("Delete it; write the rule on one line.", "请删去它，规则写在一行里。"),
    "err_expr_too_big_for_engine": ("the rule {rule} is too deeply nested for the engine: written out for it, it has "
                                    "{size} parts (numpy's //, % and round take a dozen cases each)",
                                    "规则 {rule} 嵌套太深，无法交给引擎计算：展开后有 {size} 个部分（//、% 和 round 各需十几种情形）"),
    "err_expr_too_big_for_engine_fix": ("Nest //, % and round less deeply (e.g. keep one of them per rule and put the rest in "
                                        "a field).",
                                        "减少 //、% 和 round 的嵌套（例如每条规则只用其中一个，其余先算成字段）。"),
    "err_no_rounds": ("the workspace has no rounds yet", "工作区里还没有任何轮次"),
    "err_no_rounds_fix": ("Run `xuanba round --standard S.toml --cutoff DATE` first.",
                          "请先运行 `xuanba round --standard S.toml --cutoff 日期`。"),
    "err_only_one_round": ("there is only one round", "目前只有一轮"),
    "err_only_one_round_fix": ("Run another round, or name two rounds.", "请再运行一轮，或指定两个轮次。"),
    "err_not_round_id": ("{ref} is not a round id", "{ref} 不是轮次编号"),
    "err_not_round_id_fix": ("Give a number from `xuanba rounds`, or latest / previous.",
                             "请给出 `xuanba rounds` 列出的编号，或 latest / previous。"),
    "err_no_round": ("there is no round {round_id}", "没有第 {round_id} 轮"),
    "err_no_round_fix": ("Pick a round id listed by `xuanba rounds`.", "请从 `xuanba rounds` 列出的轮次中选一个编号。"),
    "err_out_of_memory": ("DuckDB needed more memory than its limit of {limit} ({detail})",
                          "DuckDB 所需内存超过了它的上限 {limit}（{detail}）"),
    "err_out_of_memory_fix": ("Raise the limit with the environment variable XUANBA_MEMORY_LIMIT (e.g. "
                              "XUANBA_MEMORY_LIMIT=8GB; by default a quarter of the machine's memory), or free "
                              "memory; beyond one machine, run the round on Spark (--engine spark).",
                              "用环境变量 XUANBA_MEMORY_LIMIT 调高上限（例如 XUANBA_MEMORY_LIMIT=8GB；默认为本机"
                              "内存的四分之一），或释放内存；单机容纳不下时，用 Spark 运行这一轮（--engine spark）。"),
    "err_scoring_memory": ("scoring {n} customers needed more memory than the {limit} xuanba gives the scoring of a "
                           "base this large ({detail})",
                           "为 {n} 位客户评分所需内存超过了 xuanba 给这种规模评分的上限 {limit}（{detail}）"),
    "err_scoring_memory_fix": ("Give the scoring more with the environment variable {name} (e.g. {name}={size}; it stays "
                               "within XUANBA_MEMORY_LIMIT, which may need raising too), or free memory; beyond one "
                               "machine, run the round on Spark (--engine spark).",
                               "用环境变量 {name} 给评分更多内存（例如 {name}={size}；它不会超过 XUANBA_MEMORY_LIMIT，"
                               "后者可能也需调高），或释放内存；单机容纳不下时，用 Spark 运行这一轮（--engine spark）。"),
    "err_scoring_memory_env": ("the environment variable {name} = {value} is not a memory size",
                               "环境变量 {name} = {value} 不是内存大小"),
    "err_scoring_memory_env_fix": ("Give a size such as {name}=4GB or {name}=3500MiB, or unset it.",
                                   "请给出诸如 {name}=4GB 或 {name}=3500MiB 的大小，或取消该变量。"),
    "err_ws_locked": ("{who} holds the workspace open", "{who}正占用着工作区"),
    "err_ws_read_here": ("another thread of this process has held the workspace open read-only for {seconds} s, so "
                         "it cannot be opened to write here",
                         "本进程的另一个线程以只读方式打开工作区已有 {seconds} 秒，因此这里无法以写入方式打开它"),
    "err_ws_read_this": ("this thread holds the workspace open read-only (a Workspace(path, read_only=True) not "
                         "closed yet), so it cannot be opened to write here",
                         "本线程正以只读方式打开着工作区（一个尚未关闭的 Workspace(path, read_only=True)），因此这里无法以写入方式打开它"),
    "err_ws_read_here_fix": ("Close that reading Workspace (or let its call finish), then run this one; or open "
                             "the workspace once with Workspace(path) and pass it to both calls.",
                             "请关闭那个只读的 Workspace（或等它的调用结束）后再运行这个；或用 Workspace(path) 打开工作区一次，"
                             "把它传给两个调用。"),
    "err_ws_other_pid": ("another process (PID {pid})", "另一个进程（PID {pid}）"),
    "err_ws_other": ("another process", "另一个进程"),
    "err_ws_locked_fix": ("Wait for that process to finish (or close it), or choose another --workspace; reading "
                          "commands can still read a workspace another reader holds. A process holds the file until "
                          "every Workspace it opened on it is closed (in a notebook, close them all, read-only ones too).",
                          "请等那个进程结束（或将其关闭），或改用别的 --workspace；只读的命令仍可读取被其他读取者打开的工作区。"
                          "一个进程要等它在这个文件上打开的每个 Workspace 都关闭后才放开文件（在 notebook 里请把它们都关闭，"
                          "只读的也要关）。"),
    "err_ws_locked_read_fix": ("That process has the file open to write, or has written and still holds a Workspace "
                               "open on it: a read-only Workspace opened while it was writing holds the file as the "
                               "writer did until it is closed. Wait for that process to finish, or close that "
                               "Workspace (in a notebook, ws.close()); or choose another --workspace.",
                               "那个进程正以写入方式打开着这个文件，或者已经写完却仍开着一个 Workspace：在它写入期间以只读方式"
                               "打开的 Workspace，在关闭之前会像写入者一样占着文件。请等那个进程结束，或关闭那个 Workspace"
                               "（在 notebook 里调用 ws.close()）；或者改用别的 --workspace。"),
    "err_ws_setting": ("DuckDB does not accept {key} = {value}: {detail}", "DuckDB 不接受 {key} = {value}：{detail}"),
    "err_ws_setting_fix": ("Correct {source}: a size such as 4GB or 800MB for the memory limit, a folder you may "
                           "write for the temporary directory.",
                           "请改正 {source}：内存上限写成 4GB 或 800MB 这样的大小，临时目录写成一个可写的文件夹。"),
    "err_ws_newer": ("the workspace has schema version {version}, written by xuanba {writer}; this xuanba ({mine}) "
                     "knows schema versions up to {known}",
                     "工作区的结构是第 {version} 版，由 xuanba {writer} 写入；本 xuanba（{mine}）只认得到第 {known} 版为止的结构"),
    "err_ws_newer_fix": ("Upgrade xuanba (pip install -U xuanba) to use this workspace; it was left unchanged.",
                         "请升级 xuanba（pip install -U xuanba）后再使用这个工作区；它未被改动。"),
    "err_ws_open_read": ("cannot open the workspace to read: {detail}", "无法以只读方式打开工作区：{detail}"),
    "err_ws_open_write": ("cannot open the workspace to write: {detail}", "无法以写入方式打开工作区：{detail}"),
    "err_ws_open_fix": ("Check that the file may be read (and written, for a writing command); the reading "
                        "commands work on a file you may not write to.",
                        "请检查这个文件是否可读（写入类命令还须可写）；只读的命令也能用于你无权写入的文件。"),
    "err_ws_older_read_only": ("the workspace has schema version {version} (an older xuanba's layout) and this xuanba "
                               "reads version {known}; a read-only open does not upgrade it",
                               "工作区的结构是第 {version} 版（较旧的 xuanba 的布局），本 xuanba 读取第 {known} 版；"
                               "只读打开不会升级它"),
    "err_ws_older_read_only_fix": ("Run `xuanba upgrade --workspace {path}` once (or any command that writes, such as "
                                   "`xuanba facts`) with write access to the file, then run this command again.",
                                   "请在对该文件有写权限时运行一次 `xuanba upgrade --workspace {path}`（或任何会写入的命令，"
                                   "例如 `xuanba facts`），然后再运行这个命令。"),
    "err_ws_upgrade_failed": ("upgrading the workspace from schema version {version} to {known} failed ({detail}); "
                              "nothing was changed",
                              "把工作区从第 {version} 版结构升级到第 {known} 版失败（{detail}）；文件未被改动"),
    "err_ws_upgrade_failed_fix": ("Keep the file and report this as a bug in xuanba; an older xuanba still opens it.",
                                  "请保留这个文件并把此问题作为 xuanba 的缺陷报告；较旧的 xuanba 仍能打开它。"),
    "err_ws_disk_full": ("the disk is full (no space left on device)", "磁盘已满（设备上没有剩余空间）"),
    "err_ws_disk_full_fix": ("Free space on the disk holding {path}, then run the command again; the workspace is "
                             "unchanged.",
                             "请在存放 {path} 的磁盘上腾出空间，然后再运行这个命令；工作区未被改动。"),
    "err_ws_damaged": ("the workspace file is damaged (corrupt or truncated): {detail}",
                       "工作区文件已损坏（内容错乱或被截断）：{detail}"),
    "err_ws_damaged_fix": ("Restore it from a backup; xuanba cannot read it. Keep the damaged file for inspection.",
                           "请用备份恢复它；xuanba 无法读取这个文件。请保留损坏的文件以便检查。"),
    "err_ws_layout": ("the table {table} does not have the columns xuanba expects: {columns} missing",
                      "{table} 表缺少 xuanba 需要的列：{columns}"),
    "err_ws_layout_fix": ("The file was changed by hand or by another tool: restore the columns (or the file from a "
                          "backup), or ingest the data into a new workspace.",
                          "这个文件被手工或其他工具改动过：请恢复这些列（或用备份恢复文件），或把数据导入一个新的工作区。"),
    "err_ws_folder": ("the workspace path is a folder, not a file", "工作区路径是一个文件夹，而不是文件"),
    "err_ws_folder_fix": ("Pass --workspace with a file path, e.g. {path}.", "请用 --workspace 给出一个文件路径，例如 {path}。"),
    "err_ws_not_duckdb": ("this file is not a xuanba workspace (a DuckDB database file)",
                          "这个文件不是 xuanba 工作区（DuckDB 数据库文件）"),
    "err_ws_not_duckdb_fix": ("Pass --workspace with the workspace's .duckdb file; to load a data file into a "
                              "workspace use `xuanba ingest FILE`.",
                              "请用 --workspace 给出工作区的 .duckdb 文件；要把数据文件载入工作区，请用 `xuanba ingest 文件`。"),
    "err_ws_lent_read_only": ("this needs to write, but the workspace was opened read-only",
                              "这一步需要写入，但工作区是以只读方式打开的"),
    "err_ws_lent_read_only_fix": ("Pass Workspace(path) (read_only=False), or the path itself.",
                                  "请传入 Workspace(path)（read_only=False），或直接传入路径。"),
    "err_ws_not_found": ("workspace file not found", "找不到工作区文件"),
    "err_ws_not_found_fix": ("Run `xuanba ingest FILE` first, or pass --workspace with the right path.",
                             "请先运行 `xuanba ingest 文件`，或用 --workspace 给出正确的路径。"),
    "err_ws_not_found_existing": ("Pass --workspace with the path of an existing workspace.",
                                  "请用 --workspace 给出一个已有工作区的路径。"),
    "err_labels_twice": ("the stored rosters' labels are damaged: {count} round(s) hold more than one row of labels "
                         "in roster_labels (round {rounds}), so which text a code names cannot be told, and each "
                         "roster row would be read once per row",
                         "已存名单的标签已损坏：{count} 轮在 roster_labels 里有不止一行标签（第 {rounds} 轮），"
                         "无法判断代码对应哪个文本，名单的每一行也会按标签行数被重复读出"),
    "err_labels_twice_fix": ("xuanba writes one row of labels per round: the file was changed outside xuanba. "
                             "Restore it from a copy made before, or keep it and report this; it was left unchanged.",
                             "xuanba 每轮只写一行标签：这个文件在 xuanba 之外被改动过。请用之前的副本恢复，"
                             "或保留文件并报告此问题；文件未被改动。"),
    "err_ws_no_table": ("the workspace has no table '{name}'", "工作区里没有 {name} 表"),
    "err_ws_no_table_fix": ("Run `xuanba ingest FILE` to load transactions into this workspace first.",
                            "请先运行 `xuanba ingest 文件`，把交易数据导入这个工作区。"),
    "cli_help_arguments": ("Arguments", "参数"),
    "cli_help_options": ("Options", "选项"),
    "cli_help_commands": ("Commands", "命令"),
    "cli_help_default": ("[default: {}]", "[默认：{}]"),
    "cli_help_envvar": ("[env var: {}]", "[环境变量：{}]"),
    "cli_help_required": ("[required]", "[必填]"),
    "cli_error": ("error:", "错误："),
    "cli_note": ("note:", "提示："),
    "cli_period_deprecated": ("--period is deprecated; write --unit.", "--period 已弃用，请改用 --unit。"),
    "cli_report_written": ("report written: {path} ({mb} MB)", "报告已生成：{path}（{mb} MB）"),
    "cli_statements_written": ("{n} statements{extra} written to {path}", "已生成 {n} 份客户说明{extra}，位于 {path}"),
    "cli_statements_pdfs": (" and {n} PDFs", "及 {n} 份 PDF"),
    "cli_written": ("written: {path}", "已写入：{path}"),
    "cli_upgrade_same": ("{ws}: already at schema version {v}; nothing to do.", "{ws}：已是第 {v} 版结构，无需升级。"),
    "cli_upgrade_done": ("{ws}: upgraded from schema version {a} to {b}.", "{ws}：已从第 {a} 版结构升级到第 {b} 版。"),
    "cli_std_written": ("Wrote the starter standard {name} v{version} to {path}.", "入门标准 {name} 第 {version} 版已写入 {path}。"),
    "cli_std_next": ("Edit it, then run `xuanba standard check {path}` and `xuanba round --standard {path} --cutoff YYYY-MM-DD`.",
                     "修改后运行 `xuanba standard check {path}` 和 `xuanba round --standard {path} --cutoff YYYY-MM-DD`。"),
    "cli_std_ok": ("OK", "通过"),
    "cli_std_extra_needed": ("Fields that are not built in: {names}. A round must be given them as extra fields: "
                             "columns of its --fields file (extra_fields= in Python).",
                             "非内置字段：{names}。轮次须以另给字段的形式提供它们：即 --fields 文件中的同名列"
                             "（Python 中用 extra_fields=）。"),
    "cli_std_customer_fields": ("Read from the workspace's customers table: {names}.",
                                "取自工作区 customers 表：{names}。"),
    "cli_std_near_miss_bad": ("{name} is close to the built-in field {names}: write the built-in name if it is a "
                              "typo; if {name} is a field of your own, check with --field {name}.",
                              "{name} 与内置字段 {names} 很接近：若是笔误，请改为内置字段名；若 {name} 是自有字段，"
                              "请加 --field {name} 再检查。"),
    "cli_std_check_with_field": ("To check the names against the extra fields a round will be given, name them: "
                                 "--field NAME (repeatable).",
                                 "若要按轮次将会另给的字段检查这些名称，请逐一写出：--field 名称（可重复）。"),
    "cli_std_problems": ("{file}: {n} problem(s) in the standard", "{file}：标准中有 {n} 个问题"),
    "cli_criteria": ("Criteria", "指标"),
    "cli_gates": ("Gates", "门槛"),
    "cli_tiers_best_first": ("Tiers (best first)", "层级（从高到低）"),
    "cli_known_fields": ("Known fields: {fields}", "可用字段：{fields}"),
    "cli_yes": ("yes", "是"),
    "cli_round_title": ("Round {round_id}: {name}", "第 {round_id} 轮：{name}"),
    "cli_not_stored": ("(not stored)", "（未保存）"),
    "cli_tiers": ("Tiers", "层级"),
    "cli_quadrants": ("Quadrants (value × potential)", "象限（价值 × 潜力）"),
    "cli_top": ("Top {n}", "前 {n} 名"),
    "cli_roster_written": ("Roster written to {path}.", "名单已写入 {path}。"),
    "cli_replay_written": ("Roster of the last round written to {path}.", "最后一轮的名单已写入 {path}。"),
    "replay_spark_no_roster": ("The rank correlation was not computed: a replay on Spark without --roster-out "
                               "keeps no roster of every customer, only each round's selection (a cluster's "
                               "executors cannot write to this machine's disk). Give --roster-out (a URL the "
                               "cluster shares, or table:db.name) to have it.",
                               "未计算排名相关系数：在 Spark 上回放而未指定 --roster-out 时，不保留全部客户的名单，"
                               "只保留每轮的入选客户（集群的执行器无法写入本机磁盘）。如需该系数，请用 --roster-out "
                               "指定集群共享的 URL 或 table:库.表。"),
    "cli_replay_title": ("Replay every {every} from {start} to {end}", "从 {start} 到 {end} 每{every}重放一轮"),
    "cli_no_rounds": ("No rounds yet: run `xuanba round --standard S.toml --cutoff DATE`.",
                      "还没有任何一轮：请运行 `xuanba round --standard S.toml --cutoff DATE`。"),
    "cli_rounds": ("Rounds", "各轮"),
    "cli_diff_title": ("Round {a} ({ca}) → round {b} ({cb})", "第 {a} 轮（{ca}）→ 第 {b} 轮（{cb}）"),
    "cli_migration": ("Tier migration (rows: round A, columns: round B)", "层级迁移（行：前一轮，列：后一轮）"),
    "cli_changes_written": ("Changes written to {path}.", "变化已写入 {path}。"),
    "cli_facts_title": ("Customer facts as of {cutoff} ({unit}s)", "截至 {cutoff} 的客户事实（单位：{unit}）"),
    "cli_whale": ("Whale curve: {sentence}", "鲸鱼曲线：{sentence}"),
    "cli_no_whale": ("no whale curve: {why}", "没有鲸鱼曲线：{why}"),
    "cli_costs_unknown": ("Costs are unknown: the transactions have no cost column and there are no interactions, "
                          "so profit equals revenue and margins are left empty.",
                          "成本未知：交易中没有成本列，也没有互动记录，因此利润等于收入，利润率留空。"),
    "cli_profit_by_band": ("Profit by size band", "按规模分段的利润"),
    "cli_volume_without_profit": ("Volume without profit", "量大而利薄的客户"),
    "cli_profit_written": ("wrote {n} customers' profit to {path}", "已把 {n} 位客户的利润写入 {path}"),
    "cli_rows_written": ("wrote {n} rows to {path}", "已把 {n} 行写入 {path}"),
    "cli_more_rows": ("… {n} more rows (use --out to get them all)", "……另有 {n} 行（用 --out 获取全部）"),
    "cli_ranked_by": ("ranked by", "排序依据"),
    "cli_keep_warm": ("Keep warm", "保温名单"),
    "cli_segments": ("Segments", "客群"),
    "cli_account_fields": ("Account fields", "经营字段"),
    "cli_wrote": ("wrote {path}", "已写入 {path}"),
    # the web app (xuanba.web) and its commands
    "help_serve": ("Serve the web app over the workspace (localhost by default).", "在工作区之上运行网页应用（默认只监听本机）。"),
    "help_users": ("Users of the web app: add, list, disable, change a password.", "网页应用的用户：添加、列出、停用、改密码。"),
    "help_users_add": ("Add a user (asks for the password).", "添加用户（会提示输入密码）。"),
    "help_users_list": ("List the users.", "列出用户。"),
    "help_users_disable": ("Disable a user; their sessions end.", "停用用户；其登录会话随即失效。"),
    "help_users_password": ("Change a user's password (asks for it); their sessions end.", "修改用户密码（会提示输入）；其登录会话随即失效。"),
    "help_share": ("Make a signed, expiring link to one customer's statement (or list or revoke links).",
                   "为一位客户的说明书生成带签名、会过期的链接（或列出、撤销链接）。"),
    # the web's standard page, its editor and round runs (xuanba.web.standard_pages)
    "web_std_current": ("Current standard: {name}, version {version}", "现行标准：{name}，第 {version} 版"),
    "web_std_published_by": ("Published as {ref} by {who} on {when}.", "{ref} 由 {who} 于 {when} 发布。"),
    "web_std_from_rounds": ("Not published from this page ({ref}); applied by round {rounds}.",
                            "未在本页发布（{ref}）；第 {rounds} 轮使用了它。"),
    "web_std_none": ("No standard yet: write one below and publish it, or run `xuanba round` first.",
                     "还没有标准：请在下方编写并发布，或先运行 `xuanba round`。"),
    "web_std_versions": ("Versions", "各版本"),
    "web_std_ref": ("Ref", "编号"),
    "web_std_version": ("Version", "版本"),
    "web_std_by": ("Published by", "发布人"),
    "web_std_rounds": ("Rounds that applied it", "使用它的轮次"),
    "web_std_compare": ("Compare versions", "比较版本"),
    "web_std_diff": ("What changed from {a} to {b}", "从 {a} 到 {b} 的改动"),
    "web_std_removed": ("No longer says", "不再包含"),
    "web_std_added": ("Now says", "新增"),
    "web_std_text": ("The text", "文本"),
    "web_std_same": ("The two versions say the same.", "两个版本内容相同。"),
    "web_std_editor": ("Edit and publish", "编辑并发布"),
    "web_std_editor_help": ("Checked as you type; a valid text is previewed against the latest round.",
                            "输入时即检查；有效的文本会与最新一轮对比预览。"),
    "web_std_preview": ("Preview", "预览"),
    "web_std_publish": ("Publish as a new version", "发布为新版本"),
    "web_std_valid": ("Valid: {name}, version {version}.", "有效：{name}，第 {version} 版。"),
    "web_std_line": ("line {line}", "第 {line} 行"),
    "web_std_fix": ("Fix", "修改建议"),
    "web_std_published": ("Published as p{n}.", "已发布为 p{n}。"),
    "web_std_whatif": ("What if this text had scored round {round}", "假如用此文本为第 {round} 轮评分"),
    "web_std_kept": ("Kept", "保留"),
    "web_std_in_round": ("Round {round}", "第 {round} 轮"),
    "web_std_this_text": ("This text", "此文本"),
    "web_std_captured": ("Share of the {days} days' revenue after the cutoff captured by the selection",
                         "截止日后 {days} 天收入中被入选客户带来的占比"),
    "web_std_backtest": ("Stored backtest: revenue captured", "已保存的回测：收入捕获占比"),
    "web_std_backtest_of": ("{value} ({cutoffs} cutoffs, {days}-day horizon)", "{value}（{cutoffs} 个截止日，{days} 天窗口）"),
    "web_std_no_backtest": ("none stored (`xuanba backtest` keeps one)", "未保存（`xuanba backtest` 可保存）"),
    "web_std_movers": ("Whose tier moves most", "层级变化最大的客户"),
    "web_std_moved_by": ("Moved by", "主要原因"),
    "web_std_cannot_preview": ("Cannot preview: {error}", "无法预览：{error}"),
    "web_std_run": ("Run a round", "运行一轮"),
    "web_std_run_help": ("In the background, one at a time in this workspace; the pages keep working meanwhile.",
                         "在后台运行，本工作区一次只运行一轮；期间页面照常可用。"),
    "web_std_run_button": ("Run", "运行"),
    "web_std_running": ("Running {standard} at {cutoff} (started by {user})…", "正在运行 {standard}，截止日 {cutoff}（由 {user} 启动）…"),
    "web_std_done": ("Done in {seconds} s: round {round} is stored.", "用时 {seconds} 秒完成：第 {round} 轮已保存。"),
    "web_std_failed": ("The round failed: {error}", "这一轮运行失败：{error}"),
    "web_std_open_round": ("Open its roster", "查看名单"),
    "web_step_copy": ("reading the workspace", "读取工作区"),
    "web_step_facts": ("facts", "计算事实"),
    "web_step_predictions": ("predictions", "预测"),
    "web_step_account_fields": ("account fields", "客户经营字段"),
    "web_step_scoring": ("scoring", "评分"),
    "web_step_model_check": ("model check", "模型检验"),
    "web_step_account_work": ("account work", "客户经营分析"),
    "web_step_storing": ("storing", "保存"),
    "web_title": ("xuanba", "选拔"),
    "web_login": ("Log in", "登录"),
    "web_user": ("User name", "用户名"),
    "web_password": ("Password", "密码"),
    "web_logout": ("Log out", "退出"),
    "web_bad_login": ("Wrong user name or password.", "用户名或密码错误。"),
    "web_locked": ("Too many failed attempts: try again in {minutes} minutes.", "失败次数过多：请 {minutes} 分钟后再试。"),
    "web_overview": ("Overview", "概览"),
    "web_rounds": ("Rounds", "各轮"),
    "web_roster": ("Roster", "名单"),
    "web_audit": ("Audit log", "审计日志"),
    "web_users": ("Users", "用户"),
    "web_cli_owner_unknown": ("warning: no customer of the latest round (round {round}) has the owner {owner}, so this "
                              "rep sees no customer until a round gives them some. The owners there: {owners}. For a "
                              "typo: xuanba users disable this user and add the rep under a new user name with the "
                              "exact owner.",
                              "提醒：最新一轮（第 {round} 轮）中没有负责人为 {owner} 的客户，在某一轮分配给该业务员客户之前，"
                              "他看不到任何客户。该轮的负责人有：{owners}。如是笔误：用 xuanba users disable "
                              "停用此用户，再以新的用户名、准确的负责人名重新添加。"),
    "web_users_note": ("Users are added, disabled and given new passwords with xuanba users (see docs/web.md).",
                       "用户的添加、停用与改密码用 xuanba users 命令（见 docs/web.md）。"),
    "web_user_role": ("Role", "角色"),
    "web_active": ("Active", "启用"),
    "web_no_rounds": ("No round is stored yet: run `xuanba round` first.", "还没有保存任何一轮：请先运行 `xuanba round`。"),
    "web_round": ("Round", "轮次"),
    "web_cutoff": ("Cutoff", "截止日"),
    "web_standard": ("Standard", "标准"),
    "web_customers": ("Customers", "客户数"),
    "web_selected": ("Selected", "入选"),
    "web_tier": ("Tier", "层级"),
    "web_tiers": ("Tiers", "各层级"),
    "web_not_selected": ("Not selected", "未入选"),
    "web_warnings": ("Warnings", "警告"),
    "web_none": ("None", "无"),
    "web_value_share": ("Share of value selected", "入选客户的价值占比"),
    "web_lift": ("Lift over the average", "相对平均的提升"),
    "web_quadrants": ("Value × potential", "价值 × 潜力"),
    "web_quadrant_value": ("{measure} (the whole round)", "{measure}（全轮合计）"),
    "web_mobility": ("Since round {a}", "与第 {a} 轮相比"),
    # the report's words (movers_engine): rose and fell are "–" on the overview, and this says why
    "web_mobility_engine": ("Who else moved and the rank correlation are not shown: {why}",
                            "其他客户的名次变化与排名相关系数从略：{why}"),
    "web_mobility_none": ("This is the first round: nothing to compare with yet.",
                          "这是第一轮，尚无可比较的上一轮。"),
    "web_kept": ("Stayed selected", "保持入选"),
    "web_rank_correlation": ("Rank correlation", "排名相关系数"),
    "web_model_check_window": ("Fitted on the data up to {calibration}, checked on the {days} days to {holdout}: "
                               "the error is the customer-weighted mean gap between predicted and actual "
                               "purchases.",
                               "用截至 {calibration} 的数据拟合，再用到 {holdout} 为止的 {days} 天检验："
                               "误差为按客户加权的预测购买次数与实际次数之差的平均。"),
    "web_model_check_none": ("The round stored no model check.", "本轮未存模型检验。"),
    "web_check_error": ("Error", "误差"),
    "web_check_usable": ("Can be trusted", "可信"),
    "web_check_chosen": ("chosen", "选用"),
    "web_data_stale": ("Stale data: the last transaction before the cutoff {cutoff} is from {last}, {days} days "
                       "earlier. Load the latest transactions (xuanba ingest) and run a new round.",
                       "数据陈旧：截止日 {cutoff} 之前的最后一笔交易在 {last}，早了 {days} 天。"
                       "请导入最新的交易（xuanba ingest）并运行新的一轮。"),
    "web_data_none": ("Stale data: no transaction on or before the cutoff {cutoff}.",
                      "数据陈旧：截止日 {cutoff} 当天及之前没有交易。"),
    "web_data_newer": ("Newer data: transactions up to {newest} are loaded, {days} days after this round's cutoff "
                       "{cutoff}. A round at a later cutoff would read them.",
                       "有更新的数据：已导入截至 {newest} 的交易，比本轮截止日 {cutoff} 晚 {days} 天。"
                       "以更晚的截止日运行新的一轮即可用上它们。"),
    "web_model": ("Model", "模型"),
    "web_model_check": ("Model check", "模型检验"),
    "web_rank": ("Rank", "排名"),
    "web_score": ("Score", "得分"),
    "web_name": ("Name", "名称"),
    "web_owner": ("Owner", "负责人"),
    "web_quadrant": ("Quadrant", "象限"),
    "web_search": ("Id or name", "编号或名称"),
    "web_filter": ("Filter", "筛选"),
    "web_all": ("All", "全部"),
    "web_sort": ("Sort by", "排序"),
    "web_descending": ("descending", "降序"),
    "web_page": ("Page {page} of {pages} ({total} customers)", "第 {page} / {pages} 页（共 {total} 位客户）"),
    "web_prev": ("Previous", "上一页"),
    "web_next": ("Next", "下一页"),
    "web_customer": ("Customer", "客户"),
    "web_standing": ("Standing", "位置"),
    "web_breakdown": ("Score breakdown", "得分构成"),
    "web_criterion": ("Criterion", "指标"),
    "web_raw": ("Value", "取值"),
    "web_weight": ("Weight", "权重"),
    "web_points": ("Points", "得分"),
    "web_history": ("Rank and tier across rounds", "历轮排名与层级"),
    "web_statement": ("The statement as the customer sees it", "客户看到的说明书"),
    "web_share": ("Make a link for the customer", "为客户生成链接"),
    "web_share_made": ("Link made, valid until {expires} (revoke it with `xuanba share --revoke {link}`):",
                       "链接已生成，有效期至 {expires}（用 `xuanba share --revoke {link}` 撤销）："),
    "web_not_found": ("Not found.", "未找到。"),
    "web_forbidden": ("Not allowed for your role.", "您的角色无权访问。"),
    "web_busy": ("The workspace is busy (a command is writing to it): try again in a moment.",
                 "工作区正忙（有命令在写入）：请稍后再试。"),
    "web_csrf": ("The form has expired: reload the page and try again.", "表单已过期：请刷新页面后重试。"),
    "web_scoped": ("Your customers only (owner: {owner})", "仅显示您负责的客户（负责人：{owner}）"),
    "web_next_tier": ("Next tier", "下一层级"),
    "web_gap": ("Gap", "差距"),
    "web_cheapest": ("Cheapest step", "最省力的一步"),
    "web_gates_failed": ("Gates failed", "未通过的门槛"),
    "web_when": ("When", "时间"),
    "web_who": ("Who", "用户"),
    "web_action": ("Action", "操作"),
    "web_detail": ("Detail", "详情"),
    "web_link_gone": ("This link is not valid (expired, revoked or mistyped): ask your account manager for a new one.",
                      "此链接无效（已过期、已撤销或有误）：请向您的客户经理索取新链接。"),
    "web_lang_name": ("English", "中文"),
    "web_compare": ("Compare rounds", "比较两轮"),
    "web_fields": ("What the round stored", "本轮保存的字段"),
    "web_entered": ("Entered", "新入选"),
    "web_left": ("Left", "落选"),
    "web_rose": ("Rose", "上升"),
    "web_fell": ("Fell", "下降"),
    "web_migration": ("Tier migration (rows: round A, columns: round B)", "层级迁移（行：A 轮，列：B 轮）"),
    "web_users_none": ("No users yet: add one with `xuanba users add NAME --role admin`.",
                       "还没有用户：用 `xuanba users add NAME --role admin` 添加。"),
    "web_serving": ("Serving {workspace} at {url} (Ctrl+C stops it)", "正在 {url} 提供 {workspace}（按 Ctrl+C 停止）"),
    # errors of the facts, the standard's scoring, the round, the models and the outputs, where
    # they are raised (i18n37); data values (ids, names, dates, paths) are fields, kept as they are
    "err_facts_source_kind": ("cannot compute facts from a {kind}", "无法从 {kind} 计算客户事实"),
    "err_facts_source_kind_fix": ("Pass a Workspace, an Ibis table, or a pandas/polars/Arrow table of transactions.",
                                  "请传入 Workspace、Ibis 表，或 pandas/polars/Arrow 格式的交易表。"),
    "err_facts_unknown_column": ("no {what} named {names}", "没有名为 {names} 的{what}"),
    "err_what_fact": ("fact", "客户事实"),
    "err_what_calibration_column": ("calibration column", "校准期列"),
    "err_choose_among": ("Choose among: {names}.", "请从中选择：{names}。"),
    "err_no_transactions": ("there are no transactions", "没有任何交易记录"),
    "err_no_transactions_fix": ("Load a transaction log with `xuanba ingest`.", "请先用 `xuanba ingest` 载入交易记录。"),
    "err_cutoff_before_first": ("no transaction on or before the cutoff {cutoff}: the first one is on {first}",
                                "截止日 {cutoff} 当天及之前没有交易：最早的一笔在 {first}"),
    "err_cutoff_before_first_fix": ("Choose a later --cutoff.", "请选一个更晚的 --cutoff。"),
    "err_holdout_not_after": ("the holdout end {hold} is not after the calibration end {cal}",
                              "验证期结束日 {hold} 不晚于校准期结束日 {cal}"),
    "err_holdout_not_after_fix": ("Give --holdout-end a date later than --calibration-end.",
                                  "请让 --holdout-end 晚于 --calibration-end。"),
    "err_calibration_before_cutoff_fix": ("Give a calibration end before the cutoff.", "请给出早于截止日的校准期结束日。"),
    "err_no_customers_to_score": ("there are no customers to score", "没有可以评分的客户"),
    "err_no_customers_to_score_fix": ("Check the cutoff and the transactions.", "请检查截止日和交易数据。"),
    "err_customer_twice": ("a customer appears more than once in the fields", "有客户在字段表里出现了不止一次"),
    "err_customer_twice_fix": ("Give one row per customer_id (aggregate the extra fields first).",
                               "请让每个 customer_id 只占一行（先把额外字段按客户汇总）。"),
    "err_cap_cost_no_values": ("capacity cost_field {field} has no values", "容量的 cost_field {field} 没有任何值"),
    "err_cap_cost_no_values_fix": ("Load the side tables it needs, or remove the budget from [capacity].",
                                   "请载入它需要的附表，或从 [capacity] 中去掉预算。"),
    "err_criterion_not_computed": ("criterion {name} cannot be computed: {detail}", "指标 {name} 无法计算：{detail}"),
    "err_gate_not_checked": ("gate {name} cannot be checked: {detail}", "门槛 {name} 无法检查：{detail}"),
    "err_check_field_names": ("Check the field names against the data.", "请对照数据核对字段名。"),
    "err_tie_break_missing": ("tie-break field {name} is not in the data", "并列排序字段 {name} 不在数据中"),
    "err_tie_break_missing_fix": ("Remove it from [tie_break] or provide the field.",
                                  "请把它从 [tie_break] 中去掉，或提供这个字段。"),
    "err_date_not_number": ("{what} is a date, not a number", "{what} 是日期，不是数字"),
    "err_date_not_number_fix": ("Give it as a number (e.g. days since a date) in the fields.",
                                "请在字段中把它写成数字（例如距某个日期的天数）。"),
    "err_what_tie_break": ("tie-break field {name}", "并列排序字段 {name}"),
    "err_what_cap_objective": ("capacity objective {name}", "容量的 objective {name}"),
    "err_what_cap_cost": ("capacity cost_field {name}", "容量的 cost_field {name}"),
    "err_round_needs_cutoff_date": ("a round needs a cutoff date", "运行一轮需要截止日"),
    "err_round_needs_cutoff_date_fix": ("Pass --cutoff YYYY-MM-DD.", "请给出 --cutoff YYYY-MM-DD。"),
    "err_no_model_every_criterion": ("no model could give the predictions and every criterion of the standard needs one",
                                     "没有模型能给出预测，而标准中的每个指标都需要预测"),
    "err_no_model_every_criterion_fix": ("Add a criterion on facts (e.g. revenue_365d), or set [predictions] model to a "
                                         "named model with a penalizer.",
                                         "请加一个基于客户事实的指标（例如 revenue_365d），或在 [predictions] 中把 model "
                                         "设为一个具体的模型并加上 penalizer。"),
    "err_no_model_cost_field": ("the capacity's cost field {field} needs a prediction no model could give",
                                "容量的成本字段 {field} 需要预测，但没有模型能给出"),
    "err_no_model_cost_field_fix": ("Use a cost field from the facts or account fields.",
                                    "请改用客户事实或账户字段中的成本字段。"),
    "err_table_no_id": ("the {what} table has no customer_id column", "{what}表没有 customer_id 列"),
    "err_table_id_twice": ("the {what} table has more than one row per customer", "{what}表里有客户占了不止一行"),
    "err_one_row_per_id_fix": ("Give one row per customer_id.", "请让每个 customer_id 只占一行。"),
    "err_what_predictions": ("predictions", "预测"),
    "err_what_account_fields": ("account fields", "账户字段"),
    "err_what_customers": ("customers", "客户"),
    "err_what_extra_fields": ("extra fields", "额外字段"),
    "err_param_unknown": ("{param}={value} is not known", "{param}={value} 不是可用的取值"),
    "err_use_one_of_list": ("Use one of {names}.", "请用其中之一：{names}。"),
    "err_use_one_of": ("Use one of: {names}.", "请用其中之一：{names}。"),
    "err_use_any_of": ("Use any of: {names}.", "可用的有：{names}。"),
    "err_option_unknown": ("{option} {value} is not known", "{option} {value} 不是可用的选项"),
    "err_no_usable_model": ("no usable model for {names} at {cutoff}: {reason}",
                            "截止日 {cutoff} 没有可用于 {names} 的模型：{reason}"),
    "err_no_usable_model_fix": ('The standard says on_no_model = "stop". Set it to "drop" to score on the other '
                                "criteria, add a penalizer, or use a longer history.",
                                '标准中写的是 on_no_model = "stop"。可以改成 "drop" 只用其他指标评分，'
                                "或加上 penalizer，或使用更长的历史数据。"),
    "err_to_before_from": ("--to {to} is before --from {start}", "--to {to} 早于 --from {start}"),
    "err_to_before_from_fix": ("Give --from before --to.", "请让 --from 早于 --to。"),
    "err_no_period_ends": ("no {every} ends between {start} and {to}", "{start} 到 {to} 之间没有{every}末"),
    "err_no_period_ends_fix": ("Widen the period or use a shorter --every.", "请放宽时间段，或用更短的 --every。"),
    "err_every_month": ("month", "月"),
    "err_every_quarter": ("quarter", "季度"),
    "err_every_year": ("year", "年"),
    "err_unknown_baselines": ("unknown baseline(s): {names}", "未知的基准：{names}"),
    "err_backtest_no_cutoff": ("no cutoff between {start} and {end} has data after it to measure",
                               "{start} 到 {end} 之间没有哪个截止日之后还有可用来衡量的数据"),
    "err_backtest_no_cutoff_fix": ("Choose cutoffs before the last transaction (or load later data).",
                                   "请选在最后一笔交易之前的截止日（或载入更新的数据）。"),
    "err_round_no_fields": ("round {round_id} was stored without its fields (by an older xuanba)",
                            "第 {round_id} 轮保存时没有存下字段（由较旧的 xuanba 保存）"),
    "err_round_no_fields_fix": ("Run the round again with this version.", "请用当前版本重新运行这一轮。"),
    "err_round_no_fields_whatif_fix": ("Run the round again with this version, then ask what-if of it.",
                                       "请用当前版本重新运行这一轮，再对它做假设分析。"),
    "err_round_lacks_fields": ("round {round_id} has no field(s) {names}", "第 {round_id} 轮没有字段 {names}"),
    "err_round_lacks_fields_fix": ("Load a customers table with those columns (xuanba ingest --kind customers) and run a "
                                   "round, or choose other --by / --value fields.",
                                   "请载入含这些列的客户表（xuanba ingest --kind customers）后再运行一轮，"
                                   "或用 --by / --value 选其他字段。"),
    "err_fairness_nothing_to_compare": ("the round has no owner, region or segment to compare",
                                        "这一轮没有可比较的负责人、地区或客群"),
    "err_fairness_nothing_to_compare_fix": ("Load a customers table with them (xuanba ingest --kind customers), or name "
                                            "--by fields.",
                                            "请载入含这些列的客户表（xuanba ingest --kind customers），或用 --by 指定字段。"),
    "err_fairness_value_not_number": ("--value {value} is not a number for any customer of round {round_id}",
                                      "第 {round_id} 轮中没有一位客户的 --value {value} 是数字"),
    "err_fairness_value_not_number_fix": ("Measure value by a money field such as revenue_365d or profit_365d.",
                                          "请用金额字段衡量价值，例如 revenue_365d 或 profit_365d。"),
    "err_whatif_fields_missing": ("round {round_id} did not store the field(s) {names} that the new standard reads",
                                  "第 {round_id} 轮没有保存新标准要读取的字段 {names}"),
    "err_whatif_fields_missing_fix": ("Pass them as extra fields (--fields), or run a new round with the new standard.",
                                      "请把它们作为额外字段传入（--fields），或用新标准运行新的一轮。"),
    "err_unknown_tables": ("unknown table(s) {names}", "未知的表：{names}"),
    "err_choose_among_tables": ("Choose among {names}.", "请从中选择：{names}。"),
    "err_export_first_round": ("round {round_id} is the first one: there is no diff to export",
                               "第 {round_id} 轮是第一轮：没有可导出的变化"),
    "err_export_first_round_fix": ("Pass --against ROUND, or leave out diff and migration.",
                                   "请给出 --against 轮次，或不导出 diff 和 migration。"),
    "err_export_no_fields": ("round {round_id} was stored by an older xuanba and holds no per-customer fields",
                             "第 {round_id} 轮由较旧的 xuanba 保存，没有逐个客户的字段"),
    "err_export_no_fields_fix": ("Run the round again (`xuanba round`), or leave out facts.",
                                 "请重新运行这一轮（`xuanba round`），或不导出 facts。"),
    "err_customers_not_in_round": ("{n} customer(s) are not in round {round_id}", "有 {n} 位客户不在第 {round_id} 轮中"),
    "err_customers_not_in_round_fix": ("Check the ids against the roster (`xuanba export` writes it).",
                                       "请对照名单核对客户编号（`xuanba export` 可导出名单）。"),
    "err_no_pdf_engine": ("no PDF engine found: PDFs are printed by headless Chromium",
                          "找不到 PDF 引擎：PDF 由无界面的 Chromium 打印"),
    "err_no_pdf_engine_fix": ("Install Chromium (Debian: apt-get install chromium) or leave out --pdf.",
                              "请安装 Chromium（Debian：apt-get install chromium），或去掉 --pdf。"),
    "err_pdf_none": ("the PDF engine printed no PDF", "PDF 引擎没有打印出 PDF"),
    "err_pdf_none_fix": ("Run again; if it persists, leave out --pdf and print the HTML pages.",
                         "请再运行一次；如果仍然如此，请去掉 --pdf，改为打印 HTML 页面。"),
    "err_pdf_failed": ("Chromium could not print the page to PDF ({kind})", "Chromium 无法把页面打印成 PDF（{kind}）"),
    "err_pdf_failed_fix": ("Run again; if it persists, leave out --pdf.", "请再运行一次；如果仍然如此，请去掉 --pdf。"),
    "err_bands": ("--bands {value} is not a list of numbers", "--bands {value} 不是一串数字"),
    "err_bands_fix": ("Write e.g. --bands 1,10.", "请写成例如 --bands 1,10。"),
    "err_acct_no_transactions": ("no transactions: the workspace has none and --transactions was not given",
                                 "没有交易数据：工作区里没有，也没有给出 --transactions"),
    "err_acct_no_transactions_fix": ("Run `xuanba ingest SALES_FILE` first, or pass --transactions FILE.",
                                     "请先运行 `xuanba ingest 销售文件`，或用 --transactions 给出文件。"),
    "err_acct_no_side": ("no {kind} table: the workspace has none and --{kind} was not given",
                         "没有 {kind} 表：工作区里没有，也没有给出 --{kind}"),
    "err_acct_no_side_fix": ("Run `xuanba ingest FILE --kind {kind}` first, or pass --{kind} FILE.",
                             "请先运行 `xuanba ingest 文件 --kind {kind}`，或用 --{kind} 给出文件。"),
    "err_by_rep_fix": ("Use rep or customer_id.", "请用 rep 或 customer_id。"),
    "err_commitments_no_rep": ("the commitments have no rep column", "承诺表没有 rep（负责人）列"),
    "err_commitments_no_rep_fix": ("Use --by customer_id or add a {header}/rep column.",
                                   "请用 --by customer_id，或加上“{header}”/rep 列。"),
    "err_sheet_suffix": ("cannot write a sheet as {suffix}", "无法把资料页写成 {suffix} 文件"),
    "err_sheet_suffix_fix": ("Use --out sheet.md or sheet.html.", "请用 --out sheet.md 或 sheet.html。"),
    "err_evaluation_no_model": ("the evaluation has no model {name}", "评估结果中没有模型 {name}"),
    "err_evaluation_no_periods": ("the evaluation has no period-by-period view", "评估结果中没有逐期的视图"),
    "err_evaluation_no_periods_fix": ("Call evaluate(..., cumulative=True).", "请调用 evaluate(..., cumulative=True)。"),
    "err_grid": ("the grid needs T > 0, max_frequency ≥ 1 and points ≥ 2", "网格需要 T > 0、max_frequency ≥ 1 且 points ≥ 2"),
    "err_grid_fix": ("Give T (the age of the customers, in the model's unit), e.g. facts['T'].max().",
                     "请给出 T（客户的客龄，按模型的时间单位），例如 facts['T'].max()。"),
    "err_customer_no_purchase": ("the customer has no purchase", "这位客户没有购买记录"),
    "err_customer_no_purchase_fix": ("Check the customer id and the end date.", "请检查客户编号和结束日期。"),
    "err_no_value_potential": ("the round has no value and potential scores", "这一轮没有价值分和潜力分"),
    "err_no_value_potential_fix": ('Give criteria of the standard group = "value" or "potential".',
                                   '请给标准中的指标写上 group = "value" 或 "potential"。'),
    "err_customer_no_transaction": ("no transaction of customer {customer}", "客户 {customer} 没有交易记录"),
    "err_check_customer_id_fix": ("Check the customer id.", "请检查客户编号。"),
    "err_no_customers_to_evaluate": ("no customers to evaluate", "没有可评估的客户"),
    "err_no_customers_to_evaluate_fix": ("Choose a calibration end after the first purchase.",
                                         "请选在首次购买之后的校准期结束日。"),
    "err_evaluate_model": ("cannot evaluate model {name} on a calibration/holdout split",
                           "无法在校准期/验证期划分上评估模型 {name}"),
    "err_evaluate_model_fix": ("Choose among {names} (continuous-time models of repeat purchases).",
                               "请从 {names} 中选择（重复购买的连续时间模型）。"),
    "err_no_model_to_evaluate": ("no model to evaluate", "没有要评估的模型"),
    "err_no_model_to_evaluate_fix": ("Name at least one model, e.g. bgnbd.", "请至少指定一个模型，例如 bgnbd。"),
    "err_no_first_purchase_by": ("no customer made a first purchase by {cal}", "到 {cal} 为止没有客户完成首次购买"),
    "err_no_first_purchase_by_fix": ("Choose a later calibration end.", "请选一个更晚的校准期结束日。"),
    "err_penalizer": ("penalizer={value} is not a penalty", "penalizer={value} 不是有效的惩罚系数"),
    "err_penalizer_fix": ("Give 0 or a small positive number, e.g. 0.01.", "请给出 0 或一个小的正数，例如 0.01。"),
    "err_unit_fitted": ("the model was fitted on facts in {fitted}s but time_unit={unit} was given",
                        "模型是用以 {fitted} 为单位的客户事实拟合的，但给出的是 time_unit={unit}"),
    "err_unit_fitted_fix": ("Pass time_unit={fitted}, or refit on facts in {unit}s.",
                            "请传入 time_unit={fitted}，或用以 {unit} 为单位的客户事实重新拟合。"),
    "err_non_finite": ("{model} gave a non-finite {what} for some histories", "{model} 对部分客户历史给出的 {what} 不是有限数"),
    "err_non_finite_fix": ("The fitted parameters are outside the range the closed forms are accurate in; refit with a "
                           "small penalizer, e.g. penalizer=0.001.",
                           "拟合出的参数超出了闭式公式准确的范围；请用一个小的惩罚系数重新拟合，例如 penalizer=0.001。"),
    "err_horizon_years": ("horizon_years={value} is outside 1..5 years", "horizon_years={value} 不在 1 到 5 年之间"),
    "err_horizon_years_fix": ("Customer value is projected over at most 5 years.", "客户价值最多预测 5 年。"),
    "err_discount_rate": ("discount_rate={value} is not a rate", "discount_rate={value} 不是有效的比率"),
    "err_discount_rate_annual": ("discount_rate={value} is not an annual rate", "discount_rate={value} 不是有效的年利率"),
    "err_discount_rate_fix": ("Give e.g. 0.10 for 10% a year.", "请写成例如 0.10，表示每年 10%。"),
    "err_periods_per_year": ("periods_per_year must be at least 1", "periods_per_year 至少要为 1"),
    "err_periods_per_year_fix": ("Use 12 for monthly discounting.", "按月折现请用 12。"),
    "err_not_spend_model": ("{kind} is not a spend model", "{kind} 不是消费额模型"),
    "err_not_spend_model_fix": ("Pass a fitted GammaGamma or a Series of expected spend per customer.",
                                "请传入拟合好的 GammaGamma，或每位客户预计消费额的 Series。"),
    "err_spend_missing": ("the spend series has no value for some customers", "消费额序列中缺少部分客户的值"),
    "err_spend_missing_fix": ("Give an expected spend for every customer (e.g. the population mean).",
                              "请为每位客户给出预计消费额（例如总体平均值）。"),
    "err_facts_lack": ("the facts lack {names}", "客户事实中缺少 {names}"),
    "err_facts_lack_fix": ("Columns found: {columns}. Compute them with xuanba.customer_facts.",
                           "找到的列：{columns}。请用 xuanba.customer_facts 计算这些列。"),
    "err_not_purchase_model": ("model={value} is not a purchase model", "model={value} 不是购买模型"),
    "err_unknown_model": ("unknown model {name}", "未知的模型 {name}"),
    "err_no_per_customer": ("{kind} has no per-customer predictions", "{kind} 没有逐个客户的预测"),
    "err_no_per_customer_fix": ("Use a purchase model (bgnbd, mbgnbd, pareto-nbd, bgbb) or gamma-gamma.",
                                "请使用购买模型（bgnbd、mbgnbd、pareto-nbd、bgbb）或 gamma-gamma。"),
    "err_field_name_unstorable": ("a field is named {name}, which a round cannot store", "有字段名为 {name}，这样的名字无法随一轮保存"),
    "err_field_name_unstorable_fix": ("Give every extra field and customers column a plain, non-empty name.",
                                      "请给每个额外字段和客户表的列起一个普通的、非空的名字。"),
    "err_field_named_round_id": ("a field is named round_id, a name the stored rounds use themselves",
                                 "有字段名为 round_id，这是保存轮次时自己要用的名字"),
    "err_field_named_round_id_fix": ("Rename that column in the extra fields (or the customers table).",
                                     "请在额外字段（或客户表）中给这一列改名。"),
    "err_fields_case": ("fields {first} and {second} differ only in case", "字段 {first} 和 {second} 只有字母大小写不同"),
    "err_fields_case_fix": ("Rename one of them: stored fields are told apart ignoring case.",
                            "请给其中一个改名：保存的字段不区分大小写。"),
    "err_field_stored_as": ("field {name} was stored as {stored} by an earlier round", "字段 {name} 在之前的轮次中保存为 {stored}"),
    "err_field_stored_as_fix": ("Name it {stored} as before, or give it a new name.", "请像之前一样命名为 {stored}，或换一个新名字。"),
    "err_field_type_changed": ("field {name} was stored as {stored} by an earlier round and is {now} now",
                               "字段 {name} 在之前的轮次中保存为 {stored} 类型，现在却是 {now}"),
    "err_field_type_changed_fix": ("Rename the field {name} in the extra fields (or the customers table).",
                                   "请在额外字段（或客户表）中给字段 {name} 改名。"),
    "err_sheet_number": ("the workbook has {n} sheets, not {sheet}", "工作簿只有 {n} 个工作表，没有第 {sheet} 个"),
    "err_sheet_number_fix": ("Give a sheet name ({names}), a number from 1, or all.",
                             "请给出工作表名称（{names}）、从 1 开始的序号，或 all。"),
    "err_sheet_missing": ("the workbook has no sheet {sheet}", "工作簿中没有工作表 {sheet}"),
    "err_sheet_missing_fix": ("Sheets: {names} (or --sheet all).", "现有工作表：{names}（或用 --sheet all）。"),
    "err_xls_needs_xlrd": ("old Excel .xls workbooks need the xlrd package, which is not installed",
                           "旧版 Excel .xls 工作簿需要 xlrd 包，但它没有安装"),
    "err_xls_needs_xlrd_fix": ("pip install xlrd, or open the file in Excel or WPS and use Save As > Excel Workbook "
                               "(.xlsx) or CSV UTF-8 (without either: soffice --headless --convert-to xlsx FILE.xls).",
                               "请运行 pip install xlrd，或在 Excel 或 WPS 中打开文件，用“另存为”>“Excel 工作簿(.xlsx)”"
                               "或“CSV UTF-8”（两者都没有时：soffice --headless --convert-to xlsx FILE.xls）。"),
    "err_sheet_empty": ("the sheet {sheet} is empty", "工作表 {sheet} 是空的"),
    "err_sheet_empty_fix": ("Put the data on the first sheet, or name the sheet with --sheet.",
                            "请把数据放在第一个工作表，或用 --sheet 指定工作表。"),
    "err_sheet_header_row": ("--header-row {row}: row {row} of sheet {sheet} is empty or past the last row",
                             "--header-row {row}：工作表 {sheet} 的第 {row} 行是空行或超出了最后一行"),
    "err_sheet_header_row_fix": ("Give the number Excel shows left of the row that holds the column names.",
                                 "请给出 Excel 中列名所在行左侧显示的行号。"),
    "err_ingest_kind": ("cannot ingest a {kind}", "无法导入 {kind}"),
    "err_ingest_kind_fix": ("Pass a file path, a folder, or a pandas/polars DataFrame or an Arrow table.",
                            "请传入文件路径、文件夹，或 pandas/polars DataFrame、Arrow 表。"),
    "err_header_row_number": ("--header-row {row} is not a line number", "--header-row {row} 不是有效的行号"),
    "err_header_row_number_fix": ("Count lines from 1 at the top of the file.", "行号从文件顶部的 1 开始数。"),
    "err_table_empty": ("the table is empty", "表是空的"),
    "err_table_empty_fix": ("Pass a table with rows and columns.", "请传入有行有列的表。"),
    "err_not_parquet": ("not a Parquet table: {detail}", "不是 Parquet 表：{detail}"),
    "err_not_parquet_fix": ("Write the file again with pandas/pyarrow/polars, or export it as CSV.",
                            "请用 pandas/pyarrow/polars 重新写出这个文件，或导出为 CSV。"),
    "err_wps_et": ("WPS .et workbooks are not read", "不能读取 WPS .et 工作簿"),
    "err_wps_et_fix": ("Open it in WPS and use Save As > Excel Workbook (.xlsx) or CSV UTF-8, then ingest that.",
                       "请在 WPS 中打开它，用“另存为”>“Excel 工作簿(.xlsx)”或“CSV UTF-8”，再导入另存的文件。"),
    "err_file_type": ("unknown file type {suffix}", "未知的文件类型 {suffix}"),
    "err_no_extension": ("'(no extension)'", "（没有扩展名）"),
    "err_file_type_fix": ("Give a file ending in {suffixes}.", "请给出扩展名为 {suffixes} 的文件。"),
    "err_decimal_against": ("--decimal {mark} but {n} rows are written like {example} (rows {rows})",
                            "给出了 --decimal {mark}，但有 {n} 行写成 {example} 的样子（第 {rows} 行）"),
    "err_decimal_example_comma": ("1.234,50 or 12,5", "1.234,50 或 12,5"),
    "err_decimal_example_dot": ("1,234.50 or 12.5", "1,234.50 或 12.5"),
    "err_decimal_against_fix": ("Correct those rows, or leave out --decimal to have the column's mark decided from its "
                                "values.",
                                "请改正这些行，或去掉 --decimal，让 xuanba 按这一列的值判断小数点。"),
    "err_ws_tz_bad": ("the workspace's time zone {tz} is not a time zone name", "工作区的时区 {tz} 不是有效的时区名"),
    "err_ws_tz_bad_fix": ("The workspace file was altered; start a new workspace (xuanba ingest --tz ZONE).",
                          "工作区文件被改动过；请新建一个工作区（xuanba ingest --tz 时区）。"),
    "err_tz_bad": ("--tz {tz} is not a time zone name", "--tz {tz} 不是有效的时区名"),
    "err_tz_bad_fix": ("Give an IANA name such as Asia/Shanghai, Europe/Berlin or UTC.",
                       "请给出 IANA 时区名，例如 Asia/Shanghai、Europe/Berlin 或 UTC。"),
    "err_tz_other": ("the workspace's time zone is {have}; --tz {tz} would read new files in another zone than the ones "
                     "already loaded",
                     "工作区的时区是 {have}；用 --tz {tz} 会按另一个时区读取新文件，与已载入的文件不一致"),
    "err_tz_other_fix": ("Leave out --tz (or give --tz {have}); start a new workspace for another zone.",
                         "请去掉 --tz（或给出 --tz {have}）；要用另一个时区请新建工作区。"),
    "err_unknown_kind": ("unknown kind {kind}", "未知的数据种类 {kind}"),
    "err_decimal_mark": ("--decimal {value} is not a decimal mark", "--decimal {value} 不是小数点符号"),
    "err_decimal_mark_fix": ("Give --decimal . or --decimal ,", "请给出 --decimal . 或 --decimal ,"),
    "err_write_suffix": ("cannot write a '{suffix}' file", "无法写出“{suffix}”文件"),
    "err_extensionless": ("extensionless", "无扩展名"),
    "err_write_suffix_fix": ("Name the output .parquet, .csv or .xlsx (or pass --format csv|xlsx|parquet).",
                             "请把输出文件命名为 .parquet、.csv 或 .xlsx（或给出 --format csv|xlsx|parquet）。"),
    "err_excel_rows": ("table '{name}' has {n} rows; an Excel sheet holds {most}",
                       "表“{name}”有 {n} 行；一个 Excel 工作表最多容纳 {most} 行"),
    "err_excel_rows_fix": ("Export it as .parquet or .csv instead.", "请改为导出 .parquet 或 .csv。"),
    "err_write_format": ("cannot tell which format to write", "无法判断要写成哪种格式"),
    "err_write_format_fix": ("Name a .xlsx workbook, or pass the format (csv, xlsx or parquet) for a folder.",
                             "请给出 .xlsx 工作簿的文件名，或为文件夹指定格式（csv、xlsx 或 parquet）。"),
    "err_not_utf8_gbk": ("the file is neither UTF-8 nor GBK text", "文件既不是 UTF-8 也不是 GBK 编码的文本"),
    "err_not_utf8_gbk_fix": ("Save it as 'CSV UTF-8' (Excel: File > Save As).", "请另存为“CSV UTF-8”（Excel：文件 > 另存为）。"),
    "err_table_file_missing": ("the file does not exist (file not found)", "文件不存在（找不到这个文件）"),
    "err_check_path_fix": ("Check the path.{hint}", "请检查路径。{hint}"),
    "err_read_suffix": ("cannot read a '{suffix}' file as a table", "无法把“{suffix}”文件读成表格"),
    "err_read_suffix_fix": ("Save it as .csv (UTF-8 or GBK), .xlsx or .parquet.", "请另存为 .csv（UTF-8 或 GBK）、.xlsx 或 .parquet。"),
    "err_table_unreadable": ("the file cannot be read as {suffix}: {detail}", "无法把文件读成 {suffix}：{detail}"),
    "err_table_unreadable_fix": ("Check that the file is a valid CSV, XLSX or Parquet file.",
                                 "请确认文件是有效的 CSV、XLSX 或 Parquet 文件。"),
    "err_selection_only_refused": ("round {round_id} was run on {engine} and stored only its {sel} selected {customers} of "
                                   "{n}; {what} needs every customer, so it cannot be answered from this round",
                                   "第 {round_id} 轮在 {engine} 上运行，{n} 位客户中只保存了入选的 {sel} 位{customers}；"
                                   "{what}需要每一位客户，所以无法根据这一轮回答"),
    "err_selection_only_refused_fix": ("Run the round again on the engine with the changed standard (xuanba round "
                                       "--engine ... --source ...), or run the round in the workspace (xuanba round "
                                       "without --engine/--source) and ask again.",
                                       "请用改过的标准在引擎上重新运行这一轮（xuanba round --engine ... --source ...），"
                                       "或在工作区中运行这一轮（xuanba round，不带 --engine/--source）后再问。"),
    "err_selection_only_workspace_fix": ("Run the round in the workspace (xuanba round without --engine/--source) and "
                                         "ask again. {rest}",
                                         "请在工作区中运行这一轮（xuanba round，不带 --engine/--source）后再问。{rest}"),
    "err_an_engine": ("an engine", "某个引擎"),
    "err_word_customer": ("customer", "客户"),
    "err_word_customers": ("customers", "客户"),
    "err_what_whatif": ("a what-if", "假设分析"),
    "err_what_fairness": ("a fairness table", "公平性表"),
    "err_statements_selection_only": ("{n} customer(s) are not among the selected customers of round {round_id}, which "
                                      "ran on {engine} and stored only those",
                                      "有 {n} 位客户不在第 {round_id} 轮的入选客户中；这一轮在 {engine} 上运行，只保存了入选的客户"),
    "err_statements_selection_only_fix": ("Run the round in the workspace (xuanba round without --engine/--source) for "
                                          "statements of every customer. {rest}",
                                          "请在工作区中运行这一轮（xuanba round，不带 --engine/--source），"
                                          "才能为每一位客户出具说明。{rest}"),
    # errors of the modules i18n38 put into the table (dates, side tables, the standard's helpers,
    # account work, the command line's, the report, the web app, workbooks, the engine's extras)
    "err_horizon_not_length": ("--horizon {value} is not a length of time", "--horizon {value} 不是一段时长"),
    "err_horizon_not_length_fix": ("Write it as days, weeks or years: 365d, 26w, 1y.", "请写成天数、周数或年数：365d、26w、1y。"),
    "err_horizon_empty": ("--horizon {value} is empty", "--horizon {value} 的长度为零"),
    "err_horizon_empty_fix": ("Give a horizon of at least one day.", "请给出至少一天的期限。"),
    "err_side_map_unknown": ("mapping names unknown {kind} column {column}", "映射中的 {column} 不是 {kind} 表的列"),
    "err_map_to_one_of": ("Map to one of: {names}.", "请映射到以下列之一：{names}。"),
    "err_side_map_missing": ("mapping names column {column}, which is not in the file", "映射中的列 {column} 不在文件中"),
    "err_columns_present": ("Columns present: {columns}.", "文件中的列有：{columns}。"),
    "err_unknown_side_table": ("unknown side table {kind}", "未知的附表种类 {kind}"),
    "err_table_no_column": ("{table} table has no column {column}", "{table} 表没有 {column} 列"),
    "err_table_no_column_fix": ("Add or map a {column} column (columns present: {columns}).",
                                "请添加或映射 {column} 列（表中的列有：{columns}）。"),
    "err_rate_bad": ("a rate is negative or not a number", "有费率为负数或不是数字"),
    "err_rate_bad_fix": ("Rates are currency per minute, >= 0.", "费率是每分钟的金额，须不小于 0。"),
    "err_whale_total": ("total profit is {total}; the whale curve needs a positive total",
                        "总利润为 {total}；鲸鱼曲线需要总利润为正数"),
    "err_whale_total_fix": ("Check costs and the window; widen the window or the customer set.",
                            "请检查成本和时间窗口；可放宽时间窗口或客户范围。"),
    "err_bands_bad": ("bands {bands} are not increasing percentages between 0 and 100",
                      "分段 {bands} 不是 0 到 100 之间递增的百分数"),
    "err_bands_bad_fix": ("Give increasing cut-offs such as 1,10.", "请给出递增的分界点，例如 1,10。"),
    "err_no_payment_dates": ("the transactions carry no payment dates; receivables need them",
                             "交易记录中没有付款日期，而应收账款需要它"),
    "err_no_payment_dates_fix": ("Load the sales log with its payment date column mapped to paid_on ({headers}, or "
                                 "`xuanba ingest FILE --map paid_on=<column>`).",
                                 "请导入带付款日期列的销售记录，并把该列映射为 paid_on（{headers}，或 "
                                 "`xuanba ingest FILE --map paid_on=<column>`）。"),
    "err_no_needs": ("customer {customer} has no needs in the needs table", "needs 表中没有客户 {customer} 的需求"),
    "err_no_needs_fix": ("Add rows (customer_id, tag) for this customer or check the id.",
                         "请为该客户添加 (customer_id, tag) 行，或核对客户编号。"),
    "err_ws_no_transactions": ("the workspace has no transactions yet", "工作区里还没有交易记录"),
    "err_ws_no_transactions_fix": ("Run `xuanba ingest SALES_FILE` first, or pass --transactions FILE.",
                                   "请先运行 `xuanba ingest SALES_FILE`，或用 --transactions FILE 给出交易文件。"),
    "err_tx_no_column": ("transactions have no column {column}", "交易表没有 {column} 列"),
    "err_tx_no_column_fix": ("Give a canonical transactions file (customer_id, ts, amount), e.g. the output of "
                             "`xuanba ingest`.", "请给出标准格式的交易文件（customer_id, ts, amount），例如 "
                             "`xuanba ingest` 的输出。"),
    "err_column_not_date": ("{column} is not a date", "{column} 不是有效的日期"),
    "err_column_not_date_fix": ("Write dates as YYYY-MM-DD.", "请把日期写成 YYYY-MM-DD。"),
    "err_column_not_number": ("{column} is not a number", "{column} 不是数字"),
    "err_column_not_number_fix": ("Remove currency signs and text from the column.", "请去掉该列中的货币符号和文字。"),
    "err_tx_no_date": ("transaction without a date", "有交易没有日期"),
    "err_tx_no_date_fix": ("Fill in or drop rows without ts.", "请补上或删去没有 ts 的行。"),
    "err_customer_nowhere": ("customer {customer} is not in the transactions or side tables",
                             "交易记录和附表中都没有客户 {customer}"),
    "err_customer_nowhere_fix": ("Check the id (ids are compared as text, e.g. '0012').",
                                 "请核对客户编号（编号按文本比较，例如 '0012'）。"),
    "err_disk_full": ("the disk is full (no space left on device): {what}; a previous file of that name is unchanged",
                      "磁盘已满（设备上没有剩余空间）：{what}；原有的同名文件没有改动"),
    "err_disk_file_not_written": ("{file} was not written", "{file} 没有写入"),
    "err_disk_a_file": ("a file could not be written", "有文件无法写入"),
    "err_disk_full_at_fix": ("Free space on the disk holding {file} (or write elsewhere with --out), then run the "
                             "command again.", "请在存放 {file} 的磁盘上腾出空间（或用 --out 写到别处），然后重新运行命令。"),
    "err_disk_full_fix": ("Free space on the disk (or write elsewhere with --out), then run the command again.",
                          "请在磁盘上腾出空间（或用 --out 写到别处），然后重新运行命令。"),
    "err_cal_holdout_together": ("--calibration-end and --holdout-end go together", "--calibration-end 和 --holdout-end 须同时给出"),
    "err_cal_holdout_together_fix": ("Give both to split calibration and holdout, or neither (then use --cutoff).",
                                     "两个都给出以划分校准期和验证期，或都不给（此时用 --cutoff）。"),
    "err_use_en_zh": ("Use en or zh.", "请用 en 或 zh。"),
    "err_demo_steps": ("unknown demo steps {steps}", "未知的演示步骤 {steps}"),
    "err_choose_from": ("Choose from {names}.", "请从 {names} 中选择。"),
    "err_no_facts_fix": ("Run `xuanba facts` first, or give a file with --facts.", "请先运行 `xuanba facts`，或用 --facts 给出文件。"),
    "err_round_no_customers": ("round {round_id} has no customers", "第 {round_id} 轮没有任何客户"),
    "err_round_no_customers_fix": ("Run the round on data with customers.", "请在有客户的数据上运行这一轮。"),
    "err_app_listen": ("the app could not listen on {host}:{port}", "应用无法在 {host}:{port} 上监听"),
    "err_app_listen_fix": ("Pick another --port.", "请换一个 --port。"),
    "err_xlsx_cell_long": ("sheet {sheet}, column {column}, row {row}: a text of {n} characters; an Excel cell holds "
                           "{most}", "工作表 {sheet}，{column} 列，第 {row} 行：文本长 {n} 个字符，而 Excel 单元格最多只能容纳 {most} 个"),
    "err_xlsx_cell_long_fix": ("Export this table as .csv or .parquet.", "请把这张表导出为 .csv 或 .parquet。"),
    "err_extra_side_id": ("the extra fields table has a column named _side_id", "额外字段表中有名为 _side_id 的列"),
    "err_extra_side_id_fix": ("Rename that column.", "请给这一列改名。"),
    "err_ibis_backend": ("the Ibis backend {name} cannot run a round: {first}", "Ibis 后端 {name} 无法运行一轮：{first}"),
    "err_ibis_backend_fix": ("Run it on {works}: read the transactions with ibis.duckdb.connect() or a Spark session "
                             "(xuanba round --engine duckdb|spark --source ...).",
                             "请改用 {works} 之一运行：用 ibis.duckdb.connect() 或 Spark 会话读取交易（xuanba round "
                             "--engine duckdb|spark --source ...）。"),
    "err_no_starter": ("no starter standard in {lang}", "没有 {lang} 语言的初始标准"),
    "err_file_exists": ("the file already exists", "文件已存在"),
    "err_file_exists_fix": ("Choose another --out, or pass --force to overwrite it.", "请换一个 --out，或加上 --force 覆盖它。"),
    "err_ws_read_only": ("cannot {what}: the workspace is open read-only", "无法{what}：工作区是以只读方式打开的"),
    "err_ws_read_only_fix": ("Open it with Workspace(path) (read_only=False) to write.",
                             "请用 Workspace(path)（read_only=False）打开后再写入。"),
    "err_ro_set": ("set {key}", "设置 {key}"),
    "err_ro_create_table": ("create table {name}", "创建 {name} 表"),
    "err_ro_write_to_table": ("write to table {name}", "写入 {name} 表"),
    "err_ro_write_table": ("write table {name}", "写出 {name} 表"),
    "err_ro_web_tables": ("create the web tables", "创建网页应用的表"),
    # the models' errors (i18n38): a degenerate fit's words and a program's wrong argument; the model's
    # class name (BetaGeoNBD, GammaGamma ...) is a field, as Python names it
    "err_model_no_option": ("{model} has no option {option}", "{model} 没有 {option} 这个选项"),
    "err_model_options": ("Its options are {options}.", "它的选项有：{options}。"),
    "err_model_needs_columns": ("{model} needs columns {needed}; missing {missing}", "{model} 需要这些列：{needed}；缺少 {missing}"),
    "err_model_columns_fix": ("Columns found: {columns}. Compute them with xuanba.facts or rename.",
                              "找到的列：{columns}。请用 xuanba.facts 计算这些列，或修改列名。"),
    "err_model_column_bad": ("column {column} has missing or non-numeric values", "{column} 列有缺失值或不是数字的值"),
    "err_model_column_bad_fix": ("Every customer needs a number here; drop or repair those rows.",
                                 "每位客户在这一列都需要一个数字；请删去或修正这些行。"),
    "err_model_likelihood": ("{model} could not be fitted: the likelihood is not finite", "{model} 无法拟合：似然值不是有限数"),
    "err_model_likelihood_fix": ("Check the history columns for impossible values (recency > T, negative counts).",
                                 "请检查历史数据各列有没有不可能的值（recency > T、负的次数）。"),
    "err_model_not_fitted": ("this {model} is not fitted yet", "这个 {model} 还没有拟合"),
    "err_model_not_fitted_fix": ("Call .fit(table) first, or load a saved model with .load(path).",
                                 "请先调用 .fit(table)，或用 .load(path) 载入保存的模型。"),
    "err_model_unreadable": ("cannot read a saved model: {reason}", "无法读取保存的模型：{reason}"),
    "err_model_type_unknown": ("unknown model type {model}", "未知的模型类型 {model}"),
    "err_model_file_holds": ("the file holds a {found}, not a {wanted}", "文件里是 {found}，不是 {wanted}"),
    "err_model_file_holds_fix": ("Load it with {found}.load or Model.load.", "请用 {found}.load 或 Model.load 载入。"),
    "err_horizon_negative": ("the horizon {name}={value} must be a non-negative number", "期限 {name}={value} 必须是非负数"),
    "err_horizon_negative_fix": ("Give it in the unit of recency and T, e.g. 52 for a year in weeks.",
                                 "请按 recency 和 T 的时间单位给出，例如以周计时一年写 52。"),
    "err_model_no_repeat": ("{model} cannot be fitted: no customer made a repeat purchase", "{model} 无法拟合：没有一位客户复购过"),
    "err_model_no_repeat_fix": ("The purchase rate and drop-out cannot be told apart without repeat purchases; use a "
                                "longer calibration period.", "没有复购就无法区分购买率和流失；请用更长的校准期。"),
    "err_model_single_history": ("{model} cannot be fitted on a single customer history ({distinct} distinct, {n} "
                                 "customers)", "{model} 无法只凭一种客户历史拟合（{distinct} 种不同的历史，{n} 位客户）"),
    "err_model_single_history_fix": ("Fit on the whole customer base; four parameters need many different histories.",
                                     "请用全部客户拟合；四个参数需要许多不同的历史。"),
    "err_not_a_count": ("n={n} is not a count", "n={n} 不是计数"),
    "err_not_a_count_fix": ("Give n as 0, 1, 2, ... (a number or a list).", "请把 n 写成 0、1、2……（一个数或一个列表）。"),
    "err_interval_not_probability": ("interval={value} is not a probability", "interval={value} 不是概率"),
    "err_interval_not_probability_fix": ("Give the coverage of the interval, e.g. interval=0.9 for 5%..95%.",
                                         "请给出区间的覆盖率，例如 interval=0.9 表示 5%..95%。"),
    "err_no_covariance": ("{model} has no usable covariance matrix, so no interval can be drawn",
                          "{model} 没有可用的协方差矩阵，因此无法给出区间"),
    "err_no_covariance_fix": ("The likelihood is flat at the estimate; predict without interval= or fit more data.",
                              "似然函数在估计值处是平的；请不带 interval= 预测，或用更多数据拟合。"),
    "err_non_finite_estimate": ("{model} gave a non-finite {name} for some histories", "{model} 对部分历史给出的 {name} 不是有限数"),
    "err_non_finite_estimate_fix": ("The fitted parameters are outside the range the closed forms are accurate in; "
                                    "refit with a small penalizer, e.g. penalizer=0.001.",
                                    "拟合出的参数超出了闭式公式准确的范围；请加一个小的 penalizer 重新拟合，例如 "
                                    "penalizer=0.001。"),
    "err_not_opportunities": ("{name}={value} must be a whole number of opportunities (0, 1, 2, ...)",
                              "{name}={value} 必须是整数个交易机会（0、1、2……）"),
    "err_not_opportunities_fix": ("BG/BB counts time in transaction opportunities (e.g. years), not in days.",
                                  "BG/BB 以交易机会（例如年）计时间，而不是以天计。"),
    "err_bgbb_no_repeat": ("BGBB cannot be fitted: no customer made a repeat transaction", "BGBB 无法拟合：没有一位客户有重复交易"),
    "err_bgbb_no_repeat_fix": ("Transaction and drop-out probabilities need some repeat transactions; watch more "
                               "opportunities.", "交易概率和流失概率需要一些重复交易；请观察更多的交易机会。"),
    "err_bgbb_single": ("BGBB cannot be fitted on a single customer history ({n} customers)",
                        "BGBB 无法只凭一种客户历史拟合（{n} 位客户）"),
    "err_bgbb_single_fix": ("Fit on the whole cohort; four parameters need many different histories.",
                            "请用整个客户群拟合；四个参数需要许多不同的历史。"),
    "err_discount_opportunity": ("discount_rate={value} must be a positive rate per opportunity",
                                 "discount_rate={value} 必须是每个交易机会的正利率"),
    "err_discount_opportunity_fix": ("E.g. 0.10 for yearly opportunities and a 10% yearly rate.",
                                     "例如交易机会按年计、年利率 10% 时写 0.10。"),
    "err_model_edge": ("{model} estimates ran off to the edge of the parameter space ({found}): the {n} customers "
                       "cannot identify the purchase and drop-out processes",
                       "{model} 的估计值跑到了参数空间的边缘（{found}）：这 {n} 位客户不足以识别购买过程和流失过程"),
    "err_model_edge_fix": ("Fit on more customers or a longer period, or add a small penalizer: penalizer = 0.01 under "
                           "[predictions] in the standard, --penalizer 0.01 on the command line.",
                           "请用更多客户或更长的时期拟合，或加一个小的 penalizer：在标准的 [predictions] 下写 "
                           "penalizer = 0.01，命令行中用 --penalizer 0.01。"),
    "err_covariate_missing": ("covariate column {column} is not in the table", "表中没有协变量列 {column}"),
    "err_covariate_same_fix": ("Give the same covariate columns the model was fitted with.", "请给出与拟合模型时相同的协变量列。"),
    "err_covariate_one_level": ("covariate {column} has a single level ({levels}), so its effect cannot be estimated",
                                "协变量 {column} 只有一个水平（{levels}），无法估计它的影响"),
    "err_covariate_one_level_fix": ("Drop it from the covariates.", "请把它从协变量中去掉。"),
    "err_covariate_unseen": ("covariate {column} has values the model has not seen (or missing values)",
                             "协变量 {column} 有模型没见过的值（或缺失值）"),
    "err_covariate_unseen_fix": ("Known levels: {levels}. Map new levels to one of them or refit.",
                                 "已知的水平：{levels}。请把新的水平映射到其中之一，或重新拟合。"),
    "err_covariate_bad": ("covariate {column} has missing or non-numeric values", "协变量 {column} 有缺失值或不是数字的值"),
    "err_covariate_bad_fix": ("Fill or drop those customers; covariates must be numbers or levels.",
                              "请补全或去掉这些客户；协变量必须是数字或水平。"),
    "err_gg_too_few": ("GammaGamma cannot be fitted: {n} customer(s) with repeat purchases and positive spend",
                       "GammaGamma 无法拟合：有复购且消费额为正的客户只有 {n} 位"),
    "err_gg_too_few_fix": ("The spend model needs many repeat buyers; use a longer calibration period.",
                           "消费额模型需要许多复购客户；请用更长的校准期。"),
    "err_gg_single": ("GammaGamma cannot be fitted on a single (frequency, spend) history",
                      "GammaGamma 无法只凭一种（频次，消费额）历史拟合"),
    "err_gg_single_fix": ("Fit on the whole customer base.", "请用全部客户拟合。"),
    "err_gg_infinite": ("the fitted Gamma-Gamma has q = {q} <= 1, so the mean spend is infinite",
                        "拟合出的 Gamma-Gamma 的 q = {q} <= 1，平均消费额为无穷大"),
    "err_gg_infinite_fix": ("A few extreme spenders dominate; cap outliers or fit on a cleaner revenue measure.",
                            "少数消费极高的客户左右了结果；请截断异常值，或用更干净的收入口径拟合。"),
    "err_discount_time_unit": ("discount_rate={value} must be a positive rate per time unit",
                               "discount_rate={value} 必须是每个时间单位的正利率"),
    "err_discount_time_unit_fix": ("E.g. 0.15 a year in weekly data is 1.15 ** (1/52) - 1 = 0.00269.",
                                   "例如按周的数据、年利率 0.15 时为 1.15 ** (1/52) - 1 = 0.00269。"),
    "err_retention_short": ("a retention series needs the cohort size and at least one later count",
                            "留存序列需要群组规模和至少一个之后的计数"),
    "err_retention_short_fix": ("Give the active customers at the start of periods 0, 1, 2, ... e.g. [1000, 631, 468].",
                                "请给出第 0、1、2……期开始时仍活跃的客户数，例如 [1000, 631, 468]。"),
    "err_retention_increases": ("the retention series must be non-negative and never increase", "留存序列必须非负且不能增加"),
    "err_retention_rises": ("the retention series must be non-negative and never increase: more customers are active at "
                            "the start of these periods than of the one before",
                            "留存序列必须非负且不能增加：以下各期开始时的活跃客户比上一期多"),
    "err_retention_increases_fix": ("Count the customers of one cohort still active at the start of each period; new "
                                    "customers belong to a new cohort.",
                                    "请数同一群组中每期开始时仍活跃的客户；新客户属于新的群组。"),
    "err_sbg_no_churn": ("ShiftedBetaGeometric cannot be fitted: nobody churned", "ShiftedBetaGeometric 无法拟合：没有人流失"),
    "err_sbg_no_churn_fix": ("With no churn the churn probabilities are not identified; observe more periods.",
                             "没有流失就无法识别流失概率；请观察更多期。"),
    "err_sbg_one_period": ("ShiftedBetaGeometric cannot be fitted: every customer churned in the same period",
                           "ShiftedBetaGeometric 无法拟合：所有客户都在同一期流失"),
    "err_sbg_one_period_fix": ("Two parameters need churn in at least two periods (or some still-active customers).",
                               "两个参数需要至少两期有流失（或有一些仍活跃的客户）。"),
    "err_not_periods": ("{name}={value} must be a whole number of periods >= {minimum}", "{name}={value} 必须是不小于 {minimum} 的整数期数"),
    "err_not_periods_fix": ("Periods are counted in the contract's unit (years, months).", "期数按合同的单位（年、月）计。"),
    "err_discount_period": ("discount_rate={value} must be a positive rate per period", "discount_rate={value} 必须是每期的正利率"),
    "err_discount_period_fix": ("E.g. 0.10 for yearly contracts and a 10% yearly rate.", "例如按年签约、年利率 10% 时写 0.10。"),
    "err_unknown_sim_kind": ("unknown kind {kind}", "未知的模拟种类 {kind}"),
    # -- the web app's commands (cli/web.py) ---------------------------------------------------------
    "web_cli_password": ("Password", "密码"),
    "web_cli_password_again": ("Repeat for confirmation", "请再输入一次以确认"),
    "web_cli_add_user_first": ("Add one first: xuanba users add NAME --role admin",
                               "请先添加一位：xuanba users add 用户名 --role admin"),
    "web_cli_no_workspace": ("{workspace} does not exist", "{workspace} 不存在"),
    "web_cli_no_workspace_fix": ("Pass --workspace with the workspace to serve.", "请用 --workspace 给出要提供服务的工作区。"),
    "web_cli_active": ("active", "启用"),
    "web_cli_disabled": ("disabled", "已停用"),
    "web_cli_user_disabled": ("{name}: disabled", "{name}：已停用"),
    "web_cli_password_changed": ("{name}: password changed", "{name}：密码已修改"),
    "web_cli_link_revoked": ("revoked", "已撤销"),
    "web_cli_link_until": ("until {until}", "有效期至 {until}"),
    "web_cli_revoked": ("{link}: revoked", "{link}：已撤销"),
    "web_cli_name_customer": ("name a customer (or --list, --revoke LINK)", "请指定一位客户（或使用 --list、--revoke 链接编号）"),
    "web_cli_name_customer_fix": ("xuanba share CUSTOMER_ID --days 30", "xuanba share 客户编号 --days 30"),
    "web_cli_no_customer": ("the latest round holds no customer {customer}", "最近一轮中没有客户 {customer}"),
    "web_cli_no_customer_fix": ("Check the id against the roster (`xuanba export`).",
                                "请对照名单核对客户编号（`xuanba export`）。"),
    "web_cli_link_valid": ("link {link}, valid until {until} UTC", "链接 {link}，有效期至 {until}（UTC）"),
    "web_err_name": ("{name} is not a user name xuanba accepts", "{name} 不是可用的用户名"),
    "web_err_name_fix": ("Use 1 to 64 letters, digits, '.', '_', '-' or '@'.",
                         "请用 1 到 64 个字母、数字或 '.'、'_'、'-'、'@'。"),
    "web_err_password": ("the password has {n} characters; at least {min} are needed",
                         "密码只有 {n} 个字符，至少需要 {min} 个"),
    "web_err_password_fix": ("Choose a longer password (a few words work well).", "请设一个更长的密码（几个词连在一起就很好）。"),
    "web_err_role": ("{role} is not a role", "{role} 不是可用的角色"),
    "web_err_role_fix": ("Use one of {roles}.", "请使用以下角色之一：{roles}。"),
    "web_err_owner": ("a rep needs --owner, the rep's name as the data's owner column writes it",
                      "销售（rep）需要 --owner，即数据中负责人列里这位销售的名字"),
    "web_err_owner_fix": ("Add --owner 'NAME' (see the owner column of the customers table).",
                          "请加上 --owner '名字'（见客户表的负责人列）。"),
    "web_err_exists": ("the user {name} exists already", "用户 {name} 已经存在"),
    "web_err_exists_fix": ("Pick another name, or change the password with `xuanba users password`.",
                           "请换一个名字，或用 `xuanba users password` 修改密码。"),
    "web_err_no_user": ("there is no user {name}", "没有用户 {name}"),
    "web_err_no_user_fix": ("See `xuanba users list`.", "请查看 `xuanba users list`。"),
    "web_err_days": ("--days {days} is out of range", "--days {days} 超出范围"),
    "web_err_days_fix": ("Give a number of days from 1 to 366.", "请给出 1 到 366 之间的天数。"),
    "web_err_no_link": ("there is no link {link}", "没有链接 {link}"),
    "web_err_no_link_fix": ("See `xuanba share --list`.", "请查看 `xuanba share --list`。"),
    "web_err_unchanged": ("this text is version {version} as published last: nothing changed",
                          "这段文本就是上次发布的 {version} 版，没有任何改动"),
    "web_err_unchanged_fix": ("Edit the standard before publishing it.", "请先修改标准，再发布。"),
    "web_err_version_taken": ("{name} version {version} is published already with another text",
                              "{name} 的 {version} 版已经发布过，内容与此不同"),
    "web_err_version_taken_fix": ("Raise `version` in [standard] (say to the next number) and publish again.",
                                  "请调高 [standard] 中的 `version`（比如改成下一个编号），再发布。"),
    "web_err_too_long": ("the standard has {n} characters; at most {most} are taken",
                         "标准共有 {n} 个字符，最多只接受 {most} 个"),
    "web_err_too_long_fix": ("A standard is a few criteria, gates and tiers: shorten it.",
                             "一份标准只需几条指标、门槛和层级，请精简。"),
    "web_err_busy": ("a round is running already (started by {user} at {started}, {standard} at {cutoff})",
                     "已有一轮正在运行（由 {user} 于 {started} 启动，{standard}，截止日 {cutoff}）"),
    "web_err_busy_fix": ("Wait for it to end, then start yours.", "请等它结束后再启动。"),
    "web_err_no_version": ("no such version of the standard", "没有这个版本的标准"),
    "web_err_no_version_fix": ("Pick one of the versions listed.", "请从列出的版本中选一个。"),
    "web_err_no_round_yet": ("no round is stored yet", "还没有保存任何轮次"),
    "web_err_no_round_yet_fix": ("Run a round first, then preview against it.", "请先运行一轮，再据此预览。"),
    "web_needs_user": ("binding to {host} makes the app reachable from other machines, and the workspace has no user",
                       "监听 {host} 会让其他机器访问到本应用，而工作区还没有用户"),
    # the roster's filters, the customer's predictions and account, the account-work and API pages
    "web_segment": ("Segment", "客群"),
    "web_score_min": ("Score from", "得分不低于"),
    "web_score_max": ("Score to", "得分不高于"),
    "web_left_out": ("Left out by capacity", "因容量落选"),
    "web_yes": ("yes", "是"),
    "web_no": ("no", "否"),
    "web_predictions": ("Predictions the round stored", "本轮保存的预测"),
    "web_prediction": ("Prediction", "预测"),
    "web_estimate": ("Estimate", "估计值"),
    "web_no_interval": ("Intervals: not stored by the round (its standard sets no [predictions] interval, "
                        "or the fit could not give one: the round's model warnings say why).",
                        "区间：本轮未保存（其标准未设 [predictions] interval，或模型拟合无法给出区间，"
                        "原因见本轮的模型警告）。"),
    "web_interval_given": ("In brackets: the bounds given with the round's fields (not computed by xuanba).",
                           "括号内为随本轮字段一并提供的上下限（非 xuanba 计算）。"),
    "web_interval_means": (
        "In brackets: the range in which this customer's expected value lies with {level} probability, "
        "given how precisely the model's parameters are known from the whole customer base (parameter "
        "uncertainty). It is not the range of what the customer will actually buy, which varies more.",
        "括号内为区间：由全体客户估计模型参数时存在不确定性，该客户的期望值以 {level} 的概率落在此范围内。"
        "它不是该客户实际购买量的范围，实际购买的波动更大。"),
    "web_predictions_from": ("From the model the round fitted: {model}.", "来自本轮拟合的模型：{model}。"),
    "web_account": ("Account", "客户经营"),
    "web_contacts": ("Contacts and their KPI", "联系人及其考核指标"),
    "web_role": ("Role", "职务"),
    "web_kpi": ("KPI", "考核指标"),
    "web_promises": ("Promises", "承诺"),
    "web_promise_text": ("Promise", "承诺内容"),
    "web_promise_rep": ("Rep", "负责人"),
    "web_promise_due": ("Due", "到期"),
    "web_promise_kept": ("Kept on", "兑现日"),
    "web_promise_state": ("State at the cutoff", "截止日状态"),
    "web_state_kept_on_time": ("kept on time", "按时兑现"),
    "web_state_kept_late": ("kept late", "延迟兑现"),
    "web_state_broken": ("broken", "未兑现"),
    "web_state_overdue": ("overdue", "逾期"),
    "web_state_open": ("open", "未到期"),
    "web_interactions": ("Latest interactions", "最近的互动"),
    "web_kind": ("Kind", "方式"),
    "web_minutes": ("Minutes", "分钟"),
    "web_cost": ("Cost", "成本"),
    "web_resources": ("Matching resources", "匹配的资源"),
    "web_resource_channel": ("Channel", "渠道"),
    "web_resource_price": ("Price", "价格"),
    "web_resource_why": ("Why", "理由"),
    "web_accounts": ("Account work", "客户经营"),
    "web_accounts_none": ("The round stored no account analysis: ingest interactions, commitments, customers or "
                          "payment dates, then run a round.",
                          "本轮没有保存客户经营分析：请导入互动、承诺、客户或付款日期后再运行一轮。"),
    "web_whale_reading": ("The top {cpct}% of these {n} accounts earn {ppct}% of their profit.",
                          "这 {n} 个客户中前 {cpct}% 贡献了其利润的 {ppct}%。"),
    "web_whale_engine_rep": ("No whale curve: this round ran on {engine} and stored only its selected customers, "
                             "so the curve of all your accounts cannot be drawn from it.",
                             "不绘制鲸鱼曲线：本轮在 {engine} 上运行，只保存了入选客户，无法据此画出您全部客户的曲线。"),
    "web_whale_none": ("No whale curve: the round stored no profit per customer with a positive total.",
                       "没有鲸鱼曲线：本轮没有保存合计为正的客户利润。"),
    "web_keep_warm_by_owner": ("Keep-warm accounts by owner", "各负责人的保温客户数"),
    "web_overdue_promises": ("Overdue promises at the cutoff: {n} (the {shown} longest overdue)",
                             "截止日逾期的承诺：{n} 项（逾期最久的 {shown} 项）"),
    "web_api_docs": ("API", "接口"),
    "web_api_param": ("Parameter", "参数"),
    "web_api_in": ("In", "位置"),
    "web_api_type": ("Type", "类型"),
    "web_demo_serving": ("Opening the demo workspace in the browser: log in as {user} with the password {password} "
                         "(a demo account: never reuse it).",
                         "正在浏览器中打开演示工作区：用户 {user}，密码 {password}（仅供演示，请勿重复使用）。"),
    "history_title": ("Rank across rounds", "历轮排名"),
    "history_x": ("Round (cutoff)", "轮次（截止日）"),
    "history_y": ("Rank (1 is best)", "排名（1 为最好）"),
}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language when none is asked for, from the locale: the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set (their POSIX order of precedence) gives ``"zh"``
    when it starts with ``zh`` (``zh_CN.UTF-8``, ``zh_TW``), else ``"en"``. The one default of
    every command and output.

    Examples
    --------
    >>> default_lang({"LANG": "zh_CN.UTF-8"}), default_lang({"LC_ALL": "C", "LANG": "zh_CN"})
    ('zh', 'en')
    """
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


#: The language of the notebook display chosen by :func:`set_lang`; ``None``: the locale decides.
_display: dict[str, str | None] = {"lang": None}


def set_lang(lang: str | None) -> None:
    """Choose the language of what xuanba shows in a notebook (the ``_repr_html_`` of a diff, a
    model, an ingest report, an evaluation): ``"zh"`` or ``"en"``; ``None`` gives it back to the
    locale (:func:`default_lang`), the rule every command follows.

    Example
    -------
    >>> set_lang("zh"); display_lang()
    'zh'
    >>> set_lang(None)
    """
    _display["lang"] = None if lang is None else check_lang(lang)


def display_lang() -> str:
    """The language of the notebook display: :func:`set_lang`'s, else the locale's."""
    return _display["lang"] or default_lang()


def reason_words(reason: str, lang: str) -> str:
    """Why ingest rejected a row (the ``reason`` of the rejects table, kept raw there) in words of
    ``lang``; a reason without a phrase (one naming a file) as it is; a side table's ``column:
    reason`` with its reason in words.

    Example
    -------
    >>> reason_words("unparseable date", "zh"), reason_words("order already loaded from a.csv", "zh")
    ('日期无法识别', 'order already loaded from a.csv')
    >>> reason_words("segment: Excel error cell", "zh")
    'segment：Excel 错误值单元格'
    """
    key = "reject_" + reason.lower().replace(" ", "_").replace("-", "_")  # "Excel error cell": reject_excel_error_cell
    if key in TEXT:
        return t(key, lang)
    column, sep, why = reason.rpartition(": ")
    said = reason_words(why, lang) if sep and column else why
    return f"{column}{'：' if lang == 'zh' else ': '}{said}" if sep and said != why else reason


#: The phrases of the warnings a round stores (raised in English, read back by :func:`warning_words`).
#: ``interval_on_engine`` is raised no more: it stays for its readers, :func:`warning_words` (the
#: report's model section, the web's overview), which say in either language what the engine
#: rounds stored before they computed intervals (in ``meta["model_warnings"]``).
WARNING_KEYS = ("interval_none", "interval_on_engine", "trust_problem", "round_fallback")
#: The phrases of why a fit cannot be trusted or gives no interval (``"; "`` between several).
PROBLEM_KEYS = ("problem_edge", "problem_no_stderr", "problem_zero_stderr", "problem_not_maximum",
                "problem_ill_conditioned", "problem_not_converged", "interval_no_covariance", "interval_not_psd")


#: What a field of a phrase of :data:`CHOICE_KEYS` holds (a model's name, a number), which is all
#: :func:`read_phrase` reads there: with any text in each of its five fields, ``choice_as_well``
#: took seconds to match a crafted stored reason of a few thousand characters (review39). The
#: fields of the warnings' phrases may hold any text (fewer, and tested so).
_NUMBER = r"-?inf|nan|[-\d.,e+]+"
_CHOICE_FIELDS = {"model": r"[\w-]+", "other": r"[\w-]+", "best": r"[\w-]+", "days": r"\d+", "bic": _NUMBER,
                  "error": _NUMBER, "other_error": _NUMBER, "best_error": _NUMBER, "share": r"[\d.]+%",
                  "gap": _NUMBER}

#: The longest stored text :func:`read_phrase` reads back; a longer one is said as it is. The
#: warnings' phrases take any text in their fields (several of them), and a crafted stored warning
#: of 7,360 characters took 10 s to match ``interval_none`` (review39b); xuanba's own are a few
#: hundred characters long.
READ_PHRASE_MAX = 2000


@functools.cache
def _english_pattern(key: str) -> re.Pattern[str]:
    """The English phrase ``key`` as a pattern: each ``{field}`` a named group of any text, or of
    what :data:`_CHOICE_FIELDS` says it holds in a phrase of :data:`CHOICE_KEYS`."""
    narrow = _CHOICE_FIELDS if key in CHOICE_KEYS else {}
    parts = re.split(r"\{(\w+)\}", t(key, "en"))
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{narrow.get(p, '.*?')})"
                              for i, p in enumerate(parts)), re.S)


def read_phrase(text: str, keys: Sequence[str]) -> tuple[str, dict[str, str]] | None:
    """Which English phrase of ``keys`` ``text`` is, and its fields; ``None`` when it is none (or
    when it is longer than :data:`READ_PHRASE_MAX`).

    Example
    -------
    >>> read_phrase("BGNBD cannot be trusted: the optimiser did not converge", WARNING_KEYS)
    ('trust_problem', {'model': 'BGNBD', 'problem': 'the optimiser did not converge'})
    """
    if len(text) > READ_PHRASE_MAX:  # none of xuanba's: said as it is, not matched (see READ_PHRASE_MAX)
        return None
    for key in keys:
        found = _english_pattern(key).fullmatch(text)
        if found is not None:
            return key, found.groupdict()
    return None


def problem_words(text: str, lang: str) -> str:
    """Why a fit cannot be trusted (its problems, ``"; "`` between them, raised in English) in
    words of ``lang``: the fields (parameter names, values) as they are; a problem without a
    phrase as it is.

    Example
    -------
    >>> problem_words("a = 1e-07 is at the edge of its range; the optimiser did not converge", "zh")
    '参数 a = 1e-07 落在了取值范围的边界上；优化算法没有收敛'
    """
    said = []
    for part in text.split("; "):
        found = read_phrase(part, PROBLEM_KEYS)
        said.append(part if found is None else t(found[0], lang, **found[1]))
    return t("list_sep", lang).join(said)


def _columns_words(text: str, lang: str) -> str:
    """A list of fields as the English phrases give it (``a, b and c``) by their headers."""
    fields = [f for f in re.split(r", | and ", text) if f]
    return t("list_comma", lang).join(column_words(f, lang)[0] for f in fields)


def warnings_of(key: str, warnings: Sequence[str]) -> list[str]:
    """The warnings of ``warnings`` (as a round's fits said them, ``"UserWarning: …"``) that are
    the phrase ``key`` of :data:`WARNING_KEYS`, without their category: picked by the phrase, not
    by a piece of its English (a warning from elsewhere that shares a few words is not one).

    Example
    -------
    >>> said = ["UserWarning: " + t("interval_none", "en", level="90%", fields="p_alive", model="BGNBD",
    ...                            reason="r"), "RuntimeWarning: no 90% interval for x in exp"]
    >>> warnings_of("interval_none", said)
    ["no 90% interval for p_alive: BGNBD's fit cannot give one (r)"]
    """
    out = []
    for text in warnings:
        body = re.sub(r"^\w*Warning: ", "", text, count=1)
        found = read_phrase(body, (key,))
        if found is not None:
            out.append(body)
    return out


def warning_words(text: str, lang: str) -> str:
    """A warning a round stored (raised in English from a phrase of :data:`WARNING_KEYS`, kept as
    it was raised) in words of ``lang``: prediction fields by their headers, the reasons a fit
    cannot be trusted or gives no interval by :func:`problem_words`, other fields (model, parameter
    and criteria names, a reason from elsewhere) as they are; any other warning as it is.

    Example
    -------
    >>> w = ("UserWarning: no 90% interval for expected_spend, clv_1y and clv_3y: GammaGamma's fit cannot "
    ...      "give one (" + t("interval_no_covariance", "en") + ")")
    >>> warning_words(w, "zh")
    '预计每次消费额、预计价值（未来一年）、预计价值（未来三年）没有 90% 区间：GammaGamma 模型的拟合给不出区间（参数没有协方差：Hessian 矩阵奇异，或拟合落在了参数空间的边界上）'
    >>> warning_words("BGNBD cannot be trusted: the standard error of a is zero", "zh")
    'BGNBD 模型的拟合不可信：参数 a 的标准误为零'
    >>> warning_words("RuntimeWarning: overflow in exp", "zh")
    'RuntimeWarning: overflow in exp'
    """
    found = read_phrase(text.removeprefix("UserWarning: "), WARNING_KEYS)
    if found is None:
        return text
    key, fields = found
    if "fields" in fields:
        fields["fields"] = _columns_words(fields["fields"], lang)
    if key == "interval_none":
        fields["reason"] = problem_words(fields["reason"], lang)
    if key == "round_fallback":  # the standard's names as they are, listed the reader's way
        fields["left"] = t("list_comma", lang).join(fields["left"].split(", "))
        fields["reason"] = choice_words(fields["reason"], lang)
    if "problem" in fields:
        fields["problem"] = problem_words(fields["problem"], lang)
    return t(key, lang, **fields)


#: The phrases of why ``auto`` chose a model, or none (raised in English, read back by :func:`choice_words`).
CHOICE_KEYS = ("choice_bic", "choice_holdout", "choice_as_well", "choice_as_well_near", "choice_none")


def choice_words(text: str, lang: str) -> str:
    """Why ``auto`` chose its model, or none (a round stores it in English, from a phrase of
    :data:`CHOICE_KEYS`), in words of ``lang``: model names and numbers as they are; with no
    model, each candidate's problems by :func:`problem_words`; any other text as it is.

    Example
    -------
    >>> choice_words(t("choice_holdout", "en", model="bgnbd", days=90, error="0.1442"), "zh")
    'bgnbd 对最近 90 天的预测最准：按校准期购买次数分组、以客户数加权的误差为 0.1442 次购买'
    >>> choice_words(t("choice_none", "en", why="bgnbd: the optimiser did not converge; pareto-nbd: x"), "zh")
    '这些数据上没有可信的候选模型（bgnbd：优化算法没有收敛；pareto-nbd：x）'
    """
    found = read_phrase(text, CHOICE_KEYS)
    if found is None:
        return text
    key, fields = found
    if key == "choice_none":  # "name: problem; problem; name: error", as choose_model lists them
        said = []
        for part in fields["why"].split("; "):
            named = re.fullmatch(r"([\w-]+): (.*)", part, re.S)
            said.append(problem_words(part, lang) if named is None else
                        t("name_said", lang, name=named[1], said=problem_words(named[2], lang)))
        fields["why"] = t("list_sep", lang).join(said)
    return t(key, lang, **fields)


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`; a clear error otherwise.

    Examples
    --------
    >>> check_lang("zh")
    'zh'
    """
    if lang not in LANGS:
        raise InputError(Phrase("err_lang", lang=repr(lang)), fix=Phrase("err_lang_fix"))
    return lang


def t(key: str, lang: str, /, **kw: Any) -> str:
    """The phrase ``key`` of :data:`TEXT` in ``lang`` (Chinese for ``"zh"``, else English), with
    ``{fields}`` filled in.

    Examples
    --------
    >>> t("std_tier_min", "zh", min=60)
    '得分不低于 60'
    """
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**kw) if kw else text


def counted(key: str, count: int) -> str:
    """The key of phrase ``key`` said of ``count`` things: ``key_one`` when ``count`` is 1 and the
    table has it (English's singular; Chinese, without plurals, says the same words in both).

    Examples
    --------
    >>> t(counted("selection_only_lost", 1), "en", rest=1)
    "The other customer's row was not kept (the round was run without --roster-out)."
    >>> counted("selection_only_lost", 2), counted("web_not_found", 1)
    ('selection_only_lost', 'web_not_found')
    """
    one = f"{key}_one"
    return one if count == 1 and one in TEXT else key


def has(key: str) -> bool:
    """Whether :data:`TEXT` has a phrase for ``key``.

    Examples
    --------
    >>> has("field_revenue_365d"), has("field_nps")
    (True, False)
    """
    return key in TEXT


def sheet_words(name: str, lang: str) -> str:
    """The name of a sheet xuanba writes (``roster``, ``facts``, ``columns`` ...) for a reader of
    ``lang``; any other name as it is.

    Examples
    --------
    >>> sheet_words("roster", "zh"), sheet_words("roster", "en"), sheet_words("Q3", "zh")
    ('名单', 'roster', 'Q3')
    """
    key = f"xlsx_sheet_{name}"
    return t(key, lang) if key in TEXT else name


#: The values xuanba writes itself that a workbook shows in words: by column, the phrase of each
#: (a diff's ``status``; the places of a customer outside a round's tiers, which a migration table
#: also uses as headers).
_PLACES = {"(not selected)": "xlsx_value_not_selected", "(absent)": "xlsx_value_absent"}
CELL_PHRASES: dict[str, dict[str, str]] = {
    "status": {s: f"xlsx_status_{s}" for s in ("entered", "left", "rose", "fell", "same")},
    "tier_a": _PLACES, "tier_b": _PLACES, "from": _PLACES, "": _PLACES,
}


def cell_words(column: str, value: Any, lang: str) -> Any:
    """A value of column ``column`` as a reader of ``lang`` sees it in a workbook: the words for a
    value xuanba writes itself (:data:`CELL_PHRASES`; column ``""``: a header), anything else as it is.

    Examples
    --------
    >>> cell_words("status", "rose", "zh"), cell_words("tier_b", "(not selected)", "zh"), cell_words("name", "rose", "zh")
    ('上升', '（未入选）', 'rose')
    """
    key = CELL_PHRASES.get(column, {}).get(value) if isinstance(value, str) else None
    return value if key is None else t(key, lang)


def column_words(field: str, lang: str) -> tuple[str, str, str]:
    """A column's header, meaning and number kind (see :data:`FIELD_CATALOGUE`) for a reader of ``lang``;
    a field the catalogue does not know keeps its name, with no meaning and no kind.

    Examples
    --------
    >>> column_words("revenue_365d", "zh")
    ('收入（近365天）', '近 365 天收入', 'money')
    >>> column_words("p_alive_lower", "en")[0]
    'P(alive), lower bound'
    >>> column_words("nps", "en")
    ('nps', '', '')
    """
    base, _, end = field.rpartition("_")
    if field not in FIELD_CATALOGUE and end in ("lower", "upper") and base in FIELD_CATALOGUE:  # an interval's bounds
        header, meaning, kind = column_words(base, lang)
        return t(f"xlsx_{end}", lang, header=header), t("xlsx_bound_meaning", lang, meaning=meaning), kind
    if field not in FIELD_CATALOGUE:
        return field, "", ""
    kind, header, meaning = FIELD_CATALOGUE[field]
    i = 1 if lang == "zh" else 0
    return header[i], meaning[i], kind
