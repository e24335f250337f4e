"""The notebook display (Jupyter's ``_repr_html_``) of a round, a diff, a model, an ingest report and
a standard: it names the customers and escapes whatever the data hold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import xuanba
from xuanba import Workspace
from xuanba.ingest import ingest

DATA = Path(__file__).parent / "data"
EVIL_ID = "<script>alert('id')</script>"
EVIL_NAME = '<img src=x onerror="alert(1)">'
EVIL_OWNER = "Zhang & <b>Li</b>"
STANDARD = """[standard]
name = "<i>best</i>"
version = "1"
[[criteria]]
name = "revenue"
label = "<u>Revenue</u> & more"
field = "revenue_365d"
weight = 1
[[tiers]]
name = "A"
quota = 2
"""


def _raw_absent(html: str, *texts: str) -> None:
    for text in texts:
        assert text not in html, text


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("display")
    ws = Workspace(folder / "ws.duckdb")
    tx = pd.DataFrame({"customer_id": [EVIL_ID, EVIL_ID, "c2", "c3", "c3", "c4"],
                       "ts": ["2026-01-05", "2026-03-01", "2026-02-01", "2026-01-10", "2026-05-20", "2026-05-25"],
                       "amount": [500.0, 700.0, 90.0, 300.0, 400.0, 2000.0]})
    csv = folder / "<b>sales.csv"  # a hostile file name, shown in the ingest report
    tx.to_csv(csv, index=False)
    report = ingest(csv, ws)
    people = pd.DataFrame({"customer_id": [EVIL_ID, "c2", "c3", "c4"],
                           "name": [EVIL_NAME, "Acme Ltd", "北京某某公司", "Delta"],
                           "owner": [EVIL_OWNER, "Wang", "李雷", "Wang"]})
    ingest(people, ws, kind="customers")
    a = xuanba.run_round(ws, STANDARD, "2026-03-31")
    b = xuanba.run_round(ws, STANDARD, "2026-06-30")
    yield ws, report, a, b
    ws.close()


def test_round_shows_the_selected_customers_with_names_and_owners_escaped(rounds):
    _, _, a, _ = rounds
    html = a._repr_html_()
    # the two selected at 2026-03-31, by revenue in the year: the hostile id (1,200) and c3 (300)
    assert "&lt;script&gt;alert(&#x27;id&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "Zhang &amp; &lt;b&gt;Li&lt;/b&gt;" in html
    assert "北京某某公司" in html and "李雷" in html
    assert "Acme Ltd" not in html  # c2 was not selected
    assert f"Round {a.round_id}: &lt;i&gt;best&lt;/i&gt; v1 @ 2026-03-31" in html
    _raw_absent(html, EVIL_ID, EVIL_NAME, EVIL_OWNER, "<i>best</i>")


def test_diff_shows_movers_and_migration_escaped(rounds):
    ws, _, a, b = rounds
    d = xuanba.diff_rounds(ws, a.round_id, b.round_id)
    html = d._repr_html_()
    assert f"Round {a.round_id} → round {b.round_id}" in html
    entered = d.changes.loc[d.changes["status"] == "entered", "customer_id"].tolist()
    assert entered == ["c4"]  # c4 spent 2,000 in May and takes c3's place
    assert ">c4<" in html and ">c3<" in html and ">left<" in html and ">entered<" in html
    assert "Tier migration" in html
    assert "&lt;script&gt;alert(&#x27;id&#x27;)&lt;/script&gt;" in html  # rank 1 → 2: it fell
    _raw_absent(html, EVIL_ID)


def test_ingest_report_shows_the_row_accounting_and_escapes_the_file_name(rounds):
    _, report, _, _ = rounds
    html = report._repr_html_()
    assert "&lt;b&gt;sales.csv" in html
    _raw_absent(html, "<b>sales")
    assert f"<td style=\"padding:1px 8px;text-align:left;border-bottom:1px solid #eee\">{report.loaded:,}</td>" in html
    assert report.loaded == 6


def test_standard_shows_plain_words_and_shares_escaped(rounds):
    _, _, a, _ = rounds
    html = a.standard._repr_html_()
    assert "&lt;u&gt;Revenue&lt;/u&gt; &amp; more" in html and "100%" in html
    _raw_absent(html, "<u>Revenue</u>", "<i>best</i>")


def test_model_shows_its_estimates_as_the_summary_gives_them():
    facts = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    facts = facts.rename(columns={"ID": "customer_id"}) if "ID" in facts.columns else facts
    unfitted = xuanba.BGNBD()._repr_html_()
    assert "BGNBD: not fitted yet" in unfitted
    m = xuanba.BGNBD().fit(facts)
    html = m._repr_html_()
    summary = m.summary()
    for name, row in summary.iterrows():
        assert f">{name}<" in html
        assert f"{row['estimate']:.4f}".rstrip("0") in html or f"{row['estimate']:.4g}" in html
    assert "loglik" in html and f"{int(m.n_customers_):,}" in html


def test_every_model_shows_before_fitting():
    from xuanba.models._base import registered_models

    for name, cls in registered_models().items():
        html = cls()._repr_html_()
        assert f"{cls.__name__}: not fitted yet" in html, name


def test_an_evaluation_shows_the_comparison_and_the_published_holdout_means():
    tx = pd.read_parquet(DATA / "cdnow_sample.parquet").rename(columns={"timestamp": "ts"})
    ev = xuanba.evaluate(tx[["customer_id", "ts", "amount"]], "1997-09-30", "1998-06-30", models=["bgnbd"],
                         cumulative=False)
    html = ev._repr_html_()
    assert ">bgnbd<" in html and "1997-09-30" in html and ">2,357<" in html
    assert ">1,411<" in html and ">0.2367<" in html  # customers with frequency 0, their mean (PUBLISHED.md)


def test_a_chinese_standard_shows_in_chinese():
    html = xuanba.load_standard(xuanba.starter_standard("zh"))._repr_html_()
    assert "版本" in html and "指标" in html and "占" in html
