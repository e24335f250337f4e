"""``xuanba ingest``: load transaction logs (or side tables) into the workspace and show the row accounting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    err_console,
    handle_errors,
    label,
    say,
    styled,
    ui_lang,
)
from xuanba.errors import shown
from xuanba.i18n import reason_words


def _mapping(pairs: list[str] | None) -> dict[str, str] | None:
    from xuanba.errors import InputError, Phrase

    if not pairs:
        return None
    out: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InputError(Phrase("err_map_not_pair", pair=repr(pair)), fix=Phrase("err_map_not_pair_fix"))
        out[field.strip()] = column.strip()
    return out


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the app."""

    @app.command("ingest", help=cmd_help("ingest"))
    @handle_errors
    def ingest_command(
        paths: Annotated[list[Path], typer.Argument(help="opt_ingest_paths")],
        map_: Annotated[list[str] | None, typer.Option("--map", help="opt_ingest_map")] = None,
        kind: Annotated[str, typer.Option(help="opt_ingest_kind")] = "transactions",
        columns: Annotated[str | None, typer.Option(help="opt_ingest_columns")] = None,
        date_format: Annotated[str | None, typer.Option(help="opt_ingest_date_format")] = None,
        cutoff: Annotated[str | None, typer.Option(help="opt_ingest_cutoff")] = None,
        rejects_out: Annotated[Path | None, typer.Option(help="opt_ingest_rejects_out")] = None,
        sheet: Annotated[str | None, typer.Option(help="opt_ingest_sheet")] = None,
        header_row: Annotated[int | None, typer.Option(help="opt_ingest_header_row")] = None,
        decimal: Annotated[str | None, typer.Option(help="opt_ingest_decimal")] = None,
        tz: Annotated[str | None, typer.Option(help="opt_ingest_tz")] = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Load sales logs into the workspace; every input row is loaded, merged or rejected with a reason.

        Lines of one order (same order number, customer and day) are merged into one
        transaction; returns and cancellations are kept with a negative amount. Loading the
        same file twice changes nothing.
        """
        from xuanba.ingest import ingest
        from xuanba.ingest.mapping import header_counts

        names = [c.strip() for c in columns.split(",")] if columns else None
        big = len(paths) > 1 or any(p.is_dir() or (p.is_file() and p.stat().st_size > 20 << 20) for p in paths)
        if big and not as_json:
            from rich.progress import BarColumn, Progress, TextColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} files"),
                          console=err_console, transient=True) as bar:
                task = bar.add_task("ingest", total=None)

                def step(done: int, total: int, name: str) -> None:
                    bar.update(task, completed=done, total=total, description=f"ingest {escape(shown(Path(name).name))}" if name else "ingest")

                report = ingest(paths, workspace, mapping=_mapping(map_), kind=kind, columns=names,
                                date_format=date_format, cutoff=cutoff, rejects_out=rejects_out, progress=step,
                                sheet=sheet, header_row=header_row, decimal=decimal, tz=tz)
        else:
            report = ingest(paths, workspace, mapping=_mapping(map_), kind=kind, columns=names,
                            date_format=date_format, cutoff=cutoff, rejects_out=rejects_out,
                            sheet=sheet, header_row=header_row, decimal=decimal, tz=tz)
        if as_json:
            emit_json(report.to_dict())
            return
        grid = Table(title=say("cli_ingest_title", ws=report.workspace, kind=report.kind))
        for name in ("source", "input", "loaded", "merged", "rejected", "returns", "customers"):
            grid.add_column(label(name), justify="left" if name == "source" else "right")
        for s in report.sources:
            if s.status != "loaded":
                grid.add_row(styled(shown(Path(s.source).name), (say(f"cli_ingest_{s.status.replace(' ', '_')}"), "dim")), "-", "-", "-", "-", "-", "-")
                continue
            grid.add_row(shown(Path(s.source).name), f"{s.input_rows:,}", f"{s.loaded:,}", f"{s.merged:,}",
                         f"{s.rejected:,}", f"{s.returns:,}", f"{s.customers:,}")
        if len(report.sources) > 1:
            grid.add_row(styled(label("total"), style="bold"), f"{report.input_rows:,}", f"{report.loaded:,}", f"{report.merged:,}",
                         f"{report.rejected:,}", f"{report.returns:,}", "")
        console.print(grid)
        console.print(say("cli_ingest_balance", input=f"{report.input_rows:,}", loaded=f"{report.loaded:,}",
                          merged=f"{report.merged:,}", rejected=f"{report.rejected:,}"))
        if report.rejected_by_reason:
            why = Table(title=say("cli_ingest_reasons"), show_header=True)
            why.add_column(label("reason"))
            why.add_column(label("rows"), justify="right")
            for reason, n in report.rejected_by_reason.items():
                why.add_row(reason_words(reason, ui_lang()), f"{n:,}")
            console.print(why)
            where = report.rejects_out or say("cli_ingest_rejects_table")
            console.print(say("cli_ingest_rejects_in", where=where))
        for s in report.sources:
            if s.values_left_empty:
                left = header_counts(s.values_left_empty, ui_lang())
                console.print(styled(say("cli_ingest_left_empty", source=shown(Path(s.source).name), left=left), style="yellow"))
            if s.dashes_read_as_zero:
                counts = header_counts(s.dashes_read_as_zero, ui_lang())
                console.print(styled(say("cli_ingest_dash_zero", source=shown(Path(s.source).name), counts=counts), style="yellow"))
        console.print(styled(say("cli_ingest_time_zone", tz=report.time_zone), style="dim"))
        if report.already_loaded:
            console.print(say("cli_ingest_already_before", n=len(report.already_loaded)))
