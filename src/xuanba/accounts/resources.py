"""Resource sheets: match the resources catalog to an account's needs, with reasons.

A resource matches an account when at least one of its tags is among the account's need tags.
Score = matched tags + 0.5 if the price is within the account's budget + 0.5 if its channel is
one the account prefers. Ties go to the lower price, then resource_id.

Example
-------
>>> import pandas as pd
>>> res = pd.DataFrame({"resource_id": ["R1", "R2"], "name": ["直播", "海报"],
...                     "tags": ["抖音,直播", "线下"], "price": [800.0, 100.0]})
>>> needs = pd.DataFrame({"customer_id": ["A"], "tag": ["直播"], "budget": [1000.0]})
>>> match_resources(res, needs)["resource_id"].tolist()
['R1']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuanba import i18n
from xuanba._files import write_text_atomic
from xuanba.accounts._util import ids, need
from xuanba.errors import DataError, Phrase, quoted, shown

_SPLIT = re.compile(r"[,;|/、，；\s]+")


def split_tags(text: object) -> list[str]:
    """Tags of a cell: split on , ; | / 、 ， ； and spaces, lower-cased.

    Example
    -------
    >>> split_tags("抖音、直播, B2B")
    ['抖音', '直播', 'b2b']
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [t.lower() for t in _SPLIT.split(str(text).strip()) if t]


def match_resources(
    resources: pd.DataFrame, needs: pd.DataFrame, customer_id: str | None = None
) -> pd.DataFrame:
    """Ranked resources per account with the reasons for each match.

    Parameters
    ----------
    resources : DataFrame
        ``resource_id, name`` and optionally ``tags, price, channel, unit, case_studies, effect``.
    needs : DataFrame
        ``customer_id, tag`` and optionally ``budget`` (the account's largest stated budget is
        used) and ``channel`` (preferred channels).
    customer_id : str, optional
        Only this account.

    Returns
    -------
    DataFrame
        ``customer_id, rank, resource_id, name, channel, price, unit, score, matched_tags,
        budget_fit, channel_fit, case_studies, effect, reasons`` (budget_fit is NaN without a
        budget or price).
    """
    need(resources, ["resource_id", "name"], "resources")
    need(needs, ["customer_id", "tag"], "needs")
    nd = needs.assign(customer_id=ids(needs["customer_id"]))
    if customer_id is not None:
        nd = nd.loc[nd["customer_id"] == str(customer_id)]
        if nd.empty:
            raise DataError(Phrase("err_no_needs", customer=quoted(customer_id)), examples=[customer_id],
                            fix=Phrase("err_no_needs_fix"))
    res = resources.reset_index(drop=True).copy()
    res_tags = [set(split_tags(t)) for t in (res["tags"] if "tags" in res else [None] * len(res))]
    price = pd.to_numeric(res["price"], errors="coerce") if "price" in res else pd.Series(np.nan, index=res.index)
    chan = res["channel"].astype(str).str.strip().str.lower() if "channel" in res else pd.Series("", index=res.index)
    rows = []
    for cid, grp in nd.groupby("customer_id", sort=True):
        want = set()
        for t in grp["tag"]:
            want |= set(split_tags(t))
        budget = pd.to_numeric(grp["budget"], errors="coerce").max() if "budget" in grp else np.nan
        pref = set()
        if "channel" in grp:
            for c in grp["channel"].dropna():
                pref |= set(split_tags(c))
        found = []
        for i in res.index:
            hit = sorted(res_tags[i] & want)
            if not hit:
                continue
            p = price[i]
            bfit = bool(p <= budget) if pd.notna(p) and pd.notna(budget) else None
            cfit = bool(chan[i] in pref) if pref else None
            score = len(hit) + 0.5 * bool(bfit) + 0.5 * bool(cfit)
            why = [f"tags: {', '.join(hit)}"]
            if bfit is not None:
                why.append(f"price {p:,.0f} {'within' if bfit else 'over'} budget {budget:,.0f}")
            if cfit:
                why.append(f"preferred channel {chan[i]}")
            for col, label in (("case_studies", "cases"), ("effect", "results")):
                if col in res and pd.notna(res.at[i, col]) and str(res.at[i, col]).strip():
                    why.append(f"{label}: {res.at[i, col]}")
            found.append({
                "customer_id": cid, "resource_id": str(res.at[i, "resource_id"]),
                "name": res.at[i, "name"], "channel": res.at[i, "channel"] if "channel" in res else None,
                "price": float(p) if pd.notna(p) else np.nan,
                "unit": res.at[i, "unit"] if "unit" in res else None,
                "score": float(score), "matched_tags": ", ".join(hit),
                "budget_fit": bfit, "channel_fit": cfit,
                "case_studies": res.at[i, "case_studies"] if "case_studies" in res else None,
                "effect": res.at[i, "effect"] if "effect" in res else None,
                "reasons": "; ".join(why),
            })
        found.sort(key=lambda r: (-r["score"], r["price"] if not np.isnan(r["price"]) else np.inf, r["resource_id"]))
        for k, r in enumerate(found, 1):
            r["rank"] = k
        rows.extend(found)
    cols = ["customer_id", "rank", "resource_id", "name", "channel", "price", "unit", "score",
            "matched_tags", "budget_fit", "channel_fit", "case_studies", "effect", "reasons"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out["rank"] = out["rank"].astype("int64")
    return out


_SHEET_WORDS = ("title", "for", "needs", "budget", "name", "channel", "price", "unit", "cases", "results", "why", "none",
                "standing", "tier", "none_tier", "score", "rank", "revenue_365d", "profit_365d", "p_alive", "clv_3y",
                "owner", "segment", "region")


def _cell(v: object) -> str:
    """A value of the resources or needs file in one cell of the sheet: a line break or another
    character a terminal acts on written as its escape (:func:`xuanba.errors.shown`), so the row
    stays one row and the console that prints the sheet gets no escape sequence."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}"
    return shown(v, quoted=False)


def _standing_lines(standing: Mapping[str, Any], lab: Mapping[str, str]) -> list[str]:
    """The account's place in a stored round, as the round stored it (nothing recomputed)."""
    tier = standing.get("tier_label") or lab["none_tier"]
    parts = [f"{lab['tier']} {tier}", f"{lab['score']} {float(standing['score']):,.1f}",
             lab["rank"].format(rank=int(standing["rank"]), n=int(standing["n_customers"]))]
    for key, fmt in (("revenue_365d", "{:,.0f}"), ("profit_365d", "{:,.0f}"), ("clv_3y", "{:,.0f}"),
                     ("p_alive", "{:.3f}")):
        value = standing.get(key)
        if value is not None and not (isinstance(value, float) and np.isnan(value)):
            parts.append(f"{lab[key]} {fmt.format(float(value))}")
    head = lab["standing"].format(round_id=standing["round_id"], cutoff=standing["cutoff"])
    return _who_lines(standing, lab) + [f"**{head}:** " + "  ·  ".join(parts), ""]


def _who_lines(row: Mapping[str, Any], lab: Mapping[str, str]) -> list[str]:
    """The account's owner, segment and region, when known, as one line (and a blank one)."""
    who = [f"{lab[k]} {_line(_cell(row.get(k)))}" for k in ("owner", "segment", "region") if _cell(row.get(k))]
    return [("  ·  ".join(who)), ""] if who else []


def _line(text: str) -> str:
    """``text`` on one line: line breaks and other control characters as spaces, so a name read
    from a file cannot start a heading or a table row of its own in the sheet; a format character
    (a right-to-left override) as its escape (:func:`xuanba.errors.shown`).

    >>> print(_line("A\\n# B\\r|C\\u202e"))
    A # B |C\\u202e
    """
    return shown("".join(" " if ch < " " or ch == "\x7f" else ch for ch in str(text)), quoted=False)


def _unstored_lines(unstored: Mapping[str, Any], lab: Mapping[str, str]) -> list[str]:
    """What the round says of an account it ranked but did not store (an engine round's,
    :func:`xuanba.rounds.selection_only.unstored_standing`): its rank and why, or where the
    others' rows are no longer, and the fix."""
    head = lab["standing"].format(round_id=unstored["round_id"], cutoff=unstored.get("cutoff") or "")
    said = " ".join(_line(x) for x in (unstored.get("message"), unstored.get("fix")) if x)
    return _who_lines(unstored, lab) + [f"**{head}:** {said}", ""]


def sheet_markdown(matches: pd.DataFrame, customer_id: str, needs: pd.DataFrame,
                   customer_name: str | None = None, lang: str = "zh", top: int = 10,
                   standing: Mapping[str, Any] | None = None, unstored: Mapping[str, Any] | None = None) -> str:
    """A one-page Markdown sheet of the top matches for one account; with ``standing`` (the
    account's row of a stored round, :func:`xuanba.rounds.customer_standing`) it opens with the
    account's tier, score, rank and the round's figures for it; with ``unstored`` instead (what
    :func:`xuanba.rounds.selection_only.unstored_standing` says of an account an engine round did
    not store), with its rank and that the round did not select it, or why that is not at hand.

    Example
    -------
    >>> import pandas as pd
    >>> needs = pd.DataFrame({"customer_id": ["A"], "tag": ["直播"]})
    >>> m = match_resources(pd.DataFrame({"resource_id": ["R1"], "name": ["直播"], "tags": ["直播"]}), needs)
    >>> "| 直播 |" in sheet_markdown(m, "A", needs, lang="zh")
    True
    """
    lab = {k: i18n.t(f"sheet_{k}", lang) for k in _SHEET_WORDS}
    nd = needs.loc[ids(needs["customer_id"]) == str(customer_id)]
    tags = sorted({t for x in nd["tag"] for t in split_tags(x)})
    for known in (standing, unstored):
        if customer_name is None and known is not None and known.get("name"):
            customer_name = str(known["name"])
    who = f"{customer_name} ({customer_id})" if customer_name else str(customer_id)
    lines = [f"# {lab['title']} — {lab['for']} {_line(who)}", ""]
    if standing is not None:
        lines += _standing_lines(standing, lab)
    elif unstored is not None:
        lines += _unstored_lines(unstored, lab)
    line = f"**{lab['needs']}:** {_line(', '.join(tags))}"
    if "budget" in nd and pd.to_numeric(nd["budget"], errors="coerce").notna().any():
        line += f"  ·  **{lab['budget']}:** {pd.to_numeric(nd['budget'], errors='coerce').max():,.0f}"
    lines += [line, ""]
    m = matches.loc[matches["customer_id"] == str(customer_id)].head(top)
    if m.empty:
        return "\n".join([*lines, lab["none"], ""])
    head = ["#", lab["name"], lab["channel"], lab["price"], lab["unit"], lab["cases"], lab["results"], lab["why"]]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in m.itertuples(index=False):
        why = _cell(r.matched_tags) + ("" if r.budget_fit is None or pd.isna(r.budget_fit) else
                                (" ✓" if r.budget_fit else " ✗") + lab["budget"])
        cells = [str(r.rank), _cell(r.name), _cell(r.channel), _cell(r.price), _cell(r.unit),
                 _cell(r.case_studies), _cell(r.effect), why]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_sheet(markdown: str, out: str | Path) -> Path:
    """Write a sheet as ``.md`` or as a self-contained ``.html`` page.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write_sheet("# t\\n", pathlib.Path(tempfile.mkdtemp()) / "s.md")
    >>> p.read_text(encoding="utf-8")
    '# t\\n'
    """
    import html

    path = Path(out)
    if path.suffix.lower() in (".html", ".htm"):
        body = []
        in_table = False
        for ln in markdown.splitlines():
            if ln.startswith("|"):
                cells = [html.escape(c.strip()) for c in ln.strip("|").split("|")]
                if set("".join(cells)) <= {"-"}:
                    continue
                tag = "th" if not in_table else "td"
                if not in_table:
                    body.append("<table>")
                    in_table = True
                body.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
                continue
            if in_table:
                body.append("</table>")
                in_table = False
            if ln.startswith("# "):
                body.append(f"<h1>{html.escape(ln[2:])}</h1>")
            elif ln.strip():
                body.append(f"<p>{html.escape(ln).replace('**', '')}</p>")
        if in_table:
            body.append("</table>")
        text = ("<!doctype html><html><head><meta charset='utf-8'><style>body{font-family:sans-serif;"
                "max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                "padding:4px 8px}</style></head><body>" + "\n".join(body) + "</body></html>\n")
        write_text_atomic(path, text)
    else:
        write_text_atomic(path, markdown)
    return path
