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
    load_table,
    read_side_table,
    read_transactions_file,
    write_output,
)

__all__ = [
    "REJECT_COLUMNS",
    "SCHEMAS",
    "ColType",
    "SideSchema",
    "load_table",
    "read_side_table",
    "read_transactions_file",
    "write_output",
]
