"""A workspace with account work for the web tests: the bundled demo's sales and side tables
(customers, contacts, interactions, commitments, needs, resources), one rep renamed like an
attack, one segment and one name too, and two rounds (2026-03-31, 2026-06-30) of the starter
standard, so each round stored its account analyses. Built once per test run (about 10 s)
and copied for each module; users: boss (manager), li (rep 李强), eve (the rep named like an
attack), all with ``PASSWORD``."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests._helpers import built_once
from tests.web.helpers import PASSWORD

EVIL_OWNER = "<b onmouseover=alert(3)>Emily</b>"
EVIL_SEGMENT = "<svg onload=alert(4)>"
EVIL_NAME = "<script>alert('acct')</script>"
EVIL_CUSTOMER = "C00006"  # a keep-warm account of the demo (dormant, high potential)

def _build(folder: Path) -> None:
    from xuanba.demo.pipeline import run_demo
    from xuanba.rounds import run_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    path = folder / "ws.duckdb"
    out = run_demo(folder / "demo", lang="en", steps=["ingest", "standard"])
    shutil.move(str(out.paths["workspace"]), path)
    with Workspace(path) as ws:
        for table, col in (("customers", "owner"), ("commitments", "rep"), ("interactions", "rep")):
            ws.con.execute(f"UPDATE {table} SET {col} = ? WHERE {col} = 'Emily Chen'", [EVIL_OWNER])
        ws.con.execute("UPDATE customers SET segment = ? WHERE segment LIKE '教育%'", [EVIL_SEGMENT])
        ws.con.execute("UPDATE customers SET name = ?, owner = ? WHERE customer_id = ?",
                       [EVIL_NAME, EVIL_OWNER, EVIL_CUSTOMER])
        for cutoff in ("2026-03-31", "2026-06-30"):
            run_round(ws, out.paths["standard"], cutoff)
        store.add_user(ws, "boss", PASSWORD, role="manager")
        store.add_user(ws, "li", PASSWORD, role="rep", owner="李强")
        store.add_user(ws, "eve", PASSWORD, role="rep", owner=EVIL_OWNER)


def account_workspace(tmp_path_factory) -> Path:
    """A fresh copy of the account workspace, built once per test run (both xdist workers)."""
    built = built_once(tmp_path_factory, "account-ws", _build) / "ws.duckdb"
    copy = tmp_path_factory.mktemp("acct") / "ws.duckdb"
    shutil.copy(built, copy)
    return copy


def stored(path: Path, round_id: int = 2):
    """The stored round (roster, fields, tables) as the library loads it."""
    from xuanba.rounds import load_round

    return load_round(path, round_id)
