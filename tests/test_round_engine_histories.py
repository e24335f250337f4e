"""The distinct histories a round on an engine fits on, read in chunks (issue 16): the same
histories, counts and order as one query over the whole table, so the fit is the same sum in the
same order, bit for bit."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests._helpers import spark_test
from tests.test_round_engine import simulated_transactions
from xuanba.facts.expressions import customer_facts_expr
from xuanba.models import BGNBD, GammaGamma
from xuanba.rounds.engine import (
    HISTORY,
    SPEND_HISTORY,
    _histories,
    _histories_together,
    _per_history_table,
)


def one_query(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The oracle: the histories as the round read them before chunks, in one query, ordered by
    the first customer's id as text (min over the group), sorted in Python."""
    con = ibis.duckdb.connect()
    t = con.create_table("t", pa.Table.from_pandas(frame, preserve_index=False))
    got = t.group_by(list(columns)).aggregate(customers=t.count(), _first=t.customer_id.min()).to_pyarrow().to_pandas()
    got = got.sort_values("_first", kind="stable").drop(columns="_first").reset_index(drop=True)
    return got.astype(float)


def tricky_facts() -> pd.DataFrame:
    """Histories shared by many customers, first customers whose text order is not their number's
    ("10" < "9"), ids that differ by case, a space or a non-ASCII letter, a null spend."""
    ids = ["9", "10", "a", "A", "a ", "é", "Z", "b", "100", "09", "c", "d"]
    return pd.DataFrame({
        "customer_id": ids,
        "frequency": [0, 0, 2, 2, 0, 5, 2, 0, 0, 1, 1, 5],
        "recency": [0.0, 0.0, 5.0, 5.0, 0.0, 8.0, 5.0, 0.0, 0.0, 3.0, 3.0, 8.0],
        "T": [9.0, 9.0, 9.0, 9.0, 7.0, 10.0, 9.0, 9.0, 7.0, 9.0, 9.0, 10.0],
        "monetary_value": [0.0, 0.0, 12.5, 12.5, 0.0, 3.25, 7.0, 0.0, 0.0, None, 2.0, 3.25],
    })


def arrow(frame: pd.DataFrame) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))


def on_spark(con, frame: pd.DataFrame, name: str):
    con._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(name)
    return con.table(name)


def simulated_facts(n: int = 800) -> pd.DataFrame:
    tx = simulated_transactions(n, seed=11)
    return customer_facts_expr(ibis.memtable(pa.Table.from_pandas(tx, preserve_index=False)), "2025-12-31", time_unit="week", rfm=False).to_pyarrow().to_pandas()


@pytest.mark.parametrize("chunk", [1, 2, 5, 12, 1000])
@pytest.mark.parametrize("columns", [HISTORY, SPEND_HISTORY])
def test_chunked_histories_are_one_querys_histories_counts_and_order(chunk, columns):
    facts = tricky_facts()
    got = _histories(arrow(facts), columns, chunk=chunk)
    want = one_query(facts, columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["customers"].sum() == len(facts)


@pytest.mark.parametrize("chunk", [1, 37, 100_000])
def test_chunked_histories_of_a_simulated_base_fit_bit_for_bit_as_one_query(chunk):
    facts = simulated_facts()
    got = _histories(arrow(facts), HISTORY, chunk=chunk)
    want = one_query(facts, HISTORY)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert len(got) < len(facts)  # shared histories: the compression is not trivial here
    a = BGNBD().fit(got, weights=got["customers"])
    b = BGNBD().fit(want, weights=want["customers"])
    assert np.array_equal(a.params_.to_numpy(), b.params_.to_numpy())  # the same sum in the same order
    sg, sw = _histories(arrow(facts), SPEND_HISTORY, chunk=chunk), one_query(facts, SPEND_HISTORY)
    pd.testing.assert_frame_equal(sg, sw, check_exact=True)
    assert np.array_equal(GammaGamma().fit(sg, weights=sg["customers"]).params_.to_numpy(),
                          GammaGamma().fit(sw, weights=sw["customers"]).params_.to_numpy())


@pytest.mark.parametrize("chunk", [1, 2, 5, 12, 1000])
def test_histories_read_together_are_each_groupings_own(chunk):
    """The purchases' and the spend's histories read in one query per block (a round on Spark
    reads them so: a job fewer) are each what one query of that grouping gives, in its order;
    an empty table gives empty frames."""
    facts = tricky_facts()
    got = _histories_together(arrow(facts), [HISTORY, SPEND_HISTORY], chunk=chunk)
    for frame, columns in zip(got, (HISTORY, SPEND_HISTORY), strict=True):
        pd.testing.assert_frame_equal(frame, one_query(facts, columns), check_exact=True)
    empty = _histories_together(arrow(facts.iloc[:0]), [HISTORY, SPEND_HISTORY], chunk=3)
    assert [list(f.columns) for f in empty] == [[*HISTORY, "customers"], [*SPEND_HISTORY, "customers"]]
    assert [len(f) for f in empty] == [0, 0]


def test_the_histories_of_an_empty_table_are_an_empty_frame():
    facts = tricky_facts().iloc[:0]
    got = _histories(arrow(facts), HISTORY, chunk=3)
    assert list(got.columns) == [*HISTORY, "customers"] and len(got) == 0


def test_a_chunk_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        _histories(arrow(tricky_facts()), HISTORY, chunk=0)


@spark_test
@pytest.mark.parametrize("chunk", [1, 1000])
def test_spark_histories_in_chunks_equal_duckdbs(spark, chunk):
    from xuanba.standard.engine_spark import release

    facts = tricky_facts()
    table = on_spark(spark, facts, f"facts_hist_{chunk}")
    try:
        together = _histories_together(table, [HISTORY, SPEND_HISTORY], chunk=chunk)
        for columns, frame in zip((HISTORY, SPEND_HISTORY), together, strict=True):
            pd.testing.assert_frame_equal(frame, one_query(facts, columns), check_exact=True)
        for columns in (HISTORY, SPEND_HISTORY):
            got = _histories(table, columns, chunk=chunk)
            pd.testing.assert_frame_equal(got, one_query(facts, columns), check_exact=True)
    finally:
        release(spark)


@spark_test
def test_per_history_predictions_reach_spark_from_arrow_in_chunks_and_join_back(spark):
    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import from_arrow, release

    facts = tricky_facts()
    table = on_spark(spark, facts, "facts_pred")
    hist = _histories(arrow(facts), HISTORY)
    values = {"p_alive": np.linspace(0.1, 0.9, len(hist)), "_d1": np.arange(len(hist), dtype=float) / 3}
    try:
        small = _per_history_table(table, hist, values)
        joined = table.join(small, [table[c] == small[c] for c in HISTORY]).select("customer_id", "p_alive", "_d1")
        got = to_arrow(joined.order_by("customer_id")).to_pandas()
        index = {tuple(r): i for i, r in enumerate(hist[list(HISTORY)].itertuples(index=False))}
        rows = [index[tuple(map(float, r))] for r in facts.sort_values("customer_id")[list(HISTORY)].itertuples(index=False)]
        assert got["customer_id"].tolist() == sorted(facts["customer_id"])
        assert np.array_equal(got["p_alive"].to_numpy(), values["p_alive"][rows])
        assert np.array_equal(got["_d1"].to_numpy(), values["_d1"][rows])
        many = from_arrow(spark, pa.table({"x": np.arange(10, dtype=float)}), chunk=3)  # four chunks, one short
        assert sorted(to_arrow(many)["x"].to_pylist()) == list(map(float, range(10)))
        empty = from_arrow(spark, pa.table({"x": pa.array([], type=pa.float64())}), chunk=3)
        assert to_arrow(empty.count()).as_py() == 0
    finally:
        release(spark)


def test_a_duckdb_source_runs_under_xuanbas_memory_limit_not_duckdbs_80_percent(tmp_path, monkeypatch):
    """At 10 M customers the engine round on ``--source`` grew past 10 GiB: its private DuckDB was
    opened without xuanba's settings, so with DuckDB's limit of 80 % of the machine."""
    from xuanba.rounds.engine import duckdb_source

    path = tmp_path / "tx.parquet"
    pq.write_table(pa.table({"customer_id": ["a"], "ts": pa.array([0], pa.timestamp("us")), "amount": [1.0]}), path)
    monkeypatch.setenv("XUANBA_MEMORY_LIMIT", "1GB")
    con = duckdb_source(path)._find_backend()
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit == "953.6 MiB", limit  # 1 GB as DuckDB says it back


def test_a_missing_per_history_value_reaches_the_engine_as_null_not_nan():
    """A bound the model could not give is missing (NULL), as in the workspace's frames: a NaN
    is a number to an engine (larger than every other in DuckDB), so a rule would select it."""
    hist = pd.DataFrame({"frequency": [0.0, 1.0], "recency": [0.0, 2.0], "T": [5.0, 5.0]})
    table = _per_history_table(arrow(hist), hist, {"p_alive_lower": np.array([np.nan, 0.5])})
    got = table.mutate(high=table.p_alive_lower > 0.9).to_pyarrow()
    assert got["p_alive_lower"].null_count == 1 and got["high"].to_pylist() == [None, False]


def _whale_base(n: int = 30) -> pd.DataFrame:
    """Accounts worth up to 1e12 each (a small-unit currency, VND or IDR): 1.3e13 in all, more
    than 2**63 millionths."""
    p = np.round(np.random.default_rng(1).uniform(-2e11, 1e12, n), 2)
    return pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(n)], "profit_365d": p,
                         "revenue_365d": np.abs(p) + 1})


def test_the_whale_peak_of_very_large_totals_is_the_workspaces():
    from xuanba.accounts.profit import whale_peak, whale_shape
    from xuanba.rounds.engine import _whale_on_engine

    base = _whale_base()
    assert base["profit_365d"].abs().sum() * 1e6 > 2.0**63
    got = _whale_on_engine(arrow(base), "profit_365d", ["revenue_365d", "profit_365d"])
    want = whale_peak(whale_shape(base["profit_365d"].to_numpy()))
    assert got["customers"] == want["customers"]
    assert got["profit_pct"] == pytest.approx(want["profit_pct"], rel=1e-9)


@spark_test
def test_the_spark_whale_peak_of_very_large_totals_does_not_overflow(spark):
    """Spark sums 64-bit integers in 64 bits: the running sum in millionths of 1.3e13 raised
    ARITHMETIC_OVERFLOW (or, without ANSI mode, gave a wrong peak)."""
    from xuanba.rounds.engine import _whale_on_engine
    from xuanba.standard.engine_spark import release

    base = _whale_base()
    table = on_spark(spark, base, "whale_big")
    try:
        got = _whale_on_engine(table, "profit_365d", ["revenue_365d", "profit_365d"])
    finally:
        release(spark)
    want = _whale_on_engine(arrow(base), "profit_365d", ["revenue_365d", "profit_365d"])
    assert got["customers"] == want["customers"] and got["of"] == want["of"] == 30
    assert got["profit_pct"] == pytest.approx(want["profit_pct"], rel=1e-12)


def test_the_row_counts_of_spark_sorted_views_stay_bounded(monkeypatch):
    """A long-lived process (the web app running Spark rounds) keeps at most ``_ROWS_KEPT`` view
    names of :func:`sorted_index`'s counts; a forgotten one reads as unknown (its reader counts)."""
    import ibis
    import pyarrow as pa

    from xuanba.standard import engine_spark

    monkeypatch.setattr(engine_spark, "_ROWS", {})
    monkeypatch.setattr(engine_spark, "_ROWS_KEPT", 3)
    for i in range(7):
        engine_spark._remember_rows(f"_xuanba_sorted_t{i}", i)
        assert len(engine_spark._ROWS) <= 3
    assert engine_spark._ROWS == {"_xuanba_sorted_t6": 6}
    con = ibis.duckdb.connect()
    con.create_table("_xuanba_sorted_t6", pa.table({"x": [1]}))
    con.create_table("_xuanba_sorted_t5", pa.table({"x": [1]}))
    assert engine_spark.rows_known(con.table("_xuanba_sorted_t6")) == 6
    assert engine_spark.rows_known(con.table("_xuanba_sorted_t5")) is None
