"""A frame whose ids ascend scores with each row's number in the id's place (issue 16: the 10 M
round's sorts and kept tables lighter): the rank's last key is the row number, the ids stay out
of the engine's roster and kept table and are taken from the fields' rows after — unless a gate
or the capacity's budget reads them. Each case is compared with the pandas oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_standard_engine_roster import _same
from xuanba.standard import engine, engine_cache, load_standard, starter_standard
from xuanba.standard.score import score_customers


def _tied(n: int, seed: int = 3) -> pd.DataFrame:
    """Few distinct values: many customers share score, clv and revenue, so the id decides."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"customer_id": [f"c{i:05d}" for i in range(n)],
                         "revenue_365d": rng.integers(0, 3, n).astype(float) * 10,
                         "margin_365d": rng.integers(-1, 3, n).astype(float),
                         "clv_3y": rng.integers(0, 3, n).astype(float) * 100,
                         "cost_to_serve_365d": rng.integers(1, 5, n).astype(float),
                         "p_alive": rng.integers(0, 4, n) / 3.0})


def _spied(monkeypatch) -> dict[str, list]:
    """The columns of each roster streamed and of each kept table."""
    seen: dict[str, list] = {"streamed": [], "kept": []}
    stream, keep = engine_cache.stream, engine_cache.keep

    def streamed(expr, backend=None, batch_rows=None):
        seen["streamed"].append(list(expr.columns))
        return stream(expr, backend, batch_rows)

    def kept(expr, name, *, table=False, **numbered):
        seen["kept"].append(list(expr.columns))
        return keep(expr, name, table=table, **numbered)

    monkeypatch.setattr(engine_cache, "stream", streamed)
    monkeypatch.setattr(engine_cache, "keep", kept)
    return seen


@pytest.mark.parametrize("tables", [False, True])
def test_sorted_ids_stay_out_of_the_engine_and_ties_go_by_id(monkeypatch, tables):
    frame = _tied(4_000)
    std = load_standard(starter_standard("en"))
    want = score_customers(frame, std)
    if tables:  # the large base's path: kept results as temporary tables
        monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1_000)
    seen = _spied(monkeypatch)
    got = engine.score_in_engine(frame, std)
    _same(want.roster, got.roster)
    assert got.roster["customer_id"].tolist() == want.roster["customer_id"].tolist()
    assert frame["customer_id"].to_numpy()[got.order].tolist() == got.roster["customer_id"].tolist()
    assert seen["streamed"] and all("customer_id" not in cols and engine.ROW_COLUMN in cols
                                    for cols in seen["streamed"])
    assert seen["kept"] and all("customer_id" not in cols for cols in seen["kept"])
    # the same frame unsorted: the ids go through the engine and order the ties themselves
    seen["streamed"].clear()
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    again = engine.score_in_engine(shuffled, std)
    _same(want.roster, again.roster)
    assert seen["streamed"] and all("customer_id" in cols for cols in seen["streamed"])


@pytest.mark.parametrize("change", ["gate", "budget"])
def test_ids_read_by_a_gate_or_a_budget_go_through_the_engine(monkeypatch, change):
    frame = _tied(3_000, seed=5)
    text = starter_standard("en")
    if change == "gate":
        text += '\n[[gates]]\nname = "not_the_first"\nexpr = "customer_id != \'c00000\'"\n'
    else:
        text = text.replace("max_accounts = 500", 'max_accounts = 500\nbudget = 900\ncost_field = "cost_to_serve_365d"')
    std = load_standard(text)
    assert (std.capacity.budget is not None) == (change == "budget")
    want = score_customers(frame, std)
    seen = _spied(monkeypatch)
    got = engine.score_in_engine(frame, std)
    _same(want.roster, got.roster)
    assert got.info == want.info
    assert seen["streamed"] and all("customer_id" in cols for cols in seen["streamed"])


def test_a_roster_read_whole_gets_its_ids_back_too():
    """Without a collector the roster comes back as one Arrow table, its ids taken back from the
    fields' rows as the streamed one's are (no caller reads it so today; a roster without ids
    would be a silent hole)."""
    frame = _tied(2_000, seed=7)
    std = load_standard(starter_standard("en"))
    want = score_customers(frame, std).roster.sort_values("rank")
    out, _ = engine._in_engine(frame, std, "customer_id", selection_only=False)
    got = out.to_pandas().sort_values("rank")
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
