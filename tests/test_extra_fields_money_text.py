"""A round's extra money fields written as text (``"1,234"``, ``"¥1,234.50"``) are read by the
reader ingest reads an amount with (:func:`xuanba.ingest.money.read_money`), not refused: the
same text is the same number in a transaction log and in a ``--fields`` file. What that reader
cannot read is refused naming the file, the row, the column and the value, in both languages.
(On main every such text was refused as *not money*.)"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from xuanba import Workspace
from xuanba.errors import DataError
from xuanba.ingest import ingest
from xuanba.rounds.extra_names import checked_extra_fields
from xuanba.rounds.run import read_fields_file

#: Text ingest reads as an amount, and the number it stores.
FORMS = {
    "1,234": 1234.0,
    "¥1,234.50": 1234.5,
    "￥1,234.50": 1234.5,
    "1,234.50元": 1234.5,
    "RMB 88": 88.0,
    "$1,000,000.25": 1000000.25,
    "(12.00)": -12.0,
    "(¥1,234.50)": -1234.5,
    " 7 ": 7.0,
    "-3.5": -3.5,
    "12.345678": 12.3457,  # ingest's DECIMAL(18,4)
    "99999999999999.9999": 99999999999999.9999,  # the largest ingest stores
}


def _fields(values: list, name: str = "revenue_365d") -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(values))], name: pd.Series(values, dtype=object)})


def test_money_written_as_text_in_the_extra_fields_is_its_number():
    got = checked_extra_fields(_fields(list(FORMS)))["revenue_365d"]
    assert got.dtype == float and got.tolist() == list(FORMS.values())


def test_a_column_written_with_decimal_commas_reads_as_ingest_reads_one():
    got = checked_extra_fields(_fields(["1.234,50", "12,5", "¥ 1 234,50", None], "profit_365d"))["profit_365d"]
    assert got.tolist()[:3] == [1234.5, 12.5, 1234.5] and pd.isna(got.iloc[3])


def test_missing_cells_stay_missing_and_numbers_stay_as_they_are():
    got = checked_extra_fields(_fields(["", "  ", None, float("nan"), 1.23456789, "5"]))["revenue_365d"]
    assert got.isna().tolist() == [True] * 4 + [False] * 2 and got.tolist()[4:] == [1.23456789, 5.0]
    numbers = _fields([1.5, 2.5]).astype({"revenue_365d": float})
    assert checked_extra_fields(numbers) is numbers  # a number column: untouched, as on main


@pytest.mark.parametrize("value", ["abc", "1,2x", "inf", "-Infinity", "100000000000000", "1e20"])
def test_text_ingest_cannot_read_is_refused_naming_file_row_column_and_value(tmp_path, value):
    path = tmp_path / "fields.csv"
    rows = ["customer_id,margin_365d", "a,\"1,234\"", "b,￥5", f'c,"{value}"', "d,7"]
    path.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    with pytest.raises(DataError) as err:
        read_fields_file(path)
    e = err.value
    assert (e.file, e.row, e.column, e.count) == (str(path), 3, "margin_365d", 1)
    assert value in e.message and "'c'" in e.message and "1,234.50" in e.fix
    zh = e.render("zh")
    assert "第 3 行" in zh and "不是金额" in zh and value in zh and "ingest 能读的金额写法" in zh


def test_nan_written_as_text_is_no_money_but_a_csv_s_missing_markers_are_missing(tmp_path):
    """``"NaN"`` given as text is refused as ingest rejects it; in a CSV file pandas reads its
    missing markers (``NaN``, ``NA``, ``N/A``, ``NULL``) as missing cells, as on main."""
    with pytest.raises(DataError) as err:
        checked_extra_fields(_fields(["1", "NaN"]))
    assert err.value.row == 2 and "'NaN'" in err.value.message
    path = tmp_path / "fields.csv"
    path.write_text("customer_id,revenue_365d\na,NaN\nb,N/A\nc,\"1,234\"\n", "utf-8")
    assert read_fields_file(path)["revenue_365d"].tolist()[2] == 1234.0


def test_a_decimal_mark_that_cannot_be_told_is_refused_naming_the_row():
    with pytest.raises(DataError) as err:
        checked_extra_fields(_fields(["5", "1,234", "1.234"]), file="f.csv")
    e = err.value
    assert (e.file, e.column, e.row) == ("f.csv", "revenue_365d", 3) and "1.234" in e.message
    assert "小数点" in e.render("zh") and "--decimal" not in e.fix  # no such option on a round


@pytest.mark.parametrize("forms", [list(FORMS), ["1.234,50", "12,5", "(3,25)", "7,00 元"]])
def test_the_same_text_is_the_same_number_via_ingest_and_via_the_extra_fields(tmp_path, forms):
    """Each text an amount of a GBK transaction log ingest loads, and a money extra field in a
    ``--fields`` file: the stored amount equals the field's number (a negative amount is stored
    as it reads)."""
    ids = [f"c{i:02d}" for i in range(len(forms))]
    log = tmp_path / "tx.csv"
    gbk = [f.replace("¥", "￥") for f in forms]  # GBK has the full-width sign only
    pd.DataFrame({"客户编号": ids, "日期": "2025-06-01", "金额": gbk}).to_csv(log, index=False, encoding="gbk")
    fields = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "revenue_365d": forms}).to_csv(fields, index=False)
    with Workspace(":memory:") as ws:
        report = ingest(log, ws, tz="UTC")
        stored = dict(ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall())
    assert report.rejected == 0 and report.loaded == len(forms)
    read = read_fields_file(fields).set_index("customer_id")["revenue_365d"]
    assert {i: float(Decimal(stored[i])) for i in ids} == read.to_dict()


def test_a_round_scores_money_written_as_text_as_the_numbers_it_reads():
    """An engine round given ``revenue_365d`` as text ranks and stores what one given the numbers
    does (the text is read, not only checked)."""
    from tests.test_round_engine import BUSY_STANDARD
    from tests.test_round_engine_source import CUTOFF, _plain
    from xuanba.rounds.engine import run_round_on_engine

    tx = _plain(60, seed=2)
    ids = tx["customer_id"].drop_duplicates().tolist()
    numbers = [float(i * 1037 % 9000) + 0.5 for i in range(len(ids))]
    as_text = [f"¥{v:,.2f}" if i % 2 else f"{v:,.2f}元" for i, v in enumerate(numbers)]
    runs = [run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False,
                                extra_fields=pd.DataFrame({"customer_id": ids, "revenue_365d": values}))
            for values in (numbers, as_text)]
    want, got = (r.roster.sort_values("customer_id").reset_index(drop=True) for r in runs)
    pd.testing.assert_frame_equal(got, want)
    stored = runs[1].fields.set_index("customer_id")["revenue_365d"]
    assert len(stored) > 20 and stored.to_dict() == {i: v for i, v in zip(ids, numbers, strict=True) if i in stored}
