"""The standard in plain words (English or Chinese), one sentence per line — the one rendering
used by ``xuanba standard show``, the round report and the customer statements.

``public=True`` gives what customers are shown: the criteria and gates the standard itself
decides are public (:attr:`xuanba.standard.Standard.privacy`), the share of the score the
private criteria make up, how many private gates apply, and "an internal figure" wherever a
private field would be named. Rules are said in words (:func:`rule_in_words`), never as the
formula of the file; in public a field xuanba has no words for is named by the label of the
criterion that reads it, else by its name said plainly (:func:`public_words`). The words come
from :mod:`xuanba.i18n`.

Example
-------
>>> from xuanba.standard import load_standard, starter_standard
>>> s = load_standard(starter_standard("en"))
>>> public = describe(s, "en", public=True)
>>> any("margin" in line.lower() for line in public)
False
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from xuanba.i18n import has, t
from xuanba.standard.expressions import parse_expression

if TYPE_CHECKING:
    from xuanba.standard.schema import Criterion, Gate, Standard

_SYMBOLS = {ast.Lt: "<", ast.LtE: "≤", ast.Gt: ">", ast.GtE: "≥", ast.Eq: "=", ast.NotEq: "≠"}
_ARITH = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷", ast.FloorDiv: "÷", ast.Mod: "mod",
          ast.Pow: "^"}


def _num(x: float) -> str:
    return f"{x:,.6g}"


def field_in_words(name: str, lang: str = "en") -> str:
    """A field's name in words (its own name when xuanba has no words for it).

    Examples
    --------
    >>> field_in_words("revenue_365d"), field_in_words("nps_score", "zh")
    ('revenue in the last 365 days', 'nps_score')
    """
    return t(f"field_{name}", lang) if has(f"field_{name}") else name


def plain_name(name: str) -> str:
    """A name said plainly: words split at ``_``, ``.``, ``-`` and lower-to-upper case changes.

    Examples
    --------
    >>> plain_name("nps_score"), plain_name("creditLimit"), plain_name("净推荐值")
    ('nps score', 'credit Limit', '净推荐值')
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    return re.sub(r"[\W_]+", " ", text).strip() or str(name)


def public_words(s: Standard, lang: str = "en") -> dict[str, str]:
    """What public views call each field of ``s`` that xuanba has no words for: the label of a
    public criterion whose formula is just that field, else its name said plainly
    (:func:`plain_name`), so a customer never reads a column name such as ``nps_score``.

    Example
    -------
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('''
    ... [standard]
    ... name = "n"
    ... version = "1"
    ... [[criteria]]
    ... name = "nps"
    ... field = "nps_score"
    ... label = "Net promoter score"
    ... weight = 1
    ... [[gates]]
    ... name = "limit"
    ... expr = "credit_limit_cny > 0"
    ... ''', extra_fields=["nps_score", "credit_limit_cny"])
    >>> public_words(s)
    {'nps_score': 'Net promoter score', 'credit_limit_cny': 'credit limit cny'}
    """
    from xuanba.standard.expressions import fields_read

    exprs = [c.field for c in s.criteria] + [g.expr for g in s.gates] + [f for f, _ in s.tie_break.sort_keys()]
    exprs += [x for x in (s.capacity.cost_field, s.capacity.objective) if x and x != "score"]
    labelled = {c.field.strip(): c.label for c in reversed(s.public_criteria) if c.label}
    out: dict[str, str] = {}
    for expr in exprs:
        for f in sorted(fields_read(expr)):
            if not has(f"field_{f}") and f not in out:
                out[f] = labelled.get(f) or plain_name(f)
    return out


def public_title(item: Criterion | Gate, lang: str = "en", words: Mapping[str, str] | None = None) -> str:
    """A criterion or gate as a customer reads it: its label; else a criterion's field in words;
    else its name said plainly (never a column name).

    Example
    -------
    >>> from xuanba.standard.schema import Criterion
    >>> public_title(Criterion(name="rev_now", field="revenue_365d", weight=1))
    'revenue in the last 365 days'
    """
    if item.label:
        return item.label
    field = getattr(item, "field", None)
    if field is not None:
        return rule_in_words(field, lang, words=words)
    return plain_name(item.name)


def rule_in_words(expr: str, lang: str = "en", *, hidden: frozenset[str] | set[str] = frozenset(),
                  words: Mapping[str, str] | None = None) -> str:
    """A rule (a gate, or a criterion's formula) in plain words; fields in ``hidden`` read "an
    internal figure", fields xuanba has no words for read as ``words`` says (else their name).

    Examples
    --------
    >>> rule_in_words("revenue_365d >= 1000 and segment in ['retail', 'online']")
    'revenue in the last 365 days ≥ 1,000 and segment is one of “retail”, “online”'
    >>> rule_in_words("margin_365d/revenue_365d > 0.1 or isnull(margin_365d)", "zh")
    '近 365 天毛利 ÷ 近 365 天收入 > 0.1，或近 365 天毛利未知'
    >>> rule_in_words("nps_score >= 7", words={"nps_score": "NPS"})
    'NPS ≥ 7'
    """
    return _words(parse_expression(expr), lang, hidden, words or {})


def _words(node: ast.AST, lang: str, hidden: frozenset[str] | set[str],  # noqa: C901, PLR0911, PLR0912
           names: Mapping[str, str]) -> str:
    def w(n: ast.AST) -> str:
        return _words(n, lang, hidden, names)

    def group(n: ast.AST) -> str:
        text = w(n)
        return f"({text})" if isinstance(n, ast.BinOp | ast.BoolOp | ast.Compare | ast.IfExp) else text

    if isinstance(node, ast.Name):
        if node.id in hidden:
            return t("std_internal_field", lang)
        return names.get(node.id) or field_in_words(node.id, lang)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return t("expr_true" if node.value else "expr_false", lang)
        if isinstance(node.value, int | float):
            return _num(float(node.value))
        return f"“{node.value}”"
    if isinstance(node, ast.BoolOp):
        key = "expr_and" if isinstance(node.op, ast.And) else "expr_or"
        parts = [group(v) if isinstance(v, ast.BoolOp) else w(v) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = t(key, lang, a=out, b=p)
        return out
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return t("expr_not", lang, x=w(node.operand))
        return ("−" if isinstance(node.op, ast.USub) else "+") + group(node.operand)
    if isinstance(node, ast.BinOp):
        return f"{group(node.left)} {_ARITH[type(node.op)]} {group(node.right)}"
    if isinstance(node, ast.Compare):
        out = group(node.left) if isinstance(node.left, ast.BoolOp | ast.Compare) else w(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                items = t("list_comma", lang).join(w(e) for e in right.elts)  # type: ignore[attr-defined]
                out = t("expr_in" if isinstance(op, ast.In) else "expr_not_in", lang, x=out, items=items)
            else:
                out = f"{out} {_SYMBOLS[type(op)]} {group(right) if isinstance(right, ast.Compare) else w(right)}"
        return out
    if isinstance(node, ast.IfExp):
        return t("expr_if", lang, a=w(node.body), c=w(node.test), b=w(node.orelse))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, args = node.func.id, [w(a) for a in node.args]
        if name in ("isnull", "notnull", "round"):
            return t(f"expr_{name}", lang, x=args[0])
        if name == "coalesce":
            return t("expr_coalesce", lang, x=args[0], d=args[1])
        if name in ("min", "max"):
            return t(f"expr_{name}", lang, a=args[0], b=args[1])
        return {"abs": "|{}|", "log": "ln({})", "log1p": "ln(1 + {})", "sqrt": "√({})"}.get(
            name, name + "({})").format(", ".join(args))
    return ast.unparse(node)  # pragma: no cover - the whitelist allows nothing else


def _share(x: float) -> str:
    pct = 100.0 * x
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f}%"


def _criterion(c: Criterion, share: float, lang: str, words: Mapping[str, str] | None = None) -> str:
    if c.normalise == "bands":
        key = "std_band_at_least" if c.direction == "higher" else "std_band_at_most"
        bands = t("list_sep", lang).join(t(key, lang, th=_num(th), pts=_num(pts)) for th, pts in c.bands or [])
        how = t("std_norm_bands", lang, bands=bands)
    else:
        how = t(f"std_norm_{c.normalise}", lang)
    what = rule_in_words(c.field, lang, words=words)
    title = c.title if words is None else public_title(c, lang, words)
    key = "std_criterion_same" if what.casefold() == title.casefold() else "std_criterion"
    return t(key, lang, title=title, what=what, share=_share(share),
             better=t("std_higher" if c.direction == "higher" else "std_lower", lang), how=how)


def describe(s: Standard, lang: str = "en", *, public: bool = False) -> list[str]:
    """The standard in plain words, one sentence per line.

    Parameters
    ----------
    s
        The standard.
    lang
        ``"en"`` or ``"zh"``.
    public
        What customers are shown: leaves out the private criteria and gates (as the standard
        decides them, :attr:`~xuanba.standard.Standard.privacy`), saying only how much of the
        score the private criteria make up and how many private gates apply.

    Examples
    --------
    >>> from xuanba.standard import load_standard, starter_standard
    >>> s = load_standard(starter_standard("en"))
    >>> [line for line in describe(s) if line.startswith("Gate ")]  # doctest: +NORMALIZE_WHITESPACE
    ['Gate “Made a margin in the last 12 months (where costs are known)”: margin in the last 365 days > 0
      or margin in the last 365 days is unknown.',
     'Gate “Likely still active (P(alive) at least 20%)”: probability the customer is still active ≥ 0.2.']
    >>> [line for line in describe(s, public=True) if "gate" in line.split(":")[0].lower()]  # doctest: +NORMALIZE_WHITESPACE
    ['To be selected at all, a customer must meet every gate:',
     'Gate “Likely still active (P(alive) at least 20%)”: probability the customer is still active ≥ 0.2.',
     'Internal gates, not published, apply to every customer as well (1 in all).']
    """
    privacy = s.privacy
    hidden = privacy.fields if public else frozenset()
    words = public_words(s, lang) if public else None
    shares = s.weight_shares
    criteria = [c for c in s.criteria if not public or s.is_public(c)]
    gates = [g for g in s.gates if not public or s.is_public(g)]
    out = [t("std_intro", lang, name=s.name, version=s.version, n=len(s.criteria))]
    if s.description:
        out.append(s.description)
    out += [_criterion(c, shares[c.name], lang, words) for c in criteria]
    if len(criteria) < len(s.criteria):
        rest = sum(shares[c.name] for c in s.criteria if c not in criteria)
        out.append(t("std_hidden_criteria", lang, n=len(s.criteria) - len(criteria), share=_share(rest)))
    if s.gates:
        out.append(t("std_gates", lang))
        out += [t("std_gate", lang, title=g.title if words is None else public_title(g, lang, words),
                  rule=rule_in_words(g.expr, lang, words=words)) for g in gates]
        if len(gates) < len(s.gates):
            out.append(t("std_hidden_gates", lang, n=len(s.gates) - len(gates)))
    if not s.tiers:
        out.append(t("std_no_tiers", lang))
    for tier in s.tiers:
        parts = []
        if tier.quota is not None:
            parts.append(t("std_tier_share", lang, q=tier.quota) if isinstance(tier.quota, str)
                         else t("std_tier_quota", lang, q=f"{tier.quota:,}"))
        if tier.min_score is not None:
            parts.append(t("std_tier_min", lang, min=_num(tier.min_score)))
        cond = parts[0] if len(parts) == 1 else t("std_tier_both", lang, a=parts[0], b=parts[1])
        out.append(t("std_tier", lang, name=tier.name, title=tier.title, cond=cond))
    cap = s.capacity
    if cap.max_accounts is not None:
        out.append(t("std_max_accounts", lang, n=f"{cap.max_accounts:,}"))
    if cap.budget is not None and cap.cost_field is not None:
        objective = (t("std_total_score", lang) if cap.objective == "score"
                     else rule_in_words(cap.objective, lang, hidden=hidden, words=words))
        out.append(t("std_budget", lang, cost=rule_in_words(cap.cost_field, lang, hidden=hidden, words=words),
                     budget=_num(cap.budget), objective=objective))
    if cap.is_set:
        out.append(t("std_capacity_named", lang))
    keys = []
    for f, asc in s.tie_break.sort_keys():
        name = rule_in_words(f, lang, hidden=hidden, words=words)
        keys.append(name if f == "customer_id" else t("std_asc" if asc else "std_desc", lang, field=name))
    out.append(t("std_tie_break", lang, keys=t("std_then", lang).join(keys)))
    titles = {c.name: c.title if words is None else public_title(c, lang, words) for c in criteria}
    value = [titles[c.name] for c in criteria if c.group == "value"]
    potential = [titles[c.name] for c in criteria if c.group == "potential"]
    if value or potential:
        q = s.quadrants
        names = [q.label(q.names[k]) for k in ("high_value_high_potential", "high_value_low_potential",
                                                "low_value_high_potential", "low_value_low_potential")]
        none = t("std_none", lang)
        out.append(t("std_quadrants", lang, value=t("list_comma", lang).join(value) or none,
                     potential=t("list_comma", lang).join(potential) or none, vt=_num(q.value_threshold),
                     pt=_num(q.potential_threshold), names=t("list_sep", lang).join(names)))
    return out
