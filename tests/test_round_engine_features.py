"""A round on an engine gives what the workspace round gives on the same data (issue 16: "the
engine path replaces the pandas path"): the predictions' intervals, ``model = "auto"`` with its
holdout check, account fields and customer attributes from the side tables. Each test runs the
workspace round and the engine round (DuckDB) on the same transactions and compares them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._helpers import cdnow_transactions
from tests.test_round_engine import (
    BUSY_STANDARD,
    _workspace,
    assert_same_round,
    simulated_transactions,
)
from xuanba import Workspace
from xuanba.models.predict import INTERVAL_COLUMNS
from xuanba.rounds import run_round
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
