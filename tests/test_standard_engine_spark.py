"""The whole roster on Spark (local[2]) equals the roster on DuckDB, on random small bases and
standards (ties, equal values, missing values, quotas, bars, capacity by count and by budget):
on Spark the windows over the whole base are replaced by figures, range-partitioned sorts and
counts per block of ranks (xuanba.standard.engine_spark), which must give the same numbers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests._helpers import SPARK_MARKS
from tests.test_standard_engine_roster import FIELDS, NO_SHRINK, ROW, _frame, _same, standards
from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine

pytestmark = [
    *SPARK_MARKS,
    # pyspark raises the recursion limit on its first pickling, inside the first example; said
    # by hypothesis as a warning, it changes nothing that is tested
    pytest.mark.filterwarnings("ignore:The recursion limit will not be reset"),
]

_N = iter(range(10**9))


def _on_spark(spark, frame):
    """The frame as a Spark table (missing values as nulls, not NaN), through Ibis."""
    arrow = pa.Table.from_pandas(frame, preserve_index=False)  # NaN becomes null
    arrow = arrow.set_column(arrow.schema.get_field_index("seg"), "seg", arrow["seg"].cast(pa.string()))
    name = f"roster_case_{next(_N)}"
    spark._session.createDataFrame(arrow).createOrReplaceTempView(name)
    return spark.table(name)


TIES = [(2, 1, 0, 1, "x")] * 6 + [(None, None, None, None, None)] * 3 + [(5, -3, 2, 4, "y"), (0, 0, 1, 0, "")]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=NO_SHRINK)
@given(rows=st.lists(ROW, min_size=1, max_size=40), text=standards())
@example(rows=TIES, text='[standard]\nname = "p"\nversion = "1"\n[[criteria]]\nname = "c0"\nfield = "a"\n'
         'weight = 60\nnormalise = "percentile"\nmissing = "median"\n[[criteria]]\nname = "c1"\nfield = "b"\n'
         'weight = 40\nnormalise = "zscore"\n[[tiers]]\nname = "A"\nquota = 4\n[[tiers]]\nname = "B"\n'
         'quota = "50%"\n[capacity]\nmax_accounts = 5\n')
def test_spark_roster_equals_duckdb_roster(spark, rows, text):
    from xuanba.errors import DataError

    std = load_standard(text, extra_fields=FIELDS)
    frame = _frame(rows)
    try:
        want = score_in_engine(frame, std)
    except DataError as exc:
        with pytest.raises(DataError) as got:
            score_in_engine(_on_spark(spark, frame), std)
        assert got.value.message == exc.message
        return
    got = score_in_engine(_on_spark(spark, frame), std)
    _same(want.roster, got.roster)
    assert got.info == want.info
    np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=NO_SHRINK)
@given(rows=st.lists(ROW, min_size=4, max_size=40), text=standards())
def test_greedy_capacity_on_spark_equals_duckdb(spark, rows, text):
    """With the exact knapsack's limit at 2 candidates a binding budget takes the greedy rule,
    whose running sum of costs Spark computes from a range-partitioned sort."""
    import xuanba.standard.score as score
    from xuanba.errors import DataError

    std = load_standard(text, extra_fields=FIELDS)
    frame = _frame(rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(score, "EXACT_KNAPSACK_MAX", 2)
        try:
            want = score_in_engine(frame, std)
        except DataError:
            return
        got = score_in_engine(_on_spark(spark, frame), std)
    _same(want.roster, got.roster)
    assert got.info == want.info


def test_sorted_index_numbers_rows_across_partitions_as_a_window_does(spark):
    """20,000 rows with many ties in the first key: the position and running sum equal numpy's
    lexsort and cumsum, and the sort really spread over several partitions."""
    import pandas as pd

    from xuanba.standard.engine_spark import release, sorted_index

    rng = np.random.default_rng(7)
    n = 20_000
    frame = pd.DataFrame({"k": rng.integers(0, 50, n).astype(float), "id": [f"x{i:05d}" for i in range(n)],
                          "v": rng.normal(size=n).round(3)})
    spark._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(
        "sorted_case")
    t = spark.table("sorted_case")
    out = sorted_index(t, [t.k.desc(), t.id.asc()], "_i", running_sum="v", sum_name="_cum")
    from xuanba.standard.engine import to_arrow

    got = to_arrow(out).to_pandas().sort_values("_i").reset_index(drop=True)
    order = np.lexsort((frame["id"].to_numpy(), -frame["k"].to_numpy()))
    assert got["_i"].tolist() == list(range(n))
    assert got["id"].tolist() == frame["id"].to_numpy()[order].tolist()
    np.testing.assert_allclose(got["_cum"].to_numpy(), np.cumsum(frame["v"].to_numpy()[order]), rtol=0, atol=1e-9)
    kept = spark._xuanba_sorted
    assert kept and kept[-1].rdd.getNumPartitions() > 1
    release(spark)
    assert not spark._xuanba_sorted


def _persisted(spark) -> int:
    """How many RDDs the Spark context holds persisted (a kept table is one)."""
    return int(spark._session.sparkContext._jsc.getPersistentRDDs().size())


_KEPT_TEXT = ('[standard]\nname = "k"\nversion = "1"\n[[criteria]]\nname = "c0"\nfield = "a"\nweight = 1\n'
              'missing = "median"\n[[tiers]]\nname = "A"\nmin_score = 0\n')


def test_a_failing_score_on_spark_keeps_nothing(spark):
    """A budget over a cost field with no value fails after the scoring has kept tables on Spark;
    they are dropped all the same (they were dropped only on success)."""
    from xuanba.errors import DataError

    std = load_standard(_KEPT_TEXT + '[capacity]\ncost_field = "cost"\nbudget = 3\n', extra_fields=FIELDS)
    frame = _frame([(i % 4, 1, 0, None, "x") for i in range(12)])
    before = _persisted(spark)
    with pytest.raises(DataError, match="has no values"):
        score_in_engine(_on_spark(spark, frame), std)
    assert _persisted(spark) == before and not getattr(spark, "_xuanba_sorted", [])


def test_a_scoring_between_does_not_release_a_rosters_kept_tables(spark):
    """A round builds its roster expression (its tables kept on the backend until it is read, as
    xuanba.rounds.engine does); another scoring on the same session in between released every kept
    table of the session, and reading the roster then failed."""
    from xuanba.standard.engine import roster_expression, to_arrow
    from xuanba.standard.engine_spark import release

    std = load_standard(_KEPT_TEXT, extra_fields=FIELDS)
    frame = _frame([(i % 5, i % 3, 0, 1, "x") for i in range(15)] + [(None, 0, 0, 1, "y")])
    before = _persisted(spark)
    expr, _ = roster_expression(_on_spark(spark, frame), std)
    kept = len(spark._xuanba_sorted)
    assert kept  # the roster's tables, kept until it is read
    score_in_engine(_on_spark(spark, frame), std)  # another scoring, finished before the roster is read
    assert len(spark._xuanba_sorted) == kept
    got = to_arrow(expr.order_by("rank"))
    assert _persisted(spark) > before
    release(spark)
    assert _persisted(spark) == before  # a frame's unpersist() left a checkpoint's RDD persisted
    want = score_in_engine(frame, std).roster
    assert got["customer_id"].to_pylist() == want["customer_id"].tolist()
    np.testing.assert_allclose(got["score"].to_numpy(), want["score"].to_numpy(), atol=1e-9)


def test_with_a_checkpoint_directory_the_kept_tables_are_written_there_then_removed(spark, tmp_path):
    """A context with a checkpoint directory keeps the scoring's tables as files there (an executor
    lost on a cluster then costs a read, not the round), removed when the scoring ends; the roster
    is DuckDB's."""
    from xuanba.standard import engine_spark

    std = load_standard(_KEPT_TEXT.replace("weight = 1", "weight = 0.5") + '[[criteria]]\nname = "c1"\nfield = "b"\nweight = 0.5\n', extra_fields=FIELDS)
    frame = _frame([(i % 5, i % 3, 0, 1, "x") for i in range(15)] + [(None, 0, 0, 1, "y")])
    context = spark._session.sparkContext
    real, written = engine_spark.drop, []

    def dropping(frame):  # what the checkpoint directory holds as each kept table is dropped
        written.append(len(list(tmp_path.rglob("rdd-*"))))
        real(frame)

    context.setCheckpointDir(str(tmp_path))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(engine_spark, "drop", dropping)
            got = score_in_engine(_on_spark(spark, frame), std)
    finally:  # the session is the whole run's: back to local checkpoints
        getattr(context._jsc.sc(), "checkpointDir_$eq")(context._jvm.scala.Option.empty())
    assert context.getCheckpointDir() is None
    assert len(written) > 1 and written[0] == len(written)  # one folder per kept table, dropped one by one
    assert not list(tmp_path.rglob("rdd-*"))
    want = score_in_engine(frame, std)
    _same(want.roster, got.roster)


def test_the_median_that_fills_missing_values_on_spark_is_numpys(spark):
    """missing = "median" on Spark from the middle rows of a sort (not the exact percentile's one
    task): with an odd and an even count of values, ties among them, the customers without a
    value get NumPy's median, and the roster is DuckDB's and the pandas path's; so do the
    customers without a cost under a budget (the median cost)."""
    from xuanba.standard.score import score_customers

    std = load_standard(_KEPT_TEXT.replace('missing = "median"\n', 'missing = "median"\nnormalise = "minmax"\n')
                        + '[capacity]\ncost_field = "cost"\nbudget = 12\n', extra_fields=FIELDS)
    compiled: list[str] = []
    compile_sql = type(spark).compile

    def compiling(self, expr, *args, **kwargs):  # every query the scoring sends to Spark
        sql = compile_sql(self, expr, *args, **kwargs)
        compiled.append(str(sql).lower())
        return sql

    for values in ([3, 1, 3, 3, 0, 6, 2], [3, 1, 3, 3, 0, 6, 2, 1]):  # medians 3 and 2.5
        frame = _frame([(v, 0, 0, v % 4, "x") for v in values] + [(None, 0, 0, None, "y")] * 3)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(type(spark), "compile", compiling)
            got = score_in_engine(_on_spark(spark, frame), std)
        assert compiled and not [q for q in compiled if "percentile" in q or "median(" in q]
        want = score_in_engine(frame, std)
        _same(want.roster, got.roster)
        _same(score_customers(frame, std).roster, got.roster)
        lo, hi, med = min(values), max(values), float(np.median(values))
        points = got.contributions.set_index("customer_id")["normalised"]
        missing = frame.loc[frame["a"].isna(), "customer_id"]
        np.testing.assert_allclose(points[missing], (med - lo) / (hi - lo), rtol=1e-15)


def test_nested_rules_on_spark_are_numpys(spark):
    """//, % and round nested (each large part a helper column) over values that misbehave, all
    the rules in one query: Spark gives the pandas path's bits, as DuckDB does."""
    from tests.test_engine_rules_nested import NESTED, _assert_numpys, _hostile_frame
    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_rules import with_rules

    frame = _hostile_frame()
    spark._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(
        "nested_rules_case")
    rules = {f"x{i}": expr for i, expr in enumerate(NESTED)}
    got = to_arrow(with_rules(spark.table("nested_rules_case"), rules))
    for name, expr in rules.items():
        _assert_numpys(expr, frame, got[name].to_pylist())


def test_a_standard_with_nested_rules_on_spark_equals_duckdb(spark):
    from tests.test_engine_rules_nested import NESTED_STANDARD, nested_frame

    std = load_standard(NESTED_STANDARD, extra_fields=("a", "b", "t", "c"))
    frame = nested_frame()
    name = f"roster_case_{next(_N)}"
    spark._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(name)
    want, got = score_in_engine(frame, std), score_in_engine(spark.table(name), std)
    _same(want.roster, got.roster)
    assert got.info == want.info
