"""A round's fit warnings do not depend on what its other threads, or the process's other
threads, do meanwhile. Python 3.11's warnings filters belong to the process: pandas enters
``catch_warnings()`` with an "ignore" filter around many casts (``astype`` of floats to integers:
``filterwarnings("ignore", category=RuntimeWarning)``), and a ``catch_warnings(record=True)`` list
gathers every thread's warnings. Each test holds one thread at the moment the other warns (events,
not sleeps), so what it shows happens every run, not by chance."""

from __future__ import annotations

import datetime as dt
import threading
import warnings

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
