"""A rep's keep-warm list (good accounts gone quiet) of a round run on an engine, which stored only
its selected customers: the idle customers it did not select are the rep's too. Compared with the
workspace round on the same data (every customer stored), the oracle: while the round's
``--roster-out`` folder holds its rows, the rep's list, the names beside it and each owner's count
are the workspace round's; once a later round replaced the folder, the page says plainly, in
English and Chinese, that the lists cover the selected customers only (never a silently short
list), and the CLI's ``accounts keep-warm`` ranks by every customer's potential, or says whose it
lacks."""

from __future__ import annotations

import html
import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba import Workspace
from xuanba.cli import app
from xuanba.outputs.account_sections import KEEP_WARM_ROWS
from xuanba.rounds import run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

CUTOFF, LATER = "2025-12-31", "2025-09-30"
REP_NOTE = ("your keep-warm accounts, promises and receivables here are those of your selected customers only; "
            "your customers who were not selected are not listed.")
REP_NOTE_ZH = "这里您的保温客户、承诺与应收款只含您的入选客户；您未入选的客户不在列表中。"
WEB_NOTE = ("The names and owners beside these lists, each owner's keep-warm count and the overdue promises listed "
            "are those of the selected customers only.")
MANAGER_NOTE = ("The names and owners beside these lists, and each owner's keep-warm count, are those of the "
                "selected customers only.")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The workspace round (the oracle) and the engine round on the same data and side tables:
    ``held`` with its own --roster-out folder; ``replaced``, whose folder a later round wrote to."""
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.ingest import ingest

    tmp = tmp_path_factory.mktemp("warm")
    tx = simulated_transactions(300, seed=10)
    ids = sorted(tx["customer_id"].unique())
    orders = tx.groupby("customer_id").size().to_dict()
    side = make_side_tables(ids[: len(ids) * 3 // 4], seed=3, start="2024-06-01", end=CUTOFF, orders=orders)
    it = side["interactions"]  # cheap contacts: a profit to draw the whale curve of
    side["interactions"] = it.assign(minutes=it["minutes"] * 0.02, cost=it["cost"] * 0.02)
    std = load_standard(BUSY_STANDARD)
    out = {"tx": tx}
    for case in ("oracle", "held", "replaced"):
        path = _workspace(tmp, tx, f"{case}.duckdb")
        with Workspace(path) as ws:
            for kind in ("customers", "interactions", "commitments", "contacts"):
                ingest(side[kind], ws, kind=kind)
        folder = tmp / f"out-{case}"
        if case == "oracle":
            rnd = run_round(path, std, CUTOFF, check_model=False)
        else:
            rnd = run_round_on_engine(tx, std, CUTOFF, workspace=path, roster_out=folder, check_model=False,
                                      side_tables=path)
        if case == "replaced":
            run_round_on_engine(tx, std, LATER, workspace=path, roster_out=folder, check_model=False,
                                side_tables=path)
        out[case] = {"path": path, "folder": folder, "round": rnd}
    want = out["oracle"]["round"]
    warm = want.tables["keep_warm"].frame.astype({"customer_id": str})
    who = want.fields[["customer_id", "name", "owner"]].astype({"customer_id": str})
    out["warm"] = warm.merge(who, on="customer_id", how="left")  # in keep-warm order
    return out


def _rep_with_unselected(base) -> str:
    """A rep whose keep-warm list holds customers the round did not select (the test bites)."""
    warm, sel = base["warm"], set(base["held"]["round"].roster["customer_id"].astype(str))
    out = warm.loc[~warm["customer_id"].isin(sel) & warm["owner"].notna()]
    assert len(out), "idle customers the round did not select"
    return str(out["owner"].value_counts().index[0])


def _warm_section(w: dict) -> dict:
    return next(s for s in w["sections"] if s["id"] == "accounts-keep-warm")


def test_a_reps_keep_warm_list_of_an_engine_round_is_the_workspace_rounds_while_the_roster_output_holds_it(base):
    from xuanba.web.account_data import account_work

    rep = _rep_with_unselected(base)
    warm = base["warm"]
    want = warm.loc[warm["owner"] == rep]
    with Workspace(base["held"]["path"], read_only=True) as ws:
        w = account_work(ws, 1, owner=rep, lang="en")
    sec = _warm_section(w)
    assert [r[0] for r in sec["table"]["rows"]] == want["customer_id"].head(KEEP_WARM_ROWS).tolist()
    assert f"{len(want):,}" in sec["reading"]
    names = {r[0]: r[1] for r in sec["table"]["rows"]}  # the name beside each id, unselected ones too
    assert names == dict(zip(want["customer_id"].head(KEEP_WARM_ROWS), want["name"].head(KEEP_WARM_ROWS),
                             strict=True))
    assert w["selection_note"] is None


def test_the_keep_warm_names_and_counts_by_owner_of_an_engine_round_are_the_workspace_rounds(base):
    """A manager's page: the names beside the list and how many keep-warm accounts each owner
    holds, over every idle customer, not the selected alone."""
    from xuanba.web.account_data import account_work

    warm = base["warm"]
    with Workspace(base["oracle"]["path"], read_only=True) as ws:
        oracle = account_work(ws, 1, lang="en")
    with Workspace(base["held"]["path"], read_only=True) as ws:
        w = account_work(ws, 1, lang="en")
    assert _warm_section(w)["table"] == _warm_section(oracle)["table"]
    counts = warm["owner"].fillna("").value_counts()
    assert {r["owner"]: r["accounts"] for r in w["keep_warm_by_owner"]} == counts.to_dict()
    assert w["keep_warm_by_owner"] == oracle["keep_warm_by_owner"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_replaced_roster_output_gives_a_rep_the_selection_and_says_so(base, tmp_path, lang):
    """Round 2 replaced the folder: the rep's list is their selected customers' (never another
    round's owners), and the page says the list covers those only, in the user's language."""
    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.web import create_app, store

    rep = _rep_with_unselected(base)
    sel = set(base["replaced"]["round"].roster["customer_id"].astype(str))
    warm = base["warm"]
    want = warm.loc[(warm["owner"] == rep) & warm["customer_id"].isin(sel)]
    path = shutil.copy(base["replaced"]["path"], tmp_path / "ws.duckdb")
    with Workspace(path) as ws:
        store.add_user(ws, "ann", PASSWORD, role="rep", owner=rep)
        store.add_user(ws, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0), headers={"accept-language": lang}) as client:
        log_in(client, "ann")
        got = client.get("/api/accounts?round=1").json()
        page = client.get("/accounts?round=1").text
    sec = _warm_section(got)
    assert [r[0] for r in sec["table"]["rows"]] == want["customer_id"].head(KEEP_WARM_ROWS).tolist()
    note = REP_NOTE if lang == "en" else REP_NOTE_ZH
    assert note in got["selection_note"]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert note in text
    assert str(base["replaced"]["folder"]) not in page  # a rep is not told the places


def test_a_replaced_roster_output_tells_a_manager_which_lists_are_short_and_where_the_rest_is(base):
    from xuanba.web.account_data import account_work

    with Workspace(base["replaced"]["path"], read_only=True) as ws:
        w = account_work(ws, 1, lang="en")
    assert WEB_NOTE in w["selection_note"]
    assert (f"were written to {base['replaced']['folder']}, but the roster.parquet there now holds another "
            "round's roster") in w["selection_note"]
    held = set(base["replaced"]["round"].roster["customer_id"].astype(str))
    warm = base["warm"]
    counted = warm.loc[warm["customer_id"].isin(held), "owner"].fillna("").value_counts().to_dict()
    assert {r["owner"]: r["accounts"] for r in w["keep_warm_by_owner"]} == counted  # the selection's, said so


def test_the_cli_keep_warm_ranks_an_engine_rounds_idle_customers_by_every_customers_potential(base):
    """``xuanba accounts keep-warm`` at the round's cutoff ranks by the round's potential score:
    an engine round's are read from its roster output for the customers it did not store (they
    came last, unscored), as the workspace round ranks them."""
    def run(case: str) -> dict:
        res = CliRunner().invoke(app, ["accounts", "keep-warm", "--as-of", CUTOFF, "--workspace",
                                       str(base[case]["path"]), "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    want, got = run("oracle"), run("held")
    ids = [r["customer_id"] for r in want["table"]]
    assert [r["customer_id"] for r in got["table"]] == ids
    assert [r["potential"] for r in got["table"]] == pytest.approx([r["potential"] for r in want["table"]])
    sel = set(base["held"]["round"].roster["customer_id"].astype(str))
    assert any(c not in sel for c in ids[:10]), "an unselected customer near the top: the test bites"
    short = run("replaced")
    assert "customers it did not select have no potential score here and come last" in short["ranked by"]
    assert "now holds another round's roster, not this round's" in short["ranked by"]
    pd.testing.assert_series_equal(pd.Series([r["customer_id"] for r in short["table"]]).sort_values(ignore_index=True),
                                   pd.Series(ids).sort_values(ignore_index=True))


def _section(page: str, sid: str) -> str:
    """The text of the report's section ``sid``, tags dropped."""
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, flags=re.S)
    assert m, sid
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))).split())


def _table(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">.*?(<table.*?</table>)', page, flags=re.S)
    assert m, sid
    return m.group(1)


def test_the_reports_keep_warm_names_and_each_owners_count_are_the_workspace_rounds(base, tmp_path):
    """The report's keep-warm table (with the names) and the per-owner view (each owner's selected
    and keep-warm accounts): those of the workspace round while the roster output holds the round;
    they put the unselected idle customers under "no owner"."""
    from xuanba.outputs.report import write_report

    want = write_report(base["oracle"]["path"], 1, tmp_path / "w.html", lang="en").read_text("utf-8")
    got = write_report(base["held"]["path"], 1, tmp_path / "g.html", lang="en").read_text("utf-8")
    assert _table(got, "accounts-keep-warm") == _table(want, "accounts-keep-warm")
    assert _table(got, "owners") == _table(want, "owners")
    assert MANAGER_NOTE not in got


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_replaced_roster_output_leaves_the_unknown_owners_out_of_the_report_and_says_so(base, tmp_path, lang):
    from xuanba.outputs.report import write_report

    page = write_report(base["replaced"]["path"], 1, tmp_path / "r.html", lang=lang).read_text("utf-8")
    note = MANAGER_NOTE if lang == "en" else "这些列表旁的名称与负责人，以及各负责人的保温客户数，只含入选客户。"
    assert note in _section(page, "accounts-keep-warm") and note in _section(page, "owners")
    sel = set(base["replaced"]["round"].roster["customer_id"].astype(str))
    known = int(base["warm"]["customer_id"].isin(sel).sum())
    warm_col = [int(r[-1].replace(",", "")) for r in _rows(_table(page, "owners"))]
    assert sum(warm_col) == known  # not the unselected ones counted as "no owner"


def _rows(table: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", table, flags=re.S).group(1)
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr,
                                                                                        flags=re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)]


@pytest.mark.parametrize("rep", [None, "rep"])
def test_the_overdue_promises_of_an_engine_round_are_the_workspace_rounds_while_the_roster_output_holds_it(base, rep):
    """The promises overdue at the cutoff, of the round's customers (a rep's: theirs): the base's,
    not the selection's alone."""
    from xuanba.web.account_data import account_work

    owner = _rep_with_unselected(base) if rep else None
    with Workspace(base["oracle"]["path"], read_only=True) as ws:
        want = account_work(ws, 1, owner=owner)["overdue"]
    with Workspace(base["held"]["path"], read_only=True) as ws:
        got = account_work(ws, 1, owner=owner)["overdue"]
    sel = set(base["held"]["round"].roster["customer_id"].astype(str))
    assert any(r["customer_id"] not in sel for r in want["rows"])  # the test bites
    assert got == want


@pytest.mark.parametrize("rep", [None, "rep"])
def test_the_whale_curve_of_an_engine_round_is_the_workspace_rounds_or_not_drawn(base, rep):
    """The account page's whale curve was drawn from the selected customers' profits alone (a
    curve of the selection shown as the base's, a rep's as all their accounts'): now from every
    customer's, read from the roster output while that holds the round, else not drawn, said why."""
    from xuanba.web.account_data import account_work

    owner = _rep_with_unselected(base) if rep else None
    with Workspace(base["oracle"]["path"], read_only=True) as ws:
        want = account_work(ws, 1, owner=owner)["whale"]
    with Workspace(base["held"]["path"], read_only=True) as ws:
        got = account_work(ws, 1, owner=owner)["whale"]
    assert want is not None and want["customers"] > len(base["held"]["round"].roster)  # the test bites
    assert got["customers"] == want["customers"]
    # the peak a manager sees is the one each round stored (sums in the engine's order: 1e-13 apart)
    assert got["customer_pct"] == pytest.approx(want["customer_pct"], rel=1e-12)
    assert got["profit_pct"] == pytest.approx(want["profit_pct"], rel=1e-12)
    for a, b in zip(got["figure"]["data"], want["figure"]["data"], strict=True):
        for axis in ("x", "y"):
            assert _numbers(a.get(axis)) == pytest.approx(_numbers(b.get(axis)), rel=1e-12)
    with Workspace(base["replaced"]["path"], read_only=True) as ws:
        short = account_work(ws, 1, owner=owner)["whale"]
    if rep:
        assert short == {"not_drawn": "No whale curve: this round ran on duckdb and stored only its selected "
                                      "customers, so the curve of all your accounts cannot be drawn from it."}
    else:
        assert short["not_drawn"].startswith("Not drawn for this round: it ran on duckdb and stored only its ")
        assert "now holds another round's roster, not this round's." in short["not_drawn"]


def _numbers(values) -> list[float]:
    """A Plotly trace's coordinates as floats (plain lists or Plotly's typed-array form)."""
    if values is None:
        return []
    if isinstance(values, dict):  # {"dtype": "f8", "bdata": base64}
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return [float(v) for v in values]
