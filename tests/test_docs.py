"""The code of the docs runs: docs/coming-from-lifetimes.md on the CDNOW sample, and the tutorial
(docs/tutorial.en.md, docs/tutorial.zh.md) from an Excel export to a report and statements."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
DATA = Path(__file__).parent / "data"


def blocks(page: str, lang: str) -> list[str]:
    """The fenced ``lang`` code blocks of a docs page, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", (DOCS / page).read_text("utf-8"), re.S)


def test_coming_from_lifetimes_runs_and_gives_the_published_estimates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(DATA / "cdnow_sample.parquet", tmp_path / "cdnow_sample.parquet")
    code = blocks("coming-from-lifetimes.md", "python")
    assert len(code) == 2
    scope: dict = {}
    for i, block in enumerate(code):
        exec(compile(block, f"coming-from-lifetimes.md[{i}]", "exec"), scope)
    # Fader, Hardie & Lee (2005), CDNOW sample (tests/data/PUBLISHED.md)
    np.testing.assert_allclose(scope["bgf"].params_[["r", "alpha", "a", "b"]], [0.243, 4.414, 0.793, 2.426], atol=6e-4)
    assert len(scope["expected"]) == len(scope["alive"]) == len(scope["clv"]) == 2357
    assert [type(f).__name__ for f in scope["figures"]] == ["Figure"] * 6
    assert scope["ev"].comparison.index.tolist() and (tmp_path / "cdnow_sample.parquet").exists()
