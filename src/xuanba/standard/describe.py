"""The standard in plain words (English or Chinese), one sentence per line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xuanba.standard.schema import Standard

_NORM_EN = {
    "percentile": "ranked among all customers (percentile)",
    "minmax": "scaled from the lowest (0) to the highest (1) customer",
    "zscore": "compared with the average (z-score, ±3 standard deviations spans 0 to 1)",
    "bands": "by bands",
}
_NORM_ZH = {
    "percentile": "按全部客户中的百分位排名",
    "minmax": "按最低（0）到最高（1）线性换算",
    "zscore": "与平均值比较（标准分，±3 个标准差对应 0 到 1）",
    "bands": "按分档",
}


def _num(x: float) -> str:
    return f"{x:,.6g}"


def _bands(c, zh: bool) -> str:  # noqa: ANN001
    parts = []
    for th, pts in c.bands or []:
        if zh:
            parts.append(f"{'不低于' if c.direction == 'higher' else '不高于'} {_num(th)} 得 {_num(pts)} 分")
        else:
            parts.append(f"{'at least' if c.direction == 'higher' else 'at most'} {_num(th)} gives {_num(pts)} points")
    return ("；" if zh else "; ").join(parts)


def describe(s: Standard, lang: str = "en", *, include_private: bool = True) -> list[str]:
    """Sentences that say what the standard does; private criteria hidden unless asked."""
    zh = lang == "zh"
    shares = s.weight_shares
    shown = [c for c in s.criteria if include_private or not c.private]
    hidden = len(s.criteria) - len(shown)
    out: list[str] = []
    if zh:
        out.append(f"每位客户都按同一个标准“{s.name}”（第 {s.version} 版）评分，满分 100 分，"
                   f"由 {len(s.criteria)} 项指标加权而成。")
    else:
        out.append(f"Every customer is scored from 0 to 100 by the same standard \"{s.name}\" "
                   f"(version {s.version}), a weighted sum of {len(s.criteria)} criteria.")
    if s.description:
        out.append(s.description)
    for c in shown:
        share = f"{shares[c.name] * 100:.0f}%"
        how = _NORM_ZH[c.normalise] if zh else _NORM_EN[c.normalise]
        if c.normalise == "bands":
            how += ("：" if zh else ": ") + _bands(c, zh)
        if zh:
            better = "越高越好" if c.direction == "higher" else "越低越好"
            out.append(f"“{c.title}”（{c.field}）占 {share}，{better}，{how}。")
        else:
            better = "higher is better" if c.direction == "higher" else "lower is better"
            out.append(f"{c.title} ({c.field}) counts for {share}; {better}; {how}.")
    if hidden:
        out.append(f"另有 {hidden} 项内部指标也计入分数。" if zh
                   else f"{hidden} more internal criteria count towards the score.")
    if s.gates:
        rules = ("；" if zh else "; ").join(f"{g.title}（{g.expr}）" if zh else f"{g.title} ({g.expr})"
                                          for g in s.gates)
        out.append(f"入选的前提是满足全部门槛：{rules}。" if zh
                   else f"To be selected at all a customer must meet every gate: {rules}.")
    if not s.tiers:
        out.append("标准没有设置等级：客户只排名，不入选。" if zh
                   else "The standard has no tiers: customers are ranked, nobody is selected.")
    for t in s.tiers:
        parts = []
        if t.quota is not None:
            q = t.quota if isinstance(t.quota, str) else f"{t.quota}"
            parts.append(f"排名前 {q}{'' if isinstance(t.quota, str) else ' 位'}" if zh
                         else f"the top {q}{'' if isinstance(t.quota, str) else ' customers'}")
        if t.min_score is not None:
            parts.append(f"得分不低于 {_num(t.min_score)}" if zh else f"a score of at least {_num(t.min_score)}")
        cond = ("且" if zh else " with ").join(parts)
        out.append(f"等级 {t.name}“{t.title}”：尚未进入更高等级、满足门槛的客户中，{cond}。" if zh
                   else f"Tier {t.name} ({t.title}): among customers who meet the gates and are not in a "
                        f"higher tier, {cond}.")
    cap = s.capacity
    if cap.max_accounts is not None:
        out.append(f"最多入选 {cap.max_accounts:,} 位客户（团队的服务容量）。" if zh
                   else f"At most {cap.max_accounts:,} customers are selected (the team's capacity).")
    if cap.budget is not None:
        obj = "总分" if cap.objective == "score" and zh else ("the total score" if cap.objective == "score" else cap.objective)
        out.append(f"按 {cap.cost_field} 计的总成本不超过 {_num(cap.budget)}，在此预算内选出{obj}最高的一组客户。" if zh
                   else f"The selected accounts' {cap.cost_field} adds up to at most {_num(cap.budget)}; "
                        f"within it, the set with the highest {obj} is chosen.")
    if cap.is_set:
        out.append("因容量未能入选的客户会被单独标出。" if zh
                   else "Customers left out because of capacity alone are named as such.")
    keys = [f for f, _ in s.tie_break.sort_keys()]
    out.append(f"分数相同时依次比较：{'、'.join(keys)}。" if zh
               else f"Equal scores are ordered by {', then '.join(keys)}.")
    q = s.quadrants
    value = [c.title for c in s.criteria if c.group == "value" and (include_private or not c.private)]
    pot = [c.title for c in s.criteria if c.group == "potential" and (include_private or not c.private)]
    if value or pot:
        names = [q.label(q.names[k]) for k in ("high_value_high_potential", "high_value_low_potential",
                                                "low_value_high_potential", "low_value_low_potential")]
        if zh:
            out.append(f"价值分（{'、'.join(value) or '无'}）与潜力分（{'、'.join(pot) or '无'}）"
                       f"分别以 {_num(q.value_threshold)} 和 {_num(q.potential_threshold)} 为界，"
                       f"把客户分为四个象限：{'；'.join(names)}。")
        else:
            out.append(f"A value sub-score ({', '.join(value) or 'none'}) and a potential sub-score "
                       f"({', '.join(pot) or 'none'}), split at {_num(q.value_threshold)} and "
                       f"{_num(q.potential_threshold)}, place every customer in a quadrant: {'; '.join(names)}.")
    return out
