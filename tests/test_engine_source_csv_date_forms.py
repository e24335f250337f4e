"""A DuckDB round's CSV dates in a form DuckDB's sniffer types otherwise than ingest reads it: the
round reads them as ``xuanba ingest`` does (review32d). Excel serial days (``45717``) and ``20250301``
were typed BIGINT and read as seconds since 1970 (a round of 1970-01-01 dates, no word said);
``01-02-2025`` (a format ingest does not read) and ``1/2/2025`` in a column of such dates alone (whose
order ingest decides from the whole column, and cannot) were read as DuckDB's sniffer guessed them,
where ingest refuses the file."""

from __future__ import annotations

import pytest

from tests.test_engine_source_csv_blank_line import CUTOFF
from xuanba import Workspace
from xuanba.errors import InputError
from xuanba.ingest import ingest
from xuanba.rounds.engine import duckdb_source
from xuanba.rounds.source_check import SourceDataError, checked_transactions

FORMS = {
    "excel serial": lambda i: f"{45658 + i % 300}",
    "excel serial with a time": lambda i: f"{45658 + i % 300}.5",
    "yyyymmdd": lambda i: f"2025{1 + i % 12:02d}{1 + i % 28:02d}",
    "dd-mm-yyyy": lambda i: f"{1 + i % 28:02d}-{1 + i % 12:02d}-2025",
    "d/m/yyyy, either order": lambda i: f"{1 + i % 12}/{1 + i % 11}/2025",
}


def _file(tmp_path, form):
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,ts,amount\n" + "".join(f"c{i % 37},{form(i)},{i % 50}.5\n" for i in range(300)), "utf-8")
    return path


@pytest.mark.parametrize("form", FORMS)
def test_dates_duckdb_types_otherwise_are_read_as_ingest_reads_them(tmp_path, form):
    path = _file(tmp_path, FORMS[form])
    try:
        with Workspace(tmp_path / "ws.duckdb") as ws:
            ingest(str(path), ws, tz="UTC")
            want = ws.con.execute("SELECT count(*), CAST(min(ts) AS DATE), CAST(max(ts) AS DATE), "
                                  "sum(epoch(ts)) FROM transactions").fetchone()
    except InputError:  # ingest reads no date of the column: the round uses none either
        with pytest.raises(SourceDataError):
            checked_transactions(duckdb_source(str(path)), CUTOFF)
        return
    t, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)
    ts = t.ts.cast("timestamp")
    got = t.aggregate(n=t.count(), lo=ts.min().cast("date"), hi=ts.max().cast("date"),
                      s=ts.epoch_seconds().sum()).to_pyarrow().to_pylist()[0]
    assert (rows["used"], got["lo"], got["hi"], got["s"]) == (want[0], want[1], want[2], int(want[3]))
