"""The roster's filters, the customer's predictions and account, the account-work page and the
API page, each checked against the stored round read another way (the library's loader and
pandas, the accounts library on the whole side tables)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from starlette.testclient import TestClient

from tests.web.account_helpers import account_workspace, stored
from tests.web.helpers import log_in


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return account_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def rnd(ws):
    return stored(ws)


@pytest.fixture(scope="module")
def boss(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        log_in(c, "boss")
        yield c


def _table(rnd) -> pd.DataFrame:
    """The stored roster with the stored owner and segment beside it, in rank order."""
    f = rnd.fields[["customer_id", "owner", "segment"]]
    return rnd.roster.merge(f, on="customer_id", how="left").sort_values("rank").reset_index(drop=True)


def _cases(t: pd.DataFrame) -> list[tuple[dict, pd.Series]]:
    owner = str(t["owner"].value_counts().index[1])
    segment = str(t["segment"].value_counts().index[0])
    quadrant = str(t["quadrant"].value_counts().index[-1])
    return [
        ({"quadrant": quadrant}, t["quadrant"] == quadrant),
        ({"owner": owner}, t["owner"] == owner),
        ({"segment": segment}, t["segment"] == segment),
        ({"score_min": "40.5"}, t["score"] >= 40.5),
        ({"score_max": "12"}, t["score"] <= 12),
        ({"score_min": "20", "score_max": "60"}, t["score"].between(20, 60)),
        ({"selected": "yes"}, t["selected"]),
        ({"selected": "no"}, ~t["selected"]),
        ({"left_out": "yes"}, t["left_out_by_capacity"]),
        ({"left_out": "no"}, ~t["left_out_by_capacity"]),
        ({"owner": owner, "selected": "no", "left_out": "yes", "score_min": "30"},
         (t["owner"] == owner) & ~t["selected"] & t["left_out_by_capacity"] & (t["score"] >= 30)),
        ({"segment": segment, "quadrant": quadrant, "tier": "-"},
         (t["segment"] == segment) & (t["quadrant"] == quadrant) & (t["tier"] == "")),
    ]


def test_each_roster_filter_keeps_what_pandas_keeps_of_the_stored_roster(boss, rnd):
    t = _table(rnd)
    assert t["left_out_by_capacity"].any() and t["selected"].any()  # the filters have something to tell apart
    for params, keep in _cases(t):
        want = t.loc[keep]
        assert 0 < len(want) < len(t), params
        got = boss.get("/api/roster", params={**params, "per_page": 50}).json()
        assert got["total"] == len(want), params
        assert [r["customer_id"] for r in got["rows"]] == want["customer_id"].head(50).tolist(), params
        frame = pd.read_csv(io.BytesIO(boss.get("/roster/export.csv", params=params).content),
                            encoding="utf-8-sig", dtype={"customer_id": str})
        assert frame["customer_id"].tolist() == want["customer_id"].tolist(), params  # the filtered rows only


def test_unreadable_filter_values_are_ignored_not_errors(boss, rnd):
    n = len(rnd.roster)
    for params in ({"score_min": "abc"}, {"score_max": "nan"}, {"selected": "maybe"}, {"left_out": "';--"},
                   {"score_min": "inf"}):
        r = boss.get("/api/roster", params=params)
        assert r.status_code == 200 and r.json()["total"] == n, params
    assert boss.get("/api/roster", params={"owner": "nobody"}).json()["total"] == 0
    assert boss.get("/api/roster", params={"segment": "%"}).json()["total"] == 0  # no wildcard


def test_the_filters_stay_in_the_address_the_pager_and_the_export_links(boss, rnd):
    t = _table(rnd)
    owner = str(t["owner"].value_counts().index[1])
    page = boss.get("/roster", params={"owner": owner, "selected": "no", "score_min": "10"})
    html = page.text
    for link in re.findall(r'href="(/roster(?:/export\.\w+)?\?[^"]*)"', html):
        if "export" in link or "page=" in link:
            assert "selected=no" in link and "score_min=10" in link and "owner=" in link, link
    assert 'value="no" selected' in html and 'value="10"' in html
    want = t.loc[(t["owner"] == owner) & ~t["selected"] & (t["score"] >= 10), "customer_id"].tolist()
    x = boss.get("/roster/export.xlsx", params={"owner": owner, "selected": "no", "score_min": "10"})
    sheet = pd.read_excel(io.BytesIO(x.content), dtype=str)
    assert len(sheet) == len(want) and sheet.iloc[:, 1].tolist() == want  # the Excel file: the filtered rows only
    choices = boss.get("/api/roster").json()["choices"]
    assert choices["owners"] == sorted(t["owner"].dropna().unique().tolist())
    assert choices["segments"] == sorted(t["segment"].dropna().unique().tolist())
    assert choices["quadrants"] == sorted(t["quadrant"].unique().tolist())


def test_the_customer_page_shows_the_predictions_the_round_stored(boss, ws, rnd):
    cid = str(rnd.roster["customer_id"].iloc[0])
    c = boss.get(f"/api/customers/{cid}").json()
    row = rnd.fields.set_index("customer_id").loc[cid]
    names = [p["name"] for p in c["predictions"]]
    assert names == ["p_alive", "expected_purchases_1y", "expected_spend", "clv_1y", "clv_3y", "churn_90d"]
    for p in c["predictions"]:
        assert p["value"] == pytest.approx(float(row[p["name"]]))
        assert p["lower"] is None and p["upper"] is None  # this round stored no interval
    page = boss.get(f"/customers/{cid}").text
    assert "not stored by the round" in page and 'id="predictions"' in page
    assert f"{float(row['clv_3y']):,.3f}" in page


def test_stored_intervals_show_beside_their_prediction(tmp_path):
    """A round that stored ``clv_3y_lower``/``_upper`` (predictions made elsewhere, say) shows them."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    r = synthetic_round(30, seed=3, people=True)
    r.fields["clv_3y"] = 100.0 + r.fields.index
    r.fields["clv_3y_lower"] = r.fields["clv_3y"] - 7.25
    r.fields["clv_3y_upper"] = r.fields["clv_3y"] + 9.5
    r.meta.update(name="r1", roster_sha256="0" * 64, extra_fields=["internal_credit"], field_columns=[c for c in r.fields.columns if c != "customer_id"])
    with Workspace(tmp_path / "ws.duckdb") as w:
        save_round(w, r)
        store.add_user(w, "boss", "correct horse battery", role="manager")
    cid = str(r.fields["customer_id"].iloc[4])
    with TestClient(create_app(tmp_path / "ws.duckdb", linger_s=0)) as c:
        log_in(c, "boss")
        p = {x["name"]: x for x in c.get(f"/api/customers/{cid}").json()["predictions"]}
        assert p["clv_3y"]["value"] == 104.0 and p["clv_3y"]["lower"] == 96.75 and p["clv_3y"]["upper"] == 113.5
        assert "104.000 (96.750–113.500)" in c.get(f"/customers/{cid}").text


def test_the_account_view_matches_the_accounts_library_on_the_whole_tables(boss, ws, rnd):
    """Contacts, promises (their state at the cutoff), interactions and resources of one account,
    read per customer by the page, equal what the accounts library finds in the whole tables."""
    from xuanba.accounts import account_view, match_resources
    from xuanba.accounts.stored import stored_tables, stored_transactions

    side = stored_tables(ws)
    cutoff = rnd.meta["cutoff"]
    promised = side["commitments"]["customer_id"].value_counts()
    cid = str(next(c for c in rnd.roster["customer_id"] if promised.get(c, 0) >= 2))
    v = account_view(cid, stored_transactions(ws), side["customers"], side["contacts"], side["interactions"],
                     side["commitments"], as_of=cutoff)
    a = boss.get(f"/api/customers/{cid}").json()["account"]
    assert [x["kpi"] for x in a["contacts"]] == v["contacts"]["kpi"].tolist()
    assert sorted((x["due_on"][:10], x["state"]) for x in a["promises"]) == sorted(
        zip(v["promises"]["due_on"].dt.strftime("%Y-%m-%d"), v["promises"]["state"], strict=True))
    assert [x["ts"][:19] for x in a["interactions"]] == [
        ts.isoformat()[:19] for ts in v["interactions"]["ts"].head(10)]
    want = match_resources(side["resources"], side["needs"], customer_id=cid)["resource_id"].head(10).tolist()
    assert [x["resource_id"] for x in a["resources"]] == want
    fields = rnd.fields.set_index("customer_id").loc[cid]
    assert a["fields"]["profit_365d"] == pytest.approx(float(fields["profit_365d"]))
    page = boss.get(f"/customers/{cid}").text
    for table in ("contacts", "promises", "interactions", "resources"):
        assert f'id="{table}"' in page
    assert 'id="fig-history"' in page and '<script src="/assets/plotly.min.js"' in page


def test_a_customers_receivables_are_the_rounds_stored_row(boss, rnd):
    rec = rnd.tables["receivables"].frame
    cid = str(rec.loc[rec["customer_id"] != "TOTAL", "customer_id"].iloc[0])
    got = boss.get(f"/api/customers/{cid}").json()["account"]["receivables"]
    row = rec.set_index("customer_id").loc[cid]
    assert got["open_balance"] == pytest.approx(float(row["open_balance"]))
    assert got["current"] == pytest.approx(float(row["current"]))


def _values(arr) -> list[float]:
    """A Plotly array: a list, or the typed array (base64) newer Plotly writes."""
    import base64

    import numpy as np

    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"])).tolist()
    return list(arr)


def test_the_account_work_page_renders_the_stored_analyses(boss, rnd):
    a = boss.get("/api/accounts").json()
    assert a["round_id"] == 2 and not a["scoped"]
    assert {s["id"] for s in a["sections"]} == {"accounts-size", "accounts-promises", "accounts-owners",
                                                "accounts-keep-warm", "accounts-ageing", "accounts-personas"}
    sec = {s["id"]: s for s in a["sections"]}
    prom = rnd.tables["promises"].frame
    assert [r[0] for r in sec["accounts-promises"]["table"]["rows"]] == prom["rep"].astype(str).tolist()
    warm = rnd.tables["keep_warm"].frame
    assert [r[0] for r in sec["accounts-keep-warm"]["table"]["rows"]] == warm["customer_id"].astype(str).head(15).tolist()
    # keep-warm by owner: the stored list counted by the stored owners
    owners = rnd.fields.set_index("customer_id")["owner"]
    counts = warm["customer_id"].astype(str).map(owners).value_counts()
    assert {r["owner"]: r["accounts"] for r in a["keep_warm_by_owner"]} == counts.to_dict()
    # the whale curve: the stored peak, drawn from the stored profits
    peak = rnd.meta["summary"]["whale"]
    assert a["whale"]["customer_pct"] == pytest.approx(peak["customer_pct"])
    assert a["whale"]["profit_pct"] == pytest.approx(peak["profit_pct"])
    ys = _values(a["whale"]["figure"]["data"][0]["y"])
    assert max(ys) == pytest.approx(peak["profit_pct"], rel=1e-6)
    # the ledger's overdue promises at the cutoff: as many as the round's stored analysis counted
    assert a["overdue"]["count"] == rnd.tables["promises"].info["overdue"] > 0
    days = [r["days_overdue"] for r in a["overdue"]["rows"]]
    assert days == sorted(days, reverse=True) and len(days) == min(50, a["overdue"]["count"])
    page = boss.get("/accounts").text
    assert 'id="overdue-promises"' in page
    assert '<div class="chart" data-figure="fig-whale">' in page
    assert '<script type="application/json" id="fig-whale">' in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all('src="/' in s or 'type="application/json"' in s for s in scripts)  # no inline code
    assert boss.get("/api/accounts?round=1").json()["round_id"] == 1
    assert boss.get("/api/accounts?round=9").status_code == 404


def test_account_work_in_chinese(boss):
    boss.get("/lang/zh")
    try:
        page = boss.get("/accounts").text
        assert "鲸鱼曲线" in page and "保温名单" in page and "客户经营" in page
    finally:
        boss.get("/lang/en")


def test_plotly_is_served_by_the_app_from_the_installed_package(ws, boss):
    from xuanba.web import create_app
    from xuanba.web.account_pages import plotly_path

    r = boss.get("/assets/plotly.min.js")
    assert r.status_code == 200 and r.content == plotly_path().read_bytes()
    assert r.headers["content-type"].startswith("text/javascript") and "max-age" in r.headers["cache-control"]
    with TestClient(create_app(ws, linger_s=0)) as anon:
        assert anon.get("/assets/plotly.min.js", follow_redirects=False).status_code == 303
    assert boss.get("/static/charts.js").status_code == 200


def test_the_api_page_documents_every_api_route(boss):
    from starlette.routing import Route

    from xuanba.web import create_app

    api = {r.path.replace(":path", "") for r in create_app(":memory:").routes
           if isinstance(r, Route) and r.path.startswith("/api/")}
    page = boss.get("/api-docs")
    assert page.status_code == 200
    for path in api:
        assert f"{path}</code>" in page.text, path
    for param in ("score_min", "left_out", "segment", "quadrant"):
        assert f"<code>{param}</code>" in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from elsewhere
