"""Rounds run from the web page: one background job at a time per workspace, with its progress.

A round takes from seconds to minutes, and the server reads the workspace file for every page
meanwhile, so a job never holds the file while it computes:

1. **copy** — under a short read, the tables a round reads (transactions and the side tables,
   the settings) are copied into a workspace in memory; the stored rounds' big tables are not;
2. **compute** — :func:`xuanba.rounds.run_round` runs on the copy (``store=False``), reporting
   each step; pages keep answering and other writes (log-ins, publishing) go on;
3. **store** — under a short write, :func:`xuanba.rounds.store.save_round` appends the round and
   the audit line in one transaction. When another process holds the file at that moment, the
   job waits for it (up to :data:`STORE_WAIT_S`) and then fails with the reason in words.

Example
-------
>>> from xuanba.web.app import Gate
>>> jobs = Jobs(Gate(":memory:"))
>>> jobs.current() is None
True
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xuanba.errors import InputError, Phrase, WorkspaceError, XuanbaError
from xuanba.standard import Standard
from xuanba.workspace import META_TABLE, Workspace

#: Tables a round never reads: what earlier rounds and backtests stored, and the web's own.
NOT_COPIED = frozenset({"roster", "roster_codes", "roster_labels", "contributions", "round_points", "round_criteria", "round_fields", "round_tables",
                        "backtest_cutoffs", "backtest_overall", META_TABLE})
#: How long a finished round waits for another process to let go of the file before failing.
STORE_WAIT_S = 30.0
#: How long the audit line of a failed round waits for the file.
AUDIT_WAIT_S = 300.0
#: How many finished jobs are remembered (their pages keep answering).
KEEP = 20

log = logging.getLogger(__name__)


class JobBusy(InputError):
    """A round is already running in this workspace."""

    http_status = 409


@dataclass
class Job:
    """One round run: who started it, with which standard and cutoff, its steps (name, seconds
    after the start) and how it ended (``state``: ``running``, ``done`` or ``failed``; the new
    ``round_id``, or the ``error`` and its ``fix`` in words)."""

    job_id: str
    user: str
    standard: str
    cutoff: str
    started_at: str
    state: str = "running"
    steps: list[tuple[str, float]] = field(default_factory=list)
    round_id: int | None = None
    error: str | None = None
    fix: str | None = None
    seconds: float | None = None
    _t0: float = field(default_factory=time.monotonic, repr=False)

    def step(self, name: str) -> None:
        self.steps.append((str(name), round(time.monotonic() - self._t0, 1)))

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "user": self.user, "standard": self.standard, "cutoff": self.cutoff,
                "started_at": self.started_at, "state": self.state,
                "steps": [{"step": s, "seconds": t} for s, t in self.steps], "round_id": self.round_id,
                "error": self.error, "fix": self.fix, "seconds": self.seconds}


def copy_for_round(ws: Workspace) -> Workspace:
    """A workspace in memory holding what a round reads from ``ws``: every table but those of
    :data:`NOT_COPIED` and the web's, and the settings (time zone ...) ``ws`` records."""
    mem = Workspace(":memory:")
    try:
        names = [r[0] for r in ws.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() AND table_type = 'BASE TABLE'").fetchall()]
        for name in names:
            if name in NOT_COPIED or name.startswith("web_"):
                continue
            mem.replace(name, ws.con.execute(f'SELECT * FROM "{name}"').arrow())
        if META_TABLE in names:
            for key, value in ws.con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall():
                if mem.setting(key) is None and not str(key).startswith("web_"):
                    mem.set_setting(str(key), str(value))
    except BaseException:
        mem.close()
        raise
    return mem


class Jobs:
    """The round jobs of one workspace (one :class:`~xuanba.web.app.Gate`): at most one runs."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._running: Job | None = None

    def current(self) -> Job | None:
        """The running job, if any."""
        with self._lock:
            return self._running

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self) -> Job | None:
        """The job started last (running or not)."""
        with self._lock:
            return next(reversed(self._jobs.values()), None)

    def start(self, standard: Standard, cutoff: dt.date, user: str,
              record: Callable[[Workspace, Job], None] | None = None) -> Job:
        """Start a round of ``standard`` at ``cutoff`` in a thread; :class:`JobBusy` when one runs.

        ``record(ws, job)`` writes the job's audit line when it ends: in the same transaction as
        the new round when it is done, in a write of its own when it failed."""
        with self._lock:
            if self._running is not None:
                r = self._running
                raise JobBusy(Phrase("web_err_busy", user=r.user, started=r.started_at, standard=r.standard,
                                     cutoff=r.cutoff), fix=Phrase("web_err_busy_fix"))
            job = Job(secrets.token_urlsafe(9), user, f"{standard.name} v{standard.version}", cutoff.isoformat(),
                      dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat())
            self._running = job
            self._jobs[job.job_id] = job
            while len(self._jobs) > KEEP:
                self._jobs.pop(next(iter(self._jobs)))
        threading.Thread(target=self._run, args=(job, standard, cutoff, record or (lambda ws, j: None)),
                         daemon=True, name=f"xuanba-round-{job.job_id}").start()
        return job

    def _run(self, job: Job, standard: Standard, cutoff: dt.date, record: Callable[[Workspace, Job], None]) -> None:
        from xuanba.rounds import run_round
        from xuanba.rounds.store import save_round

        try:
            if self.gate._memory is not None:  # in memory (tests): one connection, nothing to copy
                with self.gate.write() as ws, ws.transaction():
                    job.round_id = run_round(ws, standard, cutoff, progress=job.step).round_id
                    job.state = "done"
                    record(ws, job)
            else:
                job.step("copy")
                with self.gate.read() as ws:
                    mem = copy_for_round(ws)
                with mem:
                    rnd = run_round(mem, standard, cutoff, store=False, progress=job.step)
                job.step("storing")

                def save(ws: Workspace) -> None:
                    with ws.transaction():  # the round and its audit line, together or not at all
                        job.round_id = save_round(ws, rnd)
                        job.state = "done"
                        record(ws, job)

                self._write(save)
        except XuanbaError as exc:
            job.state, job.error, job.fix = "failed", str(getattr(exc, "message", exc)), getattr(exc, "fix", None)
            job.round_id = None
        except Exception as exc:  # a bug in xuanba: said in words on the page, logged in full here
            log.exception("round job %s failed", job.job_id)
            job.state, job.error, job.round_id = "failed", f"{type(exc).__name__}: {exc}", None
        job.seconds = round(time.monotonic() - job._t0, 1)
        with self._lock:
            self._running = None
        if job.state == "failed":
            try:  # the failure may be another writer holding the file: its line waits longer
                self._write(lambda ws: record(ws, job), AUDIT_WAIT_S)
            except Exception:  # the failure is on the page; only its audit line is lost
                log.exception("round job %s: the audit line of its failure was not written", job.job_id)

    def _write(self, save: Callable[[Workspace], None], wait_s: float | None = None) -> None:
        """Run ``save`` in one write, waiting while another process holds the file (up to
        ``wait_s``, default :data:`STORE_WAIT_S`)."""
        deadline = time.monotonic() + (STORE_WAIT_S if wait_s is None else wait_s)
        while True:
            try:
                with self.gate.write() as ws:
                    save(ws)
                    return
            except WorkspaceError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
