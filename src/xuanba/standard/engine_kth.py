"""On DuckDB, each percentile criterion's k-th value looked up by position in NumPy, not by a join.

The cheapest criterion reads, for a percentile criterion, the value at a position among its
values in order (:func:`xuanba.standard.engine._roster_columns`). Joined by position to a table of
every value, DuckDB built a hash table of them all before the first row (at 10 M customers three
of 10 M rows) though only the few customers whose change the cheapest criterion weighs look one
up. Here each criterion's values are one array in order, read once per call (:func:`prepare`), and
the roster's query calls the DuckDB Python function :func:`kth` on those customers alone: DuckDB
evaluates a ``CASE``'s branch only on the rows it selects, and not at all in a chunk where none is.

Each call's values are kept under its own number until the thread that read them lets them go
(:func:`release`): two calls on one connection (two threads' rounds, a kept query) each read their
own, never the other's, and a query of a call let go is refused. A call never let go (the roster's
expression made by hand, :func:`~xuanba.standard.engine.roster_expression`) is let go at a later
call on the connection once its thread has made :data:`KEPT_PER_THREAD` more, or has ended.

Example
-------
>>> import pyarrow as pa
>>> con = ibis.duckdb.connect()
>>> call = prepare(con, {0: ibis.memtable(pa.table({"_v0": [3.0, 1.0, 2.0], "_q0": [2, 0, 1]}))}, {})
>>> t = ibis.memtable(pa.table({"p": [0, 2, None]}))
>>> con.to_pyarrow(t.select(v=kth(call, 0, t.p)))["v"].to_pylist()
[1.0, 3.0, None]
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: The DuckDB function's name.
NAME = "xuanba_kth"
_CALLS = itertools.count(1)
_HELD = "_xuanba_kth"  # the backend's attribute holding its calls' values: {call: (thread, values)}
#: How many calls' values a thread keeps on a connection without letting them go (the oldest goes first).
KEPT_PER_THREAD = 4


@ibis.udf.scalar.builtin(name=NAME)
def kth(call: int, j: int, pos: int) -> float:  # type: ignore[empty-body]
    """The value at the 0-based position ``pos`` among percentile criterion ``j``'s values in
    order, as :func:`prepare` read them for the call ``call`` (missing where ``pos`` is)."""


def _lookup(held: dict[str, Any]) -> Any:
    def lookup(call: Any, j: Any, pos: Any) -> Any:
        if len(pos) == 0:
            return pa.array([], pa.float64())
        got = held.get(call[0].as_py())
        if got is None:  # an expression kept and read after its call ended
            raise RuntimeError("a roster's query read the k-th values of a call let go (a bug in xuanba)")
        return pc.take(got[1][j[0].as_py()], pos)
    return lookup


def _held(backend: Any) -> dict[str, Any]:
    """The values ``backend``'s connection looks up, the function registered there first."""
    held = backend.__dict__.get(_HELD)
    if held is None:
        import duckdb
        from duckdb import sqltypes

        held = {}  # the function holds this, not the backend: no cycle through the connection
        with contextlib.suppress(duckdb.Error):  # not there yet
            backend.con.remove_function(NAME)
        backend.con.create_function(NAME, _lookup(held), [sqltypes.BIGINT] * 3, sqltypes.DOUBLE,
                                    type="arrow", null_handling="special", side_effects=False)
        backend.__dict__[_HELD] = held
    return held


def prepare(backend: Any, by_pos: dict[int, Any], groups: dict[int, Any]) -> int:
    """Read each percentile criterion's values in order for :func:`kth` on ``backend``: ``by_pos``
    maps ``j`` to a table of its values ``_v<j>`` and their positions ``_q<j>`` (0..m-1), ``groups``
    (where given, read instead) to its distinct values ``_gv<j>``, how many hold each ``_gc<j>``
    and how many lie below ``_gb<j>``. Returns the call's number, which :func:`kth` is given."""
    from xuanba.standard import engine_cache

    values: dict[int, Any] = {}
    for j, table in by_pos.items():
        if j in groups:  # each distinct value repeated over the positions it holds
            g = engine_cache.run(groups[j].select(f"_gv{j}", f"_gb{j}", f"_gc{j}"), backend)
            order = np.argsort(g[f"_gb{j}"].to_numpy(), kind="stable")
            arr = np.repeat(g[f"_gv{j}"].to_numpy().astype(np.float64)[order], g[f"_gc{j}"].to_numpy()[order])
        else:
            got = engine_cache.run(table.select(f"_v{j}", f"_q{j}"), backend)
            arr = np.empty(got.num_rows, dtype=np.float64)
            arr[got[f"_q{j}"].to_numpy()] = got[f"_v{j}"].to_numpy()
            del got
        values[j] = pa.array(arr)
    held = _held(backend)
    call = next(_CALLS)
    me = threading.get_ident()
    alive = {t.ident for t in threading.enumerate()}
    ended = [c for c, (owner, _) in list(held.items()) if owner not in alive]
    mine = [c for c, (owner, _) in list(held.items()) if owner == me]
    for c in ended + mine[: max(0, len(mine) + 1 - KEPT_PER_THREAD)]:  # never let go: this one's oldest
        held.pop(c, None)
    held[call] = (me, values)
    return call


def release(backend: Any) -> None:
    """Let go of the values :func:`prepare` read on ``backend`` in this thread (another thread's
    calls keep theirs)."""
    held = backend.__dict__.get(_HELD)
    if held is not None:
        me = threading.get_ident()
        for call in [c for c, (owner, _) in list(held.items()) if owner == me]:
            held.pop(call, None)
