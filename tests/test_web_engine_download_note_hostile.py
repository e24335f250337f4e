"""The roster download of an engine round says what the file holds (the CSV in its
``X-Xuanba-Note`` header, the workbook on a note sheet): attacked with a hostile --roster-out
folder (markup, a formula, a line break and a header of its own), round name and standard name.
The header stays one header, percent-encoded, and decodes to the note; the note sheet's cell is
text, never a formula; the page shows the note as text."""

from __future__ import annotations

import io
import re
import shutil
from urllib.parse import unquote

import pytest

from tests.test_round_engine import BUSY_STANDARD, simulated_transactions
from tests.test_round_engine_outputs import seen
from tests.web.helpers import PASSWORD, log_in
from xuanba.outputs.exports import selection_file_note
from xuanba.rounds import load_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import load_standard

EVIL = '=HYPERLINK("x")<script>alert(1)</script>\r\nSet-Cookie: evil=1\n@SUM(1)'
#: A folder a stranger would name: a formula, markup, quotes, an encoded line break and a header.
FOLDER = "=HYPERLINK(\"x\") <img src=x onerror=alert(1)> 'q' %0d%0aSet-Cookie: evil=1 @SUM(1)"
STANDARD = BUSY_STANDARD.replace('name = "busy"', 'name = "<b>busy</b>=1+1"')


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evilnote")
    out = tmp / FOLDER
    ws = tmp / "eng.duckdb"
    run_round_on_engine(
        simulated_transactions(200, seed=17),
        load_standard(STANDARD),
        "2025-12-31",
        workspace=ws,
        roster_out=out,
        check_model=False,
        name=EVIL,
    )
    return {"ws": ws, "out": out, "tmp": tmp}


def _get(path, tmp_path, *urls, lang="en"):
    from starlette.testclient import TestClient

    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    path = shutil.copy(path, tmp_path / "w.duckdb")
    with Workspace(path) as w:
        store.add_user(w, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0), headers={"accept-language": lang}) as client:
        log_in(client, "boss")
        return [client.get(u) for u in urls]


def test_the_fixture_round_names_the_hostile_folder(evil):
    meta = load_round(evil["ws"], "latest", fields=False, contributions=False).meta
    assert meta["roster_out"] == str(evil["out"]) and meta["name"] == EVIL
    assert (evil["out"] / "roster.parquet").exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_csv_note_header_is_one_header_that_decodes_to_the_note(evil, tmp_path, lang):
    [csv] = _get(evil["ws"], tmp_path, "/roster/export.csv", lang=lang)
    raw = csv.headers["x-xuanba-note"]
    assert not re.search(r"[\r\n\x00-\x1f\x7f]", raw) and re.fullmatch(r"[\x21-\x7e]+", raw)
    meta = load_round(evil["ws"], "latest", fields=False, contributions=False).meta
    assert unquote(raw) == selection_file_note(meta, 1, lang) and str(evil["out"]) in unquote(raw)
    assert "evil" not in str(csv.headers.get("set-cookie", ""))
    assert [k for k in csv.headers if k.lower() == "set-cookie" and "evil" in csv.headers[k]] == []
    assert 'filename="selected-round-1.csv"' in csv.headers["content-disposition"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_note_sheet_holds_the_note_as_text_never_a_formula(evil, tmp_path, lang):
    import openpyxl

    [xlsx] = _get(evil["ws"], tmp_path, "/roster/export.xlsx", lang=lang)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[1]
    cell = sheet.cell(row=2, column=1)
    meta = load_round(evil["ws"], "latest", fields=False, contributions=False).meta
    note = selection_file_note(meta, 1, lang)
    assert cell.data_type == "s" and cell.value == note
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


def test_the_roster_page_shows_the_hostile_note_as_text(evil, tmp_path):
    [page, rounds] = _get(evil["ws"], tmp_path, "/roster", "/rounds")
    assert "<img src=x" not in page.text and "<b>busy</b>" not in rounds.text
    assert any(FOLDER in w for w in seen(page.text))  # said, as text
    assert any("<b>busy</b>=1+1" in w for w in seen(rounds.text))
