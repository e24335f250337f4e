"""Customer facts: published CDNOW summary, hand-checked cases, a brute-force reference."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xuanba import DataError, InputError, SchemaError, Workspace
from xuanba.cli import app
from xuanba.facts import FACT_COLUMNS, calibration_holdout, customer_facts
from xuanba.tables import read_table

CAL_END, HOLD_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def cdnow_tx(test_data) -> pd.DataFrame:
    raw = pd.read_parquet(test_data / "cdnow_sample.parquet")
    return raw[["customer_id", "timestamp", "amount"]].rename(columns={"timestamp": "ts"})


@pytest.fixture(scope="module")
def cdnow_cal(cdnow_tx) -> pd.DataFrame:
    return calibration_holdout(cdnow_tx, CAL_END, HOLD_END, time_unit="week")


def test_facts_reproduce_published_cdnow_summary(cdnow_cal, test_data):
    """Fader, Hardie & Lee (2005) CDNOW 1/10 sample, 39-week calibration to 1997-09-30:
    the published per-customer summary (frequency, recency, T in weeks, 2 decimals) exactly."""
    pub = pd.read_csv(test_data / "cdnow_customers_summary_with_transactions.csv")
    pub["customer_id"] = pub["ID"].map("{:04d}".format)
    got = cdnow_cal.merge(pub, on="customer_id", how="outer", indicator=True, suffixes=("", "_pub"))
    assert (got["_merge"] == "both").all() and len(got) == 2357
    assert (got["frequency"] == got["x"]).all()
    np.testing.assert_array_equal(got["recency"].round(2), got["t_x"])
    np.testing.assert_array_equal(got["T"].round(2), got["T_pub"])
    # zbar is published to 2 decimals: mean of the day-summed repeat purchases.
    assert (got["monetary_value"] - got["zbar"]).abs().max() <= 0.005 + 1e-9
    assert (cdnow_cal["frequency"] == 0).sum() == 1411
    assert cdnow_cal["frequency"].sum() == 2457


def test_calibration_holdout_narrowed_to_columns_is_the_same_frame(cdnow_tx, cdnow_cal):
    """``columns=`` (what a model check reads) gives those columns of the full frame, row for row,
    and an unknown name is a clear error, not a silent drop."""
    cols = ["frequency_holdout", "frequency", "recency", "T", "duration_holdout"]
    narrow = calibration_holdout(cdnow_tx, CAL_END, HOLD_END, time_unit="week", columns=cols)
    assert list(narrow.columns) == ["customer_id", *cols]
    pd.testing.assert_frame_equal(narrow, cdnow_cal[["customer_id", *cols]])
    with pytest.raises(InputError, match="no calibration column named 'rfm'"):
        calibration_holdout(cdnow_tx, CAL_END, HOLD_END, columns=["frequency", "rfm"])


def test_facts_narrowed_to_columns_are_the_same_facts(cdnow_tx):
    """``columns=`` computes only those facts, equal to the same columns of all of them."""
    full = customer_facts(cdnow_tx, "1998-03-31")
    cols = ["rfm_score", "frequency", "recency", "T", "revenue_365d", "last_purchase"]
    narrow = customer_facts(cdnow_tx, "1998-03-31", columns=cols)
    pd.testing.assert_frame_equal(narrow, full[["customer_id", *cols]])
    with pytest.raises(InputError, match="no fact named 'clv_1y'"):
        customer_facts(cdnow_tx, "1998-03-31", columns=["clv_1y"])


def test_holdout_counts_match_published_totals(cdnow_cal):
    """Same paper: 1,882 repeat transactions in weeks 40-78; 4,339 cumulative by week 78."""
    assert cdnow_cal["frequency_holdout"].sum() == 1882
    assert cdnow_cal["frequency"].sum() + cdnow_cal["frequency_holdout"].sum() == 4339
    assert (cdnow_cal["duration_holdout"] == 39.0).all()
    # Mean holdout purchases of the x = 0 and x = 1 groups, as published (0.237, 0.697).
    by_x = cdnow_cal.groupby("frequency")["frequency_holdout"].mean()
    assert by_x[0] == pytest.approx(0.237, abs=5e-4)
    assert by_x[1] == pytest.approx(0.697, abs=5e-4)


def test_day_facts_are_week_facts_times_seven(cdnow_tx):
    days = customer_facts(cdnow_tx, CAL_END, time_unit="day")
    weeks = customer_facts(cdnow_tx, CAL_END, time_unit="week")
    np.testing.assert_allclose(days["T"], weeks["T"] * 7)
    np.testing.assert_allclose(days["recency"], weeks["recency"] * 7)
    assert (days["frequency"] == weeks["frequency"]).all()


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "ts", "amount", "cost", "is_return"]).assign(
        ts=lambda d: pd.to_datetime(d["ts"], format="ISO8601")
    )


def test_hand_checked_case_with_returns_windows_and_margin():
    tx = _tx(
        [
            ("a", "2025-01-10 09:00", 100.0, 60.0, False),
            ("a", "2025-01-10 17:00", 50.0, 30.0, False),  # same day: merged into one occasion
            ("a", "2026-03-01", 80.0, 50.0, False),
            ("a", "2026-03-05", -30.0, -18.0, True),  # a return: nets revenue, not a purchase
            ("a", "2026-06-20", 40.0, None, False),  # no cost known for this line
            ("b", "2026-06-29", 10.0, 4.0, False),
            ("c", "2026-07-15", 99.0, 1.0, False),  # after the cutoff: ignored
        ]
    )
    f = customer_facts(tx, "2026-06-30", time_unit="day").set_index("customer_id")
    assert list(f.columns) == list(FACT_COLUMNS[1:])
    assert "c" not in f.index
    a = f.loc["a"]
    assert a["frequency"] == 2  # 3 purchase days
    assert a["recency"] == (dt.date(2026, 6, 20) - dt.date(2025, 1, 10)).days
    assert a["T"] == (dt.date(2026, 6, 30) - dt.date(2025, 1, 10)).days
    assert a["monetary_value"] == pytest.approx((80 + 40) / 2)
    assert a["orders"] == 4
    assert a["revenue_total"] == pytest.approx(240.0)
    assert a["revenue_90d"] == pytest.approx(40.0)  # 2026-04-01 .. 2026-06-30
    assert a["revenue_365d"] == pytest.approx(90.0)  # 80 - 30 + 40
    assert a["revenue_prev_365d"] == pytest.approx(150.0)
    assert a["growth_365d"] == pytest.approx(90 / 150 - 1)
    assert a["margin_365d"] == pytest.approx((80 - 50) + (-30 + 18))  # costed lines only
    assert a["days_since_last"] == 10 and a["tenure_days"] == a["T"]
    b = f.loc["b"]
    assert b["frequency"] == 0 and b["monetary_value"] == 0.0 and b["recency"] == 0.0
    assert np.isnan(b["growth_365d"])
    assert b["margin_90d"] == pytest.approx(6.0)


def test_rfm_ties_share_a_score_and_recent_is_high():
    tx = _tx(
        [(f"c{i}", f"2026-06-{i + 1:02d}", 10.0, None, False) for i in range(10)]
        + [("c9", "2026-06-10", 5.0, None, False), ("c8", "2026-06-09", 5.0, None, False)]
    )
    f = customer_facts(tx, "2026-06-30").set_index("customer_id")
    assert f.loc["c9", "rfm_r"] == 5 and f.loc["c0", "rfm_r"] == 1
    # c0..c7 all have one order: a tie, so one F score; c8, c9 share the top one.
    assert f.loc[[f"c{i}" for i in range(8)], "rfm_f"].nunique() == 1
    assert f.loc["c8", "rfm_f"] == f.loc["c9", "rfm_f"] > f.loc["c0", "rfm_f"]
    assert f["rfm_score"].str.len().eq(3).all()
    assert margin_is_null(f)


def margin_is_null(f: pd.DataFrame) -> bool:
    return bool(f["margin_365d"].isna().all())


def test_merge_per_period_counts_one_occasion_per_week():
    tx = _tx(
        [
            ("a", "2026-06-03", 1.0, None, False),
            ("a", "2026-06-05", 1.0, None, False),  # same week (counted back from the cutoff)
            ("a", "2026-06-20", 1.0, None, False),
        ]
    )
    per_day = customer_facts(tx, "2026-06-30", merge="day")
    per_week = customer_facts(tx, "2026-06-30", merge="period")
    assert per_day.loc[0, "frequency"] == 2 and per_week.loc[0, "frequency"] == 1


def _reference(tx: pd.DataFrame, cutoff: dt.date) -> pd.DataFrame:
    """Brute force, one customer at a time, in plain Python."""
    rows = []
    for cid, g in tx.groupby("customer_id"):
        g = g[g["ts"].dt.date <= cutoff]
        if g.empty:
            continue
        spend_by_day: dict[dt.date, float] = {}
        for ts, amount in zip(g["ts"], g["amount"], strict=True):
            spend_by_day[ts.date()] = spend_by_day.get(ts.date(), 0.0) + amount
        days = sorted(spend_by_day)
        repeat = [spend_by_day[d] for d in days[1:]]
        rows.append(
            {
                "customer_id": cid,
                "frequency": len(days) - 1,
                "recency": (days[-1] - days[0]).days / 7,
                "T": (cutoff - days[0]).days / 7,
                "monetary_value": sum(repeat) / len(repeat) if repeat else 0.0,
                "revenue_total": float(g["amount"].sum()),
            }
        )
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def days_from_new_year(last: int, *edges: int) -> st.SearchStrategy[int]:
    """Days 0..``last`` after 2026-01-01, the days on either side of each date in ``edges`` (the
    cutoff, the calibration end) as often as all the others: drawn from the whole range alone,
    a purchase on such a day was rare (moving the calibration end's day into the holdout went
    unseen by 60 examples)."""
    near = sorted({d + k for d in edges for k in (-1, 0, 1)})
    return st.one_of(st.sampled_from(near), st.integers(0, last))


tx_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "007", "客户1"]),
        days_from_new_year(60, 45),  # the cutoff, 2026-02-15, is day 45
        st.integers(0, 23),
        st.integers(1, 10_000).map(lambda c: c / 100),
    ),
    min_size=1,
    max_size=40,
)


def cases(rows: st.SearchStrategy[list[tuple]]) -> st.SearchStrategy[list[tuple]]:
    """One to four independent draws of ``rows`` as one table (a query costs about the same at 4
    rows as at 160): draw ``k`` > 0 renames its customers ``<id>#k`` (draw 0 keeps the hostile
    names as they are), so each facts query checks up to four cases. Sound for the checks that
    compare each customer's facts, which read that customer's rows alone; hypothesis shrinks a
    failure to one draw."""
    return st.lists(rows, min_size=1, max_size=4).map(
        lambda draws: [(r[0] if k == 0 else f"{r[0]}#{k}", *r[1:]) for k, d in enumerate(draws) for r in d])


@settings(max_examples=20, deadline=None)
@given(rows=cases(tx_rows), seed=st.integers(0, 2**16))
@example(rows=[("客户1", 50, 3, 1.5), ("007", 46, 0, 2.0)], seed=0)  # every row after the cutoff
def test_facts_match_brute_force_and_ignore_row_order(rows, seed):
    base = dt.datetime(2026, 1, 1)
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ts": [base + dt.timedelta(days=r[1], hours=r[2]) for r in rows],
            "amount": [r[3] for r in rows],
        }
    )
    cutoff = dt.date(2026, 2, 15)
    expected = _reference(tx, cutoff)
    shuffled = tx.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if expected.empty:
        with pytest.raises(DataError):
            customer_facts(shuffled, cutoff)
        return
    got = customer_facts(shuffled, cutoff)[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


check_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "007", "客户1"]),
        days_from_new_year(80, 40, 73),  # before, on and after the calibration end (day 40) and the cutoff (day 73)
        st.integers(0, 23),
        st.integers(-5_000, 10_000).map(lambda c: c / 100),
        st.booleans(),  # a return line: a day of returns only is no purchase occasion
    ),
    min_size=1,
    max_size=40,
)


#: Whole-table cases of ``check_rows`` that several draws in one table rarely meet, run every time:
#: nothing by the calibration end (day 40), returns only by then, nothing by the cutoff (day 73).
CHECK_EDGES = [
    [("a", 41, 0, 1.0, False), ("客户1", 60, 5, -2.0, True)],
    [("007", 3, 0, -1.0, True), ("007", 3, 9, 4.0, True), ("b", 50, 0, 2.0, False), ("b", 70, 1, 3.0, False)],
    [("a", 75, 0, 1.0, False), ("b", 80, 23, -1.0, True)],
]


def check_edges(test):
    """``test`` with each of :data:`CHECK_EDGES` as an explicit example (one per unit)."""
    for rows, unit in zip(CHECK_EDGES, ("day", "week", "month"), strict=True):
        test = example(rows=rows, unit=unit)(test)
    return test


def _check_tx(rows: list[tuple]) -> pd.DataFrame:
    """Transactions from ``check_rows``' tuples (customer, day, hour, amount, is_return) from 2026-01-01."""
    base = dt.datetime(2026, 1, 1)
    return pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "ts": [base + dt.timedelta(days=r[1], hours=r[2]) for r in rows],
        "amount": [r[3] for r in rows],
        "is_return": [r[4] for r in rows],
    })


@settings(max_examples=25, deadline=None)
@given(rows=cases(check_rows), unit=st.sampled_from(["day", "week", "month"]))
@check_edges
def test_model_check_columns_come_from_one_narrow_query_equal_to_the_full_facts(rows, unit):
    """What a model check reads (the history at the calibration end and the holdout count) comes
    from ``history_holdout_expr``, one aggregate over the purchase days; it must equal those
    columns of the full calibration facts row for row, with returns, several lines a day, days of
    returns only, customers first seen in the holdout and spend of any sign."""
    from xuanba.facts.expressions import HISTORY_HOLDOUT_COLUMNS

    tx = _check_tx(rows)
    cal, hold = dt.date(2026, 2, 10), dt.date(2026, 3, 15)
    if tx["ts"].dt.date.min() > cal:
        with pytest.raises(DataError):
            calibration_holdout(tx, cal, hold, columns=HISTORY_HOLDOUT_COLUMNS)
        return
    cols = list(HISTORY_HOLDOUT_COLUMNS)
    narrow = calibration_holdout(tx, cal, hold, time_unit=unit, columns=cols)
    full = calibration_holdout(tx, cal, hold, time_unit=unit)
    pd.testing.assert_frame_equal(narrow, full[["customer_id", *cols]])
    # and by hand: a purchase day is a day with a line that is not a return
    buys = tx.loc[~tx["is_return"]].assign(day=lambda d: d["ts"].dt.date)
    for cid, g in buys.groupby("customer_id"):
        days = sorted(set(g["day"]))
        cal_days = [d for d in days if d <= cal]
        row = narrow.loc[narrow["customer_id"] == cid]
        if not cal_days:
            assert row.empty
            continue
        assert int(row["frequency"].iloc[0]) == len(cal_days) - 1
        assert int(row["frequency_holdout"].iloc[0]) == sum(cal < d <= hold for d in days)


@settings(max_examples=25, deadline=None)
@given(rows=cases(check_rows), unit=st.sampled_from(["day", "week", "month"]))
@check_edges
def test_facts_and_the_check_year_from_one_pass_equal_the_two_queries(rows, unit):
    """A round reads its facts and its model check's calibration table in one pass
    (``facts_and_holdout``): the two frames must equal ``customer_facts`` at the cutoff and
    ``calibration_holdout`` from the calibration end to the cutoff, row for row and type for type,
    with returns, days of returns only, several lines a day, spend of any sign, customers first
    seen after the calibration end (not in the check) and none seen before it (an empty check)."""
    from xuanba.facts import facts_and_holdout
    from xuanba.models.evaluate import CALIBRATION_COLUMNS

    tx = _check_tx(rows)
    cal, cut = dt.date(2026, 2, 10), dt.date(2026, 3, 15)
    if tx["ts"].dt.date.min() > cut:
        with pytest.raises(DataError, match="no transaction on or before the cutoff"):
            facts_and_holdout(tx, cut, cal, time_unit=unit)
        return
    facts, check = facts_and_holdout(tx, cut, cal, time_unit=unit)
    pd.testing.assert_frame_equal(facts, customer_facts(tx, cut, time_unit=unit))
    if not (tx.loc[~tx["is_return"], "ts"].dt.date <= cal).any():  # nobody bought by the calibration end
        assert check.empty and list(check.columns) == ["customer_id", *CALIBRATION_COLUMNS]
        return
    want = calibration_holdout(tx, cal, cut, time_unit=unit, columns=list(CALIBRATION_COLUMNS))
    pd.testing.assert_frame_equal(check, want)


def test_facts_and_the_check_year_need_a_calibration_end_before_the_cutoff(cdnow_tx):
    from xuanba.facts import facts_and_holdout

    with pytest.raises(DataError, match="not after the calibration end"):
        facts_and_holdout(cdnow_tx, "1997-09-30", "1997-09-30")
    facts, check = facts_and_holdout(cdnow_tx, HOLD_END, CAL_END)  # the published split, at once
    pd.testing.assert_frame_equal(check, calibration_holdout(cdnow_tx, CAL_END, HOLD_END)[list(check.columns)])
    assert len(check) == 2357 and len(facts) == 2357


def test_missing_column_and_early_cutoff_are_clear_errors():
    with pytest.raises(SchemaError, match="lacks \\['amount'\\]"):
        customer_facts(pd.DataFrame({"customer_id": ["a"], "ts": ["2026-01-01"]}), "2026-02-01")
    tx = _tx([("a", "2026-03-01", 1.0, None, False)])
    with pytest.raises(DataError, match="no transaction on or before the cutoff"):
        customer_facts(tx, "2026-01-01")
    with pytest.raises(DataError, match="not after the calibration end"):
        calibration_holdout(tx, "2026-03-01", "2026-02-01")


def _workspace_with(tx: pd.DataFrame, path) -> None:
    with Workspace(path) as ws, ws.transaction() as con:
        con.register("frame", tx)
        con.execute("CREATE TABLE transactions AS SELECT * FROM frame")


def test_cli_facts_calibration_holdout_json_and_out(cdnow_tx, tmp_path):
    ws_path = tmp_path / "ws.duckdb"
    _workspace_with(cdnow_tx, ws_path)
    out = tmp_path / "facts.parquet"
    result = CliRunner().invoke(
        app,
        ["facts", "--calibration-end", CAL_END, "--holdout-end", HOLD_END,
         "--workspace", str(ws_path), "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["customers"] == 2357
    assert summary["repeat_purchases"] == 2457
    assert summary["holdout_purchases"] == 1882
    written = pd.read_parquet(out)
    assert len(written) == 2357 and "frequency_holdout" in written.columns
    with Workspace(ws_path) as ws:
        assert ws.sql("SELECT count(*) AS n FROM facts")["n"].iloc[0] == 2357


def test_cli_facts_bad_input_exits_cleanly(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["facts", "--workspace", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 5 and "workspace file not found" in missing.output
    _workspace_with(_tx([("a", "2026-03-01", 1.0, None, False)]), tmp_path / "w.duckdb")
    bad_date = runner.invoke(app, ["facts", "--cutoff", "30/06/2026", "--workspace", str(tmp_path / "w.duckdb")])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    early = runner.invoke(app, ["facts", "--cutoff", "2020-01-01", "--workspace", str(tmp_path / "w.duckdb")])
    assert early.exit_code == 3 and "Traceback" not in early.output
    for ext in ("csv", "xlsx"):
        ok = runner.invoke(
            app, ["facts", "--workspace", str(tmp_path / "w.duckdb"), "--out", str(tmp_path / f"f.{ext}")]
        )
        assert ok.exit_code == 0, ok.output
    assert read_table(tmp_path / "f.xlsx")["customer_id"].tolist() == ["a"]
    assert (tmp_path / "f.csv").read_bytes().startswith(b"\xef\xbb\xbf")


from xuanba.facts.expressions import with_rfm as customer_rfm  # noqa: E402


def _rfm_oracle(values: pd.Series) -> pd.Series:
    """The quintile as SQL's ``percent_rank`` gives it, by pandas' rank: (rank of the lowest tie
    - 1) / (n - 1), missing values ranked last and tied, then ``min(5, 1 + floor(5 * rank))``."""
    n = len(values)
    rank = values.rank(method="min", na_option="keep")
    rank[values.isna()] = values.notna().sum() + 1
    pr = (rank - 1.0) / float(n - 1) if n > 1 else rank * 0.0
    return np.minimum(np.floor(pr * 5.0).astype("int64") + 1, 5)


rfm_rows = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 6),
              st.one_of(st.sampled_from([0.0, -0.0, 1.5, 2.0, 1e-7]), st.none(),
                        st.floats(-50, 50, allow_nan=False, allow_subnormal=False))),
    min_size=1, max_size=60,
)


@pytest.fixture(scope="module")
def rfm_sql():
    """A DuckDB connection and the SQL of ``with_rfm`` over its table ``t`` (customer_id,
    days_since_last, orders, revenue_total), compiled once: the query does not depend on the
    rows, only on the table's columns and types, so each example runs the same SQL on its own
    rows (Ibis building and compiling it was most of an example's time)."""
    import ibis

    from xuanba.facts.expressions import with_rfm

    con = ibis.duckdb.connect()
    t = ibis.table({"customer_id": "string", "days_since_last": "int64", "orders": "int64",
                    "revenue_total": "float64"}, name="t")
    yield _Compiled(con.con, ibis.to_sql(with_rfm(t).order_by("customer_id"), dialect="duckdb"))
    con.disconnect()


class _Compiled(tuple):
    """(connection, SQL), shown short in a failing example's report."""

    def __new__(cls, con, sql: str):  # noqa: ANN001, ANN204
        return super().__new__(cls, (con, sql))

    def __repr__(self) -> str:
        return "<with_rfm compiled for table t>"


@settings(max_examples=60, deadline=None)
@given(rows=rfm_rows)
def test_rfm_from_cuts_equals_the_percent_rank_quintile(rfm_sql, rows):
    """with_rfm (counts per distinct value, no window over the customers) scores every row as
    SQL's percent_rank quintile does: by pandas' rank, and by DuckDB's own percent_rank window
    (the way the facts computed them before), ties, missing values and -0.0 included."""
    import pyarrow as pa

    con, sql = rfm_sql
    frame = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(len(rows))],
                          "days_since_last": [r[0] for r in rows], "orders": [r[1] for r in rows],
                          "revenue_total": pd.array([r[2] for r in rows], dtype="Float64").astype("float64")})
    con.register("_rows", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM _rows")
    con.unregister("_rows")
    got = con.execute(sql).arrow().read_all().to_pandas()
    assert got["rfm_r"].tolist() == _rfm_oracle(-frame["days_since_last"]).tolist()
    assert got["rfm_f"].tolist() == _rfm_oracle(frame["orders"]).tolist()
    assert got["rfm_m"].tolist() == _rfm_oracle(frame["revenue_total"]).tolist()
    window = con.execute(
        "SELECT customer_id, "
        + ", ".join(f"least(CAST(floor(percent_rank() OVER (ORDER BY {v}) * 5) AS BIGINT) + 1, 5) AS {name}"
                    for name, v in (("r", "-days_since_last"), ("f", "orders"), ("m", "revenue_total")))
        + " FROM t ORDER BY customer_id").df()
    assert got["rfm_r"].tolist() == window["r"].tolist()
    assert got["rfm_f"].tolist() == window["f"].tolist()
    assert got["rfm_m"].tolist() == window["m"].tolist()
    assert (got["rfm_score"] == got["rfm_r"].astype(str) + got["rfm_f"].astype(str) + got["rfm_m"].astype(str)).all()


def test_facts_in_two_steps_equal_the_one_query(cdnow_tx, monkeypatch):
    """On DuckDB the facts run in two steps (the facts, then their RFM scores from them); the one
    query that Spark runs gives the same frame, for the facts and for the calibration table."""
    from xuanba.facts import compiled, compute
    from xuanba.facts.compute import _execute, transactions_table
    from xuanba.facts.expressions import customer_facts_expr, holdout_expr

    monkeypatch.setattr(compiled, "ENABLED", False)  # every query built, so that the spy sees each
    tx = transactions_table(cdnow_tx)
    one = _execute(customer_facts_expr(tx, dt.date(1998, 3, 31)), cdnow_tx)
    second_steps: list[list[str]] = []  # the tables the scores were computed from, apart
    monkeypatch.setattr(compute, "with_rfm", lambda t: second_steps.append(t.columns) or customer_rfm(t))
    pd.testing.assert_frame_equal(customer_facts(cdnow_tx, "1998-03-31"), one)
    assert second_steps == [("customer_id", "days_since_last", "orders", "revenue_total")]
    assert one["rfm_score"].nunique() > 20
    cal = _execute(holdout_expr(tx, dt.date(1997, 9, 30), dt.date(1998, 6, 30)), cdnow_tx)
    pd.testing.assert_frame_equal(calibration_holdout(cdnow_tx, CAL_END, HOLD_END), cal)
    narrow = customer_facts(cdnow_tx, "1998-03-31", columns=["rfm_m", "orders", "rfm_r"])
    pd.testing.assert_frame_equal(narrow, one[["customer_id", "rfm_m", "orders", "rfm_r"]])
    assert len(second_steps) == 3


def test_facts_without_their_rfm_scores_do_not_compute_the_cuts(cdnow_tx, monkeypatch):
    """A narrow read without the scores (a model check, a backtest) runs the facts alone: the
    cuts' cross join is not in its query (an engine does not drop it by itself, and it would
    compute the facts three more times)."""
    from xuanba.facts import compiled, compute

    seen: list[str] = []
    run = compiled.run  # every query of the facts on DuckDB goes through it

    def spy(query, values, backend, batch_rows):  # noqa: ANN001, ANN202
        seen.append(query.sql)
        return run(query, values, backend, batch_rows)

    monkeypatch.setattr(compiled, "run", spy)
    calibration_holdout(cdnow_tx, CAL_END, HOLD_END, columns=["frequency", "T"])
    customer_facts(cdnow_tx, "1998-03-31", columns=["orders"])
    assert len(seen) == 4 and not any("CROSS JOIN" in q.upper() for q in seen)  # two cutoff checks, two facts
    import ibis

    one = compute.customer_facts_expr(compute.transactions_table(cdnow_tx), "1998-03-31")
    assert "CROSS JOIN" in ibis.to_sql(one, dialect="duckdb").upper()  # the one query with the scores has it


def test_the_two_step_facts_leave_nothing_registered_on_the_workspace(cdnow_tx):
    """The facts' Arrow result that the second step reads is unregistered after it (an ibis
    memtable stays registered, holding the facts' buffers, until Python exits)."""
    from xuanba.ingest import ingest

    with Workspace(":memory:") as ws:
        ingest(cdnow_tx, ws)
        views = "SELECT count(*) FROM duckdb_views() WHERE NOT internal"
        before = ws.con.execute(views).fetchone()[0]
        assert customer_facts(ws, "1998-03-31")["rfm_score"].notna().all()
        assert ws.con.execute(views).fetchone()[0] == before


@pytest.mark.parametrize("order", ["nulls_first", "nulls_first_on_asc_last_on_desc"])
def test_rfm_on_a_connection_that_sorts_missing_values_first_equals_the_default_ones(order):
    """A DuckDB connection of the user's with ``SET default_null_order`` putting missing values
    first: each RFM score is still the percent-rank quintile with missing values last, as on
    DuckDB's own setting (3ae5fe9's cuts counted the missing values below every value there)."""
    import ibis
    import pyarrow as pa

    rng = np.random.default_rng(11)
    n = 80
    revenue = rng.normal(100, 30, n).round(1)
    revenue[rng.random(n) < 0.3] = np.nan
    since = rng.integers(0, 50, n).astype(float)
    since[rng.random(n) < 0.2] = np.nan
    frame = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(n)], "days_since_last": since,
                          "orders": rng.integers(1, 6, n), "revenue_total": revenue})
    got = {}
    for setting in (None, order):
        con = ibis.duckdb.connect()
        table = con.create_table("t", pa.Table.from_pandas(frame, preserve_index=False))
        if setting:
            con.raw_sql(f"SET default_null_order = '{setting}'")
        got[setting] = con.to_pyarrow(customer_rfm(table).order_by("customer_id")).to_pandas()
    assert got[order]["rfm_r"].tolist() == _rfm_oracle(-frame["days_since_last"]).tolist()
    assert got[order]["rfm_m"].tolist() == _rfm_oracle(frame["revenue_total"]).tolist()
    pd.testing.assert_frame_equal(got[order], got[None])
