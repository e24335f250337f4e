"""What every command shares: the workspace option, ``--json`` output and error handling.

Commands are thin shells: parse options, call one library function, print. A
:class:`~xuanba.errors.XuanbaError` becomes a clean message and its exit code; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

from xuanba._dates import TimeUnit, as_date, check_unit
from xuanba.errors import InputError, WorkspaceError, XuanbaError
from xuanba.workspace import DEFAULT_PATH, workspace_fault

# Markup is off: ids, names and messages from the data print as written ("[/x]" is a customer
# id, not a closing tag); the few styled words of xuanba's own say markup=True and escape data.
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

F = TypeVar("F", bound=Callable[..., Any])

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="The workspace file (one DuckDB file).", envvar="XUANBA_WORKSPACE"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary on stdout.")]
#: The time unit, spelled ``--unit`` by every command.
UnitOpt = Annotated[str, typer.Option("--unit", help="Time unit of recency and T: day, week or month.")]
#: ``--period``, the old spelling of ``--unit`` on some commands: hidden, kept so scripts work.
PeriodOpt = Annotated[str | None, typer.Option("--period", hidden=True, help="Deprecated spelling of --unit.")]
#: ``--lang`` of a command writing a table: the language of an .xlsx output's headers.
SheetLangOpt = Annotated[str, typer.Option("--lang", help="Language of an .xlsx output's headers and its columns sheet: en or zh (CSV and Parquet keep the field names).")]


def time_unit(unit: str, period: str | None = None) -> TimeUnit:
    """The checked time unit of ``--unit`` (or of the deprecated ``--period``, with a note on
    stderr); :class:`~xuanba.errors.InputError` for an unknown unit or two different ones.

    Example
    -------
    >>> time_unit("month")
    'month'
    """
    if period is not None:
        err_console.print("[yellow]note:[/] --period is deprecated; write --unit.", markup=True)
        if unit not in ("week", period):
            raise InputError(f"--unit {unit!r} and --period {period!r} disagree",
                             fix="Give the time unit once, as --unit.")
        return check_unit(period, "--period")
    return check_unit(unit, "--unit")


def parse_date(value: str | None, flag: str) -> dt.date | None:
    """The date a ``--flag YYYY-MM-DD`` option gives (``None`` stays ``None``), or a clear error."""
    return None if value is None else as_date(value, flag)


def emit_json(payload: Any) -> None:
    """Write one JSON document to stdout (dates and numpy numbers made plain)."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=_plain, indent=2) + "\n")


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def handle_errors(func: F) -> F:
    """Turn XuanbaError into a message on stderr (or JSON with --json) and its exit code; a full
    disk, a damaged workspace or a lock met outside the workspace's methods becomes a WorkspaceError."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except XuanbaError as exc:
            _report(exc, kwargs)
        except (duckdb.Error, OSError) as exc:
            # A query run outside the Workspace methods (an Ibis expression) or a file write:
            # a full disk, a damaged file or a lock is the workspace's fault, anything else a bug.
            if isinstance(exc, duckdb.Error):
                mapped = workspace_fault(exc, str(kwargs.get("workspace") or DEFAULT_PATH))
            else:
                mapped = _output_fault(exc)
            if mapped is None:
                raise
            _report(mapped, kwargs)

    return wrapper  # type: ignore[return-value]


def _output_fault(exc: OSError) -> WorkspaceError | None:
    """A full disk while writing a file other than the workspace (an output, written atomically
    by :mod:`xuanba._files`, or a temporary copy)."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    what = f"{exc.filename} was not written" if exc.filename else "a file could not be written"
    where = f" holding {exc.filename}" if exc.filename else ""
    return WorkspaceError(
        f"the disk is full (no space left on device): {what}; a previous file of that name is unchanged",
        fix=f"Free space on the disk{where} (or write elsewhere with --out), then run the command again.",
    )


def _report(exc: XuanbaError, kwargs: dict[str, Any]) -> None:
    """Print an error (JSON with --json) and exit with its code."""
    if kwargs.get("as_json"):
        emit_json(exc.to_dict())
    else:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code) from None
