"""Point 5: a statement never shows a raw field name, "raise revenue by about 0.00", or advice
about a model's prediction (a customer cannot "raise" a forecast).

Read over every statement of the demo round, and of a round whose standard reads fields xuanba
has no words for (extra fields, with and without a label)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.test_report import visible_text
from xuanba.i18n import has
from xuanba.outputs._synthetic import SyntheticRound
from xuanba.outputs.statements import build_statements
from xuanba.standard import load_standard, score_customers
from xuanba.standard.describe import field_in_words
from xuanba.standard.expressions import fields_read
from xuanba.standard.schema import PREDICTION_COLUMNS

ADVICE = re.compile(r"The smallest step: (raise|raising|lower|lowering) (.+?) by (about )?([\d,]+(?:\.\d+)?)")
ZERO_STEP = re.compile(r"(by|提高|降低)\s*(about |约)?\s*0(\.0+)?(?!\d|[.,]\d)")


def fields_of(std) -> set[str]:
    """Every field the standard reads: criteria, gates, tie-break, capacity."""
    exprs = [c.field for c in std.criteria] + [g.expr for g in std.gates]
    exprs += [f for f, _ in std.tie_break.sort_keys()]
    exprs += [x for x in (std.capacity.cost_field, std.capacity.objective) if x and x != "score"]
    return {f for e in exprs for f in fields_read(e)}


def raw_names_shown(std, text: str, lang: str) -> list[str]:
    """The field names of ``std`` that ``text`` shows as written, except those whose words in the
    translation table are the name itself (``segment``)."""
    return [f for f in fields_of(std) if not (has(f"field_{f}") and field_in_words(f, lang) == f)
            and re.search(rf"(?<![\w]){re.escape(f)}(?![\w])", text)]


def test_no_raw_field_names_or_zero_steps_on_any_demo_page(demo):
    std = demo.rnd.standard
    fields = fields_of(std) | set(PREDICTION_COLUMNS)
    assert {"revenue_365d", "margin_365d", "p_alive", "clv_3y"} <= fields
    for text in demo.pages.values():
        assert raw_names_shown(std, text, "en") == []
        assert not [f for f in PREDICTION_COLUMNS if f in text]
        assert not ZERO_STEP.search(text)


def test_the_zero_step_pattern_finds_what_it_forbids():
    for bad in ("raise revenue by about 0.00.", "by 0.", "by 0,", "提高约 0.00"):
        assert ZERO_STEP.search(bad), bad
    for fine in ("by about 0.05", "by 0.3", "by about 170", "by 10"):
        assert not ZERO_STEP.search(fine), fine


def test_no_advice_on_a_forecast(demo):
    predicted = [cr.title for cr in demo.rnd.standard.public_criteria if cr.predicted]
    assert len(predicted) == 2
    for text in demo.pages.values():
        m = ADVICE.search(text)
        assert m is None or m.group(2) not in predicted


EXTRA = """
[standard]
name = "extra"
version = "1"

[[criteria]]
name = "nps"
field = "nps_score"
label = "Net promoter score"
weight = 0.3

[[criteria]]
name = "orders_2y"
field = "orders_2y"
weight = 0.3

[[criteria]]
name = "rev_now"
field = "revenue_365d"
weight = 0.2

[[criteria]]
name = "wallet"
field = "walletShare * 100"
weight = 0.2

[[gates]]
name = "credit_ok"
expr = "credit_limit_cny > 0 and nps_score >= 0"

[[tiers]]
name = "A"
min_score = 60

[tie_break]
order = ["visits_12m desc"]

[capacity]
budget = 1000
cost_field = "serve_cost_cny"
"""


def extra_round() -> SyntheticRound:
    fields = ["nps_score", "orders_2y", "walletShare", "credit_limit_cny", "visits_12m", "serve_cost_cny"]
    std = load_standard(EXTRA, extra_fields=fields)
    rng = np.random.default_rng(5)
    n = 80
    frame = pd.DataFrame({"customer_id": [f"K{i:03d}" for i in range(n)], "revenue_365d": rng.lognormal(8, 1, n),
                          **{f: rng.uniform(-1, 10, n) for f in fields}})
    s = score_customers(frame, std)
    meta = {"cutoff": "2026-06-30", "created_at": "2026-07-01T09:00:00", "standard_name": std.name,
            "standard_version": std.version, "standard_sha256": std.sha256, "data_sha256": "1" * 64,
            "n_customers": n, "currency": "CNY"}
    return SyntheticRound("1", meta, std, s.roster, s.contributions, frame)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fields_without_words_are_named_by_their_label_or_said_plainly(tmp_path, lang):
    rnd = extra_round()
    assert fields_of(rnd.standard) >= {"nps_score", "orders_2y", "walletShare", "credit_limit_cny", "visits_12m",
                                       "serve_cost_cny"}
    failed = rnd.roster["gates_failed"].astype(str).str.contains("credit_ok")
    assert failed.any() and (~failed).any()  # some pages name the failed gate in their notes
    paths = build_statements(rnd, tmp_path, lang=lang)
    for p in paths:
        text = visible_text(p.read_text("utf-8"))
        assert raw_names_shown(rnd.standard, text, lang) == [], p.name
        assert "credit limit cny > 0 and Net promoter score ≥ 0" in text or lang == "zh"
        assert "Net promoter score" in text and "orders 2y" in text and "wallet Share" in text
        for name in ("rev_now", "credit_ok"):  # names of criteria and gates without a label
            assert name not in text
