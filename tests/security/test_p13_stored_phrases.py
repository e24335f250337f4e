"""A round's stored English words are read back by pattern to be said in the reader's language
(the report, the overview page, the command line): a crafted stored reason (a workspace written by
someone else) must come back as it is, at once, not hold the page for seconds."""

from __future__ import annotations

import time

import pytest

from xuanba.i18n import choice_words, t, warning_words
from xuanba.outputs.model_words import model_trust_lines

#: Pieces of the five-field phrase of auto's reason, over and over: with any text in each field a
#: 4,880-character one took 15 s to match (review39).
CRAFTED = " predicted as well as (a against b, within c) and, unlike it," * 70
#: Pieces of a stored warning's four-field phrase (``interval_none``): 7,360 characters took 10 s (review39b).
CRAFTED_WARNING = "no a interval for b: c's fit cannot give one (" * 160


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_crafted_stored_reason_is_said_as_it_is_and_at_once(lang):
    t0 = time.perf_counter()
    choice = model_trust_lines({"model_choice": {"model": "bgnbd", "reason": CRAFTED}}, lang)
    fallback = model_trust_lines({"fallback": {"criteria": ["still_active"], "reason": CRAFTED}}, lang)
    said = warning_words(t("round_fallback", "en", fields="p_alive", reason=CRAFTED, left="still_active"), lang)
    spent = time.perf_counter() - t0
    assert spent < 1.0, f"{spent:.1f} s to read back a {len(CRAFTED):,}-character reason"
    assert CRAFTED in choice[0] and CRAFTED in fallback[0] and CRAFTED in said
    assert choice_words(CRAFTED, lang) == CRAFTED


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_crafted_stored_warning_is_said_as_it_is_and_at_once(lang):
    for text in (CRAFTED_WARNING, "UserWarning: " + CRAFTED_WARNING):
        t0 = time.perf_counter()
        said = warning_words(text, lang)
        spent = time.perf_counter() - t0
        assert spent < 1.0, f"{spent:.1f} s to read back a {len(text):,}-character warning"
        assert said == text
