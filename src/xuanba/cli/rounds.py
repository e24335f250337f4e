"""``xuanba round``, ``xuanba rounds`` and ``xuanba diff``: run, list, re-open and compare rounds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

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
    progress_status,
    say,
    styled,
    time_unit,
)
from xuanba.errors import shown

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="opt_round_out")]


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "" if value != value else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _words(field: str) -> str:
    """A field's name in words in this run's language (the name itself when it has none)."""
    from xuanba.i18n import has

    return say(f"field_{field}") if has(f"field_{field}") else field


def _print_round(rnd: Any, top: int) -> None:
    m = rnd.meta
    head = Table(title=say("cli_round_title", round_id=rnd.round_id or say("cli_not_stored"), name=m["name"]), show_header=False)
    head.add_column(style="bold")
    head.add_column(justify="right")
    for key in ("cutoff", "standard_name", "standard_version", "n_customers", "n_selected", "n_gated_out",
                "n_left_out_by_capacity", "capacity_method", "predictions"):
        head.add_row(label(key), _fmt(m.get(key)))
    s = m.get("summary") or {}
    if s.get("value_share") is not None:
        head.add_row(label("value_share", measure=_words(s["measure"])), f"{100 * s['value_share']:.1f}%")
    if s.get("whale"):
        w = s["whale"]
        head.add_row(label("whale_peak"), label("whale_value", cpct=f"{w['customer_pct']:.1f}", ppct=f"{w['profit_pct']:.1f}",
                                                measure=_words(w["measure"])))
    head.add_row(label("standard_sha256"), m["standard_sha256"][:16] + "…")
    head.add_row(label("data_sha256"), m["data_sha256"][:16] + "…")
    console.print(head)
    from xuanba.cli._common import ui_lang
    from xuanba.outputs.model_words import model_trust_lines

    for line in model_trust_lines(m, ui_lang()):  # the model chosen, a fallback, a fit not to trust
        console.print(line, style="yellow")
    from xuanba.rounds.source_check import rejected_line

    left_out = rejected_line(m, ui_lang())  # an engine round's source rows ingest would have rejected
    if left_out:
        console.print(left_out, style="yellow")
    from xuanba.outputs.field_words import missing_words_line, not_finite_line

    for unusable in (not_finite_line(m, ui_lang()), missing_words_line(m, ui_lang())):  # --fields values
        if unusable:  # scored as missing: ±inf, a written NaN; n/a, #N/A, NULL
            console.print(unusable, style="yellow")
    tiers = Table(title=say("cli_tiers"))
    tiers.add_column(label("tier"))
    tiers.add_column(label("label"))
    tiers.add_column(label("customers"), justify="right")
    for t in rnd.standard.tiers:
        tiers.add_row(t.name, t.label, _fmt(m["tier_counts"].get(t.name, 0)))
    console.print(tiers)
    q = _quadrants(rnd)
    if q:
        quads = Table(title=say("cli_quadrants"))
        quads.add_column(label("quadrant"))
        quads.add_column(label("customers"), justify="right")
        for name, count in q.items():
            quads.add_row(rnd.standard.quadrants.label(name), _fmt(count))
        console.print(quads)
    if top:
        best = Table(title=say("cli_top", n=top))
        cols = ["rank", "customer_id", "score", "tier", "quadrant", "gates_failed"]
        for c in cols:
            best.add_column(label(c), justify="right" if c in ("rank", "score") else "left")
        for row in rnd.roster.head(top).itertuples(index=False):
            best.add_row(*(rnd.standard.quadrants.label(row.quadrant) if c == "quadrant" and row.quadrant
                           else shown(_fmt(getattr(row, c)), quoted=False) for c in cols))
        console.print(best)


def _quadrants(rnd: Any) -> dict[str, int]:
    """Customers per quadrant: an engine round holds its selection only, so every customer's
    counts are those its meta stored."""
    from xuanba.rounds.run import quadrant_counts
    from xuanba.rounds.store import holds_selection_only

    if holds_selection_only(rnd.meta):
        return dict(rnd.meta.get("summary", {}).get("quadrant_counts", {}))
    return quadrant_counts(rnd.roster)


def _summary(rnd: Any, written: str | None) -> dict[str, Any]:
    return {"round_id": rnd.round_id, **rnd.meta, "quadrants": _quadrants(rnd), "out": written}


@contextlib.contextmanager
def _engine_source(engine: str, source: str | None, conf: list[str], roster_out: Path | None = None,
                   mapping: dict[str, str] | None = None) -> Iterator[Any]:
    """The transactions at ``source`` as an Ibis table on ``engine`` (a Spark session is stopped
    when the block ends); the options' mistakes (a ``roster_out`` inside the source folder too)
    are said before any engine starts."""
    from xuanba.errors import InputError, Phrase, SchemaError
    from xuanba.rounds.source_check import SourceDataError, SourceError, refuse_roster_out_in_source
    from xuanba.rounds.spark import parse_spark_conf, spark_session, spark_source

    if engine not in ("duckdb", "spark"):
        raise InputError(Phrase("err_engine_unknown", engine=repr(engine)), fix=Phrase("err_engine_unknown_fix"))
    settings = parse_spark_conf(conf)
    if settings and engine != "spark":
        raise InputError(Phrase("err_spark_conf_engine"), fix=Phrase("err_spark_conf_engine_fix"))
    if source is None:
        raise InputError(Phrase("err_engine_needs_source", engine=engine), fix=Phrase("err_engine_needs_source_fix"))
    refuse_roster_out_in_source(source, roster_out)
    try:
        if engine == "duckdb":
            from xuanba.rounds.engine import duckdb_source

            yield duckdb_source(source, mapping=mapping)
            return
        with spark_session(settings) as backend:
            yield spark_source(backend, source, mapping=mapping)
    except (SourceError, SourceDataError, SchemaError) as exc:  # what is wrong with the source: named with it
        raise type(exc)(exc.phrase or exc.message, file=exc.file or source, row=exc.row, column=exc.column,
                        fix=exc.fix_phrase or exc.fix, examples=exc.examples, count=exc.count) from None


def _engine_round(engine: str, source: str | None, conf: list[str], standard: Path, cutoff: str, unit: str,
                  name: str | None, workspace: Path | None, roster_out: str | None, progress: Any,
                  side_tables: Path | None = None, extra: Any = None, roster_replace: bool = False,
                  mapping: dict[str, str] | None = None) -> Any:
    """``xuanba round --engine … --source …``: the round run by the engine that reads the source;
    the side tables of ``side_tables`` (the --workspace, stored in or not) give the account
    fields and customer attributes, ``extra`` (--fields) its extra fields."""
    from xuanba.rounds.engine import run_round_on_engine

    with _engine_source(engine, source, conf, roster_out, mapping) as tx:
        return run_round_on_engine(tx, standard, cutoff, workspace=workspace, roster_out=roster_out,
                                   time_unit=unit, name=name, progress=progress, side_tables=side_tables,
                                   extra_fields=extra, roster_replace=roster_replace, mapping=mapping)


def register(app: typer.Typer) -> None:
    """Add ``round``, ``rounds`` and ``diff`` to the app."""

    @app.command("round", help=cmd_help("round"))
    @handle_errors
    def round_(
        standard: Annotated[Path, typer.Option("--standard", "-s", help="opt_standard_file")],
        cutoff: Annotated[str | None, typer.Option(help="opt_round_cutoff")] = None,
        unit: UnitOpt = "week",
        name: Annotated[str | None, typer.Option(help="opt_round_name")] = None,
        fields_file: Annotated[Path | None, typer.Option("--fields", help="opt_round_fields_file")] = None,
        store: Annotated[bool, typer.Option("--store/--no-store", help="opt_round_store")] = True,
        every: Annotated[str | None, typer.Option(help="opt_round_every")] = None,
        from_: Annotated[str | None, typer.Option("--from", help="opt_round_from")] = None,
        to: Annotated[str | None, typer.Option(help="opt_round_to")] = None,
        top: Annotated[int, typer.Option(help="opt_top")] = 10,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
        period: PeriodOpt = None,
        engine: Annotated[str, typer.Option(help="opt_round_engine")] = "duckdb",
        source: Annotated[str | None, typer.Option(help="opt_round_source")] = None,
        spark_conf: Annotated[list[str] | None, typer.Option("--spark-conf", help="opt_round_spark_conf")] = None,
        # text, not a Path: a Path turns s3a://lake/x into the local folder s3a:/lake/x
        roster_out: Annotated[str | None, typer.Option(help="opt_round_roster_out")] = None,
        roster_replace: Annotated[bool, typer.Option("--roster-replace", help="opt_round_roster_replace")] = False,
        map_: Annotated[list[str] | None, typer.Option("--map", help="opt_round_map")] = None,
    ) -> None:
        """Rank every customer by the standard at a cutoff; store the roster as a new round."""
        import pandas as pd

        from xuanba.cli._common import ui_lang
        from xuanba.cli.ingest import _mapping
        from xuanba.errors import InputError, Phrase
        from xuanba.outputs.exports import (
            criterion_columns,
            roster_for_people,
            roster_table_name,
            selection_file_note,
        )
        from xuanba.rounds import replay_rounds, run_round
        from xuanba.rounds.run import read_fields_file
        from xuanba.tables import write_table

        unit = time_unit(unit, period)
        extra = read_fields_file(fields_file) if fields_file is not None else None
        replay = every is not None or from_ is not None or to is not None
        if replay and (every is None or from_ is None or to is None):
            raise InputError(Phrase("err_replay_needs"), fix=Phrase("err_replay_needs_fix"))
        if not replay and cutoff is None:
            raise InputError(Phrase("err_round_needs_cutoff"), fix=Phrase("err_round_needs_cutoff_fix"))
        mapping = _mapping(map_)  # a --source's headers, as ingest's --map
        if mapping and source is None:  # a workspace's transactions were mapped when ingested
            raise InputError(Phrase("err_round_map_needs_source"), fix=Phrase("err_round_map_needs_source_fix"))
        on_engine = engine != "duckdb" or source is not None or bool(spark_conf) or roster_out is not None
        with progress_status(quiet=as_json) as progress:
            if on_engine and replay:
                from xuanba.rounds.replay import replay_rounds_on_engine

                with _engine_source(engine, source, spark_conf or [], roster_out, mapping) as tx:
                    rep = replay_rounds_on_engine(tx, standard, from_, to, every=every, time_unit=unit,  # type: ignore[arg-type]
                                                  workspace=workspace if store else None, roster_out=roster_out,
                                                  roster_replace=roster_replace, side_tables=workspace,
                                                  progress=progress, extra_fields=extra, mapping=mapping)
            elif on_engine:
                rnd = _engine_round(engine, source, spark_conf or [], standard, cutoff, unit, name,  # type: ignore[arg-type]
                                    workspace if store else None, roster_out, progress, side_tables=workspace,
                                    extra=extra, roster_replace=roster_replace, mapping=mapping)
            elif replay:
                rep = replay_rounds(workspace, standard, from_, to, every=every, time_unit=unit,  # type: ignore[arg-type]
                                    extra_fields=extra, store=store, progress=progress)
            else:
                rnd = run_round(workspace, standard, cutoff, time_unit=unit, extra_fields=extra,  # type: ignore[arg-type]
                                name=name, store=store, progress=progress)
        if replay:
            written = str(write_table(roster_for_people(rep.rounds[-1]), out, sheet="roster", lang=lang,
                                          columns=criterion_columns(rep.rounds[-1].standard))) if out is not None else None
            notes = [say(k) for k in rep.notes]  # what the summary leaves unsaid, and why
            if as_json:
                emit_json({"rounds": rep.summary.to_dict("records"), "out": written, "notes": notes})
                return
            grid = Table(title=say("cli_replay_title", every=every, start=from_, end=to))
            for col in rep.summary.columns:
                grid.add_column(label(col), justify="left" if col == "cutoff" else "right")
            for row in rep.summary.itertuples(index=False):
                grid.add_row(*("" if v is None or v is pd.NA else _fmt(v) for v in row))
            console.print(grid)
            for note in notes:
                console.print(note, markup=False)
            if written:
                console.print(say("cli_replay_written", path=written))
            return
        written = str(write_table(roster_for_people(rnd), out, sheet=roster_table_name(rnd.meta), lang=lang,
                                  columns=criterion_columns(rnd.standard))) if out is not None else None
        if as_json:
            emit_json(_summary(rnd, written))
            return
        _print_round(rnd, top)
        if written:
            console.print(say("cli_roster_written", path=written))
            note = selection_file_note(rnd.meta, rnd.round_id, ui_lang(),  # an engine round's file: its selection
                                       selected=lambda: rnd.roster[["customer_id", "rank", "score"]])
            if note:
                console.print(note, markup=False)

    @app.command("rounds", help=cmd_help("rounds"))
    @handle_errors
    def rounds(
        round_id: Annotated[str | None, typer.Argument(help="opt_rounds_round_id")] = None,
        top: Annotated[int, typer.Option(help="opt_top")] = 10,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """List the stored rounds, or re-open one (and export its roster with --out)."""
        from xuanba.cli._common import ui_lang
        from xuanba.outputs.exports import (
            criterion_columns,
            roster_for_people,
            roster_table_name,
            selection_file_note,
        )
        from xuanba.outputs.people import OWNER_ALIASES, PERSON_FIELDS
        from xuanba.rounds import list_rounds, load_round
        from xuanba.tables import write_table

        if round_id is None:
            table = list_rounds(workspace)
            if as_json:
                emit_json(table.to_dict("records"))
                return
            if table.empty:
                console.print(say("cli_no_rounds"))
                return
            grid = Table(title=say("cli_rounds"))
            cols = ["round_id", "cutoff", "name", "standard_version", "n_customers", "n_selected"]
            for c in cols:
                grid.add_column(label(c))
            for row in table[cols].itertuples(index=False):
                grid.add_row(*(_fmt(v) for v in row))
            console.print(grid)
            return
        rnd = load_round(workspace, round_id, fields=(*PERSON_FIELDS, *OWNER_ALIASES) if out is not None else False)
        written = str(write_table(roster_for_people(rnd), out, sheet=roster_table_name(rnd.meta), lang=lang,
                                  columns=criterion_columns(rnd.standard))) if out is not None else None
        if as_json:
            emit_json(_summary(rnd, written))
            return
        _print_round(rnd, top)
        if written:
            console.print(say("cli_roster_written", path=written))
            note = selection_file_note(rnd.meta, rnd.round_id, ui_lang(),  # an engine round's file: its selection
                                       selected=lambda: rnd.roster[["customer_id", "rank", "score"]])
            if note:
                console.print(note, markup=False)

    @app.command("diff", help=cmd_help("diff"))
    @handle_errors
    def diff(
        round_a: Annotated[str, typer.Argument(help="opt_diff_round_a")] = "previous",
        round_b: Annotated[str, typer.Argument(help="opt_diff_round_b")] = "latest",
        show: Annotated[int, typer.Option(help="opt_diff_show")] = 10,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Who entered and left the selection, who rose and fell, the tier migration matrix."""
        from xuanba.rounds import diff_rounds
        from xuanba.tables import write_table

        d = diff_rounds(workspace, round_a, round_b)
        written = None
        if out is not None:  # a table people open: who each customer is, as the later round stored it
            from xuanba.outputs.people import OWNER_ALIASES, PERSON_FIELDS, People, with_people
            from xuanba.rounds import load_round

            later = load_round(workspace, d.b, fields=(*PERSON_FIELDS, *OWNER_ALIASES), contributions=False)
            written = str(write_table(with_people(d.changes, People.of(later.fields)), out, sheet="changes", lang=lang))
        if as_json:
            migration = {str(k): {str(c): int(v) for c, v in row.items()} for k, row in d.migration.iterrows()}
            emit_json({**d.summary, "migration": migration, "out": written})
            return
        s = d.summary
        head = Table(title=say("cli_diff_title", a=d.a, ca=s["cutoff_a"], b=d.b, cb=s["cutoff_b"]), show_header=False)
        head.add_column(style="bold")
        head.add_column(justify="right")
        for key in ("selected_a", "selected_b", "kept", "entered", "left", "rose", "fell", "same",
                    "selection_overlap", "rank_correlation", "same_standard"):
            head.add_row(label(key), _fmt(s[key]))
        console.print(head)
        if s.get("selection_only"):  # an engine round's selection alone: the diff left who else moved unsaid
            console.print(say("engine_why", engine=str(s.get("engine") or "an engine")), style="yellow")
        def plain(value: object) -> str:  # a tier name or id, on one line
            return shown(value, quoted=False)

        if not d.migration.empty:
            mig = Table(title=say("cli_migration"))
            mig.add_column("")
            for c in d.migration.columns:
                mig.add_column(plain(c), justify="right")
            for k, row in d.migration.iterrows():
                mig.add_row(plain(k), *(_fmt(int(v)) for v in row))
            console.print(mig)
        for status in ("entered", "left"):
            rows = d.changes.loc[d.changes["status"] == status].head(show)
            if len(rows):
                moved = (f"{plain(r.customer_id)} ({plain(r.tier_a)} → {plain(r.tier_b)})" for r in rows.itertuples(index=False))
                console.print(styled((f"{label(status)}: ", "bold"), ", ".join(moved)))
        if written:
            console.print(say("cli_changes_written", path=written))
