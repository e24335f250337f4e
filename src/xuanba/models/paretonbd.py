"""Placeholder: the ParetoNBD model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class ParetoNBD(Model):
    """Not implemented yet."""
