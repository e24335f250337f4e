"""A stranger's attacks on the money rule of an engine round (review of the money edges): the
costs and amounts an honest user writes, read by ingest and by an engine round's source check
row for row, and the whale peak at the edges of its whole units."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests._helpers import spark_test
from tests.test_round_engine import BUSY_STANDARD
from tests.test_round_engine_source import CUTOFF, _plain
from xuanba import Workspace
from xuanba.errors import InputError
from xuanba.ingest import ingest
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.rounds.source_check import checked_transactions


def _kept_by_ingest(src, ws) -> tuple[pd.DataFrame, dict, dict]:
    """The rows ingest stores of ``src`` (customer, day, amount and cost as doubles), its counts
    by reason and its costs left empty."""
    report = ingest(str(src), ws, tz="UTC")
    with Workspace(ws) as w:
        kept = w.con.execute("SELECT customer_id, CAST(ts AS DATE) AS day, CAST(amount AS DOUBLE) AS amount, "
                             "CAST(cost AS DOUBLE) AS cost FROM transactions").df()
    return kept, report.rejected_by_reason, report.sources[0].values_left_empty


def _kept_by_engine(src) -> tuple[pd.DataFrame, dict, dict]:
    """The same of an engine round's source check (DuckDB) over ``src``."""
    table, rows = checked_transactions(duckdb_source(str(src)), CUTOFF)
    cost = {"cost": table.cost.cast("float64")} if "cost" in table.columns else {}
    kept = table.select("customer_id", day=table.ts.cast("date"), amount=table.amount.cast("float64"),
                        **cost).to_pyarrow().to_pandas()
    return kept, rows["rejected_by_reason"], rows.get("values_left_empty", {})


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["customer_id", "day", "amount"]
    a = a.assign(day=pd.to_datetime(a["day"])).sort_values(key, ignore_index=True)
    b = b.assign(day=pd.to_datetime(b["day"])).sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


#: An honest and a hostile amount and cost on each row, as a Parquet of doubles carries them.
EDGE_AMOUNTS = [10.0, -5.0, 0.0, 0.0001, 99_999_999_999_999.98, 1e14, -1e14, 12.5, 1e300, np.inf, -np.inf,
                np.nan, 3.0, 7.0]
EDGE_COSTS = [1.0, np.nan, np.inf, 0.0001, 2.0, 1.0, 1.0, -np.inf, 1.0, 1.0, 1.0, 1.0, 1e20,
              99_999_999_999_999.98]


def test_ingest_and_the_engine_keep_the_same_rows_of_a_parquet_of_money_edges(tmp_path):
    """Negative amounts (returns), zero, 0.0001, the largest double below 1e14, 1e14 itself, 1e300,
    ±inf and NaN, with NaN, ±inf, 1e20 and near-limit costs: the engine's source check keeps the
    rows ingest stores, with the same amounts and the same costs (emptied where ingest empties
    them), and counts the same rows by the same reasons."""
    n = len(EDGE_AMOUNTS)
    src = tmp_path / "tx.parquet"
    pq.write_table(pa.table({
        "customer_id": [f"c{i % 5}" for i in range(n)],
        "ts": pa.array(pd.date_range("2025-01-01", periods=n, freq="D").astype("datetime64[us]")),
        "amount": pa.array(np.array(EDGE_AMOUNTS), from_pandas=False),
        "cost": pa.array(np.array(EDGE_COSTS), from_pandas=False)}), src)
    want, reasons, emptied = _kept_by_ingest(src, tmp_path / "ws.duckdb")
    got, got_reasons, got_emptied = _kept_by_engine(src)
    assert len(want) == 8 and reasons == {"non-numeric amount": 6} and emptied == {"cost": 4}
    assert (got_reasons, got_emptied) == (reasons, emptied)
    _same_rows(got, want)


@pytest.mark.parametrize("cost", ["abc", "12%", "1.2元万"])
def test_a_text_cost_the_engine_cannot_read_is_said_not_silently_emptied(tmp_path, cost):
    """A CSV whose costs are text, one of them no number by ingest's rules: an engine round says
    so, with the column, the value and the fix, as it does for an amount (ingest leaves such a cost
    empty and counts it); it never leaves it empty silently."""
    tx = _plain(60, seed=2)
    tx["cost"] = (tx["amount"] * 0.4).round(2).map(lambda v: f"{v:.2f}")
    tx.loc[3, "cost"] = cost
    tx.to_csv(tmp_path / "tx.csv", index=False)
    with pytest.raises(InputError) as err:
        run_round_on_engine(duckdb_source(tmp_path / "tx.csv"), BUSY_STANDARD, CUTOFF, check_model=False)
    assert err.value.column == "cost" and repr(cost) in str(err.value) and err.value.count == 1
    assert err.value.row == 4 and "xuanba ingest" in str(err.value)


@pytest.mark.parametrize(("cost", "value"), [("1,234.50", 1234.5), ("¥12", 12.0), ("(3.00)", -3.0),
                                             ("1.2万元", 12000.0)])
def test_a_text_cost_ingest_reads_is_read_by_the_engine_as_ingest_stores_it(tmp_path, cost, value):
    """A CSV's costs written as a spreadsheet exports them (``1,234.50``, ``¥12``, ``(3.00)``,
    ``1.2万元``): refused by the engine on 54f240f, now read by ingest's own SQL, row for row the
    costs ingest stores."""
    tx = _plain(60, seed=2)
    tx["cost"] = (tx["amount"] * 0.4).round(2).map(lambda v: f"{v:.2f}")
    others = int((tx["cost"].drop(index=3).astype(float) == value).sum())
    tx.loc[3, "cost"] = cost
    tx.to_csv(tmp_path / "tx.csv", index=False)
    want, reasons, emptied = _kept_by_ingest(tmp_path / "tx.csv", tmp_path / "ws.duckdb")
    got, got_reasons, got_emptied = _kept_by_engine(tmp_path / "tx.csv")
    assert (got_reasons, got_emptied) == (reasons, emptied) == ({}, {})
    assert int((want.cost == value).sum()) == others + 1
    _same_rows(got, want)


def test_text_costs_no_workspace_stores_are_emptied_as_ingest_empties_them(tmp_path):
    """Text costs that read as numbers but are not money (``inf``, ``NaN``, ``1e20``): emptied and
    counted by both, the rows kept."""
    tx = _plain(40, seed=3)
    tx["cost"] = (tx["amount"] * 0.4).round(2).map(lambda v: f"{v:.2f}")
    tx.loc[[2, 5, 9], "cost"] = ["inf", "NaN", "1e20"]
    tx.to_csv(tmp_path / "tx.csv", index=False)
    want, reasons, emptied = _kept_by_ingest(tmp_path / "tx.csv", tmp_path / "ws.duckdb")
    got, got_reasons, got_emptied = _kept_by_engine(tmp_path / "tx.csv")
    assert emptied == got_emptied == {"cost": 3} and reasons == got_reasons == {}
    _same_rows(got, want)


@pytest.mark.parametrize("form", ["csv", "parquet null", "parquet decimal", "parquet int"])
def test_costs_all_missing_or_typed_otherwise_are_read_as_ingest_reads_them(tmp_path, form):
    """A cost column with no value at all (an empty CSV column, a Parquet column of type null),
    or costs as Decimal or as integers: the engine keeps ingest's rows and costs, nothing emptied."""
    tx = _plain(40, seed=6)
    if form == "csv":
        tx["cost"] = ""
        src = tmp_path / "tx.csv"
        tx.to_csv(src, index=False)
    else:
        table = pa.Table.from_pandas(tx, preserve_index=False)
        cost = {"parquet null": pa.nulls(len(tx)),
                "parquet decimal": pa.array([Decimal(f"{v * 0.4:.2f}") for v in tx["amount"]], pa.decimal128(18, 2)),
                "parquet int": pa.array((tx["amount"] * 0.4).round().astype("int64"))}[form]
        src = tmp_path / "tx.parquet"
        pq.write_table(table.append_column("cost", cost), src)
    want, reasons, emptied = _kept_by_ingest(src, tmp_path / "ws.duckdb")
    got, got_reasons, got_emptied = _kept_by_engine(src)
    assert (got_reasons, got_emptied) == (reasons, emptied) == ({}, {})
    _same_rows(got, want)


@pytest.mark.parametrize("typ", ["decimal", "string"])
def test_the_largest_amount_ingest_stores_is_kept_by_the_engine(tmp_path, typ):
    """``99999999999999.9999`` (1e14 - 0.0001), the largest DECIMAL(18,4): ingest stores it; an
    engine source of Decimal or text carries it exactly, so the engine keeps it too (a double of
    it is 1e14, over the limit); ``100000000000000`` is refused by both."""
    values = ["99999999999999.9999", "-99999999999999.9999", "100000000000000", "12.5"]
    tx = _plain(4, seed=1).head(4).reset_index(drop=True)
    table = pa.Table.from_pandas(tx.drop(columns="amount"), preserve_index=False)
    amount = pa.array([Decimal(v) for v in values], pa.decimal128(20, 4)) if typ == "decimal" else pa.array(values)
    pq.write_table(table.append_column("amount", amount), tmp_path / "tx.parquet")
    want, reasons, _ = _kept_by_ingest(tmp_path / "tx.parquet", tmp_path / "ws.duckdb")
    got, got_reasons, _ = _kept_by_engine(tmp_path / "tx.parquet")
    assert reasons == {"non-numeric amount": 1} and len(want) == 3
    assert got_reasons == reasons
    _same_rows(got.drop(columns="cost", errors="ignore"), want.drop(columns="cost"))


def test_a_base_worth_more_than_2_to_the_63_keeps_its_sums_and_whale_peak():
    """100,000 customers of about 9.5e13 each (money each below the limit; 9.4e18 in all, past
    int64's 9.2e18 in whole units): the value total is the float sum to 1e-12, and the whale peak
    is found, the same on the workspace path and on the engine (counted in whole units it wrapped
    around: a total of -9e18, no peak on the workspace, ``ArrowInvalid`` on the engine)."""
    import ibis

    from xuanba.rounds.engine import _whale_on_engine
    from xuanba.rounds.summary import round_summary

    n = 100_000
    rng = np.random.default_rng(1)
    profit = np.round(rng.uniform(9.3e13, 9.9e13, n), 2)
    profit[:10] = -5e13  # a few losses, so the peak is inside
    ids = [f"c{i:06d}" for i in range(n)]
    fields = pd.DataFrame({"customer_id": ids, "profit_365d": profit, "revenue_365d": profit + 1.0})
    roster = pd.DataFrame({"customer_id": ids, "tier": "", "selected": False, "quadrant": ""})
    summary = round_summary(roster, fields)
    assert summary["value_total"] == pytest.approx(float(profit.sum()), rel=1e-12)
    want = summary["whale"]
    assert want["customers"] == n - 10 and want["profit_pct"] == pytest.approx(
        100.0 * profit[10:].sum() / profit.sum(), rel=1e-12)
    table = ibis.duckdb.connect().create_table("w", pa.Table.from_pandas(fields, preserve_index=False))
    assert _whale_on_engine(table, "profit_365d", ["profit_365d", "revenue_365d"]) == want


@pytest.mark.parametrize("second", [False, True], ids=["first load", "into a workspace with transactions"])
def test_an_order_whose_lines_add_up_past_the_limit_is_said_not_a_traceback(tmp_path, second):
    """Two lines of one order of 6e13 each (each below the limit; found by review20e, a DuckDB
    ConversionException before): ingest names the file, the order's first row, the amount column
    and the fix, in both languages, and stores nothing of the file."""
    from xuanba.workspace import Workspace

    ws = tmp_path / "ws.duckdb"
    if second:
        (tmp_path / "a.csv").write_text("customer_id,ts,amount,order_id\nz,2024-01-01,5,o0\n", encoding="utf-8")
        ingest(str(tmp_path / "a.csv"), ws, tz="UTC")
    (tmp_path / "o.csv").write_text("customer_id,ts,amount,order_id,product\nb,2025-01-02,5,o2,x\n"
                                    "a,2025-01-01,60000000000000,o1,x\na,2025-01-01,60000000000000,o1,y\n",
                                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest(str(tmp_path / "o.csv"), ws, tz="UTC")
    e = err.value
    assert (Path(e.file).name, e.row, e.column) == ("o.csv", 2, "amount"), (e.file, e.row, e.column)
    assert "o1" in str(e) and "120000000000000" in str(e) and "1e14" in str(e)
    assert "订单 o1" in e.phrase.words("zh") and e.fix_phrase is not None
    with Workspace(ws) as w:  # the first load leaves not even the table
        tables = {r[0] for r in w.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        n = w.con.execute("SELECT count(*) FROM transactions").fetchone()[0] if "transactions" in tables else 0
    assert n == (1 if second else 0)


@spark_test
@pytest.mark.parametrize("typ", ["decimal", "string"])
def test_the_largest_amount_and_text_costs_read_on_spark_as_on_duckdb(spark, tmp_path, typ):
    """The amounts of :func:`test_the_largest_amount_ingest_stores_is_kept_by_the_engine` with text
    costs (one ``inf``, emptied) on Spark: the same rows kept and the same costs emptied as on
    DuckDB (Spark's own cast to DECIMAL(18,4))."""
    from xuanba.rounds.spark import spark_source

    values = ["99999999999999.9999", "-99999999999999.9999", "100000000000000", "12.5"]
    tx = _plain(4, seed=1).head(4).reset_index(drop=True)
    table = pa.Table.from_pandas(tx.drop(columns="amount"), preserve_index=False)
    amount = pa.array([Decimal(v) for v in values], pa.decimal128(20, 4)) if typ == "decimal" else pa.array(values)
    table = table.append_column("amount", amount).append_column("cost", pa.array(["1.5", "inf", "2", "3"]))
    pq.write_table(table, tmp_path / "tx.parquet")
    _, duck = checked_transactions(duckdb_source(str(tmp_path / "tx.parquet")), CUTOFF)
    _, got = checked_transactions(spark_source(spark, str(tmp_path / "tx.parquet")), CUTOFF)
    assert got == duck == {"input_rows": 4, "used": 3, "rejected": 1,
                           "rejected_by_reason": {"non-numeric amount": 1}, "values_left_empty": {"cost": 1}}
