"""Header mapping: a file's column names to the canonical transactions fields.

Headers are compared after normalising them (Unicode NFKC so full-width letters and brackets
become plain ones, case folded, spaces, underscores, dashes, dots and brackets removed), so
``Customer ID``, ``customer_id`` and ``ＣＵＳＴＯＭＥＲ　ＩＤ`` are one name.

Aliases come in two strengths: names (the canonical name itself and specific ones: ``客户编号``,
``order_no``) and generic words (``客户名称``, ``date``). A name beats a generic word, so a file
with both 客户编号 and 客户名称 uses 客户编号; two columns of one strength for one field (``date``
and ``timestamp``, and also ``is_return`` and ``退货标志``: the canonical name is no stronger than
a specific alias, so neither column is dropped on a guess) are ambiguous and raise an error that
names both. An explicit mapping always wins. ``xuanba ingest`` and an engine round
(:mod:`xuanba.rounds.source_check`) read a file's headers by this one mapping.

Example
-------
>>> map_columns(["客户编号", "下单日期", "金额", "备注"])
{'customer_id': '客户编号', 'ts': '下单日期', 'amount': '金额'}
>>> normalise_header(" Order No. ")
'orderno'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from xuanba.errors import Listed, Phrase, SchemaError, shown
from xuanba.ingest.read import headerless

#: Canonical transaction fields in table order; ``unit_price``, ``status`` and ``is_return`` are
#: read but not stored as written (amount = quantity x unit price; a status word or a return flag
#: marks a return or cancellation, stored in the table's own ``is_return``).
FIELDS: tuple[str, ...] = (
    "customer_id", "ts", "amount", "order_id", "cost", "quantity", "unit_price", "product",
    "channel", "paid_on", "due_on", "status", "is_return",
)
REQUIRED: tuple[str, ...] = ("customer_id", "ts", "amount")

# field -> (specific aliases, generic aliases); the canonical name is always the strongest.
ALIASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer_id": (
        ("customer id", "customerid", "cust id", "client id", "member id", "buyer id",
         "客户编号", "客户ID", "客户代码", "客户号", "客户编码", "会员编号", "会员ID", "用户ID",
         "买家ID"),
        ("customer", "client", "客户", "客户名称", "会员", "买家", "购买方"),
    ),
    "ts": (
        ("order date", "invoice date", "transaction date", "purchase date", "order time",
         "下单时间", "下单日期", "交易日期", "订单日期", "交易时间", "成交日期", "销售日期",
         "开票日期", "单据日期", "业务日期"),
        ("date", "timestamp", "datetime", "time", "日期", "时间"),
    ),
    "amount": (
        ("sales amount", "net amount", "order amount", "line amount", "revenue", "sales",
         "金额", "销售额", "实收金额", "成交金额", "销售金额", "订单金额", "实付金额", "含税金额",
         "价税合计", "总金额", "交易金额"),
        ("total", "value", "amount paid", "合计", "收入"),
    ),
    "order_id": (
        ("order id", "order no", "order number", "invoice no", "invoice id", "invoice number",
         "transaction id", "订单号", "单号", "订单编号", "单据编号", "单据号", "发票号", "销售单号",
         "流水号", "basket id", "basket no", "basket", "ticket id", "ticket no", "ticket number",
         "receipt id", "receipt no", "receipt number", "小票号", "小票编号", "收银小票号", "票号"),
        ("order", "invoice", "订单"),
    ),
    "cost": (("cogs", "cost amount", "成本", "成本金额", "销售成本"), ("费用",)),
    "quantity": (("qty", "units", "数量", "件数", "销量", "销售数量"), ("count", "个数")),
    "unit_price": (("unitprice", "price each", "单价", "销售单价", "含税单价"), ("price", "价格", "售价")),
    "product": (
        ("product name", "product id", "sku", "stockcode", "item name", "产品", "商品", "品名",
         "产品名称", "商品名称", "存货名称", "物料名称"),
        ("item", "物料", "货品"),
    ),
    "channel": (("sales channel", "渠道", "销售渠道"), ("source", "来源")),
    "paid_on": (("payment date", "paid date", "date paid", "付款日期", "回款日期", "收款日期", "到账日期"), ()),
    "due_on": (("due date", "payment due", "到期日", "应收日期", "账期到期日", "到期日期"), ()),
    "status": (("order status", "订单状态", "单据状态", "状态"), ("state", "类型")),
    # a yes/no column (是/否, true/false, 1/0: xuanba.ingest.rules.FLAG_WORDS), not 退货 alone,
    # which may head a returned quantity or amount
    "is_return": (("return flag", "returned flag", "refund flag", "is refund", "是否退货", "退货标志", "退货标记",
                   "退货标识", "是否退款", "退款标志"), ()),
}

_DROP = str.maketrans("", "", " _-./()[]:#\t\ufeff")
# A unit written into a header: 金额（元）, 数量(件), 单价/元, Amount [CNY], 金额 单位:元
_UNIT = re.compile(r"\s*(?:[(\[【][^()\[\]【】]{0,12}[)\]】]|/\s*[^/\s]{1,4}|单位[:：]\s*\S{1,4})\s*$")


def normalise_header(name: object) -> str:
    """The comparable form of a header: NFKC, case folded, separators and brackets removed."""
    return unicodedata.normalize("NFKC", str(name)).casefold().translate(_DROP)


def header_counts(counts: Mapping[str, int], lang: str) -> str:
    """``{header: n}`` said in a console line (values left empty, dashes read as 0), in ``lang``'s
    punctuation, each header by :func:`xuanba.errors.shown`.

    Example
    -------
    >>> header_counts({"成本（元）": 3, "数量": 1200}, "en"), header_counts({"成本（元）": 3, "数量": 1200}, "zh")
    ('成本（元）: 3, 数量: 1,200', '成本（元）：3、数量：1,200')
    """
    from xuanba.i18n import t

    return t("list_comma", lang).join(t("name_count", lang, name=shown(h), n=f"{n:,}") for h, n in counts.items())


def without_unit(name: object) -> str:
    """A header with the unit it ends in removed (``金额（元）`` -> ``金额``, ``单价/元`` -> ``单价``).

    Example
    -------
    >>> without_unit("金额（元）"), without_unit("数量(件)"), without_unit("单价/元"), without_unit("客户")
    ('金额', '数量', '单价', '客户')
    """
    text = unicodedata.normalize("NFKC", str(name)).strip()
    stripped = _UNIT.sub("", text)
    return stripped if stripped else text


def field_of(name: object) -> str | None:
    """The transaction field a header names, if any (units ignored).

    Example
    -------
    >>> field_of("金额（元）"), field_of("客户编号"), field_of("备注")
    ('amount', 'customer_id', None)
    """
    hit = _lookup(name)
    return None if hit is None else hit[0]


def read_as_field(mapping: Mapping[str, str] | None = None) -> Callable[[str], bool]:
    """Whether a header is one a field is read from: a field's name or alias (:func:`field_of`) or a
    column ``mapping`` (``{field: header}``) names; the headers whose twins are refused
    (:func:`xuanba.ingest.read.duplicate_headers`'s ``matters``).

    Example
    -------
    >>> reads = read_as_field({"amount": "Betrag"})
    >>> reads("Betrag"), reads("金额"), reads("备注")
    (True, True, False)
    """
    named = set((mapping or {}).values())
    return lambda c: c in named or field_of(c) is not None


def _lookup(name: object) -> tuple[str, int] | None:
    """(field, strength) of a header, by its name or by its name without a unit."""
    hit = _LOOKUP.get(normalise_header(name))
    if hit is None:
        hit = _LOOKUP.get(normalise_header(without_unit(name)))
    return hit


def _strengths() -> dict[str, tuple[str, int]]:
    """normalised alias -> (field, strength) with 1 the canonical name or a specific alias, 2 a
    generic one (the canonical name first where an alias normalises to it)."""
    table: dict[str, tuple[str, int]] = {}
    for field in FIELDS:
        table[normalise_header(field)] = (field, 1)
    for field, (specific, generic) in ALIASES.items():
        for strength, names in ((1, specific), (2, generic)):
            for alias in names:
                table.setdefault(normalise_header(alias), (field, strength))
    return table


_LOOKUP = _strengths()


def accepted_names(field: str) -> list[str]:
    """The headers recognised for ``field``, canonical name first."""
    specific, generic = ALIASES.get(field, ((), ()))
    return [field, *specific, *generic]


def map_columns(
    columns: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    *,
    file: str | None = None,
    fields: Sequence[str] = FIELDS,
) -> dict[str, str]:
    """Map a file's headers to canonical fields: ``{field: header}``.

    Parameters
    ----------
    columns
        The headers as found in the file.
    mapping
        ``{field: header}`` chosen by the user; it wins over the aliases. The header may be given
        exactly or in any spelling that normalises to it.
    file
        Named in errors.
    fields
        The canonical fields to look for.

    Raises
    ------
    SchemaError
        The mapping names an unknown field or a header that is not there, or two headers match
        one field equally well.

    Example
    -------
    >>> map_columns(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"])
    {'customer_id': 'CustomerID', 'ts': 'InvoiceDate', 'order_id': 'InvoiceNo', 'quantity': 'Quantity', 'unit_price': 'UnitPrice', 'product': 'StockCode'}
    """
    columns = [str(c) for c in columns]
    chosen: dict[str, str] = {}
    for field, header in (mapping or {}).items():
        if field not in fields:
            raise SchemaError(
                Phrase("err_map_unknown_field", field=repr(field)),
                file=file,
                fix=Phrase("err_map_unknown_field_fix", fields=", ".join(fields)),
            )
        if header in columns:
            chosen[field] = header
            continue
        matches = [c for c in columns if normalise_header(c) == normalise_header(header)]
        if len(matches) > 1:  # AMOUNT for Amount beside amount: which one is a guess
            raise SchemaError(
                Phrase("err_map_column_twice", field=field, header=header,
                       columns=", ".join(repr(c) for c in matches)),
                file=file,
                column=header,
                fix=Phrase("err_map_column_twice_fix", field=field, column=matches[0]),
            )
        if not matches:
            raise SchemaError(
                Phrase("err_map_missing_column", field=field, header=header),
                file=file,
                column=header,
                fix=Phrase("err_columns_found", columns=Listed(map(shown, columns))),
            )
        chosen[field] = matches[0]
    taken = set(chosen.values())
    best: dict[str, tuple[int, list[str]]] = {}
    for col in columns:
        if col in taken:
            continue
        hit = _lookup(col)
        if hit is None or hit[0] not in fields or hit[0] in chosen:
            continue
        field, strength = hit
        current = best.get(field)
        if current is None or strength < current[0]:
            best[field] = (strength, [col])
        elif strength == current[0]:
            current[1].append(col)
    for field, (_, cols) in best.items():
        if len(cols) > 1:
            raise SchemaError(
                Phrase("err_map_ambiguous", field=field, last=repr(cols[-1]),
                       columns=", ".join(repr(c) for c in cols[:-1])),
                file=file,
                column=cols[0],
                examples=cols,
                fix=Phrase("err_map_ambiguous_fix", field=field, column=cols[0]),
            )
        chosen[field] = cols[0]
    return {f: chosen[f] for f in fields if f in chosen}


def looks_like_header(cells: Sequence[str], mapping: Mapping[str, str] | None = None) -> bool:
    """Whether a row of cells names the required fields (customer id, date, amount or quantity
    and unit price), by their aliases or by the columns ``mapping`` (``{field: header}``, as
    :func:`map_columns` compares them) gives them — tells the header from title lines above it.

    Example
    -------
    >>> looks_like_header(["销售明细表", "", ""]), looks_like_header(["客户编号", "日期", "金额"])
    (False, True)
    >>> looks_like_header(["会员卡号", "消费时间", "金额"], {"customer_id": "会员卡号", "ts": "消费时间"})
    True
    """
    named = {normalise_header(c) for c in cells if c}
    found = {f for f, header in (mapping or {}).items() if normalise_header(header) in named}
    found |= {hit[0] for c in cells if c and (hit := _lookup(c)) is not None}
    return {"customer_id", "ts"} <= found and ("amount" in found or {"quantity", "unit_price"} <= found)


def header_test(mapping: Mapping[str, str] | None = None) -> Callable[[Sequence[str]], bool]:
    """The header test of a transaction log (:func:`looks_like_header` with ``mapping``), by which
    ``xuanba ingest`` and an engine round's CSV source find the header under title lines."""
    return lambda cells: looks_like_header(cells, mapping)


def check_required(found: Mapping[str, str], columns: Sequence[str], *, file: str | None = None) -> None:
    """Raise :class:`SchemaError` when customer id, date or amount (or quantity x unit price) is missing.

    Example
    -------
    >>> check_required({"customer_id": "c", "ts": "d", "quantity": "q", "unit_price": "p"}, ["c", "d", "q", "p"])
    """
    missing = [f for f in REQUIRED if f not in found]
    if "amount" in missing and {"quantity", "unit_price"} <= set(found):
        missing.remove("amount")
    if not missing:
        return
    taken = {header: f for f, header in found.items()}
    free = [str(c) for c in columns if c not in taken]
    lines = []
    for field in missing:
        maybe = _candidates(field, free)
        # a column named for this field that a mapping gave another (--map customer_id=amount)
        given = next((c for c in columns if c in taken and field_of(c) == field), None)
        hint = (Phrase("err_missing_taken", column=repr(given), other=taken[given]) if given is not None
                else Phrase("err_missing_hint", columns=Listed(map(shown, maybe))) if maybe else "")
        lines.append(Phrase("err_missing_line", field=field, names=Listed(accepted_names(field)[:8]),
                            extra=Phrase("err_missing_amount_extra") if field == "amount" else "", hint=hint))
    more = ""
    if headerless(list(columns)):
        more = Phrase("err_missing_headerless", columns=",".join(f"col{i + 1}" for i in range(len(columns))))
    raise SchemaError(
        Phrase("err_missing_required_many" if len(missing) > 1 else "err_missing_required",
               fields=Listed(missing, quoted=True), columns=Listed(map(shown, columns)), details=lines),
        file=file,
        column=missing[0],
        fix=Phrase("err_missing_required_fix", example=" ".join(f"--map {f}=<column>" for f in missing), more=more),
    )


def _candidates(field: str, columns: Sequence[str]) -> list[str]:
    """Columns that may hold ``field``: a header sharing a word with one of its aliases, else any
    unmapped column (at most five)."""
    keys = {normalise_header(a) for a in accepted_names(field)}
    near = []
    for col in columns:
        n = normalise_header(without_unit(col))
        if len(n) >= 2 and any(n in k or k in n for k in keys if len(k) >= 2):
            near.append(col)
    return (near or list(columns))[:5]
