"""An engine's roster, read batch by batch and placed by rank as the batches come.

The engine returns the roster in no particular order (sorting every column of it would cost the
engine more than its whole scoring) with ``rank`` a permutation of 1..n. Collecting the whole
result, putting it in rank order and converting it to the frames of a round held three copies
of the roster at once — at 10 M customers GiBs beside the round's own frames. :func:`by_rank`
instead allocates each column once, as the round holds it (NumPy, or a preallocated array of the
caller's such as a column of the contributions' matrix), and writes each batch's values at
their ranks; only text columns are gathered and put in order at the end (one column at a time).
A batch is placed on a thread of its own while the engine makes the next one on the caller's.

Example
-------
>>> import pyarrow as pa
>>> batches = [pa.record_batch({"rank": [2, 3], "x": [0.5, None], "s": ["b", "c"]}),
...            pa.record_batch({"rank": [1], "x": [1.5], "s": ["a"]})]
>>> got = by_rank(batches, 3, {"rank": "int64", "x": "float64", "s": "text"})
>>> got["rank"].tolist(), got["x"].tolist(), got["s"].to_pylist()
([1, 2, 3], [1.5, 0.5, nan], ['a', 'b', 'c'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: The kinds :func:`by_rank` makes of a column: text stays Arrow, the others NumPy of that type
#: (int16: a small code, e.g. a coded roster's text).
KINDS = ("text", "bool", "int16", "int64", "float64")


def _values(col: Any, kind: str) -> np.ndarray:
    """One batch's column as NumPy of ``kind``: a missing number NaN, a missing flag false (as
    the pandas roster reads them)."""
    if kind == "float64":
        return col.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if kind == "bool":
        return col.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return col.to_numpy(zero_copy_only=False).astype(kind, copy=False)


def by_rank(batches: Iterable[Any], n: int, kinds: Mapping[str, str], *, rank: str = "rank",
            into: Mapping[str, np.ndarray] | None = None,
            on_prefix: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The columns ``kinds`` names of the record ``batches`` (``n`` rows in all, ``rank`` each of
    1..n once), in rank order: ``kinds`` maps a column to ``"text"`` (an Arrow array back) or to
    ``"bool"``, ``"int16"``, ``"int64"`` or ``"float64"`` (a NumPy array of that type; missing numbers NaN,
    missing flags false). ``into`` gives the array a column is written into (length ``n``, of
    its kind), for one the caller holds already. Each batch is released once placed. Raises
    ``ValueError`` when the ranks are not 1..n each once.

    ``on_prefix(stop)``: called whenever the rows of ranks 1..``stop`` are all placed in the arrays
    of ``into`` (their rows ``[0, stop)`` final): on the placing thread as soon as a batch in rank
    order has placed them, else on the caller's with ``stop = n`` once every rank is checked. The
    engine gives a roster read from its ranked table in rank order, so the rows grow batch by
    batch (a round's saver appends them meanwhile); batches in another order only call it at the
    end. Ranks that turn out not to be a permutation are refused after rows were told (the
    caller's work with them is then undone by the error).

    >>> seen = []
    >>> _ = by_rank([pa.record_batch({"rank": [1, 2]}), pa.record_batch({"rank": [3]})], 3,
    ...             {"rank": "int64"}, on_prefix=seen.append)
    >>> seen
    [2, 3]
    """
    into = into or {}
    for name, kind in kinds.items():
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} of column {name!r}")
    out: dict[str, Any] = {name: into[name] if name in into else np.empty(n, dtype=kind)
                           for name, kind in kinds.items() if kind != "text"}
    texts: dict[str, list[Any]] = {name: [] for name, kind in kinds.items() if kind == "text"}
    where = np.empty(n, dtype=np.int64)  # each rank's row in the result as it came
    seen = np.zeros(n, dtype=bool)
    pool = pa.system_memory_pool()  # given back when freed (see xuanba.facts.compute._to_pandas)

    def place(batch: Any, first: int) -> None:  # one batch's values written at their ranks
        pos = batch.column(rank).to_numpy(zero_copy_only=False).astype(np.int64, copy=False) - 1
        if len(pos) and (pos.min() < 0 or pos.max() >= n or first + len(pos) > n):
            raise ValueError(f"a rank outside 1..{n}, or more than {n} rows")
        # whether the batch holds ranks first+1, first+2, … in order: the rows placed so far are then
        # the leading ranks' (each rank once: a rank seen twice leaves one of 1..n unseen, refused below)
        in_order = (on_prefix is not None and prefix[0] == first and bool(len(pos)) and pos[0] == first
                    and bool((np.diff(pos) == 1).all()))
        seen[pos] = True
        where[pos] = np.arange(first, first + len(pos), dtype=np.int64)
        for name, kind in kinds.items():
            col = batch.column(name)
            if kind == "text":  # copied out: a column of the batch would hold all of its buffers
                texts[name].append(pa.concat_arrays([col], memory_pool=pool))
            else:
                out[name][pos] = _values(col, kind)
        if in_order:  # told at once: the next batch is still being made on the caller's thread
            prefix[0] = first + len(pos)
            on_prefix(prefix[0])  # type: ignore[misc]  (in_order is only true with on_prefix)

    # each batch placed on a thread of its own while the engine makes the next one on the caller's
    # (NumPy's scatter and Arrow's conversions let go of the GIL): at most two batches held
    got = 0
    prefix = [0]  # the leading ranks placed (while the batches come in rank order), told to on_prefix
    with ThreadPoolExecutor(1, thread_name_prefix="by_rank") as placer:
        placing = None
        for batch in batches:
            if placing is not None:
                placing.result()
            placing = placer.submit(place, batch, got)
            got += batch.num_rows
            del batch
        if placing is not None:
            placing.result()
            del placing
    if got != n or not seen.all():
        raise ValueError(f"the ranks are not 1..{n} each once ({got:,} rows)")
    if on_prefix is not None and prefix[0] != n:
        on_prefix(n)
    for name in list(texts):
        chunks = texts.pop(name)
        whole = pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.string())
        out[name] = pc.take(whole, pa.array(where), memory_pool=pool)
        del chunks, whole
    return out
