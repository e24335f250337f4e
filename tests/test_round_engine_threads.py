"""A stored round scores on the engine with the cores its fields' append leaves it (the append runs
in the saver's thread meanwhile): fewer DuckDB threads during the scoring alone, set back after,
failure included; the same round stored as with every thread."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

import xuanba.rounds.run as run
import xuanba.standard.engine as engine
from xuanba import Workspace
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import list_rounds, load_round, run_round
from xuanba.standard import starter_standard

CUTOFF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> str:  # noqa: ANN001
    path = tmp_path_factory.mktemp("threads") / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("pareto-nbd", 1500, "2022-01-01", "2025-12-31", seed=3))
    return str(path)


def _threads() -> int:
    return int(engine._local().con.execute("SELECT current_setting('threads')").fetchone()[0])


@pytest.fixture
def four_threads():  # noqa: ANN201
    """The engine's DuckDB on four threads (more than the append takes, on any machine)."""
    con = engine._local().con
    was = _threads()
    con.execute("SET threads = 4")
    yield
    con.execute(f"SET threads = {was}")


def _spy(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[int]:
    """The engine's threads each time the standard is applied (then, with ``fail``, a failure)."""
    seen: list[int] = []
    real = engine.score_in_engine

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())
        if fail:
            raise ArithmeticError("the scoring broke")
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    return seen


def _copy(src: str, tmp_path, name: str) -> str:  # noqa: ANN001
    dst = tmp_path / name
    shutil.copy(src, dst)
    return str(dst)


def test_a_stored_round_scores_on_the_cores_the_fields_append_leaves(workspace, tmp_path, monkeypatch, four_threads):
    seen = _spy(monkeypatch)
    run_round(_copy(workspace, tmp_path, "a.duckdb"), starter_standard("en"), CUTOFF)
    assert seen == [3]  # one core left to the append (store.APPEND_THREADS)
    assert _threads() == 4  # set back
    seen.clear()
    run_round(workspace, starter_standard("en"), CUTOFF, store=False)  # nothing appended beside it
    assert seen == [4] and _threads() == 4


def test_a_scoring_failure_sets_the_threads_back_and_stores_nothing(workspace, tmp_path, monkeypatch, four_threads):
    seen = _spy(monkeypatch, fail=True)
    path = _copy(workspace, tmp_path, "b.duckdb")
    with pytest.raises(ArithmeticError, match="the scoring broke"):
        run_round(path, starter_standard("en"), CUTOFF)
    assert seen == [3] and _threads() == 4
    with Workspace(path, create=False) as ws:
        assert list_rounds(ws).empty


def test_the_round_scored_on_fewer_threads_is_the_one_scored_on_all(workspace, tmp_path, monkeypatch, four_threads):
    fewer = _copy(workspace, tmp_path, "fewer.duckdb")
    run_round(fewer, starter_standard("en"), CUTOFF)
    monkeypatch.setattr(run, "_beside_the_saver", lambda saver, how: run.contextlib.nullcontext())
    seen = _spy(monkeypatch)
    every = _copy(workspace, tmp_path, "every.duckdb")
    run_round(every, starter_standard("en"), CUTOFF)
    assert seen == [4]
    stored = []
    for path in (fewer, every):
        with Workspace(path, create=False) as ws:
            rnd = load_round(ws, 1)
            stored.append((rnd, {k: v for k, v in rnd.meta.items() if k != "created_at"}))
    (one, meta1), (two, meta2) = stored
    assert meta1 == meta2
    for part in ("roster", "fields", "contributions"):
        pd.testing.assert_frame_equal(getattr(one, part), getattr(two, part))
