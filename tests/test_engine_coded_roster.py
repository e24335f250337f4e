"""The roster's texts as small integer codes in the engine (xuanba.standard.engine.score_in_engine):
the engine hands over codes, not a string per customer per column, and the texts made from them
outside are the pandas oracle's (score_customers) — several gates failed at once, ties between
criteria for the cheapest one, quadrants, tiers and the next tier — and the same with the texts
made in the engine when a standard has more gates than a code holds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests._helpers import SPARK_MARKS
from tests.test_standard_engine_roster import FIELDS, _same
from tests.test_standard_engine_roster import _frame as _rows_frame
from xuanba.standard import engine, load_standard
from xuanba.standard.score import score_customers

TEXTS = ("tier", "next_tier", "quadrant", "cheapest_criterion", "cheapest_public_criterion")

STANDARD = """
[standard]
name = "coded"
version = "1"
[[criteria]]
name = "rev"
field = "revenue_365d"
weight = 30
group = "value"
[[criteria]]
name = "rev_again"
field = "revenue_365d"
weight = 30
group = "value"
[[criteria]]
name = "still"
field = "p_alive"
weight = 25
group = "potential"
private = true
[[criteria]]
name = "margin"
field = "margin_365d"
weight = 15
normalise = "minmax"
group = "potential"
[[gates]]
name = "profitable"
expr = "margin_365d > 0"
[[gates]]
name = "active"
expr = "p_alive >= 0.2"
[[gates]]
name = "known"
expr = "not isnull(revenue_365d)"
[[tiers]]
name = "A"
quota = "10%"
[[tiers]]
name = "B"
min_score = 50
quota = 30
[[tiers]]
name = "C"
quota = 50
[capacity]
max_accounts = 100
[quadrants]
value_threshold = 50
potential_threshold = 50
"""


def _frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.gamma(1.0, 100.0, n), 0)  # ties: equal revenues, equal costs of both copies
    revenue[rng.uniform(size=n) < 0.1] = np.nan
    return pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(n)], "revenue_365d": revenue,
                         "margin_365d": np.round(rng.normal(5, 20, n), 1), "p_alive": np.round(rng.uniform(0, 1, n), 2)})


def _kinds_seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """How ``score_in_engine`` asks ``by_rank`` to make each roster column, filled as it runs."""
    seen: dict[str, str] = {}
    real = engine.by_rank

    def spy(batches, n, kinds, **kw):  # noqa: ANN001, ANN202
        seen.update(kinds)
        return real(batches, n, kinds, **kw)

    monkeypatch.setattr(engine, "by_rank", spy)
    return seen


def test_the_engine_hands_over_codes_and_the_texts_are_the_oracles(monkeypatch: pytest.MonkeyPatch) -> None:
    std = load_standard(STANDARD)
    frame = _frame()
    kinds_seen = _kinds_seen(monkeypatch)
    got = engine.score_in_engine(frame, std).roster
    want = score_customers(frame, std).roster
    _same(want, got)
    assert {kinds_seen[c] for c in TEXTS} == {"int16"} and kinds_seen["gates_failed"] == "int64"
    # what the texts cover here: two and three gates failed at once, every tier, a tie for the cheapest
    assert {"profitable; active", "profitable; active; known"} <= set(got.gates_failed)
    assert {"A", "B", "C", ""} <= set(got.tier) and set(got.next_tier) >= {"", "A"}
    assert "rev" in set(got.cheapest_criterion) and "rev_again" not in set(got.cheapest_criterion)
    assert set(got.cheapest_public_criterion) <= {"", "rev", "rev_again", "margin"}
    assert len(set(got.quadrant)) == 4 and got.left_out_by_capacity.any()


def test_more_gates_than_a_code_holds_keep_the_texts_in_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    std = load_standard(STANDARD)
    frame = _frame(seed=5)
    kinds_seen = _kinds_seen(monkeypatch)
    monkeypatch.setattr(engine, "CODED_GATES", 2)  # three gates: one more than a code holds here
    got = engine.score_in_engine(frame, std).roster
    _same(score_customers(frame, std).roster, got)
    assert {kinds_seen[c] for c in (*TEXTS, "gates_failed")} == {"text"}


def test_labels_of_codes() -> None:
    assert engine.gates_label([0, 5, 7, 2], ["a", "b", "c"]) == ["", "a; c", "a; b; c", "b"]
    got = engine.labelled(np.array([1, 0, 2, 1], dtype=np.int16), ["", "x", "yy"])
    assert got.tolist() == ["x", "", "yy", "x"] and got.dtype == pd.Series(["x"], dtype="str").dtype
    mask = np.array([3, 0, 1, 3], dtype=np.int64)
    assert engine._gates_labelled(mask, ["p", "q"]).tolist() == ["p; q", "", "p", "p; q"]


HOSTILE = ["", "a; b", "<b>x</b>", "=cmd|' /C calc'!A0", "甲级", "A", "a", "😀", "a\nb", "; "]
ROWS = [(i % 7, (i % 5) - 2, i % 3, i % 4, ["x", "y", "", None][i % 4]) for i in range(40)] + [(None,) * 5] * 3


def _standard(n_gates: int, *, tiers: bool = True, all_fail: bool = False, quadrants: bool = True) -> str:
    t = '[standard]\nname="p"\nversion="1"\n'
    t += '[[criteria]]\nname="c0"\nfield="a"\nweight=60\ngroup="value"\n'
    t += '[[criteria]]\nname="c1"\nfield="a"\nweight=40\nnormalise="minmax"\n'
    t += f'group="{"potential" if quadrants else "value"}"\n'
    for i in range(n_gates):
        name = HOSTILE[i] if i < len(HOSTILE) else f"g{i}"
        expr = "a > 100" if all_fail else ["a > 1", "b >= 0", "seg != 'y'", "not isnull(b)"][i % 4]
        t += f'[[gates]]\nname={json.dumps(name, ensure_ascii=False)}\nexpr="{expr}"\n'
    if tiers:
        for name, quota in zip(HOSTILE[:4], (3, 5, "\"30%\"", 40), strict=True):
            t += f"[[tiers]]\nname={json.dumps(name, ensure_ascii=False)}\nquota={quota}\n"
        t += "[capacity]\nmax_accounts=6\n"
    t += "[quadrants.names]\n" + "".join(f"{k}={json.dumps(v, ensure_ascii=False)}\n" for k, v in zip(
        ("high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
         "low_value_low_potential"), ("", "<i>=1+1</i>", "a; b", "甲"), strict=True))
    return t


CASES = [dict(n_gates=0), dict(n_gates=3), dict(n_gates=10, all_fail=True), dict(n_gates=62),
         dict(n_gates=63), dict(n_gates=3, tiers=False), dict(n_gates=2, quadrants=False)]


@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c) for c in CASES])
def test_coded_roster_on_hostile_names_is_the_oracles(case):
    """Tier, gate and quadrant names that are empty, hold "; ", markup, formula text, non-ASCII or
    differ by case; 0, 62 and 63 gates, every gate failing, no tiers, quadrants off: the oracle's."""
    std = load_standard(_standard(**case), extra_fields=FIELDS)
    frame = _rows_frame(ROWS)
    _same(score_customers(frame, std).roster, engine.score_in_engine(frame, std).roster)


SPARK_CASES = [CASES[2], CASES[4]]  # every gate failing; 63 gates (texts in the engine)


@pytest.mark.parametrize("case", SPARK_CASES, ids=[json.dumps(c) for c in SPARK_CASES])
@pytest.mark.parametrize("mark", [pytest.param(0, marks=SPARK_MARKS)])
def test_coded_roster_on_spark_is_duckdbs(spark, case, mark):
    from tests.test_standard_engine_spark import _on_spark

    std = load_standard(_standard(**case), extra_fields=FIELDS)
    frame = _rows_frame(ROWS)
    _same(engine.score_in_engine(frame, std).roster, engine.score_in_engine(_on_spark(spark, frame), std).roster)
