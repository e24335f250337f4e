"""How xuanba applies a standard: the one definition every caller goes through.

A round, a what-if (CLI and web), a backtest, a tune and a round's check all apply a standard
with :func:`apply_standard` (or :func:`select`, the selection alone): the standard compiled to
Ibis and run by the engine (:func:`xuanba.standard.engine.score_in_engine`; a pandas or Arrow
table runs in an in-memory DuckDB). The pandas implementation,
:func:`xuanba.standard.score.score_customers`, stays as the engine's test oracle and for the
rounds stored before the switch, whose meta has no ``scoring_engine``: :func:`scorer` gives each
stored round the function that scored it, so that its check rescores it the same way.

Example
-------
>>> import pandas as pd
>>> from xuanba.standard import load_standard
>>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
...                   'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n')
>>> f = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue_365d": [1.0, 3.0, 2.0]})
>>> apply_standard(f, s).roster[["customer_id", "rank", "tier"]].values.tolist()
[['b', 1, 'A'], ['c', 2, ''], ['a', 3, '']]
>>> select(f, s)
(array([1]), 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from xuanba.standard.schema import Standard

SCORING_ENGINES: tuple[str, ...] = ("duckdb", "pandas")
"""The ways a round may have applied its standard (``meta["scoring_engine"]``): ``duckdb``, the
engine; ``pandas``, the reference implementation (the oracle of the tests, and every round
stored before the engine became the one way, which recorded nothing)."""

DEFAULT_SCORING = "duckdb"
"""How a standard is applied unless a stored round says otherwise."""


def scorer(scoring_engine: str | None = None) -> Callable[..., Any]:
    """The function that applies a standard the way ``scoring_engine`` says (``None``: the
    default, the engine); a stored round passes its ``meta.get("scoring_engine") or "pandas"``.

    Example
    -------
    >>> scorer().__name__, scorer("pandas").__name__
    ('score_in_engine', 'score_customers')
    """
    how = DEFAULT_SCORING if scoring_engine is None else scoring_engine
    if how == "duckdb":
        from xuanba.standard.engine import score_in_engine

        return score_in_engine
    if how == "pandas":
        from xuanba.standard.score import score_customers

        return score_customers
    from xuanba.errors import InputError, Phrase

    raise InputError(Phrase("err_param_unknown", param="scoring_engine", value=repr(scoring_engine)),
                     fix=Phrase("err_use_one_of_list", names=str(list(SCORING_ENGINES))))


def apply_standard(fields: Any, standard: Standard, *, contributions: bool = True) -> Any:
    """Score, gate, rank, tier and cap every customer of ``fields`` by ``standard`` on the engine:
    the :class:`~xuanba.standard.score.Scored` of
    :func:`~xuanba.standard.score.score_customers` (the roster by rank, the contributions unless
    ``contributions`` is false, ``info`` and ``matrix``). ``fields``: one row per
    ``customer_id`` (a pandas or Arrow table, or an Ibis table on any backend)."""
    return scorer()(fields, standard, contributions=contributions)


def select(fields: Any, standard: Standard) -> tuple[np.ndarray, int]:
    """The standard's selection on ``fields`` (a pandas table sorted by ``customer_id``, as a
    round gathers it): the positions of the selected rows, best first, and the size of the top
    tier. What a backtest and a tune need at every cutoff and variant: on the engine computed up
    to tiers and capacity only (:func:`xuanba.standard.engine.select_in_engine`), the same
    selection as the whole roster's; with the pandas reference as the default (a test's oracle),
    from its roster."""
    import pandas as pd

    from xuanba._frames import positions_in

    if DEFAULT_SCORING == "duckdb":
        from xuanba.standard.engine import select_in_engine

        ids, tiers = select_in_engine(fields, standard)
        chosen = pd.Series(pd.array(ids, dtype="str"))
        top = tiers.to_numpy(zero_copy_only=False) == 0  # the first tier's members
    else:
        roster = apply_standard(fields, standard, contributions=False).roster
        picked = roster.loc[roster["selected"].to_numpy(dtype=bool)]
        chosen = picked["customer_id"].astype("str")
        top = (picked["tier"] == standard.tiers[0].name).to_numpy() if standard.tiers else []
    if not len(chosen):
        return np.empty(0, dtype=np.int64), 0
    pos = positions_in(chosen, fields["customer_id"].astype("str"))
    assert pos is not None, "every selected customer is one of the fields"
    return pos, int(np.count_nonzero(top)) if standard.tiers else 0
