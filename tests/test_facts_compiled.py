"""The facts queries compiled once per shape (xuanba.facts.compiled): the same facts as built
afresh at every date, reused across workspaces of one schema, never across two shapes."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._helpers import in_threads, store
from xuanba import Workspace
from xuanba.facts import calibration_holdout, compiled, customer_facts, facts_and_holdout

BASE = dt.datetime(2026, 1, 1)


def _frame(rows: list[tuple[str, int, float]], **extra: list) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [r[0] for r in rows],
                         "ts": [BASE + dt.timedelta(days=r[1], hours=5) for r in rows],
                         "amount": [r[2] for r in rows], **extra})


def _fresh(call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    """``call`` with every query built and compiled afresh (nothing kept, nothing reused)."""
    old = compiled.ENABLED
    compiled.ENABLED = False
    try:
        return call(*args, **kwargs)
    finally:
        compiled.ENABLED = old


def _same(got, want) -> None:  # noqa: ANN001
    if isinstance(got, tuple):
        for g, w in zip(got, want, strict=True):
            _same(g, w)
        return
    pd.testing.assert_frame_equal(got, want)


rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 800),
                          st.integers(-500, 10_000).map(lambda c: c / 100)), min_size=1, max_size=40)
day = st.integers(200, 800)


@settings(max_examples=6, deadline=None)
@given(rows=rows, first=day, second=day, back=st.integers(1, 190),
       unit=st.sampled_from(["day", "week", "month"]), merge=st.sampled_from(["day", "period"]),
       costed=st.booleans())
def test_kept_queries_give_the_facts_of_fresh_ones_at_any_other_date(rows, first, second, back, unit, merge, costed):
    """The same shape at two cutoffs: the second reuses the first's SQL with its own dates (a
    variable left at the first date, or a date missed, would show here), and every frame equals
    the one built and compiled afresh."""
    tx = _frame(rows, **({"cost": [r[2] / 2 for r in rows]} if costed else {}))
    for at in (first, second):
        cut = (BASE + dt.timedelta(days=at)).date()
        cal = cut - dt.timedelta(days=back)
        if tx["ts"].min().date() > cal:
            continue
        calls = [(customer_facts, (tx, cut), {"time_unit": unit, "merge": merge}),
                 (customer_facts, (tx, cut), {"time_unit": unit, "columns": ["rfm_m", "T", "revenue_90d"]}),
                 (calibration_holdout, (tx, cal, cut), {"time_unit": unit, "merge": merge}),
                 (calibration_holdout, (tx, cal, cut), {"time_unit": unit, "columns": ["frequency", "T"]}),
                 (facts_and_holdout, (tx, cut, cal), {"time_unit": unit})]
        for call, args, kwargs in calls:
            _same(call(*args, **kwargs), _fresh(call, *args, **kwargs))


def _workspace(path, frame: pd.DataFrame) -> None:  # noqa: ANN001
    with Workspace(path) as ws:
        store(ws, "transactions", frame)


def test_a_second_workspace_of_the_same_schema_reuses_the_sql(tmp_path):
    """Two workspaces with other data and one schema: the second's facts (read-only) compile
    nothing, and are its own, not the first's."""
    one = _frame([("a", 1, 10.0), ("a", 40, 20.0), ("b", 3, 5.0)])
    two = _frame([("x", 2, 7.0), ("y", 9, 8.0), ("y", 30, 1.5), ("y", 31, 2.5)])
    _workspace(tmp_path / "one.duckdb", one)
    _workspace(tmp_path / "two.duckdb", two)
    with Workspace(tmp_path / "one.duckdb") as ws:
        facts_and_holdout(ws, "2026-02-20", "2026-01-20")
    before = dict(compiled.STATS)
    with Workspace(tmp_path / "two.duckdb", read_only=True) as ws:
        got = facts_and_holdout(ws, "2026-02-10", "2026-01-05")
        assert compiled.STATS["compiles"] == before["compiles"]
        assert compiled.STATS["hits"] == before["hits"] + 3  # the cutoff's check, the facts, their scores
        assert ws.con.execute("SELECT count(*) FROM duckdb_variables()").fetchone()[0] == 0  # none left set
        want = _fresh(facts_and_holdout, ws, "2026-02-10", "2026-01-05")
    _same(got, want)
    assert list(got[0]["customer_id"]) == ["x", "y"]


def _queries_of(call) -> list[compiled.Query]:  # noqa: ANN001
    """The compiled queries ``call()`` runs."""
    seen: list[compiled.Query] = []
    run = compiled.run

    def spy(query, values, backend, batch_rows):  # noqa: ANN001, ANN202
        seen.append(query)
        return run(query, values, backend, batch_rows)

    compiled.run = spy
    try:
        call()
    finally:
        compiled.run = run
    return seen


def test_another_shape_never_shares_the_sql(tmp_path):
    """Another column type, table name, unit, merge, column choice or an extra column: each its
    own SQL (compiled, not taken from a shape met before), and its own right facts."""
    tx = _frame([("a", 1, 10.0), ("a", 40, 20.0), ("b", 3, 5.0), ("b", 3, 1.0)])
    ints = tx.assign(customer_id=tx["customer_id"].map({"a": 1, "b": 2}))
    costed = tx.assign(cost=[1.0, None, 2.0, 0.5])
    cut = "2026-02-20"
    import ibis

    con = ibis.duckdb.connect()
    con.create_table("transactions", pa.Table.from_pandas(tx, preserve_index=False))
    con.create_table("sales", pa.Table.from_pandas(tx, preserve_index=False))
    con.create_table("money", pa.Table.from_pandas(tx.assign(amount=tx["amount"].astype("float32")), preserve_index=False))
    variants = {
        "memory": lambda: customer_facts(tx, cut),
        "ints": lambda: customer_facts(ints, cut),
        "cost": lambda: customer_facts(costed, cut),
        "day": lambda: customer_facts(tx, cut, time_unit="day"),
        "period": lambda: customer_facts(tx, cut, merge="period"),
        "columns": lambda: customer_facts(tx, cut, columns=["T", "rfm_r"]),
        "table": lambda: customer_facts(con.table("transactions"), cut),
        "name": lambda: customer_facts(con.table("sales"), cut),
        "float32": lambda: customer_facts(con.table("money"), cut),
    }
    compiled.clear()
    used = {}
    for name, call in variants.items():
        before = compiled.STATS["compiles"]
        used[name] = {id(q) for q in _queries_of(call) if q.variables}  # the facts, not the cutoff's check
        assert compiled.STATS["compiles"] > before, name  # its facts compiled, not found
    for a in used:
        for b in used:
            assert a == b or not used[a] & used[b], (a, b)
    assert all('"sales"' in q.sql for q in _queries_of(variants["name"]) if q.variables)
    for call in variants.values():  # kept now: each hit is still its own shape's facts
        _same(call(), _fresh(call))


def test_shapes_are_told_apart_by_schema_and_name_not_by_connection():
    import ibis

    a, b, c = ibis.duckdb.connect(), ibis.duckdb.connect(), ibis.duckdb.connect()
    frame = pa.table({"customer_id": ["a"], "ts": [BASE], "amount": [1.0]})
    for con in (a, b):
        con.create_table("transactions", frame)
        con.create_table("other", frame)
    c.create_table("transactions", frame.set_column(2, "amount", pa.array([1])))
    assert compiled.shape(a.table("transactions")) == compiled.shape(b.table("transactions"))
    assert compiled.shape(a.table("transactions")) != compiled.shape(a.table("other"))
    assert compiled.shape(a.table("transactions")) != compiled.shape(c.table("transactions"))
    assert compiled.shape(ibis.memtable(frame)) is None  # its data are in the expression


def test_one_name_never_holds_two_dates():
    """A build that reads one role at two dates fails loudly rather than sharing a variable."""
    with pytest.raises(ValueError, match="bound to"):
        compiled.compiled(("twice",), lambda: _two_dates(), {}, __import__("ibis").duckdb.connect())


def _two_dates():  # noqa: ANN202
    import ibis

    t = ibis.table({"d": "date"}, name="t")
    return t.filter(t.d > compiled.at("cutoff", dt.date(2026, 1, 1)), t.d < compiled.at("cutoff", dt.date(2026, 2, 1)))


def test_threads_share_the_kept_queries_safely():
    """Eight threads, four shapes, each at its own dates, all at once from an empty cache: each
    gets the facts a fresh build gives."""
    frames = [_frame([("a", 1 + k, 10.0), ("a", 40 + k, 20.0 + k), ("b", 3, 5.0 + k), ("c", 60 - k, 2.0)])
              for k in range(8)]
    units = ["day", "week", "month", "week"]
    jobs = [(frames[k], (BASE + dt.timedelta(days=70 + k)).date(), units[k % 4]) for k in range(8)]
    want = [_fresh(facts_and_holdout, f, cut, cut - dt.timedelta(days=30), time_unit=u) for f, cut, u in jobs]
    compiled.clear()
    got: list = [None] * len(jobs)
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def work(i: int) -> None:
        f, cut, u = jobs[i]
        try:
            start.wait()
            for _ in range(3):
                got[i] = facts_and_holdout(f, cut, cut - dt.timedelta(days=30), time_unit=u)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    in_threads(work, len(jobs))
    assert not errors, errors
    for g, w in zip(got, want, strict=True):
        _same(g, w)
