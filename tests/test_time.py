"""One definition of time: a cutoff / as-of / end date D includes all of day D in every command
(facts and account work alike), and "days since" counts calendar days."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from xuanba.accounts import (
    account_fields,
    account_view,
    ageing,
    customer_profit,
    keep_warm,
    promise_ledger,
    receivables_summary,
    reliability,
    single_threaded,
)
from xuanba.cli import app
from xuanba.facts import customer_facts

D = "2026-06-30"

#: A: bought on D at 15:00 (inside every window that ends on D); B: bought the next day at
#: 00:00 (outside); both also bought long before.
TX = pd.DataFrame({
    "customer_id": ["A", "A", "B", "B"],
    "ts": pd.to_datetime(["2026-01-10 09:00", f"{D} 15:00", "2026-01-10 09:00", "2026-07-01 00:00"]),
    "amount": [100.0, 40.0, 70.0, 500.0],
    "cost": [60.0, 10.0, 30.0, 100.0],
})


def test_a_purchase_at_1500_on_the_end_day_is_in_the_facts_and_the_profit():
    facts = customer_facts(TX, D).set_index("customer_id")
    profit = customer_profit(TX, end=D).set_index("customer_id")
    assert profit.loc["A", "revenue"] == 140.0 and profit.loc["B", "revenue"] == 70.0
    # the facts and the account books agree on what "up to D" means
    assert profit["revenue"].to_dict() == facts["revenue_total"].to_dict()
    assert customer_profit(TX, start=D).set_index("customer_id")["revenue"].to_dict() == {"A": 40.0, "B": 500.0}


def test_the_profit_command_counts_the_whole_end_day(tmp_path):
    TX.to_csv(tmp_path / "tx.csv", index=False)
    res = CliRunner().invoke(app, ["accounts", "profit", "-t", str(tmp_path / "tx.csv"), "--end", D,
                                   "--out", str(tmp_path / "p.csv"), "--json", "-w", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig").set_index("customer_id")
    assert written["revenue"].to_dict() == {"A": 140.0, "B": 70.0}


def test_days_since_contact_counts_calendar_days():
    it = pd.DataFrame({"customer_id": ["A", "B"], "ts": pd.to_datetime(["2026-06-29 23:00", f"{D} 18:00"])})
    fields = account_fields(TX, it, as_of=D).set_index("customer_id")
    # 23:00 the day before is one day ago, not 0 (an hour); 18:00 on D is on D, not ignored
    assert fields["days_since_contact"].to_dict() == {"A": 1.0, "B": 0.0}
    assert fields.loc["A", "profit_365d"] == (100.0 - 60.0) + (40.0 - 10.0)  # the sale at 15:00 on D too


def test_the_fields_command_counts_calendar_days(tmp_path):
    TX.to_csv(tmp_path / "tx.csv", index=False)
    pd.DataFrame({"customer_id": ["A"], "ts": ["2026-06-29 23:00"]}).to_csv(tmp_path / "it.csv", index=False)
    res = CliRunner().invoke(app, ["accounts", "fields", "-t", str(tmp_path / "tx.csv"), "--interactions",
                                   str(tmp_path / "it.csv"), "--as-of", D, "--json", "-w", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0, res.output
    rows = {r["customer_id"]: r for r in json.loads(res.stdout)["table"]}
    assert rows["A"]["days_since_contact"] == 1.0


def test_keep_warm_counts_calendar_days_and_the_whole_as_of_day():
    tx = pd.DataFrame({"customer_id": ["A", "B"], "ts": pd.to_datetime(["2025-12-31 23:00", f"{D} 15:00"]),
                       "amount": [100.0, 50.0]})
    it = pd.DataFrame({"customer_id": ["A"], "ts": pd.to_datetime(["2026-03-31 23:30"])})
    kw = keep_warm(tx, it, as_of=D, no_purchase_days=180, no_contact_days=90).set_index("customer_id")
    assert kw.index.tolist() == ["A"]  # B bought on D itself
    assert kw.loc["A", "days_since_purchase"] == 181  # 2025-12-31 -> 2026-06-30
    assert kw.loc["A", "days_since_contact"] == 91.0
    assert keep_warm(tx, as_of=D, no_purchase_days=181).empty  # 181 days is not more than 181


def test_promises_compare_by_day():
    c = pd.DataFrame({"customer_id": ["A", "B", "C"], "rep": ["X"] * 3,
                      "made_on": [f"{D} 09:00", "2026-06-01", "2026-06-01"],
                      "due_on": ["2026-07-10", "2026-06-20", "2026-06-29"],
                      "kept_on": [None, "2026-06-20 18:00", f"{D} 16:00"]})
    led = promise_ledger(c, D).set_index("customer_id")
    # made at 09:00 on D: known on D; kept at 18:00 on the due day: on time; kept at 16:00 on D: known
    assert led["state"].to_dict() == {"A": "open", "B": "kept_on_time", "C": "kept_late"}
    assert led.loc["C", "days_late"] == 1
    overdue = promise_ledger(c.assign(kept_on=None), D).set_index("customer_id")
    assert overdue["days_overdue"].to_dict() == {"A": 0, "B": 10, "C": 1}
    rel = reliability(promise_ledger(c, D), by="rep", start="2026-06-20 12:00", end=D)
    assert rel["due"].tolist() == [2]  # due on 2026-06-20 is in a window starting that day


def test_receivables_count_the_whole_as_of_day():
    tx = pd.DataFrame({"customer_id": ["A", "A", "B"],
                       "ts": pd.to_datetime(["2026-06-01", f"{D} 15:00", "2026-06-01"], format="mixed"),
                       "amount": [100.0, 40.0, 20.0],
                       "due_on": pd.to_datetime(["2026-06-29", "2026-07-30", "2026-06-29"]),
                       "paid_on": pd.to_datetime([f"{D} 10:00", None, "2026-06-29 17:00"], format="mixed")})
    s = receivables_summary(tx, D).set_index("customer_id")
    assert s.loc["A", "invoiced"] == 140.0  # the invoice at 15:00 on D is invoiced by D
    assert s.loc["A", "collected"] == 100.0  # paid at 10:00 on D is paid by D
    assert s.loc["B", "payment_punctuality"] == 1.0  # paid at 17:00 on the due day is on time
    unpaid = tx.assign(paid_on=pd.to_datetime(["2026-07-01", None, "2026-07-01"]))  # paid after D: open on D
    age = ageing(unpaid, D).set_index("customer_id")
    assert age.loc["A", "1-30"] == 100.0 and age.loc["A", "current"] == 40.0


def test_single_threaded_counts_reps_on_the_whole_as_of_day():
    it = pd.DataFrame({"customer_id": ["A", "A"], "ts": pd.to_datetime(["2026-01-01", f"{D} 15:00"], format="mixed"),
                       "rep": ["王", "李"]})
    st = single_threaded(interactions=it, as_of=D).set_index("customer_id")
    assert st.loc["A", "reps"] == 2
    assert single_threaded(interactions=it, as_of=D, window_days=1).set_index("customer_id").loc["A", "reps"] == 1


def test_the_account_view_is_as_of_the_whole_day():
    v = account_view("A", TX, as_of=D)
    assert v["summary"]["revenue"] == 140.0 and v["summary"]["orders"] == 2
    assert account_view("B", TX, as_of=D)["summary"]["revenue"] == 70.0  # not the sale of the next day


@pytest.mark.parametrize("when", ["2026-06-29 23:00", "2026-06-29"])
def test_days_between_ignores_the_time_of_day(when):
    from xuanba._dates import days_between

    assert days_between(D, when) == 1
    assert days_between(pd.Series(pd.to_datetime([when, None], format="mixed")), D).tolist()[0] == -1
