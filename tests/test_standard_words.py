"""The standard in plain words (issue 10 part 3); the words come from one zh/en table. That every
public view shows the same public parts (issue 12 point 3) is checked in
tests/security/test_p03_private_gates.py, over the standard ``HEAD`` below."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import xuanba
from xuanba.i18n import TEXT
from xuanba.standard import describe, load_standard

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")

HEAD = """
[standard]
name = "words"
version = "1"

[[criteria]]
name = "revenue"
field = "revenue_365d"
label = "Revenue this year"
weight = 0.3

[[criteria]]
name = "margin"
field = "margin_365d"
label = "Margin this year"
weight = 0.3

[[criteria]]
name = "secret_ratio"
field = "margin_365d / revenue_365d"
label = "Hidden margin rate"
weight = 0.2
private = true

[[criteria]]
name = "secret_score"
field = "payment_punctuality"
label = "Hidden credit score"
weight = 0.2
private = true

[[gates]]
name = "ratio_ok"
expr = "{ratio_gate}"
label = "Healthy ratio gate"

[[gates]]
name = "active"
expr = "p_alive >= 0.2"
label = "Still active"

[[gates]]
name = "not_internal"
expr = "segment != 'internal'"
label = "Not a house account"
private = true

[[tiers]]
name = "A"
label = "Key accounts"
min_score = 40

[tie_break]
order = ["payment_punctuality desc", "revenue_365d desc"]
"""


def standard_text(ratio_gate: str) -> str:
    return HEAD.replace("{ratio_gate}", ratio_gate)


def load(ratio_gate: str):
    return load_standard(standard_text(ratio_gate))


def test_the_full_view_says_every_rule_in_words():
    std = load("margin_365d/revenue_365d > 0.1")
    full = "\n".join(describe.describe(std, "en"))
    assert "Gate “Healthy ratio gate”: margin in the last 365 days ÷ revenue in the last 365 days > 0.1." in full
    assert "Gate “Not a house account”: segment ≠ “internal”." in full
    assert "Hidden margin rate (margin in the last 365 days ÷ revenue in the last 365 days) counts for 20%" in full
    assert "margin_365d" not in full and "p_alive" not in full  # plain words, not formulas
    public = "\n".join(describe.describe(std, "en", public=True))
    assert "Equal scores are ordered by an internal figure (higher first), then revenue" in public


def test_rules_in_words():
    w = describe.rule_in_words
    assert w("revenue_365d >= 1000") == "revenue in the last 365 days ≥ 1,000"
    assert w("revenue_365d >= 1000", "zh") == "近 365 天收入 ≥ 1,000"
    assert w("not (p_alive < 0.2 or isnull(p_alive))") == (
        "not (probability the customer is still active < 0.2 or probability the customer is still active is unknown)")
    assert w("min(clv_3y, 1e6) if segment in ['a'] else 0") == (
        "the smaller of predicted value in the next 3 years (discounted) and 1e+06 if segment is one of “a”, else 0")
    assert w("payment_punctuality > 0", hidden={"payment_punctuality"}) == "an internal figure > 0"


# -- one translation table ------------------------------------------------------------------------

def test_every_phrase_has_both_languages_with_the_same_fields():
    fields = string.Formatter()
    for key, pair in TEXT.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        en, zh = pair
        assert en.strip() and zh.strip(), key
        assert not CJK.search(en), key
        assert {f for _, f, _, _ in fields.parse(en) if f} == {f for _, f, _, _ in fields.parse(zh) if f}, key


def _is_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def translation_tables(source: str) -> list[int]:
    """Lines of a module where it keeps its own zh/en words: a dict keyed "en" and "zh", a dict of
    (English, Chinese) pairs, or a choice between an English and a Chinese phrase."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            pairs = [v for v in node.values if isinstance(v, ast.Tuple) and len(v.elts) == 2
                     and all(_is_text(e) is not None for e in v.elts)
                     and not CJK.search(_is_text(v.elts[0])) and CJK.search(_is_text(v.elts[1]))]
            if {"en", "zh"} <= keys or pairs:
                found.append(node.lineno)
        elif isinstance(node, ast.IfExp):
            a, b = _is_text(node.body), _is_text(node.orelse)
            if a is not None and b is not None and bool(CJK.search(a)) != bool(CJK.search(b)):
                found.append(node.lineno)
    return found


def test_no_module_but_the_table_keeps_its_own_translations():
    root = Path(xuanba.__file__).parent
    offenders = {str(p.relative_to(root)): lines for p in sorted(root.rglob("*.py"))
                 if p.name != "i18n.py" or p.parent != root
                 for lines in [translation_tables(p.read_text(encoding="utf-8"))] if lines}
    assert offenders == {}


def test_the_scan_finds_the_tables_it_forbids():
    assert translation_tables('_T = {"a": ("Customer", "客户")}') == [1]
    assert translation_tables('L = {"en": {"a": "b"}, "zh": {"a": "乙"}}') == [1]
    assert translation_tables('x = "客户" if zh else "Customer"') == [1]
    assert translation_tables('x = f"{n} 位" if lang == "zh" else f"{n} customers"') == [1]
    assert translation_tables('ALIASES = {"customer_id": ["客户", "customer"]}') == []
