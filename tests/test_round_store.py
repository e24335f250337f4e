"""Storing a round in slices (issue 16): the same rows in the same order as one statement, no
slice larger than :data:`~xuanba.rounds.store.SLICE_ROWS`, and DuckDB's threads set back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_rounds import CUTOFF, make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds import store as store_mod
from xuanba.rounds.store import save_round
from xuanba.standard import load_standard, starter_standard

TABLES = ("rounds", "roster", "contributions", "round_fields", "round_tables")


@pytest.fixture()
def scored(tmp_path):
    """A round of 60 customers, not stored, with a missing prediction (a NULL raw value) and a
    field of numbers and text mixed (stored as text)."""
    tx = make_transactions(seed=11, n=60)
    path = tmp_path / "source.duckdb"
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    preds.loc[3, "p_alive"] = np.nan
    extra = pd.DataFrame({"customer_id": preds["customer_id"],
                          "note": pd.Series([7 if i % 3 else f"x{i}" for i in range(len(preds))], dtype=object)})
    std = load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))
    return run_round(path, std, CUTOFF, predictions=preds, extra_fields=extra, store=False)


def _stored(path) -> dict[str, pd.DataFrame]:
    """Every stored row of every round table, in the order the table holds them."""
    with Workspace(path, create=False) as ws:
        out = {t: ws.sql(f"SELECT * FROM {t} ORDER BY rowid") for t in TABLES}
    out["rounds"] = out["rounds"].drop(columns=["created_at"])
    return out


def test_a_round_stored_in_slices_equals_the_round_stored_in_one_statement(tmp_path, scored, monkeypatch):
    seen: list[int] = []
    real_arrow = store_mod._arrow

    def arrow(frame):
        seen.append(len(frame))
        return real_arrow(frame)

    whole, sliced = tmp_path / "whole.duckdb", tmp_path / "sliced.duckdb"
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 10**9)
    with Workspace(whole) as ws:
        save_round(ws, scored)
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 7)
    monkeypatch.setattr(store_mod, "_arrow", arrow)
    with Workspace(sliced) as ws:
        save_round(ws, scored)
    n = len(scored.roster)
    assert n == 60 and max(seen) == 7 and sum(seen) == 2 * n  # the roster and the fields, 7 rows at a time
    a, b = _stored(whole), _stored(sliced)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    # and what was stored is the round itself: the roster in rank order, the long contributions
    # row for row (a NaN raw value as NULL), the fields by customer
    roster = b["roster"].drop(columns=["round_id"])
    pd.testing.assert_frame_equal(roster, scored.roster[roster.columns.tolist()], check_dtype=False)
    contrib = b["contributions"].drop(columns=["round_id"])
    long = scored.contributions.reset_index(drop=True)
    assert len(contrib) == len(long) == n * 4 and contrib["raw"].isna().sum() == long["raw"].isna().sum() >= 1
    pd.testing.assert_frame_equal(contrib, long[contrib.columns.tolist()], check_dtype=False)
    fields = b["round_fields"]
    assert fields["customer_id"].tolist() == scored.fields["customer_id"].tolist()
    assert fields["note"].tolist() == [None if pd.isna(v) else str(v) for v in scored.fields["note"]]


def test_storing_sets_duckdbs_threads_back_after_a_round_and_after_a_failure(tmp_path, scored, monkeypatch):
    during: list[int] = []
    real_append = store_mod._append

    def append(con, frame, insert):
        during.append(int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    with Workspace(tmp_path / "w.duckdb", threads=2) as ws:
        assert save_round(ws, scored) == 1
        assert during and set(during) == {store_mod.APPEND_THREADS}
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2

        def failing(con, frame, insert):
            append(con, frame, insert)
            raise OSError("disk gone half-way")

        monkeypatch.setattr(store_mod, "_append", failing)
        with pytest.raises(Exception, match="disk gone"):
            save_round(ws, scored)
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM round_fields")["round_id"].tolist() == [1]


def test_slices_cover_every_row_once_in_order():
    for n in (0, 1, store_mod.SLICE_ROWS - 1, store_mod.SLICE_ROWS, 3 * store_mod.SLICE_ROWS + 5):
        bounds = list(store_mod._slices(n))
        assert [a for a, _ in bounds] == list(range(0, n, store_mod.SLICE_ROWS))
        assert all(b - a <= store_mod.SLICE_ROWS for a, b in bounds)
        assert sum(b - a for a, b in bounds) == n and (not bounds or bounds[-1][1] == n)
