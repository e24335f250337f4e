"""Apply a standard to a table of per-customer fields: scores, gates, ranks, tiers, capacity.

Everything is column-wise numpy over the table sorted by ``customer_id`` first, so the result
never depends on the order of the input rows (and is byte-identical run after run).

How a score is made: each criterion's raw value (a field or a formula) is oriented (``lower``
is better → negated), normalised to 0–1 —

* ``percentile``: among customers with a value, the share strictly below, out of those below the
  top: ``(rank_min - 1) / (m - count_of_max)`` (the lowest value 0, the highest 1, ties equal);
* ``minmax``: ``(x - min) / (max - min)``;
* ``zscore``: ``z = (x - mean) / sd`` (population), clipped to ±3 and mapped to 0–1;
* ``bands``: the points (0–100) of the band the value falls in, divided by 100;

(all values equal → 0.5; a missing value scores 0 unless ``missing`` says otherwise) and
contributes ``100 × share × normalised`` points, ``share`` being its weight over the sum of
weights. The score is the sum of the contributions (0–100).

Gap to the next tier: the score points a customer lacks to reach the bar of the tier above
(its ``min_score``, or the lowest score in it when the tier is full), and for each criterion the
raw change that alone would close it with the rest of the base as it is (exact for percentile and
bands); the **cheapest** criterion is the one whose change is smallest in standard deviations of
that criterion. The **cheapest public** criterion, the one statements may name, is chosen among
the public criteria that read no model prediction (a customer cannot raise a forecast).

Example
-------
>>> import pandas as pd
>>> from xuanba.standard import load_standard
>>> s = load_standard('''[standard]
... name = "demo"
... version = "1"
... [[criteria]]
... name = "revenue"
... field = "revenue_365d"
... weight = 1
... [[tiers]]
... name = "A"
... quota = 1
... ''')
>>> t = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue_365d": [10.0, 30.0, 20.0]})
>>> r = score_customers(t, s).roster
>>> r[["customer_id", "rank", "score", "tier"]].to_dict("list")
{'customer_id': ['b', 'c', 'a'], 'rank': [1, 2, 3], 'score': [100.0, 50.0, 0.0], 'tier': ['A', '', '']}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from xuanba._frames import arrow_text, ids_sorted, text_from_codes
from xuanba.errors import DataError, Phrase, no_id_fix, quoted
from xuanba.standard.expressions import ExpressionError, evaluate, to_number, truth
from xuanba.standard.schema import Criterion, Standard

ROSTER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "rank",
    "score",
    "tier",
    "selected",
    "quadrant",
    "value_score",
    "potential_score",
    "gates_failed",
    "next_tier",
    "gap_to_next",
    "cheapest_criterion",
    "cheapest_change",
    "left_out_by_capacity",
    "cheapest_public_criterion",
    "cheapest_public_change",
)
"""Fixed roster columns, in order; the raw value of each criterion follows, named after it."""

CONTRIBUTION_COLUMNS: tuple[str, ...] = ("customer_id", "criterion", "raw", "normalised", "weight", "contribution")
"""Columns of the long contributions table (``weight`` is the criterion's share of the score)."""

EXACT_KNAPSACK_MAX = 20_000
"""Up to this many candidates a capacity budget is solved exactly (MILP); beyond, greedily."""

#: The version of the scoring rules: a round stores it, so that a later check can tell a roster
#: scored by older rules from one whose figures were changed (``verify_round``). 2: the lowest
#: value earns 0, the next tier skips a tier nobody reached. 3: the rules the engine and this
#: reference share (docs/standard.md, "Edge cases"): a missing value is false in every gate and
#: comparison, ``**`` of a missing value is missing, text reads as a number by one pattern, ±inf
#: in a tie-break is a value and in capacity missing, the score adds criteria left to right, the
#: mean and sd are exact two-pass figures, ``True`` in a list is 1.
SCORING_RULES = 3

SKIPS_EMPTY_TIERS = 2
"""The first :data:`SCORING_RULES` whose next tier up skips the tiers nobody reached."""

#: Rows scored or explained at a time (:func:`_score_of`, :func:`_cheapest`): their temporaries
#: (a customers × criteria block, a dozen arrays per criterion) are held for this many customers,
#: not for every one of ten million.
CHUNK = 1 << 17


@dataclass
class ContributionParts:
    """The long contributions table held as its parts: the customer ids in roster order, the
    criteria (names and weight shares) and three customers × criteria arrays. :meth:`frame`
    makes the table (one row per customer and criterion, rank-major); a round stores the parts
    without making it (4 M rows of repeated ids at a million customers)."""

    customer_id: pd.Series
    criteria: list[str]
    weights: np.ndarray
    raw: np.ndarray
    normalised: np.ndarray
    contribution: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The long table, :data:`CONTRIBUTION_COLUMNS`."""
        n, k = self.raw.shape
        return pd.DataFrame({
            "customer_id": self.customer_id.repeat(k).reset_index(drop=True),
            "criterion": pd.Series(text_from_codes(np.tile(np.arange(k), n), self.criteria)),
            "raw": self.raw.ravel(),
            "normalised": self.normalised.ravel(),
            "weight": np.tile(self.weights, n),
            "contribution": self.contribution.ravel(),
        }, copy=False)


class LongTable:
    """A dataclass field that holds the long contributions table or its :class:`ContributionParts`,
    and makes the table when it is first read (:func:`contribution_parts` gives the parts while
    it is not made). Example: ``Scored.contributions``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> pd.DataFrame:
        if obj is None:  # read on the class: no default value for the dataclass
            raise AttributeError(self._key[1:])
        value = obj.__dict__[self._key]
        if isinstance(value, ContributionParts):
            value = obj.__dict__[self._key] = value.frame()
        return value

    def __set__(self, obj: Any, value: pd.DataFrame | ContributionParts) -> None:
        obj.__dict__[self._key] = value


def contribution_parts(obj: Any) -> ContributionParts | None:
    """The parts of ``obj.contributions`` (a :class:`Scored` or a round) while its long table is
    not made, else ``None``.

    Example
    -------
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "d"\\nversion = "1"\\n[[criteria]]\\nname = "r"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n')
    >>> sc = score_customers(pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": [1.0, 3.0]}), s)
    >>> contribution_parts(sc).raw.tolist(), len(sc.contributions), contribution_parts(sc)
    ([[3.0], [1.0]], 2, None)
    """
    value = getattr(obj, "__dict__", {}).get("_contributions")
    return value if isinstance(value, ContributionParts) else None


@dataclass(repr=False)
class Scored:
    """What :func:`score_customers` returns: the roster, the contributions and notes.

    ``matrix`` holds the same contributions as a customers × criteria array (rows in roster
    order, columns in the standard's order of criteria), kept even when the long
    ``contributions`` table was not asked for; ``order`` the roster's rows as positions in the
    fields sorted by ``customer_id``; ``coded`` (an engine's roster) each text column the roster
    made from small integer codes, as ``(codes, labels)``: its values are ``labels[codes]``, so
    that what is counted or hashed by value can be by code. The long table is made when first
    read (:class:`LongTable`)."""

    roster: pd.DataFrame
    contributions: pd.DataFrame = LongTable()  # type: ignore[assignment]
    info: dict[str, Any] = field(default_factory=dict)
    matrix: np.ndarray | None = None
    order: np.ndarray | None = None
    coded: dict[str, tuple[np.ndarray, list[str]]] | None = None

    def __repr__(self) -> str:
        return f"Scored(customers={len(self.roster)}, info={self.info!r})"


# -- normalisation -----------------------------------------------------------------------------

@dataclass
class _Norm:
    values: np.ndarray                 # normalised 0..1 per customer
    inverse: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (need, idx) -> raw needed
    spread: float                      # a scale for "how big is a change"


def percentile_points(values: np.ndarray) -> np.ndarray:
    """The ``percentile`` normalisation: the share of customers strictly below, out of those below the top.

    ``(rank_min - 1) / (m - count_of_max)``, where ``rank_min`` is the value's lowest rank among the
    ``m`` values (ties take the lowest rank of their group). The lowest value earns 0 and the highest
    1 however many share them; equal values earn equal points; a higher value never earns less.
    When every value is the same (or there is one), each earns 0.5: nobody differs.

    Examples
    --------
    >>> percentile_points(np.array([0.0, 0.0, 0.0, 5.0, 7.0, 7.0])).tolist()
    [0.0, 0.0, 0.0, 0.75, 1.0, 1.0]
    >>> percentile_points(np.array([3.0, 3.0])).tolist()
    [0.5, 0.5]
    """
    v = np.asarray(values, dtype="float64")
    m = len(v)
    if m == 0:
        return np.zeros(0)
    top = float(v.max())
    below_top = m - int((v == top).sum())
    if below_top == 0:
        return np.full(m, 0.5)
    if np.isnan(v).any():  # scipy's ranks of NaN (the rule is for values only)
        return (rankdata(v, method="min") - 1.0) / below_top
    return values_below(v) / below_top


def values_below(values: np.ndarray) -> np.ndarray:
    """How many of ``values`` (no NaN) lie strictly below each one: ``rankdata(values, "min") - 1``,
    from one sort that may order equal values any way (each takes the position of the first of
    its run), a fifth of the cost of the stable sort that ranks need.

    Example
    -------
    >>> values_below(np.array([5.0, 1.0, 5.0, 3.0, 1.0])).tolist()
    [3, 0, 3, 2, 0]
    """
    v = np.asarray(values, dtype="float64")
    m = len(v)
    perm = np.argsort(v)
    first = np.arange(m, dtype=np.int64)
    if m > 1:
        sv = v[perm]
        first[1:][sv[1:] == sv[:-1]] = 0
        del sv
        np.maximum.accumulate(first, out=first)
    below = np.empty(m, dtype=np.int64)
    below[perm] = first
    return below


def _percentile_needed(sorted_v: np.ndarray, own: np.ndarray, need: np.ndarray,
                       below: np.ndarray | None = None) -> np.ndarray:
    """The least (oriented) value that earns ``need`` under :func:`percentile_points`, the other
    customers' values staying as they are; ``own`` is each customer's present value (NaN: none);
    ``below``, when known, how many values lie strictly below each ``own`` (spares a search)."""
    m = len(sorted_v)
    has = ~np.isnan(own)
    mo = m - has.astype(np.int64)  # how many others have a value
    out = np.full(len(need), np.nan)
    if m == 0:
        return out
    if below is None:
        below = np.searchsorted(sorted_v, np.where(has, own, 0.0), side="left")
    pos = np.where(has, below, m)

    def kth(j: np.ndarray) -> np.ndarray:  # the j-th smallest other value (0-based)
        j = np.clip(j, 0, None)
        return sorted_v[np.clip(np.where(j < pos, j, j + 1), 0, m - 1)]

    top = kth(mo - 1)  # always the largest or the second largest value: count those two only
    cand = sorted_v[[max(m - 2, 0), m - 1]]
    counts = np.searchsorted(sorted_v, cand, side="right") - np.searchsorted(sorted_v, cand, side="left")
    at_top = np.where(top == cand[1], counts[1], counts[0]) - (has & (own == top)).astype(np.int64)
    below_top = mo + 1 - at_top  # those below the top once this customer sits below it too
    k = np.maximum(np.ceil(np.clip(need, 0.0, 1.0) * below_top - 1e-9), 1).astype(np.int64)
    one_value = kth(np.zeros_like(mo)) == top  # the others all equal: joining them earns only 0.5
    reach_top = np.where(one_value & (need > 0.5 + 1e-12), np.nextafter(top, np.inf), top)
    y = np.where(k <= mo - at_top, np.nextafter(kth(k - 1), np.inf), reach_top)
    return np.where(mo >= 1, y, out)


def _oriented(raw: np.ndarray, c: Criterion) -> np.ndarray:
    return raw if c.direction == "higher" else -raw


def _raw_back(y: np.ndarray, c: Criterion) -> np.ndarray:
    return y if c.direction == "higher" else -y


def exact_sum(values: np.ndarray) -> float:
    """The sum of ``values`` correctly rounded (``math.fsum``): the same whatever the order of the
    values, which a plain sum is not; a sum beyond the largest double is ±inf.

    Example
    -------
    >>> exact_sum(np.array([1e16, 1.0, -1e16])), float(np.sum(np.array([1e16, 1.0, -1e16])))
    (1.0, 0.0)
    """
    import math

    try:
        return math.fsum(np.asarray(values, dtype="float64").tolist())
    except OverflowError:
        return float(np.sum(values))


def mean_and_sd(values: np.ndarray) -> tuple[float, float]:
    """The mean and the population standard deviation of ``values`` (no NaN) in two passes, each
    sum correctly rounded (:func:`exact_sum`): ``mean = Σx / n``, ``sd = sqrt(Σ(x − mean)² / n)``.
    Far from zero (epoch milliseconds, 1.7e12 ± 300) a one-pass formula loses digits, and a plain
    sum depends on the order of the rows; the engine computes the same figures
    (:func:`xuanba.standard.engine._base_figures`).

    Example
    -------
    >>> mean_and_sd(np.array([1.7e12 + 1, 1.7e12 + 3]))
    (1700000000002.0, 1.0)
    """
    import math

    v = np.asarray(values, dtype="float64")
    n = len(v)
    if n == 0:
        return float("nan"), float("nan")
    mean = exact_sum(v) / n
    with np.errstate(all="ignore"):
        d = v - mean
        var = exact_sum(d * d) / n
    return mean, math.sqrt(var) if var >= 0 else float("nan")


def spread_refused(name: str) -> Exception:
    """The refusal of a criterion whose values are too large to take their spread (beyond about
    1e154 their squares pass the largest double), the same words on both implementations."""
    return DataError(Phrase("err_engine_out_of_range", detail=f"criterion {name!r}"),
                     fix=Phrase("err_engine_out_of_range_fix"))


def _normalise(raw: np.ndarray, c: Criterion) -> _Norm:
    """Normalise one criterion's raw values (missing already substituted where asked)."""
    import math

    n = len(raw)
    ok = ~np.isnan(raw)
    m = int(ok.sum())
    out = np.zeros(n)
    mean_raw, sd_raw = mean_and_sd(raw[ok]) if m else (0.0, 0.0)
    if not (math.isfinite(mean_raw) and math.isfinite(sd_raw)):
        raise spread_refused(c.name)
    spread = sd_raw if sd_raw > 0 else max(float(np.abs(raw[ok]).mean()) if m else 1.0, 1.0)
    s = _oriented(raw, c)
    if c.normalise == "bands":
        th = np.array([b[0] for b in c.bands or []], dtype=float)
        pts = np.array([b[1] for b in c.bands or []], dtype=float) / 100.0
        if c.direction == "higher":
            j = np.searchsorted(th, raw[ok], side="right") - 1
            out[ok] = np.where(j >= 0, pts[np.clip(j, 0, None)], 0.0)
        else:
            j = np.searchsorted(th, raw[ok], side="left")
            out[ok] = np.where(j < len(th), pts[np.clip(j, None, len(th) - 1)], 0.0)

        def inv_bands(need: np.ndarray, idx: np.ndarray) -> np.ndarray:
            res = np.full(len(need), np.nan)
            if c.direction == "higher":
                for k in range(len(th) - 1, -1, -1):  # smallest threshold with enough points
                    res = np.where(pts[k] >= need - 1e-12, th[k], res)
            else:
                for k in range(len(th)):  # largest threshold with enough points
                    res = np.where(pts[k] >= need - 1e-12, th[k], res)
            return res

        return _Norm(out, inv_bands, spread)
    if m == 0:
        return _Norm(out, lambda need, idx: np.full(len(need), np.nan), spread)
    v = s[ok]
    if c.normalise == "percentile":
        # how many values lie strictly below each customer's (held for the inverse: 4 bytes will do)
        below = np.full(n, m, dtype=np.int32 if n < 2**31 else np.int64)
        below[ok] = values_below(v)
        top_n = m - int((v == v.max()).sum())
        out[ok] = (below[ok] / top_n) if top_n else 0.5  # percentile_points(v), its ranks kept
        sorted_v = np.sort(v)

        def inv_pct(need: np.ndarray, idx: np.ndarray) -> np.ndarray:
            return _raw_back(_percentile_needed(sorted_v, s[idx], need, below[idx]), c)

        return _Norm(out, inv_pct, spread)
    if c.normalise == "minmax":
        lo, hi = float(v.min()), float(v.max())
        out[ok] = 0.5 if hi == lo else (v - lo) / (hi - lo)

        def inv_mm(need: np.ndarray, idx: np.ndarray) -> np.ndarray:
            if hi == lo:
                return np.full(len(need), np.nan)
            return _raw_back(lo + np.clip(need, 0, 1) * (hi - lo), c)

        return _Norm(out, inv_mm, spread)
    mean, sd = (mean_raw if c.direction == "higher" else -mean_raw), sd_raw  # the spread of -x is that of x
    out[ok] = 0.5 if sd == 0 else np.clip(((v - mean) / sd + 3.0) / 6.0, 0.0, 1.0)

    def inv_z(need: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if sd == 0:
            return np.full(len(need), np.nan)
        return _raw_back(mean + sd * (np.clip(need, 0, 1) * 6.0 - 3.0), c)

    return _Norm(out, inv_z, spread)


# -- the main entry ----------------------------------------------------------------------------

def _prepare(fields: pd.DataFrame) -> pd.DataFrame:
    """A copy sorted by customer_id (text), checked for duplicates. The copy is shallow: columns
    are only ever replaced in it, never written in place (pandas 2.2 shares their data without
    copy-on-write), so nothing reaches ``fields`` (tested); a deep copy of a round's
    40 fields (which first merges their blocks) cost seconds and a second copy in memory."""
    if "customer_id" not in fields.columns:
        raise DataError(Phrase("err_fields_no_id"), fix=no_id_fix(fields))
    if len(fields) == 0:
        raise DataError(Phrase("err_no_customers_to_score"), fix=Phrase("err_no_customers_to_score_fix"))
    missing = int(fields["customer_id"].isna().sum())
    if missing:  # not a text "None" or "nan" to rank: a row that names no customer
        raise DataError(Phrase("err_id_missing", n=f"{missing:,}"), column="customer_id",
                        fix=Phrase("err_id_missing_fix"))
    table = fields.copy(deep=False)
    table["customer_id"] = table["customer_id"].astype("str")
    if not ids_sorted(table["customer_id"]):
        table = table.sort_values("customer_id", kind="stable")
    table = table.reset_index(drop=True)
    ids = table["customer_id"]
    dup = _next_equal(ids)
    dup = pd.Series(np.concatenate([[False], dup]) | np.concatenate([dup, [False]]))
    if dup.any():
        ids = table.loc[dup, "customer_id"].unique()
        raise DataError(Phrase("err_customer_twice"), examples=ids[:5], count=len(ids),
                        fix=Phrase("err_customer_twice_fix"))
    return table


def _next_equal(ids: pd.Series) -> np.ndarray:
    """Whether each id but the last equals the next one (compared in Arrow when the ids are
    Arrow text: no Python string per row)."""
    if len(ids) < 2:
        return np.zeros(0, dtype=bool)
    import pyarrow.compute as pc

    arr = arrow_text(ids)
    if arr is not None:
        return pc.equal(arr[1:], arr[:-1]).to_numpy(zero_copy_only=False)
    values = ids.to_numpy()
    return values[1:] == values[:-1]


def _raw_values(table: pd.DataFrame, c: Criterion) -> np.ndarray:
    if c.field in table.columns and text_or_date(table[c.field]):  # as the engine refuses a text column
        raise not_numbers(c, table[c.field], table["customer_id"])
    try:
        values = evaluate(c.field, table)
    except ExpressionError as exc:
        raise DataError(Phrase("err_criterion_not_computed", name=quoted(c.name), detail=exc.phrase or exc.message),
                        fix=exc.fix_phrase or exc.fix or Phrase("err_check_field_names")) from None
    try:
        return np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise criterion_refused(c) from None


def not_numbers(c: Criterion, values: pd.Series, ids: pd.Series, *, file: str | None = None,
                rows: bool = False) -> DataError:
    """The refusal of criterion ``c``, which reads the column ``values`` (text or dates,
    :func:`text_or_date`) of the customers ``ids`` as numbers: the first value that is no number
    by :func:`~xuanba.standard.expressions.to_number`'s rule, its customer and how many there are
    (a column of dates, or of text that each reads as a number, said as such). ``rows``: the row
    (1-based, the first under the header row 1, as ingest counts) is named too, ``values`` being
    in the order of ``file``. The engine says the same (:func:`xuanba.standard.engine.roster_expression`).

    Example
    -------
    >>> from xuanba.standard.schema import Criterion
    >>> c = Criterion(name="nps", field="nps", weight=1)
    >>> print(not_numbers(c, pd.Series(["5", "n/a", "x"]), pd.Series(["a", "b", "c"])).render("zh"))
    “nps”列：指标 “nps” 按数字读取这一列，而 “n/a”（客户 “b”）不是数字（共 2 处）
      解决办法：请在该列每个单元格中填写普通数字（1234.5；空单元格按缺失计），或在门槛中使用文本（例如 segment == 'A'），而不是在指标中使用。
    """
    if _dates(values):
        return criterion_refused(c, dates=True, file=file)
    bad = np.flatnonzero(values.notna().to_numpy() & np.isnan(to_number(values)))
    if not len(bad):
        return criterion_refused(c, file=file)
    first = int(bad[0])
    return criterion_refused(c, value=values.iloc[first], customer=ids.iloc[first], count=len(bad), file=file,
                             row=first + 1 if rows else None)


def criterion_refused(c: Criterion, *, dates: bool = False, value: object = None, customer: object = None,
                      count: int = 0, file: str | None = None, row: int | None = None) -> DataError:
    """The refusal of criterion ``c`` reading a column that is not numbers, in the one wording of
    both implementations: a column of ``dates``; ``value`` (of ``customer``), the first of ``count``
    values that are no number; or (no ``count``) text that each reads as a number (:func:`not_numbers`)."""
    if dates:
        return DataError(Phrase("err_criterion_date", criterion=quoted(c.name)), file=file, column=c.field,
                         fix=Phrase("err_criterion_date_fix"))
    if not count:
        return DataError(Phrase("err_criterion_text_typed", criterion=quoted(c.name)), file=file, column=c.field,
                         fix=Phrase("err_criterion_text_typed_fix"))
    return DataError(Phrase("err_criterion_text", criterion=quoted(c.name), value=quoted(value),
                            customer=quoted(customer)),
                     file=file, row=row, column=c.field, count=count, fix=Phrase("err_criterion_text_fix"))


def _dates(col: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(col.dtype) or pd.api.types.is_timedelta64_dtype(col.dtype):
        return True
    return col.dtype == np.dtype(object) and pd.api.types.infer_dtype(col, skipna=True) in ("date", "datetime", "time")


def text_or_date(col: pd.Series) -> bool:
    """Whether a column holds text or dates (what the engine reads as a text or time column; a
    categorical one by its categories, as Arrow's dictionary of them)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return text_or_date(pd.Series(col.cat.categories))
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return False
    if pd.api.types.is_datetime64_any_dtype(col.dtype) or pd.api.types.is_timedelta64_dtype(col.dtype):
        return True
    return pd.api.types.infer_dtype(col, skipna=True) in ("string", "bytes", "mixed", "mixed-integer",
                                                          "date", "datetime", "time", "empty")


def _fill_missing(raw: np.ndarray, c: Criterion) -> np.ndarray:
    if c.missing == "zero" or not np.isnan(raw).any():
        return raw
    if c.missing == "median":
        ok = raw[~np.isnan(raw)]
        if not len(ok):  # nobody has a value: nobody differs, everyone gets the middle
            return np.zeros_like(raw)
        value = float(np.median(ok))
    else:
        value = float(c.missing)
    return np.where(np.isnan(raw), value, raw)


@dataclass
class Ranked:
    """What :func:`rank_customers` returns: per row of ``table`` (the fields sorted by
    ``customer_id``), the ``score``, the gates ``failed``, the ``tier`` index (-1: not selected),
    whether capacity ``left_out`` a customer, the ``rank`` (1 = best), and ``order`` (the rows
    best first); with the raw and normalised values the roster is built from (a contribution is
    ``100 × share × normalised``, made again in rank order rather than held in row order)."""

    table: pd.DataFrame
    score: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    tier: np.ndarray
    failed: np.ndarray
    left_out: np.ndarray
    info: dict[str, Any]
    gate_bits: np.ndarray = field(repr=False)
    raws: dict[str, np.ndarray] = field(repr=False)
    norms: dict[str, _Norm] = field(repr=False)

    @property
    def selected(self) -> np.ndarray:
        """Rows of ``table`` selected, best first."""
        return self.order[self.tier[self.order] >= 0]


def rank_customers(fields: pd.DataFrame, standard: Standard) -> Ranked:
    """Score, gate, rank, tier and cap every customer of ``fields`` by ``standard``: the selection
    alone, without the roster's explanations (gaps, cheapest criteria, quadrants), which is what a
    backtest or a tune needs at every cutoff. :func:`score_customers` builds the roster on it.

    Example
    -------
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "d"\\nversion = "1"\\n[[criteria]]\\nname = "r"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n')
    >>> r = rank_customers(pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": [1.0, 3.0]}), s)
    >>> r.table["customer_id"][r.selected].tolist(), r.rank.tolist()
    (['b'], [2, 1])
    """
    table = _prepare(fields)
    n = len(table)
    shares = standard.weight_shares
    crits = standard.criteria
    raws: dict[str, np.ndarray] = {}
    norms: dict[str, _Norm] = {}
    for c in crits:
        raw = _raw_values(table, c)
        if np.isinf(raw).any():
            raw = np.where(np.isinf(raw), np.nan, raw)  # e.g. a ratio over zero: treated as missing
        raws[c.name] = raw
        filled = _fill_missing(raw, c)
        norms[c.name] = _normalise(filled, c)
    score = _score_of(crits, shares, norms, n)

    # gates
    failed = np.zeros(n, dtype=bool)
    gate_bits = _no_gate_failed(n, len(standard.gates))
    for bit, g in enumerate(standard.gates):
        try:
            ok = truth(evaluate(g.expr, table))  # a missing value is false, as in `not`, `and`, `or`
        except ExpressionError as exc:
            raise DataError(Phrase("err_gate_not_checked", name=quoted(g.name), detail=exc.phrase or exc.message),
                            fix=exc.fix_phrase or exc.fix or Phrase("err_check_field_names")) from None
        fail = ~ok
        failed |= fail
        if gate_bits.ndim == 1:
            gate_bits |= fail.astype(gate_bits.dtype) << gate_bits.dtype.type(bit)
        else:  # more gates than a word: byte bit // 8 of the row, bit bit % 8 of it
            gate_bits[:, bit // 8] |= fail.astype(np.uint8) << np.uint8(bit % 8)

    # rank: score desc, tie-break fields, customer id (the table's order)
    keys: list[np.ndarray] = []
    for name, asc in reversed(standard.tie_break.sort_keys()[:-1]):
        col = table[name] if name in table.columns else None
        if col is None:
            raise DataError(Phrase("err_tie_break_missing", name=quoted(name)), fix=Phrase("err_tie_break_missing_fix"))
        vals = to_number(col, what=Phrase("err_what_tie_break", name=quoted(name)))
        missing = np.isnan(vals)  # missing last, after every value (±inf too: a value)
        keys.append(np.where(missing, 0.0, vals if asc else -vals))
        keys.append(missing.astype(np.int8))  # the more significant key of the two
    order = rank_order(score, keys)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)

    # tiers before capacity, in rank order
    tier_idx = tier_rows(standard, score, order, ~failed)

    # capacity
    pre = tier_idx >= 0
    kept, info = _apply_capacity(standard, table, score, order, pre)
    left_out = pre & ~kept
    tier_idx = np.where(kept, tier_idx, -1)
    return Ranked(table, score, order, rank, tier_idx, failed, left_out, info, gate_bits, raws, norms)


def _score_of(crits: list[Criterion], shares: dict[str, float], norms: dict[str, _Norm], n: int) -> np.ndarray:
    """Each row's score, the sum of its contributions rounded to 6 places, made :data:`CHUNK`
    rows at a time (each row's sum is the same whatever the rows beside it: not a customers ×
    criteria array held whole)."""
    score = np.empty(n)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        total = np.zeros(stop - start)
        for c in crits:  # left to right, as the engine adds them (numpy's sum of a row pairs them)
            total += 100.0 * shares[c.name] * norms[c.name].values[start:stop]
        score[start:stop] = total
    return np.round(score, 6)


def rank_order(score: np.ndarray, ties: list[np.ndarray]) -> np.ndarray:
    """Rows best first: by ``score`` descending, then by the tie-break keys (``ties``, the last
    one first, each ascending), then by row — ``np.lexsort([rows, *ties, -score])``, with the
    tie-break keys sorted only among the rows that share a score (a stable sort of the scores
    alone is a quarter of the cost of the full sort of a million rows), and the scores sorted as
    one array of whole numbers when they are multiples of a millionth (a round's are, see
    :func:`score_order`).

    Example
    -------
    >>> rank_order(np.array([1.0, 3.0, 1.0, 2.0]), [np.array([0.0, 0.0, -5.0, 0.0])]).tolist()
    [1, 3, 2, 0]
    """
    n = len(score)
    if np.isnan(score).any():  # NaN never equals itself: the full sort groups them
        return np.lexsort([np.arange(n), *ties, -score]) if ties else np.argsort(-score, kind="stable")
    order = score_order(score)
    if not ties:
        return order
    s = score[order]
    same = s[1:] == s[:-1]
    del s
    tied = np.flatnonzero(np.concatenate([same, [False]]) | np.concatenate([[False], same]))
    if len(tied):
        rows = order[tied]  # in row order within each run of equal scores: lexsort is stable
        group = np.cumsum(np.concatenate([[True], ~same]))[tied]  # which run of equal scores
        order[tied] = rows[np.lexsort([*(k[rows] for k in ties), group])]
    return order


def score_order(score: np.ndarray) -> np.ndarray:
    """Rows by ``score`` descending, equal scores in row order: ``np.argsort(-score, kind="stable")``.

    Scores that are multiples of a millionth (a round's, rounded to 6 places), each within
    ±2**52 millionths and spanning fewer than ``2**min(52, 62 - bits)`` of them (``bits`` the
    bits of a row number, so that the key below fits in 63 bits), are made whole numbers ``k``
    and sorted as one 64-bit key per row, ``(max - k) << bits | row``: an unstable sort of whole
    numbers, which gives the stable order at a tenth of the cost of the stable sort of the
    scores. Any other scores are sorted as such.

    Example
    -------
    >>> score_order(np.array([0.5, 2.25, 0.5, -0.0, 0.0, 2.250001])).tolist()
    [5, 1, 0, 2, 3, 4]
    """
    n = len(score)
    bits = max(int(n - 1).bit_length(), 1)
    if n:
        with np.errstate(invalid="ignore", over="ignore"):
            k = np.rint(score * 1e6)
        lo, hi = (float(k.min()), float(k.max())) if np.isfinite(k).all() else (np.inf, -np.inf)
        if -(2.0**52) <= lo <= hi <= 2.0**52 and hi - lo < 2.0 ** min(52, 62 - bits) and np.array_equal(k / 1e6, score):
            key = (hi - k).astype(np.int64)  # exact: whole numbers below 2**52
            del k
            key <<= bits
            key |= np.arange(n, dtype=np.int64)
            key.sort()
            key &= (1 << bits) - 1
            return key
    return np.argsort(-score, kind="stable")


def tier_rows(standard: Standard, score: np.ndarray, order: np.ndarray, passing: np.ndarray) -> np.ndarray:
    """The tier index of every row before capacity (-1: none): in rank ``order``, each tier takes
    the passing customers not yet in a tier whose score reaches its ``min_score``, up to its quota."""
    n = len(score)
    ranked_score, ranked_ok = score[order], passing[order]  # taken in rank order once, not per tier
    ranked_tier = np.full(n, -1, dtype=np.int64)
    for k, t in enumerate(standard.tiers):
        elig = ranked_ok & (ranked_tier < 0)
        if t.min_score is not None:
            elig &= ranked_score >= t.min_score - 1e-9
        quota = t.quota_count(n)
        if quota is not None:
            elig[np.flatnonzero(elig)[quota:]] = False  # the first `quota` of them, best first
        ranked_tier[elig] = k
    tier_idx = np.empty(n, dtype=np.int64)
    tier_idx[order] = ranked_tier
    return tier_idx


def score_customers(fields: pd.DataFrame, standard: Standard, *, contributions: bool = True) -> Scored:
    """Score, gate, rank and tier every customer of ``fields`` by ``standard``.

    Parameters
    ----------
    fields
        One row per ``customer_id`` with every field the standard uses (facts, predictions,
        account fields, attributes, extra columns).
    standard
        A validated :class:`~xuanba.standard.Standard`.
    contributions
        Build the long contributions table (one row per customer and criterion); without it
        ``contributions`` is empty and only ``matrix`` holds them (what a what-if needs).

    Returns
    -------
    Scored
        ``roster`` (columns :data:`ROSTER_COLUMNS` then each criterion's raw value, sorted by
        rank), ``contributions`` (long, :data:`CONTRIBUTION_COLUMNS`, same customer order),
        ``info`` (capacity method and counts) and ``matrix`` (customers × criteria).
    """
    r = rank_customers(fields, standard)
    n, order, crits, shares = len(r.table), r.order, standard.criteria, standard.weight_shares
    info = r.info
    info.update({
        "n_customers": int(n),
        "n_selected": int((r.tier >= 0).sum()),
        "n_gated_out": int(r.failed.sum()),
        "n_left_out_by_capacity": int(r.left_out.sum()),
        "tier_counts": dict(zip([t.name for t in standard.tiers],
                                np.bincount(r.tier[r.tier >= 0], minlength=len(standard.tiers)).tolist(), strict=True)),
    })
    value_score, potential_score, quadrant = _quadrants(standard, r.norms, n)
    next_tier, gap = _gaps(standard, r.score, r.tier, r.left_out, n)
    cheap, change, cheap_pub, change_pub = _cheapest(standard, r.norms, r.raws, shares, gap)

    # The contributions' parts in rank order (a column per criterion: Fortran order), then the
    # roster; each array in row order is let go once it is taken in rank order, so that the
    # two orders are never held whole at once (see docs/benchmarks_round.md, scoring step).
    k = len(crits)
    matrix = np.empty((n, k))
    for j, c in enumerate(crits):
        matrix[:, j] = 100.0 * shares[c.name] * r.norms[c.name].values[order]
    long: pd.DataFrame | ContributionParts
    if contributions:
        raw_m = np.empty((n, k), order="F")
        norm_m = np.empty((n, k), order="F")
        for j, c in enumerate(crits):
            np.take(r.raws[c.name], order, out=raw_m[:, j], mode="clip")  # "raise" would buffer `out`
            np.take(r.norms[c.name].values, order, out=norm_m[:, j], mode="clip")
    r.norms = {}  # with them the inverses' sorted values and ranks
    columns: dict[str, Any] = {
        "customer_id": r.table["customer_id"], "rank": r.rank, "score": r.score,
        "tier": _Coded(np.where(r.tier < 0, len(standard.tiers), r.tier), [t.name for t in standard.tiers] + [""]),
        "selected": r.tier >= 0, "quadrant": quadrant, "value_score": value_score,
        "potential_score": potential_score, "gates_failed": _gate_labels(standard, r.gate_bits),
        "next_tier": next_tier, "gap_to_next": gap, "cheapest_criterion": cheap, "cheapest_change": change,
        "left_out_by_capacity": r.left_out, "cheapest_public_criterion": cheap_pub,
        "cheapest_public_change": change_pub,
        **{c.name: r.raws[c.name] for c in crits},
    }
    del r, quadrant, value_score, potential_score, next_tier, gap, cheap, change, cheap_pub, change_pub
    ordered: dict[str, Any] = {}
    for name in list(columns):
        col = columns.pop(name)
        if isinstance(col, _Coded):
            ordered[name] = pd.Series(text_from_codes(col.codes[order], col.labels))
        elif isinstance(col, pd.Series):
            ordered[name] = col.take(order).reset_index(drop=True)
        else:
            ordered[name] = np.asarray(col)[order]
        del col
    roster = pd.DataFrame(ordered, copy=False)
    del ordered
    if contributions:
        long = ContributionParts(roster["customer_id"], [c.name for c in crits],
                                 np.array([shares[c.name] for c in crits], dtype=float), raw_m, norm_m, matrix)
    else:
        long = pd.DataFrame({c: pd.Series(dtype="str" if c in ("customer_id", "criterion") else "float64")
                             for c in CONTRIBUTION_COLUMNS})
    return Scored(roster, long, info, matrix, order)


def _no_gate_failed(n: int, gates: int) -> np.ndarray:
    """The gates each of ``n`` rows failed, none yet, bit ``b`` for gate ``b``: one word per row up
    to 16 gates, else a row of ``ceil(gates / 8)`` bytes (gate ``b`` in byte ``b // 8``, bit
    ``b % 8``), so that any number of gates has a bit.

    Example
    -------
    >>> _no_gate_failed(2, 9).dtype, _no_gate_failed(2, 70).shape
    (dtype('uint16'), (2, 9))
    """
    if gates <= 8:
        return np.zeros(n, dtype=np.uint8)
    if gates <= 16:
        return np.zeros(n, dtype=np.uint16)
    return np.zeros((n, (gates + 7) // 8), dtype=np.uint8)


def _gate_labels(standard: Standard, gate_bits: np.ndarray) -> _Coded:
    """The gates each customer failed (``"; "``-joined names) as codes into the combinations
    that occur, in the order of their bits (a table of 2**gates entries up to 16 gates; beyond, the
    distinct rows of bytes of :func:`_no_gate_failed`)."""
    names = [g.name for g in standard.gates]
    if gate_bits.ndim == 1:
        present = np.flatnonzero(np.bincount(gate_bits, minlength=1 << len(names)))
        lut = np.zeros(1 << len(names), dtype=np.int32)
        lut[present] = np.arange(len(present), dtype=np.int32)
        codes = lut[gate_bits]
        return _Coded(codes, ["; ".join(g for b, g in enumerate(names) if int(c) >> b & 1) for c in present])
    combos, codes = np.unique(gate_bits, axis=0, return_inverse=True)
    return _Coded(codes.reshape(-1), ["; ".join(g for b, g in enumerate(names) if int(c[b // 8]) >> (b % 8) & 1)
                                      for c in combos])


# -- capacity ----------------------------------------------------------------------------------

def _apply_capacity(standard: Standard, table: pd.DataFrame, score: np.ndarray, order: np.ndarray,
                    pre: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    cap = standard.capacity
    info: dict[str, Any] = {"capacity_method": "none"}
    if not cap.is_set or not pre.any():
        return pre.copy(), info
    cand = order[pre[order]]  # best rank first
    if cap.objective == "score":
        obj = score[cand]
    else:
        obj = to_number(table[cap.objective], what=Phrase("err_what_cap_objective", name=quoted(cap.objective)))[cand]
        obj = np.where(np.isfinite(obj), obj, 0.0)  # missing or infinite: 0, as a criterion's ±inf is missing
    kept = np.zeros(len(score), dtype=bool)
    if cap.budget is None:
        limit = int(cap.max_accounts or len(cand))
        if len(cand) <= limit:
            return pre.copy(), {"capacity_method": "not binding"}
        if (obj[1:] <= obj[:-1]).all():  # best first already (the score, in rank order): the first ones
            pick = np.arange(limit)
        else:
            pick = np.argsort(-obj, kind="stable")[:limit]  # ties keep rank order
        kept[cand[pick]] = True
        return kept, {"capacity_method": "top-n"}
    costs = to_number(table[cap.cost_field], what=Phrase("err_what_cap_cost", name=quoted(cap.cost_field)))[cand]
    costs = np.where(np.isinf(costs), np.nan, costs)  # an infinite cost counts as missing (the median)
    if np.isnan(costs).all():
        raise DataError(Phrase("err_cap_cost_no_values", field=quoted(cap.cost_field)),
                        fix=Phrase("err_cap_cost_no_values_fix"))
    costs = np.where(np.isnan(costs), np.nanmedian(costs), costs)
    costs = np.clip(costs, 0.0, None)
    limit = int(cap.max_accounts) if cap.max_accounts is not None else None
    if costs.sum() <= budget_limit(float(cap.budget)) and (limit is None or len(cand) <= limit):
        return pre.copy(), {"capacity_method": "not binding"}
    chosen, method = knapsack(obj, costs, float(cap.budget), limit)
    kept[cand[chosen]] = True
    return kept, {"capacity_method": method}


#: How far a sum of costs may pass the budget and still fit, as a share of the budget: the
#: round-off of a running sum grows with the sum (near 1e7 one step of a double is 2e-9, and
#: engines adding the same costs in another order differ by a few steps), so that every engine
#: takes the same items; at least 1e-9 for small budgets, far below a cent up to 1e9.
BUDGET_ROUNDOFF = 1e-12


def budget_limit(budget: float) -> float:
    """The largest total cost that fits in ``budget`` in the greedy rule of :func:`knapsack`, the
    engine's (:func:`xuanba.standard.engine._greedy`) and in both paths' test of whether a budget
    binds: ``budget`` plus :data:`BUDGET_ROUNDOFF` of it, or plus 1e-9 if that is more.

    Example
    -------
    >>> [float(f"{budget_limit(b) - b:.3g}") for b in (1e7, 0.5)]
    [1e-05, 1e-09]
    """
    return budget + max(1e-9, BUDGET_ROUNDOFF * abs(budget))


def knapsack(values: np.ndarray, costs: np.ndarray, budget: float, max_items: int | None = None
             ) -> tuple[np.ndarray, str]:
    """Choose items maximising total value with total cost ≤ budget (and count ≤ max_items).

    Exact (a mixed-integer program solved by HiGHS) up to :data:`EXACT_KNAPSACK_MAX` items,
    greedy by value per cost beyond. Returns the chosen positions and ``"exact"``/``"greedy"``.

    Examples
    --------
    >>> import numpy as np
    >>> pos, how = knapsack(np.array([60.0, 100.0, 120.0]), np.array([10.0, 20.0, 30.0]), 50.0)
    >>> sorted(pos.tolist()), how
    ([1, 2], 'exact')
    """
    n = len(values)
    values = np.clip(np.asarray(values, dtype=float), 0.0, None)
    costs = np.asarray(costs, dtype=float)
    if n == 0:
        return np.array([], dtype=np.int64), "exact"
    if n <= EXACT_KNAPSACK_MAX:
        from scipy.optimize import Bounds, LinearConstraint, milp

        rows = [costs]
        ub = [budget]
        if max_items is not None:
            rows.append(np.ones(n))
            ub.append(float(max_items))
        # a tiny preference for earlier (better-ranked) items makes the optimum unique
        tie = 1e-9 * (n - np.arange(n)) / n
        res = milp(
            c=-(values + tie),
            constraints=LinearConstraint(np.vstack(rows), -np.inf, np.array(ub)),
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            options={"time_limit": 30.0},
        )
        if res.status == 0 and res.x is not None:
            return np.flatnonzero(res.x > 0.5), "exact"
    ratio = np.where(costs > 0, values / np.where(costs > 0, costs, 1.0), np.inf)
    order = np.argsort(-ratio, kind="stable")
    chosen = []
    spent, fits = 0.0, budget_limit(budget)
    for i in order:
        if max_items is not None and len(chosen) >= max_items:
            break
        if spent + costs[i] <= fits and values[i] > 0:
            chosen.append(i)
            spent += costs[i]
    return np.sort(np.array(chosen, dtype=np.int64)), "greedy"


# -- quadrants, gaps and the cheapest criterion ------------------------------------------------

def _quadrants(standard: Standard, norms: dict[str, _Norm], n: int) -> tuple[np.ndarray, np.ndarray, _Coded]:
    def sub(group: str) -> np.ndarray:
        cs = [c for c in standard.criteria if c.group == group]
        if not cs:
            return np.full(n, np.nan)
        total = sum(c.weight for c in cs)
        return np.round(sum(100.0 * c.weight / total * norms[c.name].values for c in cs), 6)

    value, pot = sub("value"), sub("potential")
    q = standard.quadrants
    if np.isnan(value).all() or np.isnan(pot).all():
        return value, pot, _Coded(np.zeros(n, dtype=np.int64), [""])
    hv = value >= q.value_threshold
    hp = pot >= q.potential_threshold
    names = [q.names[k] for k in ("high_value_high_potential", "high_value_low_potential",
                                  "low_value_high_potential", "low_value_low_potential")]
    codes = np.full(n, 3, dtype=np.int8)
    codes[hp] = 2
    codes[hv] = 1
    codes[hv & hp] = 0
    return value, pot, _Coded(codes, names)


def _gaps(standard: Standard, score: np.ndarray, tier_idx: np.ndarray, left_out: np.ndarray,
          n: int) -> tuple[_Coded, np.ndarray]:
    tiers = standard.tiers
    if not tiers:
        return _Coded(np.zeros(n, dtype=np.int64), [""]), np.full(n, np.nan)
    capacity_binds = bool(left_out.any())
    bars = []
    for k, t in enumerate(tiers):
        bar = t.min_score if t.min_score is not None else 0.0
        members = score[tier_idx == k]
        quota = t.quota_count(n)
        full = quota is not None and len(members) >= quota
        if (full or capacity_binds) and len(members):
            bar = max(bar, float(members.min()))
        bars.append(bar)
    # The next tier up is the nearest one that somebody reached this round: an empty tier (e.g. under
    # a full capacity) is skipped, its bar says nothing about getting in; when every tier above is
    # empty, the nearest one and its bar stand.
    small = np.int16 if len(tiers) < 2**15 else np.int64
    filled_at_or_above = np.full(len(tiers), -1, dtype=small)
    last = -1
    for k in range(len(tiers)):
        if (tier_idx == k).any():
            last = k
        filled_at_or_above[k] = last if last >= 0 else k
    target = np.where(tier_idx >= 0, tier_idx - 1, len(tiers) - 1).astype(small)
    top = target < 0  # the top tier's members: no tier above
    np.clip(target, 0, None, out=target)
    target = filled_at_or_above[target]
    gap = np.asarray(bars, dtype=float)[target]
    gap -= score
    np.clip(gap, 0.0, None, out=gap)
    np.round(gap, 6, out=gap)
    gap[top] = np.nan
    target[top] = len(tiers)
    return _Coded(target, [t.name for t in tiers] + [""]), gap


def _cheapest(standard: Standard, norms: dict[str, _Norm], raws: dict[str, np.ndarray],
              shares: dict[str, float], gap: np.ndarray) -> tuple[_Coded, np.ndarray, _Coded, np.ndarray]:
    """The criterion whose change alone closes each customer's gap most cheaply and that change,
    then the same among the public criteria that read no prediction (what a customer is told).
    Each criterion is inverted once for both, over :data:`CHUNK` customers at a time; the first
    criterion in the standard's order wins a tie."""
    n = len(gap)
    names = [c.name for c in standard.criteria]
    none = len(names)
    dtype = np.int16 if none < 2**15 else np.int64
    best = [np.full(n, none, dtype=dtype), np.full(n, none, dtype=dtype)]  # all criteria, public ones
    change = [np.full(n, np.nan), np.full(n, np.nan)]
    public = [not (c.private or c.predicted) for c in standard.criteria]
    todo = np.flatnonzero(np.nan_to_num(gap, nan=0.0) > 0)
    for start in range(0, len(todo), CHUNK):
        idx = todo[start:start + CHUNK]
        short = gap[idx]
        best_cost = [np.full(len(idx), np.inf), np.full(len(idx), np.inf)]
        best_change = [np.full(len(idx), np.nan), np.full(len(idx), np.nan)]
        best_name = [np.full(len(idx), none, dtype=dtype), np.full(len(idx), none, dtype=dtype)]
        for j, c in enumerate(standard.criteria):
            norm = norms[c.name]
            raw = raws[c.name][idx]
            need = norm.values[idx] + short / (100.0 * shares[c.name]) + 1e-9
            feasible = (need <= 1.0 + 1e-9) & ~np.isnan(raw)
            if not feasible.any():
                continue
            delta = norm.inverse(np.minimum(need, 1.0), idx) - raw
            cost = np.abs(delta) / norm.spread
            feasible &= ~np.isnan(cost)
            for w in (0, 1) if public[j] else (0,):
                better = feasible & (cost < best_cost[w])
                best_cost[w][better] = cost[better]
                best_change[w][better] = delta[better]
                best_name[w][better] = j
        for w in (0, 1):
            best[w][idx] = best_name[w]
            change[w][idx] = best_change[w]
    labels = [*names, ""]
    return _Coded(best[0], labels), change[0], _Coded(best[1], labels), change[1]


@dataclass
class _Coded:
    """A text column held as integer ``codes`` into a few ``labels`` until the roster is built
    (ordered as integers, made text once: see :func:`xuanba._frames.text_from_codes`)."""

    codes: np.ndarray
    labels: list[str]


