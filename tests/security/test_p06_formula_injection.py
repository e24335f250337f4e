"""Point 6: formula injection. Customer ids, names and products such as ``=HYPERLINK("http://x","y")``
or ``=cmd|' /C calc'!A0`` are text in .xlsx exports (never formula cells), and CSV neutralises text
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (the OWASP rule); numbers
are left alone. Every table writer goes through ``xuanba.tables.write_table``."""

from __future__ import annotations

import openpyxl
import pandas as pd

from xuanba.outputs.exports import export_table, export_tables

EVIL = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "甲=1"]


def test_xlsx_text_that_looks_like_a_formula_stays_text(tmp_path):
    frame = pd.DataFrame({"customer_id": EVIL, "=name": EVIL, "score": range(len(EVIL))})
    [p] = export_tables({"roster": frame}, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(p)["roster"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c.data_type for c in cells if c.data_type == "f"] == []
    assert ws["B1"].value == "=name" and ws.freeze_panes == "A2"
    assert [ws.cell(r, 1).value for r in range(2, len(EVIL) + 2)] == EVIL
    assert [ws.cell(r, 3).value for r in range(2, len(EVIL) + 2)] == list(range(len(EVIL)))


def test_csv_neutralises_text_that_starts_like_a_formula_and_leaves_numbers(tmp_path):
    frame = pd.DataFrame({"customer_id": EVIL, "product": pd.Categorical(EVIL),
                          "delta": [-1.5] * len(EVIL), "n": [-3] * len(EVIL)})
    p = export_table(frame, tmp_path / "r.csv")
    back = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False)
    expected = ["'" + v for v in EVIL[:-1]] + ["甲=1"]
    assert back["customer_id"].tolist() == expected
    assert back["product"].tolist() == expected
    assert back["delta"].tolist() == [-1.5] * len(EVIL) and back["n"].tolist() == [-3] * len(EVIL)


def test_rejects_and_facts_outputs_go_through_the_safe_writer(tmp_path):
    from xuanba import Workspace
    from xuanba.ingest import ingest

    src = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": ['=HYPERLINK("http://x","y")', "c2"],
                  "date": ["2026-01-01", "=cmd|' /C calc'!A0"], "amount": [10, 5]}).to_csv(src, index=False)
    with Workspace(":memory:") as ws:
        ingest(src, ws, rejects_out=tmp_path / "rejects.xlsx")
    ws_ = openpyxl.load_workbook(tmp_path / "rejects.xlsx").worksheets[0]
    cells = [c for row in ws_.iter_rows() for c in row]
    assert "=cmd|' /C calc'!A0" in [c.value for c in cells]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
