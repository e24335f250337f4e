"""Placeholder: the ShiftedBetaGeometric model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class ShiftedBetaGeometric(Model):
    """Not implemented yet."""
