"""Tables out: CSV (UTF-8 with BOM, so Excel reads Chinese), Excel (a sheet per table, frozen
headers) and Parquet.

Example
-------
>>> import pandas as pd, tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
>>> export_table(pd.DataFrame({"客户": ["甲"], "score": [1.5]}), out).read_bytes()[:3]
b'\\xef\\xbb\\xbf'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from xuanba.errors import DataError, InputError

FORMATS = (".csv", ".xlsx", ".parquet")
#: Rows one Excel sheet holds, the header included.
EXCEL_MAX_ROWS = 1_048_576


def _format_of(path: Path, fmt: str | None) -> str:
    suffix = ("." + fmt.lower().lstrip(".")) if fmt else path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"cannot write a '{suffix or 'extensionless'}' file",
            file=str(path),
            fix="Name the output .parquet, .csv or .xlsx (or pass --format csv|xlsx|parquet).",
        )
    return suffix


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells a spreadsheet can hold: list cells joined with '; ', time zones dropped."""
    out = frame.copy(deep=False)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
        elif s.dtype == object:
            sample = s.dropna().head(50)
            if sample.map(lambda v: isinstance(v, list | tuple | set)).any() or sample.map(
                lambda v: hasattr(v, "tolist") and not isinstance(v, str)
            ).any():
                out[col] = s.map(_join)
    return out


def _join(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()  # numpy arrays from Parquet/Arrow
    if isinstance(value, list | tuple | set):
        return "; ".join(str(v) for v in value)
    return value


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "sheet"
    base = base[:31]
    cand, i = base, 2
    while cand.lower() in taken:
        tail = f"_{i}"
        cand, i = base[: 31 - len(tail)] + tail, i + 1
    taken.add(cand.lower())
    return cand


def _check_excel_rows(frame: pd.DataFrame, name: str, path: Path) -> None:
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise DataError(
            f"table '{name}' has {len(frame):,} rows; an Excel sheet holds {EXCEL_MAX_ROWS - 1:,}",
            file=str(path),
            fix="Export it as .parquet or .csv instead.",
        )


def export_table(
    frame: pd.DataFrame, path: str | Path, *, sheet: str = "table", fmt: str | None = None
) -> Path:
    """Write one table to ``.csv`` (UTF-8 BOM), ``.xlsx`` (frozen header) or ``.parquet``.

    Parameters
    ----------
    frame
        The table; its index is not written.
    path
        The file; its suffix picks the format unless ``fmt`` is given. Folders are created.
    sheet
        Sheet name for ``.xlsx``.

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = export_table(pd.DataFrame({"a": [1]}), pathlib.Path(tempfile.mkdtemp()) / "t.parquet")
    >>> pd.read_parquet(p)["a"].tolist()
    [1]
    """
    out = Path(path)
    suffix = _format_of(out, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        frame.to_parquet(out, index=False)
    elif suffix == ".csv":
        _flat(frame).to_csv(out, index=False, encoding="utf-8-sig")
    else:
        return export_tables({sheet: frame}, out, fmt="xlsx")[0]
    return out


def export_tables(
    tables: Mapping[str, pd.DataFrame], out: str | Path, *, fmt: str | None = None
) -> list[Path]:
    """Write several tables: one workbook with a sheet per table, or one file per table.

    Parameters
    ----------
    tables
        ``name -> DataFrame``, written in this order.
    out
        For ``.xlsx``: the workbook. For CSV or Parquet: a folder that receives
        ``<name>.csv`` / ``<name>.parquet`` (``fmt`` then says which).
    fmt
        ``"csv"``, ``"xlsx"`` or ``"parquet"``; default from the suffix of ``out``.

    Returns
    -------
    list of Path
        The files written.

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in export_tables({"roster": pd.DataFrame({"a": [1]}),
    ...                                 "diff": pd.DataFrame({"b": [2]})}, d / "round.xlsx")]
    ['round.xlsx']
    """
    path = Path(out)
    if fmt is None and path.suffix == "":
        raise InputError(
            "cannot tell which format to write",
            file=str(path),
            fix="Name a .xlsx workbook, or pass the format (csv, xlsx or parquet) for a folder.",
        )
    suffix = _format_of(path, fmt)
    if suffix == ".xlsx":
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx") if path.suffix else path / "tables.xlsx"
        for name, frame in tables.items():
            _check_excel_rows(frame, name, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, frame in tables.items():
                _flat(frame).to_excel(
                    xw, sheet_name=_sheet_name(name, taken), index=False, freeze_panes=(1, 0)
                )
        return [path]
    folder = path if path.suffix.lower() not in FORMATS else path.parent
    written = []
    for name, frame in tables.items():
        safe = re.sub(r"[^\w.-]+", "_", str(name)) or "table"
        written.append(export_table(frame, folder / f"{safe}{suffix}", fmt=suffix))
    return written


#: Tables of a round that :func:`export_round` can write.
ROUND_TABLES = ("roster", "contributions", "diff", "migration", "facts")


def round_tables(
    workspace: Any, round_id: str, tables: Sequence[str] = ("roster",), *, against: str | None = None
) -> dict[str, pd.DataFrame]:
    """The named tables of a stored round: ``roster``, ``contributions``, ``diff`` and
    ``migration`` (against ``against``, default the previous round) and ``facts``: every field
    the round gathered for each customer at its cutoff, as it stored them."""
    from xuanba.rounds import diff_rounds, load_round, previous_round, resolve_round_id

    unknown = [x for x in tables if x not in ROUND_TABLES]
    if unknown:
        raise InputError(f"unknown table(s) {unknown}", fix=f"Choose among {', '.join(ROUND_TABLES)}.")
    rid = resolve_round_id(workspace, round_id)
    rnd = load_round(workspace, rid, fields="facts" in tables)
    out: dict[str, pd.DataFrame] = {}
    diff = None
    for name in tables:
        if name == "roster":
            out[name] = rnd.roster
        elif name == "contributions":
            out[name] = rnd.contributions
        elif name in ("diff", "migration"):
            if diff is None:
                base = resolve_round_id(workspace, against) if against else previous_round(workspace, rid)
                if base is None:
                    raise DataError(f"round {rid} is the first one: there is no diff to export",
                                    fix="Pass --against ROUND, or leave out diff and migration.")
                diff = diff_rounds(workspace, base, rid)
            out[name] = diff.changes if name == "diff" else diff.migration.rename_axis("from").reset_index()
        else:
            if rnd.fields is None:
                raise DataError(f"round {rid} was stored by an older xuanba and holds no per-customer fields",
                                fix="Run the round again (`xuanba round`), or leave out facts.")
            out[name] = rnd.fields
    return out


def export_round(
    workspace: Any,
    round_id: str,
    out: str | Path,
    *,
    tables: Sequence[str] = ("roster",),
    against: str | None = None,
    fmt: str | None = None,
) -> list[Path]:
    """Export tables of a stored round (see :func:`round_tables`) with :func:`export_tables`.

    Example
    -------
    >>> export_round("xuanba.duckdb", "latest", "round.xlsx", tables=["roster", "diff"])  # doctest: +SKIP
    [PosixPath('round.xlsx')]
    """
    from xuanba.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        frames = round_tables(ws, round_id, tables, against=against)
    return export_tables(frames, out, fmt=fmt)
