"""Customer statements (公开): one page per customer that publishes the standard and where that
customer stands — score, tier, rank band, what each criterion gave, what would move them up.
A page is addressed to the customer by the name the round stored (尊敬的… / Dear …) and names
their account manager when known; a tier nobody reached this round is never offered as the next.

A statement holds nothing about any other customer (no id, no figure, not the exact rank of
anyone else) and nothing the standard keeps private: the standard is said in the words of
:func:`xuanba.standard.describe.describe` with ``public=True``, and only the criteria and gates
:attr:`xuanba.standard.Standard.privacy` leaves public are named.

Example
-------
>>> from xuanba.outputs._synthetic import synthetic_round
>>> r = synthetic_round(100, seed=1)
>>> html = build_statement(r, "C0000024", lang="en")
>>> "C0000024" in html and "C0000036" not in html and "Internal credit rating" not in html
True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from xuanba._files import atomic_path, write_bytes_atomic, write_text_atomic
from xuanba.errors import DataError, InputError, Phrase
from xuanba.outputs.i18n import _get, check_lang, rank_band, t
from xuanba.outputs.people import People
from xuanba.standard.describe import describe, public_title, public_words, rule_in_words
from xuanba.standard.score import SKIPS_EMPTY_TIERS

_TIMEOUT_S = 60

#: The advice a statement prints ("raise revenue by about 170") must fit at least this many other
#: customers' values, so that it never points at one customer's figure (k-anonymity).
ADVICE_K = 5

#: The file beside the statements that maps each customer id to its page.
INDEX_NAME = "index.json"


def _criteria(standard: Any) -> list[Any]:
    return list(_get(standard, "criteria", []) or [])


def _title(obj: Any) -> str:
    return str(_get(obj, "label") or _get(obj, "title") or _get(obj, "name"))


def _crit_title(c: Any, lang: str, words: Mapping[str, str]) -> str:
    """A criterion as a customer reads it (never a column name such as ``revenue_365d``)."""
    return public_title(c, lang, words)


def _fmt(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "–"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def _tier_titles(standard: Any) -> dict[str, str]:
    return {str(_get(x, "name")): _title(x) for x in _get(standard, "tiers", []) or []}


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value if str(v)]
    return [s.strip() for s in re.split(r"[;,]", str(value)) if s.strip()]


class Advice(NamedTuple):
    """A step as a statement prints it: the rounded size, its decimals, and whether it is an upper
    bound ("would be enough") rather than a rounded figure ("about")."""

    change: float
    decimals: int
    upto: bool
    lower: bool

    def text(self) -> str:
        """The size as printed, e.g. ``"1,700"``."""
        return f"{self.change:,.{self.decimals}f}"


def public_advice(change: float, own: float, values: Any, *, k: int = ADVICE_K) -> Advice | None:
    """The one customer-facing form of a "smallest step": rounded so it names no customer's value.

    The size is rounded up to 2 significant figures. Every exact step that prints the same lies in
    ``(printed - unit, printed]``; at least ``k`` other customers' values must lie within the
    customer's own value plus that range, else the unit grows tenfold (1 significant figure, then
    coarser; once the unit passes the step the figure is an upper bound, "would be enough"). No
    advice (``None``) when the step is zero or unknown, or when no rounding reaches ``k``.

    Parameters
    ----------
    change
        The exact change of the criterion's raw value (negative: lower it).
    own
        The customer's own raw value.
    values
        Every customer's raw value of that criterion, sorted ascending (missing ones left out).

    Example
    -------
    >>> vals = np.arange(0.0, 3001.0)             # one customer at each whole number
    >>> public_advice(164.0, 2721.0, vals)         # 2,885 is one value; 2,882-2,891 are ten
    Advice(change=170.0, decimals=0, upto=False, lower=False)
    >>> public_advice(164.0, 2721.0, np.array([2721.0, 2885.0])) is None
    True
    """
    if change is None or not math.isfinite(float(change)) or float(change) == 0:
        return None
    mag, lower = abs(float(change)), float(change) < 0
    vals = np.asarray(values, dtype=float)
    if len(vals) == 0:
        return None
    span = float(vals[-1] - vals[0])
    m = max(math.floor(math.log10(mag)) - 1, -9)  # a step below 1e-9 is rounding noise: widen
    while True:
        unit = 10.0 ** m
        if unit > 10 * max(span, mag):
            return None
        dec = max(0, -m)
        top = round(max(1, math.ceil(mag / unit - 1e-9)) * unit, dec)
        low = round(top - unit, dec)
        if lower:
            count = np.searchsorted(vals, own - low, "left") - np.searchsorted(vals, own - top, "left")
        else:
            count = np.searchsorted(vals, own + top, "right") - np.searchsorted(vals, own + low, "right")
        if count >= k and top > 0:
            return Advice(float(top), dec, low <= 0, lower)
        m += 1


def _distributions(contributions: pd.DataFrame, criteria: Iterable[Any]) -> dict[str, np.ndarray]:
    """Each criterion's raw values over the round's customers, sorted (for :func:`public_advice`)."""
    out = {}
    crit = contributions["criterion"].astype(str) if len(contributions) else None
    for c in criteria:
        name = str(_get(c, "name"))
        raw = contributions.loc[crit == name, "raw"] if crit is not None else pd.Series([], dtype=float)
        v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        out[name] = np.sort(v[np.isfinite(v)])
    return out


def base_size(round_: Any) -> int:
    """The customers the round ranked: its roster, or what its meta counts when it stored only
    the selected customers (a round run on an engine)."""
    from xuanba.rounds.store import holds_selection_only

    meta = getattr(round_, "meta", None) or {}
    return int(meta["n_customers"]) if holds_selection_only(meta) else len(round_.roster)


def _distributions_of(round_: Any) -> dict[str, np.ndarray]:
    """:func:`_distributions` of the round's customers; none when it stored only the selected ones
    (their values alone would make the advice's rounding name too few customers: no advice); a
    round that selected every customer stored them all."""
    from xuanba.rounds.selection_only import misses_customers

    if misses_customers(getattr(round_, "meta", None)):
        return {}
    return _distributions(round_.contributions, round_.standard.public_criteria)


def _advice_note(std: Any, row: pd.Series, contrib: pd.DataFrame, dist: Mapping[str, np.ndarray],
                 lang: str, words: Mapping[str, str]) -> str:
    # the cheapest step among public, non-predicted criteria (older rosters: the cheapest one)
    public_col = "cheapest_public_criterion" in row.index
    crit_name = str(row.get("cheapest_public_criterion" if public_col else "cheapest_criterion") or "")
    change = row.get("cheapest_public_change" if public_col else "cheapest_change")
    crit = {str(_get(c, "name")): c for c in std.public_criteria}.get(crit_name)
    if crit is None or crit.predicted or change is None or pd.isna(change):
        return ""
    own = contrib.loc[contrib["criterion"].astype(str) == crit_name, "raw"]
    own_v = pd.to_numeric(own, errors="coerce").to_numpy(dtype=float)
    if len(own_v) == 0 or not math.isfinite(own_v[0]):
        return ""
    advice = public_advice(float(change), float(own_v[0]), dist.get(crit_name, np.array([])))
    if advice is None:
        return ""
    key = "stmt_next_cheapest" + ("_lower" if advice.lower else "") + ("_upto" if advice.upto else "")
    return t(key, lang, criterion=_crit_title(crit, lang, words), change=advice.text())


def _next_filled(std: Any, tier: str, filled: set[str]) -> str:
    """The lowest tier above ``tier`` (``""``: not selected) that holds customers this round, or
    ``""``: a tier nobody reached is never offered as the next step."""
    ranked = sorted(std.tiers, key=lambda x: -float(x.min_score)) if all(
        x.min_score is not None for x in std.tiers) else list(std.tiers)
    names = [str(x.name) for x in ranked]
    above = names[:names.index(tier)] if tier in names else names
    return next((x for x in reversed(above) if x in filled), "")


def _bands(round_: Any) -> tuple[float, pd.DataFrame] | None:
    """The level and, by customer, the interval bounds the round stored for the predictions its
    public criteria show as they are (``field = "clv_3y"``): a statement adds a customer's own
    interval beside a prediction it already shows, and nothing else. ``None`` when there are none."""
    info = (getattr(round_, "meta", None) or {}).get("intervals") or {}
    fields = getattr(round_, "fields", None)
    if not info.get("level") or fields is None:
        return None
    stored = set(info.get("columns") or [])
    shown = sorted({str(_get(c, "field", "")).strip() for c in round_.standard.public_criteria})
    cols = [f"{f}_{end}" for f in shown for end in ("lower", "upper")
            if {f"{f}_lower", f"{f}_upper"} <= stored and {f"{f}_lower", f"{f}_upper"} <= set(fields.columns)]
    if not cols:
        return None
    return float(info["level"]), fields.set_index(fields["customer_id"].astype(str))[cols]


def _with_band(text: str, field: str, cid: str, bands: tuple[float, pd.DataFrame] | None) -> tuple[str, bool]:
    """``text`` (a shown value) with the customer's own interval of ``field`` when stored."""
    if bands is None or f"{field}_lower" not in bands[1].columns or cid not in bands[1].index:
        return text, False
    lo, hi = (float(bands[1].at[cid, f"{field}_{end}"]) for end in ("lower", "upper"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return text, False
    return f"{text} ({bands[0] * 100:g}%: {_fmt(lo)}–{_fmt(hi)})", True


def _statement_context(round_: Any, row: pd.Series, contrib: pd.DataFrame, n: int, lang: str,
                       dist: Mapping[str, np.ndarray], people: People | None = None,
                       filled: set[str] | None = None,
                       bands: tuple[float, pd.DataFrame] | None = None) -> dict[str, Any]:
    std = round_.standard
    meta = dict(round_.meta)
    # a round without a usable model scored without the criteria that need predictions
    dropped = set((meta.get("fallback") or {}).get("criteria") or [])
    crits = [c for c in _criteria(std) if str(_get(c, "name")) not in dropped]
    total_w = sum(float(_get(c, "weight", 0) or 0) for c in crits) or 1.0
    public = [c for c in std.public_criteria if str(_get(c, "name")) not in dropped]
    words = public_words(std, lang)
    by_name = contrib.set_index(contrib["criterion"].astype(str)) if len(contrib) else contrib
    rows = []
    public_pts, public_max = 0.0, 0.0
    banded = False
    cid = str(row["customer_id"])
    for c in public:
        name = str(_get(c, "name"))
        max_pts = 100.0 * float(_get(c, "weight", 0) or 0) / total_w
        if len(by_name) and name in by_name.index:
            rec = by_name.loc[name]
            raw, pts = rec["raw"], float(rec["contribution"])
        else:
            raw, pts = row.get(name, float("nan")), float("nan")
        frac = 0.0 if not math.isfinite(pts) or max_pts <= 0 else max(0.0, min(1.0, pts / max_pts))
        public_pts += pts if math.isfinite(pts) else 0.0
        public_max += max_pts
        shown, band = _with_band(_fmt(raw), str(_get(c, "field", "")).strip(), cid, bands)
        banded = banded or band
        rows.append({"label": _crit_title(c, lang, words), "raw": shown, "points": f"{pts:,.1f}" if math.isfinite(pts) else "–",
                     "max": t("stmt_of_max", lang, max=f"{max_pts:.0f}"), "bar": round(200 * frac, 1)})
    private_share = 100.0 * sum(float(_get(c, "weight", 0) or 0) for c in crits if not std.is_public(c)) / total_w
    # with private criteria the total is not shown: total - public points would give them
    hide_total = private_share > 0
    tiers = _tier_titles(std)
    tier = str(row.get("tier") or "")
    notes = []
    if dropped:
        notes.append(t("stmt_fallback", lang, criteria=t("list_sep", lang).join(
            _crit_title(c, lang, words) for c in std.public_criteria if str(_get(c, "name")) in dropped) or "–"))
    gate_titles = {g.name: g.label or rule_in_words(g.expr, lang, words=words) for g in std.public_gates}
    gates = [g for g in _as_list(row.get("gates_failed")) if g in gate_titles]
    if gates:
        notes.append(t("stmt_gates", lang, gates=t("list_sep", lang).join(gate_titles[g] for g in gates)))
    if bool(row.get("left_out_by_capacity", False)):
        notes.append(t("stmt_capacity", lang))
    nxt = str(row.get("next_tier") or "")
    stored_next = nxt
    if nxt and filled is not None and nxt not in filled:
        nxt = _next_filled(std, tier, filled)  # the stored next tier is empty this round
    if nxt and nxt != stored_next:
        notes.append(t("stmt_next_tier", lang, tier=tiers.get(nxt, nxt)))  # its gap and step were to the empty one
    elif nxt:
        gap = float(row.get("gap_to_next", float("nan")))
        # the gap in points only when the bar is the tier's published minimum (a full tier's bar
        # is its lowest member's score) and the total is shown (else bar - gap gives the total)
        bar_min = next((x.min_score for x in std.tiers if x.name == nxt), None)
        public_bar = bar_min is not None and abs(float(row["score"]) + gap - float(bar_min)) < 1e-6
        if not hide_total and public_bar and math.isfinite(gap) and gap > 0:
            notes.append(t("stmt_next", lang, gap=f"{gap:,.1f}", tier=tiers.get(nxt, nxt)))
        else:
            notes.append(t("stmt_next_tier", lang, tier=tiers.get(nxt, nxt)))
        step = _advice_note(std, row, contrib, dist, lang, words)
        if step:
            notes.append(step)
    elif tier and not stored_next:  # only the top tier has no next one (not a tier above left empty)
        notes.append(t("stmt_top", lang))
    if hide_total:
        score_card = {"label": t("stmt_public_score", lang), "value": f"{public_pts:,.1f}",
                      "note": t("stmt_of_max", lang, max=f"{public_max:.0f}")}
    else:
        score_card = {"label": t("stmt_score", lang), "value": f"{float(row['score']):,.1f}", "note": "0–100"}
    std_name = meta.get("standard_name") or _get(std, "name", "")
    people = people or People.of(None)
    name, owner = people.name(cid), people.owner(cid)
    return {
        "lang": lang,
        "title": t("stmt_title", lang, standard=std_name),
        "intro": t("stmt_intro", lang, cutoff=meta.get("cutoff", "–")),
        "customer_label": t("stmt_customer", lang),
        "customer_id": cid,
        "customer_who": people.who(cid),
        "dear": t("stmt_dear", lang, name=name) if name else "",
        "owner_line": t("stmt_owner", lang, owner=owner) if owner else "",
        "cards": [
            score_card,
            {"label": t("stmt_tier", lang), "value": tiers.get(tier, tier) if tier else t("not_in_tier", lang), "note": ""},
            {"label": t("stmt_band", lang), "value": rank_band(int(row["rank"]), n, lang),
             "note": t("stmt_band_note", lang, n=f"{n:,}")},
        ],
        "contrib_title": t("stmt_contrib_title", lang),
        "head": [t("stmt_criterion", lang), t("stmt_your_value", lang), t("stmt_points", lang), ""],
        "rows": rows,
        "private_note": t("private_line", lang, weight=f"{private_share:.0f}%") if private_share > 0 else "",
        "interval_note": t("stmt_interval", lang, level=f"{bands[0] * 100:g}%") if banded and bands else "",
        "next_title": t("stmt_next_title", lang),
        "notes": notes,
        "standard_title": t("stmt_standard_title", lang),
        "standard_lines": describe(getattr(round_, "scored_standard", std), lang, public=True),
        "footer": t("stmt_footer", lang, standard=std_name, version=meta.get("standard_version", "–"),
                    round_id=round_.round_id, cutoff=meta.get("cutoff", "–")),
    }


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("xuanba.outputs", "templates"), autoescape=select_autoescape(["j2"]))


def _pick(round_: Any, customers: Iterable[Any] | None) -> pd.DataFrame:
    roster = round_.roster
    ids = roster["customer_id"].astype(str)
    if customers is None:
        return roster
    wanted = [str(c) for c in customers]
    missing = [c for c in wanted if c not in set(ids)]
    from xuanba.rounds.selection_only import RestWhere, rest_of_round

    rest = rest_of_round(round_) if missing else None  # its --roster-out checked to be still its own
    if rest is not None:  # (a round that selected every customer stored them all: the ids are not in it)
        raise InputError(Phrase("err_statements_selection_only", n=f"{len(missing):,}", round_id=str(round_.round_id),
                                engine=round_.meta.get("engine") or Phrase("err_an_engine")),
                         examples=missing, count=len(missing),
                         fix=Phrase("err_statements_selection_only_fix", rest=RestWhere(rest)))
    if missing:
        raise InputError(Phrase("err_customers_not_in_round", n=f"{len(missing):,}", round_id=str(round_.round_id)),
                         examples=missing, count=len(missing), fix=Phrase("err_customers_not_in_round_fix"))
    pos = pd.Series(range(len(ids)), index=ids)
    return roster.iloc[pos.loc[list(dict.fromkeys(wanted))].to_numpy()]


def build_statement(round_: Any, customer_id: Any, *, lang: str = "en") -> str:
    """The statement of one customer as an HTML string (no script, prints as it shows)."""
    check_lang(lang)
    row = _pick(round_, [customer_id]).iloc[0]
    c = round_.contributions
    contrib = c[c["customer_id"].astype(str) == str(customer_id)]
    dist = _distributions_of(round_)
    ctx = _statement_context(round_, row, contrib, base_size(round_), lang, dist,
                             People.of(getattr(round_, "fields", None)), _filled(round_), _bands(round_))
    return _env().get_template("statement.html.j2").render(**ctx, font=_font())


def _filled(round_: Any) -> set[str] | None:
    """The tiers that hold at least one customer this round, for a round scored before the next
    tier up skipped empty tiers; ``None`` when the round's own ``next_tier`` already does."""
    if ((getattr(round_, "meta", None) or {}).get("scoring_rules") or 0) >= SKIPS_EMPTY_TIERS:
        return None
    tiers = round_.roster["tier"].fillna("").astype(str)
    return set(tiers[tiers != ""].unique())


def _font() -> str:
    from xuanba.outputs.charts import FONT

    return FONT


def safe_filename(customer_id: Any) -> str:
    """The file name of a customer's statement: unique per exact id on every common file system.

    A lower-case slug of the id (letters, digits, CJK and ``-_.`` kept, others ``_``, at most 40
    characters) and the first 10 hex digits of the SHA-256 of the exact id, so ids that clean to
    the same slug (``a/b`` and ``a_b``) or differ only by case (``Abc``, ``abc``) get their own
    file, and no name passes 140 bytes.

    Example
    -------
    >>> safe_filename("上海/A 01")
    'statement-上海_a_01-d4a526ade7.html'
    >>> safe_filename("Abc") != safe_filename("abc")
    True
    """
    cid = str(customer_id)
    digest = hashlib.sha256(cid.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    slug = re.sub(r"[^\w.-]+", "_", unicodedata.normalize("NFC", cid), flags=re.UNICODE).lower()
    slug = re.sub(r"_+", "_", slug)[:40].strip("._-")
    return f"statement-{slug}-{digest}.html" if slug else f"statement-{digest}.html"


def _write_page(path: Path, text: str) -> None:
    """Write one page (every statement file is written here): whole or not at all."""
    write_text_atomic(path, text)


def build_statements(
    round_: Any,
    out_dir: str | os.PathLike[str],
    *,
    customers: Sequence[Any] | None = None,
    lang: str = "en",
    pdf: bool = False,
) -> list[Path]:
    """Write the statements of ``customers`` (default: everyone) of an in-memory round into
    ``out_dir``; with ``pdf`` also a PDF beside each page. Returns the files written.

    ``index.json`` beside the pages maps each customer id to its file name (for whoever sends the
    pages; it names every customer, so it is not for customers).

    Example
    -------
    >>> import json, tempfile
    >>> from xuanba.outputs._synthetic import synthetic_round
    >>> out = Path(tempfile.mkdtemp())
    >>> [p.name for p in build_statements(synthetic_round(30, seed=1), out, customers=["C0000001"])]
    ['statement-c0000001-08ff16851f.html']
    >>> json.loads((out / "index.json").read_text("utf-8"))
    {'C0000001': 'statement-c0000001-08ff16851f.html'}
    """
    check_lang(lang)
    picked = _pick(round_, customers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = _env().get_template("statement.html.j2")
    c = round_.contributions
    groups = c.groupby(c["customer_id"].astype(str), sort=False).indices
    dist = _distributions_of(round_)
    n = base_size(round_)
    people, filled = People.of(getattr(round_, "fields", None)), _filled(round_)
    bands = _bands(round_)
    names: dict[str, str] = {}
    written = []
    for _, row in picked.iterrows():
        cid = str(row["customer_id"])
        idx = groups.get(cid)
        contrib = c.iloc[idx] if idx is not None else c.iloc[0:0]
        names[cid] = safe_filename(cid)
        path = out / names[cid]
        _write_page(path, template.render(**_statement_context(round_, row, contrib, n, lang, dist, people, filled,
                                                                              bands),
                                          font=_font()))
        written.append(path)
    index = out / INDEX_NAME  # earlier runs into the same folder keep their entries (a name is per id)
    try:
        known = {str(k): str(v) for k, v in json.loads(index.read_text("utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        known = {}
    _write_page(index, json.dumps({**known, **names}, ensure_ascii=False, indent=1))
    if pdf:
        written += print_pdfs(written)
    return written


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdfs(pages: Sequence[Path]) -> list[Path]:
    """Print HTML pages to PDF beside them with headless Chromium (through Playwright when it is
    installed, else the ``chromium`` command). A clear error when no PDF engine is found."""
    exe = _chromium()
    if exe is None:
        raise DataError(Phrase("err_no_pdf_engine"), fix=Phrase("err_no_pdf_engine_fix"))
    out = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is not None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                for html in pages:
                    page.goto(html.resolve().as_uri())
                    pdf = html.with_suffix(".pdf")
                    _write_pdf(pdf, page.pdf(format="A4", print_background=True))
                    out.append(pdf)
            finally:
                browser.close()
        return out
    for html in pages:
        pdf = html.with_suffix(".pdf")
        with atomic_path(pdf) as tmp:  # Chromium prints into the temporary file, renamed when whole
            try:
                subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                                f"--print-to-pdf={tmp}", html.resolve().as_uri()],
                               check=True, capture_output=True, timeout=_TIMEOUT_S)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                raise DataError(Phrase("err_pdf_failed", kind=type(exc).__name__),
                                file=str(pdf), fix=Phrase("err_pdf_failed_fix")) from None
            _check_pdf(pdf, tmp.read_bytes()[:5])
        out.append(pdf)
    return out


def _check_pdf(pdf: Path, head: bytes) -> None:
    if not head.startswith(b"%PDF-"):
        raise DataError(Phrase("err_pdf_none"), file=str(pdf), fix=Phrase("err_pdf_none_fix"))


def _write_pdf(pdf: Path, data: bytes) -> None:
    """Write one PDF printed by Playwright: checked, then whole or not at all."""
    _check_pdf(pdf, data[:5])
    write_bytes_atomic(pdf, data)


def write_statements(
    workspace: Any,
    round_id: str,
    out_dir: str | os.PathLike[str],
    *,
    customers: Sequence[Any] | None = None,
    lang: str = "en",
    pdf: bool = False,
) -> list[Path]:
    """Write one statement page per customer of a stored round (``"latest"`` for the newest).

    Parameters
    ----------
    workspace
        A :class:`~xuanba.Workspace` or the path of its file.
    customers
        The customer ids; default every customer of the round.
    pdf
        Also print each page to PDF (needs Chromium).

    Example
    -------
    >>> write_statements("xuanba.duckdb", "latest", "statements", customers=["C1"])  # doctest: +SKIP
    [PosixPath('statements/statement-c1-ab861dc170.html')]
    """
    from xuanba.models.predict import INTERVAL_COLUMNS
    from xuanba.outputs.people import OWNER_ALIASES, PERSON_FIELDS
    from xuanba.rounds import load_round
    from xuanba.workspace import open_workspace

    check_lang(lang)
    with open_workspace(workspace, read_only=True) as ws:
        # who each page is for, and the intervals of the predictions it shows
        rnd = load_round(ws, round_id, fields=(*PERSON_FIELDS, *OWNER_ALIASES, *INTERVAL_COLUMNS))
    return build_statements(rnd, out_dir, customers=customers, lang=lang, pdf=pdf)
