"""Review of the roster handed to the saver before the scoring returns (issue 16, perf21): what a
stranger would try against :meth:`RoundSaver.start_roster`, :func:`roster_arrow` and the digest
and summary counted by code. The saver's thread appends the engine's own arrays (not copied)
while the main thread goes on with them; a round that fails after handing its roster over must
leave nothing; the Arrow roster must store what the pandas roster stores, value for value (a
missing number null, -0.0 and infinities kept, hostile labels, a base of 0 or 1 customer, a
standard too wide to be coded, another id column)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_round_coded import assert_stores_as_save_round
from tests.test_round_store import _round_source
from tests.test_rounds import CUTOFF
from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds import store as store_mod
from xuanba.rounds.run import table_sha256
from xuanba.standard import engine, load_standard, starter_standard
from xuanba.standard.engine import CODED_GATES, labelled, roster_arrow, score_in_engine
from xuanba.standard.score import ROSTER_COLUMNS

HOSTILE = ["", 'A"q=1<b>&amp;</b>', "高 tier; x=y", "it's é", "a\\b\tc", "x; y", "dup", "never used", "dup"]


def _buffers(table: pa.Table) -> list[list[bytes | None]]:
    """Every byte of every buffer of ``table`` (values, validity, offsets, dictionaries)."""
    out = []
    for column in table.columns:
        for chunk in column.chunks:
            arrays = [chunk]
            if pa.types.is_dictionary(chunk.type):
                arrays.append(chunk.dictionary)
            out.append([None if b is None else bytes(b) for a in arrays for b in a.buffers()])
    return out


def test_the_roster_handed_early_is_not_written_before_the_saver_is_done(tmp_path, monkeypatch):
    """The Arrow roster given to :meth:`RoundSaver.start_roster` shares its numbers' memory with
    the pandas roster the round goes on with (a write into one is a write into the other, under
    pandas' copy-on-write too: the frame is made with ``copy=False``), so every byte of it must be
    the same when the saver is waited for as when it was handed over: nothing the round does
    between (making the pandas roster, hashing, summing up) may write into it."""
    path, preds, std = _round_source(tmp_path)
    seen: dict[str, object] = {}
    real_roster, real_wait = store_mod.RoundSaver.start_roster, store_mod.RoundSaver.wait

    def start_roster(self, roster):
        seen["roster"], seen["at_start"] = roster, _buffers(roster)
        return real_roster(self, roster)

    def wait(self):
        if "roster" in seen and "at_wait" not in seen:
            seen["at_wait"] = _buffers(seen["roster"])
        return real_wait(self)

    monkeypatch.setattr(store_mod.RoundSaver, "start_roster", start_roster)
    monkeypatch.setattr(store_mod.RoundSaver, "wait", wait)
    with Workspace(path, threads=2) as ws:
        rnd = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
    assert seen["at_wait"] == seen["at_start"]
    shared = seen["roster"].column("score").chunk(0).buffers()[1].address  # the memory is shared indeed
    assert shared == rnd.roster["score"].to_numpy().__array_interface__["data"][0]


@pytest.mark.parametrize("where", ["making the pandas roster", "summing up"])
def test_a_round_that_fails_after_handing_its_roster_over_leaves_nothing(tmp_path, monkeypatch, where):
    """The scoring fails after the saver was given the roster and has appended it, before the
    saver gets the contributions (``making the pandas roster``: the round abandoned between
    :meth:`start_roster` and :meth:`start_rows`), or the summing up fails after: the caller reads
    that error, nothing of the round stays, DuckDB's settings are put back and the next round
    gets the next id."""
    from xuanba.rounds import summary as summary_mod

    path, preds, std = _round_source(tmp_path)
    appended = threading.Event()
    real_insert, real_labelled, real_summary = store_mod._insert_roster, engine.labelled, summary_mod.round_summary

    def insert_roster(*args, **kwargs):
        real_insert(*args, **kwargs)
        appended.set()

    def fail(real):
        def failing(*args, **kwargs):
            if appended.wait(10):  # the whole roster in the round's transaction: then fail
                raise ArithmeticError(f"failed {where}")
            return real(*args, **kwargs)
        return failing

    with Workspace(path, threads=2, memory_limit="3001MB") as ws:
        limit = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        first = run_round(ws, std, "2026-03-31", predictions=preds, scoring_engine="duckdb")
        with monkeypatch.context() as m:
            m.setattr(store_mod, "_insert_roster", insert_roster)
            if where == "making the pandas roster":
                m.setattr(engine, "labelled", fail(real_labelled))
            else:
                m.setattr(summary_mod, "round_summary", fail(real_summary))
            with pytest.raises(ArithmeticError, match=where):
                run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
        assert appended.is_set()
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        assert ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit
        for table in ("rounds", "roster", "round_criteria", "round_points", "round_fields"):
            assert ws.sql(f"SELECT DISTINCT round_id FROM {table}")["round_id"].tolist() == [1], table
        assert len(ws.sql("SELECT * FROM roster")) == len(first.roster)
        pd.testing.assert_frame_equal(store_mod.load_round(ws, 1).roster, first.roster)
        assert run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb").round_id == 2


def _hostile_roster(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, list[str]]]]:
    """A roster of ``n`` customers whose every roster column is set: its texts from codes into
    :data:`HOSTILE` labels (quotes, ``=``, HTML, non-ASCII, a tab, a backslash, a label named
    twice, one never used), ``gates_failed`` as int64 codes (as ``pd.factorize`` gives them), its
    numbers with NaN, -0.0, +inf and -inf."""
    rng = np.random.default_rng(seed)
    used = HOSTILE.index("never used")  # drawn: the labels before it, and the second "dup" below
    coded: dict[str, tuple[np.ndarray, list[str]]] = {}
    for col in ("tier", "quadrant", "next_tier", "cheapest_criterion", "cheapest_public_criterion"):
        codes = rng.integers(0, used, n).astype(np.int16)
        codes[rng.uniform(size=n) < 0.1] = len(HOSTILE) - 1  # the second "dup"
        coded[col] = (codes, list(HOSTILE))
    coded["gates_failed"] = (rng.integers(0, 3, n).astype(np.int64), ["", "g; h", "<i>"])
    data: dict[str, object] = {"customer_id": pd.Series([f"c{i:05d}é" for i in rng.permutation(n)], dtype="str"),
                               "rank": np.arange(1, n + 1, dtype=np.int64),
                               "selected": rng.uniform(size=n) < 0.2, "left_out_by_capacity": rng.uniform(size=n) < 0.1}
    odd = np.array([np.nan, -0.0, np.inf, -np.inf, 0.0])
    for col in ("score", "value_score", "potential_score", "gap_to_next", "cheapest_change", "cheapest_public_change"):
        x = rng.normal(size=n)
        pick = rng.uniform(size=n) < 0.4
        x[pick] = rng.choice(odd, int(pick.sum()))
        data[col] = x
    for col, pair in coded.items():
        data[col] = labelled(*pair)
    return pd.DataFrame(data)[list(ROSTER_COLUMNS)], coded


@pytest.mark.parametrize("n", [0, 1, 2000])
def test_the_arrow_roster_stores_odd_numbers_and_hostile_labels_as_the_frame_does(tmp_path, n):
    """:func:`roster_arrow` (texts as dictionaries of codes, numbers the frame's own arrays) and the
    pandas roster store the same rows: a missing number null in both, -0.0 with its sign, the
    infinities, every label byte for byte (a label named twice, one never used), for a base of
    0, 1 or many customers."""
    roster, coded = _hostile_roster(n, seed=n)
    columns = {c: roster[c].to_numpy() for c in ROSTER_COLUMNS if c not in coded and c != "customer_id"}
    columns["customer_id"] = pa.chunked_array([pa.array(roster["customer_id"].tolist(), type=pa.string())])
    arrow = roster_arrow(columns, coded)
    assert arrow.column_names == list(ROSTER_COLUMNS) and arrow.num_rows == n
    with Workspace(tmp_path / "w.duckdb") as ws:
        store_mod._ddl(ws.con)
        store_mod._insert_roster(ws.con, 1, arrow)
        store_mod._insert_roster(ws.con, 2, roster)
        # the rows in their stored order: the roster view's own decoding, with the codes' rowid beside it
        decoded = store_mod._ROSTER_VIEW.split(" AS ", 1)[1].replace("SELECT r.round_id,", "SELECT r.rowid AS _at, r.round_id,", 1)
        got = [ws.sql(f"SELECT * EXCLUDE (round_id, _at) FROM ({decoded}) WHERE round_id = {i} ORDER BY _at")
               for i in (1, 2)]
        nulls = ws.sql("SELECT round_id, count(*) FILTER (score IS NULL) AS n, count(*) FILTER (isnan(score)) AS nan "
                       "FROM roster GROUP BY ALL ORDER BY round_id")
    a, b = got
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == n
    for col in ("score", "gap_to_next", "cheapest_public_change"):  # -0.0 keeps its sign in both
        assert np.array_equal(np.signbit(a[col].to_numpy(dtype=float, na_value=np.nan)),
                              np.signbit(roster[col].to_numpy())), col
    if n:
        assert a["tier"].tolist() == roster["tier"].tolist()
        assert set(a["tier"]) <= set(HOSTILE) - {"never used"} and (n < 100 or "dup" in set(a["tier"]))
        assert nulls["n"].tolist() == [int(roster["score"].isna().sum())] * 2 and nulls["nan"].tolist() == [0, 0]


def _gated(n_gates: int) -> str:
    gates = "".join(f'\n[[gates]]\nname = "g{i}; <{i}>"\nexpr = "p_alive >= 0.{i % 9 + 1}"\n' for i in range(n_gates))
    return starter_standard("en").replace("max_accounts = 500", "max_accounts = 12").replace("# ---- tiers",
                                                                                          gates + "\n# ---- tiers")


@pytest.mark.parametrize("kind", ["hostile labels", "too many gates to be coded"])
def test_an_engine_round_with_odd_texts_stores_what_save_round_stores(tmp_path, monkeypatch, kind):
    """A round whose tier and quadrant names are hostile (quotes, ``=``, HTML, non-ASCII, a tier no
    customer reaches), or whose standard has more gates than :data:`CODED_GATES` (its texts not
    coded: the engine's Arrow text handed over as it is): the roster handed over early stores
    what :func:`save_round` stores of the same round from its pandas roster, and the round's
    digest is its frame's."""
    if kind == "hostile labels":
        text = (starter_standard("en").replace("max_accounts = 500", "max_accounts = 12")
                .replace('name = "A"', r'name = "A\"q=1<b>&amp;</b>"').replace('name = "B"', 'name = "高 tier; x=y"')
                .replace('= "stars"', '= "<script>\'\\"x"').replace('= "rising"', '= "Ärger; =="')
                .replace("min_score = 50\n", 'min_score = 50\n\n[[tiers]]\nname = "unused"\nmin_score = 49.99999\n', 1))
    else:
        text = _gated(CODED_GATES + 2)
    std = load_standard(text)
    path, preds, _ = _round_source(tmp_path)
    given: list[pa.Table] = []
    real_roster = store_mod.RoundSaver.start_roster

    def start_roster(self, roster):
        given.append(roster)
        return real_roster(self, roster)

    monkeypatch.setattr(store_mod.RoundSaver, "start_roster", start_roster)
    with Workspace(path, threads=2) as ws:
        rnd = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")
    assert len(given) == 1
    dictionaries = {f.name for f in given[0].schema if pa.types.is_dictionary(f.type)}
    if kind == "hostile labels":
        assert "gates_failed" in dictionaries and "tier" in dictionaries
        assert rnd.roster["tier"].isin(['A"q=1<b>&amp;</b>', "高 tier; x=y"]).any()
    else:
        assert dictionaries == set()  # the old path: texts as the engine made them
        assert rnd.roster["gates_failed"].str.contains("; <").any()
    assert rnd.meta["roster_sha256"] == table_sha256(rnd.roster)
    assert_stores_as_save_round(tmp_path, path, rnd, std, preds)


def test_an_id_column_of_another_name_is_handed_over_as_customer_id():
    """``score_in_engine(id_column=...)``: the Arrow roster given to ``on_roster`` names its ids
    ``customer_id``, in rank order, as the pandas roster does."""
    std = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "rev"\n'
                        'field = "revenue_365d"\nweight = 1\n[[tiers]]\nname = "top"\nmin_score = 50\n')
    fields = pd.DataFrame({"cid": [f"k{i}" for i in range(7)], "revenue_365d": [3.0, 1.0, np.nan, 7.0, -0.0, 2.0, 5.0]})
    given: list[pa.Table] = []
    scored = score_in_engine(fields, std, id_column="cid", on_roster=given.append)
    assert len(given) == 1 and given[0].column_names == list(ROSTER_COLUMNS)
    assert given[0].column("customer_id").to_pylist() == scored.roster["customer_id"].tolist()
    assert given[0].column("tier").to_pylist() == scored.roster["tier"].tolist()
    assert given[0].column("rank").to_pylist() == list(range(1, 8))


def test_a_roster_handed_over_while_the_fields_are_still_appended_does_not_wait_for_itself(tmp_path, monkeypatch):
    """The fields' append (one thread, a million rows × 30 columns) can outlast the scoring: the
    saver is then given the contributions (:meth:`start_rows`) before its thread has begun the
    roster's append. The roster's append must wait for the fields alone, not for the tasks queued
    at the time it starts — among them itself (a round that hung for ever, found in review)."""
    path, preds, std = _round_source(tmp_path)
    rows_given = threading.Event()
    savers: list[object] = []
    real_fields, real_rows = store_mod._insert_fields_then_pause, store_mod.RoundSaver.start_rows

    def slow_fields(*args, **kwargs):
        rows_given.wait(10)  # the fields still being appended when the scoring is done
        return real_fields(*args, **kwargs)

    def start_rows(self, *args):
        savers.append(self)
        real_rows(self, *args)
        rows_given.set()

    monkeypatch.setattr(store_mod, "_insert_fields_then_pause", slow_fields)
    monkeypatch.setattr(store_mod.RoundSaver, "start_rows", start_rows)
    done: dict[str, object] = {}

    def run():
        with Workspace(path, threads=2) as ws:
            done["round"] = run_round(ws, std, CUTOFF, predictions=preds, scoring_engine="duckdb")

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(60)
    if runner.is_alive():  # a task waiting for itself: end it, so that the test ends
        for pending in savers[0]._pending:
            if not pending.done():
                pending.set_exception(TimeoutError("a saver's task waited for itself"))
        runner.join(30)
        pytest.fail("the round hung: the roster's append waited for itself")
    assert done["round"].round_id == 1
    with Workspace(path, create=False) as ws:
        assert len(ws.sql("SELECT * FROM roster")) == 60
