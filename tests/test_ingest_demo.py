"""The bundled demo sales log: reproducible, GBK, ingests with its deliberate rejects, and the
BG/NBD model recovers the parameters it was simulated with."""

from __future__ import annotations

import pandas as pd
import pytest

from xuanba import Workspace, customer_facts
from xuanba.demo import demo_sales_path
from xuanba.demo import generate as gen
from xuanba.ingest import ingest


@pytest.fixture(scope="module")
def demo_ws():
    ws = Workspace(":memory:")
    report = ingest(demo_sales_path(), ws)
    yield ws, report
    ws.close()


def test_bundled_file_is_what_the_seeded_generator_writes(tmp_path):
    bundled = demo_sales_path().read_bytes()
    assert gen.write_sales(tmp_path / "again.csv").read_bytes() == bundled
    assert len(bundled) < 3_000_000
    with pytest.raises(UnicodeDecodeError):
        bundled.decode("utf-8")
    text = bundled.decode("gbk")
    assert text.splitlines()[0] == ",".join(gen.HEADERS) and "\r\n" in text


def test_demo_ingests_with_every_deliberate_reject(demo_ws):
    ws, report = demo_ws
    assert report.input_rows == report.loaded + report.merged + report.rejected
    assert report.rejected_by_reason == {
        "exact duplicate line": 2, "missing customer id": 2, "unparseable date": 2, "non-numeric amount": 1}
    assert report.sources[0].encoding == "gb18030"
    assert report.merged > 0 and report.returns > 100
    n, customers, zeros, first, last = ws.con.execute(
        "SELECT count(*), count(DISTINCT customer_id), count(*) FILTER (WHERE customer_id LIKE 'C0%'), "
        "min(ts), max(ts) FROM transactions").fetchone()
    assert customers == 3000 and zeros > 0
    assert first >= pd.Timestamp("2024-01-01") and last <= pd.Timestamp("2026-07-01")
    assert ws.sql("SELECT count(*) AS n FROM transactions WHERE is_return AND amount >= 0")["n"][0] == 0


def test_bgnbd_recovers_the_simulation_parameters(demo_ws):
    """Simulation with known parameters: r, alpha, a, b within 3 standard errors of the truth."""
    from xuanba.models import BGNBD

    ws, _ = demo_ws
    facts = customer_facts(ws, "2026-06-30", time_unit="week")
    model = BGNBD().fit(facts)
    truth = pd.Series({"r": gen.R, "alpha": gen.ALPHA, "a": gen.A, "b": gen.B})
    z = (model.params_ - truth).abs() / model.stderr_
    assert (z < 3).all(), pd.DataFrame({"fit": model.params_, "truth": truth, "z": z})


def test_write_sales_at_any_size_and_utf8(tmp_path):
    path = gen.write_sales(tmp_path / "big.csv", n_rows=5000, encoding="utf-8", seed=5)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(frame) == 5000 and list(frame.columns) == gen.HEADERS
    again = gen.simulate_sales(100, seed=5, bad_rows=False)
    assert (again["客户编号"] != "").all()
    lines = pd.to_numeric(again["金额"]) - pd.to_numeric(again["数量"]) * pd.to_numeric(again["单价"])
    assert lines.abs().max() < 0.006  # amount = quantity x unit price, to the cent
