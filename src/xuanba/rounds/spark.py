"""Spark for a round: the session from ``--spark-conf`` settings, and the transactions from a
path or a catalog table (``--source``). pyspark is imported here only, when a round asks for it.

Example
-------
>>> parse_spark_conf(["spark.sql.shuffle.partitions=8", "spark.driver.memory = 2g"])
{'spark.sql.shuffle.partitions': '8', 'spark.driver.memory': '2g'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from xuanba.errors import InputError

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
            raise InputError(f"--spark-conf {item!r} is not key=value",
                             fix="Write each setting as key=value, e.g. --spark-conf spark.sql.shuffle.partitions=200.")
        if not _KEY.match(key):
            raise InputError(f"--spark-conf {item!r}: {key!r} is not a setting name",
                             fix="Setting names are dotted words, e.g. spark.driver.memory=2g.")
        if not value:
            raise InputError(f"--spark-conf {item!r} has no value", fix=f"Give a value: {key}=VALUE.")
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
        raise InputError("--engine spark needs pyspark (and Java 17 or later)",
                         fix="pip install 'xuanba[spark]'") from None
    settings = {**DEFAULT_CONF, **dict(conf or {})}
    builder = SparkSession.builder.appName(app_name)
    if "spark.master" not in settings and not SparkConf().contains("spark.master"):
        builder = builder.master("local[*]")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - no Java, a bad master URL, a bad memory size: the user's setup
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"Spark did not start: {first}",
                         fix="Check Java (17+) and the --spark-conf settings (spark.master, memory sizes).") from None
    for key, value in settings.items():  # a session already running takes the SQL settings it can
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return ibis.pyspark.connect(session)


def spark_source(backend: Any, source: str | Path) -> Any:
    """The Ibis table ``source`` names on the Spark ``backend``: a path (a file or a folder of
    Parquet parts, or ``.csv``/``.json``/``.orc``; any URL Spark reads, ``s3a://…``, ``hdfs://…``)
    or a table of the catalog (``db.table``). A source that cannot be read is an
    :class:`InputError` naming it, never a Spark traceback."""
    text = str(source).strip()
    if not text:
        raise InputError("--source is empty", fix="Give a Parquet path or a table name.")
    session = backend._session
    is_url = "://" in text
    path = Path(text)
    if is_url or path.exists() or path.suffix.lower() in FORMATS or "/" in text or "\\" in text:
        if not is_url and not path.exists():
            raise InputError(f"--source {text!r} does not exist", file=text,
                             fix="Give the path of the transactions (Parquet file or folder), or a table name.")
        fmt = FORMATS.get(path.suffix.lower(), "parquet")
        try:
            reader = session.read.format(fmt)
            if fmt == "csv":
                reader = reader.option("header", "true").option("inferSchema", "true")
            frame = reader.load(text)
            frame.schema  # noqa: B018 - resolves the files now, so a bad one fails here
        except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and friends
            raise InputError(f"Spark cannot read --source {text!r} as {fmt}: {_first_line(exc)}", file=text,
                             fix="Give Parquet written by `xuanba export` or your pipeline (a file or a folder "
                                 "of parts), or a .csv with a header row.") from None
        view = "xuanba_source"
        frame.createOrReplaceTempView(view)
        return backend.table(view)
    if not _TABLE.match(text):
        raise InputError(f"--source {text!r} is neither an existing path nor a table name",
                         fix="Give a Parquet path or a catalog table such as sales.transactions.")
    try:
        *where, name = text.split(".")
        database = (where[0] if len(where) == 1 else tuple(where)) if where else None
        return backend.table(name, database=database)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"Spark has no table {text!r}: {_first_line(exc)}",
                         fix="Check the name with SHOW TABLES, or give a Parquet path.") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
