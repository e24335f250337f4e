"""Cosmetic findings of the session 12 attack (finding 14) on what an engine round says: one selected
customer said in the singular, no "not drawn" note when every customer was selected (and so
stored), ids with control characters escaped on the console, and a source's rows without an id
counted as rows. Each is checked against the workspace round on the same data, or against the
English rule written out here."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from tests.test_round_engine_outputs import seen
from xuanba.i18n import t
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.selection_only import rest_of_base, selection_note

CUTOFF = "2025-12-31"
#: One customer selected of the base.
ONE = BUSY_STANDARD.replace("max_accounts = 50", "max_accounts = 1")
#: Every customer selected: no gates, one tier whose bar is 0 (no quota), no capacity.
EVERYONE = (
    BUSY_STANDARD.split("[[gates]]")[0]
    + '[[tiers]]\nname = "A"\nmin_score = 0\n[tie_break]\norder = ["clv_3y desc", "revenue_365d desc"]\n'
)


def _cli(*args: str):
    from xuanba.cli import app

    return CliRunner().invoke(app, ["--lang", "en", *args], env={"COLUMNS": "300"})


@pytest.mark.parametrize("sel", [0, 1, 2, 5])
@pytest.mark.parametrize("gone", [False, True])
def test_the_selection_note_counts_in_english_and_says_the_same_in_chinese(sel, gone):
    """English: "customer" for one, "customers" otherwise, for the selection and for the rest;
    Chinese has no plural: the phrase for one is the general one."""
    n = 6
    meta = {
        "stored_customers": "selected",
        "engine": "duckdb",
        "n_customers": n,
        "n_selected": sel,
        "roster_out": "/nowhere/out" if gone else None,
    }
    rest = rest_of_base(meta, 3)
    said = selection_note(rest, "en")
    noun = "customer" if sel == 1 else "customers"
    assert f"stored only its {sel} selected {noun} of {n}." in said, said
    other = n - sel
    assert (
        "The other customer's row was" if other == 1 else f"The other {other} customers' rows were"
    ) in said
    assert not re.search(r"\b1 selected customers\b|\bother 1 customers\b", said)
    zh = selection_note(rest, "zh")
    assert zh.startswith(
        t("selection_only", "zh", round_id=3, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}")
    )
    rest_zh = "另一位客户" if other == 1 else f"其余 {other} 位客户"
    assert f"。{rest_zh}" in zh  # Chinese sentences follow one another without a space


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A base of 40 customers, stored by the workspace and by the engine with one selected and
    with every customer selected."""
    tmp = tmp_path_factory.mktemp("cosmetic")
    tx = simulated_transactions(40, seed=5)
    ws = _workspace(tmp, tx)
    out = {"tmp": tmp, "tx": tx, "ws": ws}
    for name, std in (("one", ONE), ("all", EVERYONE)):
        out[name] = tmp / f"{name}.duckdb"
        run_round_on_engine(tx, std, CUTOFF, workspace=out[name], check_model=False)
        out[f"ws_{name}_path"] = _workspace(tmp, tx, f"ws-{name}.duckdb")
        out[f"ws_{name}"] = run_round(out[f"ws_{name}_path"], std, CUTOFF, check_model=False)
    return out


def test_one_selected_customer_is_said_in_the_singular_by_export_and_the_report(small, tmp_path):
    from xuanba.outputs.report import write_report

    truth = small["ws_one"].roster
    n = len(truth)
    assert int(truth["selected"].sum()) == 1 and n > 2
    res = _cli(
        "export", "latest", "--workspace", str(small["one"]), "--out", str(tmp_path / "r.csv")
    )
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and f"stored only its 1 selected customer of {n}." in said, said
    assert "that 1 selected customer only" in said and "1 selected customers" not in said
    report = " ".join(
        seen(write_report(small["one"], "latest", tmp_path / "r.html").read_text("utf-8"))
    )
    assert (
        f"stored only its 1 selected customer of {n}. The other {n - 1:,} customers' rows were not kept" in report
        and "1 selected customers" not in report
    )


def test_an_engine_round_that_selected_everyone_is_read_as_a_whole_round(small, tmp_path):
    """Every customer selected, so every customer stored: the report draws the scatter as the
    workspace round's does and never says it is not drawn; the export is the roster, with no note;
    the web roster has no selection note."""
    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.outputs.report import write_report
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    eng = load_round(small["all"], "latest", fields=False, contributions=False)
    truth = small["ws_all"].roster
    assert bool(truth["selected"].all()) and eng.meta["n_selected"] == eng.meta[
        "n_customers"
    ] == len(truth)
    assert rest_of_base(eng.meta, eng.round_id) is None
    html = {
        k: write_report(p, "latest", tmp_path / f"{k}.html").read_text("utf-8")
        for k, p in (("eng", small["all"]), ("ws", small["ws_all_path"]))
    }
    for k in html:
        assert 'id="fig-quadrants"' in html[k], k
    not_drawn = t(
        "engine_not_stored", "en", engine="duckdb", sel=f"{len(truth):,}", n=f"{len(truth):,}"
    )
    assert not_drawn.split(":")[0] not in " ".join(seen(html["eng"]))
    res = _cli(
        "export",
        "latest",
        "--workspace",
        str(small["all"]),
        "--out",
        str(tmp_path / "r.xlsx"),
        "--json",
    )
    assert res.exit_code == 0 and '"note": null' in res.output, res.output
    with pd.ExcelFile(tmp_path / "r.xlsx") as book:
        assert book.sheet_names[0] == "roster"
    with Workspace(small["all"]) as w:
        store.add_user(w, "boss", PASSWORD, role="manager")
    with TestClient(create_app(small["all"], linger_s=0)) as client:
        log_in(client, "boss")
        assert 'id="selection-only"' not in client.get("/roster").text
        assert client.get("/api/roster").json()["selection_only"] is None


def _hostile_lines(tx: pd.DataFrame) -> pd.DataFrame:
    """Every id given a line break, a tab and an escape inside."""
    return tx.assign(customer_id=tx["customer_id"].astype(str) + "\nX\tY\x1b[2J")


def test_ids_with_control_characters_keep_the_diff_and_rounds_console_lines_whole(
    tmp_path, monkeypatch
):
    """`xuanba diff` lists who entered and left on one line each, `xuanba rounds --top` a row per
    customer: every id shown is escaped (\\n, \\t, \\x1b) and no raw control character reaches
    the console. The ids listed are those the stored diff names."""
    from xuanba.rounds import diff_rounds

    ws = _workspace(tmp_path, _hostile_lines(simulated_transactions(200, seed=7)))
    std = BUSY_STANDARD.replace("max_accounts = 50", "max_accounts = 30")
    run_round(ws, std, "2025-06-30", check_model=False)
    run_round(ws, std, CUTOFF, check_model=False)
    d = diff_rounds(ws, 1, 2)
    from xuanba.cli import _common

    monkeypatch.setattr(_common.console, "width", 20_000)  # a line is not wrapped (fixed when made)
    res = _cli("diff", "1", "2", "--workspace", str(ws))
    assert res.exit_code == 0, res.output
    for status in ("entered", "left"):
        ids = (
            d.changes.loc[d.changes["status"] == status, "customer_id"].head(10).tolist()
        )  # --show 10
        assert ids, status
        [line] = [x for x in res.output.splitlines() if x.startswith(f"{status}: ")]
        for cid in ids:
            assert cid.replace("\n", "\\n").replace("\t", "\\t").replace("\x1b", "\\x1b") in line, (
                cid,
                line,
            )
    top = _cli("rounds", "latest", "--workspace", str(ws), "--top", "5")
    assert top.exit_code == 0, top.output
    for out in (res.output, top.output):
        assert not re.search("[\x00-\x08\x0b-\x1f]", out) and "\nX\\t" not in out
    assert top.output.count("\\nX\\tY\\x1b[2J") == 5


def test_a_source_with_rows_without_an_id_counts_those_rows(tmp_path):
    """Five transaction rows without an id: the engine round leaves out those five rows, as
    `xuanba ingest` does, and says so; it never speaks of one row "of the fields"."""
    tx = simulated_transactions(60, seed=3).astype({"customer_id": object})
    tx.loc[tx.index[:5], "customer_id"] = None
    src = tmp_path / "tx.parquet"
    tx.to_parquet(src, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    res = _cli(
        "round",
        "--standard",
        str(tmp_path / "s.toml"),
        "--cutoff",
        CUTOFF,
        "--engine",
        "duckdb",
        "--source",
        str(src),
        "--workspace",
        str(tmp_path / "w.duckdb"),
    )
    said = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert (
        f"5 of the source's {len(tx):,} rows were left out" in said
        and "5 missing customer id" in said
    )
    assert "row(s) of the fields" not in said
    meta = load_round(tmp_path / "w.duckdb", "latest", fields=False, contributions=False).meta
    assert meta["source_rows"]["rejected_by_reason"] == {"missing customer id": 5}
    ws_round = run_round(
        _workspace(tmp_path, tx.dropna(subset=["customer_id"]), "truth.duckdb"),
        BUSY_STANDARD,
        CUTOFF,
        check_model=False,
    )
    assert meta["n_customers"] == len(ws_round.roster)


def test_share_list_keeps_one_line_per_link_for_an_id_with_a_line_break(small, tmp_path):
    """`xuanba share --list` prints a line per link: an id holding a line break and a tab is
    escaped there, so each link stays one line."""
    pytest.importorskip("argon2")
    tx = small["tx"]
    tx = tx.assign(customer_id=tx["customer_id"].replace(tx["customer_id"].iloc[0], "A\nB\tC"))
    ws = _workspace(tmp_path, tx)
    run_round(ws, EVERYONE, CUTOFF, check_model=False)  # a workspace round: any customer is shared
    made = _cli("share", "A\nB\tC", "--days", "3", "--workspace", str(ws))
    assert made.exit_code == 0, made.output
    listed = _cli("share", "--list", "--workspace", str(ws))
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.strip().splitlines()
    assert "A\\nB\\tC" in line.split()
