"""The standard page in-process: the current standard in plain words and its versions, live
validation (line, message, fix), the what-if preview against the latest round (checked against
the library and against the stored roster), publishing a version, and rounds run from the page
as background jobs (the same roster the library makes, one at a time, failures in words)."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.web.helpers import PASSWORD, csrf_of, log_in
from tests.web.standard_ws import STANDARD, make_standard_workspace, standard


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_standard_workspace(tmp_path_factory.mktemp("std") / "base.duckdb")


@pytest.fixture
def ws(base, tmp_path):
    """A fresh copy of the workspace for each test: they publish and run rounds."""
    return shutil.copy(base, tmp_path / "ws.duckdb")


@pytest.fixture
def client(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        yield c


def _login(client, name: str):
    """Log in as ``name`` and keep the session's CSRF token on the client (``client.token``)."""
    r = log_in(client, name)
    client.token = csrf_of(client.get("/standard").text)
    return r


def _token(client) -> str:
    return client.token


def _api(client, path: str, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.token})


def _audit(client) -> list[tuple[str, str]]:
    """(user, action) of the audit log, read through the app's own gate (a round job may write)."""
    from xuanba.web import store

    with client.app.state.xb.gate.read() as ro:
        return [(a["user"], a["action"]) for a in store.audit_log(ro)]


def _wait(client, job_id: str, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/standard/jobs/{job_id}").json()
        if job["state"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("the round job did not end")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_page_says_the_current_standard_in_plain_words_with_its_versions(client):
    from xuanba.standard import load_standard

    sentences = load_standard(STANDARD).describe("en")
    _login(client, "boss")
    page = client.get("/standard")
    assert page.status_code == 200 and "<textarea" in page.text
    assert all(escape(s) in page.text for s in sentences)
    api = client.get("/api/standard").json()
    assert api["current"]["sentences"] == sentences and api["current"]["ref"] == "r1"
    assert [(v["ref"], v["version"], v["published_by"], v["rounds"]) for v in api["versions"]] == [("r1", "1", None, [1])]
    assert api["diff"] is None  # one version: nothing to compare
    _login(client, "ann")  # a rep reads the standard, but gets no editor and no run form
    page = client.get("/standard")
    assert page.status_code == 200 and escape(sentences[1]) in page.text
    assert "<textarea" not in page.text and 'action="/standard/run"' not in page.text
    assert client.get("/api/standard").json()["current"]["sentences"] == sentences


def test_the_page_is_in_chinese_for_a_chinese_browser(client):
    from xuanba.standard import load_standard

    _login(client, "boss")
    page = client.get("/standard", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "现行标准：core，第 1 版" in page.text
    assert all(escape(s) in page.text for s in load_standard(STANDARD).describe("zh"))


@pytest.mark.parametrize("mistake, needle, words", [
    (('field = "frequency"', 'field = "frequncy"'), "frequncy", "unknown field 'frequncy'"),
    (("quota = 20", "quota = twenty"), "twenty", "not valid TOML"),
    (("weight = 30", "weight = -30"), "-30", "weight"),
])
def test_live_validation_gives_the_line_the_message_and_a_fix(client, mistake, needle, words):
    text = STANDARD.replace(*mistake)
    line = _line_of(text, needle)
    _login(client, "boss")
    token = _token(client)
    found = client.post("/api/standard/check", json={"text": text}, headers={"X-CSRF-Token": token}).json()
    assert found["ok"] is False
    first = found["problems"][0]
    assert first["line"] == line and words in first["message"] and first["fix"]
    part = client.post("/standard/check", data={"csrf": token, "text": text}, headers={"HX-Request": "true"})
    assert part.status_code == 200 and f"line {line}</strong>" in part.text and escape(first["fix"]) in part.text
    fixed = client.post("/standard/check", data={"csrf": token, "text": STANDARD}).text
    assert 'id="check-ok"' in fixed and "core, version 1" in fixed
    assert 'hx-post="/standard/preview"' in fixed  # a valid text asks for its preview


def test_the_preview_is_the_librarys_what_if_and_the_stored_roster_agrees(client, ws):
    from xuanba.rounds import load_round
    from xuanba.rounds.whatif import whatif

    text = standard(2, gold=15)
    _login(client, "boss")
    w = _api(client, "/api/standard/preview", text=text).json()
    lib = whatif(ws, text, horizon="365d")
    for key in ("entered", "left", "rose", "fell", "kept", "selected_new", "value_captured_new"):
        assert w["summary"][key] == pytest.approx(lib.summary[key]), key
    assert w["tiers"] == [{"tier": "gold", "round": 10, "new": 15}, {"tier": "silver", "round": 20, "new": 20}]
    # independently: the same criteria rank alike, so five more places take ranks 31..35 into silver
    roster = load_round(ws, 1, fields=False, contributions=False).roster
    newcomers = set(roster.loc[roster["rank"].between(31, 35), "customer_id"])
    assert w["summary"]["entered"] == 5 and w["summary"]["left"] == 0
    assert {m["customer_id"] for m in w["movers"] if m["tier_round"] == ""} == newcomers
    assert w["backtest"] == {"new": None, "round": None}  # none stored in this workspace
    page = client.post("/standard/preview", data={"csrf": _token(client), "text": text}).text
    assert 'id="w-entered">5<' in page and "/customers/" in page


def test_the_preview_shows_the_stored_backtest_of_the_text(client, ws):
    from xuanba.rounds.backtest import backtest
    from xuanba.rounds.store import save_backtest
    from xuanba.workspace import Workspace

    text = standard(2, gold=15)
    with Workspace(ws) as w:
        bt = backtest(w, text, "2025-06-30", "2025-09-30", baselines=("revenue",), draws=10)
        save_backtest(w, bt)
    _login(client, "boss")
    got = _api(client, "/api/standard/preview", text=text).json()["backtest"]["new"]
    assert got["revenue_captured"] == pytest.approx(float(bt.overall.loc["standard", "revenue_captured"]))
    assert got["horizon_days"] == bt.horizon_days


def test_publishing_stores_a_new_version_with_who_and_when(client, ws):
    text = standard(2, gold=15)
    _login(client, "boss")
    r = client.post("/standard/publish", data={"csrf": _token(client), "text": text}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/standard?published=1"
    api = client.get("/api/standard").json()
    assert api["current"]["ref"] == "p1" and api["current"]["published_by"] == "boss"
    assert [v["ref"] for v in api["versions"]] == ["p1", "r1"]  # newest first
    d = api["diff"]
    assert (d["a"], d["b"]) == ("r1", "p1")
    assert {"kind": "del", "text": "-quota = 10"} in d["lines"] and {"kind": "add", "text": "+quota = 15"} in d["lines"]
    assert any("top 10 customers" in s for s in d["removed"]) and any("top 15 customers" in s for s in d["added"])
    assert 'id="published">Published as p1.<' in client.get("/standard?published=1").text
    back = client.get("/standard?a=p1&b=r1").text  # any two, either way round
    assert "What changed from p1 to r1" in back and "+quota = 10" in back and "<nav>" in back
    part = client.get("/standard?a=p1&b=r1&part=diff", headers={"HX-Request": "true"}).text
    assert "+quota = 10" in part and "<nav>" not in part  # htmx swaps in the diff alone
    # the same text again, and another text under a version number already published: refused
    again = _api(client, "/api/standard/publish", text=text)
    assert again.status_code == 400 and "nothing changed" in again.json()["message"]
    clash = _api(client, "/api/standard/publish", text=standard(2, gold=12))
    assert clash.status_code == 400 and "Raise `version`" in clash.json()["fix"]
    assert _api(client, "/api/standard/publish", text=standard(3, gold=12)).status_code == 201
    assert [v["ref"] for v in client.get("/api/standard").json()["versions"]] == ["p2", "p1", "r1"]
    assert [u for u, a in _audit(client) if a == "standard_publish"] == ["boss", "boss"]


def test_an_invalid_text_is_not_published(client, ws):
    from xuanba.web import store
    from xuanba.workspace import Workspace

    text = STANDARD.replace('field = "frequency"', 'field = "frequncy"')
    _login(client, "boss")
    r = client.post("/standard/publish", data={"csrf": _token(client), "text": text}, follow_redirects=False)
    assert r.status_code == 400 and f"line {_line_of(text, 'frequncy')}</strong>" in r.text
    assert "frequncy" in r.text  # the text is kept in the editor to be fixed
    with Workspace(ws, read_only=True) as ro:
        assert store.published_standards(ro) == []


def test_a_round_run_from_the_page_is_the_round_the_library_makes(client, ws, tmp_path):
    from xuanba.rounds import run_round

    text = standard(2, gold=15)
    _login(client, "boss")
    assert _api(client, "/api/standard/publish", text=text).status_code == 201
    started = _api(client, "/api/standard/run", version="p1", cutoff="2026-06-30")
    assert started.status_code == 202 and started.json()["state"] == "running"
    job = _wait(client, started.json()["job_id"])
    assert job["state"] == "done" and job["round_id"] == 2 and job["error"] is None
    assert [s["step"] for s in job["steps"]][:2] == ["copy", "facts"] and job["steps"][-1]["step"] == "storing"
    rounds = client.get("/api/rounds").json()
    assert rounds[0]["round_id"] == 2 and rounds[0]["cutoff"] == "2026-06-30" and rounds[0]["standard_version"] == "2"
    # the library, run directly on a copy of the file as it was, makes the same roster
    before = shutil.copy(ws, tmp_path / "direct.duckdb")
    direct = run_round(str(before), text, "2026-06-30", store=False, check_model=False)
    assert client.get("/api/overview").json()["selected"] == direct.meta["n_selected"] == 35
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        sha = ro.sql("SELECT roster_sha256 FROM rounds WHERE round_id = 2").iloc[0, 0]
    assert sha == direct.meta["roster_sha256"]
    page = client.get(f"/standard/jobs/{job['job_id']}").text
    assert 'href="/roster?round=2"' in page and "hx-trigger" not in page  # done: polling stops
    assert client.get("/api/standard").json()["current"]["rounds"] == [2]
    assert {("boss", "round_start"), ("boss", "round_run")} <= set(_audit(client))


def test_one_round_at_a_time_and_the_pages_answer_while_it_computes(client, ws, monkeypatch):
    import xuanba.rounds

    release, entered = threading.Event(), threading.Event()
    real = xuanba.rounds.run_round

    def slow(*args, **kwargs):
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(xuanba.rounds, "run_round", slow)
    _login(client, "boss")
    first = _api(client, "/api/standard/run", version="r1", cutoff="2026-06-30")
    assert first.status_code == 202 and entered.wait(10)
    try:
        second = _api(client, "/api/standard/run", version="r1", cutoff="2026-05-31")
        assert second.status_code == 409 and "running already" in second.json()["error"]
        part = client.post("/standard/run", data={"csrf": _token(client), "version": "r1", "cutoff": "2026-05-31"},
                           headers={"HX-Request": "true"})
        assert part.status_code == 200 and "running already" in part.text  # htmx swaps the words in
        running = client.get(f"/standard/jobs/{first.json()['job_id']}").text
        assert 'hx-trigger="every 1s"' in running  # the page polls while it runs
        # while the round computes it holds no connection: pages read and a log-in writes
        assert client.get("/api/overview").status_code == 200
        assert log_in(client, "admin").status_code == 303
        _login(client, "boss")
    finally:
        release.set()
    assert _wait(client, first.json()["job_id"])["state"] == "done"
    again = _api(client, "/api/standard/run", version="r1", cutoff="2026-05-31")
    assert again.status_code == 202 and _wait(client, again.json()["job_id"])["round_id"] == 3


def test_a_failed_round_is_said_in_words_and_stores_nothing(client, ws):
    _login(client, "boss")
    started = _api(client, "/api/standard/run", version="r1", cutoff="2020-01-01")
    job = _wait(client, started.json()["job_id"])
    assert job["state"] == "failed" and "no transaction on or before the cutoff 2020-01-01" in job["error"]
    assert job["fix"] and job["round_id"] is None
    page = client.get(f"/standard/jobs/{job['job_id']}").text
    assert "The round failed: no transaction" in page and "Traceback" not in page
    assert [r["round_id"] for r in client.get("/api/rounds").json()] == [1]
    for body, words in (({"version": "nope"}, "no such version"), ({"version": "r1", "cutoff": "soon"}, "not a date")):
        bad = _api(client, "/api/standard/run", **body)
        assert bad.status_code == 400 and words in bad.json()["error"]
    assert ("boss", "round_failed") in _audit(client)


HOLD = """
import sys
from xuanba.workspace import Workspace
with Workspace(sys.argv[1]) as ws:  # another process writing: DuckDB locks the file
    print("holding", flush=True)
    sys.stdin.readline()  # until the test lets go (a line, or the pipe closed)
"""


def _hold(ws):
    """Another process that holds the workspace open to write, once it says so, until
    :func:`_let_go` (not for a fixed time: the test lets go as soon as it has seen what it waits for)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import xuanba

    env = {**os.environ, "PYTHONPATH": str(Path(xuanba.__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(ws)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def _let_go(proc) -> None:
    """The other process closes the workspace and ends."""
    proc.stdin.close()
    assert proc.wait(30) == 0
    proc.stdout.close()


def test_a_round_waits_for_another_writer_to_store_and_gives_up_in_words(client, ws, monkeypatch):
    import contextlib

    import xuanba.rounds
    from xuanba.errors import WorkspaceError
    from xuanba.web import jobs

    gate, copied, real = threading.Event(), threading.Event(), xuanba.rounds.run_round
    app_gate, refused = client.app.state.xb.gate, threading.Event()
    real_write = app_gate.write

    def later(*args, **kwargs):  # the copy is made and its read ended: wait for the other writer
        copied.set()
        assert gate.wait(30)
        return real(*args, **kwargs)

    @contextlib.contextmanager
    def write():  # the app's writes, as they are, noting each one the other process's lock refused
        try:
            with real_write() as w:
                yield w
        except WorkspaceError:
            refused.set()
            raise

    monkeypatch.setattr(xuanba.rounds, "run_round", later)
    monkeypatch.setattr(app_gate, "write", write)
    _login(client, "boss")
    # a command writes while the round is about to store: the round is refused, waits, then stores
    first = _api(client, "/api/standard/run", version="r1", cutoff="2026-06-30").json()
    assert copied.wait(30)
    proc = _hold(ws)
    gate.set()
    try:
        assert refused.wait(60)  # the round tried to store beside the other writer
        assert client.app.state.xb.jobs.get(first["job_id"]).state == "running"  # and waits for it
    finally:
        _let_go(proc)
    assert _wait(client, first["job_id"])["round_id"] == 2
    # a command that holds the file longer than the round waits: it fails in words, nothing stored
    monkeypatch.setattr(jobs, "STORE_WAIT_S", 0.5)
    gate.clear()
    copied.clear()
    second = _api(client, "/api/standard/run", version="r1", cutoff="2026-05-31").json()
    assert copied.wait(30)
    proc = _hold(ws)  # held until the round has given up
    gate.set()
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and client.app.state.xb.jobs.get(second["job_id"]).state == "running":
            time.sleep(0.1)
        job = client.app.state.xb.jobs.get(second["job_id"]).as_dict()  # the pages answer 503 meanwhile
        assert job["state"] == "failed" and "another process" in job["error"], job
    finally:
        _let_go(proc)
    assert [r["round_id"] for r in client.get("/api/rounds").json()] == [2, 1]
    end = time.monotonic() + 30
    while ("boss", "round_failed") not in _audit(client):  # written once the file is free again
        assert time.monotonic() < end
        time.sleep(0.2)


def test_an_empty_workspace_offers_the_starter_standard(tmp_path):
    from xuanba.standard import starter_standard
    from xuanba.web import create_app, store
    from xuanba.workspace import Workspace

    path = tmp_path / "empty.duckdb"
    with Workspace(path) as w:
        store.add_user(w, "boss", PASSWORD, role="manager")
    with TestClient(create_app(path, linger_s=0)) as client:
        _login(client, "boss")
        page = client.get("/standard").text
        assert "No standard yet" in page and str(escape(starter_standard("en").splitlines()[0])) in page
        assert 'id="run"' not in page  # nothing to run yet
        got = _api(client, "/api/standard/preview", text=starter_standard("en")).json()
        assert got["ok"] is True and got["error"] == "no round is stored yet"
        assert _api(client, "/api/standard/run", cutoff="2026-06-30").json()["error"] == "no such version of the standard"
        assert client.get("/api/standard").json() == {"current": None, "versions": [], "diff": None}


def test_live_validation_says_the_problems_in_the_pages_language(client):
    """A Chinese browser reads the standard's problems in Chinese (they once came in English
    whatever the page's language); the API stays English for programs."""
    text = STANDARD.replace("weight = 30", "weight = -30")
    line = _line_of(text, "-30")
    _login(client, "boss")
    zh = client.post("/standard/check", data={"csrf": _token(client), "text": text},
                     headers={"HX-Request": "true", "Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200 and f"第 {line} 行" in zh.text and "的权重是 -30.0" in zh.text, zh.text
    assert "has weight" not in zh.text and "权重必须是正数" in zh.text
    api = _api(client, "/api/standard/check", text=text).json()
    assert any(p["line"] == line and "has weight -30.0" in p["message"] for p in api["problems"])
