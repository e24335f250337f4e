"""Read any supported source into DuckDB as an all-text table, without asking about the format.

CSV and text files: the encoding is detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM as Excel's
"Unicode text" writes it, GB18030/GBK as Chinese Excel and ERP exports write it) and the
delimiter sniffed (comma, tab, semicolon, bar, or runs of whitespace). DuckDB reads UTF-8 only
without downloading an extension, so other encodings are transcoded to a temporary UTF-8 file in
chunks first. Excel ``.xlsx`` goes through openpyxl, Parquet and in-memory tables (pandas,
polars, Arrow) straight into DuckDB. Every value becomes text here; typing happens later in SQL,
so that a bad value becomes a reject with its row number instead of a failed read.

The staged table has the file's columns (VARCHAR) plus ``_row``, the 1-based data row
(the first line under the header is row 1).

Example
-------
>>> import duckdb, pandas as pd
>>> con = duckdb.connect()
>>> info = stage(con, pd.DataFrame({"客户": ["007"], "金额": [1.5]}), "_raw")
>>> con.execute("SELECT * FROM _raw").fetchall()
[('007', '1.5', 1)]
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from xuanba._files import process_gone
from xuanba.errors import InputError, SchemaError
from xuanba.workspace import create_scratch, drop_scratch

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SUFFIXES = (*CSV_SUFFIXES, ".xlsx", ".xlsm", ".parquet")
_CHUNK = 8 << 20
_DELIMS = (",", "\t", ";", "|")
_LINE_DELIM = "\x1f"  # a byte no table uses: reads each line of a whitespace file whole
_HEADER_SEARCH = 15  # rows searched for a header under title lines

#: Decides whether a row of cells is the header (see :func:`stage`).
HeaderTest = Callable[[list[str]], bool]


@dataclass
class Staged:
    """What :func:`stage` found out about one source."""

    name: str
    sha256: str
    fmt: str
    columns: list[str]
    rows: int
    encoding: str | None = None
    delimiter: str | None = None
    skipped: int = 0  # title lines above the header
    notes: list[str] = field(default_factory=list)


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + str(name).replace('"', '""') + '"'


def list_sources(path: str | os.PathLike[str]) -> list[Path]:
    """A file, or the supported files of a directory (sorted, hidden files skipped).

    Example
    -------
    >>> list_sources("no/such/file.csv")
    Traceback (most recent call last):
    ...
    xuanba.errors.InputError: no/such/file.csv: file not found
      fix: Check the path; give a .csv/.txt/.tsv, .xlsx, .parquet file or a folder of them.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f for f in p.iterdir()
            if f.is_file() and not f.name.startswith((".", "~$")) and f.suffix.lower() in SUFFIXES
        )
        if not files:
            raise InputError(
                "the folder holds no table files",
                file=str(p),
                fix=f"Put {', '.join(SUFFIXES)} files in it, or name the files themselves.",
            )
        return files
    if not p.is_file():
        raise InputError(
            "file not found",
            file=str(p),
            fix="Check the path; give a .csv/.txt/.tsv, .xlsx, .parquet file or a folder of them.",
        )
    return [p]


# -- encodings ---------------------------------------------------------------------------------
def _sniff_bytes(path: Path) -> tuple[str | None, str]:
    """(encoding decided from the first bytes or None, sha256 of the whole file)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    multibyte = seen = 0
    encoding: str | None = None
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if first:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    encoding = "utf-8-sig"
                elif chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    encoding = "utf-16"
                elif b"\x00" in chunk[:4096]:
                    head = chunk[:4096]
                    if head[1::2].count(0) > len(head) // 4:
                        encoding = "utf-16-le"
                    elif head[0::2].count(0) > len(head) // 4:
                        encoding = "utf-16-be"
                    else:
                        encoding = "binary"
            if encoding is None and utf8_ok:
                try:
                    multibyte += len(chunk) - len(utf8.decode(chunk))
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    good = chunk[: max(exc.start, 0)]
                    multibyte += len(good) - len(good.decode("utf-8", "ignore"))
                    if multibyte >= 60:  # long valid UTF-8 text, then a bad byte: not GBK
                        _mostly_utf8(path, seen + max(exc.start, 0))
            seen += len(chunk)
    if encoding is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
        encoding = "utf-8" if utf8_ok else None
    return encoding, digest.hexdigest()


def _line_at(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return fh.read(offset).count(b"\n") + 1


def _mostly_utf8(path: Path, offset: int) -> None:
    raise InputError(
        f"the file is UTF-8 text up to line {_line_at(path, offset):,} of the file (byte {offset:,}), "
        "where a byte is not UTF-8; decoding it all as GBK would garble the text",
        file=str(path),
        fix="Open the file, fix or retype that line (it may have been pasted from another "
        "program), save it as 'CSV UTF-8', and ingest again.",
    )


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """Rewrite ``path`` from ``encoding`` to UTF-8 in chunks; error names the first bad line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as src, out.open("wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = done + exc.start
                line = _line_at(path, bad)
                raise InputError(
                    f"the file is neither UTF-8, UTF-16 nor GBK/GB18030 text (line {line:,} of the "
                    f"file, byte {bad:,}, cannot be read as {encoding})",
                    file=str(path),
                    fix="Open it in Excel or a text editor and save it as 'CSV UTF-8', then ingest again.",
                ) from None
            dst.write(text.encode("utf-8"))
            done += len(chunk)
            if final:
                break


_COPY_PREFIX = "xuanba-ingest-"  # + pid: the folder of a run's transcoded UTF-8 copy


def _remove_copies_of_killed_runs() -> None:
    """Remove the transcoded copies left in the temp folder by ingests that were killed (POSIX).

    A copy's folder is named after the process that made it; one whose process is gone is removed.
    """
    import shutil

    if os.name != "posix":
        return
    try:
        entries = list(Path(tempfile.gettempdir()).glob(f"{_COPY_PREFIX}*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name[len(_COPY_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and process_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _utf8_file(path: Path, tmpdir: Path) -> tuple[Path, str, str]:
    """(a UTF-8 file DuckDB can read, the source encoding, sha256 of the original)."""
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path), fix="Export the data again; the file has no bytes.")
    encoding, digest = _sniff_bytes(path)
    if encoding == "binary":
        raise InputError(
            "the file is not a text table (it holds binary data)",
            file=str(path),
            fix="Give a CSV, tab-separated text, .xlsx or .parquet file; check the file extension.",
        )
    if encoding in ("utf-8", "utf-8-sig"):
        return path, encoding, digest
    target = tmpdir / (path.stem + ".utf8.csv")
    if encoding is None:
        _transcode(path, "gb18030", target)
        return target, "gb18030", digest
    _transcode(path, encoding, target)
    return target, encoding, digest


# -- delimiters --------------------------------------------------------------------------------
def _sample_lines(path: Path, n: int = 200) -> list[tuple[int, str]]:
    """(0-based line number, text) of the first non-blank lines."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        text = fh.read(1 << 16)
    lines = text.splitlines()
    if len(text) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut
    return [(i, ln) for i, ln in enumerate(lines) if ln.strip()][:n]


def _cells(line: str, delim: str) -> list[str]:
    if delim == " ":
        return line.split()
    return next(csv.reader([line], delimiter=delim), [])


def _header_index(rows: list[list[str]], find_header: HeaderTest | None) -> int:
    """Index of the header among the first rows: 0 unless row 0 fails ``find_header`` and a
    later one (under a title such as 销售明细表) passes."""
    if find_header is None or not rows or find_header(rows[0]):
        return 0
    for i, row in enumerate(rows[1:_HEADER_SEARCH], start=1):
        if find_header(row):
            return i
    return 0


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of some CSV lines: one of ``, \\t ; |``, or ``" "`` for runs of whitespace.

    Picks the candidate that splits every line into the same number (> 1) of fields, the most
    fields winning; failing that, the one most lines agree on.

    Example
    -------
    >>> sniff_delimiter(["a;b;c", "1;2,5;3"])
    ';'
    >>> sniff_delimiter([" 00004 0001 19970101  2   29.33"])
    ' '
    """
    best: tuple[float, int, str] | None = None
    for delim in _DELIMS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        share = counts.count(mode) / len(counts)
        if mode < 2:
            continue
        score = (share, mode, delim)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is not None and best[0] == 1.0:
        return best[2]
    ws = [len(ln.split()) for ln in lines]
    if ws and min(ws) > 1 and len(set(ws)) == 1:
        return " "
    return best[2] if best is not None else ","


# -- staging -----------------------------------------------------------------------------------
def _finish(con: duckdb.DuckDBPyConnection, table: str, select: str, columns: list[str]) -> int:
    """Store ``select`` as text columns in ``{table}_t`` and expose it with ``_row`` as view ``table``."""
    types = [str(t) for t in con.sql(f"SELECT * FROM {select} LIMIT 0").types]

    def text(col: str, typ: str) -> str:
        q = quote(col)
        if typ in ("DOUBLE", "FLOAT"):  # 7.0 -> '7': ids stored as floats (pandas with NaN) stay ids
            return (f"CASE WHEN {q} = trunc({q}) AND abs({q}) < 9e15 THEN CAST(CAST({q} AS BIGINT) AS VARCHAR) "
                    f"ELSE CAST({q} AS VARCHAR) END AS {q}")
        return f"CAST({q} AS VARCHAR) AS {q}"

    casts = ", ".join(text(c, t) for c, t in zip(columns, types, strict=True))
    create_scratch(con, f"{table}_t", f"SELECT {casts} FROM {select}")
    offset, rows = con.execute(f"SELECT COALESCE(min(rowid), 0), count(*) FROM {table}_t").fetchone()
    create_scratch(con, table, f"SELECT *, CAST(rowid - {int(offset)} + 1 AS BIGINT) AS _row FROM {table}_t",
                   view=True)
    return int(rows)


def unstage(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what :func:`stage` created."""
    drop_scratch(con, table, view=True)
    drop_scratch(con, f"{table}_t")


def _names(columns: list[str] | None, found: int, where: str) -> list[str]:
    if columns is None:  # no header and no names: column1, column2, ... (map them with mapping=)
        return [f"column{i + 1}" for i in range(found)]
    if len(columns) != found:
        raise SchemaError(
            f"--columns names {len(columns)} columns but the file has {found} per line",
            file=where,
            fix=f"Give exactly {found} names, e.g. --columns " + ",".join(f"col{i + 1}" for i in range(found)),
        )
    return list(columns)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, header: bool,
               columns: list[str] | None, tmpdir: Path, find_header: HeaderTest | None = None) -> Staged:
    where = str(path)
    readable, encoding, digest = _utf8_file(path, tmpdir)
    sample = _sample_lines(readable)
    if not sample:
        raise InputError("the file is empty (no lines with data)", file=where,
                         fix="Export the data again; the file holds only blank lines.")
    tsv = path.suffix.lower() == ".tsv"
    delim = "\t" if tsv else sniff_delimiter([ln for _, ln in sample])
    first = 0
    if header:
        first = _header_index([_cells(ln, delim) for _, ln in sample], find_header)
        if first and not tsv:
            delim = sniff_delimiter([ln for _, ln in sample[first:]])
    skip = sample[first][0]  # physical lines above the header (titles, blanks)
    lines = [ln for _, ln in sample[first:]]
    src = str(readable).replace("'", "''")
    try:
        if delim == " ":
            head = lines[0].split()
            names = _names(columns, len(head), where) if not header else [str(h) for h in head]
            create_scratch(
                con, f"{table}_l",
                f"SELECT regexp_split_to_array(trim(line), '\\s+') AS f FROM read_csv('{src}', "
                f"columns={{'line': 'VARCHAR'}}, header=false, delim='{_LINE_DELIM}', quote='', "
                f"escape='', auto_detect=false, skip={skip}) WHERE trim(line) <> ''"
            )
            if header:
                con.execute(f"DELETE FROM {table}_l WHERE rowid = (SELECT min(rowid) FROM {table}_l)")
            parts = ", ".join(f"f[{i + 1}] AS {quote(n)}" for i, n in enumerate(names))
            rows = _finish(con, table, f"(SELECT {parts} FROM {table}_l ORDER BY rowid)", names)
            drop_scratch(con, f"{table}_l")
        else:
            d = delim.replace("'", "''")
            opts = f"delim='{d}', all_varchar=true, null_padding=true, quote='\"', skip={skip}"
            if header:
                rel = con.sql(f"SELECT * FROM read_csv('{src}', header=true, {opts}) LIMIT 0")
                names = list(rel.columns)
                select = f"read_csv('{src}', header=true, {opts})"
            else:
                probe = con.sql(f"SELECT * FROM read_csv('{src}', header=false, {opts}) LIMIT 0")
                names = _names(columns, len(probe.columns), where)
                spec = ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names)
                select = (f"read_csv('{src}', header=false, auto_detect=false, columns={{{spec}}}, "
                          f"delim='{d}', null_padding=true, quote='\"', escape='\"', skip={skip})")
            rows = _finish(con, table, select, names)
    except duckdb.Error as exc:
        raise InputError(
            f"cannot read the file as a table: {str(exc).splitlines()[0]}",
            file=where,
            fix="Check that every line has the same number of fields and that quotes are closed.",
        ) from None
    return Staged(where, digest, "csv", names, rows, encoding, "whitespace" if delim == " " else delim,
                  skipped=skip)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text


def _stage_excel(con: duckdb.DuckDBPyConnection, path: Path, table: str, header: bool,
                 columns: list[str] | None, find_header: HeaderTest | None = None) -> Staged:
    import openpyxl

    where = str(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError(
            f"not an Excel workbook ({type(exc).__name__})",
            file=where,
            fix="Save it from Excel as .xlsx (not .xls or a renamed file), or export it as CSV.",
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None and str(v).strip() for v in r)]
    finally:
        book.close()
    if not rows:
        raise InputError("the first sheet is empty", file=where, fix="Put the data on the first sheet.")
    first = _header_index([[_cell(v) or "" for v in r] for r in rows[:_HEADER_SEARCH]], find_header) if header else 0
    rows = rows[first:]
    width = max(len(r) for r in rows)
    if header:
        names = [str(v).strip() if v is not None else f"column{i + 1}" for i, v in enumerate(rows[0])]
        names += [f"column{i + 1}" for i in range(len(names), width)]
        body = rows[1:]
    else:
        names = _names(columns, width, where)
        body = rows
    data = {n: [_cell(r[i]) if i < len(r) else None for r in body] for i, n in enumerate(_dedupe(names))}
    arrow = pa.table({k: pa.array(v, type=pa.string()) for k, v in data.items()})
    staged = _stage_arrow(con, arrow, table, where, digest, "xlsx")
    staged.skipped = first
    staged.notes.append(f"sheet {sheet.title}")
    return staged


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}_{k}")
        seen[n] = k + 1
    return out


def _stage_arrow(con: duckdb.DuckDBPyConnection, arrow: pa.Table, table: str, where: str,
                 digest: str, fmt: str) -> Staged:
    view = f"{table}_arrow"
    con.register(view, arrow)
    try:
        rows = _finish(con, table, view, list(arrow.column_names))
    finally:
        con.unregister(view)
    return Staged(where, digest, fmt, list(arrow.column_names), rows)


def _to_arrow(source: Any) -> pa.Table:
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        for col in frame.columns:  # mixed object columns (numbers and text) as text
            if frame[col].dtype == object:
                frame[col] = frame[col].map(_cell)
        return pa.Table.from_pandas(frame, preserve_index=False)
    if hasattr(source, "to_arrow"):  # polars
        return source.to_arrow()
    raise InputError(
        f"cannot ingest a {type(source).__name__}",
        fix="Pass a file path, a folder, or a pandas/polars DataFrame or an Arrow table.",
    )


def table_digest(arrow: pa.Table) -> str:
    """sha256 of an Arrow table's content (its IPC stream), so re-loading a table is detected."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def stage(
    con: duckdb.DuckDBPyConnection,
    source: Any,
    table: str,
    *,
    header: bool = True,
    columns: list[str] | None = None,
    find_header: HeaderTest | None = None,
) -> Staged:
    """Load one source into the temporary all-text table ``table`` on ``con``.

    Parameters
    ----------
    con
        The workspace connection.
    source
        A file path (.csv/.txt/.tsv, .xlsx/.xlsm, .parquet) or an in-memory table.
    table
        Name of the temporary table to create (replaced when it exists).
    header
        Whether the first line holds the column names (files only).
    columns
        Names for the columns of a file without a header; implies ``header=False``.
    find_header
        Tells a header row from a title row. When the first row fails it and one of the next
        rows passes, the rows above that one (a title such as 销售明细表, blank lines) are skipped.

    Raises
    ------
    InputError
        Unreadable encoding, empty file, not a table, unsupported file type.
    """
    if columns is not None:
        header = False
    if not isinstance(source, (str, os.PathLike)):
        arrow = _to_arrow(source)
        if arrow.num_columns == 0 or arrow.num_rows == 0:
            raise InputError("the table is empty", file="<table>", fix="Pass a table with rows and columns.")
        return _stage_arrow(con, arrow, table, "<table>", table_digest(arrow), "table")
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        _remove_copies_of_killed_runs()
        with tempfile.TemporaryDirectory(prefix=f"{_COPY_PREFIX}{os.getpid()}-") as tmp:  # gone on any error
            staged = _stage_csv(con, path, table, header, columns, Path(tmp), find_header)
    elif suffix in (".xlsx", ".xlsm"):
        staged = _stage_excel(con, path, table, header, columns, find_header)
    elif suffix == ".parquet":
        if path.stat().st_size == 0:
            raise InputError("the file is empty", file=str(path), fix="Export the data again.")
        digest = _file_digest(path)
        src = str(path).replace("'", "''")
        try:
            names = list(con.sql(f"SELECT * FROM read_parquet('{src}') LIMIT 0").columns)
            rows = _finish(con, table, f"read_parquet('{src}')", names)
        except duckdb.Error as exc:
            raise InputError(
                f"not a Parquet table: {str(exc).splitlines()[0]}",
                file=str(path),
                fix="Write the file again with pandas/pyarrow/polars, or export it as CSV.",
            ) from None
        staged = Staged(str(path), digest, "parquet", names, rows)
    elif suffix == ".xls":
        raise InputError(
            "old Excel .xls files are not read",
            file=str(path),
            fix="Open it in Excel and save it as .xlsx (or as CSV UTF-8).",
        )
    else:
        raise InputError(
            f"unknown file type {suffix or '(no extension)'!r}",
            file=str(path),
            fix=f"Give a file ending in {', '.join(SUFFIXES)}.",
        )
    if staged.rows == 0:
        unstage(con, table)
        fix = "Export the data again with its rows."
        if header and headerless(staged.columns):
            fix += (" The only line looks like data, not names: if the file has no header, name "
                    "its columns in order with --columns.")
        raise InputError(
            "the file has a header but no data rows" if header and staged.fmt == "csv" else "the file has no data rows",
            file=staged.name,
            fix=fix,
        )
    return staged


def headerless(names: list[str]) -> bool:
    """Whether most "headers" look like values (numbers, dates): the file has no header line."""

    def value(name: str) -> bool:
        text = str(name).strip()
        return bool(text) and all(ch.isdigit() or ch in ".-/: " for ch in text)

    return bool(names) and 2 * sum(value(n) for n in names) >= len(names)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

