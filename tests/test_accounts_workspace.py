"""Account work from the workspace alone: tables stored by ingest, no file options (issue 6)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.accounts import account_fields
from xuanba.accounts.stored import stored_tables, stored_transactions, workspace_account_fields
from xuanba.cli import app
from xuanba.demo.accounts_demo import make_side_tables


@pytest.fixture()
def workspace(tmp_path):
    path = tmp_path / "ws.duckdb"
    ids = [f"C{i:03d}" for i in range(1, 41)]
    tx = pd.DataFrame({
        "customer_id": [ids[i % 40] for i in range(200)],
        "ts": pd.date_range("2025-01-01", periods=200, freq="2D"),
        "amount": [float(10 + (i * 37) % 90) for i in range(200)],
        "cost": [float(5 + (i * 11) % 40) for i in range(200)],
    })
    side = make_side_tables(ids, seed=3, start="2025-01-01", end="2026-02-01")
    with Workspace(path) as ws:
        ws.con.register("tx_df", tx)
        ws.con.execute("CREATE TABLE transactions AS SELECT customer_id, ts, "
                       "amount::DECIMAL(18,4) AS amount, cost::DECIMAL(18,4) AS cost FROM tx_df")
        for kind, table in side.items():
            store(ws, kind, table)
    return path, tx, side


def test_stored_tables_round_trip_and_fields_match_the_in_memory_call(workspace):
    path, tx, side = workspace
    with Workspace(path, read_only=True) as ws:
        got_tx = stored_transactions(ws)
        assert got_tx["amount"].sum() == pytest.approx(tx["amount"].sum())
        assert set(stored_tables(ws)) == set(side)
        stored = workspace_account_fields(ws, as_of="2026-02-01")
    direct = account_fields(tx, side["interactions"], side["commitments"], side["contacts"], "2026-02-01")
    pd.testing.assert_frame_equal(stored, direct, check_dtype=False)


def test_account_commands_read_the_workspace_when_no_file_is_given(workspace):
    path, tx, side = workspace
    runner = CliRunner()
    res = runner.invoke(app, ["accounts", "profit", "-w", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["customers"] == 40
    res = runner.invoke(app, ["accounts", "promises", "-w", str(path), "--as-of", "2026-02-01", "--json"])
    assert res.exit_code == 0, res.output
    states = json.loads(res.stdout)["states"]
    assert sum(states.values()) == len(side["commitments"])
    needy = side["needs"]["customer_id"].iloc[0]
    res = runner.invoke(app, ["sheet", needy, "-w", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["customer_id"] == needy


def test_missing_side_table_is_a_clear_error_not_a_traceback(tmp_path):
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        ws.con.execute("CREATE TABLE transactions AS SELECT 'A' AS customer_id, "
                       "TIMESTAMP '2026-01-01' AS ts, 1.0::DECIMAL(18,4) AS amount")
    res = CliRunner().invoke(app, ["accounts", "promises", "-w", str(path)])
    assert res.exit_code == 2
    assert "xuanba ingest FILE --kind commitments" in res.output
    assert "Traceback" not in res.output


def test_empty_payment_dates_mean_unknown_not_unpaid(workspace):
    """A workspace always has a paid_on column; when it is empty the data say nothing about
    payments — receivables refuse with a fix, and the account fields stay empty, rather than
    calling every invoice overdue."""
    from xuanba.accounts import account_fields, receivables_summary
    from xuanba.errors import SchemaError

    path, tx, side = workspace
    blank = tx.assign(paid_on=pd.NaT, due_on=tx["ts"] + pd.Timedelta(days=30))
    with pytest.raises(SchemaError, match="no payment dates"):
        receivables_summary(blank, "2026-02-01")
    fields = account_fields(blank, as_of="2026-02-01")
    assert fields["payment_punctuality"].isna().all() and fields["overdue_receivables"].isna().all()
    paid = blank.assign(paid_on=blank["ts"] + pd.Timedelta(days=10))
    fields = account_fields(paid, as_of="2026-02-01")
    assert (fields["payment_punctuality"] == 1.0).all() and (fields["overdue_receivables"] == 0).all()


def test_keep_warm_ranks_by_predicted_value_by_default(tmp_path, test_data):
    """Without --potential, keep-warm ranks dormant accounts by the models' 3-year value at the
    as-of date — the same numbers predict_customers gives on the same facts."""
    from xuanba import customer_facts
    from xuanba.accounts.keepwarm import predicted_potential
    from xuanba.models.predict import predict_customers

    tx = cdnow_transactions(test_data)
    tx.to_csv(tmp_path / "tx.csv", index=False)
    expected = predict_customers(customer_facts(tx, "1998-06-30"))[["customer_id", "clv_3y"]]
    got = predicted_potential(tx, "1998-06-30")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    res = CliRunner().invoke(app, ["accounts", "keep-warm", "-t", str(tmp_path / "tx.csv"),
                                   "--as-of", "1998-06-30", "--json", "-w", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["ranked by"] == "clv_3y"
    pot = [row["potential"] for row in doc["table"]]
    assert pot == sorted(pot, reverse=True) and len(pot) > 0
    clv = expected.set_index("customer_id")["clv_3y"]
    first = doc["table"][0]
    assert first["potential"] == pytest.approx(clv[first["customer_id"]])


def test_returns_are_not_receivables():
    from xuanba.accounts import receivables_summary

    tx = pd.DataFrame({"customer_id": ["A", "A", "B"], "ts": ["2026-01-01", "2026-01-10", "2026-01-01"],
                       "amount": [100.0, -30.0, 50.0], "due_on": ["2026-01-31", None, "2026-01-31"],
                       "paid_on": [None, None, "2026-01-20"]})
    s = receivables_summary(tx, "2026-03-01").set_index("customer_id")
    assert s.loc["A", "invoiced"] == 100.0 and s.loc["A", "overdue_receivables"] == 100.0
