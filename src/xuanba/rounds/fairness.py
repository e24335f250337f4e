"""Fairness diagnostics (公正): does the standard, applied resolutely, favour a rep's book, a region or
a segment beyond what the value explains?

For each group of an attribute (owner, region, segment …): its customers and share of the base,
how many were selected and its **selection rate**, its share of the selection, its share of the
value, and the share of its own value the selection holds (**value captured**). A group whose
share of the selection runs well ahead of its share of the value is favoured; one far behind is
passed over. ``selection_vs_value`` is share of the selection ÷ share of the value (1 = in line).

Example
-------
>>> import numpy as np, pandas as pd
>>> t = fairness_table(pd.Series(["n", "n", "s", "s"]), np.array([True, True, False, False]),
...                    np.array([10.0, 10.0, 10.0, 10.0]), attribute="region")
>>> t[["group", "selection_rate", "share_of_selected", "share_of_value", "selection_vs_value"]].values.tolist()
[['n', 1.0, 1.0, 0.5, 2.0], ['s', 0.0, 0.0, 0.5, 0.0]]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from xuanba.errors import DataError, Listed, Phrase, quoted
from xuanba.workspace import Workspace

if TYPE_CHECKING:
    from xuanba.rounds.run import Round

ATTRIBUTES: tuple[str, ...] = ("owner", "region", "segment")
"""The attributes looked at by default, when the data have them."""

COLUMNS: tuple[str, ...] = ("attribute", "group", "customers", "share_of_base", "selected", "selection_rate",
                            "share_of_selected", "value", "share_of_value", "value_captured", "selection_vs_value")
"""Columns of a fairness table."""

MISSING = "(none)"


def fairness_table(groups: pd.Series, selected: np.ndarray, value: np.ndarray, *, attribute: str) -> pd.DataFrame:
    """One row per group of ``groups`` (customers without one are grouped as ``(none)``).

    ``selected`` and ``value`` are per customer, in the order of ``groups``.
    """
    g = groups.astype("object").where(groups.notna(), MISSING).astype(str).to_numpy()
    sel = np.asarray(selected, dtype=bool)
    val = np.nan_to_num(np.asarray(value, dtype=float))
    frame = pd.DataFrame({"group": g, "one": 1, "sel": sel.astype(int), "value": val, "sel_value": val * sel})
    agg = frame.groupby("group", sort=True).sum()
    n, n_sel, total = len(g), max(int(sel.sum()), 1), float(val.sum())
    out = pd.DataFrame({
        "attribute": attribute,
        "group": agg.index.astype(str),
        "customers": agg["one"].to_numpy(),
        "share_of_base": agg["one"].to_numpy() / n,
        "selected": agg["sel"].to_numpy(),
        "selection_rate": agg["sel"].to_numpy() / agg["one"].to_numpy(),
        "share_of_selected": agg["sel"].to_numpy() / n_sel,
        "value": agg["value"].to_numpy(),
        "share_of_value": agg["value"].to_numpy() / total if total else np.nan,
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value_captured"] = np.where(agg["value"].to_numpy() != 0,
                                         agg["sel_value"].to_numpy() / agg["value"].to_numpy(), np.nan)
        out["selection_vs_value"] = np.where(out["share_of_value"] > 0,
                                             out["share_of_selected"] / out["share_of_value"], np.nan)
    return out[list(COLUMNS)].round(6)


def _with_fields(workspace: Any, round_id: int | str) -> Round:
    """The stored round with all its fields: ``workspace`` itself when it is such a round already
    (a command asking for the table and the proof reads the round once)."""
    from xuanba.rounds.run import Round
    from xuanba.rounds.store import load_round

    rnd = workspace if isinstance(workspace, Round) else load_round(workspace, round_id, fields=True,
                                                                    contributions=False)
    from xuanba.rounds.selection_only import RestWhere, rest_of_round
    from xuanba.rounds.store import refuse_selection_only

    rest = rest_of_round(rnd)  # its --roster-out checked: a later round's rows are not this round's
    if rest is not None:  # rates over the selected alone would be wrong
        refuse_selection_only(rnd.meta, rnd.round_id, Phrase("err_what_fairness"),
                              fix=Phrase("err_selection_only_workspace_fix", rest=RestWhere(rest)))
    if rnd.fields is None:
        raise DataError(Phrase("err_round_no_fields", round_id=str(rnd.round_id)), fix=Phrase("err_round_no_fields_fix"))
    return rnd


def round_fairness(workspace: Workspace | str | Path | Round, round_id: int | str = "latest", *,
                   by: tuple[str, ...] | list[str] | None = None, value: str = "revenue_365d") -> pd.DataFrame:
    """The fairness table of a stored round, from what it stored: its selection, and ``value`` and
    the attributes from its fields (``by``: default every one of :data:`ATTRIBUTES` it has).
    ``workspace`` may be the round itself, loaded with its fields.

    Examples
    --------
    >>> round_fairness("shop.duckdb", "latest", by=["owner"])  # doctest: +SKIP
    """
    rnd = _with_fields(workspace, round_id)
    fields = rnd.fields
    wanted = list(by) if by else [a for a in ATTRIBUTES if a in fields.columns]
    missing = [a for a in [*wanted, value] if a not in fields.columns]
    if missing:
        raise DataError(Phrase("err_round_lacks_fields", round_id=str(rnd.round_id), names=Listed(missing)),
                        fix=Phrase("err_round_lacks_fields_fix"))
    if not wanted:
        raise DataError(Phrase("err_fairness_nothing_to_compare"), fix=Phrase("err_fairness_nothing_to_compare_fix"))
    sel = fields[["customer_id"]].merge(rnd.roster[["customer_id", "selected"]], on="customer_id", how="left")
    chosen = sel["selected"].fillna(False).to_numpy(dtype=bool)
    vals = pd.to_numeric(fields[value], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if fields[value].notna().any() and np.isnan(vals).all():
        raise DataError(Phrase("err_fairness_value_not_number", value=quoted(value), round_id=str(rnd.round_id)),
                        fix=Phrase("err_fairness_value_not_number_fix"))
    return pd.concat([fairness_table(fields[a], chosen, vals, attribute=a) for a in wanted], ignore_index=True)


def verify_round(workspace: Workspace | str | Path | Round, round_id: int | str = "latest") -> dict[str, object]:
    """Proof that a stored roster follows from its standard and data alone: the stored standard's
    text hashes to the round's ``standard_sha256``, the stored fields it read to ``data_sha256``,
    and scoring them again by that standard gives a roster whose hash is ``roster_sha256``; when
    the round stored its predictions' intervals, their columns hash to ``intervals.sha256``.
    ``workspace`` may be the round itself, loaded with its fields.

    Returns each check (``standard``, ``data``, ``roster``: true or false; ``intervals``: true,
    false, or ``None`` for a round without intervals), ``verified`` (the three, and the
    intervals when stored), the round id, its standard's language and the three stored hashes.

    Examples
    --------
    >>> verify_round("shop.duckdb", "latest")["verified"]  # doctest: +SKIP
    True
    """
    from xuanba.rounds.run import table_sha256
    from xuanba.standard.apply import scorer
    from xuanba.standard.score import SCORING_RULES

    rnd = _with_fields(workspace, round_id)
    std, meta = rnd.standard, rnd.meta
    used = sorted(f for f in std.fields_used() if f != "customer_id")
    inputs = rnd.fields[["customer_id", *used]]
    # the standard as the round applied it (a missing model's criteria and gates dropped), scored as
    # the round was (none said: pandas, before the switch). A roster scored by older rules that
    # these rules score differently cannot be re-checked (None: the rules changed, not a figure);
    # one whose data met none of the changed cases replays and is checked.
    rules = meta.get("scoring_rules")
    score = scorer(meta.get("scoring_engine") or "pandas")
    replays = table_sha256(score(rnd.fields, rnd.scored_standard).roster) == meta["roster_sha256"]
    checks = {
        "standard": std.sha256 == meta["standard_sha256"],
        "data": table_sha256(inputs) == meta["data_sha256"],
        "roster": replays if rules == SCORING_RULES or replays else None,
    }
    stored = meta.get("intervals")
    intervals = None
    if stored:
        cols = ["customer_id", *stored["columns"]]
        intervals = set(cols) <= set(rnd.fields.columns) and table_sha256(rnd.fields[cols]) == stored["sha256"]
    return {"round_id": rnd.round_id, "lang": std.lang, **checks, "intervals": intervals,
            "scoring_rules": rules, "scoring_rules_now": SCORING_RULES,
            "verified": all(v is True for v in checks.values()) and intervals is not False,
            **{k: meta[k] for k in ("standard_sha256", "data_sha256", "roster_sha256")}}
