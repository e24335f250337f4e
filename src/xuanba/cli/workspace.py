"""``xuanba upgrade``: bring a workspace written by an older xuanba to this version's layout."""

from __future__ import annotations

from pathlib import Path

import typer

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    say,
)


def register(app: typer.Typer) -> None:
    """Add ``upgrade`` to the app."""

    @app.command("upgrade", help=cmd_help("upgrade"))
    @handle_errors
    def upgrade(workspace: WorkspaceOpt = Path(DEFAULT_PATH), as_json: JsonOpt = False) -> None:
        """Upgrade the workspace's layout to this xuanba's schema version (one transaction).

        Any command that writes does this too; the reading commands open the workspace
        read-only and ask for it once.
        """
        from xuanba.workspace import upgrade_workspace

        before, after = upgrade_workspace(workspace)
        if as_json:
            emit_json({"workspace": str(workspace), "schema_version_before": before,
                       "schema_version": after, "upgraded": before != after})
        elif before == after:
            console.print(say("cli_upgrade_same", ws=workspace, v=after))
        else:
            console.print(say("cli_upgrade_done", ws=workspace, a=before, b=after))
