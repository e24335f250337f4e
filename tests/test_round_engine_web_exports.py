"""What the web pages, the exports and ``xuanba share`` say of a round run on the engine, which
stores only its selected customers: each is checked against the same round run in the workspace
(every customer stored), never against the engine round's own numbers."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import store as put
from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from tests.test_round_engine_outputs import seen
from tests.web.helpers import PASSWORD, log_in
from xuanba.i18n import t
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

CUTOFF = "2025-12-31"
#: A selection of 80 in a base of about 500.
STANDARD = BUSY_STANDARD.replace("max_accounts = 50", "max_accounts = 80")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same round stored by the workspace (every customer, owners Rep 00-02 in turn) and by
    the engine, once with ``--roster-out`` and once without; the workspace round's roster."""
    tmp = tmp_path_factory.mktemp("engweb")
    tx = simulated_transactions(500, seed=11)
    ids = sorted(tx["customer_id"].unique())
    ws = _workspace(tmp, tx)
    from xuanba.workspace import Workspace

    with Workspace(ws) as w:
        put(
            w,
            "customers",
            pd.DataFrame(
                {"customer_id": ids, "owner": [f"Rep {i % 3:02d}" for i in range(len(ids))]}
            ),
        )
    std = load_standard(STANDARD)
    run_round(ws, std, CUTOFF, check_model=False)
    out = tmp / "roster-out"
    with_out, without = tmp / "engine.duckdb", tmp / "engine-bare.duckdb"
    run_round_on_engine(
        tx, std, CUTOFF, workspace=with_out, side_tables=ws, check_model=False, roster_out=out
    )
    run_round_on_engine(tx, std, CUTOFF, workspace=without, side_tables=ws, check_model=False)
    full = load_round(ws, "latest", contributions=False)
    roster = full.roster.merge(full.fields[["customer_id", "owner"]], on="customer_id")
    return {"ws": ws, "eng": with_out, "bare": without, "out": out, "roster": roster, "tmp": tmp}


def _copy(pair, key, tmp_path, users=(("boss", "manager", None),)):
    """A copy of one of the workspaces with web users."""
    from xuanba.web import store
    from xuanba.workspace import Workspace

    path = shutil.copy(pair[key], tmp_path / f"{key}.duckdb")
    with Workspace(path) as w:
        for name, role, owner in users:
            store.add_user(w, name, PASSWORD, role=role, owner=owner)
    return path


def _get(path, user, *urls, lang="en"):
    from starlette.testclient import TestClient

    from xuanba.web import create_app

    with TestClient(create_app(path, linger_s=0), headers={"accept-language": lang}) as client:
        log_in(client, user)
        return [client.get(u) for u in urls]


def test_the_fixture_engine_round_stored_a_selection_of_a_larger_base(pair):
    roster = pair["roster"]
    meta = load_round(pair["eng"], "latest", fields=False, contributions=False).meta
    assert (
        meta["stored_customers"] == "selected"
        and meta["n_customers"] == len(roster) >= 5 * meta["n_selected"]
    )
    assert (pair["out"] / "roster.parquet").exists()


def test_the_web_roster_of_an_engine_round_says_it_stored_its_selection_and_where_the_rest_is(
    pair, tmp_path
):
    """/roster and /api/roster: every customer of the workspace round's base is counted in the
    note, the rows are the selection, and the roster-out folder is named."""
    roster = pair["roster"]
    n, sel = len(roster), int(roster["selected"].sum())
    path = _copy(pair, "eng", tmp_path)
    page, api = _get(path, "boss", "/roster", "/api/roster")
    words = " ".join(seen(page.text))
    assert (
        t("selection_only", "en", round_id=1, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}") in words
    ), words[:600]
    assert t("selection_only_out", "en", place=str(pair["out"] / "roster.parquet")) in words
    body = api.json()
    assert body["total"] == sel
    assert {
        k: body["selection_only"][k]
        for k in ("n_customers", "n_selected", "not_stored", "roster_out")
    } == {
        "n_customers": n,
        "n_selected": sel,
        "not_stored": n - sel,
        "roster_out": str(pair["out"] / "roster.parquet"),
    }


def test_the_web_roster_download_of_an_engine_round_is_named_for_the_selection(pair, tmp_path):
    """/roster/export.csv: the workspace round's file is "roster-round-1.csv" with every customer;
    the engine round's is "selected-round-1.csv" with exactly the workspace round's selection."""
    import io

    roster = pair["roster"]
    [ws_file] = _get(_copy(pair, "ws", tmp_path), "boss", "/roster/export.csv")
    [eng_file] = _get(_copy(pair, "eng", tmp_path), "boss", "/roster/export.csv")
    assert 'filename="roster-round-1.csv"' in ws_file.headers["content-disposition"]
    assert 'filename="selected-round-1.csv"' in eng_file.headers["content-disposition"]
    assert len(pd.read_csv(io.BytesIO(ws_file.content), encoding="utf-8-sig")) == len(roster)
    got = pd.read_csv(
        io.BytesIO(eng_file.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    want = roster.loc[roster["selected"].astype(bool)].sort_values("rank")["customer_id"]
    assert [x.lstrip("'") for x in got["customer_id"]] == [str(x).lstrip("'") for x in want]


@pytest.mark.parametrize("query", ["selected=no", "tier=-", "tier=-&score_min=10"])
def test_filters_for_customers_an_engine_round_did_not_select_say_they_are_not_stored(
    pair, tmp_path, query
):
    """Selected = no / Tier = Not selected: the workspace round counts the rest of its base; the
    engine round's page says they are not stored (never "0 customers") and its API's total is unknown."""
    ws_path = _copy(pair, "ws", tmp_path)
    eng_path = _copy(pair, "eng", tmp_path)
    [truth] = _get(ws_path, "boss", f"/api/roster?{query}")
    assert truth.json()["total"] > 0 and truth.json()["selection_only"] is None
    page, api = _get(eng_path, "boss", f"/roster?{query}", f"/api/roster?{query}")
    words = " ".join(seen(page.text))
    assert t("selection_only_rows", "en") in words
    assert "(0 customers)" not in words
    assert api.json()["total"] is None and api.json()["rows"] == []


def test_the_web_roster_of_an_engine_round_without_roster_out_says_the_rest_was_not_kept(
    pair, tmp_path
):
    roster = pair["roster"]
    rest = int((~roster["selected"].astype(bool)).sum())
    path = _copy(pair, "bare", tmp_path)
    page, api = _get(path, "boss", "/roster", "/api/roster", lang="zh")
    words = " ".join(seen(page.text))
    assert t("selection_only_lost", "zh", rest=f"{rest:,}") in words
    assert api.json()["selection_only"]["roster_out"] is None


def test_the_web_roster_names_a_roster_out_folder_that_no_longer_holds_the_roster(pair, tmp_path):
    roster = pair["roster"]
    rest = int((~roster["selected"].astype(bool)).sum())
    gone = tmp_path / "moved"
    shutil.copytree(pair["out"], gone)
    path = _copy(pair, "eng", tmp_path)
    from xuanba.workspace import Workspace

    with Workspace(path) as w:  # the round names a folder that was emptied since
        w.con.execute(
            "UPDATE rounds SET meta_json = replace(meta_json, ?, ?)", [str(pair["out"]), str(gone)]
        )
    assert load_round(path, "latest", fields=False, contributions=False).meta["roster_out"] == str(
        gone
    )
    shutil.rmtree(gone)
    [page] = _get(path, "boss", "/roster")
    words = " ".join(seen(page.text))
    assert (
        t("selection_only_gone", "en", rest=f"{rest:,}", folder=str(gone), file="roster.parquet")
        in words
    )


def test_a_reps_list_of_engine_rounds_does_not_count_their_selection_as_their_customers(
    pair, tmp_path
):
    """/api/rounds for a rep: the workspace round counts every customer of theirs; the engine round
    says the number is not known (None) and counts their selected customers as the workspace does."""
    roster = pair["roster"]
    mine = roster.loc[roster["owner"] == "Rep 01"]
    users = (("ann", "rep", "Rep 01"),)
    [ws_api, ws_page] = _get(_copy(pair, "ws", tmp_path, users), "ann", "/api/rounds", "/rounds")
    assert t("selection_only_rep_count", "en") not in " ".join(seen(ws_page.text))
    [eng_api, eng_page, eng_roster] = _get(
        _copy(pair, "eng", tmp_path, users), "ann", "/api/rounds", "/rounds", "/api/roster"
    )
    assert ws_api.json()[0]["customers"] == len(mine) and ws_api.json()[0]["selected"] == int(
        mine["selected"].sum()
    )
    assert eng_api.json()[0]["customers"] is None
    assert eng_api.json()[0]["selected"] == int(mine["selected"].sum()) > 0
    assert str(len(mine)) not in seen(eng_page.text)
    assert t("selection_only_rep_count", "en") in " ".join(seen(eng_page.text))
    only = eng_roster.json()[
        "selection_only"
    ]  # a rep is told the round stored its selection, no base figures
    assert only["engine"] == "duckdb" and only["n_customers"] is None and only["roster_out"] is None


def test_the_web_overview_of_an_engine_round_does_not_judge_freshness_on_the_workspaces_data(
    tmp_path,
):
    """The workspace holds an early ingest; the engine round read a source running to the cutoff:
    the overview must not call its data stale nor send the user to ``xuanba ingest``. A workspace
    round on those early data still gets the warning."""
    from xuanba.web import data
    from xuanba.workspace import Workspace

    tx = simulated_transactions(300, seed=2)
    early = tx[tx["ts"] < "2025-03-01"]
    ws = tmp_path / "early.duckdb"
    with Workspace(ws) as w:
        put(w, "transactions", early)
    run_round(ws, STANDARD, CUTOFF, check_model=False)
    with Workspace(ws, read_only=True) as w:
        stale = data.overview(w)["data"]
    assert stale["stale"] and stale["last"] == str(
        early["ts"].max().date()
    )  # the workspace round: warned
    run_round_on_engine(tx, STANDARD, CUTOFF, workspace=ws, check_model=False)
    with Workspace(ws, read_only=True) as w:
        assert data.overview(w)["data"] is None
    [page] = _get(_copy({"w": ws}, "w", tmp_path), "boss", "/")
    assert "xuanba ingest" not in page.text and "Stale data" not in page.text


@pytest.mark.parametrize(
    "command, out, lang",
    [
        (["export", "latest"], "r.xlsx", "en"),
        (["export", "latest"], "r.csv", "zh"),
        (["rounds", "latest"], "r.csv", "en"),
        (["rounds", "latest"], "r.xlsx", "zh"),
    ],
)
def test_exporting_an_engine_rounds_roster_says_it_holds_the_selected_customers(
    pair, tmp_path, command, out, lang
):
    """The file holds exactly the workspace round's selected customers, an Excel sheet is named
    "selected" (not "roster"), and the console says the round stored only them and where every
    customer's row is, in the reader's language."""
    from xuanba.cli import app
    from xuanba.tables import read_table

    roster = pair["roster"]
    n, sel = len(roster), int(roster["selected"].sum())
    path = tmp_path / out
    res = CliRunner().invoke(
        app,
        [
            "--lang",
            lang,
            *command,
            "--workspace",
            str(pair["eng"]),
            "--out",
            str(path),
            "--lang",
            lang,
        ],
        env={"COLUMNS": "300"},
    )
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert (
        t("selection_only", lang, round_id=1, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}") in said
    ), said[-600:]
    assert t("selection_only_file", lang, sel=f"{sel:,}") in said
    assert (
        " ".join(
            t("selection_only_out", lang, place=str(pair["out"] / "roster.parquet")).split()
        )
        in said
    )
    if out.endswith(".xlsx"):
        with pd.ExcelFile(path) as book:
            sheets = book.sheet_names
        assert (
            sheets[0] == t("xlsx_sheet_selected", lang)
            and t("xlsx_sheet_roster", lang) not in sheets
        )
    got = (
        read_table(path)["customer_id"]
        if out.endswith(".csv")
        else read_table(path, sheet=0)["customer_id"]
    )
    want = roster.loc[roster["selected"].astype(bool)].sort_values("rank")["customer_id"]
    assert [str(x).lstrip("'") for x in got] == [str(x).lstrip("'") for x in want]


def test_exporting_a_workspace_rounds_roster_says_nothing_of_a_selection(pair, tmp_path):
    from xuanba.cli import app

    res = CliRunner().invoke(
        app,
        [
            "--lang",
            "en",
            "export",
            "latest",
            "--workspace",
            str(pair["ws"]),
            "--out",
            str(tmp_path / "r.xlsx"),
            "--lang",
            "en",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert '"note": null' in res.output
    with pd.ExcelFile(tmp_path / "r.xlsx") as book:
        assert book.sheet_names[0] == "roster"


def _share(path, customer):
    from xuanba.cli import app

    return CliRunner().invoke(
        app, ["--lang", "en", "share", customer, "--days", "3", "--workspace", str(path)]
    )


def test_sharing_a_customer_an_engine_round_ranked_but_did_not_select_says_so(pair, tmp_path):
    """With the roster output at hand, the refusal gives the rank the workspace round gives them;
    without it, it says the round stored only its selection. Neither says "holds no customer"."""
    roster = pair["roster"]
    outside = roster.loc[~roster["selected"].astype(bool)].iloc[-1]
    n, sel = len(roster), int(roster["selected"].sum())
    res = _share(shutil.copy(pair["eng"], tmp_path / "e.duckdb"), str(outside["customer_id"]))
    said = " ".join(res.output.split())
    assert res.exit_code == 3, res.output
    assert (
        " ".join(
            t(
                "share_not_selected",
                "en",
                round_id=1,
                customer=repr(str(outside["customer_id"])),
                rank=f"{int(outside['rank']):,}",
                n=f"{n:,}",
                engine="duckdb",
                sel=f"{sel:,}",
            ).split()
        )
        in said
    )
    res = _share(shutil.copy(pair["bare"], tmp_path / "b.duckdb"), str(outside["customer_id"]))
    said = " ".join(res.output.split())
    assert res.exit_code == 3 and "holds no customer" not in said, res.output
    assert (
        " ".join(
            t(
                "share_selection_only",
                "en",
                round_id=1,
                engine="duckdb",
                sel=f"{sel:,}",
                n=f"{n:,}",
                customer=repr(str(outside["customer_id"])),
            ).split()
        )
        in said
    )


def test_sharing_an_engine_rounds_selected_customer_or_a_stranger(pair, tmp_path):
    """A selected customer is shared as from a workspace round; an id the round's roster output
    does not hold is "no customer" (exit 2), as a workspace round says."""
    roster = pair["roster"]
    chosen = str(roster.loc[roster["selected"].astype(bool), "customer_id"].iloc[0])
    path = shutil.copy(pair["eng"], tmp_path / "e.duckdb")
    ok = _share(path, chosen)
    assert ok.exit_code == 0 and "/s/" in ok.output, ok.output
    for where in (path, shutil.copy(pair["ws"], tmp_path / "w.duckdb")):
        res = _share(where, "nobody-at-all")
        assert res.exit_code == 2 and "holds no customer" in res.output, res.output


def test_an_engine_round_run_from_the_cli_with_out_says_its_file_holds_the_selection(tmp_path):
    """`xuanba round --engine duckdb --source S --out r.csv` without --roster-out: the file holds the
    selection and the console says the other customers' rows were not kept."""
    from xuanba.cli import app

    tx = simulated_transactions(300, seed=2)
    src = tmp_path / "tx.parquet"
    tx.to_parquet(src, index=False)
    (tmp_path / "s.toml").write_text(STANDARD, encoding="utf-8")
    args = [
        "--lang",
        "en",
        "round",
        "--standard",
        str(tmp_path / "s.toml"),
        "--cutoff",
        CUTOFF,
        "--engine",
        "duckdb",
    ]
    res = CliRunner().invoke(
        app,
        [
            *args,
            "--source",
            str(src),
            "--workspace",
            str(tmp_path / "w.duckdb"),
            "--out",
            str(tmp_path / "r.csv"),
        ],
        env={"COLUMNS": "300"},
    )
    assert res.exit_code == 0, res.output
    ws = _workspace(tmp_path, tx, "truth.duckdb")
    truth = run_round(ws, STANDARD, CUTOFF, check_model=False).roster
    n, sel = len(truth), int(truth["selected"].sum())
    said = " ".join(res.output.split())
    assert (
        t("selection_only", "en", round_id=1, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}") in said
    ), said[-400:]
    assert t("selection_only_lost", "en", rest=f"{n - sel:,}") in said
    assert len(pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")) == sel < n


@pytest.mark.parametrize(
    "places",
    [
        {"roster": "s3a://lake/xuanba/r1/roster.parquet", "fields": "s3a://lake/xuanba/r1/fields.parquet"},
        {"roster": "table:sales.roster", "fields": "table:sales.roster_fields"},
    ],
)
def test_a_roster_out_on_a_store_or_in_a_catalog_is_said_where_the_round_put_it(places):
    """A round on Spark whose roster went to a URL or a catalog table: where the rest is, is the
    place its meta records (this machine cannot look there), never "no longer holds it"; no rank
    is read from it here."""
    from xuanba.rounds.selection_only import rank_in_roster_out, rest_of_base, where_the_rest_is

    named = places["roster"].removesuffix("/roster.parquet")
    meta = {"stored_customers": "selected", "engine": "pyspark", "n_customers": 10, "n_selected": 2,
            "roster_out": named, "roster_places": places}
    rest = rest_of_base(meta, 4)
    assert rest.roster == places["roster"] and not rest.local and rest.folder is None
    for lang in ("en", "zh"):
        said = where_the_rest_is(rest, lang)
        assert places["roster"] in said and said == t("selection_only_out", lang, place=places["roster"])
    assert rank_in_roster_out(rest, "c1") is None


# -- a customer the engine round ranked but did not select, and the roster download's note ---------


def _outside(roster, owner=None):
    """The workspace round's last customer it did not select (of ``owner``)."""
    out = roster.loc[~roster["selected"].astype(bool)]
    return out.loc[out["owner"] == owner].iloc[-1] if owner else out.iloc[-1]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_customer_page_of_an_unselected_customer_gives_their_rank_from_the_roster_output(
    pair, tmp_path, lang
):
    """/customers/C (and its API and statement) for a customer the engine round ranked but did not select:
    not a bare "not found" but the rank the workspace round gives them, and where every row is."""
    from urllib.parse import quote

    from xuanba.i18n import counted

    roster = pair["roster"]
    n, sel = len(roster), int(roster["selected"].sum())
    who = _outside(roster)
    cid = str(who["customer_id"])
    page, api, statement = _get(
        _copy(pair, "eng", tmp_path), "boss",
        f"/customers/{quote(cid, safe='')}", f"/api/customers/{quote(cid, safe='')}",
        f"/customers/{quote(cid, safe='')}/statement", lang=lang,
    )
    assert page.status_code == api.status_code == statement.status_code == 404
    want = t(counted("customer_not_selected", sel), lang, round_id=1, customer=repr(cid),
             rank=f"{int(who['rank']):,}", n=f"{n:,}", engine="duckdb", sel=f"{sel:,}")
    words = " ".join(seen(page.text))
    assert want in words, words[-600:]
    assert want in " ".join(seen(statement.text))  # their statement page says the same
    assert t("selection_only_out", lang, place=str(pair["out"] / "roster.parquet")) in words
    assert t("web_not_found", lang) not in words
    body = api.json()
    assert body["error"] == "not_stored" and body["rank"] == int(who["rank"]) and want in body["message"]


def test_the_customer_page_without_roster_out_says_the_round_stored_its_selection(pair, tmp_path):
    """No roster output: no rank to give, but the page says the round stored only its selection and
    that the other rows were not kept (for any id: nothing here says whether the round ranked it);
    with the roster output at hand, an id it does not hold is "not found"."""
    from urllib.parse import quote

    roster = pair["roster"]
    n, sel = len(roster), int(roster["selected"].sum())
    cid = str(_outside(roster)["customer_id"])
    path = _copy(pair, "bare", tmp_path)
    page, api, unknown = _get(
        path, "boss", f"/customers/{quote(cid, safe='')}", f"/api/customers/{quote(cid, safe='')}",
        "/api/customers/nobody-at-all",
    )
    words = " ".join(seen(page.text))
    for said in (
        t("selection_only", "en", round_id=1, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}"),
        t("customer_not_stored", "en", customer=repr(cid)),
        t("selection_only_lost", "en", rest=f"{n - sel:,}"),
    ):
        assert said in words and said in api.json()["message"], said
    assert api.json()["rank"] is None
    assert unknown.json()["error"] == "not_stored" and unknown.json()["rank"] is None
    # the roster output at hand holds every customer: an id it lacks is no customer at all
    page, api = _get(_copy(pair, "eng", tmp_path), "boss", "/customers/nobody-at-all", "/api/customers/nobody-at-all")
    assert page.status_code == 404 and seen(page.text)[-1] == t("web_not_found", "en")
    assert api.json() == {"error": "not_found", "message": t("web_not_found", "en")}


def test_a_rep_is_told_the_rank_of_their_own_unselected_customer_only(pair, tmp_path):
    """A rep (Rep 01) gets the rank of their own unselected customer, with no path on this
    machine; another rep's unselected customer is "not found", exactly as a stranger is; without
    the roster output there is no owner to check, so "not found" too."""
    from urllib.parse import quote

    roster = pair["roster"]
    mine, theirs = _outside(roster, "Rep 01"), _outside(roster, "Rep 02")
    users = (("ann", "rep", "Rep 01"),)
    urls = [f"/api/customers/{quote(str(c['customer_id']), safe='')}" for c in (mine, theirs)]
    own, other, stranger = _get(_copy(pair, "eng", tmp_path, users), "ann", *urls, "/api/customers/nobody")
    assert own.status_code == 404 and own.json()["rank"] == int(mine["rank"])
    assert str(pair["out"]) not in own.text
    assert other.json() == stranger.json() == {"error": "not_found", "message": t("web_not_found", "en")}
    [bare] = _get(_copy(pair, "bare", tmp_path, users), "ann", urls[0])
    assert bare.json()["error"] == "not_found"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_roster_download_of_an_engine_round_says_it_holds_the_selection(pair, tmp_path, lang):
    """The CSV carries the note `xuanba export` prints (a header, percent-encoded), the workbook
    a "note" sheet with it; built here from the workspace round's counts. A workspace round's
    download has neither."""
    import io
    from urllib.parse import unquote

    from xuanba.outputs.exports import selection_file_note

    roster = pair["roster"]
    n, sel = len(roster), int(roster["selected"].sum())
    csv, xlsx = _get(_copy(pair, "eng", tmp_path), "boss", "/roster/export.csv", "/roster/export.xlsx",
                     lang=lang)
    note = unquote(csv.headers["x-xuanba-note"])
    for said in (
        t("selection_only", lang, round_id=1, engine="duckdb", sel=f"{sel:,}", n=f"{n:,}"),
        t("selection_only_file", lang, sel=f"{sel:,}"),
        t("selection_only_out", lang, place=str(pair["out"] / "roster.parquet")),
    ):
        assert said in note, note
    meta = load_round(pair["eng"], "latest", fields=False, contributions=False).meta
    assert note == selection_file_note(meta, 1, lang)
    with pd.ExcelFile(io.BytesIO(xlsx.content)) as book:
        assert book.sheet_names[:2] == [t("xlsx_sheet_selected", lang), t("xlsx_sheet_note", lang)]
        assert pd.read_excel(book, sheet_name=1).iloc[0, 0] == note
        assert len(pd.read_excel(book, sheet_name=0)) == sel
    ws_csv, ws_xlsx = _get(_copy(pair, "ws", tmp_path), "boss", "/roster/export.csv", "/roster/export.xlsx",
                           lang=lang)
    assert "x-xuanba-note" not in ws_csv.headers and "x-xuanba-note" not in ws_xlsx.headers
    with pd.ExcelFile(io.BytesIO(ws_xlsx.content)) as book:
        assert t("xlsx_sheet_note", lang) not in book.sheet_names


def test_a_reps_roster_download_of_an_engine_round_says_what_their_page_says(pair, tmp_path):
    from urllib.parse import unquote

    users = (("ann", "rep", "Rep 01"),)
    [csv] = _get(_copy(pair, "eng", tmp_path, users), "ann", "/roster/export.csv")
    note = unquote(csv.headers["x-xuanba-note"])
    assert note == t("selection_only_scoped", "en", engine="duckdb") and str(pair["out"]) not in note


@pytest.mark.parametrize("key", ["eng", "bare", "gone"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_roster_pages_note_is_the_one_selection_note(pair, tmp_path, key, lang):
    """The page's note is :func:`selection_note` word for word in the page's language, for the three
    places the rest may be (written, gone from a local folder, never kept): one sentence-maker."""
    import html
    import re

    from xuanba.rounds.selection_only import rest_of_base, selection_note

    path = _copy(pair, "bare" if key == "bare" else "eng", tmp_path)
    if key == "gone":
        from xuanba.workspace import Workspace

        with Workspace(path) as w:
            w.con.execute("UPDATE rounds SET meta_json = replace(meta_json, ?, ?)",
                          [str(pair["out"]), str(tmp_path / "gone")])
    [page] = _get(path, "boss", "/roster", lang=lang)
    [said] = re.findall(r'<p class="note" id="selection-only">(.*?)</p>', page.text, flags=re.S)
    meta = load_round(path, "latest", fields=False, contributions=False).meta
    assert html.unescape(said) == selection_note(rest_of_base(meta, 1), lang)
