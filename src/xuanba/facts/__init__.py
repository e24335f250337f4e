"""Per-customer facts at a cutoff: the customer-base statistics, RFM, money windows.

Written once as Ibis expressions (:mod:`xuanba.facts.expressions`) so that DuckDB and Spark run
the same code; :mod:`xuanba.facts.compute` runs them and returns pandas tables.
"""

from __future__ import annotations

from xuanba.facts.compute import (
    calibration_holdout,
    customer_facts,
    facts_and_holdout,
    transactions_table,
)
from xuanba.facts.expressions import DAYS_PER_UNIT, FACT_COLUMNS, customer_facts_expr, holdout_expr
from xuanba.facts.stored import store_facts, stored_facts

__all__ = [
    "DAYS_PER_UNIT",
    "FACT_COLUMNS",
    "calibration_holdout",
    "customer_facts",
    "customer_facts_expr",
    "facts_and_holdout",
    "holdout_expr",
    "store_facts",
    "stored_facts",
    "transactions_table",
]
