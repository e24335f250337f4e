"""Running the app: on uvicorn, in the foreground (``xuanba serve``) or in a thread (tests,
notebooks), opening the browser when there is one to open (``xuanba demo --serve``).

Example
-------
>>> wants_browser({"XUANBA_NO_BROWSER": "1"})
False
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from xuanba.workspace import Workspace

#: The user ``xuanba demo --serve`` makes (an admin: the demo shows every page).
DEMO_USER = "demo"


def wants_browser(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to open a browser: not when ``XUANBA_NO_BROWSER`` is set, not under pytest or CI,
    and on Linux only with a display (``DISPLAY`` or ``WAYLAND_DISPLAY``)."""
    env = os.environ if environ is None else environ
    if env.get("XUANBA_NO_BROWSER") or env.get("CI") or env.get("PYTEST_CURRENT_TEST"):
        return False
    if sys.platform.startswith("linux"):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def demo_user(ws: Workspace) -> tuple[str, str]:
    """A fresh random password for the demo's admin user (made when missing): ``(name, password)``."""
    from xuanba.web import store

    password = secrets.token_urlsafe(12)
    if not (store.has_tables(ws) and any(u["name"] == DEMO_USER for u in store.list_users(ws))):
        store.add_user(ws, DEMO_USER, password, role="admin", by="demo")
    else:
        store.set_password(ws, DEMO_USER, password, by="demo")
    return DEMO_USER, password


def settle() -> int:
    """Ready this process to serve: import the libraries pages use, then move every object alive
    to the garbage collector's permanent generation (:func:`gc.freeze`), so that its full passes
    while serving walk what was made since, not the libraries. Such a pass over the ~170,000
    objects of the loaded libraries took 90 to 180 ms on a busy 2-core machine, a pause every
    request in flight waited for (docs/benchmarks_web.md). For a server process only (``xuanba
    serve``): it changes the collector of the whole process. Returns how many objects it froze.

    Example
    -------
    >>> import gc
    >>> settle() >= 0 and gc.get_freeze_count() > 0
    True
    >>> gc.unfreeze()
    """
    import gc

    import duckdb  # noqa: F401
    import jinja2  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.compute  # noqa: F401

    import xuanba.rounds  # noqa: F401
    import xuanba.web.account_data  # noqa: F401
    import xuanba.web.data  # noqa: F401

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def start(app: Any, host: str = "127.0.0.1", port: int = 8000, *, timeout_s: float = 20.0) -> tuple[Any, threading.Thread]:
    """Serve ``app`` from a thread; returns ``(server, thread)`` once it listens (stop it with
    ``server.should_exit = True; thread.join()``)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > end:
            from xuanba.errors import InputError, Phrase

            raise InputError(Phrase("err_app_listen", host=str(host), port=str(port)), fix=Phrase("err_app_listen_fix"))
        time.sleep(0.05)
    return server, thread


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = False) -> None:
    """Serve ``app`` until Ctrl+C, opening the default browser at its address when asked."""
    import webbrowser

    settle()
    server, thread = start(app, host, port)
    if open_browser:
        webbrowser.open(f"http://{host}:{port}/")
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(10)
