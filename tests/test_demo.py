"""`xuanba demo`: the README's first command, on the bundled data (issue 2 item 9–10)."""

from __future__ import annotations

import json
from pathlib import Path

from tests._helpers import copy_of
from xuanba import Workspace
from xuanba.cli.demo import story
from xuanba.demo.pipeline import run_demo
from xuanba.tables import read_table


def test_demo_command_runs_the_main_job_and_accounts_for_every_row(demo_built, tmp_path_factory):
    """The run's one ``xuanba demo --out … --lang en --json`` (tests/conftest.py's ``demo_built``,
    which checks its exit code; the other modules reading the demo share it): its output folder
    and what it printed. Read in place; the run again below takes a copy."""
    out = demo_built / "demo"
    doc = json.loads((demo_built / "demo.json").read_text("utf-8"))
    acc = doc["summary"]["ingest"]
    assert acc["input_rows"] == acc["loaded"] + acc["merged"] + acc["rejected"]
    assert acc["rejected"] > 0 and acc["returns"] > 0  # the demo log carries both on purpose
    assert all(Path(p).exists() for p in doc["paths"].values())
    facts = read_table(out / "facts.xlsx")  # a workbook for people: field names from its columns sheet
    assert len(facts) == doc["summary"]["customers"] > 2000
    assert facts["customer_id"].str.startswith("C0").any()  # leading zeros kept
    with Workspace(out / "xuanba.duckdb", read_only=True) as ws:
        for kind in ("customers", "interactions", "commitments", "resources", "needs", "contacts"):
            assert ws.has_table(kind)
        rounds = ws.sql("SELECT round_id FROM rounds ORDER BY 1")["round_id"].tolist()
    assert rounds == doc["summary"]["round_ids"] == [1, 2]
    report = (out / "report-en.html").read_text(encoding="utf-8")
    assert "<script src=\"http" not in report and "plotly" in report.lower()
    statements = sorted((out / "statements").glob("*.html"))
    assert len(statements) == doc["summary"]["statements"] == 4
    assert doc["summary"]["model_purchases"]["model"] == "BGNBD"
    # what a person reads instead of the JSON: the same numbers, in Chinese
    lines = story(doc["summary"], "zh")
    assert lines[0] == (f"导入 {acc['input_rows']:,} 行 = 载入 {acc['loaded']:,} + 合并 {acc['merged']:,} + "
                        f"拒收 {acc['rejected']:,}（其中退货 {acc['returns']:,} 行）")
    assert any(line.startswith("利润鲸鱼曲线：前 ") for line in lines)
    # Running it again starts from a fresh workspace: nothing doubles.
    again = run_demo(copy_of(out, tmp_path_factory), lang="en", steps=("ingest",))
    assert again.summary["ingest"] == acc
