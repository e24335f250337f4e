"""The report, the exports, the fairness table and the statements of an engine round whose
``--roster-out`` folder a later round replaced, or that was deleted, or that was never named:
none may call another round's roster this round's, and each says which case it is. The
sentences are written out here in English (not built with the code's own function), so a wrong
case fails."""

from __future__ import annotations

import html
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from tests.test_round_engine_outputs import seen
from xuanba.cli import app
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

FIRST, SECOND = "2025-09-30", "2025-12-31"
HELD = "Every customer's row is in {place} (written by --roster-out)."
REPLACED = ("were written to {folder}, but the roster.parquet there now holds another round's roster, "
            "not this round's.")
GONE = "were written to {folder}, which no longer holds roster.parquet."
LOST = "rows were not kept (the round was run without --roster-out)."
ZH_REPLACED = "那里的 roster.parquet 现在是另一轮的名单，不是本轮的。"


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Round 1 of each workspace ran at FIRST: ``held`` with its own folder; ``replaced``, whose
    folder round 2 (at SECOND) then wrote to; ``gone``, whose folder was deleted; ``lost``,
    without --roster-out. Each with the id of a customer round 1 did not select."""
    tmp = tmp_path_factory.mktemp("replaced")
    tx = simulated_transactions(240, seed=17)
    std = load_standard(BUSY_STANDARD)
    out: dict[str, dict] = {}
    for case in ("held", "replaced", "gone", "lost"):
        path = _workspace(tmp, tx, f"{case}.duckdb")
        folder = tmp / f"out-{case}"
        rnd = run_round_on_engine(tx, std, FIRST, workspace=path, roster_out=None if case == "lost" else folder,
                                  check_model=False, side_tables=path)
        if case == "replaced":
            run_round_on_engine(tx, std, SECOND, workspace=path, roster_out=folder, check_model=False,
                                side_tables=path)
        elif case == "gone":
            shutil.rmtree(folder)
        ids = sorted(tx["customer_id"].astype(str).unique())
        unselected = next(c for c in ids if c not in set(rnd.roster["customer_id"].astype(str)) and "," not in c)
        out[case] = {"path": path, "folder": folder, "unselected": unselected, "round": rnd}
    return out


def said(case: dict, name: str) -> str:
    """What round 1 of ``case`` must say of where the others' rows are."""
    if name == "held":
        return HELD.format(place=case["folder"] / "roster.parquet")
    return {"replaced": REPLACED, "gone": GONE, "lost": LOST}[name].format(folder=case["folder"])


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "2000"})


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", ["held", "replaced", "gone", "lost"])
def test_the_report_says_where_every_customers_row_is_and_never_a_later_rounds_file(cases, tmp_path, name):
    """Its "not drawn" readings said every row was in "the engine's roster output", whatever the
    case: also when that output held round 2's rows, was deleted, or was never written."""
    from xuanba.outputs.report import write_report

    case = cases[name]
    page = write_report(case["path"], 1, tmp_path / "r.html", lang="en").read_text("utf-8")
    text = _flat(" ".join(seen(page)))
    assert said(case, name) in text, text[-2000:]
    if name != "held":
        assert "Every customer's row is in" not in text
    zh = write_report(case["path"], 1, tmp_path / "r-zh.html", lang="zh").read_text("utf-8")
    if name == "replaced":
        assert ZH_REPLACED in html.unescape(zh)


@pytest.mark.parametrize("name", ["held", "replaced", "gone"])
def test_the_export_and_the_rounds_file_say_which_case_it_is(cases, tmp_path, name):
    case = cases[name]
    res = _cli("export", "1", "--workspace", str(case["path"]), "--out", str(tmp_path / "x.csv"), "--json")
    assert res.exit_code == 0, res.output
    import json

    note = json.loads(res.stdout)["note"]
    assert said(case, name) in note
    res = _cli("rounds", "1", "--workspace", str(case["path"]), "--out", str(tmp_path / "r.csv"))
    assert res.exit_code == 0, res.output
    assert said(case, name) in _flat(res.output), _flat(res.output)[-1500:]
    if name != "held":
        assert "Every customer's row is in" not in _flat(res.output)


@pytest.mark.parametrize("name", ["held", "replaced", "gone", "lost"])
def test_fairness_and_a_statement_of_an_unselected_customer_say_which_case_it_is(cases, tmp_path, name):
    """Both refuse the round (exit 3); their fix named round 2's file as round 1's rows."""
    case = cases[name]
    res = _cli("fairness", "1", "--workspace", str(case["path"]))
    assert res.exit_code == 3, res.output
    assert said(case, name) in _flat(res.output), _flat(res.output)
    res = _cli("statements", "1", "--workspace", str(case["path"]), "--out", str(tmp_path / "st"),
               "--customers", case["unselected"])
    assert res.exit_code != 0 and "not among the selected customers" in _flat(res.output), res.output
    assert said(case, name) in _flat(res.output), _flat(res.output)
    if name != "held":
        assert "Every customer's row is in" not in _flat(res.output)


def test_the_replaced_folder_really_holds_round_2s_rows(cases):
    """The case is what it claims: the folder's roster is round 2's (its ranks differ from round
    1's stored selection), so reading it as round 1's would have given wrong ranks."""
    case = cases["replaced"]
    now = pd.read_parquet(case["folder"] / "roster.parquet")
    mine = case["round"].roster[["customer_id", "rank"]].astype({"customer_id": str})
    both = mine.merge(now[["customer_id", "rank"]].astype({"customer_id": str}), on="customer_id")
    assert (both["rank_x"] != both["rank_y"]).any()
