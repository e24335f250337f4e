"""What a round that stored only its selected customers (a round run on an engine) can say of the
rest of its base: how many there were, and where their rows are, if anywhere.

Every output that lists a round's customers (the web roster, the exports, ``xuanba share``) says
it with :func:`selection_note`, so none shows the selection as if it were the base.

Example
-------
>>> rest = rest_of_base({"stored_customers": "selected", "engine": "duckdb", "n_customers": 499,
...                      "n_selected": 80, "roster_out": None}, 2)
>>> rest.not_stored, rest.roster
(419, None)
>>> selection_note(rest, "en")
"Round 2 ran on duckdb and stored only its 80 selected customers of 499. The other 419 customers' rows were not kept (the round was run without --roster-out)."
>>> rest_of_base({"n_customers": 3}, 1) is None  # a round that stored every customer
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xuanba.i18n import t
from xuanba.rounds.store import holds_selection_only

#: The file of every customer's roster row that ``--roster-out`` writes.
ROSTER_FILE = "roster.parquet"


@dataclass(frozen=True)
class RestOfBase:
    """Round ``round_id`` stored ``n_selected`` of its ``n_customers``; ``named``: the
    ``--roster-out`` the round named (a folder, a URL or ``table:db.name``), found or not;
    ``roster``: where every customer's roster row is (the place its meta records), or ``None``
    when the round kept none or a local folder no longer holds it; ``local``: ``roster`` is a
    local file or folder this machine reads (not a URL or a catalog table)."""

    round_id: int
    engine: str
    n_customers: int
    n_selected: int
    roster: str | None
    named: str | None
    local: bool = False

    @property
    def not_stored(self) -> int:
        """The customers of the base whose rows the workspace does not hold."""
        return max(self.n_customers - self.n_selected, 0)

    @property
    def folder(self) -> str | None:
        """The folder the round named when every customer's row is found there (local only)."""
        return self.named if self.local and self.roster is not None else None


def rest_of_base(meta: dict[str, Any] | None, round_id: int) -> RestOfBase | None:
    """What round ``round_id`` (its stored ``meta``) says of the customers it did not store;
    ``None`` for a round that stored every customer. A local roster is looked for; a URL or a
    catalog table is taken as the round recorded it (this machine may not reach it)."""
    if not holds_selection_only(meta):
        return None
    m = meta or {}
    named = str(m["roster_out"]) if m.get("roster_out") else None
    places = m.get("roster_places") if isinstance(m.get("roster_places"), dict) else {}
    roster = places.get("roster") or (str(Path(named) / ROSTER_FILE) if named is not None else None)
    local = roster is not None and "://" not in roster and not roster.startswith("table:")
    if local and not Path(roster).exists():
        roster = None
    return RestOfBase(
        int(round_id),
        str(m.get("engine") or "an engine"),
        int(m.get("n_customers") or 0),
        int(m.get("n_selected") or 0),
        roster,
        named,
        local,
    )


def where_the_rest_is(rest: RestOfBase, lang: str) -> str:
    """Where the rows of the customers not stored are, in ``lang``: where ``--roster-out`` wrote
    them, a local folder that no longer holds them, or nowhere."""
    if rest.roster is not None:
        return t("selection_only_out", lang, place=rest.roster)
    if rest.named is not None:
        return t(
            "selection_only_gone",
            lang,
            rest=f"{rest.not_stored:,}",
            folder=rest.named,
            file=ROSTER_FILE,
        )
    return t("selection_only_lost", lang, rest=f"{rest.not_stored:,}")


def selection_note(rest: RestOfBase, lang: str, *, where: bool = True) -> str:
    """The sentence "Round R ran on E and stored only its N selected customers of M." and, with
    ``where``, where the others' rows are (:func:`where_the_rest_is`)."""
    head = t(
        "selection_only",
        lang,
        round_id=rest.round_id,
        engine=rest.engine,
        sel=f"{rest.n_selected:,}",
        n=f"{rest.n_customers:,}",
    )
    return f"{head} {where_the_rest_is(rest, lang)}" if where else head


def rank_in_roster_out(rest: RestOfBase, customer_id: str) -> int | None:
    """Customer ``customer_id``'s rank in the round's ``--roster-out`` roster, read from its
    Parquet file; ``None`` when it is not at hand here (gone, a URL, a catalog table) or the
    round did not rank them."""
    if rest.roster is None or not rest.local:
        return None
    import duckdb

    path = Path(rest.roster)
    path = str(path / "*.parquet" if path.is_dir() else path)  # a folder of parts on Spark
    with duckdb.connect() as con:
        row = con.execute(
            "SELECT min(rank) FROM read_parquet(?) WHERE customer_id = ?", [path, customer_id]
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
