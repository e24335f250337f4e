"""Contributions stored narrow, keyed by rank (schema version 3): a round reads back exactly as
it did from the long table of version 2, a version-2 file is read as it is (read-only) and
migrated to the same, hostile criterion names survive, and a failed migration changes nothing."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.test_rounds import CUTOFF, make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.errors import DataError, WorkspaceError
from xuanba.rounds import load_round, run_round, table_sha256
from xuanba.rounds import store as store_mod
from xuanba.rounds.store import (
    CONTRIBUTION_SQL,
    _ddl,
    _insert_parts,
    _insert_roster,
    contributions_of,
    customer_contributions,
    load_contributions,
    ranked_contributions,
    read_contributions,
)
from xuanba.standard import load_standard, starter_standard
from xuanba.standard.score import ROSTER_COLUMNS, ContributionParts
from xuanba.workspace import SCHEMA_VERSION, schema_version

#: Version 2's long table, as main's ``_ddl`` made it.
LONG_DDL = ("CREATE TABLE contributions (round_id BIGINT, customer_id VARCHAR, criterion VARCHAR, raw DOUBLE, "
            "normalised DOUBLE, weight DOUBLE, contribution DOUBLE)")


@pytest.fixture(scope="module")
def narrow(tmp_path_factory):
    """A workspace with two rounds of 60 customers stored narrow (a missing prediction: a NULL raw value)."""
    root = tmp_path_factory.mktemp("narrow")
    tx = make_transactions(seed=11, n=60)
    path = root / "new.duckdb"
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    preds.loc[3, "p_alive"] = np.nan
    std = load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))
    run_round(path, std, "2026-03-31", predictions=preds)
    run_round(path, std, CUTOFF, predictions=preds)
    return path


def as_version_2(new, old):
    """``new`` rewritten as xuanba wrote it at schema version 2 (the long ``contributions``
    table, a row per round, customer and criterion in rank order, criteria as stored)."""
    con = duckdb.connect(str(old))
    try:
        con.execute(f"ATTACH '{new}' AS src (READ_ONLY)")
        tables = con.execute("SELECT table_name, sql FROM duckdb_tables() WHERE database_name = 'src'").fetchall()
        for name, ddl in tables:  # each table as it was made (its keys too), then its rows
            if name not in ("round_points", "round_criteria", "roster_codes", "roster_labels"):
                con.execute(ddl)
                con.execute(f'INSERT INTO "{name}" SELECT * FROM src."{name}"')
        # the roster's texts as version 4 and before stored them (a table; version 5 keeps codes)
        con.execute("CREATE TABLE roster AS SELECT * FROM src.roster ORDER BY round_id, rank")
        con.execute(LONG_DDL)
        con.execute("INSERT INTO contributions SELECT p.round_id, r.customer_id, k.criterion, p.raw[k.position], "
                    f"p.normalised[k.position], k.weight, {CONTRIBUTION_SQL} FROM src.round_points p "
                    "JOIN src.round_criteria k ON k.round_id = p.round_id "
                    "JOIN src.roster r ON r.round_id = p.round_id AND r.rank = p.rank "
                    "ORDER BY p.round_id, p.rank, k.position")
        con.execute("UPDATE xuanba_meta SET value = '2' WHERE key = 'schema_version'")
        con.execute("DETACH src")
    finally:
        con.close()
    return old


def everything_read(path, rid):
    """What every reader of the contributions gives for round ``rid`` (a read-only open)."""
    from xuanba.web import data

    with Workspace(path, read_only=True) as ws:
        rnd = load_round(ws, rid)
        ids = rnd.roster["customer_id"].tolist()
        return {
            "roster": rnd.roster, "contributions": rnd.contributions,
            "roster_hash": table_sha256(rnd.roster), "stored_hash": rnd.meta["roster_sha256"],
            "selected": load_contributions(ws, rid, max_rank=20),
            "all": load_contributions(ws, rid, selected=False),
            "ranked": ranked_contributions(ws, rid).to_pylist(),
            "customers": [customer_contributions(ws, rid, c) for c in ids],
            "by_rank": [customer_contributions(ws, rid, c, rank=i + 1) for i, c in enumerate(ids)],
            "movers": contributions_of(ws, rid, ids[::5]),
            "pages": [data.contributions(ws, rid, c) for c in ids],
        }


def same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], pd.DataFrame):
            pd.testing.assert_frame_equal(a[key], b[key], obj=key)
        else:
            assert repr(a[key]) == repr(b[key]), key  # repr: NaN equals NaN, None stays None


def test_a_round_stored_narrow_reads_as_the_same_round_stored_long_and_migrates_to_it(narrow, tmp_path):
    """Every reader gives the same for a round stored narrow and for the same round in version 2's
    long table read as it is (read-only, file untouched); the roster's hash is the stored one;
    opening the old file to write moves its rows into the narrow tables, the view showing the
    long table's rows, and the readers still give the same."""
    import hashlib

    old = as_version_2(narrow, tmp_path / "old.duckdb")
    assert schema_version(old) == 2 and SCHEMA_VERSION == 7
    digest = hashlib.sha256(old.read_bytes()).hexdigest()
    with duckdb.connect(str(old), read_only=True) as con:
        long_rows = con.execute("SELECT * FROM contributions ORDER BY ALL").df()
    for rid in (1, 2):
        new_read, old_read = everything_read(narrow, rid), everything_read(old, rid)
        same(new_read, old_read)
        assert new_read["roster_hash"] == new_read["stored_hash"]
        assert len(new_read["contributions"]) == 4 * len(new_read["roster"])
        assert new_read["contributions"]["raw"].isna().any()  # the missing prediction, NULL both ways
    assert hashlib.sha256(old.read_bytes()).hexdigest() == digest  # read-only: not a byte changed

    with Workspace(old) as ws:  # a writing open migrates
        assert ws.schema_version == SCHEMA_VERSION
        kinds = dict(ws.con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["contributions"] == "VIEW" and kinds["round_points"] == "BASE TABLE"
        pd.testing.assert_frame_equal(ws.sql("SELECT * FROM contributions ORDER BY ALL"), long_rows)
        counts = ws.sql("SELECT (SELECT count(*) FROM round_points) AS p, (SELECT count(*) FROM roster) AS r")
        assert counts["p"].iloc[0] == counts["r"].iloc[0] == 119  # the first round holds 59 customers
    for rid in (1, 2):
        same(everything_read(old, rid), everything_read(narrow, rid))


def test_the_migration_keeps_rounds_of_other_criteria_counts_and_hostile_names(narrow, tmp_path):
    """A version-2 file with a third round of one criterion (a hostile name) beside two of four:
    migrated, the view shows exactly the long table's rows (each round cut to its own count, the
    hostile name as text) and the readers give each round's rows in rank order."""
    old = as_version_2(narrow, tmp_path / "old.duckdb")
    hostile = "x'; DROP TABLE roster; --\n=cmd|' /C calc'!A0 得分"
    with duckdb.connect(str(old)) as con:
        con.execute("INSERT INTO rounds SELECT 3, * EXCLUDE (round_id) FROM rounds WHERE round_id = 2")
        con.execute("INSERT INTO roster SELECT 3, * EXCLUDE (round_id) FROM roster WHERE round_id = 2")
        con.execute("INSERT INTO contributions SELECT 3, r.customer_id, ?, r.rank * 1.5, r.rank / 100.0, 1.0, "
                    "r.rank / 100.0 FROM roster r WHERE r.round_id = 2 ORDER BY r.rank DESC", [hostile])
        long_rows = con.execute("SELECT * FROM contributions ORDER BY ALL").df()
    with Workspace(old) as ws:  # a writing open migrates
        pd.testing.assert_frame_equal(ws.sql("SELECT * FROM contributions ORDER BY ALL"), long_rows)
        lengths = ws.sql("SELECT round_id, min(len(raw)) AS lo, max(len(raw)) AS hi FROM round_points "
                         "GROUP BY round_id ORDER BY round_id")
        assert lengths[["lo", "hi"]].to_numpy().tolist() == [[4, 4], [4, 4], [1, 1]]
        third = read_contributions(ws, 3)
    assert set(third["criterion"]) == {hostile}
    ranks = np.arange(1, len(third) + 1)
    np.testing.assert_array_equal(third["raw"].to_numpy(), ranks * 1.5)  # rank order, whatever order the rows came in


def test_a_full_disk_during_the_migration_leaves_the_old_file_as_it_was(narrow, tmp_path, monkeypatch):
    """The migration runs in the upgrade's one transaction: a full disk half-way (after the old
    table was dropped) or at the commit is reported as such, and the file stays at version 2, its
    long table whole and readable."""
    old = as_version_2(narrow, tmp_path / "old.duckdb")
    want = everything_read(old, 2)

    def full(*_):
        raise duckdb.IOException('IO Error: Could not write file "old.duckdb.wal": No space left on device')

    for target, name in ((store_mod, "_ddl"), (Workspace, "_commit")):
        with monkeypatch.context() as m:
            m.setattr(target, name, full)
            with pytest.raises(WorkspaceError, match="disk is full"):
                Workspace(old)
        assert schema_version(old) == 2
        with duckdb.connect(str(old), read_only=True) as con:
            kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["contributions"] == "BASE TABLE" and "round_points" not in kinds
        same(everything_read(old, 2), want)


def _parts(names, n=3):
    rng = np.random.default_rng(4)
    raw = rng.normal(size=(n, len(names)))
    raw[1, 0] = np.nan
    norm = rng.uniform(size=(n, len(names)))
    w = np.full(len(names), 1.0 / len(names))
    return ContributionParts(pd.Series([f"c{i}" for i in range(n)]), list(names), w, raw, norm, 100 * w * norm)


def _roster(ids, ranks):
    frame = pd.DataFrame({c: pd.Series([None] * len(ids), dtype=object) for c in ROSTER_COLUMNS})
    frame["customer_id"], frame["rank"] = list(ids), list(ranks)
    return frame.astype({"rank": "int64"})


def _store(ws, parts, ranks):
    with ws.transaction() as con:
        _ddl(con)
        _insert_roster(con, 1, _roster(parts.customer_id, ranks))
        _insert_parts(con, 1, parts, np.asarray(ranks))


def test_hostile_criterion_names_are_stored_as_text_and_read_back_through_the_view(tmp_path):
    """Names with quotes, ``;``, a newline and a leading ``=`` are bound, never spliced into SQL:
    the view and the reader give them back exactly, and nothing else happens (the roster stays)."""
    names = ['a"b', "x'; DROP TABLE roster; --", "two\nlines", "=cmd|' /C calc'!A0"]
    parts = _parts(names)
    with Workspace(tmp_path / "w.duckdb") as ws:
        _store(ws, parts, [1, 2, 3])
        view = ws.sql("SELECT customer_id, criterion, raw, normalised, weight, contribution FROM contributions "
                      "ORDER BY customer_id, list_position(?::VARCHAR[], criterion)", [names])
        read = read_contributions(ws, 1)
        assert ws.has_table("roster")
    want = parts.frame().astype({"criterion": object})
    pd.testing.assert_frame_equal(view, want, check_dtype=False)
    pd.testing.assert_frame_equal(read, want, check_dtype=False)
    assert read["criterion"].tolist()[:4] == names and np.isnan(read["raw"].iloc[4])


def test_contributions_are_stored_in_rank_order_and_two_customers_with_one_rank_are_refused(tmp_path):
    """Rows given out of rank order are stored by rank (each customer keeps their own points); a
    roster with a rank twice cannot key its contributions and is refused with the reason."""
    parts = _parts(["a", "b"])
    with Workspace(tmp_path / "w.duckdb") as ws:
        _store(ws, parts, [3, 1, 2])
        assert ws.sql("SELECT rank FROM round_points ORDER BY rowid")["rank"].tolist() == [1, 2, 3]
        read = read_contributions(ws, 1)
    assert read["customer_id"].tolist() == ["c1", "c1", "c2", "c2", "c0", "c0"]
    by_customer = read.set_index(["customer_id", "criterion"])["contribution"]
    want = parts.frame().set_index(["customer_id", "criterion"])["contribution"]
    pd.testing.assert_series_equal(by_customer.sort_index(), want.sort_index(), check_names=False)
    with Workspace(tmp_path / "w2.duckdb") as ws, pytest.raises(DataError, match="distinct ranks"):
        _store(ws, parts, [1, 2, 2])
