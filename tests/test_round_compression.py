"""The compression DuckDB may use for a round's largest tables while the saver appends them
(``rounds.store.COMPRESSION_OFF``): the fields' text stored without FSST or dictionaries, the
contributions' lists without ALP, the same values read back, DuckDB's setting put back after."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba import Workspace
from xuanba.rounds import store as store_mod
from xuanba.standard.score import ContributionParts

#: Rows of the round: four of DuckDB's row groups and some. The whole ones are written to the file
#: while they are appended (with the saver's settings); the last, partial one at the commit, with
#: DuckDB's own (a few rows of a large round: 16,960 of a million).
N = 4 * 122_880 + 20_000


def _round_parts(n: int = N) -> tuple[pd.DataFrame, ContributionParts]:
    rng = np.random.default_rng(5)
    ids = pd.Series([f"C{i:07d}" for i in range(n)], dtype="string")
    fields = pd.DataFrame({
        "customer_id": ids,
        "basis": pd.Series(np.where(rng.uniform(size=n) < 0.7, "population mean: no repeat purchase",
                                    "own mean"), dtype="string"),
        "revenue_total": np.round(rng.gamma(2.0, 40.0, n), 2),  # cents: what ALP compresses
    })
    raw = np.round(rng.gamma(2.0, 40.0, (n, 2)), 2)
    parts = ContributionParts(ids, ["clv_3y", "p_alive"], np.array([0.6, 0.4]), raw=raw, normalised=raw / 1000,
                              contribution=raw / 2000)
    return fields, parts


def _store(path, fields: pd.DataFrame, parts: ContributionParts) -> tuple[dict[tuple[str, str], set[str]], str]:
    """Append the fields and the contributions as a round's saver does, in one transaction; the
    compression DuckDB used for each (table, column) in the row groups written while they were
    appended (all but the last), and its setting after."""
    with Workspace(path, threads=2) as ws:
        with store_mod._storing(ws) as threads, ws.transaction() as con:
            round_id = store_mod._next_round_id(con)
            threads.few()
            store_mod._insert_fields(con, round_id, fields, threads)
            store_mod._insert_parts(con, round_id, parts, np.arange(1, len(fields) + 1))
        after = store_mod._compression(ws.con)
        used: dict[tuple[str, str], set[str]] = {}
        for table in ("round_fields", "round_points"):
            for column, method in ws.con.execute(
                    "SELECT column_name, compression FROM pragma_storage_info(?) WHERE segment_type NOT IN "
                    "('VALIDITY', 'BIGINT', 'INTEGER') AND row_group_id < 4", [table]).fetchall():
                used.setdefault((table, column), set()).add(method)
    return used, after


def _read(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with Workspace(path, create=False) as ws:
        return (ws.sql("SELECT customer_id, basis, revenue_total FROM round_fields ORDER BY rowid"),
                ws.sql("SELECT rank, raw, normalised, contribution FROM round_points ORDER BY rowid"))


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The same round stored with the saver's settings and, as a control, with DuckDB's own."""
    fields, parts = _round_parts()
    root = tmp_path_factory.mktemp("compression")
    out = {"saver": _store(root / "saver.duckdb", fields, parts)}
    with pytest.MonkeyPatch.context() as m:
        m.setattr(store_mod, "COMPRESSION_OFF", {})
        out["duckdb"] = _store(root / "duckdb.duckdb", fields, parts)
    return root, fields, parts, out


def test_the_fields_text_is_stored_without_fsst_or_dictionaries_and_their_numbers_as_before(stored):
    _, _, _, out = stored
    saver, own = out["saver"][0], out["duckdb"][0]
    # DuckDB's own choice for these columns (the control: what losing the setting would store)
    assert own[("round_fields", "customer_id")] & {"FSST", "Dictionary", "DICT_FSST"}
    assert own[("round_fields", "basis")] & {"Dictionary", "FSST", "DICT_FSST"}
    # the saver's: the text uncompressed; the numbers still compressed as DuckDB chooses
    assert saver[("round_fields", "customer_id")] == {"Uncompressed"}
    assert saver[("round_fields", "basis")] <= {"Uncompressed", "Constant", "RLE"}
    assert "ALP" in saver[("round_fields", "revenue_total")] == own[("round_fields", "revenue_total")]


def test_the_contributions_lists_are_stored_without_alp(stored):
    _, _, _, out = stored
    saver, own = out["saver"][0], out["duckdb"][0]
    for column in ("raw", "normalised", "contribution"):
        assert own[("round_points", column)] & {"ALP", "ALPRD"}, column
        assert not saver[("round_points", column)] & {"ALP", "ALPRD"}, column


def test_duckdbs_setting_is_put_back_and_the_same_values_read_back(stored):
    root, fields, parts, out = stored
    assert out["saver"][1] == out["duckdb"][1] == ""
    a, b = _read(root / "saver.duckdb"), _read(root / "duckdb.duckdb")
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[0]["customer_id"].tolist() == fields["customer_id"].tolist()
    assert np.array_equal(np.stack(a[1]["raw"].to_numpy()), parts.raw)
