"""Run a round: facts and predictions at a cutoff, the standard applied, the roster stored.

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> from xuanba.standard import load_standard
>>> ws = Workspace(":memory:")
>>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
...                    "ts": pd.to_datetime(["2026-01-02", "2026-03-01", "2026-02-01", "2026-03-03"]),
...                    "amount": [10.0, 30.0, 5.0, 20.0]})
>>> ws.replace("transactions", tx)
>>> s = load_standard('[standard]\\nname = "r"\\nversion = "1"\\n[[criteria]]\\nname = "revenue"\\n'
...                   'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n')
>>> r = run_round(ws, s, "2026-03-31")
>>> r.round_id, r.roster.loc[0, "customer_id"], r.meta["n_selected"]
(1, 'a', 1)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba._dates import as_date, check_unit
from xuanba._frames import column_values, ids_sorted, is_frame, positions_in, same_values, to_pandas
from xuanba.errors import DataError, InputError, Listed, Phrase, no_id_fix, quoted
from xuanba.rounds.extra_names import extra_field_names, missing_words, not_finite
from xuanba.standard.apply import DEFAULT_SCORING, SCORING_ENGINES, scorer
from xuanba.standard.schema import (
    ACCOUNT_COLUMNS,
    CUSTOMER_COLUMNS,
    PREDICTION_COLUMNS,
    Standard,
    as_read,
    load_standard,
)
from xuanba.standard.score import SCORING_RULES, LongTable, contribution_parts
from xuanba.workspace import Workspace, open_workspace

Progress = Callable[[str], None]


@dataclass
class StoredTable:
    """A small table a round computed besides its roster (an account analysis, the model check,
    a saved model): ``info`` holds its window, as-of date and headline figures, ``frame`` the
    rows (``None`` when the figures are all there is)."""

    info: dict[str, Any]
    frame: pd.DataFrame | None = None


@dataclass(repr=False)
class Round:
    """One round: its id in the workspace (0 when not stored), facts about it, the standard used,
    the roster (one row per customer, by rank), the contributions (long; a round just run holds
    their parts and makes the table when it is first read, see
    :class:`~xuanba.standard.score.LongTable`), the per-customer fields it scored (``fields``)
    and the tables it computed at its cutoff (``tables``)."""

    round_id: int
    meta: dict[str, Any]
    standard: Standard
    roster: pd.DataFrame
    contributions: pd.DataFrame = LongTable()  # type: ignore[assignment]
    fields: pd.DataFrame | None = None
    tables: dict[str, StoredTable] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Round(round_id={self.round_id!r}, meta={self.meta!r}, standard={self.standard!r}, roster={self.roster!r})"

    @property
    def selected(self) -> pd.DataFrame:
        """The roster rows of the selected customers."""
        return self.roster.loc[self.roster["selected"]].reset_index(drop=True)

    @property
    def scored_standard(self) -> Standard:
        """The standard as this round applied it: without the criteria and gates that a missing
        model made it drop (``meta["fallback"]``, see :func:`fallback_standard`); else the standard."""
        fallback = self.meta.get("fallback")
        if not fallback:
            return self.standard
        return fallback_standard(self.standard, set(fallback.get("unavailable") or []))[0]

    def _repr_html_(self) -> str:
        """The round in a notebook, in its standard's language: cutoff, counts, and the first
        selected customers with their name and owner when the workspace knows them."""
        from xuanba import _html
        from xuanba.i18n import t

        lang, m = self.standard.lang, self.meta
        title = (t("nb_round", lang, id=self.round_id, name=m.get("name", "")) if self.round_id
                 else t("nb_round_unstored", lang, name=m.get("name", "")))
        top = self.selected.head(10)
        cols = ["rank", "customer_id"]
        if self.fields is not None:
            from xuanba.ingest.sidetables import OWNER_ALIASES, PERSON_FIELDS

            people = [c for c in dict.fromkeys((*PERSON_FIELDS, *OWNER_ALIASES)) if c in self.fields.columns]
            if people:
                top = top.merge(self.fields[["customer_id", *people]], on="customer_id", how="left")
                cols += people
        cols += [c for c in ("tier", "score") if c in top.columns]
        pairs = [(t("nb_cutoff", lang), m.get("cutoff")),
                 (t("nb_standard", lang), f"{m.get('standard_name', '')} v{m.get('standard_version', '')}"),
                 (t("nb_customers", lang), m.get("n_customers")), (t("nb_selected", lang), m.get("n_selected")),
                 (t("nb_tiers", lang), _html.counts(m.get("tier_counts", {}))),
                 (t("nb_predictions", lang), m.get("predictions"))]
        return _html.card(title, pairs, _html.table(top[cols], caption=t("nb_top", lang)))

    @property
    def missing(self) -> list[str]:
        """The stored parts this round lacks (rounds written by an older xuanba): ``fields``
        (the per-customer table it scored), ``summary`` (its headline figures), ``holdout``
        (the check of its model, when it used one and did not skip it), ``accounts`` (the
        account analyses at its cutoff)."""
        out = [] if "field_columns" in self.meta else ["fields", "accounts"]  # stored together
        if "summary" not in self.meta:
            out.append("summary")
        if (str(self.meta.get("predictions", "")).startswith("model:") and "holdout" not in self.tables
                and self.meta.get("model_check") != "skipped"):
            out.append("holdout")
        return out


def as_standard(standard: Standard | str | Path, extra: list[str] | tuple[str, ...] = (),
                attributes: list[str] | tuple[str, ...] = ()) -> Standard:
    """A :class:`Standard` from itself, a ``.toml`` path or TOML text, whose rules may read the
    names a round gives: the built-in fields, ``attributes`` (the columns of the workspace's
    customers table the round joins, :func:`customer_attributes`) and ``extra`` (the columns of
    its extra fields). Every round, replay, backtest and tune reads its standard here. A
    :class:`Standard` built in Python (``Standard(...)``, ``Standard.model_validate``: no TOML
    text, so :func:`load_standard` never saw it) is read here from the text it stands for, checked
    as a file is before any work and given that text to store (:func:`~xuanba.standard.schema.as_read`);
    one read from TOML was checked when it was read (a name it was read with that the round lacks
    is said by :func:`fields_missing`).

    Example
    -------
    >>> text = ('[standard]\\nname = "a"\\nversion = "1"\\n[[criteria]]\\nname = "revenue"\\n'
    ...         'field = "revenue_365d"\\nweight = 1\\n[[gates]]\\nname = "g"\\nexpr = "industry != \\'internal\\'"\\n')
    >>> [g.expr for g in as_standard(text, attributes=["industry"]).gates]
    ["industry != 'internal'"]
    """
    if isinstance(standard, Standard):
        return standard if standard.text else as_read(standard, extra_fields=tuple(extra),
                                                      attributes=tuple(attributes))
    return load_standard(standard, extra_fields=tuple(extra), attributes=tuple(attributes))


def customer_attributes(workspace: Workspace | str | Path | None) -> list[str]:
    """The columns of the ``customers`` table of ``workspace`` (a :class:`~xuanba.Workspace` or
    its file; none when there is no file or no such table) that a round joins to its fields, so
    that a standard may read them: every column but ``customer_id``, ``round_id`` and those named,
    in any case, like a field a round computes itself (a fact, a prediction or its interval, an
    account field), which :func:`gather_fields` leaves out. Only names are read (the table's
    schema), never its rows.

    Example
    -------
    >>> with Workspace(":memory:") as ws:
    ...     ws.replace("customers", pd.DataFrame({"customer_id": ["a"], "industry": ["x"], "Orders": [1]}))
    ...     customer_attributes(ws)
    ['industry']
    """
    from xuanba.facts import FACT_COLUMNS
    from xuanba.models.predict import INTERVAL_COLUMNS
    from xuanba.models.predict import PREDICTION_COLUMNS as PREDICTED

    if workspace is None or (not isinstance(workspace, Workspace) and not Path(workspace).exists()):
        return []
    with open_workspace(workspace, read_only=True) as ws:
        columns = list(ws.columns("customers"))
    taken = {c.lower() for c in (*FACT_COLUMNS, *PREDICTED, *INTERVAL_COLUMNS, *ACCOUNT_COLUMNS, "round_id")}
    return [c for c in columns if c != "customer_id" and c.lower() not in taken]


def _as_cutoff(cutoff: dt.date | str | None) -> dt.date:
    if cutoff is None:
        raise InputError(Phrase("err_round_needs_cutoff_date"), fix=Phrase("err_round_needs_cutoff_date_fix"))
    return as_date(cutoff, "cutoff")


#: Prediction columns that need the spend model (Gamma-Gamma) besides the purchase model.
SPEND_COLUMNS = ("expected_spend", "clv_1y", "clv_3y")


def _predict(ws: Workspace, facts: pd.DataFrame, standard: Standard, cutoff: dt.date,
             time_unit: str, warm: dict[str, Any] | None = None, intervals: bool = False,
             calibration: tuple[dt.date, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Predictions of the standard's model (or of the one ``auto`` chose), the fitted models,
    and what the round keeps about them: ``model`` (the name used, or ``None``), ``warnings``
    (every warning the fits raised, and why a fit cannot be trusted), ``choice`` (``auto``'s
    candidates and reason), ``unavailable`` (prediction columns no model could give) and
    ``reason``.

    ``warm`` (a backtest's, across its cutoffs): the fits start from the estimates it holds and
    leave theirs in it for the next cutoff (same optima, fewer steps; see ``Model.fit``).
    ``intervals``: also the ``<prediction>_lower/_upper`` of the standard's ``[predictions]
    interval`` (when it sets one); the fits' reasons to give none are among the warnings.
    ``calibration``: a calibration end before the cutoff and its table, read with the facts
    (:func:`gather_fields`); ``auto``'s holdout check uses it when its window begins there."""
    from xuanba.errors import XuanbaError
    from xuanba.models._caught import catching
    from xuanba.models.predict import PREDICTION_COLUMNS as PREDICTED
    from xuanba.models.predict import predict_customers

    p = standard.predictions
    info: dict[str, Any] = {"model": None, "choice": None, "unavailable": [], "reason": ""}
    table = pd.DataFrame({"customer_id": facts["customer_id"]})
    models: dict[str, Any] = {}
    with catching() as caught:  # every thread of the fits: see xuanba.models._caught
        chosen = None
        try:
            if p.model == "auto":
                from xuanba.models.choose import choose_model

                choice = choose_model(ws, cutoff, facts=facts, time_unit=time_unit, penalizer=p.penalizer,
                                      start=(warm or {}).get("auto"), check_start=(warm or {}).get("auto_check"),
                                      calibration=calibration)
                if warm is not None:
                    warm["auto"], warm["auto_check"] = _trusted(choice.fitted), _trusted(choice.checked)
                info["choice"] = choice.to_dict()
                if choice.model is None:
                    raise _NoModel(choice.reason)
                if warm is None:  # the choice's holdout year is the round's model check (fits started alike)
                    info["check"] = model_check_of(choice.evaluation, choice.model, cutoff, time_unit, p.penalizer)
                choice.evaluation = None  # its per-customer tables: not kept past here
                info["model"], chosen, histories = choice.model, choice.fitted[choice.model], choice.histories
            else:
                info["model"], histories = p.model, None
            table, models = predict_customers(
                facts, time_unit=time_unit, model=info["model"], discount_rate=p.discount_rate,
                margin=p.margin, return_models=True, penalizer=p.penalizer, purchase_model=chosen,
                spend_optional=True, start=(warm or {}).get(info["model"]),
                interval=p.interval if intervals else None, histories=histories)
            if warm is not None:
                warm[info["model"]] = _trusted(models)
        except (_NoModel, XuanbaError) as exc:
            info["model"] = None
            info["reason"] = str(exc) if isinstance(exc, _NoModel) else exc.message
            info["unavailable"] = [c for c in PREDICTED if c != "customer_id"]
            for col in info["unavailable"]:
                table[col] = np.nan
    if info["model"] is not None and "spend" not in models:
        info["unavailable"] = list(SPEND_COLUMNS)
        info["reason"] = str(table["spend_basis"].iloc[0]).removeprefix("unavailable: ") if len(table) else ""
    info["warnings"] = fit_warnings(caught, models)
    return table, models, info


def about_the_fit(w: Any) -> bool:
    """Whether the caught warning ``w`` says something of a fit: numerical trouble (numpy's
    ``RuntimeWarning``: overflow, invalid value; scipy's ``OptimizeWarning``, ``IntegrationWarning``,
    ``LinAlgWarning``) or xuanba's own words (warned from its code). A library's noise is not:
    its deprecations, an unclosed socket of py4j (``ResourceWarning``), a notice of Spark or pandas."""
    import os

    cat = w.category
    if issubclass(cat, DeprecationWarning | PendingDeprecationWarning | FutureWarning | ResourceWarning
                  | ImportWarning | BytesWarning | UnicodeWarning):
        return False
    if issubclass(cat, RuntimeWarning) or str(getattr(cat, "__module__", "")).split(".")[0] == "scipy":
        return True
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the xuanba package
    return os.path.abspath(str(w.filename or "")).startswith(here + os.sep)


def fit_warnings(caught: list[Any], models: dict[str, Any]) -> list[str]:
    """The warnings a round says of its fits: what the fits warned (:func:`about_the_fit`; not a
    library's noise) and each fitted model's reasons not to trust it."""
    from xuanba.i18n import t  # raised in English; warning_words says them in the reader's language

    warned = {f"{w.category.__name__}: {w.message}" for w in caught if about_the_fit(w)}
    for model in models.values():
        for problem in getattr(model, "problems_", []):
            warned.add(t("trust_problem", "en", model=type(model).__name__, problem=problem))
    return sorted(warned)


def _trusted(models: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The estimates of the fits that can be trusted, by name: where the next cutoff's fits start.
    A fit run to an edge of its space is no place to start from (the search would stop there)."""
    return {name: m.params_.to_numpy() for name, m in models.items() if not getattr(m, "problems_", [])}


class _NoModel(Exception):
    """No purchase model can be used at this cutoff (the message says why)."""


def fallback_standard(standard: Standard, unavailable: set[str]) -> tuple[Standard, dict[str, Any]]:
    """The standard a round scores with when the predictions in ``unavailable`` are missing
    (``on_no_model = "drop"``): criteria, gates and tie-breaks that read one are left out, the
    other criteria keep their weights (so their shares grow). Returns it and what was left out.

    Example
    -------
    >>> s = load_standard('[standard]\\nname = "f"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...     'field = "revenue_365d"\\nweight = 0.5\\n[[criteria]]\\nname = "alive"\\nfield = "p_alive"\\n'
    ...     'weight = 0.5\\n[[gates]]\\nname = "g"\\nexpr = "p_alive > 0.2"\\n')
    >>> f, left = fallback_standard(s, {"p_alive"})
    >>> [c.name for c in f.criteria], left["criteria"], left["gates"]
    (['rev'], ['alive'], ['g'])
    """
    from xuanba.errors import ModelError
    from xuanba.standard.expressions import fields_read

    crits = [c for c in standard.criteria if not fields_read(c.field) & unavailable]
    gates = [g for g in standard.gates if not fields_read(g.expr) & unavailable]
    order = [o for o in standard.tie_break.order if o.split()[0] not in unavailable]
    left = {"criteria": [c.name for c in standard.criteria if c not in crits],
            "gates": [g.name for g in standard.gates if g not in gates],
            "tie_break": [o for o in standard.tie_break.order if o not in order]}
    if not crits:
        raise ModelError(Phrase("err_no_model_every_criterion"), fix=Phrase("err_no_model_every_criterion_fix"))
    if standard.capacity.cost_field and fields_read(standard.capacity.cost_field) & unavailable:
        raise ModelError(Phrase("err_no_model_cost_field", field=quoted(standard.capacity.cost_field)),
                         fix=Phrase("err_no_model_cost_field_fix"))
    out = standard.model_copy(update={"criteria": crits, "gates": gates,
                                      "tie_break": standard.tie_break.model_copy(update={"order": order})})
    out._privacy = None
    return out, left


def model_summary(model: Any) -> dict[str, Any]:
    """What a round keeps of a fitted model: estimates, standard errors, fit statistics."""
    summary = model.summary()
    out: dict[str, Any] = {
        "model": type(model).__name__,
        "param_names": [str(k) for k in summary.index],  # the papers' order (meta is stored key-sorted)
        "params": {k: float(v) for k, v in summary["estimate"].items()},
        "stderr": {k: float(v) for k, v in summary["stderr"].items()},
        **{k: float(v) for k, v in model.fit_stats().items()},
        "converged": bool(getattr(model, "converged_", True)),
    }
    excluded = getattr(model, "excluded_counts_", None)
    if excluded:
        out["excluded"] = {str(k): int(v) for k, v in dict(excluded).items()}
    corr = getattr(model, "frequency_spend_correlation_", None)
    if corr is not None and np.isfinite(corr):
        out["frequency_spend_correlation"] = float(corr)
    return out


def _merge(base: pd.DataFrame, other: pd.DataFrame, what: str, override: bool, owned: bool = False) -> pd.DataFrame:
    """``base`` with the columns of ``other`` joined by customer (a left join; ``override``: its
    columns replace those of the same name), its floats rounded as :func:`_steady` rounds them.
    ``owned``: ``other`` was made for this table and is dropped after (the round's predictions):
    when it has the same customers in the same order, its float arrays are rounded in place and
    placed as they are, not rounded into new arrays and compared (see :func:`_round_own`)."""
    if "customer_id" not in other.columns:
        raise DataError(Phrase("err_table_no_id", what=Phrase(f"err_what_{what.replace(' ', '_')}")),
                        fix=no_id_fix(other))
    ids = other["customer_id"].astype(str)
    cols = [c for c in other.columns if c != "customer_id"]
    if not override:
        cols = [c for c in cols if c not in base.columns]
    if len(ids) == len(base) and same_values(ids, base["customer_id"]):
        # the same customers in the same order (a model's predictions of the facts): the join is
        # a placing of columns, without hashing a million ids twice
        out = base.drop(columns=[c for c in cols if c in base.columns]).copy(deep=False)
        rounded = []
        for c in cols:
            values = column_values(other[c])
            own = _round_own(values) if owned else None
            if own is not None:
                values = own
                rounded.append(c)
            out[c] = values
        return _steady(out, [c for c in cols if c not in rounded])
    other = other.copy()
    other["customer_id"] = ids
    if other["customer_id"].duplicated().any():
        dups = other.loc[other["customer_id"].duplicated(), "customer_id"].unique()
        raise DataError(Phrase("err_table_id_twice", what=Phrase(f"err_what_{what.replace(' ', '_')}")),
                        examples=dups[:5], count=len(dups), fix=Phrase("err_one_row_per_id_fix"))
    if override:
        base = base.drop(columns=[c for c in cols if c in base.columns])
    return _steady(base.merge(other[["customer_id", *cols]], on="customer_id", how="left"), cols)


def gather_fields(
    workspace: Workspace,
    standard: Standard,
    cutoff: dt.date,
    *,
    time_unit: str = "week",
    predictions: pd.DataFrame | None = None,
    extra_fields: pd.DataFrame | None = None,
    progress: Progress | None = None,
    warm: dict[str, Any] | None = None,
    intervals: bool = False,
    facts: pd.DataFrame | None = None,
    checked: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every field of every customer with a purchase by ``cutoff``: what the round scores and
    stores.

    Facts always (every float field rounded, see :func:`_steady`); predictions when the standard
    uses one (``predictions`` given, else the model named in the standard); the account fields when the standard uses one or the
    workspace holds account side tables (so a round stores profit after cost-to-serve); every
    column of the ``customers`` table (name, owner, segment …); ``extra_fields`` last (its
    columns win). ``notes`` says where each part came from; ``notes["fitted"]`` holds the
    fitted models; ``warm``: see :func:`_predict`. ``intervals`` (a round's): the predictions'
    intervals when the standard asks for them (``[predictions] interval``), and
    ``notes["intervals"]`` their level and columns. ``facts``:
    :func:`~xuanba.facts.customer_facts` at ``cutoff`` when read already (a backtest reads the
    next cutoff's while this one fits). ``checked``: the round checks its model on the year before
    the cutoff (:func:`model_check`); when the facts are read here and a model is fitted, a
    calibration table is read with them (one pass over the transactions,
    :func:`~xuanba.facts.facts_and_holdout`): ``auto``'s holdout window when it has one
    (:func:`~xuanba.models.choose.holdout_start`: its check then reads nothing more), else that
    year's; that year's is left in ``notes["calibration"]`` when the check still needs it.
    """
    from xuanba.facts import customer_facts, facts_and_holdout

    say = progress or (lambda _msg: None)
    used = standard.fields_used()
    given = set(extra_fields.columns) if extra_fields is not None else set()
    fitting = predictions is None and bool((used & set(PREDICTION_COLUMNS)) - given)
    say("facts")
    calibration = None  # (its calibration end, the table)
    first: list[dt.date | None] = [None]  # the first transaction's day, when the facts read it here
    own = facts is None  # read here: a frame of the round's own, rounded where it lies (see _steady)
    # rounded before the models see them, so the same data give the same fit (see _steady)
    if facts is None and fitting and (checked or standard.predictions.model == "auto"):
        window = [check_start(cutoff)]

        def calibration_end(first_day: dt.date) -> dt.date:
            """``auto``'s holdout window when it has one (the model check then reads its year
            itself, unless that is the same window), else the model check's year."""
            from xuanba.models.choose import holdout_start

            first[0] = first_day
            if standard.predictions.model == "auto":
                window[0] = holdout_start(cutoff, first_day) or window[0]
            return window[0]

        facts, read = facts_and_holdout(workspace, cutoff, calibration_end, time_unit=time_unit)  # type: ignore[arg-type]
        # no customer before the check's calibration end: the check says why, reading it
        calibration = None if read.empty else (window[0], read)
    elif facts is None:
        facts = customer_facts(workspace, cutoff, time_unit=time_unit)  # type: ignore[arg-type]
    table = _steady(facts, own=own)
    del facts  # its float columns, rounded into table: not held twice while the model fits (0.9 GB at 10 M)
    table["customer_id"] = table["customer_id"].astype(str)
    notes: dict[str, Any] = {"predictions": "none", "account_fields": False, "extra_fields": [],
                             "customer_fields": [], "customer_fields_skipped": []}
    if checked and first[0] is not None:  # for the model check (popped before anything is stored)
        notes["first_day"] = first[0]
    if predictions is not None:
        table = _merge(table, predictions, "predictions", override=True)
        notes["predictions"] = "given"
    elif fitting:
        say(f"predictions ({standard.predictions.model})")
        predicted, models, info = _predict(workspace, table, standard, cutoff, time_unit, warm, intervals,
                                           calibration)
        table = _merge(table, predicted, "predictions", override=True, owned=True)
        if intervals and standard.predictions.interval is not None:
            from xuanba.i18n import warnings_of
            from xuanba.models.predict import INTERVAL_COLUMNS

            notes["intervals"] = {"level": standard.predictions.interval, "method": "delta",
                                  "columns": [c for c in INTERVAL_COLUMNS if c in predicted.columns],
                                  "warnings": warnings_of("interval_none", info["warnings"])}
        notes["predictions"] = f"model:{info['model']}" if info["model"] else "unavailable"
        notes["models"] = {role: model_summary(m) for role, m in models.items()}
        notes["model_warnings"] = info["warnings"]
        notes["fitted"] = models
        notes["model_name"] = info["model"]
        if info["choice"] is not None:
            notes["model_choice"] = info["choice"]
        if info.get("check") is not None:
            notes["model_check"] = info["check"]
        elif checked and calibration is not None and calibration[0] == check_start(cutoff):
            notes["calibration"] = calibration[1]
        calibration = None  # used, or left to the check: not held here past the predictions
        if info["unavailable"]:
            notes["unavailable"] = {"fields": info["unavailable"], "reason": info["reason"],
                                    "on_no_model": standard.predictions.on_no_model}
    has_side = any(workspace.has_table(k) for k in ("interactions", "commitments", "contacts"))
    if (used & set(ACCOUNT_COLUMNS)) - given or has_side:
        say("account fields")
        from xuanba.accounts.stored import workspace_account_fields

        table = _merge(table, workspace_account_fields(workspace, as_of=cutoff), "account fields", override=False)
        notes["account_fields"] = True
    if workspace.has_table("customers"):
        people = workspace.sql("SELECT * FROM customers")
        people["customer_id"] = people["customer_id"].astype(str)
        # a customers column whose name a fact already has, in any case (t and T), or round_id,
        # is left out of the round (and said so), not merged under a second spelling
        taken = {c.lower() for c in table.columns} | {"round_id"}
        clash = [c for c in people.columns if c != "customer_id" and str(c).lower() in taken]
        before = set(table.columns)
        table = _merge(table, people.drop(columns=clash).drop_duplicates("customer_id"), "customers", override=False)
        notes["customer_fields"] = [c for c in table.columns if c not in before]
        notes["customer_fields_skipped"] = [str(c) for c in clash]
    if extra_fields is not None:
        table = _merge(table, extra_fields, "extra fields", override=True)
        notes["extra_fields"] = extra_field_names(extra_fields)
        notes["extra_fields_not_finite"] = not_finite(extra_fields)
        notes["extra_fields_missing_words"] = missing_words(extra_fields)
    missing = sorted(f for f in used if f not in table.columns)
    if missing:
        raise fields_missing(missing)
    return table, notes


def fields_missing(missing: list[str], *, engine: bool = False) -> DataError:
    """The error of a round whose data lack fields the standard reads, each said with where it
    comes from: a prediction from the predictions table given, a fact from the transactions, an
    account field from the side tables, a customer attribute from the customers table, any other
    from the extra fields (``--fields``); ``engine``: a round on an engine, whose side tables are
    those of its ``--workspace``.

    Example
    -------
    >>> print(fields_missing(["region_score", "segment", "p_alive"]).message)
    the standard uses fields the data do not have:
      region_score (extra field: give it as a column of the --fields file, or extra_fields=)
      segment (customer attribute: load a customers table)
      p_alive (prediction: the predictions table lacks it; add that column, or give no predictions)
    """
    from xuanba.facts import FACT_COLUMNS

    side = "_engine" if engine else ""
    where = [Phrase("err_field_from_predictions", name=f) if f in PREDICTION_COLUMNS
             else Phrase("err_field_from_facts", name=f) if f in FACT_COLUMNS
             else Phrase(f"err_field_from_account{side}", name=f) if f in ACCOUNT_COLUMNS
             else Phrase(f"err_field_from_customers{side}", name=f) if f in CUSTOMER_COLUMNS
             else Phrase("err_field_from_extra", name=f) for f in missing]
    return DataError(Phrase("err_fields_missing", fields=where),
                     fix=Phrase(f"err_fields_missing_fix{side}"))


DECIMALS = 6
"""Numeric fields are rounded to this many decimals before scoring (see :func:`_steady`)."""


def _steady(table: pd.DataFrame, columns: list[str] | None = None, *, own: bool = False) -> pd.DataFrame:
    """Round float fields (of ``columns``, default all) to :data:`DECIMALS` places.

    Sums of floating-point money depend on the order in which the engine adds them (by a unit
    in the last place); rounding to a millionth removes that noise, so the same transactions in
    another order give the same roster, byte for byte.

    ``own``: ``table`` was made for the caller, which drops it after (the facts a round reads
    itself): its float64 columns are rounded where they lie (:func:`_round_own`), not into new
    arrays, and so ``table`` is changed too.
    """
    out = table.copy(deep=False)  # the text columns are shared, not copied
    for col in out.columns if columns is None else columns:
        if own and out[col].dtype == np.float64 and _round_own(out[col].to_numpy()) is not None:
            continue  # rounded where it lies: out's column is that array (0.4-1.7 s less at 10 M customers)
        if pd.api.types.is_float_dtype(out[col]):
            values = out[col].to_numpy(dtype=float, na_value=np.nan)
            rounded = np.round(values, DECIMALS)
            # a column rounded already (a round's fields, gathered rounded) is kept, not held twice
            if not (out[col].dtype == np.float64 and np.array_equal(rounded, values, equal_nan=True)):
                out[col] = rounded
    return out


def _round_own(values: Any) -> np.ndarray | None:
    """The float64 array that ``values`` (a column's ``to_numpy()``, a read-only view) shows,
    rounded in place as :func:`_steady` rounds (the same bits as ``np.round(values, DECIMALS)``),
    when it is a contiguous view of a writeable array: the column's own array, or its row of a
    frame's block of float columns (the facts as read, one block for all); else ``None`` and
    nothing is touched. Only the values ``values`` shows are rounded.

    Only for arrays that nothing else reads (a table made for the round and dropped after it): it
    spares a new array per column and the comparison :func:`_steady` makes to keep a rounded one
    (at 10 M customers 19 prediction columns of 80 MB each, about 3 s of CPU; the 11 float facts
    1.8 s).

    Example
    -------
    >>> a = np.array([0.1234567891, np.nan])
    >>> view = pd.Series(a, copy=False).to_numpy()
    >>> bool(view.flags.writeable), _round_own(view) is a, a.tolist()
    (False, True, [0.123457, nan])
    >>> block = np.array([[0.1234567891, 2.0], [1 / 3, 2 / 3]])  # two columns of a frame
    >>> _round_own(block[1].view()).tolist(), block[0].tolist()  # the second alone
    ([0.333333, 0.666667], [0.1234567891, 2.0])
    >>> _round_own(np.arange(3)) is None  # not floats
    True
    """
    if (not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.ndim != 1
            or not values.flags.c_contiguous):
        return None
    owner = values
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if not (owner.dtype == np.float64 and owner.flags.writeable and owner.flags.c_contiguous):
        return None
    start = values.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    if start < 0 or start % owner.itemsize or start + values.nbytes > owner.nbytes:
        return None
    if start == 0 and owner.ndim == 1 and owner.size == values.size:
        array = owner
    else:  # its values within the writeable array that holds them (a row of a block)
        first = start // owner.itemsize
        array = owner.reshape(-1)[first:first + values.size]
    np.round(array, DECIMALS, out=array)
    return array


def table_sha256(frame: pd.DataFrame, hashed: Mapping[str, np.ndarray] | None = None) -> str:
    """SHA-256 of a table's content (column names, then a stable 64-bit hash of every row,
    :func:`row_hashes`). ``hashed``: the :func:`column_hashes` of some of its columns, known
    already (a round hashes its customer ids once for the inputs and the roster).

    Examples
    --------
    >>> import pandas as pd
    >>> a = table_sha256(pd.DataFrame({"x": [1, 2]}))
    >>> a == table_sha256(pd.DataFrame({"x": [1, 2]})), a == table_sha256(pd.DataFrame({"x": [2, 1]}))
    (True, False)
    """
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    h.update(row_hashes(frame, hashed).tobytes())
    return h.hexdigest()


def row_hashes(frame: pd.DataFrame, hashed: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """The 64-bit hash of every row that :func:`table_sha256` digests: pandas'
    ``hash_pandas_object(frame, index=False)``, each column's :func:`column_hashes` folded
    together the way it folds them (CPython's tuple hash), so the values are the same.

    Example
    -------
    >>> f = pd.DataFrame({"id": ["a", "b"], "x": [1.5, None]})
    >>> bool((row_hashes(f) == pd.util.hash_pandas_object(f, index=False).to_numpy()).all())
    True
    """
    hashed = hashed or {}
    k = len(frame.columns)
    out = np.full(len(frame), 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    for i, (name, col) in enumerate(frame.items()):
        out ^= hashed[name] if name in hashed else column_hashes(col)
        out *= mult
        mult += np.uint64(82520 + 2 * (k - i))
    if k == 0:  # every row an empty tuple
        return np.full(len(frame), 0x345678 + 97531, dtype=np.uint64)
    out += np.uint64(97531)
    return out


def column_hashes(column: pd.Series) -> np.ndarray:
    """Each value's 64-bit hash, as ``pandas.util.hash_pandas_object(column, index=False)``
    gives it. For text, pandas first makes a dictionary of the distinct values and hashes those:
    for a column of distinct ids (a million customers) that dictionary costs four times the
    hashing itself, so a column whose first values are mostly distinct is hashed value by value
    (the same hashes; a missing value is pandas' ``2**64 - 1`` either way).

    Example
    -------
    >>> ids = pd.Series(["c1", "c2", None], dtype="str")
    >>> bool((column_hashes(ids) == pd.util.hash_pandas_object(ids, index=False).to_numpy()).all())
    True
    """
    values = column.array
    if (isinstance(column.dtype, pd.StringDtype) and len(values) >= 1024 and hasattr(values, "_pa_array")
            and len(set(values[:1024].tolist())) > 512):  # mostly distinct: no dictionary
        out = np.empty(len(values), dtype=np.uint64)
        for start in range(0, len(values), TEXT_HASH_BATCH):  # a Python string per value, a chunk at a time
            text = values[start:start + TEXT_HASH_BATCH].to_numpy(dtype=object, na_value="")
            out[start:start + len(text)] = pd.util.hash_array(text, categorize=False)
        out[column.isna().to_numpy()] = np.iinfo(np.uint64).max
        return out
    return pd.util.hash_pandas_object(column, index=False).to_numpy()


def coded_hashes(codes: np.ndarray, labels: list[str]) -> np.ndarray:
    """The :func:`column_hashes` of the text column whose values are ``labels[codes]`` (``codes``
    small integers, positions in ``labels``; a roster's tier, quadrant, ...), from the labels'
    own hashes: the hash of a text is the same wherever it stands.

    Example
    -------
    >>> codes, labels = np.array([2, 0, 1, 2], dtype=np.int16), ["", "A", "B"]
    >>> bool((coded_hashes(codes, labels) == column_hashes(pd.Series(["B", "", "A", "B"], dtype="str"))).all())
    True
    """
    return column_hashes(pd.Series(labels, dtype="str"))[codes]


#: Text values hashed at a time by :func:`column_hashes` (each is made a Python string to be
#: hashed: ten million of them at once held 0.6 GiB).
TEXT_HASH_BATCH = 1 << 18


def roster_bytes(roster: pd.DataFrame) -> bytes:
    """The canonical bytes of a roster: UTF-8 CSV, floats at full precision, ``\\n`` line ends."""
    return roster.to_csv(index=False, lineterminator="\n", float_format="%.17g").encode("utf-8")


def run_round(
    workspace: Workspace | str | Path | Any,
    standard: Standard | str | Path,
    cutoff: dt.date | str,
    *,
    time_unit: str = "week",
    predictions: pd.DataFrame | None = None,
    extra_fields: pd.DataFrame | None = None,
    name: str | None = None,
    store: bool = True,
    check_model: bool = True,
    progress: Progress | None = None,
    scoring_engine: str | None = None,
) -> Round:
    """Apply ``standard`` to every customer at ``cutoff`` and (by default) store the round.

    Parameters
    ----------
    workspace
        A :class:`~xuanba.Workspace` or the path of its file; its ``transactions`` are used.
        Or a table of transactions itself (pandas, polars or Arrow, with the columns
        :func:`xuanba.ingest.ingest` recognises): it is ingested into a workspace in memory,
        and the round is not stored (``round_id`` 0) since that workspace ends with the call.
    standard
        A :class:`~xuanba.standard.Standard`, a ``.toml`` path or TOML text.
    cutoff
        Facts and predictions as of this date (inclusive).
    time_unit
        Unit of recency and T for facts and the model: ``"day"``, ``"week"`` or ``"month"``.
    predictions
        A table with ``customer_id`` and prediction columns to use instead of fitting the
        model (tests, or predictions made elsewhere).
    extra_fields
        A table with ``customer_id`` and more fields the standard may use (columns win over
        computed ones of the same name).
    name
        A label for the round (default ``"<standard name> v<version> @ <cutoff>"``).
    store
        Append the round to the workspace in one transaction (the roster, its contributions, the
        fields it scored, the models, the model check and the account analyses: see
        :mod:`xuanba.rounds.store`); when false, ``round_id`` is 0.
    check_model
        When the round fits a model, also check it on the year before the cutoff (fitted on the
        data up to cutoff − 365 days, its forecast against what customers bought) and store the
        check for the report.
    progress
        Called with the name of each step (the CLI shows it).
    scoring_engine
        How the standard is applied: by default (``None`` or ``"duckdb"``) on the engine, as
        everywhere in xuanba (:mod:`xuanba.standard.apply`: the standard compiled to Ibis and run
        by an in-memory DuckDB); ``"pandas"`` is the reference implementation the engine is
        tested and measured against (and how rounds stored before the switch were scored). The
        round records it (``meta["scoring_engine"]``) so that its check rescores the same way.

    Returns
    -------
    Round
    """
    from xuanba.rounds.extra_names import checked_extra_fields, criteria_numbers

    scoring_engine = DEFAULT_SCORING if scoring_engine is None else scoring_engine
    if scoring_engine not in SCORING_ENGINES:
        raise InputError(Phrase("err_param_unknown", param="scoring_engine", value=repr(scoring_engine)),
                         fix=Phrase("err_use_one_of_list", names=str(list(SCORING_ENGINES))))
    cut = _as_cutoff(cutoff)
    check_unit(time_unit, "time_unit")
    if scoring_engine != "pandas":  # $XUANBA_SCORING_MEMORY read now: a mistyped size stops the round before its facts
        from xuanba.standard.engine import scoring_limits

        scoring_limits()
    predictions, extra_fields = to_pandas(predictions), to_pandas(extra_fields)  # polars/Arrow tables too
    extra_fields = checked_extra_fields(extra_fields)  # names checked before any is used
    extras = extra_field_names(extra_fields)
    if is_frame(workspace):  # a table of transactions, not a workspace: read it into one in memory
        from xuanba.ingest import ingest

        std = as_standard(standard, extras)
        criteria_numbers(extra_fields, std)
        with Workspace(":memory:") as mem:
            ingest(workspace, mem)
            return _run(mem, std, cut, time_unit, predictions, extra_fields, name, False, progress, check_model,
                        scoring_engine)
    with open_workspace(workspace, read_only=not store) as ws:
        std = as_standard(standard, extras, customer_attributes(ws))
        criteria_numbers(extra_fields, std)  # before the facts and the model, not when scoring
        return _run(ws, std, cut, time_unit, predictions, extra_fields, name, store, progress, check_model,
                    scoring_engine)


def check_start(cutoff: dt.date) -> dt.date:
    """The calibration end of a round's model check: a year before its cutoff.

    >>> check_start(dt.date(2026, 6, 30))
    datetime.date(2025, 6, 30)
    """
    return cutoff - dt.timedelta(days=365)


def model_check(ws: Workspace, model: str, cutoff: dt.date, time_unit: str, penalizer: float = 0.0,
                calibration: pd.DataFrame | None = None, first_day: dt.date | None = None) -> StoredTable:
    """The check of a round's purchase model on the year before its cutoff: the model fitted on
    the purchases up to cutoff − 365 days, its expected purchases in the following year against
    what customers bought, by calibration frequency (``bucket, customers, actual, predicted``),
    with the penalty the round's own fit used.
    When the data cannot support the check, ``info["error"]`` says why and there is no table.
    ``calibration``: that year's calibration table, read with the round's facts (else read here).
    ``first_day``: the first transaction's day, read with them: a year that begins before it is
    said so (as reading it would say) without reading the transactions again."""
    from xuanba.errors import XuanbaError
    from xuanba.facts.compute import check_first_transaction
    from xuanba.models.evaluate import evaluate

    start = check_start(cutoff)
    try:
        if calibration is None and first_day is not None:
            check_first_transaction(1, first_day, start)  # there are transactions: the facts were read
        ev = evaluate(ws, start, cutoff, models=(model,), time_unit=time_unit, cumulative=False, penalizer=penalizer,
                      calibration=calibration)
    except XuanbaError as exc:
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": exc.message})
    except Exception as exc:  # noqa: BLE001 - a side check never fails the round; its reason is kept
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": f"{type(exc).__name__}: {exc}"})
    return _check_table(ev, model, _check_info(model, cutoff, time_unit, penalizer))


def _check_info(model: str, cutoff: dt.date, time_unit: str, penalizer: float) -> dict[str, Any]:
    start = check_start(cutoff)
    return {"model": model, "calibration_end": start.isoformat(), "holdout_end": cutoff.isoformat(),
            "time_unit": time_unit, "penalizer": penalizer}


def model_check_of(ev: Any, model: str, cutoff: dt.date, time_unit: str, penalizer: float = 0.0) -> StoredTable | None:
    """The :func:`model_check` read from an evaluation already made (``auto``'s holdout check,
    which fits every candidate on the same year): ``None`` when ``ev`` is not that check (another
    window or unit, or without ``model``), so the round runs its own. Each model's fit and figures
    in an evaluation are its own, whichever others were fitted beside it.

    Example
    -------
    >>> model_check_of(None, "bgnbd", dt.date(2026, 6, 30), "week") is None  # no check to read
    True
    """
    info = _check_info(model, cutoff, time_unit, penalizer)
    if (ev is None or ev.calibration_end.isoformat() != info["calibration_end"]
            or ev.holdout_end.isoformat() != info["holdout_end"] or ev.time_unit != time_unit
            or model not in ev.comparison.index or model not in ev.by_frequency.columns):
        return None
    return _check_table(ev, model, info)


def _check_table(ev: Any, model: str, info: dict[str, Any]) -> StoredTable:
    """What a round stores of its model's check, from the evaluation of the check's year."""
    if ev.warnings:  # a check calibrated on a few days is no check: the report says why instead
        return StoredTable({**info, "error": ev.warnings[0]})
    if ev.comparison.loc[model, "error"]:
        return StoredTable({**info, "error": str(ev.comparison.loc[model, "error"])})
    table = ev.by_frequency
    frame = pd.DataFrame({"bucket": [str(i) for i in table.index], "customers": table["customers"].to_numpy(),
                          "actual": table["actual"].to_numpy(), "predicted": table[model].to_numpy()})
    weights = frame["customers"].to_numpy(dtype=float)
    err = np.abs(frame["predicted"] - frame["actual"]).to_numpy()
    info["mean_abs_error"] = float((err * weights).sum() / weights.sum()) if weights.sum() else None
    info["comparison"] = {k: float(v) for k, v in ev.comparison.loc[model].items()
                          if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)}
    return StoredTable(info, frame)


def _run(ws: Workspace, std: Standard, cut: dt.date, time_unit: str, predictions: pd.DataFrame | None,
         extra_fields: pd.DataFrame | None, name: str | None, store: bool, progress: Progress | None,
         check_model: bool = True, scoring_engine: str = DEFAULT_SCORING) -> Round:
    say = progress or (lambda _msg: None)
    table, notes = gather_fields(ws, std, cut, time_unit=time_unit, predictions=predictions,
                                 extra_fields=extra_fields, progress=progress, intervals=True, checked=check_model)
    checking = check_model and bool(notes.get("model_name"))
    done = notes.pop("model_check", None)
    calibration = notes.pop("calibration", None)
    first_day = notes.pop("first_day", None)
    if checking and done is not None:  # auto's holdout check was this check: nothing to refit
        check: Any = Future()
        check.set_result(done)
        return _score_and_store(ws, std, cut, time_unit, table, notes, name, store, say, check, scoring_engine)
    # The model check reads the workspace in DuckDB (which releases the GIL) while the standard is
    # applied (in an in-memory DuckDB of its own): nothing else touches the connection until the check is joined below, and the
    # check is always waited for, even when scoring fails.
    with _alongside(model_check if checking else None, ws, notes.get("model_name"), cut, time_unit,
                    std.predictions.penalizer, calibration, first_day) as check:
        return _score_and_store(ws, std, cut, time_unit, table, notes, name, store, say, check, scoring_engine)


@contextlib.contextmanager
def _alongside(fn: Callable[..., Any] | None, *args: Any) -> Iterator[Any]:
    """Run ``fn(*args)`` in a thread while the body runs (yielding its future, or ``None``
    without ``fn``); leaving waits for it."""
    if fn is None:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:  # exiting the pool waits for the thread
        yield pool.submit(fn, *args)


def applied_standard(std: Standard, notes: Mapping[str, Any], cut: dt.date) -> tuple[Standard, dict[str, Any] | None]:
    """The standard as it applies at ``cut`` given what :func:`gather_fields` found (``notes``):
    itself, or — when no model could give predictions it reads — without the criteria and gates
    that need them (``on_no_model = "drop"``, and what was dropped), or a :class:`ModelError`
    (``"stop"``). A round, a backtest, a tune and a what-if all score by this one rule."""
    if "unavailable" not in notes:
        return std, None
    from xuanba.errors import ModelError

    gone = notes["unavailable"]
    needed = sorted(set(gone["fields"]) & std.fields_used())
    if not needed:
        return std, None
    if std.predictions.on_no_model == "stop":
        raise ModelError(Phrase("err_no_usable_model", names=Listed(needed), cutoff=str(cut), reason=gone["reason"]),
                         fix=Phrase("err_no_usable_model_fix"))
    scoring, left = fallback_standard(std, set(gone["fields"]))
    return scoring, {"on_no_model": "drop", "unavailable": gone["fields"], "reason": gone["reason"], **left}


def _score_and_store(ws: Workspace, std: Standard, cut: dt.date, time_unit: str, table: pd.DataFrame,
                     notes: dict[str, Any], name: str | None, store: bool, say: Progress, check: Any,
                     scoring_engine: str = DEFAULT_SCORING) -> Round:
    say("scoring")  # the table is gathered rounded (every part of it through _steady): not rounded again
    fields = table if ids_sorted(table["customer_id"]) else table.sort_values("customer_id", kind="stable")
    fields = fields.reset_index(drop=True)
    # The fields are stored while the round is scored (DuckDB releases the GIL), in the round's
    # transaction; not while the model check still reads the workspace in its thread.
    alone = check is None or check.done()
    if store and alone:
        from xuanba.rounds.store import saving_round

        with saving_round(ws, fields) as saver:
            rnd = _score(ws, std, cut, time_unit, table, fields, notes, name, say, check, scoring_engine, saver)
            say("storing")
            rnd.round_id = saver.save(rnd)
        return rnd
    rnd = _score(ws, std, cut, time_unit, table, fields, notes, name, say, check, scoring_engine, None)
    if store:
        from xuanba.rounds.store import save_round

        say("storing")
        rnd.round_id = save_round(ws, rnd)
    return rnd


#: From this many customers on (``None``: never), a DuckDB round's saver is given the roster with
#: the contributions (after the pandas roster is made), not as soon as the engine has placed it. It
#: was 3 M: at 10 M customers the early append on two DuckDB threads beside the pandas texts took
#: the round's peak to 7.6 GiB (perf21). On one thread (:data:`~xuanba.rounds.store.APPEND_THREADS`)
#: the 10 M round's peak stays 6.42-6.44 GiB and its main thread waits 4.3-4.8 s for the saver
#: against 6.5-6.9 s (docs/benchmarks_round.md, perf31).
EARLY_ROSTER_ROWS: int | None = None


def _score(ws: Workspace, std: Standard, cut: dt.date, time_unit: str, table: pd.DataFrame, fields: pd.DataFrame,
           notes: dict[str, Any], name: str | None, say: Progress, check: Any, scoring_engine: str,
           saver: Any = None) -> Round:
    """The round (not stored) of the fields ``table`` (``fields``: sorted by customer). ``saver``:
    the :class:`~xuanba.rounds.store.RoundSaver` storing the round (its fields meanwhile), which
    is given the roster and contributions as soon as they are scored, to append them in its
    thread while the round's hashes and summary are computed here; the workspace's connection is
    used again only after its ``wait()``."""
    from xuanba.rounds.summary import round_summary, tier_order

    scoring, fallback = applied_standard(std, notes, cut)
    inputs = table[["customer_id", *sorted(f for f in std.fields_used() if f != "customer_id")]]
    if not ids_sorted(inputs["customer_id"]):
        inputs = inputs.sort_values("customer_id", kind="stable")
    inputs = inputs.reset_index(drop=True)
    # DuckDB's scoring hands the roster to the saver as soon as its rows are placed (as Arrow, its
    # texts as codes), so that it is appended while the pandas roster is made of them (not from
    # EARLY_ROSTER_ROWS customers on, where one is set); and the contributions' rows as the engine
    # places them, so that they are appended while it still streams the roster
    early = ({"on_roster": saver.start_roster}
             if saver is not None and scoring_engine == "duckdb"
             and (EARLY_ROSTER_ROWS is None or len(table) < EARLY_ROSTER_ROWS) else {})
    if saver is not None and scoring_engine == "duckdb":
        early["on_points"] = saver.start_points
    with _beside_the_fields(saver, scoring_engine):
        scored = scorer(scoring_engine)(table, scoring, **early)
    long = contribution_parts(scored) or scored.contributions  # the parts: the table is made when read
    if saver is not None:
        saver.start_rows(scored.roster, long)
    coded = scored.coded or {}
    order, _ = tier_order(std, scored.roster)
    # the customer ids hashed once, in id order (the inputs' and the fields'), then in rank order:
    # each roster row's row in the fields is the scoring's (pandas) or looked up once (an engine's);
    # a text column made from codes is hashed by code (its few labels hashed once)
    ids = column_hashes(inputs["customer_id"])
    rows = scored.order if scored.order is not None else positions_in(scored.roster["customer_id"],
                                                                      fields["customer_id"])
    roster_hashed = {col: coded_hashes(*pair) for col, pair in coded.items()}
    if rows is not None:
        roster_hashed["customer_id"] = ids[rows]
    roster_sha256 = table_sha256(scored.roster, roster_hashed)
    del roster_hashed  # 8 bytes a customer a column: not held while the saver appends (0.5 GiB at 10 M)
    meta: dict[str, Any] = {
        "name": name or f"{std.name} v{std.version} @ {cut.isoformat()}",
        "cutoff": cut.isoformat(),
        "created_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "standard_name": std.name,
        "standard_version": std.version,
        "standard_sha256": std.sha256,
        "data_sha256": table_sha256(inputs, {"customer_id": ids}),
        "roster_sha256": roster_sha256,
        "scoring_rules": SCORING_RULES,
        "n_customers": scored.info["n_customers"],
        "n_selected": scored.info["n_selected"],
        "time_unit": time_unit,
        "currency": std.currency,
        "n_gated_out": scored.info["n_gated_out"],
        "n_left_out_by_capacity": scored.info["n_left_out_by_capacity"],
        "capacity_method": scored.info["capacity_method"],
        "tier_counts": scored.info["tier_counts"],
        "predictions": notes["predictions"],
        "extra_fields": notes["extra_fields"],
        "extra_fields_not_finite": notes.get("extra_fields_not_finite", {}),
        "extra_fields_missing_words": notes.get("extra_fields_missing_words", {}),
        "customer_fields": notes["customer_fields"],
        "customer_fields_skipped": notes.get("customer_fields_skipped", []),
        "account_fields": notes["account_fields"],
        "field_columns": [c for c in fields.columns if c != "customer_id"],
        "summary": round_summary(scored.roster, fields, order[:-1], rows, coded=coded),
    }
    scored.coded = coded = None  # the codes too (0.2 GiB at 10 M): the roster holds their texts
    once = one_time_buyers(fields)
    if once is not None:
        meta["summary"]["one_time_buyers"] = once
    tables: dict[str, StoredTable] = {}
    meta["scoring_engine"] = scoring_engine  # a round without it (stored before the switch) scored in pandas
    if fallback is not None:
        meta["fallback"] = fallback
    if "model_choice" in notes:
        meta["model_choice"] = notes["model_choice"]
    if "intervals" in notes:
        cols = notes["intervals"]["columns"]
        meta["intervals"] = {**notes["intervals"], "sha256": table_sha256(fields[["customer_id", *cols]],
                                                                          {"customer_id": ids})}
    if "models" in notes:
        meta["models"] = notes["models"]
        meta["model_warnings"] = notes["model_warnings"]
        for role, model in notes["fitted"].items():
            tables[f"model_{role}"] = StoredTable(model.to_document())
        if check is not None:
            say("model check")
            tables["holdout"] = check.result()
        elif notes.get("model_name"):
            meta["model_check"] = "skipped"
    say("account work")
    from xuanba.accounts.book import account_book

    if saver is not None:
        saver.wait()
    for key, (info, frame) in account_book(ws, cut, roster=scored.roster).items():
        tables[key] = StoredTable(info, frame)
    return Round(0, meta, std, scored.roster, long, fields=fields, tables=tables)


def _beside_the_fields(saver: Any, scoring_engine: str) -> contextlib.AbstractContextManager[Any]:
    """While ``saver`` (a :class:`~xuanba.rounds.store.RoundSaver`, or ``None``) appends the round's
    fields in its thread, the engine scores on the cores the append leaves it
    (:func:`~xuanba.standard.engine.fewer_threads`); the pandas reference is left as it is.
    DuckDB's client spins while its last tasks run, so its threads beside the append made three
    busy threads on two cores; on one thread fewer for the whole call the 1 M round took 0.94x the
    wall and 0.90x the CPU, fewer only until the fields were stored less (docs/benchmarks_round.md,
    saver24)."""
    if saver is None or scoring_engine != "duckdb":
        return contextlib.nullcontext()
    from xuanba.rounds.store import APPEND_THREADS
    from xuanba.standard.engine import fewer_threads

    return fewer_threads(APPEND_THREADS or 0)


def one_time_buyers(fields: pd.DataFrame) -> dict[str, Any] | None:
    """P(alive) of the customers who bought once (no repeat purchase): how many, its mean and
    range, and how many the model counts as surely active (P(alive) >= 0.999, which BG/NBD gives
    every one of them however long ago they bought). ``None`` without P(alive).

    Example
    -------
    >>> f = pd.DataFrame({"frequency": [0, 0, 3], "p_alive": [1.0, 0.5, 0.9], "T": [70.0, 2.0, 9.0]})
    >>> one_time_buyers(f)["surely_active"], one_time_buyers(f)["mean_p_alive"]
    (1, 0.75)
    """
    if "p_alive" not in fields.columns or "frequency" not in fields.columns:
        return None
    once = (fields["frequency"] == 0).to_numpy(dtype=bool, na_value=False)  # a mask: no copy of the fields' rows
    p = pd.to_numeric(fields["p_alive"], errors="coerce")[once].dropna()
    count = int(once.sum())
    if p.empty:
        return {"customers": count, "mean_p_alive": None, "min_p_alive": None, "max_p_alive": None,
                "surely_active": 0}
    return {"customers": count, "mean_p_alive": round(float(p.mean()), 6),
            "min_p_alive": round(float(p.min()), 6), "max_p_alive": round(float(p.max()), 6),
            "surely_active": int((p >= 0.999).sum())}


def quadrant_counts(roster: pd.DataFrame) -> dict[str, int]:
    """How many customers fall in each quadrant."""
    counts = roster["quadrant"].replace("", np.nan).dropna().value_counts()
    return {str(k): int(v) for k, v in counts.sort_index().items()}


def _no_error_ids(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a fields file whose ``customer_id`` holds an Excel error (``#N/A`` of a lookup that
    found nothing: :func:`~xuanba.rounds.extra_names.excel_errors`), naming the file, the first
    row (the first under the header row 1) and the error: no customer is so named, and a missing
    id joins no customer, so the row's fields would go nowhere unsaid."""
    from xuanba.rounds.extra_names import excel_errors

    bad = excel_errors(frame["customer_id"]).to_numpy()
    if bad.any():
        first = int(bad.argmax())
        raise DataError(Phrase("err_fields_id_excel_error", value=repr(str(frame["customer_id"].iloc[first]).strip())),
                        file=str(path), row=first + 1, column="customer_id", count=int(bad.sum()),
                        fix=Phrase("err_fields_id_excel_error_fix"))


def read_fields_file(path: str | Path) -> pd.DataFrame:
    """Read a table of extra per-customer fields (.csv UTF-8/GBK, .xlsx, .parquet) with customer_id;
    the cells it writes as NaN or as a word for missing (``n/a``, ``#N/A``, ``NULL``) or that hold
    an Excel error (a sheet's error cell, ``#DIV/0!``; refused in ``customer_id``) are marked in
    its ``attrs`` (:func:`~xuanba.rounds.extra_names.read_numbers`, ``nan_written``), which the round
    says. An empty cell is missing; in a text column such a word is text as written (``NA``, North
    America; a customer id ``NULL``)."""
    from xuanba._frames import mixed_as_text
    from xuanba.rounds.extra_names import (
        FILE_READ,
        NAN_WRITTEN,
        checked_extra_fields,
        nan_written,
        read_numbers,
    )
    from xuanba.tables import read_table

    p = Path(path)
    frame = read_table(p, what="the --fields file", missing_words=False)
    if "customer_id" not in frame.columns:
        raise InputError(Phrase("err_fields_no_id"), file=str(p), fix=no_id_fix(frame))
    _no_error_ids(frame, p)
    frame = read_numbers(mixed_as_text(frame))  # " inf ", "NAN", "n/a", "#DIV/0!": numbers or missing, as "5 " is; said
    frame = checked_extra_fields(frame, file=str(p))
    # a Parquet float NaN (a text file's are read_numbers'): what the round counts with the infinities (not_finite)
    frame.attrs[NAN_WRITTEN] = nan_written(p, frame) or frame.attrs.get(NAN_WRITTEN, {})
    frame.attrs[FILE_READ] = str(p)  # what the round refuses in it names the file
    return frame
