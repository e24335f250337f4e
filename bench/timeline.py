"""When each piece of a round runs, and in which thread: the functions named in :data:`PIECES`
wrapped to note their start, end, the CPU time of their thread (``time.thread_time``), the
resident set when they end and its highest while they ran (sampled every 20 ms), so that
a step's wall time can be accounted for piece by piece, overlaps between threads included.

Used by ``profile_round.py --timeline``; a wrapped call costs a few microseconds, and the pieces
are called a few hundred times in a round.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

#: ``module:attribute`` (a function, or ``Class.method``) of the pieces timed.
PIECES: tuple[str, ...] = (
    "xuanba.facts:customer_facts",
    "xuanba.facts:calibration_holdout",
    "xuanba.facts:facts_and_holdout",
    "xuanba.facts.compute:_arrow",
    "xuanba.facts.compiled:run",
    "xuanba.facts.compute:_to_pandas",
    "xuanba.rounds.run:gather_fields",
    "xuanba.rounds.run:_predict",
    "xuanba.rounds.run:_merge",
    "xuanba.rounds.run:_steady",
    "xuanba.rounds.run:model_check",
    "xuanba.rounds.run:_score",
    "xuanba.rounds.run:score_customers",
    "xuanba.rounds.run:table_sha256",
    "xuanba.rounds.run:one_time_buyers",
    "xuanba.rounds.summary:round_summary",
    "xuanba.models.choose:choose_model",
    "xuanba.models.evaluate:evaluate",
    "xuanba.models.evaluate:holdout_metrics",
    "xuanba.models.evaluate:group_error",
    "xuanba.models.evaluate:_by_frequency",
    "xuanba.models.predict:purchase_histories",
    "xuanba.models.predict:predict_customers",
    "xuanba.models.predict:history_predictions",
    "xuanba.models._base:Model.fit",
    "xuanba.models._purchases:PurchaseModel.expected_purchases",
    "xuanba.models.gammagamma:GammaGamma.expected_spend",
    "xuanba.rounds.store:save_round",
    "xuanba.rounds.store:_insert_fields",
    "xuanba.rounds.store:_insert_round",
    "xuanba.rounds.store:_insert_parts",
    "xuanba.rounds.store:_points_rows",
    "xuanba.rounds.store:_append",
    "xuanba.rounds.store:RoundSaver.wait",
    "xuanba.workspace:Workspace._commit",
    "xuanba.accounts.book:account_book",
    "xuanba.rounds.run:column_hashes",
    "xuanba.rounds.store:_insert_rows",
    "xuanba.standard.engine_cache:run",
    "xuanba.standard.engine_cache:keep",
    "xuanba.standard.engine:score_in_engine",
    "xuanba.standard.engine:by_rank",
    "xuanba.standard.engine:roster_expression",
    "xuanba.standard.engine_cache:stream",
    "xuanba.standard.engine:labelled",
    "xuanba.rounds.store:_insert_roster",
    "xuanba.rounds.store:_insert_contributions",
    "xuanba.rounds.store:roster_codes",
    "xuanba.rounds.store:_insert_head",
    "xuanba.rounds.store:_insert_tables",
    "xuanba.standard.engine:_in_engine",
)

#: (thread name, depth, piece, start, end, thread CPU seconds, resident set at the end and its
#: highest while the piece ran, in GiB)
EVENTS: list[tuple[str, int, str, float, float, float, float, float]] = []
#: The highest resident set seen while each running piece runs (by a sampler thread every 20 ms).
_OPEN: dict[int, float] = {}
#: The pieces running now: (thread name, depth, piece, start) by the key of :data:`_OPEN`.
_RUNNING: dict[int, tuple[str, int, str, float]] = {}
_OPEN_LOCK = threading.Lock()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_gib() -> float:
    """The process's resident set now, in GiB (Linux's /proc/self/statm; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2**30
    except OSError:
        return 0.0
_DEPTH = threading.local()


def _wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_DEPTH, "n", 0)
        _DEPTH.n = depth + 1
        name = label
        if label.endswith(".fit") and args:
            name = f"{type(args[0]).__name__}.fit"
        slot = object()
        t0, c0 = time.perf_counter(), time.thread_time()
        with _OPEN_LOCK:
            _OPEN[id(slot)] = resident_gib()
            _RUNNING[id(slot)] = (threading.current_thread().name, depth, name, t0)
        try:
            return fn(*args, **kwargs)
        finally:
            now = resident_gib()
            with _OPEN_LOCK:
                peak = max(_OPEN.pop(id(slot)), now)
                _RUNNING.pop(id(slot), None)
            EVENTS.append((threading.current_thread().name, depth, name, t0, time.perf_counter(),
                           time.thread_time() - c0, now, peak))
            _DEPTH.n = depth

    return timed


def _sample() -> None:
    while True:
        now = resident_gib()
        with _OPEN_LOCK:
            for key, high in _OPEN.items():
                if now > high:
                    _OPEN[key] = now
        time.sleep(0.02)


def install() -> None:
    """Wrap every piece of :data:`PIECES` that this tree has (others are skipped), and start the
    thread that notes each running piece's highest resident set."""
    threading.Thread(target=_sample, daemon=True, name="timeline-sampler").start()
    for spec in PIECES:
        module_name, attr = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner: Any = module
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        wrapped = _wrap(attr, getattr(owner, name))
        setattr(owner, name, wrapped)
        if module_name == "xuanba.facts":  # also where the compute module's own callers find it
            sub = importlib.import_module("xuanba.facts.compute")
            if hasattr(sub, name):
                setattr(sub, name, wrapped)


def report(t0: float) -> str:
    """The events as a Markdown table in order of start, times from ``t0``; the pieces still
    running (a round stopped midway) last, marked *running*, with the resident set now and its
    highest so far."""
    lines = ["| thread | piece | start s | end s | wall s | thread CPU s | RSS at end GiB | RSS peak GiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for thread, depth, name, start, end, cpu, resident, peak in sorted(list(EVENTS), key=lambda e: (e[3], e[1])):
        if end - start < 0.005:
            continue
        lines.append(f"| {_short(thread)} | {'  ' * depth}{name} | {start - t0:.2f} | {end - t0:.2f} | {end - start:.2f} "
                     f"| {cpu:.2f} | {resident:.2f} | {peak:.2f} |")
    now, at = resident_gib(), time.perf_counter()
    with _OPEN_LOCK:
        running = [(*_RUNNING[key], _OPEN[key]) for key in _RUNNING if key in _OPEN]
    for thread, depth, name, start, peak in sorted(running, key=lambda e: (e[3], e[1])):
        lines.append(f"| {_short(thread)} | {'  ' * depth}{name} *running* | {start - t0:.2f} | | {at - start:.2f} | "
                     f"| {now:.2f} | {max(peak, now):.2f} |")
    return "\n".join(lines)


def _short(thread: str) -> str:
    return "main" if thread == "MainThread" else thread.replace("ThreadPoolExecutor-", "pool ")
