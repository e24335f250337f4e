"""Benchmark: the round report of a 1 M-customer round — file size and time to open.

A made-up round (``xuanba.outputs._synthetic.synthetic_round``, fixed seed, with a previous
round for movers and migration, every customer with a name and an owner, so the report embeds
the searchable selection list at its full size) is turned into the report; the file is then opened from disk in
headless Debian chromium through Playwright (system browser) and timed from navigation to the
load event and to every chart drawn. Repeated; medians reported.

    python bench/bench_report.py                         # 1 M customers, 3 openings
    python bench/bench_report.py --customers 1e5 --repeat 2   # quick

Target (issue 5): file <= 15 MB and open (load + plots rendered) < 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _diff(a, b):  # noqa: ANN001, ANN202
    from xuanba.rounds import compare_rosters

    order = [t.name for t in b.standard.tiers]
    return compare_rosters(a.roster, b.roster, order, a=1, b=2)


def build(n: int, path: Path) -> dict:
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.report import build_report

    t0 = time.perf_counter()
    prev = synthetic_round(n, seed=1, round_id="1", people=True)
    cur = synthetic_round(n, seed=2, round_id="2", people=True)
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    diff = _diff(prev, cur)
    html = build_report(cur, diff=diff, previous_id="1", lang="zh")
    path.write_text(html, encoding="utf-8")
    listed = sum(len(v["rows"]) for k, v in _embedded(html)["lists"].items() if k.startswith("sel"))
    return {"make_rounds_s": made, "build_s": time.perf_counter() - t0, "bytes": path.stat().st_size,
            "selected": int(cur.roster["selected"].sum()), "listed": listed}


def _embedded(html: str) -> dict:
    """The data the report's selection list is drawn from."""
    start = html.index('id="xb-data">') + len('id="xb-data">')
    return json.loads(html[start:html.index("</script>", start)])


def open_once(path: Path, chromium: str) -> dict:
    from playwright.sync_api import sync_playwright

    n_plots = path.read_text("utf-8").count("Plotly.newPlot(")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            t0 = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=120_000)
            load = time.perf_counter() - t0
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_plots}", timeout=120_000)
            drawn = time.perf_counter() - t0
        finally:
            browser.close()
    return {"load_s": load, "plots_s": drawn, "plots": n_plots, "console_errors": len(errors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--keep", type=Path, help="Also copy the report here.")
    args = ap.parse_args()
    n = int(args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        built = build(n, path)
        runs = [open_once(path, args.chromium) for _ in range(args.repeat)]
        if args.keep:
            args.keep.write_bytes(path.read_bytes())
    result = {
        "customers": n,
        "file_mb": built["bytes"] / 1e6,
        "make_rounds_s": round(built["make_rounds_s"], 2),
        "build_report_s": round(built["build_s"], 2),
        "selected": built["selected"],
        "listed_rows": built["listed"],
        "load_s_median": round(statistics.median(r["load_s"] for r in runs), 2),
        "open_plots_s_median": round(statistics.median(r["plots_s"] for r in runs), 2),
        "open_plots_s_all": [round(r["plots_s"], 2) for r in runs],
        "plots": runs[0]["plots"],
        "console_errors": max(r["console_errors"] for r in runs),
        "targets": {"file_mb<=15": built["bytes"] / 1e6 <= 15,
                    "open_s<5": statistics.median(r["plots_s"] for r in runs) < 5},
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
