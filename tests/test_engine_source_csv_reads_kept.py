"""What a DuckDB round keeps of each CSV source it read (how to read it again: its money or dates as
text, its short rows padded) lives as long as the source's table: a web server or a notebook runs many
rounds in one process, and the two caches keyed by the view's name (``_SHORT_ROWS``, ``_AS_TEXT``)
grew by an entry per source read."""

from __future__ import annotations

import gc

from xuanba.rounds import engine
from xuanba.rounds.engine import duckdb_source
from xuanba.rounds.source_check import checked_transactions


def _kept() -> int:
    """The entries the round keeps of the CSV sources it read, in whichever caches it has."""
    return sum(len(getattr(engine, name, ())) for name in ("_READS", "_SHORT_ROWS", "_AS_TEXT"))


def test_many_sources_read_leave_the_caches_small(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount\n" + "".join(f"c{i},2025-01-{1 + i % 28:02d},{i}\n" for i in range(50)))
    gc.collect()
    before = _kept()
    for _ in range(40):
        _, rows = checked_transactions(duckdb_source(str(path)), "2025-12-31")
        assert rows["used"] == 50
    gc.collect()
    assert _kept() - before <= 1  # the last source's, at most (the round holds none once it returned)


def test_a_source_still_held_is_still_read_again(tmp_path):
    """Tied to the table, not dropped early: a source held while others come and go is read again
    with its money as text when a cell below DuckDB's sample needs it (``¥13``)."""
    path = tmp_path / "tx.csv"
    rows = [f"c{i % 997},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 50}" for i in range(30_000)]
    rows[25_000] = "c5,2025-03-01,¥13"
    path.write_text("\n".join(["customer_id,ts,amount", *rows]) + "\n", "utf-8")
    held = duckdb_source(str(path))
    for _ in range(5):
        duckdb_source(str(path))
    gc.collect()
    _, got = checked_transactions(held, "2025-12-31")
    assert got["input_rows"] == got["used"] == 30_000
