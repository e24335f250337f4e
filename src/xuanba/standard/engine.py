"""The standard as Ibis expressions: run by the engine that holds the customers.

:func:`roster_expression` compiles a whole standard (criteria, gates, rank, tiers, capacity, gaps,
cheapest criteria, quadrants) over any Ibis table; :func:`score_in_engine` returns what
:func:`xuanba.standard.score.score_customers` returns, computed that way (the pandas path is its
test oracle, tests/test_standard_engine*.py); rules compile through
:func:`xuanba.standard.engine_rules.rules_over` (the criteria given as formulas together, the
gates together; written out in place when simple, a table step with helper columns when nested;
a numeric field is read as it is).

Each criterion's normalisation is a column expression over the whole base — ``percentile`` from
how many values lie strictly below (a rank window, or on DuckDB, when the criterion has few
distinct values, a running count over them joined back), ``minmax`` and ``zscore`` from figures of the
base read in one-row queries and returned as literals, ``bands`` a case. A missing value earns 0;
replacing it (``missing = "median"`` or a number) happens before.

What Ibis spends its time on is compiling, and it grows with the number of projections stacked
and the columns each carries (every pair of stacked projections is a merge it tries): the roster is
built in a few projections that carry only what later ones read, and the one-row queries are as
few as the figures allow. :func:`score_in_engine` on DuckDB pays it once per shape: the numbers
that change between calls (weights, bars, the figures of the base) are variables
(:mod:`~xuanba.standard.engine_cache`), each query is compiled once and the roster's expression
built once, so a tune or what-if loop pays mostly DuckDB's own time. :func:`select_in_engine`
stops after tiers and capacity: the selection alone, for a tune or a backtest.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import ibis

from xuanba.facts.expressions import round_half_even
from xuanba.standard import engine_cache, engine_lock
from xuanba.standard.engine_cache import integer, known, num
from xuanba.standard.engine_kth import kth
from xuanba.standard.engine_kth import prepare as prepare_kth
from xuanba.standard.engine_kth import release as release_kth
from xuanba.standard.engine_rank import by_rank
from xuanba.standard.engine_rules import is_inf
from xuanba.standard.engine_spark import checkpoint, is_spark, kept_for_call, sorted_index
from xuanba.standard.schema import Criterion, Standard
from xuanba.workspace import setting

_INF = float("inf")

#: From this many customers on, a DuckDB scoring keeps its intermediate results as temporary
#: tables, not as Arrow in the process's memory (:func:`~xuanba.standard.engine_cache.keep`), and
#: this process's in-memory DuckDB scores a frame within :data:`SCORING_MEMORY`: at 10 M customers
#: the kept results, 1–2 GiB, were what took a round past 8 GB. Below it Arrow is faster (writing
#: a table compresses every column) and the memory is small.
KEEP_IN_TABLES_ROWS = 3_000_000
#: The memory limit of this process's in-memory DuckDB while it streams the roster of a frame of
#: :data:`KEEP_IN_TABLES_ROWS` customers or more (bytes; beyond it, it spills to its temporary
#: folder): the round's peak, where the roster's arrays are filled beside the engine; a lower
#: ``$XUANBA_MEMORY_LIMIT`` stays.
SCORING_MEMORY = 2**30
#: The limit, as :data:`SCORING_MEMORY`, while it computes the figures and the kept results before
#: the roster (the windows that rank the base, each a sort of every row): at 10 M customers within
#: 1 GiB the rank's table spilled GiBs to disk; the round holds less then than when it streams.
KEEP_MEMORY = 5 * 2**29
#: The environment variable that gives a large base's scoring another limit than
#: :data:`KEEP_MEMORY` and :data:`SCORING_MEMORY` (one size for both, e.g. ``4GB``; it stays within
#: ``$XUANBA_MEMORY_LIMIT``): for a machine with memory to spare, or a base that runs out of them.
SCORING_MEMORY_ENV = "XUANBA_SCORING_MEMORY"


def scoring_limits() -> tuple[int, int]:
    """The limits (bytes) of this process's DuckDB while a base of :data:`KEEP_IN_TABLES_ROWS`
    customers or more is scored: while the figures and kept results are made, then while the
    roster streams; ``$XUANBA_SCORING_MEMORY`` for both when set. A size it cannot read is a
    :class:`~xuanba.errors.InputError` naming the variable and the fix.

    Example
    -------
    >>> import os
    >>> os.environ[SCORING_MEMORY_ENV] = "3GB"
    >>> scoring_limits()
    (3000000000, 3000000000)
    >>> del os.environ[SCORING_MEMORY_ENV]
    >>> scoring_limits() == (KEEP_MEMORY, SCORING_MEMORY)
    True
    """
    import os

    import duckdb

    from xuanba.errors import InputError, Phrase
    from xuanba.workspace import shown_bytes

    text = os.environ.get(SCORING_MEMORY_ENV, "").strip()
    if not text:
        return KEEP_MEMORY, SCORING_MEMORY
    got = shown_bytes(text)
    if got is None:  # a size DuckDB reads ("4G", "4.GB"), as it reads $XUANBA_MEMORY_LIMIT
        try:
            with duckdb.connect() as con:
                con.execute("SET memory_limit = ?", [text])
                got = shown_bytes(str(con.sql("SELECT current_setting('memory_limit')").fetchone()[0]))
        except duckdb.Error:
            got = None
    if not got:
        raise InputError(Phrase("err_scoring_memory_env", name=SCORING_MEMORY_ENV, value=repr(text[:40])),
                         fix=Phrase("err_scoring_memory_env_fix", name=SCORING_MEMORY_ENV))
    return got, got


def to_arrow(expr: Any) -> Any:
    """Run an Ibis table expression (an Arrow table back) or scalar one (an Arrow scalar) on its
    backend; Spark hands Arrow over itself (ibis's own path goes through pandas).

    Example
    -------
    >>> import pyarrow as pa
    >>> to_arrow(ibis.memtable(pa.table({"x": [1, 2]})).x.sum()).as_py()
    3
    """
    table = expr if isinstance(expr, ibis.expr.types.Table) else expr.as_table()
    params = engine_cache.active()
    backend = params.backend if params is not None and params.backend is not None else table._find_backend(
        use_default=True)
    if backend.name == "pyspark" and hasattr(backend._session.sql("SELECT 1"), "toArrow"):
        backend._run_pre_execute_hooks(table)  # registers the in-memory tables the query reads
        out = backend._session.sql(backend.compile(table)).toArrow()
    else:
        with unfused():
            out = engine_cache.run(table, backend)
    return out if table is expr else out.column(0)[0]


def to_arrow_by(expr: Any, keys: Sequence[str]) -> Any:
    """The Ibis table ``expr`` run on its backend (Arrow back), its rows in ascending order of the
    columns ``keys``, which together leave no ties (a rank, a position, a unique id) and hold no
    missing value. On Spark the driver sorts the rows it is handed (a query's result, which it
    holds whole anyway): Spark's own sort samples its input first, a job of its own and a read of
    every row (at 10 M customers a whole pass over the kept roster per chunk of a hash); the
    order is the same, text by its bytes as Spark compares it. Elsewhere the engine sorts.

    Example
    -------
    >>> import pyarrow as pa
    >>> to_arrow_by(ibis.memtable(pa.table({"r": [2, 3, 1], "x": ["b", "c", "a"]})), ["r"])["x"].to_pylist()
    ['a', 'b', 'c']
    """
    if expr._find_backend(use_default=True).name == "pyspark":
        return to_arrow(expr).sort_by([(k, "ascending") for k in keys])
    return to_arrow(expr.order_by(list(keys)))


@contextlib.contextmanager
def unfused() -> Iterator[None]:
    """A block in which Ibis compiles stacked projections as nested queries instead of merging
    them (``ibis.options.sql.fuse_selects`` off): the merge, tried on every pair of stacked
    projections, was a third of the compiling time of the roster's query and more than its run
    (DuckDB flattens the nesting itself). A setting of the process: another thread compiling
    meanwhile gets nested queries too, which mean the same."""
    before = ibis.options.sql.fuse_selects
    ibis.options.sql.fuse_selects = False
    try:
        yield
    finally:
        ibis.options.sql.fuse_selects = before


# -- the whole roster on the engine ------------------------------------------------------------
#
# What follows compiles the rest of the standard — gates, tiers with quotas and bars, capacity,
# the gap to the next tier and the cheapest criterion, the quadrants — to Ibis, so that the
# roster is computed by the engine that holds the customers. Only small results come to the
# driver: a few figures per criterion and per tier, and the capacity's candidates when a budget
# binds (the exact knapsack up to EXACT_KNAPSACK_MAX candidates; beyond, the greedy rule, whose
# leading run is a cumulative-sum window in the engine).

_TINY = 5e-324  # the least positive double


def _exponent(x: Any) -> Any:
    """The binary exponent of |x| (floor of log2, corrected where log2 rounds; at least -1022)."""
    a = x.abs()
    guess = ibis.ifelse(a > 0, a, 1.0).log2().floor().cast("float64")
    two = ibis.literal(2.0)
    e = ibis.ifelse(two.pow(guess) > a, guess - 1.0, ibis.ifelse(two.pow(guess + 1.0) <= a, guess + 1.0, guess))
    return ibis.greatest(e, -1022.0)


def _next_up(x: Any, e: Any = None) -> Any:
    """numpy's ``nextafter(x, inf)`` as plain arithmetic (exact for normal doubles): x plus the
    gap to the next double above, from the binary exponent ``e`` of |x| (:func:`_exponent`; pass
    it as a column so that the expression stays small)."""
    e = _exponent(x) if e is None else e
    two = ibis.literal(2.0)
    down = ibis.ifelse((x < 0) & (x.abs() == two.pow(e)) & (e > -1022.0), two.pow(e - 53.0), two.pow(e - 52.0))
    return ibis.ifelse(x == 0, _TINY, ibis.ifelse(is_inf(x), x, x + down))


@ibis.udf.scalar.builtin(name="nextafter")
def _nextafter(x: float, y: float) -> float:  # type: ignore[empty-body]
    """DuckDB's ``nextafter`` (C's): the next double after ``x`` towards ``y``, as numpy's."""


def _next_above(x: Any, e: Any, *, native: bool) -> Any:
    """The next double above ``x``: DuckDB's own function when ``native`` (one call, exact for
    every double), otherwise :func:`_next_up` from the exponent column ``e`` (Spark has none)."""
    return _nextafter(x, ibis.literal(float("inf"), type="float64")) if native else _next_up(x, e)


def _clean(raw: Any) -> Any:
    """A raw value with ±inf (e.g. x / 0) and NaN missing (``abs(x) < inf`` is false for both,
    null for null: one comparison)."""
    return ibis.ifelse(raw.abs() < ibis.literal(_INF, type="float64"), raw, ibis.null("float64"))


def _with_raw(t: Any, crits: Sequence[Criterion], only: Sequence[int] | None = None
              ) -> tuple[Any, dict[int, Any]]:
    """``(t, raws)``: each criterion's raw value as float64 over ``t``, ±inf and NaN missing — a
    numeric field read as it is (no rule to compile), the formulas compiled together by
    :func:`~xuanba.standard.engine_rules.rules_over`: written out over ``t`` itself when simple,
    a table step with the helper columns and the values ``_r<j>`` when one is nested (``//``,
    ``%``, ``round`` of a large part). ``only``: the criteria wanted (all by default)."""
    from xuanba.standard.engine_rules import rules_over
    from xuanba.standard.expressions import ExpressionError

    wanted = range(len(crits)) if only is None else only
    plain = {j for j in wanted if crits[j].field in t.columns and t[crits[j].field].type().is_numeric()}
    rules = {f"_r{j}": crits[j].field for j in wanted if j not in plain}
    values: dict[str, Any] = {}
    if rules:
        try:
            t, values = rules_over(t, rules, kind="number", finish=_clean)
        except ExpressionError as exc:
            from xuanba.errors import DataError, Phrase, quoted

            name = crits[int(exc.rule[2:])].name  # type: ignore[attr-defined]
            raise DataError(Phrase("err_criterion_not_computed", name=quoted(name), detail=exc.phrase or exc.message),
                            fix=exc.fix_phrase or exc.fix or Phrase("err_check_field_names")) from None
    return t, {j: _field_value(t, crits[j].field) if j in plain else values[f"_r{j}"] for j in wanted}


def _field_value(t: Any, name: str) -> Any:
    """The numeric field ``name`` of ``t`` as a criterion's raw value: float64, ±inf and NaN
    missing (:func:`_clean`), each value tested only when the column is not known to hold none
    (:func:`~xuanba.standard.engine_cache.known`)."""
    value = t[name].cast("float64")
    return value if known(name, finite=True) else _clean(value)


def _filled(raw: Any, c: Criterion, median: Any) -> Any:
    """The value a criterion normalises: ``raw`` with a missing value replaced as the criterion
    says (``median``: the base's, read before; ``zero``: left missing, earning 0)."""
    if c.missing == "median":
        return raw.fill_null(num("med_" + c.name.encode().hex(), float(median) if median is not None else 0.0))
    if c.missing != "zero":
        return raw.fill_null(float(c.missing))
    return raw


def _scalars(expr: Any) -> dict[str, Any]:
    """Run an aggregate expression (one row) and return it as a dict."""
    row = to_arrow(expr).to_pylist()
    return row[0] if row else {}


def _with_gates(t: Any, standard: Standard, *, coded: bool = False) -> tuple[Any, Any, Any]:
    """``(t, failed, label)``: over ``t``, whether some gate failed and the failed gates' names each
    after ``"; "`` — with ``coded``, instead of the names the sum of ``2**i`` over each failed gate
    ``i`` (an int64; :func:`gates_label` reads it); the gates compiled together by
    :func:`~xuanba.standard.engine_rules.rules_over` (``t`` is the table given unless a gate is
    nested, then a step with its columns)."""
    from xuanba.errors import DataError, Phrase, quoted
    from xuanba.standard.engine_rules import rules_over
    from xuanba.standard.expressions import ExpressionError

    gates = {f"_gate{i}": g for i, g in enumerate(standard.gates)}
    oks: dict[str, Any] = {}
    if gates:
        try:
            t, oks = rules_over(t, {name: g.expr for name, g in gates.items()}, kind="truth")
        except ExpressionError as exc:
            g = gates[exc.rule]  # type: ignore[attr-defined]
            raise DataError(Phrase("err_gate_not_checked", name=quoted(g.name), detail=exc.phrase or exc.message),
                            fix=exc.fix_phrase or exc.fix or Phrase("err_check_field_names")) from None
    failed: Any = ibis.literal(False)
    label: Any = ibis.literal(0, type="int64") if coded else ibis.literal("")
    for i, (name, g) in enumerate(gates.items()):
        failed = failed | ~oks[name]
        label = label + (ibis.ifelse(oks[name], 0, 2**i) if coded else ibis.ifelse(oks[name], "", "; " + g.name))
    return t, failed, label


def _total(standard: Standard, points: dict[int, Any]) -> Any:
    """The unrounded score: each criterion's points times 100 times its share of the weights."""
    shares = standard.weight_shares
    total: Any = None
    for j, c in enumerate(standard.criteria):
        term = num(f"w{j}", 100.0 * shares[c.name]) * points[j]
        total = term if total is None else total + term
    return total.cast("float64")


def roster_expression(table: Any, standard: Standard, *, id_column: str = "customer_id",
                      selection_only: bool = False, row_column: str | None = None,
                      coded: bool = False) -> tuple[Any, dict[str, Any]]:
    """The roster of ``standard`` over the Ibis ``table`` (one row per customer), computed by the
    table's own backend, and the round's counts (``info`` as :func:`~xuanba.standard.score.score_customers`).

    The result has the columns of :data:`~xuanba.standard.score.ROSTER_COLUMNS`, each criterion's
    raw value under its name and its 0–1 points as ``_pts_<name>``; it is not ordered (order by
    ``rank``). A few small queries run on the way (figures per criterion and per tier, capacity's
    candidates when a budget binds); the result itself is an unexecuted expression. With
    ``selection_only`` it stops after tiers and capacity: the selected customers alone, with their
    ``rank`` and their tier's position in the standard (``_tier``, 0 the first), and ``info``
    without the counts per tier.

    ``row_column``: a column of ``table`` that numbers its rows, given when the caller knows that
    the ids are all there, each once, and ascend with it (:func:`rows_by_id`): the count of
    distinct ids (a hash of every id, the dearest of the figures of the base) is then not made,
    the rank's last key is that number, and the roster (not the selection alone) carries that
    column, so that each roster row's row in ``table`` is known — in place of the id, and the
    caller takes each row's id from its row, unless the standard reads the id (a criterion, a
    gate, a tie-break field or the capacity) or sets a budget.

    ``coded``: the roster's text columns other than the id come as small integer codes, each the
    position of its text in :func:`roster_labels` (``gates_failed`` a sum of powers of two, read
    by :func:`gates_label`; at most :data:`CODED_GATES` gates): the engine makes, and hands over,
    numbers rather than a string per customer per column, and the texts are made once outside
    (:func:`labelled`).

    Example
    -------
    >>> import pyarrow as pa
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...     'field = "revenue_365d"\\nweight = 1\\n[[gates]]\\nname = "g"\\nexpr = "revenue_365d > 1"\\n'
    ...     '[[tiers]]\\nname = "A"\\nquota = 1\\n')
    >>> t = ibis.memtable(pa.table({"customer_id": ["a", "b", "c"], "revenue_365d": [5.0, 9.0, 1.0]}))
    >>> r, info = roster_expression(t, s)
    >>> out = r.order_by("rank").to_pyarrow()
    >>> out["customer_id"].to_pylist(), out["tier"].to_pylist(), out["gates_failed"].to_pylist()
    (['b', 'a', 'c'], ['A', '', ''], ['', '', 'g'])
    >>> out["next_tier"].to_pylist(), out["gap_to_next"].to_pylist(), info["n_selected"]
    (['', 'A', 'A'], [None, 50.0, 100.0], 1)

    The small queries run while it holds the lock of the table's connection
    (:mod:`~xuanba.standard.engine_lock`): called from two threads on one connection (or Spark
    session) the calls take turns, and each gets what it gets alone; so do rounds and scorings on
    that connection meanwhile. Running the expression it returns is the caller's query: from two
    threads on one connection, run each inside ``engine_lock.held(backend)`` (a cursor of its own
    would not see the tables it keeps).
    """
    with engine_lock.held(table._find_backend(use_default=True)):
        return _roster_expression(table, standard, id_column=id_column, selection_only=selection_only,
                                  row_column=row_column, coded=coded)


def _roster_expression(table: Any, standard: Standard, *, id_column: str, selection_only: bool,
                       row_column: str | None, coded: bool) -> tuple[Any, dict[str, Any]]:
    """:func:`roster_expression`'s work, its connection's lock held."""
    from xuanba.errors import DataError, Phrase, quoted

    crits = standard.criteria
    used = _fields_read(standard)  # only what the standard reads travels through the steps
    keep = [c for c in table.columns if (c in used or c == row_column) and c != id_column]
    base = table.select(table[id_column].cast("string").name(id_column), *keep)
    carried = [row_column] if row_column else []  # what the roster carries besides its own columns
    # each row's number standing for its id (the ids ascend with it): the ids stay out of the
    # windows' sorts, the kept table and the roster (the caller takes them from its rows), unless
    # a rule reads the id, the selection alone is wanted or a budget's choice is read by id
    lean = (bool(row_column) and not selection_only and standard.capacity.budget is None
            and id_column not in _fields_read(standard, last_tie_break=False))
    spread = is_spark(base)  # Spark: no window over the whole base (one task), figures and sorts instead
    try:
        based, raws = _with_raw(base, crits)  # a nested formula's helper columns: one step
        refused = None
    except DataError as exc:  # told after the base's own problems, as before the raw values were read here
        based, raws, refused = base, {}, exc
    to_fill = [j for j, c in enumerate(crits) if c.missing == "median"]
    # the counts and (DuckDB: its median is the exact one, the mean of the two middle values, as
    # NumPy's) the medians that fill missing values: one query
    first = {"_n": based.count()}
    if not row_column:  # else every id is there once (the caller checked them ascending)
        first.update({"_ids": based[id_column].nunique(), "_missing": based[id_column].isnull().sum()})
    if spread and refused is None:  # the count of values of each median to find, in the same query
        first.update({f"mc{j}": raws[j].count() for j in to_fill})
    if not spread and refused is None:
        first.update({f"med{j}": raws[j].median() for j in to_fill})
        # DuckDB's median halves each middle value, which rounds below 2**-1021: the values there
        # counted, and where there are some the median taken as NumPy's from the middle values
        first.update({f"ms{j}": ((raws[j] != 0) & (raws[j].abs() < HALVES_EXACT)).sum() for j in to_fill})
        # how many distinct values each percentile criterion has, about (HyperLogLog): few, and its
        # counts below come from its distinct values rather than from a sort of the whole base
        first.update({f"nd{j}": raws[j].approx_nunique() for j, c in enumerate(crits) if c.normalise == "percentile"})
    counts = _scalars(based.aggregate(**first))
    n = int(counts["_n"] or 0)
    params = engine_cache.active()
    if params is not None:  # a large base's kept results in the engine's own memory, spilled beyond it
        params.tables = n >= KEEP_IN_TABLES_ROWS
    if row_column:
        counts.update({"_ids": n, "_missing": 0})
    if n == 0:
        raise DataError(Phrase("err_no_customers_to_score"), fix=Phrase("err_no_customers_to_score_fix"))
    if int(counts["_missing"] or 0):  # nunique leaves them out: not a duplicate, a row with no id
        raise DataError(Phrase("err_id_missing", n=f"{int(counts['_missing']):,}"), column=id_column,
                        fix=Phrase("err_id_missing_fix"))
    if int(counts["_ids"] or 0) != n:
        dups = base.group_by(id_column).aggregate(_k=base.count()).filter(lambda x: x._k > 1)
        some = to_arrow(dups.order_by(id_column).limit(5))  # the first five by id, not any five
        raise DataError(Phrase("err_customer_twice"), examples=some[id_column].to_pylist(),
                        count=int(to_arrow(dups.count()).as_py()), fix=Phrase("err_customer_twice_fix"))
    _refuse_text_criteria(base, standard, id_column)  # as the reference, after the base's own problems
    if refused is not None:
        raise refused

    by_pos: dict[int, Any] = {}  # each percentile criterion's values in order, by position
    kth_call = 0  # on DuckDB, the call whose values in order the roster reads (engine_kth)
    if spread:
        missing_last = True  # Spark's SQL says NULLS LAST itself
        t = _kept(based.mutate(**{f"_r{j}": raws[j] for j in range(len(crits))}))
        got = _medians_spread(t, {f"med{j}": f"_r{j}" for j in to_fill},
                              counts={f"med{j}": counts[f"mc{j}"] for j in to_fill})
        medians = {j: got[f"med{j}"] for j in to_fill}
        t = t.mutate(**{f"_f{j}": _filled(t[f"_r{j}"], c, medians.get(j)) for j, c in enumerate(crits)})
        st, pct = _base_figures(t, {j: t[f"_f{j}"] for j in range(len(crits))}, crits)
        t = _points_figures(t, crits, st, pct, by_pos)
        before = t.columns
        t, failed, label = _with_gates(t, standard, coded=coded)
        # a nested gate's columns leave here: the sorts after would carry them
        t = t.select(*before, _gl=label, _failed=failed,
                     _sum=_total(standard, {j: t[f"_p{j}"] for j in range(len(crits))}))
        t = t.mutate(score=round_half_even(t._sum, 6))  # numpy's rounding: the same bits on every engine
    else:
        # before the windows: whether the connection sorts missing values last unless told (its
        # ``default_null_order``), read with the refusal of a collation (one query); Spark's SQL
        # says NULLS LAST itself
        missing_last = _refuse_collation(base, id_column)
        medians = {j: counts.get(f"med{j}") if not counts.get(f"ms{j}") else _median_of_middles(based, raws[j])
                   for j in to_fill}
        # every figure of the base, read before any window (each query a small expression)
        st, pct = _base_figures(based, {j: _filled(raws[j], c, medians.get(j)) for j, c in enumerate(crits)},
                                crits)
        # DuckDB carries every column of its input through a window's sort: the windows run over
        # the fields alone, and what is derived from the fields is computed again after them
        narrow = [*keep] if lean else [id_column, *keep]
        grouped = [j for j in pct if int(counts.get(f"nd{j}") or 0) <= GROUPED_SHARE * n]
        ranked = [j for j in pct if j not in grouped]
        windowed, raws = _with_raw(base, crits, only=pct)  # only what the windows sort on
        below = _count_below_all(windowed, crits, ranked, raws, medians, missing_last=missing_last)
        t = windowed.select(*narrow, **below)
        narrow += [f"_{x}{j}" for j in ranked for x in "bq"]
        if grouped:  # the counts below joined from each criterion's distinct values (kept: read again)
            groups = {j: _kept(_value_groups(base, crits, j, medians)) for j in grouped}
            tg, raws = _with_raw(t, crits, only=grouped)
            joined = tg
            for j in grouped:
                joined = joined.left_join(groups[j], _signed(raws[j], crits[j], medians.get(j)) == groups[j][f"_gv{j}"])
            t = joined.select(*[tg[c] for c in narrow], **{f"_b{j}": groups[j][f"_gb{j}"] for j in grouped})
            narrow += [f"_b{j}" for j in grouped]
        t, raws = _with_raw(t, crits)
        f = {j: _filled(raws[j], c, medians.get(j)) for j, c in enumerate(crits)}
        t, failed, _ = _with_gates(t, standard)
        t = t.select(*narrow, _failed=failed,
                     _sum=_total(standard, {j: _points(c, f[j], t[f"_b{j}"] if j in pct else None, st, j)
                                            for j, c in enumerate(crits)}))
        t = t.select(*narrow, "_failed", score=round_half_even(t._sum, 6))  # numpy's rounding: the same bits on every engine

    # rank: score descending, the tie-break fields (missing last), customer id (by its characters)
    keys = [t.score.desc()]
    for name, asc in standard.tie_break.sort_keys()[:-1]:
        if name not in t.columns:
            raise DataError(Phrase("err_tie_break_missing", name=quoted(name)), fix=Phrase("err_tie_break_missing_fix"))
        col = t[name].cast("float64") if known(name) and t[name].type().is_numeric() else \
            _as_float(t[name], Phrase("err_what_tie_break", name=quoted(name)))  # ±inf a value, before the missing ones
        if not missing_last:  # the connection sorts missing values first unless told: told by a key
            keys.append(col.isnull())
        keys.append(col.asc(nulls_first=False) if asc else col.desc(nulls_first=False))
    # last the id by its characters; when the ids ascend with the rows (``row_column``), the row
    # instead: the same order, and a number sorts faster than text
    keys.append(t[row_column].asc() if row_column else t[id_column].asc())
    if spread:  # a range-partitioned sort, numbered per range plus each range's offset
        t = sorted_index(t, keys, "_ix")
        t = t.mutate(rank=t._ix + 1).drop("_ix")
    else:  # kept: the fields, the counts below, the positions and the rank; the rest computed again
        t = _ranked(t, keys)
        for j in pct:  # each percentile criterion's values by position, read from the kept copy
            if j in grouped:  # or spelled out from its distinct values: each at the positions it holds
                g = groups[j]
                by_pos[j] = g.select(g[f"_gv{j}"].name(f"_v{j}"),
                                     ibis.range(g[f"_gb{j}"], g[f"_gb{j}"] + g[f"_gc{j}"], 1).unnest().name(f"_q{j}"))
                continue
            tj, raw = _with_raw(t, crits, only=[j])
            v = _filled(raw[j], crits[j], medians.get(j))
            v = v if crits[j].direction == "higher" else -v
            by_pos[j] = tj.filter(v.notnull()).select(v.name(f"_v{j}"), tj[f"_q{j}"])

    # tiers before capacity, in rank order: each takes the eligible customers left, up to its quota
    # (one projection for all the tiers: a customer takes the first tier whose rule holds)
    rules: list[Any] = []
    for tier in standard.tiers:
        rule = ~t._failed
        if tier.min_score is not None:
            rule = rule & (t.score >= num(f"bar{len(rules)}", tier.min_score - 1e-9))
        quota = tier.quota_count(n)
        if quota is not None:
            left = rule
            for before in rules:  # not taken by a tier before
                left = left & ~before
            last = _kth_rank(t, left, quota, n)
            rule = rule & (t.rank <= integer(f"last{len(rules)}", last)) if last is not None else rule
        rules.append(rule)
    code = ibis.cases(*[(rule, k) for k, rule in enumerate(rules)], else_=ibis.null("int64")) if rules else None
    t = t.mutate(_tier=code.cast("int64") if code is not None else ibis.null("int64"))
    if spread:
        t = _kept(t)

    t, kept, info = _capacity(t, standard, id_column)
    tier_names = [tier.name for tier in standard.tiers]
    final = ibis.ifelse(kept, t._tier, ibis.null("int64"))
    if selection_only:  # what a tune or a backtest reads: who is selected, at what rank, in which tier
        return t.filter(final.notnull()).select(id_column, "rank", _tier=final), info
    # per tier: members and their lowest score (small: one row per tier)
    per = _scalars(t.aggregate(
        _sel=final.notnull().cast("int64").sum(), _gated=t._failed.cast("int64").sum(),
        _left=(t._tier.notnull() & ~kept).cast("int64").sum(),
        **{f"_n{k}": (final == k).cast("int64").sum() for k in range(len(tier_names))},
        **{f"_m{k}": t.score.min(where=final == k) for k in range(len(tier_names))}))
    counts = [int(per.get(f"_n{k}") or 0) for k in range(len(tier_names))]
    if info["capacity_method"] == "not binding" and not per["_sel"]:  # every candidate kept, and none
        info["capacity_method"] = "none"
    info.update({"n_customers": n, "n_selected": int(per["_sel"] or 0), "n_gated_out": int(per["_gated"] or 0),
                 "n_left_out_by_capacity": int(per["_left"] or 0),
                 "tier_counts": {name: counts[k] for k, name in enumerate(tier_names)}})
    # what the rest reads, one projection: the raw values and the gates' names (computed again
    # from the kept fields on DuckDB), the tier before and after capacity
    if spread:
        label = t._gl
        raw_cols = {f"_r{j}": t[f"_r{j}"] for j in range(len(crits))}
    else:
        t, _, label = _with_gates(t, standard, coded=coded)
        label = ibis.ifelse(t._failed, label, 0 if coded else "")  # the names only for those a gate failed
        t, raws = _with_raw(t, crits)
        raw_cols = {f"_r{j}": raws[j] for j in range(len(crits))}
    if lean:  # the row number in the id's place from here on
        id_column, carried = row_column, []
    t = t.select(id_column, *carried, "score", "rank", *[f"_b{j}" for j in pct], **raw_cols, _gl=label,
                 _tier=t._tier, _kept=kept)
    gaps = _GapBars(standard, n, counts, [per.get(f"_m{k}") for k in range(len(tier_names))],
                    capacity_binds=info["n_left_out_by_capacity"] > 0, coded=coded)
    # the numbers that differ between calls of the same shape (the weights, the bars), bound before
    # the roster's expression is made or reused; everything else it depends on is in the key
    shares = standard.weight_shares
    for j, c in enumerate(crits):
        num(f"w{j}", 100.0 * shares[c.name])
    for group in ("value", "potential"):
        total_w = sum(c.weight for c in crits if c.group == group)
        for j, c in enumerate(crits):
            if c.group == group:
                num(f"gw{j}", 100.0 * c.weight / total_w)
    for k, bar in enumerate(gaps.bars):
        num(f"gap_bar{k}", bar)
    if not spread:  # and the figures of the base (the medians are bound already): the key holds their shape
        if pct:  # each percentile criterion's values in order, read for the k-th values (engine_kth)
            p = engine_cache.active()
            on = p.backend if p is not None and p.backend is not None else t._find_backend(use_default=True)
            kth_call = prepare_kth(on, {j: by_pos[j] for j in pct}, {j: groups[j] for j in grouped})
            integer("kth", kth_call)
        _pct_numbers(st, pct)
        _, spreads = _inverses(standard, st, native=True)
        for j in range(len(crits)):
            num(f"spr{j}", spreads[j])
    # (t holds the raw values and the gates as read: a column known clean, engine_cache.known, is read
    # another way, so another key)
    key = ("roster", t.op(), tuple((j, by_pos[j].op()) for j in sorted(by_pos)), _shape_of(standard), tuple(pct),
           id_column, _figures_shape(st, crits, pct), tuple(gaps.names), tuple(gaps.filled), coded)
    return engine_cache.built(key, lambda: _roster_columns(t, standard, st, pct, by_pos, medians, gaps, id_column,
                                                           carried, kth_call)), info


def _figures_shape(st: dict[str, Any], crits: list[Criterion], pct: list[int]) -> tuple:
    """What of the figures of the base ``st`` shapes the roster's expression (which branch of the
    points and of the cheapest criterion each criterion takes), not their values.

    Example
    -------
    >>> c = Criterion(name="r", field="revenue_365d", weight=1, normalise="minmax")
    >>> _figures_shape({"m0": 3, "lo0": 1.0, "hi0": 1.0, "mean0": 1.0, "sd0": 0.0}, [c], [])
    ((False, False, True, False, True, False),)
    """
    out = []
    for j in range(len(crits)):
        m, lo, hi, sd = int(st[f"m{j}"] or 0), st[f"lo{j}"], st[f"hi{j}"], st.get(f"sd{j}")
        below_top = m - int(st[f"cmax{j}"] or 0) if j in pct else None
        out.append((m == 0, lo is None, hi == lo, st[f"mean{j}"] is None, sd is None or sd == 0, below_top == 0))
    return tuple(out)


def _shape_of(standard: Standard) -> str:
    """The standard without its weights and its tiers' bars (only whether a tier has one): what
    the shape of its expressions depends on."""
    import json

    d = standard.model_dump(mode="json")
    for c in d["criteria"]:
        c["weight"] = None
    for tier in d["tiers"]:
        tier["min_score"] = tier["min_score"] is not None
    return json.dumps(d, sort_keys=True, default=str)


def _base_figures(t: Any, filled: dict[int, Any], crits: list[Criterion]) -> tuple[dict[str, Any], list[int]]:
    """Every figure of the base that the points and the cheapest criterion read, from the filled
    values ``filled[j]`` (expressions over ``t``, read before any window, so each query compiles
    a small expression): per criterion the count, sum, mean size, least and top (one query), then
    its spread from the mean as a literal, ``sqrt(Σ(x − mean)² / n)``, each sum DuckDB's
    compensated ``fsum`` (the reference's exact two-pass figures, :func:`xuanba.standard.score.mean_and_sd`;
    values whose squares overflow are refused); for the percentile criteria with a value how many
    share the top and the least and the values next to them (the second query, with the spreads)
    and, when one customer alone holds the top, how many share the second value (a third, rare). No aggregate window over the whole base (DuckDB
    computes each as one more pass over the rows, Spark in one task): they return to the engine
    as literals. Also the percentile criteria that have a value."""
    sv = {j: (filled[j] if c.direction == "higher" else -filled[j]) for j, c in enumerate(crits)}
    total = _exact_sum if not is_spark(t) else (lambda x: x.sum())  # Spark has no compensated sum
    aggs: dict[str, Any] = {}
    for j in range(len(crits)):
        f = filled[j]
        aggs.update({f"m{j}": f.count(), f"sum{j}": total(f), f"psum{j}": f.sum(), f"am{j}": f.abs().mean(),
                     f"lo{j}": sv[j].min(), f"hi{j}": sv[j].max()})
    st = _scalars(t.aggregate(**aggs)) if aggs else {}
    # mean and sd in two passes, as the reference (score.mean_and_sd): the second pass reads the
    # mean as a literal; a one-pass sd loses digits far from zero (1.7e12 ± 300)
    for j in range(len(crits)):
        m = int(st[f"m{j}"] or 0)
        whole = _sum_of(st[f"sum{j}"], st[f"psum{j}"])
        st[f"mean_raw{j}"] = whole / m if m else None
        st[f"mean{j}"] = None if not m else (st[f"mean_raw{j}"] if crits[j].direction == "higher" else -st[f"mean_raw{j}"])
    pct = [j for j, c in enumerate(crits) if c.normalise == "percentile" and int(st[f"m{j}"] or 0) > 0]
    second: dict[str, Any] = {}
    for j in range(len(crits)):
        if int(st[f"m{j}"] or 0) and math.isfinite(st[f"mean_raw{j}"]):
            d = filled[j] - num(f"mr{j}", st[f"mean_raw{j}"])
            second.update({f"ss{j}": total(d * d), f"pss{j}": (d * d).sum()})
    for j in pct:
        vmax, vmin = num(f"hi{j}", st[f"hi{j}"]), num(f"lo{j}", st[f"lo{j}"])
        s = sv[j]
        second.update({f"cmax{j}": (s == vmax).cast("int64").sum(), f"cmin{j}": (s == vmin).cast("int64").sum(),
                       f"bmax{j}": s.max(where=s < vmax), f"amin{j}": s.min(where=s > vmin)})
    st.update(_scalars(t.aggregate(**second)) if second else {})
    for j, c in enumerate(crits):
        m = int(st[f"m{j}"] or 0)
        sq = _sum_of(st.get(f"ss{j}"), st.get(f"pss{j}")) if f"ss{j}" in st else float("nan")
        st[f"sd{j}"] = (math.sqrt(sq / m) if sq / m >= 0 else float("nan")) if m else None
        if m and not (math.isfinite(st[f"mean_raw{j}"]) and math.isfinite(st[f"sd{j}"])):
            from xuanba.standard.score import spread_refused

            raise spread_refused(c.name)
    third = {f"csec{j}": (sv[j] == num(f"bmax{j}", st[f"bmax{j}"])).cast("int64").sum()
             for j in pct if int(st[f"cmax{j}"]) < 2 and int(st[f"m{j}"]) >= 2}
    st.update(_scalars(t.aggregate(**third)) if third else {})
    return st, pct


@ibis.udf.agg.builtin(name="fsum")
def _exact_sum(x: float) -> float:  # type: ignore[empty-body]
    """DuckDB's compensated sum (Kahan's): the order of the rows does not change it."""


def _sum_of(compensated: Any, plain: Any) -> float:
    """A sum read from the engine: the compensated one, or the plain one when it overflowed
    (DuckDB's ``fsum`` gives NaN there, the plain sum ±inf, as :func:`~xuanba.standard.score.exact_sum`)."""
    if compensated is None:
        return 0.0
    return float(compensated) if math.isfinite(compensated) else float(plain)


#: A percentile criterion with at most this share of distinct values (about) counts the values
#: below each from its distinct values (a GROUP BY, a running sum over them and a join back)
#: rather than from a window over the whole base: at 1 M customers and ~50,000 distinct values,
#: about a third of a window's time; with nearly every value distinct, more.
GROUPED_SHARE = 0.25


def _signed(raw: Any, c: Criterion, median: Any) -> Any:
    """The value a percentile criterion orders by: ``raw`` filled as it says (``median``: the base's),
    negated when lower is better."""
    f = _filled(raw, c, median)
    return f if c.direction == "higher" else -f


def _value_groups(base: Any, crits: list[Criterion], j: int, medians: dict[int, Any]) -> Any:
    """Criterion ``j``'s distinct values over ``base`` (``_gv<j>``, in the order it ranks by, missing
    left out), how many customers hold each (``_gc<j>``) and how many values lie strictly below it
    (``_gb<j>``: the running count of the values before)."""
    tb, raw = _with_raw(base, crits, only=[j])
    v = _signed(raw[j], crits[j], medians.get(j))
    d = tb.filter(v.notnull()).group_by(v.name(f"_gv{j}")).aggregate(**{f"_gc{j}": lambda x: x.count()})
    # summed as doubles (exact below 2**53) and cast back: DuckDB sums integers into a 128-bit
    # integer, which Ibis, typing the sum int64, would not cast
    before = d[f"_gc{j}"].cast("float64").sum().over(ibis.window(order_by=d[f"_gv{j}"], rows=(None, -1)))
    return d.mutate(**{f"_gb{j}": ibis.coalesce(before, 0.0).cast("int64")})


def _count_below_all(t: Any, crits: list[Criterion], pct: list[int], raws: dict[int, Any],
                     medians: dict[int, Any], *, missing_last: bool = True) -> dict[str, Any]:
    """For each of the percentile criteria ``pct``, ``_b<j>`` (how many values lie strictly
    below: ``rank() over (order by value)`` with the missing values last counts exactly those)
    and ``_q<j>`` (the 0-based position in the order of the values, missing last), from the raw
    values ``raws`` over ``t``: two windows per criterion on the same order (one sort). Not
    ``missing_last`` (a connection whose ``default_null_order`` sorts them first, and which DuckDB's
    SQL does not override: ``NULLS LAST`` is not written), the missing values put last by a key."""
    cols: dict[str, Any] = {}
    for j in pct:
        f = _filled(raws[j], crits[j], medians.get(j))
        s = f if crits[j].direction == "higher" else -f
        keys = [s.asc(nulls_first=False)] if missing_last else [s.isnull(), s.asc(nulls_first=False)]
        order = ibis.window(order_by=keys)
        cols.update({f"_b{j}": ibis.rank().over(order), f"_q{j}": ibis.row_number().over(order)})
    return cols


def _points(c: Criterion, raw: Any, below: Any, st: dict[str, Any], j: int) -> Any:
    """Criterion ``j``'s 0–1 points from its filled value ``raw`` and the figures ``st``; for a
    percentile criterion with a value, from ``below``, how many values lie strictly below."""
    s = raw if c.direction == "higher" else -raw
    if c.normalise == "bands":  # + (raw - raw): a double, not SQL's decimal of the literal points
        return ibis.ifelse(raw.notnull(), _bands(raw, c) + (raw - raw), 0.0)
    if c.normalise == "minmax":
        lo, hi = st[f"lo{j}"], st[f"hi{j}"]
        if lo is None:
            return _zero(raw)
        p = _zero(raw) + 0.5 if hi == lo else (s - num(f"lo{j}", lo)) / (num(f"hi{j}", hi) - num(f"lo{j}", lo))
        return ibis.ifelse(raw.notnull(), p, 0.0)
    if c.normalise == "zscore":
        mean, sd = st[f"mean{j}"], st[f"sd{j}"]
        if mean is None:
            return _zero(raw)
        if sd == 0:
            return ibis.ifelse(raw.notnull(), 0.5, 0.0) + _zero(raw)
        clipped = ibis.greatest(ibis.least(((s - num(f"mean{j}", mean)) / num(f"sd{j}", sd) + 3.0) / 6.0, 1.0), 0.0)
        return ibis.ifelse(raw.notnull(), clipped, 0.0)
    if below is None:  # no value at all: every customer missing, 0 points
        return _zero(raw)
    below_top = int(st[f"m{j}"]) - int(st[f"cmax{j}"] or 0)
    p = _zero(below) + 0.5 if below_top == 0 else below.cast("float64") / num(f"bt{j}", below_top)
    return ibis.ifelse(raw.notnull(), p, 0.0)


def _bands(raw: Any, criterion: Criterion) -> Any:
    """Points of the band the value falls in (thresholds ascending; below the first: 0)."""
    bands = sorted(criterion.bands or [])
    out: Any = ibis.literal(0.0)
    if criterion.direction == "higher":
        for threshold, points in bands:  # the last threshold reached wins
            out = ibis.ifelse(raw >= threshold, points / 100.0, out)
    else:
        for threshold, points in reversed(bands):  # the first threshold not passed wins
            out = ibis.ifelse(raw <= threshold, points / 100.0, out)
    return out


#: Values (Σ m over the percentile criteria) up to which a Spark scoring sorts every percentile
#: criterion's values in one sort (two jobs fewer per criterion, what a small base's time is made
#: of); above, each criterion has its own: every criterion's join reads the shared sort whole,
#: and at 1 M customers with three criteria the scoring took 61-64 s of JVM CPU against 47.5 s
#: with a sort each (docs/benchmarks_round.md).
SHARED_SORT_MAX = 200_000


def _points_figures(t: Any, crits: list[Criterion], st: dict[str, Any], pct: list[int],
                    by_pos: dict[int, Any]) -> Any:
    """On Spark: ``t`` with ``_p<j>``, the 0–1 points of every criterion from its filled values
    ``_f<j>``, from the figures ``st`` of :func:`_base_figures`, and for the percentile criteria
    ``pct`` ``_b<j>``, how many values lie strictly below (kept for the cheapest criterion): the
    first position of the value in a range-partitioned sort
    (:func:`~xuanba.standard.engine_spark.sorted_index`), not a window in one task; the sorted
    values by position are left in ``by_pos[j]`` (``_v<j>``, ``_q<j>``) for the cheapest criterion."""
    t = t.mutate(**{f"_p{j}": _points(c, t[f"_f{j}"], None, st, j) for j, c in enumerate(crits) if j not in pct})
    signed = {j: t[f"_f{j}"] if crits[j].direction == "higher" else -t[f"_f{j}"] for j in pct}
    # every percentile criterion's values in one range-partitioned sort (criterion, then value; each
    # value in its own column and type): a sort is two Spark jobs whatever it sorts, and criterion
    # j's positions are the sort's less the values of the criteria before it (``m<i>`` of ``st``)
    values = ibis.union(*[t.filter(t[f"_f{j}"].notnull()).select(
        _k=ibis.literal(j, type="int64"),
        **{f"_sv{i}": signed[i] if i == j else ibis.null(signed[i].type()) for i in pct}) for j in pct]) \
        if len(pct) > 1 and sum(int(st[f"m{j}"] or 0) for j in pct) <= SHARED_SORT_MAX else None
    together = sorted_index(values, [ibis._._k.asc(), *[ibis._[f"_sv{i}"].asc() for i in pct]], "_g") \
        if values is not None else None
    before = 0
    for j in pct:
        f = t[f"_f{j}"]
        s = f if crits[j].direction == "higher" else -f  # of t as joined so far
        if together is None:
            values = t.filter(f.notnull()).select(s.name(f"_sv{j}"))
            pos = sorted_index(values, [ibis._[f"_sv{j}"].asc()], f"_g{j}")
        else:
            pos = together.filter(together._k == j)
            pos = pos.select(pos[f"_sv{j}"], (pos._g - before).name(f"_g{j}"))
            before += int(st[f"m{j}"] or 0)
        by_pos[j] = pos.select(pos[f"_sv{j}"].name(f"_v{j}"), pos[f"_g{j}"].name(f"_q{j}"))
        first = pos.group_by(f"_sv{j}").aggregate(**{f"_b{j}": pos[f"_g{j}"].min()})
        t = t.left_join(first, s == first[f"_sv{j}"]).drop(f"_sv{j}")
        t = t.mutate(**{f"_p{j}": _points(crits[j], t[f"_f{j}"], t[f"_b{j}"], st, j)})
    return _kept(t)


class _GapBars:
    """What the gap to the next tier reads, as :func:`xuanba.standard.score._gaps`: each tier's bar
    (its minimum score, raised to its lowest member's when the tier is full or capacity binds) and
    the tier above each tier, skipping those nobody reached."""

    def __init__(self, standard: Standard, n: int, counts: list[int], lowest: list[Any], *,
                 capacity_binds: bool, coded: bool = False) -> None:
        tiers = standard.tiers
        self.coded = coded
        self.names = [x.name for x in tiers]
        self.bars = []
        for k, tier in enumerate(tiers):
            bar = tier.min_score if tier.min_score is not None else 0.0
            quota = tier.quota_count(n)
            full = quota is not None and counts[k] >= quota
            if (full or capacity_binds) and counts[k]:
                bar = max(bar, float(lowest[k]))
            self.bars.append(float(bar))
        self.filled, last = [], -1  # the nearest tier at or above each that somebody reached
        for k in range(len(tiers)):
            if counts[k]:
                last = k
            self.filled.append(last if last >= 0 else k)

    def columns(self, code: Any, score: Any) -> dict[str, Any]:
        """``_short`` (the score missing to the next tier's bar), ``_first`` (no tier above) and
        ``next_tier``, from the tier ``code`` after capacity (null: none) and the ``score`` (coded:
        ``next_tier`` as the tier's position plus one, 0 for none)."""
        names: list[Any] = list(range(1, len(self.names) + 1)) if self.coded else list(self.names)
        none = _code(0) if self.coded else ibis.literal("")
        if not self.names:
            return {"_short": ibis.null("float64"), "_first": ibis.literal(True), "next_tier": none}
        last = len(self.names) - 1
        above = {k: self.filled[k - 1] for k in range(1, last + 1)}  # a member of tier k aims at tier k - 1
        bars = [num(f"gap_bar{k}", b) for k, b in enumerate(self.bars)]
        bar = ibis.cases(*[(code == k, bars[a]) for k, a in above.items()],
                         else_=bars[self.filled[last]]) if above else bars[self.filled[last]]
        label = ibis.cases(*[(code == k, names[a]) for k, a in above.items()],
                           else_=names[self.filled[last]]) if above else ibis.literal(names[self.filled[last]])
        top = ibis.coalesce(code == 0, False)
        return {"_short": ibis.greatest(bar.cast("float64") - score, 0.0).cast("float64"), "_first": top,
                "next_tier": _code(ibis.ifelse(top, 0, label)) if self.coded else ibis.ifelse(top, "", label)}


def _roster_columns(t: Any, standard: Standard, st: dict[str, Any], pct: list[int], by_pos: dict[int, Any],
                    medians: dict[int, Any], gaps: _GapBars, id_column: str, carried: Sequence[str] = (),
                    kth_call: int = 0) -> Any:
    """The roster from ``t`` (the id, ``score``, ``rank``, ``_b<j>`` of the percentile criteria
    ``pct``, the raw values ``_r<j>``, the gates' label ``_gl``, the tier before capacity
    ``_tier`` and ``_kept``): points, tier, gates, gap, quadrant and the cheapest criteria, in a
    few projections each carrying only what the next ones read, and the columns ``carried``
    (``kth_call``: on DuckDB, the call whose values in order :func:`~xuanba.standard.engine_kth.kth`
    reads; on Spark ``by_pos``'s tables are joined)."""
    crits = standard.criteria
    shares = standard.weight_shares
    coded = gaps.coded
    k_all = range(len(crits))
    raw = [f"_r{j}" for j in k_all]
    pts = [f"_p{j}" for j in k_all]
    code = ibis.ifelse(t._kept, t._tier, ibis.null("int64"))
    points = {j: _points(c, _filled(t[f"_r{j}"], c, medians.get(j)), t[f"_b{j}"] if j in pct else None, st, j)
              for j, c in enumerate(crits)}

    def sums(t: Any) -> dict[str, Any]:  # each group's weighted points, from the points' columns
        out: dict[str, Any] = {}
        for group, name in (("value", "_vs"), ("potential", "_ps")):
            cs = [(j, c) for j, c in enumerate(crits) if c.group == group]
            if cs:
                total_w = sum(c.weight for _, c in cs)
                got: Any = None
                for j, c in cs:
                    term = num(f"gw{j}", 100.0 * c.weight / total_w) * t[f"_p{j}"]
                    got = term if got is None else got + term
                out[name] = got.cast("float64")
        return out
    # the percentile criteria's pieces (_pct_parts) in three steps, each reading the columns of the
    # step before rather than spelling out their expressions again: DuckDB computes a CASE as often
    # as a projection writes it (the place was computed five times per criterion, the top three)
    t = t.select(id_column, *carried, "score", "rank", *raw, **_pct_parts(t, crits, pct, st, medians, 0),
                 **{f"_p{j}": points[j] for j in k_all},
                 tier=_code(ibis.coalesce(code + 1, 0)) if coded else _label_of(code, gaps.names),
                 selected=code.notnull(), left_out_by_capacity=t._tier.notnull() & ~t._kept,
                 gates_failed=t._gl if coded else ibis.ifelse(t._gl.length() > 0, t._gl.substr(2), ""),
                 **gaps.columns(code, t.score))
    shown = ["tier", "selected", "left_out_by_capacity", "gates_failed", "next_tier"]
    parts = [f"_{x}{j}" for j in pct for x in ("pos", "mo")]
    # (the groups' sums read the points' columns: written out beside them, each point was computed twice)
    t = t.select(id_column, *carried, "score", "rank", *raw, *pts, *shown, *parts,
                 **_pct_parts(t, crits, pct, st, medians, 1),
                 gap_to_next=ibis.ifelse(t._first, ibis.null("float64"), round_half_even(t._short, 6)), **sums(t))
    parts += [f"_{x}{j}" for j in pct for x in ("top", "kz")]
    shown.append("gap_to_next")
    scores = {k: round_half_even(t[s], 6) if s in t.columns else ibis.null("float64")
              for k, s in (("value_score", "_vs"), ("potential_score", "_ps"))}
    need = {j: t[f"_p{j}"] + t.gap_to_next / num(f"w{j}", 100.0 * shares[c.name]) + 1e-9 for j, c in enumerate(crits)}
    both = "_vs" in t.columns and "_ps" in t.columns
    t = t.select(id_column, *carried, "score", "rank", *raw, *pts, *shown, *parts, **scores,
                 **_pct_parts(t, crits, pct, st, medians, 2), **{f"_need{j}": need[j] for j in k_all})
    parts += [f"_att{j}" for j in pct]
    shown += ["value_score", "potential_score"]
    q = standard.quadrants
    if both:
        hv, hp = t.value_score >= q.value_threshold, t.potential_score >= q.potential_threshold
        names: list[Any] = [1, 2, 3, 4] if coded else [q.names[k] for k in _QUADRANTS]
        quadrant = ibis.ifelse(hv & hp, names[0], ibis.ifelse(hv, names[1], ibis.ifelse(hp, names[2], names[3])))
        quadrant = _code(quadrant) if coded else quadrant
    else:
        quadrant = _code(0) if coded else ibis.literal("")
    # each _k<j> read from the _need<j> computed once above, not written out again in it
    below_top = {j: t[f"_mo{j}"] + 1 - t[f"_att{j}"] for j in pct}
    t = _kept_on_spark(t.mutate(quadrant=quadrant,
                                **{f"_k{j}": ibis.greatest((_clip01(t[f"_need{j}"]) * below_top[j].cast("float64")
                                                            - 1e-9).ceil().cast("int64"), 1) for j in pct}))
    shown.append("quadrant")
    looked_up = {}
    for j in pct:  # the k-th value of the others, by its position (skipping the customer's own place)
        jk = t[f"_k{j}"] - 1
        idx = ibis.greatest(ibis.least(ibis.ifelse(jk < t[f"_pos{j}"], jk, jk + 1), integer(f"m{j}", st[f"m{j}"]) - 1), 0)
        if is_spark(t):  # joined by its position to a table of every value
            t = t.left_join(by_pos[j], idx == by_pos[j][f"_q{j}"])
        else:  # on DuckDB read from the values in order (engine_kth), only where _cheapest weighs the change
            looked_up[f"_v{j}"] = ibis.ifelse(_weighed(t, j), kth(integer("kth", kth_call), j, idx), ibis.null("float64"))
    if looked_up:  # every criterion's in one projection
        t = t.mutate(**looked_up)
    if pct and is_spark(t):  # the exponents as columns: each next double above is then a small expression
        t = t.mutate(**{f"_ev{j}": _exponent(t[f"_v{j}"]) for j in pct},
                     **{f"_et{j}": _exponent(t[f"_top{j}"]) for j in pct})
    targets, spreads = _inverses(standard, st, native=not is_spark(t))
    return _cheapest(t, standard, targets, spreads, id_column, shown, carried, coded=coded)


def _pct_numbers(st: dict[str, Any], pct: list[int]) -> dict[int, tuple[Any, ...]]:
    """The figures of each percentile criterion ``j`` of ``pct`` that :func:`_pct_parts` reads, as
    numbers of the call (:func:`~xuanba.standard.engine_cache.num`; the same expression for every
    base of the same shape): how many have a value, the top and the least, the values next to
    them (``sorted[m - 2]`` and ``sorted[1]``) and how many hold the top and the second value."""
    out = {}
    for j in pct:
        m = int(st[f"m{j}"])
        vmax, vmin = float(st[f"hi{j}"]), float(st[f"lo{j}"])
        cmax, cmin = int(st[f"cmax{j}"]), int(st[f"cmin{j}"])
        v_second = vmax if cmax >= 2 or m < 2 else float(st[f"bmax{j}"])   # sorted[m - 2]
        v_one = vmin if cmin >= 2 or m < 2 else float(st[f"amin{j}"])      # sorted[1]
        c_second = cmax if v_second == vmax else int(st.get(f"csec{j}", 1))
        out[j] = (integer(f"m{j}", m), num(f"hi{j}", vmax), num(f"lo{j}", vmin), num(f"vs{j}", v_second),
                  num(f"vo{j}", v_one), integer(f"cmax{j}", cmax), integer(f"cs{j}", c_second))
    return out


def _pct_parts(t: Any, crits: list[Criterion], pct: list[int], st: dict[str, Any], medians: dict[int, Any],
               step: int) -> dict[str, Any]:
    """The pieces of :func:`xuanba.standard.score._percentile_needed` that do not depend on the
    points needed, for each percentile criterion ``j`` of ``pct``, from its raw value ``_r<j>``, in
    three steps, each over the columns the one before made: ``step`` 0, from how many values lie
    below ``_b<j>``, its place among the values ``_pos<j>`` and how many others have a value
    ``_mo<j>``; 1, the top value of the others ``_top<j>`` and the least of the others
    ``_kz<j>``; 2, how many others hold the top ``_att<j>``."""
    out: dict[str, Any] = {}
    for j, (mp, hi, lo, vs, vo, cmax, cs) in _pct_numbers(st, pct).items():
        f = _filled(t[f"_r{j}"], crits[j], medians.get(j))
        s = f if crits[j].direction == "higher" else -f
        has = f.notnull()
        if step == 0:
            out.update({f"_pos{j}": ibis.ifelse(has, t[f"_b{j}"], mp), f"_mo{j}": mp - has.cast("int64")})
        elif step == 1:
            pos = t[f"_pos{j}"]
            out.update({f"_top{j}": ibis.ifelse(has & (pos > mp - 2), vs, hi), f"_kz{j}": ibis.ifelse(pos > 0, lo, vo)})
        else:
            top = t[f"_top{j}"]
            out[f"_att{j}"] = ibis.ifelse(top == hi, cmax, cs) - (has & (s == top)).cast("int64")
    return out


def _inverses(standard: Standard, st: dict[str, Any], *, native: bool) -> tuple[dict[int, Any], dict[int, float]]:
    """What the cheapest criterion needs of each criterion: ``({j: target(t, need)}, {j: spread})``
    — the inverse of each normalisation as :mod:`xuanba.standard.score` computes it, the other
    customers' values staying as they are — from the figures of the base ``st``
    (:func:`_base_figures`); a percentile criterion's reads the pieces of :func:`_pct_parts`, ``_k<j>``
    and the k-th value joined ``_v<j>`` (``native``: DuckDB's own next double above)."""
    nan = ibis.null("float64")
    spreads: dict[int, float] = {}
    targets: dict[int, Any] = {}
    for j, c in enumerate(standard.criteria):
        m = int(st[f"m{j}"] or 0)
        sd_raw = float(st[f"sd{j}"]) if m and st[f"sd{j}"] is not None else 0.0
        spreads[j] = sd_raw if sd_raw > 0 else max(float(st[f"am{j}"]) if m else 1.0, 1.0)
        sign = 1.0 if c.direction == "higher" else -1.0
        if c.normalise == "bands":
            targets[j] = _bands_target(c)
        elif m == 0:
            targets[j] = lambda t, need: nan
        elif c.normalise == "minmax":
            lo, hi = float(st[f"lo{j}"]), float(st[f"hi{j}"])
            lo_p, width = (None, None) if hi == lo else (num(f"lo{j}", lo), num(f"hl{j}", hi - lo))
            targets[j] = (lambda t, need: nan) if hi == lo else (
                lambda t, need, lo=lo_p, width=width, sign=sign: sign * (lo + _clip01(need) * width))
        elif c.normalise == "zscore":
            mean_p, sd_p = (None, None) if sd_raw == 0 else (num(f"mean{j}", st[f"mean{j}"]), num(f"sd{j}", sd_raw))
            targets[j] = (lambda t, need: nan) if sd_raw == 0 else (  # the spread of -x is that of x
                lambda t, need, mean=mean_p, sd=sd_p, sign=sign: sign * (mean + sd * (_clip01(need) * 6.0 - 3.0)))
        else:
            targets[j] = _percentile_target(j, sign, native=native)
    return targets, spreads


def _cheapest(t: Any, standard: Standard, targets: dict[int, Any], spreads: dict[int, float], id_column: str,
              shown: list[str], carried: Sequence[str] = (), *, coded: bool = False) -> Any:
    """The roster: for every customer below the next tier's bar, the criterion whose change alone
    closes the gap most cheaply (the first in the standard's order on a tie) and that change, among
    all criteria and among the public ones that read no prediction, as
    :func:`xuanba.standard.score._cheapest` weighs them: per criterion ``j`` the raw change that
    closes the gap (``_cd<j>``) and its cost in spreads of the criterion (``_cc<j>``; +inf when it
    cannot), then the first criterion whose cost is the least of them (none when that is +inf). The columns
    ``carried`` follow the criteria's points (``coded``: each criterion named by its position plus
    one, 0 for none)."""
    crits = standard.criteria
    k_all = range(len(crits))
    base = [id_column, *carried, "score", "rank", *shown]
    # the changes first, each cost then read from its change's column: written out in one
    # projection, the change's expression (a CASE) was computed three times per criterion
    t = t.select(*base, *[f"_{x}{j}" for x in ("r", "p", "need") for j in k_all],
                 **{f"_cd{j}": targets[j](t, ibis.least(t[f"_need{j}"], 1.0)) - t[f"_r{j}"] for j in k_all})
    costs = {}
    for j in k_all:
        cost = t[f"_cd{j}"].abs() / num(f"spr{j}", spreads[j])
        # an infinite cost, a NaN or a missing one is no way (cost < inf is false or null for them)
        feasible = _weighed(t, j) & (cost < _INF)
        costs[f"_cc{j}"] = ibis.ifelse(ibis.coalesce(feasible, False), cost, _INF)
    changes = [f"_cd{j}" for j in k_all]
    names = [c.name for c in crits]
    out_pts = {f"_pts_{c.name}": t[f"_p{j}"] for j, c in enumerate(crits)}
    t = _kept_on_spark(t.select(*base, *changes, **{c.name: t[f"_r{j}"] for j, c in enumerate(crits)}, **out_pts,
                                **costs))
    chosen: dict[str, Any] = {}
    for public_only, name, change in ((False, "cheapest_criterion", "cheapest_change"),
                                      (True, "cheapest_public_criterion", "cheapest_public_change")):
        among = [j for j, c in enumerate(crits) if not (public_only and (c.private or c.predicted))]
        none: Any = ibis.literal(0) if coded else ibis.literal("")
        if not among:
            chosen.update({name: _code(none) if coded else none, change: ibis.null("float64")})
            continue
        # the first criterion at the least cost wins (a cost is never missing nor NaN: +inf then)
        least = ibis.least(*[t[f"_cc{j}"] for j in among]) if len(among) > 1 else t[f"_cc{among[0]}"]
        label = ibis.cases(*[(t[f"_cc{j}"] == least, j + 1 if coded else crits[j].name) for j in among], else_=none)
        moved = ibis.cases(*[(t[f"_cc{j}"] == least, t[f"_cd{j}"]) for j in among], else_=ibis.null("float64"))
        some = least < _INF
        chosen.update({name: _code(ibis.ifelse(some, label, none)) if coded else ibis.ifelse(some, label, none),
                       change: ibis.ifelse(some, moved, ibis.null("float64"))})
    from xuanba.standard.score import ROSTER_COLUMNS

    cols = {**{c: t[c] for c in base}, **chosen}
    return t.select(*[cols[c].name(c) for c in ROSTER_COLUMNS if c != "customer_id"], t[id_column], *names, *out_pts,
                    *carried)


def _weighed(t: Any, j: int) -> Any:
    """Whether criterion ``j``'s change is weighed for the cheapest criterion: the customer has a
    gap to close, criterion ``j`` alone can close it (its points needed ``_need<j>`` at most 1)
    and has a raw value (null where the gap is missing)."""
    return (t.gap_to_next > 0) & (t[f"_need{j}"] <= 1.0 + 1e-9) & t[f"_r{j}"].notnull()


def _clip01(x: Any) -> Any:
    return ibis.greatest(ibis.least(x, 1.0), 0.0)


def _zero(col: Any) -> Any:
    """0.0 on every row, typed a double by the engine (a bare literal in SQL is a decimal, which
    overflows once scaled)."""
    return col.isnull().cast("float64") * 0.0


def _medians_spread(t: Any, columns: dict[str, str], counts: dict[str, Any] | None = None
                    ) -> dict[str, float | None]:
    """The median of each of ``columns`` (name wanted: column) of ``t`` on Spark, NumPy's (the
    middle value, or the mean of the two middle ones; ``None`` without a value), from the count of
    values and the middle rows of a range-partitioned sort
    (:func:`~xuanba.standard.engine_spark.sorted_index`): Ibis's ``median()`` compiles on Spark to
    the exact ``percentile``, which gathers every value in one task."""
    if not columns:
        return {}
    if counts is None:  # else the count of values of each column, read already
        counts = _scalars(t.aggregate(**{name: t[col].count() for name, col in columns.items()}))
    out: dict[str, float | None] = {}
    for name, col in columns.items():
        m = int(counts[name] or 0)
        if m == 0:
            out[name] = None
            continue
        pos = sorted_index(t.filter(t[col].notnull()).select(t[col].name("_mv")), [ibis._._mv.asc()], "_mi")
        middle = sorted({(m - 1) // 2, m // 2})  # ties: any order of equal values has these values there
        rows = to_arrow(pos.filter(pos._mi.isin(middle)).select("_mi", "_mv"))
        at = dict(zip(rows["_mi"].to_pylist(), rows["_mv"].to_pylist(), strict=True))
        out[name] = (at[(m - 1) // 2] + at[m // 2]) / 2
    return out


#: The smallest magnitude whose half is exact (twice the smallest normal double, 2**-1021): DuckDB's
#: median, ``lo * 0.5 + hi * 0.5``, is NumPy's ``(lo + hi) / 2`` when no middle value is below it.
HALVES_EXACT = 2.0**-1021


def _median_of_middles(t: Any, value: Any) -> float | None:
    """NumPy's median of ``value`` (an expression over ``t``, missing values left out): the mean of
    the two middle values, ``(lo + hi) / 2`` (one rounding), read from a sort of the values."""
    kept = t.select(_mv=value).filter(ibis._._mv.notnull())
    m = int(to_arrow(kept.count()).as_py())
    if m == 0:
        return None
    got = to_arrow(kept.order_by("_mv").limit(2 - m % 2, offset=(m - 1) // 2))["_mv"].to_pylist()
    return (got[0] + got[-1]) / 2


def _kth_rank(t: Any, cond: Any, k: int, n: int) -> int | None:
    """The rank of the ``k``-th customer (1-based, in rank order) for whom ``cond`` holds, or None
    when fewer do. DuckDB: one top-k query. Spark: counts per block of ranks (a few thousand
    figures), then the one block that holds it, sorted — no running count over the whole base
    (one task)."""
    if k <= 0:
        return 0
    if not is_spark(t):
        got = to_arrow(t.filter(cond).select("rank").order_by("rank").limit(1, offset=k - 1))
        return int(got["rank"][0].as_py()) if got.num_rows else None
    size = max(int(n ** 0.5), 1024)
    block = ((t.rank - 1) // size).cast("int64")
    per = to_arrow(t.filter(cond).group_by(_blk=block).aggregate(_c=lambda x: x.count())).to_pylist()
    before = 0
    for row in sorted(per, key=lambda r: r["_blk"]):
        if before + int(row["_c"]) >= k:
            # the block's ranks (at most ``size``) sorted by the driver: no sort of Spark's, with its sampling job
            inside = to_arrow_by(t.filter(cond & (block == int(row["_blk"]))).select("rank"), ["rank"])
            return int(inside["rank"][k - before - 1].as_py())
        before += int(row["_c"])
    return None


def _kept_on_spark(t: Any) -> Any:
    """``t`` kept (:func:`_kept`) on Spark, which would otherwise compute it again for every
    query that reads it; as it is on DuckDB, whose queries read only the columns they need of a
    projection that is cheap to compute again, while a kept copy writes every column (at a
    million customers, a second or more per copy of the roster's sixty working columns)."""
    return _kept(t) if is_spark(t) else t


def _kept(t: Any, numbered: str | None = None) -> Any:
    """``t`` computed once and kept by the engine, its decimal columns read back as doubles: Spark
    types a column of literal numbers (``CASE … THEN 0.5 ELSE 7.0``) as a decimal, and the kept
    table's schema is Spark's (a literal's text gives the same double back). ``numbered``: on
    DuckDB within a scoring's numbers, as :func:`~xuanba.standard.engine_cache.keep`'s."""
    params = engine_cache.active()
    if numbered is not None and (is_spark(t) or params is None or not params.variables):
        raise ValueError("only a DuckDB scoring's kept result is numbered")
    if is_spark(t):
        t = checkpoint(t)
    elif params is not None and params.variables:  # a stable name: the queries reading it compile once
        params.kept.append(f"_xuanba_kept{len(params.kept)}")
        with unfused():
            t = engine_cache.keep(t, params.kept[-1], table=params.tables, numbered=numbered)
    else:
        with unfused():
            t = t.cache()
    dec = {c: t[c].cast("float64") for c, ty in t.schema().items() if ty.is_decimal()}
    return t.mutate(**dec) if dec else t


def _ranked(t: Any, keys: list[Any]) -> Any:
    """``t`` kept (:func:`_kept`) with ``rank``, each row's place (1, 2, …) in the order of
    ``keys`` (on DuckDB; the keys must order every row, the last one distinct per row). Kept as
    Arrow within a scoring's numbers (:func:`~xuanba.standard.engine_cache.keep`), the rows are
    sorted by ``keys`` and numbered as they come (``numbered``) rather than numbered by a
    ``row_number()`` window: the same ranks, the window's own pass over the sorted rows saved, and
    the kept rows then lie in rank order. Otherwise (a temporary table, or outside such a block)
    by the window."""
    params = engine_cache.active()
    if params is not None and params.variables and not params.tables:
        return _kept(t.order_by(keys), numbered="rank")
    return _kept(t.mutate(rank=ibis.row_number().over(ibis.window(order_by=keys)) + 1))


def _fields_read(standard: Standard, *, last_tie_break: bool = True) -> set[str]:
    """Every column the standard reads: criteria, gates, tie-break, capacity; without
    ``last_tie_break``, the tie-break's last key (the id every tie ends on) left out."""
    from xuanba.standard.expressions import fields_read

    used: set[str] = set()
    for c in standard.criteria:
        used |= fields_read(c.field)
    for g in standard.gates:
        used |= fields_read(g.expr)
    keys = standard.tie_break.sort_keys()
    used |= {name for name, _ in (keys if last_tie_break else keys[:-1])}
    used |= {standard.capacity.cost_field or "", standard.capacity.objective}
    return used


def _label_of(code: Any, names: list[str]) -> Any:
    """The text of a small integer code (null: ``""``)."""
    out: Any = ibis.literal("")
    for k, name in enumerate(names):
        out = ibis.ifelse(code == k, name, out)
    return ibis.coalesce(out, "")


_QUADRANTS = ("high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
              "low_value_low_potential")
#: The most gates whose failures a coded roster (:func:`roster_expression`) sums as powers of two.
CODED_GATES = 62


def _code(x: Any) -> Any:
    """A small integer code as the coded roster types it (int16: two bytes a customer)."""
    return (x if isinstance(x, ibis.Expr) else ibis.literal(x)).cast("int16")


def roster_labels(standard: Standard) -> dict[str, list[str]]:
    """The texts of a coded roster's columns (:func:`roster_expression` with ``coded``): each code
    is a position in its column's list, 0 the empty text (``gates_failed``: :func:`gates_label`).

    Example
    -------
    >>> from xuanba.standard import load_standard, starter_standard
    >>> roster_labels(load_standard(starter_standard("en")))["tier"]
    ['', 'A', 'B', 'C']
    """
    tiers = ["", *(tier.name for tier in standard.tiers)]
    crits = ["", *(c.name for c in standard.criteria)]
    return {"tier": tiers, "next_tier": tiers, "quadrant": ["", *(standard.quadrants.names[k] for k in _QUADRANTS)],
            "cheapest_criterion": crits, "cheapest_public_criterion": crits}


def gates_label(mask: Any, names: Sequence[str]) -> list[str]:
    """The ``gates_failed`` texts of the sums of powers of two ``mask`` (gate ``i`` failed: bit ``i``
    set), as the roster writes them: the failed gates' ``names`` in order, joined by ``"; "``.

    Example
    -------
    >>> gates_label([0, 1, 3], ["profitable", "active"])
    ['', 'profitable', 'profitable; active']
    """
    return ["; ".join(name for i, name in enumerate(names) if int(m) >> i & 1) for m in mask]


def labelled(codes: Any, labels: Sequence[str]) -> Any:
    """The pandas text column (``str``, as the roster types its texts) of the NumPy integer
    ``codes``, each a position in ``labels``: made once here, not per customer by the engine.

    Example
    -------
    >>> import numpy as np
    >>> labelled(np.array([2, 0, 1], dtype=np.int16), ["", "A", "B"]).tolist()
    ['B', '', 'A']
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    return pd.Series(pd.array(pc.take(pa.array(list(labels), type=pa.large_string()), codes), dtype="str"))


def _gates_labelled(mask: Any, names: Sequence[str]) -> Any:
    """:func:`labelled` of a ``gates_failed`` column of sums of powers of two (its few distinct
    sums named once each)."""
    import pandas as pd

    codes, uniques = pd.factorize(mask)
    return labelled(codes, gates_label(uniques, names))


def _capacity(t: Any, standard: Standard, id_column: str) -> tuple[Any, Any, dict[str, Any]]:
    """(``t``, joined to the customers kept when a budget binds; whether a customer keeps its tier
    under the capacity, an expression over it; the method used)."""
    import numpy as np

    from xuanba.errors import DataError, Phrase, quoted
    from xuanba.standard import score as oracle

    cap = standard.capacity
    pre = t._tier.notnull()
    if not cap.is_set:
        return t, pre, {"capacity_method": "none"}
    obj = t.score if cap.objective == "score" else ibis.coalesce(
        _finite(_as_float(t[cap.objective], Phrase("err_what_cap_objective", name=quoted(cap.objective)))), 0.0)  # ±inf: 0
    if cap.budget is None:  # (no candidate at all, "none", is told from the count selected after)
        if not cap.max_accounts:
            return t, pre, {"capacity_method": "not binding"}
        limit = int(cap.max_accounts)
        # the limit-th candidate (by objective, then rank: ties keep rank order) is the last one
        # kept, and binds when one more follows it: a top-n query, not a numbering of the whole base
        top = t.filter(pre).select(_o=obj, _k=t.rank).order_by([ibis._._o.desc(), ibis._._k])
        if is_spark(t):  # no offset: Spark takes the first limit + 1 per partition, then merges them
            last = to_arrow(top.limit(limit + 1)).to_pylist()[limit - 1:]
        else:
            last = to_arrow(top.limit(2, offset=limit - 1)).to_pylist()
        if len(last) < 2:
            return t, pre, {"capacity_method": "not binding"}
        o, r = num("cap_o", last[0]["_o"]), integer("cap_r", last[0]["_k"])
        return t, pre & ((obj > o) | ((obj == o) & (t.rank <= r))), {"capacity_method": "top-n"}
    n_cand = int(to_arrow(t.aggregate(_c=pre.cast("int64").sum()))["_c"][0].as_py() or 0)
    if n_cand == 0:
        return t, pre, {"capacity_method": "none"}
    cost = _finite(_as_float(t[cap.cost_field], Phrase("err_what_cap_cost", name=quoted(cap.cost_field))))  # ±inf: the median
    if is_spark(t):  # not the exact percentile's one task
        stats = _medians_spread(t.filter(pre).mutate(_cv=cost), {"_med": "_cv"})
        stats["_has"] = stats["_med"] is not None
    else:
        stats = _scalars(t.filter(pre).aggregate(_has=cost.count(), _med=cost.median()))
    if not stats["_has"]:
        raise DataError(Phrase("err_cap_cost_no_values", field=quoted(cap.cost_field)),
                        fix=Phrase("err_cap_cost_no_values_fix"))
    c = t.mutate(_cost=ibis.greatest(ibis.coalesce(cost, float(stats["_med"])), 0.0),
                 _obj=ibis.greatest(obj.cast("float64"), 0.0))
    limit = int(cap.max_accounts) if cap.max_accounts is not None else None
    spent = float(to_arrow(c.filter(pre).aggregate(_s=c._cost.sum()))["_s"][0].as_py() or 0.0)
    if spent <= oracle.budget_limit(float(cap.budget)) and (limit is None or n_cand <= limit):
        return t, pre, {"capacity_method": "not binding"}
    if n_cand <= oracle.EXACT_KNAPSACK_MAX:  # the candidates come to the driver: the exact knapsack
        cand = to_arrow(c.filter(pre).order_by("rank").select(id_column, "_obj", "_cost"))
        chosen, method = oracle.knapsack(cand["_obj"].to_numpy(), cand["_cost"].to_numpy(), float(cap.budget), limit)
        ids = cand[id_column].take(np.asarray(chosen, dtype=np.int64))
    else:
        ids, method = _greedy(c.filter(pre), id_column, oracle.budget_limit(float(cap.budget)), limit), "greedy"
    joined, kept = _keep_ids(t, ids, id_column)
    return joined, kept, {"capacity_method": method}


def _as_float(col: Any, what: Any) -> Any:
    """A column as float64 by the rule of :func:`xuanba.standard.expressions.to_number`: text by
    its pattern (otherwise missing), NaN missing; a date or time column refused, naming ``what``."""
    from xuanba.errors import DataError, Phrase
    from xuanba.standard.engine_rules import text_number

    kind = col.type()
    if kind.is_temporal():
        raise DataError(Phrase("err_date_not_number", what=what), fix=Phrase("err_date_not_number_fix"))
    out = text_number(col) if kind.is_string() else col.cast("float64")
    return ibis.ifelse(out.isnan(), ibis.null("float64"), out)


#: Texts whose order under a collation differs from their characters' (NOCASE: ``a`` before ``B``;
#: NOACCENT: ``é`` before ``f``; NFC: ``e`` with a combining accent after ``f``, as ``é``; a
#: language's: all): what :func:`_refuse_collation` sorts by the ids'.
COLLATION_PROBE = ("B", "a", "f", "\u00e9", "e\u0301")


#: The ``default_collation`` names DuckDB binds as no collation at all (its collation binding
#: lowers the name and skips these three): text compares byte by byte, as by its characters.
BYTE_ORDER_COLLATIONS = frozenset({"binary", "c", "posix"})


def _refuse_collation(base: Any, id_column: str) -> bool:
    """Refuse a DuckDB connection whose ``default_collation`` is set (``nocase``, say; not one of
    :data:`BYTE_ORDER_COLLATIONS`, which compare as no collation does), or an id
    column declared with a collation of its own (``VARCHAR COLLATE NOCASE``): xuanba compares text
    by its characters, as the reference does, and such a connection or column would order the ids
    (tie a and A in the rank, group them as one) and compare text gates its own way (a DataError
    that says how to reset it). Whether the connection sorts missing values last unless told
    (``default_null_order``: the rank's missing tie-break values are then told by a key of their
    own), read in the same query, as are the order of :data:`COLLATION_PROBE` alone (the
    connection's: a byte-order name that did not sort it so is refused as a collation) and with the
    ids' column (the column's; the column itself not read: ``LIMIT 0``)."""
    from xuanba.errors import DataError, Phrase

    params = engine_cache.active()
    backend = params.backend if params is not None and params.backend is not None else base._find_backend(
        use_default=True)
    if backend.name != "duckdb":
        return True
    ids = backend.compile(base.select(_v=base[id_column]).limit(0))
    values = ", ".join(f"('{v}')" for v in COLLATION_PROBE)
    # the probe alone tells the connection's order; with the ids' column, the column's
    collation, nulls, alone, order = backend.con.execute(
        "SELECT current_setting('default_collation'), current_setting('default_null_order'), "
        f"(SELECT string_agg(_v, '' ORDER BY _v ASC) FROM (VALUES {values}) AS _p(_v)), "
        f"(SELECT string_agg(_v, '' ORDER BY _v ASC) FROM (({ids}) UNION ALL (VALUES {values})))").fetchone()
    if collation and (str(collation).lower() not in BYTE_ORDER_COLLATIONS or alone != "".join(sorted(COLLATION_PROBE))):
        raise DataError(Phrase("err_engine_collation", collation=collation), fix=Phrase("err_engine_collation_fix"))
    if order != "".join(sorted(COLLATION_PROBE)):
        raise DataError(Phrase("err_engine_id_collation", probe=", ".join(COLLATION_PROBE),
                               order=", ".join(order)),
                        column=id_column, fix=Phrase("err_engine_id_collation_fix", column=id_column))
    return str(nulls).lower() == "nulls_last"


def _finite(x: Any) -> Any:
    """``x`` with ±inf missing (as a criterion's raw value)."""
    return ibis.ifelse(is_inf(x), ibis.null("float64"), x)


def _keep_ids(t: Any, ids: Any, id_column: str) -> tuple[Any, Any]:
    """``t`` joined to the customers ``ids`` (the capacity's choice) and whether each is one of them."""
    import pyarrow as pa

    small = ibis.memtable(pa.table({"_kid": pa.array(ids, type=pa.string())}))
    # the join finished here, whether kept a column of it: steps stacked on it later can read it
    joined = t.left_join(small, t[id_column] == small._kid).select(*t.columns,
                                                                    _keep=small._kid.notnull())
    return joined, joined._keep


def _greedy(cand: Any, id_column: str, fits: float, limit: int | None) -> list[str]:
    """The greedy rule of :func:`xuanba.standard.score.knapsack` (best value per cost first, ties in
    rank order; an item is taken while the costs taken stay within ``fits``, the budget with its
    round-off, :func:`~xuanba.standard.score.budget_limit`; none of value 0; at most ``limit``): the leading
    run that fits is a cumulative-sum window in the engine; only the candidates that could still fit
    in what is left of the budget come to the driver."""
    c = cand.filter(cand._obj > 0)
    ratio = ibis.ifelse(c._cost > 0, c._obj / ibis.ifelse(c._cost > 0, c._cost, 1.0), float("inf"))
    c = c.mutate(_ratio=ratio)
    if is_spark(c):  # the running sum from a range-partitioned sort; costs are >= 0, so it only grows
        c = sorted_index(c, [c._ratio.desc(), c.rank.asc()], "_i", running_sum="_cost", sum_name="_cum")
        c = c.mutate(_over=(c._cum > fits).cast("int64"))
    else:
        w = ibis.window(order_by=[c._ratio.desc(), c.rank], rows=(None, 0))
        c = c.mutate(_cum=c._cost.sum().over(w), _i=ibis.row_number().over(ibis.window(order_by=[c._ratio.desc(), c.rank])))
        c = _kept(c.mutate(_over=(c._cum > fits).cast("int64").sum().over(w)))
    run = c.filter(c._over == 0)  # the leading run: every item fits in turn
    if limit is not None:
        run = run.filter(run._i < limit)
    head = to_arrow(run.select(id_column, "_cost", "_i").order_by("_i"))
    chosen = head[id_column].to_pylist()
    spent = float(sum(head["_cost"].to_pylist()))
    if limit is not None and len(chosen) >= limit:
        return chosen
    first_over = c.filter(c._over > 0)
    rest = first_over.filter(first_over._cost <= fits - spent).order_by("_i")
    rest = to_arrow(rest.select(id_column, "_cost"))
    for cid, cost in zip(rest[id_column].to_pylist(), rest["_cost"].to_pylist(), strict=True):
        if limit is not None and len(chosen) >= limit:
            break
        if spent + cost <= fits:
            chosen.append(cid)
            spent += cost
    return chosen


def _bands_target(c: Criterion) -> Any:
    th = [float(b[0]) for b in c.bands or []]
    pts = [float(b[1]) / 100.0 for b in c.bands or []]
    order = list(range(len(th) - 1, -1, -1)) if c.direction == "higher" else list(range(len(th)))

    def target(t: Any, need: Any) -> Any:
        need = ibis.least(need, 1.0)
        res: Any = ibis.null("float64")
        for k in order:  # higher: the least threshold with enough points; lower: the greatest
            res = ibis.ifelse(pts[k] >= need - 1e-12, th[k], res)
        return res

    return target


def _percentile_target(j: int, sign: float, *, native: bool) -> Any:
    """The raw value that earns ``need`` under the percentile rule, from the pieces :func:`_inverses`
    put in columns (``_k``, ``_top``, ``_mo``, ``_att``, ``_kz``) and the k-th value joined (``_v``)."""
    def target(t: Any, need: Any) -> Any:
        def up(x: Any, e: str) -> Any:  # on Spark, from the exponent column e
            return _next_above(x, None if native else t[e], native=native)

        top = t[f"_top{j}"]
        reach_top = ibis.ifelse((t[f"_kz{j}"] == top) & (need > 0.5 + 1e-12), up(top, f"_et{j}"), top)
        y = ibis.ifelse(t[f"_k{j}"] <= t[f"_mo{j}"] - t[f"_att{j}"], up(t[f"_v{j}"], f"_ev{j}"), reach_top)
        return ibis.ifelse(t[f"_mo{j}"] >= 1, y if sign == 1.0 else sign * y, ibis.null("float64"))

    return target


ROSTER_TEXT = ("customer_id", "tier", "quadrant", "gates_failed", "next_tier", "cheapest_criterion",
               "cheapest_public_criterion")


def _roster_kind(col: str) -> str:
    """How a roster column is typed (:func:`roster_frame`), as :func:`by_rank` names it."""
    if col in ROSTER_TEXT:
        return "text"
    if col in ("selected", "left_out_by_capacity"):
        return "bool"
    return "int64" if col == "rank" else "float64"


def roster_frame(arrow: Any, columns: Sequence[str], id_column: str = "customer_id") -> Any:
    """Roster rows from an engine's Arrow result as the pandas roster types them (text as ``str``,
    flags as ``bool``, rank as ``int64``, every other column as ``float64``); the id is read from
    ``id_column``."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    data: dict[str, Any] = {}
    for col in columns:
        arr = arrow[id_column if col == "customer_id" else col]
        if col in ROSTER_TEXT:
            data[col] = pd.Series(pd.array(arr.cast(pa.large_string()), dtype="str"))
        elif col in ("selected", "left_out_by_capacity"):
            data[col] = arr.to_numpy(zero_copy_only=False).astype(bool)
        elif col == "rank":
            data[col] = arr.to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            data[col] = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return pd.DataFrame(data, copy=False)


def score_in_engine(fields: Any, standard: Standard, *, contributions: bool = True,
                    id_column: str = "customer_id", on_roster: Any = None, on_points: Any = None) -> Any:
    """:func:`xuanba.standard.score.score_customers` computed by the engine: ``fields`` is an Ibis
    table (any backend) or a pandas/Arrow table (run in an in-memory DuckDB). Returns the same
    :class:`~xuanba.standard.score.Scored`: the roster sorted by rank with the same columns and
    types, the long contributions, ``info`` and ``matrix`` (and ``coded``: the roster's texts
    made from the engine's codes, as their codes and labels).

    ``on_roster``: called with the roster's :data:`~xuanba.standard.score.ROSTER_COLUMNS` as
    Arrow (:func:`roster_arrow`) as soon as the engine's rows are placed, before the pandas
    roster is made of them: a round's saver starts appending it meanwhile. The arrays are the
    roster's own (not copied): the callee must not change them.

    ``on_points(stop, raw, points, criteria, weights)``: called as the engine's rows are placed,
    each time the customers of ranks 1..``stop`` have all been placed (their rows ``[0, stop)``
    of ``raw`` and ``points`` final; last with ``stop = n``): the n × k arrays of each criterion's
    raw value and points in rank order that the contributions' parts hold (not copied, being
    filled: the callee reads only those rows), the criteria's names and weight shares. A round's
    saver appends the contributions meanwhile (:meth:`~xuanba.rounds.store.RoundSaver.start_points`).

    Example
    -------
    >>> import pandas as pd
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n')
    >>> r = score_in_engine(pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": [1.0, 2.0]}), s).roster
    >>> r[["customer_id", "rank", "score"]].values.tolist()
    [['b', 1, 100.0], ['a', 2, 0.0]]
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from xuanba.standard.score import CONTRIBUTION_COLUMNS, ROSTER_COLUMNS, Scored
    from xuanba.standard.score import ContributionParts as Parts

    crits = standard.criteria
    k = len(crits)
    held: dict[str, Any] = {}
    # the texts other than the id made here from the engine's codes, once (see roster_expression)
    coded = (len(standard.gates) <= CODED_GATES  # the codes are int16: positions in a short list
             and max(len(standard.tiers), len(standard.criteria)) < 2**15 - 1)
    labels = roster_labels(standard) if coded else {}
    shares = standard.weight_shares
    names_k = [c.name for c in crits]
    weights_k = np.array([shares[c.name] for c in crits], dtype=float)

    def collect(batches: Any, names: list[str], n: int) -> dict[str, Any]:
        # each criterion's raw value and points written straight into the contributions' arrays,
        # the roster's raw value columns being the same arrays (no copy)
        held["raw"] = np.empty((n, k), order="F")
        held["points"] = np.empty((n, k), order="F")
        into = {c.name: held["raw"][:, j] for j, c in enumerate(crits)}
        into.update({f"_pts_{c.name}": held["points"][:, j] for j, c in enumerate(crits)})
        kinds = {col: _roster_kind(col) for col in ROSTER_COLUMNS}
        if coded:
            kinds.update({col: "int16" for col in labels}, gates_failed="int64")
        id_kind = kinds.pop("customer_id")
        if id_column in names:  # else taken from the fields' rows (_in_engine)
            kinds[id_column] = id_kind
        kinds.update({c.name: "float64" for c in crits})
        kinds.update({f"_pts_{c.name}": "float64" for c in crits})
        if ROW_COLUMN in names:
            kinds[ROW_COLUMN] = "int64"
        placed = None if on_points is None else (
            lambda stop: on_points(stop, held["raw"], held["points"], names_k, weights_k))
        return by_rank(batches, n, kinds, into=into, on_prefix=placed)

    out, info = _in_engine(fields, standard, id_column, selection_only=False, collect=collect, coded=coded)
    # each roster row's row in the fields, when they came sorted by id (see rows_by_id)
    order = out.pop(ROW_COLUMN, None)
    codes = {col: (out.pop(col), list(labels[col])) for col in labels}
    if coded:  # its few distinct sums named once each
        found, uniques = pd.factorize(out.pop("gates_failed"))
        codes["gates_failed"] = (found, gates_label(uniques, [g.name for g in standard.gates]))
    if id_column != "customer_id":
        out["customer_id"] = out.pop(id_column)
    if on_roster is not None:
        on_roster(roster_arrow(out, codes))
    data: dict[str, Any] = {}
    for col in (*ROSTER_COLUMNS, *(c.name for c in crits)):
        if col in codes:
            data[col] = labelled(*codes[col])
            continue
        got = out.pop(col)
        data[col] = pd.Series(pd.array(got.cast(pa.large_string()), dtype="str")) if col in ROSTER_TEXT else got
    roster = pd.DataFrame(data, copy=False)
    del data, out
    n = len(roster)
    weights = weights_k  # the weights on_points was given
    raw, points = held["raw"], held["points"]
    matrix = np.empty((n, k))
    for j in range(k):
        matrix[:, j] = 100.0 * weights[j] * points[:, j]
    long: Any
    if contributions:  # the long table is made when first read, as score_customers's
        long = Parts(roster["customer_id"], names_k, weights, raw, points, matrix)
    else:
        long = pd.DataFrame({c: pd.Series(dtype="str" if c in ("customer_id", "criterion") else "float64")
                             for c in CONTRIBUTION_COLUMNS})
    return Scored(roster, long, info, matrix, order=order, coded=codes or None)


def roster_arrow(columns: dict[str, Any], codes: dict[str, tuple[Any, list[str]]]) -> Any:
    """The roster's :data:`~xuanba.standard.score.ROSTER_COLUMNS` as an Arrow table from what
    :func:`score_in_engine` holds once the engine's rows are placed: ``columns`` (NumPy arrays,
    Arrow text) and ``codes`` (a text column's codes and labels, made a dictionary array: its
    values, not copied), typed as ``pyarrow.Table.from_pandas`` types the pandas roster (a
    missing number null), so that a table stores the same values from either.

    Example
    -------
    >>> import numpy as np
    >>> t = roster_arrow({"score": np.array([1.0, np.nan])}, {"tier": (np.array([1, 0], dtype=np.int16), ["", "A"])})
    >>> t.column("tier").to_pylist(), t.column("score").to_pylist()
    (['A', ''], [1.0, None])
    """
    import pyarrow as pa

    from xuanba.standard.score import ROSTER_COLUMNS

    arrays: dict[str, Any] = {}
    for col in ROSTER_COLUMNS:
        if col in codes:
            found, labels = codes[col]
            arrays[col] = pa.DictionaryArray.from_arrays(pa.array(found), pa.array(labels, type=pa.large_string()))
        elif col in columns:
            got = columns[col]
            arrays[col] = got if isinstance(got, pa.Array | pa.ChunkedArray) else pa.array(got, from_pandas=True)
    return pa.table(arrays)



def select_in_engine(fields: Any, standard: Standard, *, id_column: str = "customer_id") -> tuple[Any, Any]:
    """The selection of ``standard`` on ``fields`` (as :func:`score_in_engine` takes them), computed
    by the engine up to tiers and capacity and no further (no gaps, cheapest criteria, quadrants,
    nor a roster of every customer back): ``(ids, tiers)``, the selected customers' ids in rank
    order (Arrow text) and each one's tier as its position in ``standard.tiers`` (Arrow int64).

    Example
    -------
    >>> import pandas as pd
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n[[tiers]]\\nname = "A"\\nquota = 1\\n'
    ...                   '[[tiers]]\\nname = "B"\\nquota = 1\\n')
    >>> ids, tiers = select_in_engine(pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                                             "revenue_365d": [1.0, 3.0, 2.0]}), s)
    >>> ids.to_pylist(), tiers.to_pylist()
    (['b', 'c'], [0, 1])
    """
    out, _ = _in_engine(fields, standard, id_column, selection_only=True)
    return out[id_column], out["_tier"]


def _in_engine(fields: Any, standard: Standard, id_column: str, *, selection_only: bool,
               collect: Any = None, coded: bool = False) -> tuple[Any, dict]:
    """The roster (or the selection alone) of ``standard`` over ``fields`` as Arrow in rank order,
    and the counts: a frame runs on this process's in-memory DuckDB, read in place (from
    :data:`KEEP_IN_TABLES_ROWS` customers on within :data:`KEEP_MEMORY`, then
    :data:`SCORING_MEMORY` while the roster streams). With ``collect``, the
    roster is ``collect(batches, column_names, n)`` of its record batches instead, called while
    the engine still holds what the roster's query reads; ``coded``: its texts as codes
    (:func:`roster_expression`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table, row_column, stream_memory = fields, None, None
    if not hasattr(fields, "op"):  # not an Ibis expression: a frame, run in memory
        used = _fields_read(standard) | {id_column}
        if isinstance(fields, pa.Table):  # only what the standard reads goes to the engine
            arrow = fields.select([c for c in fields.column_names if c in used])
            kind = arrow.schema.field(id_column).type if id_column in arrow.column_names else pa.string()
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):  # ids as the reference writes them
                ids = _ids_as_text(arrow.select([id_column]).to_pandas(), id_column)[id_column]
                arrow = arrow.set_column(arrow.column_names.index(id_column), id_column, pa.array(ids, type=pa.string()))
        else:
            arrow = pa.Table.from_pandas(_ids_as_text(fields[[c for c in fields.columns if c in used]], id_column),
                                         preserve_index=False)
        for i, f in enumerate(arrow.schema):  # a column with no value at all: text with nothing in it
            if pa.types.is_null(f.type):
                arrow = arrow.set_column(i, f.name, arrow.column(i).cast(pa.string()))
        arrow, row_column = rows_by_id(arrow, id_column)
    with contextlib.ExitStack() as call:
        if hasattr(fields, "op"):  # a caller's connection: no other thread's round or scoring on it meanwhile
            call.enter_context(engine_lock.held(fields._find_backend(use_default=True)))
        else:  # read where it lies (no copy), on this process's own connection
            call.enter_context(engine_cache.LOCK)
            table = _registered(arrow, call)
            if arrow.num_rows >= KEEP_IN_TABLES_ROWS:
                keep, stream_memory = scoring_limits()
                _memory_lowered(table._find_backend(), keep, call)
        try:
            out, info = _run_roster(table, standard, id_column, call, selection_only=selection_only,
                                    row_column=row_column, collect=collect, stream_memory=stream_memory,
                                    coded=coded, clean=None if hasattr(fields, "op") else _clean_columns(arrow))
        except Exception as exc:  # DuckDB's OutOfRangeException: a spread of values beyond 1e154
            if type(exc).__name__ == "OutOfMemoryException" and stream_memory is not None:
                _out_of_scoring_memory(exc, table._find_backend(), arrow.num_rows)
            if type(exc).__name__ != "OutOfRangeException":
                raise
            from xuanba.errors import DataError, Phrase

            detail = str(exc).splitlines()[0][:200]
            raise DataError(Phrase("err_engine_out_of_range", detail=detail),
                            fix=Phrase("err_engine_out_of_range_fix")) from None
    if row_column is not None:  # each row's number in its id's place (roster_expression): the ids back
        table_out = isinstance(out, pa.Table)
        if id_column not in (out.column_names if table_out else out):
            ids = pc.take(arrow[id_column], out[row_column] if table_out else pa.array(out[row_column]))
            if table_out:
                out = out.append_column(id_column, ids)
            else:
                out[id_column] = ids.combine_chunks()
    return out, info


def _clean_columns(arrow: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The numeric columns of the Arrow table ``arrow`` that hold no NaN, and those that hold
    neither NaN nor ±inf (missing values allowed): a frame's NaN is already missing once in Arrow,
    so these are nearly all of them, and the engine then reads them without testing each value
    (:func:`~xuanba.standard.engine_cache.known`). A pass over each float column (about 2 ms a
    million values).

    Example
    -------
    >>> import pyarrow as pa
    >>> t = pa.table({"a": [1.0, None], "b": [1.0, float("inf")], "c": [float("nan"), 1.0], "d": [1, 2]})
    >>> [sorted(names) for names in _clean_columns(t)]
    [['a', 'b', 'd'], ['a', 'd']]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    no_nan, finite = set(), set()
    for f in arrow.schema:
        if pa.types.is_integer(f.type):
            no_nan.add(f.name)
            finite.add(f.name)
        elif pa.types.is_floating(f.type):
            col = arrow[f.name]
            if not pc.any(pc.is_nan(col)).as_py():
                no_nan.add(f.name)
                if not pc.any(pc.is_inf(col)).as_py():
                    finite.add(f.name)
    return frozenset(no_nan), frozenset(finite)


#: The column :func:`rows_by_id` numbers the fields' rows in (a name no field of a round takes).
ROW_COLUMN = "_xuanba_row"


def rows_by_id(arrow: Any, id_column: str) -> tuple[Any, str | None]:
    """``(arrow, ROW_COLUMN)`` with :data:`ROW_COLUMN` (0, 1, …) added, when the Arrow table's ids
    are text, none missing, each greater than the one before (a round's fields come sorted by id):
    every id is then there once, which the engine need not count (a hash of every id, 0.15–0.3 s
    at a million customers; a tune or backtest selects many times), and the roster carries each
    row's position, which a round would otherwise look up by id
    (:func:`~xuanba._frames.positions_in`, 0.2–0.35 s). Otherwise
    ``(arrow, None)``, unchanged. Checking costs one comparison of neighbouring ids (5 ms).

    Example
    -------
    >>> import pyarrow as pa
    >>> t, name = rows_by_id(pa.table({"customer_id": ["a", "b", "c"]}), "customer_id")
    >>> name, t[name].to_pylist()
    ('_xuanba_row', [0, 1, 2])
    >>> rows_by_id(pa.table({"customer_id": ["a", "a"]}), "customer_id")[1] is None  # one id twice
    True
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if id_column not in arrow.column_names or ROW_COLUMN in arrow.column_names:
        return arrow, None
    ids = arrow[id_column]
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)) or ids.null_count:
        return arrow, None
    if len(ids) > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():
        return arrow, None
    return arrow.append_column(ROW_COLUMN, pa.array(np.arange(len(ids), dtype=np.int64))), ROW_COLUMN


def _ids_as_text(frame: Any, id_column: str) -> Any:
    """``frame`` with its ids as the reference reads them, text (``str(id)``: ``True``, ``1``,
    ``2.5``, ``2020-01-01``), missing ones left missing; unchanged (no copy) when they are text.

    Example
    -------
    >>> import pandas as pd
    >>> _ids_as_text(pd.DataFrame({"customer_id": [True, None]}), "customer_id")["customer_id"].tolist()
    ['True', nan]
    """
    from pandas.api.types import is_string_dtype

    if id_column not in frame.columns or is_string_dtype(frame[id_column]):
        return frame
    out = frame.copy(deep=False)
    out[id_column] = frame[id_column].astype("str")
    return out


def _refuse_text_criteria(table: Any, standard: Standard, id_column: str) -> None:
    """A criterion that is a text or date column, refused as the pandas reference refuses it
    (:func:`xuanba.standard.score.not_numbers`: the same words, the first value that is no number
    by the ids' order, its customer, how many) rather than read by the pattern a rule reads text by."""
    from xuanba.standard import score as oracle
    from xuanba.standard.engine_rules import text_number

    schema = table.schema()
    for c in standard.criteria:
        kind = schema.get(c.field)
        if kind is None or not (kind.is_string() or kind.is_temporal()):
            continue
        if kind.is_temporal():
            raise oracle.criterion_refused(c, dates=True)
        col = table[c.field]
        bad = table.filter(col.notnull() & text_number(col).isnull())
        count = int(to_arrow(bad.aggregate(n=bad.count()))["n"][0].as_py())
        if not count:
            raise oracle.criterion_refused(c)
        first = to_arrow(bad.select(_id=bad[id_column].cast("string"), _v=bad[c.field])
                         .order_by("_id").limit(1)).to_pylist()[0]
        raise oracle.criterion_refused(c, value=first["_v"], customer=first["_id"], count=count)


_LOCAL: list[Any] = []  # the in-memory DuckDB of this process, made on first use (with xuanba's settings)


def _local() -> Any:
    """This process's in-memory DuckDB (Ibis), made on first use with the settings of every DuckDB
    xuanba opens (:func:`xuanba.workspace.duckdb_settings`: its memory limit,
    ``$XUANBA_MEMORY_LIMIT``, and a temporary folder of its own to spill to)."""
    if not _LOCAL:
        from xuanba.workspace import duckdb_settings

        settings = duckdb_settings(":memory:")
        local = ibis.duckdb.connect(**settings)  # type: ignore[attr-defined]
        local.__dict__["_xuanba_memory_limit"] = settings.get("memory_limit")  # as set, not as shown
        _LOCAL.append(local)
    return _LOCAL[0]


@contextlib.contextmanager
def fewer_threads(busy: int) -> Iterator[None]:
    """A block in which this process's in-memory DuckDB (the engine a pandas or Arrow table is
    scored on) leaves ``busy`` of its threads' cores to other work of the process (at least one
    thread left); set back after, failure included.

    DuckDB's Python client waits for a query's last tasks by spinning on the calling thread, so a
    DuckDB on every core beside a busy thread of the process makes three busy threads on two
    cores (docs/benchmarks_round.md, saver24). The setting is the process's: an engine call of
    another thread meanwhile has as many.

    Example
    -------
    >>> def threads() -> int:
    ...     return int(_local().con.execute("SELECT current_setting('threads')").fetchone()[0])
    >>> was = threads()
    >>> with fewer_threads(was):
    ...     threads()
    1
    >>> threads() == was
    True
    """
    con = _local().con
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    with setting(con, "threads", max(1, threads - int(busy))):
        yield


def _registered(arrow: Any, call: contextlib.ExitStack) -> Any:
    """The Arrow table ``arrow`` as an Ibis table on this process's in-memory DuckDB
    (:func:`_local`), read in place (no copy), under one name whatever the call (so that the
    queries over it compile once per structure); unregistered when ``call`` closes."""
    con = _local()
    con.con.register("_xuanba_fields", arrow)
    call.callback(con.con.unregister, "_xuanba_fields")
    return con.table("_xuanba_fields")


def _memory_lowered(backend: Any, limit: int, call: contextlib.ExitStack) -> None:
    """DuckDB's memory limit on ``backend`` lowered to ``limit`` bytes until ``call`` closes, unless
    it is that low already; then put back as it was set (this process's DuckDB,
    :func:`_registered`), else as DuckDB shows it (to a tenth of its unit)."""
    from xuanba.workspace import shown_bytes

    now = str(backend.con.sql("SELECT current_setting('memory_limit')").fetchone()[0])
    held = shown_bytes(now)
    if held is None or held <= limit:
        return
    exact = backend.__dict__.get("_xuanba_memory_limit")
    back = exact or f"{held}B"
    backend.con.execute(f"SET memory_limit = '{int(limit)}B'")
    lowered = backend.__dict__.setdefault("_xuanba_lowered", [])
    lowered.append(limit)  # what _out_of_scoring_memory reads
    call.callback(backend.con.execute, f"SET memory_limit = '{back}'")
    call.callback(lowered.pop)


def _out_of_scoring_memory(exc: Exception, backend: Any, n: int) -> None:
    """Raise what running out of DuckDB's memory while scoring ``n`` customers means when the limit
    in force was the scoring's own (:func:`scoring_limits`, set lower than the one DuckDB was
    opened with by :func:`_memory_lowered`): raising ``$XUANBA_MEMORY_LIMIT`` would not help, ``$XUANBA_SCORING_MEMORY`` does.
    Returns (the caller re-raises ``exc``) when the limit in force is the one it was opened with."""
    from xuanba.errors import Phrase, WorkspaceError

    if not backend.__dict__.get("_xuanba_lowered"):
        return
    shown = str(backend.con.sql("SELECT current_setting('memory_limit')").fetchone()[0])
    detail = str(exc).splitlines()[0][:200]
    more = max(4, math.ceil(2 * backend.__dict__["_xuanba_lowered"][-1] / 10**9))  # twice the limit in force
    raise WorkspaceError(Phrase("err_scoring_memory", n=f"{n:,}", limit=shown, detail=detail),
                         fix=Phrase("err_scoring_memory_fix", name=SCORING_MEMORY_ENV, size=f"{more}GB")) from None


def _run_roster(table: Any, standard: Standard, id_column: str, call: contextlib.ExitStack, *,
                selection_only: bool = False, row_column: str | None = None,
                collect: Any = None, stream_memory: int | None = None, coded: bool = False,
                clean: tuple[frozenset[str], frozenset[str]] | None = None) -> tuple[Any, dict]:
    """The roster of ``standard`` over the Ibis ``table`` as Arrow, in rank order, and the counts:
    on DuckDB its numbers as variables (compiled once per structure,
    :mod:`~xuanba.standard.engine_cache`) and its kept tables dropped after. With ``collect``
    (:func:`_in_engine`), what it makes of the roster's record batches: on DuckDB streamed as the
    engine makes them, in no order (``rank`` a permutation of 1..n), DuckDB's memory limit lowered
    to ``stream_memory`` (bytes) meanwhile when given (put back as it was set when ``call`` closes);
    ``coded``: the roster's texts as codes (:func:`roster_expression`); ``clean``: the columns of
    ``table`` known to hold no NaN, and those with neither NaN nor ±inf (:func:`_clean_columns`)."""
    spark = is_spark(table)
    call.enter_context(kept_for_call())  # Spark's kept tables: this call's own, dropped even when scoring fails
    if not spark:
        call.enter_context(engine_cache.LOCK)  # the variables and kept tables of one call at a time
    params = call.enter_context(engine_cache.parameters(variables=not spark))
    if clean is not None:
        params.no_nan, params.finite = clean
    if not spark:
        params.backend = backend = table._find_backend(use_default=True)
        call.callback(lambda: engine_cache.drop(backend, params.kept))
        call.callback(lambda: release_kth(backend))
    expr, info = roster_expression(table, standard, id_column=id_column, selection_only=selection_only,
                                   row_column=row_column, coded=coded)
    if collect is not None and not selection_only:
        n = int(info["n_customers"])
        if spark:
            got = to_arrow(expr)
            return collect(got.to_batches(), got.column_names, n), info
        if stream_memory is not None:
            _memory_lowered(backend, stream_memory, call)
        with unfused():
            reader = engine_cache.stream(expr, backend)
        return collect(reader, reader.schema.names, n), info
    return to_arrow(expr.order_by("rank")), info  # (the selection: a few rows, sorted by the engine)
