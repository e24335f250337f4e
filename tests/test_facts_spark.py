"""The same facts code on Spark (local mode) gives the same table as on DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._helpers import SPARK_MARKS
from xuanba.facts import calibration_holdout, customer_facts

pytestmark = SPARK_MARKS


@pytest.fixture()
def spark_ibis(spark):
    """The tests' one Spark session (tests/conftest.py) and its Ibis backend."""
    return spark._session, spark


def _on_spark(spark_ibis, frame: pd.DataFrame, name: str, folder):
    # Through Parquet, as data reach Spark in practice: missing costs arrive as NULL (a pandas
    # frame handed to Spark directly would carry them as NaN, which Spark keeps as a number).
    spark, con = spark_ibis
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    spark.read.parquet(str(path)).createOrReplaceTempView(name)
    return con.table(name)


def test_facts_identical_on_spark_and_duckdb(spark_ibis, test_data, tmp_path):
    raw = pd.read_parquet(test_data / "cdnow_sample.parquet")
    tx = raw[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})
    # Give part of the data a cost and a return, so every column is exercised.
    tx["cost"] = (tx["amount"] * 0.6).where(tx.index % 3 != 0)
    tx["is_return"] = tx.index % 97 == 0
    tx.loc[tx["is_return"], "amount"] *= -1
    on_spark = _on_spark(spark_ibis, tx, "cdnow_tx", tmp_path)

    duck = calibration_holdout(tx, "1997-09-30", "1998-06-30")
    spark = calibration_holdout(on_spark, "1997-09-30", "1998-06-30")
    cal = tx[tx["ts"] <= "1997-09-30"]
    assert len(duck) == cal.loc[~cal["is_return"], "customer_id"].nunique()  # buyers only
    assert duck["frequency"].sum() > 0 and duck["margin_365d"].notna().any()
    pd.testing.assert_frame_equal(spark, duck, check_dtype=False, rtol=1e-12)

    duck_days = customer_facts(tx, "1998-06-30", time_unit="day", merge="period")
    spark_days = customer_facts(on_spark, "1998-06-30", time_unit="day", merge="period")
    pd.testing.assert_frame_equal(spark_days, duck_days, check_dtype=False, rtol=1e-12)
