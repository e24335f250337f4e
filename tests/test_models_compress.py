"""Compression to distinct histories: the grouping is exact, and a kept grouping is reused only
when it still gives back every row of the table (checked against a brute-force grouping)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

from xuanba.models import BGNBD, _base
from xuanba.models._base import compress


def brute_groups(frame: pd.DataFrame, columns: list[str]) -> dict[tuple, float]:
    """Distinct rows and their counts by a plain Python dictionary."""
    out: dict[tuple, float] = {}
    for row in frame[columns].itertuples(index=False):
        key = tuple(row)
        out[key] = out.get(key, 0.0) + 1.0
    return out


def check_exact(frame: pd.DataFrame, columns: list[str]) -> None:
    distinct, counts, inverse = compress(frame, columns)
    back = distinct.iloc[inverse].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, frame[columns].reset_index(drop=True), check_dtype=False)
    got = {tuple(r): c for r, c in zip(distinct.itertuples(index=False), counts, strict=True)}
    assert got == brute_groups(frame, columns)


def random_histories(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, n)
    big_t = rng.integers(20, 24, n) / 7.0
    tx = np.where(x > 0, np.floor(big_t * 7 * rng.random(n)) / 7.0, 0.0)
    return pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "recency": tx, "T": big_t})


def test_compress_matches_a_brute_force_grouping():
    frame = random_histories(3000, seed=1)
    check_exact(frame, ["frequency", "recency", "T"])
    check_exact(frame, ["frequency"])
    check_exact(frame, ["T", "frequency"])


def test_compress_keeps_columns_whose_codes_would_overflow_a_single_key():
    # four columns of 1000 distinct values each: their product (1e12) and more fold safely
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({c: rng.integers(0, 1000, 20_000) * 1.5 for c in "abcdefg"})
    frame.iloc[5000:6000] = frame.iloc[0:1000].to_numpy()  # duplicated rows
    check_exact(frame, list("abcdefg"))


def test_a_table_changed_in_place_is_grouped_anew():
    frame = random_histories(2000, seed=2)
    cols = ["frequency", "recency", "T"]
    compress(frame, cols)  # kept
    assert any(ref() is frame for ref, *_ in _base._GROUPINGS)
    frame.loc[7, "T"] = 99.0  # a new distinct history, changed in place
    frame.loc[8, "frequency"] = frame.loc[9, "frequency"]
    check_exact(frame, cols)
    frame.loc[10, "recency"] = np.nan  # NaN never equals itself: grouped anew, NaN kept as a group
    distinct, counts, inverse = compress(frame, cols)
    assert np.isnan(distinct["recency"].iloc[inverse[10]]) and counts.sum() == len(frame)


def test_a_reused_grouping_gives_the_same_predictions_and_goes_with_its_table():
    frame = random_histories(4000, seed=4)
    model = BGNBD()
    model.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    expected = model.expected_purchases(frame, 10)  # groups the table once ...
    kept = [g for g in _base._GROUPINGS if g[0]() is frame]
    assert len(kept) == 1
    codes = kept[0][2]
    alive = model.probability_alive(frame)  # ... and the next prediction reuses that grouping
    assert [g for g in _base._GROUPINGS if g[0]() is frame][0][2] is codes
    copy = frame.copy()  # a new table: grouped by itself
    np.testing.assert_array_equal(alive.to_numpy(), model.probability_alive(copy).to_numpy())
    np.testing.assert_array_equal(expected.to_numpy(), model.expected_purchases(copy, 10).to_numpy())
    ref = weakref.ref(frame)
    del frame, kept
    gc.collect()
    assert ref() is None  # the kept grouping does not keep its table alive ...
    assert all(g[0]() is not None for g in _base._GROUPINGS)  # ... and goes with it


@pytest.mark.parametrize("weights", [None, np.arange(1.0, 101.0)])
def test_weights_are_summed_per_group_on_reuse(weights):
    frame = random_histories(100, seed=5)
    cols = ["frequency", "recency", "T"]
    first = compress(frame, cols, weights)[1]
    again = compress(frame, cols, weights)[1]
    expected = np.ones(100) if weights is None else weights
    np.testing.assert_array_equal(first, again)
    assert again.sum() == pytest.approx(expected.sum())
