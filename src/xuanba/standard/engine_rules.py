"""A standard's rules compiled to Ibis expressions: run by the engine that holds the customers.

A rule (a gate such as ``margin_365d > 0 and p_alive >= 0.3``, or a criterion's formula) is
parsed and checked against the whitelist of :mod:`xuanba.standard.expressions`; its syntax tree
is then turned node by node into Ibis column expressions — never into SQL text, so no part of a
rule reaches the engine as code. The expression means what :func:`~xuanba.standard.expressions.evaluate`
computes with numpy: arithmetic in float64, a missing value (null; a NaN counts as one) makes a
comparison false (but ``!=`` true), ``x / 0`` is ±inf (0 / 0 missing; a negative zero from the
data flips the sign as in numpy, one written as constants such as ``0 * -1`` may be folded to +0
by the engine), ``%`` and ``//`` are numpy's (rounding towards −inf, NaN for an infinite
dividend, zeros signed as numpy signs them), ``round`` rounds halves to even.

numpy's ``//``, ``%`` and ``round`` take a dozen cases each, naming their operands again and
again; written out as one expression, every nesting multiplied the SQL (``a // (b // 2)`` was
2.8 million nodes). So a part named more than once is first computed into a helper column (a
projection) when it is larger than a few nodes, and the cases name that column: the query grows
linearly with the rule. :func:`with_rules` adds the rules' columns and drops its helpers again.

Example
-------
>>> import ibis, pyarrow as pa
>>> t = ibis.memtable(pa.table({"m": [10.0, -5.0, None], "p": [0.9, 0.8, 0.7]}))
>>> out = with_rules(t, {"ok": "m > 0 and p >= 0.5", "q": "round(m // (p // 0.25))"}).to_pyarrow()
>>> out["ok"].to_pylist(), out["q"].to_pylist(), out.column_names
([True, False, False], [3.0, -2.0, None], ['m', 'p', 'ok', 'q'])
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any, Literal

import ibis

from xuanba.standard.engine_cache import known
from xuanba.standard.expressions import ExpressionError, _check, _parse

_INF = float("inf")

INLINE_MAX = 16
"""The most nodes a part of a rule may have and still be written out each time it is named;
a larger part named more than once becomes a helper column (a column of the table counts 2)."""


class _Text:
    """A text column or literal: kept apart from numbers (text in arithmetic is an error)."""

    def __init__(self, expr: Any) -> None:
        self.expr = expr


class _Scope:
    """Where rules are compiled: ``base`` the table given; a large part named more than once
    becomes a helper (:meth:`bind`), named meanwhile through a one-column stand-in table, and
    :meth:`table_with` computes the helpers in as few projections as their dependencies allow,
    each carrying only the helpers still needed after it."""

    def __init__(self, table: Any) -> None:
        self.base = table
        self.helpers: dict[str, Any] = {}  # name -> expression (over base and earlier stand-ins)
        self.stand_in: dict[str, Any] = {}  # name -> the column that names it meanwhile
        self._by_op: dict[Any, str] = {}  # the same part bound twice is one helper
        self.size = 0  # nodes of the helpers' expressions, as written out
        self._taken = set(map(str, table.columns))

    def bind(self, *values: Any) -> list[Any]:
        """``values`` as they are when small (or text), otherwise as helpers' stand-ins."""
        out = []
        for v in values:
            if isinstance(v, _Text | bool | int | float) or (size := expanded_size(v)) <= INLINE_MAX:
                out.append(v)
                continue
            name = self._by_op.get(v.op())
            if name is None:
                name = f"_rule_h{len(self.helpers)}"
                while name in self._taken:
                    name = "_" + name
                self._taken.add(name)
                self._by_op[v.op()] = name
                self.helpers[name] = v
                self.stand_in[name] = ibis.table({name: v.type()}, name=f"xuanba_rule_helper_{name}")[name]
                self.size += size
            out.append(self.stand_in[name])
        return out

    def one(self, value: Any) -> Any:
        return self.bind(value)[0]

    def table_with(self, results: dict[str, Any]) -> Any:
        """``base`` with ``results`` added (or replacing columns of the same name): one
        projection per level of helpers, then the results."""
        if not self.helpers:
            return self.base.mutate(**results)
        from ibis.expr import operations as ops

        named = {self.stand_in[n].op(): n for n in self.helpers}

        def uses(expr: Any) -> set[str]:
            return {named[f] for f in expr.op().find(ops.Field, filter=ops.Value) if f in named}

        level: dict[str, int] = {}
        last: dict[str, int] = {}  # the last level reading each helper
        for name, expr in self.helpers.items():  # a helper reads only helpers bound before it
            used = uses(expr)
            level[name] = 1 + max((level[u] for u in used), default=0)
            for u in used:
                last[u] = max(last.get(u, 0), level[name])
        final = max(level.values()) + 1
        for expr in results.values():
            for u in uses(expr):
                last[u] = final

        def over(t: Any) -> Callable[[Any], Any]:  # stand-ins replaced by t's helper columns
            subs = {self.stand_in[n].op(): ops.Field(t.op(), n) for n in t.columns if n in self.helpers}
            return lambda expr: expr.op().replace(subs, filter=ops.Value).to_expr()

        cols = list(self.base.columns)
        t = self.base
        for lv in range(1, final):
            carried = [n for n in self.helpers if level[n] < lv and last.get(n, 0) > lv]
            sub = over(t)
            t = t.select(*cols, *carried, *[sub(e).name(n) for n, e in self.helpers.items() if level[n] == lv])
        sub = over(t)
        out = [sub(results[c]).name(c) if c in results else t[c] for c in cols]
        return t.select(*out, *[sub(e).name(c) for c, e in results.items() if c not in cols])


def with_rules(table: Any, rules: Mapping[str, str], *,
               kind: Literal["value", "number", "truth"] = "value",
               finish: Callable[[Any], Any] | None = None) -> Any:
    """``table`` with one more column per rule (``rules`` maps its name to the rule), compiled
    to Ibis over ``table``'s columns (checked against them first), and the helper columns they
    needed dropped again. ``kind``: ``"value"`` keeps each rule's own type (boolean for a
    comparison or a test, float64 for a formula, text for a text field), ``"number"`` makes it
    float64 (:func:`as_number`), ``"truth"`` a boolean never null (:func:`truth`); ``finish``, if
    given, is applied to each value then (it may name it several times). Raises
    :class:`~xuanba.standard.expressions.ExpressionError` as ``evaluate`` does, and when a rule
    would still be larger than :data:`RULE_SIZE_MAX` (a backstop: growth is linear); its
    ``rule`` attribute is then the name of the rule."""
    scope, out = _compiled_all(table, rules, kind, finish)
    return scope.table_with(out)


def rules_over(table: Any, rules: Mapping[str, str], *,
               kind: Literal["value", "number", "truth"] = "value",
               finish: Callable[[Any], Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """``(t, values)``: each rule's value (``values[name]``) as an expression over ``t``, compiled
    as :func:`with_rules` compiles it. When no rule needs a helper column, ``t`` is ``table``
    itself and the values are written out, for the caller's own projection (no step added);
    otherwise ``t`` is :func:`with_rules`' table and the values its columns.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"m": [10.0, -5.0]}))
    >>> same, v = rules_over(t, {"ok": "m > 0"})
    >>> same is t, t.select(ok=v["ok"]).to_pyarrow()["ok"].to_pylist()
    (True, [True, False])
    >>> stepped, v = rules_over(t, {"q": "m // (m // 3)"})
    >>> stepped is t, stepped.select(v["q"]).to_pyarrow()["q"].to_pylist()
    (False, [3.0, 2.0])
    """
    scope, out = _compiled_all(table, rules, kind, finish)
    if not scope.helpers:
        return table, out
    stepped = scope.table_with(out)
    return stepped, {name: stepped[name] for name in out}


def _compiled_all(table: Any, rules: Mapping[str, str], kind: str,
                  finish: Callable[[Any], Any] | None) -> tuple[_Scope, dict[str, Any]]:
    """Every rule compiled over one scope of ``table``; a failing rule's name on the error."""
    scope = _Scope(table)
    out: dict[str, Any] = {}
    for name, expr in rules.items():
        try:
            out[name] = _compiled(expr, scope, kind, finish)
        except ExpressionError as exc:
            exc.rule = name  # type: ignore[attr-defined]
            raise
    return scope, out


def _compiled(expr: str, scope: _Scope, kind: str, finish: Callable[[Any], Any] | None) -> Any:
    """One rule's value over ``scope`` (its helpers bound there), as :func:`with_rules` says."""
    tree = _parse(expr)
    _check(tree.body, set(map(str, scope.base.columns)), set(), depth=0)
    before = scope.size
    value = _node(tree.body, scope)
    if kind == "number":
        value = as_number(value)
    elif kind == "truth":
        value = truth(value)
    elif isinstance(value, _Text):
        value = value.expr
    elif isinstance(value, bool | float | int):
        value = ibis.literal(value)
    if finish is not None:
        value = finish(scope.one(value))
    if (size := scope.size - before + expanded_size(value)) > RULE_SIZE_MAX:
        from xuanba.errors import Phrase

        raise ExpressionError(Phrase("err_expr_too_big_for_engine", rule=expr, size=f"{size:,}"),
                              fix=Phrase("err_expr_too_big_for_engine_fix"))
    return value


RULE_SIZE_MAX = 500_000
"""The most nodes a compiled rule may have written out (its helper columns and its value). The
helper columns keep a rule linear in its length (``a // (b // 2)`` is 645 nodes in the whole
query, where writing it out as one expression took 2.8 million and 76 s); this refuses anything
that would still grow past it rather than leave it to hang."""


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
        return text_number(value.expr)
    if isinstance(value, bool):
        return ibis.literal(1.0 if value else 0.0)
    if isinstance(value, int | float):
        return ibis.literal(float(value), type="float64")
    if value.type().is_boolean():
        return value.cast("float64")
    return value.cast("float64")


def text_number(text: Any) -> Any:
    """Text read as a float64 by :data:`~xuanba.standard.expressions.NUMBER_TEXT`, the rule the
    pandas reference follows (:func:`~xuanba.standard.expressions.to_number`): a plain decimal
    number, otherwise null. The engine's own cast would also read ``5_000``, ``inf`` or ``nan``.

    Example
    -------
    >>> import pyarrow as pa
    >>> t = ibis.memtable(pa.table({"s": ["5", " 7 ", "5_000", "inf", "1e3", None]}))
    >>> t.select(x=text_number(t.s)).to_pyarrow()["x"].to_pylist()
    [5.0, 7.0, None, None, 1000.0, None]
    """
    from xuanba.standard.expressions import NUMBER_TEXT

    return text.re_extract(f"^{NUMBER_TEXT}$", 1).try_cast("float64")


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


def _node(node: ast.AST, s: _Scope) -> Any:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, str):
            return _Text(ibis.literal(v, type="string"))
        if isinstance(v, bool):
            return ibis.literal(v)
        return ibis.literal(float(v), type="float64")
    if isinstance(node, ast.Name):
        col = s.base[node.id]
        dtype = col.type()
        if dtype.is_boolean():
            return col
        if dtype.is_numeric():
            nan = dtype.is_floating() and not known(node.id)  # a column known to hold no NaN: read as it is
            return _null_nan(col.cast("float64")) if nan else col.cast("float64")
        return _Text(col.cast("string"))
    if isinstance(node, ast.BoolOp):
        parts = [truth(_node(v, s)) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp):
        v = _node(node.operand, s)
        if isinstance(node.op, ast.Not):
            return ~truth(v)
        return -_number(v) if isinstance(node.op, ast.USub) else _number(v)
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _number(_node(node.left, s)), _number(_node(node.right, s)), s)
    if isinstance(node, ast.Compare):
        left = _node(node.left, s)
        result: Any = None
        for k, (op, comp) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if isinstance(op, ast.In | ast.NotIn):
                hit = _isin(left, [e.value for e in comp.elts])  # type: ignore[attr-defined]
                part = hit if isinstance(op, ast.In) else ~hit
                right = left
            else:
                right = _node(comp, s)
                if k + 1 < len(node.ops):  # named again as the next comparison's left side
                    right = s.one(right)
                part = _compare(op, left, right)
            result = part if result is None else (result & part)
            left = right
        return result
    if isinstance(node, ast.IfExp):
        body, other = _node(node.body, s), _node(node.orelse, s)
        if isinstance(body, _Text) and isinstance(other, _Text):
            return _Text(ibis.ifelse(truth(_node(node.test, s)), body.expr, other.expr))
        return ibis.ifelse(truth(_node(node.test, s)), as_number(body), as_number(other))
    if isinstance(node, ast.Call):
        return _call(node.func.id, [_node(a, s) for a in node.args], s)  # type: ignore[attr-defined]
    raise ValueError(f"{type(node).__name__} is not allowed in a rule")  # pragma: no cover - _check refused it


def _number(v: Any) -> Any:
    if isinstance(v, _Text) and not isinstance(v.expr, ibis.expr.types.Column):
        raise ExpressionError("text cannot be used in arithmetic")
    return as_number(v)


def _divide(a: Any, b: Any, s: _Scope) -> Any:
    """a / b as numpy: ±inf over zero (a negative zero, e.g. ``0 * -1``, flips the sign: found
    by its text, ``-0.0``, read for zeros alone; Spark's ``atan2`` makes every zero positive
    first), 0 / 0 (and any NaN) missing."""
    a, b = s.bind(a, b)
    signed = ibis.ifelse(a > 0, _INF, ibis.ifelse(a < 0, -_INF, ibis.null("float64")))
    negative_zero = ibis.ifelse(b == 0, b.cast("string").startswith("-"), False)
    signed = ibis.ifelse(negative_zero, -1.0, 1.0) * signed
    return ibis.ifelse(b == 0, signed, _null_nan(s.one(a / ibis.ifelse(b == 0, 1.0, b))))


def _binop(op: ast.operator, a: Any, b: Any, s: _Scope) -> Any:
    if isinstance(op, ast.Div):
        return _divide(a, b, s)
    a, b = s.bind(a, b)
    if isinstance(op, ast.Add):
        return _null_nan(a + b)
    if isinstance(op, ast.Sub):
        return _null_nan(a - b)
    if isinstance(op, ast.Mult):
        return _null_nan(a * b)
    if isinstance(op, ast.FloorDiv):
        return ibis.ifelse(b == 0, _divide(a, b, s), _null_nan(s.one(_divmod(a, b, s)[0])))
    if isinstance(op, ast.Mod):
        return _null_nan(s.one(_divmod(a, b, s)[1]))
    return _null_nan(s.one(a.pow(b)))


_WHOLE = 2.0**52
"""Every double at least this large in magnitude is a whole number (its own floor)."""


def _floor(x: Any, s: _Scope) -> Any:
    """floor(x) as a float64. Ibis's floor casts to a 64-bit integer, which ±inf (and anything
    beyond 2**63) cannot be cast to: those are whole already and are kept as they are."""
    x = s.one(x)
    return ibis.ifelse(x.abs() < _WHOLE, x.floor().cast("float64"), x)


def _divmod(a: Any, b: Any, s: _Scope) -> tuple[Any, Any]:
    """numpy's ``floor_divide`` and ``mod`` of floats (its ``npy_divmod``) for ``b != 0``: C's
    remainder (the engine's ``%``, exact) moved to the divisor's sign, a zero remainder signed as
    the divisor, a zero quotient as ``a / b``. ``a`` infinite gives NaN for both (as numpy), a
    finite ``a`` over an infinite ``b`` the remainder ``a`` (or ``b`` when their signs differ).
    Each part named more than once is a helper column when large (see :class:`_Scope`)."""
    a, b = s.bind(a, b)
    bad = s.one(is_inf(a) | (b == 0))
    bb, aa = s.bind(ibis.ifelse(b == 0, 1.0, b), ibis.ifelse(is_inf(a), 0.0, a))
    b_inf = s.one(is_inf(bb))
    rem = s.one(ibis.ifelse(b_inf, aa, aa % ibis.ifelse(b_inf, 1.0, bb)))  # C's fmod
    flip = s.one((rem != 0) & ((bb < 0) != (rem < 0)))
    mod = ibis.ifelse(rem == 0, 0.0 / bb, ibis.ifelse(flip, rem + bb, rem))  # 0.0 / bb: a zero signed as b
    div = s.one((aa - rem) / bb - ibis.ifelse(flip, 1.0, 0.0))
    whole = s.one(_floor(div, s))
    whole = ibis.ifelse(div - whole > 0.5, whole + 1.0, whole)
    quot = ibis.ifelse(div == 0, (aa / bb) * 0.0, whole)  # a zero signed as a / b
    nan = ibis.null("float64")
    return (ibis.ifelse(bad, nan, quot), ibis.ifelse(bad, nan, mod))


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
    wanted = [float(v) for v in values if isinstance(v, int | float)]  # True and False: 1 and 0, as in ==
    return ibis.coalesce(as_number(left).isin(wanted), False) if wanted else ibis.literal(False)


def _round_half_even(x: Any, s: _Scope) -> Any:
    """numpy's ``round``: halves to the even neighbour, ±inf kept, a zero signed as ``x``."""
    x = s.one(x)
    low = s.one(_floor(x, s))
    rest = x - low
    even = (low - 2.0 * _floor(low / 2.0, s)) == 0
    up = s.one(ibis.ifelse(rest > 0.5, low + 1.0, ibis.ifelse(rest < 0.5, low, ibis.ifelse(even, low, low + 1.0))))
    # ±inf kept; a zero takes x's sign as numpy's (round(-0.3) is -0.0): x * 0.0 is that zero
    return ibis.ifelse(is_inf(x), x, ibis.ifelse(up == 0, x * 0.0, up))


def _call(name: str, args: list[Any], s: _Scope) -> Any:
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
    if name == "abs":
        return xs[0].abs()
    xs = s.bind(*xs)  # named more than once below
    x = xs[0]
    if name in ("min", "max"):  # numpy's minimum/maximum: a missing value gives a missing result,
        y = xs[1]  # and of two equal values the second (min(-0.0, 0.0) is 0.0)
        pick = ibis.ifelse(x < y if name == "min" else x > y, x, y)
        return ibis.ifelse(x.isnull() | y.isnull(), ibis.null("float64"), pick)
    if name == "log":
        return ibis.ifelse(x == 0, -_INF, ibis.ifelse(x > 0, ibis.ifelse(x > 0, x, 1.0).ln(), ibis.null("float64")))
    if name == "log1p":  # ln(1 + x) corrected by x / ((1 + x) - 1): small x kept (no log1p in the engine)
        u = s.one(ibis.ifelse(x > -1, x + 1.0, 1.0))
        small = ibis.ifelse(u == 1.0, x, u.ln() * (x / ibis.ifelse(u == 1.0, 1.0, u - 1.0)))
        return ibis.ifelse(x == -1, -_INF, ibis.ifelse(x > -1, ibis.ifelse(is_inf(x), x, small), ibis.null("float64")))
    if name == "sqrt":
        return ibis.ifelse(x >= 0, ibis.ifelse(x >= 0, x, 0.0).sqrt(), ibis.null("float64"))
    if name == "round":
        return _round_half_even(x, s)
    raise ValueError(f"{name!r} is not a function a rule may call")  # pragma: no cover
