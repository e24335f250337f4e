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
from xuanba.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "InputError",
    "ModelError",
    "NotFittedError",
    "SchemaError",
    "Workspace",
    "WorkspaceError",
    "XuanbaError",
    "__version__",
]
