"""An engine round reads a raw export's headers as ``xuanba ingest`` reads them.

Ingest maps a file's headers by its aliases (客户编号, 下单日期, 金额（元）, 退货标志, Order Date,
...: :func:`xuanba.ingest.mapping.map_columns`); c778c83's engine round read the exact canonical
names only, so a return flag headed 退货标志 was an ignored extra column there and a return in the
workspace. The facts of one raw file are compared here through ingest and a workspace (an
independent path: ingest's SQL, DECIMAL money, merged and checked lines) and straight from the file
on the engine, as tests/test_engine_source_returns.py compares them for returns. A return flag's
full-width forms (``１``, ``ｙｅｓ``) are read as their ASCII ones on both paths, against Python's
own NFKC.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import unicodedata
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests._helpers import spark_test
from tests.test_engine_source_returns import CUTOFF, STANDARD, _same
from xuanba import Workspace
from xuanba.errors import SchemaError
from xuanba.facts import customer_facts
from xuanba.facts.expressions import FACT_COLUMNS
from xuanba.ingest import ALIASES, FIELDS, ingest
from xuanba.ingest.mapping import field_of, normalise_header
from xuanba.ingest.rules import FLAG_WORDS, flag_sql, flag_value
from xuanba.rounds.engine import duckdb_source, engine_fields
from xuanba.rounds.source_check import SourceError, checked_transactions

ZH = ["客户编号", "下单日期", "金额（元）", "成本", "订单号", "数量", "订单状态", "退货标志", "备注"]
EN = ["Customer ID", "Order Date", "Sales Amount", "COGS", "Invoice No", "Qty", "Order Status", "Return Flag", "Note"]
LINES = [
    ["a", "2025-01-01 09:30:00", "10", "4", "A1", "1", "完成", "否", "x"],
    ["a", "2025-02-01 09:30:00", "4", "1", "A2", "1", "完成", "是", ""],        # flagged, written positive
    ["a", "2025-03-01 09:30:00", "6", "2", "A3", "1", "完成", "１", ""],        # flagged in a full-width digit
    ["b", "2025-01-05 09:30:00", "7", "3", "B1", "1", "完成", "ｎｏ", ""],
    ["b", "2025-01-20 09:30:00", "2", "1", "C100", "1", "完成", "", ""],        # a credit note
    ["c", "2025-04-01 09:30:00", "9", "2", "X1", "1", "完成", "０", ""],
    ["c", "2025-05-01 09:30:00", "9", "2", "X2", "1", "已退货", "否", ""],      # a status word
    ["d", "2025-06-01 09:30:00", "8", "3", "D1", "2", "完成", "ＦＡＬＳＥ", ""],
    ["d", "2025-06-09 09:30:00", "3", "1", "D2", "-1", "完成", "　否　", ""],   # a negative quantity
]


def _write(path, header, lines) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(lines)


def _facts_both(path, tmp_path, mapping=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The facts at the cutoff of the file at ``path`` through ingest and a workspace, and
    straight from the file on the engine (both with ``mapping``)."""
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC", mapping=mapping)
        assert report.rejected == 0 and report.merged == 0
        kept = customer_facts(ws, CUTOFF)
    table, _ = engine_fields(duckdb_source(str(path), mapping=mapping), STANDARD, CUTOFF, keep=lambda t: t,
                             mapping=mapping)
    got = table.to_pyarrow().to_pandas()
    cols = [c for c in FACT_COLUMNS if c in got.columns and c in kept.columns]
    assert {"frequency", "recency", "T", "orders", "revenue_total", "margin_total"} <= set(cols)
    return (kept[cols].sort_values("customer_id").reset_index(drop=True),
            got[cols].sort_values("customer_id").reset_index(drop=True))


@pytest.mark.parametrize("header", [ZH, EN], ids=["zh", "en"])
def test_a_raw_export_gives_the_facts_ingest_gives(tmp_path, header):
    """Chinese headers (a unit in one) and English aliases: every field read from its header, the
    return flag's full-width forms too."""
    path = tmp_path / "export.csv"
    _write(path, header, LINES)
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: each kind of return netted, its day no purchase
    assert by_id.loc["a", "frequency"] == 0 and by_id.loc["a", "revenue_total"] == 10 - 4 - 6
    assert by_id.loc["a", "margin_total"] == (10 - 4) - (4 - 1) - (6 - 2)
    assert by_id.loc["b", "revenue_total"] == 7 - 2 and by_id.loc["c", "revenue_total"] == 0
    assert by_id.loc["d", "revenue_total"] == 8 - 3


def test_the_source_check_hands_a_canonical_source_on_as_it_is():
    """Canonical headers: no rename, the very table (no work per row, none per column past the
    headers); aliased ones: one projection that renames them."""
    import ibis
    import ibis.expr.operations as ops

    from xuanba.rounds.source_check import named_as_ingest_names

    t = ibis.table({"customer_id": "string", "ts": "timestamp", "amount": "float64", "is_return": "boolean",
                    "note": "string"}, name="t")
    same, found = named_as_ingest_names(t)
    assert same is t and found == {"customer_id": "customer_id", "ts": "ts", "amount": "amount",
                                   "is_return": "is_return"}
    raw = ibis.table({"客户编号": "string", "下单日期": "timestamp", "金额": "float64", "退货标志": "string"}, name="r")
    named, found = named_as_ingest_names(raw)
    assert named.columns == ("customer_id", "ts", "amount", "is_return") and found["is_return"] == "退货标志"
    assert len(named.op().find(ops.Project)) == 1


def _header_choices(field):
    """Every name ingest reads ``field`` by at full strength: the canonical one and its specific aliases."""
    return [field, *[a for a in ALIASES.get(field, ((), ()))[0] if field_of(a) == field]]


_FIELDS_READ = ("customer_id", "ts", "amount", "cost", "order_id", "quantity", "status", "is_return")
_LINE = st.tuples(
    st.integers(0, 3),                                                           # customer
    st.integers(0, 40),                                                          # day
    st.decimals(-500, 500, places=2, allow_nan=False).filter(lambda d: d != 0),  # amount
    st.one_of(st.none(), st.decimals(0, 300, places=2, allow_nan=False)),        # cost
    st.sampled_from(["S", "C", "SC"]),                                           # order number's prefix
    st.sampled_from(["1", "2", "-1", "", "－１"]),                                # quantity
    st.sampled_from(["ok", "", "退货", "VOID"]),                                 # status
    st.sampled_from(["", "是", "否", "1", "0", "１", "０", "ｙｅｓ", "Ｎ", "ｔｒｕｅ", "　否", "true"]),
)


def _lines_both(path, tmp_path) -> tuple[list[tuple], list[tuple]]:
    """The lines of the file at ``path`` as ingest keeps them in a workspace and as the engine's
    source check hands them to the facts (:func:`checked_transactions`, its headers read by
    :func:`~xuanba.rounds.source_check.named_as_ingest_names`): ``(order_id, customer_id, ts,
    amount, cost, is_return)``, a return's money netted, in order of their order numbers (a
    source check that hands on no flag column flags no line)."""
    with Workspace(tmp_path / "ws.duckdb") as ws:
        report = ingest(str(path), ws, tz="UTC")
        assert report.rejected == 0 and report.merged == 0
        kept = ws.con.execute("SELECT order_id, customer_id, ts, CAST(amount AS DOUBLE), CAST(cost AS DOUBLE), "
                              "is_return FROM transactions ORDER BY order_id").fetchall()
    table, _ = checked_transactions(duckdb_source(str(path)), CUTOFF)
    got = table.to_pyarrow().to_pylist()
    return kept, sorted((r["order_id"], r["customer_id"], r["ts"], r["amount"], r["cost"], r.get("is_return", False))
                        for r in got)


#: Lines that are returns by their flag alone (a positive amount, no credit note, no negative
#: quantity, no return word), under a Chinese alias of each field: the drawn lines are most often
#: returns by another sign too, so a flag left unread under its alias (c778c83) may show in none.
_FLAG_ALONE = {"names": ("客户编号", "下单日期", "金额", "成本", "订单号", "数量", "订单状态", "退货标志"),
               "lines": [(0, 1, Decimal("10.00"), None, "S", "1", "ok", "是"),
                         (0, 2, Decimal("5.00"), Decimal("1.00"), "S", "2", "", "１"),
                         (1, 3, Decimal("7.00"), None, "S", "", "ok", "ｙｅｓ"),
                         (1, 4, Decimal("3.00"), None, "S", "1", "", "否"),
                         (2, 5, Decimal("4.00"), Decimal("2.00"), "S", "1", "ok", "")]}


@example(**_FLAG_ALONE)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.tuples(*[st.sampled_from(_header_choices(f)) for f in _FIELDS_READ]),
       lines=st.lists(_LINE, min_size=1, max_size=12))
def test_random_headers_and_lines_are_read_as_ingest_reads_them(tmp_path_factory, names, lines):
    """Any full-strength name of each field (客户代码, invoice number, 含税金额, 退款标志, ...) over
    random lines: the same lines on both paths, each return netted alike.

    The lines the engine's source check hands on, not the facts of them: a source's headers are
    read there alone (``engine_fields`` takes its table, whose columns are the fields' own names,
    and computes the facts of it as of any source: the random lines of
    tests/test_engine_source_returns.py compare those facts with ingest's). Line for line is the
    finer comparison, and costs less than the facts' query (≈ 1.8 s an example against ≈ 2.8 s).
    :data:`_FLAG_ALONE` is an example every run: a flag read under its alias or not shows only on
    a line no other sign makes a return, about one drawn line in twenty."""
    tmp_path = tmp_path_factory.mktemp("headers")
    path = tmp_path / "tx.csv"
    first = dt.date(2025, 3, 1)
    _write(path, list(names), [[f"k{c}", f"{first + dt.timedelta(days=d)} 12:00:00", f"{a}",
                                "" if k is None else f"{k}", f"{p}{i}", q, s, r]
                               for i, (c, d, a, k, p, q, s, r) in enumerate(lines)])
    kept, got = _lines_both(path, tmp_path)
    assert got == kept


def _aliases(field, strength):
    """The aliases of ``field`` of one strength (0: specific, 1: generic) that are no spelling of
    its canonical name (``customer id`` is one: two of those were refused before too)."""
    return [a for a in ALIASES.get(field, ((), ()))[strength]
            if field_of(a) == field and normalise_header(a) != normalise_header(field)]


def _frame(columns):
    """A line of transactions under ``columns`` (the required fields' cells by their field)."""
    cells = {"customer_id": "a", "ts": "2025-01-01 10:00:00", "amount": "5"}
    return pd.DataFrame({c: [cells.get(field_of(c) or "", "1")] for c in columns})


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_named_twice_is_the_same_error_on_both_paths(tmp_path, field):
    """For every field, its canonical name beside one of its specific aliases (``is_return`` and
    ``退货标志``, ``amount`` and ``金额``): ingest and the engine refuse the file with one error, in
    English and Chinese, naming both columns and the fix (c778c83's ingest read the canonical one
    and left the other unread, silently; its engine read the canonical one only). A generic word
    beside it (``customer_id`` and ``客户名称``) is left to the name on both."""
    base = [f for f in ("customer_id", "ts", "amount") if f != field]
    first, *others = _aliases(field, 0)
    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(_frame([*base, field, first]), ws)
    with pytest.raises(SchemaError) as got:
        checked_transactions(_frame([*base, field, first]), CUTOFF)
    for lang in ("en", "zh"):  # ingest names its in-memory file <table>; the engine's command line names its --source
        assert got.value.render(lang) == want.value.render(lang).replace("<table>, ", "").replace("<table>，", ""), lang
    assert f"'{field}'" in got.value.render("en") and f"'{first}'" in got.value.render("en")
    assert f"--map {field}={field}" in got.value.render("en") and "都像是" in got.value.render("zh")
    for alias in others:  # every other specific alias: the same refusal on the engine (ingest: the same function)
        with pytest.raises(SchemaError, match=f"columns '{field}' and '{re.escape(alias)}' both look like {field}"):
            checked_transactions(_frame([*base, field, alias]), CUTOFF)
    generic = (_aliases(field, 1) or [None])[0]
    if generic is not None and field in ("customer_id", "ts", "amount"):  # a word left to the name on both
        frame = _frame([*base, field, generic])
        with Workspace(tmp_path / "ws2.duckdb") as ws:
            assert ingest(frame, ws).sources[0].mapping[field] == field
        table, rows = checked_transactions(frame, CUTOFF)
        assert rows["used"] == 1 and generic in table.columns


def _disagreeing(tmp_path):
    """A file whose ``is_return`` and ``退货标志`` say different things."""
    path = tmp_path / "two flags.csv"
    _write(path, ["客户编号", "下单日期", "金额", "is_return", "退货标志"],
           [["a", "2025-01-01 09:00:00", "10", "否", "否"], ["a", "2025-02-01 09:00:00", "4", "否", "是"],
            ["b", "2025-03-01 09:00:00", "5", "是", "否"], ["b", "2025-04-01 09:00:00", "6", "否", "否"]])
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_return_flags_stop_the_round_and_map_picks_one(tmp_path, lang):
    """``xuanba round --source`` of a file with ``is_return`` and ``退货标志``: refused as ingest
    refuses it (the file, both columns, the fix ``--map``), and with ``--map is_return=退货标志`` the
    round runs (what it reads: :func:`test_either_return_flag_picked_by_map_is_read_as_ingest_reads_it`)."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    path = _disagreeing(tmp_path)
    args = ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31", "--workspace",
            str(tmp_path / "w.duckdb"), "--lang", lang, "--engine", "duckdb", "--source", str(path), "--no-store"]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    said = {"en": "both look like is_return", "zh": "都像是 is_return 列"}[lang]
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert said in res.output and "two flags.csv" in res.output and "--map is_return=is_return" in res.output
    res = CliRunner().invoke(app, [*args, "--map", "is_return=退货标志", "--json"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output


def test_either_return_flag_picked_by_map_is_read_as_ingest_reads_it(tmp_path):
    """The file of :func:`_disagreeing` with ``--map is_return=退货标志`` or ``is_return=is_return``:
    the engine reads that column and not the other, as ingest with the same map (once, not in each
    language of :func:`test_two_return_flags_stop_the_round_and_map_picks_one`: no words here)."""
    path = _disagreeing(tmp_path)
    for column in ("退货标志", "is_return"):
        (tmp_path / column).mkdir()
        kept, got = _facts_both(path, tmp_path / column, mapping={"is_return": column})
        _same(kept, got)
        by_id = got.set_index("customer_id")  # by hand: the flag that column gives
        assert by_id.loc["a", "revenue_total"] == (6 if column == "退货标志" else 14)
        assert by_id.loc["b", "revenue_total"] == (11 if column == "退货标志" else 1)


def test_a_cell_that_cannot_be_read_is_said_under_its_header(tmp_path):
    """An unreadable flag under 退货标志 and an unreadable date under 下单日期: the error names the
    file's own header, not the field's name the round reads it by (6a3d048's flag error and its fix
    said ``is_return`` beside the header 退货标志)."""
    path = tmp_path / "erp.csv"
    _write(path, ["客户编号", "下单日期", "金额", "退货标志"], [["a", "2025-01-01", "5", "否"], ["b", "2025-01-02", "6", "也许"]])
    with pytest.raises(SourceError) as err:
        checked_transactions(duckdb_source(str(path)), CUTOFF)
    assert err.value.column == "退货标志" and err.value.row == 2 and "“退货标志”" in err.value.render("zh")
    assert all("is_return" not in err.value.render(lang) for lang in ("en", "zh"))  # the field's name: not the file's
    _write(path, ["客户编号", "下单日期", "金额"], [["a", "2025-01-01", "5"], ["b", "someday", "6"]])
    _, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)  # dates read by ingest's reader: its reject
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(str(path), ws, tz="UTC")
        want = dict(ws.con.execute("SELECT reason, count(*) FROM rejects GROUP BY reason").fetchall())
    assert rows["rejected_by_reason"] == want == {"unparseable date": 1}


def test_an_amount_only_a_quantity_and_a_unit_price_give_is_said(tmp_path):
    """Ingest makes the amount of 数量 × 单价; the engine reads an amount column, and says so in
    both languages (the file, the columns and the fix) rather than ``lacks ['amount']``."""
    path = tmp_path / "tx.csv"
    _write(path, ["客户", "日期", "数量", "单价"], [["a", "2025-01-01", "2", "3.5"]])
    with pytest.raises(SchemaError) as err:
        checked_transactions(duckdb_source(str(path)), CUTOFF)
    assert "'数量'" in err.value.render("en") and "'单价'" in err.value.render("en") and err.value.column == "单价"
    assert "xuanba ingest" in err.value.render("en") and "数量 × 单价" in err.value.render("zh")


def test_a_csv_money_column_under_an_alias_is_read_as_ingest_reads_it(tmp_path):
    """金额 written ``¥1,234.50`` and whole numbers on DuckDB's sample then ``1.5``: read by ingest's
    money reader and as doubles (the engine chose those reads by the names amount and cost only)."""
    path = tmp_path / "yen.csv"
    _write(path, ["客户编号", "下单日期", "金额", "成本"],
           [["a", "2025-01-01 10:00:00", "¥1,234.50", "(3.00)"], ["b", "2025-01-02 10:00:00", "1.2万", "5"]])
    kept, got = _facts_both(path, tmp_path)
    _same(kept, got)
    assert sorted(got.revenue_total) == [1234.5, 12000.0]
    n = 20_600
    path = tmp_path / "late.csv"
    _write(path, ["客户编号", "下单日期", "金额"],
           [[f"k{i % 7}", f"2025-{1 + i % 9:02d}-10 10:00:00", "5" if i < n else "1.5"] for i in range(n + 1)])
    (tmp_path / "late").mkdir()
    kept, got = _facts_both(path, tmp_path / "late")
    _same(kept, got)


# -- a return flag's full-width forms -----------------------------------------------------------

_PLAIN = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"


def _flag_by_python(cell):
    """A return flag read by Python's own NFKC (the minus sign U+2212 as ``-``, as the money reader
    reads it), then FLAG_WORDS, a plain number, NaN or an infinity: ``(read, unread)``."""
    if cell is None:
        return None, False
    text = unicodedata.normalize("NFKC", cell).replace("\u2212", "-").strip(" ").lower()
    if not text or re.fullmatch(r"[+-]?nan", text):
        return None, False
    if text in FLAG_WORDS:
        return FLAG_WORDS[text], False
    if re.fullmatch(_PLAIN, text):
        return float(text) != 0, False
    if re.fullmatch(r"[+-]?inf(inity)?", text):
        return True, False
    return None, True


def _flags_by_ingest_sql(cells):
    """The flag as ingest's SQL reads each cell (:func:`~xuanba.ingest.rules.flag_sql`, run by DuckDB)."""
    import duckdb

    read, unread = flag_sql("f")
    got = duckdb.execute(f"SELECT {read}, {unread} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(f, i) ORDER BY i",
                         [cells]).fetchall()
    return [(r, bool(u)) for r, u in got]


def _flags_by_engine(cells, table=None):
    import ibis
    import pyarrow as pa

    from xuanba.standard.engine import to_arrow

    t = table if table is not None else ibis.memtable(pa.table({"i": list(range(len(cells))),
                                                                "q": pa.array(cells, pa.string())}))
    read, unread = flag_value(t.q)
    got = sorted(to_arrow(t.select("i", r=read, u=unread)).to_pylist(), key=lambda r: r["i"])
    return [(r["r"], bool(r["u"])) for r in got]


_WIDE_CELLS = ["１", "０", "２", "－１", "−1", "０．０", "．５", "ｙｅｓ", "ＹＥＳ", "Ｙ", "ｎ", "ｔｒｕｅ", "ＦＡＬＳＥ",
               "ｔ", "ｆ", "ｎｏ", "ｎａｎ", "ＩＮＦ", "－ｉｎｆｉｎｉｔｙ", "１ｅ３", "　是　", "　", "是　", "１，０",
               "（１）", "ｙｅｓ１", "①", "ｙ ｅｓ", None]


@pytest.mark.parametrize("alphabet", ["1０ｙＹeｓs是 　-－.．nN", "tｒuｅfａlSE0１２+＋", "ｉnｆaＮ-－.０"])
def test_a_flags_full_width_forms_read_as_its_ascii_ones_on_both_paths(alphabet):
    """Every text of up to three characters of each alphabet (and the cells above): read by
    ingest's SQL and by the engine's expression exactly as Python's NFKC reads it (``１``, ``ｙｅｓ``:
    yes; ``０．０``, ``ｎｏ``: no; ``ｎａｎ``, ``　``: none given); ``①`` and ``（１）``, which no ASCII
    flag word is, say nothing on both (the row refused). c778c83 refused ``１`` on both paths."""
    cells = [*_WIDE_CELLS, *("".join(p) for k in range(1, 4) for p in itertools.product(alphabet, repeat=k))]
    want = [_flag_by_python(c) if c != "①" else (None, True) for c in cells]  # ① is NFKC's 1: no full-width form
    by_ingest, by_engine = _flags_by_ingest_sql(cells), _flags_by_engine(cells)
    assert [(c, w, g) for c, w, g in zip(cells, want, by_engine, strict=True) if w != g] == []
    assert by_ingest == by_engine
    assert min(sum(w == kind for w in want) for kind in ((True, False), (False, False), (None, True))) > 10  # all met


_FLAG_ALPHABET = "0123456789.+-eE nNyYsStTfF是否０１２９．＋－ｅＥｎｙｓ　\u2212"
#: The cells hypothesis draws first in an example (none, empty, one character): 60 examples of one
#: draw met many of them, 20 of a few draws meet fewer (docs/benchmarks_suite.md, session 33's
#: quantities), so all of them are an example of their own.
_FLAG_SMALLEST = [None, "", *_FLAG_ALPHABET, *(c + c for c in _FLAG_ALPHABET)]


@example(cells=_FLAG_SMALLEST)
@settings(max_examples=20, deadline=None)
@given(cells=st.lists(st.lists(st.one_of(st.none(), st.text(alphabet=_FLAG_ALPHABET, max_size=6)), min_size=1,
                               max_size=40), min_size=2, max_size=5).map(lambda draws: [c for d in draws for c in d]))
def test_random_flags_read_alike_by_ingest_the_engine_and_nfkc(cells):
    """Two to five draws of cells read in one column: each cell is read on its own on all three
    paths, so a batch checks what as many examples did, for one engine query (its building and
    compiling is most of an example's ≈ 0.35 s). 20 examples of 3.5 draws on average and
    :data:`_FLAG_SMALLEST`, against 60 of one draw."""
    want = [_flag_by_python(c) for c in cells]
    assert _flags_by_engine(cells) == want and _flags_by_ingest_sql(cells) == want


@spark_test
def test_a_raw_export_on_spark_gives_the_facts_of_duckdb(spark, tmp_path):
    """The Chinese export read by Spark (its CSV reader, the round's Ibis renames on the Spark
    backend, the full-width flags by Java's translate): the facts the DuckDB round gives."""
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    path = tmp_path / "export.csv"
    _write(path, ZH, LINES)
    on_duckdb = engine_fields(duckdb_source(str(path)), STANDARD, CUTOFF, keep=lambda t: t)[0].to_pyarrow().to_pandas()
    on_spark = to_arrow(engine_fields(spark_source(spark, str(path)), STANDARD, CUTOFF, keep=lambda t: t)[0]).to_pandas()
    cols = [c for c in FACT_COLUMNS if c in on_spark.columns]
    _same(on_duckdb[cols].sort_values("customer_id").reset_index(drop=True),
          on_spark[cols].sort_values("customer_id").reset_index(drop=True))
    assert on_spark.set_index("customer_id").loc["a", "revenue_total"] == 10 - 4 - 6
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"i": list(range(len(_WIDE_CELLS))), "q": pa.array(_WIDE_CELLS, pa.string())}),
                   tmp_path / "flags.parquet")
    spark._session.read.parquet(str(tmp_path / "flags.parquet")).createOrReplaceTempView("wide_flags")
    assert _flags_by_engine(_WIDE_CELLS, spark.table("wide_flags")) == _flags_by_engine(_WIDE_CELLS)


_CANONICAL = ["customer_id", "ts", "amount", "cost", "order_id", "quantity", "status", "is_return", "note"]


@pytest.mark.parametrize(("header", "mapping"), [(ZH, {"order_id": "订单号", "status": "订单号"}),
                                                 (_CANONICAL, {"order_id": "order_id", "status": "order_id"}),
                                                 (ZH, {"customer_id": "客户编号", "channel": "客户编号"})],
                         ids=["alias", "canonical", "id"])
def test_one_header_mapped_to_two_fields_is_read_for_both_as_ingest_reads_it(tmp_path, header, mapping):
    """``--map order_id=订单号 --map status=订单号`` (or ``order_id=order_id`` with ``status=order_id``,
    the column ``status`` then unread): ingest reads the one column for both fields; 5143919's
    engine stopped on Ibis's ``duplicate new names passed for renaming`` (a traceback), or read
    the column as the status only, the order number lost."""
    path = tmp_path / "export.csv"
    _write(path, header, LINES)
    kept, got = _facts_both(path, tmp_path, mapping=mapping)
    _same(kept, got)
    by_id = got.set_index("customer_id")  # by hand: C100 a credit note; 已退货 a return only where 订单状态 is read
    assert by_id.loc["b", "revenue_total"] == 7 - 2 and by_id.loc["a", "revenue_total"] == 10 - 4 - 6
    assert by_id.loc["c", "revenue_total"] == (0 if "channel" in mapping else 18)


def test_a_column_in_another_case_than_the_field_it_gives_way_to_is_not_read(tmp_path):
    """``Amount`` beside 金额 with ``--map amount=金额``: ``Amount`` is unread as ingest leaves it
    unread, and not handed on beside the ``amount`` read from 金额 (one name to Spark, whose
    analyser stopped on an ambiguous reference, and to DuckDB)."""
    path = tmp_path / "export.csv"
    _write(path, ["客户编号", "下单日期", "Amount", "金额"], [["a", "2025-01-01", "1", "10"], ["b", "2025-02-01", "2", "20"]])
    table, rows = checked_transactions(duckdb_source(str(path), mapping={"amount": "金额"}), CUTOFF,
                                       mapping={"amount": "金额"})
    assert "Amount" not in table.columns and rows["used"] == 2
    assert sorted(table.select("amount").to_pyarrow()["amount"].to_pylist()) == [10, 20]


def test_a_source_column_named_as_a_helper_in_another_case_is_handed_on(tmp_path):
    """A source's ``_WHY`` and ``_Ret`` (one name with the check's own ``_why`` and ``_ret`` to
    DuckDB): set aside and handed on as they came (c778c83 and 5143919: a KeyError of pyarrow)."""
    path = tmp_path / "tx.csv"
    _write(path, ["customer_id", "ts", "amount", "_WHY", "_Ret"],
           [["a", "2025-01-01", "10", "x", "1"], ["b", "2025-02-01", "-5", "y", "2"]])
    table, rows = checked_transactions(duckdb_source(str(path)), CUTOFF)
    got = table.to_pyarrow().to_pandas().sort_values("customer_id")
    assert rows["used"] == 2 and got["_WHY"].tolist() == ["x", "y"] and got["_Ret"].tolist() == [1, 2]
    assert got["is_return"].tolist() == [False, True]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_map_that_is_not_field_equals_column_is_said_in_the_readers_language(tmp_path, lang):
    """``--map amount`` on ``xuanba round`` and ``xuanba ingest``: the mistake and its fix in the
    reader's language (5143919: in English only, under --lang zh too)."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    path = tmp_path / "tx.csv"
    _write(path, ["customer_id", "ts", "amount"], [["a", "2025-01-01", "10"]])
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    said = {"en": ("is not field=column", "repeat --map"), "zh": ("不是 字段=列名 的写法", "重复 --map")}[lang]
    for args in (["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31", "--engine", "duckdb",
                  "--source", str(path), "--no-store"],
                 ["ingest", str(path), "--workspace", str(tmp_path / "w.duckdb")]):
        res = CliRunner().invoke(app, ["--lang", lang, *args, "--map", "amount"], env={"COLUMNS": "200"})
        assert res.exit_code == 2 and all(s in res.output for s in said), res.output


@spark_test
def test_a_renamed_source_on_spark_reads_what_duckdb_reads(spark, tmp_path):
    """On Spark (case-insensitive names, its own analyser): ``Amount`` beside 金额 read as amount,
    and one header read for two fields; the facts DuckDB gives."""
    from xuanba.rounds.spark import spark_source
    from xuanba.standard.engine import to_arrow

    path = tmp_path / "export.csv"
    _write(path, [*ZH[:2], "Amount", *ZH[2:]], [[*line[:2], "1", *line[2:]] for line in LINES])
    mapping = {"amount": "金额（元）", "status": "订单号"}
    on_duckdb = engine_fields(duckdb_source(str(path), mapping=mapping), STANDARD, CUTOFF, keep=lambda t: t,
                              mapping=mapping)[0].to_pyarrow().to_pandas()
    on_spark = to_arrow(engine_fields(spark_source(spark, str(path)), STANDARD, CUTOFF, keep=lambda t: t,
                                      mapping=mapping)[0]).to_pandas()
    cols = [c for c in FACT_COLUMNS if c in on_spark.columns]
    _same(on_duckdb[cols].sort_values("customer_id").reset_index(drop=True),
          on_spark[cols].sort_values("customer_id").reset_index(drop=True))
    assert on_spark.set_index("customer_id").loc["c", "revenue_total"] == 18


def test_a_stored_round_says_the_headers_it_read_its_fields_from(tmp_path):
    """The round's meta keeps ``{field: header}`` for the fields read under another name (so a
    round over a file with 退货标志 beside the canonical columns, read as a sale before 5143919 and
    as a return since, says which column it read), as ingest's report keeps its mapping; a
    canonical source's meta is as before."""
    from xuanba.rounds.engine import run_round_on_engine

    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    path = tmp_path / "export.csv"
    _write(path, ["customer_id", "ts", "amount", "退货标志"], [["a", "2025-01-01", "5", "否"], ["a", "2025-02-01", "2", "是"]])
    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert ingest(str(path), ws, tz="UTC").sources[0].mapping["is_return"] == "退货标志"
    got = run_round_on_engine(duckdb_source(str(path)), tmp_path / "s.toml", CUTOFF)
    assert got.meta["source_rows"]["headers"] == {"is_return": "退货标志"}
    _write(path, ["customer_id", "ts", "amount"], [["a", "2025-01-01", "5"]])
    assert "headers" not in run_round_on_engine(duckdb_source(str(path)), tmp_path / "s.toml", CUTOFF).meta["source_rows"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_one_name_written_twice_is_refused_as_ingest_refuses_it(tmp_path, kind):
    """``CUSTOMER_ID`` and ``customer_id`` (or ``amount`` and ``AMOUNT``): ingest refuses the CSV,
    which one holds the data being a guess; DuckDB reads the second as ``customer_id_1``, and
    5143919's round read the first one silently. Now the engine's error is ingest's of the CSV
    (ingest's own Parquet reader still reads the first one: not this test's). A header that is
    only written so (``amount_1``) is read. Twins DuckDB keeps apart (``ａｍｏｕｎｔ``, ``Amount ``)
    are said so too: cf5866e's round said "both look like amount" of a CSV's, and named no file
    of a Parquet file's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for header in (["CUSTOMER_ID", "ts", "amount", "customer_id"], ["customer_id", "ts", "amount", "AMOUNT"],
                   ["customer_id", "ts", "amount", "ａｍｏｕｎｔ"], ["customer_id", "ts", "amount", "Amount "]):
        lines = [["BIG", "2025-01-01", "10", "7"], ["BIG", "2025-02-01", "5", "8"]]
        text = tmp_path / "twins.csv"
        _write(text, header, lines)
        path = tmp_path / f"twins.{kind}"
        if kind == "parquet":
            pq.write_table(pa.table({h: [line[i] for line in lines] for i, h in enumerate(header)}), path)
        with Workspace(tmp_path / f"ws{header[0]}.duckdb") as ws, pytest.raises(SchemaError) as want:
            ingest(str(text), ws, tz="UTC")
        with pytest.raises(SchemaError) as got:
            checked_transactions(duckdb_source(str(path)), CUTOFF)
        said = got.value.render("en")
        assert said == want.value.render("en").replace("twins.csv", path.name) and "one name written twice" in said
    _write(tmp_path / "one.csv", ["amount_1", "customer_id", "ts", "amount"], [["1", "a", "2025-01-01", "3"]])
    table, rows = checked_transactions(duckdb_source(str(tmp_path / "one.csv")), CUTOFF)
    assert rows["used"] == 1 and "amount_1" in table.columns


def test_a_windows_export_whose_header_cell_holds_a_line_break_gives_the_facts_ingest_gives(tmp_path):
    """Excel on Windows ends lines CR LF and writes a break typed in a cell (Alt+Enter) as a bare LF:
    with it in the 数量 header, DuckDB's sniffer took the break for the line end and 7dd5749 refused
    the file on both paths. Read now by both, as the same file with LF line ends is, and its twin
    headers refused as ingest refuses them (the engine reads the header line again for them)."""
    header = [("数量\n(件)" if h == "数量" else h) for h in ZH]
    facts = []
    for newline in ("\n", "\r\n"):
        path = tmp_path / f"export{len(newline)}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator=newline).writerows([header, *LINES])
        assert (b"\r\n" in path.read_bytes()) == (newline == "\r\n")
        (tmp_path / f"ws{len(newline)}").mkdir()
        kept, got = _facts_both(path, tmp_path / f"ws{len(newline)}")
        _same(kept, got)
        facts.append(got)
    pd.testing.assert_frame_equal(facts[0], facts[1])
    twins = tmp_path / "twins.csv"
    with open(twins, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows([["customer_id", "ts", "amount", "数量\n(件)", "AMOUNT"],
                                                         ["BIG", "2025-01-01", "10", "1", "7"]])
    with Workspace(tmp_path / "wt.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(str(twins), ws, tz="UTC")
    with pytest.raises(SchemaError) as got:
        checked_transactions(duckdb_source(str(twins)), CUTOFF)
    assert got.value.render("en") == want.value.render("en") and "one name written twice" in want.value.render("en")
    assert got.value.render("zh") == want.value.render("zh")


def _twins(tmp_path, header: list[str], kind: str):
    """A source of two lines with ``header`` (``amount`` beside ``AMOUNT``...) as ``kind``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = [["BIG", "2025-01-01", "10", "7", "x"][: len(header)], ["BIG", "2025-02-01", "5", "8", "y"][: len(header)]]
    path = tmp_path / f"twins.{kind}"
    if kind == "parquet":
        pq.write_table(pa.table({h: [line[i] for line in lines] for i, h in enumerate(header)}), path)
    else:
        _write(path, header, lines)
    return path, pd.DataFrame({h: [line[i] for line in lines] for i, h in enumerate(header)})


@pytest.mark.parametrize("mapping", [None, {"amount": "amount"}])
def test_one_name_written_twice_in_a_table_is_refused_as_ingest_refuses_it(tmp_path, mapping):
    """``amount`` and ``AMOUNT`` in a table a Python caller gives: ingest refuses it (which one
    holds the data is a guess); 6a3d048's engine said "both look like amount" and, given the
    ``mapping`` its fix asked for, read one on DuckDB and stopped with Spark's ambiguous reference
    on Spark. Now ingest's refusal, mapping or not."""
    _, frame = _twins(tmp_path, ["customer_id", "ts", "amount", "AMOUNT"], "csv")
    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(frame, ws, mapping=mapping)
    with pytest.raises(SchemaError) as got:
        checked_transactions(frame, CUTOFF, mapping=mapping)
    for lang in ("en", "zh"):
        assert got.value.render(lang) == want.value.render(lang).replace("<table>, ", "").replace("<table>，", "")
    assert "('amount', 'AMOUNT') are one name written twice" in got.value.render("en")


@spark_test
def test_one_name_written_twice_is_refused_on_spark_as_on_duckdb(spark, tmp_path):
    """``amount`` and ``AMOUNT`` on Spark: a Parquet source stopped with Spark's
    COLUMN_ALREADY_EXISTS and the fix "give Parquet written by your pipeline" (a CSV's read as
    ``amount2``, ``AMOUNT3``: "no column for amount"; an Ibis table with ``mapping`` an ambiguous
    reference, a traceback); now each the error DuckDB's round gives, the file, both columns and
    the fix, in English and Chinese, by ``xuanba round --engine spark`` too. Two ``备注`` columns
    of a CSV, which nobody reads, are read as DuckDB reads them."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.rounds.engine import run_round_on_engine
    from xuanba.rounds.spark import spark_source

    header = ["customer_id", "ts", "amount", "AMOUNT"]
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    for kind in ("parquet", "csv"):
        path, frame = _twins(tmp_path, header, kind)
        with pytest.raises(SchemaError) as want:
            checked_transactions(duckdb_source(str(path)), CUTOFF)
        with pytest.raises(SchemaError) as got:
            checked_transactions(spark_source(spark, str(path)), CUTOFF)
        for lang in ("en", "zh"):
            assert got.value.render(lang) == want.value.render(lang), (kind, lang)
        assert f"{path}, column 'amount': columns 3 and 4 ('amount', 'AMOUNT')" in got.value.render("en")
    for lang, said in (("en", "columns 3 and 4 ('amount', 'AMOUNT') are one name written twice"),
                       ("zh", "第 3 列和第 4 列（'amount'、'AMOUNT'）是同一个列名写了两次")):
        res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                       "2025-12-31", "--engine", "spark", "--source", str(tmp_path / "twins.parquet"),
                                       "--no-store"], env={"COLUMNS": "300"})
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
        assert said in res.output and "twins.parquet" in res.output and "Traceback" not in res.output, res.output
    spark._session.createDataFrame(frame).createOrReplaceTempView("twins_given")
    try:
        for mapping in (None, {"amount": "amount"}):
            with pytest.raises(SchemaError, match=r"columns 3 and 4 \('amount', 'AMOUNT'\) are one name written twice"):
                run_round_on_engine(spark.table("twins_given"), tmp_path / "s.toml", CUTOFF, mapping=mapping)
    finally:  # the session is the whole run's
        spark._session.catalog.dropTempView("twins_given")
    path, _ = _twins(tmp_path, ["customer_id", "ts", "amount", "备注", "备注"], "csv")
    table, rows = checked_transactions(spark_source(spark, str(path)), CUTOFF)
    assert rows["used"] == 2 and len(table.columns) == len(checked_transactions(duckdb_source(str(path)), CUTOFF)[0].columns)


MAPPED = {"customer_id": "kunde", "ts": "tag", "amount": "Betrag"}


def _mapped_twins(tmp_path, order: list[str], kind: str):
    """``kunde, tag`` and the two columns ``order`` (``Betrag`` and ``BETRAG``) as ``kind``."""
    path, frame = _twins(tmp_path, ["kunde", "tag", *order], "parquet" if kind == "parquet" else "csv")
    return path if kind != "arrow" else frame


@pytest.mark.parametrize("kind", ["csv", "parquet", "arrow"])
@pytest.mark.parametrize("order", [["Betrag", "BETRAG"], ["BETRAG", "Betrag"]], ids=["mapped-first", "mapped-second"])
def test_a_mapped_columns_twin_is_refused_wherever_it_stands(tmp_path, kind, order):
    """``--map amount=Betrag`` over ``Betrag`` and ``BETRAG``: which one holds the amounts is a
    guess, whichever comes first. cf5866e refused it only when ``Betrag`` came second
    (:func:`duplicate_headers` asked ``matters`` of the later twin alone): with it first ingest
    and DuckDB's round read ``Betrag`` silently, and Spark's round said the mapping names no
    column (a CSV) or refused it (a Parquet file). Now refused on both paths, alike."""
    source = _mapped_twins(tmp_path, order, kind)
    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(str(source) if kind != "arrow" else source, ws, mapping=MAPPED)
    with pytest.raises(SchemaError) as got:
        checked_transactions(duckdb_source(str(source), mapping=MAPPED) if kind != "arrow" else source, CUTOFF,
                             mapping=MAPPED)
    for err in (want, got):
        assert f"columns 3 and 4 ({order[0]!r}, {order[1]!r}) are one name written twice" in err.value.render("en")
        assert "是同一个列名写了两次" in err.value.render("zh")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("twin", ["amount\u200b", "am\u00adount"], ids=["zero-width-space", "soft-hyphen"])
def test_a_twin_differing_by_a_character_no_screen_shows_is_refused_on_both_paths(tmp_path, kind, twin):
    """``amount`` beside ``amount`` with a zero-width space (or a soft hyphen) pasted into it: two
    columns that look alike in every spreadsheet. cf5866e read the first on both paths, silently
    (the second's 7 and 8 dropped); now both refuse it as they refuse ``amount`` and ``AMOUNT``."""
    path, frame = _twins(tmp_path, ["customer_id", "ts", "amount", twin], kind)
    for source in (path, frame):
        with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(SchemaError) as want:
            ingest(str(source) if source is path else source, ws, tz="UTC")
        with pytest.raises(SchemaError) as got:
            checked_transactions(duckdb_source(str(path)) if source is path else source, CUTOFF)
        for err in (want, got):
            assert f"columns 3 and 4 ('amount', {twin!r}) are one name written twice" in err.value.render("en")


@spark_test
def test_a_mapped_columns_twin_is_refused_on_spark_as_on_duckdb(spark, tmp_path):
    """The CSV of :func:`test_a_mapped_columns_twin_is_refused_wherever_it_stands`, ``Betrag`` first:
    Spark reads its twins as ``Betrag2`` and ``BETRAG3``; cf5866e's round then said "the mapping
    amount=Betrag names a column that is not in the file" (the fix: map a column that is there).
    Now the refusal DuckDB's round gives, word for word."""
    from xuanba.rounds.spark import spark_source

    path = _mapped_twins(tmp_path, ["Betrag", "BETRAG"], "csv")
    with pytest.raises(SchemaError) as want:
        checked_transactions(duckdb_source(str(path), mapping=MAPPED), CUTOFF, mapping=MAPPED)
    with pytest.raises(SchemaError) as got:
        checked_transactions(spark_source(spark, str(path), mapping=MAPPED), CUTOFF, mapping=MAPPED)
    for lang in ("en", "zh"):
        assert got.value.render(lang) == want.value.render(lang)
    assert "('Betrag', 'BETRAG') are one name written twice" in got.value.render("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_map_without_a_source_says_what_map_is_for(tmp_path, lang):
    """``xuanba round --map amount=金额`` on a workspace: 5143919 said ``--engine duckdb needs
    --source`` of a command line with no --engine; now what --map maps, and the two ways on."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--workspace", str(tmp_path / "w.duckdb"), "--map", "amount=金额"],
                             env={"COLUMNS": "200"})
    said = {"en": "--map names the headers of a --source file", "zh": "--map 用于指明 --source 文件的表头"}[lang]
    assert res.exit_code == 2 and said in res.output and "xuanba ingest --map" in res.output, res.output
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("mapped", [False, True], ids=["aliases", "map"])
def test_values_left_empty_are_said_under_the_files_headers_as_ingest_says_them(tmp_path, lang, mapped):
    """A Chinese export whose costs ingest leaves empty (NaN, inf, 1e20) and whose quantity is
    ``abc``: ``xuanba round --engine duckdb --source`` names 成本（元） and 数量, with ingest's
    counts, where 6a3d048 said "Costs" and "Quantities" (the fields) and no column; with ``--map``
    a header no alias reads (进价, 件数) is named the same way. The rows left out are said in
    the reader's language, and an error of a source with none usable too (6a3d048: English
    reasons in a Chinese error)."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    cost, qty = ("进价", "件数") if mapped else ("成本（元）", "数量")
    path = tmp_path / "导出.csv"
    _write(path, ["客户编号", "下单日期", "金额（元）", cost, qty],
           [["a", "2025-01-01", "10", "4", "1"], ["a", "2025-02-01", "5", "NaN", "1"], ["b", "2025-01-05", "7", "1e20", "abc"],
            ["b", "2025-03-05", "", "1", "1"], ["c", "2025-04-01", "9", "inf", "2"], ["c", "", "3", "1", "1"]])
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    maps = ["--map", f"cost={cost}", "--map", f"quantity={qty}"] if mapped else []
    env = {"COLUMNS": "200"}

    def bare(text: str) -> str:  # the console's words without the spaces and line breaks it wraps them at
        return "".join(text.split())

    ingested = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "w.duckdb"),
                                        *maps], env=env)
    assert ingested.exit_code == 0, ingested.output
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--engine", "duckdb", "--source", str(path), "--no-store", *maps],
                             env=env)
    assert res.exit_code == 0, res.output
    with Workspace(tmp_path / "w.duckdb") as ws:  # ingest's own counts, by the header (its report's keys)
        left = ws.con.execute("SELECT count(*) FILTER (WHERE cost IS NULL), count(*) FILTER (WHERE quantity IS NULL) "
                              "FROM transactions").fetchone()
    assert left == (3, 1)  # by hand: NaN, 1e20 (a rejected row's inf is not counted) and abc
    left_said = {"en": f"left empty ({cost}: {left[0]}, {qty}: {left[1]})",  # Chinese punctuation in Chinese
                 "zh": f"留空的值（{cost}：{left[0]}、{qty}：{left[1]}）"}[lang]
    assert bare(left_said) in bare(ingested.output), ingested.output  # ingest's words ...
    assert bare(left_said.replace("left empty", "left empty, as `xuanba ingest` leaves them")) in bare(res.output), res.output
    assert bare(f"{cost}: costs") in bare(res.output) or bare(f"{cost}：`xuanba ingest` 不能存储") in bare(res.output)
    assert "Costs" not in res.output and "个成本" not in res.output
    said = {"en": "1 missing amount, 1 missing date", "zh": "缺少金额 1 行、缺少日期 1 行"}[lang]
    assert bare(said) in bare(res.output), res.output
    _write(path, ["客户编号", "下单日期", "金额（元）"], [["a", "", "5"], ["b", "2025-01-02", ""]])
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--engine", "duckdb", "--source", str(path), "--no-store"], env=env)
    assert res.exit_code != 0 and bare(said) in bare(res.output) and "导出.csv" in res.output, res.output


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_header_a_terminal_would_act_on_is_said_escaped(tmp_path, lang, newline):
    """A cost column headed ``成本`` + an ANSI escape (a terminal clears its screen and turns red)
    and a quantity headed ``数量`` + a line break + ``(件)`` (Excel's Alt+Enter): named in the
    console lines of values left empty, by ``xuanba ingest`` and by an engine round. cf5866e
    wrote them raw: the escape reached the terminal and the line broke inside the header. Now
    named as an error names a header, quoted with its escapes (``'数量\\n(件)'``), on both. Lines
    ending CR LF as a Windows Excel writes them (the break in the cell a bare LF): 7dd5749 refused
    the file on both paths with DuckDB's "Error when sniffing file"."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    cost, qty = "成本\x1b[2J\x1b[31m", "数量\n(件)"
    path = tmp_path / "导出.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:  # the break in the header a bare LF
        csv.writer(f, lineterminator=newline).writerows([["客户编号", "下单日期", "金额", cost, qty],
                                                        ["a", "2025-01-01", "10", "NaN", "abc"],
                                                        ["b", "2025-02-01", "5", "1", "1"]])
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    maps = ["--map", f"cost={cost}", "--map", f"quantity={qty}"]
    ingested = CliRunner().invoke(app, ["--lang", lang, "ingest", str(path), "--workspace", str(tmp_path / "w.duckdb"),
                                        *maps], env={"COLUMNS": "300"})
    res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                   "2025-12-31", "--engine", "duckdb", "--source", str(path), "--no-store", *maps],
                             env={"COLUMNS": "300"})
    for out in (ingested, res):
        assert out.exit_code == 0, out.output
        assert "\x1b" not in out.output and "数量\n" not in out.output, out.output
        sep = {"en": ": ", "zh": "："}[lang]
        assert f"{cost!r}{sep}1" in out.output and f"{qty!r}{sep}1" in out.output, out.output


def test_a_header_with_a_full_width_space_is_said_as_written():
    """``成本　（元）`` (an ideographic space, common in Chinese exports) is shown as written, not
    quoted as ``'成本\\u3000（元）'``: only what a terminal acts on or hides is escaped."""
    from xuanba.rounds.source_check import rejected_line

    rows = {"input_rows": 3, "used": 3, "rejected": 0, "rejected_by_reason": {}, "values_left_empty": {"cost": 2},
            "headers": {"cost": "成本　（元）"}}
    assert "（成本　（元）：2）" in rejected_line({"source_rows": rows}, "zh")
    assert "(成本　（元）: 2)" in rejected_line({"source_rows": rows}, "en")


@spark_test
def test_twins_no_field_reads_in_a_parquet_file_are_read_on_spark_as_on_duckdb(spark, tmp_path):
    """A Parquet file with ``note`` and ``NOTE`` beside the transactions (no field's name or
    alias): 7dd5749 refused it on Spark (its COLUMN_ALREADY_EXISTS read as twins), while DuckDB's
    round and ingest read it, those columns unused. Now Spark reads it without them, its schema read
    case-sensitively for that read only (the session's setting as it was, unset or ``false``): the
    roster equals DuckDB's, ranked by each customer's total as pandas sums it. Mapped by ``--map``,
    a twin is refused on both, word for word."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.test_round_engine import read_roster
    from xuanba.rounds.engine import run_round_on_engine
    from xuanba.rounds.spark import spark_source
    from xuanba.standard import load_standard

    frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "a", "c"],
                          "ts": pd.to_datetime(["2025-01-02", "2025-02-03", "2025-03-04", "2025-04-05", "2025-05-06",
                                                "2025-06-07"]),
                          "amount": [5.0, 7.0, 1.0, 3.0, 4.0, 0.5], "note": list("uvwxyz"), "NOTE": list("UVWXYZ")})
    path = tmp_path / "notes.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    session, key = spark._session, "spark.sql.caseSensitive"
    try:
        for before in ("false", None):
            if before is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, before)
            source = spark_source(spark, str(path))
            assert session.conf.get(key, None) == before
    finally:  # the session is the whole run's
        session.conf.unset(key)
    assert source.columns == ("customer_id", "ts", "amount")
    rosters, by_revenue = {}, load_standard(STANDARD.text.replace("margin_total", "revenue_total"))
    for engine, table in (("spark", source), ("duckdb", duckdb_source(str(path)))):
        run_round_on_engine(table, by_revenue, CUTOFF, roster_out=tmp_path / engine)
        rosters[engine] = read_roster(tmp_path / engine)
    pd.testing.assert_frame_equal(rosters["spark"], rosters["duckdb"], check_dtype=False)
    by_total = frame.groupby("customer_id")["amount"].sum().sort_values(ascending=False)  # 9, 7, 3, 1.5
    assert rosters["spark"]["customer_id"].tolist() == by_total.index.tolist()
    mapping = {"product": "note"}
    with pytest.raises(SchemaError) as want:
        checked_transactions(duckdb_source(str(path), mapping=mapping), CUTOFF, mapping=mapping)
    with pytest.raises(SchemaError) as got:
        spark_source(spark, str(path), mapping=mapping)
    for lang in ("en", "zh"):
        assert got.value.render(lang) == want.value.render(lang)
    assert "columns 4 and 5 ('note', 'NOTE') are one name written twice" in got.value.render("en")


@spark_test
def test_a_joined_spark_frame_with_two_amounts_is_refused_as_twins(spark, tmp_path):
    """``df1.join(df2, "customer_id")`` leaves two ``amount``; Ibis's schema holds them as one, so
    7dd5749's check saw one and the round ended in Spark's AMBIGUOUS_REFERENCE traceback. Now the
    names Spark gives the table are checked: the twins' error (which columns, the fix) in English
    and Chinese, from Python and from ``xuanba round --engine spark --source`` the view. The
    DataFrame handed as it is is refused so too; one without twins is said to go through Ibis."""
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.errors import InputError
    from xuanba.rounds.engine import run_round_on_engine

    session = spark._session
    left = session.createDataFrame(pd.DataFrame({"customer_id": ["a", "b"], "amount": [1.0, 2.0],
                                                 "ts": pd.to_datetime(["2025-01-02", "2025-02-03"])}))
    right = session.createDataFrame(pd.DataFrame({"customer_id": ["a", "b"], "amount": [3.0, 4.0]}))
    joined = left.join(right, "customer_id")
    assert joined.columns == ["customer_id", "amount", "ts", "amount"]
    said = {"en": "columns 2 and 4 ('amount', 'amount') are one name written twice",
            "zh": "第 2 列和第 4 列（'amount'、'amount'）是同一个列名写了两次"}
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    joined.createOrReplaceTempView("joined_twice")
    try:
        for given in (spark.table("joined_twice"), joined):
            with pytest.raises(SchemaError) as got:
                run_round_on_engine(given, STANDARD, CUTOFF)
            for lang in said:
                assert said[lang] in got.value.render(lang), got.value.render(lang)
        for lang in said:
            res = CliRunner().invoke(app, ["--lang", lang, "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                           "2025-12-31", "--engine", "spark", "--source", "joined_twice", "--no-store"],
                                     env={"COLUMNS": "300"})
            assert res.exit_code == 2 and said[lang] in res.output and "Traceback" not in res.output, res.output
    finally:  # the session is the whole run's
        session.catalog.dropTempView("joined_twice")
    with pytest.raises(InputError, match="a Spark DataFrame is read through Ibis"):
        run_round_on_engine(left, STANDARD, CUTOFF)


@pytest.mark.parametrize("kind", ["pandas", "arrow"])
def test_a_table_with_one_name_written_twice_is_refused_or_read_as_ingest_does(tmp_path, kind):
    """A pandas or Arrow table handed from Python with two columns of one name (``amount`` twice,
    as ``pd.concat(axis=1)`` leaves them): 7dd5749's round ended in pyarrow's ValueError (pandas)
    or Ibis's IntegrityError (Arrow). Now ingest's error, word for word in English and Chinese;
    two ``备注`` (no field's) are left out as ingest leaves them: the roster is that of the table
    without them."""
    import pyarrow as pa

    from tests.test_round_engine import read_roster
    from xuanba.rounds.engine import run_round_on_engine

    base = pd.DataFrame({"customer_id": ["a", "b", "c", "a"], "ts": pd.to_datetime(["2025-01-02", "2025-02-03",
                                                                                   "2025-03-04", "2025-04-05"]),
                         "amount": [5.0, 7.0, 1.0, 3.0]})

    def given(extra: pd.DataFrame):
        frame = pd.concat([base, extra], axis=1)
        return frame if kind == "pandas" else pa.table([frame.iloc[:, i] for i in range(frame.shape[1])],
                                                       names=[str(c) for c in frame.columns])

    twice = given(pd.DataFrame({"amount": [1.0, 1.0, 1.0, 1.0]}))
    with Workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(twice, ws)
    with pytest.raises(SchemaError) as got:
        run_round_on_engine(twice, STANDARD, CUTOFF)
    for lang in ("en", "zh"):
        assert got.value.render(lang) == want.value.render(lang).replace("<table>, ", "").replace("<table>，", "")
    assert "columns 3 and 4 ('amount', 'amount') are one name written twice" in got.value.render("en")
    notes = given(pd.DataFrame([["x", "y"]] * 4, columns=["备注", "备注"]))
    run_round_on_engine(notes, STANDARD, CUTOFF, roster_out=tmp_path / "notes")
    run_round_on_engine(base, STANDARD, CUTOFF, roster_out=tmp_path / "base")
    pd.testing.assert_frame_equal(read_roster(tmp_path / "notes"), read_roster(tmp_path / "base"))
    assert read_roster(tmp_path / "notes")["customer_id"].tolist() == ["a", "b", "c"]


@spark_test
def test_a_csv_header_over_two_lines_is_read_and_said_on_spark_as_on_duckdb(tmp_path, spark):
    """The export of :func:`test_a_header_a_terminal_would_act_on_is_said_escaped` on Spark: a
    quantity headed ``数量`` + a line break + ``(件)`` and a cost headed with an ANSI escape.
    7dd5749's Spark read the header up to the break (the column ``数量``, the line ``(件)"`` a row:
    one of "3 rows" left out for no date), and ``--map quantity=数量\\n(件)`` "names a column that is
    not in the file", its fix writing the escape raw to the terminal. Now read as DuckDB reads it:
    the same data hash, no row left out, the same console line with the headers escaped."""
    from typer.testing import CliRunner

    from xuanba.cli import app

    cost, qty = "成本\x1b[2J\x1b[31m", "数量\n(件)"
    path = tmp_path / "导出.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:  # line ends as the break in the header (LF)
        csv.writer(f, lineterminator="\n").writerows([["客户编号", "下单日期", "金额", cost, qty],
                                                     ["a", "2025-01-01", "10", "NaN", "abc"],
                                                     ["b", "2025-02-01", "5", "1", "1"]])
    (tmp_path / "s.toml").write_text('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "m"\n'
                                     'field = "revenue_total"\nweight = 1\n', "utf-8")
    said = {}
    for engine in ("duckdb", "spark"):
        res = CliRunner().invoke(app, ["--lang", "en", "round", "--standard", str(tmp_path / "s.toml"), "--cutoff",
                                       "2025-12-31", "--engine", engine, "--source", str(path), "--no-store",
                                       "--map", f"cost={cost}", "--map", f"quantity={qty}"], env={"COLUMNS": "300"})
        out = res.output
        assert res.exit_code == 0 and "\x1b" not in out and "数量\n" not in out and "rows were left out" not in out, out
        said[engine] = (re.search(r"data sha256 +│ +(\S+)", out).group(1), out[out.index("Values"):out.index("Tiers")])
    assert said["spark"] == said["duckdb"]
    assert f"({cost!r}: 1, {qty!r}: 1)" in said["spark"][1]


@spark_test
def test_twins_no_field_reads_are_read_in_a_case_sensitive_spark_session_as_on_duckdb(spark, tmp_path):
    """A user's session with ``spark.sql.caseSensitive`` on reads ``note`` and ``NOTE`` as two
    columns, and ab5f03d then refused them as one name written twice (its check folded case as a
    case-insensitive session does), though DuckDB's round and the same file in Spark's default
    session read it. Now the roster equals DuckDB's; a field's twins (``--map product=note``) are
    still refused, as ingest refuses them, and two names written alike always."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.test_round_engine import read_roster
    from xuanba.rounds.engine import run_round_on_engine
    from xuanba.rounds.spark import spark_source
    from xuanba.standard import load_standard

    frame = pd.DataFrame({"customer_id": ["a", "b", "c", "a"],
                          "ts": pd.to_datetime(["2025-01-02", "2025-02-03", "2025-03-04", "2025-05-06"]),
                          "amount": [5.0, 7.0, 1.0, 4.0], "note": list("uvwx"), "NOTE": list("UVWX")})
    path = tmp_path / "notes.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    by_revenue = load_standard(STANDARD.text.replace("margin_total", "revenue_total"))
    session, key = spark._session, "spark.sql.caseSensitive"
    session.conf.set(key, "true")
    try:
        source = spark_source(spark, str(path))
        assert source.columns == ("customer_id", "ts", "amount", "note", "NOTE")
        run_round_on_engine(source, by_revenue, CUTOFF, roster_out=tmp_path / "spark")
        with pytest.raises(SchemaError, match="'note', 'NOTE'"):
            checked_transactions(spark_source(spark, str(path), mapping={"product": "note"}), CUTOFF,
                                 mapping={"product": "note"})
    finally:  # the session is the whole run's
        session.conf.unset(key)
    run_round_on_engine(duckdb_source(str(path)), by_revenue, CUTOFF, roster_out=tmp_path / "duckdb")
    pd.testing.assert_frame_equal(read_roster(tmp_path / "spark"), read_roster(tmp_path / "duckdb"), check_dtype=False)
    assert read_roster(tmp_path / "spark")["customer_id"].tolist() == ["a", "b", "c"]  # 9, 7, 1
