"""Small helpers the tests share: put a table in a workspace, the CDNOW transactions."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from xuanba import Workspace

#: The marks of a test that runs on Spark, with the third-party noise it is let off: py4j leaves
#: its gateway socket to the garbage collector, and pyspark 4.0's pandas conversion passes
#: pandas 3 a deprecated ``copy=`` keyword. A module's ``pytestmark = SPARK_MARKS``.
SPARK_MARKS = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
]


def spark_test(test):
    """One test marked with :data:`SPARK_MARKS` (in a module of other tests too)."""
    for mark in SPARK_MARKS:
        test = mark(test)
    return test


def checked_lines(source, cutoff: str) -> tuple[list[tuple], dict]:
    """The lines a round's source check hands to the facts
    (:func:`~xuanba.rounds.source_check.checked_transactions`, the round's first step after its
    source is read) as ``(customer_id, ts, amount)``, sorted, and its count of the rows (the
    round's ``source_rows``): what the Spark tests of a read compare with DuckDB's, not a round
    on each engine (whose facts of the same lines are the same)."""
    from xuanba.rounds.source_check import checked_transactions
    from xuanba.standard.engine import to_arrow

    table, counted = checked_transactions(source, cutoff)
    got = to_arrow(table.select("customer_id", "ts", "amount")).to_pylist()
    return sorted((r["customer_id"], str(r["ts"])[:19], float(r["amount"])) for r in got), counted


def store(ws: Workspace, name: str, frame: pd.DataFrame) -> None:
    """Create workspace table ``name`` from ``frame`` in one transaction (as a test fixture)."""
    with ws.transaction() as con:
        con.register("_frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
        con.unregister("_frame")


def random_purchases(n: int, per: int, seed: int) -> pd.DataFrame:
    """``per * n`` purchases of up to ``n`` customers ``C000000``… over 500 days from 2025-01-01,
    gamma-distributed amounts in cents (a test's plain purchase log).

    >>> len(random_purchases(10, 3, seed=0))
    30
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    cust = rng.integers(0, n, per * n)
    return pd.DataFrame({"customer_id": pd.Series(cust).map("C{:06d}".format),
                         "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 500, cust.size), unit="D"),
                         "amount": rng.gamma(2.0, 50.0, cust.size).round(2)})


def cdnow_transactions(test_data: Path) -> pd.DataFrame:
    """The CDNOW sample as canonical transactions: customer_id, ts, amount."""
    tx = pd.read_parquet(test_data / "cdnow_sample.parquet")[["customer_id", "timestamp", "amount"]]
    return tx.rename(columns={"timestamp": "ts"})


def kill_when(proc, ready, what: str, timeout: float = 60.0) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds (polled), asserting it was still running
    then; the process is reaped whatever happens."""
    import signal
    import time

    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.005)
        assert proc.poll() is None, f"the {what} finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder that ``build(folder)`` filled, run once per test run whichever xdist worker
    asks first (the others wait on a file lock, then reuse it). Callers only read it, or take a
    :func:`copy_of` it. Under xdist the workers' base temps share a parent folder of this run
    alone; without xdist the base temp is the run's own."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = root / f"built-{name}", root / f"built-{name}.done"
    with FileLock(str(root / f"built-{name}.lock")):
        if not done.exists():  # a build that failed half-way is redone, from an empty folder
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def copy_of(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of ``folder`` of one's own (a test must not see another's writes)."""
    return Path(shutil.copytree(folder, tmp_path_factory.mktemp(folder.name) / folder.name))


def put_back(pristine: Path, live: Path) -> Path:
    """``live`` made again a copy of ``pristine``, in place, whatever a test did to it (a file
    truncated or replaced, a folder turned into a link): for a round built once per module whose
    workspace names its ``--roster-out`` folder by its absolute path, so that a copy elsewhere
    would still name the original. The files are copied with a new time, as a round writing them
    again would leave them (the outputs keep what they read by a file's inode, time and size)."""
    if live.is_symlink() or live.is_file():
        live.unlink()
    elif live.exists():
        shutil.rmtree(live)
    shutil.copytree(pristine, live, symlinks=True, copy_function=shutil.copy)
    return live


def demo_copy(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of one's own of the demo's output folder (the ``demo_built`` fixture), and what
    ``xuanba demo --json`` printed."""
    return copy_of(demo_built / "demo", tmp_path_factory), (demo_built / "demo.json").read_text("utf-8")


def in_threads(work: Callable[[int], None], n: int) -> None:
    """``work(i)`` for i in 0..n-1, each in a thread of its own, all started before any is joined.

    >>> seen = []
    >>> in_threads(seen.append, 3); sorted(seen)
    [0, 1, 2]
    """
    import threading

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
