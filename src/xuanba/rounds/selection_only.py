"""What a round that stored only its selected customers (a round run on an engine) can say of the
rest of its base: how many there were, and where their rows are, if anywhere.

Every output that lists a round's customers (the web roster, the exports, ``xuanba share``) says
it with :func:`selection_note`, so none shows the selection as if it were the base.

Example
-------
>>> rest = rest_of_base({"stored_customers": "selected", "engine": "duckdb", "n_customers": 499,
...                      "n_selected": 80, "roster_out": None}, 2)
>>> rest.not_stored, rest.folder
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
    """Round ``round_id`` stored ``n_selected`` of its ``n_customers``; ``folder``: where every
    customer's row is (the round's ``--roster-out``, when it still holds :data:`ROSTER_FILE`);
    ``named``: the folder the round named, found or not (a file on DuckDB, a folder of parts on
    Spark)."""

    round_id: int
    engine: str
    n_customers: int
    n_selected: int
    folder: str | None
    named: str | None

    @property
    def not_stored(self) -> int:
        """The customers of the base whose rows the workspace does not hold."""
        return max(self.n_customers - self.n_selected, 0)


def rest_of_base(meta: dict[str, Any] | None, round_id: int) -> RestOfBase | None:
    """What round ``round_id`` (its stored ``meta``) says of the customers it did not store;
    ``None`` for a round that stored every customer."""
    if not holds_selection_only(meta):
        return None
    m = meta or {}
    named = str(m["roster_out"]) if m.get("roster_out") else None
    found = named if named is not None and (Path(named) / ROSTER_FILE).exists() else None
    return RestOfBase(
        int(round_id),
        str(m.get("engine") or "an engine"),
        int(m.get("n_customers") or 0),
        int(m.get("n_selected") or 0),
        found,
        named,
    )


def where_the_rest_is(rest: RestOfBase, lang: str) -> str:
    """Where the rows of the customers not stored are, in ``lang``: the roster-out folder, a
    folder that no longer holds them, or nowhere."""
    if rest.folder is not None:
        return t("selection_only_out", lang, folder=rest.folder, file=ROSTER_FILE)
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
    Parquet file; ``None`` when the folder is gone or the round did not rank them."""
    if rest.folder is None:
        return None
    import duckdb

    path = Path(rest.folder) / ROSTER_FILE
    path = str(path / "*.parquet" if path.is_dir() else path)  # a folder of parts on Spark
    with duckdb.connect() as con:
        row = con.execute(
            "SELECT min(rank) FROM read_parquet(?) WHERE customer_id = ?", [path, customer_id]
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
