"""Row accounting holds for any messy input, checked against a brute-force Python account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuanba import Workspace
from xuanba.ingest import ingest

CUSTOMERS = ["A", "007", " B ", "", "  ", "合计"]
DATES = ["2026-01-01", "2026-01-01 09:30", "2026/1/2", "2026年1月3日", "20260104", "2026-02-30", "soon", "",
         "1899-12-31", "2101-01-01"]
AMOUNTS = ["10", "2.50", "-5", "1,000", "¥3", "x", "", "0", "1,234.50元", "(12.00)"]
ORDERS = ["O1", "O2", "C9", "", None]

row = st.tuples(st.sampled_from(CUSTOMERS), st.sampled_from(DATES), st.sampled_from(AMOUNTS),
                st.sampled_from(ORDERS))


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("¥", "").replace("元", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        return Decimal(cleaned) if cleaned else None
    except ArithmeticError:
        return None


def brute_force(rows: list[tuple], with_orders: bool) -> tuple[dict[str, int], int, Decimal, int]:
    """(rejects by reason, loaded rows, net amount, returns) by the documented rules, in Python."""
    reasons: dict[str, int] = {}
    seen: set[tuple] = set()
    groups: dict[tuple, list[Decimal]] = {}
    singles: list[Decimal] = []
    for cust, date, amount, order in rows:
        line = (cust, date, amount, order) if with_orders else None
        order = (order or "").strip() or None if with_orders else None
        day, value = _date(date), _amount(amount)
        if cust == "合计" and (not date or day is None or not amount):  # a total lacks a sale's day or amount
            reason = "totals row"
        elif not cust.strip():
            reason = "missing customer id"
        elif not date:
            reason = "missing date"
        elif day is None:
            reason = "unparseable date"
        elif day.year < 1900:
            reason = "date before 1900"
        elif day.year > 2100:
            reason = "date after 2100"
        elif not amount:
            reason = "missing amount"
        elif value is None:
            reason = "non-numeric amount"
        elif with_orders and line in seen:
            reason = "exact duplicate line"
        else:
            reason = None
        if with_orders:
            seen.add(line)
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
            continue
        is_return = value < 0 or (order is not None and order.startswith("C"))
        signed = -abs(value) if is_return else value
        if order is None:
            singles.append(signed)
        else:
            groups.setdefault((order, cust.strip(), day), []).append(signed)
    nets = singles + [sum(v) for v in groups.values()]
    returns = sum(1 for v in singles if v < 0) + sum(
        1 for k, v in groups.items() if sum(v) < 0 or all(x < 0 for x in v) or k[0].startswith("C"))
    return reasons, len(nets), sum(nets, Decimal(0)), returns


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=25), with_orders=st.booleans())
def test_input_is_loaded_plus_merged_plus_rejected_for_any_messy_rows(rows, with_orders):
    frame = pd.DataFrame(rows, columns=["客户编号", "日期", "金额", "订单号"])
    if not with_orders:
        frame = frame.drop(columns="订单号")
    if all(not d or _date(d) is None or not 1900 <= _date(d).year <= 2100 for d in frame["日期"]):
        frame.loc[len(frame)] = ["Z", "2026-01-05", "1"] + ([None] if with_orders else [])
        rows = [*rows, ("Z", "2026-01-05", "1", None)]
    reasons, loaded, net, returns = brute_force(rows, with_orders)
    with Workspace(":memory:") as ws:
        report = ingest(frame, ws)
        n_tx, total, n_rej = ws.con.execute(
            "SELECT (SELECT count(*) FROM transactions), (SELECT sum(amount) FROM transactions), "
            "(SELECT count(*) FROM rejects)").fetchone()
        # the same rows again (another file, so another sha256): every sale is already there
        again = ingest(frame.assign(extra="copy"), ws)
        total_again = ws.con.execute("SELECT sum(amount) FROM transactions").fetchone()[0]
    assert again.loaded == again.merged == 0 and total_again == total
    repeats = {"already loaded from <table>": report.loaded + report.merged} if report.loaded else {}
    assert again.rejected_by_reason == dict(sorted({**reasons, **repeats}.items(), key=lambda kv: (-kv[1], kv[0])))
    assert report.input_rows == len(frame) == report.loaded + report.merged + report.rejected
    assert report.rejected_by_reason == dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    assert report.loaded == loaded == n_tx and n_rej == report.rejected
    assert (total or Decimal(0)) == net
    assert report.returns == returns
