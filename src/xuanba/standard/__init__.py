"""The selection standard: criteria, gates, tiers, capacity — one open standard for everyone.

:func:`load_standard` reads and validates a TOML standard; :func:`apply_standard` applies it
to a table of per-customer fields on the engine and returns the roster and the contributions
(as every round, what-if, backtest and tune does; :func:`score_customers` is the same in pandas,
the reference the engine is tested against);
:func:`xuanba.standard.describe.describe` says it in plain words, whole or as customers see it
(:attr:`Standard.privacy`).
"""

from __future__ import annotations

from xuanba.standard.apply import apply_standard
from xuanba.standard.expressions import FUNCTIONS, ExpressionError, check_expression, evaluate
from xuanba.standard.schema import (
    ACCOUNT_COLUMNS,
    CUSTOMER_COLUMNS,
    PREDICTION_COLUMNS,
    Capacity,
    Criterion,
    Gate,
    Privacy,
    Problem,
    Quadrants,
    Standard,
    StandardError,
    Tier,
    known_fields,
    load_standard,
)
from xuanba.standard.score import ROSTER_COLUMNS, score_customers
from xuanba.standard.starter import starter_standard, write_starter

__all__ = [
    "ACCOUNT_COLUMNS",
    "CUSTOMER_COLUMNS",
    "FUNCTIONS",
    "PREDICTION_COLUMNS",
    "ROSTER_COLUMNS",
    "Capacity",
    "Criterion",
    "ExpressionError",
    "Gate",
    "Privacy",
    "Problem",
    "Quadrants",
    "Standard",
    "StandardError",
    "Tier",
    "apply_standard",
    "check_expression",
    "evaluate",
    "known_fields",
    "load_standard",
    "score_customers",
    "starter_standard",
    "write_starter",
]
