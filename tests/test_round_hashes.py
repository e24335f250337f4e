"""A round's hashes (data_sha256, roster_sha256) keep their definition while computed faster:
every row's hash is pandas' ``hash_pandas_object(frame, index=False)``, checked here against
pandas itself on the data that misbehave (missing text, unicode, empty strings, mixed types)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from xuanba import Workspace
from xuanba.rounds import run_round
from xuanba.rounds.fairness import verify_round
from xuanba.rounds.run import column_hashes, row_hashes, table_sha256
from xuanba.standard import load_standard, starter_standard


def _pandas_sha(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _awkward(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"客户{i:05d}" if i % 7 else f"C{i}" for i in range(n)]
    ids[1:3] = ["", "é"][: max(n - 1, 0)]
    with_gaps = pd.Series(ids, dtype="str")
    with_gaps[rng.choice(n, n // 10, replace=False)] = None
    labels = pd.Series(rng.choice(["A", "B", "", "高"], n), dtype="str")
    labels[rng.choice(n, n // 5, replace=False)] = None
    mixed = pd.Series([1, "x", 2.5, None] * (n // 4) + [None] * (n % 4), dtype=object)
    x = rng.normal(size=n)
    x[::11] = np.nan
    return pd.DataFrame({
        "customer_id": pd.Series(ids, dtype="str"), "gappy_ids": with_gaps, "tier": labels, "mixed": mixed,
        "x": x, "k": rng.integers(-5, 5, n), "flag": rng.uniform(size=n) > 0.5,
        "when": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        "python_str": pd.Series(ids, dtype=pd.StringDtype("python")),
    })


@pytest.mark.parametrize("n", [0, 5, 1500, 5000])
def test_row_hashes_are_pandas_hash_pandas_object(n):
    frame = _awkward(n)
    want = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    assert np.array_equal(row_hashes(frame), want)
    for col in frame.columns:
        assert np.array_equal(column_hashes(frame[col]), pd.util.hash_pandas_object(frame[col], index=False).to_numpy()), col
    assert table_sha256(frame) == _pandas_sha(frame)
    assert table_sha256(frame[[]]) == _pandas_sha(frame[[]])  # no columns: every row an empty tuple


def test_known_column_hashes_give_the_same_sha_and_wrong_ones_do_not():
    frame = _awkward(3000)
    ids = column_hashes(frame["customer_id"])
    assert table_sha256(frame, {"customer_id": ids}) == _pandas_sha(frame)
    assert table_sha256(frame, {"customer_id": ids[::-1].copy()}) != _pandas_sha(frame)


def test_a_stored_round_hashes_its_inputs_and_roster_as_pandas_does(tmp_path):
    """Over 1,500 customers (the ids hashed value by value, once, and reordered for the roster),
    the stored hashes equal pandas' own over the round's inputs and roster, and the round verifies."""
    rng = np.random.default_rng(8)
    n = 1500
    cust = np.repeat(np.arange(n), rng.integers(1, 5, n))
    tx = pd.DataFrame({"customer_id": [f"K{c:05d}" for c in cust],
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, len(cust)), unit="D"),
                       "amount": rng.gamma(2.0, 50.0, len(cust)).round(2),
                       "cost": rng.gamma(2.0, 20.0, len(cust)).round(2)})
    ids = sorted(set(tx["customer_id"]))
    preds = pd.DataFrame({"customer_id": ids, "p_alive": rng.uniform(0, 1, n).round(3),
                          "clv_3y": rng.gamma(2, 100, n).round(2)})
    std = load_standard(starter_standard("en"))
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            con.register("_tx", tx)
            con.execute("CREATE TABLE transactions AS SELECT * FROM _tx")
            con.unregister("_tx")
        rnd = run_round(ws, std, "2026-06-30", predictions=preds)
        assert rnd.meta["roster_sha256"] == _pandas_sha(rnd.roster)
        used = sorted(f for f in std.fields_used() if f != "customer_id")
        assert rnd.meta["data_sha256"] == _pandas_sha(rnd.fields[["customer_id", *used]])
        assert verify_round(ws, rnd.round_id)["verified"]


def test_contributions_stored_from_their_parts_are_the_long_table_row_for_row(tmp_path):
    """A round stores its contributions from their parts (keyed by rank, a list per customer): read
    back, in rank order, they equal the long table row for row, missing raw values (NULL)
    included, and so do those of the long table itself stored (its rows in any order), and the
    ``contributions`` view; the table is made only when read."""
    from xuanba.rounds.store import (
        _ddl,
        _insert_parts,
        _insert_roster,
        _parts_of_long,
        read_contributions,
    )
    from xuanba.standard.score import (
        CONTRIBUTION_COLUMNS,
        ROSTER_COLUMNS,
        contribution_parts,
        score_customers,
    )

    std = load_standard('[standard]\nname = "p"\nversion = "1"\n'
                        '[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\nweight = 0.7\nmissing = "zero"\n'
                        '[[criteria]]\nname = "alive"\nfield = "p_alive"\nweight = 0.3\n'
                        '[[tiers]]\nname = "A"\nquota = 3\n')
    rng = np.random.default_rng(2)
    rev = rng.gamma(2.0, 10.0, 40)
    rev[::6] = np.nan
    fields = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(40)], "revenue_365d": rev,
                           "p_alive": rng.uniform(0, 1, 40)})
    scored = score_customers(fields, std)
    parts = contribution_parts(scored)
    assert parts is not None
    roster = scored.roster[list(ROSTER_COLUMNS)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            _ddl(con)
            for r in (1, 2):
                _insert_roster(con, r, roster)
            _insert_parts(con, 1, parts, roster["rank"].to_numpy())  # from the parts
            long = parts.frame()[list(CONTRIBUTION_COLUMNS)]  # from the long table, rows shuffled
            _insert_parts(con, 2, _parts_of_long(long.sample(frac=1.0, random_state=3), roster["customer_id"]),
                          roster["rank"].to_numpy())
        a, b = (read_contributions(ws, r) for r in (1, 2))
        view = ws.sql("SELECT * EXCLUDE (round_id) FROM contributions WHERE round_id = 1")
    pd.testing.assert_frame_equal(a, long.astype({"customer_id": object, "criterion": object}), check_dtype=False)
    def by_cell(frame):
        return frame.sort_values(["customer_id", "criterion"], ignore_index=True)

    pd.testing.assert_frame_equal(by_cell(view), by_cell(a))
    pd.testing.assert_frame_equal(by_cell(b), by_cell(a))  # its criteria in the order the rows named them
    assert len(a) == 80 and a["raw"].isna().sum() == 7 and set(a["criterion"]) == {"revenue", "alive"}
    assert contribution_parts(scored) is parts  # not made yet
    assert len(scored.contributions) == 80 and contribution_parts(scored) is None  # made once read


def test_text_ids_hashed_a_chunk_at_a_time_are_pandas_hashes(monkeypatch):
    """Mostly distinct text ids are hashed TEXT_HASH_BATCH at a time (no ten million Python strings at
    once): the hashes are pandas' on chunk edges, missing ids and unicode too."""
    import xuanba.rounds.run as run

    monkeypatch.setattr(run, "TEXT_HASH_BATCH", 1000)
    rng = np.random.default_rng(5)
    ids = [None if rng.uniform() < 0.01 else f"c{rng.integers(0, 10**9)}客" for _ in range(4321)]
    col = pd.Series(ids, dtype="str")
    assert np.array_equal(column_hashes(col), pd.util.hash_pandas_object(col, index=False).to_numpy())


def test_one_time_buyers_counts_and_p_alive_as_the_rows_of_frequency_zero_give_them():
    from xuanba.rounds.run import one_time_buyers

    rng = np.random.default_rng(6)
    f = pd.DataFrame({"frequency": rng.integers(0, 3, 500), "p_alive": rng.uniform(0, 1, 500)})
    f.loc[rng.integers(0, 500, 40), "p_alive"] = np.nan
    once = f.loc[f["frequency"] == 0, "p_alive"].dropna()
    got = one_time_buyers(f)
    assert got["customers"] == int((f["frequency"] == 0).sum())
    assert got["mean_p_alive"] == round(float(once.mean()), 6) and got["surely_active"] == int((once >= 0.999).sum())
    assert got["min_p_alive"] == round(float(once.min()), 6) and got["max_p_alive"] == round(float(once.max()), 6)


def test_positions_in_is_the_first_row_holding_each_id_or_none():
    """The lookup an engine-scored round makes once for its roster's hash and summary: the row of
    each id (the first of two equal ones), checked against a dictionary on unicode, empty and
    quoted ids; an id not there, or ids that are not text, give ``None``."""
    from xuanba.rounds.run import positions_in

    rng = np.random.default_rng(11)
    among = [f"客{i}" if i % 3 else f"'c {i}\"" for i in range(3000)] + ["", "é", "c 7"]
    among += [among[5], among[100]]  # held twice: the first row is the one
    first: dict[str, int] = {}
    for i, x in enumerate(among):
        first.setdefault(x, i)
    ids = [among[i] for i in rng.integers(0, len(among), 5000)]
    got = positions_in(pd.Series(ids, dtype="str"), pd.Series(among, dtype="str"))
    assert got is not None and got.dtype == np.int64
    assert got.tolist() == [first[x] for x in ids]
    assert positions_in(pd.Series([*ids[:10], "nowhere"], dtype="str"), pd.Series(among, dtype="str")) is None
    assert positions_in(pd.Series([1, 2]), pd.Series([2, 1])) is None
    assert positions_in(pd.Series([], dtype="str"), pd.Series(among, dtype="str")).tolist() == []


def test_an_engine_scored_round_hashes_and_summarises_its_roster_as_before(tmp_path, monkeypatch):
    """A round scored on DuckDB gets its roster back by rank with each row's place in the fields (the
    fields come sorted by id: the engine carries their row numbers, rows_by_id), so the round looks
    no id up for the roster's hash and its summary; fields that do not come sorted are looked up once
    (positions_in). Both ways the hash and the summary equal what they were computed as before
    (pandas' hash of the roster itself; the summary looking each id up on its own) on a base with
    tied customers, missing predictions and awkward ids, and the stored round verifies."""
    import xuanba.rounds.run as run
    import xuanba.standard.engine as engine
    from xuanba.rounds.summary import round_summary, tier_order

    calls = []
    real = run.positions_in

    def spy(ids, among):
        calls.append(len(ids))
        return real(ids, among)

    monkeypatch.setattr(run, "positions_in", spy)
    rng = np.random.default_rng(12)
    n = 600
    names = [f"客户 {i:03d}" if i % 5 else f"o'neil \"{i}\"" for i in range(n)]
    cust = np.repeat(np.arange(n), np.where(np.arange(n) % 4 == 0, 2, rng.integers(1, 5, n)))
    days = rng.integers(0, 540, len(cust))
    amount = rng.gamma(2.0, 50.0, len(cust)).round(2)
    tied = np.arange(n) % 4 == 0  # a quarter of the customers: two purchases, same days, same amounts
    days[np.isin(cust, np.flatnonzero(tied))] = np.tile([100, 400], int(tied.sum()))
    amount[np.isin(cust, np.flatnonzero(tied))] = 25.0
    tx = pd.DataFrame({"customer_id": [names[c] for c in cust],
                       "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D"),
                       "amount": amount, "cost": (amount * 0.4).round(2)})
    ids = sorted(set(tx["customer_id"]))
    p_alive = rng.choice([0.2, 0.5, 0.9], n)
    p_alive[::7] = np.nan
    preds = pd.DataFrame({"customer_id": ids, "p_alive": p_alive, "clv_3y": rng.choice([10.0, 50.0, np.nan], n)})
    std = load_standard(starter_standard("en"))
    with Workspace(tmp_path / "w.duckdb") as ws:
        with ws.transaction() as con:
            con.register("_tx", tx)
            con.execute("CREATE TABLE transactions AS SELECT * FROM _tx")
            con.unregister("_tx")
        for carried in (True, False):
            calls.clear()
            if not carried:  # as fields that did not come sorted by id: no row numbers from the engine
                monkeypatch.setattr(engine, "rows_by_id", lambda arrow, _id: (arrow, None))
            rnd = run_round(ws, std, "2026-06-30", predictions=preds, scoring_engine="duckdb")
            assert calls == ([] if carried else [n])  # looked up once, for the hash and the summary both
            assert rnd.roster["score"].duplicated().any()  # ties were ranked
            assert rnd.meta["roster_sha256"] == _pandas_sha(rnd.roster)
            order, _ = tier_order(std, rnd.roster)
            assert rnd.meta["summary"] == {**round_summary(rnd.roster, rnd.fields, order[:-1]),
                                           "one_time_buyers": rnd.meta["summary"]["one_time_buyers"]}
            assert verify_round(ws, rnd.round_id)["verified"]
