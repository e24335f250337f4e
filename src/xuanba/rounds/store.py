"""Rounds in the workspace: appended, never changed, each in one transaction.

A stored round is the single source of truth of everything shown about it later: the report,
statements, exports, account sheets and console summaries render these tables and never
refit a model or recompute a fact. Six tables hold rounds:

* ``rounds`` — one row per round: id, name, cutoff, creation time, the standard's name,
  version, SHA-256 and full TOML text, the hashes of the input data and of the roster, counts,
  and the rest of the round's facts as JSON (``meta_json``: the models' estimates and
  diagnostics, the headline figures, where each field came from);
* ``roster`` — one row per round and customer (the fixed roster columns). Since schema version 5
  a view over ``roster_codes`` (the rows, the six texts of :data:`CODED_COLUMNS` as SMALLINT codes)
  and ``roster_labels`` (one row per round: each such column's labels, a list; code ``i`` is
  element ``i + 1``), which reads every value as stored before (since version 6 each code joined
  to its label: :func:`roster_sql`, the one decoder in SQL); :func:`read_roster` decodes whole
  rosters in Arrow (:func:`decoded`). A reader of ids, ranks and scores reads ``roster_codes``;
* ``round_criteria`` — one row per round and criterion: its ``position`` (1, 2, ...), name and
  weight (its share of the score);
* ``round_points`` — one row per round and customer, keyed by the customer's ``rank``: each
  criterion's raw value, normalised value and contribution as lists (element ``position``);
  the roster's raw-value columns are rebuilt from it. Since schema version 4 a round whose every
  contribution is ``100 × weight × normalised`` (every scored round) stores its ``contribution``
  as NULL and the readers compute it so, bit for bit (:data:`CONTRIBUTION_SQL`): it is stored once. The view ``contributions`` shows them as
  they were stored up to schema version 2, one row per round, customer and criterion
  (``customer_id, criterion, raw, normalised, weight, contribution``), for SQL and notebooks;
  xuanba itself reads them through :func:`read_contributions` and its neighbours, which also
  read a version-2 file's ``contributions`` table as it is (a read-only open);
* ``round_fields`` — one row per round and customer: every field the round gathered (facts,
  predictions, account fields, customer attributes, extra fields). A field first seen in a
  later round adds a column (older rounds hold NULL there);
* ``round_tables`` — the small tables a round computed besides the roster (the account
  analyses at its cutoff, the holdout check of its model, the saved models), each with its
  window and as-of date in ``info_json``.

Three more tables keep backtests (:func:`save_backtest`, since schema version 2), so that the
report of a round says how its standard has performed without recomputing: ``backtests``,
``backtest_cutoffs`` and ``backtest_overall``.

A round is written inside a single transaction: a process killed half-way leaves no trace of
it, and earlier rounds are never touched (nothing here updates or deletes). Rounds stored
before ``round_fields`` and ``round_tables`` existed load with ``fields=None`` and no tables;
:attr:`Round.missing` says what they lack.

Example
-------
>>> from xuanba import Workspace
>>> list_rounds(Workspace(":memory:")).columns.tolist()[:3]
['round_id', 'name', 'cutoff']
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from xuanba.errors import DataError, Phrase, WorkspaceError, quoted
from xuanba.standard.schema import Standard, load_standard
from xuanba.standard.score import (
    CONTRIBUTION_COLUMNS,
    ROSTER_COLUMNS,
    ContributionParts,
    contribution_parts,
)
from xuanba.workspace import Workspace, open_workspace, put_back, setting

if TYPE_CHECKING:
    from xuanba.rounds.backtest import Backtest
    from xuanba.rounds.run import Round, StoredTable

PAUSE_ENV = "XUANBA_TEST_PAUSE_ROUND_AFTER"
"""Test hook: when set to ``rounds``, ``roster``, ``criteria`` (between the contributions' two
tables), ``contributions`` or ``fields``, saving pauses (prints ``PAUSED``, sleeps)
after that insert, inside the open transaction, so a test can kill the process there."""

_ROUNDS_DDL = """
CREATE TABLE IF NOT EXISTS rounds (
    round_id BIGINT PRIMARY KEY,
    name VARCHAR,
    cutoff DATE,
    created_at TIMESTAMP,
    standard_name VARCHAR,
    standard_version VARCHAR,
    standard_sha256 VARCHAR,
    standard_text VARCHAR,
    data_sha256 VARCHAR,
    roster_sha256 VARCHAR,
    n_customers BIGINT,
    n_selected BIGINT,
    time_unit VARCHAR,
    currency VARCHAR,
    meta_json VARCHAR
)"""
_ROSTER_TYPES = {
    "customer_id": "VARCHAR", "rank": "BIGINT", "score": "DOUBLE", "tier": "VARCHAR",
    "selected": "BOOLEAN", "quadrant": "VARCHAR", "value_score": "DOUBLE",
    "potential_score": "DOUBLE", "gates_failed": "VARCHAR", "next_tier": "VARCHAR",
    "gap_to_next": "DOUBLE", "cheapest_criterion": "VARCHAR", "cheapest_change": "DOUBLE",
    "left_out_by_capacity": "BOOLEAN", "cheapest_public_criterion": "VARCHAR",
    "cheapest_public_change": "DOUBLE",
}
_TABLES_DDL = """
CREATE TABLE IF NOT EXISTS round_tables (
    round_id BIGINT,
    name VARCHAR,
    info_json VARCHAR,
    table_json VARCHAR
)"""
_CRITERIA_DDL = ("CREATE TABLE IF NOT EXISTS round_criteria (round_id BIGINT, position INTEGER, criterion VARCHAR, "
                 "weight DOUBLE)")
_POINTS_DDL = ("CREATE TABLE IF NOT EXISTS round_points (round_id BIGINT, rank BIGINT, raw DOUBLE[], "
               "normalised DOUBLE[], contribution DOUBLE[])")
#: A contribution read from ``round_points p`` and ``round_criteria k``: the stored element, or,
#: where the round stored none (:func:`_derived_contributions`), ``100 × weight × normalised``
#: computed as the scoring computes it (the same operations in the same order: the same double).
CONTRIBUTION_SQL = ("CASE WHEN p.contribution IS NULL THEN 100.0::DOUBLE * k.weight * p.normalised[k.position] "
                    "ELSE p.contribution[k.position] END")
#: The long contributions, as stored up to schema version 2, for users' SQL and notebooks: the
#: values of criterion ``position`` are that element of the customer's (their rank's) lists. The
#: customer's id is read from ``roster_codes`` (no text of the roster is decoded: the ``roster``
#: view's six joins cost a whole read 30 %, web35); schema versions 3 and 4 read it from their
#: ``roster`` table (:data:`_VIEW_SELECT_TEXTS`).
_VIEW_SELECT_TEXTS = ("SELECT p.round_id, r.customer_id, k.criterion, "
                      "p.raw[k.position] AS raw, p.normalised[k.position] AS normalised, k.weight, "
                      f"{CONTRIBUTION_SQL} AS contribution FROM round_points p "
                      "JOIN round_criteria k ON k.round_id = p.round_id JOIN roster r ON r.round_id = p.round_id "
                      "AND r.rank = p.rank")
_VIEW_SELECT = _VIEW_SELECT_TEXTS.replace(" JOIN roster r ", " JOIN roster_codes r ")
_VIEW_DDL = f"CREATE VIEW IF NOT EXISTS contributions AS {_VIEW_SELECT}"
LIST_COLUMNS = ["round_id", "name", "cutoff", "created_at", "standard_name", "standard_version",
                "standard_sha256", "data_sha256", "roster_sha256", "n_customers", "n_selected",
                "time_unit", "currency"]


#: The roster's text columns stored as codes (schema version 5): each a position (0, 1, ...) in its
#: round's labels, kept once per round in ``roster_labels`` (a list per column).
CODED_COLUMNS = ("tier", "quadrant", "gates_failed", "next_tier", "cheapest_criterion", "cheapest_public_criterion")
#: The most labels a SMALLINT code names; a column of a round with more is widened to INTEGER.
SMALL_CODES = 2**15 - 1
_CODES_DDL = ("CREATE TABLE IF NOT EXISTS roster_codes (round_id BIGINT, "
              + ", ".join(f"{k} {'SMALLINT' if k in CODED_COLUMNS else v}" for k, v in _ROSTER_TYPES.items()) + ")")
#: One row of labels per round, keyed (schema version 7): a second row, which every reader joining
#: them would read each of the round's roster rows once per row of, cannot be written.
_LABELS_DDL = ("CREATE TABLE IF NOT EXISTS roster_labels (round_id BIGINT PRIMARY KEY, "
               + ", ".join(f"{k} VARCHAR[]" for k in CODED_COLUMNS) + ")")


def _words(col: str) -> str:
    """A table of ``col``'s labels, one row per round and code: ``(round_id, word, code)``."""
    return f"(SELECT round_id, unnest({col}) AS word, generate_subscripts({col}, 1) - 1 AS code FROM roster_labels)"


def text_of(col: str, alias: str = "r") -> tuple[str, str]:
    """The SQL of coded column ``col`` of the rows of ``roster_codes`` aliased ``alias`` as its
    text, and the join that expression needs: the code joined to its round's label by (round,
    code) (:func:`_words`). The one decoder of texts in SQL (the ``roster`` view, :func:`roster_sql`,
    the web's sorts and counts by a text).

    Example
    -------
    >>> text_of("tier")[0]
    'w_tier.word'
    """
    return (f"w_{col}.word", f"LEFT JOIN {_words(col)} w_{col} ON w_{col}.round_id = {alias}.round_id "
            f"AND w_{col}.code = {alias}.{col}")


def roster_sql(columns: Sequence[str], *, coded: bool = True) -> str:
    """A query of the roster's ``round_id`` and ``columns`` (of its columns), each text as stored:
    in a file of codes (``coded``, schema version 5 on) ``roster_codes`` with only the texts among
    ``columns`` joined to their labels by (round, code), else version 4's ``roster`` table. The
    one decoder of texts in SQL: the ``roster`` view is its query of every column; a reader of a
    few columns pays only for the texts it reads (DuckDB keeps a LEFT JOIN nothing reads: a
    customer's history over 30 rounds of 40,000 labels 22x, web35). Indexing the round's list of
    labels in every row (schema version 5) copied the whole list into each row, rows x labels.

    Example
    -------
    >>> roster_sql(["rank", "score"]), roster_sql(["tier"], coded=False)
    ('SELECT r.round_id, r.rank, r.score FROM roster_codes r', 'SELECT r.round_id, r.tier FROM roster r')
    """
    if not coded:
        return f"SELECT r.round_id, {', '.join(f'r.{k}' for k in columns)} FROM roster r"
    return ("SELECT r.round_id, "
            + ", ".join(f"{text_of(k)[0]} AS {k}" if k in CODED_COLUMNS else f"r.{k}" for k in columns)
            + " FROM roster_codes r "
            + " ".join(text_of(k)[1] for k in CODED_COLUMNS if k in columns)).rstrip()


def roster_of(ws: Workspace, columns: Sequence[str]) -> str:
    """:func:`roster_sql` of ``ws``'s layout, parenthesised for a FROM: the roster's ``round_id``
    and ``columns``, only those texts decoded.

    Example
    -------
    >>> ws.sql(f"SELECT rank FROM {roster_of(ws, ['rank'])} WHERE round_id = 3")  # doctest: +SKIP
    """
    return f"({roster_sql(columns, coded=ws.has_table('roster_codes'))})"


#: The roster as readers see it (its texts decoded): ``roster``, a view since schema version 5,
#: each text joined to its label since version 6 (:func:`roster_sql`).
_ROSTER_SELECT = roster_sql(tuple(_ROSTER_TYPES))
_ROSTER_VIEW = f"CREATE VIEW IF NOT EXISTS roster AS {_ROSTER_SELECT}"


def _ddl(con: Any) -> None:
    con.execute(_ROUNDS_DDL)
    con.execute(_CODES_DDL)
    con.execute(_LABELS_DDL)
    con.execute(_ROSTER_VIEW)
    con.execute(_CRITERIA_DDL)
    con.execute(_POINTS_DDL)
    con.execute(_VIEW_DDL)
    con.execute("CREATE TABLE IF NOT EXISTS round_fields (round_id BIGINT, customer_id VARCHAR)")
    con.execute(_TABLES_DDL)


def _arrow(frame: pd.DataFrame) -> Any:
    """The frame as an Arrow table: DuckDB scans Arrow columns without converting text cell by
    cell, which is most of the cost of registering a 1 M-row frame."""
    import pyarrow as pa

    return _batched(pa.Table.from_pandas(frame, preserve_index=False))


def _batched(table: Any) -> Any:
    """``table`` (Arrow) cut into batches of :data:`BATCH_ROWS` rows, without copying its columns."""
    import pyarrow as pa

    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS), schema=table.schema)


#: Rows appended per statement: eight of DuckDB's row groups (122,880 rows each), so that every
#: slice but the last fills whole row groups, and what a slice needs besides the round's own
#: frames (its Arrow columns, DuckDB's uncompressed row groups) stays the same at any size.
SLICE_ROWS = 8 * 122_880


def _slices(n: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of the slices of ``n`` rows that are appended one at a time.

    Example
    -------
    >>> list(_slices(2_000_000))
    [(0, 983040), (983040, 1966080), (1966080, 2000000)]
    """
    return ((i, min(i + SLICE_ROWS, n)) for i in range(0, n, SLICE_ROWS))


#: DuckDB threads while a round's fields and roster are appended (the rows after their last whole
#: row group on all threads: :func:`_tail_rows`). Appending the 30-column fields in parallel while
#: keeping their order took 1.5x the CPU of one thread (1 M customers: 8.3 s against 5.4 s,
#: ``bench/bench_store.py``), and one thread leaves the other core to the scoring that runs beside
#: them. The roster's append is one thread's work either way (10 M rows alone on a quiet machine:
#: 7.7 s of CPU on one or two), but on two beside the round's hashes it spun: 12.1-13.0 s of CPU
#: against 8.7-8.8 s at a load of 10, and in the 10 M round the saver's tail ended 1.8-2.0 s sooner
#: on one (docs/benchmarks_round.md, perf31). The contributions get all of DuckDB's threads (the
#: same CPU either way, and on one thread their commit took longer).
APPEND_THREADS = 1

#: Rows in each batch of the Arrow tables DuckDB appends from: one of its row groups. DuckDB scans
#: an Arrow table in parallel by batch, so a table of one batch is appended by one thread.
BATCH_ROWS = 122_880


#: DuckDB's memory limit while a round is stored (256 MiB; the workspace's own limit is set back
#: after): DuckDB keeps the blocks it has just written in its buffer pool up to its limit, which at
#: 10 M customers made storing hold 2.9 GiB more than the round it stored, 1.9 GiB with 1 GiB here
#: and 1.1 GiB with 256 MiB (docs/benchmarks_round.md). The blocks are in the file already: the same
#: rows are stored, and later reads take them from there.
STORE_MEMORY = 256 * 2**20


class _Threads:
    """DuckDB's threads while a round is stored: :meth:`few` while the fields and the roster are
    appended (:func:`_append_narrowed`), :meth:`all` (the workspace's own setting) for their last
    rows and the contributions."""

    def __init__(self, con: Any, was: int) -> None:
        self._con, self.was = con, was

    @property
    def narrowed(self) -> bool:
        """Whether :meth:`few` leaves DuckDB fewer threads than the workspace's own."""
        return APPEND_THREADS is not None and self.was > APPEND_THREADS

    def few(self) -> None:
        if self.narrowed:
            self._con.execute(f"SET threads = {int(APPEND_THREADS)}")

    def all(self) -> None:
        self._con.execute(f"SET threads = {int(self.was)}")


@contextlib.contextmanager
def _storing(ws: Workspace) -> Iterator[_Threads]:
    """DuckDB set for storing a round while the body runs: :data:`STORE_MEMORY`, and the threads
    the body asks of the yielded :class:`_Threads`; both set back after. Wrap the round's
    transaction in it, never the other way round: a statement that fails inside DuckDB aborts the
    transaction, which then refuses even a ``SET`` until it is rolled back, and the setting put
    back from inside it raised "transaction is aborted" in place of what failed (a full disk's
    clear word lost), and left DuckDB on one thread. Another thread storing into the same file
    meanwhile is waited for first (:meth:`~xuanba.workspace.Workspace.writing`): the settings are
    the database's, not the connection's."""
    with ws.writing(), ws.memory_lowered(STORE_MEMORY), _flushing(ws.con):
        threads = _Threads(ws.con, int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]))
        with put_back(threads.all):
            yield threads


#: DuckDB's ``write_buffer_row_group_count`` while a round is stored: how many whole row groups an
#: append keeps in the transaction before it compresses them into the file (DuckDB 1.5: 5). What is
#: kept when the append ends is compressed at the commit, the round's last piece; on 1 every whole
#: row group is written by the append that filled it. ``None``: DuckDB's own setting.
FLUSH_ROW_GROUPS: int | None = 1


@contextlib.contextmanager
def _flushing(con: Any) -> Iterator[None]:
    """DuckDB's ``write_buffer_row_group_count`` at :data:`FLUSH_ROW_GROUPS` while the body runs,
    set back after (a setting of the database, like its threads). A DuckDB without the setting
    (the pin allows any 1.x; ``duckdb_settings()`` does not list it) stores with its own way."""
    if FLUSH_ROW_GROUPS is None:
        yield
        return
    with setting(con, "write_buffer_row_group_count", FLUSH_ROW_GROUPS, missing_ok=True):
        yield


def _append(con: Any, frame: Any, insert: str) -> None:
    """Run ``insert`` (an ``INSERT ... SELECT ... FROM _xb_rows``) over ``frame`` (pandas, or
    Arrow), a slice of :data:`SLICE_ROWS` rows at a time, in order: the rows go in as one
    statement would put them."""
    arrow = not isinstance(frame, pd.DataFrame)
    for start, stop in _slices(len(frame)):
        con.register("_xb_rows", _batched(frame.slice(start, stop - start)) if arrow else _arrow(frame.iloc[start:stop]))
        try:
            con.execute(insert)
        finally:
            con.unregister("_xb_rows")


def _sql_type(series: pd.Series) -> str:
    """The DuckDB type a field column is stored as."""
    kind = series.dtype
    if pd.api.types.is_bool_dtype(kind):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(kind):
        return "BIGINT"
    if pd.api.types.is_float_dtype(kind):
        return "DOUBLE"
    if isinstance(kind, pd.DatetimeTZDtype):
        return "TIMESTAMP WITH TIME ZONE"  # an instant, not a wall-clock time shifted to UTC
    if pd.api.types.is_datetime64_any_dtype(kind):
        return "TIMESTAMP"
    if isinstance(kind, pd.StringDtype):  # text, without copying a million values to look at one
        return "VARCHAR"
    sample = series.dropna()
    if len(sample) and isinstance(sample.iloc[0], dt.date) and not isinstance(sample.iloc[0], dt.datetime):
        return "DATE"
    return "VARCHAR"


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _check_names(columns: list[str]) -> None:
    """Field names a round can store: not empty, no control characters, not ``round_id``, and no
    two that differ only in case (DuckDB's column names ignore case)."""
    from xuanba.rounds.extra_names import storable_name

    seen: dict[str, str] = {}
    for col in columns:
        name = str(col)
        if not storable_name(name):
            raise DataError(Phrase("err_field_name_unstorable", name=repr(name)), fix=Phrase("err_field_name_unstorable_fix"))
        if name.lower() == "round_id":
            raise DataError(Phrase("err_field_named_round_id"), fix=Phrase("err_field_named_round_id_fix"))
        if name.lower() in seen:
            raise DataError(Phrase("err_fields_case", first=quoted(seen[name.lower()]), second=quoted(name)),
                            fix=Phrase("err_fields_case_fix"))
        seen[name.lower()] = name


def _insert_fields(con: Any, round_id: int, fields: pd.DataFrame, threads: _Threads | None = None) -> None:
    """Append a round's per-customer fields, adding a column for each field not seen before.

    A field stored earlier with another type: numbers into a whole-number column widen it to
    DOUBLE (never rounded on the way in); anything into a text column is written as text;
    otherwise the round is refused (rename the field). Mixed text and numbers are stored as text.
    With ``threads`` (the fields being appended on :meth:`_Threads.few`), the rows after the last
    whole row group are appended last on all of them (:func:`_tail_rows`)."""
    have = {name.lower(): (name, typ) for name, typ in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'round_fields'"
    ).fetchall()}
    frame = fields
    cols = [c for c in frame.columns if c != "customer_id"]
    _check_names(["customer_id", *cols])
    for col in cols:
        want = _sql_type(frame[col])
        if want == "VARCHAR" and frame[col].dtype == object:  # numbers and text mixed, e.g. from Excel
            frame = frame.assign(**{col: frame[col].map(lambda v: v if v is None or pd.isna(v) else str(v))
                                   .astype("string")})
        if col.lower() not in have:
            con.execute(f"ALTER TABLE round_fields ADD COLUMN {_quote(col)} {want}")
            continue
        stored, typ = have[col.lower()]
        if stored != col:
            raise DataError(Phrase("err_field_stored_as", name=quoted(col), stored=quoted(stored)),
                            fix=Phrase("err_field_stored_as_fix", stored=quoted(stored)))
        if typ == want or (typ == "DOUBLE" and want == "BIGINT"):
            continue
        if typ == "BIGINT" and want == "DOUBLE":
            con.execute(f"ALTER TABLE round_fields ALTER {_quote(col)} TYPE DOUBLE")
        elif typ == "VARCHAR":
            frame = frame.assign(**{col: frame[col].astype("string")})
        else:
            raise WorkspaceError(Phrase("err_field_type_changed", name=quoted(col), stored=typ, now=want),
                                 fix=Phrase("err_field_type_changed_fix", name=quoted(col)))
    names = ", ".join(_quote(c) for c in ["customer_id", *cols])
    insert = f"INSERT INTO round_fields (round_id, {names}) SELECT {round_id}, {names} FROM _xb_rows"
    _append_narrowed(con, frame, insert, threads)


def _append_narrowed(con: Any, frame: Any, insert: str, threads: _Threads | None) -> None:
    """:func:`_append` on :meth:`_Threads.few` (when ``threads`` is given), the rows after the
    last whole row group (:func:`_tail_rows`) on all of DuckDB's threads; DuckDB on all threads
    after."""
    tail = _tail_rows(len(frame)) if threads is not None and threads.narrowed else 0
    if not tail:
        _append(con, frame, insert)
    else:
        threads.few()
        cut = len(frame) - tail
        pandas = isinstance(frame, pd.DataFrame)
        _append(con, frame.iloc[:cut] if pandas else frame.slice(0, cut), insert)
        threads.all()
        _append(con, frame.iloc[cut:] if pandas else frame.slice(cut), insert)
    if threads is not None:
        threads.all()


def _tail_rows(n: int) -> int:
    """How many of ``n`` rows (fields, roster) a round appends last, on all of DuckDB's threads: those after
    the last whole row group (a whole one when ``n`` ends on one), none when ``n`` fits in one.

    DuckDB appending on one thread (:data:`APPEND_THREADS`) keeps the last row groups it filled
    in the transaction and compresses them into the file at the commit, which comes last in the
    round, after the scoring and the roster: 0.2-0.7 s of CPU at a million customers × 30 fields.
    An append on more threads writes them before it returns, so the saver's thread does that
    work beside the scoring; the rows stored are the same, in the same order
    (docs/benchmarks_round.md, fast17).

    Example
    -------
    >>> _tail_rows(1_000_000), _tail_rows(983_040), _tail_rows(100_000)
    (16960, 122880, 0)
    """
    return 0 if n <= BATCH_ROWS else (n % BATCH_ROWS or BATCH_ROWS)


def _insert_parts(con: Any, round_id: int, parts: ContributionParts, ranks: np.ndarray) -> None:
    """Append a round's contributions from their parts: its criteria (position, name, weight) to
    ``round_criteria``, and one row per customer to ``round_points`` keyed by ``ranks`` (the
    customers' ranks, in the parts' row order; unique), in rank order, with each criterion's raw
    value, normalised value and contribution as a list (a NaN stored as NULL, as from a table).
    With :meth:`RoundSaver.start_points`, the writers of contributions (:func:`_points_rows`)."""
    k, n = len(parts.criteria), len(parts.customer_id)
    if k == 0:
        return
    _insert_criteria(con, round_id, parts.criteria, parts.weights)
    ranks = np.asarray(ranks, dtype=np.int64)
    order = None if n < 2 or bool((ranks[1:] > ranks[:-1]).all()) else np.argsort(ranks, kind="stable")
    if order is not None and not (ranks[order][1:] > ranks[order][:-1]).all():
        raise DataError(f"the roster ranks {n} customers with only {len(np.unique(ranks))} distinct ranks",
                        fix="Give every customer of a round its own rank (1 = best); a round's contributions are "
                            "stored by rank.")
    derived = _derived_contributions(parts)  # stored once: the readers compute them (CONTRIBUTION_SQL)
    for start, stop in _slices(n):  # a slice's columns made, appended, dropped
        rows = slice(start, stop) if order is None else order[start:stop]
        _points_rows(con, round_id, ranks[rows], parts.raw[rows], parts.normalised[rows],
                     None if derived else parts.contribution[rows])


def _insert_criteria(con: Any, round_id: int, criteria: Sequence[str], weights: Any) -> None:
    """A round's criteria (position, name, weight share) in ``round_criteria``."""
    con.execute(f"INSERT INTO round_criteria SELECT {int(round_id)}, i::INTEGER, $names[i], $weights[i] "
                "FROM range(1, $k + 1) t(i)",
                {"names": [str(c) for c in criteria], "weights": [float(w) for w in weights], "k": len(criteria)})
    _pause("criteria")  # between the two tables' appends: a crash here must leave no half round


def _points_rows(con: Any, round_id: int, ranks: np.ndarray, raw: np.ndarray, normalised: np.ndarray,
                 contribution: np.ndarray | None) -> None:
    """Append rows of ``round_points``: the customers of ``ranks`` (ascending), each one's raw,
    normalised values and contributions (rows × criteria) as lists, a NaN stored as NULL;
    ``contribution`` ``None``: stored NULL, the readers computing it (:data:`CONTRIBUTION_SQL`)."""
    import pyarrow as pa

    m, k = raw.shape
    offsets = pa.array(np.arange(0, m * k + 1, k, dtype=np.int32))
    cols: dict[str, Any] = {"rank": pa.array(np.asarray(ranks, dtype=np.int64))}
    for name, matrix in (("raw", raw), ("normalised", normalised), ("contribution", contribution)):
        if matrix is not None:
            values = pa.array(np.ascontiguousarray(matrix).ravel(), type=pa.float64(), from_pandas=True)
            cols[name] = pa.ListArray.from_arrays(offsets, values)
    con.register("_xb_points", _batched(pa.table(cols)))
    try:
        con.execute(f"INSERT INTO round_points SELECT {int(round_id)}, rank, raw, normalised, "
                    f"{'NULL' if contribution is None else 'contribution'} FROM _xb_points")
    finally:
        con.unregister("_xb_points")


def _derived_contributions(parts: ContributionParts) -> bool:
    """Whether every contribution of ``parts`` is ``100 × weight × normalised`` (what the scoring
    makes: :func:`~xuanba.standard.score.score_customers`), bit for bit, a NaN exactly where the
    normalised value is NaN: what :data:`CONTRIBUTION_SQL` computes back when the round stores none
    (a NaN normalised value is stored NULL, and so is its point; a NaN the product makes of numbers,
    0 × inf, would come back NaN, not NULL). A long table made by hand may hold other values: those
    are stored as they are.

    Example
    -------
    >>> p = ContributionParts(pd.Series(["a"]), ["x", "y"], np.array([0.25, 0.75]), np.array([[1.0, 2.0]]),
    ...                       np.array([[0.5, np.nan]]), np.array([[12.5, np.nan]]))
    >>> _derived_contributions(p)
    True
    >>> p.contribution = np.array([[12.5, 0.0]])  # 0 where the normalised value is missing
    >>> _derived_contributions(p)
    False
    >>> p.weights, p.normalised = np.array([np.inf, 0.75]), np.array([[0.0, np.nan]])
    >>> p.contribution = np.array([[np.nan, np.nan]])  # inf × 0 is NaN, read back NaN, not NULL
    >>> _derived_contributions(p)
    False
    """
    got, normalised = np.asarray(parts.contribution), np.asarray(parts.normalised)
    if got.shape != normalised.shape or got.dtype != np.float64 or normalised.dtype != np.float64:
        return False
    for j, w in enumerate(np.asarray(parts.weights, dtype=float)):  # a column at a time: no second matrix
        with np.errstate(all="ignore"):  # inf × 0, an overflow: the scoring's own values, no warning of ours
            want = 100.0 * w * normalised[:, j]  # as the scoring computes it: (100 × w) × normalised
        have = np.ascontiguousarray(got[:, j])
        gaps = np.isnan(have)
        if not (np.array_equal(gaps, np.isnan(normalised[:, j])) and np.array_equal(gaps, np.isnan(want))
                and np.array_equal(have[~gaps].view(np.int64), want[~gaps].view(np.int64))):
            return False
    return True


def _parts_of_long(long: pd.DataFrame, customer_ids: pd.Series) -> ContributionParts:
    """A long contributions table (:data:`CONTRIBUTION_COLUMNS`) as its parts, rows in the order
    of ``customer_ids`` (the roster's), criteria in the order they first appear; a customer
    without a row for a criterion holds NaN there. Refused: a row of a customer not in the
    roster, two rows of one customer and criterion, a criterion with two weights.

    Example
    -------
    >>> long = pd.DataFrame({"customer_id": ["b", "b", "a"], "criterion": ["x", "y", "x"], "raw": [1.0, 2.0, 3.0],
    ...                      "normalised": [0.1, 0.2, 0.3], "weight": [0.5, 0.5, 0.5], "contribution": [5.0, 10.0, 15.0]})
    >>> p = _parts_of_long(long, pd.Series(["a", "b"]))
    >>> p.criteria, p.raw.tolist()
    (['x', 'y'], [[3.0, nan], [1.0, 2.0]])
    """
    ids = pd.Index(customer_ids.astype(str))
    row = ids.get_indexer(long["customer_id"].astype(str))
    crit = long["criterion"].astype(str)
    names = list(dict.fromkeys(crit))
    col = pd.Index(names).get_indexer(crit)
    if (row < 0).any():
        bad = long["customer_id"].astype(str)[row < 0].unique()[:5].tolist()
        raise DataError(f"the contributions hold {int((row < 0).sum())} row(s) of customers not in the roster",
                        examples=bad, fix="Store a round's contributions of its roster's customers only.")
    cell = row.astype(np.int64) * max(len(names), 1) + col
    if len(np.unique(cell)) != len(cell):
        raise DataError("the contributions hold a customer's criterion twice",
                        fix="Store one row per customer and criterion.")
    weights = long.groupby(crit, sort=False)["weight"].agg(["first", "nunique"])
    if (weights["nunique"] > 1).any():
        raise DataError("a criterion has two weights in the contributions",
                        examples=weights.index[weights["nunique"] > 1].tolist()[:5],
                        fix="Store one weight (its share of the score) per criterion.")
    out = {}
    for name in ("raw", "normalised", "contribution"):
        matrix = np.full((len(ids), len(names)), np.nan)
        matrix[row, col] = long[name].to_numpy(dtype=float, na_value=np.nan)
        out[name] = matrix
    return ContributionParts(customer_ids, names, weights.loc[names, "first"].to_numpy(dtype=float), **out)


def _pause(stage: str) -> None:
    if os.environ.get(PAUSE_ENV) == stage:
        sys.stdout.write("PAUSED\n")
        sys.stdout.flush()
        time.sleep(120)


def save_round(ws: Workspace, rnd: Round) -> int:
    """Append ``rnd`` to the workspace in one transaction and return its new ``round_id``."""
    with _storing(ws) as threads, ws.transaction() as con:
        round_id = _next_round_id(con)
        _insert_round(con, round_id, rnd, threads)
        if rnd.fields is not None:
            threads.few()
            _insert_fields(con, round_id, rnd.fields, threads)
        _pause("fields")
        _insert_tables(con, round_id, rnd)
    return round_id


@dataclasses.dataclass
class _PointsGiven:
    """What :meth:`RoundSaver.start_points` was given: the arrays, the criteria, and how many
    leading rows are appended (or being appended)."""

    raw: np.ndarray
    points: np.ndarray
    criteria: list[str]
    weights: np.ndarray
    done: int = 0


class RoundSaver:
    """The transaction that appends a round whose fields are known before it is scored, in a
    thread of its own (DuckDB releases the GIL): the fields (a million rows × 30 columns, DuckDB
    compressing them into the file) while the caller scores, then the roster — from
    :meth:`start_roster`, as soon as DuckDB's scoring has placed its rows, or from
    :meth:`start_rows` when the scoring returns — and the contributions while the caller hashes
    and sums up the round. :meth:`wait` before using the workspace again; :meth:`save` appends the
    rest (the ``rounds`` row, which needs the round's meta, and its tables). See
    :func:`saving_round`."""

    def __init__(self, ws: Workspace, con: Any, round_id: int, pool: Any, pending: Any, threads: _Threads) -> None:
        self._ws, self._con, self.round_id, self._pool, self.saved = ws, con, round_id, pool, False
        self._pending: list[Any] = [] if pending is None else [pending]
        self._threads, self._rows, self._roster = threads, False, False
        self._points: _PointsGiven | None = None

    def start_points(self, stop: int, raw: np.ndarray, points: np.ndarray, criteria: Sequence[str],
                     weights: np.ndarray) -> None:
        """Start appending the round's contributions of ranks up to ``stop`` in the saver's thread,
        after what it was given before, while the scoring places the rest: ``raw`` and ``points``
        are the n × k arrays of each criterion's raw value and points in rank order (rows
        ``[0, stop)`` final, the rest being filled), the same arrays on every call, ``stop``
        growing to n (:func:`~xuanba.standard.engine.score_in_engine`'s ``on_points``). The
        contributions' parts given to :meth:`start_rows` must then be made of these very arrays
        (each contribution 100 × weight × points, as the scoring makes it), and are not appended
        again. At a million customers the saver's contributions (0.6 s) are appended while the
        engine still streams the roster, not after it."""
        given = self._points
        if given is None:
            if self._rows:
                raise RuntimeError("a round's contributions were given to its saver twice")
            given = self._points = _PointsGiven(raw, points, list(criteria), np.array(weights, dtype=float))
            self._ws.lend("the round's fields and roster being stored")
        elif raw is not given.raw or points is not given.points:
            raise RuntimeError("a round's contributions came to its saver in two sets of arrays")
        if stop <= given.done or stop > len(raw):
            if stop == given.done:
                return
            raise RuntimeError(f"a round's contributions up to rank {stop} came after those up to {given.done}")
        start, given.done = given.done, stop
        self._pending.append(self._pool.submit(self._append_points, given, start, stop, list(self._pending)))

    def _append_points(self, given: _PointsGiven, start: int, stop: int, before: list[Any]) -> None:
        for done in before:  # what was appended before in this thread: what it raised
            done.result()
        if not given.criteria:
            return
        if start == 0:
            _insert_criteria(self._con, self.round_id, given.criteria, given.weights)
        # one DuckDB thread beside the engine still streaming (as the fields beside the scoring); the
        # last rows on all of them, which write their row group before the commit (_tail_rows)
        (self._threads.all if stop == len(given.raw) else self._threads.few)()
        # in slices, as _insert_parts: a piece may be every row (batches out of rank order are
        # told only at the end), whose lists' copies would otherwise be made all at once
        for lo, hi in _slices(stop - start):
            raw, points = given.raw[start + lo:start + hi], given.points[start + lo:start + hi]
            part = ContributionParts(pd.Series([], dtype="str"), given.criteria, given.weights, raw, points,
                                     100.0 * given.weights[None, :] * points)
            _points_rows(self._con, self.round_id, np.arange(start + lo + 1, start + hi + 1, dtype=np.int64),
                         raw, points, None if _derived_contributions(part) else part.contribution)
        if stop == len(given.raw):
            _pause("contributions")

    def _points_checked(self, roster: pd.DataFrame, contributions: Any) -> None:
        """That ``contributions`` are the parts :meth:`start_points` appended, every row of them, for
        the ``roster`` in rank order (raises ``RuntimeError``: a bug in xuanba, not a user's mistake)."""
        given = self._points
        assert given is not None
        n = len(given.raw)
        ok = (isinstance(contributions, ContributionParts) and contributions.raw is given.raw
              and contributions.normalised is given.points and list(contributions.criteria) == given.criteria
              and np.array_equal(np.asarray(contributions.weights, dtype=float), given.weights)
              and given.done == n and len(roster) == n and len(contributions.customer_id) == n)
        if ok and n:
            ranks = roster["rank"].to_numpy()
            ok = bool(ranks[0] == 1 and ranks[-1] == n and (np.diff(ranks) == 1).all())
        if not ok:
            raise RuntimeError("a round's contributions appended as they were scored are not those of its roster "
                               "(a bug in xuanba)")

    def start_roster(self, roster: Any) -> None:
        """Start appending the round's roster (its :data:`ROSTER_COLUMNS` as Arrow, in rank
        order: :func:`~xuanba.standard.engine.roster_arrow`) in the saver's thread, after the
        fields, before the scoring has made the pandas roster of it; :meth:`start_rows` then
        appends the contributions alone. The caller must not change its arrays until :meth:`wait`
        returns."""
        if self._roster or self._rows:
            raise RuntimeError("a round's roster was given to its saver twice")
        self._roster = True
        self._ws.lend("the round's fields and roster being stored")
        self._pending.append(self._pool.submit(self._append_roster, roster, list(self._pending)))

    def _append_roster(self, roster: Any, before: list[Any]) -> None:
        for done in before:  # the fields, appended before in this thread: what they raised
            done.result()
        _insert_roster(self._con, self.round_id, roster, self._threads)

    def start_rows(self, roster: pd.DataFrame, contributions: ContributionParts | pd.DataFrame) -> None:
        """Start appending the round's ``roster`` (unless :meth:`start_roster` was given it) and
        ``contributions`` (its parts, or the long table) in the saver's thread, after the fields;
        the caller must not change them until :meth:`wait` returns. Its :meth:`save` then appends
        the round's row and tables alone."""
        if self._rows:
            raise RuntimeError("a round's roster was given to its saver twice")
        self._rows = True
        self._ws.lend("the round's fields and roster being stored")
        self._pending.append(self._pool.submit(self._append_rows, roster, contributions, list(self._pending)))

    def _append_rows(self, roster: pd.DataFrame, contributions: ContributionParts | pd.DataFrame,
                     before: list[Any]) -> None:
        # what was submitted before this (the fields, the roster), as it was when submitted: read
        # later, the list would hold this very append (waiting on itself) once another followed
        for done in before:
            done.result()
        if self._points is not None:  # the contributions appended already (start_points)
            self._points_checked(roster, contributions)
            if not self._roster:
                _insert_roster(self._con, self.round_id, roster[list(ROSTER_COLUMNS)], self._threads)
        elif self._roster:
            _insert_contributions(self._con, self.round_id, roster, contributions)
        else:
            _insert_rows(self._con, self.round_id, roster, contributions, self._threads)

    def wait(self) -> None:
        """Wait for what the thread appends (raising what appending it raised)."""
        try:
            for pending in self._pending:
                pending.result()
        finally:
            self._ws.lend(None)

    def save(self, rnd: Round) -> int:
        """Append the rest of ``rnd`` (its row and tables; its roster and contributions too unless
        :meth:`start_rows` was given them); returns its id."""
        self.wait()
        if not self._rows:
            long = contribution_parts(rnd) or rnd.contributions
            if self._points is not None:
                self._points_checked(rnd.roster, long)
                if not self._roster:
                    _insert_roster(self._con, self.round_id, rnd.roster[list(ROSTER_COLUMNS)], self._threads)
            elif self._roster:
                _insert_contributions(self._con, self.round_id, rnd.roster, long)
            else:
                _insert_rows(self._con, self.round_id, rnd.roster, long, self._threads)
        _insert_head(self._con, self.round_id, rnd)
        _insert_tables(self._con, self.round_id, rnd)
        self.saved = True
        return self.round_id


@contextlib.contextmanager
def saving_round(ws: Workspace, fields: pd.DataFrame | None) -> Iterator[RoundSaver]:
    """Open the transaction that appends a round, start appending its ``fields`` in a thread and
    yield a :class:`RoundSaver`. Leaving commits once :meth:`RoundSaver.save` has run; an error
    (or leaving without saving) waits for the thread, then rolls everything back, the fields and
    the roster included. Nothing else may use the workspace's connection before
    :meth:`RoundSaver.wait` (or ``save``) returns.

    Example
    -------
    >>> with saving_round(ws, rnd.fields) as saver:  # doctest: +SKIP
    ...     scored = score_it()                        # the fields are being stored meanwhile
    ...     saver.start_rows(scored.roster, parts)     # and now the roster and contributions
    ...     rnd = sum_it_up(scored)
    ...     rnd.round_id = saver.save(rnd)
    """
    from concurrent.futures import ThreadPoolExecutor

    with _storing(ws) as threads, ws.transaction() as con:
        round_id = _next_round_id(con)
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:  # leaving waits for the thread
                if fields is not None:  # the workspace refuses other uses of the connection meanwhile
                    threads.few()
                    ws.lend("the round's fields being stored")
                pending = None if fields is None else pool.submit(_insert_fields_then_pause, con, round_id, fields,
                                                                  threads)
                saver = RoundSaver(ws, con, round_id, pool, pending, threads)
                yield saver
        finally:
            ws.lend(None)
        if not saver.saved:
            raise RuntimeError("a round's transaction was left without saving the round")


def _insert_fields_then_pause(con: Any, round_id: int, fields: pd.DataFrame, threads: _Threads) -> None:
    _insert_fields(con, round_id, fields, threads)
    _pause("fields")


def _next_round_id(con: Any) -> int:
    _ddl(con)
    row = con.execute("SELECT COALESCE(MAX(round_id), 0) + 1 FROM rounds").fetchone()
    return int(row[0]) if row else 1


def _insert_round(con: Any, round_id: int, rnd: Round, threads: _Threads | None = None) -> None:
    """The round's row, roster and contributions."""
    _insert_head(con, round_id, rnd)
    _insert_rows(con, round_id, rnd.roster, contribution_parts(rnd) or rnd.contributions, threads)


def _insert_head(con: Any, round_id: int, rnd: Round) -> None:
    """The round's row in ``rounds``: its meta, hashes and counts."""
    meta = dict(rnd.meta)
    con.execute(
        "INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [round_id, meta["name"], meta["cutoff"], meta["created_at"].replace("+00:00", ""),
         meta["standard_name"], meta["standard_version"], meta["standard_sha256"], rnd.standard.text,
         meta["data_sha256"], meta["roster_sha256"], meta["n_customers"], meta["n_selected"],
         meta["time_unit"], meta["currency"], json.dumps(meta, ensure_ascii=False, sort_keys=True)],
    )
    _pause("rounds")


def _insert_rows(con: Any, round_id: int, roster: pd.DataFrame, contributions: ContributionParts | pd.DataFrame,
                 threads: _Threads | None = None) -> None:
    """The round's roster (in its order: by rank), then its contributions (their parts, or the
    long table, :func:`_parts_of_long`), checked to be of the roster's customers in its order.

    The roster goes first: in a round run this is the saver's thread after the scoring, beside
    the caller's hashes and summary (a DuckDB round's roster from :meth:`RoundSaver.start_roster`,
    before the scoring returns, and its contributions after). Its append (the text columns made Arrow) beside the summary
    held 0.65 GiB more at 10 M customers than the contributions' append does (peak 7.2 against
    6.56 GiB, under the 7.45 GiB of issue 16), for 0.12-0.36 s at 1 M when it went last
    (docs/benchmarks_round.md, save18). Each table gets the same rows in the same order either
    way, and both are in the round's one transaction."""
    _insert_roster(con, round_id, roster[list(ROSTER_COLUMNS)], threads)
    _insert_contributions(con, round_id, roster, contributions)


def _insert_roster(con: Any, round_id: int, roster: Any, threads: _Threads | None = None) -> None:
    """The round's roster (its :data:`ROSTER_COLUMNS`, pandas or Arrow), in its order: its
    :data:`CODED_COLUMNS` as codes into ``roster_labels``'s row of the round (an Arrow dictionary's
    own indices and words, as a DuckDB scoring gives them: :func:`~xuanba.standard.engine.roster_arrow`).
    Half the CPU of appending the texts (docs/benchmarks_round.md, codes33)."""
    table, labels = roster_codes(roster)
    wide = [col for col in CODED_COLUMNS if len(labels[col]) > SMALL_CODES]
    kinds = {} if not wide else dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                                 "WHERE table_name = 'roster_codes'").fetchall())
    for col in wide:  # more labels than a SMALLINT names (gate failures, e.g.): widened, kept so
        if kinds.get(col) == "SMALLINT":
            con.execute(f"ALTER TABLE roster_codes ALTER {col} TYPE INTEGER")
    con.execute(f"INSERT INTO roster_labels VALUES ({int(round_id)}, {', '.join('?' for _ in CODED_COLUMNS)})",
                [labels[c] for c in CODED_COLUMNS])
    _append_narrowed(con, table, f"INSERT INTO roster_codes SELECT {int(round_id)}, {', '.join(ROSTER_COLUMNS)} "
                     "FROM _xb_rows", threads)
    _pause("roster")


def roster_codes(roster: Any) -> tuple[Any, dict[str, list[str | None]]]:
    """``roster`` (pandas or Arrow, its :data:`ROSTER_COLUMNS`) as Arrow with its
    :data:`CODED_COLUMNS` as integer codes, and each such column's labels: the value of code ``i``
    is ``labels[col][i]`` (a missing value a missing code). An Arrow dictionary column gives its
    own indices and words (not copied); a text column is encoded here.

    Example
    -------
    >>> t, labels = roster_codes(pd.DataFrame({"tier": ["B", "", "B", None]}))
    >>> t.column("tier").to_pylist(), labels["tier"]
    ([0, 1, 0, None], ['B', ''])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _arrow_whole(roster)
    labels: dict[str, list[str | None]] = {}
    for col in CODED_COLUMNS:
        if col not in table.column_names:
            continue
        got = table.column(col)
        if pa.types.is_null(got.type):  # every value missing (a roster made by hand)
            got = got.cast(pa.large_string())
        if not pa.types.is_dictionary(got.type) or got.num_chunks != 1:
            got = pc.dictionary_encode(got.cast(pa.large_string()) if pa.types.is_dictionary(got.type) else got)
        got = got.combine_chunks() if isinstance(got, pa.ChunkedArray) else got
        words = got.dictionary.to_pylist()
        labels[col] = [None if w is None else str(w) for w in words]
        codes = got.indices
        table = table.set_column(table.schema.get_field_index(col), col,
                                 codes.cast(pa.int16() if len(words) <= SMALL_CODES else pa.int32()))
    return table, labels


def _arrow_whole(roster: Any) -> Any:
    """``roster`` as an Arrow table (a pandas one converted, an Arrow one as it is)."""
    import pyarrow as pa

    if isinstance(roster, pd.DataFrame):
        return pa.Table.from_pandas(roster, preserve_index=False)
    return roster


def _insert_contributions(con: Any, round_id: int, roster: pd.DataFrame,
                          contributions: ContributionParts | pd.DataFrame) -> None:
    """The round's contributions, checked to be of the ``roster``'s customers in its order."""
    if not isinstance(contributions, ContributionParts):  # a long table (made by hand): its parts, in roster order
        parts = _parts_of_long(contributions, roster["customer_id"])
    elif len(contributions.customer_id) != len(roster) or not _same_ids(contributions.customer_id,
                                                                        roster["customer_id"]):
        raise DataError("the round's contributions are not of its roster's customers, in its order",
                        fix="Store a round as run_round returns it.")
    else:
        parts = contributions
    _insert_parts(con, round_id, parts, roster["rank"].to_numpy())
    _pause("contributions")


def _same_ids(a: pd.Series, b: pd.Series) -> bool:
    """Whether two id columns hold the same ids in the same order: compared as arrays of one type
    (0.2 ms for a million Arrow ids), else value by value (0.12 s)."""
    if a.array is b.array or (a.dtype == b.dtype and a.array.equals(b.array)):
        return True
    return bool((a.to_numpy(dtype=object) == b.to_numpy(dtype=object)).all())


def _insert_tables(con: Any, round_id: int, rnd: Round) -> None:
    for name, stored in rnd.tables.items():
        con.execute("INSERT INTO round_tables VALUES (?, ?, ?, ?)",
                    [round_id, name, json.dumps(stored.info, ensure_ascii=False, sort_keys=True, default=str),
                     None if stored.frame is None else stored.frame.to_json(orient="table", index=False,
                                                                             date_format="iso")])


def list_rounds(workspace: Workspace | str) -> pd.DataFrame:
    """Every stored round, oldest first (no standard text; see :func:`load_round`)."""
    with open_workspace(workspace, read_only=True) as ws:
        if not ws.has_table("rounds"):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in LIST_COLUMNS})
        frame = ws.sql(f"SELECT {', '.join(LIST_COLUMNS)} FROM rounds ORDER BY round_id")
    frame["cutoff"] = pd.to_datetime(frame["cutoff"]).dt.date
    return frame


def _round_ids(ws: Workspace) -> list[int]:
    import duckdb

    try:  # one query (asking the catalogue first costs more than the answer; pages ask this per customer)
        return [int(x) for x in ws.sql("SELECT round_id FROM rounds ORDER BY round_id")["round_id"]]
    except duckdb.CatalogException:
        return []


def resolve_round_id(ws: Workspace, ref: int | str) -> int:
    """A round id from ``3``, ``"3"``, ``"latest"`` or ``"previous"`` (the one before latest)."""
    ids = _round_ids(ws)
    if not ids:
        raise WorkspaceError(Phrase("err_no_rounds"), file=ws.path, fix=Phrase("err_no_rounds_fix"))
    text = str(ref).strip().lower()
    if text in ("latest", "last"):
        return ids[-1]
    if text in ("previous", "prev"):
        if len(ids) < 2:
            raise WorkspaceError(Phrase("err_only_one_round"), file=ws.path, fix=Phrase("err_only_one_round_fix"))
        return ids[-2]
    try:
        rid = int(text)
    except ValueError:
        raise WorkspaceError(Phrase("err_not_round_id", ref=repr(ref)), file=ws.path,
                             fix=Phrase("err_not_round_id_fix")) from None
    if rid not in ids:
        raise WorkspaceError(Phrase("err_no_round", round_id=rid), file=ws.path, examples=ids[-5:],
                             fix=Phrase("err_no_round_fix"))
    return rid


def previous_round(ws: Workspace, round_id: int | str) -> int | None:
    """The id of the round stored just before ``round_id`` (``None`` for the first one)."""
    ids = _round_ids(ws)
    rid = resolve_round_id(ws, round_id)
    i = ids.index(rid)
    return ids[i - 1] if i > 0 else None


def holds_selection_only(meta: dict[str, Any] | None) -> bool:
    """Whether a round stored only its selected customers (a round run on an engine,
    :func:`xuanba.rounds.run_round_on_engine`): its whole-base figures are in its meta, never
    in the length of its roster."""
    return (meta or {}).get("stored_customers") == "selected"


def refuse_selection_only(meta: dict[str, Any], round_id: int, what: Phrase, fix: Phrase | None = None) -> None:
    """Raise a :class:`DataError` when round ``round_id`` stored only its selected customers and
    ``what`` (e.g. ``Phrase("err_what_whatif")``: "a what-if") needs every customer's fields: re-scoring the stored selection
    would give a wrong answer, never a partial one."""
    if not holds_selection_only(meta):
        return
    sel = int(meta.get("n_selected") or 0)
    raise DataError(Phrase("err_selection_only_refused", round_id=str(round_id),
                           engine=meta.get("engine") or Phrase("err_an_engine"), sel=f"{sel:,}",
                           customers=Phrase("err_word_customer" if sel == 1 else "err_word_customers"),
                           n=f"{int(meta.get('n_customers') or 0):,}", what=what),
                    fix=fix or Phrase("err_selection_only_refused_fix"))


def _load_fields(ws: Workspace, rid: int, stored: list[str] | None,
                 columns: Sequence[str] | None) -> pd.DataFrame | None:
    """The round's stored fields (``stored``: the names its meta lists), or the named ones."""
    if stored is None or not ws.has_table("round_fields"):
        return None
    wanted = stored if columns is None else [c for c in columns if c in stored]
    names = ", ".join(_quote(c) for c in ["customer_id", *wanted])
    frame = ws.sql(f"SELECT {names} FROM round_fields WHERE round_id = ? ORDER BY customer_id", [rid])
    frame["customer_id"] = frame["customer_id"].astype("str")
    return frame


def _load_tables(ws: Workspace, rid: int) -> dict[str, StoredTable]:
    from io import StringIO

    from xuanba.rounds.run import StoredTable

    if not ws.has_table("round_tables"):
        return {}
    rows = ws.sql("SELECT name, info_json, table_json FROM round_tables WHERE round_id = ? ORDER BY name", [rid])
    out = {}
    for r in rows.itertuples(index=False):
        frame = None if r.table_json is None or pd.isna(r.table_json) else pd.read_json(
            StringIO(str(r.table_json)), orient="table")
        out[str(r.name)] = StoredTable(json.loads(str(r.info_json)), frame)
    return out


# -- the one reader of the contributions ---------------------------------------------------------
# Everything that reads a round's contributions (load_round, the report's strongest criteria, the
# web's customer pages, what-if's reasons) goes through these functions, which know how they lie.


def _narrow(ws: Workspace) -> bool:
    """Whether the workspace holds contributions as :data:`_POINTS_DDL` (schema version 3 on), not
    as version 2's long ``contributions`` table (a read-only open of an older file)."""
    return ws.has_table("round_points")


def _long_rows(ws: Workspace) -> str:
    """A query of a round's contributions (``$rid``: its id), long, with the customer's rank and
    selection beside them: ``rank, selected, customer_id, criterion, position, raw, normalised,
    weight, contribution``; ``position`` orders a customer's criteria as stored. Either layout."""
    if _narrow(ws):
        return ("SELECT p.rank, r.selected, r.customer_id, k.criterion, k.position, p.raw[k.position] AS raw, "
                f"p.normalised[k.position] AS normalised, k.weight, {CONTRIBUTION_SQL} AS contribution "
                f"FROM round_points p JOIN {roster_of(ws, ['rank', 'selected', 'customer_id'])} r ON r.round_id = p.round_id AND r.rank = p.rank "
                "JOIN round_criteria k ON k.round_id = p.round_id "
                "WHERE p.round_id = $rid AND r.round_id = $rid AND k.round_id = $rid")
    cols = ", ".join(f"c.{c}" for c in CONTRIBUTION_COLUMNS[1:])
    return (f"SELECT r.rank, r.selected, c.customer_id, c.rowid AS position, {cols} FROM contributions c "
            "JOIN roster r ON r.round_id = c.round_id AND r.customer_id = c.customer_id WHERE c.round_id = $rid")


def read_contributions(ws: Workspace, round_id: int, *, columns: Sequence[str] = CONTRIBUTION_COLUMNS,
                       where: str = "", params: dict[str, Any] | None = None, order: str = "rank, position",
                       limit: int | None = None) -> pd.DataFrame:
    """Round ``round_id``'s stored contributions, long (``columns`` of :data:`CONTRIBUTION_COLUMNS`,
    ``rank``, ``selected``), the rows ``where`` holds (SQL over those names and ``position``, with
    named ``params``: ``$name``), in ``order`` (SQL). The one reader of the stored contributions.

    Example
    -------
    >>> read_contributions(ws, 3, where="rank <= $top", params={"top": 10})  # doctest: +SKIP
    """
    frame = ws.sql(*_query(ws, round_id, columns, where, params, order, limit))  # type: ignore[arg-type]
    for col in ("customer_id", "criterion"):
        if col in frame.columns:
            frame[col] = frame[col].astype("str")
    return frame


def _query(ws: Workspace, round_id: int, columns: Sequence[str], where: str, params: dict[str, Any] | None,
           order: str, limit: int | None = None) -> tuple[str, dict[str, Any]]:
    text = f"SELECT {', '.join(columns)} FROM ({_long_rows(ws)}) t" + (f" WHERE {where}" if where else "")
    text += f" ORDER BY {order}" + ("" if limit is None else f" LIMIT {int(limit)}")
    return text, {"rid": int(round_id), **(params or {})}


def contributions_of(ws: Workspace, round_id: int, customer_ids: Sequence[str]) -> pd.DataFrame:
    """The stored contributions (``customer_id, criterion, contribution``) of ``customer_ids`` in
    round ``round_id``, each customer's criteria as stored (a few customers: what-if's movers)."""
    return read_contributions(ws, round_id, columns=("customer_id", "criterion", "contribution"),
                              where="list_contains($ids::VARCHAR[], customer_id)",
                              params={"ids": [str(c) for c in customer_ids]})


def customer_contributions(ws: Workspace, round_id: int, customer_id: str, *,
                           rank: int | None = None) -> list[tuple[Any, ...]]:
    """Customer ``customer_id``'s stored ``(criterion, raw, normalised, weight, contribution)`` in
    round ``round_id``, as stored (ordered by criterion as the round had them; a missing value
    ``None``, a NaN stored as such a float NaN); ``rank``: theirs, when known (their rows are
    then found by it, and a wrong rank finds none)."""
    where, params = "customer_id = $cid", {"cid": str(customer_id)}
    if rank is not None:
        where, params = where + " AND rank = $rank", {**params, "rank": int(rank)}
    return ws.con.execute(*_query(ws, round_id, CONTRIBUTION_COLUMNS[1:], where, params,  # type: ignore[arg-type]
                                  "rank, position")).fetchall()


def ranked_contributions(ws: Workspace, round_id: int) -> Any:
    """Round ``round_id``'s stored contributions as an Arrow table in rank order (each customer's
    criteria as stored): ``rank`` (INTEGER), ``criterion``, ``raw``, ``normalised``, ``weight``,
    ``contribution`` (the criterion dictionary-encoded: a few names, no string per row); what the
    web keeps in memory to show a customer's points without a query."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _narrow(ws):
        cols = ", ".join(CONTRIBUTION_COLUMNS[1:])
        got = ws.con.execute(f"SELECT CAST(rank AS INTEGER) AS rank, {cols} FROM ({_long_rows(ws)}) t "
                             "ORDER BY rank, position", {"rid": int(round_id)}).arrow()
        table = (got.read_all() if hasattr(got, "read_all") else got).combine_chunks()
        at = table.schema.get_field_index("criterion")
        return table.set_column(at, "criterion", pc.dictionary_encode(table.column(at)))
    crit = ws.con.execute("SELECT criterion, weight FROM round_criteria WHERE round_id = ? ORDER BY position",
                          [int(round_id)]).fetchall()
    got = ws.con.execute("SELECT CAST(rank AS INTEGER) AS rank, raw, normalised, contribution FROM round_points "
                         "WHERE round_id = ? ORDER BY rank", [int(round_id)]).arrow()
    points = (got.read_all() if hasattr(got, "read_all") else got).combine_chunks()
    k, n = len(crit), points.num_rows
    flat = {c: pc.list_flatten(points.column(c)) for c in ("raw", "normalised")}
    which = np.tile(np.arange(k, dtype=np.int32), n)  # each row's criterion: its position - 1
    stored = points.column("contribution")
    if not stored.null_count:
        flat["contribution"] = pc.list_flatten(stored)
    else:  # a round that stored none (CONTRIBUTION_SQL): 100 × weight × normalised, the same operations in
        # Arrow (no DuckDB lambda: DuckDB before 1.3 parses none), a NULL weight or normalised value NULL
        weight_at = pc.take(pa.array([w for _, w in crit], pa.float64()), which)
        product = pc.multiply(pc.multiply(pa.scalar(100.0), weight_at), flat["normalised"])
        flat["contribution"] = product if stored.null_count == n else pc.if_else(  # rows of both kinds
            np.repeat(stored.is_null().to_numpy(zero_copy_only=False), k), product,
            pc.list_flatten(pc.coalesce(stored, points.column("normalised"))))
    return pa.table({"rank": pc.take(points.column("rank"), pa.array(np.repeat(np.arange(n), k))),
                     # the names as codes into the round's few (no Python string per row)
                     "criterion": pa.DictionaryArray.from_arrays(which, pa.array([c for c, _ in crit], pa.string())),
                     "raw": flat["raw"], "normalised": flat["normalised"],
                     "weight": pa.array(np.tile(np.array([w for _, w in crit], dtype=float), n)),
                     "contribution": flat["contribution"]})


def read_roster(ws: Workspace, round_id: int, columns: Sequence[str] = ROSTER_COLUMNS, *,
                dictionaries: bool = False) -> Any:
    """Round ``round_id``'s stored roster as Arrow, in rank order: ``columns`` (of
    :data:`ROSTER_COLUMNS`), each text as stored. Since schema version 5 its
    :data:`CODED_COLUMNS` are read as their codes and decoded here, once per label (a fifth of
    the CPU of reading the texts: docs/benchmarks_round.md, codes33); with ``dictionaries`` they
    stay Arrow dictionaries (the round's labels, no text per row). An older file's texts are read
    as they are. The reader of whole rosters (``load_round``, the web's kept round).

    Example
    -------
    >>> read_roster(ws, 3, ["rank", "tier"]).column("tier").to_pylist()[:2]  # doctest: +SKIP
    ['A', 'A']
    """
    names = ", ".join(columns)
    coded = ws.has_table("roster_codes")
    got = ws.con.execute(f"SELECT {names} FROM {'roster_codes' if coded else 'roster'} WHERE round_id = ? "
                         "ORDER BY rank", [int(round_id)]).arrow()
    table = got.read_all() if hasattr(got, "read_all") else got
    wanted = [c for c in columns if c in CODED_COLUMNS]
    if not coded or not wanted:
        return table
    return decoded(table, round_labels(ws.con, round_id, wanted), dictionaries=dictionaries)


def decoded(table: Any, labels: Mapping[str, Sequence[str | None]], *, dictionaries: bool = False) -> Any:
    """``table`` (Arrow, rows of one round read from ``roster_codes``) with each of its columns
    that ``labels`` names (:func:`round_labels`) decoded: code ``i`` read as ``labels[col][i]``,
    once per label (no text per row is made in SQL); with ``dictionaries`` an Arrow dictionary.
    A code its labels lack (a round without a row of labels, a file changed by hand) reads NULL,
    as the ``roster`` view reads it (:func:`roster_sql`). The one decoder of coded rows outside
    SQL (:func:`read_roster`, the web's export).

    Example
    -------
    >>> import pyarrow as pa
    >>> decoded(pa.table({"tier": pa.array([1, None, 0, 7], pa.int16())}), {"tier": ["A", "B"]}).column("tier").to_pylist()
    ['B', None, 'A', None]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for col, words in labels.items():
        if col not in table.column_names:
            continue
        texts = pa.array(list(words), type=pa.large_string())
        codes = table.column(col).combine_chunks().cast(pa.int32())
        low, high = pc.min_max(codes).values()
        if low.is_valid and (low.as_py() < 0 or high.as_py() >= len(texts)):  # codes no label names: NULL
            codes = pc.if_else(pc.and_(pc.greater_equal(codes, 0), pc.less(codes, len(texts))), codes,
                               pa.scalar(None, pa.int32()))
        at = table.schema.get_field_index(col)
        table = table.set_column(at, col, pa.DictionaryArray.from_arrays(codes, texts) if dictionaries
                                 else texts.take(codes))
    return table


def round_labels(con: Any, round_id: int, columns: Sequence[str] = CODED_COLUMNS) -> dict[str, list[str | None]]:
    """Round ``round_id``'s labels of each of ``columns`` (of :data:`CODED_COLUMNS`) in a file of
    schema version 5: code ``i`` is ``labels[col][i]``; a round without a labels row, none. The one
    reader of ``roster_labels`` (:func:`read_roster`, the web's pages, export and kept rounds); a
    round with two rows of labels (a damaged file) is refused (:func:`_labels_twice`).

    Example
    -------
    >>> round_labels(ws.con, 3, ["tier"])  # doctest: +SKIP
    {'tier': ['A', 'B', '']}
    """
    rows = con.execute(f"SELECT {', '.join(columns)} FROM roster_labels WHERE round_id = ? LIMIT 2",
                       [int(round_id)]).fetchall()
    if len(rows) > 1:
        raise _labels_twice(con, [int(round_id)])
    row = rows[0] if rows else None
    return {c: list(w or []) for c, w in zip(columns, row or [None] * len(columns), strict=True)}


def _labels_twice(con: Any, rounds: Sequence[int], path: str | None = None) -> WorkspaceError:
    """The error of ``rounds`` each holding more than one row of ``roster_labels`` (one is written
    per round, in the round's transaction: a file changed by hand or damaged). Which row a code
    names cannot be told, and a join on them would read each roster row once per row of labels."""
    if path is None:
        found = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()
        path = str(found[0]) if found and found[0] else None
    return WorkspaceError(Phrase("err_labels_twice", rounds=", ".join(str(r) for r in rounds[:5]),
                                 count=str(len(rounds))), file=path, fix=Phrase("err_labels_twice_fix"))


def load_round(workspace: Workspace | str, round_id: int | str, *,
               fields: bool | Sequence[str] = True, contributions: bool = True) -> Round:
    """Re-open a stored round: its standard (from the stored text), roster, contributions, the
    per-customer fields it gathered and the tables it computed.

    ``fields`` picks which stored fields to load: all (``True``), none (``False``) or the named
    ones (a report needs only a few of a 1 M-customer round's columns). ``contributions=False``
    leaves out the per-criterion table and the roster's raw-value columns rebuilt from it (a
    diff and the report need neither; a 1 M-customer round holds millions of those rows).
    """
    from xuanba.rounds.run import Round

    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_id)
        head = ws.sql("SELECT standard_text, meta_json FROM rounds WHERE round_id = ?", [rid])
        meta = json.loads(head.loc[0, "meta_json"])
        standard = stored_standard(str(head.loc[0, "standard_text"]), meta)
        roster = roster_frame(read_roster(ws, rid))
        # a round with no usable model scored without the criteria that need predictions
        dropped = set((meta.get("fallback") or {}).get("criteria") or [])
        names = [c.name for c in standard.criteria if c.name not in dropped]
        # in roster order, criteria in the standard's order: the raw values reshape without a join here
        contrib = read_contributions(ws, rid, order="rank, list_position($names::VARCHAR[], criterion)",
                                     params={"names": names}, limit=None if contributions else 0)
        stored_fields = None
        if fields is not False:
            stored_fields = _load_fields(ws, rid, meta.get("field_columns"),
                                         None if fields is True else list(fields))
        tables = _load_tables(ws, rid)
    if contributions and names:
        raw = contrib["raw"].to_numpy(dtype=float, na_value=np.nan).reshape(len(roster), len(names))
        for j, n in enumerate(names):
            roster[n] = raw[:, j]
    for col in ("customer_id", "tier", "quadrant", "gates_failed", "next_tier",
                "cheapest_criterion", "cheapest_public_criterion"):
        roster[col] = roster[col].astype("str")
    return Round(rid, meta, standard, roster, contrib, fields=stored_fields, tables=tables)


def roster_frame(table: Any) -> pd.DataFrame:
    """A roster read by :func:`read_roster` as pandas, typed as DuckDB's ``.df()`` types it (its
    texts pandas' own text columns, taken from Arrow without a Python string per row): a text
    column with no value (all missing, or no row) is of objects (``None``), a boolean or integer
    column with a missing value pandas' nullable type (a roster saved by hand may hold them).

    Example
    -------
    >>> import pyarrow as pa
    >>> roster_frame(pa.table({"t": pa.array([None, None], pa.large_string()), "b": [True, None]})).dtypes.tolist()
    [dtype('O'), BooleanDtype]
    """
    import pyarrow as pa

    out = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_large_string(col.type) or pa.types.is_string(col.type):
            out[name] = (pd.Series([None] * len(col), dtype=object) if col.null_count == len(col)
                         else pd.Series(pd.array(col, dtype="str")))
        elif col.null_count and (pa.types.is_boolean(col.type) or pa.types.is_integer(col.type)):
            out[name] = col.to_pandas(types_mapper=_nullable().get)
        else:
            out[name] = col.to_pandas()
    return pd.DataFrame(out, copy=False)


@functools.cache
def _nullable() -> dict[Any, Any]:
    """Arrow's boolean and integer types -> pandas' nullable ones (as DuckDB's ``.df()`` types a
    column with a missing value)."""
    import pyarrow as pa

    return {pa.bool_(): pd.BooleanDtype(), pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(),
            pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(),
            pa.uint16(): pd.UInt16Dtype(), pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}



def load_contributions(workspace: Workspace | str, round_id: int | str, *, selected: bool = True,
                       max_rank: int | None = None) -> pd.DataFrame:
    """The stored contributions (long: ``customer_id, criterion, raw, normalised, weight,
    contribution``) of the round's selected customers (all with ``selected=False``), ranked at
    most ``max_rank``, in rank order. A report lists the selection's strongest criteria from here
    without loading every customer's rows.

    Example
    -------
    >>> load_contributions("xuanba.duckdb", "latest", max_rank=100)  # doctest: +SKIP
    """
    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_id)
        where: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        if selected:
            where.append("selected")
        if max_rank is not None:
            where.append("rank <= $top")
            params["top"] = int(max_rank)
        return read_contributions(ws, rid, where=" AND ".join(where), params=params, order="rank, criterion")


#: The stored fields :func:`customer_standing` returns beside the roster row.
STANDING_FIELDS = ("name", "owner", "segment", "region", "revenue_365d", "margin_365d", "profit_365d",
                   "p_alive", "clv_3y", "expected_purchases_1y")


def customer_standing(workspace: Workspace | str, round_id: int | str, customer_id: str, *,
                      rank: int | None = None) -> dict[str, Any] | None:
    """One customer's row of a stored round: rank, score, tier (and its label), selection, and the
    fields of :data:`STANDING_FIELDS` the round stored for them; ``None`` when the round does not
    hold the customer. Account sheets and pages show these numbers, never recomputed ones.

    ``rank``: the customer's rank in that round when the caller knows it (the web app keeps the
    roster in memory); the roster, stored in rank order, is then read through its zone maps
    instead of scanned. A wrong rank finds no row (``None``), never another customer."""
    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_id)
        by_rank = "" if rank is None else " AND rank = ?"
        table = roster_of(ws, ["customer_id", "rank", "score", "tier", "selected"])  # one text decoded
        row = ws.sql(f"SELECT rank, score, tier, selected FROM {table} WHERE round_id = ? AND customer_id = ?{by_rank}",
                     [rid, str(customer_id), *([] if rank is None else [int(rank)])])
        if not len(row):
            return None
        head = ws.sql("SELECT cutoff, n_customers, standard_text, meta_json FROM rounds WHERE round_id = ?", [rid])
        meta = json.loads(head.loc[0, "meta_json"])
        stored = [c for c in STANDING_FIELDS if c in (meta.get("field_columns") or [])]
        fields: dict[str, Any] = {}
        if stored:
            names = ", ".join(_quote(c) for c in stored)
            got = ws.sql(f"SELECT {names} FROM round_fields WHERE round_id = ? AND customer_id = ?",
                         [rid, str(customer_id)])
            if len(got):
                fields = got.iloc[0].to_dict()
        return standing_of(rid, meta, int(head.loc[0, "n_customers"]), str(head.loc[0, "standard_text"]),
                           str(customer_id), {k: row.loc[0, k] for k in ("rank", "score", "tier", "selected")},
                           fields)


def standing_of(round_id: int, meta: dict[str, Any], n_customers: int, standard_text: str, customer_id: str,
                row: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """A customer's standing (as :func:`customer_standing` gives it) from what their round stored:
    its ``meta``, size and standard's text, the customer's roster ``row`` (rank, score, tier,
    selected) and their stored ``fields`` (any of the round's field columns; those of
    :data:`STANDING_FIELDS` are kept). For a caller that holds these already (the web app).

    Example
    -------
    >>> s = standing_of(1, {"cutoff": "2026-06-30", "field_columns": ["name", "x"]}, 10, "", "C1",
    ...                 {"rank": 3, "score": 71.5, "tier": "", "selected": False}, {"name": "Acme", "x": 1})
    >>> s["name"], s["rank"], "x" in s
    ('Acme', 3, False)
    """
    out: dict[str, Any] = {"round_id": round_id, "cutoff": str(meta["cutoff"]), "customer_id": str(customer_id),
                           "n_customers": int(n_customers), **{k: row[k] for k in ("rank", "score", "tier", "selected")}}
    if out["tier"]:
        labels = _tier_labels(standard_text, *stored_names(meta))
        out["tier_label"] = labels.get(str(out["tier"]), str(out["tier"]))
    else:
        out["tier_label"] = ""
    stored = [c for c in STANDING_FIELDS if c in (meta.get("field_columns") or [])]
    out.update({c: fields[c] for c in stored if c in fields})
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in out.items()}


@functools.lru_cache(maxsize=16)
def _tier_labels(standard_text: str, extra_fields: tuple[str, ...], attributes: tuple[str, ...]) -> dict[str, str]:
    """Each tier's label in a stored standard (parsed once per text: a page asks per customer)."""
    standard = load_standard(standard_text, extra_fields=extra_fields, attributes=attributes)
    return {t.name: t.label or t.name for t in standard.tiers}


def stored_names(meta: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names besides the built-in fields a stored round's standard was read with: its extra
    fields and the columns of the customers table it joined (``meta``).

    Example
    -------
    >>> stored_names({"extra_fields": ["nps"], "customer_fields": None})
    (('nps',), ())
    """
    return (tuple(str(c) for c in meta.get("extra_fields") or ()),
            tuple(str(c) for c in meta.get("customer_fields") or ()))


def stored_standard(text: str, meta: dict[str, Any]) -> Standard:
    """A stored round's (or backtest's) standard, read back from its ``text`` with the names it
    was valid with when stored (``meta``'s ``extra_fields`` and ``customer_fields``), whatever
    the workspace's customers table holds now: a round stays readable after that table changes.

    Example
    -------
    >>> text = ('[standard]\\nname = "a"\\nversion = "1"\\n[[criteria]]\\nname = "revenue"\\n'
    ...         'field = "revenue_365d"\\nweight = 1\\n[[gates]]\\nname = "g"\\nexpr = "industry != \\'x\\'"\\n')
    >>> stored_standard(text, {"extra_fields": [], "customer_fields": ["industry"]}).gates[0].name
    'g'
    """
    extra, attributes = stored_names(meta)
    return load_standard(text, extra_fields=extra, attributes=attributes)


def round_cutoff(meta: dict[str, Any]) -> dt.date:
    """The cutoff of a round as a date."""
    return dt.date.fromisoformat(str(meta["cutoff"]))


# -- stored backtests ------------------------------------------------------------------------------
# A backtest is kept so that the report of a round can say how its standard has performed without
# recomputing anything: ``backtests`` (one row each: the standard's name, version, SHA-256 and text,
# the horizon, the cutoffs, notes), ``backtest_cutoffs`` (:data:`~xuanba.rounds.backtest.COLUMNS`) and ``backtest_overall``
# (one row per method: the overall figures and the verdict against each baseline). Append-only.

_MEASURES = ("revenue_captured", "profit_captured", "customer_share", "lift", "precision", "top_tier_hit",
             "retention_selected", "retention_rest", "stability")  # xuanba.rounds.backtest.MEASURES
_OVERALL_FLOATS = (*_MEASURES, "revenue_captured_lo", "revenue_captured_hi")
_JUDGEMENT = ("verdict", "behind", "compared")  # xuanba.rounds.backtest._JUDGEMENT
_STORED_DDL = (
    """CREATE TABLE IF NOT EXISTS backtests (
    backtest_id BIGINT PRIMARY KEY, created_at TIMESTAMP, standard_name VARCHAR, standard_version VARCHAR,
    standard_sha256 VARCHAR, standard_text VARCHAR, horizon_days BIGINT, first_cutoff DATE,
    last_cutoff DATE, info_json VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS backtest_cutoffs (backtest_id BIGINT, cutoff DATE, method VARCHAR, "
    "horizon_days BIGINT, complete BOOLEAN, customers BIGINT, selected BIGINT, top_tier BIGINT, "
    + ", ".join(f"{m} DOUBLE" for m in _OVERALL_FLOATS) + ")",
    "CREATE TABLE IF NOT EXISTS backtest_overall (backtest_id BIGINT, position BIGINT, method VARCHAR, "
    "cutoffs BIGINT, " + ", ".join(f"{m} DOUBLE" for m in _OVERALL_FLOATS)
    + ", verdict VARCHAR, behind BIGINT, compared BIGINT)",
)


def _migrate_v2(ws: Workspace) -> None:
    """Schema version 1 -> 2: the tables of stored backtests (empty)."""
    for ddl in _STORED_DDL:
        ws.con.execute(ddl)


def _migrate_v3(ws: Workspace) -> None:
    """Schema version 2 -> 3: the long ``contributions`` table (a row per round, customer and
    criterion) becomes ``round_criteria`` and ``round_points`` (a row per round and customer,
    keyed by rank), and ``contributions`` a view that shows them as before. Criteria keep the
    order they were stored in; every value is moved as stored (a NULL stays NULL). Refused, with
    nothing changed, when the old rows cannot be keyed by rank (a customer not in the roster, two
    customers of a round with one rank, a criterion with two weights, a customer's criterion twice)."""
    con = ws.con
    kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_name IN ('contributions', 'roster')").fetchall())
    if kinds.get("contributions") != "BASE TABLE":
        return  # no round stored yet: the tables and the view are made with the first one
    if "roster" not in kinds:
        con.execute(f"CREATE TABLE roster (round_id BIGINT, {', '.join(f'{k} {v}' for k, v in _ROSTER_TYPES.items())})")
    checks = {
        "rows of customers not in their round's roster": (
            "SELECT count(*), list(DISTINCT c.customer_id)[:5] FROM contributions c LEFT JOIN roster r "
            "ON r.round_id = c.round_id AND r.customer_id = c.customer_id WHERE r.rank IS NULL"),
        "ranks held by more than one customer in a round (the rounds listed)": (
            "SELECT count(*), list(DISTINCT 'round ' || round_id)[:5] FROM (SELECT round_id, rank FROM roster "
            "GROUP BY round_id, rank HAVING count(*) > 1)"),
        "criteria with two weights in a round": (
            "SELECT count(*), list(DISTINCT criterion)[:5] FROM (SELECT round_id, criterion FROM contributions "
            "GROUP BY round_id, criterion HAVING count(DISTINCT weight) > 1)"),
        "customers with a criterion twice": (
            "SELECT count(*), list(DISTINCT customer_id)[:5] FROM (SELECT round_id, customer_id, criterion "
            "FROM contributions GROUP BY ALL HAVING count(*) > 1)"),
    }
    for what, sql in checks.items():
        count, examples = con.execute(sql).fetchone()
        if count:
            raise WorkspaceError(f"the stored contributions cannot be moved to schema version 3: {count} {what}",
                                 file=ws.path, examples=[str(e) for e in examples or []],
                                 fix="Keep the file and report this: an older xuanba still reads it as it is.")
    con.execute(_CRITERIA_DDL)
    con.execute(_POINTS_DDL)
    con.execute("INSERT INTO round_criteria SELECT round_id, row_number() OVER (PARTITION BY round_id ORDER BY first) "
                "::INTEGER, criterion, weight FROM (SELECT round_id, criterion, min(rowid) AS first, any_value(weight) "
                "AS weight FROM contributions GROUP BY round_id, criterion) ORDER BY round_id, first")
    # every customer with a row gets every criterion of their round (NULL where none was stored):
    # a pivot by position (a list per customer cut to its round's count), not a sorted list per
    # customer, which took four times as long at a million customers
    most = int(con.execute("SELECT coalesce(max(position), 0) FROM round_criteria").fetchone()[0])

    def pivot(col: str) -> str:
        cells = ", ".join(f"any_value(c.{col}) FILTER (WHERE k.position = {p})" for p in range(1, most + 1))
        return f"list_slice([{cells}], 1, any_value(n.k))"

    con.execute(f"INSERT INTO round_points SELECT c.round_id, r.rank, {pivot('raw')}, {pivot('normalised')}, "
                f"{pivot('contribution')} FROM contributions c "
                "JOIN round_criteria k ON k.round_id = c.round_id AND k.criterion = c.criterion "
                "JOIN roster r ON r.round_id = c.round_id AND r.customer_id = c.customer_id "
                "JOIN (SELECT round_id, count(*) AS k FROM round_criteria GROUP BY round_id) n ON n.round_id = c.round_id "
                "GROUP BY c.round_id, r.rank ORDER BY c.round_id, r.rank")
    con.execute("DROP TABLE contributions")
    con.execute(f"CREATE VIEW IF NOT EXISTS contributions AS {_VIEW_SELECT_TEXTS}")  # over version 3's roster table
    con.execute("CREATE TABLE IF NOT EXISTS round_fields (round_id BIGINT, customer_id VARCHAR)")
    con.execute(_TABLES_DDL)


def _migrate_v4(ws: Workspace) -> None:
    """Schema version 3 -> 4: the ``contributions`` view reads a contribution a round did not
    store as ``100 × weight × normalised`` (:data:`CONTRIBUTION_SQL`); stored rounds are not
    touched (their lists are read as stored). An older xuanba would read such a round's
    contributions as NULL: the version keeps it from opening the file."""
    if ws.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'contributions' "
                      "AND table_type = 'VIEW'").fetchone()[0]:
        ws.con.execute(f"CREATE OR REPLACE VIEW contributions AS {_VIEW_SELECT_TEXTS}")  # its roster a table


def _migrate_v5(ws: Workspace) -> None:
    """Schema version 4 -> 5: the ``roster`` table's texts (:data:`CODED_COLUMNS`) become codes
    into a list of labels per round and column: ``roster_codes`` (the rows, in their stored order)
    and ``roster_labels`` (a row per round); ``roster`` becomes a view that reads them as before
    (every value the same, a NULL stays NULL). An older xuanba would find no roster table: the
    version keeps it from opening the file. In the migration's one transaction: a process killed
    half-way leaves version 4 whole."""
    con = ws.con
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'roster'").fetchone()
    if kind is None or kind[0] != "BASE TABLE":
        return  # no round stored yet: the tables and the view are made with the first one
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'roster'").fetchall()}
    missing = [c for c in _ROSTER_TYPES if c not in have]
    if missing:  # a roster written by hand without some columns: moved with NULL there
        for col in missing:
            con.execute(f"ALTER TABLE roster ADD COLUMN {col} {_ROSTER_TYPES[col]}")
    con.execute(_LABELS_DDL)
    con.execute("INSERT INTO roster_labels SELECT round_id, "
                + ", ".join(f"coalesce(list(DISTINCT {c}::VARCHAR ORDER BY {c}::VARCHAR) FILTER (WHERE {c} IS NOT NULL), "
                            "[]::VARCHAR[])" for c in CODED_COLUMNS)
                + " FROM roster GROUP BY round_id ORDER BY round_id")
    most = con.execute("SELECT " + ", ".join(f"coalesce(max(len({c})), 0)" for c in CODED_COLUMNS)
                       + " FROM roster_labels").fetchone()
    con.execute(_CODES_DDL)
    for col, count in zip(CODED_COLUMNS, most, strict=True):
        if int(count) > SMALL_CODES:
            con.execute(f"ALTER TABLE roster_codes ALTER {col} TYPE INTEGER")
    # each text's code by a hash join on (round, label): a search of the round's list per row
    # (list_position) is rows x labels, hours for a million rows of 40,000 gate failures
    cols = [f"m_{c}.code" if c in CODED_COLUMNS else f"r.{c}" for c in _ROSTER_TYPES]
    joins = " ".join(f"LEFT JOIN {_words(c)} m_{c} ON m_{c}.round_id = r.round_id AND m_{c}.word = r.{c}::VARCHAR"
                     for c in CODED_COLUMNS)
    con.execute(f"INSERT INTO roster_codes SELECT r.round_id, {', '.join(cols)} FROM roster r {joins} "
                "ORDER BY r.round_id, r.rowid")
    con.execute("DROP TABLE roster")
    _ddl(con)
    con.execute(f"CREATE OR REPLACE VIEW contributions AS {_VIEW_SELECT}")


def _migrate_v6(ws: Workspace) -> None:
    """Schema version 5 -> 6: the ``roster`` view decodes each text by a join on (round, code)
    (:data:`_ROSTER_SELECT`), not by indexing the round's whole list of labels in every row, and
    the ``contributions`` view reads ids from ``roster_codes`` (:data:`_VIEW_SELECT`). Every stored
    row reads as before (a code its round's labels lack reads NULL, as it did) but one: a round
    without a row of labels, whose rows version 5's view left out, reads its rows with NULL texts.
    Refused, with nothing changed, when a round holds two rows of labels (:func:`_labels_twice`:
    every row would be read twice). A file with no round stored yet gets the views with its first round."""
    _views_remade(ws)


def _migrate_v7(ws: Workspace) -> None:
    """Schema version 6 -> 7: ``roster_labels`` keyed by round (:data:`_LABELS_DDL`: the damage
    :func:`_labels_twice` names cannot be written, so no reader of the labels, SQL or not, can read
    a roster row twice), and the views made again with this version's SQL: web35 changed the
    ``contributions`` view (ids from ``roster_codes``, not through the decoding ``roster`` view:
    the same rows, a whole read 30 % faster) without a new version, so files already at version 6
    kept the old one. Refused, with nothing changed, when a round holds two rows of labels. A file
    with no round stored yet gets the key and the views with its first round."""
    _views_remade(ws, keyed=True)


def _views_remade(ws: Workspace, *, keyed: bool = False) -> None:
    """The ``roster`` and ``contributions`` views made again with this version's SQL in a file of
    codes whose rounds hold one row of labels each (else :func:`_labels_twice`, nothing changed);
    ``keyed``: ``roster_labels`` given its key on ``round_id`` first. A file with no round stored
    yet (no ``roster`` view) is left as it is: its first round makes both."""
    con = ws.con
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'roster'").fetchone()
    if kind is None or kind[0] != "VIEW":
        return
    twice = [int(r) for (r,) in con.execute("SELECT round_id FROM roster_labels GROUP BY round_id "
                                            "HAVING count(*) > 1 ORDER BY round_id").fetchall()]
    if twice:
        raise _labels_twice(con, twice, ws.path)
    if keyed and not con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'roster_labels' "
                                 "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]:
        con.execute("ALTER TABLE roster_labels ADD PRIMARY KEY (round_id)")
    con.execute(f"CREATE OR REPLACE VIEW roster AS {_ROSTER_SELECT}")
    con.execute(f"CREATE OR REPLACE VIEW contributions AS {_VIEW_SELECT}")


def save_backtest(ws: Workspace, bt: Any, *, every: str = "quarter",
                   extra_fields: Sequence[str] = (), customer_fields: Sequence[str] = ()) -> int:
    """Keep ``bt`` (a :class:`~xuanba.rounds.backtest.Backtest`) in the workspace, in one transaction, and return its id (also set on ``bt``).

    ``every``, ``extra_fields`` (the names of extra fields the standard may read) and
    ``customer_fields`` (the customers table's columns it could read) are kept with it, so that
    :func:`load_backtest` reads the standard back (:func:`stored_standard`).

    Example
    -------
    >>> save_backtest(ws, backtest(ws, "standard.toml", "2024-01-01", "2025-12-31"))  # doctest: +SKIP
    1
    """
    info = {"every": every, "notes": list(bt.notes), "extra_fields": list(extra_fields),
            "customer_fields": list(customer_fields), "lang": bt.standard.lang}
    cut = bt.cutoffs.copy()
    cut["cutoff"] = pd.to_datetime(cut["cutoff"]).dt.date
    overall = bt.overall.join(bt.judgements, how="left") if len(bt.judgements) else bt.overall.copy()
    for col in _JUDGEMENT:
        if col not in overall.columns:
            overall[col] = None
    overall = overall.rename_axis("method").reset_index()
    overall.insert(0, "position", np.arange(len(overall)))
    created = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    with ws.transaction() as con:
        for ddl in _STORED_DDL:  # a workspace given open before version 2 (the migration makes them too)
            con.execute(ddl)
        bid = int(con.execute("SELECT coalesce(max(backtest_id), 0) + 1 FROM backtests").fetchone()[0])
        con.execute("INSERT INTO backtests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [bid, created.to_pydatetime(), bt.standard.name, str(bt.standard.version), bt.standard.sha256,
                     bt.standard.text, bt.horizon_days, min(cut["cutoff"]), max(cut["cutoff"]),
                     json.dumps(info, ensure_ascii=False)])
        cols = ["cutoff", "method", "horizon_days", "complete", "customers", "selected", "top_tier", *_OVERALL_FLOATS]
        con.register("_xb_bt_cutoffs", cut[cols])
        try:
            con.execute(f"INSERT INTO backtest_cutoffs SELECT {bid}, {', '.join(cols)} FROM _xb_bt_cutoffs")
        finally:
            con.unregister("_xb_bt_cutoffs")
        cols = ["position", "method", "cutoffs", *_OVERALL_FLOATS, *_JUDGEMENT]
        frame = overall[cols].astype({"verdict": object, "behind": "Int64", "compared": "Int64"})
        con.register("_xb_bt_overall", frame)
        try:
            con.execute(f"INSERT INTO backtest_overall SELECT {bid}, {', '.join(cols)} FROM _xb_bt_overall")
        finally:
            con.unregister("_xb_bt_overall")
    bt.backtest_id, bt.created_at = bid, str(created)
    return bid


def list_backtests(workspace: Workspace | str) -> pd.DataFrame:
    """The stored backtests, newest last: id, creation time, standard name, version and SHA-256,
    horizon and the first and last cutoff (empty when none is stored).

    Example
    -------
    >>> list_backtests(Workspace(":memory:")).columns.tolist()[:3]
    ['backtest_id', 'created_at', 'standard_name']
    """
    cols = ["backtest_id", "created_at", "standard_name", "standard_version", "standard_sha256", "horizon_days",
            "first_cutoff", "last_cutoff"]
    with open_workspace(workspace, read_only=True) as ws:
        if not ws.has_table("backtests"):
            return pd.DataFrame(columns=cols)
        return ws.sql(f"SELECT {', '.join(cols)} FROM backtests ORDER BY backtest_id")


def load_backtest(workspace: Workspace | str, *, standard_sha256: str | None = None,
                  backtest_id: int | None = None) -> Backtest | None:
    """A stored backtest: the given id, else the latest one of the standard with SHA-256
    ``standard_sha256`` (the latest of any standard when neither is given); ``None`` when there
    is none. Its tables are exactly what was stored (``selections`` and ``fairness`` are not kept).

    Example
    -------
    >>> load_backtest(Workspace(":memory:"), standard_sha256="0" * 64) is None
    True
    """
    from xuanba.rounds.backtest import COLUMNS, JUDGEMENT_COLUMNS, Backtest, verdict_lines

    with open_workspace(workspace, read_only=True) as ws:
        if not ws.has_table("backtests"):
            return None
        where, params = ("backtest_id = ?", [int(backtest_id)]) if backtest_id is not None else (
            ("standard_sha256 = ?", [standard_sha256]) if standard_sha256 is not None else ("TRUE", []))
        head = ws.sql(f"SELECT * FROM backtests WHERE {where} ORDER BY backtest_id DESC LIMIT 1", params)
        if head.empty:
            return None
        row = head.iloc[0]
        bid = int(row["backtest_id"])
        cut = ws.sql("SELECT * EXCLUDE (backtest_id) FROM backtest_cutoffs WHERE backtest_id = ? "
                     "ORDER BY rowid", [bid])
        overall = ws.sql("SELECT * EXCLUDE (backtest_id) FROM backtest_overall WHERE backtest_id = ? "
                         "ORDER BY position", [bid])
    info = json.loads(row["info_json"] or "{}")
    std = stored_standard(str(row["standard_text"]), info)
    cut["cutoff"] = pd.to_datetime(cut["cutoff"]).dt.date
    cut["complete"] = cut["complete"].astype(bool)
    for col in COLUMNS:
        if col not in cut.columns:
            cut[col] = np.nan
    overall = overall.set_index("method")
    judged = overall.loc[overall["verdict"].notna(), list(JUDGEMENT_COLUMNS)].astype(
        {"behind": "int64", "compared": "int64"})
    overall = overall[["cutoffs", *_OVERALL_FLOATS]]
    return Backtest(std, int(row["horizon_days"]), cut[list(COLUMNS)], overall,
                    verdict_lines(overall, judged, std.lang), {}, list(info.get("notes", [])), pd.DataFrame(),
                    judged, bid, str(row["created_at"]))
