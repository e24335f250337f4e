"""Bundled demo data: a generated sales log and side tables, so the main job runs with nothing else.

Example
-------
>>> demo_sales_path().name
'demo_sales_gbk.csv'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def demo_sales_path() -> Path:
    """The bundled demo sales log: a GBK CSV with Chinese headers, ~3,000 customers, 2024-01..2026-06.

    Made by :func:`xuanba.demo.generate.write_sales` (seeded); ``xuanba ingest`` reads it as is.
    """
    return Path(str(files("xuanba.demo").joinpath("data", "demo_sales_gbk.csv")))
