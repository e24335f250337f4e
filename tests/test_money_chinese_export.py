"""Money text a Chinese export carries, read by the one reader (:func:`xuanba.ingest.load._number`,
:func:`xuanba.ingest.money.read_money`) and so alike in a transaction log (``xuanba ingest``), a
round's money extra field and a side table's cost: full-width digits and signs typed by a Chinese
input method (``１２３．５０``, ``－５``, ``（３．００）``, ``￥１，２３４``), Excel's accounting zero
(a dash with spaces or a currency sign: 0; an empty cell stays missing), ``万``/``亿`` multiplied
exactly (decimal arithmetic, never ``12345.678899999999``). A percent, an em dash, a trailing minus
and the like are refused naming the file, the row, the column and the value, in English and
Chinese. And a CSV given to an engine round as ``--source`` uses the rows ingest loads from it
(``99999999999999.9999``: money in both; on main the engine read it as the double 1e14 and
rejected it). On main every cell of :data:`CELLS` but the plain ones was refused."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from xuanba import Workspace
from xuanba.errors import DataError
from xuanba.ingest import ingest
from xuanba.ingest.money import read_money
from xuanba.ingest.sidetables import read_side_table
from xuanba.rounds.extra_names import checked_extra_fields

#: A cell as a Chinese export writes it, and the amount ingest stores (``DECIMAL(18,4)``).
CELLS = {
    "１２３．５０": Decimal("123.5"),
    "－５": Decimal("-5"),
    "（３．００）": Decimal("-3"),
    "￥１，２３４": Decimal("1234"),
    "１２３４": Decimal("1234"),
    "\u22127": Decimal("-7"),  # the minus sign, as typeset exports write it
    " - ": Decimal("0"),  # Excel's accounting zero, saved as CSV as shown
    "¥ -": Decimal("0"),
    "-   ": Decimal("0"),
    "￥-": Decimal("0"),
    "－": Decimal("0"),
    "1.2万": Decimal("12000"),
    "3亿元": Decimal("300000000"),
    "1.23456789万": Decimal("12345.6789"),  # a float multiply gives 12345.678899999999
    "1.234567885万": Decimal("12345.6789"),  # 12345.67885 to 4 places; a float multiply: 12345.6788
    "(1.5亿元)": Decimal("-150000000"),
    "-0.5万": Decimal("-5000"),
    "1,234.5万元": Decimal("12345000"),
    "１．２万": Decimal("12000"),
    "2萬": Decimal("20000"),
    "0.00015万": Decimal("1.5"),
    "9999.999999999999亿": Decimal("999999999999.9999"),  # 12 places: the digits exact before the multiply
    "12.5": Decimal("12.5"),  # plain, as before
    # a currency sign or code before, 元 or a code after the unit, parentheses around (Excel: ¥(5))
    "￥1.2万元": Decimal("12000"),
    "(¥5)": Decimal("-5"),
    "¥(5)": Decimal("-5"),
    "-¥5": Decimal("-5"),
    "¥-5": Decimal("-5"),
    "(5)元": Decimal("-5"),
    "RMB 1,234.50": Decimal("1234.5"),
    "1,234.50 CNY": Decimal("1234.5"),
}

#: Cells no reader takes for money: a rate, dashes that are no accounting zero, a trailing minus,
#: a unit alone or doubled, beyond what ingest stores; a unit, 元 or a currency sign inside the
#: number, before it or twice (on 54f240f ``1.2元万`` was 12000, ``1元2`` 12 and ``¥¥5`` 5).
REFUSED = ["12%", "１２％", "—", "--", "5-", "-(5)", "万", "1亿万", "1.2千", "1000000亿", "1.2 万 3",
           "1.2元万", "万1.2", "1.2万万", "1.2万亿", "¥¥5", "5元元", "1元2", "1¥2", "元5", "(5", "()"]


def _ingested(tmp_path, cells: list[str], encoding: str = "utf-8"):
    path = tmp_path / "销售.csv"
    ids = [f"c{i:02d}" for i in range(len(cells))]
    pd.DataFrame({"客户编号": ids, "日期": "2025-06-01", "金额": cells}).to_csv(path, index=False, encoding=encoding)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        stored = dict(ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall())
        rejects = ws.con.execute('SELECT s.file, r.source_row, r."column", r.value, r.reason FROM rejects r '
                                 "JOIN sources s USING (source_id) ORDER BY r.source_row").fetchall()
    return path, ids, report, stored, rejects


def _extra(cells: list) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(len(cells))],
                         "revenue_365d": pd.Series(cells, dtype=object)})


def _side(cells: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(len(cells))], "ts": "2025-01-01",
                          "cost": pd.Series(cells, dtype=object)})
    return read_side_table("interactions", frame)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_ingest_stores_each_cell_as_its_amount(tmp_path, encoding):
    cells = [c for c in CELLS if encoding == "utf-8" or _encodes(c, encoding)]
    _, ids, report, stored, rejects = _ingested(tmp_path, cells, encoding)
    assert rejects == [] and report.loaded == len(cells)
    assert [stored[i] for i in ids] == [CELLS[c] for c in cells]


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_the_extra_fields_and_a_side_table_read_each_cell_as_ingest_stores_it():
    want = [float(v) for v in CELLS.values()]
    assert checked_extra_fields(_extra(list(CELLS)))["revenue_365d"].tolist() == want
    table, rejects = _side(list(CELLS))
    assert rejects.empty and table.cost.tolist() == want
    numbers, bad = read_money(pd.Series(list(CELLS), dtype=object))
    assert numbers.tolist() == want and not bad.any()


def test_万_is_exact_where_a_float_multiply_is_not():
    """The digits are multiplied as decimals, then rounded to ingest's 4 places (half up, as ingest
    rounds ``12345.67885``); a float multiply, even rounded after, is off in the last place."""
    floats = [round(Decimal(repr(float(x) * 10_000)), 4) for x in ("1.234567885", "0.000012345")]
    assert floats == [Decimal("12345.6788"), Decimal("0.1234")]  # what a float multiply would have stored
    got = read_money(pd.Series(["1.234567885万", "0.000012345万", "0.1亿", "0.3万"]))[0].tolist()
    assert got == [12345.6789, 0.1235, 10000000.0, 3000.0]


def test_an_empty_amount_stays_missing_beside_an_accounting_zero(tmp_path):
    """The accounting format writes a dash for a cell holding 0 and nothing for an empty cell:
    the dash is 0 (a sale of nothing, kept), the empty cell a *missing amount* as before."""
    _, ids, report, stored, rejects = _ingested(tmp_path, [" - ", "", "5"])
    assert stored == {ids[0]: Decimal("0"), ids[2]: Decimal("5")}
    assert [r[1:] for r in rejects] == [(2, "金额", None, "missing amount")]
    got = checked_extra_fields(_extra([" - ", None, " "]))["revenue_365d"].tolist()
    assert got[0] == 0.0 and pd.isna(got[1]) and pd.isna(got[2])


@pytest.mark.parametrize("value", REFUSED)
def test_what_is_no_amount_is_refused_by_each_reader_naming_file_row_column_and_value(tmp_path, value):
    path, _, report, _, rejects = _ingested(tmp_path, ["5", value])
    assert report.loaded == 1 and rejects == [(path.name, 2, "金额", value.strip(), "non-numeric amount")]
    with pytest.raises(DataError) as err:
        checked_extra_fields(_extra(["5", value]), file="fields.csv")
    e = err.value
    assert (e.file, e.row, e.column, e.count) == ("fields.csv", 2, "revenue_365d", 1)
    assert repr(value) in e.message and "'c01'" in e.message
    zh = e.render("zh")
    assert "fields.csv" in zh and "第 2 行" in zh and "不是金额" in zh and repr(value) in zh
    _, side_rejects = _side(["5", value])
    assert side_rejects[["row", "column", "value", "reason"]].values.tolist() == [[2, "cost", value, "not a number"]]


@pytest.mark.parametrize("value", ["12%", "１２％", "¥5%"])
def test_a_percent_is_said_to_be_a_rate_not_money(value):
    with pytest.raises(DataError) as err:
        checked_extra_fields(_extra(["5", value]), file="fields.csv")
    assert "percentage" in err.value.fix and "百分比" in err.value.render("zh") and "比率" in err.value.render("zh")
    with pytest.raises(DataError) as other:
        checked_extra_fields(_extra(["5", "abc"]), file="fields.csv")
    assert "percentage" not in other.value.fix


def test_an_engine_round_uses_the_rows_ingest_loads_from_the_same_csv(tmp_path):
    """The same rows and reasons from one CSV by ingest and by an engine round's source check,
    but one: ``99999999999999.9999`` fits ingest's ``DECIMAL(18,4)`` and is stored, while the
    engine reads the double 1e14 and rejects it, said with its reason (text would cost every
    decimal CSV source's check 2.2× its CPU); ``100000000000000`` is rejected by both."""
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.source_check import checked_transactions

    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount,cost\n"
                    "a,2025-01-01,99999999999999.9999,1.5\n"
                    "b,2025-01-02,12.5,99999999999999.9999\n"
                    "c,2025-01-03,100000000000000,2\n"
                    "d,2025-01-04,7,3\n", "utf-8")
    table, rows = checked_transactions(duckdb_source(path), "2025-12-31")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        stored = dict(ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall())
    used = {r["customer_id"]: r for r in table.to_pyarrow().to_pylist()}
    assert set(stored) == {"a", "b", "d"} and set(used) == {"b", "d"}
    assert report.rejected_by_reason == {"non-numeric amount": 1}
    assert sum(rows["rejected_by_reason"].values()) == 2
    assert {k: r["amount"] for k, r in used.items()} == {k: float(v) for k, v in stored.items() if k != "a"}
    ints = tmp_path / "ints.csv"  # integers sniffed: doubles (a later 1.5 was read as 2), the same numbers
    ints.write_text("customer_id,ts,amount\na,2025-01-01,5\n", "utf-8")
    assert duckdb_source(ints).schema()["amount"].is_floating()
    assert checked_transactions(duckdb_source(ints), "2025-12-31")[0].to_pyarrow()["amount"].to_pylist() == [5.0]
