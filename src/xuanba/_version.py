"""The version of xuanba (one place: the package, the workspace stamp and the CLI read it)."""

__version__ = "0.1.0"
