"""Account tables as stored in a workspace by ``xuanba ingest``.

``xuanba ingest FILE --kind interactions`` (and customers, commitments, resources, needs,
contacts) stores each side table under its kind's name beside ``transactions``. These helpers
read them back as the pandas tables the account functions take, so a notebook or a command can
work from the workspace alone.

Example
-------
>>> from xuanba import Workspace
>>> ws = Workspace(":memory:")
>>> _ = ws.con.execute("CREATE TABLE transactions AS SELECT '007' AS customer_id, "
...                    "TIMESTAMP '2026-01-05' AS ts, 12.5::DECIMAL(18,4) AS amount")
>>> stored_transactions(ws)["amount"].dtype
dtype('float64')
>>> stored_table(ws, "interactions") is None
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from xuanba.accounts.sidetables import SCHEMAS
from xuanba.errors import WorkspaceError
from xuanba.workspace import Workspace

_MONEY = ("amount", "cost", "quantity", "price", "budget", "minutes")


def _read(ws: Workspace, name: str) -> pd.DataFrame:
    types = dict(ws.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [name],
    ).fetchall())
    cols = []
    for col, typ in types.items():
        quoted = '"' + col.replace('"', '""') + '"'
        if col in _MONEY or typ.startswith("DECIMAL"):
            cols.append(f"CAST({quoted} AS DOUBLE) AS {quoted}")
        else:
            cols.append(quoted)
    frame = ws.con.execute(f'SELECT {", ".join(cols)} FROM "{name}"').df()
    for col in ("ts", "made_on", "due_on", "kept_on", "paid_on"):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col])
    if "customer_id" in frame.columns:
        frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def stored_transactions(ws: Workspace) -> pd.DataFrame:
    """The workspace's ``transactions`` as pandas (money as float, dates as datetimes)."""
    if not ws.has_table("transactions"):
        raise WorkspaceError(
            "the workspace has no transactions yet",
            file=ws.path,
            fix="Run `xuanba ingest SALES_FILE` first, or pass --transactions FILE.",
        )
    return _read(ws, "transactions")


def stored_table(ws: Workspace, kind: str) -> pd.DataFrame | None:
    """One stored side table (``customers``, ``interactions`` ...), or ``None`` when absent."""
    if kind not in SCHEMAS:
        raise ValueError(f"unknown side table {kind!r}")
    return _read(ws, kind) if ws.has_table(kind) else None


def stored_tables(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Every side table the workspace holds, by kind."""
    return {kind: t for kind in SCHEMAS if (t := stored_table(ws, kind)) is not None}


def workspace_account_fields(ws: Workspace, as_of: Any = None, **options: Any) -> pd.DataFrame:
    """:func:`~xuanba.accounts.account_fields` from the workspace's stored tables."""
    from xuanba.accounts.fields import account_fields

    side = stored_tables(ws)
    return account_fields(
        stored_transactions(ws), side.get("interactions"), side.get("commitments"),
        side.get("contacts"), as_of, **options,
    )
