"""Replay a standard over a past period: one round per month, quarter or year end.

Example
-------
>>> [d.isoformat() for d in replay_cutoffs("2025-01-01", "2025-12-31", "quarter")]
['2025-03-31', '2025-06-30', '2025-09-30', '2025-12-31']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xuanba.errors import InputError
from xuanba.rounds.diff import compare_rosters
from xuanba.rounds.run import Progress, Round, _as_cutoff, as_standard, run_round
from xuanba.standard.schema import Standard
from xuanba.workspace import Workspace, open_workspace

EVERY = {"month": "ME", "quarter": "QE", "year": "YE"}


def replay_cutoffs(start: dt.date | str, end: dt.date | str, every: str = "quarter") -> list[dt.date]:
    """The month, quarter or year ends between ``start`` and ``end`` (both inclusive)."""
    if every not in EVERY:
        raise InputError(f"--every {every!r} is not known", fix=f"Use one of: {', '.join(EVERY)}.")
    a, b = _as_cutoff(start), _as_cutoff(end)
    if b < a:
        raise InputError(f"--to {b} is before --from {a}", fix="Give --from before --to.")
    days = pd.date_range(a, b, freq=EVERY[every])
    if len(days) == 0:
        raise InputError(f"no {every} ends between {a} and {b}", fix="Widen the period or use a shorter --every.")
    return [d.date() for d in days]


@dataclass
class Replay:
    """The rounds of a replay and a table of how the selection moved from one to the next."""

    rounds: list[Round]
    summary: pd.DataFrame


def replay_rounds(
    workspace: Workspace | str | Path,
    standard: Standard | str | Path,
    start: dt.date | str,
    end: dt.date | str,
    *,
    every: str = "quarter",
    time_unit: str = "week",
    predictions: Callable[[dt.date], pd.DataFrame] | None = None,
    extra_fields: pd.DataFrame | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> Replay:
    """Run the standard at every period end from ``start`` to ``end``; compare each to the last.

    ``predictions`` may be a function of the cutoff returning a predictions table (else the
    standard's model is fitted at each cutoff). ``summary`` has one row per round: cutoff,
    round_id, customers, selected, entered, left, kept, rank_correlation (with the previous).
    """
    cutoffs = replay_cutoffs(start, end, every)
    std = as_standard(standard, [c for c in extra_fields.columns if c != "customer_id"] if extra_fields is not None else [])
    rounds: list[Round] = []
    rows = []
    with open_workspace(workspace) as ws:
        for cut in cutoffs:
            if progress:
                progress(f"round at {cut}")
            preds = predictions(cut) if predictions is not None else None
            rnd = run_round(ws, std, cut, predictions=preds, extra_fields=extra_fields, time_unit=time_unit,
                            name=f"{std.name} v{std.version} replay @ {cut}", store=store)  # type: ignore[arg-type]
            row = {"cutoff": cut, "round_id": rnd.round_id, "customers": rnd.meta["n_customers"],
                   "selected": rnd.meta["n_selected"], "entered": None, "left": None, "kept": None,
                   "rank_correlation": None}
            if rounds:
                d = compare_rosters(rounds[-1].roster, rnd.roster, [t.name for t in std.tiers])
                row.update(entered=d.summary["entered"], left=d.summary["left"], kept=d.summary["kept"],
                           rank_correlation=d.rank_correlation)
            rounds.append(rnd)
            rows.append(row)
    summary = pd.DataFrame(rows)
    for col in ("entered", "left", "kept"):
        summary[col] = pd.array(summary[col], dtype="Int64")
    summary["rank_correlation"] = summary["rank_correlation"].astype("float64")
    return Replay(rounds, summary)
