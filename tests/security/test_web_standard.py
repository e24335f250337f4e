"""The standard page's forms under attack: every new POST needs the session's CSRF token (and a
forged one changes nothing), a rep reaches none of the editor, preview, publish or round routes
(404, as for anything not theirs), hostile standard text and labels are shown as text, a text
that looks like a file name is never read as one, and an oversized text is refused in words."""

from __future__ import annotations

import shutil

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import csrf_of, log_in
from tests.web.standard_ws import STANDARD, make_standard_workspace, standard

POSTS = ["/standard/check", "/standard/preview", "/standard/publish", "/standard/run",
         "/api/standard/check", "/api/standard/preview", "/api/standard/publish", "/api/standard/run"]
EVIL_NAME = "<script>alert('std')</script>"
EVIL_LABEL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_standard_workspace(tmp_path_factory.mktemp("std") / "base.duckdb", n=30)


@pytest.fixture
def ws(base, tmp_path):
    return shutil.copy(base, tmp_path / "ws.duckdb")


@pytest.fixture
def client(ws):
    from xuanba.web import create_app

    with TestClient(create_app(ws, linger_s=0)) as c:
        yield c


def _stored(ws) -> tuple[int, int]:
    """(versions published, rounds stored)."""
    from xuanba.web import store
    from xuanba.workspace import Workspace

    with Workspace(ws, read_only=True) as ro:
        return len(store.published_standards(ro)), int(ro.sql("SELECT count(*) FROM rounds").iloc[0, 0])


def test_every_new_form_needs_the_sessions_csrf_token(client, ws):
    log_in(client, "boss")
    token = csrf_of(client.get("/standard").text)
    body = {"text": standard(2, gold=12), "version": "r1", "cutoff": "2026-06-30"}
    for path in POSTS:
        for extra in ({"data": body}, {"data": {**body, "csrf": "forged"}},
                      {"json": body, "headers": {"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")}}):
            r = client.post(path, follow_redirects=False, **extra)
            assert r.status_code == 403, (path, extra)
    assert _stored(ws) == (0, 1)  # nothing published, no round run
    ok = client.post("/standard/publish", data={**body, "csrf": token}, follow_redirects=False)
    assert ok.status_code == 303 and _stored(ws) == (1, 1)  # the same form with its token works


def test_a_rep_reaches_none_of_the_editor_preview_publish_or_round_routes(client, ws):
    log_in(client, "boss")
    started = client.post("/api/standard/run", json={"version": "r1", "cutoff": "2026-06-30"},
                          headers={"X-CSRF-Token": csrf_of(client.get("/standard").text)})
    job = started.json()["job_id"]
    log_in(client, "ann")
    page = client.get("/standard")
    assert page.status_code == 200 and "<textarea" not in page.text and job not in page.text
    token = csrf_of(page.text)  # the log-out form's: a valid token of the rep's own session
    body = {"text": standard(2, gold=12), "version": "r1", "cutoff": "2026-06-30"}
    for path in POSTS:
        r = client.post(path, json=body, headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert r.status_code == 404, path
        r = client.post(path, data={**body, "csrf": token}, follow_redirects=False)
        assert r.status_code == 404, path
    for path in (f"/standard/jobs/{job}", f"/api/standard/jobs/{job}"):
        assert client.get(path).status_code == 404, path
    log_in(client, "boss")
    for _ in range(300):  # let the manager's round end before the workspace goes
        if client.get(f"/api/standard/jobs/{job}").json()["state"] != "running":
            break
        import time

        time.sleep(0.1)
    assert _stored(ws) == (0, 2)


def test_hostile_standard_text_and_labels_are_shown_as_text(client):
    evil = (standard(2).replace('name = "core"', f'name = "{EVIL_NAME}"')
            .replace('label = "Gold"', f'label = "{EVIL_LABEL}"'))
    log_in(client, "boss")
    token = csrf_of(client.get("/standard").text)
    assert client.post("/api/standard/publish", json={"text": evil}, headers={"X-CSRF-Token": token}).status_code == 201
    shown = [client.get("/standard").text,  # the name in the heading and sentences, the label in a sentence
             client.post("/standard/check", data={"csrf": token, "text": evil}).text,
             client.post("/standard/check", data={"csrf": token, "text": evil.replace(
                 'lang = "en"', f'lang = "en"\n"{EVIL_LABEL}" = 1')}).text]  # an unknown key, echoed in the problem
    preview = client.post("/standard/preview", data={"csrf": token, "text": evil}).text
    for page in [*shown, preview]:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in shown[0] and "&lt;img src=x" in shown[0]
    assert "&lt;script&gt;" in shown[1] and "&lt;img src=x" in shown[2]
    assert EVIL_NAME in client.get("/api/standard").json()["current"]["name"]  # kept as written, shown escaped


def test_a_text_that_looks_like_a_file_name_is_never_read(client, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text(STANDARD.replace('name = "core"', 'name = "the-secret-standard"'), "utf-8")
    log_in(client, "boss")
    token = csrf_of(client.get("/standard").text)
    for path in ("/api/standard/check", "/api/standard/preview", "/api/standard/publish"):
        r = client.post(path, json={"text": str(secret)}, headers={"X-CSRF-Token": token})
        assert "the-secret-standard" not in r.text and r.status_code in (200, 400), path
    assert client.post("/api/standard/check", json={"text": str(secret)},
                       headers={"X-CSRF-Token": token}).json()["ok"] is False


def test_an_oversized_text_is_refused_in_words(client):
    from xuanba.web.store import MAX_STANDARD_CHARS

    log_in(client, "boss")
    token = csrf_of(client.get("/standard").text)
    big = STANDARD + "#" * (MAX_STANDARD_CHARS + 1) + "\n"
    r = client.post("/api/standard/check", json={"text": big}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and "at most 100,000 are taken" in r.json()["problems"][0]["message"]
    r = client.post("/api/standard/publish", json={"text": big}, headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and "Traceback" not in r.text
