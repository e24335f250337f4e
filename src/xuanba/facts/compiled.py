"""The facts queries compiled to SQL once per shape, their dates as DuckDB variables.

On a small base a round's facts cost more to build and compile (Ibis) than to run (DuckDB):
at 2,357 customers 0.45 s of the facts' 0.57 s. What changes from one round to the next is
mostly the cutoff; what changes the SQL is the *shape*: the transactions' schema and how the
table is named, the time unit, the merge, the columns read. So the facts expressions read their
dates (and the holdout's length) through :func:`at`: outside a :func:`compiled` build that is the
literal it always was (Spark, and any caller of the expressions); inside one, a DuckDB variable
(``getvariable``, folded into a constant when the query is bound), and the SQL of the build is
kept under the shape's key, process-wide, for every connection. A later query of that shape
sets the variables on its own connection and runs the kept text, building nothing. The
variables are the connection's own (each cursor has its own): a thread per cursor is safe, and
a second thread on one connection is refused (:func:`alone`), as DuckDB itself would refuse it.

The key must hold everything the SQL depends on: the caller gives its options, and
:func:`shape` the transactions' expression with its tables unbound (name, namespace and schema;
not the connection). A table held in memory by the expression (an Ibis memtable) or a query of
another engine is not a shape: such facts are compiled each time, as before.

Example
-------
>>> import datetime as dt
>>> import pyarrow as pa
>>> con = ibis.duckdb.connect()
>>> t = con.create_table("t", pa.table({"day": [dt.date(2026, 1, d) for d in (1, 2, 3)]}))
>>> def build(table):
...     return table.filter(table.day <= at("cutoff", dt.date(2026, 1, 2))).count().name("n").as_table()
>>> build(t).to_pyarrow()["n"].to_pylist()  # no build open: a literal
[2]
>>> q = compiled(("doc", shape(t)), lambda: build(unbound(t)), {"cutoff": dt.date(2026, 1, 2)}, con)
>>> run(q, {"cutoff": dt.date(2026, 1, 3)}, con)["n"].to_pylist()  # the same SQL, another date
[3]
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

#: The prefix of the DuckDB variables the facts read.
PREFIX = "xuanba_facts_"
#: How many shapes are kept (least recently used dropped first).
CACHE_SIZE = 128
#: Compiles and reuses since the process started (read by the tests and benches).
STATS = {"compiles": 0, "hits": 0}
#: Whether :func:`compiled` keeps what it compiles (the tests turn it off to compare).
ENABLED = True

_CACHE: OrderedDict[Any, Query] = OrderedDict()
_LOCK = threading.Lock()
#: Which DuckDB connections run a kept query now (a re-entrant lock each, never waited for): a
#: connection's variables are its own (each cursor has its own), so two threads running kept
#: queries on *one* connection would read each other's dates, or none (NULL: no rows), silently.
_RUNNING: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()


@ibis.udf.scalar.builtin(name="getvariable")
def _date_variable(var: str) -> dt.date:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``: a variable set as a DATE."""


@ibis.udf.scalar.builtin(name="getvariable")
def _double_variable(var: str) -> float:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``: a variable set as a DOUBLE."""


@dataclass
class _Build:
    """The variables one build has read so far, by name (under ``prefix``)."""

    values: dict[str, Any] = field(default_factory=dict)
    prefix: str = ""


_BUILD: contextvars.ContextVar[_Build | None] = contextvars.ContextVar("xuanba_facts_build", default=None)


def at(name: str, value: dt.date | float) -> ir.Scalar:
    """``value`` (a date or a double) in a facts expression: a literal, or inside a
    :func:`compiled` build the variable ``name`` (one name, one value per build: a second value
    under a name is an error, never a silent merge).

    Example
    -------
    >>> at("cutoff", dt.date(2026, 1, 31)).type()
    Date(nullable=True)
    """
    build = _BUILD.get()
    if build is None:
        return ibis.literal(value)
    name = build.prefix + name
    old = build.values.setdefault(name, value)
    if old != value or type(old) is not type(value):
        raise ValueError(f"the facts variable {name!r} is bound to {old!r} and {value!r}")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _date_variable(PREFIX + name)
    if isinstance(value, float):
        return _double_variable(PREFIX + name)
    raise TypeError(f"a facts variable is a date or a float, not {type(value).__name__}")


@contextlib.contextmanager
def scope(prefix: str) -> Iterator[None]:
    """Inside, :func:`at` names its variables ``prefix + name`` (a part of an expression that
    reads the same role at another date, e.g. the holdout's own purchase days)."""
    build = _BUILD.get()
    if build is None:
        yield
        return
    old = build.prefix
    build.prefix = old + prefix
    try:
        yield
    finally:
        build.prefix = old


def unbound(table: ir.Table) -> ir.Table:
    """``table`` with each database table it reads replaced by an unbound one of the same name,
    namespace and schema: the same SQL, no connection held."""
    def swap(node: Any, kwargs: dict[str, Any] | None) -> Any:  # kwargs: the children replaced, if any
        if isinstance(node, ops.DatabaseTable):
            return ops.UnboundTable(name=node.name, schema=node.schema, namespace=node.namespace)
        return node.__recreate__(kwargs) if kwargs else node

    return table.op().replace(swap).to_expr()


def shape(table: ir.Table) -> Any | None:
    """The part of a key that :func:`compiled` needs from the transactions' expression: its
    operation with the tables unbound (:func:`unbound`); ``None`` when it reads anything but
    database tables (an in-memory table, a raw SQL query), whose SQL cannot be reused."""
    op = table.op()
    if op.find((ops.SQLQueryResult, ops.SQLStringView)):
        return None
    if any(type(node) not in (ops.DatabaseTable, ops.UnboundTable) for node in op.find(ops.PhysicalTable)):
        return None
    return unbound(table).op()


@dataclass(frozen=True)
class Query:
    """A compiled facts query: its SQL, the schema Ibis gives its result, the variables it reads."""

    sql: str
    schema: Any
    variables: tuple[str, ...]


def compiled(key: Any, build: Callable[[], ir.Table], values: dict[str, Any], backend: Any) -> Query:
    """The query ``build()`` makes, for the DuckDB ``backend``: compiled the first time ``key``
    is seen, then kept. ``values`` are the variables this call's query reads (the build must read
    exactly those, with those values: checked each time it is compiled, not on a reuse). ``key``
    must hold everything the SQL depends on besides these values (see the module docstring)."""
    full = (key, type(backend.compiler), backend.dialect, ibis.options.sql.fuse_selects)
    with _LOCK:
        got = _CACHE.get(full) if ENABLED else None
        if got is not None:
            _CACHE.move_to_end(full)
            STATS["hits"] += 1
            return got
    done = _Build()
    token = _BUILD.set(done)
    try:
        expr = build()
    finally:
        _BUILD.reset(token)
    if done.values != values:
        raise AssertionError(f"the facts query reads {done.values}, not the values given {values}")
    sql = backend.compiler.to_sqlglot(expr).sql(dialect=backend.dialect)
    query = Query(sql, expr.schema(), tuple(sorted(done.values)))
    with _LOCK:
        STATS["compiles"] += 1
        if ENABLED:
            _CACHE[full] = query
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return query


def clear() -> None:
    """Forget every compiled query (tests)."""
    with _LOCK:
        _CACHE.clear()


@contextlib.contextmanager
def alone(con: Any) -> Iterator[None]:
    """Inside, this thread alone uses the DuckDB connection ``con`` for the facts: another thread
    that tries meanwhile gets an error at once (DuckDB serves a connection to one thread at a
    time; before the dates were variables, such a race failed inside DuckDB, loudly).

    Example
    -------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> with alone(con), alone(con):  # the same thread may nest
    ...     con.execute("SELECT 1").fetchone()
    (1,)
    """
    with _LOCK:
        lock = _RUNNING.setdefault(con, threading.RLock())
    if not lock.acquire(blocking=False):
        raise RuntimeError("another thread is computing facts on this DuckDB connection: give each "
                           "thread its own (a cursor: Workspace.cursor or Workspace.reader)")
    try:
        yield
    finally:
        lock.release()


def run(query: Query, values: dict[str, Any], backend: Any, batch_rows: int = 1 << 20) -> pa.Table:
    """Run ``query`` on the DuckDB ``backend`` with its variables set to ``values``: its Arrow
    table, typed as Ibis types it, read in record batches of about ``batch_rows`` rows as DuckDB
    makes them (its whole result collected first, then converted, was held twice at once)."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    con = backend.con
    with alone(con):
        try:
            for name in query.variables:
                value = values[name]
                kind = "DOUBLE" if isinstance(value, float) else "DATE"
                con.execute(f"SET VARIABLE {PREFIX}{name} = CAST(? AS {kind})", [value])
            table = con.sql(query.sql).to_arrow_reader(batch_rows).read_all()
        finally:  # the connection left as it was found (it may be the caller's own)
            for name in query.variables:
                con.execute(f"RESET VARIABLE {PREFIX}{name}")
    return DuckDBPyArrowData.convert_table(table, query.schema)
