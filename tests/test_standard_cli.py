"""``xuanba standard init|check|show`` in-process (issue 4)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from xuanba.cli.standard import register


@pytest.fixture()
def app() -> typer.Typer:
    local = typer.Typer()
    register(local)

    @local.command("noop")
    def noop() -> None:  # a second command keeps Typer from collapsing the app to one command
        """Nothing."""

    return local


runner = CliRunner()


def test_init_writes_a_starter_that_checks(app, tmp_path):
    out = tmp_path / "s.toml"
    res = runner.invoke(app, ["standard", "init", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "value-potential" in res.output
    res = runner.invoke(app, ["standard", "init", "--out", str(out)])
    assert res.exit_code == 2 and "already exists" in res.output
    res = runner.invoke(app, ["standard", "init", "--out", str(out), "--lang", "zh", "--force", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["lang"] == "zh"
    res = runner.invoke(app, ["standard", "check", str(out)])
    assert res.exit_code == 0, res.output
    assert "OK" in res.output and "clv_3y" in res.output and "margin_365d > 0" in res.output


def test_check_reports_every_problem_with_its_line_and_exit_code_2(app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[standard]\nname = "b"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenu_365d"\n'
                   'weight = 0.7\n[[gates]]\nname = "g"\nexpr = "__import__(\'os\')"\n', encoding="utf-8")
    res = runner.invoke(app, ["standard", "check", str(bad)])
    assert res.exit_code == 2
    assert "line 6" in res.output and "unknown field 'revenu_365d'" in res.output
    assert "line 10" in res.output and "gate 'g'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["standard", "check", str(bad), "--json"])
    payload = json.loads(res.stdout)
    assert res.exit_code == 2 and [p["line"] for p in payload["problems"]] == [6, 7, 10]


def test_check_lists_known_fields_and_accepts_declared_ones(app, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[standard]\nname = "n"\nversion = "1"\n[[criteria]]\nname = "nps"\nfield = "nps_score"\n'
                 'weight = 1\n', encoding="utf-8")
    res = runner.invoke(app, ["standard", "check", str(f), "--json"])  # nps_score will come from --fields
    assert res.exit_code == 0 and json.loads(res.stdout)["extra_fields_needed"] == ["nps_score"]
    assert runner.invoke(app, ["standard", "check", str(f), "--field", "nps"]).exit_code == 2
    res = runner.invoke(app, ["standard", "check", str(f), "--field", "nps_score", "--fields", "--json"])
    assert res.exit_code == 0
    assert {"nps_score", "revenue_365d", "p_alive"} <= set(json.loads(res.stdout)["known_fields"])


def test_show_in_both_languages_and_public_view(app, tmp_path):
    f = tmp_path / "s.toml"
    runner.invoke(app, ["standard", "init", "--out", str(f)])
    res = runner.invoke(app, ["standard", "show", str(f), "--lang", "zh"])
    assert res.exit_code == 0 and "满分 100 分" in res.output
    res = runner.invoke(app, ["standard", "show", str(f), "--public", "--json"])
    sentences = json.loads(res.stdout)["sentences"]
    assert not any("margin" in s.lower() for s in sentences)
    assert any("Internal criteria, not published" in s for s in sentences)
