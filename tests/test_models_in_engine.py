"""Compress, fit, expand inside the engine (xuanba.models.engine), on DuckDB, against the pandas
path on every customer as the oracle: the CDNOW facts (Fader, Hardie & Lee 2005's sample)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xuanba.facts import customer_facts
from xuanba.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD
from xuanba.models.engine import COUNT, distinct_histories, fit_in_engine, predict_in_engine, run


@pytest.fixture(scope="module")
def weekly(test_data) -> pd.DataFrame:
    tx = pd.read_parquet(test_data / "cdnow_sample.parquet").rename(columns={"timestamp": "ts"})
    tx = tx.loc[tx["ts"] <= "1997-09-30", ["customer_id", "ts", "amount"]]
    return customer_facts(tx, "1997-09-30", time_unit="week")


@pytest.fixture(scope="module")
def table(weekly):
    con = ibis.duckdb.connect()
    return con.create_table("facts", pa.Table.from_pandas(weekly, preserve_index=False))


def test_distinct_histories_count_every_customer_once(weekly, table):
    hist = run(distinct_histories(table))
    assert hist[COUNT].sum() == len(weekly) == 2357
    assert len(hist) == len(weekly.drop_duplicates(["frequency", "recency", "T"]))


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD, ParetoNBD])
def test_fit_and_predict_in_the_engine_equal_the_pandas_path(weekly, table, model_class):
    in_engine = fit_in_engine(model_class(), table)
    oracle = model_class().fit(weekly)
    # the engine returns the distinct histories in another order, so the sums differ in the last
    # bits; the Newton fits land on the same estimates to 1e-6, Pareto/NBD's derivative-free fit
    # (flat in its direction of weakest curvature) to its own precision, on the same maximum
    rtol = 5e-5 if model_class is ParetoNBD else 1e-6
    np.testing.assert_allclose(in_engine.params_, oracle.params_, rtol=rtol)
    assert in_engine.loglik_ == pytest.approx(oracle.loglik_, rel=1e-9)
    out = predict_in_engine(table, in_engine, {
        "p_alive": lambda m, h: m.probability_alive(h),
        "expected_52": lambda m, h: m.expected_purchases(h, 52.0),
    })
    got = run(out).sort_values("customer_id").reset_index(drop=True)
    want = weekly.sort_values("customer_id").reset_index(drop=True)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()  # every customer, once
    same = predict_in_engine(table, oracle, {"p_alive": lambda m, h: m.probability_alive(h)})
    same = run(same).sort_values("customer_id").reset_index(drop=True)  # the oracle's own fit, expanded
    np.testing.assert_allclose(same["p_alive"], oracle.probability_alive(want).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["p_alive"], oracle.probability_alive(want).to_numpy(), rtol=rtol)
    np.testing.assert_allclose(got["expected_52"], oracle.expected_purchases(want, 52.0).to_numpy(), rtol=rtol)


def test_gammagamma_in_the_engine_recovers_the_published_cdnow_fit(table):
    """Gamma-Gamma on the distinct (frequency, mean spend) of the repeat buyers: p=6.25, q=3.74,
    gamma=15.44 (Fader, Hardie & Lee 2005)."""
    repeat = table.filter(table.frequency > 0)
    model = fit_in_engine(GammaGamma(), repeat)
    assert [f"{model.params_[k]:.3g}" for k in ("p", "q", "v")] == ["6.25", "3.74", "15.4"]
    assert model.n_customers_ == 946
