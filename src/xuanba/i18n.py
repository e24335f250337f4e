"""The one translation table of xuanba: every user-facing phrase in English and Chinese.

Every layer (the standard, the outputs, the command line, account work) takes its words from
:data:`TEXT` through :func:`t`; no other module keeps its own table of translations (a test
scans the sources). Keys are grouped by where the words are used: ``field_*`` the fields a
standard reads, ``std_*`` and ``expr_*`` the standard in plain words, the report and the
statements, ``acct_*`` the account-work sections, ``sheet_*`` resource sheets, ``demo_*`` the
demo command.

Example
-------
>>> t("selected", "zh")
'入选'
>>> t("std_hidden_gates", "en", n=2)
'Internal gates, not published, apply to every customer as well (2 in all).'
"""

from __future__ import annotations

from typing import Any

from xuanba.errors import InputError

LANGS = ("en", "zh")
"""The languages of :data:`TEXT`, in the order of its pairs."""

TEXT: dict[str, tuple[str, str]] = {
    # -- the fields a standard reads, in words (the standard in plain words, reports) --------------
    "field_customer_id": ("customer id", "客户编号"),
    "field_frequency": ("repeat purchases", "复购次数"),
    "field_recency": ("time from first to last purchase", "首次到最近一次购买的间隔"),
    "field_T": ("time since the first purchase", "首次购买至今的时长"),
    "field_monetary_value": ("average spend per repeat purchase", "复购的平均消费额"),
    "field_first_purchase": ("date of the first purchase", "首次购买日期"),
    "field_last_purchase": ("date of the last purchase", "最近一次购买日期"),
    "field_tenure_days": ("days since the first purchase", "首次购买至今的天数"),
    "field_days_since_last": ("days since the last purchase", "距最近一次购买的天数"),
    "field_orders": ("number of orders", "订单数"),
    "field_revenue_total": ("revenue to date", "累计收入"),
    "field_revenue_90d": ("revenue in the last 90 days", "近 90 天收入"),
    "field_revenue_365d": ("revenue in the last 365 days", "近 365 天收入"),
    "field_revenue_prev_365d": ("revenue in the 365 days before those", "再往前 365 天的收入"),
    "field_growth_365d": ("revenue growth over the last 365 days", "近 365 天收入增长"),
    "field_margin_total": ("margin to date", "累计毛利"),
    "field_margin_90d": ("margin in the last 90 days", "近 90 天毛利"),
    "field_margin_365d": ("margin in the last 365 days", "近 365 天毛利"),
    "field_rfm_r": ("RFM recency score (1–5)", "RFM 最近购买得分（1–5）"),
    "field_rfm_f": ("RFM frequency score (1–5)", "RFM 购买频次得分（1–5）"),
    "field_rfm_m": ("RFM spend score (1–5)", "RFM 消费金额得分（1–5）"),
    "field_rfm_score": ("RFM score", "RFM 总分"),
    "field_p_alive": ("probability the customer is still active", "客户仍活跃的概率"),
    "field_expected_purchases_1y": ("expected purchases in the next year", "未来一年的预计购买次数"),
    "field_expected_spend": ("expected spend per purchase", "预计每次消费额"),
    "field_clv_1y": ("predicted value in the next year (discounted)", "未来一年的预计价值（折现）"),
    "field_clv_3y": ("predicted value in the next 3 years (discounted)", "未来三年的预计价值（折现）"),
    "field_churn_90d": ("probability of leaving within 90 days", "90 天内流失的概率"),
    "field_cost_to_serve_365d": ("cost to serve in the last 365 days", "近 365 天服务成本"),
    "field_profit_365d": ("profit after cost-to-serve in the last 365 days", "近 365 天利润（扣除服务成本）"),
    "field_promise_reliability": ("share of promises kept on time", "承诺按时兑现率"),
    "field_days_since_contact": ("days since the last contact", "距最近一次联系的天数"),
    "field_payment_punctuality": ("share of invoices paid on time", "按时付款率"),
    "field_single_threaded": ("hangs on one contact or one rep", "只靠一位联系人或一位销售维系"),
    "field_overdue_receivables": ("overdue receivables", "逾期应收账款"),
    "field_segment": ("segment", "客群"),
    "field_region": ("region", "地区"),
    "field_owner": ("owner", "负责人"),
    "field_size": ("size", "规模"),
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
    # -- the standard in plain words (standard/describe.py) ---------------------------------------
    "std_intro": ("Every customer is scored from 0 to 100 by the same standard \"{name}\" (version {version}), "
                  "a weighted sum of {n} criteria.",
                  "每位客户都按同一个标准“{name}”（第 {version} 版）评分，满分 100 分，由 {n} 项指标加权而成。"),
    "std_criterion": ("{title} ({what}) counts for {share}; {better}; {how}.", "“{title}”（{what}）占 {share}，{better}，{how}。"),
    "std_criterion_same": ("{title} counts for {share}; {better}; {how}.", "“{title}”占 {share}，{better}，{how}。"),
    "std_higher": ("higher is better", "越高越好"),
    "std_lower": ("lower is better", "越低越好"),
    "std_norm_percentile": ("ranked among all customers (percentile)", "按全部客户中的百分位排名"),
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
    "models_reading": ("Fitted on the {n} customers' histories at the cutoff; estimates with standard "
                       "errors and 95% intervals. {extra}",
                       "在截止日基于 {n} 位客户的购买历史拟合；估计值、标准误与 95% 区间。{extra}"),
    "models_excluded": ("Gamma-Gamma left out {k} customers (no repeat purchase or no positive spend); "
                        "they get the population mean spend.",
                        "Gamma-Gamma 未纳入 {k} 位客户（无复购或消费额非正），其消费额取总体均值。"),
    "models_corr": ("Correlation of frequency and spend: {r} (the spend model assumes none).",
                    "购买频次与消费额的相关系数：{r}（消费模型假设二者无关）。"),
    "models_warnings": ("The fits warned: {text}.", "拟合时的警告：{text}。"),
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
    "sheet_standing": ("Standing in round {round_id} (cutoff {cutoff})", "第 {round_id} 轮（截止 {cutoff}）中的位置"),
    "sheet_tier": ("tier", "层级"),
    "sheet_none_tier": ("not selected", "未入选"),
    "sheet_score": ("score", "得分"),
    "sheet_rank": ("rank {rank:,} of {n:,}", "排名 {rank:,} / {n:,}"),
    "sheet_revenue_365d": ("revenue, last 365 days", "近 365 天收入"),
    "sheet_profit_365d": ("profit after cost-to-serve, last 365 days", "近 365 天利润（扣除服务成本）"),
    "sheet_p_alive": ("P(alive)", "仍活跃概率"),
    "sheet_clv_3y": ("predicted 3-year value", "预测 3 年价值"),
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
    "card_note": ("note: {text}", "注：{text}"),
    "card_written": ("{what} written to {path}.", "{what}已写入 {path}。"),
    "card_what_cutoffs": ("Per-cutoff table", "各截止日明细表"),
    "card_what_roster": ("Would-be roster", "假设名单"),
    "card_what_standard": ("Tuned standard", "调整后的标准"),
    "card_what_table": ("Table", "表格"),
    "card_tiers": ("Tiers", "层级"),
    "tune_weights_title": ("Weights of {name} (shares of the score)", "{name} 的权重（占得分的比例）"),
    "tune_cutoffs_title": ("{objective} captured in the horizon after each cutoff", "各截止日之后观察期内捕获的{objective}"),
    "fair_title": ("Selection by {attribute} (value: {value})", "按 {attribute} 的入选情况（价值：{value}）"),
    "fair_verified": ("Verified: round {id}'s roster is reproduced from its stored standard and fields alone "
                      "(roster sha256 {sha}…).",
                      "已验证：第 {id} 轮的名单仅凭其保存的标准与字段即可重现（名单 sha256 {sha}…）。"),
    "fair_not_verified": ("NOT VERIFIED: round {id}'s stored {what} no longer match(es) its hash.",
                          "未通过验证：第 {id} 轮保存的 {what} 与其哈希不再一致。"),
    "wi_title": ("What if {name} v{version} had been applied in round {round_id} ({cutoff})",
                 "若在第 {round_id} 轮（{cutoff}）采用 {name} v{version}"),
    "wi_movers": ("Customers whose tier moves most, and the criteria that moved them",
                  "层级变动最大的客户及推动变动的指标"),
    # -- the notebook: display of a round, a diff, a model, an ingest report (xuanba._html) ------------
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
}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`; a clear error otherwise.

    Examples
    --------
    >>> check_lang("zh")
    'zh'
    """
    if lang not in LANGS:
        raise InputError(f"language {lang!r} is not available", fix="Use --lang en or --lang zh.")
    return lang


def t(key: str, lang: str, **kw: Any) -> str:
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


def has(key: str) -> bool:
    """Whether :data:`TEXT` has a phrase for ``key``.

    Examples
    --------
    >>> has("field_revenue_365d"), has("field_nps")
    (True, False)
    """
    return key in TEXT
