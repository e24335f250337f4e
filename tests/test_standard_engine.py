"""The standard's normalisations, score and rank on the engine (xuanba.standard.engine.score_in_engine,
DuckDB through Ibis, the path a round takes) against the pandas path of xuanba.standard.score as
the oracle, on random bases with ties and missing values (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.schema import Criterion
from xuanba.standard.score import _normalise, score_customers

# small integers give many ties; None is a missing value
VALUES = st.lists(st.one_of(st.none(), st.integers(-20, 20)), min_size=1, max_size=40)
BANDS = {"higher": [(-5.0, 10.0), (0.0, 40.0), (8.0, 100.0)],  # points rise in the better direction
         "lower": [(-5.0, 100.0), (0.0, 40.0), (8.0, 10.0)]}


def _standard(how: str, direction: str) -> str:
    text = ('[standard]\nname = "n"\nversion = "1"\n[[criteria]]\nname = "c"\nfield = "v"\nweight = 1\n'
            f'normalise = "{how}"\nmissing = "zero"\n')
    if how == "bands":
        text += "bands = " + str([list(b) for b in BANDS[direction]]) + "\n"
    return text + f'direction = "{direction}"\n'


def _both(values: list[int | None], how: str, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's 0–1 points (in the order of ``values``) from the engine's scored roster and
    from the pandas path's normalisation of the same values."""
    raw = np.array([np.nan if v is None else float(v) for v in values])
    criterion = Criterion(name="c", field="v", weight=1, normalise=how, direction=direction,
                          bands=BANDS[direction] if how == "bands" else None)
    oracle = _normalise(raw, criterion).values
    ids = [f"c{i:03d}" for i in range(len(values))]
    scored = score_in_engine(pd.DataFrame({"customer_id": ids, "v": raw}),
                             load_standard(_standard(how, direction), extra_fields=("v",)))
    long = scored.contributions.set_index("customer_id")
    return long.loc[ids, "normalised"].to_numpy(dtype=float), oracle


@settings(max_examples=60, deadline=None)
@given(values=VALUES, how=st.sampled_from(["percentile", "minmax", "zscore", "bands"]),
       direction=st.sampled_from(["higher", "lower"]))
def test_engine_normalisation_equals_the_pandas_path(values, how, direction):
    got, oracle = _both(values, how, direction)
    np.testing.assert_allclose(got, oracle, rtol=1e-12, atol=1e-12)


def test_percentile_ties_take_the_lowest_rank_and_the_top_earns_full_points():
    """The tie rule of score.py: (rank_min - 1) / (n - n_top), lowest 0, highest 1."""
    got, oracle = _both([0, 0, 0, 5, 7, 7, None], "percentile", "higher")
    assert got.tolist() == oracle.tolist() == [0.0, 0.0, 0.0, 0.75, 1.0, 1.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.one_of(st.none(), st.integers(-3, 3)),
                            st.one_of(st.none(), st.integers(0, 2))), min_size=1, max_size=30),
    how=st.sampled_from(["percentile", "minmax", "zscore"]),
    missing=st.sampled_from(["zero", "median", "1.5"]),
    share=st.integers(1, 99),
    tie=st.sampled_from(["", "t desc", "t asc"]),
)
def test_engine_score_and_rank_equal_score_customers(rows, how, missing, share, tie):
    """Score (to 1e-9) and rank (exactly) of the engine against score_customers, with ties,
    missing values, each missing-value rule and a tie-break field with missing values."""
    weights = (share, 100 - share)  # a standard's weights sum to 100
    miss = missing if missing != "1.5" else 1.5
    text = ('[standard]\nname = "p"\nversion = "1"\n'
            f'[[criteria]]\nname = "a"\nfield = "a"\nweight = {weights[0]}\nnormalise = "{how}"\n'
            f'missing = {miss!r}\n'.replace("'", '"')
            + f'[[criteria]]\nname = "b"\nfield = "b"\nweight = {weights[1]}\ndirection = "lower"\n'
            + (f'[tie_break]\norder = ["{tie}"]\n' if tie else ""))
    std = load_standard(text, extra_fields=("a", "b", "t"))
    frame = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(len(rows))],
                          "a": [np.nan if r[0] is None else float(r[0]) for r in rows],
                          "b": [np.nan if r[1] is None else float(r[1]) for r in rows],
                          "t": [np.nan if r[2] is None else float(r[2]) for r in rows]})
    oracle = score_customers(frame, std).roster.sort_values("customer_id").reset_index(drop=True)
    got = score_in_engine(frame, std).roster.sort_values("customer_id").reset_index(drop=True)
    np.testing.assert_allclose(got["score"], oracle["score"], rtol=0, atol=1e-9)
    assert got["rank"].tolist() == oracle["rank"].tolist()
