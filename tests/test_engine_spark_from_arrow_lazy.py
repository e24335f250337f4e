""":func:`xuanba.standard.engine_spark.from_arrow` leaves its last chunk to be computed by the first
query that reads it (a lazy local checkpoint): the rows it holds are the driver's whatever happens
between — the Python table dropped and collected before any query, a first reader that fails in
its tasks, a first reader that reads a part only — and every later reader gets the same rows."""

from __future__ import annotations

import gc

import numpy as np
import pyarrow as pa
import pytest

from tests._helpers import SPARK_MARKS
from xuanba.standard.engine import to_arrow
from xuanba.standard.engine_spark import from_arrow, kept_for_call

pytestmark = SPARK_MARKS


def _data(n: int) -> pa.Table:
    rng = np.random.default_rng(n)
    return pa.table({"x": np.arange(n, dtype=np.int64), "v": rng.normal(size=n), "s": [f"h{i}" for i in range(n)]})


@pytest.mark.parametrize("chunk", [4, 1000])  # the last of three chunks lazy; the only chunk lazy
def test_the_lazy_last_chunk_holds_the_drivers_rows_whatever_happens_before_it_is_read(spark, chunk):
    session = spark._session
    with kept_for_call():
        data = _data(11)
        t = from_arrow(spark, data, chunk=chunk)
        del data
        gc.collect()  # the driver's Arrow table gone before any query read the chunk
        frame = session.table(t.op().name)
        with pytest.raises(Exception, match="boom"):  # the first reader fails in its tasks
            frame.selectExpr("if(x >= 9, raise_error('boom'), x) AS y").collect()
        part = frame.limit(2).collect()  # a reader of a part
        assert len(part) == 2 and {r["x"] for r in part} <= set(range(11))
        want = _data(11)
        for _ in range(2):  # every row, once, for each reader after
            assert to_arrow(t.order_by("x")).equals(want)
