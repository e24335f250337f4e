"""Account work: hand-checked cases and property tests (issue 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xuanba.accounts import (
    account_fields,
    ageing,
    assign_bands,
    cost_to_serve,
    customer_profit,
    keep_warm,
    match_resources,
    overdue_list,
    owner_concentration,
    personas,
    promise_ledger,
    read_side_table,
    receivables_summary,
    reliability,
    sheet_markdown,
    single_threaded,
    size_bands,
    volume_without_profit,
    whale_curve,
    whale_peak,
)
from xuanba.demo.accounts_demo import make_side_tables
from xuanba.errors import DataError, SchemaError

# ---------------------------------------------------------------- profit


def test_cost_to_serve_by_hand_cost_given_else_minutes_times_rate():
    it = pd.DataFrame({
        "customer_id": ["A", "A", "B", "B"],
        "ts": ["2026-01-01"] * 4,
        "kind": ["call", "visit", "meeting", "lunch"],
        "minutes": [10, 90, 30, 10],
        "cost": [None, 40.0, None, None],
    })
    out = cost_to_serve(it, rates={"meeting": 2.5}).set_index("customer_id")
    # A: call 10 min x 1.0 + visit with its own cost 40 = 50; B: 30 x 2.5 + 10 x default 1.0 = 85
    assert out.loc["A", "cost_to_serve"] == pytest.approx(50.0)
    assert out.loc["B", "cost_to_serve"] == pytest.approx(85.0)
    assert out.loc["A", "interactions"] == 2


def test_whale_curve_by_hand_peaks_at_200_percent():
    p = pd.DataFrame({"customer_id": list("ABCDE"), "profit": [30.0, -20.0, 50.0, 20.0, -30.0]})
    c = whale_curve(p)
    assert c["customer_id"].tolist() == ["C", "A", "D", "B", "E"]
    assert c["profit_pct"].tolist() == pytest.approx([100.0, 160.0, 200.0, 160.0, 100.0])
    peak = whale_peak(c)
    assert peak["customers"] == 3
    assert peak["customer_pct"] == pytest.approx(60.0)
    assert peak["profit_pct"] == pytest.approx(200.0)
    assert peak["sentence"] == "the top 60.0 % of customers earn 200.0 % of profit"


def test_whale_curve_refuses_non_positive_total():
    with pytest.raises(DataError, match="positive total"):
        whale_curve(pd.DataFrame({"customer_id": ["A", "B"], "profit": [5.0, -5.0]}))


def _ten_customers() -> pd.DataFrame:
    tx = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(10)],
        "ts": ["2026-01-01"] * 10,
        "amount": [1000.0, 500.0, 400.0, 100, 90, 80, 70, 60, 50, 40],
        "cost": [950.0, 300.0, 200.0, 50, 45, 40, 35, 30, 25, 20],
    })
    it = pd.DataFrame({"customer_id": ["C0", "C1"], "ts": ["2026-01-02"] * 2, "kind": ["visit"] * 2,
                       "cost": [100.0, 20.0]})
    return customer_profit(tx, it)


def test_size_bands_by_hand_big_account_volume_without_profit():
    prof = _ten_customers()
    bands = size_bands(prof, (10, 30))
    assert bands["band"].tolist() == ["top 10%", "next 20% (10-30%)", "rest (30-100%)"]
    assert bands["customers"].tolist() == [1, 2, 7]
    # top: 1000 - 950 - 100 = -50; next: 900 - 500 - 20 = 380; rest: 490 - 245 = 245
    assert bands["profit"].tolist() == pytest.approx([-50.0, 380.0, 245.0])
    assert bands["margin"].tolist() == pytest.approx([-0.05, 380 / 900, 0.5])
    assert bands["revenue_share"].sum() == pytest.approx(1.0)
    vwp = volume_without_profit(prof, (10, 30), min_margin=0.05)
    assert vwp["customer_id"].tolist() == ["C0"]


def test_assign_bands_top_band_holds_at_least_one_customer():
    p = pd.DataFrame({"customer_id": list("ABC"), "revenue": [3.0, 2.0, 1.0]})
    assert assign_bands(p, (1, 10)).astype(str).tolist() == ["top 1%", "rest (10-100%)", "rest (10-100%)"]


money = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 6), money, money), min_size=1, max_size=30),
       st.lists(st.tuples(st.integers(0, 8), st.sampled_from(["call", "visit", "x"]),
                          st.integers(0, 120)), max_size=20))
def test_profit_per_customer_sums_to_total(rows, acts):
    tx = pd.DataFrame({"customer_id": [f"c{r[0]}" for r in rows], "ts": "2026-01-01",
                       "amount": [r[1] for r in rows], "cost": [r[2] for r in rows]})
    it = pd.DataFrame({"customer_id": [f"c{a[0]}" for a in acts], "ts": "2026-01-01",
                       "kind": [a[1] for a in acts], "minutes": [a[2] for a in acts]})
    prof = customer_profit(tx, it)
    total_cts = cost_to_serve(it)["cost_to_serve"].sum() if len(it) else 0.0
    expected = tx["amount"].sum() - tx["cost"].sum() - total_cts
    assert prof["profit"].sum() == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert prof["customer_id"].is_unique
    if prof["profit"].sum() > 1e-6:
        c = whale_curve(prof)
        assert c["profit_pct"].iloc[-1] == pytest.approx(100.0)
        assert whale_peak(c)["profit_pct"] >= 100.0 - 1e-9
        bands = size_bands(prof, (1, 10))
        assert bands["profit"].sum() == pytest.approx(prof["profit"].sum(), abs=1e-6)


# ---------------------------------------------------------------- promises


def _promises() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "rep": ["X", "X", "X", "Y", "Y", "Z", "Y", "Y"],
        "made_on": ["2026-01-01"] * 6 + ["2026-03-10", "2026-01-01"],
        "due_on": ["2026-01-10", "2026-01-10", "2026-01-10", "2026-02-01", "2026-04-01",
                   "2026-02-20", "2026-03-20", "2026-02-01"],
        "kept_on": ["2026-01-09", "2026-01-15", None, None, None, "2026-03-05", None, None],
        "status": ["", "", "取消", "", "", "", "", "已兑现"],
    })


def test_ledger_every_status_by_hand():
    led = promise_ledger(_promises(), "2026-03-01")
    # the promise made 2026-03-10 is after the as-of date and left out
    assert len(led) == 7
    assert led["state"].tolist() == ["kept_on_time", "kept_late", "broken", "overdue", "open",
                                     "overdue", "kept_on_time"]
    assert led["days_overdue"].tolist() == [0, 0, 0, 28, 0, 9, 0]
    assert led["days_late"].tolist() == [0, 5, 0, 0, 0, 0, 0]
    od = overdue_list(led)
    assert od["days_overdue"].tolist() == [28, 9]
    rel = reliability(led, by="rep").set_index("rep")
    assert rel.loc["X", "due"] == 3 and rel.loc["X", "reliability"] == pytest.approx(1 / 3)
    assert rel.loc["Y", "due"] == 2 and rel.loc["Y", "reliability"] == pytest.approx(0.5)
    assert rel.loc["Z", "reliability"] == 0.0


dates_st = st.dates(min_value=pd.Timestamp("2025-01-01").date(), max_value=pd.Timestamp("2026-12-31").date())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(dates_st, st.integers(0, 60), st.one_of(st.none(), st.integers(-30, 90)),
                          st.sampled_from(["", "取消", "已兑现", "open"])), min_size=1, max_size=25),
       dates_st)
def test_ledger_states_partition_the_promises(rows, as_of):
    made = pd.to_datetime([r[0] for r in rows])
    due = made + pd.to_timedelta([r[1] for r in rows], unit="D")
    kept = [None if r[2] is None else d + pd.Timedelta(days=r[2]) for r, d in zip(rows, due, strict=True)]
    c = pd.DataFrame({"customer_id": "A", "made_on": made, "due_on": due, "kept_on": kept,
                      "status": [r[3] for r in rows], "rep": "X"})
    led = promise_ledger(c, as_of)
    assert len(led) == int((made <= pd.Timestamp(as_of)).sum())
    assert led["state"].isin(["kept_on_time", "kept_late", "broken", "overdue", "open"]).all()
    if len(led):
        rel = reliability(led, by="rep")
        assert int(rel["due"].sum()) == int((led["state"] != "open").sum())


# ---------------------------------------------------------------- receivables


def _invoices() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "C", "C", "C", "D", "D"],
        "ts": ["2026-06-10", "2026-05-16", "2026-04-20", "2026-03-11", "2025-12-01", "2026-01-30",
               "2026-01-30", "2026-05-01", "2026-04-01"],
        "amount": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 50.0, 60.0],
        "due_on": ["2026-07-10", "2026-06-15", "2026-05-20", "2026-04-10", "2026-01-01",
                   "2026-03-01", "2026-03-01", "2026-05-31", "2026-05-01"],
        "paid_on": [None, None, None, None, None, "2026-02-20", "2026-07-05", None, None],
    })


def test_ageing_table_by_hand():
    age = ageing(_invoices(), "2026-06-30").set_index("customer_id")
    # A: 100 current, 200 15 days late; B: 300 41 days, 400 81 days; C: 500 180 days and 700
    # paid after the as-of date (121 days); D: 50 exactly 30 days, 60 exactly 60 days
    assert age.loc["A", ["current", "1-30"]].tolist() == [100.0, 200.0]
    assert age.loc["B", ["31-60", "61-90"]].tolist() == [300.0, 400.0]
    assert age.loc["C", "90+"] == 1200.0
    assert age.loc["D", ["1-30", "31-60"]].tolist() == [50.0, 60.0]
    assert age.loc["TOTAL"].tolist() == [100.0, 250.0, 360.0, 400.0, 1200.0, 2310.0]
    s = receivables_summary(_invoices(), "2026-06-30").set_index("customer_id")
    assert s.loc["C", "payment_punctuality"] == pytest.approx(1 / 3)
    assert s.loc["A", "payment_punctuality"] == 0.0  # only the 15-days-late invoice is judged
    assert s.loc["C", "collected"] == 600.0
    assert s.loc["A", "overdue_receivables"] == 200.0
    assert s["invoiced"].sum() == pytest.approx(s["collected"].sum() + s["open_balance"].sum())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), dates_st, st.integers(0, 90), money,
                          st.one_of(st.none(), st.integers(0, 200))), min_size=1, max_size=30),
       dates_st)
def test_ageing_buckets_sum_to_open_balance(rows, as_of):
    assume(any(r[4] is not None for r in rows))  # no payment date at all = no payment data
    ts = pd.to_datetime([r[1] for r in rows])
    tx = pd.DataFrame({
        "customer_id": [f"c{r[0]}" for r in rows], "ts": ts,
        "due_on": ts + pd.to_timedelta([r[2] for r in rows], unit="D"),
        "amount": [r[3] for r in rows],
        "paid_on": [None if r[4] is None else t + pd.Timedelta(days=r[4]) for r, t in zip(rows, ts, strict=True)],
    })
    age = ageing(tx, as_of)
    buckets = age[["current", "1-30", "31-60", "61-90", "90+"]].sum(axis=1)
    assert np.allclose(buckets, age["open_balance"])
    s = receivables_summary(tx, as_of)
    assert age["open_balance"].iloc[-1] == pytest.approx(s["open_balance"].sum(), abs=1e-6)
    assert ((s["payment_punctuality"].dropna() >= 0) & (s["payment_punctuality"].dropna() <= 1)).all()


# ---------------------------------------------------------------- keep warm, owners, resources


def test_keep_warm_skips_recent_buyers_contacted_and_open_promises():
    tx = pd.DataFrame({"customer_id": list("ABCDE"), "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
                       "ts": ["2025-01-01", "2025-01-01", "2025-01-01", "2026-05-01", "2025-02-01"]})
    it = pd.DataFrame({"customer_id": ["B", "C"], "ts": ["2026-05-20", "2025-06-01"]})
    cm = pd.DataFrame({"customer_id": ["E"], "made_on": ["2026-05-01"], "due_on": ["2026-07-01"]})
    kw = keep_warm(tx, it, cm, as_of="2026-06-01")
    # B contacted 12 days ago, D bought a month ago, E has an open promise
    assert kw["customer_id"].tolist() == ["C", "A"]
    assert kw.attrs["potential_source"] == "historical revenue"
    assert kw.set_index("customer_id").loc["C", "days_since_contact"] == 365
    pot = pd.Series({"A": 900.0, "C": 5.0}, name="clv_3y")
    kw2 = keep_warm(tx, it, cm, potential=pot, as_of="2026-06-01")
    assert kw2["customer_id"].tolist() == ["A", "C"] and kw2.attrs["potential_source"] == "clv_3y"


def test_owner_concentration_herfindahl_and_single_threaded():
    cu = pd.DataFrame({"customer_id": list("ABCD"), "owner": ["X", "X", "Y", "Y"]})
    conc = owner_concentration(cu, pd.Series([10.0, 10.0, 15.0, 5.0], index=list("ABCD")))
    assert conc.attrs["hhi"] == pytest.approx(0.5)
    ct = pd.DataFrame({"customer_id": ["A", "A", "B", "C", "C"], "contact_id": list("12345")})
    it = pd.DataFrame({"customer_id": ["A", "A", "C", "C", "D"], "ts": ["2026-01-01"] * 5,
                       "rep": ["X", "X", "X", "Y", "Y"]})
    s = single_threaded(cu, ct, it, as_of="2026-06-01").set_index("customer_id")
    assert s["single_threaded"].to_dict() == {"A": True, "B": True, "C": False, "D": True}
    assert s.loc["A", "reason"] == "one rep in window"
    assert s.loc["B", "reason"] == "one contact"


def test_resource_match_reasons_by_hand():
    res = pd.DataFrame({
        "resource_id": ["R1", "R2", "R3"], "name": ["直播套餐", "会员日", "海报"],
        "channel": ["抖音", "线下", "线下"], "price": [8000.0, 2000.0, 300.0],
        "tags": ["抖音,直播", "直播、会员", "海报"], "case_studies": ["茶饮品牌", None, None],
        "effect": ["ROI 3.1", "复购 +15%", None],
    })
    needs = pd.DataFrame({"customer_id": ["A", "A"], "tag": ["直播", "会员"],
                          "budget": [5000.0, None], "channel": ["抖音", None]})
    m = match_resources(res, needs)
    # R2: 2 tags + within budget = 2.5; R1: 1 tag + preferred channel = 1.5; R3 no tag in common
    assert m["resource_id"].tolist() == ["R2", "R1"]
    assert m["score"].tolist() == [2.5, 1.5]
    assert m.loc[0, "matched_tags"] == "会员, 直播"
    assert bool(m.loc[0, "budget_fit"]) and not bool(m.loc[1, "budget_fit"])
    assert "preferred channel 抖音" in m.loc[1, "reasons"] and "cases: 茶饮品牌" in m.loc[1, "reasons"]
    md = sheet_markdown(m, "A", needs, "测试客户", lang="en")
    assert "Resource sheet" in md and "| 1 | 会员日 | 线下 | 2,000 |" in md
    with pytest.raises(DataError, match="no needs"):
        match_resources(res, needs, customer_id="ZZ")


# ---------------------------------------------------------------- side tables


def test_read_side_table_gbk_csv_chinese_headers_and_rejects(tmp_path):
    path = tmp_path / "互动.csv"
    text = "客户编号,互动时间,类型,负责人,时长(分钟),费用\nC1,2026-01-05,拜访,王芳,30,\nC2,不是日期,电话,李强,5,\n,2026-01-06,电话,李强,5,\nC3,2026-01-07,电话,李强,abc,\n"
    path.write_bytes(text.encode("gbk"))
    table, rejects = read_side_table("interactions", path)
    assert table["customer_id"].tolist() == ["C1"]
    assert table.loc[0, "rep"] == "王芳" and table.loc[0, "minutes"] == 30.0
    assert rejects[["row", "column"]].values.tolist() == [[2, "ts"], [3, "customer_id"], [4, "minutes"]]  # the file's order
    assert len(table) + rejects["row"].nunique() == 4


def test_read_side_table_missing_required_column_names_file_and_fix(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("客户编号,承诺日期\nC1,2026-01-01\n", encoding="utf-8-sig")
    with pytest.raises(SchemaError) as err:
        read_side_table("commitments", path)
    assert err.value.column == "due_on" and str(path) in str(err.value) and "到期日" in err.value.fix


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["C1", "", "C2"]),
                          st.sampled_from(["2026-01-01", "x", "", "2025-12-31"]),
                          st.sampled_from(["10", "", "abc", "3.5"])), max_size=20))
def test_read_side_table_accounts_for_every_row(rows):
    raw = pd.DataFrame(rows, columns=["客户编号", "互动时间", "时长"], dtype=object)
    table, rejects = read_side_table("interactions", raw)
    assert len(table) + rejects["row"].nunique() == len(raw)
    assert rejects["row"].is_unique


# ---------------------------------------------------------------- fields, personas, demo


def test_account_fields_on_demo_side_tables():
    ids = [f"C{i:03d}" for i in range(40)]
    side = make_side_tables(ids, seed=7, start="2025-07-01", end="2026-06-30")
    rng = np.random.default_rng(3)
    ts = pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 365, 200), unit="D")
    tx = pd.DataFrame({"customer_id": rng.choice(ids, 200), "ts": ts,
                       "amount": rng.uniform(100, 1000, 200).round(2)})
    tx["cost"] = (tx["amount"] * 0.6).round(2)
    tx["due_on"] = tx["ts"] + pd.Timedelta(days=30)
    tx["paid_on"] = (tx["ts"] + pd.to_timedelta(rng.integers(0, 60, 200), unit="D")).where(rng.random(200) < 0.9)
    f = account_fields(tx, side["interactions"], side["commitments"], side["contacts"], as_of="2026-06-30")
    assert f["customer_id"].is_unique and set(f["customer_id"]) == set(tx["customer_id"])
    assert f.columns.tolist() == ["customer_id", "cost_to_serve_365d", "profit_365d", "promise_reliability",
                                  "days_since_contact", "payment_punctuality", "single_threaded",
                                  "overdue_receivables"]
    assert f["single_threaded"].dtype == bool
    prof = customer_profit(tx, side["interactions"], start="2025-07-01", end="2026-06-30")
    assert f["profit_365d"].sum() == pytest.approx(prof.loc[prof["customer_id"].isin(f["customer_id"]), "profit"].sum())
    assert f["promise_reliability"].dropna().between(0, 1).all()
    again = make_side_tables(ids, seed=7, start="2025-07-01", end="2026-06-30")
    assert all(side[k].equals(again[k]) for k in side)


def test_personas_by_segment_and_fallback_to_size_bands():
    tx = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "ts": "2026-01-01",
                       "amount": [30.0, 30.0, 20.0, 20.0], "channel": ["web", "store", "web", "web"],
                       "product": ["p1", "p2", "p1", "p3"]})
    cu = pd.DataFrame({"customer_id": list("ABC"), "segment": ["big", "small", "small"],
                       "region": ["华东", "华南", "华南"]})
    prof = pd.DataFrame({"customer_id": list("ABC"), "profit": [6.0, 2.0, 2.0]})
    p = personas(tx, cu, prof).set_index("segment")
    assert p.loc["big", "revenue_share"] == pytest.approx(0.6)
    assert p.loc["small", "profit_share"] == pytest.approx(0.4)
    assert p.loc["small", "mean_value"] == 20.0
    assert p.loc["big", "channel_mix"] == "store 50%, web 50%"
    assert p.loc["small", "region_mix"] == "华南 100%"
    banded = personas(tx, None, bands=(40,))
    # ceil(40 % of 3) = 2 customers (A 60, then B before C on the id tie) in the top band
    assert banded["segment"].tolist() == ["top 40%", "rest (40-100%)"]
    assert banded["customers"].tolist() == [2, 1]
    assert banded["revenue"].tolist() == [80.0, 20.0]


def test_account_view_shows_contact_roles_kpis_and_promises():
    from xuanba.accounts import account_view

    tx = pd.DataFrame({"customer_id": ["A", "B"], "ts": ["2026-01-01", "2026-02-01"], "amount": [10.0, 5.0]})
    ct = pd.DataFrame({"customer_id": ["A", "A", "B"], "contact_id": ["1", "2", "3"],
                       "role": ["市场总监", "采购", "CEO"], "kpi": ["品牌曝光", "成本", "增长"]})
    v = account_view("A", tx, contacts=ct, commitments=_promises(), as_of="2026-03-01")
    assert v["contacts"]["kpi"].tolist() == ["品牌曝光", "成本"]
    assert v["promises"]["state"].tolist() == ["kept_on_time", "kept_late"]
    assert v["summary"]["revenue"] == 10.0 and v["summary"]["single_threaded"] is False
    with pytest.raises(DataError, match="'ZZ'"):
        account_view("ZZ", tx)


def test_whale_peak_from_values_alone_is_the_curves_peak():
    """The round's stored peak (of the whale shape, no ids) equals whale_peak of the full curve,
    ties, zeros and losses included."""
    from xuanba.accounts.profit import whale_curve, whale_peak, whale_shape

    rng = np.random.default_rng(11)
    for _ in range(30):
        n = int(rng.integers(1, 400))
        v = np.round(rng.normal(5, 20, n)).astype(float)  # many ties, zeros and negatives
        v[rng.integers(0, n)] = abs(v).sum() + 1.0  # a positive total
        ids = [f"c{i:04d}" for i in rng.permutation(n)]
        full = whale_peak(whale_curve(pd.DataFrame({"customer_id": ids, "profit": v})))
        fast = whale_peak(whale_shape(v))
        assert (fast["customers"], fast["customer_pct"], fast["profit_pct"]) == \
            (full["customers"], full["customer_pct"], full["profit_pct"])
