"""An engine round over transactions without a ``cost`` column, with account side tables: the
profit after cost-to-serve counts no cost of goods, as the workspace round does (it stopped with
an AttributeError from Ibis: a literal has no ``sum``)."""

from __future__ import annotations

import pandas as pd

from tests._helpers import spark_test
from tests.test_round_engine import BUSY_STANDARD, simulated_transactions
from tests.test_round_engine_features import _with_side_tables
from xuanba.rounds import run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard


def test_an_engine_round_without_costs_gives_the_workspace_rounds_profit(tmp_path):
    tx = simulated_transactions(200, seed=9).drop(columns=["cost"])
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False).fields
    run_round_on_engine(tx, std, "2025-12-31", side_tables=path, check_model=False, roster_out=tmp_path / "o")
    got = pd.read_parquet(tmp_path / "o" / "fields.parquet").sort_values("customer_id", ignore_index=True)
    assert (want["cost_to_serve_365d"] > 0).any() and (want["revenue_365d"] > 0).any()
    cols = ["customer_id", "revenue_365d", "cost_to_serve_365d", "profit_365d"]
    pd.testing.assert_frame_equal(got[cols], want[cols].reset_index(drop=True), check_dtype=False, atol=1e-6)


@spark_test
def test_a_spark_round_without_costs_gives_the_workspace_rounds_profit(spark, tmp_path):
    from xuanba.rounds.spark import spark_source

    tx = simulated_transactions(120, seed=9).drop(columns=["cost"])
    path, _ = _with_side_tables(tmp_path, tx, "2025-12-31")
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False).fields
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    run_round_on_engine(spark_source(spark, str(source)), std, "2025-12-31", side_tables=path, check_model=False,
                        roster_out=tmp_path / "o")
    got = pd.read_parquet(tmp_path / "o" / "fields.parquet").sort_values("customer_id", ignore_index=True)
    cols = ["customer_id", "revenue_365d", "cost_to_serve_365d", "profit_365d"]
    pd.testing.assert_frame_equal(got[cols], want[cols].reset_index(drop=True), check_dtype=False, atol=1e-6)
