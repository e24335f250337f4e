"""The workspace as the one gateway (issue 10, part 2): a recorded schema version, migrations of
older files in one transaction, newer files refused untouched, read-only opens, one "workspace
or path" helper, and no table statements outside the workspace."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import xuanba
from xuanba import workspace as wsmod
from xuanba.cli import app
from xuanba.errors import WorkspaceError
from xuanba.workspace import (
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    Workspace,
    open_workspace,
    schema_version,
    upgrade_workspace,
)

SRC = Path(xuanba.__file__).resolve().parent
runner = CliRunner()

# The statements the code before schema versions used (ingest/load.py and rounds/store.py), so
# the test builds a file in the old layout without any file from outside the repository.
OLD_LAYOUT = """
CREATE TABLE transactions (
    customer_id VARCHAR, ts TIMESTAMP, amount DECIMAL(18,4), order_id VARCHAR,
    cost DECIMAL(18,4), quantity DOUBLE, product VARCHAR, channel VARCHAR, paid_on DATE,
    due_on DATE, is_return BOOLEAN, source_id INTEGER, source_row BIGINT
);
CREATE TABLE sources (
    source_id INTEGER, kind VARCHAR, file VARCHAR, sha256 VARCHAR, format VARCHAR,
    encoding VARCHAR, delimiter VARCHAR, rows BIGINT, loaded BIGINT, merged BIGINT,
    rejected BIGINT, loaded_at TIMESTAMP, mapping VARCHAR
);
CREATE TABLE rejects (
    source_id INTEGER, source_row BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR
);
INSERT INTO transactions VALUES
    ('A', TIMESTAMP '2026-01-05 10:00', 120.5, 'O1', 60, 2, 'tea', 'shop', DATE '2026-01-20', DATE '2026-02-04', false, 1, 1),
    ('A', TIMESTAMP '2026-03-01', 80, NULL, 30, 1, 'tea', 'shop', NULL, DATE '2026-03-31', false, 1, 2),
    ('B', TIMESTAMP '2026-02-10', -20, 'C9', -5, -1, 'cup', 'web', NULL, NULL, true, 1, 4),
    ('C', TIMESTAMP '2025-12-24', 300, 'O7', 100, 3, 'pot', 'web', DATE '2026-01-02', DATE '2026-01-23', false, 1, 5);
INSERT INTO sources VALUES (1, 'transactions', 'sales.csv', 'abc', 'csv', 'utf-8', ',', 5, 4, 0, 1,
    TIMESTAMP '2026-06-30 09:00', '{"customer_id": "客户"}');
INSERT INTO rejects VALUES (1, 3, '金额', 'n/a', 'non-numeric amount');
CREATE TABLE customers AS SELECT * FROM (VALUES ('A', '甲', 'north'), ('B', '乙', 'south')) t(customer_id, name, region);
CREATE TABLE facts AS SELECT 'A' AS customer_id, 1 AS frequency, 55.0 AS recency, 68.0 AS T;
CREATE TABLE rounds (
    round_id BIGINT PRIMARY KEY, name VARCHAR, cutoff DATE, created_at TIMESTAMP,
    standard_name VARCHAR, standard_version VARCHAR, standard_sha256 VARCHAR, standard_text VARCHAR,
    data_sha256 VARCHAR, roster_sha256 VARCHAR, n_customers BIGINT, n_selected BIGINT,
    time_unit VARCHAR, currency VARCHAR, meta_json VARCHAR
);
CREATE TABLE roster (round_id BIGINT, customer_id VARCHAR, rank BIGINT, score DOUBLE, tier VARCHAR,
    selected BOOLEAN, quadrant VARCHAR, value_score DOUBLE, potential_score DOUBLE,
    gates_failed VARCHAR, next_tier VARCHAR, gap_to_next DOUBLE, cheapest_criterion VARCHAR,
    cheapest_change DOUBLE, left_out_by_capacity BOOLEAN, cheapest_public_criterion VARCHAR,
    cheapest_public_change DOUBLE);
CREATE TABLE contributions (round_id BIGINT, customer_id VARCHAR, criterion VARCHAR, raw DOUBLE,
    normalised DOUBLE, weight DOUBLE, contribution DOUBLE);
INSERT INTO rounds VALUES (1, 'std v1 @ 2026-06-30', DATE '2026-06-30', TIMESTAMP '2026-07-01 08:00',
    'std', '1', 'f00', '[standard]
name = "std"
version = "1"

[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 1.0
', 'd00', 'r00', 3, 1, 'week', 'CNY', '{}');
INSERT INTO roster VALUES (1, 'A', 1, 0.9, 'gold', true, 'keep', 0.8, 0.7, '', '', 0, '', 0, false, '', 0),
                          (1, 'C', 2, 0.4, 'silver', false, 'grow', 0.3, 0.5, '', 'gold', 0.5, 'revenue', 10, false, '', 0);
INSERT INTO contributions VALUES (1, 'A', 'revenue', 200.5, 0.9, 1.0, 0.9), (1, 'C', 'revenue', 300, 0.4, 1.0, 0.4);
"""
OLD_TABLES = ["transactions", "sources", "rejects", "customers", "facts", "rounds", "roster", "contributions"]


def old_workspace(path: Path, sql: str = OLD_LAYOUT) -> Path:
    """A workspace file as xuanba wrote it before schema versions, built with plain DuckDB."""
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contents(path: Path) -> dict[str, pd.DataFrame]:
    """Every old table's rows, read with plain DuckDB in a stable order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in OLD_TABLES}
    finally:
        con.close()


def raw_tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


# -- schema version and migrations ---------------------------------------------------------------
def test_a_new_workspace_records_the_schema_version_and_the_xuanba_that_wrote_it(tmp_path):
    path = tmp_path / "new.duckdb"
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION >= 1
        meta = dict(ws.sql("SELECT key, value FROM xuanba_meta").values.tolist())
    assert meta == {"schema_version": str(SCHEMA_VERSION), "xuanba_version": xuanba.__version__}
    assert schema_version(path) == SCHEMA_VERSION


def test_an_old_layout_workspace_is_migrated_on_open_with_its_data_intact(tmp_path):
    path = old_workspace(tmp_path / "old.duckdb")
    before = contents(path)
    assert schema_version(path) == 0 and "xuanba_meta" not in raw_tables(path)
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.sql("SELECT value FROM xuanba_meta WHERE key = 'xuanba_version'")["value"][0] == xuanba.__version__
        assert list(ws.columns("transactions")) == list(TABLE_COLUMNS["transactions"])
    after = contents(path)
    for name in OLD_TABLES:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert schema_version(path) == SCHEMA_VERSION
    # the migrated file works with this xuanba: a round re-opens, the stored tables read back
    from xuanba.accounts.stored import stored_table, stored_transactions
    from xuanba.rounds import load_round

    rnd = load_round(path, 1)
    assert rnd.roster["customer_id"].tolist() == ["A", "C"] and rnd.roster["revenue"].tolist() == [200.5, 300.0]
    assert stored_transactions(path)["amount"].sum() == pytest.approx(480.5)
    assert stored_table(path, "customers")["name"].tolist() == ["甲", "乙"]


def test_the_first_migration_gives_a_hand_made_transactions_table_the_ingest_columns(tmp_path):
    path = old_workspace(tmp_path / "hand.duckdb", """
        CREATE TABLE transactions AS SELECT * FROM (VALUES ('A', TIMESTAMP '2026-01-01', 5.0),
            ('B', TIMESTAMP '2026-01-02', 7.0)) t(customer_id, ts, amount);
    """)
    with Workspace(path) as ws:
        assert set(TABLE_COLUMNS["transactions"]) <= set(ws.columns("transactions"))
        assert ws.has_table("sources") and ws.has_table("rejects")
        rows = ws.sql("SELECT customer_id, amount, is_return FROM transactions ORDER BY 1")
    assert rows["customer_id"].tolist() == ["A", "B"] and rows["amount"].tolist() == [5.0, 7.0]
    assert rows["is_return"].isna().all()


def _v2_add_notes(ws: Workspace) -> None:
    ws.con.execute("CREATE TABLE notes (text VARCHAR)")


def _v2_broken(ws: Workspace) -> None:
    ws.con.execute("CREATE TABLE notes (text VARCHAR)")
    ws.con.execute("SELECT * FROM no_such_table")


def test_all_missing_migrations_run_and_a_named_one_is_imported(tmp_path, monkeypatch):
    path = old_workspace(tmp_path / "old.duckdb")
    monkeypatch.setattr(wsmod, "MIGRATIONS", [*wsmod.MIGRATIONS, f"{__name__}:_v2_add_notes"])
    monkeypatch.setattr(wsmod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION + 1
        assert ws.has_table("notes") and ws.has_table("xuanba_meta")


def test_migrations_run_in_one_transaction_a_failure_changes_nothing(tmp_path, monkeypatch):
    path = old_workspace(tmp_path / "old.duckdb")
    before = contents(path)
    monkeypatch.setattr(wsmod, "MIGRATIONS", [*wsmod.MIGRATIONS, _v2_broken])
    monkeypatch.setattr(wsmod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(WorkspaceError, match=rf"from schema version 0 to {SCHEMA_VERSION + 1} failed.*nothing was changed") as err:
        Workspace(path)
    zh = err.value.render("zh")
    assert f"升级到第 {SCHEMA_VERSION + 1} 版失败" in zh and "文件未被改动" in zh and "failed" not in zh
    assert schema_version(path) == 0
    assert raw_tables(path) == set(OLD_TABLES)  # neither the first migration's table nor the second's
    for name in OLD_TABLES:
        pd.testing.assert_frame_equal(contents(path)[name], before[name], obj=name)


def _newer(path: Path) -> Path:
    Workspace(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE xuanba_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.execute("UPDATE xuanba_meta SET value = '9.9.9' WHERE key = 'xuanba_version'")
    con.close()
    return path


@pytest.mark.parametrize("read_only", [False, True])
def test_a_newer_workspace_is_refused_with_both_versions_and_left_unchanged(tmp_path, read_only):
    path = _newer(tmp_path / "newer.duckdb")
    before = digest(path)
    with pytest.raises(WorkspaceError) as err:
        Workspace(path, read_only=read_only)
    text = str(err.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in text and "xuanba 9.9.9" in text
    assert f"up to {SCHEMA_VERSION}" in text and "Upgrade xuanba" in text
    assert digest(path) == before and sorted(os.listdir(tmp_path)) == ["newer.duckdb"]


@pytest.mark.parametrize("command", [["facts"], ["upgrade"], ["accounts", "profit"], ["fit", "-m", "bgnbd"]])
def test_commands_on_a_newer_workspace_exit_5_without_traceback(tmp_path, command):
    path = _newer(tmp_path / "newer.duckdb")
    before = digest(path)
    res = runner.invoke(app, [*command, "-w", str(path)])
    assert res.exit_code == 5, res.output
    assert f"schema version {SCHEMA_VERSION + 1}" in res.output and "Traceback" not in res.output
    assert digest(path) == before


# -- read-only -------------------------------------------------------------------------------------
def test_a_read_only_open_of_an_old_workspace_reads_it_as_it_is_and_writes_nothing(tmp_path):
    path = old_workspace(tmp_path / "old.duckdb")
    before = digest(path)
    with Workspace(path, read_only=True) as ws:
        assert ws.schema_version == 0 and ws.has_table("transactions")
    res = runner.invoke(app, ["accounts", "profit", "-w", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["customers"] == 3
    assert digest(path) == before and schema_version(path) == 0

    res = runner.invoke(app, ["upgrade", "-w", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"workspace": str(path), "schema_version_before": 0,
                                      "schema_version": SCHEMA_VERSION, "upgraded": True}
    res = runner.invoke(app, ["accounts", "profit", "-w", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["customers"] == 3
    assert upgrade_workspace(path) == (SCHEMA_VERSION, SCHEMA_VERSION)


def test_a_read_only_open_of_a_layout_too_old_to_read_says_to_upgrade(tmp_path, monkeypatch):
    import xuanba.workspace

    path = old_workspace(tmp_path / "old.duckdb")
    before = digest(path)
    monkeypatch.setattr(xuanba.workspace, "READABLE_FROM", 1)  # as if version 1 changed a layout readers need
    with pytest.raises(WorkspaceError, match=r"schema version 0 .* reads version \d+") as err:
        Workspace(path, read_only=True)
    assert "xuanba upgrade" in err.value.fix
    zh = err.value.render("zh")  # in the reader's language too, the command to run as it is
    assert "只读打开不会升级它" in zh and f"xuanba upgrade --workspace {path}" in zh and "read-only" not in zh
    res = runner.invoke(app, ["accounts", "profit", "-w", str(path)])
    assert res.exit_code == 5 and "xuanba upgrade" in res.output and "Traceback" not in res.output
    assert digest(path) == before and schema_version(path) == 0


def test_upgrade_of_a_missing_file_is_an_error_not_a_new_workspace(tmp_path):
    res = runner.invoke(app, ["upgrade", "-w", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 5 and "not found" in res.output
    assert not (tmp_path / "none.duckdb").exists()


@pytest.fixture()
def current(tmp_path) -> Path:
    """A workspace of this version with the old layout's data."""
    path = old_workspace(tmp_path / "ws.duckdb")
    upgrade_workspace(path)
    return path


def test_a_reading_command_works_on_a_file_without_write_permission(current):
    """chmod 444. (Run as root, the bits do not stop a writer; the test beside a running reader
    below is the one that catches a reading command opening for writing.)"""
    before = digest(current)
    current.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 444
    try:
        with Workspace(current, read_only=True) as ws:
            assert ws.sql("SELECT count(*) AS n FROM transactions")["n"][0] == 4
        res = runner.invoke(app, ["accounts", "profit", "-w", str(current), "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["customers"] == 3
    finally:
        current.chmod(0o644)
    assert digest(current) == before


def test_reading_beside_another_process_that_holds_the_file_open_read_only(current):
    """Two read-only opens at once: another process keeps the file open while this one reads
    (a read-write open would fail on DuckDB's lock, as the last check shows)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from xuanba import Workspace
            with Workspace({str(current)!r}, read_only=True) as ws:
                print(ws.sql("SELECT count(*) AS n FROM transactions")["n"][0], flush=True)
                sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(SRC.parent)},
    )
    try:
        assert holder.stdout.readline().strip() == "4", holder.stderr.read()
        with Workspace(current, read_only=True) as one, Workspace(current, read_only=True) as two:
            assert one.schema_version == two.schema_version == SCHEMA_VERSION
        res = runner.invoke(app, ["accounts", "profit", "-w", str(current), "--json"])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["sheet", "A", "-w", str(current)])
        assert "cannot open" not in res.output  # it stops on the missing needs table, not the lock
        with pytest.raises(WorkspaceError, match=r"another process \(PID \d+\) holds the workspace open"):
            Workspace(current)
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0


def test_a_new_empty_file_opens_read_only(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with Workspace(path, read_only=True) as ws:
        assert ws.schema_version == 0 and not ws.has_table("transactions")


def test_writes_on_a_read_only_workspace_are_a_workspace_error(current):
    with Workspace(current, read_only=True) as ws:
        for write in (lambda: ws.replace("facts", pd.DataFrame({"a": [1]})),
                      lambda: ws.insert("rejects", pd.DataFrame({"reason": ["x"]})),
                      lambda: ws.append("needs", pd.DataFrame({"customer_id": ["A"]})),
                      lambda: ws.ensure_table("sources")):
            with pytest.raises(WorkspaceError, match="open read-only"):
                write()
        ws.scratch("_t", "SELECT 1 AS x")  # scratch tables are allowed: they are not in the file
        assert ws.sql("SELECT x FROM _t")["x"].tolist() == [1]


@pytest.mark.parametrize("read_only", [False, True])
def test_a_data_file_or_a_folder_given_as_workspace_is_a_clear_error(tmp_path, read_only):
    data = tmp_path / "sales.csv"
    data.write_text("customer,amount\nA,1\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not a xuanba workspace") as err:
        Workspace(data, read_only=read_only)
    assert "xuanba ingest FILE" in err.value.fix
    assert data.read_text(encoding="utf-8") == "customer,amount\nA,1\n"
    with pytest.raises(WorkspaceError, match="is a folder"):
        Workspace(tmp_path, read_only=read_only)
    res = runner.invoke(app, ["accounts", "profit", "-w", str(data)])
    assert res.exit_code == 5 and "not a xuanba workspace" in res.output and "Traceback" not in res.output


def test_a_missing_file_opened_read_only_is_not_created(tmp_path):
    with pytest.raises(WorkspaceError, match="not found"):
        Workspace(tmp_path / "none.duckdb", read_only=True)
    assert not (tmp_path / "none.duckdb").exists()


# -- one helper for "a Workspace or a path" ----------------------------------------------------------
def test_open_workspace_borrows_a_workspace_and_opens_and_closes_a_path(current):
    with Workspace(current) as ws:
        with open_workspace(ws, read_only=True) as got:
            assert got is ws
        assert ws.has_table("transactions")  # still open
    with open_workspace(current, read_only=True) as got:
        assert got.read_only and got.has_table("transactions")
    with pytest.raises(duckdb.ConnectionException):
        got.sql("SELECT 1")  # closed at the end
    with open_workspace(current) as got:
        assert not got.read_only
        got.replace("facts", pd.DataFrame({"customer_id": ["Z"]}))
    ro = Workspace(current, read_only=True)
    with pytest.raises(WorkspaceError, match="opened read-only"), open_workspace(ro):
        pass
    ro.close()
    with pytest.raises(WorkspaceError, match="not found"), open_workspace(current.with_name("none.duckdb")):
        pass


def test_transactions_nest_and_roll_back_as_one(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.ensure_table("rejects")
        with pytest.raises(RuntimeError), ws.transaction():
            ws.insert("rejects", pd.DataFrame({"reason": ["a"]}))  # a nested transaction
            raise RuntimeError
        assert ws.sql("SELECT count(*) AS n FROM rejects")["n"][0] == 0
        ws.insert("rejects", pd.DataFrame({"reason": ["b"]}))  # on its own: committed
    with Workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        assert ws.sql("SELECT reason FROM rejects")["reason"].tolist() == ["b"]


# -- the gateway, enforced on the source ---------------------------------------------------------------
# Files allowed to hold table statements, and those that still do until their owners move them.
# the web app's own tables (users, audit, share links) are written by its store alone
TABLE_STATEMENTS_ALLOWED = {"workspace.py", "rounds/store.py", "web/store.py"}
TABLE_STATEMENTS_PENDING: set[str] = set()


def _sources() -> dict[str, str]:
    return {p.relative_to(SRC).as_posix(): p.read_text("utf-8") for p in SRC.rglob("*.py")}


#: a statement that makes a table or writes rows (CREATE [OR REPLACE] [TEMP] TABLE, INSERT); a
#: TEMP VIEW, a named query over a user's file on a source's own private connection (an engine
#: round's CSV read by ingest's money SQL), stores nothing and is not one
_TABLE_STATEMENT = re.compile(r"\b(CREATE\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?TABLE|INSERT)\s")


def test_only_the_workspace_and_the_round_store_create_tables_or_insert_rows():
    found = {name for name, text in _sources().items() if _TABLE_STATEMENT.search(text)}
    assert found - TABLE_STATEMENTS_PENDING == TABLE_STATEMENTS_ALLOWED


def test_the_table_statement_pattern_tells_tables_from_views():
    """The pattern above catches every way of writing a table or rows, and not a view."""
    for text in ("CREATE TABLE t (a INT)", "CREATE OR REPLACE TABLE t AS SELECT 1", "CREATE TEMP TABLE t (a INT)",
                 "CREATE TEMPORARY TABLE t (a INT)", "INSERT INTO t VALUES (1)"):
        assert _TABLE_STATEMENT.search(text), text
    assert not _TABLE_STATEMENT.search("CREATE TEMP VIEW v AS SELECT 1")


def test_no_command_module_runs_sql_or_touches_tables():
    touching = re.compile(r"\.(sql|execute|transaction|has_table)\(|\.con\b|\bcon\.register\(")
    offenders = {name: touching.findall(text) for name, text in _sources().items()
                 if name.startswith("cli/") and touching.search(text)}
    assert offenders == {}


def test_ingest_does_not_import_the_account_modules():
    """Accounts may import ingest (the side-table schemas live there), never the reverse."""
    offenders = [name for name, text in _sources().items()
                 if name.startswith("ingest/") and re.search(r"^\s*(from|import) xuanba\.accounts", text, re.M)]
    assert offenders == []
    from xuanba.accounts import SCHEMAS
    from xuanba.accounts.sidetables import read_side_table
    from xuanba.ingest.sidetables import SCHEMAS as INGEST_SCHEMAS
    from xuanba.ingest.sidetables import read_side_table as ingest_read

    assert SCHEMAS is INGEST_SCHEMAS and read_side_table is ingest_read


def _settings(ws: Workspace) -> dict[str, str]:
    names = ("memory_limit", "temp_directory", "allocator_background_threads")
    row = ws.con.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names)).fetchone()
    return dict(zip(names, map(str, row), strict=True))


def test_duckdb_gets_a_quarter_of_the_machine_memory_unless_told(tmp_path, monkeypatch):
    """A workspace's DuckDB may hold a quarter of the machine's memory (DuckDB's own default is
    80 %, which leaves the round's Python side and the machine's other work too little); the
    argument, then $XUANBA_MEMORY_LIMIT, say otherwise, and a bad value is a clear error."""
    monkeypatch.delenv(wsmod.MEMORY_ENV, raising=False)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with Workspace(tmp_path / "a.duckdb") as ws:
        got = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        ws.con.execute("SET memory_limit = ?", [f"{max(1024, int(total * 0.25 / 2**20))}MiB"])
        assert ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == got
        assert _settings(ws)["allocator_background_threads"] == "True"
        # beside a file it may write, DuckDB spills into <file>.tmp, in the workspace's folder
        assert Path(_settings(ws)["temp_directory"]) == tmp_path / "a.duckdb.tmp"
    monkeypatch.setenv(wsmod.MEMORY_ENV, "700MB")
    with Workspace(":memory:") as ws:
        assert _settings(ws)["memory_limit"] == "667.5 MiB"  # 700 * 1000**2 bytes
    with Workspace(":memory:", memory_limit="1GiB") as ws:
        assert _settings(ws)["memory_limit"] == "1.0 GiB"
    monkeypatch.setenv(wsmod.MEMORY_ENV, "lots")
    with pytest.raises(WorkspaceError, match="memory_limit") as err:
        Workspace(":memory:")
    assert "XUANBA_MEMORY_LIMIT" in str(err.value)


def test_an_in_memory_or_read_only_workspace_spills_to_a_folder_of_its_own_in_the_system_temp(tmp_path, monkeypatch):
    """Not DuckDB's choice for ``:memory:`` (``.tmp`` in the current folder), nor beside a file
    that may not be written; a query larger than the memory limit spills there and completes, and
    the folder is gone when the workspace closes."""
    import tempfile

    monkeypatch.delenv(wsmod.TEMP_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    Workspace(tmp_path / "r.duckdb").close()
    with Workspace(":memory:", memory_limit="64MB") as ws, Workspace(tmp_path / "r.duckdb", read_only=True) as ro:
        temp = Path(_settings(ws)["temp_directory"])
        assert temp.parent == Path(tempfile.gettempdir()) and temp.name.startswith("xuanba-duckdb-")
        assert Path(_settings(ro)["temp_directory"]).parent == Path(tempfile.gettempdir())
        assert Path(_settings(ro)["temp_directory"]) != temp
        n, ordered = ws.con.execute(
            "SELECT count(*), bool_and(s >= prev) FROM (SELECT s, lag(s, 1, '') OVER (ORDER BY s) AS prev FROM "
            "(SELECT md5(range::VARCHAR) AS s FROM range(1500000)))").fetchone()
        assert n == 1_500_000 and ordered
    assert not temp.exists()
    assert not (tmp_path / ".tmp").exists()
    monkeypatch.setenv(wsmod.TEMP_ENV, str(tmp_path / "spill"))
    with Workspace(":memory:") as ws:
        assert Path(_settings(ws)["temp_directory"]) == tmp_path / "spill"


def test_the_workspaces_faults_read_in_chinese_too(tmp_path):
    """Each fault of the file (a full disk, a damaged file, a missing column, a folder, a data file,
    a file DuckDB cannot open) reads in the reader's language, the file's path and DuckDB's own
    words kept as they are; they were English whatever ``--lang`` said."""
    from xuanba.workspace import _layout_error, workspace_fault

    full = workspace_fault(duckdb.IOException("IO Error: No space left on device"), "w.duckdb")
    damaged = workspace_fault(duckdb.SerializationException("Serialization Error: bad block"), "w.duckdb")
    data = tmp_path / "sales.csv"
    data.write_text("customer,amount\nA,1\n", encoding="utf-8")
    opened = []
    for path in (tmp_path, data, tmp_path / "no" / "w.duckdb"):
        with pytest.raises(WorkspaceError) as err:
            Workspace(path)
        opened.append(err.value)
    zh = [e.render("zh") for e in (full, damaged, _layout_error("w.duckdb", "transactions", ["amount"]), *opened)]
    assert "磁盘已满" in zh[0] and "请在存放 w.duckdb 的磁盘上腾出空间" in zh[0]
    assert "工作区文件已损坏" in zh[1] and "bad block" in zh[1]
    assert "transactions 表缺少 xuanba 需要的列：amount" in zh[2]
    assert "是一个文件夹" in zh[3] and str(tmp_path / "xuanba.duckdb") in zh[3]
    assert "不是 xuanba 工作区" in zh[4] and "xuanba ingest" in zh[4]
    assert "无法以写入方式打开工作区" in zh[5] and "No such file" in zh[5]
    for text in zh:  # none of the English sentences left around the data
        assert not re.search(r"\b(the|disk|workspace|Pass|Restore|Check)\b", text.replace("--workspace", "")), text
