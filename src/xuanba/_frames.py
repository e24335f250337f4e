"""Frames in, the same kind out: a polars table in gives polars out, Arrow in gives Arrow out,
pandas (or anything else) in gives pandas out.

The library computes in pandas; the public functions call :func:`same_kind` on their result
with the table they were given. polars is optional: it is imported only when a polars table is
handed in (so the user has it).

Example
-------
>>> import pandas as pd, pyarrow as pa
>>> given = pa.table({"customer_id": ["a"], "x": [1]})
>>> out = same_kind(given, pd.DataFrame({"customer_id": ["a"], "y": [2.0]}))
>>> type(out).__name__, out.column_names
('Table', ['customer_id', 'y'])
>>> kind_of(given), kind_of(pd.DataFrame()), kind_of("a path")
('arrow', 'pandas', 'other')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def kind_of(data: Any) -> str:
    """``"polars"``, ``"arrow"``, ``"pandas"`` or ``"other"`` (a path, a workspace, a dict ...)."""
    if isinstance(data, pd.DataFrame | pd.Series):
        return "pandas"
    module = type(data).__module__ or ""
    if module.startswith("polars"):
        return "polars"
    if module.startswith("pyarrow") and hasattr(data, "schema"):
        return "arrow"
    return "other"


def is_frame(data: Any) -> bool:
    """Whether ``data`` is an in-memory table (pandas, polars or Arrow)."""
    return kind_of(data) != "other"


def _flat(result: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """A plain table: a Series becomes a column, a named index (``customer_id``) a column."""
    frame = result.to_frame() if isinstance(result, pd.Series) else result
    named = [n for n in frame.index.names if n is not None]
    return frame.reset_index() if named else frame.reset_index(drop=True)


def to_pandas(data: Any) -> Any:
    """A polars or Arrow table as pandas; anything else (pandas, ``None``) unchanged."""
    return data.to_pandas() if kind_of(data) in ("polars", "arrow") else data


def same_kind(given: Any, result: Any) -> Any:
    """``result`` (a pandas DataFrame or Series) in the kind of table ``given`` was.

    pandas in (or a workspace, a path): ``result`` unchanged. polars or Arrow in: a table of that
    library, a Series becoming a table with its index (``customer_id``) as the first column.
    Anything that is not a pandas result (a number, a tuple) is returned as it is.
    """
    if not isinstance(result, pd.DataFrame | pd.Series):
        return result
    kind = kind_of(given)
    if kind == "polars":
        import polars as pl

        return pl.from_pandas(_flat(result))
    if kind == "arrow":
        import pyarrow as pa

        return pa.Table.from_pandas(_flat(result), preserve_index=False)
    return result


#: pandas' own text column (Arrow-backed, NaN for missing): what a column of Python strings becomes.
TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))


def cell_text(value: Any) -> str | None:
    """``value``, one cell of a table, written as text as ingest writes a frame's or a workbook's
    cell before reading it (a whole float without its ``.0``, a date in ISO form); ``None`` for a
    missing one.

    A missing cell of any kind (``pd.NA``, ``NaT``, a NumPy NaN) is ``None``, not ``"<NA>"``; a
    NumPy float (``float32``) that is whole is written as a Python float is, not as ``1.0``.

    >>> [cell_text(v) for v in (3, 4.5, 3.0, "VIP", float("nan"), None, dt.date(2025, 1, 2))]
    ['3', '4.5', '3', 'VIP', None, None, '2025-01-02']
    >>> [cell_text(v) for v in (pd.NA, pd.NaT, np.float32("nan"), np.float32(1.0), np.float32(0.1))]
    [None, None, None, '1', '0.1']
    """
    if isinstance(value, str):  # most cells: nothing to look at
        return str(value)
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        if value != value:
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)  # float32 0.1 as NumPy writes it
    if _missing(value):  # pd.NA, NaT (a datetime to isinstance), numpy's NaT
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def mixed_as_text(frame: pd.DataFrame, columns: Sequence[Any] | None = None) -> pd.DataFrame:
    """``frame`` with each object column that Arrow takes as no one type written as text
    (:func:`cell_text`; a missing value left missing): numbers beside words (3, 4.5 and ``VIP``),
    numbers beside numbers stored as text, a flag ``True`` beside ``yes``, dates beside text.
    Arrow carries every table to an engine and refused such a column with a traceback; as text, a
    gate reads it, a criterion names its first word, a source's money is read as ingest reads
    text. ``columns``: the names looked at (default every column); the frame itself where none
    is so.

    >>> mixed_as_text(pd.DataFrame({"customer_id": ["a", "b", "c"], "seg": [1, "VIP", None]}))["seg"].tolist()
    ['1', 'VIP', None]
    """
    import pyarrow as pa

    out = frame
    looked = None if columns is None else {str(c) for c in columns}
    for i, name in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if values.dtype != object or (looked is not None and str(name) not in looked):
            continue
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # text alone: Arrow takes it
            continue  # (found without building an Arrow array to throw away: 80 ms a column at 1 M rows)
        try:
            pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            out = frame.copy(deep=False) if out is frame else out
            written = [None if _missing(v) else cell_text(v) for v in values.to_numpy()]
            out.isetitem(i, pd.Series(written, index=values.index, dtype=object))
    return out


def _missing(value: Any) -> bool:
    """Whether one cell is missing (``None``, NaN, ``pd.NA``, ``NaT``)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def text_from_codes(codes: Any, labels: Sequence[Any]) -> Any:
    """``labels[codes]`` as pandas' own text column (:data:`TEXT`), taken in Arrow: no Python
    string is made per row (a million of them cost a second to make and another to turn into a
    text column; a take of a few words is ten times faster than casting a dictionary to text).

    >>> import numpy as np
    >>> list(text_from_codes(np.array([1, 0, 1]), ["A", "B"]))
    ['B', 'A', 'B']
    """
    import pyarrow as pa

    words = pa.array([str(x) for x in labels], type=pa.large_string())
    return pd.array(words.take(pa.array(np.asarray(codes, dtype=np.int32))), dtype=TEXT)


def column_values(values: pd.Series) -> Any:
    """The values of a column, to place in another table by position: pandas' own text column as
    its Arrow array (no Python string per row, which a million rows pay twice: once to make and
    once to turn back into text), any other as a NumPy array, as ``to_numpy`` gives it.

    >>> import pandas as pd
    >>> type(column_values(pd.Series(["a", "b"]))).__name__, type(column_values(pd.Series([1.0]))).__name__
    ('ArrowStringArray', 'ndarray')
    """
    return values.array if values.dtype == TEXT else values.to_numpy()


def arrow_text(values: pd.Series) -> Any:
    """The column as one Arrow text array (no Python string per row), or ``None`` when it is not text.
    A column held in several Arrow chunks (a roster read back from an engine) is joined into one
    (a copy of its bytes: 5 ms for a million ids; taken for not text, it cost a round its
    positions, and 0.5 s of lookups and hashes at 1 M customers).

    >>> import pyarrow as pa
    >>> arrow_text(pd.Series(["a", "b"], dtype="str")).to_pylist(), arrow_text(pd.Series([1, 2]))
    (['a', 'b'], None)
    >>> two = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a"], ["b"]])))
    >>> arrow_text(two).to_pylist()
    ['a', 'b']
    """
    import pyarrow as pa

    try:
        arr = pa.array(values.array)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def positions_in(ids: pd.Series, among: pd.Series) -> np.ndarray | None:
    """The row of ``among`` that holds each of ``ids`` (the first, if it holds one twice), found
    in Arrow by one hash lookup, when both are text and every id is there; else ``None``. A
    roster scored by an engine comes back by rank without its rows' positions in the fields:
    a round looks them up once here for the roster's hash and its summary (each looked the ids
    up on its own: about 0.5 s of CPU at 1 M customers).

    Example
    -------
    >>> positions_in(pd.Series(["b", "a"], dtype="str"), pd.Series(["a", "b", "c"], dtype="str")).tolist()
    [1, 0]
    >>> positions_in(pd.Series(["x"], dtype="str"), pd.Series(["a"], dtype="str")) is None
    True
    """
    import pyarrow.compute as pc

    a, b = arrow_text(ids), arrow_text(among)
    if a is None or b is None:
        return None
    found = pc.index_in(a if a.type == b.type else a.cast(b.type), value_set=b)
    return None if found.null_count else found.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def ids_sorted(ids: pd.Series) -> bool:
    """``ids.is_monotonic_increasing``, compared in Arrow when the ids are Arrow text without a
    missing value (pandas' check of a million text ids costs 0.1–0.2 s; a round asks it thrice).

    >>> ids_sorted(pd.Series(["a", "b", "b"], dtype="str")), ids_sorted(pd.Series(["b", "a"], dtype="str"))
    (True, False)
    """
    import pyarrow.compute as pc

    arr = arrow_text(ids)
    if arr is None or arr.null_count or len(arr) < 2:
        return bool(ids.is_monotonic_increasing)
    return bool(pc.all(pc.less_equal(arr[:-1], arr[1:])).as_py())


def same_values(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns hold the same values in the same order: two text columns compared as
    their Arrow arrays (a millisecond for a million ids, against a third of a second as Python
    strings), anything else element by element.

    >>> same_values(pd.Series(["a", "b"]), pd.Series(["a", "b"])), same_values(pd.Series(["a"]), pd.Series(["b"]))
    (True, False)
    """
    if a.dtype == TEXT and b.dtype == TEXT:
        return bool(a.array.equals(b.array))
    return bool(np.array_equal(a.to_numpy(), b.to_numpy()))
