"""The standard's queries shared by every connection of one shape (xuanba.standard.engine_cache):
a second connection whose fields table has the same name and schema compiles nothing and builds
no roster expression, and still equals the pandas oracle for its own base and weights; another
table name, column type or standard is another key; a round scored through the shared path
stores what a round compiled afresh stores; threads each on their own connection."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests._helpers import in_threads
from tests.test_standard_engine_cache import _fields, _text
from tests.test_standard_engine_roster import _same
from xuanba.standard import engine_cache, load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers


def _on_own_connection(frame: pd.DataFrame, name: str = "shared_fields") -> ibis.Table:
    """``frame`` as the table ``name`` of a DuckDB of its own (a connection never seen before)."""
    con = ibis.duckdb.connect()
    return con.create_table(name, pa.Table.from_pandas(frame, preserve_index=False))


def _check(frame: pd.DataFrame, text: str, name: str = "shared_fields") -> None:
    std = load_standard(text)
    got, want = score_in_engine(_on_own_connection(frame, name), std), score_customers(frame, std)
    _same(want.roster, got.roster)
    _same(want.contributions, got.contributions)
    assert got.info == want.info
    np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)


def _delta(before: dict) -> dict:
    return {k: engine_cache.STATS[k] - before[k] for k in before}


def test_a_second_connection_compiles_nothing_and_builds_nothing():
    engine_cache.clear()
    frame = _fields(300, seed=11)
    before = dict(engine_cache.STATS)
    _check(frame, _text())
    first = _delta(before)
    assert first["compiles"] > 0 and first["shared_hits"] == 0
    before = dict(engine_cache.STATS)
    _check(frame, _text())  # the same base on another connection: every query and the roster shared
    again = _delta(before)
    assert again["compiles"] == 0, again
    assert again["shared_hits"] == first["compiles"]
    assert again["built_shared_hits"] == 1


def test_other_bases_and_weights_on_fresh_connections_equal_the_oracle():
    """A what-if/tune cycle, each call on a connection of its own: the weights, bars and bases
    move, the shape stays; every roster is the oracle's for its own numbers."""
    engine_cache.clear()
    rng = np.random.default_rng(12)
    _check(_fields(300, seed=20), _text())
    before = dict(engine_cache.STATS)
    for i in range(5):
        w = rng.dirichlet(np.ones(4)).round(3)
        w[-1] = round(1 - w[:-1].sum(), 3)
        bars = sorted(rng.choice(np.arange(20, 95), 3, replace=False).tolist(), reverse=True)
        frame = _fields(300, seed=20 + i % 2)
        _check(frame, _text(tuple(float(x) for x in w), tuple(float(b) for b in bars)))
    got = _delta(before)
    assert got["shared_hits"] > got["compiles"]  # mostly shared; a new tie count or tier reached compiles


@pytest.mark.parametrize("change", ["name", "type", "gate", "tiers"])
def test_another_name_type_or_standard_is_another_key(change):
    engine_cache.clear()
    frame = _fields(300, seed=13)
    _check(frame, _text())
    text, name = _text(), "shared_fields"
    if change == "name":
        name = "other_fields"
    elif change == "type":  # the same names, revenue as whole numbers
        frame = frame.assign(revenue_365d=frame.revenue_365d.astype("int64"))
    elif change == "gate":
        text = text.replace('expr = "p_alive >= 0.2"', 'expr = "p_alive >= 0.2 and revenue_365d > 10"', 1)
    else:
        text = text.replace('[[tiers]]\nname = "C"', '[[tiers]]\nname = "C0"\nmin_score = 55\n\n[[tiers]]\nname = "C"', 1)
    before = dict(engine_cache.STATS)
    _check(frame, text, name)
    got = _delta(before)
    assert got["compiles"] > 0, got
    if change == "type":  # every query reads a column of the other type: nothing shared
        assert got["shared_hits"] == 0, got
    # the roster's own expression reads only the tables the scoring kept (their names and schemas
    # the same whatever the fields table is called): shared under another name, not another type
    assert got["built_shared_hits"] == (1 if change == "name" else 0), got


def test_threads_on_their_own_connections():
    engine_cache.clear()
    frames = [_fields(250, seed=30 + i) for i in range(4)]
    texts = [_text((0.7, 0.1, 0.1, 0.1), (90, 60, 30)), _text((0.1, 0.1, 0.1, 0.7), (70, 40, 20))]
    failed: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for k in range(2):
                _check(frames[i], texts[(i + k) % 2])
        except BaseException as exc:  # noqa: BLE001 - told by the main thread
            failed.append(exc)

    in_threads(work, 4)
    assert not failed, failed


def test_a_round_through_the_shared_path_stores_what_a_fresh_one_stores(tmp_path, test_data):
    """The rounds score on this process's own DuckDB; with its own caches emptied, a round reads
    the shared ones (the roster's expression rebound to it) and stores the same round as one
    compiled from nothing."""
    from tests._helpers import cdnow_transactions, store
    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.rounds.store import load_round
    from xuanba.standard import starter_standard
    from xuanba.standard.engine import _LOCAL

    def own_caches_emptied() -> None:
        for local in _LOCAL:
            for name in ("_xuanba_compiled", "_xuanba_built"):
                local.__dict__.pop(name, None)

    tx = cdnow_transactions(test_data)
    rounds = []
    for i, shared in enumerate((False, True)):
        if not shared:  # compiled from nothing
            engine_cache.clear()
        own_caches_emptied()
        path = tmp_path / f"w{i}.duckdb"
        with Workspace(path) as ws:
            store(ws, "transactions", tx)
        before = dict(engine_cache.STATS)
        got = run_round(path, starter_standard(), "1997-09-30")
        delta = _delta(before)
        if shared:
            assert delta["compiles"] == 0 and delta["built_shared_hits"] == 1, delta
        else:
            assert delta["shared_hits"] == 0 and delta["compiles"] > 0, delta
        rounds.append(load_round(path, got.round_id))
    a, b = rounds
    for part in ("roster", "contributions", "fields"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part), check_exact=True)


def test_a_shape_holds_no_connection(tmp_path):
    """Two workspace files (connections that Ibis tells apart) with one table of one schema: a
    query over either has the same shape, holding neither connection, and bound back to one it
    is that one's query."""
    from xuanba.facts.compiled import shape

    cons = [ibis.duckdb.connect(tmp_path / f"{name}.duckdb") for name in "ab"]
    for con in cons:
        con.create_table("t", pa.table({"x": [1.0]}))
    a, b = (con.table("t").mutate(y=ibis._.x + 1).filter(ibis._.y > 0) for con in cons)
    assert a.op() != b.op()  # each bound to its own file
    assert shape(a) == shape(b)
    assert not shape(a).find(ibis.expr.operations.DatabaseTable)
    assert engine_cache._rebound(shape(a).to_expr(), cons[1]).op() == b.op()


def test_other_figures_of_one_shape_reuse_the_roster_build():
    """Another base whose figures (medians, tops, means, spreads) differ but not their shape, as a
    replay's next cutoff: the roster's expression is reused, with this base's figures."""
    from tests.test_standard_engine_cache import _check as check_frame

    frame = _fields(300, seed=40)
    check_frame(frame, _text())
    moved = frame.assign(revenue_365d=frame.revenue_365d * 1.5, margin_365d=frame.margin_365d * 2 + 7,
                         clv_3y=frame.clv_3y + 11)  # every rank the same, every figure another
    before = dict(engine_cache.STATS)
    check_frame(moved, _text())
    got = _delta(before)
    assert got["built_hits"] == 1 and got["compiles"] == 0, got
