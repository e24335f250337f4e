"""The percentile criteria's k-th values read by position on DuckDB (xuanba.standard.engine_kth):
the values in order against NumPy's sort, from a table of every value and from the distinct values
with their counts; each call's values its own, one let go refused; and a roster whose cheapest criteria are
percentile ones (every customer's change reading a k-th value) against the pandas path."""

from __future__ import annotations

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.engine_kth import kth, prepare
from xuanba.standard.score import score_customers


def _tables(values: np.ndarray) -> tuple:
    """A criterion's values as the roster keeps them: each with its position in order (shuffled
    rows), and as its distinct values with their counts and how many lie below (shuffled)."""
    rng = np.random.default_rng(1)
    order = np.argsort(values, kind="stable")
    q = np.empty(len(values), dtype=np.int64)
    q[order] = np.arange(len(values))
    rows = rng.permutation(len(values))
    every = pa.table({"_v0": values[rows], "_q0": q[rows]})
    distinct, counts = np.unique(values, return_counts=True)
    below = np.concatenate([[0], np.cumsum(counts)[:-1]])
    g = rng.permutation(len(distinct))
    groups = pa.table({"_gv0": distinct[g], "_gc0": counts[g], "_gb0": below[g]})
    return ibis.memtable(every), ibis.memtable(groups)


@pytest.mark.parametrize("grouped", [False, True])
def test_each_position_reads_the_value_numpys_sort_puts_there(grouped):
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(0, 3, 5000), 0 if grouped else 6)  # ties when grouped
    every, groups = _tables(values)
    con = ibis.duckdb.connect()
    call = prepare(con, {0: every}, {0: groups} if grouped else {})
    pos = rng.integers(0, len(values), 3000)
    t = ibis.memtable(pa.table({"p": pa.array(np.where(pos % 7 == 0, -1, pos)).cast(pa.int64())}))
    t = t.mutate(p=ibis.ifelse(t.p < 0, ibis.null("int64"), t.p))
    got = con.to_pyarrow(t.select(v=kth(call, 0, t.p)))["v"].to_numpy(zero_copy_only=False)
    want = np.where(pos % 7 == 0, np.nan, np.sort(values)[pos])
    np.testing.assert_array_equal(got, want)


def test_each_call_reads_its_own_values_and_one_let_go_is_refused():
    """Two calls on one connection (two threads' rounds, or a query kept): each reads its own
    values, never the other's (on 0c7bf4c a second call replaced the first's); a call's values
    let go by its thread are refused, not read, and another thread's stay."""
    import threading

    from xuanba.standard.engine_kth import release

    every, _ = _tables(np.arange(10.0))
    con = ibis.duckdb.connect()
    old = prepare(con, {0: every}, {})
    t = ibis.memtable(pa.table({"p": [3]}))
    new = prepare(con, {0: _tables(np.arange(10.0) * 2)[0]}, {})  # another call's values now
    assert con.to_pyarrow(t.select(v=kth(old, 0, t.p)))["v"].to_pylist() == [3.0]
    assert con.to_pyarrow(t.select(v=kth(new, 0, t.p)))["v"].to_pylist() == [6.0]
    other: list[int] = []
    worker = threading.Thread(target=lambda: other.append(prepare(con, {0: _tables(np.arange(10.0) * 3)[0]}, {})))
    worker.start()
    worker.join()
    release(con)  # this thread's two calls
    with pytest.raises(duckdb.Error, match="k-th values of a call let go"):
        con.to_pyarrow(t.select(v=kth(old, 0, t.p)))
    assert con.to_pyarrow(t.select(v=kth(other[0], 0, t.p)))["v"].to_pylist() == [9.0]


@pytest.mark.parametrize("n", [300, 40])  # the values grouped (few distinct) and each its own
def test_a_roster_whose_cheapest_criteria_read_kth_values_is_the_pandas_one(n):
    rng = np.random.default_rng(5)
    distinct = 8 if n == 300 else 10**6
    frame = pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(n)],
                          "revenue_365d": rng.integers(0, distinct, n).astype(float),
                          "margin_365d": np.where(rng.uniform(size=n) < 0.2, np.nan, rng.integers(0, distinct, n)),
                          "clv_3y": rng.normal(0, 1, n)})
    std = load_standard('[standard]\nname = "k"\nversion = "1"\n'
                        '[[criteria]]\nname = "pa"\nfield = "revenue_365d"\nweight = 40\nnormalise = "percentile"\n'
                        '[[criteria]]\nname = "pb"\nfield = "margin_365d"\nweight = 35\nnormalise = "percentile"\n'
                        'direction = "lower"\nmissing = "median"\n'
                        '[[criteria]]\nname = "zc"\nfield = "clv_3y"\nweight = 25\nnormalise = "zscore"\n'
                        '[[tiers]]\nname = "A"\nquota = "20%"\n[[tiers]]\nname = "B"\nquota = "30%"\n')
    want, got = score_customers(frame, std).roster, score_in_engine(frame, std).roster
    assert set(want.cheapest_criterion) >= {"pa", "pb"}  # k-th values read, for both criteria
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-9)
    for col in ("cheapest_criterion", "cheapest_public_criterion", "tier", "rank"):
        assert got[col].tolist() == want[col].tolist(), col


def test_an_engine_round_lets_go_of_the_values_in_order_when_it_ends(tmp_path):
    """run_round_on_engine builds its roster itself (not through score_in_engine, which let go of
    them): on c89dfa7 each percentile criterion's n values stayed held on the caller's connection
    after the round (80 MB a criterion at 10 M customers, for as long as a notebook keeps it)."""
    from xuanba.rounds import run_round_on_engine
    from xuanba.standard.engine_kth import _HELD

    rng = np.random.default_rng(3)
    m = 4000
    tx = pd.DataFrame({"customer_id": [f"c{i:04d}" for i in rng.integers(0, 1000, m)],
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 360, m), unit="D"),
                       "amount": rng.gamma(2, 50, m).round(2)})
    con = ibis.duckdb.connect()
    table = con.create_table("tx", pa.Table.from_pandas(tx, preserve_index=False))
    std = ('[standard]\nname = "k"\nversion = "1"\n'
           '[[criteria]]\nname = "pa"\nfield = "revenue_total"\nweight = 40\nnormalise = "percentile"\n'
           '[[criteria]]\nname = "pb"\nfield = "frequency"\nweight = 35\nnormalise = "percentile"\n'
           '[[criteria]]\nname = "zc"\nfield = "days_since_last"\nweight = 25\ndirection = "lower"\n'
           '[[tiers]]\nname = "A"\nquota = "20%"\n[[tiers]]\nname = "B"\nquota = "30%"\n')
    first = run_round_on_engine(table, std, "2025-12-31")
    assert {"pa", "pb"} <= set(first.roster.cheapest_criterion)  # the k-th values were read
    held = con.__dict__.get(_HELD)
    assert held is not None and not held, held
    again = run_round_on_engine(table, std, "2025-12-31")  # the function still there for the next round
    pd.testing.assert_frame_equal(again.roster, first.roster)


def test_calls_never_let_go_are_let_go_later_not_kept_for_ever():
    """The roster's expression made by hand (roster_expression, no release): on 0c7bf4c a call
    replaced the one before; on conn31 every call's values stayed for ever (n calls at 10 M
    customers: n × 80 MB per percentile criterion). A thread keeps its last KEPT_PER_THREAD, an
    ended thread's go at the next call, a call let go is refused, and those kept read their own."""
    import threading

    from xuanba.standard.engine import roster_expression
    from xuanba.standard.engine_kth import _HELD, KEPT_PER_THREAD

    rng = np.random.default_rng(5)
    n = 60
    std = load_standard('[standard]\nname = "k"\nversion = "1"\n'
                        '[[criteria]]\nname = "pa"\nfield = "revenue_365d"\nweight = 60\nnormalise = "percentile"\n'
                        '[[criteria]]\nname = "zc"\nfield = "clv_3y"\nweight = 40\nnormalise = "zscore"\n'
                        '[[tiers]]\nname = "A"\nquota = "20%"\n')
    con = ibis.duckdb.connect()
    table = con.create_table("f", pa.table({"customer_id": [f"c{i:03d}" for i in range(n)],
                                            "revenue_365d": rng.integers(0, 10**6, n).astype(float),
                                            "clv_3y": rng.normal(0, 1, n)}))

    def roster(expr):  # noqa: ANN001, ANN202
        return con.to_pyarrow(expr.order_by("customer_id")).to_pandas()

    worker = threading.Thread(target=lambda: roster_expression(table, std))
    worker.start()
    worker.join()
    assert len(con.__dict__[_HELD]) == 1  # an ended thread's call, until the next call
    exprs = [roster_expression(table, std)[0] for _ in range(KEPT_PER_THREAD + 3)]
    held = con.__dict__[_HELD]
    assert len(held) == KEPT_PER_THREAD, list(held)
    assert all(owner == threading.get_ident() for owner, _ in held.values())
    want = roster(exprs[-1])
    assert "pa" in set(want.cheapest_criterion)  # the k-th values are read
    for expr in exprs[-KEPT_PER_THREAD:]:
        pd.testing.assert_frame_equal(roster(expr), want)
    with pytest.raises(duckdb.Error, match="k-th values of a call let go"):
        roster(exprs[0])
