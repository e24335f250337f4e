"""The canonical side tables (customers, interactions, commitments, resources, needs, contacts).

Each table has a schema: required and optional columns, their types and the English and Chinese
header aliases a user's file may carry (the transactions' fields and aliases are in
:mod:`xuanba.ingest.mapping`). :func:`read_side_table` reads a DataFrame or a CSV/XLSX/Parquet
file, maps headers, checks types and accounts for every input row; ``xuanba ingest --kind``
stores the result, and :mod:`xuanba.accounts` works on it.

Example
-------
>>> import pandas as pd
>>> raw = pd.DataFrame({"客户编号": ["C1", "C2"], "互动时间": ["2026-01-05", "bad"]})
>>> table, rejects = read_side_table("interactions", raw)
>>> len(table), len(rejects)
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from xuanba.errors import InputError, Listed, Phrase, SchemaError, quoted, shown
from xuanba.ingest.money import read_money
from xuanba.ingest.rules import EXCEL_ERROR, TRIMMED_SPACES, is_excel_error
from xuanba.tables import read_table

ColType = Literal["id", "str", "date", "number", "bool"]


@dataclass(frozen=True)
class SideSchema:
    """Columns of one side table: name -> type, the required names, and header aliases;
    ``attributes``: its other columns are read too (the customers table's: customer attributes a
    round's standard gates and scores on, :func:`xuanba.rounds.run.customer_attributes`)."""

    kind: str
    columns: dict[str, ColType]
    required: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: bool = False


_COMMON = {
    "customer_id": ("客户编号", "客户id", "客户ID", "客户", "customer", "cust_id", "customerid"),
    "rep": ("负责人", "销售", "业务员", "owner", "sales_rep"),
    "cost": ("费用", "成本"),
    "name": ("名称", "姓名", "客户名称"),
    "ts": ("互动时间", "时间", "日期", "date", "timestamp"),
}

#: The columns of the customers table that say who a customer is, in the order outputs show them
#: (a report, a statement, an export and a notebook all name customers by these).
PERSON_FIELDS = ("name", "owner", "segment", "region")
#: Other names of the owner column in a round's fields (a customers table may call it ``rep``).
OWNER_ALIASES = ("owner", "rep")

SCHEMAS: dict[str, SideSchema] = {
    "customers": SideSchema(
        "customers",
        {"customer_id": "id", "name": "str", "segment": "str", "region": "str", "owner": "str",
         "size": "str"},
        ("customer_id",),
        {"customer_id": _COMMON["customer_id"], "name": _COMMON["name"],
         "segment": ("细分", "分群", "客群", "segment_name"), "region": ("地区", "区域"),
         "owner": ("负责人", "销售", "客户经理", "rep"), "size": ("规模", "客户规模")},
        attributes=True,
    ),
    "interactions": SideSchema(
        "interactions",
        {"customer_id": "id", "ts": "date", "kind": "str", "rep": "str", "minutes": "number",
         "cost": "number"},
        ("customer_id", "ts"),
        {"customer_id": _COMMON["customer_id"], "ts": _COMMON["ts"],
         "kind": ("类型", "互动类型", "type", "activity"), "rep": _COMMON["rep"],
         "minutes": ("时长(分钟)", "时长（分钟）", "时长", "duration"), "cost": _COMMON["cost"]},
    ),
    "commitments": SideSchema(
        "commitments",
        {"customer_id": "id", "made_on": "date", "due_on": "date", "rep": "str", "text": "str",
         "kept_on": "date", "status": "str"},
        ("customer_id", "made_on", "due_on"),
        {"customer_id": _COMMON["customer_id"], "made_on": ("承诺日期", "made", "promised_on"),
         "due_on": ("到期日", "截止日期", "due", "due_date"), "rep": _COMMON["rep"],
         "text": ("内容", "承诺内容", "description"), "kept_on": ("兑现日期", "kept", "done_on"),
         "status": ("状态", "state")},
    ),
    "resources": SideSchema(
        "resources",
        {"resource_id": "id", "name": "str", "channel": "str", "price": "number", "unit": "str",
         "case_studies": "str", "effect": "str", "tags": "str"},
        ("resource_id", "name"),
        {"resource_id": ("资源编号", "资源id", "id"), "name": ("名称", "资源名称", "title"),
         "channel": ("渠道",), "price": ("价格", "报价"), "unit": ("单位", "计价单位"),
         "case_studies": ("案例", "cases", "case_study"), "effect": ("效果", "effects", "results"),
         "tags": ("标签", "tag")},
    ),
    "needs": SideSchema(
        "needs",
        {"customer_id": "id", "tag": "str", "budget": "number", "period": "str", "channel": "str"},
        ("customer_id", "tag"),
        {"customer_id": _COMMON["customer_id"], "tag": ("需求", "标签", "need", "tags"),
         "budget": ("预算",), "period": ("周期", "期间"), "channel": ("渠道", "偏好渠道")},
    ),
    "contacts": SideSchema(
        "contacts",
        {"customer_id": "id", "contact_id": "id", "name": "str", "role": "str", "kpi": "str"},
        ("customer_id", "contact_id"),
        {"customer_id": _COMMON["customer_id"], "contact_id": ("联系人编号", "联系人id", "联系人ID"),
         "name": ("联系人", "姓名", "名称"), "role": ("角色", "职位", "title"),
         "kpi": ("KPI", "考核指标", "考核")},
    ),
}

REJECT_COLUMNS = ["row", "column", "value", "reason"]
#: Where :func:`read_side_table` leaves, in the table's ``attrs``, how many kept rows had a value
#: of an optional column left empty for an Excel error (``{column: n}``, only columns with some):
#: what ``xuanba ingest --kind`` reports as ``values_left_empty``, as it does a transaction's cost.
LEFT_EMPTY = "xuanba_values_left_empty"


def _norm(text: object) -> str:
    return str(text).strip().lower().replace(" ", "").replace("\ufeff", "")


def _load(source: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), "<table>"
    return read_table(source, text=True, what="the side table file"), str(source)


def _map_headers(df: pd.DataFrame, schema: SideSchema, mapping: dict[str, str] | None,
                 where: str) -> dict[str, str]:
    """Return {source column: canonical column}."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for canon, src in (mapping or {}).items():
        if canon not in schema.columns:
            raise SchemaError(Phrase("err_side_map_unknown", kind=schema.kind, column=quoted(canon)), file=where,
                              fix=Phrase("err_map_to_one_of", names=Listed(schema.columns)))
        if src not in df.columns:
            raise SchemaError(Phrase("err_side_map_missing", column=quoted(src)), file=where, column=src,
                              fix=Phrase("err_columns_present", columns=Listed(df.columns)))
        out[src] = canon
        used.add(canon)
    lookup: dict[str, str] = {}
    for canon in schema.columns:
        for alias in (canon, *schema.aliases.get(canon, ())):
            lookup.setdefault(_norm(alias), canon)
    for col in df.columns:
        if col in out:
            continue
        canon = lookup.get(_norm(col))
        if canon is not None and canon not in used:
            out[col] = canon
            used.add(canon)
    return out


def _trimmed(text: str, id_col: bool) -> str:
    """``text`` as a side table keeps it: an id trimmed as ``xuanba ingest`` trims a transaction's
    (DuckDB's ``trim``: :data:`~xuanba.ingest.rules.TRIMMED_SPACES`, so that a customer padded
    with a tab is one customer in both), another value of Python's whitespace too.

    >>> _trimmed("\\u3000c1\\t", True), _trimmed("\\u3000c1\\t", False)
    ('c1\\t', 'c1')
    """
    return text.strip(TRIMMED_SPACES) if id_col else text.strip()


def read_side_table(
    kind: str, source: pd.DataFrame | str | Path, mapping: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one canonical side table, mapping headers and checking types.

    Parameters
    ----------
    kind : str
        One of ``customers``, ``interactions``, ``commitments``, ``resources``, ``needs``,
        ``contacts``.
    source : DataFrame or path
        A table, or a CSV (UTF-8, UTF-8 BOM or GBK), XLSX or Parquet file.
    mapping : dict, optional
        ``{canonical column: column in the source}`` for headers the aliases do not cover.
        Unknown columns are kept as they are (e.g. customer attributes).

    Returns
    -------
    (table, rejects)
        ``table`` holds the rows that passed, canonical names and types; ``rejects`` has
        ``row`` (1-based data row), ``column``, ``value`` and ``reason``, one line per rejected
        row, in the file's order. ``len(input) == len(table) + rejects.row.nunique()``. An Excel error (``#N/A``,
        ``#DIV/0!``: :data:`~xuanba.ingest.rules.EXCEL_ERRORS`) in a required column (the id and
        the others whose absence rejects the row) rejects the row as ``Excel error cell``, the
        value naming the error (never an id ``#N/A``, nor a missing value said as none); in an
        optional column of the schema, or any other column of the customers table (a customer
        attribute a round reads: :attr:`SideSchema.attributes`), it leaves that value empty (never
        a segment ``#N/A``), counted per column in ``table.attrs[LEFT_EMPTY]`` (:data:`LEFT_EMPTY`);
        another column xuanba does not read is kept as written, not looked at. A number column is read as
        ingest reads an amount (:func:`xuanba.ingest.money.read_money`: ``￥1,234.50``,
        ``(12.00)``, ``12,5`` with a decimal comma decided for the column); its ``NaN``, infinite
        value (``inf``, ``1e999``), value of :data:`~xuanba.ingest.rules.MONEY_LIMIT` or more, or
        text that reads as no amount is ``not a number``.

    Raises
    ------
    SchemaError
        A required column is missing or the mapping names a column that is absent.

    Example
    -------
    >>> import pandas as pd
    >>> t, r = read_side_table("needs", pd.DataFrame({"客户编号": ["A"], "需求": ["抖音"]}))
    >>> list(t.columns)
    ['customer_id', 'tag']
    >>> t, r = read_side_table("customers", pd.DataFrame({"customer_id": ["A", "#N/A"], "segment": ["#N/A", "S"],
    ...                                                   "notes": ["#N/A", "x"]}))
    >>> t["customer_id"].tolist(), t["segment"].isna().tolist(), t.attrs[LEFT_EMPTY]
    (['A'], [True], {'segment': 1, 'notes': 1})
    >>> r["row"].tolist(), r["reason"].tolist()
    ([2], ['Excel error cell'])
    """
    if kind not in SCHEMAS:
        raise InputError(Phrase("err_unknown_side_table", kind=quoted(kind)), fix=Phrase("err_use_one_of", names=Listed(SCHEMAS)))
    schema = SCHEMAS[kind]
    raw, where = _load(source)
    ren = _map_headers(raw, schema, mapping, where)
    df = raw.rename(columns=ren)
    df = df.loc[:, ~df.columns.duplicated()]
    for req in schema.required:
        if req not in df.columns:
            raise SchemaError(
                Phrase("err_side_missing", kind=kind, column=quoted(req),
                       columns=Listed((shown(c, quoted=False) for c in raw.columns), quoted=True)),
                file=where, column=req,
                fix=Phrase("err_side_missing_fix", column=quoted(req), field=req,
                           aliases=Listed(schema.aliases.get(req, ())[:3])),
            )
    df = df.reset_index(drop=True)
    bad = pd.Series(False, index=df.index)
    rejects: list[dict[str, object]] = []
    emptied: dict[str, pd.Series] = {}
    read = [*(c for c in schema.columns if c in df.columns), *(c for c in df.columns if schema.attributes
                                                                and c not in schema.columns)]
    for col in read:  # a column xuanba does not read (an interaction's notes): as written
        # a formula's #N/A: no value, said; tested as the column reads it (a value stripped of a tab
        # or a line break too: never a segment '#N/A'; an id as ingest trims it, _trimmed)
        id_col = schema.columns.get(col) == "id"
        errors = df[col].map(lambda v, i=id_col: is_excel_error(_trimmed(v, i) if isinstance(v, str) else v)).astype(bool)
        if col in schema.required:  # a key of the row: the row rejected, naming the error
            for i in df.index[errors & ~bad]:
                rejects.append({"row": int(i) + 1, "column": col, "value": _trimmed(str(df[col][i]), id_col),
                                "reason": EXCEL_ERROR})
            bad |= errors
        elif errors.any():  # a value that only describes the row: left empty, counted
            df[col] = df[col].mask(errors)
            emptied[col] = errors
    for col, typ in schema.columns.items():
        if col not in df.columns:
            continue
        s = df[col]
        text = s.astype(str).str.strip(TRIMMED_SPACES if typ == "id" else None)  # an id: as ingest trims it
        blank = s.isna() | text.isin(["", "nan", "None", "NaT"])
        if typ in ("id", "str"):
            conv = text.where(~blank, None)
            conv = conv.astype("str") if typ == "id" else conv.astype(object)
            failed = pd.Series(False, index=df.index)
        elif typ == "date":
            conv = pd.to_datetime(s.where(~blank, None), errors="coerce", format="mixed")
            failed = conv.isna() & ~blank
        elif typ == "number":
            # read as ingest reads an amount, by its reader (¥1,234.50, (12.00), 12,5 with a decimal
            # comma decided for the column): "inf", "1e999", "1e20" and "NaN" are no number the
            # workspace stores (an infinite interaction cost made profit -inf: the headline figures
            # disagreed)
            try:
                numbers, unread = read_money(s.where(~blank, None), file=where, column=col)
            except InputError as exc:  # the decimal mark cannot be told (no --decimal for a side table)
                raise InputError(exc.phrase or exc.message, file=where, row=exc.row, column=col,
                                 fix=Phrase("err_extra_money_mark_fix")) from None
            conv = pd.Series(numbers, index=df.index)
            failed = pd.Series(unread, index=df.index) & ~blank
        else:
            conv = s.astype(str).str.strip().str.lower().map(
                {"true": True, "1": True, "yes": True, "是": True,
                 "false": False, "0": False, "no": False, "否": False})
            failed = conv.isna() & ~blank
        if col in schema.required:
            failed = failed | blank
        for i in df.index[failed & ~bad]:
            reason = "missing required value" if bool(blank[i]) else f"not a {typ}"
            rejects.append({"row": int(i) + 1, "column": col, "value": str(s[i]), "reason": reason})
        bad |= failed
        df[col] = conv
    table = df.loc[~bad].reset_index(drop=True)
    ordered = [c for c in schema.columns if c in table.columns]
    table = table[ordered + [c for c in table.columns if c not in ordered]]
    left = {col: int((errors & ~bad).sum()) for col, errors in emptied.items()}  # of the rows kept, as ingest counts
    table.attrs[LEFT_EMPTY] = {col: n for col, n in left.items() if n}
    rej = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    if len(rej):  # in the file's order, as ingest stores them: the first is the first row
        rej = rej.astype({"row": "int64"}).sort_values("row", kind="stable").reset_index(drop=True)
    return table, rej
