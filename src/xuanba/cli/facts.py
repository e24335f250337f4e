"""``xuanba facts``: per-customer facts at a cutoff, or calibration facts plus holdout actuals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    LangOpt,
    PeriodOpt,
    UnitOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    label,
    say,
    time_unit,
)
from xuanba.cli._common import parse_date as _date


def register(app: typer.Typer) -> None:
    """Add ``facts`` to the app."""

    @app.command("facts", help=cmd_help("facts"))
    @handle_errors
    def facts(
        cutoff: Annotated[str | None, typer.Option(help="opt_facts_cutoff")] = None,
        unit: UnitOpt = "week",
        merge: Annotated[str, typer.Option(help="opt_facts_merge")] = "day",
        calibration_end: Annotated[str | None, typer.Option(help="opt_facts_calibration_end")] = None,
        holdout_end: Annotated[str | None, typer.Option(help="opt_facts_holdout_end")] = None,
        out: Annotated[Path | None, typer.Option(help="opt_facts_out")] = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
        period: PeriodOpt = None,
    ) -> None:
        """Compute one row of facts per customer and store them in the workspace table `facts`."""
        from xuanba.errors import InputError, Phrase
        from xuanba.facts import calibration_holdout, customer_facts, store_facts
        from xuanba.tables import write_table
        from xuanba.workspace import open_workspace

        unit = time_unit(unit, period)
        if merge not in ("day", "period"):
            raise InputError(Phrase("err_merge", merge=repr(merge)), fix=Phrase("err_merge_fix"))
        if (calibration_end is None) != (holdout_end is None):
            raise InputError(Phrase("err_cal_holdout_together"), fix=Phrase("err_cal_holdout_together_fix"))
        with open_workspace(workspace) as ws:
            if calibration_end is not None:
                cal, hold = _date(calibration_end, "--calibration-end"), _date(holdout_end, "--holdout-end")
                table = calibration_holdout(ws, cal, hold, time_unit=unit, merge=merge)  # type: ignore[arg-type]
                as_of = cal
            else:
                table = customer_facts(ws, _date(cutoff, "--cutoff"), time_unit=unit, merge=merge)  # type: ignore[arg-type]
                as_of = table["last_purchase"].max() if cutoff is None else _date(cutoff, "--cutoff")
            store_facts(ws, table)
        written = str(write_table(table, out, sheet="facts", lang=lang)) if out is not None else None
        summary = {
            "cutoff": as_of,
            "time_unit": unit,
            "customers": len(table),
            "repeat_buyers": int((table["frequency"] > 0).sum()),
            "repeat_purchases": int(table["frequency"].sum()),
            "revenue_total": float(table["revenue_total"].sum()),
            "out": written,
            "workspace_table": "facts",
        }
        if "frequency_holdout" in table.columns:
            summary["holdout_end"] = _date(holdout_end, "--holdout-end")
            summary["holdout_purchases"] = int(table["frequency_holdout"].sum())
        if as_json:
            emit_json(summary)
            return
        grid = Table(title=say("cli_facts_title", cutoff=as_of, unit=unit), show_header=False)
        grid.add_column(style="bold")
        grid.add_column(justify="right")
        for key, value in summary.items():
            if value is None:
                continue
            grid.add_row(label(key), f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value))
        console.print(grid)
