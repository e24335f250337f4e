"""Storing a round in slices (issue 16): the same rows in the same order as one statement, no
slice larger than :data:`~xuanba.rounds.store.SLICE_ROWS`, and DuckDB's threads set back."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from tests.test_rounds import CUTOFF, make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds import store as store_mod
from xuanba.rounds.store import save_round
from xuanba.standard import load_standard, starter_standard
from xuanba.standard.score import CONTRIBUTION_COLUMNS
from xuanba.workspace import shown_bytes


def _table(insert: str) -> str:
    """The table an ``INSERT`` of the round appends to, the roster's codes named ``roster``."""
    name = insert.split()[2]
    return "roster" if name == "roster_codes" else name


TABLES = ("rounds", "roster", "round_criteria", "round_points", "round_fields", "round_tables")


@pytest.fixture(scope="module")
def scored_once(tmp_path_factory):
    """The round of :func:`scored`, run once for the module; never handed to a test itself."""
    tx = make_transactions(seed=11, n=60)
    path = tmp_path_factory.mktemp("scored") / "source.duckdb"
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    preds.loc[3, "p_alive"] = np.nan
    extra = pd.DataFrame({"customer_id": preds["customer_id"],
                          "note": pd.Series([7 if i % 3 else f"x{i}" for i in range(len(preds))], dtype=object)})
    std = load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))
    return run_round(path, std, CUTOFF, predictions=preds, extra_fields=extra, store=False)


@pytest.fixture()
def scored(scored_once):
    """A round of 60 customers, not stored, with a missing prediction (a NULL raw value) and a
    field of numbers and text mixed (stored as text). A deep copy of one's own of the module's
    round, as the round left it: its contributions still in parts (reading them makes the long
    table, and the saver stores the parts of a round whose table is not made), its frames
    untouched by the tests before."""
    return copy.deepcopy(scored_once)


def _stored(path) -> dict[str, pd.DataFrame]:
    """Every stored row of every round table, in the order the table holds them."""
    with Workspace(path, create=False) as ws:
        # the roster is a view (schema version 5): its rows by rank, the order they are held in its codes' table
        out = {t: ws.sql(f"SELECT * FROM {t} ORDER BY {'round_id, rank' if t == 'roster' else 'rowid'}") for t in TABLES}
        out["roster_order"] = ws.sql("SELECT round_id, rank FROM roster_codes ORDER BY rowid") \
            if ws.has_table("roster_codes") else None
        out["contributions"] = store_mod.read_contributions(ws, 1, columns=CONTRIBUTION_COLUMNS) \
            if len(out["rounds"]) else None
    out["rounds"] = out["rounds"].drop(columns=["created_at"])
    return out


def test_a_round_stored_in_slices_equals_the_round_stored_in_one_statement(tmp_path, scored, monkeypatch):
    seen: list[int] = []
    real_arrow = store_mod._arrow

    def arrow(frame):
        seen.append(len(frame))
        return real_arrow(frame)

    whole, sliced = tmp_path / "whole.duckdb", tmp_path / "sliced.duckdb"
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 10**9)
    with Workspace(whole) as ws:
        save_round(ws, scored)
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 7)
    monkeypatch.setattr(store_mod, "BATCH_ROWS", 2)  # and each slice in batches DuckDB may append in parallel
    monkeypatch.setattr(store_mod, "_arrow", arrow)
    with Workspace(sliced, threads=2) as ws:
        save_round(ws, scored)
    n = len(scored.roster)
    # the fields 7 rows at a time (the roster is made Arrow whole to code its texts, then sliced alike)
    assert n == 60 and max(seen) == 7 and sum(seen) == n
    a, b = _stored(whole), _stored(sliced)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    # and what was stored is the round itself: the roster in rank order, the long contributions
    # row for row (a NaN raw value as NULL), the fields by customer
    roster = b["roster"].drop(columns=["round_id"])
    pd.testing.assert_frame_equal(roster, scored.roster[roster.columns.tolist()], check_dtype=False)
    contrib = b["contributions"]
    long = scored.contributions.reset_index(drop=True)
    assert len(contrib) == len(long) == n * 4 and contrib["raw"].isna().sum() == long["raw"].isna().sum() >= 1
    pd.testing.assert_frame_equal(contrib, long[contrib.columns.tolist()], check_dtype=False)
    fields = b["round_fields"]
    assert fields["customer_id"].tolist() == scored.fields["customer_id"].tolist()
    assert fields["note"].tolist() == [None if pd.isna(v) else str(v) for v in scored.fields["note"]]


def test_storing_sets_duckdbs_threads_back_after_a_round_and_after_a_failure(tmp_path, scored, monkeypatch):
    during: dict[str, set[int]] = {}
    real_append = store_mod._append

    def append(con, frame, insert):
        table = _table(insert)
        during.setdefault(table, set()).add(int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    with Workspace(tmp_path / "w.duckdb", threads=2) as ws:
        assert save_round(ws, scored) == 1
        # the fields on APPEND_THREADS, the roster (nothing beside it) on all of the workspace's
        assert during == {"round_fields": {store_mod.APPEND_THREADS}, "roster": {2}}
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2

        def failing(con, frame, insert):
            append(con, frame, insert)
            raise OSError("disk gone half-way")

        monkeypatch.setattr(store_mod, "_append", failing)
        with pytest.raises(Exception, match="disk gone"):
            save_round(ws, scored)
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]


def _buffered(con) -> int:
    """DuckDB's ``write_buffer_row_group_count``: the whole row groups an append keeps unwritten."""
    return int(con.execute("SELECT current_setting('write_buffer_row_group_count')").fetchone()[0])


def test_storing_writes_each_whole_row_group_when_filled_and_puts_the_setting_back(tmp_path, scored, monkeypatch):
    """While a round is stored DuckDB writes every whole row group as soon as an append fills it
    (:data:`~xuanba.rounds.store.FLUSH_ROW_GROUPS`), so that the fields' (appended beside the scoring)
    are not left to the commit, the round's last piece; the database's own setting is put back
    after, and after a failure."""
    during: list[int] = []
    real_append = store_mod._append

    def append(con, frame, insert):
        during.append(_buffered(con))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    with Workspace(tmp_path / "w.duckdb", threads=2) as ws:
        ws.con.execute("SET write_buffer_row_group_count = 7")
        assert save_round(ws, scored) == 1
        assert during and set(during) == {store_mod.FLUSH_ROW_GROUPS} == {1}
        assert _buffered(ws.con) == 7

        def failing(con, frame, insert):
            append(con, frame, insert)
            con.execute("SELECT error('IO Error: No space left on device')")

        monkeypatch.setattr(store_mod, "_append", failing)
        with pytest.raises(Exception, match="disk is full"):
            save_round(ws, scored)
        assert _buffered(ws.con) == 7
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]


def test_a_duckdb_without_the_write_buffer_setting_stores_the_same_round(tmp_path, scored, monkeypatch):
    """``write_buffer_row_group_count`` is a tuning knob DuckDB may drop in a later 1.x (the pin
    allows up to 2): where ``duckdb_settings()`` does not list it, the round is stored without it,
    the same rows as with it, and the connection's settings as they were. A DuckDB without it is
    made here by asking for a setting of a name no DuckDB has in its place (e10203b failed to store
    the round: DuckDB refused ``current_setting`` of a setting it does not know)."""
    from xuanba.workspace import setting

    with Workspace(tmp_path / "with.duckdb") as ws:
        save_round(ws, scored)
    asked: list[str] = []

    def setting_gone(con, name, value, **kwargs):  # noqa: ANN001, ANN202 - the store's call, its name gone
        gone = "xuanba_gone_setting" if name == "write_buffer_row_group_count" else name
        asked.append(gone)
        assert not con.execute("SELECT count(*) FROM duckdb_settings() WHERE name = ?", [gone]).fetchone()[0]
        return setting(con, gone, value, **kwargs)

    monkeypatch.setattr(store_mod, "setting", setting_gone)
    with Workspace(tmp_path / "without.duckdb", threads=2) as ws:
        before = ws.con.execute("SELECT name, value FROM duckdb_settings() ORDER BY name").fetchall()
        assert save_round(ws, scored) == 1
        assert ws.con.execute("SELECT name, value FROM duckdb_settings() ORDER BY name").fetchall() == before
    assert asked == ["xuanba_gone_setting"]  # the store asked for it, and stored without it
    a, b = _stored(tmp_path / "with.duckdb"), _stored(tmp_path / "without.duckdb")
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    pd.testing.assert_frame_equal(a["contributions"], b["contributions"])


class _BrokenAfterFailure:
    """A DuckDB connection that refuses every ``SET`` once a statement has failed inside it, as
    DuckDB's connection to a database it invalidated after a fatal error (a disk that filled in
    the middle of a write) refuses every statement: the settings cannot be put back."""

    def __init__(self, con) -> None:  # noqa: ANN001
        self._con, self.failed, self.refused = con, False, 0

    def execute(self, sql, *args):  # noqa: ANN001, ANN202
        import duckdb

        if self.failed and sql.lstrip().upper().startswith(("SET", "RESET")):
            self.refused += 1
            raise duckdb.FatalException("FATAL Error: database has been invalidated because of a previous fatal error")
        try:
            return self._con.execute(sql, *args)
        except duckdb.Error:
            self.failed = True
            raise

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        return getattr(self._con, name)


def test_a_setting_that_cannot_be_put_back_does_not_hide_a_full_disk(tmp_path, scored, monkeypatch):
    """A round whose storing fails inside DuckDB (the disk full, said in the user's words) on a
    connection that then refuses to put DuckDB's settings back (threads, write buffers, memory
    limit): the user is told the disk is full, the first error, not that the settings could not be
    put back. e10203b raised the failed ``SET`` of the settings' put-back in its place."""
    from xuanba.errors import WorkspaceError

    def failing(con, frame, insert):  # noqa: ANN001, ANN202
        con.execute("SELECT error('IO Error: No space left on device')")

    monkeypatch.setattr(store_mod, "_append", failing)
    with Workspace(tmp_path / "w.duckdb", threads=2, memory_limit="3001MB") as ws:
        real = ws.con
        broken = ws.con = _BrokenAfterFailure(real)
        try:
            with pytest.raises(WorkspaceError, match="disk is full"):
                save_round(ws, scored)
        finally:
            ws.con = real
        assert broken.failed and broken.refused >= 3  # threads, write buffers and memory limit each refused


def test_a_setting_put_back_keeps_the_blocks_error_and_raises_its_own_alone():
    """:func:`~xuanba.workspace.setting`: a block that fails on a connection that then cannot put the
    setting back raises the block's error; a put-back that fails after a block that did not is raised."""
    import duckdb

    from xuanba.workspace import setting

    con = _BrokenAfterFailure(duckdb.connect())
    with pytest.raises(duckdb.Error, match="No space left"), setting(con, "threads", 1):
        con.execute("SELECT error('IO Error: No space left on device')")
    assert con.refused == 1  # the put-back was tried, and refused
    con = _BrokenAfterFailure(duckdb.connect())
    with pytest.raises(duckdb.FatalException, match="invalidated"), setting(con, "threads", 1):
        con.failed = True  # nothing failed in the block, but the connection broke meanwhile
    assert con.refused == 1


def _round_source(tmp_path):
    """A workspace of 60 customers' transactions, its predictions and the starter standard: what
    ``run_round`` needs to score a round and store it the round's own way (the fields appended in
    a thread beside the scoring, :func:`~xuanba.rounds.store.saving_round`)."""
    tx = make_transactions(seed=11, n=60)
    path = tmp_path / "source.duckdb"
    store_tx(path, tx)
    return path, predictions_for(tx.customer_id), load_standard(starter_standard("en"))


def _spy_on_appends(monkeypatch, seen, fail_in=None):
    """Record DuckDB's threads for each table a round appends to (``seen``: table → set of
    thread counts) and, for ``fail_in``, fail inside DuckDB as a full disk does."""
    real_append, real_rows = store_mod._append, store_mod._points_rows

    def note(con, table):
        seen.setdefault(table, set()).add(int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
        if table == fail_in:
            con.execute("SELECT error('IO Error: No space left on device')")

    def append(con, frame, insert):
        note(con, _table(insert))
        real_append(con, frame, insert)

    def rows(con, *args):  # the contributions' rows, whole or as the scoring places them
        note(con, "contributions")
        real_rows(con, *args)

    monkeypatch.setattr(store_mod, "_append", append)
    monkeypatch.setattr(store_mod, "_points_rows", rows)


def test_a_round_run_appends_its_fields_on_one_thread_and_the_rest_on_all(tmp_path, monkeypatch):
    """The round's own path on a roster of one row group: the fields beside the scoring on
    :data:`APPEND_THREADS`, then the roster (no tail to split off) and the contributions on all of
    the workspace's threads, and the setting put back after."""
    path, preds, std = _round_source(tmp_path)
    seen: dict[str, set[int]] = {}
    _spy_on_appends(monkeypatch, seen)
    with Workspace(path, threads=2) as ws:
        rnd = run_round(ws, std, CUTOFF, predictions=preds)
        assert rnd.round_id == 1
        assert seen == {"round_fields": {store_mod.APPEND_THREADS}, "roster": {2}, "contributions": {2}}
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2


@pytest.mark.parametrize("table", ["round_fields", "roster"])
@pytest.mark.parametrize("how", ["save_round", "run_round"])
def test_rows_longer_than_a_row_group_go_on_one_thread_end_on_all_and_store_the_same(tmp_path, scored, monkeypatch,
                                                                                    how, table):
    """Fields or a roster of more than one row group (2 rows here): appended on
    :data:`APPEND_THREADS` (the roster on two threads spun beside the round's hashes: its 10 M
    round's tail 1.8-2.0 s longer, docs/benchmarks_round.md), the rows after the last whole row group last, on all of the
    workspace's threads, so that DuckDB writes the row groups it kept before the commit (fast17);
    the rows stored are those of one statement, in order."""
    whole = tmp_path / "whole.duckdb"
    with Workspace(whole) as ws:  # the rows in one statement, as they were stored before
        monkeypatch.setattr(store_mod, "SLICE_ROWS", 10**9)
        save_round(ws, scored)
    monkeypatch.setattr(store_mod, "BATCH_ROWS", 2)
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 8)
    calls: list[tuple[int, int]] = []  # (rows, DuckDB's threads) of each statement into the table
    real_append = store_mod._append

    def append(con, frame, insert):
        if _table(insert) == table:
            calls.append((len(frame), int(con.execute("SELECT current_setting('threads')").fetchone()[0])))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    if how == "save_round":
        with Workspace(tmp_path / "w.duckdb", threads=2) as ws:
            save_round(ws, scored)
        n, stored = len(scored.fields), _stored(tmp_path / "w.duckdb")[table]
        pd.testing.assert_frame_equal(stored, _stored(whole)[table])
    else:
        path, preds, std = _round_source(tmp_path)
        with Workspace(path, threads=2) as ws:
            rnd = run_round(ws, std, CUTOFF, predictions=preds)
            stored = ws.sql(f"SELECT * FROM {'roster_codes' if table == 'roster' else table} ORDER BY rowid")
            assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        n = len(rnd.fields)
        rows = rnd.fields if table == "round_fields" else rnd.roster
        assert stored["customer_id"].tolist() == rows["customer_id"].tolist()
    assert n == 60 and calls == [(58, store_mod.APPEND_THREADS), (2, 2)]
    assert store_mod._tail_rows(61) == 1 and store_mod._tail_rows(2) == 0  # one row group: no tail


def test_fields_on_a_one_thread_workspace_go_in_one_statement(tmp_path, scored, monkeypatch):
    """A workspace already on one thread appends its fields on it throughout: no tail split off
    (it would be a second statement for nothing)."""
    monkeypatch.setattr(store_mod, "BATCH_ROWS", 2)
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 8)
    rows: list[int] = []
    real_append = store_mod._append

    def append(con, frame, insert):
        if _table(insert) == "round_fields":
            rows.append(len(frame))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    with Workspace(tmp_path / "w.duckdb", threads=1) as ws:
        save_round(ws, scored)
    assert rows == [len(scored.fields)] == [60]


@pytest.mark.parametrize("table", ["roster", "contributions", "round_fields"])
@pytest.mark.parametrize("how", ["save_round", "run_round"])
def test_a_failure_inside_duckdb_while_storing_keeps_its_own_words_and_the_settings(tmp_path, scored, monkeypatch,
                                                                                    table, how):
    """A statement that fails inside DuckDB (as a full disk does) aborts the transaction, which
    then refuses even a ``SET``: the user must still read that the disk is full, not "transaction
    is aborted", DuckDB must get its threads and memory limit back, and nothing of the round may
    stay; whichever table it fails in, stored by ``save_round`` or by a round run
    (``saving_round``, the fields in a thread)."""
    from xuanba.errors import WorkspaceError

    path, preds, std = _round_source(tmp_path)
    seen: dict[str, set[int]] = {}
    with Workspace(path, threads=2, memory_limit="3001MB") as ws:
        limit = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        with monkeypatch.context() as m:
            _spy_on_appends(m, seen, fail_in=table)
            with pytest.raises(WorkspaceError, match="disk is full"):
                if how == "save_round":
                    save_round(ws, scored)
                else:
                    run_round(ws, std, CUTOFF, predictions=preds)
        assert table in seen  # it failed where it was meant to
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        assert ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit
        assert _buffered(ws.con) == 5  # DuckDB's own, put back after the failure
        rounds = ws.sql("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'rounds'")["n"].iloc[0]
        assert rounds == 0 or ws.sql("SELECT count(*) AS n FROM rounds")["n"].iloc[0] == 0  # rolled back
        assert save_round(ws, scored) == 1  # nothing half-stored, the workspace usable
        assert ws.sql("SELECT count(*) AS n FROM roster")["n"].iloc[0] == len(scored.roster)
        assert ws.sql("SELECT DISTINCT round_id FROM round_fields")["round_id"].tolist() == [1]


def test_rows_appended_by_two_threads_keep_their_order(tmp_path, monkeypatch):
    """The roster and contributions are appended with all of DuckDB's threads, from Arrow tables in
    many batches: the rows must land in the table (its row ids, which the web's pages read by)
    in the frame's order, whichever thread compressed which batch."""
    rng = np.random.default_rng(5)
    n = 200_000
    frame = pd.DataFrame({"customer_id": [f"c{i:06d}" for i in rng.permutation(n)],
                          "rank": np.arange(1, n + 1), "score": rng.random(n)})
    monkeypatch.setattr(store_mod, "BATCH_ROWS", 1_000)
    with Workspace(tmp_path / "w.duckdb", threads=2) as ws:
        ws.con.execute("CREATE TABLE t (customer_id VARCHAR, rank BIGINT, score DOUBLE)")
        store_mod._append(ws.con, frame, "INSERT INTO t SELECT * FROM _xb_rows")
        back = ws.sql("SELECT * FROM t ORDER BY rowid")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_slices_cover_every_row_once_in_order():
    for n in (0, 1, store_mod.SLICE_ROWS - 1, store_mod.SLICE_ROWS, 3 * store_mod.SLICE_ROWS + 5):
        bounds = list(store_mod._slices(n))
        assert [a for a, _ in bounds] == list(range(0, n, store_mod.SLICE_ROWS))
        assert all(b - a <= store_mod.SLICE_ROWS for a, b in bounds)
        assert sum(b - a for a, b in bounds) == n and (not bounds or bounds[-1][1] == n)


class _Recording:
    """The workspace's connection, recording every statement run on it (DuckDB shows its memory
    limit rounded to a tenth of a unit, so putting it back exactly is seen in the statement)."""

    def __init__(self, con):
        self._con, self.statements = con, []

    def execute(self, query, *args):
        self.statements.append((query, list(args[0]) if args and isinstance(args[0], list | tuple) else []))
        return self._con.execute(query, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _shown(con) -> str:
    """DuckDB's memory limit as it shows it."""
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def _limit(ws) -> str:
    return _shown(ws.con)


def _limit_sets(rec: _Recording) -> list[tuple[str, object]]:
    return [(q, a) for q, a in rec.statements if "memory_limit" in q and not q.lstrip().upper().startswith("SELECT")]


def test_storing_lowers_duckdbs_memory_limit_and_puts_the_users_limit_back_exactly(tmp_path, scored, monkeypatch):
    """While a round is stored DuckDB may hold STORE_MEMORY; afterwards (after a failure too) the
    limit the user gave, as given: not DuckDB's rounded display of it, which drifted round after
    round when it was set back."""
    during: list[str] = []
    real_append = store_mod._append

    def append(con, frame, insert):
        during.append(_shown(con))
        real_append(con, frame, insert)

    monkeypatch.setattr(store_mod, "_append", append)
    with Workspace(tmp_path / "w.duckdb", memory_limit="3001MB") as ws:
        before = _limit(ws)
        assert before == "2.7 GiB"  # 3001 * 1000**2 bytes, shown cut to a tenth
        rec = _Recording(ws.con)
        ws.con = rec
        assert save_round(ws, scored) == 1
        assert during and {shown_bytes(d) for d in during} == {store_mod.STORE_MEMORY}
        assert _limit(ws) == before
        assert _limit_sets(rec)[-1] == ("SET memory_limit = ?", ["3001MB"])  # exactly the user's

        def failing(con, frame, insert):
            append(con, frame, insert)
            raise OSError("disk gone half-way")

        monkeypatch.setattr(store_mod, "_append", failing)
        rec.statements.clear()
        with pytest.raises(OSError, match="disk gone"):
            save_round(ws, scored)
        assert _limit(ws) == before and _limit_sets(rec)[-1] == ("SET memory_limit = ?", ["3001MB"])
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]


def _many_transactions(n: int, seed: int = 3) -> pd.DataFrame:
    """About 5 transactions each for ``n`` customers, made at once (a round bigger than 16 MiB)."""
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 10, n)
    who = np.repeat(np.arange(n), per)
    return pd.DataFrame({"customer_id": pd.Series(np.char.add("C", np.char.zfill(who.astype(str), 6)), dtype=object),
                         "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, len(who)), unit="D"),
                         "amount": rng.gamma(2, 40, len(who)).round(2), "cost": rng.uniform(0, 50, len(who)).round(2)})


@pytest.mark.slow
def test_a_round_run_and_stored_puts_the_limit_back_and_stores_the_same_under_a_tiny_limit(tmp_path, monkeypatch):
    """The round's own path (its fields stored in a thread while it is scored): the limit is low
    while the fields go in and the workspace's afterwards; and a round stored under a limit far
    under its size (24 MiB for 60,000 customers; with the roster and contributions appended on two
    threads 16 MiB ran out, on one 4 MiB) stores what it stores without
    one, and verifies."""
    from xuanba.rounds.fairness import verify_round

    tx = _many_transactions(60_000)
    preds = predictions_for(tx.customer_id)
    std = load_standard(starter_standard("en"))
    seen: list[str] = []
    real_fields = store_mod._insert_fields

    def fields(con, round_id, frame, *rest):
        seen.append(_shown(con))
        real_fields(con, round_id, frame, *rest)

    monkeypatch.setattr(store_mod, "_insert_fields", fields)
    stored = {}
    for name, low in (("big", 2**40), ("tiny", 24 * 2**20)):
        monkeypatch.setattr(store_mod, "STORE_MEMORY", low)
        path = tmp_path / f"{name}.duckdb"
        store_tx(path, tx)
        with Workspace(path, memory_limit="2000MB") as ws:
            rec = _Recording(ws.con)
            ws.con = rec
            rnd = run_round(ws, std, CUTOFF, predictions=preds)
            ws.con = rec._con
            assert _limit(ws) == "1.8 GiB"
            lowered = [(f"SET memory_limit = '{low}B'", []), ("SET memory_limit = ?", ["2000MB"])]
            assert _limit_sets(rec) == ([] if name == "big" else lowered)
        assert rnd.round_id == 1 and verify_round(path)["verified"]
        stored[name] = _stored(path)
    assert seen == ["1.8 GiB", "24.0 MiB"]  # the fields were stored under the lowered limit
    for table in TABLES:
        a, b = stored["big"][table], stored["tiny"][table]
        if table == "rounds":  # meta_json holds the round's creation time
            a, b = a.drop(columns=["meta_json"]), b.drop(columns=["meta_json"])
        pd.testing.assert_frame_equal(a, b, obj=table)
    assert len(stored["tiny"]["contributions"]) == 4 * len(stored["tiny"]["roster"]) == 240_000


def test_a_limit_set_since_the_workspace_opened_is_left_alone_and_the_default_is_reset(tmp_path, scored, monkeypatch):
    """A caller's own ``SET memory_limit`` (whose exact value DuckDB does not say) is not lowered,
    so nothing has to guess it back; with no limit of xuanba's (the machine's memory unknown),
    DuckDB's default is put back by RESET."""
    from xuanba import workspace as wsmod

    with Workspace(tmp_path / "a.duckdb") as ws:
        ws.con.execute("SET memory_limit = '2GB'")
        rec = _Recording(ws.con)
        ws.con = rec
        save_round(ws, scored)
        assert _limit_sets(rec) == [] and _limit(ws) == "1.8 GiB"
    monkeypatch.delenv(wsmod.MEMORY_ENV, raising=False)
    monkeypatch.setattr(wsmod, "_machine_memory", lambda: None)
    with Workspace(tmp_path / "b.duckdb") as ws:
        default = _limit(ws)
        rec = _Recording(ws.con)
        ws.con = rec
        save_round(ws, scored)
        assert _limit_sets(rec)[-1] == ("RESET memory_limit", []) and _limit(ws) == default
    under = f"{store_mod.STORE_MEMORY // 2**20 // 2}MiB"
    with Workspace(tmp_path / "c.duckdb", memory_limit=under) as ws:  # already under STORE_MEMORY
        rec = _Recording(ws.con)
        ws.con = rec
        save_round(ws, scored)
        assert _limit_sets(rec) == [] and shown_bytes(_limit(ws)) == store_mod.STORE_MEMORY // 2


# -- the roster and contributions appended beside the round's hashes and summary ------------------

def _rows_beside_summary(monkeypatch, *, then=None):
    """Make the round's summary wait (up to 10 s) for the roster's append to have started, and the
    roster's append wait for the summary to have started, and note whether each saw the other:
    both only when the two run at once. ``then(ws_used)`` runs inside the summary after that."""
    import threading

    from xuanba.rounds import summary as summary_mod

    started = {"roster": threading.Event(), "summary": threading.Event()}
    saw: dict[str, bool] = {}
    real_append, real_summary = store_mod._append, summary_mod.round_summary

    def append(con, frame, insert):
        if _table(insert) == "roster":
            started["roster"].set()
            saw["summary"] = started["summary"].wait(10)
        real_append(con, frame, insert)

    def summary(*args, **kwargs):
        started["summary"].set()
        saw["roster"] = started["roster"].wait(10)
        if then is not None:
            then()
        return real_summary(*args, **kwargs)

    monkeypatch.setattr(store_mod, "_append", append)
    monkeypatch.setattr(summary_mod, "round_summary", summary)
    return saw


def test_a_round_run_appends_its_roster_while_it_is_summed_up_and_stores_what_save_round_stores(tmp_path,
                                                                                                 monkeypatch):
    """The roster and contributions are appended in the saver's thread as soon as the scoring
    returns, while the round's hashes and summary are computed: the two run at once, and the
    stored round is row for row what :func:`save_round` stores of the same round, appended in
    one thread after it was summed up."""
    path, preds, std = _round_source(tmp_path)
    other = tmp_path / "other.duckdb"
    store_tx(other, make_transactions(seed=11, n=60))
    with monkeypatch.context() as m:
        saw = _rows_beside_summary(m)
        with Workspace(path, threads=2) as ws:
            rnd = run_round(ws, std, CUTOFF, predictions=preds)
    assert saw == {"roster": True, "summary": True}
    assert rnd.round_id == 1
    with Workspace(other, threads=2) as ws:
        unstored = run_round(ws, std, CUTOFF, predictions=preds, store=False)
        unstored.meta["created_at"] = rnd.meta["created_at"]
        assert save_round(ws, unstored) == 1
    a, b = _stored(path), _stored(other)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    pd.testing.assert_frame_equal(a["contributions"], b["contributions"])
    assert len(a["roster"]) == 60 and len(a["contributions"]) == 4 * 60


@pytest.mark.parametrize("how", ["raises", "reads"])
def test_a_round_that_fails_while_its_roster_is_appended_leaves_nothing(tmp_path, monkeypatch, how):
    """The summing up fails (``raises``), or reads the workspace while the saver's thread
    writes with its connection (``reads``: refused at once), while the roster is being appended:
    the error reaches the caller once the thread is done, nothing of the round stays (its fields,
    roster and contributions included), DuckDB's settings are put back, and the next round gets
    the next id."""
    path, preds, std = _round_source(tmp_path)
    with Workspace(path, threads=2, memory_limit="3001MB") as ws:
        limit = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        first = run_round(ws, std, "2026-03-31", predictions=preds)

        def fail():
            if how == "raises":
                raise ArithmeticError("summing up failed half-way")
            ws.sql("SELECT count(*) FROM rounds")

        with monkeypatch.context() as m:
            saw = _rows_beside_summary(m, then=fail)
            with pytest.raises(ArithmeticError if how == "raises" else RuntimeError,
                               match="half-way" if how == "raises" else "in use by the round's fields and roster"):
                run_round(ws, std, CUTOFF, predictions=preds)
        assert saw == {"roster": True, "summary": True}  # it failed while the roster was being appended
        assert int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0]) == 2
        assert ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit
        for table in ("rounds", "roster", "round_criteria", "round_points", "round_fields"):
            assert ws.sql(f"SELECT DISTINCT round_id FROM {table}")["round_id"].tolist() == [1], table
        assert ws.sql("SELECT DISTINCT round_id FROM round_tables")["round_id"].tolist() in ([], [1])
        pd.testing.assert_frame_equal(store_mod.load_round(ws, 1).roster, first.roster)
        assert run_round(ws, std, CUTOFF, predictions=preds).round_id == 2


def test_a_saver_refuses_a_roster_given_twice(tmp_path, scored):
    """:meth:`RoundSaver.start_rows` once per round: a second roster would be a second copy of
    the round's rows in its transaction."""
    with Workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(RuntimeError, match="twice"), store_mod.saving_round(ws, scored.fields) as saver:
            saver.start_rows(scored.roster, scored.contributions)
            saver.start_rows(scored.roster, scored.contributions)
        assert not ws.has_table("rounds") and not ws.has_table("roster")  # all rolled back, its tables too


def test_the_saver_appends_the_contributions_as_they_are_scored_and_then_the_roster(tmp_path, monkeypatch):
    """A DuckDB round's saver appends the contributions' rows while the engine still places the
    roster's (``on_points``, in rank order: at a million customers 0.6 s of the saver's tail moved
    to where its thread idled, perf38), then the roster once placed. Both are appended after the
    fields, each once; what is stored is the same either way (the test above compares with
    save_round, :func:`test_contributions_appended_as_scored_are_stored_as_at_once`)."""
    path, preds, std = _round_source(tmp_path)
    order: list[str] = []
    real_append, real_rows = store_mod._append, store_mod._points_rows

    def append(con, frame, insert):
        order.append(_table(insert))
        real_append(con, frame, insert)

    def rows(con, *args):
        order.append("round_points")
        real_rows(con, *args)

    monkeypatch.setattr(store_mod, "_append", append)
    monkeypatch.setattr(store_mod, "_points_rows", rows)
    with Workspace(path, threads=2) as ws:
        run_round(ws, std, CUTOFF, predictions=preds)
    assert "round_fields" in order and [t for t in order if t != "round_fields"] == ["round_points", "roster"]


def _spy_points_rows(monkeypatch) -> list[list[int]]:
    """The ranks of each append of ``round_points`` rows (``_points_rows`` still appends them)."""
    pieces: list[list[int]] = []
    real_rows = store_mod._points_rows

    def rows(con, round_id, ranks, *args):
        pieces.append(np.asarray(ranks).tolist())
        real_rows(con, round_id, ranks, *args)

    monkeypatch.setattr(store_mod, "_points_rows", rows)
    return pieces


def test_contributions_appended_as_scored_are_stored_as_at_once(tmp_path, monkeypatch):
    """The engine's roster streamed in batches of 7 rows (in rank order): the saver appends the
    contributions of the leading ranks as each batch is placed, several pieces ranks 1..60 in
    order, and the round stored is row for row what :func:`save_round` stores of the same round
    at once (its criteria, points, roster and fields)."""
    from xuanba.standard import engine_cache

    path, preds, std = _round_source(tmp_path)
    other = tmp_path / "other.duckdb"
    store_tx(other, make_transactions(seed=11, n=60))
    monkeypatch.setattr(engine_cache, "BATCH_ROWS", 7)
    with monkeypatch.context() as m:
        pieces = _spy_points_rows(m)
        with Workspace(path, threads=2) as ws:
            rnd = run_round(ws, std, CUTOFF, predictions=preds)
    assert len(pieces) >= 3 and [r for piece in pieces for r in piece] == list(range(1, 61))
    with Workspace(other, threads=2) as ws:
        unstored = run_round(ws, std, CUTOFF, predictions=preds, store=False)
        unstored.meta["created_at"] = rnd.meta["created_at"]
        assert save_round(ws, unstored) == 1
    a, b = _stored(path), _stored(other)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    pd.testing.assert_frame_equal(a["contributions"], b["contributions"])
    assert len(a["contributions"]) == 4 * 60


def test_contributions_appended_as_scored_are_appended_in_slices(tmp_path, monkeypatch):
    """The engine's roster in one batch of 60 rows: the saver is given every row at once, and
    appends them in slices of at most ``SLICE_ROWS`` (as a round stored at once is), not in one
    piece whose lists are all copied together; the rows are those ranks 1..60, in order."""
    path, preds, std = _round_source(tmp_path)
    monkeypatch.setattr(store_mod, "SLICE_ROWS", 16)
    pieces = _spy_points_rows(monkeypatch)
    with Workspace(path, threads=2) as ws:
        run_round(ws, std, CUTOFF, predictions=preds)
    assert [len(p) for p in pieces] == [16, 16, 16, 12]
    assert [r for piece in pieces for r in piece] == list(range(1, 61))
    assert len(_stored(path)["contributions"]) == 4 * 60
