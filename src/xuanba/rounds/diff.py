"""Compare two rounds: who entered and left the selection, who rose and fell, tier migration.

``status`` of each customer, from round A to round B:

* ``entered`` — not selected in A (or absent), selected in B;
* ``left`` — selected in A, not selected in B (or absent);
* ``rose`` / ``fell`` — a better / worse tier in B, or the same tier and a better / worse rank;
* ``same`` — same tier and rank, or in neither selection without a rank in both rounds.

Example
-------
>>> import pandas as pd
>>> a = pd.DataFrame({"customer_id": ["x", "y", "z"], "rank": [1, 2, 3], "tier": ["A", "B", ""],
...                   "selected": [True, True, False]})
>>> b = pd.DataFrame({"customer_id": ["x", "y", "z"], "rank": [2, 3, 1], "tier": ["A", "", "A"],
...                   "selected": [True, False, True]})
>>> compare_rosters(a, b, ["A", "B"]).changes["status"].tolist()
['entered', 'fell', 'left']
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from xuanba.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from xuanba.rounds.run import Round

NOT_SELECTED = "(not selected)"
ABSENT = "(absent)"
CHANGE_COLUMNS = ("customer_id", "tier_a", "tier_b", "rank_a", "rank_b", "score_a", "score_b",
                  "rank_change", "status")


@dataclass
class RoundDiff:
    """Differences from round ``a`` to round ``b``."""

    a: int
    b: int
    changes: pd.DataFrame
    migration: pd.DataFrame
    rank_correlation: float
    summary: dict[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """The diff in a notebook: the counts, the customers who moved, the tier migration."""
        from xuanba import _html
        from xuanba.i18n import display_lang, t

        s, lang = self.summary, display_lang()
        pairs = [(t("nb_cutoff", lang), f"{s.get('cutoff_a', '')} → {s.get('cutoff_b', '')}" if "cutoff_a" in s else ""),
                 (t("nb_selected", lang), f"{s.get('selected_a', '')} → {s.get('selected_b', '')}"),
                 *[(t(k, lang), s.get(k)) for k in ("entered", "left", "rose", "fell")],
                 (t("nb_rank_correlation", lang), self.rank_correlation)]
        moved = self.changes.loc[self.changes["status"] != "same"]
        return _html.card(t("nb_diff", lang, a=self.a, b=self.b), pairs,
                          _html.table(moved, caption=t("nb_changes", lang), lang=lang),
                          _html.table(self.migration, index=True, caption=t("nb_migration", lang, a=self.a, b=self.b),
                                      lang=lang))


def compare_rosters(roster_a: pd.DataFrame, roster_b: pd.DataFrame, tier_order: list[str],
                    *, a: int = 0, b: int = 0) -> RoundDiff:
    """Compare two rosters (``customer_id``, ``rank``, ``tier``, ``selected``; ``score`` optional).

    ``tier_order`` lists tier names best first. ``changes`` is sorted by round B's rank (then
    customers absent from B by A's rank).
    """
    # an outer join by customer id, done by one hash lookup: A's rows, then B's rows not in A
    ids_a = roster_a["customer_id"].astype(str).to_numpy(dtype=object)
    ids_b = roster_b["customer_id"].astype(str).to_numpy(dtype=object)
    in_b_of_a = pd.Index(ids_b).get_indexer(ids_a)
    only_b = np.ones(len(ids_b), dtype=bool)
    only_b[in_b_of_a[in_b_of_a >= 0]] = False
    extra = np.flatnonzero(only_b)
    n_a = len(ids_a)
    pos_a = np.concatenate([np.arange(n_a), np.full(len(extra), -1)])
    pos_b = np.concatenate([in_b_of_a, extra])
    in_a, in_b = pos_a >= 0, pos_b >= 0
    customer_ids = np.concatenate([ids_a, ids_b[extra]])

    def pick(roster: pd.DataFrame, col: str, pos: np.ndarray, fill: object) -> np.ndarray:
        values = roster[col].to_numpy(dtype=float if fill is np.nan else object, na_value=fill)
        return np.where(pos >= 0, values[np.maximum(pos, 0)], fill) if len(values) else np.full(len(pos), fill)

    sel_a = pick(roster_a, "selected", pos_a, False).astype(bool)
    sel_b = pick(roster_b, "selected", pos_b, False).astype(bool)
    tier_a = pd.Series(pick(roster_a, "tier", pos_a, None))
    tier_b = pd.Series(pick(roster_b, "tier", pos_b, None))
    big = len(tier_order) + 1

    def position(tier: pd.Series) -> np.ndarray:  # place in tier_order; not selected or unknown last
        codes = pd.Index(list(dict.fromkeys(tier_order))).get_indexer(tier.fillna("").astype(object))
        return np.where(codes < 0, big, codes)

    ta, tb = position(tier_a), position(tier_b)
    ra = pick(roster_a, "rank", pos_a, np.nan)
    rb = pick(roster_b, "rank", pos_b, np.nan)
    scored = "score" in roster_a and "score" in roster_b
    both_ranked = ~np.isnan(ra) & ~np.isnan(rb)
    status = np.full(len(customer_ids), "same", dtype=object)
    status = np.where(both_ranked & (rb < ra), "rose", status)
    status = np.where(both_ranked & (rb > ra), "fell", status)
    status = np.where(sel_a & sel_b & (tb < ta), "rose", status)
    status = np.where(sel_a & sel_b & (tb > ta), "fell", status)
    status = np.where(~sel_a & sel_b, "entered", status)
    status = np.where(sel_a & ~sel_b, "left", status)

    def label(tier: pd.Series, present: np.ndarray) -> np.ndarray:
        t = tier.fillna("").astype(object).to_numpy()
        return np.where(~present, ABSENT, np.where(t == "", NOT_SELECTED, t)).astype(object)

    changes = pd.DataFrame({
        "customer_id": customer_ids,
        "tier_a": label(tier_a, in_a),
        "tier_b": label(tier_b, in_b),
        "rank_a": pd.array(ra, dtype="Int64"),
        "rank_b": pd.array(rb, dtype="Int64"),
        "score_a": pick(roster_a, "score", pos_a, np.nan) if scored else np.nan,
        "score_b": pick(roster_b, "score", pos_b, np.nan) if scored else np.nan,
        "rank_change": pd.array(np.where(both_ranked, ra - rb, np.nan), dtype="Int64"),
        "status": status,
    })
    sort_b = np.where(np.isnan(rb), np.inf, rb)
    sort_a = np.where(np.isnan(ra), np.inf, ra)
    # ranks are unique within a round, so (B's rank, A's rank) orders every row without ties
    changes = changes.iloc[np.lexsort((sort_a, sort_b))].reset_index(drop=True)
    levels = [*tier_order, NOT_SELECTED, ABSENT]
    migration = pd.crosstab(
        pd.Categorical(changes["tier_a"], categories=levels),
        pd.Categorical(changes["tier_b"], categories=levels),
        dropna=False,
    )
    migration.index.name = "tier_a"
    migration.columns.name = "tier_b"
    if not (changes["tier_a"] == ABSENT).any():
        migration = migration.drop(index=ABSENT)
    if not (changes["tier_b"] == ABSENT).any():
        migration = migration.drop(columns=ABSENT)
    if both_ranked.sum() >= 2 and np.ptp(ra[both_ranked]) > 0 and np.ptp(rb[both_ranked]) > 0:
        rho = float(spearmanr(ra[both_ranked], rb[both_ranked]).statistic)
    else:
        rho = float("nan")
    sa, sb = set(customer_ids[sel_a]), set(customer_ids[sel_b])
    counts = pd.Series(status).value_counts()
    summary = {
        "a": a,
        "b": b,
        "customers_a": int(in_a.sum()),
        "customers_b": int(in_b.sum()),
        "selected_a": len(sa),
        "selected_b": len(sb),
        "kept": len(sa & sb),
        **{k: int(counts.get(k, 0)) for k in ("entered", "left", "rose", "fell", "same")},
        "selection_overlap": (len(sa & sb) / len(sa | sb)) if (sa | sb) else float("nan"),
        "rank_correlation": rho,
    }
    return RoundDiff(a, b, changes, migration, rho, summary)


def diff_rounds(workspace: Workspace | str, a: int | str, b: int | str) -> RoundDiff:
    """Compare two stored rounds (ids, or ``"previous"`` / ``"latest"``).

    Tier order is round B's standard, then any tier only round A has.

    Examples
    --------
    >>> from xuanba import Workspace
    >>> diff_rounds(Workspace(":memory:"), 1, 2)
    Traceback (most recent call last):
    ...
    xuanba.errors.WorkspaceError: :memory:: the workspace has no rounds yet
      fix: Run `xuanba round --standard S.toml --cutoff DATE` first.
    """
    from xuanba.rounds.store import load_round, resolve_round_id

    with open_workspace(workspace, read_only=True) as ws:
        ra = load_round(ws, resolve_round_id(ws, a), fields=False, contributions=False)
        rb = load_round(ws, resolve_round_id(ws, b), fields=False, contributions=False)
    return diff_loaded(ra, rb)


def diff_loaded(ra: Round, rb: Round, customers: Collection[str] | None = None) -> RoundDiff:
    """:func:`diff_rounds` of two rounds already loaded (the report has the later one open);
    ``customers``: only these customers' rows of both rosters are compared (a rep's accounts),
    with their ranks in the whole rounds.

    The one place that decides what a comparison with an engine round (which stores its
    selection only) can say: who entered, left and stayed in the selection; rose, fell, same and
    the rank correlation ``None`` in ``summary`` (``selection_only`` and ``engine`` say why), an
    empty ``migration``; a customer such a round did not store is ``(not selected)`` there (never
    ``(absent)``: whether they were in its base is not known), and its ``customers_a``/``_b`` is
    its base as its meta counts it."""
    order = [t.name for t in rb.standard.tiers]
    order += [t.name for t in ra.standard.tiers if t.name not in order]
    roster_a, roster_b = ra.roster, rb.roster
    if customers is not None:
        keep = set(map(str, customers))
        roster_a = roster_a.loc[roster_a["customer_id"].astype(str).isin(keep)]
        roster_b = roster_b.loc[roster_b["customer_id"].astype(str).isin(keep)]
    d = compare_rosters(roster_a, roster_b, order, a=ra.round_id, b=rb.round_id)
    d.summary["cutoff_a"] = ra.meta["cutoff"]
    d.summary["cutoff_b"] = rb.meta["cutoff"]
    d.summary["same_standard"] = ra.meta["standard_sha256"] == rb.meta["standard_sha256"]
    from xuanba.rounds.selection_only import misses_customers

    # a round that selected every customer stored them all: compared as a workspace round is
    partial = [r.meta for r in (ra, rb) if misses_customers(r.meta)]
    if partial:  # a round run on an engine holds its selection only: who else moved is not known
        d.summary["selection_only"] = True
        d.summary["engine"] = partial[-1].get("engine")
        d.summary.update(rose=None, fell=None, same=None, rank_correlation=None)  # not counted over the selections
        for side, r in (("a", ra), ("b", rb)):
            if misses_customers(r.meta):
                # a customer that round did not store was not selected there; whether they were in its
                # base is not known, so never "(absent)"; its base is counted in its meta
                col = f"tier_{side}"
                d.changes[col] = d.changes[col].where(d.changes[col] != ABSENT, NOT_SELECTED)
                d.summary[f"customers_{side}"] = int(r.meta["n_customers"]) if customers is None else None
        d.rank_correlation = float("nan")
        # nor the tier migration: a customer the other round did not store would count as absent from it.
        # Emptied here, once, for every reader (xuanba diff and its JSON, the web, the report, exports)
        d.migration = d.migration.iloc[0:0, 0:0]
    return d
