"""``xuanba standard init|check|show``: write, validate and read a selection standard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    label,
    resolve_lang,
    say,
)

FileArg = Annotated[Path, typer.Argument(help="opt_standard_file")]


def register(app: typer.Typer) -> None:
    """Add the ``standard`` command group to the app."""
    group = typer.Typer(help=cmd_help("standard"), no_args_is_help=True)
    app.add_typer(group, name="standard")

    @group.command("init", help=cmd_help("standard_init"))
    @handle_errors
    def init(
        out: Annotated[Path, typer.Option("--out", "-o", help="opt_standard_init_out")] = Path("standard.toml"),
        lang: LangOpt = None,
        force: Annotated[bool, typer.Option(help="opt_standard_init_force")] = False,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Write a documented starter standard (value × potential) to edit."""
        from xuanba.standard import load_standard, write_starter

        lang = resolve_lang(lang)
        path = write_starter(out, lang, overwrite=force)
        std = load_standard(path)
        if as_json:
            emit_json({"written": str(path), "name": std.name, "version": std.version, "lang": lang,
                       "sha256": std.sha256})
            return
        console.print(say("cli_std_written", name=f"[bold]{escape(std.name)}[/]", version=escape(str(std.version)),
                          path=escape(str(path))), markup=True)
        console.print(say("cli_std_next", path=path))

    @group.command("check", help=cmd_help("standard_check"))
    @handle_errors
    def check(
        file: FileArg,
        field: Annotated[list[str] | None, typer.Option("--field", help="opt_standard_check_field")] = None,
        fields: Annotated[bool, typer.Option("--fields", help="opt_standard_check_fields")] = False,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Validate a standard: every problem with its line and a fix; exit code 2 when any."""
        from xuanba.errors import WorkspaceError
        from xuanba.rounds.run import customer_attributes
        from xuanba.standard import known_fields, load_standard
        from xuanba.standard.schema import near_misses

        try:  # the workspace's customers table's columns are known, as a round there knows them
            people = customer_attributes(workspace)
        except WorkspaceError:  # a workspace this check cannot read: the standard is checked without it
            people = []
        # without --field the extra fields a round will be given are not known: a name that is not
        # built in is one of them, listed (not a problem); with --field, exactly those are known
        std = load_standard(file, extra_fields=tuple(field or ()), any_extra=not field, attributes=tuple(people))
        needed = [n for n in std.extra_fields_needed() if n not in people]
        from_people = sorted((std.fields_used() & set(people)) - known_fields())
        near = near_misses(needed) if not field else {}
        shares = std.weight_shares
        summary = {
            "file": str(file), "ok": True, "name": std.name, "version": std.version, "sha256": std.sha256,
            "criteria": [{"name": c.name, "field": c.field, "normalise": c.normalise,
                          "share": shares[c.name], "group": c.group, "private": c.private} for c in std.criteria],
            "gates": [{"name": g.name, "expr": g.expr, "private": not std.is_public(g)} for g in std.gates],
            "tiers": [{"name": t.name, "min_score": t.min_score, "quota": t.quota} for t in std.tiers],
            "capacity": std.capacity.model_dump(exclude_none=True),
            "extra_fields_needed": needed, "did_you_mean": near, "customer_fields": from_people,
        }
        if near:  # a typo of a built-in field (or the same but for case) fails the check
            summary["ok"] = False
            summary["problems"] = [{"field": n, "did_you_mean": close,
                                    "message": say("cli_std_near_miss_bad", name=n, names=", ".join(close))}
                                   for n, close in near.items()]
        if fields:
            summary["known_fields"] = sorted(known_fields(tuple(field or ())))
        if as_json:
            emit_json(summary)
            if near:
                raise typer.Exit(2)
            return
        if near:
            for problem in summary["problems"]:
                console.print(f"[red]{escape(problem['message'])}[/]", markup=True)
            raise typer.Exit(2)
        console.print(f"[green]{say('cli_std_ok')}[/] {escape(str(file))}: [bold]{escape(std.name)}[/] v{escape(str(std.version))} (sha256 {std.sha256[:12]}…)", markup=True)
        grid = Table(title=say("cli_criteria"))
        for col in ("name", "field", "normalise", "share", "group", "private"):
            grid.add_column(label(col), justify="right" if col == "share" else "left")
        for c in std.criteria:
            grid.add_row(c.name, c.field, c.normalise, f"{shares[c.name]:.0%}", c.group, say("cli_yes") if c.private else "")
        console.print(grid)
        if std.gates:
            gates = Table(title=say("cli_gates"))
            gates.add_column(label("name"))
            gates.add_column(label("rule"))
            gates.add_column(label("private"))  # marked so, or reading a private criterion
            for g in std.gates:
                gates.add_row(g.name, g.expr, "" if std.is_public(g) else say("cli_yes"))
            console.print(gates)
        if std.tiers:
            tiers = Table(title=say("cli_tiers_best_first"))
            for col in ("name", "label", "min_score", "quota"):
                tiers.add_column(label(col))
            for t in std.tiers:
                tiers.add_row(t.name, t.label, "" if t.min_score is None else f"{t.min_score:g}",
                              "" if t.quota is None else str(t.quota))
            console.print(tiers)
        if from_people:
            console.print(say("cli_std_customer_fields", names=", ".join(from_people)), markup=False)
        if needed:
            console.print(say("cli_std_extra_needed", names=", ".join(needed)), markup=False)
            if not field:
                console.print(say("cli_std_check_with_field"), markup=False)
        if fields:
            console.print(say("cli_known_fields", fields=", ".join(summary["known_fields"])))

    @group.command("show", help=cmd_help("standard_show"))
    @handle_errors
    def show(
        file: FileArg,
        lang: Annotated[str | None, typer.Option(help="opt_standard_show_lang")] = None,
        public: Annotated[bool, typer.Option(help="opt_standard_show_public")] = False,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Print the standard in plain words, one sentence per line."""
        from xuanba.errors import InputError, Phrase
        from xuanba.standard import load_standard

        if lang not in (None, "en", "zh"):
            raise InputError(Phrase("err_option_unknown", option="--lang", value=repr(lang)), fix=Phrase("err_use_en_zh"))
        std = load_standard(file, any_extra=True)  # its extra fields come with a round
        lines = std.describe(lang, public=public)
        if as_json:
            emit_json({"name": std.name, "version": std.version, "sha256": std.sha256, "sentences": lines})
            return
        for line in lines:
            console.print(line, markup=False)
