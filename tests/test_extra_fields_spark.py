"""Extra fields (``--fields``, ``extra_fields=``) on Spark (local mode): a round whose gate reads an
extra text field and whose criterion scores an extra number gives the roster of the DuckDB engine
round and of the workspace round; hostile column names and values (quotes, ``;``, ``=cmd``, a line
break, a full-width name) are stored as data, or refused before any work with the words the other
paths use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._helpers import SPARK_MARKS
from tests.test_round_engine import (
    _workspace,
    assert_same_round,
    read_roster,
    simulated_transactions,
)
from xuanba.errors import DataError
from xuanba.rounds import list_rounds, load_round, run_round
from xuanba.rounds.engine import run_round_on_engine

pytestmark = SPARK_MARKS

CUTOFF = "2025-12-31"
PLANS = np.array(["gold", "internal", "a'b\"c", "x'; DROP TABLE rounds; --", "=cmd|' /C calc'!A0",
                  "line\nbreak", "客户"], dtype=object)
#: Columns named as an attacker or a spreadsheet would name them: read as data, never as SQL.
ODD = {"q'uo\"te": "v", "semi;colon": 1.5, "=cmd": "=1+1"}
STANDARD = """[standard]
name = "extra on spark"
version = "1"
[[criteria]]
name = "nps"
field = "nps"
weight = 0.6
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 0.4
[[gates]]
name = "paying"
expr = "plan != 'internal' and 得分２０２５ >= 1"
[[tiers]]
name = "A"
quota = 25
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extra_spark")
    tx = simulated_transactions(150, seed=11)
    tx.to_parquet(tmp / "tx.parquet", index=False)
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(1)
    n = len(ids)
    extra = pd.DataFrame({"customer_id": ids, "plan": PLANS[rng.integers(0, len(PLANS), n)],
                          "nps": np.round(rng.normal(5, 2, n), 3), **ODD,
                          "得分２０２５": rng.integers(0, 4, n)})  # the rule's 得分２０２５ reads it as 得分2025
    return tmp, tx, _workspace(tmp, tx), extra


def test_spark_round_over_extra_fields_equals_the_duckdb_and_the_workspace_rounds(spark, data):
    from xuanba.rounds.spark import spark_source

    tmp, tx, path, extra = data
    want = run_round(path, STANDARD, CUTOFF, extra_fields=extra, store=False, check_model=False)
    duck = run_round_on_engine(tx, STANDARD, CUTOFF, extra_fields=extra, roster_out=tmp / "duck", check_model=False)
    got = run_round_on_engine(spark_source(spark, str(tmp / "tx.parquet")), STANDARD, CUTOFF, extra_fields=extra,
                              roster_out=tmp / "spark", check_model=False, workspace=tmp / "rounds.duckdb")
    assert got.meta["engine"] == "pyspark"
    assert_same_round(duck, want, tmp / "duck")
    assert_same_round(got, want, tmp / "spark")
    # the gate failed exactly the customers the fields say, worked out here from the frame
    by_id = extra.set_index(extra["customer_id"].astype(str))
    roster = read_roster(tmp / "spark").set_index("customer_id")
    gated = roster["gates_failed"].fillna("") != ""
    bad = (by_id["plan"] == "internal") | (by_id["得分２０２５"] < 1)
    pd.testing.assert_series_equal(gated, bad.reindex(roster.index).fillna(False), check_names=False)
    assert gated.any() and not gated.all()
    # hostile names and values are data: written by the executors and stored, as given
    named = ["plan", "nps", *ODD, "得分2025"]
    fields = pd.read_parquet(tmp / "spark" / "fields.parquet").set_index("customer_id")
    assert set(named) <= set(fields.columns)
    for col in ("plan", *ODD):
        assert (fields[col] == by_id[col].reindex(fields.index)).all(), col
    stored = load_round(tmp / "rounds.duckdb", "latest").fields.set_index("customer_id")
    assert set(named) <= set(stored.columns) and len(stored) == got.meta["n_selected"] > 0
    for col in ("plan", *ODD):
        assert (stored[col] == by_id[col].reindex(stored.index)).all(), col
    assert not stored.index.isin(by_id.index[by_id["plan"] == "internal"]).any()


@pytest.mark.parametrize(("columns", "needle"), [
    (("new\nline",), "cannot store"), (("",), "cannot store"), (("t",), "only in case"),
    (("ｎｐｓ", "nps"), "are one name"), (("round_id",), "stored rounds use"),
])
def test_a_hostile_extra_column_name_is_refused_on_spark_before_any_work_as_on_duckdb(spark, data, monkeypatch,
                                                                                       columns, needle):
    from xuanba.rounds.spark import spark_source

    tmp, tx, path, extra = data
    frame = extra[["customer_id", "plan"]].assign(**{c: 1.0 for c in columns})

    def no_work(*_a, **_k):
        raise AssertionError("the round started work before refusing the extra fields")

    monkeypatch.setattr("xuanba.rounds.run.gather_fields", no_work)
    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", no_work)
    source = spark_source(spark, str(tmp / "tx.parquet"))
    said = []
    for run in (lambda: run_round(path, STANDARD, CUTOFF, extra_fields=frame, check_model=False),
                lambda: run_round_on_engine(tx, STANDARD, CUTOFF, extra_fields=frame, workspace=tmp / "r.duckdb"),
                lambda: run_round_on_engine(source, STANDARD, CUTOFF, extra_fields=frame, workspace=tmp / "r.duckdb")):
        with pytest.raises(DataError, match=needle) as err:
            run()
        assert err.value.column == columns[-1]
        said.append((err.value.render("en"), err.value.render("zh")))
    assert said[0] == said[1] == said[2]
    assert list_rounds(path).empty and not (tmp / "r.duckdb").exists()
