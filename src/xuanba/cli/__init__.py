"""The ``xuanba`` command: a thin shell over the library.

Each stage's commands live in a module of their own (``ingest``, ``facts``, ``models`` ...) and
register themselves on the one Typer app here.
"""

from __future__ import annotations

import typer

from xuanba.cli import accounts as _accounts
from xuanba.cli import card as _card
from xuanba.cli import demo as _demo
from xuanba.cli import evaluate as _evaluate
from xuanba.cli import facts as _facts
from xuanba.cli import ingest as _ingest
from xuanba.cli import models as _models
from xuanba.cli import report as _report
from xuanba.cli import rounds as _rounds
from xuanba.cli import standard as _standard
from xuanba.cli import workspace as _workspace

app = typer.Typer(
    name="xuanba",
    help="xuanba (选拔): select customers by one open standard, every round.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (_ingest, _facts, _models, _evaluate, _standard, _rounds, _report, _accounts, _demo, _workspace, _card):
    _module.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()


@app.command("version")
def version() -> None:
    """Print the xuanba version."""
    from xuanba import __version__

    typer.echo(__version__)
