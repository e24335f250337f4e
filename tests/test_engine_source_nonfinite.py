"""A number that is not finite (``inf``, ``-inf``, ``Infinity``, ``NaN``, ``1e999``) in a number field,
read by ``xuanba ingest`` and by an engine round over the same source.

Each path already treats a value of a field it cannot read one way: a quantity left empty and
counted (``values_left_empty``), never a return; an amount rejected as *non-numeric amount*; a
cost left empty and counted; a unit price giving no amount. A non-finite number is read as such
a value, on both paths, as text (a CSV's, an xlsx's cells) and as a float (a Parquet column, an
in-memory Arrow or pandas table). 6a3d048 stored a quantity of ``inf``/``nan`` as given, and a
``-inf`` one made the line a return (its money netted, its day no purchase) on both paths.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests._helpers import spark_test
from xuanba import Workspace
from xuanba.facts import customer_facts
from xuanba.facts.expressions import FACT_COLUMNS
from xuanba.ingest import ingest
from xuanba.rounds.engine import DECIMALS, duckdb_source, engine_fields
from xuanba.rounds.source_check import checked_transactions, rejected_line
from xuanba.standard import load_standard

CUTOFF = dt.date(2025, 12, 31)
STANDARD = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                         'field = "revenue_total"\nweight = 1\n')
#: Spellings of a non-finite number as text: DuckDB's, pandas', Java's, an overflowing exponent.
TEXTS = ["inf", "-inf", "Infinity", "-Infinity", "nan", "NaN", "-nan", "1e999", "-1e999", " -INF "]
#: Non-finite floats, with NaN twice (DuckDB 1.5.6 misreads ``x < c`` over a Parquet column of NaN).
FLOATS = [float("inf"), float("-inf"), float("nan"), float("nan"), -float("nan")]
GOOD = {"amount": 5.0, "cost": 1.0, "quantity": 2.0, "unit_price": 2.5}


def _columns(field: str, bad: list) -> dict[str, list]:
    """Customer ``a``: a sale of 5 (cost 1, 2 units) on each of the ``bad`` cells' days, ``field``
    holding the cell; two good lines of ``a`` and ``b`` around them, one of them a return by its
    quantity (-1), so that the facts tell a return from a sale."""
    n = len(bad)
    fields = ["amount", "cost", "quantity"] if field != "unit_price" else ["unit_price", "cost", "quantity"]
    cols: dict[str, list] = {"customer_id": ["a"] * n + ["a", "b", "b"],
                             "ts": [dt.datetime(2025, 3, 1 + i, 10) for i in range(n)]
                             + [dt.datetime(2025, 2, 1, 10), dt.datetime(2025, 4, 1, 10), dt.datetime(2025, 5, 1, 10)]}
    for f in fields:
        cols[f] = [GOOD[f]] * (n + 3)
    cols["quantity"][-1] = -1.0  # b's second line: a return
    cols[field] = [*bad, GOOD[field], GOOD[field], cols[field][-1]]
    return cols


def _write(cols: dict[str, list], form: str, folder) -> object:
    """The lines as ``form``: a CSV or an xlsx of text cells, a Parquet file or an Arrow/pandas table
    of floats (NaN kept a float: pandas' own writers store it as null)."""
    if form in ("csv", "xlsx"):
        frame = pd.DataFrame({k: [v if isinstance(v, str) else (f"{v:%Y-%m-%d %H:%M:%S}" if isinstance(v, dt.datetime)
                                                                else repr(v)) for v in vs] for k, vs in cols.items()})
        path = folder / f"tx.{form}"
        frame.to_csv(path, index=False) if form == "csv" else frame.to_excel(path, index=False)
        return path
    table = pa.table(cols)
    if form == "parquet":
        pq.write_table(table, folder / "tx.parquet")
        return folder / "tx.parquet"
    return table if form == "arrow" else table.to_pandas()


def _ingested(source, folder):
    with Workspace(folder / "ws.duckdb") as ws:
        report = ingest(str(source) if not isinstance(source, (pa.Table, pd.DataFrame)) else source, ws, tz="UTC")
        facts = customer_facts(ws, CUTOFF)
        kept = ws.sql("SELECT customer_id, amount, cost, quantity, is_return FROM transactions ORDER BY ts")
    return report.sources[0], facts, kept


def _engine(source):
    src = duckdb_source(str(source)) if not isinstance(source, (pa.Table, pd.DataFrame)) else source
    _, rows = checked_transactions(src, CUTOFF)
    facts = engine_fields(src, STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    return rows, facts


def _same_facts(kept: pd.DataFrame, got: pd.DataFrame) -> None:
    cols = [c for c in FACT_COLUMNS if c in got.columns and c in kept.columns and c != "customer_id"]
    assert {"frequency", "orders", "revenue_total"} <= set(cols)
    kept, got = kept.set_index("customer_id").sort_index(), got.set_index("customer_id").sort_index()
    assert kept.index.tolist() == got.index.tolist()
    for col in cols:
        a, b = kept[col], got[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(b.astype(float), a.astype(float), rtol=0, atol=10.0 ** -DECIMALS, err_msg=col)


def _cells(form: str) -> list:
    return TEXTS if form in ("csv", "xlsx") else FLOATS


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet", "arrow", "pandas"])
def test_a_quantity_not_finite_is_no_number_and_no_return_on_either_path(tmp_path, form):
    """Left empty and counted by ingest, counted by the engine (its meta and console), and no line
    of them a return on either path: a's lines are sales of 5 each, as written. On 6a3d048 the
    ``-inf`` lines were returns (a's revenue down by 10 or 15) and ``inf``/``nan`` were stored."""
    bad = _cells(form)
    source = _write(_columns("quantity", bad), form, tmp_path)
    rep, kept_facts, kept = _ingested(source, tmp_path)
    want_empty = len(bad) if form not in ("pandas",) else sum(not np.isnan(x) for x in bad)  # pandas' NaN: missing
    assert rep.values_left_empty == {"quantity": want_empty} and rep.returns == 1 and rep.rejected == 0
    assert kept.quantity.isna().sum() == len(bad) and not kept.is_return[kept.customer_id == "a"].any()
    by_id = kept_facts.set_index("customer_id")  # by hand: a's lines all sales, b's second a return
    assert by_id.loc["a", "revenue_total"] == 5.0 * (len(bad) + 1) and by_id.loc["a", "frequency"] == len(bad)
    assert by_id.loc["b", "revenue_total"] == 0.0
    if form == "xlsx":  # no engine reads a workbook: its cells are the CSV's, read alike (above)
        return
    rows, got = _engine(source)
    assert rows["values_left_empty"] == {"quantity": want_empty} and rows["rejected"] == 0
    _same_facts(kept_facts, got)
    for lang, word in (("en", "infinite"), ("zh", "无穷大")):
        said = rejected_line({"source_rows": rows}, lang)
        assert word in said and f"{want_empty:,}" in said, said


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet", "arrow"])
def test_an_amount_not_finite_is_a_non_numeric_amount_on_either_path(tmp_path, form):
    bad = _cells(form)
    source = _write(_columns("amount", bad), form, tmp_path)
    rep, kept_facts, _ = _ingested(source, tmp_path)
    assert rep.rejected_by_reason == {"non-numeric amount": len(bad)}
    by_id = kept_facts.set_index("customer_id")
    assert by_id.loc["a", "revenue_total"] == 5.0 and by_id.loc["a", "frequency"] == 0
    if form == "xlsx":
        return
    rows, got = _engine(source)
    assert rows["rejected_by_reason"] == {"non-numeric amount": len(bad)} and rows["used"] == 3
    _same_facts(kept_facts, got)


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet", "arrow"])
def test_a_cost_not_finite_is_left_empty_on_either_path(tmp_path, form):
    bad = _cells(form)
    source = _write(_columns("cost", bad), form, tmp_path)
    rep, kept_facts, kept = _ingested(source, tmp_path)
    assert rep.values_left_empty == {"cost": len(bad)} and rep.rejected == 0
    assert kept.cost.isna().sum() == len(bad)
    if form == "xlsx":
        return
    rows, got = _engine(source)
    assert rows["values_left_empty"] == {"cost": len(bad)}
    _same_facts(kept_facts, got)


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet", "arrow"])
def test_a_unit_price_not_finite_gives_no_amount(tmp_path, form):
    """Ingest multiplies quantity and unit price where a file has no amount: a non-finite price
    gives none, the line rejected as *non-numeric amount* (an engine round reads no such file:
    it asks for an amount column, tests/test_engine_source_headers.py)."""
    bad = _cells(form)
    source = _write(_columns("unit_price", bad), form, tmp_path)
    rep, kept_facts, kept = _ingested(source, tmp_path)
    assert rep.rejected_by_reason == {"non-numeric amount": len(bad)} and len(kept) == 3
    assert sorted(kept.amount.astype(float)) == [-2.5, 5.0, 5.0]  # by hand: 2 × 2.5, b's return netted


def test_a_parquet_quantity_of_nan_beside_negatives_is_read_right(tmp_path):
    """A float quantity holding NaN beside negative numbers, in a Parquet file whose statistics
    DuckDB 1.5.6 misreads for ``x < c`` (docs/benchmarks_round.md, duck26): only the negative
    lines are returns, the NaN ones counted, alike on both paths."""
    quantities = [1.0, -3.0, float("nan"), 2.0, float("nan"), -1.0]
    cols = {"customer_id": ["a", "a", "a", "b", "b", "b"], "ts": [dt.datetime(2025, 1 + i, 1) for i in range(6)],
            "amount": [10.0, 4.0, 6.0, 5.0, 7.0, 2.0], "quantity": quantities}
    source = _write(cols, "parquet", tmp_path)
    rep, kept_facts, kept = _ingested(source, tmp_path)
    rows, got = _engine(source)
    assert rep.returns == 2 and rep.values_left_empty == {"quantity": 2} == rows["values_left_empty"]
    _same_facts(kept_facts, got)
    by_id = got.set_index("customer_id")  # by hand: a 10 - 4 + 6, b 5 + 7 - 2
    assert by_id.loc["a", "revenue_total"] == 12.0 and by_id.loc["b", "revenue_total"] == 10.0


@spark_test
@pytest.mark.parametrize("typ", ["float", "text"])
def test_a_quantity_not_finite_is_read_on_spark_as_on_duckdb(spark, tmp_path, typ):
    """A Parquet quantity of NaN and ±inf as floats, or their spellings as text: on Spark (Java's
    cast, Ibis' NaN-as-null) the same lines returns and the same quantities counted as on DuckDB."""
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    bad = FLOATS if typ == "float" else TEXTS
    cols = _columns("quantity", bad)
    if typ == "text":
        cols["quantity"] = [q if isinstance(q, str) else repr(q) for q in cols["quantity"]]
    path = _write(cols, "parquet", tmp_path)
    duck, _ = _engine(path)
    got = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    assert got[1] == duck == {"input_rows": len(bad) + 3, "used": len(bad) + 3, "rejected": 0, "rejected_by_reason": {},
                              "values_left_empty": {"quantity": len(bad)}}
    assert sorted(to_arrow(got[0].select("is_return"))["is_return"].to_pylist()) == [False] * (len(bad) + 2) + [True]
