"""Benchmark: the web pages of a large round, one client at a time, in this process.

A workspace with N customers (a made-up round with names and 40 owners, fixed seed) is served by
the app through Starlette's TestClient (no network). For a manager and for a rep, each page is
asked ``--repeat`` times after one warm-up; the table gives the median and the slowest time.
The app is one per process, as the server runs it: requests share its reading connection and
the rounds it keeps in memory.

    python bench/bench_web.py                          # 100 k customers
    python bench/bench_web.py --customers 1e6 --repeat 10

The load benchmark of issue 14 (20 concurrent clients over HTTP, p95 targets) is
``bench_web_load.py``; this one shows a single request's time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PAGES = ["/api/roster", "/roster", "/api/roster?tier=gold&page=100", "/api/roster?q=customer 12345",
         "/api/roster?sort=name&desc=1", "/api/overview", "/customers/{cid}", "/api/customers/{cid}",
         # the roster's filters (issue 14 page 3), alone and combined, and the account-work page
         "/api/roster?owner=Rep 01", "/api/roster?score_min=40&score_max=60", "/api/roster?selected=no&left_out=yes",
         "/api/roster?quadrant=stars&owner=Rep 01&score_min=50&page=3", "/roster?owner=Rep 01&selected=yes",
         "/api/accounts", "/accounts"]
PASSWORD = "correct horse battery"


def build(path: Path, n: int) -> None:
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    r = synthetic_round(n, seed=1, people=True)
    r.meta.update(name="bench", roster_sha256="0" * 64, extra_fields=["internal_credit"],
                  field_columns=[c for c in r.fields.columns if c != "customer_id"])
    with Workspace(path) as ws:
        save_round(ws, r)
        store.add_user(ws, "boss", PASSWORD, role="manager")
        store.add_user(ws, "rep", PASSWORD, role="rep", owner="Rep 01")


def main() -> None:
    import re

    from starlette.testclient import TestClient

    from xuanba.web import create_app

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = int(args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        build(path, n)
        print(f"{n:,} customers stored in {time.perf_counter() - t0:.1f} s\n")
        print("| user | page | median ms | slowest ms |\n| --- | --- | ---: | ---: |")
        app = create_app(path)  # one app per process and workspace, as the server runs it
        for user in ("boss", "rep"):
            with TestClient(app) as c:
                token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
                c.post("/login", data={"username": user, "password": PASSWORD, "csrf": token})
                mine = c.get("/api/roster?per_page=25").json()["rows"][12]["customer_id"]
                for page in PAGES:
                    url = page.format(cid=mine)
                    c.get(url)  # warm-up
                    times = []
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        r = c.get(url)
                        times.append(1000 * (time.perf_counter() - t0))
                        assert r.status_code == 200, (url, r.status_code)
                    print(f"| {user} | `{page}` | {statistics.median(times):.0f} | {max(times):.0f} |")


if __name__ == "__main__":
    main()
