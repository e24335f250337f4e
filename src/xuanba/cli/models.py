"""Commands of the models stage: ``xuanba fit`` and ``xuanba predict``."""

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
    UnitOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    say,
    time_unit,
    ui_lang,
)
from xuanba.i18n import problem_words


def _facts(facts: Path | None, workspace: Path) -> tuple[Any, str]:
    """The facts table from a file, or from the workspace table ``facts``."""
    from xuanba.models.predict import read_facts

    if facts is not None:
        return read_facts(facts), str(facts)
    from xuanba.facts import stored_facts

    return stored_facts(workspace), f"{workspace} (table facts)"  # opened read-only


def _fit_payload(name: str, model: Any, source: str, saved: str | None) -> dict[str, Any]:
    summary = model.summary()
    payload: dict[str, Any] = {
        "model": name,
        "facts": source,
        "time_unit": getattr(model, "time_unit", None),
        "params": {k: {c: float(v) for c, v in row.items()} for k, row in summary.iterrows()},
        **model.fit_stats(),
        "converged": bool(getattr(model, "converged_", True)),
        "problems": list(getattr(model, "problems_", [])),
        "trustworthy": not getattr(model, "problems_", []),
        "saved": saved,
    }
    if hasattr(model, "excluded_counts_"):
        payload["excluded"] = model.excluded_counts_
        payload["frequency_spend_correlation"] = model.frequency_spend_correlation_
        payload["assumption_warning"] = model.assumption_warning_
    return payload


def _print_fit(payload: dict[str, Any]) -> None:
    unit = say("cli_fit_unit", unit=say(f"unit_{payload['time_unit']}")) if payload.get("time_unit") else ""
    table = Table(title=say("cli_fit_title", model=payload["model"], facts=payload["facts"], unit=unit))
    for i, col in enumerate(("parameter", "estimate", "stderr", "low", "high")):
        table.add_column(say(f"cli_fit_{col}"), justify="left" if i == 0 else "right")
    for name, row in payload["params"].items():
        table.add_row(name, *(f"{row[c]:.4g}" for c in ("estimate", "stderr", "lower_95", "upper_95")))
    console.print(table)
    stats = Table(show_header=False)
    stats.add_column(style="bold")
    stats.add_column(justify="right")
    stats.add_row(say("cli_fit_loglik"), f"{payload['loglik']:,.3f}")
    stats.add_row("AIC", f"{payload['aic']:,.2f}")
    stats.add_row("BIC", f"{payload['bic']:,.2f}")
    stats.add_row(say("cli_fit_customers"), f"{payload['n_customers']:,.0f}")
    stats.add_row(say("cli_fit_distinct"), f"{payload['n_distinct']:,.0f}")
    for reason, count in payload.get("excluded", {}).items():
        stats.add_row(say("cli_fit_left_out", reason=reason), f"{count:,}")
    if "frequency_spend_correlation" in payload:
        stats.add_row(say("cli_fit_corr"), f"{payload['frequency_spend_correlation']:.3f}")
    console.print(stats)
    if payload.get("assumption_warning"):
        console.print(f"[yellow]{say('cli_warning')}[/] {escape(str(payload['assumption_warning']))}", markup=True)
    if payload["problems"]:
        console.print(f"[bold red]{say('cli_fit_untrusted')}[/]{say('cli_fit_untrusted_why')}", markup=True)
        for problem in payload["problems"]:  # raised in English (the JSON keeps it), said in the reader's
            console.print(f"  - {escape(problem_words(problem, ui_lang()))}")
        console.print(say("cli_fit_untrusted_fix"))
    if payload.get("saved"):
        console.print(say("cli_fit_saved", path=payload["saved"]))


def register(app: typer.Typer) -> None:
    """Add ``fit`` and ``predict`` to the app."""
    # ``xuanba evaluate`` lives in xuanba.cli.evaluate and is registered by the CLI package.

    @app.command("fit", help=cmd_help("fit"))
    @handle_errors
    def fit(
        model: Annotated[str, typer.Option("--model", "-m", help="opt_fit_model")],
        facts: Annotated[Path | None, typer.Option(help="opt_fit_facts")] = None,
        save: Annotated[Path | None, typer.Option(help="opt_fit_save")] = None,
        unit: UnitOpt = "week",
        penalizer: Annotated[float, typer.Option(help="opt_fit_penalizer")] = 0.0,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Fit a customer-base model; print parameters with standard errors, LL, AIC and BIC."""
        from xuanba.models.predict import fit_model

        unit = time_unit(unit)
        table, source = _facts(facts, workspace)
        fitted = fit_model(model, table, time_unit=unit, penalizer=penalizer)
        saved = str(fitted.save(save)) if save is not None else None
        payload = _fit_payload(model, fitted, source, saved)
        if as_json:
            emit_json(payload)
            return
        _print_fit(payload)

    @app.command("predict", help=cmd_help("predict"))
    @handle_errors
    def predict(
        model: Annotated[Path, typer.Option("--model", "-m", help="opt_predict_model")],
        out: Annotated[Path, typer.Option(help="opt_predict_out")],
        facts: Annotated[Path | None, typer.Option(help="opt_predict_facts")] = None,
        horizon: Annotated[float, typer.Option(help="opt_predict_horizon")] = 52.0,
        unit: Annotated[str, typer.Option("--unit", help="opt_predict_unit")] = "week",
        interval: Annotated[float | None, typer.Option(help="opt_predict_interval")] = None,
        spend_model: Annotated[Path | None, typer.Option(help="opt_predict_spend_model")] = None,
        value_years: Annotated[float, typer.Option(help="opt_predict_value_years")] = 3.0,
        discount_rate: Annotated[float, typer.Option(help="opt_predict_discount_rate")] = 0.10,
        margin: Annotated[float, typer.Option(help="opt_predict_margin")] = 1.0,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Write per-customer predictions (P(alive), expected purchases, churn score, spend, value)."""
        from xuanba.models import Model
        from xuanba.models.predict import predict_table
        from xuanba.tables import write_table

        unit = time_unit(unit)
        fitted = Model.load(model)
        table, source = _facts(facts, workspace)
        preds = predict_table(fitted, table, horizon=horizon, unit=unit, interval=interval)
        if spend_model is not None:
            import pandas as pd

            from xuanba.models.value import customer_value

            value = customer_value(
                fitted, Model.load(spend_model), table, horizon_years=value_years,
                discount_rate=discount_rate, margin=margin,
                time_unit=getattr(fitted, "time_unit", None) or unit, interval=interval,
            )
            if isinstance(value, pd.DataFrame):
                preds["clv"], preds["clv_lower"], preds["clv_upper"] = (
                    value["clv"].to_numpy(), value["lower"].to_numpy(), value["upper"].to_numpy())
            else:
                preds["clv"] = value.to_numpy()
        written = str(write_table(preds, out, sheet="predictions", lang=lang))
        numeric = preds.drop(columns=["customer_id"]).select_dtypes("number")
        payload = {
            "model": type(fitted).__name__,
            "facts": source,
            "horizon": horizon,
            "unit": unit,
            "customers": len(preds),
            "columns": list(preds.columns),
            "means": {c: float(numeric[c].mean()) for c in numeric.columns},
            "out": written,
        }
        if as_json:
            emit_json(payload)
            return
        grid = Table(title=say("cli_pred_title", model=payload["model"], horizon=f"{horizon:g}", unit=say(f"unit_{unit}"),
                               n=f"{len(preds):,}"))
        grid.add_column(say("cli_pred_column"))
        grid.add_column(say("cli_pred_mean"), justify="right")
        for col, mean in payload["means"].items():
            grid.add_row(col, f"{mean:,.4f}")
        console.print(grid)
        console.print(say("cli_written_to", path=written))
