"""Account tables as stored in a workspace by ``xuanba ingest``.

``xuanba ingest FILE --kind interactions`` (and customers, commitments, resources, needs,
contacts) stores each side table under its kind's name beside ``transactions``. These helpers
read them back as the pandas tables the account functions take, so a notebook or a command can
work from the workspace alone. Each takes a :class:`~xuanba.Workspace` or the path of one
(opened read-only, so they work on a file others are reading or that may not be written).

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> ws = Workspace(":memory:")
>>> ws.ensure_table("transactions")
>>> ws.insert("transactions", pd.DataFrame({"customer_id": ["007"], "ts": [pd.Timestamp("2026-01-05")],
...                                         "amount": [12.5]}))
>>> stored_transactions(ws)["amount"].dtype
dtype('float64')
>>> stored_table(ws, "interactions") is None
True
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from xuanba.errors import WorkspaceError
from xuanba.ingest.sidetables import SCHEMAS
from xuanba.workspace import Workspace, open_workspace

WorkspaceLike = Workspace | str | os.PathLike[str]

_MONEY = ("amount", "cost", "quantity", "price", "budget", "minutes")


def _read(ws: Workspace, name: str) -> pd.DataFrame:
    types = ws.columns(name)
    cols = []
    for col, typ in types.items():
        quoted = '"' + col.replace('"', '""') + '"'
        if col in _MONEY or typ.startswith("DECIMAL"):
            cols.append(f"CAST({quoted} AS DOUBLE) AS {quoted}")
        else:
            cols.append(quoted)
    frame = ws.sql(f'SELECT {", ".join(cols)} FROM "{name}"')
    for col in ("ts", "made_on", "due_on", "kept_on", "paid_on"):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col])
    if "customer_id" in frame.columns:
        frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def stored_transactions(workspace: WorkspaceLike) -> pd.DataFrame:
    """The workspace's ``transactions`` as pandas (money as float, dates as datetimes).

    Raises :class:`~xuanba.errors.WorkspaceError` when the workspace has none.
    """
    with open_workspace(workspace, read_only=True) as ws:
        if not ws.has_table("transactions"):
            raise WorkspaceError(
                "the workspace has no transactions yet",
                file=ws.path,
                fix="Run `xuanba ingest SALES_FILE` first, or pass --transactions FILE.",
            )
        return _read(ws, "transactions")


def stored_table(workspace: WorkspaceLike, kind: str) -> pd.DataFrame | None:
    """One stored side table (``customers``, ``interactions`` ...; also ``transactions``), or
    ``None`` when the workspace has no such table."""
    if kind != "transactions" and kind not in SCHEMAS:
        raise ValueError(f"unknown side table {kind!r}")
    with open_workspace(workspace, read_only=True) as ws:
        return _read(ws, kind) if ws.has_table(kind) else None


def stored_tables(workspace: WorkspaceLike) -> dict[str, pd.DataFrame]:
    """Every side table the workspace holds, by kind."""
    with open_workspace(workspace, read_only=True) as ws:
        return {kind: t for kind in SCHEMAS if (t := stored_table(ws, kind)) is not None}


def workspace_account_fields(workspace: WorkspaceLike, as_of: Any = None, **options: Any) -> pd.DataFrame:
    """:func:`~xuanba.accounts.account_fields` from the workspace's stored tables."""
    from xuanba.accounts.fields import account_fields

    with open_workspace(workspace, read_only=True) as ws:
        side = stored_tables(ws)
        tx = stored_transactions(ws)
    return account_fields(
        tx, side.get("interactions"), side.get("commitments"), side.get("contacts"), as_of, **options,
    )
