"""A round's contributions stored once (schema version 4): a scored round's ``contribution`` is
``100 × weight × normalised``, so its list is not stored and every reader computes it back bit
for bit; contributions that are not that (a long table made by hand) are stored as they are; a
version-3 file's view is replaced when it is opened to write."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from tests.test_contrib_layout import _parts, _store
from tests.test_rounds import CUTOFF, make_transactions, predictions_for, store_tx
from xuanba import Workspace
from xuanba.rounds import load_round, run_round
from xuanba.rounds.store import (
    _derived_contributions,
    customer_contributions,
    ranked_contributions,
    read_contributions,
)
from xuanba.standard import load_standard, starter_standard
from xuanba.standard.score import contribution_parts
from xuanba.workspace import SCHEMA_VERSION

#: The view as version 3 made it: the stored element, always.
V3_VIEW = ("CREATE OR REPLACE VIEW contributions AS SELECT p.round_id, r.customer_id, k.criterion, "
           "p.raw[k.position] AS raw, p.normalised[k.position] AS normalised, k.weight, "
           "p.contribution[k.position] AS contribution FROM round_points p "
           "JOIN round_criteria k ON k.round_id = p.round_id JOIN roster r ON r.round_id = p.round_id AND r.rank = p.rank")


def _bits(values) -> list:
    """Each value's bits (``None`` for a missing one): equal only when the doubles are the same."""
    arr = np.asarray(values, dtype=float)
    return [None if np.isnan(v) else int(b) for v, b in zip(arr, arr.view(np.int64), strict=True)]


@pytest.fixture(scope="module", params=["pandas", "duckdb"])
def stored(request, tmp_path_factory):
    """A stored round of 60 customers (a missing prediction) scored in pandas or on DuckDB, and
    its contributions as the scoring made them (rank order, criteria as stored)."""
    path = tmp_path_factory.mktemp("once") / "w.duckdb"
    tx = make_transactions(seed=11, n=60)
    store_tx(path, tx)
    preds = predictions_for(tx.customer_id)
    preds.loc[3, "p_alive"] = np.nan
    std = load_standard(starter_standard("en"))
    rnd = run_round(path, std, CUTOFF, predictions=preds, scoring_engine=request.param)
    parts = contribution_parts(rnd)
    assert parts is not None
    return path, rnd.round_id, parts


def test_a_scored_round_stores_no_contribution_list_and_reads_each_back_bit_for_bit(stored):
    path, rid, parts = stored
    want = _bits(parts.contribution.ravel())  # rank-major, criteria as stored: the readers' order
    with Workspace(path, read_only=True) as ws:
        lists = ws.sql("SELECT count(*) AS n, count(contribution) AS kept FROM round_points WHERE round_id = ?", [rid])
        assert lists["n"].iloc[0] == len(parts.customer_id) and lists["kept"].iloc[0] == 0  # stored once
        assert _bits(read_contributions(ws, rid)["contribution"]) == want
        assert _bits(ranked_contributions(ws, rid).column("contribution").to_numpy(zero_copy_only=False)) == want
        view = ws.sql("SELECT c.contribution FROM contributions c JOIN roster r USING (round_id, customer_id) "
                      "JOIN round_criteria k USING (round_id, criterion) WHERE c.round_id = ? ORDER BY r.rank, k.position",
                      [rid])
        assert _bits(view["contribution"]) == want
        first = str(parts.customer_id.iloc[0])
        assert _bits([row[-1] for row in customer_contributions(ws, rid, first)]) == want[:len(parts.criteria)]
    assert _bits(load_round(path, rid).contributions["contribution"]) == want


def test_contributions_that_are_not_weight_times_normalised_are_stored_as_given(tmp_path):
    """A long table made by hand may hold other contributions: they are kept, list and all."""
    parts = _parts(["a", "b"])
    assert _derived_contributions(parts)
    parts.contribution = parts.contribution.copy()
    parts.contribution[0, 1] = 7.0  # not 100 × weight × normalised
    parts.contribution[2, 0] = np.nan  # missing where the normalised value is not
    assert not _derived_contributions(parts)
    with Workspace(tmp_path / "w.duckdb") as ws:
        _store(ws, parts, [1, 2, 3])
        assert ws.sql("SELECT count(contribution) AS kept FROM round_points")["kept"].iloc[0] == 3
        got = read_contributions(ws, 1)["contribution"]
    assert _bits(got) == _bits(parts.contribution.ravel())


def test_a_version_3_file_gets_the_view_that_computes_the_contributions_when_opened_to_write(stored, tmp_path):
    path, rid, parts = stored
    old = tmp_path / "v3.duckdb"
    old.write_bytes(path.read_bytes())
    with duckdb.connect(str(old)) as con:
        con.execute(V3_VIEW)
        con.execute("UPDATE xuanba_meta SET value = '3' WHERE key = 'schema_version'")
        assert con.execute("SELECT count(contribution) FROM contributions").fetchone()[0] == 0  # v3's view: all NULL
    with Workspace(old) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 7
        view = ws.sql("SELECT c.contribution FROM contributions c JOIN roster r USING (round_id, customer_id) "
                      "JOIN round_criteria k USING (round_id, criterion) WHERE c.round_id = ? ORDER BY r.rank, k.position",
                      [rid])
    assert _bits(view["contribution"]) == _bits(parts.contribution.ravel())



def _read_back(ws):
    """Round 1's contributions as each reader gives them, rank-major: ``read_contributions``,
    ``ranked_contributions`` (its nulls kept apart from NaN) and the view."""
    ranked = ranked_contributions(ws, 1).column("contribution")
    view = ws.con.execute("SELECT c.contribution FROM contributions c JOIN roster r USING (round_id, customer_id) "
                          "JOIN round_criteria k USING (round_id, criterion) ORDER BY r.rank, k.position").fetchall()
    return (_bits(read_contributions(ws, 1)["contribution"]), ranked.to_pylist(), [v[0] for v in view])


def test_a_nan_point_made_of_numbers_is_stored_as_given_and_read_as_stored(tmp_path):
    """``0 × inf`` and ``inf × 0`` are NaN though the normalised value is not: stored once, every
    reader would make them NaN where the stored point reads NULL (the web orders NaN first, a
    missing point last). Such points are stored as given: each reader gives what was stored."""
    parts = _parts(["a", "b"])
    parts.weights = np.array([0.0, np.inf])
    parts.normalised = parts.normalised.copy()
    parts.normalised[0, 0], parts.normalised[1, 1] = np.inf, 0.0
    with np.errstate(all="ignore"):
        parts.contribution = 100.0 * parts.weights * parts.normalised  # the scoring's own product
    assert np.isnan(parts.contribution[0, 0]) and np.isnan(parts.contribution[1, 1])
    assert not _derived_contributions(parts)
    with Workspace(tmp_path / "w.duckdb") as ws:
        _store(ws, parts, [1, 2, 3])
        bits, ranked, view = _read_back(ws)
    assert bits == _bits(parts.contribution.ravel())
    missing = [i for i, v in enumerate(parts.contribution.ravel()) if np.isnan(v)]
    assert missing == [0, 3] and [ranked[i] for i in missing] == [None, None] == [view[i] for i in missing]


def test_a_criterion_without_a_weight_and_a_round_partly_stored_read_as_every_reader_reads_them(tmp_path):
    """A NULL weight (a hand-made version-2 table had one) makes its points NULL and the web's reader
    does not fail on it; rows of one round some stored, some computed read as the SQL readers read them."""
    parts = _parts(["a", "b"], n=4)
    with Workspace(tmp_path / "w.duckdb") as ws:
        _store(ws, parts, [1, 2, 3, 4])
        ws.con.execute("UPDATE round_points SET contribution = ? WHERE rank = 2", [[1.5, -0.0]])  # one row stored
        ws.con.execute("UPDATE round_criteria SET weight = NULL WHERE position = 1")
        bits, ranked, view = _read_back(ws)
        assert ws.sql("SELECT count(contribution) AS kept FROM round_points")["kept"].iloc[0] == 1
    assert _bits(ranked) == bits == _bits(view)
    assert [ranked[i] for i in (0, 2, 3, 4, 6)] == [None, 1.5, -0.0, None, None]  # NULL where the weight is
    assert np.signbit(ranked[3])
