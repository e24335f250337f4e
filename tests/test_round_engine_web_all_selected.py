"""An engine round that selected every customer of its base stored them all: the web's counts of a
rep's customers are known and said, as for a workspace round (checked against the same round run in
the workspace), never "not known"."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from tests._helpers import store as put
from tests.test_round_engine import _workspace, simulated_transactions
from tests.test_round_engine_outputs import seen
from tests.web.helpers import PASSWORD, log_in
from xuanba.i18n import t
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

CUTOFF = "2025-12-31"
#: No gate, no bar, no capacity: every customer of the base is selected.
EVERYONE = """
[standard]
name = "everyone"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 100
[[tiers]]
name = "A"
min_score = 0
"""
#: Only 10 customers selected of the base: the round stores its selection only.
SOME = EVERYONE + "[capacity]\nmax_accounts = 10\n"
OWNERS = ("Rep 00", "Rep 01", "Rep 02")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Workspace rounds (every customer stored) and engine rounds of the same base, once selecting
    every customer and once ten; the workspace round's roster with owners."""
    tmp = tmp_path_factory.mktemp("allsel")
    tx = simulated_transactions(150, seed=5)
    ids = sorted(tx["customer_id"].unique())
    owners = pd.DataFrame({"customer_id": ids, "owner": [OWNERS[i % 3] for i in range(len(ids))]})
    out = {}
    for key, text in (("all", EVERYONE), ("some", SOME)):
        ws = _workspace(tmp, tx, f"ws-{key}.duckdb")
        from xuanba.workspace import Workspace

        with Workspace(ws) as w:
            put(w, "customers", owners)
        std = load_standard(text)
        run_round(ws, std, CUTOFF, check_model=False)
        eng = tmp / f"eng-{key}.duckdb"
        run_round_on_engine(tx, std, CUTOFF, workspace=eng, side_tables=ws, check_model=False)
        full = load_round(ws, "latest", contributions=False)
        roster = full.roster.merge(full.fields[["customer_id", "owner"]], on="customer_id")
        out[key] = {"ws": ws, "eng": eng, "roster": roster}
    return out


def _get(path, tmp_path, user, role, owner, *urls, lang="en"):
    from starlette.testclient import TestClient

    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    path = shutil.copy(path, tmp_path / f"{user}-{role}-{path.name}")
    with Workspace(path) as w:
        store.add_user(w, user, PASSWORD, role=role, owner=owner)
    with TestClient(create_app(path, linger_s=0), headers={"accept-language": lang}) as client:
        log_in(client, user)
        return [client.get(u) for u in urls]


def test_the_fixture_engine_round_selected_and_stored_every_customer(rounds):
    roster = rounds["all"]["roster"]
    meta = load_round(rounds["all"]["eng"], "latest", fields=False, contributions=False).meta
    assert bool(roster["selected"].all()) and meta["stored_customers"] == "selected"
    assert meta["n_selected"] == meta["n_customers"] == len(roster) > 100
    some = load_round(rounds["some"]["eng"], "latest", fields=False, contributions=False).meta
    assert some["n_selected"] == 10 < some["n_customers"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("owner", OWNERS)
def test_a_reps_rounds_page_counts_their_customers_of_a_round_that_selected_everyone(
    rounds, tmp_path, owner, lang
):
    """/rounds and /api/rounds for a rep: their customers counted as the workspace round counts
    them (every one of theirs), the page shows the number and no "not known" note."""
    roster = rounds["all"]["roster"]
    mine = int((roster["owner"] == owner).sum())
    api, page = _get(
        rounds["all"]["eng"], tmp_path, "ann", "rep", owner, "/api/rounds", "/rounds", lang=lang
    )
    [row] = api.json()
    assert row["customers"] == row["selected"] == mine > 0
    words = seen(page.text)
    assert f"{mine:,}" in words
    assert t("selection_only_rep_count", lang) not in " ".join(words)
    assert 'id="selection-only"' not in page.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_reps_overview_counts_their_customers_of_a_round_that_selected_everyone(
    rounds, tmp_path, lang
):
    roster = rounds["all"]["roster"]
    mine = int((roster["owner"] == "Rep 01").sum())
    [api] = _get(rounds["all"]["ws"], tmp_path, "ann", "rep", "Rep 01", "/api/overview", lang=lang)
    [eng_api, eng_page] = _get(
        rounds["all"]["eng"], tmp_path, "ann", "rep", "Rep 01", "/api/overview", "/", lang=lang
    )
    assert api.json()["customers"] == mine
    assert eng_api.json()["customers"] == mine and eng_api.json()["selected"] == mine
    assert f'<dd id="n-customers">{mine:,}</dd>' in eng_page.text


def test_a_rep_with_no_customer_in_a_round_that_selected_everyone_has_none(rounds, tmp_path):
    """Nobody of theirs in the base: 0 customers, 0 selected (known: the round stored everyone)."""
    api, page = _get(
        rounds["all"]["eng"], tmp_path, "zoe", "rep", "Rep 99", "/api/rounds", "/rounds"
    )
    [row] = api.json()
    assert row["customers"] == row["selected"] == 0
    assert t("selection_only_rep_count", "en") not in " ".join(seen(page.text))


def test_a_managers_rounds_page_counts_the_whole_base_either_way(rounds, tmp_path):
    for key in ("all", "some"):
        roster = rounds[key]["roster"]
        [api] = _get(rounds[key]["eng"], tmp_path, "boss", "manager", None, "/api/rounds")
        [row] = api.json()
        assert row["customers"] == len(roster) and row["selected"] == int(roster["selected"].sum())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_reps_count_of_a_round_that_stored_its_selection_only_is_still_not_known(
    rounds, tmp_path, lang
):
    roster = rounds["some"]["roster"]
    mine = roster.loc[roster["owner"] == "Rep 01"]
    api, page, over = _get(
        rounds["some"]["eng"],
        tmp_path,
        "ann",
        "rep",
        "Rep 01",
        "/api/rounds",
        "/rounds",
        "/api/overview",
        lang=lang,
    )
    [row] = api.json()
    assert row["customers"] is None and row["selected"] == int(mine["selected"].sum())
    assert t("selection_only_rep_count", lang) in " ".join(seen(page.text))
    assert over.json()["customers"] is None


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    """Two cutoffs of the standard that selects everyone, stored by the workspace and by the engine."""
    tmp = tmp_path_factory.mktemp("allsel2")
    tx = simulated_transactions(150, seed=6)
    ws = _workspace(tmp, tx)
    std = load_standard(EVERYONE)
    eng = tmp / "eng.duckdb"
    for cut in ("2025-09-30", CUTOFF):
        run_round(ws, std, cut, check_model=False)
        run_round_on_engine(tx, std, cut, workspace=eng, side_tables=ws, check_model=False)
    return {"ws": ws, "eng": eng}


def test_comparing_two_engine_rounds_that_selected_everyone_is_the_workspaces_comparison(
    two_rounds, tmp_path
):
    """Every customer stored on both sides: who rose and fell and the rank correlation are said,
    as the workspace rounds' comparison says them, and the movers are the same."""
    [ws] = _get(two_rounds["ws"], tmp_path, "boss", "manager", None, "/api/rounds/compare?a=1&b=2")
    [eng] = _get(
        two_rounds["eng"], tmp_path, "boss", "manager", None, "/api/rounds/compare?a=1&b=2"
    )
    want, got = ws.json(), eng.json()
    keys = ("entered", "left", "rose", "fell", "same", "kept")
    assert {k: got["summary"].get(k) for k in keys} == {k: want["summary"].get(k) for k in keys}
    assert want["summary"]["rose"] > 0 and want["summary"]["fell"] > 0
    assert got["summary"]["rank_correlation"] == pytest.approx(
        want["summary"]["rank_correlation"], abs=1e-12
    )
    assert not got.get("partial") and not got["summary"].get("selection_only")
    assert got["migration"] == want["migration"]
    for status in ("rose", "fell"):
        assert [r["customer_id"] for r in got["movers"][status]] == [
            r["customer_id"] for r in want["movers"][status]
        ]


#: Everyone selected, in two tiers: a customer in B has a gap to A, and their statement advice.
TWO_TIERS = EVERYONE.replace(
    'name = "A"\nmin_score = 0', 'name = "A"\nmin_score = 60\n[[tiers]]\nname = "B"\nmin_score = 0'
)


def test_a_statement_of_an_engine_round_that_selected_everyone_gives_the_workspaces_advice(
    tmp_path,
):
    """The statement's advice rounds a step against every customer's values: a round that stored
    them all gives it, word for word the workspace round's."""
    from xuanba.outputs.statements import build_statement

    assert "min_score = 60" in TWO_TIERS
    tx = simulated_transactions(150, seed=8)
    ws = _workspace(tmp_path, tx)
    std = load_standard(TWO_TIERS)
    run_round(ws, std, CUTOFF, check_model=False)
    eng = tmp_path / "eng.duckdb"
    run_round_on_engine(tx, std, CUTOFF, workspace=eng, side_tables=ws, check_model=False)
    want_round, got_round = load_round(ws, "latest"), load_round(eng, "latest")
    assert got_round.meta["n_selected"] == got_round.meta["n_customers"]
    b = want_round.roster.loc[want_round.roster["tier"] == "B"].iloc[0]
    cid = str(b["customer_id"])
    want = seen(build_statement(want_round, cid, lang="en"))
    got = seen(build_statement(got_round, cid, lang="en"))
    advice = [w for w in want if "revenue" in w.lower() and any(ch.isdigit() for ch in w)]
    assert advice, want
    for line in advice:
        assert line in got, line
