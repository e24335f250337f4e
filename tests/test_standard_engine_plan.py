"""The shape of the queries the standard compiles to on DuckDB (xuanba.standard.engine): what made
it several times slower than the pandas path at a million customers must not come back — a
whole-base aggregate window, a kept copy of the whole working table per step, the cheapest
criterion's sort of each criterion's values repeated in the plan (docs/benchmarks_round.md,
engscore branch). The results themselves are compared with the pandas path in
tests/test_standard_engine_roster.py; here, on a table of 2,000 customers, what each query is."""

from __future__ import annotations

import re

import ibis
import numpy as np
import pandas as pd
import pytest

from xuanba.standard import engine, load_standard, starter_standard
from xuanba.standard.score import score_customers


def _fields(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "revenue_365d": np.round(rng.gamma(1, 100, n) * (rng.uniform(size=n) < 0.6), 2),
        "margin_365d": np.round(rng.normal(30, 50, n), 2),
        "clv_3y": np.round(rng.gamma(2, 100, n), 1),  # ties
        "p_alive": np.round(rng.uniform(0, 1, n), 3),
    })


@pytest.fixture(scope="module")
def queries():
    """Every query ``score_in_engine`` runs for the starter standard (SQL text), the kept copies
    it makes, and the scored result with the pandas path's; also the kept copies' columns and
    every query in the order run, each kept copy marked ``None``."""
    run, kept, kept_columns, order, exprs = [], [], [], [], []
    to_arrow, keep = engine.to_arrow, engine._kept

    def record_run(expr):
        table = expr if isinstance(expr, ibis.expr.types.Table) else expr.as_table()
        exprs.append(table)
        run.append(str(ibis.to_sql(table)))
        order.append(run[-1])
        return to_arrow(expr)

    def record_kept(t, numbered=None):
        kept.append(str(ibis.to_sql(t)))
        kept_columns.append([*t.columns, *([numbered] if numbered else [])])
        order.append(None)
        return keep(t, numbered)

    frame, std = _fields(2000), load_standard(starter_standard("en"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "to_arrow", record_run)
        mp.setattr(engine, "_kept", record_kept)
        got = engine.score_in_engine(frame, std)
    return run, kept, got, score_customers(frame, std), std, kept_columns, order, exprs


def test_the_scored_roster_is_the_pandas_one(queries):
    _, _, got, oracle, *_ = queries
    for col in oracle.roster.columns:
        a, b = oracle.roster[col], got.roster[col]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), atol=1e-9, rtol=0)
        else:
            assert b.tolist() == a.tolist(), col


def test_no_aggregate_window_over_the_whole_base(queries):
    """The base's figures are one-row queries returned as literals, not a window per figure."""
    run, kept, *_ = queries
    whole = re.compile(r"\b(MAX|MIN|SUM|AVG|COUNT|STDDEV_POP|QUANTILE_CONT|MEDIAN)\([^()]*(\([^()]*\))?[^()]*\)"
                       r"\s+OVER\s*\(\s*ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", re.I)
    for sql in run + kept:
        assert not whole.search(sql), whole.search(sql).group(0)


def test_one_kept_copy_and_it_is_narrow(queries):
    """One copy of the base is written (after the rank), holding the fields and what the windows
    gave, not the whole working table."""
    _, kept, *_, columns, _, _ = queries
    assert len(kept) == 1
    assert "rank" in columns[0] and "score" in columns[0]
    for derived in ("gates_failed", "_p0", "_r0", "_f0"):
        assert derived not in columns[0], derived


def test_each_percentile_criterions_sorted_values_are_computed_once(queries):
    """The queries number each percentile criterion's values once, in the kept copy, on the order
    of its count below (the plan once held the first criterion's numbering four times, each
    criterion's values read from the table already joined to the previous ones'): one numbering
    per percentile criterion, all in the kept copy, and the kept copy sorted by score for the rank
    (numbered as its rows come, no window of its own: engine._ranked); the roster's own query (the
    last) then has no window at all: it joins the kept copy's numbers."""
    run, kept, _, _, std, *_ = queries
    every = "\n".join(run + kept)
    pct = [j for j, c in enumerate(std.criteria) if c.normalise == "percentile"]
    assert pct
    assert every.count("ROW_NUMBER() OVER") == kept[0].count("ROW_NUMBER() OVER") == len(pct)
    assert kept[0].count(" RANK() OVER") == len(pct)  # the counts below
    assert re.search(r'ORDER BY\s+"t\d+"\."score" DESC', kept[0])  # the rank: the kept rows' order
    assert " OVER " not in run[-1].upper()


@pytest.fixture(scope="module")
def in_order(queries):
    """Every query ``score_in_engine`` runs for the starter standard, in order, the kept copy
    marked ``None``."""
    return queries[-2]


def test_the_figures_of_the_base_are_read_before_the_kept_copy(in_order):
    """Counts, spreads, tops and the values next to them — the points' and the cheapest
    criterion's — are one-row queries over the filled fields, before the windows; after the kept
    copy no query reads a criterion's filled values for a figure (they once ran there, each
    compiling the whole roster's expression: a second at a million customers)."""
    cut = in_order.index(None)
    before, after = in_order[:cut], in_order[cut + 1:]
    assert any('AS "m0"' in q for q in before) and any('AS "cmax0"' in q for q in before)
    for q in after:
        for name in ("m0", "sd0", "cmax0", "bmax0", "amin0"):
            assert f'AS "{name}"' not in q, name


def test_the_small_queries_after_the_kept_copy_read_a_small_expression(in_order):
    """The quota's, the capacity's and the tiers' one-row queries read the kept copy through a
    few projections, not the whole roster's expression (what Ibis compiles grows with it)."""
    cut = in_order.index(None)
    small = in_order[cut + 1:-1]
    assert small
    for q in small:
        assert q.count("FROM (") <= 5, q[:300]
        assert " JOIN " not in q.upper()
    assert len(in_order) <= 10  # nine queries and the kept copy (ten and the copy before session 12)


def test_the_rosters_query_is_a_few_narrow_projections(queries):
    """What Ibis spends its time on is compiling, and that grows with the projections stacked and
    the columns each carries (every pair of stacked projections is a merge Ibis tries): the roster's
    query once stacked 28 projections of up to 91 columns, 1,606 nodes in all, 0.44 s to compile
    of the 0.8 s a call took at 10,000 customers. It stacks at most 10 now, of at most 45
    columns, under 800 nodes."""
    from ibis.common.graph import Graph
    from ibis.expr import operations as ops

    graph = Graph.from_bfs(queries[-1][-1].op())
    projections = [node for node in graph if isinstance(node, ops.Project)]
    assert len(projections) <= 10
    assert max(len(p.values) for p in projections) <= 45
    assert len(graph) < 800


def test_the_kth_values_are_read_by_position_only_where_the_cheapest_criterion_weighs_the_change():
    """Each percentile criterion's k-th value of the others is read by its position from the
    criterion's values in order (engine_kth), not joined from a table of all its values (at 10 M
    customers three hash tables of 10 M rows built before the first row, for the few customers
    whose change is weighed); and it is read only where the change is weighed: a gap to close,
    the criterion alone can close it (``_need`` at most 1) and a value (engine._weighed). On
    e97c1c3 the roster's query joined each (no ``xuanba_kth`` in it)."""
    import pyarrow as pa
    from ibis.common.graph import Graph
    from ibis.expr import operations as ops

    from xuanba.standard.engine_kth import kth

    frame, std = _fields(2000), load_standard(starter_standard("en"))
    expr, _ = engine.roster_expression(ibis.memtable(pa.Table.from_pandas(frame)), std)
    pct = [j for j, c in enumerate(std.criteria) if c.normalise == "percentile"]
    nodes = list(Graph.from_bfs(expr.op()))
    assert not [node for node in nodes if isinstance(node, ops.JoinLink)]  # no join at all
    lookup = type(kth(1, 0, 0).op())
    calls = [node for node in nodes if isinstance(node, lookup)]
    guarded = {node.true_expr.args[1].value: {n.name for n in Graph.from_bfs(node.bool_expr, filter=ops.Value)
                                    if isinstance(n, ops.Field)}
               for node in nodes if isinstance(node, ops.IfElse) and isinstance(node.true_expr, lookup)}
    assert sorted(guarded) == pct and len(calls) == len(pct)  # one lookup per percentile criterion, each guarded
    for j, names in guarded.items():
        assert {"gap_to_next", f"_need{j}", f"_r{j}"} <= names, (j, sorted(names))
