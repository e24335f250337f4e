"""A standard's rules compiled to Ibis expressions: run by the engine that holds the customers.

A rule (a gate such as ``margin_365d > 0 and p_alive >= 0.3``, or a criterion's formula) is
parsed and checked against the whitelist of :mod:`xuanba.standard.expressions`; its syntax tree
is then turned node by node into an Ibis column expression — never into SQL text, so no part of a
rule reaches the engine as code. The expression means what :func:`~xuanba.standard.expressions.evaluate`
computes with numpy: arithmetic in float64, a missing value (null; a NaN counts as one) makes a
comparison false (but ``!=`` true), ``x / 0`` is ±inf (0 / 0 missing; a negative zero from the
data flips the sign as in numpy, one written as constants such as ``0 * -1`` may be folded to +0
by the engine), ``%`` and ``//`` are numpy's (rounding towards −inf, NaN for an infinite
dividend, zeros signed as numpy signs them), ``round`` rounds halves to even.

Example
-------
>>> import ibis, pyarrow as pa
>>> t = ibis.memtable(pa.table({"m": [10.0, -5.0, None], "p": [0.9, 0.8, 0.7]}))
>>> t.select(ok=compile_rule("m > 0 and p >= 0.5", t)).to_pyarrow()["ok"].to_pylist()
[True, False, False]
"""

from __future__ import annotations

import ast
from typing import Any

import ibis

from xuanba.standard.expressions import _check, _parse

_INF = float("inf")


class _Text:
    """A text column or literal: kept apart from numbers (text in arithmetic is an error)."""

    def __init__(self, expr: Any) -> None:
        self.expr = expr


def compile_rule(expr: str, table: Any) -> Any:
    """The Ibis column expression of rule ``expr`` over the Ibis ``table`` (checked against its
    columns first): a boolean for a comparison or a test, float64 for a formula, text for a text
    field. Raises :class:`~xuanba.standard.expressions.ExpressionError` as ``evaluate`` does."""
    tree = _parse(expr)
    _check(tree.body, set(map(str, table.columns)), set(), depth=0)
    out = _node(tree.body, table)
    if isinstance(out, _Text):
        return out.expr
    if isinstance(out, bool | float | int):
        return ibis.literal(out)
    if (size := expanded_size(out)) > RULE_SIZE_MAX:
        from xuanba.errors import Phrase
        from xuanba.standard.expressions import ExpressionError

        raise ExpressionError(Phrase("err_expr_too_big_for_engine", rule=expr, size=f"{size:,}"),
                              fix=Phrase("err_expr_too_big_for_engine_fix"))
    return out


RULE_SIZE_MAX = 500_000
"""The most nodes a compiled rule may have written out as a tree, as the engine's SQL writes it.
numpy's ``//``, ``%`` and ``round`` take a dozen cases each, every one naming its operands again,
so each nesting multiplies the text: ``a // b`` is 8,565 nodes (0.3 s to write its SQL),
``(a % b) % t`` 51,521 (1.2 s), ``1 / (-(a) // (2 / 0))`` 187,546, ``round(a // b)`` 291,304
(12 s to write and run), ``a // (b // 2)`` 2.8 million (76 s; one more level would run for
hours). Beyond this the rule is refused, not left to hang."""


def expanded_size(expr: Any) -> int:
    """How many nodes ``expr`` has written out as a tree (a shared part counted each time it is
    named; the tables it reads count one each), which is what the SQL an engine is sent grows
    with; counted on the graph in linear time.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"x": [1.0]}))
    >>> expanded_size(t.x + t.x) == 2 * expanded_size(t.x) + 1
    True
    """
    from ibis.expr.operations import Relation

    sizes: dict[int, int] = {}

    def size(node: Any) -> int:  # a table the rule reads from counts once: it is named, not written out
        key = id(node)
        if key not in sizes:
            sizes[key] = 1 if isinstance(node, Relation) else 1 + sum(size(child) for child in node.__children__)
        return sizes[key]

    return size(expr.op())


def as_number(value: Any) -> Any:
    """A float64 expression of a compiled rule (booleans 1/0; ±inf kept, NaN made null)."""
    if isinstance(value, _Text):
        return value.expr.cast("float64")  # text that reads as a number; otherwise null
    if isinstance(value, bool):
        return ibis.literal(1.0 if value else 0.0)
    if isinstance(value, int | float):
        return ibis.literal(float(value), type="float64")
    if value.type().is_boolean():
        return value.cast("float64")
    return value.cast("float64")


def is_inf(x: Any) -> Any:
    """Whether ``x`` is +inf or -inf, as ``abs(x) == inf``: Ibis's own ``isinf`` is compiled
    to ``FALSE`` on Spark (its pyspark compiler with this sqlglot), so x / 0 would stay infinite.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"x": [1.0, float("inf"), -float("inf")]}))
    >>> t.select(i=is_inf(t.x)).to_pyarrow()["i"].to_pylist()
    [False, True, True]
    """
    # abs() names x once: nested rules would otherwise double the expression at every level
    return x.abs() == ibis.literal(float("inf"), type="float64")


def _null_nan(x: Any) -> Any:
    """NaN as null: the engine orders NaN above every number and equal to itself, numpy does not."""
    return ibis.ifelse(x.isnan(), ibis.null("float64"), x)


def truth(value: Any) -> Any:
    """A boolean expression, never null: what numpy's rule evaluation takes as true."""
    if isinstance(value, _Text):
        return ibis.coalesce(value.expr.length() > 0, False)
    if isinstance(value, bool):
        return ibis.literal(value)
    if isinstance(value, int | float):
        return ibis.literal(bool(value))
    if value.type().is_boolean():
        return ibis.coalesce(value, False)
    return ibis.coalesce(value != 0, False)


def _node(node: ast.AST, t: Any) -> Any:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, str):
            return _Text(ibis.literal(v, type="string"))
        if isinstance(v, bool):
            return ibis.literal(v)
        return ibis.literal(float(v), type="float64")
    if isinstance(node, ast.Name):
        col = t[node.id]
        dtype = col.type()
        if dtype.is_boolean():
            return col
        if dtype.is_numeric():
            return _null_nan(col.cast("float64")) if dtype.is_floating() else col.cast("float64")
        return _Text(col.cast("string"))
    if isinstance(node, ast.BoolOp):
        parts = [truth(_node(v, t)) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp):
        v = _node(node.operand, t)
        if isinstance(node.op, ast.Not):
            return ~truth(v)
        return -_number(v) if isinstance(node.op, ast.USub) else _number(v)
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _number(_node(node.left, t)), _number(_node(node.right, t)))
    if isinstance(node, ast.Compare):
        left = _node(node.left, t)
        result: Any = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                hit = _isin(left, [e.value for e in comp.elts])  # type: ignore[attr-defined]
                part = hit if isinstance(op, ast.In) else ~hit
                right = left
            else:
                right = _node(comp, t)
                part = _compare(op, left, right)
            result = part if result is None else (result & part)
            left = right
        return result
    if isinstance(node, ast.IfExp):
        body, other = _node(node.body, t), _node(node.orelse, t)
        if isinstance(body, _Text) and isinstance(other, _Text):
            return _Text(ibis.ifelse(truth(_node(node.test, t)), body.expr, other.expr))
        return ibis.ifelse(truth(_node(node.test, t)), as_number(body), as_number(other))
    if isinstance(node, ast.Call):
        return _call(node.func.id, [_node(a, t) for a in node.args])  # type: ignore[attr-defined]
    raise ValueError(f"{type(node).__name__} is not allowed in a rule")  # pragma: no cover - _check refused it


def _number(v: Any) -> Any:
    if isinstance(v, _Text) and not isinstance(v.expr, ibis.expr.types.Column):
        from xuanba.standard.expressions import ExpressionError

        raise ExpressionError("text cannot be used in arithmetic")
    return as_number(v)


def _divide(a: Any, b: Any) -> Any:
    """a / b as numpy: ±inf over zero (a negative zero, e.g. ``0 * -1``, flips the sign: found by
    ``atan2(b, -1)``, −π for −0 and π for +0), 0 / 0 (and any NaN) missing."""
    signed = ibis.ifelse(a > 0, _INF, ibis.ifelse(a < 0, -_INF, ibis.null("float64")))
    signed = ibis.ifelse(b.atan2(-1.0) < 0, -signed, signed)
    return ibis.ifelse(b == 0, signed, _null_nan(a / ibis.ifelse(b == 0, 1.0, b)))


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    if isinstance(op, ast.Add):
        return _null_nan(a + b)
    if isinstance(op, ast.Sub):
        return _null_nan(a - b)
    if isinstance(op, ast.Mult):
        return _null_nan(a * b)
    if isinstance(op, ast.Div):
        return _divide(a, b)
    if isinstance(op, ast.FloorDiv):
        return ibis.ifelse(b == 0, _divide(a, b), _null_nan(_divmod(a, b)[0]))
    if isinstance(op, ast.Mod):
        return _null_nan(_divmod(a, b)[1])
    return _null_nan(a.pow(b))


_WHOLE = 2.0**52
"""Every double at least this large in magnitude is a whole number (its own floor)."""


def _floor(x: Any) -> Any:
    """floor(x) as a float64. Ibis's floor casts to a 64-bit integer, which ±inf (and anything
    beyond 2**63) cannot be cast to: those are whole already and are kept as they are."""
    return ibis.ifelse(x.abs() < _WHOLE, x.floor().cast("float64"), x)


def _divmod(a: Any, b: Any) -> tuple[Any, Any]:
    """numpy's ``floor_divide`` and ``mod`` of floats (its ``npy_divmod``) for ``b != 0``: C's
    remainder (the engine's ``%``, exact) moved to the divisor's sign, a zero remainder signed as
    the divisor, a zero quotient as ``a / b``. ``a`` infinite gives NaN for both (as numpy), a
    finite ``a`` over an infinite ``b`` the remainder ``a`` (or ``b`` when their signs differ)."""
    a_inf = is_inf(a)
    bb = ibis.ifelse(b == 0, 1.0, b)
    aa = ibis.ifelse(a_inf, 0.0, a)
    rem = ibis.ifelse(is_inf(bb), aa, aa % ibis.ifelse(is_inf(bb), 1.0, bb))  # C's fmod
    flip = (rem != 0) & ((bb < 0) != (rem < 0))
    mod = ibis.ifelse(rem == 0, 0.0 / bb, ibis.ifelse(flip, rem + bb, rem))  # 0.0 / bb: a zero signed as b
    div = (aa - rem) / bb - ibis.ifelse(flip, 1.0, 0.0)
    whole = _floor(div)
    whole = ibis.ifelse(div - whole > 0.5, whole + 1.0, whole)
    quot = ibis.ifelse(div == 0, (aa / bb) * 0.0, whole)  # a zero signed as a / b
    nan = ibis.null("float64")
    return (ibis.ifelse(a_inf | (b == 0), nan, quot), ibis.ifelse(a_inf | (b == 0), nan, mod))


_CMP = {ast.Lt: "__lt__", ast.LtE: "__le__", ast.Gt: "__gt__", ast.GtE: "__ge__", ast.Eq: "__eq__", ast.NotEq: "__ne__"}


def _compare(op: ast.cmpop, left: Any, right: Any) -> Any:
    ltext, rtext = isinstance(left, _Text), isinstance(right, _Text)
    if ltext != rtext:  # text against a number: never true (as numpy's comparison of objects)
        if isinstance(op, ast.NotEq) and ltext:
            return left.expr.notnull()
        if isinstance(op, ast.NotEq):
            return ibis.literal(True) if not isinstance(right.expr, ibis.expr.types.Column) else right.expr.notnull()
        return ibis.literal(False)
    if ltext:
        return ibis.coalesce(getattr(left.expr, _CMP[type(op)])(right.expr), False)
    a, b = as_number(left), as_number(right)
    # numpy: NaN != x is true, every other comparison with NaN false
    return ibis.coalesce(getattr(a, _CMP[type(op)])(b), isinstance(op, ast.NotEq))


def _isin(left: Any, values: list[Any]) -> Any:
    if isinstance(left, _Text):
        wanted = [v for v in values if isinstance(v, str)]
        return ibis.coalesce(left.expr.isin(wanted), False) if wanted else ibis.literal(False)
    wanted = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return ibis.coalesce(as_number(left).isin(wanted), False) if wanted else ibis.literal(False)


def _round_half_even(x: Any) -> Any:
    low = _floor(x)
    rest = x - low
    even = (low - 2.0 * _floor(low / 2.0)) == 0
    up = ibis.ifelse(rest > 0.5, low + 1.0, ibis.ifelse(rest < 0.5, low, ibis.ifelse(even, low, low + 1.0)))
    return ibis.ifelse(is_inf(x), x, up)


def _call(name: str, args: list[Any]) -> Any:
    if name == "isnull":
        a = args[0]
        return a.expr.isnull() if isinstance(a, _Text) else as_number(a).isnull()
    if name == "notnull":
        a = args[0]
        return a.expr.notnull() if isinstance(a, _Text) else as_number(a).notnull()
    if name == "coalesce":
        a, b = args
        if isinstance(a, _Text) and isinstance(b, _Text):
            return _Text(ibis.coalesce(a.expr, b.expr))
        return ibis.coalesce(as_number(a), as_number(b))
    xs = [_number(a) for a in args]
    x = xs[0]
    if name == "abs":
        return x.abs()
    if name in ("min", "max"):  # numpy's minimum/maximum: a missing value gives a missing result
        y = xs[1]
        pick = ibis.least(x, y) if name == "min" else ibis.greatest(x, y)
        return ibis.ifelse(x.isnull() | y.isnull(), ibis.null("float64"), pick)
    if name == "log":
        return ibis.ifelse(x == 0, -_INF, ibis.ifelse(x > 0, ibis.ifelse(x > 0, x, 1.0).ln(), ibis.null("float64")))
    if name == "log1p":
        return ibis.ifelse(x == -1, -_INF, ibis.ifelse(x > -1, ibis.ifelse(x > -1, x + 1.0, 1.0).ln(), ibis.null("float64")))
    if name == "sqrt":
        return ibis.ifelse(x >= 0, ibis.ifelse(x >= 0, x, 0.0).sqrt(), ibis.null("float64"))
    if name == "round":
        return _round_half_even(x)
    raise ValueError(f"{name!r} is not a function a rule may call")  # pragma: no cover
