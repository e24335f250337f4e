"""The workspace: one DuckDB file that holds everything xuanba keeps between commands.

It is the single gateway to the database: nothing else in xuanba opens a connection. Reads go
through :meth:`Workspace.sql` / :meth:`Workspace.table` (an Ibis table, so the same facts code
runs here and on Spark); writes go through :meth:`Workspace.transaction`, which commits all or
nothing.

Example
-------
>>> with Workspace(":memory:") as ws:
...     with ws.transaction() as con:
...         _ = con.execute("CREATE TABLE t AS SELECT 1 AS x")
...     int(ws.sql("SELECT sum(x) AS s FROM t")["s"].iloc[0]), ws.has_table("t")
(1, True)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from xuanba.errors import WorkspaceError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

DEFAULT_PATH = "xuanba.duckdb"


class Workspace:
    """A DuckDB file (or ``":memory:"``) holding transactions, rejects, facts and rounds.

    Parameters
    ----------
    path
        The DuckDB file; created when missing unless ``create=False``. ``":memory:"`` keeps
        everything in memory (tests, notebooks).
    create
        When false, a missing file is an error instead of a new empty workspace.
    threads
        DuckDB worker threads; ``None`` lets DuckDB use every core.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_PATH,
        *,
        create: bool = True,
        read_only: bool = False,
        threads: int | None = None,
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not create and not Path(self.path).exists():
            raise WorkspaceError(
                "workspace file not found",
                file=self.path,
                fix="Run `xuanba ingest FILE` first, or pass --workspace with the right path.",
            )
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(
                f"cannot open the workspace: {exc}",
                file=self.path,
                fix="Another xuanba process may hold it open; wait for it or choose another --workspace.",
            ) from None
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        self._ibis: Any = None

    # -- reading -----------------------------------------------------------------------------
    @property
    def ibis(self) -> Any:
        """The Ibis DuckDB backend over this workspace's connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def has_table(self, name: str) -> bool:
        """Whether the workspace holds a table (or view) called ``name``."""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def table(self, name: str) -> ir.Table:
        """An Ibis table expression over a stored table; a clear error when it is missing."""
        if not self.has_table(name):
            raise WorkspaceError(
                f"the workspace has no table '{name}'",
                file=self.path,
                fix="Run `xuanba ingest FILE` to load transactions into this workspace first.",
            )
        return self.ibis.table(name)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a pandas DataFrame."""
        return self.con.execute(query, params or []).df()

    # -- writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single write path: everything inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (the file stays)."""
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.path!r})"
