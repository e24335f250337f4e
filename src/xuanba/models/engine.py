"""Compress, fit, expand inside the engine that holds the customers (DuckDB, Spark, any Ibis backend).

The engine groups the customers into their distinct purchase histories
``(frequency, recency, T)`` with a ``customers`` count; only those come to Python, where a model
is fitted with the counts as weights and its closed forms are evaluated once per distinct
history; the per-history predictions go back to the engine as a small table and are joined to
the customers there. Python's memory is bounded by the number of distinct histories, not of
customers.

Example
-------
>>> import ibis, pandas as pd, pyarrow as pa
>>> from xuanba.models import BGNBD
>>> facts = ibis.memtable(pa.table({"customer_id": list("abcd"), "frequency": [0, 2, 0, 5],
...     "recency": [0.0, 5.0, 0.0, 8.0], "T": [9.0, 9.0, 9.0, 10.0]}))
>>> hist = run(distinct_histories(facts))
>>> sorted(hist["customers"].tolist())
[1, 1, 2]
>>> m = BGNBD(); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
>>> out = predict_in_engine(facts, m, {"p_alive": lambda m, h: m.probability_alive(h)})
>>> run(out.order_by("customer_id"))["p_alive"].round(3).tolist()
[1.0, 0.661, 1.0, 0.787]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xuanba.models._base import ID, Model

HISTORY: tuple[str, ...] = ("frequency", "recency", "T")
COUNT = "customers"


def distinct_histories(table: Any, columns: Sequence[str] = HISTORY) -> Any:
    """The distinct ``columns`` of an Ibis ``table`` with the number of customers of each
    (column ``customers``): an Ibis expression, run by the table's own backend."""
    cols = list(columns)
    return table.group_by(cols).aggregate(**{COUNT: table.count()})


def run(expr: Any) -> pd.DataFrame:
    """Run an Ibis expression on its backend and return pandas (through Arrow)."""
    from xuanba.facts.compute import _execute

    return _execute(expr, expr)


def fit_in_engine(model: Model, table: Any, columns: Sequence[str] | None = None) -> Model:
    """Fit ``model`` on the distinct histories of the Ibis ``table`` (counts as weights); return it."""
    hist = run(distinct_histories(table, columns or model.history_columns))
    return model.fit(hist, weights=hist[COUNT].to_numpy(dtype=float))


def predict_in_engine(
    table: Any,
    model: Model,
    predictions: Mapping[str, Callable[[Model, pd.DataFrame], Any]],
    columns: Sequence[str] | None = None,
) -> Any:
    """``customer_id`` and one column per entry of ``predictions`` for every row of the Ibis
    ``table``: each ``predictions[name](model, histories)`` runs once on the distinct histories
    (a pandas frame), and the results are joined back to the customers in the engine."""
    import ibis
    import pyarrow as pa

    cols = list(columns or model.history_columns)
    hist = run(distinct_histories(table, cols))
    out = hist[cols].copy()
    for name, compute in predictions.items():
        out[name] = np.asarray(compute(model, hist), dtype=float)
    small = ibis.memtable(pa.Table.from_pandas(out, preserve_index=False))
    joined = table.select(ID, *cols).join(small, [table[c] == small[c] for c in cols])
    return joined.select(ID, *predictions)
