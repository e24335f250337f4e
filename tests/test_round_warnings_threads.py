"""A round's fit warnings do not depend on what its other threads, or the process's other
threads, do meanwhile. Python 3.11's warnings filters belong to the process: pandas enters
``catch_warnings()`` with an "ignore" filter around many casts (``astype`` of floats to integers:
``filterwarnings("ignore", category=RuntimeWarning)``), and a ``catch_warnings(record=True)`` list
gathers every thread's warnings. Each test holds one thread at the moment the other warns (events,
not sleeps), so what it shows happens every run, not by chance."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import xuanba.models.evaluate as evaluate_module
import xuanba.models.predict as predict_module
from xuanba import Workspace
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import run_round
from xuanba.standard import starter_standard

CUTOFF = dt.date(2025, 12, 31)
OVERFLOW = "RuntimeWarning: overflow encountered in exp"
WAIT_S = 60


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Four years of customers: ``auto`` checks its candidates on the last year (one thread)
    while it fits them at the cutoff (another)."""
    path = tmp_path_factory.mktemp("threads") / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", simulate_transactions("pareto-nbd", 600, "2022-01-01", "2025-12-31", seed=3))
    return path


def _overflow() -> None:
    np.exp(np.array([1000.0]))  # a real NumPy overflow, warned as a fit's would be


def test_a_fit_overflow_is_kept_while_the_check_thread_ignores_runtime_warnings(workspace, monkeypatch):
    """The first candidate's fit overflows while the holdout check, on the other thread, is inside
    pandas' "ignore RuntimeWarning" block: the round keeps the overflow (it was dropped by the
    process's filters before: the list depended on timing)."""
    inside, warned = threading.Event(), threading.Event()
    real_evaluate, real_fit = evaluate_module.evaluate, predict_module.fit_model

    def check(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)  # pandas' astype block
            inside.set()
            warned.wait(WAIT_S)
        return real_evaluate(*args, **kwargs)

    def fit(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "pareto-nbd":
            assert inside.wait(WAIT_S)
            _overflow()
            warned.set()
        return real_fit(name, *args, **kwargs)

    monkeypatch.setattr(evaluate_module, "evaluate", check)
    monkeypatch.setattr(predict_module, "fit_model", fit)
    rnd = run_round(workspace, starter_standard("en"), CUTOFF, store=False, check_model=False)
    assert inside.is_set() and warned.is_set()  # the two threads met as the test meant
    assert OVERFLOW in rnd.meta["model_warnings"]


def test_another_threads_overflow_is_not_the_rounds(workspace, monkeypatch):
    """A thread that is not the round's (a web request's, say) overflows while the round fits:
    the round does not keep it (it did: the round's record caught every thread's warnings), and it
    still goes where it went without the round."""
    real_fit = predict_module.fit_model

    def fit(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "pareto-nbd":
            other = threading.Thread(target=_overflow)
            other.start()
            other.join()
        return real_fit(name, *args, **kwargs)

    monkeypatch.setattr(predict_module, "fit_model", fit)
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        rnd = run_round(workspace, starter_standard("en"), CUTOFF, store=False, check_model=False)
    assert OVERFLOW not in rnd.meta["model_warnings"]
    assert OVERFLOW in {f"{w.category.__name__}: {w.message}" for w in outside}


def _texts(caught: list) -> list[str]:
    return sorted(f"{w.category.__name__}: {w.message}" for w in caught)


def test_two_rounds_on_two_threads_keep_their_own_warnings():
    """Two rounds' catches on two threads (two workspaces' web jobs), left out of order: each
    keeps what its own thread warned, xuanba's words and NumPy's overflow, nothing of the other's."""
    from xuanba.models._caught import catching, said

    second_in, first_out = threading.Event(), threading.Event()
    got: dict[str, list[str]] = {}

    def second() -> None:
        with catching() as caught:
            second_in.set()
            first_out.wait(WAIT_S)  # the first round leaves its catch before this one
            _overflow()
        got["second"] = _texts(caught)

    thread = threading.Thread(target=second)
    with catching() as caught:
        thread.start()
        assert second_in.wait(WAIT_S)
        said("the first round's words")
    first_out.set()
    thread.join()
    assert _texts(caught) == ["UserWarning: the first round's words"]
    assert got["second"] == [OVERFLOW]


def test_rounds_leaving_out_of_order_keep_their_warnings_and_the_process_filters():
    """Two rounds' catches on two threads, the first leaving while the second still fits: a
    library's Python warning of the second round (SciPy's, say) is still the second round's, and
    once both have left the process's filters and ``showwarning`` are what they were before.
    4138c2f's catch per round put back, on the first round's exit, what that round found: the
    second round's warning went to the screen, and the first round's "always" filter and hook
    stayed in the process for good."""
    from xuanba.models._caught import catching

    filters, show = list(warnings.filters), warnings.showwarning
    second_in, first_out = threading.Event(), threading.Event()
    got: dict[str, list[str]] = {}

    def second() -> None:
        with catching() as caught:
            second_in.set()
            first_out.wait(WAIT_S)
            warnings.warn("a library's words", UserWarning, stacklevel=1)
        got["second"] = _texts(caught)

    thread = threading.Thread(target=second)
    try:
        with catching() as caught:
            thread.start()
            assert second_in.wait(WAIT_S)
        first_out.set()
        thread.join()
        assert _texts(caught) == []
        assert got["second"] == ["UserWarning: a library's words"]
        assert warnings.showwarning is show
        assert warnings.filters == filters
    finally:
        first_out.set()
        warnings.filters[:] = filters
        warnings.showwarning = show
        warnings._filters_mutated()


class _UsersErrors:
    """A user's own object for NumPy's "log" and "call" error modes (``np.seterrcall``)."""

    def __init__(self) -> None:
        self.logged: list[str] = []
        self.called: list[str] = []

    def write(self, text: str) -> None:
        self.logged.append(text.strip())

    def __call__(self, kind: str, flag: int) -> None:
        self.called.append(kind)


def test_a_users_numpy_call_and_log_modes_still_reach_the_user_inside_a_round():
    """A user who set ``np.seterr(over="call", under="log")`` with ``np.seterrcall(obj)``: inside
    a round's catch ``obj`` is still called for an overflow and written an underflow, as NumPy
    documents, while what NumPy would have warned (an invalid value) is the round's. 4138c2f put
    the round's own writer in ``obj``'s place: the overflow raised ``TypeError`` (the writer is not
    callable) and the user's underflow went to the round."""
    from xuanba.models._caught import catching

    users = _UsersErrors()
    with np.errstate(over="call", under="log", invalid="warn", call=users):
        with catching() as caught:
            np.exp(np.array([1000.0]))
            np.exp(np.array([-1000.0]))
            np.log(np.array([-1.0]))
        assert np.geterrcall() is users
    assert users.called == ["overflow"]
    assert users.logged == ["Warning: underflow encountered in exp"]
    assert _texts(caught) == ["RuntimeWarning: invalid value encountered in log"]


def test_a_numpy_error_a_library_silences_itself_is_not_in_the_rounds_list():
    """pandas downcasts 1e300 to float32 inside its own ``catch_warnings()`` that ignores
    RuntimeWarning (it sees the overflow and keeps float64): the round's list does not hold that
    overflow, as without a round nothing is warned, while an overflow of the round's own code is
    kept. 4138c2f's "log" mode heard every NumPy error, so a library's silenced casts became the
    round's warnings ("overflow encountered in cast")."""
    import pandas as pd

    from xuanba.models._caught import catching

    with warnings.catch_warnings(record=True) as plain:
        warnings.simplefilter("always")
        pd.to_numeric(pd.Series([1e300, 1.0]), downcast="float")
    with catching() as caught:
        got = pd.to_numeric(pd.Series([1e300, 1.0]), downcast="float")
        _overflow()
    assert got.dtype == np.float64 and plain == []
    assert _texts(caught) == [OVERFLOW]


def _warn_on_a_thread_of_no_round(category: type[Warning], times: int = 1) -> BaseException | None:
    """Warn "a library's deprecation" ``times`` times from one line, on a thread outside any round
    (a plain thread starts in an empty context); what the warning raised there, if anything."""
    raised: list[BaseException] = []

    def other() -> None:
        try:
            for _ in range(times):
                warnings.warn("a library's deprecation", category, stacklevel=1)
        except Warning as err:
            raised.append(err)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    return raised[0] if raised else None


@pytest.mark.parametrize("action", ["ignore", "error", "default", "always"])
def test_a_thread_of_no_round_keeps_the_process_filters_while_a_round_is_open(action):
    """While a round catches, a thread of no round's (DuckDB's deprecation raised in ibis on a web
    request's thread, say) is dealt with by the process's own filters, as without the round:
    ignored, raised there, shown once for one line, or every time. e5e8a1d showed it every time
    under the round's "always" filter, so the suite's ignored deprecations were printed and a
    user's "error" filter did not raise."""
    from xuanba.models._caught import catching

    shown: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter(action, FutureWarning)
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        with catching() as caught:
            raised = _warn_on_a_thread_of_no_round(FutureWarning, times=2)
    assert caught == []  # not the round's either
    assert isinstance(raised, FutureWarning) is (action == "error")
    assert len(shown) == {"ignore": 0, "error": 0, "default": 1, "always": 2}[action]


@pytest.mark.parametrize(("module", "shown_times"), [(__name__, 0), ("elsewhere", 1)])
def test_a_module_filter_holds_on_a_thread_of_no_round(module, shown_times):
    """A process filter for one module's warnings (``filterwarnings("ignore", module=...)``, as
    pytest's ``-W`` or a user sets) is matched against the module that warned, on a thread of no
    round's while a round catches: this module's is ignored, another module's filter does not
    touch it."""
    from xuanba.models._caught import catching

    shown: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        with catching():
            _warn_on_a_thread_of_no_round(FutureWarning)
    assert len(shown) == shown_times


def test_a_filter_set_while_a_round_catches_holds_then_and_stays_after_it():
    """A filter set while a round catches (by an import inside the round, or by another thread):
    it holds at once for a thread of no round's, appended after the others too, and stays in the
    process's filters where it was put when the round ends. 0782bb4 matched such a thread's
    warnings with the filters found when the round began (the appended "ignore" not heeded: shown)
    and put those back at the end (both new filters gone)."""
    from xuanba.models._caught import catching

    shown: list[str] = []
    with warnings.catch_warnings():
        warnings.resetwarnings()  # no filter: Python's default action ("default")
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(f"{type(message).__name__}: {message}")
        with catching() as caught:
            warnings.filterwarnings("ignore", category=FutureWarning, append=True)
            warnings.filterwarnings("error", category=RuntimeWarning)
            ignored = _warn_on_a_thread_of_no_round(FutureWarning)
            unfiltered = _warn_on_a_thread_of_no_round(UserWarning)
        after = list(warnings.filters)
    assert ignored is None and unfiltered is None and caught == []
    assert shown == ["UserWarning: a library's deprecation"]
    assert after == [("error", None, RuntimeWarning, None, 0), ("ignore", None, FutureWarning, None, 0)]


#: A program run with Python's own filters (``default::DeprecationWarning:__main__``, its module a
#: plain string, then ``ignore::DeprecationWarning``...): a thread of no round warns deprecations,
#: the program's own (``__main__``, from ``python -c``: a file that is no module's) and a library's,
#: twice each, inside a round's catch (``round``) or not.
_PLAIN_PROGRAM = """
import sys, threading, types, warnings
from xuanba.models._caught import catching

lib = types.ModuleType("somelib")
exec(compile("import warnings\\ndef warn():\\n    warnings.warn('a library', DeprecationWarning, stacklevel=1)\\n",
             "somelib.py", "exec"), lib.__dict__)

def mine():
    warnings.warn("the program's own", DeprecationWarning, stacklevel=1)

def other():
    for _ in range(2):
        mine()
        lib.warn()

thread = threading.Thread(target=other)
if sys.argv[1] == "round":
    with catching():
        thread.start()
        thread.join()
else:
    thread.start()
    thread.join()
"""


def test_a_thread_of_no_round_under_pythons_own_filters_is_dealt_with_as_without_a_round():
    """Python's own filters, in a process of its own (as the command line and the web server run):
    a thread of no round's deprecations while a round catches are shown or not as without the
    round (the program's own once, the library's never). 0782bb4 called ``.match`` on the default
    filter's module, a plain string: the thread died of an AttributeError; and took the module of
    ``python -c``'s code (a notebook cell's too) to be ``<string>``, not ``__main__``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "PYTHONDEVMODE")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    runs = {mode: subprocess.run([sys.executable, "-c", _PLAIN_PROGRAM, mode], capture_output=True, text=True,
                                 env=env, timeout=120) for mode in ("plain", "round")}
    plain = runs["plain"]
    assert plain.returncode == 0 and plain.stderr.count("DeprecationWarning") == 1, plain.stderr
    assert "DeprecationWarning: the program's own" in plain.stderr
    assert (runs["round"].returncode, runs["round"].stderr) == (0, plain.stderr)


def test_a_thread_that_leaves_catch_warnings_after_the_round_leaves_no_loop_and_no_always():
    """A thread of no round enters ``catch_warnings()`` during a round and leaves it after the
    round ended: it puts back the round's hook and "always" filter. A user's "ignore" filter still
    holds then, and at the next round another thread's warning is shown once by the process's
    own ``showwarning`` (it looped into the hook itself before: RecursionError in that thread)."""
    from xuanba.models._caught import catching

    entered, leave = threading.Event(), threading.Event()
    shown: list[str] = []
    errors: list[BaseException] = []

    def stale() -> None:  # pandas' catch_warnings around a cast, on a web request's thread
        with warnings.catch_warnings():
            entered.set()
            leave.wait(WAIT_S)

    def other() -> None:
        try:
            warnings.warn("from a thread of no round", UserWarning, stacklevel=1)
        except BaseException as exc:  # noqa: BLE001  (what the thread met, for the assertion)
            errors.append(exc)

    with warnings.catch_warnings():  # the process's filters and hook, put back after the test
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", message="ignored by the user")
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        t = threading.Thread(target=stale)
        with catching():
            t.start()
            assert entered.wait(WAIT_S)
        leave.set()
        t.join(WAIT_S)
        warnings.warn("ignored by the user", UserWarning, stacklevel=1)
        assert shown == []
        with catching():
            for _ in range(2):
                o = threading.Thread(target=other)
                o.start()
                o.join(WAIT_S)
        assert errors == []
        assert shown == ["from a thread of no round"]


class _Logged(logging.Handler):
    """What reaches logging's "py.warnings" logger (where ``logging.captureWarnings(True)`` sends
    the warnings it would show): the warnings' messages, while the block is open."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        first = record.getMessage().split("\n")[0]  # "<file>:<line>: <Category>: <message>"
        self.messages.append(first.rsplit(": ", 1)[1])

    def __enter__(self) -> _Logged:
        logging.getLogger("py.warnings").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("py.warnings").removeHandler(self)


def _capture_on_another_thread(capture: bool) -> None:
    """``logging.captureWarnings(capture)`` called on a thread of no round (a web server's setup)."""
    thread = threading.Thread(target=logging.captureWarnings, args=(capture,))
    thread.start()
    thread.join(WAIT_S)


def test_logging_capture_turned_on_during_a_round_stays_on_after_it():
    """``logging.captureWarnings(True)`` while a round catches: once the round has ended warnings
    still go to logging, and ``captureWarnings(False)`` sends them back to the ``showwarning``
    that had them before. cf20905 put back, when the round ended, the ``showwarning`` it found at
    its start, over logging's: capture was off without a word."""
    from xuanba.models._caught import catching

    shown: list[str] = []
    with warnings.catch_warnings(), _Logged() as logged:
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        try:
            with catching():
                _capture_on_another_thread(True)
            warnings.warn("captured", UserWarning, stacklevel=1)
        finally:
            logging.captureWarnings(False)
        warnings.warn("not captured", UserWarning, stacklevel=1)
    assert logged.messages == ["captured"]
    assert shown == ["not captured"]


@pytest.mark.parametrize("off", ["during the next round", "after the next round"])
def test_logging_capture_turned_off_after_a_round_puts_back_what_it_found(off):
    """Capture turned on during one round and off during or after the next: ``captureWarnings(False)``
    puts back what it found, the rounds' hook, which then hands each warning of a thread of no
    round to the ``showwarning`` the hook had replaced (the user's), not to logging's that the next
    round found, and shows it as often as Python would (a "default" filter shows one line's
    warning again once the filters change). cf20905's one hook sent it to whichever ``showwarning``
    the last round had found, and kept its own list of what was shown once after the rounds."""
    from xuanba.models._caught import catching

    shown: list[str] = []

    def warn() -> None:
        warnings.warn("a library's words", UserWarning, stacklevel=1)

    with warnings.catch_warnings(), _Logged() as logged:
        warnings.simplefilter("default")
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        try:
            with catching():
                _capture_on_another_thread(True)
            with catching():
                if off == "during the next round":
                    _capture_on_another_thread(False)
                    _warn_on_a_thread_of_no_round(UserWarning)
            _capture_on_another_thread(False)
            for _ in range(2):
                warn()
            warnings.simplefilter("default")  # the filters changed: Python shows the line's again
            warn()
        finally:
            logging.captureWarnings(False)
    assert logged.messages == []
    assert shown == ["a library's deprecation"] * (off == "during the next round") + ["a library's words"] * 2
