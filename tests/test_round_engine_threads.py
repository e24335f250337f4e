"""A stored DuckDB round scores on the engine with the cores its fields' append leaves it (the
append runs in the saver's thread meanwhile), for the whole scoring call; set back after, failure
included; the same round stored as with every thread."""

from __future__ import annotations

import datetime as dt
import shutil
import threading

import pandas as pd
import pytest

import xuanba.rounds.run as run
import xuanba.rounds.store as store
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


def _copy(src: str, tmp_path, name: str) -> str:  # noqa: ANN001
    dst = tmp_path / name
    shutil.copy(src, dst)
    return str(dst)


def _held_fields(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> tuple[threading.Event, threading.Event]:
    """The fields' append held until the first event returned is set (then, with ``fail``,
    failing); the second is set once it has ended."""
    go, ended = threading.Event(), threading.Event()
    real = store._insert_fields_then_pause

    def held(*a, **k):  # noqa: ANN002, ANN003, ANN202
        try:
            assert go.wait(30), "the scoring never let the fields go"
            if fail:
                raise OSError("the disk is full")
            return real(*a, **k)
        finally:
            ended.set()

    monkeypatch.setattr(store, "_insert_fields_then_pause", held)
    return go, ended


def test_the_engine_scores_on_a_core_fewer_beside_the_fields_append(workspace, tmp_path, monkeypatch, four_threads):
    go, ended = _held_fields(monkeypatch)
    seen: list[int] = []
    real = engine.score_in_engine

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())  # the fields not stored yet
        go.set()
        assert ended.wait(30)
        seen.append(_threads())  # stored: the whole call keeps the fewer threads (docs/benchmarks_round.md, saver24)
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    run_round(_copy(workspace, tmp_path, "a.duckdb"), starter_standard("en"), CUTOFF)
    assert seen == [3, 3]  # one core left to the append (store.APPEND_THREADS)
    assert _threads() == 4  # set back
    seen.clear()  # (the fields' end is still set: the spy does not wait)
    run_round(workspace, starter_standard("en"), CUTOFF, store=False)  # nothing appended beside it
    assert seen == [4, 4] and _threads() == 4


@pytest.mark.parametrize("where", ["scoring", "fields"])
def test_a_failure_sets_the_threads_back_and_stores_nothing(workspace, tmp_path, monkeypatch, four_threads, where):
    go, ended = _held_fields(monkeypatch, fail=where == "fields")
    seen: list[int] = []
    real = engine.score_in_engine

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())
        go.set()
        if where == "scoring":
            raise ArithmeticError("the scoring broke")
        assert ended.wait(30)
        seen.append(_threads())  # the fields' append failed; the call keeps its threads to its end
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    path = _copy(workspace, tmp_path, f"{where}.duckdb")
    with pytest.raises(ArithmeticError if where == "scoring" else OSError, match="broke|disk is full"):
        run_round(path, starter_standard("en"), CUTOFF)
    assert seen == ([3] if where == "scoring" else [3, 3])
    assert _threads() == 4
    with Workspace(path, create=False) as ws:
        assert list_rounds(ws).empty


def test_the_round_scored_on_fewer_threads_is_the_one_scored_on_all(workspace, tmp_path, monkeypatch, four_threads):
    fewer = _copy(workspace, tmp_path, "fewer.duckdb")
    run_round(fewer, starter_standard("en"), CUTOFF)
    monkeypatch.setattr(run, "_beside_the_fields", lambda saver, how: run.contextlib.nullcontext())
    seen: list[int] = []
    real = engine.score_in_engine

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
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
