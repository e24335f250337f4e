"""``model = "auto"``: choose the purchase model on the data, at a cutoff.

1. Every candidate (BG/NBD, MBG/NBD, Pareto/NBD) is fitted on the facts at the cutoff; a fit that
   fails, or whose ``problems_`` say it cannot be trusted (an estimate at an edge, a singular or
   ill-conditioned Hessian, a zero or non-finite standard error, no convergence), is dropped.
2. Inside the calibration window, the last :func:`holdout_days` before the cutoff are held out:
   every candidate is fitted on the purchases before them and predicts what each customer bought
   in them (:func:`xuanba.models.evaluate.evaluate`).
3. **Criterion**: the customer-weighted mean absolute error of the mean holdout purchases by
   calibration frequency (``group_mae``, Fader, Hardie & Lee's classic check); lowest wins.
   When the window is too short for a holdout, or no candidate could be checked on it, the
   lowest BIC of the fits at the cutoff decides instead.
4. **One-time buyers**: BG/NBD gives P(alive) = 1 to every customer who never bought again,
   however long ago. When BG/NBD wins, a usable model without that property (MBG/NBD,
   Pareto/NBD) is taken instead if it predicts **as well**: its criterion within
   :data:`AS_WELL` (5%) of BG/NBD's, or within :data:`AS_WELL_ABS` purchases.

Example
-------
>>> from xuanba.models.simulate import simulate_transactions
>>> tx = simulate_transactions("pareto-nbd", 300, "2023-01-01", "2025-12-31", seed=2)
>>> c = choose_model(tx, "2025-12-31")
>>> c.model in ("bgnbd", "mbgnbd", "pareto-nbd"), c.criterion
(True, 'group_mae')
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xuanba._dates import as_date
from xuanba.errors import XuanbaError
from xuanba.i18n import t
from xuanba.models.evaluate import MIN_CALIBRATION_DAYS

#: The candidates of ``auto``, in the order a tie is broken.
CANDIDATES: tuple[str, ...] = ("pareto-nbd", "mbgnbd", "bgnbd")
#: Models under which a customer with no repeat purchase is alive for sure (P(alive) = 1).
ONE_TIME_ALIVE: frozenset[str] = frozenset({"bgnbd"})
#: "Predicts as well": a criterion within this share of the best one ...
AS_WELL = 0.05
#: ... or within this many purchases of it.
AS_WELL_ABS = 0.005
#: The holdout inside the calibration window: a third of it, at most a year ...
MAX_HOLDOUT_DAYS = 365
#: ... at least four weeks, and leaving at least 90 days to fit on (else BIC decides).
MIN_HOLDOUT_DAYS = 28


@dataclass
class Choice:
    """What ``auto`` chose and why.

    ``model`` is the chosen CLI name (``None`` when no candidate is usable); ``fitted`` holds the
    fits at the cutoff by name (usable or not); ``candidates`` one record per candidate (``name``,
    ``usable``, ``error``, ``problems``, ``group_mae``, ``rmse``, ``bic``); ``reason`` says in one
    sentence why the winner won (or why there is none); ``checked`` the fits of the holdout check
    by name; ``evaluation`` the holdout check itself (an :class:`~xuanba.models.evaluate.Evaluation`
    of every candidate, ``None`` without one), which a round's own model check reuses when it
    covers the same window; ``histories`` the distinct histories the candidates were fitted on
    (:func:`~xuanba.models.predict.purchase_histories` of the facts), which the predictions of the
    chosen model reuse.
    """

    model: str | None
    criterion: str
    reason: str
    candidates: list[dict[str, Any]]
    holdout: dict[str, Any] | None = None
    fitted: dict[str, Any] = field(default_factory=dict, repr=False)
    checked: dict[str, Any] = field(default_factory=dict, repr=False)
    evaluation: Any = field(default=None, repr=False)
    histories: tuple[pd.DataFrame, np.ndarray] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (what a round stores under ``model_choice``)."""
        return {"model": self.model, "criterion": self.criterion, "reason": self.reason,
                "candidates": self.candidates, "holdout": self.holdout}


def holdout_days(span_days: float) -> int:
    """Days held out at the end of a calibration window of ``span_days`` (0: too short).

    >>> holdout_days(1200), holdout_days(300), holdout_days(100)
    (365, 100, 0)
    """
    days = int(min(MAX_HOLDOUT_DAYS, span_days // 3))
    if days < MIN_HOLDOUT_DAYS or span_days - days < MIN_CALIBRATION_DAYS:
        return 0
    return days


def holdout_start(cutoff: dt.date, first_day: dt.date) -> dt.date | None:
    """The calibration end of :func:`choose_model`'s holdout check at ``cutoff`` when the longest
    history begins on ``first_day`` (its span in whole days, as the facts' longest ``T`` reads
    back: :func:`~xuanba.models.evaluate.span_days`); ``None`` when the span is too short for one.

    >>> holdout_start(dt.date(1997, 9, 30), dt.date(1997, 1, 1)), holdout_start(dt.date(1997, 3, 1), dt.date(1997, 1, 1))
    (datetime.date(1997, 7, 2), None)
    """
    hold = holdout_days(float((cutoff - first_day).days))
    return cutoff - dt.timedelta(days=hold) if hold else None


def _plain(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return v


def _record(name: str, error: str = "") -> dict[str, Any]:
    """A candidate's record before its fit (see :class:`Choice`)."""
    return {"name": name, "usable": False, "error": error, "problems": [], "group_mae": None, "rmse": None,
            "bic": None}



def _submit(pool: ThreadPoolExecutor, fn: Callable[..., Any], *args: Any) -> Any:
    """``pool.submit(fn, *args)`` run in a copy of the caller's context: what the task keeps on an
    engine (a Spark sort, :func:`xuanba.standard.engine_spark.kept_for_call`) belongs to the
    caller's block, not to the backend until the round ends."""
    return pool.submit(contextvars.copy_context().run, fn, *args)

def choose_model(
    source: Any,
    cutoff: dt.date | str,
    *,
    facts: pd.DataFrame | None = None,
    time_unit: str = "week",
    penalizer: float = 0.0,
    candidates: tuple[str, ...] = CANDIDATES,
    start: Mapping[str, Any] | None = None,
    check_start: Mapping[str, Any] | None = None,
    histories: pd.DataFrame | None = None,
    holdout: Callable[..., Any] | None = None,
    calibration: tuple[dt.date, pd.DataFrame] | None = None,
) -> Choice:
    """Fit the candidates at ``cutoff``, drop the untrustworthy ones, pick the best predictor.

    ``source`` is a workspace or a transactions table; ``facts`` the customer facts at the cutoff
    in ``time_unit`` (computed when not given). See the module docstring for the criterion.
    ``start`` and ``check_start``: where the fits at the cutoff and those of the holdout check
    begin, by candidate (e.g. ``fitted`` and ``checked`` of the choice at an earlier cutoff); the
    choice is the same, reached in fewer steps. ``calibration``: a calibration end and its table
    with the holdout ending at the cutoff, read already (:func:`xuanba.facts.facts_and_holdout`),
    which the holdout check uses when its window begins there instead of reading its own.

    An engine that holds the transactions gives what is read of them instead (then ``source`` and
    ``facts`` are not read): ``histories``, the distinct ``(frequency, recency, T)`` of the facts at
    the cutoff with their ``customers`` (in the order of their first customer, as
    :func:`~xuanba.models.predict.purchase_histories` gives them), and ``holdout(calibration_end,
    holdout_end, models=..., time_unit=..., penalizer=..., start=...)``, the
    :class:`~xuanba.models.evaluate.Evaluation` of the candidates on the holdout.
    """
    from xuanba.facts import DAYS_PER_UNIT, customer_facts
    from xuanba.models.evaluate import evaluate, span_days
    from xuanba.models.predict import COUNT, fit_model, purchase_histories

    cut = as_date(cutoff, "cutoff")
    if facts is None and histories is None:
        facts = customer_facts(source, cut, time_unit=time_unit)
    longest = histories if histories is not None else facts
    span = span_days(float(longest["T"].max()), DAYS_PER_UNIT[time_unit]) if len(longest) else 0.0
    hold = holdout_days(span)
    first_held = cut - dt.timedelta(days=hold)
    read = calibration[1] if calibration is not None and calibration[0] == first_held else None

    def check() -> Any:
        """Every candidate on the holdout (in a thread: DuckDB and the fits release the GIL)."""
        try:
            if holdout is not None:
                return holdout(first_held, cut, models=list(candidates), time_unit=time_unit,
                               penalizer=penalizer, start=check_start)
            return evaluate(source, first_held, cut, models=list(candidates), time_unit=time_unit,
                            cumulative=False, penalizer=penalizer, start=check_start, calibration=read)
        except XuanbaError as exc:
            return exc

    def fit(name: str, hist: pd.DataFrame, weights: np.ndarray | None) -> tuple[dict[str, Any], Any]:
        """One candidate fitted at the cutoff: its record, and the model (``None`` if it failed)."""
        rec = _record(name)
        try:
            model = fit_model(name, hist, time_unit=time_unit, penalizer=penalizer, weights=weights,
                              start=(start or {}).get(name))
        except XuanbaError as exc:
            rec["error"] = exc.message
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            rec["error"] = f"{type(exc).__name__}: {exc}"
        else:
            rec["problems"] = list(model.problems_)
            rec["bic"] = _plain(model.bic_)
            rec["usable"] = not model.problems_
            return rec, model
        return rec, None

    records: dict[str, dict[str, Any]] = {}
    fitted: dict[str, Any] = {}
    # Two workers: the holdout check on one, the candidates at the cutoff one after another on the
    # other (each fit is its own and deterministic, so the order they finish in changes nothing);
    # DuckDB and NumPy's loops over the histories release the GIL, so both cores work. Leaving
    # the block waits for every task.
    with ThreadPoolExecutor(max_workers=2) as pool:
        check_run = _submit(pool, check) if hold else None
        # the candidates at the cutoff share one compressed table: the distinct histories
        grouped = None  # the histories and each customer's row in them: for the chosen model's predictions
        try:
            if histories is not None:
                hist = histories
            else:
                grouped = purchase_histories(facts) if len(facts) else None
                hist = grouped[0] if grouped is not None else facts
            bad = ""
        except XuanbaError as exc:  # impossible histories: every candidate says why
            hist, bad = facts, exc.message
        weights = hist[COUNT].to_numpy() if COUNT in hist.columns else None
        runs = {} if bad else {name: _submit(pool, fit, name, hist, weights) for name in candidates}
        for name in candidates:
            if bad:
                records[name] = _record(name, bad)
                continue
            records[name], model = runs[name].result()
            if model is not None:
                fitted[name] = model
        ev = check_run.result() if check_run is not None else None
    checked = dict(ev.models) if ev is not None and not isinstance(ev, XuanbaError) else {}
    evaluation = ev if checked else None
    holdout: dict[str, Any] | None = None
    criterion = "bic"
    if hold and any(r["usable"] for r in records.values()):
        holdout = {"calibration_end": first_held.isoformat(), "holdout_end": cut.isoformat(), "days": hold}
        if isinstance(ev, XuanbaError):
            holdout["error"] = ev.message
        elif ev is not None:
            holdout["warnings"] = ev.warnings
            for name, row in ev.comparison.iterrows():
                rec = records[str(name)]
                if not rec["usable"]:  # checked alongside, but only the usable ones compete
                    continue
                rec["group_mae"], rec["rmse"] = _plain(row["group_mae"]), _plain(row["rmse"])
                if row["error"] or row["problems"]:
                    rec["holdout_problem"] = str(row["error"] or row["problems"])
            if any(records[n]["group_mae"] is not None for n in records):
                criterion = "group_mae"
    usable = [n for n in candidates if records[n]["usable"]]
    if not usable:
        why = "; ".join(f"{n}: {r['error'] or '; '.join(r['problems'])}" for n, r in records.items())
        return Choice(None, criterion, t("choice_none", "en", why=why),
                      list(records.values()), holdout, fitted, checked, evaluation, grouped)

    def score(name: str) -> float:
        v = records[name][criterion]
        return float(v) if v is not None else math.inf

    ranked = sorted(usable, key=lambda n: (score(n), candidates.index(n)))
    best = ranked[0]
    # in English, as a round stores it (xuanba.i18n.choice_words says it in the reader's language)
    if criterion == "bic":
        reason = t("choice_bic", "en", model=best, bic=f"{score(best):,.1f}")
    else:
        reason = t("choice_holdout", "en", model=best, days=hold, error=f"{score(best):.4f}")
    if best in ONE_TIME_ALIVE and criterion == "group_mae":
        for other in ranked[1:]:
            if other in ONE_TIME_ALIVE:
                continue
            errors = {"other": other, "best": best, "other_error": f"{score(other):.4f}", "best_error": f"{score(best):.4f}"}
            if score(other) <= score(best) * (1 + AS_WELL):
                reason = t("choice_as_well", "en", **errors, share=f"{AS_WELL:.0%}")
            elif score(other) - score(best) <= AS_WELL_ABS:  # close in purchases, not within the share
                reason = t("choice_as_well_near", "en", **errors, gap=f"{AS_WELL_ABS:g}")
            else:
                continue
            best = other
            break
    return Choice(best, criterion, reason, list(records.values()), holdout, fitted, checked, evaluation, grouped)
