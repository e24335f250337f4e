"""The standard in plain words (issue 10 part 3, issue 12 point 3): privacy is decided once on
the parsed standard and every public view — ``standard show --public``, the statements, the
report's public view — shows the same parts; the words come from one zh/en table."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import xuanba
from tests.test_report import visible_text
from xuanba.cli import app
from xuanba.i18n import TEXT
from xuanba.outputs._synthetic import SyntheticRound
from xuanba.outputs.report import build_report
from xuanba.outputs.statements import build_statement
from xuanba.standard import describe, load_standard, score_customers

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

#: The same gate over a private criterion's formula, spaced and parenthesised in different ways.
RATIO_GATES = ["margin_365d/revenue_365d > 0.1", "margin_365d / revenue_365d > 0.1",
               "(margin_365d/revenue_365d) > 0.1 and p_alive > 0"]

#: What a public view must never say: the private criteria's names, labels, fields and formulas
#: (as written and in words), the private gates' names, labels and rules.
SECRETS = ["secret_ratio", "Hidden margin rate", "secret_score", "Hidden credit score", "payment_punctuality",
           "margin_365d/revenue_365d", "margin_365d / revenue_365d", "÷", "ratio_ok", "Healthy ratio gate",
           "not_internal", "Not a house account", "internal'", "“internal”"]


def standard_text(ratio_gate: str) -> str:
    return HEAD.replace("{ratio_gate}", ratio_gate)


def load(ratio_gate: str):
    return load_standard(standard_text(ratio_gate))


def scored_round(std) -> SyntheticRound:
    rng = np.random.default_rng(3)
    n = 60
    ids = [f"C{i:07d}" for i in range(1, n + 1)]
    revenue = rng.lognormal(8, 1, n)
    fields = pd.DataFrame({
        "customer_id": ids,
        "revenue_365d": revenue,
        "margin_365d": revenue * rng.uniform(-0.1, 0.4, n),
        "payment_punctuality": rng.uniform(0, 1, n),
        "p_alive": rng.uniform(0, 1, n),
        "segment": np.where(np.arange(n) % 5 == 0, "internal", "retail"),
    })
    s = score_customers(fields, std)
    meta = {"cutoff": "2026-06-30", "created_at": "2026-07-01T09:00:00", "standard_name": std.name,
            "standard_version": std.version, "standard_sha256": std.sha256, "data_sha256": "1" * 64,
            "n_customers": n, "currency": "CNY"}
    return SyntheticRound("1", meta, std, s.roster, s.contributions, fields[["customer_id", "revenue_365d",
                                                                          "margin_365d"]])


def gate_lines(lines: list[str] | str) -> set[str]:
    text = lines if isinstance(lines, str) else "\n".join(lines)
    return set(re.findall(r"(?:Gate “[^”]+”|门槛“[^”]+”)", text))


def show_public(tmp_path: Path, text: str, lang: str) -> list[str]:
    path = tmp_path / "words.toml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["standard", "show", str(path), "--public", "--lang", lang, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["sentences"]


# -- privacy, decided once on the parsed standard ------------------------------------------------

@pytest.mark.parametrize("ratio_gate", RATIO_GATES)
def test_a_gate_over_a_private_formula_is_private_however_it_is_spaced(ratio_gate):
    std = load(ratio_gate)
    assert std.privacy.criteria == {"secret_ratio", "secret_score"}
    assert std.privacy.gates == {"ratio_ok", "not_internal"}
    assert [g.name for g in std.public_gates] == ["active"]
    assert [c.name for c in std.public_criteria] == ["revenue", "margin"]
    # fields only private criteria read; margin_365d and revenue_365d are public criteria's too
    assert std.privacy.fields == {"payment_punctuality"}


def test_standard_check_says_which_gates_are_private(tmp_path):
    path = tmp_path / "words.toml"
    path.write_text(standard_text(RATIO_GATES[0]), encoding="utf-8")
    res = CliRunner().invoke(app, ["standard", "check", str(path), "--json"])
    assert res.exit_code == 0, res.output
    gates = {g["name"]: g["private"] for g in json.loads(res.stdout)["gates"]}
    assert gates == {"ratio_ok": True, "active": False, "not_internal": True}


def test_a_gate_reading_a_field_only_private_criteria_use_is_private():
    text = standard_text("p_alive > 0").replace('[tie_break]', '[[gates]]\nname = "scored"\n'
                                                 'expr = "coalesce(payment_punctuality, 0) > 0.5"\n\n[tie_break]')
    std = load_standard(text)
    assert "scored" in std.privacy.gates and "ratio_ok" not in std.privacy.gates


# -- one rendering, the same public view everywhere ------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("ratio_gate", RATIO_GATES)
def test_public_views_name_nothing_private_and_show_the_same_gates(tmp_path, ratio_gate, lang):
    std = load(ratio_gate)
    shown = show_public(tmp_path, standard_text(ratio_gate), lang)
    rnd = scored_round(std)
    statements = [visible_text(build_statement(rnd, cid, lang=lang)) for cid in rnd.roster["customer_id"]]
    report = visible_text(build_report(rnd, lang=lang, public=True))
    words = [describe.rule_in_words(f, lang) for f in ("margin_365d / revenue_365d", "payment_punctuality")]
    for view in ["\n".join(shown), *statements, report]:
        for secret in [*SECRETS, *words]:
            assert secret not in view, secret
    # every public view shows exactly the public gates
    public = gate_lines(describe.describe(std, lang, public=True))
    assert public == {"Gate “Still active”" if lang == "en" else "门槛“Still active”"}
    assert gate_lines(shown) == public
    for page in statements:
        assert gate_lines(page) == public
    assert gate_lines(report) == public
    # and say that internal parts exist, with the share of the score they make up
    assert ("make up 40% of the score" if lang == "en" else "占得分的 40%") in "\n".join(shown)


def test_the_full_view_says_every_rule_in_words():
    std = load("margin_365d/revenue_365d > 0.1")
    full = "\n".join(describe.describe(std, "en"))
    assert "Gate “Healthy ratio gate”: margin in the last 365 days ÷ revenue in the last 365 days > 0.1." in full
    assert "Gate “Not a house account”: segment ≠ “internal”." in full
    assert "Hidden margin rate (margin in the last 365 days ÷ revenue in the last 365 days) counts for 20%" in full
    assert "margin_365d" not in full and "p_alive" not in full  # plain words, not formulas
    public = "\n".join(describe.describe(std, "en", public=True))
    assert "Equal scores are ordered by an internal figure (higher first), then revenue" in public


def test_a_customer_failing_only_a_private_gate_is_not_told_of_it():
    std = load("margin_365d/revenue_365d > 0.1")
    rnd = scored_round(std)
    failed = rnd.roster[rnd.roster["gates_failed"].astype(str).str.contains("not_internal")]
    assert len(failed)
    for cid in failed["customer_id"]:
        text = visible_text(build_statement(rnd, cid))
        assert "Not a house account" not in text and "not_internal" not in text


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
