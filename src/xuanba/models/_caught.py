"""What a round's fits warn, caught as data for that round whichever of its threads warns it.

Python 3.11's warnings filters belong to the process: while one thread is inside
``warnings.catch_warnings()`` with an "ignore" filter (pandas enters one around many casts, e.g.
``astype`` of floats to integers), a warning raised on another thread at that moment is dropped,
and a ``catch_warnings(record=True)`` list gathers every thread's warnings, a web request's or
another round's too. So a round's list of warnings cannot rest on the filters alone:

* NumPy's floating-point errors (an overflow, an invalid value: most of what a fit warns) never
  become Python warnings inside :func:`catching`: NumPy's error state (``np.errstate``, a context
  variable) is set to ``"log"`` where it was ``"warn"``, so NumPy hands each one, with the words
  it would have warned (``overflow encountered in exp``), to the round's list. The round's threads
  run in a copy of its context (:func:`xuanba.models.choose._submit`,
  :func:`xuanba.models._purchases.in_two_threads`), so their errors are logged there too, and no
  other thread's are. An installed library's code that silences its own errors by the filters
  (pandas' casts) is still heard as silenced (:func:`_silenced_by_library`); xuanba's never is.
* xuanba's own words (:func:`said`) go to the list of the caller's round as data.
* Other Python warnings (SciPy's) are shown to a hook that files each one under the round of the
  context it was raised in; another thread's are dealt with by the process's own filters, as
  without a round (ignored, raised, shown once), not by the rounds' "always": the filters it has
  at that moment (one set while a round runs too), matched as the interpreter matches them (its
  own ``default::DeprecationWarning:__main__`` holds a plain string; the module is the warning
  frame's ``__name__``). The hook and its "always" filter are the process's: installed by the
  first open catch and taken out by the last, whatever the order rounds on several threads leave
  in; a filter set meanwhile (an import's inside a round) stays where it was put, and so does a
  ``showwarning`` (``logging.captureWarnings(True)``), which may later put back the hook it found. A thread outside
  any round that enters its own ``catch_warnings()`` during a round puts back the hook and the
  filter it found when it leaves (Python 3.11 has no per-thread filters), after the round if it
  leaves later: both are then known for what they are (the hook deals with every warning by the
  process's own filters, the next round does not take them for the process's); NumPy's errors
  and xuanba's words never pass there.
* A user's own NumPy ``"call"`` or ``"log"`` mode (``np.seterrcall``) still reaches the user's object.

Example
-------
>>> import numpy as np
>>> with catching() as caught:
...     _ = np.exp(np.array([1000.0]))
...     said("no interval")
>>> sorted(f"{w.category.__name__}: {w.message}" for w in caught)
['RuntimeWarning: overflow encountered in exp', 'UserWarning: no interval']
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np

#: The list of the round whose fits run in this context (``None``: no round's).
_CAUGHT: ContextVar[list[Any] | None] = ContextVar("xuanba_caught_warnings", default=None)


#: The words NumPy's ``"log"`` mode begins with, by the error state's name of the error.
_NUMPY_WORDS = {"divide": "divide by zero", "over": "overflow", "under": "underflow", "invalid": "invalid value"}


class _NumpyLog:
    """Where NumPy's ``"log"`` error mode writes (``Warning: <what> encountered in <where>``) and its
    ``"call"`` mode calls: the errors :func:`catching` turned from ``"warn"`` to ``"log"`` (``ours``)
    go to the round's list; a user's own ``np.seterr(..., "log"/"call")`` with ``np.seterrcall``
    still reaches the user's object (``before``), as without a round."""

    def __init__(self, caught: list[Any], ours: Iterable[str] = (), before: Any = None) -> None:
        self.caught, self.before = caught, before
        self.ours = tuple(_NUMPY_WORDS[kind] for kind in ours if kind in _NUMPY_WORDS)

    def write(self, text: str) -> None:
        words = str(text).strip().removeprefix("Warning: ")
        if not words.startswith(self.ours) and hasattr(self.before, "write"):
            self.before.write(text)  # the user's own "log" of this error, not the round's
            return
        if _silenced_by_library(words):
            return
        self.caught.append(warnings.WarningMessage(RuntimeWarning(words), RuntimeWarning, "numpy", 0))

    def __call__(self, kind: str, flag: int) -> Any:
        if not callable(self.before):  # as NumPy says of a "call" mode with nothing to call
            raise ValueError(f"floating-point error ({kind}) in 'call' mode with no callable set by np.seterrcall")
        return self.before(kind, flag)


#: Where installed libraries live: their code silences some of NumPy's errors by the filters.
_LIBRARIES = tuple(sorted({os.path.join(os.path.abspath(p), "") for p in
                           (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}))


def _silenced_by_library(words: str) -> bool:
    """Whether an installed library's code made this NumPy error in a block where the filters
    ignore it: pandas wraps its casts in ``catch_warnings()`` with ``filterwarnings("ignore",
    category=RuntimeWarning)`` ("overflow encountered in cast" of a downcast it then checks), which
    a ``"log"`` mode would not hear. Only such code: an error made by xuanba's own code (a fit's
    overflow) is the round's whatever filters another thread has set meanwhile."""
    frame = sys._getframe(2)  # the code that called NumPy (past this module's own frames)
    while frame is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] == "numpy":
        frame = frame.f_back
    module = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
    if (frame is None or module.split(".")[0] == "xuanba"  # xuanba's own, wherever it is installed
            or not os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARIES)):
        return False
    return _action(warnings.filters, words, RuntimeWarning, lambda: module, frame.f_lineno) == "ignore"


#: The process's warnings filters as the first open :func:`catching` found them, and how many are
#: open (on any thread): they are the process's, so the rounds of several threads share one
#: "always" filter and one hook (a :class:`_Hook`), taken out when the last of them leaves, in
#: whatever order they leave (``catch_warnings`` per round put back what the round found, so a
#: round leaving before another's end took the other's hook away and left its own for good).
_SHARED: dict[str, Any] = {"open": 0, "filters": None}

#: The rounds' "always" filter: one tuple of its own, known by identity (``simplefilter`` would
#: take out a user's equal one). A thread of no round that entered ``catch_warnings()`` during a
#: round and leaves after it puts this filter and the rounds' hook back; they are then known for
#: what they are and left out, whenever they are met (not taken for the process's own).
_OURS = ("always", None, Warning, None, 0)
_LOCK = threading.Lock()


#: What a thread of no round's was shown once under a "default", "module" or "once" filter while
#: rounds were open (those filters' registries, which the rounds' "always" filter bypasses).
_SHOWN: set[tuple[Any, ...]] = set()


def _module_of(filename: str, lineno: int = 0) -> str:
    """The name of the module that warned from ``filename`` at ``lineno`` (what a filter's module
    pattern is matched with), as ``warnings.warn`` takes it: the ``__name__`` of the globals of the
    frame that warned, found on this thread's stack (``__main__`` for a notebook's cell or ``python
    -c``, whose file is no module's); else the loaded module whose file is ``filename``; else the
    file's name less ``.py``, as ``warn_explicit`` does."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == filename and frame.f_lineno == lineno:
            name = frame.f_globals.get("__name__")
            return name if isinstance(name, str) else "<string>"
        frame = frame.f_back
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return filename[:-3] if filename.lower().endswith(".py") else filename


def _matched(pattern: Any, text: str) -> bool:
    """Whether a filter's message or module ``pattern`` matches ``text`` as the interpreter matches
    it: ``None`` every text, a plain string only the very text (its own default filter
    ``default::DeprecationWarning:__main__`` holds ``"__main__"``, not a pattern), a compiled
    pattern by ``match``.

    Example
    -------
    >>> import re
    >>> _matched("__main__", "__main__"), _matched("__main__", "__main__x"), _matched(re.compile("ib"), "ibis")
    (True, False, True)
    """
    if pattern is None:
        return True
    if isinstance(pattern, str):
        return pattern == text
    return bool(pattern.match(text))


def _action(filters: Any, text: str, category: type[Warning], module_of: Any, lineno: int) -> str:
    """What ``filters`` (a list as ``warnings.filters``) do with this warning; ``module_of()``
    names the warning's module, asked only when a filter names one."""
    module = None
    for action, message, kind, where, line in filters or ():
        if where is not None and module is None:
            module = module_of()
        if (_matched(message, text) and issubclass(category, kind)
                and _matched(where, module) and line in (0, lineno)):
            return action
    return warnings.defaultaction


class _Hook:
    """The process's ``showwarning`` while a round catches: the raising thread's round files the
    warning (this round's or another's); a thread of no round's is dealt with by the process's
    own filters, as without a round (ignored, raised, shown once or always), not by the rounds'
    "always", and then shown to ``found``, the ``showwarning`` this hook replaced. One per install:
    whoever replaced a hook during a round and puts it back later (``logging.captureWarnings``
    on, then off) gets the one that hands warnings where they went before."""

    def __init__(self, found: Any) -> None:
        self.found = found

    def __call__(self, message: Any, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
        mine = _CAUGHT.get()
        if mine is not None:
            mine.append(warnings.WarningMessage(message, category, filename, lineno, file, line))
            return
        text, now = str(message), list(warnings.filters)
        # the process's own filters: those it has now (one set meanwhile too), less the rounds' "always"
        own = [f for f in now if f is not _OURS]
        action = _action(own, text, category, lambda: _module_of(filename, lineno), lineno)
        if action == "ignore":
            return
        if action == "error":  # raised where the warning was made, as the "error" filter does
            raise message if isinstance(message, Warning) else category(text)
        key = {"once": (text, category), "module": (text, category, filename),
               "default": (text, category, filename, lineno)}.get(action)
        if key is not None and len(own) < len(now):  # else Python's registries did, as without a round
            with _LOCK:
                if key in _SHOWN:
                    return
                _SHOWN.add(key)
        show = self.found or warnings._showwarning_orig  # type: ignore[attr-defined]
        show(message, category, filename, lineno, file, line)


@contextlib.contextmanager
def _hooked() -> Iterator[None]:
    """The "always" filter and a :class:`_Hook` installed while any round's :func:`catching` is open;
    the last to close takes out the hook if it is still in place, not what replaced it meanwhile."""
    with _LOCK:
        if _SHARED["open"] == 0:
            # as found, less what a thread that caught warnings during an earlier round put back
            found = [f for f in warnings.filters if f is not _OURS]
            _SHARED["filters"] = warnings.filters if len(found) == len(warnings.filters) else found
            warnings.filters = [_OURS, *found]
            warnings._filters_mutated()  # type: ignore[attr-defined]
            now = warnings.showwarning  # a hook put back after the rounds stands for what it found
            warnings.showwarning = _Hook(now.found if isinstance(now, _Hook) else now)
        _SHARED["open"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _SHARED["open"] -= 1
            if _SHARED["open"] == 0:
                # the filters as found, with any set meanwhile (an import's inside a round, another
                # thread's) kept where they were put: only the rounds' "always" taken out
                kept = [f for f in warnings.filters if f is not _OURS]
                warnings.filters = _SHARED["filters"] if kept == _SHARED["filters"] else kept
                if isinstance(warnings.showwarning, _Hook):  # else replaced meanwhile: theirs stays
                    warnings.showwarning = warnings.showwarning.found
                warnings._filters_mutated()  # type: ignore[attr-defined]
                _SHARED["filters"] = None
                _SHOWN.clear()


@contextlib.contextmanager
def catching() -> Iterator[list[Any]]:
    """A list that receives what the code of this block warns, on this thread and on the threads
    it runs in a copy of this context (see the module docstring): ``warnings.WarningMessage``
    items, as ``catch_warnings(record=True)`` gives them."""
    caught: list[Any] = []
    token = _CAUGHT.set(caught)
    logged = {kind: "log" for kind, mode in np.geterr().items() if mode == "warn"}
    try:
        with _hooked(), np.errstate(**logged, call=_NumpyLog(caught, logged, np.geterrcall())):
            yield caught
    finally:
        _CAUGHT.reset(token)


def said(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn ``message`` (xuanba's own words): into the caller's round's list when a round catches
    them (:func:`catching`), as data whatever the filters are; else as a Python warning."""
    mine = _CAUGHT.get()
    if mine is None:
        warnings.warn(message, category, stacklevel=3)
    else:
        mine.append(warnings.WarningMessage(category(message), category, __file__, 0))
