"""Spark for a round: the session from ``--spark-conf`` settings, and the transactions from a
path or a catalog table (``--source``). pyspark is imported here only, when a round asks for it.

Example
-------
>>> parse_spark_conf(["spark.sql.shuffle.partitions=8", "spark.driver.memory = 2g"])
{'spark.sql.shuffle.partitions': '8', 'spark.driver.memory': '2g'}
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from xuanba.errors import InputError, Phrase, SchemaError

#: Settings a round on Spark starts with unless ``--spark-conf`` says otherwise: time in UTC (as
#: the workspace; a cutoff is a calendar day) and no web UI.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
#: Formats ``--source`` reads by the ending of a path (a folder of Parquet parts: no ending).
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".json": "json", ".orc": "orc"}
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
#: The temporary views a round registers on a Spark session: what it keeps
#: (:mod:`xuanba.standard.engine_spark`), what a replay reads back, and Ibis's in-memory tables
#: (the selected ids ...).
ROUND_VIEWS = re.compile(r"^(_xuanba_(kept|sorted|arrow|read)_[0-9a-f]+|ibis_[a-z]+_memtable_[a-z0-9]+)$")
#: The temporary view :func:`spark_source` names the transactions by.
SOURCE_VIEWS = re.compile(r"^xuanba_source_[0-9a-f]{32}$")


def parse_spark_conf(items: Iterable[str]) -> dict[str, str]:
    """``key=value`` settings (as ``spark-submit --conf``) as a dict; a malformed one is an
    :class:`InputError` naming it. A key given twice keeps the last value.

    Example
    -------
    >>> parse_spark_conf(["spark.master"])
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: --spark-conf 'spark.master' is not key=value
      fix: Write each setting as key=value, e.g. --spark-conf spark.sql.shuffle.partitions=200.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise InputError(Phrase("err_spark_conf_kv", item=repr(item)), fix=Phrase("err_spark_conf_kv_fix"))
        if not _KEY.match(key):
            raise InputError(Phrase("err_spark_conf_key", item=repr(item), key=repr(key)),
                             fix=Phrase("err_spark_conf_key_fix"))
        if not value:
            raise InputError(Phrase("err_spark_conf_value", item=repr(item)), fix=Phrase("err_spark_conf_value_fix", key=key))
        out[key] = value
    return out


def spark_backend(conf: Mapping[str, str] | None = None, *, app_name: str = "xuanba") -> Any:
    """An Ibis backend on the Spark session (created, or the one already running, e.g. under
    ``spark-submit``) with :data:`DEFAULT_CONF` and ``conf`` applied. Without a
    ``spark.master`` anywhere the session runs locally on every core (``local[*]``)."""
    try:
        import ibis
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(Phrase("err_spark_missing"),
                         fix="pip install 'xuanba[spark]'") from None
    settings = {**DEFAULT_CONF, **dict(conf or {})}
    # a session running (a notebook's) is joined as it is: a builder's options would be written into
    # its settings (its spark.app.name renamed) though only the SQL ones can take effect
    session = SparkSession.getActiveSession()
    if session is None:
        builder = SparkSession.builder.appName(app_name)
        if "spark.master" not in settings and not SparkConf().contains("spark.master"):
            builder = builder.master("local[*]")
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - no Java, a bad master URL, a bad memory size: the user's setup
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(Phrase("err_spark_start", detail=first), fix=Phrase("err_spark_start_fix")) from None
    for key, value in settings.items():  # a session already running takes the SQL settings it can
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return ibis.pyspark.connect(session)


@contextlib.contextmanager
def spark_session(conf: Mapping[str, str] | None = None, *, app_name: str = "xuanba") -> Iterator[Any]:
    """:func:`spark_backend` for a block: a session it started is stopped when the block ends; a
    session already running (a notebook's, spark-submit's) is left running, its SQL settings as
    they were before the block."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(Phrase("err_spark_missing"), fix="pip install 'xuanba[spark]'") from None
    running = SparkSession.getActiveSession()
    before = _sql_settings(running, conf) if running is not None else {}
    backend = spark_backend(conf, app_name=app_name)
    try:
        with temp_views_dropped(backend, SOURCE_VIEWS):  # a running session keeps no view of ours
            yield backend
    finally:
        if running is None:
            backend._session.stop()
        else:  # xuanba's settings, and those Ibis sets on connecting (spark.sql.mapKeyDedupPolicy), undone
            after = _sql_settings(running, conf)
            for key in {*before, *after}:
                if after.get(key) == before.get(key):
                    continue
                if before.get(key) is None:
                    running.conf.unset(key)
                else:
                    running.conf.set(key, before[key])


def _sql_settings(session: Any, conf: Mapping[str, str] | None) -> dict[str, str | None]:
    """The SQL settings of ``session`` a block may change: every one set (``conf.getAll``, pyspark
    4), else those xuanba sets (:data:`DEFAULT_CONF` and ``conf``) with the one Ibis sets."""
    every = getattr(session.conf, "getAll", None)
    if every is not None:
        return {k: v for k, v in dict(every).items() if k.startswith("spark.sql.")}
    keys = {*DEFAULT_CONF, *dict(conf or {}), "spark.sql.mapKeyDedupPolicy"}
    return {k: session.conf.get(k, None) for k in keys if k.startswith("spark.sql.")}


def _temp_views(session: Any, pattern: re.Pattern[str]) -> set[str]:
    """The session's temporary views whose names match ``pattern`` (names only: ``SHOW TABLES``
    reads no table's metadata, ``catalog.listTables`` reads every one's)."""
    rows = session.sql("SHOW TABLES").collect()
    return {r.tableName for r in rows if r.isTemporary and pattern.match(r.tableName)}


@contextlib.contextmanager
def temp_views_dropped(backend: Any, pattern: re.Pattern[str] = ROUND_VIEWS) -> Iterator[None]:
    """The temporary views (names matching ``pattern``) that the block registers on the Spark
    session of the Ibis ``backend`` dropped when it ends, returned from or failed, so a session used
    for many rounds (a notebook's, one ``--spark-conf`` joins) is left with the views it had. An
    Ibis in-memory table whose view is dropped is forgotten by the backend too (registered again if
    read again). Elsewhere than Spark nothing."""
    if getattr(backend, "name", None) != "pyspark":
        yield
        return
    session = backend._session
    before = _temp_views(session, pattern)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a session stopped in the block: nothing left to drop
            made = _temp_views(session, pattern) - before
            for name in made:
                session.catalog.dropTempView(name)
            known = getattr(backend, "_memtables", None)
            for op in [m for m in list(known or ()) if m.name in made]:
                known.discard(op)


def spark_source(backend: Any, source: str | Path, *, mapping: Mapping[str, str] | None = None) -> Any:
    """The Ibis table ``source`` names on the Spark ``backend``: a path (a file or a folder of
    Parquet parts, or ``.csv``/``.json``/``.orc``; any URL Spark reads, ``s3a://…``, ``hdfs://…``)
    or a table of the catalog (``db.table``). A source that cannot be read is an
    :class:`InputError` naming it, never a Spark traceback; one with a field's name written twice
    (``amount`` and ``AMOUNT``) the :class:`~xuanba.errors.SchemaError` DuckDB's round and ingest
    give (:func:`_twin_headers`, :func:`_read_twins_left_out`; ``mapping`` ``{field: header}``:
    the round's, whose columns count as a field's). Twins no field reads (``note`` and ``NOTE``)
    are read as DuckDB's round reads them: not used (a Parquet file's left out of the view). A
    local CSV is checked and read as DuckDB's round reads its CSV (:func:`_local_csv_options`), its
    id and return columns as text (:func:`_text_read_as_text`)."""
    text = str(source).strip()
    if not text:
        raise InputError(Phrase("err_source_empty"), fix=Phrase("err_source_empty_fix"))
    session = backend._session
    is_url = "://" in text
    path = Path(text)
    if is_url or path.exists() or path.suffix.lower() in FORMATS or "/" in text or "\\" in text:
        where = text if is_url or path.exists() else _glob_files(text)  # a local glob: the very files checked
        if not where:
            raise InputError(Phrase("err_source_missing", source=repr(text)), file=text,
                             fix=Phrase("err_source_missing_fix"))
        fmt = FORMATS.get(path.suffix.lower(), "parquet")
        told = _local_csv_options(text, mapping) if fmt == "csv" and not is_url else {}
        try:
            try:
                frame = _reader(session, fmt, told).load(where)
                frame.schema  # noqa: B018 - resolves the files now, so a bad one fails here
            except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and friends
                frame = _read_twins_left_out(session, fmt, where, exc, mapping, told)
                if frame is None:
                    raise
        except SchemaError:  # a field's name written twice
            raise
        except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and friends
            raise InputError(Phrase("err_source_unreadable", source=repr(text), fmt=fmt, detail=_first_line(exc)),
                             file=text, fix=Phrase("err_source_url_spark_fix" if is_url else "err_source_unreadable_fix")
                             ) from None
        if fmt == "csv":
            header = _csv_header_line(session, where, told)
            if is_url:  # not read before Spark: what its read shows of the header, said
                _refuse_url_header(session, where, told, header, mapping)
            if "multiLine" not in told and any("\n" in name or "\r" in name for name in header):
                # a header cell over two lines (Alt+Enter) in a file not scanned (a URL's)
                frame = _reader(session, fmt, {**told, "multiLine": "true"}).load(where)
            twins = _twin_headers(text, header, frame.columns, mapping)
            if twins is not None:
                raise twins
            frame = _text_read_as_text(session, where, frame, mapping, told)
            if not is_url and "multiLine" not in told:  # the lines its line reader skips (multiLine reads
                frame = _with_blank_rows(session, text, frame, mapping)  # them), as ingest reads them: rows, rejected
        # a name of its own: a second source read in the same session must not replace the first's view
        view = f"xuanba_source_{uuid.uuid4().hex}"
        frame.createOrReplaceTempView(view)
        return backend.table(view)
    if not _TABLE.match(text):
        raise InputError(Phrase("err_source_neither", source=repr(text)), fix=Phrase("err_source_neither_fix"))
    try:
        *where, name = text.split(".")
        database = (where[0] if len(where) == 1 else tuple(where)) if where else None
        return backend.table(name, database=database)
    except Exception as exc:  # noqa: BLE001
        raise InputError(Phrase("err_spark_no_table", source=repr(text), detail=_first_line(exc)),
                         fix=Phrase("err_spark_no_table_fix")) from None


def _with_blank_rows(session: Any, text: str, frame: Any, mapping: Mapping[str, str] | None) -> Any:
    """``frame`` (the local CSV source at ``text``, read without ``multiLine``) with the lines of spaces
    or tabs below a header that Spark's line reader skips (a line whose ``trim`` is empty; told
    ``multiLine`` it reads them) as ingest reads them: a row of those cells,
    the missing ones empty, which the source check then rejects and counts by ingest's rules
    ("missing customer id"), as DuckDB's round does. The file is searched for such a line at C speed
    (:func:`_blank_lines_may_be`); only where one is are its records read (the csv module): not
    where ids merely begin with spaces."""
    from xuanba.ingest.csv_records import _scan
    from xuanba.ingest.csv_source import _headers_at
    from xuanba.ingest.mapping import header_test

    rows = []
    for file, delim, sample, at in _headers_at(text, header_test(mapping)):
        if delim == " " or not _blank_lines_may_be(file):
            continue
        for record in _scan(file, delim, sample[at][1] + 1):
            if record.cells is None:
                break
            if record.row and not delim.join(record.cells).strip(_JAVA_TRIM):  # as Spark's reader tests it
                rows.append(record.cells)
    if not rows:
        return frame
    width, strings = len(frame.columns), [f.dataType.typeName() == "string" for f in frame.schema.fields]
    padded = [tuple(cells[i] if i < len(cells) and strings[i] else None for i in range(width)) for cells in rows]
    return frame.unionByName(session.createDataFrame(padded, frame.schema))


def _blank_lines_may_be(path: Path) -> bool:
    """Whether the file ``path`` holds a line that Spark's line reader skips, one whose Java ``trim``
    is empty: a line end, one or more spaces, tabs or other control characters (every byte up to
    the space, ``\\x0b`` and ``\\x0c`` among them), then a line end or the end of the file (the
    file's start counts as a line end). A search of its bytes, chunk by chunk, no decode: a chunk is
    searched by pattern only where it has both a line end followed by a space or tab and a space or
    tab followed by a line end, or a control character at all (rare in a CSV), so a file whose ids
    begin with spaces (``"  c42,..."``) costs what a plain one does. A line split over two chunks is
    carried into the next.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_bytes(b"id,x\\r\\n  c1,2\\r\\n \\t \\r\\nc2,3\\r\\n")
    >>> _ = (d / "b.csv").write_bytes(b"id,x\\n  c1,2\\nc2 ,3\\n")
    >>> _ = (d / "c.csv").write_bytes(b"id,x\\nc1,2\\n\\x0c\\nc2,3\\n")
    >>> _blank_lines_may_be(d / "a.csv"), _blank_lines_may_be(d / "b.csv"), _blank_lines_may_be(d / "c.csv")
    (True, False, True)
    """
    from xuanba.ingest.encodings import _CHUNK

    tail = b"\n"
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            joined = tail + chunk
            if (((any(p in joined for p in _BLANK_STARTS) and any(p in joined for p in _BLANK_ENDS))
                    or any(c in joined for c in _CONTROLS)) and _BLANK_LINE.search(joined)):
                return True
            # carried: the chunk's last line end, and a space if only what trim strips follows it
            kept = joined.rstrip(_TRIMMED)
            tail = kept[-1:] + (b" " if len(kept) < len(joined) else b"") if kept[-1:] in (b"\n", b"\r") else b""
    return len(tail) > 1  # a last line of such bytes with no line end after it


#: A line end then a space or a tab, and a space or a tab then a line end: a line of spaces or
#: tabs alone (:data:`_BLANK_LINE`) has both; a line with another control character has it.
_BLANK_STARTS = (b"\n ", b"\n\t", b"\r ", b"\r\t")
_BLANK_ENDS = (b" \n", b"\t\n", b" \r", b"\t\r")
#: What Java's ``String.trim`` strips (Spark's reader skips a line it leaves empty): every
#: character up to the space; as bytes, line ends apart; those not a space or a tab.
_JAVA_TRIM = "".join(map(chr, range(0x21)))
_TRIMMED = bytes(b for b in range(0x21) if b not in b"\r\n")
_CONTROLS = tuple(bytes([b]) for b in _TRIMMED if b not in b" \t")
_BLANK_LINE = re.compile(rb"[\r\n][\x00-\x09\x0b\x0c\x0e-\x20]+[\r\n]")


def _glob_files(text: str) -> list[str]:
    """The files a local glob (``exports/*.csv``, ``lake/**/*.parquet``) matches, in the order
    DuckDB's round reads them (:func:`xuanba.ingest.csv_source.source_files`): given to Spark as they
    are, so that it reads the files checked, by Python's glob rules, not Hadoop's (``**``, which
    Hadoop reads as ``*``). None for a path that is no glob."""
    from xuanba.ingest.csv_source import source_files

    if not any(ch in text for ch in "*?["):
        return []
    return [str(f) for f in source_files(text) if f.is_file()]


def _reader(session: Any, fmt: str, told: Mapping[str, str] | None = None) -> Any:
    """Spark's reader of ``fmt``, a CSV's with its header row and its types inferred, a Parquet's
    with the schemas of its files merged (``mergeSchema``: a later part with a ``cost`` the first
    lacks is read with it, as DuckDB's round reads parts by name; Spark took one file's schema and
    read no cost at all), and the options ``told`` (:func:`_local_csv_options`)."""
    reader = session.read.format(fmt)
    if fmt == "csv":
        reader = reader.option("header", "true").option("inferSchema", "true")
    elif fmt == "parquet":
        reader = reader.option("mergeSchema", "true")
    return reader.options(**dict(told or {}))


#: The fields a CSV source's round reads as text, as ingest reads every cell (DuckDB's round: its
#: ``_RETURN_TEXT``, and the id, which its sniffer keeps as text where a number has a leading zero).
TEXT_FIELDS = ("customer_id", "order_id", "quantity", "status", "is_return")


def _text_read_as_text(session: Any, text: str | list[str], frame: Any, mapping: Mapping[str, str] | None,
                       told: Mapping[str, str]) -> Any:
    """The CSV ``frame`` read again with the columns of :data:`TEXT_FIELDS` as text where Spark
    inferred another type (by the schema it inferred: no second inference pass): Spark read the
    member numbers ``0123`` and ``123`` as one customer 123, where ingest and DuckDB's round read
    two; a credit note's ``C12`` after order numbers 1, 2, ... The frame as it is where no column
    is so typed, or where the headers give no id (the source check says what misses)."""
    from pyspark.sql.types import StringType, StructField, StructType

    from xuanba.errors import XuanbaError
    from xuanba.ingest.mapping import map_columns

    try:
        found = map_columns(list(frame.columns), mapping)
    except XuanbaError:
        return frame
    names = {found[f] for f in TEXT_FIELDS if f in found}
    fields = [StructField(f.name, StringType(), f.nullable) if f.name in names and f.dataType != StringType() else f
              for f in frame.schema.fields]
    if fields == list(frame.schema.fields):
        return frame
    return _reader(session, "csv", told).schema(StructType(fields)).load(text)


def _local_csv_options(text: str, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Spark's CSV options for the local file at ``text``, which is checked as DuckDB's round checks
    its CSV source, each file in one pass (:func:`~xuanba.ingest.csv_source.checked_csv_layout`): a NUL
    byte refused as ingest refuses it (:func:`~xuanba.ingest.encodings.refuse_nul`), text not in UTF-8
    refused (:func:`~xuanba.ingest.encodings.refuse_not_utf8`: Spark read GBK as garbled names and ids),
    a cell opening with two spaces before a quote where Spark would read it otherwise
    (:func:`~xuanba.ingest.csv_source.refuse_spaced_quote`), and a header under title rows refused
    (Spark's reader skips no rows: the title was read as the header). Told ``multiLine`` only where
    a quoted cell holds a line break (ingest's scan: Spark read each line of it as a
    row, the next line a row "missing date"; ``multiLine`` reads the file in one task, so not
    always), ``ignoreLeadingWhiteSpace`` where a quote opens a cell after one space
    (``a, "b,c"``, read by DuckDB and ingest as one cell ``b,c``; Spark cut it in two), and the
    delimiter ingest finds (``;``, tab, ``|``: DuckDB's sniffer finds it, Spark read one column).
    A glob's files each so, and their headers alike, in one order
    (:func:`~xuanba.rounds.source_check.refuse_glob_headers_apart`: Spark reads each by the first's).
    A row with more cells than its file's header is refused as ingest refuses it
    (:func:`~xuanba.rounds.source_check.refuse_wider_rows`: Spark dropped the cells past the header,
    silently); a narrower one is read as ingest and Spark read it, its missing cells empty."""
    from xuanba.ingest.csv_source import _headers_at, checked_csv_layout
    from xuanba.ingest.mapping import header_test
    from xuanba.rounds.source_check import refuse_glob_headers_apart, refuse_wider_rows

    layout = checked_csv_layout(text, header_test(mapping))  # each file read once for every check
    if layout.titles:
        raise InputError(Phrase("err_spark_source_titles", n=f"{layout.titles:,}"), file=text,
                         fix=Phrase("err_spark_source_titles_fix"))
    refuse_glob_headers_apart(text, header_test(mapping), spark=True)  # a glob's files, read by the first's header
    for file, delim, sample, at in _headers_at(text, header_test(mapping)):  # Spark drops a wider row's cells past the header
        refuse_wider_rows(file, delim, sample[at][1] + 1)
    return {**({"sep": layout.delim} if layout.delim in (";", "\t", "|") else {}),
            **({"multiLine": "true"} if layout.breaks else {}),
            **({"ignoreLeadingWhiteSpace": "true"} if layout.lead else {})}


#: Spark's refusal of a file whose schema holds one name twice (in any case), 3.5 and 4.0.
_TWICE = ("COLUMN_ALREADY_EXISTS", "Found duplicate column")


def _read_twins_left_out(session: Any, fmt: str, text: str | list[str], exc: BaseException,
                         mapping: Mapping[str, str] | None, told: Mapping[str, str] | None = None) -> Any | None:
    """The source at ``text`` that Spark refused (``exc``) for two names differing by case only
    (a Parquet file with ``note`` and ``NOTE``, which its case-insensitive names cannot hold), read
    without them: its schema read with ``spark.sql.caseSensitive`` on for the moment
    (:func:`_schema_case_sensitive`), then the file by the schema of its other columns, so the
    session's setting is what it was for every read after. Twins of a field's name or of a
    ``mapping`` column (``amount`` and ``AMOUNT``) are the :class:`~xuanba.errors.SchemaError`
    DuckDB's round and ingest give (:func:`xuanba.ingest.read.duplicate_headers`); twins nobody
    reads are not used, as DuckDB's round and ingest do not use them. ``None``: not so refused."""
    from collections import Counter

    from xuanba.ingest.mapping import read_as_field
    from xuanba.ingest.read import duplicate_headers

    if not any(word in str(exc) for word in _TWICE):
        return None
    schema = _schema_case_sensitive(session, fmt, text, told)
    if schema is None:
        return None
    names = list(schema.names)
    duplicate_headers(names, file=text if isinstance(text, str) else None, matters=read_as_field(mapping))
    lowered = Counter(name.lower() for name in names)  # Spark's own folding (Java's toLowerCase)
    kept = [f for f in schema.fields if lowered[f.name.lower()] == 1]
    if len(kept) == len(names):  # refused for another reason (a nested field's twins): Spark's error said
        return None
    frame = _reader(session, fmt, told).schema(type(schema)(kept)).load(text)
    frame.schema  # noqa: B018 - resolved now, as the read above
    return frame


def _twin_headers(text: str, header: list[str], columns: list[str],
                  mapping: Mapping[str, str] | None = None) -> Exception | None:
    """The :class:`~xuanba.errors.SchemaError` of a CSV at ``text`` whose twins Spark read renamed
    by their places (``columns``: ``amount2``, ``AMOUNT3``; the round then said "no column for
    amount"), as DuckDB's round and ingest say it (:func:`xuanba.ingest.read.duplicate_headers`, its
    columns and the fix): in its ``header`` as written, twins of a field's name or of a ``mapping``
    column refused (two 备注 columns read as they came); ``None`` where there is none. Looked into
    only where a name looks so renamed."""
    from xuanba.ingest.mapping import read_as_field
    from xuanba.ingest.read import duplicate_headers

    if not _renamed_by_place(columns):
        return None
    try:
        duplicate_headers(header, file=text, matters=read_as_field(mapping))
    except SchemaError as twins:
        return twins
    return None


def _schema_case_sensitive(session: Any, fmt: str, text: str | list[str], told: Mapping[str, str] | None = None) -> Any | None:
    """The schema of the source at ``text``, its names as written, read with
    ``spark.sql.caseSensitive`` on and then set back as it was (``None``: unreadable even so)."""
    key = "spark.sql.caseSensitive"
    before = session.conf.get(key, None)
    session.conf.set(key, "true")
    try:
        return _reader(session, fmt, told).load(text).schema
    except Exception:  # noqa: BLE001 - unreadable even so: Spark's own error is said
        return None
    finally:
        if before is None:
            session.conf.unset(key)
        else:
            session.conf.set(key, before)


def _renamed_by_place(columns: list[str]) -> bool:
    """Whether two of a CSV's ``columns`` are named as Spark renames one name written twice: the
    name and its place (``amount2``, ``AMOUNT3``; Spark's ``CSVUtils.makeSafeHeader``).

    >>> _renamed_by_place(["customer_id", "ts", "amount2", "AMOUNT3"]), _renamed_by_place(["a1", "b", "c"])
    (True, False)
    """
    seen: set[str] = set()
    for i, name in enumerate(columns):
        place = str(i)
        if name.endswith(place) and len(name) > len(place):
            base = name[: -len(place)].lower()
            if base in seen:
                return True
            seen.add(base)
    return False


def _csv_header_line(session: Any, text: str | list[str], told: Mapping[str, str] | None = None) -> list[str]:
    """The header of the CSV at ``text`` as written: its first record, read by Spark's CSV reader
    with no header and quoted line breaks read as DuckDB and ingest read them (``multiLine``; one
    record read, a job beside the pass that infers the types)."""
    reader = session.read.format("csv").options(**dict(told or {})).option("header", "false").option("multiLine", "true")
    rows = reader.load(text).limit(1).collect()
    return ["" if v is None else str(v) for v in rows[0]] if rows else []


#: The records of a CSV URL whose cells are looked at for text not UTF-8 (Spark's replacement
#: characters) before Spark reads it: its first ones; a GBK cell further down is not seen.
URL_ROWS = 200


def _refuse_url_header(session: Any, text: str, told: Mapping[str, str], header: list[str],
                       mapping: Mapping[str, str] | None) -> None:
    """Refuse the CSV at the URL ``text`` (``s3a://…``, ``hdfs://…``: not read before Spark, so
    neither decoded nor searched for its header by xuanba) where Spark's read of its first record,
    ``header``, shows what a local file's checks refuse: text not UTF-8 (a header of replacement
    characters, ``\ufffd``, as Spark reads GBK, in the header or in a cell of its first
    :data:`URL_ROWS` records: an English header over GBK ids), or a header under title rows (a row of the first
    15 that ingest takes for the header while the first is none; Spark skips no rows), said as for
    a local file. A URL's header that maps is read as it is; a header that neither maps nor lies
    lower is the source check's to name (its columns found and the fields expected)."""
    from xuanba.errors import Listed
    from xuanba.ingest.mapping import header_test

    if any("\ufffd" in name for name in header):
        raise InputError(Phrase("err_spark_url_garbled", header=Listed(header[:8], quoted=True)), file=text,
                         fix=Phrase("err_source_not_utf8_fix"))
    reader = session.read.format("csv").options(**dict(told or {})).option("header", "false").option("multiLine", "true")
    rows = [["" if v is None else str(v) for v in r] for r in reader.load(text).limit(URL_ROWS).collect()]
    garbled = next((i for i, r in enumerate(rows) if any("\ufffd" in c for c in r)), None)
    if garbled is not None:  # an English header over GBK rows: Chinese ids garbled alike, two customers one
        raise InputError(Phrase("err_spark_url_garbled_row", line=f"{garbled + 1:,}",
                                cells=Listed(rows[garbled][:8], quoted=True)),
                         file=text, fix=Phrase("err_source_not_utf8_fix"))
    test = header_test(mapping)
    if test(header):
        return
    below = next((i for i, r in enumerate(rows[:15]) if i and test(r)), None)
    if below:
        raise InputError(Phrase("err_spark_source_titles", n=f"{below:,}"), file=text,
                         fix=Phrase("err_spark_source_titles_fix"))


def _first_line(exc: BaseException) -> str:
    """The line of Spark's error a user can act on: the Java exception py4j puts under its own
    "An error occurred while calling o123.load." (a missing file system, an unknown host)."""
    text = str(exc).strip()
    lines = text.splitlines()
    if lines and lines[0].startswith("An error occurred while calling"):
        java = next((ln.strip(" :") for ln in lines[1:] if "Exception:" in ln or "Error:" in ln), None)
        if java:
            return java[:300]
    return (lines[0] if lines else type(exc).__name__)[:300]
