"""One exception tree for everything a user can get wrong.

Every error says what was found, what was expected and how to fix it, and carries the facts
(file, row, column, example ids) so that the CLI and the web app can show them. The CLI turns a
:class:`XuanbaError` into a clean message and its ``exit_code``; a traceback always means a bug
in xuanba, never a user mistake.

Example
-------
>>> err = InputError("amount is not a number", file="sales.csv", row=12, column="金额",
...                  fix="Remove the currency sign or map another column.")
>>> print(err)
sales.csv, row 12, column '金额': amount is not a number
  fix: Remove the currency sign or map another column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class XuanbaError(Exception):
    """Base class of every error a user can cause. ``exit_code`` is what the CLI returns."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
        examples: Sequence[Any] | None = None,
        count: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.fix = fix
        self.examples = list(examples) if examples is not None else []
        self.count = count
        super().__init__(self._render())

    def _where(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def _render(self) -> str:
        where = self._where()
        text = f"{where}: {self.message}" if where else self.message
        if self.count is not None:
            text += f" ({self.count:,} in all)"
        if self.examples:
            shown = ", ".join(repr(e) for e in self.examples[:5])
            text += f"\n  first: {shown}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready dict (used by ``--json`` and the web app)."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "fix": self.fix,
            "examples": [str(e) for e in self.examples[:5]],
            "count": self.count,
        }


class InputError(XuanbaError):
    """A file or table that cannot be read as what it claims to be (encoding, format, empty)."""

    exit_code = 2


class SchemaError(InputError):
    """A required column is missing or a mapping names a column that is not there."""


class DataError(XuanbaError):
    """The data are readable but cannot support the request (no rows before the cutoff, ...)."""

    exit_code = 3
    http_status = 422


class ModelError(XuanbaError):
    """A model cannot be fitted or used: unidentifiable data, not fitted yet, bad parameters."""

    exit_code = 4
    http_status = 422


class NotFittedError(ModelError):
    """A model method that needs fitted parameters was called before ``fit``."""


class WorkspaceError(XuanbaError):
    """The workspace file is missing, locked, or lacks a table the command needs."""

    exit_code = 5
    http_status = 409
