"""A round on an engine gives what the workspace round gives on the same data (issue 16: "the
engine path replaces the pandas path"): the predictions' intervals, ``model = "auto"`` with its
holdout check, account fields and customer attributes from the side tables. Each test runs the
workspace round and the engine round (DuckDB) on the same transactions and compares them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests._helpers import cdnow_transactions, spark_test
from tests.test_round_engine import (
    BUSY_STANDARD,
    _workspace,
    assert_same_round,
    simulated_transactions,
)
from xuanba import Workspace
from xuanba.models.predict import INTERVAL_COLUMNS
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import table_sha256
from xuanba.standard import load_standard

CDNOW_CUTOFF = "1997-09-30"


def with_interval(text: str, level: float = 0.9) -> str:
    return text.replace("[predictions]\n", f"[predictions]\ninterval = {level}\n")


def assert_same_bounds(engine_fields: pd.DataFrame, ws_fields: pd.DataFrame, columns: list[str]) -> None:
    """The bounds of the customers the engine round holds equal the workspace round's: the same
    arithmetic in the same order; the engine's ``exp``/``sqrt`` may move a last bit, which the
    rounding to six decimals removes but at a tie (one unit in the sixth decimal at most)."""
    want = ws_fields.set_index("customer_id").loc[engine_fields["customer_id"]]
    for col in columns:
        a, b = engine_fields[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert np.abs(a - b)[~np.isnan(a)].max(initial=0.0) <= 1.0000001e-6, col
        assert (a == b).mean() > 0.99, col  # all but a tie here and there: the same bits


def test_intervals_on_an_engine_round_are_the_workspace_rounds_on_cdnow(tmp_path, test_data):
    """CDNOW sample, BG/NBD and Gamma-Gamma at 90%: every bound the workspace round stores, and
    the same columns, level, method, warnings and proof hash in the round's meta."""
    path = _workspace(tmp_path, cdnow_transactions(test_data))
    std = load_standard(with_interval(BUSY_STANDARD))
    want = run_round(path, std, CDNOW_CUTOFF, store=False, check_model=False)
    with Workspace(path, read_only=True) as ws:
        got = run_round_on_engine(ws.table("transactions"), std, CDNOW_CUTOFF, roster_out=tmp_path / "out")
    assert want.meta["intervals"]["columns"] == list(INTERVAL_COLUMNS)  # every bound is exercised
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    assert list(fields.columns) == list(want.fields.columns)
    assert_same_bounds(fields, want.fields, list(INTERVAL_COLUMNS))
    assert_same_bounds(got.fields, want.fields, list(INTERVAL_COLUMNS))
    info = got.meta["intervals"]
    assert {k: v for k, v in info.items() if k != "sha256"} == {
        k: v for k, v in want.meta["intervals"].items() if k != "sha256"}
    # the proof hash is that of every customer's stored bounds, by id (as verify_round reads them)
    fields = fields.sort_values("customer_id", kind="stable").reset_index(drop=True)
    assert info["sha256"] == table_sha256(fields[["customer_id", *info["columns"]]])
    assert not any("not computed on an engine" in w for w in got.meta["model_warnings"])


def test_interval_bounds_hold_the_prediction_and_an_untrusted_fit_gives_none_as_on_the_workspace(tmp_path):
    """A hostile simulated base: bounds around every prediction. Then a fit the round cannot trust
    (forced): neither round stores those bounds and both say why, the same words."""
    import xuanba.models.intervals as intervals
    import xuanba.models.predict as predict

    tx = simulated_transactions(400, seed=6)
    path = _workspace(tmp_path, tx)
    std = load_standard(with_interval(BUSY_STANDARD, 0.8))
    got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    for p in ("p_alive", "expected_purchases_1y", "expected_spend", "clv_1y", "clv_3y", "churn_90d"):
        assert (fields[f"{p}_lower"] <= fields[p]).all() and (fields[p] <= fields[f"{p}_upper"]).all(), p
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    assert_same_bounds(fields, want.fields, list(INTERVAL_COLUMNS))

    real = intervals.interval_problem

    def spend_untrusted(model):
        return "a problem made up by the test" if type(model).__name__ == "GammaGamma" else real(model)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(intervals, "interval_problem", spend_untrusted)
        mp.setattr(predict, "interval_problem", spend_untrusted)  # the workspace round's own name for it
        want = run_round(path, std, "2025-12-31", store=False, check_model=False)
        got = run_round_on_engine(tx, std, "2025-12-31")
    cols = ["p_alive_lower", "p_alive_upper", "expected_purchases_1y_lower", "expected_purchases_1y_upper",
            "churn_90d_lower", "churn_90d_upper"]
    assert want.meta["intervals"]["columns"] == got.meta["intervals"]["columns"] == cols
    assert got.meta["intervals"]["warnings"] == want.meta["intervals"]["warnings"] != []
    assert "a problem made up by the test" in got.meta["intervals"]["warnings"][0]
    assert got.meta["model_warnings"] == want.meta["model_warnings"]
    assert_same_bounds(got.fields, want.fields, cols)


def test_a_warning_that_only_shares_words_with_the_interval_phrase_is_no_interval_warning(tmp_path, monkeypatch):
    """The intervals' warnings are picked by their phrase key: a fit's warning that mentions "
    interval for " stays among the model's warnings of both rounds, not among their intervals'."""
    import xuanba.rounds.engine as engine
    import xuanba.rounds.run as run

    real = run.fit_warnings

    def noisy(caught, models):
        return sorted([*real(caught, models), "RuntimeWarning: overflow in the interval for clv_3y: exp"])

    monkeypatch.setattr(run, "fit_warnings", noisy)
    monkeypatch.setattr(engine, "fit_warnings", noisy)
    tx = simulated_transactions(200, seed=4)
    path = _workspace(tmp_path, tx)
    std = load_standard(with_interval(BUSY_STANDARD))
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    got = run_round_on_engine(tx, std, "2025-12-31")
    assert "RuntimeWarning: overflow in the interval for clv_3y: exp" in want.meta["model_warnings"]
    assert got.meta["model_warnings"] == want.meta["model_warnings"]
    assert got.meta["intervals"]["warnings"] == want.meta["intervals"]["warnings"] == []


def _same_numbers(a, b, rel: float = 1e-9) -> bool:
    """Equal, numbers (also inside dicts and lists) within ``rel``: a weighted sum over distinct
    histories against a sum over customers differs in the last bits."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_numbers(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_numbers(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=rel, abs=1e-12, nan_ok=True)
    return a == b


@pytest.mark.parametrize("calibration_end", ["1997-06-30", "1997-09-30"])
def test_the_engine_evaluation_from_distinct_histories_equals_the_per_customer_one(test_data, calibration_end):
    """CDNOW: every model's fit, errors, correlation, top-decile capture (ties at the decile's
    edge among one-time buyers, taken by id as the per-customer evaluation takes them) and the
    table by frequency, from the engine's distinct histories and holdout counts."""
    import ibis
    import pyarrow as pa

    from xuanba.facts.compute import transactions_table
    from xuanba.models.evaluate import evaluate
    from xuanba.rounds.engine_extras import evaluate_on_engine

    tx = cdnow_transactions(test_data)
    want = evaluate(tx, calibration_end, "1998-06-30", cumulative=False)
    table = transactions_table(ibis.memtable(pa.Table.from_pandas(tx, preserve_index=False)))
    got = evaluate_on_engine(table, calibration_end, "1998-06-30", models=("bgnbd", "pareto-nbd", "mbgnbd"))
    assert len(got.predictions) < len(want.predictions) / 2  # compressed: distinct histories reached Python
    assert list(got.comparison.index) == list(want.comparison.index) and got.best == want.best
    for model in want.comparison.index:
        assert got.models[model].params_.tolist() == want.models[model].params_.tolist(), model  # same fit, bit for bit
        a, b = got.comparison.loc[model].to_dict(), want.comparison.loc[model].to_dict()
        assert _same_numbers(a, b), (model, a, b)
    pd.testing.assert_frame_equal(got.by_frequency, want.by_frequency, rtol=1e-12)
    assert got.warnings == want.warnings


AUTO = BUSY_STANDARD.replace('model = "bgnbd"', 'model = "auto"')


@contextlib.contextmanager
def holdout_reads(backend_class: type) -> Iterator[list[Any]]:
    """The queries an engine of ``backend_class`` runs inside the block that compute customers'
    holdout histories from the transactions: each distinct query (ibis runs its pre-execute hooks
    on everything it executes, caches and Spark's kept tables included) that holds one of the
    aggregations of the transactions by customer that
    :func:`xuanba.facts.expressions.history_holdout_expr` made in the block. A query over rows
    kept from such a query reads none."""
    import ibis.expr.operations as ops
    from ibis.common.graph import Graph

    import xuanba.facts.expressions as expressions

    made: list[Any] = []
    reads: list[Any] = []
    real_expr, real_hooks = expressions.history_holdout_expr, backend_class._run_pre_execute_hooks

    def spy_expr(*args: Any, **kwargs: Any) -> Any:
        expr = real_expr(*args, **kwargs)
        made.extend(expr.op().find(ops.Aggregate))
        return expr

    def spy_hooks(self: Any, expr: Any) -> Any:
        graph = Graph.from_bfs(expr.op())
        if any(op in graph for op in made) and expr.op() not in reads:
            reads.append(expr.op())
        return real_hooks(self, expr)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(expressions, "history_holdout_expr", spy_expr)
        mp.setattr(backend_class, "_run_pre_execute_hooks", spy_hooks)
        yield reads


def assert_same_choice(got, want) -> None:
    assert got.meta["predictions"] == want.meta["predictions"]
    assert _same_numbers(got.meta["model_choice"], want.meta["model_choice"])
    a, b = got.tables["holdout"], want.tables["holdout"]
    assert _same_numbers(a.info, b.info), (a.info, b.info)
    if b.frame is None:
        assert a.frame is None
    else:
        pd.testing.assert_frame_equal(a.frame, b.frame, rtol=1e-12)
    assert "model_check" not in got.meta and "model_check" not in want.meta


def test_auto_on_an_engine_chooses_as_the_workspace_round_and_stores_the_same_check(tmp_path):
    """Three years of a simulated Pareto/NBD base: a year held out; the candidates' fits at the
    cutoff and on the holdout, the winner and its reason, the stored check (the choice's holdout
    year) and the roster are the workspace round's. The engine computes the customers' holdout
    histories from the transactions once for the three candidates (each reads its customers tied
    at the top decile's edge from the kept rows)."""
    from xuanba.models.simulate import simulate_transactions

    tx = simulate_transactions("pareto-nbd", 1500, "2023-01-01", "2025-12-31", seed=4)
    path = _workspace(tmp_path, tx)
    import ibis.backends.duckdb

    std = load_standard(AUTO)
    want = run_round(path, std, "2025-12-31", store=False)
    with holdout_reads(ibis.backends.duckdb.Backend) as reads:
        got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out",
                                  workspace=tmp_path / "rounds.duckdb")
    # the three candidates checked on the holdout year, whose customers the engine grouped once
    assert [c["group_mae"] is not None for c in got.meta["model_choice"]["candidates"]] == [True] * 3
    assert len(reads) == 1
    assert want.meta["model_choice"]["criterion"] == "group_mae" and want.meta["model_choice"]["holdout"]["days"] == 365
    assert want.tables["holdout"].frame is not None  # a real check, read from the choice's evaluation
    assert_same_choice(got, want)
    assert_same_round(got, want, tmp_path / "out")
    stored = load_round(tmp_path / "rounds.duckdb", "latest")
    assert stored.missing == [] and "holdout" in stored.tables
    pd.testing.assert_frame_equal(stored.tables["holdout"].frame, want.tables["holdout"].frame, rtol=1e-12,
                                  check_dtype=False)


def test_auto_on_an_engine_with_a_short_history_checks_the_year_before_as_the_workspace_does(tmp_path, test_data):
    """CDNOW at 1997-09-30: nine months of purchases, so auto holds out 90 days and the model check
    of the year before cannot be made (no purchase then): both rounds say why, the same words."""
    path = _workspace(tmp_path, cdnow_transactions(test_data))
    std = load_standard(AUTO)
    want = run_round(path, std, CDNOW_CUTOFF, store=False)
    with Workspace(path, read_only=True) as ws:
        got = run_round_on_engine(ws.table("transactions"), std, CDNOW_CUTOFF)
    assert want.meta["model_choice"]["holdout"]["days"] < 365 and "error" in want.tables["holdout"].info
    assert_same_choice(got, want)
    assert_same_round(got, want)


def test_auto_with_no_candidate_drops_the_predictions_as_the_workspace_round_does(tmp_path):
    tx = pd.DataFrame({"customer_id": ["a", "b", "c"], "ts": pd.to_datetime(["2025-01-02", "2025-02-01", "2025-03-03"]),
                       "amount": [10.0, 5.0, 20.0]})
    path = _workspace(tmp_path, tx)
    std = load_standard(AUTO)
    want = run_round(path, std, "2025-03-31", store=False)
    got = run_round_on_engine(tx, std, "2025-03-31")
    assert want.meta["predictions"] == got.meta["predictions"] == "unavailable"
    assert got.meta["model_choice"] == want.meta["model_choice"] and got.meta["fallback"] == want.meta["fallback"]
    assert_same_round(got, want)


SIDE_STANDARD = BUSY_STANDARD.replace('expr = "orders >= 1"', 'expr = "days_since_contact < 400 or single_threaded"') \
    .replace('field = "revenue_365d"\nweight = 30', 'field = "revenue_365d"\nweight = 10').replace("""[[criteria]]
name = "quiet\"""", """[[criteria]]
name = "profit"
field = "profit_365d"
weight = 10
[[criteria]]
name = "cost"
field = "cost_to_serve_365d"
direction = "lower"
missing = "median"
weight = 5
[[criteria]]
name = "promises"
field = "promise_reliability"
missing = "median"
weight = 5
[[gates]]
name = "not_education"
expr = "segment != '教育 Education'"
[[criteria]]
name = "quiet\"""")


def _with_side_tables(tmp_path, tx: pd.DataFrame, end: str):
    """A workspace with the transactions and every account side table and a customers table
    (the demo's generator: interactions, commitments, contacts, customers with segment and size)."""
    from xuanba.demo.accounts_demo import make_side_tables
    from xuanba.ingest import ingest

    path = _workspace(tmp_path, tx)
    ids = sorted(tx["customer_id"].unique())
    orders = tx.groupby("customer_id").size().to_dict()
    side = make_side_tables(ids[: len(ids) * 3 // 4], seed=3, start="2024-06-01", end=end, orders=orders)
    with Workspace(path) as ws:
        for kind in ("customers", "interactions", "commitments", "contacts"):
            ingest(side[kind], ws, kind=kind)
    return path, side


def test_account_fields_and_customer_attributes_on_an_engine_are_the_workspace_rounds(tmp_path):
    """Hostile ids, costs on part of the rows, returns; interactions, promises, contacts and a
    customers table for three quarters of the customers: a standard that reads profit after
    cost-to-serve, cost-to-serve, promise reliability, days since contact, single-threaded and a
    customer's size gives the same roster, and the round stores the same fields."""
    tx = simulated_transactions(500, seed=9)
    path, side = _with_side_tables(tmp_path, tx, "2025-12-31")
    std = load_standard(SIDE_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    assert want.meta["account_fields"] and want.meta["customer_fields"]
    assert want.meta["n_gated_out"] > 0 and want.fields["days_since_contact"].isna().any()
    got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out", side_tables=path)
    for key in ("account_fields", "customer_fields", "customer_fields_skipped", "field_columns"):
        assert got.meta[key] == want.meta[key], key
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    for col in ("first_purchase", "last_purchase"):
        fields[col] = pd.to_datetime(fields[col])
    assert list(fields.columns) == list(want.fields.columns)
    money = ["profit_365d", "cost_to_serve_365d"]  # sums in the engine's order, rounded to six decimals
    pd.testing.assert_frame_equal(fields.drop(columns=money), want.fields.drop(columns=money), check_dtype=False)
    assert_same_bounds(fields, want.fields, money)


def test_side_tables_in_the_stored_workspace_are_joined_even_when_the_standard_reads_none(tmp_path):
    """As a workspace round does: with account side tables the round stores profit after
    cost-to-serve and the customers' attributes (name, owner) though the standard reads neither."""
    tx = simulated_transactions(300, seed=10)
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    got = run_round_on_engine(tx, std, "2025-12-31", workspace=path)  # stored beside the side tables
    assert got.meta["account_fields"] and "owner" in got.meta["customer_fields"]
    stored = load_round(path, got.round_id)
    sel = want.fields[want.fields["customer_id"].isin(stored.roster["customer_id"])].reset_index(drop=True)
    assert list(stored.fields.columns) == list(sel.columns)
    assert stored.fields["owner"].tolist() == sel["owner"].tolist()
    from typer.testing import CliRunner

    from xuanba.cli import app

    res = CliRunner().invoke(app, ["report", str(got.round_id), "--workspace", str(path), "--out",
                                   str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text("utf-8")
    assert stored.fields["owner"].dropna().iloc[0] in html  # the owners the engine round joined, listed


def test_a_field_no_table_gives_is_named_with_where_it_comes_from_before_the_round_runs(tmp_path):
    from xuanba.errors import DataError

    tx = simulated_transactions(50, seed=1)
    ran = []
    with pytest.raises(DataError, match="segment") as err:  # account fields need no side table (empty, as on a workspace)
        run_round_on_engine(tx, load_standard(SIDE_STANDARD), "2025-12-31", side_tables=tmp_path / "none.duckdb",
                            progress=ran.append)
    assert "segment (customer attribute" in str(err.value) and "--workspace" in (err.value.fix or "")
    assert ran == [] and not (tmp_path / "none.duckdb").exists()  # nothing ran, nothing was made


def test_a_replay_on_an_engine_gives_the_workspace_replays_summary_and_stores_each_round(tmp_path):
    """Quarter ends over 2025 of a simulated base: the same customers, selections, who entered,
    left and stayed, and the rank correlation over every customer ranked in both rounds (from the
    rosters the engine wrote); each round stored as an engine round."""
    from xuanba.rounds.replay import replay_rounds, replay_rounds_on_engine

    tx = simulated_transactions(400, seed=12)
    path = _workspace(tmp_path, tx)
    std = load_standard(BUSY_STANDARD)
    want = replay_rounds(path, std, "2025-01-01", "2025-12-31", every="quarter", store=False)
    got = replay_rounds_on_engine(tx, std, "2025-01-01", "2025-12-31", every="quarter",
                                  workspace=tmp_path / "rounds.duckdb", roster_out=tmp_path / "out")
    assert len(got.rounds) == 4 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    a, b = got.summary, want.summary
    pd.testing.assert_frame_equal(a.drop(columns=["round_id", "rank_correlation"]),
                                  b.drop(columns=["round_id", "rank_correlation"]))
    assert a["entered"].iloc[1:].sum() > 0 and a["left"].iloc[1:].sum() > 0  # the selection moves
    np.testing.assert_allclose(a["rank_correlation"], b["rank_correlation"], rtol=1e-12)
    assert a["rank_correlation"].iloc[1:].notna().all()
    assert a["round_id"].tolist() == [1, 2, 3, 4]
    for rnd, ws_rnd in zip(got.rounds, want.rounds, strict=True):
        assert_same_round(rnd, ws_rnd)


def test_the_cli_replays_on_an_engine(tmp_path):
    import json

    from typer.testing import CliRunner

    from xuanba.cli import app

    tx = simulated_transactions(200, seed=13)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--engine", "duckdb",
                                   "--source", str(source), "--every", "quarter", "--from", "2025-04-01",
                                   "--to", "2025-12-31", "--workspace", str(tmp_path / "w.duckdb"), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output[res.output.index("{"):])["rounds"]
    assert [r["cutoff"] for r in rows] == ["2025-06-30", "2025-09-30", "2025-12-31"]
    assert [r["round_id"] for r in rows] == [1, 2, 3] and rows[0]["entered"] is None
    assert rows[2]["kept"] is not None and rows[2]["rank_correlation"] is not None


def test_the_rank_correlation_of_two_written_rosters_is_compare_rosters_one(tmp_path):
    """Random rosters with customers in one round only, the second written as a folder of parts
    (as Spark writes it): Spearman's correlation over the customers ranked in both, as
    compare_rosters computes it from the rosters in memory; fewer than two in common: NaN."""
    from xuanba.rounds.diff import compare_rosters
    from xuanba.rounds.replay import roster_rank_correlation

    rng = np.random.default_rng(2)
    ids = np.array([f"c{i:04d}" for i in range(500)], dtype=object)
    a = pd.DataFrame({"customer_id": rng.permutation(ids)[:450], "rank": np.arange(1, 451)})
    b = pd.DataFrame({"customer_id": rng.permutation(ids)[:420], "rank": np.arange(1, 421)})
    for r in (a, b):
        r["tier"], r["selected"] = "", False
    a.to_parquet(tmp_path / "a.parquet")
    (tmp_path / "b").mkdir()
    b.iloc[:200].to_parquet(tmp_path / "b" / "part-0.parquet")
    b.iloc[200:].to_parquet(tmp_path / "b" / "part-1.parquet")
    want = compare_rosters(a, b, ["A"]).rank_correlation
    got = roster_rank_correlation(tmp_path / "a.parquet", tmp_path / "b")
    assert abs(want) > 0 and got == pytest.approx(want, rel=1e-12)
    a.iloc[:1].to_parquet(tmp_path / "one.parquet")
    assert np.isnan(roster_rank_correlation(tmp_path / "one.parquet", tmp_path / "b"))


def _with_criterion(name: str, field: str) -> str:
    """BUSY_STANDARD with one more criterion (weight 10, missing values at the median) taken from
    revenue_365d's weight, placed before "quiet"."""
    return BUSY_STANDARD.replace('field = "revenue_365d"\nweight = 30', 'field = "revenue_365d"\nweight = 20').replace(
        '[[criteria]]\nname = "quiet"',
        f'[[criteria]]\nname = "{name}"\nfield = "{field}"\nmissing = "median"\nweight = 10\n[[criteria]]\nname = "quiet"')


PAY_STANDARD = _with_criterion("punctual", "payment_punctuality").replace(
    'expr = "orders >= 1"', 'expr = "overdue_receivables < 150"')


def paying_transactions(n: int, seed: int) -> pd.DataFrame:
    """The simulated base with payment dates as an export gives them: due 30 days on (some rows
    without a due date), paid early, on the due day in the afternoon, late, after the cutoff, or
    not at all; returns too."""
    tx = simulated_transactions(n, seed=seed)
    rng = np.random.default_rng(seed)
    k = len(tx)
    tx["due_on"] = (tx["ts"].dt.normalize() + pd.Timedelta(days=30)).where(rng.random(k) > 0.1)
    lag = rng.choice([-5, 0, 12, 400], size=k)  # days after the due day (400: after the cutoff for most)
    due = tx["due_on"].fillna(tx["ts"].dt.normalize())
    paid = due + pd.to_timedelta(lag, unit="D") + pd.Timedelta(hours=15)
    tx["paid_on"] = paid.where(rng.random(k) > 0.25)  # a quarter unpaid
    # nothing fallen due yet (no punctuality), paid after the cutoff, a return with a payment date
    ts = pd.to_datetime(["2025-12-20", "2025-12-01", "2025-06-01", "2025-06-01"])
    more = pd.DataFrame({"customer_id": ["<i>new</i>", "=HYPERLINK(1)", "ret'urn", "ret'urn"], "ts": ts,
                         "amount": [80.0, 30.0, 50.0, -50.0], "cost": np.nan, "is_return": [False, False, False, True],
                         "due_on": ts + pd.Timedelta(days=30), "paid_on": pd.to_datetime([None, "2026-01-05", None,
                                                                                       "2025-06-02"])})
    return pd.concat([tx, more], ignore_index=True)


def test_payment_fields_on_an_engine_are_the_workspace_rounds(tmp_path):
    """Payment punctuality and overdue receivables (a criterion and a gate) computed in the engine
    from the source's payment dates: the same fields for every customer and the same roster."""
    tx = paying_transactions(500, seed=21)
    path = _workspace(tmp_path, tx)
    std = load_standard(PAY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    f = want.fields
    assert f["payment_punctuality"].between(0, 1).any() and f["payment_punctuality"].isna().any()
    assert (f["overdue_receivables"] > 0).any() and want.meta["n_gated_out"] > 0
    got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out")
    assert got.meta["account_fields"] and got.meta["field_columns"] == want.meta["field_columns"]
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    cols = ["customer_id", "payment_punctuality", "overdue_receivables"]
    pd.testing.assert_frame_equal(fields[cols], f[cols], check_dtype=False)


def test_without_payment_dates_the_payment_fields_are_empty_on_both_rounds(tmp_path):
    """No payment date in the data (no column, or a column with none): both rounds leave the
    fields empty, score the criterion by its missing rule, and say the same in their meta."""
    tx = simulated_transactions(200, seed=22)
    std = load_standard(PAY_STANDARD.replace("overdue_receivables < 150", "orders >= 1"))
    for data in (tx, tx.assign(paid_on=pd.NaT)):
        path = _workspace(tmp_path, data, name=f"w{len(data.columns)}.duckdb")
        want = run_round(path, std, "2025-12-31", store=False, check_model=False)
        got = run_round_on_engine(data, std, "2025-12-31")
        assert want.fields["payment_punctuality"].isna().all() and want.fields["overdue_receivables"].isna().all()
        assert got.fields["payment_punctuality"].isna().all() and got.fields["overdue_receivables"].isna().all()
        assert_same_round(got, want)
        same = ("account_fields", "field_columns", "model_warnings", "fallback", "extra_fields")
        assert {k: got.meta.get(k) for k in same} == {k: want.meta.get(k) for k in same}


FIELDS_STANDARD = _with_criterion("chosen", "select")


def _hostile_fields(tx: pd.DataFrame, tmp_path):
    """A --fields file as a user gives it: columns named like SQL keywords (``select``, ``order``),
    formula-like and markup cells, a column that replaces a computed fact (``revenue_365d``), a
    customer the data do not have, missing values, and more decimals than a round keeps."""
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(5)
    n = len(ids) * 2 // 3
    cells = np.array(["=1+1", "@SUM(A1)", "<script>alert(1)</script>", "+cmd|' /C calc'!A0", "普通"], dtype=object)
    frame = pd.DataFrame({
        "customer_id": [*ids[:n], "<b>not a customer</b>"],
        "select": np.where(rng.random(n + 1) < 0.1, np.nan, rng.random(n + 1) * 10 / 3),
        "order": cells[rng.integers(0, len(cells), n + 1)],
        "revenue_365d": np.round(rng.random(n + 1) * 1000, 2),
    })
    path = tmp_path / "fields.csv"
    frame.to_csv(path, index=False)
    return path


def test_extra_fields_on_an_engine_are_the_workspace_rounds(tmp_path):
    """--fields: the file's customers × columns joined in the engine, as the workspace round joins
    them (its columns win, a customer it alone names is no customer of the round, floats rounded);
    the same roster, fields and meta; the hostile cells kept as text."""
    from xuanba.rounds.run import read_fields_file

    tx = simulated_transactions(300, seed=23)
    path = _workspace(tmp_path, tx)
    extra = read_fields_file(_hostile_fields(tx, tmp_path))
    std = load_standard(FIELDS_STANDARD, extra_fields=("select",))
    want = run_round(path, std, "2025-12-31", extra_fields=extra, store=False, check_model=False)
    assert want.meta["extra_fields"] == ["select", "order", "revenue_365d"]
    got = run_round_on_engine(tx, std, "2025-12-31", extra_fields=extra, roster_out=tmp_path / "out")
    for key in ("extra_fields", "field_columns"):
        assert got.meta[key] == want.meta[key], key
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    for col in ("first_purchase", "last_purchase"):
        fields[col] = pd.to_datetime(fields[col])
    pd.testing.assert_frame_equal(fields, want.fields, check_dtype=False)
    assert "<b>not a customer</b>" not in set(fields["customer_id"])
    assert set(fields["order"].dropna()) == {"=1+1", "@SUM(A1)", "<script>alert(1)</script>", "+cmd|' /C calc'!A0",
                                             "普通"}


def test_the_cli_runs_extra_fields_on_an_engine_and_says_a_bad_file_as_the_workspace_round(tmp_path):
    import json

    from typer.testing import CliRunner

    from xuanba.cli import app

    tx = simulated_transactions(200, seed=24)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    path = _workspace(tmp_path, tx)
    good = _hostile_fields(tx, tmp_path)
    (tmp_path / "s.toml").write_text(FIELDS_STANDARD, "utf-8")
    base = ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31", "--json"]
    engine = ["--engine", "duckdb", "--source", str(source), "--workspace", str(tmp_path / "e.duckdb")]
    res = CliRunner().invoke(app, [*base, *engine, "--fields", str(good)])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output[res.output.index("{"):])
    res = CliRunner().invoke(app, [*base, "--workspace", str(path), "--no-store", "--fields", str(good)])
    want = json.loads(res.output[res.output.index("{"):])
    for key in ("data_sha256", "n_selected", "tier_counts", "extra_fields", "field_columns"):
        assert got[key] == want[key], key
    stored = load_round(tmp_path / "e.duckdb", "latest")
    assert stored.meta["extra_fields"] == ["select", "order", "revenue_365d"]
    frame = pd.read_csv(good)
    mine = frame.set_index("customer_id")["order"]
    in_file = stored.fields["customer_id"].isin(mine.index)
    assert in_file.any() and (stored.fields.loc[in_file, "order"].to_numpy()
                              == mine.loc[stored.fields.loc[in_file, "customer_id"]].to_numpy()).all()
    for bad, needle in ((pd.concat([frame, frame.head(2)]), "more than one row per customer"),
                        (frame.drop(columns="customer_id"), "no customer_id column")):
        bad.to_csv(tmp_path / "bad.csv", index=False)
        said = []
        for where in (engine, ["--workspace", str(path), "--no-store"]):
            res = CliRunner().invoke(app, [*base[:-1], *where, "--fields", str(tmp_path / "bad.csv")])
            assert res.exit_code != 0 and needle in res.output and "Traceback" not in res.output, res.output
            said.append(res.output)
        assert said[0] == said[1]


def _same_table(a: pd.DataFrame | None, b: pd.DataFrame | None, key: str) -> None:
    """The same rows and columns; money summed in another order equal to a relative 1e-9."""
    assert (a is None) == (b is None), key
    if a is None:
        return
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns) and len(a) == len(b), (key, list(a.columns), list(b.columns))
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
            np.testing.assert_allclose(x.to_numpy(dtype=float), y.to_numpy(dtype=float), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{key}.{col}")
        elif pd.api.types.is_datetime64_any_dtype(y):
            assert (pd.to_datetime(x).to_numpy() == y.to_numpy()).all() or x.isna().equals(y.isna()), (key, col)
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), (key, col)


def test_the_account_analyses_of_an_engine_round_are_the_workspace_rounds(tmp_path):
    """Every account analysis a workspace round stores beside its roster (profit by size, promises,
    owners, keep-warm, receivables, personas), from the engine's per-customer sums and the
    --workspace's side tables: the same figures and rows; stored, the report shows them."""
    tx = paying_transactions(400, seed=25)
    tx["channel"] = np.where(np.arange(len(tx)) % 3 == 0, "web", np.where(np.arange(len(tx)) % 3 == 1, "=store", None))
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    book = {"profit_by_size", "promises", "owners", "keep_warm", "receivables", "personas"}
    assert book <= set(want.tables)
    # stored as any round (the report reads it below): one round, side tables read from --workspace
    # as given, stored there too (without side_tables= it reads them from the workspace alike)
    got = stored = run_round_on_engine(tx, std, "2025-12-31", side_tables=path, workspace=path, check_model=False)
    assert book <= set(got.tables) and set(got.tables) == set(want.tables)
    for key in sorted(book):
        a, b = got.tables[key], want.tables[key]
        assert _same_numbers(a.info, b.info), (key, a.info, b.info)
        _same_table(a.frame, b.frame, key)
    assert len(want.tables["keep_warm"].frame) and len(want.tables["receivables"].frame) > 1
    assert want.tables["keep_warm"].info["potential_source"] == "potential_score"
    again = load_round(path, stored.round_id)
    for key in sorted(book):
        assert _same_numbers(again.tables[key].info, want.tables[key].info), key
    from xuanba.outputs.account_sections import account_sections
    from xuanba.outputs.report import write_report

    mine, theirs = account_sections(again, "zh"), account_sections(want, "zh")
    assert [x["id"] for x in mine] == [x["id"] for x in theirs] and len(mine) == len(book)
    for a, b in zip(mine, theirs, strict=True):  # the same words and figures (keep-warm's names: only
        assert a["title"] == b["title"] and a["reading"] == b["reading"], a["id"]  # the selection's are stored)
        if "keep" not in a["id"]:
            assert a["table"] == b["table"], a["id"]
    html = write_report(path, stored.round_id, tmp_path / "r.html", lang="zh").read_text("utf-8")
    assert all(x["title"] in html for x in mine)


def test_an_engine_round_without_side_tables_or_payment_dates_stores_no_account_analysis(tmp_path):
    tx = simulated_transactions(100, seed=26)
    path = _workspace(tmp_path, tx)
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    got = run_round_on_engine(tx, std, "2025-12-31", side_tables=path, check_model=False)
    assert set(got.tables) == set(want.tables) == {"model_purchases", "model_spend"}
    only_paid = paying_transactions(100, seed=26)
    path = _workspace(tmp_path, only_paid, name="paid.duckdb")
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    got = run_round_on_engine(only_paid, std, "2025-12-31", side_tables=path, check_model=False)
    assert set(got.tables) == set(want.tables) and "receivables" in got.tables
    assert _same_numbers(got.tables["receivables"].info, want.tables["receivables"].info)
    _same_table(got.tables["receivables"].frame, want.tables["receivables"].frame, "receivables")


@spark_test
def test_payment_fields_extra_fields_and_account_analyses_on_spark_are_the_workspace_rounds(spark, tmp_path):
    """What Spark compiles its own way: the payment dates' days and buckets, the idle customers'
    join, the per-customer sums of the analyses, and a --fields table sent in Arrow chunks with
    columns named like SQL keywords; the same fields, roster and analyses as the workspace round."""
    from xuanba.rounds.run import read_fields_file
    from xuanba.rounds.spark import spark_source

    tx = paying_transactions(200, seed=27)
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    extra = read_fields_file(_hostile_fields(tx, tmp_path))
    std = load_standard(PAY_STANDARD.replace("""[[criteria]]
name = "quiet\"""", """[[criteria]]
name = "chosen"
field = "select"
missing = "median"
weight = 10
[[criteria]]
name = "quiet\"""").replace('weight = 20\ngroup = "value"', 'weight = 10\ngroup = "value"', 1),
                        extra_fields=("select",))
    want = run_round(path, std, "2025-12-31", extra_fields=extra, store=False, check_model=False)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    got = run_round_on_engine(spark_source(spark, str(source)), std, "2025-12-31", extra_fields=extra,
                              side_tables=path, roster_out=tmp_path / "out", check_model=False)
    assert got.meta["engine"] == "pyspark"
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet").sort_values("customer_id", kind="stable")
    cols = ["customer_id", "payment_punctuality", "overdue_receivables", "select", "order"]
    pd.testing.assert_frame_equal(fields[cols].reset_index(drop=True), want.fields[cols], check_dtype=False)
    assert set(got.tables) == set(want.tables)
    for key in ("profit_by_size", "promises", "owners", "keep_warm", "receivables", "personas"):
        assert _same_numbers(got.tables[key].info, want.tables[key].info), key
        _same_table(got.tables[key].frame, want.tables[key].frame, key)


def test_a_replay_on_an_engine_joins_the_extra_fields_to_every_round_as_the_workspace_replay(tmp_path):
    from xuanba.rounds.replay import replay_rounds, replay_rounds_on_engine
    from xuanba.rounds.run import read_fields_file

    tx = simulated_transactions(200, seed=28)
    path = _workspace(tmp_path, tx)
    extra = read_fields_file(_hostile_fields(tx, tmp_path))
    std = load_standard(FIELDS_STANDARD, extra_fields=("select",))
    want = replay_rounds(path, std, "2025-07-01", "2025-12-31", every="quarter", extra_fields=extra, store=False)
    got = replay_rounds_on_engine(tx, std, "2025-07-01", "2025-12-31", every="quarter", extra_fields=extra)
    pd.testing.assert_frame_equal(got.summary.drop(columns=["round_id", "rank_correlation"]),
                                  want.summary.drop(columns=["round_id", "rank_correlation"]))
    for rnd, ws_rnd in zip(got.rounds, want.rounds, strict=True):
        assert rnd.meta["extra_fields"] == ws_rnd.meta["extra_fields"] == ["select", "order", "revenue_365d"]
        assert_same_round(rnd, ws_rnd)
