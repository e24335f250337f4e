"""Tables out: a round's roster, diff, migration and facts exported through
:func:`xuanba.tables.write_table` — CSV (UTF-8 with BOM, so Excel reads Chinese), Excel (a sheet
per table, frozen headers) and Parquet. Given a reader's language (``lang``), a workbook is
written for people: headers in that language, money, percentages and dates formatted, and a
``columns`` sheet with each header's field name and meaning. CSV and Parquet keep field names.

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

from xuanba.errors import DataError, InputError, Listed, Phrase
from xuanba.outputs.people import OWNER_ALIASES, PERSON_FIELDS, People, with_people
from xuanba.tables import write_table

_PLAIN_FIELD = re.compile(r"[A-Za-z_]\w*")


def criterion_columns(standard: Any) -> dict[str, str | None]:
    """``column -> field`` for a roster's raw-value columns, named after the standard's criteria:
    the field a criterion reads when it reads one field, ``None`` for a formula (so a criterion
    named ``margin`` holding ``margin_365d`` gets that field's header and money format).

    Example
    -------
    >>> from types import SimpleNamespace as C
    >>> std = C(criteria=[C(name="margin", field="margin_365d"),
    ...                   C(name="rate", field="margin_365d / revenue_365d")])
    >>> criterion_columns(std)
    {'margin': 'margin_365d', 'rate': None}
    """
    return {c.name: (c.field.strip() if _PLAIN_FIELD.fullmatch(c.field.strip()) else None)
            for c in standard.criteria}


def export_table(
    frame: pd.DataFrame, path: str | Path, *, sheet: str = "table", fmt: str | None = None,
    lang: str | None = None, columns: Mapping[str, str | None] | None = None,
) -> Path:
    """Write one table to ``.csv`` (UTF-8 BOM), ``.xlsx`` (frozen header) or ``.parquet``.

    The public name of :func:`xuanba.tables.write_table` for one table.

    Parameters
    ----------
    frame
        The table; its index is not written.
    path
        The file; its suffix picks the format unless ``fmt`` is given. Folders are created.
    sheet
        Sheet name for ``.xlsx``.
    lang
        ``"en"`` or ``"zh"``: an ``.xlsx`` for people reading that language (headers, a
        ``columns`` sheet); ``None``: field names as headers.
    columns
        ``column -> catalogue field`` for columns named otherwise (:func:`criterion_columns`).

    Example
    -------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = export_table(pd.DataFrame({"a": [1]}), pathlib.Path(tempfile.mkdtemp()) / "t.parquet")
    >>> pd.read_parquet(p)["a"].tolist()
    [1]
    """
    return write_table(frame, path, fmt, sheet=sheet, lang=lang, columns=columns)


def export_tables(
    tables: Mapping[str, pd.DataFrame], out: str | Path, *, fmt: str | None = None,
    lang: str | None = None, columns: Mapping[str, str | None] | None = None,
) -> list[Path]:
    """Write several tables: one workbook with a sheet per table, or one file per table.

    The public name of :func:`xuanba.tables.write_table` for several tables.

    Parameters
    ----------
    tables
        ``name -> DataFrame``, written in this order.
    out
        For ``.xlsx``: the workbook. For CSV or Parquet: a file name, honoured for one table
        (``round.csv``) and giving ``round-<name>.csv`` for several; or a folder that receives
        ``<name>.csv`` / ``<name>.parquet`` (``fmt`` then says which). Each file is replaced
        only by a complete new one.
    fmt
        ``"csv"``, ``"xlsx"`` or ``"parquet"``; default from the suffix of ``out``.
    lang, columns
        As for :func:`export_table`.

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
    >>> [p.name for p in export_tables({"roster": pd.DataFrame({"a": [1]}),
    ...                                 "diff": pd.DataFrame({"b": [2]})}, d / "round.csv")]
    ['round-roster.csv', 'round-diff.csv']
    """
    return write_table(dict(tables), out, fmt, lang=lang, columns=columns)


#: Tables of a round that :func:`export_round` can write.
ROUND_TABLES = ("roster", "contributions", "diff", "migration", "facts")


def round_tables(
    workspace: Any, round_id: str, tables: Sequence[str] = ("roster",), *, against: str | None = None
) -> dict[str, pd.DataFrame]:
    """The named tables of a stored round: ``roster``, ``contributions``, ``diff`` and
    ``migration`` (against ``against``, default the previous round) and ``facts``: every field
    the round gathered for each customer at its cutoff, as it stored them. The roster of a round
    that stored only its selected customers (run on an engine) comes as ``selected``."""
    return _round_tables(workspace, round_id, tables, against)[0]


#: The tables of a round that list its stored customers: those of its selection only, for a
#: round run on an engine (:func:`selection_file_note`).
CUSTOMER_TABLES = ("roster", "contributions", "facts")


def roster_table_name(meta: Mapping[str, Any] | None) -> str:
    """The name (and sheet) of a round's roster in an export: ``selected`` for a round that stored
    only its selected customers (its rows are not the whole roster), else ``roster`` (also for a
    round that selected every customer, and so stored them all)."""
    from xuanba.rounds.selection_only import rest_of_base

    return "selected" if rest_of_base(dict(meta or {}), 0) is not None else "roster"


def selection_file_note(meta: Mapping[str, Any] | None, round_id: int, lang: str,
                        tables: Sequence[str] = ("roster",), selected: Any = None) -> str | None:
    """What to say beside an export of ``tables`` of round ``round_id`` that stored only its
    selected customers: that the file holds those only, and where every customer's row is
    (:func:`xuanba.rounds.selection_only.selection_note`; ``selected``: the round's stored rows,
    to check a roster output is still the round's); ``None`` when there is nothing to say."""
    from xuanba.i18n import counted, t
    from xuanba.rounds.selection_only import (
        rest_of_base,
        selection_note,
        sentences,
        where_the_rest_is,
    )

    rest = rest_of_base(dict(meta or {}), round_id, selected)
    if rest is None or not set(tables) & set(CUSTOMER_TABLES):
        return None
    held = t(counted("selection_only_file", rest.n_selected), lang, sel=f"{rest.n_selected:,}")
    return sentences(lang, selection_note(rest, lang, where=False), held, where_the_rest_is(rest, lang))


def export_note(workspace: Any, round_id: str, tables: Sequence[str] = ("roster",), lang: str = "en") -> str | None:
    """:func:`selection_file_note` of a stored round (``latest``, ``3`` ...), read from its meta."""
    import json

    from xuanba.rounds import resolve_round_id
    from xuanba.rounds.store import roster_of
    from xuanba.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rid = resolve_round_id(ws, round_id)
        row = ws.con.execute("SELECT meta_json FROM rounds WHERE round_id = ?", [rid]).fetchone()
        rows = roster_of(ws, ["customer_id", "rank", "score"])  # no text decoded
        return selection_file_note(json.loads(row[0]) if row else None, rid, lang, tables, selected=lambda: ws.con.execute(
            f"SELECT customer_id, rank, score FROM {rows} WHERE round_id = ?", [rid]).to_arrow_table())


def roster_for_people(rnd: Any) -> pd.DataFrame:
    """A round's roster with who each customer is (name, owner, segment, region, as the round
    stored them) after the id: the roster a person reads in an export."""
    return with_people(rnd.roster, People.of(getattr(rnd, "fields", None)))


def _round_tables(workspace: Any, round_id: str, tables: Sequence[str], against: str | None
                  ) -> tuple[dict[str, pd.DataFrame], Any]:
    """:func:`round_tables` and the round's standard."""
    from xuanba.rounds import diff_rounds, load_round, previous_round, resolve_round_id

    unknown = [x for x in tables if x not in ROUND_TABLES]
    if unknown:
        raise InputError(Phrase("err_unknown_tables", names=str(unknown)),
                         fix=Phrase("err_choose_among_tables", names=Listed(ROUND_TABLES)))
    rid = resolve_round_id(workspace, round_id)
    rnd = load_round(workspace, rid, fields=True if "facts" in tables else (*PERSON_FIELDS, *OWNER_ALIASES))
    people = People.of(rnd.fields)
    out: dict[str, pd.DataFrame] = {}
    diff = None
    for name in tables:
        if name == "roster":  # a round that stored its selection only: the table is named for what it holds
            out[roster_table_name(rnd.meta)] = with_people(rnd.roster, people)
        elif name == "contributions":
            out[name] = rnd.contributions
        elif name in ("diff", "migration"):
            if diff is None:
                base = resolve_round_id(workspace, against) if against else previous_round(workspace, rid)
                if base is None:
                    raise DataError(Phrase("err_export_first_round", round_id=str(rid)),
                                    fix=Phrase("err_export_first_round_fix"))
                diff = diff_rounds(workspace, base, rid)
            out[name] = (with_people(diff.changes, people) if name == "diff"
                         else diff.migration.rename_axis("from").reset_index())
        else:
            if rnd.fields is None:
                raise DataError(Phrase("err_export_no_fields", round_id=str(rid)), fix=Phrase("err_export_no_fields_fix"))
            out[name] = rnd.fields
    return out, rnd.standard


def export_round(
    workspace: Any,
    round_id: str,
    out: str | Path,
    *,
    tables: Sequence[str] = ("roster",),
    against: str | None = None,
    fmt: str | None = None,
    lang: str | None = None,
) -> list[Path]:
    """Export tables of a stored round (see :func:`round_tables`) with :func:`export_tables`;
    with ``lang``, an ``.xlsx`` speaks to people of that language (its criterion columns get
    the headers and formats of the fields they read).

    Example
    -------
    >>> export_round("xuanba.duckdb", "latest", "round.xlsx", tables=["roster", "diff"])  # doctest: +SKIP
    [PosixPath('round.xlsx')]
    """
    from xuanba.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        frames, standard = _round_tables(ws, round_id, tables, against)
    return export_tables(frames, out, fmt=fmt, lang=lang, columns=criterion_columns(standard))
