"""Benchmark: the web app under concurrent clients, over HTTP on localhost.

A workspace with N customers (the made-up round of ``bench_web.py``) is served by ``uvicorn``
in a child process on 127.0.0.1. ``--clients`` threads each log in (as the manager) and then
ask, ``--requests`` times each and in turn, the roster page, a 50-row API page of the roster
(a random page) and a customer page. Bounded: every request has a 30 s time-out and the run
stops after ``--max-seconds``. The table gives p50, p95 and the error count per kind of page.

    python bench/bench_web_load.py                                   # 100 k customers, 20 clients
    python bench/bench_web_load.py --customers 1e6 --clients 20 --requests 10

Targets (issue 14): p95 ≤ 300 ms per page and ≤ 100 ms for a 50-row API page of a
1 M-customer round under 20 clients, no error.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_web import PASSWORD, build  # noqa: E402


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep the 303 and its cookie
        return None


def _cookie(headers, name: str) -> str:
    for value in headers.get_all("set-cookie") or []:
        if value.startswith(name + "="):
            return value.split(";", 1)[0]
    raise RuntimeError(f"no {name} cookie")


def log_in(base: str, user: str) -> str:
    """The Cookie header of a fresh session of ``user``."""
    with urllib.request.urlopen(base + "/login", timeout=30) as r:
        html = r.read().decode()
        pre = _cookie(r.headers, "xb_pre")
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrf": token, "next": "/"}).encode()
    req = urllib.request.Request(base + "/login", data=body, headers={"Cookie": pre})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(req, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code != 303:
            raise
        return _cookie(exc.headers, "xb_session")
    raise RuntimeError("log-in did not redirect")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=600)
    args = ap.parse_args()
    n = int(args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        build(path, n)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        code = ("import uvicorn; from xuanba.web import create_app; "
                f"uvicorn.run(create_app({str(path)!r}), host='127.0.0.1', port={port}, log_level='warning')")
        server = subprocess.Popen([sys.executable, "-c", code])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            cookie = log_in(base, "boss")
            req = urllib.request.Request(base + "/api/roster?per_page=50", headers={"Cookie": cookie})
            with urllib.request.urlopen(req, timeout=30) as r:
                import json

                first = json.loads(r.read())
            ids = [row["customer_id"] for row in first["rows"]]
            pages = first["pages"]
            times: dict[str, list[float]] = {"roster page": [], "50-row API page": [], "customer page": []}
            errors: dict[str, int] = dict.fromkeys(times, 0)
            lock = threading.Lock()
            stop = time.monotonic() + args.max_seconds

            ready = threading.Barrier(args.clients + 1)

            def client(seed: int) -> None:
                rng = random.Random(seed)
                mine = log_in(base, "boss")
                ready.wait()  # every client logged in: the pages are timed, not the log-ins
                for _ in range(args.requests):
                    for kind, url in (("roster page", f"/roster?page={rng.randint(1, 200)}"),
                                      ("50-row API page", f"/api/roster?per_page=50&page={rng.randint(1, pages)}"),
                                      ("customer page", f"/customers/{rng.choice(ids)}")):
                        if time.monotonic() > stop:
                            return
                        t0 = time.perf_counter()
                        try:
                            with urllib.request.urlopen(urllib.request.Request(base + url, headers={"Cookie": mine}),
                                                        timeout=30) as r:
                                r.read()
                                ok = r.status == 200
                        except OSError:
                            ok = False
                        with lock:
                            times[kind].append(1000 * (time.perf_counter() - t0))
                            errors[kind] += not ok

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            ready.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(10)
    total = sum(len(v) for v in times.values())
    print(f"{n:,} customers, {args.clients} clients, {total} requests in {wall:.1f} s\n")
    print("| page | requests | p50 ms | p95 ms | errors |\n| --- | ---: | ---: | ---: | ---: |")
    for kind, v in times.items():
        q = statistics.quantiles(v, n=20) if len(v) > 1 else v * 19
        print(f"| {kind} | {len(v)} | {statistics.median(v):.0f} | {q[18]:.0f} | {errors[kind]} |")


if __name__ == "__main__":
    main()
