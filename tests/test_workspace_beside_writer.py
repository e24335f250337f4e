"""A read-only Workspace opened while another Workspace of this process holds the file open to write
(``Workspace.beside_writer``: DuckDB gives it a connection to the writer's database): it leaves the
writer's settings alone, it refuses writes as a read-only open does, and a writer of the same thread
is told at once rather than after :data:`~xuanba.workspace.READERS_WAIT_S`."""

from __future__ import annotations

import pandas as pd
import pytest

from xuanba import Workspace


def _setting(ws: Workspace, key: str) -> str:
    return str(ws.con.execute(f"SELECT current_setting('{key}')").fetchone()[0])


@pytest.fixture
def ws_path(tmp_path) -> str:
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", pd.DataFrame({"customer_id": ["a", "b"], "ts": pd.to_datetime(["2024-01-01"] * 2),
                                                 "amount": [1.0, 2.0]}))
    return str(path)


def test_a_reader_beside_a_writer_that_spilled_opens_and_leaves_the_writer_settings_as_they_were(ws_path):
    """The reader's own settings (a temporary folder of its own, the default memory limit, its
    threads) would be the shared database's: DuckDB refused a new temporary folder once the writer
    had spilled ("Cannot switch temporary directory"), said as a mistake in $XUANBA_TEMP_DIRECTORY,
    and otherwise the writer's memory limit and threads changed under it."""
    with Workspace(ws_path, memory_limit="16MB", threads=1) as writer:  # spills at 400,000 rows (0.4 s of CPU)
        writer.con.execute("SET preserve_insertion_order = false")
        writer.con.execute("CREATE TEMP TABLE big AS SELECT md5(range::VARCHAR) AS s FROM range(400000)")
        writer.con.execute("CREATE TEMP TABLE sorted AS SELECT * FROM big ORDER BY s").fetchall()
        assert writer.con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()[0] > 0  # spilled
        before = {k: _setting(writer, k) for k in ("memory_limit", "threads", "temp_directory")}
        with Workspace(ws_path, read_only=True, threads=2) as reader:
            assert reader.beside_writer
            assert reader.sql("SELECT sum(amount) AS s FROM transactions")["s"].iloc[0] == 3.0
            assert {k: _setting(writer, k) for k in before} == before
        assert {k: _setting(writer, k) for k in before} == before
        with writer.memory_lowered(8 * 2**20) as lowered:  # the writer's own limit still known to it
            assert lowered
        assert _setting(writer, "memory_limit") == before["memory_limit"]


WRITES = ["CREATE TABLE evil AS SELECT 1 AS x", "DELETE FROM transactions",
          "UPDATE xuanba_meta SET value = '99' WHERE key = 'schema_version'", "DROP TABLE transactions"]


@pytest.mark.parametrize("beside", [False, True], ids=["alone", "beside_writer"])
def test_a_read_only_workspace_refuses_writes_beside_a_writer_as_alone(ws_path, beside):
    """Alone, DuckDB's read-only connection refuses; beside a writer of this process the connection
    is to the writer's database and wrote (the table deleted, the schema version changed)."""
    import duckdb

    writer = Workspace(ws_path) if beside else None
    try:
        with Workspace(ws_path, read_only=True) as ro:
            assert ro.beside_writer is beside
            for stmt in WRITES:
                with pytest.raises(duckdb.Error):
                    ro.sql(stmt)
                with pytest.raises(duckdb.Error), ro.transaction() as con:
                    con.execute(stmt)
            # still reads after the refusals (no transaction left aborted), and its own temporary tables
            ro.sql("CREATE TEMP TABLE mine AS SELECT 2 AS y")
            assert ro.sql("SELECT y FROM mine")["y"].tolist() == [2]
            assert ro.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 2
            with ro.cursor() as cur, pytest.raises(duckdb.Error):  # the web app's pages read through cursors
                cur.sql(WRITES[1])
    finally:
        if writer is not None:
            writer.close()
    with Workspace(ws_path, read_only=True) as ws:
        assert ws.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 2
        assert not ws.has_table("evil")


def test_a_writer_beside_a_reader_of_its_own_thread_is_refused_at_once(ws_path):
    """Waiting for this thread's own reader to close waits for itself: it hung the whole
    READERS_WAIT_S (30 s), then said "another thread" held it. Another thread's reader still is
    waited for (tests/test_round_concurrent.py)."""
    import time

    from xuanba.errors import WorkspaceError

    with Workspace(ws_path, read_only=True) as reader:
        start = time.monotonic()
        with pytest.raises(WorkspaceError) as err:
            Workspace(ws_path)
        assert time.monotonic() - start < 5
        assert reader.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 2  # the reader left as it was
    assert err.value.exit_code == 5 and ws_path in str(err.value)
    assert "this thread holds the workspace open read-only" in str(err.value)
    assert "本线程正以只读方式打开着工作区" in err.value.render("zh")
    with Workspace(ws_path) as ws:  # closed: opens to write at once
        assert not ws.read_only


OTHER = """
import sys
from xuanba import Workspace
from xuanba.errors import WorkspaceError
try:
    Workspace(sys.argv[1]).close()
    print("opened")
except WorkspaceError as exc:
    print(str(exc).splitlines()[0])
"""


@pytest.mark.parametrize("second", ["writer", "reader"])
def test_another_process_stays_refused_when_this_process_opens_the_file_twice(ws_path, second):
    """Opening a workspace read its file's head with Python's open() and closed it: on Linux, closing
    a file drops every lock the process holds on it, DuckDB's included. Once a second thread of the
    process had opened the file (a second round storing into it, an engine round reading the side
    tables beside it), another process's `xuanba round` was no longer refused at once, and of two
    commits one was lost (probed with DuckDB 1.5)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def other() -> str:
        return subprocess.run([sys.executable, "-c", OTHER, ws_path], capture_output=True, text=True, env=env,
                              timeout=120).stdout.strip()

    with Workspace(ws_path) as writer:
        assert "holds the workspace open" in other()
        with Workspace(ws_path, read_only=second == "reader") as again:
            assert again.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 2
            assert "holds the workspace open" in other()
        assert "holds the workspace open" in other()  # the second closed, the first still holds it
        assert writer.has_table("transactions")
    assert other() == "opened"


HOLD = """
import sys
from xuanba import Workspace
ws = Workspace(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
ws.close()
"""


def test_schema_version_of_a_file_this_process_or_another_holds_open_to_write(ws_path):
    """``schema_version(path)`` beside this process's writer read the file with a read-only DuckDB
    connection of its own, which DuckDB refuses in a process that has the file open to write: the
    user got DuckDB's "Can't open a connection to same database file with a different configuration"
    inside "cannot open the workspace to read". It reads through the writer's database now (what
    is committed), from the writer's thread and another. Beside another process's writer it gives
    the workspace's own refusal, en and zh (as it did: kept so)."""
    import os
    import subprocess
    import sys
    import threading

    from xuanba.errors import WorkspaceError
    from xuanba.workspace import SCHEMA_VERSION, schema_version

    with Workspace(ws_path) as writer:
        assert schema_version(ws_path) == SCHEMA_VERSION
        got: list[object] = []
        thread = threading.Thread(target=lambda: got.append(schema_version(ws_path)))
        thread.start()
        thread.join()
        assert got == [SCHEMA_VERSION]
        with writer.transaction() as con:  # the writer still writes, and its own later opens work
            con.execute("DELETE FROM transactions WHERE customer_id = 'a'")
        with Workspace(ws_path) as again:
            assert again.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 1
    with Workspace(ws_path) as ws:  # all closed: the file opens to write at once
        assert not ws.read_only

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    other = subprocess.Popen([sys.executable, "-c", HOLD, ws_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(WorkspaceError) as err:
            schema_version(ws_path)
    finally:
        other.communicate("", timeout=120)
    assert err.value.exit_code == 5 and ws_path in str(err.value)
    assert f"another process (PID {other.pid}) holds the workspace open" in str(err.value)
    assert f"另一个进程（PID {other.pid}）正占用着工作区" in err.value.render("zh")
    assert "Connection Error" not in str(err.value) and "IO Error" not in str(err.value)
    assert schema_version(ws_path) == SCHEMA_VERSION  # the other process gone: read at once


TRY = """
import json, sys
from xuanba import Workspace
from xuanba.errors import WorkspaceError
said = {}
for mode in ("read", "write"):
    try:
        Workspace(sys.argv[1], read_only=mode == "read").close()
        said[mode] = "opened"
    except WorkspaceError as exc:
        said[mode] = {"en": str(exc), "zh": exc.render("zh"), "code": exc.exit_code}
print(json.dumps(said))
"""


def test_a_reader_left_open_beside_a_closed_writer_is_named_in_the_other_process_refusal(ws_path):
    """A read-only Workspace opened beside this process's writer reads through the writer's DuckDB
    database, which DuckDB keeps, with its lock on the file, while any connection to it is open:
    after the writer closed, another process was still refused, even to read, with "wait for that
    process to finish" only, which a notebook that had finished writing never does. The refusal to
    read says what holds a file so (a read-only Workspace opened while it was writing) and to close
    it; the refusal to write says to close every Workspace, read-only ones too; closed, both open."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def other() -> dict:
        out = subprocess.run([sys.executable, "-c", TRY, ws_path], capture_output=True, text=True, env=env,
                             timeout=120)
        return json.loads(out.stdout.strip().splitlines()[-1])

    writer = Workspace(ws_path)
    reader = Workspace(ws_path, read_only=True)
    writer.close()
    try:
        assert reader.beside_writer and reader.sql("SELECT count(*) AS n FROM transactions")["n"].iloc[0] == 2
        said = other()
    finally:
        reader.close()
    pid = f"(PID {os.getpid()})"
    for mode in ("read", "write"):
        assert said[mode]["code"] == 5 and f"another process {pid} holds the workspace open" in said[mode]["en"]
        assert f"另一个进程（PID {os.getpid()}）正占用着工作区" in said[mode]["zh"]
    assert "a read-only Workspace opened while it was writing holds the file as the writer did until it is " \
           "closed" in said["read"]["en"], said["read"]["en"]
    assert "在它写入期间以只读方式打开的 Workspace，在关闭之前会像写入者一样占着文件" in said["read"]["zh"]
    assert "A process holds the file until every Workspace it opened on it is closed (in a notebook, close them " \
           "all, read-only ones too)" in said["write"]["en"], said["write"]["en"]
    assert "只读的也要关" in said["write"]["zh"]
    assert other() == {"read": "opened", "write": "opened"}  # the reader closed: the file is free


def test_a_writer_is_not_refused_when_a_reader_opens_as_the_last_one_closes(ws_path, monkeypatch):
    """A writer waits for this process's readers to close (``READERS_WAIT_S``), then opens: a reader
    that opened in between (threads reading ``schema_version`` in turn, as a notebook's or a web
    app's may) made that open fail, and the writer was refused at once with "has held the workspace
    open read-only for 30 s" (three threads reading in a loop beside a writer: within 3 s). It waits
    again now, up to the 30 s in all. The reader slips in on cue here: at the writer's open after
    its wait, another thread opens a reader and keeps it 0.3 s."""
    import threading
    import time

    from xuanba import workspace

    real, opens = workspace._connected, []

    def connected(path, key, read_only):  # noqa: ANN001, ANN202
        if not read_only:
            opens.append(time.monotonic())
            if len(opens) == 2:  # the writer's open after its first wait: a reader opens first
                ready = threading.Event()

                def slip_in() -> None:
                    with Workspace(ws_path, read_only=True):
                        ready.set()
                        time.sleep(0.3)

                threading.Thread(target=slip_in).start()
                ready.wait(30)
        return real(path, key, read_only)

    monkeypatch.setattr(workspace, "_connected", connected)
    got: list = []
    with Workspace(ws_path, read_only=True):  # the reader the writer first waits for
        writer = threading.Thread(target=lambda: got.append(_opened(ws_path)))
        writer.start()
        time.sleep(0.3)
    writer.join(60)
    assert got == ["opened"] and len(opens) == 3, (got, opens)


def _opened(path: str) -> object:
    try:
        with Workspace(path) as ws:
            assert not ws.read_only
        return "opened"
    except Exception as exc:  # noqa: BLE001 - told by the main thread
        return exc
