"""Faults of the workspace file end in exit 5 and a fix that fits the cause, never a traceback
(issue 12 point 11): a damaged file (cut short, a block overwritten), a full disk (ingest, round,
report), a table whose columns were renamed by hand, and a lock held by another process.
A read-only file that the reading commands still read is tested in tests/test_workspace.py."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.test_rounds import make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.cli import app
from xuanba.errors import WorkspaceError
from xuanba.standard import starter_standard

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"
HEADER = 3 * 4096  # DuckDB's file header: then blocks of block_size bytes


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A folder with a workspace holding transactions and one stored round, its standard, the
    round's fields, a small CSV to ingest and the round's report."""
    root = tmp_path_factory.mktemp("faults")
    tx = make_transactions()
    store_tx(root / "w.duckdb", tx)
    (root / "s.toml").write_text(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"),
                                 encoding="utf-8")
    predictions_for(tx.customer_id).to_csv(root / "p1.csv", index=False)
    tx.head(20).to_csv(root / "more.csv", index=False)
    res = runner.invoke(app, [*_round(root), "-w", str(root / "w.duckdb")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", "latest", "-w", str(root / "w.duckdb"), "-o", str(root / "r.html")])
    assert res.exit_code == 0, res.output
    return root


def _round(root: Path) -> list[str]:
    return ["round", "-s", str(root / "s.toml"), "--cutoff", "2026-06-30", "--fields", str(root / "p1.csv")]


@pytest.fixture()
def ws(made, tmp_path) -> Path:
    """A fresh copy of the workspace (and the files beside it) for one test."""
    for name in ("w.duckdb", "s.toml", "p1.csv", "more.csv", "r.html"):
        shutil.copy(made / name, tmp_path / name)
    return tmp_path / "w.duckdb"


def _commands(ws: Path) -> list[list[str]]:
    return [["rounds"], ["report", "latest", "-o", str(ws.parent / "new.html")],
            ["ingest", str(ws.parent / "more.csv")], [*_round(ws.parent)]]


def _state(ws: Path) -> dict[str, object]:
    """Row counts of every table and the stored rounds: what a failed write must not change."""
    con = duckdb.connect(str(ws), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        rounds = con.execute("SELECT round_id, cutoff FROM rounds ORDER BY 1").fetchall()
    finally:
        con.close()
    return {"counts": counts, "rounds": rounds}


def _assert_damaged(res, what: str) -> None:
    assert res.exit_code == WorkspaceError.exit_code, (what, res.output)
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    assert "workspace file is damaged" in res.output, (what, res.output)
    assert "Restore it from a backup; xuanba cannot read it" in res.output
    low = res.output.lower()
    assert not re.search(r"\block", low) and "another process" not in low and "no space" not in low


def test_a_workspace_cut_to_half_is_reported_as_damaged_by_every_command(ws):
    os.truncate(ws, ws.stat().st_size // 2)
    for args in _commands(ws):
        _assert_damaged(runner.invoke(app, [*args, "-w", str(ws)]), args[0])
    with pytest.raises(WorkspaceError, match="workspace file is damaged"):
        Workspace(ws, read_only=True)


def _cut_by_its_last_block(ws: Path) -> int:
    """Cut ``ws`` by its last block, which holds a table's data and none of the catalog (checked:
    every metadata block lies before it), so that DuckDB still opens the file and would notice
    only when that table is read. The file's new size."""
    con = duckdb.connect(str(ws), read_only=True)
    try:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        catalog = con.execute("SELECT max(block_id) FROM pragma_metadata_info()").fetchone()[0]
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
        last = max(con.execute(f"SELECT coalesce(max(block_id), -1) FROM pragma_storage_info('{n}')").fetchone()[0]
                   for n in names)
    finally:
        con.close()
    assert ws.stat().st_size == HEADER + (last + 1) * block_size and last > catalog, (last, catalog)
    os.truncate(ws, HEADER + last * block_size)
    duckdb.connect(str(ws), read_only=True).close()  # its catalog whole: DuckDB opens it without a word
    return ws.stat().st_size


@pytest.mark.parametrize("last", ["round", "text"])
def test_a_workspace_cut_by_a_tables_last_block_is_reported_as_damaged_before_any_command_runs(ws, last):
    """The file's last block is a table's (the stored round's own; or a text table of the user's
    written in a later checkpoint, whose blocks ``pragma_storage_info`` does not read), after every
    block of the catalog: DuckDB opens the cut file. Without the workspace's length check
    (``_check_length``), ``rounds`` listed the round, and ``ingest`` wrote into the cut file (exit
    0; the lost block then read back as a checksum mismatch): each command must say the file is
    damaged before it reads or writes, and leave the file as it was."""
    if last == "text":
        con = duckdb.connect(str(ws))
        con.execute("CREATE TABLE notes AS SELECT 'note ' || range AS text FROM range(100000)")
        con.close()
    size = _cut_by_its_last_block(ws)
    with pytest.raises(WorkspaceError, match="workspace file is damaged") as info:
        Workspace(ws, read_only=True)
    if last == "text":  # the check's own words: DuckDB read no block of that table to say it
        assert f"the file has {size:,} bytes" in str(info.value)
    for args in _commands(ws):
        _assert_damaged(runner.invoke(app, [*args, "-w", str(ws)]), args[0])
    assert ws.stat().st_size == size


def test_a_workspace_with_an_overwritten_block_is_reported_as_damaged(ws):
    """4 KiB of random bytes in the middle of the block holding xuanba_meta, which every open reads."""
    con = duckdb.connect(str(ws), read_only=True)
    block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
    block = con.execute("SELECT max(block_id) FROM pragma_storage_info('xuanba_meta')").fetchone()[0]
    con.close()
    assert block is not None and block >= 0
    with ws.open("r+b") as fh:
        fh.seek(HEADER + block * block_size + block_size // 2)
        fh.write(os.urandom(4096))
    for args in _commands(ws):
        _assert_damaged(runner.invoke(app, [*args, "-w", str(ws)]), args[0])


def _full_disk(*_: object) -> None:
    raise duckdb.IOException('IO Error: Could not write file "w.duckdb.wal": No space left on device')


@pytest.mark.parametrize("command", ["ingest", "round"])
def test_a_full_disk_while_writing_leaves_the_workspace_as_it_was(ws, command, monkeypatch):
    before = _state(ws)
    monkeypatch.setattr(Workspace, "_commit", _full_disk)
    args = ["ingest", str(ws.parent / "more.csv")] if command == "ingest" else _round(ws.parent)
    res = runner.invoke(app, [*args, "-w", str(ws)])
    assert res.exit_code == WorkspaceError.exit_code, res.output
    assert "disk is full" in res.output and f"Free space on the disk holding {ws}" in res.output
    assert "the workspace is unchanged" in res.output and "Traceback" not in res.output
    monkeypatch.undo()
    assert _state(ws) == before


def test_a_full_disk_half_way_through_an_ingest_rolls_back_what_was_inserted(ws, monkeypatch):
    before = _state(ws)
    real = Workspace.insert

    def insert_then_fail(self, name, rows, params=None):
        real(self, name, rows, params)  # the rows are in the transaction, then the disk fills
        _full_disk()

    monkeypatch.setattr(Workspace, "insert", insert_then_fail)
    res = runner.invoke(app, ["ingest", str(ws.parent / "more.csv"), "-w", str(ws)])
    assert res.exit_code == WorkspaceError.exit_code and "Free space on the disk" in res.output, res.output
    monkeypatch.undo()
    assert _state(ws) == before


def test_a_full_disk_while_writing_the_report_keeps_the_previous_report(ws, monkeypatch):
    out = ws.parent / "r.html"
    previous = out.read_bytes()

    def no_space(path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("xuanba._files._fsync", no_space)
    res = runner.invoke(app, ["report", "latest", "-w", str(ws), "-o", str(out)])
    assert res.exit_code == WorkspaceError.exit_code, res.output
    assert "disk is full" in res.output and f"Free space on the disk holding {out}" in res.output
    assert "Traceback" not in res.output
    assert out.read_bytes() == previous
    assert sorted(p.name for p in ws.parent.iterdir() if p.name.startswith(".xuanba-tmp-")) == []


def test_a_transactions_table_with_a_renamed_column_names_the_table_and_the_column(ws):
    con = duckdb.connect(str(ws))
    con.execute("ALTER TABLE transactions RENAME COLUMN amount TO amt")
    con.close()
    before = _state(ws)
    for args in (["facts", "--cutoff", "2026-06-30"], ["ingest", str(ws.parent / "more.csv")]):
        res = runner.invoke(app, [*args, "-w", str(ws)])
        assert res.exit_code == WorkspaceError.exit_code, res.output
        assert "the table transactions does not have the columns xuanba expects: amount" in res.output
        assert "changed by hand or by another tool" in res.output and "Traceback" not in res.output
    assert _state(ws) == before  # ingest did not add an empty 'amount' beside 'amt'


def test_a_writer_held_by_another_process_is_named_with_its_pid(ws):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from xuanba import Workspace
            with Workspace({str(ws)!r}) as w:
                print("open", flush=True)
                sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(SRC.parent) + os.pathsep + str(SRC)},
    )
    try:
        assert holder.stdout.readline().strip() == "open", holder.stderr.read()
        res = runner.invoke(app, ["ingest", str(ws.parent / "more.csv"), "-w", str(ws)])
        assert res.exit_code == WorkspaceError.exit_code, res.output
        assert f"another process (PID {holder.pid}) holds the workspace open" in res.output
        assert "damaged" not in res.output and "Traceback" not in res.output
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
