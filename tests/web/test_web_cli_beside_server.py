"""``xuanba round``, ``xuanba users add`` and ``xuanba share`` against a running ``xuanba serve``
(its own process, as in use): while pages are being asked, each ends at once with exit code 5
and says another process holds the workspace; once the server has been idle for its linger, each
works. None hangs (every call is bounded in time)."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.web.helpers import PASSWORD, csrf_of
from tests.web.standard_ws import STANDARD, make_standard_workspace

BOUND_S = 60  # far beyond a command's own time: a hang is a failure, not a slow pass


def _command(*args: str) -> list[str]:
    """``xuanba ARGS`` in a process of its own, with this interpreter and this checkout."""
    return [sys.executable, "-c", "import sys; from xuanba.cli import main; sys.argv[0] = 'xuanba'; main()", *args]


def _xuanba(*args: str, stdin: str | None = None) -> tuple[int, str, float]:
    t0 = time.monotonic()
    out = subprocess.run(_command("--lang", "en", *args), input=stdin, capture_output=True,
                         text=True, timeout=BOUND_S, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return out.returncode, out.stdout + out.stderr, time.monotonic() - t0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    path = make_standard_workspace(folder / "ws.duckdb", n=40)
    (folder / "standard.toml").write_text(STANDARD, encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(folder / "serve.log", "w")  # noqa: SIM115 (closed below, after the server)
    server = subprocess.Popen(_command("serve", "--workspace", str(path), "--port", str(port)),
                              stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/health", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        pytest.fail("the server did not start: " + (folder / "serve.log").read_text())
    yield path, folder / "standard.toml", base
    server.terminate()
    server.wait(10)
    log.close()


class Busy:
    """A logged-in user asking a page every 50 ms, so that the server keeps the file open."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/login", timeout=30).read().decode()
        form = urllib.parse.urlencode({"username": "boss", "password": PASSWORD, "csrf": csrf_of(page), "next": "/"})
        landed = self.opener.open(base + "/login", data=form.encode(), timeout=30)  # follows the 303 to /
        assert landed.status == 200 and landed.url.endswith("/")
        self.stop = threading.Event()
        self.codes: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with self.opener.open(self.base + "/api/roster?per_page=25", timeout=30) as r:
                    self.codes.append(r.status)
            except urllib.error.HTTPError as e:
                self.codes.append(e.code)
            time.sleep(0.05)

    def __enter__(self) -> Busy:
        self.thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def _wait_until_free(path, timeout: float = BOUND_S) -> None:
    """Wait until no process holds the workspace open (a writing connection of this process opens
    and closes at once; nothing is written), polled every 0.1 s instead of sleeping the server's
    linger out."""
    import duckdb

    end = time.monotonic() + timeout
    while True:
        try:
            duckdb.connect(str(path)).close()
            return
        except (duckdb.IOException, duckdb.ConnectionException):
            assert time.monotonic() < end, "the server kept the workspace open"
            time.sleep(0.1)


COMMANDS = {
    "users add": lambda ws, std: (["users", "add", "hal", "--role", "rep", "--owner", "Rep 01", "--password-stdin",
                                   "--workspace", str(ws)], PASSWORD + "\n"),
    "share": lambda ws, std: (["share", "S001", "--workspace", str(ws)], None),
    "round": lambda ws, std: (["round", "--standard", str(std), "--cutoff", "2026-05-31", "--workspace", str(ws)], None),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_beside_a_busy_server_ends_with_exit_5_and_after_it_idles_works(served, name):
    path, std, base = served
    args, stdin = COMMANDS[name](path, std)
    with Busy(base) as busy:
        code, out, took = _xuanba(*args, stdin=stdin)
    assert code == 5, out
    assert "another process" in out and "holds the workspace open" in out and "Traceback" not in out
    assert set(busy.codes) == {200}  # the pages answered throughout
    # the server lets go of the file 2 to 3 s after its last request (it looks once a second):
    # the command runs once the file is seen free, and again should the server still have held it
    for _ in range(3):
        _wait_until_free(path)
        code, out, took = _xuanba(*args, stdin=stdin)
        if code != 5:
            break
    assert code == 0, out
