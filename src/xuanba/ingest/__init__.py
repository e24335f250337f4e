"""The ingest stage: transaction logs and side tables into the workspace, every row accounted for.

Example
-------
>>> import pandas as pd
>>> from xuanba import Workspace
>>> from xuanba.ingest import ingest
>>> with Workspace(":memory:") as ws:
...     report = ingest(pd.DataFrame({"customer": ["A"], "date": ["2026-06-30"], "amount": [9.5]}), ws)
>>> report.input_rows == report.loaded + report.merged + report.rejected
True
"""

from __future__ import annotations

from xuanba.ingest.delimiters import sniff_delimiter
from xuanba.ingest.load import KINDS, IngestReport, SourceReport, ingest
from xuanba.ingest.mapping import ALIASES, FIELDS, map_columns, normalise_header

__all__ = [
    "ALIASES",
    "FIELDS",
    "KINDS",
    "IngestReport",
    "SourceReport",
    "ingest",
    "map_columns",
    "normalise_header",
    "sniff_delimiter",
]
