"""The account-work sections of the round report (issue 6 item 8): computed by the account
functions when the round runs, stored with it, rendered by the report; left out when their data
are absent."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._helpers import store
from tests.test_report import make_workspace, visible_text
from xuanba import Workspace
from xuanba.accounts import customer_profit, promise_ledger
from xuanba.demo.accounts_demo import make_side_tables
from xuanba.outputs.account_sections import account_sections
from xuanba.outputs.report import write_report
from xuanba.rounds import load_round


def _num(cell: str) -> float:
    return float(cell.replace("¥", "").replace(",", "").replace("%", ""))


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    path = make_workspace(tmp_path_factory.mktemp("acc") / "ws.duckdb")
    with Workspace(path) as ws:
        ids = ws.sql("SELECT DISTINCT customer_id FROM transactions ORDER BY 1")["customer_id"].tolist()
        side = make_side_tables(ids, seed=5, start="2025-01-01", end="2026-06-30")
        for kind in ("customers", "interactions", "commitments", "contacts"):
            store(ws, kind, side[kind])
        rerun(ws)
    return path


def rerun(ws):
    """Round 3: round 2 again, now that the workspace holds the side tables."""
    from xuanba.rounds import run_round

    before = load_round(ws, 2)
    run_round(ws, before.standard, before.meta["cutoff"],
              predictions=before.fields[["customer_id", "clv_3y", "p_alive"]])


def test_no_side_tables_no_account_sections(tmp_path):
    path = make_workspace(tmp_path / "plain.duckdb")
    with Workspace(path, read_only=True) as ws:
        assert account_sections(load_round(ws, "latest"), "en") == []


def test_account_sections_match_the_account_functions(ws_path):
    with Workspace(ws_path, read_only=True) as ws:
        rnd = load_round(ws, "latest")
        sections = {s["id"]: s for s in account_sections(rnd, "en")}
        tx = ws.sql("SELECT customer_id, ts, amount::DOUBLE AS amount, cost::DOUBLE AS cost FROM transactions")
        interactions = ws.sql("SELECT * FROM interactions")
        commitments = ws.sql("SELECT * FROM commitments")
    # no payment dates in these transactions: no ageing section; the others are there
    assert set(sections) == {"accounts-size", "accounts-promises", "accounts-owners",
                             "accounts-keep-warm", "accounts-personas"}
    cutoff = pd.Timestamp(rnd.meta["cutoff"])
    profit = customer_profit(tx, interactions, start=cutoff - pd.Timedelta(days=364), end=cutoff)
    rows = sections["accounts-size"]["table"]["rows"]
    assert sum(_num(r[1]) for r in rows) == len(profit)
    assert sum(_num(r[4]) for r in rows) == pytest.approx(profit["profit"].sum(), abs=len(rows))
    ledger = promise_ledger(commitments, cutoff)
    assert f"{int((ledger['state'] == 'overdue').sum()):,} are overdue" in sections["accounts-promises"]["reading"]
    shares = [_num(r[3]) for r in sections["accounts-owners"]["table"]["rows"]]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    table = sections["accounts-keep-warm"]["table"]
    assert table["header"][:3] == ["Customer", "Name", "Owner"]  # issue 13: people, not ids
    warm = [r[:1] + r[3:] for r in table["rows"]]
    scores = rnd.roster.set_index("customer_id")["potential_score"]
    assert [_num(r[1]) for r in warm] == sorted((_num(r[1]) for r in warm), reverse=True)
    assert all(abs(_num(r[1]) - scores[r[0]]) < 0.051 for r in warm)
    assert all(_num(r[2]) > 180 for r in warm)
    people = rnd.fields.set_index("customer_id")
    assert [(r[1], r[2]) for r in table["rows"]] == [(people.at[r[0], "name"], people.at[r[0], "owner"])
                                                      for r in table["rows"]]


def test_report_carries_the_sections_in_chinese(ws_path, tmp_path):
    html = write_report(ws_path, "latest", tmp_path / "r.html", lang="zh").read_text("utf-8")
    text = visible_text(html)
    for title in ("按客户规模的利润", "承诺兑现", "入选客户由谁负责", "保温名单", "客群画像"):
        assert title in text
    assert "top 1%" not in text and "前 1%" in text


def test_stored_round_report_and_statements_name_people_from_the_customers_table(ws_path, tmp_path):
    """Issue 13: the names and owners the round stored from the customers table appear next to
    the ids in the report's selection list, its per-owner view and the statements."""
    import json
    import re

    from xuanba.outputs.statements import write_statements

    html = write_report(ws_path, "latest", tmp_path / "r.html", lang="en").read_text("utf-8")
    data = json.loads(re.search(r'id="xb-data">(.*?)</script>', html, re.S).group(1))
    with Workspace(ws_path, read_only=True) as ws:
        rnd = load_round(ws, "latest")
        people = ws.sql("SELECT customer_id, name, owner, segment, region FROM customers").set_index("customer_id")
    sel = rnd.roster[rnd.roster["selected"]].sort_values("rank")
    rows = [x for k, v in data["lists"].items() if k.startswith("sel") for x in v["rows"]]
    head = data["lists"]["sel-0"]["head"]
    assert head == ["Id", "Name", "Owner", "Segment", "Region", "Score", "Rank", "Since last round",
                    "Strongest criteria (points)"]
    assert [x[0] for x in rows] == sel["customer_id"].tolist()
    assert [(x[1], data["owners"][x[2]], data["groups"]["s"][x[3]], data["groups"]["g"][x[4]]) for x in rows] == \
        [tuple(people.loc[c, ["name", "owner", "segment", "region"]]) for c in sel["customer_id"]]
    assert all(x[7] in ("new", "0") or re.fullmatch(r"[+-][\d,]+", x[7]) for x in rows)  # vs round 2
    crit = {c.name: i for i, c in enumerate(rnd.standard.criteria)}
    for x in rows:  # the stored contributions, read for the listed customers only
        c = rnd.contributions[rnd.contributions["customer_id"] == x[0]]
        c = c[c["contribution"] > 0].sort_values("contribution", ascending=False, kind="stable").head(2)
        assert x[8] == [v for n, p in zip(c["criterion"], c["contribution"], strict=True) for v in (crit[n], round(p, 1))]
    warm = rnd.tables["keep_warm"].frame
    assert [x[0] for x in data["lists"]["warm"]["rows"]] == warm["customer_id"].head(5_000).tolist()
    assert 'id="owners"' in html
    cid = sel["customer_id"].iloc[0]
    [page] = write_statements(ws_path, "latest", tmp_path / "st", customers=[cid], lang="zh")
    text = visible_text(page.read_text("utf-8"))
    assert f"尊敬的{people.loc[cid, 'name']}：" in text and f"{people.loc[cid, 'name']} ({cid})" in text
    assert f"您的客户经理：{people.loc[cid, 'owner']}" in text


def test_exports_of_the_roster_and_diff_say_who_each_customer_is(ws_path, tmp_path):
    """Issue 13 point 1: the roster and diff a person opens carry name, owner, segment and region
    right after the id, as the customers table holds them; the xlsx headers are in words."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.outputs.exports import export_round
    from xuanba.tables import read_table

    with Workspace(ws_path, read_only=True) as ws:
        people = ws.sql("SELECT customer_id, name, owner, segment, region FROM customers").set_index("customer_id")
    paths = export_round(ws_path, "latest", tmp_path / "e.csv", tables=["roster", "diff"])
    for p in paths:
        t = pd.read_csv(p, encoding="utf-8-sig", dtype={"customer_id": str})
        assert t.columns[:5].tolist() == ["customer_id", "name", "owner", "segment", "region"], p.name
        want = people.reindex(t["customer_id"])
        for c in ("name", "owner", "segment", "region"):
            assert t[c].fillna("").tolist() == want[c].fillna("").tolist(), (p.name, c)
    out = tmp_path / "r.xlsx"
    res = CliRunner().invoke(app, ["rounds", "latest", "--out", str(out), "-w", str(ws_path), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    back = read_table(out)  # field names back from the columns sheet
    assert back.columns[:3].tolist() == ["customer_id", "name", "owner"]
    assert back["name"].tolist() == people.reindex(back["customer_id"].astype(str))["name"].tolist()
    import openpyxl
    head = [c.value for c in next(openpyxl.load_workbook(out, read_only=True).worksheets[0].iter_rows(max_row=1))]
    assert head[:3] == ["客户编号", "名称", "负责人"]
    res = CliRunner().invoke(app, ["diff", "--out", str(tmp_path / "d.csv"), "-w", str(ws_path)])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(tmp_path / "d.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    assert d.columns[:3].tolist() == ["customer_id", "name", "owner"]
    assert d["name"].fillna("").tolist() == people.reindex(d["customer_id"])["name"].fillna("").tolist()
