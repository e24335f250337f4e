"""``xuanba backtest`` and ``xuanba whatif``: the standard's report card, as thin shells over
:func:`xuanba.rounds.backtest.backtest` and :func:`xuanba.rounds.whatif.whatif`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    UnitOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    label,
    progress_status,
    time_unit,
    ui_lang,
)
from xuanba.errors import shown

StandardArg = Annotated[Path, typer.Argument(help="opt_standard_file")]
FromOpt = Annotated[str, typer.Option("--from", help="opt_from")]
ToOpt = Annotated[str, typer.Option("--to", help="opt_to")]
EveryOpt = Annotated[str, typer.Option(help="opt_every")]


def _pct(share: float) -> str:
    """A share (0.123) as the report writes percentages (``12.3%``; a dash when missing)."""
    from xuanba.outputs.i18n import pct

    return pct(100 * float(share))


def _past_cutoffs(fn: Any, fields_file: Path | None, unit: str, as_json: bool, *args: Any, **kw: Any) -> Any:
    """``fn(*args, **kw)`` over past cutoffs (a backtest or a tune): the --fields table read, the
    --unit checked, and the steps shown under one spinner (none with --json)."""
    from xuanba.rounds.run import read_fields_file

    extra = read_fields_file(fields_file) if fields_file is not None else None
    with progress_status(quiet=as_json) as progress:
        return fn(*args, time_unit=time_unit(unit), extra_fields=extra, progress=progress, **kw)


def _print_backtest(bt: Any) -> None:
    from rich.table import Table

    from xuanba.i18n import t
    from xuanba.outputs.i18n import num
    from xuanba.rounds.backtest import verdict_lines

    lang = ui_lang()  # the run's language (--lang, else the locale), as every command
    o = bt.overall
    n_cut = int(bt.cutoffs["cutoff"].nunique())
    grid = Table(title=t("bt_title_overall", lang, name=bt.standard.name, version=bt.standard.version,
                         cutoffs=n_cut, days=bt.horizon_days))
    grid.add_column(label("method"))
    shown = ("revenue_captured", "profit_captured", "lift", "precision", "top_tier_hit", "retention_selected",
             "retention_rest", "stability")
    cols = [c for c in shown if o[c].notna().any()]
    for c in cols:
        grid.add_column(label(c), justify="right")
    for method, row in o.iterrows():
        cells = [num(row[c], 2) if c == "lift" else _pct(row[c]) for c in cols]
        grid.add_row(str(method), *cells)
    console.print(grid)
    if "random" in o.index and o.loc["random", "revenue_captured_lo"] == o.loc["random", "revenue_captured_lo"]:
        console.print(t("bt_band_line", lang, lo=_pct(o.loc["random", "revenue_captured_lo"]),
                        hi=_pct(o.loc["random", "revenue_captured_hi"])))
    wide = bt.cutoffs.pivot(index="cutoff", columns="method", values="revenue_captured")
    wide = wide[[m for m in o.index if m in wide.columns]]
    per = Table(title=t("bt_title_cutoffs", lang))
    per.add_column(label("cutoff"))
    per.add_column(label("selected"), justify="right")
    for m in wide.columns:
        per.add_column(str(m), justify="right")
    firsts = bt.cutoffs.groupby("cutoff").first()
    partial = False
    for cut, row in wide.iterrows():
        info = firsts.loc[cut]
        mark = "" if info["complete"] else " *"
        partial |= not bool(info["complete"])
        per.add_row(f"{cut}{mark}", f"{int(info['selected']):,}", *(_pct(v) for v in row))
    console.print(per)
    if partial:
        console.print(t("bt_partial", lang, days=bt.horizon_days))
    for v in verdict_lines(bt.overall, bt.judgements, lang):  # the stored judgements, in the run's language
        console.print(v, style="bold red" if v.startswith(("WORSE", "不如")) else None)
    for note in bt.notes:
        console.print(t("card_note", lang, text=note))


def _standard_group(app: typer.Typer) -> typer.Typer:
    """The ``standard`` command group (made by :mod:`xuanba.cli.standard`), or a new one."""
    for info in app.registered_groups:
        if info.name == "standard" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=cmd_help("standard"), no_args_is_help=True)
    app.add_typer(group, name="standard")
    return group


def register(app: typer.Typer) -> None:
    """Add ``backtest``, ``whatif`` and ``standard tune`` to the app (after ``standard``'s own commands)."""

    @app.command("backtest", help=cmd_help("backtest"))
    @handle_errors
    def backtest_(
        standard: StandardArg,
        from_: FromOpt,
        to: ToOpt,
        every: EveryOpt = "quarter",
        horizon: Annotated[str, typer.Option(help="opt_backtest_horizon")] = "365d",
        baseline: Annotated[list[str] | None, typer.Option("--baseline", help="opt_backtest_baseline")] = None,
        draws: Annotated[int, typer.Option(help="opt_backtest_draws")] = 200,
        seed: Annotated[int, typer.Option(help="opt_backtest_seed")] = 0,
        fields_file: Annotated[Path | None, typer.Option("--fields", help="opt_backtest_fields_file")] = None,
        unit: UnitOpt = "week",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="opt_backtest_out")] = None,
        chart: Annotated[Path | None, typer.Option("--chart", help="opt_backtest_chart")] = None,
        store: Annotated[bool, typer.Option("--store", help="opt_backtest_store")] = False,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """How the standard would have done at past cutoffs: value captured next, beside baselines."""
        from xuanba.i18n import t
        from xuanba.rounds.backtest import BASELINES, backtest
        from xuanba.tables import write_table

        bt = _past_cutoffs(backtest, fields_file, unit, as_json, workspace, standard, from_, to, every=every,
                           horizon=horizon, baselines=tuple(baseline or BASELINES), draws=draws, seed=seed,
                           store=store)
        written = None
        if out is not None:
            sheets = {"cutoffs": bt.cutoffs, "overall": bt.overall.reset_index()}
            if not bt.fairness.empty:
                sheets["fairness"] = bt.fairness
            written = str(write_table(sheets, out, lang=ui_lang())[0]
                          if str(out).endswith(".xlsx") else write_table(bt.cutoffs, out, sheet="cutoffs"))
        if chart is not None:
            from xuanba._files import write_text_atomic
            from xuanba.outputs.plots import value_captured

            write_text_atomic(chart, value_captured(bt, lang=ui_lang()).to_html(include_plotlyjs=True, full_html=True))
        if as_json:
            emit_json({"horizon_days": bt.horizon_days, "chart": str(chart) if chart else None, "overall": bt.overall.reset_index().to_dict("records"),
                       "cutoffs": bt.cutoffs.to_dict("records"), "verdicts": bt.verdicts,
                       "worse_than": bt.worse_than(), "notes": bt.notes, "out": written,
                       "stored": bt.backtest_id})
            return
        _print_backtest(bt)
        lang = ui_lang()  # the run's language (--lang, else the locale), as every command
        if written:
            console.print(t("card_written", lang, what=t("card_what_cutoffs", lang), path=shown(written)))
        if bt.backtest_id is not None:
            console.print(t("bt_stored", lang, id=bt.backtest_id))

    @app.command("whatif", help=cmd_help("whatif"))
    @handle_errors
    def whatif_(
        standard: StandardArg,
        against: Annotated[str, typer.Option(help="opt_whatif_against")] = "latest",
        show: Annotated[int, typer.Option(help="opt_whatif_show")] = 10,
        horizon: Annotated[str | None, typer.Option(help="opt_whatif_horizon")] = None,
        fields_file: Annotated[Path | None, typer.Option("--fields", help="opt_whatif_fields_file")] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="opt_whatif_out")] = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """The roster a changed standard would give at a stored round's cutoff (no refit, nothing stored)."""
        from rich.table import Table

        from xuanba.i18n import t
        from xuanba.rounds.run import read_fields_file
        from xuanba.rounds.whatif import whatif
        from xuanba.tables import write_table

        extra = read_fields_file(fields_file) if fields_file is not None else None
        w = whatif(workspace, standard, against, extra_fields=extra, movers=show, horizon=horizon)
        written = str(write_table(w.roster, out, sheet="roster")) if out is not None else None
        if as_json:
            emit_json({**w.summary, "tiers": w.tiers.to_dict("records"), "movers": w.movers.to_dict("records"),
                       "out": written})
            return
        lang = ui_lang()  # the run's language (--lang, else the locale), as every command
        s = w.summary
        head = Table(title=t("wi_title", lang, name=w.standard.name, version=w.standard.version,
                             round_id=w.round_id, cutoff=w.cutoff), show_header=False)
        head.add_column(style="bold")
        head.add_column(justify="right")
        for key in ("customers", "selected_round", "selected_new", "kept", "entered", "left", "rose", "fell", "same"):
            head.add_row(key.replace("_", " "), f"{s[key]:,}")
        if s.get("value_captured_round") is not None:
            head.add_row(f"value captured, next {s['horizon_days']} days (round)", _pct(s["value_captured_round"]))
            head.add_row(f"value captured, next {s['horizon_days']} days (new)", _pct(s["value_captured_new"]))
        console.print(head)
        tiers = Table(title=t("card_tiers", lang))
        for c in ("tier", "round", "new"):
            tiers.add_column(c, justify="left" if c == "tier" else "right")
        for r in w.tiers.itertuples(index=False):
            tiers.add_row(str(r.tier), f"{r.round:,}", f"{r.new:,}")
        console.print(tiers)
        if len(w.movers):
            moved = Table(title=t("wi_movers", lang))
            for c in ("customer", "tier", "rank", "score", "moved by (points)"):
                moved.add_column(c, justify="right" if c in ("rank", "score") else "left")
            for r in w.movers.itertuples(index=False):
                moved.add_row(shown(r.customer_id, quoted=False), f"{r.tier_round or '-'} → {r.tier_new or '-'}",
                              f"{r.rank_round} → {r.rank_new}", f"{r.score_round:.1f} → {r.score_new:.1f}", r.moved_by)
            console.print(moved)
        if written:
            console.print(t("card_written", lang, what=t("card_what_roster", lang), path=shown(written)))

    @_standard_group(app).command("tune", help=cmd_help("standard_tune"))
    @handle_errors
    def tune_(
        standard: StandardArg,
        from_: FromOpt,
        to: ToOpt,
        every: EveryOpt = "quarter",
        horizon: Annotated[str, typer.Option(help="opt_tune_horizon")] = "365d",
        objective: Annotated[str, typer.Option(help="opt_tune_objective")] = "revenue",
        max_change: Annotated[float, typer.Option("--max-change", help="opt_tune_max_change")] = 0.3,
        bars: Annotated[bool, typer.Option("--bars", help="opt_tune_bars")] = False,
        max_bar_change: Annotated[float, typer.Option("--max-bar-change", help="opt_tune_max_bar_change")] = 20.0,
        fields_file: Annotated[Path | None, typer.Option("--fields", help="opt_tune_fields_file")] = None,
        unit: UnitOpt = "week",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="opt_tune_out")] = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Learn the weights that captured the most value at past cutoffs; check them on the latest, held out."""
        from rich.table import Table

        from xuanba._files import write_text_atomic
        from xuanba.i18n import t
        from xuanba.rounds.tune import tune

        tuned = _past_cutoffs(tune, fields_file, unit, as_json, workspace, standard, from_, to, every=every,
                              horizon=horizon, objective=objective, max_change=max_change, bars=bars,
                              max_bar_change=max_bar_change)
        written = None
        if out is not None:
            write_text_atomic(out, tuned.text)
            written = str(out)
        if as_json:
            emit_json({"weights": tuned.weights.to_dict("records"), "bars": tuned.bars.to_dict("records"),
                       "cutoffs": tuned.cutoffs.to_dict("records"), "training": tuned.training,
                       "held_out": tuned.held_out, "out": written})
            return
        lang = ui_lang()  # the run's language (--lang, else the locale), as every command
        grid = Table(title=t("tune_weights_title", lang, name=tuned.standard.name))
        for c in ("criterion", "before", "after"):
            grid.add_column(c, justify="left" if c == "criterion" else "right")
        for r in tuned.weights.itertuples(index=False):
            grid.add_row(r.criterion, f"{r.before:.2f}", f"{r.after:.2f}")
        console.print(grid)
        if len(tuned.bars):
            bar_grid = Table(title=t("tune_bars_title", lang, name=tuned.standard.name))
            for c in ("tier", "before", "after"):
                bar_grid.add_column(c, justify="left" if c == "tier" else "right")
            for r in tuned.bars.itertuples(index=False):
                bar_grid.add_row(str(r.tier), f"{r.before:g}", f"{r.after:g}")
            console.print(bar_grid)
        per = Table(title=t("tune_cutoffs_title", lang, objective=objective))
        for c in ("cutoff", "role", "before", "after", "selected before", "selected after"):
            per.add_column(c, justify="left" if c in ("cutoff", "role") else "right")
        for r in tuned.cutoffs.itertuples(index=False):
            per.add_row(str(r.cutoff), r.role, _pct(r.before), _pct(r.after), _pct(r.share_before), _pct(r.share_after))
        console.print(per)
        h = tuned.held_out
        if len(tuned.bars):  # bars are judged by what the selection brought beyond its size
            key = "tune_bars_better" if h["excess_after"] > h["excess_before"] else "tune_bars_worse"
            console.print(t(key, lang, cutoff=h["cutoff"], before=_pct(h["excess_before"]),
                            after=_pct(h["excess_after"]), share_before=_pct(h["share_before"]),
                            share_after=_pct(h["share_after"])))
        else:
            key = "tune_better" if h["after"] > h["before"] else "tune_worse"
            console.print(t(key, lang, cutoff=h["cutoff"], before=_pct(h["before"]), after=_pct(h["after"])))
        if written:
            console.print(t("card_written", lang, what=t("card_what_standard", lang), path=shown(written)))

    @app.command("fairness", help=cmd_help("fairness"))
    @handle_errors
    def fairness_(
        round_id: Annotated[str, typer.Argument(help="opt_fairness_round_id")] = "latest",
        by: Annotated[list[str] | None, typer.Option("--by", help="opt_fairness_by")] = None,
        value: Annotated[str, typer.Option(help="opt_fairness_value")] = "revenue_365d",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="opt_fairness_out")] = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Selection rate and value by owner, region and segment, beside their share of the base and of the value."""
        from rich.table import Table

        from xuanba.i18n import t
        from xuanba.outputs.i18n import num
        from xuanba.rounds.fairness import round_fairness, verify_round
        from xuanba.rounds.store import load_round
        from xuanba.tables import write_table

        rnd = load_round(workspace, round_id, fields=True, contributions=False)  # read once, for both
        table = round_fairness(rnd, by=by, value=value)
        proof = verify_round(rnd)
        lang = ui_lang()  # the run's language (--lang, else the locale), as every command
        written = str(write_table(table, out, sheet="fairness")) if out is not None else None
        if as_json:
            emit_json({"rows": table.to_dict("records"), "proof": proof, "out": written})
            return
        for attr, part in table.groupby("attribute", sort=False):
            grid = Table(title=t("fair_title", lang, attribute=attr, value=value))
            cols = ["group", "customers", "share_of_base", "selection_rate", "share_of_selected", "share_of_value",
                    "value_captured", "selection_vs_value"]
            for c in cols:
                grid.add_column(c.replace("_", " "), justify="left" if c == "group" else "right")
            for r in part.itertuples(index=False):
                grid.add_row(str(r.group), f"{r.customers:,}", *(_pct(getattr(r, c)) for c in cols[2:-1]),
                             num(r.selection_vs_value, 2))
            console.print(grid)
        failed = [k for k in ("standard", "data", "roster", "intervals") if proof[k] is False]
        if proof["roster"] is None and not failed:
            console.print(t("fair_older_rules", lang, id=proof["round_id"]), style="yellow")
        elif failed:
            console.print(t("fair_not_verified", lang, id=proof["round_id"], what=", ".join(failed)), style="bold red")
        else:
            console.print(t("fair_verified", lang, id=proof["round_id"], sha=str(proof["roster_sha256"])[:16]))
        if written:
            console.print(t("card_written", lang, what=t("card_what_table", lang), path=shown(written)))
