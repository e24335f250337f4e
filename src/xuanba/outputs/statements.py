"""Customer statements (公开): one page per customer that publishes the standard and where that
customer stands — score, tier, rank band, what each criterion gave, what would move them up.

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

import math
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from xuanba._files import write_text_atomic
from xuanba.errors import DataError, InputError
from xuanba.outputs.i18n import _get, check_lang, rank_band, t
from xuanba.standard.describe import describe

_TIMEOUT_S = 60


def _criteria(standard: Any) -> list[Any]:
    return list(_get(standard, "criteria", []) or [])


def _title(obj: Any) -> str:
    return str(_get(obj, "label") or _get(obj, "title") or _get(obj, "name"))


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


def _statement_context(round_: Any, row: pd.Series, contrib: pd.DataFrame, n: int, lang: str) -> dict[str, Any]:
    std = round_.standard
    meta = dict(round_.meta)
    crits = _criteria(std)
    total_w = sum(float(_get(c, "weight", 0) or 0) for c in crits) or 1.0
    public = std.public_criteria
    by_name = contrib.set_index(contrib["criterion"].astype(str)) if len(contrib) else contrib
    rows = []
    for c in public:
        name = str(_get(c, "name"))
        max_pts = 100.0 * float(_get(c, "weight", 0) or 0) / total_w
        if len(by_name) and name in by_name.index:
            rec = by_name.loc[name]
            raw, pts = rec["raw"], float(rec["contribution"])
        else:
            raw, pts = row.get(name, float("nan")), float("nan")
        frac = 0.0 if not math.isfinite(pts) or max_pts <= 0 else max(0.0, min(1.0, pts / max_pts))
        rows.append({"label": _title(c), "raw": _fmt(raw), "points": f"{pts:,.1f}" if math.isfinite(pts) else "–",
                     "max": t("stmt_of_max", lang, max=f"{max_pts:.0f}"), "bar": round(200 * frac, 1)})
    private_share = 100.0 * sum(float(_get(c, "weight", 0) or 0) for c in crits if not std.is_public(c)) / total_w
    tiers = _tier_titles(std)
    tier = str(row.get("tier") or "")
    notes = []
    gate_titles = {g.name: g.title for g in std.public_gates}
    gates = [g for g in _as_list(row.get("gates_failed")) if g in gate_titles]
    if gates:
        notes.append(t("stmt_gates", lang, gates=t("list_sep", lang).join(gate_titles[g] for g in gates)))
    if bool(row.get("left_out_by_capacity", False)):
        notes.append(t("stmt_capacity", lang))
    nxt = str(row.get("next_tier") or "")
    if nxt:
        gap = float(row.get("gap_to_next", float("nan")))
        if math.isfinite(gap) and gap > 0:
            notes.append(t("stmt_next", lang, gap=f"{gap:,.1f}", tier=tiers.get(nxt, nxt)))
        # the cheapest step among public criteria (older rosters: the cheapest one, if public)
        public_col = "cheapest_public_criterion" in row.index
        crit_name = str(row.get("cheapest_public_criterion" if public_col else "cheapest_criterion") or "")
        change = row.get("cheapest_public_change" if public_col else "cheapest_change")
        titles = {str(_get(c, "name")): _title(c) for c in public}
        if crit_name in titles and change is not None and not pd.isna(change) and float(change) != 0:
            notes.append(t("stmt_next_cheapest", lang, criterion=titles[crit_name], change=_fmt(abs(float(change)))))
    elif tier:
        notes.append(t("stmt_top", lang))
    std_name = meta.get("standard_name") or _get(std, "name", "")
    return {
        "lang": lang,
        "title": t("stmt_title", lang, standard=std_name),
        "intro": t("stmt_intro", lang, cutoff=meta.get("cutoff", "–")),
        "customer_label": t("stmt_customer", lang),
        "customer_id": str(row["customer_id"]),
        "cards": [
            {"label": t("stmt_score", lang), "value": f"{float(row['score']):,.1f}", "note": "0–100"},
            {"label": t("stmt_tier", lang), "value": tiers.get(tier, tier) if tier else t("not_in_tier", lang), "note": ""},
            {"label": t("stmt_band", lang), "value": rank_band(int(row["rank"]), n, lang),
             "note": t("stmt_band_note", lang, n=f"{n:,}")},
        ],
        "contrib_title": t("stmt_contrib_title", lang),
        "head": [t("stmt_criterion", lang), t("stmt_your_value", lang), t("stmt_points", lang), ""],
        "rows": rows,
        "private_note": t("private_line", lang, weight=f"{private_share:.0f}%") if private_share > 0 else "",
        "next_title": t("stmt_next_title", lang),
        "notes": notes,
        "standard_title": t("stmt_standard_title", lang),
        "standard_lines": describe(std, lang, public=True),
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
    if missing:
        raise InputError(f"{len(missing):,} customer(s) are not in round {round_.round_id}",
                         examples=missing, count=len(missing),
                         fix="Check the ids against the roster (`xuanba export` writes it).")
    pos = pd.Series(range(len(ids)), index=ids)
    return roster.iloc[pos.loc[list(dict.fromkeys(wanted))].to_numpy()]


def build_statement(round_: Any, customer_id: Any, *, lang: str = "en") -> str:
    """The statement of one customer as an HTML string (no script, prints as it shows)."""
    check_lang(lang)
    row = _pick(round_, [customer_id]).iloc[0]
    c = round_.contributions
    contrib = c[c["customer_id"].astype(str) == str(customer_id)]
    ctx = _statement_context(round_, row, contrib, len(round_.roster), lang)
    return _env().get_template("statement.html.j2").render(**ctx, font=_font())


def _font() -> str:
    from xuanba.outputs.charts import FONT

    return FONT


def safe_filename(customer_id: Any) -> str:
    """A file name for a customer id (letters, digits, CJK, ``-_.`` kept; others become ``_``).

    Example
    -------
    >>> safe_filename("上海/A 01")
    'statement-上海_A_01.html'
    """
    name = re.sub(r"[^\w.-]+", "_", str(customer_id)).strip("._") or "customer"
    return f"statement-{name[:100]}.html"


def build_statements(
    round_: Any,
    out_dir: str | os.PathLike[str],
    *,
    customers: Sequence[Any] | None = None,
    lang: str = "en",
    pdf: bool = False,
) -> list[Path]:
    """Write the statements of ``customers`` (default: everyone) of an in-memory round into
    ``out_dir``; with ``pdf`` also a PDF beside each page. Returns the files written."""
    check_lang(lang)
    picked = _pick(round_, customers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = _env().get_template("statement.html.j2")
    c = round_.contributions
    groups = c.groupby(c["customer_id"].astype(str), sort=False).indices
    n = len(round_.roster)
    names: dict[str, str] = {}
    written = []
    for _, row in picked.iterrows():
        cid = str(row["customer_id"])
        idx = groups.get(cid)
        contrib = c.iloc[idx] if idx is not None else c.iloc[0:0]
        fname = safe_filename(cid)
        if fname in names.values():  # two ids that clean to the same name
            fname = fname.replace(".html", f"-{len(names)}.html")
        names[cid] = fname
        path = out / fname
        write_text_atomic(path, template.render(**_statement_context(round_, row, contrib, n, lang), font=_font()))
        written.append(path)
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
        raise DataError("no PDF engine found: PDFs are printed by headless Chromium",
                        fix="Install Chromium (Debian: apt-get install chromium) or leave out --pdf.")
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
                    page.pdf(path=str(pdf), format="A4", print_background=True)
                    out.append(pdf)
            finally:
                browser.close()
        return out
    for html in pages:
        pdf = html.with_suffix(".pdf")
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=_TIMEOUT_S)
        out.append(pdf)
    return out


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
    [PosixPath('statements/statement-C1.html')]
    """
    from xuanba.rounds import load_round
    from xuanba.workspace import open_workspace

    check_lang(lang)
    with open_workspace(workspace, read_only=True) as ws:
        rnd = load_round(ws, round_id, fields=False)
    return build_statements(rnd, out_dir, customers=customers, lang=lang, pdf=pdf)
