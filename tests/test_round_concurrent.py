"""Two rounds at once: from two threads on one DuckDB connection (they take turns, each giving the
roster it gives alone), from two threads into one workspace file (both stored, one after the
other), and from two processes on one workspace (the second refused, en and zh, exit code 5,
nothing of a half round left). On 0c7bf4c the threads ended in DuckDB's "closed pending query
result" and "write-write conflict" tracebacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import ibis
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.errors import WorkspaceError
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import load_round, run_round, run_round_on_engine
from xuanba.rounds.store import PAUSE_ENV
from xuanba.standard import starter_standard

CUTOFF = "2025-12-31"
N = 3000  # a round of about two seconds here: the second call starts while the first runs


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return simulate_transactions("pareto-nbd", N, "2022-01-01", "2025-12-31", seed=3)


@pytest.fixture(scope="module")
def std() -> str:
    return starter_standard()  # percentile criteria: the k-th values (engine_kth) are read


@pytest.fixture(scope="module")
def alone(tx, std, tmp_path_factory) -> dict:
    """The rounds each test's rounds at once must give, run alone once for the module (a round costs
    about 3 s of CPU here whatever its rows): ``engine``, on a DuckDB connection of its own (the
    same round as on a frame, another connection or with a workspace's side tables: the same roster
    and hashes), and ``pandas``, of a workspace holding ``tx``."""
    path = str(tmp_path_factory.mktemp("alone") / "w.duckdb")
    with Workspace(path) as ws:
        ws.replace("transactions", tx)
    engine = run_round_on_engine(ibis.duckdb.connect().create_table("tx", _arrow(tx)), std, CUTOFF,
                                 check_model=False)
    assert {"revenue", "future_value"} <= set(engine.roster.cheapest_criterion)  # percentile ones: k-th values read
    return {"engine": engine, "pandas": run_round(path, std, CUTOFF, check_model=False, store=False)}


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _at_once(calls: list) -> tuple[list, list[tuple[float, float]]]:
    """Each call in a thread of its own, released together (a barrier): what each returned (or
    raised) and when each started and ended."""
    gate = threading.Barrier(len(calls))
    out: list = [None] * len(calls)
    times: list = [None] * len(calls)

    def work(i: int) -> None:
        gate.wait()
        start = time.monotonic()
        try:
            out[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - told by the main thread
            out[i] = exc
        times[i] = (start, time.monotonic())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for got in out:
        if isinstance(got, BaseException):
            raise got
    return out, times


def _overlapped(times: list[tuple[float, float]]) -> None:
    """Every call started before any ended: the second was asked while the first ran."""
    assert max(s for s, _ in times) < min(e for _, e in times), times


def _same_round(got, alone) -> None:  # noqa: ANN001
    pd.testing.assert_frame_equal(got.roster, alone.roster)
    pd.testing.assert_frame_equal(got.contributions, alone.contributions)
    assert got.meta["roster_sha256"] == alone.meta["roster_sha256"]
    assert got.meta["data_sha256"] == alone.meta["data_sha256"]


@pytest.mark.parametrize("source", ["connection", "frame"])
def test_two_threads_rounds_on_one_connection_give_the_rosters_of_rounds_run_alone(tx, std, alone, source,
                                                                                 monkeypatch):
    """``connection``: one Ibis DuckDB backend's table; ``frame``: a pandas frame, run on Ibis'
    default DuckDB, which every in-memory table of the process shares: the two rounds are the first
    on it (no default backend yet), so it is made while both ask for it (at b22a1aa each made one
    and both ran on the one Ibis kept: DuckDB's "closed pending query result")."""
    if source == "connection":
        con = ibis.duckdb.connect()
        table = con.create_table("tx", _arrow(tx))
    else:
        table = tx
        monkeypatch.setattr(ibis.options, "default_backend", None)
    (one, two), times = _at_once([lambda: run_round_on_engine(table, std, CUTOFF, check_model=False)] * 2)
    _overlapped(times)
    _same_round(one, alone["engine"])
    _same_round(two, alone["engine"])


def test_a_round_and_a_scoring_on_one_connection_at_once(tx, std, alone):
    """score_in_engine on a table of the round's connection, meanwhile: each as alone."""
    from xuanba.standard import load_standard
    from xuanba.standard.engine import score_in_engine

    con = ibis.duckdb.connect()
    table = con.create_table("tx", _arrow(tx))
    alone = alone["engine"]
    fields = con.create_table("fields", _arrow(alone.fields[["customer_id", "revenue_365d", "margin_365d"]]))
    scoring = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\n'
                            'field = "revenue_365d"\nweight = 0.5\nnormalise = "percentile"\n[[criteria]]\nname = "m"\n'
                            'field = "margin_365d"\nweight = 0.5\nnormalise = "percentile"\n')
    scored = score_in_engine(fields, scoring).roster
    (rnd, again), times = _at_once([lambda: run_round_on_engine(table, std, CUTOFF, check_model=False),
                                    lambda: [score_in_engine(fields, scoring).roster for _ in range(4)]])
    _overlapped(times)
    _same_round(rnd, alone)
    for roster in again:
        pd.testing.assert_frame_equal(roster, scored)


def test_roster_expression_by_hand_from_two_threads_on_one_connection(std):
    """``roster_expression`` runs small queries on the table's connection (counts, medians, the
    k-th values): called by hand from two threads at once on one connection, on 16dfc23 they
    ended in DuckDB's "closed pending query result". They take turns now (the connection's lock);
    each thread runs its expression inside that lock, as the docstring says, and gets the roster
    and counts one call alone gets."""
    import numpy as np

    from xuanba.standard import engine_lock, load_standard
    from xuanba.standard.engine import roster_expression

    n = 20_000
    rng = np.random.default_rng(5)
    con = ibis.duckdb.connect()
    fields = con.create_table("fields", pa.table({
        "customer_id": [f"c{i}" for i in range(n)],
        "revenue_365d": rng.gamma(1.0, 100.0, n).round(0),
        "margin_365d": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0.0, 50.0, n)),
        "frequency": rng.integers(0, 20, n).astype(float)}))
    standard = load_standard(
        '[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 0.4\n'
        'normalise = "percentile"\n[[criteria]]\nname = "m"\nfield = "margin_365d"\nweight = 0.3\nmissing = "median"\n'
        '[[criteria]]\nname = "f"\nfield = "frequency"\nweight = 0.3\nnormalise = "percentile"\n[[gates]]\n'
        'name = "g"\nexpr = "frequency > 1"\n[[tiers]]\nname = "A"\nquota = "10%"\n[[tiers]]\nname = "B"\n'
        'quota = "20%"\n')

    def built() -> tuple[pa.Table, dict]:
        expr, info = roster_expression(fields, standard)
        with engine_lock.held(con):
            return expr.order_by("rank").to_pyarrow(), info

    alone, info = built()
    assert alone["tier"].value_counts().to_pylist() == [{"values": "A", "counts": 2000},
                                                       {"values": "B", "counts": 4000},
                                                       {"values": "", "counts": 14000}]
    for _ in range(2):
        got, times = _at_once([built, built])
        _overlapped(times)
        for roster, counts in got:
            assert roster.equals(alone)
            assert counts == info


@pytest.fixture
def ws_path(tmp_path, tx) -> str:
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", tx)
    return str(path)


def _round(kind: str, ws_path: str, tx: pd.DataFrame, std: str):  # noqa: ANN202
    """A round of ``kind`` stored into the workspace at ``ws_path``."""
    if kind == "pandas":
        return run_round(ws_path, std, CUTOFF, check_model=False)
    table = ibis.duckdb.connect().create_table("tx", _arrow(tx))  # a connection of its own: the two run at once
    return run_round_on_engine(table, std, CUTOFF, check_model=False, workspace=ws_path, side_tables=ws_path)


@pytest.mark.parametrize("kinds", [("pandas", "pandas"), ("engine", "engine"), ("pandas", "engine")])
def test_two_threads_rounds_into_one_workspace_are_both_stored_whole(ws_path, tx, std, alone, kinds):
    got, times = _at_once([lambda k=k: _round(k, ws_path, tx, std) for k in kinds])
    _overlapped(times)
    assert sorted(r.round_id for r in got) == [1, 2]
    with Workspace(ws_path, read_only=True) as ws:
        for kind, rnd in zip(kinds, got, strict=True):
            stored = load_round(ws, rnd.round_id)
            pd.testing.assert_frame_equal(stored.roster, alone[kind].roster)
            assert stored.meta["roster_sha256"] == alone[kind].meta["roster_sha256"]
        counts = ws.sql("SELECT round_id, count(*) AS n FROM roster GROUP BY 1 ORDER BY 1")
    assert counts["n"].tolist() == [len(r.roster) for r in sorted(got, key=lambda r: r.round_id)]


def _opened_in_another_thread(path: str) -> Workspace:
    """A read-only Workspace opened by another thread (this thread's own is refused at once:
    tests/test_workspace_beside_writer.py)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(Workspace, path, read_only=True).result()


def test_a_writer_waits_for_this_process_reader_and_is_told_when_it_stays(ws_path, monkeypatch):
    """A read-only open (an engine round reading the side tables) keeps DuckDB's database of the
    file read-only in this process: a writer waits for it to close; one that stays is said."""
    import xuanba.workspace as workspace

    monkeypatch.setattr(workspace, "READERS_WAIT_S", 0.5)
    with _opened_in_another_thread(ws_path), pytest.raises(WorkspaceError) as err:
        Workspace(ws_path)
    assert err.value.exit_code == 5
    assert "another thread of this process has held the workspace open read-only for 0.5 s" in str(err.value)
    assert "本进程的另一个线程以只读方式打开工作区已有 0.5 秒" in err.value.render("zh")
    with Workspace(ws_path) as writer, Workspace(ws_path, read_only=True) as reader:  # the other way round
        assert reader.beside_writer and reader.read_only and not writer.beside_writer
        assert reader.has_table("transactions")
    monkeypatch.setattr(workspace, "READERS_WAIT_S", 30.0)
    reader = _opened_in_another_thread(ws_path)
    closer = threading.Timer(0.5, reader.close)
    start = time.monotonic()
    closer.start()
    with Workspace(ws_path) as ws:  # waited for the reader, then opened to write
        waited = time.monotonic() - start
        assert ws.has_table("transactions") and not ws.read_only
    closer.join()
    assert 0.4 < waited < 20, waited


HOLDER = textwrap.dedent("""
    import sys
    from xuanba.rounds import run_round
    run_round(sys.argv[1], sys.argv[2], sys.argv[3], check_model=False)
""")


def test_a_second_process_on_a_workspace_a_round_holds_is_refused_and_no_half_round_is_left(
        ws_path, tmp_path, tx, std, alone):
    from xuanba.cli import app
    from xuanba.rounds.store import save_round

    first = alone["pandas"]
    with Workspace(ws_path) as ws:
        assert save_round(ws, first) == 1  # the round already there
    std_path = tmp_path / "s.toml"
    std_path.write_text(std, encoding="utf-8")
    env = {**os.environ, PAUSE_ENV: "fields", "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, ws_path, str(std_path), CUTOFF],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path, text=True)
    try:
        line = proc.stdout.readline()  # the first round inside its storing transaction, the file held
        assert line.strip() == "PAUSED", proc.stderr.read()
        args = ["round", "-s", str(std_path), "--cutoff", CUTOFF, "-w", ws_path]
        for lang, said in (("en", f"another process (PID {proc.pid}) holds the workspace open"),
                           ("zh", f"另一个进程（PID {proc.pid}）正占用着工作区")):
            res = CliRunner().invoke(app, ["--lang", lang, *args])
            assert res.exit_code == 5, res.output
            assert said in res.output and ws_path in res.output and "Traceback" not in res.output
        assert "Wait for that process to finish" in CliRunner().invoke(app, args).output
        table = ibis.duckdb.connect().create_table("tx", _arrow(tx))  # the engine round: refused as well
        with pytest.raises(WorkspaceError, match="holds the workspace open"):
            run_round_on_engine(table, std, CUTOFF, check_model=False, workspace=ws_path)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    with Workspace(ws_path) as ws:
        for name in ("rounds", "roster", "contributions", "round_fields"):
            assert ws.sql(f"SELECT DISTINCT round_id FROM {name}")["round_id"].tolist() == [1], name
        pd.testing.assert_frame_equal(load_round(ws, 1).roster, first.roster)
    assert run_round(ws_path, std, CUTOFF, check_model=False).round_id == 2  # the workspace still works
