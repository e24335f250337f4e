"""Customer statements: each page holds only that customer's own figures and the public
standard — no other customer's id or numbers, nothing marked private — and says what would
move the customer up. Checked by listing every number on the page and explaining each one."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.test_report import make_workspace, visible_text
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.outputs._synthetic import synthetic_round
from xuanba.outputs.i18n import rank_band
from xuanba.outputs.statements import (
    build_statement,
    build_statements,
    public_advice,
    safe_filename,
)

NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def rnd():
    return synthetic_round(400, seed=21, capacity=60)


def _section(text: str, start: str, end: str | None) -> str:
    a = text.index(start)
    return text[a: text.index(end, a) if end else None]


def own_numbers(rnd, cid: str) -> set[str]:
    """Every number this customer's statement may show, from its own row and contributions."""
    row = rnd.roster.set_index("customer_id").loc[cid]
    own = {f"{len(rnd.roster):,}"}  # no total score, no gap: with "credit" private they would give its points
    own |= set(NUM.findall(rank_band(int(row["rank"]), len(rnd.roster))))
    c = rnd.contributions[rnd.contributions["customer_id"] == cid]
    public = c[c["criterion"] != "credit"]  # private: must not be listed
    own |= {f"{public['contribution'].sum():,.1f}", "80"}  # the public part of the score, of 50 + 30
    for r in public.itertuples():
        raw = float(r.raw)
        own |= {f"{abs(raw):,.0f}", f"{abs(raw):,.2f}", f"{r.contribution:,.1f}"}
        if r.criterion == row["cheapest_public_criterion"]:
            vals = np.sort(rnd.contributions.loc[rnd.contributions["criterion"] == r.criterion, "raw"].to_numpy(float))
            advice = public_advice(float(row["cheapest_public_change"]), raw, vals)
            own |= {advice.text()} if advice else set()
    return own


def pick(rnd, **cond):
    r = rnd.roster
    for k, v in cond.items():
        r = r[r[k] == v]
    assert len(r), cond
    return str(r.iloc[0]["customer_id"])


@pytest.mark.parametrize("kind", ["gold", "silver", "gate_failed", "capacity"])
def test_statement_shows_only_the_customers_own_figures(rnd, kind):
    cid = {
        "gold": lambda: pick(rnd, tier="gold"),
        "silver": lambda: pick(rnd, tier="silver"),
        "gate_failed": lambda: pick(rnd, gates_failed="positive_margin"),
        "capacity": lambda: pick(rnd, left_out_by_capacity=True),
    }[kind]()
    html = build_statement(rnd, cid)
    assert "<script" not in html
    text = visible_text(html)
    # ids: this customer's only
    assert set(re.findall(r"C\d{7}", html)) == {cid}
    # every number is either the public standard's (the same on every statement) or this customer's
    std_part = _section(text, "The standard, in plain words", None)
    other = visible_text(build_statement(rnd, pick(rnd, tier="")))
    assert std_part == _section(other, "The standard, in plain words", None)
    allowed = set(NUM.findall(std_part)) | own_numbers(rnd, cid) | {"0", "100", "50", "30", "365", "3", "1"}
    allowed |= set(NUM.findall(rnd.meta["cutoff"])) | set(NUM.findall(cid))
    shown = set(NUM.findall(text.replace(cid, "")))
    assert shown <= allowed, shown - allowed
    # and no other customer's distinctive figures (their scores and raw values)
    mine = own_numbers(rnd, cid) | allowed
    others = rnd.roster[rnd.roster["customer_id"] != cid]
    leaks = [f"{v:,.2f}" for v in others["value"] if f"{v:,.2f}" not in mine and f"{v:,.2f}" in text]
    assert not leaks


def test_statement_leaves_out_private_criteria(rnd):
    private = rnd.standard.criteria[2]
    assert private.private
    for cid in rnd.roster["customer_id"].head(25):
        html = build_statement(rnd, cid)
        for word in (private.label, private.field, "credit"):
            assert word not in html
        raw = float(rnd.roster.set_index("customer_id").loc[cid, "credit"])
        assert f"{raw:.3f}" not in visible_text(html)
    assert "Internal criteria, not published, make up 20% of the score." in visible_text(html)


def test_contributions_and_next_step_are_the_rosters(rnd):
    row = rnd.roster[(rnd.roster["tier"] == "silver")].iloc[0]
    text = visible_text(build_statement(rnd, row["customer_id"]))
    c = rnd.contributions[rnd.contributions["customer_id"] == row["customer_id"]].set_index("criterion")
    assert f"Margin, last 365 days {c.loc['value', 'raw']:,.0f} {c.loc['value', 'contribution']:,.1f} of 50" in text
    assert f"{c.loc['potential', 'contribution']:,.1f} of 30" in text
    assert "The next tier up is Gold." in text and "points short" not in text  # "credit" is private
    assert "Predicted value, next 3 years by" not in text  # a forecast is not something to raise
    assert row["cheapest_public_criterion"] == "value"
    assert "The smallest step: raise Margin, last 365 days by about" in text \
        or "The smallest step: raising Margin, last 365 days by" in text
    assert f"Your rank band {rank_band(int(row['rank']), 400)} among 400 customers" in text


def test_top_tier_gate_and_capacity_notes(rnd):
    gold = visible_text(build_statement(rnd, pick(rnd, tier="gold")))
    assert "You are in the highest tier" in gold
    gate = visible_text(build_statement(rnd, pick(rnd, gates_failed="positive_margin")))
    assert "these rules must hold; for you they do not yet: Margin over the last 365 days is positive" in gate
    cap = visible_text(build_statement(rnd, pick(rnd, left_out_by_capacity=True)))
    assert "capacity was full this round" in cap


def test_rank_band_by_brute_force():
    n = 1_000
    for rank in (1, 10, 11, 50, 51, 100, 101, 200, 500, 501, 1_000):
        pct = 100 * rank / n
        expected = next((f"top {b}%" for b in (1, 5, 10, 20, 30, 50) if pct <= b), "lower half")
        assert rank_band(rank, n) == expected, rank
    assert rank_band(1, 7, "zh") == "前 20%"  # 1/7 = 14.3% -> the 20% band


def test_chinese_statement(rnd):
    text = visible_text(build_statement(rnd, pick(rnd, tier="silver"), lang="zh"))
    for phrase in ("您的得分", "您的层级", "您的排名区间", "您的得分构成", "如何进入更高层级", "选拔标准（通俗说明）"):
        assert phrase in text
    assert "Your score" not in text


def test_build_statements_writes_one_page_each_and_rejects_unknown_ids(rnd, tmp_path):
    ids = list(rnd.roster["customer_id"].head(3))
    paths = build_statements(rnd, tmp_path / "st", customers=ids)
    assert [p.name for p in paths] == [safe_filename(c) for c in ids]
    assert all(c in p.read_text("utf-8") for c, p in zip(ids, paths, strict=True))
    with pytest.raises(InputError, match="not in round") as err:
        build_statements(rnd, tmp_path / "st", customers=["C0000001", "nobody", "C9"])
    assert err.value.examples == ["nobody", "C9"]
    assert safe_filename("../上海 A/1").startswith("statement-上海_a_1-")


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="needs the chromium PDF engine")
def test_pdf_statements(rnd, tmp_path):
    paths = build_statements(rnd, tmp_path, customers=["C0000001"], pdf=True)
    pdf = [p for p in paths if p.suffix == ".pdf"]
    assert len(pdf) == 1 and pdf[0].read_bytes()[:5] == b"%PDF-"


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")


def test_statements_of_a_stored_round_hide_the_private_margin(real_ws, tmp_path):
    from xuanba.outputs.statements import write_statements
    from xuanba.rounds import load_round

    rnd = load_round(real_ws, 2)
    gated = rnd.roster[rnd.roster["gates_failed"].str.contains("active")]
    ids = [rnd.roster.iloc[0]["customer_id"], rnd.roster.iloc[150]["customer_id"], gated.iloc[0]["customer_id"]]
    paths = write_statements(real_ws, "latest", tmp_path, customers=ids)
    for cid, path in zip(ids, paths, strict=True):
        html = path.read_text("utf-8")
        assert set(re.findall(r"K\d{4}", html)) == {cid}
        for secret in ("Margin, last 12 months", "margin_365d", "Made a margin"):
            assert secret not in html
        row = rnd.roster.set_index("customer_id").loc[cid]
        m = float(row["margin"])
        assert f"{m:,.2f}" not in visible_text(html)
        assert abs(m) < 1_000 or f"{m:,.0f}" not in visible_text(html)
        assert "Revenue, last 12 months" in html  # public criteria are shown
    gate_text = visible_text(paths[2].read_text("utf-8"))
    assert gate_text.count("Likely still active (P(alive) at least 20%)") == 2  # the rule, and that it fails
    assert "Gate “Likely still active (P(alive) at least 20%)”: probability the customer is still active ≥ 0.2." \
        in gate_text
    assert "Internal gates, not published, apply to every customer as well (1 in all)." in gate_text


def test_statements_command(real_ws, tmp_path):
    from xuanba.rounds import load_round

    ids = list(load_round(real_ws, 2).roster["customer_id"].head(2))
    res = CliRunner().invoke(app, ["statements", "latest", "--out", str(tmp_path / "s"), "--customers",
                                   ",".join(ids), "--lang", "zh", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    files = json.loads(res.stdout)["files"]
    assert sorted(files) == sorted(str(tmp_path / "s" / safe_filename(c)) for c in ids)
    assert "您的得分" in (tmp_path / "s" / safe_filename(ids[0])).read_text("utf-8")
    res = CliRunner().invoke(app, ["statements", "1", "--out", str(tmp_path / "s"), "-c", "ghost", "-w", str(real_ws)])
    assert res.exit_code == InputError.exit_code and "ghost" in res.output and "Traceback" not in res.output


def test_public_advice_rounds_until_five_customers_share_the_figure():
    dense = np.arange(0.0, 3001.0)  # one customer at each whole number
    assert public_advice(164.0, 2721.0, dense).text() == "170"  # 2,882-2,891: ten customers
    assert public_advice(0.0, 2721.0, dense) is None and public_advice(float("nan"), 1.0, dense) is None
    sparse = np.array([0.0, 100.0, 164.0, 900.0, 950.0, 990.0, 1_000.0, 1_000.0])
    wide = public_advice(164.0, 0.0, sparse)  # only 164 near the step: widened to an upper bound
    assert wide.upto and wide.text() == "1,000"
    assert public_advice(164.0, 0.0, sparse[:4]) is None  # never five customers: no figure
    lower = public_advice(-0.0123, 0.5, np.linspace(0.0, 1.0, 10_001))
    assert lower.lower and lower.text() == "0.013" and not lower.upto
    tiny = public_advice(1e-300, 5.0, dense)  # a step of rounding noise never prints "0.00"
    assert tiny.change >= 1 and tiny.upto


def test_criteria_without_labels_read_in_words_not_column_names(rnd):
    import dataclasses

    from xuanba.outputs import _synthetic
    from xuanba.standard.schema import load_standard

    text = re.sub(r'(?m)^label = ".*"\n', "", _synthetic._STANDARD)
    bare = dataclasses.replace(rnd, standard=load_standard(text, extra_fields=("internal_credit",)))
    cid = pick(rnd, tier="silver")
    for lang, words in (("en", "margin in the last 365 days"), ("zh", "近 365 天毛利")):
        page = visible_text(build_statement(bare, cid, lang=lang))
        table = _section(page, "What makes up" if lang == "en" else "您的得分构成",
                         "What would move" if lang == "en" else "如何进入")
        assert words in table and "margin_365d" not in page and "clv_3y" not in page, table
    gated = visible_text(build_statement(bare, pick(rnd, gates_failed="positive_margin")))
    assert "for you they do not yet: margin in the last 365 days > 0." in gated


def test_a_tier_above_that_nobody_reached_is_offered_by_its_bar_not_called_the_top(tmp_path):
    """With every tier above empty, the round (current scoring rules) keeps that tier and its
    published bar as the next step; the page offers it and never says "the highest tier"."""
    import pandas as pd

    from tests.security.test_p05_statement_words import SyntheticRound
    from xuanba.outputs.statements import build_statement
    from xuanba.standard import load_standard, score_customers
    from xuanba.standard.score import SCORING_RULES

    std = load_standard('[standard]\nname = "t"\nversion = "1"\n'
                        '[[criteria]]\nname = "a"\nfield = "revenue_365d"\nweight = 0.5\n'
                        '[[criteria]]\nname = "b"\nfield = "orders"\nweight = 0.5\ndirection = "lower"\n'
                        '[[tiers]]\nname = "A"\nlabel = "Gold"\nmin_score = 90\n'
                        '[[tiers]]\nname = "B"\nlabel = "Silver"\nmin_score = 40\n')
    n = 20  # revenue and orders rise together, the second scored lower-is-better: nobody reaches 90
    frame = pd.DataFrame({"customer_id": [f"K{i:02d}" for i in range(n)],
                          "revenue_365d": np.arange(n, dtype=float), "orders": np.arange(n, dtype=float)})
    s = score_customers(frame, std)
    r = s.roster
    assert not (r["tier"] == "A").any() and (r["tier"] == "B").any()
    meta = {"cutoff": "2026-06-30", "standard_name": "t", "standard_version": "1", "n_customers": n,
            "currency": "", "scoring_rules": SCORING_RULES}
    rnd = SyntheticRound("1", meta, std, r, s.contributions, frame)
    cid = r.loc[r["tier"] == "B", "customer_id"].iloc[0]
    text = visible_text(build_statement(rnd, cid, lang="en"))
    assert "Gold" in text.split("What would move you up")[1] and "highest tier" not in text
