"""Placeholder: the GammaGamma model is being written."""

from __future__ import annotations

from xuanba.models._base import Model


class GammaGamma(Model):
    """Not implemented yet."""
