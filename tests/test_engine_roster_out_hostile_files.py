"""An engine round's ``--roster-out`` folder attacked after the round: its roster.parquet replaced
by a Parquet file of another shape, truncated, or a link to a file elsewhere; its fields.parquet
truncated; the folder itself a link to elsewhere. The outputs that look into it (the report, the
export's note, the web's account page and customer page, the CLI's keep-warm) give a clear
sentence or a safe output, never a traceback and never the file's rows as the round's. And the
customers' names read from it (HTML, a formula, a line break) reach the pages as text."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import put_back
from tests._helpers import store as put
from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba import Workspace
from xuanba.cli import app
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

CUTOFF = "2025-12-31"
UNREADABLE = "but the roster.parquet there cannot be read as this round's roster ("
NAME = "<script>alert({i})</script>=cmd|' /C calc'!A0\nline two"


def _round(tmp_path):
    """An engine round with every customer named hostilely and a third of them contacted, its
    roster output in ``tmp_path / "out"``."""
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.ingest import ingest

    tx = simulated_transactions(200, seed=21)
    ids = sorted(tx["customer_id"].unique())
    path = _workspace(tmp_path, tx)
    side = make_side_tables(ids, seed=4, start="2024-06-01", end=CUTOFF, orders=tx.groupby("customer_id").size().to_dict())
    with Workspace(path) as ws:
        ingest(side["interactions"], ws, kind="interactions")
        put(ws, "customers", pd.DataFrame({"customer_id": ids, "name": [NAME.format(i=i) for i in range(len(ids))],
                                           "owner": [f"Rep {i % 2}" for i in range(len(ids))]}))
    rnd = run_round_on_engine(tx, load_standard(BUSY_STANDARD), CUTOFF, workspace=path, roster_out=tmp_path / "out",
                              check_model=False, side_tables=path)
    return path, tmp_path / "out", rnd


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """:func:`_round` run once for the module (a round: most of each test's time), its folder
    kept as built beside it."""
    live = tmp_path_factory.mktemp("hostile") / "round"
    live.mkdir()
    path, out, rnd = _round(live)
    pristine = Path(shutil.copytree(live, live.parent / "pristine", symlinks=True))
    return live, pristine, path, out, rnd


@pytest.fixture()
def hostile_round(built):
    """The module's round as :func:`_round` left it, whatever the test before did to its files
    (put back in place: the stored round names its roster output by its absolute path)."""
    live, pristine, path, out, rnd = built
    put_back(pristine, live)
    return path, out, rnd


def _outputs(path, tmp_path, lang="en") -> dict:
    """What each output says of the round, every one of them run (none may raise)."""
    from xuanba.outputs.report import write_report
    from xuanba.web.account_data import account_work

    page = write_report(path, 1, tmp_path / f"r-{lang}.html", lang=lang).read_text("utf-8")
    with Workspace(path, read_only=True) as ws:
        work = account_work(ws, 1, lang=lang)
        mine = account_work(ws, 1, owner="Rep 1", lang=lang)
    res = CliRunner().invoke(app, ["export", "1", "--workspace", str(path), "--out", str(tmp_path / "x.csv"), "--json"])
    assert res.exit_code == 0, res.output
    warm = CliRunner().invoke(app, ["accounts", "keep-warm", "--as-of", CUTOFF, "--workspace", str(path), "--json"])
    assert warm.exit_code == 0, warm.output
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return {"report": text, "html": page, "work": work, "mine": mine, "note": json.loads(res.stdout)["note"],
            "warm": json.loads(warm.stdout)}


def _truncate(file) -> None:
    data = file.read_bytes()
    file.unlink()
    file.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("attack", ["other shape", "truncated", "link elsewhere"])
def test_a_roster_file_that_is_not_the_rounds_is_said_unreadable_or_replaced_never_read(tmp_path, hostile_round, attack):
    path, out, rnd = hostile_round
    roster = out / "roster.parquet"
    if attack == "other shape":
        roster.unlink()
        pd.DataFrame({"customer_id": ["x"], "potential_score": [1e9], "owner": ["Rep 1"]}).to_parquet(roster)
    elif attack == "truncated":
        _truncate(roster)
    else:  # a link to a file that is no roster at all
        elsewhere = tmp_path / "elsewhere.txt"
        elsewhere.write_text("not parquet\n", "utf-8")
        roster.unlink()
        os.symlink(elsewhere, roster)
    got = _outputs(path, tmp_path)
    assert UNREADABLE in got["report"] and UNREADABLE in got["note"]
    assert "Every customer's row is in" not in got["report"] + got["note"]
    assert UNREADABLE in got["work"]["selection_note"]
    assert "have no potential score here" in got["warm"]["ranked by"]
    assert all(r["potential"] != 1e9 for r in got["warm"]["table"])  # the file's numbers never used
    zh = _outputs(path, tmp_path, "zh")
    assert "无法作为本轮名单读取" in zh["report"]


def test_a_truncated_fields_file_leaves_the_names_unknown_and_says_so(tmp_path, hostile_round):
    """The roster is the round's; its fields file is truncated: the lists cover the selection,
    said so, and a customer page of an unselected customer still answers."""
    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.web import create_app, store

    path, out, rnd = hostile_round
    _truncate(out / "fields.parquet")
    got = _outputs(path, tmp_path)
    assert "are those of the selected customers only" in got["work"]["selection_note"]
    assert "this round's roster" not in got["work"]["selection_note"]  # the roster itself is the round's
    roster = pd.read_parquet(out / "roster.parquet")
    unselected = str(roster.loc[~roster["selected"], "customer_id"].iloc[0])
    with Workspace(path) as ws:
        store.add_user(ws, "ann", PASSWORD, role="rep", owner="Rep 1")
    with TestClient(create_app(path, linger_s=0)) as client:
        log_in(client, "ann")
        r = client.get(f"/api/customers/{unselected}?round=1")
    assert r.status_code == 404  # their owner cannot be read: not shown to a rep as theirs


def test_a_roster_out_folder_that_is_a_link_elsewhere_is_read_as_the_folder_it_names(tmp_path, hostile_round):
    """The folder moved and a link left in its place: the files are the round's, read through it."""
    path, out, rnd = hostile_round
    moved = tmp_path / "moved"
    shutil.move(out, moved)
    os.symlink(moved, out, target_is_directory=True)
    got = _outputs(path, tmp_path)
    assert f"Every customer's row is in {out / 'roster.parquet'}" in got["report"]
    assert got["work"]["selection_note"] is None


def test_hostile_names_read_from_the_roster_output_reach_the_pages_as_text(tmp_path, hostile_round):
    path, out, rnd = hostile_round
    got = _outputs(path, tmp_path)
    sel = set(rnd.roster["customer_id"].astype(str))
    warm = [r[0] for r in next(s for s in got["work"]["sections"] if s["id"] == "accounts-keep-warm")["table"]["rows"]]
    assert any(c not in sel for c in warm)  # names of customers the round did not store are shown
    assert "<script>alert(" not in got["html"]
    assert "&lt;script&gt;alert(" in got["html"]
    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.web import create_app, store

    with Workspace(path) as ws:
        store.add_user(ws, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0)) as client:
        log_in(client, "boss")
        page = client.get("/accounts?round=1").text
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page


def test_a_roster_out_folder_named_with_html_and_a_formula_is_named_as_text(tmp_path):
    """The folder's name is said (replaced by a later round) in the report and the account page:
    as text, never as markup."""
    from xuanba.outputs.report import write_report
    from xuanba.web.account_data import account_work

    tx = simulated_transactions(120, seed=22)
    path = _workspace(tmp_path, tx)
    folder = tmp_path / "<b>out</b> =cmd|' /C calc'!A0"
    std = load_standard(BUSY_STANDARD)
    for cut in (CUTOFF, "2025-09-30"):
        run_round_on_engine(tx, std, cut, workspace=path, roster_out=folder, check_model=False)
    page = write_report(path, 1, tmp_path / "r.html", lang="en").read_text("utf-8")
    assert "<b>out</b>" not in page and "&lt;b&gt;out&lt;/b&gt;" in page
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert f"were written to {folder}, but the roster.parquet there now holds another round's roster" in text
    with Workspace(path, read_only=True) as ws:
        assert account_work(ws, 1) is not None  # no analyses to list: nothing to say, and no error
