"""The standard as Ibis expressions: run by the engine that holds the customers.

:func:`roster_expression` compiles a whole standard (criteria, gates, rank, tiers, capacity, gaps,
cheapest criteria, quadrants) over any Ibis table; :func:`score_in_engine` returns what
:func:`xuanba.standard.score.score_customers` returns, computed that way (the pandas path is its
test oracle); rules compile through :func:`xuanba.standard.engine_rules.with_rules`.

A first part of compiling the standard to the engine (issue 16): each criterion's normalisation
becomes a column expression over the whole base — ``percentile`` a rank window, ``minmax`` and
``zscore`` aggregates over the base, ``bands`` a case — equal to the pandas path of
:mod:`xuanba.standard.score` (its oracle in tests/test_standard_engine.py). A missing value
earns 0, as there; replacing it (``missing = "median"`` or a number) happens before.

Example
-------
>>> import ibis, pyarrow as pa
>>> from xuanba.standard.schema import Criterion
>>> t = ibis.memtable(pa.table({"v": [0.0, 0.0, 5.0, 7.0, 7.0, None]}))
>>> c = Criterion(name="v", field="v", weight=1)
>>> sorted(normalise(t, "v", c, "p").to_pyarrow()["p"].to_pylist())
[0.0, 0.0, 0.0, 0.6666666666666666, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis

from xuanba.errors import InputError
from xuanba.facts.expressions import round_half_even
from xuanba.standard.engine_rules import is_inf
from xuanba.standard.engine_spark import checkpoint, is_spark, kept_for_call, sorted_index
from xuanba.standard.schema import Criterion, Standard


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
    backend = table._find_backend(use_default=True)
    if backend.name == "pyspark" and hasattr(backend._session.sql("SELECT 1"), "toArrow"):
        backend._run_pre_execute_hooks(table)  # registers the in-memory tables the query reads
        out = backend._session.sql(backend.compile(table)).toArrow()
    else:
        out = table.to_pyarrow()
    return out if table is expr else out.column(0)[0]


def normalise(table: Any, column: str, criterion: Criterion, name: str) -> Any:
    """``table`` with a column ``name``: the 0–1 points of ``criterion`` for every row, from the
    numeric column ``column`` (null: missing, 0 points). Window and aggregate expressions over
    the whole base, in two steps where one window reads another."""
    raw = table[column]
    if criterion.normalise == "bands":
        return table.mutate(**{name: _bands(raw, criterion)})
    s = raw if criterion.direction == "higher" else -raw
    if criterion.normalise == "percentile":
        # (values strictly below) / (m - count of the top value); 0.5 when every value is the same
        step = table.mutate(_s=s, _top=s.max().over(), _m=raw.notnull().sum().over(), _below=_count_below(s))
        step = step.mutate(_at_top=(step._s == step._top).sum().over())
        below_top = (step._m - step._at_top).cast("float64")
        points = ibis.ifelse(below_top == 0, 0.5, step._below.cast("float64") / below_top)
        out = step.mutate(**{name: ibis.ifelse(step._s.notnull(), points, 0.0)})
        return out.drop("_s", "_top", "_m", "_below", "_at_top")
    if criterion.normalise == "minmax":
        lo, hi = s.min().over(), s.max().over()
        points = ibis.ifelse(hi == lo, 0.5, (s - lo) / (hi - lo))
        return table.mutate(**{name: ibis.ifelse(raw.notnull(), points, 0.0)})
    mean, sd = s.mean().over(), s.std(how="pop").over()  # population standard deviation
    clipped = ibis.greatest(ibis.least(((s - mean) / sd + 3.0) / 6.0, 1.0), 0.0)
    return table.mutate(**{name: ibis.ifelse(raw.notnull(), ibis.ifelse(sd == 0, 0.5, clipped), 0.0)})


def _count_below(s: Any) -> Any:
    """How many values of ``s`` over the base are strictly below each row's (nulls not counted):
    ``rank() over (order by s)`` with the nulls ordered last, which counts exactly those."""
    return ibis.rank().over(ibis.window(order_by=s.asc(nulls_first=False)))


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
    return ibis.ifelse(raw.notnull(), out, 0.0)


def score_and_rank(table: Any, standard: Standard, *, id_column: str = "customer_id") -> Any:
    """``table`` with ``score`` (0–100, six decimals, as :func:`xuanba.standard.score.score_customers`)
    and ``rank`` (1 = best: score descending, then the standard's tie-break fields with missing
    values last, then ``customer_id``), computed by the engine: the score and rank alone, for
    criteria that name a field (:func:`roster_expression` does the whole standard).

    Example
    -------
    >>> import pyarrow as pa
    >>> from xuanba.standard import load_standard
    >>> s = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "rev"\\n'
    ...                   'field = "revenue_365d"\\nweight = 1\\n')
    >>> t = ibis.memtable(pa.table({"customer_id": ["a", "b", "c"], "revenue_365d": [5.0, 9.0, 5.0]}))
    >>> out = score_and_rank(t, s).order_by("rank").to_pyarrow()
    >>> out["customer_id"].to_pylist(), out["score"].to_pylist()
    (['b', 'a', 'c'], [100.0, 0.0, 0.0])
    """
    shares = standard.weight_shares
    t = table
    points = []
    for c in standard.criteria:
        if c.field not in table.columns:
            raise InputError(f"criterion {c.name!r} reads {c.field!r}, which is not a column: rule "
                             "expressions are not compiled to the engine yet",
                             fix="Compute the expression as a field first, or score with score_customers.")
        raw = t[c.field].cast("float64")
        raw = ibis.ifelse(is_inf(raw) | raw.isnan(), ibis.null("float64"), raw)  # e.g. x / 0: missing
        if c.missing == "median":
            t = t.mutate(**{f"_raw_{c.name}": raw})
            col = t[f"_raw_{c.name}"]
            raw = col.fill_null(ibis.coalesce(col.median().over(), 0.0))
        elif c.missing != "zero":
            raw = raw.fill_null(float(c.missing))
        t = t.mutate(**{f"_raw_{c.name}": raw})
        t = normalise(t, f"_raw_{c.name}", c, f"_pts_{c.name}")
        points.append(100.0 * shares[c.name] * t[f"_pts_{c.name}"])
    total: Any = points[0]
    for term in points[1:]:
        total = total + term
    t = t.mutate(score=round_half_even(total.cast("float64"), 6))  # numpy's rounding: the same bits on every engine
    keys = [t.score.desc()]
    for name, asc in standard.tie_break.sort_keys()[:-1]:
        col = t[name].cast("float64")
        keys.append(col.asc(nulls_first=False) if asc else col.desc(nulls_first=False))
    keys.append(t[id_column].asc())
    t = t.mutate(rank=ibis.row_number().over(ibis.window(order_by=keys)) + 1)
    helpers = [c for c in t.columns if c.startswith(("_raw_", "_pts_"))]
    return t.drop(*helpers)


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


def _with_raw(t: Any, crits: Sequence[Criterion]) -> Any:
    """``t`` with each criterion's raw value as ``_r<j>``: its field or formula as float64; ±inf
    (e.g. x / 0) missing."""
    from xuanba.standard.engine_rules import with_rules
    from xuanba.standard.expressions import ExpressionError

    try:
        return with_rules(t, {f"_r{j}": c.field for j, c in enumerate(crits)}, kind="number",
                          finish=lambda raw: ibis.ifelse(is_inf(raw) | raw.isnan(), ibis.null("float64"), raw))
    except ExpressionError as exc:
        from xuanba.errors import DataError

        name = crits[int(exc.rule[2:])].name  # type: ignore[attr-defined]
        raise DataError(f"criterion {name!r} cannot be computed: {exc.message}",
                        fix=exc.fix or "Check the field names against the data.") from None


def _scalars(expr: Any) -> dict[str, Any]:
    """Run an aggregate expression (one row) and return it as a dict."""
    row = to_arrow(expr).to_pylist()
    return row[0] if row else {}


def roster_expression(table: Any, standard: Standard, *, id_column: str = "customer_id"
                      ) -> tuple[Any, dict[str, Any]]:
    """The roster of ``standard`` over the Ibis ``table`` (one row per customer), computed by the
    table's own backend, and the round's counts (``info`` as :func:`~xuanba.standard.score.score_customers`).

    The result has the columns of :data:`~xuanba.standard.score.ROSTER_COLUMNS`, each criterion's
    raw value under its name and its 0–1 points as ``_pts_<name>``; it is not ordered (order by
    ``rank``). A few small queries run on the way (figures per criterion and per tier, capacity's
    candidates when a budget binds); the result itself is an unexecuted expression.

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
    """
    from xuanba.errors import DataError, Phrase
    from xuanba.standard.engine_rules import with_rules
    from xuanba.standard.expressions import ExpressionError

    crits = standard.criteria
    shares = standard.weight_shares
    used = _fields_read(standard)  # only what the standard reads travels through the steps
    keep = [c for c in table.columns if c in used and c != id_column]
    t = table.select(table[id_column].cast("string").name(id_column), *keep)
    counts = _scalars(t.aggregate(_n=t.count(), _ids=t[id_column].nunique(),  # one query for all three
                                  _missing=t[id_column].isnull().sum()))
    n = int(counts["_n"] or 0)
    if n == 0:
        raise DataError("there are no customers to score", fix="Check the cutoff and the transactions.")
    if int(counts["_missing"] or 0):  # nunique leaves them out: not a duplicate, a row with no id
        raise DataError(Phrase("err_id_missing", n=f"{int(counts['_missing']):,}"), column=id_column,
                        fix=Phrase("err_id_missing_fix"))
    dups = t.group_by(id_column).aggregate(_k=t.count()).filter(lambda x: x._k > 1)
    if int(counts["_ids"] or 0) != n:
        some = to_arrow(dups.limit(5))
        raise DataError("a customer appears more than once in the fields", examples=some[id_column].to_pylist(),
                        count=int(to_arrow(dups.count()).as_py()),
                        fix="Give one row per customer_id (aggregate the extra fields first).")

    # raw values (as read, missing kept for the roster) and filled ones (what is normalised), each
    # step one projection for every criterion at once: few layers keep compiling cheap
    t = _with_raw(t, crits)
    spread = is_spark(t)  # Spark: no window over the whole base (one task), figures and sorts instead
    # the figures of the base (medians, tops, counts, spreads) come to the driver in a few one-row
    # queries and return as literals: no window over the whole base, which DuckDB computes as one
    # more pass (and Spark in one task) for each
    to_fill = {f"med{j}": f"_r{j}" for j, c in enumerate(crits) if c.missing == "median"}
    if spread:
        t = _kept(t)
        medians = _medians_spread(t, to_fill)
    else:  # DuckDB's median is the exact one (the mean of the two middle values), as NumPy's
        medians = _scalars(t.aggregate(**{k: t[col].median() for k, col in to_fill.items()})) if to_fill else {}

    def filled(t: Any) -> Any:
        cols = {}
        for j, c in enumerate(crits):
            col = t[f"_r{j}"]
            if c.missing == "median":
                med = medians.get(f"med{j}")
                cols[f"_f{j}"] = col.fill_null(ibis.literal(float(med) if med is not None else 0.0, type="float64"))
            elif c.missing != "zero":
                cols[f"_f{j}"] = col.fill_null(float(c.missing))
            else:
                cols[f"_f{j}"] = col
        return t.mutate(**cols)

    def scored(t: Any, *, label_only: bool = False) -> Any:  # the score and the gates, from the points
        total: Any = None
        for j, c in enumerate(crits):
            term = 100.0 * shares[c.name] * t[f"_p{j}"]
            total = term if total is None else total + term
        label: Any = ibis.literal("")  # gates: which failed, named in the standard's order
        gates = {f"_gate{i}": g for i, g in enumerate(standard.gates)}  # each a column, named once below
        try:
            t = with_rules(t, {name: g.expr for name, g in gates.items()}, kind="truth")
        except ExpressionError as exc:
            raise DataError(f"gate {gates[exc.rule].name!r} cannot be checked: {exc.message}",  # type: ignore[attr-defined]
                            fix=exc.fix or "Check the field names against the data.") from None
        for name, g in gates.items():
            label = label + ibis.ifelse(t[name], "", "; " + g.name)
        # the label and the sum as columns first: their rounding and trimming name each several times
        t = t.mutate(_gl=label) if label_only else t.mutate(_gl=label, _sum=total.cast("float64"))
        named = ibis.ifelse(t._gl.length() > 0, t._gl.substr(2), "")
        new = {"gates_failed": named} if label_only else {
            "score": round_half_even(t._sum, 6), "_failed": t._gl.length() > 0, "gates_failed": named}
        # helpers stay (the roster selects its columns at the end), the gates' go: a window would carry them
        return t.select(*[c for c in t.columns if c not in gates and c not in new], **new)

    t = filled(t)
    st, pct = _base_figures(t, crits)  # every figure of the base, read before any window
    by_pos: dict[int, Any] = {}  # each percentile criterion's values in order, by position
    if spread:
        t = scored(_points_figures(t, crits, st, pct, by_pos))
    else:
        # DuckDB carries every column of its input through a window's sort: the windows run over
        # the fields and their results alone (what is derived from them is computed again after
        # them, a projection), so that they sort a few columns, not the roster's twenty
        narrow = [id_column, *keep, *[f"_{x}{j}" for j in pct for x in "bq"]]
        t = _count_below_all(t, crits, pct).select(*narrow)

        def points(t: Any, **how: bool) -> Any:
            return scored(_points_of(filled(_with_raw(t, crits)),
                                     crits, st, pct), **how)
        t = points(t)

    # rank: score descending, the tie-break fields (missing last), customer id
    keys = [t.score.desc()]
    for name, asc in standard.tie_break.sort_keys()[:-1]:
        if name not in t.columns:
            raise DataError(f"tie-break field {name!r} is not in the data",
                            fix="Remove it from [tie_break] or provide the field.")
        col = t[name].cast("float64")
        col = ibis.ifelse(col.isnan(), ibis.null("float64"), col)
        keys.append(col.asc(nulls_first=False) if asc else col.desc(nulls_first=False))
    keys.append(t[id_column].asc())
    if spread:  # a range-partitioned sort, numbered per range plus each range's offset
        t = sorted_index(t, keys, "_ix")
        t = t.mutate(rank=t._ix + 1).drop("_ix")
    else:  # kept: the fields, the counts below, the positions and the rank; the rest computed again
        t = t.mutate(rank=ibis.row_number().over(ibis.window(order_by=keys)) + 1)
        t = _kept(t.select(*narrow, "score", "_failed", "rank"))
        # what follows reads the kept table: each small query compiles a small expression
        values = filled(_with_raw(t, crits))
        for j in pct:
            f = values[f"_f{j}"]
            v = f if crits[j].direction == "higher" else -f
            by_pos[j] = values.filter(f.notnull()).select(v.name(f"_v{j}"), values[f"_q{j}"])

    # tiers before capacity, in rank order: each takes the eligible customers left, up to its quota
    # (the quota-th eligible customer's rank, from counts per block of ranks: no running count)
    # (one projection for all the tiers: a customer takes the first tier whose rule holds)
    rules: list[Any] = []
    for tier in standard.tiers:
        rule = ~t._failed
        if tier.min_score is not None:
            rule = rule & (t.score >= tier.min_score - 1e-9)
        quota = tier.quota_count(n)
        if quota is not None:
            left = rule
            for before in rules:  # not taken by a tier before
                left = left & ~before
            last = _kth_rank(t, left, quota, n)
            rule = rule & (t.rank <= last) if last is not None else rule
        rules.append(rule)
    code = ibis.cases(*[(rule, k) for k, rule in enumerate(rules)], else_=ibis.null("int64")) if rules else None
    t = t.mutate(_tier=code.cast("int64") if code is not None else ibis.null("int64"))
    if spread:
        t = _kept(t)

    t, info = _capacity(t, standard, id_column)
    tier_names = [tier.name for tier in standard.tiers]
    code = ibis.ifelse(t._kept, t._tier, ibis.null("int64"))  # one projection: each layer is more to compile
    t = t.mutate(left_out_by_capacity=t._tier.notnull() & ~t._kept, _tier=code, selected=code.notnull(),
                 tier=_label_of(code, tier_names))

    # per tier: members and their lowest score (small: one row per tier)
    per = _scalars(t.aggregate(
        _sel=t.selected.cast("int64").sum(), _gated=t._failed.cast("int64").sum(),
        _left=t.left_out_by_capacity.cast("int64").sum(),
        **{f"_n{k}": (t._tier == k).cast("int64").sum() for k in range(len(tier_names))},
        **{f"_m{k}": t.score.min(where=t._tier == k) for k in range(len(tier_names))}))
    counts = [int(per.get(f"_n{k}") or 0) for k in range(len(tier_names))]
    info.update({"n_customers": n, "n_selected": int(per["_sel"] or 0), "n_gated_out": int(per["_gated"] or 0),
                 "n_left_out_by_capacity": int(per["_left"] or 0),
                 "tier_counts": {name: counts[k] for k, name in enumerate(tier_names)}})
    t = _gaps_expression(t, standard, n, counts, [per.get(f"_m{k}") for k in range(len(tier_names))],
                         capacity_binds=info["n_left_out_by_capacity"] > 0)
    if not spread:  # the points and the gates' names, computed again from the kept fields
        t = points(t, label_only=True)
    t = _kept_on_spark(_quadrants_expression(t, standard))
    t, targets, spreads = _inverses(t, standard, st, by_pos)
    t = _costs(t, standard, targets, spreads)
    t = _cheapest_expression(t, standard, [(False, "cheapest_criterion", "cheapest_change"),
                                           (True, "cheapest_public_criterion", "cheapest_public_change")])
    from xuanba.standard.score import ROSTER_COLUMNS

    out = t.select(*[t[col] for col in ROSTER_COLUMNS if col != "customer_id"], t[id_column],
                   **{c.name: t[f"_r{j}"] for j, c in enumerate(crits)},
                   **{f"_pts_{c.name}": t[f"_p{j}"] for j, c in enumerate(crits)})
    return out, info


def _base_figures(t: Any, crits: list[Criterion]) -> tuple[dict[str, Any], list[int]]:
    """Every figure of the base that the points and the cheapest criterion read, from the filled
    values ``_f<j>`` of ``t`` (read before any window, so each query compiles a small expression):
    per criterion the count, spread, mean size, least, top and mean (one query); for the percentile
    criteria with a value how many share the top and the least, the values next to them (a second
    query) and, when one customer alone holds the top, how many share the second value (a third,
    rare). No aggregate window over the whole base (DuckDB computes each as one more pass over the
    rows, Spark in one task): they return to the engine as literals. Also the percentile criteria
    that have a value."""
    sv = {j: (t[f"_f{j}"] if c.direction == "higher" else -t[f"_f{j}"]) for j, c in enumerate(crits)}
    aggs: dict[str, Any] = {}
    for j in range(len(crits)):
        f = t[f"_f{j}"]
        aggs.update({f"m{j}": f.count(), f"sd{j}": f.std(how="pop"), f"am{j}": f.abs().mean(),
                     f"lo{j}": sv[j].min(), f"hi{j}": sv[j].max(), f"mean{j}": sv[j].mean()})
    st = _scalars(t.aggregate(**aggs)) if aggs else {}
    pct = [j for j, c in enumerate(crits) if c.normalise == "percentile" and int(st[f"m{j}"] or 0) > 0]
    second: dict[str, Any] = {}
    for j in pct:
        vmax, vmin = _lit(st[f"hi{j}"]), _lit(st[f"lo{j}"])
        s = sv[j]
        second.update({f"cmax{j}": (s == vmax).cast("int64").sum(), f"cmin{j}": (s == vmin).cast("int64").sum(),
                       f"bmax{j}": s.max(where=s < vmax), f"amin{j}": s.min(where=s > vmin)})
    st.update(_scalars(t.aggregate(**second)) if second else {})
    third = {f"csec{j}": (sv[j] == _lit(st[f"bmax{j}"])).cast("int64").sum()
             for j in pct if int(st[f"cmax{j}"]) < 2 and int(st[f"m{j}"]) >= 2}
    st.update(_scalars(t.aggregate(**third)) if third else {})
    return st, pct


def _count_below_all(t: Any, crits: list[Criterion], pct: list[int]) -> Any:
    """``t`` with, for each of the percentile criteria ``pct``, ``_b<j>`` (how many values lie
    strictly below) and ``_q<j>`` (the 0-based position in the order of the values, missing
    last): one projection of windows, two per criterion on the same order (one sort)."""
    cols: dict[str, Any] = {}
    for j in pct:
        s = t[f"_f{j}"] if crits[j].direction == "higher" else -t[f"_f{j}"]
        order = ibis.window(order_by=s.asc(nulls_first=False))
        cols.update({f"_b{j}": ibis.rank().over(order), f"_q{j}": ibis.row_number().over(order)})
    return t.mutate(**cols)


def _points_of(t: Any, crits: list[Criterion], st: dict[str, Any], pct: list[int]) -> Any:
    """``t`` with ``_p<j>`` from the figures ``st``: every criterion but the percentile ones with a
    value, then those of ``pct`` from their counts below ``_b<j>``, columns of ``t``."""
    cols: dict[str, Any] = {}
    for j, c in enumerate(crits):
        raw = t[f"_f{j}"]
        s = raw if c.direction == "higher" else -raw
        if c.normalise == "bands":  # + (raw - raw): a double, not SQL's decimal of the literal points
            cols[f"_p{j}"] = ibis.ifelse(raw.notnull(), _bands(raw, c) + (raw - raw), 0.0)
        elif c.normalise == "minmax":
            lo, hi = st[f"lo{j}"], st[f"hi{j}"]
            if lo is None:
                cols[f"_p{j}"] = _zero(raw)
            else:
                p = _zero(raw) + 0.5 if hi == lo else (s - _lit(lo)) / (_lit(hi) - _lit(lo))
                cols[f"_p{j}"] = ibis.ifelse(raw.notnull(), p, 0.0)
        elif c.normalise == "zscore":
            mean, sd = st[f"mean{j}"], st[f"sd{j}"]
            if mean is None:
                cols[f"_p{j}"] = _zero(raw)
            elif sd == 0:
                cols[f"_p{j}"] = ibis.ifelse(raw.notnull(), 0.5, 0.0) + _zero(raw)
            else:
                clipped = ibis.greatest(ibis.least(((s - _lit(mean)) / _lit(sd) + 3.0) / 6.0, 1.0), 0.0)
                cols[f"_p{j}"] = ibis.ifelse(raw.notnull(), clipped, 0.0)
        elif j in pct:
            below_top = int(st[f"m{j}"]) - int(st[f"cmax{j}"] or 0)
            p = _zero(t[f"_b{j}"]) + 0.5 if below_top == 0 else t[f"_b{j}"].cast("float64") / float(below_top)
            cols[f"_p{j}"] = ibis.ifelse(raw.notnull(), p, 0.0)
        elif c.normalise == "percentile" and not (f"m{j}" in st and int(st[f"m{j}"] or 0) > 0):
            # no value at all: every customer missing, 0 points
            cols[f"_p{j}"] = _zero(raw)
            cols[f"_b{j}"] = ibis.literal(0, type="int64")
    return t.mutate(**cols)


def _points_figures(t: Any, crits: list[Criterion], st: dict[str, Any], pct: list[int],
                    by_pos: dict[int, Any]) -> Any:
    """On Spark: ``t`` with ``_p<j>``, the 0–1 points of every criterion from its filled values
    ``_f<j>`` (as :func:`normalise`), from the figures ``st`` of :func:`_base_figures`, and for the
    percentile criteria ``pct`` ``_b<j>``, how many values lie strictly below (kept for the cheapest
    criterion): the first position of the value in a range-partitioned sort
    (:func:`~xuanba.standard.engine_spark.sorted_index`), not a window in one task; the sorted
    values by position are left in ``by_pos[j]`` (``_v<j>``, ``_q<j>``) for the cheapest criterion."""
    t = _points_of(t, crits, st, [])
    for j in pct:
        f = t[f"_f{j}"]
        s = f if crits[j].direction == "higher" else -f
        values = t.filter(f.notnull()).select(s.name(f"_sv{j}"))
        pos = sorted_index(values, [ibis._[f"_sv{j}"].asc()], f"_g{j}")
        by_pos[j] = pos.select(pos[f"_sv{j}"].name(f"_v{j}"), pos[f"_g{j}"].name(f"_q{j}"))
        first = pos.group_by(f"_sv{j}").aggregate(**{f"_b{j}": pos[f"_g{j}"].min()})
        t = t.left_join(first, s == first[f"_sv{j}"]).drop(f"_sv{j}")
        below_top = int(st[f"m{j}"]) - int(st[f"cmax{j}"] or 0)
        p = 0.5 if below_top == 0 else t[f"_b{j}"].cast("float64") / float(below_top)
        t = t.mutate(**{f"_p{j}": ibis.ifelse(t[f"_f{j}"].notnull(), p, 0.0)})
    return _kept(t)


def _zero(col: Any) -> Any:
    """0.0 on every row, typed a double by the engine (a bare literal in SQL is a decimal, which
    overflows once scaled)."""
    return col.isnull().cast("float64") * 0.0


def _lit(x: Any) -> Any:
    return ibis.literal(float(x), type="float64")


def _medians_spread(t: Any, columns: dict[str, str]) -> dict[str, float | None]:
    """The median of each of ``columns`` (name wanted: column) of ``t`` on Spark, NumPy's (the
    middle value, or the mean of the two middle ones; ``None`` without a value), from the count of
    values and the middle rows of a range-partitioned sort
    (:func:`~xuanba.standard.engine_spark.sorted_index`): Ibis's ``median()`` compiles on Spark to
    the exact ``percentile``, which gathers every value in one task."""
    if not columns:
        return {}
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


def _kth_rank(t: Any, cond: Any, k: int, n: int) -> int | None:
    """The rank of the ``k``-th customer (1-based, in rank order) for whom ``cond`` holds, or None
    when fewer do: counts per block of ranks (a few thousand figures), then the one block that
    holds it, sorted — no running count over the whole base."""
    if k <= 0:
        return 0
    size = max(int(n ** 0.5), 1024)
    block = ((t.rank - 1) // size).cast("int64")
    per = to_arrow(t.filter(cond).group_by(_blk=block).aggregate(_c=lambda x: x.count())).to_pylist()
    before = 0
    for row in sorted(per, key=lambda r: r["_blk"]):
        if before + int(row["_c"]) >= k:
            inside = t.filter(cond & (block == int(row["_blk"]))).select("rank").order_by("rank")
            got = to_arrow(inside.limit(1, offset=k - before - 1))
            return int(got["rank"][0].as_py())
        before += int(row["_c"])
    return None


def _kept_on_spark(t: Any) -> Any:
    """``t`` kept (:func:`_kept`) on Spark, which would otherwise compute it again for every
    query that reads it; as it is on DuckDB, whose queries read only the columns they need of a
    projection that is cheap to compute again, while a kept copy writes every column (at a
    million customers, a second or more per copy of the roster's sixty working columns)."""
    return _kept(t) if is_spark(t) else t


def _kept(t: Any) -> Any:
    """``t`` computed once and kept by the engine, its decimal columns read back as doubles: Spark
    types a column of literal numbers (``CASE … THEN 0.5 ELSE 7.0``) as a decimal, and the kept
    table's schema is Spark's (a literal's text gives the same double back)."""
    t = checkpoint(t) if is_spark(t) else t.cache()
    dec = {c: t[c].cast("float64") for c, ty in t.schema().items() if ty.is_decimal()}
    return t.mutate(**dec) if dec else t


def _fields_read(standard: Standard) -> set[str]:
    """Every column the standard reads: criteria, gates, tie-break, capacity."""
    from xuanba.standard.expressions import fields_read

    used: set[str] = set()
    for c in standard.criteria:
        used |= fields_read(c.field)
    for g in standard.gates:
        used |= fields_read(g.expr)
    used |= {name for name, _ in standard.tie_break.sort_keys()}
    used |= {standard.capacity.cost_field or "", standard.capacity.objective}
    return used


def _label_of(code: Any, names: list[str]) -> Any:
    """The text of a small integer code (null: ``""``)."""
    out: Any = ibis.literal("")
    for k, name in enumerate(names):
        out = ibis.ifelse(code == k, name, out)
    return ibis.coalesce(out, "")


def _capacity(t: Any, standard: Standard, id_column: str) -> tuple[Any, dict[str, Any]]:
    """``t`` with ``_kept`` (a customer keeps its tier under the capacity) and the method used."""
    import numpy as np

    from xuanba.errors import DataError
    from xuanba.standard import score as oracle

    cap = standard.capacity
    pre = t._tier.notnull()
    n_cand = int(to_arrow(t.aggregate(_c=pre.cast("int64").sum()))["_c"][0].as_py() or 0)
    if not cap.is_set or n_cand == 0:
        return t.mutate(_kept=pre), {"capacity_method": "none"}
    obj = t.score if cap.objective == "score" else ibis.coalesce(_as_float(t[cap.objective]), 0.0)
    if cap.budget is None:
        limit = int(cap.max_accounts or n_cand)
        if n_cand <= limit:
            return t.mutate(_kept=pre), {"capacity_method": "not binding"}
        # the limit-th candidate (by objective, then rank: ties keep rank order) is the last one
        # kept: a top-n query, not a numbering of the whole base
        last = _scalars(t.filter(pre).select(_o=obj, _k=t.rank).order_by([ibis._._o.desc(), ibis._._k])
                        .limit(1, offset=limit - 1))
        o, r = _lit(last["_o"]), int(last["_k"])
        return t.mutate(_kept=pre & ((obj > o) | ((obj == o) & (t.rank <= r)))), {"capacity_method": "top-n"}
    cost = _as_float(t[cap.cost_field])
    if is_spark(t):  # not the exact percentile's one task
        stats = _medians_spread(t.filter(pre).mutate(_cv=cost), {"_med": "_cv"})
        stats["_has"] = stats["_med"] is not None
    else:
        stats = _scalars(t.filter(pre).aggregate(_has=cost.count(), _med=cost.median()))
    if not stats["_has"]:
        raise DataError(f"capacity cost_field {cap.cost_field!r} has no values",
                        fix="Load the side tables it needs, or remove the budget from [capacity].")
    t = t.mutate(_cost=ibis.greatest(ibis.coalesce(cost, float(stats["_med"])), 0.0),
                 _obj=ibis.greatest(obj.cast("float64"), 0.0))
    limit = int(cap.max_accounts) if cap.max_accounts is not None else None
    spent = float(to_arrow(t.filter(pre).aggregate(_s=t._cost.sum()))["_s"][0].as_py() or 0.0)
    if spent <= oracle.budget_limit(float(cap.budget)) and (limit is None or n_cand <= limit):
        return t.mutate(_kept=pre).drop("_cost", "_obj"), {"capacity_method": "not binding"}
    if n_cand <= oracle.EXACT_KNAPSACK_MAX:  # the candidates come to the driver: the exact knapsack
        cand = to_arrow(t.filter(pre).order_by("rank").select(id_column, "_obj", "_cost"))
        chosen, method = oracle.knapsack(cand["_obj"].to_numpy(), cand["_cost"].to_numpy(), float(cap.budget), limit)
        ids = cand[id_column].take(np.asarray(chosen, dtype=np.int64))
    else:
        ids, method = _greedy(t.filter(pre), id_column, oracle.budget_limit(float(cap.budget)), limit), "greedy"
    return _keep_ids(t, ids, id_column).drop("_cost", "_obj"), {"capacity_method": method}


def _as_float(col: Any) -> Any:
    """A column as float64 (text that does not read as a number: missing; NaN: missing)."""
    out = col.cast("float64") if not col.type().is_string() else col.try_cast("float64")
    return ibis.ifelse(out.isnan(), ibis.null("float64"), out)


def _keep_ids(t: Any, ids: Any, id_column: str) -> Any:
    import pyarrow as pa

    small = ibis.memtable(pa.table({"_kid": pa.array(ids, type=pa.string())}))
    joined = t.left_join(small, t[id_column] == small._kid)
    return joined.mutate(_kept=joined._kid.notnull()).drop("_kid")


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


def _gaps_expression(t: Any, standard: Standard, n: int, counts: list[int], lowest: list[Any],
                     *, capacity_binds: bool) -> Any:
    """``next_tier`` and ``gap_to_next`` as :func:`xuanba.standard.score._gaps` gives them, from the
    per-tier counts and lowest scores (the bars are literals)."""
    tiers = standard.tiers
    if not tiers:
        return t.mutate(next_tier=ibis.literal(""), gap_to_next=ibis.null("float64"))
    bars = []
    for k, tier in enumerate(tiers):
        bar = tier.min_score if tier.min_score is not None else 0.0
        quota = tier.quota_count(n)
        full = quota is not None and counts[k] >= quota
        if (full or capacity_binds) and counts[k]:
            bar = max(bar, float(lowest[k]))
        bars.append(bar)
    filled, last = [], -1
    for k in range(len(tiers)):
        if counts[k]:
            last = k
        filled.append(last if last >= 0 else k)
    target: Any = ibis.ifelse(t._tier.notnull(), t._tier - 1, len(tiers) - 1)
    mapped: Any = ibis.literal(-1)
    for k in range(len(tiers)):
        mapped = ibis.ifelse(target == k, filled[k], mapped)
    t = t.mutate(_target=mapped)
    bar: Any = ibis.literal(0.0)
    for k in range(len(tiers)):
        bar = ibis.ifelse(t._target == k, float(bars[k]), bar)
    t = t.mutate(_short=ibis.greatest(bar - t.score, 0.0).cast("float64"))  # a column: rounding names it 7 times
    top = t._target < 0
    gap = ibis.ifelse(top, ibis.null("float64"), round_half_even(t._short, 6))
    return t.mutate(next_tier=_label_of(ibis.ifelse(top, ibis.null("int64"), t._target), [x.name for x in tiers]),
                    gap_to_next=gap)


def _quadrants_expression(t: Any, standard: Standard) -> Any:
    def sub(group: str) -> Any:
        cs = [(j, c) for j, c in enumerate(standard.criteria) if c.group == group]
        if not cs:
            return None
        total_w = sum(c.weight for _, c in cs)
        out: Any = None
        for j, c in cs:
            term = 100.0 * c.weight / total_w * t[f"_p{j}"]
            out = term if out is None else out + term
        return out.cast("float64")

    value, pot = sub("value"), sub("potential")
    q = standard.quadrants
    if value is not None and pot is not None:  # the sums as columns first: rounding names each 7 times
        t = t.mutate(_vs=value, _ps=pot)
        value, pot = round_half_even(t._vs, 6), round_half_even(t._ps, 6)
        t = t.mutate(value_score=value, potential_score=pot)
    else:
        value = round_half_even(value, 6) if value is not None else None
        pot = round_half_even(pot, 6) if pot is not None else None
    if value is None or pot is None:
        return t.mutate(value_score=value if value is not None else ibis.null("float64"),
                        potential_score=pot if pot is not None else ibis.null("float64"), quadrant=ibis.literal(""))
    hv, hp = t.value_score >= q.value_threshold, t.potential_score >= q.potential_threshold
    names = [q.names[k] for k in ("high_value_high_potential", "high_value_low_potential",
                                  "low_value_high_potential", "low_value_low_potential")]
    return t.mutate(quadrant=ibis.ifelse(hv & hp, names[0], ibis.ifelse(hv, names[1], ibis.ifelse(hp, names[2], names[3]))))


def _costs(t: Any, standard: Standard, targets: dict[int, Any], spreads: dict[int, float]) -> Any:
    """``t`` with, per criterion ``j``, ``_cd<j>`` (the raw change that alone closes the gap to the
    next tier) and ``_cc<j>`` (its cost in spreads of the criterion; +inf when it cannot close it),
    as :func:`xuanba.standard.score._cheapest` weighs them; one projection, then materialised."""
    inf = float("inf")
    crits = standard.criteria
    if not crits:
        return t
    pct = [j for j, c in enumerate(crits) if f"_v{j}" in t.columns]
    if pct and is_spark(t):  # the exponents first, as columns: each next double above is then a small expression
        t = t.mutate(**{f"_ev{j}": _exponent(t[f"_v{j}"]) for j in pct},
                     **{f"_et{j}": _exponent(t[f"_top{j}"]) for j in pct})
    t = t.mutate(**{f"_tg{j}": targets[j](t, ibis.least(t[f"_need{j}"], 1.0)) for j in range(len(crits))})
    t = t.mutate(**{f"_cd{j}": t[f"_tg{j}"] - t[f"_r{j}"] for j in range(len(crits))})
    cols: dict[str, Any] = {}
    for j in range(len(crits)):
        need = t[f"_need{j}"]
        cost = t[f"_cd{j}"].abs() / spreads[j]
        feasible = (t.gap_to_next > 0) & (need <= 1.0 + 1e-9) & t[f"_r{j}"].notnull() & cost.notnull() & ~cost.isnan()
        cols[f"_cc{j}"] = ibis.ifelse(ibis.coalesce(feasible, False), cost, inf)
    return _kept_on_spark(t.mutate(**cols))


def _cheapest_expression(t: Any, standard: Standard, wanted: Sequence[tuple[bool, str, str]]) -> Any:
    """``t`` with, for every customer below the next tier's bar, the criterion whose change alone
    closes the gap most cheaply (the first in the standard's order on a tie) and that change, for
    each ``(public_only, name, change)`` of ``wanted`` (``public_only``: among the public criteria
    that read no prediction), from the costs of :func:`_costs`: the least of the cost columns, then
    the first that equals it. Two projections for all of them: each layer is more for Ibis to compile."""
    inf = float("inf")
    least: dict[str, Any] = {}
    out: dict[str, Any] = {}
    among: dict[str, list[tuple[int, Criterion]]] = {}
    for k, (public_only, name, change) in enumerate(wanted):
        chosen = [(j, c) for j, c in enumerate(standard.criteria) if not (public_only and (c.private or c.predicted))]
        if not chosen:
            out.update({name: ibis.literal(""), change: ibis.null("float64")})
            continue
        best: Any = t[f"_cc{chosen[0][0]}"]
        for j, _ in chosen[1:]:
            best = ibis.least(best, t[f"_cc{j}"])
        least[f"_best{k}"], among[f"_best{k}"] = best, chosen
    t = t.mutate(**least)
    for k, (_, name, change) in enumerate(wanted):
        if f"_best{k}" not in least:
            continue
        label: Any = ibis.literal("")
        moved: Any = ibis.null("float64")
        for j, c in reversed(among[f"_best{k}"]):  # the first criterion at the least cost wins
            hit = (t[f"_best{k}"] < inf) & (t[f"_cc{j}"] == t[f"_best{k}"])
            label = ibis.ifelse(hit, c.name, label)
            moved = ibis.ifelse(hit, t[f"_cd{j}"], moved)
        out.update({name: label, change: moved})
    return t.mutate(**out)


def _inverses(t: Any, standard: Standard, st: dict[str, Any], by_pos: dict[int, Any]
              ) -> tuple[Any, dict[int, Any], dict[int, float]]:
    """What the cheapest criterion needs of each criterion: (``t`` with the percentile criteria's
    order statistics joined, ``{j: target(t, need)}``, ``{j: spread}``) — the inverse of each
    normalisation as :mod:`xuanba.standard.score` computes it, the other customers' values staying
    as they are — from the figures of the base ``st`` (:func:`_base_figures`) and, for each
    percentile criterion ``j`` with a value, ``by_pos[j]``: its values in order (``_v<j>``, signed
    so that higher is better) by 0-based position (``_q<j>``)."""
    crits = standard.criteria
    nan = ibis.null("float64")
    shares = standard.weight_shares
    t = t.mutate(**{f"_need{j}": t[f"_p{j}"] + t.gap_to_next / (100.0 * shares[c.name]) + 1e-9
                    for j, c in enumerate(crits)})
    pct = [j for j, c in enumerate(crits) if c.normalise == "percentile" and (st[f"m{j}"] or 0) > 0]
    native = not is_spark(t)  # DuckDB: its own next double above
    spreads: dict[int, float] = {}
    targets: dict[int, Any] = {}
    positions: dict[str, Any] = {}
    for j, c in enumerate(crits):
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
            targets[j] = (lambda t, need: nan) if hi == lo else (
                lambda t, need, lo=lo, hi=hi, sign=sign: sign * (lo + _clip01(need) * (hi - lo)))
        elif c.normalise == "zscore":
            mean = float(st[f"mean{j}"])
            targets[j] = (lambda t, need: nan) if sd_raw == 0 else (  # the spread of -x is that of x
                lambda t, need, mean=mean, sd=sd_raw, sign=sign: sign * (mean + sd * (_clip01(need) * 6.0 - 3.0)))
        else:
            f = t[f"_f{j}"]
            positions[f"_pos{j}"] = ibis.ifelse(f.notnull(), t[f"_b{j}"], m)
            targets[j] = _percentile_target(j, sign, native=native)
    if positions:
        t = t.mutate(**positions)
        pieces: dict[str, Any] = {}
        for j in pct:
            sign = 1.0 if crits[j].direction == "higher" else -1.0
            m = int(st[f"m{j}"])
            parts = _pct_parts(t, j, m, sign, st, ibis.least(t[f"_need{j}"], 1.0))
            jk = parts["k"] - 1  # the k-th smallest of the others: skip the customer's own place
            idx = ibis.ifelse(jk < parts["pos"], jk, jk + 1)
            pieces.update({f"_idx{j}": ibis.greatest(ibis.least(idx, m - 1), 0), f"_k{j}": parts["k"],
                           f"_top{j}": parts["top"], f"_mo{j}": parts["mo"], f"_att{j}": parts["at_top"],
                           f"_kz{j}": parts["kth0"]})
        t = _kept_on_spark(t.mutate(**pieces))
        for j in pct:  # the k-th value of the others, by its position
            t = t.left_join(by_pos[j], t[f"_idx{j}"] == by_pos[j][f"_q{j}"])
    return t, targets, spreads


def _clip01(x: Any) -> Any:
    return ibis.greatest(ibis.least(x, 1.0), 0.0)


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


def _pct_parts(t: Any, j: int, m: int, sign: float, st: dict[str, Any], need: Any) -> dict[str, Any]:
    """The pieces of :func:`xuanba.standard.score._percentile_needed` for criterion ``j``."""
    f = t[f"_f{j}"]
    s = f if sign > 0 else -f
    has = f.notnull()
    pos = t[f"_pos{j}"]
    vmax, vmin = float(st[f"hi{j}"]), float(st[f"lo{j}"])
    cmax, cmin = int(st[f"cmax{j}"]), int(st[f"cmin{j}"])
    v_second = vmax if cmax >= 2 or m < 2 else float(st[f"bmax{j}"])   # sorted[m - 2]
    v_one = vmin if cmin >= 2 or m < 2 else float(st[f"amin{j}"])      # sorted[1]
    c_second = cmax if v_second == vmax else int(st.get(f"csec{j}", 1))
    mo = m - has.cast("int64")
    top = ibis.ifelse(has & (pos > m - 2), v_second, vmax)
    at_top = ibis.ifelse(top == vmax, cmax, c_second) - (has & (s == top)).cast("int64")
    below_top = mo + 1 - at_top
    k = ibis.greatest((_clip01(need) * below_top.cast("float64") - 1e-9).ceil().cast("int64"), 1)
    kth0 = ibis.ifelse(pos > 0, vmin, v_one)
    return {"has": has, "pos": pos, "mo": mo, "top": top, "at_top": at_top, "k": k, "kth0": kth0}


def _percentile_target(j: int, sign: float, *, native: bool) -> Any:
    """The raw value that earns ``need`` under the percentile rule, from the pieces :func:`_inverses`
    put in columns (``_k``, ``_top``, ``_mo``, ``_att``, ``_kz``) and the k-th value joined (``_v``)."""
    def target(t: Any, need: Any) -> Any:
        def up(x: Any, e: str) -> Any:  # on Spark, from the exponent column e
            return _next_above(x, None if native else t[e], native=native)

        top = t[f"_top{j}"]
        reach_top = ibis.ifelse((t[f"_kz{j}"] == top) & (need > 0.5 + 1e-12), up(top, f"_et{j}"), top)
        y = ibis.ifelse(t[f"_k{j}"] <= t[f"_mo{j}"] - t[f"_att{j}"], up(t[f"_v{j}"], f"_ev{j}"), reach_top)
        return ibis.ifelse(t[f"_mo{j}"] >= 1, sign * y, ibis.null("float64"))

    return target


ROSTER_TEXT = ("customer_id", "tier", "quadrant", "gates_failed", "next_tier", "cheapest_criterion",
               "cheapest_public_criterion")


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
                    id_column: str = "customer_id") -> Any:
    """:func:`xuanba.standard.score.score_customers` computed by the engine: ``fields`` is an Ibis
    table (any backend) or a pandas/Arrow table (run in an in-memory DuckDB). Returns the same
    :class:`~xuanba.standard.score.Scored`: the roster sorted by rank with the same columns and
    types, the long contributions, ``info`` and ``matrix``.

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

    table = fields
    if not hasattr(fields, "op"):  # not an Ibis expression: a frame, run in memory
        used = _fields_read(standard) | {id_column}
        cols = [c for c in fields.column_names if c in used] if isinstance(fields, pa.Table) else [
            c for c in fields.columns if c in used]
        arrow = fields.select(cols) if isinstance(fields, pa.Table) else pa.Table.from_pandas(
            fields[cols], preserve_index=False)  # only what the standard reads goes to the engine
        for i, f in enumerate(arrow.schema):  # a column with no value at all: text with nothing in it
            if pa.types.is_null(f.type):
                arrow = arrow.set_column(i, f.name, arrow.column(i).cast(pa.string()))
        table = ibis.duckdb.connect().create_table("fields", arrow)  # type: ignore[attr-defined]
    with kept_for_call():  # Spark's kept tables: this call's own, dropped even when scoring fails
        expr, info = roster_expression(table, standard, id_column=id_column)
        out = to_arrow(expr.order_by("rank"))  # in rank order from the engine: no permutation of every column here
    crits = standard.criteria
    roster = roster_frame(out, ROSTER_COLUMNS, id_column=id_column)
    roster["value_score"] = roster["value_score"].astype("float64")
    for c in crits:
        roster[c.name] = out[c.name].cast(pa.float64()).to_numpy(zero_copy_only=False)
    shares = standard.weight_shares
    n, k = len(roster), len(crits)
    weights = np.array([shares[c.name] for c in crits], dtype=float)
    points = np.empty((n, k), order="F")  # a column per criterion, as score_customers holds them
    raw = np.empty((n, k), order="F")
    for j, c in enumerate(crits):
        points[:, j] = out[f"_pts_{c.name}"].cast(pa.float64()).to_numpy(zero_copy_only=False)
        raw[:, j] = roster[c.name].to_numpy()
    matrix = np.empty((n, k))
    for j in range(k):
        matrix[:, j] = 100.0 * weights[j] * points[:, j]
    long: Any
    if contributions:  # the long table is made when first read, as score_customers's
        long = Parts(roster["customer_id"], [c.name for c in crits], weights, raw, points, matrix)
    else:
        long = pd.DataFrame({c: pd.Series(dtype="str" if c in ("customer_id", "criterion") else "float64")
                             for c in CONTRIBUTION_COLUMNS})
    return Scored(roster, long, info, matrix)
