"""Rounds: the standard applied to everyone at a cutoff, stored append-only, compared, replayed."""

from __future__ import annotations

from xuanba.rounds.diff import RoundDiff, compare_rosters, diff_rounds
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.replay import Replay, replay_cutoffs, replay_rounds, replay_rounds_on_engine
from xuanba.rounds.run import (
    Round,
    StoredTable,
    gather_fields,
    roster_bytes,
    run_round,
    table_sha256,
)
from xuanba.rounds.store import (
    customer_standing,
    list_rounds,
    load_round,
    previous_round,
    resolve_round_id,
)
from xuanba.rounds.summary import round_summary, tier_order

__all__ = [
    "Replay",
    "Round",
    "StoredTable",
    "RoundDiff",
    "compare_rosters",
    "customer_standing",
    "diff_rounds",
    "gather_fields",
    "list_rounds",
    "load_round",
    "previous_round",
    "replay_cutoffs",
    "replay_rounds",
    "replay_rounds_on_engine",
    "resolve_round_id",
    "roster_bytes",
    "round_summary",
    "run_round",
    "run_round_on_engine",
    "table_sha256",
    "tier_order",
]
