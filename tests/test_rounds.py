"""Rounds: run, determinism, append-only atomic storage (killed process), diff, replay (issue 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from xuanba import Workspace
from xuanba.errors import DataError, WorkspaceError
from xuanba.rounds import (
    compare_rosters,
    diff_rounds,
    list_rounds,
    load_round,
    replay_cutoffs,
    replay_rounds,
    roster_bytes,
    run_round,
)
from xuanba.rounds.store import PAUSE_ENV
from xuanba.standard import ROSTER_COLUMNS, load_standard, starter_standard
from xuanba.tables import write_table

CUTOFF = "2026-06-30"


def make_transactions(seed: int = 5, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2025-01-01")
    for k in range(n):
        for _ in range(int(rng.integers(1, 12))):
            rows.append((f"C{k:03d}", start + pd.Timedelta(days=int(rng.integers(0, 540))),
                         round(float(rng.gamma(2, 40 + 5 * (k % 7))), 2), round(float(rng.uniform(0, 50)), 2)))
    return pd.DataFrame(rows, columns=["customer_id", "ts", "amount", "cost"])


def predictions_for(ids: pd.Series, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = pd.Series(sorted(ids.unique()))
    return pd.DataFrame({"customer_id": ids, "p_alive": rng.uniform(0, 1, len(ids)).round(3),
                         "clv_3y": rng.gamma(2, 100, len(ids)).round(2)})


def store_tx(path, tx: pd.DataFrame) -> None:
    with Workspace(path) as ws, ws.transaction() as con:
        con.register("_tx", tx)
        con.execute("CREATE OR REPLACE TABLE transactions AS SELECT * FROM _tx")
        con.unregister("_tx")


@pytest.fixture()
def tx() -> pd.DataFrame:
    return make_transactions()


@pytest.fixture()
def ws_path(tmp_path, tx):
    path = tmp_path / "w.duckdb"
    store_tx(path, tx)
    return path


@pytest.fixture()
def standard():
    return load_standard(starter_standard("en").replace("max_accounts = 500", "max_accounts = 12"))


def test_round_roster_has_the_documented_columns_sorted_by_rank(ws_path, tx, standard):
    rnd = run_round(ws_path, standard, CUTOFF, predictions=predictions_for(tx.customer_id))
    r = rnd.roster
    crit = [c.name for c in standard.criteria]
    assert list(r.columns) == [*ROSTER_COLUMNS, *crit]
    assert r["rank"].tolist() == list(range(1, len(r) + 1))
    assert r["score"].is_monotonic_decreasing and r["score"].between(0, 100).all()
    assert rnd.round_id == 1 and rnd.meta["n_customers"] == tx.customer_id.nunique() == len(r)
    assert rnd.meta["n_selected"] == int(r["selected"].sum()) <= 12
    assert set(r.loc[r["selected"], "tier"]) <= {"A", "B", "C"} and (r.loc[~r["selected"], "tier"] == "").all()
    assert set(r["quadrant"]) <= {"stars", "at_risk", "rising", "others"}
    for key in ("cutoff", "created_at", "standard_name", "standard_version", "standard_sha256", "data_sha256",
                "n_customers", "n_selected", "time_unit", "currency"):
        assert key in rnd.meta
    assert rnd.meta["standard_sha256"] == standard.sha256 and rnd.meta["predictions"] == "given"
    # contributions: one row per customer and criterion, in roster order, summing to the score
    c = rnd.contributions
    assert len(c) == len(r) * len(crit) and c["customer_id"].iloc[:: len(crit)].tolist() == r["customer_id"].tolist()
    np.testing.assert_allclose(c.groupby("customer_id", sort=False)["contribution"].sum().to_numpy(), r["score"], atol=1e-5)
    # raw values are the facts at the cutoff
    facts_rev = tx.loc[tx.ts > pd.Timestamp(CUTOFF) - pd.Timedelta(days=365)].groupby("customer_id")["amount"].sum()
    got = r.set_index("customer_id")["revenue"]
    np.testing.assert_allclose(got.reindex(facts_rev.index), facts_rev, atol=1e-6)


def test_same_data_and_standard_give_a_byte_identical_roster(tmp_path, ws_path, tx, standard):
    preds = predictions_for(tx.customer_id)
    a = run_round(ws_path, standard, CUTOFF, predictions=preds, store=False)
    b = run_round(ws_path, standard, CUTOFF, predictions=preds, store=False)
    other = tmp_path / "shuffled.duckdb"  # the same rows in another order, predictions too
    store_tx(other, tx.sample(frac=1.0, random_state=3).reset_index(drop=True))
    c = run_round(other, standard, CUTOFF, predictions=preds.sample(frac=1.0, random_state=4), store=False)
    assert roster_bytes(a.roster) == roster_bytes(b.roster) == roster_bytes(c.roster)
    assert a.meta["data_sha256"] == c.meta["data_sha256"] and a.meta["roster_sha256"] == c.meta["roster_sha256"]
    pa, pc = write_table(a.roster, tmp_path / "a.parquet"), write_table(c.roster, tmp_path / "c.parquet")
    assert pa.read_bytes() == pc.read_bytes()
    # other data or another standard: other hashes
    d = run_round(ws_path, standard, "2026-05-31", predictions=preds, store=False)
    assert d.meta["data_sha256"] != a.meta["data_sha256"]
    e = run_round(ws_path, load_standard(standard.text + "\n# v2\n"), CUTOFF, predictions=preds, store=False)
    assert e.meta["standard_sha256"] != a.meta["standard_sha256"]


def test_stored_round_reopens_identically_with_its_standard_text(ws_path, tx, standard):
    preds = predictions_for(tx.customer_id)
    rnd = run_round(ws_path, standard, CUTOFF, predictions=preds)
    back = load_round(ws_path, rnd.round_id)
    pd.testing.assert_frame_equal(back.roster, rnd.roster)
    pd.testing.assert_frame_equal(back.contributions, rnd.contributions)
    assert back.standard.text == standard.text and back.meta == rnd.meta
    assert roster_bytes(back.roster) == roster_bytes(rnd.roster)
    assert load_round(ws_path, "latest").round_id == rnd.round_id


def test_rounds_are_appended_and_earlier_rounds_never_change(ws_path, tx, standard):
    first = run_round(ws_path, standard, "2026-03-31", predictions=predictions_for(tx.customer_id))
    second = run_round(ws_path, standard, CUTOFF, predictions=predictions_for(tx.customer_id, seed=2), name="June")
    listed = list_rounds(ws_path)
    assert listed["round_id"].tolist() == [1, 2] and listed["name"].tolist()[1] == "June"
    assert listed["cutoff"].astype(str).tolist() == ["2026-03-31", CUTOFF]
    pd.testing.assert_frame_equal(load_round(ws_path, 1).roster, first.roster)
    assert second.round_id == 2


SCRIPT = textwrap.dedent("""
    import sys
    import pandas as pd
    from xuanba.rounds import run_round
    run_round(sys.argv[1], sys.argv[2], sys.argv[3], predictions=pd.read_parquet(sys.argv[4]))
""")


@pytest.mark.parametrize("stage", ["rounds", "roster", "criteria", "contributions", "fields"])
def test_a_round_killed_half_way_leaves_no_partial_round(tmp_path, ws_path, tx, standard, stage):
    preds = predictions_for(tx.customer_id)
    first = run_round(ws_path, standard, "2026-03-31", predictions=preds)
    std_path = tmp_path / "s.toml"
    std_path.write_text(standard.text, encoding="utf-8")
    preds.to_parquet(tmp_path / "p.parquet")
    env = {**os.environ, PAUSE_ENV: stage}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(ws_path), str(std_path), CUTOFF, str(tmp_path / "p.parquet")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path, text=True,
    )
    try:
        line = proc.stdout.readline()  # blocks until the child is inside the transaction
        assert line.strip() == "PAUSED", proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with Workspace(ws_path, create=False) as ws:
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM roster")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM contributions")["round_id"].tolist() == [1]
        for table in ("round_criteria", "round_points"):  # killed between the two: neither holds round 2
            assert ws.sql(f"SELECT DISTINCT round_id FROM {table}")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM round_fields")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM round_tables")["round_id"].tolist() in ([], [1])
        pd.testing.assert_frame_equal(load_round(ws, 1).roster, first.roster)
        # and the workspace still works: the next round gets id 2
        assert run_round(ws, standard, CUTOFF, predictions=preds).round_id == 2


def test_a_round_whose_scoring_fails_while_its_fields_are_stored_leaves_nothing(ws_path, tx, standard, monkeypatch):
    """The fields are appended in a thread while the round is scored, inside the round's
    transaction: when scoring fails meanwhile, the error reaches the caller once the thread is
    done, and nothing of the round is left (its fields included); the next round gets the next id."""
    import threading

    from xuanba.rounds import run as run_mod

    preds = predictions_for(tx.customer_id)
    first = run_round(ws_path, standard, "2026-03-31", predictions=preds)
    inserting = threading.Event()
    from xuanba.rounds import store as store_mod

    real = store_mod._insert_fields

    def slow_insert(con, round_id, fields, *rest):
        inserting.set()
        real(con, round_id, fields, *rest)

    def failing(engine):
        def score(table, std, **_):  # on_roster: the early roster, never reached
            assert inserting.wait(10)  # the fields are being appended while this fails
            raise ArithmeticError("scoring failed half-way")
        return score

    monkeypatch.setattr(store_mod, "_insert_fields", slow_insert)
    monkeypatch.setattr(run_mod, "scorer", failing)
    with pytest.raises(ArithmeticError, match="half-way"):
        run_round(ws_path, standard, CUTOFF, predictions=preds)
    monkeypatch.undo()
    with Workspace(ws_path, create=False) as ws:
        for table in ("rounds", "roster", "contributions", "round_fields"):
            assert ws.sql(f"SELECT DISTINCT round_id FROM {table}")["round_id"].tolist() == [1], table
        pd.testing.assert_frame_equal(load_round(ws, 1).roster, first.roster)
        assert run_round(ws, standard, CUTOFF, predictions=preds).round_id == 2


def test_the_workspace_refuses_a_read_while_the_rounds_fields_are_being_stored(ws_path, tx, standard, monkeypatch):
    """While the fields thread writes with the workspace's connection, the scoring thread may not
    use it: a read there is refused at once (not run beside the thread's writes), the round fails
    and leaves nothing, and the workspace is free again afterwards."""
    from xuanba.rounds import run as run_mod

    preds = predictions_for(tx.customer_id)
    run_round(ws_path, standard, "2026-03-31", predictions=preds)
    with Workspace(ws_path) as ws:
        def reading(engine):
            def score(table, std, **_):
                ws.sql("SELECT count(*) FROM rounds")  # what a careless edit of the scoring might do
            return score

        monkeypatch.setattr(run_mod, "scorer", reading)
        with pytest.raises(RuntimeError, match="in use by the round's fields"):
            run_round(ws, standard, CUTOFF, predictions=preds)
        monkeypatch.undo()
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]
        assert ws.sql("SELECT DISTINCT round_id FROM round_fields")["round_id"].tolist() == [1]
        assert run_round(ws, standard, CUTOFF, predictions=preds).round_id == 2


def test_a_round_transaction_left_without_saving_stores_nothing(ws_path, tx, standard):
    """:func:`saving_round` refuses to commit fields without their round."""
    from xuanba.rounds.store import saving_round

    preds = predictions_for(tx.customer_id)
    fields = run_round(ws_path, standard, CUTOFF, predictions=preds).fields  # round 1, stored
    with Workspace(ws_path) as ws:
        with pytest.raises(RuntimeError, match="without saving"), saving_round(ws, fields) as saver:
            saver.wait()  # round 2's fields appended, then left
        assert ws.sql("SELECT DISTINCT round_id FROM round_fields")["round_id"].tolist() == [1]
        assert ws.sql("SELECT round_id FROM rounds")["round_id"].tolist() == [1]


def test_diff_counts_agree_with_the_two_rosters(ws_path, tx, standard):
    run_round(ws_path, standard, "2026-03-31", predictions=predictions_for(tx.customer_id, seed=1))
    run_round(ws_path, standard, CUTOFF, predictions=predictions_for(tx.customer_id, seed=2))
    a, b = load_round(ws_path, 1).roster, load_round(ws_path, 2).roster
    d = diff_rounds(ws_path, 1, 2)
    sa, sb = set(a.loc[a.selected, "customer_id"]), set(b.loc[b.selected, "customer_id"])
    ch = d.changes.set_index("customer_id")
    assert set(ch.index[ch.status == "entered"]) == sb - sa
    assert set(ch.index[ch.status == "left"]) == sa - sb
    assert d.summary["kept"] == len(sa & sb) and sum(d.summary[k] for k in ("entered", "left", "rose", "fell", "same")) == len(ch)
    both = a.merge(b, on="customer_id")
    assert d.rank_correlation == pytest.approx(spearmanr(both["rank_x"], both["rank_y"]).statistic)
    assert int(d.migration.to_numpy().sum()) == len(ch)
    assert int(d.migration.loc["(not selected)", "(not selected)"]) == len(set(a.customer_id) - sa - sb)
    for cid in sa & sb:
        ta, tb = ch.loc[cid, "tier_a"], ch.loc[cid, "tier_b"]
        if ta != tb:
            assert ch.loc[cid, "status"] == ("rose" if tb < ta else "fell")  # tiers A < B < C
    assert diff_rounds(ws_path, "previous", "latest").summary == d.summary


def test_compare_rosters_by_hand_with_new_and_gone_customers():
    a = pd.DataFrame({"customer_id": ["p", "q", "r", "s"], "rank": [1, 2, 3, 4], "tier": ["A", "B", "", ""],
                      "selected": [True, True, False, False]})
    b = pd.DataFrame({"customer_id": ["p", "q", "r", "t"], "rank": [1, 3, 2, 4], "tier": ["B", "B", "A", ""],
                      "selected": [True, True, True, False]})
    d = compare_rosters(a, b, ["A", "B"])
    st = d.changes.set_index("customer_id")["status"].to_dict()
    assert st == {"p": "fell", "q": "fell", "r": "entered", "s": "same", "t": "same"}
    assert d.changes.set_index("customer_id").loc["s", "tier_b"] == "(absent)"
    assert d.migration.loc["A", "B"] == 1 and d.migration.loc["(not selected)", "A"] == 1
    assert d.migration.loc["(absent)", "(not selected)"] == 1 and d.migration.loc["(not selected)", "(absent)"] == 1
    assert d.rank_correlation == pytest.approx(0.5)  # ranks (1,2,3) vs (1,3,2)


def test_replay_runs_one_round_per_quarter_end(ws_path, tx, standard):
    assert [c.isoformat() for c in replay_cutoffs("2025-07-01", CUTOFF, "quarter")] == [
        "2025-09-30", "2025-12-31", "2026-03-31", "2026-06-30"]
    rep = replay_rounds(ws_path, standard, "2025-07-01", CUTOFF, every="quarter",
                        predictions=lambda cut: predictions_for(tx.customer_id, seed=cut.month))
    assert rep.summary["round_id"].tolist() == [1, 2, 3, 4]
    assert list_rounds(ws_path)["cutoff"].astype(str).tolist() == ["2025-09-30", "2025-12-31", "2026-03-31", CUTOFF]
    # customers grow as the cutoff moves on; each step's entered/left agree with diff_rounds
    assert rep.summary["customers"].is_monotonic_increasing
    for i in (2, 3, 4):
        d = diff_rounds(ws_path, i - 1, i)
        row = rep.summary.loc[rep.summary.round_id == i].iloc[0]
        assert (row.entered, row.left) == (d.summary["entered"], d.summary["left"])


def test_standard_fields_the_data_lack_are_named(ws_path, tx):
    text = starter_standard("en") + '\n[[gates]]\nname = "seg"\nexpr = "segment != \'internal\'"\n'
    with pytest.raises(DataError, match="segment"):
        run_round(ws_path, text, CUTOFF, predictions=predictions_for(tx.customer_id), store=False)
    extra = pd.DataFrame({"customer_id": sorted(tx.customer_id.unique())})
    extra["segment"] = np.where(np.arange(len(extra)) % 2 == 0, "internal", "retail")
    rnd = run_round(ws_path, text, CUTOFF, predictions=predictions_for(tx.customer_id), extra_fields=extra, store=False)
    internal = set(extra.loc[extra.segment == "internal", "customer_id"])
    r = rnd.roster
    assert not r.loc[r.customer_id.isin(internal), "selected"].any()
    assert r.loc[r.customer_id.isin(internal), "gates_failed"].str.contains("seg").all()


def test_account_fields_come_from_the_workspace_side_tables(ws_path, tx):
    text = ('[standard]\nname = "acc"\nversion = "1"\n[[criteria]]\nname = "profit"\nfield = "profit_365d"\n'
            'weight = 1\n')
    rnd = run_round(ws_path, text, CUTOFF, store=False)
    window = tx.loc[tx.ts > pd.Timestamp(CUTOFF) - pd.Timedelta(days=365)]
    profit = (window.amount - window.cost).groupby(window.customer_id).sum()
    got = rnd.roster.set_index("customer_id")["profit"]
    np.testing.assert_allclose(got.reindex(profit.index), profit, atol=1e-6)
    assert rnd.meta["predictions"] == "none"  # no predicted field: no model fitted


def test_real_predictions_on_cdnow_with_the_starter_standard(tmp_path, test_data):
    """CDNOW sample (Fader, Hardie & Lee 2005): 2,357 customers; the starter's model = "auto"
    chooses among the purchase models at the cutoff, and the round uses the one it chose."""
    path = tmp_path / "cdnow.duckdb"
    with Workspace(path) as ws:
        ws.con.execute("CREATE TABLE transactions AS SELECT customer_id, timestamp AS ts, amount "
                       "FROM read_parquet(?)", [str(test_data / "cdnow_sample.parquet")])
    rnd = run_round(path, starter_standard("en"), "1997-09-30")
    choice = rnd.meta["model_choice"]
    assert rnd.meta["n_customers"] == 2357 and rnd.meta["predictions"] == f"model:{choice['model']}"
    assert choice["criterion"] == "group_mae" and all(c["usable"] for c in choice["candidates"])
    assert rnd.meta["models"]["purchases"]["model"] == {"bgnbd": "BGNBD", "mbgnbd": "MBGNBD",
                                                        "pareto-nbd": "ParetoNBD"}[choice["model"]]
    c = rnd.contributions.pivot(index="customer_id", columns="criterion", values="raw")
    assert c["still_active"].between(0, 1).all() and (c["future_value"] >= 0).all()
    assert rnd.meta["n_selected"] == 500 and rnd.meta["n_left_out_by_capacity"] > 0
    # the best-ranked customers are the heavy buyers
    top = rnd.roster.head(50)["revenue"].median()
    assert top > 3 * rnd.roster["revenue"].median()


@pytest.mark.parametrize("module", ["run", "store", "diff", "replay"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"xuanba.rounds.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_compare_rosters_matches_a_brute_force_outer_join():
    """On random rosters (customers gone, new, kept; tiers and ranks shuffled), every row of the
    diff is what a per-customer lookup in both rosters gives."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        pool = [f"c{i:03d}" for i in range(int(rng.integers(1, 80)))]
        a_ids = list(rng.choice(pool, int(rng.integers(0, len(pool) + 1)), replace=False))
        b_ids = list(rng.choice(pool, int(rng.integers(1, len(pool) + 1)), replace=False))

        def roster(ids):
            tier = rng.choice(["A", "B", ""], len(ids))
            return pd.DataFrame({"customer_id": ids, "rank": np.arange(1, len(ids) + 1), "tier": tier,
                                 "selected": tier != "", "score": rng.uniform(0, 100, len(ids))})

        a, b = roster(a_ids), roster(b_ids)
        d = compare_rosters(a, b, ["A", "B"])
        assert sorted(d.changes["customer_id"]) == sorted(set(a_ids) | set(b_ids))
        ia, ib = a.set_index("customer_id"), b.set_index("customer_id")
        for row in d.changes.itertuples():
            ra = ia["rank"].get(row.customer_id)
            rb = ib["rank"].get(row.customer_id)
            assert (pd.isna(row.rank_a) and ra is None) or row.rank_a == ra
            assert (pd.isna(row.rank_b) and rb is None) or row.rank_b == rb
            sa = bool(ia["selected"].get(row.customer_id, False))
            sb = bool(ib["selected"].get(row.customer_id, False))
            if sb and not sa:
                assert row.status == "entered"
            elif sa and not sb:
                assert row.status == "left"
        ordered = d.changes["rank_b"].to_numpy(dtype=float, na_value=np.nan)
        present = ~np.isnan(ordered)
        assert (np.diff(ordered[present]) > 0).all() and not present[present.sum():].any()  # B's order, absent last
        assert d.summary["kept"] == len(set(a.loc[a["selected"], "customer_id"]) & set(b.loc[b["selected"], "customer_id"]))


def test_an_extra_field_that_changes_type_between_rounds(ws_path, tx, standard):
    """round_fields grows a column per new field; a field stored as text takes later numbers as
    text, while text where numbers were stored is refused with the fix (and stores nothing)."""
    ids = sorted(set(tx.customer_id))
    preds = predictions_for(tx.customer_id)
    run_round(ws_path, standard, "2026-03-31", predictions=preds,
              extra_fields=pd.DataFrame({"customer_id": ids, "region_code": [f"R{i % 3}" for i in range(len(ids))],
                                         "visits": range(len(ids))}))
    run_round(ws_path, standard, CUTOFF, predictions=preds,
              extra_fields=pd.DataFrame({"customer_id": ids, "region_code": [i % 3 for i in range(len(ids))]}))
    with Workspace(ws_path, read_only=True) as ws:
        second = load_round(ws, 2)
        assert set(second.fields["region_code"]) == {"0", "1", "2"} and "visits" not in second.fields
        first = load_round(ws, 1).fields
        assert first["visits"].tolist() == [ids.index(c) for c in first["customer_id"]]
    with pytest.raises(WorkspaceError, match="'visits' was stored as BIGINT"):
        run_round(ws_path, standard, CUTOFF, predictions=preds,
                  extra_fields=pd.DataFrame({"customer_id": ids, "visits": ["many"] * len(ids)}))
    assert list_rounds(ws_path)["round_id"].tolist() == [1, 2]


def test_stored_fields_are_never_rounded_mixed_or_clashing(ws_path, tx, standard):
    """A whole-number field that later holds fractions widens its column (never rounded on the
    way in); a column mixing numbers and text is stored as text; names that clash ignoring case,
    or round_id, are refused with the fix; a customers column spelled like a fact is left out."""
    from tests._helpers import store

    ids = sorted(set(tx.customer_id))
    preds = predictions_for(tx.customer_id)

    def extra(**cols):
        return pd.DataFrame({"customer_id": ids, **cols})

    run_round(ws_path, standard, CUTOFF, predictions=preds, extra_fields=extra(visits=[1] * len(ids)))
    second = run_round(ws_path, standard, CUTOFF, predictions=preds, extra_fields=extra(visits=[3.7] * len(ids)))
    mixed = [1, "A1", 2.5] * (len(ids) // 3) + [None] * (len(ids) % 3)
    third = run_round(ws_path, standard, CUTOFF, predictions=preds, extra_fields=extra(code=pd.Series(mixed, dtype=object)))
    with Workspace(ws_path, read_only=True) as ws:
        assert set(load_round(ws, second.round_id).fields["visits"]) == {3.7}
        assert load_round(ws, 1).fields["visits"].tolist() == [1.0] * len(load_round(ws, 1).fields)
        assert load_round(ws, third.round_id).fields["code"].head(3).tolist() == ["1", "A1", "2.5"]
    for cols, match in (({"Visits": [1] * len(ids)}, "stored as 'visits'"),
                        ({"round_id": [1] * len(ids)}, "round_id"),
                        ({"a": [1] * len(ids), "A": [2] * len(ids)}, "are one name")):
        with pytest.raises(DataError, match=match):
            run_round(ws_path, standard, CUTOFF, predictions=preds, extra_fields=extra(**cols))
    assert list_rounds(ws_path)["round_id"].tolist() == [1, 2, 3]
    with Workspace(ws_path) as ws:
        store(ws, "customers", pd.DataFrame({"customer_id": ids, "t": ["x"] * len(ids), "owner": ["Li"] * len(ids)}))
        rnd = run_round(ws, standard, CUTOFF, predictions=preds)
    assert rnd.meta["customer_fields_skipped"] == ["t"] and "owner" in rnd.meta["customer_fields"]


def test_a_model_check_that_cannot_run_says_why_and_a_skipped_one_is_not_called_old(test_data, tmp_path):
    from tests._helpers import cdnow_transactions, store
    from xuanba.outputs.report import write_report

    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
        run_round(ws, starter_standard("en"), "1997-09-30")  # a year before: nothing to check
        run_round(ws, starter_standard("en"), "1997-09-30", check_model=False)
        assert load_round(ws, 2, fields=False).missing == []
    first = write_report(path, "1", tmp_path / "r1.html").read_text("utf-8")
    assert "The model could not be checked on the year before the cutoff: " in first
    second = write_report(path, "2", tmp_path / "r2.html").read_text("utf-8")
    assert "older xuanba" not in second


def test_auto_s_holdout_year_is_the_round_s_model_check_without_refitting(tmp_path, monkeypatch):
    """With four years of data, ``auto`` checks its candidates on the year before the cutoff, the
    window of the round's own model check: the round stores that check (the same table and figures
    a fresh model_check gives) instead of computing the calibration facts and refitting again."""
    import xuanba.rounds.run as run
    from xuanba.models.simulate import simulate_transactions

    tx = simulate_transactions("pareto-nbd", 1500, "2022-01-01", "2025-12-31", seed=3)
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", tx)
    calls = []
    real = run.model_check
    monkeypatch.setattr(run, "model_check", lambda *a, **k: calls.append(a))
    rnd = run_round(path, starter_standard("en"), "2025-12-31", store=False)
    assert calls == [] and rnd.meta["model_choice"]["holdout"]["days"] == 365
    held = rnd.tables["holdout"]
    with Workspace(path, read_only=True) as ws:
        fresh = real(ws, rnd.meta["model_choice"]["model"], pd.Timestamp("2025-12-31").date(), "week")
    assert held.info == fresh.info and "error" not in held.info
    pd.testing.assert_frame_equal(held.frame, fresh.frame)


def test_merge_places_columns_by_position_only_for_the_same_ids_in_the_same_order():
    """A table of the base's very ids in its order is placed column by column (text kept as
    text); any other order, a changed id or a missing customer goes through the join, and both
    give what the join gives."""
    from xuanba.rounds.run import _merge

    base = pd.DataFrame({"customer_id": pd.Series([f"c{i:03d}" for i in range(50)]), "x": np.arange(50.0)})
    other = pd.DataFrame({"customer_id": base["customer_id"].copy(), "p": np.linspace(0, 1, 50),
                          "basis": pd.Series(["own"] * 25 + ["mean"] * 25)})
    want = base.merge(other, on="customer_id", how="left")
    for given in (other, other.sample(frac=1.0, random_state=1), other.iloc[:-1],
                  other.assign(customer_id=other["customer_id"].where(other.index != 7, "zzz"))):
        got = _merge(base, given, "predictions", override=True)
        expect = base.merge(given, on="customer_id", how="left")
        pd.testing.assert_frame_equal(got, expect, check_dtype=False)
        assert str(got["basis"].dtype) == str(want["basis"].dtype)


def test_the_facts_a_round_reads_are_rounded_where_they_lie_and_nothing_reads_them_unrounded(tmp_path, monkeypatch):
    """The facts gather_fields reads itself are its own frame: their float columns are rounded in
    place (the arrays the facts query gave, no new ones), to exactly np.round of the facts as
    read; the model check's table read with them keeps its unrounded values (the year before's
    T and recency in weeks, compared with its own query); and the fields, models and choice are
    those of the same facts given by a caller (rounded into new arrays), whose frame is left as
    it was."""
    import datetime as dt

    import xuanba.facts as facts_module
    from xuanba.facts import calibration_holdout, customer_facts
    from xuanba.models.simulate import simulate_transactions
    from xuanba.rounds.run import DECIMALS, as_standard, check_start, gather_fields

    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("pareto-nbd", 1500, "2022-01-01", "2025-12-31", seed=3))
    cut, std = dt.date(2025, 12, 31), as_standard(starter_standard("en"))
    read: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
    real = facts_module.facts_and_holdout

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        facts, check = real(*a, **k)
        read.append((facts, facts.copy(deep=True), check, check.copy(deep=True)))
        return facts, check

    monkeypatch.setattr(facts_module, "facts_and_holdout", spy)
    with Workspace(path, read_only=True) as ws:
        own, own_notes = gather_fields(ws, std, cut, checked=True)
        given = customer_facts(ws, cut)
        kept = given.copy(deep=True)
        other, other_notes = gather_fields(ws, std, cut, checked=True, facts=given)
        year = calibration_holdout(ws, check_start(cut), cut, columns=list(read[0][3].columns))
    (facts, before, check, check_before), = read  # the facts given are not read again
    floats = [c for c in before.columns if before[c].dtype == np.float64]
    assert {"recency", "T", "monetary_value", "revenue_365d"} <= set(floats)
    for col in floats:
        want = np.round(before[col].to_numpy(), DECIMALS)
        assert np.array_equal(own[col].to_numpy(), want, equal_nan=True)
        assert np.array_equal(facts[col].to_numpy(), want, equal_nan=True)  # rounded where it lay
        assert np.shares_memory(own[col].to_numpy(), facts[col].to_numpy())  # no new array
    assert any(not np.array_equal(before[c].to_numpy(), facts[c].to_numpy(), equal_nan=True) for c in floats)
    # the check's table: not touched, the unrounded values its own query gives
    pd.testing.assert_frame_equal(check, check_before, check_exact=True)
    pd.testing.assert_frame_equal(check.reset_index(drop=True), year.reset_index(drop=True), check_exact=True)
    assert not np.array_equal(check["T"].to_numpy(), np.round(check["T"].to_numpy(), DECIMALS))
    # a caller's facts: left as they were; and the same fields and fits either way
    pd.testing.assert_frame_equal(given, kept, check_exact=True)
    pd.testing.assert_frame_equal(own, other, check_exact=True)
    assert own_notes["models"] == other_notes["models"] and own_notes["model_choice"] == other_notes["model_choice"]


def test_auto_s_shorter_holdout_window_is_read_with_the_facts_not_again(tmp_path, monkeypatch):
    """With nine months of data ``auto`` holds out a third of them, not a year: the round reads
    that window's calibration table with its facts (one pass), and the choice does not read it
    again; the fields, models and choice are those of the same facts given by a caller (the choice
    then reads its window itself). The model check's year begins before the first transaction:
    the round stores what a fresh model_check says of it, without reading the transactions again."""
    import datetime as dt

    import xuanba.facts as facts_module
    from xuanba.facts import customer_facts
    from xuanba.models.simulate import simulate_transactions
    from xuanba.rounds.run import as_standard, gather_fields, model_check

    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("bgnbd", 300, "2025-01-01", "2025-09-30", seed=5))
    cut, std = dt.date(2025, 9, 30), as_standard(starter_standard("en"))
    reads: list[dt.date] = []
    real = facts_module.calibration_holdout

    def spy(source, cal, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        reads.append(pd.Timestamp(cal).date())
        return real(source, cal, *a, **k)

    monkeypatch.setattr(facts_module, "calibration_holdout", spy)
    with Workspace(path, read_only=True) as ws:
        own, own_notes = gather_fields(ws, std, cut, checked=True)
        window = dt.date.fromisoformat(own_notes["model_choice"]["holdout"]["calibration_end"])
        assert (cut - window).days < 365 and "error" not in own_notes["model_choice"]["holdout"]
        assert reads == [] and "calibration" not in own_notes  # the model check's year: read by the check
        other, other_notes = gather_fields(ws, std, cut, checked=True, facts=customer_facts(ws, cut))
    assert reads == [window]  # the facts given: the choice read its window itself
    pd.testing.assert_frame_equal(own, other, check_exact=True)
    assert own_notes["models"] == other_notes["models"] and own_notes["model_choice"] == other_notes["model_choice"]
    reads.clear()
    rnd = run_round(path, starter_standard("en"), cut, store=False)
    assert reads == []
    with Workspace(path, read_only=True) as ws:
        fresh = model_check(ws, rnd.meta["model_choice"]["model"], cut, "week")
    assert len(reads) == 1 and rnd.tables["holdout"].info == fresh.info and "error" in fresh.info


def test_merge_of_owned_predictions_rounds_them_in_place_to_the_same_table():
    """The round's own predictions are rounded in place (no new array per column); the table is
    the one :func:`_steady` gives, bit for bit, and a table not owned (given predictions) is left
    as it was."""
    from xuanba.rounds.run import DECIMALS, _merge

    rng = np.random.default_rng(7)
    n = 2_000
    base = pd.DataFrame({"customer_id": pd.Series([f"c{i:05d}" for i in range(n)]), "x": rng.random(n)})

    p = rng.random(n) / 3
    p[::17] = np.nan
    q = rng.gamma(2.0, 3.0, n) * 1e3

    def predictions() -> pd.DataFrame:  # as predict_customers makes it: a fresh array per column
        return pd.DataFrame({"customer_id": base["customer_id"].copy(), "p": p.copy(), "q": q.copy(),
                             "k": np.arange(n), "basis": pd.Series(["own"] * n)}, copy=False)

    given = predictions()
    kept = given.copy(deep=True)
    plain = _merge(base, given, "predictions", override=True)
    pd.testing.assert_frame_equal(given, kept)  # not owned: not touched
    owned = predictions()
    arrays = {c: owned[c].to_numpy().base for c in ("p", "q")}
    assert all(a is not None and a.ndim == 1 for a in arrays.values())
    got = _merge(base, owned, "predictions", override=True, owned=True)
    pd.testing.assert_frame_equal(got, plain, check_exact=True)
    for c in ("p", "q"):
        want = np.round(kept[c].to_numpy(), DECIMALS)
        assert np.array_equal(got[c].to_numpy(), want, equal_nan=True)
        assert np.array_equal(arrays[c], want, equal_nan=True)  # rounded where it was
        assert not np.array_equal(want, kept[c].to_numpy(), equal_nan=True)  # there was something to round
