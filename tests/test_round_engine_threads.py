"""A stored DuckDB round scores on the engine with the cores its fields' append leaves it (the
append runs in the saver's thread meanwhile), on every core from when the fields are stored; set
back after, failure included; the same round stored as with every thread."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time

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


def _until(want: int) -> int:
    """The engine's threads once they are ``want`` (or after 30 s)."""
    end = time.monotonic() + 30
    while _threads() != want and time.monotonic() < end:
        time.sleep(0.01)
    return _threads()


def test_the_engine_scores_on_a_core_fewer_until_the_fields_are_stored(workspace, tmp_path, monkeypatch,
                                                                       four_threads):
    go, _ = _held_fields(monkeypatch)
    seen: list[int] = []
    real = engine.score_in_engine

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())  # the fields not stored yet
        go.set()
        seen.append(_until(4))  # set back from the saver's thread once they are, while this scores
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    run_round(_copy(workspace, tmp_path, "a.duckdb"), starter_standard("en"), CUTOFF)
    assert seen == [3, 4]  # one core left to the append (store.APPEND_THREADS), then every one
    assert _threads() == 4
    seen.clear()
    go.set()
    run_round(workspace, starter_standard("en"), CUTOFF, store=False)  # nothing appended beside it
    assert seen == [4, 4] and _threads() == 4


def test_fields_stored_after_the_scoring_set_nothing_back_late(workspace, tmp_path, monkeypatch, four_threads):
    go, _ = _held_fields(monkeypatch)
    seen: list[int] = []
    real, real_hashes = engine.score_in_engine, run.column_hashes

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())
        return real(*a, **k)

    def hashes(*a, **k):  # noqa: ANN002, ANN003, ANN202
        seen.append(_threads())  # the scoring done, the fields still held: every thread back already
        go.set()  # the saver's call comes after the block that lent it (a closed cursor): a no-op
        return real_hashes(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    monkeypatch.setattr(run, "column_hashes", hashes)
    path = _copy(workspace, tmp_path, "late.duckdb")
    run_round(path, starter_standard("en"), CUTOFF)
    assert seen[:2] == [3, 4] and _threads() == 4
    with Workspace(path, create=False) as ws:
        assert len(list_rounds(ws)) == 1


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
        seen.append(_threads())  # the fields' append failed: nothing set the threads back
        return real(*a, **k)

    monkeypatch.setattr(engine, "score_in_engine", spy)
    path = _copy(workspace, tmp_path, f"{where}.duckdb")
    with pytest.raises(ArithmeticError if where == "scoring" else OSError, match="broke|disk is full"):
        run_round(path, starter_standard("en"), CUTOFF)
    assert seen == ([3] if where == "scoring" else [3, 3])
    assert _threads() == 4
    with Workspace(path, create=False) as ws:
        assert list_rounds(ws).empty


def test_a_call_after_the_fields_that_fails_stores_nothing(workspace, tmp_path):
    path = _copy(workspace, tmp_path, "after.duckdb")
    fields = pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]})

    def boom() -> None:
        raise LookupError("the call after the fields broke")

    with Workspace(path, create=False) as ws:
        with pytest.raises(LookupError, match="the call after the fields broke"), store.saving_round(ws, fields) as saver:
            saver.after_fields(boom)
            saver.wait()
        assert list_rounds(ws).empty and not ws.has_table("round_fields")
        called: list[str] = []
        with pytest.raises(RuntimeError, match="without saving"), store.saving_round(ws, None) as saver:
            saver.after_fields(lambda: called.append("now"))
            assert called == ["now"]  # no fields: called at once


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
