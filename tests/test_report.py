"""The round report: self-contained HTML, exact headline figures, charts with titles and axes,
downsampling that keeps exact tables, zh/en, and the `report` command.

Rounds come from ``xuanba.outputs._synthetic`` (random customers with a fixed seed) behind a
stand-in of ``xuanba.rounds`` (``stub_rounds``), so the checks compare the HTML with figures
recomputed here by brute force.
"""

from __future__ import annotations

import html as html_module
import json
import re
import types

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
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


def make_workspace(path):
    """A real workspace: 300 customers' transactions (with costs) and two stored rounds of the
    starter standard (CNY; its margin criterion is private), predictions given with a fixed seed."""
    from xuanba.rounds import run_round
    from xuanba.standard import starter_standard

    rng = np.random.default_rng(3)
    n = 300
    cust = np.array([f"K{i:04d}" for i in range(n)])
    cid = np.repeat(cust, rng.integers(1, 12, n))
    amount = np.round(rng.lognormal(5, 1, len(cid)), 2)
    tx = pd.DataFrame({
        "customer_id": cid,
        "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, len(cid)), unit="D"),
        "amount": amount,
        "cost": np.round(amount * rng.uniform(0.5, 1.1, len(cid)), 2),
    })
    std = starter_standard("en").replace('currency = ""', 'currency = "CNY"')
    with Workspace(path) as ws:
        store(ws, "transactions", tx)
        for seed, cutoff in ((1, "2026-01-31"), (2, "2026-06-30")):
            r = np.random.default_rng(seed)
            preds = pd.DataFrame({"customer_id": cust, "clv_3y": np.round(r.lognormal(6, 1, n), 2),
                                  "p_alive": np.round(r.uniform(0, 1, n), 3)})
            run_round(ws, std, cutoff, predictions=preds)
    return path


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def visible_text(html: str) -> str:
    body = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body)))


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
    roster, facts = r.roster, r.fields.set_index("customer_id")
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
    facts = r.fields.set_index("customer_id")["margin_365d"]
    for tier, label in (("gold", "Gold"), ("silver", "Silver"), ("", "Not selected")):
        part = r.roster[r.roster["tier"] == tier]
        v = part["customer_id"].map(facts).sum()
        money = f"¥{v:,.0f}" if v >= 0 else f"-¥{abs(v):,.0f}"
        assert re.search(rf"{label} {len(part):,} [\d.]+% {re.escape(money)} ", html), label


def test_whale_reading_matches_cumulative_profit():
    r = synthetic_round(5_000, seed=7)
    html = visible_text(build_report(r))
    profit = np.sort(r.fields["margin_365d"].to_numpy())[::-1]
    cum = 100 * np.cumsum(profit) / profit.sum()
    k = int(cum.argmax())
    assert f"The top {100 * (k + 1) / len(profit):,.1f}% of customers earn {cum[k]:,.1f}% of profit" in html


def test_scatter_is_downsampled_by_stratum_and_tables_stay_exact():
    r = synthetic_round(50_000, seed=8)
    html = build_report(r, max_points=20_000)
    data, layout = figure_json(html, "fig-quadrants")
    drawn = {tr["name"]: len(tr["text"]) for tr in data}
    assert {tr["type"] for tr in data} == {"scattergl"}  # WebGL above 5,000 points, SVG below
    small, _ = figure_json(build_report(synthetic_round(400, seed=8)), "fig-quadrants")
    assert {tr["type"] for tr in small} == {"scatter"}
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


# -- workspace and command (real stored rounds) ---------------------------------------------
def test_write_report_resolves_latest_and_compares_with_previous(real_ws, tmp_path):
    from xuanba.rounds import diff_rounds

    path = write_report(real_ws, "latest", tmp_path / "out" / "r.html", lang="en")
    html = path.read_text("utf-8")
    text = visible_text(html)
    assert "Round 2: value-potential" in text and "Biggest movers since round 1" in text
    d = diff_rounds(real_ws, 1, 2)
    st = d.changes["status"].value_counts()
    assert f"{st.get('entered', 0):,} entered and {st.get('left', 0):,} left the selection" in text
    assert "(not selected)" not in text and "Not a customer then" in text  # tier labels, not codes
    # value from the facts at the cutoff: margin over 365 days, in CNY
    from xuanba.facts import customer_facts

    with Workspace(real_ws, read_only=True) as ws:
        facts = customer_facts(ws, "2026-06-30")
    assert f"¥{facts['margin_365d'].sum():,.0f}" in text
    assert {"fig-whale", "fig-movers", "fig-migration", "fig-quadrants"} <= set(re.findall(r'newPlot\(\s*"([\w-]+)"', html))
    for q in ("stars", "at_risk", "rising", "others"):
        assert f"<b>{q}</b>" in html or q not in text


def test_write_report_unknown_round_is_a_clean_error(real_ws):
    with pytest.raises(WorkspaceError, match="no round 9"):
        write_report(real_ws, "9", None)


def test_report_command(real_ws, tmp_path):
    out = tmp_path / "rep.html"
    res = CliRunner().invoke(app, ["report", "1", "--out", str(out), "--lang", "zh", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["report"] == str(out)
    html = out.read_text("utf-8")
    assert "第 1 轮选拔" in html and "这是第一轮选拔" in html


def test_report_command_errors_are_clean(real_ws, tmp_path):
    res = CliRunner().invoke(app, ["report", "nope", "-w", str(real_ws), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == WorkspaceError.exit_code
    assert "'nope' is not a round id" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["report", "1", "--lang", "fr", "-w", str(real_ws), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == InputError.exit_code and "--lang en or --lang zh" in res.output


def test_report_value_is_profit_after_cost_to_serve_when_interactions_exist(tmp_path):
    """Issue 6: with interactions in the workspace, a round values customers by profit after
    cost-to-serve (the account view), and its report's whale curve is that profit's. A round
    stored before the interactions were loaded keeps the value it stored (margin)."""
    from xuanba.accounts.stored import workspace_account_fields
    from xuanba.rounds import load_round, run_round

    path = make_workspace(tmp_path / "ws.duckdb")
    with Workspace(path) as ws:
        ids = ws.sql("SELECT DISTINCT customer_id FROM transactions ORDER BY 1")["customer_id"]
        visits = pd.DataFrame({"customer_id": ids.to_numpy(), "ts": pd.Timestamp("2026-03-01"),
                               "kind": "visit", "minutes": 20.0})
        store(ws, "interactions", visits)
        profit = workspace_account_fields(ws, as_of="2026-06-30")["profit_365d"]
        before = load_round(ws, 2)
        run_round(ws, before.standard, "2026-06-30", predictions=before.fields[["customer_id", "clv_3y", "p_alive"]])
    old = visible_text(write_report(path, "2", tmp_path / "old.html").read_text("utf-8"))
    assert "Profit after cost-to-serve" not in old and "Margin" in old
    text = visible_text(write_report(path, "latest", tmp_path / "r.html").read_text("utf-8"))
    assert "Profit after cost-to-serve, last 365 days" in text
    assert f"¥{profit.sum():,.0f}" in text
    p = np.sort(profit.to_numpy())[::-1]
    cum = 100 * np.cumsum(p) / p.sum()
    k = int(cum.argmax())
    assert f"earn {cum[k]:,.1f}% of profit" in text


def test_round_keeps_its_models_and_the_report_shows_them(test_data, tmp_path):
    """A round that fits the models stores their estimates (meta["models"]); the report prints
    them in the papers' parameter order with log-scale 95% intervals."""
    from xuanba.models import BGNBD
    from xuanba.rounds import load_round, run_round
    from xuanba.standard import starter_standard

    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
        run_round(ws, starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'), "1997-09-30")
        models = load_round(ws, "latest").meta["models"]
    assert models["purchases"]["model"] == "BGNBD" and models["spend"]["model"] == "GammaGamma"
    # the calibration facts of CDNOW give the published BG/NBD fit (FHL 2005): r = 0.243 ...
    assert models["purchases"]["params"]["r"] == pytest.approx(0.243, abs=5e-4)
    assert models["purchases"]["loglik"] == pytest.approx(-9582.4, abs=0.1)
    assert models["purchases"]["param_names"] == list(BGNBD.param_names)
    text = visible_text(write_report(path, "latest", tmp_path / "r.html").read_text("utf-8"))
    assert "The models behind the predictions" in text
    i = text.index("The models behind the predictions")
    order = [text.index(f"BGNBD {p} ", i) for p in BGNBD.param_names]
    assert order == sorted(order)
    assert "-9,582.43" in text


def test_report_checks_the_model_on_the_year_before_the_cutoff(test_data, tmp_path):
    """The model-fit view: BG/NBD fitted a year before the round's cutoff, its forecast of the last
    year against the actual purchases by calibration frequency — evaluate()'s own table, stored by
    the round; the report's error is weighted by customers."""
    from xuanba.models.evaluate import evaluate
    from xuanba.rounds import load_round, run_round
    from xuanba.standard import starter_standard

    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
        run_round(ws, starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'), "1997-09-30")  # a year before: no data, no check
        check = load_round(ws, "latest").tables["holdout"]
        assert check.frame is None and "error" in check.info and check.info["calibration_end"] == "1996-09-30"
        run_round(ws, starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'), "1998-06-30")
        holdout = load_round(ws, "latest").tables["holdout"].frame
        expected = evaluate(ws, "1997-06-30", "1998-06-30", models=("bgnbd",)).by_frequency
    assert holdout["bucket"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    np.testing.assert_allclose(holdout["predicted"], expected["bgnbd"].to_numpy())
    np.testing.assert_allclose(holdout["actual"], expected["actual"].to_numpy())
    text = visible_text(write_report(path, "latest", tmp_path / "r.html").read_text("utf-8"))
    assert "Model fit: calibration and holdout" in text
    w = holdout["customers"].to_numpy(dtype=float)
    err = float(((holdout["predicted"] - holdout["actual"]).abs() * w).sum() / w.sum())
    assert f"they differ by {err:,.2f} purchases" in text


def test_untrusted_fits_read_in_the_reports_language_and_stay_escaped():
    """Issue 14: the reasons a fit cannot be trusted, stored in English as a round raised them,
    read Chinese in a zh report and English in an en one; names and values inside stay as they
    are, a hostile one is escaped, and a warning without a phrase is shown as stored."""
    hostile = "<img src=x onerror=alert(1)>"
    r = synthetic_round(300, seed=21)
    r.meta["models"] = {"purchases": {"model": "BGNBD", "param_names": ["r", "alpha", "a", "b"],
                                      "params": {"r": 0.24, "alpha": 4.4, "a": 1e-7, "b": 2.4},
                                      "stderr": {"r": 0.01, "alpha": 0.2, "a": 0.0, "b": 0.1},
                                      "loglik": -100.0, "n_customers": 300}}
    r.meta["model_warnings"] = ["BGNBD cannot be trusted: a = 1e-07 is at the edge of its range",
                                f"BGNBD cannot be trusted: the standard error of {hostile} is zero",
                                "RuntimeWarning: overflow encountered in exp"]
    zh_html, en_html = build_report(r, lang="zh"), build_report(r, lang="en")
    for page in (zh_html, en_html):
        assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    zh, en = visible_text(zh_html), visible_text(en_html)
    assert ("拟合时的警告：BGNBD 模型的拟合不可信：参数 a = 1e-07 落在了取值范围的边界上；"
            f"BGNBD 模型的拟合不可信：参数 {hostile} 的标准误为零；RuntimeWarning: overflow encountered in exp。") in zh
    assert "cannot be trusted" not in zh and "注意：BGNBD 的拟合到了模型所能描述的极限" in zh
    assert ("The fits warned: BGNBD cannot be trusted: a = 1e-07 is at the edge of its range; "
            f"BGNBD cannot be trusted: the standard error of {hostile} is zero; "
            "RuntimeWarning: overflow encountered in exp.") in en
    assert "Caution: the BGNBD fit ran to a limit" in en
