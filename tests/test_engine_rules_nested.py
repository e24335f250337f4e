"""Nested ``//``, ``%`` and ``round`` compiled to the engine (xuanba.standard.engine_rules): numpy's
cases name their operands a dozen times each, so written out as one expression every nesting
multiplied the SQL (``a // (b // 2)`` 2.8 million nodes, 76 s). Each large part named more than
once is now a helper column: the SQL grows linearly with the rule, and the result is still
numpy's bit for bit (signed zeros, NaN, ±inf, huge values, halves) as the pandas path computes it."""

from __future__ import annotations

import itertools

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.engine_rules import with_rules
from xuanba.standard.expressions import ExpressionError, evaluate
from xuanba.standard.score import score_customers

INF = float("inf")
HOSTILE = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1.5, -2.5, 2.5, 3.0, -7.0, 0.1, 1e300, -1e300,
           1e-300, 2.0**53 + 2, INF, -INF, np.nan]
"""Values that misbehave: signed zeros, halves, huge and tiny values, whole numbers past 2**53,
infinities, NaN (a missing value)."""

NESTED = ["a // (b // 2)", "round(a // b)", "((a % b) % t) // c", "(a % b) % t", "a % (b % (t % c))",
          "(a // b) // (t // c)", "round((a // b) % t)", "round(round(a / 2) // (b % 3))",
          "a // (b // (t // (c // 2)))", "1 / round(a % b)", "min(a // b, t % c) + max(round(a), b // t)",
          "(a // b if (t % 2) < 1 else round(c)) // 3", "0 < (a // b) < round(t) < c % 5"]


def _hostile_frame(seed: int = 0) -> pd.DataFrame:
    """Every pair of hostile values as (a, b); t and c hostile values in a shuffled order."""
    pairs = list(itertools.product(HOSTILE, HOSTILE))
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs],
                         "t": rng.choice(HOSTILE, len(pairs)), "c": rng.choice(HOSTILE, len(pairs))})


def _table(frame: pd.DataFrame):
    return ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))


def _assert_numpys(expr: str, frame: pd.DataFrame, got: list) -> None:
    """The engine's values are the pandas path's: the same bits, signs of zeros included (a
    missing value as NaN)."""
    with np.errstate(all="ignore"):
        want = np.asarray(evaluate(expr, frame))
    if want.dtype == bool:
        assert [bool(v) for v in got] == want.tolist(), expr
        return
    want = want.astype(float)
    got_f = np.array([np.nan if v is None else v for v in got], dtype=float)
    bad = ~((got_f == want) | (np.isnan(got_f) & np.isnan(want)))
    assert not bad.any(), (expr, frame[bad].head(5).to_dict("records"), got_f[bad][:5], want[bad][:5])
    num = ~np.isnan(want)
    assert np.signbit(got_f[num]).tolist() == np.signbit(want[num]).tolist(), expr


@pytest.mark.parametrize("expr", NESTED)
def test_nested_rules_on_hostile_values_are_the_pandas_paths_bit_for_bit(expr):
    frame = _hostile_frame()
    got = with_rules(_table(frame), {"x": expr}).to_pyarrow()["x"].to_pylist()
    _assert_numpys(expr, frame, got)


@st.composite
def nested(draw: st.DrawFn, depth: int = 0) -> str:
    """A rule nesting //, % and round (and a few of the rest) up to four levels."""
    if depth >= 4 or (depth > 0 and draw(st.integers(0, 3)) == 0):
        return draw(st.sampled_from(["a", "b", "t", "c", "2", "0.5", "3"]))
    kind = draw(st.sampled_from(["//", "%", "round", "//", "%", "/", "-", "*"]))
    x = draw(nested(depth + 1))
    if kind == "round":
        return f"round({x})"
    return f"({x}) {kind} ({draw(nested(depth + 1))})"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=nested(), seed=st.integers(0, 2**16))
def test_random_nested_rules_equal_the_pandas_path(expr, seed):
    """Rules nesting //, % and round four deep (each level once took a dozen times the SQL of
    the one below), over hostile values: the engine gives numpy's bits."""
    frame = _hostile_frame(seed).sample(60, random_state=seed).reset_index(drop=True)
    got = with_rules(_table(frame), {"x": expr}).to_pyarrow()["x"].to_pylist()
    _assert_numpys(expr, frame, got)


def _sql_nodes(table) -> int:
    """Nodes of the SQL the engine is sent, as sqlglot parses it back: independent of how the
    rule was built."""
    return sum(1 for _ in sqlglot.parse_one(ibis.to_sql(table), dialect="duckdb").walk())


@pytest.mark.parametrize("wrap", ["a // ({})", "({}) % b", "round({})", "round(a // ({}))", "({}) % (b // t)",
                                  "max({}, a) % (b // 2)", "sqrt(abs({}) - t) / c"])
def test_the_sql_grows_linearly_with_the_nesting(wrap):
    """Each level adds the same number of SQL nodes: no level multiplies the one below (the old
    compilation wrote a // b in 8,565 nodes and a // (b // 2) in 2.8 million)."""
    table = _table(_hostile_frame().head(3))
    rule, sizes = "b", []
    for _ in range(6):
        rule = wrap.format(rule)
        sizes.append(_sql_nodes(with_rules(table, {"x": rule})))
    steps = np.diff(sizes)
    assert steps.max() <= 1.5 * steps.min(), (wrap, sizes)
    assert sizes[-1] <= 8 * sizes[0], (wrap, sizes)


def test_helper_columns_are_dropped_and_never_overwrite_a_column():
    """The table may already hold a column named like a helper; several rules share one table."""
    frame = pd.DataFrame({"a": [7.0, -7.5, 2.5], "b": [2.0, 2.0, -0.5], "_rule_h0": ["keep", "me", "<b>"]})
    rules = {"x": "round(a // (b // 2))", "y": "(a % b) % 2 > 0", "z": "a"}
    out = with_rules(_table(frame), rules).to_pyarrow()
    assert out.column_names == ["a", "b", "_rule_h0", "x", "y", "z"]
    assert out["_rule_h0"].to_pylist() == ["keep", "me", "<b>"]
    for name, expr in rules.items():
        _assert_numpys(expr, frame, out[name].to_pylist())


def test_a_rule_past_the_size_backstop_is_still_refused(monkeypatch):
    """RULE_SIZE_MAX stays as a backstop, counting the helper columns a rule needed too."""
    import xuanba.standard.engine_rules as er

    table = _table(_hostile_frame().head(3))
    with_rules(table, {"x": "a // (b // 2)"})
    monkeypatch.setattr(er, "RULE_SIZE_MAX", 300)
    with pytest.raises(ExpressionError, match="too deeply nested") as err:
        with_rules(table, {"x": "a // (b // 2)"})
    assert err.value.phrase is not None and err.value.phrase.key == "err_expr_too_big_for_engine"
    with_rules(table, {"x": "a // 2"})  # one level stays under it


NESTED_STANDARD = ('[standard]\nname = "n"\nversion = "1"\n[[criteria]]\nname = "q"\n'
                   'field = "round(a // (b // 2))"\nweight = 60\nnormalise = "minmax"\n'
                   '[[criteria]]\nname = "r"\nfield = "((a % b) % t) // c"\nweight = 40\n'
                   'normalise = "percentile"\nmissing = "median"\n[[gates]]\nname = "g"\n'
                   'expr = "round(a // b) % 3 != 1"\n[[tiers]]\nname = "A"\nquota = 5\n')
"""A criterion and a gate nesting //, % and round."""


def nested_frame() -> pd.DataFrame:
    """80 customers of hostile values (those that overflow a score left out: missing instead)."""
    frame = _hostile_frame().replace([INF, -INF, 1e300, -1e300], np.nan).sample(80, random_state=3)
    frame.insert(0, "customer_id", [f"c{i:03d}" for i in range(len(frame))])
    return frame.reset_index(drop=True)


def test_a_standard_with_nested_rules_scores_on_the_engine_as_in_pandas():
    """Nested rules in a criterion and a gate: the engine's roster is the pandas path's."""
    std = load_standard(NESTED_STANDARD, extra_fields=("a", "b", "t", "c"))
    frame = nested_frame()
    want, got = score_customers(frame, std), score_in_engine(frame, std)
    assert got.info == want.info
    assert got.roster["gates_failed"].str.len().gt(0).any() and got.roster["selected"].any()
    for col in want.roster.columns:
        a, b = want.roster[col], got.roster[col]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col)
        else:
            assert b.tolist() == a.tolist(), col


def test_rules_over_writes_simple_rules_in_place_and_steps_for_nested_ones():
    """Simple rules stay expressions over the table given (the caller's own projection: the
    engine's roster keeps its few projections); a nested one brings a table step whose columns
    are the values; both equal with_rules' columns, and a failing rule is named on the error."""
    from xuanba.standard.engine_rules import rules_over

    frame = _hostile_frame().head(40)
    table = _table(frame)
    for rules, stepped in [({"x": "a > 0 and b <= 1", "y": "a - b", "z": "min(a, b)"}, False),
                           ({"x": "a > 0", "y": "round(a // (b // 2))"}, True)]:
        t, values = rules_over(table, rules)
        assert (t is not table) == stepped, rules
        got = t.select(**values).to_pyarrow()
        want = with_rules(table, rules).to_pyarrow()
        for name, expr in rules.items():
            assert got[name].to_pylist() == want[name].to_pylist(), expr
            _assert_numpys(expr, frame, got[name].to_pylist())
    with pytest.raises(ExpressionError) as err:
        rules_over(table, {"x": "a > 0", "y": "nosuch // 2"})
    assert err.value.rule == "y"


@pytest.mark.parametrize("where", ["criterion", "gate"])
def test_the_rosters_queries_grow_linearly_with_a_nested_rule_in_the_standard(where, monkeypatch):
    """A criterion's formula (percentile: read under the windows, after them, for the values by
    position and on the kept copy) or a gate nesting one more ``//``: the SQL of every query the
    roster runs grows at most linearly with the depth, as the roster stays the pandas path's — the
    nested rule is a step with helper columns wherever the standard reads it, never written out."""
    from xuanba.standard import engine

    rng = np.random.default_rng(5)  # small whole numbers, zeros of both signs, missing values: ties
    frame = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(80)],
                          "a": rng.choice([-3.0, -1.0, -0.0, 0.0, 1.0, 2.5, 4.0, 7.0, np.nan], 80),
                          "b": rng.choice([-2.0, -0.0, 0.0, 1.0, 3.0, 5.0, np.nan], 80)})
    sizes = []
    for depth in range(1, 5):
        rule = "a"
        for _ in range(depth):
            rule = f"b // ({rule})"
        crit, gate = (rule, "a > 0") if where == "criterion" else ("a", f"({rule}) != 1")
        std = load_standard('[standard]\nname = "n"\nversion = "1"\n[[criteria]]\nname = "q"\n'
                            f'field = "{crit}"\nweight = 1\nnormalise = "percentile"\n[[gates]]\nname = "g"\n'
                            f'expr = "{gate}"\n[[tiers]]\nname = "A"\nquota = 5\n', extra_fields=("a", "b"))
        nodes = []
        to_arrow = engine.to_arrow

        def record(expr, nodes=nodes, to_arrow=to_arrow):
            nodes.append(_sql_nodes(expr if isinstance(expr, ibis.expr.types.Table) else expr.as_table()))
            return to_arrow(expr)

        monkeypatch.setattr(engine, "to_arrow", record)
        got = score_in_engine(frame, std)
        monkeypatch.setattr(engine, "to_arrow", to_arrow)
        assert got.roster["rank"].tolist() == score_customers(frame, std).roster["rank"].tolist()
        sizes.append(sum(nodes))
    # the queries run move a little with the values (a figure read only when one customer holds
    # the top): no steady step, but no level multiplies the one below (``a // (b // 2)`` written
    # out was 2.8 million nodes)
    assert all(sizes[k] <= (k + 1) * sizes[0] for k in range(len(sizes))), (where, sizes)
