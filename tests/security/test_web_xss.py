"""Names, ids and search words from the data or the address bar are text on every page: a
customer named ``<script>…`` and one whose id is an ``<img onerror>`` show escaped, and every
page carries a Content-Security-Policy that runs only the app's own scripts."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import EVIL_ID, EVIL_NAME, log_in, make_web_workspace


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from xuanba.web import create_app

    path = make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb", n=40)
    with TestClient(create_app(path, linger_s=0)) as c:
        log_in(c, "boss")
        yield c


def _clean(html: str) -> None:
    assert EVIL_ID not in html and EVIL_NAME not in html and "<script>alert" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")


def test_names_and_ids_are_escaped_in_the_roster(client):
    page = client.get("/roster", params={"q": "script"})
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page.text
    _clean(page.text)
    page = client.get("/roster", params={"per_page": 200})
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    _clean(page.text)
    assert quote(EVIL_ID, safe="") in page.text  # the link to its page quotes it


def test_the_evil_customers_page_and_statement_escape_them(client):
    cid = quote(EVIL_ID, safe="")
    page = client.get(f"/customers/{cid}")
    assert page.status_code == 200 and "&lt;img src=x" in page.text
    _clean(page.text)
    st = client.get(f"/customers/{cid}/statement")
    assert st.status_code == 200
    _clean(st.text)
    assert client.get(f"/api/customers/{cid}").json()["standing"]["name"] == EVIL_NAME  # JSON keeps the text


def test_search_words_and_wild_parameters_come_back_escaped(client):
    words = '"><script>alert(9)</script>'
    for path in ("/roster", "/login"):
        page = client.get(path, params={"q": words, "tier": words, "next": words, "round": words})
        assert "<script>alert(9)" not in page.text


def test_every_page_has_a_strict_content_security_policy(client):
    for path in ("/", "/roster", "/rounds", "/customers/C0000002", "/customers/C0000002/statement", "/login"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"


def test_the_pages_load_no_asset_from_another_host(client):
    import re

    for path in ("/", "/roster", "/customers/C0000002", "/login"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_labels_from_the_standard_are_escaped_on_pages_and_statements(tmp_path):
    """A standard whose tier and criterion labels hold markup (a standard is text anyone with the
    file may have written) shows it as text on the customer page, the statement and a link."""
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    evil = "<img src=x onerror=alert(7)>"
    path = make_web_workspace(tmp_path / "ws.duckdb", n=30)
    with Workspace(path) as w:
        w.con.execute("UPDATE rounds SET standard_text = replace(replace(standard_text, 'label = \"Gold\"', "
                      "?), 'label = \"Margin, last 365 days\"', ?)",
                      [f"label = '{evil}'", f"label = '{evil} margin'"])
        link = store.create_link(w, "C0000002", days=1)
        gold = w.sql("SELECT customer_id FROM roster WHERE round_id = 2 AND tier = 'gold' LIMIT 1").iloc[0, 0]
    with TestClient(create_app(path, linger_s=0)) as c:
        log_in(c, "boss")
        pages = [c.get(f"/customers/{quote(gold, safe='')}"), c.get(f"/customers/{quote(gold, safe='')}/statement"),
                 c.get("/customers/C0000002/statement"), c.get(f"/s/{link['token']}")]
        assert all(p.status_code == 200 for p in pages)
        assert any("&lt;img src=x onerror=alert(7)&gt;" in p.text for p in pages)
        for p in pages:
            assert evil not in p.text
