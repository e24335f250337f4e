"""Placeholder: the MBGNBD model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class MBGNBD(Model):
    """Not implemented yet."""
