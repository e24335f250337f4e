"""The whole roster on the engine (xuanba.standard.engine.roster_expression / score_in_engine, DuckDB
through Ibis) against the pandas path (xuanba.standard.score.score_customers) as the oracle, on
random bases and random standards: ties, missing values, formulas, gates on numbers and text,
tiers by quota and by bar, capacity by count and by budget (exact and greedy). Rosters must be
identical (every text, flag and rank), numbers within 1e-9; and each rule compiled to Ibis must
give what the numpy evaluation gives."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.engine_rules import with_rules
from xuanba.standard.expressions import evaluate
from xuanba.standard.score import score_customers

FIELDS = ("a", "b", "t", "cost", "seg")
# each example runs a dozen engine queries: a failing example is reported as found, not shrunk
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

ROW = st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.one_of(st.none(), st.integers(-3, 3)),
                st.one_of(st.none(), st.integers(0, 2)), st.one_of(st.none(), st.integers(0, 4)),
                st.sampled_from(["x", "y", "", None, "<b>=1+1</b>"]))

CRITERIA = [("a", "percentile"), ("b", "percentile"), ("a", "minmax"), ("b", "zscore"), ("a", "bands"),
            ("a - b", "percentile"), ("a / b", "minmax"), ("coalesce(b, 1) * 2", "zscore"), ("t", "percentile")]
GATES = ["a > 1", "b >= 0 or a == 6", "seg == 'x'", "seg != 'y'", "not isnull(b)", "seg in ['x', '']",
         "a / b > 0.5", "abs(b) < 2 and t != 1"]
BANDS = "bands = [[0, 0], [2, 30], [4, 80], [6, 100]]\n"


def _frame(rows: list[tuple]) -> pd.DataFrame:
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 5
    out = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(len(rows))]})
    for name, values in zip(FIELDS[:4], cols[:4], strict=True):
        out[name] = [np.nan if v is None else float(v) for v in values]
    out["seg"] = pd.Series(list(cols[4]), dtype=object)
    return out


@st.composite
def standards(draw: st.DrawFn) -> str:
    text = '[standard]\nname = "p"\nversion = "1"\n'
    n = draw(st.integers(1, 3))
    picks = draw(st.lists(st.sampled_from(range(len(CRITERIA))), min_size=n, max_size=n, unique=True))
    weights = [draw(st.integers(1, 30)) for _ in range(n - 1)]
    weights.append(100 - sum(weights))  # a standard's weights sum to 100
    for i, k in enumerate(picks):
        field, how = CRITERIA[k]
        text += (f'[[criteria]]\nname = "c{i}"\nfield = "{field}"\nweight = {weights[i]}\n'
                 f'normalise = "{how}"\n')
        if how == "bands":
            text += BANDS
        text += f'direction = "{draw(st.sampled_from(["higher", "lower"]))}"\n' if how != "bands" else ""
        text += f'group = "{draw(st.sampled_from(["", "value", "potential"]))}"\n'
        text += f"private = {draw(st.sampled_from(['true', 'false']))}\n"
        miss = draw(st.sampled_from(['"zero"', '"median"', "1.5"]))
        text += f"missing = {miss}\n"
    for i, g in enumerate(draw(st.lists(st.sampled_from(GATES), max_size=2, unique=True))):
        text += f'[[gates]]\nname = "g{i}"\nexpr = "{g}"\n'
    bar = 100
    for i in range(draw(st.integers(0, 3))):
        text += f'[[tiers]]\nname = "T{i}"\n'
        kind = draw(st.sampled_from(["quota", "share", "bar", "both"]))
        kind = "quota" if kind == "bar" and bar == 0 else kind
        if kind in ("quota", "both"):
            text += f"quota = {draw(st.integers(1, 8))}\n"
        if kind == "share":
            text += f'quota = "{draw(st.integers(5, 60))}%"\n'
        if kind in ("bar", "both") and bar > 0:  # bars fall from tier to tier
            bar = draw(st.integers(0, bar - 1))
            text += f"min_score = {bar}\n"
    tie = draw(st.sampled_from(["", "t desc", "t asc", "a desc"]))
    if tie:
        text += f'[tie_break]\norder = ["{tie}"]\n'
    cap = draw(st.sampled_from(["", "count", "budget", "both", "objective"]))
    if cap:
        text += "[capacity]\n"
        if cap in ("count", "both"):
            text += f"max_accounts = {draw(st.integers(1, 6))}\n"
        if cap in ("budget", "both", "objective"):
            text += f'cost_field = "cost"\nbudget = {draw(st.integers(1, 12))}\n'
        if cap == "objective":
            text += 'objective = "a"\n'
    return text


def _both(frame: pd.DataFrame, std) -> tuple:
    """The oracle's and the engine's result, or the same refusal (a DataError) from both."""
    from xuanba.errors import DataError

    try:
        oracle = score_customers(frame, std)
    except DataError as exc:
        with pytest.raises(DataError) as got:
            score_in_engine(frame, std)
        assert got.value.message == exc.message
        return None, None
    return oracle, score_in_engine(frame, std)


def _same(oracle: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == list(oracle.columns)
    for col in oracle.columns:
        a, b = oracle[col], got[col]
        assert a.dtype == b.dtype, col
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col)
        else:
            assert b.tolist() == a.tolist(), col


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=NO_SHRINK)
@given(rows=st.lists(ROW, min_size=1, max_size=30), text=standards())
def test_engine_roster_equals_score_customers(rows, text):
    std = load_standard(text, extra_fields=FIELDS)
    oracle, got = _both(_frame(rows), std)
    if oracle is None:
        return
    _same(oracle.roster, got.roster)
    _same(oracle.contributions, got.contributions)
    assert got.info == oracle.info
    np.testing.assert_allclose(got.matrix, oracle.matrix, atol=1e-9)
    # the fields come sorted by id: each roster row's place in them comes with the roster, the oracle's
    assert got.order is not None and got.order.tolist() == oracle.order.tolist()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=NO_SHRINK)
@given(rows=st.lists(ROW, min_size=2, max_size=30), text=standards(), seed=st.integers(0, 2**16))
def test_fields_not_sorted_by_id_or_with_an_id_twice_score_as_sorted_ones(rows, text, seed):
    """Fields whose ids do not ascend (shuffled, or sorted with one id twice) are not numbered by
    row (rows_by_id): the engine counts their ids itself, refusing the one given twice as the oracle
    does, and a shuffled base gives the roster of the sorted one, without the rows' places."""
    from xuanba.errors import DataError
    from xuanba.standard.engine import rows_by_id, select_in_engine

    std = load_standard(text, extra_fields=FIELDS)
    frame = _frame(rows)
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if shuffled["customer_id"].is_monotonic_increasing:
        shuffled = frame.iloc[::-1].reset_index(drop=True)
    assert rows_by_id(pa.Table.from_pandas(shuffled), "customer_id")[1] is None
    oracle, got = _both(shuffled, std)
    if oracle is not None:
        _same(oracle.roster, got.roster)
        assert got.order is None and got.info == oracle.info
    twice = frame.copy()
    twice.loc[1, "customer_id"] = twice.loc[0, "customer_id"]  # still ascending, not strictly
    assert rows_by_id(pa.Table.from_pandas(twice), "customer_id")[1] is None
    with pytest.raises(DataError, match="more than once"):
        score_in_engine(twice, std)
    with pytest.raises(DataError, match="more than once"):  # the selection alone counts them too
        select_in_engine(twice, std)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=NO_SHRINK)
@given(rows=st.lists(ROW, min_size=4, max_size=30), text=standards())
def test_greedy_capacity_beyond_the_exact_limit_equals_the_oracle(rows, text, monkeypatch_module):
    """With the exact knapsack's limit at 2 candidates, a binding budget takes the greedy rule:
    the engine's cumulative-sum run plus the driver's rest equal the oracle's item-by-item loop."""
    std = load_standard(text, extra_fields=FIELDS)
    oracle, got = _both(_frame(rows), std)
    if oracle is None:
        return
    assert got.info == oracle.info
    _same(oracle.roster, got.roster)


@pytest.fixture(scope="module")
def monkeypatch_module():
    import xuanba.standard.score as score

    mp = pytest.MonkeyPatch()
    mp.setattr(score, "EXACT_KNAPSACK_MAX", 2)
    yield mp
    mp.undo()


def test_greedy_is_used_and_skips_an_item_that_no_longer_fits(monkeypatch):
    """A budget of 10 over costs 6, 5, 4 (scores 100, 50, 0 excluded as worth nothing): the
    greedy takes the best value per cost first, skips what does not fit, takes a later one that does."""
    import xuanba.standard.score as score

    monkeypatch.setattr(score, "EXACT_KNAPSACK_MAX", 1)
    std = load_standard('[standard]\nname = "g"\nversion = "1"\n[[criteria]]\nname = "c"\nfield = "a"\n'
                        'weight = 1\nnormalise = "minmax"\n[[tiers]]\nname = "A"\nmin_score = 0\n'
                        '[capacity]\ncost_field = "cost"\nbudget = 10\n', extra_fields=FIELDS)
    frame = pd.DataFrame({"customer_id": ["p", "q", "r", "s"], "a": [10.0, 9.0, 5.0, 0.0],
                          "cost": [6.0, 6.0, 4.0, 1.0]})
    got = score_in_engine(frame, std)
    assert got.info["capacity_method"] == "greedy"
    assert got.roster.set_index("customer_id")["selected"].to_dict() == {"p": True, "q": False, "r": True, "s": False}
    assert got.roster.equals(score_customers(frame, std).roster)


# constants are non-negative: an engine may fold a constant negative zero (0 * -1.5) to +0, and a
# division by it then differs in sign from numpy's (a negative zero from the data is kept: see
# test_a_negative_zero_from_the_data_flips_a_division_as_numpy)
NUMS = st.sampled_from(["a", "b", "t", "0", "2", "1.5", "0.5"])


def _compiled(expr: str, table) -> pa.ChunkedArray:
    """The rule compiled to Ibis and run by the table's engine."""
    return with_rules(table, {"x": expr}).to_pyarrow()["x"]


@st.composite
def formulas(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(NUMS)
    kind = draw(st.sampled_from(["bin", "fn1", "fn2", "if", "neg"]))
    x = draw(formulas(depth + 1))
    if kind == "neg":
        return f"-({draw(st.sampled_from(['a', 'b', 't']))})"
    if kind == "fn1":
        return f"{draw(st.sampled_from(['abs', 'log', 'log1p', 'sqrt', 'round']))}({x})"
    y = draw(formulas(depth + 1))
    if kind == "fn2":
        return f"{draw(st.sampled_from(['min', 'max', 'coalesce']))}({x}, {y})"
    if kind == "if":
        return f"({x}) if ({draw(rule_tests(depth + 1))}) else ({y})"
    return f"({x}) {draw(st.sampled_from(['+', '-', '*', '/', '//', '%']))} ({y})"


@st.composite
def rule_tests(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["cmp", "cmp", "in", "text", "and", "not", "null"]))
    if kind == "cmp" or depth > 2:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"({draw(formulas(depth + 1))}) {op} ({draw(formulas(depth + 1))})"
    if kind == "in":
        return f"a {draw(st.sampled_from(['in', 'not in']))} [1, 3, 'x']"
    if kind == "text":
        return draw(st.sampled_from(["seg == 'x'", "seg != 'x'", "seg in ['y', '']", "seg > 1", "not seg",
                                     "seg not in ['x']", "isnull(seg)"]))
    if kind == "not":
        return f"not ({draw(rule_tests(depth + 1))})"
    if kind == "null":
        return f"{draw(st.sampled_from(['isnull', 'notnull']))}({draw(st.sampled_from(['a', 'b', 'a / b', 'b - 1']))})"
    return f"({draw(rule_tests(depth + 1))}) {draw(st.sampled_from(['and', 'or']))} ({draw(rule_tests(depth + 1))})"


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=12), expr=st.one_of(formulas(), rule_tests()))
@example(rows=[(0, 1, 0, 0, "x")], expr="(log(0)) % ((2) + (a))")  # -inf % y: the engine's cast of floor(-inf) failed
@example(rows=[(1, -1, 0, 0, "x"), (0, 2, 1, 0, None)], expr="(2) / ((-(a)) % ((2) / (0)))")
def test_a_rule_compiled_to_ibis_gives_what_numpy_gives(rows, expr):
    """Missing values, division by zero, Python's % and //, halves rounded to even, text
    against numbers: the compiled rule and the numpy evaluation agree row by row."""
    frame = _frame(rows)
    want = np.asarray(evaluate(expr, frame))
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    got = _compiled(expr, table).to_numpy(zero_copy_only=False)
    if want.dtype == bool:
        assert got.astype(bool).tolist() == want.tolist(), expr
    else:
        want = want.astype(float)
        got = np.array([np.nan if v is None else v for v in got], dtype=float)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=expr)


def test_a_negative_zero_from_the_data_flips_a_division_as_numpy():
    frame = pd.DataFrame({"a": [0.0, 0.0, 2.0, -1.0], "b": [-1.0, 1.0, -3.0, 0.0]})
    expr = "(2 - a) / (a * b)"  # 2 / -0.0 = -inf, 2 / +0.0 = +inf, ..., 3 / -0.0
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    got = _compiled(expr, table).to_pylist()
    assert got == evaluate(expr, frame).tolist() == [-np.inf, np.inf, -0.0, -np.inf]


def test_modulo_and_floor_division_with_infinities_and_zeros_are_numpys_bit_for_bit():
    """numpy's ``%`` and ``//`` of floats (``npy_divmod``): an infinite dividend gives NaN, a
    finite one over an infinite divisor keeps or flips, a zero remainder takes the divisor's
    sign and a zero quotient that of ``a / b`` (both seen through a division by them), huge
    quotients stay whole; the compiled rule gives the same bits, signs of zero included."""
    frame = pd.DataFrame({"a": [0.0, 1.0, -2.0, 2.0, np.nan, 3.0], "b": [1.0, -1.0, 3.0, -1.0, 0.0, -2.0]})
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    exprs = ["log(0) % (2 + a)", "(2 / 0) % 2", "a % (2 / 0)", "-(a) % (2 / 0)", "(2 - a) % b", "1 / (a % b)",
             "a // (2 / 0)", "1 / (-(a) // (2 / 0))", "1 / (a // 3)", "(a * 1e300) // 1e-300",
             "(a * 1e300) % 1e-300", "round(a * 1e20)", "round(2.5 + a)", "-(a) // 0", "-(b) // (a + 0.5)",
             "-(b) % (a + 0.5)", "a % 0", "1 / round(0.2 - a)", "1 / round(-(a) * 0.25)", "round(-(a) - 0.5)"]
    for expr in exprs:
        with np.errstate(all="ignore"):
            want = np.asarray(evaluate(expr, frame), dtype=float)
        got = _compiled(expr, table).to_pylist()
        got = np.array([np.nan if v is None else v for v in got])
        assert np.array_equal(got, want, equal_nan=True), (expr, got, want)
        num = ~np.isnan(want)
        assert np.signbit(got[num]).tolist() == np.signbit(want[num]).tolist(), expr


def test_a_hostile_field_name_or_text_stays_data():
    """A text value that looks like SQL or markup is compared as text; a rule cannot reach the
    engine as code (unknown names and calls are refused before anything is compiled)."""
    from xuanba.standard.expressions import ExpressionError

    frame = pd.DataFrame({"customer_id": ["a", "b"], "seg": ["x'; DROP TABLE t; --", "y"]})
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    rule = "seg == \"x'; DROP TABLE t; --\""
    assert _compiled(rule, table).to_pylist() == [True, False]
    for bad in ("__import__('os')", "seg.upper()", "nosuch > 1"):
        with pytest.raises(ExpressionError):
            with_rules(table, {"x": bad})


def test_a_round_scored_on_the_engine_stores_the_pandas_roster_and_verifies(tmp_path):
    """run_round(scoring_engine="duckdb") stores the roster the pandas path gives (ranks, tiers,
    texts equal; numbers within 1e-9), records the engine, and its check rescores the same way:
    the stored roster replays byte for byte; an edited figure is caught."""
    from tests.test_rounds import make_transactions, predictions_for, store_tx
    from xuanba import Workspace
    from xuanba.rounds import run_round
    from xuanba.rounds.fairness import verify_round
    from xuanba.standard import starter_standard

    tx = make_transactions(n=80)
    rounds = {}
    for how in ("pandas", "duckdb"):
        path = tmp_path / f"{how}.duckdb"
        store_tx(path, tx)
        rounds[how] = run_round(path, starter_standard("en"), "2026-03-31", predictions=predictions_for(tx.customer_id),
                                check_model=False, scoring_engine=how)
        proof = verify_round(path)
        assert proof["verified"] and proof["roster"], how
    assert rounds["duckdb"].meta["scoring_engine"] == "duckdb" and rounds["pandas"].meta["scoring_engine"] == "pandas"
    _same(rounds["pandas"].roster, rounds["duckdb"].roster)
    assert rounds["pandas"].meta["n_selected"] == rounds["duckdb"].meta["n_selected"]
    with Workspace(tmp_path / "duckdb.duckdb") as ws, ws.transaction() as con:
        con.execute("UPDATE round_fields SET revenue_365d = revenue_365d * 100 "
                    "WHERE customer_id = (SELECT min(customer_id) FROM round_fields)")
    proof = verify_round(tmp_path / "duckdb.duckdb")
    assert not proof["verified"] and not proof["data"]


def test_the_next_double_above_is_numpys_nextafter():
    """The cheapest change under the percentile rule is 'just above' a value: the engine's
    arithmetic next double equals numpy's nextafter bit for bit (powers of two, negatives, zero)."""
    from xuanba.standard.engine import _next_up

    x = np.array([1.0, 1.5, -1.0, -2.0, 0.1, -0.1, 1e300, -3.0, 4.0, 0.0, 123.456, -1e-300, 2.0**-1000, 7e15])
    table = ibis.memtable(pa.table({"x": x}))
    got = table.select(y=_next_up(table.x)).to_pyarrow()["y"].to_numpy()
    assert got.tobytes() == np.nextafter(x, np.inf).tobytes()


def test_duckdbs_next_double_above_is_numpys_nextafter_on_every_double():
    """On DuckDB the cheapest change reads DuckDB's own nextafter (one call instead of the
    exponent arithmetic): numpy's bit for bit, subnormals, zeros of both signs and -inf included."""
    from xuanba.standard.engine import _next_above

    tiny = np.nextafter(0.0, 1.0)
    x = np.array([1.0, -1.0, -2.0, 0.1, 0.0, -0.0, tiny, -tiny, 2.0**-1022, -(2.0**-1022), 2.0**-1030,
                  1e308, np.finfo(float).max, -np.inf, np.inf, 7e15, -123.456])
    table = ibis.memtable(pa.table({"x": x}))
    got = table.select(y=_next_above(table.x, None, native=True)).to_pyarrow()["y"].to_numpy()
    with np.errstate(over="ignore"):  # the largest double's next is inf
        assert got.tobytes() == np.nextafter(x, np.inf).tobytes()
