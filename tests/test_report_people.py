"""Issue 13 points 1-3: people, not ids, in the report and the statements.

The selection is listed by tier from data embedded in the page (checked here by decoding that
data and comparing it with the roster and the contributions by brute force); names and owners
sit next to ids; hostile names stay text; empty tiers are neither drawn nor offered; an unknown
currency names no unit; the whale section gives the true reason when it is missing.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.test_report import figure_json, make_diff, visible_text
from xuanba.outputs import report as report_module
from xuanba.outputs._synthetic import synthetic_round
from xuanba.outputs.account_sections import _ageing_section
from xuanba.outputs.charts import fit_title, text_width
from xuanba.outputs.people import People, script_json
from xuanba.outputs.report import build_report
from xuanba.outputs.statements import build_statement

OWNERS = ["Li Qiang", "王芳", "Emily Chen"]


def with_people(r, *, hostile: dict[int, str] | None = None):
    """``r`` with a name and an owner for every customer (ids by position: ``hostile`` names)."""
    ids = r.fields["customer_id"].tolist()
    names = [f"客户 {i} Co." for i in range(len(ids))]
    for pos, name in (hostile or {}).items():
        names[pos] = name
    r.fields["name"] = names
    r.fields["owner"] = [OWNERS[i % len(OWNERS)] for i in range(len(ids))]
    return r


def embedded(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="xb-data">(.*?)</script>', html, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def test_selection_is_listed_by_tier_with_name_owner_score_rank_and_strongest_criteria():
    r = with_people(synthetic_round(600, seed=31))
    html = build_report(r, lang="en")
    data = embedded(html)
    people = r.fields.set_index("customer_id")
    sel = r.roster[r.roster["tier"] != ""].sort_values("rank")
    crit = {c.name: i for i, c in enumerate(r.standard.criteria)}
    assert data["criteria"] == [c.label for c in r.standard.criteria]
    for key, tier in (("sel-0", "gold"), ("sel-1", "silver")):
        part = sel[sel["tier"] == tier]
        rows = data["lists"][key]["rows"]
        assert data["lists"][key]["head"] == ["Id", "Name", "Owner", "Score", "Rank", "Strongest criteria (points)"]
        assert [x[0] for x in rows] == part["customer_id"].tolist()  # every selected customer, by rank
        assert [x[1] for x in rows] == [people.at[c, "name"] for c in part["customer_id"]]
        assert [data["owners"][x[2]] for x in rows] == [people.at[c, "owner"] for c in part["customer_id"]]
        assert [x[3] for x in rows] == [f"{s:,.1f}" for s in part["score"]]
        assert [x[4] for x in rows] == [f"{k:,}" for k in part["rank"]]
        for x in rows[:50]:  # the two criteria that gave the most points, by brute force
            c = r.contributions[r.contributions["customer_id"] == x[0]].nlargest(2, "contribution")
            assert x[5] == [v for name, pts in zip(c["criterion"], c["contribution"], strict=True)
                            for v in (crit[name], round(pts, 1))]
    text = visible_text(html)
    assert f"{len(sel):,} customers are selected" in text
    assert "Gold: " in html and 'id="xb-q"' in html and 'id="xb-owner"' in html
    # the per-owner view counts every owner's selected accounts by tier
    owners = sel["customer_id"].map(people["owner"])
    for o in OWNERS:
        gold = int(((owners == o) & (sel["tier"] == "gold")).sum())
        silver = int(((owners == o) & (sel["tier"] == "silver")).sum())
        assert f"<td>{o}</td><td class=\"n\">{gold:,}</td><td class=\"n\">{silver:,}</td>" \
               f"<td class=\"n\">{gold + silver:,}</td>" in html


def test_change_since_last_round_is_the_rank_difference_and_newcomers_say_new():
    before, r = synthetic_round(500, seed=32), with_people(synthetic_round(500, seed=33))
    before.roster = before.roster.iloc[:-20]  # the last 20 of round r0 are new in r1
    html = build_report(r, diff=make_diff(before, r), previous_id="r0")
    rows = [x for k, v in embedded(html)["lists"].items() if k.startswith("sel") for x in v["rows"]]
    prev = before.roster.set_index("customer_id")["rank"]
    now = r.roster.set_index("customer_id")["rank"]
    for x in rows:
        if x[0] in prev.index:
            moved = int(prev[x[0]] - now[x[0]])
            assert x[5] == (f"{moved:+,}" if moved else "0")
        else:
            assert x[5] == "new"
    assert any(x[5] == "new" for x in rows)


def test_movers_and_the_scatter_name_customers():
    before, r = synthetic_round(400, seed=34), with_people(synthetic_round(400, seed=35))
    html = build_report(r, diff=make_diff(before, r), previous_id="r0")
    data, _ = figure_json(html, "fig-movers")
    names = r.fields.set_index("customer_id")["name"]
    assert all(re.fullmatch(r"(.+) \((C\d+)\)", y) and names[y.rsplit("(", 1)[1][:-1]] in y for y in data[0]["y"])
    m = re.search(r'<section id="movers">.*?</section>', html, re.S).group(0)
    assert "<th>Owner</th>" in m and all(o in m for o in OWNERS[:1])
    data, layout = figure_json(html, "fig-quadrants")
    assert all(re.fullmatch(r".+ \(C\d+\)", t) for tr in data for t in tr["text"])
    assert layout["legend"]["itemsizing"] == "constant"  # legend dots readable, not 4 px


def test_hostile_names_and_owners_stay_text_in_the_page_and_its_data():
    hostile = {0: "</script><script>alert(1)</script>", 1: "<!--", 2: "=HYPERLINK(\"http://x\")", 3: "a&amp;b <b>"}
    r = with_people(synthetic_round(300, seed=36), hostile=hostile)
    r.fields.loc[4, "owner"] = "</SCRIPT ><img src=x onerror=alert(2)>"
    html = build_report(r, lang="zh")
    block = re.search(r'<script type="application/json" id="xb-data">(.*?)</script>', html, re.S).group(1)
    assert not set("<>&") & set(block)  # nothing in the data can end the element or open a comment
    data = embedded(html)
    listed = {x[1] for v in data["lists"].values() for x in v["rows"]}
    sel = set(r.roster.loc[r.roster["tier"] != "", "customer_id"])
    for pos, name in hostile.items():
        if r.fields.loc[pos, "customer_id"] in sel:
            assert name in listed  # decoded back exactly
    assert "</SCRIPT ><img src=x onerror=alert(2)>" in data["owners"]
    assert "<img src=x" not in html.replace(block, "")  # the owner select escapes it too
    assert html.lower().count("<script") == html.lower().count("</script>")  # no element cut short
    assert script_json({"a": "</script>"}) == '{"a":"\\u003c/script\\u003e"}'


def test_the_list_is_capped_for_huge_selections_and_says_so(monkeypatch):
    monkeypatch.setattr(report_module, "MAX_LISTED", 100)
    r = with_people(synthetic_round(2_000, seed=37))
    html = build_report(r)
    data = embedded(html)
    rows = [x for k, v in data["lists"].items() if k.startswith("sel") for x in v["rows"]]
    sel = r.roster[r.roster["tier"] != ""].sort_values("rank")
    assert [x[0] for x in rows] == sel["customer_id"].head(100).tolist()
    assert "The list holds the 100 highest-ranked of them" in visible_text(html)


def test_an_empty_tier_is_not_drawn_noted_in_words_and_not_offered_to_customers():
    r = with_people(synthetic_round(500, seed=38))
    silver = r.roster["tier"] == "silver"
    r.roster.loc[silver, ["tier", "selected"]] = ["", False]  # nobody reached silver this round
    r.roster.loc[r.roster["tier"] == "", "next_tier"] = "silver"
    html = build_report(r)
    data, _ = figure_json(html, "fig-tiers")
    assert list(data[0]["x"]) == ["Gold", "Not selected"]
    scores, _ = figure_json(html, "fig-scores")
    assert "Silver" not in {tr["name"] for tr in scores}
    assert "Nobody is in Silver this round" in visible_text(html)
    cid = r.roster.loc[r.roster["tier"] == "", "customer_id"].iloc[0]
    text = visible_text(build_statement(r, cid, lang="en"))
    moving = text[text.index("What would move you up"):text.index("The standard, in plain words")]
    assert "Silver" not in moving and "The next tier up is Gold." in moving
    assert "points short" not in moving and "smallest step" not in moving  # both were to the empty tier


def test_unknown_currency_names_no_unit_and_no_yen():
    r = synthetic_round(300, seed=39, currency="")
    html = build_report(r)
    text = visible_text(html)
    assert "¥" not in text and "CNY" not in text and "(—)" not in text and "（—）" not in text
    _, layout = figure_json(html, "fig-tiers")
    assert layout["yaxis2"]["title"]["text"] == "Margin, last 365 days"


def test_whale_section_says_the_data_have_no_costs_when_they_have_none():
    r = synthetic_round(300, seed=40)
    r.fields = r.fields.drop(columns=["margin_365d"])  # revenue only: no costs in the data
    text = visible_text(build_report(r))
    assert "the data have no costs" in text and "no transactions" not in text
    r = synthetic_round(300, seed=40)
    r.fields["margin_365d"] = -r.fields["margin_365d"].abs()
    assert "total profit over the last 365 days is not positive" in visible_text(build_report(r))


def test_statement_is_addressed_by_name_with_the_owner_and_escapes_them():
    r = with_people(synthetic_round(200, seed=41), hostile={5: "<script>alert(1)</script> Ltd"})
    cid = r.fields.loc[5, "customer_id"]
    zh = build_statement(r, cid, lang="zh")
    assert "<script>alert" not in zh and "尊敬的&lt;script&gt;alert(1)&lt;/script&gt; Ltd：" in zh
    en = visible_text(build_statement(r, r.fields.loc[6, "customer_id"], lang="en"))
    assert "Dear 客户 6 Co.," in en and f"Your account manager: {OWNERS[6 % 3]}" in en
    assert f"客户 6 Co. ({r.fields.loc[6, 'customer_id']})" in en


def test_ageing_table_words_are_translated():
    frame = pd.DataFrame({"customer_id": ["A", "(total)"], "current": [5.0, 5.0], "1-30": [1.0, 1.0],
                          "31-60": [0.0, 0.0], "61-90": [0.0, 0.0], "90+": [2.0, 2.0], "open_balance": [8.0, 8.0]})
    info = {"collection_rate": 0.9, "overdue_receivables": 3.0}
    zh = _ageing_section(info, frame, "", "zh")
    assert zh["table"]["rows"][0][0] == "未到期" and "current" not in json.dumps(zh, ensure_ascii=False)
    assert _ageing_section(info, frame, "", "en")["table"]["rows"][0][0] == "Not yet due"


def test_long_axis_titles_wrap_to_fit_beside_the_plot():
    long = "Purchases in the holdout period (mean per customer)"
    assert "<br>" not in fit_title("Customers", 290)
    wrapped = fit_title(long, 290)
    assert "<br>" in wrapped and all(text_width(part) <= 290 for part in wrapped.split("<br>"))
    assert fit_title("近 365 天利润（扣除服务成本）（¥ CNY）", 200) == "近 365 天利润<br>（扣除服务成本）（¥ CNY）"


def test_people_reads_owner_or_rep_and_leaves_unknowns_blank():
    p = People.of(pd.DataFrame({"customer_id": [1, 2], "name": ["X", np.nan], "rep": ["r", None]}))
    assert p.columns == ["name", "owner"]
    assert p.who("1") == "X (1)" and p.who("2") == "2" and p.owner("2") == "" and p.name("9") == ""
    assert People.of(None).labels(["a"]).tolist() == ["a"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_names_no_owner_view_but_still_a_list(lang):
    html = build_report(synthetic_round(200, seed=42), lang=lang)
    data = embedded(html)
    assert data["owners"] == [] and 'id="owners"' not in html and 'id="xb-owner"' not in html
    assert all(len(x) == 5 for v in data["lists"].values() for x in v["rows"])  # id, name "", score, rank, why


def test_a_round_that_selects_nobody_has_no_list_and_still_builds():
    r = with_people(synthetic_round(150, seed=43))
    r.roster["tier"], r.roster["selected"] = "", False
    html = build_report(r)
    assert 'id="xb-data"' not in html and 'id="selection"' not in html
    assert "nobody is selected" in visible_text(html)
