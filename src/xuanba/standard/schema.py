"""The selection standard: a versioned TOML file read into typed (pydantic) models.

A standard says how every customer is selected, the same way for all: criteria over facts
and predictions (how each is normalised and weighed), gates that must hold, tiers by score
and/or quota, the team's capacity, how ties are broken and how the value × potential quadrants
are named. :func:`load_standard` reads and validates it; every problem is reported with the
**line of the file** and a fix a marketing manager can act on. ``docs/standard.md`` describes
the format for users.

Example
-------
>>> s = load_standard('''
... [standard]
... name = "mini"
... version = "1"
... [[criteria]]
... name = "revenue"
... field = "revenue_365d"
... weight = 1.0
... [[tiers]]
... name = "A"
... min_score = 50
... ''')
>>> s.name, [c.name for c in s.criteria], s.tiers[0].min_score
('mini', ['revenue'], 50.0)
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from xuanba.errors import InputError, Listed, Phrase, quoted, shown
from xuanba.standard.expressions import (
    ExpressionError,
    UnknownFieldError,
    check_expression,
    contains_expression,
    fields_read,
)
from xuanba.standard.toml_keys import given_above, key_parts, statement_line, value_holder

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PREDICTION_COLUMNS: tuple[str, ...] = (
    "p_alive",
    "expected_purchases_1y",
    "expected_spend",
    "clv_1y",
    "clv_3y",
    "churn_90d",
)
"""Columns of :func:`xuanba.models.predict.predict_customers` a standard can use."""

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "cost_to_serve_365d",
    "profit_365d",
    "promise_reliability",
    "days_since_contact",
    "payment_punctuality",
    "single_threaded",
    "overdue_receivables",
)
"""Account fields (:func:`xuanba.accounts.account_fields`), filled from the workspace's side tables."""

CUSTOMER_COLUMNS: tuple[str, ...] = ("segment", "region", "owner", "size")
"""Text attributes of the ``customers`` side table; usable in gates, not as criteria."""


def known_fields(extra: tuple[str, ...] | list[str] | set[str] = ()) -> set[str]:
    """Every field name a standard may use: facts, predictions, account fields, attributes.

    Examples
    --------
    >>> {"revenue_365d", "clv_3y", "profit_365d", "segment"} <= known_fields()
    True
    """
    from xuanba.facts import FACT_COLUMNS

    return set(FACT_COLUMNS) | set(PREDICTION_COLUMNS) | set(ACCOUNT_COLUMNS) | set(CUSTOMER_COLUMNS) | set(extra)


RESERVED = {"customer_id", "rank", "score", "tier", "selected", "quadrant", "value_score",
            "potential_score", "gates_failed", "next_tier", "gap_to_next", "cheapest_criterion",
            "cheapest_change", "left_out_by_capacity", "cheapest_public_criterion",
            "cheapest_public_change", "round_id"}

NUMERIC_TEXT = set(CUSTOMER_COLUMNS) | {"customer_id", "first_purchase", "last_purchase"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a standard: where (line), what, and the fix. ``message`` and ``fix``
    are English; given as :class:`~xuanba.errors.Phrase`, they read in another language too
    (:meth:`words`). ``phrase``/``fix_phrase`` given beside English text: that text is the
    English (pydantic's own words), the phrase the other language's."""

    line: int | None
    message: str
    fix: str | None = None
    phrase: Phrase | None = field(default=None, repr=False, compare=False)
    fix_phrase: Phrase | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, words in (("message", "phrase"), ("fix", "fix_phrase")):
            value = getattr(self, name)
            if isinstance(value, Phrase):
                object.__setattr__(self, words, value)
                object.__setattr__(self, name, value.words("en"))

    def words(self, lang: str = "en") -> tuple[str, str | None]:
        """The message and the fix for a reader of ``lang``."""
        message = self.phrase.words(lang) if self.phrase is not None and lang != "en" else self.message
        fix = self.fix_phrase.words(lang) if self.fix_phrase is not None and lang != "en" else self.fix
        return message, fix

    def text(self, lang: str = "en") -> str:
        """The problem in one or two lines: where, what, and the fix."""
        from xuanba.i18n import t

        message, fix = self.words(lang)
        head = t("err_at", lang, where=t("err_line", lang, line=self.line), message=message) if self.line else message
        return head + ("\n    " + t("err_fix", lang, fix=fix) if fix else "")

    def __str__(self) -> str:
        return self.text("en")


class StandardError(InputError):
    """A standard that cannot be used; ``problems`` lists every issue with its line."""

    def __init__(self, problems: list[Problem], *, file: str | None = None) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(self._message_fix("en")[0], file=file, row=first.line, fix=first.fix)

    def _message_fix(self, lang: str) -> tuple[str, str | None]:
        from xuanba.i18n import t

        message, fix = self.problems[0].words(lang)
        if len(self.problems) > 1:
            message += "\n  " + t("err_std_more", lang, n=len(self.problems) - 1) + "\n" + "\n".join(
                "  - " + p.text(lang).replace("\n", "\n    ") for p in self.problems[1:]
            )
        return message, fix

    def _where(self, lang: str = "en") -> str:
        from xuanba.i18n import t

        parts = [str(self.file)] if self.file else []
        if self.row is not None:
            parts.append(t("err_line", lang, line=self.row))
        return t("err_sep", lang).join(parts)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [{"line": p.line, "message": p.message, "fix": p.fix} for p in self.problems]
        return out


# -- the models --------------------------------------------------------------------------------

class _Refused(ValueError):
    """A value a model's validator refuses, its words a :class:`~xuanba.errors.Phrase` (the
    English is ``str(exc)``, what pydantic shows)."""

    def __init__(self, phrase: Phrase) -> None:
        self.phrase = phrase
        super().__init__(phrase.words("en"))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Normalise = Literal["percentile", "minmax", "zscore", "bands"]


class Criterion(_Model):
    """One criterion: a field (or expression) turned into 0–1 and weighed.

    ``normalise``: ``percentile`` (the share of customers below; the lowest 0, the highest 1), ``minmax`` (0 at the lowest, 1
    at the highest), ``zscore`` (z clipped to ±3, mapped to 0–1), ``bands`` (points 0–100 per
    threshold). ``direction = "lower"`` when less is better. ``group`` puts the criterion in the
    value or the potential axis of the quadrants. ``missing``: ``"zero"`` (no points),
    ``"median"`` or a number to use instead of a missing value. ``private`` criteria are used
    for scoring but left out of what customers are shown.
    """

    name: str
    field: str
    label: str = ""
    description: str = ""
    normalise: Normalise = "percentile"
    weight: float
    direction: Literal["higher", "lower"] = "higher"
    group: Literal["value", "potential", ""] = ""
    private: bool = False
    bands: list[tuple[float, float]] | None = None
    missing: Literal["zero", "median"] | float = "zero"

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v):
            raise _Refused(Phrase("err_std_criterion_name"))
        return v

    @property
    def title(self) -> str:
        """The label, or the name when no label is given."""
        return self.label or self.name

    @property
    def predicted(self) -> bool:
        """Whether the criterion reads a model's prediction (``p_alive``, ``clv_*``, …): a customer
        cannot act on a forecast, so statements never advise changing one.

        Example
        -------
        >>> Criterion(name="fv", field="clv_3y * 2", weight=1).predicted
        True
        """
        return bool(fields_read(self.field) & set(PREDICTION_COLUMNS))


class Gate(_Model):
    """A rule that must hold for a customer to be selected at all.

    ``private = true`` keeps the gate out of what customers are shown; a gate whose rule reads a
    private criterion is private too, whatever it says (see :attr:`Standard.privacy`).
    """

    name: str
    expr: str
    label: str = ""
    description: str = ""
    private: bool = False

    @property
    def title(self) -> str:
        """The label, or the name when no label is given."""
        return self.label or self.name


class Tier(_Model):
    """A tier, best first in the file: a minimum score and/or a quota (``50`` or ``"5%"``)."""

    name: str
    label: str = ""
    description: str = ""
    min_score: float | None = Field(default=None, ge=0, le=100)
    quota: int | str | None = None

    @field_validator("quota")
    @classmethod
    def _quota_ok(cls, v: int | str | None) -> int | str | None:
        if v is None:
            return v
        if isinstance(v, int):
            if v < 1:
                raise _Refused(Phrase("err_std_quota_positive"))
            return v
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", v)
        if not m or not 0 < float(m.group(1)) <= 100:
            raise _Refused(Phrase("err_std_quota"))
        return v

    @property
    def title(self) -> str:
        """The label, or the name when no label is given."""
        return self.label or self.name

    def quota_count(self, n_customers: int) -> int | None:
        """The quota as a number of customers (a share is rounded down)."""
        if self.quota is None:
            return None
        if isinstance(self.quota, int):
            return self.quota
        share = float(self.quota.strip().rstrip("%")) / 100.0
        return int(math.floor(share * n_customers + 1e-9))


class Capacity(_Model):
    """How many accounts the team can serve: a count and/or a budget over a cost field."""

    max_accounts: int | None = Field(default=None, ge=1)
    cost_field: str | None = None
    budget: float | None = Field(default=None, gt=0)
    objective: str = "score"

    @property
    def is_set(self) -> bool:
        """Whether any limit is given."""
        return self.max_accounts is not None or self.budget is not None


class TieBreak(_Model):
    """Order of fields that break equal scores (``"field desc"``/``"field asc"``); customer id last."""

    order: list[str] = Field(default_factory=list)

    def sort_keys(self) -> list[tuple[str, bool]]:
        """``(field, ascending)`` pairs, always ending with ``customer_id`` ascending."""
        out: list[tuple[str, bool]] = []
        for item in self.order:
            parts = item.split()
            field = parts[0]
            asc = field == "customer_id" if len(parts) == 1 else parts[1].lower() == "asc"
            if field != "customer_id":
                out.append((field, asc))
        out.append(("customer_id", True))
        return out


QUADRANT_KEYS = ("high_value_high_potential", "high_value_low_potential",
                 "low_value_high_potential", "low_value_low_potential")


class Quadrants(_Model):
    """The value × potential quadrants: thresholds on the two sub-scores, names and labels."""

    value_threshold: float = Field(default=50.0, ge=0, le=100)
    potential_threshold: float = Field(default=50.0, ge=0, le=100)
    names: dict[str, str] = Field(default_factory=lambda: {
        "high_value_high_potential": "stars",
        "high_value_low_potential": "at_risk",
        "low_value_high_potential": "rising",
        "low_value_low_potential": "others",
    })
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("names")
    @classmethod
    def _names_ok(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [k for k in QUADRANT_KEYS if k not in v]
        extra = [k for k in v if k not in QUADRANT_KEYS]
        if missing or extra:
            raise _Refused(Phrase("err_std_quadrant_keys", keys=", ".join(QUADRANT_KEYS)))
        return v

    def label(self, name: str) -> str:
        """The label of a quadrant name (the name itself when none is given)."""
        return self.labels.get(name, name)


class Predictions(_Model):
    """Which customer-base model gives the predictions, its money settings, and what a round
    does when no model can be trusted.

    ``model``: ``"auto"`` chooses among BG/NBD, MBG/NBD and Pareto/NBD at each cutoff (see
    ``docs/models.md``), or one of them by name. ``penalizer``: L2 penalty on the model
    parameters (0 = maximum likelihood; a small value such as 0.01 steadies fits on few
    customers). ``on_no_model``: when no model can be fitted or trusted, ``"drop"`` scores on
    the other criteria (their weights re-scaled, gates and tie-breaks that read a prediction
    left out) and the round says so; ``"stop"`` refuses the round with the reason.
    ``interval``: when set (e.g. 0.9), a round also stores ``<prediction>_lower`` /
    ``<prediction>_upper`` for every prediction: the range of the customer's expected value at
    that level given the parameters' uncertainty (:mod:`xuanba.models.intervals`).
    """

    model: Literal["auto", "bgnbd", "mbgnbd", "pareto-nbd"] = "bgnbd"
    discount_rate: float = Field(default=0.10, ge=0, lt=1)
    margin: float = Field(default=1.0, gt=0, le=1)
    penalizer: float = Field(default=0.0, ge=0, le=10)
    on_no_model: Literal["drop", "stop"] = "drop"
    interval: float | None = Field(default=None, gt=0, lt=1)


@dataclass(frozen=True)
class Privacy:
    """What of a standard customers are not shown, decided once from the parsed rules.

    ``criteria``: names of the criteria marked ``private``. ``fields``: the fields only private
    criteria read, and the field of every private criterion that is a plain field. ``gates``:
    names of the gates marked ``private`` or whose parsed rule reads one of ``fields`` or holds
    a private criterion's formula (however it is spaced or parenthesised).
    """

    criteria: frozenset[str]
    fields: frozenset[str]
    gates: frozenset[str]


def _privacy(s: Standard) -> Privacy:
    hidden = [c for c in s.criteria if c.private]
    shown = [c for c in s.criteria if not c.private]
    public_fields = set().union(*(fields_read(c.field) for c in shown))
    private_fields = set().union(*(fields_read(c.field) for c in hidden)) - public_fields
    private_fields |= {c.field for c in hidden if c.field.isidentifier()}
    gates = set()
    for g in s.gates:
        if g.private or fields_read(g.expr) & private_fields or any(
            contains_expression(g.expr, c.field) for c in hidden
        ):
            gates.add(g.name)
    return Privacy(frozenset(c.name for c in hidden), frozenset(private_fields), frozenset(gates))


class Standard(_Model):
    """A validated selection standard (see the module docstring and ``docs/standard.md``)."""

    name: str
    version: str
    lang: Literal["en", "zh"] = "en"
    description: str = ""
    currency: str = ""
    predictions: Predictions = Field(default_factory=Predictions)
    criteria: list[Criterion]
    gates: list[Gate] = Field(default_factory=list)
    tiers: list[Tier] = Field(default_factory=list)
    capacity: Capacity = Field(default_factory=Capacity)
    tie_break: TieBreak = Field(default_factory=TieBreak)
    quadrants: Quadrants = Field(default_factory=Quadrants)
    _text: str = PrivateAttr(default="")
    _privacy: Privacy | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @property
    def text(self) -> str:
        """The TOML source the standard was read from."""
        return self._text

    def _repr_html_(self) -> str:
        """The standard in a notebook, in its own language and in plain words (as ``xuanba
        standard show`` says it), with each criterion's share of the score."""
        import pandas as pd

        from xuanba import _html
        from xuanba.i18n import t
        from xuanba.standard.describe import describe

        heads = [t(k, self.lang) for k in ("nb_criterion", "nb_label", "nb_field", "share")]
        shares = pd.DataFrame([[c.name, c.label, c.field, f"{share:.0%}"]
                               for c, share in zip(self.criteria, self.weight_shares.values(), strict=True)],
                              columns=heads)
        return _html.card(self.name, [(t("nb_version", self.lang), self.version)],
                          _html.lines(describe(self, self.lang)), _html.table(shares, max_rows=100))

    @property
    def sha256(self) -> str:
        """SHA-256 of the TOML source (UTF-8): the identity of the standard a round used."""
        return hashlib.sha256(self._text.encode("utf-8")).hexdigest()

    @property
    def weight_shares(self) -> dict[str, float]:
        """Each criterion's share of the score (weights divided by their sum)."""
        total = sum(c.weight for c in self.criteria)
        return {c.name: c.weight / total for c in self.criteria}

    @property
    def privacy(self) -> Privacy:
        """The private criteria, fields and gates (:class:`Privacy`), worked out once.

        Examples
        --------
        >>> s = load_standard('''
        ... [standard]
        ... name = "p"
        ... version = "1"
        ... [[criteria]]
        ... name = "rate"
        ... field = "margin_365d / revenue_365d"
        ... weight = 1
        ... private = true
        ... [[gates]]
        ... name = "good_rate"
        ... expr = "margin_365d/revenue_365d > 0.1"
        ... [[gates]]
        ... name = "active"
        ... expr = "p_alive >= 0.2"
        ... ''')
        >>> sorted(s.privacy.gates), sorted(s.privacy.fields)
        (['good_rate'], ['margin_365d', 'revenue_365d'])
        """
        if self._privacy is None:
            self._privacy = _privacy(self)
        return self._privacy

    def is_public(self, item: Criterion | Gate) -> bool:
        """Whether customers may be shown this criterion or gate (of this standard).

        Examples
        --------
        >>> from xuanba.standard import starter_standard
        >>> s = load_standard(starter_standard("en"))
        >>> [g.name for g in s.gates if s.is_public(g)]
        ['active']
        """
        if isinstance(item, Gate):
            return item.name not in self.privacy.gates
        return item.name not in self.privacy.criteria

    @property
    def public_criteria(self) -> list[Criterion]:
        """The criteria customers are shown."""
        return [c for c in self.criteria if self.is_public(c)]

    @property
    def public_gates(self) -> list[Gate]:
        """The gates customers are shown."""
        return [g for g in self.gates if self.is_public(g)]

    def fields_used(self) -> set[str]:
        """Every field the standard reads (criteria, gates, tie-break, capacity): the names its
        rules read, built-in or extra alike (whether each is known was checked when it was read).

        Examples
        --------
        >>> s = load_standard('''
        ... [standard]
        ... name = "x"
        ... version = "1"
        ... [[criteria]]
        ... name = "nps"
        ... field = "nps_score * 2"
        ... weight = 1
        ... [[gates]]
        ... name = "kept"
        ... expr = "order != 'x'"
        ... ''', extra_fields=["nps_score", "order"])
        >>> sorted(s.fields_used())
        ['customer_id', 'nps_score', 'order']
        """
        used: set[str] = set()
        for c in self.criteria:
            used |= fields_read(c.field)
        for g in self.gates:
            used |= fields_read(g.expr)
        used |= {f for f, _ in self.tie_break.sort_keys()}
        if self.capacity.cost_field:
            used.add(self.capacity.cost_field)
        if self.capacity.objective != "score":
            used.add(self.capacity.objective)
        return used

    def extra_fields_needed(self) -> list[str]:
        """The fields the standard reads that xuanba does not compute (neither facts, predictions,
        account fields nor customer attributes): a round must be given them as extra fields
        (``--fields FILE``, ``extra_fields=``), sorted.

        Examples
        --------
        >>> s = load_standard('''
        ... [standard]
        ... name = "x"
        ... version = "1"
        ... [[criteria]]
        ... name = "revenue"
        ... field = "revenue_365d"
        ... weight = 1
        ... [[gates]]
        ... name = "scored"
        ... expr = "region_score >= 2 and segment != 'internal'"
        ... ''', extra_fields=["region_score"])
        >>> s.extra_fields_needed()
        ['region_score']
        """
        return sorted(self.fields_used() - known_fields())

    def describe(self, lang: str | None = None, *, public: bool = False) -> list[str]:
        """The standard in plain words, one sentence per line (``lang``: ``"en"`` or ``"zh"``,
        default the standard's own); ``public`` leaves out what customers are not shown
        (:func:`xuanba.standard.describe.describe`).

        Examples
        --------
        >>> from xuanba.standard import starter_standard
        >>> s = load_standard(starter_standard("en"))
        >>> s.describe()[0].startswith("Every customer")
        True
        """
        from xuanba.standard.describe import describe

        return describe(self, lang or self.lang, public=public)


# -- reading and validating --------------------------------------------------------------------

_SECTIONS = {"standard", "predictions", "criteria", "gates", "tiers", "capacity", "tie_break", "quadrants"}
_META = ("name", "version", "lang", "description", "currency")


def toml_lines(text: str) -> list[str]:
    r"""The lines of TOML ``text`` as the TOML reader numbers them: ended by LF (a CR before it left
    on the line). Not :meth:`str.splitlines`, which also ends a line at U+2028, U+0085 or a form
    feed that a string may hold, and so numbered every line below such a label one too far.

    >>> toml_lines('label = "a\u2028b"\nweight = 1\n')[1]
    'weight = 1'
    """
    return text.split("\n")


class _Lines:
    """Where each key sits in the TOML text: (section, index, key) -> line number."""

    def __init__(self, text: str) -> None:
        self.header: dict[tuple[str, int | None], int] = {}
        self.keys: dict[tuple[str, int | None, str], int] = {}
        counts: dict[str, int] = {}
        section, index = "", None
        for no, raw in enumerate(toml_lines(text), start=1):
            line = raw.strip()
            if m := re.match(r"^\[\[\s*([A-Za-z0-9_.]+)\s*\]\]", line):
                section = m.group(1)
                index = counts.get(section, 0)
                counts[section] = index + 1
                self.header[(section, index)] = no
            elif m := re.match(r"^\[\s*([A-Za-z0-9_.]+)\s*\]", line):
                section, index = m.group(1), None
                self.header[(section, None)] = no
            elif m := re.match(r'^"?([A-Za-z0-9_]+)"?\s*=', line):
                self.keys.setdefault((section, index, m.group(1)), no)

    def find(self, section: str, index: int | None = None, key: str | None = None) -> int | None:
        if key is not None:
            for sec in (section, f"{section}.{key}"):
                if (sec, index, key) in self.keys:
                    return self.keys[(sec, index, key)]
                if (sec, index) in self.header and sec != section:
                    return self.header[(sec, index)]
            # a nested table such as [quadrants.names]
            for (sec, idx, k), no in self.keys.items():
                if sec.startswith(section + ".") and idx == index and k == key:
                    return no
        return self.header.get((section, index))


def _locate(lines: _Lines, loc: tuple[Any, ...]) -> int | None:
    if not loc:
        return None
    head = str(loc[0])
    if head in _META:
        return lines.find("standard", None, head)
    if head in ("criteria", "gates", "tiers"):
        idx = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
        key = str(loc[2]) if len(loc) > 2 else None
        return lines.find(head, idx, key) or lines.find(head, idx)
    key = str(loc[1]) if len(loc) > 1 else None
    return lines.find(head, None, key) or lines.find(head)


def _read_text(source: str | Path) -> tuple[str, str | None]:
    if isinstance(source, Path) or ("\n" not in str(source) and str(source).endswith(".toml")):
        path = Path(source)
        if not path.is_file():
            raise InputError(Phrase("err_std_not_found"), file=str(path), fix=Phrase("err_std_not_found_fix"))
        try:
            return path.read_text(encoding="utf-8-sig"), str(path)
        except UnicodeDecodeError:
            raise InputError(Phrase("err_std_not_utf8"), file=str(path), fix=Phrase("err_std_not_utf8_fix")) from None
    return str(source).removeprefix("\ufeff"), None  # a byte-order mark, as a file's is read (the web editor's text)


def load_standard(
    source: str | Path,
    *,
    known: set[str] | None = None,
    extra_fields: tuple[str, ...] | list[str] = (),
    any_extra: bool = False,
    attributes: tuple[str, ...] | list[str] = (),
    web: bool = False,
) -> Standard:
    """Read and validate a standard from a ``.toml`` path or from TOML text.

    Parameters
    ----------
    source
        A path (``Path`` or a string ending in ``.toml``) or the TOML text itself.
    known
        The field names criteria and gates may use; default :func:`known_fields`.
    extra_fields
        More field names to accept (columns of an ``extra_fields=`` table, say).
    attributes
        More field names to accept: the columns of the workspace's ``customers`` table that a
        round joins to its fields (:func:`xuanba.rounds.run.customer_attributes`). Accepted as
        ``extra_fields`` are; an unknown name's fix lists them apart, as the customers table's.
    any_extra
        The extra fields a round will be given are not known yet (``xuanba standard check``
        without ``--field``): a standard whose only problem is names that are not built in is
        valid, those names taken as its extra fields (:meth:`Standard.extra_fields_needed`
        lists them, :func:`near_misses` those that read like a typo of a known field); a
        standard broken anyway is refused with every problem, those names among them (each
        with how to name it as an extra field).
    web
        Say the fixes for the web editor's reader (the extra fields of the workspace's rounds),
        not for the command line.

    Raises
    ------
    StandardError
        Listing every problem with its line: TOML syntax, unknown sections or keys, unknown
        fields (with the known ones), weights that do not sum to 1 or 100, overlapping tiers,
        expressions that are not allowed.

    Examples
    --------
    >>> load_standard('[standard]\\nname = "x"\\nversion = "1"\\n[[criteria]]\\nname = "r"\\n'
    ...               'field = "revenue_356d"\\nweight = 1')
    Traceback (most recent call last):
    ...
    xuanba.standard.schema.StandardError: line 6: criterion 'r': unknown field 'revenue_356d'
      fix: Did you mean revenue_365d, ...? Known fields: ...
    """
    text, file = _read_text(source)
    names = (set(known) if known is not None else known_fields()) | set(attributes) | set(extra_fields)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StandardError([_toml_problem(str(exc), text)], file=file) from None
    lines = _Lines(text)
    given = set(extra_fields)  # what was given, even a name that is also built in
    people = set(attributes)
    standard, problems = _checked(data, lines, names, _fix_of(names, given, any_extra, web, people))
    if problems and any_extra and (opened := _not_known_yet(standard, names)):
        # the names that are not built in taken as extra fields: valid so, the standard is returned
        # (extra_fields_needed() lists them); broken anyway, every problem is said, those names too
        wide, wide_problems = _checked(data, lines, names | opened,
                                       _fix_of(names | opened, set(), any_extra, web, people))
        if not wide_problems:
            standard, problems = wide, []
    if problems:
        raise StandardError(problems, file=file)
    assert standard is not None
    standard._text = text
    return standard


#: What the TOML reader refuses, by the English it says it in (its only code; tomli's words, which
#: tomllib took over): the pattern the message starts with and the phrase (and ``_fix``) that says it.
_TOML_WORDS: tuple[tuple[str, str], ...] = (
    (r"Illegal character '\\n'|Unterminated string|Expected \"'+\"", "err_toml_unclosed"),
    (r"(?:Illegal|Found invalid) character (?P<char>'.*')", "err_toml_control"),
    (r"Cannot overwrite a value", "err_toml_key_twice"),
    (r"Cannot declare (?P<name>\(.*\)) twice", "err_toml_table_twice"),
    (r"Expected '=' after a key", "err_toml_no_equals"),
    (r"Invalid value", "err_toml_value"),
    (r"Invalid statement", "err_toml_statement"),
    (r"Expected newline or end of document after a statement", "err_toml_line_end"),
    (r"Expected (?P<bracket>'\]\]?') at the end of", "err_toml_header"),
    (r"Unclosed array", "err_toml_array"),
    (r"Unclosed inline table", "err_toml_inline"),
    (r"Invalid initial character for a key part", "err_toml_key_start"),
    (r"Unescaped '\\' in a string", "err_toml_backslash"),
    (r"Invalid hex value|Escaped character is not a Unicode scalar value", "err_toml_escape"),
    (r"Invalid date or datetime", "err_toml_date"),
    (r"Duplicate inline table key (?P<key>'.*')", "err_toml_inline_key_twice"),
    (r"Cannot (?:mutate immutable|redefine) namespace (?P<key>\(.*\))", "err_toml_namespace"),
)


def _toml_problem(said: str, text: str) -> Problem:
    """The problem of TOML text the reader refused, ``said`` its message: the kind of error, its
    column and a fix of its own, in the reader's language (:data:`_TOML_WORDS`; a kind not there
    keeps the TOML reader's English inside the sentence, with the general fix).

    Example
    -------
    >>> p = _toml_problem("Unterminated string (at line 2, column 8)", 'a = 1\\nname = "x\\n')
    >>> p.line, p.message
    (2, 'not valid TOML at column 8: a text in quotes is not closed')
    """
    at = re.search(r" \(at line (\d+), column (\d+)\)$", said)
    detail = re.sub(r" \(at (?:line \d+, column \d+|end of document)\)$", "", said)
    line = int(at.group(1)) if at else None
    lines = toml_lines(text)
    index = line - 1 if line is not None and line <= len(lines) else None
    if line is None and said.endswith("(at end of document)"):  # a key given twice on the last line
        index = next((i for i in reversed(range(len(lines)))
                      if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    written = lines[index] if index is not None else ""
    start = statement_line(lines, index) if index is not None and detail == "Cannot overwrite a value" else index
    words = _toml_words(detail, lines[start] if start is not None else "", "\n".join(lines[:start or 0]))
    if start != index and words and words[0].key in _AT_KEY:  # said past a value over lines: placed at its key
        written, line = lines[start], start + 1 if at else None
    other: Any = words[0] if words else detail
    if at:
        col = int(at.group(2))
        if words and words[0].key in _AT_KEY:  # the reader stops past the value: the key it is about
            col = len(written) - len(written.lstrip()) + 1
        other = Phrase("err_std_toml_at", col=col, detail=other)
    else:
        other = Phrase("err_std_toml_end" if said.endswith("(at end of document)") else "err_std_toml", detail=other)
    return Problem(line, other, words[1] if words else Phrase("err_std_toml_fix"))


def _cut(text: str, most: int = 60) -> str:
    """``text`` to its first ``most`` characters and an ellipsis: a name the file wrote, shown in a refusal."""
    return text if len(text) <= most else text[:most] + "…"


#: The refusals whose column is the key's (where its line starts), not where the reader stopped.
_AT_KEY = ("err_toml_key_twice", "err_toml_key_in_value")

#: A value's kind, as :func:`_toml_words` names what a key holds (``bool`` before ``int``: a bool is an int).
_KINDS = ((bool, "err_toml_kind_bool"), ((int, float), "err_toml_kind_number"), (str, "err_toml_kind_text"),
          ((dt.date, dt.time), "err_toml_kind_date"))


def _toml_words(detail: str, written: str, above: str = "") -> tuple[Phrase, Phrase] | None:
    """The kind of error of the TOML reader's message ``detail`` and its fix, as phrases; ``written``
    the line it is on, ``above`` the text before that line. ``None`` for a message not in
    :data:`_TOML_WORDS`."""
    import ast

    found = next(((key, m) for pattern, key in _TOML_WORDS if (m := re.match(pattern, detail))), None)
    if found is None:
        return None
    key, m = found
    values: dict[str, Any] = {}
    for group, said in m.groupdict().items():
        try:  # the reader's repr: a table's parts (a tuple), a key, a character
            value = ast.literal_eval(said)
        except (ValueError, SyntaxError):  # pragma: no cover - not a repr: the reader's English is shown
            return None
        value = ".".join(map(str, value)) if isinstance(value, tuple) else value
        values[group] = shown(value, quoted=False) if group == "name" else quoted(value)
    if key == "err_toml_key_twice":  # a key given twice, or a table header over a key or table of its name
        head = re.match(r"\[\[\s*([^\]]+?)\s*\]\]|\[\s*([^\]]+?)\s*\]", written.strip())
        if head:
            name = shown(_cut(head.group(1) or head.group(2)), quoted=False)
            key, values = "err_toml_table_clash", {"table": quoted(_cut(head.group(0))), "name": name}
        elif (keyed := key_parts(written)) and (held := value_holder(above, keyed[1])):  # a = 1, then a.b = 2
            kind = next((k for types, k in _KINDS if isinstance(held[1], types)), "err_toml_kind_value")
            holder, dotted = _cut(".".join(held[0])), _cut(keyed[0])
            return (Phrase("err_toml_key_in_value", holder=quoted(holder), key=quoted(dotted), kind=Phrase(kind)),
                    Phrase("err_toml_key_in_value_fix", holder=shown(holder, quoted=False),
                           key=shown(dotted, quoted=False)))
        elif keyed and not given_above(above, keyed[1]):  # x = {a = 1, a.b = 2}: the fault is in the braces
            return Phrase("err_toml_inline_key_in_value"), Phrase("err_toml_inline_key_in_value_fix")
        elif "=" in written:
            values = {"key": quoted(_cut(keyed[0] if keyed else written.split("=", 1)[0].strip()))}
        else:
            return None
    return Phrase(key, **values), Phrase(f"{key}_fix", **{k: v for k, v in values.items() if k == "name"})


def _checked(data: dict[str, Any], lines: _Lines, names: set[str], fix_of: _FixOf) -> tuple[Standard | None, list[Problem]]:
    """The standard the parsed TOML ``data`` holds (``None`` when it does not validate) and
    every problem with it, ``names`` the fields its rules may read."""
    problems: list[Problem] = []
    unknown = [k for k in data if k not in _SECTIONS]
    for k in unknown:
        problems.append(Problem(lines.find(k) or lines.find("", None, k), Phrase("err_std_unknown_section", name=k),
                                Phrase("err_std_sections", names=", ".join(sorted(_SECTIONS)))))
    meta = data.get("standard", {})
    if not isinstance(meta, dict):
        meta = {}
    flat: dict[str, Any] = {k: v for k, v in data.items() if k in _SECTIONS and k != "standard"}
    for k, v in meta.items():
        if k not in _META:
            problems.append(Problem(lines.find("standard", None, k),
                                    Phrase("err_std_unknown_key", key=repr(k), section="standard"),
                                    Phrase("err_std_keys_of", section="standard", keys=", ".join(_META))))
        else:
            flat[k] = v
    if "criteria" not in flat:
        problems.append(Problem(None, Phrase("err_std_no_criteria"), Phrase("err_std_no_criteria_fix")))
    standard: Standard | None = None
    if "criteria" in flat:  # validated even after other problems: every problem is reported at once
        try:
            standard = Standard.model_validate(flat)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(_pydantic_problem(err, lines))
            problems += _raw_expression_problems(flat, lines, names, fix_of)
    if standard is not None:
        problems += _semantic_problems(standard, lines, names, fix_of)
    return standard, problems


def _pydantic_problem(err: Any, lines: _Lines) -> Problem:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc)
    line = _locate(lines, loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        section = str(loc[0])
        model = {"criteria": Criterion, "gates": Gate, "tiers": Tier, "capacity": Capacity,
                 "tie_break": TieBreak, "quadrants": Quadrants, "predictions": Predictions}.get(section)
        allowed = ", ".join(model.model_fields) if model else ""
        return Problem(line, Phrase("err_std_unknown_key", key=repr(loc[-1]), section=section),
                       Phrase("err_std_keys_allowed", keys=allowed))
    if kind == "missing":
        parent = loc[:-1]
        line = _locate(lines, parent) if parent else None
        return Problem(line, Phrase("err_std_missing", where=where), Phrase("err_std_missing_fix", key=loc[-1]))
    msg = err["msg"].removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    if kind == "literal_error":  # pydantic's English; the allowed values, each as its repr, listed for another reader
        allowed = re.findall(r"'(?:[^'\\]|\\.)*'", str(ctx.get("expected", "")))
        message = Phrase("err_std_not_allowed", where=where, value=repr(err.get("input")))
        fix = msg.replace("Input should be", "Use")
        return Problem(line, message, fix, fix_phrase=Phrase("err_std_use_one", values=Listed(allowed)) if allowed else None)
    refused = ctx.get("error")
    said = refused.phrase if isinstance(refused, _Refused) else _pydantic_words(kind, ctx)
    if said is None:  # a refusal without words of its own: pydantic's English, in either language
        return Problem(line, f"{where}: {msg}", None, phrase=Phrase("err_at", where=where, message=msg))
    return Problem(line, f"{where}: {msg}", None, phrase=Phrase("err_at", where=where, message=said))


#: Pydantic's error types (its ``type`` code, not its English) said in words of the translation table.
_PYDANTIC_WORDS = {
    **dict.fromkeys(("float_parsing", "float_type", "int_parsing", "int_type"), "err_std_want_number"),
    "int_from_float": "err_std_want_whole",
    "string_type": "err_std_want_text",
    **dict.fromkeys(("bool_parsing", "bool_type"), "err_std_want_bool"),
    **dict.fromkeys(("list_type", "tuple_type"), "err_std_want_list"),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), "err_std_want_table"),
}
#: Pydantic's bounds and lengths: the phrase and the keys of its ``ctx`` that fill it.
_PYDANTIC_BOUNDS = {
    "greater_than_equal": ("err_std_want_ge", "ge"), "greater_than": ("err_std_want_gt", "gt"),
    "less_than_equal": ("err_std_want_le", "le"), "less_than": ("err_std_want_lt", "lt"),
    "too_long": ("err_std_want_at_most", "max_length"), "too_short": ("err_std_want_at_least", "min_length"),
}


def _pydantic_words(kind: str, ctx: dict[str, Any]) -> Phrase | None:
    """What pydantic's error ``kind`` (with its ``ctx``) refuses, as a phrase; ``None`` for a kind
    without one (its English is shown)."""
    if kind in _PYDANTIC_WORDS:
        return Phrase(_PYDANTIC_WORDS[kind])
    if kind in _PYDANTIC_BOUNDS and (key := _PYDANTIC_BOUNDS[kind][1]) in ctx:
        bound = ctx[key]
        n = f"{bound:g}" if isinstance(bound, float) else str(bound)
        return Phrase(_PYDANTIC_BOUNDS[kind][0], n=n, actual=str(ctx.get("actual_length", "")))
    return None


def _semantic_problems(s: Standard, lines: _Lines, names: set[str], fix_of: _FixOf) -> list[Problem]:
    out: list[Problem] = []
    # names unique
    for kind, items in (("criteria", s.criteria), ("gates", s.gates), ("tiers", s.tiers)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            # a criterion is a column, and the engine's names ignore case: 'rev' and 'Rev' are one
            key = item.name.lower() if kind == "criteria" else item.name
            if key in seen:
                what = {"criteria": "criterion", "gates": "gate", "tiers": "tier"}[kind]
                out.append(Problem(lines.find(kind, i, "name"), Phrase(f"err_std_twice_{what}", name=quoted(item.name)),
                                   Phrase("err_std_twice_fix")))
            seen.add(key)
    # a field of the user's named like a roster column would be read as the roster's own
    try:
        used = s.fields_used()
    except ExpressionError:  # a rule that cannot be read: said where its criterion or gate is checked
        used = set()
    for name in sorted(f for f in used if f.lower() in RESERVED and f != "customer_id"):
        out.append(Problem(None, Phrase("err_std_roster_field", name=quoted(name)),
                           Phrase("err_std_roster_field_fix", example=quoted(f"my_{name}"))))
    # criteria: fields, numbers, bands
    for i, c in enumerate(s.criteria):
        line = lines.find("criteria", i, "field")
        problem, used = _rule_problem("criterion", c.name, c.field, line, names, fix_of)
        out += [problem] if problem is not None else []  # the criterion's other checks still run
        text_fields = used & NUMERIC_TEXT
        if text_fields:
            out.append(Problem(line, Phrase("err_std_text_field", name=quoted(c.name), fields=Listed(sorted(text_fields))),
                               Phrase("err_std_text_field_fix")))
        if c.name.lower() in RESERVED:
            out.append(Problem(lines.find("criteria", i, "name"), Phrase("err_std_name_reserved", name=quoted(c.name)),
                               Phrase("err_std_name_reserved_fix", names=Listed(sorted(RESERVED)))))
        if c.name in names and c.name != c.field:
            out.append(Problem(lines.find("criteria", i, "name"), Phrase("err_std_name_is_field", name=quoted(c.name)),
                               Phrase("err_std_name_is_field_fix", field=quoted(c.field))))
        if isinstance(c.missing, float | int) and not math.isfinite(c.missing):
            out.append(Problem(lines.find("criteria", i, "missing"),
                               Phrase("err_std_missing_fill", name=quoted(c.name), value=str(c.missing)),
                               Phrase("err_std_missing_fill_fix")))
        if c.weight <= 0 or not math.isfinite(c.weight):
            out.append(Problem(lines.find("criteria", i, "weight"),
                               Phrase("err_std_weight", name=quoted(c.name), weight=str(c.weight)),
                               Phrase("err_std_weight_fix")))
        if c.normalise == "bands":
            out += _band_problems(c, lines.find("criteria", i, "bands") or lines.find("criteria", i, "normalise"))
        elif c.bands is not None:
            out.append(Problem(lines.find("criteria", i, "bands"),
                               Phrase("err_std_bands_unused", name=quoted(c.name), normalise=repr(c.normalise)),
                               Phrase("err_std_bands_unused_fix")))
    total = sum(c.weight for c in s.criteria)
    if s.criteria and all(c.weight > 0 for c in s.criteria) and not (
        math.isclose(total, 1.0, abs_tol=1e-6) or math.isclose(total, 100.0, abs_tol=1e-4)
    ):
        shares = Listed(f"{c.name} = {c.weight / total:.3g}" for c in s.criteria)
        out.append(Problem(lines.find("criteria", 0, "weight"), Phrase("err_std_weights_sum", total=f"{total:g}"),
                           Phrase("err_std_weights_sum_fix", shares=shares)))
    out += _gate_problems(s, lines, names, fix_of)
    out += _tier_problems(s, lines)
    out += _capacity_field_problems(s, lines, names, fix_of)
    cap = s.capacity
    if (cap.cost_field is None) != (cap.budget is None):
        out.append(Problem(lines.find("capacity"), Phrase("err_std_capacity_pair"), Phrase("err_std_capacity_pair_fix")))
    out += _tie_break_problems(s, lines, names, fix_of)
    return out


def _rule_problem(what: str, name: Any, expr: str, line: int | None, names: set[str],
                  fix_of: _FixOf) -> tuple[Problem | None, set[str]]:
    """The problem of a criterion's field or a gate's rule ``expr`` over ``names`` (``None``:
    none), and the fields it reads (none when it cannot be read)."""
    try:
        return None, check_expression(expr, names)
    except ExpressionError as exc:
        phrase = "err_std_criterion" if what == "criterion" else "err_std_gate"
        return Problem(line, Phrase(phrase, name=quoted(name), problem=_expr_msg(exc)), fix_of(exc)), set()


def _gate_problems(s: Standard, lines: _Lines, names: set[str], fix_of: _FixOf) -> list[Problem]:
    found = (_rule_problem("gate", g.name, g.expr, lines.find("gates", i, "expr"), names, fix_of)[0]
             for i, g in enumerate(s.gates))
    return [p for p in found if p is not None]


def _capacity_field_problems(s: Standard, lines: _Lines, names: set[str], fix_of: _FixOf) -> list[Problem]:
    out: list[Problem] = []
    cap = s.capacity
    for key in ("cost_field",) + (("objective",) if cap.objective != "score" else ()):
        value = getattr(cap, key)
        if value is not None and value not in names:
            exc = UnknownFieldError(value, names)
            out.append(Problem(lines.find("capacity", None, key), Phrase("err_std_capacity_field", key=key,
                                                                         problem=_expr_msg(exc)), fix_of(exc)))
    return out


def _tie_break_problems(s: Standard, lines: _Lines, names: set[str], fix_of: _FixOf) -> list[Problem]:
    out: list[Problem] = []
    for j, item in enumerate(s.tie_break.order):
        parts = item.split()
        line = lines.find("tie_break", None, "order")
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            out.append(Problem(line, Phrase("err_std_tie_break_entry", entry=j + 1, item=quoted(item)),
                               Phrase("err_std_tie_break_entry_fix")))
        elif parts[0] not in names and parts[0] != "customer_id":
            exc = UnknownFieldError(parts[0], names)
            out.append(Problem(line, Phrase("err_std_tie_break_field", entry=j + 1, problem=_expr_msg(exc)),
                               fix_of(exc)))
    return out


def standard_toml(standard: Standard) -> str:
    """TOML text that :func:`load_standard` reads back as ``standard`` (what is not the default):
    the text a round stores, hashes and publishes of a standard built in Python, which has none.

    Example
    -------
    >>> s = Standard(name="x", version="1", criteria=[Criterion(name="r", field="revenue_365d", weight=1)])
    >>> print(standard_toml(s))
    [standard]
    name = "x"
    version = "1"
    <BLANKLINE>
    [[criteria]]
    name = "r"
    field = "revenue_365d"
    weight = 1.0
    <BLANKLINE>
    """

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)  # 1.0, 1e-05, inf, nan: TOML reads each back as the same number
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False).replace("\x7f", "\\u007f")  # a TOML basic string

    def table(head: str, items: dict[str, Any]) -> list[str]:
        plain = [f"{json.dumps(k, ensure_ascii=False)} = {value(v)}" if not re.fullmatch(r"[A-Za-z0-9_]+", k)
                 else f"{k} = {value(v)}" for k, v in items.items() if not isinstance(v, dict)]
        out = [head, *plain, ""]
        for k, v in items.items():
            if isinstance(v, dict):  # [quadrants.names]
                out += table(f"[{head.strip('[]')}.{k}]", v)
        return out

    data = standard.model_dump(exclude_defaults=True)
    lines = table("[standard]", {k: data.pop(k) for k in _META if k in data})
    for key in ("predictions", "criteria", "gates", "tiers", "capacity", "tie_break", "quadrants"):
        part = data.get(key)
        if isinstance(part, list):
            for item in part:
                lines += table(f"[[{key}]]", item)
        elif part:
            lines += table(f"[{key}]", part)
    return "\n".join(lines)


def as_read(standard: Standard, *, extra_fields: tuple[str, ...] | list[str] = (),
            attributes: tuple[str, ...] | list[str] = ()) -> Standard:
    """``standard`` as :func:`load_standard` reads it from its TOML text (:func:`standard_toml`),
    ``extra_fields`` and ``attributes`` as there: a standard built in Python (``Standard(...)``,
    ``Standard.model_validate``), which no reading checked, is checked by the one rule for files
    (unknown fields with near misses and the extra fields given, weights, tiers ...) and gets the
    text a round stores, hashes and publishes. Its problems have no line: there is no file.

    Example
    -------
    >>> s = Standard(name="x", version="1", criteria=[Criterion(name="r", field="revenu_365d", weight=1)])
    >>> as_read(s, extra_fields=["nps"])
    Traceback (most recent call last):
    ...
    xuanba.standard.schema.StandardError: criterion 'r': unknown field 'revenu_365d'
      fix: Did you mean revenue_365d, ...? Known fields: ... Extra fields given (--fields, extra_fields=): nps; ...
    """
    import dataclasses

    try:
        return load_standard(standard_toml(standard), extra_fields=extra_fields, attributes=attributes)
    except StandardError as exc:  # the lines of a text nobody wrote are left out
        raise StandardError([dataclasses.replace(p, line=None) for p in exc.problems]) from None


def _raw_expression_problems(flat: dict[str, Any], lines: _Lines, names: set[str], fix_of: _FixOf) -> list[Problem]:
    """The unknown fields and refused expressions of criteria and gates, read from the raw TOML
    when the standard as a whole did not validate (so one wrong key hides no unknown field)."""
    out: list[Problem] = []
    for section, key, what in (("criteria", "field", "criterion"), ("gates", "expr", "gate")):
        items = flat.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            text = item.get(key) if isinstance(item, dict) else None
            if not isinstance(text, str):
                continue
            problem, _ = _rule_problem(what, item.get("name", i + 1), text, lines.find(section, i, key),
                                       names, fix_of)
            out += [problem] if problem is not None else []
    return out


_FixOf = Callable[[ExpressionError], "str | Phrase | None"]

#: How alike a name must be to a known field to read as a typo of it (difflib's ratio).
NEAR_MISS = 0.85


def near_misses(names: list[str] | set[str], known: set[str] | None = None) -> dict[str, list[str]]:
    """The ``names`` that read like a typo of a ``known`` field (default :func:`known_fields`),
    each with the fields it looks like, best first: one equal to it but for case first, then
    those alike ignoring case (difflib's ratio of ``t`` and ``T`` is 0).

    Examples
    --------
    >>> near_misses(["revenu_365d", "region_score", "t", "Revenue_365D"])
    {'Revenue_365D': ['revenue_365d'], 'revenu_365d': ['revenue_365d'], 't': ['T']}
    """
    pool = sorted(known_fields() if known is None else known)
    lower: dict[str, list[str]] = {}
    for k in pool:
        lower.setdefault(k.lower(), []).append(k)
    out: dict[str, list[str]] = {}
    for n in sorted(names):
        close = difflib.get_close_matches(n.lower(), sorted(lower), n=3, cutoff=NEAR_MISS)
        hits = [k for c in close for k in lower[c] if k != n]
        if hits:
            out[n] = hits[:3]
    return out


def _not_known_yet(standard: Standard | None, names: set[str]) -> set[str]:
    """The names ``standard``'s rules read (:meth:`Standard.fields_used`) that are not among
    ``names``: extra fields, to be given to a round. None when it did not validate, or a rule
    or tie-break entry cannot be read: broken anyway, so a wider retry could not pass."""
    if standard is None:
        return set()
    try:
        read = standard.fields_used()
    except (ExpressionError, IndexError):  # each said as its own problem
        return set()
    return {n for n in read - names if not n.startswith("_")}  # "_x" is refused as a name


def _fix_of(names: set[str], extras: set[str], any_extra: bool = False, web: bool = False,
            people: set[str] | None = None) -> _FixOf:
    """The fix of a rule's problem; for an unknown field, the fields that exist, the columns of
    the customers table (``people``, when there are), the extra ones given (or that none was)
    and how to give one (``web``: in the web editor's words)."""

    def fix(exc: ExpressionError) -> str | Phrase | None:
        if not isinstance(exc, UnknownFieldError):
            return exc.fix_phrase or exc.fix
        hint = Phrase("err_did_you_mean", names=Listed(exc.close)) if exc.close else ""
        if any_extra:
            more = Phrase("err_std_field_own_check", name=exc.name)
        elif extras:
            more = Phrase("err_std_extras_given_web" if web else "err_std_extras_given", names=Listed(sorted(extras)))
        else:
            more = Phrase("err_std_no_extras_web" if web else "err_std_no_extras")
        table = Phrase("err_std_customer_columns", names=Listed(sorted(people))) if people else ""
        return Phrase("err_std_unknown_field_fix", hint=hint, fields=Listed(sorted(names)), table=table, more=more)

    return fix


def _expr_msg(exc: ExpressionError) -> str | Phrase:
    """The expression's problem, with the character it is at (past the first)."""
    message = exc.phrase or exc.message
    return Phrase("err_at_char", message=message, col=exc.col) if exc.col and exc.col > 1 else message


def _band_problems(c: Criterion, line: int | None) -> list[Problem]:
    fix = Phrase("err_std_bands_fix")
    name = quoted(c.name)
    if not c.bands:
        return [Problem(line, Phrase("err_std_bands_none", name=name), fix)]
    th = [b[0] for b in c.bands]
    pts = [b[1] for b in c.bands]
    if any(b >= a for a, b in zip(th[1:], th[:-1], strict=True)):
        return [Problem(line, Phrase("err_std_bands_rise", name=name), fix)]
    if any(not 0 <= p <= 100 for p in pts):
        return [Problem(line, Phrase("err_std_bands_points", name=name), fix)]
    steps = [b - a for a, b in zip(pts[:-1], pts[1:], strict=True)]
    if c.direction == "higher" and any(d < 0 for d in steps):
        return [Problem(line, Phrase("err_std_bands_higher", name=name), fix)]
    if c.direction == "lower" and any(d > 0 for d in steps):
        return [Problem(line, Phrase("err_std_bands_lower", name=name), fix)]
    return []


def _tier_problems(s: Standard, lines: _Lines) -> list[Problem]:
    out: list[Problem] = []
    prev: tuple[int, Tier] | None = None
    for i, t in enumerate(s.tiers):
        if t.min_score is None and t.quota is None:
            out.append(Problem(lines.find("tiers", i), Phrase("err_std_tier_empty", name=quoted(t.name)),
                               Phrase("err_std_tier_empty_fix")))
        if prev is not None:
            _, p = prev
            if p.min_score is not None and t.min_score is not None and t.min_score >= p.min_score:
                out.append(Problem(lines.find("tiers", i, "min_score"),
                                   Phrase("err_std_tier_overlap", name=quoted(t.name), min=f"{t.min_score:g}",
                                          above=quoted(p.name), above_min=f"{p.min_score:g}"),
                                   Phrase("err_std_tier_overlap_fix")))
        prev = (i, t)
    return out
