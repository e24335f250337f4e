"""An extra field (``xuanba round --fields FILE``) that holds ±inf or a NaN the file writes (text
``inf``, ``-inf``, ``NaN``, ``1e999``; a Parquet float NaN) is scored as missing, as before, but
no longer without a word: the round counts such values per field with its first customers, stores
the count (``meta["extra_fields_not_finite"]``), and the console and the report say it from there,
in English and Chinese. 7dd5749 said nothing. An empty cell (or a Parquet null, or a NaN in a
DataFrame given in Python) is missing, not counted."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import read_fields_file

CUTOFF = "2025-12-31"
STANDARD = """
[standard]
name = "nps"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 50
[[criteria]]
name = "nps"
field = "nps"
missing = "median"
weight = 50
[[tiers]]
name = "A"
min_score = 40
"""
#: What a file may write in a number column that is no finite number; "" is an empty cell.
NOT_FINITE = ("inf", "-inf", "NaN", "1e999", "nan", "-Infinity")


def _fields_csv(tmp_path, ids: list[str]) -> tuple[object, list[str]]:
    """A fields file with an ``nps`` for every customer: a number, an empty cell for every seventh,
    a value of NOT_FINITE for every fifth (the empty cells win where both fall); returns the path
    and, in the file's order, the customers whose cell is no finite number."""
    cells, bad = [], []
    for i, cid in enumerate(ids):
        if i % 7 == 3:
            cell = ""
        elif i % 5 == 1:
            cell = NOT_FINITE[(i // 5) % len(NOT_FINITE)]
            bad.append(cid)
        else:
            cell = f"{i % 11}.5"
        cells.append(cell)
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": cells}).to_csv(path, index=False)
    assert all(float(c) != float(c) or abs(float(c)) == float("inf") for c in path.read_text().splitlines()[1:]
               for c in [c.split(",")[1]] if c.split(",")[0] in bad)  # the cells written are what the test says
    return path, bad


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notfinite")
    tx = simulated_transactions(150, seed=8)
    ids = sorted(tx["customer_id"].astype(str).unique())
    (tmp / "s.toml").write_text(STANDARD, encoding="utf-8")
    return tmp, tx, ids


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_round_counts_names_and_stores_them_and_the_report_says_the_same(base, tmp_path, lang):
    tmp, tx, ids = base
    ws = _workspace(tmp_path, tx)
    path, bad = _fields_csv(tmp_path, ids)
    assert len(bad) > 5
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF,
                                   "--fields", str(path), "--workspace", str(ws)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    stored = load_round(ws, "latest").meta["extra_fields_not_finite"]
    assert stored == {"nps": {"n": len(bad), "customers": bad[:5]}}
    first = {"en": f"nps: {len(bad)} (customers {', '.join(map(repr, bad[:5]))}, …)",
             "zh": f"nps：{len(bad)} 个（客户 {'、'.join(f'“{b}”' for b in bad[:5])}、…）"}[lang]
    said = " ".join(res.output.split())
    assert first in said, res.output
    assert ("±inf" in said) and ({"en": "scored as missing", "zh": "按缺失计分"}[lang] in said)
    out = tmp_path / "r.html"
    rep = CliRunner().invoke(app, ["--lang", lang, "report", "latest", "--out", str(out), "--workspace", str(ws)])
    assert rep.exit_code == 0, rep.output
    assert first in html.unescape(out.read_text("utf-8"))  # the report renders what the round stored


def test_a_parquet_float_nan_is_counted_and_a_null_is_missing(base, tmp_path):
    tmp, tx, ids = base
    values = [1.0, float("nan"), None, float("inf"), 2.0, float("nan"), None, float("-inf")]
    some = ids[: len(values)]
    path = tmp_path / "fields.parquet"
    pq.write_table(pa.table({"customer_id": some, "nps": pa.array(values, type=pa.float64())}), path)
    frame = read_fields_file(path)
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=frame,
                    check_model=False)
    expected = [cid for cid, v in zip(some, values, strict=True) if v is not None and not np.isfinite(v)]
    assert rnd.meta["extra_fields_not_finite"] == {"nps": {"n": 4, "customers": expected}}


def test_a_dataframe_nan_is_missing_and_an_infinity_is_counted(base, tmp_path):
    tmp, tx, ids = base
    frame = pd.DataFrame({"customer_id": ids[:4], "nps": [np.nan, np.inf, 3.0, np.nan], "tag": ["a", None, "b", "c"]})
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=frame,
                    check_model=False)
    assert rnd.meta["extra_fields_not_finite"] == {"nps": {"n": 1, "customers": [ids[1]]}}


def test_an_engine_round_stores_the_same_count(base, tmp_path):
    tmp, tx, ids = base
    path, bad = _fields_csv(tmp_path, ids)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    from xuanba.rounds.engine import duckdb_source

    rnd = run_round_on_engine(duckdb_source(source), tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path),
                              check_model=False)
    assert rnd.meta["extra_fields_not_finite"] == {"nps": {"n": len(bad), "customers": bad[:5]}}


def test_a_round_without_such_values_says_nothing(base, tmp_path):
    tmp, tx, ids = base
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": ["" if i % 3 else "4" for i in range(len(ids))]}).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF, "--fields",
                                   str(path), "--workspace", str(_workspace(tmp_path, tx))])
    assert res.exit_code == 0 and "±inf" not in res.output, res.output


def test_a_workbooks_text_nan_is_counted_as_the_csvs_and_an_empty_cell_is_missing(base, tmp_path):
    """A sheet's cell with the text ``NaN`` (typed so, or pasted from a CSV) in a number column: the
    NaN the file writes, as the CSV's. ab5f03d read the sheet again with pandas' NA words on, so the
    text NaN was an empty cell, scored as missing without a word."""
    from openpyxl import Workbook

    tmp, tx, ids = base
    cells = [3.5, "NaN", None, float("inf"), 2.0, "-nan", None, 1.0]
    book = Workbook()
    book.active.append(["customer_id", "nps"])
    for cid, v in zip(ids, cells, strict=False):
        book.active.append([cid, "inf" if v == float("inf") else v])  # Excel holds no float inf: its text
    path = tmp_path / "fields.xlsx"
    book.save(path)
    frame = read_fields_file(path)
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=frame, check_model=False)
    expected = [cid for cid, v in zip(ids, cells, strict=False) if isinstance(v, str) or v == float("inf")]
    assert rnd.meta["extra_fields_not_finite"] == {"nps": {"n": 3, "customers": expected}}


def test_a_csv_whose_only_nans_are_empty_cells_is_parsed_once(base, tmp_path, monkeypatch):
    """Empty cells are the common NaN of a fields file: no byte ``nan`` in the file, no second parse
    as text (ab5f03d parsed every such file twice); a file that writes one still has it counted."""
    import xuanba.tables

    tmp, tx, ids = base
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": ["" if i % 3 else "4.5" for i in range(len(ids))]}).to_csv(path, index=False)
    parses = []
    real = xuanba.tables.read_table
    monkeypatch.setattr(xuanba.tables, "read_table", lambda *a, **k: parses.append(k) or real(*a, **k))
    frame = read_fields_file(path)
    assert frame["nps"].isna().sum() == sum(1 for i in range(len(ids)) if i % 3)
    assert [k for k in parses if k.get("text") is True] == []
    assert frame.attrs["xuanba_nan_written"] == {}
    pd.DataFrame({"customer_id": ids, "nps": ["" if i % 3 else "NaN" if i == 3 else "4.5"
                                              for i in range(len(ids))]}).to_csv(path, index=False)
    assert read_fields_file(path).attrs["xuanba_nan_written"] == {"nps": [ids[3]]}


def test_a_sorted_or_filtered_fields_frame_names_the_customer_whose_cell_wrote_nan(base, tmp_path):
    """pandas keeps ``attrs`` through a sort or a filter; ab5f03d kept row positions there, so
    ``read_fields_file(p).sort_values(...)`` named the customer now at that position (one with an
    empty cell) and missed the one that wrote NaN. A NaN filled in since is a value, not counted."""
    tmp, tx, ids = base
    some = ids[:6]
    path = tmp_path / "fields.csv"
    cells = ["1", "NaN", "", "2", "", "3"]
    pd.DataFrame({"customer_id": some, "nps": cells}).to_csv(path, index=False)
    frame = read_fields_file(path)
    want = {"nps": {"n": 1, "customers": [some[1]]}}
    ws = _workspace(tmp_path, tx)
    for given in (frame, frame.sort_values("customer_id", ascending=False), frame[frame["customer_id"] != some[0]]):
        assert given.attrs  # pandas kept them: what the round reads
        rnd = run_round(ws, tmp / "s.toml", CUTOFF, extra_fields=given, check_model=False, store=False)
        assert rnd.meta["extra_fields_not_finite"] == want
    filled = frame.fillna({"nps": 0.0})
    assert run_round(ws, tmp / "s.toml", CUTOFF, extra_fields=filled, check_model=False,
                     store=False).meta["extra_fields_not_finite"] == {}


def test_an_infinity_or_nan_written_with_spaces_or_in_capitals_is_counted_not_a_column_of_text(base, tmp_path):
    """pandas reads `` 5 `` as 5 but `` inf ``, `` nan``, ``NAN`` and ``-INF`` as text, so one such
    cell made the whole column text: ab5f03d's round refused ``nps`` as no number (naming no cell).
    Now they are read as the numbers they write and counted; a column with a word in it stays text."""
    tmp, tx, ids = base
    cells = [" 5 ", " inf ", "NAN", "", " nan", "-INF", "3"]
    some = ids[: len(cells)]
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": some, "nps": cells, "note": ["x", "5", "", "", "", "", ""]}).to_csv(path, index=False)
    frame = read_fields_file(path)
    assert frame["note"].dropna().tolist() == ["x", "5"]  # a word in it: text, as written
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=frame, check_model=False)
    want = [cid for cid, c in zip(some, cells, strict=True) if c.strip().lower() in ("inf", "-inf", "nan")]
    assert rnd.meta["extra_fields_not_finite"] == {"nps": {"n": 4, "customers": want}}
    assert rnd.roster.set_index("customer_id").loc[some[0], "nps"] == 5.0
