"""Issue 13 point 6: the errors a user of ingest, standard and round commonly meets read in the
language of the command line (``--lang zh``), with the file, row (or line) and column still named;
``str(err)`` and ``--json`` stay English for programs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.errors import InputError, Phrase, WorkspaceError, XuanbaError
from xuanba.i18n import TEXT


def run(*args: str, lang: str):
    return CliRunner().invoke(app, ["--lang", lang, *args])


def test_a_missing_column_reads_chinese_with_file_and_column(tmp_path):
    path = tmp_path / "销售.csv"
    path.write_bytes("客户编号,金额\r\nA,1\r\n".encode("gbk"))
    zh = run("ingest", str(path), "-w", str(tmp_path / "zh.duckdb"), lang="zh")
    en = run("ingest", str(path), "-w", str(tmp_path / "en.duckdb"), lang="en")
    assert zh.exit_code == en.exit_code == 2
    assert zh.output.startswith("错误：") and "销售.csv，“ts”列：找不到必需字段“ts”对应的列" in zh.output
    assert "文件中的列有：客户编号、金额" in zh.output and "解决办法：请逐一指明对应的列，例如 --map ts=<column>" in zh.output
    assert "no column for" not in zh.output and "fix:" not in zh.output
    assert "销售.csv, column 'ts': no column for the required field 'ts'" in en.output and "解决办法" not in en.output


def test_an_unreadable_encoding_names_the_line_in_chinese(tmp_path):
    path = tmp_path / "enc.csv"
    path.write_bytes(b"customer,date,amount\nA,2026-01-01,\x81\x20\n")
    zh = run("ingest", str(path), "-w", str(tmp_path / "w.duckdb"), lang="zh")
    assert zh.exit_code == 2
    assert "enc.csv：文件既不是 UTF-8、UTF-16 也不是 GBK/GB18030 编码的文本（文件第 2 行" in zh.output
    assert "“CSV UTF-8”" in zh.output


def test_a_bad_date_reads_chinese(tmp_path):
    log = tmp_path / "tx.csv"
    log.write_text("customer_id,ts,amount\nA,2025-01-01,10\n", encoding="utf-8")
    assert run("ingest", str(log), "-w", str(tmp_path / "ws.duckdb"), lang="en").exit_code == 0
    zh = run("facts", "--cutoff", "2026-13-01", "-w", str(tmp_path / "ws.duckdb"), lang="zh")
    assert zh.exit_code == 2 and "--cutoff '2026-13-01' 不是有效的日期" in zh.output
    assert "请把 --cutoff 写成 YYYY-MM-DD" in zh.output


STANDARD = ('[standard]\nname = "b"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenu_365d"\n'
            'weight = 1\n[[gates]]\nname = "g"\nexpr = "margin_365d >"\n')


def test_a_standards_problems_read_chinese_with_their_lines(tmp_path):
    bad = tmp_path / "标准.toml"
    bad.write_text(STANDARD, encoding="utf-8")
    zh = run("standard", "check", str(bad), lang="zh")
    assert zh.exit_code == 2
    assert "标准.toml，第 6 行：指标 “r”：未知字段 “revenu_365d”" in zh.output
    assert "您是不是想写 revenue_365d" in zh.output  # the fix, in words a manager can act on
    assert "另有 1 个问题" in zh.output and "第 10 行：门槛 “g”：无法读懂这条规则" in zh.output
    en = run("standard", "check", str(bad), lang="en")
    assert "line 6: criterion 'r': unknown field 'revenu_365d'" in en.output and "门槛" not in en.output
    js = run("standard", "check", str(bad), "--json", lang="zh")
    payload = json.loads(js.stdout)  # machines read English
    assert payload["problems"][0]["message"] == "criterion 'r': unknown field 'revenu_365d'"


def test_bad_toml_names_its_line_in_chinese(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[standard]\nname = "b\n', encoding="utf-8")
    zh = run("standard", "check", str(bad), lang="zh")
    assert zh.exit_code == 2 and "s.toml，第 2 行：不是有效的 TOML（第 10 列）：引号里的文本没有结束" in zh.output
    assert "补上与开头相同的英文引号" in zh.output  # the fix of an unclosed quote, not any line's


def test_no_round_and_a_missing_workspace_read_chinese(tmp_path):
    log = tmp_path / "tx.csv"
    log.write_text("customer_id,ts,amount\nA,2025-01-01,10\n", encoding="utf-8")
    ws = tmp_path / "ws.duckdb"
    assert run("ingest", str(log), "-w", str(ws), lang="en").exit_code == 0
    zh = run("report", "latest", "-w", str(ws), lang="zh")
    assert zh.exit_code == 5 and "ws.duckdb：工作区里还没有任何轮次" in zh.output and "xuanba round" in zh.output
    zh = run("facts", "-w", str(tmp_path / "none.duckdb"), lang="zh")
    assert zh.exit_code == 5 and "none.duckdb：找不到工作区文件" in zh.output


def test_a_locked_workspace_reads_chinese():
    duckdb = pytest.importorskip("duckdb")
    from xuanba.workspace import workspace_fault

    err = workspace_fault(duckdb.IOException('IO Error: Could not set lock on file "w.duckdb": Conflicting lock '
                                             "is held in python (PID 4242)"), "w.duckdb")
    assert str(err).startswith("w.duckdb: another process (PID 4242) holds the workspace open")
    assert err.render("zh").startswith("w.duckdb：另一个进程（PID 4242）正占用着工作区")
    assert "请等那个进程结束" in err.render("zh")


def test_str_stays_english_and_row_column_count_examples_are_framed():
    err = InputError(Phrase("err_not_a_date", what="ts", value="'x'"), file="a.csv", row=7, column="日期",
                     fix=Phrase("err_not_a_date_fix", what="ts"), examples=["x", "y"], count=1200)
    assert str(err) == ("a.csv, row 7, column '日期': ts 'x' is not a date (1,200 in all)\n  first: 'x', 'y'\n"
                        "  fix: Write ts as YYYY-MM-DD, e.g. 2026-06-30.")
    assert err.render("en") == str(err) and err.message == "ts 'x' is not a date"
    assert err.render("zh") == ("a.csv，第 7 行，“日期”列：ts 'x' 不是有效的日期（共 1,200 处）\n  前几项：'x', 'y'\n"
                                "  解决办法：请把 ts 写成 YYYY-MM-DD，例如 2026-06-30。")
    assert err.to_dict()["key"] == "err_not_a_date" and err.to_dict()["message"] == err.message
    plain = WorkspaceError("something in English", file="w.duckdb", fix="Do this.")
    assert plain.render("zh") == "w.duckdb：something in English\n  解决办法：Do this."  # text given as text stays


def test_every_error_phrase_reads_in_both_languages():
    """Every err_* phrase formats in both languages with the same fields (a hostile value included)."""
    import string

    for key, (en, zh) in TEXT.items():
        if not key.startswith("err_"):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        values = {n: "<b>{x}</b>" for n in names}
        assert Phrase(key, **values).words("zh") == zh.format(**values)
        assert isinstance(XuanbaError(Phrase(key, **values)).render("zh"), str)


def test_rows_after_the_cutoff_name_row_column_and_examples_in_chinese(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"customer,date,amount\nA,2026-06-30,1\nB,2026-07-02,2\n")
    zh = run("ingest", str(path), "-w", str(tmp_path / "w.duckdb"), "--cutoff", "2026-06-30", lang="zh")
    assert zh.exit_code == 2
    assert "late.csv，第 2 行，“date”列：有 1 行的日期晚于截止日 2026-06-30" in zh.output
    assert "前几项：'2026-07-02'" in zh.output and "请检查日期列及其格式" in zh.output
    path = tmp_path / "dates.csv"
    path.write_bytes(b"customer,date,amount\nA,30.06.2026,1\n")
    zh = run("ingest", str(path), "-w", str(tmp_path / "v.duckdb"), lang="zh")
    assert "dates.csv，“date”列：日期列中没有一个值能读成日期（例如 '30.06.2026'）" in zh.output
    assert "--date-format '%d.%m.%Y'" in zh.output


def test_engine_tune_and_spark_conf_refusals_read_chinese_with_their_values(tmp_path):
    from xuanba.rounds.spark import parse_spark_conf
    from xuanba.standard import starter_standard

    std = tmp_path / "s.toml"
    std.write_text(starter_standard("en"), encoding="utf-8")
    args = ("round", "--standard", str(std), "--cutoff", "2026-06-30", "--engine", "foo", "--source", "t.parquet",
            "-w", str(tmp_path / "w.duckdb"))
    zh, en = run(*args, lang="zh"), run(*args, lang="en")
    assert zh.exit_code == en.exit_code == 2
    assert "--engine 'foo' 不是 xuanba 支持的引擎" in zh.output and "请用 --engine duckdb 或 spark。" in zh.output
    assert "not an engine" not in zh.output and "--engine 'foo' is not an engine xuanba runs on" in en.output
    zh = run("standard", "tune", str(std), "--from", "2025-01-01", "--to", "2026-01-01", "--bars",
             "--max-bar-change", "500", "-w", str(tmp_path / "w.duckdb"), lang="zh")
    assert zh.exit_code == 2 and "--max-bar-change 500.0 不在 (0, 100] 范围内" in zh.output
    assert "请给出以分计的幅度，例如 20。" in zh.output
    with pytest.raises(InputError) as caught:
        parse_spark_conf(["spark.executor.memory="])
    err = caught.value
    assert str(err).startswith("--spark-conf 'spark.executor.memory=' has no value")  # programs read English
    assert err.render("zh") == ("--spark-conf 'spark.executor.memory=' 没有给出值\n"
                                "  解决办法：请给出值：spark.executor.memory=VALUE。")


@pytest.mark.parametrize("case", ["missing", "empty", "empty folder", "header row"])
def test_ingests_file_errors_read_chinese(tmp_path, case):
    """A path that is no file, a file of blank lines, a folder of no table and a --header-row past
    the data: said in the command line's language, with the path; the English unchanged."""
    path = tmp_path / "销售.csv"
    extra: list[str] = []
    if case == "empty":
        path.write_text("\n \n\n", encoding="utf-8")
    elif case == "empty folder":
        path = tmp_path / "导出"
        path.mkdir()
        (path / "说明.docx").write_bytes(b"x")
    elif case == "header row":
        path.write_text("customer_id,ts,amount\nA,2025-01-01,1\n", encoding="utf-8")
        extra = ["--header-row", "9"]
    zh = run("ingest", str(path), *extra, "-w", str(tmp_path / "zh.duckdb"), lang="zh")
    en = run("ingest", str(path), *extra, "-w", str(tmp_path / "en.duckdb"), lang="en")
    said = {"missing": ("找不到这个文件", "file not found"),
            "empty": ("文件是空的（没有含数据的行）", "the file is empty (no lines with data)"),
            "empty folder": ("文件夹里没有表格文件", "the folder holds no table files"),
            "header row": ("--header-row 9：文件第 9 行是空行", "--header-row 9: line 9 of the file is blank")}[case]
    assert zh.exit_code == en.exit_code == 2, (zh.output, en.output)
    assert zh.output.lstrip().startswith("错误：") and said[0] in zh.output and path.name in zh.output, zh.output
    assert "解决办法：" in zh.output and "fix:" not in zh.output
    assert said[1] in en.output and "解决办法" not in en.output, en.output


def test_no_phrase_of_the_translation_table_is_written_twice():
    """A key written twice in the table's literal: the later one wins silently, and the phrase
    the earlier one's caller meant is lost (a blank-lines file once said "the file has no bytes")."""
    import ast
    import collections
    from pathlib import Path

    import xuanba.i18n as i18n

    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    tables = [node for node in ast.walk(tree) if isinstance(node, ast.Dict) and len(node.keys) > 50]
    assert tables, "the translation table's literal was not found"
    for table in tables:
        keys = [k.value for k in table.keys if isinstance(k, ast.Constant)]
        twice = [k for k, n in collections.Counter(keys).items() if n > 1]
        assert not twice, twice


@pytest.mark.parametrize("case", ["missing", "twice"])
def test_an_engine_sources_errors_read_chinese(tmp_path, case):
    """``--source`` that is not there, and a source with one name written twice: said in Chinese."""
    from xuanba.rounds.engine import duckdb_source

    path = tmp_path / ("无.parquet" if case == "missing" else "tx.csv")
    if case == "twice":
        path.write_text("customer_id,ts,amount,AMOUNT\nA,2025-01-01,1,2\n", encoding="utf-8")
    with pytest.raises(XuanbaError) as got:
        duckdb_source(path)
    zh = got.value.render("zh")
    assert {"missing": "不存在", "twice": "是同一个列名写了两次"}[case] in zh and "解决办法" in zh, zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_mapping_that_fits_two_columns_says_so_not_that_none_is_there(tmp_path, lang):
    """``--map amount=AMOUNT`` over ``Amount`` and ``amount``: two columns fit it, and which is
    meant is a guess; c0d3995 said the column "is not in the file"."""
    from xuanba.ingest.mapping import map_columns

    with pytest.raises(XuanbaError) as got:
        map_columns(["customer_id", "ts", "Amount", "amount"], {"amount": "AMOUNT"}, file="tx.csv")
    said = got.value.render(lang)
    assert "'Amount', 'amount'" in said and {"en": "differ only", "zh": "只有字母大小写"}[lang] in said, said
    assert "not in the file" not in said and "不在文件中" not in said
    assert map_columns(["customer_id", "ts", "Amount", "amount"], {"amount": "Amount"})["amount"] == "Amount"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_field_whose_column_a_mapping_gave_another_says_so(tmp_path, lang):
    """``--map customer_id=amount``: the amount column is read as the customer id, and the amount
    has no column; the error says where it went, not only that none is there (review26a)."""
    from xuanba.ingest.mapping import check_required, map_columns

    columns = ["客户", "date", "amount"]
    found = map_columns(columns, {"customer_id": "amount"})
    with pytest.raises(XuanbaError) as got:
        check_required(found, columns, file="tx.csv")
    said = got.value.render(lang)
    assert {"en": "the column 'amount' is read as customer_id", "zh": "'amount' 列按映射被读作 customer_id"}[lang] in said, said


@pytest.mark.parametrize("said", ['Invalid Input Error: Error when sniffing file "x.csv".', "IO Error: disk gone"])
def test_a_reader_failure_says_in_chinese_what_is_known_and_duckdbs_words_apart(said):
    """The reader's failure no check of xuanba explains: what is known in the reader's language, then
    DuckDB's English reason on a line of its own, marked as its words (7dd5749 put it inside the
    Chinese sentence: ``无法把文件读成表格：Invalid Input Error: ...``)."""
    import duckdb

    from xuanba.ingest.read import _csv_error

    exc = (duckdb.InvalidInputException if "sniffing" in said else duckdb.IOException)(said + "\nmore lines")
    err = _csv_error(exc, "x.csv")
    zh, en = err.render("zh").splitlines(), err.render("en").splitlines()
    assert zh[0].startswith("x.csv：") and "Error" not in zh[0] and "无法把文件读成表格" in zh[0], zh
    assert ("认不出它的各列" in zh[0]) == ("sniffing" in said) == ("could not make out its columns" in en[0]), (zh, en)
    assert zh[1].strip() == f"DuckDB 的原话（英文）：{said}" and en[1].strip() == f"DuckDB's words: {said}"
    assert "more lines" not in err.render("en") and said not in en[0]


#: The modules whose user-facing errors were put into the translation table (i18n37 and i18n38, and
#: workspace.py before them): an error class raised there with plain text reads English whatever --lang says.
TRANSLATED_MODULES = (
    "workspace.py", "tables.py", "facts/compute.py", "ingest/read.py", "ingest/load.py", "standard/score.py",
    "standard/engine.py", "rounds/run.py", "rounds/replay.py", "rounds/backtest.py", "rounds/fairness.py",
    "rounds/whatif.py", "rounds/store.py", "outputs/exports.py", "outputs/statements.py", "outputs/plots.py",
    "cli/accounts.py", "models/evaluate.py", "models/value.py", "models/predict.py",
    # i18n38
    "_dates.py", "_xlsx.py", "ingest/sidetables.py", "standard/apply.py", "standard/expressions.py",
    "standard/starter.py", "accounts/_util.py", "accounts/profit.py", "accounts/receivables.py",
    "accounts/resources.py", "accounts/stored.py", "accounts/view.py", "cli/_common.py", "cli/facts.py",
    "cli/standard.py", "demo/pipeline.py", "facts/stored.py", "outputs/report.py", "rounds/engine.py",
    "rounds/engine_extras.py", "web/serving.py", "web/store.py", "models/_base.py", "models/_purchases.py",
    "models/_uncertainty.py", "models/bgbb.py", "models/bgnbd.py", "models/covariates.py", "models/gammagamma.py",
    "models/paretonbd.py", "models/sbg.py", "models/simulate.py",
)

#: The raises left English on purpose there, by module and the start of their text: only a mistake
#: inside xuanba (or a file only a bug of an older xuanba wrote) reaches them, never a user's data.
LEFT_ENGLISH = {
    # a Round object's own consistency (store_round of what run_round returned never fails them)
    ("rounds/store.py", "the roster ranks"),
    ("rounds/store.py", "the contributions hold"),
    ("rounds/store.py", "a criterion has two weights"),
    ("rounds/store.py", "the round's contributions are not"),
    # a version-3 migration finding contributions only a bug of an older xuanba could have stored
    ("rounds/store.py", "the stored contributions cannot be moved"),
    # the re-scored roster lost customers of the round: a bug ("Report this as a bug.")
    ("rounds/whatif.py", "the new roster does not hold"),
    # caught in evaluate(): its English becomes the model's "error" cell of the comparison, not an error shown
    ("models/evaluate.py", "{name} gave"),
    # a program's call with what is no table at all (a list, a path): Python's type names, no user's data
    ("models/_base.py", "cannot use a {type(data).__name__} as {name}"),
}

_USER_ERRORS = {"XuanbaError", "InputError", "SchemaError", "DataError", "ModelError", "NotFittedError", "WorkspaceError"}


def _plain_raises(path):
    """(line, start of text) of each call of a user-facing error class given plain text (a string,
    an f-string or a sum of them) as its message in the source file ``path``."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = node.args[0]
        if name in _USER_ERRORS and isinstance(first, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            parts = first.values if isinstance(first, ast.JoinedStr) else [first]
            text = "".join(p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else "{" +
                           ast.unparse(getattr(p, "value", p)) + "}" for p in parts)
            found.append((node.lineno, text))
    return found


def test_the_translated_modules_raise_no_users_error_in_english_only():
    """An error a user meets in a module whose errors were translated takes its words from the
    translation table (a Phrase): a raise of plain English text there again fails here, but for
    the ones left English on purpose (LEFT_ENGLISH, each with its reason)."""
    from pathlib import Path

    import xuanba

    root = Path(xuanba.__file__).parent
    plain = []
    for module in TRANSLATED_MODULES:
        for line, text in _plain_raises(root / module):
            if not any(module == m and text.startswith(start) for m, start in LEFT_ENGLISH):
                plain.append(f"{module}:{line}: {text[:60]}")
    assert not plain, plain
    for module, start in LEFT_ENGLISH:  # each exception still names a raise that is there
        assert any(text.startswith(start) for _, text in _plain_raises(root / module)), (module, start)
