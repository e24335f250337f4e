"""The edge rules of the standard (docs/standard.md, "Edge cases"), one rule per case and both
implementations following it: the engine (``score_in_engine``, DuckDB) and its pandas reference
(``score_customers``). Each test asserts the rule against an independent computation (plain
Python, fractions, a brute-force knapsack) and then that the two agree on every roster column,
the info and the contributions. The cases come from the attack of session 13 (F1 … F15).
"""

from __future__ import annotations

import itertools
import math
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from xuanba.errors import DataError
from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers

FIELDS = ("a", "b", "t", "cost", "seg")
ONE = [{"field": "a", "weight": 1}]


def _standard(criteria, *, gates=(), tiers=(), extra="", fields=FIELDS):  # noqa: ANN001, ANN202
    """A standard from plain dicts (values written as TOML)."""

    def toml(v):  # noqa: ANN001, ANN202
        return f'"{v}"' if isinstance(v, str) else str(v)

    text = '[standard]\nname = "edge"\nversion = "1"\n'
    for i, c in enumerate(criteria):
        text += f'[[criteria]]\nname = "c{i}"\n' + "".join(
            f"{k} = {toml(v)}\n" for k, v in c.items()
        )
    for i, g in enumerate(gates):
        text += f'[[gates]]\nname = "g{i}"\nexpr = "{g}"\n'
    for i, t in enumerate(tiers):
        text += f'[[tiers]]\nname = "T{i}"\n' + "".join(f"{k} = {toml(v)}\n" for k, v in t.items())
    return load_standard(text + extra, extra_fields=fields)


def _outcome(fn, frame, std):  # noqa: ANN001, ANN202
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(frame, std)
    except Exception as exc:  # noqa: BLE001 - a refusal is an outcome to compare
        return exc


def both(frame: pd.DataFrame, std):  # noqa: ANN001, ANN201
    """The reference's and the engine's result, after asserting that they are the same: the same
    refusal (type and words), or the same roster (texts, flags and ranks identical, numbers within
    1e-9), info and contributions. Returns the reference's result (or its error)."""
    want, got = _outcome(score_customers, frame, std), _outcome(score_in_engine, frame, std)
    if isinstance(want, Exception) or isinstance(got, Exception):
        assert (type(got).__name__, str(got)) == (type(want).__name__, str(want))
        return want
    a, b = want.roster, got.roster
    assert list(b.columns) == list(a.columns)
    for col in a.columns:
        if a[col].dtype.kind == "f":
            rtol = 0 if col in ("score", "value_score", "potential_score", "gap_to_next") else 1e-12
            np.testing.assert_allclose(
                b[col].to_numpy(float), a[col].to_numpy(float), rtol=rtol, atol=1e-9, err_msg=col
            )
        else:
            assert b[col].tolist() == a[col].tolist(), col
    assert got.info == want.info
    np.testing.assert_allclose(got.matrix, want.matrix, rtol=0, atol=1e-9)
    a, b = want.contributions, got.contributions
    assert b["customer_id"].tolist() == a["customer_id"].tolist()
    for col in ("raw", "normalised", "weight", "contribution"):
        np.testing.assert_allclose(
            b[col].to_numpy(float), a[col].to_numpy(float), rtol=0, atol=1e-9, err_msg=col
        )
    return want


def _ids(n: int) -> list[str]:
    return [f"c{i:03d}" for i in range(n)]


def _by_id(result, col: str) -> dict:  # noqa: ANN001
    return dict(zip(result.roster["customer_id"], result.roster[col], strict=True))


# -- gates: a missing value is false -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "gate", "holds"),
    [
        (["x", None, "b"], "seg >= 'a'", lambda v: v >= "a"),
        ([Decimal("1.5"), None, Decimal("0.5")], "seg > 1", lambda v: v > 1),
        (["x", None, "b"], "seg < 'c'", lambda v: v < "c"),
    ],
    ids=["text", "decimal", "text-lt"],
)
def test_an_ordering_gate_fails_only_the_customer_without_a_value(column, gate, holds):
    """F1: one customer lacks the value an ordering gate reads (text, or a DECIMAL column that
    reaches pandas as Decimal objects): that customer alone fails, the others are compared."""
    frame = pd.DataFrame({"customer_id": ["x", "y", "z"], "a": [1.0, 2.0, 0.0], "seg": column})
    r = both(frame, _standard(ONE, gates=(gate,), tiers=({"quota": 5},)))
    expected = {
        cid: "" if v is not None and holds(v) else "g0"
        for cid, v in zip(frame["customer_id"], column, strict=True)
    }
    assert _by_id(r, "gates_failed") == expected


@pytest.mark.parametrize("gate", ["a", "a / b", "(a - a) / 0", "not a"])
def test_a_gate_whose_value_is_a_missing_number_is_false(gate):
    """F2: a gate whose value is a number holds when it is neither 0 nor missing; a missing
    value (NaN, 0 / 0) is false, as ``not``, ``and`` and ``or`` already took it."""
    a, b = [1.0, np.nan, 0.0, 2.0], [1.0, 1.0, 0.0, 0.0]
    frame = pd.DataFrame({"customer_id": _ids(4), "a": a, "b": b})
    r = both(frame, _standard(ONE, gates=(gate,), tiers=({"quota": 4},)))

    def value(x: float, y: float) -> float:  # the rule's value in plain Python
        if gate == "a" or gate == "not a":
            return x
        if gate == "a / b":
            return math.nan if math.isnan(x) or (x == 0 and y == 0) else (x / y if y else math.inf)
        return math.nan  # (a - a) / 0: 0 / 0 or NaN

    def passes(x: float, y: float) -> bool:
        v = value(x, y)
        true = not math.isnan(v) and v != 0
        return (not true) if gate == "not a" else true

    expected = {cid: "" if passes(x, y) else "g0" for cid, x, y in zip(_ids(4), a, b, strict=True)}
    assert _by_id(r, "gates_failed") == expected


@pytest.mark.parametrize("where", ["criterion", "gate"])
def test_a_nullable_boolean_is_one_zero_or_missing(where):
    """F12: pandas' nullable booleans: True is 1, False 0 and a missing one missing (0 points,
    the gate false)."""
    seg = pd.array([True, None, False], dtype="boolean")
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [1.0, 2.0, 3.0], "seg": seg})
    if where == "criterion":
        r = both(frame, _standard([{"field": "seg", "weight": 1, "normalise": "minmax"}]))
        assert _by_id(r, "score") == {"c000": 100.0, "c001": 0.0, "c002": 0.0}
        raw = _by_id(r, "c0")
        assert (raw["c000"], math.isnan(raw["c001"]), raw["c002"]) == (1.0, True, 0.0)
    else:
        r = both(frame, _standard(ONE, gates=("seg",), tiers=({"quota": 3},)))
        assert _by_id(r, "gates_failed") == {"c000": "", "c001": "g0", "c002": "g0"}


def test_true_and_false_in_a_list_are_one_and_zero():
    """F13: ``in [True]`` matches what ``== True`` matches: the number 1 and a true flag."""
    frame = pd.DataFrame(
        {"customer_id": _ids(4), "a": [0.0, 1.0, 3.0, np.nan], "seg": [True, False, True, False]}
    )
    std = _standard(ONE, gates=("a in [True]", "seg in [True]"), tiers=({"quota": 4},))
    r = both(frame, std)
    expected = {}
    for cid, a, seg in zip(frame["customer_id"], frame["a"], frame["seg"], strict=True):
        failed = [g for g, ok in (("g0", a == 1), ("g1", seg is True or seg == 1)) if not ok]
        expected[cid] = "; ".join(failed)
    assert _by_id(r, "gates_failed") == expected


# -- numbers ------------------------------------------------------------------------------------


def test_zscore_reads_the_exact_mean_and_sd_far_from_zero():
    """F3: values like epoch milliseconds (1.7e12, spread about 300): the mean and sd are the
    exact two-pass figures (each sum correctly rounded), so every score equals the one computed
    from the exact mean and sd (fractions)."""
    rng = np.random.default_rng(1)
    v = 1.7e12 + rng.integers(0, 1000, 50).astype(float) + rng.random(50)
    frame = pd.DataFrame({"customer_id": _ids(50), "a": v})
    std = _standard([{"field": "a", "weight": 1, "normalise": "zscore"}], tiers=({"quota": 10},))
    r = both(frame, std)
    exact = [Fraction(x) for x in v]
    mean = float(sum(exact) / len(exact))  # the exact sum, rounded once
    var = float(sum((Fraction(x) - Fraction(mean)) ** 2 for x in v) / len(v))
    sd = math.sqrt(var)
    want = {
        cid: round(100.0 * min(max(((x - mean) / sd + 3.0) / 6.0, 0.0), 1.0), 6)
        for cid, x in zip(_ids(50), v, strict=True)
    }
    got = _by_id(r, "score")
    assert max(abs(got[c] - want[c]) for c in want) <= 1e-9


@pytest.mark.parametrize(
    ("values", "criterion"),
    [
        ([1e160, 2.0, 3.0], {"field": "a", "weight": 1}),
        ([1e200, 0.0, 3e200, 5.0], {"field": "a", "weight": 1, "normalise": "zscore"}),
        ([np.nan, 1.0, 2.0], {"field": "a", "weight": 1, "missing": 1e200}),
    ],
)
def test_values_whose_spread_overflows_are_refused_by_both(values, criterion):
    """F4: values whose squares pass the largest double (beyond about 1e154): the spread cannot
    be taken, and both refuse the criterion by name with the same DataError."""
    frame = pd.DataFrame({"customer_id": _ids(len(values)), "a": values})
    out = both(frame, _standard([criterion], tiers=({"quota": 2},)))
    assert isinstance(out, DataError) and "'c0'" in str(out) and "too large" in str(out)


# ten criteria's points of one customer whose score lies on a rounding edge (found by search)
EDGE = [
    0.9510229811957994,
    0.3994252615788064,
    0.9364420618420031,
    0.5561597755338971,
    0.24013532830277584,
    0.7414216700278128,
    0.6743897148867628,
    0.6842052123845983,
    0.46382436008336725,
    0.1839403841641754,
]


def test_the_score_adds_the_criteria_left_to_right():
    """F5: ten criteria whose points put a score on a half-millionth edge: the score is the
    contributions added in the standard's order, left to right, then rounded (numpy's row sum
    pairs them and gave 58.309667 against 58.309668)."""
    y = [*EDGE[:-1], EDGE[-1] + 0.4e-6 / 10.0]
    cols = {f"v{j}": [0.0, 1.0, EDGE[j], y[j]] for j in range(len(EDGE))}
    frame = pd.DataFrame({"customer_id": ["lo", "hi", "x", "y"], **cols})
    std = _standard(
        [{"field": f"v{j}", "weight": 0.1, "normalise": "minmax"} for j in range(len(EDGE))],
        tiers=({"quota": 2},),
        fields=tuple(cols),
    )
    r = both(frame, std)
    shares = std.weight_shares
    for cid, points in (("x", EDGE), ("y", y)):
        total = 0.0
        for j, p in enumerate(points):
            total = total + 100.0 * shares[f"c{j}"] * p
        assert _by_id(r, "score")[cid] == round(total, 6)


@pytest.mark.parametrize("expr", ["a ** 0 + b", "1 ** a + b", "a ** b"])
def test_a_power_with_a_missing_value_is_missing(expr):
    """F10: ``**`` with a missing operand is missing (0 points), as every other operator;
    numpy's ``NaN ** 0`` and ``1 ** NaN`` are 1."""
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [np.nan, 2.0, 3.0], "b": [5.0, 1.0, 2.0]})
    r = both(frame, _standard([{"field": expr, "weight": 1}], tiers=({"quota": 1},)))
    raw = _by_id(r, "c0")
    assert math.isnan(raw["c000"])
    a, b = 2.0, 1.0
    assert raw["c001"] == eval(expr, {"a": a, "b": b})  # noqa: S307 - a fixed test expression
    assert _by_id(r, "score")["c000"] == 0.0


def test_log1p_keeps_tiny_values_apart():
    """F9: ``log1p`` of tiny values keeps them apart (the engine has no log1p: ``ln(1 + x)``
    corrected by ``x / ((1 + x) - 1)``), so percentile ranks follow the values."""
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [0.0, 1e-20, 1e-18]})
    r = both(frame, _standard([{"field": "log1p(a)", "weight": 1}], tiers=({"quota": 1},)))
    assert _by_id(r, "score") == {"c000": 0.0, "c001": 50.0, "c002": 100.0}


def test_log1p_on_the_engine_is_within_two_units_in_the_last_place():
    """The documented accuracy of ``log1p`` on the engine, against numpy's on a spread of values."""
    import ibis
    import pyarrow as pa

    from xuanba.standard.engine_rules import with_rules

    x = np.concatenate(
        [
            np.geomspace(1e-300, 1e300, 400),
            -np.geomspace(1e-300, 0.999, 200),
            np.random.default_rng(0).random(200) * 10,
        ]
    )
    got = with_rules(ibis.memtable(pa.table({"x": x})), {"y": "log1p(x)"}).to_pyarrow()["y"]
    got = got.to_numpy(zero_copy_only=False)
    want = np.log1p(x)
    ulps = np.abs(got - want) / np.spacing(np.abs(want))
    assert float(np.max(ulps[want != 0])) <= 2 and (got[want == 0] == 0).all()


# -- text read as a number, dates ------------------------------------------------------------


TEXT_NUMBERS = [
    ("5", 5.0),
    (" 7 ", 7.0),
    ("\t-1.5e3", -1500.0),
    ("+.5", 0.5),
    ("3.", 3.0),
    ("5_000", None),
    ("1,000", None),
    ("inf", None),
    ("nan", None),
    ("0x10", None),
    ("", None),
    ("x", None),
    ("1e400", math.inf),
]


def test_text_reads_as_a_number_by_one_pattern_on_both():
    """F6, F7b, F8c: text is a number when it is a plain decimal number (sign, point, exponent,
    spaces around); anything else is missing, on both implementations."""
    import ibis
    import pyarrow as pa

    from xuanba.standard.engine_rules import text_number
    from xuanba.standard.expressions import to_number

    texts = [s for s, _ in TEXT_NUMBERS] + [None]
    want = [math.nan if v is None else v for _, v in TEXT_NUMBERS] + [math.nan]
    oracle = to_number(pd.Series(texts, dtype=object)).tolist()
    t = ibis.memtable(pa.table({"s": pa.array(texts, pa.string())}))
    engine = [
        math.nan if v is None else v
        for v in t.select(x=text_number(t.s)).to_pyarrow()["x"].to_pylist()
    ]
    same = [(w, o, e) for w, o, e in zip(want, oracle, engine, strict=True)]
    assert all(
        (math.isnan(w) and math.isnan(o) and math.isnan(e)) or w == o == e for w, o, e in same
    ), same


def test_a_text_objective_reads_5_000_as_missing():
    """F8c: an objective of text: ``5_000`` is not a plain number, so it is missing (objective
    0) and the two highest readable objectives are kept."""
    t = ["5_000", "1", "2", "3", "4", "5"]
    frame = pd.DataFrame({"customer_id": list("abcdef"), "a": [1.0, 2, 3, 4, 5, 6], "t": t})
    std = _standard(
        ONE, tiers=({"quota": 6},), extra='[capacity]\nmax_accounts = 2\nobjective = "t"\n'
    )
    r = both(frame, std)
    assert sorted(r.roster.loc[r.roster["selected"], "customer_id"]) == ["e", "f"]


def test_a_text_tie_break_orders_its_numbers_and_puts_the_rest_last():
    """F7b: a tie-break field of text: the numbers it reads as, the others missing (last)."""
    frame = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "a": [1.0] * 4, "t": ["2", "x", " 1 ", "1_0"]}
    )
    r = both(frame, _standard(ONE, extra='[tie_break]\norder = ["t asc"]\n'))
    assert r.roster["customer_id"].tolist() == ["c", "a", "b", "d"]  # 1, 2, then b and d by id


@pytest.mark.parametrize(
    ("column", "extra", "what"),
    [
        ("t", '[tie_break]\norder = ["t asc"]\n', "tie-break field 't'"),
        ("cost", '[capacity]\ncost_field = "cost"\nbudget = 2\n', "capacity cost_field 'cost'"),
        ("t", '[capacity]\nmax_accounts = 1\nobjective = "t"\n', "capacity objective 't'"),
    ],
)
def test_a_date_column_where_a_number_is_read_is_refused(column, extra, what):
    """F6b: a date column as a tie-break, a cost or an objective is refused by both, naming it
    (pandas would read nanoseconds, the engine could not cast it)."""
    days = pd.to_datetime(["2020-01-01", "2021-01-01", None])
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [1.0, 2.0, 3.0], column: days})
    out = both(frame, _standard(ONE, tiers=({"quota": 3},), extra=extra))
    assert isinstance(out, DataError) and str(out).startswith(f"{what} is a date")


def test_a_date_or_text_criterion_is_refused_by_both():
    """A criterion that is a plain date or text column is refused, even when every text reads
    as a number (the engine refuses the column's type)."""
    for values in (pd.to_datetime(["2020-01-01", "2021-01-01", None]), ["5", "7", "1"]):
        frame = pd.DataFrame({"customer_id": _ids(3), "a": [1.0, 2.0, 3.0], "b": values})
        out = both(frame, _standard([{"field": "b", "weight": 1}]))
        assert isinstance(out, DataError) and "is not a number" in str(out)


# -- infinite values in a tie-break and in capacity ----------------------------------------------


@pytest.mark.parametrize(
    ("t", "how"),
    [
        ([np.nan, np.inf, 1.0], "asc"),
        ([np.nan, -np.inf, 1.0], "desc"),
        ([np.inf, np.nan, -np.inf], "asc"),
    ],
)
def test_an_infinite_tie_break_value_is_a_value_before_the_missing_ones(t, how):
    """F7: equal scores; ``t`` orders them, an infinite value is a value like any other and the
    missing ones come last (then the id)."""
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "a": [1.0, 1.0, 1.0], "t": t})
    r = both(frame, _standard(ONE, extra=f'[tie_break]\norder = ["t {how}"]\n'))
    sign = 1.0 if how == "asc" else -1.0
    want = sorted(
        ["a", "b", "c"],
        key=lambda c: (math.isnan(v := t["abc".index(c)]), 0.0 if math.isnan(v) else sign * v, c),
    )
    assert r.roster["customer_id"].tolist() == want


def test_an_infinite_objective_counts_as_missing():
    """F8: ``objective = "t"`` with +inf: it counts as missing (objective 0), as a criterion's
    infinite value does, so the largest finite objective is kept."""
    t = [np.inf, np.finfo(float).max, 3, 4, 5, 6]
    frame = pd.DataFrame({"customer_id": list("abcdef"), "a": [1.0, 2, 3, 4, 5, 6], "t": t})
    std = _standard(
        ONE, tiers=({"quota": 6},), extra='[capacity]\nmax_accounts = 1\nobjective = "t"\n'
    )
    r = both(frame, std)
    assert r.roster.loc[r.roster["selected"], "customer_id"].tolist() == ["b"]


def test_an_infinite_objective_or_cost_under_a_budget_is_missing():
    """F8b: under a budget, an infinite objective counts as 0 and an infinite cost as a missing
    cost (the median); the kept set is the best one a brute force finds over every subset."""
    frame = pd.DataFrame(
        {
            "customer_id": _ids(6),
            "a": [1.0, 2, 3, 4, 5, 6],
            "t": [1.0, 2, 1, np.inf, 1, 1],
            "cost": [np.inf, 1.0, 2.0, np.nan, 0.5, -np.inf],
        }
    )
    std = _standard(
        ONE,
        tiers=({"quota": 6},),
        extra='[capacity]\ncost_field = "t"\nbudget = 2\nobjective = "cost"\n',
    )
    r = both(frame, std)
    cost = frame["t"].where(np.isfinite(frame["t"]))
    cost = cost.fillna(cost.median()).clip(lower=0).to_numpy()
    obj = frame["cost"].where(np.isfinite(frame["cost"]), 0.0).clip(lower=0).to_numpy()
    best = max(
        (
            s
            for k in range(7)
            for s in itertools.combinations(range(6), k)
            if cost[list(s)].sum() <= 2
        ),
        key=lambda s: obj[list(s)].sum(),
    )
    kept = set(r.roster.loc[r.roster["selected"], "customer_id"])
    assert math.isclose(sum(obj[_ids(6).index(c)] for c in kept), obj[list(best)].sum())


def test_the_exact_figures_hold_on_a_large_base_read_in_parallel():
    """F3 at 200,000 customers (DuckDB adds them in several threads): the engine's mean and sd
    are the correctly rounded ones, so every zscore score equals the reference's exactly."""
    rng = np.random.default_rng(7)
    n = 200_000
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:06d}" for i in range(n)],
            "a": 1.7e12 + rng.integers(0, 10**6, n) + rng.random(n),
            "b": rng.normal(30, 50, n),
        }
    )
    std = _standard(
        [
            {"field": "a", "weight": 0.5, "normalise": "zscore"},
            {"field": "b", "weight": 0.5, "normalise": "zscore", "direction": "lower"},
        ],
        tiers=({"quota": "5%"},),
    )
    want = score_customers(frame, std, contributions=False).roster
    got = score_in_engine(frame, std, contributions=False).roster
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert (got["score"].to_numpy() == want["score"].to_numpy()).all()


def test_a_connection_that_ignores_case_is_refused():
    """F14: xuanba compares text (ids, text gates) by its characters. A DuckDB connection of the
    user's with ``SET default_collation = 'nocase'`` would order ids and compare text its own
    way: the engine refuses it, saying how to reset it; reset, it gives the reference's roster."""
    import ibis
    import pyarrow as pa

    con = ibis.duckdb.connect()
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "B", "A", "b"],
            "a": [1.0, 1.0, 2.0, 2.0],
            "seg": ["B", "a", "c", "A"],
        }
    )
    std = _standard(ONE, gates=("seg < 'b'", "seg != 'A'"), tiers=({"quota": 4},))
    table = con.create_table("fields", pa.Table.from_pandas(frame, preserve_index=False))
    con.raw_sql("SET default_collation = 'nocase'")
    with pytest.raises(DataError, match="nocase") as err:
        score_in_engine(table, std)
    assert "SET default_collation = ''" in err.value.fix
    con.raw_sql("SET default_collation = ''")
    got, want = score_in_engine(table, std).roster, score_customers(frame, std).roster
    value, seg = (
        dict(zip(frame.customer_id, frame.a, strict=True)),
        dict(zip(frame.customer_id, frame.seg, strict=True)),
    )
    order = sorted(frame.customer_id, key=lambda c: (-value[c], c))  # Python: by code point
    assert got["customer_id"].tolist() == want["customer_id"].tolist() == order
    failed = {
        c: "; ".join(g for g, ok in (("g0", seg[c] < "b"), ("g1", seg[c] != "A")) if not ok)
        for c in order
    }
    assert got["gates_failed"].tolist() == want["gates_failed"].tolist() == list(failed.values())


@pytest.mark.parametrize("collation", ["binary", "C", "posix", "nfc", "noaccent", "en_us"])
def test_a_connection_collating_byte_by_byte_is_accepted_and_the_others_refused(collation):
    """``SET default_collation`` to ``binary``, ``c`` or ``posix`` (any case) is no collation to
    DuckDB (its binding skips those names): text compares by its characters, so the engine scores
    as on the default connection, gates on text included. 3ae5fe9 refused any name. The others
    (NFC, accents ignored, a language's) still order ids their own way and are refused."""
    import ibis
    import pyarrow as pa

    ids = ["b", "A", "a", "B", "\u00e9", "f", "E", "e", "e\u0301"]
    frame = pd.DataFrame({"customer_id": ids, "a": [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 3.0, 2.0, 1.0],
                          "seg": ["B", "a", "\u00e9", "A", "f", "e\u0301", "b", "E", "e"]})
    std = _standard(ONE, gates=("seg < 'b'",), tiers=({"quota": 5},))
    con = ibis.duckdb.connect()
    table = con.create_table("fields", pa.Table.from_pandas(frame, preserve_index=False))
    want = score_in_engine(table, std).roster
    con.raw_sql(f"SET default_collation = '{collation}'")
    if collation.lower() not in ("binary", "c", "posix"):
        with pytest.raises(DataError, match=collation):
            score_in_engine(table, std)
        return
    got = score_in_engine(table, std).roster
    pd.testing.assert_frame_equal(got, want)
    assert got["customer_id"].tolist() == score_customers(frame, std).roster["customer_id"].tolist()


def _scored_with_null_order(frame: pd.DataFrame, std: object, setting: str | None) -> pd.DataFrame:
    """The engine's roster of ``frame`` under ``std`` on a fresh DuckDB connection, with its
    ``default_null_order`` set to ``setting`` (DuckDB's own when ``None``)."""
    import ibis
    import pyarrow as pa

    con = ibis.duckdb.connect()
    table = con.create_table("fields", pa.Table.from_pandas(frame, preserve_index=False))
    if setting:
        con.raw_sql(f"SET default_null_order = '{setting}'")
    return score_in_engine(table, std).roster


@pytest.mark.parametrize("order", ["nulls_first", "nulls_first_on_asc_last_on_desc", "nulls_last_on_asc_first_on_desc"])
def test_a_connection_that_sorts_missing_values_first_ranks_as_the_default_one(order):
    """A DuckDB connection of the user's with ``SET default_null_order`` other than DuckDB's own
    (missing last): the rank still puts a missing tie-break value last, ascending and descending,
    so the roster is the default connection's and the reference's, rank for rank. e10203b left the
    order to the connection (its SQL said ``ASC``, not ``NULLS LAST``): missing values first."""

    rng = np.random.default_rng(5)
    n = 60
    t = rng.integers(0, 4, n).astype(float)
    t[rng.random(n) < 0.4] = np.nan
    b = rng.integers(0, 3, n).astype(float)
    b[rng.random(n) < 0.4] = np.nan
    frame = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in rng.permutation(n)],
                          "a": rng.integers(0, 3, n).astype(float), "t": t, "b": b})
    std = _standard(ONE, tiers=({"quota": "25%"},), extra='[tie_break]\norder = ["t asc", "b desc"]\n')
    default, ordered = (_scored_with_null_order(frame, std, setting) for setting in (None, order))
    want = score_customers(frame, std).roster
    # the order by hand: score down, t up then b down with missing values last, then the id
    def last(x: float, sign: float) -> tuple[bool, float]:  # a missing value after every value
        return (True, 0.0) if math.isnan(x) else (False, sign * x)

    key = {r.customer_id: (-r.a, last(r.t, 1), last(r.b, -1), r.customer_id) for r in frame.itertuples()}
    assert ordered["customer_id"].tolist() == default["customer_id"].tolist() == want["customer_id"].tolist() \
        == sorted(frame.customer_id, key=lambda c: key[c])
    pd.testing.assert_frame_equal(ordered, default)


@pytest.mark.parametrize("order", ["nulls_first", "nulls_first_on_asc_last_on_desc"])
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_a_connection_that_sorts_missing_values_first_ranks_percentiles_as_the_default_one(order, direction):
    """A percentile criterion whose missing values are left missing (``missing = zero``), of many
    distinct values (ranked by a window, not from its distinct values), on a DuckDB connection of
    the user's with ``SET default_null_order`` putting missing values first: each value's count
    below is still the values' below it alone, so the points, the scores and the roster are the
    default connection's and the reference's. 7289865 ordered the window by ``value ASC``, the
    order of missing values left to the connection: each count below took the missing ones too,
    and the positions read back ran past the values (an IndexError)."""

    rng = np.random.default_rng(7)
    n = 200
    a = rng.normal(size=n)
    a[rng.random(n) < 0.3] = np.nan
    frame = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in rng.permutation(n)], "a": a, "b": rng.normal(size=n)})
    std = _standard([{"field": "a", "weight": 0.6, "direction": direction}, {"field": "b", "weight": 0.4}],
                    tiers=({"quota": "25%"},))
    default, ordered = (_scored_with_null_order(frame, std, setting) for setting in (None, order))
    want = score_customers(frame, std).roster
    assert ordered["customer_id"].tolist() == default["customer_id"].tolist() == want["customer_id"].tolist()
    np.testing.assert_allclose(ordered["score"], want["score"], rtol=0, atol=1e-9)  # the reference's points
    pd.testing.assert_frame_equal(ordered, default)


@pytest.mark.parametrize("collation", ["NOCASE", "NOACCENT", "de", "NFC"])
def test_an_id_column_declared_with_a_collation_is_refused(collation):
    """An id column declared ``VARCHAR COLLATE NOCASE`` (or another collation) would tie a and A in
    the rank (ordered as the collation has them, not by their characters) and group them as one:
    the engine refuses it, in English and Chinese, naming the column and how to read it; read as
    its fix says (``COLLATE c``), the roster is the reference's. e10203b ranked it its own way;
    7289865 took NFC's for the characters' (its probe's texts each one form alone): an e with a
    combining accent ranked after f, as é, and grouped with é as one id."""
    import ibis

    ids = ["b", "A", "a", "B", "\u00e9", "f", "E", "e", "e\u0301"]
    frame = pd.DataFrame({"customer_id": ids, "a": [1.0] * len(ids)})
    std = _standard(ONE, tiers=({"quota": 3},))
    con = ibis.duckdb.connect()
    con.raw_sql(f'CREATE TABLE fields (customer_id VARCHAR COLLATE "{collation}", a DOUBLE)')
    con.raw_sql("INSERT INTO fields VALUES " + ", ".join(f"('{i}', 1.0)" for i in ids))
    with pytest.raises(DataError, match="collation") as err:
        score_in_engine(con.table("fields"), std)
    assert err.value.column == "customer_id" and "customer_id COLLATE c" in err.value.fix
    assert "排序规则" in err.value.phrase.words("zh") and "COLLATE c" in err.value.fix_phrase.words("zh")
    con.raw_sql("CREATE VIEW fields_read AS SELECT customer_id COLLATE c AS customer_id, a FROM fields")
    got, want = score_in_engine(con.table("fields_read"), std).roster, score_customers(frame, std).roster
    assert got["customer_id"].tolist() == want["customer_id"].tolist() == sorted(ids)  # by code point



@pytest.mark.parametrize("setting", ["binary", "C", "posix"])
def test_an_id_column_with_a_collation_on_a_byte_order_connection_is_blamed_not_the_connection(setting):
    """A connection set to a byte-order collation (accepted: it compares as none) reading an id
    column declared ``COLLATE NOCASE``: the error names the column and its fix (``COLLATE c``), as on
    the default connection. 4138c2f blamed the connection's collation and told the user to reset it,
    after which the same round still failed, for the column."""
    import ibis

    ids = ["b", "A", "a", "B", "\u00e9", "f", "E", "e", "e\u0301"]
    std = _standard(ONE, tiers=({"quota": 3},))
    con = ibis.duckdb.connect()
    con.raw_sql('CREATE TABLE fields (customer_id VARCHAR COLLATE NOCASE, a DOUBLE)')
    con.raw_sql("INSERT INTO fields VALUES " + ", ".join(f"('{i}', 1.0)" for i in ids))
    con.raw_sql(f"SET default_collation = '{setting}'")
    with pytest.raises(DataError, match="collation") as err:
        score_in_engine(con.table("fields"), std)
    assert err.value.column == "customer_id" and "customer_id COLLATE c" in err.value.fix
    assert setting not in err.value.phrase.words("en")

# -- limits (documented) ------------------------------------------------------------------------


def test_the_median_of_two_subnormal_values():
    """F15: ``missing = "median"`` over 5e-324 and 5e-324: (a + b) / 2 is 5e-324 in the
    reference; DuckDB's median halves each value first (0), so the engine takes it from the middle
    values where one is below 2**-1021 (e97c1c3 filled 0: the third customer last, not tied)."""
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [5e-324, 5e-324, np.nan]})
    std = _standard([{"field": "a", "weight": 1, "missing": "median"}], tiers=({"quota": 1},))
    r = both(frame, std)
    assert _by_id(r, "score") == {"c000": 50.0, "c001": 50.0, "c002": 50.0}


@pytest.mark.parametrize("middle", [(5e-324, 1e-323), (-5e-324, 1.5e-323), (1e-323, 2.5e-323),
                                    (2.225073858507201e-308, 2.2250738585072014e-308), (5e-324, 1.0)])
def test_the_median_of_middle_values_below_the_smallest_normal_is_numpys(middle):
    """The median that fills a missing value where a middle value's half is not exact: NumPy's
    ``(lo + hi) / 2`` (rounded once) on both implementations, seen in the missing customer's
    ``minmax`` points, ``(median - lo) / (hi - lo)`` (e97c1c3's engine: 0, 75 and 33.33 for the
    first three, where NumPy's median gives 100, 50 and 66.67)."""
    lo, hi = middle
    frame = pd.DataFrame({"customer_id": _ids(3), "a": [lo, hi, np.nan]})
    std = _standard([{"field": "a", "weight": 1, "missing": "median", "normalise": "minmax"}],
                    tiers=({"quota": 1},))
    median = float(np.median([lo, hi]))
    assert median == (lo + hi) / 2
    got = _by_id(both(frame, std), "score")
    assert got == {"c000": 0.0, "c001": 100.0, "c002": float(np.round((median - lo) / (hi - lo) * 100, 6))}


@pytest.mark.parametrize(
    "ids, texts",
    [
        ([True, False], ["False", "True"]),
        (pd.Series([1, "1a", 2.5], dtype=object), ["1", "1a", "2.5"]),
        (pd.to_datetime(["2020-01-01", "2020-01-02"]), ["2020-01-01", "2020-01-02"]),
        ([7, 10], ["10", "7"]),
    ],
    ids=["bool", "mixed", "dates", "integers"],
)
def test_ids_that_are_not_text(ids, texts):
    """F11: the roster's id is the id as text, as the reference writes it (``True``, not DuckDB's
    ``true``; ``2020-01-01``, not ``2020-01-01 00:00:00``), a column mixing numbers and text
    included, from a pandas frame and from an Arrow table of the same ids."""
    import pyarrow as pa

    frame = pd.DataFrame({"customer_id": ids, "a": np.arange(len(ids), dtype=float)})
    std = _standard(ONE, tiers=({"quota": 1},))
    r = both(frame, std)
    assert sorted(r.roster["customer_id"]) == texts
    if not isinstance(ids, pd.Series):  # a mix of numbers and text makes no Arrow column
        got = score_in_engine(pa.Table.from_pandas(frame, preserve_index=False), std).roster
        assert sorted(got["customer_id"]) == texts


# -- hostile values on random standards ----------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        None,
        0.0,
        -0.0,
        1.0,
        2.0,
        3.0,
        -1.0,
        math.inf,
        -math.inf,
        5e-324,
        1e-300,
        0.5,
        7.0,
        2.0**53 + 2,
    ]
)
ROW = st.tuples(
    HOSTILE,
    HOSTILE,
    HOSTILE,
    st.sampled_from([None, 0.0, 1.0, 2.0, 4.0, -1.0, math.nan, math.inf]),
    st.sampled_from(["x", "y", "", None, "X", " x", "<b>=1+1</b>"]),
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(rows=st.lists(ROW, min_size=1, max_size=15), data=st.data())
def test_hostile_values_on_random_standards_agree(rows, data):
    """The random standards of tests/test_standard_engine_roster.py on values they never draw:
    ±inf (objectives, tie-breaks and costs too), -0.0, the least double, 2**53 + 2, NaN costs,
    text that differs by case or a leading space. Only the median of subnormal values (the
    documented limit) is left out."""
    from tests.test_standard_engine_roster import standards

    text = data.draw(standards())
    std = load_standard(text, extra_fields=FIELDS)
    frame = pd.DataFrame({"customer_id": _ids(len(rows))})
    for k, name in enumerate(FIELDS[:4]):
        frame[name] = [np.nan if r[k] is None else float(r[k]) for r in rows]
    frame["seg"] = pd.Series([r[4] for r in rows], dtype=object)
    if 'missing = "median"' in text:  # the median of the least doubles: the documented limit
        frame[["a", "b", "t"]] = frame[["a", "b", "t"]].replace(5e-324, 1e-300)
    both(frame, std)
