"""A customer link shows that customer's statement and nothing else of the app; a tampered,
forged, expired or revoked link, or one to a customer the latest round does not hold, is a 404."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import make_web_workspace
from xuanba.i18n import t


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb", n=40)


@pytest.fixture
def client(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        yield c


def _link(ws, cid="C0000002", days=30):
    from xuanba.web import store
    from xuanba.workspace import Workspace

    with Workspace(ws) as w:
        return store.create_link(w, cid, days=days, by="test")


def test_a_link_shows_only_its_customers_statement(client, ws):
    link = _link(ws)
    r = client.get(f"/s/{link['token']}")
    assert r.status_code == 200 and "C0000002" in r.text
    assert "C0000003" not in r.text and "<nav>" not in r.text and "/roster" not in r.text
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    zh = client.get(f"/s/{link['token']}?lang=zh").text
    assert t("stmt_customer", "zh") in zh and t("stmt_customer", "en") in r.text
    # the link opens nothing else: no session came with it
    for path in ("/", "/roster", "/api/roster", "/customers/C0000002", "/api/customers/C0000002"):
        assert client.get(path, follow_redirects=False).status_code in (303, 401)
    assert "xb_session" not in r.cookies


def test_tampered_and_forged_links_are_404(client, ws):
    from xuanba.web.links import sign

    token = _link(ws)["token"]
    # the signature's last base64 letter carries 2 padding bits: change the one before it
    bad = [token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], token + "x", token[::-1], "x",
           sign("not the workspace's secret", token.split(".")[0]), "." * 300]
    for forged in bad:
        r = client.get(f"/s/{forged}")
        assert r.status_code == 404 and "C0000002" not in r.text


def test_a_signed_token_naming_a_link_that_is_not_recorded_is_404(client, ws):
    from xuanba.web import store
    from xuanba.web.links import sign
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as w:
        secret = store.link_secret(w)
    assert client.get(f"/s/{sign(secret, 'made-up-id')}").status_code == 404


def test_revoked_and_expired_links_are_404(client, ws):
    from xuanba.web import store
    from xuanba.workspace import Workspace

    revoked, expired = _link(ws), _link(ws)
    assert client.get(f"/s/{revoked['token']}").status_code == 200
    with Workspace(ws) as w:
        store.revoke_link(w, revoked["link_id"])
        w.con.execute("UPDATE web_links SET expires_at = now()::TIMESTAMP - INTERVAL 1 MINUTE WHERE link_id = ?",
                      [expired["link_id"]])
    for link in (revoked, expired):
        r = client.get(f"/s/{link['token']}")
        assert r.status_code == 404 and "C0000002" not in r.text


def test_a_link_to_a_customer_the_latest_round_lacks_is_404(client, ws):
    link = _link(ws, cid="GONE-0001")
    assert client.get(f"/s/{link['token']}").status_code == 404


def test_links_last_one_to_366_days(ws):
    from xuanba.errors import InputError

    for days in (0, 367, -5):
        with pytest.raises(InputError):
            _link(ws, days=days)


def test_a_forged_host_header_does_not_make_the_link_when_the_address_is_set(ws):
    from starlette.testclient import TestClient

    from tests.web.helpers import csrf_of, log_in
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0, base_url="https://links.invalid")) as c:
        log_in(c, "boss")
        token = csrf_of(c.get("/").text)
        link = c.post("/api/customers/C0000002/share", headers={"X-CSRF-Token": token, "Host": "attacker.invalid"})
        assert link.status_code == 200 and link.json()["url"].startswith("https://links.invalid/s/")
