"""A round's texts counted and hashed by code (rounds/run.py, rounds/summary.py) and its roster
handed to the saver before the scoring returns (standard/engine.py, rounds/store.py): the same
digests bit for bit as the frame's (``table_sha256`` of the texts), the same summary as counted
by text, and the same stored rows as :func:`save_round` stores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_round_store import TABLES, _round_source, _stored
from tests.test_rounds import CUTOFF, make_transactions, store_tx
from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds import store as store_mod
from xuanba.rounds.run import coded_hashes, column_hashes, table_sha256
from xuanba.rounds.store import save_round
from xuanba.rounds.summary import round_summary, tier_order
from xuanba.standard import engine
from xuanba.standard.engine import labelled, roster_arrow
from xuanba.standard.score import ROSTER_COLUMNS

LABELS = {"tier": ["", "A", "B", "高"], "quadrant": ["", "stars", "Ärger", "stars", "x; y"],
          "gates_failed": ["", "profitable", "profitable; active"]}


def _coded_roster(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, list[str]]]]:
    """A roster of ``n`` customers whose texts are made from random codes (a label named twice, one
    never used), its numbers with missing values, and the codes."""
    rng = np.random.default_rng(seed)
    coded = {col: (rng.integers(0, len(labels) - (col == "tier"), n).astype(np.int16), labels)
             for col, labels in LABELS.items()}
    gap = rng.normal(size=n)
    gap[rng.uniform(size=n) < 0.3] = np.nan
    data = {"customer_id": pd.Series([f"c{i:05d}" for i in rng.permutation(n)], dtype="str"),
            "rank": np.arange(1, n + 1, dtype=np.int64), "score": np.round(rng.uniform(0, 100, n), 3),
            "selected": rng.uniform(size=n) < 0.2, "gap_to_next": gap}
    for col, (codes, labels) in coded.items():
        data[col] = labelled(codes, labels)
    return pd.DataFrame(data), coded


@pytest.mark.parametrize("n", [0, 5, 3000])
def test_a_text_column_hashed_by_code_has_its_texts_hashes(n):
    roster, coded = _coded_roster(n, seed=n)
    for col, (codes, labels) in coded.items():
        want = pd.util.hash_pandas_object(roster[col], index=False).to_numpy()
        assert np.array_equal(coded_hashes(codes, labels), want), col
        assert np.array_equal(coded_hashes(codes, labels), column_hashes(roster[col])), col


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_roster_hashed_by_code_has_the_frames_digest(seed):
    """``table_sha256`` given the coded columns' hashes is the digest of the frame itself (its
    numbers with missing values hashed from the frame), for any order of its columns."""
    roster, coded = _coded_roster(2500, seed)
    hashed = {col: coded_hashes(*pair) for col, pair in coded.items()}
    assert table_sha256(roster, hashed) == table_sha256(roster)
    shuffled = roster[list(np.random.default_rng(seed).permutation(roster.columns))]
    assert table_sha256(shuffled, hashed) == table_sha256(shuffled) != table_sha256(roster)
    wrong = {**hashed, "tier": coded_hashes(coded["tier"][0][::-1].copy(), coded["tier"][1])}
    assert table_sha256(roster, wrong) != table_sha256(roster)  # the hashes given are the ones used


@pytest.mark.parametrize("seed", [4, 5])
def test_a_summary_counted_by_code_is_the_summary_counted_by_text(seed):
    roster, coded = _coded_roster(4000, seed)
    rng = np.random.default_rng(seed)
    value = rng.choice([10.0, 2.5, -4.125, np.nan], len(roster)) * rng.integers(1, 4, len(roster))
    fields = pd.DataFrame({"customer_id": roster["customer_id"].sort_values().to_numpy(), "revenue_365d": value})
    for tiers in (["A", "B"], ["B"], []):
        want = round_summary(roster, fields, tiers)
        got = round_summary(roster, fields, tiers, coded=coded)
        assert got == want
        assert list(got["tier_counts"]) == list(want["tier_counts"])  # the same order of tiers
    assert round_summary(roster, None, ["A"], coded=coded) == round_summary(roster, None, ["A"])


def test_the_roster_as_arrow_stores_what_the_frame_stores(tmp_path):
    """:func:`roster_arrow` (texts as dictionaries of their codes, a missing number null) appends
    the same rows as the pandas roster does."""
    roster, coded = _coded_roster(3000, seed=7)
    for col in ROSTER_COLUMNS:
        if col not in roster:
            roster[col] = np.nan if col not in ("next_tier", "cheapest_criterion", "cheapest_public_criterion") \
                else labelled(np.zeros(len(roster), dtype=np.int16), [""])
    roster["left_out_by_capacity"] = False
    columns = {c: roster[c].to_numpy() for c in ROSTER_COLUMNS if c not in coded and c != "customer_id"}
    columns["customer_id"] = pa.array(roster["customer_id"].tolist(), type=pa.string())
    arrow = roster_arrow(columns, coded)
    assert arrow.column_names == list(ROSTER_COLUMNS)
    assert pa.types.is_dictionary(arrow.schema.field("tier").type)
    with Workspace(tmp_path / "w.duckdb") as ws:
        store_mod._ddl(ws.con)
        store_mod._insert_roster(ws.con, 1, arrow)
        store_mod._insert_roster(ws.con, 2, roster[list(ROSTER_COLUMNS)])
        a = ws.sql("SELECT * EXCLUDE (round_id) FROM roster WHERE round_id = 1 ORDER BY rank")
        b = ws.sql("SELECT * EXCLUDE (round_id) FROM roster WHERE round_id = 2 ORDER BY rank")
    pd.testing.assert_frame_equal(a, b)
    assert a["gap_to_next"].isna().sum() == roster["gap_to_next"].isna().sum() > 0


def test_an_engine_round_hands_its_roster_to_the_saver_before_the_scoring_returns(tmp_path, monkeypatch):
    """DuckDB's scoring gives the saver its roster as Arrow as soon as its rows are placed, before
    it returns (the pandas roster made meanwhile); the round stores what :func:`save_round` stores
    of the same round, and its digests and summary are those of its frames (counted and hashed
    by text)."""
    path, preds, std = _round_source(tmp_path)
    events: list[str] = []
    real_score, real_roster, real_rows = engine.score_in_engine, store_mod.RoundSaver.start_roster, \
        store_mod.RoundSaver.start_rows

    def score(*args, **kwargs):
        out = real_score(*args, **kwargs)
        events.append("scored")
        return out

    def start_roster(self, roster):
        events.append("start_roster")
        assert isinstance(roster, pa.Table) and roster.column_names == list(ROSTER_COLUMNS)
        return real_roster(self, roster)

    def start_rows(self, *args):
        events.append("start_rows")
        return real_rows(self, *args)

    monkeypatch.setattr(engine, "score_in_engine", score)
    monkeypatch.setattr(store_mod.RoundSaver, "start_roster", start_roster)
    monkeypatch.setattr(store_mod.RoundSaver, "start_rows", start_rows)
    with Workspace(path, threads=2) as ws:
        rnd = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
    assert events == ["start_roster", "scored", "start_rows"]
    assert rnd.meta["roster_sha256"] == table_sha256(rnd.roster)
    order, _ = tier_order(std, rnd.roster)
    summary = round_summary(rnd.roster, rnd.fields, order[:-1])
    assert {k: rnd.meta["summary"][k] for k in summary} == summary
    assert_stores_as_save_round(tmp_path, path, rnd, std, preds)
    assert events.count("start_roster") == 1  # the round not stored gives no saver its roster
    with Workspace(path, create=False) as ws:
        assert table_sha256(store_mod.load_round(ws, 1).roster) == rnd.meta["roster_sha256"]


def assert_stores_as_save_round(tmp_path, path, rnd, std, preds) -> None:
    """The round ``rnd`` stored in ``path`` by ``run_round`` holds what :func:`save_round` stores of
    the same round run unstored on the same data (every table; its time taken from ``rnd``)."""
    other = tmp_path / "other.duckdb"
    store_tx(other, make_transactions(seed=11, n=60))
    with Workspace(other, threads=2) as ws:
        unstored = run_round(ws, std, CUTOFF, predictions=preds, store=False, scoring_engine="duckdb")
        unstored.meta["created_at"] = rnd.meta["created_at"]
        assert save_round(ws, unstored) == 1
    a, b = _stored(path), _stored(other)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_a_large_base_gives_the_saver_its_roster_with_the_contributions(tmp_path, monkeypatch):
    """From ``EARLY_ROSTER_ROWS`` customers on, where one is set (here the test's base; none by
    default since perf31), the roster goes to the saver after the scoring, with the contributions;
    the stored round is the same as when it goes early."""
    import xuanba.rounds.run as run_mod

    path, preds, std = _round_source(tmp_path)
    calls: list[str] = []
    real_roster = store_mod.RoundSaver.start_roster

    def start_roster(self, roster):
        calls.append("start_roster")
        return real_roster(self, roster)

    monkeypatch.setattr(store_mod.RoundSaver, "start_roster", start_roster)
    with Workspace(path, threads=2) as ws:
        early = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
    assert calls == ["start_roster"]
    other = tmp_path / "late.duckdb"
    store_tx(other, make_transactions(seed=11, n=60))
    monkeypatch.setattr(run_mod, "EARLY_ROSTER_ROWS", len(early.fields))
    with Workspace(other, threads=2) as ws:
        late = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
    assert calls == ["start_roster"]  # not called again
    assert late.meta["roster_sha256"] == early.meta["roster_sha256"] == table_sha256(late.roster)
    a, b = _stored(path), _stored(other)
    metas = [json.loads(x["rounds"].pop("meta_json").iloc[0]) for x in (a, b)]
    for meta in metas:
        del meta["created_at"]  # each round's own second
    assert metas[0] == metas[1]
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_a_pandas_round_hashes_and_sums_up_its_texts_as_before(tmp_path):
    path, preds, std = _round_source(tmp_path)
    with Workspace(path, threads=2) as ws:
        rnd = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="pandas")
    assert rnd.meta["roster_sha256"] == table_sha256(rnd.roster)
    order, _ = tier_order(std, rnd.roster)
    summary = round_summary(rnd.roster, rnd.fields, order[:-1])
    assert {k: rnd.meta["summary"][k] for k in summary} == summary
