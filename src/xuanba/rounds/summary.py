"""A round's headline figures, computed once when the round runs and stored with it.

The report's cards and tier table, ``xuanba round --json``, ``xuanba demo`` and the exports show
these stored numbers, so they cannot disagree. The money value of a customer is, in this order
of preference, profit after cost-to-serve over the last 365 days (``profit_365d``, when the
workspace holds interactions), margin (``margin_365d``, when the data have costs), or revenue
(``revenue_365d``).

Example
-------
>>> import pandas as pd
>>> roster = pd.DataFrame({"customer_id": ["a", "b", "c"], "tier": ["A", "", ""],
...                        "selected": [True, False, False], "quadrant": ["", "", ""]})
>>> fields = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue_365d": [60.0, 30.0, 10.0]})
>>> s = round_summary(roster, fields, tiers=["A"])
>>> s["measure"], s["value_share"], s["tier_counts"]
('revenue_365d', 0.6, {'A': 1, '': 2})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Per-customer money values, most telling first.
VALUE_FIELDS = ("profit_365d", "margin_365d", "revenue_365d")


def tier_order(standard: Any, roster: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Tier keys from the highest down (``""``, not selected, last) and their labels."""
    tiers = list(getattr(standard, "tiers", None) or [])
    scores = [getattr(x, "min_score", None) for x in tiers]
    if tiers and all(s is not None for s in scores):
        tiers = [x for _, x in sorted(zip(scores, tiers, strict=True), key=lambda p: -float(p[0]))]
    order = [str(x.name) for x in tiers]
    labels = {str(x.name): str(getattr(x, "label", None) or x.name) for x in tiers}
    for extra in sorted(set(roster["tier"].fillna("").astype(str).unique()) - set(order) - {""}):
        order.append(extra)
        labels[extra] = extra
    return order + [""], labels


#: Bins of the score distribution (0–100), as the report draws it and an engine round stores it.
SCORE_BINS = 50


def score_bins(scores: Any) -> list[int]:
    """Customers per score bin of width ``100 / SCORE_BINS`` (the last bin holds 100; a score
    outside 0–100 counts in the nearest bin; a missing one in none).

    Example
    -------
    >>> score_bins([0.0, 1.99, 2.0, 100.0, 250.0, float("nan")])[:2], score_bins([100.0])[-1]
    ([2, 1], 1)
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    counts, _ = np.histogram(np.clip(s, 0, 100), bins=np.linspace(0, 100, SCORE_BINS + 1))
    return [int(c) for c in counts]


def value_measure(fields: pd.DataFrame | None) -> str | None:
    """The first of :data:`VALUE_FIELDS` the fields hold with any value, else ``None``."""
    if fields is None:
        return None
    for col in VALUE_FIELDS:
        if col in fields.columns and fields[col].notna().any():
            return col
    return None


def customer_values(roster: pd.DataFrame, fields: pd.DataFrame | None,
                    measure: str | None = None, positions: np.ndarray | None = None) -> pd.Series | None:
    """Each roster row's money value (0 where unknown), aligned with the roster. ``positions``:
    the row of ``fields`` of each roster row, when the caller knows them (a round just scored),
    instead of looking the ids up.

    Example
    -------
    >>> r = pd.DataFrame({"customer_id": ["b", "a"]})
    >>> f = pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": [1.0, None]})
    >>> customer_values(r, f).tolist(), customer_values(r, f, positions=np.array([1, 0])).tolist()
    ([0.0, 1.0], [0.0, 1.0])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    measure = measure or value_measure(fields)
    if fields is None or measure is None:
        return None
    vals = pd.to_numeric(fields[measure], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if positions is not None:
        return pd.Series(np.nan_to_num(vals[positions]), index=roster.index, name=measure)
    # one hash lookup in Arrow (a pandas lookup of a million text ids is ten times slower)
    pos = pc.index_in(pa.array(roster["customer_id"].astype(str), type=pa.string()),
                      value_set=pa.array(fields["customer_id"].astype(str), type=pa.string()))
    pos = pos.to_numpy(zero_copy_only=False)
    found = ~np.isnan(pos.astype(float))
    v = np.zeros(len(roster))
    v[found] = vals[pos[found].astype(np.int64)]
    return pd.Series(np.nan_to_num(v), index=roster.index, name=measure)


def whale_profits(fields: pd.DataFrame | None, measure: str | None) -> np.ndarray | None:
    """The profits the whale curve is drawn from: those of the round's customers active in the
    365 days to the cutoff (revenue, or cost-to-serve, in the window), as the account analyses
    count customers; ``None`` unless the measure is profit or margin."""
    if fields is None or measure not in ("profit_365d", "margin_365d"):
        return None
    active = np.zeros(len(fields), dtype=bool)
    for col in ("revenue_365d", "cost_to_serve_365d"):
        if col in fields.columns:
            active |= pd.to_numeric(fields[col], errors="coerce").fillna(0.0).to_numpy() != 0
    values = pd.to_numeric(fields[measure], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return values[active]


def whole_unit(largest_sum: float) -> float:
    """The units per currency unit in which a sum whose parts add up to at most ``largest_sum``
    in absolute value is counted exactly in 64-bit integers: millionths (the fields' precision),
    or a coarser power of ten when millionths would pass 2**62 (Spark sums 64-bit integers in 64
    bits: 9.2e12 of a small-unit currency, VND or IDR, overflowed it), tens and coarser past
    4.6e18 (whole currency units there wrapped around: a total of -9e18 and no whale peak).

    Money sums a round shows are counted so (:func:`round_summary`, and an engine round's in
    the engine): the same in any order the adding is done in, so a workspace round and an
    engine round of the same customers give the same figures to the last digit.

    Example
    -------
    >>> whole_unit(1e9), whole_unit(1.3e13), whole_unit(4e18), whole_unit(1e19)
    (1000000.0, 100000.0, 1.0, 0.1)
    """
    unit = 1e6
    while largest_sum * unit >= 2.0**62 and unit > 1e-9:  # (no money counts to 4.6e27: an inf stops here)
        unit /= 10
    return unit


def _groups(labels: pd.Series, coded: tuple[np.ndarray, Sequence[str]] | None = None) -> tuple[np.ndarray, list[str]]:
    """Each row's group (a code) and the groups' names, of a text column without missing values;
    ``coded``: the column as its codes and labels (its values ``labels[codes]``), read instead of
    its texts (a label named twice is one group)."""
    if coded is not None:
        codes, named = coded
        group, uniques = pd.factorize(pd.Series(list(named), dtype=object))
        return group[np.asarray(codes)], [str(u) for u in uniques]
    codes, uniques = pd.factorize(labels)
    return codes, [str(u) for u in uniques]


def _sums(codes: np.ndarray, names: Sequence[str], units: np.ndarray, keys: Sequence[str],
          unit: float) -> dict[str, float]:
    """The sum of ``units`` (whole units of ``1 / unit``) in each group named in ``keys`` (0 for
    a key with no rows), in integers, then in currency: one masked sum per group (a round has a
    few tiers and quadrants; pandas' group-by cost ten times more at 1 M customers)."""
    found = {name: int(units[codes == i].sum()) / unit for i, name in enumerate(names)}
    return {str(k): float(found.get(str(k), 0.0)) for k in keys}


def round_summary(roster: pd.DataFrame, fields: pd.DataFrame | None,
                  tiers: Sequence[str] = (), positions: np.ndarray | None = None,
                  coded: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None) -> dict[str, Any]:
    """The headline figures of a roster: counts by tier and quadrant, and (when the fields give a
    money value) the value of each, the selection's share of it, how many of the most valuable
    it covers, its lift over the average, and the peak of the whale curve (over the customers
    active in the window, :func:`whale_profits`).

    ``tiers`` lists the tier keys from the highest down; other tiers follow, ``""`` last.
    ``positions``: see :func:`customer_values`. ``coded``: the roster's ``tier`` and ``quadrant``
    as codes and labels (an engine's roster, :attr:`~xuanba.standard.score.Scored.coded`),
    counted by code rather than by text: the same figures.
    """
    coded = coded or {}
    tier, names = (_groups(roster["tier"], coded["tier"]) if "tier" in coded
                   else _groups(roster["tier"].fillna("").astype(str)))
    counts = dict(zip(names, np.bincount(tier, minlength=len(names)).tolist(), strict=True))
    order = [*tiers, *sorted({k for k, c in counts.items() if c} - set(tiers) - {""}), ""]
    selected = roster["selected"].astype(bool).to_numpy()
    n, n_sel = len(roster), int(selected.sum())
    if "quadrant" not in roster:
        quad, quads = np.zeros(n, dtype=np.intp), [""]
    else:
        quad, quads = (_groups(roster["quadrant"], coded["quadrant"]) if "quadrant" in coded
                       else _groups(roster["quadrant"].fillna("").astype(str)))
    qcounts = {k: c for k, c in sorted(zip(quads, np.bincount(quad, minlength=len(quads)).tolist(), strict=True))
               if k != "" and c}
    out: dict[str, Any] = {
        "customers": n, "selected": n_sel,
        "tier_counts": {k: int(counts.get(k, 0)) for k in order},
        "quadrant_counts": qcounts,
        "measure": None,
    }
    measure = value_measure(fields)
    value = customer_values(roster, fields, measure, positions)
    if value is None:
        return out
    v = value.to_numpy()
    unit = whole_unit(float(np.abs(v).sum()))
    units = np.round(v * unit).astype(np.int64)  # exact sums, in any order (whole_unit)
    total = int(units.sum()) / unit
    sel_value = int(units[selected].sum()) / unit
    out.update({
        "measure": measure,
        "value_total": total,
        "value_selected": sel_value,
        "value_share": sel_value / total if total else None,
        "tier_values": _sums(tier, names, units, order, unit),
        "quadrant_values": _sums(quad, quads, units, list(qcounts), unit),
    })
    if n_sel:
        from xuanba.models.evaluate import top_positions

        out["coverage"] = float(selected[top_positions(v, n_sel)].sum()) / n_sel
        mean_all = total / n
        out["lift"] = (sel_value / n_sel) / mean_all if mean_all > 0 else None
    profits = whale_profits(fields, measure)
    if profits is not None and len(profits) and profits.sum() > 0:
        peak = whale_peak_units(profits)
        if peak is not None:
            out["whale"] = {"measure": measure, **peak}
    return out


def whale_peak_units(profits: np.ndarray) -> dict[str, Any] | None:
    """The peak of the whale curve of ``profits`` (:func:`xuanba.accounts.profit.whale_peak` of
    :func:`~xuanba.accounts.profit.whale_shape`) with the running sum in whole units
    (:func:`whole_unit`): the first customer, most profitable first, at which the exact running
    sum is highest, and its share of the exact total (``None``: a total of 0 or less). An engine
    round finds the same customer and the same share in any order it adds in
    (:func:`peak_share`); a float running sum against a float total put customers of no profit
    after the peak 1e-14 above or below 100 %, so the peak was the last customer on one and the
    last with a profit on the other. (Two running sums a unit apart read as one double only beyond
    2**53 units, a total of 9e9 in millionths.)

    Example
    -------
    >>> whale_peak_units(np.array([-5.0, 10.0, 5.0, 0.0]))
    {'customers': 2, 'of': 4, 'customer_pct': 50.0, 'profit_pct': 150.0}
    """
    v = np.sort(np.asarray(profits, dtype=float))[::-1]
    unit = whole_unit(float(np.abs(v).sum()))
    cum = np.cumsum(np.round(v * unit).astype(np.int64))
    if not len(v) or cum[-1] <= 0:
        return None
    k = int(cum.argmax())  # the first of the highest
    return {"customers": k + 1, "of": len(v), "customer_pct": 100.0 * (k + 1) / len(v),
            "profit_pct": peak_share(int(cum[k]), int(cum[-1]))}


def peak_share(cum_units: int, total_units: int) -> float:
    """``cum_units`` as a percentage of ``total_units`` (whole units, Python integers: their ratio
    correctly rounded at any size), 100 exactly when they are equal.

    Example
    -------
    >>> peak_share(98_765_432_109, 98_765_432_109), peak_share(15_000_000, 10_000_000)
    (100.0, 150.0)
    """
    return 100.0 * (cum_units / total_units)
