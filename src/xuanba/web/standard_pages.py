"""The standard page: its versions and their differences, the editor (live validation and a
what-if preview), publishing, and running a round from the page.

What the page shows is computed by the plain functions of the first half (an open workspace in,
a dict out); the routes of the second half are thin shells over them, registered by
:func:`xuanba.web.app.create_app` from :data:`ROUTES`. Everyone signed in sees the current
standard in plain words, its versions and their differences; only managers and admins reach the
editor, the preview, publishing and round runs (a rep gets 404, as for anything not theirs).

A standard's *versions* are those published from the page (``p1``, ``p2`` ... in
``web_standards``) and, for a workspace whose rounds were run from the command line, the
standards its rounds applied that were never published (``r7``: first applied by round 7). The
*current* one is the latest published, else the one the latest round applied.

Example
-------
>>> from xuanba.workspace import Workspace
>>> with Workspace(":memory:") as ws:
...     check(ws, '[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "r"\\n'
...           'field = "revenue_356d"\\nweight = 1\\n', "en")["problems"][0]["line"]
6
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from xuanba.errors import InputError, Phrase, XuanbaError
from xuanba.standard import Standard, StandardError, load_standard
from xuanba.web import data, store
from xuanba.workspace import Workspace

MANAGERS = ("admin", "manager")

# -- what the page shows ------------------------------------------------------------------------


def extra_fields(ws: Workspace) -> tuple[str, ...]:
    """The extra field names any stored round declared: a standard reading one of them is valid."""
    if not ws.has_table("rounds"):
        return ()
    names: set[str] = set()
    for (raw,) in ws.con.execute("SELECT meta_json FROM rounds").fetchall():
        names.update(json.loads(raw or "{}").get("extra_fields") or [])
    return tuple(sorted(names))


def load(ws: Workspace, text: str) -> Standard:
    """``text`` read as a standard (never as a file name) with the workspace's extra fields and
    the columns of its customers table, as a round there reads it."""
    from xuanba.rounds.run import customer_attributes

    return load_standard(store.as_text(text), extra_fields=extra_fields(ws), attributes=customer_attributes(ws),
                         web=True)


def versions(ws: Workspace) -> list[dict[str, Any]]:
    """Every version, oldest first: ``ref``, ``name``, ``version``, ``sha256``, ``text``,
    ``published_by`` (``None`` for a standard only a round applied), ``at`` (published, or first
    applied) and ``rounds`` (the ids of the rounds that applied that text)."""
    applied: list[tuple[int, str, str, str, str, str]] = []
    if ws.has_table("rounds"):
        applied = [(int(r), str(c), str(n), str(v), str(s), str(t)) for r, c, n, v, s, t in ws.con.execute(
            "SELECT round_id, created_at, standard_name, standard_version, standard_sha256, standard_text "
            "FROM rounds ORDER BY round_id").fetchall()]
    by_sha: dict[str, list[int]] = {}
    for rid, _c, _n, _v, sha, _t in applied:
        by_sha.setdefault(sha, []).append(rid)
    out = [{"ref": f"p{p['version_id']}", "name": p["name"], "version": p["version"], "sha256": p["sha256"],
            "text": p["text"], "published_by": p["published_by"], "at": p["published_at"],
            "rounds": by_sha.get(p["sha256"], [])} for p in store.published_standards(ws)]
    seen = {v["sha256"] for v in out}
    for rid, created, name, version, sha, text in applied:
        if sha in seen:
            continue
        seen.add(sha)
        out.append({"ref": f"r{rid}", "name": name, "version": version, "sha256": sha, "text": text,
                    "published_by": None, "at": created.replace(" ", "T"), "rounds": by_sha[sha]})
    return sorted(out, key=lambda v: (v["at"], v["ref"]))


def current(ws: Workspace, found: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The current version: the latest published, else the latest round's; ``None`` when neither."""
    found = versions(ws) if found is None else found
    published = [v for v in found if v["ref"].startswith("p")]
    if published:
        return published[-1]
    rid = data.resolve(ws, "latest")
    return next((v for v in found if rid in v["rounds"]), None)


def _sentences(ws: Workspace, text: str, lang: str) -> list[str]:
    try:
        return load(ws, text).describe(lang)
    except XuanbaError:  # a text stored by an older xuanba that this one no longer reads
        return []


def diff(ws: Workspace, a: dict[str, Any], b: dict[str, Any], lang: str) -> dict[str, Any]:
    """Version ``a`` against ``b``: the TOML text's unified diff as ``lines`` (``kind``: ``add``,
    ``del``, ``hunk``, ``same``; ``text``) and the plain-words change (``removed``: sentences of
    ``a`` that ``b`` no longer says, ``added``: new in ``b``)."""
    lines = []
    for line in difflib.unified_diff(a["text"].splitlines(), b["text"].splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append({"kind": kind, "text": line})
    wa, wb = _sentences(ws, a["text"], lang), _sentences(ws, b["text"], lang)
    return {"a": a["ref"], "b": b["ref"], "lines": lines,
            "removed": [s for s in wa if s not in wb], "added": [s for s in wb if s not in wa]}


def standard_page(ws: Workspace, lang: str, a: str | None = None, b: str | None = None) -> dict[str, Any]:
    """The page: ``current`` (with its ``sentences`` in plain words), ``versions`` (newest first,
    without their text) and ``diff`` of versions ``a`` and ``b`` (default: the one before the
    current, and the current); ``diff`` is ``None`` with fewer than two versions or an unknown ref."""
    found = versions(ws)
    cur = current(ws, found)
    out: dict[str, Any] = {"current": None, "versions": [{k: v for k, v in x.items() if k != "text"}
                                                         for x in reversed(found)], "diff": None}
    if cur is not None:
        out["current"] = {**cur, "sentences": _sentences(ws, cur["text"], lang)}
    refs = {v["ref"]: v for v in found}
    if a is None and b is None and cur is not None and len(found) > 1:
        i = found.index(cur)
        a, b = (found[i - 1]["ref"], cur["ref"]) if i > 0 else (cur["ref"], found[1]["ref"])
    if a in refs and b in refs:
        out["diff"] = diff(ws, refs[a], refs[b], lang)
    return out


def _said(exc: XuanbaError, lang: str) -> dict[str, Any]:
    """The ``error`` and ``fix`` of ``exc`` in ``lang`` for the page (text given as plain English
    stays English).

    Example
    -------
    >>> _said(InputError(Phrase("web_err_no_version"), fix="Ask."), "zh")
    {'error': '没有这个版本的标准', 'fix': 'Ask.'}
    """
    return {"error": exc.phrase.words(lang) if exc.phrase is not None else exc.message,
            "fix": exc.fix_phrase.words(lang) if exc.fix_phrase is not None else exc.fix}


def _phrase(key: str, lang: str, **fields: Any) -> dict[str, Any]:
    """The ``error`` ``key`` and its fix ``key_fix`` in ``lang``."""
    return {"error": Phrase(key, **fields).words(lang), "fix": Phrase(key + "_fix").words(lang)}


def check(ws: Workspace, text: str, lang: str) -> dict[str, Any]:
    """Validate ``text``: ``ok``, and ``problems`` (``line``, ``message``, ``fix``) or the
    standard's ``name``, ``version``, ``sha256`` and ``sentences``."""
    try:
        std = load(ws, text)
    except StandardError as exc:
        said = [(p.line, *p.words(lang)) for p in exc.problems]
        return {"ok": False, "problems": [{"line": line, "message": message, "fix": fix} for line, message, fix in said]}
    except InputError as exc:
        words = _said(exc, lang)
        return {"ok": False, "problems": [{"line": None, "message": words["error"], "fix": words["fix"]}]}
    return {"ok": True, "problems": [], "name": std.name, "version": str(std.version), "sha256": std.sha256,
            "sentences": std.describe(lang)}


def _backtest(ws: Workspace, sha: str | None) -> dict[str, Any] | None:
    from xuanba.rounds.store import load_backtest

    bt = load_backtest(ws, standard_sha256=sha) if sha else None
    if bt is None or "standard" not in bt.overall.index:
        return None
    return {"backtest_id": bt.backtest_id, "horizon_days": bt.horizon_days,
            "cutoffs": int(bt.overall.loc["standard", "cutoffs"]),
            "revenue_captured": float(bt.overall.loc["standard", "revenue_captured"])}


def preview(ws: Workspace, text: str, lang: str, movers: int = 20) -> dict[str, Any]:
    """What ``text`` would change against the latest round (:func:`xuanba.rounds.whatif.whatif`):
    ``summary`` (entered, left, rose, fell ...; the share of the next year's revenue both
    selections brought when the workspace holds it), ``tiers`` (tier, round, new), ``movers``
    and ``backtest`` (the stored backtest of this text, and of the round's standard, when
    kept). ``problems`` instead when the text is not valid, ``error`` and ``fix`` when it cannot
    be previewed (no round; a field the round did not store)."""
    from xuanba.rounds.whatif import whatif

    checked = check(ws, text, lang)
    if not checked["ok"]:
        return checked
    rid = data.resolve(ws, "latest")
    if rid is None:
        return {**checked, **_phrase("web_err_no_round_yet", lang)}
    std = load(ws, text)
    try:
        w = whatif(ws, std, rid, movers=movers, horizon="365d" if ws.has_table("transactions") else None)
    except XuanbaError as exc:
        return {**checked, **_said(exc, lang)}
    sha = data.meta(ws, rid).get("standard_sha256")
    return {**checked, "round_id": rid, "summary": w.summary, "tiers": w.tiers.to_dict("records"),
            "movers": w.movers.to_dict("records"),
            "backtest": {"new": _backtest(ws, std.sha256), "round": _backtest(ws, sha)}}


def last_day(ws: Workspace) -> str:
    """The default cutoff of a round run from the page: the day of the last transaction, else today."""
    if ws.has_table("transactions"):
        row = ws.con.execute("SELECT max(ts) FROM transactions").fetchone()
        if row and row[0] is not None:
            return str(row[0])[:10]
    return dt.date.today().isoformat()


# -- routes ---------------------------------------------------------------------------------------
# (imported from the app lazily: the app imports this module when it is created)

def _app() -> Any:
    from xuanba.web import app

    return app


def _lang(request: Request) -> str:
    return str(request.state.lang)


def _form(request: Request) -> dict[str, str]:
    """The POST's form, as :func:`_reading` kept it."""
    form = getattr(request.state, "form", None)
    return {k: str(v) for k, v in (form or {}).items()}


def _body(request: Request) -> dict[str, str]:
    """A POST's fields: the form's, or a JSON object's (the API)."""
    body = getattr(request.state, "json", None)
    return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else _form(request)


#: The largest POST body the editor's routes read (bytes): a standard of the longest text allowed,
#: encoded as a form.
MAX_BODY = 4 * store.MAX_STANDARD_CHARS


def _reading(endpoint: Any) -> Any:
    """``endpoint`` with the POST's form (or JSON object) read first, in the event loop, and kept
    in ``request.state`` for the route (which runs in a worker thread). Only a request of a live
    session with a declared length of at most :data:`MAX_BODY` is read; for any other the route
    sees an empty form (and :func:`~xuanba.web.app.guarded` answers a missing session first)."""

    async def inner(request: Request) -> Response:
        request.state.form, request.state.json = None, None
        length = request.headers.get("content-length") or ""
        if (request.method == "POST" and length.isdigit() and int(length) <= MAX_BODY
                and _app()._session(request.app.state.xb, request) is not None):
            if "json" in request.headers.get("content-type", ""):
                try:
                    request.state.json = json.loads(await request.body() or b"{}")
                except ValueError:
                    request.state.json = None
            else:
                request.state.form = await request.form()
        return await endpoint(request)

    return inner


def _jobs(request: Request) -> Any:
    st = request.app.state.xb
    with st.lock:
        if getattr(st, "jobs", None) is None:
            from xuanba.web.jobs import Jobs

            st.jobs = Jobs(st.gate)
        return st.jobs


def _page(request: Request, ws: Workspace, user: dict[str, Any], **extra: Any) -> Response:
    q = request.query_params
    payload = standard_page(ws, _lang(request), q.get("a"), q.get("b"))
    editing = user["role"] in MANAGERS
    text = extra.pop("text", None)
    if text is None:
        text = payload["current"]["text"] if payload["current"] else _starter(_lang(request))
    job = _jobs(request).latest() if editing else None
    published = request.query_params.get("published", "")
    return _app().render(request, "standard.html.j2", p=payload, editing=editing, text=text,
                         cutoff=last_day(ws), job=job.as_dict() if job else None, step=_steps(_lang(request)),
                         published=published if published.isdigit() else None, **extra)


def _steps(lang: str) -> Any:
    """A job step's name in ``lang`` (``predictions (bgnbd)`` keeps what is in brackets)."""
    from xuanba.i18n import has, t

    def words(name: str) -> str:
        head, sep, rest = str(name).partition(" (")
        key = "web_step_" + head.replace(" ", "_")
        return (t(key, lang) + sep + rest) if has(key) else str(name)

    return words


def _starter(lang: str) -> str:
    from xuanba.standard import starter_standard

    return starter_standard(lang)


def _routes() -> list[Route]:
    a = _app()
    guarded, render, _json, _error = a.guarded, a.render, a._json, a._error

    @guarded()
    def page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        if request.headers.get("hx-request") and request.query_params.get("part") == "diff":
            p = standard_page(ws, _lang(request), request.query_params.get("a"), request.query_params.get("b"))
            return render(request, "_standard_diff.html.j2", p=p)
        return _page(request, ws, user)

    @guarded(api=True)
    def page_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        q = request.query_params
        return _json(standard_page(ws, _lang(request), q.get("a"), q.get("b")))

    @guarded(MANAGERS)
    def check_view(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        return render(request, "_standard_check.html.j2", c=check(ws, _form(request).get("text", ""), _lang(request)))

    @guarded(MANAGERS, api=True)
    def check_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        return _json(check(ws, _body(request).get("text", ""), _lang(request)))

    @guarded(MANAGERS)
    def preview_view(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        return render(request, "_standard_preview.html.j2", w=preview(ws, _form(request).get("text", ""),
                                                                       _lang(request)))

    @guarded(MANAGERS, api=True)
    def preview_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
        return _json(preview(ws, _body(request).get("text", ""), _lang(request)))

    def _publish(request: Request, user: dict[str, Any], text: str) -> dict[str, Any]:
        st = request.app.state.xb
        from xuanba.rounds.run import customer_attributes

        with st.gate.read() as ws:
            extras, people = extra_fields(ws), customer_attributes(ws)
        with st.gate.write() as ws:
            return store.publish_standard(ws, text, by=user["name"], extra_fields=extras, attributes=people)

    @guarded(MANAGERS, hold=False)
    def publish_view(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        text = _form(request).get("text", "")
        try:
            v = _publish(request, user, text)
        except XuanbaError as exc:
            st = request.app.state.xb
            with st.gate.read() as r:
                c = check(r, text, _lang(request))
                if c["ok"]:  # valid, but refused (nothing changed, a version number taken)
                    words = _said(exc, _lang(request))
                    c = {"ok": False, "problems": [{"line": None, "message": words["error"], "fix": words["fix"]}]}
                return _page(request, r, user, text=text, checked=c, status=400)
        return a._headers(RedirectResponse(f"/standard?published={v['version_id']}", status_code=303))

    @guarded(MANAGERS, api=True, hold=False)
    def publish_api(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        text = _body(request).get("text", "")
        try:
            v = _publish(request, user, text)
        except StandardError as exc:
            return _json({"error": "invalid", "problems": exc.to_dict()["problems"]}, 400)
        except InputError as exc:
            return _json({"error": "refused", "message": exc.message, "fix": exc.fix}, 400)
        return _json({**v, "ref": f"p{v['version_id']}"}, 201)

    def _start(request: Request, user: dict[str, Any]) -> dict[str, Any]:
        """Start a round of the version the form names at its cutoff; the job, or an error."""
        from xuanba._dates import as_date

        body = _body(request)
        st = request.app.state.xb
        with st.gate.read() as ws:
            found = {v["ref"]: v for v in versions(ws)}
            ref = body.get("version") or (current(ws) or {}).get("ref")
            if ref not in found:
                return _phrase("web_err_no_version", _lang(request))
            try:
                std = load(ws, found[ref]["text"])
                cutoff = as_date(body.get("cutoff") or last_day(ws))
            except XuanbaError as exc:
                return _said(exc, _lang(request))
        jobs = _jobs(request)
        running = jobs.current()
        if running is not None:  # said before anything is logged; start() checks again under its lock
            return {**_phrase("web_err_busy", _lang(request), user=running.user, started=running.started_at,
                              standard=running.standard, cutoff=running.cutoff), "busy": True}

        def record(w: Workspace, job: Any) -> None:
            store.audit(w, job.user, "round_run" if job.state == "done" else "round_failed",
                        {"job": job.job_id, "version": ref, "standard": job.standard, "cutoff": job.cutoff,
                         "round_id": job.round_id, "error": job.error})

        try:
            job = jobs.start(std, cutoff, user["name"], record)
        except XuanbaError as exc:
            return {**_said(exc, _lang(request)), "busy": True}
        with st.gate.write() as w:  # logged once it started: a start refused by a race is no start
            store.audit(w, user["name"], "round_start", {"job": job.job_id, "version": ref,
                                                         "standard": f"{std.name} v{std.version}",
                                                         "cutoff": cutoff.isoformat()})
        return job.as_dict()

    @guarded(MANAGERS, hold=False)
    def run_view(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        out = _start(request, user)
        ok = "job_id" in out
        status = 202 if ok else 409 if out.get("busy") else 400
        if request.headers.get("hx-request"):  # htmx swaps in 2xx answers only: the words say what happened
            status = 200
        return render(request, "_standard_job.html.j2", status=status, job=out if ok else None,
                      problem=None if ok else out, step=_steps(_lang(request)))

    @guarded(MANAGERS, api=True, hold=False)
    def run_api(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        out = _start(request, user)
        return _json(out, 202 if "job_id" in out else 409 if out.get("busy") else 400)

    @guarded(MANAGERS, hold=False)
    def job_view(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        job = _jobs(request).get(request.path_params["job"])
        if job is None:
            return _error(request, 404, "web_not_found", False)
        return render(request, "_standard_job.html.j2", job=job.as_dict(), problem=None, step=_steps(_lang(request)))

    @guarded(MANAGERS, api=True, hold=False)
    def job_api(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
        job = _jobs(request).get(request.path_params["job"])
        return _error(request, 404, "web_not_found", True) if job is None else _json(job.as_dict())

    return [
        Route("/standard", page),
        Route("/standard/check", _reading(check_view), methods=["POST"]),
        Route("/standard/preview", _reading(preview_view), methods=["POST"]),
        Route("/standard/publish", _reading(publish_view), methods=["POST"]),
        Route("/standard/run", _reading(run_view), methods=["POST"]),
        Route("/standard/jobs/{job}", job_view),
        Route("/api/standard", page_api),
        Route("/api/standard/check", _reading(check_api), methods=["POST"]),
        Route("/api/standard/preview", _reading(preview_api), methods=["POST"]),
        Route("/api/standard/publish", _reading(publish_api), methods=["POST"]),
        Route("/api/standard/run", _reading(run_api), methods=["POST"]),
        Route("/api/standard/jobs/{job}", job_api),
    ]


def routes() -> list[Route]:
    """The routes of the standard page, its editor and round runs (pages and JSON twins)."""
    return _routes()
