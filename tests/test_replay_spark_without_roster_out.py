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


def test_a_spark_replay_without_roster_out_writes_nothing_and_leaves_the_rank_correlation_unsaid(
    spark, base, tmp_path, monkeypatch
):
    from xuanba.rounds.replay import replay_rounds_on_engine
    from xuanba.rounds.spark import spark_source

    want = replay_rounds_on_engine(
        duckdb_source(base["parquet"]), base["standard"], CUTS[0], CUTS[1]
    )
    assert want.summary["rank_correlation"].iloc[1:].notna().all() and want.notes == ()
    _no_temporary_folder(monkeypatch)
    ws = tmp_path / "w.duckdb"
    got = replay_rounds_on_engine(
        spark_source(spark, base["parquet"]), base["standard"], CUTS[0], CUTS[1], workspace=ws
    )
    monkeypatch.undo()
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
        assert not (meta.get("roster_places") or {}).get("roster")


@pytest.fixture(scope="module")
def _replays():
    """The replays the command-line test below ran, kept for the module: (arguments, result)."""
    return []


@pytest.fixture()
def replayed_once(_replays, monkeypatch):
    """The Spark replay of the command-line test run once per module, not once per language and
    output: the command's four runs (``--json`` or not, en or zh) call the replay with the same
    arguments on the same source; the first call runs it on Spark, a later call with the same
    arguments (the table's backend and schema, the standard, the dates, every option but the
    progress callback, which only names the steps on the console) is given that call's
    :class:`Replay`, and one with other arguments runs. Patched for the test that asks for it only
    (the other tests of the module replay for real, in any order). What the test checks is what
    the command says of the replay's result in each language and output (about 20 s a replay).
    Gives the module's (arguments, result) of every replay that really ran."""
    from xuanba.rounds import replay as replay_module

    real = replay_module.replay_rounds_on_engine

    def once(tx, standard, start, end, **options):
        key = (tx.get_backend().name, tx.schema(), str(standard), str(start), str(end),
               sorted((k, repr(v)) for k, v in options.items() if k != "progress"))
        for seen, result in _replays:
            if seen == key:
                return result
        result = real(tx, standard, start, end, **options)
        _replays.append((key, result))
        return result

    monkeypatch.setattr(replay_module, "replay_rounds_on_engine", once)
    return _replays


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_command_line_says_why_a_spark_replay_has_no_rank_correlation(
    spark, base, tmp_path, lang, replayed_once
):
    from xuanba.cli import app

    args = [
        "--lang",
        lang,
        "round",
        "--standard",
        str(base["standard"]),
        "--engine",
        "spark",
        "--source",
        str(base["parquet"]),
        "--every",
        "quarter",
        "--from",
        CUTS[0],
        "--to",
        CUTS[1],
        "--no-store",
        "--spark-conf",
        "spark.sql.shuffle.partitions=4",
    ]
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
    assert [key[0] for key, _ in replayed_once] == ["pyspark"]  # one replay, on Spark, for all four runs
