"""The account-work page, the API documentation page and the charts' script, with their JSON twins.

Routes here are thin like those of :mod:`xuanba.web.app` (the same :func:`~xuanba.web.app.guarded`
sessions, roles and rep scoping): each calls one function of :mod:`xuanba.web.account_data` or
:mod:`xuanba.web.openapi` and renders a template or JSON. Charts are Plotly figures sent as JSON
data blocks (``<script type="application/json">``, never run) and drawn by the app's own
``/static/charts.js`` with Plotly's script served from the installed package at
``/assets/plotly.min.js``: the Content-Security-Policy runs only the app's own scripts, and
nothing comes from a CDN.

Example
-------
>>> [r.path for r in routes()][:2]
['/accounts', '/api/accounts']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from xuanba.web import account_data
from xuanba.web.app import _error, _headers, _json, guarded, render
from xuanba.workspace import Workspace


def plotly_path() -> Path:
    """The minified Plotly script of the installed ``plotly`` package (what the report inlines)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@guarded()
def accounts_page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    w = account_data.account_work(ws, request.query_params.get("round") or "latest", owner, request.state.lang)
    if w is None and request.query_params.get("round"):
        return _error(request, 404, "web_not_found", False)
    return render(request, "accounts.html.j2", w=w, owner=owner)


@guarded(api=True)
def accounts_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    w = account_data.account_work(ws, request.query_params.get("round") or "latest", owner, request.state.lang)
    return _error(request, 404, "web_not_found", True) if w is None else _json(w)


@guarded(hold=False)
def plotly_js(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
    """Plotly's script for the pages' charts: behind the log-in like every page, cached a day."""
    resp = _headers(FileResponse(plotly_path(), media_type="text/javascript"), private=False)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@guarded(hold=False)
def api_docs(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
    """Every JSON route with its parameters and answers, from the same document as ``/api/openapi.json``."""
    from xuanba.web.openapi import document

    return render(request, "api_docs.html.j2", doc=document())


def routes() -> list[Route]:
    """This module's routes, added by :func:`xuanba.web.app.create_app`."""
    return [
        Route("/accounts", accounts_page),
        Route("/api/accounts", accounts_api),
        Route("/assets/plotly.min.js", plotly_js),
        Route("/api-docs", api_docs),
    ]
