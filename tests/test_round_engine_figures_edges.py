"""The headline figures an engine round reads of every customer in a few queries
(:func:`xuanba.rounds.engine._round_counts`, ``_round_figures``, ``_summary_on_engine``,
``_scores_on_engine``) against the workspace's pandas figures (:func:`xuanba.rounds.summary.round_summary`,
pandas' median and means, :func:`~xuanba.rounds.summary.score_bins`), on small hand-made rosters at
the edges: no customer, one, two, ties, missing and out-of-range scores, a missing and an empty
tier, no quadrant, negative, NaN, infinite and huge money, a selection of none and of everyone, and
money without the fields that say who is active (no whale curve then, as the workspace draws none)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests._helpers import spark_test
from xuanba.rounds import engine as eng
from xuanba.rounds.summary import round_summary, score_bins

ORDER = ["A", "B", ""]


def roster(scores, tiers, quads, selected, **money) -> pa.Table:
    """A roster as the round's ``full`` table holds it (``None`` missing, NaN a NaN): ``rank`` by
    score descending, missing scores last, then by id."""
    n = len(scores)
    ids = [f"c{i:03d}" for i in range(n)]
    by = sorted(range(n), key=lambda i: (scores[i] is None, -(scores[i] or 0.0), ids[i]))
    rank = [0] * n
    for r, i in enumerate(by):
        rank[i] = r + 1
    cols = {"customer_id": pa.array(ids, pa.string()), "score": pa.array(scores, pa.float64()),
            "tier": pa.array(tiers, pa.string()), "quadrant": pa.array(quads, pa.string()),
            "selected": pa.array(selected, pa.bool_()),
            **{k: pa.array(v, pa.float64(), from_pandas=False) for k, v in money.items()},
            "rank": pa.array(rank, pa.int64())}
    return pa.table(cols)


CASES = {
    "no customer": roster([], [], [], [], profit_365d=[], revenue_365d=[]),
    "one": roster([5.0], ["A"], ["q1"], [True], profit_365d=[3.0], revenue_365d=[1.0]),
    "two": roster([5.0, 7.0], ["A", None], ["q1", None], [True, False], profit_365d=[3.0, -1.0],
                  revenue_365d=[1.0, 0.0]),
    "ties, odd, a missing and an empty tier": roster(
        [5.0, 5.0, 7.0, None, 5.0], ["A", "B", "", None, "A"], ["q1", "q2", None, "", "q1"],
        [True, True, False, False, False], profit_365d=[1e15, -2.5, np.nan, None, 0.01],
        revenue_365d=[1.0, None, 2.0, 0.0, 1.0]),
    "ties, even, out of range": roster(
        [5.0, 5.0, 120.0, None, -3.0, 100.0], ["A", "B", "", None, "A", "B"], ["q1"] * 6,
        [True, True, False, False, False, True], margin_365d=[-1.0, -2, -3, -4, 5, 6], revenue_365d=[1.0] * 6),
    "none selected, no tier, no quadrant": roster(
        [None, None, 3.0, 4.0], [None] * 4, [None] * 4, [False] * 4, margin_365d=[1.0, 2.0, -3.0, 4.0],
        cost_to_serve_365d=[1.0] * 4),
    "only missing scores": roster([None, None], ["A", "A"], ["q", "q"], [True, False], profit_365d=[1.0, 2.0],
                                  revenue_365d=[1.0, 1.0]),
    "everyone selected, money without who is active": roster(
        [1.0, 2.0, 3.0, 4.0, 100.0, 250.0, -3.0], ["A"] * 7, ["q"] * 7, [True] * 7,
        profit_365d=[1, 2, 3, 4, 5, 6, 7.0]),
    "no money": roster([1.0, 2.0, 3.0], ["A", "B", "A"], ["q", "q", "r"], [True, False, True]),
}


def same(got, want, where="") -> None:
    """Equal to the last digit, dicts key by key (NaN equal to NaN)."""
    if isinstance(want, dict):  # in the same order where the order is shown
        ordered = where.endswith(("tier_counts", "tier_values", "quadrant_counts", "quadrant_values"))
        assert isinstance(got, dict) and (list(got) == list(want) if ordered else sorted(got) == sorted(want)), \
            f"{where}: {got} != {want}"
        for k in want:
            same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, float) and isinstance(got, float) and math.isnan(want):
        assert math.isnan(got), where
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def expected_scores(df: pd.DataFrame) -> dict:
    tier = df.tier.fillna("").astype(str)
    score = df.score.astype(float)
    return {"median": None if score.notna().sum() == 0 else float(score.median()),
            "tier_mean_score": {k: (None if math.isnan(v) else float(v)) for k, v in score.groupby(tier).mean().items()},
            "histogram": {k: score_bins(s) for k, s in score.groupby(tier) if s.notna().any()}}


def engine_figures(t, df: pd.DataFrame) -> tuple[dict, dict]:
    cols = [c for c in eng.SUMMARY_FIELDS if c in df.columns]
    counts = eng._round_counts(t)
    figures = eng._round_figures(t, cols, counts)
    summary = eng._summary_on_engine(t, len(df), int(df.selected.sum()), ORDER, cols, counts=counts, figures=figures)
    scores = eng._scores_on_engine(t, counts=counts, figures=figures)
    # the counts and figures in one query (a round on Spark reads them so) are the two queries' own,
    # with the tiers named or with a tier missing from the names (then the figures are read again)
    def by_tier(fig: dict, cnt: list) -> dict:  # the mean scores named by tier (``_ms<k>`` follows the counts' order)
        out = {k: v for k, v in fig.items() if not k.startswith("_ms")}
        out.update({f"mean {tier!r}": fig[f"_ms{k}"] for k, tier in enumerate(eng._counted(cnt, "tier"))})
        return out

    for named in (["A", "B"], ["A"]):
        both_counts, both_figures = eng._counts_and_figures(t, cols, named)
        key = lambda r: tuple(str(r[k]) for k in ("tier", "quadrant", "_b"))  # noqa: E731
        assert sorted(both_counts, key=key) == sorted(counts, key=key), named
        same(by_tier(both_figures, both_counts), by_tier(figures, counts), f"together {named}")
    # each read on its own (counts and figures not handed in) gives the same
    same(eng._summary_on_engine(t, len(df), int(df.selected.sum()), ORDER, cols), summary, "alone")
    same(eng._scores_on_engine(t), scores, "alone")
    return summary, scores


def check(summary: dict, scores: dict, df: pd.DataFrame) -> None:
    money = [c for c in df.columns if c.endswith("_365d")]
    want = round_summary(df, df[["customer_id", *money]] if money else None, ORDER[:-1])
    same(summary, want, "summary")
    want_scores = expected_scores(df)
    same(scores, want_scores, "scores")


@pytest.mark.parametrize("name", list(CASES))
def test_headline_figures_on_duckdb_equal_the_workspace_figures_at_the_edges(name):
    import ibis

    t = ibis.duckdb.connect().create_table("t", CASES[name])
    df = CASES[name].to_pandas()
    check(*engine_figures(t, df), df)


@contextlib.contextmanager
def _on_spark(spark, table: pa.Table, name: str) -> Iterator:
    """``table`` as a Spark view ``name`` of three partitions, kept (the rows spread and computed
    once, as a kept roster's are: the queries read the kept rows, not the Python list and its
    shuffle again each time); view and rows dropped at the end."""
    from xuanba.standard.engine_spark import drop

    frame = spark._session.createDataFrame(table.to_pylist(), schema=_spark_schema(table)).repartition(3)
    frame = frame.localCheckpoint()
    frame.createOrReplaceTempView(name)
    try:
        yield spark.table(name)
    finally:
        spark._session.catalog.dropTempView(name)
        drop(frame)


def _spark_schema(table: pa.Table) -> str:
    names = {pa.string(): "string", pa.float64(): "double", pa.bool_(): "boolean", pa.int64(): "bigint"}
    return ", ".join(f"`{f.name}` {names[f.type]}" for f in table.schema)


# On Spark (the median read at two ranks: ``rank`` orders by score, missing scores last; n = 0, 1,
# 2, odd and even, ties, missing scores, none at all) the figures of every case above are checked
# by tests/test_round_engine_roster_read.py's Spark test, on the view it reads the roster of (one
# Spark view a case, not one in each file: until session 36 a test here).


@spark_test
def test_rows_sorted_by_the_driver_are_in_sparks_own_order(spark):
    """:func:`~xuanba.standard.engine.to_arrow_by` sorts on the driver what Spark would sort: text
    by its UTF-8 bytes (upper case before lower, accents and Chinese after ASCII, a NUL first),
    as Spark's ``ORDER BY``."""
    from xuanba.standard.engine import to_arrow, to_arrow_by

    ids = ["b", "B", "é", "e", "中文", "Z", "a\x00", "a", "", "ß", "𝔘", "Ä", "10", "9", " x"]
    table = pa.table({"customer_id": pa.array(ids, pa.string()), "rank": pa.array(range(len(ids)), pa.int64())})
    with _on_spark(spark, table, "xuanba_test_driver_sort") as t:
        got = to_arrow_by(t, ["customer_id"])["customer_id"].to_pylist()
        want = to_arrow(t.order_by("customer_id"))["customer_id"].to_pylist()
        assert got == want == sorted(ids, key=lambda s: s.encode("utf-8"))


@spark_test
def test_a_lazily_kept_table_read_by_two_threads_at_once_gives_both_the_same_rows(spark):
    """A kept table is computed by its first reader (``localCheckpoint(eager=False)``): two readers
    at once, in two threads, each read every row once, and the same as a later reader."""
    from concurrent.futures import ThreadPoolExecutor

    import ibis

    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import checkpoint, release

    spark._session.range(20_000).selectExpr("id", "id * 7 % 1000 AS v", "rand() AS r").createOrReplaceTempView(
        "xuanba_test_lazy")
    try:
        kept = checkpoint(spark.table("xuanba_test_lazy"))

        def read(_: int) -> tuple[int, float, float]:
            got = to_arrow(kept.aggregate(n=kept.count(), v=kept.v.sum(), r=kept.r.sum())).to_pylist()[0]
            return got["n"], got["v"], got["r"]

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(read, range(2))
        assert first == second == read(2) and first[0] == 20_000
        assert to_arrow(kept.filter(ibis._.id < 3).order_by("id"))["id"].to_pylist() == [0, 1, 2]
    finally:
        release(spark)
        spark._session.catalog.dropTempView("xuanba_test_lazy")
