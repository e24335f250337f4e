"""The account analyses a round stores: the account work at its cutoff, computed once.

A round (:func:`xuanba.run_round`) calls :func:`account_book` and stores what it returns, so the
report, the exports and the console summaries show the same figures and never rerun these
analyses. Each analysis covers the year up to the cutoff (``window_start`` .. ``as_of``, both
days included) and is left out when its data are absent, never filled with zeros:

* ``profit_by_size`` — revenue, cost of goods, cost-to-serve and profit by account size band
  (needs interactions);
* ``promises`` — promises kept on time, late, broken, overdue, by rep (needs commitments);
* ``owners`` — who holds the selected accounts, with the Herfindahl concentration and the
  selected accounts that hang on one contact or one rep (needs customers with an owner);
* ``keep_warm`` — dormant, uncontacted accounts, by the round's potential score (needs
  interactions);
* ``receivables`` — the ageing of open invoices (needs payment dates);
* ``personas`` — one profile per segment (needs customers with a segment).

Example
-------
>>> from xuanba import Workspace
>>> account_book(Workspace(":memory:"), "2026-06-30")
{}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from xuanba._dates import as_date, on_or_before
from xuanba.workspace import Workspace

#: Days of the window the analyses cover, the as-of day included.
WINDOW_DAYS = 365


def _info(start: pd.Timestamp, end: pd.Timestamp, **figures: Any) -> dict[str, Any]:
    return {"window_start": start.date().isoformat(), "as_of": end.date().isoformat(), **figures}


def account_book(
    ws: Workspace,
    as_of: dt.date | str,
    *,
    roster: pd.DataFrame | None = None,
) -> dict[str, tuple[dict[str, Any], pd.DataFrame | None]]:
    """The account analyses at ``as_of`` from the workspace's stored tables.

    Parameters
    ----------
    ws
        The workspace holding ``transactions`` and any side tables.
    as_of
        The last day of the window (included whole).
    roster
        A round's roster (``customer_id``, ``selected``, ``potential_score``): keep-warm ranks
        by its potential score and the owners analysis covers its selected customers (without
        it: historical revenue and everyone).

    Returns
    -------
    dict
        ``name -> (info, table)``, ``info`` holding the window, as-of date and the headline
        figures of the analysis (see the module docstring for the names).
    """
    if not ws.has_table("transactions"):
        return {}
    from xuanba.accounts.receivables import has_payment_dates
    from xuanba.accounts.stored import stored_tables, stored_transactions

    side = stored_tables(ws)
    paid = "paid_on" in ws.columns("transactions") and bool(
        ws.sql("SELECT count(paid_on) AS n FROM transactions")["n"].iloc[0])
    if not side and not paid:
        return {}  # nothing to analyse: do not read the transactions
    potential, selected = None, None
    if roster is not None:
        ids = roster["customer_id"].astype(str)
        if "potential_score" in roster.columns:
            potential = pd.Series(roster["potential_score"].to_numpy(), index=ids.to_numpy(), name="potential_score")
        selected = set(ids[roster["selected"].astype(bool).to_numpy()])
    start, end = book_window(as_of)
    tx = stored_transactions(ws)
    tx = tx.loc[on_or_before(tx["ts"], end)]
    return book_of(side, window=lambda: tx, history=lambda: tx,
                   receivables=(lambda: _receivables(tx, start, end)) if has_payment_dates(tx) else None,
                   potential=potential, selected=selected, start=start, end=end)


def book_window(as_of: dt.date | str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and the last day of the analyses' window ending on ``as_of``.

    >>> book_window("2026-06-30")
    (Timestamp('2025-07-01 00:00:00'), Timestamp('2026-06-30 00:00:00'))
    """
    end = pd.Timestamp(as_date(as_of, "as-of date"))
    return end - pd.Timedelta(days=WINDOW_DAYS - 1), end


def book_of(
    side: dict[str, pd.DataFrame],
    *,
    window: Callable[[], pd.DataFrame],
    history: Callable[[], pd.DataFrame],
    receivables: Callable[[], tuple[dict[str, Any], pd.DataFrame]] | None,
    potential: pd.Series | None,
    selected: set[str] | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, tuple[dict[str, Any], pd.DataFrame | None]]:
    """The analyses of :func:`account_book` from the side tables ``side`` and the transactions as
    each reads them: ``window()`` those of the window (or more: each analysis keeps its window),
    ``history()`` those up to its end (keep-warm's last purchases and revenue), each called only
    when an analysis needs it; ``receivables()`` the ageing (``None``: no payment dates). A
    workspace round gives its transactions to both; a round on an engine gives per-customer sums
    the engine made (:mod:`xuanba.accounts.engine`), which the same analyses read the same way."""
    book: dict[str, tuple[dict[str, Any], pd.DataFrame | None]] = {}
    if "interactions" in side:
        book["profit_by_size"] = _profit_by_size(window(), side["interactions"], start, end)
    if "commitments" in side:
        book["promises"] = _promises(side["commitments"], start, end)
    if "customers" in side and "owner" in side["customers"]:
        book["owners"] = _owners(window(), side, selected, start, end)
    if "interactions" in side:
        book["keep_warm"] = _keep_warm(history(), side, potential, start, end)
    if receivables is not None:
        book["receivables"] = receivables()
    if "customers" in side and "segment" in side["customers"]:
        book["personas"] = _personas(window(), side, start, end)
    return book


def _profit_by_size(tx: pd.DataFrame, interactions: pd.DataFrame, start: pd.Timestamp,
                    end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.profit import customer_profit, size_bands, volume_without_profit

    profit = customer_profit(tx, interactions, start=start, end=end)
    bands = size_bands(profit)
    top = bands.iloc[0]
    info = _info(start, end, top_band=str(top["band"]), top_revenue_share=float(top["revenue_share"]),
                 top_profit_share=float(top["profit_share"]),
                 volume_without_profit=int(len(volume_without_profit(profit))),
                 customers=int(len(profit)))
    return info, bands


def _promises(commitments: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.commitments import promise_ledger, reliability

    ledger = promise_ledger(commitments, end)
    by = "rep" if "rep" in ledger and ledger["rep"].notna().any() else "customer_id"
    rel = reliability(ledger, by=by, start=start, end=end)
    info = _info(start, end, by=by, kept_on_time=int(rel["kept_on_time"].sum()), due=int(rel["due"].sum()),
                 overdue=int((ledger["state"] == "overdue").sum()))
    return info, rel


def _owners(tx: pd.DataFrame, side: dict[str, pd.DataFrame], selected: set[str] | None,
            start: pd.Timestamp, end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.owners import owner_concentration, single_threaded

    chosen = selected if selected is not None else set(tx["customer_id"].astype(str))
    window = tx.loc[(tx["ts"] >= start) & tx["customer_id"].isin(chosen)]
    value = window.groupby("customer_id")["amount"].sum()
    conc = owner_concentration(side["customers"], value)
    st = single_threaded(side["customers"], side.get("contacts"), side.get("interactions"), end)
    single = int(st.loc[st["customer_id"].isin(chosen), "single_threaded"].sum())
    return _info(start, end, hhi=float(conc.attrs["hhi"]), single_threaded=single), conc


def _keep_warm(tx: pd.DataFrame, side: dict[str, pd.DataFrame], potential: pd.Series | None,
               start: pd.Timestamp, end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.keepwarm import keep_warm

    warm = keep_warm(tx, side.get("interactions"), side.get("commitments"), potential, end)
    return _info(start, end, accounts=int(len(warm)), potential_source=warm.attrs["potential_source"]), warm


def _receivables(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.receivables import ageing, receivables_summary, receivables_total

    sums = receivables_total(receivables_summary(tx, end))
    return _info(start, end, **{k: float(v) for k, v in sums.items()}), ageing(tx, end)


def _personas(tx: pd.DataFrame, side: dict[str, pd.DataFrame], start: pd.Timestamp,
              end: pd.Timestamp) -> tuple[dict[str, Any], pd.DataFrame]:
    from xuanba.accounts.personas import personas
    from xuanba.accounts.profit import customer_profit

    window = tx.loc[tx["ts"] >= start]
    profile = personas(window, side["customers"],
                       customer_profit(window, side.get("interactions"), start=start, end=end))
    return _info(start, end, segments=int(len(profile))), profile
