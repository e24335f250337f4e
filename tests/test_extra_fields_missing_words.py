"""A ``--fields`` file's cells written as a word for missing (``n/a``, ``#N/A`` from Excel, ``NULL``
from a database, ``NA`` from R, ``None``) in a column of numbers: e97c1c3 read them as missing
with pandas' default words and said nothing, so a user who typed ``n/a`` never learnt that the
round scored those customers as the criterion's ``missing`` says. Now they are still missing, and
the round counts them per field (the first customers, the words as written), stores the count
(``meta["extra_fields_missing_words"]``), and the console and the report say it, in English and
Chinese, on the workspace round and the DuckDB engine round alike. In a column of text such a
word is text as written (``NA`` is North America beside ``EU``), where e97c1c3 made it missing;
``-`` (Excel's accounting zero) is refused as no number, as before."""

from __future__ import annotations

import html

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.rounds import load_round, run_round
from xuanba.rounds.run import read_fields_file

CUTOFF = "2025-12-31"
STANDARD = """
[standard]
name = "nps"
version = "1"
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 50
[[criteria]]
name = "nps"
field = "nps"
missing = "median"
weight = 50
[[tiers]]
name = "A"
min_score = 40
"""
#: Words for missing as files write them (a space round one, any case).
WORDS = ("n/a", "#N/A", "NULL", "NA", "None", " null ", "N/A", "<NA>")


def _fields(tmp_path, ids: list[str], words=WORDS) -> tuple[object, list[str], list[str]]:
    """A fields CSV: ``nps`` a number, an empty cell for every seventh customer, a word of ``words``
    for every fifth (empty wins); ``region`` EU or NA. Returns the path, the customers whose cell is
    a word (the file's order) and those words as written, stripped."""
    cells, who, said = [], [], []
    for i, cid in enumerate(ids):
        if i % 7 == 3:
            cell = ""
        elif i % 5 == 1:
            cell = words[(i // 5) % len(words)]
            who.append(cid)
            said.append(cell.strip())
        else:
            cell = f"{i % 11}.5"
        cells.append(cell)
    path = tmp_path / "fields.csv"
    frame = pd.DataFrame({"customer_id": ids, "nps": cells, "region": ["NA" if i % 2 else "EU" for i in range(len(ids))]})
    frame.to_csv(path, index=False)
    return path, who, said


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("words")
    tx = simulated_transactions(150, seed=8)
    ids = sorted(tx["customer_id"].astype(str).unique())
    (tmp / "s.toml").write_text(STANDARD, encoding="utf-8")
    tx.to_parquet(tmp / "tx.parquet", index=False)
    return tmp, tx, ids


def _expected(who: list[str], said: list[str]) -> dict:
    return {"nps": {"n": len(who), "customers": who[:5], "words": list(dict.fromkeys(said))[:3]}}


@pytest.mark.parametrize("engine", [False, True])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_words_for_missing_are_scored_as_missing_counted_and_said(base, tmp_path, lang, engine):
    tmp, tx, ids = base
    ws = _workspace(tmp_path, tx)
    path, who, said = _fields(tmp_path, ids)
    assert len(who) > 5 and len(set(said)) > 3
    where = ["--engine", "duckdb", "--source", str(tmp / "tx.parquet")] if engine else []
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF,
                                   "--fields", str(path), "--workspace", str(ws), *where], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    rnd = load_round(ws, "latest")
    assert rnd.meta["extra_fields_missing_words"] == _expected(who, said)
    assert rnd.meta["extra_fields_not_finite"] == {}
    q = {"en": lambda x: repr(x), "zh": lambda x: f"“{x}”"}[lang]
    sep = {"en": ", ", "zh": "、"}[lang]
    first = {"en": f"nps: {len(who)} (customers {sep.join(map(q, who[:5]))}, …; written "
                   f"{sep.join(map(q, list(dict.fromkeys(said))[:3]))})",
             "zh": f"nps：{len(who)} 个（客户 {sep.join(map(q, who[:5]))}、…；写作 "
                   f"{sep.join(map(q, list(dict.fromkeys(said))[:3]))}）"}[lang]
    said_out = "".join(res.output.split())  # the console wraps a Chinese line between any two characters
    assert first.replace(" ", "") in said_out, res.output
    assert {"en": "writtenasawordformissing", "zh": "表示缺失的词"}[lang] in said_out
    out = tmp_path / "r.html"
    rep = CliRunner().invoke(app, ["--lang", lang, "report", "latest", "--out", str(out), "--workspace", str(ws)])
    assert rep.exit_code == 0, rep.output
    assert first in html.unescape(out.read_text("utf-8"))  # the report renders what the round stored


def test_a_word_for_missing_is_scored_as_an_empty_cell_is(base, tmp_path):
    """The scores of the customers written ``n/a`` are those of the same file with the cell empty."""
    tmp, tx, ids = base
    path, who, _ = _fields(tmp_path, ids)
    ws = _workspace(tmp_path, tx)
    words = run_round(ws, tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path), check_model=False, store=False)
    empty = pd.read_csv(path, dtype=str, keep_default_na=False)
    empty.loc[empty["customer_id"].isin(who), "nps"] = ""
    empty.to_csv(path, index=False)
    blank = run_round(ws, tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path), check_model=False, store=False)
    assert blank.meta["extra_fields_missing_words"] == {}
    a, b = (r.roster.set_index("customer_id").sort_index() for r in (words, blank))
    pd.testing.assert_series_equal(a["score"], b["score"])
    assert a.loc[who, "nps"].isna().all()


def test_a_text_column_keeps_NA_as_north_america(base, tmp_path):
    """``region`` of EU and NA: text, NA as written (e97c1c3 read it as missing); a gate selects it."""
    tmp, tx, ids = base
    path, *_ = _fields(tmp_path, ids)
    frame = read_fields_file(path)
    assert frame["region"].tolist() == ["NA" if i % 2 else "EU" for i in range(len(ids))]
    assert "region" not in frame.attrs.get("xuanba_missing_written", {})
    std = STANDARD + '[[gates]]\nname = "na"\nexpr = "region == \'NA\'"\n'
    (tmp_path / "g.toml").write_text(std, encoding="utf-8")
    rnd = run_round(_workspace(tmp_path, tx), tmp_path / "g.toml", CUTOFF, extra_fields=frame, check_model=False,
                    store=False)
    passed = rnd.roster.loc[rnd.roster["tier"].astype(str) != "", "customer_id"]
    assert len(passed) and set(passed) <= {c for i, c in enumerate(ids) if i % 2}


def test_a_column_with_a_word_of_its_own_is_refused_by_that_word_not_by_n_a(base, tmp_path):
    """Numbers, ``n/a`` and ``pending``: the refusal names ``pending`` (its row and customer), the
    one cell that is neither; ``n/a`` would be read."""
    tmp, tx, ids = base
    cells = ["1", "n/a", "2", "pending", "#N/A", "x"]
    path = tmp_path / "f.csv"
    pd.DataFrame({"customer_id": ids[:6], "nps": cells}).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF, "--fields",
                                   str(path), "--workspace", str(_workspace(tmp_path, tx))], env={"COLUMNS": "400"})
    said = " ".join(res.output.split())
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "row 4, column 'nps'" in said and "'pending'" in said and f"'{ids[3]}'" in said and "(2 in all)" in said, said


def test_a_dash_is_refused_as_no_number(base, tmp_path):
    """``-`` is Excel's accounting zero as often as "none": neither is guessed, the cell is named."""
    tmp, tx, ids = base
    path = tmp_path / "f.csv"
    pd.DataFrame({"customer_id": ids[:3], "nps": ["1", "-", "n/a"]}).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["--lang", "zh", "round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF,
                                   "--fields", str(path), "--workspace", str(_workspace(tmp_path, tx))],
                             env={"COLUMNS": "400"})
    said = " ".join(res.output.split())
    assert res.exit_code != 0 and "第 2 行" in said and "“-”" in said and "不是数字" in said, said


def test_a_money_field_and_a_flag_with_words_for_missing(base, tmp_path):
    """``revenue_365d`` written as ingest reads money (``¥1,234.50``) beside ``#N/A``: missing and
    said (e97c1c3 missing unsaid; read as text, ``#N/A`` is no money); a flag of True/False beside
    ``NULL`` stays a flag, as pandas reads one with empty cells."""
    tmp, tx, ids = base
    path = tmp_path / "f.csv"
    pd.DataFrame({"customer_id": ids[:4], "revenue_365d": ["¥1,234.50", "#N/A", "(12)", ""],
                  "vip": ["True", "NULL", "False", ""]}).to_csv(path, index=False)
    frame = read_fields_file(path)
    assert frame["revenue_365d"].tolist()[0] == 1234.5 and frame["revenue_365d"].isna().tolist() == [
        False, True, False, True]
    emptied = tmp_path / "e.csv"  # the flag as pandas reads it with that cell empty
    pd.read_csv(path, dtype=str, keep_default_na=False).replace({"vip": {"NULL": ""}}).to_csv(emptied, index=False)
    assert frame["vip"].tolist() == pd.read_csv(emptied)["vip"].tolist()
    assert [type(v) for v in frame["vip"][[0, 2]]] == [bool, bool]
    from xuanba.rounds.extra_names import missing_words

    assert missing_words(frame) == {"revenue_365d": {"n": 1, "customers": [ids[1]], "words": ["#N/A"]},
                                    "vip": {"n": 1, "customers": [ids[1]], "words": ["NULL"]}}


def test_a_workbooks_typed_n_a_and_null_are_counted_as_the_csvs(base, tmp_path):
    """A sheet's ``n/a`` and ``NULL`` typed beside numbers: counted as the CSV's (an error cell,
    ``#N/A`` from a lookup, too: tests/test_extra_fields_excel_errors.py)."""
    from openpyxl import Workbook

    tmp, tx, ids = base
    cells = [3.5, "n/a", None, "NULL", 2.0]
    book = Workbook()
    book.active.append(["customer_id", "nps"])
    for cid, v in zip(ids, cells, strict=False):
        book.active.append([cid, v])
    path = tmp_path / "f.xlsx"
    book.save(path)
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path),
                    check_model=False, store=False)
    assert rnd.meta["extra_fields_missing_words"] == {"nps": {"n": 2, "customers": [ids[1], ids[3]],
                                                              "words": ["n/a", "NULL"]}}


def test_a_column_of_NA_alone_is_still_north_america(base, tmp_path):
    tmp, tx, ids = base
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": [str(i % 9) for i in range(len(ids))], "region": "NA"}).to_csv(path, index=False)
    frame = read_fields_file(path)
    std = STANDARD + '[[gates]]\nname = "na"\nexpr = "region == \'NA\'"\n'
    (tmp_path / "g.toml").write_text(std, encoding="utf-8")
    rnd = run_round(_workspace(tmp_path, tx), tmp_path / "g.toml", CUTOFF, extra_fields=frame, check_model=False,
                    store=False)
    passed = rnd.roster.loc[rnd.roster["tier"].astype(str) != "", "customer_id"]
    assert len(passed) > 0  # the same round without the gate tiers these customers (the test above)


def test_a_criterion_over_words_alone_is_refused_naming_the_cell(base, tmp_path):
    """The other side of a column of words alone being text: a criterion that reads it as numbers
    (every customer's ``nps`` written ``n/a``) is refused naming the file, the column and a cell,
    not scored as every customer missing without a word on the number that ranks them."""
    from xuanba.errors import DataError, InputError

    tmp, tx, ids = base
    path = tmp_path / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": "n/a"}).to_csv(path, index=False)
    frame = read_fields_file(path)
    with pytest.raises((DataError, InputError)) as got:
        run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=frame, check_model=False, store=False)
    said = str(got.value)
    assert "'n/a'" in said and "nps" in said and "fields.csv" in said, said



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_joins_the_infinities_and_the_words_as_its_language_joins_sentences(base, tmp_path, lang):
    """A fields file with both an ``inf`` and an ``n/a`` under a criterion: the report's section on
    values scored as missing says both sentences, joined by a space in English and by none after a
    Chinese 。 (c89dfa7 put a space between two Chinese sentences)."""
    from xuanba.outputs.field_words import missing_words_line, not_finite_line
    from xuanba.outputs.report import build_report

    tmp, tx, ids = base
    path = tmp_path / "fields.csv"
    cells = ["inf" if i == 2 else "n/a" if i == 4 else str(i % 9) for i in range(len(ids))]
    pd.DataFrame({"customer_id": ids, "nps": cells}).to_csv(path, index=False)
    rnd = run_round(_workspace(tmp_path, tx), tmp / "s.toml", CUTOFF, extra_fields=read_fields_file(path),
                    check_model=False, store=False)
    lines = [not_finite_line(rnd.meta, lang), missing_words_line(rnd.meta, lang)]
    assert all(lines), rnd.meta
    joined = {"en": " ", "zh": ""}[lang].join(lines)
    assert joined in html.unescape(build_report(rnd, lang=lang))
