"""The side tables' schemas and readers, kept here for old imports: they live in
:mod:`xuanba.ingest.sidetables` (accounts reads what ingest defines, not the reverse).

Example
-------
>>> from xuanba.accounts.sidetables import SCHEMAS
>>> SCHEMAS["needs"].required
('customer_id', 'tag')
"""

from __future__ import annotations

from xuanba.ingest.sidetables import (
    REJECT_COLUMNS,
    SCHEMAS,
    ColType,
    SideSchema,
    read_side_table,
)

__all__ = [
    "REJECT_COLUMNS",
    "SCHEMAS",
    "ColType",
    "SideSchema",
    "read_side_table",
]
