"""Money no round can count — ``NaN``, ``±inf``, ``1e999``, ``1e20`` — on every path into a round,
read by one rule before any figure is made: what ``xuanba ingest`` stores as money
(``DECIMAL(18,4)``: a finite number below :data:`~xuanba.ingest.rules.MONEY_LIMIT`).

- an amount that is no such number: the row left out and counted (*non-numeric amount*), by ingest
  and by an engine round's source check alike (a Parquet source's ``1e308`` twice made one
  customer's revenue ``inf``: the criterion read it as missing, and the biggest customer was not
  selected, while the headline figures counted it 0);
- a cost that is no such number: left empty and counted, by both (an engine round's margin was
  ``-inf`` or ``NaN``);
- a side table's number (an interaction's cost): the row rejected as *not a number*, as ``NaN``
  already was (an ``inf`` cost made profit ``-inf``: the workspace round's figures counted it as
  ``-1.8e308``, an engine round's as 0);
- a money field given as an extra field: refused, naming the column, the value and the customer;
- an interaction cost no round can count already in a workspace (loaded before): refused by the
  round on both paths before any figure.

The whale curve's peak is found in whole units on both paths (a tail of customers without profit
sat an ulp above or below 100 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._helpers import spark_test
from tests.test_round_engine import BUSY_STANDARD, _close, assert_same_round, read_roster
from tests.test_round_engine_source import CUTOFF, _parquet, _plain
from xuanba.errors import DataError
from xuanba.ingest import ingest
from xuanba.rounds import run_round
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.rounds.source_check import rejected_line

PROFIT_STANDARD = """
[standard]
name = "profit"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 0.5
[[criteria]]
name = "profit"
field = "profit_365d"
normalise = "minmax"
weight = 0.5
[[tiers]]
name = "A"
quota = 10
"""


def _money_hostile(n: int = 150, seed: int = 8) -> pd.DataFrame:
    """Transactions with costs, and amounts and costs no workspace stores as money: huge amounts
    (one customer's two of ``1e300`` overflow a float sum), infinite and NaN costs, a cost of ``1e20``."""
    tx = _plain(n, seed=seed)
    tx["cost"] = (tx["amount"] * 0.4).round(2)
    big = tx.index[tx["customer_id"] == tx["customer_id"].iloc[0]]
    tx.loc[big[:2], "amount"] = 1e300
    tx.loc[20, "amount"] = 1e20
    tx.loc[21, "amount"] = -2e14
    tx.loc[30, "cost"] = np.inf
    tx.loc[31, "cost"] = -np.inf
    tx.loc[32, "cost"] = np.nan
    tx.loc[33, "cost"] = 1e20
    return tx


def _parquet_costs(tx: pd.DataFrame, path) -> str:
    """:func:`_parquet`, the costs' NaN kept as NaN too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _parquet(tx, path)
    table = pq.read_table(path)
    costs = pa.array(tx["cost"].to_numpy(dtype=float), from_pandas=False)
    pq.write_table(table.set_column(table.schema.get_field_index("cost"), "cost", costs), path)
    return str(path)


def test_money_no_workspace_stores_is_read_by_an_engine_round_as_ingest_reads_it(tmp_path):
    """Huge amounts and non-finite or huge costs in a Parquet source: the engine round leaves out
    the rows ingest rejects and empties the costs ingest empties, counted as ingest counts them,
    and gives ingest-then-workspace-round's roster and headline figures (on main the engine kept
    them: one customer's revenue ``inf``, margins ``-inf`` and ``NaN``)."""
    tx = _money_hostile()
    src = _parquet_costs(tx, tmp_path / "tx.parquet")
    ws = tmp_path / "ws.duckdb"
    report = ingest(src, ws, tz="UTC")
    want = run_round(ws, BUSY_STANDARD, CUTOFF, store=False, check_model=False)
    got = run_round_on_engine(duckdb_source(src), BUSY_STANDARD, CUTOFF, roster_out=tmp_path / "out",
                              check_model=False)
    rows = got.meta["source_rows"]
    assert rows["rejected_by_reason"] == report.rejected_by_reason == {"non-numeric amount": 4}
    assert rows["values_left_empty"] == report.sources[0].values_left_empty == {"cost": 4}
    assert_same_round(got, want, tmp_path / "out")
    fields = pd.read_parquet(tmp_path / "out" / "fields.parquet")
    for col in ("revenue_365d", "margin_365d", "revenue_total", "margin_total"):
        values = fields[col].dropna().to_numpy(dtype=float)
        assert np.isfinite(values).all() and (np.abs(values) < 1e14 * len(tx)).all(), col
    said = rejected_line(got.meta, "en")
    assert "4 of the source's" in said and "left empty, as `xuanba ingest` leaves them (cost: 4)." in said
    assert "留空的值（cost：4）" in rejected_line(got.meta, "zh")


def test_a_clean_source_says_no_emptied_costs():
    """Costs all readable: no ``values_left_empty`` in the meta (the meta of a clean round as
    before) and nothing on the console."""
    tx = _plain(80, seed=3)
    tx["cost"] = tx["amount"] * 0.5
    got = run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False)
    assert "values_left_empty" not in got.meta["source_rows"]
    assert rejected_line(got.meta, "en") is None


@pytest.mark.parametrize("text", ["inf", "1e999", "-Infinity", "NaN", "1e20", "nan"])
def test_a_side_table_number_no_workspace_stores_is_not_a_number(text):
    """An interaction's cost written ``inf``, ``1e999`` (read as infinite), ``NaN`` or ``1e20``:
    the row is rejected as *not a number* (on main ``inf`` and ``1e999`` were read as infinite
    costs); an empty-looking ``nan`` stays missing, as before."""
    from xuanba.ingest.sidetables import read_side_table

    raw = pd.DataFrame({"customer_id": ["a", "b"], "ts": ["2025-06-01", "2025-06-02"], "cost": ["12.5", text]})
    table, rejects = read_side_table("interactions", raw)
    if text == "nan":  # a blank cell as pandas writes it: missing, not rejected
        assert len(table) == 2 and table["cost"].isna().tolist() == [False, True]
        return
    assert table["customer_id"].tolist() == ["a"] and table["cost"].tolist() == [12.5]
    assert rejects.to_dict("records") == [{"row": 2, "column": "cost", "value": text, "reason": "not a number"}]


def test_an_infinite_interaction_cost_is_rejected_and_both_rounds_agree(tmp_path):
    """An interactions file with one ``inf`` cost: ingest rejects that row, so profit stays finite,
    and the workspace round and the engine round over the same workspace give the same headline
    figures (on main the workspace counted the ``-inf`` profit as ``-1.8e308``, the engine as 0)."""
    tx = _plain(120, seed=5)
    ws = tmp_path / "ws.duckdb"
    ingest(tx, ws, tz="UTC")
    ids = tx["customer_id"].drop_duplicates().tolist()
    (tmp_path / "i.csv").write_text("customer_id,ts,kind,cost\n"
                                    f"{ids[0]},2025-06-01,call,20\n{ids[1]},2025-06-02,visit,inf\n"
                                    f"{ids[2]},2025-07-02,visit,1e999\n{ids[3]},2025-07-03,call,5\n")
    report = ingest(tmp_path / "i.csv", ws, kind="interactions")
    assert report.rejected == 2
    want = run_round(ws, PROFIT_STANDARD, CUTOFF, store=False, check_model=False)
    got = run_round_on_engine(duckdb_source(_parquet(tx, tmp_path / "tx.parquet")), PROFIT_STANDARD, CUTOFF,
                              side_tables=ws, check_model=False)
    assert want.meta["summary"]["measure"] == "profit_365d"
    assert np.isfinite(want.fields["profit_365d"].to_numpy(dtype=float)).all()
    assert abs(want.meta["summary"]["value_total"]) < 1e14
    assert got.meta["summary"] == want.meta["summary"]


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e20, "abc"])
@pytest.mark.parametrize("engine", [False, True])
def test_a_money_field_given_as_an_extra_field_must_be_money(tmp_path, value, engine):
    """``revenue_365d`` given in the extra fields (they win over the computed one) with a value no
    round can count: refused before the round runs, naming the column, the value and the customer,
    on the workspace path and on an engine alike (on main it was scored and counted); a missing
    value (``None``, and a NaN, which pandas writes for one) is missing."""
    tx = _plain(60, seed=2)
    ids = tx["customer_id"].drop_duplicates().tolist()
    extra = pd.DataFrame({"customer_id": ids, "revenue_365d": pd.Series([10.0] * len(ids), dtype=object)})
    extra.loc[3, "revenue_365d"] = value
    ws = tmp_path / "ws.duckdb"
    if not engine:
        ingest(tx, ws, tz="UTC")
    run = (lambda e: run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, extra_fields=e, check_model=False)) if engine \
        else (lambda e: run_round(ws, BUSY_STANDARD, CUTOFF, extra_fields=e, store=False, check_model=False))
    with pytest.raises(DataError) as err:
        run(extra)
    assert err.value.column == "revenue_365d" and repr(ids[3]) in str(err.value) and str(value) in str(err.value)
    extra.loc[3, "revenue_365d"] = None
    extra.loc[4, "revenue_365d"] = np.nan
    assert run(extra).meta["n_customers"] == len(ids)


@spark_test
def test_money_no_workspace_stores_is_read_on_spark_as_on_duckdb(spark, tmp_path):
    """The same source read by Spark (which takes a NaN for missing where DuckDB does not): the same
    rows left out, the same costs emptied, the same customers and scored fields, and the same
    roster and headline figures as on DuckDB — every text, rank and tier equal, numbers within a
    relative 1e-12: the cheapest change inverts a z-score from sums over the base, which each
    engine adds in its own order (Spark by partition, DuckDB by ``fsum``), so that column may
    differ in its last bit or two (sparkdiff20 found 1-2 ulp on this base), as
    :func:`tests.test_round_engine.assert_same_round` allows."""
    from xuanba.rounds.spark import spark_source

    tx = _money_hostile(100, seed=6)
    src = _parquet_costs(tx, tmp_path / "tx.parquet")
    duck = run_round_on_engine(duckdb_source(src), BUSY_STANDARD, CUTOFF, check_model=False,
                               roster_out=tmp_path / "duck")
    got = run_round_on_engine(spark_source(spark, src), BUSY_STANDARD, CUTOFF, check_model=False,
                              roster_out=tmp_path / "spark")
    assert got.meta["source_rows"] == duck.meta["source_rows"]
    assert duck.meta["source_rows"]["values_left_empty"] == {"cost": 4}
    for key in ("n_customers", "n_selected", "data_sha256", "tier_counts"):  # the same customers and scored fields
        assert got.meta[key] == duck.meta[key], key
    a, b = read_roster(tmp_path / "spark"), read_roster(tmp_path / "duck")
    floats = [c for c in a.columns if a[c].dtype.kind == "f"]
    pd.testing.assert_frame_equal(a.drop(columns=floats), b.drop(columns=floats))
    pd.testing.assert_frame_equal(a[floats], b[floats], check_exact=False, rtol=1e-12, atol=1e-9)
    assert _close(got.meta["summary"], duck.meta["summary"])


def test_the_whale_peak_is_the_last_customer_with_a_profit_on_both_paths():
    """Customers active without a profit after the last with one (a common tail): the curve is flat
    at 100 % from the last profit on, so its peak is that customer, on the workspace and on the
    engine alike. On main a float running sum against a float total put the flat part an ulp above
    or below 100 %: the peak was the last customer on one path and the last with a profit on the
    other (found by the first test of this file)."""
    import ibis
    import pyarrow as pa

    from xuanba.rounds.engine import _whale_on_engine
    from xuanba.rounds.summary import round_summary

    rng = np.random.default_rng(7)
    con = ibis.duckdb.connect()
    for trial in range(40):
        n, zeros = int(rng.integers(3, 60)), int(rng.integers(1, 10))
        profit = np.concatenate([np.round(rng.uniform(0.01, 500.0, n), 2), np.zeros(zeros)])
        ids = [f"c{i:03d}" for i in rng.permutation(len(profit))]
        fields = pd.DataFrame({"customer_id": ids, "profit_365d": profit, "revenue_365d": profit + 1.0})
        roster = pd.DataFrame({"customer_id": ids, "tier": "", "selected": False, "quadrant": ""})
        want = round_summary(roster, fields)["whale"]
        table = con.create_table(f"w{trial}", pa.Table.from_pandas(fields, preserve_index=False))
        got = _whale_on_engine(table, "profit_365d", ["profit_365d", "revenue_365d"])
        assert want["customers"] == n and want["profit_pct"] == 100.0, (trial, want)
        assert got == want, (trial, got, want)


@pytest.mark.parametrize("engine", [False, True])
def test_a_workspace_holding_an_infinite_interaction_cost_is_refused_by_both_rounds(tmp_path, engine):
    """A workspace loaded before ingest rejected them holds an ``inf`` interaction cost: the round
    is refused before any figure (customer and fix said), on the workspace path and on an engine
    alike; on main the workspace round counted the profit of ``-inf`` as ``-1.8e308`` and the
    engine round as 0."""
    from xuanba import Workspace

    tx = _plain(80, seed=4)
    ws = tmp_path / "ws.duckdb"
    ingest(tx, ws, tz="UTC")
    who = tx["customer_id"].iloc[0]
    (tmp_path / "i.csv").write_text(f"customer_id,ts,kind,cost\n{who},2025-06-01,call,20\n")
    ingest(tmp_path / "i.csv", ws, kind="interactions")
    with Workspace(ws) as w:  # as an older ingest left it
        w.con.execute("UPDATE interactions SET cost = 'inf'::DOUBLE")
    with pytest.raises(DataError, match="not money a round can count") as err:
        if engine:
            run_round_on_engine(duckdb_source(_parquet(tx, tmp_path / "tx.parquet")), PROFIT_STANDARD, CUTOFF,
                                side_tables=ws, check_model=False)
        else:
            run_round(ws, PROFIT_STANDARD, CUTOFF, store=False, check_model=False)
    assert repr(who) in str(err.value) and "xuanba ingest" in str(err.value)
    assert "不是本轮能计入的金额" in err.value.phrase.words("zh")
