"""The round on Spark (local mode) equals the workspace round on DuckDB, customer for customer."""

from __future__ import annotations

import contextlib
import datetime as dt

import pandas as pd
import pytest

from tests._helpers import SPARK_MARKS, cdnow_transactions, store
from tests.test_round_engine import (
    BUSY_STANDARD,
    CDNOW_CUTOFF,
    assert_same_round,
    cdnow_standard,
    read_roster,
    simulated_transactions,
)
from xuanba import Workspace
from xuanba.errors import InputError, SchemaError
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

pytestmark = SPARK_MARKS


def _parquet(frame: pd.DataFrame, path) -> str:
    frame.to_parquet(path, index=False)
    return str(path)


#: The Spark jobs a CDNOW round may run (``bench/bench_spark_jobs.py`` counts them per line of code):
#: CDNOW_JOBS_MEASURED when written, 79 before its kept tables were computed by their first reader and its
#: headline figures merged into a few queries, 42 before the percentile criteria shared one sort, the two
#: histories one read, the counts and figures one query, and the roster's read for its hash gave the
#: selected rows and the median (docs/benchmarks_round.md). Each job costs Spark a fixed ~0.1-0.2 s here,
#: and a cluster its scheduling and shuffles, whatever the rows. The bound is the count itself: the count
#: depends only on the queries the round runs, so any job that comes back fails the test.
CDNOW_JOBS_MEASURED = 33
CDNOW_JOBS_BOUND = CDNOW_JOBS_MEASURED


@pytest.fixture(scope="module")
def cdnow_on_spark(spark, tmp_path_factory, test_data):
    """The CDNOW round at 1997-09-30 on Spark run once for the module (about 20 s of the JVM's CPU
    a round), its jobs counted by Spark's status tracker under a job group of its own, and the
    workspace round on DuckDB it must equal: the two tests below check different things of the
    same round. The job group is left as it was found."""
    import uuid

    from xuanba.rounds.spark import spark_source

    tmp = tmp_path_factory.mktemp("cdnow_spark")
    tx = cdnow_transactions(test_data)
    path = tmp / "ws.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", tx)
    want = run_round(path, cdnow_standard(), CDNOW_CUTOFF, store=False, check_model=False)
    source = spark_source(spark, _parquet(tx, tmp / "tx.parquet"))
    context = spark._session.sparkContext
    names = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")
    before = {k: context.getLocalProperty(k) for k in names}
    group = f"xuanba-test-jobs-{uuid.uuid4().hex}"
    context.setJobGroup(group, "the jobs of one round")
    try:
        got = run_round_on_engine(source, cdnow_standard(), CDNOW_CUTOFF, roster_out=tmp / "out",
                                  workspace=tmp / "rounds.duckdb")
    finally:
        for key, value in before.items():
            context.setLocalProperty(key, value)
    jobs = len(context.statusTracker().getJobIdsForGroup(group))
    return {"tmp": tmp, "want": want, "got": got, "jobs": jobs}


def test_spark_round_equals_the_duckdb_round_on_cdnow(cdnow_on_spark):
    """CDNOW sample at 1997-09-30 with BG/NBD and Gamma-Gamma: the same roster (scores within
    1e-9), the same estimates, hashes and headline figures; the Parquet written is readable and
    equal; the workspace holds the selection and the report reads it."""
    tmp, want, got = cdnow_on_spark["tmp"], cdnow_on_spark["want"], cdnow_on_spark["got"]
    assert got.meta["engine"] == "pyspark" and got.meta["n_customers"] == 2357
    assert_same_round(got, want, tmp / "out")
    assert (tmp / "out" / "roster.parquet").is_dir()  # written by the executors, not the driver
    pd.testing.assert_frame_equal(read_roster(tmp / "out"), want.roster, check_dtype=False)
    fields = pd.read_parquet(tmp / "out" / "fields.parquet")  # a folder of parts, read as one table
    assert (tmp / "out" / "fields.parquet").is_dir()
    for col in ("first_purchase", "last_purchase"):
        fields[col] = pd.to_datetime(fields[col])
    pd.testing.assert_frame_equal(fields.sort_values("customer_id").reset_index(drop=True), want.fields,
                                  check_dtype=False)
    stored = load_round(tmp / "rounds.duckdb", "latest")
    pd.testing.assert_frame_equal(stored.roster, want.selected, check_dtype=False)


def test_a_spark_round_runs_few_jobs(cdnow_on_spark):
    """The CDNOW round on Spark, its jobs counted by Spark's status tracker under a job group of the
    fixture's own: at most CDNOW_JOBS_BOUND (the count does not depend on how warm the JVM is, only on
    the queries the round runs)."""
    jobs = cdnow_on_spark["jobs"]
    assert cdnow_on_spark["got"].meta["n_customers"] == 2357 and jobs > 0
    assert jobs <= CDNOW_JOBS_BOUND, f"{jobs} Spark jobs (bench/bench_spark_jobs.py --sites says which code runs them)"


# The Spark round on a hostile simulated base (markup, formula, quote and Chinese ids, every
# normalisation, gates, a quota, a bar, a tie-break and a capacity that binds) equal to the workspace
# round is checked on the round tests/test_round_spark_out.py lands at a URL (one Spark round for both).


def test_bad_sources_on_spark_are_input_errors(spark, tmp_path):
    from xuanba.rounds.spark import spark_source

    with pytest.raises(InputError, match="does not exist"):
        spark_source(spark, tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet <script>alert(1)</script>", "utf-8")
    with pytest.raises(InputError, match="Spark cannot read --source"):
        spark_source(spark, bad)
    with pytest.raises(InputError, match="has no table"):
        spark_source(spark, "sales.no_such_table")
    with pytest.raises(InputError, match=r"S3AFileSystem not found|No FileSystem for scheme") as info:
        spark_source(spark, "s3a://bucket/tx.parquet")  # was "An error occurred while calling o1778.load."
    assert "hadoop-aws" in info.value.fix
    with pytest.raises(InputError, match="neither an existing path nor a table"):
        spark_source(spark, "drop table x; --")
    wrong = spark_source(spark, _parquet(pd.DataFrame({"client": ["a"], "amount": [1.0]}), tmp_path / "w.parquet"))
    with pytest.raises(SchemaError, match="no column for the required field 'ts'; columns found: client, amount"):
        run_round_on_engine(wrong, load_standard(BUSY_STANDARD), "2025-12-31")  # said as ingest says it


def test_two_sources_read_in_one_session_stay_two(spark, tmp_path):
    """Each source gets a view of its own: the second read does not point the first at itself
    (with one view name for all, 10 customers became 3)."""
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    frames = [pd.DataFrame({"customer_id": [f"{k}{i}" for i in range(n)], "amount": [1.0] * n})
              for k, n in (("a", 10), ("b", 3))]
    first = spark_source(spark, _parquet(frames[0], tmp_path / "a.parquet"))
    second = spark_source(spark, _parquet(frames[1], tmp_path / "b.parquet"))
    got = [sorted(to_arrow(t.select("customer_id"))["customer_id"].to_pylist()) for t in (first, second)]
    assert got == [sorted(f["customer_id"]) for f in frames]


def test_spark_round_with_auto_intervals_and_side_tables_equals_the_workspace_round(spark, tmp_path):
    """What runs differently on Spark: auto's holdout histories grouped by Spark (computed once for
    the three candidates, whose customers at the top decile's edge are read from the kept rows),
    the per-history bounds and the side tables joined as memtables, the intervals' proof hash read
    through the range-partitioned sort, the whale curve's running sum. A simulated base over three years (a
    year held out), interactions, promises, contacts and a customers table; the same choice,
    check, bounds, fields and roster as the workspace round."""
    from tests.test_round_engine_features import (
        AUTO,
        _same_numbers,
        _with_side_tables,
        assert_same_bounds,
        assert_same_choice,
        holdout_reads,
        with_interval,
    )
    from xuanba.models.predict import INTERVAL_COLUMNS
    from xuanba.models.simulate import simulate_transactions
    from xuanba.rounds.spark import spark_source

    tx = simulate_transactions("pareto-nbd", 400, "2023-01-01", "2025-12-31", seed=5)
    tx["cost"] = (tx["amount"] * 0.6).round(2)
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    text = with_interval(AUTO).replace('expr = "orders >= 1"', 'expr = "days_since_contact < 400 or single_threaded"')
    std = load_standard(text)
    want = run_round(path, std, "2025-12-31", store=False)
    with holdout_reads(type(spark)) as reads:
        got = run_round_on_engine(spark_source(spark, _parquet(tx, tmp_path / "tx.parquet")), std, "2025-12-31",
                                  roster_out=tmp_path / "out", side_tables=path)
    assert got.meta["engine"] == "pyspark" and want.tables["holdout"].frame is not None
    # Spark computed the customers' holdout histories once for the three candidates' checks
    assert [c["group_mae"] is not None for c in got.meta["model_choice"]["candidates"]] == [True] * 3
    assert len(reads) == 1
    assert_same_choice(got, want)
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    assert list(fields.columns) == list(want.fields.columns)
    assert_same_bounds(fields, want.fields, [*INTERVAL_COLUMNS, "profit_365d"])
    info, ws_info = dict(got.meta["intervals"]), dict(want.meta["intervals"])
    fields = fields.sort_values("customer_id", kind="stable").reset_index(drop=True)
    from xuanba.rounds.run import table_sha256

    assert info.pop("sha256") == table_sha256(fields[["customer_id", *info["columns"]]])
    ws_info.pop("sha256")
    assert _same_numbers(info, ws_info)
    for key in ("account_fields", "customer_fields", "customer_fields_skipped"):
        assert got.meta[key] == want.meta[key], key


FACTS_ONLY = """
[standard]
name = "facts only"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 1
"""


def test_spark_engine_facts_are_read_in_id_order_and_equal_duckdbs_on_a_base_with_ties(spark, tmp_path):
    """``engine_fields`` on Spark keeps the scored facts, sorts them by id and keeps that: keeping
    before the sort changes only how often Spark computes them (the RFM cuts are values, the same
    on every computation). What can break is the order: the facts, read in the engine's own order
    (as ``fields.parquet`` is written), are sorted by id across Spark's ranges, and equal DuckDB's
    row for row. Hostile ids, rows shuffled, and a hundred customers whose every purchase another
    one repeats (tied on every fact and RFM value)."""
    from xuanba.rounds.engine import engine_fields
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import checkpoint, release

    tx = simulated_transactions(300, seed=7)
    ids = tx["customer_id"].drop_duplicates().to_numpy()[:100]
    twins = tx[tx["customer_id"].isin(ids)].copy()
    twins["customer_id"] = "twin " + twins["customer_id"]
    tx = pd.concat([tx, twins]).sample(frac=1.0, random_state=7).reset_index(drop=True)
    std = load_standard(FACTS_ONLY)
    source = spark_source(spark, _parquet(tx, tmp_path / "tx.parquet"))
    try:
        table, notes = engine_fields(source, std, dt.date(2025, 12, 31), keep=checkpoint)
        got = to_arrow(table).to_pandas()  # no order_by: the kept rows as Spark reads them
    finally:
        release(spark)
    assert notes["predictions"] == "none"
    with contextlib.ExitStack() as stack:
        duck, _ = engine_fields(tx, std, dt.date(2025, 12, 31), keep=lambda t: stack.enter_context(t.cache()))
        want = to_arrow(duck).to_pandas()
    assert len(got) == tx["customer_id"].nunique() == 400
    assert got["customer_id"].tolist() == sorted(got["customer_id"])
    assert want["customer_id"].tolist() == got["customer_id"].tolist()
    for frame in (got, want):  # Spark's timestamps may carry the session's zone (UTC)
        for col in ("first_purchase", "last_purchase"):
            when = pd.to_datetime(frame[col])
            frame[col] = when.dt.tz_convert(None) if when.dt.tz is not None else when
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    by_id = got.set_index("customer_id")
    pd.testing.assert_frame_equal(by_id.loc["twin " + ids].reset_index(drop=True),
                                  by_id.loc[ids].reset_index(drop=True))
