"""Point 12: .xlsx is written in streaming mode, and a sheet beyond Excel's 1,048,576 rows is refused
with the fix (CSV or Parquet), leaving no file. The 1 M-row measurement is bench/bench_export.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_exports import FRAME
from tests.test_tables import FRAME as TABLE
from xuanba import tables
from xuanba.errors import DataError
from xuanba.outputs.exports import export_table, export_tables
from xuanba.tables import write_table


def test_a_sheet_of_1048576_rows_and_a_header_is_refused_with_the_fix(tmp_path):
    big = pd.DataFrame({"n": np.zeros(tables.EXCEL_MAX_ROWS, dtype=np.int8)})
    with pytest.raises(DataError, match="1,048,576 rows; an Excel sheet holds 1,048,575") as err:
        export_table(big, tmp_path / "big.xlsx")
    assert ".parquet or .csv" in err.value.fix
    assert list(tmp_path.iterdir()) == []


def test_too_many_rows_for_a_sheet_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 2)
    with pytest.raises(DataError, match="an Excel sheet holds 1") as err:
        export_tables({"roster": FRAME}, tmp_path / "big.xlsx")
    assert ".parquet or .csv" in err.value.fix


def test_more_rows_than_an_excel_sheet_holds_is_refused_with_a_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(DataError, match="an Excel sheet holds 2") as err:
        write_table(TABLE, tmp_path / "big.xlsx")
    assert ".parquet or .csv" in err.value.fix
    assert not (tmp_path / "big.xlsx").exists()
    write_table(TABLE, tmp_path / "big.csv")  # other formats have no such limit


def _peak_bytes_writing(n: int, folder) -> tuple[int, int]:
    """(peak memory Python allocates while writing an n-row workbook, size of its sheet's XML)."""
    import tracemalloc
    import zipfile

    frame = pd.DataFrame({"customer_id": [f"C{i:07d}" for i in range(n)],
                          "score": np.random.default_rng(1).uniform(0, 100, n), "n": np.arange(n)})
    path = folder / f"{n}.xlsx"
    tracemalloc.start()
    try:
        write_table(frame, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size


def test_xlsx_is_written_streaming_so_memory_does_not_grow_with_the_sheet(tmp_path):
    """Four times the rows: the sheet's XML grows by about 12 MB, the memory used to write it by
    far less (a writer that holds the sheet, as openpyxl's normal mode does, grows by more than
    the XML). The 1 M-row figure (time and memory) is measured by bench/bench_export.py."""
    small, small_xml = _peak_bytes_writing(30_000, tmp_path)
    big, big_xml = _peak_bytes_writing(120_000, tmp_path)
    assert big_xml - small_xml > 10_000_000
    assert big - small < 0.4 * (big_xml - small_xml), (small, big, small_xml, big_xml)
