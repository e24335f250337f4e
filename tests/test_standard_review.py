"""What a review of the scoring code (issue 16) found, each reproduced: a missing customer id, more
gates than bits in a word, the greedy budget's tolerance on large sums."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import DataError
from xuanba.standard import load_standard, score_customers
from xuanba.standard.engine import score_in_engine

HEAD = '[standard]\nname = "t"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 1\n'


@pytest.mark.parametrize("score", [score_customers, score_in_engine], ids=["pandas", "engine"])
@pytest.mark.parametrize("missing", [None, np.nan], ids=["None", "NaN"])
def test_a_missing_customer_id_is_named_as_missing_not_as_a_duplicate(score, missing):
    frame = pd.DataFrame({"customer_id": ["a", missing, "c", missing], "revenue_365d": [1.0, 2.0, 3.0, 4.0]},
                         dtype=object).astype({"revenue_365d": float})
    with pytest.raises(DataError) as err:
        score(frame, load_standard(HEAD))
    assert err.value.message == "customer_id is missing in 2 row(s) of the fields"
    assert err.value.column == "customer_id" and "Give every row a customer_id" in err.value.fix
    assert "缺少 customer_id" in err.value.render("zh") and "请给每一行填上 customer_id" in err.value.render("zh")


@pytest.mark.parametrize("score", [score_customers, score_in_engine], ids=["pandas", "engine"])
def test_a_real_duplicate_is_still_named_with_its_id(score):
    frame = pd.DataFrame({"customer_id": ["a", "b", "b"], "revenue_365d": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="more than once") as err:
        score(frame, load_standard(HEAD))
    assert err.value.examples == ["b"] and err.value.count == 1


@pytest.mark.parametrize("n_gates", [3, 17, 70])
def test_every_failed_gate_is_named_whatever_the_number_of_gates(n_gates):
    """Gate g<i> holds when column v<i> is positive; each customer's failed gates, written out by
    hand, are what the roster names (17: past the table of 2**16 combinations; 70: past 64 bits)."""
    rng = np.random.default_rng(n_gates)
    n = 40
    values = rng.choice([-1.0, 1.0], size=(n, n_gates), p=[0.15, 0.85])
    values[0] = 1.0  # one customer passes every gate, one fails them all, one fails only the last
    values[1] = -1.0
    values[2] = 1.0
    values[2, -1] = -1.0
    frame = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(n)], "revenue_365d": rng.random(n),
                          **{f"v{i}": values[:, i] for i in range(n_gates)}})
    text = HEAD + "".join(f'[[gates]]\nname = "g{i}"\nexpr = "v{i} > 0"\n' for i in range(n_gates))
    standard = load_standard(text, extra_fields=[f"v{i}" for i in range(n_gates)])
    roster = score_customers(frame, standard).roster.set_index("customer_id")
    want = {f"c{i:02d}": "; ".join(f"g{j}" for j in range(n_gates) if values[i, j] < 0) for i in range(n)}
    assert roster["gates_failed"].to_dict() == want
    assert want["c00"] == "" and want["c02"] == f"g{n_gates - 1}" and want["c01"].count(";") == n_gates - 1
    assert (roster["gates_failed"] != "").sum() == int((values < 0).any(axis=1).sum())
    engine = score_in_engine(frame, standard).roster.set_index("customer_id")
    assert engine["gates_failed"].to_dict() == want


# seven costs in cents whose exact total is the budget; added in this order as doubles they pass
# it by 3.7e-9 (two steps of a double near 1.3e7), more than an absolute 1e-9 allows
COSTS = [1478738.88, 2583377.72, 2752968.46, 1158599.42, 1117136.06, 2342526.63, 1672234.12]
BUDGET = 13105581.29


def test_the_round_off_of_the_budgets_running_sum_is_relative_to_the_budget():
    from xuanba.standard.score import budget_limit, knapsack

    running = 0.0
    for c in COSTS:
        running += c
    assert running - BUDGET > 1e-9  # what made the last item "not fit" by an absolute tolerance
    values = np.array(COSTS) * np.arange(len(COSTS), 0, -1)  # value per cost falls: taken in this order
    chosen, how = knapsack(values, np.array(COSTS), BUDGET)  # the exact knapsack (HiGHS) agrees
    assert how == "exact" and chosen.tolist() == list(range(len(COSTS)))
    import xuanba.standard.score as score

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(score, "EXACT_KNAPSACK_MAX", 1)
        chosen, how = knapsack(values, np.array(COSTS), BUDGET)
    assert how == "greedy" and chosen.tolist() == list(range(len(COSTS)))
    # the tolerance stays far below a cent, and at 1e-9 for a small budget
    assert 3.7e-9 < budget_limit(BUDGET) - BUDGET < 1e-4 and budget_limit(10.0) - 10.0 == pytest.approx(1e-9)
    with pytest.MonkeyPatch.context() as mp:  # one more cent than the budget does not fit
        mp.setattr(score, "EXACT_KNAPSACK_MAX", 1)
        chosen, _ = knapsack(values, np.array([*COSTS[:-1], COSTS[-1] + 0.01]), BUDGET)
    assert chosen.tolist() == list(range(len(COSTS) - 1))


@pytest.mark.parametrize("budget", [BUDGET, BUDGET - 0.01], ids=["exactly the costs", "a cent short"])
def test_the_engines_greedy_budget_takes_what_the_pandas_greedy_takes(budget, monkeypatch):
    """One more customer (cost 1, worth least) makes the budget bind; the engine's running sum
    (a window in DuckDB) and the pandas loop take the same customers."""
    import xuanba.standard.score as score

    monkeypatch.setattr(score, "EXACT_KNAPSACK_MAX", 1)
    costs = [*COSTS, 1.0]
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(costs))],
                          "a": np.arange(len(costs), 0, -1, dtype=float), "cost": costs,
                          "worth": np.array(costs) * np.arange(len(costs), 0, -1)})
    frame.loc[len(costs) - 1, "worth"] = 0.5  # value per cost 0.5: last in the greedy order
    text = (HEAD.replace('field = "revenue_365d"', 'field = "a"') + '[[tiers]]\nname = "A"\nmin_score = 0\n'
            f'[capacity]\ncost_field = "cost"\nbudget = {budget}\nobjective = "worth"\n')
    standard = load_standard(text, extra_fields=["a", "cost", "worth"])
    want = score_customers(frame, standard)
    got = score_in_engine(frame, standard)
    assert want.info["capacity_method"] == got.info["capacity_method"] == "greedy"
    taken = want.roster.set_index("customer_id")["selected"].sort_index()
    assert taken.tolist() == ([True] * 7 + [False] if budget == BUDGET else [True] * 6 + [False, True])
    assert got.roster.set_index("customer_id")["selected"].sort_index().equals(taken)


class _Frame:
    """A kept Spark frame as far as keeping goes: it can be unpersisted."""

    def __init__(self) -> None:
        self.unpersisted = False

    def unpersist(self) -> None:
        self.unpersisted = True


def test_a_calls_kept_tables_are_its_own_whoever_releases(monkeypatch):
    """What a block keeps is dropped when it ends, returning or failing, and by nobody else:
    not by an inner block, not by release(backend) for what was kept outside any block, and not
    from another thread (on Spark itself: tests/test_standard_engine_spark.py)."""
    import threading
    from types import SimpleNamespace

    from xuanba.standard import engine_spark
    from xuanba.standard.engine_spark import _kept_frames, kept_for_call, release

    monkeypatch.setattr(engine_spark, "drop", lambda frame: frame.unpersist())
    backend = SimpleNamespace()
    outside = _Frame()
    _kept_frames(backend).append(outside)
    with kept_for_call() as mine:
        a = _Frame()
        _kept_frames(backend).append(a)
        with pytest.raises(RuntimeError), kept_for_call():
            b = _Frame()
            _kept_frames(backend).append(b)
            raise RuntimeError("scoring failed")
        assert b.unpersisted and not a.unpersisted and mine == [a]
        release(backend)  # another scoring's release on the same backend
        assert outside.unpersisted and not a.unpersisted
        seen = []
        worker = threading.Thread(target=lambda: seen.append(_kept_frames(backend)))
        worker.start()
        worker.join()
        assert seen[0] is not mine  # another thread keeps on the backend's list, not in this block
    assert a.unpersisted and mine == []


def test_dropping_kept_tables_tries_every_one_and_never_hides_the_blocks_error(monkeypatch):
    """A drop that fails (a JVM gone) neither skips the other frames nor replaces the error that
    ended the block; with no such error, the first failure is raised."""
    from xuanba.standard import engine_spark
    from xuanba.standard.engine_spark import _kept_frames, kept_for_call

    def drop(frame):
        frame.unpersist()
        if getattr(frame, "broken", False):
            raise RuntimeError("py4j: connection refused")

    monkeypatch.setattr(engine_spark, "drop", drop)
    backend = SimpleNamespace()
    frames = [_Frame() for _ in range(3)]
    frames[1].broken = True
    with pytest.raises(ValueError, match="the scoring's own"), kept_for_call():
        _kept_frames(backend).extend(frames)
        raise ValueError("the scoring's own error")
    assert all(f.unpersisted for f in frames)
    again = [_Frame() for _ in range(3)]
    again[0].broken = True
    with pytest.raises(RuntimeError, match="connection refused"), kept_for_call():
        _kept_frames(backend).extend(again)
    assert all(f.unpersisted for f in again)


def test_from_arrow_lists_each_chunk_as_it_is_kept(monkeypatch):
    """A chunk failing half-way leaves the chunks already kept owned by the block (dropped with
    it), not kept by Spark until the session ends."""
    import pyarrow as pa

    from xuanba.standard import engine_spark
    from xuanba.standard.engine_spark import from_arrow, kept_for_call

    made: list[_Frame] = []

    def computed_once(part, eager=True):
        if len(made) == 2:
            raise RuntimeError("executor lost")
        made.append(_Frame())
        return made[-1]

    monkeypatch.setattr(engine_spark, "_computed_once", computed_once)
    monkeypatch.setattr(engine_spark, "drop", lambda frame: frame.unpersist())
    backend = SimpleNamespace(_session=SimpleNamespace(createDataFrame=lambda data: data))
    with pytest.raises(RuntimeError, match="executor lost"), kept_for_call() as mine:
        from_arrow(backend, pa.table({"x": list(range(10))}), chunk=3)
    assert len(made) == 2 and all(f.unpersisted for f in made) and mine == []


def test_autos_worker_threads_keep_in_the_callers_block():
    """The holdout check and the fits run in worker threads; what they keep on Spark must belong
    to the caller's kept_for_call block (a thread starts with an empty context otherwise)."""
    from concurrent.futures import ThreadPoolExecutor

    from xuanba.models.choose import _submit
    from xuanba.standard.engine_spark import _kept_frames, kept_for_call

    backend = SimpleNamespace()
    with kept_for_call() as mine, ThreadPoolExecutor(max_workers=2) as pool:
        seen = [_submit(pool, _kept_frames, backend).result() for _ in range(2)]
    assert all(s is mine for s in seen) and getattr(backend, "_xuanba_sorted", None) is None
