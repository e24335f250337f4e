"""Run the fact expressions on an engine and hand back tables.

``source`` can be a :class:`~xuanba.Workspace` (its ``transactions`` table), an Ibis table on any
backend (DuckDB, Spark, ...), or an in-memory table (pandas, polars, Arrow) with at least
``customer_id``, ``ts`` and ``amount``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from xuanba._dates import check_unit
from xuanba._frames import mixed_as_text, same_kind
from xuanba.errors import DataError, InputError, Listed, Phrase, SchemaError
from xuanba.facts import compiled
from xuanba.facts.expressions import (
    FACT_COLUMNS,
    HISTORY_HOLDOUT_COLUMNS,
    HOLDOUT_COLUMNS,
    HOLDOUT_FROM_COLUMNS,
    RFM_COLUMNS,
    RFM_INPUTS,
    Merge,
    TimeUnit,
    _as_date,
    customer_facts_expr,
    facts_values,
    history_holdout_expr,
    history_holdout_values,
    holdout_expr,
    holdout_values,
    with_rfm,
)
from xuanba.workspace import Workspace, duckdb_settings

REQUIRED = ("customer_id", "ts", "amount")


def transactions_table(source: Any, *, cast_ts: bool = True) -> ir.Table:
    """The canonical transactions of ``source`` as an Ibis table (see module docstring);
    ``cast_ts=False``: a ``ts`` that is not a date or time left as it is (read by the caller)."""
    if isinstance(source, Workspace):
        return source.table("transactions")
    table = as_ibis_table(source)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise SchemaError(Phrase("err_tx_lacks", missing=str(missing)),
                          fix=Phrase("err_tx_lacks_fix", found=str(list(table.columns))))
    if cast_ts and not table.ts.type().is_timestamp():  # a date too: the facts read a timestamp's day
        table = table.mutate(ts=table.ts.cast("timestamp"))
    return table


def as_ibis_table(source: Any) -> ir.Table:
    """``source`` (a workspace's ``transactions``, an Ibis table, or a pandas, polars or Arrow
    table) as an Ibis table, its columns as they are."""
    if isinstance(source, Workspace):
        return source.table("transactions")
    if isinstance(source, ir.Table):
        table = _memtable_read_as_text(source)
    else:
        if type(source).__module__.startswith("pyspark.sql"):  # a Spark DataFrame: its Ibis table, on its session
            raise InputError(Phrase("err_spark_frame"), fix=Phrase("err_spark_frame_fix"))
        if hasattr(source, "to_arrow") and not isinstance(source, pd.DataFrame):
            source = source.to_arrow()  # polars
        if not isinstance(source, pd.DataFrame) and not hasattr(source, "schema"):
            raise InputError(Phrase("err_facts_source_kind", kind=type(source).__name__),
                             fix=Phrase("err_facts_source_kind_fix"))
        if isinstance(source, pd.DataFrame):  # through Arrow: exact types, no pandas inference
            source = _frame_to_arrow(source)
        table = ibis.memtable(source)
    return table


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The pandas ``frame`` as an Arrow table, each column Arrow takes as no one type (numbers
    beside words: 3, 4.5 and ``VIP``; ids 17 and ``W-17``; a flag ``True`` beside ``yes``) read
    as text, each cell written as ingest writes a frame's (:func:`xuanba._frames.mixed_as_text`),
    and then read as ingest reads such text; Arrow refused it with a traceback. Looked into only
    when Arrow refuses the frame."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return pa.Table.from_pandas(mixed_as_text(frame), preserve_index=False)


def _memtable_read_as_text(table: ir.Table) -> ir.Table:
    """An in-memory Ibis table made from a pandas frame (``ibis.memtable(frame)``) that Ibis typed
    ``unknown`` for a column of numbers beside words, made again from the frame with such columns
    as text (:func:`_frame_to_arrow`): Ibis could neither compare nor read it. Any other table as
    it is."""
    op = table.op()
    if not isinstance(op, ops.InMemoryTable) or not any(t.is_unknown() for t in table.schema().values()):
        return table
    frame = getattr(op.data, "to_frame", lambda: None)()
    return ibis.memtable(_frame_to_arrow(frame)) if isinstance(frame, pd.DataFrame) else table


def _backend(expr: ir.Table, source: Any) -> Any:
    """The Ibis backend that runs ``expr``: the workspace's, the table's own, or a private DuckDB
    for an in-memory table."""
    if isinstance(source, Workspace):
        return source.ibis
    try:
        backend = expr._find_backend(use_default=False)
    except Exception:  # an in-memory table: run it on a private DuckDB
        backend = None
    return ibis.duckdb.connect(**duckdb_settings()) if backend is None else backend


#: The rows of each record batch the facts are read in from DuckDB.
BATCH_ROWS = 1 << 20


def _arrow(expr: ir.Table, source: Any, backend: Any = None) -> pa.Table:
    """The result of ``expr`` as Arrow, typed as Ibis types it. DuckDB's is read as record batches
    (about :data:`BATCH_ROWS` rows each) as it makes them: its whole result collected first, then
    converted (``to_pyarrow``), was held twice at once (the facts step at 10 M customers peaked at
    6.9–7.3 GiB; read in batches, 5.4–6.4)."""
    backend = backend or _backend(expr, source)
    if backend.name == "pyspark":  # let Spark hand over Arrow itself (pyspark >= 4)
        session = backend._session
        if hasattr(session.sql("SELECT 1"), "toArrow"):
            backend._run_pre_execute_hooks(expr)  # registers the in-memory tables the query joins
            return session.sql(backend.compile(expr)).toArrow()
    if backend.name != "duckdb":
        return backend.to_pyarrow(expr)
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    table = backend._to_duckdb_relation(expr).to_arrow_reader(BATCH_ROWS).read_all()
    return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)


def _execute(expr: ir.Table, source: Any) -> pd.DataFrame:
    # Through Arrow rather than ibis's own pandas conversion, which trips a pandas 3.1
    # deprecation warning (ibis 12) and is slower.
    return _to_pandas(_arrow(expr, source))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table`` as pandas, its blocks allocated by the C library's ``malloc`` (as numpy's own
    arrays are), not by Arrow's pool.

    Arrow's pool (mimalloc or jemalloc) keeps the pages of the buffers freed in it for its own
    later use, and the steps after the facts allocate with numpy, which cannot use them: the
    facts frame's pages, freed once the round has rounded them into its own table, stayed
    resident for the whole round (0.55 GiB at 3 M customers; docs/scale.md). ``malloc`` gives
    large blocks back to the system when they are freed, and reuses smaller ones for numpy.

    Text columns are copied out of the engine's result into one buffer each. pandas keeps an
    Arrow text column as it is (no copy), and an engine's record batch is freed only once all its
    columns are: DuckDB's result stayed alive whole, every column and its spare capacity, for as
    long as the round held its customer ids (2.3 GiB of ``malloc``'s blocks per million customers,
    of which 0.2 GiB resident; docs/benchmarks_round.md, duck10m2).

    Example
    -------
    >>> _to_pandas(pa.table({"x": [1.5]}))["x"].tolist()
    [1.5]
    >>> t = pa.table({"id": pa.chunked_array([["a"], ["b"]])})
    >>> f = _to_pandas(t)
    >>> f["id"].tolist(), f["id"].array._pa_array.num_chunks, _shares_buffers(f["id"], t["id"])
    (['a', 'b'], 1, False)
    """
    pool = pa.system_memory_pool()
    for i, column in enumerate(table.columns):
        if _held_by_pandas(column.type) and column.num_chunks:
            copied = pa.concat_arrays(column.chunks, memory_pool=pool)
            if pa.types.is_string(column.type):  # pandas' text is large_string: cast here, in the same pool
                copied = copied.cast(pa.large_string(), memory_pool=pool)
            table = table.set_column(i, table.schema.field(i).with_type(copied.type), pa.chunked_array([copied]))
    return table.to_pandas(date_as_object=False, memory_pool=pool)


def _held_by_pandas(kind: pa.DataType) -> bool:
    """Whether pandas keeps an Arrow column of this type as Arrow (text and binary), not
    converting it into numpy's own memory."""
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or pa.types.is_string_view(kind))


def _shares_buffers(series: pd.Series, column: pa.ChunkedArray) -> bool:
    """Whether an Arrow-backed ``series`` uses any buffer of ``column`` (tests)."""
    mine = {b.address for c in series.array._pa_array.chunks for b in c.buffers() if b is not None}
    return any(b is not None and b.address in mine for c in column.chunks for b in c.buffers())


#: The name the transactions of an in-memory source, and the facts the RFM scores are computed
#: from, are registered under on the connection that reads them (views are the connection's own).
_INPUT, _SCORED = "_xuanba_transactions", "_xuanba_facts_scored"


class _Run:
    """The transactions of one call on ``source`` and the engine that runs its queries.

    On DuckDB each query is compiled once per shape and reused (:mod:`xuanba.facts.compiled`):
    the shape is the transactions' expression with its tables unbound; an in-memory source is
    registered on a private connection under one name (:data:`_INPUT`), so that every table of
    one schema is one shape. Elsewhere (Spark), or when the expression holds data of its own, the
    queries are built and compiled each time, their dates literals.
    """

    def __init__(self, source: Any) -> None:
        self.source = source
        self.tx = transactions_table(source)
        self.backend = _backend(self.tx, source)
        self.shape: ir.Table | None = None
        if self.backend.name != "duckdb":
            return
        tx = self.tx
        if not isinstance(source, Workspace | ir.Table):  # our private connection: register it ourselves
            tx = self._registered(tx)
        op = compiled.shape(tx)
        self.shape = None if op is None else op.to_expr()

    def _registered(self, tx: ir.Table) -> ir.Table:
        found = tx.op().find(ops.InMemoryTable)
        if len(found) != 1:
            return tx
        node = found[0]
        self.backend.con.register(_INPUT, node.data.to_pyarrow(node.schema))

        def swap(op: Any, _: Any, **kwargs: Any) -> Any:
            if op is node:
                return ops.UnboundTable(name=_INPUT, schema=node.schema)
            return op.__recreate__(kwargs) if kwargs else op

        return tx.op().replace(swap).to_expr()

    def arrow(self, key: Any, build: Callable[[ir.Table], ir.Table], values: dict[str, Any]) -> pa.Table:
        """The result of ``build(transactions)`` as Arrow; ``key`` (with the shape) names every
        option the query depends on, ``values`` its dates (see :mod:`xuanba.facts.compiled`)."""
        if self.shape is None:
            return _arrow(build(self.tx), self.source, self.backend)
        shape = self.shape
        query = compiled.compiled((key, shape.op()), lambda: build(shape), values, self.backend)
        return compiled.run(query, values, self.backend, BATCH_ROWS)

    def pandas(self, key: Any, build: Callable[[ir.Table], ir.Table], values: dict[str, Any]) -> pd.DataFrame:
        """:meth:`arrow` as pandas."""
        return _to_pandas(self.arrow(key, build, values))

    def scores(self, facts: pa.Table, scores: Sequence[str]) -> pa.Table:
        """The RFM ``scores`` of the DuckDB ``facts`` (with :data:`RFM_INPUTS`), sorted by id."""
        # registered by hand, not as an ibis memtable: ibis unregisters those only when Python
        # exits, so the connection would keep the facts' Arrow buffers (1.8 GB at 10 M customers)
        con = self.backend.con
        with compiled.alone(con):  # the name is the connection's: another thread's facts would replace them
            con.register(_SCORED, facts.select(["customer_id", *RFM_INPUTS]))
            try:
                table = compiled.unbound(self.backend.table(_SCORED))
                query = compiled.compiled(
                    ("rfm", table.op(), tuple(scores)),
                    lambda: with_rfm(table).select("customer_id", *scores).order_by("customer_id"), {},
                    self.backend)
                return compiled.run(query, {}, self.backend, BATCH_ROWS)
            finally:
                con.unregister(_SCORED)

    def check_cutoff(self, cutoff: dt.date) -> dt.date:
        """:func:`check_first_transaction` of the transactions at ``cutoff``; the first one's day."""
        first = self.pandas("first", lambda tx: tx.aggregate(first=tx.ts.min(), n=tx.count()), {})
        check_first_transaction(int(first["n"].iloc[0]), first["first"].iloc[0], cutoff)
        return pd.Timestamp(first["first"].iloc[0]).date()


def _facts_arrow(run: _Run, key: Any, build: Callable[[ir.Table, bool], ir.Table], names: Sequence[str],
                 values: dict[str, Any], columns: Sequence[str] | None, what: str) -> pa.Table:
    """Run the facts ``build(tx, rfm)`` makes (the columns ``names``), with only ``columns`` (see
    :func:`_only`); ``key`` and ``values`` as :meth:`_Run.arrow`'s.

    On DuckDB in two steps: the facts without the RFM scores (one pass over the transactions),
    then the scores from those facts, handed back as Arrow (a view of them, not a copy); as one
    query, the facts would be computed once for the table and once for each score's cuts.
    Spark runs the one query (it reuses the shared part itself)."""
    wanted = _chosen(names, columns, what)
    scores = [c for c in wanted if c in RFM_COLUMNS]
    shape = None if columns is None else tuple(columns)
    if not scores:  # without the scores' cuts, which an engine would compute even when unread
        return run.arrow((key, "plain", shape), lambda tx: _only(build(tx, False), columns, what), values)
    if run.backend.name != "duckdb":
        return run.arrow((key, "full", shape), lambda tx: _only(build(tx, True), columns, what), values)
    plain = [c for c in wanted if c not in RFM_COLUMNS]
    inputs = (*plain, *(c for c in RFM_INPUTS if c not in plain))
    facts = run.arrow((key, "facts", inputs),
                      lambda tx: build(tx, False).select(*inputs).order_by("customer_id"), values)
    rfm = run.scores(facts, scores)
    if not rfm["customer_id"].equals(facts["customer_id"]):  # both sorted by the unique ids
        raise AssertionError("the RFM scores and the facts are not in the same order")
    return pa.table({c: (rfm[c] if c in RFM_COLUMNS else facts[c]) for c in wanted})


def _chosen(names: Sequence[str], columns: Sequence[str] | None, what: str) -> list[str]:
    """The columns :func:`_only` keeps of a table of the columns ``names``."""
    if columns is None:
        return list(names)
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise InputError(Phrase("err_facts_unknown_column", what=Phrase(f"err_what_{what.replace(' ', '_')}"),
                                names=Listed(unknown, quoted=True)),
                         fix=Phrase("err_choose_among", names=Listed(names)))
    return ["customer_id", *(c for c in dict.fromkeys(columns) if c != "customer_id")]


def _check_cutoff(tx: ir.Table, cutoff: dt.date, source: Any) -> None:
    first = _execute(tx.aggregate(first=tx.ts.min(), n=tx.count()), source)
    check_first_transaction(int(first["n"].iloc[0]), first["first"].iloc[0], cutoff)


def check_first_transaction(n: int, first: Any, cutoff: dt.date) -> None:
    """Said when there are no ``n`` transactions, or the ``first`` is after ``cutoff``."""
    if n == 0:
        raise DataError(Phrase("err_no_transactions"), fix=Phrase("err_no_transactions_fix"))
    earliest = pd.Timestamp(first).date()
    if earliest > cutoff:
        raise DataError(Phrase("err_cutoff_before_first", cutoff=str(cutoff), first=str(earliest)),
                        fix=Phrase("err_cutoff_before_first_fix"))


def _only(expr: ir.Table, columns: Sequence[str] | None, what: str) -> ir.Table:
    """``expr`` with only ``columns`` (and ``customer_id``), sorted by id; ``None``: all of them.
    The engine then skips the facts nobody reads."""
    if columns is None:
        return expr
    return expr.select(*_chosen(expr.columns, columns, what)).order_by("customer_id")


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("first_purchase", "last_purchase"):
        if col in frame.columns and frame[col].dtype == object:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def customer_facts(
    source: Any,
    cutoff: dt.date | str | None = None,
    *,
    time_unit: TimeUnit = "week",
    merge: Merge = "day",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row of facts per customer at ``cutoff`` (inclusive), sorted by ``customer_id``.

    Parameters
    ----------
    source
        A :class:`~xuanba.Workspace`, an Ibis table (DuckDB, Spark, ...) or an in-memory table
        with ``customer_id``, ``ts``, ``amount`` (optional ``cost``, ``is_return``).
    cutoff
        Facts use transactions on or before this date (all of that day); default the last
        transaction's date.
    time_unit
        Unit of ``recency`` and ``T``: ``"day"``, ``"week"`` (7 days) or ``"month"`` (30.4375 days).
    merge
        ``"day"``: purchases of one calendar day are one occasion (the published convention);
        ``"period"``: one occasion per time unit.
    columns
        Only these facts (and ``customer_id``), in this order; the engine skips the others
        (e.g. a backtest, which scores on a few of them). ``None``: all of them.

    Returns
    -------
    pandas.DataFrame (a polars or Arrow table when ``source`` is one)
        Columns ``FACT_COLUMNS``: ``frequency``, ``recency``, ``T``, ``monetary_value`` (the
        names customer-base models expect), purchase dates, tenure, orders, revenue and margin
        over 90/365 days, growth and RFM scores.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "ts": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-01-08"]),
    ...                    "amount": [10.0, 30.0, 5.0]})
    >>> f = customer_facts(tx, "2026-01-29")
    >>> f[["customer_id", "frequency", "recency", "T", "monetary_value"]].to_dict("records")[0]
    {'customer_id': 'a', 'frequency': 1, 'recency': 2.0, 'T': 4.0, 'monetary_value': 30.0}
    """
    check_unit(time_unit, "time_unit")
    run = _Run(source)
    if cutoff is None:
        last = run.pandas("last", lambda tx: tx.aggregate(last=tx.ts.max()), {})["last"].iloc[0]
        if pd.isna(last):
            raise DataError(Phrase("err_no_transactions"), fix=Phrase("err_no_transactions_fix"))
        cutoff = pd.Timestamp(last).date()
    cutoff_d = _as_date(cutoff)
    run.check_cutoff(cutoff_d)

    def build(tx: ir.Table, rfm: bool) -> ir.Table:
        return customer_facts_expr(tx, cutoff_d, time_unit=time_unit, merge=merge, rfm=rfm)

    facts = _facts_arrow(run, ("facts", time_unit, merge), build, FACT_COLUMNS,
                         facts_values(cutoff_d, time_unit=time_unit), columns, "fact")
    return same_kind(source, _finish(_to_pandas(facts)))


def calibration_holdout(
    source: Any,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    *,
    time_unit: TimeUnit = "week",
    merge: Merge = "day",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Calibration facts at ``calibration_end`` plus actual holdout purchases and spend.

    Adds ``frequency_holdout``, ``revenue_holdout``, ``monetary_value_holdout`` and
    ``duration_holdout`` to the facts of every customer first seen in the calibration period.
    ``columns``: only these (and ``customer_id``), in this order; the engine then skips the facts
    nobody reads (a model check needs the history and the holdout count, not the RFM scores:
    with ``merge="day"`` those come from one narrow aggregate,
    :func:`~xuanba.facts.expressions.history_holdout_expr`).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a"],
    ...                    "ts": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-02-20"]),
    ...                    "amount": [10.0, 30.0, 5.0]})
    >>> h = calibration_holdout(tx, "2026-01-31", "2026-03-31")
    >>> int(h.loc[0, "frequency_holdout"]), float(h.loc[0, "revenue_holdout"])
    (1, 5.0)
    """
    check_unit(time_unit, "time_unit")
    run = _Run(source)
    cal = _as_date(calibration_end)
    hold = _as_date(holdout_end)
    if hold <= cal:
        raise DataError(Phrase("err_holdout_not_after", hold=str(hold), cal=str(cal)),
                        fix=Phrase("err_holdout_not_after_fix"))
    run.check_cutoff(cal)
    if merge == "day" and columns is not None and set(columns) <= {"customer_id", *HISTORY_HOLDOUT_COLUMNS}:
        # the history and the holdout count alone (a model check): one narrow aggregate
        frame = run.pandas(
            ("history", time_unit, tuple(columns)),
            lambda tx: _only(history_holdout_expr(tx, cal, hold, time_unit=time_unit), columns, "calibration column"),
            history_holdout_values(cal, hold, time_unit=time_unit))
        return same_kind(source, _finish(frame))

    def build(tx: ir.Table, rfm: bool) -> ir.Table:
        return holdout_expr(tx, cal, hold, time_unit=time_unit, merge=merge, rfm=rfm)

    table = _facts_arrow(run, ("holdout", time_unit, merge), build, (*FACT_COLUMNS, *HOLDOUT_COLUMNS),
                         holdout_values(cal, hold, time_unit=time_unit), columns, "calibration column")
    return same_kind(source, _finish(_to_pandas(table)))


def facts_and_holdout(
    source: Any,
    cutoff: dt.date | str,
    calibration_end: dt.date | str | Callable[[dt.date], dt.date],
    *,
    time_unit: TimeUnit = "week",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`customer_facts` at ``cutoff`` and the table a model check reads of the year before
    it (:func:`calibration_holdout` from ``calibration_end`` to ``cutoff`` with the columns
    ``frequency, recency, T, frequency_holdout, duration_holdout``), from one pass over the
    transactions: the same two frames as the two calls, at about the cost of the first.
    ``calibration_end`` may be a function of the first transaction's day (read by the check of
    the cutoff anyway), which gives the calibration end: a check whose window depends on the
    history's span (``auto``'s, :func:`xuanba.models.choose.holdout_days`).

    A round that checks its model on the year before its cutoff reads both: as two queries the
    transactions were read and merged by day twice (at 1 M customers the check's query cost
    two-thirds of the facts'). The check's customers are those first seen by
    ``calibration_end``; when there is none the table is empty (:func:`calibration_holdout`
    raises instead, with the reason).

    Example
    -------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "ts": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-02-20", "2026-02-01"]),
    ...                    "amount": [10.0, 30.0, 5.0, 8.0]})
    >>> facts, check = facts_and_holdout(tx, "2026-03-31", "2026-01-31")
    >>> facts["frequency"].tolist(), check[["customer_id", "frequency", "frequency_holdout"]].values.tolist()
    ([2, 0], [['a', 1, 1]])
    """
    check_unit(time_unit, "time_unit")
    run = _Run(source)
    cutoff_d = _as_date(cutoff)

    def before_cutoff(cal: dt.date) -> dt.date:
        if cal >= cutoff_d:
            raise DataError(Phrase("err_holdout_not_after", hold=str(cutoff_d), cal=str(cal)),
                            fix=Phrase("err_calibration_before_cutoff_fix"))
        return cal

    cal = None if callable(calibration_end) else before_cutoff(_as_date(calibration_end))
    first = run.check_cutoff(cutoff_d)
    if cal is None:  # the window read from the first transaction's day
        cal = before_cutoff(_as_date(calibration_end(first)))  # type: ignore[operator]

    def build(tx: ir.Table, rfm: bool) -> ir.Table:
        return customer_facts_expr(tx, cutoff_d, time_unit=time_unit, rfm=rfm, holdout_from=cal)

    both = _facts_arrow(run, ("facts", time_unit, "day", "holdout_from"), build,
                        (*FACT_COLUMNS, *HOLDOUT_FROM_COLUMNS), facts_values(cutoff_d, time_unit=time_unit,
                                                                              holdout_from=cal), None, "fact")
    names = list(HOLDOUT_FROM_COLUMNS)
    facts = _finish(_to_pandas(both.drop_columns(names)))
    check = both.select(["customer_id", *names])
    del both
    check = check.filter(check[names[0]].is_valid())  # the customers seen by the calibration end
    check = check.rename_columns(["customer_id", *HOLDOUT_FROM_COLUMNS.values()])
    return same_kind(source, facts), same_kind(source, _to_pandas(check))
