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

from xuanba.standard.schema import Criterion


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
