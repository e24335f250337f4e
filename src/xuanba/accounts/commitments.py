"""Promises kept: a commitments ledger with statuses at an as-of date and reliability.

Statuses (each promise has exactly one) at the as-of date:

* ``kept_on_time`` — kept on or before its due date;
* ``kept_late`` — kept after its due date;
* ``broken`` — ``status`` says broken/cancelled (or 未兑现/违约/取消);
* ``overdue`` — past due, not kept, still open;
* ``open`` — not yet due, not kept.

Promises made after the as-of date are left out. A ``kept_on`` after the as-of date is ignored
(not known yet). A ``status`` of kept/done/已兑现 without a date counts as kept on time. Dates
compare by calendar day: the as-of day is included whole, and a promise kept at 18:00 on its
due day is kept on time.

Example
-------
>>> import pandas as pd
>>> c = pd.DataFrame({"customer_id": ["A", "B"], "made_on": ["2026-01-01"] * 2,
...                   "due_on": ["2026-01-10", "2026-03-01"], "kept_on": ["2026-01-09", None]})
>>> promise_ledger(c, "2026-02-01")["state"].tolist()
['kept_on_time', 'open']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xuanba._dates import day, days_between, in_window, on_or_before
from xuanba.accounts._util import dates, ids, need

STATES = ("kept_on_time", "kept_late", "broken", "overdue", "open")
_BROKEN = {"broken", "cancelled", "canceled", "failed", "未兑现", "违约", "取消", "失败", "作废"}
_KEPT = {"kept", "done", "fulfilled", "closed", "已兑现", "完成", "已完成", "兑现"}


def promise_ledger(commitments: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """Each promise with its state at ``as_of`` and days overdue.

    Returns
    -------
    DataFrame
        The commitments plus ``state`` (one of :data:`STATES`), ``days_overdue`` (days past due
        for ``overdue``, else 0) and ``days_late`` (for ``kept_late``).

    Example
    -------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["A"], "made_on": ["2026-01-01"], "due_on": ["2026-01-10"]})
    >>> promise_ledger(c, "2026-01-15")["days_overdue"].tolist()
    [5]
    """
    need(commitments, ["customer_id", "made_on", "due_on"], "commitments")
    ref = day(as_of)
    made = dates(commitments["made_on"])
    df = commitments.loc[made.isna() | on_or_before(made, ref)].copy().reset_index(drop=True)
    df["customer_id"] = ids(df["customer_id"])
    due = dates(df["due_on"]).dt.normalize()
    kept = dates(df["kept_on"]) if "kept_on" in df else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    kept = kept.where(on_or_before(kept, ref)).dt.normalize()
    status = (df["status"].astype(str).str.strip().str.lower() if "status" in df
              else pd.Series("", index=df.index))
    said_broken = status.isin(_BROKEN)
    said_kept = status.isin(_KEPT) & kept.isna()
    is_kept = kept.notna()
    state = np.select(
        [said_broken & ~is_kept,
         is_kept & (kept <= due),
         is_kept & (kept > due),
         said_kept,
         due < ref],
        ["broken", "kept_on_time", "kept_late", "kept_on_time", "overdue"],
        default="open",
    )
    df["state"] = pd.Series(state, index=df.index).astype("str")
    df["days_overdue"] = np.where(df["state"] == "overdue", days_between(ref, due), 0).astype("int64")
    df["days_late"] = np.where(df["state"] == "kept_late", days_between(kept, due), 0).astype("int64")
    return df


def reliability(
    ledger: pd.DataFrame, by: str = "rep", start: object = None, end: object = None
) -> pd.DataFrame:
    """Share of promises due in the window that were kept on time, per ``by`` group.

    Promises count when they are due on a day from ``start`` to ``end`` (both days included)
    and are due (not ``open``).
    ``reliability = kept_on_time / due``.

    Returns
    -------
    DataFrame
        ``<by>, due, kept_on_time, kept_late, broken, overdue, reliability``.

    Example
    -------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["A", "A"], "made_on": ["2026-01-01"] * 2,
    ...                   "due_on": ["2026-01-10"] * 2, "kept_on": ["2026-01-09", None]})
    >>> reliability(promise_ledger(c, "2026-02-01"), by="customer_id")["reliability"].tolist()
    [0.5]
    """
    need(ledger, [by, "state", "due_on"], "ledger")
    keep = ledger["state"] != "open"
    if start is not None or end is not None:
        keep &= in_window(dates(ledger["due_on"]), start, end)
    df = ledger.loc[keep]
    counts = pd.crosstab(df[by].astype(str), df["state"])
    for s in STATES[:-1]:
        if s not in counts:
            counts[s] = 0
    out = counts[list(STATES[:-1])].astype("int64")
    out.insert(0, "due", out.sum(axis=1).astype("int64"))
    out["reliability"] = out["kept_on_time"] / out["due"]
    out.index.name = by
    out.columns.name = None
    return out.reset_index()


def overdue_list(ledger: pd.DataFrame) -> pd.DataFrame:
    """Overdue promises, most days overdue first.

    Example
    -------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["A", "B"], "made_on": ["2026-01-01"] * 2,
    ...                   "due_on": ["2026-01-10", "2026-01-02"]})
    >>> overdue_list(promise_ledger(c, "2026-01-20"))["customer_id"].tolist()
    ['B', 'A']
    """
    od = ledger.loc[ledger["state"] == "overdue"]
    return od.sort_values(["days_overdue", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
