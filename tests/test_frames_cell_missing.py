"""A frame's object cell written as text (xuanba._frames.cell_text, the one writer ingest and an engine
round's frames share): a missing cell of any kind (pd.NA, NaT, a NumPy NaN) is missing, not the text
"<NA>", "NaT" or "nan"; a NumPy float that is whole written as a Python float is ("1", not "1.0").
On c89dfa7 ingest loaded a frame's rows whose id was pd.NA or NaT as customers "<NA>" and "NaT"
(silently: no row rejected), where the engine round on the same frame left them out as missing ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba import Workspace
from xuanba._frames import cell_text, mixed_as_text
from xuanba.ingest import ingest
from xuanba.rounds.source_check import checked_transactions

MISSING = [None, float("nan"), np.float32("nan"), np.float64("nan"), pd.NA, pd.NaT, np.datetime64("NaT")]


@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_a_missing_cell_of_any_kind_is_no_text(value):
    assert cell_text(value) is None


@pytest.mark.parametrize("value", [np.float32(1.0), np.float16(2.0), np.float64(3.0), np.float32(-0.0),
                                   np.float32(1e20), np.float32(0.5), np.float32(0.1)], ids=repr)
def test_a_numpy_float_is_written_as_the_python_float_of_its_value(value):
    """A whole value without ``.0``, as a Python float is (a gate ``seg == "1"`` reads both); a
    float32 that is not whole as NumPy writes it (``0.1``, its shortest form, not 0.10000000149...)."""
    as_float = float(value)
    want = str(int(as_float)) if as_float.is_integer() else str(value)
    assert cell_text(value) == want


def test_a_frame_with_missing_ids_of_every_kind_is_rejected_by_ingest_as_by_the_engine_round(tmp_path):
    ids = pd.Series(["a", pd.NA, "b", np.float32("nan"), pd.NaT, None], dtype=object)
    frame = pd.DataFrame({"customer_id": ids, "ts": pd.to_datetime(["2025-01-02"] * 6), "amount": np.arange(1.0, 7.0)})
    with Workspace(tmp_path / "w.duckdb") as ws:
        ingest(frame, ws, tz="UTC")
        stored = ws.con.execute("SELECT customer_id FROM transactions ORDER BY amount").fetchall()
    _, rows = checked_transactions(frame, "2025-12-31")
    assert [r[0] for r in stored] == ["a", "b"]  # c89dfa7: a, <NA>, b, nan, NaT
    assert rows["used"] == len(stored) and rows["rejected_by_reason"] == {"missing customer id": 4}


def test_mixed_as_text_writes_a_numpy_whole_float_as_ingest_writes_a_python_one():
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "seg": pd.Series([np.float32(1.0), 1.0, "VIP"], dtype=object)})
    assert mixed_as_text(frame)["seg"].tolist() == ["1", "1", "VIP"]  # c89dfa7: '1.0', '1', 'VIP'
