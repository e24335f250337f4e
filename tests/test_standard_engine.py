"""The standard's normalisations on the engine (xuanba.standard.engine, DuckDB through Ibis)
against the pandas path of xuanba.standard.score as the oracle, on random bases with ties and
missing values (hypothesis)."""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from xuanba.standard.engine import normalise
from xuanba.standard.schema import Criterion
from xuanba.standard.score import _normalise

# small integers give many ties; None is a missing value
VALUES = st.lists(st.one_of(st.none(), st.integers(-20, 20)), min_size=1, max_size=40)
BANDS = [(-5.0, 10.0), (0.0, 40.0), (8.0, 100.0)]


def _both(values: list[int | None], criterion: Criterion) -> tuple[np.ndarray, np.ndarray]:
    raw = np.array([np.nan if v is None else float(v) for v in values])
    oracle = _normalise(raw, criterion).values
    table = ibis.memtable(pa.table({"i": list(range(len(values))), "v": pa.array(raw, from_pandas=True)}))
    got = normalise(table, "v", criterion, "points").order_by("i").to_pyarrow()["points"].to_numpy()
    return got, oracle


@settings(max_examples=60, deadline=None)
@given(values=VALUES, how=st.sampled_from(["percentile", "minmax", "zscore", "bands"]),
       direction=st.sampled_from(["higher", "lower"]))
def test_engine_normalisation_equals_the_pandas_path(values, how, direction):
    criterion = Criterion(name="c", field="v", weight=1, normalise=how, direction=direction,
                          bands=BANDS if how == "bands" else None)
    got, oracle = _both(values, criterion)
    np.testing.assert_allclose(got, oracle, rtol=1e-12, atol=1e-12)


def test_percentile_ties_take_the_lowest_rank_and_the_top_earns_full_points():
    """The tie rule of score.py: (rank_min - 1) / (n - n_top), lowest 0, highest 1."""
    criterion = Criterion(name="c", field="v", weight=1)
    got, oracle = _both([0, 0, 0, 5, 7, 7, None], criterion)
    assert got.tolist() == oracle.tolist() == [0.0, 0.0, 0.0, 0.75, 1.0, 1.0, 0.0]
