"""Safe rule expressions: parsed with :mod:`ast`, checked against a whitelist, evaluated on tables.

A standard's gates (``margin_365d > 0 and p_alive >= 0.3``) and computed criteria
(``margin_365d / revenue_365d``) are small formulas over per-customer fields. They are never
handed to Python's ``eval`` nor to SQL: :func:`check_expression` walks the syntax tree and
accepts only

* names of known fields, numbers, strings, ``True``/``False``;
* arithmetic ``+ - * / // % **``, comparisons ``< <= > >= == !=`` (chained too), ``in`` /
  ``not in`` a literal list, ``and``, ``or``, ``not``, unary ``-``/``+``, ``x if c else y``;
* the functions in :data:`FUNCTIONS` called with positional arguments.

Everything else (attribute access, subscripts, lambdas, comprehensions, keyword arguments,
names starting with ``_``, calls of anything but a listed function) is refused with the
position of the offending piece. :func:`evaluate` then computes the expression column-wise
with numpy on a pandas table; a missing value (NaN) makes comparisons false.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"margin_365d": [10.0, -5.0], "p_alive": [0.9, 0.8]})
>>> sorted(check_expression("margin_365d > 0 and p_alive >= 0.5", {"margin_365d", "p_alive"}))
['margin_365d', 'p_alive']
>>> evaluate("margin_365d > 0 and p_alive >= 0.5", t).tolist()
[True, False]
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from xuanba.errors import Listed, Phrase, Said, in_words, quoted

MAX_LENGTH = 500
"""Longest expression accepted (characters)."""
MAX_DEPTH = 30
"""Deepest syntax tree accepted."""


def _isnull(x: Any) -> Any:
    return pd.isna(x)


def _coalesce(x: Any, default: Any) -> Any:
    return np.where(pd.isna(x), default, x)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "round": np.round,
    "isnull": _isnull,
    "notnull": lambda x: ~pd.isna(x),
    "coalesce": _coalesce,
}
"""Functions a rule may call: ``abs``, ``min``/``max`` (element-wise, two arguments), ``log``,
``log1p``, ``sqrt``, ``round``, ``isnull``, ``notnull``, ``coalesce(x, default)``."""

_ARITY = {"min": 2, "max": 2, "coalesce": 2}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
#: Syntax a rule may not hold, each with the phrase that names it (``err_expr_symbol_*``).
_SYMBOL = {
    ast.Attribute: "attribute",
    ast.Subscript: "subscript",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.NamedExpr: "assignment",
    ast.Starred: "starred",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.JoinedStr: "fstring",
    ast.Await: "await",
    ast.Yield: "yield",
}


class ExpressionError(ValueError):
    """An expression that is not allowed; ``col`` is the 1-based character of the problem.
    ``message`` and ``fix`` are English; ``phrase`` and ``fix_phrase`` the same words for a reader
    of another language when the raise gave them as :class:`~xuanba.errors.Phrase`."""

    def __init__(self, message: str | Phrase, *, col: int | None = None, fix: str | Phrase | None = None) -> None:
        self.phrase = message if isinstance(message, Phrase) else None
        self.fix_phrase = fix if isinstance(fix, Phrase) else None
        self.message = in_words(message, "en")
        self.col = col
        self.fix = in_words(fix, "en")
        super().__init__(self.message if col is None else f"{self.message} (at character {col})")


class UnknownFieldError(ExpressionError):
    """A rule names a field that is not among the known ones: ``name``, and ``close`` the known
    names that look like it (a near miss, best first).

    Example
    -------
    >>> try:
    ...     check_expression("revenu_365d > 0", ["revenue_365d", "orders"])
    ... except UnknownFieldError as exc:
    ...     print(exc.name, exc.close)
    revenu_365d ['revenue_365d']
    """

    def __init__(self, name: str, known: Iterable[str], *, col: int | None = None) -> None:
        self.name = name
        self.close = difflib.get_close_matches(name, sorted(known), n=3)
        hint = Phrase("err_did_you_mean", names=Listed(self.close)) if self.close else ""
        super().__init__(Phrase("err_expr_unknown_field", name=quoted(name)), col=col,
                         fix=Phrase("err_expr_unknown_field_fix", hint=hint, fields=Listed(sorted(known))))


def _parse(expr: str) -> ast.Expression:
    if not isinstance(expr, str) or not expr.strip():
        raise ExpressionError(Phrase("err_expr_empty"), fix=Phrase("err_expr_empty_fix"))
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(Phrase("err_expr_too_long", n=len(expr), max=MAX_LENGTH), fix=Phrase("err_expr_too_long_fix"))
    if "\n" in expr.strip():
        raise ExpressionError(Phrase("err_expr_lines"), fix=Phrase("err_expr_lines_fix"))
    try:
        return ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        words = _syntax_words(exc, expr.strip())
        fix = Phrase("err_expr_unreadable_fix")
        raise ExpressionError(Phrase("err_expr_unreadable", detail=Said(exc.msg, words[0]) if words else exc.msg),
                              col=exc.offset, fix=Said(fix, words[1]) if words else fix) from None


#: What Python's parser refuses in a rule, by the English it says it in (its only code): the
#: pattern its message starts with and the phrase (and ``_fix``) that says it. A plain ``invalid
#: syntax`` is told apart by where it is and what the rule holds (:func:`_syntax_words`).
_SYNTAX_WORDS: tuple[tuple[str, str], ...] = (
    (r"unterminated (?:triple-quoted )?string literal", "err_syntax_quote"),
    (r"(?P<open>'.') was never closed", "err_syntax_not_closed"),
    (r"unmatched (?P<close>'.')", "err_syntax_unmatched"),
    (r"closing parenthesis (?P<close>'.') does not match opening parenthesis (?P<open>'.')", "err_syntax_mismatch"),
    (r"invalid character (?P<char>'.') \((?P<code>U\+[0-9A-F]+)\)", "err_syntax_char"),
    (r"invalid non-printable character (?P<code>U\+[0-9A-F]+)", "err_syntax_invisible"),
    (r"leading zeros in decimal integer literals", "err_syntax_leading_zero"),
    (r"invalid \w+ literal", "err_syntax_number"),
    (r"expected 'else' after 'if' expression", "err_syntax_else"),
    (r"invalid syntax\. Perhaps you forgot a comma", "err_syntax_comma"),
    (r"invalid syntax\. Maybe you meant '==' or ':=' instead of '='", "err_syntax_equals"),
    (r"unexpected character after line continuation character", "err_syntax_backslash"),
)
_CLOSE = {"(": ")", "[": "]", "{": "}"}
#: The Latin sign a rule means by a full-width or typographic one that NFKC does not give.
_LATIN = {"＝": "==", "≥": ">=", "≤": "<=", "≠": "!=", "“": "'", "”": "'", "‘": "'", "’": "'", "。": ".", "、": ","}


def _syntax_words(exc: SyntaxError, text: str) -> tuple[Phrase, Phrase] | None:
    """What the parser's ``exc`` refuses in the rule ``text`` and its fix, as phrases (``None``: a
    message not known here, whose English is shown)."""
    import unicodedata

    said = exc.msg or ""
    found = next(((key, m) for pattern, key in _SYNTAX_WORDS if (m := re.match(pattern, said))), None)
    if found is None:
        if said != "invalid syntax":
            return None
        return _invalid_syntax(exc, text)
    key, m = found
    try:  # the parser's repr of a character
        got = {k: ast.literal_eval(v) if v.startswith("'") else v for k, v in m.groupdict().items()}
    except (ValueError, SyntaxError):  # pragma: no cover - not a repr: the parser's English is shown
        return None
    values: dict[str, Any] = {k: v if k == "code" else quoted(v) for k, v in got.items()}
    fix_key, fix_values = f"{key}_fix", {}
    if key == "err_syntax_not_closed":
        fix_values = {"close": quoted(_CLOSE.get(got["open"], ")"))}
    elif key == "err_syntax_unmatched":
        fix_values = {"open": quoted({v: k for k, v in _CLOSE.items()}.get(got["close"], "("))}
    elif key == "err_syntax_mismatch":
        fix_values = {"open": values["open"], "match": quoted(_CLOSE.get(got["open"], ")"))}
    elif key == "err_syntax_char":
        latin = _LATIN.get(got["char"]) or unicodedata.normalize("NFKC", got["char"])
        if latin != got["char"] and latin.isascii():
            fix_values = {"ascii": quoted(latin)}
        else:
            fix_key = "err_syntax_char_drop_fix"
    return Phrase(key, **values), Phrase(fix_key, **fix_values)


def _invalid_syntax(exc: SyntaxError, text: str) -> tuple[Phrase, Phrase]:
    """A plain ``invalid syntax``: the rule cut short (at its end), or a sign of another language
    (``&&``, ``=>``, a lone ``=``) where it holds one, or else the place it is at."""
    if not exc.offset or exc.offset > len(text):  # the parser reached the end: something is missing
        return Phrase("err_syntax_end", tail=quoted(text.split()[-1])), Phrase("err_syntax_end_fix")
    if m := re.search(r"&&|\|\||!(?!=)", text):
        return Phrase("err_syntax_c_ops", op=quoted(m.group(0))), Phrase("err_syntax_c_ops_fix")
    if m := re.search(r"=>|=<", text):
        return Phrase("err_syntax_arrow", op=quoted(m.group(0))), Phrase("err_syntax_arrow_fix")
    if re.search(r"(?<![<>=!])=(?!=)", text):
        return Phrase("err_syntax_equals"), Phrase("err_syntax_equals_fix")
    return Phrase("err_syntax_here"), Phrase("err_syntax_here_fix")


def check_expression(expr: str, known_fields: Iterable[str]) -> set[str]:
    """Check ``expr`` against the whitelist and return the field names it reads.

    Raises :class:`ExpressionError` naming the first thing that is not allowed.

    Examples
    --------
    >>> sorted(check_expression("abs(growth_365d) < 2 * revenue_365d", ["growth_365d", "revenue_365d"]))
    ['growth_365d', 'revenue_365d']
    >>> check_expression("__import__('os')", ["x"])
    Traceback (most recent call last):
    ...
    xuanba.standard.expressions.ExpressionError: '__import__' is not a function a rule may call (at character 1)
    """
    known = set(known_fields)
    tree = _parse(expr)
    used: set[str] = set()
    _check(tree.body, known, used, depth=0)
    return used


#: The largest whole number a rule may hold: a rule is evaluated on 64-bit columns.
MAX_INTEGER = 2**63 - 1


def _check(node: ast.AST, known: set[str], used: set[str], depth: int) -> None:
    col = getattr(node, "col_offset", None)
    col = None if col is None else col + 1
    if depth > MAX_DEPTH:
        raise ExpressionError(Phrase("err_expr_deep"), col=col, fix=Phrase("err_expr_deep_fix"))
    kind = type(node)
    if kind in _SYMBOL:
        raise ExpressionError(Phrase("err_expr_symbol", what=Phrase(f"err_expr_symbol_{_SYMBOL[kind]}")), col=col,
                              fix=Phrase("err_expr_plain_fix"))
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise ExpressionError(Phrase("err_expr_int_big", digits=str(value)[:12], n=len(str(abs(value)))),
                                  col=col, fix=Phrase("err_expr_int_big_fix"))
        if isinstance(value, float) and not math.isfinite(value):
            raise ExpressionError(Phrase("err_expr_float_big"), col=col, fix=Phrase("err_expr_float_big_fix"))
        if isinstance(value, bool | int | float | str):
            return
        raise ExpressionError(Phrase("err_expr_value", value=repr(node.value)), col=col,
                              fix=Phrase("err_expr_value_fix"))
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(Phrase("err_expr_underscore", name=quoted(node.id)), col=col,
                                  fix=Phrase("err_expr_underscore_fix"))
        if node.id not in known:
            raise UnknownFieldError(node.id, known, col=col)
        used.add(node.id)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, known, used, depth + 1)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            raise ExpressionError(Phrase("err_expr_tilde"), col=col, fix=Phrase("err_expr_tilde_fix"))
        _check(node.operand, known, used, depth + 1)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(Phrase("err_expr_operator", op=type(node.op).__name__), col=col,
                                  fix=Phrase("err_expr_operator_fix"))
        _check(node.left, known, used, depth + 1)
        _check(node.right, known, used, depth + 1)
        return
    if isinstance(node, ast.Compare):
        _check(node.left, known, used, depth + 1)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.List | ast.Tuple) or not all(
                    isinstance(e, ast.Constant) and isinstance(e.value, int | float | str)
                    for e in right.elts
                ):
                    raise ExpressionError(Phrase("err_expr_in_list"), col=col, fix=Phrase("err_expr_in_fix"))
                continue
            if type(op) not in _CMPOPS:
                raise ExpressionError(Phrase("err_expr_comparison", op=type(op).__name__), col=col,
                                      fix=Phrase("err_expr_comparison_fix"))
            _check(right, known, used, depth + 1)
        return
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, known, used, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(Phrase("err_expr_call_other"), col=col, fix=_functions())
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(Phrase("err_expr_not_function", name=quoted(name)), col=col, fix=_functions())
        if node.keywords:
            raise ExpressionError(Phrase("err_expr_keywords"), col=col, fix=Phrase("err_expr_keywords_fix", name=name))
        want = _ARITY.get(name, 1)
        if len(node.args) != want:
            raise ExpressionError(Phrase("err_expr_arity", name=name, want=want, got=len(node.args)), col=col,
                                  fix=Phrase("err_expr_arity_fix", call=f"{name}({', '.join(['x', 'y'][:want])})"))
        for a in node.args:
            _check(a, known, used, depth + 1)
        return
    if isinstance(node, ast.List | ast.Tuple):
        raise ExpressionError(Phrase("err_expr_list"), col=col, fix=Phrase("err_expr_in_fix"))
    raise ExpressionError(Phrase("err_expr_syntax", what=type(node).__name__), col=col, fix=Phrase("err_expr_plain_fix"))


def _functions() -> Phrase:
    """The fix that lists the functions a rule may call."""
    return Phrase("err_expr_functions", names=Listed(sorted(FUNCTIONS)))


def parse_expression(expr: str) -> ast.expr:
    """The syntax tree of a rule (not checked against the whitelist: use :func:`check_expression`).

    Examples
    --------
    >>> import ast
    >>> ast.dump(parse_expression("x>1"))
    "Compare(left=Name(id='x', ctx=Load()), ops=[Gt()], comparators=[Constant(value=1)])"
    """
    return _parse(expr).body


def fields_read(expr: str) -> set[str]:
    """The field names a rule reads (names of called functions left out), from its syntax tree.

    Examples
    --------
    >>> sorted(fields_read("coalesce(margin_365d/revenue_365d, 0) > 0.1"))
    ['margin_365d', 'revenue_365d']
    """
    tree = parse_expression(expr)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def contains_expression(expr: str, part: str) -> bool:
    """Whether the syntax tree of ``part`` occurs inside that of ``expr`` (spaces and redundant
    parentheses do not matter, only the parsed rule).

    Examples
    --------
    >>> contains_expression("margin_365d/revenue_365d > 0.1", "margin_365d / revenue_365d")
    True
    >>> contains_expression("revenue_365d > 0", "margin_365d")
    False
    """
    want = ast.dump(parse_expression(part))
    return any(ast.dump(n) == want for n in ast.walk(parse_expression(expr)))


def evaluate(expr: str, table: pd.DataFrame) -> np.ndarray:
    """Evaluate a checked expression column-wise on ``table``; one value per row.

    The expression is checked first against ``table``'s columns. Arithmetic runs in float64
    (overflow gives ``inf``, never a hang); comparisons with a missing value are false.

    Examples
    --------
    >>> import pandas as pd
    >>> evaluate("coalesce(x, 0) * 2", pd.DataFrame({"x": [1.0, None]})).tolist()
    [2.0, 0.0]
    """
    tree = _parse(expr)
    _check(tree.body, set(map(str, table.columns)), set(), depth=0)
    with np.errstate(all="ignore"):
        out = _eval(tree.body, table)
    if np.ndim(out) == 0:
        out = np.full(len(table), out)
    return np.asarray(out)


NUMBER_TEXT = r"[ \t]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t]*"
"""Text that reads as a number (the whole text): a plain decimal number, a sign, a point and an
exponent allowed, spaces or tabs around; anything else (``1,000``, ``5_000``, ``inf``, ``nan``,
``0x10``) is missing. The engine reads text by the same pattern
(:func:`xuanba.standard.engine_rules.as_number`), so that both read the same numbers."""
_NUMBER_TEXT = re.compile(NUMBER_TEXT)


def to_number(values: Any, *, what: str | Phrase | None = None) -> np.ndarray:
    """``values`` (a column or an array) as float64 by the one rule both implementations follow:
    numbers and booleans as they are (a missing one NaN), text by :data:`NUMBER_TEXT`. A date or
    time column is refused with a :class:`~xuanba.errors.DataError` naming ``what`` (when given;
    without it such values are missing).

    Examples
    --------
    >>> to_number(pd.Series(["5", " 7 ", "1e3", "5_000", "1,000", "inf", None])).tolist()
    [5.0, 7.0, 1000.0, nan, nan, nan, nan]
    """
    col = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object)
                                                                 if np.ndim(values) else [values])
    kind = col.dtype
    if pd.api.types.is_datetime64_any_dtype(kind) or pd.api.types.is_timedelta64_dtype(kind) or (
            kind == np.dtype(object) and pd.api.types.infer_dtype(col, skipna=True) in ("date", "datetime", "time")):
        if what is not None:
            from xuanba.errors import DataError

            raise DataError(Phrase("err_date_not_number", what=what), fix=Phrase("err_date_not_number_fix"))
        return np.full(len(col), np.nan)
    if pd.api.types.is_bool_dtype(kind) or pd.api.types.is_numeric_dtype(kind):
        return col.to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(col), np.nan)
    for i, v in enumerate(col.to_numpy(dtype=object)):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, str):
            m = _NUMBER_TEXT.fullmatch(v)
            out[i] = float(m.group(1)) if m else np.nan
        elif isinstance(v, bool | int | float | np.number) or type(v).__name__ == "Decimal":
            out[i] = float(v)
    return out


def truth(values: Any) -> np.ndarray:
    """Whether a rule's value holds for each row, as a gate reads it: a missing value (NaN,
    None) is false, a number is true when not 0, text when not empty.

    Example
    -------
    >>> truth(np.array([1.0, np.nan, 0.0])).tolist()
    [True, False, False]
    """
    return np.asarray(_truth(np.asarray(values)), dtype=bool)


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    col = table[name]
    if pd.api.types.is_bool_dtype(col):
        if col.hasnans:  # pandas' nullable booleans: 1, 0 and a missing value, as the engine reads them
            return col.to_numpy(dtype="float64", na_value=np.nan)
        return col.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype="float64", na_value=np.nan)
    return col.astype(object).where(col.notna(), None).to_numpy()


def _truth(x: Any) -> Any:
    if isinstance(x, np.ndarray) and x.dtype != bool:
        if x.dtype == object:
            return np.array([bool(v) if v is not None else False for v in x], dtype=bool)
        return np.nan_to_num(x, nan=0.0) != 0
    return x


def _eval(node: ast.AST, t: pd.DataFrame) -> Any:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool | str):
            return v
        return np.float64(v)
    if isinstance(node, ast.Name):
        return _column(t, node.id)
    if isinstance(node, ast.BoolOp):
        vals = [_truth(_eval(v, t)) for v in node.values]
        fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, t)
        if isinstance(node.op, ast.Not):
            return np.logical_not(_truth(v))
        return np.negative(v) if isinstance(node.op, ast.USub) else np.positive(v)
    if isinstance(node, ast.BinOp):
        left, right = _num(_eval(node.left, t)), _num(_eval(node.right, t))
        out = _BINOPS[type(node.op)](left, right)
        if isinstance(node.op, ast.Pow):  # a missing value makes any power missing (numpy: NaN ** 0 is 1)
            out = np.where(np.isnan(np.asarray(left, dtype=float)) | np.isnan(np.asarray(right, dtype=float)), np.nan, out)
        return out
    if isinstance(node, ast.Compare):
        left = _eval(node.left, t)
        result: Any = True
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                values = [e.value for e in comp.elts]  # type: ignore[attr-defined]
                hit = pd.Series(np.broadcast_to(left, (len(t),))).isin(values).to_numpy()
                part = hit if isinstance(op, ast.In) else ~hit
                right = left
            else:
                right = _eval(comp, t)
                part = _compare(_CMPOPS[type(op)], left, right)
            result = np.logical_and(result, part)
            left = right
        return result
    if isinstance(node, ast.IfExp):
        return np.where(_truth(_eval(node.test, t)), _eval(node.body, t), _eval(node.orelse, t))
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        args = [_eval(a, t) for a in node.args]
        if node.func.id in ("isnull", "notnull", "coalesce"):  # type: ignore[attr-defined]
            return fn(*args)
        return fn(*[_num(a) for a in args])
    raise ExpressionError(f"{type(node).__name__} is not allowed in a rule")  # pragma: no cover


def _num(x: Any) -> Any:
    if isinstance(x, np.ndarray) and x.dtype == object:
        return to_number(x)
    if isinstance(x, str):
        raise ExpressionError(Phrase("err_expr_text_arithmetic", value=repr(x)))
    return x


def _compare(fn: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    if (isinstance(left, np.ndarray) and left.dtype == object) or isinstance(left, str) or (
        isinstance(right, np.ndarray) and right.dtype == object) or isinstance(right, str):
        n = np.size(left) if np.ndim(left) else (np.size(right) if np.ndim(right) else 1)
        lv = np.broadcast_to(np.asarray(left, dtype=object), (n,))
        rv = np.broadcast_to(np.asarray(right, dtype=object), (n,))
        # compared customer by customer: a missing value (None) on either side makes the comparison
        # false for that customer alone, as does text against a number (numpy would raise for all)
        ok = pd.notna(lv) & (pd.notna(rv) if isinstance(right, np.ndarray) and right.dtype == object else True)
        res = np.zeros(n, dtype=bool)
        if ok.any():
            a, b = lv[ok], rv[ok]
            try:
                res[ok] = np.asarray(fn(a, b), dtype=bool)
            except TypeError:
                res[ok] = [_one(fn, x, y) for x, y in zip(a, b, strict=True)]
        return res
    res = fn(left, right)
    return res


def _one(fn: Callable[[Any, Any], Any], x: Any, y: Any) -> bool:
    try:
        return bool(fn(x, y))
    except TypeError:
        return False
