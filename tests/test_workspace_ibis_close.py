"""A workspace closed while Ibis still keeps tables on its connection (``.cache()``: the engine's
kept tables a round's expressions hold until they are collected) says nothing at exit: Ibis used
to drop each at the interpreter's exit on the closed connection and print "Connection already
closed" for each, in the test suite and in a user's notebook after
``run_round_on_engine(ws.table("transactions"), ...)``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from tests._helpers import store
from xuanba.workspace import Workspace

SRC = str(Path(__file__).resolve().parents[1] / "src")
ROOT = str(Path(__file__).resolve().parents[1])


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter (its exit is what is tested), with this xuanba."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, ROOT])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=300)


def _tiny(tmp_path) -> Path:
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        store(ws, "t", pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    return path


def test_a_table_kept_on_a_workspace_closed_before_exit_says_nothing_at_exit(tmp_path):
    """A kept table alive after ``with Workspace(...)``: released when the workspace closes (the
    temporary table is gone from the file's connection before it closes), nothing on stderr."""
    path = _tiny(tmp_path)
    got = _python(f"""
        from xuanba.workspace import Workspace
        with Workspace({str(path)!r}, read_only=True) as ws:
            kept = ws.table("t").cache()
            assert kept.count().execute() == 3
            backend = ws.ibis
            assert len(backend._cache_name_to_entry) == 1
        assert not backend._cache_name_to_entry  # released the Ibis way, before the close
        print("ok", kept.op().name)
    """)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("ok ibis_cached_")
    assert got.stderr == ""


def test_a_table_kept_on_a_reader_says_nothing_at_exit(tmp_path):
    """The same for the Ibis backend over a cursor (:meth:`Workspace.reader`), closed on leaving."""
    path = _tiny(tmp_path)
    got = _python(f"""
        from xuanba.workspace import Workspace
        with Workspace({str(path)!r}, read_only=True) as ws:
            with ws.reader() as other:
                kept = other.table("t").cache()
                assert kept.count().execute() == 3
            names = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]
        print("ok", names)
    """)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "ok 0"  # the kept table dropped, not left to the exit
    assert got.stderr == ""


def test_an_engine_round_on_a_workspace_table_says_nothing_at_exit(tmp_path):
    """The notebook's case: a round on the engine over the workspace's own transactions, the
    workspace closed, the round still held; the interpreter exits quietly."""
    from tests.test_round_engine import _workspace, simulated_transactions

    path = _workspace(tmp_path, simulated_transactions(80, seed=5))
    got = _python(f"""
        from tests.test_round_engine import BUSY_STANDARD
        from xuanba.rounds.engine import run_round_on_engine
        from xuanba.standard import load_standard
        from xuanba.workspace import Workspace
        with Workspace({str(path)!r}, read_only=True) as ws:
            rnd = run_round_on_engine(ws.table("transactions"), load_standard(BUSY_STANDARD), "2025-12-31",
                                      check_model=False)
        print("ok", rnd.meta["n_customers"])
    """)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("ok ") and int(got.stdout.split()[1]) > 0
    assert "already closed" not in got.stderr and "Exception ignored" not in got.stderr, got.stderr


class _OtherIbis:
    """A backend of an Ibis whose private attributes differ from the ones release_cached uses."""

    def __init__(self, entries, finalize=None):
        self._cache_name_to_entry = entries
        if finalize is not None:
            self._finalize_cached_table = finalize


def _refuse(name):
    raise RuntimeError(f"cannot drop {name}")


def test_an_ibis_without_the_private_attributes_degrades_and_the_workspace_still_closes(tmp_path):
    """Ibis's kept-table bookkeeping is private: a version without ``_finalize_cached_table``, with
    another kind of registry, or whose drop raises something other than a DuckDB error, leaves
    the tables to Ibis; closing the workspace neither raises nor leaves its connection open (it
    raised AttributeError / RuntimeError from close(), the connection left open)."""
    import duckdb
    import pytest

    from xuanba.workspace import release_cached

    path = _tiny(tmp_path)
    for backend in (_OtherIbis({"kept": object()}), _OtherIbis(["kept"], _refuse),
                    _OtherIbis({"kept": object()}, _refuse), object()):
        release_cached(backend)  # nothing raised
        ws = Workspace(path)
        ws._ibis = backend
        ws.close()
        with pytest.raises(duckdb.ConnectionException):
            ws.con.execute("SELECT 1")
    with Workspace(path) as ws, ws.reader() as other:  # a reader's release meets the same
        other._cache_name_to_entry = {"kept": object()}
        other._finalize_cached_table = _refuse
