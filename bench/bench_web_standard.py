"""Benchmark: the standard page's editor and a round run from the page, on the demo workspace.

The demo (3,000 customers, a fitted model) is built in a temporary folder and served by the app
through Starlette's TestClient (no network). It times the editor's live check and what-if
preview of an edited text (median of ``--repeat``), then a round run from the page (start to
done, polling its job as the page does, and the slowest poll meanwhile), then the same round by
the library on the file, and says whether the two rosters are the same.

    python bench/bench_web_standard.py
    python bench/bench_web_standard.py --repeat 10
    python bench/bench_web_standard.py --customers 1e6 --repeat 3

With ``--customers N`` the workspace is instead a made-up round of N customers (the round of
``bench_web.py``, whose stored fields are completed with the starter standard's ``clv_3y`` and
``p_alive``: the starter standard is what the editor previews), built once into bench/out. It
times the live check and the preview of the starter standard through the API, the same what-if
by the library, and the scoring of those customers by that standard alone (the part of a round
a preview repeats; a round also computes facts and fits its models first); no round is run
from the page (the made-up workspace holds no transactions).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

PASSWORD = "correct horse battery"


OUT = Path(__file__).resolve().parent / "out"


def large_workspace(n: int) -> Path:
    """A workspace with one made-up round of ``n`` customers whose stored fields hold what the
    starter standard reads, built once into bench/out."""
    path = OUT / f"standard-{n}.duckdb"
    if path.exists():
        return path
    import numpy as np

    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    r = synthetic_round(n, seed=1, people=True)
    potential = r.contributions[r.contributions["criterion"] == "potential"].set_index("customer_id")["raw"]
    r.fields["clv_3y"] = potential.reindex(r.fields["customer_id"]).to_numpy()  # the round's own potential
    r.fields["p_alive"] = np.round(np.random.default_rng(2).beta(2.0, 1.5, len(r.fields)), 4)
    r.meta.update(name="bench", roster_sha256="0" * 64, extra_fields=["internal_credit"],
                  field_columns=[c for c in r.fields.columns if c != "customer_id"])
    OUT.mkdir(exist_ok=True)
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    with Workspace(part) as ws:
        save_round(ws, r)
        store.add_user(ws, "boss", PASSWORD, role="manager")
    part.rename(path)
    return path


def median_ms(func, repeat: int) -> tuple[float, float]:
    """The median and the slowest of ``repeat`` calls of ``func``, in ms."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, max(times) * 1000


def at_scale(n: int, repeat: int) -> None:
    """The editor's check and preview of the starter standard on a round of ``n`` customers,
    beside the library's what-if and the scoring alone."""
    import os
    import shutil

    from starlette.testclient import TestClient

    from xuanba.rounds.whatif import _load_fields, whatif
    from xuanba.standard import load_standard, score_customers, starter_standard
    from xuanba.web import create_app
    from xuanba.workspace import Workspace

    t0 = time.perf_counter()
    cached = large_workspace(n)
    print(f"{n:,} customers ({time.perf_counter() - t0:.1f} s to build or find); load average "
          f"{os.getloadavg()[0]:.2f} before")
    text = starter_standard("en")
    std = load_standard(text)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        shutil.copyfile(cached, db)
        with TestClient(create_app(db)) as c:
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            c.post("/login", data={"username": "boss", "password": PASSWORD, "csrf": token, "next": "/"})
            h = {"X-CSRF-Token": re.search(r'name="csrf" value="([^"]+)"', c.get("/standard").text).group(1)}

            def ask(path: str) -> None:
                r = c.post(path, json={"text": text}, headers=h)
                assert r.status_code == 200 and "error" not in r.json() and r.json().get("ok", True), r.text[:500]

            rows = [("the live check (`/api/standard/check`)", median_ms(lambda: ask("/api/standard/check"), repeat))]
            ask("/api/standard/preview")  # the first also loads what later ones share
            rows.append(("the what-if preview (`/api/standard/preview`)",
                         median_ms(lambda: ask("/api/standard/preview"), repeat)))
        rows.append(("the same what-if by the library (`whatif`)", median_ms(lambda: whatif(db, std), repeat)))
        with Workspace(db, read_only=True) as ws:
            fields = _load_fields(ws, 1, [c for c in ws.sql("SELECT * FROM round_fields LIMIT 0").columns
                                          if c not in ("round_id", "customer_id")],
                                  sorted(f for f in std.fields_used() if f != "customer_id"))
        rows.append(("scoring them by the standard alone (`score_customers`)",
                     median_ms(lambda: score_customers(fields, std, contributions=False), repeat)))
    print(f"\n| step ({n:,} customers) | median ms | slowest ms |\n| --- | ---: | ---: |")
    for name, (med, slow) in rows:
        print(f"| {name} | {med:,.0f} | {slow:,.0f} |")
    print(f"\nload average {os.getloadavg()[0]:.2f} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--customers", type=float, help="a made-up round of this many customers instead of the demo")
    args = parser.parse_args()
    if args.customers:
        at_scale(int(args.customers), args.repeat)
        return

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
