"""The roster's filters, the account-work page, the customer's account view and their JSON twins
and exports hold a rep to their own accounts (no filter widens the scope; another rep's customer
is a 404 like no customer), and owners, segments and names written like markup show as text."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pandas as pd
import pytest
from starlette.testclient import TestClient

from tests.web.account_helpers import (
    EVIL_CUSTOMER,
    EVIL_NAME,
    EVIL_OWNER,
    EVIL_SEGMENT,
    account_workspace,
    stored,
)
from tests.web.helpers import log_in


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return account_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def rnd(ws):
    return stored(ws)


def _client(ws, user):
    from xuanba.web import create_app

    c = TestClient(create_app(ws, linger_s=0))
    c.__enter__()
    log_in(c, user)
    return c


@pytest.fixture(scope="module")
def li(ws):
    c = _client(ws, "li")
    yield c
    c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def boss(ws):
    c = _client(ws, "boss")
    yield c
    c.__exit__(None, None, None)


def _owners(rnd) -> pd.Series:
    return rnd.fields.set_index("customer_id")["owner"].astype(str)


def test_no_roster_filter_widens_a_reps_scope(li, rnd):
    owners = _owners(rnd)
    mine = set(owners[owners == "李强"].index)
    other = "王芳"
    assert li.get("/api/roster", params={"owner": other}).json()["total"] == 0
    assert li.get("/api/roster", params={"owner": other, "q": "C0"}).json()["total"] == 0
    frame = pd.read_csv(io.BytesIO(li.get("/roster/export.csv", params={"owner": other}).content),
                        encoding="utf-8-sig", dtype={"customer_id": str})
    assert frame.empty
    for params in ({}, {"owner": "李强"}, {"selected": "no"}, {"left_out": "yes"}, {"score_min": "0"},
                   {"segment": str(rnd.fields["segment"].iloc[0])}, {"quadrant": "stars"}):
        got = pd.read_csv(io.BytesIO(li.get("/roster/export.csv", params=params).content),
                          encoding="utf-8-sig", dtype={"customer_id": str})
        assert set(got["customer_id"]) <= mine and set(got["owner"]) <= {"李强"}, params
        assert li.get("/api/roster", params={**params, "per_page": 200}).json()["total"] == len(got), params
    choices = li.get("/api/roster").json()["choices"]
    assert choices["owners"] == ["李强"]  # the other reps' names are not offered either
    assert li.get("/api/roster", params={"owner": "李强"}).json()["total"] == len(mine)


def test_the_account_work_page_holds_only_the_reps_accounts(li, boss, rnd):
    owners = _owners(rnd)
    mine = set(owners[owners == "李强"].index)
    a = li.get("/api/accounts").json()
    assert a["scoped"]
    sec = {s["id"]: s for s in a["sections"]}
    # the company-wide analyses (size bands, owner concentration, segments) are not a rep's
    assert set(sec) == {"accounts-promises", "accounts-keep-warm", "accounts-ageing"}
    warm = rnd.tables["keep_warm"].frame
    want = [c for c in warm["customer_id"].astype(str) if c in mine]
    assert [r[0] for r in sec["accounts-keep-warm"]["table"]["rows"]] == want[:15]
    assert a["keep_warm_by_owner"] == [{"owner": "李强", "accounts": len(want)}]
    assert [r[0] for r in sec["accounts-promises"]["table"]["rows"]] == ["李强"]
    rec = rnd.tables["receivables"].frame
    rec = rec.loc[rec["customer_id"].isin(mine)]
    rows = {r[0]: r[1] for r in sec["accounts-ageing"]["table"]["rows"]}
    from xuanba.outputs.i18n import money

    assert rec["open_balance"].sum() > 0
    assert rows["Open amount"] == money(float(rec["open_balance"].sum()), rnd.meta.get("currency") or "", "en")
    active = rnd.fields.loc[rnd.fields["customer_id"].isin(mine)]
    active = active.loc[(active["revenue_365d"].fillna(0) != 0) | (active["cost_to_serve_365d"].fillna(0) != 0)]
    assert a["whale"]["customers"] == len(active)  # the curve of their own accounts
    assert a["overdue"]["count"] > 0 and {r["customer_id"] for r in a["overdue"]["rows"]} <= mine
    page = li.get("/accounts").text
    for other in ("王芳", "Zhang Wei"):
        assert other not in page
    assert "王芳" in boss.get("/accounts").text  # the manager sees every owner


def test_another_reps_customer_has_no_account_view(li, rnd):
    owners = _owners(rnd)
    theirs = str(owners[owners == "王芳"].index[0])
    mine = str(owners[owners == "李强"].index[0])
    a, b = li.get(f"/api/customers/{theirs}"), li.get("/api/customers/NO-SUCH")
    assert a.status_code == b.status_code == 404 and a.json() == b.json()
    assert li.get(f"/customers/{theirs}").status_code == 404
    assert li.get(f"/api/customers/{mine}").json()["account"]["cutoff"] == rnd.meta["cutoff"]


def test_the_pages_need_a_session(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as anon:
        for path in ("/accounts", "/api-docs", "/assets/plotly.min.js"):
            r = anon.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        assert anon.get("/api/accounts").status_code == 401


def _clean(html: str) -> None:
    for evil in (EVIL_OWNER, EVIL_SEGMENT, EVIL_NAME):
        assert evil not in html
    assert not re.search(r"<(b|svg|script)[^>]*(onmouseover|onload|>alert)", html)


def test_owners_segments_and_names_like_markup_are_text_on_the_new_pages(boss, ws):
    from xuanba.web import create_app

    pages = [boss.get("/roster"), boss.get("/roster", params={"owner": EVIL_OWNER}),
             boss.get("/roster", params={"segment": EVIL_SEGMENT}), boss.get("/accounts"),
             boss.get(f"/customers/{EVIL_CUSTOMER}"), boss.get("/api-docs")]
    for p in pages:
        assert p.status_code == 200
        _clean(p.text)
    roster = pages[0].text
    assert "&lt;b onmouseover=alert(3)&gt;Emily&lt;/b&gt;" in roster  # offered as an owner, as text
    assert "&lt;svg onload=alert(4)&gt;" in roster
    assert boss.get("/api/roster", params={"owner": EVIL_OWNER}).json()["total"] > 0  # and it filters
    acct = pages[3].text
    assert "&lt;script&gt;alert(&#39;acct&#39;)&lt;/script&gt;" in acct  # keep-warm lists the evil name
    assert f"/roster?owner={quote(EVIL_OWNER, safe='')}" in acct
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', acct, re.S):
        assert "<" not in block  # the figure's data cannot close its block
    with TestClient(create_app(ws, linger_s=0)) as eve:
        log_in(eve, "eve")
        a = eve.get("/accounts")
        assert a.status_code == 200
        _clean(a.text)
        assert eve.get(f"/api/customers/{EVIL_CUSTOMER}").status_code == 200
        _clean(eve.get(f"/customers/{EVIL_CUSTOMER}").text)


def test_the_new_pages_run_only_the_apps_own_scripts(boss):
    for path in ("/accounts", "/api-docs", f"/customers/{EVIL_CUSTOMER}", "/roster?owner=x&score_min=1"):
        r = boss.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe" not in csp.split("script-src")[1].split(";")[0], path
        for attrs in re.findall(r"<script([^>]*)>", r.text):  # a file of the app, or data that never runs
            assert re.search(r'src="/(static|assets)/', attrs) or 'type="application/json"' in attrs, (path, attrs)
        assert not re.search(r"\son[a-z]+=", re.sub(r"&lt;.*?&gt;", "", r.text)), path  # no event handler attribute
