"""xuanba (选拔): select customers by one open standard, every round.

The public API is listed in ``__all__`` and documented in the README; everything else is
private and may change.
"""

from __future__ import annotations

from xuanba.errors import (
    DataError,
    InputError,
    ModelError,
    NotFittedError,
    SchemaError,
    WorkspaceError,
    XuanbaError,
)
from xuanba.facts import FACT_COLUMNS, calibration_holdout, customer_facts
from xuanba.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "FACT_COLUMNS",
    "InputError",
    "ModelError",
    "NotFittedError",
    "SchemaError",
    "Workspace",
    "WorkspaceError",
    "XuanbaError",
    "__version__",
    "calibration_holdout",
    "customer_facts",
]
