"""A replay that only wants the selections skips each round's model check (``check_model=False``),
on the workspace and on an engine, as a round does: no holdout fit, no holdout table, the meta
says ``model_check = "skipped"``; the selections are those of the replay that checks."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba.standard import load_standard

PERIOD = ("2025-07-01", "2025-12-31")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replaycheck")
    tx = simulated_transactions(200, seed=3)
    return {"tmp": tmp, "tx": tx, "ws": _workspace(tmp, tx), "standard": load_standard(BUSY_STANDARD)}


def _checks_refused(monkeypatch) -> None:
    def refused(*a, **k):
        raise AssertionError("the model was checked")

    monkeypatch.setattr("xuanba.rounds.engine_extras.model_check_on_engine", refused)
    monkeypatch.setattr("xuanba.rounds.run.model_check", refused)


@pytest.mark.parametrize("where", ["workspace", "engine"])
def test_a_replay_without_the_model_check_runs_none_and_selects_the_same(base, where, monkeypatch):
    from xuanba.rounds.replay import replay_rounds, replay_rounds_on_engine

    def replay(**options):
        if where == "workspace":
            return replay_rounds(base["ws"], base["standard"], *PERIOD, store=False, **options)
        return replay_rounds_on_engine(base["tx"], base["standard"], *PERIOD, **options)

    want = replay()
    assert all("holdout" in r.tables for r in want.rounds)  # the default checks each round's model
    _checks_refused(monkeypatch)
    got = replay(check_model=False)
    assert len(got.rounds) == 2
    for rnd, checked in zip(got.rounds, want.rounds, strict=True):
        assert rnd.meta["model_check"] == "skipped" and "holdout" not in rnd.tables
        pd.testing.assert_frame_equal(rnd.roster, checked.roster)
    pd.testing.assert_frame_equal(got.summary, want.summary)


def test_a_stored_replay_without_the_check_is_read_by_the_report_and_the_web(base, monkeypatch):
    """The rounds of a replay stored without the model's check say ``model_check = "skipped"``: no
    holdout table is missing from them (``Round.missing``), the report shows no model section and
    the web's overview no check, without error."""
    from xuanba.outputs.report import build_report
    from xuanba.rounds.replay import replay_rounds
    from xuanba.rounds.store import load_round
    from xuanba.web import data
    from xuanba.workspace import Workspace

    _checks_refused(monkeypatch)
    got = replay_rounds(base["ws"], base["standard"], *PERIOD, check_model=False)
    with Workspace(base["ws"]) as ws:
        for rid in got.summary["round_id"]:
            rnd = load_round(ws, int(rid))
            assert rnd.meta["model_check"] == "skipped" and "holdout" not in rnd.missing
            html = build_report(rnd)
            assert "<section id=\"model\">" not in html and "could not be checked" not in html
            view = data.overview(ws)
        assert view["model_check"] == "skipped" and view["holdout_check"] is None
