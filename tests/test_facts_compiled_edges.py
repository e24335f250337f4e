"""Attacks on the facts compiled once per shape (xuanba.facts.compiled), from outside: each
kept query against the expressions run with their dates as literals (an oracle that shares no
variable with it), shapes that look alike and mean otherwise, and the connection's variables
under errors and threads."""

from __future__ import annotations

import datetime as dt
import decimal
import threading

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from tests._helpers import in_threads
from xuanba.facts import calibration_holdout, compiled, customer_facts, facts_and_holdout
from xuanba.facts.compute import _arrow, _finish, _to_pandas
from xuanba.facts.expressions import customer_facts_expr, history_holdout_expr, holdout_expr


def _tx(start: dt.datetime, days: list[int], *, tz: str | None = None, money: str = "double") -> pa.Table:
    ts = [start + dt.timedelta(days=d, hours=7) for d in days]
    amount = [10.0 + d % 7 for d in days]
    ts_type = pa.timestamp("us", tz=tz)
    ids = [("a", "b", "c")[d % 3] for d in days]
    if money == "double":
        money_arr = pa.array(amount, pa.float64())
    else:  # decimal(p, s)
        p, s = (int(x) for x in money.split(","))
        money_arr = pa.array([decimal.Decimal(str(a)) for a in amount], pa.decimal128(p, s))
    return pa.table({"customer_id": ids, "ts": pa.array(ts, ts_type), "amount": money_arr})


def _literal(expr_of, table: pa.Table) -> pd.DataFrame:  # noqa: ANN001
    """The expression ``expr_of(tx)`` built outside any compiled build (its dates literals), run
    by Ibis on its own DuckDB: the oracle."""
    con = ibis.duckdb.connect()
    con.create_table("transactions", table)
    return _finish(_to_pandas(_arrow(expr_of(con.table("transactions")), None, con)))


EDGES = [  # (first transaction, cutoff, calibration end): leap days, 1900 (no leap, the first
    # date xuanba takes), 2100 (no leap)
    (dt.datetime(1900, 1, 1), dt.date(1900, 3, 1), dt.date(1900, 2, 28)),
    (dt.datetime(2022, 1, 1), dt.date(2024, 2, 29), dt.date(2023, 2, 28)),
    (dt.datetime(2022, 3, 1), dt.date(2024, 3, 1), dt.date(2024, 2, 29)),
    (dt.datetime(2098, 1, 1), dt.date(2100, 12, 31), dt.date(2100, 3, 1)),
]


@pytest.mark.parametrize(("start", "cut", "cal"), EDGES)
@pytest.mark.parametrize(("tz", "money"), [(None, "double"), ("Asia/Shanghai", "12,2")])
def test_kept_queries_equal_literal_ones_at_edge_dates(start, cut, cal, tz, money):
    """At leap days, in 1900 and 2100, with a zoned time and decimal money: a kept query run at
    a second date equals the expressions with literal dates (not the same machinery run twice)."""
    days = list(range(0, (cut - start.date()).days + 40, 11))
    table = _tx(start, days, tz=tz, money=money)
    other = start.date() + (cut - start.date()) / 2  # the shape compiled first at another date
    customer_facts(table, other)
    got = customer_facts(table, cut)
    want = _literal(lambda tx: customer_facts_expr(tx, cut), table)
    _equal(got, want, check_dtype=False)
    got = calibration_holdout(table, cal, cut, merge="period", time_unit="month")
    want = _literal(lambda tx: holdout_expr(tx, cal, cut, merge="period", time_unit="month"), table)
    _equal(got, want, check_dtype=False)
    got = calibration_holdout(table, cal, cut, columns=["frequency", "T", "frequency_holdout", "duration_holdout"])
    want = _literal(lambda tx: history_holdout_expr(tx, cal, cut), table)
    _equal(got, want[list(got.column_names)], check_dtype=False)
    facts, _ = facts_and_holdout(table, cut, cal, time_unit="day")
    want = _literal(lambda tx: customer_facts_expr(tx, cut, time_unit="day"), table)
    _equal(facts, want, check_dtype=False)


def _equal(got, want, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Frames equal (an Arrow source gets Arrow back: compared as pandas)."""
    got, want = (x.to_pandas() if isinstance(x, pa.Table) else x for x in (got, want))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), **kwargs)


def _con_with(**tables: pa.Table):  # noqa: ANN202
    con = ibis.duckdb.connect()
    for name, table in tables.items():
        con.create_table(name, table)
    return con


def test_a_filter_on_the_transactions_is_part_of_the_shape():
    """Two expressions over one table that differ only in a filter's literal (or a date filter):
    never one kept query, each its own right facts."""
    table = _tx(dt.datetime(2025, 1, 1), list(range(0, 300, 5)))
    con = _con_with(transactions=table)
    t = con.table("transactions")
    cut = dt.date(2025, 10, 1)
    variants = [t, t.filter(t.amount > 12), t.filter(t.amount > 14),
                t.filter(t.ts < dt.datetime(2025, 6, 1)), t.filter(t.customer_id != "a")]
    compiled.clear()
    results = [customer_facts(v, cut) for v in variants]
    assert compiled.STATS["compiles"] >= len(variants)
    for v, got in zip(variants, results, strict=True):
        _equal(got, _literal(lambda _, v=v: customer_facts_expr(v, cut), table), check_dtype=False)
    assert len({round(float(r["revenue_365d"].sum()), 6) for r in results}) == len(variants)


def test_a_view_and_a_table_of_one_name_and_schema_share_the_sql_and_keep_their_meaning():
    """The same name and schema on two connections, one a table, one a view that filters another
    table: one kept query (the SQL names the table), each its own data."""
    table = _tx(dt.datetime(2025, 1, 1), list(range(0, 300, 5)))
    plain = _con_with(transactions=table)
    viewed = _con_with(raw=table)
    viewed.raw_sql("CREATE VIEW transactions AS SELECT * FROM raw WHERE amount > 13")
    cut = dt.date(2025, 10, 1)
    assert compiled.shape(plain.table("transactions")) == compiled.shape(viewed.table("transactions"))
    a = customer_facts(plain.table("transactions"), cut)
    b = customer_facts(viewed.table("transactions"), cut)
    assert a["revenue_365d"].sum() > b["revenue_365d"].sum()
    t = viewed.table("raw")
    want = _finish(_to_pandas(_arrow(customer_facts_expr(t.filter(t.amount > 13), cut), None, viewed)))
    _equal(b, want, check_dtype=False)


def test_a_table_of_another_catalog_is_another_shape():
    """``transactions`` of an attached database beside the main one's, same schema, other data."""
    con = _con_with(transactions=_tx(dt.datetime(2025, 1, 1), list(range(0, 300, 5))))
    con.raw_sql("ATTACH ':memory:' AS other")
    other = _tx(dt.datetime(2025, 1, 1), list(range(0, 300, 9)))
    con.con.register("_src", other)
    con.raw_sql("CREATE TABLE other.main.transactions AS SELECT * FROM _src")
    main_t, other_t = con.table("transactions"), con.table("transactions", database=("other", "main"))
    assert compiled.shape(main_t) != compiled.shape(other_t)
    cut = dt.date(2025, 10, 1)
    customer_facts(main_t, cut)
    got = customer_facts(other_t, cut)
    _equal(got, _literal(lambda tx: customer_facts_expr(tx, cut), other), check_dtype=False)


@pytest.mark.parametrize("money", ["10,2", "18,4"])
def test_decimal_precisions_are_shapes_of_their_own(money):
    table = _tx(dt.datetime(2025, 1, 1), list(range(0, 300, 5)), money=money)
    cut = dt.date(2025, 10, 1)
    _equal(customer_facts(table, cut), _literal(lambda tx: customer_facts_expr(tx, cut), table),
                                  check_dtype=False)


def _query(con) -> tuple[compiled.Query, ibis.BaseBackend]:  # noqa: ANN001
    t = con.create_table("t", pa.table({"day": [dt.date(2026, 1, d) for d in (1, 2, 3)]}), overwrite=True)

    def build(table):  # noqa: ANN001, ANN202
        return table.filter(table.day <= compiled.at("cutoff", dt.date(2026, 1, 2))).count().name("n").as_table()

    return compiled.compiled(("edges", compiled.shape(t)), lambda: build(compiled.unbound(t)),
                             {"cutoff": dt.date(2026, 1, 2)}, con)


def _variables(con) -> int:  # noqa: ANN001
    return con.con.execute("SELECT count(*) FROM duckdb_variables()").fetchone()[0]


def test_an_error_mid_run_leaves_no_variable_and_the_next_run_reads_its_own_date():
    con = ibis.duckdb.connect()
    query = _query(con)
    broken = compiled.Query(query.sql.replace('"t"', '"missing"'), query.schema, query.variables)
    with pytest.raises(Exception, match="missing"):
        compiled.run(broken, {"cutoff": dt.date(2026, 1, 3)}, con)
    assert _variables(con) == 0
    with pytest.raises(KeyError):
        compiled.run(query, {}, con)  # a value missing: nothing run, nothing left
    assert _variables(con) == 0
    assert compiled.run(query, {"cutoff": dt.date(2026, 1, 1)}, con)["n"].to_pylist() == [1]


def test_the_callers_own_variables_are_left_alone():
    con = ibis.duckdb.connect()
    con.con.execute("SET VARIABLE cutoff = DATE '1999-01-01'")
    assert compiled.run(_query(con), {"cutoff": dt.date(2026, 1, 3)}, con)["n"].to_pylist() == [3]
    assert con.con.execute("SELECT getvariable('cutoff')").fetchone()[0] == dt.date(1999, 1, 1)


class _Paused:
    """A DuckDB connection whose first ``sql`` call lets ``meanwhile()`` run first (in another
    thread, waited for at most a second): the interleaving two threads on one connection can have."""

    def __init__(self, con, meanwhile) -> None:  # noqa: ANN001
        self._con, self._meanwhile, self._done = con, meanwhile, False

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._con, name)

    def sql(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if not self._done:
            self._done = True
            other = threading.Thread(target=self._meanwhile)
            other.start()
            other.join(1.0)
        return self._con.sql(*args, **kwargs)


def test_two_threads_on_one_connection_fail_loudly_never_mix_dates():
    """Thread A has set its date; thread B runs the same kept query on the same connection at
    another date before A's query starts. Before the fix B reset A's variable, and A counted 0
    rows (a NULL date) silently; now B is refused at once and A counts its own rows."""
    con = ibis.duckdb.connect()
    query = _query(con)
    seen: list = []

    def other() -> None:
        try:
            seen.append(compiled.run(query, {"cutoff": dt.date(2026, 1, 3)}, con)["n"].to_pylist())
        except RuntimeError as exc:
            seen.append(exc)

    real = con.con
    con.con = _Paused(real, other)
    try:
        got = compiled.run(query, {"cutoff": dt.date(2026, 1, 1)}, con)["n"].to_pylist()
    finally:
        con.con = real
    assert got == [1]
    assert len(seen) == 1 and isinstance(seen[0], RuntimeError), seen
    assert compiled.run(query, {"cutoff": dt.date(2026, 1, 3)}, con)["n"].to_pylist() == [3]


def test_cursors_of_one_database_keep_their_own_dates_in_threads():
    """The web app's way: one cursor per thread. Variables are a connection's own, so threads
    at other dates on cursors of one database each get their own facts."""
    table = _tx(dt.datetime(2025, 1, 1), list(range(0, 300, 3)))
    con = _con_with(transactions=table)
    cuts = [dt.date(2025, 3, 1) + dt.timedelta(days=23 * k) for k in range(4)]
    want = [customer_facts(con.table("transactions"), c) for c in cuts]
    got: list = [None] * len(cuts)
    errors: list = []

    def work(i: int) -> None:
        try:
            backend = ibis.duckdb.from_connection(con.con.cursor())
            for _ in range(5):
                got[i] = customer_facts(backend.table("transactions"), cuts[i])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    in_threads(work, len(cuts))
    assert not errors, errors
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w)


def test_the_cache_is_bounded_least_recently_used_first(monkeypatch):
    monkeypatch.setattr(compiled, "CACHE_SIZE", 3)
    compiled.clear()
    con = ibis.duckdb.connect()
    keys = [("bound", k) for k in range(5)]
    t = ibis.table({"d": "date"}, name="t")
    for k in keys[:3]:
        compiled.compiled(k, lambda: t, {}, con)
    compiled.compiled(keys[0], lambda: t, {}, con)  # used again: kept
    for k in keys[3:]:
        compiled.compiled(k, lambda: t, {}, con)
    held = {full[0] for full in compiled._CACHE}
    assert held == {keys[0], keys[3], keys[4]}
    compiled.clear()
