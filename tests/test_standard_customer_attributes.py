"""Gates and criteria over any column of the workspace's ``customers`` table (issue 16): a round
accepts the built-in fields, the customers table's columns and the ``--fields`` columns, by the
one rule of :func:`xuanba.standard.load_standard`. A user who keeps ``industry`` in the customers
table gates on it without a fields file, on the workspace round and the DuckDB engine round alike;
a round stored so re-loads after the table lost the column; an unknown name is refused with the
customers table's columns among what exists; hostile column names stay data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, assert_same_round, simulated_transactions
from xuanba import Workspace
from xuanba.cli import app
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.whatif import whatif
from xuanba.standard import StandardError

CUTOFF = "2025-12-31"

#: No prediction: the rounds fit no model, so only the standard's reading of the fields is tested.
STANDARD = """
[standard]
name = "attr"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 70
[[criteria]]
name = "orders"
field = "orders"
weight = 30
[[gates]]
name = "external"
expr = "industry != 'internal'"
[[gates]]
name = "shop"
expr = "segment != 'none'"
[[tiers]]
name = "A"
min_score = 40
"""

GATE_LINE = STANDARD.splitlines().index("expr = \"industry != 'internal'\"") + 1


def customers_frame(tx: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """Three quarters of the customers, with ``industry`` ('internal' for about a third, missing
    for some) and ``segment``."""
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(seed)
    n = len(ids) * 3 // 4
    industry = np.array(["internal", "retail", "energy"], dtype=object)[rng.integers(0, 3, n)]
    industry[rng.random(n) < 0.1] = None
    segment = np.array(["shop", "none"], dtype=object)[(rng.random(n) < 0.2).astype(int)]
    return pd.DataFrame({"customer_id": ids[:n], "industry": industry, "segment": segment})


def expected_gates(roster: pd.DataFrame, people: pd.DataFrame) -> pd.Series:
    """The gates each customer fails, worked out from the customers table: a customer it leaves
    out, or a missing value, fails the gate (a comparison with nothing is false)."""
    f = people.set_index("customer_id").reindex(roster["customer_id"])
    external = f["industry"].notna() & (f["industry"] != "internal")
    shop = f["segment"].notna() & (f["segment"] != "none")
    failed = ["; ".join(n for n, ok in (("external", a), ("shop", b)) if not ok)
              for a, b in zip(external, shop, strict=True)]
    return pd.Series(failed, index=roster.index, name="gates_failed")


def _paths(tmp_path, n: int = 150, seed: int = 41, people: pd.DataFrame | None = None, text: str = STANDARD):
    tx = simulated_transactions(n, seed=seed)
    path = _workspace(tmp_path, tx)
    people = customers_frame(tx) if people is None else people
    with Workspace(path) as ws:  # as stored (ingest would trim the hostile ids the transactions keep)
        ws.replace("customers", people)
    std = tmp_path / "s.toml"
    std.write_text(text, "utf-8")
    return tx, path, people, std


def test_a_gate_over_a_customers_column_runs_on_the_workspace_round_and_the_engine_round(tmp_path):
    """``industry != 'internal'`` with industry only in the customers table, no fields file: the
    gate fails exactly the customers the table says, and the engine round gives the same roster."""
    tx, path, people, std = _paths(tmp_path)
    want = run_round(path, std, CUTOFF, store=False, check_model=False)
    r = want.roster
    pd.testing.assert_series_equal(r["gates_failed"].fillna(""), expected_gates(r, people))
    assert r["gates_failed"].fillna("").str.contains("external").any()
    assert (r["gates_failed"].fillna("") == "").any()
    assert not r.loc[r["gates_failed"].fillna("") != "", "selected"].any()
    assert "industry" in want.meta["customer_fields"] and want.meta["extra_fields"] == []
    got = run_round_on_engine(tx, std, CUTOFF, side_tables=path, roster_out=tmp_path / "out", check_model=False)
    assert got.meta["customer_fields"] == want.meta["customer_fields"]
    assert_same_round(got, want, tmp_path / "out")


def test_the_cli_round_takes_a_gate_over_a_customers_column_on_both_paths(tmp_path):
    tx, path, people, std = _paths(tmp_path, seed=42)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    said = []
    for where in (["--workspace", str(path)], ["--engine", "duckdb", "--source", str(source), "--workspace", str(path)]):
        res = CliRunner().invoke(app, ["round", "--standard", str(std), "--cutoff", CUTOFF, "--json", *where])
        assert res.exit_code == 0, res.output
        said.append(json.loads(res.output[res.output.index("{"):]))
    for key in ("data_sha256", "n_selected", "n_gated_out", "tier_counts"):
        assert said[0][key] == said[1][key], key
    stored = load_round(path, 1).roster
    pd.testing.assert_series_equal(stored["gates_failed"].fillna(""), expected_gates(stored, people))


def test_a_stored_round_reloads_after_the_customers_table_lost_the_column(tmp_path):
    """The stored standard was valid when stored: ``load_round``, ``xuanba report latest`` and
    ``whatif`` read it back after the customers table is replaced by one without ``industry``;
    a new round with the standard is refused, since the column is gone."""
    tx, path, people, std = _paths(tmp_path, seed=43)
    rnd = run_round(path, std, CUTOFF, check_model=False)
    with Workspace(path) as ws:
        ws.replace("customers", people.drop(columns="industry"))
    back = load_round(path, "latest")
    assert back.round_id == rnd.round_id and [g.name for g in back.standard.gates] == ["external", "shop"]
    pd.testing.assert_frame_equal(back.roster[rnd.roster.columns], rnd.roster, check_dtype=False)
    assert back.fields["industry"].tolist() == rnd.fields["industry"].tolist()
    res = CliRunner().invoke(app, ["report", "latest", "--workspace", str(path), "--out",
                                   str(tmp_path / "r.html"), "--json"])
    assert res.exit_code == 0, res.output
    assert "industry" in (tmp_path / "r.html").read_text("utf-8")
    w = whatif(path, std, "latest")  # the same standard over the stored fields: nobody moves
    assert w.summary["entered"] == w.summary["left"] == 0 and w.summary["selected_new"] == rnd.meta["n_selected"]
    res = CliRunner().invoke(app, ["whatif", str(std), "--workspace", str(path), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["selected_new"] == rnd.meta["n_selected"], res.output
    with pytest.raises(StandardError, match="unknown field 'industry'"):
        run_round(path, std, CUTOFF, store=False, check_model=False)


@pytest.mark.parametrize(("bad", "near"), [("industy != 'internal'", "industry"), ("zzz_nothing > 1", None)])
def test_an_unknown_name_is_refused_with_the_customers_columns_among_what_exists(tmp_path, bad, near):
    """The same clear error on both paths: the standard file and line, the name, a near miss
    when there is one, the built-in fields and the customers table's columns, in both languages."""
    text = STANDARD.replace("expr = \"industry != 'internal'\"", f'expr = "{bad}"')
    tx, path, people, std = _paths(tmp_path, n=60, seed=44, text=text)
    name = bad.split()[0]
    for run in (lambda: run_round(path, std, CUTOFF, store=False),
                lambda: run_round_on_engine(tx, std, CUTOFF, side_tables=path)):
        with pytest.raises(StandardError) as err:
            run()
        e = err.value
        assert e.file == str(std) and e.row == GATE_LINE
        assert f"unknown field '{name}'" in e.message
        assert ("Did you mean " + near) in e.fix if near else "Did you mean" not in e.fix
        assert "revenue_365d" in e.fix and "Columns of the customers table: industry, segment" in e.fix
        assert "No extra fields were given" in e.fix
    res = CliRunner().invoke(app, ["round", "--standard", str(std), "--cutoff", CUTOFF, "--workspace", str(path)],
                             env={"COLUMNS": "300"})
    flat = " ".join(res.output.split())
    assert res.exit_code == 2 and name in flat and "Traceback" not in flat, res.output
    assert "Columns of the customers table: industry, segment" in flat
    res = CliRunner().invoke(app, ["--lang", "zh", "round", "--standard", str(std), "--cutoff", CUTOFF,
                                   "--workspace", str(path)], env={"COLUMNS": "300"})
    flat = " ".join(res.output.split())
    assert "未知字段" in flat and "客户表的列：industry、segment" in flat, res.output


def test_a_customers_column_named_like_a_fact_is_not_a_second_field(tmp_path):
    """A customers column whose name a fact has in another case (``Orders``) is left out of the
    round (``customer_fields_skipped``), so a rule reading it is refused as unknown, with the fact
    as the near miss; the round with the fact itself runs."""
    tx = simulated_transactions(60, seed=45)
    people = customers_frame(tx).assign(Orders="9")
    text = STANDARD.replace("expr = \"industry != 'internal'\"", "expr = \"Orders != '9'\"")
    _, path, _, std = _paths(tmp_path, n=60, seed=45, people=people, text=text)
    with pytest.raises(StandardError) as err:
        run_round(path, std, CUTOFF, store=False)
    assert "unknown field 'Orders'" in err.value.message and "Did you mean orders" in err.value.fix
    std.write_text(STANDARD, "utf-8")
    r = run_round(path, std, CUTOFF, store=False, check_model=False)
    assert r.meta["customer_fields_skipped"] == ["Orders"] and "Orders" not in r.fields.columns


def test_hostile_customers_column_names_stay_data(tmp_path):
    """Customers columns named like SQL keywords or an injection attempt: a gate over ``select``
    and one comparing ``order`` with SQL text run on both paths as data (the result worked out
    by hand), the workspace stays whole; a rule naming the injection column cannot even be read
    as a rule and is refused before anything runs; the fix lists the columns as plain text."""
    tx = simulated_transactions(120, seed=46)
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(9)
    drop = "'; DROP TABLE rounds; --"
    evil = 'x"; DROP TABLE transactions; --'
    people = pd.DataFrame({"customer_id": ids, "select": np.array(["a", "b"], dtype=object)[rng.integers(0, 2, len(ids))],
                           "order": np.array([drop, "ok"], dtype=object)[rng.integers(0, 2, len(ids))],
                           evil: rng.random(len(ids)).astype(str)})
    text = STANDARD.replace("expr = \"industry != 'internal'\"", "expr = \"select != 'a'\"").replace(
        "expr = \"segment != 'none'\"", 'expr = "order != \\"\'; DROP TABLE rounds; --\\""')
    _, path, _, std = _paths(tmp_path, n=120, seed=46, people=people, text=text)
    want = run_round(path, std, CUTOFF, store=True, check_model=False)
    f = people.set_index("customer_id").reindex(want.roster["customer_id"])
    expect = ["; ".join(g for g, ok in (("external", a), ("shop", b)) if not ok)
              for a, b in zip(f["select"] != "a", f["order"] != drop, strict=True)]
    assert want.roster["gates_failed"].fillna("").tolist() == expect and len(set(expect)) >= 3
    got = run_round_on_engine(tx, std, CUTOFF, side_tables=path, roster_out=tmp_path / "out", check_model=False)
    assert_same_round(got, want, tmp_path / "out")
    with Workspace(path, read_only=True) as ws:
        assert ws.has_table("rounds") and ws.has_table("transactions")
    assert evil in load_round(path, "latest").fields.columns
    std.write_text(text.replace("expr = \"select != 'a'\"", 'expr = "x\\"; DROP TABLE transactions; -- != 1"'), "utf-8")
    res = CliRunner().invoke(app, ["round", "--standard", str(std), "--cutoff", CUTOFF, "--workspace", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output and "cannot read the expression" in res.output
    std.write_text(text.replace("select != 'a'", "selekt != 'a'"), "utf-8")
    with pytest.raises(StandardError) as err:
        run_round(path, std, CUTOFF, store=False)
    assert evil in err.value.fix and "Did you mean select" in err.value.fix
    assert load_round(path, "latest").round_id == want.round_id  # nothing more stored


def test_a_replay_and_a_stored_backtest_read_the_customers_column(tmp_path):
    """A replay and a backtest read the standard as a round does; the stored backtest keeps the
    customers table's columns it was read with and re-loads after the table lost ``industry``."""
    from xuanba.rounds import replay_rounds
    from xuanba.rounds.backtest import backtest
    from xuanba.rounds.store import load_backtest

    tx, path, people, std = _paths(tmp_path, n=80, seed=47)
    rep = replay_rounds(path, std, "2025-06-30", "2025-12-31", every="quarter", store=False)
    for rnd in rep.rounds:
        pd.testing.assert_series_equal(rnd.roster["gates_failed"].fillna(""), expected_gates(rnd.roster, people))
    bt = backtest(path, std, "2024-12-31", "2025-06-30", every="quarter", horizon="90d", draws=5, store=True)
    with Workspace(path) as ws:
        ws.replace("customers", people.drop(columns="industry"))
    back = load_backtest(path, backtest_id=bt.backtest_id)
    assert back is not None and [g.name for g in back.standard.gates] == ["external", "shop"]
    pd.testing.assert_frame_equal(back.cutoffs, bt.cutoffs, check_dtype=False)


def test_standard_check_knows_the_workspaces_customers_columns(tmp_path):
    """``xuanba standard check`` reads the names of the workspace's customers table: ``industry``
    is said to come from there, not listed as an extra field to give; a name that is in neither
    still is; with ``--field`` (names checked strictly) the customers columns stay known."""
    text = STANDARD.replace("expr = \"segment != 'none'\"", 'expr = "region_score >= 2"')
    _, path, _, std = _paths(tmp_path, n=40, seed=48, text=text)
    runner = CliRunner()
    res = runner.invoke(app, ["standard", "check", str(std), "--workspace", str(path), "--json"])
    got = json.loads(res.stdout)
    assert res.exit_code == 0 and got["customer_fields"] == ["industry"], res.output
    assert got["extra_fields_needed"] == ["region_score"]
    said = " ".join(runner.invoke(app, ["standard", "check", str(std), "--workspace", str(path)],
                                  env={"COLUMNS": "200"}).output.split())
    assert "Read from the workspace's customers table: industry." in said
    assert "Fields that are not built in: region_score." in said
    zh = " ".join(runner.invoke(app, ["--lang", "zh", "standard", "check", str(std), "--workspace", str(path)],
                                env={"COLUMNS": "200"}).output.split())
    assert "取自工作区 customers 表：industry。" in zh
    res = runner.invoke(app, ["standard", "check", str(std), "--workspace", str(path), "--field", "region_score"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["standard", "check", str(std), "--workspace", str(tmp_path / "none.duckdb"), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["extra_fields_needed"] == ["industry", "region_score"]


def test_the_web_standard_page_reads_and_publishes_a_gate_over_a_customers_column(tmp_path):
    """The page's live check and publishing read the text as a round there would: ``industry``
    (a column of the customers table) is known, a name in no table is refused with its fix."""
    from xuanba.rounds.run import customer_attributes
    from xuanba.web import standard_pages, store

    _, path, _, _ = _paths(tmp_path, n=40, seed=49)
    with Workspace(path) as ws:
        assert [g.name for g in standard_pages.load(ws, STANDARD).gates] == ["external", "shop"]
        with pytest.raises(StandardError) as err:
            standard_pages.load(ws, STANDARD.replace("industry !=", "industy !="))
        assert "Did you mean industry" in err.value.fix
        done = store.publish_standard(ws, STANDARD, by="boss", attributes=customer_attributes(ws))
        assert done["version_id"] == 1
