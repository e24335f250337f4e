"""The workspace: one DuckDB file that holds everything xuanba keeps between commands.

It is the single gateway to the database: nothing else in xuanba opens a connection, and every
statement that creates a table or inserts rows lives here (the round tables' own statements
live in :mod:`xuanba.rounds.store`). Reads go through :meth:`Workspace.sql` /
:meth:`Workspace.table` (an Ibis table, so the same facts code runs here and on Spark); writes go
through :meth:`Workspace.insert`, :meth:`Workspace.append`, :meth:`Workspace.replace` and
:meth:`Workspace.ensure_table`, inside :meth:`Workspace.transaction`, which commits all or
nothing. :func:`open_workspace` takes "a Workspace or a path" and gives a Workspace.

Schema version
--------------
The table ``xuanba_meta`` records the layout's version (``schema_version``) and the xuanba that
wrote it (``xuanba_version``); :data:`SCHEMA_VERSION` is the version this xuanba writes and
:func:`schema_version` reads a file's. Opening a workspace:

* of an older version (a file without ``xuanba_meta`` is version 0, the layout before versions
  were recorded) runs the missing migrations of :data:`MIGRATIONS` in **one** transaction:
  all of them or, when one fails, none;
* of a newer version raises :class:`~xuanba.errors.WorkspaceError` naming both versions and
  changes nothing;
* read-only (``read_only=True``, what the reading commands do) never writes: an older workspace
  that this xuanba can still read as it is (version :data:`READABLE_FROM` or later) opens
  unchanged, so a report of a workspace written before an upgrade still works on a file you may
  not write; an older one is an error that says to run ``xuanba upgrade`` (or any writing
  command) once; a new, empty file opens as it is.

Adding a migration: write ``def _vN(ws: Workspace) -> None`` that changes the layout from
version N-1 to N with ``ws.con`` (it runs inside the migration transaction; do not commit), and
append it to :data:`MIGRATIONS`. :data:`SCHEMA_VERSION` is the length of that list. A migration
of the round tables may live beside their statements in :mod:`xuanba.rounds.store`; append its
name as ``"xuanba.rounds.store:_migrate_vN"`` (imported when it runs, so no import cycle).
Add a test that opens a file in the previous layout. When the readers of the new layout can no
longer read the previous one as it is (a renamed column, a table split in two), raise
:data:`READABLE_FROM` to the new version, so read-only opens of older files ask for an upgrade.

Example
-------
>>> import pandas as pd
>>> with Workspace(":memory:") as ws:
...     with ws.transaction():
...         ws.append("t", pd.DataFrame({"x": [1, 2]}))
...     int(ws.sql("SELECT sum(x) AS s FROM t")["s"].iloc[0]), ws.has_table("t"), ws.schema_version == SCHEMA_VERSION
(3, True, True)
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from xuanba._files import DEFAULT_PATH  # the workspace file when none is named
from xuanba.errors import Phrase, WorkspaceError, quoted

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

META_TABLE = "xuanba_meta"

#: The tables whose layout xuanba fixes (the ingest tables), column name -> DuckDB type.
#: Side tables (customers, interactions ...) and ``facts`` take their columns from the data;
#: the round tables are laid out in :mod:`xuanba.rounds.store`.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "transactions": {
        "customer_id": "VARCHAR", "ts": "TIMESTAMP", "amount": "DECIMAL(18,4)", "order_id": "VARCHAR",
        "cost": "DECIMAL(18,4)", "quantity": "DOUBLE", "product": "VARCHAR", "channel": "VARCHAR",
        "paid_on": "DATE", "due_on": "DATE", "is_return": "BOOLEAN", "source_id": "INTEGER",
        "source_row": "BIGINT",
    },
    "sources": {
        "source_id": "INTEGER", "kind": "VARCHAR", "file": "VARCHAR", "sha256": "VARCHAR",
        "format": "VARCHAR", "encoding": "VARCHAR", "delimiter": "VARCHAR", "rows": "BIGINT",
        "loaded": "BIGINT", "merged": "BIGINT", "rejected": "BIGINT", "loaded_at": "TIMESTAMP",
        "mapping": "VARCHAR",
    },
    "rejects": {
        "source_id": "INTEGER", "source_row": "BIGINT", "column": "VARCHAR", "value": "VARCHAR",
        "reason": "VARCHAR",
    },
    META_TABLE: {"key": "VARCHAR PRIMARY KEY", "value": "VARCHAR"},
}

#: What a migration is: a function that changes the layout by one version, or the
#: ``"module:function"`` name of one (imported when it runs).
Migration = Callable[["Workspace"], None] | str


#: The environment variable that sets DuckDB's memory limit (``"6GB"``, ``"40%"`` is not read).
MEMORY_ENV = "XUANBA_MEMORY_LIMIT"
#: The environment variable that names the folder DuckDB spills to.
TEMP_ENV = "XUANBA_TEMP_DIRECTORY"
#: The share of the machine's memory DuckDB may use when nothing else is said (DuckDB's own
#: default is 80 %, which leaves too little for the Python side of a round and for other work).
MEMORY_SHARE = 0.25


def _machine_memory() -> int | None:
    """Bytes of memory this process may use: the physical memory, or the cgroup's limit when
    lower (a container); ``None`` where neither can be read."""
    try:
        total = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = None
    for name in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(name).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or int(text) < total):
            total = int(text)
    return total


def temporary_table(con: duckdb.DuckDBPyConnection, name: str, query: str) -> None:
    """The result of the SQL ``query`` kept as the temporary table ``name`` of ``con`` (replaced
    if there): held in DuckDB's buffer pool within its memory limit and spilled to its temporary
    folder beyond, never written into the database file. Used for a scoring's intermediate results
    (:func:`xuanba.standard.engine_cache.keep`); the caller drops it.

    Example
    -------
    >>> con = duckdb.connect()
    >>> temporary_table(con, "t", "SELECT 1 AS x")
    >>> con.sql("SELECT x FROM t").fetchall(), con.sql("SELECT temporary FROM duckdb_tables()").fetchall()
    ([(1,)], [(True,)])
    """
    con.execute(f'CREATE OR REPLACE TEMPORARY TABLE "{name}" AS {query}')


def duckdb_settings(path: str = ":memory:", *, read_only: bool = False,
                    memory_limit: str | None = None) -> dict[str, str]:
    """The settings xuanba gives every DuckDB it opens (the workspace's, and the private ones it
    runs in-memory tables on).

    * ``memory_limit``: the argument, else ``$XUANBA_MEMORY_LIMIT``, else :data:`MEMORY_SHARE`
      of the machine's memory (at least 1 GiB); beyond it DuckDB spills to disk;
    * ``temp_directory`` (where it spills): ``$XUANBA_TEMP_DIRECTORY``, else DuckDB's own choice
      beside a workspace file it may write (``<file>.tmp``), else a folder of its own in the
      system's temporary folder (never the current folder, DuckDB's choice for ``:memory:``);
    * ``allocator_background_threads``: memory a query freed goes back to the system within a
      second (without it, a 10 M-customer query kept GBs after it had finished).

    None of them changes a result. ``preserve_insertion_order`` stays on: rows come back in the
    order they went in.

    Example
    -------
    >>> duckdb_settings(":memory:", memory_limit="2GB")["memory_limit"]
    '2GB'
    """
    import tempfile
    import uuid

    limit = memory_limit or os.environ.get(MEMORY_ENV, "").strip()
    if not limit:
        total = _machine_memory()
        limit = f"{max(1024, int(total * MEMORY_SHARE / 2**20))}MiB" if total else ""
    out = {"allocator_background_threads": "true"}
    if limit:
        out["memory_limit"] = limit
    temp = os.environ.get(TEMP_ENV, "").strip()
    if not temp and (path == ":memory:" or read_only):
        temp = str(Path(tempfile.gettempdir()) / f"xuanba-duckdb-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    if temp:
        out["temp_directory"] = temp
    return out


_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def shown_bytes(text: str) -> int | None:
    """Bytes of a memory size as DuckDB shows it (``current_setting('memory_limit')``, rounded to
    a tenth of its unit), or ``None`` when it is not such a size.

    Example
    -------
    >>> shown_bytes("1.0 GiB"), shown_bytes("953.6 MiB"), shown_bytes("no limit")
    (1073741824, 999922073, None)
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*", str(text))
    if not match or match.group(2).upper() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _shown_limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def _apply_settings(con: duckdb.DuckDBPyConnection, path: str, settings: dict[str, str]) -> None:
    for key, value in settings.items():
        try:
            con.execute(f"SET {key} = ?", [value])
        except duckdb.Error as exc:
            source = {"memory_limit": f"memory_limit (or ${MEMORY_ENV})",
                      "temp_directory": f"${TEMP_ENV}"}.get(key, key)
            raise WorkspaceError(Phrase("err_ws_setting", key=key, value=repr(value), detail=_first(exc)),
                                 file=path, fix=Phrase("err_ws_setting_fix", source=source)) from None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """``text`` as an SQL string literal.

    >>> _literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


#: The columns the readers cannot do without, per table: a table that lacks one was changed by
#: hand or by another tool (see :func:`layout_problem`).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("customer_id", "ts", "amount"),
    "sources": ("source_id", "file"),
    "rejects": ("source_id", "reason"),
    META_TABLE: ("key", "value"),
}

_CORRUPT = ("could not read", "checksum", "corrupt", "not a valid duckdb database",
            "invalid block", "serializ", "failed to read", "unexpected end")

_HEADER = 3 * 4096  # DuckDB's file and database headers, before the first block


def _first(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _is_full_disk(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or \
        "no space left on device" in str(exc).lower() or "disk quota exceeded" in str(exc).lower()


def layout_problem(con: duckdb.DuckDBPyConnection, only: str | None = None) -> tuple[str, list[str]] | None:
    """The first xuanba table (of :data:`REQUIRED_COLUMNS`, or only ``only``) lacking columns the
    readers need, as (table, missing columns); ``None`` when every such table is whole.

    Example
    -------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE transactions (customer_id VARCHAR, ts TIMESTAMP, amt DOUBLE)")
    >>> layout_problem(con)
    ('transactions', ['amount'])
    """
    for name, need in REQUIRED_COLUMNS.items():
        if only is not None and name != only:
            continue
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main'", [name]).fetchall()}
        if have and (missing := [c for c in need if c not in have]):
            return name, missing
    return None


def workspace_fault(exc: BaseException, path: str, con: duckdb.DuckDBPyConnection | None = None,
                    *, reading: bool = False) -> WorkspaceError | None:
    """The :class:`~xuanba.errors.WorkspaceError` for a DuckDB (or OS) failure on the workspace
    file: a full disk, a corrupt or truncated file, a lock held by another process, or a table
    of an unexpected layout (checked on ``con``); ``None`` when it is none of these (a bug).
    ``reading``: the failure is a read-only open's, which only a process holding the file open to
    write refuses (its fix says what holds a file so: docs/scale.md "Two rounds at once").

    Example
    -------
    >>> err = workspace_fault(duckdb.IOException("IO Error: No space left on device"), "w.duckdb")
    >>> err.exit_code, err.fix.startswith("Free space on the disk holding w.duckdb")
    (5, True)
    >>> workspace_fault(ValueError("x"), "w.duckdb") is None
    True
    """
    text = str(exc)
    low = text.lower()
    if _is_full_disk(exc):
        return WorkspaceError(Phrase("err_ws_disk_full"), file=path, fix=Phrase("err_ws_disk_full_fix", path=path))
    if isinstance(exc, duckdb.OutOfMemoryException):  # the memory limit (ours, or the user's) is too low
        limit = re.search(r"\(([^()]*)/([^()]*) used\)", text)
        return WorkspaceError(Phrase("err_out_of_memory", limit=limit.group(2) if limit else "?", detail=_first(exc)),
                              fix=Phrase("err_out_of_memory_fix"))
    if "could not set lock" in low or "conflicting lock" in low:
        pid = re.search(r"PID (\d+)", text)
        who = Phrase("err_ws_other_pid", pid=pid.group(1)) if pid else Phrase("err_ws_other")
        fix = Phrase("err_ws_locked_read_fix" if reading else "err_ws_locked_fix")
        return WorkspaceError(Phrase("err_ws_locked", who=who), file=path, fix=fix)
    if isinstance(exc, duckdb.BinderException | duckdb.CatalogException) and con is not None:
        with contextlib.suppress(duckdb.Error):
            found = layout_problem(con)
            if found:
                return _layout_error(path, *found)
        return None
    kinds = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException,
             duckdb.FatalException, duckdb.TransactionException)
    if isinstance(exc, kinds) and (any(k in low for k in _CORRUPT) or not isinstance(
            exc, duckdb.IOException | duckdb.TransactionException)):
        return _corrupt_error(path, _first(exc))
    return None


def _corrupt_error(path: str, detail: str) -> WorkspaceError:
    return WorkspaceError(Phrase("err_ws_damaged", detail=detail), file=path, fix=Phrase("err_ws_damaged_fix"))


def _layout_error(path: str, table: str, missing: list[str]) -> WorkspaceError:
    return WorkspaceError(Phrase("err_ws_layout", table=table, columns=", ".join(missing)), file=path,
                          fix=Phrase("err_ws_layout_fix"))


@contextlib.contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: int, *, missing_ok: bool = False) -> Iterator[None]:
    """DuckDB's integer setting ``name`` at ``value`` while the block runs, its value before put back
    after (on a failure too). A database's setting (threads, write buffers) is seen by every
    connection of it: callers that share a file take turns first (:meth:`Workspace.writing`).
    With ``missing_ok``, a setting this DuckDB does not have (``duckdb_settings()`` does not list
    it: a later DuckDB may drop a tuning knob) is left alone and the block runs as it is. When the
    block fails, a failure to put the setting back is not raised: the block's error is (a full
    disk said in the user's words, not the connection's next complaint).

    Example
    -------
    >>> con = duckdb.connect()
    >>> with setting(con, "threads", 1):
    ...     con.execute("SELECT current_setting('threads')").fetchone()[0]
    1
    >>> with setting(con, "no_such_setting", 1, missing_ok=True):
    ...     con.execute("SELECT 42").fetchone()[0]
    42
    """
    if missing_ok and not con.execute("SELECT count(*) FROM duckdb_settings() WHERE name = ?", [name]).fetchone()[0]:
        yield
        return
    was = int(con.execute(f"SELECT current_setting('{name}')").fetchone()[0])
    with put_back(lambda: con.execute(f"SET {name} = {was}")):
        con.execute(f"SET {name} = {int(value)}")
        yield


@contextlib.contextmanager
def put_back(restore: Callable[[], object]) -> Iterator[None]:
    """The block, then ``restore()`` (a setting put back), on a failure too; when the block failed
    and ``restore`` fails as well, the block's error is raised, not ``restore``'s: the first thing
    that went wrong is what the user is told (a full disk aborts DuckDB's transaction, and the
    ``SET`` after it then fails on the aborted transaction). A failure of ``restore`` alone is raised.

    Example
    -------
    >>> def fails():
    ...     raise RuntimeError("cannot put it back")
    >>> try:
    ...     with put_back(fails):
    ...         raise ValueError("disk full")
    ... except ValueError as exc:
    ...     print(exc)
    disk full
    """
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            restore()
        raise
    restore()


@contextlib.contextmanager
def _faults(path: str, con: duckdb.DuckDBPyConnection | None = None, *, reading: bool = False) -> Iterator[None]:
    """Turn a known DuckDB or disk failure inside the block into a WorkspaceError."""
    try:
        yield
    except duckdb.Error as exc:  # an OSError in the block is about another file (see handle_errors)
        mapped = workspace_fault(exc, path, con, reading=reading)
        if mapped is None:
            raise
        raise mapped from None


def _v1_record_versions(ws: Workspace) -> None:
    """Version 0 -> 1: record the schema version, and bring the ingest tables to their columns.

    Version 0 is every workspace written before versions were recorded. Its ``transactions``
    table may lack columns ingest writes now (a table written by hand or by an early xuanba,
    e.g. only ``customer_id, ts, amount``); they are added, empty, so later loads and readers
    see one layout. A workspace with transactions but no ``sources``/``rejects`` gets them.
    """
    ws.ensure_table(META_TABLE)
    if ws.has_table("transactions"):
        for name in ("transactions", "sources", "rejects"):
            ws.ensure_table(name)


#: The migrations, in order: ``MIGRATIONS[i]`` changes version ``i`` into ``i + 1``.
MIGRATIONS: list[Migration] = [
    _v1_record_versions,
    "xuanba.rounds.store:_migrate_v2",  # stored backtests (backtests, backtest_cutoffs, backtest_overall)
    "xuanba.rounds.store:_migrate_v3",  # contributions keyed by rank (round_criteria, round_points; a view)
    "xuanba.rounds.store:_migrate_v4",  # a contribution stored once: read as 100 x weight x normalised
    "xuanba.rounds.store:_migrate_v5",  # the roster's texts as codes (roster_codes, roster_labels; a view)
    "xuanba.rounds.store:_migrate_v6",  # the roster view joins each code to its label (not rows x labels)
    "xuanba.rounds.store:_migrate_v7",  # roster_labels keyed by round; the views of this version's SQL
]

#: The schema version this xuanba writes and reads.
SCHEMA_VERSION: int = len(MIGRATIONS)

#: The oldest schema version a read-only open reads as it is, without upgrading: version 1 only
#: added the version table (and completed hand-made transactions tables), rounds stored
#: before their fields were kept are read with what they have, and the one reader of the
#: contributions (:mod:`xuanba.rounds.store`) reads version 2's long table as well as version 3's.
READABLE_FROM: int = 0


def _resolve(step: Migration) -> Callable[[Workspace], None]:
    if callable(step):
        return step
    module, _, name = step.partition(":")
    func: Callable[[Workspace], None] = getattr(importlib.import_module(module), name)
    return func


def _xuanba_version() -> str:
    from xuanba._version import __version__

    return __version__


def _recorded(con: duckdb.DuckDBPyConnection) -> tuple[int | None, str | None, bool]:
    """(schema version or None when unrecorded, the xuanba that wrote it, whether any table exists)."""
    names = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database()"
    ).fetchall()}
    if META_TABLE not in names:
        return None, None, bool(names)
    meta = dict(con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    try:
        version = int(meta.get("schema_version", 0))
    except ValueError:
        version = 0
    return version, meta.get("xuanba_version"), True


def _check_file(path: Path) -> None:
    """A clear error when the path is a folder or an existing file that is not a DuckDB database
    (DuckDB would otherwise open, say, a CSV file as an empty in-memory database)."""
    if path.is_dir():
        raise WorkspaceError(Phrase("err_ws_folder"), file=str(path),
                             fix=Phrase("err_ws_folder_fix", path=str(path / DEFAULT_PATH)))
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as fh:
            head = fh.read(12)
        if head[8:12] != b"DUCK":
            raise WorkspaceError(Phrase("err_ws_not_duckdb"), file=str(path), fix=Phrase("err_ws_not_duckdb_fix"))


def _check_length(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB file shorter than the blocks its tables are stored in was cut (a copy that
    stopped, a failing disk): block ``b`` of ``block_size`` bytes ends at byte
    ``3 * 4096 + (b + 1) * block_size``. DuckDB itself notices only when it reads such a block."""
    block_size = con.execute("SELECT block_size FROM pragma_database_size() "
                             "WHERE database_name = current_database()").fetchone()
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                       "current_database() AND NOT temporary").fetchall()]
    last = -1
    if names:  # one query for every table: a pragma_storage_info bound to a parameter plans 5x slower
        row = con.execute("SELECT max(b) FROM (" + " UNION ALL ".join(
            f"SELECT max(block_id) AS b FROM pragma_storage_info({_literal(name)})" for name in names) + ")").fetchone()
        if row and row[0] is not None:
            last = int(row[0])
    size = path.stat().st_size
    if block_size and last >= 0 and size < _HEADER + (last + 1) * int(block_size[0]):
        raise _corrupt_error(str(path), f"the file has {size:,} bytes, but its tables are stored in "
                             f"blocks up to byte {_HEADER + (last + 1) * int(block_size[0]):,}")


class Workspace:
    """A DuckDB file (or ``":memory:"``) holding transactions, rejects, facts and rounds.

    Parameters
    ----------
    path
        The DuckDB file; created when missing unless ``create=False``. ``":memory:"`` keeps
        everything in memory (tests, notebooks).
    create
        When false, a missing file is an error instead of a new empty workspace.
    read_only
        Open without write access: works on a file whose permissions forbid writing and beside
        other read-only opens (another process reading the same file). Nothing is written,
        so a workspace of an older schema version is an error (run ``xuanba upgrade`` once).
    threads
        DuckDB worker threads; ``None`` lets DuckDB use every core.
    memory_limit
        How much memory DuckDB may use before it spills to disk (``"6GB"``); default
        ``$XUANBA_MEMORY_LIMIT``, else a quarter of the machine's memory (see
        :func:`duckdb_settings`, and docs/scale.md).

    Raises
    ------
    WorkspaceError
        The file is missing (with ``create=False`` or ``read_only=True``), locked by a writer,
        written by a newer xuanba, or older and opened read-only.

    Example
    -------
    >>> ws = Workspace(":memory:")
    >>> ws.schema_version == SCHEMA_VERSION, ws.read_only
    (True, False)
    >>> ws.close()
    """

    #: A token that stays the same only while the file cannot change (the web app's reading
    #: connection sets it on its cursors); ``None``: no such promise, so ask the file each time.
    stable: Any = None
    #: Opened read-only while another thread of this process had the file open to write, so read
    #: through that database (:func:`_connect`): the file may change while this one is open, the
    #: database's settings (memory limit, temporary folder, threads) stay the writer's, and
    #: :meth:`sql` and :meth:`transaction` run in DuckDB's read-only transactions (a write refused;
    #: ``con`` itself can write: read through :meth:`sql`, :meth:`table` or :attr:`ibis`).
    beside_writer: bool = False

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_PATH,
        *,
        create: bool = True,
        read_only: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = bool(read_only)
        self._depth = 0
        self._lent: str | None = None
        if self.path != ":memory:" and (not create or read_only) and not Path(self.path).exists():
            raise WorkspaceError(Phrase("err_ws_not_found"), file=self.path, fix=Phrase("err_ws_not_found_fix"))
        try:
            with _faults(self.path, reading=read_only):
                self.con, self._reading, self.beside_writer = _connect(self.path, read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if _other_configuration(exc):  # another thread of this process kept the file open read-only
                raise WorkspaceError(Phrase("err_ws_read_here", seconds=f"{READERS_WAIT_S:g}"), file=self.path,
                                     fix=Phrase("err_ws_read_here_fix")) from None
            raise WorkspaceError(Phrase("err_ws_open_read" if read_only else "err_ws_open_write", detail=_first(exc)),
                                 file=self.path, fix=Phrase("err_ws_open_fix")) from None
        self._ibis: Any = None
        try:
            with _faults(self.path, self.con):
                if self.beside_writer:  # the writer's database: its settings are the writer's, left as they are
                    shown = _shown_limit(self.con)
                    self._limit = (shown, shown)
                else:
                    settings = duckdb_settings(self.path, read_only=self.read_only, memory_limit=memory_limit)
                    _apply_settings(self.con, self.path, settings)
                    # the limit exactly as set (DuckDB shows it rounded), to put it back after lowering it
                    self._limit = (settings.get("memory_limit"), _shown_limit(self.con))
                    if threads is not None:
                        self.con.execute(f"SET threads = {int(threads)}")
                if self.path != ":memory:":
                    _check_length(self.con, Path(self.path))
                self._check_schema()
        except BaseException:
            self.con.close()
            _reader_closed(self._reading)
            raise

    # -- the schema version ------------------------------------------------------------------
    def _check_schema(self) -> None:
        found, writer, has_tables = _recorded(self.con)
        version = found or 0
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                Phrase("err_ws_newer", version=version, writer=writer or "?", mine=_xuanba_version(),
                       known=SCHEMA_VERSION),
                file=self.path, fix=Phrase("err_ws_newer_fix"),
            )
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            if found is None and not has_tables:
                return  # a new, empty file: nothing to read, nothing to upgrade
            if version >= READABLE_FROM:
                return  # read as it is; nothing is written
            raise WorkspaceError(Phrase("err_ws_older_read_only", version=version, known=SCHEMA_VERSION),
                                 file=self.path, fix=Phrase("err_ws_older_read_only_fix", path=self.path))
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Run ``MIGRATIONS[version:]`` and record the new version, all in one transaction."""
        try:
            with self.transaction():
                for step in MIGRATIONS[version:SCHEMA_VERSION]:
                    _resolve(step)(self)
                self.ensure_table(META_TABLE)
                for key, value in (("schema_version", str(SCHEMA_VERSION)),
                                   ("xuanba_version", _xuanba_version())):
                    self.con.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)", [key, value])
        except duckdb.Error as exc:
            mapped = workspace_fault(exc, self.path)
            if mapped is not None:  # a full disk or a damaged file, not a bug of the migration
                raise mapped from None
            raise WorkspaceError(Phrase("err_ws_upgrade_failed", version=version, known=SCHEMA_VERSION,
                                        detail=str(exc).splitlines()[0]),
                                 file=self.path, fix=Phrase("err_ws_upgrade_failed_fix")) from None

    @property
    def schema_version(self) -> int:
        """The schema version recorded in this workspace (0: written before versions existed)."""
        return _recorded(self.con)[0] or 0

    # -- reading -----------------------------------------------------------------------------
    @property
    def ibis(self) -> Any:
        """The Ibis DuckDB backend over this workspace's connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def has_table(self, name: str) -> bool:
        """Whether the workspace holds a table (or view) called ``name``."""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def columns(self, name: str) -> dict[str, str]:
        """The columns of a stored table, name -> DuckDB type, in table order (empty when absent).

        Example
        -------
        >>> with Workspace(":memory:") as ws:
        ...     ws.ensure_table("rejects")
        ...     list(ws.columns("rejects"))[:2]
        ['source_id', 'source_row']
        """
        return dict(self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [name],
        ).fetchall())

    def table(self, name: str) -> ir.Table:
        """An Ibis table expression over a stored table; a clear error when it is missing."""
        if not self.has_table(name):
            raise WorkspaceError(Phrase("err_ws_no_table", name=name), file=self.path, fix=Phrase("err_ws_no_table_fix"))
        with _faults(self.path, self.con):
            found = layout_problem(self.con, only=name)
            if found:
                raise _layout_error(self.path, *found)
            return self.ibis.table(name)

    @contextlib.contextmanager
    def reader(self) -> Iterator[Any]:
        """An Ibis backend over a cursor of this workspace's connection, for reading in another
        thread while this one works (a DuckDB connection serves one thread at a time); closed on
        leaving.

        Example
        -------
        >>> with Workspace(":memory:") as ws, ws.reader() as other:
        ...     other.raw_sql("SELECT 1 AS one").fetchall()
        [(1,)]
        """
        import ibis

        cursor = self.con.cursor()
        backend = None
        try:
            backend = ibis.duckdb.from_connection(cursor)
            yield backend
        finally:
            try:
                release_cached(backend)
            finally:
                cursor.close()

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a pandas DataFrame (read-only: a write is refused, also
        :attr:`beside_writer`, where it runs in a read-only transaction of DuckDB's)."""
        self._check_free()
        with _faults(self.path, self.con):
            if not self.beside_writer or self._depth:
                return self.con.execute(query, params or []).df()
            self.con.execute("BEGIN TRANSACTION READ ONLY")
            try:
                out = self.con.execute(query, params or []).df()
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")  # a temporary table made in it stays, as elsewhere
            return out

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        """A workspace setting kept in ``xuanba_meta`` (e.g. ``time_zone``), or None when unset.

        Example
        -------
        >>> with Workspace(":memory:") as ws:
        ...     before = ws.setting("time_zone")
        ...     ws.set_setting("time_zone", "Asia/Shanghai")
        ...     before, ws.setting("time_zone")
        (None, 'Asia/Shanghai')
        """
        if META_TABLE not in {r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database()").fetchall()}:
            return None
        row = self.con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Record a workspace setting in ``xuanba_meta`` (inside the open transaction, if any)."""
        self._writable(Phrase("err_ro_set", key=quoted(key)))
        with self.transaction() as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
            con.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)", [key, value])

    @contextlib.contextmanager
    def memory_lowered(self, limit_bytes: int) -> Iterator[bool]:
        """DuckDB's memory limit lowered to ``limit_bytes`` while the body runs, then put back
        exactly as the workspace set it (``memory_limit``, ``$XUANBA_MEMORY_LIMIT`` or the
        default), after a failure too. Yields whether it was lowered: not when the limit is
        already that low, nor when it was changed since the workspace was opened (a
        ``SET memory_limit`` of the caller's, whose exact value DuckDB does not say), nor when
        DuckDB cannot free enough at once. DuckDB keeps the blocks it writes in its buffer pool up
        to its limit: a round's storing holds less with a low one (docs/scale.md).

        Example
        -------
        >>> with Workspace(":memory:", memory_limit="3GB") as ws:
        ...     with ws.memory_lowered(2**30) as lowered:
        ...         during = ws.sql("SELECT current_setting('memory_limit') AS m")["m"].iloc[0]
        ...     after = ws.sql("SELECT current_setting('memory_limit') AS m")["m"].iloc[0]
        ...     lowered, during, after
        (True, '1.0 GiB', '2.7 GiB')
        """
        exact, shown = self._limit
        now = _shown_limit(self.con)
        held = shown_bytes(now)
        lowered = False
        if now == shown and held is not None and held > limit_bytes:
            try:
                self.con.execute(f"SET memory_limit = '{int(limit_bytes)}B'")
                lowered = True
            except duckdb.Error:  # DuckDB could not evict enough to go under it now: leave it as it was
                pass

        def restore() -> None:
            if lowered:
                if exact is None:  # the workspace kept DuckDB's own default
                    self.con.execute("RESET memory_limit")
                else:
                    self.con.execute("SET memory_limit = ?", [exact])

        with put_back(restore):  # a failure of the block raised before one of the restore
            yield lowered

    # -- writing -----------------------------------------------------------------------------
    def lend(self, to: str | None) -> None:
        """Say that the connection is in use by another thread (``to``: what for), or free again
        (``None``): meanwhile :meth:`sql` and :meth:`transaction` refuse, instead of running on a
        connection another thread is writing with.

        Example
        -------
        >>> with Workspace(":memory:") as ws:
        ...     ws.lend("a test")
        ...     try:
        ...         ws.sql("SELECT 1")
        ...     except RuntimeError as exc:
        ...         print(exc)
        ...     ws.lend(None)
        ...     int(ws.sql("SELECT 1 AS one")["one"].iloc[0])
        the workspace's connection is in use by a test: wait for it first
        1
        """
        self._lent = to

    def _check_free(self) -> None:
        if self._lent is not None:  # a programming error, not a user's: said plainly
            raise RuntimeError(f"the workspace's connection is in use by {self._lent}: wait for it first")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single write path: everything inside commits together or not at all.

        Nested uses join the outer transaction (which then commits or rolls back everything).
        Two threads of this process writing to one file (two rounds into one workspace) take
        turns (:meth:`writing`): DuckDB would refuse the second ("write-write conflict").
        """
        self._check_free()
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        # read-only: nothing to take turns with (beside this process's writer, DuckDB refuses a write in it)
        with contextlib.nullcontext() if self.read_only else self.writing(), _faults(self.path, self.con):
            self.con.execute("BEGIN TRANSACTION READ ONLY" if self.beside_writer else "BEGIN TRANSACTION")
            self._depth = 1
            try:
                yield self.con
                self._commit()
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # after a failed commit too; raise what failed
                    self.con.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The block run while no other thread of this process writes to this workspace's file
        (waiting for one that does to finish its transaction); the same thread may enter again.

        Example
        -------
        >>> with Workspace(":memory:") as ws, ws.writing(), ws.transaction() as con:
        ...     con.execute("CREATE TABLE t (x INTEGER)").fetchall()
        []
        """
        if self.path == ":memory:":  # a database of its own: no other writer
            yield
            return
        with _file_lock(self.path):
            yield

    def _commit(self) -> None:
        """COMMIT the open transaction (where a full disk shows: DuckDB writes at commit)."""
        self.con.execute("COMMIT")

    def _writable(self, what: Phrase) -> None:
        """Refuse to ``what`` (a phrase of the table: the write asked for) in a workspace open read-only."""
        if self.read_only:
            raise WorkspaceError(Phrase("err_ws_read_only", what=what), file=self.path, fix=Phrase("err_ws_read_only_fix"))

    def ensure_table(self, name: str) -> None:
        """Create one of the fixed-layout tables (:data:`TABLE_COLUMNS`) when missing, and add
        the columns an existing one lacks (a table written by hand or by an older xuanba).

        Example
        -------
        >>> with Workspace(":memory:") as ws:
        ...     ws.ensure_table("transactions")
        ...     "is_return" in ws.columns("transactions")
        True
        """
        self._writable(Phrase("err_ro_create_table", name=quoted(name)))
        layout = TABLE_COLUMNS[name]
        if name in REQUIRED_COLUMNS and (found := layout_problem(self.con, only=name)):
            raise _layout_error(self.path, *found)  # adding an empty 'amount' would hide the damage
        with self.transaction() as con:
            cols = ", ".join(f"{_quote(c)} {t}" for c, t in layout.items())
            con.execute(f"CREATE TABLE IF NOT EXISTS {_quote(name)} ({cols})")
            have = self.columns(name)
            for col, typ in layout.items():
                if col not in have:
                    con.execute(f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(col)} {typ.split()[0]}")

    def insert(self, name: str, rows: pd.DataFrame | str, params: list[Any] | None = None) -> None:
        """Add rows to an existing table, matching columns by name (missing ones stay empty).

        ``rows`` is a DataFrame or a ``SELECT`` query (with ``?`` placeholders for ``params``)
        over the workspace and its scratch tables; column names must be the table's.

        Example
        -------
        >>> import pandas as pd
        >>> with Workspace(":memory:") as ws:
        ...     ws.ensure_table("rejects")
        ...     ws.insert("rejects", pd.DataFrame({"source_id": [1], "reason": ["bad"]}))
        ...     ws.insert("rejects", "SELECT ? AS source_id, 'worse' AS reason", [2])
        ...     ws.sql("SELECT source_id, reason FROM rejects ORDER BY 1").values.tolist()
        [[1, 'bad'], [2, 'worse']]
        """
        self._writable(Phrase("err_ro_write_to_table", name=quoted(name)))
        with self.transaction() as con, self._rows(rows) as select:
            con.execute(f"INSERT INTO {_quote(name)} BY NAME {select}", params or [])

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Add a table's rows to a table laid out by its data (side tables): created from the
        frame when missing, else the rows added by column name (new columns added, empty in the
        rows already there).

        Example
        -------
        >>> import pandas as pd
        >>> with Workspace(":memory:") as ws:
        ...     ws.append("needs", pd.DataFrame({"customer_id": ["A"], "tag": ["x"]}))
        ...     ws.append("needs", pd.DataFrame({"customer_id": ["B"], "budget": [9.0]}))
        ...     ws.sql("SELECT * FROM needs").shape
        (2, 3)
        """
        self._writable(Phrase("err_ro_write_to_table", name=quoted(name)))
        with self.transaction() as con, self._rows(frame) as select:
            if self.has_table(name):
                con.execute(f"CREATE OR REPLACE TABLE {_quote(name)} AS SELECT * FROM {_quote(name)} "
                            f"UNION ALL BY NAME {select}")
            else:
                con.execute(f"CREATE TABLE {_quote(name)} AS {select}")

    def replace(self, name: str, frame: pd.DataFrame) -> None:
        """Store ``frame`` as table ``name``, replacing what was there (e.g. ``facts``).

        Example
        -------
        >>> import pandas as pd
        >>> with Workspace(":memory:") as ws:
        ...     ws.replace("facts", pd.DataFrame({"customer_id": ["A", "B"]}))
        ...     ws.replace("facts", pd.DataFrame({"customer_id": ["C"]}))
        ...     ws.sql("SELECT * FROM facts")["customer_id"].tolist()
        ['C']
        """
        self._writable(Phrase("err_ro_write_table", name=quoted(name)))
        with self.transaction() as con, self._rows(frame) as select:
            con.execute(f"CREATE OR REPLACE TABLE {_quote(name)} AS {select}")

    @contextlib.contextmanager
    def _rows(self, rows: pd.DataFrame | str) -> Iterator[str]:
        """A SELECT over ``rows``: the query itself, or a registered DataFrame (unregistered after)."""
        if isinstance(rows, str):
            yield rows
            return
        view = "_xb_rows"
        self.con.register(view, rows)
        try:
            yield f"SELECT * FROM {view}"
        finally:
            self.con.unregister(view)

    def scratch(self, name: str, query: str, params: list[Any] | None = None, *, view: bool = False) -> None:
        """Keep a query's result as a temporary table (or view) for this connection only.

        Scratch tables are not part of the workspace: they vanish on close and may be made on a
        read-only workspace. See :func:`create_scratch`.
        """
        create_scratch(self.con, name, query, params, view=view)

    def drop_scratch(self, name: str, *, view: bool = False) -> None:
        """Drop a scratch table (or view) made by :meth:`scratch`, if it is there."""
        drop_scratch(self.con, name, view=view)

    # -- lifetime ----------------------------------------------------------------------------
    def cursor(self, stable: Any = None) -> Workspace:
        """Another handle on this open workspace for another thread (a DuckDB cursor): no new
        open and no checks, so it costs microseconds; closing it leaves this one open.
        ``stable``: its :attr:`stable` token (given by a caller that knows the file cannot change).

        Example
        -------
        >>> with Workspace(":memory:") as ws, ws.cursor() as other:
        ...     other.path == ws.path and other.read_only == ws.read_only
        True
        """
        other = object.__new__(Workspace)
        other.path, other.read_only, other._depth, other._ibis = self.path, self.read_only, 0, None
        other._lent, other._reading = None, None  # the cursor closes, not the connection
        other._limit = self._limit  # the same database: the same memory limit
        other.stable = stable
        other.beside_writer = self.beside_writer
        other.con = self.con.cursor()
        return other

    def close(self) -> None:
        """Close the connection (the file stays), after dropping the tables its Ibis backend
        still keeps (:func:`release_cached`)."""
        try:
            release_cached(self._ibis)
        finally:  # the connection closes whatever the release met
            self.con.close()
            reading, self._reading = self._reading, None  # closed twice: counted once
            _reader_closed(reading)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.path!r}{', read_only=True' if self.read_only else ''})"


def _other_configuration(exc: BaseException) -> bool:
    return "different configuration" in str(exc)


#: How long opening a workspace to write waits for this process's read-only connections to the file
#: to close (an engine round reading the side tables holds one for a moment) before it is refused.
READERS_WAIT_S = 30.0
#: a file's real path -> this process's Workspaces open on it (not their cursors)
_OPEN: dict[str, int] = {}
#: a file's real path -> the read-only ones among them, by the thread that opened each
_READERS: dict[str, dict[int, int]] = {}
_READERS_LEFT = threading.Condition()  # guards both
_OPENING = threading.Lock()  # one open at a time: a file's head read while none of this process has it open


def _connected(path: str, key: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, counted in :data:`_OPEN`; the file's head checked first (:func:`_check_file`)
    only where no Workspace of this process has it open: closing a file drops every POSIX lock the
    process holds on it, DuckDB's among them, and another process could then open it to write too
    (its round not refused, one of the two processes' commits lost)."""
    with _OPENING:
        with _READERS_LEFT:
            here = bool(_OPEN.get(key))
        if not here:
            _check_file(Path(path))
        con = duckdb.connect(path, read_only=read_only)
        with _READERS_LEFT:
            _OPEN[key] = _OPEN.get(key, 0) + 1
    return con


def _connect(path: str, read_only: bool) -> tuple[duckdb.DuckDBPyConnection, tuple[str, int, bool] | None, bool]:
    """DuckDB's connection to ``path``, the token to give :func:`_reader_closed` when it closes
    (``None``: in memory), and whether it is a reader beside a writer. DuckDB keeps one database per
    file and process and refuses a second open of another configuration: a reader where this
    process has the file open to write (another thread's round storing into it) reads through that
    database, committed state only; a writer where other threads have it open read-only waits up to
    :data:`READERS_WAIT_S` for those readers to close, and is refused at once where this thread has
    (it would wait for itself)."""
    if path == ":memory:":
        return duckdb.connect(path, read_only=read_only), None, False
    key, me = os.path.realpath(path), threading.get_ident()
    try:
        con = _connected(path, key, read_only)
    except duckdb.ConnectionException as exc:
        if not _other_configuration(exc):
            raise
        if read_only:
            return _connected(path, key, False), (key, me, False), True
        until = time.monotonic() + READERS_WAIT_S
        while True:  # a reader may open between the last one closing and this open: wait again
            with _READERS_LEFT:
                if _READERS.get(key, {}).get(me):
                    raise WorkspaceError(Phrase("err_ws_read_this"), file=path, fix=Phrase("err_ws_read_here_fix")) from None
                _READERS_LEFT.wait_for(lambda: not _READERS.get(key), timeout=max(0.0, until - time.monotonic()))
            try:
                return _connected(path, key, False), (key, me, False), False
            except duckdb.ConnectionException as again:  # refused again when a reader stayed the whole wait
                if not _other_configuration(again) or time.monotonic() >= until:
                    raise
    if read_only:
        with _READERS_LEFT:
            by_thread = _READERS.setdefault(key, {})
            by_thread[me] = by_thread.get(me, 0) + 1
    return con, (key, me, read_only), False


def _reader_closed(token: tuple[str, int, bool] | None) -> None:
    """Count a connection :func:`_connect` made closed (a reader's: writers waiting are told)."""
    if token is None:
        return
    key, thread, reading = token
    with _READERS_LEFT:
        _OPEN[key] -= 1
        if not _OPEN[key]:
            del _OPEN[key]
        if not reading:
            return
        by_thread = _READERS[key]
        by_thread[thread] -= 1
        if not by_thread[thread]:
            del by_thread[thread]
        if not by_thread:
            del _READERS[key]
        _READERS_LEFT.notify_all()


_FILE_LOCKS: dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: str) -> threading.RLock:
    """This process's lock of the workspace file ``path`` (one per file, however it is named)."""
    key = os.path.realpath(path)
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.RLock())


def create_scratch(con: duckdb.DuckDBPyConnection, name: str, query: str, params: list[Any] | None = None,
                   *, view: bool = False) -> None:
    """``CREATE OR REPLACE TEMP TABLE name AS query`` (or a temp view) on a connection.

    The staging of ingest works on a bare connection too (see :mod:`xuanba.ingest.read`).

    Example
    -------
    >>> con = duckdb.connect()
    >>> create_scratch(con, "_t", "SELECT 1 AS x")
    >>> con.execute("SELECT x FROM _t").fetchall()
    [(1,)]
    """
    kind = "VIEW" if view else "TABLE"
    con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {query}", params or [])


def drop_scratch(con: duckdb.DuckDBPyConnection, name: str, *, view: bool = False) -> None:
    """Drop a temp table (or view) made by :func:`create_scratch`, if it exists."""
    con.execute(f"DROP {'VIEW' if view else 'TABLE'} IF EXISTS {name}")


@contextlib.contextmanager
def open_workspace(
    workspace: Workspace | str | os.PathLike[str],
    *,
    read_only: bool = False,
    create: bool = False,
    threads: int | None = None,
) -> Iterator[Workspace]:
    """A Workspace from "a Workspace or a path": the given one, unchanged and left open, or one
    opened on the path and closed at the end.

    Parameters
    ----------
    workspace
        An open :class:`Workspace`, or the path of its file.
    read_only
        Open a path read-only (reading functions and commands). A Workspace given open
        read-only where writing is needed (``read_only=False``) is an error.
    create
        Create a missing file (writing functions that start a workspace, such as ingest).
    threads
        DuckDB worker threads for a path opened here.

    Example
    -------
    >>> ws = Workspace(":memory:")
    >>> with open_workspace(ws, read_only=True) as same:
    ...     same is ws
    True
    >>> ws.has_table("sources")  # still open
    False
    """
    if isinstance(workspace, Workspace):
        if workspace.read_only and not read_only:
            raise WorkspaceError(Phrase("err_ws_lent_read_only"), file=workspace.path,
                                 fix=Phrase("err_ws_lent_read_only_fix"))
        yield workspace
        return
    with Workspace(workspace, create=create, read_only=read_only, threads=threads) as ws:
        yield ws


def release_cached(backend: Any) -> None:
    """Drop the tables an Ibis backend still keeps for ``.cache()`` (the engine's kept tables a
    round's expressions hold until they are garbage collected), the way Ibis releases one
    (``CachedTable.release``), before its connection is closed: else Ibis drops each when its
    expression is collected, at the latest at the interpreter's exit, on a closed connection, and
    prints "Connection already closed" for each. ``None`` (no backend made): nothing to do.
    An Ibis whose backend keeps them otherwise (these are private attributes, not promised
    between versions) is left to release them its own way: nothing is dropped here, and nothing
    raised, as is any error of one drop (a connection already closed elsewhere).

    Example
    -------
    >>> with Workspace(":memory:") as ws:
    ...     _ = ws.con.execute("CREATE TABLE t AS SELECT 1 AS one")
    ...     kept = ws.table("t").cache()
    ...     temporary = "SELECT count(*) FROM duckdb_tables() WHERE temporary"
    ...     before = ws.con.execute(temporary).fetchone()[0]
    ...     release_cached(ws.ibis)
    ...     before, ws.con.execute(temporary).fetchone()[0]
    (1, 0)
    >>> class Elsewhere:  # an Ibis that names its kept tables but releases them another way
    ...     _cache_name_to_entry = {"kept": object()}
    >>> release_cached(Elsewhere())
    """
    if backend is None:
        return
    entries = getattr(backend, "_cache_name_to_entry", None)
    finalize = getattr(backend, "_finalize_cached_table", None)
    if not isinstance(entries, Mapping) or not callable(finalize):
        return
    for name in list(entries):
        with contextlib.suppress(Exception):  # a connection already closed, a drop Ibis refused
            finalize(name)


def schema_version(workspace: Workspace | str | os.PathLike[str]) -> int:
    """The schema version a workspace records, without upgrading or changing it.

    0 means a workspace written before versions were recorded (or an empty file); compare with
    :data:`SCHEMA_VERSION`. A path opens as a read-only :class:`Workspace` does (:func:`_connect`):
    where this process has the file open to write, its version is read through that database
    (what is committed); where another process holds it, the workspace's own refusal ("another
    process (PID n) holds the workspace open").

    Example
    -------
    >>> schema_version(Workspace(":memory:")) == SCHEMA_VERSION
    True
    """
    if isinstance(workspace, Workspace):
        return workspace.schema_version
    path = str(workspace)
    if not Path(path).exists():
        raise WorkspaceError(Phrase("err_ws_not_found"), file=path, fix=Phrase("err_ws_not_found_existing"))
    try:
        with _faults(path, reading=True):
            con, token, _ = _connect(path, read_only=True)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise WorkspaceError(Phrase("err_ws_open_read", detail=_first(exc)), file=path,
                             fix=Phrase("err_ws_open_fix")) from None
    try:
        with _faults(path, con):
            return _recorded(con)[0] or 0
    finally:
        con.close()
        _reader_closed(token)


def upgrade_workspace(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Bring a workspace to :data:`SCHEMA_VERSION`; return (version before, version after).

    Opening a workspace for writing upgrades it anyway; this does only that (``xuanba upgrade``).
    The file must exist.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ws.duckdb"
    >>> Workspace(path).close()
    >>> upgrade_workspace(path) == (SCHEMA_VERSION, SCHEMA_VERSION)
    True
    """
    before = schema_version(path)
    with Workspace(path, create=False) as ws:
        return before, ws.schema_version


def remove_if_empty(path: str | os.PathLike[str]) -> bool:
    """Delete the workspace file ``path`` (and its write-ahead log) when no table in it holds a
    row: what a command that failed on a workspace it was creating leaves behind. A file that
    cannot be opened (held by another process, damaged, not a workspace) or that holds data is
    left alone. Returns whether the file was removed.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ws.duckdb"
    >>> Workspace(path).close()
    >>> remove_if_empty(path), path.exists()
    (True, False)
    """
    file = Path(path)
    if not file.is_file():
        return False
    try:
        with Workspace(file, read_only=True) as ws:
            names = ws.con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
            for (name,) in names:
                if name != META_TABLE and ws.con.execute(f"SELECT 1 FROM {_quote(name)} LIMIT 1").fetchone():
                    return False
    except (duckdb.Error, WorkspaceError, OSError):
        return False
    for part in (file, file.with_name(file.name + ".wal")):
        try:
            part.unlink(missing_ok=True)
        except OSError:
            return False
    return True
