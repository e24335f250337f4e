"""predict_customers (what the rounds stage calls), discounted customer value, and the
predict/fit library functions the CLI shells over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import InputError, SchemaError
from xuanba.facts import customer_facts
from xuanba.models import BGNBD, GammaGamma
from xuanba.models.predict import (
    PREDICTION_COLUMNS,
    fit_model,
    predict_customers,
    predict_table,
    read_facts,
)
from xuanba.models.value import customer_value
from xuanba.tables import write_table


@pytest.fixture(scope="module")
def transactions(test_data):
    tx = pd.read_parquet(test_data / "cdnow_sample.parquet").rename(columns={"timestamp": "ts"})
    return tx.loc[tx["ts"] <= "1997-09-30", ["customer_id", "ts", "amount"]]


@pytest.fixture(scope="module")
def weekly(transactions):
    return customer_facts(transactions, "1997-09-30", time_unit="week")


@pytest.fixture(scope="module")
def predicted(weekly):
    return predict_customers(weekly, time_unit="week", return_models=True)


def test_predict_customers_on_cdnow_facts(weekly, predicted):
    out, models = predicted
    assert list(out.columns) == list(PREDICTION_COLUMNS)
    assert out["customer_id"].tolist() == weekly["customer_id"].tolist()
    purchases, spend = models["purchases"], models["spend"]
    assert isinstance(purchases, BGNBD) and isinstance(spend, GammaGamma)
    assert purchases.time_unit == "week"
    # the fitted models are the published CDNOW ones (FHL 2005: r=0.243 ...; GG p=6.25 ...)
    assert f"{purchases.params_['r']:.3g}" == "0.243" and f"{spend.params_['p']:.3g}" == "6.25"
    np.testing.assert_allclose(out["p_alive"], purchases.probability_alive(weekly).to_numpy())
    np.testing.assert_allclose(out["expected_purchases_1y"], purchases.expected_purchases(weekly, 365.25 / 7).to_numpy())
    np.testing.assert_allclose(out["churn_90d"], purchases.probability_no_purchase(weekly, 90 / 7).to_numpy())
    assert out["spend_basis"].value_counts().to_dict() == {
        "population mean: no repeat purchase": 1411, "own history": 946,
    }
    no_repeat = out["spend_basis"] != "own history"
    assert out.loc[no_repeat, "expected_spend"].to_numpy() == pytest.approx(spend.mean_spend())
    assert (out["clv_3y"] > out["clv_1y"]).all() and (out["clv_1y"] > 0).all()
    assert out[["p_alive", "churn_90d"]].apply(lambda c: c.between(0, 1).all()).all()


def test_predict_customers_same_in_days_and_weeks(transactions, predicted):
    """The same customers measured in days give the same yearly figures as in weeks."""
    daily = customer_facts(transactions, "1997-09-30", time_unit="day")
    by_day = predict_customers(daily, time_unit="day")
    by_week = predicted[0]
    for col in ("p_alive", "expected_purchases_1y", "expected_spend", "clv_1y", "clv_3y", "churn_90d"):
        np.testing.assert_allclose(by_day[col], by_week[col], rtol=2e-5, atol=1e-9, err_msg=col)


def test_customer_value_without_discount_telescopes(predicted, weekly):
    """At a 0% rate the monthly increments add up to E[Y(horizon)] x spend x margin."""
    _, models = predicted
    m, g = models["purchases"], models["spend"]
    head = weekly.head(30)
    value = customer_value(m, g, head, horizon_years=2, discount_rate=0.0, margin=0.4)
    expected = 0.4 * g.expected_spend(head) * m.expected_purchases(head, 2 * 365.25 / 7)
    np.testing.assert_allclose(value.to_numpy(), expected.to_numpy(), rtol=1e-10)
    assert value.index.tolist() == head["customer_id"].tolist()


def test_customer_value_matches_a_month_by_month_sum(predicted, weekly):
    _, models = predicted
    m, g = models["purchases"], models["spend"]
    head = weekly.head(12)
    rate, years = 0.10, 3
    value = customer_value(m, g, head, horizon_years=years, discount_rate=rate)
    brute = np.zeros(len(head))
    previous = np.zeros(len(head))
    for k in range(1, 12 * years + 1):
        now = m.expected_purchases(head, k / 12 * 365.25 / 7).to_numpy()
        brute += (now - previous) / (1 + rate) ** (k / 12)
        previous = now
    brute *= g.expected_spend(head).to_numpy()
    np.testing.assert_allclose(value.to_numpy(), brute, rtol=1e-10)
    lower = customer_value(m, g, head, horizon_years=years, discount_rate=0.3)
    assert (lower.to_numpy() < value.to_numpy()).all()


def test_customer_value_refuses_bad_options(predicted, weekly):
    _, models = predicted
    m, g = models["purchases"], models["spend"]
    with pytest.raises(InputError, match="outside 1..5 years"):
        customer_value(m, g, weekly, horizon_years=8)
    with pytest.raises(InputError, match="fitted on facts in weeks"):
        customer_value(m, g, weekly, time_unit="day")


def test_predict_customers_refuses_incomplete_facts(weekly):
    with pytest.raises(SchemaError, match="monetary_value"):
        predict_customers(weekly.drop(columns="monetary_value"))
    with pytest.raises(InputError, match="not a purchase model"):
        predict_customers(weekly, model="gamma-gamma")
    with pytest.raises(InputError, match="time unit"):
        predict_customers(weekly, time_unit="fortnight")


def test_predict_customers_with_mbgnbd(weekly):
    out, models = predict_customers(weekly, model="mbgnbd", return_models=True)
    assert type(models["purchases"]).__name__ == "MBGNBD"
    assert out["p_alive"].between(0, 1).all() and (out["p_alive"] < 1).all()


def test_fit_model_and_predict_table_convert_units(weekly):
    model = fit_model("bgnbd", weekly, time_unit="week")
    in_days = predict_table(model, weekly, horizon=28, unit="day")
    in_weeks = predict_table(model, weekly, horizon=4, unit="week")
    pd.testing.assert_frame_equal(in_days, in_weeks)
    assert list(in_days.columns) == ["customer_id", "p_alive", "expected_purchases", "p_no_purchase"]
    spend = predict_table(fit_model("gamma-gamma", weekly), weekly, horizon=1, interval=0.9)
    assert list(spend.columns) == ["customer_id", "expected_spend", "expected_spend_lower", "expected_spend_upper"]
    with pytest.raises(InputError, match="unknown model"):
        fit_model("lifetimes", weekly)


def test_read_facts_keeps_text_ids(weekly, tmp_path):
    for suffix in (".csv", ".parquet"):
        path = write_table(weekly.head(5), tmp_path / f"facts{suffix}")
        back = read_facts(path)
        assert back["customer_id"].tolist() == ["0001", "0002", "0003", "0004", "0005"]
    with pytest.raises(InputError, match="does not exist"):
        read_facts(tmp_path / "missing.csv")


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto-nbd"])
def test_fit_on_distinct_histories_equals_fit_on_every_customer(weekly, name):
    """Compress, fit, expand: the CDNOW facts compressed to their distinct (frequency, recency, T)
    with customer counts as weights give the estimates of the fit on every customer (1e-6), a
    log-likelihood equal to the per-customer terms summed without compression, and predictions
    that, gathered back, equal the per-customer ones."""
    from xuanba.models.predict import COUNT, purchase_histories

    hist, inverse = purchase_histories(weekly)
    assert hist[COUNT].sum() == len(weekly) and len(hist) < len(weekly)
    every = fit_model(name, weekly)
    weighted = fit_model(name, hist, weights=hist[COUNT].to_numpy())
    np.testing.assert_allclose(weighted.params_, every.params_, rtol=1e-6)
    rows = {c: weekly[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")}
    brute = float(np.sum(every._loglik_terms(every.params_.to_numpy(), rows)))
    assert weighted.loglik_ == pytest.approx(brute, rel=1e-9)
    gathered = weighted.probability_alive(hist).to_numpy()[inverse]
    np.testing.assert_allclose(gathered, every.probability_alive(weekly).to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto-nbd"])
def test_history_predictions_equal_the_public_methods_bit_for_bit(weekly, name):
    """The predictions of the distinct histories, computed on one set of arrays, are the public
    methods' answers on the same histories, value for value (not approximately): a round stores
    what predict_customers gives, so taking the shorter road must not move a bit."""
    from xuanba.models.predict import COUNT, history_predictions, purchase_histories
    from xuanba.models.value import discounted_purchases

    hist, _ = purchase_histories(weekly)
    model = fit_model(name, hist, weights=hist[COUNT].to_numpy())
    per = history_predictions(model, hist, time_unit="week", discount_rate=0.1)
    np.testing.assert_array_equal(per["p_alive"], model.probability_alive(hist).to_numpy())
    np.testing.assert_array_equal(per["expected_purchases_1y"], model.expected_purchases(hist, 365.25 / 7).to_numpy())
    np.testing.assert_array_equal(per["churn_90d"], model.probability_no_purchase(hist, 90 / 7).to_numpy())
    one, three = discounted_purchases(model, hist, [1, 3], discount_rate=0.1, time_unit="week")
    np.testing.assert_array_equal(per["discounted_1y"], one)
    np.testing.assert_array_equal(per["discounted_3y"], three)


def test_predict_customers_computes_pareto_p_alive_once(weekly, monkeypatch):
    """P(alive), two tail integrals per history and the costly part of every Pareto/NBD
    prediction, is computed once for the four predictions that multiply by it."""
    from xuanba.models import ParetoNBD

    calls: list[int] = []
    alive = ParetoNBD._alive

    def counted(p, h):
        calls.append(len(h["frequency"]))
        return alive(p, h)

    monkeypatch.setattr(ParetoNBD, "_alive", staticmethod(counted))
    out = predict_customers(weekly, time_unit="week", model="pareto-nbd")
    assert len(calls) == 1 and calls[0] == len(weekly.drop_duplicates(["frequency", "recency", "T"]))
    assert out["p_alive"].between(0, 1).all()


def test_spend_basis_is_the_reason_the_spend_model_left_each_customer_out(weekly):
    """spend_basis, built from the two exclusion masks, says for every customer what the fitted
    Gamma-Gamma's own list of left-out customers says (joined by id here, as it was before),
    on facts with refunds (zero and negative mean spend) and ids in any order."""
    facts = weekly.sample(frac=1.0, random_state=3).reset_index(drop=True)
    repeat = facts.index[facts["frequency"] > 0]
    facts.loc[repeat[:7], "monetary_value"] = 0.0
    facts.loc[repeat[7:12], "monetary_value"] = -12.5
    out, models = predict_customers(facts, time_unit="week", return_models=True)
    excluded = models["spend"].excluded_.set_index("customer_id")["reason"].astype(str)
    want = ("population mean: " + facts["customer_id"].map(excluded)).fillna("own history")
    assert out["spend_basis"].tolist() == want.tolist()
    assert out["spend_basis"].dtype == pd.Series(["x"]).dtype  # pandas' own text column
    assert (out["spend_basis"] == "population mean: zero or negative spend").sum() == 12
    assert out["customer_id"].tolist() == facts["customer_id"].tolist()


def test_predict_customers_without_a_spend_model_says_why_for_everyone(weekly):
    few = weekly.assign(monetary_value=0.0)  # refunds netted everything away: nothing to fit spend on
    few.loc[few.index[few["frequency"] > 0][0], "monetary_value"] = 10.0
    out = predict_customers(few, time_unit="week", spend_optional=True)
    assert out["spend_basis"].nunique() == 1 and out["spend_basis"].iloc[0].startswith("unavailable: ")
    assert out["expected_spend"].isna().all() and out["clv_1y"].isna().all()


def test_prediction_table_owns_its_columns():
    """predict_customers builds its table from its columns as they are (no copy into one block):
    each is its own and writable, so writing into the table changes neither the facts (integer
    ids included) nor a second prediction."""
    rng = np.random.default_rng(2)
    n = 2000
    lam, life, big_t = rng.gamma(0.5, 0.2, n), rng.exponential(30, n), rng.uniform(20, 52, n)
    x = rng.poisson(lam * np.minimum(life, big_t))
    facts = pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "T": big_t,
                          "recency": np.where(x > 0, np.minimum(life, big_t) * rng.beta(x + 1e-9, 1), 0.0),
                          "monetary_value": np.where(x > 0, rng.gamma(6, 5, n), 0.0)})
    kept = facts.copy()
    out = predict_customers(facts, time_unit="week")
    again = predict_customers(facts, time_unit="week")
    for col in out.columns.drop("spend_basis"):
        out.loc[out.index[:5], col] = -1
    pd.testing.assert_frame_equal(facts, kept)
    pd.testing.assert_frame_equal(out.iloc[5:], again.iloc[5:])
    assert (out.iloc[:5, 1] == -1).all()


def test_predict_customers_horizons_on_two_threads_give_the_one_thread_numbers(weekly, monkeypatch):
    """BG/NBD's discounted horizons run half on another thread: the table is the one computed on a
    single thread, bit for bit, even with the caller's half held back so the other thread ends
    first, and the work did run on two threads (a round stores what this gives: a moved bit would
    be a changed round). The spend stays on the caller's thread: Python 3.11's warnings filters
    are the process's, and pandas' own ``catch_warnings`` on another thread would hide a fit's
    warning from the round's list (review35a)."""
    import threading
    import time

    import xuanba.models._purchases as purchases_module
    from xuanba.models.bgnbd import _BetaGeometricNBD

    monkeypatch.setattr(purchases_module, "TWO_THREADS_WORK", 1 << 60)  # every column here
    alone = predict_customers(weekly, time_unit="week")
    threads: set[int] = set()
    expected_alive = _BetaGeometricNBD._expected_alive
    caller = threading.get_ident()

    def column(self, *args):
        threads.add(threading.get_ident())
        if threading.get_ident() == caller:
            time.sleep(0.01)
        return expected_alive(self, *args)

    monkeypatch.setattr(purchases_module, "TWO_THREADS_WORK", 0)  # the horizons on two threads
    monkeypatch.setattr(_BetaGeometricNBD, "_expected_alive", column)
    both = predict_customers(weekly, time_unit="week")
    pd.testing.assert_frame_equal(both, alone, check_exact=True)
    assert len(threads) == 2 and caller in threads


def test_in_two_threads_keeps_order_errstate_and_the_first_error():
    """in_two_threads gives the columns in order, its other thread works under the caller's
    NumPy error state (else a round's warnings would change with the thread), and the error
    raised is the first column's, as one column after the other would raise it."""
    from xuanba.models._purchases import in_two_threads

    with np.errstate(divide="raise", over="ignore"):
        got = in_two_threads(lambda a: (a, np.geterr()["divide"], np.geterr()["over"]), list(range(6)), work=1 << 40)
    assert got == [(a, "raise", "ignore") for a in range(6)]

    def fail(a):
        if a in (1, 4):
            raise ValueError(f"column {a}")
        return a

    with pytest.raises(ValueError, match="column 1"):
        in_two_threads(fail, list(range(6)), work=1 << 40)
