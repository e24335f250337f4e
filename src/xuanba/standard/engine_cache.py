"""Repeated calls of the standard on DuckDB: compiled once per structure, its numbers as variables.

What Ibis spends a call on is compiling the expressions to SQL; what changes between the calls a
tune or a what-if makes is mostly numbers (the weights, the tier bars, the figures of the base).
Inside a :func:`parameters` block with ``variables=True`` those numbers enter the expressions as
DuckDB variables (``getvariable``, declared to Ibis as a builtin function) rather than literals,
so that the same structure builds the same expression, and :func:`run` compiles an expression
only the first time it sees it (the cache is keyed by the Ibis expression itself: another rule,
gate, tier count or column type is another expression, compiled afresh). The variables a query
reads are set on its connection just before it runs. Outside such a block (Spark, or an
expression returned to run later) the numbers are literals, as before.

What is compiled (and the roster's expression :func:`built`) is also kept for the whole process
under the expression's *shape*, its tables unbound (name, namespace, schema; not the connection:
:func:`xuanba.facts.compiled.shape`): a second connection whose tables have the same names and
schemas (a cursor, another workspace, a test's own DuckDB) reuses them rather than building and
compiling again. An expression that holds a table in memory (an Ibis memtable) is kept per
connection only.

Example
-------
>>> import pyarrow as pa
>>> con = ibis.duckdb.connect()
>>> t = con.create_table("t", pa.table({"x": [1.0, 2.0]}))
>>> with parameters(variables=True):
...     run((t.x * num("k", 3.0)).sum().name("s").as_table()).column(0).to_pylist()
[9.0]
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ibis

#: How many queries each backend keeps compiled (least recently used dropped first).
CACHE_SIZE = 256
#: Compiles done by :func:`run` and :func:`keep` since the process started, and reuses (read by
#: the tests): ``shared_hits`` and ``built_shared_hits`` those found under another connection.
STATS = {"compiles": 0, "hits": 0, "built_hits": 0, "shared_hits": 0, "built_shared_hits": 0}
#: One scoring at a time sets variables on a connection and reads them.
LOCK = threading.RLock()

_PREFIX = "xuanba_"
#: What every connection shares, by shape (see the module docstring): compiled queries and built
#: expressions (over unbound tables), least recently used dropped first; guarded by :data:`LOCK`.
_SHARED: OrderedDict[Any, Any] = OrderedDict()
_SHARED_BUILT: OrderedDict[Any, Any] = OrderedDict()


def _shape_key(value: Any) -> Any:
    """``value`` (an Ibis table operation, or a tuple holding some) with each table operation as
    its shape (:func:`xuanba.facts.compiled.shape`); ``None`` when one has none (a memtable)."""
    from xuanba.facts.compiled import shape

    if isinstance(value, tuple):
        parts = tuple(_shape_key(v) for v in value)
        return None if any(p is None for p, v in zip(parts, value, strict=True) if v is not None) else parts
    if isinstance(value, ibis.expr.operations.Relation):
        return shape(value.to_expr())
    return value


def _rebound(expr: Any, backend: Any) -> Any:
    """``expr`` (over unbound tables) with each table read on ``backend``."""
    ops = ibis.expr.operations

    def swap(node: Any, kwargs: dict[str, Any] | None) -> Any:  # kwargs: the children replaced, if any
        if isinstance(node, ops.UnboundTable):
            return ops.DatabaseTable(name=node.name, schema=node.schema, source=backend, namespace=node.namespace)
        return node.__recreate__(kwargs) if kwargs else node

    return expr.op().replace(swap).to_expr()


@ibis.udf.scalar.builtin(name="getvariable")
def _float_var(var: str) -> float:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``: a variable set as a double."""


@ibis.udf.scalar.builtin(name="getvariable")
def _int_var(var: str) -> int:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``: a variable set as a bigint."""


_VAR_OPS = (type(_float_var("x").op()), type(_int_var("x").op()))


@dataclass
class Params:
    """The numbers of one call: as variables (``variables``) or as literals."""

    variables: bool
    values: dict[str, float | int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    backend: Any = None
    tables: bool = False  # kept results as temporary tables (:func:`keep`), not as Arrow
    no_nan: frozenset[str] = frozenset()  # columns of the scored table known to hold no NaN (:func:`known`)
    finite: frozenset[str] = frozenset()  # and those known to hold neither NaN nor ±inf
    _read: list[set[str]] = field(default_factory=list)  # the names each open :func:`built` reads

    def bind(self, name: str, value: Any, kind: str) -> Any:
        value = int(value) if kind == "int" else float(value)
        if not self.variables:
            return ibis.literal(value, type="int64" if kind == "int" else "float64")
        for names in self._read:
            names.add(name)
        old = self.values.setdefault(name, value)
        if old != value and not (old != old and value != value):  # NaN: the same
            raise ValueError(f"parameter {name!r} bound twice ({old!r}, {value!r})")
        return (_int_var if kind == "int" else _float_var)(_PREFIX + name)


_ACTIVE: contextvars.ContextVar[Params | None] = contextvars.ContextVar(
    "xuanba_params", default=None
)


@contextlib.contextmanager
def parameters(*, variables: bool) -> Iterator[Params]:
    """A block whose :func:`num` / :func:`integer` are variables (``variables``) or literals."""
    p = Params(variables)
    token = _ACTIVE.set(p)
    try:
        yield p
    finally:
        _ACTIVE.reset(token)


def num(name: str, value: Any) -> Any:
    """The double ``value`` in an expression: the variable ``name`` inside a ``variables`` block
    (one name, one value per call), otherwise a literal."""
    p = _ACTIVE.get()
    return (
        p.bind(name, value, "float")
        if p is not None
        else ibis.literal(float(value), type="float64")
    )


def integer(name: str, value: Any) -> Any:
    """As :func:`num`, a 64-bit integer."""
    p = _ACTIVE.get()
    return p.bind(name, value, "int") if p is not None else ibis.literal(int(value), type="int64")


def active() -> Params | None:
    """The innermost :func:`parameters` block's numbers, if any."""
    return _ACTIVE.get()


def known(name: str, *, finite: bool = False) -> bool:
    """Whether the column ``name`` of the table this call scores is known to hold no NaN
    (``finite``: nor ±inf; a missing value may be there), as the caller checked it
    (:attr:`Params.no_nan`, :attr:`Params.finite`): what reads it then needs no test of each value
    for them (a ``CASE`` per value, in query after query: about a tenth of a scoring's CPU at a
    million customers)."""
    p = _ACTIVE.get()
    return p is not None and name in (p.finite if finite else p.no_nan)


class UnboundNumber(RuntimeError):
    """A reused expression (:func:`built`) would read numbers its call did not bind: a bug in
    xuanba, never a user's mistake (said rather than a stale number read)."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        said = ", ".join(repr(n) for n in self.names)
        super().__init__(f"a reused expression reads the number{'s' if len(self.names) > 1 else ''} {said}, which "
                         "this call did not bind (a bug in xuanba: bind it before engine_cache.built)")


def built(key: Any, build: Any) -> Any:
    """``build()`` (an Ibis expression whose numbers are :func:`num` / :func:`integer`), made once
    per ``key`` inside a ``variables`` block and then reused with this call's numbers. ``key`` must
    therefore hold everything the expression's shape depends on, and every number the expression
    reads must be bound by this call before it is reused (the weights, the tier bars, the figures
    of the base): a reused expression that would read one this call did not bind raises
    :class:`UnboundNumber` naming it, rather than read the value of the call that made it.
    Outside such a block, ``build()``.

    Example
    -------
    >>> import pyarrow as pa
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("t", pa.table({"x": [1.0]}))
    >>> def call(*bound):
    ...     with parameters(variables=True) as p:
    ...         p.backend = con
    ...         for name in bound:
    ...             num(name, 2.0)
    ...         return run(built("k", lambda: (t.x * num("a", 2.0) + num("b", 1.0)).name("y").as_table()))
    >>> call().column(0).to_pylist(), call("a", "b").column(0).to_pylist()
    ([3.0], [4.0])
    >>> call("a")
    Traceback (most recent call last):
    ...
    xuanba.standard.engine_cache.UnboundNumber: a reused expression reads the number 'b', which this call did not bind (a bug in xuanba: bind it before engine_cache.built)
    """
    p = _ACTIVE.get()
    if p is None or not p.variables or p.backend is None:
        return build()
    backend = p.backend
    cache = backend.__dict__.setdefault("_xuanba_built", OrderedDict())
    got = cache.get(key)
    shared = None
    if got is None:  # made on another connection of the same shape: its tables bound to this one
        shared = _shape_key(key)
        if shared is not None:
            shared = (shared, backend.name)
            with LOCK:
                found = _SHARED_BUILT.get(shared)
                if found is not None:
                    _SHARED_BUILT.move_to_end(shared)
                    STATS["built_shared_hits"] += 1
            if found is not None:
                got = cache[key] = (_rebound(found[0], backend), found[1])
    if got is not None:
        cache.move_to_end(key)
        STATS["built_hits"] += 1
        expr, numbers = got
        unbound_names = sorted(name for name in numbers if name not in p.values)
        if unbound_names:
            raise UnboundNumber(unbound_names)
        return expr
    p._read.append(set())
    try:
        expr = build()
    finally:
        names = p._read.pop()
    for outer in p._read:
        outer |= names
    cache[key] = (expr, {name: p.values[name] for name in names})
    _bounded(cache, CACHE_SIZE // 4)
    if shared is not None:
        from xuanba.facts.compiled import unbound

        loose = unbound(expr)
        with LOCK:
            _SHARED_BUILT[shared] = (loose, cache[key][1])
            _bounded(_SHARED_BUILT, CACHE_SIZE // 4)
    return expr


@dataclass(frozen=True)
class _Query:
    sql: str
    variables: tuple[str, ...]
    memtables: bool


def _compiled(backend: Any, expr: Any) -> _Query:
    """The SQL of the table expression ``expr`` on ``backend``, compiled on first sight and then
    kept (one thread at a time: :func:`run` is also used outside a scoring's lock)."""
    with LOCK:
        return _compiled_locked(backend, expr)


def _compiled_locked(backend: Any, expr: Any) -> _Query:
    cache = backend.__dict__.setdefault("_xuanba_compiled", OrderedDict())  # dies with the backend
    key = (expr.op(), ibis.options.sql.fuse_selects)
    got = cache.get(key)
    if got is not None:
        cache.move_to_end(key)
        STATS["hits"] += 1
        return got
    shared = _shape_key(expr.op())
    if shared is not None:  # compiled for another connection of the same shape: the same SQL
        shared = (shared, type(backend.compiler), backend.dialect, ibis.options.sql.fuse_selects)
        got = _SHARED.get(shared)
        if got is not None:
            _SHARED.move_to_end(shared)
            STATS["shared_hits"] += 1
            cache[key] = got
            _bounded(cache, CACHE_SIZE)
            return got
    STATS["compiles"] += 1
    query = backend.compiler.to_sqlglot(expr)
    op = expr.op()
    names = tuple(sorted({v.args[0].value for v in op.find(_VAR_OPS)}))
    got = _Query(
        query.sql(dialect=backend.dialect), names, bool(op.find(ibis.expr.operations.InMemoryTable))
    )
    cache[key] = got
    _bounded(cache, CACHE_SIZE)
    if shared is not None:
        _SHARED[shared] = got
        _bounded(_SHARED, CACHE_SIZE)
    return got


def _bounded(cache: OrderedDict[Any, Any], size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


def clear() -> None:
    """Forget what every connection shares (tests); what each connection keeps stays with it."""
    with LOCK:
        _SHARED.clear()
        _SHARED_BUILT.clear()


def _set_variables(backend: Any, names: tuple[str, ...]) -> None:
    """Set the variables ``names`` reads on ``backend``'s connection to this call's values (only
    those that changed since they were last set there)."""
    p = _ACTIVE.get()
    if not names:
        return
    if p is None or not p.variables:
        raise RuntimeError("a query reading variables runs outside its parameters block")
    last = backend.__dict__.setdefault("_xuanba_variables", {})
    for name in names:
        value = p.values[name[len(_PREFIX) :]]
        if name not in last or last[name] != value or type(last[name]) is not type(value):
            kind = "BIGINT" if isinstance(value, int) else "DOUBLE"
            backend.con.execute(f"SET VARIABLE {name} = CAST(? AS {kind})", [value])
            last[name] = value


def _relation(expr: Any, backend: Any) -> Any:
    """The DuckDB relation of ``expr`` on ``backend``, its variables set (not yet run)."""
    q = _compiled(backend, expr)
    if q.memtables:
        backend._run_pre_execute_hooks(expr)
    _set_variables(backend, q.variables)
    return backend.con.sql(q.sql)


def run(expr: Any, backend: Any = None) -> Any:
    """Run the DuckDB table expression ``expr`` (on ``backend``, found from ``expr`` if not given):
    its Arrow table, typed as Ibis types it."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    backend = backend if backend is not None else expr._find_backend(use_default=True)
    out = _relation(expr, backend).to_arrow_table()
    return expr.__pyarrow_result__(out, data_mapper=DuckDBPyArrowData)


#: The rows of each record batch :func:`stream` hands over. 2**17, not 2**20: at a million
#: customers the roster came as one batch, and :func:`~xuanba.standard.engine_rank.by_rank`
#: placed it only after DuckDB had made all of it (0.3-0.4 s of the main thread's wait); in
#: eighths each batch is placed on the placer's thread while the engine makes the next (by_rank
#: 1.30-1.52 -> 0.94-1.19 s on one DuckDB thread, score33).
BATCH_ROWS = 1 << 17


def stream(expr: Any, backend: Any = None, batch_rows: int | None = None) -> Any:
    """Run the DuckDB table expression ``expr`` as :func:`run` does, its result a
    ``pyarrow.RecordBatchReader`` of about ``batch_rows`` rows a batch (:data:`BATCH_ROWS`)
    instead of one table: DuckDB hands the rows over as it makes them, and the reader holds one
    batch at a time (a whole result collected at 10 M customers was GiBs beside the frames made
    from it). Read it whole before the next query on the connection.

    Example
    -------
    >>> import pyarrow as pa
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("t", pa.table({"x": [1, 2, 3]}))
    >>> [b.num_rows for b in stream(t, batch_rows=2)]
    [2, 1]
    """
    backend = backend if backend is not None else expr._find_backend(use_default=True)
    reader = _relation(expr, backend).to_arrow_reader(batch_rows or BATCH_ROWS)
    return reader


def keep(expr: Any, name: str, *, table: bool = False, numbered: str | None = None) -> Any:
    """``expr`` computed once and kept under the name ``name`` (replaced if there), as an Ibis
    table; the caller drops it (:func:`drop`). Kept as the Arrow result, registered with the
    connection (read in place), not written into a temporary table: writing one compresses every
    column, at a million rows of a dozen columns about 0.4 s of CPU, a quarter of the query. The
    result is read through a reader (DuckDB's own full copy of it never made).

    With ``table``, kept as a temporary table of the connection instead: DuckDB holds it in its
    buffer pool, within its memory limit, and spills it to disk beyond (the round's kept results
    at 10 M customers, 1–2 GiB as Arrow in the process's own memory).

    ``numbered`` (not with ``table``): a column added after the result's own, each row's place in
    it (1, 2, …): for an ``expr`` sorted (``order_by``), its rows' numbers in that order, as a
    ``row_number()`` window over the same keys gives them but without the window (see
    :func:`~xuanba.standard.engine._ranked`).

    Example
    -------
    >>> import pyarrow as pa
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("t", pa.table({"x": [2.0, 3.0, 1.0]}))
    >>> keep(t.order_by(t.x.desc()), "k", numbered="n").to_pyarrow().to_pydict()
    {'x': [3.0, 2.0, 1.0], 'n': [1, 2, 3]}
    """
    if numbered is not None and table:
        raise ValueError("a kept table is not numbered (numbered is for a result kept as Arrow)")
    p = _ACTIVE.get()
    backend = (
        p.backend
        if p is not None and p.backend is not None
        else expr._find_backend(use_default=True)
    )
    kinds = backend.__dict__.setdefault("_xuanba_kept_kinds", {})
    _forget(backend, name)
    if table:
        # the workspace module writes every table, a temporary one too
        from xuanba.workspace import temporary_table

        q = _compiled(backend, expr)
        if q.memtables:
            backend._run_pre_execute_hooks(expr)
        _set_variables(backend, q.variables)
        temporary_table(backend.con, name, q.sql)
        kinds[name] = "table"
    else:
        got = _relation(expr, backend).to_arrow_reader(BATCH_ROWS).read_all()
        if numbered is not None:  # the result's own order, which a sorted query's reader keeps
            import numpy as np
            import pyarrow as pa

            got = got.append_column(numbered, pa.array(np.arange(1, got.num_rows + 1, dtype=np.int64)))
        backend.con.register(name, got)
        kinds[name] = "arrow"
    return backend.table(name)


def _forget(backend: Any, name: str) -> None:
    kind = backend.__dict__.get("_xuanba_kept_kinds", {}).pop(name, None)
    if kind == "table":
        backend.con.execute(f'DROP TABLE IF EXISTS "{name}"')
    elif kind == "arrow":
        backend.con.unregister(name)


def drop(backend: Any, names: list[str]) -> None:
    """Drop what :func:`keep` kept under the names ``names``."""
    for name in names:
        if name in backend.__dict__.get("_xuanba_kept_kinds", {}):
            _forget(backend, name)
        else:
            backend.con.unregister(name)
