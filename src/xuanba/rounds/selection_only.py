"""What a round that stored only its selected customers (a round run on an engine) can say of the
rest of its base: how many there were, and where their rows are, if anywhere.

Every output that lists a round's customers (the web roster, the exports, ``xuanba share``) says
it with :func:`selection_note`, so none shows the selection as if it were the base.

Example
-------
>>> rest = rest_of_base({"stored_customers": "selected", "engine": "duckdb", "n_customers": 499,
...                      "n_selected": 80, "roster_out": None}, 2)
>>> rest.not_stored, rest.roster
(419, None)
>>> selection_note(rest, "en")
"Round 2 ran on duckdb and stored only its 80 selected customers of 499. The other 419 customers' rows were not kept (the round was run without --roster-out)."
>>> rest_of_base({"n_customers": 3}, 1) is None  # a round that stored every customer
True
>>> rest_of_base({"stored_customers": "selected", "n_customers": 3, "n_selected": 3}, 1) is None  # all selected
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xuanba.errors import Phrase
from xuanba.i18n import counted, t
from xuanba.rounds.store import holds_selection_only, roster_of

if TYPE_CHECKING:
    import pandas as pd

#: The file of every customer's roster row that ``--roster-out`` writes.
ROSTER_FILE = "roster.parquet"


@dataclass(frozen=True)
class RestOfBase:
    """Round ``round_id`` stored ``n_selected`` of its ``n_customers``; ``named``: the
    ``--roster-out`` the round named (a folder, a URL or ``table:db.name``), found or not;
    ``roster``: where every customer's roster row is (the place its meta records), or ``None``
    when the round kept none or a local folder no longer holds it; ``local``: ``roster`` is a
    local file or folder this machine reads (not a URL or a catalog table); ``fields``: where
    every customer's fields are, as its meta records them (``None``: not recorded); ``replaced``:
    the local roster output holds another round's rows now (a later round wrote its own roster to
    the same folder), so ``roster`` is ``None``; ``unreadable``: why the file there cannot be read as
    a roster at all (a truncated file, one of another shape), which ``replaced`` is then too;
    ``sha``: the roster hash the round recorded (which round of which workspace it is);
    ``version``: the local roster file's inode, time and size when it was checked to hold the round
    (the readers read it only while it is still that file); ``cutoff``: the round's, which its
    fields were computed at."""

    round_id: int
    engine: str
    n_customers: int
    n_selected: int
    roster: str | None
    named: str | None
    local: bool = False
    fields: str | None = None
    replaced: bool = False
    unreadable: str | None = None
    sha: str | None = None
    version: tuple[Any, ...] | None = None
    cutoff: str | None = None

    @property
    def not_stored(self) -> int:
        """The customers of the base whose rows the workspace does not hold."""
        return max(self.n_customers - self.n_selected, 0)

    @property
    def folder(self) -> str | None:
        """The folder the round named when every customer's row is found there (local only)."""
        return self.named if self.local and self.roster is not None else None


def misses_customers(meta: dict[str, Any] | None) -> bool:
    """Whether a round (its stored ``meta``) left customers of its base out of the workspace: it
    stored its selection only and selected fewer than its base. A round that selected every
    customer stored them all, and every count over its stored rows is whole."""
    if not holds_selection_only(meta):
        return False
    m = meta or {}
    return m.get("n_customers") is None or int(m.get("n_selected") or 0) < int(m["n_customers"])


def rest_of_base(
    meta: dict[str, Any] | None, round_id: int, selected: Callable[[], Any] | None = None
) -> RestOfBase | None:
    """What round ``round_id`` (its stored ``meta``) says of the customers it did not store;
    ``None`` for a round that stored every customer. A local roster is looked for; a URL or a
    catalog table is taken as the round recorded it (this machine may not reach it). A round that
    selected every customer of its base stored them all: ``None`` too. With ``selected`` (a
    function giving the round's stored rows: ``customer_id``, ``rank``, ``score``), a local roster
    is checked to be still the round's (:func:`holds_the_round`); one a later round replaced is
    named gone (``replaced``), never read as this round's."""
    if not misses_customers(meta):
        return None
    m = meta or {}
    named = str(m["roster_out"]) if m.get("roster_out") else None
    places = m.get("roster_places") if isinstance(m.get("roster_places"), dict) else {}
    roster = places.get("roster") or (str(Path(named) / ROSTER_FILE) if named is not None else None)
    local = roster is not None and "://" not in roster and not roster.startswith("table:")
    if local and not Path(roster).exists():
        roster = None
    rest = RestOfBase(
        int(round_id),
        str(m.get("engine") or "an engine"),
        int(m.get("n_customers") or 0),
        int(m.get("n_selected") or 0),
        roster,
        named,
        local,
        places.get("fields"),
        sha=str(m["roster_sha256"]) if m.get("roster_sha256") else None,
        cutoff=str(m["cutoff"])[:10] if m.get("cutoff") else None,
    )
    if selected is not None and local and roster is not None:
        verdict, version = _roster_check(rest, selected)
        if verdict != "held":
            return replace(rest, roster=None, replaced=True, unreadable=verdict.partition(": ")[2] or None)
        return replace(rest, version=version)
    return rest


def rest_of_round(rnd: Any) -> RestOfBase | None:
    """:func:`rest_of_base` of a round at hand (a :class:`~xuanba.rounds.Round`, stored or just
    run: its ``meta``, ``round_id`` and the ``roster`` it holds), its local roster output checked
    to be still its own: what every output of a round says of the customers it did not store.

    Example
    -------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> rnd = SimpleNamespace(round_id=4, roster=pd.DataFrame({"customer_id": ["A"], "rank": [1], "score": [9.0]}),
    ...                       meta={"stored_customers": "selected", "engine": "duckdb", "n_customers": 10,
    ...                             "n_selected": 1, "roster_out": "no/such/folder"})
    >>> where_the_rest_is(rest_of_round(rnd), "en")
    "The other 9 customers' rows were written to no/such/folder, which no longer holds roster.parquet."
    """
    meta = getattr(rnd, "meta", None)
    if not misses_customers(meta):
        return None
    roster = rnd.roster

    def selected() -> Any:
        return roster[["customer_id", "rank", "score"]]

    return rest_of_base(meta, int(rnd.round_id), selected)


#: What :func:`holds_the_round` found, by file (its inode, time and size) and round: a few entries.
_HELD: dict[tuple[Any, ...], str] = {}


def holds_the_round(rest: RestOfBase, selected: Callable[[], Any]) -> bool:
    """Whether the local roster output ``rest.roster`` still holds round ``rest.round_id``'s rows:
    as many customers as its base, and selected exactly the customers it stored (``selected()``:
    ``customer_id``, ``rank``, ``score``), at the same ranks and scores. A later round written to
    the same folder replaces the file (``--roster-out`` always replaces a folder's files): read as
    this round's, it would give another round's ranks. Read once per version of the file (its
    selected rows and its count; the file is renamed into place whole, so a new one is a new inode).
    A file that cannot be read as a roster (truncated, of another shape) does not hold it."""
    return _roster_check(rest, selected)[0] == "held"


def _stat(place: str | None) -> tuple[Any, ...] | None:
    """A local file's inode, time and size (``None``: not there): a new version of it is another."""
    try:
        st = Path(str(place)).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def still_checked(rest: RestOfBase) -> bool:
    """Whether the local roster file is still the version :func:`rest_of_base` checked to hold
    the round (``True`` when none was checked): a later round may replace it between the check
    and a read, and a read of it then gives that round's rows as this round's. The readers of
    the roster output ask before and after they read."""
    return rest.version is None or _stat(rest.roster) == rest.version


def _roster_check(rest: RestOfBase, selected: Callable[[], Any]) -> tuple[str, tuple[Any, ...] | None]:
    """:func:`holds_the_round`'s answer: ``"held"``, ``"replaced"``, or ``"unreadable: WHY"``, and
    the version of the file it is about (its inode, time and size)."""
    import duckdb

    path = Path(str(rest.roster))
    try:
        st = path.stat()
    except OSError as exc:  # a link to nowhere, a folder not ours to read
        return f"unreadable: {exc.strerror or exc}", None
    version = (st.st_ino, st.st_mtime_ns, st.st_size)
    key = (
        str(path),
        *version,
        rest.round_id,
        rest.n_customers,
        rest.n_selected,
        rest.sha,  # round 1 of another workspace with the same counts is another round
    )
    if key in _HELD:
        return _HELD[key], version
    file = _parquet(str(path))
    try:
        with duckdb.connect() as con:
            con.register("_stored", selected())
            n, differ = con.execute(
                "WITH p AS (SELECT CAST(customer_id AS VARCHAR) AS id, rank, score FROM read_parquet(?) WHERE selected), "
                "s AS (SELECT CAST(customer_id AS VARCHAR) AS id, rank, score FROM _stored) "
                "SELECT (SELECT count(*) FROM read_parquet(?)), (SELECT count(*) FROM p FULL JOIN s ON p.id = s.id "
                "WHERE p.id IS NULL OR s.id IS NULL OR p.rank IS DISTINCT FROM s.rank OR "
                "(p.score IS NULL) <> (s.score IS NULL) OR abs(p.score - s.score) > 1e-9 * greatest(1, abs(s.score)))",
                [file, file],
            ).fetchone()
        verdict = "held" if int(n) == rest.n_customers and int(differ) == 0 else "replaced"
    except duckdb.Error as exc:  # not a Parquet file, truncated, or without a roster's columns
        verdict = f"unreadable: {_first_line(exc)}"
    if len(_HELD) >= 16:
        _HELD.clear()
    _HELD[key] = verdict
    return verdict, version


def _first_line(exc: BaseException) -> str:
    """The first line of an engine's error, without DuckDB's kind of error before it."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line.split(": ", 1)[1] if line.count(": ") and line.split(": ", 1)[0].endswith("Error") else line


def sentences(lang: str, *parts: str) -> str:
    """Sentences said one after another in ``lang``: a space between them in English, none in
    Chinese (whose full stop closes a sentence without one)."""
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def where_the_rest_is(rest: RestOfBase, lang: str) -> str:
    """Where the rows of the customers not stored are, in ``lang``: where ``--roster-out`` wrote
    them, a local folder that no longer holds them, or nowhere."""
    if rest.roster is not None:
        return t("selection_only_out", lang, place=rest.roster)
    if rest.replaced or rest.named is not None:  # the folder holds another round's rows, none, or no roster
        key = ("selection_only_unreadable" if rest.unreadable else "selection_only_replaced") if rest.replaced \
            else "selection_only_gone"
        return t(counted(key, rest.not_stored), lang, rest=f"{rest.not_stored:,}", folder=rest.named,
                 file=ROSTER_FILE, why=rest.unreadable or "")
    return t(counted("selection_only_lost", rest.not_stored), lang, rest=f"{rest.not_stored:,}")


class RestWhere(Phrase):
    """Where the rows of a selection-only round's other customers are (:func:`where_the_rest_is`),
    as words of an error, in the reader's language.

    Example
    -------
    >>> DataError(Phrase("err_selection_only_workspace_fix", rest=RestWhere(rest)))  # doctest: +SKIP
    """

    __slots__ = ()

    def __init__(self, rest: RestOfBase) -> None:
        super().__init__("selection_only_out", rest=rest)

    def words(self, lang: str) -> str:
        return where_the_rest_is(self.fields["rest"], lang)


def selection_note(rest: RestOfBase, lang: str, *, where: bool = True) -> str:
    """The sentence "Round R ran on E and stored only its N selected customers of M." and, with
    ``where``, where the others' rows are (:func:`where_the_rest_is`)."""
    head = t(
        counted("selection_only", rest.n_selected),
        lang,
        round_id=rest.round_id,
        engine=rest.engine,
        sel=f"{rest.n_selected:,}",
        n=f"{rest.n_customers:,}",
    )
    return sentences(lang, head, where_the_rest_is(rest, lang)) if where else head


def _parquet(place: str) -> str:
    """The Parquet file at ``place``, or every part in it when it is a folder (Spark writes parts)."""
    path = Path(place)
    return str(path / "*.parquet" if path.is_dir() else path)


#: The name of the file of every customer's fields that ``--roster-out`` writes.
FIELDS_FILE = "fields.parquet"


def roster_out_fields(rest: RestOfBase, ids: Any, columns: Any, *, as_text: bool = True, owner: str | None = None,
                      with_id: bool = True) -> pd.DataFrame | None:
    """The ``columns`` (those the file has, as text unless ``as_text`` is false; ``customer_id`` as
    text first unless ``with_id`` is false) of the customers ``ids`` (``None``: every customer;
    ``owner``: only those whose ``owner`` is that, none when the file names no owner) in round ``rest.round_id``'s ``--roster-out`` fields (``fields.parquet``), read when
    that output is a local folder still holding the round's rows (:func:`rest_of_base` given the
    round's ``selected``: ``rest.folder``); ``None`` when it is not at hand here (not kept, gone,
    replaced by a later round's, a URL or a catalog table): what a list of the round's customers
    it did not store can say of them, and only then.

    Example
    -------
    >>> rest = RestOfBase(1, "duckdb", 10, 2, roster=None, named="out")
    >>> roster_out_fields(rest, ["A"], ["owner"]) is None  # nothing at hand here
    True
    """
    if rest.folder is None:
        return None
    place = rest.fields or str(Path(rest.folder) / FIELDS_FILE)
    if "://" in place or place.startswith("table:") or not Path(place).exists():
        return None
    import duckdb
    import pyarrow as pa

    wanted = [str(c) for c in dict.fromkeys(columns) if str(c) != "customer_id"]
    file = _parquet(place)
    if not still_checked(rest) or not _fields_at_cutoff(place, rest.cutoff):
        return None  # a later round wrote the folder since it was checked, or its fields alone
    try:
        with duckdb.connect() as con:
            have = {str(c[0]) for c in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [file]).fetchall()}
            cols = [_quoted(c) for c in wanted if c in have]
            picked = [f"CAST({c} AS VARCHAR) AS {c}" if as_text else c for c in cols]
            if with_id:
                picked.insert(0, "CAST(customer_id AS VARCHAR) AS customer_id")
            where, params = ["TRUE"], [file]
            if ids is not None:
                con.register("_ids", pa.table({"id": pa.array([str(i) for i in ids], pa.string())}))
                where.append("CAST(customer_id AS VARCHAR) IN (SELECT id FROM _ids)")
            if owner is not None:
                if "owner" not in have:
                    where.append("FALSE")
                else:
                    where.append("CAST(owner AS VARCHAR) = ?")
                    params.append(str(owner))
            order = " ORDER BY customer_id" if with_id else ""
            got = con.execute(f"SELECT {', '.join(picked) or 'NULL AS none'} FROM read_parquet(?) "
                              f"WHERE {' AND '.join(where)}{order}", params).df()
    except duckdb.Error:  # truncated, not Parquet, or without customer_id: not at hand
        return None
    return got if still_checked(rest) else None


#: What :func:`_fields_at_cutoff` found, by file version and cutoff: a few entries.
_AT: dict[tuple[Any, ...], bool] = {}


def _fields_at_cutoff(place: str, cutoff: str | None) -> bool:
    """Whether the fields file at ``place`` was computed at ``cutoff``: each customer's
    ``days_since_last`` is the days from their ``last_purchase`` to it (``True`` when the file has
    not both, or the cutoff is not known). A later round swaps its fields into the folder before
    its roster: one that died between the two renames left the earlier round's roster beside its
    own fields, which the roster's check does not see. Asked once per version of the file."""
    import duckdb

    version = _stat(place)  # a folder of parts (Spark's) changes its time when parts are renamed in
    key = (place, version, cutoff)
    if cutoff is None or version is None:
        return True
    if key in _AT:
        return _AT[key]
    file = _parquet(place)
    try:
        with duckdb.connect() as con:
            have = {str(c[0]) for c in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [file]).fetchall()}
            if not {"last_purchase", "days_since_last"} <= have:
                return True
            off = con.execute("SELECT count(*) FROM read_parquet(?) WHERE date_diff('day', CAST(last_purchase AS DATE), "
                              "CAST(? AS DATE)) IS DISTINCT FROM CAST(days_since_last AS BIGINT) "
                              "AND last_purchase IS NOT NULL", [file, cutoff]).fetchone()[0]
    except duckdb.Error:  # unreadable: the reader that follows says so
        return True
    if len(_AT) >= 16:
        _AT.clear()
    _AT[key] = int(off) == 0
    return _AT[key]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def roster_out_column(rest: RestOfBase, column: str) -> pd.DataFrame | None:
    """Every customer's ``customer_id`` (text) and ``column`` in the round's ``--roster-out``
    roster (``roster.parquet``), when that is a local file still holding the round's rows
    (``rest.folder``); ``None`` when it is not at hand or has no such column.

    Example
    -------
    >>> roster_out_column(RestOfBase(1, "duckdb", 10, 2, roster=None, named=None), "potential_score") is None
    True
    """
    if rest.folder is None or rest.roster is None:
        return None
    import duckdb

    file = _parquet(rest.roster)
    if not still_checked(rest):  # replaced since it was checked: another round's rows
        return None
    try:
        with duckdb.connect() as con:
            have = {str(c[0]) for c in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [file]).fetchall()}
            if column not in have:
                return None
            got = con.execute(f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {_quoted(column)} "
                              "FROM read_parquet(?) ORDER BY 1", [file]).df()
    except duckdb.Error:  # changed since it was checked: not at hand
        return None
    return got if still_checked(rest) else None


def rank_in_roster_out(rest: RestOfBase, customer_id: str, owner: str | None = None) -> int | None:
    """Customer ``customer_id``'s rank in the round's ``--roster-out`` roster, read from its
    Parquet file; ``None`` when it is not at hand here (gone, a URL, a catalog table) or the
    round did not rank them. With ``owner`` (a rep), only a customer whose row in the roster
    output's fields names that owner: ``None`` for anyone else's, or when the fields are not
    at hand or name no owner (a rep cannot tell another rep's customer from no customer)."""
    if rest.roster is None or not rest.local or not still_checked(rest):
        return None
    import duckdb

    sql, params = (
        "SELECT min(rank) FROM read_parquet(?) WHERE customer_id = ?",
        [_parquet(rest.roster), customer_id],
    )
    try:
        with duckdb.connect() as con:
            if owner is not None:
                if rest.fields is None or not Path(rest.fields).exists():
                    return None
                fields = _parquet(rest.fields)
                columns = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [fields]).fetchall()
                if "owner" not in {c[0] for c in columns}:
                    return None
                sql += " AND customer_id IN (SELECT customer_id FROM read_parquet(?) WHERE CAST(owner AS VARCHAR) = ?)"
                params += [fields, owner]
            row = con.execute(sql, params).fetchone()
    except duckdb.Error:  # a fields file truncated or of another shape: not at hand
        return None
    if not still_checked(rest):  # replaced while it was read
        return None
    return None if row is None or row[0] is None else int(row[0])


def unstored_customer(
    rest: RestOfBase, customer_id: str, lang: str, owner: str | None = None
) -> tuple[str, int | None] | None:
    """What to say, in ``lang``, of customer ``customer_id``, whom round ``rest.round_id`` did not
    store, and their rank (:func:`rank_in_roster_out`, ``None`` when not at hand): the round ranked
    them but did not select them, or it stored only its selection and their rank cannot be read
    here, then where every customer's row is (not told to ``owner``, a rep). ``None`` when there
    is nothing more to say than "not found": the roster output at hand does not hold them or, for
    ``owner``, does not show them as the rep's."""
    rank = rank_in_roster_out(rest, customer_id, owner)
    if rank is None and (owner is not None or (rest.local and rest.roster is not None)):
        return None
    who = repr(str(customer_id))
    if rank is None:
        head = sentences(
            lang,
            selection_note(rest, lang, where=False),
            t("customer_not_stored", lang, customer=who),
        )
    else:
        head = t(
            counted("customer_not_selected", rest.n_selected),
            lang,
            round_id=rest.round_id,
            customer=who,
            rank=f"{rank:,}",
            n=f"{rest.n_customers:,}",
            engine=rest.engine,
            sel=f"{rest.n_selected:,}",
        )
    return (
        head if owner is not None else sentences(lang, head, where_the_rest_is(rest, lang))
    ), rank  # a rep: no paths


def unstored_standing(workspace: Any, round_ref: int | str, customer_id: str, lang: str = "en",
                      owner: str | None = None) -> dict[str, Any] | None:
    """What an account sheet says of customer ``customer_id`` whom stored round ``round_ref`` of
    ``workspace`` (a :class:`~xuanba.workspace.Workspace` or its path) did not store, as the web
    customer page says it (:func:`unstored_customer`, the roster output checked to be still the
    round's): ``message`` in ``lang`` (their rank of the base and that the round did not select
    them, or that it stored only its selection and where the others' rows are, or are no longer),
    ``rank`` (``None`` when not at hand), ``name``/``owner``/``segment``/``region`` from its
    ``--roster-out`` fields while they hold the round (else ``None``), and ``fix`` (how to see
    their standing, when their rank cannot be read; never to a rep). With ``owner`` (a rep), only
    for a customer the roster output shows as theirs, and without paths. ``None`` when there is
    nothing to say but "not in the round": a round that stored every customer, a customer the
    roster output at hand does not hold, or another rep's.

    Example
    -------
    >>> import pandas as pd
    >>> from xuanba import Workspace
    >>> with Workspace(":memory:") as ws:
    ...     ws.replace("rounds", pd.DataFrame({"round_id": [1], "cutoff": [pd.Timestamp("2025-12-31")],
    ...                                        "meta_json": ['{"n_customers": 9}']}))
    ...     unstored_standing(ws, "latest", "C1") is None  # a round that stored every customer
    True
    """
    import json

    from xuanba.rounds.store import resolve_round_id
    from xuanba.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_ref)
        row = ws.con.execute("SELECT meta_json, CAST(cutoff AS VARCHAR) FROM rounds WHERE round_id = ?",
                             [rid]).fetchone()
        meta = json.loads(row[0]) if row and row[0] else {}
        if not misses_customers(meta):
            return None
        stored = ws.con.execute(f"SELECT customer_id, rank, score FROM {roster_of(ws, ['customer_id', 'rank', 'score'])} "
                                "WHERE round_id = ?", [rid]).to_arrow_table()
    rest = rest_of_base(meta, rid, lambda: stored)
    said = unstored_customer(rest, str(customer_id), lang, owner) if rest is not None else None
    if rest is None or said is None:
        return None
    who: dict[str, Any] = dict.fromkeys(("name", "owner", "segment", "region"))
    if said[1] is not None:  # ranked: their row of the fields, read from the roster output that holds them
        got = roster_out_fields(rest, [str(customer_id)], list(who))
        if got is not None and len(got):
            who.update({k: got[k].iloc[0] for k in who if k in got and isinstance(got[k].iloc[0], str)})
    fix = None
    if said[1] is None and owner is None:
        fix = t("sheet_unstored_fix", lang, cutoff=str(row[1] if row else "")[:10], engine=rest.engine)
    return {"round_id": rid, "cutoff": str(row[1] if row else "")[:10], "customer_id": str(customer_id),
            "message": said[0], "rank": said[1], "n_customers": rest.n_customers, **who, "fix": fix}
