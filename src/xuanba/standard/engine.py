"""The standard's normalisations as Ibis expressions: run by the engine that holds the customers.

A first part of compiling the standard to the engine (issue 16): each criterion's normalisation
becomes a column expression over the whole base — ``percentile`` a rank window, ``minmax`` and
``zscore`` aggregates over the base, ``bands`` a case — equal to the pandas path of
:mod:`xuanba.standard.score` (its oracle in tests/test_standard_engine.py). A missing value
earns 0, as there; replacing it (``missing = "median"`` or a number) happens before.

Example
-------
>>> import ibis, pyarrow as pa
>>> from xuanba.standard.schema import Criterion
>>> t = ibis.memtable(pa.table({"v": [0.0, 0.0, 5.0, 7.0, 7.0, None]}))
>>> c = Criterion(name="v", field="v", weight=1)
>>> sorted(normalise(t, "v", c, "p").to_pyarrow()["p"].to_pylist())
[0.0, 0.0, 0.0, 0.6666666666666666, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Any

import ibis

from xuanba.errors import InputError
from xuanba.facts.expressions import round_half_even
from xuanba.standard.schema import Criterion, Standard


def normalise(table: Any, column: str, criterion: Criterion, name: str) -> Any:
    """``table`` with a column ``name``: the 0–1 points of ``criterion`` for every row, from the
    numeric column ``column`` (null: missing, 0 points). Window and aggregate expressions over
    the whole base, in two steps where one window reads another."""
    raw = table[column]
    if criterion.normalise == "bands":
        return table.mutate(**{name: _bands(raw, criterion)})
    s = raw if criterion.direction == "higher" else -raw
    if criterion.normalise == "percentile":
        # (values strictly below) / (m - count of the top value); 0.5 when every value is the same
        step = table.mutate(_s=s, _top=s.max().over(), _m=raw.notnull().sum().over(), _below=_count_below(s))
        step = step.mutate(_at_top=(step._s == step._top).sum().over())
        below_top = (step._m - step._at_top).cast("float64")
        points = ibis.ifelse(below_top == 0, 0.5, step._below.cast("float64") / below_top)
        out = step.mutate(**{name: ibis.ifelse(step._s.notnull(), points, 0.0)})
        return out.drop("_s", "_top", "_m", "_below", "_at_top")
    if criterion.normalise == "minmax":
        lo, hi = s.min().over(), s.max().over()
        points = ibis.ifelse(hi == lo, 0.5, (s - lo) / (hi - lo))
        return table.mutate(**{name: ibis.ifelse(raw.notnull(), points, 0.0)})
    mean, sd = s.mean().over(), s.std(how="pop").over()  # population standard deviation
    clipped = ibis.greatest(ibis.least(((s - mean) / sd + 3.0) / 6.0, 1.0), 0.0)
    return table.mutate(**{name: ibis.ifelse(raw.notnull(), ibis.ifelse(sd == 0, 0.5, clipped), 0.0)})


def _count_below(s: Any) -> Any:
    """How many values of ``s`` over the base are strictly below each row's (nulls not counted):
    ``rank() over (order by s)`` with the nulls ordered last, which counts exactly those."""
    return ibis.rank().over(ibis.window(order_by=s.asc(nulls_first=False)))


def _bands(raw: Any, criterion: Criterion) -> Any:
    """Points of the band the value falls in (thresholds ascending; below the first: 0)."""
    bands = sorted(criterion.bands or [])
    out: Any = ibis.literal(0.0)
    if criterion.direction == "higher":
        for threshold, points in bands:  # the last threshold reached wins
            out = ibis.ifelse(raw >= threshold, points / 100.0, out)
    else:
        for threshold, points in reversed(bands):  # the first threshold not passed wins
            out = ibis.ifelse(raw <= threshold, points / 100.0, out)
    return ibis.ifelse(raw.notnull(), out, 0.0)


def score_and_rank(table: Any, standard: Standard, *, id_column: str = "customer_id") -> Any:
    """``table`` with ``score`` (0–100, six decimals, as :func:`xuanba.standard.score.score_customers`)
    and ``rank`` (1 = best: score descending, then the standard's tie-break fields with missing
    values last, then ``customer_id``), computed by the engine. Gates, tiers and capacity are not
    compiled yet; criteria must name a field (a rule expression is not compiled yet either).

    Example
    -------
    >>> import pyarrow as pa
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n')
    >>> t = ibis.memtable(pa.table({"customer_id": ["a", "b", "c"], "revenue_365d": [5.0, 9.0, 5.0]}))
    >>> out = score_and_rank(t, s).order_by("rank").to_pyarrow()
    >>> out["customer_id"].to_pylist(), out["score"].to_pylist()
    (['b', 'a', 'c'], [100.0, 0.0, 0.0])
    """
    shares = standard.weight_shares
    t = table
    points = []
    for c in standard.criteria:
        if c.field not in table.columns:
            raise InputError(f"criterion {c.name!r} reads {c.field!r}, which is not a column: rule "
                             "expressions are not compiled to the engine yet",
                             fix="Compute the expression as a field first, or score with score_customers.")
        raw = t[c.field].cast("float64")
        raw = ibis.ifelse(raw.isinf() | raw.isnan(), ibis.null("float64"), raw)  # e.g. x / 0: missing
        if c.missing == "median":
            t = t.mutate(**{f"_raw_{c.name}": raw})
            col = t[f"_raw_{c.name}"]
            raw = col.fill_null(ibis.coalesce(col.median().over(), 0.0))
        elif c.missing != "zero":
            raw = raw.fill_null(float(c.missing))
        t = t.mutate(**{f"_raw_{c.name}": raw})
        t = normalise(t, f"_raw_{c.name}", c, f"_pts_{c.name}")
        points.append(100.0 * shares[c.name] * t[f"_pts_{c.name}"])
    total: Any = points[0]
    for term in points[1:]:
        total = total + term
    t = t.mutate(score=round_half_even(total, 6))  # numpy's rounding: the same bits on every engine
    keys = [t.score.desc()]
    for name, asc in standard.tie_break.sort_keys()[:-1]:
        col = t[name].cast("float64")
        keys.append(col.asc(nulls_first=False) if asc else col.desc(nulls_first=False))
    keys.append(t[id_column].asc())
    t = t.mutate(rank=ibis.row_number().over(ibis.window(order_by=keys)) + 1)
    helpers = [c for c in t.columns if c.startswith(("_raw_", "_pts_"))]
    return t.drop(*helpers)
