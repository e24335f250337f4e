"""The account page (``account_work``) of an engine round keeps what it derives from the round,
its commitments and its ``--roster-out``: the promise ledger is built once, not on every view
(2.9 s a manager's view at 1 M customers). Each thing the kept answer depends on invalidates it:
a different round under the same id (the workspace file replaced), commitments ingested since,
and a roster output a later round replaced. The oracle: the same page computed with every cache
emptied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests._helpers import put_back
from tests.test_round_engine import BUSY_STANDARD, _workspace, simulated_transactions
from xuanba import Workspace
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard
from xuanba.web import account_data

CUTOFF, LATER = "2025-12-31", "2025-09-30"
CACHES = ("_LEDGERS", "_DERIVED", "_OUTSIDE", "_MINE", "_TABLES", "_WHALES")


@pytest.fixture(scope="module")
def side():
    from xuanba.demo.accounts_demo import make_side_tables

    tx = simulated_transactions(300, seed=10)
    ids = sorted(tx["customer_id"].unique())
    return tx, make_side_tables(ids[: len(ids) * 3 // 4], seed=3, start="2024-06-01", end=CUTOFF,
                                orders=tx.groupby("customer_id").size().to_dict())


def _build(tmp_path, side, name: str, *, roster_out: bool = True, cap: int = 50):
    from xuanba.ingest import ingest

    tx, tables = side
    path = _workspace(tmp_path, tx, f"{name}.duckdb")
    with Workspace(path) as ws:
        for kind in ("customers", "interactions", "commitments", "contacts"):
            ingest(tables[kind], ws, kind=kind)
    std = load_standard(BUSY_STANDARD.replace("max_accounts = 50", f"max_accounts = {cap}"))
    folder = tmp_path / f"out-{name}"
    run_round_on_engine(tx, std, CUTOFF, workspace=path, roster_out=folder if roster_out else None,
                        check_model=False, side_tables=path)
    return path, folder


@pytest.fixture(scope="module")
def built(tmp_path_factory, side):
    """:func:`_build` with a roster output, run once for the module's three tests that start from
    it (a round: most of each one's time), its folder kept as built beside it."""
    live = tmp_path_factory.mktemp("page-cache") / "round"
    live.mkdir()
    path, folder = _build(live, side, "held")
    return live, Path(shutil.copytree(live, live.parent / "pristine")), path, folder


@pytest.fixture()
def held(built):
    """The module's round as :func:`_build` left it, put back in place whatever the test before
    wrote (its workspace names the roster output by its absolute path), and every cache emptied:
    the test starts as on a round of its own."""
    live, pristine, path, folder = built
    put_back(pristine, live)
    for name in CACHES:
        getattr(account_data, name).clear()
    return path, folder


def _view(path, owner=None) -> dict:
    with Workspace(path, read_only=True) as ws:
        return account_data.account_work(ws, 1, owner=owner, lang="en")


def _fresh(path, owner=None) -> dict:
    """The page with every cache emptied: what the kept page must equal."""
    for name in CACHES:
        getattr(account_data, name).clear()
    return _view(path, owner)


def _same(a: dict, b: dict) -> None:
    for key in ("overdue", "keep_warm_by_owner", "selection_note", "sections", "whale"):
        assert a[key] == b[key], key


def _rep(path) -> str:
    with Workspace(path, read_only=True) as ws:
        return str(ws.sql("SELECT owner FROM customers WHERE owner IS NOT NULL ORDER BY 1 LIMIT 1")["owner"].iloc[0])


def test_the_next_view_builds_no_promise_ledger(held, monkeypatch):
    from xuanba.accounts import commitments

    path, _ = held
    first = _fresh(path)
    assert first["overdue"]["count"] > 0
    built = []
    real = commitments.promise_ledger
    monkeypatch.setattr(commitments, "promise_ledger", lambda *a, **k: built.append(1) or real(*a, **k))
    _same(_view(path), first)
    rep = _rep(path)
    _same(_view(path, rep), _view(path, rep))
    assert built == []  # the manager's and the rep's pages: the kept ledger


def test_commitments_ingested_since_are_counted(held, side):
    from xuanba.ingest import ingest

    path, _ = held
    before = _view(path)
    rep = _rep(path)
    mine = _view(path, rep)
    tx, tables = side
    com, cu = tables["commitments"], tables["customers"]
    theirs = com.loc[com["customer_id"].isin(cu.loc[cu["owner"] == rep, "customer_id"])]
    extra = theirs.head(3).assign(text="one more promise", due_on=pd.Timestamp("2025-06-30"), kept_on=pd.NaT,
                                  made_on=pd.Timestamp("2025-06-01"))
    with Workspace(path) as ws:
        ingest(extra, ws, kind="commitments")
    after = _view(path)
    assert after["overdue"]["count"] > before["overdue"]["count"]  # not the kept count
    _same(after, _fresh(path))
    _same(_view(path, rep), _fresh(path, rep))
    assert _view(path, rep)["overdue"] != mine["overdue"]


def test_a_roster_output_a_later_round_replaced_is_not_read_from_the_kept_page(held, side):
    path, folder = held
    held = _view(path)
    assert held["selection_note"] is None
    tx, _ = side
    run_round_on_engine(tx, load_standard(BUSY_STANDARD), LATER, workspace=path, roster_out=folder,
                        check_model=False, side_tables=path)
    after = _view(path)
    assert "now holds another round's roster" in after["selection_note"]
    assert after["overdue"]["count"] < held["overdue"]["count"]  # the selection's promises only now
    _same(after, _fresh(path))


def test_another_round_under_the_same_id_is_not_served_the_kept_page(tmp_path, side):
    """The workspace file replaced by another whose round 1 selected other customers (the same
    commitments, cutoff and path): its page, not the kept one. Without --roster-out the overdue
    promises listed are the selection's, so they differ."""
    path, _ = _build(tmp_path, side, "a", roster_out=False, cap=20)
    other, _ = _build(tmp_path, side, "b", roster_out=False, cap=60)
    first = _fresh(path)
    want = _fresh(other)
    assert first["overdue"] != want["overdue"]
    _view(path)
    shutil.copyfile(other, path)
    _same(_view(path), want)


def test_page_caches_survive_threads_evicting_each_other():
    """The server's threads share the page's caches: one evicting while another reads or adds
    must neither raise nor hand back another key's value; a kept ``None`` (no commitments) is a
    hit, not a miss."""
    import threading

    from xuanba.web import account_data as ad

    cache: dict = {}
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for i in range(3000):
                key = (seed * 7 + i) % 5
                got = ad._held(cache, key)
                if got is ad._MISSING:
                    ad._kept(cache, key, ("value of", key), bound=2)
                else:
                    assert got == ("value of", key)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:3]
    assert len(cache) <= 2
    held: dict = {}
    ad._kept(held, "no commitments", None)
    assert ad._held(held, "no commitments") is None and ad._held(held, "other") is ad._MISSING
    assert ad._held(held, None) is ad._MISSING
