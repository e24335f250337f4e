"""The round's predictions step done once: the facts and the model check's year read in one pass,
``auto``'s candidates fitted beside its holdout check, the distinct histories grouped once. Each
shortcut must give what the long way gives, value for value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import xuanba.facts as facts_module
import xuanba.facts.compute as compute
from xuanba import Workspace
from xuanba.facts import calibration_holdout, customer_facts
from xuanba.models.choose import choose_model
from xuanba.models.evaluate import CALIBRATION_COLUMNS, evaluate
from xuanba.models.predict import COUNT, fit_model, predict_customers, purchase_histories
from xuanba.models.simulate import simulate_transactions
from xuanba.rounds import run_round
from xuanba.standard import starter_standard

CUTOFF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def four_years() -> pd.DataFrame:
    """Four years of Pareto/NBD customers: ``auto`` holds out the year before the cutoff, the
    window of the round's own model check."""
    return simulate_transactions("pareto-nbd", 1500, "2022-01-01", "2025-12-31", seed=3)


def _standard(model: str) -> str:
    text = starter_standard("en")
    return text.replace('model = "auto"', f'model = "{model}"') if model != "auto" else text


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on the calibration table's own query: each call's calibration end, in order."""
    seen: list[str] = []
    real = compute.calibration_holdout

    def spy(source, calibration_end, holdout_end, **kw):  # noqa: ANN001, ANN202, ANN003
        seen.append(str(calibration_end))
        return real(source, calibration_end, holdout_end, **kw)

    monkeypatch.setattr(compute, "calibration_holdout", spy)
    monkeypatch.setattr(facts_module, "calibration_holdout", spy)
    return seen


def _two_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The round as it was: the facts alone, and each check reading its own calibration table."""
    def facts_only(source, cutoff, calibration_end, *, time_unit="week"):  # noqa: ANN001, ANN202
        return customer_facts(source, cutoff, time_unit=time_unit), pd.DataFrame()

    monkeypatch.setattr(facts_module, "facts_and_holdout", facts_only)


def _stored(rnd) -> dict:  # noqa: ANN001
    meta = {k: v for k, v in rnd.meta.items() if k != "created_at"}
    tables = {k: (t.info, None if t.frame is None else t.frame.to_dict("list")) for k, t in rnd.tables.items()}
    return {"meta": meta, "tables": tables}


@pytest.mark.parametrize("model", ["auto", "bgnbd"])
def test_the_round_reads_its_check_year_with_its_facts_and_stores_the_same_round(
        four_years, tmp_path, monkeypatch, model):
    """With ``auto`` (whose holdout year is the check's) and with a named model (checked beside
    scoring), the round reads no calibration table of its own: the one pass gave it. The round
    (roster, fields, contributions, meta, models, holdout check) is the one the two reads give."""
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", four_years)
    reads = _reads(monkeypatch)
    one = run_round(path, _standard(model), CUTOFF, store=False)
    assert reads == []
    assert "error" not in one.tables["holdout"].info and len(one.tables["holdout"].frame) == 8
    with monkeypatch.context() as m:
        _two_reads(m)
        two = run_round(path, _standard(model), CUTOFF, store=False)
    assert reads == ["2024-12-31"]  # the long way: the check read its year itself
    pd.testing.assert_frame_equal(one.roster, two.roster)
    pd.testing.assert_frame_equal(one.fields, two.fields)
    pd.testing.assert_frame_equal(one.contributions, two.contributions)
    assert _stored(one) == _stored(two)


def test_a_round_without_a_model_check_or_auto_reads_the_facts_alone(four_years, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", four_years)
    asked: list[str] = []
    real = facts_module.facts_and_holdout
    monkeypatch.setattr(facts_module, "facts_and_holdout", lambda *a, **k: asked.append("both") or real(*a, **k))
    rnd = run_round(path, _standard("bgnbd"), CUTOFF, store=False, check_model=False)
    assert asked == [] and rnd.meta["model_check"] == "skipped"
    run_round(path, _standard("bgnbd"), CUTOFF, store=False)
    assert asked == ["both"]


def test_a_check_year_before_every_customer_is_said_by_the_check_without_reading_it(tmp_path, monkeypatch):
    """Two years of data: auto's holdout (a third of the span) is read with the facts, and the
    check's calibration end (a year before the cutoff, with customers) by the check itself; with a
    cutoff under a year after the first purchase nobody is in the check's year: the check says why,
    as reading it says (a fresh model_check), without reading the transactions again."""
    from xuanba.rounds.run import model_check

    tx = simulate_transactions("pareto-nbd", 600, "2024-01-01", "2025-12-31", seed=5)
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.replace("transactions", tx)
    reads = _reads(monkeypatch)
    rnd = run_round(path, _standard("auto"), CUTOFF, store=False)
    assert rnd.meta["model_choice"]["holdout"]["days"] < 365 and reads == ["2024-12-31"]  # the check's year
    assert "error" not in rnd.tables["holdout"].info
    reads.clear()
    early = run_round(path, _standard("bgnbd"), "2024-06-30", store=False)
    assert reads == [] and "error" in early.tables["holdout"].info
    with Workspace(path, read_only=True) as ws:
        fresh = model_check(ws, "bgnbd", dt.date(2024, 6, 30), "week")
    assert reads == ["2023-07-01"] and early.tables["holdout"].info == fresh.info


def test_auto_fits_its_candidates_beside_the_check_as_each_would_be_fitted_alone(four_years, monkeypatch):
    """The candidates at the cutoff are fitted in a worker beside the holdout check: each fit is
    the one made alone (bit for bit), and a calibration table given for the check's window is
    used instead of read, with the same evaluation."""
    facts = customer_facts(four_years, CUTOFF)
    first_held = CUTOFF - dt.timedelta(days=365)
    table = calibration_holdout(four_years, first_held, CUTOFF, columns=list(CALIBRATION_COLUMNS))
    reads = _reads(monkeypatch)
    given = choose_model(four_years, CUTOFF, facts=facts, calibration=(first_held, table))
    assert reads == []
    read = choose_model(four_years, CUTOFF, facts=facts, calibration=(first_held - dt.timedelta(days=1), table))
    assert reads == [str(first_held)]  # a table of another window is not used
    assert given.candidates == read.candidates and given.model == read.model and given.reason == read.reason
    pd.testing.assert_frame_equal(given.evaluation.comparison, read.evaluation.comparison)
    pd.testing.assert_frame_equal(given.evaluation.predictions, read.evaluation.predictions)
    hist, _ = purchase_histories(facts)
    for name, model in given.fitted.items():
        alone = fit_model(name, hist, weights=hist[COUNT].to_numpy())
        assert np.array_equal(model.params_.to_numpy(), alone.params_.to_numpy()), name
        assert model.bic_ == alone.bic_


def test_an_evaluation_given_its_calibration_table_in_another_order_sorts_it(four_years):
    first_held = CUTOFF - dt.timedelta(days=365)
    table = calibration_holdout(four_years, first_held, CUTOFF, columns=list(CALIBRATION_COLUMNS))
    want = evaluate(four_years, first_held, CUTOFF, models=["bgnbd"], cumulative=False)
    shuffled = table.sample(frac=1.0, random_state=1)
    got = evaluate(four_years, first_held, CUTOFF, models=["bgnbd"], cumulative=False, calibration=shuffled)
    pd.testing.assert_frame_equal(got.predictions, want.predictions)
    pd.testing.assert_frame_equal(got.comparison, want.comparison)


def test_predictions_from_histories_grouped_already_equal_those_grouped_anew(four_years):
    facts = customer_facts(four_years, CUTOFF)
    histories = purchase_histories(facts)
    want = predict_customers(facts.copy(), model="pareto-nbd")
    got = predict_customers(facts, model="pareto-nbd", histories=histories)
    pd.testing.assert_frame_equal(got, want)
