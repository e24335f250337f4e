"""Benchmark: the server's CPU for one request of each kind, without HTTP and without clients.

The load benchmark (``bench_web_load.py``) times pages under 20 clients, which on a shared
machine mostly measures the queue; this one asks the app itself (its ASGI entry, in this
process, one request at a time, the way uvicorn hands requests over: handlers in the thread pool)
and reports the CPU seconds the process spent per request, for the kinds the load benchmark
asks: a roster page (one of the first 200), a 50-row API page (any page) and the page of a
customer drawn from 1,000 sampled across the round. Each kind is asked once first (a round is
loaded into memory at its first use).

    python bench/bench_web_cpu.py --customers 1e6 --requests 300
    python bench/bench_web_cpu.py --customers 1e6 --against main --repeat 3 --settle

With ``--against REV`` the same is run, in turn, in a child process with the ``src/`` of commit
REV (``--repeat`` times each, alternating), so both are measured on the same machine state.
``--settle`` settles this tree's process first, as ``xuanba serve`` does (REV's as its own did not).
The time the garbage collector took while the requests ran is given too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

KINDS = ("roster page", "50-row API page", "customer page")


def measure(path: Path, requests: int, seed: int, settle: bool = False) -> dict[str, float]:
    """CPU ms per request of each kind, with the xuanba that ``sys.path`` finds; and the garbage
    collector's time while they ran (``gc ms``: in all, ``full gc ms``: its slowest full pass).
    ``settle``: first settle the process as ``xuanba serve`` does (``serving.settle``)."""
    import gc

    from bench_web_load import sample_ids
    from xuanba.web import app as web
    from xuanba.web import create_app, store

    if settle:
        from xuanba.web.serving import settle as settle_process

        settle_process()
    spent = {"gc ms": 0.0, "full gc ms": 0.0, "start": 0.0}

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            spent["start"] = time.perf_counter()
            return
        ms = 1000 * (time.perf_counter() - spent["start"])
        spent["gc ms"] += ms
        if info["generation"] == 2:
            spent["full gc ms"] = max(spent["full gc ms"], ms)

    ids = sample_ids(path)
    app = create_app(path, linger_s=60)
    st = app.state.xb
    with st.gate.read() as ws:
        user = store.get_user(ws, "boss")
    sid = secrets.token_urlsafe(32)
    st.sessions[sid] = web.Session("boss", user["stamp"], secrets.token_urlsafe(32), time.monotonic())
    cookie = f"{web.COOKIE}={web._signer(st.key).sign(sid).decode()}".encode()

    async def ask(path_: str, query: str = "") -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path_, "raw_path": path_.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie)],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        status = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"{path_}?{query}: {status}")

    rng = random.Random(seed)

    def request(kind: str, pages: int) -> tuple[str, str]:
        if kind == "roster page":
            return "/roster", f"page={rng.randint(1, min(200, pages))}"
        if kind == "50-row API page":
            return "/api/roster", f"per_page=50&page={rng.randint(1, pages)}"
        return "/customers/" + rng.choice(ids), ""

    async def run() -> dict[str, float]:
        with st.gate.read() as ws:
            from xuanba.web import data

            pages = data.roster_page(ws, "latest", per_page=50)["pages"]
        out = {}
        for kind in KINDS:
            await ask(*request(kind, pages))  # the first use of a round loads it
        gc.callbacks.append(timed)
        for kind in KINDS:
            todo = [request(kind, pages) for _ in range(requests)]
            cpu = time.process_time()
            for p, q in todo:
                await ask(p, q)
            out[kind] = 1000 * (time.process_time() - cpu) / requests
        gc.callbacks.remove(timed)
        return {**out, "gc ms": spent["gc ms"], "full gc ms": spent["full gc ms"]}

    return asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--against", help="also run with the src/ of this git revision, alternating")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--settle", action="store_true", help="settle this tree's process first, as `xuanba serve` does")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from bench_web_load import source_of, workspace

    if args.child:  # one measurement, printed as JSON for the parent
        from xuanba.workspace import SCHEMA_VERSION

        # each version reads a workspace it wrote (schema 3 on: contributions keyed by rank,
        # which an older xuanba cannot open), built the first time by that version
        path = workspace(int(args.customers), f"-s{SCHEMA_VERSION}" if SCHEMA_VERSION >= 3 else "")
        print(json.dumps(measure(path, args.requests, int(args.child), args.settle)))
        return
    runs: list[tuple[str, Path | None]] = [("this tree", BENCH.parent / "src")]
    if args.against:
        runs.append((args.against, source_of(args.against)))
    got: dict[str, dict[str, list[float]]] = {name: {k: [] for k in KINDS} for name, _ in runs}
    load0 = os.getloadavg()
    for i in range(args.repeat):
        for name, src in runs:
            env = {**os.environ, "PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            settle = ["--settle"] if args.settle and src == runs[0][1] else []
            out = subprocess.run([sys.executable, __file__, "--customers", str(args.customers), "--requests",
                                  str(args.requests), "--child", str(i + 1), *settle], env=env,
                                 capture_output=True, text=True, check=True).stdout
            for k, v in json.loads(out.strip().splitlines()[-1]).items():
                got[name].setdefault(k, []).append(v)
    load1 = os.getloadavg()
    print(f"{int(args.customers):,} customers, {args.requests} requests of each kind, {args.repeat} runs each; "
          f"load average {load0[0]:.2f} before, {load1[0]:.2f} after\n")
    cols = " | ".join(f"{name} CPU ms a request" for name, _ in runs)
    print(f"| page | {cols} |" + (" ratio |" if args.against else ""))
    print("| --- |" + " ---: |" * len(runs) + (" ---: |" if args.against else ""))
    for k in KINDS:
        cells = " | ".join(f"{statistics.median(got[name][k]):.2f}" for name, _ in runs)
        ratio = (f" {statistics.median(got[runs[1][0]][k]) / statistics.median(got['this tree'][k]):.1f}× |"
                 if args.against else "")
        print(f"| {k} | {cells} |{ratio}")
    for name, _ in runs:
        print(f"\n{name}: the garbage collector took {statistics.median(got[name]['gc ms']):.0f} ms in the "
              f"{3 * args.requests} requests (median of runs), its slowest full pass "
              f"{max(got[name]['full gc ms']):.0f} ms", end="")
    print()


if __name__ == "__main__":
    main()
