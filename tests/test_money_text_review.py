"""A stranger's attack on the money reader's new forms (full-width, ``万``/``亿``, Excel's
accounting zero): each cell gives the same answer on the three paths that read money (ingest's
stored amount, a round's money extra field, a side table's cost), a cell that is no amount stays
refused there, never a wrong number; and an engine round's CSV ``--source`` never reads a money
cell as a number other than the one ingest stores.

Found by this review: ``()`` (and ``( )``, ``(¥)``, ``(元)``: parentheses around nothing) was read
as the accounting zero 0, the parentheses' minus left alone taken for the dash; and an amount column
DuckDB's sniffer takes for integers (its sample: the first 20,480 rows) read a later ``1.5`` as 2
and ``7.49999`` as 7 in an engine round's source, where ingest stores 1.5 and 7.5.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from xuanba import Workspace
from xuanba.errors import InputError
from xuanba.ingest import ingest
from xuanba.ingest.money import read_money
from xuanba.ingest.sidetables import read_side_table

#: Cells that are no amount: refused by each reader (ingest: ``non-numeric amount``).
REFUSED = ["()", "( )", "(¥)", "(元)", "--", "-  -", "- -", "--5", "－－", "5-", "1-2", "-万", "1万万", "万5",
           "1e3万", "1.2e万", "(万)", "(-)", "（-）", "-(1.2万)", "1.2万-", "1.2万亿", "1.2亿万", "+", "＋", "+万",
           "1.2k", "٣", "①", "＄５", "１ｅ３", "10000000000万", "99999999999.9999万", "元", "¥"]

#: Cells read as an amount, and the amount ingest stores (``DECIMAL(18,4)``).
READ = {
    "-0": Decimal("0"), "(0)": Decimal("0"), "−": Decimal("0"), "$-": Decimal("0"), "€ - ": Decimal("0"),
    "¥-5": Decimal("-5"), "- ¥5": Decimal("-5"), "＋５": Decimal("5"), "1\u00a0234": Decimal("1234"),
    "1\u3000234": Decimal("1234"), "1.2 万": Decimal("12000"), "1.2 亿元": Decimal("120000000"),
    "0.00001万": Decimal("0.1"), "0.000000005万": Decimal("0.0001"), "-0.000000005万": Decimal("-0.0001"),
    "0.000000004万": Decimal("0"), "9999999999.9999万": Decimal("99999999999999"),
    "9999999999.99995万": Decimal("99999999999999.5"), ".5万": Decimal("5000"), "(1.2万)": Decimal("-12000"),
}


def _three_paths(tmp_path, cells: list[str]) -> tuple[list, list, list]:
    """Each cell as ingest stores it, as :func:`read_money` reads it (a money extra field) and as
    a side table's cost: a float, or ``None`` where refused."""
    ids = [f"c{i:02d}" for i in range(len(cells))]
    path = tmp_path / "t.csv"
    pd.DataFrame({"客户编号": ids, "日期": "2025-06-01", "金额": cells}).to_csv(path, index=False)
    with Workspace(":memory:") as ws:
        ingest(path, ws, tz="UTC")
        stored = dict(ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall())
        refused = {r[0] for r in ws.con.execute("SELECT value FROM rejects WHERE reason = 'non-numeric amount'")
                   .fetchall()}
    numbers, bad = read_money(pd.Series(cells, dtype=object))
    table, _ = read_side_table("interactions", pd.DataFrame({"customer_id": ids, "ts": "2025-01-01",
                                                              "cost": pd.Series(cells, dtype=object)}))
    side = dict(zip(table.customer_id, table.cost, strict=True))
    by_ingest = [float(stored[i]) if i in stored else None for i in ids]
    assert all((c.strip() in refused) == (v is None) for c, v in zip(cells, by_ingest, strict=True))
    by_money = [None if b else float(n) for n, b in zip(numbers, bad, strict=True)]
    by_side = [side.get(i) for i in ids]
    return by_ingest, by_money, by_side


def test_no_amount_is_refused_on_the_three_paths(tmp_path):
    got = _three_paths(tmp_path, ["5", *REFUSED])
    for path in got:
        assert dict(zip(REFUSED, path[1:], strict=True)) == dict.fromkeys(REFUSED)
        assert path[0] == 5.0


def test_the_new_forms_are_the_same_amount_on_the_three_paths(tmp_path):
    want = [float(v) for v in READ.values()]
    for path in _three_paths(tmp_path, list(READ)):
        assert dict(zip(READ, path, strict=True)) == dict(zip(READ, want, strict=True))


@pytest.mark.parametrize(("cells", "want"), [
    (["１．２３４，５", "1.234,5", "12,5", "３，５"], [1234.5, 1234.5, 12.5, 3.5]),  # full-width beside ASCII
    (["１，２", "５，６"], [1.2, 5.6]),  # only full-width commas, as 1,2 and 5,6 are read
    (["１，２３４", "５，６７８"], [1234.0, 5678.0]),
    (["1,2万", "3,5", "1.234,5"], [12000.0, 3.5, 1234.5]),  # a decimal-comma column: 1,2万 is 1.2万
    (["1.234,5", " - ", "（１，５）", "()"], [1234.5, 0.0, -1.5, None]),
    ([" - ", "-", "¥ -"], [0.0, 0.0, 0.0]),  # all accounting dashes: no comma, a decimal point
])
def test_decimal_comma_columns_with_full_width_and_dashes(cells, want):
    numbers, bad = read_money(pd.Series(cells, dtype=object))
    assert [None if b else n for n, b in zip(numbers.tolist(), bad.tolist(), strict=True)] == want


@pytest.mark.parametrize(("cells", "en", "zh"), [
    (["1,234.5", "1.234,5"], "mixes decimal points and decimal commas", "混用了小数点和小数逗号"),
    (["１，２３４．５", "１．２３４，５"], "mixes decimal points and decimal commas", "混用了小数点和小数逗号"),
    (["1,2万", "3.5", "1,234.5"], "mixes decimal points and decimal commas", "混用了小数点和小数逗号"),
    (["１，２３４", "１．２３４"], "ambiguous", "小数"),
])
def test_the_mixed_and_ambiguous_refusals_still_fire_in_both_languages(cells, en, zh):
    with pytest.raises(InputError) as err:
        read_money(pd.Series(cells, dtype=object), file="f.csv", column="revenue_365d")
    assert en in err.value.message and zh in err.value.render("zh") and err.value.column == "revenue_365d"


def test_an_accounting_zero_is_a_kept_row_and_empty_stays_a_missing_amount(tmp_path):
    """The rejects report counts an empty amount as before; a dash is now a row of 0 (on 4f85048 a
    ``non-numeric amount``); a dash in the quantity is a quantity of 0, as the same column's 0."""
    path = tmp_path / "t.csv"
    path.write_text("customer_id,ts,amount,quantity,cost\n"
                    "a,2025-01-01, - ,1,2\nb,2025-01-01,,1,2\nc,2025-01-01,5, - , - \nd,2025-01-01,abc,1,2\n", "utf-8")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        rows = ws.con.execute("SELECT customer_id, amount, quantity, cost FROM transactions ORDER BY 1").fetchall()
    assert report.loaded == 2 and report.rejected_by_reason == {"missing amount": 1, "non-numeric amount": 1}
    assert rows == [("a", Decimal("0"), 1.0, Decimal("2")), ("c", Decimal("5"), 0.0, Decimal("0"))]


def _engine_and_ingest(path):
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.source_check import checked_transactions

    table, rows = checked_transactions(duckdb_source(path), "2025-12-31")
    used = {r["customer_id"]: r["amount"] for r in table.to_pyarrow().to_pylist()}
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        stored = {k: float(v) for k, v in ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall()}
    return used, rows, stored, report


@pytest.mark.parametrize("late", ["1.5", "7.49999", "2.5"])
def test_an_engine_csv_source_reads_a_late_decimal_in_an_integer_sniffed_column_as_ingest(tmp_path, late):
    """DuckDB sniffs a CSV's types on a sample (20,480 rows): an amount column of integers there
    and ``1.5`` below was read as the integer 2 by an engine round, silently; ingest stores 1.5.
    (The engine uses the number as written, 7.49999, where ingest stores it to 4 places, 7.5:
    as for every double an engine round reads.)"""
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount\n" + "".join(f"c{k},2025-01-01,{k % 7 + 1}\n" for k in range(21_000))
                    + f"z,2025-01-02,{late}\n", "utf-8")
    used, rows, stored, report = _engine_and_ingest(path)
    assert rows["used"] == report.loaded == 21_001 and rows["rejected_by_reason"] == report.rejected_by_reason == {}
    assert used["z"] == float(late) and stored["z"] == float(Decimal(late).quantize(Decimal("0.0001")))
    assert {k: v for k, v in used.items() if k != "z"} == {k: v for k, v in stored.items() if k != "z"}


def test_an_engine_csv_source_reads_late_text_in_an_integer_sniffed_column_as_ingest_does(tmp_path):
    """``¥5``, a dash or ``1.5万`` below the sniffer's sample of whole numbers: never DuckDB's
    rounding of it to an integer, never its raw error (as until 3a8f4d7): the column is read again
    as text, and the late cell is what ingest reads (5, the accounting zero, 15000)."""
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.source_check import checked_transactions

    for late, want in (("¥5", 5.0), ("-", 0.0), ("1.5万", 15_000.0)):
        path = tmp_path / "tx.csv"
        path.write_text("customer_id,ts,amount\n" + "".join(f"c{k},2025-01-01,{k % 7 + 1}\n" for k in range(21_000))
                        + f"z,2025-01-02,{late}\n", "utf-8")
        table, rows = checked_transactions(duckdb_source(path), "2025-12-31")
        got = {r["customer_id"]: r["amount"] for r in table.select("customer_id", "amount").to_pyarrow().to_pylist()}
        assert rows["used"] == 21_001 and got["z"] == want and got["c5"] == 6.0


def test_a_dash_amount_is_a_sale_of_0_and_the_report_says_so(tmp_path):
    """A lone dash is Excel's accounting zero: the row ``b,2025-03-01,-`` (rejected on 4f85048 as a
    ``non-numeric amount``) is a sale of 0 on a day of its own, which ``frequency`` counts, as a
    numeric 0 is. Since some exports write a dash for "none", the report says how many of each
    column's kept lines were read so (not the rejected line's, not a digit's), in both languages."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.facts import customer_facts
    from xuanba.i18n import t

    path = tmp_path / "t.csv"
    path.write_text("customer_id,ts,amount,cost\nb,2025-01-01,10,-0\nb,2025-03-01,-, - \n"
                    "c,2025-03-01,¥ -,0\nd,2025-03-02,abc,-\n", "utf-8")
    with Workspace(str(tmp_path / "w.duckdb")) as ws:
        report = ingest(path, ws, tz="UTC")
        facts = customer_facts(ws, "2025-06-30")
    assert report.sources[0].dashes_read_as_zero == {"amount": 2, "cost": 1}
    assert facts.set_index("customer_id").loc["b", "frequency"] == 1
    for lang in ("en", "zh"):
        out = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / f"{lang}.duckdb")])
        said = " ".join(out.output.split())
        assert out.exit_code == 0, out.output
        assert " ".join(t("cli_ingest_dash_zero", lang, source="t.csv", counts={"en": "amount: 2, cost: 1", "zh": "amount：2、cost：1"}[lang]).split()) in said
