"""The roster's texts stored as codes (schema version 5): ``roster_codes`` holds each round's rows
with ``tier``, ``quadrant``, ``gates_failed``, ``next_tier``, ``cheapest_criterion`` and
``cheapest_public_criterion`` as SMALLINT codes, ``roster_labels`` their labels once per round,
and ``roster`` is a view that decodes them. Every reader gives what it gave when the texts were
stored (the same round in version 4's text table, read as it is), hostile labels included; a
version-4 file is moved to the codes when opened to write, in one transaction; a DuckDB
scoring's codes are stored as they are."""

from __future__ import annotations

import io
import shutil

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_rounds import CUTOFF, make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.errors import WorkspaceError
from xuanba.rounds import diff_rounds, load_round, run_round
from xuanba.rounds import store as store_mod
from xuanba.rounds.store import (
    _ROSTER_TYPES,
    _VIEW_SELECT_TEXTS,
    CODED_COLUMNS,
    _ddl,
    _insert_roster,
    customer_standing,
    read_roster,
)
from xuanba.standard import load_standard, starter_standard
from xuanba.standard.score import ROSTER_COLUMNS
from xuanba.workspace import SCHEMA_VERSION, schema_version

HOSTILE = ["=1+1", "<script>alert('x')</script>", "甲级客户", "", None, "x'; DROP TABLE roster; --", "two\nlines"]


@pytest.fixture(scope="module", params=["pandas", "duckdb"])
def stored(request, tmp_path_factory):
    """Two stored rounds of 60 customers (a capacity that binds: customers left out, gaps, cheapest
    criteria), scored in pandas or on DuckDB, and the rosters the scoring made."""
    path = tmp_path_factory.mktemp("codes") / "w.duckdb"
    tx = make_transactions(seed=11, n=60)
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    preds.loc[3, "p_alive"] = np.nan
    std = load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))
    rosters = [run_round(path, std, cutoff, predictions=preds, scoring_engine=request.param).roster
               for cutoff in ("2026-03-31", CUTOFF)]
    return path, rosters, std


def as_version_4(new, old):
    """``new`` rewritten as xuanba stored it at schema version 4: the roster's texts in a table."""
    shutil.copy(new, old)
    with duckdb.connect(str(old)) as con:
        con.execute("CREATE TABLE roster_text AS SELECT * FROM roster ORDER BY round_id, rank")
        con.execute("DROP VIEW roster")
        con.execute("DROP TABLE roster_codes")
        con.execute("DROP TABLE roster_labels")
        con.execute("ALTER TABLE roster_text RENAME TO roster")
        con.execute(f"CREATE OR REPLACE VIEW contributions AS {_VIEW_SELECT_TEXTS}")
        con.execute("UPDATE xuanba_meta SET value = '4' WHERE key = 'schema_version'")
    return old


def everything_read(path, std):
    """What each reader of stored rosters gives for rounds 1 and 2 (read-only opens)."""
    from xuanba.outputs.exports import export_round
    from xuanba.rounds.whatif import whatif
    from xuanba.web import data

    out = {}
    with Workspace(path, read_only=True) as ws:
        for rid in (1, 2):
            rnd = load_round(ws, rid)
            ids = rnd.roster["customer_id"].tolist()
            out[f"load_round {rid}"] = rnd.roster
            out[f"view {rid}"] = ws.sql("SELECT * FROM roster WHERE round_id = ? ORDER BY rank", [rid])
            out[f"distinct tier {rid}"] = ws.sql("SELECT DISTINCT tier FROM roster WHERE round_id = ? AND tier <> '' "
                                                 "ORDER BY 1", [rid])
            out[f"group {rid}"] = ws.sql("SELECT quadrant, gates_failed, next_tier, cheapest_criterion, "
                                         "cheapest_public_criterion, count(*) AS n FROM roster WHERE round_id = ? "
                                         "GROUP BY ALL ORDER BY ALL", [rid])
            out[f"standing {rid}"] = [customer_standing(ws, rid, c) for c in ids[::7]]
            out[f"web rows {rid}"] = data.roster_rows(ws, rid)
            for tier in ("A", "B", "-"):
                page = data.roster_page(ws, rid, tier=tier, per_page=100, filters={"quadrant": None})
                out[f"web page {rid} {tier}"] = (page["rows"], page["total"], page["tiers"])
            out[f"web customers {rid}"] = [data.customer(ws, rid, c) for c in ids[::9]]
        out["diff"] = diff_rounds(ws, 1, 2).changes
    target = path.parent / f"export-{path.stem}.csv"
    export_round(path, "latest", target, tables=["roster"])
    out["export"] = target.read_bytes()
    w = whatif(path, std, 1)
    out["whatif"] = (w.summary, w.tiers, w.movers, w.round_roster)
    return out


def same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], pd.DataFrame):
            pd.testing.assert_frame_equal(a[key], b[key], obj=key)
        else:
            assert repr(a[key]) == repr(b[key]), key  # repr: NaN equals NaN, None stays None


def test_the_roster_is_stored_as_codes_and_its_labels_once_per_round(stored):
    path, rosters, _ = stored
    with Workspace(path, read_only=True) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 7
        kinds = dict(ws.con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["roster"] == "VIEW" and kinds["roster_codes"] == kinds["roster_labels"] == "BASE TABLE"
        types = dict(ws.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                    "WHERE table_name = 'roster_codes'").fetchall())
        assert {types[c] for c in CODED_COLUMNS} == {"SMALLINT"} and types["customer_id"] == "VARCHAR"
        assert ws.sql("SELECT count(*) AS n FROM roster_labels")["n"].iloc[0] == 2  # one row per round
        for rid, roster in enumerate(rosters, start=1):
            codes = ws.sql("SELECT * FROM roster_codes WHERE round_id = ? ORDER BY rank", [rid])
            labels = ws.con.execute("SELECT * FROM roster_labels WHERE round_id = ?", [rid]).fetchone()
            for col, words in zip(CODED_COLUMNS, labels[1:], strict=True):
                decoded = [words[int(c)] for c in codes[col]]  # independent of the view: by hand
                assert decoded == roster[col].tolist(), col


def test_every_reader_gives_what_it_gave_when_the_texts_were_stored(stored, tmp_path):
    """The same rounds in version 4's text table, read as they are (read-only), and in the codes:
    every reader gives the same, and both give the scoring's own roster."""
    path, rosters, std = stored
    old = as_version_4(path, tmp_path / "v4.duckdb")
    assert schema_version(old) == 4
    now, before = everything_read(path, std), everything_read(old, std)
    same(now, before)
    for rid, roster in enumerate(rosters, start=1):
        pd.testing.assert_frame_equal(now[f"load_round {rid}"][list(ROSTER_COLUMNS)],
                                      roster[list(ROSTER_COLUMNS)].reset_index(drop=True))


def test_a_version_4_file_is_moved_to_the_codes_when_opened_to_write(stored, tmp_path):
    path, _, std = stored
    old = as_version_4(path, tmp_path / "v4.duckdb")
    with duckdb.connect(str(old)) as con:  # hostile labels, a NULL, and a third round of its own labels
        con.execute("INSERT INTO rounds SELECT 3, * EXCLUDE (round_id) FROM rounds WHERE round_id = 2")
        for table in ("roster", "round_points", "round_criteria", "round_fields", "round_tables"):
            con.execute(f"INSERT INTO {table} SELECT 3, * EXCLUDE (round_id) FROM {table} WHERE round_id = 2")
        con.execute("CREATE TEMP TABLE h AS SELECT unnest(?::VARCHAR[]) AS w, generate_subscripts(?::VARCHAR[], 1) AS i",
                    [HOSTILE, HOSTILE])
        for col in CODED_COLUMNS:
            con.execute(f"UPDATE roster SET {col} = (SELECT w FROM h WHERE i = 1 + (rank % {len(HOSTILE)})) "
                        "WHERE round_id = 3")
        want = con.execute("SELECT * FROM roster ORDER BY round_id, rank").df()
    before = everything_read(old, std)
    with Workspace(old) as ws:  # a writing open migrates
        assert ws.schema_version == SCHEMA_VERSION
        kinds = dict(ws.con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["roster"] == "VIEW" and kinds["roster_codes"] == "BASE TABLE"
        got = ws.sql("SELECT * FROM roster ORDER BY round_id, rank")
        third = read_roster(ws, 3).to_pandas()
        labels = ws.con.execute("SELECT tier FROM roster_labels WHERE round_id = 3").fetchone()[0]
    pd.testing.assert_frame_equal(got, want)
    assert third["tier"].tolist() == want.loc[want["round_id"] == 3, "tier"].tolist()
    assert sorted(labels) == sorted(w for w in HOSTILE if w is not None)  # each once; NULL no label
    same(everything_read(old, std), before)


def test_a_migration_killed_half_way_leaves_version_4_whole(stored, tmp_path, monkeypatch):
    """The move runs in the upgrade's one transaction: a failure after the text table was dropped
    (or a full disk at the commit) leaves the file at version 4, its table whole and readable."""
    path, _, std = stored
    old = as_version_4(path, tmp_path / "v4.duckdb")
    want = everything_read(old, std)
    with duckdb.connect(str(old), read_only=True) as con:
        rows = con.execute("SELECT * FROM roster ORDER BY round_id, rank").df()

    def full(*_):
        raise duckdb.IOException('IO Error: Could not write file "v4.duckdb.wal": No space left on device')

    for target, name in ((store_mod, "_ddl"), (Workspace, "_commit")):
        with monkeypatch.context() as m:
            m.setattr(target, name, full)
            with pytest.raises(WorkspaceError, match="disk is full"):
                Workspace(old)
        assert schema_version(old) == 4
        with duckdb.connect(str(old), read_only=True) as con:
            kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
            assert kinds["roster"] == "BASE TABLE" and "roster_codes" not in kinds
            pd.testing.assert_frame_equal(con.execute("SELECT * FROM roster ORDER BY round_id, rank").df(), rows)
        same(everything_read(old, std), want)


def test_a_file_of_this_version_is_refused_by_the_xuanba_of_the_version_before(stored, tmp_path, monkeypatch):
    """A file this xuanba wrote, opened by the xuanba of the schema version before: refused, and
    said in both languages (written by version number, so the next version needs no edit)."""
    from xuanba import workspace as wsmod

    path, _, _ = stored
    copy = tmp_path / "new.duckdb"
    shutil.copy(path, copy)
    assert schema_version(copy) == SCHEMA_VERSION
    monkeypatch.setattr(wsmod, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
    with pytest.raises(WorkspaceError, match=f"schema version {SCHEMA_VERSION}") as err:
        Workspace(copy, read_only=True)
    message, fix = err.value._message_fix("zh")  # a Chinese reader is told in Chinese (review33a)
    assert f"第 {SCHEMA_VERSION} 版" in message and f"第 {SCHEMA_VERSION - 1} 版" in message and "升级 xuanba" in fix


#: The roster view as schema version 5 wrote it: each row indexes its round's whole list of labels.
_V5_VIEW = ("CREATE OR REPLACE VIEW roster AS SELECT r.round_id, "
            + ", ".join(f"l.{k}[r.{k}::INTEGER + 1] AS {k}" if k in CODED_COLUMNS else f"r.{k}" for k in _ROSTER_TYPES)
            + " FROM roster_codes r JOIN roster_labels l ON l.round_id = r.round_id")


def test_a_version_5_file_gets_the_joined_view_and_reads_the_same(stored, tmp_path):
    """Opened to write, a version-5 file's ``roster`` view is replaced by the one that joins each
    code to its label; every reader gives what it gave, and no stored row changes."""
    path, _, std = stored
    old = tmp_path / "v5.duckdb"
    shutil.copy(path, old)
    with duckdb.connect(str(old)) as con:
        con.execute(_V5_VIEW)
        con.execute("UPDATE xuanba_meta SET value = '5' WHERE key = 'schema_version'")
        codes = con.execute("SELECT * FROM roster_codes").df()
        view_before = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'roster'").fetchone()[0]
    before = everything_read(old, std)
    with Workspace(old) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 7
        view_after = ws.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'roster'").fetchone()[0]
        pd.testing.assert_frame_equal(ws.sql("SELECT * FROM roster_codes"), codes)
    assert "unnest" in view_after and "unnest" not in view_before
    same(everything_read(old, std), before)


@pytest.mark.parametrize("arrow", [False, True])
def test_hostile_labels_read_back_as_they_were_stored(tmp_path, arrow):
    n = 3 * len(HOSTILE)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "rank": np.arange(1, n + 1),
                          "score": np.linspace(90, 10, n), "selected": np.arange(n) % 2 == 0})
    for j, col in enumerate(CODED_COLUMNS):
        frame[col] = pd.Series([HOSTILE[(i + j) % len(HOSTILE)] for i in range(n)], dtype=object)
    for col in ROSTER_COLUMNS:
        if col not in frame:
            frame[col] = np.nan if "score" in col or "change" in col or "gap" in col else False
    frame = frame[list(ROSTER_COLUMNS)]
    given = pa.Table.from_pandas(frame, preserve_index=False)
    if arrow:  # as a DuckDB scoring hands them over: dictionaries (here with a NULL among the words)
        given = pa.table({c: given.column(c).dictionary_encode() if c in CODED_COLUMNS else given.column(c)
                          for c in given.column_names})
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            _ddl(con)
            _insert_roster(con, 1, given)
        view = ws.sql("SELECT * EXCLUDE (round_id) FROM roster ORDER BY rank")
        read = read_roster(ws, 1).to_pylist()
        kept = read_roster(ws, 1, dictionaries=True).to_pylist()
    for col in CODED_COLUMNS:
        want = frame[col].tolist()
        assert [None if pd.isna(v) else v for v in view[col]] == want, col
        assert [r[col] for r in read] == want == [r[col] for r in kept], col


def test_more_gate_failures_than_a_smallint_names_widen_the_column(tmp_path):
    n = 2**15 + 5
    words = [f"g{i}" for i in range(n)]
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "rank": np.arange(1, n + 1)})
    for col in ROSTER_COLUMNS:
        if col not in frame:
            frame[col] = "" if col in CODED_COLUMNS else 0.0
    frame["gates_failed"] = pd.Series(words[::-1], dtype="str")
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            _ddl(con)
            _insert_roster(con, 1, frame[list(ROSTER_COLUMNS)])
        kind = ws.con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'roster_codes' "
                              "AND column_name = 'gates_failed'").fetchone()[0]
        # read through the view in 100 MB: a view that indexed the round's list of 32,773 labels in
        # every row needed rows x labels (schema version 5: out of memory here, 1 GiB at once)
        ws.con.execute("SET memory_limit = '100MB'")
        got = ws.sql("SELECT gates_failed FROM roster ORDER BY rank")["gates_failed"].tolist()
    assert kind == "INTEGER" and got == words[::-1]


def test_a_duckdb_scorings_codes_are_stored_as_they_are(tmp_path):
    """The Arrow roster a DuckDB scoring hands the saver (``on_roster``) holds its texts as
    dictionaries: their indices are the stored codes and their words the stored labels."""
    from xuanba.standard.engine import roster_labels, score_in_engine

    std = load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))
    rng = np.random.default_rng(5)
    n = 80
    fields = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(n)], "revenue_365d": rng.gamma(2, 100, n),
                           "margin_365d": rng.gamma(2, 20, n), "clv_3y": rng.gamma(2, 300, n),
                           "p_alive": rng.uniform(0, 1, n), "recency_days": rng.integers(0, 400, n).astype(float),
                           "frequency_365d": rng.integers(0, 20, n).astype(float)})
    handed = []
    score_in_engine(fields, std, on_roster=handed.append)
    (given,) = handed
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            _ddl(con)
            _insert_roster(con, 1, given)
        codes = ws.sql("SELECT * FROM roster_codes ORDER BY rank")
        labels = dict(zip(CODED_COLUMNS, ws.con.execute(f"SELECT {', '.join(CODED_COLUMNS)} FROM roster_labels")
                          .fetchone(), strict=True))
    wanted = roster_labels(std)
    for col in CODED_COLUMNS:
        arr = given.column(col).combine_chunks()
        assert codes[col].tolist() == arr.indices.to_pylist(), col
        assert labels[col] == arr.dictionary.to_pylist(), col
        if col in wanted:
            assert labels[col] == wanted[col], col


def test_an_export_of_a_round_writes_the_texts(stored, tmp_path):
    """An export (CSV) holds each text as the scoring made it."""
    from xuanba.outputs.exports import export_round

    path, rosters, _ = stored
    out = export_round(path, "latest", tmp_path / "r.csv", tables=["roster"])
    got = pd.read_csv(io.BytesIO(out[0].read_bytes()), keep_default_na=False, dtype=str)
    for col in CODED_COLUMNS:
        assert got[col].tolist() == rosters[1][col].tolist(), col


SQL_HOSTILE = "' OR 1=1 --"


def plain(frame):
    """``frame``'s rows as lists, a missing value ``None`` (whatever the column's type)."""
    return [[None if pd.isna(v) else v for v in row] for row in frame.astype(object).itertuples()]


def with_odd_labels(path, copy):
    """``path`` copied with round 2's tier labels made odd: ``B`` becomes a label that is SQL, ``A``
    a NULL label (a missing tier, as ``''``), and a label no row uses; quadrant ``''`` a NULL label."""
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE roster_labels SET tier = list_append(list_transform(tier, x -> CASE WHEN x = 'B' THEN "
                    f"'{SQL_HOSTILE.replace(chr(39), chr(39) * 2)}' WHEN x = 'A' THEN NULL ELSE x END), '<unused>'), "
                    "quadrant = list_transform(quadrant, x -> CASE WHEN x = '' THEN NULL ELSE x END) WHERE round_id = 2")
    return copy


def test_the_webs_filtered_pages_read_the_codes_not_the_view(stored, tmp_path):
    """A round not kept in memory is paged in SQL: its filters, sorts, counts and choices read
    ``roster_codes`` with the filter turned into the round's codes (the view decodes every row
    first: 17x a page of 50 at 1 M, codes33). Each page is what the view says (an independent
    query), and none reads the view: it is replaced by one that fails when read. A label that is
    SQL stays a value, one the round lacks keeps no row, a NULL label is ``''``."""
    from xuanba.web import data

    path, _, _ = stored
    odd = with_odd_labels(path, tmp_path / "odd.duckdb")
    tiers = ["A", "B", "C", "-", SQL_HOSTILE, "<unused>", "Z"]
    with Workspace(odd, read_only=True) as ws:
        quadrants = [str(q) for (q,) in ws.con.execute("SELECT DISTINCT quadrant FROM roster WHERE round_id = 2 "
                                                      "AND coalesce(quadrant, '') <> '' ORDER BY 1").fetchall()]
        assert quadrants and ws.con.execute("SELECT count(*) FROM roster WHERE round_id = 2 AND tier = ?",
                                            [SQL_HOSTILE]).fetchone()[0] > 0

        def want(tier, quadrant=None, order="rank"):  # through the view
            cond, params = "", [2]
            if tier is not None:
                cond += " AND coalesce(tier, '') = ?"
                params.append("" if tier == "-" else tier)
            if quadrant is not None:
                cond += " AND coalesce(quadrant, '') = ?"
                params.append(quadrant)
            return [int(r) for (r,) in ws.con.execute(f"SELECT rank FROM roster WHERE round_id = ?{cond} "
                                                      f"ORDER BY {order}, rank", params).fetchall()]

        expected = {"tiers": {t: want(t) for t in tiers}, "quadrants": {q: want(None, q) for q in [*quadrants, "Z"]},
                    "by tier": want(None, order="tier DESC NULLS LAST"),
                    "choices": quadrants,
                    "texts": ws.sql("SELECT rank, tier, quadrant, gates_failed, next_tier FROM roster "
                                    "WHERE round_id = 2 ORDER BY rank")}

    with duckdb.connect(str(odd)) as con:  # the view is not read by any of what follows
        con.execute("CREATE OR REPLACE VIEW roster AS SELECT * FROM roster_codes WHERE error('the view was read')")
    with Workspace(odd, read_only=True) as ws:
        texts = expected["texts"].set_index("rank")
        for tier, ranks in expected["tiers"].items():
            page = data.roster_page(ws, 2, tier=tier, per_page=200)
            assert [r["rank"] for r in page["rows"]] == ranks and page["total"] == len(ranks), tier
            for r in page["rows"]:
                assert [r["tier"], r["quadrant"], r["next_tier"]] == plain(
                    texts.loc[[r["rank"]], ["tier", "quadrant", "next_tier"]])[0][1:], tier
            rows = data.roster_rows(ws, 2, tier=tier)
            assert rows["rank"].tolist() == ranks, tier
            got = rows.set_index("rank")[["tier", "quadrant", "gates_failed", "next_tier"]]
            assert plain(got) == plain(texts.loc[ranks]), tier
        assert expected["tiers"]["<unused>"] == expected["tiers"]["Z"] == []
        for quadrant, ranks in expected["quadrants"].items():
            page = data.roster_page(ws, 2, filters={"quadrant": quadrant}, per_page=200)
            assert [r["rank"] for r in page["rows"]] == ranks, quadrant
        page = data.roster_page(ws, 2, sort="tier", desc=True, per_page=200)
        assert [r["rank"] for r in page["rows"]] == expected["by tier"]
        assert data.choices(ws, 2)["quadrants"] == expected["choices"]


@pytest.mark.parametrize("rows", [4, 0])
def test_a_hand_made_roster_reads_back_typed_as_duckdb_typed_it(tmp_path, rows):
    """``load_round`` builds its roster from Arrow (``read_roster``, ``roster_frame``): a roster saved by
    hand with a missing boolean, a column of texts all missing, or no row at all comes back
    typed as DuckDB's ``.df()`` of the same rows types it (what ``load_round`` gave before
    codes33: nullable booleans, texts of objects ``None``)."""
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(4)], "rank": np.arange(1, 5),
                          "score": [1.0, np.nan, 3.0, 4.0],
                          "selected": pd.Series([True, None, False, True], dtype=object)})
    for col in ROSTER_COLUMNS:
        if col not in frame:
            frame[col] = pd.Series([None] * 4, dtype=object)
    frame["tier"] = ["A", None, "", "A"]
    frame = frame[list(ROSTER_COLUMNS)].head(rows)
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            _ddl(con)
            _insert_roster(con, 1, frame)
        want = ws.sql(f"SELECT {', '.join(ROSTER_COLUMNS)} FROM roster WHERE round_id = 1 ORDER BY rank")
        got = store_mod.roster_frame(read_roster(ws, 1))
    assert got.dtypes.to_dict() == want.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, want)


def test_a_version_4_roster_of_more_labels_than_a_smallint_names_is_moved_widened(tmp_path):
    """A version-4 text table whose gate failures number more than a SMALLINT names is moved with
    that column widened, every row's text the same (the codes found by a join on the labels: a
    search of the list per row took minutes at 100,000 rows, review33a)."""
    n = 2**15 + 5
    words = [f"g{i}" for i in range(n)]
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "rank": np.arange(1, n + 1)})
    for col in ROSTER_COLUMNS:
        if col not in frame:
            frame[col] = "" if col in CODED_COLUMNS else 0.0
    frame["gates_failed"] = pd.Series(words[::-1], dtype="str")
    frame.loc[7, "gates_failed"] = None
    frame.loc[8, "tier"] = None
    new = tmp_path / "w.duckdb"
    with Workspace(new) as ws, ws.transaction() as con:
        _ddl(con)
        _insert_roster(con, 1, frame[list(ROSTER_COLUMNS)])
    old = as_version_4(new, tmp_path / "v4.duckdb")
    with duckdb.connect(str(old), read_only=True) as con:
        want = con.execute("SELECT * FROM roster ORDER BY rank").df()
    with Workspace(old) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        kind = ws.con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'roster_codes' "
                              "AND column_name = 'gates_failed'").fetchone()[0]
        got = ws.sql("SELECT * FROM roster ORDER BY rank")
        labels = ws.con.execute("SELECT gates_failed FROM roster_labels").fetchone()[0]
    assert kind == "INTEGER" and len(labels) == n - 1
    pd.testing.assert_frame_equal(got, want)
    assert got["gates_failed"].isna().sum() == 1 and got["tier"].isna().sum() == 1


def _one_round_of_many_gate_labels(path, rows=1000, labels=2**15 + 5):
    """A workspace of one round of ``rows`` customers whose ``gates_failed`` codes name ``labels``
    distinct labels (an Arrow dictionary, as a DuckDB scoring hands them over), with its head."""
    words = pa.array([f"gate {i}" for i in range(labels)])
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(rows)], "rank": np.arange(1, rows + 1)})
    for col in ROSTER_COLUMNS:
        if col not in frame:
            frame[col] = "" if col in CODED_COLUMNS else 0.5
    frame["selected"] = frame["left_out_by_capacity"] = frame["rank"] % 3 == 0
    frame["tier"] = np.where(frame["rank"] % 3 == 0, "A", "")
    given = pa.Table.from_pandas(frame[list(ROSTER_COLUMNS)], preserve_index=False)
    codes = pa.array((np.arange(rows) * 31) % labels, pa.int32())
    given = given.set_column(given.schema.get_field_index("gates_failed"), "gates_failed",
                             pa.DictionaryArray.from_arrays(codes, words))
    ws = Workspace(path)
    with ws.transaction() as con:
        _ddl(con)
        _insert_roster(con, 1, given)
        con.execute("INSERT INTO rounds (round_id, cutoff, n_customers, meta_json) VALUES (1, DATE '2026-01-01', ?, '{}')",
                    [rows])
    return ws


def test_the_webs_whole_export_decodes_many_labels_in_little_memory(tmp_path):
    """The web's export (``roster_rows``) of 1,000 rows whose gate failures name 32,773 labels, in
    100 MB: decoded by the round's labels once each, as the view reads them. Decoding in SQL by
    indexing the round's list of labels per row (version 5's way, which the export kept) needed
    rows x labels: out of memory here."""
    from xuanba.web import data

    with _one_round_of_many_gate_labels(tmp_path / "w.duckdb") as ws:
        want = ws.sql("SELECT rank, customer_id, tier, score, selected, quadrant, value_score, potential_score, "
                      "gates_failed, next_tier, gap_to_next, left_out_by_capacity FROM roster ORDER BY rank")
        ws.con.execute("SET memory_limit = '100MB'")
        got = data.roster_rows(ws, 1)
        got_a = data.roster_rows(ws, 1, tier="A")
    assert want["gates_failed"].nunique() == 1000
    pd.testing.assert_frame_equal(got.drop(columns=["name", "owner"]), want)
    pd.testing.assert_frame_equal(got_a.drop(columns=["name", "owner"]),
                                  want[want["tier"] == "A"].reset_index(drop=True))


def test_readers_of_few_texts_do_not_read_the_roster_view(stored, tmp_path, monkeypatch):
    """The contributions (the view and ``read_contributions``), a customer's standing, detail and
    history over rounds (the web, not kept in memory), what-if and an export's note read the codes
    table and join only the labels of the texts they show: the ``roster`` view's six joins cost
    them (DuckDB keeps a LEFT JOIN nothing reads: a whole read of the contributions 1.3x, a
    customer's history over 30 rounds of 40,000 labels 28x, web35). Each reads what it read
    through the view, which is then replaced by one that fails when read."""
    from xuanba.outputs.exports import export_note
    from xuanba.rounds.whatif import whatif
    from xuanba.web import data

    path, rosters, std = stored
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    monkeypatch.setattr(data, "KEEP", False)  # the web reads rounds in SQL, as it does those not kept
    ids = rosters[1]["customer_id"].tolist()[::7]

    def read():
        out = {}
        with Workspace(copy, read_only=True) as ws:
            out["view"] = ws.sql("SELECT * FROM contributions ORDER BY ALL")
            for rid in (1, 2):
                out[f"load {rid}"] = load_round(ws, rid, fields=False).contributions
                out[f"standing {rid}"] = [customer_standing(ws, rid, c) for c in ids]
            out["web"] = [data.customer(ws, 2, c) for c in ids]
            out["web compared"] = data.compare(ws, 1, 2, owner="nobody")
        out["note"] = export_note(copy, "latest")
        w = whatif(copy, std, 1)
        out["whatif"] = (w.summary, w.tiers, w.movers, w.round_roster)
        return out

    before = read()
    assert any(len(c["history"]) == 2 for c in before["web"])
    with duckdb.connect(str(copy)) as con:
        con.execute("CREATE OR REPLACE VIEW roster AS SELECT * FROM roster_codes WHERE error('the view was read')")
    same(read(), before)


def _labels_unkeyed(con) -> None:  # noqa: ANN001
    """``roster_labels`` as schema versions 5 and 6 made it: no key on the round."""
    con.execute("CREATE TABLE labels_unkeyed AS SELECT * FROM roster_labels")
    con.execute("DROP TABLE roster_labels")
    con.execute("ALTER TABLE labels_unkeyed RENAME TO roster_labels")


def _as_version_6(new, old, contributions_sql: str = _VIEW_SELECT_TEXTS):  # noqa: ANN001, ANN202
    """``new`` as a file of schema version 6 before web35: labels without a key and the
    ``contributions`` view reading ids through the decoding ``roster`` view."""
    shutil.copy(new, old)
    with duckdb.connect(str(old)) as con:
        _labels_unkeyed(con)
        con.execute(f"CREATE OR REPLACE VIEW contributions AS {contributions_sql}")
        con.execute("UPDATE xuanba_meta SET value = '6' WHERE key = 'schema_version'")
    return old


def _view_sql(con, name: str) -> str:  # noqa: ANN001
    return con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]


def test_a_version_6_file_gets_this_versions_contributions_view_and_reads_the_same(stored, tmp_path):
    """A file of schema version 6 written before web35 keeps the ``contributions`` view that reads
    ids through the decoding ``roster`` view (the same rows, slower): opened to write, it carries
    the view of ids from ``roster_codes`` and a key on its labels, and reads the same contributions,
    row for row. 3ae5fe9 left such a file at version 6 with its old view (no version to move to)."""
    path, _, _ = stored
    old = _as_version_6(path, tmp_path / "v6.duckdb")
    query = "SELECT * FROM contributions ORDER BY round_id, customer_id, criterion"
    with duckdb.connect(str(old), read_only=True) as con:
        before = con.execute(query).df()
        assert " roster " in _view_sql(con, "contributions") and " roster_codes " not in _view_sql(con, "contributions")
    assert len(before) > 0
    with Workspace(old) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 7
        after = ws.con.execute(query).df()
        view = _view_sql(ws.con, "contributions")
        assert " roster_codes " in view and " roster " not in view
        assert ws.con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'roster_labels' "
                              "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 1
    pd.testing.assert_frame_equal(after, before)


def test_a_second_row_of_labels_for_a_round_cannot_be_written(stored, tmp_path):
    """Labels keyed by round (schema version 7): the damage every SQL reader joining the labels
    would read twice (the ``roster`` view, the web's sorts and filters by a text) cannot be made,
    in a new file or in one moved from version 6; a version-6 file that holds it is refused by
    the move, in English and Chinese, with nothing changed. 3ae5fe9 wrote the second row."""
    path, _, _ = stored
    moved = _as_version_6(path, tmp_path / "moved.duckdb")
    Workspace(moved).close()
    for file in (path, moved):
        copy = tmp_path / "copy.duckdb"
        shutil.copy(file, copy)
        with duckdb.connect(str(copy)) as con, pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO roster_labels SELECT * FROM roster_labels WHERE round_id = 2")
    damaged = _as_version_6(path, tmp_path / "damaged.duckdb")
    with duckdb.connect(str(damaged)) as con:
        con.execute("INSERT INTO roster_labels SELECT * FROM roster_labels WHERE round_id = 2")
    with pytest.raises(WorkspaceError, match="round 2") as err:
        Workspace(damaged).close()
    message, fix = err.value._message_fix("zh")
    assert "第 2 轮" in message and "roster_labels" in message and "恢复" in fix
    with duckdb.connect(str(damaged), read_only=True) as con:
        assert con.execute("SELECT value FROM xuanba_meta WHERE key = 'schema_version'").fetchone() == ("6",)
        assert " roster_codes " not in _view_sql(con, "contributions")


def test_a_round_with_two_rows_of_labels_is_refused_not_read_twice(stored, tmp_path):
    """A damaged file whose round holds two rows of ``roster_labels`` (xuanba writes one) would read
    every roster row of that round 2**6 times through the view: the move to schema version 6 is
    refused with nothing changed, and the reader of the labels refuses such a round, in English and
    Chinese."""
    from xuanba.web import data

    path, _, _ = stored
    old = tmp_path / "v5.duckdb"
    shutil.copy(path, old)
    with duckdb.connect(str(old)) as con:
        _labels_unkeyed(con)
        con.execute(_V5_VIEW)
        con.execute("UPDATE xuanba_meta SET value = '5' WHERE key = 'schema_version'")
        con.execute("INSERT INTO roster_labels SELECT * FROM roster_labels WHERE round_id = 2")
    with pytest.raises(WorkspaceError, match="round 2") as err:
        Workspace(old).close()
    message, fix = err.value._message_fix("zh")
    assert "第 2 轮" in message and "roster_labels" in message and "恢复" in fix
    with duckdb.connect(str(old), read_only=True) as con:
        assert con.execute("SELECT value FROM xuanba_meta WHERE key = 'schema_version'").fetchone() == ("5",)

    damaged = tmp_path / "v6.duckdb"
    shutil.copy(path, damaged)
    with duckdb.connect(str(damaged)) as con:
        _labels_unkeyed(con)
        con.execute("UPDATE xuanba_meta SET value = '6' WHERE key = 'schema_version'")
        con.execute("INSERT INTO roster_labels SELECT * FROM roster_labels WHERE round_id = 2")
    with Workspace(damaged, read_only=True) as ws:  # read as it is: not upgraded
        assert len(read_roster(ws, 1)) == ws.con.execute("SELECT count(*) FROM roster_codes WHERE round_id = 1").fetchone()[0]
        for reader in (lambda: read_roster(ws, 2), lambda: data.roster_rows(ws, 2)):
            with pytest.raises(WorkspaceError, match="more than one row of labels"):
                reader()


@pytest.mark.parametrize("damage", ["DELETE FROM roster_labels WHERE round_id = 2",
                                    "UPDATE roster_codes SET tier = CASE WHEN rank % 3 = 0 THEN -2 ELSE 99 END, "
                                    "quadrant = -1 WHERE round_id = 2 AND rank % 2 = 0"])
def test_codes_no_label_names_read_null_as_the_view_reads_them(stored, tmp_path, monkeypatch, damage):
    """A round without its row of labels, or codes its labels lack (a file changed by hand, negative
    or past the end): the ``roster`` view reads those texts NULL, and so do the other decoders,
    the Arrow one (``read_roster``, the web's export) and the web's page and customer detail, not
    an error or a label from the list's end (a negative index in Python); the web's filter on an
    empty tier keeps the rows the view reads with no tier."""
    from xuanba.web import data

    def texts(values):
        return [None if pd.isna(v) else v for v in values]

    path, _, _ = stored
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(damage)
    monkeypatch.setattr(data, "KEEP", False)
    with Workspace(copy, read_only=True) as ws:
        view = ws.sql("SELECT * FROM roster WHERE round_id = 2 ORDER BY rank")
        assert view["tier"].isna().sum() >= len(view) // 2
        pd.testing.assert_frame_equal(store_mod.roster_frame(read_roster(ws, 2)), view.drop(columns="round_id"))
        rows = data.roster_rows(ws, 2)
        for col in ("tier", "quadrant", "gates_failed", "next_tier"):
            assert rows[col].tolist() == view[col].tolist(), col
        page = data.roster_page(ws, 2, per_page=100)
        assert texts(r["tier"] for r in page["rows"]) == texts(view["tier"])
        assert data.roster_page(ws, 2, tier="-", per_page=100)["total"] == int((view["tier"].fillna("") == "").sum())
        for cid in view["customer_id"].head(6):
            detail = data.customer(ws, 2, cid)["detail"]
            want = view.loc[view["customer_id"] == cid].iloc[0]
            assert texts([detail["quadrant"], detail["next_tier"]]) == texts([want["quadrant"], want["next_tier"]]), cid
