"""What the account-work pages and a customer's account view show, read from the workspace and
scoped to who is asking (``owner``: ``None`` for managers and admins, else a rep's owner name).

The account-work page renders the analyses a round stored at its cutoff (``round_tables``: profit
by size, promises by rep, owners, keep-warm, receivables ageing, personas) through the report's
own section builders (:func:`xuanba.outputs.account_sections.account_sections`) and the whale
curve through :func:`xuanba.outputs.charts.whale_chart`, from the round's stored per-customer
profits. A rep sees only the rows of their own accounts (their keep-warm list, their promises,
their receivables, the whale curve of their own accounts); the company-wide analyses (size bands,
owner concentration, segments) are a manager's.

A customer's account view reads the stored side tables (contacts, commitments, interactions,
resources, needs, as ``xuanba ingest`` stored them) for that one customer at the round's cutoff,
the receivables row the round stored, and the predictions the round stored (with their
``_lower``/``_upper`` bounds when it stored them): nothing is refitted.

Example
-------
>>> from xuanba.workspace import Workspace
>>> with Workspace(":memory:") as ws:
...     account_work(ws, "latest") is None
True
"""

from __future__ import annotations

import copy
import json
import math
import threading
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from xuanba.web.data import (
    _fields,
    _from,
    _key,
    _people,
    _plain,
    _records,
    field_row,
    has_table,
    memo,
    meta,
    resolve,
)
from xuanba.workspace import Workspace

#: The predictions a round stores per customer (:data:`xuanba.models.predict.PREDICTION_COLUMNS`),
#: shown on the customer page with their interval when the round stored ``<name>_lower/_upper``.
PREDICTIONS = ("p_alive", "expected_purchases_1y", "expected_spend", "clv_1y", "clv_3y", "churn_90d")
#: The account fields a round stores per customer (:data:`xuanba.accounts.FIELDS`).
ACCOUNT_FIELDS = ("cost_to_serve_365d", "profit_365d", "promise_reliability", "days_since_contact",
                  "payment_punctuality", "single_threaded", "overdue_receivables")
#: How many interactions and resources an account view lists.
LATEST = 10
#: How many overdue promises the account-work page lists (the longest overdue first).
OVERDUE_ROWS = 50
#: The analyses a rep sees, filtered to their accounts; the rest are company-wide.
REP_TABLES = ("keep_warm", "promises", "receivables")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A rep's customers in a stored round (:func:`_mine`), by stored round and owner: a few entries.
_MINE: dict[tuple[Any, ...], frozenset[str]] = {}


def _mine(ws: Workspace, rid: int, owner: str | None) -> set[str] | None:
    """The ids of ``owner``'s customers in round ``rid`` (``None``: everyone's), read once per
    stored round and owner (what a round stored does not change; a new round is a new key)."""
    if owner is None:
        return None
    rkey = _key(ws, rid)
    key = None if rkey is None else (*rkey, owner)
    known = _held(_MINE, key)
    if known is not _MISSING:
        return set(known)
    frm, params = _from(ws, rid, owner)
    got = frozenset(str(r[0]) for r in ws.con.execute(f"SELECT r.customer_id {frm}", params).fetchall())
    if key is not None:
        _kept(_MINE, key, got)
    return set(got)


#: What :func:`_held` answers for a key a cache does not hold (``None`` is a value kept).
_MISSING = object()
#: The server's threads share these caches: one evicts while another reads or adds.
_CACHE_LOCK = threading.Lock()


def _held(cache: dict[Any, Any], key: Any) -> Any:
    """What ``cache`` keeps under ``key`` (``None``: no key), else :data:`_MISSING`; one look-up,
    so another thread's eviction between a test and a read cannot raise."""
    return _MISSING if key is None else cache.get(key, _MISSING)


def _kept(cache: dict[Any, Any], key: Any, value: Any, bound: int = 4) -> Any:
    """``value`` kept in ``cache`` under ``key``, the oldest entry dropped beyond ``bound``.

    >>> c = {}
    >>> [_kept(c, k, k * 10, bound=2) for k in (1, 2, 3)], c
    ([10, 20, 30], {2: 20, 3: 30})
    """
    with _CACHE_LOCK:
        while len(cache) >= bound:
            cache.pop(next(iter(cache)), None)
        cache[key] = value
    return value


_TABLES: dict[tuple[Any, ...], dict[str, Any]] = {}
_ANALYSES = ("profit_by_size", "promises", "owners", "keep_warm", "receivables", "personas")


def _stored_tables(ws: Workspace, rid: int) -> dict[str, Any]:
    """Round ``rid``'s stored account analyses (name -> ``StoredTable``), parsed once per stored
    round (rounds are append-only; the roster's hash tells a replaced file's round apart)."""
    from io import StringIO

    from xuanba.rounds.run import StoredTable

    if not has_table(ws, "round_tables"):
        return {}
    key = _key(ws, rid)  # None: kept nowhere
    known = _held(_TABLES, key)
    if known is not _MISSING:
        return dict(known)
    out = {}
    for name, info, table in ws.con.execute("SELECT name, info_json, table_json FROM round_tables WHERE round_id = ? "
                                            "AND list_contains(?::VARCHAR[], name) ORDER BY name",
                                            [rid, list(_ANALYSES)]).fetchall():
        frame = None if table is None else pd.read_json(StringIO(str(table)), orient="table")
        if frame is not None and "customer_id" in frame.columns:
            frame["customer_id"] = frame["customer_id"].astype(str)
        out[str(name)] = StoredTable(json.loads(str(info)), frame)
    if key is not None:
        _kept(_TABLES, key, out)
    return dict(out)


def _among(ids: pd.Series, chosen: set[str]) -> np.ndarray:
    """Whether each of ``ids`` is one of ``chosen``: hashed as Python strings (pandas' ``isin`` on
    Arrow text walks the set in Python, a second per million ids)."""
    return pd.Index(ids.astype(str).to_numpy(dtype=object)).isin(list(chosen))


def _scoped_tables(tables: dict[str, Any], mine: set[str], owner: str) -> dict[str, Any]:
    """The stored analyses cut to a rep's accounts: their keep-warm rows, their row of promises,
    their receivables (with their own total); the company-wide analyses are left out."""
    from xuanba.rounds.run import StoredTable

    out: dict[str, Any] = {}
    warm = tables.get("keep_warm")
    if warm is not None and warm.frame is not None:
        frame = warm.frame.loc[_among(warm.frame["customer_id"], mine)].reset_index(drop=True)
        out["keep_warm"] = StoredTable({**warm.info, "accounts": len(frame)}, frame)
    prom = tables.get("promises")
    if prom is not None and prom.frame is not None:
        by = str(prom.info.get("by", "rep"))
        rel = prom.frame
        rel = rel.loc[rel[by].astype(str) == owner] if by == "rep" else rel.loc[_among(rel[by], mine)]
        out["promises"] = StoredTable({**prom.info, "kept_on_time": int(rel["kept_on_time"].sum()),
                                       "due": int(rel["due"].sum()), "overdue": int(rel["overdue"].sum())},
                                      rel.reset_index(drop=True))
    rec = tables.get("receivables")
    if rec is not None and rec.frame is not None:
        rows = rec.frame.loc[_among(rec.frame["customer_id"], mine) & (rec.frame["customer_id"] != "TOTAL").to_numpy()]
        total = rows.drop(columns="customer_id").sum().to_frame().T
        total.insert(0, "customer_id", "TOTAL")
        frame = pd.concat([rows, total], ignore_index=True)
        overdue = float(total.drop(columns=["customer_id", "open_balance", "current"], errors="ignore").sum(axis=1).iloc[0])
        out["receivables"] = StoredTable({**rec.info, "overdue_receivables": overdue, "collection_rate": math.nan},
                                         frame)
    return out


_WHALES: dict[tuple[Any, ...], dict[str, Any] | None] = {}


def _whale(ws: Workspace, rid: int, m: dict[str, Any], mine: set[str] | None, lang: str,
           owner: str | None = None) -> dict[str, Any] | None:
    """The whale curve of the round's stored profits (a rep's: of their own accounts) as a
    Plotly figure (JSON) and its peak; ``None`` when the round stored no profit measure. Drawn
    once per stored round, owner and language (a million profits take a moment to sort)."""
    from xuanba.rounds.selection_only import rest_of_base
    from xuanba.web.data import stored_selection

    rest = rest_of_base(m, rid, stored_selection(ws, rid))  # an engine round: its roster output, checked
    rkey = _key(ws, rid)
    if rkey is None:  # kept nowhere
        return _draw_whale(ws, rid, m, mine, lang, owner, rest)
    key = (*rkey, owner, lang, None if rest is None else (rest.roster, rest.replaced, rest.unreadable))
    if key not in _WHALES:
        if len(_WHALES) >= 32:
            _WHALES.pop(next(iter(_WHALES)))
        _WHALES[key] = _draw_whale(ws, rid, m, mine, lang, owner, rest)
    return _WHALES[key]


def _draw_whale(ws: Workspace, rid: int, m: dict[str, Any], mine: set[str] | None, lang: str,
                owner: str | None = None, rest: Any = None) -> dict[str, Any] | None:
    """The whale curve (see :func:`_whale`); ``rest``: what a round run on an engine says of the
    customers it did not store (:func:`xuanba.rounds.selection_only.rest_of_base`): the curve is
    drawn from every customer's profit in its roster output while that holds the round, else not
    drawn (``{"not_drawn": why}``): the selection's profits are not the base's curve."""
    from xuanba.accounts.profit import whale_peak, whale_shape
    from xuanba.errors import DataError
    from xuanba.outputs import charts
    from xuanba.rounds.summary import whale_profits

    summary = m.get("summary") or {}
    measure = summary.get("measure")
    have = _fields(ws, rid)
    if measure not in ("profit_365d", "margin_365d") or measure not in have:
        return None
    cols = [c for c in ("customer_id", measure, "revenue_365d", "cost_to_serve_365d") if c == "customer_id" or c in have]
    if rest is not None:
        from xuanba.rounds.selection_only import roster_out_fields

        # every customer's profit (a rep's: of their accounts), without ids: 24 bytes a customer
        fields = roster_out_fields(rest, None, cols[1:], as_text=False, owner=owner, with_id=False)
        if fields is None or measure not in fields.columns:
            return {"not_drawn": _whale_not_drawn(rest, owner, lang)}
    else:
        fields = ws.sql(f"SELECT {', '.join(_quote(c) for c in cols)} FROM round_fields WHERE round_id = ?", [rid])
    if mine is not None and rest is None:
        fields = fields.loc[fields["customer_id"].astype(str).isin(mine)]
    profits = whale_profits(fields, measure)
    if profits is None or not len(profits):
        return None
    try:
        shape = whale_shape(profits)
    except DataError:  # no positive total: a share of it means nothing
        return None
    peak = summary.get("whale") if mine is None and summary.get("whale") else whale_peak(shape)
    fig = charts.whale_chart(shape, peak, lang=lang)
    return {"figure": json.loads(fig.to_json()), "customers": int(len(profits)),
            "customer_pct": float(peak["customer_pct"]), "profit_pct": float(peak["profit_pct"])}


def _whale_not_drawn(rest: Any, owner: str | None, lang: str) -> str:
    """Why a round run on an engine draws no whale curve here: it stored its selection only, and
    (to a manager) where every customer's row is, or is not."""
    from xuanba.i18n import counted, t
    from xuanba.rounds.selection_only import sentences, where_the_rest_is

    if owner is not None:  # a rep: not the base's counts nor the places
        return t("web_whale_engine_rep", lang, engine=rest.engine)
    head = t(counted("engine_not_stored", rest.n_selected), lang, engine=rest.engine, sel=f"{rest.n_selected:,}",
             n=f"{rest.n_customers:,}")
    return sentences(lang, head, where_the_rest_is(rest, lang))


def _listed_ids(tables: dict[str, Any]) -> list[str]:
    """The customers the stored analyses list one by one (keep-warm, receivables, promises by
    customer), in a sorted list."""
    ids: set[str] = set()
    for name in ("keep_warm", "receivables"):
        got = tables.get(name)
        if got is not None and got.frame is not None:
            ids |= set(got.frame["customer_id"].astype(str))
        if name == "receivables":
            ids.discard("TOTAL")
    prom = tables.get("promises")
    if prom is not None and prom.frame is not None and str(prom.info.get("by", "rep")) == "customer_id":
        ids |= set(prom.frame["customer_id"].astype(str))
    return sorted(ids)


#: Who the customers an engine round did not store are (:func:`_unstored_people`), by stored round
#: and version of its roster output's fields: a few entries.
_OUTSIDE: dict[tuple[Any, ...], pd.DataFrame] = {}


def _version(place: str) -> tuple[Any, ...]:
    """A file's (or a folder's) identity and version: path, inode, time and size."""
    from pathlib import Path

    try:
        st = Path(place).stat()
    except OSError:
        return (place,)
    return (place, st.st_ino, st.st_mtime_ns, st.st_size)


def _unstored_people(ws: Workspace, rid: int, tables: dict[str, Any], owner: str | None, lang: str,
                     more: Any = (), more_key: Any = None,
                     ) -> tuple[pd.DataFrame | None, str | None, tuple[Any, ...] | None]:
    """For a round that stored only its selected customers (run on an engine), whose analyses
    list customers of the whole base: the ``name`` and ``owner`` of the customers they list, read
    from the round's ``--roster-out`` fields when that folder still holds the round's rows
    (:func:`xuanba.rounds.selection_only.roster_out_fields`), and ``None`` with what to say in
    ``lang`` when it does not: that the names, owners and a rep's lists cover the selected
    customers only, and (to a manager) where the others' rows are; ``None, None`` for a round
    that stored every customer. Third, what identifies the answer for the caches (the stored
    round, the state and version of its roster output, the customers looked up; ``None``: keep
    nothing). ``more``: other customers to look up (those with overdue promises); ``more_key``:
    what identifies them (the version of the commitments they come from), else their set."""
    from xuanba.i18n import t
    from xuanba.rounds.selection_only import (
        FIELDS_FILE,
        rest_of_base,
        roster_out_fields,
        selection_note,
        sentences,
        where_the_rest_is,
    )
    from xuanba.web.data import stored_selection

    rkey = _key(ws, rid)
    rest = rest_of_base(meta(ws, rid), rid, stored_selection(ws, rid))
    if rest is None:
        return None, None, rkey
    if more_key is None:
        more = more_key = frozenset(str(c) for c in more)
    place = None if rest.folder is None else rest.fields or f"{rest.folder}/{FIELDS_FILE}"
    state = (rest.roster, rest.replaced, rest.unreadable, None if rest.roster is None else _version(rest.roster))
    key = None if rkey is None else (*rkey, state, None if place is None else _version(place), more_key)
    got = _held(_OUTSIDE, key) if place is not None else _MISSING
    if got is _MISSING:  # read once per stored round, version of its roster output and overdue customers
        ids = sorted(set(_listed_ids(tables)) | {str(c) for c in more})
        if not ids:
            return None, None, key
        got = roster_out_fields(rest, ids, ["name", "owner"])
        if key is not None and got is not None:
            _kept(_OUTSIDE, key, got)
    if got is not None:
        return got, None, key
    if owner is not None:  # a rep: not the places (as every page tells a rep)
        return None, t("accounts_selection_only_rep", lang, engine=rest.engine), key
    return None, sentences(lang, selection_note(rest, lang, where=False), t("web_accounts_selection_only", lang),
                           where_the_rest_is(rest, lang)), key


def _keep_warm_by_owner(ws: Workspace, rid: int, warm: pd.DataFrame | None,
                        outside: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """How many of the stored keep-warm accounts each owner holds (the round's stored owners, and
    ``outside``'s: the owners its roster output gives the customers it did not store)."""
    if warm is None or not len(warm):
        return []
    if outside is not None and "owner" in outside.columns:
        ids = warm["customer_id"].astype(str).to_numpy(dtype=object)
        at = pd.Index(outside["customer_id"].astype(str).to_numpy(dtype=object)).get_indexer(ids)
        owner = outside["owner"].to_numpy(dtype=object)
        got = [owner[i] for i in at[at >= 0]]  # those it did not store, then those it stored
        got += [o for _, o in _people(ws, rid, ids[at < 0].tolist()).values()]
        counts = pd.Series(["" if o is None or o != o else str(o) for o in got], dtype=object).value_counts()
        return [{"owner": str(o), "accounts": int(n)}
                for o, n in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))]
    if "owner" not in _fields(ws, rid):
        return []
    rows = ws.con.execute("SELECT coalesce(CAST(owner AS VARCHAR), '') AS owner, count(*) AS accounts FROM round_fields "
                          "WHERE round_id = ? AND customer_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 "
                          "ORDER BY 2 DESC, 1", [rid, warm["customer_id"].astype(str).tolist()]).fetchall()
    return [{"owner": str(o), "accounts": int(n)} for o, n in rows]


def _commitments_version(ws: Workspace) -> tuple[Any, ...] | None:
    """What identifies the stored commitments' content: their columns, row count and the sum of
    every row's hash (one scan, no order: an ingest that adds, replaces or changes rows changes
    it), ``None`` without the table; asked once while the file cannot change (:func:`memo`)."""
    def ask() -> tuple[Any, ...] | None:
        side = _side_columns(ws).get("commitments")
        if not side:
            return None
        cols = ", ".join(_quote(c) for c in side)
        n, total = ws.con.execute(f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM commitments").fetchone()
        return (tuple(side.items()), int(n), str(total))

    return memo(ws, "commitments version", ask)


#: The overdue promises at a cutoff (:func:`_overdue`), by workspace, cutoff and version of its
#: commitments: a few entries.
_LEDGERS: dict[tuple[Any, ...], pd.DataFrame | None] = {}


def _overdue(ws: Workspace, rid: int) -> pd.DataFrame | None:
    """The promises overdue at round ``rid``'s cutoff (the stored commitments through
    :func:`xuanba.accounts.promise_ledger`), ``None`` without commitments: built once per
    workspace, cutoff and version of its commitments (:func:`_ledger_key`)."""
    return _overdue_keyed(ws, rid)[0]


def _overdue_keyed(ws: Workspace, rid: int) -> tuple[pd.DataFrame | None, tuple[Any, ...] | None]:
    """:func:`_overdue` and its key (``None``: kept nowhere, e.g. a workspace in memory)."""
    from xuanba.accounts.commitments import promise_ledger

    cutoff = str(meta(ws, rid).get("cutoff"))
    key = None if _key(ws, rid) is None else (ws.path, cutoff, _commitments_version(ws))
    known = _held(_LEDGERS, key)
    if known is not _MISSING:
        return known, key
    side = _side_columns(ws)
    led = None
    if "commitments" in side:
        commitments = _side(ws, "commitments", "", side, whole=True)
        if commitments is not None and len(commitments):
            led = promise_ledger(commitments, cutoff)
            led = led.loc[led["state"] == "overdue"]
    if key is not None:
        _kept(_LEDGERS, key, led)
    return led, key


def overdue_promises(ws: Workspace, rid: int, mine: set[str] | None, limit: int = OVERDUE_ROWS, *,
                     led: pd.DataFrame | None = None, unstored: set[str] | None = None,
                     ) -> tuple[int, list[dict[str, Any]]]:
    """The promises overdue at round ``rid``'s cutoff (the stored commitments through
    :func:`xuanba.accounts.promise_ledger`, as the round's own promises analysis reads them), of
    the round's customers (``mine``: a rep's; ``unstored``: those of its base a round run on an
    engine did not store, known from its roster output), longest overdue first: their count and
    the first ``limit`` (customer, rep, promise, due, days overdue). ``led``: the overdue
    promises when already read."""
    led = _overdue(ws, rid) if led is None else led
    if led is None or not len(led):
        return 0, []
    frm, params = _from(ws, rid, None)
    ids = set(led["customer_id"].astype(str))
    held = mine & ids if mine is not None else {str(r[0]) for r in ws.con.execute(
        f"SELECT r.customer_id {frm} AND r.customer_id IN (SELECT unnest(?::VARCHAR[]))",  # a hash join, not
        [*params, sorted(ids)]).fetchall()} | ((unstored or set()) & ids)  # a scan of the list per customer
    led = led.loc[_among(led["customer_id"], held)].sort_values(["days_overdue", "customer_id"], ascending=[False, True])
    cols = [c for c in ("customer_id", "rep", "text", "due_on", "days_overdue") if c in led.columns]
    return int(len(led)), _records(led[cols].head(limit))


def account_work(ws: Workspace, round_ref: str | int | None = "latest", owner: str | None = None,
                 lang: str = "en") -> dict[str, Any] | None:
    """The account-work page of a round: the whale curve, then each stored analysis as the
    report's section (``id, title, reading, table``); keep-warm accounts counted by owner.
    ``None`` when there is no such round.

    Example
    -------
    >>> account_work(Workspace(":memory:"), 1) is None
    True
    """
    from xuanba.outputs.account_sections import account_sections
    from xuanba.outputs.people import People

    rid = resolve(ws, round_ref)
    if rid is None:
        return None
    m = meta(ws, rid)
    mine = _mine(ws, rid, owner)
    tables = _stored_tables(ws, rid)
    # an engine round stored its selection only: who the others its analyses list are, from its
    # roster output while that holds its rows, else a note that these lists cover the selection only
    led, led_key = _overdue_keyed(ws, rid)
    outside, note, okey = _unstored_people(ws, rid, tables, owner, lang,
                                           () if led is None else led["customer_id"], led_key)
    # what the page derives from these: kept while the round, its commitments and roster output are
    dkey = None if okey is None or (led_key is None and led is not None) else (*okey, led_key, owner)
    if mine is not None and outside is not None and "owner" in outside.columns:
        mine = mine | set(outside.loc[outside["owner"] == str(owner), "customer_id"].astype(str))
    if mine is not None:
        tables = _scoped_tables(tables, mine, str(owner))
    people_cols = [c for c in ("name", "owner") if c in _fields(ws, rid)]
    warm = tables.get("keep_warm")
    people = None
    if warm is not None and warm.frame is not None and (people_cols or outside is not None):
        from xuanba.outputs.account_sections import KEEP_WARM_ROWS

        head = warm.frame["customer_id"].head(KEEP_WARM_ROWS).astype(str).tolist()
        known = ws.sql(f"SELECT customer_id, {', '.join(f'CAST({c} AS VARCHAR) AS {c}' for c in people_cols)} "
                       "FROM round_fields WHERE round_id = ? AND customer_id IN (SELECT unnest(?::VARCHAR[]))",
                       [rid, head]) if people_cols else pd.DataFrame({"customer_id": pd.Series([], dtype=object)})
        if outside is not None:
            known = known.astype({"customer_id": str})
            rest = outside.loc[outside["customer_id"].isin(head) & ~outside["customer_id"].isin(known["customer_id"])]
            known = pd.concat([known, rest], ignore_index=True)
        people = People.of(known)
    rnd = SimpleNamespace(tables=tables, meta=m, fields=None)
    sections = account_sections(rnd, lang, people=people or People.of(None))
    if mine is not None:
        for s in sections:  # the company-wide rates are not a rep's
            if s["id"] == "accounts-ageing":
                s["reading"] = ""
    derived = _DERIVED.get(dkey) if dkey is not None else None
    if derived is None:
        derived = {
            "keep_warm_by_owner": _keep_warm_by_owner(ws, rid, warm.frame if warm is not None else None, outside),
            "overdue": dict(zip(("count", "rows"), overdue_promises(
                ws, rid, mine, led=led, unstored=None if outside is None else set(outside["customer_id"])),
                strict=True))}
        if dkey is not None:
            _kept(_DERIVED, dkey, derived, 16)
    return {"round_id": rid, "cutoff": m.get("cutoff"), "currency": m.get("currency"), "scoped": owner is not None,
            "whale": _whale(ws, rid, m, mine, lang, owner), "sections": sections,
            "keep_warm_by_owner": copy.deepcopy(derived["keep_warm_by_owner"]), "selection_note": note,
            "overdue": copy.deepcopy(derived["overdue"]), "stored": sorted(tables)}


#: What :func:`account_work` derives from a round, its commitments and its roster output (the
#: keep-warm accounts by owner, the overdue promises of its customers), by what identifies them
#: (:func:`_unstored_people`'s key, the commitments' version, the owner): a few entries.
_DERIVED: dict[tuple[Any, ...], dict[str, Any]] = {}


def _side(ws: Workspace, kind: str, cid: str, columns: dict[str, dict[str, str]], *,
          whole: bool = False) -> pd.DataFrame | None:
    """One customer's rows of a stored side table (money as float; a table without a customer
    column, or ``whole``: every row), or ``None`` without the table; ``columns``: each table's
    column types."""
    types = columns.get(kind)
    if not types:
        return None
    cols = []
    for col, typ in types.items():
        q = _quote(col)
        cols.append(f"CAST({q} AS DOUBLE) AS {q}" if typ.startswith("DECIMAL") else q)
    where = " WHERE CAST(customer_id AS VARCHAR) = ?" if "customer_id" in types and not whole else ""
    frame = ws.sql(f"SELECT {', '.join(cols)} FROM {_quote(kind)}{where}", [cid] if where else None)
    if "customer_id" in frame.columns:
        frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def _side_columns(ws: Workspace) -> dict[str, dict[str, str]]:
    """The column types of the stored side tables an account view reads, in one catalogue query
    (kept while the file cannot change)."""
    def ask() -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for table, col, typ in ws.con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND "
                "list_contains(['contacts', 'commitments', 'interactions', 'needs', 'resources'], table_name) "
                "ORDER BY table_name, column_index").fetchall():
            out.setdefault(str(table), {})[str(col)] = str(typ)
        return out

    return memo(ws, "side columns", ask)


def _present(v: Any) -> Any:
    """A stored value as :func:`_records` gives it: ``None`` when missing, else plain Python."""
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else _plain(v)


def _stored_fields(m: dict[str, Any]) -> set[str]:
    return set(m.get("field_columns") or [])


def predictions(ws: Workspace, rid: int, cid: str, m: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The predictions round ``rid`` stored for ``cid``: ``name, value, lower, upper, level`` (the
    bounds ``None`` when the round stored none; ``level``, e.g. 0.9, when the round computed
    them by its standard's ``[predictions] interval``, else ``None``); ``m``: the round's meta
    when already read."""
    m = meta(ws, rid) if m is None else m
    have = _stored_fields(m)
    level = (m.get("intervals") or {}).get("level")
    names = [p for p in PREDICTIONS if p in have]
    if not names:
        return []
    cols = [c for p in names for c in (p, f"{p}_lower", f"{p}_upper") if c in have]
    row = field_row(ws, rid, cid)
    if not row:
        return []
    got = {k: _plain(row[k]) for k in cols if k in row}
    got = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in got.items()}
    return [{"name": p, "value": got.get(p), "lower": got.get(f"{p}_lower"), "upper": got.get(f"{p}_upper"),
             "level": level if got.get(f"{p}_lower") is not None else None} for p in names]


def account_view(ws: Workspace, rid: int, cid: str, m: dict[str, Any] | None = None) -> dict[str, Any]:
    """One customer's account at round ``rid``'s cutoff: the stored account fields, contacts with
    their role and KPI, promises with their state at the cutoff, the stored receivables row, the
    latest interactions and the matching resources. The caller has checked the customer is the
    user's to see (``m``: the round's meta when already read)."""
    from xuanba._dates import on_or_before
    from xuanba.accounts.commitments import promise_ledger
    from xuanba.accounts.resources import match_resources

    m = meta(ws, rid) if m is None else m
    cutoff = str(m.get("cutoff"))
    have = _stored_fields(m)
    out: dict[str, Any] = {"cutoff": cutoff, "fields": {}, "contacts": [], "promises": [], "interactions": [],
                           "receivables": None, "resources": []}
    stored = [c for c in ACCOUNT_FIELDS if c in have]
    if stored:
        row = field_row(ws, rid, cid)
        if row:
            out["fields"] = {k: v for k in stored if k in row and (v := _present(row[k])) is not None}
    side = _side_columns(ws)
    contacts = _side(ws, "contacts", cid, side)
    if contacts is not None:
        out["contacts"] = _records(contacts[[c for c in ("contact_id", "name", "role", "kpi") if c in contacts]])
    commitments = _side(ws, "commitments", cid, side)
    if commitments is not None and len(commitments):
        led = promise_ledger(commitments, cutoff).sort_values("due_on", ascending=False)
        out["promises"] = _records(led[[c for c in ("made_on", "due_on", "rep", "text", "kept_on", "state",
                                                    "days_overdue") if c in led]])
    interactions = _side(ws, "interactions", cid, side)
    if interactions is not None and len(interactions):
        ts = pd.to_datetime(interactions["ts"])
        it = interactions.loc[on_or_before(ts, cutoff)].assign(ts=ts).sort_values("ts", ascending=False).head(LATEST)
        out["interactions"] = _records(it.drop(columns="customer_id"))
    rec = _stored_tables(ws, rid).get("receivables")
    if rec is not None and rec.frame is not None:
        hit = rec.frame.loc[rec.frame["customer_id"] == cid]
        out["receivables"] = _records(hit.drop(columns="customer_id"))[0] if len(hit) else None
    needs = _side(ws, "needs", cid, side)
    resources = _side(ws, "resources", cid, side)  # the catalogue has no customer column: all of it
    if needs is not None and len(needs) and resources is not None and len(resources):
        matched = match_resources(resources, needs, customer_id=cid).head(LATEST)
        out["resources"] = _records(matched[[c for c in ("rank", "resource_id", "name", "channel", "price", "unit",
                                                         "score", "reasons") if c in matched]])
    return out
