"""What a ``key = value`` line the TOML reader refused as "Cannot overwrite a value" is about: the
key given twice, or a dotted key (``a.b = 2``) below a key that holds a value (``a = 1`` above), which
the reader says the same way. Asked of the reader itself, on the text above the line (which it read
without fault), so the answer is the reader's, tables, arrays of tables and dotted keys included.

Example
-------
>>> key_parts('  a . "b.c" = 2  # note')
('a . "b.c"', ['a', 'b.c'])
>>> value_holder("a = 1\\n", ["a", "b"])
(['a'], 1)
>>> value_holder("a.x = 1\\n", ["a", "b"]) is None, given_above("a.x = 1\\n", ["a", "x"])
(True, True)
>>> statement_line(['a = 1', 'a = [', '  1,', ']'], 3)
1
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY = re.compile(rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_PROBE = "__xuanba_probe__"


def key_parts(written: str) -> tuple[str, list[str]] | None:
    """The key of the ``key = value`` line ``written`` as written, and its parts as the TOML reader
    reads them (quotes and escapes undone); ``None`` when the line does not start with a key and ``=``."""
    m = _KEY.match(written)
    if not m:
        return None
    try:
        node: Any = tomllib.loads(m.group(1) + " = 0")
    except tomllib.TOMLDecodeError:  # pragma: no cover - the pattern reads keys only
        return None
    parts: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        (name, node), = node.items()
        parts.append(name)
    return m.group(1), parts


def statement_line(lines: list[str], index: int, most: int = 20) -> int:
    """The line (from 0) of ``lines`` that the key or table header ending on line ``index`` starts
    on. The TOML reader says "Cannot overwrite a value" where it stopped, past the value: on the
    value's last line when it spans lines (a text in triple quotes, an array over lines), where a
    line of the text may look like a key. The nearest line at or above ``index`` that starts with a
    key and below text the reader reads without fault; ``index`` itself when none of the ``most``
    nearest such lines is (each costs a reading of the text above it: a long text in triple quotes
    whose lines look like keys is not searched through)."""
    def reads(above: list[str]) -> bool:
        try:
            tomllib.loads("\n".join(above))
        except tomllib.TOMLDecodeError:
            return False
        return True

    if reads(lines[:index]):
        return index
    keys = [i for i in range(index - 1, -1, -1) if _KEY.match(lines[i])][:most]
    return next((i for i in keys if reads(lines[:i])), index)


def _dotted(parts: list[str]) -> str:
    return ".".join(json.dumps(p, ensure_ascii=False) for p in parts)  # a JSON string is a TOML basic string


def _table_of(root: Any) -> dict[str, Any] | None:
    """The table the probe key was put in: where a line after the text above lands. Searched
    without recursion, the last values first: a header may nest tables thousands deep."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node[-1:])  # an array of tables: its last
        elif isinstance(node, dict):
            if _PROBE in node:
                return node
            stack.extend(node.values())  # popped last first
    return None


def value_holder(above: str, parts: list[str]) -> tuple[list[str], Any] | None:
    """The first leading parts of the dotted key ``parts`` that name a value (not a table) in the
    table a line after the TOML text ``above`` belongs to, and that value; ``None`` when none does
    (the key itself given twice). One reading of ``above``, whatever the number of parts: the reader
    takes time in the square of a dotted key's parts, and reading once per part took 23 s of CPU
    on a 4 kB standard (a 1,000-part key given twice), over 10 minutes on 12 kB."""
    try:
        node: Any = _table_of(tomllib.loads(f"{above}\n{_PROBE} = 0\n"))
    except tomllib.TOMLDecodeError:
        return None
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
        if isinstance(node, list) and node and isinstance(node[-1], dict):  # an array of tables: its last
            node = node[-1]
        elif not isinstance(node, dict):
            return parts[:i + 1], node
    return None


def given_above(above: str, parts: list[str]) -> bool:
    """Whether the key ``parts`` may not be given again on a line after the TOML text ``above``
    (given there already, or below a value)."""
    try:
        tomllib.loads(f"{above}\n{_dotted(parts)} = 0\n")
    except tomllib.TOMLDecodeError:
        return True
    return False
