"""The facts table kept in the workspace: ``xuanba facts`` stores it, ``fit`` and ``predict`` read it.

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> with Workspace(":memory:") as ws:
...     store_facts(ws, pd.DataFrame({"customer_id": ["A"], "frequency": [2]}))
...     stored_facts(ws)["frequency"].tolist()
[2]
"""

from __future__ import annotations

import os

import pandas as pd

from xuanba.errors import Phrase, WorkspaceError
from xuanba.workspace import Workspace, open_workspace

FACTS_TABLE = "facts"


def store_facts(workspace: Workspace | str | os.PathLike[str], table: pd.DataFrame) -> None:
    """Store a facts table as the workspace table ``facts`` (replacing the previous one), in one
    transaction.

    Example
    -------
    >>> import pandas as pd
    >>> ws = Workspace(":memory:")
    >>> store_facts(ws, pd.DataFrame({"customer_id": ["A", "B"]}))
    >>> len(stored_facts(ws))
    2
    """
    with open_workspace(workspace) as ws, ws.transaction():
        ws.replace(FACTS_TABLE, table)


def stored_facts(workspace: Workspace | str | os.PathLike[str]) -> pd.DataFrame:
    """The workspace table ``facts`` (a path is opened read-only); a clear error when absent.

    Example
    -------
    >>> stored_facts(Workspace(":memory:"))
    Traceback (most recent call last):
    ...
    xuanba.errors.WorkspaceError: :memory:: the workspace has no table 'facts'
      fix: Run `xuanba facts` first, or give a file with --facts.
    """
    with open_workspace(workspace, read_only=True) as ws:
        if not ws.has_table(FACTS_TABLE):
            raise WorkspaceError(Phrase("err_ws_no_table", name=FACTS_TABLE), file=ws.path, fix=Phrase("err_no_facts_fix"))
        return ws.sql(f"SELECT * FROM {FACTS_TABLE}")
