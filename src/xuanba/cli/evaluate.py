"""``xuanba evaluate``: fit models on a calibration period, score the holdout, name the best."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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
    time_unit,
)
from xuanba.cli._common import parse_date as _date


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _print(ev: Any) -> None:
    comp = Table(title=f"Models fitted to {ev.calibration_end}, holdout to {ev.holdout_end} ({ev.time_unit}s)")
    comp.add_column("model", no_wrap=True)
    for col in ("LL", "AIC", "MAE", "RMSE", "corr", "top 10%", "predicted"):
        comp.add_column(col, justify="right", no_wrap=True)
    for name, row in ev.comparison.iterrows():
        comp.add_row(
            Text(str(name), style="bold") if name == ev.best else str(name),
            f"{row['loglik']:.1f}", f"{row['aic']:.0f}", _fmt(row["mae"]),
            _fmt(row["rmse"]), _fmt(row["correlation"]), f"{row['top_decile_capture']:.1%}",
            f"{row['predicted_total']:.0f}",
        )
    comp.caption = (
        f"{ev.comparison['actual_total'].iloc[0]:,.0f} holdout purchases; top 10%: their share made "
        "by the predicted top decile; BIC in --json"
    )
    console.print(comp)

    models = list(ev.comparison.index)
    freq = Table(title="Mean holdout purchases by calibration frequency")
    for col in ["frequency", "customers", "actual", *models]:
        freq.add_column(col, justify="right")
    for label, row in ev.by_frequency.iterrows():
        freq.add_row(str(label), _fmt(int(row["customers"])), _fmt(row["actual"]), *[_fmt(row[m]) for m in models])
    console.print(freq)

    cum = Table(title=f"Cumulative repeat purchases by {ev.time_unit}")
    for col in ["period", "ends", "actual", *models]:
        cum.add_column(col, justify="right")
    frame = ev.cumulative
    step = max(1, len(frame) // 12)
    shown = sorted({*range(step - 1, len(frame), step), len(frame) - 1, int((~frame["holdout"]).sum()) - 1} - {-1})
    for i in shown:
        row = frame.iloc[i]
        cum.add_row(str(row["period"]), str(row["period_end"]), _fmt(row["actual_cumulative"], 0),
                    *[_fmt(row[f"{m}_cumulative"], 1) for m in models])
    console.print(cum)
    best = ev.comparison.loc[ev.best]
    console.print(
        f"Best model: [bold]{escape(str(ev.best))}[/] (lowest holdout RMSE {best['rmse']:.3f}; AIC {best['aic']:,.1f})",
        markup=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the app."""

    @app.command("evaluate", help=cmd_help("evaluate"))
    @handle_errors
    def evaluate_cmd(
        calibration_end: Annotated[str, typer.Option(help="Last day of the calibration period (YYYY-MM-DD).")],
        holdout_end: Annotated[str, typer.Option(help="Last day of the holdout period (YYYY-MM-DD).")],
        models: Annotated[str, typer.Option(help="Comma-separated models: bgnbd, pareto-nbd, mbgnbd.")] = "bgnbd,pareto-nbd,mbgnbd",
        unit: UnitOpt = "week",
        out: Annotated[Path | None, typer.Option(help="Write per-customer holdout predictions to .parquet, .csv or .xlsx.")] = None,
        lang: LangOpt = None,
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
            ev = evaluate(ws, cal, hold, models=names, time_unit=unit)
        written = str(write_table(ev.predictions, out, sheet="predictions", lang=lang)) if out is not None else None
        if as_json:
            emit_json({**ev.to_dict(), "out": written})
            return
        _print(ev)
        if written:
            console.print(f"Per-customer predictions written to {written}")
