"""A round's headline figures (rounds/summary.py) against a pandas oracle: the counts and money
sums by tier and quadrant as pandas' value_counts and group-by give them, on rosters with ties,
missing and empty labels, tiers the standard does not name, missing values and no quadrants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.rounds.summary import round_summary, whole_unit


def _roster(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"客{i:04d}" for i in range(n)]
    tier = pd.Series(rng.choice(["A", "B", "", "高", "zz other"], n), dtype="str")
    tier[rng.uniform(size=n) < 0.1] = None
    quad = pd.Series(rng.choice(["stars", "", "Ärger", "cash cows"], n), dtype="str")
    quad[rng.uniform(size=n) < 0.1] = None
    roster = pd.DataFrame({"customer_id": pd.Series(ids, dtype="str"), "tier": tier,
                           "selected": tier.isin(["A", "B"]).to_numpy(), "quadrant": quad})
    value = rng.choice([10.0, 10.0, 2.5, -4.125, np.nan], n) * rng.integers(1, 4, n)  # ties, refunds, gaps
    fields = pd.DataFrame({"customer_id": pd.Series(ids, dtype="str"), "revenue_365d": value})
    return roster, fields


def _oracle(roster: pd.DataFrame, fields: pd.DataFrame, tiers: list[str]) -> dict:
    tier = roster["tier"].fillna("").astype(str)
    quad = roster["quadrant"].fillna("").astype(str)
    order = [*tiers, *sorted(set(tier) - set(tiers) - {""}), ""]
    v = np.nan_to_num(fields["revenue_365d"].to_numpy(dtype=float))  # fields in the roster's order here
    unit = whole_unit(float(np.abs(v).sum()))
    units = pd.Series(np.round(v * unit).astype(np.int64))
    by_tier, by_quad = units.groupby(tier.to_numpy()).sum(), units.groupby(quad.to_numpy()).sum()
    qcounts = quad[quad != ""].value_counts().sort_index()
    return {"tier_counts": {k: int((tier == k).sum()) for k in order},
            "quadrant_counts": {str(k): int(c) for k, c in qcounts.items()},
            "tier_values": {k: float(int(by_tier.get(k, 0)) / unit) for k in order},
            "quadrant_values": {str(k): float(int(by_quad[k]) / unit) for k in qcounts.index}}


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (1, 2), (7, 3), (4000, 4)])
def test_counts_and_sums_by_tier_and_quadrant_are_pandas_value_counts_and_group_by(n, seed):
    roster, fields = _roster(n, seed)
    tiers = ["B", "A"]
    got = round_summary(roster, fields, tiers)
    want = _oracle(roster, fields, tiers)
    for key in ("tier_counts", "quadrant_counts"):
        assert got[key] == want[key] and list(got[key]) == list(want[key]), key
    if n:
        for key in ("tier_values", "quadrant_values"):
            assert got[key] == want[key] and list(got[key]) == list(want[key]), key
        assert sum(got["tier_counts"].values()) == n


def test_a_roster_without_quadrants_counts_none():
    roster, fields = _roster(50, 5)
    got = round_summary(roster.drop(columns="quadrant"), fields, ["A"])
    assert got["quadrant_counts"] == {} and got["quadrant_values"] == {}
    assert got["tier_counts"] == _oracle(roster, fields, ["A"])["tier_counts"]
