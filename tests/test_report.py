"""The round report: self-contained HTML, exact headline figures, charts with titles and axes,
downsampling that keeps exact tables, zh/en, and the `report` command.

Rounds come from ``xuanba.outputs._synthetic`` (random customers with a fixed seed) behind a
stand-in of ``xuanba.rounds`` (``stub_rounds``), so the checks compare the HTML with figures
recomputed here by brute force.
"""

from __future__ import annotations

import json
import re
import sys
import types

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.errors import InputError, WorkspaceError
from xuanba.outputs import charts
from xuanba.outputs._synthetic import synthetic_round
from xuanba.outputs.report import build_report, write_report
from xuanba.workspace import Workspace


# -- a stand-in for xuanba.rounds over synthetic rounds ------------------------------------
def make_diff(a, b):
    """RoundDiff-like object between two rounds, computed by brute force."""
    ra = a.roster.set_index("customer_id")
    rb = b.roster.set_index("customer_id")
    ids = sorted(set(ra.index) | set(rb.index))
    ch = pd.DataFrame({"customer_id": ids})
    ch["tier_a"] = ch["customer_id"].map(ra["tier"]).fillna("")
    ch["tier_b"] = ch["customer_id"].map(rb["tier"]).fillna("")
    ch["rank_a"] = ch["customer_id"].map(ra["rank"])
    ch["rank_b"] = ch["customer_id"].map(rb["rank"])
    sel_a, sel_b = ch["tier_a"] != "", ch["tier_b"] != ""
    ch["status"] = np.select(
        [~sel_a & sel_b, sel_a & ~sel_b, ch["rank_b"] < ch["rank_a"], ch["rank_b"] > ch["rank_a"]],
        ["entered", "left", "rose", "fell"], "same")
    mig = pd.crosstab(ch["tier_a"], ch["tier_b"])
    rho = float(ch[["rank_a", "rank_b"]].corr(method="spearman").iloc[0, 1])
    return types.SimpleNamespace(changes=ch, migration=mig, rank_correlation=rho)


@pytest.fixture
def stub_rounds(monkeypatch):
    """Install a stand-in ``xuanba.rounds`` holding the rounds put in the returned dict."""
    store: dict[str, object] = {}
    mod = types.ModuleType("xuanba.rounds")
    mod.list_rounds = lambda ws: pd.DataFrame({"round_id": list(store)})
    mod.load_round = lambda ws, rid: store[rid]
    mod.diff_rounds = lambda ws, a, b: make_diff(store[a], store[b])
    monkeypatch.setitem(sys.modules, "xuanba.rounds", mod)
    return store


@pytest.fixture
def two_rounds(stub_rounds, tmp_path):
    stub_rounds["r1"] = synthetic_round(600, seed=1, round_id="r1")
    stub_rounds["r2"] = synthetic_round(600, seed=2, round_id="r2", currency="USD")
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).close()
    return ws, stub_rounds


def visible_text(html: str) -> str:
    body = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def decode(arr):
    """A Plotly array: a plain list, or the base64 ``bdata`` form Plotly uses for numpy arrays."""
    if isinstance(arr, dict):
        import base64

        out = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        return out.reshape([int(x) for x in arr["shape"].split(",")]) if "shape" in arr else out
    return np.asarray(arr)


def figure_json(html: str, div_id: str) -> tuple[list, dict]:
    """The data and layout that Plotly.newPlot receives for one div."""
    m = re.search(r'Plotly\.newPlot\(\s*"' + div_id + r'",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{"displaylogo"', html, re.S)
    assert m, f"no figure {div_id}"
    return json.loads(m.group(1)), json.loads(m.group(2))


# -- the HTML file ----------------------------------------------------------------------------
def test_report_is_self_contained_with_plotly_inlined_once():
    html = build_report(synthetic_round(500, seed=3))
    assert html.count("Plotly.newPlot(") >= 4
    # one copy of plotly.js: its licence banner appears once
    assert len(re.findall(r"\* plotly\.js v\d", html)) == 1
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html)
    assert "Noto Sans CJK SC" in html and "Microsoft YaHei" in html


def test_report_is_deterministic():
    r = synthetic_round(800, seed=4)
    assert build_report(r, lang="zh") == build_report(r, lang="zh")


def test_headline_figures_match_brute_force():
    r = synthetic_round(20_000, seed=5)
    html = visible_text(build_report(r))
    roster, facts = r.roster, r.facts.set_index("customer_id")
    sel = roster["tier"] != ""
    value = roster["customer_id"].map(facts["margin_365d"])
    share = 100 * value[sel].sum() / value.sum()
    n_sel = int(sel.sum())
    top = set(roster.loc[value.sort_values(ascending=False).index[:n_sel], "customer_id"])
    coverage = 100 * roster.loc[sel, "customer_id"].isin(top).mean()
    lift = value[sel].mean() / value.mean()
    assert "20,000" in html
    assert f"{n_sel:,}" in html
    assert f"{share:,.1f}%" in html
    assert f"{coverage:,.1f}%" in html
    assert f"{lift:,.1f}× average" in html
    assert f"¥{value.sum():,.0f}" in html  # CNY from meta, thousands separators


def test_tier_table_counts_and_value_are_exact():
    r = synthetic_round(3_000, seed=6)
    html = visible_text(build_report(r))
    facts = r.facts.set_index("customer_id")["margin_365d"]
    for tier, label in (("gold", "Gold"), ("silver", "Silver"), ("", "Not selected")):
        part = r.roster[r.roster["tier"] == tier]
        v = part["customer_id"].map(facts).sum()
        money = f"¥{v:,.0f}" if v >= 0 else f"-¥{abs(v):,.0f}"
        assert re.search(rf"{label} {len(part):,} [\d.]+% {re.escape(money)} ", html), label


def test_whale_reading_matches_cumulative_profit():
    r = synthetic_round(5_000, seed=7)
    html = visible_text(build_report(r))
    profit = np.sort(r.facts["margin_365d"].to_numpy())[::-1]
    cum = 100 * np.cumsum(profit) / profit.sum()
    k = int(cum.argmax())
    assert f"The top {100 * (k + 1) / len(profit):,.1f}% of customers earn {cum[k]:,.1f}% of profit" in html


def test_scatter_is_downsampled_by_stratum_and_tables_stay_exact():
    r = synthetic_round(50_000, seed=8)
    html = build_report(r, max_points=20_000)
    data, layout = figure_json(html, "fig-quadrants")
    drawn = {tr["name"]: len(tr["text"]) for tr in data}
    assert 19_000 <= sum(drawn.values()) <= 20_000
    full = r.roster["quadrant"].value_counts()
    for q, n in full.items():  # proportions kept within one point per stratum (quadrant x tier)
        assert abs(drawn[q] - 20_000 * n / 50_000) <= 4
        assert f"<td>{q}</td><td class=\"n\">{n:,}</td>" in html
    assert "stratified sample of 20,000 of 50,000" in html or "stratified sample of 19," in html
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    labels = {a["text"] for a in layout["annotations"]}
    assert {f"<b>{q}</b>" for q in full.index} <= labels


def test_every_chart_has_title_axis_labels_and_a_reading():
    r = synthetic_round(1_000, seed=9)
    html = build_report(r, diff=make_diff(synthetic_round(1_000, seed=10), r), previous_id="r0",
                        holdout=pd.DataFrame({"bucket": [0, 1, 2], "actual": [0.2, 0.9, 1.7],
                                              "predicted": [0.25, 0.8, 1.9]}))
    ids = re.findall(r'Plotly\.newPlot\(\s*"([\w-]+)"', html)
    assert set(ids) == {"fig-tiers", "fig-quadrants", "fig-whale", "fig-scores", "fig-movers",
                        "fig-migration", "fig-model"}
    for div in ids:
        _, layout = figure_json(html, div)
        assert layout["title"]["text"], div
        for axis in ("xaxis", "yaxis"):
            assert layout[axis]["title"]["text"], (div, axis)
        assert layout["separators"] == ".,"
    readings = re.findall(r'<p class="reading">(.*?)</p>', html)
    assert len(readings) >= len(ids) and all(x.strip() for x in readings)
    _, lay = figure_json(html, "fig-tiers")
    assert lay["yaxis2"]["title"]["text"] == "Margin, last 365 days (¥ CNY)"


def test_movers_and_migration_match_the_diff():
    a, b = synthetic_round(2_000, seed=11), synthetic_round(2_000, seed=12)
    diff = make_diff(a, b)
    html = build_report(b, diff=diff, previous_id="r1")
    text = visible_text(html)
    st = diff.changes["status"].value_counts()
    assert f"{st['entered']:,} entered and {st['left']:,} left the selection" in text
    assert f"rank correlation with the previous round {diff.rank_correlation:,.3f}" in text
    ch = diff.changes.assign(d=diff.changes["rank_a"] - diff.changes["rank_b"])
    best = ch.sort_values(["d", "customer_id"], ascending=[False, True]).iloc[0]
    worst = ch.sort_values(["d", "customer_id"], ascending=[True, True]).iloc[0]
    data, _ = figure_json(html, "fig-movers")
    assert best["customer_id"] in data[0]["y"] and worst["customer_id"] in data[0]["y"]
    assert f"+{int(best['d']):,}" in text and f"{int(worst['d']):,}" in text
    data, _ = figure_json(html, "fig-migration")
    z = decode(data[0]["z"])
    assert z.shape == diff.migration.shape and z.sum() == len(diff.changes)
    stay = sum(diff.migration.loc[k, k] for k in diff.migration.index if k in diff.migration.columns)
    assert f"{100 * stay / len(diff.changes):,.1f}% of customers kept their tier" in text


def test_first_round_says_there_is_nothing_to_compare():
    html = visible_text(build_report(synthetic_round(300, seed=13)))
    assert "This is the first round" in html


def test_chinese_report_reads_in_chinese():
    html = build_report(synthetic_round(400, seed=14), lang="zh")
    assert '<html lang="zh-CN">' in html
    text = visible_text(html)
    for phrase in ("核心数字", "各层级人数与价值", "价值 × 潜力矩阵", "鲸鱼曲线", "得分分布", "选拔标准（通俗说明）", "未入选"):
        assert phrase in text
    assert "Not selected" not in text and "Headline figures" not in text
    _, layout = figure_json(html, "fig-scores")
    assert layout["xaxis"]["title"]["text"] == "得分（0–100）"


def test_currency_comes_from_round_meta():
    text = visible_text(build_report(synthetic_round(300, seed=15, currency="EUR")))
    assert "€" in text and "¥" not in text


def test_unknown_language_is_a_clear_error():
    with pytest.raises(InputError, match="--lang en or --lang zh"):
        build_report(synthetic_round(50, seed=1), lang="fr")


def test_stratified_sample_keeps_small_groups():
    df = pd.DataFrame({"g": ["big"] * 9_990 + ["tiny"] * 10, "x": range(10_000)})
    s = charts.stratified_sample(df, ["g"], 100, seed=1)
    assert s["g"].value_counts().to_dict() == {"big": 99, "tiny": 1}
    assert s.equals(charts.stratified_sample(df, ["g"], 100, seed=1))


# -- workspace and command --------------------------------------------------------------------
def test_write_report_resolves_latest_and_compares_with_previous(two_rounds, tmp_path):
    ws, store = two_rounds
    path = write_report(ws, "latest", tmp_path / "out" / "r.html", lang="en")
    text = visible_text(path.read_text("utf-8"))
    assert "Round r2" in text and "Biggest movers since round r1" in text
    assert "$" in text  # r2 is in USD


def test_write_report_unknown_round_lists_the_known_ones(two_rounds):
    ws, _ = two_rounds
    with pytest.raises(WorkspaceError, match="no round 'r9'") as err:
        write_report(ws, "r9", None)
    assert err.value.examples == ["r1", "r2"]


def test_report_command(two_rounds, tmp_path):
    ws, _ = two_rounds
    out = tmp_path / "rep.html"
    res = CliRunner().invoke(app, ["report", "r1", "--out", str(out), "--lang", "zh", "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["report"] == str(out)
    assert "第 r1 轮选拔" in out.read_text("utf-8")
    assert "This is the first round" not in out.read_text("utf-8")


def test_report_command_errors_are_clean(two_rounds, tmp_path):
    ws, _ = two_rounds
    res = CliRunner().invoke(app, ["report", "nope", "-w", str(ws), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == WorkspaceError.exit_code
    assert "no round 'nope'" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["report", "r1", "--lang", "fr", "-w", str(ws), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == InputError.exit_code and "--lang en or --lang zh" in res.output
