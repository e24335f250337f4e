"""What a round on an engine adds to its facts and predictions so that it gives what a workspace
round gives (:mod:`xuanba.rounds.engine`): the predictions' intervals, ``model = "auto"`` and
its holdout check, the account fields and customer attributes of the side tables.

**Intervals** (:mod:`xuanba.models.intervals`, the delta method): the interval of a purchase
prediction depends only on the customer's history and the fitted model, so it is computed on the
driver once per distinct ``(frequency, recency, T)`` history and joined back with the point
predictions. The spend model's standard error depends only on the customer's ``(frequency,
monetary_value)``: it is computed on the driver once per distinct pair (the pairs the spend model
was fitted on) and joined back the same way. The values' bounds, which combine it with the
per-history error of the discounted purchases, are engine expressions over those columns, in
the workspace's order of operations; only ``exp`` and ``sqrt`` are the engine's, so a bound can
differ from the workspace's in its last bits, which the round's rounding to six decimals removes
(but at a tie).

Example
-------
>>> import numpy as np, pandas as pd
>>> from xuanba.models import BGNBD
>>> m = BGNBD(time_unit="week"); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
>>> m.covariance_ = np.diag([1e-4, 0.05, 0.01, 0.1]); m.problems_ = []
>>> h = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
>>> cols, said = history_intervals(m, h, 0.9, time_unit="week", discount_rate=0.1)
>>> said, bool((cols["p_alive_lower"] <= cols["p_alive_upper"]).all()), sorted(cols)[:2]
([], True, ['_d1_se', '_d3_se'])
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: The purchase predictions whose bounds are computed per distinct history on the driver.
HISTORY_PREDICTIONS = ("p_alive", "expected_purchases_1y", "churn_90d")


def _interval_none(level: float, model: Any, reason: str, fields: str) -> str:
    from xuanba.i18n import t  # raised in English; warning_words says it in the reader's language

    return t("interval_none", "en", level=f"{level * 100:g}%", model=type(model).__name__, reason=reason,
             fields=fields)


def history_intervals(purchases: Any, hist: pd.DataFrame, level: float, *, time_unit: str,
                      discount_rate: float) -> tuple[dict[str, np.ndarray], list[str]]:
    """The bounds of the purchase predictions of each distinct history of ``hist`` (the columns
    ``<prediction>_lower/_upper`` of :data:`HISTORY_PREDICTIONS`) and the standard errors of its
    discounted purchases over 1 and 3 years (``_d1_se``, ``_d3_se``: the values' bounds need them),
    as :func:`xuanba.models.predict.prediction_intervals` computes them per customer; and what to
    say when the fit gives none (then no column)."""
    from xuanba.models._uncertainty import check_interval
    from xuanba.models.intervals import bounds, delta_se, interval_problem
    from xuanba.models.predict import _SCALES
    from xuanba.models.value import (
        DAYS_PER_YEAR,
        discount_weights,
        unit_length,
        weighted_expectations_at,
    )

    check_interval(level)
    problem = interval_problem(purchases)
    if problem is not None:
        return {}, [_interval_none(level, purchases, problem,
                                   "p_alive, expected_purchases_1y, churn_90d, clv_1y and clv_3y")]
    unit_days = unit_length(time_unit)
    arrays = {c: hist[c].to_numpy(dtype=float) for c in purchases.history_columns}
    ts, weights = discount_weights([1, 3], discount_rate=discount_rate, time_unit=time_unit)

    def quantities(p: np.ndarray) -> dict[str, np.ndarray]:
        return {"p_alive": purchases._alive_at(p, arrays),
                "expected_purchases_1y": purchases._expected(p, arrays, DAYS_PER_YEAR / unit_days),
                "churn_90d": purchases._no_purchase(p, arrays, 90 / unit_days),
                "discounted": weighted_expectations_at(purchases, p, arrays, ts, weights)}

    est, se = delta_se(purchases, quantities)
    out: dict[str, np.ndarray] = {}
    for name in HISTORY_PREDICTIONS:
        out[f"{name}_lower"], out[f"{name}_upper"] = bounds(est[name], se[name], level, _SCALES[name])
    out["_d1_se"], out["_d3_se"] = se["discounted"][:, 0], se["discounted"][:, 1]
    return out, []


def spend_interval_said(spend: Any, level: float) -> list[str]:
    """What to say when the spend model gives no interval (its fit cannot be trusted)."""
    from xuanba.models.intervals import interval_problem

    problem = interval_problem(spend)
    return [] if problem is None else [_interval_none(level, spend, problem, "expected_spend, clv_1y and clv_3y")]


def _log_bounds(value: Any, se: Any, z: float) -> tuple[Any, Any]:
    """:func:`xuanba.models.intervals.bounds` on the log scale, as engine expressions: a value
    that is not positive has no spread (its bounds are itself), a missing one missing bounds."""
    import ibis

    spread = ibis.literal(z) * se / value
    inside = value > 0.0
    return (ibis.ifelse(inside, value * (-spread).exp(), value),
            ibis.ifelse(inside, value * spread.exp(), value))


def spend_history_errors(spend: Any, sh: pd.DataFrame) -> dict[str, np.ndarray]:
    """Gamma-Gamma's expected spend (``_s``) and its standard error (``_se_s``, the delta method)
    for each distinct ``(frequency, monetary_value)`` of ``sh``, on the driver: what
    :func:`xuanba.models.predict.prediction_intervals` computes per customer."""
    from xuanba.models.intervals import delta_se

    rows = {c: sh[c].to_numpy(dtype=float) for c in spend.history_columns}
    est, se = delta_se(spend, lambda p: {"spend": spend._conditional(p, rows)})
    return {"_s": est["spend"], "_se_s": se["spend"]}


def spend_intervals(t: Any, level: float, margin: float) -> dict[str, Any]:
    """The bounds of ``expected_spend`` and, when ``t`` has the per-history errors of the
    discounted purchases (``_d1_se``, ``_d3_se``), of ``clv_1y`` and ``clv_3y``: engine expressions
    over ``t``, which has the spend and its error per spend history joined (``_s``, ``_se_s``:
    :func:`spend_history_errors`) and the discounted purchases ``_d1``, ``_d3``. A value's error
    combines the two independent fits (:func:`xuanba.models.intervals.product_se`), in its order
    of operations. Every term is a column, so the expressions stay small once rounded."""
    import ibis

    from xuanba.models.intervals import z_value

    z = z_value(level)
    out: dict[str, Any] = {}
    out["expected_spend_lower"], out["expected_spend_upper"] = _log_bounds(t._s, t._se_s, z)
    if "_d1_se" in t.columns:
        m = ibis.literal(float(margin))
        for col, d, d_se in (("clv_1y", t._d1, t._d1_se), ("clv_3y", t._d3, t._d3_se)):
            ra, rb = t._se_s / t._s, d_se / d
            se = m * ((t._s * d).abs() * (ra * ra + rb * rb).sqrt())
            out[f"{col}_lower"], out[f"{col}_upper"] = _log_bounds(m * t._s * d, se, z)
    return out


# -- model = "auto" and the model check, on the engine ---------------------------------------------
#: What the holdout check reads of every customer: the calibration history and the holdout purchases.
HOLDOUT_COLUMNS = ("frequency", "recency", "T", "frequency_holdout")


def evaluate_on_engine(tx: Any, calibration_end: Any, holdout_end: Any, *, models: Any, time_unit: str = "week",
                       penalizer: float = 0.0, start: Any = None) -> Any:
    """:func:`xuanba.models.evaluate.evaluate` (no cumulative view) of the Ibis transactions
    ``tx``: the engine computes every customer's calibration history and holdout purchases
    (:func:`xuanba.facts.expressions.history_holdout_expr`, the workspace's expression) once, keeps
    them with each customer's position by id, and groups them; only the distinct
    ``(frequency, recency, T, frequency_holdout)`` with their customers reach the driver, for
    :func:`xuanba.models.evaluate.evaluate_groups`. Every candidate's customers tied at the edge
    of its top decile are read from the kept rows (:func:`_first_holdout`), not from the
    transactions again."""
    from xuanba._dates import as_date
    from xuanba.errors import DataError, Phrase
    from xuanba.facts.compute import _check_cutoff
    from xuanba.facts.expressions import history_holdout_expr
    from xuanba.models.evaluate import evaluate_groups
    from xuanba.rounds.engine import _histories, _kept_once, _positions_kept
    from xuanba.standard.engine_spark import is_spark

    cal, hold = as_date(calibration_end, "calibration end"), as_date(holdout_end, "holdout end")
    if hold <= cal:
        raise DataError(Phrase("err_holdout_not_after", hold=str(hold), cal=str(cal)), fix=Phrase("err_holdout_not_after_fix"))
    _check_cutoff(tx, cal, tx)
    # each customer's row, not yet sorted by id: the positions sort them
    per = _unsorted(history_holdout_expr(tx, cal, hold, time_unit=time_unit))  # type: ignore[arg-type]
    per = per.select("customer_id", *HOLDOUT_COLUMNS)
    with contextlib.ExitStack() as stack:  # what is kept is dropped once every candidate is checked
        if is_spark(per):  # Spark's sort by id samples its input, then reads it again: computed once first
            per = stack.enter_context(_kept_once(per))
        kept = stack.enter_context(_positions_kept(per, HOLDOUT_COLUMNS))
        # grouped as the round's histories are, read in the order of their first customer by id
        groups = _histories(kept, HOLDOUT_COLUMNS)
        return evaluate_groups(groups, cal, hold, models=models, time_unit=time_unit, penalizer=penalizer,
                               start=start, tied_actual=_first_holdout(kept))


def _unsorted(table: Any) -> Any:
    """The Ibis ``table`` without its last ``order_by`` (itself when it has none).

    Example
    -------
    >>> import ibis
    >>> t = ibis.table({"x": "int64"}, name="t")
    >>> _unsorted(t.order_by("x")).equals(t), _unsorted(t).equals(t)
    (True, True)
    """
    import ibis.expr.operations as ops

    op = table.op()
    return op.parent.to_expr() if isinstance(op, ops.Sort) else table


def _first_holdout(kept: Any) -> Any:
    """``tied_actual(histories, m)`` of :func:`xuanba.models.evaluate.evaluate_groups` over the
    customers ``kept`` (:data:`HOLDOUT_COLUMNS` and ``_pos``, the position by id): the holdout
    purchases of the first ``m`` customers by id whose ``(frequency, recency, T)`` is a row of
    ``histories``. Candidates that tie at the same edge ask once."""
    import ibis
    import pyarrow as pa

    from xuanba.models.engine import run

    answers: dict[tuple[bytes, int], float] = {}

    def tied_actual(histories: pd.DataFrame, m: int) -> float:
        if m <= 0:
            return 0.0
        keys = histories[["frequency", "recency", "T"]].astype(float)
        key = (keys.to_numpy().tobytes(), int(m))
        if key not in answers:
            small = ibis.memtable(pa.Table.from_pandas(keys.rename(columns=lambda c: f"_{c}"), preserve_index=False))
            cond = [kept[c] == small[f"_{c}"] for c in ("frequency", "recency", "T")]
            first = kept.join(small, cond).select("_pos", "frequency_holdout").order_by("_pos").limit(int(m))
            got = run(first.aggregate(s=first.frequency_holdout.sum()))["s"].iloc[0]
            answers[key] = 0.0 if pd.isna(got) else float(got)
        return answers[key]

    return tied_actual


def choose_on_engine(tx: Any, hist: pd.DataFrame, cutoff: Any, *, time_unit: str, penalizer: float) -> tuple[Any, Any]:
    """``model = "auto"`` on the engine: :func:`xuanba.models.choose.choose_model` on the distinct
    histories at the cutoff ``hist`` (with ``customers``), its holdout check run by
    :func:`evaluate_on_engine`. Returns the choice and the round's model check read from it
    (``None`` when the holdout is not the year before the cutoff: then :func:`model_check_on_engine`)."""
    from xuanba.models.choose import choose_model
    from xuanba.rounds.run import model_check_of

    def holdout(cal: Any, hold: Any, **options: Any) -> Any:
        return evaluate_on_engine(tx, cal, hold, **options)

    choice = choose_model(None, cutoff, histories=hist, holdout=holdout, time_unit=time_unit, penalizer=penalizer)
    check = None
    if choice.model is not None:
        check = model_check_of(choice.evaluation, choice.model, cutoff, time_unit, penalizer)
    choice.evaluation = None  # its tables: not kept past here
    return choice, check


def model_check_on_engine(tx: Any, model: str, cutoff: Any, *, time_unit: str, penalizer: float = 0.0) -> Any:
    """:func:`xuanba.rounds.run.model_check` on the engine: the model fitted on the purchases up to
    the cutoff − 365 days (:func:`~xuanba.rounds.run.check_start`) and its expected purchases in the
    following year against what customers bought, by calibration frequency; when the data cannot
    support it, why."""
    from xuanba.errors import XuanbaError
    from xuanba.rounds.run import StoredTable, _check_info, _check_table, check_start

    start = check_start(cutoff)
    try:
        ev = evaluate_on_engine(tx, start, cutoff, models=(model,), time_unit=time_unit, penalizer=penalizer)
    except XuanbaError as exc:
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": exc.message})
    except Exception as exc:  # noqa: BLE001 - a side check never fails the round; its reason is kept
        return StoredTable({**_check_info(model, cutoff, time_unit, penalizer), "error": f"{type(exc).__name__}: {exc}"})
    return _check_table(ev, model, _check_info(model, cutoff, time_unit, penalizer))


# -- account fields and customer attributes ---------------------------------------------------------
#: Account fields the driver computes from the side tables alone (interactions, commitments,
#: contacts), with their value for a customer the side tables do not name.
SIDE_DEFAULTS: dict[str, Any] = {"cost_to_serve_365d": 0.0, "promise_reliability": None,
                                 "days_since_contact": None, "single_threaded": False}


def side_account_fields(side: Mapping[str, pd.DataFrame], cutoff: Any) -> pd.DataFrame:
    """The account fields that read only the side tables (:data:`SIDE_DEFAULTS`), for every
    customer those tables name: :func:`xuanba.accounts.account_fields` itself, given those
    customers with no purchase (their money comes from the engine).

    Example
    -------
    >>> it = pd.DataFrame({"customer_id": ["a", "a"], "ts": pd.to_datetime(["2026-01-02", "2026-03-01"]),
    ...                    "kind": ["call", "visit"]})
    >>> side_account_fields({"interactions": it}, "2026-03-31")[["customer_id", "days_since_contact"]].values.tolist()
    [['a', 30.0]]
    """
    from xuanba.accounts.fields import account_fields

    named = [t["customer_id"].astype(str) for t in side.values() if t is not None and len(t)]
    ids = sorted(set(pd.concat(named).tolist())) if named else []
    stub = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "ts": pd.Timestamp(cutoff),
                         "amount": 0.0})
    if stub.empty:
        return pd.DataFrame({"customer_id": pd.Series([], dtype=object),
                             **{c: pd.Series([], dtype=bool if c == "single_threaded" else float)
                                for c in SIDE_DEFAULTS}})
    fields = account_fields(stub, side.get("interactions"), side.get("commitments"), side.get("contacts"),
                            as_of=cutoff)
    return fields[["customer_id", *SIDE_DEFAULTS]]


def _memtable(like: Any, frame: pd.DataFrame) -> Any:
    """The driver's ``frame`` as an Ibis table on the backend of ``like`` (NaN as NULL;
    :func:`~xuanba.standard.engine_spark.arrow_on`: on Spark in chunks, millions of spend histories
    at 10 M customers)."""
    import pyarrow as pa

    from xuanba.standard.engine_spark import arrow_on

    return arrow_on(like, pa.Table.from_pandas(frame, preserve_index=False))


def _left_join(table: Any, frame: pd.DataFrame) -> Any:
    """``table`` with the columns of the driver's ``frame`` (one row per ``customer_id``) joined
    on the customer (a left join: every customer of ``table`` kept, in its order)."""
    small = _memtable(table, frame.rename(columns={"customer_id": "_side_id"}))
    joined = table.left_join(small, table.customer_id == small._side_id)
    return joined.select(*table.columns, *[c for c in small.columns if c != "_side_id"]).order_by("customer_id")


def account_columns(table: Any, tx: Any, side: Mapping[str, pd.DataFrame], cutoff: Any, *,
                    paid: bool = False) -> Any:
    """``table`` (the fields by customer) with the account fields of
    :func:`xuanba.accounts.account_fields` joined: cost-to-serve, promise reliability, days since
    contact and single-threaded computed on the driver from the side tables (one row per customer
    they name) and sent to the engine; ``profit_365d`` — revenue less the cost of goods over the
    365 days to the cutoff, less cost-to-serve — an engine aggregate of the transactions; with
    ``paid`` (the transactions carry payment dates,
    :func:`xuanba.accounts.engine.payment_dates_in`) the payment fields, another engine aggregate (:func:`xuanba.accounts.engine.receivables_expr`; a customer with no
    invoice: no punctuality, nothing overdue), else empty, as
    :func:`~xuanba.accounts.account_fields` leaves them without payment dates."""
    import ibis

    from xuanba.accounts.fields import FIELDS

    cut = ibis.literal(cutoff)
    day = tx.ts.date()
    window = tx.filter((day <= cut) & (day > ibis.literal(cutoff - dt.timedelta(days=365))))
    sums = {"_revenue": window.amount.cast("float64").sum()}
    if "cost" in window.columns:  # without costs the cost of goods is 0, as customer_profit counts it
        sums["_cogs"] = ibis.coalesce(window.cost.cast("float64"), 0.0).sum()
    money = window.group_by(window.customer_id.name("_money_id")).aggregate(**sums)
    cogs = money._cogs if "_cogs" in sums else ibis.literal(0.0).name("_cogs")
    t = table.left_join(money, table.customer_id == money._money_id).select(*table.columns, "_revenue", cogs)
    if paid:
        from xuanba.accounts.engine import receivables_expr

        pay = receivables_expr(tx, cutoff)
        t = t.left_join(pay, t.customer_id == pay._pay_id).select(
            *t.columns, pay.payment_punctuality.name("_punctuality"), pay.overdue_receivables.name("_overdue"))
    t = _left_join(t, side_account_fields(side, cutoff))
    cts = ibis.coalesce(t.cost_to_serve_365d.cast("float64"), 0.0)
    profit = ibis.coalesce(t._revenue, 0.0) - ibis.coalesce(t._cogs, 0.0) - cts  # customer_profit's order
    values = {
        "cost_to_serve_365d": cts, "profit_365d": profit,
        "promise_reliability": t.promise_reliability.cast("float64"),
        "days_since_contact": t.days_since_contact.cast("float64"),
        "payment_punctuality": t._punctuality.cast("float64") if paid else ibis.null("float64"),
        "single_threaded": ibis.coalesce(t.single_threaded.cast("boolean"), False),
        "overdue_receivables": ibis.coalesce(t._overdue.cast("float64"), 0.0) if paid else ibis.null("float64"),
    }
    return t.mutate(**values).select(*table.columns, *FIELDS).order_by("customer_id")


def customer_columns(table: Any, people: pd.DataFrame) -> tuple[Any, list[str], list[str]]:
    """``table`` with every column of the ``customers`` side table joined (as
    :func:`xuanba.rounds.run.gather_fields` joins it: a column whose name a field already has, in
    any case, or ``round_id``, left out; the first row of a customer kept), the columns added and
    those left out."""
    people = people.copy()
    people["customer_id"] = people["customer_id"].astype(str)
    taken = {c.lower() for c in table.columns} | {"round_id"}
    clash = [c for c in people.columns if c != "customer_id" and str(c).lower() in taken]
    people = people.drop(columns=clash).drop_duplicates("customer_id")
    added = [c for c in people.columns if c != "customer_id"]
    return _left_join(table, people), added, [str(c) for c in clash]


class SideTables:
    """What a workspace holds besides transactions that a round joins to its fields: the account
    side tables (``interactions``, ``commitments``, ``contacts``) and the ``customers`` table,
    read once (:meth:`read`)."""

    def __init__(self, side: dict[str, pd.DataFrame] | None = None, people: pd.DataFrame | None = None) -> None:
        self.side = side or {}
        self.people = people

    @classmethod
    def read(cls, workspace: Any) -> SideTables:
        """The side tables of ``workspace`` (a :class:`~xuanba.Workspace` or a file; ``None`` or
        a file that does not exist yet: none)."""
        from pathlib import Path

        from xuanba.accounts.stored import stored_table
        from xuanba.workspace import Workspace, open_workspace

        if workspace is None or (not isinstance(workspace, Workspace) and not Path(workspace).exists()):
            return cls()
        with open_workspace(workspace, read_only=True) as ws:
            side = {k: t for k in ("interactions", "commitments", "contacts")
                    if ws.has_table(k) and (t := stored_table(ws, k)) is not None}
            people = ws.sql("SELECT * FROM customers") if ws.has_table("customers") else None
        return cls(side, people)

    def accounts(self, standard: Any, given: Any = ()) -> bool:
        """Whether a round gathers the account fields: the standard reads one that the extra
        fields (``given``) do not give, or there are account side tables (so a round stores profit
        after cost-to-serve)."""
        from xuanba.standard.schema import ACCOUNT_COLUMNS

        return bool((standard.fields_used() & set(ACCOUNT_COLUMNS)) - set(given)) or bool(self.side)

    def book(self, tx: Any, cutoff: Any, *, selected: set[str], scores: Any) -> dict[str, Any]:
        """The account analyses a round stores at ``cutoff`` (:func:`xuanba.accounts.book.account_book`)
        from these side tables and the engine's transactions ``tx``, summed per customer in the
        engine (:func:`xuanba.accounts.engine.engine_account_book`)."""
        from xuanba.accounts.engine import engine_account_book

        side = dict(self.side)
        if self.people is not None:
            side["customers"] = self.people
        return engine_account_book(tx, side, cutoff, selected=selected, scores=scores)

    def columns(self, standard: Any, given: Any = ()) -> set[str]:
        """The fields the side tables give a round of ``standard`` (with the extra fields ``given``)."""
        from xuanba.accounts.fields import FIELDS

        out = set(FIELDS) if self.accounts(standard, given) else set()
        return out | (set(map(str, self.people.columns)) if self.people is not None else set())


def side_fields(table: Any, tx: Any, standard: Any, cutoff: Any, tables: SideTables,
                given: Any = ()) -> tuple[Any, dict[str, Any]]:
    """The account fields and customer attributes a workspace round gathers
    (:func:`xuanba.rounds.run.gather_fields`), joined in the engine: the account fields when the
    standard reads one or there are account side tables, the ``customers`` table's columns when
    there is one. Returns the table and what ``notes`` says of them."""
    from xuanba.rounds.engine import steady_expr
    from xuanba.rounds.run import _steady
    from xuanba.standard.schema import ACCOUNT_COLUMNS

    notes: dict[str, Any] = {"account_fields": False, "customer_fields": [], "customer_fields_skipped": []}
    if tables.accounts(standard, given):
        from xuanba.accounts.engine import payment_dates_in

        table = account_columns(table, tx, tables.side, cutoff, paid=payment_dates_in(tx))
        table = steady_expr(table, [c for c in ACCOUNT_COLUMNS if c != "single_threaded"])
        notes["account_fields"] = True
    if tables.people is not None:
        people = _steady(tables.people, [c for c in tables.people.columns
                                         if pd.api.types.is_float_dtype(tables.people[c])])
        table, notes["customer_fields"], notes["customer_fields_skipped"] = customer_columns(table, people)
    return table, notes


def with_spend_intervals(t: Any, spend: Any, sh: pd.DataFrame, level: float, margin: float) -> Any:
    """``t`` (the facts with the point predictions) with the bounds of the spend and the values:
    the spend's error computed on the driver once per distinct ``(frequency, monetary_value)`` of
    ``sh`` (:func:`spend_history_errors`), joined back like the point predictions, then
    :func:`spend_intervals`."""
    errors = spend_history_errors(spend, sh)
    small = _memtable(t, pd.DataFrame({"_sf": sh["frequency"].to_numpy(dtype=float),
                                       "_sm": sh["monetary_value"].to_numpy(dtype=float), **errors}))
    joined = t.left_join(small, (t.frequency.cast("float64") == small._sf)
                         & (t.monetary_value.cast("float64") == small._sm))
    joined = joined.select(*t.columns, "_s", "_se_s")
    return joined.mutate(**spend_intervals(joined, level, margin))


# -- extra fields (--fields) ------------------------------------------------------------------------
def extra_frame(extra: pd.DataFrame) -> pd.DataFrame:
    """The extra fields a round joins (``--fields``, ``extra_fields=``) as the workspace round
    joins them (:func:`xuanba.rounds.run.gather_fields`): ids as text, one row per customer (else
    the same :class:`~xuanba.errors.DataError`), floats rounded to six decimals.

    Example
    -------
    >>> extra_frame(pd.DataFrame({"customer_id": [7], "nps": [0.12345678]})).values.tolist()
    [['7', 0.123457]]
    """
    from xuanba.errors import DataError, Phrase, no_id_fix
    from xuanba.rounds.extra_names import checked_extra_fields
    from xuanba.rounds.run import _steady

    if "customer_id" not in extra.columns:
        raise DataError(Phrase("err_fields_no_id"), fix=no_id_fix(extra))
    out = checked_extra_fields(extra).copy()
    out["customer_id"] = out["customer_id"].astype(str)
    if out["customer_id"].duplicated().any():
        dups = out.loc[out["customer_id"].duplicated(), "customer_id"].unique()
        raise DataError(Phrase("err_table_id_twice", what=Phrase("err_what_extra_fields")), examples=dups[:5],
                        count=len(dups), fix=Phrase("err_one_row_per_id_fix"))
    return _steady(out, [c for c in out.columns if c != "customer_id"])


def extra_columns(table: Any, frame: pd.DataFrame) -> tuple[Any, list[str]]:
    """``table`` with the columns of the driver's ``frame`` (as :func:`extra_frame` made it: not
    made again here) joined in the engine by customer, as the workspace round joins them: every customer of ``table`` kept (a
    customer only ``extra`` names is not one of the round's), a column of the same name replaced
    (the file's wins), the file's columns last in its order. Returns the table and those columns."""
    from xuanba.errors import DataError, Phrase
    from xuanba.rounds.extra_names import extra_field_names

    cols = extra_field_names(frame)
    if "_side_id" in cols:  # the join's own name for the id
        raise DataError(Phrase("err_extra_side_id"), column="_side_id", fix=Phrase("err_extra_side_id_fix"))
    kept = [c for c in table.columns if c not in cols]
    return _left_join(table.select(*kept), frame), cols
