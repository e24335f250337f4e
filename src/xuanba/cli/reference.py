"""The command-line reference, ``docs/cli.md``, written from the commands themselves: the same
usage lines, help texts, options and defaults that ``--help`` prints, as Markdown.

One command regenerates it (after any change of a command or an option); a test fails while the
file is stale::

    python -m xuanba.cli.reference            # rewrite docs/cli.md
    python -m xuanba.cli.reference --check    # exit 1 when docs/cli.md differs

Example
-------
>>> text = reference()
>>> text.startswith("# Command-line reference") and "## xuanba ingest" in text
True
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: docs/cli.md of the source tree (src/xuanba/cli/reference.py → the repository's root)
DEFAULT_PATH = Path(__file__).resolve().parents[3] / "docs" / "cli.md"

_HEADER = """# Command-line reference

Every command of `xuanba`, with its options, as `xuanba COMMAND --help` prints them.
This page is generated: after changing a command or an option, run
`python -m xuanba.cli.reference` (a test fails while it is stale).
"""


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# Typer carries its own copy of Click, so commands and parameters are told apart by what they
# have (``list_commands``, ``param_type_name``), not by Click's classes.
def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "list_commands")


def _commands(cmd: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    yield cmd, ctx
    if _is_group(cmd):
        for name in sorted(cmd.list_commands(ctx)):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, sub.context_class(sub, info_name=name, parent=ctx))


def _default(param: Any) -> str:
    value = param.default
    if value is None or value is False or callable(value) or getattr(param, "is_flag", False):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) if value else ""
    return f"`{value}`"


def _params(cmd: Any) -> list[str]:
    rows = []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        if p.param_type_name == "option":
            if p.name == "help":
                continue
            names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            env = f" (environment: `{p.envvar}`)" if p.envvar and getattr(p, "show_envvar", False) else ""
            rows.append(f"| {names} | {_cell(p.help or '')}{env} | {_default(p)} |")
        else:
            need = "required" if p.required else "optional"
            rows.append(f"| `{(p.metavar or p.name or '').upper()}` | {_cell(getattr(p, 'help', '') or '')} ({need}) | {_default(p)} |")
    if not rows:
        return []
    return ["| argument or option | meaning | default |", "| --- | --- | --- |", *rows, ""]


def reference() -> str:
    """``docs/cli.md`` as it should read now (in English, whatever the locale)."""
    import typer

    from xuanba.cli import make_app

    root = typer.main.get_command(make_app("en"))
    out = [_HEADER]
    for cmd, ctx in _commands(root, root.context_class(root, info_name="xuanba")):
        path = ctx.command_path
        out.append(f"## {path}\n")
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        out.append(f"```\n{path} {usage}\n```\n".replace(f"{path} \n", f"{path}\n"))
        text = inspect.cleandoc(cmd.help or "")
        if text:
            out.append(text.replace("\b\n", "") + "\n")
        if _is_group(cmd):
            subs = [(n, cmd.get_command(ctx, n)) for n in sorted(cmd.list_commands(ctx))]
            out.append("| command | what it does |\n| --- | --- |")
            out.extend(f"| `{n}` | {_cell(c.get_short_help_str(limit=100))} |" for n, c in subs if c and not c.hidden)
            out.append("")
        else:
            out.extend(_params(cmd))
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the reference (or, with ``--check``, say whether the file is current)."""
    parser = argparse.ArgumentParser(prog="python -m xuanba.cli.reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from the commands")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="the file (default docs/cli.md)")
    args = parser.parse_args(argv)
    text = reference()
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out.name} is stale: run python -m xuanba.cli.reference", file=sys.stderr)
            return 1
        return 0
    from xuanba._files import write_text_atomic

    write_text_atomic(args.out, text)
    print(f"wrote {args.out.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
