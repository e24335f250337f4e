"""Shared fixtures: where the test data live (inside the repository, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The folder of public data sets (CDNOW sample, donations) the tests reproduce figures on."""
    return TEST_DATA


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch):
    """Messages follow the locale (LC_ALL, LC_MESSAGES, LANG: zh… gives Chinese); tests that read
    them expect English unless they set a locale or --lang themselves, whoever runs them."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
