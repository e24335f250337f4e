"""The report and a statement as a person sees them: opened from disk in Debian's headless
Chromium (driven by Playwright with the system browser, never a downloaded one). Charts must
render, the console stay clean, and nothing be fetched but the file itself. Issue 13: screenshots
of the zh and en report, two statements and an account sheet are checked for names and owners, no
raw field names on customer pages, no empty tier drawn or offered, a working search, owner filter
and pager, and axis titles whose boxes clear the chart title and legend.

Locally the test is skipped when Chromium or Playwright is missing; in CI (``CI`` set) it fails
instead, since ``.ci/run`` installs them. The file's tests share one browser (the ``chromium``
fixture of tests/browser/conftest.py), each page in a context of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.chromium import need_browser
from tests.test_report import make_workspace


def open_in_chromium(browser, path: Path, shot: Path, *, wait_for: str | None, count: int = 0) -> dict:  # noqa: ANN001
    """Open ``path`` in a context of its own of ``browser`` (the ``chromium`` fixture); wait for
    ``count`` elements ``wait_for``; record console errors, page errors and requests; save a
    full-page screenshot."""
    errors: list[str] = []
    requests: list[str] = []
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = ctx.new_page()
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
        ctx.close()
    info["errors"] = errors
    info["requests"] = [u for u in requests if not u.startswith(("data:", "blob:"))]
    return info


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    need_browser()
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def test_report_renders_offline_in_chromium(chromium, workspace, tmp_path):
    from xuanba.outputs.report import write_report

    report = write_report(workspace, "latest", tmp_path / "report.html", lang="zh")
    n_plots = report.read_text("utf-8").count("Plotly.newPlot(")
    assert n_plots >= 6  # tiers, quadrants, whale, scores, movers, migration
    shot = tmp_path / "report.png"
    info = open_in_chromium(chromium, report, shot, wait_for=".js-plotly-plot .main-svg", count=n_plots)
    assert info["errors"] == []
    assert info["requests"] == [report.resolve().as_uri()]
    assert info["plots"] == n_plots and info["drawn"] == n_plots
    assert info["points"] > 100  # the scatter drew its customers
    assert info["title"].startswith("第 2 轮选拔")
    assert shot.stat().st_size > 50_000


def test_statement_renders_offline_in_chromium(chromium, workspace, tmp_path):
    from xuanba.outputs.statements import write_statements
    from xuanba.rounds import load_round

    rnd = load_round(workspace, 2)
    cid = rnd.roster.iloc[10]["customer_id"]
    [page] = write_statements(workspace, 2, tmp_path, customers=[cid], lang="zh")
    shot = tmp_path / "statement.png"
    info = open_in_chromium(chromium, page, shot, wait_for=None)
    public = [c for c in rnd.standard.criteria if not c.private]
    assert info["errors"] == []
    assert info["requests"] == [page.resolve().as_uri()]
    assert info["bars"] == len(public)
    assert cid in info["title"]
    assert shot.stat().st_size > 20_000


@pytest.mark.slow
def test_big_round_scatter_draws_with_webgl(chromium, tmp_path):
    """Above 5,000 points the scatter is a WebGL canvas: it must draw in headless chromium too."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.report import build_report

    path = tmp_path / "big.html"
    path.write_text(build_report(synthetic_round(30_000, seed=5), max_points=20_000), "utf-8")
    info = open_in_chromium(chromium, path, tmp_path / "big.png", wait_for="#fig-quadrants canvas", count=1)
    assert info["errors"] == [] and info["requests"] == [path.resolve().as_uri()]
    assert info["drawn"] == info["plots"] >= 4


# -- issue 13: people, not ids, as a person sees the pages ---------------------------------------
#: A customer's name that tries to end the page's script or open a comment (it must show as text).
HOSTILE = "</script><!--Evil & <b>Co</b>"
#: Raw field names a customer page must not show (the standard's and the facts' column names).
RAW_FIELD = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def people_workspace(path: Path) -> Path:
    """300 customers with names and owners (one hostile name), side tables for keep-warm and the
    sheet, and two rounds of the starter standard with room for 30 accounts, so tier C, reached
    by nobody, is what the roster stores as the next tier of those left out. No currency."""
    import numpy as np
    import pandas as pd

    from tests._helpers import store
    from xuanba import Workspace
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.rounds import run_round
    from xuanba.standard import starter_standard

    rng = np.random.default_rng(13)
    n = 300
    cust = np.array([f"K{i:04d}" for i in range(n)])
    cid = np.repeat(cust, rng.integers(1, 12, n))
    amount = np.round(rng.lognormal(5, 1, len(cid)), 2)
    tx = pd.DataFrame({"customer_id": cid, "amount": amount,
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, len(cid)), unit="D"),
                       "cost": np.round(amount * rng.uniform(0.5, 1.1, len(cid)), 2)})
    side = make_side_tables(cust.tolist(), seed=13, start="2025-01-01", end="2026-06-30")
    side["customers"].loc[side["customers"]["customer_id"] == "K0007", "name"] = HOSTILE
    std = starter_standard("en").replace("max_accounts = 500", "max_accounts = 30")
    with Workspace(path) as ws:
        store(ws, "transactions", tx)
        for kind in ("customers", "interactions", "commitments", "resources", "needs"):
            store(ws, kind, side[kind])
        for seed, cutoff in ((1, "2026-01-31"), (2, "2026-06-30")):
            r = np.random.default_rng(seed)
            preds = pd.DataFrame({"customer_id": cust, "clv_3y": np.round(r.lognormal(6, 1, n), 2),
                                  "p_alive": np.round(r.uniform(0.3, 1, n), 3)})
            run_round(ws, std, cutoff, predictions=preds)
    return path


def overlaps(a: dict, b: dict) -> bool:
    """Whether two bounding boxes (x, y, width, height) share any area (1 px of slack)."""
    return (a["x"] + a["width"] > b["x"] + 1 and b["x"] + b["width"] > a["x"] + 1
            and a["y"] + a["height"] > b["y"] + 1 and b["y"] + b["height"] > a["y"] + 1)


def inspect_page(browser, path: Path, shot: Path, script) -> dict:  # noqa: ANN001
    """Open ``path`` in a context of its own of ``browser``, run ``script(page)`` (returns a
    dict), save a full screenshot."""
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri(), wait_until="load")
        info = script(page)
        page.screenshot(path=str(shot), full_page=True)
    finally:
        ctx.close()
    info["errors"] = errors
    return info


BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(div => {
    const box = e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; };
    const svg = div.querySelector('svg.main-svg');
    const titles = [...div.querySelectorAll('.g-xtitle text, .g-x2title text, .g-ytitle text, .g-y2title text')]
        .filter(e => e.textContent.trim()).map(e => ({text: e.textContent, box: box(e)}));
    const top = div.querySelector('.g-gtitle text');
    const legend = div.querySelector('.legend');
    return {id: div.id, svg: box(svg), title: top ? box(top) : null, axes: titles,
            legend: legend ? box(legend) : null,
            ticks: [...div.querySelectorAll('.xtick text')].map(e => e.textContent)};
})"""


@pytest.fixture(scope="module")
def people_ws(tmp_path_factory):
    need_browser()
    return people_workspace(tmp_path_factory.mktemp("people") / "ws.duckdb")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_names_people_and_keeps_charts_readable(chromium, people_ws, tmp_path, lang):
    """Issue 13: the report lists the selected customers by name with their owners (searchable,
    by owner), draws no empty tier, and no axis title runs into a chart's title or out of it."""
    from xuanba.outputs.report import write_report
    from xuanba.rounds import load_round

    rnd = load_round(people_ws, "latest")
    people = rnd.fields.set_index("customer_id")
    sel = rnd.roster[rnd.roster["selected"]].sort_values("rank")
    empty = [t.label for t in rnd.standard.tiers if not (rnd.roster["tier"] == t.name).any()]
    assert empty  # the round must have a tier nobody reached, or the check below proves nothing
    first, hostile_in = sel["customer_id"].iloc[0], "K0007" in set(sel["customer_id"])
    owner = people.loc[first, "owner"]
    report = write_report(people_ws, "latest", tmp_path / f"report-{lang}.html", lang=lang)

    def look(page):  # noqa: ANN001, ANN202
        n_plots = report.read_text("utf-8").count("Plotly.newPlot(")
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_plots}")
        out = {"text": page.inner_text("body"), "boxes": page.evaluate(BOXES)}
        first_rows = "() => [...document.querySelectorAll('#selection .xb-rows tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
        page.fill("#xb-q", people.loc[first, "name"])
        out["searched"] = page.evaluate(first_rows)
        page.fill("#xb-q", "")
        page.select_option("#xb-owner", label=owner)
        out["by_owner"] = page.evaluate(first_rows)
        if hostile_in:
            page.fill("#xb-q", "evil")
            out["hostile"] = page.evaluate(first_rows)
        page.select_option("#xb-owner", value="")
        page.fill("#xb-q", "")
        page.click("#owners tbody tr:first-child")  # a row of the per-owner view picks that owner
        out["clicked"] = page.evaluate("() => [document.querySelector('#owners tbody tr').cells[0].textContent,"
                                       " document.querySelector('#xb-owner').selectedOptions[0].textContent]")
        return out

    info = inspect_page(chromium, report, tmp_path / f"report-{lang}.png", look)
    assert info["errors"] == []
    text = info["text"]
    assert people.loc[first, "name"] in text and owner in text  # names and owners, not just ids
    assert info["searched"][0][:2] == [first, people.loc[first, "name"]]
    assert info["by_owner"] and all(row[2] == owner for row in info["by_owner"])
    assert info["clicked"][0] == info["clicked"][1]
    if hostile_in:
        assert info["hostile"][0][1] == HOSTILE  # shown as written, never run as markup
    boxes = {b["id"]: b for b in info["boxes"]}
    assert not set(empty) & set(boxes["fig-tiers"]["ticks"])  # no empty bar for a tier nobody reached
    standard = text[text.rindex("选拔标准（通俗说明）" if lang == "zh" else "The standard, in plain words"):]
    assert not RAW_FIELD.findall(standard), RAW_FIELD.findall(standard)  # words, not expressions
    for b in info["boxes"]:
        for axis in b["axes"]:
            assert not overlaps(axis["box"], b["title"]), (lang, b["id"], axis["text"])
            svg, box = b["svg"], axis["box"]
            assert box["y"] >= svg["y"] - 1 and box["y"] + box["height"] <= svg["y"] + svg["height"] + 1, \
                (lang, b["id"], axis["text"])  # not clipped
            if b["legend"]:
                assert not overlaps(box, b["legend"]), (lang, b["id"], axis["text"])
    assert shot_ok(tmp_path / f"report-{lang}.png")


def shot_ok(path: Path) -> bool:
    return path.stat().st_size > 50_000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_statements_and_sheet_speak_to_the_customer_by_name(chromium, people_ws, tmp_path, lang):
    """Two statements (a selected customer; one left out whose stored next tier is empty) and an
    account sheet: addressed by name, no raw field names, no empty tier offered."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.outputs.statements import write_statements
    from xuanba.rounds import load_round

    rnd = load_round(people_ws, "latest")
    people = rnd.fields.set_index("customer_id")
    roster = rnd.roster
    empty = {t.name: t.label for t in rnd.standard.tiers if not (roster["tier"] == t.name).any()}
    chosen = roster.loc[roster["selected"], "customer_id"].iloc[0]
    # the round itself never names a tier nobody reached as the next one up (its bar leads nowhere)
    assert empty and not roster["next_tier"].isin(empty).any()
    left = roster.loc[~roster["selected"], "customer_id"].iloc[0]
    pages = write_statements(people_ws, "latest", tmp_path / "st", customers=[chosen, left], lang=lang)
    for cid, page in zip((chosen, left), pages, strict=True):
        info = inspect_page(chromium, page, tmp_path / f"{page.stem}.png", lambda p: {"text": p.inner_text("body")})
        text = info["text"]
        assert info["errors"] == []
        assert people.loc[cid, "name"] in text and people.loc[cid, "owner"] in text
        assert ("尊敬的" if lang == "zh" else "Dear ") in text
        assert not RAW_FIELD.findall(text), RAW_FIELD.findall(text)
        assert not any(label in text.split("\n\n")[0] for label in empty.values())
        moving = text[text.index("如何进入更高层级" if lang == "zh" else "What would move you up"):]
        moving = moving[:moving.index("选拔标准" if lang == "zh" else "The standard, in plain words")]
        assert not any(label in moving for label in empty.values()), moving
    sheet = tmp_path / "sheet.html"
    res = CliRunner().invoke(app, ["sheet", left, "--lang", lang, "--out", str(sheet), "-w", str(people_ws)])
    assert res.exit_code == 0, res.output
    info = inspect_page(chromium, sheet, tmp_path / "sheet.png", lambda p: {"text": p.inner_text("body")})
    assert info["errors"] == []
    for col in ("name", "owner", "segment", "region"):
        assert str(people.loc[left, col]) in info["text"], col
    assert not RAW_FIELD.findall(info["text"]), RAW_FIELD.findall(info["text"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_axis_title_runs_into_a_title_or_legend(chromium, tmp_path, lang):
    """Every chart the report can draw (model fit included), in both languages: each axis title's
    box stays inside the figure and clear of the chart title and the legend."""
    import pandas as pd

    from tests.test_report import make_diff
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.report import build_report

    r = synthetic_round(800, seed=9)
    holdout = pd.DataFrame({"bucket": ["0", "1", "2", "3+"], "customers": [400, 200, 120, 80],
                            "actual": [0.2, 0.9, 1.7, 3.1], "predicted": [0.25, 0.8, 1.9, 2.8]})
    path = tmp_path / "all.html"
    path.write_text(build_report(r, lang=lang, diff=make_diff(synthetic_round(800, seed=10), r),
                                 previous_id="r0", holdout=holdout), "utf-8")

    def look(page):  # noqa: ANN001, ANN202
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7")
        out = {"boxes": page.evaluate(BOXES)}
        ranks = "() => [...document.querySelectorAll('#selection details[open] tbody tr')].map(r => r.cells[3].textContent)"
        out["page1"] = page.evaluate(ranks)
        page.click("#selection details[open] .xb-pager button:last-child")  # next page
        out["page2"] = page.evaluate(ranks)
        return out

    info = inspect_page(chromium, path, tmp_path / "all.png", look)
    assert info["errors"] == []
    gold = r.roster[r.roster["tier"] == "gold"].sort_values("rank")["rank"].tolist()
    assert len(gold) > 50  # so that there is a second page of 25
    assert info["page1"] == [f"{k:,}" for k in gold[:25]] and info["page2"] == [f"{k:,}" for k in gold[25:50]]
    ids = {b["id"] for b in info["boxes"]}
    assert {"fig-model", "fig-tiers", "fig-movers"} <= ids
    for b in info["boxes"]:
        assert b["title"] and b["axes"], b["id"]
        for axis in b["axes"]:
            box, svg = axis["box"], b["svg"]
            assert not overlaps(box, b["title"]), (b["id"], axis["text"])
            assert box["y"] >= svg["y"] - 1 and box["y"] + box["height"] <= svg["y"] + svg["height"] + 1
            assert box["x"] >= svg["x"] - 1 and box["x"] + box["width"] <= svg["x"] + svg["width"] + 1
            if b["legend"]:
                assert not overlaps(box, b["legend"]), (b["id"], axis["text"])
