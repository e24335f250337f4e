"""The round run by the engine that holds the transactions: DuckDB, Spark, any Ibis backend.

:func:`run_round_on_engine` takes an Ibis table of canonical transactions and gives the same
roster as :func:`xuanba.rounds.run_round` gives on a workspace holding them:

1. **facts** — :func:`xuanba.facts.customer_facts_expr`, rounded to :data:`DECIMALS` places in
   the engine with numpy's rounding (:func:`xuanba.facts.expressions.round_half_even`);
2. **models: compress, fit, expand** — the engine groups the customers into distinct histories
   ``(frequency, recency, T)`` and, for Gamma-Gamma, ``(frequency, monetary_value)``; only those
   come to Python (in the order of their first customer, so the fit is bit-for-bit the
   workspace's); the purchase model's closed forms are evaluated once per distinct history and
   joined back in the engine; the expected spend and the customer values are engine expressions;
   so are the predictions' intervals, ``auto``'s choice and its holdout check, the account fields
   (payment fields included) and the customer attributes of the side tables, and the extra
   fields of ``--fields`` (:mod:`xuanba.rounds.engine_extras`);
3. **the standard** — the whole roster (gates, score, rank, tiers with quotas and bars, capacity,
   the gap to the next tier and the cheapest criterion) by
   :func:`xuanba.standard.engine.roster_expression`, in the engine;
4. **where it lands** — with ``roster_out``: ``roster.parquet`` (every customer, the roster
   columns, by rank) and ``fields.parquet`` (every field of every customer), both written by the
   engine (a folder of parts on Spark). With a workspace: the round's meta, headline figures and
   models, the account analyses (from the engine's sums per customer,
   :func:`xuanba.accounts.engine.engine_account_book`), and the roster rows, contributions and
   fields of the **selected** customers, so that ``xuanba report``, statements and the web pages
   read it as any round.

What the driver holds: the distinct histories (bounded by them, not by the customers), the
selected customers (roster rows, contributions, fields), a few figures per criterion, per tier
and per quadrant, and — when a budget binds the capacity — up to 20,000 candidates for the exact
knapsack. The headline figures are engine aggregates; the data and roster hashes are read in
order, :data:`SHA_READ_ROWS` rows at a time, and never held whole.

Example
-------
>>> import ibis, pandas as pd, pyarrow as pa
>>> from xuanba.standard import load_standard
>>> tx = ibis.memtable(pa.table({"customer_id": ["a", "a", "b", "c"],
...     "ts": pd.to_datetime(["2026-01-02", "2026-03-01", "2026-02-01", "2026-03-03"]),
...     "amount": [10.0, 30.0, 5.0, 20.0]}))
>>> s = load_standard('[standard]\\nname = "r"\\nversion = "1"\\n[[criteria]]\\nname = "revenue"\\n'
...                   'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n')
>>> r = run_round_on_engine(tx, s, "2026-03-31")
>>> r.roster.loc[0, "customer_id"], r.meta["n_selected"], r.meta["engine"]
('a', 1, 'duckdb')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from xuanba._dates import check_unit
from xuanba.errors import InputError, Listed, ModelError, Phrase, Said, XuanbaError
from xuanba.ingest.backends import runs_on
from xuanba.rounds.roster_out import RosterOut
from xuanba.rounds.run import (
    DECIMALS,
    Progress,
    Round,
    StoredTable,
    _as_cutoff,
    applied_standard,
    as_standard,
    fit_warnings,
    model_summary,
    row_hashes,
)
from xuanba.rounds.summary import peak_share, whole_unit
from xuanba.standard import engine_lock
from xuanba.standard.engine import roster_frame, to_arrow, to_arrow_by
from xuanba.standard.engine_rules import is_inf
from xuanba.standard.engine_spark import (
    arrow_on,
    checkpoint,
    is_spark,
    kept_for_call,
    release,
    rows_known,
    sorted_index,
)
from xuanba.standard.schema import PREDICTION_COLUMNS, Standard
from xuanba.workspace import Workspace, open_workspace

HISTORY = ("frequency", "recency", "T")
SPEND_HISTORY = ("frequency", "monetary_value")
#: Fields the headline figures read besides the standard's (money value, one-time buyers).
SUMMARY_FIELDS = ("frequency", "p_alive", "revenue_365d", "margin_365d", "profit_365d", "cost_to_serve_365d")


def steady_expr(table: Any, columns: Any = None) -> Any:
    """``table`` with its floating columns (those of ``columns``; default all) rounded to
    :data:`DECIMALS` places in the engine, as :func:`xuanba.rounds.run._steady` does in pandas
    (the same bits)."""
    from xuanba.facts.expressions import round_half_even

    floats = {c: round_half_even(table[c], DECIMALS) for c, t in table.schema().items()
              if t.is_floating() and (columns is None or c in columns)}
    return table.mutate(**floats) if floats else table


def _check_supported(std: Standard, columns: set[str]) -> None:
    """The fields the standard reads that neither the facts, the predictions nor the side tables
    (``columns``) give: said before anything runs, as :func:`xuanba.rounds.run.gather_fields` says it."""
    from xuanba.facts.expressions import FACT_COLUMNS
    from xuanba.rounds.run import fields_missing

    missing = sorted(std.fields_used() - {"customer_id", *FACT_COLUMNS, *PREDICTION_COLUMNS, *columns})
    if missing:
        raise fields_missing(missing, engine=True)


#: Customers (positions by id) whose histories one query brings to the driver: at most this many
#: distinct histories per query and grouping (:func:`_histories_together` reads two groupings at
#: once on Spark: twice as many), so neither the driver JVM nor Python holds them in one piece.
HISTORY_CHUNK = 500_000


def _by_position(table: Any, columns: tuple[str, ...]) -> Any:
    """``columns`` of every customer of ``table`` with ``_pos``: the customer's 0-based position by
    id (an integer, cheaper to carry and compare than the id's text). On Spark from a
    range-partitioned sort (:func:`~xuanba.standard.engine_spark.sorted_index`), kept until the
    round releases it, the id beside it; elsewhere ``row_number`` over the ids, without them."""
    import ibis

    t = table.select("customer_id", *columns)
    if is_spark(t):
        return sorted_index(t, [t.customer_id.asc()], "_pos")
    # the id is not kept beside its position: 10 M ids are 160 MB of a kept table on DuckDB
    return t.mutate(_pos=ibis.row_number().over(ibis.window(order_by=t.customer_id))).select(*columns, "_pos")


@contextlib.contextmanager
def _kept_once(table: Any) -> Any:
    """``table`` computed once for the block (a Spark checkpoint, a cache elsewhere), then dropped."""
    if is_spark(table):
        with kept_for_call():
            yield checkpoint(table)
    else:
        with table.cache() as kept:
            yield kept


@contextlib.contextmanager
def _positions_kept(table: Any, columns: tuple[str, ...]) -> Any:
    """:func:`_by_position` computed once for the block, then dropped (the sort Spark keeps
    already; a cache elsewhere)."""
    if is_spark(table):
        with kept_for_call():
            yield _by_position(table, columns)
    else:
        with _kept_once(_by_position(table, columns)) as kept:
            yield kept


def _histories(table: Any, columns: tuple[str, ...], *, chunk: int = HISTORY_CHUNK) -> pd.DataFrame:
    """The distinct ``columns`` of ``table`` with their number of ``customers``, in the order of
    their first customer (by id): the order in which the workspace's round meets them, so a fit
    on these is the same sum in the same order, bit for bit.

    ``table`` has the customers' positions by id (``_pos``, :func:`_by_position`) or gets them.
    The engine groups once and keeps the groups; the driver reads them in the order of their
    first customer, the groups whose first customer is in one block of ``chunk`` positions per
    query (so at most ``chunk`` histories at a time), and joins the blocks as NumPy arrays."""
    return _histories_together(table, [columns], chunk=chunk)[0]


def _histories_together(table: Any, groupings: list[tuple[str, ...]], *, chunk: int = HISTORY_CHUNK
                        ) -> list[pd.DataFrame]:
    """:func:`_histories` of each of ``groupings`` (each a tuple of columns) of ``table``, the same
    frames, read in one query per block of ``chunk`` positions rather than one per grouping:
    the groups of every grouping, tagged, in one table (a column of a grouping that lacks it is
    missing there). On Spark each query is a job and its fixed cost; the purchases' and the spend's
    histories of the round are two groupings of the same kept positions."""
    import ibis

    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    every = list(dict.fromkeys(c for g in groupings for c in g))
    t = table if "_pos" in table.columns else _by_position(table, tuple(every))
    parts = []
    for k, cols in enumerate(groupings):
        g = t.group_by(list(cols)).aggregate(customers=t.count(), _first=t._pos.min())
        parts.append(g.select(_g=ibis.literal(k, type="int64"),
                              **{c: g[c] if c in cols else ibis.null(t[c].type()) for c in every},
                              customers=g.customers, _first=g._first))  # each column in its own type, as read alone
    groups = ibis.union(*parts) if len(parts) > 1 else parts[0]
    got: list[dict[str, list[np.ndarray]]] = [{c: [] for c in (*cols, "customers")} for cols in groupings]
    rows = rows_known(t)
    with _kept_once(groups) as kept:
        top = rows - 1 if rows is not None else to_arrow(kept._first.max()).as_py()
        for lo in range(0, -1 if top is None else int(top) + 1, chunk):
            block = to_arrow_by(kept.filter((kept._first >= lo) & (kept._first < lo + chunk)), ["_g", "_first"])
            which = block.column("_g").to_numpy()
            for k, cols in enumerate(groupings):
                mine = block.filter(which == k) if len(groupings) > 1 else block
                for c in (*cols, "customers"):
                    got[k][c].append(mine.column(c).to_numpy().astype(float))
    return [pd.DataFrame({c: np.concatenate(v) if v else np.zeros(0) for c, v in parts_of.items()})
            for parts_of in got]


def _per_history_table(like: Any, hist: pd.DataFrame, columns: dict[str, np.ndarray]) -> Any:
    """The per-history ``columns`` (keyed by ``hist``'s history columns) as an Ibis table on the
    backend of ``like``, from Arrow (no pandas frame): on Spark sent in chunks and kept by it
    (:func:`~xuanba.standard.engine_spark.arrow_on`), elsewhere an in-memory table."""
    import pyarrow as pa

    keys = {c: pa.array(hist[c].to_numpy(dtype=float)) for c in HISTORY}
    # NaN as NULL (a missing bound is missing, as in the workspace's frames; a NaN is a number to an engine)
    data = pa.table({**keys, **{c: pa.array(np.asarray(v, dtype=float), from_pandas=True) for c, v in columns.items()}})
    return arrow_on(like, data)


def _spend_columns(facts: Any, spend: Any, margin: float) -> dict[str, Any]:
    """Gamma-Gamma's expected spend per purchase as an engine expression (the population mean for
    customers it left out), the basis of it, and ``margin × spend`` for the values."""
    import ibis

    from xuanba.models.gammagamma import NO_REPEAT, NON_POSITIVE

    p, q, v = (ibis.literal(float(x)) for x in spend.params_.to_numpy(dtype=float))
    x = facts.frequency.cast("float64")
    m = facts.monetary_value
    usable = (x > 0) & (m > 0)
    x = ibis.ifelse(usable, x, 0.0)
    m = ibis.ifelse(usable, m, 0.0)
    expected = p * (v + x * m) / (p * x + q - 1.0)  # GammaGamma._conditional, term by term
    basis = ibis.ifelse(facts.frequency <= 0, f"population mean: {NO_REPEAT}",
                        ibis.ifelse(facts.monetary_value <= 0, f"population mean: {NON_POSITIVE}", "own history"))
    return {"expected_spend": expected, "spend_basis": basis, "_value": ibis.literal(float(margin)) * expected}


def _predict_on_engine(facts: Any, std: Standard, time_unit: str, tx: Any = None,
                       cutoff: dt.date | None = None) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The predictions of the standard's model (or of the one ``auto`` chose on the transactions
    ``tx`` at ``cutoff``) for every customer of the Ibis ``facts`` (compress, fit, expand), the
    fitted models and what the round keeps about them (as :func:`xuanba.rounds.run._predict`)."""
    import ibis

    from xuanba.models import MODELS
    from xuanba.models._caught import catching
    from xuanba.models._caught import said as warned
    from xuanba.models.gammagamma import NO_REPEAT, NON_POSITIVE, GammaGamma
    from xuanba.models.predict import _make_purchase_model, history_predictions

    p = std.predictions
    info: dict[str, Any] = {"model": p.model, "choice": None, "unavailable": [], "reason": ""}
    models: dict[str, Any] = {}
    from xuanba.models.predict import INTERVAL_COLUMNS
    from xuanba.models.predict import PREDICTION_COLUMNS as PREDICTED
    from xuanba.rounds.engine_extras import (
        choose_on_engine,
        history_intervals,
        spend_interval_said,
        with_spend_intervals,
    )

    names = [c for c in PREDICTED if c != "customer_id"]  # spend_basis too, as the workspace round says
    with catching() as caught:  # every thread of the fits: see xuanba.models._caught
        try:
            with _positions_kept(facts, tuple(dict.fromkeys((*HISTORY, *SPEND_HISTORY)))) as positioned:
                if is_spark(facts):  # the spend's histories read with the purchases', in the same queries
                    hist, sh = _histories_together(positioned, [HISTORY, SPEND_HISTORY])
                else:
                    hist = _histories(positioned, HISTORY)
                if p.model == "auto":  # the candidates fitted on these histories, checked on the holdout year
                    choice, info["check"] = choose_on_engine(tx, hist, cutoff, time_unit=time_unit,
                                                             penalizer=p.penalizer)
                    info["choice"] = choice.to_dict()
                    if choice.model is None:
                        raise ModelError(choice.reason)
                    info["model"], purchases = choice.model, choice.fitted[choice.model]
                else:
                    purchases = _make_purchase_model(MODELS[p.model], time_unit, p.penalizer).fit(
                        hist, weights=hist["customers"])
                models["purchases"] = purchases
                values = history_predictions(purchases, hist, time_unit=time_unit, discount_rate=p.discount_rate)
                per = {c: values[c] for c in ("p_alive", "expected_purchases_1y", "churn_90d")}
                per["_d1"], per["_d3"] = values["discounted_1y"], values["discounted_3y"]
                if p.interval is not None:  # the purchase predictions' bounds, once per distinct history
                    limits, said = history_intervals(purchases, hist, p.interval, time_unit=time_unit,
                                                     discount_rate=p.discount_rate)
                    per.update(limits)
                    for message in said:
                        warned(message)
                if not is_spark(facts):
                    sh = _histories(positioned, SPEND_HISTORY)
            spend = None
            try:
                spend = GammaGamma(penalizer=p.penalizer).fit(sh, weights=sh["customers"])
                spend.mean_spend()  # q <= 1: no finite mean, no spend model
                w = sh["customers"].to_numpy()
                no_repeat = sh["frequency"].to_numpy() <= 0
                # the fit counted distinct histories; a round reports customers
                spend.excluded_counts_ = {NO_REPEAT: int(w[no_repeat].sum()),
                                          NON_POSITIVE: int(w[~no_repeat & (sh["monetary_value"].to_numpy() <= 0)].sum())}
                models["spend"] = spend
                for message in spend_interval_said(spend, p.interval) if p.interval is not None else []:
                    warned(message)
            except XuanbaError as exc:
                info["unavailable"] = ["expected_spend", "clv_1y", "clv_3y"]
                info["reason"] = exc.message
                spend = None
        except XuanbaError as exc:
            info["model"], info["reason"], models = None, exc.message, {}
            info["unavailable"] = names
    info["warnings"] = fit_warnings(caught, models)
    if info["model"] is None:
        out = facts.mutate(**{c: ibis.null("string" if c == "spend_basis" else "float64") for c in names})
        return out.select(*facts.columns, *names), models, info
    small = _per_history_table(facts, hist, per)
    joined = facts.join(small, [facts[c] == small[c] for c in HISTORY])
    joined = joined.select(*facts.columns, *[c for c in small.columns if c not in HISTORY])
    if spend is not None:
        cols = _spend_columns(joined, spend, p.margin)
        joined = joined.mutate(expected_spend=cols["expected_spend"], spend_basis=cols["spend_basis"])
        joined = joined.mutate(clv_1y=cols["_value"] * joined._d1, clv_3y=cols["_value"] * joined._d3)
        if p.interval is not None and not spend_interval_said(spend, p.interval):
            joined = with_spend_intervals(joined, spend, sh, p.interval, p.margin)
    else:
        joined = joined.mutate(expected_spend=ibis.null("float64"), clv_1y=ibis.null("float64"),
                               clv_3y=ibis.null("float64"), spend_basis=ibis.literal(f"unavailable: {info['reason']}"))
    return joined.select(*facts.columns, *names, *[c for c in INTERVAL_COLUMNS if c in joined.columns]), models, info


def engine_fields(transactions: Any, standard: Standard, cutoff: dt.date, *, time_unit: str = "week",
                  progress: Progress | None = None, keep: Any = None,
                  side_tables: Workspace | str | Path | None = None,
                  check_model: bool = True, extra_fields: pd.DataFrame | None = None,
                  mapping: Mapping[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    """Every field the round scores, for every customer with a purchase by ``cutoff``, as an Ibis
    expression on the transactions' own backend (facts; the predictions when the standard reads
    one; the account fields and customer attributes of the side tables in the workspace
    ``side_tables``, :func:`xuanba.rounds.engine_extras.side_fields`), and ``notes`` as
    :func:`xuanba.rounds.run.gather_fields` gives them.

    ``keep(table)`` is applied to the facts and to the fields before they are read more than
    once (a round caches them in the engine); default: nothing. ``check_model``: the model's check
    on the year before the cutoff in ``notes["model_check"]`` (``auto``'s holdout year when that is
    it), as :func:`xuanba.rounds.run.model_check` gives it. ``extra_fields``: a table of the
    driver joined last, its columns winning (:func:`xuanba.rounds.engine_extras.extra_columns`),
    as the workspace round joins ``extra_fields``; what it gives is neither predicted nor gathered.
    ``mapping``: ``{field: header}`` for the source's headers, as ``xuanba ingest`` takes it
    (:func:`xuanba.rounds.source_check.named_as_ingest_names`)."""
    keep = keep or (lambda t: t)
    from xuanba._frames import to_pandas
    from xuanba.facts.expressions import FACT_COLUMNS, customer_facts_expr, with_rfm
    from xuanba.i18n import warnings_of
    from xuanba.models.predict import INTERVAL_COLUMNS
    from xuanba.rounds.engine_extras import (
        SideTables,
        extra_columns,
        extra_frame,
        model_check_on_engine,
        side_fields,
    )
    from xuanba.rounds.extra_names import (
        checked_extra_fields,
        extra_field_names,
        missing_words,
        not_finite,
    )

    say = progress or (lambda _msg: None)
    given: set[str] = set()
    unusable: dict[str, Any] = {}
    words: dict[str, Any] = {}
    if extra_fields is not None:
        given_frame = checked_extra_fields(to_pandas(extra_fields))
        unusable, words = not_finite(given_frame), missing_words(given_frame)  # counted in the file's rows
        extra_fields = extra_frame(extra_fields)  # its mistakes said before anything runs
        given = {str(c) for c in extra_field_names(extra_fields)}
    tables = SideTables.read(side_tables)
    _check_supported(standard, tables.columns(standard, given) | given)
    from xuanba.rounds.source_check import checked_transactions

    tx, source_rows = checked_transactions(transactions, cutoff, mapping=mapping)  # ingest's rules, counted in the query that finds the first date
    say("facts")
    # the facts without their RFM scores are kept first: the scores' cuts read them three times more
    base = keep(customer_facts_expr(tx, cutoff, time_unit=time_unit, rfm=False))  # type: ignore[arg-type]
    if is_spark(base):  # Spark's sort samples its input, then reads it again: the scored facts kept first
        table = keep(keep(steady_expr(with_rfm(base).select(*FACT_COLUMNS))).order_by("customer_id"))
    else:
        table = keep(steady_expr(with_rfm(base).select(*FACT_COLUMNS).order_by("customer_id")))
    notes: dict[str, Any] = {"predictions": "none", "account_fields": False, "extra_fields": [],
                             "extra_fields_not_finite": unusable, "extra_fields_missing_words": words,
                             "customer_fields": [],
                             "customer_fields_skipped": [], "source_rows": source_rows}
    used = standard.fields_used()
    if (used & set(PREDICTION_COLUMNS)) - given:
        say(f"predictions ({standard.predictions.model})")
        table, models, info = _predict_on_engine(table, standard, time_unit, tx, cutoff)
        table = keep(steady_expr(table, (*PREDICTION_COLUMNS, *INTERVAL_COLUMNS)))  # the facts are steady already
        notes["predictions"] = f"model:{info['model']}" if info["model"] else "unavailable"
        notes["models"] = {role: model_summary(m) for role, m in models.items()}
        notes["model_warnings"] = info["warnings"]
        if standard.predictions.interval is not None:  # as gather_fields says them
            notes["intervals"] = {"level": standard.predictions.interval, "method": "delta",
                                  "columns": [c for c in INTERVAL_COLUMNS if c in table.columns],
                                  "warnings": warnings_of("interval_none", info["warnings"])}
        notes["fitted"] = models
        notes["model_name"] = info["model"]
        if info["choice"] is not None:
            notes["model_choice"] = info["choice"]
        if info["model"] is not None and check_model:  # auto's holdout year when it is the check's, or its own
            notes["model_check"] = info.get("check") or model_check_on_engine(
                tx, info["model"], cutoff, time_unit=time_unit, penalizer=standard.predictions.penalizer)
        if info["unavailable"]:
            notes["unavailable"] = {"fields": info["unavailable"], "reason": info["reason"],
                                    "on_no_model": standard.predictions.on_no_model}
    if tables.accounts(standard, given) or tables.people is not None:
        say("account fields")
        table, side = side_fields(table, tx, standard, cutoff, tables, given)
        table = keep(table)
        notes.update(side)
    if extra_fields is not None:
        table, notes["extra_fields"] = extra_columns(table, extra_fields)
        table = keep(table)
    notes["_sources"] = (tx, tables)  # what the round's account analyses read (popped by the round)
    return table, notes


#: Rows per query when the driver reads a whole table in order to hash it (bounds its memory).
SHA_READ_ROWS = 250_000


def _roster_frame(arrow: Any, criteria: list[str]) -> pd.DataFrame:
    """Roster rows from the engine's Arrow result, with the workspace roster's columns and types."""
    from xuanba.standard.score import ROSTER_COLUMNS

    return roster_frame(arrow, [*ROSTER_COLUMNS, *criteria])


def _chunked_sha256(table: Any, position: str, n: int, frame: Any, columns: list[str],
                    seen: Any = None) -> str:
    """:func:`table_sha256` of the ``n`` rows of the Ibis ``table`` in the order of its 1-based
    ``position`` column, read :data:`SHA_READ_ROWS` rows at a time (``frame(arrow)`` turns each into
    the pandas rows the workspace round hashes): the driver never holds the whole table.
    ``seen(arrow)``, when given, is shown each block as read (every column of ``table``), in order:
    what else the driver wants of every row is taken from the same reads."""
    import hashlib

    h = hashlib.sha256()
    h.update("\x1f".join(map(str, columns)).encode("utf-8"))
    for lo in range(0, n, SHA_READ_ROWS):
        part = table.filter((table[position] > lo) & (table[position] <= lo + SHA_READ_ROWS))
        block = to_arrow_by(part, [position])
        if seen is not None:
            seen(block)
        rows = frame(block)
        h.update(row_hashes(rows[columns]).tobytes())
    return h.hexdigest()


class _RosterRead:
    """What the round takes of every roster row as the roster's hash reads it in rank order
    (:func:`_chunked_sha256`'s ``seen``): the selected rows (in rank order, as a query of them
    would give them) and the scores at ``ranks`` (the median's middle scores, on Spark): no query
    of their own.

    Example
    -------
    >>> import pyarrow as pa
    >>> read = _RosterRead([2])
    >>> read(pa.table({"rank": [1, 2], "score": [9.0, 7.0], "selected": [True, False]}))
    >>> read.selected()["rank"].to_pylist(), read.scores
    ([1], {2: 7.0})
    """

    def __init__(self, ranks: list[int]) -> None:
        self.ranks = ranks
        self.scores: dict[int, Any] = {}
        self._parts: list[Any] = []

    def __call__(self, block: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self._parts.append(block.filter(block["selected"]))  # a missing "selected" is not selected, as in a query
        if self.ranks:
            at = block.filter(pc.is_in(block["rank"], value_set=pa.array(self.ranks).cast(block["rank"].type)))
            self.scores.update(zip(at["rank"].to_pylist(), at["score"].to_pylist(), strict=True))

    def selected(self) -> Any:
        import pyarrow as pa

        return pa.concat_tables(self._parts)


def _inputs_frame(arrow: Any) -> pd.DataFrame:
    frame = arrow.to_pandas(date_as_object=False)
    frame["customer_id"] = frame["customer_id"].astype("str")
    return frame


def _money(t: Any, c: str) -> Any:
    """The customer's money value in column ``c``, 0 where unknown (as ``customer_values``)."""
    import ibis

    v = t[c].cast("float64")
    return ibis.ifelse(v.isnan() | is_inf(v), 0.0, ibis.coalesce(v, 0.0))


def _round_counts(t: Any) -> list[dict[str, Any]]:
    """How many customers of ``t`` (the roster) each tier, quadrant and score bin has, in one
    grouped query (``tier``, ``quadrant``, ``_b``, ``_n``; ``_b`` missing for a missing score):
    the summary's counts per tier and per quadrant and the scores' histogram are its sums (one job
    on Spark where there were three)."""
    return to_arrow(_counts_query(t)).to_pylist()


def _counts_query(t: Any) -> Any:
    """:func:`_round_counts`' grouped query (``tier``, ``quadrant``, ``_b``, ``_n``)."""
    return t.mutate(_b=_score_bin(t)).group_by(["tier", "quadrant", "_b"]).aggregate(_n=lambda x: x.count())


def _score_bin(t: Any) -> Any:
    """Each customer's score bin (:func:`xuanba.rounds.summary.score_bins`'s), missing without a score."""
    import ibis

    from xuanba.rounds.summary import SCORE_BINS

    s = t.score.cast("float64")
    width = 100.0 / SCORE_BINS
    # LEAST skips a NULL (DuckDB, Spark): a missing score would land in the last bin without the ifelse
    return ibis.ifelse(s.isnull(), ibis.null("int64"),
                       ibis.least((s.clip(lower=0.0, upper=100.0) / width).floor().cast("int64"), SCORE_BINS - 1))


def _tier_key(value: Any) -> str:
    return str(value or "")


def _counted(counts: list[dict[str, Any]], key: str) -> dict[str, int]:
    """The customers of ``counts`` (:func:`_round_counts`) per value of ``key`` (missing: ``""``)."""
    out: dict[str, int] = {}
    for r in counts:
        out[_tier_key(r[key])] = out.get(_tier_key(r[key]), 0) + int(r["_n"])
    return out


def _have_aggs(t: Any, value_cols: list[str]) -> dict[str, Any]:
    """How many customers have each money column, and the sum of its absolute values."""
    return {**{c: t[c].count() for c in value_cols}, **{f"_a_{c}": _money(t, c).abs().sum() for c in value_cols}}


def _round_figures(t: Any, value_cols: list[str], counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Every scalar the headline figures read of every customer of ``t`` (the roster joined with
    the money fields ``value_cols``) before the money is summed, in one query: who has each money
    value (:func:`_have_aggs`), the one-time buyers (:func:`_once_aggs`), the whale curve's totals
    for each measure it may read (:func:`_whale_aggs`) and the mean score of each tier of
    ``counts`` (``_ms<k>``, in :func:`_counted` order)."""
    return _scalars(t.aggregate(**_figure_aggs(t, value_cols), **_tier_means(t, counts)))


def _figure_aggs(t: Any, value_cols: list[str]) -> dict[str, Any]:
    """:func:`_round_figures`' aggregates but the tiers' mean scores: who has each money value, the
    one-time buyers, the whale curve's totals of each measure ``value_cols`` holds."""
    aggs = {**_have_aggs(t, value_cols), **_once_aggs(t)}
    for measure in ("profit_365d", "margin_365d"):
        if measure in value_cols:
            aggs.update(_whale_aggs(t, measure, value_cols, prefix=f"_w_{measure}"))
    return aggs


def _counts_and_figures(t: Any, value_cols: list[str], tiers: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """:func:`_round_counts` and :func:`_round_figures` of ``t`` in one query (on Spark one job, not
    two): the grouped counts and the one row of figures as one union, each row tagged. The mean
    score of each tier of ``tiers`` (the standard's names; ``""``, the customers of none, is added)
    is asked before the counts say which tiers have customers, then given as
    :func:`_round_figures` names it (``_ms<k>`` in :func:`_counted` order); a tier the counts hold
    beyond ``tiers`` has its figures read again by :func:`_round_figures`."""
    import ibis

    keys = list(dict.fromkeys([*tiers, ""]))
    means = {f"_mt{i}": _tier_mean(t, tier) for i, tier in enumerate(keys)}
    aggs = _figure_aggs(t, value_cols)
    one = t.aggregate(**aggs, **means)
    grouped = _counts_query(t)
    group_cols = ["tier", "quadrant", "_b", "_n"]
    left = grouped.select(_row=ibis.literal(0, type="int64"), **{c: grouped[c] for c in group_cols},
                          **{c: ibis.null(ty) for c, ty in one.schema().items()})
    right = one.select(_row=ibis.literal(1, type="int64"), **{c: ibis.null(ty) for c, ty in grouped.schema().items()},
                       **{c: one[c] for c in one.columns})
    rows = to_arrow(left.union(right)).to_pylist()
    counts = [{c: r[c] for c in group_cols} for r in rows if r["_row"] == 0]
    row = next((r for r in rows if r["_row"] == 1), {})
    counted = list(_counted(counts, "tier"))
    if any(tier not in keys for tier in counted):
        return counts, _round_figures(t, value_cols, counts)
    figures = {c: row.get(c) for c in aggs}
    figures.update({f"_ms{k}": row.get(f"_mt{keys.index(tier)}") for k, tier in enumerate(counted)})
    return counts, figures


def _tier_means(t: Any, counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean score of each tier of ``counts`` (:func:`_round_counts`), ``_ms<k>`` in :func:`_counted`
    order; tier ``""`` holds the customers of a missing or empty tier."""
    return {f"_ms{k}": _tier_mean(t, tier) for k, tier in enumerate(_counted(counts, "tier"))}


def _tier_mean(t: Any, tier: str) -> Any:
    """The mean score of ``tier``'s customers of ``t`` (``""``: those of a missing or empty tier)."""
    return t.score.cast("float64").mean(where=(t.tier == tier) if tier else (t.tier.isnull() | (t.tier == "")))


def _summary_on_engine(t: Any, n: int, n_sel: int, order: list[str], value_cols: list[str], *,
                       counts: list[dict[str, Any]] | None = None, figures: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    """:func:`xuanba.rounds.summary.round_summary` over every customer, as engine aggregates:
    ``t`` is the roster joined with the money fields (``value_cols``); only per-tier and
    per-quadrant figures and a few scalars reach the driver. ``counts`` (:func:`_round_counts`)
    and ``figures`` (:func:`_round_figures`): read already, else read here."""
    import ibis

    counts = _round_counts(t) if counts is None else counts
    tiers = _counted(counts, "tier")
    extra = sorted(set(tiers) - set(order))
    keys = [*order[:-1], *[k for k in extra if k], ""]
    quads = {k: v for k, v in _counted(counts, "quadrant").items() if k}
    out: dict[str, Any] = {
        "customers": n, "selected": n_sel,
        "tier_counts": {k: int(tiers.get(k, 0)) for k in keys},
        "quadrant_counts": {k: int(quads[k]) for k in sorted(quads)},
        "measure": None,
    }
    if figures is None:
        figures = _scalars(t.aggregate(**_have_aggs(t, value_cols))) if value_cols else {}
    have = figures
    measure = next((c for c in ("profit_365d", "margin_365d", "revenue_365d") if have.get(c)), None)
    if measure is None:
        return out
    # money summed in whole units (whole_unit): exact in any order the engine adds in, and the
    # workspace round's figures to the last digit (a float sum moved in its last bits: "of 12,201")
    unit = whole_unit(float(have[f"_a_{measure}"] or 0.0))
    t = t.mutate(_v=_money(t, measure))
    t = t.mutate(_u=(t._v * unit).round().cast("int64"))
    if is_spark(t):  # in the top n_sel by value (then rank): at or before the n_sel-th, found by a top-n
        # the n_sel first rows, the last of them kept: Spark takes a top-n per partition (as many rows as
        # the selection the driver holds anyway). An offset (limit(1, offset=n_sel - 1)) is compiled to a
        # row_number over every customer in one task: "No Partition Defined for Window operation"
        top = to_arrow(t.order_by([t._v.desc(), t["rank"]]).select("_v", "rank").limit(n_sel)) if n_sel else None
        last = top.slice(top.num_rows - 1).to_pylist()[0] if top is not None and top.num_rows else {}
        if last:
            v, r = ibis.literal(float(last["_v"]), type="float64"), int(last["rank"])
            top_n = (t._v > v) | ((t._v == v) & (t["rank"] <= r))
        else:
            top_n = ibis.literal(n_sel > 0)
        t = t.mutate(_c=t.selected & top_n)
    else:
        top = ibis.row_number().over(ibis.window(order_by=[t._v.desc(), t["rank"]]))  # np.argsort(-v, stable)
        t = t.mutate(_top=top)
        t = t.mutate(_c=t.selected & (t._top < n_sel))
    # the sums per tier, per quadrant, of the selected and of the whole base, and the covered, in one
    # grouped query: whole units, so the same sums whichever groups they are added in
    sums = to_arrow(t.group_by(["tier", "quadrant", t.selected.name("_sel"), "_c"])
                    .aggregate(_s=lambda x: x._u.sum(), _n=lambda x: x.count())).to_pylist()
    by_tier: dict[str, int] = {}
    by_quad: dict[str, int] = {}
    whole = selected_units = covered = 0
    for r in sums:
        units = int(r["_s"] or 0)
        by_tier[_tier_key(r["tier"])] = by_tier.get(_tier_key(r["tier"]), 0) + units
        by_quad[_tier_key(r["quadrant"])] = by_quad.get(_tier_key(r["quadrant"]), 0) + units
        whole += units
        selected_units += units if r["_sel"] else 0
        covered += int(r["_n"]) if r["_c"] else 0
    figures = {"_covered": covered}
    total, sel_value = whole / unit, selected_units / unit
    by_tier = {k: v / unit for k, v in by_tier.items()}
    by_quad = {k: v / unit for k, v in by_quad.items()}
    out.update({
        "measure": measure, "value_total": total, "value_selected": sel_value,
        "value_share": sel_value / total if total else None,
        "tier_values": {k: float(by_tier.get(k) or 0.0) for k in keys},
        "quadrant_values": {k: float(by_quad.get(k) or 0.0) for k in sorted(quads)},
    })
    if n_sel:
        out["coverage"] = float(figures["_covered"] or 0) / n_sel
        mean_all = total / n
        out["lift"] = (sel_value / n_sel) / mean_all if mean_all > 0 else None
    tot = {k[len(f"_w_{measure}"):]: v for k, v in have.items() if k.startswith(f"_w_{measure}")}
    whale = _whale_on_engine(t, measure, value_cols, tot or None)
    if whale is not None:
        out["whale"] = whale
    return out


def _scores_counted(counts: list[dict[str, Any]]) -> int:
    """How many customers of ``counts`` (:func:`_round_counts`) have a score (a score bin)."""
    return sum(int(r["_n"]) for r in counts if r["_b"] is not None)


def _middle_ranks(m: int) -> list[int]:
    """The ranks of the middle one or two of ``m`` scores (none without a score): ``rank`` orders
    the customers by score, highest first, missing scores last, so the ``i``-th lowest of the
    ``m`` scores is at rank ``m - i``.

    Example
    -------
    >>> _middle_ranks(5), _middle_ranks(4), _middle_ranks(0)
    ([3], [2, 3], [])
    """
    return sorted({m - (m - 1) // 2, m - m // 2}) if m else []


def _scores_on_engine(t: Any, *, counts: list[dict[str, Any]] | None = None,
                      figures: dict[str, Any] | None = None, middle: dict[int, Any] | None = None
                      ) -> dict[str, Any]:
    """What the report shows of every customer's score, as engine aggregates (the round stores
    only the selected customers): the median (pandas' median: the mean of the two middle scores
    when their number is even), the mean score of each tier (``""``: not selected), and the customers per
    score bin of each tier (:func:`xuanba.rounds.summary.score_bins`). ``counts``
    (:func:`_round_counts`) and ``figures`` (:func:`_round_figures`, of the same ``counts``): read
    already, else read here.

    On Spark the middle scores are read at their ranks: ``rank`` orders the customers by score,
    highest first, missing scores last, so the ``i``-th lowest of the ``m`` scores is at rank
    ``m - i`` (:func:`_middle_ranks`; a filter, where a sort of every score was two jobs and one
    more to read them). ``middle``: the scores at those ranks, read already (the round takes them
    from its read of the roster for its hash), else read here."""
    import ibis

    from xuanba.rounds.summary import SCORE_BINS

    s = t.score.cast("float64")
    counts = _round_counts(t) if counts is None else counts
    if figures is None:  # (an aggregate of nothing is no query: no tier when there is no customer)
        figures = _scalars(t.aggregate(**_tier_means(t, counts))) if counts else {}
    bins: dict[str, list[int]] = {}
    for r in counts:
        if r["_b"] is not None:
            row = bins.setdefault(_tier_key(r["tier"]), [0] * SCORE_BINS)
            row[int(r["_b"])] += int(r["_n"])
    means = {tier: (None if figures[f"_ms{k}"] is None else float(figures[f"_ms{k}"]))
             for k, tier in enumerate(_counted(counts, "tier"))}
    m = sum(sum(v) for v in bins.values())  # the scores there are
    median = None
    if m:  # the middle one or two by position in score order: never a top-n of half the base on the driver
        if is_spark(t):
            ranks = _middle_ranks(m)
            got = middle if middle is not None else dict(zip(
                *to_arrow(t.filter(t["rank"].isin(ranks)).select("rank", _s=s)).to_pydict().values(), strict=True))
            mids = [float(got[r]) for r in ranks]
        else:
            scored = t.select(_s=s).filter(ibis._._s.notnull())
            at = scored.mutate(_ix=ibis.row_number().over(ibis.window(order_by=scored._s)))
            mids = to_arrow(at.filter(at._ix.isin([(m - 1) // 2, m // 2])).select("_s"))["_s"].to_pylist()
        median = float(np.mean(mids))  # pandas' median: the mean of the two middle scores when m is even
    return {"median": median, "tier_mean_score": means, "histogram": bins}


def _whale_active(t: Any, measure: str, value_cols: list[str]) -> tuple[Any, Any]:
    """(whether a customer of ``t`` is active in the window, its ``measure`` 0 where missing or
    NaN), as :func:`xuanba.rounds.summary.whale_profits` reads them."""
    import ibis

    p = t[measure].cast("float64")
    active: Any = p.isnull() & ibis.literal(False)  # a column (it sums): no one, without a field that says
    for col in ("revenue_365d", "cost_to_serve_365d"):
        if col in value_cols:
            active = active | (ibis.coalesce(t[col].cast("float64"), 0.0) != 0)
    return active, ibis.ifelse(p.isnan(), 0.0, ibis.coalesce(p, 0.0))  # whale_profits' fillna(0.0)


def _whale_aggs(t: Any, measure: str, value_cols: list[str], *, prefix: str = "") -> dict[str, Any]:
    """The whale curve's totals over the active customers of ``t``: how many (``_m``), the sum of
    ``measure`` (``_t``) and of its absolute values (``_a``), each name after ``prefix``."""
    active, p = _whale_active(t, measure, value_cols)
    return {f"{prefix}_m": active.cast("int64").sum(), f"{prefix}_t": p.sum(where=active),
            f"{prefix}_a": p.abs().sum(where=active)}


def _whale_on_engine(t: Any, measure: str, value_cols: list[str],
                     tot: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The peak of the whale curve (:func:`xuanba.accounts.profit.whale_peak` of
    :func:`~xuanba.accounts.profit.whale_shape`) over the customers active in the window, with
    a cumulative-sum window in the engine: one row reaches the driver. ``tot``: its
    :func:`_whale_aggs` (without prefix), read already, else read here."""
    import ibis

    if measure not in ("profit_365d", "margin_365d"):
        return None
    active, p = _whale_active(t, measure, value_cols)
    w = t.filter(active).select(_p=p, _id=t.customer_id)
    tot = tot if tot is not None else _scalars(t.aggregate(**_whale_aggs(t, measure, value_cols)))
    m, total = int(tot["_m"] or 0), float(tot["_t"] or 0.0)
    if not m or total <= 0:
        return None
    # The running sum in whole millionths (the fields are rounded to six decimals): exact in any order
    # the engine adds in, so customers of no profit after the peak leave it exactly flat, as the
    # workspace's running sum does, and the peak's first customer is the workspace's. (A float sum
    # the engine groups its own way moved in its last bits there, and the peak by a customer.)
    unit = whole_unit(float(tot["_a"] or 0.0))
    w = w.mutate(_u=(w._p * unit).round().cast("int64"))
    if is_spark(w):  # running sum from a range-partitioned sort: no task holds every customer
        w = sorted_index(w, [w._p.desc(), w._id.asc()], "_ix", running_sum="_u", sum_name="_cum")
        w = w.mutate(_rank=w._ix + 1)
    else:
        # ties by id, as the workspace's stable sort of customers in id order: the rank and the running
        # sum must walk the tied customers in one order (each window alone may take any)
        by = [w._p.desc(), w._id.asc()]
        order = ibis.window(order_by=by, rows=(None, 0))
        w = w.mutate(_rank=ibis.row_number().over(ibis.window(order_by=by)) + 1, _cum=w._u.sum().over(order))
    # the first customer at the highest exact running sum, and the exact total (the running sum of
    # the last), in one query: the workspace's peak (whale_peak_units), never an ulp's choice
    peak = w.order_by([w._cum.desc(), w._rank]).limit(1).select("_rank", "_cum", _last=ibis.literal(False))
    last = w.filter(w._rank == m).select("_rank", "_cum", _last=ibis.literal(True))
    got = {r["_last"]: r for r in to_arrow(peak.union(last)).to_pylist()}
    rank, units = int(got[False]["_rank"]), int(got[True]["_cum"])
    if units <= 0:
        return None
    return {"measure": measure, "customers": rank, "of": m, "customer_pct": 100.0 * rank / m,
            "profit_pct": peak_share(int(got[False]["_cum"]), units)}


def _once_aggs(t: Any) -> dict[str, Any]:
    """:func:`xuanba.rounds.run.one_time_buyers`'s aggregates over ``t`` (``_o_…``; none without
    ``p_alive`` or ``frequency``)."""
    if "p_alive" not in t.columns or "frequency" not in t.columns:
        return {}
    once = t.frequency == 0
    p = t.p_alive.cast("float64")
    return {"_o_n": once.cast("int64").sum(), "_o_k": p.count(where=once), "_o_mean": p.mean(where=once),
            "_o_min": p.min(where=once), "_o_max": p.max(where=once),
            "_o_sure": (once & (p >= 0.999)).cast("int64").sum()}


def _one_time_buyers_on_engine(t: Any, figures: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """:func:`xuanba.rounds.run.one_time_buyers` as one engine aggregate (:func:`_once_aggs`;
    ``figures``: read already, :func:`_round_figures`)."""
    aggs = _once_aggs(t)
    if not aggs:
        return None
    figures = figures if figures is not None else _scalars(t.aggregate(**aggs))
    got = {k[2:]: figures[k] for k in aggs}
    if not got["_k"]:
        return {"customers": int(got["_n"] or 0), "mean_p_alive": None, "min_p_alive": None, "max_p_alive": None,
                "surely_active": 0}
    return {"customers": int(got["_n"]), "mean_p_alive": round(float(got["_mean"]), 6),
            "min_p_alive": round(float(got["_min"]), 6), "max_p_alive": round(float(got["_max"]), 6),
            "surely_active": int(got["_sure"] or 0)}


def _scalars(expr: Any) -> dict[str, Any]:
    row = to_arrow(expr).to_pylist()
    return row[0] if row else {}


def _contributions_of(rows: pd.DataFrame, points: np.ndarray, scoring: Standard) -> pd.DataFrame:
    """The long contributions of the roster ``rows`` from their 0–1 ``points`` (one column per criterion)."""
    from xuanba.standard.score import CONTRIBUTION_COLUMNS

    crits = scoring.criteria
    shares = scoring.weight_shares
    k, n = len(crits), len(rows)
    share = np.array([shares[c.name] for c in crits])
    raw = np.column_stack([rows[c.name].to_numpy(dtype=float) for c in crits]) if k else np.zeros((n, 0))
    matrix = 100.0 * share * points if k else np.zeros((n, 0))
    return pd.DataFrame({
        "customer_id": rows["customer_id"].to_numpy().repeat(k),
        "criterion": np.tile(np.array([c.name for c in crits], dtype=object), n),
        "raw": raw.ravel(),
        "normalised": points.ravel() if k else np.zeros(0),
        "weight": np.tile(share, n),
        "contribution": matrix.ravel(),
    }, columns=list(CONTRIBUTION_COLUMNS))


#: The engines a round is tested on end to end (Ibis backend names and what to call them).
ENGINES_THAT_WORK = {"duckdb": "DuckDB", "pyspark": "Spark"}


def _backend_of(table: Any) -> Any:
    """The Ibis backend of the Ibis expression ``table`` (:func:`~xuanba.ingest.backends.runs_on`);
    ``None`` for what is not one (a frame, run on Ibis' default backend)."""
    return runs_on(table) if hasattr(table, "op") else None


def _backend_name(table: Any) -> str:
    """The Ibis backend of ``table`` (``"duckdb"`` for an in-memory one), or its type's name."""
    try:
        return str(table._find_backend(use_default=True).name)
    except Exception:  # noqa: BLE001 - not an Ibis expression: a frame, run on DuckDB
        return "duckdb" if not hasattr(table, "op") else type(table).__name__


@contextlib.contextmanager
def _memtables_released(table: Any) -> Any:
    """The in-memory tables the block registers on the DuckDB connection of ``table`` (the
    per-history predictions, the selected ids ...) unregistered when it ends: a round run on a
    user's own connection leaves it as it found it. Elsewhere nothing (Spark's views:
    :func:`xuanba.rounds.spark.temp_views_dropped`; a private connection goes with its table)."""
    try:
        backend = table._find_backend(use_default=True) if hasattr(table, "_find_backend") else None
    except Exception:  # noqa: BLE001 - no backend to tidy
        backend = None
    known, raw = getattr(backend, "_memtables", None), getattr(backend, "con", None)
    if getattr(backend, "name", None) != "duckdb" or known is None or not hasattr(raw, "unregister"):
        yield
        return
    def memtables() -> set[str]:  # a registered Arrow table is a temporary view to DuckDB
        rows = raw.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal "
                           "AND view_name LIKE 'ibis\\_%memtable\\_%' ESCAPE '\\'").fetchall()
        return {str(r[0]) for r in rows}

    before = memtables()
    try:
        yield
    finally:
        for name in memtables() - before:
            with contextlib.suppress(Exception):  # already gone
                raw.unregister(name)
        for op in [m for m in list(known) if m.name not in before]:
            known.discard(op)  # registered again if it is ever read again


def _said_if_unsupported(run: Any) -> Any:
    """``run`` with the error of a backend that cannot compile part of the round (Ibis' "no
    translation rule", "not defined": polars has no window functions, SQLite no ``isnan``)
    said as an :class:`InputError` naming the backend and the engines that work."""
    import functools

    @functools.wraps(run)
    def wrapped(transactions: Any, *args: Any, **kwargs: Any) -> Any:
        from ibis.common.exceptions import TranslationError, UnsupportedArgumentError

        try:
            from xuanba.rounds.spark import temp_views_dropped

            # one round at a time on a connection (engine_lock); a user's session or connection left
            # with the views it had, the round failing or not
            with engine_lock.held(runs_on(transactions)), _memtables_released(transactions), \
                    temp_views_dropped(_backend_of(transactions)):
                return run(transactions, *args, **kwargs)
        except (TranslationError, UnsupportedArgumentError) as exc:
            name = _backend_name(transactions)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            works = Said(" or ".join(ENGINES_THAT_WORK.values()), Listed(ENGINES_THAT_WORK.values()))
            raise InputError(Phrase("err_ibis_backend", name=repr(name), first=first),
                             fix=Phrase("err_ibis_backend_fix", works=works)) from None

    return wrapped


@_said_if_unsupported
def run_round_on_engine(
    transactions: Any,
    standard: Standard | str | Path,
    cutoff: dt.date | str,
    *,
    workspace: Workspace | str | Path | None = None,
    roster_out: str | Path | RosterOut | None = None,
    time_unit: str = "week",
    name: str | None = None,
    progress: Progress | None = None,
    side_tables: Workspace | str | Path | None = None,
    check_model: bool = True,
    extra_fields: Any = None,
    roster_replace: bool = False,
    mapping: Mapping[str, str] | None = None,
) -> Round:
    """Apply ``standard`` at ``cutoff`` to the customers of an Ibis table of transactions, in
    the engine that holds it (see the module docstring).

    Parameters
    ----------
    transactions
        An Ibis table (Spark, DuckDB, ...) of transactions: ``customer_id``, ``ts``, ``amount``,
        optional ``cost`` and ``is_return`` (as ``xuanba ingest`` writes them), or an in-memory
        table (run on a private DuckDB). Its headers are read as ingest reads a file's (客户编号,
        下单日期, 金额, 退货标志, ...: :func:`xuanba.ingest.mapping.map_columns`).
    standard
        A :class:`~xuanba.standard.Standard`, a ``.toml`` path or TOML text: facts, predictions
        (a named model or ``auto``), account fields and customer attributes (from
        ``side_tables``).
    cutoff
        Facts and predictions as of this date (inclusive).
    workspace
        Where the round is stored (meta, headline figures, models, and the selected customers'
        roster rows, contributions and fields); ``None``: not stored (``round_id`` 0).
    roster_out
        Where every customer's roster row and fields are written by the engine
        (:mod:`xuanba.rounds.roster_out`): a folder (a :class:`~pathlib.Path` or text) for
        ``roster.parquet`` and ``fields.parquet``; on Spark also a URL (``s3a://…``,
        ``hdfs://…``, ``file://…``) holding the same two, or ``"table:db.name"``, a catalog table
        (the fields in ``db.name_fields``). Without it the whole roster is computed but not kept.
    roster_replace
        A ``table:`` that exists is replaced (else refused before the round runs).
    time_unit, name, progress
        As for :func:`xuanba.rounds.run_round`.
    side_tables
        The workspace whose side tables (``interactions``, ``commitments``, ``contacts``,
        ``customers``) give the account fields and customer attributes, as a workspace round
        gathers them; default ``workspace`` (when its file exists).
    check_model
        Check the model on the year before the cutoff and store it (table ``holdout``), as
        :func:`xuanba.rounds.run_round` does; ``False``: ``model_check = "skipped"`` in the meta.
    extra_fields
        A table (pandas, polars or Arrow) with ``customer_id`` and more fields the standard may
        use, as for :func:`xuanba.rounds.run_round` (its columns win over computed ones of the same
        name): checked on the driver, sent to the engine and joined there.
    mapping
        ``{field: header}`` for a header the aliases miss or one of two that look like one field,
        as ``xuanba ingest --map`` takes it.

    Returns
    -------
    Round
        As stored: ``roster``, ``fields`` and ``contributions`` of the selected customers (every
        customer's roster row is in ``roster_out``); ``meta`` counts and sums over every customer.

    Notes
    -----
    Rounds called at once from several threads on one connection (one Ibis backend, or frames:
    Ibis' default DuckDB) take turns, each returning what it returns alone; on different
    connections they run at once. Two rounds storing into one workspace take turns as well
    (docs/scale.md, "Two rounds at once").
    """
    import ibis

    from xuanba.rounds.summary import tier_order
    from xuanba.standard.engine import roster_expression
    from xuanba.standard.engine_kth import release as release_kth
    from xuanba.standard.score import ROSTER_COLUMNS

    say = progress or (lambda _msg: None)
    cut = _as_cutoff(cutoff)
    check_unit(time_unit, "time_unit")
    from xuanba.rounds.roster_out import checked_roster_out, parse_roster_out, roster_landing

    # said before the round runs, not after: a folder that cannot be written, a URL DuckDB cannot write, a table there
    from xuanba.rounds.source_check import refuse_roster_out_in_table_source

    target = parse_roster_out(roster_out, replace=roster_replace)
    refuse_roster_out_in_table_source(transactions, target)  # where the table's files can be known; before mkdir
    target = checked_roster_out(target, _backend_of(transactions))
    from xuanba._frames import to_pandas
    from xuanba.rounds.extra_names import checked_extra_fields, criteria_numbers, extra_field_names
    from xuanba.rounds.run import customer_attributes

    extra_fields = checked_extra_fields(to_pandas(extra_fields))  # polars/Arrow too; names checked before any is used
    std = as_standard(standard, extra_field_names(extra_fields),
                      customer_attributes(workspace if side_tables is None else side_tables))
    criteria_numbers(extra_fields, std)  # before the facts and the model, not when scoring
    # the roster and fields swapped into --roster-out only once the round is stored: a round that fails
    # to store (a full disk, a lock, a kill) leaves the earlier ones whole
    with contextlib.ExitStack() as landing:
        with contextlib.ExitStack() as stack:

            def keep(t: Any) -> Any:  # what is read many times is computed once and kept by the engine
                backend = t._find_backend(use_default=True)
                if backend.name == "pyspark":  # a plan that starts at the kept rows (engine_spark.checkpoint)
                    stack.callback(release, backend)
                    return checkpoint(t)
                return stack.enter_context(t.cache())

            table, notes = engine_fields(transactions, std, cut, time_unit=time_unit, progress=progress, keep=keep,
                                         side_tables=workspace if side_tables is None else side_tables,
                                         check_model=check_model, extra_fields=extra_fields, mapping=mapping)
            tx, side_tables_read = notes.pop("_sources")
            backend = table._find_backend(use_default=True)
            spread = is_spark(table)
            scoring, fallback = applied_standard(std, notes, cut)
            say("scoring")
            crit_names = [c.name for c in scoring.criteria]
            summary_cols = [c for c in SUMMARY_FIELDS if c in table.columns]
            used = sorted(f for f in std.fields_used() if f != "customer_id")
            if not spread:  # the percentile criteria's values in order it reads (engine_kth), let go at the end,
                stack.callback(release_kth, backend)  # a failure in roster_expression included
            expr, info = roster_expression(table, scoring)
            roster_cols = [*ROSTER_COLUMNS, *crit_names]
            # the roster and the fields the headline figures read, kept by the engine: read many times
            extra = [c for c in summary_cols if c not in expr.columns]
            side = table.select("customer_id", *[table[c].name(f"_s_{c}") for c in extra])
            full = expr.join(side, expr.customer_id == side.customer_id).select(
                *expr.columns, *[side[f"_s_{c}"].name(c) for c in extra])
            full = keep(full)
            full = full.mutate(**{c: full[c].cast("float64") for c, ty in full.schema().items() if ty.is_decimal()})
            n = int(info["n_customers"])
            places = None
            if target is not None:
                say("writing the roster")
                # the fields in the engine's order: no sort
                places = landing.enter_context(roster_landing(target, full.select(*roster_cols).order_by("rank"), table))
            say("headline figures")
            # counts by tier, quadrant and score bin (the summary's, the histogram's): first, for the
            # number of scores, whose middle ones the roster's read below takes on Spark
            if spread:  # with every figure in the same query (its mean scores per tier asked of the tiers named)
                counts, figures = _counts_and_figures(full, summary_cols, list(info["tier_counts"]))
            else:
                counts = _round_counts(full)
            say("hashes")
            # the roster read once in rank order for its hash gives the selected rows (and on Spark the
            # median's middle scores) on the way: no query of their own
            read = _RosterRead(_middle_ranks(_scores_counted(counts)) if spread else [])
            roster_sha = _chunked_sha256(full, "rank", n, lambda a: _roster_frame(a, crit_names), roster_cols,
                                         seen=read)
            picked = read.selected()
            selected = _roster_frame(picked, crit_names)
            points = (np.column_stack([picked[f"_pts_{c}"].to_numpy(zero_copy_only=False).astype(float)
                                       for c in crit_names]) if crit_names else np.zeros((len(selected), 0)))
            sel_fields = _selected_fields(table, selected["customer_id"].to_numpy())
            bounds = notes["intervals"]["columns"] if "intervals" in notes else []
            hashed = [*used, *[c for c in bounds if c not in used]]
            if spread:  # a range-partitioned sort numbered per range, not one task holding every row
                by_id = sorted_index(table.select("customer_id", *hashed), [ibis._.customer_id.asc()], "_ix")
                by_id = by_id.mutate(_pos=by_id._ix + 1).drop("_ix")
            else:
                by_id = keep(table.select("customer_id", *hashed).mutate(
                    _pos=ibis.row_number().over(ibis.window(order_by="customer_id")) + 1))
            data_sha = _chunked_sha256(by_id, "_pos", n, _inputs_frame, ["customer_id", *used])
            if "intervals" in notes:  # as the workspace round proves them: every customer's bounds, by id
                notes["intervals"]["sha256"] = _chunked_sha256(by_id, "_pos", n, _inputs_frame, ["customer_id", *bounds])
            say("summary")
            order, _ = tier_order(std, pd.DataFrame({"tier": list(info["tier_counts"])}))
            # the figures of every customer in two queries (the counts above; every scalar), read by the
            # summary, the one-time buyers and the scores
            if not spread:
                figures = _round_figures(full, summary_cols, counts)
            summary = _summary_on_engine(full, n, int(info["n_selected"]), order, summary_cols,
                                         counts=counts, figures=figures)
            once = _one_time_buyers_on_engine(full, figures)
            scores = _scores_on_engine(full, counts=counts, figures=figures, middle=read.scores if spread else None)
            say("account work")
            book = side_tables_read.book(tx, cut, selected=set(selected["customer_id"].astype(str)),
                                         scores=full.select("customer_id", "potential_score"))
        meta: dict[str, Any] = {
            "name": name or f"{std.name} v{std.version} @ {cut.isoformat()}",
            "cutoff": cut.isoformat(),
            "created_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "standard_name": std.name, "standard_version": std.version, "standard_sha256": std.sha256,
            "data_sha256": data_sha, "roster_sha256": roster_sha,
            "scoring_rules": _scoring_rules(),
            "n_customers": info["n_customers"], "n_selected": info["n_selected"], "time_unit": time_unit,
            "currency": std.currency, "n_gated_out": info["n_gated_out"],
            "n_left_out_by_capacity": info["n_left_out_by_capacity"], "capacity_method": info["capacity_method"],
            "tier_counts": info["tier_counts"], "predictions": notes["predictions"],
            "extra_fields": notes["extra_fields"], "extra_fields_not_finite": notes["extra_fields_not_finite"],
            "extra_fields_missing_words": notes["extra_fields_missing_words"],
            "customer_fields": notes["customer_fields"],
            "customer_fields_skipped": notes["customer_fields_skipped"], "account_fields": notes["account_fields"],
            "field_columns": [c for c in sel_fields.columns if c != "customer_id"],
            "summary": summary, "base_scores": scores,
            "engine": backend.name, "stored_customers": "selected", "source_rows": notes["source_rows"],
            "roster_out": str(target) if target is not None and not target.temporary else None,
        }
        if places is not None and not target.temporary:  # where every customer's roster row and fields went
            meta["roster_places"] = places
        if once is not None:
            meta["summary"]["one_time_buyers"] = once
        if fallback is not None:
            meta["fallback"] = fallback
        tables: dict[str, StoredTable] = {}
        if "intervals" in notes:
            meta["intervals"] = notes["intervals"]
        if "model_choice" in notes:
            meta["model_choice"] = notes["model_choice"]
        if "models" in notes:
            meta["models"] = notes["models"]
            meta["model_warnings"] = notes["model_warnings"]
            for role, model in notes["fitted"].items():
                tables[f"model_{role}"] = StoredTable(model.to_document())
            if notes.get("model_check") is not None:  # the year before the cutoff, as a workspace round's
                tables["holdout"] = notes["model_check"]
            elif notes.get("model_name"):
                meta["model_check"] = "skipped"  # check_model=False
        for key, (book_info, frame) in book.items():  # the account analyses, stored as a workspace round's
            tables[key] = StoredTable(book_info, frame)
        rnd = Round(0, meta, std, selected, _contributions_of(selected, points, scoring), fields=sel_fields,
                    tables=tables)
        if workspace is not None:
            from xuanba.rounds.store import save_round

            say("storing")
            with open_workspace(workspace, create=True) as ws:
                rnd.round_id = save_round(ws, rnd)
    return rnd


def _scoring_rules() -> int:
    from xuanba.standard.score import SCORING_RULES

    return SCORING_RULES


def _selected_fields(table: Any, ids: np.ndarray) -> pd.DataFrame:
    """Every field of the customers ``ids``, fetched from the engine (sorted by id)."""
    import ibis
    import pyarrow as pa
    import pyarrow.compute as pc

    from xuanba.models.engine import run

    keys = ibis.memtable(pa.table({"_id": pa.array([str(i) for i in ids], type=pa.string())}))
    picked = table.join(keys, table.customer_id == keys._id).select(*table.columns)
    if is_spark(picked) and picked.customer_id.type().is_string():  # sorted by the driver (to_arrow_by)
        frame = run(picked)
        order = pc.sort_indices(pa.array(frame["customer_id"].to_numpy(dtype=object), type=pa.string()))
        frame = frame.take(order.to_numpy()).reset_index(drop=True)
    else:
        frame = run(picked.order_by("customer_id")).reset_index(drop=True)
    frame["customer_id"] = frame["customer_id"].astype("str")
    return frame


def _read_csv_source(con: Any, pattern: str, mapping: Mapping[str, str] | None = None, *, padded: bool = False) -> Any:
    """The CSV at ``pattern`` on ``con``, its money columns (``amount``, ``cost``, by the headers
    ingest reads them from: :func:`xuanba.ingest.mapping.map_columns`, ``mapping`` first) read as doubles
    where DuckDB's sniffer would make them integers: it types a column on a sample (20,480 rows),
    and a column it took for integers read a later ``1.5`` as 2 and ``7.49999`` as 7, silently.
    Doubles, not text: text keeps the source check off its fast path (2.2× its CPU on 500 k rows,
    a 100 k round +34 %). So an amount within 0.0001 of 1e14 (``99999999999999.9999``, which
    ingest's ``DECIMAL(18,4)`` stores) is the double 1e14 here, and rejected with its reason.
    A money column DuckDB reads as text (``¥1,234.50``, ``1.2万``, ``1.234,50``, full-width digits,
    Excel's `` - ``) is read by ingest's own SQL (:func:`xuanba.ingest.money.money_text_sql`): the
    same numbers ingest stores, and a cell that is no money by its rules (``12%``, ``1.2元万``)
    left as written for the source check to refuse, naming its row. A column typed on the sample
    whose later cell is no such number fails the first scan; the source check then reads the money
    again as text (:func:`reread_money_as_text`): a CSV of numbers is scanned as before.

    Example
    -------
    >>> import ibis, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("customer_id,ts,amount\\na,2025-01-01,5\\n")
    >>> _read_csv_source(ibis.duckdb.connect(), str(path)).schema()["amount"]
    Float64(nullable=True)
    """
    from xuanba.ingest.csv_source import csv_read_options, source_files
    from xuanba.ingest.encodings import refuse_empty, refuse_nul
    from xuanba.ingest.mapping import header_test, map_columns
    from xuanba.rounds.source_check import refuse_glob_headers_apart

    for path in source_files(pattern):  # text not UTF-8 DuckDB stops at itself: said by csv_read_refused
        refuse_empty(path)  # no text (a BOM alone): DuckDB reads one column, column0
        refuse_nul(path)  # a NUL anywhere, as ingest refuses it: DuckDB reads it into the cell
    told = csv_read_options(pattern, header_test(mapping))  # the header where ingest finds it, its line end
    refuse_glob_headers_apart(pattern, header_test(mapping), mapping=mapping)  # a file lacking a column: DuckDB's traceback
    if padded:
        told = _padded(pattern, told, mapping) or told
    table, told = _read_quoted(con, pattern, told)
    schema = table.schema()
    if not padded and (wider := _padded(pattern, told, mapping, len(schema.names))) is not None:
        # a line of spaces or a short row in the sniffer's sample: it read the file as one column
        told, padded = wider, True
        table = con.read_csv(pattern, **told)
        schema = table.schema()
    _refuse_twin_headers(con, pattern, list(schema.names), mapping, csv=told)
    found = map_columns(list(schema.names), mapping, file=pattern)  # ingest's headers: 金额, 退货标志, ...
    money = [found[f] for f in ("amount", "cost") if f in found]
    ts = found.get("ts")
    as_text = {found[f]: "VARCHAR" for f in ("customer_id", *_RETURN_TEXT) if f in found and not schema[found[f]].is_string()}
    types = {c: "DOUBLE" for c in money if schema[c].is_integer()} | as_text
    strict = _date_format(con, pattern, told, schema[ts]) if ts is not None else {}
    read = _CsvRead(weakref.ref(con), pattern, mapping, money, [c for c in money if schema[c].is_string()], ts,
                    ts is not None and _dates_as_text(schema[ts], strict), types, told, strict)
    try:
        table = read.read() if types or read.text or read.dates or read.strict else table
    except Exception as exc:  # a glob's later file sniffed as one column; a short row below the sample met
        if padded or not _short_row(exc):
            raise
        return _read_csv_source(con, pattern, mapping, padded=True)
    _remember(table, read, padded)
    return table


class _CsvRead(NamedTuple):
    """How a CSV source is read (:func:`_read_csv_source`), to read it again as ingest reads a cell
    that DuckDB's types, set on its sniffer's 20,480-row sample, do not (:func:`reread_as_text`)."""

    con: Any  # a weak reference to the connection
    pattern: str
    mapping: Mapping[str, str] | None
    money: list[str]  # the money columns
    text: list[str]  # those read as text by ingest's SQL (:func:`xuanba.ingest.money.money_text_sql`)
    ts: str | None  # the date column
    dates: bool  # read as text by ingest's SQL (:func:`xuanba.ingest.date_text.date_text_sql`)
    types: dict[str, str]  # the other columns' types told
    told: dict[str, Any]  # the read_csv options (:func:`xuanba.ingest.csv_source.csv_read_options`)
    strict: dict[str, str]  # the date's format told, where DuckDB typed it (:func:`_date_format`)

    def read(self, con: Any = None) -> Any:
        """The source read so: money and dates as ingest reads their text, where they are."""
        from xuanba.ingest.date_text import date_text_sql
        from xuanba.ingest.money import money_text_sql
        from xuanba.ingest.read import quote

        con = con or self.con()
        types = {**self.types, **{c: "VARCHAR" for c in self.text}, **({self.ts: "VARCHAR"} if self.dates else {})}
        # with quote='"' as ingest reads a CSV; told, DuckDB's sniffer reads a quoted "¥1,234.50" that
        # comes after its sample (20,480 rows of smaller amounts), where it stopped
        quoted = {"quote": '"'} if self.text or self.dates else {}  # the fast path: the options it was sniffed with
        options = {**quoted, **self.told, **({} if self.dates else self.strict), **({"types": types} if types else {})}
        table = con.read_csv(self.pattern, **options)
        for suffix, sql in (("money", self.text and (lambda r: money_text_sql(con.con, r, self.text, file=self.pattern))),
                            ("dates", self.dates and (lambda r: date_text_sql(con.con, r, str(self.ts))))):
            if sql:  # a view over the read_csv view: its folder still found (source_folders)
                view = f"{table.get_name()}_{suffix}"
                con.raw_sql(f"CREATE TEMP VIEW {quote(view)} AS {sql(quote(table.get_name()))}")
                table = con.table(view)
        return table


def _date_format(con: Any, pattern: str, told: Mapping[str, Any], typ: Any) -> dict[str, str]:
    """The ``dateformat`` (``timestampformat``) DuckDB's sniffer found for a date column it typed
    ``typ`` (``{}`` for text), told back to it: told, its reader refuses a cell of another form
    (``2025-03-01 x`` below the sample, which its own reading takes for 2025-03-01, where ingest
    rejects the line), and the round reads the dates as text (:func:`reread_as_text`)."""
    from xuanba.ingest.csv_source import source_files

    if not typ.is_temporal():
        return {}
    files = source_files(pattern)
    options = ", ".join(f"{k} = {_sql_value(v)}" for k, v in told.items() if k != "parallel")
    try:
        got = con.con.execute(f"SELECT DateFormat, TimestampFormat FROM sniff_csv(?{', ' if options else ''}{options})",
                              [str(files[0]) if files else pattern]).fetchone()
    except Exception:  # noqa: BLE001 - a file its sniffer reads only as the read found it: DuckDB's own reading, as before
        return {}
    key, fmt = ("dateformat", got[0]) if typ.is_date() else ("timestampformat", got[1])
    return {key: fmt} if fmt else {}


def _dates_as_text(typ: Any, strict: Mapping[str, str]) -> bool:
    """Whether a date column DuckDB's sniffer typed ``typ`` (its format ``strict``, :func:`_date_format`)
    is read as text by ingest's reader: text; numbers (``45717``, an Excel serial day, and ``20250301``
    are dates to ingest, seconds since 1970 to DuckDB); a format ingest does not read as DuckDB does
    (``01-02-2025``; ``1/2/2025``, whose order ingest decides from the whole column, not a sample)."""
    from xuanba.ingest.date_text import reads_as_ingest

    return typ.is_string() or typ.is_numeric() or not all(reads_as_ingest(f) for f in strict.values())


def _sql_value(value: Any) -> str:
    """``value`` as a SQL literal (a read_csv option's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _read_quoted(con: Any, pattern: str, told: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``con.read_csv(pattern)`` with ``told`` and ingest's quote (``"``), and the options it read with:
    DuckDB's sniffer takes a file whose 20,480-row sample holds no quote for one without quoting, and
    cut a quoted cell below it at its delimiter (a traceback) or its line break (two rows). Where the
    sniffer cannot read the file told the quote (a quoted title over a ``;`` file, a quirk of its
    search), the file is read as it sniffs it: such a sample holds a quote, which it finds itself."""
    import duckdb

    if "quote" in told:
        return con.read_csv(pattern, **told), told
    try:
        return con.read_csv(pattern, **{"quote": '"', **told}), {"quote": '"', **told}
    except duckdb.Error as exc:
        if "Error when sniffing" not in str(exc):
            raise
        return con.read_csv(pattern, **told), told


def _padded(pattern: str, told: Mapping[str, Any], mapping: Mapping[str, str] | None,
            found: int | None = None) -> dict[str, Any] | None:
    """The ``read_csv`` options ``told`` with ingest's reading of a row shorter than the header (a
    line of spaces or tabs, a row cut short: its missing cells empty, the row then kept or rejected
    by ingest's rules, every line counted): the delimiter ingest finds, ``null_padding``, and the
    one-thread reader, the parallel one splitting a quoted line break below its sample in two rows
    beside the padding. With ``found``, the columns DuckDB's sniffer read: ``None`` where that is as
    many as ingest's header holds (the sniffer read the file: its own options kept). ``None`` too for
    a file ingest reads by runs of whitespace, which DuckDB cannot be told."""
    from xuanba.ingest.csv_source import csv_headers
    from xuanba.ingest.mapping import header_test

    heads = csv_headers(pattern, header_test(mapping))
    if not heads or heads[0][1] == " " or (found is not None and found >= len(heads[0][2])):
        return None
    return {**told, "delim": heads[0][1], "null_padding": True, "parallel": False, "quote": '"', "escape": '"'}


def _refuse_twin_headers(con: Any, pattern: str, columns: Sequence[str], mapping: Mapping[str, str] | None, *,
                         csv: Mapping[str, Any] | None) -> None:
    """Refuse a source with two headers of one name written twice (``customer_id`` and
    ``CUSTOMER_ID``), as ingest refuses such a file (:func:`xuanba.ingest.read.duplicate_headers`,
    only twins of a field's name or of a ``mapping`` column): DuckDB reads the second as
    ``CUSTOMER_ID_1``, and the round read the first one, silently. Only where a column looks so
    renamed are the file's own headers read (a CSV's header line; each Parquet part's schema);
    twins DuckDB keeps apart (``amount``, ``ａｍｏｕｎｔ``) are refused by ``columns``, named with the
    file as ingest names them (map_columns said "both look like amount" and asked for a --map).
    ``csv``: the ``read_csv`` options the CSV source was read with (:func:`xuanba.ingest.csv_source.csv_read_options`),
    ``None`` for Parquet."""
    import re

    from xuanba.ingest.mapping import read_as_field
    from xuanba.ingest.read import duplicate_headers

    matters = read_as_field(mapping)
    folded = {str(c).casefold() for c in columns}
    if not any((m := re.fullmatch(r"(.+)_[0-9]+", str(c))) and m.group(1).casefold() in folded for c in columns):
        duplicate_headers(columns, file=pattern, matters=matters)
        return
    raw = con.con
    if csv is not None:  # the header line as written, read where the source's read found it
        told = (f", skip = {int(csv.get('skip', 0))}" + (f", new_line = '{csv['new_line']}'" if "new_line" in csv else "")
                + (", quote = '\"'" if "quote" in csv else ""))
        files = [[str(c) for c in raw.execute(f"SELECT * FROM read_csv(?, header = false, all_varchar = true{told}) "
                                              "LIMIT 1", [pattern]).fetchone() or ()]]
    else:
        import pyarrow.parquet as pq

        files = [pq.read_schema(f).names for (f,) in raw.execute("SELECT file FROM glob(?)", [pattern]).fetchall()]
    for header in files:
        duplicate_headers(header, file=pattern, matters=matters)


#: The columns the return rule reads as text (:func:`xuanba.ingest.rules.is_return_line`, and a
#: source's own ``is_return``), as ingest reads every cell: typed on DuckDB's sample (order numbers
#: 1, 2, ...; status codes; 0/1), a later credit note ``C123``, ``退货`` or ``是`` stopped the scan.
#: The customer ids are read as text so too (member numbers 1, 2, ..., then a walk-in ``W-17``).
_RETURN_TEXT = ("order_id", "quantity", "status", "is_return")


#: How each CSV source read (:func:`_read_csv_source`) was read, and whether with ingest's padding of
#: a short row (:func:`_padded`), by its table's operation: a weak key, so an entry lives as long as
#: the table (a web server or a notebook reads many sources in one process; by the view's name,
#: every source read stayed).
_READS: weakref.WeakKeyDictionary[Any, tuple[_CsvRead, bool]] = weakref.WeakKeyDictionary()


def _remember(table: Any, read: _CsvRead, padded: bool) -> None:
    """Keep how ``table`` was read for as long as it lives (:data:`_READS`)."""
    _READS[table.op()] = (read, padded)


def _read_of(source: Any) -> tuple[_CsvRead, bool] | None:
    """How the CSV source ``source`` was read (:data:`_READS`); ``None`` for any other table."""
    try:
        return _READS.get(source.op())
    except (AttributeError, TypeError):  # an in-memory frame, an expression
        return None


def dates_read_as_ingest(source: Any) -> bool:
    """Whether ``source`` is a CSV source whose dates DuckDB's round read as text by ingest's reader
    (:func:`xuanba.ingest.date_text.date_text_sql`): a cell left as written is one ingest rejects
    ("unparseable date"), not a format the engine does not read."""
    read = _read_of(source)
    return read is not None and read[0].dates


def csv_cell_refused(exc: Exception) -> InputError | None:
    """DuckDB's failure to read a CSV cell as the type it gave the column on its sample (a date
    column with ``2025-13-45`` after 20,480 rows) as xuanba says it: the file, the row and line,
    the column, the value and the fix, in English and Chinese; ``None`` for any other error.
    DuckDB numbers records, not lines (:func:`xuanba.ingest.csv_records.record_place` finds the file's
    line where a quoted cell above holds a line break)."""
    import re

    import duckdb

    from xuanba.errors import quoted
    from xuanba.ingest.csv_records import record_place

    said = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", said)
    cell = re.search(r'converting column "(.+?)"\. Could not convert string "(.*?)" to \'(\w+)\'', said)
    if not isinstance(exc, duckdb.ConversionException) or line is None or cell is None:
        return None
    file = _option(said, "file")
    column, value, typ = cell.groups()
    number, row = int(line.group(1)), None
    if file is not None:
        above = int(_option(said, "skip_rows") or 0) + (_option(said, "header") == "true")
        number, row = record_place(file, number, _option(said, "delimiter") or ",", above)
    return InputError(Phrase("err_source_csv_cell", line=str(number), value=quoted(value), type=typ),
                      file=file, row=row, column=column, fix=Phrase("err_source_csv_cell_fix"))


def csv_read_refused(exc: Exception, mapping: Mapping[str, str] | None = None) -> InputError | None:
    """DuckDB's failure to read a CSV source as xuanba says it, naming the user's file: a cell not of
    its column's type (:func:`csv_cell_refused`), a file that is not UTF-8 (GBK, as Chinese Excel
    saves a CSV: :func:`_not_utf8_refused`), a file of a glob whose column DuckDB typed apart from
    the first file's (:func:`_glob_types_refused`), or a row wider than the header or a loose quote
    (:func:`_records_refused`, the header found by ``mapping`` as ingest finds it); ``None`` for any
    other error."""
    return (csv_cell_refused(exc) or _not_utf8_refused(str(exc)) or _glob_types_refused(str(exc))
            or _records_refused(exc, mapping))


def _records_refused(exc: Exception, mapping: Mapping[str, str] | None = None) -> InputError | None:
    """DuckDB's refusal of a CSV source's records as ingest says it (:func:`xuanba.ingest.read._csv_error`:
    the row, the fix): a row wider than the header, which DuckDB's read refuses below its sniffer's
    sample (``Expected Number of Columns: 3 Found: 4``) and its sniffer in the sample (the read as
    ingest reads a short row, :func:`_padded`, cannot sniff it); a quoted cell closed and followed by
    text (``"q" tail``: ``unterminated quote``). The file is scanned for the record only then, the
    header found by ``mapping``; ``None`` where ingest's scan names none (DuckDB's error said otherwise)."""
    import re

    from xuanba.ingest.csv_source import _headers_at
    from xuanba.ingest.mapping import header_test
    from xuanba.ingest.read import _csv_error

    said = str(exc)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", said)
    sniffed = re.search(r'Error when sniffing file "(.+?)"', said)
    if fields and int(fields[2]) > int(fields[1]) or "unterminated quote" in said:
        file = _option(said, "file")
    else:
        file = sniffed[1] if sniffed else None
    if not file or not Path(file).is_file():
        return None
    for _path, delim, sample, at in _headers_at(file, header_test(mapping)):
        if delim == " ":  # runs of whitespace: DuckDB is not told them
            return None
        refused = _csv_error(exc, file, sample[at][1] + 1, Path(file), delim)  # type: ignore[arg-type]
        named = refused.row is not None and refused.phrase is not None
        return refused if named and refused.phrase.key.startswith(("err_csv_fields", "err_csv_quotes")) else None
    return None

def _not_utf8_refused(said: str) -> InputError | None:
    """DuckDB's ``This file is not utf-8 encoded`` as :func:`xuanba.ingest.encodings.not_utf8` says it
    (the file's first byte that is not UTF-8, its line, its text where it reads as GBK), with the fix."""
    from xuanba.ingest.encodings import not_utf8

    file = _option(said, "file")
    if "not utf-8 encoded" not in said or file is None or not Path(file).is_file():
        return None
    return not_utf8(file)


def _glob_types_refused(said: str) -> InputError | None:
    """DuckDB's ``Schema mismatch between globbed files`` (a later file of a CSV glob with a cell
    that is not of the type DuckDB gave its column on the first file): that file read again with the
    first file's type, for the cell's line, row and value (:func:`csv_cell_refused`); else the
    file, the column and both types."""
    import re

    import ibis

    from xuanba.errors import quoted
    from xuanba.ingest.csv_source import csv_read_options
    from xuanba.workspace import duckdb_settings

    m = re.search(r"Main file schema: (.+)\nCurrent file: (.+)\nColumn with name: \"(.+?)\" is expected to have "
                  r"type: (\w+) But has type: (\w+)", said)
    if m is None:
        return None
    first, current, column, expected, found = (g.strip() for g in m.groups())
    con = ibis.duckdb.connect(**duckdb_settings())
    try:
        t = con.read_csv(current, types={column: expected}, **csv_read_options(current))
        t.aggregate(_m=t[column].max()).to_pyarrow()
    except Exception as again:  # noqa: BLE001 - the cell's own error, said as a single file's
        cell = csv_cell_refused(again)
        if cell is not None:
            return cell
    finally:
        con.disconnect()
    return InputError(Phrase("err_source_glob_types", column=quoted(column), found=found, expected=expected,
                             first=quoted(first)), file=current, column=column, fix=Phrase("err_source_glob_types_fix"))


def _option(said: str, name: str) -> str | None:
    """The value of the option ``name`` among those DuckDB lists under a CSV error (``  quote = "
    (Auto-Detected)``; ``(empty)``: none), as written (a tab delimiter is a tab)."""
    import re

    found = re.search(rf"^  {name} = (.*?)(?: \((?:Auto-Detected|Set By User)\))?$", said, re.MULTILINE)
    if found is None or found.group(1) in ("", "(empty)"):
        return None
    return found.group(1) if name == "delimiter" else found.group(1).strip()


def reread_as_text(source: Any, exc: Exception) -> Any | None:
    """``source`` read again with its money columns (or its dates) as text, read by ingest's SQL,
    when it is a CSV source that DuckDB typed on its 20,480-row sample and ``exc`` is DuckDB's
    failure to read a later cell of that column: whole numbers beside Excel's `` - ``, or ``¥13``
    after that sample; ``2025-03-01 x`` or ``2025年3月1日`` below a sample of ISO dates (their format
    told, :func:`_date_format`); ``None`` otherwise. No pass more on a clean CSV: only after it failed."""
    import duckdb

    known = _read_of(source) if isinstance(exc, duckdb.ConversionException) else None
    con = known[0].con() if known is not None else None
    if known is None or con is None:
        return None
    read, padded = known
    said = str(exc)
    money = any(f'column "{c}"' in said for c in read.money if c not in read.text)
    dates = read.ts is not None and not read.dates and f'column "{read.ts}"' in said
    if not money and not dates:
        return None
    read = read._replace(text=read.money if money else read.text, dates=read.dates or dates)
    try:
        again = read.read(con)
    except Exception as short:  # its decimal marks read every money cell: a short row below the sample met
        if padded or (again := reread_short_rows(source, short)) is None:
            raise
        return again
    _remember(again, read, padded)  # a short row further down is met by the scan of the text read
    return again


def _short_row(exc: Exception) -> bool:
    """Whether ``exc`` is DuckDB's refusal of a row shorter than the header (``Expected Number of
    Columns: 3 Found: 1``: a line of spaces, a row cut short), which ingest reads padded; or of a
    glob's later file whose own sample holds one (DuckDB sniffs each file: it read that one as a
    single column, "Schema mismatch between globbed files ... is missing", or a column it was told
    the type of not found; a file lacking a column is refused before, by its header)."""
    import re

    import duckdb

    said = str(exc)
    short = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", said)
    if not isinstance(exc, duckdb.Error):
        return False
    if short is not None:
        return int(short[2]) < int(short[1])
    return ("Schema mismatch between globbed files" in said and "is missing" in said) or (
        "COLUMN_TYPES error" in said and "do not exist in the CSV File" in said)


def reread_short_rows(source: Any, exc: Exception) -> Any | None:
    """``source`` read again as ingest reads a row shorter than the header (:func:`_padded`), when it
    is a CSV source read with DuckDB's sniffed options and ``exc`` is DuckDB's refusal of such a row
    below its sample (``Expected Number of Columns: 3 Found: 1``: a line of spaces, a row cut short);
    ``None`` otherwise. No pass more on a CSV whose rows are whole: only after it failed."""
    known = _read_of(source) if _short_row(exc) else None
    con = known[0].con() if known is not None else None
    if known is None or known[1] or con is None:
        return None
    return _read_csv_source(con, known[0].pattern, known[0].mapping, padded=True)


def duckdb_source(source: str | Path, *, mapping: Mapping[str, str] | None = None) -> Any:
    """The transactions at ``source`` (a Parquet file, a folder of parts, a glob, or ``.csv``)
    as an Ibis table on a private DuckDB opened with xuanba's settings
    (:func:`xuanba.workspace.duckdb_settings`: its memory limit, past which it spills); a path
    that cannot be read is an :class:`InputError`. Its columns keep their headers (the round
    reads them as ingest does); a ``.csv``'s money and return columns are typed by the headers
    ingest reads them from (``mapping`` ``{field: header}`` first, as the round's).

    Example
    -------
    >>> duckdb_source("no/such/file.parquet")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: no/such/file.parquet: --source 'no/such/file.parquet' does not exist
      fix: Give the path of the transactions (Parquet file or folder, or .csv).
    """
    import re

    import ibis

    text = str(source)
    if "://" in text:  # a local file:// URL is its path; any other needs DuckDB's httpfs, not downloaded here
        from urllib.parse import unquote, urlparse

        parsed = urlparse(text)
        if parsed.scheme.lower() != "file":
            raise InputError(Phrase("err_source_url_duckdb", source=repr(text)),
                             fix=Phrase("err_source_url_duckdb_fix", source=text))
        text = unquote(parsed.path)
    path = Path(text)
    if not any(ch in text for ch in "*?[") and not path.exists():
        raise InputError(Phrase("err_duckdb_source_missing", source=repr(text)), file=text,
                         fix=Phrase("err_duckdb_source_missing_fix"))
    from xuanba.workspace import duckdb_settings

    packed = re.search(r"\.csv(\.[a-z0-9]+)$", text.lower()) if not path.is_dir() else None
    if packed:  # sales.csv.gz: neither Parquet, as DuckDB would read it, nor a CSV ingest's checks read
        raise InputError(Phrase("err_source_packed", source=repr(text), suffix=packed.group(1)), file=text,
                         fix=Phrase("err_source_packed_fix"))
    con = ibis.duckdb.connect(**duckdb_settings())  # xuanba's memory limit and spill folder, not DuckDB's 80 %
    pattern = str(path / "**" / "*.parquet") if path.is_dir() else text
    try:
        if path.suffix.lower() == ".csv":
            return _read_csv_source(con, pattern, mapping)
        # parts written apart may type a column apart (0/1 beside 是/否): read by their union of
        # types (text where they differ), as ingest reads each cell, not by the first part's
        table = con.read_parquet(pattern, union_by_name=True)
        _refuse_twin_headers(con, pattern, list(table.columns), mapping, csv=None)
        return table
    except InputError:  # said of the file already (a money column's decimal mark, its headers)
        raise
    except Exception as exc:  # noqa: BLE001 - DuckDB's IOException and friends: the user's file
        refused = csv_read_refused(exc, mapping) if path.suffix.lower() == ".csv" else None
        if refused is not None:  # a GBK file, said so (DuckDB's words name a line it read the header on)
            raise refused from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(Phrase("err_duckdb_source_unreadable", source=repr(text),
                                engine=[Phrase("engine_words", text=first[:300])]), file=text,
                         fix=Phrase("err_duckdb_source_unreadable_fix")) from None
