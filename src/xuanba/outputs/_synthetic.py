"""A made-up round with the shape of :class:`xuanba.rounds.Round` (and a real standard, read from
TOML, with one private criterion), for the report bench and tests.

The numbers are random (fixed seed): they exercise the layout, never stand for real customers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from xuanba.standard.schema import Standard, load_standard

_STANDARD = """
[standard]
name = "key accounts"
version = "1"

[[criteria]]
name = "value"
field = "margin_365d"
label = "Margin, last 365 days"
description = "profit earned"
weight = 0.5

[[criteria]]
name = "potential"
field = "clv_3y"
label = "Predicted value, next 3 years"
description = "model CLV"
weight = 0.3

[[criteria]]
name = "credit"
field = "internal_credit"
label = "Internal credit rating"
weight = 0.2
private = true

[[gates]]
name = "positive_margin"
expr = "margin_365d > 0"
label = "Margin over the last 365 days is positive"

[[tiers]]
name = "gold"
label = "Gold"
min_score = 70

[[tiers]]
name = "silver"
label = "Silver"
min_score = 50
"""


def _standard(capacity: int | None) -> Standard:
    text = _STANDARD + (f"\n[capacity]\nmax_accounts = {int(capacity)}\n" if capacity is not None else "")
    return load_standard(text, extra_fields=("internal_credit",))


@dataclasses.dataclass
class SyntheticRound:
    """Duck-types ``xuanba.rounds.Round``: ``round_id``, ``meta``, ``standard``, ``roster``,
    ``contributions``, ``fields`` (revenue and margin of each customer), ``tables`` (none) and
    ``missing`` (nothing: its headline figures are computed from the fields when rendered)."""

    round_id: str
    meta: dict[str, Any]
    standard: Standard
    roster: pd.DataFrame
    contributions: pd.DataFrame
    fields: pd.DataFrame
    tables: dict[str, Any] = dataclasses.field(default_factory=dict)
    missing: list[str] = dataclasses.field(default_factory=list)


def synthetic_round(
    n_customers: int = 1_000,
    *,
    seed: int = 0,
    round_id: str = "r1",
    currency: str = "CNY",
    cutoff: str = "2026-06-30",
    capacity: int | None = None,
    people: bool = False,
) -> SyntheticRound:
    """A random round of ``n_customers`` with two public criteria and one private one; with
    ``people`` its fields also give each customer a name and an owner.

    Example
    -------
    >>> r = synthetic_round(50, seed=1)
    >>> len(r.roster), sorted(r.roster["tier"].unique())
    (50, ['', 'gold', 'silver'])
    """
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    ids = np.array([f"C{i:07d}" for i in range(1, n + 1)], dtype=object)
    revenue = np.round(rng.lognormal(8.0, 1.2, n), 2)
    margin = np.round(revenue * rng.uniform(-0.15, 0.45, n), 2)
    clv = np.round(rng.lognormal(7.5, 1.0, n), 2)
    punctual = np.round(rng.uniform(0, 1, n), 3)
    standard = _standard(capacity)
    crit = standard.criteria
    raws = {"value": margin, "potential": clv, "credit": punctual}
    normalised = {k: pd.Series(v).rank(pct=True).to_numpy() for k, v in raws.items()}
    contrib = {c.name: 100.0 * c.weight * normalised[c.name] for c in crit}
    score = np.round(sum(contrib.values()), 4)
    gate_fail = margin < 0
    order = np.lexsort((ids, -score))
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(1, n + 1)
    tier = np.where(score >= 70, "gold", np.where(score >= 50, "silver", ""))
    tier = np.where(gate_fail, "", tier).astype(object)
    left_out = np.zeros(n, dtype=bool)
    if capacity is not None:
        chosen = (tier != "") & (rank > 0)
        over = chosen & (pd.Series(np.where(chosen, rank, n + 1)).rank(method="first").to_numpy() > capacity)
        left_out = over
        tier = np.where(over, "", tier).astype(object)
    value_score = np.round(100 * normalised["value"], 2)
    potential_score = np.round(100 * normalised["potential"], 2)
    quadrant = np.where(
        value_score >= 50,
        np.where(potential_score >= 50, "star", "cash cow"),
        np.where(potential_score >= 50, "rising", "maintain"),
    ).astype(object)
    next_tier = np.where(tier == "gold", "", np.where(tier == "silver", "gold", "silver")).astype(object)
    target = np.where(next_tier == "gold", 70.0, 50.0)
    gap = np.where(next_tier == "", 0.0, np.maximum(target - score, 0.0))
    roster = pd.DataFrame(
        {
            "customer_id": ids,
            "rank": rank,
            "score": score,
            "tier": tier,
            "selected": tier != "",
            "quadrant": quadrant,
            "value_score": value_score,
            "potential_score": potential_score,
            "gates_failed": np.where(gate_fail, "positive_margin", "").astype(object),
            "next_tier": next_tier,
            "gap_to_next": np.round(gap, 4),
            "cheapest_criterion": np.where(next_tier == "", "", "potential").astype(object),
            "cheapest_change": np.round(gap / 100 / 0.3 * clv.std(), 2),
            "left_out_by_capacity": left_out,
            # what a customer may be told: the public criterion that reads no prediction
            "cheapest_public_criterion": np.where(next_tier == "", "", "value").astype(object),
            "cheapest_public_change": np.round(gap / 100 / 0.5 * margin.std(), 2),
            "value": margin,
            "potential": clv,
            "credit": punctual,
        }
    ).sort_values("rank", kind="stable", ignore_index=True)
    contributions = pd.DataFrame(
        {
            "customer_id": np.repeat(ids, len(crit)),
            "criterion": np.tile([c.name for c in crit], n),
            "raw": np.column_stack([raws[c.name] for c in crit]).ravel(),
            "normalised": np.column_stack([normalised[c.name] for c in crit]).ravel(),
            "weight": np.tile([c.weight for c in crit], n),
            "contribution": np.column_stack([contrib[c.name] for c in crit]).ravel(),
        }
    )
    meta = {
        "cutoff": cutoff,
        "created_at": "2026-07-01T09:00:00",
        "standard_name": standard.name,
        "standard_version": standard.version,
        "standard_sha256": "0" * 64,
        "data_sha256": "1" * 64,
        "n_customers": n,
        "n_selected": int((tier != "").sum()),
        "time_unit": "week",
        "currency": currency,
    }
    fields = pd.DataFrame({"customer_id": ids, "revenue_365d": revenue, "margin_365d": margin})
    if people:  # a name and an owner (one of 40 reps) per customer, as a customers table gives them
        fields["name"] = pd.Series(ids).str.replace("C", "客户 ", regex=False).str.cat(
            pd.Series(np.arange(1, n + 1).astype(str)), sep=" Customer ").to_numpy()
        fields["owner"] = np.array([f"Rep {i:02d}" for i in range(40)], dtype=object)[rng.integers(0, 40, n)]
    return SyntheticRound(round_id, meta, standard, roster, contributions, fields)
