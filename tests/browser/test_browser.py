"""The report and a statement as a person sees them: opened from disk in Debian's headless
Chromium (driven by Playwright with the system browser, never a downloaded one). Charts must
render, the console stay clean, and nothing be fetched but the file itself.

Locally the test is skipped when Chromium or Playwright is missing; in CI (``CI`` set) it fails
instead, since ``.ci/run`` installs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.test_report import make_workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {' and '.join(missing)}: .ci/run installs them")
        pytest.skip(f"needs {' and '.join(missing)}")


def open_in_chromium(path: Path, shot: Path, *, wait_for: str | None, count: int = 0) -> dict:
    """Open ``path``; wait for ``count`` elements ``wait_for``; record console errors, page
    errors and requests; save a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri(), wait_until="load")
            if wait_for:
                page.wait_for_function(f"document.querySelectorAll({wait_for!r}).length >= {count}",
                                       timeout=30_000)
            info = page.evaluate("""() => ({
                plots: document.querySelectorAll('.js-plotly-plot').length,
                drawn: [...document.querySelectorAll('.js-plotly-plot')]
                          .filter(d => d.querySelector('svg.main-svg, canvas')).length,
                points: document.querySelectorAll('.js-plotly-plot .scatterlayer .point').length,
                bars: document.querySelectorAll('svg.bar').length,
                title: document.title,
            })""")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    info["errors"] = errors
    info["requests"] = [u for u in requests if not u.startswith(("data:", "blob:"))]
    return info


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    _need_browser()
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def test_report_renders_offline_in_chromium(workspace, tmp_path):
    from xuanba.outputs.report import write_report

    report = write_report(workspace, "latest", tmp_path / "report.html", lang="zh")
    n_plots = report.read_text("utf-8").count("Plotly.newPlot(")
    assert n_plots >= 6  # tiers, quadrants, whale, scores, movers, migration
    shot = tmp_path / "report.png"
    info = open_in_chromium(report, shot, wait_for=".js-plotly-plot .main-svg", count=n_plots)
    assert info["errors"] == []
    assert info["requests"] == [report.resolve().as_uri()]
    assert info["plots"] == n_plots and info["drawn"] == n_plots
    assert info["points"] > 100  # the scatter drew its customers
    assert info["title"].startswith("第 2 轮选拔")
    assert shot.stat().st_size > 50_000


def test_statement_renders_offline_in_chromium(workspace, tmp_path):
    from xuanba.outputs.statements import write_statements
    from xuanba.rounds import load_round

    rnd = load_round(workspace, 2)
    cid = rnd.roster.iloc[10]["customer_id"]
    [page] = write_statements(workspace, 2, tmp_path, customers=[cid], lang="zh")
    shot = tmp_path / "statement.png"
    info = open_in_chromium(page, shot, wait_for=None)
    public = [c for c in rnd.standard.criteria if not c.private]
    assert info["errors"] == []
    assert info["requests"] == [page.resolve().as_uri()]
    assert info["bars"] == len(public)
    assert cid in info["title"]
    assert shot.stat().st_size > 20_000


@pytest.mark.slow
def test_big_round_scatter_draws_with_webgl(tmp_path):
    """Above 5,000 points the scatter is a WebGL canvas: it must draw in headless chromium too."""
    _need_browser()
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.report import build_report

    path = tmp_path / "big.html"
    path.write_text(build_report(synthetic_round(30_000, seed=5), max_points=20_000), "utf-8")
    info = open_in_chromium(path, tmp_path / "big.png", wait_for="#fig-quadrants canvas", count=1)
    assert info["errors"] == [] and info["requests"] == [path.resolve().as_uri()]
    assert info["drawn"] == info["plots"] >= 4
