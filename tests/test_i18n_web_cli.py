"""Issue 13 point 6: the web app's commands (users, share) speak the language of the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xuanba.cli import app

pytest.importorskip("argon2")


def run(*args: str, lang: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["--lang", lang, *args], input=stdin)


@pytest.fixture
def ws(tmp_path):
    log = tmp_path / "tx.csv"
    log.write_text("customer_id,ts,amount\nA,2025-01-01,10\n", encoding="utf-8")
    path = tmp_path / "ws.duckdb"
    assert run("ingest", str(log), "-w", str(path), lang="en").exit_code == 0
    return str(path)


def test_users_commands_in_chinese_and_english(ws):
    res = run("users", "add", "li", "--role", "admin", "--password-stdin", "-w", ws, lang="zh", stdin="short\n")
    assert res.exit_code == 2 and "密码只有 5 个字符" in res.output and "请设一个更长的密码" in res.output
    res = run("users", "add", "li", "--role", "boss", "--password-stdin", "-w", ws, lang="zh",
              stdin="a long enough pass phrase\n")
    assert res.exit_code == 2 and "'boss' 不是可用的角色" in res.output and "admin" in res.output
    res = run("users", "add", "li", "--role", "admin", "--password-stdin", "-w", ws, lang="zh",
              stdin="a long enough pass phrase\n")
    assert res.exit_code == 0, res.output
    res = run("users", "password", "li", "--password-stdin", "-w", ws, lang="zh", stdin="another long pass phrase\n")
    assert res.exit_code == 0 and "li：密码已修改" in res.output
    assert "启用" in run("users", "list", "-w", ws, lang="zh").output
    assert "li：已停用" in run("users", "disable", "li", "-w", ws, lang="zh").output
    assert "已停用" in run("users", "list", "-w", ws, lang="zh").output
    en = run("users", "disable", "nobody", "-w", ws, lang="en")
    assert en.exit_code == 2 and "there is no user 'nobody'" in en.output
    zh = run("users", "disable", "nobody", "-w", ws, lang="zh")
    assert "没有用户 'nobody'" in zh.output and "xuanba users list" in zh.output


def test_share_speaks_chinese(ws):
    res = run("share", "-w", ws, lang="zh")
    assert res.exit_code == 2 and "请指定一位客户" in res.output
    res = run("share", "--revoke", "nope", "-w", ws, lang="zh")
    assert res.exit_code == 2 and "没有链接 'nope'" in res.output
