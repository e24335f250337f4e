"""The web app in-process (Starlette's TestClient): log-in, the pages and their JSON twins read
the stored rounds, the roster filters, sorts and pages in SQL, the CLI adds users and links."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.web.helpers import PASSWORD, log_in, make_web_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb")


@pytest.fixture
def client(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        yield c


def test_a_manager_logs_in_and_sees_the_latest_rounds_stored_figures(client, ws):
    from xuanba.rounds import load_round

    assert log_in(client, "boss").status_code == 303
    o = client.get("/api/overview").json()
    stored = load_round(ws, "latest", fields=False, contributions=False)
    assert o["round_id"] == 2 and o["customers"] == len(stored.roster)
    assert o["selected"] == int(stored.roster["selected"].sum())
    assert sum(o["tier_counts"].values()) == len(stored.roster)
    page = client.get("/")
    assert page.status_code == 200 and f'id="n-selected">{o["selected"]}<' in page.text
    assert [r["round_id"] for r in client.get("/api/rounds").json()] == [2, 1]


def test_the_roster_filters_sorts_and_pages_like_the_stored_roster(client, ws):
    from xuanba.rounds import load_round

    log_in(client, "boss")
    roster = load_round(ws, "latest", fields=False, contributions=False).roster
    first = client.get("/api/roster?per_page=25").json()
    assert first["total"] == len(roster) and first["pages"] == -(-len(roster) // 25)
    assert [r["customer_id"] for r in first["rows"]] == roster["customer_id"].head(25).tolist()
    third = client.get("/api/roster?per_page=25&page=3").json()
    assert [r["rank"] for r in third["rows"]] == list(range(51, 76))
    gold = client.get("/api/roster?tier=gold&per_page=200").json()
    assert gold["total"] == int((roster["tier"] == "gold").sum()) and {r["tier"] for r in gold["rows"]} == {"gold"}
    out = client.get("/api/roster?tier=-&per_page=200").json()
    assert out["total"] == int((roster["tier"] == "").sum())
    by_score = client.get("/api/roster?sort=score&desc=0&per_page=200").json()["rows"]
    assert [r["score"] for r in by_score] == sorted(r["score"] for r in by_score)
    found = client.get("/api/roster?q=c000001").json()  # C0000010..19, by id, case-insensitive
    assert found["total"] == 10 and all("C000001" in r["customer_id"] for r in found["rows"])
    by_name = client.get("/api/roster", params={"q": "Customer 7"}).json()
    assert by_name["total"] >= 1 and all("Customer 7" in r["name"] for r in by_name["rows"])
    # the page and its htmx partial
    page = client.get("/roster?tier=gold")
    assert page.status_code == 200 and "<nav>" in page.text
    part = client.get("/roster?tier=gold", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<nav>" not in part.text and "<table" in part.text


def test_wild_sorts_and_pages_fall_back_instead_of_failing(client):
    log_in(client, "boss")
    r = client.get("/api/roster", params={"sort": "rank; DROP TABLE roster", "page": "-3", "per_page": "9999"}).json()
    assert r["sort"] == "rank" and r["page"] == 1 and r["per_page"] == 50
    assert client.get("/api/roster", params={"q": "%_%"}).json()["total"] == 0  # no wildcard in a search


def test_the_customer_page_shows_the_stored_standing_breakdown_history_and_statement(client, ws):
    from xuanba.rounds import customer_standing

    log_in(client, "boss")
    c = client.get("/api/customers/C0000002").json()
    stored = customer_standing(ws, "latest", "C0000002")
    assert c["standing"]["rank"] == stored["rank"] and c["standing"]["score"] == pytest.approx(stored["score"])
    assert {k["criterion"] for k in c["contributions"]} == {"value", "potential", "credit"}
    assert [h["round_id"] for h in c["history"]] == [1, 2]
    page = client.get("/customers/C0000002")
    assert page.status_code == 200 and "/customers/C0000002/statement" in page.text
    assert "Revenue (365 days)" in page.text and f"{stored['revenue_365d']:,.2f}" in page.text
    st = client.get("/customers/C0000002/statement")
    assert st.status_code == 200 and "C0000002" in st.text and "C0000003" not in st.text
    assert client.get("/api/customers/C0000002?round=1").json()["round_id"] == 1


def test_pages_follow_the_browser_language_then_the_users_choice(client):
    log_in(client, "boss")
    assert "概览" in client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert "Overview" in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.1"}).text
    client.get("/lang/zh")
    assert "名单" in client.get("/roster", headers={"Accept-Language": "en"}).text
    client.cookies.clear()
    log_in(client, "boss")  # the choice is the user's, kept for the next log-in
    assert "名单" in client.get("/roster", headers={"Accept-Language": "en"}).text
    client.get("/lang/en")
    assert "Roster" in client.get("/roster", headers={"Accept-Language": "zh"}).text


def test_a_rep_sees_only_their_own_customers_in_counts(client, ws):
    log_in(client, "ann")
    rows = client.get("/api/roster?per_page=200").json()["rows"]
    assert rows and {r["owner"] for r in rows} == {"Rep 01"}
    o = client.get("/api/overview").json()
    assert o["customers"] == len(rows) and o["value_share"] is None and o["scoped"]


def test_cli_adds_lists_disables_users_and_shares_links(tmp_path):
    from xuanba.cli import app
    from xuanba.web import store
    from xuanba.workspace import Workspace

    path = make_web_workspace(tmp_path / "ws.duckdb", n=30)
    run = CliRunner()
    w = ["--workspace", str(path)]
    res = run.invoke(app, ["users", "add", "cara", "--role", "rep", "--owner", "Rep 00", *w],
                     input=f"{PASSWORD}\n{PASSWORD}\n")
    assert res.exit_code == 0, res.output
    assert "no customer of the latest round" not in res.output  # Rep 00 owns customers there
    res = run.invoke(app, ["users", "add", "cy", "--role", "rep", "--owner", "Rep 0", "--password-stdin", *w],
                     input=f"{PASSWORD}\n")  # a typo: the rep would see nothing, and is told
    said = " ".join(res.output.split())  # the console wraps long lines
    assert res.exit_code == 0 and "no customer of the latest round (round 2) has the owner 'Rep 0'" in said
    assert "'Rep 00', 'Rep 01', 'Rep 02'" in said
    res = run.invoke(app, ["users", "add", "dan", "--role", "rep", "--password-stdin", *w], input=f"{PASSWORD}\n")
    assert res.exit_code == 2 and "--owner" in res.output  # a rep needs an owner name
    res = run.invoke(app, ["users", "add", "eve", "--role", "admin", "--password-stdin", *w], input="short\n")
    assert res.exit_code == 2 and "at least" in res.output
    res = run.invoke(app, ["users", "list", "--json", *w])
    assert {"cara", "admin"} <= {u["name"] for u in __import__("json").loads(res.output)}
    assert run.invoke(app, ["users", "disable", "cara", *w]).exit_code == 0
    with Workspace(path, read_only=True) as ro:
        assert store.check_password(ro, "cara", PASSWORD) is None  # disabled
        assert store.check_password(ro, "boss", PASSWORD)["role"] == "manager"
        assert "$argon2id$" in ro.sql("SELECT password_hash FROM web_users WHERE name = 'boss'").iloc[0, 0]
    res = run.invoke(app, ["share", "C0000002", "--days", "7", "--json", *w])
    assert res.exit_code == 0, res.output
    link = __import__("json").loads(res.output)
    assert "/s/" in link["url"] and link["customer_id"] == "C0000002"
    assert run.invoke(app, ["share", "NOPE", *w]).exit_code == 2
    assert run.invoke(app, ["share", "--revoke", link["link_id"], *w]).exit_code == 0
    with Workspace(path, read_only=True) as ro:
        assert store.live_link(ro, link["link_id"]) is None
        actions = [r["action"] for r in store.audit_log(ro)]
    assert {"user_add", "user_disable", "link_create", "link_revoke"} <= set(actions)


def test_serve_refuses_to_listen_beyond_localhost_without_a_user(tmp_path):
    from xuanba.cli import app
    from xuanba.workspace import Workspace

    path = tmp_path / "empty.duckdb"
    Workspace(path).close()
    res = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--workspace", str(path)])
    assert res.exit_code == 2 and "0.0.0.0" in res.output



def _hold(path, read_only: bool):
    """A second process that holds the workspace open (read-only or to write) until killed."""
    import os
    import subprocess
    import sys

    code = ("import sys, time; from xuanba.workspace import Workspace; "
            f"ws = Workspace({str(path)!r}, read_only={read_only}); print('READY', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "READY"
    return proc


def test_the_server_and_the_cli_share_the_workspace_without_hanging(tmp_path):
    """A moment after its last request the server holds nothing, so a CLI write works; a CLI write while another
    process reads ends at once with exit 5; a page asked while another process writes says busy (503)."""
    import os
    import subprocess
    import sys
    import time

    from xuanba.cli import app
    from xuanba.web import create_app

    path = make_web_workspace(tmp_path / "ws.duckdb", n=20)
    with TestClient(create_app(path, linger_s=0.2)) as c:
        log_in(c, "boss")
        assert c.get("/api/overview").status_code == 200
        time.sleep(0.6)  # the server let go of the file after its linger
        argv = ["xuanba", "users", "add", "fay", "--role", "manager", "--password-stdin", "--workspace", str(path)]
        out = subprocess.run([sys.executable, "-c", f"import sys; sys.argv = {argv!r}; from xuanba.cli import main; main()"],
                             input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert out.returncode == 0, out.stderr
        reader = _hold(path, read_only=True)  # a server (or a report) reading
        try:
            t0 = time.monotonic()
            res = CliRunner().invoke(app, ["users", "add", "gus", "--role", "manager", "--password-stdin",
                                           "--workspace", str(path)], input=PASSWORD + "\n")
            assert res.exit_code == 5 and "holds the workspace open" in res.output
            assert time.monotonic() - t0 < 10
            assert c.get("/api/overview").status_code == 200  # readers side by side
        finally:
            reader.kill()
            reader.communicate()
        time.sleep(0.6)  # the server lets go of the file
        writer = _hold(path, read_only=False)  # a command writing
        try:
            t0 = time.monotonic()
            r = c.get("/api/overview")
            assert r.status_code == 503 and "busy" in r.json()["message"] and time.monotonic() - t0 < 10
        finally:
            writer.kill()
            writer.communicate()
        assert c.get("/api/overview").status_code == 200


def test_the_filtered_roster_exports_to_csv_and_excel(client, ws):
    import io

    import pandas as pd

    log_in(client, "boss")
    total = client.get("/api/roster?tier=gold").json()["total"]
    r = client.get("/roster/export.csv?tier=gold")
    assert r.status_code == 200 and r.content[:3] == b"\xef\xbb\xbf"
    assert r.headers["content-disposition"] == 'attachment; filename="roster-round-2.csv"'
    frame = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", dtype={"customer_id": str})
    assert len(frame) == total and set(frame["tier"]) == {"gold"} and frame["rank"].is_monotonic_increasing
    x = client.get("/roster/export.xlsx?q=C000001&round=1")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/roster/export.parquet").status_code == 404


def test_two_rounds_compare_as_the_stored_diff_says(client, ws):
    from xuanba.rounds import diff_rounds

    log_in(client, "boss")
    d = client.get("/api/rounds/compare?a=1&b=2").json()
    stored = diff_rounds(ws, 1, 2)
    for k in ("entered", "left", "rose", "fell"):
        assert d["summary"][k] == stored.summary[k]
        assert len(d["movers"][k]) == min(50, stored.summary[k])
    assert sum(map(sum, d["migration"]["values"])) == int(stored.migration.to_numpy().sum())
    page = client.get("/rounds/compare")  # the latest two by default
    assert page.status_code == 200 and f'id="n-entered">{stored.summary["entered"]}<' in page.text
    assert client.get("/api/rounds/compare?a=1&b=99").status_code == 404


def test_an_id_with_slashes_has_its_page_statement_and_link(client):
    from urllib.parse import quote

    from tests.web.helpers import SLASH_ID, csrf_of

    log_in(client, "boss")
    cid = quote(SLASH_ID, safe="")
    assert client.get(f"/api/customers/{cid}").json()["standing"]["customer_id"] == SLASH_ID
    page = client.get(f"/customers/{cid}")
    assert page.status_code == 200 and f"/customers/{cid}/statement" in page.text
    assert SLASH_ID in client.get(f"/customers/{cid}/statement").text
    link = client.post(f"/api/customers/{cid}/share", headers={"X-CSRF-Token": csrf_of(page.text)}).json()
    assert link["customer_id"] == SLASH_ID


def test_pages_by_rank_read_a_range_and_match_the_sorted_query(client, ws):
    """The fast path (a range of ranks) gives the rows the general query gives, both ways."""
    from xuanba.web import data
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        for desc in (False, True):
            for page in (1, 2, 5):
                fast = data.roster_page(ro, 2, page=page, per_page=25, desc=desc)["rows"]
                slow = ro.sql(f"SELECT customer_id FROM roster WHERE round_id = 2 ORDER BY rank {'DESC' if desc else ''} "
                              "LIMIT 25 OFFSET ?", [(page - 1) * 25])["customer_id"].astype(str).tolist()
                assert [r["customer_id"] for r in fast] == slow


def test_the_command_line_loads_no_web_library_until_serve_runs():
    """``xuanba --help`` and ``xuanba users --help`` leave Starlette, uvicorn, Argon2 and
    itsdangerous unloaded (the commands import them when they run)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    web = ["starlette", "uvicorn", "argon2", "itsdangerous", "multipart", "xuanba.web"]
    code = ("import sys; from typer.testing import CliRunner; from xuanba.cli import app; "
            "[CliRunner().invoke(app, a) for a in (['--help'], ['users', '--help'], ['share', '--help'])]; "
            f"print([m for m in {web!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(src)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_openapi_document_lists_every_api_route(client):
    from starlette.routing import Route

    from xuanba.web import create_app

    api = {r.path.replace(":path", "") for r in create_app(":memory:").routes
           if isinstance(r, Route) and r.path.startswith("/api/")}
    assert client.get("/api/openapi.json").status_code == 401  # behind the log-in like the rest
    log_in(client, "boss")
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.") and set(doc["paths"]) == api


def test_the_overview_says_the_stored_interval_warnings_in_the_pages_language(tmp_path):
    # a round stores its warnings as they were raised (English); the page says them in its language
    import json

    from tests.web.helpers import make_web_workspace
    from xuanba.i18n import t
    from xuanba.web import create_app
    from xuanba.workspace import Workspace

    path = make_web_workspace(tmp_path / "ws.duckdb", n=30)
    raised = ("UserWarning: no 90% interval for expected_spend, clv_1y and clv_3y: GammaGamma's fit cannot give one ("
              + t("interval_not_psd", "en") + ")")
    with Workspace(path) as ws:
        meta = json.loads(ws.con.execute("SELECT meta_json FROM rounds WHERE round_id = 2").fetchone()[0])
        meta["model_warnings"] = [raised, "RuntimeWarning: overflow encountered in exp"]
        ws.con.execute("UPDATE rounds SET meta_json = ? WHERE round_id = 2", [json.dumps(meta)])
    with TestClient(create_app(path)) as c:
        log_in(c, "boss")
        zh = c.get("/", headers={"Accept-Language": "zh-CN"}).text
        assert "预计每次消费额、预计价值（未来一年）、预计价值（未来三年）没有 90% 区间" in zh
        assert "GammaGamma 模型的拟合给不出区间（协方差矩阵不是半正定的" in zh and "cannot give one" not in zh
        assert "RuntimeWarning: overflow encountered in exp" in zh  # a warning without a phrase stays as it is
        en = c.get("/", headers={"Accept-Language": "en"}).text
        assert "no 90% interval for Expected spend per purchase, Value (next year)" in en
        assert c.get("/api/overview").json()["warnings"][0] == raised  # the JSON gives what the round stored


def _overview_warnings(html: str) -> list[str]:
    """The items of the overview's list of warnings as a reader sees them (tags stripped, unescaped)."""
    import html as html_module
    import re

    box = re.search(r'<ul class="warnings">(.*?)</ul>', html, re.S)
    assert box, "no list of warnings on the page"
    return [html_module.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", box[1], re.S)]


def test_the_overview_says_untrusted_fits_and_the_fallback_in_the_pages_language(tmp_path):
    """Issue 14: why a fit cannot be trusted (as a round stores it, English) and the fallback the
    round applied read Chinese on a zh page and English on an en page; names, values and reasons
    inside stay as they are, a hostile one is escaped, an unknown warning is shown as stored."""
    import json

    from xuanba.web import create_app
    from xuanba.workspace import Workspace

    path = make_web_workspace(tmp_path / "ws.duckdb", n=30)
    hostile = "<img src=x onerror=alert(1)>"
    stored = ["BGNBD cannot be trusted: a = 1e-07 is at the edge of its range; the optimiser did not converge",
              f"GammaGamma cannot be trusted: the standard error of {hostile} is zero",
              "BGNBD cannot be trusted: a at its bound",  # a problem without a phrase: the model's part still reads
              "Some library said <b>this</b>"]
    fallback = {"on_no_model": "drop", "unavailable": ["p_alive", "churn_90d"], "reason": f"no candidate fits {hostile}",
                "criteria": ["still_active", "at risk"], "gates": ["alive_enough"], "tie_break": []}
    with Workspace(path) as ws:
        meta = json.loads(ws.con.execute("SELECT meta_json FROM rounds WHERE round_id = 2").fetchone()[0])
        meta["model_warnings"], meta["fallback"] = stored, fallback
        ws.con.execute("UPDATE rounds SET meta_json = ? WHERE round_id = 2", [json.dumps(meta)])
    with TestClient(create_app(path)) as c:
        log_in(c, "boss")
        zh_html = c.get("/", headers={"Accept-Language": "zh-CN"}).text
        en_html = c.get("/", headers={"Accept-Language": "en"}).text
        api = c.get("/api/overview").json()
    for page in (zh_html, en_html):  # escaped wherever it came from
        assert hostile not in page and "<b>this</b>" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    zh, en = _overview_warnings(zh_html), _overview_warnings(en_html)
    assert zh == ["BGNBD 模型的拟合不可信：参数 a = 1e-07 落在了取值范围的边界上；优化算法没有收敛",
                  f"GammaGamma 模型的拟合不可信：参数 {hostile} 的标准误为零",
                  "BGNBD 模型的拟合不可信：a at its bound",
                  "Some library said <b>this</b>",
                  f"没有模型能给出仍活跃概率、流失概率（90天内）（no candidate fits {hostile}），"
                  "本轮计分时略去了：still_active、at risk、alive_enough"]
    assert en == [*stored, f"no model could give P(alive), Churn risk (90 days) (no candidate fits {hostile}), "
                           "so the round scored without still_active, at risk, alive_enough"]
    # the JSON gives what the round stored, and the fallback as it was stored
    assert api["warnings"][:4] == stored and api["fallback"] == fallback


def test_ids_that_end_like_a_route_or_hold_escapes_have_their_own_pages(tmp_path):
    """``K1/statement`` is a customer, not the statement of ``K1``: paths are routed as sent (with
    ``%2F``), and ids holding ``%``, ``%2F`` as text or CJK come back exactly."""
    from urllib.parse import quote

    from tests.web.helpers import csrf_of
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    ids = {"C0000002": "K1", "C0000003": "K1/statement", "C0000005": "K1/share", "C0000006": "50%2F off",
           "C0000007": "东/西 %", "C0000008": "a%2Fb/statement"}
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as w:
        r = synthetic_round(12, seed=5, people=True)
        for frame in (r.roster, r.contributions, r.fields):
            frame["customer_id"] = frame["customer_id"].replace(ids)
        r.meta.update(name="r1", roster_sha256="5" * 64, extra_fields=["internal_credit"],
                      field_columns=[c for c in r.fields.columns if c != "customer_id"])
        save_round(w, r)
        store.add_user(w, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0)) as c:
        log_in(c, "boss")
        for cid in ids.values():
            q = quote(cid, safe="")
            assert c.get(f"/api/customers/{q}").json()["standing"]["customer_id"] == cid, cid
            page = c.get(f"/customers/{q}")
            assert page.status_code == 200 and f"/customers/{q}/statement" in page.text, cid
            statement = c.get(f"/customers/{q}/statement")
            assert statement.status_code == 200 and f"({cid})" in statement.text.replace("&amp;", "&"), cid
            link = c.post(f"/api/customers/{q}/share", headers={"X-CSRF-Token": csrf_of(page.text)})
            assert link.status_code == 200 and link.json()["customer_id"] == cid, cid
        assert c.get("/customers/K1/statement").status_code == 200  # K1's statement, as before
        assert "(K1)" in c.get("/customers/K1/statement").text
