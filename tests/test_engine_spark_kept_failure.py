"""A table kept lazily on Spark (:func:`xuanba.standard.engine_spark.checkpoint`,
``localCheckpoint(eager=False)``) is computed by its first reader. When that reader's job fails
(a task raising, an executor lost), a caller that goes on (the round's model check catches any
error and goes on) reads the table again: the next reader computes what is missing and reads
every row once, the parts the failed job computed kept as they were, never a half result; and a
reader after it reads the same rows."""

from __future__ import annotations

import pytest

from tests._helpers import spark_test


@spark_test
def test_a_kept_tables_first_reader_failing_leaves_the_next_reader_every_row(spark, tmp_path):
    import ibis
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import checkpoint, release

    flag = tmp_path / "fail-once"
    flag.write_text("1")
    path = str(flag)

    def fail_once(i: int) -> int:  # in Spark's Python worker: the first computation of row 15,001 fails
        import os

        if i == 15_001 and os.path.exists(path):
            os.remove(path)
            raise RuntimeError("injected failure of the first reader")
        return i

    n = 20_000
    frame = spark._session.range(0, n, numPartitions=4).select(
        F.col("id"), F.udf(fail_once, T.LongType())("id").alias("v"), F.rand(3).alias("r"))
    frame.createOrReplaceTempView("xuanba_test_kept_failure")
    try:
        kept = checkpoint(spark.table("xuanba_test_kept_failure"))
        figures = kept.aggregate(n=kept.count(), v=kept.v.sum(), ids=kept.id.nunique(), r=kept.r.sum())
        with pytest.raises(Exception, match="injected failure"):
            to_arrow(figures)
        assert not flag.exists()  # the failure happened, once
        second = to_arrow(figures).to_pylist()[0]
        assert (second["n"], second["v"], second["ids"]) == (n, n * (n - 1) // 2, n)
        assert to_arrow(figures).to_pylist()[0] == second  # kept: the same rows (the same random column)
        assert to_arrow(kept.filter(ibis._.id >= n - 2).order_by("id"))["v"].to_pylist() == [n - 2, n - 1]
    finally:
        release(spark)
        spark._session.catalog.dropTempView("xuanba_test_kept_failure")
