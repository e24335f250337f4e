"""One rule for an Excel error cell (``#N/A`` of a lookup that found nothing, ``#DIV/0!``, ...) in
a side table and in ``xuanba accounts --transactions FILE``, as ``xuanba ingest`` reads a sales
line: an error where the row's key is (the id, any column whose absence rejects the row) rejects
the row as *Excel error cell*; one in an optional column the table reads leaves that value empty,
counted and said (as ingest leaves a cost), and so in any other column of the customers table (a
customer attribute a round gates on); a column xuanba does not read is not looked at.

At 16dfc23 an error in any column of a side table rejected the row (a ``#N/A`` in a notes column
lost the customer), and ``accounts --transactions FILE`` loaded a row whose id was ``#N/A`` (or
empty) as a customer of that name."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba import Workspace
from xuanba.cli import app
from xuanba.ingest import ingest
from xuanba.ingest.rules import EXCEL_ERROR, EXCEL_ERRORS
from xuanba.ingest.sidetables import SCHEMAS, read_side_table


def _joined(text: str) -> str:
    """``text`` without its white space: a console line as said, wherever the terminal wrapped it."""
    return "".join(text.split())


#: A value each column type reads (no error): what every other cell of a row holds.
GOOD = {"id": "K1", "str": "s", "date": "2025-03-01", "number": "5", "bool": "yes"}


def _sheet(kind: str) -> tuple[pd.DataFrame, list[str]]:
    """A side table as text: a first row of good values, then one row per column (the schema's
    and a ``notes`` column it does not read) holding an Excel error there, each error another of
    :data:`EXCEL_ERRORS` in another case; and the columns in row order."""
    schema = SCHEMAS[kind]
    columns = [*schema.columns, "notes"]
    rows = [{c: GOOD[schema.columns.get(c, "str")] for c in columns}]
    for i, col in enumerate(columns):
        error = EXCEL_ERRORS[i % len(EXCEL_ERRORS)]
        rows.append({**rows[0], col: error.lower() if i % 2 else error})
    return pd.DataFrame(rows, columns=columns), columns


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_an_error_rejects_the_row_in_a_required_column_only(tmp_path, kind):
    """Every column of every side table: the row with the error in a required column is rejected
    naming it; in an optional one (and the customers table's notes, an attribute a round reads)
    the row is kept with that value empty and counted; in a column no one reads (another table's
    notes) the row is kept with the cell as written. Ingest (a CSV saved from Excel) and
    read_side_table give the same rows, rejects and counts."""
    from xuanba.ingest.sidetables import LEFT_EMPTY

    frame, columns = _sheet(kind)
    schema = SCHEMAS[kind]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    want_rejects = [(r, c, frame.loc[r - 1, c], EXCEL_ERROR) for r, c in enumerate(columns, start=2)
                    if c in schema.required]
    read = [c for c in columns if c in schema.columns or kind == "customers"]
    want_empty = {c: 1 for c in read if c not in schema.required}
    kept_rows = [1] + [r for r, c in enumerate(columns, start=2) if c not in schema.required]

    table, rejects = read_side_table(kind, path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, kind=kind)
        stored = ws.sql('SELECT source_row, "column", value, reason FROM rejects ORDER BY source_row')
        loaded = ws.sql(f"SELECT * FROM {kind}")
    src = report.sources[0]
    for got in (list(rejects.itertuples(index=False, name=None)), list(stored.itertuples(index=False, name=None))):
        assert got == want_rejects
    assert table.attrs[LEFT_EMPTY] == src.values_left_empty == want_empty
    assert src.input_rows == src.loaded + src.rejected == len(frame) and src.loaded == len(kept_rows) == len(loaded)
    for frame_read in (table, loaded.reset_index(drop=True)):
        for col in columns:  # the error of an optional column is no value; the others are as written
            if col in schema.required:
                continue
            error_row = kept_rows.index(columns.index(col) + 2)
            cell = frame_read[col].iloc[error_row]
            if col in read:
                assert pd.isna(cell), (col, cell)
            else:
                assert cell == frame.loc[columns.index(col) + 1, col]
            others = frame_read[col].drop(frame_read.index[error_row])
            assert others.notna().all(), col


@pytest.mark.parametrize("lang, rejected, left", [
    ("en", "customer_id: Excel error cell: 1", "values not understood and left empty (segment: 1, notes: 1)"),
    ("zh", "customer_id：Excel 错误值单元格：1", "无法识别、留空的值（segment：1、notes：1）"),
])
def test_accounts_says_a_side_tables_rows_left_out_and_values_left_empty(tmp_path, lang, rejected, left):
    """``xuanba accounts personas --customers FILE``: the row with an error id left out and the
    error segment left empty, each said in the reader's language; the segment ``#N/A`` is no
    segment of the personas (at 16dfc23 that customer was dropped without a word of which value)."""
    (tmp_path / "tx.csv").write_text("customer_id,ts,amount\na,2025-01-01,5\nb,2025-01-02,6\nc,2025-01-03,7\n",
                                     encoding="utf-8")
    (tmp_path / "cu.csv").write_text("customer_id,segment,notes\na,S,ok\n#N/A,S,x\nb,#N/A,x\nc,S,#N/A\n",
                                     encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "accounts", "personas", "--transactions", str(tmp_path / "tx.csv"),
                                   "--customers", str(tmp_path / "cu.csv"), "--json"])
    assert res.exit_code == 0, res.output
    said = _joined(res.stderr)
    assert _joined(rejected) in said and _joined(left) in said, res.stderr
    assert "#N/A" not in res.stdout


def _transactions(tmp_path) -> tuple[str, list[tuple[str, str, str]]]:
    rows = [("a", "2025-01-01", "5"), ("#N/A", "2025-01-02", "6"), ("", "2025-01-03", "7"), (" #div/0! ", "2025-01-04", "8"),
            ("b", "2025-01-05", "9"), ("  ", "2025-01-06", "10"), ("a", "2025-01-07", "11")]
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return str(path), rows


def test_accounts_transactions_file_leaves_out_the_rows_ingest_rejects_by_their_id(tmp_path):
    """``transactions_from_file`` keeps the rows ingest loads and counts the others by ingest's
    reasons (compared with ingest on the same file), never a customer ``#N/A`` or ``''``."""
    from xuanba.accounts.stored import ROWS_REJECTED, transactions_from_file
    from xuanba.errors import InputError

    path, rows = _transactions(tmp_path)
    table = transactions_from_file(path)
    with Workspace(":memory:") as ws:
        report = ingest(path, ws)
        loaded = ws.sql("SELECT customer_id, amount FROM transactions ORDER BY source_row")
    assert table["customer_id"].tolist() == loaded["customer_id"].tolist() == ["a", "b", "a"]
    assert table["amount"].tolist() == loaded["amount"].astype(float).tolist()
    said = table.attrs[ROWS_REJECTED]
    assert said["rejected_by_reason"] == report.rejected_by_reason == {EXCEL_ERROR: 2, "missing customer id": 2}
    assert said["first"] == {"row": 2, "column": "customer_id", "value": "#N/A", "reason": EXCEL_ERROR}
    # a row left out before the dates are read does not shift the row a later error names
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,ts,amount\n#N/A,2025-01-01,5\n,2025-01-02,6\nb,someday,7\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        transactions_from_file(bad)
    assert err.value.row == 3 and err.value.column == "ts"


@pytest.mark.parametrize("lang, said", [
    ("en", "4 row(s) left out, as `xuanba ingest` rejects them (Excel error cell: 2, missing customer id: 2); "
           "the first: row 2, column customer_id, value '#N/A'"),
    ("zh", "4 行未使用，与 `xuanba ingest` 拒收的相同（Excel 错误值单元格：2、缺少客户编号：2）；"
           "第一处：第 2 行，customer_id 列，值 “#N/A”"),
])
def test_accounts_says_the_transactions_rows_left_out(tmp_path, lang, said):
    path, _ = _transactions(tmp_path)
    res = CliRunner().invoke(app, ["--lang", lang, "accounts", "profit", "--transactions", path, "--json"])
    assert res.exit_code == 0, res.output
    assert _joined(said) in _joined(res.stderr), res.stderr
    assert "#N/A" not in res.stdout and "#div/0!" not in res.stdout


#: An error with a space round it that ingest's and DuckDB's ``trim`` strip (no-break U+00A0,
#: narrow no-break U+202F, ideographic U+3000: what a web page or a Chinese input method leaves),
#: and one with a tab or line break, which they keep.
SPACED = ["#N/A\u00a0", "\u3000#N/A", "\u202f#div/0!"]
CONTROL = ["\t#N/A", "#N/A\n", "\t"]


def test_an_error_with_a_wide_space_round_it_is_an_error_as_ingest_reads_it(tmp_path):
    """A side table and ``accounts --transactions FILE`` reject an id ``#N/A`` with a no-break or
    ideographic space round it as ingest rejects that sales line (ingest's own count the
    reference), and a segment so written is left empty. Before, both kept a customer ``#N/A`` (the
    space stripped after the test) and a segment ``#N/A``."""
    from xuanba.accounts.stored import ROWS_REJECTED, transactions_from_file
    from xuanba.ingest.sidetables import LEFT_EMPTY

    ids = [*SPACED, "a"]
    sales = pd.DataFrame({"customer_id": ids, "ts": ["2025-01-01"] * len(ids), "amount": ["5"] * len(ids)})
    path = tmp_path / "sales.csv"
    sales.to_csv(path, index=False)
    with Workspace(":memory:") as ws:
        report = ingest(str(path), ws)
        kept = ws.sql("SELECT customer_id FROM transactions")["customer_id"].tolist()
    assert report.rejected_by_reason == {EXCEL_ERROR: len(SPACED)} and kept == ["a"]  # the reference
    table = transactions_from_file(path)
    assert table["customer_id"].tolist() == kept
    assert table.attrs[ROWS_REJECTED]["rejected_by_reason"] == report.rejected_by_reason
    people, rejects = read_side_table("customers", pd.DataFrame({"customer_id": ids, "segment": ["s", *SPACED]}))
    assert people["customer_id"].tolist() == kept and len(rejects) == len(SPACED)
    assert set(rejects["reason"]) == {EXCEL_ERROR} and people["segment"].isna().all()
    assert people.attrs[LEFT_EMPTY] == {"segment": 1}


def test_an_id_with_a_tab_or_a_line_break_round_it_is_kept_as_ingest_keeps_it(tmp_path):
    """A tab or a line break round an error, or a lone tab: ingest's ``trim`` (DuckDB's) keeps them,
    so ingest stores the sales lines, of customers ``\\t#N/A``, ``#N/A\\n`` and ``\\t``; the side
    table and ``accounts --transactions FILE`` keep those very ids (ingest's store the reference).
    A segment so written is still stripped and left empty (no key: never a segment ``#N/A``).
    Before (review32), they stripped Python's white space off an id: ``\\t#N/A`` rejected and a
    customer ``\\tK1`` read as ``K1``, where ingest kept both."""
    from xuanba.accounts.stored import transactions_from_file

    ids = [*CONTROL, "a"]
    path = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": ids, "ts": ["2025-01-01"] * len(ids), "amount": ["5"] * len(ids)}).to_csv(path, index=False)
    with Workspace(":memory:") as ws:
        report = ingest(str(path), ws)
        kept = ws.sql("SELECT customer_id FROM transactions ORDER BY source_row")["customer_id"].tolist()
    assert report.rejected == 0 and kept == ids  # the reference: ingest keeps them all
    assert transactions_from_file(path)["customer_id"].tolist() == kept
    people, rejects = read_side_table("customers", pd.DataFrame({"customer_id": ids, "segment": ["s", "s", "s", "#N/A\t"]}))
    assert people["customer_id"].tolist() == kept and rejects.empty
    assert people["segment"].isna().tolist() == [False, False, False, True]


#: Characters one trim strips and the other kept before: Python's white space that DuckDB's ``trim``
#: (ingest's) keeps (a vertical tab, a form feed, the file separator, NEL, the line separator, a
#: tab), and the ideographic and no-break spaces both strip.
PADS = ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\t", "\u3000", "\u00a0"]


def test_a_padded_id_is_one_customer_in_ingest_and_a_side_table(tmp_path):
    """The same padded ids in a sales file and a customers file: ingest's stored customers (its
    own trim, the reference) are the side table's, as ``xuanba ingest --kind customers`` stores
    them and as ``read_side_table`` and ``accounts --transactions FILE`` read them. Before
    (review32), a side table stripped Python's white space (``\\x0bc1\\x0b`` read ``c1``) where
    ingest kept it: the customer's row joined no sale."""
    from xuanba.accounts.stored import transactions_from_file

    ids = [f"{pad}c{i}{pad}" for i, pad in enumerate(PADS)]
    sales, people = tmp_path / "tx.csv", tmp_path / "cu.csv"
    sales.write_text("customer_id,ts,amount\n" + "".join(f'"{c}",2025-01-01,5\n' for c in ids), "utf-8")
    people.write_text("customer_id,segment\n" + "".join(f'"{c}",S\n' for c in ids), "utf-8")
    with Workspace(":memory:") as ws:
        ingest(str(sales), ws)
        ingest(str(people), ws, kind="customers")
        sold = ws.sql("SELECT customer_id FROM transactions ORDER BY source_row")["customer_id"].tolist()
        stored = ws.sql("SELECT customer_id FROM customers")["customer_id"].tolist()
    assert sold == [c.strip("\u3000\u00a0") for c in ids]  # ingest's trim: the wide spaces alone
    assert sorted(stored) == sorted(sold)
    table, rejects = read_side_table("customers", people)
    assert table["customer_id"].tolist() == sold and rejects.empty
    assert transactions_from_file(sales)["customer_id"].tolist() == sold


def test_the_first_row_left_out_is_the_first_in_the_file(tmp_path):
    """A side table whose first row lacks its id and whose third has an id ``#N/A``: the row
    ``accounts --customers FILE`` calls the first is the first ingest stores among its rejects
    (row 1), and ``read_side_table``'s rejects come in the file's order. Before, the error
    found first (the Excel errors are looked for before the types) was called the first: row 3."""
    (tmp_path / "tx.csv").write_text("customer_id,ts,amount\na,2025-01-01,5\nb,2025-01-02,6\n", encoding="utf-8")
    path = tmp_path / "cu.csv"
    path.write_text("customer_id,segment\n,S\nb,S\n#N/A,S\n", encoding="utf-8")
    with Workspace(":memory:") as ws:
        ingest(path, ws, kind="customers")
        stored = ws.sql('SELECT source_row, "column" FROM rejects ORDER BY source_row')
    table, rejects = read_side_table("customers", path)
    assert rejects["row"].tolist() == stored["source_row"].tolist() == [1, 3]
    res = CliRunner().invoke(app, ["accounts", "personas", "--transactions", str(tmp_path / "tx.csv"),
                                   "--customers", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert _joined("the first: row 1, column customer_id, value ''") in _joined(res.stderr), res.stderr
