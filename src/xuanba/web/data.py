"""What the web pages show, read from stored rounds and scoped to who is asking.

Each function takes an open (read-only) :class:`~xuanba.workspace.Workspace` and ``owner``: ``None``
for a manager or an admin (every customer), else a rep's owner name (only customers whose stored
``owner`` field is exactly that; a round that stored no owner shows a rep nothing). The numbers
are the round's stored ones (roster, contributions, fields, the summary in its meta); nothing is
refitted or recomputed, and filtering, sorting and paging run in DuckDB.

Example
-------
>>> from xuanba.workspace import Workspace
>>> with Workspace(":memory:") as ws:
...     roster_page(ws, "latest")["total"]
0
"""

from __future__ import annotations

import json
import math
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from xuanba import i18n
from xuanba.workspace import Workspace

#: The roster columns a page may sort by, each with its SQL.
SORTS = {
    "rank": "r.rank", "score": "r.score", "tier": "r.tier", "customer_id": "r.customer_id",
    "name": "f.name", "owner": "f.owner", "value_score": "r.value_score", "potential_score": "r.potential_score",
}
PER_PAGE = (25, 50, 100, 200)


def _plain(v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.astype(object).where(frame.notna(), None)
            .to_dict("records")]


def _fetched(ws: Workspace, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """The rows of a query as :func:`_records` gives a frame's, without the frame (a page asks
    several small queries; pandas would cost more than DuckDB does)."""
    import datetime as dt

    cur = ws.con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        out.append({k: _plain(dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v)  # as pandas does
                    for k, v in zip(names, row, strict=True)})
    return out


def round_ids(ws: Workspace) -> list[int]:
    """The stored rounds' ids, oldest first."""
    return list(_heads(ws))


def resolve(ws: Workspace, ref: str | int | None) -> int | None:
    """The id of round ``ref`` (a number, or ``latest``/``None``); ``None`` when there is no such round."""
    return _resolve(round_ids(ws), ref)


def _resolve(ids: list[int], ref: str | int | None) -> int | None:
    if not ids:
        return None
    if ref in (None, "", "latest"):
        return ids[-1]
    try:
        rid = int(str(ref))
    except ValueError:
        return None
    return rid if rid in ids else None


def meta(ws: Workspace, rid: int) -> dict[str, Any]:
    """The stored meta of round ``rid`` (its summary, models, warnings, field columns); read once
    per stored round and shared: do not change it."""
    return _round_head(ws, rid)["meta"]


def _round_head(ws: Workspace, rid: int) -> dict[str, Any]:
    """Round ``rid``'s ``meta`` (parsed), ``n_customers`` and ``standard_text``, read once per stored round."""
    def ask() -> dict[str, Any]:
        row = ws.con.execute("SELECT meta_json, n_customers, standard_text FROM rounds WHERE round_id = ?",
                             [rid]).fetchone()
        return {"meta": json.loads(row[0]) if row else {}, "n_customers": int(row[1]) if row else 0,
                "standard_text": str(row[2]) if row else ""}

    key = _key(ws, rid)
    return ask() if key is None else _HEADS.get_or_make(key, ask)


def has_table(ws: Workspace, name: str) -> bool:
    """:meth:`Workspace.has_table`, kept while the file cannot change (:func:`memo`)."""
    return memo(ws, ("table", name), lambda: ws.has_table(name))


def _fields(ws: Workspace, rid: int) -> set[str]:
    return set(meta(ws, rid).get("field_columns") or []) if has_table(ws, "round_fields") else set()


def _coded(ws: Workspace) -> bool:
    """Whether the file keeps rosters as codes (schema version 5: ``roster_codes``, ``roster_labels``)."""
    return has_table(ws, "roster_codes")


def _text(ws: Workspace, col: str) -> str:
    """The SQL of roster column ``col`` of alias ``r`` as its text: in a file of codes its label
    (:func:`xuanba.rounds.store.text_of`, joined by :func:`_labelled`), else the column itself."""
    from xuanba.rounds.store import CODED_COLUMNS, text_of

    return text_of(col)[0] if _coded(ws) and col in CODED_COLUMNS else f"r.{col}"


def _labels(ws: Workspace, rid: int) -> dict[str, list[Any]]:
    """Round ``rid``'s labels of each coded column (code ``i`` is ``labels[col][i]``); empty for an
    older file. Kept while the file cannot change (:func:`memo`)."""
    from xuanba.rounds.store import round_labels

    def ask() -> dict[str, list[Any]]:
        return round_labels(ws.con, rid) if _coded(ws) else {}

    return memo(ws, ("labels", rid), ask)


def _equals(ws: Workspace, rid: int, col: str, value: str) -> tuple[str, list[Any]]:
    """The condition ``coalesce(r.col, '') = value`` on round ``rid``'s roster and its parameters: in a
    file of codes, on the codes of the labels equal to ``value`` (none: no row), so no row's text is
    decoded to be filtered; ``value`` is only ever compared in Python or passed as a parameter.

    Example
    -------
    >>> _equals(ws, 3, "tier", "B")  # doctest: +SKIP
    ('r.tier IN (?)', [2])
    """
    if not _coded(ws):
        return f"coalesce(r.{col}, '') = ?", [value]
    codes = [i for i, w in enumerate(_labels(ws, rid).get(col, [])) if (w or "") == value]
    cond = f"r.{col} IN ({', '.join('?' for _ in codes)})" if codes else "FALSE"
    if value == "":  # a missing code is an empty text, as is one the labels lack (the view reads NULL)
        cond = f"(r.{col} IS NULL OR r.{col} NOT BETWEEN 0 AND {len(_labels(ws, rid).get(col, [])) - 1} OR {cond})"
    return cond, codes


def _rows(ws: Workspace) -> str:
    """The table of the roster's rows for columns that are not texts: ``roster_codes`` in a file of
    codes (no label joined nor decoded), else ``roster``."""
    return "roster_codes" if _coded(ws) else "roster"


def _tiers(ws: Workspace, rid: int, rkey: Any) -> list[str]:
    """The tiers round ``rid``'s roster names (not empty), sorted: in a file of codes the labels of
    the codes met."""
    if not _coded(ws):
        return [str(t[0]) for t in _kept_rows(
            ws, rid, "SELECT DISTINCT tier FROM roster WHERE round_id = ? AND tier <> '' ORDER BY 1", [rid], rkey)]
    words = _labels(ws, rid).get("tier", [])
    met = [t[0] for t in _kept_rows(ws, rid, "SELECT DISTINCT tier FROM roster_codes WHERE round_id = ? "
                                    "AND tier IS NOT NULL", [rid], rkey)]
    return sorted({str(words[int(c)]) for c in met if 0 <= int(c) < len(words) and words[int(c)]})


def _labelled(ws: Workspace, frm: str, col: str) -> str:
    """``frm`` (of :func:`_from`) with column ``col``'s labels joined in a file of codes, for
    :func:`_text` to decode it in SQL (a sort or count by a text): each code joined to its label,
    not the round's list of labels indexed per row (rows x labels, web35)."""
    from xuanba.rounds.store import text_of

    return _joined(frm, text_of(col)[1]) if _coded(ws) else frm


def _decoded(ws: Workspace, rid: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of round ``rid``'s roster read from ``roster_codes``, their coded texts replaced by the
    round's labels (in place); as they are in an older file. A code the labels lack reads ``None``,
    as the ``roster`` view reads it (not a negative index's label from the list's end)."""
    words = _labels(ws, rid)
    for r in rows:
        for col in words.keys() & r.keys():
            code = r[col]
            r[col] = words[col][int(code)] if code is not None and 0 <= int(code) < len(words[col]) else None
    return rows


def _joined(frm: str, join: str) -> str:
    """``frm`` (of :func:`_from`) with ``join`` added to its tables."""
    return frm.replace(" WHERE r.round_id = ?", f" {join} WHERE r.round_id = ?", 1)


def _from(ws: Workspace, rid: int, owner: str | None) -> tuple[str, list[Any]]:
    """The FROM and WHERE of round ``rid``'s roster (alias ``r``), scoped to ``owner``: a semi-join
    on the stored owners, so the 1 M rows of names are never joined whole. In a file of codes the
    rows are read from ``roster_codes`` (the ``roster`` view would decode every row): :func:`_equals`
    filters on a text's codes, :func:`_labelled` joins the labels where :func:`_text` decodes, and a
    page's few rows are decoded in Python (:func:`_decoded`)."""
    sql = "FROM roster_codes r WHERE r.round_id = ?" if _coded(ws) else "FROM roster r WHERE r.round_id = ?"
    params: list[Any] = [rid]
    if owner is not None:
        if "owner" in _fields(ws, rid):
            sql += " AND r.customer_id IN (SELECT customer_id FROM round_fields WHERE round_id = ? AND owner = ?)"
            params += [rid, owner]
        else:
            sql += " AND FALSE"  # a round that stored no owner shows a rep nothing
    return sql, params


def _people(ws: Workspace, rid: int, ids: list[str]) -> dict[str, tuple[Any, Any]]:
    """The stored name and owner of each of ``ids`` in round ``rid``."""
    have = _fields(ws, rid)
    if not ids or not have & {"name", "owner"}:
        return {}
    name = "CAST(name AS VARCHAR)" if "name" in have else "NULL"
    own = "CAST(owner AS VARCHAR)" if "owner" in have else "NULL"
    rows = ws.con.execute(f"SELECT customer_id, {name}, {own} FROM round_fields WHERE round_id = ? "
                          "AND customer_id IN (SELECT unnest(?::VARCHAR[]))", [rid, ids]).fetchall()
    return {str(c): (n, o) for c, n, o in rows}


# -- stored rounds kept in memory ---------------------------------------------------------------------
# A stored round never changes, so what pages need of it is read once per process and kept, with
# a bound: its roster in rank order with names, owners and where each customer's stored rows lie
# (about 130 bytes a customer, dictionary encoded), the order of its ids for look-ups, the rank
# order of each filtered or sorted view (keyed by the view's SQL and parameters, so a rep's scope
# is part of the key) and small aggregates. Everything is keyed by the round's identity (workspace
# file, round id, when it was stored, roster hash), taken from the list of rounds, which is read
# again whenever the file may have changed (:func:`memo`): a new round is a new key. An in-memory
# workspace keeps nothing (tests write to it directly).

#: Rounds whose roster a process keeps in memory (the latest and the one compared with it).
ROUNDS_KEPT = 2
#: Ranks kept over all cached views (filtered, sorted or scoped): 4 bytes each.
RANKS_KEPT = 16_000_000
#: Customer pages kept (each a few kB).
CUSTOMERS_KEPT = 4000


class Kept:
    """A thread-safe least-recently-used store whose entries' costs add up to at most ``budget``.

    Example
    -------
    >>> k = Kept(2)
    >>> k.put("a", 1); k.put("b", 2); k.put("c", 3)
    >>> k.get("a"), k.get("c")
    (None, 3)
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._spent = 0
        self._lock = threading.Lock()
        self._making: dict[Any, threading.Lock] = {}

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Any, value: Any, cost: int = 1) -> None:
        if cost > self.budget:
            return
        with self._lock:
            if key in self._items:
                self._spent -= self._items.pop(key)[1]
            while self._items and self._spent + cost > self.budget:
                self._spent -= self._items.popitem(last=False)[1][1]
            self._items[key] = (value, cost)
            self._spent += cost

    def get_or_make(self, key: Any, make: Callable[[], Any], cost: Callable[[Any], int] = lambda v: 1) -> Any:
        """The kept value of ``key``, else ``make()`` kept: one thread makes it, the others wait for it."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._making.get(key)
            mine = gate is None  # the thread that made the lock removes it, not a waiter
            if mine:
                gate = self._making[key] = threading.Lock()
        try:
            with gate:  # type: ignore[union-attr]
                found = self.get(key)
                if found is None:
                    found = make()
                    self.put(key, found, cost(found))
        finally:
            if mine:
                with self._lock:
                    if self._making.get(key) is gate:
                        del self._making[key]
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._spent = 0


_ROSTERS = Kept(ROUNDS_KEPT)
_RANKS = Kept(RANKS_KEPT)
_SMALL = Kept(2000)
_CUSTOMERS = Kept(CUSTOMERS_KEPT)
_HEADS = Kept(16)  # a stored round's meta, size and standard text
_ROWS = Kept(1000)  # a customer's stored fields, for the page that asks for them twice
_CATALOGUE = Kept(256)
_COMPARED = Kept(8)  # a comparison of two rounds, whole or a rep's (both loaded whole to make it)
_CONTRIBUTIONS = Kept(ROUNDS_KEPT)  # a kept round's contributions, for its customers' pages
_NOT_DENSE = object()


def memo(ws: Workspace, what: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept while ``ws`` promises that the file cannot change (its
    :attr:`~xuanba.workspace.Workspace.stable` token, set by the web app's reading connection:
    nothing writes the file while it is open). Without the token it is asked each time.

    Example
    -------
    >>> with Workspace(":memory:") as ws:
    ...     memo(ws, "answer", lambda: 42)
    42
    """
    token = ws.stable
    if token is None:
        return compute()
    return _CATALOGUE.get_or_make((token, what), lambda: (compute(),))[0]


#: Keep rounds in memory (the tests turn it off to compare with the pages read in SQL alone).
KEEP = True


def _key(ws: Workspace, rid: int) -> tuple[Any, ...] | None:
    """What identifies round ``rid`` of this workspace for the caches; ``None``: keep nothing."""
    found = _heads(ws).get(rid)
    return None if found is None else found[0]


def _heads(ws: Workspace) -> dict[int, tuple[Any, Any]]:
    """Every stored round's id -> (its :func:`_key`, its cutoff as pages show it), oldest first:
    one query, kept while the file cannot change (:func:`memo`)."""
    import duckdb

    def ask() -> dict[int, tuple[Any, Any]]:
        keep = ws.path != ":memory:" and KEEP
        try:  # one query: asking the catalogue first costs more than the answer
            heads = _fetched(ws, "SELECT round_id, created_at, roster_sha256, n_customers, cutoff FROM rounds "
                             "ORDER BY round_id", [])
        except duckdb.CatalogException:
            return {}
        return {int(h["round_id"]): ((ws.path, int(h["round_id"]), str(h["created_at"]), str(h["roster_sha256"]),
                                      str(h["n_customers"])) if keep else None, h["cutoff"]) for h in heads}

    return memo(ws, "rounds", ask)


_ASK = object()  # a key not given: asked of the workspace


class KeptRoster:
    """A round's roster in rank order with stored names and owners (``table``, an Arrow table
    whose row ``i`` holds rank ``i + 1``), and its ids in sorted order for :meth:`position`."""

    COLUMNS = ("rank", "customer_id", "tier", "score", "selected", "quadrant", "next_tier", "gap_to_next",
               "left_out_by_capacity", "name", "owner", "gates_failed", "cheapest_criterion", "cheapest_change",
               "fields_at")
    #: The columns of a page's row (:func:`roster_page`) beside name and owner.
    PAGE = COLUMNS[:9]

    def __init__(self, table: Any, fields: set[str]) -> None:
        self.table = table
        self.n = table.num_rows
        self.fields = frozenset(fields)
        self._ids = _one_array(table.column("customer_id"))
        self._owners = _one_array(table.column("owner"))
        self._order: Any = None
        self._by_column: dict[str, tuple[Any, list[Any] | None]] | None = None
        self._lock = threading.Lock()

    def position(self, customer_id: str) -> int | None:
        """The row (rank - 1) of ``customer_id``; ``None`` when the round does not hold them."""
        import pyarrow.compute as pc

        with self._lock:
            if self._order is None:
                self._order = pc.sort_indices(self._ids).to_numpy()
        order, ids = self._order, self._ids
        lo, hi = 0, len(order) - ids.null_count  # no id is missing in a stored round; nulls sort last
        end = hi
        while lo < hi:  # ids in UTF-8 byte order, which is Python's order of str
            mid = (lo + hi) // 2
            if ids[int(order[mid])].as_py() < customer_id:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and ids[int(order[lo])].as_py() == customer_id:
            return int(order[lo])
        return None

    def id_at(self, pos: int) -> str | None:
        """The customer id of row ``pos`` (``None`` past the end)."""
        return self._ids[pos].as_py() if 0 <= pos < self.n else None

    def in_scope(self, pos: int, owner: str | None) -> bool:
        """Whether row ``pos`` is ``owner``'s (every row for ``None``), as :func:`_from` scopes."""
        return owner is None or ("owner" in self.fields and self._owners[pos].as_py() == owner)

    def where(self, pos: int) -> int | None:
        """Where row ``pos``'s customer's stored fields lie: their row id (``None`` when not
        known). A hint only: a read by it also checks round and customer, and falls back to a
        search. (Their contributions are found by their rank, ``pos + 1``.)"""
        return self.table.column("fields_at")[pos].as_py()  # type: ignore[no-any-return]

    def row(self, pos: int) -> dict[str, Any]:
        """Every kept column of row ``pos``, as Arrow gives them (``None`` for a missing value)."""
        return self.table.slice(pos, 1).to_pylist()[0]

    _page = (*PAGE, "name", "owner")

    def rows(self, positions: Any) -> list[dict[str, Any]]:
        """The page rows at ``positions``, as :func:`roster_page` gives them.

        A run of consecutive rows (a page in rank order) is a slice, no copy; a dictionary
        column (tier, quadrant, owner …) is read as its indices and looked up in its values,
        turned into Python once per round: Arrow makes a Python object per row of a dictionary
        column otherwise, which cost four fifths of a page's 0.6 ms.
        """
        import pyarrow as pa

        positions = [int(p) for p in positions]
        if not positions:
            return []
        first, n = positions[0], len(positions)
        run = positions[-1] - first == n - 1 and positions == list(range(first, first + n))
        taken = None if run else pa.array(positions, type=pa.int64())
        cols = []
        for c in self._page:
            array, values = self._columns()[c]
            got = (array.slice(first, n) if taken is None else array.take(taken)).to_pylist()
            if values is not None:
                got = [None if i is None else values[i] for i in got]
            elif c in ("score", "gap_to_next"):
                got = [_finite(v) for v in got]
            cols.append(got)
        return [dict(zip(self._page, values, strict=True)) for values in zip(*cols, strict=True)]

    def _columns(self) -> dict[str, tuple[Any, list[Any] | None]]:
        """The page's columns as one Arrow array each; a dictionary column as ``(its indices,
        its values as Python objects)``, else ``(the array, None)``. Made at the first page."""
        import pyarrow as pa

        with self._lock:
            if self._by_column is None:
                out = {}
                for c in self._page:
                    array = _one_array(self.table.column(c))
                    out[c] = (array.indices, array.dictionary.to_pylist()) if pa.types.is_dictionary(array.type) \
                        else (array, None)
                self._by_column = out
        return self._by_column


def _one_array(column: Any) -> Any:
    """A chunked Arrow column as one array: its chunk when it has one (no copy; a copy of a
    million ids took 165 ms), else its chunks combined."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def _number(x: Any) -> float | None:
    """``x`` as a finite float, else ``None`` (a stored meta value of any kind)."""
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) else None


def _load_roster(ws: Workspace, rid: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    have = _fields(ws, rid)
    name = "CAST(f.name AS VARCHAR)" if "name" in have else "CAST(NULL AS VARCHAR)"
    own = "CAST(f.owner AS VARCHAR)" if "owner" in have else "CAST(NULL AS VARCHAR)"
    # where each customer's stored fields lie in their table (DuckDB's row ids): a customer's page
    # then reads a row there instead of searching a million ids
    join = "LEFT JOIN round_fields f ON f.round_id = r.round_id AND f.customer_id = r.customer_id" if have else ""
    at = "f.rowid" if have else "CAST(NULL AS BIGINT)"
    # a file of schema version 5 holds the texts as codes: read so, the round's labels their dictionary
    coded = has_table(ws, "roster_codes")
    got = ws.con.execute(f"SELECT r.rank, CAST(r.customer_id AS VARCHAR) AS customer_id, r.tier, r.score, r.selected, "
                         f"r.quadrant, r.next_tier, r.gap_to_next, r.left_out_by_capacity, {name} AS name, {own} AS owner, "
                         f"r.gates_failed, r.cheapest_criterion, r.cheapest_change, {at} AS fields_at "
                         f"FROM {'roster_codes' if coded else 'roster'} r {join} "
                         "WHERE r.round_id = ? ORDER BY r.rank", [rid]).arrow()
    table = got.read_all() if hasattr(got, "read_all") else got
    ranks = table.column("rank").to_numpy()
    if len(ranks) and not (ranks[0] == 1 and (ranks[1:] - ranks[:-1] == 1).all()):
        return _NOT_DENSE  # ranks are not 1..n: pages are read in SQL
    small = ("tier", "quadrant", "next_tier", "owner", "gates_failed", "cheapest_criterion")  # few values: dictionaries
    words: dict[str, Any] = {}
    if coded:
        words = {c: pa.array(w, type=pa.string()) for c, w in _labels(ws, rid).items() if c in small}

    def small_column(c: str) -> Any:
        if c in words:
            return pa.DictionaryArray.from_arrays(table[c].combine_chunks().cast(pa.int32()), words[c])
        return pc.dictionary_encode(table[c])

    table = pa.table({c: small_column(c) if c in small else table[c] for c in table.column_names}).combine_chunks()
    return KeptRoster(table, have)


def _kept_roster(ws: Workspace, rid: int, key: Any = _ASK) -> KeptRoster | None:
    """Round ``rid``'s roster in memory (loaded at its first use); ``None`` when not kept."""
    key = _key(ws, rid) if key is _ASK else key
    if key is None:
        return None
    kept = _ROSTERS.get_or_make(key, lambda: _load_roster(ws, rid))
    return kept if isinstance(kept, KeptRoster) else None


def _kept_ranks(ws: Workspace, rid: int, sql: str, params: list[Any], key: Any = _ASK) -> Any:
    """The rows (rank - 1) that ``SELECT r.rank ... ORDER BY ...`` gives over round ``rid``, kept."""
    import numpy as np

    def make() -> Any:
        got = ws.con.execute(sql, params).fetchnumpy()
        return (np.asarray(got["rank"], dtype=np.int64) - 1).astype(np.int32)

    key = _key(ws, rid) if key is _ASK else key
    return make() if key is None else _RANKS.get_or_make((key, sql, repr(params)), make, len)


def _kept_rows(ws: Workspace, rid: int, sql: str, params: list[Any], key: Any = _ASK) -> list[tuple[Any, ...]]:
    """``fetchall()`` of a small query over round ``rid``'s stored rows, kept (an in-memory
    workspace asks each time)."""
    key = _key(ws, rid) if key is _ASK else key
    if key is None:
        return ws.con.execute(sql, params).fetchall()
    return _SMALL.get_or_make((key, sql, repr(params)), lambda: ws.con.execute(sql, params).fetchall())


def list_of_rounds(ws: Workspace, owner: str | None = None) -> list[dict[str, Any]]:
    """Every stored round, newest first: id, cutoff, standard, and the counts (a rep's own counts;
    ``customers`` is ``None`` for a round that left customers unstored: not known)."""
    from xuanba.rounds.selection_only import misses_customers

    out = []
    for rid in reversed(round_ids(ws)):
        head = ws.con.execute("SELECT name, cutoff, created_at, standard_name, standard_version, n_customers, "
                              "n_selected FROM rounds WHERE round_id = ?", [rid]).fetchone()
        row = dict(zip(("name", "cutoff", "created_at", "standard_name", "standard_version", "customers", "selected"),
                       (_plain(v) for v in head), strict=True))
        if owner is not None:
            frm, params = _from(ws, rid, owner)
            n, sel = _kept_rows(ws, rid, f"SELECT count(*), count(*) FILTER (WHERE r.selected) {frm}", params)[0]
            # a round that stored its selection only holds a rep's selected customers, not all of theirs
            # (unless it selected everyone: then it stored them all)
            row.update(customers=None if misses_customers(meta(ws, rid)) else int(n), selected=int(sel))
        out.append({"round_id": rid, **row})
    return out


def overview(ws: Workspace, owner: str | None = None) -> dict[str, Any] | None:
    """The latest round's headline figures (the stored summary; a rep's own counts), tiers and
    warnings; ``None`` when no round is stored."""
    rid = resolve(ws, "latest")
    if rid is None:
        return None
    m = meta(ws, rid)
    summary = dict(m.get("summary") or {})
    frm, params = _from(ws, rid, owner)
    tiers = _kept_rows(ws, rid, f"SELECT coalesce({_text(ws, 'tier')}, '') AS tier, count(*) {_labelled(ws, frm, 'tier')} GROUP BY 1 ORDER BY 1", params)
    counts = {str(t): int(n) for t, n in tiers}
    if owner is not None or not summary:  # a rep sees their own customers only
        summary = {"customers": sum(counts.values()),
                   "selected": sum(n for t, n in counts.items() if t), "tier_counts": counts}
    order = [t for t in (summary.get("tier_counts") or counts)]
    warnings = list(m.get("model_warnings") or [])
    fallback = m.get("fallback")
    if isinstance(fallback, dict):  # in English from the one table; the page says it in its language
        left = [str(x) for k in ("criteria", "gates", "tie_break") for x in fallback.get(k) or []]
        fields = ", ".join(str(f) for f in fallback.get("unavailable") or [])
        warnings.append(i18n.t("round_fallback", "en", fields=fields, reason=str(fallback.get("reason", "")),
                               left=", ".join(left) or "–"))
    from xuanba.rounds.selection_only import misses_customers
    from xuanba.rounds.store import holds_selection_only

    partial = holds_selection_only(m)  # an engine round stored its selection only: whole-base counts from its meta
    if misses_customers(m) and owner is not None:
        summary["customers"] = None  # a rep's customers outside the selection were not stored: not said
    frm_q = (f"SELECT coalesce({_text(ws, 'quadrant')}, '') AS quadrant, count(*) {_labelled(ws, frm, 'quadrant')} "
             "GROUP BY 1 ORDER BY 1")
    labels = quadrant_labels(ws, rid)
    values = (m.get("summary") or {}).get("quadrant_values") or {} if owner is None else {}  # the whole round's
    counted = (list((m.get("summary") or {}).get("quadrant_counts", {}).items()) if partial and owner is None
               else _kept_rows(ws, rid, frm_q, params))
    quadrants = [{"quadrant": str(q), "label": labels.get(str(q), str(q)), "customers": int(n),
                  "value": _number(values.get(str(q)))} for q, n in counted if str(q)]
    ids = round_ids(ws)
    mobility = None
    if len(ids) > 1:
        d = compare(ws, ids[-2], rid, movers=0, owner=owner)
        if d is not None:
            mobility = {"a": d["a"], "b": d["b"], **{k: d["summary"].get(k) for k in
                                                   ("entered", "left", "rose", "fell", "kept", "rank_correlation")}}
            # an engine round: rose, fell and the rank correlation unsaid by the diff; the page says why
            mobility["engine"] = d["summary"].get("engine") if d.get("partial") else None
    return {
        "round_id": rid, "cutoff": m.get("cutoff"), "standard_name": m.get("standard_name"),
        "standard_version": m.get("standard_version"), "currency": m.get("currency"),
        "model": m.get("model_choice") if isinstance(m.get("model_choice"), str) else
        (m.get("model_choice") or {}).get("model") if isinstance(m.get("model_choice"), dict) else None,
        "model_check": m.get("model_check"),
        "customers": summary.get("customers"), "selected": summary.get("selected"),
        "tier_counts": {t: (summary.get("tier_counts") or counts).get(t, 0) for t in order},
        "value_share": None if owner is not None else summary.get("value_share"),
        "lift": None if owner is not None else summary.get("lift"),
        "warnings": [str(w) for w in warnings],
        "fallback": fallback if isinstance(fallback, dict) else None,  # what the round left out, as stored
        "scoped": owner is not None,
        "quadrants": quadrants,
        "measure": str((m.get("summary") or {}).get("measure") or "") or None,
        "mobility": mobility,
        "holdout_check": model_check(m),
        "data": data_freshness(ws, rid),
    }


#: Days between a round's cutoff and the last transaction before it past which the overview
#: warns that the data stop short of the cutoff (not refreshed).
STALE_DAYS = 30


def data_freshness(ws: Workspace, rid: int) -> dict[str, Any] | None:
    """When the workspace's transactions end, beside round ``rid``'s cutoff: ``last`` (the last
    transaction on or before the cutoff's day), ``newest`` (the last one loaded at all), the days
    from ``last`` to the cutoff (``stale`` when more than :data:`STALE_DAYS`) and from the cutoff
    to ``newest`` (``newer``: data loaded after the round, a later round would read them);
    ``None`` without a transactions table, and for a round run on an engine (it read its own
    source, not the workspace's transactions: its meta names the engine). Kept while the file
    cannot change."""
    import datetime as dt

    m = meta(ws, rid)
    cutoff = m.get("cutoff")
    if not cutoff or m.get("engine") or not has_table(ws, "transactions"):
        return None
    day = dt.date.fromisoformat(str(cutoff)[:10])

    def ask() -> tuple[Any, Any]:
        row = ws.con.execute("SELECT max(ts) FILTER (WHERE ts < ?), max(ts) FROM transactions",
                             [dt.datetime.combine(day + dt.timedelta(days=1), dt.time())]).fetchone()
        return row[0], row[1]

    last, newest = memo(ws, ("data_end", rid), ask)
    if newest is None:
        return None
    last_day = dt.date(last.year, last.month, last.day) if last is not None else None  # a timestamp or a date
    newest_day = dt.date(newest.year, newest.month, newest.day)
    behind = (day - last_day).days if last_day else None
    after = (newest_day - day).days
    return {"cutoff": str(day), "last": str(last_day) if last_day else None, "newest": str(newest_day),
            "days_short": behind, "stale": behind is None or behind > STALE_DAYS,
            "days_after": max(after, 0), "newer": after > 0}


def model_check(m: dict[str, Any]) -> dict[str, Any] | None:
    """How the round's purchase model did on its holdout, as the round stored it (its meta's
    ``model_choice``): the model, the holdout window, each candidate's error and whether it could
    be trusted, and the reason for the choice; ``None`` when the round stored no check."""
    choice = m.get("model_choice")
    if not isinstance(choice, dict):
        return None
    hold = choice.get("holdout") if isinstance(choice.get("holdout"), dict) else {}
    rows = [{"model": str(c.get("name", "")), "error": _number(c.get("group_mae")), "rmse": _number(c.get("rmse")),
             "usable": bool(c.get("usable")), "problems": [str(p) for p in c.get("problems") or []]}
            for c in choice.get("candidates") or [] if isinstance(c, dict)]
    return {"model": str(choice.get("model") or ""), "criterion": str(choice.get("criterion") or ""),
            "reason": str(choice.get("reason") or ""), "calibration_end": hold.get("calibration_end"),
            "holdout_end": hold.get("holdout_end"), "days": hold.get("days"), "candidates": rows}


_QUADRANT_LABELS: dict[tuple[Any, ...], dict[str, str]] = {}


def quadrant_labels(ws: Workspace, rid: int) -> dict[str, str]:
    """Each quadrant's label in round ``rid``'s stored standard (its name when it has none, or when
    the stored text no longer parses); parsed once per text."""
    head = _round_head(ws, rid)
    meta = head["meta"]
    from xuanba.rounds.store import stored_names

    key = (head["standard_text"], *stored_names(meta))
    if key not in _QUADRANT_LABELS:
        from xuanba.errors import XuanbaError
        from xuanba.rounds.store import stored_standard

        try:
            quads = stored_standard(head["standard_text"], meta).quadrants
            labels = {str(k): str(v) for k, v in (quads.labels if quads else {}).items()}
        except XuanbaError:
            labels = {}
        if len(_QUADRANT_LABELS) > 64:
            _QUADRANT_LABELS.clear()
        _QUADRANT_LABELS[key] = labels
    return _QUADRANT_LABELS[key]


_DENSE: dict[tuple[Any, ...], bool] = {}


def _dense(ws: Workspace, rid: int, total: int) -> bool:
    """Whether round ``rid``'s ranks are exactly 1..``total``, each once (a round ranks every
    customer with ties broken, so it is; a stored round never changes, so this is asked once)."""
    key = _key(ws, rid)  # None: kept nowhere (an in-memory workspace), asked each time
    dense = _DENSE.get(key) if key is not None else None
    if dense is None:
        lo, hi, distinct = ws.con.execute(f"SELECT min(rank), max(rank), count(DISTINCT rank) FROM {_rows(ws)} "
                                          "WHERE round_id = ?", [rid]).fetchone()
        dense = lo == 1 and hi == distinct
        if key is not None:
            if len(_DENSE) > 100:
                _DENSE.clear()
            _DENSE[key] = dense
    return dense and int(ws.con.execute(f"SELECT max(rank) FROM {_rows(ws)} WHERE round_id = ?",
                                              [rid]).fetchone()[0]) == total


#: The roster filters beside ``tier`` and ``search`` (:func:`roster_page`), by their names in a
#: page's address: a quadrant, a stored owner or segment, a score range, selected or not, left
#: out by capacity or not. Each narrows the rows a user may see; none can widen them.
FILTERS = ("quadrant", "owner", "segment", "score_min", "score_max", "selected", "left_out")
_YES, _NO = ("1", "yes", "true"), ("0", "no", "false")


def _score(value: Any) -> float | None:
    try:
        x = float(str(value))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _where(ws: Workspace, rid: int, tier: str | None, search: str | None,
           filters: dict[str, Any] | None = None) -> tuple[str, list[Any]]:
    """The roster filters: a tier (``"-"``: not selected), part of an id or a stored name, and
    those of :data:`FILTERS` (unknown or unreadable values are ignored, never an error)."""
    where, wp = "", []
    if tier:
        cond, cp = _equals(ws, rid, "tier", "" if tier == "-" else tier)
        where += f" AND {cond}"
        wp += cp
    if search and search.strip():
        s = search.strip().lower()[:100]
        by_name = ("r.customer_id IN (SELECT customer_id FROM round_fields WHERE round_id = ? "
                   "AND contains(lower(CAST(name AS VARCHAR)), ?))") if "name" in _fields(ws, rid) else "FALSE"
        where += f" AND (contains(lower(r.customer_id), ?) OR {by_name})"
        wp += [s, rid, s] if by_name != "FALSE" else [s]
    f = {k: v for k, v in (filters or {}).items() if k in FILTERS and v not in (None, "")}
    if f.get("quadrant"):
        cond, cp = _equals(ws, rid, "quadrant", str(f["quadrant"])[:200])
        where += f" AND {cond}"
        wp += cp
    for col in ("owner", "segment"):  # a stored field: the round that stored none keeps no row
        if f.get(col):
            if col in _fields(ws, rid):
                where += (f" AND r.customer_id IN (SELECT customer_id FROM round_fields WHERE round_id = ? "
                          f"AND CAST({col} AS VARCHAR) = ?)")
                wp += [rid, str(f[col])[:200]]
            else:
                where += " AND FALSE"
    for key, op in (("score_min", ">="), ("score_max", "<=")):
        x = _score(f.get(key)) if key in f else None
        if x is not None:
            where += f" AND r.score {op} ?"
            wp.append(x)
    for key, col in (("selected", "r.selected"), ("left_out", "r.left_out_by_capacity")):
        v = str(f.get(key, "")).lower()
        if v in _YES:
            where += f" AND coalesce({col}, FALSE)"
        elif v in _NO:
            where += f" AND NOT coalesce({col}, FALSE)"
    return where, wp


_CHOICES: dict[tuple[Any, ...], dict[str, list[str]]] = {}


def owners_of_latest(ws: Workspace) -> tuple[int, list[str]] | None:
    """The latest round's id and the distinct owners it stored (sorted); ``None`` when no round is
    stored or it stored no owner. ``xuanba users add`` checks a rep's ``--owner`` against them."""
    rid = resolve(ws, "latest")
    if rid is None or "owner" not in _fields(ws, rid):
        return None
    rows = ws.con.execute("SELECT DISTINCT CAST(owner AS VARCHAR) FROM round_fields WHERE round_id = ? "
                          "AND owner IS NOT NULL ORDER BY 1", [rid]).fetchall()
    return rid, [str(r[0]) for r in rows]


def choices(ws: Workspace, rid: int, owner: str | None = None) -> dict[str, list[str]]:
    """The values a page offers for the quadrant, owner and segment filters of round ``rid``
    (a rep's: only their own customers'), asked once per stored round."""
    rkey = _key(ws, rid)
    key = None if rkey is None else (*rkey, owner)
    if key is not None and key in _CHOICES:
        return _CHOICES[key]
    frm, params = _from(ws, rid, owner)
    quadrants = [q[0] for q in ws.con.execute(f"SELECT DISTINCT r.quadrant {frm}", params).fetchall()]
    if _coded(ws):  # the codes met, read as their labels
        words = _labels(ws, rid).get("quadrant", [])
        quadrants = [words[int(q)] if q is not None and 0 <= int(q) < len(words) else None for q in quadrants]
    out = {"quadrants": sorted({str(q) for q in quadrants if q})}
    have = _fields(ws, rid)
    for col, name in (("owner", "owners"), ("segment", "segments")):
        out[name] = [str(v[0]) for v in ws.con.execute(
            f"SELECT DISTINCT CAST(f.{col} AS VARCHAR) FROM round_fields f WHERE f.round_id = ? AND f.{col} IS NOT NULL "
            f"AND f.customer_id IN (SELECT r.customer_id {frm}) ORDER BY 1 LIMIT 1000", [rid, *params]).fetchall()
                     ] if col in have else []
    if key is not None:
        if len(_CHOICES) > 100:
            _CHOICES.clear()
        _CHOICES[key] = out
    return out


def roster_rows(ws: Workspace, round_ref: str | int | None = "latest", *, owner: str | None = None,
                tier: str | None = None, search: str | None = None, limit: int | None = None,
                filters: dict[str, Any] | None = None) -> Any:
    """Every row of a round's roster that the filters of :func:`roster_page` keep, in rank order,
    with stored names and owners: the table an export writes (``None`` when there is no round). In
    a file of codes the rows are read as codes and decoded by the round's labels once each
    (:func:`xuanba.rounds.store.decoded`), not in SQL: indexing the round's list of labels per row
    cost rows x labels (1,000 rows of 32,773 gate failures: out of 100 MB, web35)."""
    rid = resolve(ws, round_ref)
    if rid is None:
        return None
    frm, params = _from(ws, rid, owner)
    where, wp = _where(ws, rid, tier, search, filters)
    have = _fields(ws, rid)
    name = "CAST(f.name AS VARCHAR)" if "name" in have else "NULL"
    own = "CAST(f.owner AS VARCHAR)" if "owner" in have else "NULL"
    join = ("LEFT JOIN round_fields f ON f.round_id = r.round_id AND f.customer_id = r.customer_id"
            if have & {"name", "owner"} else "")
    frm = _joined(frm, join) if join else frm
    lim = f" LIMIT {int(limit)}" if limit is not None else ""
    sql = (f"SELECT r.rank, r.customer_id, {name} AS name, {own} AS owner, r.tier, r.score, r.selected, "
           "r.quadrant, r.value_score, r.potential_score, r.gates_failed, r.next_tier, r.gap_to_next, "
           f"r.left_out_by_capacity {frm}{where} ORDER BY r.rank{lim}")
    if not _coded(ws):
        return ws.con.execute(sql, params + wp).df()
    from xuanba.rounds.store import decoded, roster_frame

    got = ws.con.execute(sql, params + wp).arrow()
    return roster_frame(decoded(got.read_all() if hasattr(got, "read_all") else got, _labels(ws, rid)))


def roster_page(ws: Workspace, round_ref: str | int | None = "latest", *, owner: str | None = None,
                tier: str | None = None, search: str | None = None, sort: str = "rank", desc: bool = False,
                page: int = 1, per_page: int = 50, filters: dict[str, Any] | None = None,
                lang: str = "en") -> dict[str, Any]:
    """One page of a round's roster, filtered (``tier``: a tier key, ``"-"`` for not selected;
    ``search``: part of an id or a name; ``filters``: those of :data:`FILTERS`, e.g.
    ``{"owner": "Rep 01", "score_min": 50, "selected": "yes"}``) and sorted in DuckDB; ``total`` counts the
    filtered rows. A rep's ``owner`` scope holds whatever the filters say. For a round that stored
    only its selection, ``selection_only`` says so (:func:`selection_only`, in ``lang``), and a filter that keeps
    only customers it did not select (``unstored_asked``) has ``total`` ``None``: not known."""
    rid = resolve(ws, round_ref)
    per_page = per_page if per_page in PER_PAGE else 50
    empty = {"round_id": rid, "rows": [], "total": 0, "page": 1, "pages": 1, "per_page": per_page,
             "sort": "rank", "desc": False, "tiers": [], "choices": {"quadrants": [], "owners": [], "segments": []},
             "selection_only": None, "unstored_asked": False}
    if rid is None:
        return empty
    only = selection_only(ws, rid, owner, lang)
    if only is not None:  # the filters that keep only customers the round did not select: none is stored
        asked = tier == "-" or str((filters or {}).get("selected", "")).lower() in _NO
        empty = {**empty, "selection_only": only, "unstored_asked": asked}
    frm, params = _from(ws, rid, owner)
    rkey = _key(ws, rid)  # asked once for the page
    stored = (meta(ws, rid).get("summary") or {}).get("tier_counts")
    tiers = [str(k) for k in stored if k] if stored else _tiers(ws, rid, rkey)
    where, wp = _where(ws, rid, tier, search, filters)
    sort = sort if sort in SORTS else "rank"
    by = _text(ws, "tier") if sort == "tier" else SORTS[sort]
    order = f"{by} {'DESC' if desc else 'ASC'} NULLS LAST, r.rank"
    frm_sorted = _labelled(ws, frm, "tier") if sort == "tier" else frm
    if sort in ("name", "owner"):  # sorting by a stored field joins them (the slower path)
        have = _fields(ws, rid)
        key = f"CAST(f.{sort} AS VARCHAR)" if sort in have else "NULL"
        frm_sorted = _joined(frm, "LEFT JOIN round_fields f ON f.round_id = r.round_id "
                             "AND f.customer_id = r.customer_id") if sort in have else frm
        order = f"{key} {'DESC' if desc else 'ASC'} NULLS LAST, r.rank"
    kept = _kept_roster(ws, rid, rkey)
    if kept is not None:
        # the round's roster is in memory: a view's rank order is asked once and kept, a page is
        # a slice of it (every customer by rank needs no query at all)
        if sort == "rank" and owner is None and not where:
            total, ranks = kept.n, None
        else:
            ranks = _kept_ranks(ws, rid, f"SELECT r.rank {frm_sorted}{where} ORDER BY {order}", params + wp, rkey)
            total = len(ranks)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, int(page)), pages)
        skip = (page - 1) * per_page
        if ranks is None:
            chosen: Any = range(total - 1 - skip, max(total - skip - per_page, 0) - 1, -1) if desc else \
                range(skip, min(skip + per_page, total))
        else:
            chosen = ranks[skip:skip + per_page]
        out = {**empty, "rows": kept.rows(list(chosen)), "total": total, "page": page, "pages": pages,
               "sort": sort, "desc": bool(desc), "tiers": tiers, "choices": choices(ws, rid, owner)}
    else:
        out = {**empty, **_page_in_sql(ws, rid, frm, params, frm_sorted, where, wp, order, sort, desc, page, per_page,
                                       scoped=owner is not None), "tiers": tiers, "choices": choices(ws, rid, owner)}
    if out["unstored_asked"]:  # how many customers outside the selection pass the filters: not known, never 0
        out["total"] = None
    return out


def stored_selection(ws: Workspace, rid: int) -> Any:
    """A function giving round ``rid``'s stored rows (``customer_id``, ``rank``, ``score``) as Arrow:
    what :func:`xuanba.rounds.selection_only.rest_of_base` checks a roster output against."""
    return lambda: ws.con.execute(
        f"SELECT customer_id, rank, score FROM {_rows(ws)} WHERE round_id = ?", [rid]).to_arrow_table()


def selection_only(ws: Workspace, rid: int, owner: str | None = None, lang: str = "en") -> dict[str, Any] | None:
    """What a page says of round ``rid`` when it stored only its selected customers (a round run
    on an engine): the engine, the whole base's counts and where every customer's roster row is
    (``roster_out``: a file, folder, URL or table; ``roster_out_named``: what the round named,
    found or not), and ``note``: all of it in a sentence in ``lang``
    (:func:`xuanba.rounds.selection_only.selection_note`). A rep is told the engine only (their
    customers outside the selection are not known). ``None`` for a round that stored every customer."""
    from xuanba.i18n import t
    from xuanba.rounds.selection_only import rest_of_base, selection_note

    rest = rest_of_base(meta(ws, rid), rid, stored_selection(ws, rid))
    if rest is None:
        return None
    if owner is not None:
        return {"engine": rest.engine, "n_customers": None, "n_selected": None, "not_stored": None,
                "roster_out": None, "roster_out_named": None,
                "note": t("selection_only_scoped", lang, engine=rest.engine)}
    return {"engine": rest.engine, "n_customers": rest.n_customers, "n_selected": rest.n_selected,
            "not_stored": rest.not_stored, "roster_out": rest.roster, "roster_out_named": rest.named,
            "note": selection_note(rest, lang)}


def unstored_customer(ws: Workspace, round_ref: str | int | None, customer_id: str, owner: str | None = None,
                      lang: str = "en") -> dict[str, Any] | None:
    """For a customer :func:`customer` does not find, in a round that stored only its selection:
    ``message`` (in ``lang``) that the round ranked but did not select them, with their ``rank``
    from its roster output when that can be read here, or that it stored only its selection.
    ``None`` when there is nothing to say beyond "not found": no such round, a round that stored
    every customer, a roster output at hand that does not hold them, or (``owner``, a rep) one
    that does not show them as the rep's (:func:`xuanba.rounds.selection_only.unstored_customer`)."""
    from xuanba.rounds.selection_only import rest_of_base
    from xuanba.rounds.selection_only import unstored_customer as said

    rid = resolve(ws, round_ref)
    rest = rest_of_base(meta(ws, rid), rid, stored_selection(ws, rid)) if rid is not None else None
    out = said(rest, str(customer_id), lang, owner) if rest is not None else None
    if out is None:
        return None
    return {"round_id": rid, "customer_id": str(customer_id), "message": out[0], "rank": out[1],
            "n_customers": rest.n_customers if out[1] is not None else None}


def _page_in_sql(ws: Workspace, rid: int, frm: str, params: list[Any], frm_sorted: str, where: str, wp: list[Any],
                 order: str, sort: str, desc: bool, page: int, per_page: int, *, scoped: bool) -> dict[str, Any]:
    """One page of a roster whose round is not kept in memory, read in SQL."""
    total = int(ws.con.execute(f"SELECT count(*) {frm}{where}", params + wp).fetchone()[0])
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, int(page)), pages)
    cols = ("r.rank, r.customer_id, r.tier, r.score, r.selected, r.quadrant, r.next_tier, r.gap_to_next, "
            "r.left_out_by_capacity")  # in a file of codes the texts' codes, decoded for the page's rows
    if sort == "rank" and not scoped and not where and _dense(ws, rid, total):
        # every customer, by rank, and the ranks are 1..total: the page is a range of ranks, read
        # through the zone maps instead of sorting a million rows to skip most of them
        skip = (page - 1) * per_page
        lo, hi = (total - skip - per_page + 1, total - skip) if desc else (skip + 1, skip + per_page)
        frame = ws.con.execute(f"SELECT {cols} {frm} AND r.rank BETWEEN ? AND ? ORDER BY {order}",
                               params + [lo, hi]).df()
    else:
        frame = ws.con.execute(f"SELECT {cols} {frm_sorted}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                               params + wp + [per_page, (page - 1) * per_page]).df()
    rows = _decoded(ws, rid, _records(frame))
    people = _people(ws, rid, [str(r["customer_id"]) for r in rows])
    for r in rows:
        r["customer_id"] = str(r["customer_id"])
        r["name"], r["owner"] = people.get(r["customer_id"], (None, None))
    return {"rows": rows, "total": total, "page": page, "pages": pages, "sort": sort, "desc": bool(desc)}


def customer(ws: Workspace, round_ref: str | int | None, customer_id: str, owner: str | None = None,
             ) -> dict[str, Any] | None:
    """One customer of a round, as its page shows them: standing (the stored fields of
    :func:`xuanba.rounds.customer_standing`), each criterion's stored value and points, and rank
    and tier across every stored round; ``None`` when the round does not hold them **or** they
    are not ``owner``'s (a rep cannot tell another rep's customer from no customer)."""
    from xuanba.rounds import customer_standing

    heads = _heads(ws)  # which round, what identifies each, their cutoffs (kept while the file cannot change)
    rid = _resolve(list(heads), round_ref)
    if rid is None:
        return None
    cid = str(customer_id)
    kept = _kept_roster(ws, rid, heads[rid][0])
    pos = None
    if kept is not None:  # the round is in memory: its ids are looked up there, its scope too
        pos = kept.position(cid)
        if pos is None or not kept.in_scope(pos, owner):
            return None
    else:
        frm, params = _from(ws, rid, owner)
        if not ws.con.execute(f"SELECT 1 {frm} AND r.customer_id = ?", [*params, cid]).fetchall():
            return None
    # what follows is stored and never changes, but the history grows with each new round: the
    # key holds every round's identity, and the scope (a rep's page is never another's)
    key = None if kept is None else (heads[rid][0], tuple(h[0] for h in heads.values()), cid, owner)
    if key is not None and (hit := _CUSTOMERS.get(key)) is not None:
        return pickle.loads(hit)  # kept as bytes: a copy for the caller, nothing for the collector to walk
    if kept is not None:  # the roster's row is in memory, the round's head too: one read of the fields
        from xuanba.rounds.store import standing_of

        row = kept.row(pos)
        head = _round_head(ws, rid)
        standing = standing_of(rid, head["meta"], head["n_customers"], head["standard_text"], cid, row,
                               field_row(ws, rid, cid))
        extra = [{k: _plain(row[k]) for k in DETAIL}]
    else:
        standing = customer_standing(ws, rid, cid)
        if standing is None:
            return None
        # the codes of one row, decoded by the round's labels (the view would decode every text)
        extra = _decoded(ws, rid, _fetched(ws, f"SELECT {', '.join(DETAIL)} FROM {_rows(ws)} WHERE round_id = ? "
                                           "AND customer_id = ?", [rid, cid]))
    contrib = contributions(ws, rid, cid, None if pos is None else pos + 1)
    out = {"round_id": rid, "standing": {k: _plain(v) for k, v in standing.items()},
           "detail": extra[0] if extra else {}, "contributions": contrib, "history": _history(ws, cid, heads, owner)}
    if key is not None:
        _CUSTOMERS.put(key, pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    return out


#: The roster's columns a customer page shows beside the standing.
DETAIL = ("gates_failed", "next_tier", "gap_to_next", "cheapest_criterion", "cheapest_change", "quadrant",
          "left_out_by_capacity")


def contributions(ws: Workspace, rid: int, cid: str, rank: int | None = None) -> list[dict[str, Any]]:
    """Each criterion's stored value and points for customer ``cid`` in round ``rid``, most points
    first (ties in stored order); ``rank``: the customer's, when known (their rows are then read
    from the round's contributions kept in memory, or found by that rank; a wrong rank finds
    none, never another customer's)."""
    from xuanba.rounds.store import customer_contributions

    if rank is not None:
        key = _key(ws, rid)
        roster = None if key is None else _ROSTERS.get(key)
        if isinstance(roster, KeptRoster) and roster.id_at(rank - 1) == cid:  # the rank is theirs
            kept = _CONTRIBUTIONS.get_or_make(key, lambda: _load_contributions(ws, rid))
            return kept.rows(rank)
    got = customer_contributions(ws, rid, cid, rank=rank)
    rows = [dict(zip(KeptContributions.NAMES, (_plain(v) for v in row), strict=True)) for row in got]
    return [rows[i] for i in sorted(range(len(rows)), key=lambda i: _most_first(got[i][-1]))]


def _most_first(v: float | None) -> tuple[int, float]:
    """Most points first as DuckDB orders ``contribution DESC``: NaN first, a missing value last."""
    return (2, 0.0) if v is None else (0, 0.0) if v != v else (1, -v)


class KeptContributions:
    """A round's stored contributions in rank order (``table``: criterion, raw, normalised, weight,
    contribution, and the ``rank`` of the customer each row is of), and where each rank's rows
    start: a customer's page reads its few rows here (a slice) instead of DuckDB searching the
    round's millions for them.

    Example
    -------
    >>> import pyarrow as pa
    >>> kc = KeptContributions(pa.table({"criterion": ["a", "b", "a", "b"], "raw": [1.0, 3.0, 2.0, None],
    ...     "normalised": [0.1, 0.3, 0.2, None], "weight": [1.0, 2.0, 1.0, 2.0],
    ...     "contribution": [0.1, 0.6, 0.2, 0.0], "rank": [1, 1, 2, 2]}))
    >>> [r["criterion"] for r in kc.rows(1)], kc.rows(3)
    (['b', 'a'], [])
    """

    NAMES = ("criterion", "raw", "normalised", "weight", "contribution")

    def __init__(self, table: Any) -> None:
        import numpy as np

        self.table = table
        self._ranks = np.asarray(table.column("rank").to_numpy(), dtype=np.int64)

    def rows(self, rank: int) -> list[dict[str, Any]]:
        """The rows of the customer at ``rank``, most points first as the SQL orders them (NaN
        first, a missing value last, ties in stored order); none when no customer has that rank."""
        import numpy as np

        lo, hi = (int(i) for i in np.searchsorted(self._ranks, [rank, rank + 1]))
        part = self.table.slice(lo, hi - lo).to_pydict()
        rows = [{k: _plain(part[k][i]) for k in self.NAMES} for i in range(hi - lo)]
        points = part["contribution"]
        return [rows[i] for i in sorted(range(len(rows)), key=lambda i: _most_first(points[i]))]


def _load_contributions(ws: Workspace, rid: int) -> KeptContributions:
    """Round ``rid``'s contributions for :class:`KeptContributions`, from the one reader."""
    from xuanba.rounds.store import ranked_contributions

    return KeptContributions(ranked_contributions(ws, rid).combine_chunks())


def field_row(ws: Workspace, rid: int, cid: str) -> dict[str, Any]:
    """Every field round ``rid`` stored for customer ``cid`` (empty when none), each as its
    column's type reads it (a frame's values: NaN for a missing number); one read serves the
    standing, the predictions and the account fields of a customer's page. The caller has
    checked that the user may see them."""
    key = _key(ws, rid)

    def ask() -> dict[str, Any]:
        if not _fields(ws, rid):
            return {}
        sql = "SELECT * EXCLUDE (round_id) FROM round_fields WHERE round_id = ? AND customer_id = ?"
        kept = _ROSTERS.get(key) if key is not None else None
        pos = kept.position(cid) if isinstance(kept, KeptRoster) else None
        at = kept.where(pos) if pos is not None else None
        got = ws.sql(sql + " AND rowid = ?", [rid, cid, at]) if at is not None else None
        if got is None or not len(got):  # not known, or not there
            got = ws.sql(sql, [rid, cid])
        return {c: got[c].iloc[0] for c in got.columns} if len(got) else {}

    return ask() if key is None else _ROWS.get_or_make((key, cid), ask)


def _history(ws: Workspace, cid: str, heads: dict[int, tuple[Any, Any]],
             owner: str | None = None) -> list[dict[str, Any]]:
    """Rank, tier and score of ``cid`` in every stored round (``heads``: :func:`_heads`) where
    they are ``owner``'s (every round for ``None``: a rep never sees the standing of a customer
    while another rep held them): read from the rounds kept in memory, and in SQL (a scan of
    their rosters) from the others."""
    found, others = {}, []
    for rid, (key, cutoff) in heads.items():
        kept = _ROSTERS.get(key) if key is not None else None  # never loaded for this
        if not isinstance(kept, KeptRoster):
            if owner is None or "owner" in _fields(ws, rid):
                others.append(rid)
            continue
        pos = kept.position(cid)
        if pos is not None and kept.in_scope(pos, owner):
            row = kept.table.slice(pos, 1).to_pylist()[0]
            found[rid] = {"round_id": rid, "cutoff": cutoff,
                          **{k: _plain(row[k]) for k in ("rank", "tier", "score")}}
    if others:
        scope, scoped = "", []
        if owner is not None:
            scope = (" AND r.customer_id IN (SELECT customer_id FROM round_fields f WHERE f.round_id = r.round_id "
                     "AND f.customer_id = ? AND f.owner = ?)")
            scoped = [cid, owner]
        from xuanba.rounds.store import roster_sql

        rows = roster_sql(["customer_id", "rank", "tier", "score"], coded=_coded(ws))  # the tier's labels joined only
        for row in _fetched(ws, f"SELECT r.round_id, k.cutoff, r.rank, r.tier, r.score FROM ({rows}) r JOIN rounds k "
                            "ON k.round_id = r.round_id WHERE r.customer_id = ? AND r.round_id IN "
                            "(SELECT unnest(?::BIGINT[]))" + scope, [cid, others, *scoped]):
            found[int(row["round_id"])] = row
    return [found[rid] for rid in sorted(found)]


def compare(ws: Workspace, a: str | int | None, b: str | int | None, *, movers: int = 50,
            owner: str | None = None) -> dict[str, Any] | None:
    """Rounds ``a`` and ``b`` compared by :func:`xuanba.rounds.diff_rounds`: the counts (entered,
    left, rose, fell), the tier migration and the first ``movers`` customers of each change;
    ``None`` when either round is not stored. A rep (``owner``) gets the same comparison of their
    own customers only (:func:`_compared_customers`), with their ranks in the whole rounds."""
    from xuanba.rounds import diff_rounds
    from xuanba.rounds.diff import diff_loaded
    from xuanba.rounds.store import load_round

    heads = _heads(ws)
    ra, rb = _resolve(list(heads), a), _resolve(list(heads), b)
    if ra is None or rb is None:
        return None
    keys = (heads[ra][0], heads[rb][0])
    if owner is None:  # kept per pair of stored rounds: the overview asks for it at every visit
        d = diff_rounds(ws, ra, rb) if None in keys else _COMPARED.get_or_make((*keys, None), lambda: diff_rounds(ws, ra, rb))
    else:
        def scoped() -> Any:
            return diff_loaded(load_round(ws, ra, fields=False, contributions=False),
                               load_round(ws, rb, fields=False, contributions=False),
                               _compared_customers(ws, ra, rb, owner, heads))

        # two whole rounds loaded and compared: kept per pair of stored rounds and rep
        d = scoped() if None in keys else _COMPARED.get_or_make((*keys, owner), scoped)
    changes = d.changes
    out: dict[str, Any] = {"a": ra, "b": rb, "summary": {k: _plain(v) for k, v in d.summary.items()},
                           "migration": {"rows": [str(i) for i in d.migration.index],
                                         "columns": [str(c) for c in d.migration.columns],
                                         "values": [[int(v) for v in row] for row in d.migration.to_numpy()]},
                           "movers": {}}
    for status in ("entered", "left", "rose", "fell"):  # none asked (the overview): no pass over every customer
        part = changes.loc[changes["status"] == status].head(movers) if movers > 0 else changes.head(0)
        out["movers"][status] = _records(part)
    if d.summary.get("selection_only"):  # an engine round stored its selection (the diff emptied its migration)
        out["movers"]["rose"] = out["movers"]["fell"] = []
        out["partial"] = True  # the page says why, in its language
    out["scoped"] = owner is not None
    return out


def _compared_customers(ws: Workspace, ra: int, rb: int, owner: str,
                        heads: dict[int, tuple[Any, Any]]) -> set[str]:
    """The customers of rounds ``ra`` and ``rb`` that are ``owner``'s in a comparison: those whose
    stored owner in the later round (later cutoff, then later stored, whichever order the two
    are asked in) is theirs, and those absent from it whose owner in the earlier round was. A
    customer handed to another rep is theirs no longer; when either round stored no owner,
    nobody (as :func:`_from` scopes a rep)."""
    if "owner" not in _fields(ws, ra) or "owner" not in _fields(ws, rb):
        return set()
    ra, rb = sorted((ra, rb), key=lambda rid: (str(heads[rid][1]), rid))
    rows = ws.con.execute(
        "SELECT customer_id FROM round_fields WHERE round_id = ? AND owner = ? "
        "UNION SELECT customer_id FROM round_fields WHERE round_id = ? AND owner = ? "
        f"AND customer_id NOT IN (SELECT customer_id FROM {_rows(ws)} WHERE round_id = ?)",
        [rb, owner, ra, owner, rb]).fetchall()
    return {str(r[0]) for r in rows}
