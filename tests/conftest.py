"""Shared fixtures: where the test data live (inside the repository, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The folder of public data sets (CDNOW sample, donations) the tests reproduce figures on."""
    return TEST_DATA
