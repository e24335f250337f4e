"""The selected rows and the median's middle scores an engine round takes from its read of the
roster for its hash (:class:`xuanba.rounds.engine._RosterRead` shown each block of
:func:`~xuanba.rounds.engine._chunked_sha256`), not from queries of their own: on the edge rosters
of tests/test_round_engine_figures_edges.py and one whose ``selected`` is missing for some, read in
blocks of two rows, the selected rows are the query's (every column, in rank order, the same
types), each middle score is the one at its rank, and the scores' figures with the middle scores
handed in are pandas'; the hash is the one read without them. On Spark the same view of each
case also gives the headline figures of tests/test_round_engine_figures_edges.py."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests._helpers import spark_test
from tests.test_round_engine_figures_edges import (
    CASES,
    _on_spark,
    check,
    engine_figures,
    expected_scores,
    roster,
    same,
)
from xuanba.rounds import engine as eng
from xuanba.standard.engine import to_arrow_by

ROSTERS = {
    **CASES,
    "selected missing for some": roster(
        [9.0, 8.0, None, 7.0, 6.0], ["A", None, "B", "A", ""], ["q"] * 5, [True, None, True, None, False],
        profit_365d=[1.0, 2.0, 3.0, 4.0, 5.0]),
    "m = 0 and none selected": roster([None], [None], [None], [False], revenue_365d=[1.0]),
}


def _read(t, n: int, blocks: int, monkeypatch) -> tuple[eng._RosterRead, str, list[dict]]:
    monkeypatch.setattr(eng, "SHA_READ_ROWS", blocks)
    counts = eng._round_counts(t)
    read = eng._RosterRead(eng._middle_ranks(eng._scores_counted(counts)))
    frame = lambda a: a.to_pandas()  # noqa: E731
    sha = eng._chunked_sha256(t, "rank", n, frame, ["customer_id", "score"], seen=read)
    assert sha == eng._chunked_sha256(t, "rank", n, frame, ["customer_id", "score"])
    return read, sha, counts


def _check(t, table: pa.Table, monkeypatch) -> None:
    df = table.to_pandas()
    for blocks in (2, 1000):
        read, _, counts = _read(t, table.num_rows, blocks, monkeypatch)
        want = to_arrow_by(t.filter(t.selected), ["rank"])  # the query the round ran before
        got = read.selected() if table.num_rows else want
        assert got.schema == want.schema and got.to_pylist() == want.to_pylist()
        scores = eng._scores_on_engine(t, counts=counts, middle=read.scores)
        same(scores, expected_scores(df), "scores")
        m = int(df.score.notna().sum())
        assert sorted(read.scores) == eng._middle_ranks(m)
        # each middle score is the one at its rank (the median alone reads a swapped pair alike)
        at = dict(zip(df["rank"], df["score"], strict=True))
        assert read.scores == {r: at[r] for r in eng._middle_ranks(m)}, blocks


@pytest.mark.parametrize("name", list(ROSTERS))
def test_the_roster_read_for_its_hash_gives_the_selected_rows_and_the_middle_scores_on_duckdb(name, monkeypatch):
    import ibis

    t = ibis.duckdb.connect().create_table("t", ROSTERS[name])
    _check(t, ROSTERS[name], monkeypatch)


@spark_test
@pytest.mark.parametrize("name", list(ROSTERS))
def test_the_roster_read_and_the_headline_figures_on_spark_are_the_workspaces_at_the_edges(spark, name, monkeypatch):
    """The roster read as on DuckDB above, and on the same Spark view the headline figures of
    tests/test_round_engine_figures_edges.py (``engine_figures`` against the workspace's, ``check``)
    for each of its cases: on Spark the median is read at two ranks (``rank`` orders by score,
    missing scores last): n = 0, 1, 2, odd and even, ties, missing scores, none at all. One view a
    case for both (until session 36 each file made its own)."""
    with _on_spark(spark, ROSTERS[name], "xuanba_test_roster_read") as t:
        if name in CASES:
            df = CASES[name].to_pandas()
            check(*engine_figures(t, df), df)
        _check(t, ROSTERS[name], monkeypatch)
