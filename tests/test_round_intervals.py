"""A round that stores its predictions' intervals (issue 14 point 4), and every output that
renders them from what the round stored: the customer page (zh and en), the workbook's
customer-data sheet, the statement (only beside a prediction it already shows), and the
round's proof (``verify_round``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from tests._helpers import cdnow_transactions
from tests.web.helpers import PASSWORD, log_in
from xuanba import Workspace
from xuanba.models.predict import INTERVAL_COLUMNS, predict_customers
from xuanba.rounds import load_round, run_round
from xuanba.rounds.fairness import verify_round
from xuanba.standard import load_standard
from xuanba.standard.starter import starter_standard

CUTOFF = "1997-09-30"
PREDICTED = ("p_alive", "expected_purchases_1y", "expected_spend", "clv_1y", "clv_3y", "churn_90d")


def _standard(interval: str | None = "0.9", model: str = "bgnbd", lang: str = "en") -> str:
    text = starter_standard(lang).replace('model = "auto"', f'model = "{model}"')
    if interval is not None:
        text = text.replace("[predictions]\n", f"[predictions]\ninterval = {interval}\n")
    return text


@pytest.fixture(scope="module")
def path(tmp_path_factory, test_data):
    from xuanba.web import store

    p = tmp_path_factory.mktemp("iv") / "ws.duckdb"
    with Workspace(p) as ws:
        ws.replace("transactions", cdnow_transactions(test_data))
        run_round(ws, _standard(), CUTOFF)
        store.add_user(ws, "boss", PASSWORD, role="manager")
    return p


@pytest.fixture(scope="module")
def rnd(path):
    return load_round(path, "latest")


def test_the_round_stores_bounds_beside_each_prediction_as_the_model_gives_them(path, rnd):
    """The stored bounds are those of ``predict_customers`` on the round's own facts (fitted
    again here, independently of the round), rounded as the round rounds its fields."""
    from xuanba.facts import customer_facts

    info = rnd.meta["intervals"]
    assert info["level"] == 0.9 and info["method"] == "delta" and info["warnings"] == []
    assert info["columns"] == list(INTERVAL_COLUMNS) and set(INTERVAL_COLUMNS) <= set(rnd.meta["field_columns"])
    f = rnd.fields
    for p in PREDICTED:
        assert (f[f"{p}_lower"] <= f[p]).all() and (f[p] <= f[f"{p}_upper"]).all(), p
        repeat = f["frequency"] > 0  # (BG/NBD gives a one-time buyer P(alive) = 1 exactly, no spread)
        assert (f.loc[repeat, f"{p}_upper"] > f.loc[repeat, f"{p}_lower"]).mean() > 0.99, p
    with Workspace(path, read_only=True) as ws:
        facts = customer_facts(ws, CUTOFF, time_unit="week")
    again = predict_customers(facts, model="bgnbd", interval=0.9)
    again["customer_id"] = again["customer_id"].astype(str)
    again = again.set_index("customer_id").loc[f["customer_id"]]
    for col in INTERVAL_COLUMNS:
        np.testing.assert_allclose(f[col].to_numpy(), again[col].to_numpy(), rtol=1e-6, atol=2e-6, err_msg=col)


def test_verify_round_replays_the_stored_intervals_and_catches_a_changed_bound(tmp_path, path):
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(path.read_bytes())
    proof = verify_round(copy, "latest")
    assert proof["intervals"] is True and proof["verified"] is True
    with Workspace(copy) as ws:
        cid = ws.sql("SELECT customer_id FROM round_fields LIMIT 1")["customer_id"].iloc[0]
        ws.con.execute("UPDATE round_fields SET clv_3y_upper = clv_3y_upper + 1 WHERE customer_id = ?", [cid])
    proof = verify_round(copy, "latest")
    assert proof["intervals"] is False and proof["verified"] is False
    assert proof["standard"] and proof["data"] and proof["roster"]  # the roster never read the bounds


def test_a_round_whose_standard_sets_no_interval_stores_none(test_data):
    with Workspace(":memory:") as ws:
        ws.replace("transactions", cdnow_transactions(test_data))
        r = run_round(ws, _standard(interval=None), CUTOFF)
        assert "intervals" not in r.meta
        assert not [c for c in r.fields.columns if c.endswith(("_lower", "_upper"))]
        proof = verify_round(ws, r.round_id)
    assert proof["intervals"] is None and proof["verified"] is True


@pytest.mark.parametrize("bad", ["1.5", "0", "-0.1", '"high"'])
def test_the_standard_refuses_a_level_that_is_not_a_probability(bad):
    from xuanba.standard.schema import StandardError

    with pytest.raises(StandardError, match="interval"):
        load_standard(_standard(interval=bad))
    assert load_standard(_standard(interval="0.8")).predictions.interval == 0.8


def test_a_fit_that_cannot_be_trusted_stores_no_interval_and_says_why_in_the_round(tmp_path):
    """Poisson buyers who never drop out: BG/NBD runs to an edge. The round still uses it (the
    standard names it) but stores no bounds for the predictions that need it — no column of
    NaN — and says why, in the round's intervals and its model warnings."""
    from xuanba.models.simulate import simulate_transactions

    with Workspace(":memory:") as ws:
        ws.replace("transactions", simulate_transactions("poisson", 400, "2023-01-01", "2025-12-31", seed=5))
        r = run_round(ws, _standard(), "2025-12-31")
    info = r.meta["intervals"]
    assert info["columns"] == ["expected_spend_lower", "expected_spend_upper"]
    assert len(info["warnings"]) == 1 and "BGNBD's fit cannot give one" in info["warnings"][0]
    assert "no 90% interval for p_alive" in info["warnings"][0]
    assert any("no 90% interval" in w for w in r.meta["model_warnings"])
    assert "p_alive_lower" not in r.fields.columns and r.fields["expected_spend_lower"].notna().all()
    # said in Chinese where a reader sees it (the overview's warnings, the report), from the stored English
    from xuanba.i18n import column_words, warning_words

    said = [w for w in r.meta["model_warnings"] if "no 90% interval" in w]
    for w in [*said, *info["warnings"]]:
        zh = warning_words(w, "zh")
        assert zh.startswith(column_words("p_alive", "zh")[0] + "、") and "没有 90% 区间" in zh and "BGNBD 模型" in zh
        assert "interval for" not in zh and "cannot give one" not in zh and "UserWarning" not in zh
        assert warning_words(w, "en").startswith("no 90% interval for " + column_words("p_alive", "en")[0])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_customer_page_shows_each_prediction_with_its_interval_and_what_it_means(path, rnd, lang):
    from xuanba.web import create_app

    row = rnd.fields.sort_values("clv_3y").iloc[-1]
    cid = str(row["customer_id"])
    with TestClient(create_app(path, linger_s=0)) as c:
        log_in(c, "boss")
        c.get(f"/lang/{lang}")
        api = {p["name"]: p for p in c.get(f"/api/customers/{cid}").json()["predictions"]}
        page = c.get(f"/customers/{cid}").text
    assert api["clv_3y"]["lower"] == pytest.approx(float(row["clv_3y_lower"]))
    assert api["clv_3y"]["level"] == 0.9
    want = f"{row['clv_3y']:,.3f} (90%: {row['clv_3y_lower']:,.3f}–{row['clv_3y_upper']:,.3f})"
    assert want in page
    assert f"{row['p_alive']:,.3f} (90%: {row['p_alive_lower']:,.3f}–{row['p_alive_upper']:,.3f})" in page
    meaning = {"en": "parameter uncertainty", "zh": "模型参数"}[lang]
    assert meaning in page and "not stored by the round" not in page


def test_the_workbook_customer_data_sheet_carries_the_bounds(tmp_path, path, rnd):
    from xuanba.outputs import export_round
    from xuanba.tables import read_table

    out = export_round(path, "latest", tmp_path / "round.xlsx", tables=["facts"], lang="zh")[0]
    sheet = pd.read_excel(out, sheet_name="客户数据")
    assert "预计价值（未来三年）（下限）" in sheet.columns and "预计价值（未来三年）（上限）" in sheet.columns
    back = read_table(out, sheet="facts")  # the columns sheet gives the field names back
    assert set(INTERVAL_COLUMNS) <= set(back.columns)
    back["customer_id"] = back["customer_id"].astype(str)
    merged = back.merge(rnd.fields[["customer_id", "clv_3y_upper"]], on="customer_id", suffixes=("", "_stored"))
    np.testing.assert_allclose(merged["clv_3y_upper"], merged["clv_3y_upper_stored"], rtol=1e-12)


def _visible(page: str) -> str:
    import html

    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_statement_adds_the_interval_only_beside_a_prediction_it_shows(tmp_path, path):
    """The starter shows P(alive) and the 3-year value (public criteria): each gets the
    customer's own interval. The margin criterion is private and the other predictions are not
    criteria: none of their bounds appear, and without stored intervals nothing is added."""
    from xuanba.outputs import write_statements
    from xuanba.outputs.statements import build_statement

    rnd = load_round(path, "latest")
    row = rnd.fields.sort_values("clv_3y").iloc[-1]
    cid = str(row["customer_id"])
    page = write_statements(path, "latest", tmp_path / "st", customers=[cid], lang="zh")[0].read_text("utf-8")
    text = _visible(page)
    assert f"(90%: {row['clv_3y_lower']:,.0f}–{row['clv_3y_upper']:,.0f})" in text
    assert f"(90%: {row['p_alive_lower']:,.2f}–{row['p_alive_upper']:,.2f})" in text
    assert "以 90% 的概率" in text
    assert text.count("(90%:") == 2
    for col in ("expected_spend", "churn_90d", "clv_1y", "expected_purchases_1y"):
        for end in ("lower", "upper"):
            v = float(row[f"{col}_{end}"])
            assert f"{v:,.2f}" not in text or f"{v:,.2f}" in f"{row['clv_3y']} {row['p_alive']}", col
    # the web's statement renders the same round (all fields loaded): the same page
    assert build_statement(rnd, cid, lang="zh") == page
    # a round without stored intervals: no brackets, no note
    del rnd.meta["intervals"]
    plain = _visible(build_statement(rnd, cid, lang="en"))
    assert "(90%:" not in plain and "In brackets" not in plain


def test_a_round_on_an_engine_stores_the_intervals_and_an_older_ones_warning_still_reads(tmp_path, test_data):
    """The engine round stores the bounds of its selected customers with the round's proof hash
    (every customer's bounds: tests/test_round_engine_features.py compares them with these); a
    round an engine stored before it computed intervals said so, and that still reads in Chinese."""
    from xuanba.i18n import t, warning_words
    from xuanba.rounds.engine import run_round_on_engine

    tx = cdnow_transactions(test_data)
    r = run_round_on_engine(tx, _standard(), CUTOFF, workspace=tmp_path / "w.duckdb")
    stored = load_round(tmp_path / "w.duckdb", "latest")
    assert stored.meta["intervals"]["columns"] == list(INTERVAL_COLUMNS) == r.meta["intervals"]["columns"]
    f = stored.fields
    assert len(f) == r.meta["n_selected"] and set(INTERVAL_COLUMNS) <= set(f.columns)
    for p in PREDICTED:
        assert (f[f"{p}_lower"] <= f[p]).all() and (f[p] <= f[f"{p}_upper"]).all(), p
    old = t("interval_on_engine", "en")
    zh = warning_words(old, "zh")
    assert "引擎" in zh and "区间" in zh and "engine" not in zh


def test_the_report_says_which_intervals_the_round_stored_and_what_they_mean(tmp_path, path):
    from xuanba.outputs.report import write_report

    html = _visible(write_report(path, "latest", tmp_path / "r.html", lang="en").read_text("utf-8"))
    assert "The round stored each customer's 90% interval of P(alive)" in html
    assert "given how precisely the parameters are estimated" in html
