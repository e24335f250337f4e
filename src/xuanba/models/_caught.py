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
  other thread's are.
* xuanba's own words (:func:`said`) go to the list of the caller's round as data.
* Other Python warnings (SciPy's) are shown to a hook that files each one under the round of the
  context it was raised in (another thread's go on to where they went before).

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
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np

#: The list of the round whose fits run in this context (``None``: no round's).
_CAUGHT: ContextVar[list[Any] | None] = ContextVar("xuanba_caught_warnings", default=None)


class _NumpyLog:
    """Where NumPy's ``"log"`` error mode writes (``Warning: <what> encountered in <where>``)."""

    def __init__(self, caught: list[Any]) -> None:
        self.caught = caught

    def write(self, text: str) -> None:
        words = str(text).strip().removeprefix("Warning: ")
        self.caught.append(warnings.WarningMessage(RuntimeWarning(words), RuntimeWarning, "numpy", 0))


@contextlib.contextmanager
def catching() -> Iterator[list[Any]]:
    """A list that receives what the code of this block warns, on this thread and on the threads
    it runs in a copy of this context (see the module docstring): ``warnings.WarningMessage``
    items, as ``catch_warnings(record=True)`` gives them."""
    caught: list[Any] = []
    token = _CAUGHT.set(caught)
    logged = {kind: "log" for kind, mode in np.geterr().items() if mode == "warn"}
    try:
        with warnings.catch_warnings(), np.errstate(**logged, call=_NumpyLog(caught)):
            warnings.simplefilter("always")
            before = warnings.showwarning

            def show(message: Any, category: type[Warning], filename: str, lineno: int,
                     file: Any = None, line: str | None = None) -> None:
                mine = _CAUGHT.get()  # the raising thread's round (this one or another's), if any
                if mine is None:
                    before(message, category, filename, lineno, file, line)
                else:
                    mine.append(warnings.WarningMessage(message, category, filename, lineno, file, line))

            warnings.showwarning = show
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
