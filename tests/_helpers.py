"""Small helpers the tests share: put a table in a workspace, the CDNOW transactions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xuanba import Workspace


def store(ws: Workspace, name: str, frame: pd.DataFrame) -> None:
    """Create workspace table ``name`` from ``frame`` in one transaction (as a test fixture)."""
    with ws.transaction() as con:
        con.register("_frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
        con.unregister("_frame")


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
