"""``xuanba demo --serve`` builds the demo workspace, makes a demo admin with a fresh password,
and serves the app on localhost: a real server, reached over HTTP, logged in with the password
the command printed. The browser opens only where there is a display, never in tests."""

from __future__ import annotations

import re
import socket

import pytest
from typer.testing import CliRunner


def test_a_browser_opens_only_with_a_display_and_outside_tests(monkeypatch):
    from xuanba.web.serving import wants_browser

    assert not wants_browser({"XUANBA_NO_BROWSER": "1", "DISPLAY": ":0"})
    assert not wants_browser({"PYTEST_CURRENT_TEST": "x", "DISPLAY": ":0"})
    assert not wants_browser({"CI": "true", "DISPLAY": ":0"})
    monkeypatch.setattr("sys.platform", "linux")
    assert not wants_browser({}) and wants_browser({"DISPLAY": ":0"}) and wants_browser({"WAYLAND_DISPLAY": "w"})
    monkeypatch.setattr("sys.platform", "darwin")
    assert wants_browser({})


@pytest.mark.slow
def test_demo_serve_builds_the_workspace_and_serves_it(tmp_path, monkeypatch):
    import httpx2 as httpx

    from tests.web.helpers import csrf_of
    from xuanba.cli import app
    from xuanba.web import serving

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running: dict = {}
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url))

    def serve_in_a_thread(app_, host, port_, *, open_browser=False):  # the real server, not blocking the test
        running["server"], running["thread"] = serving.start(app_, host, port_)
        running["host"], running["browser"] = host, open_browser

    monkeypatch.setattr(serving, "serve", serve_in_a_thread)
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--lang", "en", "--serve",
                                   "--port", str(port)])
    try:
        assert res.exit_code == 0, res.output
        assert running["host"] == "127.0.0.1" and running["browser"] is False and opened == []
        password = re.search(r"log in as demo with the password (\S+) ", res.output).group(1)
        assert f"http://127.0.0.1:{port}/" in res.output
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as web:
            assert web.get("/health").json() == {"ok": True}
            assert web.get("/api/overview").status_code == 401
            pre = csrf_of(web.get("/login").text)
            r = web.post("/login", data={"username": "demo", "password": password, "csrf": pre, "next": "/"})
            assert r.status_code in (200, 303)
            o = web.get("/api/overview").json()
            assert o["round_id"] == 2 and o["customers"] > 0
            assert web.get("/accounts").status_code == 200
    finally:
        if "server" in running:
            running["server"].should_exit = True
            running["thread"].join(10)
