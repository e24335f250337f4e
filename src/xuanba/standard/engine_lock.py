"""One engine call at a time on a connection: the rounds and scorings of several threads on one
DuckDB connection (or one Spark session) take turns.

A DuckDB connection runs one query at a time: a second thread's query on it closes the first's
pending result ("Attempting to execute an unsuccessful or closed pending query result"), and a
round keeps tables (Ibis ``.cache()``), registers in-memory tables and drops, when it ends, the
ones it made. DuckDB's way to use one database from several threads at once is a cursor per
thread (``con.cursor()``), but a cursor does not see the temporary views and tables of the
connection it came from (what Ibis' ``read_csv`` and ``memtable`` make), so a round cannot move
to one behind the caller's back. Instead each call that runs on a caller's connection holds that
connection's lock (:func:`held`) from its first query to its last: a second call waits, then
runs, and both return what each returns alone. Calls on different connections (two cursors, two
files, a cursor per thread) still run at once.

Example
-------
>>> import ibis
>>> con = ibis.duckdb.connect()
>>> with held(con):
...     with held(con):  # the same thread may enter again
...         con.raw_sql("SELECT 1").fetchall()
[(1,)]
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

_LOCKS: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _connection(backend: Any) -> Any:
    """What two Ibis backends share when they share a connection: DuckDB's Python connection
    (``ibis.duckdb.from_connection`` twice over one), a Spark session; else the backend itself."""
    for name in ("con", "_session"):
        raw = getattr(backend, name, None)
        if raw is not None:
            with contextlib.suppress(TypeError):  # not weakly referable: the backend instead
                weakref.ref(raw)
                return raw
    return backend


def lock_of(backend: Any) -> threading.RLock:
    """The lock of ``backend``'s connection (made on first use, gone with the connection)."""
    key = _connection(backend)
    with _GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.RLock()
        return lock


@contextlib.contextmanager
def held(backend: Any) -> Iterator[None]:
    """The block run while no other thread runs an engine call on ``backend``'s connection
    (waiting for one that does to end); ``None``: no connection, nothing to wait for."""
    if backend is None:
        yield
        return
    with lock_of(backend):
        yield
