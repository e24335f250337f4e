"""A rep sees only customers whose stored owner is theirs, everywhere: roster, search, counts,
customer pages, statements, share links and the JSON API. Another rep's customer by URL is a
404, the same answer as a customer that does not exist."""

from __future__ import annotations

import shutil

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


def _owners(ws, rid: int) -> dict[str, str]:
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        return dict(ro.con.execute("SELECT customer_id, owner FROM round_fields WHERE round_id = ?", [rid]).fetchall())


def test_a_reps_comparison_holds_only_their_customers(ann, ws, tmp_path):
    """IDOR: a rep's comparison of two rounds (page and API) counts and lists only the customers
    whose owner is theirs in the later round (or, for those gone from it, in the earlier one),
    equal to the library's comparison of exactly those customers; another rep's never appear; a
    round that does not exist is a 404 as elsewhere."""
    from xuanba.rounds.diff import diff_loaded
    from xuanba.rounds.store import load_round
    from xuanba.workspace import Workspace

    # customers move between reps from round 1 to round 2, and some leave the roster
    path = tmp_path / "moved.duckdb"
    shutil.copyfile(ws, path)
    with Workspace(path) as w:
        ids = [r[0] for r in w.con.execute("SELECT customer_id FROM roster WHERE round_id = 2 ORDER BY rank").fetchall()]
        w.con.execute("UPDATE round_fields SET owner = 'Rep 02' WHERE round_id = 1 AND customer_id IN "
                      "(SELECT unnest(?::VARCHAR[]))", [ids[:10]])
        w.con.execute("UPDATE round_fields SET owner = 'Rep 01' WHERE round_id = 1 AND customer_id IN "
                      "(SELECT unnest(?::VARCHAR[]))", [ids[10:20]])
        # the roster's rows (schema version 5: ``roster`` is a view over them)
        w.con.execute("DELETE FROM roster_codes WHERE round_id = 2 AND customer_id IN (SELECT unnest(?::VARCHAR[]))",
                      [ids[20:30]])
    owners_a, owners_b = _owners(path, 1), _owners(path, 2)
    in_b = set(ids) - set(ids[20:30])
    mine = {c for c in set(owners_a) | set(owners_b)
            if (owners_b.get(c) if c in in_b else owners_a.get(c)) == "Rep 01"}
    assert mine & set(ids[:10]) and mine & set(ids[20:30])  # a moved customer, one gone from round 2
    with Workspace(path, read_only=True) as ro:
        truth = diff_loaded(load_round(ro, 1, fields=False, contributions=False),
                            load_round(ro, 2, fields=False, contributions=False), mine)

    from xuanba.web import create_app

    with TestClient(create_app(path)) as c:
        log_in(c, "ann")
        d = c.get("/api/rounds/compare?a=1&b=2").json()
        assert d["scoped"] is True
        for k in ("entered", "left", "rose", "fell"):
            assert d["summary"][k] == truth.summary[k]
            listed = {m["customer_id"] for m in d["movers"][k]}
            assert listed <= mine and len(listed) == min(50, truth.summary[k])
        assert sum(map(sum, d["migration"]["values"])) == len(mine)  # each of theirs once, nobody else
        assert d["summary"]["entered"] + d["summary"]["left"] + d["summary"]["rose"] + d["summary"]["fell"] > 0
        page = c.get("/rounds/compare?a=1&b=2")
        assert page.status_code == 200 and "Rep 01" in page.text
        for cid in set(owners_b) - mine:  # another rep's customers are named nowhere
            assert f">{cid}<" not in page.text
        # asked the other way round, the later round still decides whose they are
        back = c.get("/api/rounds/compare?a=2&b=1").json()
        named = {m["customer_id"] for k in ("entered", "left", "rose", "fell") for m in back["movers"][k]}
        assert named <= mine and sum(map(sum, back["migration"]["values"])) == len(mine)
        assert f">{ids[0]}<" not in c.get("/rounds/compare?a=2&b=1").text  # handed to Rep 02 in round 2
        # a customer handed to them shows no standing from a round when another rep held them
        gained = next(cid for cid in ids[:20] if owners_b.get(cid) == "Rep 01" and owners_a.get(cid) == "Rep 02")
        history = c.get(f"/api/customers/{gained}").json()["history"]
        assert [h["round_id"] for h in history] == [2]
        assert c.get("/api/rounds/compare?a=1&b=99").status_code == 404
        assert c.get("/rounds/compare?a=7&b=2").status_code == 404
