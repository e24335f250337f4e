"""Commands of the outputs stage: ``report``, ``statements`` and ``export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    resolve_lang,
    say,
    ui_lang,
)
from xuanba.errors import shown

RoundArg = Annotated[str, typer.Argument(help="opt_report_round")]


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    """Add ``report``, ``statements`` and ``export`` to the app."""

    @app.command("report", help=cmd_help("report"))
    @handle_errors
    def report(
        round_id: RoundArg,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="opt_report_out")] = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Write the round's report: one HTML file that works offline (charts, tables, the standard)."""
        from xuanba.outputs.report import write_report

        lang = resolve_lang(lang)
        path = write_report(workspace, round_id, out, lang=lang)
        size = path.stat().st_size
        if as_json:
            emit_json({"report": str(path), "bytes": size, "lang": lang})
        else:
            console.print(say("cli_report_written", path=f"[bold]{escape(shown(path))}[/]", mb=f"{size / 1e6:,.1f}"), markup=True)

    @app.command("statements", help=cmd_help("statements"))
    @handle_errors
    def statements(
        round_id: RoundArg,
        out: Annotated[Path, typer.Option("--out", "-o", help="opt_statements_out")],
        customers: Annotated[list[str] | None, typer.Option("--customers", "-c", help="opt_statements_customers")] = None,
        lang: LangOpt = None,
        pdf: Annotated[bool, typer.Option("--pdf", help="opt_statements_pdf")] = False,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Write each customer's statement: the standard in plain words and where they stand."""
        from xuanba.outputs.statements import INDEX_NAME, write_statements

        lang = resolve_lang(lang)
        paths = write_statements(workspace, round_id, out, customers=_split(customers), lang=lang, pdf=pdf)
        pages = [p for p in paths if p.suffix == ".html"]
        if as_json:
            index = json.loads((out / INDEX_NAME).read_text("utf-8"))
            emit_json({"out": str(out), "pages": len(pages), "pdfs": len(paths) - len(pages),
                       "files": [str(p) for p in paths], "index": str(out / INDEX_NAME),
                       "customers": {cid: str(out / name) for cid, name in index.items()}})
        else:
            extra = say("cli_statements_pdfs", n=f"{len(paths) - len(pages):,}") if len(paths) > len(pages) else ""
            console.print(say("cli_statements_written", n=f"{len(pages):,}", extra=extra, path=f"[bold]{escape(shown(out))}[/]"), markup=True)

    @app.command("export", help=cmd_help("export"))
    @handle_errors
    def export(
        round_id: RoundArg,
        out: Annotated[Path, typer.Option("--out", "-o", help="opt_export_out")],
        tables: Annotated[str, typer.Option("--tables", "-t", help="opt_export_tables")] = "roster",
        against: Annotated[str | None, typer.Option("--against", help="opt_export_against")] = None,
        fmt: Annotated[str | None, typer.Option("--format", "-f", help="opt_export_fmt")] = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Export a round's tables to CSV (UTF-8 with BOM), Excel or Parquet."""
        from xuanba.outputs.exports import export_note, export_round

        names = _split([tables]) or ["roster"]
        paths = export_round(workspace, round_id, out, tables=names, against=against, fmt=fmt, lang=lang)
        note = export_note(workspace, round_id, names, ui_lang())  # a round that stored its selection only
        if as_json:
            emit_json({"tables": names, "files": [str(p) for p in paths], "note": note})
        else:
            for p in paths:
                console.print(say("cli_written", path=f"[bold]{escape(shown(p))}[/]"), markup=True)
            if note:
                console.print(note, markup=False)
