"""Ids, names and messages print as written: the console never reads data as Rich markup
(issue 12 point 9). A customer id "[/x]" used to make `xuanba round` exit 1 after the round was
stored (so a retry stored it twice), and "[section]" vanished from `standard check` messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from tests._helpers import store
from xuanba import Workspace
from xuanba.cli import app
from xuanba.rounds import list_rounds
from xuanba.standard import starter_standard

runner = CliRunner()


def test_a_markup_like_customer_id_in_the_top_ten_prints_and_the_round_is_stored_once(tmp_path):
    ws_path = tmp_path / "w.duckdb"
    ids = ["[/x]", "[bold]A", "[link=http://x]y[/link]"] + [f"c{i:03d}" for i in range(60)]
    rng = np.random.default_rng(1)
    tx = pd.DataFrame({"customer_id": np.repeat(ids, 4),
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 500, 4 * len(ids)), unit="D"),
                       "amount": np.where(np.repeat(np.arange(len(ids)) < 3, 4), 5000.0, rng.uniform(1, 50, 4 * len(ids)))})
    with Workspace(ws_path) as ws:
        store(ws, "transactions", tx)
    std = tmp_path / "s.toml"
    std.write_text('[standard]\nname = "r"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
                   'weight = 1\n[[tiers]]\nname = "A"\nquota = 5\n', encoding="utf-8")
    res = runner.invoke(app, ["round", "-s", str(std), "--cutoff", "2026-06-30", "-w", str(ws_path), "--top", "10"])
    assert res.exit_code == 0, res.output
    for cid in ids[:3]:
        assert cid in res.output
    assert list_rounds(ws_path)["round_id"].tolist() == [1]
    res = runner.invoke(app, ["diff", "1", "1", "-w", str(ws_path)])
    assert res.exit_code == 0, res.output


def test_a_bracketed_word_in_a_message_is_not_swallowed(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(starter_standard("en") + "\n[section]\nnope = 1\n", encoding="utf-8")
    res = runner.invoke(app, ["standard", "check", str(bad)])
    assert res.exit_code != 0
    assert "unknown section [section]" in res.output and "Traceback" not in res.output
