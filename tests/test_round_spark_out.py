"""Where a round on Spark lands (``--roster-out``): a URL Spark's executors write and a table of
Spark's catalog, each whole or not at all; the first round of each landing run by the command
line itself, from a Parquet path and from a catalog table, its roster the DuckDB engine round's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import SPARK_MARKS
from tests.test_round_engine import (
    BUSY_STANDARD,
    assert_same_round,
    read_roster,
    simulated_transactions,
)
from xuanba.errors import InputError
from xuanba.rounds import load_round
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.standard import load_standard

pytestmark = SPARK_MARKS
CUTOFF = "2025-12-31"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """300 simulated customers with hostile ids as Parquet, the standard, the DuckDB engine
    round's whole roster of them (the reference every Spark landing must hold) and the workspace
    round on DuckDB (gates and a capacity that binds: the round the first Spark round must equal)."""
    from tests._helpers import store
    from xuanba import Workspace
    from xuanba.rounds import run_round

    tmp = tmp_path_factory.mktemp("sparkout")
    tx = simulated_transactions(300, seed=5)
    path = tmp / "tx.parquet"
    tx.to_parquet(path, index=False)
    (tmp / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    duck = run_round_on_engine(duckdb_source(path), load_standard(BUSY_STANDARD), CUTOFF, roster_out=tmp / "duck")
    with Workspace(tmp / "ws.duckdb") as ws:
        store(ws, "transactions", tx)
    workspace_round = run_round(tmp / "ws.duckdb", load_standard(BUSY_STANDARD), CUTOFF, store=False,
                                check_model=False)
    assert workspace_round.meta["n_left_out_by_capacity"] > 0 and workspace_round.meta["n_gated_out"] > 0
    return {"tmp": tmp, "tx": tx, "parquet": path, "standard": tmp / "s.toml", "want": read_roster(tmp / "duck"),
            "summary": duck.meta["summary"], "workspace_round": workspace_round}


@pytest.fixture
def database(spark, tmp_path):
    """A database of Spark's catalog whose tables live in ``tmp_path`` (a temporary warehouse),
    dropped with them at the end."""
    name = f"xt_{uuid.uuid4().hex[:8]}"
    spark._session.sql(f"CREATE DATABASE {name} LOCATION '{(tmp_path / 'warehouse').as_posix()}'")
    yield name
    spark._session.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")


def _by_rank(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def _same_roster(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_by_rank(got), want, check_dtype=False, check_exact=False, rtol=1e-12, atol=1e-9)


class _Dies(RuntimeError):
    pass


# The rounds below that fail, or only replace an earlier landing, run without the model's check
# (``check_model=False``: a holdout fit and its Spark queries, no part of where a roster lands or
# of a write that dies); the rounds whose landing is compared with DuckDB's run as a round does.


def _dying_writes(monkeypatch, only: str = "") -> None:
    """Spark's writer loses its executors half-way: some parts are on disk (a table: all of it, in
    the catalog), then it fails; with ``only``, a Parquet write whose path holds it (others write)."""
    from pyspark.sql.readwriter import DataFrameWriter

    real_save = DataFrameWriter.save

    def save(self, path=None, *args, **kwargs):
        if only not in str(path):
            return real_save(self, path, *args, **kwargs)
        part = Path(str(path).removeprefix("file://")) / "part-00000-half.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(b"PAR1 half a part")
        raise _Dies("executor lost")

    real = DataFrameWriter.saveAsTable

    def save_as_table(self, name, *args, **kwargs):  # the table made, then the job fails
        real(self, name, *args, **kwargs)
        raise _Dies("executor lost")

    monkeypatch.setattr(DataFrameWriter, "save", save)
    monkeypatch.setattr(DataFrameWriter, "saveAsTable", save_as_table)


def test_the_command_line_lands_a_round_at_a_url_spark_writes_and_a_dying_write_keeps_the_earlier_one(
        spark, base, tmp_path, monkeypatch):
    """``xuanba round --engine spark --source PARQUET --roster-out file://… --spark-conf …``: exit 0,
    Spark's executors write roster.parquet and fields.parquet there (no local folder named
    ``file:``), the roster is the DuckDB round's, the meta records where it went, the report and a
    statement read the stored round, and the session the command joined is left running with its
    settings. That round is also the workspace round on DuckDB (``assert_same_round``: the same
    selection, hashes, headline figures and estimates; hostile ids, every normalisation, gates, a
    quota, a bar, a tie-break and a capacity that binds; it was a round of its own in
    tests/test_round_spark.py, and the command line's a round of its own after this one until
    session 35). A second round that fails to store leaves the first roster whole, no temporary
    sibling behind, and the session as it found it; a write that dies half-way leaves the first
    roster whole too (the landing's own write, given Spark tables: a round until session 37)."""
    import re
    import traceback

    from ibis.backends.pyspark import Backend

    import xuanba.rounds.engine as engine
    from xuanba.outputs.statements import build_statement
    from xuanba.rounds.spark import spark_source

    url = (tmp_path / "lake" / "round").as_uri()
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.duckdb"
    compiled, compile, rounds, run = [], Backend.compile, [], engine.run_round_on_engine

    def recorded(self, expr, *args, **kwargs):
        sql = compile(self, expr, *args, **kwargs)
        compiled.append((sql, {f.name for f in traceback.extract_stack()}))
        return sql

    def kept(*args, **kwargs):  # the round the command line ran, as it returned it
        rounds.append(run(*args, **kwargs))
        return rounds[-1]

    with monkeypatch.context() as m:
        m.setattr(Backend, "compile", recorded)
        m.setattr(engine, "run_round_on_engine", kept)
        res = _cli([*_common(base), "--source", str(base["parquet"]), "--roster-out", url, "--workspace", str(ws)])
    assert res.exit_code == 0, res.output
    said = json.loads(res.output[res.output.index("{"):])
    assert said["engine"] == "pyspark" and said["roster_out"] == url
    assert spark._session.conf.get("spark.sql.shuffle.partitions") == "2"  # the joined session as it was
    (got,) = rounds
    summary = [sql for sql, stack in compiled if "_summary_on_engine" in stack]
    assert summary and not any(re.search(r"OVER \((?!PARTITION)", sql) for sql in summary)
    assert got.meta["summary"]["coverage"] == base["summary"]["coverage"] and 0 < got.meta["summary"]["coverage"] < 1
    out = tmp_path / "lake" / "round"
    _same_roster(pd.read_parquet(out / "roster.parquet"), base["want"])
    assert_same_round(got, base["workspace_round"], out)
    assert len(pd.read_parquet(out / "fields.parquet")) == len(base["want"])
    assert not (tmp_path / "file:").exists()
    stored = load_round(ws, "latest")
    assert stored.meta["roster_out"] == url == got.meta["roster_out"]
    assert stored.meta["roster_places"] == {"roster": f"{url}/roster.parquet", "fields": f"{url}/fields.parquet"}
    from xuanba.cli import app

    rep = CliRunner().invoke(app, ["report", "latest", "--workspace", str(ws), "--out", str(tmp_path / "r.html")])
    assert rep.exit_code == 0, rep.output
    assert "Value × potential" in (tmp_path / "r.html").read_text("utf-8")
    first = str(stored.roster["customer_id"].iloc[0])
    assert build_statement(stored, first)  # a selected customer's statement
    outside = str(base["want"].loc[~base["want"]["selected"].astype(bool), "customer_id"].iloc[0])
    with pytest.raises(InputError, match="stored only those") as info:
        build_statement(stored, outside)
    assert f"{url}/roster.parquet" in info.value.fix  # where every customer's row is, said
    before = {p.name: p.read_bytes() for p in (out / "roster.parquet").iterdir()}
    fields_before = {p.name: p.read_bytes() for p in (out / "fields.parquet").iterdir()}

    import xuanba.rounds.store as store
    from tests.test_round_spark_session import _session_state

    tx = spark_source(spark, base["parquet"])
    session, mine = spark._session, spark._session.range(3)  # a user's view and cached frame
    mine.createOrReplaceTempView("users_view_out")
    mine.cache().count()
    state = _session_state(session, mine)

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:  # both written, then the workspace cannot take the round: nothing swapped in
        m.setattr(store, "save_round", full)
        with pytest.raises(OSError, match="No space left"):
            run_round_on_engine(tx, base["standard"], "2025-09-30", roster_out=url, workspace=tmp_path / "w.duckdb",
                                check_model=False)
    # the session as the round found it (tests/test_round_spark_session_failures.py's claim for
    # every other step a round can fail at; its own round failing to store was one more until session 37)
    assert _session_state(session, mine) == state
    mine.unpersist()
    session.catalog.dropTempView("users_view_out")
    assert {p.name: p.read_bytes() for p in (out / "roster.parquet").iterdir()} == before
    assert {p.name: p.read_bytes() for p in (out / "fields.parquet").iterdir()} == fields_before
    assert sorted(p.name for p in out.iterdir()) == ["fields.parquet", "roster.parquet"]

    # A write that dies half-way: the landing the round enters (``roster_landing``, the one the
    # round above entered) given Spark tables to write, not a third round (until session 37 a round
    # at 2025-09-30 ran to its write here only to have it die). The roster's write dies, then (the
    # roster's parts written under their temporary name) the fields': the earlier two whole each time.
    from xuanba.rounds.roster_out import parse_roster_out, roster_landing

    written = spark.read_parquet(str(out / "fields.parquet"))
    for dies in ("roster.parquet", "fields.parquet"):
        with monkeypatch.context() as m:
            _dying_writes(m, only=dies)
            with pytest.raises(InputError, match=f"could not be written to .*{dies}.*executor lost") as info, \
                    roster_landing(parse_roster_out(url), written, written):
                raise AssertionError("the landing was entered although its write died")
        assert "kept as it was" in info.value.fix
        assert {p.name: p.read_bytes() for p in (out / "roster.parquet").iterdir()} == before
        assert {p.name: p.read_bytes() for p in (out / "fields.parquet").iterdir()} == fields_before
        assert sorted(p.name for p in out.iterdir()) == ["fields.parquet", "roster.parquet"]


def test_the_command_line_lands_a_round_from_a_catalog_table_in_one_refused_when_there_replaced_when_told(
        spark, base, database, tmp_path, monkeypatch):
    """``xuanba round --engine spark --source db.table --roster-out table:db.name``: exit 0, the
    roster in ``db.name`` (the DuckDB engine round's), the fields in ``db.name_fields``, in a
    temporary warehouse; the same name again is refused (exit 2, no traceback) before the round
    runs. (The command line from a catalog table and the landing in one were a round each until
    session 35: one round on the same data and standard now. A replacing landing, and one whose
    write makes its table and then dies, were two more rounds here until session 36: the replay
    below replaces a cutoff's tables and dies so at the next, each cutoff's landing a round's.)"""
    session = spark._session
    name = f"{database}.roster"
    session.read.parquet(str(base["parquet"])).write.saveAsTable(f"{database}.tx")
    res = _cli([*_common(base), "--source", f"{database}.tx", "--roster-out", f"table:{name}", "--no-store"])
    assert res.exit_code == 0, res.output
    said = json.loads(res.output[res.output.index("{"):])
    assert said["engine"] == "pyspark" and said["roster_out"] == f"table:{name}"
    assert said["roster_places"] == {"roster": f"table:{name}", "fields": f"table:{name}_fields"}
    _same_roster(session.table(name).toPandas(), base["want"])
    assert session.table(f"{name}_fields").count() == len(base["want"])
    assert (tmp_path / "warehouse" / "roster").is_dir()  # the catalog's files in the warehouse given

    def not_run(*a, **k):
        raise AssertionError("the round ran before the table was checked")

    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", not_run)
    res = _cli([*_common(base), "--source", f"{database}.tx", "--roster-out", f"table:{name}", "--no-store"])
    assert res.exit_code == 2 and "holds these tables already" in res.output, res.output
    assert "--roster-replace" in res.output and "Traceback" not in res.output
    monkeypatch.undo()
    assert _tables_in(session, database) == {"tx", "roster", "roster_fields"}  # the source's, and the two landed


def _cli(args: list[str]):
    from xuanba.cli import app

    return CliRunner().invoke(app, ["round", *args], env={"COLUMNS": "200"})


def _common(base) -> list[str]:
    """The command line's options of every round here but where it reads and lands."""
    return ["--standard", str(base["standard"]), "--cutoff", CUTOFF, "--engine", "spark",
            "--spark-conf", "spark.sql.shuffle.partitions=4", "--json"]


def test_a_replay_on_spark_writes_each_cutoff_to_a_url_and_to_its_own_tables(spark, base, database, tmp_path,
                                                                           monkeypatch):
    """A replay on Spark writes where it is told: ``URL/<cutoff>/`` (a ``file://`` URL here) and the
    tables ``db.name_<YYYYMMDD>`` (+ ``_fields``); each cutoff's roster is the DuckDB replay's, and
    so is the summary (the rank correlation read back by Spark, from the URL and from the tables).
    Tables there already are refused before any round runs; replaced when told, and a write that
    makes its table and then dies, at the second cutoff, leaves that cutoff's earlier tables whole
    and no temporary table behind. Every replay here runs without the model's check
    (``check_model=False``: its holdout fits and their Spark queries at each cutoff are no part of
    where the rosters land; the check itself is tested on DuckDB).

    The earlier tables are the DuckDB replay's rosters put there by Spark (the first cutoff's
    holding the second cutoff's roster, so that its replacement shows), not a replay of their own:
    until session 36 a replay to the tables that succeeded made them (two Spark rounds), and the
    replacing one after it was two more; now the replacing replay is the one whose first cutoff
    lands in a table, compared with DuckDB's, and the tables' rank correlation is read back by the
    function the replay calls (``spark_rank_correlation``)."""
    from pyspark.sql.readwriter import DataFrameWriter

    from xuanba.rounds.replay import replay_rounds_on_engine, spark_rank_correlation
    from xuanba.rounds.roster_out import parse_roster_out
    from xuanba.rounds.spark import spark_source

    cuts = ["2025-09-30", CUTOFF]
    want = replay_rounds_on_engine(duckdb_source(base["parquet"]), base["standard"], cuts[0], CUTOFF,
                                   roster_out=tmp_path / "duck", check_model=False)
    assert want.summary["rank_correlation"].iloc[1:].notna().all()
    tx = spark_source(spark, base["parquet"])
    views = {r.tableName for r in spark._session.sql("SHOW TABLES").collect() if r.isTemporary}
    got = replay_rounds_on_engine(tx, base["standard"], cuts[0], CUTOFF, roster_out=(tmp_path / "lake").as_uri(),
                                 check_model=False)
    assert {r.meta["model_check"] for r in got.rounds} == {"skipped"}
    assert {r.tableName for r in spark._session.sql("SHOW TABLES").collect() if r.isTemporary} == views
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == cuts  # nothing else: no temporary parts
    for cut, rnd in zip(cuts, got.rounds, strict=True):
        _same_roster(pd.read_parquet(tmp_path / "lake" / cut / "roster.parquet"), read_roster(tmp_path / "duck" / cut))
        assert rnd.meta["roster_places"]["roster"] == f"{(tmp_path / 'lake').as_uri()}/{cut}/roster.parquet"
    pd.testing.assert_frame_equal(got.summary.drop(columns="rank_correlation"),
                                  want.summary.drop(columns="rank_correlation"))
    np.testing.assert_allclose(got.summary["rank_correlation"], want.summary["rank_correlation"], rtol=1e-12)

    session = spark._session
    name = f"{database}.rep"
    tables = {f"rep_{c.replace('-', '')}" for c in cuts}
    for cut in cuts:  # the earlier tables: the second cutoff's roster and fields under both cutoffs' names
        for part in ("roster", "fields"):
            table = f"{name}_{cut.replace('-', '')}" + ("_fields" if part == "fields" else "")
            session.read.parquet(str(tmp_path / "duck" / CUTOFF / f"{part}.parquet")).write.saveAsTable(table)
    assert _tables_in(session, database) == tables | {f"{t}_fields" for t in tables}

    def not_run(*a, **k):
        raise AssertionError("a round ran before the tables were checked")

    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", not_run)
    with pytest.raises(InputError, match="holds these tables already") as info:
        replay_rounds_on_engine(tx, base["standard"], cuts[0], CUTOFF, roster_out=f"table:{name}", check_model=False)
    assert "--roster-replace" in info.value.fix
    monkeypatch.undo()

    second = session.table(f"{name}_20251231").toPandas()
    second_fields = session.table(f"{name}_20251231_fields").toPandas()
    real = DataFrameWriter.saveAsTable

    def dies_at_the_second_cutoff(self, table, *args, **kwargs):  # its table made, then the job fails
        real(self, table, *args, **kwargs)
        if "20251231" in table:
            raise RuntimeError("executor lost")

    monkeypatch.setattr(DataFrameWriter, "saveAsTable", dies_at_the_second_cutoff)
    with pytest.raises(InputError, match="executor lost"):
        replay_rounds_on_engine(tx, base["standard"], cuts[0], CUTOFF, roster_out=f"table:{name}",
                                roster_replace=True, check_model=False)
    monkeypatch.undo()
    # the first cutoff replaced (the second cutoff's roster there before) by its round's, DuckDB's
    first = session.table(f"{name}_20250930").toPandas()
    _same_roster(first, read_roster(tmp_path / "duck" / cuts[0]))
    assert session.table(f"{name}_20250930_fields").count() == len(first)
    # the second whole as it was, and no temporary table of either
    pd.testing.assert_frame_equal(session.table(f"{name}_20251231").toPandas(), second)
    pd.testing.assert_frame_equal(session.table(f"{name}_20251231_fields").toPandas(), second_fields)
    assert _tables_in(session, database) == tables | {f"{t}_fields" for t in tables}
    # the rank correlation of the two cutoffs' tables read back by Spark, as a replay to tables reads it
    target = parse_roster_out(f"table:{name}")
    r = spark_rank_correlation(spark, *(target.for_cutoff(dt.date.fromisoformat(c)) for c in cuts))
    np.testing.assert_allclose(r, want.summary["rank_correlation"].iloc[1], rtol=1e-12)


def _tables_in(session, database: str) -> set[str]:
    return {r.tableName for r in session.sql(f"SHOW TABLES IN {database}").collect() if not r.isTemporary}
