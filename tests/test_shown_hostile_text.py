"""Text taken from the data — a header, a file name, a customer id, an extra field's name — reaches
the console and the rendered error through one function (:func:`xuanba.errors.shown`): quoted with
its escapes where it holds a character a terminal acts on or hides (an ANSI escape that clears the
screen, a line break that forges a ``fix:`` line, a right-to-left override U+202E, a carriage
return). 7dd5749 quoted headers on two console lines only; its errors printed them raw ("columns
found: ...", the file of an error, "report written: PATH"). Each command is run in-process."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.cli import app
from xuanba.errors import DataError, InputError, Phrase

#: What a hostile cell holds: clear the screen, reverse the text, break the line into a fake fix.
EVIL = "\x1b[2J\u202e\n  fix: run evil"
#: No raw escape, carriage return, bidi control or other control but the line break.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\nfield = "revenue_total"\nweight = 50\n'
            '[[criteria]]\nname = "n"\nfield = "nps"\nweight = 50\nmissing = "median"\n[[tiers]]\nname = "A"\n'
            'min_score = 10\n')


def _cli(*args: str, lang: str = "en"):
    return CliRunner().invoke(app, ["--lang", lang, *args], env={"COLUMNS": "400"})


def _bare(text: str) -> str:
    """Text without the spaces and line breaks the console may wrap a long line at."""
    return "".join(text.split())


def _safe(output: str) -> None:
    """Nothing a terminal acts on, and no line the data forged."""
    assert not RAW.search(output), repr(output)
    assert "\n  fix: run evil" not in output, output  # the line the data would have forged


def test_shown_quotes_what_a_terminal_acts_on_and_keeps_the_rest_as_written():
    from xuanba.errors import shown

    for text in ("成本（元）", "客户　名称", "a'b\"c", "[bold]x[/]"):
        assert shown(text) == text
    for text in (EVIL, "a\rb", "x\u200by", "\ud800"):
        said = shown(text)
        assert said == repr(text) and not RAW.search(said) and "\n" not in said
    assert shown("a\nb\x1b", quoted=False, keep="\n") == "a\nb\\x1b"


def test_an_error_shows_its_file_column_and_phrase_values_escaped_and_recognisable():
    err = InputError(Phrase("err_columns_found", columns="客户" + EVIL), file="f" + EVIL + ".csv", row=3,
                     column="金额" + EVIL, fix=Phrase("err_map_missing_column", field="amount", header=EVIL))
    for lang in ("en", "zh"):
        said = err.render(lang)
        _safe(said)
        assert repr("f" + EVIL + ".csv") in said and repr("客户" + EVIL) in said
        assert repr("金额" + EVIL)[1:-1] in said  # the frame quotes the column: its escapes in place
    plain = DataError(f"the value {EVIL} is odd")  # text given as text: no control passes either
    assert not RAW.search(str(plain)) and "\\x1b[2J\\u202e" in str(plain)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ingest_names_hostile_headers_and_the_file_escaped(tmp_path, lang):
    headers = ["客户编号", "\x1b[2J", "x\n  fix: run evil", "a\u202eb"]
    path = tmp_path / ("sales" + EVIL + ".csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([headers, ["a", "1", "2", "3"]])
    res = _cli("ingest", str(path), "--workspace", str(tmp_path / "w.duckdb"), lang=lang)
    assert res.exit_code == 2, res.output
    _safe(res.output)
    for h in headers[1:]:
        assert _bare(repr(h)) in _bare(res.output)  # "columns found" and the candidates
    assert _bare(repr(str(path))) in _bare(res.output)


def test_ingest_of_a_good_file_with_a_hostile_name_and_header(tmp_path):
    path = tmp_path / ("导出" + EVIL + ".csv")
    cost = "成本" + EVIL
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([["客户编号", "下单日期", "金额", cost],
                                                     ["a", "2025-01-01", "10", "x"], ["b", "2025-02-01", "5", "1"]])
    res = _cli("ingest", str(path), "--workspace", str(tmp_path / "w.duckdb"), "--map", f"cost={cost}")
    assert res.exit_code == 0, res.output
    _safe(res.output)
    assert _bare(repr(path.name)) in _bare(res.output) and _bare(repr(cost)) in _bare(res.output)


@pytest.fixture
def hostile_round(tmp_path):
    """A workspace whose customer ids all end in EVIL, a --fields file whose name and one column's
    name hold it too, with an ``inf`` for every fourth customer."""
    tx = simulated_transactions(60, seed=2)
    tx["customer_id"] = tx["customer_id"].astype(str) + EVIL
    ws = _workspace(tmp_path, tx)
    (tmp_path / "s.toml").write_text(STANDARD, encoding="utf-8")
    ids = sorted(tx["customer_id"].unique())
    fields = tmp_path / ("fields" + EVIL + ".csv")
    pd.DataFrame({"customer_id": ids, "nps": ["inf" if i % 4 == 0 else "3" for i in range(len(ids))],
                  "x\u202e": ["NaN"] * len(ids)}).to_csv(fields, index=False)
    return tmp_path, ws, fields, ids


def test_round_report_and_export_lines_show_ids_field_names_and_paths_escaped(hostile_round):
    tmp, ws, fields, ids = hostile_round
    missing = _cli("round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF, "--fields",
                   str(tmp / ("gone" + EVIL + ".csv")), "--workspace", str(ws))
    assert missing.exit_code == 2, missing.output
    assert _bare(repr(str(tmp / ("gone" + EVIL + ".csv")))) in _bare(missing.output), missing.output
    ran = _cli("round", "--standard", str(tmp / "s.toml"), "--cutoff", CUTOFF, "--fields", str(fields),
               "--workspace", str(ws), "--top", "3")
    assert ran.exit_code == 0, ran.output
    said = _bare(ran.output)
    assert _bare(repr(ids[0])) in said and repr("x\u202e") in said  # scored as missing: who, which field
    out = tmp / ("report" + EVIL + ".html")
    rep = _cli("report", "latest", "--out", str(out), "--workspace", str(ws), lang="zh")
    assert rep.exit_code == 0 and out.exists() and _bare(repr(str(out))) in _bare(rep.output), rep.output
    folder = tmp / ("export" + EVIL)
    exp = _cli("export", "latest", "--out", str(folder), "--format", "csv", "--workspace", str(ws))
    assert exp.exit_code == 0 and folder.is_dir(), exp.output
    for res in (missing, ran, rep, exp):
        _safe(res.output)


def test_the_web_error_of_a_hostile_value_carries_no_control(tmp_path):
    """The web app's JSON error is the error's message: its values escaped as the console's."""
    import json

    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from xuanba.web.app import xuanba_error

    async def boom(request):
        raise DataError(Phrase("err_columns_found", columns="a" + EVIL), file="f" + EVIL)

    client = TestClient(Starlette(routes=[Route("/x", boom)], exception_handlers={DataError: xuanba_error}))
    body = client.get("/x")
    assert body.status_code == 422
    message = json.loads(body.text)["message"]
    assert repr("a" + EVIL) in message and not RAW.search(message) and "\n" not in message


def test_ingest_names_a_workbooks_hostile_sheet_names_escaped(tmp_path):
    """An unknown --sheet: the error lists the workbook's sheets, one of them named with a
    right-to-left override (Excel allows it in a sheet name)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "销售\u202e表"
    book.active.append(["客户编号", "下单日期", "金额"])
    book.active.append(["a", "2025-01-01", 10])
    path = tmp_path / "book.xlsx"
    book.save(path)
    res = _cli("ingest", str(path), "--sheet", "nope", "--workspace", str(tmp_path / "w.duckdb"))
    assert res.exit_code == 2 and repr("销售\u202e表") in _bare(res.output), res.output
    _safe(res.output)


def test_diff_shows_a_hostile_tier_name_and_customer_escaped(tmp_path):
    """``xuanba diff``'s "entered"/"left" lines are styled text (Rich's ``Text``), which goes past the
    console's escaping: 7200db1 printed the standard's tier names raw there (an escape cleared the
    screen, U+202E reversed the line). Every ``Text`` of the CLI is made by ``styled`` now."""
    tx = simulated_transactions(80, seed=4)
    tx["customer_id"] = tx["customer_id"].astype(str) + "\u202e"
    ws = _workspace(tmp_path, tx)
    tier = "A" + EVIL
    standard = tmp_path / "s.toml"
    named = (STANDARD.replace('field = "nps"\nweight = 50\nmissing = "median"', 'field = "frequency"\nweight = 50')
             .replace('name = "A"\nmin_score = 10', f"name = {json.dumps(tier)}\nmin_score = 40"))
    standard.write_text(named, encoding="utf-8")  # JSON's escapes are TOML's
    for cutoff in ("2025-06-30", CUTOFF):
        ran = _cli("round", "--standard", str(standard), "--cutoff", cutoff, "--workspace", str(ws))
        assert ran.exit_code == 0, ran.output
    res = _cli("diff", "--workspace", str(ws), "--show", "50")
    assert res.exit_code == 0, res.output
    _safe(res.output)
    assert repr(tier)[1:-1] in _bare(res.output) or _bare(repr(tier)[1:-1]) in _bare(res.output), res.output


def test_no_cli_module_makes_rich_text_past_styled():
    """The one door for a styled line: a module that builds Rich's ``Text`` itself would print data raw."""
    import pathlib

    cli = pathlib.Path(__file__).resolve().parents[1] / "src" / "xuanba" / "cli"
    for path in cli.glob("*.py"):
        if path.name != "_common.py":
            assert "rich.text" not in path.read_text(encoding="utf-8"), path.name
