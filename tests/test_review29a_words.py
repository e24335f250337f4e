"""What words29 changed, attacked as a hostile or unlucky user would (review29a): each test here
failed on 3913564."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.errors import DataError
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import run_round

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "voice"\nfield = "nps"\nweight = 1\n'
            '[[tiers]]\nname = "A"\nquota = 5\n')


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review29a")
    tx = simulated_transactions(40, seed=7)
    return tx, _workspace(tmp, tx)


@pytest.mark.parametrize("where", ["workspace", "engine"])
def test_fields_without_customer_id_are_refused_as_such_when_a_criterion_reads_text(data, where):
    """A Python frame keyed by ``id`` (not ``customer_id``) whose criterion column is text: the
    round said ``the extra fields table has no customer_id column`` on 7200db1; the check words29
    put before the facts looked the ids up first, and a KeyError's traceback came out instead."""
    tx, ws = data
    ids = list(tx["customer_id"].drop_duplicates())
    fields = pd.DataFrame({"id": ids, "nps": ["n/a"] * len(ids)})
    with pytest.raises(DataError) as err:
        if where == "workspace":
            run_round(ws, STANDARD, CUTOFF, extra_fields=fields, store=False)
        else:
            run_round_on_engine(tx, STANDARD, CUTOFF, workspace=ws, extra_fields=fields)
    assert "no customer_id column" in str(err.value) and "Columns found: 'id', 'nps'" in str(err.value), str(err.value)


def _engine_round(tmp_path, source, lang):
    from typer.testing import CliRunner

    from xuanba.cli import app

    (tmp_path / "s.toml").write_text(STANDARD.replace("nps", "revenue_365d"), "utf-8")
    return CliRunner().invoke(app, ["--lang", lang, "round", "-s", str(tmp_path / "s.toml"), "--cutoff", CUTOFF,
                                    "--engine", "duckdb", "--source", str(source), "--no-store"],
                              env={"COLUMNS": "1000"})


@pytest.mark.parametrize(("name", "encoding"), [("Müller", "latin-1"), ("Jürgen", "cp1252"), ("東京ストア", "shift_jis")])
def test_a_source_in_another_encoding_is_not_called_gbk(tmp_path, name, encoding):
    """A Latin-1 ``Müller`` reads as GB18030 too (``M黮ler``: a rare character whose second byte is
    the Latin ``l``): 3913564 called the file GBK and asked to convert it with ``iconv -f GB18030``,
    which garbles it, or to ingest it, which reads it so. Its line and byte are named instead, and
    no GB18030 conversion is offered."""
    data = f"customer_id,ts,amount\nc1,2025-01-01,5\n{name},2025-01-02,6\n".encode(encoding)
    path = tmp_path / "eu.csv"
    path.write_bytes(data)
    byte = next(i for i, b in enumerate(data) if b >= 0x80)  # the first byte that is no ASCII, apart from xuanba
    for lang, want in (("en", f"the file is not UTF-8 text: line 3 of the file (byte {byte:,}) is not"),
                       ("zh", f"该文件不是 UTF-8 编码的文本：文件第 3 行（第 {byte:,} 字节）不是 UTF-8")):
        res = _engine_round(tmp_path, path, lang)
        said = " ".join(res.output.split())
        assert res.exit_code == 2 and "Traceback" not in said, said
        assert want in said and "GB18030 -t" not in said and "GBK" not in said, said


def test_a_gbk_source_is_still_called_gbk(tmp_path):
    """The words above stay for a GBK file, a GB18030 character of four bytes alone on its line too."""
    for text in ("王记商行", "𠀀"):
        path = tmp_path / "gbk.csv"
        path.write_bytes(f"customer_id,ts,amount\n{text},2025-01-02,6\n".encode("gb18030"))
        res = _engine_round(tmp_path, path, "en")
        said = " ".join(res.output.split())
        assert res.exit_code == 2 and "the file is GBK/GB18030 text" in said and f"'{text},2025-01-02,6'" in said, said


def test_a_utf8_source_with_one_broken_line_is_not_called_gbk(tmp_path):
    """A UTF-8 file of Chinese names with one line cut mid-character (a truncated paste): 3913564
    called the whole file GBK and asked to convert it from GB18030, which garbles every UTF-8 line.
    It is refused as ingest refuses it, naming the UTF-8 line and the one that is not."""
    good = "customer_id,ts,amount\n王记商行,2025-01-01,5\n李氏,2025-01-02,6\n".encode()
    bad = "陈".encode()[:2] + b",2025-01-03,7\n"
    path = tmp_path / "cut.csv"
    path.write_bytes(good + bad)
    lines = (good + bad).split(b"\n")
    first_utf8 = next(i for i, ln in enumerate(lines, 1) if not ln.isascii())
    broken = next(i for i, ln in enumerate(lines, 1) if not _utf8(ln))
    res = _engine_round(tmp_path, path, "en")
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in said, said
    assert (f"the file mixes text encodings: line {first_utf8} is UTF-8 ('王记商行,2025-01-01,5') but line {broken} "
            "is not") in said and "GB18030 -t" not in said, said


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("kind", ["category", "object"])
def test_a_categorical_column_of_words_is_refused_naming_its_first_word_by_both_implementations(kind):
    """A criterion over a pandas categorical column (``astype('category')``, as a survey's answers
    are often kept) holding ``n/a``: 3913564's reference said the column was text 'that reads as a
    number' (its dtype is no object, so its cells were never looked at) while the engine named
    ``'n/a'`` and the count; both now say the engine's words, as for the same column as object."""
    from xuanba.standard import load_standard
    from xuanba.standard.engine import score_in_engine
    from xuanba.standard.score import score_customers

    ids = ["f", "b", "e", "a", "c", "d"]
    values = ["5", "7", "x", "2", "n/a", "1"]
    frame = pd.DataFrame({"customer_id": ids, "v": pd.Series(values).astype(kind)})
    std = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "v"\nfield = "v"\nweight = 1\n',
                        extra_fields=("v",))
    bad = sorted((i, v) for i, v in zip(ids, values, strict=True) if not v.isdigit())  # by id, apart from xuanba
    said = []
    for score in (score_customers, score_in_engine):
        with pytest.raises(DataError) as err:
            score(frame, std)
        said.append((str(err.value), err.value.render("zh")))
    assert said[0] == said[1], said
    assert f"{bad[0][1]!r} (customer {bad[0][0]!r}) is not a number ({len(bad)} in all)" in said[0][0], said


def test_an_engine_round_reads_an_id_with_a_letter_after_duckdbs_sample_as_ingest_does(tmp_path):
    """Member numbers 1..21,000 (DuckDB types the column BIGINT on its 20,480-row sample), then a
    walk-in account ``W-17``: ingest reads every id as text and takes it; 3913564's engine round
    refused the file, asking to 'correct that cell' (``'W-17' is not a BIGINT``) or to ingest it,
    which 'sets such a row aside' (it does not). The engine round selects as the workspace round
    over the ingested file does."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    rows = [f"{k},2025-0{1 + k % 9}-{1 + k % 28:02d},{5 + k % 7}" for k in range(1, 21_001)]
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount", *rows, "W-17,2025-03-01,9", "W-17,2025-06-01,4"]) + "\n",
                    "utf-8")
    std = tmp_path / "s.toml"
    std.write_text(STANDARD.replace("nps", "revenue_365d"), "utf-8")
    ws = tmp_path / "ws.duckdb"
    run = CliRunner()
    assert run.invoke(app, ["ingest", str(path), "-w", str(ws)]).exit_code == 0
    rosters = {}
    for where, opts in (("workspace", ["--workspace", str(ws)]),
                        ("engine", ["--engine", "duckdb", "--source", str(path)])):
        out = tmp_path / f"{where}.csv"
        res = run.invoke(app, ["round", "-s", str(std), "--cutoff", CUTOFF, "--no-store", *opts, "--out", str(out)],
                         env={"COLUMNS": "1000"})
        assert res.exit_code == 0, res.output
        rosters[where] = pd.read_csv(out, dtype={"customer_id": str})
    chosen = {where: r.loc[r["selected"].astype(bool)].sort_values("rank")["customer_id"].tolist()
              for where, r in rosters.items()}  # an engine round's --out holds its selection alone
    # W-17 bought twice (13); every member once, 11 at most: the first of the selection
    assert chosen["engine"] == chosen["workspace"] and chosen["engine"][0] == "W-17", chosen


def test_a_text_table_with_a_row_a_cell_wider_keeps_its_header(tmp_path):
    """A customers table of text alone, its headers no alias knows, whose first row has a cell too
    many (``K001,华东,VIP``): 3913564 took that row for the header by its shape (the real header,
    a cell narrower, for a title over it) and asked for a customer_id among 'K001', '华东', 'VIP';
    the header stays the first line and the wide row is refused by its number, as on 7200db1."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    path = tmp_path / "side.csv"
    lines = ["Account No,Area", "K001,华东,VIP", "K002,华北", "K003,华南"]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    head = lines[0].split(",")
    row, wide = next((n, len(ln.split(","))) for n, ln in enumerate(lines[1:], 1) if len(ln.split(",")) > len(head))
    res = CliRunner().invoke(app, ["ingest", str(path), "--kind", "customers", "-w", str(tmp_path / "ws.duckdb")],
                             env={"COLUMNS": "1000"})
    said = " ".join(res.output.split())
    assert res.exit_code != 0 and "Traceback" not in said, said
    assert f"row {row}: the row has {wide} fields where the header has {len(head)}" in said and "'K001', '华东'" not in said, said


def test_a_workbook_column_of_numbers_beside_words_is_read_as_text_not_a_traceback(data, tmp_path):
    """A --fields workbook whose ``segment`` column holds 1, 2, ... and ``VIP`` (Excel keeps each
    cell's type; pandas gives the column as objects of both): Arrow takes no such column, and the
    round (workspace or engine) ended in ArrowTypeError's traceback, on 7200db1 too. It is text:
    a gate reads it (every customer selected is one the file calls VIP), and a criterion reading a
    column of numbers and words names the first word, its customer and row."""
    import openpyxl
    from typer.testing import CliRunner

    from xuanba.cli import app

    tx = data[0].assign(customer_id=lambda t: "c" + pd.Series(pd.factorize(t["customer_id"])[0], index=t.index).astype(str))
    ws = _workspace(tmp_path, tx)  # ids openpyxl writes as text (not '=1+1', a formula to Excel)
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    ids = [str(c) for c in tx["customer_id"].drop_duplicates()]
    segment = ["VIP" if k % 3 == 0 else k % 5 for k in range(len(ids))]
    nps = [k % 10 if k != 7 else "待定" for k in range(len(ids))]  # pending (n/a is read as missing)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "segment", "nps"])
    for row in zip(ids, segment, nps, strict=True):
        sheet.append(list(row))
    book.save(tmp_path / "f.xlsx")
    vip = {c for c, s in zip(ids, segment, strict=True) if s == "VIP"}
    gated = STANDARD.replace("[[tiers]]", "[[gates]]\nname = \"vip\"\nexpr = \"segment == 'VIP'\"\n[[tiers]]").replace(
        'field = "nps"', 'field = "revenue_365d"')
    (tmp_path / "g.toml").write_text(gated, "utf-8")
    (tmp_path / "n.toml").write_text(STANDARD, "utf-8")
    paths = {"workspace": ["--workspace", str(ws)],
             "engine": ["--engine", "duckdb", "--source", str(tmp_path / "tx.parquet"), "--workspace", str(ws)]}
    chosen = {}
    for where, opts in paths.items():
        out = tmp_path / f"{where}.csv"
        res = CliRunner().invoke(app, ["round", "-s", str(tmp_path / "g.toml"), "--cutoff", CUTOFF, "--no-store",
                                       "--fields", str(tmp_path / "f.xlsx"), "--out", str(out), *opts])
        assert res.exit_code == 0, (where, res.output, repr(res.exception))
        roster = pd.read_csv(out, dtype={"customer_id": str}, keep_default_na=False)
        chosen[where] = sorted(roster.loc[roster["selected"].astype(bool), "customer_id"])
        assert chosen[where] and set(chosen[where]) <= vip, (where, chosen[where])
    assert chosen["workspace"] == chosen["engine"]
    row = nps.index("待定") + 1
    for where, opts in paths.items():
        res = CliRunner().invoke(app, ["round", "-s", str(tmp_path / "n.toml"), "--cutoff", CUTOFF, "--no-store",
                                       "--fields", str(tmp_path / "f.xlsx"), *opts], env={"COLUMNS": "1000"})
        said = " ".join(res.output.split())
        assert res.exit_code == 3, (where, said, repr(res.exception))
        assert f"row {row}, column 'nps'" in said and f"'待定' (customer '{ids[row - 1]}') is not a number (1 in all)" in said, said


def test_a_headerless_whitespace_file_whose_amounts_hold_thousands_marks_is_read_by_whitespace(tmp_path):
    """A ledger of whitespace-separated columns without a header, every amount with thousands
    marks (``1,234.50``, ``12,345,678.00``): the comma splits every line, though not alike, and
    3913564 took it for the delimiter (words29's rule for a ;-file with one row a field too
    long), refusing the file 7200db1 read: a comma standing between digits on every line is a
    number's mark. Each amount is loaded as the file writes it (read apart from xuanba)."""
    from xuanba.ingest import ingest
    from xuanba.workspace import Workspace

    lines = ["00001 1997-01-01 1,234.50", "00002 1997-01-02 12,345,678.00", "00003 1997-01-03 2,000.00"]
    path = tmp_path / "ledger.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    want = {ln.split()[0]: float(ln.split()[2].replace(",", "")) for ln in lines}
    with Workspace(":memory:") as ws:
        report = ingest(path, ws, columns=["customer_id", "ts", "amount"])
        got = dict(ws.con.execute("SELECT customer_id, amount FROM transactions").fetchall())
    assert report.loaded == len(lines) and {k: float(v) for k, v in got.items()} == want, got
