"""Placeholder: the BGBB model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class BGBB(Model):
    """Not implemented yet."""
