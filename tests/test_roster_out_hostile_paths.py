"""Where an engine round or a replay writes every customer's roster (``--roster-out``), attacked
with the names a stranger would give a folder: both quote marks and SQL, line breaks, globs.
Written exactly where named (and each cutoff of a replay beneath it), or refused in words before
any round runs; never SQL of its own, never a round lost at the write."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_round_engine import BUSY_STANDARD, read_roster, simulated_transactions
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

STANDARD = BUSY_STANDARD
#: Both quote marks (Ibis 12 put the path in its COPY with Python's repr) and SQL after them.
QUOTED = """a "b" 'c' \\' ); CREATE TABLE pwned AS SELECT 1; --"""


def test_a_folder_named_with_both_quote_marks_and_sql_gets_the_roster_and_runs_no_sql(tmp_path):
    import duckdb

    tx = simulated_transactions(120, seed=3)
    out = tmp_path / QUOTED
    con = duckdb.connect(str(tmp_path / "src.duckdb"))
    con.register("tx_frame", tx)
    con.execute("CREATE TABLE tx AS SELECT * FROM tx_frame")
    con.close()
    import ibis

    ib = ibis.duckdb.connect(str(tmp_path / "src.duckdb"))
    got = run_round_on_engine(
        ib.table("tx"), load_standard(STANDARD), "2025-12-31", roster_out=out, check_model=False
    )
    assert sorted(p.name for p in out.iterdir()) == ["fields.parquet", "roster.parquet"]
    assert len(read_roster(out)) == got.meta["n_customers"] > 0
    tables = ib.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    )
    assert "pwned" not in {r[0] for r in tables.fetchall()}


def test_a_replay_writes_each_cutoff_beneath_a_quoted_folder(tmp_path):
    from xuanba.rounds.replay import replay_rounds_on_engine

    out = tmp_path / QUOTED
    rep = replay_rounds_on_engine(
        simulated_transactions(120, seed=4), STANDARD, "2025-09-30", "2025-12-31", roster_out=out
    )
    assert sorted(p.name for p in out.iterdir()) == ["2025-09-30", "2025-12-31"]
    for cut, rnd in zip(["2025-09-30", "2025-12-31"], rep.rounds, strict=True):
        assert len(pd.read_parquet(out / cut / "roster.parquet")) == rnd.meta["n_customers"]
    assert rep.summary["rank_correlation"].iloc[1:].notna().all()


@pytest.mark.parametrize(
    "where",
    [
        "a\nb",
        "a\r\nSet-Cookie: x=1",
        "rosters-*",
        "r?",
        "r[1]",
        "r{a,b}",
        "a\x1bb",
        "file:///tmp/r*",
        "s3a://lake/r?x",
    ],
)
def test_a_roster_out_an_engine_would_read_as_a_pattern_or_not_write_is_refused_before_the_round(
    where, tmp_path, monkeypatch
):
    """A line break is written by the engine's SQL as the two characters \\n (the write failed after
    the whole round); * ? [ ] { } are globs to DuckDB's read_parquet and Spark's reader (a roster
    read back would be other folders' too). Refused in words before any round runs."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.errors import InputError

    def not_run(*a, **k):
        raise AssertionError("a round ran before --roster-out was checked")

    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", not_run)
    target = where if "://" in where else str(tmp_path / where)
    with pytest.raises(InputError, match="--roster-out") as info:
        run_round_on_engine(
            simulated_transactions(20, seed=1),
            load_standard(STANDARD),
            "2025-12-31",
            roster_out=target,
            check_model=False,
        )
    assert "* ? [ ] { }" in str(info.value.fix)
    tx = tmp_path / "tx.parquet"
    simulated_transactions(20, seed=1).to_parquet(tx, index=False)
    (tmp_path / "s.toml").write_text(STANDARD, "utf-8")
    res = CliRunner().invoke(
        app,
        [
            "round",
            "--standard",
            str(tmp_path / "s.toml"),
            "--cutoff",
            "2025-12-31",
            "--source",
            str(tx),
            "--roster-out",
            target,
            "--no-store",
        ],
    )
    assert res.exit_code == 2 and "--roster-out" in res.output and "Traceback" not in res.output, (
        res.output
    )
    assert not [p for p in tmp_path.iterdir() if p.name not in ("tx.parquet", "s.toml")]
