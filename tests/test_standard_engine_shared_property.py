"""Attacks on the roster shared by shape (xuanba.standard.engine_cache.built, keyed by the
figures' shape and not their values): a sequence of bases that differ only in their values (the
same rows, the same missing cells, other numbers: other medians, extremes, spreads, tops, quota
ranks, capacity cuts) scored one after another under one standard on the same warm process, each
against the pandas oracle; then on a fresh DuckDB with the shared caches emptied. A figure that
reached the built expression as a literal would be reused from the base before."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

import ibis
import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_standard_engine_roster import FIELDS, NO_SHRINK, ROW, _frame, _same, standards
from xuanba.standard import engine_cache, load_standard
from xuanba.standard.engine import score_in_engine, select_in_engine
from xuanba.standard.score import score_customers


def _equal(frame, std, got) -> None:
    want = score_customers(frame, std)
    _same(want.roster, got.roster)
    _same(want.contributions, got.contributions)
    assert got.info == want.info
    np.testing.assert_allclose(got.matrix, want.matrix, atol=1e-9)


def _scored(frame, std, fresh: bool):
    """The engine's result on this process's own DuckDB, or on a DuckDB of its own (``fresh``)."""
    if not fresh:
        return score_in_engine(frame, std)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    arrow = arrow.set_column(arrow.column_names.index("seg"), "seg", arrow["seg"].cast(pa.string()))
    return score_in_engine(ibis.duckdb.connect().create_table("fields", arrow), std)


@contextlib.contextmanager
def _every_number_bound_before() -> Iterator[None]:
    """Within: each roster build, made or reused, reads no number its call has not bound already
    (none falls back to the values of the base it was first built for: engine_cache.built fills
    those that are missing from the build's own)."""
    real, missing = engine_cache.built, []

    def checked(key, build):
        p = engine_cache.active()
        bound = set(p.values) if p is not None else None
        out = real(key, build)
        if bound is not None and p.variables and p.backend is not None:
            missing.extend(set(p.backend.__dict__["_xuanba_built"][key][1]) - bound)
        return out

    with mock.patch.object(engine_cache, "built", checked):
        yield
    assert not missing, sorted(set(missing))


@st.composite
def _bases(draw: st.DrawFn) -> list[list[tuple]]:
    """Three bases of the same rows and missing cells, their numbers drawn again (a shift, a scale,
    or new values): the same shape of figures often, other values always."""
    rows = draw(st.lists(ROW, min_size=1, max_size=25))
    out = [rows]
    for _ in range(2):  # each column its own change
        hows = [draw(st.sampled_from(["same", "shift", "scale", "new"])) for _ in range(4)]
        ks = [draw(st.integers(-4, 4)) or 2 for _ in range(4)]
        other = []
        for r in rows:
            cells = list(r)
            for i, (how, k) in enumerate(zip(hows, ks, strict=True)):
                if cells[i] is None or how == "same":
                    continue
                if how == "shift":
                    cells[i] = cells[i] + k
                elif how == "scale":
                    cells[i] = cells[i] * k
                else:
                    cells[i] = draw(st.integers(-3, 6))
                cells[i] = abs(cells[i]) if i == 3 else cells[i]  # a cost stays >= 0
            other.append(tuple(cells))
        out.append(other)
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=NO_SHRINK)
@given(bases=_bases(), text=standards(), fresh=st.booleans())
def test_bases_of_one_shape_in_a_row_each_equal_the_oracle(bases, text, fresh):
    from xuanba.errors import DataError

    std = load_standard(text, extra_fields=FIELDS)
    frames = [_frame(rows) for rows in bases]
    try:
        for f in frames:
            score_customers(f, std)
    except DataError:
        return  # refusals are test_standard_engine_roster's
    with _every_number_bound_before():
        for f in frames + frames[:1]:  # and the first again, after the others warmed its shape
            _equal(f, std, _scored(f, std, fresh))
            want = score_customers(f, std).roster
            ids, tiers = select_in_engine(f, std)  # the selection alone after a full call of its shape
            sel = want[want.selected]
            assert ids.to_pylist() == sel.customer_id.tolist()
            assert [std.tiers[k].name for k in tiers.to_pylist()] == sel.tier.tolist()
    engine_cache.clear()
    _equal(frames[-1], std, _scored(frames[-1], std, True))


def test_the_spreads_of_another_base_of_one_shape_choose_its_cheapest_criterion():
    """Two bases of one figures' shape, their columns' spreads swapped: the cheapest criterion is
    chosen by each base's own spreads (each bound before the roster's build is reused; one left
    to the build would keep the first base's, and name the other criterion)."""
    import pandas as pd

    text = '[standard]\nname = "s"\nversion = "1"\n' + "".join(
        f'[[criteria]]\nname = "c{x}"\nfield = "{x}"\nweight = 50\nnormalise = "minmax"\n' for x in "ab"
    ) + '[[tiers]]\nname = "A"\nmin_score = 30\n'
    std = load_standard(text, extra_fields=("a", "b"))
    skew, even = [0.0] * 7 + [10.0], [0, 1.5, 3, 4.5, 6, 7.5, 9, 10.0]
    chosen = []
    for a, b in ((skew, even), (even, skew)):
        frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(8)], "a": a, "b": b})
        got = score_in_engine(frame, std)
        _equal(frame, std, got)
        chosen.append(set(got.roster.cheapest_criterion) - {""})
    assert chosen == [{"cb"}, {"ca"}]  # the case this guards: the choice flips with the spreads


def test_every_number_the_roster_reads_is_bound_before_its_build():
    """Made or reused, the roster's build reads only numbers bound by its own call."""
    from tests.test_standard_engine_cache import _fields, _text

    texts = [_text(), _text((0.4, 0.1, 0.3, 0.2), (70, 40, 20))]
    with _every_number_bound_before():
        for k, frame in enumerate([_fields(200, seed=40), _fields(150, seed=41)]):
            std = load_standard(texts[k])
            _equal(frame, std, score_in_engine(frame, std))


def test_a_reused_build_refuses_a_number_its_call_did_not_bind():
    """engine_cache.built itself refuses, naming the variable, a reused expression that would read
    a number its call did not bind, on the connection that made it and on another of its shape
    (on main it read the number of the call that made it, silently: here 1.0 for ``b``)."""
    import pyarrow as pa
    import pytest

    engine_cache.clear()
    cons = [ibis.duckdb.connect() for _ in range(2)]
    tables = [con.create_table("t", pa.table({"x": [1.0]})) for con in cons]

    def call(k: int, **bound: float) -> list[float]:
        with engine_cache.parameters(variables=True) as p:
            p.backend, t = cons[k], tables[k]
            for name, value in bound.items():
                engine_cache.num(name, value)
            expr = engine_cache.built(("unbound", t.op()), lambda: (t.x * engine_cache.num("a", 2.0)
                                                                    + engine_cache.num("b", 1.0)).name("y").as_table())
            return engine_cache.run(expr).column(0).to_pylist()

    assert call(0) == [3.0]  # made: the numbers bound as it is built
    assert call(0, a=5.0, b=7.0) == [12.0]  # reused with this call's numbers
    with pytest.raises(engine_cache.UnboundNumber) as err:
        call(0, a=5.0)
    assert err.value.names == ["b"] and "'b'" in str(err.value)
    shared = engine_cache.STATS["built_shared_hits"]
    with pytest.raises(engine_cache.UnboundNumber, match="'a', 'b'"):
        call(1)
    assert engine_cache.STATS["built_shared_hits"] == shared + 1  # the shared build, refused too
    assert call(1, a=5.0, b=0.5) == [5.5]
