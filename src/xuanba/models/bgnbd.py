"""Placeholder: the BGNBD model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class BGNBD(Model):
    """Not implemented yet."""
