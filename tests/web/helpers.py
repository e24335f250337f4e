"""The web tests build apps with ``linger_s=0``: they write to the workspace beside the app, and
DuckDB refuses a writing connection beside a reading one in one process.

A small workspace for the web tests: two stored rounds of 120 customers with names and owners
(``Rep 00`` ... ``Rep 39``), one customer named and numbered like an attack, and four users."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

PASSWORD = "correct horse battery"
EVIL_ID = "<img src=x onerror=alert(1)>"
EVIL_NAME = "<script>alert('name')</script>"
SLASH_ID = "ACME/../01"  # an id with slashes (and dots), as some ERPs write them


def make_web_workspace(path: Path, n: int = 120) -> Path:
    """The workspace file, with rounds 1 and 2 and users admin, boss (manager), ann (Rep 01), bob (Rep 02)."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.rounds.store import save_round
    from xuanba.web import store
    from xuanba.workspace import Workspace

    with Workspace(path) as ws:
        for seed, cutoff in ((1, "2026-03-31"), (2, "2026-06-30")):
            r = synthetic_round(n, seed=seed, cutoff=cutoff, people=True)
            owners = np.array([f"Rep {i % 3:02d}" for i in range(n)], dtype=object)  # Rep 00, 01, 02 in turn
            r.fields["owner"] = owners[np.argsort(r.fields["customer_id"].to_numpy())]
            for frame in (r.roster, r.contributions, r.fields):
                frame["customer_id"] = frame["customer_id"].replace({"C0000001": EVIL_ID, "C0000004": SLASH_ID})
            r.fields.loc[r.fields["customer_id"] == EVIL_ID, "name"] = EVIL_NAME
            r.meta.update(name=f"r{seed}", roster_sha256=f"{seed:064d}", extra_fields=["internal_credit"], field_columns=[
                c for c in r.fields.columns if c != "customer_id"])
            save_round(ws, r)
        store.add_user(ws, "admin", PASSWORD, role="admin")
        store.add_user(ws, "boss", PASSWORD, role="manager")
        store.add_user(ws, "ann", PASSWORD, role="rep", owner="Rep 01")
        store.add_user(ws, "bob", PASSWORD, role="rep", owner="Rep 02")
    return path


def owner_of(path: Path, customer_id: str, round_id: int = 2) -> str:
    from xuanba.workspace import Workspace

    with Workspace(path, read_only=True) as ws:
        return str(ws.sql("SELECT owner FROM round_fields WHERE round_id = ? AND customer_id = ?",
                          [round_id, customer_id]).iloc[0, 0])


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client, name: str, password: str = PASSWORD):
    """Log ``client`` in as ``name``; the response of the log-in POST."""
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text),
                                       "next": "/"}, follow_redirects=False)
