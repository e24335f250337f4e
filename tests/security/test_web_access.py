"""The web app's doors: nothing answers without a session except log-in, health, static assets
and customer links; sessions are fresh at log-in, end at log-out, idle time, a disabled user or a
new password; cookies are HttpOnly and SameSite=Strict; log-in is locked after repeated failures;
every POST needs the session's CSRF token; after log-in the app goes only to a local path."""

from __future__ import annotations

import time

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tests.web.helpers import PASSWORD, csrf_of, log_in, make_web_workspace

OPEN = {"/login", "/health", "/s/{token}", "/favicon.ico"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb", n=30)


@pytest.fixture
def app(ws):
    from xuanba.web import create_app

    return create_app(ws, linger_s=0)


def _routes(app):
    for r in app.routes:
        if isinstance(r, Route):
            for m in sorted(r.methods - {"HEAD"}):
                yield r.path, m


def _plant(client, value: str) -> None:
    """Make ``value`` the client's only session cookie."""
    client.cookies.clear()
    client.cookies.set("xb_session", value)


def _url(path: str) -> str:
    return path.replace("{cid:path}", "C0000002").replace("{lang}", "zh").replace("{token}", "x").replace("{fmt}", "csv")


def test_no_route_answers_without_a_session_but_login_health_static_and_links(app):
    seen = 0
    with TestClient(app) as c:
        for path, method in _routes(app):
            if path in OPEN:
                continue
            seen += 1
            r = c.request(method, _url(path), follow_redirects=False)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path)
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path)
        assert c.get("/health").status_code == 200 and c.get("/login").status_code == 200
        assert c.get("/static/htmx.min.js").status_code == 200
        icon = c.get("/favicon.ico")  # an empty answer, so that a statement from a link logs no 404
        assert icon.status_code == 204 and icon.content == b""
    assert seen >= 14
    assert {type(r) for r in app.routes} == {Route, Mount}  # no other kind of route slipped in


def test_every_post_needs_the_sessions_csrf_token(app, ws):
    from xuanba.web import store
    from xuanba.workspace import Workspace

    posts = [p for p, m in _routes(app) if m == "POST" and p != "/login"]
    assert {"/logout", "/customers/{cid:path}/share", "/api/customers/{cid:path}/share"} <= set(posts)
    with TestClient(app) as c:
        log_in(c, "boss")
        token = csrf_of(c.get("/").text)
        for path in posts:
            for extra in ({}, {"data": {"csrf": "forged"}}, {"headers": {"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")}}):
                r = c.post(_url(path), follow_redirects=False, **extra)
                assert r.status_code == 403, (path, extra)
        with Workspace(ws, read_only=True) as ro:
            assert store.list_links(ro) == []  # no share happened
        assert c.get("/api/overview").status_code == 200  # and logout did not happen either
        assert c.post("/api/customers/C0000002/share", headers={"X-CSRF-Token": token}).status_code == 200


def test_login_itself_needs_the_pre_session_token(app):
    with TestClient(app) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "boss", "password": PASSWORD, "csrf": "guess"}, follow_redirects=False)
        assert r.status_code == 403 and "xb_session" not in r.cookies


def test_session_cookies_are_httponly_strict_and_secure_behind_tls(ws):
    from xuanba.web import create_app

    for secure in (False, True):
        with TestClient(create_app(ws, linger_s=0, secure_cookies=secure), base_url="https://testserver") as c:
            r = log_in(c, "boss")
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and ("secure" in cookie) == secure


def test_a_session_id_planted_before_log_in_is_worthless_after_it(app):
    with TestClient(app) as attacker, TestClient(app) as victim:
        log_in(attacker, "bob")
        planted = attacker.cookies["xb_session"]
        _plant(victim, planted)
        fresh = log_in(victim, "boss").cookies["xb_session"]
        assert fresh != planted
        _plant(victim, fresh)
        assert victim.get("/api/overview").json()["scoped"] is False  # the victim is boss, not bob
        attacker_again = attacker.get("/api/overview")
        assert attacker_again.status_code == 401  # the planted id was dropped at the victim's log-in


def test_logout_ends_the_session_for_a_replayed_cookie_too(app):
    with TestClient(app) as c:
        log_in(c, "boss")
        old = c.cookies["xb_session"]
        r = c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}, follow_redirects=False)
        assert r.status_code == 303
        _plant(c, old)
        assert c.get("/api/overview").status_code == 401


def test_a_tampered_cookie_is_no_session(app):
    with TestClient(app) as c:
        log_in(c, "boss")
        value = c.cookies["xb_session"]
        _plant(c, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        assert c.get("/api/overview").status_code == 401


def test_an_idle_session_ends(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0, idle_minutes=0.002)) as c:  # 0.12 s
        log_in(c, "boss")
        assert c.get("/api/overview").status_code == 200
        time.sleep(0.3)
        assert c.get("/api/overview").status_code == 401


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(tmp_path):
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    path = make_web_workspace(tmp_path / "ws.duckdb", n=20)
    with TestClient(create_app(path, linger_s=0)) as c, TestClient(create_app(path, linger_s=0)) as d:
        log_in(c, "ann")
        log_in(d, "bob")
        with Workspace(path) as w:
            store.set_active(w, "ann", False)
            store.set_password(w, "bob", PASSWORD + " again")
        assert c.get("/api/overview").status_code == 401
        assert d.get("/api/overview").status_code == 401
        assert log_in(c, "ann").status_code == 401  # disabled: the right password no longer works


def test_repeated_failures_lock_the_login_even_for_the_right_password(app):
    with TestClient(app) as c:
        for _ in range(5):
            assert log_in(c, "boss", "wrong password!").status_code == 401
        r = log_in(c, "boss")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 60
        assert "xb_session" not in r.cookies


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(app):
    with TestClient(app) as c:
        a, b = log_in(c, "nobody"), log_in(c, "boss", "wrong password!")
        assert a.status_code == b.status_code == 401 and a.text == b.text


@pytest.mark.parametrize("nxt", ["//attacker.invalid/x", "https://attacker.invalid/", "/\\attacker.invalid", "javascript:alert(1)"])
def test_after_log_in_the_app_goes_only_to_a_local_path(app, nxt):
    with TestClient(app) as c:
        page = c.get("/login")
        r = c.post("/login", data={"username": "boss", "password": PASSWORD, "csrf": csrf_of(page.text), "next": nxt},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_passwords_are_hashed_with_argon2id_at_its_recommended_cost(tmp_path):
    """The app's own hasher, not the cheap one tests/conftest.py puts in its place: Argon2id, three
    passes over 64 MiB in four lanes (RFC 9106's second recommendation); a password stored at that
    cost logs in beside the tests' cheap hashes."""
    from argon2 import Type

    from xuanba.web import store
    from xuanba.workspace import Workspace

    real = getattr(store._hasher, "real", store._hasher)()
    assert (real.type, real.time_cost, real.memory_cost, real.parallelism) == (Type.ID, 3, 64 * 1024, 4)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        store.add_user(ws, "cheap", PASSWORD, role="manager")
        ws.con.execute("UPDATE web_users SET password_hash = ? WHERE name = 'cheap'", [real.hash(PASSWORD)])
        assert ws.sql("SELECT password_hash FROM web_users")["password_hash"].iloc[0].startswith(
            "$argon2id$v=19$m=65536,t=3,p=4$")
        assert store.check_password(ws, "cheap", PASSWORD)["name"] == "cheap"
        assert store.check_password(ws, "cheap", PASSWORD + "!") is None


def test_admin_pages_are_not_there_for_managers_and_reps(app):
    for name in ("boss", "ann"):
        with TestClient(app) as c:
            log_in(c, name)
            assert c.get("/audit").status_code == 404 and c.get("/api/audit").status_code == 404
            assert c.get("/api/users").status_code == 404
    with TestClient(app) as c:
        log_in(c, "admin")
        assert c.get("/audit").status_code == 200 and any(r["action"] == "login" for r in c.get("/api/audit").json())
        users = c.get("/api/users").json()  # the admin sees who may log in, never a hash
        assert {(u["name"], u["role"], u["owner"]) for u in users} >= {("ann", "rep", "Rep 01"), ("boss", "manager", None)}
        assert not any("argon2" in str(v) or "hash" in k for u in users for k, v in u.items())
        page = c.get("/audit").text
        assert '<table id="users">' in page and "<td>Rep 01</td>" in page


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                  "/static/%2e%2e%2f%2e%2e%2fpyproject.toml", "/static//etc/passwd"])
def test_static_files_do_not_leave_their_folder(app, path):
    with TestClient(app) as c:
        r = c.get(path)
        assert r.status_code == 404 and "Starlette" not in r.text and "import" not in r.text


@pytest.mark.parametrize("path", ["/roster/export.../../app.py", "/roster/export.%2e%2e%2fapp.py",
                                  "/roster/export.csv%00.py", "/roster/export.CSV", "/roster/export."])
def test_the_download_route_names_its_own_files(app, path):
    with TestClient(app) as c:
        log_in(c, "boss")
        r = c.get(path)
        assert r.status_code == 404 and "import" not in r.text


def test_a_session_ends_after_twelve_hours_even_in_use(app, monkeypatch):
    from xuanba.web import app as web

    with TestClient(app) as c:
        log_in(c, "boss")
        assert c.get("/api/overview").status_code == 200
        later = time.monotonic() + web.MAX_SESSION_S + 1
        monkeypatch.setattr(web.time, "monotonic", lambda: later)
        assert c.get("/api/overview").status_code == 401


def test_guessing_at_a_workspace_without_users_writes_nothing(tmp_path):
    from tests.web.helpers import log_in as login
    from xuanba.web import create_app
    from xuanba.workspace import Workspace

    path = tmp_path / "bare.duckdb"
    Workspace(path).close()
    with TestClient(create_app(path, linger_s=0)) as c:
        assert login(c, "admin", "anything at all").status_code == 401
    with Workspace(path, read_only=True) as ws:
        assert not ws.has_table("web_users") and not ws.has_table("web_audit")


#: Routes whose answers hold nothing private: shared caches may keep them.
CACHEABLE = {"/favicon.ico", "/assets/plotly.min.js"}


def test_no_private_answer_may_be_kept_by_a_cache(app, ws):
    """Every page, JSON twin, export, statement and error a logged-in user gets says ``no-store``
    (a shared computer's browser or a proxy keeps none of them); Plotly's script is ``private``."""
    from xuanba.web import store
    from xuanba.workspace import Workspace

    with Workspace(ws) as w:
        link = store.create_link(w, "C0000002", days=3)
    with TestClient(app) as c:
        log_in(c, "admin")
        token = csrf_of(c.get("/").text)
        checked = 0
        for path, method in _routes(app):
            if path in ("/logout", "/login") and method == "POST":
                continue  # the session must last the whole walk
            url = _url(path).replace("/s/x", "/s/" + link["token"]).replace("{job}", "nope")
            r = c.request(method, url, headers={"X-CSRF-Token": token}, follow_redirects=False,
                          **({"json": {"text": "x"}} if path.startswith("/api/") and method == "POST" else {}))
            if path in CACHEABLE:
                assert "no-store" not in r.headers.get("cache-control", ""), path
                continue
            assert r.headers.get("cache-control") == "no-store", (method, path, r.status_code)
            assert not r.headers.get("location", "").startswith("/login"), (method, path)  # still logged in
            checked += 1
        assert checked >= 30
        assert c.get("/assets/plotly.min.js").headers["cache-control"].startswith("private")
        assert c.get("/no/such/page").headers["cache-control"] == "no-store"


@pytest.mark.parametrize("nxt", ["/\t/attacker.invalid", "/\n/attacker.invalid", "/%09/attacker.invalid",
                                 "/%2F/attacker.invalid", "/.//attacker.invalid", "/ /attacker.invalid", "\\\\attacker.invalid",
                                 "/@attacker.invalid", "//attacker.invalid@x"])
def test_no_next_address_leaves_the_host_after_log_in_or_a_language_switch(app, nxt):
    """Where a browser goes with each ``Location``: it drops tabs and new lines from an address
    (the WHATWG URL rules) and resolves it against the app's; it must stay on the app's host."""
    from urllib.parse import urljoin, urlsplit

    def lands(location: str) -> str:
        cleaned = "".join(ch for ch in location if ch not in "\t\n\r")
        return urlsplit(urljoin("http://app.test/roster", cleaned)).netloc

    with TestClient(app, base_url="http://app.test") as c:
        page = c.get("/login", params={"next": nxt})
        r = c.post("/login", data={"username": "boss", "password": PASSWORD, "csrf": csrf_of(page.text), "next": nxt},
                   follow_redirects=False)
        assert r.status_code == 303 and lands(r.headers["location"]) == "app.test", r.headers["location"]
        r = c.get("/lang/zh", params={"next": nxt}, follow_redirects=False)
        assert r.status_code == 303 and lands(r.headers["location"]) == "app.test", r.headers["location"]
