"""A frame's numeric columns checked once for NaN and ±inf (xuanba.standard.engine._clean_columns):
the engine reads those known clean as they are and tests the others value by value, as before.
Checked against the pandas oracle on bases with NaN (in Arrow: a NaN, not a missing value) and ±inf
in criteria, gates and tie-break fields, scored one after another on the same warm process with a
clean base of the same shape between them (the roster's expression is built once per shape and
reused: one built for clean columns, reused for dirty ones, would let ±inf and NaN through)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from tests.test_standard_engine_roster import _same
from xuanba.standard import engine_cache, load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers

STANDARD = """
[standard]
name = "clean"
version = "1"
[[criteria]]
name = "cx"
field = "x"
weight = 40
normalise = "percentile"
missing = "median"
[[criteria]]
name = "cy"
field = "y"
weight = 35
normalise = "minmax"
direction = "lower"
[[criteria]]
name = "cz"
field = "z"
weight = 25
normalise = "bands"
bands = [[0.0, 0], [0.5, 60], [0.8, 100]]
[[gates]]
name = "g"
expr = "y > 0.1 or isnull(y)"
[[tiers]]
name = "A"
quota = 5
[[tiers]]
name = "B"
min_score = 30
[tie_break]
order = ["x desc"]
"""
FIELDS = ["x", "y", "z"]


def _base(seed: int, dirty: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = 80
    # few distinct values: the percentile's counts below from its distinct values, so that the
    # roster's key holds no expression of the raw values (only what is known of the columns)
    x = rng.integers(0, 12, n).astype(float)
    y = rng.uniform(0, 1, n)
    z = rng.uniform(0, 1, n)
    missing = rng.random(n) < 0.1
    if dirty:
        x[[3, 11]], x[[5, 6]], y[7], y[8], z[9] = np.inf, np.nan, -np.inf, np.nan, np.nan
    arrays = {"customer_id": pa.array([f"c{i:03d}" for i in range(n)]),
              **{name: pa.array(v, mask=missing & (np.arange(n) % 3 == k))  # NaN stays NaN in Arrow
                 for k, (name, v) in enumerate(zip(FIELDS, (x, y, z), strict=True))}}
    return pa.table(arrays)


def _oracle_equal(table: pa.Table, std) -> None:
    want = score_customers(table.to_pandas(), std)
    got = score_in_engine(table, std)
    _same(want.roster, got.roster)
    assert got.info == want.info


def test_dirty_bases_between_clean_ones_of_the_same_shape_match_the_oracle():
    std = load_standard(STANDARD, extra_fields=FIELDS)
    dirty = _base(1, dirty=True)
    assert any(np.isnan(dirty[f].to_numpy(zero_copy_only=False)).any() for f in FIELDS)
    assert np.isinf(dirty["x"].to_numpy(zero_copy_only=False)).any()
    for table in (_base(0, dirty=False), dirty, _base(2, dirty=False), _base(3, dirty=True)):
        _oracle_equal(table, std)


@pytest.mark.parametrize("dirty", [False, True])
def test_the_roster_tests_a_column_for_nan_and_inf_only_when_it_may_hold_them(monkeypatch, dirty):
    std = load_standard(STANDARD, extra_fields=FIELDS)
    seen: list[str] = []
    stream = engine_cache.stream

    def recorded(expr, backend=None, batch_rows=None):
        seen.append(engine_cache._compiled(backend, expr).sql)
        return stream(expr, backend, batch_rows)

    monkeypatch.setattr(engine_cache, "stream", recorded)
    _oracle_equal(_base(4, dirty=dirty), std)
    (sql,) = seen
    infs = re.findall(r'ABS\("t\d+"\."[xyz]"\) < CAST\(\'inf\'', sql)  # a raw value's ±inf made missing
    nans = re.findall(r'ISNAN\("t\d+"\."y"\)', sql)  # the gate's NaN made missing
    assert (len(infs) > 0, len(nans) > 0) == (dirty, dirty)
