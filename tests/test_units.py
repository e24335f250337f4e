"""One spelling of the time unit (``--unit`` in every command, ``--period`` a hidden old alias)
and one validation of it, the package's InputError with the fix, in commands and functions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import xuanba
from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import InputError

FIX = "Use day, week or month"

TX = pd.DataFrame({
    "customer_id": ["a", "a", "a", "b", "b", "c"],
    "ts": pd.to_datetime(["2026-01-05", "2026-02-20", "2026-04-01", "2026-01-12", "2026-03-02", "2026-02-01"]),
    "amount": [10.0, 30.0, 20.0, 5.0, 8.0, 12.0],
})


@pytest.fixture()
def ws_path(tmp_path) -> Path:
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws, ws.transaction() as con:
        con.register("frame", TX)
        con.execute("CREATE TABLE transactions AS SELECT * FROM frame")
    return path


def test_facts_takes_unit_and_still_the_old_period(ws_path):
    runner = CliRunner()
    res = runner.invoke(app, ["facts", "--unit", "day", "-w", str(ws_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["time_unit"] == "day"
    old = runner.invoke(app, ["facts", "--period", "month", "-w", str(ws_path), "--json"])
    assert old.exit_code == 0, old.output
    assert json.loads(old.stdout)["time_unit"] == "month"
    assert "--period is deprecated" in old.stderr
    with Workspace(ws_path, read_only=True) as ws:  # the facts really are in months
        t = ws.sql("SELECT T FROM facts WHERE customer_id = 'a'")["T"].iloc[0]
    assert t == pytest.approx(86 / 30.4375)
    clash = runner.invoke(app, ["facts", "--unit", "day", "--period", "month", "-w", str(ws_path)])
    assert clash.exit_code == InputError.exit_code and "disagree" in clash.output


def test_help_shows_unit_and_hides_period():
    for command in ("facts", "evaluate", "round", "fit", "predict"):
        res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        assert "--unit" in res.output and "--period" not in res.output, command


@pytest.mark.parametrize("args", [
    ["facts"],
    ["facts", "--period"],
    ["evaluate", "--calibration-end", "2026-01-31", "--holdout-end", "2026-06-30"],
    ["round", "--standard", "s.toml", "--cutoff", "2026-06-30"],
    ["fit", "--model", "bgnbd"],
    ["predict", "--model", "m.json", "--out", "p.csv"],
])
def test_every_command_refuses_an_unknown_unit_the_same_way(args, tmp_path):
    if args[-1] != "--period":
        args = [*args, "--unit"]
    res = CliRunner().invoke(app, [*args, "weeks", "-w", str(tmp_path / "none.duckdb")])
    assert res.exit_code == InputError.exit_code, res.output
    assert "'weeks' is not a time unit" in res.output and FIX in res.output
    assert "Traceback" not in res.output


def test_every_function_refuses_an_unknown_unit_with_input_error(tmp_path):
    from xuanba.models.predict import fit_model, predict_table

    facts = xuanba.customer_facts(TX, "2026-06-30")
    model = xuanba.BGNBD(penalizer=0.1).fit(facts)
    calls = {
        "customer_facts": lambda: xuanba.customer_facts(TX, "2026-06-30", time_unit="weeks"),
        "calibration_holdout": lambda: xuanba.calibration_holdout(TX, "2026-02-28", "2026-06-30", time_unit="weeks"),
        "predict_customers": lambda: xuanba.predict_customers(facts, time_unit="weeks"),
        "evaluate": lambda: xuanba.evaluate(TX, "2026-02-28", "2026-06-30", time_unit="weeks"),
        "run_round": lambda: xuanba.run_round(tmp_path / "none.duckdb", xuanba.starter_standard("en"),
                                              "2026-06-30", time_unit="weeks"),
        "fit_model": lambda: fit_model("bgnbd", facts, time_unit="weeks"),
        "predict_table": lambda: predict_table(model, facts, horizon=4, unit="weeks"),
    }
    for name, call in calls.items():
        with pytest.raises(InputError, match="'weeks' is not a time unit") as err:
            call()
        assert FIX in err.value.fix, name


def test_the_unit_list_and_its_check_are_written_once():
    src = Path(xuanba.__file__).parent
    checks = ('in ("day", "week", "month")', "in DAYS_PER_UNIT:", "is not a time unit")
    # the words of the check's message live in the one translation table (i18n.py), the check in _dates.py
    spelled = [f"{p.relative_to(src).as_posix()}: {c}" for p in src.rglob("*.py") if p.name not in ("_dates.py", "i18n.py")
               for c in checks if c in p.read_text(encoding="utf-8")]
    assert spelled == []
    from xuanba._dates import DAYS_PER_UNIT, TIME_UNITS
    from xuanba.facts import DAYS_PER_UNIT as FACTS_DAYS

    assert TIME_UNITS == ("day", "week", "month") and FACTS_DAYS is DAYS_PER_UNIT
