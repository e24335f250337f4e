"""Frames in, the same kind out (pandas, polars, Arrow), and a round run on a table of transactions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import xuanba

DATA = Path(__file__).parent / "data"
STANDARD = ('[standard]\nname = "r"\nversion = "1"\n[[criteria]]\nname = "revenue"\n'
            'field = "revenue_365d"\nweight = 1\n[[tiers]]\nname = "A"\nquota = 10\n')


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    raw = pd.read_parquet(DATA / "cdnow_sample.parquet")
    return raw[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})


def _kinds(tx: pd.DataFrame) -> dict[str, object]:
    out: dict[str, object] = {"pandas": tx, "arrow": pa.Table.from_pandas(tx, preserve_index=False)}
    try:
        import polars as pl
    except ImportError:  # polars is an optional extra
        return out
    out["polars"] = pl.from_pandas(tx)
    return out


def _pandas(frame: object) -> pd.DataFrame:
    return frame if isinstance(frame, pd.DataFrame) else frame.to_pandas()  # type: ignore[attr-defined]


def test_polars_and_arrow_in_give_polars_and_arrow_out_with_the_same_numbers(tx):
    kinds = _kinds(tx)
    facts = {k: xuanba.customer_facts(v, "1997-09-30") for k, v in kinds.items()}
    assert isinstance(facts["pandas"], pd.DataFrame)
    assert isinstance(facts["arrow"], pa.Table)
    if "polars" in facts:
        import polars as pl

        assert isinstance(facts["polars"], pl.DataFrame)
    base = facts["pandas"]
    for k, f in facts.items():
        pd.testing.assert_frame_equal(_pandas(f)[["customer_id", "frequency", "recency", "T"]],
                                      base[["customer_id", "frequency", "recency", "T"]], check_dtype=False, obj=k)
    model = xuanba.BGNBD().fit(base)
    expected = model.probability_alive(base)
    for k, f in facts.items():
        preds = xuanba.predict_customers(f)
        assert type(preds).__module__.split(".")[0] == {"pandas": "pandas", "arrow": "pyarrow",
                                                          "polars": "polars"}[k]
        alive = model.probability_alive(f)  # a model's prediction: same kind, customer_id as a column
        if k == "pandas":
            assert isinstance(alive, pd.Series)
            continue
        got = _pandas(alive)
        assert list(got.columns) == ["customer_id", "p_alive"]
        np.testing.assert_allclose(got["p_alive"], expected.to_numpy())
        assert got["customer_id"].tolist() == expected.index.tolist()
        clv = _pandas(xuanba.customer_value(model, xuanba.GammaGamma().fit(base), f))
        assert list(clv.columns) == ["customer_id", "clv"] and len(clv) == len(base)


def test_calibration_holdout_keeps_the_kind(tx):
    arrow = xuanba.calibration_holdout(pa.Table.from_pandas(tx, preserve_index=False), "1997-09-30", "1998-06-30")
    assert isinstance(arrow, pa.Table)
    assert arrow.num_rows == 2357  # every customer of the cohort first bought in Q1 1997


@pytest.mark.parametrize("kind", ["pandas", "arrow", "polars"])
def test_run_round_takes_a_table_of_transactions(tx, kind):
    given = _kinds(tx).get(kind)
    if given is None:
        pytest.skip("polars is not installed (optional extra xuanba[polars])")
    rnd = xuanba.run_round(given, STANDARD, "1998-06-30", check_model=False)
    assert rnd.round_id == 0  # the workspace in memory ends with the call: nothing stored
    # independent: the top customer by revenue in the 365 days to the cutoff, straight from the data
    cut = pd.Timestamp("1998-06-30")
    year = tx[(tx["ts"] > cut - pd.Timedelta(days=365)) & (tx["ts"] <= cut + pd.Timedelta(days=1))]
    top = year.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert rnd.roster.loc[0, "customer_id"] == top.index[0]
    assert rnd.meta["n_selected"] == 10 and rnd.meta["n_customers"] == 2357


def test_run_round_takes_extra_fields_as_an_arrow_table(tx):
    ids = sorted(tx["customer_id"].unique())
    bonus = pa.table({"customer_id": ids, "bonus": [1.0 if c == "0042" else 0.0 for c in ids]})
    std = STANDARD.replace('field = "revenue_365d"', 'field = "bonus"')
    rnd = xuanba.run_round(tx, std, "1998-06-30", extra_fields=bonus, check_model=False)
    assert rnd.roster.loc[0, "customer_id"] == "0042"  # the only customer with the extra field's points


def test_same_values_says_what_a_comparison_of_the_values_says():
    """Text columns compared as Arrow arrays, others element by element: the same answer as a
    plain comparison of their values, on unicode, empty strings, different lengths and numbers."""
    from xuanba._frames import same_values

    rng = np.random.default_rng(8)
    words = ["", "a", "b", "客", "a\x00", "Z"]
    for t in range(300):
        a = [str(rng.choice(words)) for _ in range(int(rng.integers(0, 6)))]
        b = list(a) if t % 2 else [str(rng.choice(words)) for _ in range(int(rng.integers(0, 6)))]
        for kind in ("str", object):
            assert same_values(pd.Series(a, dtype=kind), pd.Series(b, dtype=kind)) == (a == b), (t, a, b)
    assert same_values(pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0]))
    assert not same_values(pd.Series([1.0, 2.0]), pd.Series([2.0, 1.0]))


def test_text_helpers_read_a_column_held_in_several_arrow_chunks():
    """A roster read back from an engine holds its ids in several Arrow chunks: the text helpers
    must read them as text (positions found, order and equality compared in Arrow), with the
    answers of a plain lookup, sort check and comparison of the same values."""
    import pyarrow as pa

    from xuanba._frames import arrow_text, ids_sorted, positions_in, same_values

    rng = np.random.default_rng(21)
    among = [f"c{i:04d}" for i in range(300)] + ["", "客户", "a\x00b"]
    lookup = {v: i for i, v in enumerate(among)}
    for t in range(40):
        ids = [among[i] for i in rng.permutation(len(among))[: int(rng.integers(1, len(among)))]]
        cuts = sorted({0, len(ids), *rng.integers(0, len(ids) + 1, int(rng.integers(0, 5))).tolist()})
        for kind in (pa.string(), pa.large_string()):
            chunks = pa.chunked_array([pa.array(ids[a:b], type=kind) for a, b in zip(cuts[:-1], cuts[1:], strict=True)],
                                      type=kind)
            col = pd.Series(pd.arrays.ArrowStringArray(chunks))
            assert arrow_text(col).to_pylist() == ids
            got = positions_in(col, pd.Series(among, dtype="str"))
            assert got is not None and got.tolist() == [lookup[v] for v in ids], t
            assert ids_sorted(col) == (ids == sorted(ids))
            assert same_values(col, pd.Series(ids, dtype="str"))
    missing = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["c0001"], ["nobody"]])))
    assert positions_in(missing, pd.Series(among, dtype="str")) is None  # not every id there
