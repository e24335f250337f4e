"""The web pages of a customer an engine round ranked but did not select, attacked as a stranger
would: a rep must not tell another rep's customer (selected or not) from no customer on any page,
and a rank read from the roster output must be the round's own, not that of a later round that
wrote its roster to the same folder."""

from __future__ import annotations

import html
import re
import shutil
from urllib.parse import quote, unquote

import pandas as pd
import pytest

from tests._helpers import store as put
from tests.test_round_engine import BUSY_STANDARD, _workspace, read_roster, simulated_transactions
from tests.test_round_engine_outputs import seen
from tests.web.helpers import PASSWORD, log_in
from xuanba.i18n import t
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

STANDARD = BUSY_STANDARD.replace("max_accounts = 50", "max_accounts = 60")
FIRST, SECOND = "2025-09-30", "2025-12-31"
NOBODY = "<b>nobody</b>=1+1"


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """``one``: an engine round at FIRST with its roster output (a copy kept aside as the truth);
    ``two``: the same round, then one at SECOND written to the same --roster-out folder."""
    tmp = tmp_path_factory.mktemp("unsel")
    tx = simulated_transactions(300, seed=13)
    ids = sorted(tx["customer_id"].unique())
    side = _workspace(tmp, tx)
    from xuanba.workspace import Workspace

    with Workspace(side) as w:
        owners = [f"Rep {i % 3:02d}" for i in range(len(ids))]
        put(w, "customers", pd.DataFrame({"customer_id": ids, "owner": owners}))
    std = load_standard(STANDARD)
    common = {"side_tables": side, "check_model": False}
    run_round_on_engine(
        tx, std, FIRST, workspace=tmp / "one.duckdb", roster_out=tmp / "one", **common
    )
    run_round_on_engine(
        tx, std, FIRST, workspace=tmp / "two.duckdb", roster_out=tmp / "shared", **common
    )
    first = read_roster(tmp / "shared")  # round 1's every row, before round 2 writes there
    run_round_on_engine(
        tx, std, SECOND, workspace=tmp / "two.duckdb", roster_out=tmp / "shared", **common
    )
    second = read_roster(tmp / "shared")
    owner = pd.DataFrame({"customer_id": ids, "owner": owners})
    return {
        "one": tmp / "one.duckdb",
        "two": tmp / "two.duckdb",
        "first": first.merge(owner, on="customer_id"),
        "second": second.merge(owner, on="customer_id"),
        "shared": tmp / "shared",
    }


def _get(path, tmp_path, user, role, owner, *urls, lang="en"):
    from starlette.testclient import TestClient

    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    path = shutil.copy(path, tmp_path / f"{user}-{path.name}")
    with Workspace(path) as w:
        store.add_user(w, user, PASSWORD, role=role, owner=owner)
    with TestClient(create_app(path, linger_s=0), headers={"accept-language": lang}) as client:
        log_in(client, user)
        return [client.get(u) for u in urls]


def _blind(body: str, cid: str) -> str:
    """``body`` with every form of ``cid`` a page may echo (raw, escaped, in an address) blanked."""
    body = re.sub(r"next=[^\"]*", "next=", body)  # the language link's way back to this address
    for form in sorted(
        {
            cid,
            html.escape(cid),
            html.escape(cid, quote=False),
            quote(cid, safe=""),
            quote(cid),
            repr(cid),
            html.escape(repr(cid)),
        },
        key=len,
        reverse=True,
    ):
        body = body.replace(form, "{ID}")
    return body


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("ref", ["", "?round=1", "?round=latest"])
def test_a_rep_cannot_tell_another_reps_customer_from_no_customer_on_any_page(
    rounds, tmp_path, lang, ref
):
    """Ann (Rep 01) asks for Rep 02's unselected customer, Rep 02's selected customer and an id no
    round holds, on the page, its API and its statement: the same status and the same body, but
    for the id itself. Her own unselected customer is answered with its rank (the test bites)."""
    roster = rounds["first"]
    out = roster.loc[~roster["selected"].astype(bool)]
    theirs = str(out.loc[out["owner"] == "Rep 02", "customer_id"].iloc[-1])
    theirs_sel = str(
        roster.loc[
            roster["selected"].astype(bool) & (roster["owner"] == "Rep 02"), "customer_id"
        ].iloc[0]
    )
    mine = out.loc[out["owner"] == "Rep 01"].iloc[-1]
    routes = ["/customers/{}", "/api/customers/{}", "/customers/{}/statement"]
    asked = [theirs, theirs_sel, NOBODY, str(mine["customer_id"])]
    urls = [r.format(quote(c, safe="")) + ref for c in asked for r in routes]
    got = _get(rounds["one"], tmp_path, "ann", "rep", "Rep 01", *urls, lang=lang)
    by = {c: got[i * len(routes) : (i + 1) * len(routes)] for i, c in enumerate(asked)}
    for k, route in enumerate(routes):
        want = by[NOBODY][k]
        assert want.status_code == 404
        for c in (theirs, theirs_sel):
            r = by[c][k]
            assert (r.status_code, _blind(r.text, c)) == (
                want.status_code,
                _blind(want.text, NOBODY),
            ), route
    assert by[str(mine["customer_id"])][1].json()["rank"] == int(mine["rank"])


def test_a_roster_output_a_later_round_replaced_gives_no_rank_of_the_earlier_round(
    rounds, tmp_path
):
    """Round 2 wrote its roster to the folder round 1 wrote to. Round 1's page of a customer it did
    not select must not give round 2's rank as round 1's: the round's own rank or none, and the
    page says the folder holds a later round's roster now. Round 2's page still gives its rank."""
    first, second = rounds["first"], rounds["second"]
    both = first.merge(second, on="customer_id", suffixes=("_1", "_2"))
    moved = both.loc[
        ~both["selected_1"].astype(bool)
        & ~both["selected_2"].astype(bool)
        & (both["rank_1"] != both["rank_2"])
    ].iloc[0]
    cid = quote(str(moved["customer_id"]), safe="")
    one, two, page, roster, csv = _get(
        rounds["two"],
        tmp_path,
        "boss",
        "manager",
        None,
        f"/api/customers/{cid}?round=1",
        f"/api/customers/{cid}?round=2",
        f"/customers/{cid}?round=1",
        "/roster?round=1",
        "/roster/export.csv?round=1",
    )
    assert one.json()["rank"] in (None, int(moved["rank_1"])), one.json()
    assert two.json()["rank"] == int(moved["rank_2"])
    rest = int((~first["selected"].astype(bool)).sum())
    replaced = t(
        "selection_only_replaced",
        "en",
        rest=f"{rest:,}",
        folder=str(rounds["shared"]),
        file="roster.parquet",
    )
    place = t("selection_only_out", "en", place=str(rounds["shared"] / "roster.parquet"))
    for said in (
        " ".join(seen(page.text)),
        " ".join(seen(roster.text)),
        unquote(csv.headers["x-xuanba-note"]),
    ):
        assert place not in said and replaced in said, said


def test_a_rep_is_not_told_a_rank_from_a_roster_output_a_later_round_replaced(rounds, tmp_path):
    first, second = rounds["first"], rounds["second"]
    both = first.merge(second, on="customer_id", suffixes=("_1", "_2"))
    moved = both.loc[
        ~both["selected_1"].astype(bool)
        & ~both["selected_2"].astype(bool)
        & (both["rank_1"] != both["rank_2"])
        & (both["owner_1"] == "Rep 01")
    ].iloc[0]
    cid = quote(str(moved["customer_id"]), safe="")
    [one] = _get(rounds["two"], tmp_path, "ann", "rep", "Rep 01", f"/api/customers/{cid}?round=1")
    assert one.json().get("rank") in (None, int(moved["rank_1"])), one.json()
