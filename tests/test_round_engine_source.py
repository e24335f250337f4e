"""An engine round reads its source by the rules ``xuanba ingest`` applies (xuanba.ingest.rules):
the same customers and the same roster as ingest followed by a workspace round, every source row
accounted for, a cell it cannot read said with its column, row and value, and the money figures
of the report the workspace round's to the last digit."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import spark_test
from tests.test_round_engine import (
    BUSY_STANDARD,
    assert_same_round,
    read_roster,
    simulated_transactions,
)
from xuanba.errors import DataError, InputError
from xuanba.ingest import ingest
from xuanba.rounds import run_round
from xuanba.rounds.engine import duckdb_source, run_round_on_engine

CUTOFF = "2025-12-31"


def _plain(n: int = 200, seed: int = 4) -> pd.DataFrame:
    """Canonical transactions (id, time, amount in cents, no returns): ingest loads every row as it is."""
    tx = simulated_transactions(n, seed=seed)[["customer_id", "ts", "amount"]]
    tx["amount"] = tx["amount"].abs()
    tx["ts"] = tx["ts"].astype("datetime64[us]")
    return tx


#: Unicode's space separators (Zs), told by Python's own tables: the spaces ingest trims round a cell.
SPACES = "".join(c for c in map(chr, range(0x110000)) if unicodedata.category(c) == "Zs")


def _hostile(tx: pd.DataFrame) -> pd.DataFrame:
    """``tx`` with the rows and ids ingest rejects or reads its own way: empty and blank ids,
    ids with spaces around them (the no-break, ideographic, em and narrow no-break ones too, and
    an id of a no-break space alone; U+200B and U+FEFF, no spaces, kept), dates before 1900, after
    2100 and missing, missing, NaN and infinite amounts."""
    tx = tx.copy()
    ids = tx["customer_id"].drop_duplicates().to_numpy()
    tx.loc[tx["customer_id"] == ids[0], "customer_id"] = ""
    tx.loc[tx["customer_id"] == ids[1], "customer_id"] = "   "
    first = tx.index[tx["customer_id"] == ids[2]]
    tx.loc[first[0], "customer_id"] = f" {ids[2]}"  # one customer, as ingest reads it
    tx.loc[first[1:], "customer_id"] = f"{ids[2]}  "
    first = tx.index[tx["customer_id"] == ids[3]]
    tx.loc[first[0], "customer_id"] = f"\xa0{ids[3]}"  # one customer too
    tx.loc[first[1:], "customer_id"] = f"\u3000{ids[3]}\u3000"
    tx.loc[tx["customer_id"] == ids[4], "customer_id"] = f"\u2003{ids[4]}\u202f"
    tx.loc[tx["customer_id"] == ids[5], "customer_id"] = "\xa0"  # no id
    for at, mark in ((6, "\u200b{}"), (7, "{}\ufeff")):  # no space: a customer of its own
        tx.loc[tx.index[tx["customer_id"] == ids[at]][0], "customer_id"] = mark.format(ids[at])
    tx.loc[[10, 11], "ts"] = pd.Timestamp("1500-01-01")
    tx.loc[12, "ts"] = pd.Timestamp("2150-06-30")
    tx.loc[[13, 14], "ts"] = pd.NaT
    tx["amount"] = tx["amount"].astype(float)
    tx.loc[15, "amount"] = np.nan
    tx.loc[[16, 17], "amount"] = np.inf
    tx.loc[18, "amount"] = -np.inf
    return tx


def _expected_reasons(tx: pd.DataFrame) -> dict[str, int]:
    """Ingest's reasons, counted in pandas, in the order ingest checks them."""
    ids = tx["customer_id"].str.strip(SPACES)
    why = np.select(
        [ids.eq("") | ids.isna(), tx["ts"].isna(), tx["ts"] < pd.Timestamp("1900-01-01"),
         tx["ts"] >= pd.Timestamp("2101-01-01"), tx["amount"].isna() & ~np.isnan(tx["amount"].to_numpy(float)),
         ~np.isfinite(tx["amount"].to_numpy(float))],
        ["missing customer id", "missing date", "date before 1900", "date after 2100", "missing amount",
         "non-numeric amount"], default="")
    counts = pd.Series(why[why != ""]).value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _parquet(tx: pd.DataFrame, path) -> str:
    """``tx`` as Parquet, NaN kept as NaN (not a missing value), as a pipeline writes floats."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(tx, preserve_index=False)
    amounts = pa.array(tx["amount"].to_numpy(dtype=float), from_pandas=False)  # NaN stays NaN
    pq.write_table(table.set_column(table.schema.get_field_index("amount"), "amount", amounts), path)
    return str(path)


def test_the_same_source_gives_the_same_roster_as_ingest_then_a_workspace_round(tmp_path):
    """A source with every row kind ingest rejects and ids with spaces around them: the engine
    round (DuckDB, read from Parquet) has ingest's customers and the workspace round's whole roster,
    hashes and figures, and counts the rows it left out by ingest's reasons, as ingest did."""
    tx = _hostile(_plain())
    src = _parquet(tx, tmp_path / "tx.parquet")
    ws = tmp_path / "ws.duckdb"
    report = ingest(src, ws, tz="UTC")
    want = run_round(ws, BUSY_STANDARD, CUTOFF, store=False, check_model=False)
    got = run_round_on_engine(duckdb_source(src), BUSY_STANDARD, CUTOFF, roster_out=tmp_path / "out",
                              check_model=False)
    assert_same_round(got, want, tmp_path / "out")
    full = read_roster(tmp_path / "out")
    assert set(full["customer_id"]) == set(want.roster["customer_id"])
    assert "" not in set(full["customer_id"]) and not any(i != i.strip(SPACES) for i in full["customer_id"])
    assert any(i.startswith("\u200b") for i in full["customer_id"])
    rows = got.meta["source_rows"]
    assert rows["rejected_by_reason"] == report.rejected_by_reason == _expected_reasons(tx)
    assert rows["input_rows"] == len(tx) == rows["used"] + rows["rejected"]
    assert rows["used"] == report.loaded


REJECTS_ROWS = [3, 40, 41]


@pytest.fixture(scope="module")
def clean_round(tmp_path_factory):
    """The transactions of :func:`test_a_row_ingest_rejects_is_left_out_and_counted` without its
    bad rows, and the engine round on them with its roster output: the same round whichever kind
    of bad row a case puts there, so run once for the five (read only)."""
    tx = _plain(150, seed=8)
    folder = tmp_path_factory.mktemp("rejects")
    clean = run_round_on_engine(duckdb_source(_parquet(tx.drop(index=REJECTS_ROWS), folder / "ok.parquet")),
                                BUSY_STANDARD, CUTOFF, roster_out=folder / "ok", check_model=False)
    return tx, clean, folder / "ok"


@pytest.mark.parametrize("change", ["empty id", "date before 1900", "missing date", "nan amount", "inf amount"])
def test_a_row_ingest_rejects_is_left_out_and_counted(tmp_path, clean_round, change):
    """One kind of bad row at a time: the round equals the round on the source without those rows
    (the fit, every customer's fields and the roster) and says how many it left out and why."""
    tx, clean, ok = clean_round
    bad = tx.copy()
    rows = REJECTS_ROWS
    if change == "empty id":
        bad.loc[rows, "customer_id"] = ""
        reason = "missing customer id"
    elif change == "date before 1900":
        bad.loc[rows, "ts"] = pd.Timestamp("1500-01-01")
        reason = "date before 1900"
    elif change == "missing date":
        bad.loc[rows, "ts"] = pd.NaT
        reason = "missing date"
    else:
        bad.loc[rows, "amount"] = np.nan if change == "nan amount" else np.inf
        reason = "non-numeric amount"
    got = run_round_on_engine(duckdb_source(_parquet(bad, tmp_path / "bad.parquet")), BUSY_STANDARD, CUTOFF,
                              roster_out=tmp_path / "bad", check_model=False)
    assert got.meta["source_rows"] == {"input_rows": len(tx), "used": len(tx) - 3, "rejected": 3,
                                       "rejected_by_reason": {reason: 3}}
    assert clean.meta["source_rows"]["rejected"] == 0
    pd.testing.assert_frame_equal(read_roster(tmp_path / "bad"), read_roster(ok))
    fields = pd.read_parquet(tmp_path / "bad" / "fields.parquet")
    pd.testing.assert_frame_equal(fields, pd.read_parquet(ok / "fields.parquet"))
    assert fields["tenure_days"].max() < 3 * 365 and "" not in set(fields["customer_id"])
    for key in ("data_sha256", "roster_sha256", "models", "summary"):
        assert got.meta[key] == clean.meta[key], key


def test_ids_with_spaces_around_them_are_one_customer_as_after_ingest():
    """" abc", "abc " and "abc" are one customer, as ingest reads them (spaces only: a tab stays)."""
    tx = _plain(60, seed=2)
    ids = tx["customer_id"].drop_duplicates().to_numpy()
    a = tx.index[tx["customer_id"] == ids[0]]
    tx.loc[a[0], "customer_id"] = f"  {ids[0]}"
    tx.loc[a[1:], "customer_id"] = f"{ids[0]} "
    tx.loc[tx["customer_id"] == ids[1], "customer_id"] = f"\t{ids[1]}"
    got = run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False)
    assert got.meta["n_customers"] == len(ids)
    assert got.meta["source_rows"]["rejected"] == 0


@pytest.mark.parametrize("column, bad", [("amount", "abc"), ("ts", "2025-13-45")])
def test_a_text_cell_that_is_not_a_date_or_amount_is_said_with_its_column_row_and_value(tmp_path, column, bad):
    """Amounts or dates written as text (a CSV-to-Parquet export) with one bad cell: exit 2 and a
    message naming the source, the column, the row and the value, with the fix; not DuckDB's
    ConversionException and a traceback."""
    from xuanba.cli import app

    tx = _plain()
    tx["amount"] = tx["amount"].map(lambda x: f"{x:.2f}")
    tx["ts"] = tx["ts"].dt.strftime("%Y-%m-%d")
    tx.loc[3, column] = bad
    tx.loc[7, column] = bad
    src = tmp_path / "tx.parquet"
    tx.to_parquet(src, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   CUTOFF, "--engine", "duckdb", "--source", str(src), "--no-store"])
    assert res.exit_code == 2, (res.exit_code, res.output[-500:], repr(res.exception))
    text = " ".join(res.output.split())
    assert f"{src}, row 4, column '{column}'" in text and repr(bad) in text and "(2 in all)" in text, text
    assert "xuanba ingest" in text
    with pytest.raises(InputError) as err:  # the library says it too
        run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False)
    assert err.value.column == column and err.value.row == 4 and err.value.count == 2


def test_text_dates_and_amounts_that_read_are_used():
    """Text that reads as ISO dates and plain numbers (spaces around them too) gives the round of
    the typed columns."""
    tx = _plain(80, seed=5)
    text = tx.assign(amount=tx["amount"].map(lambda x: f" {x:.2f}"), ts=tx["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    a = run_round_on_engine(text, BUSY_STANDARD, CUTOFF, check_model=False)
    b = run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False)
    pd.testing.assert_frame_equal(a.roster, b.roster)
    assert a.meta["data_sha256"] == b.meta["data_sha256"]


def test_a_source_of_rejected_rows_only_is_said():
    tx = _plain(20, seed=1).assign(customer_id="")
    with pytest.raises(DataError) as err:
        run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, check_model=False)
    assert f"none of the source's {len(tx)} rows" in str(err.value) and "missing customer id" in str(err.value)


def test_the_console_says_the_rows_left_out(tmp_path):
    from xuanba.cli import app

    tx = _hostile(_plain())
    src = _parquet(tx, tmp_path / "tx.parquet")
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   CUTOFF, "--engine", "duckdb", "--source", src, "--no-store", "--top", "0"])
    assert res.exit_code == 0, res.output
    want = _expected_reasons(tx)
    said = " ".join(res.output.split())
    assert f"{sum(want.values())} of the source's {len(tx):,} rows were left out" in said, said
    for reason, n in want.items():
        assert f"{n} {reason}" in said


@pytest.mark.parametrize("inside", ["lake/out", "lake", "lake/deeper/out"])
def test_a_roster_out_inside_the_source_folder_is_refused_on_the_first_run(tmp_path, inside):
    """``--source lake --roster-out lake/out`` would make the next round over ``lake`` read the
    roster's files as transactions: refused before anything is written (also for a glob)."""
    from xuanba.cli import app

    lake = tmp_path / "lake"
    lake.mkdir()
    _plain().to_parquet(lake / "a-part.parquet", index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    for source in (str(lake), str(lake / "*.parquet")):
        res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                       CUTOFF, "--engine", "duckdb", "--source", source, "--no-store",
                                       "--roster-out", str(tmp_path / inside)])
        assert res.exit_code == 2, (res.exit_code, res.output)
        assert "is inside --source" in " ".join(res.output.split())
        assert sorted(p.name for p in lake.rglob("*")) == ["a-part.parquet"]
    res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   CUTOFF, "--engine", "duckdb", "--source", str(lake), "--no-store",
                                   "--roster-out", str(tmp_path / "lake-out")])  # beside it: fine
    assert res.exit_code == 0, res.output


def test_money_of_identical_customers_reads_the_same_as_the_workspace_round(tmp_path):
    """50 customers with the same history (244.01 a year each): the report of both rounds reads
    "of 12,200" (12200.5, rounded to even), the exact sum; a float sum in the engine's order gave
    12200.50000000001 and "of 12,201"."""
    from tests.test_round_engine import _workspace
    from tests.test_round_engine_outputs import seen
    from xuanba.outputs.report import write_report

    one = pd.DataFrame({"ts": pd.to_datetime(["2025-02-03", "2025-05-06", "2025-09-10"]),
                        "amount": [100.0, 80.0, 64.01]})
    tx = pd.concat([one.assign(customer_id=f"x{i:03d}") for i in range(50)], ignore_index=True)
    tx = tx[["customer_id", "ts", "amount"]]
    ws = _workspace(tmp_path, tx)
    a = run_round(ws, BUSY_STANDARD, CUTOFF, check_model=False)
    eng = tmp_path / "e.duckdb"
    b = run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, workspace=eng, check_model=False)
    exact = float(sum(Decimal(str(x)) for x in tx["amount"]))  # every purchase is within the 365 days
    assert a.meta["summary"]["value_total"] == b.meta["summary"]["value_total"] == exact == 12200.5
    assert a.meta["summary"]["tier_values"] == b.meta["summary"]["tier_values"]
    texts = [" ".join(seen(write_report(w, "latest", tmp_path / f"{i}.html").read_text("utf-8")))
             for i, w in enumerate((ws, eng))]
    money = [re.findall(r"of [\d,]+ \(Revenue", t) for t in texts]
    assert money[0] == money[1] == ["of 12,200 (Revenue"], money


def test_money_sums_are_exact_in_any_order():
    """The headline sums are exact sums of the customers' values (at their six decimals), whatever
    the order: a random base summed in Decimal, and the engine and the workspace agree bit for bit."""
    from xuanba.rounds.summary import round_summary

    rng = np.random.default_rng(7)
    values = np.round(rng.gamma(1.2, 300.0, 5000), 2) + 0.1
    roster = pd.DataFrame({"customer_id": [f"c{i}" for i in range(5000)], "tier": np.where(values > 400, "A", ""),
                           "selected": values > 400, "quadrant": ""})
    fields = pd.DataFrame({"customer_id": roster["customer_id"], "revenue_365d": values})
    exact = sum(Decimal(str(v)) for v in values)
    for order in (np.arange(5000), rng.permutation(5000)):
        s = round_summary(roster.iloc[order].reset_index(drop=True), fields.iloc[order].reset_index(drop=True),
                          tiers=["A"])
        assert s["value_total"] == float(exact)
        assert s["tier_values"]["A"] == float(sum(Decimal(str(v)) for v in values[values > 400]))


@spark_test
def test_the_checks_run_on_spark_and_give_duckdbs_round(spark, tmp_path):
    """The hostile source read by Spark: the same rows left out and counted, the same roster as
    on DuckDB; and a text amount that is not a number is said there too (no row number: Spark
    numbers rows only in an order)."""
    from xuanba.rounds.spark import spark_source

    tx = _hostile(_plain(120, seed=6))
    src = _parquet(tx, tmp_path / "tx.parquet")
    duck = run_round_on_engine(duckdb_source(src), BUSY_STANDARD, CUTOFF, check_model=False)
    got = run_round_on_engine(spark_source(spark, src), BUSY_STANDARD, CUTOFF, check_model=False)
    assert got.meta["engine"] == "pyspark"
    assert got.meta["source_rows"] == duck.meta["source_rows"]
    assert got.meta["source_rows"]["rejected_by_reason"] == _expected_reasons(tx)
    for key in ("n_customers", "n_selected", "data_sha256", "roster_sha256"):
        assert got.meta[key] == duck.meta[key], key
    text = _plain(60, seed=6)
    text["amount"] = text["amount"].map(lambda x: f"{x:.2f}")
    text.loc[5, "amount"] = "12,50"
    text.to_parquet(tmp_path / "text.parquet", index=False)
    with pytest.raises(InputError) as err:
        run_round_on_engine(spark_source(spark, str(tmp_path / "text.parquet")), BUSY_STANDARD, CUTOFF,
                            check_model=False)
    assert err.value.column == "amount" and "'12,50'" in str(err.value) and err.value.count == 1
