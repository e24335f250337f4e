"""The README's examples run: the step-by-step commands and the Python block, on the demo data."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.demo import demo_sales_path
from xuanba.demo.accounts_demo import make_side_tables
from xuanba.outputs.statements import safe_filename

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(heading: str, lang: str) -> str:
    text = README.read_text("utf-8")
    section = text[text.index(heading):]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def _commands() -> list[list[str]]:
    out = []
    for line in _block("## A round, step by step", "bash").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        line = re.sub(r"\[(--[\w-]+)\]", r"\1", line)  # optional flags: use them
        words = shlex.split(line)
        assert words[0] == "xuanba", line
        out.append(words[1:])
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The files the README's examples read (the demo's sales log as ``sales.xlsx`` and
    ``sales.csv``, its visits as ``visits.csv``), written once for the module: the workbook alone
    takes seconds to write."""
    folder = tmp_path_factory.mktemp("readme-inputs")
    frame = pd.read_csv(demo_sales_path(), encoding="gbk", dtype=str)
    frame.to_excel(folder / "sales.xlsx", index=False)
    ids = sorted(frame["客户编号"].dropna().unique())
    make_side_tables(ids, seed=1, start="2024-06-01", end="2026-06-30")["interactions"].to_csv(
        folder / "visits.csv", index=False, encoding="utf-8-sig")
    shutil.copy(demo_sales_path(), folder / "sales.csv")
    return folder


@pytest.fixture()
def files(inputs, tmp_path, monkeypatch):
    """A fresh folder of the test's own holding the README's input files, as the working folder."""
    for name in ("sales.xlsx", "sales.csv", "visits.csv"):
        shutil.copy(inputs / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_step_by_step_commands_run_in_order(files):
    runner = CliRunner()
    for args in _commands():
        res = runner.invoke(app, args)
        assert res.exit_code == 0, f"xuanba {' '.join(args)}\n{res.output}"
    with Workspace(files / "xuanba.duckdb", read_only=True) as ws:
        assert ws.has_table("interactions")
        assert ws.sql("SELECT count(*) AS n FROM rounds")["n"].iloc[0] == 2
    assert (files / "roster.xlsx").exists() and (files / "round.xlsx").exists()
    assert sorted(p.name for p in (files / "statements").glob("*.html")) == sorted(
        safe_filename(c) for c in ("C00012", "C00345"))
    assert list(files.glob("report-*-zh.html"))


@pytest.mark.slow
def test_python_block_runs(files):
    code = _block("The same from Python", "python")
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert len(scope["facts"]) == len(scope["preds"]) > 2000
    assert (files / "report.html").exists()
    scope["ws"].close()
