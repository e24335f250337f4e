"""Account work: profit by account size, promises kept, keep-warm, resource sheets, owners,
receivables and personas. Every function takes and returns pandas tables keyed by
``customer_id``.
"""

from __future__ import annotations

from xuanba.accounts.commitments import overdue_list, promise_ledger, reliability
from xuanba.accounts.fields import FIELDS, account_fields
from xuanba.accounts.keepwarm import keep_warm
from xuanba.accounts.owners import account_contacts, owner_concentration, single_threaded
from xuanba.accounts.personas import personas
from xuanba.accounts.profit import (
    DEFAULT_RATES,
    assign_bands,
    cost_to_serve,
    customer_profit,
    size_bands,
    volume_without_profit,
    whale_curve,
    whale_peak,
)
from xuanba.accounts.receivables import BUCKETS, ageing, receivables_summary, receivables_total
from xuanba.accounts.resources import match_resources, sheet_markdown, split_tags, write_sheet
from xuanba.accounts.view import account_view
from xuanba.ingest.sidetables import SCHEMAS, read_side_table

__all__ = [
    "BUCKETS",
    "DEFAULT_RATES",
    "FIELDS",
    "SCHEMAS",
    "account_contacts",
    "account_fields",
    "account_view",
    "ageing",
    "assign_bands",
    "cost_to_serve",
    "customer_profit",
    "keep_warm",
    "match_resources",
    "overdue_list",
    "owner_concentration",
    "personas",
    "promise_ledger",
    "read_side_table",
    "receivables_summary",
    "receivables_total",
    "reliability",
    "sheet_markdown",
    "single_threaded",
    "size_bands",
    "split_tags",
    "volume_without_profit",
    "whale_curve",
    "whale_peak",
    "write_sheet",
]
