"""The roster's exports from the web app (``/roster/export.csv``, ``.xlsx``) carry hostile ids,
names and owners as text: no formula cell in Excel, a leading quote in CSV (the OWASP rule, as
``xuanba export`` does), for a manager and for a rep whose own owner name looks like a formula;
and an owner name that looks like SQL scopes a rep to nothing, in the exports too."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from starlette.testclient import TestClient

from tests.web.helpers import PASSWORD, log_in

EVIL_IDS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]
EVIL_NAMES = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil","click")', "\t=1+1", "@x"]
EVIL_OWNER = "=1+1"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    path = tmp_path_factory.mktemp("exp") / "ws.duckdb"
    with Workspace(path) as w:
        r = synthetic_round(40, seed=3, people=True)
        swap = dict(zip([f"C{i:07d}" for i in range(1, 5)], EVIL_IDS, strict=True))
        for frame in (r.roster, r.contributions, r.fields):
            frame["customer_id"] = frame["customer_id"].replace(swap)
        r.fields["owner"] = np.where(np.arange(40) % 2 == 0, EVIL_OWNER, "Rep 01").astype(object)
        r.fields.loc[r.fields["customer_id"].isin(EVIL_IDS), "name"] = EVIL_NAMES
        r.fields.loc[r.fields["customer_id"].isin(EVIL_IDS), "owner"] = EVIL_OWNER
        r.meta.update(name="r1", roster_sha256="1" * 64, extra_fields=["internal_credit"],
                      field_columns=[c for c in r.fields.columns if c != "customer_id"])
        save_round(w, r)
        store.add_user(w, "boss", PASSWORD, role="manager")
        store.add_user(w, "eve", PASSWORD, role="rep", owner=EVIL_OWNER)
        store.add_user(w, "sly", PASSWORD, role="rep", owner="x' OR '1'='1")
    return path


def _get(ws, user, path, **params):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        assert log_in(c, user).status_code == 303
        return c.get(path, params=params)


@pytest.mark.parametrize("user", ["boss", "eve"])
def test_csv_export_quotes_text_that_a_spreadsheet_would_run(ws, user):
    r = _get(ws, user, "/roster/export.csv")
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="roster-round-1.csv"'
    back = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    evil = back[back["customer_id"].str.lstrip("'").isin(EVIL_IDS)]
    assert sorted(evil["customer_id"]) == sorted("'" + i for i in EVIL_IDS)
    assert sorted(evil["name"]) == sorted("'" + n for n in EVIL_NAMES)
    assert set(evil["owner"]) == {"'" + EVIL_OWNER}
    for column in back.columns:  # no text cell anywhere starts like a formula
        assert not back[column].str.match(r"^[=+@\t\r]").any(), column
        assert not back[column].str.match(r"^-[^0-9]").any(), column
    if user == "eve":  # her own customers only
        assert set(back["owner"]) == {"'" + EVIL_OWNER}


@pytest.mark.parametrize("user", ["boss", "eve"])
def test_xlsx_export_holds_hostile_text_as_text(ws, user):
    r = _get(ws, user, "/roster/export.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert set(EVIL_IDS) <= values and set(EVIL_NAMES) <= values and EVIL_OWNER in values


def test_an_owner_name_like_sql_scopes_a_rep_to_nothing(ws):
    assert _get(ws, "sly", "/api/roster").json()["total"] == 0
    body = _get(ws, "sly", "/roster/export.csv").content.decode("utf-8-sig")
    assert body.strip().count("\n") == 0  # the header alone
    assert _get(ws, "sly", "/api/roster", owner=EVIL_OWNER).json()["total"] == 0
