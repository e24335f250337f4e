"""Tune a standard's weights on the company's own history, with a guard against overfitting.

The criteria, gates, tiers and capacity stay as they are; only the weights move. At each past
cutoff the fields and the next horizon's outcomes are gathered once (as :func:`backtest` does);
the weights are then searched by moving share from one criterion to another (steps of 0.10, 0.05,
0.02, 0.01 of the score) while the mean value captured over the **training** cutoffs improves.
Each share stays within ``max_change`` of where it started and at least 0.01 (a criterion is
kept, not dropped). The **latest** cutoff whose horizon is complete is held out: the search never
sees it, and the report gives its value captured before and after.

With ``bars=True`` the tiers' ``min_score`` bars are learned too, after the weights: they move
together by one shift (their spacing kept), chosen where the selection captured the most value
**beyond its size** — the share of the horizon's value it brought less its share of the
customers (:func:`excess`). Value captured alone would reward lowering the bars until capacity is
full; this measure gains from a customer only when that customer brings more than an average
one, so a bar rises when the customers at the edge are worth less than the average customer and
falls when they are worth more. It is 0 for everybody and for nobody, and equals what a backtest
gives: ``revenue_captured - customer_share``.

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

from xuanba.errors import DataError, InputError, Phrase
from xuanba.rounds.backtest import (
    _last_day,
    _share,
    cutoff_data,
    outcomes_by_cutoff,
    parse_horizon,
    scored_by,
    selection,
)
from xuanba.rounds.extra_names import checked_extra_fields, criteria_numbers, extra_field_names
from xuanba.rounds.replay import replay_cutoffs
from xuanba.rounds.run import Progress, as_standard, customer_attributes
from xuanba.standard.schema import Standard, load_standard, toml_lines
from xuanba.workspace import Workspace, open_workspace

BAR_CHANGE = 20.0
"""How far (score points) tuned bars may move by default."""

STEPS: tuple[float, ...] = (0.10, 0.05, 0.02, 0.01)
"""Shares of the score moved from one criterion to another, coarse to fine."""

MIN_SHARE = 0.01
"""No criterion's share falls below this: tuning keeps the criteria."""


@dataclass
class Tuned:
    """What :func:`tune` found.

    ``standard`` is the tuned standard (its ``text`` carries a comment block saying what changed);
    ``weights``: criterion, before, after (shares of the score); ``training`` and ``held_out``:
    the objective before and after, and the selection's share of customers and excess (value
    captured beyond that share) before and after (``cutoffs`` lists them per cutoff: cutoff, role,
    before, after, share_before, share_after); ``bars``: tier, before, after (``min_score``), empty
    unless the bars were tuned.
    """

    standard: Standard
    objective: str
    weights: pd.DataFrame
    cutoffs: pd.DataFrame
    training: dict[str, float] = field(default_factory=dict)
    held_out: dict[str, Any] = field(default_factory=dict)
    bars: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def text(self) -> str:
        """The tuned standard's TOML, ready to write."""
        return self.standard.text


def _with_shares(std: Standard, shares: np.ndarray) -> Standard:
    crits = [c.model_copy(update={"weight": float(w)}) for c, w in zip(std.criteria, shares, strict=True)]
    return std.model_copy(update={"criteria": crits})


def _with_bars(std: Standard, shift: float) -> Standard:
    """``std`` with every tier's ``min_score`` moved by ``shift`` points (kept within 0–100)."""
    tiers = [t if t.min_score is None else t.model_copy(update={"min_score": float(np.clip(t.min_score + shift, 0, 100))})
             for t in std.tiers]
    return std.model_copy(update={"tiers": tiers})


def excess(value: np.ndarray, sel: np.ndarray) -> float:
    """The share of ``value`` a selection (positions) brought less its share of the customers:
    what it captured beyond what a random selection of its size captures on average (0 for
    everyone and for no one).

    Example
    -------
    >>> round(excess(np.array([5.0, 3.0, 1.0, 1.0]), np.array([0])), 6)  # half the value, a quarter of the base
    0.25
    """
    return _share(value, sel) - len(sel) / len(value)


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
    bars: bool = False,
    max_bar_change: float = BAR_CHANGE,
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
    bars, max_bar_change
        Also learn the tiers' ``min_score`` bars (moved together, at most ``max_bar_change``
        points, by whole points) where the selection captured the most value beyond its share of
        customers (:func:`excess`); see the module docstring.

    Other parameters are those of :func:`~xuanba.rounds.backtest.backtest`.

    Returns
    -------
    Tuned
    """
    if objective not in ("revenue", "profit"):
        raise InputError(Phrase("err_tune_objective", objective=repr(objective)), fix=Phrase("err_tune_objective_fix"))
    if not 0 < max_change <= 1:
        raise InputError(Phrase("err_tune_max_change", value=max_change), fix=Phrase("err_tune_max_change_fix"))
    if bars and not 0 < max_bar_change <= 100:
        raise InputError(Phrase("err_tune_max_bar_change", value=max_bar_change),
                         fix=Phrase("err_tune_max_bar_change_fix"))
    days = parse_horizon(horizon)
    extra_fields = checked_extra_fields(extra_fields)  # names checked before any is used
    extras = extra_field_names(extra_fields)
    people = customer_attributes(workspace)
    std = as_standard(standard, extras, people)
    criteria_numbers(extra_fields, std)  # before any work
    if bars and not any(t.min_score is not None for t in std.tiers):
        raise InputError(Phrase("err_tune_no_bars"), fix=Phrase("err_tune_no_bars_fix"))
    say = progress or (lambda _msg: None)
    data: list[tuple[dt.date, pd.DataFrame, np.ndarray, dict[str, Any] | None]] = []
    warm: dict[str, Any] = {}
    with open_workspace(workspace, read_only=True) as ws:
        last = _last_day(ws)
        # only cutoffs whose whole horizon is known teach or test anything
        windows = [(c, c + dt.timedelta(days=days)) for c in replay_cutoffs(start, end, every)
                   if c + dt.timedelta(days=days) <= last]
        after = outcomes_by_cutoff(ws, windows)
        for cut, stop in windows:
            say(f"fields at {cut}")
            fields, truth, fallback = cutoff_data(ws, std, cut, stop, time_unit=time_unit,
                                                  predictions=predictions(cut) if predictions else None,
                                                  extra_fields=extra_fields, warm=warm, outcomes=after[cut])
            value = truth.revenue if objective == "revenue" else truth.profit
            if objective == "profit" and np.isnan(value).all():
                raise DataError(Phrase("err_tune_no_cost"), fix=Phrase("err_tune_no_cost_fix"))
            data.append((cut, fields, value, fallback))
    if len(data) < 2:
        raise DataError(Phrase("err_tune_few_cutoffs", days=days, found=len(data)), fix=Phrase("err_tune_few_cutoffs_fix"))
    train, test = data[:-1], data[-1]
    start_shares = np.array(list(std.weight_shares.values()))
    cache: dict[tuple[float, ...], float] = {}

    def chosen(variant: Standard, cut: tuple[dt.date, pd.DataFrame, np.ndarray, dict[str, Any] | None]) -> np.ndarray:
        return selection(cut[1], scored_by(variant, cut[3]))[0]

    def fit(shares: np.ndarray) -> float:
        key = tuple(np.round(shares, 4))
        if key not in cache:
            cache[key] = float(np.mean([_share(c[2], chosen(_with_shares(std, shares), c)) for c in train]))
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
    weighted = _with_shares(std, shares)
    shift = 0.0
    if bars:
        say("searching the tier bars")
        shift = _best_shift(weighted, [(c[1], c[2], c[3]) for c in train], max_bar_change)
    tuned_std = _with_bars(weighted, shift)
    rows = []
    for c in data:
        old_sel, new_sel = chosen(std, c), chosen(tuned_std, c)
        rows.append({"cutoff": c[0], "role": "training" if c is not test else "held out",
                     "before": _share(c[2], old_sel), "after": _share(c[2], new_sel),
                     "share_before": len(old_sel) / len(c[2]), "share_after": len(new_sel) / len(c[2])})
    table = pd.DataFrame(rows)
    weights = pd.DataFrame({"criterion": [c.name for c in std.criteria], "before": np.round(start_shares, 4),
                            "after": np.round(shares, 4)})
    bar_table = pd.DataFrame(
        [{"tier": t.name, "before": t.min_score, "after": u.min_score}
         for t, u in zip(std.tiers, tuned_std.tiers, strict=True) if t.min_score is not None]
        if bars else [], columns=["tier", "before", "after"])
    training, held = _summary(table.loc[table["role"] == "training"]), _summary(table.loc[table["role"] == "held out"])
    held["cutoff"] = test[0]
    text = tuned_text(std, shares, comment=_comment(std, weights, bar_table, table, training, held, objective, days,
                                                    max_change), bars=bar_table)
    new = load_standard(text, extra_fields=tuple(extras), attributes=tuple(people))
    return Tuned(new, objective, weights, table, training, held, bar_table)


def _summary(rows: pd.DataFrame) -> dict[str, Any]:
    """Mean value captured, share of customers selected and excess, before and after."""
    out: dict[str, Any] = {}
    for when in ("before", "after"):
        out[when] = float(rows[when].mean())
        out[f"share_{when}"] = float(rows[f"share_{when}"].mean())
        out[f"excess_{when}"] = out[when] - out[f"share_{when}"]
    return out


def _best_shift(std: Standard, cutoffs: Sequence[tuple[pd.DataFrame, np.ndarray, dict[str, Any] | None]],
                limit: float) -> float:
    """The whole-point shift of the tier bars (within ``limit``) whose selections captured the most
    value beyond their size over ``cutoffs`` (fields, value, fallback); ties go to the smallest move."""
    best, best_gain = 0.0, -np.inf
    bars = [t.min_score for t in std.tiers if t.min_score is not None]
    lo, hi = (max(-int(limit), -int(min(bars))), min(int(limit), int(100 - max(bars)))) if bars else (0, 0)
    # the bars move together and keep their spacing: no shift pushes one past 0 or 100
    for shift in sorted(range(lo, hi + 1), key=lambda d: (abs(d), -d)):
        variant = _with_bars(std, float(shift))
        gain = float(np.mean([excess(v, selection(f, scored_by(variant, fb))[0]) for f, v, fb in cutoffs]))
        if gain > best_gain + 1e-9:
            best, best_gain = float(shift), gain
    return best


def _comment(std: Standard, weights: pd.DataFrame, bars: pd.DataFrame, table: pd.DataFrame,
             training: dict[str, Any], held: dict[str, Any], objective: str, days: int, max_change: float) -> list[str]:
    train = table.loc[table["role"] == "training", "cutoff"]
    moved = "weights and tier bars" if len(bars) else "weights"
    kept = "Criteria, gates, quotas and capacity" if len(bars) else "Criteria, gates, tiers and capacity"
    out = [f"Tuned from {std.name} v{std.version} by `xuanba standard tune`: the weights that captured the most "
           f"{objective} in the {days} days after each training cutoff ({train.iloc[0]} to {train.iloc[-1]}), "
           f"each share moved at most {max_change:g}. {kept} are unchanged.",
           "Shares of the score, before -> after: " + ", ".join(
               f"{r.criterion} {r.before:.2f} -> {r.after:.2f}" for r in weights.itertuples(index=False)) + "."]
    if len(bars):
        out.append("Tier bars (min_score), moved together to where the selection captured the most "
                   f"{objective} beyond its share of customers: " + ", ".join(
                       f"{r.tier} {r.before:g} -> {r.after:g}" for r in bars.itertuples(index=False)) + ".")
    for label, s in ((f"Training cutoffs, mean {objective} captured", training),
                     (f"Held-out cutoff {held['cutoff']} (never seen by the search)", held)):
        out.append(f"{label}: {s['before']:.1%} -> {s['after']:.1%} with {s['share_before']:.1%} -> "
                   f"{s['share_after']:.1%} of the customers selected (beyond that share: "
                   f"{s['excess_before']:+.1%} -> {s['excess_after']:+.1%}).")
    worse = held["excess_after"] < held["excess_before"] if len(bars) else held["after"] < held["before"]
    if worse:
        out.append(f"The tuned {moved} did WORSE on the held-out cutoff: keep the current standard.")
    return out


def _next_version(version: str) -> str:
    return str(int(version) + 1) if version.isdigit() else f"{version}-tuned"


def tuned_text(std: Standard, shares: np.ndarray, comment: Sequence[str] = (), bars: pd.DataFrame | None = None) -> str:
    """The standard's TOML with each criterion's ``weight`` set to its new share (two decimals,
    summing to 1), each tier's ``min_score`` to its new bar (``bars``: tier, after), the version
    raised and ``comment`` on top; everything else as written."""
    new_bars = dict(zip(bars["tier"], bars["after"], strict=True)) if bars is not None and len(bars) else {}
    weights = np.round(np.asarray(shares, dtype=float), 2)
    weights[int(np.argmax(weights))] += round(1.0 - float(weights.sum()), 2)  # the rounding remainder
    lines = [line.removesuffix("\r") for line in toml_lines(std.text)]  # a U+2028 in a label stays in it
    if lines and not lines[-1]:  # the text's last line end
        lines.pop()
    out: list[str] = [f"# {line}" for line in _wrap(comment)]
    section, k, tier = "", -1, -1
    for line in lines:
        head = re.match(r"^\s*\[\[?\s*([\w.]+)\s*\]\]?", line)
        if head:
            section = head.group(1)
            if section == "criteria" and line.strip().startswith("[["):
                k += 1
            if section == "tiers" and line.strip().startswith("[["):
                tier += 1
        if section == "criteria" and re.match(r"^\s*weight\s*=", line):
            line = f"weight = {weights[k]:.2f}"
        elif section == "tiers" and std.tiers[tier].name in new_bars and re.match(r"^\s*min_score\s*=", line):
            line = re.sub(r"=\s*[-+0-9.eE]+", f"= {new_bars[std.tiers[tier].name]:g}", line, count=1)
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
