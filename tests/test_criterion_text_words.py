"""A criterion that reads a column of text (or dates) as numbers is refused naming the file, the
row, the column, the first value that is no number, its customer and how many there are, with the
fix, in English and Chinese; a workspace round and an engine round (DuckDB) say the same words.

On 7200db1 a workspace round said ``criterion 'n' (nps) is not a number`` (English under
``--lang zh``, no cell named) only once its facts were made, and an engine round read such a
column by the pattern a rule reads text by: a customer's ``n/a`` or ``large`` scored as missing,
filled in, without a word."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.errors import DataError
from xuanba.rounds import list_rounds
from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.score import score_customers

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
            'weight = 0.5\n[[criteria]]\nname = "voice"\nfield = "{field}"\nweight = 0.5\n[[tiers]]\nname = "A"\n'
            'quota = 10\n')
PLAIN = re.compile(r"[+-]?\d+(\.\d+)?")  # what the values below that are numbers look like


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crit_text")
    tx = simulated_transactions(60, seed=5)
    tx.to_parquet(tmp / "tx.parquet", index=False)
    ids = list(tx["customer_id"].drop_duplicates())  # the file's order: not by id
    return tmp, ids, _workspace(tmp, tx)


def _run(args: list[str], lang: str):
    return CliRunner().invoke(app, ["--lang", lang, *args], env={"COLUMNS": "1000"})


def _paths(tmp, ws) -> dict[str, list[str]]:
    return {"workspace": ["--workspace", str(ws)],
            "engine": ["--engine", "duckdb", "--source", str(tmp / "tx.parquet"), "--workspace", str(ws)]}


def test_a_fields_file_with_text_under_a_criterion_names_file_row_value_and_customer_on_both_paths(data):
    tmp, ids, ws = data
    cells = [str(i % 9) for i in range(len(ids))]
    cells[11], cells[4], cells[30] = "n/a (pending)", "", "约 8 分"  # an empty cell is missing, not text
    fields = tmp / "fields.csv"
    pd.DataFrame({"customer_id": ids, "nps": cells}).to_csv(fields, index=False)
    (tmp / "nps.toml").write_text(STANDARD.format(field="nps"), "utf-8")
    with fields.open(encoding="utf-8", newline="") as f:  # the file read again, apart from xuanba
        rows = list(csv.DictReader(f))
    bad = [(n, r) for n, r in enumerate(rows, start=1) if r["nps"] and not PLAIN.fullmatch(r["nps"])]
    (row, first), count = bad[0], len(bad)
    assert (first["nps"], count) == ("n/a (pending)", 2)
    base = ["round", "-s", str(tmp / "nps.toml"), "--cutoff", CUTOFF, "--fields", str(fields)]
    said: dict[tuple[str, str], str] = {}
    for where, opts in _paths(tmp, ws).items():
        for lang in ("en", "zh"):
            res = _run([*base, *opts], lang)
            assert res.exit_code == 3 and "Traceback" not in res.output, res.output
            said[where, lang] = " ".join(res.output.split())
        res = _run([*base, *opts, "--json"], "en")
        err = json.loads(res.output)
        assert (err["error"], err["file"], err["row"], err["column"], err["count"]) == (
            "DataError", str(fields), row, "nps", count), err
    assert said["workspace", "en"] == said["engine", "en"] and said["workspace", "zh"] == said["engine", "zh"]
    en, zh = said["workspace", "en"], said["workspace", "zh"]
    assert (f"{fields}, row {row}, column 'nps': criterion 'voice' reads this column as numbers, and "
            f"'n/a (pending)' (customer '{first['customer_id']}') is not a number ({count} in all)") in en, en
    assert "fix: Write a plain number in each cell" in en
    assert (f"{fields}，第 {row} 行，“nps”列：指标 “voice” 按数字读取这一列，而 “n/a (pending)”"
            f"（客户 “{first['customer_id']}”）不是数字（共 {count} 处）") in zh, zh
    assert "解决办法：请在该列每个单元格中填写普通数字" in zh and "reads this column" not in zh and "fix:" not in zh
    assert list_rounds(ws).empty  # refused before anything was stored


def test_a_value_holding_a_terminal_escape_is_shown_escaped(data):
    tmp, ids, ws = data
    cells = ["1"] * len(ids)
    cells[2] = "7\x1b[2J"
    fields = tmp / "esc.csv"
    pd.DataFrame({"customer_id": ids, "nps": cells}).to_csv(fields, index=False)
    (tmp / "nps.toml").write_text(STANDARD.format(field="nps"), "utf-8")
    res = _run(["round", "-s", str(tmp / "nps.toml"), "--cutoff", CUTOFF, "--fields", str(fields),
                "--workspace", str(ws)], "en")
    assert res.exit_code == 3 and "\x1b" not in res.output
    assert "row 3, column 'nps'" in res.output and "'7\\x1b[2J'" in res.output, res.output


def test_a_customers_table_column_of_text_is_refused_by_both_paths_alike(data, tmp_path):
    """The customers' ``headcount`` written as words in a few rows: the first such customer by
    id and their count. 7200db1's engine round scored the words as missing (exit 0)."""
    tmp, ids, _ = data
    ws = _workspace(tmp_path, pd.read_parquet(tmp / "tx.parquet"))
    heads = [str(10 + i) for i in range(len(ids))]
    for i, word in ((7, "large"), (3, "big"), (40, "some 20")):
        heads[i] = word
    pd.DataFrame({"customer_id": ids, "headcount": heads}).to_csv(tmp_path / "c.csv", index=False)
    assert _run(["ingest", str(tmp_path / "c.csv"), "--kind", "customers", "-w", str(ws)], "en").exit_code == 0
    (tmp_path / "h.toml").write_text(STANDARD.format(field="headcount"), "utf-8")
    words = sorted(str(c) for c, h in zip(ids, heads, strict=True) if not PLAIN.fullmatch(h))
    said = {}
    for where, opts in _paths(tmp, ws).items():
        res = _run(["round", "-s", str(tmp_path / "h.toml"), "--cutoff", CUTOFF, "--no-store", *opts], "zh")
        assert res.exit_code == 3, (where, res.output)
        said[where] = " ".join(res.output.split())
    assert said["workspace"] == said["engine"]
    first = heads[[str(c) for c in ids].index(words[0])]
    assert f"“headcount”列：指标 “voice” 按数字读取这一列，而 “{first}”（客户 “{words[0]}”）不是数字（共 3 处）" in said[
        "engine"], said


@pytest.mark.parametrize(
    ("values", "key"),
    [
        (["5", "7", "x", "2", "n/a", "1"], "err_criterion_text"),
        (["5", "7", "1", "2", "3", "4"], "err_criterion_text_typed"),
        (pd.to_datetime(["2020-01-01", None, "2021-01-01", "2021-02-01", None, "2020-05-05"]), "err_criterion_date"),
    ],
)
def test_the_reference_and_the_engine_refuse_in_one_wording(values, key):
    """The first value that is no number by id (the frame's ids not in order), its customer, how
    many; a column of dates, or of text each of which reads as a number, said as such."""
    ids = ["f", "b", "e", "a", "c", "d"]
    frame = pd.DataFrame({"customer_id": ids, "v": values, "w": np.arange(6.0)})
    std = load_standard('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "w"\nfield = "w"\nweight = 0.5\n'
                        '[[criteria]]\nname = "v"\nfield = "v"\nweight = 0.5\n', extra_fields=("v", "w"))
    errs = []
    for score in (score_customers, score_in_engine):
        with pytest.raises(DataError) as err:
            score(frame, std)
        errs.append(err.value)
    assert [str(e) for e in errs[1:]] == [str(errs[0])] and [e.render("zh") for e in errs[1:]] == [errs[0].render("zh")]
    e = errs[0]
    assert (e.phrase.key, e.column) == (key, "v")
    if key == "err_criterion_text":
        words = sorted(i for i, v in zip(ids, values, strict=True) if not PLAIN.fullmatch(v))
        assert (e.count, words[0]) == (2, "c") and "'n/a' (customer 'c')" in str(e)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_fields_file_without_customer_id_is_refused_in_the_readers_language_with_its_columns(tmp_path, lang):
    """7200db1 said "the fields table has no customer_id column" and listed the columns as a Python
    list, in English under ``--lang zh``; now the reader's words, the columns quoted and shown."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    fields = tmp_path / "f.csv"
    fields.write_text("会员卡号,nps\nc1,5\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "r"\n'
                                     'field = "revenue_total"\nweight = 1\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--fields", str(fields), "--workspace", str(tmp_path / "w.duckdb")],
                             env={"COLUMNS": "400"})
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    want = {"en": ["the fields table has no customer_id column", "Columns found: '会员卡号', 'nps'"],
            "zh": ["字段表没有 customer_id 列", "找到的列：“会员卡号”、“nps”"]}[lang]
    assert all(w in said for w in want), said
    assert "['" not in said
