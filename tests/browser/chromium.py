"""Debian's headless Chromium for the browser tests (driven by Playwright with the system
browser, never a downloaded one): where it is, how it is started, and what a test does when it
is missing (skips locally, fails in CI, where ``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def need_browser() -> None:
    """Skip (locally) or fail (``CI`` set) when Chromium or Playwright is missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {' and '.join(missing)}: .ci/run installs them")
        pytest.skip(f"needs {' and '.join(missing)}")
