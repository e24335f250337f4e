"""Point 2: private points cannot be derived, and nothing private is named.

The statement used to show the total score and every public criterion's points, so total minus
public gave the private criterion's points. Read over every statement of the demo round: no
total, no gap in points, no private criterion's points, name, label, field or formula (as written
or in words), no private gate's name, label or rule."""

from __future__ import annotations

import re

from xuanba.standard.describe import rule_in_words

NUM = re.compile(r"\d[\d,]*\.\d")


def test_private_points_cannot_be_derived(demo):
    rnd, pages = demo.rnd, demo.pages
    c = rnd.contributions
    private = [cr.name for cr in rnd.standard.criteria if not rnd.standard.is_public(cr)]
    assert private == ["margin"]
    priv = c[c["criterion"] == "margin"].set_index("customer_id")["contribution"]
    public = c[c["criterion"] != "margin"].groupby("customer_id")["contribution"].sum()
    score = rnd.roster.set_index("customer_id")["score"]
    # the published standard's own figures (band thresholds such as 0.6) are on every page: a
    # secret that happens to print as one of them tells nothing
    published = set(NUM.findall(" ".join(rnd.standard.describe("en", public=True))))
    assert published
    for cid, text in pages.items():
        assert not re.search(r"Your score [\d.]+ 0–100", text) and "points short" not in text
        shown = set(NUM.findall(text)) - published
        assert f"{public[cid]:,.1f}" in shown | published  # the public part of the score is there
        mine = c[(c["customer_id"] == cid) & (c["criterion"] != "margin")]
        public_figures = {f"{x:,.1f}" for x in mine["contribution"]} | {f"{public[cid]:,.1f}"}
        for secret in (f"{score[cid]:,.1f}", f"{priv[cid]:,.1f}"):
            assert secret not in shown or secret in public_figures, (cid, secret)


def test_no_private_criterion_or_gate_is_named_on_any_page(demo):
    std = demo.rnd.standard
    secrets = {"margin_365d", "margin", "毛利", "profitable"}
    for cr in std.criteria:
        if not std.is_public(cr):
            secrets |= {cr.name, cr.label or cr.name, cr.field, rule_in_words(cr.field, "en"),
                        rule_in_words(cr.field, "zh")}
    for g in std.gates:
        if not std.is_public(g):
            secrets |= {g.name, g.label or g.name, g.expr, rule_in_words(g.expr, "en"), rule_in_words(g.expr, "zh")}
    assert len(secrets) >= 8
    for cid, text in demo.pages.items():
        low = text.casefold()
        assert [s for s in secrets if s.casefold() in low] == [], cid
        assert "Internal criteria, not published, make up 25% of the score." in text
