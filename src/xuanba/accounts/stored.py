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
from pathlib import Path
from typing import Any

import pandas as pd

from xuanba.errors import InputError, Phrase, SchemaError, WorkspaceError, quoted
from xuanba.ingest.sidetables import SCHEMAS
from xuanba.tables import read_table
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
                Phrase("err_ws_no_transactions"),
                file=ws.path,
                fix=Phrase("err_ws_no_transactions_fix"),
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


#: Where :func:`transactions_from_file` leaves, in the table's ``attrs``, the rows it left out
#: as ingest rejects them (an id that is missing or an Excel error): ``{"rejected_by_reason":
#: {reason: n}, "first": {"row", "column", "value", "reason"}}``, for the command to say.
ROWS_REJECTED = "xuanba_rows_rejected"


def transactions_from_file(source: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Canonical transactions (``customer_id, ts, amount`` and optional ``cost, paid_on,
    due_on, channel, product ...``) from a file or table, typed as :func:`stored_transactions`
    types them: dates as datetimes, money as floats, ids as text. No header mapping (that is
    what ``xuanba ingest`` does); a clear error for a column that is missing or unreadable.
    A row whose id is missing or an Excel error (``#N/A`` of a lookup that found nothing:
    :func:`~xuanba.ingest.rules.is_excel_error`) names no customer: it is left out, as ingest
    rejects it and by ingest's reason, and counted in ``attrs[ROWS_REJECTED]``
    (:data:`ROWS_REJECTED`), never a customer ``#N/A``.

    Example
    -------
    >>> import pandas as pd
    >>> t = transactions_from_file(pd.DataFrame({"customer_id": [1, "#N/A"], "ts": ["2026-01-01"] * 2,
    ...                                          "amount": ["5", "6"]}))
    >>> float(t["amount"].iloc[0]), t["ts"].iloc[0], len(t)
    (5.0, Timestamp('2026-01-01 00:00:00'), 1)
    >>> t.attrs[ROWS_REJECTED]["rejected_by_reason"]
    {'Excel error cell': 1}
    """
    if isinstance(source, pd.DataFrame):
        df, where = source.copy(), "<table>"
    else:
        df, where = read_table(source, text=True, what="the transactions file"), str(source)
    for col in ("customer_id", "ts", "amount"):
        if col not in df.columns:
            raise SchemaError(Phrase("err_tx_no_column", column=quoted(col)), file=where, column=col,
                              fix=Phrase("err_tx_no_column_fix"))
    df, line, rejected = _without_unnamed_customers(df)  # line: each row's number in the source (1-based)
    for col in ("ts", "paid_on", "due_on"):
        if col in df.columns:
            blank = df[col].isna() | df[col].astype(str).str.strip().isin(["", "nan", "NaT", "None"])
            conv = pd.to_datetime(df[col].where(~blank, None), errors="coerce", format="mixed")
            bad = conv.isna() & ~blank
            if bad.any():
                i = int(bad.to_numpy().argmax())
                raise InputError(Phrase("err_column_not_date", column=col), file=where, row=int(line[i]), column=col,
                                 count=int(bad.sum()), examples=list(df.loc[bad, col].head(5)),
                                 fix=Phrase("err_column_not_date_fix"))
            df[col] = conv
    for col in ("amount", "cost", "quantity"):
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce")
            bad = num.isna() & df[col].notna() & (df[col].astype(str).str.strip() != "")
            if bad.any():
                i = int(bad.to_numpy().argmax())
                raise InputError(Phrase("err_column_not_number", column=col), file=where, row=int(line[i]), column=col,
                                 count=int(bad.sum()), examples=list(df.loc[bad, col].head(5)),
                                 fix=Phrase("err_column_not_number_fix"))
            df[col] = num.astype(float)
    if df["ts"].isna().any():
        i = int(df["ts"].isna().to_numpy().argmax())
        raise InputError(Phrase("err_tx_no_date"), file=where, row=int(line[i]), column="ts",
                         count=int(df["ts"].isna().sum()), fix=Phrase("err_tx_no_date_fix"))
    if rejected:
        df.attrs[ROWS_REJECTED] = rejected
    return df


def _without_unnamed_customers(df: pd.DataFrame) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """``df`` without its rows whose id ingest rejects (missing, or an Excel error: the first rule
    of :func:`~xuanba.ingest.rules.reject_reason` it breaks), its ids as text stripped as they are
    tested (once), the numbers of the rows kept (1-based, as read), and what :data:`ROWS_REJECTED`
    says of the others (empty: none)."""
    import numpy as np

    from xuanba.ingest.rules import EXCEL_ERROR, REASONS, TRIMMED_SPACES, is_excel_error

    # as kept: trimmed as ingest trims an id (DuckDB's trim), a tab or a line break kept as it does
    ids = df["customer_id"].where(df["customer_id"].isna(), df["customer_id"].astype(str).str.strip(TRIMMED_SPACES))
    missing = ids.isna() | ids.eq("")
    errors = ids.map(is_excel_error).astype(bool) & ~missing
    out = (missing | errors).to_numpy()
    line = np.arange(1, len(df) + 1)
    if not out.any():
        df["customer_id"] = ids.astype(str)
        return df, line, {}
    first = int(out.argmax())
    said = {"row": first + 1, "column": "customer_id", "value": "" if missing.iloc[first] else str(ids.iloc[first]),
            "reason": REASONS[0] if missing.iloc[first] else EXCEL_ERROR}
    counts = {REASONS[0]: int(missing.sum()), EXCEL_ERROR: int(errors.sum())}
    by_reason = dict(sorted(((r, n) for r, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0])))
    kept = df.loc[~out].copy()
    kept["customer_id"] = ids[~out].astype(str)
    return kept, line[~out], {"rejected_by_reason": by_reason, "first": said}


def workspace_account_fields(workspace: WorkspaceLike, as_of: Any = None, **options: Any) -> pd.DataFrame:
    """:func:`~xuanba.accounts.account_fields` from the workspace's stored tables."""
    from xuanba.accounts.fields import account_fields

    with open_workspace(workspace, read_only=True) as ws:
        side = stored_tables(ws)
        tx = stored_transactions(ws)
    return account_fields(
        tx, side.get("interactions"), side.get("commitments"), side.get("contacts"), as_of, **options,
    )
