"""The bundled test data are the files their README describes, byte for byte."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import TEST_DATA


def test_every_test_data_file_matches_its_documented_checksum():
    readme = (TEST_DATA / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| ([\d,]+) \| `([0-9a-f]{64})` \|$", readme, re.M)
    assert len(rows) == 7, "the README's file table lost a row"
    for name, size, digest in rows:
        data = (TEST_DATA / name).read_bytes()
        assert len(data) == int(size.replace(",", "")), name
        assert hashlib.sha256(data).hexdigest() == digest, name
    documented = {name for name, _, _ in rows} | {"README.md", "PUBLISHED.md"}
    assert {p.name for p in TEST_DATA.iterdir()} == documented
