"""Scoring by a standard: normalisations by hand, gates, tiers, ties, capacity, gaps (issue 4)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuanba.standard import load_standard, score_customers
from xuanba.standard import score as score_mod
from xuanba.standard.score import knapsack

HEAD = '[standard]\nname = "t"\nversion = "1"\n'


def std(*criteria: str, rest: str = ""):
    return load_standard(HEAD + "".join(criteria) + rest)


def crit(name: str, field: str, weight: float, **opts) -> str:
    def toml(v: object) -> str:
        return f'"{v}"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)

    extra = "".join(f"{k} = {toml(v)}\n" for k, v in opts.items())
    return f'[[criteria]]\nname = "{name}"\nfield = "{field}"\nweight = {weight}\n{extra}'


def by_id(roster: pd.DataFrame) -> pd.DataFrame:
    return roster.set_index("customer_id").sort_index()


def norm_of(scored, name: str) -> dict:
    c = scored.contributions
    c = c.loc[c["criterion"] == name]
    return dict(zip(c["customer_id"], c["normalised"], strict=True))


IDS = ["a", "b", "c", "d", "e"]


# -- normalisations, by hand -----------------------------------------------------------------------

def test_percentile_ties_share_the_lowest_rank_so_the_ends_earn_0_and_full():
    t = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "revenue_365d": [10.0, 30.0, 20.0, 20.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1)))
    assert norm_of(s, "r") == {"a": 0.0, "b": 1.0, "c": 1 / 3, "d": 1 / 3}
    assert by_id(s.roster)["score"].round(4).to_dict() == {"a": 0.0, "b": 100.0, "c": 33.3333, "d": 33.3333}


def test_zero_revenue_among_many_earns_no_revenue_points():
    # issue 13 point 5: 60 customers without revenue used to earn 4.9 of 25 points (their mid-rank)
    n = 100
    t = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(n)],
                      "revenue_365d": np.r_[np.zeros(60), np.arange(1, 39), 500.0, 500.0],
                      "orders": np.arange(n, dtype=float)})
    s = score_customers(t, std(crit("r", "revenue_365d", 25), crit("o", "orders", 75)))
    c = s.contributions.loc[s.contributions["criterion"] == "r"].set_index("customer_id")["contribution"].sort_index()
    assert (c.iloc[:60] == 0.0).all()
    assert c.loc[["c098", "c099"]].tolist() == [25.0, 25.0]


def _brute_percentile(values: list[float]) -> list[float]:
    """Counted by hand: customers strictly below, out of the customers below the top value."""
    present = [v for v in values if not np.isnan(v)]
    out = []
    for v in values:
        if np.isnan(v):
            out.append(0.0)
            continue
        top = max(present)
        below_top = sum(1 for w in present if w < top)
        out.append(0.5 if below_top == 0 else sum(1 for w in present if w < v) / below_top)
    return out


@settings(max_examples=80, deadline=None)
@given(xs=st.lists(st.one_of(st.integers(0, 6).map(float), st.just(float("nan"))), min_size=1, max_size=25),
       direction=st.sampled_from(["higher", "lower"]))
def test_percentile_matches_a_count_by_hand_with_ties_missing_and_one_value(xs, direction):
    t = pd.DataFrame({"customer_id": [f"k{i:03d}" for i in range(len(xs))], "revenue_365d": xs})
    s = score_customers(t, std(crit("r", "revenue_365d", 1, direction=direction)))
    oriented = [x if direction == "higher" else -x for x in xs]
    want = dict(zip(t["customer_id"], _brute_percentile(oriented), strict=True))
    got = norm_of(s, "r")
    assert got == pytest.approx(want)
    present = [x for x in oriented if not np.isnan(x)]
    if len(set(present)) >= 2:  # the lowest earns 0, the highest 1
        assert {got[k] for k, x in zip(t["customer_id"], oriented, strict=True) if x == min(present)} == {0.0}
        assert {got[k] for k, x in zip(t["customer_id"], oriented, strict=True) if x == max(present)} == {1.0}


def test_percentile_with_one_customer_or_all_equal_gives_everyone_half():
    one = score_customers(pd.DataFrame({"customer_id": ["a"], "revenue_365d": [0.0]}),
                          std(crit("r", "revenue_365d", 1)))
    assert norm_of(one, "r") == {"a": 0.5}
    same = pd.DataFrame({"customer_id": IDS, "revenue_365d": [7.0] * 5})
    assert set(norm_of(score_customers(same, std(crit("r", "revenue_365d", 1))), "r").values()) == {0.5}
    lone = pd.DataFrame({"customer_id": IDS, "revenue_365d": [np.nan, 3.0, np.nan, np.nan, np.nan]})
    assert norm_of(score_customers(lone, std(crit("r", "revenue_365d", 1))), "r") == {
        "a": 0.0, "b": 0.5, "c": 0.0, "d": 0.0, "e": 0.0}


@settings(max_examples=150, deadline=None)
@given(others=st.lists(st.integers(0, 6).map(float), min_size=1, max_size=12),
       own=st.one_of(st.integers(0, 6).map(float), st.just(float("nan"))),
       need=st.floats(0.01, 1.0))
def test_the_value_needed_for_percentile_points_is_the_least_that_earns_them(others, own, need):
    """Against a search over every value that can change the points: the others' values and just above them."""
    from xuanba.standard.score import _percentile_needed, percentile_points

    present = sorted(others + ([] if np.isnan(own) else [own]))
    got = _percentile_needed(np.array(present), np.array([own]), np.array([need]))[0]

    def points(y: float) -> float:
        return float(percentile_points(np.array([*others, y]))[-1])

    candidates = sorted({*others, *(np.nextafter(o, np.inf) for o in others), min(others) - 1.0})
    enough = [y for y in candidates if points(y) >= need - 1e-12]
    assert enough, "the top always earns 1"
    assert got == enough[0]


def test_minmax_and_lower_is_better():
    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "days_since_last": [10.0, 30.0, 20.0]})
    s = score_customers(t, std(crit("d", "days_since_last", 1, normalise="minmax", direction="lower")))
    assert norm_of(s, "d") == {"a": 1.0, "b": 0.0, "c": 0.5}


def test_zscore_clipped_and_mapped():
    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "orders": [1.0, 2.0, 3.0]})
    s = score_customers(t, std(crit("o", "orders", 1, normalise="zscore")))
    z = 1.0 / np.sqrt(2.0 / 3.0)  # population sd of 1, 2, 3
    n = norm_of(s, "o")
    assert n["a"] == pytest.approx((3 - z) / 6) and n["b"] == pytest.approx(0.5) and n["c"] == pytest.approx((3 + z) / 6)


def test_bands_both_directions():
    t = pd.DataFrame({"customer_id": IDS, "revenue_365d": [-5.0, 0.0, 99.0, 100.0, 5000.0],
                      "days_since_last": [-1.0, 5.0, 10.0, 15.0, 25.0]})
    s = score_customers(t, std(
        crit("r", "revenue_365d", 0.5, normalise="bands") + "bands = [[0, 0], [100, 50], [1000, 100]]\n",
        crit("d", "days_since_last", 0.5, normalise="bands", direction="lower") + "bands = [[0, 100], [10, 50], [20, 0]]\n",
    ))
    assert norm_of(s, "r") == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.5, "e": 1.0}
    assert norm_of(s, "d") == {"a": 1.0, "b": 0.5, "c": 0.5, "d": 0.0, "e": 0.0}


def test_missing_values_zero_median_or_number():
    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "margin_365d": [10.0, np.nan, 30.0]})
    zero = score_customers(t, std(crit("m", "margin_365d", 1)))
    assert norm_of(zero, "m") == {"a": 0.0, "b": 0.0, "c": 1.0}
    med = score_customers(t, std(crit("m", "margin_365d", 1, missing="median")))
    assert norm_of(med, "m") == {"a": 0.0, "b": 0.5, "c": 1.0}
    num = score_customers(t, std(crit("m", "margin_365d", 1, missing=40.0)))
    assert norm_of(num, "m") == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert np.isnan(by_id(num.roster).loc["b", "m"])  # the roster keeps the raw value as it was


def test_score_is_the_sum_of_contributions_and_formulas_work():
    t = pd.DataFrame({"customer_id": IDS, "revenue_365d": [1.0, 2.0, 3.0, 4.0, 5.0],
                      "margin_365d": [1.0, 0.5, 2.0, 1.0, 0.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 30), crit("ratio", "margin_365d / revenue_365d", 70)))
    total = s.contributions.groupby("customer_id")["contribution"].sum()
    np.testing.assert_allclose(by_id(s.roster)["score"], total.sort_index(), atol=1e-6)
    assert set(s.contributions["weight"].round(12)) == {0.3, 0.7}
    assert by_id(s.roster).loc["a", "ratio"] == 1.0


# -- gates, tiers, ties -----------------------------------------------------------------------------

TIERS = """
[[gates]]
name = "profitable"
expr = "margin_365d > 0"
[[gates]]
name = "recent"
expr = "days_since_last < 100"
[[tiers]]
name = "A"
quota = 1
[[tiers]]
name = "B"
min_score = 20
"""


def test_gates_block_selection_and_tiers_fill_best_first():
    t = pd.DataFrame({"customer_id": IDS, "revenue_365d": [50.0, 40.0, 30.0, 20.0, 10.0],
                      "margin_365d": [-1.0, 5.0, 5.0, 5.0, 5.0], "days_since_last": [1.0, 1.0, 500.0, 1.0, 1.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1), rest=TIERS))
    r = by_id(s.roster)
    assert r["rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    assert r["gates_failed"].to_dict() == {"a": "profitable", "b": "", "c": "recent", "d": "", "e": ""}
    assert r["score"].to_dict() == {"a": 100.0, "b": 75.0, "c": 50.0, "d": 25.0, "e": 0.0}
    # A takes the best customer that passes the gates (b, not a); B those left with 20 or more
    assert r["tier"].to_dict() == {"a": "", "b": "A", "c": "", "d": "B", "e": ""}
    assert r["next_tier"].to_dict() == {"a": "B", "b": "", "c": "B", "d": "A", "e": "B"}
    assert r.loc["e", "gap_to_next"] == 20.0 and r.loc["a", "gap_to_next"] == 0.0  # a: score enough, gated
    assert s.roster["customer_id"].tolist() == ["a", "b", "c", "d", "e"]  # sorted by rank


def test_quota_share_rounds_down_and_is_never_exceeded():
    n = 37
    t = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(n)], "revenue_365d": np.arange(n, dtype=float)})
    s = score_customers(t, std(crit("r", "revenue_365d", 1),
                               rest='[[tiers]]\nname = "A"\nquota = "10%"\n[[tiers]]\nname = "B"\nquota = 5\n'))
    counts = s.roster["tier"].value_counts()
    assert counts["A"] == 3 and counts["B"] == 5  # floor(3.7) = 3
    assert s.roster.loc[s.roster["tier"] == "A", "customer_id"].tolist() == ["c36", "c35", "c34"]


def test_ties_broken_by_the_listed_field_then_customer_id():
    t = pd.DataFrame({"customer_id": ["z", "y", "x", "w"], "revenue_365d": [5.0, 5.0, 5.0, 1.0],
                      "clv_3y": [1.0, 3.0, 1.0, 9.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1), rest='[tie_break]\norder = ["clv_3y desc"]\n'))
    assert s.roster["customer_id"].tolist() == ["y", "x", "z", "w"]
    s = score_customers(t, std(crit("r", "revenue_365d", 1), rest='[tie_break]\norder = ["clv_3y asc"]\n'))
    assert s.roster["customer_id"].tolist() == ["x", "z", "y", "w"]


def test_quadrants_from_value_and_potential_subscores():
    t = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "revenue_365d": [10.0, 10.0, 0.0, 0.0],
                      "clv_3y": [10.0, 0.0, 10.0, 0.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 0.5, group="value"),
                               crit("p", "clv_3y", 0.5, group="potential")))
    assert by_id(s.roster)["quadrant"].to_dict() == {"a": "stars", "b": "at_risk", "c": "rising", "d": "others"}
    # two values, two customers each: the higher pair earns everything, the lower pair nothing
    np.testing.assert_allclose(by_id(s.roster)["value_score"], [100.0, 100.0, 0.0, 0.0], atol=1e-6)


def test_duplicate_customer_is_a_clean_error():
    t = pd.DataFrame({"customer_id": ["a", "a"], "revenue_365d": [1.0, 2.0]})
    with pytest.raises(Exception, match="more than once"):
        score_customers(t, std(crit("r", "revenue_365d", 1)))


# -- capacity ---------------------------------------------------------------------------------------

def test_capacity_top_n_names_who_was_left_out_by_capacity_alone():
    t = pd.DataFrame({"customer_id": IDS, "revenue_365d": [5.0, 4.0, 3.0, 2.0, 1.0],
                      "margin_365d": [1.0, 1.0, 1.0, -1.0, 1.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1),
                               rest='[[gates]]\nname = "g"\nexpr = "margin_365d > 0"\n'
                                    '[[tiers]]\nname = "A"\nmin_score = 0\n[capacity]\nmax_accounts = 2\n'))
    r = by_id(s.roster)
    assert r["selected"].to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": False}
    assert r["left_out_by_capacity"].to_dict() == {"a": False, "b": False, "c": True, "d": False, "e": True}
    assert s.info["capacity_method"] == "top-n"


def _brute_force(values, costs, budget, max_items=None):
    best = 0.0
    for k in range(len(values) + 1):
        if max_items is not None and k > max_items:
            break
        for combo in itertools.combinations(range(len(values)), k):
            if sum(costs[i] for i in combo) <= budget + 1e-9:
                best = max(best, sum(values[i] for i in combo))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_knapsack_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 11
    values, costs = rng.uniform(0, 100, n).round(2), rng.uniform(1, 50, n).round(2)
    budget = float(costs.sum() * 0.4)
    max_items = None if seed % 2 else 4
    pos, how = knapsack(values, costs, budget, max_items)
    assert how == "exact"
    assert costs[pos].sum() <= budget + 1e-9 and (max_items is None or len(pos) <= max_items)
    assert values[pos].sum() == pytest.approx(_brute_force(values, costs, budget, max_items), abs=1e-6)


def test_greedy_knapsack_beyond_the_exact_limit_stays_within_budget(monkeypatch):
    rng = np.random.default_rng(3)
    values, costs = rng.uniform(0, 100, 50), rng.uniform(1, 50, 50)
    exact, _ = knapsack(values, costs, 200.0, 5)
    monkeypatch.setattr(score_mod, "EXACT_KNAPSACK_MAX", 0)
    pos, how = knapsack(values, costs, 200.0, 5)
    assert how == "greedy" and costs[pos].sum() <= 200.0 and len(pos) <= 5
    assert values[pos].sum() <= values[exact].sum() + 1e-9  # the exact one is optimal ...
    assert values[pos].sum() >= 0.8 * values[exact].sum()  # ... and greedy is close on this case


def test_capacity_budget_maximises_total_score_within_budget():
    rng = np.random.default_rng(7)
    n = 10
    t = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "revenue_365d": rng.uniform(0, 100, n),
                      "cost_to_serve_365d": rng.uniform(5, 30, n).round(1)})
    s = score_customers(t, std(crit("r", "revenue_365d", 1),
                               rest='[[tiers]]\nname = "A"\nmin_score = 20\n'
                                    '[capacity]\ncost_field = "cost_to_serve_365d"\nbudget = 60\n'))
    r = s.roster
    eligible = r.loc[r["score"] >= 20]
    sel = r.loc[r["selected"]]
    cost = t.set_index("customer_id")["cost_to_serve_365d"]
    assert cost[sel["customer_id"]].sum() <= 60
    best = _brute_force(eligible["score"].tolist(), cost[eligible["customer_id"]].tolist(), 60)
    assert sel["score"].sum() == pytest.approx(best, abs=1e-6)
    assert set(r.loc[r["left_out_by_capacity"], "customer_id"]) == set(eligible["customer_id"]) - set(sel["customer_id"])
    assert s.info["capacity_method"] == "exact"


# -- gap to the next tier and the cheapest criterion ------------------------------------------------

def test_gap_and_cheapest_change_closes_the_gap_when_applied():
    rng = np.random.default_rng(11)
    n = 60
    t = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(n)],
                      "revenue_365d": rng.integers(0, 40, n).astype(float),
                      "p_alive": rng.uniform(0, 1, n).round(2),
                      "orders": rng.integers(1, 9, n).astype(float)})
    s = std(crit("r", "revenue_365d", 0.5), crit("p", "p_alive", 0.3, normalise="bands") +
            "bands = [[0.0, 0], [0.4, 50], [0.7, 100]]\n", crit("o", "orders", 0.2, private=True),
            rest='[[tiers]]\nname = "A"\nmin_score = 75\n[[tiers]]\nname = "B"\nmin_score = 45\n')
    base = score_customers(t, s).roster
    bars = {"A": 75.0, "B": 45.0}
    todo = base.loc[base["gap_to_next"] > 0]
    assert len(todo) > 10
    checked = 0
    for row in todo.itertuples(index=False):
        assert row.gap_to_next == pytest.approx(bars[row.next_tier] - row.score, abs=1e-6)
        if not row.cheapest_criterion:
            continue  # no single criterion can close it
        field = {"r": "revenue_365d", "p": "p_alive", "o": "orders"}[row.cheapest_criterion]
        changed = t.copy()
        changed.loc[changed["customer_id"] == row.customer_id, field] += row.cheapest_change
        after = by_id(score_customers(changed, s).roster).loc[row.customer_id]
        assert after["score"] >= bars[row.next_tier] - 1e-6, row
        checked += 1
        if row.cheapest_public_criterion:
            assert row.cheapest_public_criterion != "o"
    assert checked > 10
    top = base.loc[base["tier"] == "A"]
    assert (top["next_tier"] == "").all() and top["gap_to_next"].isna().all()


# -- properties (hypothesis) ------------------------------------------------------------------------

NORMS = ["percentile", "minmax", "zscore", "bands"]
BANDS = "bands = [[0, 0], [5, 30], [10, 60], [15, 100]]\n"


def _prop_standard(norm: str, direction: str = "higher", tiers: str = "", cap: str = ""):
    c1 = crit("x", "revenue_365d", 0.6, normalise=norm, direction=direction) + (BANDS if norm == "bands" and direction == "higher" else "")
    if norm == "bands" and direction == "lower":
        c1 += "bands = [[0, 100], [5, 60], [10, 30], [15, 0]]\n"
    c2 = crit("y", "clv_3y", 0.4, normalise="percentile")
    return std(c1, c2, rest=tiers + cap)


values = st.lists(st.integers(0, 20), min_size=2, max_size=30)


@settings(max_examples=40, deadline=None)
@given(xs=values, norm=st.sampled_from(NORMS), seed=st.integers(0, 10_000))
def test_permuting_input_rows_never_changes_the_roster(xs, norm, seed):
    rng = np.random.default_rng(seed)
    n = len(xs)
    t = pd.DataFrame({"customer_id": [f"k{i:03d}" for i in range(n)], "revenue_365d": np.array(xs, float),
                      "clv_3y": rng.integers(0, 5, n).astype(float)})
    s = _prop_standard(norm, tiers='[[tiers]]\nname = "A"\nquota = 2\n[[tiers]]\nname = "B"\nmin_score = 30\n')
    a = score_customers(t, s)
    b = score_customers(t.iloc[rng.permutation(n)].reset_index(drop=True), s)
    pd.testing.assert_frame_equal(a.roster, b.roster)
    pd.testing.assert_frame_equal(a.contributions, b.contributions)


@settings(max_examples=60, deadline=None)
@given(xs=values, norm=st.sampled_from(NORMS), direction=st.sampled_from(["higher", "lower"]),
       who=st.integers(0, 1000), step=st.integers(1, 25))
def test_improving_a_criterion_never_lowers_the_customers_score(xs, norm, direction, who, step):
    n = len(xs)
    t = pd.DataFrame({"customer_id": [f"k{i:03d}" for i in range(n)], "revenue_365d": np.array(xs, float),
                      "clv_3y": np.arange(n, dtype=float) % 3})
    s = _prop_standard(norm, direction)
    i = who % n
    before = by_id(score_customers(t, s).roster).iloc[i]["score"]
    better = t.copy()
    better.loc[i, "revenue_365d"] += step if direction == "higher" else -step
    after = by_id(score_customers(better, s).roster).iloc[i]["score"]
    assert after >= before - 1e-9


@settings(max_examples=40, deadline=None)
@given(xs=values, q1=st.integers(1, 10), share=st.integers(1, 60), cap=st.integers(1, 12),
       budget=st.one_of(st.none(), st.integers(1, 60)), seed=st.integers(0, 10_000))
def test_quotas_and_capacity_are_never_exceeded(xs, q1, share, cap, budget, seed):
    rng = np.random.default_rng(seed)
    n = len(xs)
    t = pd.DataFrame({"customer_id": [f"k{i:03d}" for i in range(n)], "revenue_365d": np.array(xs, float),
                      "clv_3y": rng.integers(0, 5, n).astype(float),
                      "cost_to_serve_365d": rng.integers(1, 20, n).astype(float)})
    tiers = f'[[tiers]]\nname = "A"\nquota = {q1}\n[[tiers]]\nname = "B"\nquota = "{share}%"\nmin_score = 10\n'
    capacity = f"[capacity]\nmax_accounts = {cap}\n"
    if budget is not None:
        capacity += f'cost_field = "cost_to_serve_365d"\nbudget = {budget}\n'
    r = score_customers(t, _prop_standard("percentile", tiers=tiers, cap=capacity)).roster
    assert (r["tier"] == "A").sum() <= q1
    assert (r["tier"] == "B").sum() <= int(np.floor(share / 100 * n + 1e-9))
    assert r["selected"].sum() <= cap
    if budget is not None:
        chosen = t.set_index("customer_id").loc[r.loc[r["selected"], "customer_id"], "cost_to_serve_365d"]
        assert chosen.sum() <= budget
    assert not (r["selected"] & r["left_out_by_capacity"]).any()


def test_capacity_objective_can_be_a_field():
    t = pd.DataFrame({"customer_id": IDS, "revenue_365d": [5.0, 4.0, 3.0, 2.0, 1.0],
                      "clv_3y": [1.0, 2.0, 9.0, 8.0, 0.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1),
                               rest='[[tiers]]\nname = "A"\nmin_score = 0\n'
                                    '[capacity]\nmax_accounts = 2\nobjective = "clv_3y"\n'))
    r = by_id(s.roster)
    assert set(r.index[r["selected"]]) == {"c", "d"}  # the two highest clv_3y, not the two best scores
    assert set(r.index[r["left_out_by_capacity"]]) == {"a", "b", "e"}


def test_the_next_tier_up_skips_a_tier_that_capacity_left_empty():
    """Tier C's bar (20) says nothing about getting in when the capacity is spent on A and B: the
    next tier up is B, and the gap is to B's lowest member (issue 13, point 3)."""
    ids = [f"c{i}" for i in range(10)]
    t = pd.DataFrame({"customer_id": ids, "revenue_365d": np.arange(10, 0, -1, dtype=float)})
    tiers = ('[[tiers]]\nname = "A"\nmin_score = 80\n[[tiers]]\nname = "B"\nmin_score = 50\n'
             '[[tiers]]\nname = "C"\nmin_score = 20\n')
    s = score_customers(t, std(crit("r", "revenue_365d", 1), rest=tiers + "[capacity]\nmax_accounts = 4\n"))
    r = by_id(s.roster)
    assert not (r["tier"] == "C").any() and (r["tier"] == "B").any()  # C is empty
    out = r[r["tier"] == ""]
    assert (out["next_tier"] == "B").all()
    lowest_b = r.loc[r["tier"] == "B", "score"].min()
    assert np.allclose(out["gap_to_next"], lowest_b - out["score"])
    # without the capacity nobody is left out of C: its bar stands for those below it
    s2 = score_customers(t, std(crit("r", "revenue_365d", 1), rest=tiers))
    r2 = by_id(s2.roster)
    below = r2[r2["tier"] == ""]
    assert (below["next_tier"] == "C").all() and np.allclose(below["gap_to_next"], 20 - below["score"])


def test_when_every_tier_above_is_empty_the_nearest_bar_stands():
    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue_365d": [3.0, 2.0, 1.0]})
    s = score_customers(t, std(crit("r", "revenue_365d", 1),
                               rest='[[gates]]\nname = "g"\nexpr = "revenue_365d > 10"\n'  # nobody passes
                                    '[[tiers]]\nname = "A"\nmin_score = 90\n'))
    r = by_id(s.roster)
    assert (r["tier"] == "").all()
    assert (r["next_tier"] == "A").all() and np.allclose(r["gap_to_next"], (90 - r["score"]).clip(lower=0))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.integers(0, 5).map(float), st.just(float("nan"))), min_size=2, max_size=30),
       need=st.floats(0.01, 1.0))
def test_the_needed_value_is_the_same_whether_the_ranks_are_given_or_searched(values, need):
    """The scoring passes each customer's count of values below (its rank) instead of searching for it."""
    from xuanba.standard.score import _percentile_needed

    own = np.array(values)
    present = np.sort(own[~np.isnan(own)])
    if not len(present):
        return
    below = np.searchsorted(present, np.nan_to_num(own), side="left")
    need_v = np.full(len(own), need)
    got = _percentile_needed(present, own, need_v, below)
    want = _percentile_needed(present, own, need_v)
    assert np.array_equal(got, want, equal_nan=True)


def test_scoring_without_the_long_contributions_gives_the_same_roster_and_matrix():
    """What-if asks for no long table: the roster is the same and ``matrix`` holds the contributions."""
    rng = np.random.default_rng(3)
    n = 200
    t = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(n)],
                      "revenue_365d": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.integers(0, 30, n).astype(float)),
                      "orders": rng.integers(1, 9, n).astype(float)})
    s = std(crit("r", "revenue_365d", 0.6), crit("o", "orders", 0.4, private=True),
            rest='[[tiers]]\nname = "A"\nmin_score = 70\n[[tiers]]\nname = "B"\nquota = 40\n')
    full, lean = score_customers(t, s), score_customers(t, s, contributions=False)
    pd.testing.assert_frame_equal(full.roster, lean.roster)
    assert lean.contributions.empty and list(lean.contributions.columns) == list(full.contributions.columns)
    wide = full.contributions.pivot(index="customer_id", columns="criterion", values="contribution")
    expected = wide.loc[full.roster["customer_id"], ["r", "o"]].to_numpy()
    assert np.array_equal(lean.matrix, expected) and np.array_equal(full.matrix, expected)


def test_scoring_leaves_the_callers_table_as_it_was():
    """The scorer works on a shallow copy (sorted, ids made text): the table it was given keeps its
    order, its integer ids and its values, and scoring it twice gives the same roster."""
    std = load_standard('[standard]\nname = "c"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\n'
                        'weight = 1\n[[tiers]]\nname = "A"\nquota = 2\n')
    given = pd.DataFrame({"customer_id": [30, 10, 20, 40], "revenue_365d": [5.0, np.nan, 7.0, 1.0],
                          "segment": ["x", "y", None, "x"]})
    before = given.copy(deep=True)
    first = score_customers(given, std).roster
    pd.testing.assert_frame_equal(given, before)
    assert first["customer_id"].tolist() == ["20", "30", "10", "40"]  # 10 (missing) ties 40 (lowest) at 0
    pd.testing.assert_frame_equal(score_customers(given, std).roster, first)


def test_rank_order_sorts_ties_alone_as_the_full_lexsort_does():
    """rank_order sorts the tie-break keys only among equal scores: the same order as one lexsort
    of every key, on random scores with many ties, -0.0, missing tie keys (inf) and no tie keys."""
    from xuanba.standard.score import rank_order

    rng = np.random.default_rng(11)
    for t in range(600):
        n = int(rng.integers(0, 80))
        score = rng.integers(0, 5, n).astype(float) if t % 2 else np.round(rng.normal(size=n), 1)
        if n and t % 5 == 0:
            score[rng.integers(0, n)] = -0.0
        if n and t % 17 == 0:
            score[rng.integers(0, n)] = np.nan
        ties = [np.where(rng.uniform(size=n) < 0.2, np.inf, rng.integers(0, 3, n).astype(float))
                for _ in range(int(rng.integers(0, 3)))]
        assert np.array_equal(rank_order(score, ties), np.lexsort([np.arange(n), *ties, -score])), t


def test_ids_sorted_and_duplicate_ids_agree_with_pandas_on_awkward_text():
    """The Arrow checks of the ids (sorted? equal to the next?) say what pandas says, on empty
    strings, unicode, a NUL character, missing ids and object columns."""
    from xuanba._frames import ids_sorted
    from xuanba.standard.score import _next_equal

    rng = np.random.default_rng(4)
    for t in range(800):
        vals = [str(rng.choice(["", "a", "b", "ab", "é", "Z", "客", "a\x00"])) for _ in range(int(rng.integers(0, 9)))]
        if t % 2:
            vals.sort()
        for ids in (pd.Series(vals, dtype="str"), pd.Series(vals, dtype=object)):
            if t % 11 == 0 and len(ids):
                ids[0] = None
            assert ids_sorted(ids) == ids.is_monotonic_increasing, (t, vals)
            if ids.notna().all():
                plain = ids.to_numpy()
                assert np.array_equal(_next_equal(ids), plain[1:] == plain[:-1]), (t, vals)


def test_values_below_and_the_score_order_are_the_stable_sorts_they_replace():
    """values_below (one unstable sort) is rankdata's 'min' rank - 1, and score_order (one sort of
    whole-number keys) the stable sort of the scores descending, on ties, -0.0, scores off the
    millionth grid and large ones (which take the plain sort)."""
    from scipy.stats import rankdata

    from xuanba.standard.score import score_order, values_below

    rng = np.random.default_rng(12)
    for t in range(800):
        n = int(rng.integers(1, 70))
        v = rng.integers(0, 6, n).astype(float) * rng.choice([1.0, 0.1, 1e-6, 1e9, 33.3333337])
        if t % 4 == 0:
            v[rng.integers(0, n)] = -0.0
        assert np.array_equal(values_below(v), rankdata(v, method="min").astype(np.int64) - 1), t
        s = np.round(v, 6) if t % 3 else v
        assert np.array_equal(score_order(s), np.argsort(-s, kind="stable")), t


def test_the_summary_takes_the_most_valuable_rows_as_the_stable_sort_would():
    # what the summary's coverage takes
    from xuanba.models.evaluate import top_positions

    rng = np.random.default_rng(13)
    for _ in range(800):
        n = int(rng.integers(1, 50))
        v = rng.integers(0, 4, n).astype(float)
        k = int(rng.integers(1, n + 1))
        assert sorted(top_positions(v, k).tolist()) == sorted(np.argsort(-v, kind="stable")[:k].tolist())
