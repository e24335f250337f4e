"""``xuanba sheet C`` for a customer an engine round ranked but did not store: the sheet opens
with what the web customer page says of them (their rank of the base and that the round did
not select them, read from its ``--roster-out`` while that holds the round), or plainly that the
roster output was replaced or is gone, with the fix; in English and Chinese; a rep (``--owner``)
only for their own accounts and without paths. It said "not in round" for all of them. The
ranks are read here from the roster.parquet with pandas, the sentences written out, so a wrong
case fails. Ids (markup, formulas) and names (a script, a formula, a line break) stay text."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import store as put
from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba import Workspace
from xuanba.cli import app
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

FIRST, SECOND = "2025-09-30", "2025-12-31"
NAME = "<script>alert({i})</script>=cmd|' /C calc'!A0\n# line two"


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Round 1 (at FIRST) of each workspace: ``held``, its folder its own; ``replaced``, its folder
    then written by round 2; ``gone``, its folder deleted. Every customer named hostilely, owned
    by Rep 0 or Rep 1, with needs and a resource catalogue (the sheet's own tables)."""
    from xuanba.demo.accounts_demo import make_side_tables

    tmp = tmp_path_factory.mktemp("sheet")
    tx = simulated_transactions(240, seed=17)
    ids = sorted(tx["customer_id"].astype(str).unique())
    side = make_side_tables(ids, seed=5, start="2024-06-01", end=SECOND)
    owners = {c: f"Rep {i % 2}" for i, c in enumerate(ids)}
    names = {c: NAME.format(i=i) for i, c in enumerate(ids)}
    std = load_standard(BUSY_STANDARD)
    out = {}
    for case in ("held", "replaced", "gone"):
        path = _workspace(tmp, tx, f"{case}.duckdb")
        with Workspace(path) as ws:
            for kind in ("needs", "resources"):
                put(ws, kind, side[kind])
            put(ws, "customers", pd.DataFrame({"customer_id": ids, "name": [names[c] for c in ids],
                                               "owner": [owners[c] for c in ids]}))
        folder = tmp / f"out-{case}"
        rnd = run_round_on_engine(tx, std, FIRST, workspace=path, roster_out=folder, check_model=False,
                                  side_tables=path)
        roster = pd.read_parquet(folder / "roster.parquet")
        roster["customer_id"] = roster["customer_id"].astype(str)
        if case == "replaced":
            run_round_on_engine(tx, std, SECOND, workspace=path, roster_out=folder, check_model=False,
                                side_tables=path)
        elif case == "gone":
            shutil.rmtree(folder)
        out[case] = {"path": path, "folder": folder, "round": rnd, "roster": roster, "owners": owners,
                     "names": names}
    return out


def _unselected(case, owner: str | None = None, kind: str | None = None) -> tuple[str, int]:
    """A customer round 1 ranked but did not select (of ``owner``; an id like ``<b>1</b>`` for
    ``kind="<"``, ``=1+2`` for ``kind="="``) and their rank, read from its roster.parquet."""
    r = case["roster"]
    rows = r.loc[~r["selected"].astype(bool)]
    for cid, rank in zip(rows["customer_id"], rows["rank"], strict=True):
        if (owner is None or case["owners"][cid] == owner) and (kind is None or cid.startswith(kind)):
            return cid, int(rank)
    raise AssertionError("no such customer")


def _sheet(case, cid: str, *more: str):
    res = CliRunner().invoke(app, ["sheet", cid, "-w", str(case["path"]), "--round", "1", *more],
                             env={"COLUMNS": "3000"})
    assert res.exit_code == 0, res.output
    return res


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_ranked_unselected_customer_gets_their_rank_and_why_not_in_both_languages(cases, tmp_path):
    case = cases["held"]
    cid, rank = _unselected(case, kind="<")
    n = len(case["roster"])
    sel = int(case["roster"]["selected"].sum())
    got = json.loads(_sheet(case, cid, "--json").stdout)
    assert got["standing"] is None
    assert got["not_stored"]["rank"] == rank
    assert got["not_stored"]["owner"] == case["owners"][cid]  # read from the roster output's fields
    md = tmp_path / "s.md"
    _sheet(case, cid, "--out", str(md), "--lang", "en")
    text = _flat(md.read_text("utf-8"))
    assert (f"Round 1 ranked {cid!r} {rank:,} of {n:,} but did not select them. It ran on duckdb and stored only "
            f"its {sel:,} selected customers") in text, text
    assert f"Every customer's row is in {case['folder'] / 'roster.parquet'}" in text
    assert "not in round" not in text
    _sheet(case, cid, "--out", str(md), "--lang", "zh")
    zh = _flat(md.read_text("utf-8"))
    assert f"第 1 轮把 {cid!r} 排在 {n:,} 位中的第 {rank:,} 名，但未入选" in zh, zh


def test_a_rep_gets_the_rank_of_their_own_account_only_and_no_paths(cases):
    case = cases["held"]
    mine, rank = _unselected(case, owner="Rep 1")
    theirs, _ = _unselected(case, owner="Rep 0")
    got = json.loads(_sheet(case, mine, "--owner", "Rep 1", "--json").stdout)["not_stored"]
    assert got["rank"] == rank and str(case["folder"]) not in got["message"] and got["fix"] is None
    res = _sheet(case, theirs, "--owner", "Rep 1", "--json")
    assert json.loads(res.stdout)["not_stored"] is None  # another rep's: as no customer
    assert json.loads(_sheet(case, theirs, "--json").stdout)["not_stored"]["rank"] is not None  # a manager's


def test_a_rep_sees_no_standing_of_another_reps_stored_customer(cases):
    case = cases["held"]
    rnd = case["round"]
    cid = str(rnd.roster["customer_id"].iloc[0])
    own = case["owners"][cid]
    other = "Rep 0" if own == "Rep 1" else "Rep 1"
    assert json.loads(_sheet(case, cid, "--owner", own, "--json").stdout)["standing"] is not None
    got = json.loads(_sheet(case, cid, "--owner", other, "--json").stdout)
    assert got["standing"] is None and got["not_stored"] is None


@pytest.mark.parametrize(("name", "said", "zh"), [
    ("replaced", "but the roster.parquet there now holds another round's roster, not this round's.",
     "现在是另一轮的名单，不是本轮的。"),
    ("gone", "which no longer holds roster.parquet.", "但那里已没有 roster.parquet。"),
])
def test_a_replaced_or_deleted_roster_output_is_said_with_the_fix_never_read(cases, tmp_path, name, said, zh):
    case = cases[name]
    cid, _ = _unselected(case)
    got = json.loads(_sheet(case, cid, "--json").stdout)["not_stored"]
    assert got["rank"] is None  # round 2's rank of them (replaced) is not round 1's
    md = tmp_path / "s.md"
    _sheet(case, cid, "--out", str(md), "--lang", "en")
    text = _flat(md.read_text("utf-8"))
    assert f"{cid!r} is not one of them, and their rank cannot be read here." in text
    assert f"were written to {case['folder']}, {said}" in text, text
    assert f"run the round at cutoff {FIRST} again on duckdb with --roster-out naming a new folder" in text
    _sheet(case, cid, "--out", str(md), "--lang", "zh")
    text = _flat(md.read_text("utf-8"))
    assert zh in text and f"以截止日 {FIRST} 重新运行该轮" in text, text
    mine = json.loads(_sheet(case, cid, "--owner", case["owners"][cid], "--json").stdout)["not_stored"]
    assert mine is None  # a rep: their ownership cannot be read, so nothing but "not found"


def test_hostile_ids_and_names_stay_text_in_the_sheet(cases, tmp_path):
    case = cases["held"]
    for kind in ("<", "="):
        cid, _ = _unselected(case, kind=kind)
        page = tmp_path / "s.html"
        _sheet(case, cid, "--out", str(page))
        doc = page.read_text("utf-8")
        assert "<script>" not in doc and "&lt;script&gt;alert(" in doc  # the name, read from the fields
        assert "<b>" not in doc
        md = tmp_path / "s.md"
        _sheet(case, cid, "--out", str(md))
        lines = md.read_text("utf-8").splitlines()
        assert sum(ln.startswith("# ") for ln in lines) == 1  # the name's line break starts no heading
        assert not any(ln.startswith(("=", "<")) for ln in lines)  # the id and name open no line
