"""Benchmark: the web app under concurrent clients, over HTTP on localhost.

A workspace with N customers (the made-up round of ``bench_web.py``, built once into
bench/out and copied for each run) is served by ``uvicorn`` in a child process on 127.0.0.1.
``--clients`` clients each log in (as the manager, or ``--user rep``) and then ask,
``--requests`` times each and in turn, the roster page (one of its first 200 pages), a 50-row
API page of the roster (any page) and the page of a customer drawn from 1,000 sampled across
the round (``--pick first``: from the first page's 50 only, as the first version of this
benchmark did). One request of each kind warms the server up first. Bounded: every request has
a 30 s time-out and the run stops after ``--max-seconds``.

The clients (``--client``): ``lean`` (the default) are asyncio connections in a process of
their own (bench/web_clients.py), one keep-alive HTTP/1.1 connection each, as a browser keeps
its connections to a site; ``threads`` are threads of this process opening a connection a
request with urllib (the first version of this benchmark); ``lean,threads`` runs both in turn.
Beside the clients' times the table gives the server's own time of the same requests (a timer
around the app in the server's process: from the moment uvicorn hands a request to the app to
its last byte, so the wait for a worker thread and for the GIL is in it, the HTTP parsing and
the socket are not), with p50, p95 and the error count per kind of page, the load average of the
machine before and after, and per request the CPU of the server and of the clients.

    python bench/bench_web_load.py                                   # 100 k customers, 20 clients
    python bench/bench_web_load.py --customers 1e6 --clients 20 --requests 10
    python bench/bench_web_load.py --customers 1e6 --against HEAD~3 --repeat 2 --client lean,threads
    python bench/bench_web_load.py --customers 1e6 --http h11,httptools --loop asyncio,uvloop

With ``--against REV`` the server runs, in turn (``--repeat`` times each, alternating), with
this tree's xuanba and with the one of commit REV (its ``src/`` extracted into bench/out), on
copies of the same workspace, so both are measured on the same machine state; the ratio of
their p95 follows the table. ``--http`` and ``--loop`` choose uvicorn's HTTP parser and event
loop (``auto``: the compiled ones when installed), ``--prelude`` runs code in the server first.

Targets (issue 14): p95 ≤ 300 ms per page and ≤ 100 ms for a 50-row API page of a
1 M-customer round under 20 clients, no error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

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


BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
KINDS = ("roster page", "50-row API page", "customer page")


def workspace(n: int, tag: str = "") -> Path:
    """The benchmark's workspace of ``n`` customers, built once into bench/out (``tag``: a
    version's own file, e.g. one of a later schema that an older xuanba cannot open)."""
    path = OUT / f"web-{n}{tag}.duckdb"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        part = path.with_suffix(".part")
        part.unlink(missing_ok=True)
        build(part, n)
        part.rename(path)
    return path


def source_of(rev: str) -> Path:
    """The ``src/`` of commit ``rev``, extracted once into bench/out."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], capture_output=True, text=True, check=True,
                         cwd=BENCH).stdout.strip()
    root = OUT / f"src-{sha}"
    if not (root / "src" / "xuanba").is_dir():
        blob = subprocess.run(["git", "archive", "--format=tar", sha, "src"], capture_output=True, check=True,
                              cwd=BENCH.parent).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(root, filter="data")
    return root / "src"


def sample_ids(path: Path) -> list[str]:
    """1,000 customers of the round, drawn with a fixed seed."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT customer_id FROM roster USING SAMPLE reservoir(1000 ROWS) "
                                          "REPEATABLE (7)").fetchall()]
    finally:
        con.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far (Linux), else 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: Wraps the app in the server's process: the time of each request inside the server, from the
#: moment uvicorn hands it to the app to the last byte of the answer handed back (queueing for a
#: worker thread and the GIL included; the HTTP parsing and the socket not), kept in memory and
#: answered as JSON at ``/__times`` (asked once, after the clients are done). The same wrapper for
#: every server measured.
TIMER = """
import json, time
_T = []
def _timed(app):
    async def timed(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope["path"] == "/__times":
            body = json.dumps(_T).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(body)).encode())]})
            return await send({"type": "http.response.body", "body": body})
        t0, w0 = time.perf_counter(), time.time()
        async def sent(message):
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                _T.append((w0, scope["path"], 1000 * (time.perf_counter() - t0)))
        await app(scope, receive, sent)
    return timed
"""


def kind_of(path: str) -> str | None:
    """The kind of page a request path is (``None``: a log-in, the health check)."""
    if path == "/roster":
        return KINDS[0]
    if path == "/api/roster":
        return KINDS[1]
    if path.startswith("/customers/"):
        return KINDS[2]
    return None


def plans(args: argparse.Namespace, pages: int, ids: list[str]) -> list[list[tuple[str, str]]]:
    """What each client asks, in turn: a roster page, a 50-row API page, a customer's page, ``--requests`` times
    (a fixed seed per client, the same for every server and client measured)."""
    out = []
    for seed in range(args.clients):
        rng = random.Random(seed)
        plan = []
        for _ in range(args.requests):
            plan += [("roster page", f"/roster?page={rng.randint(1, min(200, pages))}"),
                     ("50-row API page", f"/api/roster?per_page=50&page={rng.randint(1, pages)}"),
                     ("customer page", f"/customers/{urllib.parse.quote(rng.choice(ids), safe='')}")]
        out.append(plan)
    return out


def threaded_clients(base: str, cookies: list[str], todo: list[list[tuple[str, str]]], max_seconds: float) -> dict:
    """The clients as threads of this process, each request on a new connection (urllib): the
    first version of this benchmark."""
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: dict[str, int] = dict.fromkeys(KINDS, 0)
    lock = threading.Lock()
    stop = time.monotonic() + max_seconds
    ready = threading.Barrier(len(cookies) + 1)

    def client(cookie: str, plan: list[tuple[str, str]]) -> None:
        ready.wait()
        for kind, url in plan:
            if time.monotonic() > stop:
                return
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(base + url, headers={"Cookie": cookie}),
                                            timeout=30) as r:
                    r.read()
                ok = True
            except OSError:
                ok = False
            with lock:
                times[kind].append(1000 * (time.perf_counter() - t0))
                errors[kind] += not ok

    threads = [threading.Thread(target=client, args=(c, p)) for c, p in zip(cookies, todo, strict=True)]
    for t in threads:
        t.start()
    ready.wait()
    start, cpu0, t0 = time.time(), time.process_time(), time.perf_counter()
    for t in threads:
        t.join()
    return {"times": times, "errors": errors, "start": start, "end": time.time(), "wall": time.perf_counter() - t0,
            "cpu": time.process_time() - cpu0}


def lean_clients(port: int, cookies: list[str], todo: list[list[tuple[str, str]]], max_seconds: float) -> dict:
    """The clients in a process of their own (bench/web_clients.py: asyncio, one keep-alive connection each)."""
    spec = {"host": "127.0.0.1", "port": port, "cookies": cookies, "plans": todo, "max_seconds": max_seconds}
    out = subprocess.run([sys.executable, str(BENCH / "web_clients.py")], input=json.dumps(spec), capture_output=True,
                         text=True, check=True, timeout=max_seconds + 60)
    return json.loads(out.stdout)


def run(path: Path, variant: dict[str, Any], args: argparse.Namespace, sample: list[str]) -> dict[str, Any]:
    """One server (this tree's xuanba, or the one in ``variant["src"]``) under the clients: the
    clients' times and errors, the server's own times of the same requests, wall seconds, the
    server's and the clients' CPU seconds while timed."""
    src = variant["src"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # as `xuanba serve` runs it: this tree's settles the process first (serving.settle)
    code = (TIMER + (variant.get("prelude") or "") + "\nimport uvicorn; from xuanba.web import create_app\n"
            + ("from xuanba.web.serving import settle; settle()\n" if src is None else "")
            + f"uvicorn.run(_timed(create_app({str(path)!r}{args.app_args if src is None else ''})), host='127.0.0.1', "
            f"port={port}, log_level='warning', http={variant['http']!r}, loop={variant['loop']!r})\n")
    env = dict(os.environ)
    here = str(src or BENCH.parent / "src")
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    user = "rep" if args.user == "rep" else "boss"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"the server stopped before it answered (exit code {server.returncode}; "
                                 f"--http httptools and --loop uvloop need those packages installed)")
            try:
                urllib.request.urlopen(base + "/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cookie = log_in(base, user)

        def get(url: str, cookie: str = cookie) -> bytes:
            with urllib.request.urlopen(urllib.request.Request(base + url, headers={"Cookie": cookie}),
                                        timeout=30) as r:
                return r.read()

        first = json.loads(get("/api/roster?per_page=50"))
        pages = first["pages"]
        ids = [row["customer_id"] for row in first["rows"]]
        if args.pick == "random":
            ids = sample if user == "boss" else [
                row["customer_id"] for p in range(1, min(pages, 20) + 1)
                for row in json.loads(get(f"/api/roster?per_page=50&page={p}"))["rows"]]
        for url in ("/roster", "/api/roster?per_page=50&page=2", f"/customers/{urllib.parse.quote(ids[0], safe='')}"):
            get(url)  # warm-up: the first request of a round may load what later ones share
        cookies = [log_in(base, user) for _ in range(args.clients)]  # every client logged in: pages are timed
        todo = plans(args, pages, ids)
        cpu0 = cpu_seconds(server.pid)
        if variant["client"] == "lean":
            got = lean_clients(port, cookies, todo, args.max_seconds)
        else:
            got = threaded_clients(base, cookies, todo, args.max_seconds)
        got["server_cpu"] = cpu_seconds(server.pid) - cpu0
        logged = json.loads(get("/__times"))
    finally:
        server.terminate()
        server.wait(30)
    inside: dict[str, list[float]] = {k: [] for k in KINDS}
    for w0, p, ms in logged:
        k = kind_of(p)
        if k and got["start"] <= w0 <= got["end"]:
            inside[k].append(ms)
    got["inside"] = inside
    return got


def p95(v: list[float]) -> float:
    return statistics.quantiles(v, n=20)[18] if len(v) > 1 else (v[0] if v else float("nan"))


def p50(v: list[float]) -> float:
    return statistics.median(v) if v else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--user", choices=("manager", "rep"), default="manager")
    ap.add_argument("--pick", choices=("random", "first"), default="random",
                    help="customers asked for: 1,000 sampled across the round, or the first page's 50")
    ap.add_argument("--against", help="also run the server of this git revision, alternating")
    ap.add_argument("--client", default="lean",
                    help="lean (asyncio, keep-alive, a process of their own), threads (urllib threads of this "
                         "process, a connection a request), or both: lean,threads")
    ap.add_argument("--http", default="auto", help="uvicorn's HTTP parser: auto, h11, httptools (or a list: h11,httptools)")
    ap.add_argument("--loop", default="auto", help="uvicorn's event loop: auto, asyncio, uvloop (or a list)")
    ap.add_argument("--prelude", default="",
                    help="Python run in the server before it starts, e.g. 'import sys; sys.setswitchinterval(0.001)'; "
                         "several, to compare, separated by ' || ' (an empty one: none)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each server")
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--app-args", default="", help="more arguments of this tree's create_app, e.g. ', threads=1'")
    args = ap.parse_args()
    n = int(args.customers)
    cached = workspace(n)
    sample = sample_ids(cached)
    servers: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.against:
        servers.append((args.against, source_of(args.against)))
    variants = [{"server": name, "src": src, "client": c, "http": h, "loop": lp, "prelude": pre.strip()}
                for name, src in servers for c in args.client.split(",") for h in args.http.split(",")
                for lp in args.loop.split(",") for pre in args.prelude.split("||")]

    def label(v: dict[str, Any]) -> str:
        return " · ".join([v["server"], f"{v['client']} clients"]
                          + ([f"http {v['http']}"] if "," in args.http or v["http"] != "auto" else [])
                          + ([f"loop {v['loop']}"] if "," in args.loop or v["loop"] != "auto" else [])
                          + ([f"`{v['prelude'] or 'no prelude'}`"] if "||" in args.prelude or v["prelude"] else []))

    results = {label(v): {"times": {k: [] for k in KINDS}, "inside": {k: [] for k in KINDS},
                          "errors": dict.fromkeys(KINDS, 0), "wall": 0.0, "cpu": 0.0, "server_cpu": 0.0}
               for v in variants}
    load0 = os.getloadavg()
    for _ in range(args.repeat):
        for v in variants:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "bench.duckdb"
                shutil.copyfile(cached, path)
                got = run(path, v, args, sample)
            acc = results[label(v)]
            for k in KINDS:
                acc["times"][k] += got["times"].get(k, [])
                acc["inside"][k] += got["inside"][k]
                acc["errors"][k] += got["errors"].get(k, 0)
            for key in ("wall", "cpu", "server_cpu"):
                acc[key] += got[key]
    load1 = os.getloadavg()
    print(f"{n:,} customers, {args.clients} clients ({args.user}), {args.requests} requests of each kind each, "
          f"customers picked: {args.pick}; load average {load0[0]:.2f} before, {load1[0]:.2f} after\n")
    print("| server · clients | page | requests | client p50 ms | client p95 ms | in-server p50 ms | "
          "in-server p95 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, acc in results.items():
        for k in KINDS:
            t, i = acc["times"][k], acc["inside"][k]
            print(f"| {name} | {k} | {len(t)} | {p50(t):.0f} | {p95(t):.0f} | {p50(i):.1f} | {p95(i):.1f} | "
                  f"{acc['errors'][k]} |")
    print()
    for name, acc in results.items():
        total = sum(len(v) for v in acc["times"].values())
        print(f"{name}: {total} requests in {acc['wall']:.1f} s ({total / acc['wall']:.0f} per second); "
              f"server CPU {1000 * acc['server_cpu'] / total:.2f} ms a request, clients' CPU "
              f"{1000 * acc['cpu'] / total:.2f} ms a request")
    if args.against:
        for v in variants:
            if v["server"] != "this tree":
                continue
            other = results[label({**v, "server": args.against})]
            mine = results[label(v)]
            ratios = ", ".join(f"{k} {p95(other['times'][k]) / p95(mine['times'][k]):.1f}×" for k in KINDS)
            print(f"p95 of {args.against} over this tree ({v['client']} clients): {ratios}")


if __name__ == "__main__":
    main()
