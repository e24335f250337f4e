"""Repeated calls of the standard on DuckDB (xuanba.standard.engine_cache): a call with other weights
or bars compiles nothing and builds the roster's expression once, yet gives the pandas oracle's
roster for its own weights; a changed rule, gate, tier count, column type or base is never served
an expression made for another."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_standard_engine_roster import _same
from xuanba.standard import engine_cache, load_standard, starter_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers


def _fields(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    margin = np.round(rng.normal(30, 50, n), 2)
    margin[rng.uniform(size=n) < 0.1] = np.nan  # the median fills these
    return pd.DataFrame(
        {
            "customer_id": [f"k{i:05d}" for i in range(n)],
            "revenue_365d": np.round(
                rng.gamma(1, 100, n) * (rng.uniform(size=n) < 0.6), 0
            ),  # many ties at 0
            "margin_365d": margin,
            "clv_3y": np.round(rng.gamma(2, 100, n), 1),
            "p_alive": np.round(rng.uniform(0, 1, n), 2),
        }
    )


def _text(weights=(0.25, 0.25, 0.35, 0.15), bars=(80, 65, 50)) -> str:
    text = starter_standard("en")
    for old, new in zip(("0.25", "0.25", "0.35", "0.15"), weights, strict=True):
        text = text.replace(f"weight = {old}\n", f"weight = {new!r}\n", 1)
    for old, new in zip((80, 65, 50), bars, strict=True):
        text = text.replace(f"min_score = {old}\n", f"min_score = {new!r}\n", 1)
    return text


def _check(frame: pd.DataFrame, text: str) -> None:
    std = load_standard(text)
    got, want = score_in_engine(frame, std), score_customers(frame, std)
    _same(want.roster, got.roster)
    assert got.info == want.info
    np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)


def test_other_weights_and_bars_compile_nothing_and_equal_the_oracle():
    """As tune: the weights and the bars move, the fields stay. Once a shape has been seen (which
    tiers are reached, whether a quota or the capacity binds), a call compiles nothing."""
    frame = _fields(400)
    rng = np.random.default_rng(1)
    variants = []
    for _ in range(4):
        w = rng.dirichlet(np.ones(4)).round(3)
        w[-1] = round(1 - w[:-1].sum(), 3)
        bars = sorted(rng.choice(np.arange(20, 95), 3, replace=False).tolist(), reverse=True)
        variants.append(_text(tuple(float(x) for x in w), tuple(float(b) for b in bars)))
    _check(frame, variants[0])  # tier A short of its quota (19 of 20): the quota does not bind
    before = dict(engine_cache.STATS)
    _check(frame, variants[2])  # the same shape (A 15), other numbers
    assert engine_cache.STATS["compiles"] == before["compiles"]
    assert engine_cache.STATS["built_hits"] == before["built_hits"] + 1
    _check(frame, variants[1])  # A full: its quota binds, another shape, compiled and correct
    _check(frame, variants[3])  # A reached by nobody


def test_another_base_of_the_same_schema_reads_its_own_figures():
    """The same fields table name and schema, other values: the figures of the base (medians,
    counts, tops) are this call's, not the first call's."""
    text = _text()
    _check(_fields(300, seed=2), text)
    before = engine_cache.STATS["compiles"]
    for seed in (3, 4):
        _check(_fields(300 + 50 * seed, seed=seed), text)
    assert (
        engine_cache.STATS["compiles"] - before <= 4
    )  # only where a tie count changes a query's shape


@pytest.mark.parametrize("change", ["rule", "gate", "tiers", "type", "direction"])
def test_a_changed_structure_gets_a_fresh_and_correct_roster(change):
    frame = _fields(300, seed=5)
    _check(frame, _text())
    text = _text()
    if change == "rule":
        text = text.replace('field = "revenue_365d"', 'field = "revenue_365d - margin_365d"', 1)
    elif change == "gate":
        text = text.replace(
            'expr = "p_alive >= 0.2"', 'expr = "p_alive >= 0.2 and revenue_365d > 10"', 1
        )
    elif change == "tiers":
        text = text.replace(
            '[[tiers]]\nname = "C"',
            '[[tiers]]\nname = "C0"\nmin_score = 55\n\n[[tiers]]\nname = "C"',
            1,
        )
    elif change == "direction":
        text = text.replace(
            'normalise = "percentile"\nweight = 0.35',
            'normalise = "percentile"\ndirection = "lower"\nweight = 0.35',
            1,
        )
    else:  # the same names, revenue as whole numbers: another column type
        frame = frame.assign(revenue_365d=frame.revenue_365d.astype("int64"))
    assert text != _text() or change == "type"
    before = engine_cache.STATS["compiles"]
    _check(frame, text)
    assert engine_cache.STATS["compiles"] > before


def test_the_numbers_of_one_call_never_reach_the_next():
    """Alternating two standards of the same shape (only the weights differ) and two bases: each
    call equals the oracle for its own weights and base."""
    frames = [_fields(250, seed=7), _fields(250, seed=8)]
    texts = [_text((0.7, 0.1, 0.1, 0.1), (90, 60, 30)), _text((0.1, 0.1, 0.1, 0.7), (70, 40, 20))]
    for i in range(4):
        _check(frames[i % 2], texts[(i // 2) % 2])


def test_a_variable_outside_its_block_is_refused():
    import ibis
    import pyarrow as pa

    t = ibis.duckdb.connect().create_table("t", pa.table({"x": [1.0]}))
    with engine_cache.parameters(variables=True):
        expr = (t.x * engine_cache.num("k", 2.0)).name("y").as_table()
        with pytest.raises(ValueError, match="bound twice"):
            engine_cache.num("k", 3.0)
    with pytest.raises(RuntimeError, match="outside"):
        engine_cache.run(expr)
