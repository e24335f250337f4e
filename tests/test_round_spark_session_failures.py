"""A Spark session is left as the round found it whichever step of the round fails: the roster's
write, the roster's hash (the read that also gives the selected rows), the account work's one-time
buyers (the workspace's store: tests/test_round_spark_out.py's URL test). Its temporary views,
persisted RDDs, the user's cached frame and every setting as before, nothing half-written where
the roster goes, and a round after it works (what its model's check kept on Spark gone when the
check ends). One failing round keeps its tables as files (a checkpoint folder set on the context,
as a cluster's session may have): every file removed."""

from __future__ import annotations

import pytest

from tests._helpers import SPARK_MARKS
from tests.test_round_engine import BUSY_STANDARD, read_roster, simulated_transactions
from tests.test_round_spark_session import _session_state
from xuanba.errors import InputError
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import engine_spark, load_standard

pytestmark = SPARK_MARKS
CUTOFF = "2025-12-31"


class _Fails(RuntimeError):
    pass


def _counting_files(drop, folder, written: list):  # noqa: ANN202
    """``drop`` that first notes how many of Spark's checkpoint files ``folder`` holds."""

    def dropping(frame):  # noqa: ANN001, ANN202
        written.append(len(list(folder.rglob("rdd-*"))))
        drop(frame)

    return dropping


#: The steps the round is made to fail at, in turn.
STEPS = [
    "xuanba.rounds.roster_out._write_parquet",
    "xuanba.rounds.engine._chunked_sha256",
    "xuanba.rounds.engine._one_time_buyers_on_engine",
]
# The workspace's store failing (the last step) is tests/test_round_spark_out.py's URL test's
# round that fails to store, its session checked as here (a round of its own here until session 37).
#: The step whose round keeps its tables as files in a checkpoint folder: late, after the facts,
#: the predictions and the roster are kept by Spark (the round of its own in
#: tests/test_round_spark_session.py until session 36, failing at the summary just before it).
AS_FILES = "xuanba.rounds.engine._one_time_buyers_on_engine"


def test_a_round_that_fails_at_any_step_leaves_the_session_as_found(spark, tmp_path, monkeypatch):
    """The round fails at each step in turn on the same session; after each failure the session is
    as found and nothing is written where the roster goes. Then a round works on that session: it
    follows every failure (one round after the three, not one after each: a failure that broke the
    session breaks it for every round after, and a failure that broke the next failing round
    before its step is caught by that step not running). That round runs as a round does, with the
    model's check (its holdout fits' Spark tables gone too: a successful round leaves the session
    as found), the failing ones without it."""
    session = spark._session
    path = tmp_path / "tx.parquet"
    simulated_transactions(120, seed=21).to_parquet(path, index=False)
    tx = spark.read_parquet(path)
    mine = session.range(3)
    mine.createOrReplaceTempView("users_view_f")
    mine.cache().count()
    before = _session_state(session, mine)
    context, kept = session.sparkContext, tmp_path / "checkpoints"
    for i, step in enumerate(STEPS):
        calls = []

        def fails(*args, _step=step, _calls=calls, **kwargs):
            _calls.append(_step)
            raise _Fails(f"the round fails at {_step}")

        out, written = tmp_path / f"out{i}", []
        with monkeypatch.context() as m:
            m.setattr(step, fails)
            if step == AS_FILES:
                m.setattr(engine_spark, "drop", _counting_files(engine_spark.drop, kept, written))
                context.setCheckpointDir(str(kept))  # this round's tables kept as files there
            try:
                # a failed write is said as an InputError naming where (roster_out._write_error), with the cause
                with pytest.raises((_Fails, InputError), match=f"the round fails at {step}"):
                    run_round_on_engine(
                        tx,
                        load_standard(BUSY_STANDARD),
                        CUTOFF,
                        roster_out=out,
                        workspace=tmp_path / "w.duckdb",
                        check_model=False,
                    )
            finally:  # the session is the whole run's: back to local checkpoints
                getattr(context._jsc.sc(), "checkpointDir_$eq")(context._jvm.scala.Option.empty())
        assert calls, step  # the step ran, and failed
        if step == AS_FILES:
            assert written and max(written) > 0  # the round's kept tables were files there
            assert not list(kept.rglob("rdd-*"))  # and it removed every one
        assert _session_state(session, mine) == before, step
        assert not (out / "roster.parquet").exists(), step
        assert not list(out.iterdir()) if out.exists() else True, step
    from xuanba.rounds import engine_extras

    check, kept_around = engine_extras.model_check_on_engine, []

    def watched(*args, **kwargs):  # what Spark keeps as the model's check starts and as it ends
        rdds = session.sparkContext._jsc.getPersistentRDDs
        before = sorted(dict(rdds()))
        out = check(*args, **kwargs)
        kept_around.append((before, sorted(dict(rdds()))))
        return out

    monkeypatch.setattr(engine_extras, "model_check_on_engine", watched)
    got = run_round_on_engine(tx, load_standard(BUSY_STANDARD), CUTOFF, roster_out=tmp_path / "out")
    assert len(read_roster(tmp_path / "out")) == got.meta["n_customers"] > 0
    assert got.tables["holdout"].frame is not None  # the model's check ran: its tables went too
    # and went when it ended, not with the round (the holdout rows kept through scoring: a leak for
    # any caller of the check but the round, whose end drops what is left on its backend)
    assert len(kept_around) == 1 and kept_around[0][1] == kept_around[0][0], kept_around
    assert _session_state(session, mine) == before
    mine.unpersist()
    session.catalog.dropTempView("users_view_f")
