"""A replay on Spark without ``--roster-out`` writes no roster anywhere (a cluster's executors
cannot write to the driver's disk): its rounds keep their selection as a round without
``--roster-out`` does, its summary of the selections is the DuckDB replay's, and the rank
correlation is left unsaid with the reason, in both languages. DuckDB still computes it."""

from __future__ import annotations

import json
import tempfile

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import SPARK_MARKS
from tests.test_round_engine import BUSY_STANDARD, simulated_transactions
from xuanba.i18n import t
from xuanba.rounds import load_round
from xuanba.rounds.engine import duckdb_source

pytestmark = SPARK_MARKS
CUTS = ["2025-09-30", "2025-12-31"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sparkreplay")
    path = tmp / "tx.parquet"
    simulated_transactions(300, seed=7).to_parquet(path, index=False)
    (tmp / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    return {"tmp": tmp, "parquet": path, "standard": tmp / "s.toml"}


def _no_temporary_folder(monkeypatch):
    def refused(*a, **k):
        raise AssertionError("a replay on Spark made a folder on the driver's disk")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", refused)
    monkeypatch.setattr(tempfile, "mkdtemp", refused)


def _args(lang: str, base, workspace) -> list[str]:
    """The command line of the replay on Spark, in ``lang``, its rounds stored in ``workspace``."""
    return ["--lang", lang, "round", "--standard", str(base["standard"]), "--engine", "spark",
            "--source", str(base["parquet"]), "--every", "quarter", "--from", CUTS[0], "--to", CUTS[1],
            "--workspace", str(workspace), "--spark-conf", "spark.sql.shuffle.partitions=4"]


def _replayed_once(monkeypatch, replays: list) -> None:
    """The replay the command line calls run once per module, not once per language and output:
    the first call runs it on Spark, a later call with the same arguments (the table's backend and
    schema, the standard, the dates, every option but the progress callback, which only names the
    steps on the console) is given that call's :class:`Replay`, and one with other arguments runs.
    Each (arguments, result) of a replay that really ran is appended to ``replays``. A replay runs
    without the model's check (``check_model=False``, which the command line does not set): its
    holdout fits are Spark queries at each cutoff that nothing here reads."""
    from xuanba.rounds import replay as replay_module

    real = replay_module.replay_rounds_on_engine

    def once(tx, standard, start, end, **options):
        key = (tx.get_backend().name, tx.schema(), str(standard), str(start), str(end),
               sorted((k, repr(v)) for k, v in options.items() if k != "progress"))
        for seen, result in replays:
            if seen == key:
                return result
        result = real(tx, standard, start, end, **{"check_model": False, **options})
        replays.append((key, result))
        return result

    monkeypatch.setattr(replay_module, "replay_rounds_on_engine", once)


@pytest.fixture(scope="module")
def spark_replay(spark, base):
    """The replay on Spark run once for the module (about 20 s of the JVM's a replay), by the
    command line (``--json``, English) with no temporary folder allowed while it runs, its rounds
    stored in a workspace: the test of the replay reads its result and the workspace, the test of
    the command line what the command says of it in each language and output. Gives the
    workspace and the module's list of (arguments, result) of every
    replay that really ran (this one first)."""
    from xuanba.cli import app

    ws, replays = base["tmp"] / "w.duckdb", []
    with pytest.MonkeyPatch.context() as mp:
        _replayed_once(mp, replays)
        _no_temporary_folder(mp)
        res = CliRunner().invoke(app, [*_args("en", base, ws), "--json"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return {"workspace": ws, "replays": replays}


def test_a_spark_replay_without_roster_out_writes_nothing_and_leaves_the_rank_correlation_unsaid(
    spark_replay, base
):
    from xuanba.rounds.replay import replay_rounds_on_engine

    want = replay_rounds_on_engine(
        duckdb_source(base["parquet"]), base["standard"], CUTS[0], CUTS[1], check_model=False
    )
    assert want.summary["rank_correlation"].iloc[1:].notna().all() and want.notes == ()
    (key, got), *_ = spark_replay["replays"]
    assert key[0] == "pyspark"
    ws = spark_replay["workspace"]
    assert got.notes == ("replay_spark_no_roster",)
    assert got.summary["rank_correlation"].isna().all()
    pd.testing.assert_frame_equal(
        got.summary.drop(columns=["rank_correlation", "round_id"]),
        want.summary.drop(columns=["rank_correlation", "round_id"]),
    )
    assert got.summary["entered"].iloc[1:].notna().all()
    for rid in (1, 2):  # stored as a round without --roster-out: "not kept", no place named
        meta = load_round(ws, rid, fields=False, contributions=False).meta
        assert meta["stored_customers"] == "selected" and not meta.get("roster_out")
        assert meta["model_check"] == "skipped"
        assert not (meta.get("roster_places") or {}).get("roster")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_command_line_says_why_a_spark_replay_has_no_rank_correlation(
    spark_replay, base, lang, monkeypatch
):
    from xuanba.cli import app

    replays = spark_replay["replays"]
    _replayed_once(monkeypatch, replays)
    args = _args(lang, base, spark_replay["workspace"])
    env = {"COLUMNS": "400"}
    res = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert res.exit_code == 0, res.output
    said = json.loads(res.output[res.output.index("{") :])
    assert said["notes"] == [t("replay_spark_no_roster", lang)]
    assert np.isnan(
        [
            r["rank_correlation"] if r["rank_correlation"] is not None else np.nan
            for r in said["rounds"]
        ]
    ).all()
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "".join(t("replay_spark_no_roster", lang).split()) in "".join(res.output.split())
    assert [key[0] for key, _ in replays] == ["pyspark"]  # one replay, on Spark, for all the runs
