"""A Spark round's CSV source with a line of spaces or tabs among its rows counts it as ``xuanba ingest``
and DuckDB's round count it: a row, rejected by ingest's rules ("missing customer id"; a tab's under
a ``,`` header, "missing date"). Spark's reader skips a line whose ``trim`` is empty: the same rows
used, but the line missing from the source's rows and rejects (review31b)."""

from __future__ import annotations

import pytest

from tests._helpers import spark_test
from tests.test_engine_source_csv_blank_line import _ingested
from xuanba.rounds.source_check import checked_transactions

CUTOFF = "2025-12-31"


def _file(tmp_path, odd: list[str], note: bool = False):
    rows = [f"c{i % 7},2025-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i}.5" + (',"a\nb"' if note and i == 3 else ",x" if note else "")
            for i in range(40)]
    for k, line in enumerate(odd):
        rows.insert(10 + 7 * k, line)
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(["customer_id,ts,amount" + (",note" if note else ""), *rows]) + "\n", "utf-8")
    return path


@spark_test
@pytest.mark.parametrize(("odd", "note"), [(["   "], False), (["\t", "  \t "], False), (["   "], True)])
def test_a_line_of_spaces_is_counted_on_spark_as_ingest_counts_it(tmp_path, spark, odd, note):
    from xuanba.rounds.spark import spark_source

    path = _file(tmp_path, odd, note)
    _, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    got = {k: rows[k] for k in ("input_rows", "used", "rejected", "rejected_by_reason")}
    want = _ingested(tmp_path, path)
    assert got == want
    assert got["input_rows"] == 40 + len(odd) and got["rejected"] == len(odd)
