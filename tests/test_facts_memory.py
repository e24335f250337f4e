"""The facts frame is not held in Arrow's pool (issue 16): its blocks are allocated with the C
library's malloc, as numpy's are, so that once the round has rounded them into its own table
their memory goes back to the system or to numpy. In Arrow's pool (mimalloc) the freed pages
stayed resident for the whole round (0.55 GiB at 3 M customers; docs/scale.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tests._helpers import random_purchases, store
from xuanba import Workspace
from xuanba.facts import customer_facts


def test_the_facts_frame_is_not_allocated_in_arrows_pool(tmp_path):
    tx = random_purchases(20_000, 5, seed=3)
    with Workspace(tmp_path / "w.duckdb") as ws:
        store(ws, "transactions", tx)
        before = pa.total_allocated_bytes()
        facts = customer_facts(ws, "2026-06-30")
        in_arrow = pa.total_allocated_bytes() - before
        assert len(facts) > 15_000
    frame = int(facts.memory_usage(deep=True).sum())
    assert frame > 3_000_000
    # nothing of the frame is in Arrow's pool: not the numbers' blocks (the whole frame, before),
    # nor the text columns pandas keeps as Arrow arrays (copied with malloc too, duck10m2)
    assert in_arrow < frame // 100, (in_arrow, frame)
    # the values are those Arrow's own conversion gives
    again = pa.Table.from_pandas(facts, preserve_index=False).to_pandas(date_as_object=False)
    pd.testing.assert_frame_equal(facts.reset_index(drop=True), again)


def test_the_facts_text_columns_keep_nothing_of_the_engines_result():
    """pandas keeps an Arrow text column as it is, and an engine's record batch lives as long as
    any of its columns: the facts' customer ids held DuckDB's whole result (every column, with
    its spare capacity) for the round (duck10m2). The text is copied into one buffer of its own;
    the numbers are numpy's; nothing of the result's memory is used by the frame."""
    from xuanba.facts.compute import _to_pandas

    n = 50_000
    ids = [f"C{i:07d}" for i in range(n)]
    pa.total_allocated_bytes()
    before = pa.total_allocated_bytes()
    result = pa.Table.from_batches([pa.record_batch({"customer_id": ids[i:i + 10_000],
                                                     "x": np.arange(i, i + 10_000, dtype=float),
                                                     "score": ["555"] * 10_000}) for i in range(0, n, 10_000)])
    assert result["customer_id"].num_chunks == 5 and pa.total_allocated_bytes() - before > 500_000
    frame = _to_pandas(result)
    assert frame["customer_id"].tolist() == ids and frame["x"].tolist() == list(range(n))
    for col in ("customer_id", "score"):
        chunks = frame[col].array._pa_array.chunks
        assert len(chunks) == 1
        mine = {b.address for b in chunks[0].buffers() if b is not None}
        theirs = {b.address for c in result[col].chunks for b in c.buffers() if b is not None}
        assert not mine & theirs
    del result
    # the result's buffers (Arrow's pool) are all freed although the frame is alive
    assert pa.total_allocated_bytes() - before < 10_000
    assert frame["score"].eq("555").all()
