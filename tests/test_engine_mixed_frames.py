"""A Python frame with a column of numbers beside words (3, 4.5 and ``VIP``: pandas holds it as
objects, which Arrow takes as no one type) given to a round: as extra fields, read as text as a
fields file's column is (a gate reads it, a criterion names its first word, in English and Chinese,
in the same words on the workspace and the engine rounds); as the engine round's transactions, read
as ``xuanba ingest`` reads such a frame (each cell written as text, then read). On e97c1c3 the
engine round ended in ArrowInvalid's traceback for any such column of the extra fields, used or
not, and for one of the transactions (an Ibis table made of the frame in IbisTypeError's); the
workspace round in ArrowTypeError's where a gate read the column."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from tests._helpers import spark_test
from tests.test_round_engine import _workspace, simulated_transactions
from xuanba import Workspace
from xuanba.errors import DataError
from xuanba.ingest import ingest
from xuanba.rounds import run_round, run_round_on_engine
from xuanba.rounds.source_check import SourceError

CUTOFF = "2025-12-31"
BASE = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "revenue"\nfield = "revenue_365d"\n'
        'weight = 0.5\n[[criteria]]\nname = "voice"\nfield = "{field}"\nweight = 0.5\n')
GATED = BASE.format(field="x") + "[[gates]]\nname = \"vip\"\nexpr = \"seg == 'VIP'\"\n[[tiers]]\nname = \"A\"\nquota = 12\n"
#: ``ibis.memtable(frame)`` of a pandas frame, as a notebook makes it: Ibis 12 asks pandas for an option pandas 3 deprecates
MEMTABLE_OF_PANDAS = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mixed")
    tx = simulated_transactions(90, seed=7)
    ids = list(tx["customer_id"].drop_duplicates())
    seg = pd.Series([[3, 4.5, "VIP"][k % 3] for k in range(len(ids))], dtype=object)  # numbers beside a word
    fields = pd.DataFrame({"customer_id": ids, "seg": seg, "x": np.arange(len(ids), dtype=float)})
    return tmp, tx, ids, fields, _workspace(tmp, tx)


def _selected(rnd) -> list[str]:
    """The ids a round selected (an engine round holds the selected rows, a workspace round every row)."""
    return sorted(rnd.roster.loc[rnd.roster["selected"].astype(bool), "customer_id"].astype(str))


@MEMTABLE_OF_PANDAS
def test_a_gate_reads_a_column_of_numbers_beside_words_on_both_rounds(data):
    """Every customer selected is one the frame calls VIP, and the two rounds select the same."""
    tmp, tx, ids, fields, ws = data
    vip = {str(c) for c, s in zip(ids, fields["seg"], strict=True) if s == "VIP"}
    picked = {"workspace": _selected(run_round(ws, GATED, CUTOFF, extra_fields=fields, store=False)),
              "engine": _selected(run_round_on_engine(tx, GATED, CUTOFF, extra_fields=fields)),
              "engine, Ibis table": _selected(run_round_on_engine(ibis.memtable(tx), GATED, CUTOFF,
                                                                  extra_fields=fields))}
    assert picked["workspace"] and set(picked["workspace"]) <= vip, picked
    assert picked["engine"] == picked["workspace"] == picked["engine, Ibis table"]


def test_a_column_of_numbers_beside_words_no_rule_reads_is_carried(data):
    """The engine round over extra fields holding such a column that nothing reads: the roster of
    the same fields without it (e97c1c3: ArrowInvalid)."""
    tmp, tx, _, fields, _ = data
    std = BASE.format(field="x")
    with_it = run_round_on_engine(tx, std, CUTOFF, extra_fields=fields)
    without = run_round_on_engine(tx, std, CUTOFF, extra_fields=fields.drop(columns="seg"))
    pd.testing.assert_frame_equal(with_it.roster, without.roster)
    assert with_it.meta["roster_sha256"] == without.meta["roster_sha256"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_criterion_over_numbers_beside_words_is_refused_in_the_same_words(data, lang):
    """The first word by the ids' order, its customer and how many, as the workspace round says it."""
    tmp, tx, ids, fields, ws = data
    std = BASE.format(field="seg")
    words = sorted((str(c), s) for c, s in zip(ids, fields["seg"], strict=True) if isinstance(s, str))
    said = {}
    for where, run in (("workspace", lambda: run_round(ws, std, CUTOFF, extra_fields=fields, store=False)),
                       ("engine", lambda: run_round_on_engine(tx, std, CUTOFF, extra_fields=fields))):
        with pytest.raises(DataError) as err:
            run()
        said[where] = err.value.render(lang)
        assert (err.value.column, err.value.count) == ("seg", len(words))
    assert said["workspace"] == said["engine"]
    first = words[0][0] if lang == "en" else None
    if lang == "en":
        assert f"'VIP' (customer '{first}') is not a number ({len(words)} in all)" in said["engine"], said
    else:
        assert f"不是数字（共 {len(words)} 处）" in said["engine"] and "VIP" in said["engine"], said


def _mixed_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """``tx`` as a notebook might hold it: plain ids as the integers they look like beside text ids,
    the return flag ``True``/``False`` beside ``yes``/``否``, a note of numbers beside words."""
    out = tx.copy()
    out["customer_id"] = pd.Series([int(c) if c.isdigit() and not c.startswith("0") else c for c in out["customer_id"]],
                                   dtype=object)
    flag = out["is_return"].astype(object)
    k = np.arange(len(out))
    flag[(k % 4 == 0) & out["is_return"]] = "yes"
    flag[(k % 4 == 1) & ~out["is_return"]] = "否"
    out["is_return"] = flag
    out["note"] = pd.Series([[7, 2.5, "VIP", None][i % 4] for i in range(len(out))], dtype=object)
    return out


@MEMTABLE_OF_PANDAS
def test_transactions_of_numbers_beside_words_are_read_as_ingest_reads_them(data, tmp_path):
    """The same round as the engine's over ingest's own table of that frame (e97c1c3: ArrowInvalid,
    and IbisTypeError for an Ibis table of the frame); ids 17 and '17' are one customer to both."""
    _, tx, _, _, _ = data
    mixed = _mixed_transactions(tx)
    assert {type(c) for c in mixed["customer_id"]} == {int, str}
    assert {type(v) for v in mixed["is_return"]} == {bool, str}
    std = BASE.format(field="revenue_total")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(mixed, ws, tz="UTC")
        ingested = run_round_on_engine(ws.table("transactions"), std, CUTOFF)
    for given in (mixed, ibis.memtable(mixed)):
        rnd = run_round_on_engine(given, std, CUTOFF)
        assert rnd.meta["data_sha256"] == ingested.meta["data_sha256"]
        assert rnd.meta["n_customers"] == ingested.meta["n_customers"] == tx["customer_id"].nunique()
        assert rnd.meta["source_rows"]["used"] == len(tx)
        pd.testing.assert_frame_equal(rnd.roster, ingested.roster)


@MEMTABLE_OF_PANDAS
def test_an_amount_of_numbers_beside_a_word_is_refused_naming_its_cell(data):
    """A text amount in a table (not a .csv) is refused naming its row, value and customer, as the
    engine refuses one in a Parquet file: e97c1c3 ended in ArrowInvalid's traceback."""
    _, tx, _, _, _ = data
    mixed = tx.assign(amount=tx["amount"].astype(object))
    mixed.loc[5, "amount"] = "VIP"
    for given in (mixed, ibis.memtable(mixed)):
        with pytest.raises(SourceError) as err:
            run_round_on_engine(given, BASE.format(field="revenue_total"), CUTOFF)
        assert (err.value.row, err.value.column, err.value.count) == (6, "amount", 1)
        assert f"'VIP' (customer '{tx['customer_id'][5]}') is not a number" in err.value.render("en")
        assert "不是数字" in err.value.render("zh")


@spark_test
def test_on_spark_a_gate_reads_numbers_beside_words_as_duckdb_does(data, spark):
    """The extra fields sent to Spark: the same selection as the DuckDB engine round's."""
    tmp, tx, _, fields, _ = data
    from xuanba.rounds.spark import spark_source

    tx.to_parquet(tmp / "tx.parquet", index=False)
    on_spark = run_round_on_engine(spark_source(spark, str(tmp / "tx.parquet")), GATED, CUTOFF, extra_fields=fields)
    on_duckdb = run_round_on_engine(tx, GATED, CUTOFF, extra_fields=fields)
    assert _selected(on_spark) == _selected(on_duckdb) and _selected(on_spark)
    with pytest.raises(DataError) as err:
        run_round_on_engine(spark_source(spark, str(tmp / "tx.parquet")), BASE.format(field="seg"), CUTOFF,
                            extra_fields=fields)
    assert err.value.column == "seg" and "'VIP' (customer" in err.value.render("en")
