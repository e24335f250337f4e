"""The names of a round's extra fields (``--fields``, ``extra_fields=``), checked once before
any work, on the workspace path and on an engine alike.

A column is renamed to its NFKC form (Python reads a rule's ``得分２０２５`` as ``得分2025``, so
the rule and the column meet) and refused when it would be stored or joined under another
field's name: ``round_id``, a built-in field written in other case (``t`` for ``T``), or two
columns that are one name ignoring case (the workspace's column names ignore case); or when no
round could store it (empty, or with a line break or another control character).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, overload

import pandas as pd

from xuanba._frames import mixed_as_text
from xuanba.errors import DataError, Phrase


def extra_field_names(frame: pd.DataFrame | None) -> list[str]:
    """The names of the extra fields ``frame`` gives (its columns but ``customer_id``; none
    without a frame).

    Example
    -------
    >>> extra_field_names(pd.DataFrame({"customer_id": [1], "nps": [3]})), extra_field_names(None)
    (['nps'], [])
    """
    return [] if frame is None else [c for c in frame.columns if c != "customer_id"]


#: Where :func:`xuanba.rounds.run.read_fields_file` leaves, in the frame's ``attrs``, the file it
#: read: what a round refuses in the frame later names it (:func:`criteria_numbers`).
FILE_READ = "xuanba_file"


def criteria_numbers(frame: pd.DataFrame | None, standard: Any) -> None:
    """Refuse, before any work, an extra field of ``frame`` that a criterion of ``standard`` reads
    as numbers and that holds text or dates, in the words scoring would refuse it in once the facts
    and the model were made (:func:`xuanba.standard.score.not_numbers`), naming the file the frame
    was read from (:data:`FILE_READ`) and the row of its first value that is no number (the
    frame's rows in the file's order, the first under the header row 1).

    Example
    -------
    >>> from xuanba.standard import load_standard
    >>> std = load_standard('[standard]\\nname = "s"\\nversion = "1"\\n[[criteria]]\\nname = "nps"\\n'
    ...                     'field = "nps"\\nweight = 1\\n', extra_fields=("nps",))
    >>> criteria_numbers(pd.DataFrame({"customer_id": ["a", "b"], "nps": ["5", "n/a"]}), std)
    Traceback (most recent call last):
    ...
    xuanba.errors.DataError: row 2, column 'nps': criterion 'nps' reads this column as numbers, and 'n/a' (customer 'b') is not a number (1 in all)
      fix: Write a plain number in each cell of that column (1234.5; an empty cell is missing), or read the text in a gate (e.g. segment == 'A') rather than in a criterion.
    """
    from xuanba.standard.score import not_numbers, text_or_date

    if frame is None or "customer_id" not in frame.columns:  # refused as such where the fields are joined
        return
    file = frame.attrs.get(FILE_READ)
    for c in standard.criteria:
        if c.field != "customer_id" and c.field in frame.columns and text_or_date(frame[c.field]):
            values = frame[c.field]  # a file's word for missing is missing: its first other word is named,
            gone = _missing_cells(values)  # or, in a column of such words alone (text: a gate's NA), the first
            named = values.mask(gone) if file and not (gone | values.isna()).all() else values
            raise not_numbers(c, named, frame["customer_id"], file=file, rows=True)


def storable_name(name: str) -> bool:
    """Whether a round can store a field named ``name``: not empty nor blank, and without a
    control character (a line break, a tab).

    Example
    -------
    >>> storable_name("nps; =cmd 'x'"), storable_name("new\\nline"), storable_name(" ")
    (True, False, False)
    """
    return bool(name.strip()) and not any(ord(ch) < 32 for ch in name)


@overload
def checked_extra_fields(frame: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame: ...


@overload
def checked_extra_fields(frame: None, *, file: str | None = None) -> None: ...


def checked_extra_fields(frame: pd.DataFrame | None, *, file: str | None = None) -> pd.DataFrame | None:
    """``frame`` with its extra columns' names in NFKC form (``None``, no extra fields, as it is),
    or a :class:`~xuanba.errors.DataError` naming ``file``, the column and the name it collides
    with, and asking to rename it. Every round, replay, backtest, tune and what-if passes its extra
    fields here before any name is used. A column of numbers beside words (3, 4.5 and ``VIP``) is
    text, as a fields file's (:func:`xuanba._frames.mixed_as_text`): a gate reads it, a criterion
    names its first word.

    Example
    -------
    >>> checked_extra_fields(pd.DataFrame({"customer_id": [1], "得分２０２５": [3]})).columns.tolist()
    ['customer_id', '得分2025']
    >>> checked_extra_fields(pd.DataFrame({"customer_id": [1], "t": [3]}))
    Traceback (most recent call last):
    ...
    xuanba.errors.DataError: column 't': the extra fields' column 't' differs from the built-in field 'T' only in case
      fix: Rename the column 't' (a field of your own needs a name of its own).
    """
    from xuanba.standard.schema import known_fields

    if frame is None:
        return None
    builtin = {n.lower(): n for n in sorted(known_fields() | {"customer_id"})}
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    for col in frame.columns:
        if col == "customer_id":
            continue
        name = unicodedata.normalize("NFKC", str(col))
        if not storable_name(name):
            raise DataError(Phrase("err_extra_bad_name", column=repr(str(col))), file=file, column=str(col),
                            fix=Phrase("err_extra_plain_name", column=repr(str(col))))
        if name.lower() == "round_id":
            raise DataError(Phrase("err_extra_round_id", column=repr(str(col))), file=file, column=str(col),
                            fix=Phrase("err_extra_rename", column=repr(str(col))))
        own = builtin.get(name.lower())
        if own is not None and own != name:
            raise DataError(Phrase("err_extra_builtin_case", column=repr(str(col)), field=repr(own)),
                            file=file, column=str(col), fix=Phrase("err_extra_rename", column=repr(str(col))))
        if name.lower() in seen:
            raise DataError(Phrase("err_extra_same_name", column=repr(str(col)), other=repr(seen[name.lower()]),
                                   name=repr(name)),
                            file=file, column=str(col), fix=Phrase("err_extra_rename", column=repr(str(col))))
        seen[name.lower()] = str(col)
        if name != col:
            renamed[col] = name
    for col in frame.columns:  # once every name is known to be one column's
        if col != "customer_id" and unicodedata.normalize("NFKC", str(col)) in MONEY_FIELDS:
            money = _read_money(frame, col, file)
            if money is not None:
                frame = frame.assign(**{col: money})
    frame = mixed_as_text(frame, extra_field_names(frame))  # a Python frame's as a file's: Arrow takes no such column
    return frame.rename(columns=renamed) if renamed else frame


def _percent(value: object) -> bool:
    """Whether ``value`` is text written as a percentage (``12%``, ``１２％``): a rate, said so."""
    return isinstance(value, str) and ("%" in value or "％" in value)


#: The money fields a round's headline figures read: an extra field of that name must hold money
#: the workspace could store, read as ingest reads an amount (:func:`_read_money`).
MONEY_FIELDS = ("profit_365d", "margin_365d", "revenue_365d", "cost_to_serve_365d")


def _read_money(frame: pd.DataFrame, col: str, file: str | None) -> pd.Series | None:
    """The money field ``col`` (:data:`MONEY_FIELDS`) of the extra fields read as ingest reads an
    amount (:func:`xuanba.ingest.money.read_money`: ``1,234``, ``¥1,234.50``, ``(12.00)``,
    ``1.234,50``), as numbers when some cells are text (``None``: a number column, kept as it is);
    or a :class:`~xuanba.errors.DataError` naming ``file``, the row (1-based, the first line under
    the header being row 1, as ingest counts), the column, the value and its customer, for a value
    that is no money ingest stores (``NaN``, ``±inf``, ``1e14`` or more, text that is not an
    amount): a round would count it in no figure, or as ``1.8e308`` in one and 0 in another.
    Missing is missing; a column of cells that are not all numbers (text, objects) comes back as
    numbers.

    Example
    -------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b"], "revenue_365d": ["¥1,234.50", "(12)"]})
    >>> _read_money(frame, "revenue_365d", None).tolist()
    [1234.5, -12.0]
    >>> _read_money(frame.assign(revenue_365d=["1,234", "12 元 x"]), "revenue_365d", "f.csv")
    Traceback (most recent call last):
    ...
    xuanba.errors.DataError: f.csv, row 2, column 'revenue_365d': the extra field 'revenue_365d' holds values that are not money, the first '12 元 x' (customer 'b') (1 in all)
      fix: Give a number below 1e14 in absolute value, plain (1234.5) or as ingest reads an amount (1,234.50, ¥1,234.50, (12.00) for -12), or leave the cell empty (missing).
    """
    import numpy as np

    from xuanba.errors import InputError
    from xuanba.ingest.money import read_money

    values = frame[col]
    if values.dtype.kind not in "biuf" and file is not None:  # a file's word for missing (n/a, #N/A) is missing
        gone = _missing_cells(values)  # and its NaN a NaN written (not_finite), both said
        nan = values.map(lambda v: isinstance(v, str) and v.strip().lower() in _NAN_WORDS).astype(bool)
        _mark_missing(frame, col, values, gone)
        if nan.any() and "customer_id" in frame.columns:
            frame.attrs[NAN_WRITTEN] = {**(frame.attrs.get(NAN_WRITTEN) or {}),
                                        str(col): frame["customer_id"].astype(str)[nan.to_numpy()].tolist()}
        values = values.mask(gone | nan)
    try:
        numbers, bad = read_money(values, file=file, column=str(col))
    except InputError as exc:  # the text's decimal mark cannot be told (ingest's words: which rows)
        raise DataError(Phrase("err_extra_money_mark", column=repr(str(col)), detail=exc.phrase or exc.message),
                        file=file, row=exc.row, column=str(col), fix=Phrase("err_extra_money_mark_fix")) from None
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        who = repr(str(frame["customer_id"].iloc[first])) if "customer_id" in frame.columns else "?"
        value = values.iloc[first]
        raise DataError(Phrase("err_extra_money", column=repr(str(col)),
                               value=repr(value) if isinstance(value, str) else str(value), customer=who),
                        file=file, row=first + 1, column=str(col), count=int(bad.sum()),
                        fix=Phrase("err_extra_money_percent_fix" if _percent(value) else "err_extra_money_fix"))
    if values.dtype.kind in "biuf":
        return None
    return pd.Series(numbers, index=frame.index, name=col)


#: Where :func:`xuanba.rounds.run.read_fields_file` leaves, in the frame's ``attrs``, the customers
#: of each float column whose cell is written as NaN (text ``NaN``; a Parquet float NaN, not a null):
#: pandas reads them as it reads an empty cell, but they are values the file gives and the round
#: cannot use. By id, not row position: pandas keeps ``attrs`` through a sort or a filter, which
#: move the rows.
NAN_WRITTEN = "xuanba_nan_written"
#: How many customers :func:`not_finite` names per field.
FIRST_CUSTOMERS = 5


def not_finite(frame: pd.DataFrame | None) -> dict[str, dict[str, object]]:
    """The extra fields of ``frame`` holding values a round cannot use and scores as missing:
    ``{field: {"n": how many, "customers": the first few ids in the file's order}}`` for ±inf
    (text ``inf``, ``1e999``, a float) and a NaN the file writes (:data:`NAN_WRITTEN`); an
    empty cell is missing, not counted. Every round stores it (``meta["extra_fields_not_finite"]``),
    which the console and the report say (:func:`xuanba.outputs.field_words.not_finite_line`).

    Example
    -------
    >>> import numpy as np
    >>> not_finite(pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": [1.0, np.inf, np.nan]}))
    {'nps': {'n': 1, 'customers': ['b']}}
    """
    import numpy as np

    if frame is None:
        return {}
    written = {unicodedata.normalize("NFKC", str(k)): v for k, v in (frame.attrs.get(NAN_WRITTEN) or {}).items()}
    out: dict[str, dict[str, object]] = {}
    for col in extra_field_names(frame):
        values = frame[col]
        if values.dtype.kind != "f":
            continue
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isinf(numbers)
        marked = written.get(unicodedata.normalize("NFKC", str(col)))
        if marked:  # still NaN where the file wrote it (a value filled in since is a value)
            bad |= np.isnan(numbers) & frame["customer_id"].astype(str).isin(set(map(str, marked))).to_numpy()
        if bad.any():
            ids = frame["customer_id"].to_numpy()[np.flatnonzero(bad)[:FIRST_CUSTOMERS]]
            out[str(col)] = {"n": int(bad.sum()), "customers": [str(i) for i in ids]}
    return out


def missing_words(frame: pd.DataFrame | None) -> dict[str, dict[str, object]]:
    """The extra fields of ``frame`` whose cells the file writes as a word for missing (``n/a``,
    ``#N/A``, ``NULL``: :data:`MISSING_WORDS`), scored as missing: ``{field: {"n": how many,
    "customers": the first few ids in the file's order, "words": the first words as written}}``,
    from :data:`MISSING_WRITTEN` (a cell filled in since is a value, not counted). Every round
    stores it (``meta["extra_fields_missing_words"]``), which the console and the report say
    (:func:`xuanba.outputs.field_words.missing_words_line`).

    Example
    -------
    >>> frame = read_numbers(pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": ["#N/A", "5", " n/a"]}))
    >>> missing_words(frame)
    {'nps': {'n': 2, 'customers': ['a', 'c'], 'words': ['#N/A', 'n/a']}}
    """
    import numpy as np

    if frame is None:
        return {}
    marks = {unicodedata.normalize("NFKC", str(k)): v for k, v in (frame.attrs.get(MISSING_WRITTEN) or {}).items()}
    out: dict[str, dict[str, object]] = {}
    for col in extra_field_names(frame):
        said = marks.get(unicodedata.normalize("NFKC", str(col)))
        if not said:
            continue
        at = (frame[col].isna() & frame["customer_id"].astype(str).isin(set(map(str, said["customers"])))).to_numpy()
        if at.any():
            ids = frame["customer_id"].to_numpy()[np.flatnonzero(at)[:FIRST_CUSTOMERS]]
            out[str(col)] = {"n": int(at.sum()), "customers": [str(i) for i in ids], "words": list(said["words"])}
    return out


#: The words a file writes for "no value" in a cell of numbers, compared without case or the
#: spaces around: pandas' words for missing but NaN (a NaN the file writes is a value it cannot
#: use, :data:`NAN_WRITTEN`). Such a cell is missing, and the round says how many, whose and which
#: words (:func:`missing_words`). Not ``-``: Excel's accounting format writes a zero so. An Excel
#: error (``#DIV/0!``) is no value in any column, text too (:func:`excel_errors`).
MISSING_WORDS = frozenset({"n/a", "na", "#n/a", "#n/a n/a", "#na", "<na>", "null", "none",
                           "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan"})
_NAN_WORDS = ("nan", "-nan", "+nan")  # pandas' own NaN words, which to_numeric does not take
_TRUE, _FALSE = ("True", "TRUE", "true"), ("False", "FALSE", "false")  # what pandas reads as a bool
#: Where :func:`read_numbers` leaves, in the frame's ``attrs``, the customers of each column whose
#: cell is a word of :data:`MISSING_WORDS`, and the first few such words as written:
#: ``{column: {"customers": [ids], "words": [words]}}`` (by id, as :data:`NAN_WRITTEN`).
MISSING_WRITTEN = "xuanba_missing_written"
_WORDS_SHOWN = 3


def _missing_cells(values: pd.Series) -> pd.Series:
    """Whether each cell of ``values`` is text of :data:`MISSING_WORDS`."""
    return values.map(lambda v: isinstance(v, str) and v.strip().casefold() in MISSING_WORDS).astype(bool)


def excel_errors(values: pd.Series) -> pd.Series:
    """Whether each cell of ``values`` is an Excel error value as text (``#N/A``, ``#DIV/0!``:
    :data:`xuanba.ingest.rules.EXCEL_ERRORS`, any case, spaces round it), as a sheet's error cell
    is read (:func:`xuanba.tables.error_cells`) and a CSV saved from Excel writes it: no value in
    any column, numbers or text.

    >>> excel_errors(pd.Series(["#DIV/0!", " #n/a", "NA", 3])).tolist()
    [True, True, False, False]
    """
    from xuanba.ingest.rules import is_excel_error

    return values.map(is_excel_error).astype(bool)


def _mark_missing(frame: pd.DataFrame, col: object, written: pd.Series, gone: pd.Series) -> None:
    """Keep in ``frame.attrs`` (:data:`MISSING_WRITTEN`) the customers whose cell of ``col`` (as
    ``written``) ``gone`` marks as a word for missing, and the first such words."""
    at = gone.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
    if not at.any() or "customer_id" not in frame.columns:
        return
    words = list(dict.fromkeys(str(w).strip() for w in written[at]))
    marks = dict(frame.attrs.get(MISSING_WRITTEN) or {})
    marks[str(col)] = {"customers": frame["customer_id"].astype(str)[at].tolist(), "words": words[:_WORDS_SHOWN]}
    frame.attrs[MISSING_WRITTEN] = marks


def read_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a fields file as pandas read it, its words for missing kept as text:
    :func:`xuanba.tables.read_table`'s ``missing_words=False``) with each text column whose every
    cell is a number once its spaces are stripped, ``NaN``, ``inf``, or a word for missing
    (:data:`MISSING_WORDS`) read as numbers, and one of ``True``/``False`` and such words as a
    bool; the customers whose cell writes NaN and those whose cell writes a word for missing kept
    in its ``attrs`` (:data:`NAN_WRITTEN`, :data:`MISSING_WRITTEN`), which the round says. An Excel
    error (``#N/A``, ``#DIV/0!``: :func:`excel_errors`) is missing in any column, text too, and
    said with the words. pandas
    strips spaces round ``5`` but not round ``inf`` or ``nan``, nor reads ``NAN`` or ``-INF``, so one
    such cell made the whole column text and the round refused it as no number (without naming the
    cell). A column with a word of its own (``VIP``, ``NA`` beside ``EU``), or of such words alone (a
    region ``NA`` for every customer), is text, each cell as written.

    Example
    -------
    >>> frame = read_numbers(pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": [" inf ", "5", "n/a"],
    ...                                    "region": ["EU", "NA", "NA"]}))
    >>> frame["nps"].tolist(), frame["region"].tolist(), frame.attrs[MISSING_WRITTEN]
    ([inf, 5.0, nan], ['EU', 'NA', 'NA'], {'nps': {'customers': ['c'], 'words': ['n/a']}})
    >>> frame = read_numbers(pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": ["#DIV/0!", "5", "n/a"],
    ...                                    "region": ["EU", "#N/A", "NA"]}))
    >>> frame["nps"].tolist(), frame["region"].tolist(), frame.attrs[MISSING_WRITTEN]["region"]
    ([nan, 5.0, nan], ['EU', nan, 'NA'], {'customers': ['b'], 'words': ['#N/A']})
    """
    out = frame
    for col in extra_field_names(frame):
        written = values = frame[col]
        if values.dtype.kind not in "OSU" and not pd.api.types.is_string_dtype(values):
            continue
        errors = excel_errors(values)  # a sheet's #N/A, #DIV/0!: missing in any column, said
        if errors.any():
            values = values.mask(errors)
            out = frame.copy() if out is frame else out
            out[col] = values
            _mark_missing(out, col, written, errors)
        given = values.dropna()
        if given.empty or not all(isinstance(v, str) for v in given):
            continue
        words = given.str.strip().str.lower()
        gone = words.isin(MISSING_WORDS)
        nan = words.isin(_NAN_WORDS)
        if gone.all():  # words alone (a region NA for every customer): text as written, which a gate reads
            continue
        kept = given[~gone].str.strip()
        if kept.isin((*_TRUE, *_FALSE)).all():  # a bool column with words for missing
            read = kept.isin(_TRUE).astype(object).reindex(frame.index)
        else:
            try:
                read = pd.to_numeric(words.where(~(nan | gone), "0"), errors="raise").astype("float64").mask(nan | gone)
            except (ValueError, TypeError):
                continue
            read = read.reindex(frame.index)
        if out is frame:
            out = frame.copy()
        out[col] = read
        if nan.any():
            marks = dict(out.attrs.get(NAN_WRITTEN) or {})
            marks[str(col)] = out["customer_id"].astype(str)[nan.reindex(frame.index, fill_value=False)].tolist()
            out.attrs[NAN_WRITTEN] = marks
        _mark_missing(out, col, written, gone.reindex(frame.index, fill_value=False) | errors)
    return out


def nan_written(path: Path, frame: pd.DataFrame) -> dict[str, Any]:
    """The customers of ``frame`` (read from the Parquet file ``path``) whose cell is a float NaN
    (not a null), per float column that holds a NaN (ids as text: JSON, as Arrow keeps a frame's
    ``attrs``): pandas reads both as one NaN. A text file's or a sheet's NaN is text until
    :func:`read_numbers` reads it, which keeps its customers itself; ``{}`` for them."""
    import numpy as np

    cols = [c for c in extra_field_names(frame) if frame[c].dtype.kind == "f" and frame[c].isna().any()]
    if not cols or path.suffix.lower() != ".parquet":
        return {}
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=[str(c) for c in cols])
    marks = {c: pc.fill_null(pc.is_nan(table.column(str(c))), False).to_numpy(zero_copy_only=False)
             for c in cols if _float(table.column(str(c)).type)}
    ids = frame["customer_id"].astype(str).to_numpy()
    return {str(c): ids[np.asarray(m, dtype=bool)].tolist() for c, m in marks.items() if np.any(m)}


def _float(kind: object) -> bool:
    """Whether an Arrow type is a float (the only kind that holds a NaN)."""
    import pyarrow as pa

    return pa.types.is_floating(kind)
