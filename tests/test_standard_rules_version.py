"""A round scored under older scoring rules (``meta["scoring_rules"]`` below
``score.SCORING_RULES``): its check rescores it as it was scored; when the roster replays, the
changed rules did not touch it and it is verified; when it does not, the check says the rules
changed (``roster`` is None, the CLI says "older rules") rather than call the roster tampered."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.test_rounds import make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.cli import app
from xuanba.rounds import run_round
from xuanba.rounds.fairness import verify_round
from xuanba.standard import load_standard
from xuanba.standard import score as score_mod

CUTOFF = "2026-06-30"


def _standard(gate: str):  # noqa: ANN202
    return load_standard(
        '[standard]\nname = "r"\nversion = "1"\n'
        '[[criteria]]\nname = "rev"\nfield = "revenue_365d"\nweight = 1\n'
        f'[[gates]]\nname = "g"\nexpr = "{gate}"\n'
        '[[tiers]]\nname = "A"\nquota = "50%"\n'
    )


def _old_round(tmp_path, gate: str, monkeypatch) -> tuple:  # noqa: ANN001
    """A round as xuanba stored it under rules 2, before the switch: scored in pandas, whose
    gates then took a missing number (0 / 0) as true, with no ``scoring_engine`` in its meta."""
    tx = make_transactions(n=60)
    path = tmp_path / "w.duckdb"
    store_tx(path, tx)
    with monkeypatch.context() as m:  # rules 2: bool(NaN) is true
        m.setattr(score_mod, "truth", lambda v: np.asarray(v, dtype=bool))
        rnd = run_round(
            path,
            _standard(gate),
            CUTOFF,
            predictions=predictions_for(tx.customer_id),
            check_model=False,
            scoring_engine="pandas",
        )
    with Workspace(path) as ws, ws.transaction() as con:
        meta = json.loads(con.execute("SELECT meta_json FROM rounds").fetchone()[0])
        meta["scoring_rules"] = 2
        del meta["scoring_engine"]
        con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])
    return path, rnd


def _set_rules(path, rules: int) -> None:  # noqa: ANN001
    with Workspace(path) as ws, ws.transaction() as con:
        meta = json.loads(con.execute("SELECT meta_json FROM rounds").fetchone()[0])
        meta["scoring_rules"] = rules
        con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])


def test_the_rules_version_was_raised():
    assert score_mod.SCORING_RULES == 3


def test_an_older_round_the_new_rules_score_differently_says_the_rules_changed(
    tmp_path, monkeypatch
):
    """revenue_90d / revenue_90d is 0 / 0 for a customer without revenue in the last 90 days:
    rules 2 passed them, rules 3 fail them. The check says the rules changed, not tampered."""
    path, rnd = _old_round(tmp_path, "revenue_90d / revenue_90d", monkeypatch)
    assert (rnd.fields["revenue_90d"] == 0).any()  # the data meet the changed rule
    proof = verify_round(path)
    assert proof["standard"] is True and proof["data"] is True
    assert proof["roster"] is None and proof["verified"] is False
    assert (proof["scoring_rules"], proof["scoring_rules_now"]) == (2, 3)
    res = CliRunner().invoke(
        app, ["fairness", "--by", "customer_id", "-w", str(path), "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    assert "older" in res.stdout and "NOT VERIFIED" not in res.stdout
    # the same roster claiming today's rules is a changed roster
    _set_rules(path, score_mod.SCORING_RULES)
    proof = verify_round(path)
    assert proof["roster"] is False and proof["verified"] is False


def test_an_older_round_the_changes_do_not_touch_is_verified(tmp_path, monkeypatch):
    """A gate that meets none of the changed cases: the rules-2 roster replays under rules 3."""
    path, _ = _old_round(tmp_path, "revenue_365d > 0", monkeypatch)
    proof = verify_round(path)
    assert proof["roster"] is True and proof["verified"] is True
    assert proof["scoring_rules"] == 2


@pytest.mark.parametrize("rules", [2, None])
def test_an_older_round_with_an_edited_roster_is_not_called_verified(tmp_path, monkeypatch, rules):
    """An older round whose stored roster hash no longer replays is never verified (the check
    cannot tell an edit from a change of rules, and says the rules changed)."""
    path, _ = _old_round(tmp_path, "revenue_365d > 0", monkeypatch)
    with Workspace(path) as ws, ws.transaction() as con:
        meta = json.loads(con.execute("SELECT meta_json FROM rounds").fetchone()[0])
        meta["roster_sha256"] = "0" * 64
        if rules is None:
            del meta["scoring_rules"]
        con.execute("UPDATE rounds SET meta_json = ?", [json.dumps(meta)])
    proof = verify_round(path)
    assert proof["roster"] is None and proof["verified"] is False
