"""Which Ibis backend runs a thing: one answer for the rules a cell is read by (the form of
``trim`` an expression compiles to: :func:`xuanba.ingest.rules.text_value`) and for where a round
runs (:mod:`xuanba.rounds.engine`: the connection it locks and runs on). Asked apart, the two
answers differed: an expression of in-memory tables alone runs on Ibis' default backend, which
may be a Spark session (``ibis.set_backend``), and a rule that took it for DuckDB compiled
DuckDB's ``trim`` for Spark, where it strips the ASCII space alone.

Example
-------
>>> import ibis, pyarrow as pa
>>> con = ibis.duckdb.connect()
>>> runs_on(con.create_table("t", pa.table({"x": [1]}))) is con
True
>>> runs_on(ibis.memtable(pa.table({"x": [1]}))) is default_backend()
True
>>> runs_on(ibis.table({"x": "int64"}, name="t")) is None  # bound to none: compiled by its caller
True
"""

from __future__ import annotations

import threading
from typing import Any

from xuanba.workspace import Workspace

_DEFAULT = threading.Lock()


def default_backend() -> Any:
    """Ibis' default backend (an in-memory DuckDB unless ``ibis.set_backend`` named another), made
    once however many threads ask for it first: Ibis makes it unguarded, so two threads' first
    rounds on frames each made one, took the lock of their own, and both ran on the one Ibis kept.

    Example
    -------
    >>> default_backend() is default_backend()
    True
    """
    import ibis

    with _DEFAULT:
        return ibis.get_backend()


def runs_on(thing: Any) -> Any:
    """The Ibis backend that runs ``thing``: a workspace's own connection; an Ibis expression's
    backend; Ibis' default backend (:func:`default_backend`) for a frame (pandas, Arrow, polars)
    and for an expression of in-memory tables alone; ``None`` for an expression no backend runs as
    it is: over a table bound to none (ingest's rules compiled to DuckDB SQL by their caller), or
    over tables of two backends."""
    if isinstance(thing, Workspace):
        return thing.ibis
    if not hasattr(thing, "op"):
        return default_backend()
    try:
        backends, unbound = thing._find_backends()
    except Exception:  # noqa: BLE001 - not a table or column expression: nothing runs it
        return None
    if len(backends) == 1 and not unbound:
        return backends[0]
    return None if backends or unbound else default_backend()
