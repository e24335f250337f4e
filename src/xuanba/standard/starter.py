"""The documented starter standard (value × potential), in English or Chinese.

Example
-------
>>> text = starter_standard("zh")
>>> "价值" in text and "[[criteria]]" in text
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from xuanba._files import write_text_atomic
from xuanba.errors import InputError, Listed, Phrase

LANGS = ("en", "zh")


def starter_standard(lang: str = "en") -> str:
    """The starter standard's TOML text (``lang``: ``"en"`` or ``"zh"``).

    Current value from trailing revenue and margin, potential from the predicted discounted
    value and the probability of being alive; two gates, three tiers, a capacity of 500, and
    the quadrants stars / at_risk / rising / others.
    """
    if lang not in LANGS:
        raise InputError(Phrase("err_no_starter", lang=repr(lang)), fix=Phrase("err_use_one_of", names=Listed(LANGS)))
    return (resources.files("xuanba.standard") / "templates" / f"standard_{lang}.toml").read_text(
        encoding="utf-8"
    )


def write_starter(path: str | Path, lang: str = "en", *, overwrite: bool = False) -> Path:
    """Write the starter standard to ``path``; refuses to overwrite unless ``overwrite``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_starter(pathlib.Path(tempfile.mkdtemp()) / "standard.toml")
    >>> p.read_text(encoding="utf-8").startswith("# xuanba selection standard")
    True
    """
    out = Path(path)
    if out.exists() and not overwrite:
        raise InputError(Phrase("err_file_exists"), file=str(out), fix=Phrase("err_file_exists_fix"))
    return write_text_atomic(out, starter_standard(lang))
