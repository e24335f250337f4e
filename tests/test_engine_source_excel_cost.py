"""An engine round reads an Excel error in a text cost (``#N/A``, ``#DIV/0!``) as ``xuanba
ingest`` does: the cost left empty and counted, the line used. At 16dfc23 the DuckDB round
refused the whole source with the generic money message ("'#N/A' is not a number ... write the
costs as numbers"), where ingest loads the line without its cost and says so."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import spark_test
from tests.test_round_engine import BUSY_STANDARD, assert_same_round, simulated_transactions
from xuanba.cli import app
from xuanba.ingest import ingest
from xuanba.ingest.rules import EXCEL_ERROR
from xuanba.rounds import run_round
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.rounds.source_check import checked_transactions

CUTOFF = "2025-12-31"
#: The kept lines' costs written as an error (any case, spaces round it) and the lines rejected
#: anyway (an empty id, an error id) whose cost is an error too: not counted as left empty.
ERROR_COSTS = {5: "#N/A", 40: "#DIV/0!", 77: " #n/a ", 120: "#VALUE!"}
REJECTED = {60: "", 61: "#N/A"}


def _sales(n: int = 200) -> pd.DataFrame:
    """Transactions as a CSV export writes them: text dates, costs as text (some empty), a few
    returns, the error costs and the rejected lines of :data:`ERROR_COSTS` and :data:`REJECTED`."""
    tx = simulated_transactions(n, seed=6)
    tx["ts"] = tx["ts"].dt.strftime("%Y-%m-%d")
    tx["cost"] = tx["cost"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}").astype(object)
    for row, text in ERROR_COSTS.items():
        tx.loc[row, "cost"] = text
    for row, cid in REJECTED.items():
        tx.loc[row, ["customer_id", "cost"]] = [cid, "#N/A"]
    return tx


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_the_engine_round_equals_ingest_then_a_workspace_round(tmp_path, form):
    """The same source (a CSV read by DuckDB, a Parquet with a text cost column): the engine
    round's row counts and its costs left empty are ingest's report, and its roster, hashes and
    figures are those of the workspace round after ingest."""
    tx = _sales()
    path = tmp_path / f"sales.{form}"
    if form == "csv":
        tx.to_csv(path, index=False)
    else:
        tx.to_parquet(path, index=False)
    report = ingest(str(path), tmp_path / "ws.duckdb", tz="UTC")
    src = report.sources[0]
    assert src.values_left_empty == {"cost": len(ERROR_COSTS)}  # ingest's own reading, the reference
    assert src.rejected_by_reason == {EXCEL_ERROR: 1, "missing customer id": 1}
    want = run_round(tmp_path / "ws.duckdb", BUSY_STANDARD, CUTOFF, store=False, check_model=False)
    got = run_round_on_engine(duckdb_source(str(path)), BUSY_STANDARD, CUTOFF, roster_out=tmp_path / "out",
                              check_model=False)
    rows = got.meta["source_rows"]
    assert rows["values_left_empty"] == src.values_left_empty
    assert rows["rejected_by_reason"] == src.rejected_by_reason
    assert rows["input_rows"] == src.input_rows and rows["used"] == src.loaded + src.merged
    assert_same_round(got, want, tmp_path / "out")


def test_an_error_cost_below_duckdbs_sample_is_read_as_ingest_reads_it(tmp_path):
    """Costs all numbers in DuckDB's sample, an error far below it: the money read again as text,
    the error left empty and counted, as ingest counts it (never the generic refusal)."""
    n = 30_000
    frame = pd.DataFrame({"customer_id": [f"c{i % 500}" for i in range(n)],
                          "ts": [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
                          "amount": [f"{10 + i % 7}.5" for i in range(n)],
                          "cost": [f"{3 + i % 5}.25" for i in range(n)]})
    frame.loc[[25_000, 29_999], "cost"] = ["#N/A", "#REF!"]
    path = tmp_path / "late.csv"
    frame.to_csv(path, index=False)
    report = ingest(str(path), tmp_path / "ws.duckdb", tz="UTC")
    table, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)
    assert rows["values_left_empty"] == report.sources[0].values_left_empty == {"cost": 2}
    assert rows["used"] == report.loaded == n
    costs = table.select("cost").to_pyarrow()["cost"].to_pylist()
    assert sum(c is None for c in costs) == 2


@pytest.mark.parametrize("lang, said", [
    ("en", "Values of the source not understood and left empty, as `xuanba ingest` leaves them (cost: 4)."),
    ("zh", "数据源中无法识别、留空的值（cost：4），与 `xuanba ingest` 相同。"),
])
def test_the_console_says_the_costs_left_empty(tmp_path, lang, said):
    path = tmp_path / "sales.csv"
    _sales().to_csv(path, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff", CUTOFF,
                                   "--engine", "duckdb", "--source", str(path), "--no-store", "--top", "0"])
    assert res.exit_code == 0, res.output
    assert "".join(said.split()) in "".join(res.output.split()), res.output
    assert ("Excel error" if lang == "en" else "Excel 错误值") in res.output


@spark_test
def test_a_spark_round_leaves_an_error_cost_empty_as_duckdb_does(spark, tmp_path):
    """The same rule on Spark (the excel_error pattern read by Java): the same counts."""
    from xuanba.rounds.spark import spark_source

    path = tmp_path / "sales.parquet"
    _sales().to_parquet(path, index=False)
    duck = checked_transactions(duckdb_source(str(path)), CUTOFF)[1]
    got = checked_transactions(spark_source(spark, str(path)), CUTOFF)[1]
    assert got == duck and got["values_left_empty"] == {"cost": len(ERROR_COSTS)}


@spark_test
def test_a_spark_round_reads_an_error_with_a_wide_space_round_it_as_ingest_does(spark, tmp_path):
    """An id and a cost ``#N/A`` with a no-break or ideographic space round it (a web page's, a
    Chinese input method's): ingest and the DuckDB round trim those spaces (DuckDB's ``trim``), so
    the line is rejected and the cost left empty; Spark's own ``trim`` strips the ASCII space alone
    (the rules spell the others out there), and before, its round refused the source (the cost "not a number") and kept a customer
    ``'#N/A\\xa0'``. Ingest's counts the reference; a CSV and a Parquet."""
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    spaced = ["#N/A\u00a0", "\u3000#n/a", "\u202f#REF!\u3000"]
    frame = pd.DataFrame({"customer_id": [*spaced, "a", "b", "c"], "ts": ["2025-01-01"] * 6, "amount": ["5"] * 6,
                          "cost": ["1", "2", "3", *spaced]})
    for form in ("csv", "parquet"):
        path = tmp_path / f"sales.{form}"
        frame.to_csv(path, index=False) if form == "csv" else frame.to_parquet(path, index=False)
        src = ingest(str(path), tmp_path / f"{form}.duckdb", tz="UTC").sources[0]
        assert src.rejected_by_reason == {EXCEL_ERROR: 3} and src.values_left_empty == {"cost": 3}
        for source in (duckdb_source(str(path)), spark_source(spark, str(path))):
            table, rows = checked_transactions(source, CUTOFF)
            assert rows["rejected_by_reason"] == src.rejected_by_reason, (form, source)
            assert rows["values_left_empty"] == src.values_left_empty, (form, source)
            assert sorted(to_arrow(table.select("customer_id"))["customer_id"].to_pylist()) == ["a", "b", "c"]
