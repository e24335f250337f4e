"""A Spark session used for many rounds (a notebook's, the one ``--spark-conf`` joins) is left as
the round found it: its temporary views, what it keeps (persisted RDDs, the user's cached frames
and their storage levels) and its settings, after a round that succeeds and after one that fails
(both in tests/test_round_spark_session_failures.py, with the helper :func:`_session_state` of
this file), and after the command line's block on a running session."""

from __future__ import annotations

from tests._helpers import SPARK_MARKS
from tests.test_round_engine import read_roster, simulated_transactions
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

pytestmark = SPARK_MARKS
CUTOFF = "2025-12-31"


def _session_state(session, cached) -> dict:
    """What a round could leave behind: every temporary view, every persisted RDD, the storage
    level of the user's cached frame, every setting."""
    return {
        "views": sorted(r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary),
        "rdds": sorted(dict(session.sparkContext._jsc.getPersistentRDDs())),
        "cached": str(cached.storageLevel),
        "conf": dict(session.conf.getAll),
    }


def test_the_command_lines_source_view_goes_with_the_block_on_a_running_session(spark, tmp_path):
    """``spark_session`` joins the running session (the CLI under a notebook or spark-submit):
    the view ``spark_source`` names the transactions by is dropped when the block ends."""
    from xuanba.rounds.spark import spark_session, spark_source

    path = tmp_path / "tx.parquet"
    simulated_transactions(20, seed=2).to_parquet(path, index=False)
    session = spark._session
    before = {r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary}
    with spark_session({"spark.sql.shuffle.partitions": "3"}) as backend:
        t = spark_source(backend, path)
        assert "customer_id" in t.columns
        during = {r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary}
        assert len(during - before) == 1
    assert {r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary} == before
    assert session.conf.get("spark.sql.shuffle.partitions") == "2"


def test_the_command_line_leaves_a_running_sessions_settings_as_it_found_them(spark):
    """Joining a running session sets xuanba's settings and ``--spark-conf``'s, and Ibis's own on
    connecting (``spark.sql.mapKeyDedupPolicy``): every one is as it was after the block, an
    unset one unset again; a setting the block leaves alone stays."""
    from xuanba.rounds.spark import spark_session

    session = spark._session
    ibis_set = session.conf.get("spark.sql.mapKeyDedupPolicy", None)
    session.conf.unset("spark.sql.mapKeyDedupPolicy")  # a notebook's session that never met Ibis
    session.conf.set("spark.sql.session.timeZone", "Asia/Shanghai")
    session.conf.set("spark.sql.ansi.enabled", "true")
    try:
        before = dict(session.conf.getAll)
        with spark_session(
            {"spark.sql.shuffle.partitions": "3", "spark.sql.files.maxPartitionBytes": "64m"}
        ):
            during = dict(session.conf.getAll)
            assert (
                during["spark.sql.shuffle.partitions"] == "3"
                and during["spark.sql.session.timeZone"] == "UTC"
            )
            assert during.get("spark.sql.mapKeyDedupPolicy") == "LAST_WIN"
        assert dict(session.conf.getAll) == before
        assert session.conf.get("spark.sql.mapKeyDedupPolicy", None) is None
    finally:
        session.conf.set("spark.sql.session.timeZone", "UTC")
        session.conf.unset("spark.sql.ansi.enabled")
        if ibis_set is not None:
            session.conf.set("spark.sql.mapKeyDedupPolicy", ibis_set)


TWO_THREADS_STANDARD = """
[standard]
name = "two"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 0.5
normalise = "percentile"
[[criteria]]
name = "frequency"
field = "frequency"
weight = 0.3
normalise = "percentile"
[[criteria]]
name = "recency"
field = "recency"
weight = 0.2
direction = "lower"
[[gates]]
name = "bought"
expr = "frequency >= 1"
[[tiers]]
name = "A"
quota = "10%"
[[tiers]]
name = "B"
quota = "20%"
"""


def test_two_threads_rounds_on_one_spark_session_each_give_the_round_run_alone(spark, tmp_path):
    """Two threads' rounds on one session take turns (``engine_lock``, keyed by the session): each
    gives the round one round alone gives, its roster file too, and the session keeps no view of
    theirs. Guards what was untested on Spark: with ``engine_lock.held`` made a no-op (probed), one
    round read a table the other had kept and dropped meanwhile ("CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND").
    The round alone is the workspace round on DuckDB the Spark round equals (tests/test_round_spark.py,
    scores within 1e-9): a third Spark round cost a third of the test; the two are equal exactly."""
    import pandas as pd

    from tests._helpers import store
    from tests.test_round_concurrent import _at_once, _overlapped
    from tests.test_round_engine import assert_same_round
    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.rounds.spark import spark_source

    session = spark._session
    frame, path = simulated_transactions(300, seed=7), tmp_path / "tx.parquet"
    frame.to_parquet(path, index=False)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        store(ws, "transactions", frame)
    std = load_standard(TWO_THREADS_STANDARD)
    alone = run_round(tmp_path / "ws.duckdb", std, CUTOFF, store=False, check_model=False)
    assert alone.meta["n_selected"] > 0 and alone.meta["n_gated_out"] > 0
    tx = spark_source(spark, path)
    views = sorted(r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary)

    def one(name: str):  # noqa: ANN202
        return run_round_on_engine(tx, std, CUTOFF, roster_out=tmp_path / name, check_model=False)

    (first, second), times = _at_once([lambda: one("first"), lambda: one("second")])
    _overlapped(times)
    for name, rnd in (("first", first), ("second", second)):
        assert_same_round(rnd, alone, tmp_path / name)
    pd.testing.assert_frame_equal(first.roster, second.roster)
    pd.testing.assert_frame_equal(read_roster(tmp_path / "first"), read_roster(tmp_path / "second"))
    for key in ("roster_sha256", "data_sha256", "tier_counts", "n_customers", "n_selected"):
        assert first.meta[key] == second.meta[key], key
    assert sorted(r.tableName for r in session.sql("SHOW TABLES").collect() if r.isTemporary) == views
