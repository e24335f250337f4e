"""A rep sees only customers whose stored owner is theirs, everywhere: roster, search, counts,
customer pages, statements, share links and the JSON API. Another rep's customer by URL is a
404, the same answer as a customer that does not exist."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import csrf_of, log_in, make_web_workspace, owner_of


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb", n=60)


@pytest.fixture
def ann(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        log_in(c, "ann")  # Rep 01
        yield c


def _customers(ws, owner):
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        return ro.sql("SELECT customer_id FROM round_fields WHERE round_id = 2 AND owner = ? ORDER BY 1",
                      [owner])["customer_id"].tolist()


def test_the_roster_search_and_filters_hold_only_the_reps_customers(ann, ws):
    mine, theirs = _customers(ws, "Rep 01"), _customers(ws, "Rep 02")
    rows = ann.get("/api/roster?per_page=200").json()["rows"]
    assert sorted(r["customer_id"] for r in rows) == mine
    for cid in theirs[:5]:
        assert ann.get("/api/roster", params={"q": cid}).json()["total"] == 0
        assert f"/customers/{cid}" not in ann.get("/roster", params={"q": cid}).text
    for tier in ("gold", "silver", "-"):
        assert {r["owner"] for r in ann.get(f"/api/roster?tier={tier}&per_page=200").json()["rows"]} <= {"Rep 01"}
    for sort in ("owner", "name", "score"):
        assert {r["owner"] for r in ann.get(f"/api/roster?sort={sort}&desc=1").json()["rows"]} == {"Rep 01"}
    assert ann.get("/api/roster?round=1&per_page=200").json()["total"] == len(_customers(ws, "Rep 01"))
    assert all(r["customers"] == len(mine) for r in ann.get("/api/rounds").json())


def test_another_reps_customer_by_url_is_404_like_no_customer(ann, ws):
    theirs = _customers(ws, "Rep 02")[0]
    assert owner_of(ws, theirs) == "Rep 02"
    token = csrf_of(ann.get("/").text)
    for cid in (theirs, "NO-SUCH-CUSTOMER"):
        assert ann.get(f"/customers/{cid}").status_code == 404
        assert ann.get(f"/customers/{cid}?round=1").status_code == 404
        assert ann.get(f"/customers/{cid}/statement").status_code == 404
        assert ann.get(f"/api/customers/{cid}").status_code == 404
        assert ann.post(f"/customers/{cid}/share", data={"csrf": token}).status_code == 404
        assert ann.post(f"/api/customers/{cid}/share", headers={"X-CSRF-Token": token}).status_code == 404
    a = ann.get(f"/api/customers/{theirs}").json()
    b = ann.get("/api/customers/NO-SUCH-CUSTOMER").json()
    assert a == b  # nothing tells "someone else's" from "nobody's"
    mine = _customers(ws, "Rep 01")[0]
    assert ann.get(f"/api/customers/{mine}").status_code == 200
    assert ann.get(f"/customers/{mine}/statement").status_code == 200


def test_the_overview_counts_only_the_reps_customers(ann, ws):
    o = ann.get("/api/overview").json()
    assert o["customers"] == len(_customers(ws, "Rep 01")) and o["scoped"]
    assert o["value_share"] is None and o["lift"] is None  # company-wide figures are not a rep's


def test_a_rep_without_an_owner_name_sees_nothing(tmp_path):
    from xuanba.web import create_app

    path = make_web_workspace(tmp_path / "ws.duckdb", n=20)
    from xuanba.workspace import Workspace

    with Workspace(path) as w:  # a rep row whose owner was emptied by hand
        w.con.execute("UPDATE web_users SET owner = NULL WHERE name = 'ann'")
    with TestClient(create_app(path, linger_s=0)) as c:
        log_in(c, "ann")
        assert c.get("/api/roster").json()["total"] == 0
        assert c.get("/api/overview").json()["customers"] == 0


def test_a_manager_sees_every_customer(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        log_in(c, "boss")
        theirs = _customers(ws, "Rep 02")[0]
        assert c.get(f"/api/customers/{theirs}").status_code == 200
        assert c.get("/api/roster").json()["total"] == 60


def test_a_reps_export_holds_only_their_customers(ann, ws):
    import io

    import pandas as pd

    r = ann.get("/roster/export.csv")
    frame = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", dtype={"customer_id": str})
    assert sorted(frame["customer_id"]) == _customers(ws, "Rep 01") and set(frame["owner"]) == {"Rep 01"}
    theirs = _customers(ws, "Rep 02")[0]
    frame = pd.read_csv(io.BytesIO(ann.get("/roster/export.csv", params={"q": theirs}).content),
                        encoding="utf-8-sig")
    assert len(frame) == 0


def test_the_company_wide_comparison_is_not_a_reps(ann):
    assert ann.get("/rounds/compare").status_code == 404
    assert ann.get("/api/rounds/compare?a=1&b=2").status_code == 404
