"""Faults end in a clear message and the documented exit code (issue 12 point 11, in part):
dates outside what the engines hold, and numbers in a rule too large to evaluate."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import store
from xuanba import Workspace
from xuanba._dates import as_date
from xuanba.cli import app
from xuanba.errors import InputError
from xuanba.standard import starter_standard

runner = CliRunner()


@pytest.mark.parametrize("day", ["2262-05-01", "2300-01-01", "1899-12-31", "0001-01-01"])
def test_a_date_outside_the_engines_range_is_an_input_error(day, tmp_path):
    with pytest.raises(InputError, match="outside the dates xuanba works with"):
        as_date(day, "cutoff")
    with pytest.raises(InputError):
        as_date(dt.date.fromisoformat(day), "cutoff")
    ws = tmp_path / "w.duckdb"
    with Workspace(ws) as w:
        store(w, "transactions", pd.DataFrame({"customer_id": ["a", "a"], "amount": [1.0, 2.0],
                                               "ts": pd.to_datetime(["2025-01-01", "2025-03-01"])}))
    std = tmp_path / "s.toml"
    std.write_text(starter_standard("en"), encoding="utf-8")
    for args in (["facts", "--cutoff", day], ["round", "-s", str(std), "--cutoff", day]):
        res = runner.invoke(app, [*args, "-w", str(ws)])
        assert res.exit_code == InputError.exit_code, res.output
        assert "outside the dates xuanba works with" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("number", ["9" * 400, "1e400", str(2**63)])
def test_a_rule_number_too_large_to_evaluate_is_refused_by_check(number, tmp_path):
    bad = tmp_path / "big.toml"
    bad.write_text(starter_standard("en") + f'\n[[gates]]\nname = "big"\nexpr = "revenue_365d > {number}"\n',
                   encoding="utf-8")
    res = runner.invoke(app, ["standard", "check", str(bad)])
    assert res.exit_code != 0 and "too large" in res.output and "Traceback" not in res.output
    ok = tmp_path / "ok.toml"
    ok.write_text(starter_standard("en") + '\n[[gates]]\nname = "big"\nexpr = "revenue_365d > 999999999999"\n',
                  encoding="utf-8")
    assert runner.invoke(app, ["standard", "check", str(ok)]).exit_code == 0
