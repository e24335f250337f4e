"""Text from the data reaches the terminal as written and nothing more, by every way the CLI prints:
its tables and lines (an id ``:smile:`` is not turned into an emoji, which another id may be), the
resource sheet it renders as Markdown (Rich's Markdown makes its own text, past the console's
escaping) and its ``--json`` documents (a right-to-left override, a C1 control, the lone surrogate
of a file name's undecodable byte). ab5f03d printed the emoji, wrote the sheet's escape raw and
split its row at a line break, and wrote U+202E raw into the JSON."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app as xuanba_app
from xuanba.cli.accounts import register

#: A raw escape, carriage return, bidi control or another control but the line break.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\nweight = 100\n'
            '[[tiers]]\nname = "A"\nmin_score = 10\n')


def test_a_customer_id_written_as_an_emoji_code_prints_as_written_not_as_the_emoji(tmp_path):
    tx = simulated_transactions(40, seed=5)
    tx["customer_id"] = ":smile:" + tx["customer_id"].astype(str)
    ws = _workspace(tmp_path, tx)
    (tmp_path / "s.toml").write_text(STANDARD, encoding="utf-8")
    res = CliRunner().invoke(xuanba_app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                          "2025-12-31", "--workspace", str(ws), "--top", "5"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert ":smile:" in res.output and "\U0001f604" not in res.output, res.output


@pytest.fixture()
def sheet_app() -> typer.Typer:
    local = typer.Typer()
    register(local)
    local.command("noop")(lambda: None)  # a second command keeps Typer from collapsing the app to one command
    return local


def test_the_resource_sheet_shows_a_hostile_resource_escaped_and_on_one_row(sheet_app, tmp_path):
    name = "直播\x1b[2J套餐\n| 9 | forged row"
    pd.DataFrame({"资源编号": ["R1"], "名称": [name], "渠道": ["抖\u202e音"], "标签": ["直播"]}).to_csv(
        tmp_path / "res.csv", index=False)
    pd.DataFrame({"客户编号": ["A"], "需求": ["直播"]}).to_csv(tmp_path / "needs.csv", index=False)
    out = tmp_path / "sheet.md"
    res = CliRunner().invoke(sheet_app, ["sheet", "A", "--resources", str(tmp_path / "res.csv"), "--needs",
                                         str(tmp_path / "needs.csv"), "--lang", "en", "--out", str(out)],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert not RAW.search(res.output), repr(res.output)
    assert "\\x1b[2J" in res.output and "\\u202e" in res.output
    rows = [ln for ln in out.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    assert len(rows) == 3, rows  # header, rule, the one resource: its line break did not make a row
    assert not RAW.search(out.read_text(encoding="utf-8"))
    assert "直播\\x1b[2J套餐\\n/ 9 / forged row" in rows[2]  # the name recognisable, its | as the sheet writes it


def test_json_output_escapes_what_a_terminal_acts_on_and_reads_back_the_same(capsys):
    from xuanba.cli._common import emit_json

    payload = {"id": "客户\u202eA\x85", "file": "sales\udcff.csv", "emoji": "👍", "plain": "a\tb"}
    emit_json(payload)
    out = capsys.readouterr().out
    assert not RAW.search(out) and "\udcff" not in out, repr(out)
    out.encode("utf-8")  # a terminal's UTF-8 can write it (a lone surrogate it cannot)
    assert "客户" in out and "👍" in out  # what a terminal shows stays as written
    assert json.loads(out) == payload


@pytest.mark.parametrize(("suffix", "lang"), [(".csv", "en"), (".xlsx", "zh"), (".csv", "zh")])
def test_a_file_named_in_undecodable_bytes_is_refused_by_name_not_a_traceback(tmp_path, suffix, lang):
    """A file unzipped from an archive made on Chinese Windows: its name 销售 in GBK bytes, which a
    UTF-8 system reads as lone surrogates. ab5f03d ingested it into a UnicodeEncodeError (CSV, in
    DuckDB's read) or a RuntimeError (workbook); its folder so too."""
    import os

    folder = os.fsdecode(str(tmp_path).encode() + b"/in")
    os.mkdir(folder)
    name = os.fsdecode(b"\xcf\xfa\xca\xdb" + suffix.encode())
    try:
        path = os.path.join(folder, name)
        frame = pd.DataFrame({"customer_id": ["a"], "ts": ["2025-01-01"], "amount": [5]})
        frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_excel(path, index=False)
    except (OSError, UnicodeError):
        pytest.skip("this file system takes no name that is not UTF-8")
    for source in (path, folder):
        res = CliRunner().invoke(xuanba_app, ["--lang", lang, "ingest", source, "--workspace", str(tmp_path / "w.duckdb")])
        assert res.exit_code == 2, (res.output, res.exception)
        assert repr(path).strip("'") in res.output.replace("\n", "")  # the file, its bytes as escapes
        assert {"en": "not UTF-8", "zh": "不是 UTF-8"}[lang] in res.output
        assert not RAW.search(res.output)
    res = CliRunner().invoke(xuanba_app, ["ingest", path, "--workspace", str(tmp_path / "w.duckdb"), "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["file"] == path


def test_a_persian_name_and_an_emoji_sequence_print_as_written_and_an_override_does_not(tmp_path):
    """A zero-width non-joiner is how Persian writes محمد‌رضا, a zero-width joiner how 👩‍💻 is one
    emoji: shown where they join two letters or symbols; ab5f03d printed them as ``\\u200c``. A
    joiner between ASCII letters, or at an edge, and a right-to-left override stay escaped."""
    tx = simulated_transactions(40, seed=5)
    names = ["محمد\u200cرضا", "👩\u200d💻", "a\u200db", "x\u202ey"]
    tx["customer_id"] = [names[i % 4] + str(i % 40) for i in range(len(tx))]
    ws = _workspace(tmp_path, tx)
    (tmp_path / "s.toml").write_text(STANDARD, encoding="utf-8")
    res = CliRunner().invoke(xuanba_app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                          "2025-12-31", "--workspace", str(ws), "--top", "40"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "محمد\u200cرضا" in res.output and "👩\u200d💻" in res.output, res.output
    assert "a\\u200db" in res.output and "x\\u202ey" in res.output
    assert "a\u200db" not in res.output and "\u202e" not in res.output
