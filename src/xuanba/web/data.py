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
from typing import Any

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


def round_ids(ws: Workspace) -> list[int]:
    """The stored rounds' ids, oldest first."""
    if not ws.has_table("rounds"):
        return []
    return [int(r[0]) for r in ws.con.execute("SELECT round_id FROM rounds ORDER BY round_id").fetchall()]


def resolve(ws: Workspace, ref: str | int | None) -> int | None:
    """The id of round ``ref`` (a number, or ``latest``/``None``); ``None`` when there is no such round."""
    ids = round_ids(ws)
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
    """The stored meta of round ``rid`` (its summary, models, warnings, field columns)."""
    row = ws.con.execute("SELECT meta_json FROM rounds WHERE round_id = ?", [rid]).fetchone()
    return json.loads(row[0]) if row else {}


def _fields(ws: Workspace, rid: int) -> set[str]:
    return set(meta(ws, rid).get("field_columns") or []) if ws.has_table("round_fields") else set()


def _from(ws: Workspace, rid: int, owner: str | None) -> tuple[str, list[Any]]:
    """The FROM and WHERE of round ``rid``'s roster (alias ``r``), scoped to ``owner``: a semi-join
    on the stored owners, so the 1 M rows of names are never joined whole."""
    sql = "FROM roster r WHERE r.round_id = ?"
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


def list_of_rounds(ws: Workspace, owner: str | None = None) -> list[dict[str, Any]]:
    """Every stored round, newest first: id, cutoff, standard, and the counts (a rep's own counts)."""
    out = []
    for rid in reversed(round_ids(ws)):
        head = ws.con.execute("SELECT name, cutoff, created_at, standard_name, standard_version, n_customers, "
                              "n_selected FROM rounds WHERE round_id = ?", [rid]).fetchone()
        row = dict(zip(("name", "cutoff", "created_at", "standard_name", "standard_version", "customers", "selected"),
                       (_plain(v) for v in head), strict=True))
        if owner is not None:
            frm, params = _from(ws, rid, owner)
            n, sel = ws.con.execute(f"SELECT count(*), count(*) FILTER (WHERE r.selected) {frm}", params).fetchone()
            row.update(customers=int(n), selected=int(sel))
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
    tiers = ws.con.execute(f"SELECT coalesce(r.tier, '') AS tier, count(*) {frm} GROUP BY 1 ORDER BY 1",
                           params).fetchall()
    counts = {str(t): int(n) for t, n in tiers}
    if owner is not None or not summary:  # a rep sees their own customers only
        summary = {"customers": sum(counts.values()),
                   "selected": sum(n for t, n in counts.items() if t), "tier_counts": counts}
    order = [t for t in (summary.get("tier_counts") or counts)]
    warnings = list(m.get("model_warnings") or [])
    if m.get("fallback"):
        warnings.append("fallback: " + json.dumps(m["fallback"], ensure_ascii=False, default=str))
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
        "scoped": owner is not None,
    }


_DENSE: dict[tuple[str, int, str], bool] = {}


def _dense(ws: Workspace, rid: int, total: int) -> bool:
    """Whether round ``rid``'s ranks are exactly 1..``total``, each once (a round ranks every
    customer with ties broken, so it is; a stored round never changes, so this is asked once)."""
    sha = ws.con.execute("SELECT roster_sha256 FROM rounds WHERE round_id = ?", [rid]).fetchone()
    key = (ws.path, rid, str(sha[0] if sha else ""))
    if key not in _DENSE:
        if len(_DENSE) > 100:
            _DENSE.clear()
        lo, hi, distinct = ws.con.execute("SELECT min(rank), max(rank), count(DISTINCT rank) FROM roster "
                                          "WHERE round_id = ?", [rid]).fetchone()
        _DENSE[key] = lo == 1 and hi == distinct
    return _DENSE[key] and int(ws.con.execute("SELECT max(rank) FROM roster WHERE round_id = ?",
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
        where += " AND coalesce(r.tier, '') = ?"
        wp.append("" if tier == "-" else tier)
    if search and search.strip():
        s = search.strip().lower()[:100]
        by_name = ("r.customer_id IN (SELECT customer_id FROM round_fields WHERE round_id = ? "
                   "AND contains(lower(CAST(name AS VARCHAR)), ?))") if "name" in _fields(ws, rid) else "FALSE"
        where += f" AND (contains(lower(r.customer_id), ?) OR {by_name})"
        wp += [s, rid, s] if by_name != "FALSE" else [s]
    f = {k: v for k, v in (filters or {}).items() if k in FILTERS and v not in (None, "")}
    if f.get("quadrant"):
        where += " AND coalesce(r.quadrant, '') = ?"
        wp.append(str(f["quadrant"])[:200])
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


_CHOICES: dict[tuple[str, int, str, str | None], dict[str, list[str]]] = {}


def choices(ws: Workspace, rid: int, owner: str | None = None) -> dict[str, list[str]]:
    """The values a page offers for the quadrant, owner and segment filters of round ``rid``
    (a rep's: only their own customers'), asked once per stored round."""
    sha = ws.con.execute("SELECT roster_sha256 FROM rounds WHERE round_id = ?", [rid]).fetchone()
    key = (ws.path, rid, str(sha[0] if sha else ""), owner)
    if key in _CHOICES:
        return _CHOICES[key]
    frm, params = _from(ws, rid, owner)
    out = {"quadrants": [str(q[0]) for q in ws.con.execute(
        f"SELECT DISTINCT r.quadrant {frm} AND coalesce(r.quadrant, '') <> '' ORDER BY 1", params).fetchall()]}
    have = _fields(ws, rid)
    for col, name in (("owner", "owners"), ("segment", "segments")):
        out[name] = [str(v[0]) for v in ws.con.execute(
            f"SELECT DISTINCT CAST(f.{col} AS VARCHAR) FROM round_fields f WHERE f.round_id = ? AND f.{col} IS NOT NULL "
            f"AND f.customer_id IN (SELECT r.customer_id {frm}) ORDER BY 1 LIMIT 1000", [rid, *params]).fetchall()
                     ] if col in have else []
    if len(_CHOICES) > 100:
        _CHOICES.clear()
    _CHOICES[key] = out
    return out


def roster_rows(ws: Workspace, round_ref: str | int | None = "latest", *, owner: str | None = None,
                tier: str | None = None, search: str | None = None, limit: int | None = None,
                filters: dict[str, Any] | None = None) -> Any:
    """Every row of a round's roster that the filters of :func:`roster_page` keep, in rank order,
    with stored names and owners: the table an export writes (``None`` when there is no round)."""
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
    frm = frm.replace("FROM roster r", f"FROM roster r {join}", 1)
    lim = f" LIMIT {int(limit)}" if limit is not None else ""
    return ws.con.execute(
        f"SELECT r.rank, r.customer_id, {name} AS name, {own} AS owner, r.tier, r.score, r.selected, r.quadrant, "
        f"r.value_score, r.potential_score, r.gates_failed, r.next_tier, r.gap_to_next, r.left_out_by_capacity "
        f"{frm}{where} ORDER BY r.rank{lim}", params + wp).df()


def roster_page(ws: Workspace, round_ref: str | int | None = "latest", *, owner: str | None = None,
                tier: str | None = None, search: str | None = None, sort: str = "rank", desc: bool = False,
                page: int = 1, per_page: int = 50, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """One page of a round's roster, filtered (``tier``: a tier key, ``"-"`` for not selected;
    ``search``: part of an id or a name; ``filters``: those of :data:`FILTERS`, e.g.
    ``{"owner": "Rep 01", "score_min": 50, "selected": "yes"}``) and sorted in DuckDB; ``total`` counts the
    filtered rows. A rep's ``owner`` scope holds whatever the filters say."""
    rid = resolve(ws, round_ref)
    per_page = per_page if per_page in PER_PAGE else 50
    empty = {"round_id": rid, "rows": [], "total": 0, "page": 1, "pages": 1, "per_page": per_page,
             "sort": "rank", "desc": False, "tiers": [], "choices": {"quadrants": [], "owners": [], "segments": []}}
    if rid is None:
        return empty
    frm, params = _from(ws, rid, owner)
    stored = (meta(ws, rid).get("summary") or {}).get("tier_counts")
    tiers = [str(k) for k in stored if k] if stored else [str(t[0]) for t in ws.con.execute(
        "SELECT DISTINCT tier FROM roster WHERE round_id = ? AND tier <> '' ORDER BY 1", [rid]).fetchall()]
    where, wp = _where(ws, rid, tier, search, filters)
    total = int(ws.con.execute(f"SELECT count(*) {frm}{where}", params + wp).fetchone()[0])
    sort = sort if sort in SORTS else "rank"
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, int(page)), pages)
    cols = ("r.rank, r.customer_id, r.tier, r.score, r.selected, r.quadrant, r.next_tier, r.gap_to_next, "
            "r.left_out_by_capacity")
    order = f"{SORTS[sort]} {'DESC' if desc else 'ASC'} NULLS LAST, r.rank"
    if sort in ("name", "owner"):  # sorting by a stored field joins them (the slower path)
        have = _fields(ws, rid)
        key = f"CAST(f.{sort} AS VARCHAR)" if sort in have else "NULL"
        frm_sorted = frm.replace("FROM roster r", "FROM roster r LEFT JOIN round_fields f ON f.round_id = r.round_id "
                                 "AND f.customer_id = r.customer_id", 1) if sort in have else frm
        order = f"{key} {'DESC' if desc else 'ASC'} NULLS LAST, r.rank"
        frame = ws.con.execute(f"SELECT {cols} {frm_sorted}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                               params + wp + [per_page, (page - 1) * per_page]).df()
    elif sort == "rank" and owner is None and not where and _dense(ws, rid, total):
        # every customer, by rank, and the ranks are 1..total: the page is a range of ranks, read
        # through the zone maps instead of sorting a million rows to skip most of them
        skip = (page - 1) * per_page
        lo, hi = (total - skip - per_page + 1, total - skip) if desc else (skip + 1, skip + per_page)
        frame = ws.con.execute(f"SELECT {cols} {frm} AND r.rank BETWEEN ? AND ? ORDER BY {order}",
                               params + [lo, hi]).df()
    else:
        frame = ws.con.execute(f"SELECT {cols} {frm}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                               params + wp + [per_page, (page - 1) * per_page]).df()
    rows = _records(frame)
    people = _people(ws, rid, [str(r["customer_id"]) for r in rows])
    for r in rows:
        r["customer_id"] = str(r["customer_id"])
        r["name"], r["owner"] = people.get(r["customer_id"], (None, None))
    return {**empty, "rows": rows, "total": total, "page": page, "pages": pages,
            "sort": sort, "desc": bool(desc), "tiers": tiers, "choices": choices(ws, rid, owner)}


def customer(ws: Workspace, round_ref: str | int | None, customer_id: str, owner: str | None = None,
             ) -> dict[str, Any] | None:
    """One customer of a round, as its page shows them: standing (the stored fields of
    :func:`xuanba.rounds.customer_standing`), each criterion's stored value and points, and rank
    and tier across every stored round; ``None`` when the round does not hold them **or** they
    are not ``owner``'s (a rep cannot tell another rep's customer from no customer)."""
    from xuanba.rounds import customer_standing

    rid = resolve(ws, round_ref)
    if rid is None:
        return None
    frm, params = _from(ws, rid, owner)
    found = ws.con.execute(f"SELECT 1 {frm} AND r.customer_id = ?", [*params, str(customer_id)]).fetchall()
    if not found:
        return None
    standing = customer_standing(ws, rid, str(customer_id))
    if standing is None:
        return None
    contrib = ws.sql("SELECT criterion, raw, normalised, weight, contribution FROM contributions "
                     "WHERE round_id = ? AND customer_id = ? ORDER BY contribution DESC", [rid, str(customer_id)])
    extra = ws.sql("SELECT gates_failed, next_tier, gap_to_next, cheapest_criterion, cheapest_change, quadrant, "
                   "left_out_by_capacity FROM roster WHERE round_id = ? AND customer_id = ?", [rid, str(customer_id)])
    history = ws.sql("SELECT r.round_id, k.cutoff, r.rank, r.tier, r.score FROM roster r JOIN rounds k "
                     "ON k.round_id = r.round_id WHERE r.customer_id = ? ORDER BY r.round_id", [str(customer_id)])
    return {"round_id": rid, "standing": {k: _plain(v) for k, v in standing.items()},
            "detail": _records(extra)[0] if len(extra) else {},
            "contributions": _records(contrib), "history": _records(history)}


def compare(ws: Workspace, a: str | int | None, b: str | int | None, *, movers: int = 50) -> dict[str, Any] | None:
    """Rounds ``a`` and ``b`` compared by :func:`xuanba.rounds.diff_rounds`: the counts (entered,
    left, rose, fell), the tier migration and the first ``movers`` customers of each change;
    ``None`` when either round is not stored."""
    from xuanba.rounds import diff_rounds

    ra, rb = resolve(ws, a), resolve(ws, b)
    if ra is None or rb is None:
        return None
    d = diff_rounds(ws, ra, rb)
    changes = d.changes
    out: dict[str, Any] = {"a": ra, "b": rb, "summary": {k: _plain(v) for k, v in d.summary.items()},
                           "migration": {"rows": [str(i) for i in d.migration.index],
                                         "columns": [str(c) for c in d.migration.columns],
                                         "values": [[int(v) for v in row] for row in d.migration.to_numpy()]},
                           "movers": {}}
    for status in ("entered", "left", "rose", "fell"):
        part = changes.loc[changes["status"] == status].head(movers)
        out["movers"][status] = _records(part)
    return out
