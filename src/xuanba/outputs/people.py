"""Who a customer is, as the outputs show them: the name, owner (rep), segment and region that the
round stored from the workspace's ``customers`` table, looked up by id.

Every output that names a customer (report, movers, keep-warm, statements, account sheets) takes
these words from here, so a customer reads the same everywhere. Nothing is read from the
workspace: the columns come from :attr:`xuanba.rounds.Round.fields`.

Example
-------
>>> import pandas as pd
>>> p = People.of(pd.DataFrame({"customer_id": ["A", "B"], "name": ["Acme", None], "owner": ["Li", "Wu"]}))
>>> p.who("A"), p.who("B"), p.who("Z"), p.owner("B")
('Acme (A)', 'B', 'Z', 'Wu')
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from xuanba.ingest.sidetables import OWNER_ALIASES, PERSON_FIELDS

__all__ = ["OWNER_ALIASES", "PERSON_FIELDS", "People", "script_json", "with_people"]


@dataclasses.dataclass(frozen=True)
class People:
    """The person columns of a round's customers, keyed by id (``frame``: index ``customer_id``,
    columns among :data:`PERSON_FIELDS`, text, ``""`` when unknown)."""

    frame: pd.DataFrame

    @classmethod
    def of(cls, fields: pd.DataFrame | None) -> People:
        """The person columns of ``fields`` (a round's stored fields); empty without them."""
        cols: dict[str, str] = {}
        if fields is not None and "customer_id" in fields.columns:
            for name in PERSON_FIELDS:
                options = OWNER_ALIASES if name == "owner" else (name,)
                found = next((c for c in options if c in fields.columns), None)
                if found is not None:
                    cols[name] = found
        if not cols:
            return cls(pd.DataFrame(index=pd.Index([], dtype=object, name="customer_id")))
        frame = fields[["customer_id", *cols.values()]].drop_duplicates("customer_id")
        frame = frame.rename(columns={v: k for k, v in cols.items()})
        frame = frame.set_index(frame["customer_id"].astype(str))[list(cols)]
        frame.index.name = "customer_id"
        for c in frame.columns:
            col = frame[c]
            text = col.astype("string") if col.dtype != object else col.where(col.isna(), col.astype(str))
            frame[c] = text.astype("string").str.strip().fillna("").to_numpy(dtype=object)
        return cls(frame)

    @property
    def columns(self) -> list[str]:
        """The person columns known for at least one customer."""
        return [c for c in self.frame.columns if (self.frame[c] != "").any()]

    def get(self, customer_id: Any, column: str) -> str:
        """One customer's ``column`` (``""`` when unknown)."""
        if column not in self.frame.columns:
            return ""
        try:
            return str(self.frame.at[str(customer_id), column])
        except KeyError:
            return ""

    def name(self, customer_id: Any) -> str:
        """The customer's name (``""`` when unknown)."""
        return self.get(customer_id, "name")

    def owner(self, customer_id: Any) -> str:
        """The customer's owner or rep (``""`` when unknown)."""
        return self.get(customer_id, "owner")

    def who(self, customer_id: Any) -> str:
        """``"Name (id)"``, or the id alone when the name is unknown or is the id."""
        cid = str(customer_id)
        name = self.name(cid)
        return f"{name} ({cid})" if name and name != cid else cid

    def labels(self, ids: Iterable[Any]) -> np.ndarray:
        """:meth:`who` of each of ``ids``, vectorised (a million ids in well under a second)."""
        keys = np.array([str(x) for x in ids], dtype=object)
        names = self.column(keys, "name")
        out = keys.copy()
        named = (names != "") & (names != keys)
        if named.any():
            out[named] = pd.Series(names[named]).str.cat(pd.Series(keys[named]), sep=" (").add(")").to_numpy()
        return out

    def knows(self, ids: Iterable[Any]) -> np.ndarray:
        """Whether each of ``ids`` is among these customers (its columns known, if empty)."""
        return pd.Index([str(x) for x in ids]).isin(self.frame.index)

    def joined(self, other: People) -> People:
        """These customers and those of ``other`` who are not among them (a column one of them
        lacks is ``""`` for its customers).

        >>> a = People.of(pd.DataFrame({"customer_id": ["A"], "name": ["Acme"]}))
        >>> b = People.of(pd.DataFrame({"customer_id": ["A", "B"], "owner": ["Li", "Wu"]}))
        >>> j = a.joined(b)
        >>> j.who("A"), j.owner("A"), j.owner("B")
        ('Acme (A)', '', 'Wu')
        """
        more = other.frame.loc[~other.frame.index.isin(self.frame.index)]
        if not len(more):
            return self
        frame = pd.concat([self.frame, more]).astype(object).fillna("")
        frame.index.name = "customer_id"
        return People(frame)

    def column(self, ids: Iterable[Any], column: str) -> np.ndarray:
        """``column`` for each of ``ids`` (``""`` where unknown), aligned with ``ids``."""
        keys = pd.Index([str(x) for x in ids])
        if column not in self.frame.columns:
            return np.full(len(keys), "", dtype=object)
        return self.frame[column].reindex(keys).fillna("").to_numpy(dtype=object)


def with_people(frame: pd.DataFrame, people: People) -> pd.DataFrame:
    """``frame`` with the person columns known for its customers (name, owner, segment, region)
    placed right after ``customer_id``, so a table read by people says who each row is; unchanged
    when nothing is known or ``frame`` has no ``customer_id``.

    Example
    -------
    >>> p = People.of(pd.DataFrame({"customer_id": ["A"], "name": ["Acme"]}))
    >>> with_people(pd.DataFrame({"customer_id": ["A", "B"], "score": [2.0, 1.0]}), p).columns.tolist()
    ['customer_id', 'name', 'score']
    """
    known = [c for c in people.columns if c not in frame.columns]
    if not known or "customer_id" not in frame.columns:
        return frame
    ids = frame["customer_id"].to_numpy()
    at = frame.columns.get_loc("customer_id") + 1
    out = frame.copy()
    for k, c in enumerate(known):
        out.insert(at + k, c, people.column(ids, c))
    return out


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>`` and ``&``
    (and the line separators JavaScript once refused) written as ``\\u`` escapes, so a name such as
    ``</script>`` or ``<!--`` cannot end or comment out the element.

    Example
    -------
    >>> script_json({"name": "</script><!--&"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
