"""The percentile criteria of a Spark scoring share one range-partitioned sort (criterion, then
value), each criterion's positions offset by the counts ``m<j>`` of the criteria before it
(xuanba.standard.engine._points_figures): the roster equals the pandas oracle's and DuckDB's on the
bases that would move those offsets — a criterion whose values are all missing (m = 0) between
others, one with missing values beside one without, ties across criteria, two criteria on one
field, ``lower`` directions, ±inf and -0.0, one customer, three and four percentile criteria. Above
``SHARED_SORT_MAX`` values in all each criterion sorts its own (the shared sort's joins read it
whole: a third more of the JVM's CPU at 1 M customers), with the same roster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests._helpers import SPARK_MARKS
from tests.test_standard_engine_roster import _same
from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers

pytestmark = SPARK_MARKS


def _criterion(name: str, field: str, *, direction: str = "higher", missing: str = "zero",
               normalise: str = "percentile") -> str:
    return (f'[[criteria]]\nname = "{name}"\nfield = "{field}"\nweight = WEIGHT\nnormalise = "{normalise}"\n'
            f'direction = "{direction}"\nmissing = "{missing}"\n')


def _standard(*criteria: str) -> object:
    weights = [100 // len(criteria)] * len(criteria)
    weights[0] += 100 - sum(weights)  # they sum to 100
    criteria = tuple(c.replace("WEIGHT", str(w)) for c, w in zip(criteria, weights, strict=True))
    text = ('[standard]\nname = "p"\nversion = "1"\n' + "".join(criteria)
            + '[[tiers]]\nname = "A"\nquota = 3\n[[tiers]]\nname = "B"\nquota = "40%"\n')
    return load_standard(text, extra_fields=("a", "b", "c", "z"))


def _base(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n).astype(float)  # few values: ties within and across criteria
    b = rng.integers(0, 4, n).astype(float)
    b[rng.random(n) < 0.3] = np.nan  # missing here, not in a
    c = rng.normal(size=n).round(1)
    c[rng.random(n) < 0.2] = -0.0
    c[rng.random(n) < 0.1] = 0.0
    c[rng.random(n) < 0.1] = np.inf
    c[rng.random(n) < 0.1] = -np.inf
    return pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(n)], "a": a, "b": b, "c": c,
                         "z": np.full(n, np.nan)})  # z: nobody has a value


def _on_spark(spark, frame: pd.DataFrame, name: str):
    arrow = pa.Table.from_pandas(frame, preserve_index=False)  # NaN becomes null, ±inf stay
    spark._session.createDataFrame(arrow).createOrReplaceTempView(name)
    return spark.table(name)


CASES = {
    # m = 0 between two criteria: left out of the shared sort, so no offset for it
    "all missing between": [_criterion("a", "a"), _criterion("z", "z"), _criterion("b", "b")],
    # missing beside none missing, lower, two criteria on one field, ±inf and -0.0 (missing, tied)
    "four of them": [_criterion("b", "b"), _criterion("a", "a", direction="lower"),
                     _criterion("a2", "a"), _criterion("c", "c", direction="lower")],
    # the median fills b: every customer counted, the offsets are whole bases
    "median filled": [_criterion("b", "b", missing="median"), _criterion("c", "c", missing="median"),
                      _criterion("a", "a", direction="lower")],
    # a formula's value and a plain field's, and a minmax between them (not in the sort)
    "rules and others": [_criterion("ab", "a - b"), _criterion("m", "c", normalise="minmax"),
                         _criterion("c", "c"), _criterion("z", "z", missing="2")],
}


# the separate sorts (main's path, tested against the oracle by test_standard_engine_spark.py too)
# on the one size where every case has two criteria with values: each case a Spark scoring of its own
@pytest.mark.parametrize(("n", "shared"), [(1, True), (2, True), (57, True), (57, False)])
@pytest.mark.parametrize("case", sorted(CASES))
def test_percentile_criteria_sharing_one_sort_give_the_oracles_roster(spark, case, n, shared, monkeypatch):
    from xuanba.standard import engine

    sorts: list[str] = []
    real = engine.sorted_index
    monkeypatch.setattr(engine, "SHARED_SORT_MAX", 10**12 if shared else 0)
    monkeypatch.setattr(engine, "sorted_index", lambda table, keys, name, **k: sorts.append(name) or real(
        table, keys, name, **k))
    std = _standard(*CASES[case])
    frame = _base(n, seed=n)
    oracle = score_customers(frame, std)
    duck = score_in_engine(frame, std)
    got = score_in_engine(_on_spark(spark, frame, f"shared_sort_{case.replace(' ', '_')}_{n}"), std)
    for want in (oracle, duck):
        _same(want.roster, got.roster)
        np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)
    assert got.info == duck.info
    pct = [name for name in sorts if name == "_g" or name[2:].isdigit()]  # the percentile criteria's sorts
    if shared:  # one sort for them all (on 57 customers every case has two criteria with values)
        assert len(pct) <= 1 and (pct == ["_g"] or n < 57), sorts
    else:
        assert "_g" not in pct and (len(pct) >= 2 or n < 57), sorts
