"""An engine round's ``--roster-out`` is replaced only once the round is stored, and only whole:
a write that fails half-way or a round that fails to store leaves the earlier roster and fields
as they were (issue 16; findings of the session-12 attack). DuckDB only; Spark's URL and table
landings share the same two-phase code (tests/test_round_spark_out.py)."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import put_back
from tests.test_round_engine import BUSY_STANDARD, simulated_transactions
from xuanba.errors import InputError
from xuanba.rounds import load_round
from xuanba.rounds.engine import run_round_on_engine

CUTS = ("2025-09-30", "2025-12-31")


def _shas(folder) -> dict[str, str]:
    """Every entry of ``folder`` (hidden temporaries included) with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def tx():
    return simulated_transactions(300, seed=2)


@pytest.fixture(scope="module")
def built(tmp_path_factory, tx):
    """The round at the first cutoff stored in ``w.duckdb`` with its roster output in ``out``, run
    once for the module's three tests that start from it, its folder kept as built beside it."""
    live = tmp_path_factory.mktemp("landing") / "round"
    live.mkdir()
    first = run_round_on_engine(tx, BUSY_STANDARD, CUTS[0], roster_out=live / "out", workspace=live / "w.duckdb",
                                check_model=False)
    return live, Path(shutil.copytree(live, live.parent / "pristine")), first


@pytest.fixture()
def first_round(built):
    """``(out, workspace, round)`` of the module's first round, put back in place whatever the
    test before wrote (the stored round names its roster output by its absolute path)."""
    live, pristine, first = built
    put_back(pristine, live)
    return live / "out", live / "w.duckdb", first


def _fields_write_fails(monkeypatch, after_bytes: bool = True):
    """The disk fills while fields.parquet is written (a few bytes already there)."""
    import xuanba.rounds.roster_out as ro

    real = ro._folder_landing

    @contextlib.contextmanager
    def landing(dest: str):
        if not dest.endswith("fields.parquet"):
            with real(dest) as write:
                yield write
            return
        with real(dest) as _write:

            def full(expr):
                tmp = next(p for p in __import__("pathlib").Path(dest).parent.iterdir() if p.name.startswith("."))
                if after_bytes:
                    tmp.write_bytes(b"PAR1")
                raise duckdb.IOException("IO Error: Could not write file: No space left on device")

            yield full

    monkeypatch.setattr(ro, "_folder_landing", landing)


def test_a_failed_fields_write_leaves_the_earlier_roster_and_fields_whole(first_round, tx, monkeypatch):
    out, _, _ = first_round  # the earlier round's roster output (the failing round stores nowhere)
    before = _shas(out)
    assert set(before) == {"roster.parquet", "fields.parquet"}
    _fields_write_fails(monkeypatch)
    with pytest.raises(InputError) as err:
        run_round_on_engine(tx, BUSY_STANDARD, CUTS[1], roster_out=out, check_model=False)
    assert "fields.parquet" in str(err.value) and "No space left" in str(err.value)
    assert _shas(out) == before  # the new roster was written too, but never swapped in; no temporary left


def test_a_round_that_fails_to_store_leaves_the_earlier_roster_out_whole(first_round, tx, monkeypatch):
    import xuanba.rounds.store as store

    out, ws, first = first_round
    before = _shas(out)

    def full(*_a, **_k):
        raise duckdb.IOException("IO Error: No space left on device")

    monkeypatch.setattr(store, "save_round", full)
    with pytest.raises(duckdb.IOException):  # the storing's own error, not said as the roster's
        run_round_on_engine(tx, BUSY_STANDARD, CUTS[1], roster_out=out, workspace=ws, check_model=False)
    assert _shas(out) == before
    stored = load_round(ws, "latest")
    assert stored.round_id == first.round_id and stored.meta["roster_out"] == str(out)


def test_a_stored_round_finds_its_own_roster_in_roster_out(first_round, tx):
    out, ws, _ = first_round
    before = _shas(out)
    rnd = run_round_on_engine(tx, BUSY_STANDARD, CUTS[1], roster_out=out, workspace=ws, check_model=False)
    after = _shas(out)
    assert set(after) == {"roster.parquet", "fields.parquet"}
    assert after["roster.parquet"] != before["roster.parquet"] and after["fields.parquet"] != before["fields.parquet"]
    written = pd.read_parquet(out / "roster.parquet")
    assert len(written) == rnd.meta["n_customers"]
    picked = written[written["selected"]].sort_values("rank")
    assert picked["customer_id"].tolist() == rnd.roster.sort_values("rank")["customer_id"].tolist()
    assert load_round(ws, "latest").meta["roster_places"]["roster"] == str(out / "roster.parquet")


def test_a_full_roster_out_is_said_as_the_roster_out_not_the_workspace(tmp_path, tx, monkeypatch):
    from xuanba.cli import app

    src = tmp_path / "tx.parquet"
    tx.to_parquet(src, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, encoding="utf-8")
    _fields_write_fails(monkeypatch, after_bytes=False)
    res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   CUTS[1], "--engine", "duckdb", "--source", str(src), "--roster-out",
                                   str(tmp_path / "out"), "--workspace", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2, res.output
    assert "fields.parquet" in res.output and "No space left" in res.output, res.output
    assert "workspace is unchanged" not in res.output
    assert not (tmp_path / "w.duckdb").exists() or load_round(tmp_path / "w.duckdb", "latest") is None


def test_a_replay_without_roster_out_names_no_folder_in_its_rounds(tmp_path, tx):
    from xuanba.rounds.replay import replay_rounds_on_engine

    ws = tmp_path / "w.duckdb"
    rep = replay_rounds_on_engine(tx, BUSY_STANDARD, "2025-06-30", "2025-12-31", every="quarter", workspace=ws)
    assert len(rep.rounds) == 3 and rep.summary["rank_correlation"].notna().iloc[1:].all()
    for rnd in rep.rounds:
        stored = load_round(ws, rnd.round_id).meta
        assert stored["roster_out"] is None and "roster_places" not in stored, stored.get("roster_out")


def test_a_replay_with_roster_out_names_each_rounds_folder(tmp_path, tx):
    from xuanba.rounds.replay import replay_rounds_on_engine

    ws, out = tmp_path / "w.duckdb", tmp_path / "out"
    rep = replay_rounds_on_engine(tx, BUSY_STANDARD, "2025-09-30", "2025-12-31", every="quarter", workspace=ws,
                                  roster_out=out)
    for rnd, cut in zip(rep.rounds, CUTS, strict=True):
        stored = load_round(ws, rnd.round_id).meta
        assert stored["roster_out"] == str(out / cut)
        assert len(pd.read_parquet(out / cut / "roster.parquet")) == stored["n_customers"]
