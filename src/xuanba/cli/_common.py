"""What every command shares: the workspace option, ``--json`` output, the language and error
handling.

Commands are thin shells: parse options, call one library function, print. A
:class:`~xuanba.errors.XuanbaError` becomes a clean message and its exit code; anything else
is a bug and keeps its traceback. Nothing heavy (DuckDB, pandas, numpy) is imported here: the
commands import what they use, so ``xuanba --help`` starts quickly.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import inspect
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_origin

import typer
from rich.console import Console
from rich.markup import escape

from xuanba._files import DEFAULT_PATH
from xuanba.errors import InputError, Phrase, WorkspaceError, XuanbaError, shown
from xuanba.i18n import LANGS, check_lang, default_lang, has, t

if TYPE_CHECKING:
    from xuanba._dates import TimeUnit

__all__ = ["DEFAULT_PATH"]  # re-exported: the commands' default --workspace


class _Console(Console):
    """A console whose text (a line printed, a table's cell or title) reaches the terminal without
    a character it would act on (an escape, a carriage return, a right-to-left override: written
    as their escapes, :func:`xuanba.errors.shown`), whichever value of the data a line holds;
    line breaks and tabs of xuanba's own lines stay. A value that may hold a line break is shown
    by the line that prints it (``shown(value)``)."""

    def render_str(self, text: str, **kwargs: Any) -> Any:  # Rich's one way from text to a Text
        return super().render_str(_line(text), **kwargs)


def styled(*parts: str | tuple[str, str], style: str = "") -> Any:
    r"""A styled line or table cell (Rich's ``Text``) from words and values, each part, plain or
    ``(text, style)``, shown as the console shows a line (:func:`xuanba.errors.shown`): a ``Text``
    goes past the console's :meth:`_Console.render_str`, so every one is made here.

    Example
    -------
    >>> styled("tier: ", ("A\x1b[2J", "bold"), style="dim").plain
    'tier: A\\x1b[2J'
    """
    from rich.text import Text

    return Text.assemble(*((_line(p), "") if isinstance(p, str) else (_line(p[0]), p[1]) for p in parts),
                         style=style)


def _line(text: str) -> str:
    return shown(text, quoted=False, keep="\n\t")


# Markup and emoji codes are off: ids, names and messages from the data print as written ("[/x]"
# is a customer id, not a closing tag; ":smile:" one, not 😄, which another id may be); the few
# styled words of xuanba's own say markup=True and escape data.
console = _Console(highlight=False, markup=False, emoji=False)
err_console = _Console(stderr=True, highlight=False, markup=False, emoji=False)

F = TypeVar("F", bound=Callable[..., Any])

def lang_in_argv(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in a command line (``--lang zh`` or ``--lang=zh``), read before the
    command line is parsed so that the help is built in that language; ``None`` when absent or not
    a known language (the parser then reports it).

    Example
    -------
    >>> lang_in_argv(["report", "latest", "--lang", "zh"]), lang_in_argv(["--help"])
    ('zh', None)
    """
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg[7:] if arg.startswith("--lang=") else None
        if value in LANGS:
            return value
    return None


# An option's help is the key of its phrase in :mod:`xuanba.i18n` (``opt_*``), put in the language of
# the app when the command is declared (:func:`handle_errors`), so one process can build the app in
# both languages.
WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="opt_workspace", envvar="XUANBA_WORKSPACE"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="opt_json")]
#: ``--lang`` of a command: the language of its messages and of what it writes.
LangOpt = Annotated[str | None, typer.Option("--lang", help="opt_lang")]
#: The time unit, spelled ``--unit`` by every command.
UnitOpt = Annotated[str, typer.Option("--unit", help="opt_unit")]
#: ``--period``, the old spelling of ``--unit`` on some commands: hidden, kept so scripts work.
PeriodOpt = Annotated[str | None, typer.Option("--period", hidden=True, help="opt_period")]


def time_unit(unit: str, period: str | None = None) -> TimeUnit:
    """The checked time unit of ``--unit`` (or of the deprecated ``--period``, with a note on
    stderr); :class:`~xuanba.errors.InputError` for an unknown unit or two different ones.

    Example
    -------
    >>> time_unit("month")
    'month'
    """
    from xuanba._dates import check_unit

    if period is not None:
        err_console.print(f"[yellow]{t('cli_note', ui_lang())}[/] {t('cli_period_deprecated', ui_lang())}", markup=True)
        if unit not in ("week", period):
            raise InputError(Phrase("err_unit_period", unit=repr(unit), period=repr(period)),
                             fix=Phrase("err_unit_period_fix"))
        return check_unit(period, "--period")
    return check_unit(unit, "--unit")


def parse_date(value: str | None, flag: str) -> dt.date | None:
    """The date a ``--flag YYYY-MM-DD`` option gives (``None`` stays ``None``), or a clear error."""
    from xuanba._dates import as_date

    return None if value is None else as_date(value, flag)


def emit_json(payload: Any) -> None:
    """Write one strict JSON document to stdout: :func:`json_safe` of ``payload``, then
    ``json.dumps(..., allow_nan=False)`` (a NaN that slipped through is a bug, not output)."""
    text = json.dumps(json_safe(payload), ensure_ascii=False, allow_nan=False, indent=2)
    sys.stdout.write(_NON_ASCII.sub(_json_escape, text) + "\n")


#: A character past ASCII's printable ones; JSON escapes the controls below them itself.
_NON_ASCII = re.compile("[^\x00-\x7e]")


def _json_escape(match: re.Match[str]) -> str:
    """A character of a JSON document as it is (Chinese, emoji), or as its JSON escape where
    :func:`xuanba.errors.shown` would escape it (a right-to-left override, a C1 control, the lone
    surrogate of a file name's undecodable byte, which the terminal's UTF-8 cannot even write)."""
    ch = match.group()
    return ch if shown(ch) == ch else json.dumps(ch)[1:-1]


#: The types :func:`json_safe` gives back as they are.
_AS_IS = frozenset({str, bool, int, type(None)})


def json_safe(value: Any) -> Any:
    """``value`` made of JSON types only: missing values (NaN, NaT, pandas NA, None) and
    infinities become ``None``; dates ISO text; numpy numbers and arrays Python numbers and
    lists; tables (DataFrame, Series) records and dicts; anything else its text.

    Example
    -------
    >>> json_safe({"a": float("nan"), "b": [1.5, float("inf")], "c": dt.date(2026, 6, 30)})
    {'a': None, 'b': [1.5, None], 'c': '2026-06-30'}
    """
    kind = type(value)
    if kind in _AS_IS:  # the plain values first: an API page is hundreds of them
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {k if type(k) is str else str(json_safe(k)): v if type(v) in _AS_IS else json_safe(v)
                for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _AS_IS else json_safe(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(json_safe(k)) if not isinstance(k, str) else k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    pd = sys.modules.get("pandas")  # only when loaded: a pandas value cannot exist otherwise
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            return [json_safe(r) for r in value.to_dict(orient="records")]
        if isinstance(value, pd.Series | pd.Index):
            return json_safe(value.tolist())
        if value is pd.NaT or value is pd.NA:
            return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            return json_safe(value.tolist())
        if isinstance(value, np.datetime64 | np.timedelta64):
            return None if np.isnat(value) else str(value)
        if isinstance(value, np.generic):
            return json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # a zero-dimensional array-like
        return json_safe(value.item())
    if isinstance(value, numbers.Real):  # Decimal and other numbers: a float, or null when not finite
        return json_safe(float(value))
    return str(value)


def handle_errors(func: F) -> F:
    """Turn XuanbaError into a message on stderr (or JSON with --json) and its exit code; a full
    disk, a damaged workspace or a lock met outside the workspace's methods becomes a WorkspaceError.
    A workspace file that the failed command created and left without data is removed
    (:func:`xuanba.workspace.remove_if_empty`).

    A command without a ``lang`` parameter of its own gets ``--lang`` here, so that every
    command takes it (``xuanba rounds --lang zh`` as well as ``xuanba --lang zh rounds``); it
    sets the language of the command's messages. A command with its own ``lang`` receives it
    resolved (its ``--lang``, else this run's language), so it never decides a default itself."""
    own_lang = "lang" in inspect.signature(func).parameters

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = None if own_lang else kwargs.pop("lang", None)
        ws = kwargs.get("workspace")
        fresh = ws is not None and not _exists(ws)
        before = _session["lang"]  # a command's --lang holds for that command only
        try:
            if own_lang:  # the command's --lang, else this run's language, decided here once
                kwargs["lang"] = resolve_lang(kwargs.get("lang"))
            elif lang is not None:
                set_session_lang(lang)
            return func(*args, **kwargs)
        except BaseException as exc:
            if fresh and not (isinstance(exc, typer.Exit) and exc.exit_code == 0):
                from xuanba.workspace import remove_if_empty

                remove_if_empty(ws)
            if isinstance(exc, XuanbaError):
                _report(exc, kwargs)
            duckdb = sys.modules.get("duckdb")  # a DuckDB error needs DuckDB loaded
            if duckdb is not None and isinstance(exc, duckdb.Error):
                # A query run outside the Workspace methods (an Ibis expression): a full disk, a
                # damaged file or a lock is the workspace's fault, anything else a bug.
                from xuanba.workspace import workspace_fault

                mapped = workspace_fault(exc, str(ws or DEFAULT_PATH))
            elif isinstance(exc, OSError):
                mapped = _output_fault(exc)
            else:
                raise
            if mapped is None:
                raise
            _report(mapped, kwargs)
        finally:
            _session["lang"] = before

    # Declare the options to Typer now, as Typer reads them (annotations evaluated), with their help
    # in the language the app is being built in; a command without its own --lang gets the shared one.
    sig = inspect.signature(func, eval_str=True)
    params = list(sig.parameters.values())
    if not own_lang:
        params.append(inspect.Parameter("lang", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=LangOpt))
        wrapper.__annotations__ = {**func.__annotations__, "lang": LangOpt}
    wrapper.__signature__ = sig.replace(parameters=[_in_words(p) for p in params])  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _help_words(info: Any) -> Any:
    """A copy of a Typer option or argument whose help is a phrase key (``opt_*``), with the phrase in
    the language of the app being built; anything else as it is."""
    from copy import copy

    from typer.models import ParameterInfo

    if isinstance(info, ParameterInfo) and isinstance(info.help, str) and info.help.startswith("opt_") and has(info.help):
        info = copy(info)
        info.help = t(info.help, _help["lang"])
    return info


def _in_words(param: inspect.Parameter) -> inspect.Parameter:
    """``param`` with the help of its Typer option (in ``Annotated`` or as the default) in words."""
    ann = param.annotation
    if get_origin(ann) is Annotated:
        ann = Annotated[(ann.__origin__, *(_help_words(m) for m in ann.__metadata__))]  # type: ignore[valid-type]
    return param.replace(annotation=ann, default=_help_words(param.default))


def _exists(path: Any) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return True  # cannot tell: leave whatever is there alone


def _output_fault(exc: OSError) -> WorkspaceError | None:
    """A full disk while writing a file other than the workspace (an output, written atomically
    by :mod:`xuanba._files`, or a temporary copy)."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    if exc.filename:
        name = shown(exc.filename)
        what, fix = Phrase("err_disk_file_not_written", file=name), Phrase("err_disk_full_at_fix", file=name)
    else:
        what, fix = Phrase("err_disk_a_file"), Phrase("err_disk_full_fix")
    return WorkspaceError(Phrase("err_disk_full", what=what), fix=fix)


def _report(exc: XuanbaError, kwargs: dict[str, Any]) -> None:
    """Print an error (JSON with --json) and exit with its code."""
    if kwargs.get("as_json"):
        emit_json(exc.to_dict())
    else:
        err_console.print(f"[bold red]{t('cli_error', ui_lang())}[/] {escape(exc.render(ui_lang()))}", markup=True,
                          soft_wrap=True)
    raise typer.Exit(exc.exit_code) from None


# -- the language of messages and help -------------------------------------------------------------

#: The language chosen for this run by ``xuanba --lang`` (the app's callback sets it); ``None``:
#: the locale decides.
_session: dict[str, str | None] = {"lang": None}


def set_session_lang(lang: str | None) -> None:
    """Fix the language of this run's messages (``xuanba --lang``); ``None`` gives it back to the locale."""
    _session["lang"] = None if lang is None else check_lang(lang)


def ui_lang() -> str:
    """The language of the messages: ``xuanba --lang``, else the locale (:func:`~xuanba.i18n.default_lang`)."""
    return _session["lang"] or default_lang()


def resolve_lang(lang: str | None) -> str:
    """A command's ``--lang`` checked (its messages follow it too), or :func:`ui_lang` when it was
    not given: the one default of every command (report, statements, sheet, demo, standard init).

    Example
    -------
    >>> resolve_lang("zh"), ui_lang()
    ('zh', 'zh')
    >>> set_session_lang(None)  # back to the locale
    """
    if lang is None:
        return ui_lang()
    set_session_lang(lang)
    return lang


#: The language the help texts are built in (set by :func:`xuanba.cli.make_app` before the
#: commands register: Typer's help is fixed when a command is declared).
_help: dict[str, str] = {"lang": lang_in_argv(sys.argv[1:]) or default_lang()}


def set_help_lang(lang: str) -> str:
    """Build the commands declared from now on with help in ``lang``; returns the language before."""
    before, _help["lang"] = _help["lang"], check_lang(lang)
    return before


def cmd_help(name: str) -> str:
    """The help of command ``name`` (the ``help_<name>`` phrase of :mod:`xuanba.i18n`) in the
    language the app is being built in.

    Example
    -------
    >>> before = set_help_lang("en")
    >>> cmd_help("version")
    'Print the xuanba version.'
    >>> _ = set_help_lang(before)
    """
    return t(f"help_{name.replace('-', '_')}", _help["lang"])


def label(key: str, **kw: Any) -> str:
    """The words for a summary key (a key of the ``--json`` output, ``cli_key_<key>`` in
    :mod:`xuanba.i18n`) in this run's language; the key itself, spaced, when it has none.

    Example
    -------
    >>> label("rank_correlation"), label("no_such_key")
    ('rank correlation', 'no such key')
    """
    name = f"cli_key_{key}"
    return t(name, ui_lang(), **kw) if has(name) else key.replace("_", " ")


def say(key: str, **kw: Any) -> str:
    """The message ``key`` of :mod:`xuanba.i18n` in this run's language (:func:`ui_lang`); a text or
    path among its values (a file, a name from the data) as :func:`xuanba.errors.shown` shows it."""
    return t(key, ui_lang(), **{k: shown(os.fspath(v)) if isinstance(v, str | os.PathLike) else v for k, v in kw.items()})


@contextmanager
def progress_status(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner on the console for a long command, and the callback that names its current
    step (silent with ``quiet``, e.g. under ``--json``).

    Example
    -------
    >>> with progress_status(quiet=True) as progress:
    ...     progress("facts")
    """
    with console.status("starting…", spinner="dots") as status:

        def progress(step: str) -> None:
            if not quiet:
                status.update(f"{step}…")

        yield progress
