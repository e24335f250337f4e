"""Returns in an engine round's source, read as ``xuanba ingest`` reads them.

Ingest takes a line for a return when its amount or quantity is negative, its order number a
credit note's (``C`` and a digit) or its status a return word, and stores its money negative
(:func:`xuanba.ingest.rules.is_return_line`, :func:`~xuanba.ingest.rules.netted`). e0ecc40's
engine round read a raw source's lines as they were written: a day with only a return was a
purchase occasion (frequency one too many), a credit note's positive amount was revenue, and a
return's cost written positive was a cost (margin down by it). The facts of the same file are
compared here with the facts of the workspace that ingested it: an independent path (ingest's
SQL, DECIMAL money, merged and checked lines) that the workspace's tests check on their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests._helpers import spark_test
from xuanba import Workspace
from xuanba.facts import customer_facts
from xuanba.facts.expressions import FACT_COLUMNS
from xuanba.ingest import ingest
from xuanba.rounds.engine import DECIMALS, duckdb_source, engine_fields
from xuanba.rounds.source_check import checked_transactions
from xuanba.standard import load_standard

CUTOFF = dt.date(2025, 12, 31)
STANDARD = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                         'field = "margin_total"\nweight = 1\n')
HEADER = ["customer_id", "ts", "amount", "cost", "order_id", "quantity", "status"]


def _write(path, lines) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(lines)


def _facts_both(path, tmp_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The facts at the cutoff of the CSV at ``path``: through ingest and a workspace, and
    straight from the file on the engine."""
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        assert report.rejected == 0 and report.merged == 0
        kept = customer_facts(ws, CUTOFF)
    table, _ = engine_fields(duckdb_source(str(path)), STANDARD, CUTOFF, keep=lambda t: t)
    got = table.to_pyarrow().to_pandas()
    cols = [c for c in FACT_COLUMNS if c in got.columns and c in kept.columns]
    assert {"frequency", "recency", "T", "orders", "revenue_total", "margin_total"} <= set(cols)
    return (kept[cols].sort_values("customer_id").reset_index(drop=True),
            got[cols].sort_values("customer_id").reset_index(drop=True))


def _typed_path(table) -> bool:
    """Whether the source check handed the source on (its typed path): no filter of the rows it
    rejects. Its columns alone cannot tell: the checked path of a source with ``is_return`` gives
    the same ones."""
    from ibis.expr import operations as ops

    return not table.op().find(ops.Filter)


def _same(kept: pd.DataFrame, got: pd.DataFrame) -> None:
    assert kept.customer_id.tolist() == got.customer_id.tolist()
    for col in kept.columns.drop("customer_id"):
        a, b = kept[col], got[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(b.astype(float), a.astype(float), rtol=0, atol=10.0 ** -DECIMALS, err_msg=col)
        elif col in ("first_purchase", "last_purchase"):  # a day (the workspace's) or its midnight (the engine's)
            assert pd.to_datetime(b).tolist() == pd.to_datetime(a).tolist(), col
        else:
            assert [str(x) for x in b] == [str(x) for x in a], col


def test_each_kind_of_return_is_read_as_ingest_reads_it(tmp_path):
    """A return by a negative amount, a negative quantity, a credit note's number and a status
    word, its cost written positive."""
    path = tmp_path / "tx.csv"
    _write(path, [
        ["a", "2025-01-01 09:30:00", "10", "4", "A1", "1", "ok"],
        ["a", "2025-02-01 09:30:00", "-3", "1", "A2", "1", "ok"],      # negative amount, positive cost
        ["a", "2025-03-01 09:30:00", "5", "2", "A3", "1", "ok"],
        ["b", "2025-01-05 09:30:00", "7", "3", "B1", "1", "ok"],
        ["b", "2025-01-20 09:30:00", "2", "1", "C100", "1", "ok"],     # a credit note written positive
        ["c", "2025-04-01 09:30:00", "9", "2", "X1", "1", "ok"],
        ["c", "2025-05-01 09:30:00", "9", "2", "X2", "1", "已退货"],     # a status word
        ["d", "2025-06-01 09:30:00", "8", "3", "D1", "2", "ok"],
        ["d", "2025-06-09 09:30:00", "3", "1", "D2", "-1", "ok"],      # a negative quantity
        ["e", "2025-07-01 09:30:00", "6", "1", "E1", "1", "Refunded"],  # a return word, any case
    ])
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")
    # read by hand: a's return day is no purchase and nets its money; c's status, b's credit note
    assert by_id.loc["a", "frequency"] == 1 and by_id.loc["a", "margin_total"] == 7.0
    assert by_id.loc["b", "revenue_total"] == 5.0 and by_id.loc["b", "margin_total"] == 3.0
    assert by_id.loc["c", "frequency"] == 0 and by_id.loc["c", "revenue_total"] == 0.0
    assert by_id.loc["d", "revenue_total"] == 5.0


def test_a_source_that_gives_returns_as_ingest_stores_them_is_read_as_it_is(tmp_path):
    """The workspace's own transactions copied out as Parquet (what docs/scale.md tells a user to
    do) give the same facts, and the source check takes its typed path: the table it hands on is
    the source's own columns, no return to net."""
    path = tmp_path / "tx.csv"
    _write(path, [["a", "2025-01-01 09:30:00", "10", "4", "A1", "1", "ok"], ["a", "2025-02-01 09:30:00", "-3", "1", "A2", "1", "ok"],
                  ["b", "2025-03-01 09:30:00", "4", "1", "C7", "1", "ok"], ["b", "2025-01-01 09:30:00", "9", "1", "B1", "1", "ok"]])
    parquet = tmp_path / "tx.parquet"
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(str(path), ws, tz="UTC")
        kept = customer_facts(ws, CUTOFF)
        ws.con.execute(f"COPY (SELECT customer_id, ts, CAST(amount AS DOUBLE) AS amount, CAST(cost AS DOUBLE) AS cost, "
                       f"is_return FROM transactions) TO '{parquet}' (FORMAT parquet)")
    source = duckdb_source(str(parquet))
    table, rows = checked_transactions(source, CUTOFF)
    assert rows["used"] == 4 and table.columns == source.columns and _typed_path(table)
    got = engine_fields(source, STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    cols = [c for c in FACT_COLUMNS if c in got.columns and c in kept.columns]
    _same(kept[cols].sort_values("customer_id").reset_index(drop=True),
          got[cols].sort_values("customer_id").reset_index(drop=True))


def test_a_flagged_return_written_positive_is_netted(tmp_path):
    """A source's own ``is_return`` beside a positive amount (a pipeline that flags returns and
    writes them unsigned): its money is made negative, as the workspace stores a return's."""
    source = pd.DataFrame({"customer_id": ["a", "a", "a"], "ts": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
                           "amount": [10.0, 4.0, 6.0], "cost": [3.0, 1.0, 2.0], "is_return": [False, True, None]})
    table, _ = checked_transactions(source, CUTOFF)
    assert not _typed_path(table)  # the helper tells the paths apart
    got = table.to_pyarrow().sort_by("ts").to_pydict()
    assert got["amount"] == [10.0, -4.0, 6.0] and got["cost"] == [3.0, -1.0, 2.0]
    assert got["is_return"] == [False, True, False]


_LINE = st.tuples(
    st.integers(0, 3),                                             # customer
    st.integers(0, 40),                                            # day
    st.decimals(-500, 500, places=2, allow_nan=False).filter(lambda d: d != 0),
    st.one_of(st.none(), st.decimals(0, 300, places=2, allow_nan=False)),
    st.sampled_from(["S", "C", "c", "SC"]),                         # order number's prefix
    st.sampled_from(["1", "2", "-1", "", "-inf", "nan", "-1e999", "Infinity"]),  # quantity (not finite: none)
    st.sampled_from(["ok", "", "退货", "作废单", "VOID", "shipped"]),
)


#: Lines whose columns are each of one shape across the file (every cost empty, every quantity
#: a whole number or empty, every status empty): a batch of several draws rarely makes them, and
#: the engine reads such a column by another path (an empty cost column is text to DuckDB).
_PLAIN_COLUMNS = [[(0, 0, Decimal("1.00"), None, "S", "1", ""), (0, 5, Decimal("-1.00"), None, "C", "", ""),
                   (1, 9, Decimal("2.50"), None, "S", "-1", ""), (2, 3, Decimal("3.00"), None, "SC", "2", "")]]


@example(parts=_PLAIN_COLUMNS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.lists(_LINE, min_size=1, max_size=14), min_size=2, max_size=5))
def test_random_lines_give_the_facts_ingest_gives(tmp_path_factory, parts):
    """Two to five draws of lines in one file, each draw's customers its own (``k<draw>-<c>``): a
    customer's facts are of its own lines alone, so a file checks what as many files of one draw
    did, for one engine query (building and compiling it is most of an example's ≈ 2 s). 4
    examples of 3.5 draws on average, and :data:`_PLAIN_COLUMNS`, against 12 of one draw."""
    tmp_path = tmp_path_factory.mktemp("returns")
    path = tmp_path / "tx.csv"
    first = dt.date(2025, 3, 1)
    lines = [(f"k{j}-{c}", d, a, k, p, q, s) for j, part in enumerate(parts) for (c, d, a, k, p, q, s) in part]
    _write(path, [[c, f"{first + dt.timedelta(days=d)} 12:00:00", f"{a}", "" if k is None else f"{k}",
                   f"{p}{i}", q, s] for i, (c, d, a, k, p, q, s) in enumerate(lines)])
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)


@pytest.mark.parametrize("ts", ["2025-01-01", "2025-01-01 10:00:00"])
def test_a_csv_of_dates_or_times_runs_a_round(tmp_path, ts):
    """A CSV whose dates DuckDB types DATE (no time of day) reaches the facts as timestamps
    (e0ecc40 stopped there: ``'DateColumn' object has no attribute 'date'``)."""
    path = tmp_path / "tx.csv"
    path.write_text(f"customer_id,ts,amount\na,{ts},5\nb,{ts},6\n", "utf-8")
    got = engine_fields(duckdb_source(str(path)), STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    assert sorted(got.customer_id) == ["a", "b"] and got.frequency.tolist() == [0, 0]


@pytest.mark.parametrize(("written", "typ"), [(["0", "1", "0", "1"], "INTEGER"), (["0", "2", "0", "2"], "BIGINT"),
                                             (["false", "true", "false", "true"], "VARCHAR"),
                                             (["0", "1", "0", "1"], "VARCHAR"), ([" 否", "是 ", "否", "是"], "VARCHAR")])
def test_a_source_is_return_not_boolean_is_read_as_a_flag(tmp_path, written, typ):
    """Ingest's table copied out with its ``is_return`` as 0/1 or as text (an export by another
    tool): every return already netted, so the source check hands the source on (its typed path),
    and the facts read the flag. c02920b (and e0ecc40) stopped there: Ibis's "Cannot compute
    precedence for `int32` and `boolean`" from the facts, DuckDB's ConversionException for 是."""
    import duckdb

    parquet = tmp_path / "tx.parquet"
    duckdb.sql(f"""COPY (SELECT * FROM (VALUES
        ('a', TIMESTAMP '2025-01-01', 10.0, 4.0, '{written[0]}'), ('a', TIMESTAMP '2025-02-01', -4.0, -1.0, '{written[1]}'),
        ('b', TIMESTAMP '2025-03-01', 5.0, 2.0, '{written[2]}'), ('b', TIMESTAMP '2025-04-01', 0.0, 0.0, '{written[3]}'))
        AS t(customer_id, ts, amount, cost, r)) TO '{parquet}' (FORMAT parquet)""")
    duckdb.sql(f"COPY (SELECT customer_id, ts, amount, cost, CAST(r AS {typ}) AS is_return FROM '{parquet}') "
               f"TO '{tmp_path / 'typed.parquet'}' (FORMAT parquet)")
    source = duckdb_source(str(tmp_path / "typed.parquet"))
    table, rows = checked_transactions(source, CUTOFF)
    assert rows["used"] == 4 and table.columns == source.columns and _typed_path(table)
    got = table.to_pyarrow().sort_by([("customer_id", "ascending"), ("ts", "ascending")]).to_pydict()
    assert got["is_return"] == [False, True, False, True]
    facts = engine_fields(source, STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas().set_index("customer_id")
    # read by hand: a's return day and b's zero-amount return (flagged only) are no purchase
    assert facts.frequency.tolist() == [0, 0] and facts.orders.tolist() == [1, 1]
    assert facts.loc["a", "revenue_total"] == 6.0 and facts.loc["a", "margin_total"] == 3.0
    with Workspace(tmp_path / "ws.duckdb") as ws:  # ingest reads the same file's flag alike (2 too: not 0)
        report = ingest(str(tmp_path / "typed.parquet"), ws, tz="UTC")
        kept = customer_facts(ws, CUTOFF).set_index("customer_id")
    assert report.rejected == 0 and report.returns == 2
    for col in ("frequency", "orders", "revenue_total", "margin_total"):
        assert kept[col].astype(float).tolist() == facts[col].astype(float).tolist(), col


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_is_return_that_says_neither_yes_nor_no_is_said_with_its_row(tmp_path, lang):
    """A text ``is_return`` with a word that is no flag: xuanba's error names the file, the
    column, the row and the value, in the reader's language (c02920b: DuckDB's ConversionException
    "Could not convert string '也许' to BOOL", a traceback)."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    path = tmp_path / "erp.csv"
    path.write_text("customer_id,ts,amount,is_return\na,2025-01-01,5,否\nb,2025-01-02,6,也许\nc,2025-01-03,6,\n", "utf-8")
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                   "--workspace", str(tmp_path / "w.duckdb"), "--lang", lang, "--engine", "duckdb",
                                   "--source", str(path), "--no-store"], env={"COLUMNS": "200"})
    said, row = {"en": ("says neither yes nor no", "row 2,"), "zh": ("既不是“是”也不是“否”", "第 2 行")}[lang]
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert said in res.output and row in res.output and "erp.csv" in res.output, res.output
    assert "'is_return'" in res.output or "“is_return”" in res.output
    assert "'也许'" in res.output


def test_a_long_unreadable_cell_is_quoted_cut(tmp_path):
    """A 10,000-character flag (a pasted note, a hostile cell): the error quotes its first
    :data:`~xuanba.rounds.source_check.SHOWN_CHARS` characters and says it was cut; bf59f46 quoted
    all of it (a 10 KB message on the console)."""
    from xuanba.rounds.source_check import SHOWN_CHARS, SourceError, checked_transactions

    cell = "也许" + "z" * 10_000
    path = tmp_path / "erp.csv"
    path.write_text(f"customer_id,ts,amount,is_return\na,2025-01-01,5,否\nb,2025-01-02,6,{cell}\n", "utf-8")
    with pytest.raises(SourceError) as err:
        checked_transactions(duckdb_source(str(path)), CUTOFF)
    said = err.value.render("en")
    assert len(said) < 800 and repr(cell[:SHOWN_CHARS]) + "…" in said and err.value.row == 2


#: A column the return rule reads, its cells on DuckDB's sample, and the late cell below it.
_LATE_CELLS = [("order_id", "{i}", "C{i}"), ("status", "1", "退货"), ("quantity", "1", "abc"), ("is_return", "0", "是")]


def test_a_csv_whose_return_columns_look_numeric_on_duckdbs_sample_are_read_to_their_end(tmp_path):
    """Order numbers 1, 2, ..., status codes, quantities and 0/1 flags on DuckDB's 20,480-row
    sample, then a credit note ``C20600``, ``退货``, ``abc`` and ``是``, each on a late line of
    its own (customers ``k1`` to ``k4``, the line's other cells as the sample's): the engine reads
    the file to its end as ingest does (every cell text). c02920b, which reads these columns for
    the return rule, stopped at the first such line ("'C20600' is not a BIGINT"), where e0ecc40
    ran. One file holds the four columns (a file each took four 20,600-row reads on both paths):
    each is typed on the sample and read alone by the rule, and its late line is checked by hand."""
    n = 20_600
    path = tmp_path / "tx.csv"
    days = [f"2025-{1 + i % 9:02d}-{10 + i % 9} 10:00:00" for i in range(n)] + ["2025-11-11 10:00:00"] * 4
    amounts = [5 + i % 7 for i in range(n)] + [4] * 4
    ids = [f"k{i % 500}" for i in range(n)] + [f"k{j + 1}" for j in range(4)]
    frame = {"customer_id": ids, "ts": days, "amount": amounts}
    for j, (column, first, late) in enumerate(_LATE_CELLS):
        frame[column] = [first.format(i=i) for i in range(n + 4)]
        frame[column][n + j] = late.format(i=n + j)
    pd.DataFrame(frame).to_csv(path, index=False)
    got = engine_fields(duckdb_source(str(path)), STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    got = got.set_index("customer_id").sort_index()
    for j, (column, _, _) in enumerate(_LATE_CELLS):  # by hand: the late line a return, but abc
        own = [a for i, a in zip(ids[:n], amounts, strict=False) if i == f"k{j + 1}"]
        assert got.loc[f"k{j + 1}", "revenue_total"] == sum(own) + (4 if column == "quantity" else -4), column
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        assert report.rejected == 0
        kept = customer_facts(ws, CUTOFF).set_index("customer_id").sort_index()
    for col in ("frequency", "orders", "revenue_total"):
        np.testing.assert_allclose(got[col].astype(float), kept[col].astype(float), err_msg=col)


def test_a_raw_export_with_its_own_is_return_gives_the_facts_ingest_gives(tmp_path):
    """A raw file's own ``is_return`` beside a positive amount: ingest maps it and reads it by the
    engine's flag words (983f5a9 left it unmapped: the flagged line was revenue in the workspace
    and a return on the engine)."""
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount,cost,is_return\na,2025-01-01 09:00:00,10,4,false\n"
                    "a,2025-02-01 09:00:00,4,1,true\nb,2025-03-01 09:00:00,5,2,false\n", "utf-8")
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = kept.set_index("customer_id")  # by hand: a's flagged line is no purchase and nets its money
    assert by_id.loc["a", "frequency"] == 0 and by_id.loc["a", "revenue_total"] == 6.0
    assert by_id.loc["a", "margin_total"] == 3.0


@pytest.mark.parametrize("header", ["是否退货", "退货标志", "Return Flag", "IS_RETURN"])
def test_a_return_flag_under_a_chinese_or_other_header_is_mapped(tmp_path, header):
    """Ingest maps a return flag by its aliases (是否退货, 退货标志, ...), as any field, and the
    engine reads the same file by the same mapping to the same facts (c778c83's engine read the
    canonical name ``is_return`` only: 退货标志 was an extra column there, the line a sale)."""
    lines = "a,2025-01-01 09:00:00,10,4,否\na,2025-02-01 09:00:00,4,1,是\nb,2025-03-01 09:00:00,5,2, N \n"
    raw = tmp_path / "raw.csv"
    raw.write_text(f"客户编号,下单日期,金额,成本,{header}\n{lines}", "utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(raw), ws, tz="UTC")
        kept = customer_facts(ws, CUTOFF)
    assert report.sources[0].mapping["is_return"] == header and report.returns == 1
    got = engine_fields(duckdb_source(str(raw)), STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    cols = [c for c in FACT_COLUMNS if c in got.columns and c in kept.columns]
    _same(kept[cols].sort_values("customer_id").reset_index(drop=True),
          got[cols].sort_values("customer_id").reset_index(drop=True))
    assert kept.set_index("customer_id").loc["a", "revenue_total"] == 6.0


_FLAG_WORDS = ["true", "FALSE", " t", "f ", "Yes", "no", "Y", "n", "1", "0", "是", " 否 ", "", "  ", "2", "-1", "0.0",
               "1e3", "+0", ".5", "也许", "truee", "1,0", "0x1", "nan", "是否", "１"]
_FLAG_CELLS = st.one_of(
    st.sampled_from(_FLAG_WORDS),
    st.text(alphabet="01yesnotruf是否 .+-eE１０ｙｅｓｎｏ　－．", max_size=5),
)


def _flags_file(path, lines) -> None:
    """``lines`` of ``(flag, amount)`` under ``customer_id, ts, amount, is_return``, each its own customer."""
    first = dt.datetime(2025, 3, 1, 12)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["customer_id", "ts", "amount", "is_return"])
        out.writerows([f"k{i}", f"{first + dt.timedelta(days=i)}", a, c] for i, (c, a) in enumerate(lines))


#: Every word of :data:`_FLAG_WORDS` in one draw, the amounts in turn: all met every run, whatever the seed.
_FLAG_WORDS_DRAWN = [list(zip(_FLAG_WORDS, itertools.cycle(["5", "-3", "0"]), strict=False))]


@example(parts=_FLAG_WORDS_DRAWN)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.lists(st.tuples(_FLAG_CELLS, st.sampled_from(["5", "-3", "0"])), min_size=1, max_size=8),
                      min_size=2, max_size=5))
def test_random_flags_are_read_alike_by_ingest_and_the_engine(tmp_path_factory, parts):
    """Any text in a raw file's ``is_return``: a line ingest flags is a line the engine flags (and
    its money netted alike); a flag that says nothing is a row ingest rejects as *unreadable return
    flag* and the engine refuses, naming the first such row and counting as many as ingest rejects.
    The lines ingest keeps are then read on the engine without the others, compared line by line.

    Two to five draws of lines in one file (each line its own customer): one ingest and at most
    two engine queries check every line of them, where one file of one draw checked its lines only
    when none was refused (about one draw in five), else its first refused row alone."""
    from xuanba.rounds.source_check import SourceError

    tmp_path = tmp_path_factory.mktemp("flags")
    lines = [line for part in parts for line in part]
    path = tmp_path / "tx.csv"
    _flags_file(path, lines)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        kept = dict(ws.con.execute("SELECT customer_id, (amount, is_return) FROM transactions").fetchall())
        rejected = ws.con.execute("SELECT source_row, value FROM rejects WHERE reason = 'unreadable return flag' "
                                  "ORDER BY 1").fetchall()
    assert report.rejected == len(rejected)

    def read(path):
        table, _ = checked_transactions(duckdb_source(str(path)), CUTOFF)
        return {r["customer_id"]: (r["amount"], r["is_return"]) for r in table.to_pyarrow().to_pylist()}

    try:
        got = read(path)
    except SourceError as exc:
        assert rejected and exc.row == rejected[0][0] and exc.column == "is_return", (rejected, exc)
        assert exc.count == len(rejected), (rejected, exc.count)
    else:
        assert not rejected
        assert got == {c: (float(a), r) for c, (a, r) in kept.items()}
        return
    # the lines ingest kept, alone: none refused by the engine, so the refused ones are the same
    # lines on both (as many, and none of the kept); each read alike
    refused = {row for row, _ in rejected}
    if len(refused) < len(lines):
        (tmp_path / "kept").mkdir()
        again = tmp_path / "kept" / "tx.csv"
        _flags_file(again, [line for i, line in enumerate(lines) if i + 1 not in refused])
        named = {f"k{i}": f"k{n}" for n, i in enumerate(i for i in range(len(lines)) if i + 1 not in refused)}
        assert read(again) == {named[c]: (float(a), r) for c, (a, r) in kept.items()}


#: Negative quantities as exports write them, one customer each in a file of the test below: those
#: whose mark is a decimal comma (ingest decides one mark for a whole column) in a file of their own.
_TEXT_QUANTITIES = {"point": ["-1,000", "－1", "−1", "(1)", " - 1 ", "¥-1", "-1.2万"], "comma": ["-1,5", "-1.234.567"]}


@pytest.mark.parametrize("mark", list(_TEXT_QUANTITIES))
def test_a_text_quantity_is_read_as_ingest_reads_it(tmp_path, mark):
    """A negative quantity as an export writes it (thousands separators, a decimal comma, the
    full-width or Unicode minus, parentheses): a return on the engine as in the workspace. 983f5a9's
    engine read it by a plain cast: no number, so the line was a sale there.

    Each quantity is the second line of a customer of its own (``a<j>``), those of one decimal mark
    in one file (ingest reads a column by one mark, the engine each cell alone): each customer is
    checked by hand, so a quantity read as a sale on either path fails it. Two files and engine
    queries where a file each took nine."""
    quantities = _TEXT_QUANTITIES[mark]
    path = tmp_path / "tx.csv"
    lines = [["b", "2025-01-01 09:30:00", "9", "2", "B1", "2,000", "ok"]]
    for j, quantity in enumerate(quantities):
        lines += [[f"a{j}", "2025-01-01 09:30:00", "10", "4", f"A{j}-1", "1", "ok"],
                  [f"a{j}", "2025-02-01 09:30:00", "4", "1", f"A{j}-2", quantity, "ok"]]
    _write(path, lines)
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: each a<j>'s second line a return, b's line a sale
    assert [(q, by_id.loc[f"a{j}", "frequency"], by_id.loc[f"a{j}", "revenue_total"])
            for j, q in enumerate(quantities)] == [(q, 0, 6.0) for q in quantities]
    assert by_id.loc["b", "revenue_total"] == 9.0 and len(by_id) == len(quantities) + 1


def test_a_cost_column_of_no_value_beside_a_return(tmp_path):
    """A DataFrame whose ``cost`` is all ``None`` (Ibis's null type) and that holds a return: the
    return is netted and the costs stay unknown. c02920b stopped with AttributeError
    ('NullColumn' object has no attribute 'abs'), where e0ecc40 ran (counting the return's day
    as a purchase)."""
    source = pd.DataFrame({"customer_id": ["a", "a", "b"], "ts": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
                           "amount": [10.0, -4.0, 5.0], "cost": [None, None, None],
                           "status": [None, None, None], "is_return": [None, None, None]})
    got = engine_fields(source, STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas().set_index("customer_id")
    assert got.frequency.tolist() == [0, 0] and got.revenue_total.tolist() == [6.0, 5.0]
    assert got.margin_total.isna().all()


def test_facts_of_a_table_whose_dates_are_days_are_those_of_its_midnights():
    """``customer_facts`` of an Arrow table with a ``date32`` column (pandas' ``.date`` values):
    e0ecc40 stopped on it (``'DateColumn' object has no attribute 'date'``); now the facts of the
    same days given as timestamps."""
    import pyarrow as pa

    from xuanba.facts import customer_facts

    days = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 5)]
    cols = {"customer_id": ["a", "a", "b"], "amount": [1.0, 2.0, 3.0]}
    as_days = customer_facts(pa.table({**cols, "ts": pa.array(days, pa.date32())}), CUTOFF)
    as_times = customer_facts(pa.table({**cols, "ts": pa.array([dt.datetime.combine(d, dt.time()) for d in days])}),
                              CUTOFF)
    assert as_days.equals(as_times)  # customer_facts gives Arrow back for Arrow
    assert dict(zip(as_days["customer_id"].to_pylist(), as_days["frequency"].to_pylist(), strict=True)) == {"a": 1, "b": 0}


_HELPER_NAMES = ["_why", "_unread", "_id_text", "_cost_empty", "_cost_unread", "_flag_unread", "_ret", "_to_net",
                 "_row", "_v", "_id", "_xuanba_row"]


@pytest.mark.parametrize("flag", [["no", "yes", "no"], [False, True, False]])
def test_a_source_with_columns_named_as_the_checks_own_is_read_as_without_them(flag):
    """A source whose extra columns bear the names the source check gives its own (``_why``,
    ``_flag_unread``, ...): its rows are judged as those of the same source without them, and the
    columns are handed on as they came. 983f5a9 stopped on a raw ConversionException (its own
    ``_flag_unread`` was told by the name, and the source's text summed)."""
    base = pd.DataFrame({"customer_id": ["a", "a", " "], "ts": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01"]),
                         "amount": [5.0, 2.0, 3.0], "cost": [1.0, 1.0, 1.0], "is_return": flag})
    extra = base.assign(**{c: [f"{c}{i}" for i in range(3)] for c in _HELPER_NAMES})
    plain, plain_rows = checked_transactions(base, CUTOFF)
    table, rows = checked_transactions(extra, CUTOFF)
    assert rows == plain_rows == {"input_rows": 3, "used": 2, "rejected": 1,
                                  "rejected_by_reason": {"missing customer id": 1}}
    got = table.to_pyarrow().sort_by("ts").to_pandas()
    want = plain.to_pyarrow().sort_by("ts").to_pandas()
    pd.testing.assert_frame_equal(got[want.columns], want)
    assert got.amount.tolist() == [5.0, -2.0] and got.cost.tolist() == [1.0, -1.0]  # by hand: the flagged line netted
    for c in _HELPER_NAMES:  # handed on as they came, row for row
        assert got[c].tolist() == [f"{c}0", f"{c}1"], c
    facts = engine_fields(extra, STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    assert facts.revenue_total.tolist() == [3.0] and facts.frequency.tolist() == [0]


def _ingest_reads_negative(cells: list[str | None]) -> list[bool | None]:
    """Whether ingest reads each cell as a negative number (``None``: no number), each as the one
    cell of its column: the decimal mark by ingest's ``decimal_mark``, the number by its
    ``_number`` (a quantity's: ``DOUBLE``), on DuckDB. An independent path: ingest's SQL text."""
    import duckdb

    from xuanba.ingest.load import _finite, _narrow, _number, _text, decimal_mark
    from xuanba.ingest.read import ROW

    con = duckdb.connect()
    con.execute("CREATE TABLE c AS SELECT unnest(?::VARCHAR[]) AS q, generate_subscripts(?::VARCHAR[], 1) AS i",
                [cells, cells])
    # a cell's mark depends only on its digits and marks: decided once per distinct one
    con.execute(f"CREATE TABLE m AS SELECT DISTINCT regexp_replace({_narrow('q')}, '[^0-9.,]', '', 'g') AS k FROM c")
    marks = {}
    for (k,) in con.execute("SELECT k FROM m").fetchall():
        con.execute(f"CREATE OR REPLACE TABLE one AS SELECT CAST(? AS VARCHAR) AS q, CAST(1 AS BIGINT) AS {ROW}", [k])
        marks[k] = decimal_mark(con, "q", None, table="one")
    out = {}
    for mark in (".", ","):
        keys = [k for k, v in marks.items() if v == mark]
        rows = con.execute(f"SELECT i, {_finite('v')} FROM (SELECT i, {_number(_text('q'), 'DOUBLE', mark)} AS v "
                           f"FROM c WHERE list_contains(?, regexp_replace({_narrow('q')}, '[^0-9.,]', '', 'g')))",
                           [keys]).fetchall()
        out.update({i: None if v is None else v < 0 for i, v in rows})  # inf, NaN: no number, as ingest reads a quantity
    return [out.get(i + 1) for i in range(len(cells))]


def _engine_reads_negative(cells: list[str | None], table=None) -> list[bool | None]:
    """:func:`~xuanba.ingest.rules.negative_number` of each cell, on DuckDB (or of the column
    ``q`` of ``table``, its rows numbered by ``i``, on its backend)."""
    import ibis
    import pyarrow as pa

    from xuanba.ingest.rules import negative_number
    from xuanba.standard.engine import to_arrow

    t = table if table is not None else ibis.memtable(pa.table({"i": list(range(len(cells))),
                                                                "q": pa.array(cells, pa.string())}))
    got = to_arrow(t.select("i", n=negative_number(t.q))).to_pylist()
    return [r["n"] for r in sorted(got, key=lambda r: r["i"])]


#: Cells of hostile quantities: every kind ingest reads (or refuses) around a number.
_HOSTILE = ["-1,000", "-1,5", "－1", "−1", "(¥3)", "1,2,3", "-", "-0", "abc", "", " ", "+-5", "-+5", "--5", "-inf",
            "-Infinity", "-nan", "-1e-400", "-1e400", "-1.2万", "-3亿元", "¥-5元", "-¥5", "(5元)", "RMB-5", "-5 CNY",
            "1.234.567", "-1.234.567", "-1.2.3", "(-)", "()", "(5万)", "(5", "5)", "-5\n", "\x0b-5", "-5\u2028",
            "- 1", "−1,5", "（１）", "-1_000", "-0x1", "-1d", "¥¥-5", "-5元元", "-1.2元万", "12%", "-\u00a01", None,
            # not finite: no number (on 6a3d048 ingest stored them, and -inf made the line a return)
            "inf", "+inf", "-INF", "Infinity", "nan", "NaN", "-NaN", "1e999", "-1e999", "(1e999)", "-1e999万", "¥-inf",
            "－ｉｎｆ", "-1e308万", "-" + "9" * 400, "-" + "0" * 298 + "1", "-" + "0" * 299 + "1", " -1e400 "]


@pytest.mark.parametrize("alphabet", ["1-(),.¥ 万", "10-+.e_", "5－−（）．，元亿", "5inf-+a"])
def test_the_engine_reads_a_text_quantitys_sign_as_ingests_reader(alphabet):
    """Every text of up to three characters of each alphabet (and the hostile cells): negative on
    the engine exactly where ingest's number reader reads it negative, and no number exactly where
    ingest reads none (then counted as ingest counts it)."""
    import itertools

    cells = [*_HOSTILE, *("".join(p) for k in range(1, 4) for p in itertools.product(alphabet, repeat=k))]
    want, got = _ingest_reads_negative(cells), _engine_reads_negative(cells)
    assert [(c, g) for c, w, g in zip(cells, want, got, strict=True) if w != g] == []
    assert sum(w is True for w in want) > 20 and sum(w is None for w in want) > 20  # both kinds met


def _batches(cells: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    """Two to five draws of ``cells`` read in one column: each cell is read on its own on both
    paths (ingest's as the one cell of its column, the engine's row by row), so five draws in one
    query check what five examples did, for one engine query (its building and compiling is about
    half an example's ≈ 0.4 s). 20 examples of 3.5 draws on average (hypothesis' mean size): more
    draws than 60 examples of one, fewer of the simplest ones (:data:`_SMALLEST`)."""
    return st.lists(cells, min_size=2, max_size=5).map(lambda draws: [c for d in draws for c in d])


#: The near-empty cells hypothesis draws first in each example (zeros, a sign alone, a mark alone,
#: signed zeros): 60 examples of one draw met them by chance, 20 of a few draws did not
#: (docs/benchmarks_suite.md, session 33), so they are an example of their own.
_SMALLEST = ["", "0", "-0", "+0", "-", "+", ".", ",", "-.", "-0.0", "-0,0", "-00", "(0)", "-0万", "¥-0", "－０", "-0e1",
             "0-", "-0 ", " -0", "-0.", "-,0", "−0"]


@example(cells=_SMALLEST)
@settings(max_examples=20, deadline=None)
@given(cells=_batches(st.lists(st.one_of(
    st.text(alphabet="0123456789-+.,()¥$元万亿 eE_－−（）．，０１\t\x0bRMBCNYinfaty%", max_size=12),
    st.builds(lambda a, w, b: a + w + b, st.sampled_from(["", "-", "+", " -", "(", "¥", "－"]),
              st.sampled_from(["inf", "INF", "Infinity", "nan", "NaN", "1e999", "9e308", "1e308", "1.7e308"]),
              st.sampled_from(["", " ", ")", "万", "元", "e1"])),
    st.from_regex(r"\A[ (¥-]{0,3}[0-9]{1,4}([.,][0-9]{1,3}){0,3}[万元)¥ ]{0,3}\Z"),
), min_size=1, max_size=40)))
def test_random_text_quantities_are_read_alike(cells):
    assert _engine_reads_negative(cells) == _ingest_reads_negative(cells)


#: Quantities as an export writes them "as displayed", and the same with separators in wrong places.
_EXPORTED = ["1,234", "-1,234", "1,234.50", "-1,234.50", "-0.5", "12.000", "+1,234", "-12,345,678.9", "-0,000.00",
             "-000,001", "+0.0", "-1", "5", "1,23,4", ",123", "1,,234", "1.234,5", "-1,234,5", "-1,5", "-1,50",
             "1,234.", "-.5", "-1,234.5.6", "-1234,567", "1,2345", "-1,234,", "+-1,234", "- 1,234", "-1 234",
             "\t-1,234", "-1,234\n", "-1.234.567", "-1,234.567,8"]


@example(cells=_EXPORTED)
@settings(max_examples=20, deadline=None)
@given(cells=_batches(st.lists(st.builds(
    lambda sign, groups, seps, tail: sign + "".join(g + s for g, s in zip(groups, seps, strict=False)) + tail,
    st.sampled_from(["", "-", "+", "+-", "--", "- ", "\t-"]),
    st.lists(st.text(alphabet="0123456789", max_size=4), min_size=1, max_size=4),
    st.lists(st.sampled_from([",", ".", ",,", ", ", ""]), max_size=4),
    st.sampled_from(["", ".5", ",5", ".50", ",500", ".", ",", "\n"]),
), min_size=1, max_size=40)))
def test_quantities_shaped_as_an_export_writes_them_are_read_alike(cells):
    """Thousands separators and decimals, in their places and out of them (``1,23,4``, ``,123``,
    ``1.234,5``, ``-1,234,5``): the engine's reading, its shortcut for the common shapes included,
    is ingest's."""
    assert _engine_reads_negative(cells) == _ingest_reads_negative(cells)


def test_the_common_shapes_take_the_shortcut_and_it_reads_them_as_ingest():
    """The shortcut of :func:`~xuanba.ingest.rules.negative_number` (two patterns) taken by the
    shapes an export writes and by no other of :data:`_EXPORTED` and the hostile cells; on its own, it
    reads each cell it takes as ingest's reader does (of at most 300 characters: ``-`` and 300 ones
    or ``-0.00…1`` of 301 take the chain)."""
    import ibis
    import pyarrow as pa

    from xuanba.ingest.rules import _SIMPLE, _SIMPLE_NEGATIVE, text_value

    long = ["-" + "1" * 299, "-0." + "0" * 296 + "1", "-" + "1" * 300, "-0." + "0" * 297 + "1"]  # 300, 301 chars
    cells = [*_EXPORTED, *long, *_HOSTILE]
    t = ibis.memtable(pa.table({"i": list(range(len(cells))), "q": pa.array(cells, pa.string())}))
    text = text_value(t.q)
    taken = text.re_search(_SIMPLE) & (text.length() <= 300)
    got = sorted(t.select("i", taken=taken, n=text.re_search(_SIMPLE_NEGATIVE)).to_pyarrow().to_pylist(),
                 key=lambda r: r["i"])
    assert [c for c, r in zip(cells, got, strict=True) if r["taken"]][:15] == [*_EXPORTED[:13], *long[:2]]
    want = _ingest_reads_negative(cells)
    assert [(c, w) for c, w, r in zip(cells, want, got, strict=True) if r["taken"] and r["n"] != w] == []
    assert sum(w is True for w, r in zip(want, got, strict=True) if r["taken"]) > 8  # both signs met


def _wide(cell: str) -> str:
    """``cell`` with its digits, marks and signs typed full-width (as a Chinese input method types them)."""
    from xuanba.ingest.rules import NARROW, WIDE

    return cell.translate(str.maketrans(NARROW[:-1], WIDE[:-1]))  # '-' as '－' (WIDE's last is '−', also '-')


def test_full_width_quantities_in_the_exported_shapes_are_read_alike():
    """``１２``, ``－１，２３４．５０``, ``1２``, ``−１`` ...: the exported shapes typed full-width (whole or in
    part) read as ingest reads them, its shortcut now taken by them too."""
    cells = [_wide(c) for c in _EXPORTED] + [c.replace("1", "１").replace("-", "−") for c in _EXPORTED] + [
        "１２", "－１", "−１", "1２", "＋１．５", "－" + "１" * 300, "－" + "１" * 299]
    assert any(c != w for c, w in zip(cells, _EXPORTED, strict=False))
    want = _ingest_reads_negative(cells)
    assert _engine_reads_negative(cells) == want
    assert sum(w is True for w in want) > 10 and sum(w is False for w in want) > 10


def test_a_full_width_quantity_costs_about_what_an_ascii_one_does():
    """20,000 cells of ``１２`` (full-width) and of ``12`` read on one DuckDB thread: the full-width
    ones cost at most 15 µs of CPU a cell more (e97c1c3: 65 µs, the whole chain after a failed cast
    of the cell as written; now about 2 µs: translated, then the shortcut)."""
    import resource

    import ibis

    from xuanba.ingest.rules import negative_number

    con = ibis.duckdb.connect(threads=1)
    n = 20_000

    def cpu(cell: str) -> float:
        con.raw_sql(f"CREATE OR REPLACE TABLE q AS SELECT '{cell}' || CAST(i % 10 AS VARCHAR) AS q FROM range({n}) r(i)")
        t = con.table("q")
        read = t.select(n=negative_number(t.q))
        expr = read.aggregate(n=read.n.cast("int64").sum())
        best = float("inf")
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_SELF)
            assert con.to_pyarrow(expr)["n"][0].as_py() == 0
            after = resource.getrusage(resource.RUSAGE_SELF)
            best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return best

    ascii_cpu, wide_cpu = cpu("1"), cpu("１")
    assert wide_cpu - ascii_cpu < n * 15e-6, (wide_cpu, ascii_cpu)


def test_the_cast_pattern_is_duckdbs_cast():
    """The pattern the engine reads DuckDB's cast by, against the cast itself over every text of up
    to five characters of ``10-+.e_`` (``+-5`` is -5, ``1_000`` is 1000, ``-+5`` no number)."""
    import itertools

    import duckdb

    cells = ["".join(p) for k in range(1, 6) for p in itertools.product("10-+.e_", repeat=k)]
    cells += ["inf", "-INF", "+-infinity", "nan", " -5\t", "\x0b5", "5\x0c", "-1e-400", "-1e400", "infinit"]
    want = [None if v is None else v < 0 for (v,) in duckdb.execute(
        "SELECT TRY_CAST(q AS DOUBLE) FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(q, i) ORDER BY i", [cells]).fetchall()]
    import ibis
    import pyarrow as pa

    from xuanba.ingest.rules import _cast_negative

    t = ibis.memtable(pa.table({"i": list(range(len(cells))), "q": cells}))
    got = [r["n"] for r in sorted(t.select("i", n=_cast_negative(t.q)).to_pyarrow().to_pylist(), key=lambda r: r["i"])]
    assert [(c, w, g) for c, w, g in zip(cells, want, got, strict=True) if w != g] == []


@spark_test
def test_the_text_rules_read_alike_on_spark(spark, tmp_path):
    """A text quantity's sign and a return flag read on Spark (Java's regular expressions and cast)
    as on DuckDB, cell for cell, over the hostile cells, the exported shapes and every text of up to
    three characters of ``1-(),.¥万+``, the exported shapes typed full-width, and cells with spaces
    round them that Spark's own ``trim`` leaves (no-break, ideographic, em); the quantity's shortcut
    taken by the same cells."""
    import itertools

    import ibis
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xuanba.ingest.rules import flag_value
    from xuanba.standard.engine import to_arrow

    def on_spark(name, cells):  # through Parquet, as data reach Spark
        pq.write_table(pa.table({"i": list(range(len(cells))), "q": pa.array(cells, pa.string())}),
                       tmp_path / f"{name}.parquet")
        spark._session.read.parquet(str(tmp_path / f"{name}.parquet")).createOrReplaceTempView(name)
        return spark.table(name)

    cells = [*_HOSTILE, *_EXPORTED, *("".join(p) for k in range(1, 4) for p in itertools.product("1-(),.¥万+", repeat=k)),
             *map(_wide, _EXPORTED), "１２", "－１", "−１，２３４．５", "1２",  # full-width: the shortcut after translate
             "\u2003-1", "\u3000(5)\u2003", "\xa0－１\u202f"]  # spaces Spark's trim left (8c7f6b7)
    assert _engine_reads_negative(cells, on_spark("quantities", cells)) == _engine_reads_negative(cells)
    # the shortcut's two patterns mean the same in Java's regular expressions (\z, classes, anchors)
    from xuanba.ingest.rules import _SIMPLE, _SIMPLE_NEGATIVE, text_value

    shortcut = [sorted(to_arrow(t.select("i", s=text_value(t.q).re_search(_SIMPLE),
                                         n=text_value(t.q).re_search(_SIMPLE_NEGATIVE))).to_pylist(),
                       key=lambda r: r["i"])
                for t in (spark.table("quantities"),
                          ibis.memtable(pa.table({"i": list(range(len(cells))), "q": pa.array(cells, pa.string())})))]
    assert shortcut[0] == shortcut[1] and sum(r["s"] is True for r in shortcut[1]) > 20
    flags = ["TRUE", "y ", " 是", "否\n", "-0", "+5", ".5e-1", "1.", "1e3", "2", "0.0", "nan", "Infinity", "1\n", "1d",
             "0x1", "也许", "是否", "", None, "\xa0是", "ｙｅｓ\u3000", "\u2003１\u202f", "\u3000ｎｏ\xa0"]
    got, want = [
        sorted(to_arrow(t.select("i", r=flag_value(t.q)[0], u=flag_value(t.q)[1])).to_pylist(), key=lambda r: r["i"])
        for t in (on_spark("flags", flags),
                  ibis.memtable(pa.table({"i": list(range(len(flags))), "q": pa.array(flags, pa.string())})))]
    assert got == want
    assert [r["r"] for r in want][:11] == [True, True, True, None, False, True, True, True, True, True, False]
    assert [r["r"] for r in want][-4:] == [True, True, True, False]


@pytest.fixture(scope="module")
def no_number_quantities(tmp_path_factory):
    """``abc``, ``1.2.3`` and a space in a file's quantities: ingest's report, the engine's
    accounting of the file's rows and the facts of both paths, once for the test's two languages
    (only the words differ between them)."""
    tmp_path = tmp_path_factory.mktemp("no-number")
    path = tmp_path / "tx.csv"
    _write(path, [["a", "2025-01-01 09:30:00", "10", "4", "A1", "abc", "ok"],
                  ["a", "2025-02-01 09:30:00", "4", "1", "A2", "(1)", "ok"],
                  ["b", "2025-01-01 09:30:00", "9", "2", "B1", "1.2.3", "ok"],
                  ["b", "2025-03-01 09:30:00", "9", "2", "B2", " ", "ok"]])
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
    _, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)
    (tmp_path / "again").mkdir()
    return report, rows, _facts_both(path, tmp_path / "again")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_text_quantity_ingest_reads_as_no_number_is_counted_as_ingest_counts_it(no_number_quantities, lang):
    """``abc`` and ``1.2.3`` in a quantity: no return on either path, and counted on both (ingest's
    report: values_left_empty; the engine's meta and console). 983f5a9's engine said nothing.
    (Beside a decimal comma elsewhere in the column, ``-1,5``, ingest reads ``1.2.3`` as 123: the
    engine decides each cell's mark alone, docs/scale.md.)"""
    from xuanba.rounds.source_check import rejected_line

    report, rows, (kept, got) = no_number_quantities
    assert report.sources[0].values_left_empty == {"quantity": 2} and rows["values_left_empty"] == {"quantity": 2}
    said = rejected_line({"source_rows": rows}, lang)
    assert {"en": "(quantity: 2)", "zh": "（quantity：2）"}[lang] in said, said
    assert {"en": "quantity: quantities `xuanba ingest` does not read as a number",
            "zh": "quantity：`xuanba ingest` 读不出数字的数量"}[lang] in said, said
    _same(kept, got)


@pytest.mark.parametrize("form", ["parquet", "csv"])
def test_a_missing_flag_written_nan_is_no_return_on_either_path(tmp_path, form):
    """A float ``is_return`` with NaN for a missing flag (a pandas frame's bool column with gaps,
    saved): the line is no return, on the engine and through ingest alike. afb2f2d read NaN as a
    number other than 0 on the engine (a return: the day lost, the amount netted) and ingest
    rejected the row as an unreadable flag (its text ``nan``)."""
    frame = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                          "ts": ["2025-01-01 09:00:00", "2025-02-01 09:00:00", "2025-03-01 09:00:00",
                                 "2025-03-01 09:00:00"],
                          "amount": [10.0, 4.0, 6.0, 5.0], "cost": [4.0, 1.0, 2.0, 2.0],
                          "is_return": [0.0, 1.0, np.nan, np.nan]})
    path = tmp_path / f"tx.{form}"
    if form == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, na_rep="nan")
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: a's flagged line netted, the NaN lines purchases
    assert by_id.loc["a", "revenue_total"] == 10.0 - 4.0 + 6.0 and by_id.loc["a", "frequency"] == 1
    assert by_id.loc["b", "revenue_total"] == 5.0


@pytest.mark.parametrize("form", ["parquet", "csv"])
def test_an_infinite_flag_is_a_return_on_either_path(tmp_path, form):
    """A float ``is_return`` holding ±inf (a number other than 0) is a return on the engine; ingest,
    which reads the column as text (``inf``, ``-inf``), rejected those rows as an unreadable return
    flag (4910535): the same file, a line netted on one path and missing on the other. A negative
    NaN (DuckDB writes it ``-nan``) is no flag given on both, as NaN is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                          "ts": ["2025-01-01 09:00:00", "2025-02-01 09:00:00", "2025-03-01 09:00:00",
                                 "2025-03-01 09:00:00"],
                          "amount": [10.0, 4.0, 6.0, 5.0], "is_return": [0.0, np.inf, -np.inf, -np.nan]})
    path = tmp_path / f"tx.{form}"
    if form == "parquet":  # NaN kept a float (pandas' to_parquet would store it as null)
        pq.write_table(pa.table(frame.to_dict("list")), path)
    else:  # as DuckDB's COPY writes a float column: -nan, inf, -inf
        frame.to_csv(path, index=False, na_rep="-nan")
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: a's two flagged lines netted
    assert by_id.loc["a", "revenue_total"] == 10.0 - 4.0 - 6.0 and by_id.loc["a", "frequency"] == 0
    assert by_id.loc["b", "revenue_total"] == 5.0


def test_a_folder_of_parts_whose_column_types_differ_gives_the_facts_ingest_gives(tmp_path):
    """Parquet parts written apart (one with a 0/1 ``is_return`` and numeric quantities, the next
    with 是/否 and ``(1)``): the engine read the folder by the first part's types and stopped on a
    raw ConversionException (4910535), where ingest reads each part's cells as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "parts"
    folder.mkdir()

    def part(name, month, ids, flags, quantities):
        pq.write_table(pa.table({"customer_id": ids, "ts": [dt.datetime(2025, month, 1 + i) for i in range(len(ids))],
                                 "amount": [10.0] * len(ids), "is_return": flags, "quantity": quantities}),
                       folder / name)

    part("p1.parquet", 1, ["a", "a", "b"], pa.array([0, 1, 0]), pa.array([1.0, 1.0, 2.0]))
    part("p2.parquet", 2, ["a", "b", "b"], pa.array(["否", "是", "否"]), pa.array(["1", "2", "(1)"]))
    kept, got = _facts_both(folder, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: a's second line flagged, b's second and last returns
    assert by_id.loc["a", "revenue_total"] == 10.0 - 10.0 + 10.0 and by_id.loc["b", "revenue_total"] == 10.0 - 10.0 - 10.0
