"""Benchmark: the standard page's editor and a round run from the page, on the demo workspace.

The demo (3,000 customers, a fitted model) is built in a temporary folder and served by the app
through Starlette's TestClient (no network). It times the editor's live check and what-if
preview of an edited text (median of ``--repeat``), then a round run from the page (start to
done, polling its job as the page does, and the slowest poll meanwhile), then the same round by
the library on the file, and says whether the two rosters are the same.

    python bench/bench_web_standard.py
    python bench/bench_web_standard.py --repeat 10
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from starlette.testclient import TestClient

    import xuanba
    from xuanba.rounds import run_round
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        xuanba.run_demo(Path(tmp), steps=("ingest", "standard", "rounds"))
        db = Path(tmp) / "xuanba.duckdb"
        with Workspace(db) as ws:
            store.add_user(ws, "boss", PASSWORD, role="manager")
            head = ws.sql("SELECT n_customers, cutoff, standard_text FROM rounds ORDER BY round_id DESC LIMIT 1")
        customers, cutoff, text = int(head.iloc[0, 0]), str(head.iloc[0, 1])[:10], str(head.iloc[0, 2])
        print(f"demo workspace: {customers:,} customers, cutoff {cutoff} ({time.perf_counter() - t0:.1f} s to build)")
        with TestClient(create_app(db)) as c:
            page = c.get("/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            c.post("/login", data={"username": "boss", "password": PASSWORD, "csrf": token, "next": "/"})
            h = {"X-CSRF-Token": re.search(r'name="csrf" value="([^"]+)"', c.get("/standard").text).group(1)}
            edited = re.sub(r'(?m)^version = .*$', 'version = "99"', text, count=1)
            for path in ("/api/standard/check", "/api/standard/preview"):
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    r = c.post(path, json={"text": edited}, headers=h)
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.text
                print(f"{path}: median {statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms")
            ref = c.get("/api/standard").json()["current"]["ref"]
            t = time.perf_counter()
            job = c.post("/api/standard/run", json={"version": ref, "cutoff": cutoff}, headers=h).json()
            polls = []
            while job["state"] == "running":
                time.sleep(0.5)
                t1 = time.perf_counter()
                job = c.get(f"/api/standard/jobs/{job['job_id']}").json()
                polls.append(time.perf_counter() - t1)
            page_s = time.perf_counter() - t
            print(f"round from the page: {page_s:.1f} s ({job['state']}, round {job['round_id']}); "
                  f"slowest poll meanwhile {max(polls or [0]) * 1000:.0f} ms")
        t = time.perf_counter()
        direct = run_round(str(db), text, cutoff, store=False)
        print(f"the same round by the library: {time.perf_counter() - t:.1f} s")
        with Workspace(db, read_only=True) as ws:
            sha = ws.sql("SELECT roster_sha256 FROM rounds WHERE round_id = ?", [job["round_id"]]).iloc[0, 0]
        print("same roster:", sha == direct.meta["roster_sha256"])


if __name__ == "__main__":
    main()
