"""The layers of DESIGN.md hold: nothing imports upwards (import-linter's layers contract in
pyproject.toml), so a circle between stages fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# import-linter on the pyproject.toml of the working folder, with no cache left behind
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"]


def test_no_module_imports_a_layer_above_its_own():
    out = subprocess.run(LINT, cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BROKEN" not in out.stdout and "kept" in out.stdout


def test_the_contract_catches_an_upward_import(tmp_path):
    """The check is not vacuous: a copy of the package with one upward import breaks it."""
    import shutil

    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "xuanba", src / "xuanba")
    bad = src / "xuanba" / "workspace.py"
    bad.write_text(bad.read_text("utf-8") + "\nfrom xuanba.rounds import run_round  # noqa\n", "utf-8")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    out = subprocess.run(LINT, cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(src)})
    assert out.returncode != 0 and "xuanba.workspace is not allowed to import xuanba.rounds" in out.stdout
