"""Point 3: private formulas do not leak through gates.

A private criterion's formula written without spaces in a gate (``margin_365d/revenue_365d > 0.1``)
used to be printed in every statement, and ``standard show --public`` printed gates the statements
hid. Privacy is decided once on the parsed standard and used by every public view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_report import visible_text
from tests.test_standard_words import load, standard_text
from xuanba.cli import app
from xuanba.outputs._synthetic import SyntheticRound
from xuanba.outputs.report import build_report
from xuanba.outputs.statements import build_statement
from xuanba.standard import describe, load_standard, score_customers

#: The same gate over a private criterion's formula, spaced and parenthesised in different ways.
RATIO_GATES = ["margin_365d/revenue_365d > 0.1", "margin_365d / revenue_365d > 0.1",
               "(margin_365d/revenue_365d) > 0.1 and p_alive > 0"]

#: What a public view must never say: the private criteria's names, labels, fields and formulas
#: (as written and in words), the private gates' names, labels and rules.
SECRETS = ["secret_ratio", "Hidden margin rate", "secret_score", "Hidden credit score", "payment_punctuality",
           "margin_365d/revenue_365d", "margin_365d / revenue_365d", "÷", "ratio_ok", "Healthy ratio gate",
           "not_internal", "Not a house account", "internal'", "“internal”"]


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


def test_a_customer_failing_only_a_private_gate_is_not_told_of_it():
    std = load("margin_365d/revenue_365d > 0.1")
    rnd = scored_round(std)
    failed = rnd.roster[rnd.roster["gates_failed"].astype(str).str.contains("not_internal")]
    assert len(failed)
    for cid in failed["customer_id"]:
        text = visible_text(build_statement(rnd, cid))
        assert "Not a house account" not in text and "not_internal" not in text
