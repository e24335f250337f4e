"""A Python caller's ``roster_out`` inside the folder its Ibis table reads (``con.read_parquet``
on DuckDB, ``spark.read.parquet`` on Spark) is refused as the command line refuses ``--source``'s:
the next round over those files would read the roster as transactions. Where the files cannot be
known, nothing is said."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from tests._helpers import spark_test
from tests.test_round_engine import BUSY_STANDARD, read_roster, simulated_transactions
from xuanba.errors import InputError
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.rounds.replay import replay_rounds_on_engine
from xuanba.rounds.roster_out import parse_roster_out
from xuanba.rounds.source_check import (
    refuse_roster_out_in_source,
    refuse_roster_out_in_table_source,
)

CUTOFF = "2025-12-31"


@pytest.fixture
def lake(tmp_path):
    """A folder of two Parquet parts, its name hostile to SQL and URIs (a quote, a space, non-ASCII, %)."""
    folder = tmp_path / "la'ke 湖%41"  # %41 is not A
    folder.mkdir()
    tx = simulated_transactions(80, seed=6)
    tx.iloc[:300].to_parquet(folder / "part-0.parquet", index=False)
    tx.iloc[300:].to_parquet(folder / "part-1.parquet", index=False)
    return folder


@pytest.fixture
def not_run(monkeypatch):
    def fails(*args, **kwargs):
        raise AssertionError("the round ran before roster_out was checked")

    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", fails)


def _refused(table, out) -> bool:
    try:
        refuse_roster_out_in_table_source(table, parse_roster_out(out))
    except InputError as exc:
        assert "the next round over them would read the roster's files" in exc.message
        return True
    return False


@pytest.mark.parametrize("inside", ["out", ".", "deeper/out"])
def test_a_roster_out_inside_a_duckdb_parquet_folder_is_refused_before_the_round(
    lake, inside, not_run
):
    con = ibis.duckdb.connect()
    for table in (
        con.read_parquet(str(lake / "*.parquet")),
        duckdb_source(lake),
        con.read_parquet([str(lake / "part-0.parquet"), str(lake / "*.parquet")]),
    ):
        with pytest.raises(InputError, match="a folder the transactions are read from"):
            run_round_on_engine(table, BUSY_STANDARD, CUTOFF, roster_out=lake / inside)
        with pytest.raises(InputError, match="a folder the transactions are read from"):
            run_round_on_engine(
                table, BUSY_STANDARD, CUTOFF, roster_out=(lake / inside).resolve().as_uri()
            )
        with pytest.raises(InputError, match="a folder the transactions are read from"):
            replay_rounds_on_engine(
                table, BUSY_STANDARD, "2025-09-30", CUTOFF, roster_out=lake / inside
            )
    assert sorted(p.name for p in lake.rglob("*")) == [
        "part-0.parquet",
        "part-1.parquet",
    ]  # nothing written


def test_a_view_over_the_files_and_a_join_are_followed_to_them(lake):
    con = ibis.duckdb.connect()
    parts = con.read_parquet(str(lake / "*.parquet"))
    con.raw_sql(f'CREATE TEMP VIEW "my tx" AS SELECT * FROM "{parts.get_name()}" WHERE amount > 0')
    mine = con.table("my tx")
    assert _refused(mine, lake / "out")
    other = con.create_table("ids", pa.table({"customer_id": ["a"]}))
    assert _refused(mine.join(other, "customer_id"), lake / "out")


def test_outside_the_folder_a_single_file_and_unknown_files_say_nothing(lake, tmp_path):
    con = ibis.duckdb.connect()
    parts = con.read_parquet(str(lake / "*.parquet"))
    assert not _refused(parts, tmp_path / "lake-out")  # beside it
    assert not _refused(parts, lake.parent)  # above it: the roster is not under the source
    assert not _refused(parts, f"{lake}-out")  # a name that starts like it
    one = con.read_parquet(str(lake / "part-0.parquet"))  # a file: its folder is not read
    assert not _refused(one, lake / "out")
    assert not _refused(ibis.memtable(pa.Table.from_pandas(simulated_transactions(5, seed=1))), lake / "out")
    copied = con.create_table("copied", parts.to_pyarrow())  # a table of the database: no files
    assert not _refused(copied, lake / "out")
    got = run_round_on_engine(parts, BUSY_STANDARD, CUTOFF, roster_out=tmp_path / "lake-out")
    assert len(read_roster(tmp_path / "lake-out")) == got.meta["n_customers"]


def test_the_command_lines_glob_is_its_folder_not_the_folder_above(lake, tmp_path):
    """``--source lake/**/*.parquet`` reads ``lake``: a roster beside it is fine (before, the
    folder above ``lake`` was taken for the source and the roster refused)."""
    refuse_roster_out_in_source(str(lake / "**" / "*.parquet"), tmp_path / "lake-out")
    refuse_roster_out_in_source(str(lake / "*.parquet"), tmp_path / "lake-out")
    with pytest.raises(InputError, match="is inside --source"):
        refuse_roster_out_in_source(str(lake / "**" / "*.parquet"), lake / "out")


@spark_test
def test_a_roster_out_inside_a_spark_parquet_folder_or_a_tables_location_is_refused(
    spark, lake, tmp_path, not_run
):
    session = spark._session
    frame = session.read.parquet(str(lake))
    frame.createOrReplaceTempView("users_tx")
    tx = spark.table("users_tx")
    for out in (lake / "out", (lake / "deeper").as_uri(), lake):
        with pytest.raises(InputError, match="a folder the transactions are read from"):
            run_round_on_engine(tx, BUSY_STANDARD, CUTOFF, roster_out=out)
    with pytest.raises(InputError, match="a folder the transactions are read from"):
        replay_rounds_on_engine(
            tx, BUSY_STANDARD, "2025-09-30", CUTOFF, roster_out=(lake / "out").as_uri()
        )
    assert not _refused(tx, tmp_path / "lake-out") and not _refused(
        tx, (tmp_path / "elsewhere").as_uri()
    )
    assert not _refused(spark.read_parquet(str(lake / "part-0.parquet")), lake / "out")  # a file
    assert _refused(tx.union(spark.read_parquet(str(lake / "part-0.parquet"))), lake / "out")
    session.catalog.dropTempView("users_tx")
    db = "xt_src"
    session.sql(f"CREATE DATABASE {db} LOCATION '{(tmp_path / 'wh').as_posix()}'")
    try:
        frame.write.saveAsTable(f"{db}.tx")
        table = spark.table("tx", database=db)
        assert _refused(table, tmp_path / "wh" / "tx" / "out")
        assert not _refused(table, tmp_path / "wh" / "roster")  # beside the table's files
        assert not _refused(table, "table:xt_src.roster")  # a table: no folder of ours
    finally:
        session.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    assert sorted(p.name for p in lake.rglob("*")) == ["part-0.parquet", "part-1.parquet"]
