"""Benchmark: the web app under concurrent clients, over HTTP on localhost.

A workspace with N customers (the made-up round of ``bench_web.py``, built once into
bench/out and copied for each run) is served by ``uvicorn`` in a child process on 127.0.0.1.
``--clients`` threads each log in (as the manager, or ``--user rep``) and then ask,
``--requests`` times each and in turn, the roster page (one of its first 200 pages), a 50-row
API page of the roster (any page) and the page of a customer drawn from 1,000 sampled across
the round (``--pick first``: from the first page's 50 only, as the first version of this
benchmark did). One request of each kind warms the server up first. Bounded: every request has
a 30 s time-out and the run stops after ``--max-seconds``. The table gives p50, p95 and the
error count per kind of page, with the load average of the machine before and after.

    python bench/bench_web_load.py                                   # 100 k customers, 20 clients
    python bench/bench_web_load.py --customers 1e6 --clients 20 --requests 10
    python bench/bench_web_load.py --customers 1e6 --against HEAD~3 --repeat 2

With ``--against REV`` the server runs, in turn (``--repeat`` times each, alternating), with
this tree's xuanba and with the one of commit REV (its ``src/`` extracted into bench/out), on
copies of the same workspace, so both are measured on the same machine state; the table gives
both and the ratio of their p95.

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


def workspace(n: int) -> Path:
    """The benchmark's workspace of ``n`` customers, built once into bench/out."""
    path = OUT / f"web-{n}.duckdb"
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


def run(path: Path, src: Path | None, args: argparse.Namespace,
        sample: list[str]) -> tuple[dict[str, list[float]], dict[str, int], float, float]:
    """One server (this tree's xuanba, or the one in ``src``) under the clients: times, errors,
    wall seconds and the server's CPU seconds while timed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # as `xuanba serve` runs it: this tree's settles the process first (serving.settle)
    code = ("import uvicorn; from xuanba.web import create_app; "
            + ("from xuanba.web.serving import settle; settle(); " if src is None else "")
            + f"uvicorn.run(create_app({str(path)!r}{args.app_args if src is None else ''}), host='127.0.0.1', "
            f"port={port}, log_level='warning')")
    env = dict(os.environ)
    here = str(src or BENCH.parent / "src")
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    user = "rep" if args.user == "rep" else "boss"
    try:
        for _ in range(300):
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
        times: dict[str, list[float]] = {k: [] for k in KINDS}
        errors: dict[str, int] = dict.fromkeys(KINDS, 0)
        lock = threading.Lock()
        stop = time.monotonic() + args.max_seconds
        ready = threading.Barrier(args.clients + 1)

        def client(seed: int) -> None:
            rng = random.Random(seed)
            mine = log_in(base, user)
            ready.wait()  # every client logged in: the pages are timed, not the log-ins
            for _ in range(args.requests):
                for kind, url in (("roster page", f"/roster?page={rng.randint(1, min(200, pages))}"),
                                  ("50-row API page", f"/api/roster?per_page=50&page={rng.randint(1, pages)}"),
                                  ("customer page", f"/customers/{urllib.parse.quote(rng.choice(ids), safe='')}")):
                    if time.monotonic() > stop:
                        return
                    t0 = time.perf_counter()
                    try:
                        get(url, mine)
                        ok = True
                    except OSError:
                        ok = False
                    with lock:
                        times[kind].append(1000 * (time.perf_counter() - t0))
                        errors[kind] += not ok

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        ready.wait()
        t0, cpu0 = time.perf_counter(), cpu_seconds(server.pid)
        for t in threads:
            t.join()
        wall, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
    finally:
        server.terminate()
        server.wait(10)
    return times, errors, wall, cpu


def p95(v: list[float]) -> float:
    return statistics.quantiles(v, n=20)[18] if len(v) > 1 else (v[0] if v else float("nan"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--user", choices=("manager", "rep"), default="manager")
    ap.add_argument("--pick", choices=("random", "first"), default="random",
                    help="customers asked for: 1,000 sampled across the round, or the first page's 50")
    ap.add_argument("--against", help="also run the server of this git revision, alternating")
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
    results: dict[str, dict[str, list[float]]] = {name: {k: [] for k in KINDS} for name, _ in servers}
    errs: dict[str, dict[str, int]] = {name: dict.fromkeys(KINDS, 0) for name, _ in servers}
    walls: dict[str, float] = dict.fromkeys(results, 0.0)
    cpus: dict[str, float] = dict.fromkeys(results, 0.0)
    load0 = os.getloadavg()
    for _ in range(args.repeat):
        for name, src in servers:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "bench.duckdb"
                shutil.copyfile(cached, path)
                times, errors, wall, cpu = run(path, src, args, sample)
            for k in KINDS:
                results[name][k] += times[k]
                errs[name][k] += errors[k]
            walls[name] += wall
            cpus[name] += cpu
    load1 = os.getloadavg()
    print(f"{n:,} customers, {args.clients} clients ({args.user}), {args.requests} requests of each kind each, "
          f"customers picked: {args.pick}; load average {load0[0]:.2f} before, {load1[0]:.2f} after\n")
    cols = " | ".join(f"{name} p50 ms | {name} p95 ms | errors" for name, _ in servers)
    print(f"| page | requests | {cols} |" + (" p95 ratio |" if args.against else ""))
    print("| --- | ---: |" + " ---: | ---: | ---: |" * len(servers) + (" ---: |" if args.against else ""))
    for k in KINDS:
        cells = " | ".join(f"{statistics.median(results[name][k]):.0f} | {p95(results[name][k]):.0f} | "
                           f"{errs[name][k]}" for name, _ in servers)
        ratio = f" {p95(results[servers[1][0]][k]) / p95(results['this tree'][k]):.1f}× |" if args.against else ""
        print(f"| {k} | {len(results['this tree'][k])} | {cells} |{ratio}")
    for name, _ in servers:
        total = sum(len(v) for v in results[name].values())
        print(f"\n{name}: {total} requests in {walls[name]:.1f} s ({total / walls[name]:.0f} per second); "
              f"server CPU {1000 * cpus[name] / total:.1f} ms a request", end="")
    print()


if __name__ == "__main__":
    main()
