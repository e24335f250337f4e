"""Outputs of a round: the HTML report, customer statements and table exports.

Plotly and Jinja2 are imported only when a report or statement is built.
"""

from __future__ import annotations

from xuanba.outputs.exports import export_round, export_table, export_tables
from xuanba.outputs.report import build_report, write_report
from xuanba.outputs.statements import build_statement, build_statements, write_statements

__all__ = [
    "build_report",
    "build_statement",
    "build_statements",
    "export_round",
    "export_table",
    "export_tables",
    "write_report",
    "write_statements",
]
