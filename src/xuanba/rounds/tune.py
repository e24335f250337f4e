"""Tune a standard's weights on the company's own history, with a guard against overfitting.

The criteria, gates, tiers and capacity stay as they are; only the weights move. At each past
cutoff the fields and the next horizon's outcomes are gathered once (as :func:`backtest` does);
the weights are then searched by moving share from one criterion to another (steps of 0.10, 0.05,
0.02, 0.01 of the score) while the mean value captured over the **training** cutoffs improves.
Each share stays within ``max_change`` of where it started and at least 0.01 (a criterion is
kept, not dropped). The **latest** cutoff whose horizon is complete is held out: the search never
sees it, and the report gives its value captured before and after.

Example
-------
>>> tuned = tune("shop.duckdb", "standard.toml", "2024-01-01", "2025-06-30", horizon="180d")  # doctest: +SKIP
>>> tuned.weights, tuned.held_out                                                           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba.errors import DataError, InputError
from xuanba.rounds.backtest import (
    _last_day,
    _share,
    cutoff_data,
    parse_horizon,
    scored_by,
    selection,
)
from xuanba.rounds.replay import replay_cutoffs
from xuanba.rounds.run import Progress, as_standard
from xuanba.standard.schema import Standard, load_standard
from xuanba.workspace import Workspace, open_workspace

STEPS: tuple[float, ...] = (0.10, 0.05, 0.02, 0.01)
"""Shares of the score moved from one criterion to another, coarse to fine."""

MIN_SHARE = 0.01
"""No criterion's share falls below this: tuning keeps the criteria."""


@dataclass
class Tuned:
    """What :func:`tune` found.

    ``standard`` is the tuned standard (its ``text`` carries a comment block saying what changed);
    ``weights``: criterion, before, after (shares of the score); ``training`` and ``held_out``:
    the objective before and after (``cutoffs`` lists them: cutoff, role, before, after).
    """

    standard: Standard
    objective: str
    weights: pd.DataFrame
    cutoffs: pd.DataFrame
    training: dict[str, float] = field(default_factory=dict)
    held_out: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The tuned standard's TOML, ready to write."""
        return self.standard.text


def _with_shares(std: Standard, shares: np.ndarray) -> Standard:
    crits = [c.model_copy(update={"weight": float(w)}) for c, w in zip(std.criteria, shares, strict=True)]
    return std.model_copy(update={"criteria": crits})


def tune(
    workspace: Workspace | str | Path,
    standard: Standard | str | Path,
    start: dt.date | str,
    end: dt.date | str,
    *,
    every: str = "quarter",
    horizon: str | int = "365d",
    objective: str = "revenue",
    max_change: float = 0.3,
    time_unit: str = "week",
    predictions: Callable[[dt.date], pd.DataFrame] | None = None,
    extra_fields: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> Tuned:
    """Learn the weights of ``standard`` that maximise next-horizon value captured under its
    capacity at the cutoffs from ``start`` to ``end``, holding the latest complete one out.

    Parameters
    ----------
    objective
        ``"revenue"`` or ``"profit"`` (revenue less known cost) captured by the selection.
    max_change
        How far each criterion's share of the score may move from where it is (0–1).

    Other parameters are those of :func:`~xuanba.rounds.backtest.backtest`.

    Returns
    -------
    Tuned
    """
    if objective not in ("revenue", "profit"):
        raise InputError(f"--objective {objective!r} is not known", fix="Use revenue or profit.")
    if not 0 < max_change <= 1:
        raise InputError(f"--max-change {max_change} is outside (0, 1]", fix="Give a share such as 0.3.")
    days = parse_horizon(horizon)
    extras = [c for c in extra_fields.columns if c != "customer_id"] if extra_fields is not None else []
    std = as_standard(standard, extras)
    say = progress or (lambda _msg: None)
    data: list[tuple[dt.date, pd.DataFrame, np.ndarray, dict[str, Any] | None]] = []
    with open_workspace(workspace, read_only=True) as ws:
        last = _last_day(ws)
        for cut in replay_cutoffs(start, end, every):
            stop = cut + dt.timedelta(days=days)
            if stop > last:  # only cutoffs whose whole horizon is known teach or test anything
                continue
            say(f"fields at {cut}")
            fields, truth, fallback = cutoff_data(ws, std, cut, stop, time_unit=time_unit,
                                        predictions=predictions(cut) if predictions else None,
                                        extra_fields=extra_fields)
            value = truth.revenue if objective == "revenue" else truth.profit
            if objective == "profit" and np.isnan(value).all():
                raise DataError("the transactions carry no cost, so profit is unknown",
                                fix="Tune on --objective revenue, or load costs.")
            data.append((cut, fields, value, fallback))
    if len(data) < 2:
        raise DataError(f"tuning needs at least two cutoffs with a whole {days}-day horizon after them; "
                        f"found {len(data)}",
                        fix="Widen --from/--to, use a shorter --every or a shorter --horizon.")
    train, test = data[:-1], data[-1]
    start_shares = np.array(list(std.weight_shares.values()))
    cache: dict[tuple[float, ...], float] = {}

    def captured(shares: np.ndarray, cut: tuple[dt.date, pd.DataFrame, np.ndarray, dict[str, Any] | None]) -> float:
        sel, _k = selection(cut[1], scored_by(_with_shares(std, shares), cut[3]))
        return _share(cut[2], sel)

    def fit(shares: np.ndarray) -> float:
        key = tuple(np.round(shares, 4))
        if key not in cache:
            cache[key] = float(np.mean([captured(shares, c) for c in train]))
        return cache[key]

    shares = np.round(start_shares, 4)
    best = fit(shares)
    say("searching the weights")
    lo = np.maximum(start_shares - max_change, MIN_SHARE)
    hi = start_shares + max_change
    for step in STEPS:
        improved = True
        while improved:
            improved = False
            choice = None
            for i in range(len(shares)):  # move `step` of the score from criterion i to j
                for j in range(len(shares)):
                    if i == j:
                        continue
                    cand = shares.copy()
                    cand[i] -= step
                    cand[j] += step
                    if cand[i] < lo[i] - 1e-9 or cand[j] > hi[j] + 1e-9:
                        continue
                    got = fit(cand)
                    if got > best + 1e-9 and (choice is None or got > choice[0]):
                        choice = (got, cand)
            if choice is not None:
                best, shares = choice
                improved = True
    before_test, after_test = captured(start_shares, test), captured(shares, test)
    rows = [{"cutoff": c[0], "role": "training", "before": captured(start_shares, c), "after": captured(shares, c)}
            for c in train]
    rows.append({"cutoff": test[0], "role": "held out", "before": before_test, "after": after_test})
    table = pd.DataFrame(rows)
    weights = pd.DataFrame({"criterion": [c.name for c in std.criteria], "before": np.round(start_shares, 4),
                            "after": np.round(shares, 4)})
    training = {"before": float(table.loc[table["role"] == "training", "before"].mean()),
                "after": float(table.loc[table["role"] == "training", "after"].mean())}
    held = {"cutoff": test[0], "before": before_test, "after": after_test}
    text = tuned_text(std, shares, comment=_comment(std, weights, table, training, held, objective, days, max_change))
    new = load_standard(text, extra_fields=tuple(extras))
    return Tuned(new, objective, weights, table, training, held)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _comment(std: Standard, weights: pd.DataFrame, table: pd.DataFrame, training: dict[str, float],
             held: dict[str, Any], objective: str, days: int, max_change: float) -> list[str]:
    train = table.loc[table["role"] == "training", "cutoff"]
    out = [f"Tuned from {std.name} v{std.version} by `xuanba standard tune`: the weights that captured the most "
           f"{objective} in the {days} days after each training cutoff ({train.iloc[0]} to {train.iloc[-1]}), "
           f"each share moved at most {max_change:g}. Criteria, gates, tiers and capacity are unchanged.",
           "Shares of the score, before -> after: " + ", ".join(
               f"{r.criterion} {r.before:.2f} -> {r.after:.2f}" for r in weights.itertuples(index=False)) + ".",
           f"Training cutoffs, mean {objective} captured: {_pct(training['before'])} -> {_pct(training['after'])}.",
           f"Held-out cutoff {held['cutoff']} (never seen by the search): {_pct(held['before'])} -> "
           f"{_pct(held['after'])}."]
    if held["after"] < held["before"]:
        out.append("The tuned weights did WORSE on the held-out cutoff: keep the current standard.")
    return out


def _next_version(version: str) -> str:
    return str(int(version) + 1) if version.isdigit() else f"{version}-tuned"


def tuned_text(std: Standard, shares: np.ndarray, comment: Sequence[str] = ()) -> str:
    """The standard's TOML with each criterion's ``weight`` set to its new share (two decimals,
    summing to 1), the version raised and ``comment`` on top; everything else as written."""
    weights = np.round(np.asarray(shares, dtype=float), 2)
    weights[int(np.argmax(weights))] += round(1.0 - float(weights.sum()), 2)  # the rounding remainder
    lines = std.text.splitlines()
    out: list[str] = [f"# {line}" for line in _wrap(comment)]
    section, k = "", -1
    for line in lines:
        head = re.match(r"^\s*\[\[?\s*([\w.]+)\s*\]\]?", line)
        if head:
            section = head.group(1)
            if section == "criteria" and line.strip().startswith("[["):
                k += 1
        if section == "criteria" and re.match(r"^\s*weight\s*=", line):
            line = f"weight = {weights[k]:.2f}"
        elif section == "standard" and re.match(r"^\s*version\s*=", line):
            line = f'version = "{_next_version(std.version)}"'
        out.append(line)
    return "\n".join(out) + "\n"


def _wrap(paragraphs: Sequence[str], width: int = 96) -> list[str]:
    import textwrap

    out: list[str] = []
    for p in paragraphs:
        out.extend(textwrap.wrap(p, width) or [""])
    return out
