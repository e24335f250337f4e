"""The DuckDB the standard runs on (an in-memory one per process) keeps xuanba's memory settings,
and running out of them is a message, not a traceback.

Before, that DuckDB took DuckDB's own default (80 % of the machine) whatever
``$XUANBA_MEMORY_LIMIT`` said: at 10 M customers the standard alone held 11.9 GiB where the
pandas reference held 5.8 (``bench/bench_scoring_engine.py --customers 1e7``), and it never
spilled to disk.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import demo_copy
from xuanba import workspace as wsmod
from xuanba.standard import engine, load_standard, starter_standard
from xuanba.standard.score import score_customers


def _fields(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"customer_id": [f"c{i:07d}" for i in range(n)],
                         "revenue_365d": rng.gamma(2, 100, n).round(2), "margin_365d": rng.normal(10, 30, n).round(2),
                         "clv_3y": rng.gamma(1, 50, n), "p_alive": rng.random(n)})


def _setting(con, name: str) -> str:
    return str(con.con.sql(f"SELECT current_setting('{name}')").fetchone()[0])


def test_the_standards_duckdb_takes_the_memory_limit_and_spills_to_a_folder_of_its_own(monkeypatch, tmp_path):
    """Made on first use with ``$XUANBA_MEMORY_LIMIT`` and a spill folder in the system's temporary
    folder (not ``.tmp`` in the current folder, DuckDB's choice for ``:memory:``); under that
    limit it scores as the reference does."""
    monkeypatch.setattr(engine, "_LOCAL", [])  # a fresh one for this test, the process's back after
    monkeypatch.setenv(wsmod.MEMORY_ENV, "400MB")
    monkeypatch.delenv(wsmod.TEMP_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    std = load_standard(starter_standard("en"))
    f = _fields(300_000)
    got = engine.score_in_engine(f, std).roster
    con = engine._LOCAL[0]
    assert _setting(con, "memory_limit") == "381.4 MiB"  # 400 * 1000**2 bytes
    temp = Path(_setting(con, "temp_directory"))
    assert temp.parent == Path(tempfile.gettempdir()) and temp.name.startswith("xuanba-duckdb-")
    assert not (tmp_path / ".tmp").exists()
    want = score_customers(f, std).roster
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert got["tier"].tolist() == want["tier"].tolist()
    np.testing.assert_allclose(got["score"], want["score"], rtol=0, atol=1e-9)


def test_a_round_that_runs_out_of_the_engines_memory_says_so_and_stores_nothing(monkeypatch, demo_built,
                                                                                 tmp_path_factory):
    """The standard's DuckDB held to half a megabyte: the round stops with the limit, the
    environment variable that raises it and exit code 5, no traceback, and no round stored."""
    from xuanba.cli import app
    from xuanba.workspace import Workspace

    out, _ = demo_copy(demo_built, tmp_path_factory)
    ws = out / "xuanba.duckdb"
    with Workspace(ws, read_only=True) as w:
        before = int(w.sql("SELECT count(*) AS n FROM rounds")["n"].iloc[0])
    monkeypatch.setattr(engine, "_LOCAL", [ibis.duckdb.connect(memory_limit="512KB", threads=1)])
    for lang, words in (("en", "XUANBA_MEMORY_LIMIT"), ("zh", "调高上限")):
        res = CliRunner().invoke(app, ["round", "-s", str(out / "standard.toml"), "--cutoff", "2026-06-30",
                                       "-w", str(ws), "--lang", lang])
        assert res.exit_code == 5, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        assert "Traceback" not in res.output and words in res.output
        assert "500.0 KiB" in res.output  # the limit it ran out of, as DuckDB names it
    with Workspace(ws, read_only=True) as w:
        assert int(w.sql("SELECT count(*) AS n FROM rounds")["n"].iloc[0]) == before


@pytest.mark.parametrize("text, limit", [
    ("Out of Memory Error: failed to pin block of size 256.0 KiB (38.2 MiB/38.1 MiB used)", "38.1 MiB"),
    ("Out of Memory Error: could not allocate", "?"),
])
def test_out_of_memory_is_named_with_its_limit(text, limit):
    import duckdb

    err = wsmod.workspace_fault(duckdb.OutOfMemoryException(text), "w.duckdb")
    assert err is not None and err.exit_code == 5
    assert limit in err.message and "XUANBA_MEMORY_LIMIT" in str(err.fix)
