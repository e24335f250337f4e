"""The OpenAPI document of the JSON twins (``/api/openapi.json``), for scripts and BI tools.

Written here by hand, one entry per route, and checked by a test against the app's routes so
that it cannot drift from them.

Example
-------
>>> "/api/roster" in document()["paths"]
True
"""

from __future__ import annotations

from typing import Any

_ROUND = {"name": "round", "in": "query", "schema": {"type": "string"}, "description": "a round id, or latest"}


def _q(name: str, kind: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}, "description": text}


_CID = {"name": "cid", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "the customer id (a '/' in it sent as %2F)"}

#: path -> (method, summary, parameters)
ROUTES: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "/api/overview": ("get", "The latest round's headline figures, tiers, quadrants, mobility since the previous round, "
                      "the stored model check, data freshness and warnings (a rep's own counts).", []),
    "/api/rounds": ("get", "Every stored round, newest first.", []),
    "/api/rounds/compare": ("get", "Two rounds compared: entered, left, rose, fell, migration (a rep: their customers).",
                            [_q("a", "string", "round A (default: the one before the latest)"),
                             _q("b", "string", "round B (default: the latest)")]),
    "/api/roster": ("get", "One page of a round's roster, filtered and sorted (a rep's customers only).",
                    [_ROUND, _q("tier", "string", "a tier, or - for not selected"),
                     _q("q", "string", "part of an id or a name"),
                     _q("sort", "string", "rank, score, customer_id, name, owner, tier, value_score, potential_score"),
                     _q("quadrant", "string", "a quadrant (as the round stored it)"),
                     _q("owner", "string", "a stored owner, exactly (a rep's own customers stay their only ones)"),
                     _q("segment", "string", "a stored segment, exactly"),
                     _q("score_min", "number", "the lowest score kept (0-100)"),
                     _q("score_max", "number", "the highest score kept (0-100)"),
                     _q("selected", "string", "yes or no"),
                     _q("left_out", "string", "yes or no: left out by the capacity"),
                     _q("desc", "string", "1 for descending"), _q("page", "integer", "from 1"),
                     _q("per_page", "integer", "25, 50, 100 or 200")]),
    "/api/customers/{cid}": ("get", "A customer's standing, score breakdown, rank across rounds, the predictions "
                             "the round stored (with intervals when stored) and the account: owner, contacts, "
                             "promises, receivables, interactions, matching resources (404 if not yours).",
                             [_CID, _ROUND]),
    "/api/accounts": ("get", "Account work of a round: the whale curve, profit by size, promises by rep, owners, "
                      "keep-warm (by owner), receivables ageing, segments (a rep: their own accounts only).",
                      [_ROUND]),
    "/api/customers/{cid}/share": ("post", "Make a 30-day link to the customer's statement (header X-CSRF-Token).",
                                   [_CID]),
    # the standard page, its editor and round runs (xuanba.web.standard_pages)
    "/api/standard": ("get", "The current standard in plain words, every version, and the diff of two.",
                      [_q("a", "string", "a version ref (p1, r3 ...; default: the one before the current)"),
                       _q("b", "string", "a version ref (default: the current)")]),
    "/api/standard/check": ("post", "Validate a standard's text (JSON {text}): problems with line, message, fix "
                                    "(managers, admins; header X-CSRF-Token).", []),
    "/api/standard/preview": ("post", "What the text (JSON {text}) would change against the latest round: entered, "
                                      "left, rose, fell, tier counts, value captured (managers, admins).", []),
    "/api/standard/publish": ("post", "Publish the text (JSON {text}) as a new version (managers, admins).", []),
    "/api/standard/run": ("post", "Start a round (JSON {version, cutoff}) in the background; 409 while one runs "
                                  "(managers, admins).", []),
    "/api/standard/jobs/{job}": ("get", "A round job's state, steps and new round (managers, admins).",
                                 [{"name": "job", "in": "path", "required": True, "schema": {"type": "string"},
                                   "description": "the job id /api/standard/run answered"}]),
    "/api/audit": ("get", "The latest lines of the audit log (admins).", []),
    "/api/users": ("get", "Every user: name, role, owner, whether active (admins; no password hashes).", []),
    "/api/openapi.json": ("get", "This document.", []),
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of :data:`ROUTES`."""
    paths: dict[str, Any] = {}
    for path, (method, summary, params) in ROUTES.items():
        paths[path] = {method: {
            "summary": summary, "parameters": params,
            "responses": {"200": {"description": "JSON"}, "401": {"description": "no session: log in at /login"},
                          "404": {"description": "not found, or not yours"}},
        }}
    return {"openapi": "3.1.0",
            "info": {"title": "xuanba", "version": _version(),
                     "description": "The JSON twins of the web pages, with the same permissions. Log in at "
                                    "/login (form) and keep the session cookie."},
            "paths": paths}


def _version() -> str:
    from xuanba._version import __version__

    return __version__
