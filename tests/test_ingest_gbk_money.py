"""A GBK transaction log as ERP exports write it (a title, a line with the export time, a blank
line, Chinese headers, a totals row at the foot) through the money rule
(:data:`~xuanba.ingest.rules.MONEY_LIMIT`): an amount of 1e14, ``inf``, ``-Infinity`` and
``NaN`` written as text are rejected and counted with their file, row and column, the normal
amounts (``"1,234.50"``, ``￥88``, one just below the limit) kept; a cost of ``inf`` left empty
and counted. An engine round's source check reads the same rows of a CSV (UTF-8 with the canonical
headers: what its ``--source`` reads) the same way, and says a GBK export is no such CSV."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.ingest import ingest

#: (customer, date, amount, cost) as written; the last, 合计, is the export's totals row.
ROWS = [
    ("007", "2025-06-01", "1,234.50", "500"),
    ("008", "2025-06-02", "100000000000000", "1"),  # MONEY_LIMIT: not stored
    ("009", "2025-06-03", "inf", "1"),
    ("010", "2025-06-04", "NaN", "1"),
    ("011", "2025-06-05", "￥88", "inf"),  # the cost no money: left empty
    ("012", "2025-06-06", "99999999999999.98", ""),  # near the limit, stored
    ("013", "2025-06-07", "-Infinity", "1"),
]
KEPT = {"007": Decimal("1234.5"), "011": Decimal("88"), "012": Decimal("99999999999999.98")}
BAD_ROWS = [(2, "100000000000000"), (3, "inf"), (4, "NaN"), (7, "-Infinity")]


def _erp_export(path):
    lines = ["销售明细表,,,", "导出时间: 2025-07-01 08:00,,,", "", "客户编号,下单日期,金额,成本"]
    lines += [",".join(f'"{v}"' if "," in v else v for v in row) for row in ROWS]
    lines.append('合计,,"100,000,000,001,323.50",')
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def test_a_gbk_erp_export_keeps_its_money_and_rejects_what_is_none_with_file_row_and_column(tmp_path):
    path = _erp_export(tmp_path / "销售明细.csv")
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, tz="UTC")
        stored = ws.con.execute("SELECT customer_id, amount, cost FROM transactions ORDER BY source_row").fetchall()
        rejects = ws.con.execute(
            'SELECT s.file, r.source_row, r."column", r.value, r.reason FROM rejects r '
            "JOIN sources s USING (source_id) ORDER BY r.source_row").fetchall()
    source = report.sources[0]
    assert source.encoding == "gb18030" and source.lines_above_header == 3
    assert (report.input_rows, report.loaded, report.rejected) == (8, 3, 5)
    assert report.rejected_by_reason == {"non-numeric amount": 4, "totals row": 1}
    assert {c: a for c, a, _ in stored} == KEPT
    assert [cost for _, _, cost in stored] == [Decimal("500"), None, None] and source.values_left_empty == {"成本": 1}
    assert rejects == [(path.name, row, "金额", value, "non-numeric amount") for row, value in BAD_ROWS] + [
        (path.name, 8, "客户编号", "合计", "totals row")]


def test_the_cli_prints_the_money_rejects_and_writes_them_with_file_row_and_column(tmp_path):
    path = _erp_export(tmp_path / "销售明细.csv")
    out = tmp_path / "rejects.csv"
    got = CliRunner().invoke(app, ["ingest", str(path), "--workspace", str(tmp_path / "ws.duckdb"),
                                   "--rejects-out", str(out)])
    assert got.exit_code == 0, got.output
    assert "8 = 3 + 0 + 5" in got.output and "non-numeric amount │    4" in got.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    money = written[written["reason"] == "non-numeric amount"]
    assert set(money["file"]) == {path.name} and set(money["column"]) == {"金额"}
    assert money["source_row"].astype(int).tolist() == [r for r, _ in BAD_ROWS]
    assert [v.lstrip("'") for v in money["value"]] == [v for _, v in BAD_ROWS]  # '-Infinity: text, not a formula


def test_an_engine_round_s_source_check_reads_the_same_rows_of_a_csv_the_same_way(tmp_path):
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.source_check import checked_transactions

    plain = tmp_path / "tx.csv"
    plain.write_text("customer_id,ts,amount,cost\n" + "".join(
        f"{c},{d},{a.replace(',', '').replace('￥', '')},{k}\n" for c, d, a, k in ROWS), "utf-8")
    table, rows = checked_transactions(duckdb_source(plain), "2025-12-31")
    assert rows == {"input_rows": 7, "used": 3, "rejected": 4, "rejected_by_reason": {"non-numeric amount": 4},
                    "values_left_empty": {"cost": 1}}
    kept = sorted(table.to_pyarrow().to_pylist(), key=lambda r: r["customer_id"])
    assert {r["customer_id"]: Decimal(str(r["amount"])) for r in kept} == KEPT
    assert [r["cost"] for r in kept] == [500.0, None, None]
    with pytest.raises(InputError) as err:  # the GBK export as --source: said, not read as something else
        duckdb_source(_erp_export(tmp_path / "erp.csv"))
    said = err.value.render("en")  # the line ingest decodes as GBK named, and the way to read it
    assert err.value.file == str(tmp_path / "erp.csv") and "is not UTF-8 text: line 1 of the file" in said
    assert "xuanba ingest" in said and "不是 UTF-8" in err.value.render("zh")
