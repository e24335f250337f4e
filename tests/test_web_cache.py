"""What the web app keeps in memory (issue 14, load): the pages built from a kept round equal the
pages read in SQL alone; a new round is seen at the next request; a rep never gets another rep's
kept page; a user disabled meanwhile is out at once; the caches keep to their bounds; a waiting
write is not starved by a stream of reads."""

from __future__ import annotations

import threading
import time

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import EVIL_ID, SLASH_ID, log_in, make_web_workspace, owner_of


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return make_web_workspace(tmp_path_factory.mktemp("web") / "ws.duckdb", n=90)


def _both(monkeypatch, func, *args, **kwargs):
    """``func(*args, **kwargs)`` with the rounds kept in memory, and again read in SQL alone."""
    from xuanba.web import data

    kept = func(*args, **kwargs)
    monkeypatch.setattr(data, "KEEP", False)
    try:
        return kept, func(*args, **kwargs)
    finally:
        monkeypatch.setattr(data, "KEEP", True)


def test_pages_of_a_kept_round_equal_the_pages_read_in_sql(ws, monkeypatch):
    from xuanba.web import data
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        assert data._kept_roster(ro, 2) is not None  # the fast path is the one compared
        sorts = list(data.SORTS)
        cases = [(None, None, None, sort, desc, page) for sort in sorts for desc in (False, True) for page in (1, 4)]
        i = 0
        for owner in (None, "Rep 01", "nobody"):
            for tier, search in ((None, None), ("gold", None), ("-", None), (None, "c00000"), (None, "customer 7"),
                                 ("gold", "1"), (None, "<img")):
                for _ in range(3):  # each view with three of the sorts, in turn
                    cases.append((owner, tier, search, sorts[i % len(sorts)], i % 2 == 1, 1 + i % 3))
                    i += 1
        checked = 0
        for owner, tier, search, sort, desc, page in cases:
            kept, sql = _both(monkeypatch, data.roster_page, ro, 2, owner=owner, tier=tier, search=search, sort=sort,
                              desc=desc, page=page, per_page=25)
            assert kept == sql, (owner, tier, search, sort, desc, page)
            checked += bool(sql["rows"])
        assert checked > 60
        ids = [r[0] for r in ro.con.execute("SELECT customer_id FROM roster WHERE round_id = 2 ORDER BY rank").fetchall()]
        assert EVIL_ID in ids and SLASH_ID in ids
        for j, cid in enumerate([*ids[::6], EVIL_ID, SLASH_ID, "C9999999", "", "C0000002 ", "c0000002"]):
            for owner in (None, "Rep 01", "Rep 02"):
                rid = 1 + j % 2
                kept, sql = _both(monkeypatch, data.customer, ro, rid, cid, owner)
                assert kept == sql, (cid, owner, rid)
        for owner in (None, "Rep 01"):
            kept, sql = _both(monkeypatch, data.overview, ro, owner)
            assert kept == sql
            kept, sql = _both(monkeypatch, data.list_of_rounds, ro, owner)
            assert kept == sql


def test_a_customer_is_found_by_id_in_memory_like_the_stored_roster(ws):
    from xuanba.web import data
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        kept = data._kept_roster(ro, 2)
        stored = dict(ro.con.execute("SELECT customer_id, rank FROM roster WHERE round_id = 2").fetchall())
        for cid, rank in stored.items():
            assert kept.position(cid) == rank - 1
        for absent in ("", "C", "C00000021", "ZZZ", "\x00", "Ω", "C0000002\x00"):
            assert kept.position(absent) is None


def test_a_pages_rows_equal_the_kept_rows_one_by_one_in_any_order_and_chunking():
    # rows() reads a run of ranks as a slice and a dictionary column through its values: the same
    # rows as reading each row whole, for runs, reversed runs, scattered rows, missing values and a
    # table in several chunks
    import math

    import pyarrow as pa
    import pyarrow.compute as pc

    from xuanba.web import data

    n = 40
    cols = {"rank": list(range(1, n + 1)), "customer_id": [f"C{i:03d}" for i in range(n)],
            "tier": [None if i % 7 == 0 else ("gold", "silver", "")[i % 3] for i in range(n)],
            "score": [float("nan") if i == 5 else float("inf") if i == 6 else 100 - i / 3 for i in range(n)],
            "selected": [i % 2 == 0 for i in range(n)], "quadrant": [("stars", None, "cows")[i % 3] for i in range(n)],
            "next_tier": [("gold", "")[i % 2] for i in range(n)], "gap_to_next": [None if i % 5 else 1.5 for i in range(n)],
            "left_out_by_capacity": [i == 3 for i in range(n)], "name": [None if i == 9 else f"名 {i}" for i in range(n)],
            "owner": [None if i % 11 == 0 else f"Rep {i % 4}" for i in range(n)]}
    whole = pa.table({c: pc.dictionary_encode(pa.array(v)) if c in ("tier", "quadrant", "next_tier", "owner")
                      else pa.array(v) for c, v in cols.items()})
    chunked = pa.concat_tables([whole.slice(0, 17), whole.slice(17)])
    assert chunked.column("tier").num_chunks == 2
    for table in (whole.combine_chunks(), chunked):
        kept = data.KeptRoster(table, {"name", "owner"})

        def one_by_one(positions, kept=kept):
            out = []
            for p in positions:
                row = {c: kept.row(p)[c] for c in kept._page}
                out.append({c: None if c in ("score", "gap_to_next") and v is not None and not math.isfinite(v) else v
                            for c, v in row.items()})
            return out

        for positions in (range(0, 25), range(15, 40), range(39, 14, -1), [0, 7, 11, 22, 39], [5], [6, 5], []):
            assert kept.rows(positions) == one_by_one(positions), positions


def _store_round(path, seed: int, n: int, gate=None) -> None:
    """Store another round (its roster differs), through the app's gate or as another process would."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.workspace import Workspace

    r = synthetic_round(n, seed=seed, cutoff="2026-09-30", people=True)
    r.fields["owner"] = "Rep 01"
    r.meta.update(name=f"r{seed}", roster_sha256=f"{seed:064d}", extra_fields=["internal_credit"],
                  field_columns=[c for c in r.fields.columns if c != "customer_id"])
    if gate is not None:
        with gate.write() as w:
            save_round(w, r)
    else:
        with Workspace(path) as w:
            save_round(w, r)


def test_a_new_round_is_seen_at_the_next_request(tmp_path):
    from xuanba.web import create_app

    path = make_web_workspace(tmp_path / "ws.duckdb", n=60)
    app = create_app(path, linger_s=0.3)
    with TestClient(app) as c:
        log_in(c, "boss")
        assert c.get("/api/roster").json()["total"] == 60
        before = c.get("/api/customers/C0000002").json()
        assert [h["round_id"] for h in before["history"]] == [1, 2]
        time.sleep(1.0)  # the server let go of the file: a command stores a round
        _store_round(path, 3, 70)
        r = c.get("/api/roster").json()
        assert r["round_id"] == 3 and r["total"] == 70
        assert [h["round_id"] for h in c.get("/api/customers/C0000002?round=2").json()["history"]] == [1, 2, 3]
        assert c.get("/api/roster?round=2").json()["total"] == 60  # the older round is still there
        # while the server holds the file, a round stored through its gate (as a page that runs one does)
        assert c.get("/api/overview").json()["round_id"] == 3
        _store_round(path, 4, 75, gate=app.state.xb.gate)
        assert c.get("/api/overview").json()["round_id"] == 4 and c.get("/api/roster").json()["total"] == 75
        assert c.get("/roster").text.count("/customers/") >= 50


def test_a_rep_never_gets_another_reps_kept_page(tmp_path):
    from xuanba.web import create_app

    path = make_web_workspace(tmp_path / "ws.duckdb", n=60)
    app = create_app(path, linger_s=5)
    clients = {name: TestClient(app) for name in ("ann", "bob", "boss")}
    for name, c in clients.items():
        log_in(c, name)
    urls = ["/api/roster?per_page=25", "/api/roster?sort=name&per_page=25", "/api/roster?tier=gold",
            "/api/roster?q=customer", "/api/overview", "/api/rounds", "/roster"]
    for order in (("ann", "bob", "boss"), ("boss", "bob", "ann")):  # kept first by one, then asked by another
        seen = {name: [clients[name].get(u) for u in urls] for name in order}
        for name, owner in (("ann", "Rep 01"), ("bob", "Rep 02")):
            rows = seen[name][0].json()["rows"] + seen[name][1].json()["rows"] + seen[name][3].json()["rows"]
            assert rows and {r["owner"] for r in rows} == {owner}
            assert seen[name][0].json()["total"] == 20
            assert seen[name][4].json()["customers"] == 20
            assert {r["customers"] for r in seen[name][5].json()} == {20}
            other = "Rep 02" if owner == "Rep 01" else "Rep 01"
            assert other not in seen[name][6].text
        assert seen["boss"][0].json()["total"] == 60
    mine = [r["customer_id"] for r in clients["ann"].get("/api/roster?per_page=200").json()["rows"]]
    for cid in mine[:10]:
        assert clients["ann"].get(f"/api/customers/{cid}").status_code == 200  # now kept
        assert clients["bob"].get(f"/api/customers/{cid}").status_code == 404
        assert clients["bob"].get(f"/customers/{cid}").status_code == 404
        assert clients["boss"].get(f"/api/customers/{cid}").status_code == 200
        assert owner_of(path, cid) == "Rep 01"
    for c in clients.values():
        c.close()


def test_a_user_disabled_while_the_server_holds_the_file_is_out_at_once(tmp_path):
    from xuanba.web import create_app, store

    path = make_web_workspace(tmp_path / "ws.duckdb", n=20)
    app = create_app(path, linger_s=30)
    with TestClient(app) as c:
        log_in(c, "boss")
        assert c.get("/api/overview").status_code == 200  # the user's row is kept now
        with app.state.xb.gate.write() as w:
            store.set_active(w, "boss", False)
        assert c.get("/api/overview").status_code == 401


def test_kept_values_keep_to_their_budget():
    from xuanba.web.data import Kept

    k = Kept(10)
    for i in range(8):
        k.put(i, str(i), cost=3)
    assert [i for i in range(8) if k.get(i) is not None] == [5, 6, 7]
    k.get(5)  # used: the least recently used goes first
    k.put("x", "x", cost=3)
    assert k.get(6) is None and k.get(5) == "5"
    k.put("huge", "h", cost=11)  # more than the whole budget: not kept, nothing evicted for it
    assert k.get("huge") is None and k.get("x") == "x"
    made = []
    assert k.get_or_make("m", lambda: made.append(1) or "made") == "made"
    assert k.get_or_make("m", lambda: made.append(1) or "again") == "made" and made == [1]


def test_a_waiting_write_is_not_starved_by_a_stream_of_reads(tmp_path):
    from xuanba.web.app import Gate

    path = make_web_workspace(tmp_path / "ws.duckdb", n=10)
    gate = Gate(str(path), linger_s=5)
    stop = time.monotonic() + 20
    reads = []

    def reader() -> None:
        while time.monotonic() < stop and not wrote.is_set():
            with gate.read() as w:
                w.con.execute("SELECT count(*) FROM roster").fetchall()
                time.sleep(0.01)
            reads.append(1)

    wrote = threading.Event()
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    time.sleep(0.2)  # reads overlap all the time from here on
    t0 = time.monotonic()
    with gate.write() as w:
        w.con.execute("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
    waited = time.monotonic() - t0
    wrote.set()
    for t in readers:
        t.join()
    assert reads and waited < 5


def test_a_standing_read_by_rank_is_the_standing_and_a_wrong_rank_finds_nobody(ws):
    from xuanba.rounds import customer_standing
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        ranks = dict(ro.con.execute("SELECT customer_id, rank FROM roster WHERE round_id = 2").fetchall())
        for cid in list(ranks)[::9]:
            assert customer_standing(ro, 2, cid, rank=ranks[cid]) == customer_standing(ro, 2, cid)
            assert customer_standing(ro, 2, cid, rank=ranks[cid] % len(ranks) + 1) is None


def test_a_cursor_reads_beside_its_workspace_and_closes_alone(ws):
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        cur = ro.cursor()
        assert cur.read_only and cur.path == ro.path
        assert cur.sql("SELECT count(*) AS n FROM roster")["n"][0] == ro.sql("SELECT count(*) AS n FROM roster")["n"][0]
        cur.close()
        assert ro.con.execute("SELECT 1").fetchone() == (1,)  # still open


def test_a_read_inside_a_read_goes_on_while_a_write_waits(tmp_path):
    from xuanba.web.app import Gate

    path = make_web_workspace(tmp_path / "ws.duckdb", n=10)
    gate = Gate(str(path), linger_s=5)
    wrote, inner_read, outer_in = threading.Event(), threading.Event(), threading.Event()

    def write() -> None:
        with gate.write() as w:
            w.con.execute("SELECT 1")
        wrote.set()

    def reads() -> None:  # in a thread, so that a deadlock fails the test instead of hanging it
        with gate.read():
            outer_in.set()
            time.sleep(0.3)  # the write is waiting for this read now
            with gate.read() as inner:  # would wait for the write, which waits for the outer read
                inner.con.execute("SELECT count(*) FROM roster").fetchone()
                inner_read.set()

    reader = threading.Thread(target=reads, daemon=True)
    reader.start()
    outer_in.wait(10)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    reader.join(10)
    writer.join(10)
    assert inner_read.is_set() and wrote.is_set()


def test_a_customers_rows_are_read_where_the_kept_roster_says_and_a_wrong_hint_finds_them_anyway(ws, monkeypatch):
    """A kept roster knows where each customer's stored fields lie (DuckDB row ids; their
    contributions are found by rank): fresh, every hint points at that customer's own row of that
    round; a stale hint (rows moved) still gives the customer's own fields and points, and a wrong
    rank finds no points, never another customer's."""
    import pyarrow as pa

    from xuanba.web import account_data, data
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        kept = data._kept_roster(ro, 2)
        ids = kept.table.column("customer_id").to_pylist()
        for pos, cid in enumerate(ids):
            assert ro.con.execute("SELECT round_id, customer_id FROM round_fields WHERE rowid = ?",
                                  [kept.where(pos)]).fetchall() == [(2, cid)]

        def pages() -> list:
            data._ROWS.clear()
            data._CUSTOMERS.clear()
            return [(data.customer(ro, 2, cid), account_data.predictions(ro, 2, cid),
                     account_data.account_view(ro, 2, cid)) for cid in ids[::7]]

        right = pages()
        kept_sql = _both(monkeypatch, pages)[1]
        assert right == kept_sql
        # every hint now points at another customer's row (or round 1's): the pages do not change
        col = "fields_at"
        shifted = pa.array(kept.table.column(col).to_numpy()[::-1].copy())
        monkeypatch.setattr(kept, "table", kept.table.set_column(kept.table.column_names.index(col), col, shifted))
        assert pages() == right
        # a customer's points read by a wrong rank: none, never another customer's
        assert data.contributions(ro, 2, ids[0], rank=2) == []
        assert all(page[0]["contributions"] and page[0]["standing"]["customer_id"] == cid
                   for page, cid in zip(right, ids[::7], strict=True))


def test_the_catalogue_is_kept_only_while_the_file_cannot_change(tmp_path):
    """Requests read the list of rounds and the tables once while the server's reading connection
    is open (nothing can write the file then); a write of the server, or letting the file go,
    ends what was kept; a request that opens the file itself keeps nothing."""
    from xuanba.web import create_app, data

    path = make_web_workspace(tmp_path / "ws.duckdb", n=30)
    gate = create_app(path, linger_s=0.3).state.xb.gate
    with gate.read() as a:
        first = a.stable
        assert first is not None and data.round_ids(a) == [1, 2]
    with gate.read() as b:
        assert b.stable == first
        assert data.memo(b, "rounds", lambda: "asked again") is data._heads(b)  # kept: not asked again
    _store_round(path, 3, 40, gate=gate)
    with gate.read() as c:
        assert c.stable not in (None, first) and data.round_ids(c) == [1, 2, 3]
        third = c.stable
    time.sleep(1.0)  # the file is let go: another process may write it now
    with gate.read() as d:
        assert d.stable not in (None, first, third)
    alone = create_app(path, linger_s=0).state.xb.gate
    with alone.read() as e:
        assert e.stable is None
        assert data.memo(e, "rounds", lambda: "asked") == "asked"


def test_a_round_is_kept_once_whichever_page_asks_for_it_first(ws):
    """The customer page and the roster page name a round by the same key: one copy in memory."""
    from xuanba.web import data
    from xuanba.workspace import Workspace

    data._ROSTERS.clear()
    with Workspace(ws, read_only=True) as ro:
        cid = ro.con.execute("SELECT customer_id FROM roster WHERE round_id = 2 AND rank = 3").fetchone()[0]
        assert data.customer(ro, 2, cid)["standing"]["rank"] == 3
        assert data.roster_page(ro, 2)["total"] > 0 and data.overview(ro) is not None
        assert len(data._ROSTERS._items) == 1


def test_a_settled_server_process_leaves_the_libraries_out_of_the_collectors_passes():
    """``serving.settle`` (run by ``xuanba serve``) freezes what is alive once the libraries are
    loaded: a full collection then walks a few objects, not every library's (run in a child
    process: it changes the collector of the whole process)."""
    import subprocess
    import sys

    code = ("import gc, xuanba.web.data, pandas, pyarrow; before = len(gc.get_objects()); "
            "from xuanba.web.serving import settle; frozen = settle(); "
            "print(before, frozen, len(gc.get_objects()))")
    before, frozen, after = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                     check=True).stdout.split())
    assert frozen >= before > 20_000 and after < before / 10


def test_a_kept_rounds_contributions_are_read_in_memory_as_sql_orders_them(ws, monkeypatch):
    """A customer's page of a kept round reads their contributions from the round's contributions
    kept in memory, with no query: the same rows in the same order as DuckDB gives them (most
    points first, ties in stored order), for every customer of the round, and a customer with
    tied, missing and NaN points too."""
    import math

    import pyarrow as pa

    from xuanba.web import data
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        kept = data._kept_roster(ro, 2)
        ids = kept.table.column("customer_id").to_pylist()
        from xuanba.rounds import store

        asked: list[str] = []
        real = store.customer_contributions
        monkeypatch.setattr(store, "customer_contributions", lambda *a, **k: (asked.append(a[2]), real(*a, **k))[1])
        memory = [data.contributions(ro, 2, cid, pos + 1) for pos, cid in enumerate(ids)]
        assert not asked  # none read in SQL
        sql = [data.contributions(ro, 2, cid) for cid in ids]
        assert asked == ids  # each read in SQL
        assert memory == sql and all(memory)

        # points that tie, are missing or are NaN: sorted as DuckDB sorts them
        kc = data._CONTRIBUTIONS.get(data._key(ro, 2))
        assert isinstance(kc, data.KeptContributions)
    points = [1.0, None, float("nan"), 1.0, 2.0]
    table = pa.table({"criterion": list("abcde"), "raw": [1.0] * 5, "normalised": [0.5] * 5, "weight": [1.0] * 5,
                      "contribution": points, "rank": [1] * 5})
    got = data.KeptContributions(table).rows(1)
    import duckdb

    con = duckdb.connect()
    con.register("arrow_t", table)
    con.execute("CREATE TABLE t AS SELECT * FROM arrow_t")  # a stored table: its rows have row ids
    want = [r[0] for r in con.execute("SELECT criterion FROM t ORDER BY contribution DESC, rowid").fetchall()]
    assert [r["criterion"] for r in got] == want == ["c", "e", "a", "d", "b"]
    assert got[0]["contribution"] is None and not any(isinstance(r["contribution"], float) and math.isnan(r["contribution"])
                                                       for r in got)


def test_a_user_disabled_by_a_writer_beside_the_server_in_its_process_is_out_at_once(tmp_path):
    """A program that serves the app and writes the workspace itself (a Workspace of its own, in
    the same process): the server's reading connection is then the writer's database
    (Workspace.beside_writer) and the file can change under it. conn31 kept no catalogue then,
    but the user's row it keeps (Gate.cached) stayed: a user disabled there went on reading."""
    from xuanba import Workspace
    from xuanba.web import create_app, store

    path = make_web_workspace(tmp_path / "ws.duckdb", n=20)
    app = create_app(path, linger_s=30)
    with Workspace(path) as writer, TestClient(app) as c:
        log_in(c, "boss")
        assert c.get("/api/overview").status_code == 200
        with app.state.xb.gate.read() as r:
            assert r.beside_writer  # the server reads through the writer's database
        assert c.get("/api/overview").status_code == 200  # the user's row read again (kept, on conn31)
        store.set_active(writer, "boss", False)
        assert c.get("/api/overview").status_code == 401
