"""The warnings a round stores (issue 14): raised in English from the one table of phrases, read
back by ``warning_words`` into the reader's language with the fields they carry unchanged."""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd
import pytest

from xuanba.i18n import (
    PROBLEM_KEYS,
    TEXT,
    WARNING_KEYS,
    problem_words,
    read_phrase,
    t,
    warning_words,
)
from xuanba.models._base import EDGE, fit_problems

HOSTILE = "<b>{x}</b> and (a: b); c"


def _fields(key: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(TEXT[key][0]) if f]


@pytest.mark.parametrize("key", [*WARNING_KEYS, *PROBLEM_KEYS])
def test_each_phrase_reads_back_its_fields_and_differs_in_chinese(key):
    """Any value in a field (a hostile one included) comes back from the English text unchanged,
    and the Chinese phrase has the same fields and other words."""
    en, zh = TEXT[key]
    assert en != zh and sorted(_fields(key)) == sorted(f for _, f, _, _ in string.Formatter().parse(zh) if f)
    values = {f: f"{f} {HOSTILE}" for f in _fields(key)}
    if key in ("interval_none", "round_fallback"):
        values["fields"] = "p_alive"  # the prediction fields' list has its own reader (below)
    keys = PROBLEM_KEYS if key in PROBLEM_KEYS else WARNING_KEYS
    assert read_phrase(t(key, "en", **values), keys) == (key, values)


def test_every_reason_fit_problems_gives_has_a_phrase():
    """Each problem fit_problems can report (edge, no or zero standard errors, not a maximum,
    ill-conditioned, no convergence) reads Chinese: none is left in English."""
    params = pd.Series({"r": 0.5, "a": EDGE[1] * 10, "b": 2.0})
    found = fit_problems(params, np.diag([0.01, 0.0, 0.02]), converged=False, log_scale=np.ones(3, bool),
                         shape_params=("r", "a", "b"))
    found += fit_problems(params[["r", "b"]], np.full((2, 2), np.nan), converged=True, log_scale=np.ones(2, bool))
    found += fit_problems(pd.Series({"r": 1.0, "b": 1.0}), np.array([[1.0, 2.0], [2.0, 1.0]]), converged=True,
                          log_scale=np.ones(2, bool))
    found += fit_problems(pd.Series({"r": 1.0, "b": 1.0}), np.array([[1.0, 1.0 - 1e-10], [1.0 - 1e-10, 1.0]]),
                          converged=True, log_scale=np.ones(2, bool))
    said = {read_phrase(p, PROBLEM_KEYS)[0] for p in found if read_phrase(p, PROBLEM_KEYS)}
    assert said == set(PROBLEM_KEYS) - {"interval_no_covariance", "interval_not_psd"}, found
    zh = problem_words("; ".join(found), "zh")
    assert len(zh.split("；")) == len(found) and not re.search(r"\b(the|is|of|its|edge|zero|converge|condition)\b", zh), zh
    assert problem_words("; ".join(found), "en") == "; ".join(found)


def test_a_warning_without_a_phrase_is_shown_as_stored():
    for text in ("RuntimeWarning: overflow encountered in exp", "fallback: {\"reason\": \"x\"}", "", "UserWarning: "):
        assert warning_words(text, "zh") == text and warning_words(text, "en") == text


def test_a_stored_warning_of_an_older_round_reads_in_both_languages():
    """A round stored before the phrases moved into the table raised the same English: it still reads."""
    old = "ParetoNBD cannot be trusted: the Hessian is ill-conditioned (condition number 3e+09)"
    assert warning_words(old, "zh") == "ParetoNBD 模型的拟合不可信：Hessian 矩阵病态（条件数 3e+09）"
    assert warning_words(old, "en") == old


def test_the_interval_warnings_are_picked_by_their_phrase_not_by_a_piece_of_english():
    """``warnings_of`` keeps the warnings that are the phrase (hostile fields too), without their
    category, and leaves a warning that only shares the words " interval for " with it."""
    from xuanba.i18n import warnings_of

    mine = t("interval_none", "en", level="90%", fields="p_alive and clv_3y", model=HOSTILE,
             reason=t("interval_no_covariance", "en"))
    said = [f"UserWarning: {mine}", "RuntimeWarning: overflow in the interval for clv_3y: exp",
            "BGNBD cannot be trusted: no standard errors (the Hessian is singular, or the fit ran to an edge)",
            mine]
    assert warnings_of("interval_none", said) == [mine, mine]
    assert warnings_of("trust_problem", said) == [said[2]]
    assert warnings_of("interval_none", []) == []
