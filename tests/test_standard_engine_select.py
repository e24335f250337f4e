"""The selection alone on the engine (xuanba.standard.apply.select, select_in_engine: tiers and
capacity, no roster) against the whole roster's and the pandas oracle's selection, on random bases
and random standards (quotas, bars, capacity by count and by budget, gates, ties, missing values);
and the two ways the engine counts a percentile criterion's values below (a window over the base,
or its distinct values joined back) against the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_standard_engine_roster import FIELDS, NO_SHRINK, ROW, _frame, _same, standards
from xuanba.errors import DataError
from xuanba.standard import engine, load_standard
from xuanba.standard.apply import select
from xuanba.standard.score import score_customers


def _oracle_selection(frame: pd.DataFrame, std) -> tuple[list[int], int]:
    """Positions (in ``frame``) of the oracle's selected customers by rank, and its top tier's size."""
    roster = score_customers(frame, std).roster
    chosen = roster[roster["selected"]]
    where = {cid: i for i, cid in enumerate(frame["customer_id"])}
    k_top = int((chosen["tier"] == std.tiers[0].name).sum()) if std.tiers else 0
    return [where[c] for c in chosen["customer_id"]], k_top


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=NO_SHRINK
)
@given(rows=st.lists(ROW, min_size=1, max_size=30), text=standards())
def test_the_selection_alone_equals_the_whole_rosters_and_the_oracles(rows, text):
    std = load_standard(text, extra_fields=FIELDS)
    frame = _frame(rows)
    try:
        want, k_top = _oracle_selection(frame, std)
    except DataError as exc:
        with pytest.raises(DataError) as got:
            select(frame, std)
        assert got.value.message == exc.message
        return
    pos, k = select(frame, std)
    assert pos.tolist() == want
    assert k == k_top
    full = engine.score_in_engine(
        frame, std, contributions=False
    ).roster  # the engine's own whole path
    assert (
        full.loc[full["selected"], "customer_id"].tolist()
        == frame["customer_id"].take(pos).tolist()
    )


def test_the_selection_alone_builds_no_roster(monkeypatch):
    """select stops after tiers and capacity: the roster's columns (gaps, cheapest criteria,
    quadrants) are never built, and only the selected customers come back."""
    std = load_standard(
        '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "a"\nfield = "a"\n'
        'weight = 1\n[[tiers]]\nname = "A"\nquota = 2\n[[tiers]]\nname = "B"\nmin_score = 40\n'
        "[capacity]\nmax_accounts = 4\n",
        extra_fields=["a"],
    )
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"customer_id": [f"c{i:03d}" for i in range(50)], "a": rng.integers(0, 9, 50) * 1.0}
    )
    want = _oracle_selection(frame, std)

    def refuse(*args, **kwargs):
        raise AssertionError("the roster was built")

    monkeypatch.setattr(engine, "_roster_columns", refuse)
    ids, tiers = engine.select_in_engine(frame, std)
    assert len(ids) == len(want[0]) == 4
    pos, k_top = select(frame, std)
    assert (pos.tolist(), k_top) == want


def _percentile_base(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    few = rng.integers(-3, 4, n).astype(
        float
    )  # few distinct values, zeros of both signs once negated
    few[rng.uniform(size=n) < 0.2] = np.nan
    many = rng.normal(size=n).round(3)
    many[rng.uniform(size=n) < 0.1] = np.nan
    many[:3] = np.inf  # read as missing
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "a": few,
            "b": many,
            "t": rng.integers(0, 3, n).astype(float),
        }
    )


PCT = (
    '[standard]\nname = "p"\nversion = "1"\n'
    '[[criteria]]\nname = "few"\nfield = "a"\nweight = 40\nnormalise = "percentile"\ndirection = "lower"\n'
    'missing = "median"\ngroup = "value"\n'
    '[[criteria]]\nname = "many"\nfield = "b"\nweight = 35\nnormalise = "percentile"\ngroup = "potential"\n'
    '[[criteria]]\nname = "sum"\nfield = "a + t"\nweight = 25\nnormalise = "percentile"\nmissing = 0.5\n'
    '[[tiers]]\nname = "A"\nquota = "10%"\n[[tiers]]\nname = "B"\nmin_score = 45\n'
    '[tie_break]\norder = ["t desc"]\n'
)


@pytest.mark.parametrize("share", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_counts_below_from_distinct_values_or_a_window_equal_the_oracle(share, seed, monkeypatch):
    """GROUPED_SHARE 0: every percentile criterion by a window; 1: every one by its distinct
    values joined back; 0.25: the few-valued by their values, the other by a window. The roster
    (points, ranks, the cheapest criterion's k-th values) is the oracle's either way."""
    std = load_standard(PCT, extra_fields=["a", "b", "t"])
    frame = _percentile_base(400, seed)
    made = []
    real = engine._value_groups
    monkeypatch.setattr(engine, "GROUPED_SHARE", share)
    monkeypatch.setattr(engine, "_value_groups", lambda *a, **k: made.append(a[2]) or real(*a, **k))
    got = engine.score_in_engine(frame, std)
    want = score_customers(frame, std)
    _same(want.roster, got.roster)
    assert got.info == want.info
    assert sorted(made) == {0.0: [], 0.25: [0, 2], 1.0: [0, 1, 2]}[share]


def test_with_the_pandas_reference_as_default_the_selection_is_the_references(monkeypatch):
    """The switch tests and benchmarks use for the oracle (apply.DEFAULT_SCORING) holds for the
    selection too: no engine query, and the reference's selection."""
    from xuanba.standard import apply

    std = load_standard(PCT, extra_fields=["a", "b", "t"])
    frame = _percentile_base(200, 2)
    want = _oracle_selection(frame, std)

    def refuse(*args, **kwargs):
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(apply, "DEFAULT_SCORING", "pandas")
    monkeypatch.setattr(engine, "select_in_engine", refuse)
    monkeypatch.setattr(engine, "score_in_engine", refuse)
    pos, k_top = select(frame, std)
    assert (pos.tolist(), k_top) == want
    assert k_top > 0
