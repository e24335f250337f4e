"""The curated public API is exactly what the README documents, and importing has no side effects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import xuanba

README = Path(__file__).resolve().parents[1] / "README.md"


def test_exported_names_are_the_documented_ones():
    block = re.search(r"<!-- api:start -->(.*?)<!-- api:end -->", README.read_text("utf-8"), re.S)
    assert block, "README lacks the api:start/api:end block"
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", block.group(1)))
    assert documented == set(xuanba.__all__)
    assert list(xuanba.__all__) == sorted(xuanba.__all__)
    for name in xuanba.__all__:
        assert hasattr(xuanba, name), name


def test_import_prints_nothing_and_sets_no_warning_filters():
    # Dependencies (numpy) add filters of their own when imported: import them first.
    code = (
        "import warnings, numpy, pandas, scipy.optimize, pyarrow, duckdb, ibis; "
        "before = list(warnings.filters); import xuanba, xuanba.cli; "
        "assert warnings.filters == before, 'import changed warning filters'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "" and out.stderr == ""
