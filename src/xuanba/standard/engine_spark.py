"""Orders over the whole base that Spark spreads over its partitions.

A window with no ``PARTITION BY`` (``row_number() over (order by …)``, a running sum) runs on
Spark as one task holding every row. :func:`sorted_index` gives the same numbers from a
range-partitioned sort instead: Spark sorts the rows into contiguous ranges (one task each),
numbers the rows inside each range, counts (or sums) each range, and the driver turns those few
figures into each range's offset. Every step runs on all the partitions; only one number per
partition reaches the driver.

The sorted rows are kept by Spark (on its local disks, :data:`KEPT_ON`) until :func:`release` is called: the
numbering depends on how the sort cut the ranges, which a second computation could cut
differently, so it is computed once. Inside a :func:`kept_for_call` block what is kept belongs
to the block instead, and is dropped when it ends (returning or failing), whatever else runs on
the same backend.

Example (on a Spark backend ``con``)::

    t = con.table("customers")
    t = sorted_index(t, [t.score.desc(), t.customer_id], "_i")   # 0, 1, 2, … in that order
    ...
    release(con)
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import Iterator
from typing import Any

#: Where Spark keeps what this module computes once: on disk, not in the executors' heap. In local
#: mode the executors' heap is the driver's, and 10 M customers' kept facts held in a 2 GB heap
#: left too little for the join after them (``OutOfMemoryError``); blocks on disk are served
#: from the operating system's page cache, outside the JVM.
KEPT_ON = "DISK_ONLY"
#: Low bits of Spark's ``monotonically_increasing_id``: the row's number inside its partition.
_LOW_BITS = 33
_COUNTER = itertools.count()
#: The rows of each table :func:`sorted_index` made, by its view's name (:func:`rows_known`); at
#: most :data:`_ROWS_KEPT` names (then forgotten: a long-lived process, a forgotten one is counted).
_ROWS: dict[str, int] = {}
_ROWS_KEPT = 256
#: The frames the innermost :func:`kept_for_call` block (of this thread or task) owns, if any.
_OWNED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("xuanba_kept_for_call", default=None)


def is_spark(table: Any) -> bool:
    """Whether the Ibis ``table`` runs on Spark (whose whole-base windows are one task)."""
    return table._find_backend(use_default=True).name == "pyspark"


def _kept_frames(backend: Any) -> list[Any]:
    """Where a frame kept now is listed: the open :func:`kept_for_call` block's list, else the
    ``backend``'s (dropped by :func:`release`)."""
    owned = _OWNED.get()
    if owned is not None:
        return owned
    frames = getattr(backend, "_xuanba_sorted", None)
    if frames is None:
        frames = []
        backend._xuanba_sorted = frames
    return frames


def sorted_index(table: Any, keys: list[Any], name: str, *, running_sum: str | None = None,
                 sum_name: str | None = None) -> Any:
    """``table`` (an Ibis table on Spark) with ``name``: each row's 0-based position in the order
    of ``keys`` (Ibis sort keys that leave no ties, e.g. ending with the customer id), i.e.
    ``row_number() over (order by keys)``; with ``running_sum``, also ``sum_name``: the sum of
    that column over the rows up to and including this one in that order.

    Computed from a range-partitioned sort: positions inside each range plus the range's offset
    (the rows, or the sum, of the ranges before it). The result is kept by Spark until
    :func:`release`; reading it many times gives the same numbers."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    backend = table._find_backend(use_default=True)
    ordered = table.order_by(keys)
    backend._run_pre_execute_hooks(ordered)  # the in-memory tables the query reads
    frame = backend._session.sql(backend.compile(ordered))
    cols = list(frame.columns)
    frame = frame.withColumn("_xmid", F.monotonically_increasing_id())
    frame = frame.withColumn("_xpart", F.shiftright("_xmid", _LOW_BITS))
    if running_sum is not None:  # the sum inside the range: a window per range, spread over the ranges
        within = Window.partitionBy("_xpart").orderBy("_xmid").rowsBetween(Window.unboundedPreceding, 0)
        frame = frame.withColumn("_xsum", F.sum(F.col(running_sum)).over(within))
    frame = _computed_once(frame, eager=False)  # computed and kept by the query of the counts below
    _kept_frames(backend).append(frame)
    aggs = [F.count(F.lit(1)).alias("n")]
    if running_sum is not None:
        aggs.append(F.sum(F.col(running_sum)).alias("s"))
    per = {r["_xpart"]: r for r in frame.groupBy("_xpart").agg(*aggs).collect()}
    parts = range(max(per, default=-1) + 1)
    # the sums before each range in the column's own type: Python integers for an integer column (the
    # whale curve's whole units), so the running sum stays exact past 2**53 (0.0 made it a double)
    offsets, sums, n_before, s_before = [], [], 0, 0
    for p in parts:
        offsets.append(n_before)
        sums.append(s_before)
        if p in per:
            n_before += int(per[p]["n"])
            if running_sum is not None:
                s_before = s_before + (per[p]["s"] or 0)
    slot = (F.col("_xpart") + 1).cast("int")
    out = [F.col(c) for c in cols]
    local = F.col("_xmid").bitwiseAND((1 << _LOW_BITS) - 1)
    out.append((F.element_at(F.array(*[F.lit(int(o)) for o in offsets]), slot) + local).alias(name)
               if offsets else local.alias(name))
    if running_sum is not None:
        before = F.element_at(F.array(*[F.lit(s) for s in sums]), slot) if sums else F.lit(0)
        out.append((before + F.col("_xsum")).alias(sum_name or f"{running_sum}_sum"))
    view = f"_xuanba_sorted_{next(_COUNTER)}"
    frame.select(*out).createOrReplaceTempView(view)
    _remember_rows(view, n_before)
    return backend.table(view)


def _remember_rows(view: str, n: int) -> None:
    """Note that ``view`` has ``n`` rows for :func:`rows_known`, forgetting every name noted so
    far once :data:`_ROWS_KEPT` are (a forgotten view is counted again by its reader).

    Example
    -------
    >>> _remember_rows("_xuanba_sorted_doc", 3); _ROWS["_xuanba_sorted_doc"]
    3
    """
    if len(_ROWS) >= _ROWS_KEPT:
        _ROWS.clear()
    _ROWS[view] = n


def rows_known(table: Any) -> int | None:
    """How many rows ``table`` has when it is what :func:`sorted_index` returned (it counted them),
    else ``None``.

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> rows_known(ibis.memtable(pa.table({"x": [1]}))) is None
    True
    """
    op = table.op()
    return _ROWS.get(op.name) if type(op).__name__ == "DatabaseTable" else None


def checkpoint(table: Any) -> Any:
    """``table`` (an Ibis table on Spark) computed once and kept by Spark (:data:`KEPT_ON`) until
    :func:`release`, as a table whose plan starts there: Spark prints a kept table's whole plan
    into every plan that reads it, and a round that joins a table with what it derived from it
    doubles that text at each step (out of heap at 2 GB with a dozen steps)."""
    backend = table._find_backend(use_default=True)
    backend._run_pre_execute_hooks(table)
    frame = _computed_once(backend._session.sql(backend.compile(table)), eager=False)
    _kept_frames(backend).append(frame)
    view = f"_xuanba_kept_{next(_COUNTER)}"
    frame.createOrReplaceTempView(view)
    return backend.table(view)


def _computed_once(frame: Any, *, eager: bool = True) -> Any:
    """``frame`` computed once and kept (:data:`KEPT_ON`), as a frame whose plan starts there.

    When the Spark context has a checkpoint directory (``spark.sparkContext.setCheckpointDir``)
    the rows are written there (a reliable checkpoint, computed once: cached, counted, written
    from the cache), so that an executor lost later (dynamic allocation, preemptible nodes) costs
    a read, not the round; else they are kept by the executors alone (``localCheckpoint``).

    Without ``eager`` a local checkpoint is computed by the first query that reads it, and kept
    by that query's tasks (Spark then computes any part that query did not read): no job of its
    own, which in a small round costs more than its rows (a round kept some twenty tables, each
    a job of about 0.2 s). The plan starts at the kept rows at once either way. ``eager`` for what
    must leave the driver now (:func:`from_arrow`'s chunks but the last, held by the driver JVM
    until sent)."""
    from pyspark import StorageLevel

    level = getattr(StorageLevel, KEPT_ON)
    if frame.sparkSession.sparkContext.getCheckpointDir():
        frame = frame.persist(level)
        try:
            kept = frame.checkpoint(eager=True)
        finally:
            frame.unpersist()
        return kept.persist(level)  # read from memory; a lost block is read back from the files
    return frame.localCheckpoint(eager=eager, storageLevel=level)


def drop(frame: Any) -> None:
    """Let Spark free what keeps ``frame`` (a frame :func:`sorted_index` or :func:`checkpoint`
    kept). A checkpointed frame reads an RDD that Spark persisted for it, which the frame's own
    ``unpersist()`` does not reach (it drops only a cache of the frame): that RDD is unpersisted
    here, and a reliable checkpoint's files deleted, then the frame."""
    plan = frame._jdf.queryExecution().analyzed()
    if plan.getClass().getSimpleName() == "LogicalRDD":  # what a checkpoint returns: its RDD persisted
        rdd = plan.rdd()
        rdd.unpersist(False)
        written = rdd.getCheckpointFile()
        if written.isDefined():  # a reliable checkpoint: its folder in the checkpoint directory
            context = frame.sparkSession.sparkContext
            path = context._jvm.org.apache.hadoop.fs.Path(written.get())
            path.getFileSystem(context._jsc.hadoopConfiguration()).delete(path, True)
    frame.unpersist()


@contextlib.contextmanager
def kept_for_call() -> Iterator[list[Any]]:
    """A block whose :func:`sorted_index` and :func:`checkpoint` tables belong to it: dropped when
    the block ends, returned from or failed, and left alone by :func:`release` and by any other
    block (blocks nest; each thread has its own). Yields the list of the frames kept so far.

    Example
    -------
    >>> with kept_for_call() as frames:   # nothing on Spark inside: nothing kept
    ...     pass
    >>> frames
    []
    """
    frames: list[Any] = []
    token = _OWNED.set(frames)
    try:
        yield frames
    finally:
        _OWNED.reset(token)
        _drop_all(frames)


def from_arrow(backend: Any, data: Any, *, chunk: int = 250_000) -> Any:
    """The Arrow table ``data`` as an Ibis table on the Spark ``backend``, sent ``chunk`` rows at a
    time and kept by Spark (:data:`KEPT_ON`) until :func:`release` (or the end of the
    :func:`kept_for_call` block it is made in).

    Each chunk becomes a Spark frame straight from Arrow (no pandas, no Python rows) and is
    checkpointed at once, so the driver JVM holds one chunk in transit, not the whole table (ibis's
    in-memory tables go through pandas and are parallelised from the driver whole). The last chunk
    (the only one, for most tables) is computed by the first query that reads it instead
    (:func:`_computed_once` without ``eager``): the driver JVM holds it until then, still one chunk,
    and a small table costs no job of its own."""
    session = backend._session
    kept = _kept_frames(backend)
    frames = []
    for lo in range(0, max(data.num_rows, 1), chunk):  # an empty table is still one (empty) frame
        part = session.createDataFrame(data.slice(lo, chunk))
        frames.append(_computed_once(part, eager=lo + chunk < data.num_rows))
        kept.append(frames[-1])  # listed at once: a later chunk failing leaves none unowned
    whole = frames[0]
    for part in frames[1:]:
        whole = whole.unionByName(part)
    view = f"_xuanba_arrow_{next(_COUNTER)}"
    whole.createOrReplaceTempView(view)
    return backend.table(view)


def arrow_on(like: Any, data: Any) -> Any:
    """The driver's Arrow table ``data`` as an Ibis table on the backend of the Ibis table
    ``like``: on Spark through :func:`from_arrow` (an Ibis in-memory table goes through pandas
    and reaches the driver's JVM whole), elsewhere an in-memory table.

    Example
    -------
    >>> import ibis, pyarrow as pa
    >>> arrow_on(ibis.memtable(pa.table({"x": [1]})), pa.table({"y": [2.0]})).to_pyarrow()["y"].to_pylist()
    [2.0]
    """
    import ibis

    if is_spark(like):
        return from_arrow(like._find_backend(use_default=True), data)
    return ibis.memtable(data)


def release(backend: Any) -> None:
    """Drop what :func:`sorted_index` and :func:`checkpoint` kept on ``backend`` outside any
    :func:`kept_for_call` block (call when every expression reading it has run)."""
    _drop_all(getattr(backend, "_xuanba_sorted", None) or [])


def _drop_all(frames: list[Any]) -> None:
    """:func:`drop` every frame of ``frames`` (emptied), each tried even when one fails (a JVM
    gone, a Py4J error): the first failure is raised after, unless an error is already on its way
    (the one that ended the block), which it would otherwise hide."""
    import sys

    first: Exception | None = None
    while frames:
        try:
            drop(frames.pop())
        except Exception as exc:  # noqa: BLE001 - the others are still dropped; the first is raised
            first = first or exc
    if first is not None and sys.exc_info()[1] is None:
        raise first
