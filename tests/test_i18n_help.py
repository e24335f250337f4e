"""Issue 13 point 6: the help of every option of every command reads in Chinese under ``--lang zh``
(or a Chinese locale) and in English otherwise; one process can build the app in both languages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from xuanba.cli import make_app
from xuanba.i18n import TEXT

SRC = Path(__file__).resolve().parents[1] / "src"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: options whose help may read the same in both languages (a file name, a code): none so far
SAME_IN_BOTH: set[tuple[str, str]] = set()


def _options(lang: str) -> dict[tuple[str, str], str]:
    """(command path, option name) -> help, for every option and argument of every command."""
    root = typer.main.get_command(make_app(lang))
    found: dict[tuple[str, str], str] = {}

    def walk(cmd, ctx):
        for p in cmd.params:
            if p.name != "help":
                found[(ctx.command_path, p.name)] = getattr(p, "help", None) or ""
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, sub.context_class(sub, info_name=name, parent=ctx))

    walk(root, root.context_class(root, info_name="xuanba"))
    return found


def test_every_option_has_help_in_both_languages_and_they_differ():
    en, zh = _options("en"), _options("zh")
    assert en.keys() == zh.keys() and len(en) > 150
    missing = sorted(k for k, v in en.items() if not v.strip())
    assert missing == [], f"options without help: {missing}"
    keys_left = sorted(k for k, v in {**en, **zh}.items() if v.startswith("opt_"))
    assert keys_left == [], f"help still a phrase key (command not declared through handle_errors?): {keys_left}"
    same = sorted(k for k in en if en[k] == zh[k] and k not in SAME_IN_BOTH)
    assert same == [], f"help not translated: {same}"
    assert all(CJK.search(zh[k]) for k in zh if k not in SAME_IN_BOTH)
    assert not any(CJK.search(v) for v in en.values())


def test_every_option_phrase_in_the_table_is_used():
    """An ``opt_*`` phrase no option declares would be stale (or an option lost its words)."""
    used = set()
    for path in (SRC / "xuanba" / "cli").glob("*.py"):
        used |= set(re.findall(r'help="(opt_\w+)"', path.read_text("utf-8")))
    assert {k for k in TEXT if k.startswith("opt_")} == used


def test_round_help_reads_chinese_under_a_chinese_locale_in_a_fresh_interpreter():
    """What a user types: `LANG=zh_CN.UTF-8 xuanba round --help`."""
    code = "import sys; sys.argv = ['xuanba', 'round', '--help']; from xuanba.cli import main; main()"
    env = {**{k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")},
           "LANG": "zh_CN.UTF-8", "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    for phrase in ("选拔标准文件（.toml）", "把本轮追加保存到工作区", "显示排名最前的多少位客户", "工作区文件"):
        assert phrase in out.stdout
    assert "Append the round to the workspace" not in out.stdout
    assert "选项" in out.stdout and "[必填]" in out.stdout and "[默认：10]" in out.stdout  # Typer's own words too
    assert "Options" not in out.stdout and "[required]" not in out.stdout


def test_the_same_process_builds_both_languages():
    zh = CliRunner().invoke(make_app("zh"), ["ingest", "--help"], env={"COLUMNS": "200"}).output
    en = CliRunner().invoke(make_app("en"), ["ingest", "--help"], env={"COLUMNS": "200"}).output
    assert "拒收日期晚于这一天的行" in zh and "Refuse rows dated after this day" not in zh
    assert "Refuse rows dated after this day" in en and "拒收" not in en


def test_standard_check_heads_its_tables_in_chinese(tmp_path):
    out = tmp_path / "s.toml"
    assert CliRunner().invoke(make_app("en"), ["standard", "init", "--out", str(out), "--lang", "en"]).exit_code == 0
    res = CliRunner().invoke(make_app("zh"), ["--lang", "zh", "standard", "check", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert all(w in res.output for w in ("字段", "归一化方式", "权重占比", "规则", "最低得分"))
    assert "normalise" not in res.output and "min score" not in res.output
