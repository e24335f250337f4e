"""The web app: a Starlette application over one workspace file, pages and their JSON twins.

Routes are thin: each reads the session, opens the workspace read-only for the request, calls
one function of :mod:`xuanba.web.data` (or the statements of :mod:`xuanba.outputs.statements`) and
renders a Jinja2 template or JSON. Only ``/login``, ``/health``, ``/static/*`` (the vendored htmx
and the style sheet) and customer links ``/s/{token}`` answer without a session.

Sessions live in this process (a restart logs everyone out): a random id in a signed, HttpOnly,
SameSite=Strict cookie, a new id at every log-in, an idle timeout, and a check on every request
that the user is still active with the same password. Every POST carries the session's CSRF
token; log-in carries a pre-session token (double submit). Failed log-ins lock the name and the
address for a while.

Example
-------
>>> from starlette.testclient import TestClient
>>> with TestClient(create_app(":memory:")) as client:
...     client.get("/health").json()["ok"], client.get("/roster", follow_redirects=False).status_code
(True, 303)
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xuanba.errors import WorkspaceError, XuanbaError
from xuanba.i18n import LANGS, choice_words, t, warning_words
from xuanba.web import data, store
from xuanba.web.links import unsign
from xuanba.workspace import Workspace

HERE = Path(__file__).parent
COOKIE = "xb_session"
PRE_COOKIE = "xb_pre"

#: Log-in attempts: this many failures within the window lock the name and the address for it.
MAX_FAILURES = 5
LOCK_S = 15 * 60
#: A session ends after this long even when in use: log in again each working day.
MAX_SESSION_S = 12 * 3600

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")


# -- the workspace, shared with the command line ---------------------------------------------------

class Gate:
    """Hands each request the workspace: reads share one open file, a write goes alone.

    DuckDB refuses, in one process, a read-only and a writing connection to the same file at
    once, and another process writing holds the file's lock: here reads share, a write waits for
    the reads of this process to end (and new reads wait behind a waiting write, so a steady
    stream of pages cannot starve it), and a lock held by another process is a
    :class:`~xuanba.errors.WorkspaceError` at once (the page says "busy"), never a wait.

    While requests come, one read-only connection stays open (``linger_s`` after the last
    one) and each request reads through its own cursor of it: no open, no file checks per
    request. After that the file is free for a command to write. With ``linger_s=0`` every
    request opens the file itself.

    While that connection is open nothing can change the file (other processes cannot write
    beside it; a write here closes it first), so :meth:`cached` keeps what a request read
    (a user's row, say) until the connection is closed or something is written.
    """

    def __init__(self, path: str, linger_s: float = 2.0, threads: int | None = None) -> None:
        self.path = path
        self.linger_s = linger_s
        self.threads = threads
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._anchor: Workspace | None = None
        self._last = 0.0
        self._closer: threading.Thread | None = None
        self._memory: Workspace | None = Workspace(":memory:") if path == ":memory:" else None
        # the file is unchanged while the generation is: a new one at every open and every write
        self._generation = 0
        self._here = threading.local()
        self._cache: dict[Any, Any] = {}
        self._cache_generation = -1
        self._epoch = secrets.token_hex(8)  # two gates (two apps) never share a token

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(self.linger_s / 2)
            with self._cond:
                if self._anchor is None:
                    self._closer = None
                    return
                if not self._readers and time.monotonic() - self._last >= self.linger_s:
                    self._anchor.close()
                    self._anchor = None
                    self._generation += 1
                    self._closer = None
                    return

    @contextlib.contextmanager
    def read(self) -> Iterator[Workspace]:
        if self._memory is not None:
            with self._cond:
                self._generation += 1  # tests write to it directly: never cache
                self._here.generation = self._generation
                yield self._memory
            return
        depth = getattr(self._here, "depth", 0)
        with self._cond:
            # a read inside a read of this thread goes on: waiting for the write would wait for itself
            while not depth and (self._writing or self._writers_waiting):
                self._cond.wait()
            self._readers += 1
            self._here.depth = depth + 1
            if self._anchor is None and self.linger_s > 0:
                with contextlib.suppress(WorkspaceError):  # the request's own open reports it
                    self._anchor = Workspace(self.path, read_only=True, threads=self.threads)
                    self._generation += 1
                if self._anchor is not None and self._closer is None:
                    self._closer = threading.Thread(target=self._close_when_idle, daemon=True)
                    self._closer.start()
            anchor = self._anchor
            # its own open, or an anchor read through the database of a writer another thread of the
            # process holds (the file may change under it): what it reads holds for it alone
            beside = anchor is not None and anchor.beside_writer
            if anchor is None or beside:
                self._generation += 1
            self._here.generation = self._generation
            # the file cannot change while the anchor is open and nothing here writes: what is
            # read through it may be kept under this token (the data layer's catalogue does)
            stable = (self._epoch, self._generation) if anchor is not None and not beside else None
        try:
            with anchor.cursor(stable) if anchor is not None else Workspace(self.path, read_only=True) as ws:
                yield ws
        finally:
            with self._cond:
                self._here.depth = depth
                self._readers -= 1
                self._last = time.monotonic()
                self._cond.notify_all()

    def cached(self, key: Any, compute: Callable[[], Any], bound: int = 1000) -> Any:
        """``compute()`` for the read this thread is in, kept while the file cannot change.

        Example: ``gate.cached(("user", name), lambda: store.get_user(ws, name))``.
        """
        generation = getattr(self._here, "generation", None)
        with self._cond:
            if generation == self._cache_generation and key in self._cache:
                return self._cache[key]
        value = compute()
        with self._cond:
            if generation == self._generation:  # nothing was opened or written meanwhile
                if self._cache_generation != generation or len(self._cache) >= bound:
                    self._cache.clear()
                    self._cache_generation = generation
                self._cache[key] = value
        return value

    @contextlib.contextmanager
    def write(self) -> Iterator[Workspace]:
        if self._memory is not None:
            with self._cond:
                self._generation += 1
                yield self._memory
            return
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
            self._generation += 1
            if self._anchor is not None:  # a writing connection cannot sit beside a reading one
                self._anchor.close()
                self._anchor = None
        try:
            with Workspace(self.path, create=False) as ws:
                yield ws
        finally:
            with self._cond:
                self._writing = False
                self._generation += 1
                self._cond.notify_all()


# -- sessions, log-in attempts -----------------------------------------------------------------------

@dataclass
class Session:
    user: str
    stamp: str
    csrf: str
    last: float
    lang: str | None = None
    born: float = field(default_factory=time.monotonic)


@dataclass
class State:
    gate: Gate
    key: str
    idle_s: float
    secure: bool
    sessions: dict[str, Session] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rounds: dict[tuple[int, str], Any] = field(default_factory=dict)
    base_url: str | None = None


@functools.lru_cache(maxsize=16)
def _signer(key: str) -> Any:
    """The signer of session cookies with ``key`` (one per key: it is asked at every request)."""
    from itsdangerous import Signer

    return Signer(key, salt="xuanba-session")


def _locked(st: State, keys: list[str]) -> float:
    """Seconds until the first of ``keys`` (a name, an address) may try again; 0 when none is locked."""
    now = time.monotonic()
    wait = 0.0
    with st.lock:
        for k in keys:
            recent = [x for x in st.failures.get(k, []) if now - x < LOCK_S]
            st.failures[k] = recent
            if len(recent) >= MAX_FAILURES:
                wait = max(wait, LOCK_S - (now - recent[-MAX_FAILURES]))
    return wait


def _fail(st: State, keys: list[str]) -> None:
    with st.lock:
        if len(st.failures) > 10_000:  # guesses at many names: forget those with no recent failure
            now = time.monotonic()
            for k in [k for k, v in st.failures.items() if not v or now - v[-1] > LOCK_S]:
                del st.failures[k]
        for k in keys:
            st.failures.setdefault(k, []).append(time.monotonic())


# -- the language, the templates --------------------------------------------------------------------

def _accept(request: Request) -> str:
    """``zh`` when the browser puts Chinese before English, else ``en``."""
    best, weight = "en", -1.0
    for part in request.headers.get("accept-language", "").split(",")[:20]:
        tag, _, q = part.strip().partition(";q=")
        try:
            w = float(q) if q else 1.0
        except ValueError:
            continue
        lang = tag.strip().lower()[:2]
        if lang in LANGS and w > weight:
            best, weight = lang, w
    return best


def _templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["j2", "html"]))
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.filters["num"] = lambda x, d=1: "–" if x is None else f"{x:,.{d}f}" if isinstance(x, float) else (
        f"{x:,}" if isinstance(x, int) and not isinstance(x, bool) else str(x))
    return env


_ENV: list[Any] = []


def _headers(resp: Response, *, private: bool = True) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["Referrer-Policy"] = "no-referrer"
    if private:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The template ``name`` with the request's language and session in its context."""
    if not _ENV:
        _ENV.append(_templates())
    lang = ctx.pop("lang", None) or getattr(request.state, "lang", None) or _accept(request)
    sess: Session | None = getattr(request.state, "session", None)
    user = getattr(request.state, "user", None)

    def tr(key: str, **kw: Any) -> str:
        return t(key, lang, **kw)

    other = LANGS[1 - LANGS.index(lang)]
    html = _ENV[0].get_template(name).render(t=tr, lang=lang, other=other, other_name=t("web_lang_name", other), user=user,
                                             csrf=sess.csrf if sess else "", path=request.url.path, **ctx)
    return _headers(HTMLResponse(html, status_code=status))


def _error(request: Request, status: int, key: str, api: bool) -> Response:
    lang = getattr(request.state, "lang", None) or _accept(request)
    if api:
        return _headers(JSONResponse({"error": key.removeprefix("web_"), "message": t(key, lang)}, status_code=status))
    return render(request, "error.html.j2", status=status, message=t(key, lang))


# -- who is asking ------------------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


def _session(st: State, request: Request) -> tuple[str, Session] | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 200:
        return None
    from itsdangerous import BadSignature

    try:
        sid = _signer(st.key).unsign(raw).decode()
    except BadSignature:
        return None
    with st.lock:
        sess = st.sessions.get(sid)
        if sess is None:
            return None
        if time.monotonic() - sess.last > st.idle_s or time.monotonic() - sess.born > MAX_SESSION_S:
            del st.sessions[sid]
            return None
        sess.last = time.monotonic()
    return sid, sess


def _set_cookie(st: State, resp: Response, name: str, value: str, max_age: int | None = None) -> None:
    resp.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=st.secure, path="/")


def guarded(roles: tuple[str, ...] = store.ROLES, *, api: bool = False,
            hold: bool = True) -> Callable[[Callable[..., Any]], Handler]:
    """A route that needs a session of one of ``roles``; the wrapped (plain, blocking) function
    runs in a worker thread and gets the request, the read-only workspace (``None`` when
    ``hold`` is false: a route that writes opens it itself), the user (name, role, owner) and
    the owner that scopes a rep. A POST must carry the CSRF token (form field ``csrf`` or header
    ``X-CSRF-Token``)."""
    from starlette.concurrency import run_in_threadpool

    def wrap(func: Callable[..., Response]) -> Handler:
        async def endpoint(request: Request) -> Response:
            st: State = request.app.state.xb
            found = _session(st, request)
            if found is None:
                if api:
                    return _headers(JSONResponse({"error": "login", "message": "log in first"}, status_code=401))
                nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return _headers(RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303))
            sid, sess = found
            request.state.session = sess
            request.state.lang = sess.lang or _accept(request)
            if request.method == "POST":
                token = request.headers.get("x-csrf-token")
                if token is None:
                    form = await request.form()
                    token = str(form.get("csrf") or "")
                if not hmac.compare_digest(token.encode(), sess.csrf.encode()):
                    return _error(request, 403, "web_csrf", api)
            return await run_in_threadpool(_run, func, request, st, sid, sess, roles, api, hold)

        return endpoint

    return wrap


def _run(func: Callable[..., Response], request: Request, st: State, sid: str, sess: Session,
         roles: tuple[str, ...], api: bool, hold: bool) -> Response:
    try:
        with st.gate.read() as ws:
            user = st.gate.cached(("user", sess.user), lambda: store.get_user(ws, sess.user))
            if user is None or user["stamp"] != sess.stamp:  # disabled, or a new password
                with st.lock:
                    st.sessions.pop(sid, None)
                resp = _error(request, 401, "web_login", api) if api else RedirectResponse("/login", 303)
                resp.delete_cookie(COOKIE, path="/")
                return _headers(resp)
            request.state.user = user
            if user["role"] not in roles:
                return _error(request, 404, "web_not_found", api)
            owner = user["owner"] if user["role"] == "rep" else None
            if user["role"] == "rep" and not owner:
                owner = "\x00"  # a rep without an owner name sees no customer
            if hold:
                return func(request, ws, user, owner)
        return func(request, None, user, owner)
    except WorkspaceError:
        return _error(request, 503, "web_busy", api)


def _json(payload: Any, status: int = 200) -> Response:
    from xuanba.cli._common import json_safe  # one JSON rule for the CLI and the web

    return _headers(JSONResponse(json_safe(payload), status_code=status))


# -- customer ids in paths ------------------------------------------------------------------------------

#: The routes whose path holds a customer id, which may itself hold "/" (sent as %2F).
_CUSTOMER_PATHS = ("/customers/", "/api/customers/")
_ESCAPE = re.compile(rb"%(?!2[Ff]|25)([0-9A-Fa-f]{2})")


class CustomerPaths:
    """Route a customer's path by what the browser sent, not by its decoded form: ``%2F`` and
    ``%25`` stay escaped for the routes (so the id ``A/statement`` has its page at
    ``/customers/A%2Fstatement`` instead of the statement of ``A``), and :func:`_cid` decodes them
    once. Everything else is decoded as the server does it.

    Example
    -------
    >>> CustomerPaths.path(b"/customers/A%2Fstatement%20%E4%B8%9C%25?round=1")
    '/customers/A%2Fstatement 东%25'
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    @staticmethod
    def path(raw: bytes) -> str:
        return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw.split(b"?", 1)[0]).decode("utf-8", "replace")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and scope["path"].startswith(_CUSTOMER_PATHS):
            scope = {**scope, "path": self.path(raw)}
        await self.app(scope, receive, send)


def _cid(request: Request) -> str:
    """The customer id of the request's path (see :class:`CustomerPaths`)."""
    return unquote(request.path_params["cid"])


# -- pages ---------------------------------------------------------------------------------------------

async def health(request: Request) -> Response:
    return _headers(JSONResponse({"ok": True}))


async def favicon(request: Request) -> Response:
    """No icon (204), rather than a 404 that a browser reports for every page without its own
    icon link: a statement opened from a customer link."""
    resp = _headers(Response(status_code=204), private=False)
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


def _safe_next(value: str | None) -> str:
    """A local path to go to after log-in; anything else (another host, ``//x``, ``/\\x``) is ``/``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(c in value for c in "\r\n\\"):
        return "/"
    return value


async def login_page(request: Request) -> Response:
    st: State = request.app.state.xb
    pre = request.cookies.get(PRE_COOKIE)
    if not pre or len(pre) != 43:
        pre = secrets.token_urlsafe(32)
    resp = render(request, "login.html.j2", pre=pre, next=_safe_next(request.query_params.get("next")), message="")
    _set_cookie(st, resp, PRE_COOKIE, pre, max_age=3600)
    return resp


async def login(request: Request) -> Response:
    st: State = request.app.state.xb
    form = await request.form()
    pre = request.cookies.get(PRE_COOKIE) or ""
    given = str(form.get("csrf") or "")
    nxt = _safe_next(str(form.get("next") or "/"))
    if not pre or not hmac.compare_digest(given.encode(), pre.encode()):
        return _error(request, 403, "web_csrf", False)
    name = str(form.get("username") or "")[:64]
    password = str(form.get("password") or "")[:1024]
    ip = request.client.host if request.client else "?"
    keys = [f"user:{name.lower()}", f"ip:{ip}"]
    lang = _accept(request)
    wait = _locked(st, keys)
    if wait > 0:
        resp = render(request, "login.html.j2", status=429, pre=pre, next=nxt,
                      message=t("web_locked", lang, minutes=max(1, round(wait / 60))))
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    from starlette.concurrency import run_in_threadpool

    def check() -> dict[str, Any] | None:
        with st.gate.read() as ws:  # the slow hash is checked beside other readers
            user = store.check_password(ws, name, password)
            known = store.has_tables(ws)
        if known:  # a workspace with no user gets no web tables from a guess
            with st.gate.write() as ws:
                store.audit(ws, user["name"] if user else None, "login" if user else "login_failed",
                            {"name": name, "ip": ip})
        return user

    try:
        user = await run_in_threadpool(check)
    except WorkspaceError:
        return _error(request, 503, "web_busy", False)
    if user is None:
        _fail(st, keys)
        return render(request, "login.html.j2", status=401, pre=pre, next=nxt, message=t("web_bad_login", lang))
    with st.lock:  # a fresh id at every log-in: an id planted before it is worth nothing
        old = request.cookies.get(COOKIE)
        for sid, s in list(st.sessions.items()):
            if old and _signer(st.key).sign(sid).decode() == old or time.monotonic() - s.last > st.idle_s:
                del st.sessions[sid]
        sid = secrets.token_urlsafe(32)
        st.sessions[sid] = Session(user["name"], user["stamp"], secrets.token_urlsafe(32), time.monotonic(),
                                   user.get("lang") if user.get("lang") in LANGS else None)
        st.failures.pop(keys[0], None)
    resp = _headers(RedirectResponse(nxt, status_code=303))
    _set_cookie(st, resp, COOKIE, _signer(st.key).sign(sid).decode())
    resp.delete_cookie(PRE_COOKIE, path="/")
    return resp


@guarded()
def logout(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    st: State = request.app.state.xb
    found = _session(st, request)
    if found:
        with st.lock:
            st.sessions.pop(found[0], None)
    resp = _headers(RedirectResponse("/login", status_code=303))
    resp.delete_cookie(COOKIE, path="/")
    return resp


@guarded(hold=False)
def set_lang(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
    """Switch the pages' language for this session and remember it for the user's next log-in."""
    lang = request.path_params["lang"]
    if lang in LANGS:
        request.state.session.lang = lang
        # busy: the choice holds for this session anyway
        with contextlib.suppress(WorkspaceError), request.app.state.xb.gate.write() as w:
            store.set_lang(w, user["name"], lang)
    return _headers(RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303))


@guarded()
def overview_page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    o = data.overview(ws, owner)
    if o is not None:  # the warnings and auto's reason as the round stored them (English), said in the page's language
        o = {**o, "warnings": [warning_words(w, request.state.lang) for w in o["warnings"]]}
        if o.get("holdout_check"):
            o["holdout_check"] = {**o["holdout_check"],
                                  "reason": choice_words(o["holdout_check"]["reason"], request.state.lang)}
    from xuanba.i18n import column_words

    lang = request.state.lang
    return render(request, "overview.html.j2", o=o, owner=owner, field_words=lambda f: column_words(f, lang)[0])


@guarded(api=True)
def overview_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return _json(data.overview(ws, owner))


@guarded()
def rounds_page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return render(request, "rounds.html.j2", rounds=data.list_of_rounds(ws, owner), owner=owner)


def _pair(request: Request, ws: Workspace) -> tuple[Any, Any]:
    ids = data.round_ids(ws)
    q = request.query_params
    return q.get("a") or (ids[-2] if len(ids) > 1 else None), q.get("b") or (ids[-1] if ids else None)


@guarded()
def compare_page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    a, b = _pair(request, ws)
    d = data.compare(ws, a, b, owner=owner)
    if d is None:
        return _error(request, 404, "web_not_found", False)
    return render(request, "compare.html.j2", d=d, rounds=data.round_ids(ws), owner=owner)


@guarded(api=True)
def compare_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    d = data.compare(ws, *_pair(request, ws), owner=owner)
    return _error(request, 404, "web_not_found", True) if d is None else _json(d)


@guarded(api=True)
def rounds_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return _json(data.list_of_rounds(ws, owner))


def _int(value: str | None, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


#: The roster's parameters a page keeps in its address (its links, its exports).
ROSTER_QUERY = ("round", "tier", "q", "sort", "desc", "per_page", *data.FILTERS)


def _roster_args(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {"round_ref": q.get("round") or "latest", "tier": q.get("tier") or None, "search": q.get("q") or None,
            "sort": q.get("sort") or "rank", "desc": q.get("desc") in ("1", "true"),
            "page": _int(q.get("page"), 1), "per_page": _int(q.get("per_page"), 50),
            "filters": {k: q.get(k) for k in data.FILTERS if q.get(k)}}


@guarded()
def roster_view(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    args = _roster_args(request)
    page = data.roster_page(ws, owner=owner, lang=request.state.lang, **args)
    q = {k: v for k, v in request.query_params.items() if k in ROSTER_QUERY and v}
    name = "_roster_table.html.j2" if request.headers.get("hx-request") else "roster.html.j2"
    labels = data.quadrant_labels(ws, page["round_id"]) if page.get("round_id") is not None else {}
    return render(request, name, r=page, query=q, owner=owner, rounds=data.round_ids(ws), quadrant_labels=labels)


@guarded(api=True)
def roster_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return _json(data.roster_page(ws, owner=owner, lang=request.state.lang, **_roster_args(request)))


#: The most rows an export writes (an Excel sheet holds 1,048,576 with its header).
EXPORT_ROWS = 1_048_575


@guarded()
def roster_export(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    """The filtered rows of the roster as CSV or Excel; the file name is made here, never taken
    from the request."""
    import tempfile

    from xuanba.outputs.exports import export_table, export_tables

    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        return _error(request, 404, "web_not_found", False)
    args = _roster_args(request)
    frame = data.roster_rows(ws, args["round_ref"], owner=owner, tier=args["tier"], search=args["search"],
                             limit=EXPORT_ROWS, filters=args["filters"])
    if frame is None:
        return _error(request, 404, "web_not_found", False)
    rid = data.resolve(ws, args["round_ref"])
    lang = request.state.lang
    note = _selection_file_note(ws, rid, owner, lang)
    # a round that stored its selection only: the file is named for what it holds and says so, as
    # `xuanba export` does: a workbook on a sheet of its own, a CSV (no room for it) in a header
    name = "selected" if note else "roster"
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "xlsx" and note:
            [path] = export_tables({name: frame, "note": _note_frame(note, lang)}, Path(tmp) / "out.xlsx", lang=lang)
        else:
            path = export_table(frame, Path(tmp) / f"out.{fmt}", sheet=name, lang=lang if fmt == "xlsx" else None)
        body = path.read_bytes()
    kind = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"Content-Disposition": f'attachment; filename="{name}-round-{rid}.{fmt}"'}
    if note:
        headers[NOTE_HEADER] = quote(note)  # a header holds Latin-1 only: percent-encoded UTF-8
    return _headers(Response(body, media_type=kind, headers=headers))


#: The response header of a roster download that holds a round's selection only: what the file
#: holds and where every customer's row is, percent-encoded UTF-8 (``urllib.parse.unquote`` reads it).
NOTE_HEADER = "X-Xuanba-Note"


def _selection_file_note(ws: Workspace, rid: int | None, owner: str | None, lang: str) -> str | None:
    """What a roster download of round ``rid`` says of itself when the round stored only its
    selection (:func:`xuanba.outputs.exports.selection_file_note`; a rep is told what their page
    says, without the whole base's figures or places); ``None`` otherwise."""
    from xuanba.outputs.exports import selection_file_note

    if rid is None:
        return None
    if owner is not None:
        only = data.selection_only(ws, rid, owner, lang)
        return None if only is None else str(only["note"])
    return selection_file_note(data.meta(ws, rid), rid, lang, selected=data.stored_selection(ws, rid))


def _note_frame(note: str, lang: str) -> Any:
    """A one-cell table holding ``note``, the sheet a workbook says it with."""
    import pandas as pd

    return pd.DataFrame({t("xlsx_note", lang): [note]})


def _customer_more(ws: Workspace, c: dict[str, Any]) -> dict[str, Any]:
    """The customer's stored predictions (with intervals when stored) and account view, beside
    :func:`data.customer` (whose check that the user may see them came first)."""
    from xuanba.web import account_data

    cid = str(c["standing"]["customer_id"])
    m = data.meta(ws, c["round_id"])
    model = m.get("model_choice")
    model = model.get("model") if isinstance(model, dict) else model
    return {"predictions": account_data.predictions(ws, c["round_id"], cid, m),
            "model": str(model) if model else None,
            "account": account_data.account_view(ws, c["round_id"], cid, m)}


@guarded()
def customer_view(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    cid = _cid(request)
    c = data.customer(ws, request.query_params.get("round"), cid, owner)
    if c is None:
        return _no_customer(request, ws, cid, owner, False)
    import pandas as pd

    from xuanba.accounts.commitments import STATES
    from xuanba.i18n import column_words
    from xuanba.outputs.charts import rank_history_figure

    lang = request.state.lang
    more = _customer_more(ws, c)
    chart = rank_history_figure(pd.DataFrame(c["history"]), lang=lang) if len(c["history"]) > 1 else None
    return render(request, "customer.html.j2", c=c, cid=cid, share=None, pred=more["predictions"],
                  model=more["model"], acct=more["account"], states=STATES, history_chart=chart,
                  field_words=lambda f: column_words(f, lang)[0])


@guarded(api=True)
def customer_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    cid = _cid(request)
    c = data.customer(ws, request.query_params.get("round"), cid, owner)
    return _no_customer(request, ws, cid, owner, True) if c is None else _json({**c, **_customer_more(ws, c)})


def _no_customer(request: Request, ws: Workspace, cid: str, owner: str | None, api: bool) -> Response:
    """404 for a customer the round does not hold, or (a round that stored only its selection)
    that it ranked them but did not select them, with their rank when its roster output has it
    (:func:`data.unstored_customer`; a rep only of their own customers, as the page itself)."""
    lang = request.state.lang
    said = data.unstored_customer(ws, request.query_params.get("round"), cid, owner, lang)
    if said is None:
        return _error(request, 404, "web_not_found", api)
    if api:
        return _json({"error": "not_stored", **said}, status=404)
    return render(request, "error.html.j2", status=404, message=said["message"])


def _round(st: State, ws: Workspace, rid: int) -> Any:
    """The stored round ``rid``, loaded once per process (rounds are append-only)."""
    from xuanba.rounds import load_round

    sha = ws.con.execute("SELECT roster_sha256 FROM rounds WHERE round_id = ?", [rid]).fetchone()
    key = (rid, str(sha[0] if sha else ""))
    with st.lock:
        if key in st.rounds:
            return st.rounds[key]
    rnd = load_round(ws, rid)
    with st.lock:
        while len(st.rounds) >= 2:
            st.rounds.pop(next(iter(st.rounds)))
        st.rounds[key] = rnd
    return rnd


def _statement(st: State, ws: Workspace, rid: int, cid: str, lang: str) -> Response:
    from xuanba.outputs.statements import build_statement

    html = build_statement(_round(st, ws, rid), cid, lang=lang)
    return _headers(HTMLResponse(html))


@guarded()
def statement_view(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    cid = _cid(request)
    c = data.customer(ws, request.query_params.get("round"), cid, owner)
    if c is None:
        return _no_customer(request, ws, cid, owner, False)
    return _statement(request.app.state.xb, ws, c["round_id"], cid, request.state.lang)


def _share(request: Request, owner: str | None, user: dict[str, Any]) -> dict[str, Any] | None:
    st: State = request.app.state.xb
    cid = _cid(request)
    with st.gate.read() as ws:
        if data.customer(ws, "latest", cid, owner) is None:
            return None
    with st.gate.write() as ws:
        link = store.create_link(ws, cid, days=30, by=user["name"])
    # the address users reach the app at; the request's Host header only when none was given
    link["url"] = (st.base_url or str(request.base_url)).rstrip("/") + "/s/" + link["token"]
    return link


@guarded(hold=False)
def share_view(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
    link = _share(request, owner, user)
    if link is None:
        return _error(request, 404, "web_not_found", False)
    return render(request, "_share.html.j2", link=link)


@guarded(api=True, hold=False)
def share_api(request: Request, ws: None, user: dict[str, Any], owner: str | None) -> Response:
    link = _share(request, owner, user)
    return _error(request, 404, "web_not_found", True) if link is None else _json(link)


@guarded(api=True)
def openapi_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    from xuanba.web.openapi import document

    return _json(document())


@guarded(("admin",))
def audit_page(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return render(request, "audit.html.j2", rows=store.audit_log(ws), users=store.list_users(ws))


@guarded(("admin",), api=True)
def users_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return _json(store.list_users(ws))


@guarded(("admin",), api=True)
def audit_api(request: Request, ws: Workspace, user: dict[str, Any], owner: str | None) -> Response:
    return _json(store.audit_log(ws))


async def link_view(request: Request) -> Response:
    """A customer link: that customer's statement in the latest round holding them, and nothing else."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_link, request)


def _link(request: Request) -> Response:
    st: State = request.app.state.xb
    lang = request.query_params.get("lang")
    lang = lang if lang in LANGS else _accept(request)
    try:
        with st.gate.read() as ws:
            link_id = unsign(store.link_secret(ws) or "", request.path_params["token"])
            cid = store.live_link(ws, link_id) if link_id else None
            rid = data.resolve(ws, "latest")
            if cid is None or rid is None or data.customer(ws, rid, cid) is None:
                return render(request, "error.html.j2", status=404, message=t("web_link_gone", lang), lang=lang,
                              bare=True)
            resp = _statement(st, ws, rid, cid, lang)
            resp.headers["X-Robots-Tag"] = "noindex"
            return resp
    except WorkspaceError:
        return _error(request, 503, "web_busy", False)


async def not_found(request: Request, exc: Exception) -> Response:
    api = request.url.path.startswith("/api/")
    return _error(request, 404, "web_not_found", api)


async def xuanba_error(request: Request, exc: Exception) -> Response:
    status = exc.http_status if isinstance(exc, XuanbaError) else 500
    return _headers(JSONResponse({"error": type(exc).__name__, "message": str(getattr(exc, "message", exc))},
                                 status_code=status))


def create_app(workspace: str | Path, *, secure_cookies: bool = False, idle_minutes: float = 30,
               secret: str | None = None, base_url: str | None = None, linger_s: float = 2.0,
               threads: int | None = 1) -> Starlette:
    """The web app over ``workspace`` (a DuckDB file, or ``":memory:"`` in tests).

    ``secure_cookies`` marks cookies Secure (behind TLS); ``idle_minutes`` ends a session left
    idle; ``secret`` signs the session cookies (random per process when not given); ``base_url``
    is the address customer links are made with (else the request's own address); ``linger_s``
    keeps a reading connection open that long after the last request (0: none; see :class:`Gate`);
    ``threads`` caps DuckDB's threads for the shared reading connection (``None``: every core): one
    by default, since requests run side by side (one thread each) and a page's reads are small, so
    a query's own threads only add their hand-overs (a customer's page took 4.4 ms of CPU with one,
    6 ms with two, on 2 cores; docs/benchmarks_web.md).
    """
    from xuanba.web.account_pages import routes as account_routes

    routes = [
        Route("/health", health),
        Route("/favicon.ico", favicon),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{lang}", set_lang, methods=["GET"]),
        Route("/", overview_page),
        Route("/rounds", rounds_page),
        Route("/rounds/compare", compare_page),
        Route("/api/rounds/compare", compare_api),
        Route("/roster", roster_view),
        Route("/roster/export.{fmt}", roster_export),
        # ids may hold "/" (sent as %2F): the longer routes first, then the page of any id
        Route("/customers/{cid:path}/statement", statement_view),
        Route("/customers/{cid:path}/share", share_view, methods=["POST"]),
        Route("/customers/{cid:path}", customer_view),
        Route("/audit", audit_page),
        Route("/api/overview", overview_api),
        Route("/api/rounds", rounds_api),
        Route("/api/roster", roster_api),
        Route("/api/customers/{cid:path}/share", share_api, methods=["POST"]),
        Route("/api/customers/{cid:path}", customer_api),
        Route("/api/audit", audit_api),
        Route("/api/users", users_api),
        Route("/api/openapi.json", openapi_api),
        Route("/s/{token}", link_view),
        *account_routes(),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    from xuanba.web.standard_pages import routes as standard_routes

    routes[-1:-1] = standard_routes()  # the standard page, its editor and round runs
    from starlette.middleware import Middleware

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, XuanbaError: xuanba_error},
                    middleware=[Middleware(CustomerPaths)])
    app.state.xb = State(Gate(str(workspace), linger_s, threads), secret or secrets.token_urlsafe(32), float(idle_minutes) * 60, secure_cookies,
                         base_url=base_url)
    return app
