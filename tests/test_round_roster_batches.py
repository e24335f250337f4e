"""A stored DuckDB round's roster and contributions appended batch by batch as the engine streams
them (the saver's thread, beside the roster's query): the tables then hold the rows in the order
the batches came, not by rank, and every reader orders them: the round read back, its stored rows
ranked, equal those of the same round stored after the scoring from its pandas roster."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

import xuanba.rounds.run as run
import xuanba.standard.engine as engine
from xuanba import Workspace
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import load_round, run_round
from xuanba.rounds.store import read_contributions
from xuanba.standard import starter_standard

CUTOFF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> str:  # noqa: ANN001
    path = tmp_path_factory.mktemp("batches") / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("pareto-nbd", 3000, "2022-01-01", "2025-12-31", seed=5))
    return str(path)


def _stored(path: str) -> tuple:
    with Workspace(path, create=False) as ws:
        rnd = load_round(ws, 1)
        roster = ws.sql("SELECT * EXCLUDE (round_id) FROM roster WHERE round_id = 1 ORDER BY rank")
        points = ws.sql("SELECT * EXCLUDE (round_id) FROM round_points WHERE round_id = 1 ORDER BY rank")
        criteria = ws.sql("SELECT * FROM round_criteria WHERE round_id = 1 ORDER BY position")
        as_laid = ws.con.execute("SELECT rank FROM roster WHERE round_id = 1").fetchnumpy()["rank"]
        long = read_contributions(ws, 1)
    return rnd, roster, points, criteria, as_laid, long


def test_the_round_stored_batch_by_batch_is_the_round_stored_after_its_scoring(workspace, tmp_path, monkeypatch):
    from xuanba.rounds.store import RoundSaver

    batches: list[int] = []
    real = RoundSaver.append_batch

    def spy(self, roster, points):  # noqa: ANN001, ANN202
        batches.append(len(roster))
        return real(self, roster, points)

    monkeypatch.setattr(RoundSaver, "append_batch", spy)
    monkeypatch.setattr(engine, "STREAM_BATCH_ROWS", 256)  # many batches, in the engine's order
    batched = str(tmp_path / "batched.duckdb")
    shutil.copy(workspace, batched)
    run_round(batched, starter_standard("en"), CUTOFF, scoring_engine="duckdb")
    assert len(batches) > 3 and sum(batches) == 3000
    monkeypatch.setattr(run, "EARLY_ROSTER_ROWS", 0)  # the roster and contributions from the pandas round
    after = str(tmp_path / "after.duckdb")
    shutil.copy(workspace, after)
    run_round(after, starter_standard("en"), CUTOFF, scoring_engine="duckdb")
    assert sum(batches) == 3000  # no batch given this time
    one, two = _stored(batched), _stored(after)
    assert not (np.diff(one[4]) > 0).all()  # laid out as the batches came: the readers must order
    assert (np.diff(two[4]) > 0).all()
    rnd1, rnd2 = one[0], two[0]
    assert {k: v for k, v in rnd1.meta.items() if k != "created_at"} == \
        {k: v for k, v in rnd2.meta.items() if k != "created_at"}
    for part in ("roster", "fields", "contributions"):
        pd.testing.assert_frame_equal(getattr(rnd1, part), getattr(rnd2, part))
    for a, b in zip(one[1:4], two[1:4], strict=True):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(one[5], two[5])
