"""What if: the roster a changed standard would give at a stored round's cutoff, and what moved.

The new standard is scored on the fields the round stored (``round_fields``): no fact is
recomputed, no model refitted, nothing stored, so the answer comes while one edits. The result
is compared with the round: who entered, left, rose, fell, the tier counts before and after, and
the customers whose tier moves most with the criteria that moved them (the change of each
criterion's contribution to the score, new minus stored).

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> from xuanba.rounds import run_round
>>> ws = Workspace(":memory:")
>>> ws.replace("transactions", pd.DataFrame({
...     "customer_id": ["a", "a", "b", "b", "b", "c"],
...     "ts": pd.to_datetime(["2026-01-02", "2026-03-01", "2026-01-05", "2026-02-01", "2026-03-01", "2026-03-03"]),
...     "amount": [300.0, 300.0, 5.0, 5.0, 5.0, 20.0]}))
>>> head = '[standard]\\nname = "s"\\nversion = "{v}"\\n[[criteria]]\\nname = "c"\\nfield = "{f}"\\nweight = 1\\n'
>>> tiers = '[[tiers]]\\nname = "A"\\nquota = 1\\n'
>>> _ = run_round(ws, head.format(v=1, f="revenue_365d") + tiers, "2026-03-31")
>>> w = whatif(ws, head.format(v=2, f="orders") + tiers)
>>> w.summary["entered"], w.summary["left"], w.movers[["customer_id", "tier_round", "tier_new"]].values.tolist()
(1, 1, [['b', '', 'A'], ['a', 'A', '']])
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba.errors import DataError, Listed, Phrase
from xuanba.rounds.diff import RoundDiff, compare_rosters
from xuanba.rounds.extra_names import checked_extra_fields, extra_field_names
from xuanba.rounds.run import _merge, as_standard, fallback_standard
from xuanba.rounds.store import (
    _load_fields,
    contributions_of,
    refuse_selection_only,
    resolve_round_id,
    roster_of,
    stored_names,
    stored_standard,
)
from xuanba.standard.apply import apply_standard
from xuanba.standard.schema import Standard
from xuanba.standard.score import Scored
from xuanba.workspace import Workspace, open_workspace

MOVER_COLUMNS: tuple[str, ...] = ("customer_id", "tier_round", "tier_new", "tier_change", "rank_round", "rank_new",
                                  "score_round", "score_new", "moved_by")
"""Columns of :attr:`WhatIf.movers`; ``tier_change`` counts tier steps up (negative: down, not
selected being the step below the last tier); ``moved_by`` names the criteria whose
contribution changed most, with the change in score points."""


@dataclass
class WhatIf:
    """What :func:`whatif` found: the new scoring (``scored.roster`` is the would-be roster), the
    counts against the round (``summary``: entered, left, rose, fell, kept, as
    :func:`~xuanba.rounds.compare_rosters` counts them), the tier counts of both (``tiers``:
    tier, round, new), and the customers whose tier moves most (``movers``). ``diff`` is the full
    comparison (every customer, the migration matrix), made when first asked for."""

    round_id: int
    cutoff: str
    standard: Standard
    scored: Scored = field(repr=False)
    tiers: pd.DataFrame
    movers: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    round_roster: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    tier_order: list[str] = field(default_factory=list, repr=False)

    @property
    def roster(self) -> pd.DataFrame:
        """The roster the new standard would give."""
        return self.scored.roster

    @functools.cached_property
    def diff(self) -> RoundDiff:
        """The round compared with the new roster, customer by customer."""
        return compare_rosters(self.round_roster, self.roster, self.tier_order, a=self.round_id, b=0)


def _codes(tier: pd.Series, names: list[str]) -> np.ndarray:
    """Each customer's tier as its position in ``names`` (an Arrow hash lookup, no Python string
    per row); -1 when not selected or not among ``names``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(tier, type=pa.large_string(), from_pandas=True),
                        value_set=pa.array(names, type=pa.large_string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _levels(tier: pd.Series, names: list[str]) -> np.ndarray:
    """A tier's step, 0 the best; not selected (or absent) one below the last tier."""
    codes = _codes(tier, names)
    return np.where(codes < 0, len(names), codes)


def whatif(
    workspace: Workspace | str | Path,
    standard: Standard | str | Path,
    against: int | str = "latest",
    *,
    extra_fields: pd.DataFrame | None = None,
    movers: int = 20,
    horizon: str | int | None = None,
) -> WhatIf:
    """Score ``standard`` on the fields stored with round ``against`` and compare with that round.

    Parameters
    ----------
    workspace
        The workspace (or its path) holding the round.
    standard
        The changed standard: a :class:`~xuanba.standard.Standard`, a ``.toml`` path or TOML text.
    against
        The round: an id, ``"latest"`` or ``"previous"``.
    extra_fields
        More per-customer fields (``customer_id`` and columns) for criteria the round did not
        store; they win over stored fields of the same name.
    movers
        How many of the customers whose tier changes most to explain.
    horizon
        When given (``"365d"``, ``"26w"`` …) and the workspace holds transactions after the
        round's cutoff, ``summary`` also has the share of that horizon's revenue the round's
        selection and the new one brought (``value_captured_round``, ``value_captured_new``,
        over ``horizon_days`` observed): the backtest of both at this one cutoff.

    Returns
    -------
    WhatIf
    """
    extra_fields = checked_extra_fields(extra_fields)  # names checked before any is used
    extras = extra_field_names(extra_fields)
    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, against)
        head = ws.sql("SELECT standard_text, meta_json FROM rounds WHERE round_id = ?", [rid])
        meta = json.loads(head.loc[0, "meta_json"])
        refuse_selection_only(meta, rid, Phrase("err_what_whatif"))  # re-scoring the stored selection alone is wrong
        stored = list(meta.get("field_columns") or [])
        # the new standard may read what the round stored: its extra fields and customer attributes
        extra, people = stored_names(meta)
        std = as_standard(standard, [*extras, *extra], people)
        if "field_columns" not in meta:
            raise DataError(Phrase("err_round_no_fields", round_id=str(rid)), fix=Phrase("err_round_no_fields_whatif_fix"))
        wanted = sorted(f for f in std.fields_used() if f != "customer_id")
        missing = [f for f in wanted if f not in stored and f not in extras]
        if missing:
            raise DataError(Phrase("err_whatif_fields_missing", round_id=str(rid), names=Listed(missing)),
                            fix=Phrase("err_whatif_fields_missing_fix"))
        # only what the comparison needs: the roster's placing columns and the fields the new standard reads
        placing = ["customer_id", "rank", "score", "tier", "selected"]  # one text decoded (roster_of)
        roster = ws.sql(f"SELECT {', '.join(placing)} FROM {roster_of(ws, placing)} WHERE round_id = ? ORDER BY rank",
                        [rid])
        roster["customer_id"] = roster["customer_id"].astype("str")
        roster["tier"] = roster["tier"].astype("str")
        fields = _load_fields(ws, rid, stored, [f for f in wanted if f in stored])
        assert fields is not None
        if extra_fields is not None:
            fields = _merge(fields, extra_fields, "extra fields", override=True)
        # as the round applied its standard: a round without a usable model dropped what needs one
        fallback = meta.get("fallback")
        scoring = fallback_standard(std, set(fallback["unavailable"]))[0] if fallback else std
        scored = apply_standard(fields, scoring, contributions=False)  # the movers' come from scored.matrix
        old_names = [t.name for t in stored_standard(str(head.loc[0, "standard_text"]), meta).tiers]
        new_names = [t.name for t in std.tiers]
        order = new_names + [n for n in old_names if n not in new_names]
        placed = _placings(roster, scored.roster, old_names, new_names, order)
        moved = _movers(ws, rid, placed, scored, [c.name for c in scoring.criteria], movers)
        captured = _captured(ws, meta["cutoff"], horizon, placed) if horizon is not None else {}
    counts_old = meta.get("tier_counts", {})
    counts_new = scored.info["tier_counts"]
    tiers = pd.DataFrame({"tier": order, "round": [int(counts_old.get(n, 0)) for n in order],
                          "new": [int(counts_new.get(n, 0)) for n in order]})
    summary = {"round_id": rid, "cutoff": meta["cutoff"],
               "standard_round": f"{meta['standard_name']} v{meta['standard_version']}",
               "standard_new": f"{std.name} v{std.version}", **_counts(placed), **captured}
    return WhatIf(rid, meta["cutoff"], std, scored, tiers, moved, summary, roster, order)


def _placings(old: pd.DataFrame, new: pd.DataFrame, old_names: list[str], new_names: list[str],
              order: list[str]) -> pd.DataFrame:
    """Each customer's placing in the round and under the new standard, side by side (the same
    customers: the new roster is scored on the round's stored fields), in the round's rank order.
    ``code_*`` is the tier's position in ``order`` (-1: not selected); ``level_*`` its step in
    its own standard. Ids and tiers stay Arrow-backed text: no Python string per customer."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(old["customer_id"], type=pa.large_string(), from_pandas=True),
                        value_set=pa.array(new["customer_id"], type=pa.large_string(), from_pandas=True))
    pos = found.to_numpy(zero_copy_only=False)
    if found.null_count or len(old) != len(new):  # cannot happen with the round's own fields
        raise DataError("the new roster does not hold the round's customers", fix="Report this as a bug.")
    pos = pos.astype(np.int64)
    tier_b = new["tier"].take(pos).reset_index(drop=True)

    def col(frame: pd.DataFrame, name: str, at: np.ndarray | None = None) -> np.ndarray:
        values = frame[name].to_numpy()
        return values if at is None else values[at]

    return pd.DataFrame({
        "customer_id": old["customer_id"].reset_index(drop=True),
        "tier_a": old["tier"].reset_index(drop=True), "tier_b": tier_b,
        "code_a": _codes(old["tier"], order), "code_b": _codes(new["tier"], order)[pos],
        "level_a": _levels(old["tier"], old_names), "level_b": _levels(new["tier"], new_names)[pos],
        "selected_a": col(old, "selected").astype(bool), "selected_b": col(new, "selected", pos).astype(bool),
        "rank_a": col(old, "rank"), "rank_b": col(new, "rank", pos),
        "score_a": col(old, "score"), "score_b": col(new, "score", pos),
    })


def _counts(p: pd.DataFrame) -> dict[str, Any]:
    """Entered, left, rose, fell, same and kept, by the rules of :func:`~xuanba.rounds.compare_rosters`
    (tiers compared in one order: the new standard's, then the round's other tiers)."""
    ta, tb = p["code_a"].to_numpy(), p["code_b"].to_numpy()
    sa, sb = p["selected_a"].to_numpy(), p["selected_b"].to_numpy()
    ra, rb = p["rank_a"].to_numpy(), p["rank_b"].to_numpy()
    status = np.full(len(p), 0)  # same
    status = np.where(rb < ra, 1, np.where(rb > ra, 2, status))  # rose, fell
    status = np.where(sa & sb & (tb < ta), 1, np.where(sa & sb & (tb > ta), 2, status))
    status = np.where(~sa & sb, 3, np.where(sa & ~sb, 4, status))  # entered, left
    n = np.bincount(status, minlength=5)
    kept = int((sa & sb).sum())
    union = int((sa | sb).sum())
    return {"customers": len(p), "selected_round": int(sa.sum()), "selected_new": int(sb.sum()), "kept": kept,
            "entered": int(n[3]), "left": int(n[4]), "rose": int(n[1]), "fell": int(n[2]), "same": int(n[0]),
            "selection_overlap": kept / union if union else float("nan")}


def _captured(ws: Workspace, cutoff: str, horizon: str | int, p: pd.DataFrame) -> dict[str, Any]:
    """The next horizon's revenue share of the round's selection and of the new one."""
    import datetime as dt

    from xuanba.rounds.backtest import _last_day, _outcomes, _share, parse_horizon

    cut = dt.date.fromisoformat(cutoff)
    end = cut + dt.timedelta(days=parse_horizon(horizon))
    last = _last_day(ws)
    if last <= cut:
        return {"horizon_days": 0, "value_captured_round": None, "value_captured_new": None}
    out = _outcomes(ws, cut, end).set_index("customer_id")["revenue"]
    revenue = out.reindex(p["customer_id"].astype(str)).fillna(0.0).to_numpy(dtype=float)
    return {"horizon_days": (min(end, last) - cut).days,
            "value_captured_round": _share(revenue, np.flatnonzero(p["selected_a"].to_numpy())),
            "value_captured_new": _share(revenue, np.flatnonzero(p["selected_b"].to_numpy()))}


def _movers(ws: Workspace, rid: int, p: pd.DataFrame, new: Scored, criteria: list[str], limit: int) -> pd.DataFrame:
    """The ``limit`` customers whose tier moves most (then whose rank moves most), and why."""
    step = p["level_a"].to_numpy() - p["level_b"].to_numpy()
    ra, rb = p["rank_a"].to_numpy(dtype=float), p["rank_b"].to_numpy(dtype=float)
    idx = np.flatnonzero(step != 0)
    idx = idx[np.lexsort((ra[idx], -np.abs(ra - rb)[idx], -np.abs(step[idx])))][:limit]
    pick = p.iloc[idx]
    frame = pd.DataFrame({
        "customer_id": pick["customer_id"].astype(str).to_numpy(),
        "tier_round": pick["tier_a"].to_numpy(dtype=object),
        "tier_new": pick["tier_b"].to_numpy(dtype=object),
        "tier_change": step[idx].astype(np.int64),
        "rank_round": pick["rank_a"].to_numpy(),
        "rank_new": pick["rank_b"].to_numpy(),
        "score_round": pick["score_a"].to_numpy(dtype=float),
        "score_new": pick["score_b"].to_numpy(dtype=float),
    })
    frame["moved_by"] = (_why(ws, rid, new, criteria, list(frame["customer_id"]), frame["rank_new"].to_numpy())
                         if len(frame) else [])
    return frame[list(MOVER_COLUMNS)]


def _why(ws: Workspace, rid: int, new: Scored, criteria: list[str], ids: list[str], new_ranks: np.ndarray,
         top: int = 3) -> list[str]:
    """For each customer, the criteria whose contribution changed most: ``name +x.x`` (points)."""
    before = contributions_of(ws, rid, ids)
    assert new.matrix is not None
    after = new.matrix[np.asarray(new_ranks, dtype=np.int64) - 1]  # the roster is in rank order
    delta: dict[str, dict[str, float]] = {cid: {} for cid in ids}
    for cid, row in zip(ids, after, strict=True):
        for crit, value in zip(criteria, row, strict=True):
            delta[cid][crit] = delta[cid].get(crit, 0.0) + float(value)
    for cid, crit, value in zip(before["customer_id"].astype(str), before["criterion"].astype(str),
                                before["contribution"].to_numpy(dtype=float), strict=True):
        delta[cid][crit] = delta[cid].get(crit, 0.0) - value
    out = []
    for cid in ids:
        moves = sorted(((abs(v), c, v) for c, v in delta[cid].items() if abs(v) >= 0.05), reverse=True)[:top]
        out.append(", ".join(f"{c} {v:+.1f}" for _a, c, v in moves))
    return out
