"""The roster streamed from DuckDB and placed by rank, the kept results of a large base as
temporary tables within a lowered memory limit, and the facts read in batches (issue 16: the
10 M-customer round under 8 GB).

A large base is made small here by lowering the thresholds (``KEEP_IN_TABLES_ROWS``, the batch
sizes): each path is then compared with the other and with the pandas oracle.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests._helpers import demo_copy, random_purchases, store
from tests.test_standard_engine_roster import _same
from xuanba import Workspace
from xuanba.standard import engine, engine_cache, load_standard, starter_standard
from xuanba.standard.score import contribution_parts, score_customers


def _fields(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    margin = np.round(rng.normal(30, 50, n), 2)
    margin[rng.uniform(size=n) < 0.1] = np.nan  # the median fills these
    return pd.DataFrame({"customer_id": [f"k{i:06d}" for i in range(n)],
                         "revenue_365d": np.round(rng.gamma(1, 100, n) * (rng.uniform(size=n) < 0.6), 0),
                         "margin_365d": margin, "clv_3y": rng.gamma(2, 100, n).round(1),
                         "p_alive": rng.uniform(0, 1, n).round(3)})


def _limit(con) -> str:
    return str(con.con.sql("SELECT current_setting('memory_limit')").fetchone()[0])


def _kept_tables(con) -> list[str]:
    return [r[0] for r in con.con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


def test_a_base_above_the_threshold_keeps_tables_within_the_scoring_limit_and_scores_the_same(monkeypatch):
    """Above a lowered ``KEEP_IN_TABLES_ROWS`` the kept results are temporary tables (dropped
    after), the in-memory DuckDB scores within ``SCORING_MEMORY`` (put back after), and the roster,
    counts and contributions are those below the threshold and the pandas oracle's."""
    frame = _fields(3_000)
    std = load_standard(starter_standard("en"))
    want = score_customers(frame, std)
    below = engine.score_in_engine(frame, std)
    con = engine._LOCAL[0]
    before = _limit(con)
    seen: dict[str, list] = {"tables": [], "limits": []}
    keep = engine_cache.keep

    def spy(expr, name, *, table=False, **numbered):
        got = keep(expr, name, table=table, **numbered)
        seen["tables"].append(table)
        seen["limits"].append(_limit(con))
        assert (name in _kept_tables(con)) == table
        return got

    stream = engine_cache.stream

    def streamed(expr, backend=None, batch_rows=None):  # the limit while the roster is read
        seen["streamed"] = _limit(con)  # (read before: a query on the connection ends a stream)
        return stream(expr, backend, batch_rows)

    monkeypatch.setattr(engine_cache, "keep", spy)
    monkeypatch.setattr(engine_cache, "stream", streamed)
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 2_000)
    monkeypatch.setattr(engine, "KEEP_MEMORY", 400 * 2**20)
    monkeypatch.setattr(engine, "SCORING_MEMORY", 300 * 2**20)
    above = engine.score_in_engine(frame, std)
    assert seen["tables"] and all(seen["tables"]), seen
    # the kept results within KEEP_MEMORY, the roster streamed within SCORING_MEMORY
    assert set(seen["limits"]) == {"400.0 MiB"} and seen.pop("streamed") == "300.0 MiB"
    assert _limit(con) == before and not _kept_tables(con)  # as it was, nothing left behind
    for got in (below, above):
        _same(want.roster, got.roster)
        assert got.info == want.info
        np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)
    pd.testing.assert_frame_equal(above.roster, below.roster)
    np.testing.assert_array_equal(above.order, below.order)
    # under the threshold again: Arrow, the limit untouched
    seen["tables"].clear()
    seen["limits"].clear()
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 3_001)
    engine.score_in_engine(frame, std)
    assert seen["tables"] and not any(seen["tables"])
    assert set(seen["limits"]) == {before} and seen["streamed"] == before


def test_the_roster_streamed_in_small_batches_is_placed_by_rank(monkeypatch):
    """Batches of 97 rows, each placed at its ranks as it comes: the roster is the oracle's, each
    row's ``Scored.order`` is its row in the fields, and the raw values are the contributions'
    own arrays (no copy)."""
    frame = _fields(2_500, seed=11)
    std = load_standard(starter_standard("en"))
    sizes: list[int] = []
    stream = engine_cache.stream

    def counted(expr, backend=None, batch_rows=None):
        reader = stream(expr, backend, batch_rows)

        def batches():
            for b in reader:
                sizes.append(b.num_rows)
                yield b

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    monkeypatch.setattr(engine_cache, "BATCH_ROWS", 97)
    monkeypatch.setattr(engine_cache, "stream", counted)
    got, want = engine.score_in_engine(frame, std), score_customers(frame, std)
    assert len(sizes) >= 2_500 // 97 and max(sizes) <= 97 and sum(sizes) == 2_500
    _same(want.roster, got.roster)
    np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)
    assert got.order is not None
    assert frame["customer_id"].to_numpy()[got.order].tolist() == got.roster["customer_id"].tolist()
    np.testing.assert_array_equal(got.order, want.order)
    parts = contribution_parts(got)
    for j, c in enumerate(std.criteria):
        assert np.shares_memory(got.roster[c.name].to_numpy(), parts.raw[:, j]), c.name
    pd.testing.assert_frame_equal(got.contributions, want.contributions, check_exact=False, atol=1e-9)


def test_by_rank_places_each_batch_and_refuses_ranks_that_are_not_a_permutation():
    from xuanba.standard.engine_rank import by_rank

    rng = np.random.default_rng(2)
    n = 1_000
    rank = rng.permutation(n) + 1
    x = rng.normal(size=n)
    x[::7] = np.nan
    ids = [f"c{r:04d}" for r in rank]
    whole = pa.table({"rank": rank, "x": pa.array(x, from_pandas=True), "ok": rank % 3 == 0, "id": ids})
    into = {"x": np.full(n, -1.0)}
    got = by_rank(whole.to_batches(max_chunksize=33), n, {"rank": "int64", "x": "float64", "ok": "bool", "id": "text"},
                  into=into)
    order = np.argsort(rank)
    assert got["rank"].tolist() == list(range(1, n + 1))
    np.testing.assert_array_equal(got["x"], x[order])
    assert got["x"] is into["x"]
    assert got["ok"].tolist() == ((np.arange(1, n + 1) % 3) == 0).tolist()
    assert got["id"].to_pylist() == [f"c{r:04d}" for r in range(1, n + 1)]
    twice = pa.table({"rank": [1, 1]})
    with pytest.raises(ValueError, match="ranks"):
        by_rank(twice.to_batches(), 2, {"rank": "int64"})
    with pytest.raises(ValueError, match="outside"):
        by_rank(pa.table({"rank": [1, 3]}).to_batches(), 2, {"rank": "int64"})


def test_by_rank_places_a_batch_while_the_next_one_is_made_and_passes_on_failures():
    # the engine makes a batch on the caller's thread while the one before is placed (issue 16:
    # the 10 M roster's placing, 3 s of CPU, beside the engine's query on the core the saver left)
    from xuanba.standard.engine_rank import by_rank

    n, size = 60, 20
    whole = pa.table({"rank": np.arange(n, 0, -1), "x": np.arange(n, dtype=float)})
    asked = [threading.Event() for _ in range(n // size + 1)]  # the k-th batch asked of the engine
    overlapped: dict[int, bool] = {}

    class Batch:  # a record batch whose placing waits (a while) for the next batch to be asked for
        def __init__(self, k: int):
            self.k, self.batch = k, whole.slice(k * size, size).to_batches()[0]
            self.num_rows = self.batch.num_rows

        def column(self, name: str):
            if self.k not in overlapped:
                overlapped[self.k] = asked[self.k + 1].wait(timeout=2)
            return self.batch.column(name)

    def made():
        for k in range(n // size):
            asked[k].set()
            yield Batch(k)
        asked[n // size].set()

    got = by_rank(made(), n, {"rank": "int64", "x": "float64"})
    np.testing.assert_array_equal(got["x"], np.arange(n, dtype=float)[::-1])
    assert overlapped == {k: True for k in range(n // size)}

    def failing():
        yield whole.slice(0, size).to_batches()[0]
        raise RuntimeError("the engine failed")

    with pytest.raises(RuntimeError, match="engine failed"):
        by_rank(failing(), n, {"rank": "int64", "x": "float64"})
    bad = pa.table({"rank": [1, 5], "x": [0.0, 1.0]}).to_batches()[0]
    with pytest.raises(ValueError, match="outside"):  # a batch placed wrong, the next one made meanwhile
        by_rank(iter([bad, whole.slice(0, 2).to_batches()[0]]), 2, {"rank": "int64", "x": "float64"})
    assert not [t for t in threading.enumerate() if t.name.startswith("by_rank")]


@pytest.mark.parametrize("limit", ["KEEP_MEMORY", "SCORING_MEMORY"])
def test_a_round_out_of_the_scoring_limit_says_so_and_puts_the_limit_back(monkeypatch, demo_built, tmp_path_factory,
                                                                         limit):
    """The temporary-table path with its limit at half a megabyte, while the kept results are made
    or while the roster streams: the round stops with the scoring's limit and the environment
    variable that raises it, ``XUANBA_SCORING_MEMORY`` (raising ``XUANBA_MEMORY_LIMIT`` would not
    help), in both languages (exit 5, no traceback); the in-memory DuckDB's own limit is as it was.
    With ``XUANBA_SCORING_MEMORY`` set, the same round runs and is stored."""
    from xuanba.cli import app

    out, _ = demo_copy(demo_built, tmp_path_factory)
    from xuanba import workspace as wsmod

    monkeypatch.setattr(engine, "_LOCAL", [])  # made afresh by the round, under a limit of 2 GB
    monkeypatch.setenv(wsmod.MEMORY_ENV, "2GB")
    monkeypatch.delenv(engine.SCORING_MEMORY_ENV, raising=False)
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    monkeypatch.setattr(engine, limit, 512_000)
    args = ["round", "-s", str(out / "standard.toml"), "--cutoff", "2026-06-30", "-w", str(out / "xuanba.duckdb")]
    for lang, words in (("en", "Give the scoring more"), ("zh", "给评分更多内存")):
        res = CliRunner().invoke(app, [*args, "--lang", lang])
        assert res.exit_code == 5, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        assert "Traceback" not in res.output and "XUANBA_SCORING_MEMORY=4GB" in res.output and words in res.output
        assert "500.0 KiB" in res.output  # the scoring limit it ran out of, as DuckDB names it
        assert _limit(engine._LOCAL[0]) == "1.8 GiB"  # 2 GB as it was set
        assert not engine._LOCAL[0].__dict__.get("_xuanba_lowered")
    monkeypatch.setenv(engine.SCORING_MEMORY_ENV, "600MB")
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert _limit(engine._LOCAL[0]) == "1.8 GiB"


def test_a_round_out_of_a_memory_limit_it_was_opened_with_names_that_limit(monkeypatch, demo_built,
                                                                           tmp_path_factory):
    """A large base whose ``XUANBA_MEMORY_LIMIT`` is under the scoring's own limits: xuanba lowers
    nothing, so running out is the user's limit, and the advice names it (not the scoring's)."""
    from xuanba.cli import app

    out, _ = demo_copy(demo_built, tmp_path_factory)
    from xuanba import workspace as wsmod

    monkeypatch.setattr(engine, "_LOCAL", [])
    monkeypatch.setenv(wsmod.MEMORY_ENV, "512KB")
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    res = CliRunner().invoke(app, ["round", "-s", str(out / "standard.toml"), "--cutoff", "2026-06-30",
                                   "-w", str(out / "xuanba.duckdb")])
    assert res.exit_code == 5, res.output
    assert "XUANBA_MEMORY_LIMIT=8GB" in res.output and "XUANBA_SCORING_MEMORY" not in res.output


@pytest.mark.parametrize("value", ["lots", "0GB", "-1GB"])
def test_a_scoring_memory_that_is_not_a_size_is_refused_with_the_fix(monkeypatch, value):
    """``XUANBA_SCORING_MEMORY`` that is not a size stops a large base's scoring with the variable,
    its value and sizes that work (exit 2), not DuckDB's error; a small base never reads it."""
    from xuanba.errors import InputError

    monkeypatch.setenv(engine.SCORING_MEMORY_ENV, value)
    std = load_standard(starter_standard("en"))
    f = _fields(200)
    engine.score_in_engine(f, std)  # under KEEP_IN_TABLES_ROWS: not read
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    with pytest.raises(InputError) as err:
        engine.score_in_engine(f, std)
    assert err.value.exit_code == 2 and "XUANBA_SCORING_MEMORY" in err.value.message and value in err.value.message
    assert "XUANBA_SCORING_MEMORY=4GB" in str(err.value.fix)


def test_the_facts_are_read_in_batches_and_are_the_same(monkeypatch, tmp_path):
    """DuckDB's facts read in batches of 1,000 rows (not its whole result at once): the same frame."""
    from xuanba.facts import compute, customer_facts

    tx = random_purchases(5_000, 4, seed=4)
    chunks: list[int] = []
    to_pandas = compute._to_pandas

    def spy(table):
        chunks.append(table.column(0).num_chunks)
        return to_pandas(table)

    with Workspace(tmp_path / "w.duckdb") as ws:
        store(ws, "transactions", tx)
        whole = customer_facts(ws, "2026-06-30")
        monkeypatch.setattr(compute, "BATCH_ROWS", 1_000)
        monkeypatch.setattr(compute, "_to_pandas", spy)
        batched = customer_facts(ws, "2026-06-30")
    assert chunks and max(chunks) >= len(batched) // 1_000
    pd.testing.assert_frame_equal(batched, whole)

@pytest.mark.parametrize("value", ["4 GB", "4gb", "4GiB", "4G", "4.GB"])
def test_a_scoring_memory_duckdb_takes_is_taken(monkeypatch, value):
    """``XUANBA_SCORING_MEMORY`` takes the sizes DuckDB takes (as ``XUANBA_MEMORY_LIMIT`` goes to
    DuckDB as written: "4G" is 4e9 bytes there)."""
    monkeypatch.setenv(engine.SCORING_MEMORY_ENV, value)
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    engine.score_in_engine(_fields(50), load_standard(starter_standard("en")))


def test_a_scoring_memory_that_is_not_a_size_stops_the_round_before_its_facts(monkeypatch, demo_built,
                                                                              tmp_path_factory):
    """A mistyped ``XUANBA_SCORING_MEMORY`` stops the round before its facts (not after the facts,
    the model fits and the model check, minutes at 10 M, when the large base is scored)."""
    from xuanba.cli import app
    from xuanba.rounds import run

    out, _ = demo_copy(demo_built, tmp_path_factory)
    gathered = []
    real = run.gather_fields
    monkeypatch.setattr(run, "gather_fields", lambda *a, **k: gathered.append(1) or real(*a, **k))
    monkeypatch.setattr(engine, "_LOCAL", [])
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    monkeypatch.setenv(engine.SCORING_MEMORY_ENV, "lots")
    res = CliRunner().invoke(app, ["round", "-s", str(out / "standard.toml"), "--cutoff", "2026-06-30",
                                   "-w", str(out / "xuanba.duckdb")])
    assert res.exit_code == 2 and "XUANBA_SCORING_MEMORY" in res.output, res.output
    assert gathered == [], "the facts were gathered before the variable was read"


def test_a_failure_inside_the_lowered_scoring_puts_everything_back(monkeypatch):
    """A non-memory error while the limit is lowered (here in the collection of the roster): the
    limit is back, nothing is left recorded as lowered, and the next scoring runs."""
    monkeypatch.setattr(engine, "_LOCAL", [])
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    monkeypatch.delenv(engine.SCORING_MEMORY_ENV, raising=False)
    std, f = load_standard(starter_standard("en")), _fields(300)
    engine.score_in_engine(f, std)
    before = _limit(engine._LOCAL[0])
    real = engine.by_rank

    def boom(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("inside")

    monkeypatch.setattr(engine, "by_rank", boom)
    with pytest.raises(RuntimeError, match="inside"):
        engine.score_in_engine(f, std)
    assert _limit(engine._LOCAL[0]) == before and not engine._LOCAL[0].__dict__.get("_xuanba_lowered")
    monkeypatch.setattr(engine, "by_rank", real)
    engine.score_in_engine(f, std)


def test_two_threads_scoring_a_large_base_at_once(monkeypatch):
    """Two threads score at once (the web app): each within the lowered limits, both the oracle's
    roster, the limit back and nothing recorded as lowered after."""
    monkeypatch.setattr(engine, "_LOCAL", [])
    monkeypatch.setattr(engine, "KEEP_IN_TABLES_ROWS", 1)
    monkeypatch.delenv(engine.SCORING_MEMORY_ENV, raising=False)
    std = load_standard(starter_standard("en"))
    frames = [_fields(400, seed=s) for s in (1, 2)]
    want = [engine.score_in_engine(f, std).roster for f in frames]
    before = _limit(engine._LOCAL[0])
    got, errors = [None, None], []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                got[i] = engine.score_in_engine(frames[i], std).roster
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for w, g in zip(want, got, strict=True):
        assert g.equals(w)
    assert _limit(engine._LOCAL[0]) == before and not engine._LOCAL[0].__dict__.get("_xuanba_lowered")


def test_the_advice_after_running_out_asks_for_more_than_the_limit_in_force():
    """The fix names twice the scoring limit that bound (at least 4 GB), not a size it already had."""
    import types

    import duckdb

    from xuanba.errors import WorkspaceError

    backend = types.SimpleNamespace(con=duckdb.connect())
    backend.con.execute("SET memory_limit = '3GB'")
    backend.__dict__["_xuanba_lowered"] = [3 * 10**9]
    with pytest.raises(WorkspaceError) as err:
        engine._out_of_scoring_memory(duckdb.OutOfMemoryException("Out of Memory Error: x (1/2 used)"), backend, 10)
    assert "XUANBA_SCORING_MEMORY=6GB" in str(err.value.fix)
    backend.__dict__["_xuanba_lowered"] = []  # nothing lowered: the caller's own error stands
    assert engine._out_of_scoring_memory(duckdb.OutOfMemoryException("x"), backend, 10) is None


def test_by_rank_says_the_leading_ranks_placed_only_while_the_batches_come_in_rank_order():
    """``on_prefix`` is told ranks 1..stop are placed as soon as a batch in rank order has put
    them there, and n at the end if not told already; a batch out of order stops it until then, and
    ranks that are not a permutation are refused, n never told."""
    from xuanba.standard.engine_rank import by_rank

    def told(*ranks: list[int]) -> list[int]:
        seen: list[int] = []
        got = by_rank([pa.record_batch({"rank": r, "x": [float(v) for v in r]}) for r in ranks],
                      sum(len(r) for r in ranks), {"rank": "int64", "x": "float64"}, on_prefix=seen.append)
        assert got["x"].tolist() == [float(v) for v in range(1, len(got["x"]) + 1)]
        return seen

    assert told([1, 2], [3, 4], [5], [6]) == [2, 4, 5, 6]
    assert told([1, 2], [5, 6], [3, 4]) == [2, 6]
    assert told([1, 2], [4], [3]) == [2, 4]
    assert told([2, 1], [3]) == [3]
    seen: list[int] = []
    with pytest.raises(ValueError, match="not 1..3"):
        by_rank([pa.record_batch({"rank": [1, 2]}), pa.record_batch({"rank": [2]})], 3, {"rank": "int64"},
                on_prefix=seen.append)
    assert seen == [2]
