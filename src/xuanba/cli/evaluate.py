"""``xuanba evaluate``: fit models on a calibration period, score the holdout, name the best."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
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
    say,
    styled,
    time_unit,
    ui_lang,
)
from xuanba.cli._common import parse_date as _date
from xuanba.i18n import problem_words


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


_COLUMNS = (("LL", "loglik", 0), ("AIC", "aic", 0), ("BIC", "bic", 0), ("MAE", "mae", 3), ("RMSE", "rmse", 3),
            ("corr", "correlation", 3), ("top10%", "top_decile_capture", 3), ("grp err", "group_mae", 3))


def _cell(value: Any, col: str, digits: int) -> str:
    v = float(value)
    if v != v:
        return "–"
    if col == "top_decile_capture":
        return f"{v:.1%}"
    return f"{v:.0f}" if digits == 0 else f"{v:.{digits}f}"


def _print(ev: Any) -> None:
    comp = Table(title=say("cli_eval_title", cal=ev.calibration_end, hold=ev.holdout_end, unit=say(f"unit_{ev.time_unit}")),
                 box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold")
    comp.add_column(say("cli_eval_model"), no_wrap=True)
    for head, _, _ in _COLUMNS:
        comp.add_column(head, justify="right", no_wrap=True)
    comp.add_column(say("cli_eval_pred"), justify="right", no_wrap=True)
    for name, row in ev.comparison.iterrows():
        if row["error"]:
            comp.add_row(styled(say("cli_eval_failed", model=name), style="red"), *["–"] * (len(_COLUMNS) + 1))
            continue
        cells = [styled(_cell(row[col], col, digits), style="bold green") if ev.best_by.get(col) == name
                 else _cell(row[col], col, digits) for _, col, digits in _COLUMNS]
        label = str(name) + ("*" if row["problems"] else "")
        comp.add_row(styled(label, style="bold") if name == ev.best else label, *cells, f"{row['predicted_total']:.0f}")
    comp.caption = say("cli_eval_caption", n=f"{ev.comparison['actual_total'].iloc[0]:,.0f}")
    console.print(comp)
    for name, row in ev.comparison.iterrows():
        if row["error"]:
            console.print(f"[red]{escape(say('cli_eval_not_fitted', model=name))}[/] {escape(str(row['error']))}", markup=True)
        elif row["problems"]:
            console.print(f"[yellow]{escape(say('cli_eval_untrusted', model=name))}[/] {escape(problem_words(str(row['problems']), ui_lang()))}", markup=True)
    for warning in ev.warnings:
        console.print(f"[yellow]{say('cli_warning')}[/] {escape(warning)}", markup=True)
    if not ev.best:
        console.print(f"[red]{say('cli_eval_none')}[/]", markup=True)
        return

    models = [m for m in ev.comparison.index if m in ev.models]
    freq = Table(title=say("cli_eval_by_frequency"))
    for col in [say("cli_eval_frequency"), say("cli_eval_customers"), say("cli_eval_actual"), *models]:
        freq.add_column(col, justify="right")
    for label, row in ev.by_frequency.iterrows():
        freq.add_row(str(label), _fmt(int(row["customers"])), _fmt(row["actual"]), *[_fmt(row[m]) for m in models])
    console.print(freq)

    cum = Table(title=say("cli_eval_cumulative", unit=say(f"unit_{ev.time_unit}")))
    for col in [say("cli_eval_period"), say("cli_eval_ends"), say("cli_eval_actual"), *models]:
        cum.add_column(col, justify="right")
    frame = ev.cumulative
    if frame is None:
        return
    step = max(1, len(frame) // 12)
    shown = sorted({*range(step - 1, len(frame), step), len(frame) - 1, int((~frame["holdout"]).sum()) - 1} - {-1})
    for i in shown:
        row = frame.iloc[i]
        cum.add_row(str(row["period"]), str(row["period_end"]), _fmt(row["actual_cumulative"], 0),
                    *[_fmt(row[f"{m}_cumulative"], 1) for m in models])
    console.print(cum)
    best = ev.comparison.loc[ev.best]
    kind = say("cli_eval_best_kind" if best["usable"] else "cli_eval_best_kind_untrusted")
    console.print(say("cli_eval_best", model=escape(str(ev.best)), kind=kind, rmse=f"{best['rmse']:.3f}",
                      aic=f"{best['aic']:,.1f}"), markup=True)


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the app."""

    @app.command("evaluate", help=cmd_help("evaluate"))
    @handle_errors
    def evaluate_cmd(
        calibration_end: Annotated[str, typer.Option(help="opt_evaluate_calibration_end")],
        holdout_end: Annotated[str, typer.Option(help="opt_evaluate_holdout_end")],
        models: Annotated[str, typer.Option(help="opt_evaluate_models")] = "bgnbd,pareto-nbd,mbgnbd",
        unit: UnitOpt = "week",
        out: Annotated[Path | None, typer.Option(help="opt_evaluate_out")] = None,
        lang: LangOpt = None,
        penalizer: Annotated[float, typer.Option(help="opt_evaluate_penalizer")] = 0.0,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
        period: PeriodOpt = None,
    ) -> None:
        """Fit models on a calibration period, predict the holdout and say which fits best."""
        from xuanba.models.evaluate import evaluate
        from xuanba.tables import write_table
        from xuanba.workspace import open_workspace

        unit = time_unit(unit, period)
        cal, hold = _date(calibration_end, "--calibration-end"), _date(holdout_end, "--holdout-end")
        names = [m.strip() for m in models.split(",") if m.strip()]
        with open_workspace(workspace, read_only=True) as ws:
            ev = evaluate(ws, cal, hold, models=names, time_unit=unit, penalizer=penalizer)
        written = str(write_table(ev.predictions, out, sheet="predictions", lang=lang)) if out is not None else None
        if as_json:
            emit_json({**ev.to_dict(), "out": written})
            return
        _print(ev)
        if written:
            console.print(say("cli_eval_written", path=written))
