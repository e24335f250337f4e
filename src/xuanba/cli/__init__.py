"""The ``xuanba`` command: a thin shell over the library.

Each stage's commands live in a module of their own (``ingest``, ``facts``, ``models`` ...) and
register themselves on the one Typer app here. Importing this package loads no heavy library
(DuckDB, pandas, numpy, Plotly): each command imports what it uses, so ``xuanba --help`` and
``xuanba --version`` start quickly.

The language of messages and help is ``--lang`` (anywhere on the command line), else the
locale (:func:`xuanba.i18n.default_lang`). Typer's help is fixed when a command is declared, so
:func:`make_app` reads ``--lang`` from the command line before building the app (the shared
options' help, ``--workspace``, ``--json``, ``--lang``, follows the language of the first import).

Example
-------
>>> from typer.testing import CliRunner
>>> "选拔" in CliRunner().invoke(make_app("zh"), ["--help"]).output
True
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from xuanba.cli._common import cmd_help, lang_in_argv, set_help_lang, set_session_lang
from xuanba.i18n import LANGS, default_lang, t


def _print_version(value: bool) -> None:
    if value:
        from xuanba._version import __version__

        typer.echo(__version__)
        raise typer.Exit()


def make_app(lang: str | None = None) -> typer.Typer:
    """The ``xuanba`` Typer app with its help in ``lang`` (default: ``--lang`` on the command
    line, else the locale).

    Example
    -------
    >>> make_app("en").info.name
    'xuanba'
    """
    words = lang or lang_in_argv(sys.argv[1:]) or default_lang()
    before = set_help_lang(words)
    try:
        return _build(words)
    finally:
        set_help_lang(before)


def _build(words: str) -> typer.Typer:
    """The app, its commands declared while the help language is ``words``."""
    app = typer.Typer(
        name="xuanba",
        help=t("help_app", words),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _options(  # the defaults carry the help: an annotation cannot read _build's locals
        ctx: typer.Context,
        lang: str | None = typer.Option(None, "--lang", help=t("help_app_lang", words)),
        version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                     help=t("help_app_version", words)),
    ) -> None:
        if lang is not None and lang not in LANGS:
            raise typer.BadParameter(f"{lang!r} is not a language of xuanba: use zh or en", param_hint="--lang")
        set_session_lang(lang)
        ctx.call_on_close(lambda: set_session_lang(None))  # for this run only (tests run many in one process)

    from xuanba.cli import (
        accounts,
        card,
        demo,
        evaluate,
        facts,
        ingest,
        models,
        report,
        rounds,
        standard,
        web,
        workspace,
    )

    for module in (ingest, facts, models, evaluate, standard, rounds, report, accounts, demo, workspace, card, web):
        module.register(app)

    @app.command("version", help=cmd_help("version"))
    def version() -> None:
        from xuanba._version import __version__

        typer.echo(__version__)

    return app


def __getattr__(name: str) -> Any:
    """``app``: the app of this process's command line, built on first use (so that
    ``xuanba --version`` need not declare every command)."""
    if name != "app":
        raise AttributeError(f"module 'xuanba.cli' has no attribute {name!r}")
    built = globals()["app"] = make_app()
    return built


#: Typer's own words around a help text, and the phrases that say them in another language.
_CHROME = {"ARGUMENTS_PANEL_TITLE": "cli_help_arguments", "OPTIONS_PANEL_TITLE": "cli_help_options",
           "COMMANDS_PANEL_TITLE": "cli_help_commands", "DEFAULT_STRING": "cli_help_default",
           "ENVVAR_STRING": "cli_help_envvar", "REQUIRED_LONG_STRING": "cli_help_required"}


def _help_chrome(lang: str) -> None:
    """Put Typer's words around the help (panel titles, ``[default: …]``, ``[required]``) in
    ``lang``. Typer keeps them as settings of its module, so only the console script sets them,
    once for its process; an app built in a test keeps Typer's English."""
    if lang == "en":
        return
    from typer import rich_utils

    for name, key in _CHROME.items():
        setattr(rich_utils, name, t(key, lang))


def main() -> None:
    """Entry point of the console script."""
    if sys.argv[1:] in (["--version"], ["version"]):  # the version alone: no commands to declare
        from xuanba._version import __version__

        typer.echo(__version__)
        return
    _help_chrome(lang_in_argv(sys.argv[1:]) or default_lang())
    __getattr__("app")()
