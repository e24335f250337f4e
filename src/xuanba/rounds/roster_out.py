"""Where an engine round's roster lands (``--roster-out``): a folder, a URL Spark writes, or a
table of Spark's catalog.

* a **folder** (``out/round-2026-06-30``): ``roster.parquet`` and ``fields.parquet`` in it, written
  by the engine (a folder of parts on Spark, which on a cluster must be a folder every executor
  and the driver see);
* a **URL** (``s3a://…``, ``hdfs://…``, ``abfss://…``, ``file://…``): the same two, written by
  Spark's executors through Hadoop's file systems. DuckDB writes a URL only with its ``httpfs``
  extension, which xuanba does not download: refused, but ``file://`` is a local folder to it;
* a **catalog table** (``table:db.name``): the roster in ``db.name``, the fields in
  ``db.name_fields`` (Spark only). A table that exists is refused unless ``replace`` is given.

Whole or not at all (:func:`roster_landing`): both are written under temporary names beside their
destinations; the round is stored; only then are they swapped in (the earlier one renamed aside,
the new one renamed into place, the earlier one dropped). A job that dies while writing, or a
round that fails to store, leaves the earlier roster and fields as they were. What is left open:
a death between the round's commit and the two renames leaves the stored round beside the earlier
files (its ``roster_sha256`` tells them apart); on an object store a rename is a copy, so that
window is longer, and a death between a swap's two renames leaves the earlier roster under its
temporary ``…-old-…`` name.

Example
-------
>>> parse_roster_out("table:sales.roster").places()
{'roster': 'table:sales.roster', 'fields': 'table:sales.roster_fields'}
>>> parse_roster_out("s3a://lake/xuanba/r1/").places()["roster"]
's3a://lake/xuanba/r1/roster.parquet'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from xuanba.errors import InputError, Phrase
from xuanba.rounds.spark import _first_line

#: The prefix that names a catalog table in ``--roster-out``.
TABLE_PREFIX = "table:"
#: ``[catalog.]db.name`` or ``name``: plain identifiers, never SQL.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_TMP = ".xuanba-tmp-"
#: What a folder or URL must not hold: characters DuckDB and Spark read as a glob (a roster read
#: back would be other folders' too) and control characters (a line break is written as ``\n`` by
#: the SQL an engine runs: the write fails after the whole round).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f*?\[\]{}]")


@dataclass(frozen=True)
class RosterOut:
    """Where the roster goes: ``kind`` is ``"folder"``, ``"url"`` or ``"table"``; ``where`` the
    folder, the URL (no trailing slash) or the table's name; ``replace``: a table that exists
    may be replaced (a folder's or a URL's two files always are, whole); ``temporary``: written for
    the run's own use and removed after it (a replay's rank correlation), so the stored round does
    not name it."""

    kind: str
    where: str
    replace: bool = False
    temporary: bool = False

    def places(self) -> dict[str, str]:
        """Where the roster and the fields are written, as the round's meta records them."""
        if self.kind == "table":
            return {"roster": f"{TABLE_PREFIX}{self.where}", "fields": f"{TABLE_PREFIX}{self.where}_fields"}
        if self.kind == "url":
            return {"roster": f"{self.where}/roster.parquet", "fields": f"{self.where}/fields.parquet"}
        return {"roster": str(Path(self.where) / "roster.parquet"), "fields": str(Path(self.where) / "fields.parquet")}

    def for_cutoff(self, cutoff: dt.date) -> RosterOut:
        """Where a replay writes its round at ``cutoff``: a sub-folder or
        sub-path ``<where>/2025-03-31``, or the table ``<where>_20250331`` (and its ``…_fields``),
        so that listing them sorts them by cutoff.

        Example
        -------
        >>> import datetime as dt
        >>> str(parse_roster_out("table:sales.roster").for_cutoff(dt.date(2025, 3, 31)))
        'table:sales.roster_20250331'
        >>> str(parse_roster_out("s3a://lake/r/").for_cutoff(dt.date(2025, 3, 31)))
        's3a://lake/r/2025-03-31'
        """
        if self.kind == "table":
            where = f"{self.where}_{cutoff:%Y%m%d}"
        elif self.kind == "url":
            where = f"{self.where}/{cutoff.isoformat()}"
        else:
            where = str(Path(self.where) / cutoff.isoformat())
        return RosterOut(self.kind, where, self.replace, self.temporary)

    def __str__(self) -> str:
        return f"{TABLE_PREFIX}{self.where}" if self.kind == "table" else self.where


def parse_roster_out(value: str | os.PathLike[str] | RosterOut | None, *, replace: bool = False) -> RosterOut | None:
    """``--roster-out`` as a :class:`RosterOut` (``None`` stays ``None``); a table name that is
    not plain identifiers is an :class:`InputError`.

    Example
    -------
    >>> parse_roster_out("table:x; drop table y")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: --roster-out 'table:x; drop table y' is not a table name
      fix: Name a catalog table as table:db.name (letters, digits and _), e.g. table:sales.roster.
    """
    if value is None or isinstance(value, RosterOut):
        return value
    if isinstance(value, os.PathLike):  # a Path has lost a URL's double slash: it is a folder
        return RosterOut("folder", _safe(os.fspath(value)), replace)
    text = str(value).strip()
    if not text:
        raise InputError(Phrase("err_roster_out_empty"), fix=Phrase("err_roster_out_empty_fix"))
    if text.lower().startswith(TABLE_PREFIX):
        name = text[len(TABLE_PREFIX):].strip()
        if not _TABLE.match(name):
            raise InputError(Phrase("err_roster_out_table_name", value=repr(text)),
                             fix=Phrase("err_roster_out_table_name_fix"))
        return RosterOut("table", name, replace)
    if "://" in text:
        return RosterOut("url", _safe(text).rstrip("/"), replace)
    return RosterOut("folder", _safe(text), replace)


def _safe(where: str) -> str:
    """``where`` (a folder or a URL), or an :class:`InputError` when it holds :data:`_UNSAFE`
    characters.

    Example
    -------
    >>> _safe("out/round-*")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: --roster-out 'out/round-*' holds '*', which the engines read as a pattern or cannot write
      fix: Name a folder or URL without line breaks, control characters or * ? [ ] { }.
    """
    found = sorted(set(_UNSAFE.findall(where)))
    if found:
        raise InputError(Phrase("err_roster_out_chars", value=repr(where), chars=", ".join(map(repr, found))),
                         fix=Phrase("err_roster_out_chars_fix"))
    return where


def checked_roster_out(target: RosterOut | None, backend: Any) -> RosterOut | None:
    """``target`` checked against the engine ``backend`` before the round runs (so a mistake
    costs no round): a folder exists or can be made and takes a file; a URL is Spark's (a
    ``file://`` URL is a folder to DuckDB); a table is Spark's, its database exists and it is
    new unless replaced. Returns the target as it will be written."""
    if target is None:
        return None
    spark = getattr(backend, "name", None) == "pyspark"
    if target.kind == "url" and not spark:
        parsed = urlparse(target.where)
        if parsed.scheme.lower() != "file":
            raise InputError(Phrase("err_roster_out_url_duckdb", value=repr(target.where)),
                             fix=Phrase("err_roster_out_url_duckdb_fix"))
        target = RosterOut("folder", unquote(parsed.path), target.replace, target.temporary)
    if target.kind == "table" and not spark:
        raise InputError(Phrase("err_roster_out_table_duckdb", value=repr(str(target))),
                         fix=Phrase("err_roster_out_table_duckdb_fix"))
    if target.kind == "folder":
        _check_folder(Path(target.where))
    elif target.kind == "url":
        _file_system(backend._session, target.where)
    else:
        _check_tables(backend._session, target)
    return target


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(Phrase("err_roster_out_file", value=repr(str(out))), file=str(out),
                         fix=Phrase("err_roster_out_file_fix"))
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=_TMP):  # a folder that exists may still refuse a file
            pass
    except OSError as exc:
        raise InputError(Phrase("err_roster_out_unwritable", value=repr(str(out)), detail=exc.strerror or str(exc)),
                         file=str(out), fix=Phrase("err_roster_out_unwritable_fix")) from None


def _jvm_path(session: Any, url: str) -> tuple[Any, Any]:
    jvm = session.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    return path, path.getFileSystem(session.sparkContext._jsc.hadoopConfiguration())


def _file_system(session: Any, url: str) -> Any:
    """Hadoop's file system of ``url`` (one Spark has a connector for), or an :class:`InputError`."""
    try:
        return _jvm_path(session, url)[1]
    except Exception as exc:  # noqa: BLE001 - py4j's error: no connector for the scheme, a bad URL
        raise InputError(Phrase("err_roster_out_url_spark", value=repr(url), detail=_first_line(exc)),
                         fix=Phrase("err_roster_out_url_spark_fix")) from None


def _split(name: str) -> tuple[str | None, str]:
    db, _, table = name.rpartition(".")
    return (db or None), table


def _quoted(name: str) -> str:
    return ".".join(f"`{part}`" for part in name.split("."))


def _check_tables(session: Any, target: RosterOut) -> None:
    db, _ = _split(target.where)
    if db is not None and not session.catalog.databaseExists(db):
        raise InputError(Phrase("err_roster_out_no_database", db=repr(db), value=repr(str(target))),
                         fix=Phrase("err_roster_out_no_database_fix", db=db))
    if target.replace:
        return
    there = [p for p in (target.where, f"{target.where}_fields") if session.catalog.tableExists(p)]
    if there:
        raise InputError(Phrase("err_roster_out_table_exists", tables=", ".join(there)),
                         fix=Phrase("err_roster_out_table_exists_fix"))


@contextlib.contextmanager
def roster_landing(target: RosterOut, roster: Any, fields: Any) -> Iterator[dict[str, str]]:
    """Have the engine write the Ibis tables ``roster`` and ``fields`` for ``target`` (checked by
    :func:`checked_roster_out`) under temporary names, and yield :meth:`RosterOut.places`; both
    are swapped into place when the ``with`` block ends cleanly, and both temporary copies are
    removed when it raises. The round is stored inside the block, so a round that fails to store
    (a full disk, a lock, a kill) leaves the earlier roster and fields whole, and the two files in
    place are always one round's. An error of the writing is an :class:`InputError` naming where.

    Example
    -------
    >>> import ibis, pyarrow as pa, tempfile, pathlib
    >>> out = RosterOut("folder", tempfile.mkdtemp())
    >>> t = ibis.memtable(pa.table({"customer_id": ["a"], "rank": [1]}))
    >>> with roster_landing(out, t, t) as places:
    ...     sorted(p.name for p in pathlib.Path(out.where).iterdir() if not p.name.startswith("."))
    []
    >>> sorted(p.name for p in pathlib.Path(out.where).iterdir())
    ['fields.parquet', 'roster.parquet']
    """
    places = target.places()
    landing = {"folder": _folder_landing, "url": _url_landing, "table": _table_landing}[target.kind]
    with contextlib.ExitStack() as swaps:  # left in reverse order: the fields swapped in first, then the roster
        for what, expr in (("roster", roster), ("fields", fields)):
            write = swaps.enter_context(_swap_said(places[what], landing(places[what])))
            try:
                write(expr)
            except InputError:
                raise
            except Exception as exc:  # noqa: BLE001 - a full disk, a lost permission, a store that refused
                raise _write_error(places[what], exc) from None
        yield places


def _write_error(place: str, exc: BaseException) -> InputError:
    return InputError(Phrase("err_roster_out_write", place=repr(place), detail=_first_line(exc)),
                      fix=Phrase("err_roster_out_write_fix"))


@contextlib.contextmanager
def _swap_said(place: str, pending: Any) -> Iterator[Any]:
    """Enter ``pending`` (a landing of ``place``); an error of its swap, when it is left cleanly,
    is an :class:`InputError` naming the place; an error of the ``with`` block passes unchanged."""
    body_failed = False
    try:
        with pending as write:
            try:
                yield write
            except BaseException:
                body_failed = True
                raise
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a rename refused, a store gone
        if body_failed:
            raise
        raise _write_error(place, exc) from None


@contextlib.contextmanager
def _folder_landing(dest: str) -> Iterator[Any]:
    """A writer of ``dest`` (a Parquet file, or a folder of parts) under a temporary name beside
    it, swapped in whole on a clean exit, removed on an error (:func:`xuanba._files.atomic_tree`)."""
    from xuanba._files import atomic_tree

    with atomic_tree(dest) as tmp:
        yield lambda expr: _write_parquet(expr, str(tmp))


def _write_parquet(expr: Any, path: str) -> None:
    """``expr`` written as Parquet at ``path`` by its engine. On DuckDB the ``COPY`` is made here
    with the path as a SQL string (its quotes doubled): Ibis 12's ``to_parquet`` writes it with
    Python's ``repr``, which a folder named with both quote marks turns into broken SQL or SQL of
    its own."""
    backend = expr._find_backend(use_default=True)
    if getattr(backend, "name", None) != "duckdb":
        expr.to_parquet(path)
        return
    backend._run_pre_execute_hooks(expr)  # the in-memory tables it reads, registered
    literal = "'" + path.replace("'", "''") + "'"
    with backend._safe_raw_sql(f"COPY ({backend.compile(expr)}) TO {literal} (FORMAT 'parquet')"):
        pass


def _spark_frame(expr: Any) -> Any:
    backend = expr._find_backend(use_default=True)
    backend._run_pre_execute_hooks(expr)  # the in-memory tables it reads, registered
    return backend._session.sql(backend.compile(expr)), backend._session


@contextlib.contextmanager
def _url_landing(dest: str) -> Iterator[Any]:
    """A writer of Spark Parquet parts under a hidden sibling of ``dest``, swapped in on a clean
    exit (the earlier parts renamed aside, then dropped), removed on an error."""
    session = None
    parts: dict[str, Any] = {}

    def write(expr: Any) -> None:
        nonlocal session
        frame, session = _spark_frame(expr)
        parts["tmp"], parts["fs"] = _jvm_path(session, tmp)[0], _jvm_path(session, dest)[1]
        frame.write.format("parquet").mode("errorifexists").save(tmp)

    parent, _, leaf = dest.rpartition("/")
    tag = f"{_TMP}{uuid.uuid4().hex[:12]}-"
    tmp, old = f"{parent}/{tag}{leaf}", f"{parent}/{tag}old-{leaf}"
    try:
        yield write
        fs = parts["fs"]
        jdest, jtmp, jold = (_jvm_path(session, u)[0] for u in (dest, tmp, old))
        moved = fs.exists(jdest)
        if moved and not fs.rename(jdest, jold):
            raise OSError(f"could not move the earlier {dest} aside")
        if not fs.rename(jtmp, jdest):
            if moved:
                fs.rename(jold, jdest)  # the earlier roster back in its place
            raise OSError(f"could not rename the new parts into {dest}")
        if moved:
            fs.delete(jold, True)
    finally:
        with contextlib.suppress(Exception):
            if parts and parts["fs"].exists(parts["tmp"]):
                parts["fs"].delete(parts["tmp"], True)


@contextlib.contextmanager
def _table_landing(place: str) -> Iterator[Any]:
    """A writer of a new catalog table beside ``place`` (``table:db.name``), renamed into place on a
    clean exit (the earlier table renamed aside and dropped once the new one holds the name),
    dropped on an error."""
    session = None
    name = place.removeprefix(TABLE_PREFIX)
    db, table = _split(name)
    tag = uuid.uuid4().hex[:12]
    prefix = f"{db}." if db else ""
    tmp, old = f"{prefix}{table}__xuanba_tmp_{tag}", f"{prefix}{table}__xuanba_old_{tag}"

    def write(expr: Any) -> None:
        nonlocal session
        frame, session = _spark_frame(expr)
        frame.write.format("parquet").mode("errorifexists").saveAsTable(tmp)

    try:
        yield write
        moved = session.catalog.tableExists(name)
        if moved:
            session.sql(f"ALTER TABLE {_quoted(name)} RENAME TO {_quoted(old)}")
        try:
            session.sql(f"ALTER TABLE {_quoted(tmp)} RENAME TO {_quoted(name)}")
        except Exception:
            if moved:
                session.sql(f"ALTER TABLE {_quoted(old)} RENAME TO {_quoted(name)}")
            raise
        if moved:
            session.sql(f"DROP TABLE IF EXISTS {_quoted(old)}")
    finally:
        if session is not None:
            with contextlib.suppress(Exception):
                session.sql(f"DROP TABLE IF EXISTS {_quoted(tmp)}")
