"""Shared fixtures: where the shared test data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of public data sets (CDNOW sample, donations) that sits beside the repo."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data folder missing: expected {SHARED_DATA}")
    return SHARED_DATA
