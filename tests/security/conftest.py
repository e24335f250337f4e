"""The demo round every privacy check reads: each statement of it, as its customer would.

The demo round has a private criterion (margin, 25%) and a private gate over margin, two public
criteria that read predictions (``clv_3y``, ``p_alive``) and one plain public criterion
(revenue). Built once per test run (about 15 s)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests._helpers import built_once
from tests.test_report import make_workspace, visible_text


@dataclass
class Demo:
    """The stored round, each customer's page as text, the customers' names, the output folder
    and the statement files in roster order."""

    rnd: Any
    pages: dict[str, str]
    names: dict[str, str]
    out: Path
    paths: list[Path]


def _build(out: Path) -> None:
    """The demo's rounds and every statement of the latest, with their file names in roster order.

    The files are written as always (each through a temporary file, renamed in place) but not
    flushed to the disk one by one: what the 3,000 pages say is the subject here, and their
    flushes took a third of the build (5 s); tests/security/test_p08_atomic_writes.py checks the
    flush of every write."""
    import xuanba
    from xuanba import _files
    from xuanba.outputs.statements import build_statements
    from xuanba.rounds import load_round
    from xuanba.workspace import open_workspace

    with pytest.MonkeyPatch.context() as m:
        m.setattr(_files, "_fsync", lambda path: None)
        xuanba.run_demo(out, steps=("ingest", "standard", "rounds"))
        with open_workspace(out / "xuanba.duckdb", read_only=True) as ws:
            rnd = load_round(ws, "latest", fields=False)
        paths = build_statements(rnd, out / "statements")
    (out / "paths.json").write_text(json.dumps([p.name for p in paths]), "utf-8")


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """Built once per test run (both xdist workers read the same folder; no test writes to it)."""
    from xuanba.rounds import load_round
    from xuanba.workspace import open_workspace

    out = built_once(tmp_path_factory, "security-demo", _build)
    with open_workspace(out / "xuanba.duckdb", read_only=True) as ws:
        rnd = load_round(ws, "latest", fields=False)
        names = ws.sql("select customer_id, name from customers")
    paths = [out / "statements" / name for name in json.loads((out / "paths.json").read_text("utf-8"))]
    pages = {str(cid): visible_text(p.read_text("utf-8")) for cid, p in zip(rnd.roster["customer_id"], paths,
                                                                              strict=True)}
    return Demo(rnd, pages, dict(zip(names["customer_id"], names["name"], strict=True)), out, paths)


@pytest.fixture(scope="session")
def real_ws(tmp_path_factory) -> Path:
    """A workspace with two stored rounds (tests/test_report.py's ``make_workspace``)."""
    return make_workspace(tmp_path_factory.mktemp("ws") / "ws.duckdb")
