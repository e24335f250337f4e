"""Outputs of a round run on the engine (which stores only its selected customers) say what the
same round run in the workspace says: the report's every figure, the statements' rank bands, the
CLI's counts; what needs every customer (a what-if, a fairness table) is refused in words, never
answered from the selection alone."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba.errors import DataError
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

#: Two cutoffs: the report of the second compares it with the first.
CUTOFFS = ("2025-09-30", "2025-12-31")
#: A standard whose top tier holds 5 % of a base that is much larger than its selection.
STANDARD = BUSY_STANDARD.replace("max_accounts = 50", "max_accounts = 400")


class _Text(HTMLParser):
    """The text a reader sees (scripts and styles left out), one piece per element."""

    def __init__(self) -> None:
        super().__init__()
        self.skip, self.out = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.out.append(data.strip())


def seen(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.out


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """The same two rounds (2,000 simulated customers with costs and hostile ids) stored by the
    workspace round and by the engine round, each in its own workspace."""
    tmp = tmp_path_factory.mktemp("engout")
    tx = simulated_transactions(2000, seed=5)
    ws = _workspace(tmp, tx)
    eng = tmp / "engine.duckdb"
    std = load_standard(STANDARD)
    for cut in CUTOFFS:
        run_round(ws, std, cut, check_model=False)
        run_round_on_engine(tx, std, cut, workspace=eng, side_tables=ws, check_model=False)
    return ws, eng


def test_the_engine_round_stored_only_its_selection_of_a_larger_base(rounds):
    ws, eng = rounds
    a, b = load_round(ws, "latest"), load_round(eng, "latest")
    assert b.meta["stored_customers"] == "selected" and len(b.roster) == b.meta["n_selected"]
    assert b.meta["n_customers"] == len(a.roster) >= 4 * len(b.roster)  # the faults show only then
    assert 0 < b.meta["tier_counts"]["A"] < b.meta["n_selected"]


def test_the_engine_rounds_scores_over_every_customer_are_the_workspace_rounds(rounds):
    """Median, each tier's mean score and the histogram's bins: from the engine's aggregates, equal
    to those of the workspace's whole roster (computed here with pandas and numpy)."""
    from xuanba.rounds.summary import score_bins

    ws, eng = rounds
    roster = load_round(ws, "latest", fields=False, contributions=False).roster
    got = load_round(eng, "latest", fields=False, contributions=False).meta["base_scores"]
    assert got["median"] == pytest.approx(float(roster["score"].median()), abs=1e-9)
    tier = roster["tier"].fillna("").astype(str)
    for name, part in roster.groupby(tier)["score"]:
        assert got["tier_mean_score"][name] == pytest.approx(float(part.mean()), rel=1e-12), name
        assert got["histogram"][name] == score_bins(part.to_numpy(float)), name
    assert set(got["histogram"]) == set(tier)


def _report(path, out) -> list[str]:
    from xuanba.outputs.report import write_report

    return seen(write_report(path, "latest", out).read_text("utf-8"))


def test_the_engine_rounds_report_shows_every_figure_of_the_workspace_rounds(rounds, tmp_path):
    """Every piece of text the two reports show is the same (headline shares, tier counts, shares
    and mean scores, quadrants, whale peak, median score, entered and left), but the creation
    time, and where the engine round says plainly what it cannot show (no wrong number)."""
    ws, eng = rounds
    want, got = _report(ws, tmp_path / "ws.html"), _report(eng, tmp_path / "eng.html")
    assert sum("Not drawn for this round" in line for line in got) == 2  # the scatter, the whale curve
    drop = re.compile(r"made \d{4}-\d\d-\d\dT")
    a = [x for x in want if not drop.search(x)]
    b = [x for x in got if not drop.search(x)]
    # the movers: the workspace's section (movers, migration) against the engine's one sentence
    nxt = "How this standard has performed"
    i, j = next(k for k, x in enumerate(a) if x.startswith("Biggest movers since round")), a.index(nxt)
    k, m = b.index("Movers since the previous round"), b.index(nxt)
    entered, left = re.match(r"([\d,]+) entered and ([\d,]+) left the selection;", a[i + 1]).groups()
    assert b[k + 1].startswith(f"{entered} entered and {left} left the selection since round 1. ")
    assert "not shown" in b[k + 1] and m == k + 2
    a, b = a[:i] + a[j:], b[:k] + b[m:]
    # the engine's readings are the workspace's, with what it cannot draw said after them; the
    # quadrants' reading of dots only where the dots are drawn
    quads = [x for x in b if "is the largest group" in x]
    assert len(quads) == 1 and not quads[0].startswith("Each dot") and "Not drawn for this round" in quads[0]
    assert sum(x.startswith("Each dot is a customer; ") for x in a) == 1
    a = [x.removeprefix("Each dot is a customer; ") for x in a]
    b = [x.split(" Not drawn for this round")[0] for x in b]
    assert [x[:1].lower() + x[1:] for x in a] == [x[:1].lower() + x[1:] for x in b]
    assert any("of customers" in x and "%" in x for x in b)  # the headline share is there, and right
    assert any("The top" in x and "of profit" in x for x in b)  # the whale peak is said from the stored figure


def test_the_engine_rounds_chinese_report_reads_no_dots_where_no_scatter_is_drawn(rounds, tmp_path):
    from xuanba.outputs.report import write_report

    ws, eng = rounds
    html = {p: write_report(p, "latest", tmp_path / f"{p.stem}.html", lang="zh").read_text("utf-8") for p in rounds}
    assert "每个点是一位客户" in html[ws] and "每个点是一位客户" not in html[eng]
    assert "人数最多" in html[eng] and "本轮不绘制" in html[eng]


def test_statements_of_an_engine_round_rank_among_every_customer(rounds, tmp_path):
    """The rank band is among every customer the round ranked (not the 400 it stored), the same
    band as the workspace round's; the advice, which needs every customer's values to be rounded
    safely, is left out rather than computed from the selection."""
    from xuanba.outputs.statements import build_statement

    ws, eng = rounds
    a, b = load_round(ws, "latest"), load_round(eng, "latest")
    n = a.meta["n_customers"]
    below_top = b.roster[b.roster["next_tier"].astype(str) != ""]
    assert len(below_top)
    for cid in [*b.roster["customer_id"].head(3), *below_top["customer_id"].head(5)]:
        want, got = seen(build_statement(a, cid)), seen(build_statement(b, cid))
        assert f"among {n:,} customers" in got
        assert f"among {len(b.roster):,} customers" not in got
        assert [x for x in want if not x.startswith("The smallest step")] == got


def test_a_whatif_of_an_engine_round_is_refused_with_the_fix(rounds, tmp_path):
    """Re-scoring the 400 stored customers would keep some in tier A and none of the rest: refused
    in the library (DataError), in the CLI (exit code 3, the fix said) and on the web page."""
    from xuanba.cli import app
    from xuanba.rounds.whatif import whatif
    from xuanba.web.standard_pages import preview
    from xuanba.workspace import Workspace

    ws, eng = rounds
    changed = STANDARD.replace('quota = "5%"', 'quota = "4%"')
    assert whatif(ws, changed).summary["selected_new"] > 0  # the workspace round answers it
    with pytest.raises(DataError, match="stored only its .* selected customers") as info:
        whatif(eng, changed)
    assert "--engine" in info.value.fix and "in the workspace" in info.value.fix
    (tmp_path / "s.toml").write_text(changed, "utf-8")
    res = CliRunner().invoke(app, ["whatif", str(tmp_path / "s.toml"), "--workspace", str(eng)])
    assert res.exit_code == 3, res.output
    assert "stored only its" in res.output and "in the workspace" in res.output
    with Workspace(eng) as w:
        page = preview(w, changed, "en")
    assert "stored only its" in page["error"] and "summary" not in page


def test_a_fairness_table_of_an_engine_round_is_refused(rounds):
    from xuanba.rounds.fairness import round_fairness

    _ws, eng = rounds
    with pytest.raises(DataError, match="fairness table needs every customer"):
        round_fairness(eng, by=["owner"])


def test_the_cli_prints_every_customers_quadrants_of_an_engine_round(rounds):
    """``xuanba rounds latest`` counts the quadrants of every customer (the workspace round's),
    not of the selection it stored."""
    from xuanba.cli import app

    ws, eng = rounds
    want = load_round(ws, "latest", fields=False, contributions=False).meta["summary"]["quadrant_counts"]
    std = load_standard(STANDARD)
    res = CliRunner().invoke(app, ["rounds", "latest", "--workspace", str(eng)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert sum(want.values()) > load_round(eng, "latest").meta["n_selected"]
    for name, count in want.items():
        line = next(x for x in res.output.splitlines() if std.quadrants.label(name) in x)
        assert re.search(rf"\b{count:,}\b", line), (name, count, line)


def _caught(*specs):
    """Warnings as a round catches them: (category, message, file the warning came from)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category, message, filename in specs:
            warnings.warn_explicit(message, category, filename, 1)
    return caught


def test_fit_warnings_keep_the_fits_words_and_drop_library_noise():
    """py4j's unclosed socket, a Spark notice and a deprecation say nothing of the fit; numpy's
    overflow, scipy's optimiser and xuanba's own words do."""
    import os

    from scipy.optimize import OptimizeWarning

    import xuanba
    from xuanba.rounds.run import fit_warnings

    ours = os.path.join(os.path.dirname(xuanba.__file__), "models", "predict.py")
    caught = _caught(
        (ResourceWarning, "unclosed <socket.socket fd=75, family=2, type=1, proto=6>", "/x/py4j/clientserver.py"),
        (UserWarning, "createDataFrame attempted Arrow optimization", "/x/pyspark/sql/pandas/conversion.py"),
        (DeprecationWarning, "old API", ours),
        (RuntimeWarning, "overflow encountered in exp", "/x/numpy/core/_methods.py"),
        (OptimizeWarning, "Covariance of the parameters could not be estimated", "/x/scipy/optimize/_minpack_py.py"),
        (UserWarning, "No 90% interval for BGNBD: its fit cannot be trusted", ours),
    )
    assert fit_warnings(caught, {}) == sorted([
        "RuntimeWarning: overflow encountered in exp",
        "OptimizeWarning: Covariance of the parameters could not be estimated",
        "UserWarning: No 90% interval for BGNBD: its fit cannot be trusted",
    ])


def test_an_engine_round_stores_no_resource_warning_as_a_fit_warning(tmp_path, monkeypatch):
    """A fit during which py4j (here: a stand-in) warns of an unclosed socket and numpy of an
    overflow: the round keeps the overflow only, and its report prints no ResourceWarning."""
    import warnings

    from xuanba.models.gammagamma import GammaGamma
    from xuanba.outputs.report import write_report

    fit = GammaGamma.fit

    def noisy(self, *args, **kwargs):
        warnings.warn_explicit("unclosed <socket.socket fd=75>", ResourceWarning, "/x/py4j/java_gateway.py", 1)
        warnings.warn_explicit("overflow encountered in exp", RuntimeWarning, "/x/numpy/lib/x.py", 1)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(GammaGamma, "fit", noisy)
    tx = simulated_transactions(300, seed=2)
    rnd = run_round_on_engine(tx, BUSY_STANDARD, "2025-12-31", workspace=tmp_path / "e.duckdb", check_model=False)
    assert "RuntimeWarning: overflow encountered in exp" in rnd.meta["model_warnings"]
    assert not any("ResourceWarning" in w or "socket" in w for w in rnd.meta["model_warnings"])
    text = " ".join(seen(write_report(tmp_path / "e.duckdb", "latest", tmp_path / "r.html").read_text("utf-8")))
    assert "overflow encountered" in text and "ResourceWarning" not in text and "socket" not in text


def test_hostile_ids_of_an_engine_round_stay_text_in_its_exports_and_pages(rounds, tmp_path):
    """Markup and formula ids the engine round stored: text cells in the .xlsx roster (no formula),
    escaped in a statement and in the report, as for a workspace round."""
    import openpyxl

    from xuanba.cli import app
    from xuanba.outputs.report import write_report
    from xuanba.outputs.statements import build_statement

    _ws, eng = rounds
    rnd = load_round(eng, "latest")
    ids = rnd.roster["customer_id"].astype(str)
    evil = [i for i in ids if i.startswith(("<b>", "=", "@"))]
    assert {i[0] for i in evil} == {"<", "=", "@"}
    res = CliRunner().invoke(app, ["rounds", "latest", "--workspace", str(eng), "--out", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert set(evil) <= {c.value for c in cells}
    marked = next(i for i in evil if i.startswith("<b>"))
    assert marked not in build_statement(rnd, marked)
    assert marked in " ".join(seen(build_statement(rnd, marked)))  # shown as text
    html = write_report(eng, "latest", tmp_path / "r.html").read_text("utf-8")
    assert not any(i in html for i in evil if i.startswith("<b>"))


def test_the_web_overview_of_an_engine_round_counts_every_customer(rounds):
    """The overview's customers and quadrants are the workspace round's; against the previous
    round it says who entered and left, and leaves who else moved unsaid (not a count over the
    selections alone)."""
    from xuanba.web import data
    from xuanba.workspace import Workspace

    ws, eng = rounds
    with Workspace(ws, read_only=True) as w:
        want = data.overview(w)
    with Workspace(eng, read_only=True) as w:
        got = data.overview(w)
    assert got["customers"] == want["customers"] and got["tier_counts"] == want["tier_counts"]
    assert [(q["quadrant"], q["customers"]) for q in got["quadrants"]] == \
        [(q["quadrant"], q["customers"]) for q in want["quadrants"]]
    for key in ("entered", "left", "kept"):
        assert got["mobility"][key] == want["mobility"][key], key
    assert want["mobility"]["rose"] > 0
    assert got["mobility"]["rose"] is None and got["mobility"]["fell"] is None
    assert got["mobility"]["rank_correlation"] is None


def test_xuanba_diff_of_engine_rounds_says_entered_and_left_and_leaves_the_rest_unsaid(rounds):
    """Entered, left and kept are the workspace rounds'; rose, fell and the rank correlation are
    not counted over the stored selections (the JSON says null, the table "–"), no migration."""
    from xuanba.cli import app

    ws, eng = rounds
    runs = [CliRunner().invoke(app, ["diff", "--workspace", str(p), "--json"]) for p in (ws, eng)]
    assert all(r.exit_code == 0 for r in runs), [r.output for r in runs]
    want, got = (json.loads(r.output[r.output.index("{"):]) for r in runs)
    for key in ("entered", "left", "kept", "selected_a", "selected_b", "customers_a", "customers_b"):
        assert got[key] == want[key], key  # customers_a/b: the bases, from the engine rounds' meta
    assert want["rose"] > 0 and got["rose"] is None and got["fell"] is None and got["rank_correlation"] is None
    res = CliRunner().invoke(app, ["diff", "--workspace", str(eng)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "stores only its selected customers" in res.output and "None" not in res.output


def test_the_diff_of_engine_rounds_never_calls_a_customer_it_did_not_store_absent(rounds):
    """A customer an engine round did not store was not selected there; whether they were in its
    base is not known, so the diff says "(not selected)" — what the workspace diff says of every
    one of them that was in the base — and never "(absent)"."""
    from xuanba.rounds import diff_rounds
    from xuanba.rounds.diff import ABSENT, NOT_SELECTED

    ws, eng = rounds
    want = diff_rounds(ws, 1, 2).changes.set_index("customer_id")
    got = diff_rounds(eng, 1, 2).changes.set_index("customer_id")
    for col in ("tier_a", "tier_b"):
        assert not (got[col] == ABSENT).any(), col
        truth = want.loc[got.index, col]
        assert ((got[col] == truth) | ((got[col] == NOT_SELECTED) & (truth == ABSENT))).all(), col
    entered = got.index[got["status"] == "entered"]
    assert len(entered) and (got.loc[entered, "tier_a"] == NOT_SELECTED).all()
    assert (want.loc[entered, "tier_a"] == NOT_SELECTED).sum() > 0  # in A's base, unselected: the case that read "(absent)"


def test_the_diff_of_engine_rounds_empties_the_migration_once_for_every_reader(rounds, tmp_path):
    """diff_loaded decides: the migration of an engine round is empty (it would count a customer
    the other round did not store as absent), so ``xuanba diff --json`` and an export of the
    migration carry no counts, as the web's compare page shows none; the workspace rounds' have them."""
    from xuanba.cli import app
    from xuanba.outputs.exports import round_tables
    from xuanba.rounds import diff_rounds

    ws, eng = rounds
    assert diff_rounds(eng, 1, 2).migration.empty and not diff_rounds(ws, 1, 2).migration.empty
    runs = {p: CliRunner().invoke(app, ["diff", "--workspace", str(p), "--json"]) for p in rounds}
    said = {p: json.loads(r.output[r.output.index("{"):])["migration"] for p, r in runs.items()}
    assert said[eng] == {} and sum(sum(row.values()) for row in said[ws].values()) > 0
    from xuanba.workspace import Workspace

    exported = {}
    for p in rounds:
        with Workspace(p, read_only=True) as w:
            exported[p] = round_tables(w, "latest", ("migration",))["migration"]
    assert len(exported[eng]) == 0 and len(exported[ws]) > 0
    res = CliRunner().invoke(app, ["diff", "--workspace", str(eng)], env={"COLUMNS": "200"})
    assert "Tier migration" not in res.output and "stores only its selected customers" in res.output


@pytest.mark.parametrize(("lang", "words"), [("en", "Who else moved and the rank correlation are not shown: "
                                                    "a round run on duckdb stores only its selected customers."),
                                             ("zh", "其他客户的名次变化与排名相关系数从略：在 duckdb 上运行的轮次只保存入选客户。")])
def test_the_web_overview_of_engine_rounds_says_why_rose_and_fell_are_not_shown(rounds, tmp_path, lang, words):
    import shutil

    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    pages = {}
    for p in rounds:
        path = shutil.copy(p, tmp_path / p.name)
        with Workspace(path) as w:
            store.add_user(w, "boss", PASSWORD, role="manager")
        with TestClient(create_app(path, linger_s=0), headers={"Accept-Language": lang}) as client:
            log_in(client, "boss")
            pages[p] = client.get("/").text
    ws, eng = rounds
    assert 'id="m-rose">–<' in pages[eng] and 'id="mobility-why"' in pages[eng]
    assert words in " ".join(seen(pages[eng]))
    assert 'id="mobility-why"' not in pages[ws] and 'id="m-rose">–<' not in pages[ws]


def test_the_web_compare_page_of_engine_rounds_shows_entered_and_left_only(rounds, tmp_path):
    """/rounds/compare: entered and left as the workspace rounds', rose and fell "–", no migration
    table (it would count the selections only), and the page says why."""
    import shutil

    from starlette.testclient import TestClient

    from tests.web.helpers import PASSWORD, log_in
    from xuanba.rounds import diff_rounds
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    ws, eng = rounds
    want = diff_rounds(ws, 1, 2).summary
    path = shutil.copy(eng, tmp_path / "eng.duckdb")
    with Workspace(path) as w:
        store.add_user(w, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0)) as client:
        log_in(client, "boss")
        page = client.get("/rounds/compare?a=1&b=2").text
    for key in ("entered", "left"):
        assert re.search(rf'id="n-{key}">{want[key]:,}<', page), key
    assert 'id="n-rose">–<' in page and 'id="n-fell">–<' in page
    assert 'id="partial"' in page and "stores only its selected customers" in page


def test_a_statement_of_an_unselected_customer_of_an_engine_round_says_why_there_is_none(rounds):
    from xuanba.errors import InputError
    from xuanba.outputs.statements import build_statement

    ws, eng = rounds
    full = load_round(ws, "latest", fields=False, contributions=False).roster
    outside = str(full.loc[~full["selected"].astype(bool), "customer_id"].iloc[0])
    with pytest.raises(InputError, match="not among the selected customers .* stored only those") as info:
        build_statement(load_round(eng, "latest"), outside)
    assert "in the workspace" in info.value.fix
    assert "were not kept (the round was run without --roster-out)" in info.value.fix  # where the rest is, said
