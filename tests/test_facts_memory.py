"""The facts frame is not held in Arrow's pool (issue 16): its blocks are allocated with the C
library's malloc, as numpy's are, so that once the round has rounded them into its own table
their memory goes back to the system or to numpy. In Arrow's pool (mimalloc) the freed pages
stayed resident for the whole round (0.55 GiB at 3 M customers; docs/scale.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tests._helpers import store
from xuanba import Workspace
from xuanba.facts import customer_facts


def test_the_facts_frame_is_not_allocated_in_arrows_pool(tmp_path):
    rng = np.random.default_rng(3)
    n = 20_000
    cust = rng.integers(0, n, 5 * n)
    tx = pd.DataFrame({"customer_id": pd.Series(cust).map("C{:06d}".format),
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 500, cust.size), unit="D"),
                       "amount": rng.gamma(2.0, 50.0, cust.size).round(2)})
    with Workspace(tmp_path / "w.duckdb") as ws:
        store(ws, "transactions", tx)
        before = pa.total_allocated_bytes()
        facts = customer_facts(ws, "2026-06-30")
        in_arrow = pa.total_allocated_bytes() - before
        assert len(facts) > 15_000
    frame = int(facts.memory_usage(deep=True).sum())
    assert frame > 3_000_000
    # what stays in Arrow is the text columns pandas keeps as Arrow arrays (a tenth of it here),
    # not the numbers' blocks (the whole frame, before)
    assert in_arrow < frame // 4, (in_arrow, frame)
    # the values are those Arrow's own conversion gives
    again = pa.Table.from_pandas(facts, preserve_index=False).to_pandas(date_as_object=False)
    pd.testing.assert_frame_equal(facts.reset_index(drop=True), again)
