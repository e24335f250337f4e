"""Spark reads a cell's spaces as ``xuanba ingest`` and DuckDB do: the spaces trimmed round an id,
a date or an amount are Unicode's space separators (the no-break U+00A0, the ideographic U+3000,
the em and narrow no-break ones ...), not the ASCII space alone (Spark's own ``trim``). 8c7f6b7's
Spark kept ``\\xa0c1`` and ``\\u3000c2\\u3000`` as customers of their own, and an id of a no-break
space alone as a customer, where ingest and DuckDB read ``c1``, ``c2`` and a missing id."""

from __future__ import annotations

import unicodedata

from tests._helpers import SPARK_MARKS

pytestmark = SPARK_MARKS

CUTOFF = "2025-12-31"
#: Unicode's space separators (Zs), told by Python's own tables, not by the constant under test.
SPACES = "".join(c for c in map(chr, range(0x110000)) if unicodedata.category(c) == "Zs")


def _on_spark(spark, tmp_path, name: str, cells: list[str]):
    """``cells`` (column ``q``, numbered ``i``) as a Spark table read from Parquet, as data reach Spark."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"i": list(range(len(cells))), "q": pa.array(cells, pa.string())}), tmp_path / f"{name}.parquet")
    spark._session.read.parquet(str(tmp_path / f"{name}.parquet")).createOrReplaceTempView(name)
    return spark.table(name)


def test_a_cell_is_trimmed_of_the_same_spaces_on_spark_duckdb_and_in_python(spark, tmp_path):
    """Every code point of the Basic Multilingual Plane and every 257th beyond it, round ``a`` and
    alone: ``text_value`` on Spark, on DuckDB and Python's strip of the Zs characters give the same
    text (``NULL`` for a cell of spaces); the constant ingest's side tables strip by is those
    characters. U+200B, U+FEFF, tabs and line breaks are kept, on every engine."""
    import ibis
    import pyarrow as pa

    from xuanba.ingest.rules import TRIMMED_SPACES, text_value
    from xuanba.standard.engine import to_arrow

    chars = [chr(c) for c in [*range(1, 0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 257)]]
    cells = [*(f"{c}a{c}" for c in chars), *chars, "\u3000\xa0 a\u2003b\u202f\u205f", "\u200ba\ufeff", "\ta\n"]
    want = [c.strip(SPACES) or None for c in cells]
    got = {}
    for engine, table in (("spark", _on_spark(spark, tmp_path, "cells", cells)),
                          ("duckdb", ibis.memtable(pa.table({"i": list(range(len(cells))), "q": cells})))):
        rows = to_arrow(table.select("i", v=text_value(table.q))).to_pylist()
        got[engine] = [r["v"] for r in sorted(rows, key=lambda r: r["i"])]
    for engine, values in got.items():
        assert [(hex(ord(c[0])), w, g) for c, w, g in zip(cells, want, values, strict=True) if w != g] == [], engine
    assert got["spark"][-3:] == ["a\u2003b", "\u200ba\ufeff", "\ta\n"]
    assert set(TRIMMED_SPACES) == set(SPACES) and len(SPACES) == 17


#: A sales export whose ids, dates and amounts have spaces round them that Spark's own ``trim``
#: leaves: the no-break space of a web page, the ideographic one of a Chinese input method, the em
#: and narrow no-break ones; an id of such a space alone (no id);
#: U+200B, U+FEFF and a tab, no such spaces (kept).
SPACED_ROWS = [
    ("c1", "2025-01-02", "10"), ("\xa0c1", "2025-02-02", "11"), ("\u3000c2\u3000", "2025-03-02", "12"),
    ("c2", "2025-03-05", "13"), ("\u2003c3\u202f", "2025-04-01", "14"), ("c3", "2025-05-04", "7"),
    ("\xa0", "2025-04-02", "15"), ("\u3000", "2025-04-03", "16"), ("\u200bc4", "2025-04-04", "17"),
    ("c4\ufeff", "2025-04-05", "18"), ("c6", "\xa02025-05-01\u3000", "20"), ("c6", "2025-05-02", "\u3000 21.5\xa0"),
    ("c7", "2025-05-03", "\u2003"), ("\tc5", "2025-05-05", "9"),
]
#: A line of such spaces alone below them: a row (Java's ``trim``, by which Spark's line reader skips
#: a line, leaves it), with no id, as ingest reads it.
SPACED_LINE = "\u3000\xa0"


def test_a_csv_of_spaced_ids_gives_spark_ingests_customers_and_rejects(spark, tmp_path):
    """The export above as a CSV: Spark's check of the source (what its round's roster and row
    accounting are made of) keeps ingest's customers, rows and money, and rejects and counts the
    rows ingest rejects, as DuckDB's does; ingest's workspace the reference. 8c7f6b7's Spark had
    ``\\xa0c1``, ``\\u3000c2\\u3000``, ``\\u2003c3\\u202f``, ``\\xa0`` and ``\\u3000`` as customers."""
    from xuanba import Workspace
    from xuanba.ingest import ingest
    from xuanba.rounds.engine import duckdb_source
    from xuanba.rounds.source_check import checked_transactions
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    path = tmp_path / "sales.csv"
    lines = ["customer_id,ts,amount", *(",".join(r) for r in SPACED_ROWS), SPACED_LINE]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        want = sorted(ws.con.execute("SELECT customer_id, ts::DATE::VARCHAR, amount::DOUBLE FROM transactions").fetchall())
    ids = {cid for cid, _, _ in want}
    assert ids == {"c1", "c2", "c3", "\u200bc4", "c4\ufeff", "c6", "\tc5"}  # as Python strips the Zs characters
    assert ids == {r[0].strip(SPACES) for r in SPACED_ROWS if r[0].strip(SPACES) and r[2].strip(SPACES)}
    got = {}
    for engine, source in (("duckdb", duckdb_source(str(path))), ("spark", spark_source(spark, str(path)))):
        table, rows = checked_transactions(source, CUTOFF)
        kept = to_arrow(table.select("customer_id", ts=table.ts.date().cast("string"),
                                     amount=table.amount.cast("float64"))).to_pylist()
        got[engine] = (sorted(tuple(r.values()) for r in kept), rows)
        assert rows["input_rows"] == rows["used"] + rows["rejected"] == len(SPACED_ROWS) + 1, engine
        assert rows["rejected_by_reason"] == report.rejected_by_reason, engine
    assert got["spark"] == got["duckdb"] and got["spark"][0] == want
    assert report.rejected_by_reason == {"missing customer id": 3, "missing amount": 1}


def test_a_frame_run_on_spark_as_ibis_default_backend_is_trimmed_as_on_duckdb(spark, monkeypatch):
    """A pandas frame's check with Spark as Ibis' default backend (``ibis.set_backend``): the
    frame's in-memory table runs on Spark, and its cells are trimmed of the spaces DuckDB trims
    there too. Session 34's rule chose DuckDB's ``trim`` by the tables' own backends (none for a
    table in memory), which Spark compiled to its own, of the ASCII space alone: ``\\xa0c1`` a
    customer apart from ``c1``, and a flag ``ｙｅｓ`` followed by an ideographic space refused."""
    import ibis
    import pandas as pd

    from xuanba.facts.compute import as_ibis_table
    from xuanba.ingest.backends import runs_on
    from xuanba.rounds.source_check import checked_transactions
    from xuanba.standard.engine import to_arrow

    frame = pd.DataFrame({
        "customer_id": ["c1", "\xa0c1", "\u3000c2\u3000", "c2", "c3\u2003"],
        "ts": ["2025-01-02", "2025-02-02", "2025-03-02", "2025-03-05", "2025-04-01"],
        "amount": ["10", "11", "12", "13", "14"],
        "is_return": ["no", "ｙｅｓ\u3000", "\xa0否", "", "\u3000ＹＥＳ"],
    })

    def checked() -> tuple:
        table, rows = checked_transactions(frame, CUTOFF)
        kept = to_arrow(table.select("customer_id", "amount", ts=table.ts.date().cast("string"))).to_pylist()
        return table, sorted((r["customer_id"], r["ts"], float(r["amount"])) for r in kept), rows

    _, on_duckdb, duckdb_rows = checked()
    monkeypatch.setattr(ibis.options, "default_backend", ibis.options.default_backend)  # put back after
    ibis.set_backend(spark)
    assert runs_on(as_ibis_table(frame)) is spark  # the frame's table, as a round reads it
    table, on_spark, rows = checked()
    assert table._find_backend(use_default=True) is spark  # the check ran on Spark
    # ids, signs and rows as Python's strip of the Zs characters and the flag words read them
    returns = {1, 4}
    want = sorted((cid.strip(SPACES), ts, -float(a) if i in returns else float(a))
                  for i, (cid, ts, a) in enumerate(zip(frame.customer_id, frame.ts, frame.amount, strict=True)))
    assert on_spark == on_duckdb == want
    assert rows["rejected"] == duckdb_rows["rejected"] == 0 and rows["used"] == len(frame)
