"""Gates and criteria over extra fields (a round's ``--fields FILE``): one rule for both — a name
is known when it is a built-in field or a column the round was given; any other name is refused
with the file, the name, the fields that exist and the fix. Each round is checked against the
gates worked out by hand from the fields file, on the workspace round and the DuckDB engine
round alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, assert_same_round, simulated_transactions
from xuanba.cli import app
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import read_fields_file
from xuanba.standard import StandardError, load_standard

CUTOFF = "2025-12-31"

#: No prediction: the rounds fit no model, so only the standard's reading of the fields is tested.
STANDARD = """
[standard]
name = "extra"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 60
[[criteria]]
name = "regional"
field = "coalesce(region_score, 0) * 2 + orders"
missing = "median"
weight = 40
[[gates]]
name = "ordered"
expr = "order != 'x'"
[[gates]]
name = "scored"
expr = "region_score >= 2"
[[tiers]]
name = "A"
min_score = 40
"""


def fields_frame(tx: pd.DataFrame, seed: int = 4) -> pd.DataFrame:
    """Two thirds of the customers with a text column ``order`` ('x' for about a third of them,
    missing for some) and a number ``region_score`` 0–4 (missing for some)."""
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(seed)
    n = len(ids) * 2 // 3
    order = np.array(["x", "y", "z"], dtype=object)[rng.integers(0, 3, n)]
    order[rng.random(n) < 0.1] = None
    score = rng.integers(0, 5, n).astype(float)
    score[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"customer_id": ids[:n], "order": order, "region_score": score})


def expected_gates(roster: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """The gates each customer of ``roster`` fails, worked out from the fields file: a customer
    the file leaves out, or a missing value, fails the gate (a comparison with nothing is false)."""
    f = frame.set_index("customer_id").reindex(roster["customer_id"])
    ordered = f["order"].notna() & (f["order"] != "x")
    scored = f["region_score"].notna() & (f["region_score"] >= 2)
    failed = [("; ".join(n for n, ok in (("ordered", o), ("scored", s)) if not ok))
              for o, s in zip(ordered, scored, strict=True)]
    return pd.Series(failed, index=roster.index, name="gates_failed")


def _paths(tmp_path, n: int = 150, seed: int = 31):
    tx = simulated_transactions(n, seed=seed)
    path = _workspace(tmp_path, tx)
    frame = fields_frame(tx)
    fields = tmp_path / "fields.csv"
    frame.to_csv(fields, index=False)
    std = tmp_path / "s.toml"
    std.write_text(STANDARD, "utf-8")
    return tx, path, frame, fields, std


def test_a_gate_over_an_extra_field_runs_on_the_workspace_round_and_the_engine_round(tmp_path):
    """The text gate ``order != 'x'`` and the numeric ``region_score >= 2`` fail exactly the
    customers the fields file says; the engine round (DuckDB) gives the workspace round."""
    tx, path, frame, fields, std = _paths(tmp_path)
    extra = read_fields_file(fields)
    want = run_round(path, std, CUTOFF, extra_fields=extra, store=False, check_model=False)
    r = want.roster
    pd.testing.assert_series_equal(r["gates_failed"].fillna(""), expected_gates(r, frame))
    assert (r["gates_failed"].fillna("") != "").any() and (r["gates_failed"].fillna("") == "").any()
    assert not r.loc[r["gates_failed"].fillna("") != "", "selected"].any()
    assert want.meta["extra_fields"] == ["order", "region_score"]
    got = run_round_on_engine(tx, std, CUTOFF, extra_fields=extra, roster_out=tmp_path / "out")
    assert_same_round(got, want, tmp_path / "out")


def test_the_cli_round_takes_a_gate_over_a_fields_column_on_both_paths(tmp_path):
    tx, path, frame, fields, std = _paths(tmp_path, seed=32)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    base = ["round", "--standard", str(std), "--cutoff", CUTOFF, "--fields", str(fields), "--json"]
    said = []
    for where in (["--workspace", str(path)],
                  ["--engine", "duckdb", "--source", str(source), "--workspace", str(tmp_path / "e.duckdb")]):
        res = CliRunner().invoke(app, [*base, *where])
        assert res.exit_code == 0, res.output
        said.append(json.loads(res.output[res.output.index("{"):]))
    for key in ("data_sha256", "n_selected", "tier_counts", "extra_fields"):
        assert said[0][key] == said[1][key], key
    stored = load_round(path, "latest").roster
    pd.testing.assert_series_equal(stored["gates_failed"].fillna(""), expected_gates(stored, frame))


@pytest.mark.parametrize(("bad", "near"), [("regon_score >= 2", "region_score"), ("ordre != 'x'", "order"),
                                           ("zzz_nothing > 1", None)])
def test_a_gate_name_neither_built_in_nor_given_is_refused_with_the_fields_that_exist(tmp_path, bad, near):
    """The same clear error on both paths: the standard file and line, the name, a near miss when
    there is one, the fields that exist (the file's columns among them) and how to give one."""
    tx, path, frame, fields, std = _paths(tmp_path, n=60, seed=33)
    std.write_text(STANDARD.replace('expr = "region_score >= 2"', f'expr = "{bad}"'), "utf-8")
    name = bad.split()[0]
    extra = read_fields_file(fields)
    for run in (lambda: run_round(path, std, CUTOFF, extra_fields=extra, store=False),
                lambda: run_round_on_engine(tx, std, CUTOFF, extra_fields=extra)):
        with pytest.raises(StandardError) as err:
            run()
        e = err.value
        assert e.file == str(std) and e.row == STANDARD.splitlines().index('expr = "region_score >= 2"') + 1
        assert f"unknown field '{name}'" in e.message
        assert ("Did you mean " + near) in e.fix if near else "Did you mean" not in e.fix
        assert "revenue_365d" in e.fix and "Extra fields given (--fields, extra_fields=): order, region_score" in e.fix
        assert "--fields" in e.fix
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    base = ["round", "--standard", str(std), "--cutoff", CUTOFF, "--fields", str(fields)]
    for where in (["--workspace", str(path)], ["--engine", "duckdb", "--source", str(source)]):
        res = CliRunner().invoke(app, [*base, *where])
        assert res.exit_code == 2 and name in res.output and "Traceback" not in res.output, res.output
    res = CliRunner().invoke(app, [*base, "--workspace", str(path), "--lang", "zh"])
    assert "未知字段" in res.output and "另给的字段" in res.output, res.output


def test_a_standard_loaded_with_extra_fields_says_which_fields_must_come_from_outside():
    s = load_standard(STANDARD, extra_fields=("order", "region_score"))
    assert s.fields_used() >= {"order", "region_score", "revenue_365d", "orders"}
    assert "order != 'x'" not in s.fields_used()  # a name, never the rule's text
    assert s.extra_fields_needed() == ["order", "region_score"]
    with pytest.raises(StandardError, match="unknown field 'order'"):
        load_standard(STANDARD)


def test_standard_check_without_a_fields_file_lists_the_names_extra_fields_must_give(tmp_path):
    """Not "broken": without --field the standard is checked and the names that are not built in
    are listed as the extra fields a round must be given (one that reads like a typo of a
    built-in field said so); with --field the names are checked against exactly those given."""
    std = tmp_path / "s.toml"
    std.write_text(STANDARD.replace("+ orders", "+ ordrs"), "utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["standard", "check", str(std), "--json"])
    assert res.exit_code == 2, res.output  # a near miss of a built-in field fails the check
    got = json.loads(res.stdout)
    assert got["ok"] is False and got["extra_fields_needed"] == ["order", "ordrs", "region_score"]
    assert got["did_you_mean"] == {"order": ["orders"], "ordrs": ["orders"]}
    assert [p["field"] for p in got["problems"]] == ["order", "ordrs"]
    res = runner.invoke(app, ["standard", "check", str(std)], env={"COLUMNS": "200"})
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "ordrs is close to the built-in field orders" in said, said
    assert "check with --field ordrs" in said
    zh = " ".join(runner.invoke(app, ["--lang", "zh", "standard", "check", str(std)], env={"COLUMNS": "200"}).output.split())
    assert "ordrs 与内置字段 orders 很接近" in zh and "--field ordrs" in zh
    std.write_text(STANDARD.replace("+ orders", "+ ordrs"), "utf-8")
    res = runner.invoke(app, ["standard", "check", str(std), "--field", "order", "--field", "region_score"])
    assert res.exit_code == 2 and "unknown field 'ordrs'" in res.output, res.output
    flat = " ".join(res.output.split())
    assert "Did you mean orders" in flat and "Extra fields given (--fields, extra_fields=): order, region_score" in flat
    std.write_text(STANDARD, "utf-8")
    res = runner.invoke(app, ["standard", "check", str(std), "--field", "order", "--json"])
    assert res.exit_code == 2 and "unknown field 'region_score'" in res.output
    res = runner.invoke(app, ["standard", "check", str(std), "--field", "order", "--field", "region_score", "--json"])
    got = json.loads(res.stdout)
    assert res.exit_code == 0 and got["extra_fields_needed"] == ["order", "region_score"] and got["did_you_mean"] == {}
    broken = STANDARD.replace('expr = "order != \'x\'"', 'expr = "order !="')
    std.write_text(broken, "utf-8")
    res = runner.invoke(app, ["standard", "check", str(std), "--json"])  # broken anyway: every problem said
    problems = json.loads(res.stdout)["problems"]
    assert res.exit_code == 2 and [p["line"] for p in problems] == [11, 16, 19], problems
    assert "If region_score is a field of your own, check with `xuanba standard check FILE --field region_score`" in problems[0]["fix"]
    std.write_text(STANDARD, "utf-8")
    res = runner.invoke(app, ["standard", "show", str(std)])
    assert res.exit_code == 0 and "region_score" in res.output, res.output


def test_a_round_given_no_extra_fields_says_which_to_give(tmp_path):
    """A standard read with its extra fields, applied without them: the round names each field
    the data lack and where it comes from, before anything runs, on both paths."""
    from xuanba.errors import DataError

    tx, path, frame, fields, std = _paths(tmp_path, n=60, seed=35)
    s = load_standard(std, extra_fields=("order", "region_score"))
    for run in (lambda: run_round(path, s, CUTOFF, store=False),
                lambda: run_round_on_engine(tx, s, CUTOFF)):
        with pytest.raises(DataError) as err:
            run()
        text = err.value.render("en")
        assert "order (extra field: give it as a column of the --fields file" in text
        assert "region_score (extra field" in text and "revenue_365d" not in text
        assert "另给字段" in err.value.render("zh")


def test_sql_in_a_gate_or_a_field_name_stays_data_on_the_duckdb_engine(tmp_path):
    """A fields file whose columns are SQL keywords or an injection attempt, and gates that
    compare with SQL text: the engine round applies them as data (the result worked out by
    hand), stores the columns by name and leaves the workspace whole; a rule naming the
    injection column cannot even be read as a rule, and is refused before anything runs."""
    tx = simulated_transactions(120, seed=34)
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(8)
    n = len(ids)
    drop = "'; DROP TABLE rounds; --"
    frame = pd.DataFrame({"customer_id": ids,
                          "select": rng.integers(0, 3, n).astype(float),
                          "order": np.array([drop, "ok", 'x"; DROP'], dtype=object)[rng.integers(0, 3, n)],
                          'x"; DROP TABLE transactions; --': rng.random(n)})
    fields = tmp_path / "fields.csv"
    frame.to_csv(fields, index=False)
    text = STANDARD.replace('expr = "order != \'x\'"', 'expr = "order != \\"\'; DROP TABLE rounds; --\\""').replace(
        'expr = "region_score >= 2"', 'expr = "select >= 1 and order != \'x\\"; DROP\'"').replace(
        "coalesce(region_score, 0) * 2", "select * 2")
    std = tmp_path / "s.toml"
    std.write_text(text, "utf-8")
    assert [g.expr for g in load_standard(std, extra_fields=["select", "order"]).gates] == [
        "order != \"'; DROP TABLE rounds; --\"", "select >= 1 and order != 'x\"; DROP'"]
    ws = tmp_path / "e.duckdb"
    got = run_round_on_engine(tx, std, CUTOFF, extra_fields=read_fields_file(fields), workspace=ws,
                              roster_out=tmp_path / "out")
    roster = pd.read_parquet(tmp_path / "out" / "roster.parquet")
    f = frame.set_index("customer_id").reindex(roster["customer_id"])
    ok1 = f["order"] != drop
    ok2 = (f["select"] >= 1) & (f["order"] != 'x"; DROP')
    want = ["; ".join(g for g, ok in (("ordered", a), ("scored", b)) if not ok) for a, b in zip(ok1, ok2, strict=True)]
    assert roster["gates_failed"].fillna("").tolist() == want
    assert len(set(want)) >= 3  # passes both, fails one, fails the other or both: every case is met
    stored = load_round(ws, got.round_id)
    assert 'x"; DROP TABLE transactions; --' in stored.fields.columns
    assert set(stored.fields["order"]) <= {drop, "ok", 'x"; DROP'}
    bad = text.replace('expr = "select >= 1', 'expr = "x\\"; DROP TABLE transactions; -- >= 1 and select >= 1')
    std.write_text(bad, "utf-8")
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    res = CliRunner().invoke(app, ["round", "--standard", str(std), "--cutoff", CUTOFF, "--fields", str(fields),
                                   "--engine", "duckdb", "--source", str(source),
                                   "--workspace", str(ws)])
    assert res.exit_code == 2 and "Traceback" not in res.output and "cannot read the expression" in res.output
    assert load_round(ws, "latest").round_id == got.round_id  # nothing more stored


TIE_CAP = """
[standard]
name = "x"
version = "1"
[[criteria]]
name = "r"
field = "revenue_365d"
weight = 1
[capacity]
max_accounts = 10
cost_field = "cost_to_serv_365d"
budget = 100
[tie_break]
order = ["clv_3yy desc", "customer_id"]
"""


def test_tie_break_and_capacity_names_are_said_like_a_rule_s_in_either_language(tmp_path):
    import re

    (tmp_path / "s.toml").write_text(TIE_CAP, "utf-8")
    for lang in ("en", "zh"):
        res = CliRunner().invoke(app, ["standard", "check", str(tmp_path / "s.toml"), "--field", "nps",
                                       "--lang", lang])
        assert res.exit_code == 2, res.output
        out = res.output.replace(str(tmp_path / "s.toml"), "")
        for typo, right in (("cost_to_serv_365d", "cost_to_serve_365d"), ("clv_3yy", "clv_3y")):
            assert typo in out and right in out.split(typo, 1)[1], out
        assert "nps" in out  # the extra fields given are listed
        if lang == "zh":
            assert "您是不是想写 cost_to_serve_365d" in out and "另给的字段" in out, out
            assert not re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", out), out  # no English sentence
        else:
            assert "Did you mean cost_to_serve_365d" in out and "Extra fields given" in out, out


@pytest.mark.parametrize(("rule", "typo", "builtin"), [("revenu_365d > 0", "revenu_365d", "revenue_365d"),
                                                       ("t > 30", "t", "T"),
                                                       ("Revenue_365d > 0", "Revenue_365d", "revenue_365d")])
def test_standard_check_fails_on_a_typo_of_a_built_in_field_even_in_case_only(tmp_path, rule, typo, builtin):
    std = tmp_path / "s.toml"
    std.write_text(TIE_CAP.split("[capacity]")[0] + f'[[gates]]\nname = "g"\nexpr = "{rule}"\n', "utf-8")
    res = CliRunner().invoke(app, ["standard", "check", str(std), "--json"])
    got = json.loads(res.stdout)
    assert res.exit_code == 2 and got["ok"] is False and got["did_you_mean"] == {typo: [builtin]}, res.output
    res = CliRunner().invoke(app, ["standard", "check", str(std)])
    assert res.exit_code == 2 and builtin in res.output and "Traceback" not in res.output, res.output
    std.write_text(TIE_CAP.split("[capacity]")[0] + '[[gates]]\nname = "g"\nexpr = "loyalty_band > 0"\n', "utf-8")
    res = CliRunner().invoke(app, ["standard", "check", str(std), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["extra_fields_needed"] == ["loyalty_band"], res.output
    said = " ".join(CliRunner().invoke(app, ["standard", "check", str(std)], env={"COLUMNS": "200"}).output.split())
    assert "Fields that are not built in: loyalty_band. A round must be given them" in said
    assert "--fields file" in said and "--field NAME" in said and "problem" not in said


def test_the_fix_of_an_unknown_field_says_what_was_given_and_where_to_check_it(tmp_path):
    from xuanba import Workspace
    from xuanba.web import standard_pages

    typo = TIE_CAP.split("[capacity]")[0] + '[[gates]]\nname = "g"\nexpr = "revenu_365d > 0"\n'
    with pytest.raises(StandardError) as err:  # a built-in name given as an extra field is still given
        load_standard(typo, extra_fields=("revenue_365d",))
    assert "Extra fields given (--fields, extra_fields=): revenue_365d" in err.value.fix, err.value.fix
    assert "No extra fields were given" not in err.value.fix
    broken = typo.replace("revenu_365d > 0", "region_score >") + '[[gates]]\nname = "h"\nexpr = "loyalty > 0"\n'
    (tmp_path / "b.toml").write_text(broken, "utf-8")
    res = CliRunner().invoke(app, ["standard", "show", str(tmp_path / "b.toml")], env={"COLUMNS": "200"})
    flat = " ".join(res.output.split())
    assert res.exit_code == 2 and "`xuanba standard check FILE --field loyalty`" in flat, flat
    with Workspace(tmp_path / "w.duckdb") as ws, pytest.raises(StandardError) as err:
        standard_pages.load(ws, typo)
    for lang in ("en", "zh"):
        said = err.value.render(lang)
        assert "--fields" not in said and "extra_fields=" not in said and "--field" not in said, said
    assert "No round of this workspace was given extra fields" in err.value.render("en")
    assert "本工作区还没有哪一轮另给过字段" in err.value.render("zh")
