"""A manager who tunes a standard reads every problem ``xuanba standard check`` finds in the
language of the command line: under ``--lang zh`` no English sentence is left (names, keys and
values of the file stay as written), each problem keeps its line, and the English is what it was."""

from __future__ import annotations

import json
import re
import string

import pytest
from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.i18n import TEXT
from xuanba.standard import schema

BANDS_FIX = ("Write bands as [threshold, points] pairs with rising thresholds, e.g. bands = [[0, 0], [1000, 50], "
             "[10000, 100]]; points 0-100, rising in the better direction.")

#: Standards that hold every kind of problem the standard's own checks report (pydantic's refusals
#: stop those checks, so they have a file of their own): each problem is (a line of the file that
#: marks where it is, the English message and fix as the checks said them before they had phrases).
SEMANTIC = '''[standard]
name = "bad"
version = "1"

[[criteria]]
name = "rev"
field = "revenue_365d"
weight = 2

[[criteria]]
name = "Rev"
field = "margin_365d"
weight = -1

[[criteria]]
name = "txt"
field = "segment"
weight = 1
missing = inf

[[criteria]]
name = "score"
field = "orders"
weight = 1
bands = [[0, 0], [10, 50]]

[[criteria]]
name = "b1"
field = "orders"
normalise = "bands"
bands = [[10, 0], [5, 50]]
weight = 1

[[criteria]]
name = "b2"
field = "orders"
normalise = "bands"
bands = [[0, 0], [5, 150]]
weight = 1

[[criteria]]
name = "b3"
field = "orders"
normalise = "bands"
bands = [[0, 50], [5, 10]]
weight = 1

[[criteria]]
name = "b4"
field = "orders"
normalise = "bands"
direction = "lower"
bands = [[0, 10], [5, 50]]
weight = 1

[[criteria]]
name = "b5"
field = "orders"
normalise = "bands"
bands = []
weight = 1

[[criteria]]
name = "orders"
field = "revenue_365d"
weight = 1

[[gates]]
name = "g"
expr = "p_alive > 0.1"

[[gates]]
name = "g"
expr = "p_alive > 0.2"

[[tiers]]
name = "A"
min_score = 50

[[tiers]]
name = "B"
min_score = 60

[[tiers]]
name = "C"

[[tiers]]
name = "C"
quota = 5

[capacity]
budget = 100

[tie_break]
order = ["clv_3y down", "Rank desc"]
'''
SEMANTIC_SAID = [
    ('name = "Rev"', "criterion name 'Rev' is used twice (criterion names ignore case)", "Give each one its own name."),
    ('weight = -1', "criterion 'Rev' has weight -1.0",
     "Weights are positive; remove a criterion rather than giving it weight 0."),
    ('field = "segment"', "criterion 'txt' uses the text field(s) segment",
     "Use text fields in gates (e.g. `segment != 'internal'`), numbers in criteria."),
    ("missing = inf", "criterion 'txt' fills a missing value with inf", 'Fill with a finite number, "zero" or "median".'),
    ('name = "score"', "criterion name 'score' is taken by a roster column",
     "Choose another name; taken: " + ", ".join(sorted(schema.RESERVED)) + "."),
    ("bands = [[0, 0], [10, 50]]", "criterion 'score' has bands but normalise = 'percentile'",
     'Set normalise = "bands" or remove bands.'),
    ("bands = [[10, 0], [5, 50]]", "criterion 'b1': band thresholds must rise", BANDS_FIX),
    ("bands = [[0, 0], [5, 150]]", "criterion 'b2': band points must be between 0 and 100", BANDS_FIX),
    ("bands = [[0, 50], [5, 10]]", "criterion 'b3': higher is better, so points must not fall as thresholds rise",
     BANDS_FIX),
    ("bands = [[0, 10], [5, 50]]", "criterion 'b4': lower is better, so points must not rise with thresholds",
     BANDS_FIX),
    ("bands = []", "criterion 'b5' uses bands but gives none", BANDS_FIX),
    ('name = "orders"', "criterion name 'orders' is also a field name with another meaning",
     "Name it after its field ('revenue_365d') or choose another name."),
    ('name = "g"\nexpr = "p_alive > 0.2"', "gate name 'g' is used twice", "Give each one its own name."),
    ('name = "C"\nquota = 5', "tier name 'C' is used twice", "Give each one its own name."),
    ("min_score = 60", "tier 'B' (min_score 60) overlaps tier 'A' above it (min_score 50)",
     "List tiers best first with falling min_score, e.g. A 80, B 60, C 40."),
    ("[[tiers]]\nname = \"C\"\n\n", "tier 'C' has neither min_score nor quota",
     'Give a minimum score (e.g. min_score = 70), a quota (quota = 50 or "5%"), or both.'),
    ("[capacity]", "capacity needs both cost_field and budget, or neither",
     "Give the field with each account's cost (e.g. cost_to_serve_365d) and the total budget."),
    ("order = [", "tie_break entry 1 'clv_3y down' is not `field` or `field asc|desc`",
     'Write e.g. order = ["clv_3y desc", "customer_id"].'),
    (None, "the field 'Rank' has the name of a roster column",
     "Rename that column of your data (e.g. 'my_Rank') and use the new name."),
]

WEIGHTS = '''[standard]
name = "w"
version = "1"

[[criteria]]
name = "rev"
field = "revenue_365d"
weight = 3

[[criteria]]
name = "mar"
field = "margin_365d"
weight = 1
'''
WEIGHTS_SAID = [("weight = 3", "the weights sum to 4, neither 1 nor 100",
                 "Make them sum to 1 (or 100) so each reads as a share, e.g. rev = 0.75, mar = 0.25.")]

#: What pydantic refuses: its English stays; each is said in Chinese from its kind.
PYDANTIC = '''[standard]
name = "p"
version = "1"

[predictions]
model = "magic"
margin = 2

[[criteria]]
name = "1r"
field = "revenue_365d"
weight = "heavy"
normalise = "rank"
bands = [[0, 0, 1]]

[[gates]]
name = "g"
expr = 3

[[tiers]]
name = "A"
min_score = 150
quota = 0

[[tiers]]
name = "B"
quota = "x%"

[capacity]
max_accounts = 0
budget = -1

[tie_break]
order = "clv_3y"

[quadrants.names]
stars = "s"
'''
PYDANTIC_SAID = [
    ('model = "magic"', "predictions.model: 'magic' is not allowed", "Use 'auto', 'bgnbd', 'mbgnbd' or 'pareto-nbd'",
     "不能写 'magic'", "请从 'auto'、'bgnbd'、'mbgnbd'、'pareto-nbd' 中选一个"),
    ("margin = 2", "predictions.margin: Input should be less than or equal to 1", None, "不能大于 1", None),
    ('name = "1r"', "criteria.0.name: a criterion name is letters, digits and _ (it becomes a column name)", None,
     "指标名称只能由字母、数字和 _ 组成", None),
    ('weight = "heavy"', "criteria.0.weight: Input should be a valid number, unable to parse string as a number", None,
     "这里应填数字", None),
    ('normalise = "rank"', "criteria.0.normalise: 'rank' is not allowed", "Use 'percentile', 'minmax', 'zscore' or 'bands'",
     "不能写 'rank'", "请从 'percentile'、'minmax'、'zscore'、'bands' 中选一个"),
    ("bands = [[0, 0, 1]]", "criteria.0.bands.0: Tuple should have at most 2 items after validation, not 3", None,
     "最多只能有 2 项，这里有 3 项", None),
    ("expr = 3", "gates.0.expr: Input should be a valid string", None, "这里应填文本", None),
    ("min_score = 150", "tiers.0.min_score: Input should be less than or equal to 100", None, "不能大于 100", None),
    ("quota = 0", 'tiers.0.quota: a quota is a positive number of customers, e.g. 50, or a share, e.g. "5%"', None,
     "名额须为正的客户数", None),
    ('quota = "x%"', 'tiers.1.quota: a quota is a number of customers, e.g. 50, or a share, e.g. "5%"', None,
     "名额须为客户数", None),
    ("max_accounts = 0", "capacity.max_accounts: Input should be greater than or equal to 1", None, "不能小于 1", None),
    ("budget = -1", "capacity.budget: Input should be greater than 0", None, "必须大于 0", None),
    ('order = "clv_3y"', "tie_break.order: Input should be a valid list", None, "这里应填一个列表", None),
    ('[quadrants.names]', "quadrants.names: quadrant names need exactly the keys " + ", ".join(schema.QUADRANT_KEYS), None,
     "象限名称必须恰好有这几个键", None),
]


def line_of(text: str, marker: str | None) -> int | None:
    """The line of ``text`` where ``marker`` begins (the first, counted apart from the checks)."""
    return None if marker is None else text[:text.index(marker)].count("\n") + 1


def check(tmp_path, text: str, lang: str, *extra: str):
    path = tmp_path / "标准.toml"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["--lang", lang, "standard", "check", str(path), *extra])


def english_sentences(said: str) -> list[str]:
    """Runs of two or more plain English words (letters only, spaces between) in ``said``, the
    names, keys and values a problem quotes from the file taken out first."""
    bare = re.sub(r"“[^”]*”|'[^']*'|\"[^\"]*\"|`[^`]*`|\[[^\]]*\]", " ", said)
    return re.findall(r"\b[A-Za-z]+(?: [A-Za-z]+)+\b", bare)


def problems_of(result) -> list[tuple[int | None, str]]:
    """The problems of a refused ``standard check`` (its output), each (line, its text)."""
    out = result.output.rstrip().split("\n  另有", 1)
    first, rest = out[0], (out[1] if len(out) > 1 else "")
    if rest and (m := re.search(r"\n  (解决办法：[^\n]*)$", rest)):  # the first problem's fix comes last
        first, rest = first + "\n    " + m.group(1), rest[:m.start()]
    items = [re.split(r"标准\.toml[，：]", first, maxsplit=1)[1]] + re.split(r"\n  - ", rest)[1:]  # ： no line
    said = []
    for item in items:
        m = re.match(r"第 (\d+) 行：", item)
        said.append((int(m.group(1)) if m else None, item))
    return said


@pytest.mark.parametrize(("text", "expected", "extra"), [(SEMANTIC, SEMANTIC_SAID, ["--field", "Rank"]),
                                                          (WEIGHTS, WEIGHTS_SAID, [])], ids=["semantic", "weights"])
def test_every_problem_reads_chinese_on_its_line_and_english_as_before(tmp_path, text, expected, extra):
    zh = check(tmp_path, text, "zh", *extra)
    en = check(tmp_path, text, "en", *extra, "--json")
    assert zh.exit_code == en.exit_code == 2, zh.output

    problems = json.loads(en.stdout)["problems"]
    assert [(p["message"], p["fix"]) for p in problems] == [(m, f) for _, m, f in expected] or sorted(
        (p["message"], p["fix"]) for p in problems) == sorted((m, f) for _, m, f in expected)
    lines = {p["message"]: p["line"] for p in problems}
    for marker, message, _ in expected:
        assert lines[message] == line_of(text, marker), message
    said = problems_of(zh)
    assert len(said) == len(expected)
    assert sorted((line or 0) for line, _ in said) == sorted((line_of(text, m) or 0) for m, _, _ in expected)
    for _, item in said:
        assert not english_sentences(item), item
        assert "fix:" not in item and "解决办法：" in item, item


def test_what_pydantic_refuses_reads_chinese_on_its_line(tmp_path):
    zh = check(tmp_path, PYDANTIC, "zh")
    en = check(tmp_path, PYDANTIC, "en", "--json")
    assert zh.exit_code == en.exit_code == 2, zh.output

    problems = {p["message"]: p for p in json.loads(en.stdout)["problems"]}
    said = problems_of(zh)
    for marker, message, fix, zh_words, zh_fix in PYDANTIC_SAID:
        assert problems[message]["fix"] == fix and problems[message]["line"] == line_of(PYDANTIC, marker), message
        where = message.split(":", 1)[0]
        ours = [item for line, item in said if line == line_of(PYDANTIC, marker) and f"{where}：" in item]
        assert len(ours) == 1 and zh_words in ours[0], (message, ours)
        assert zh_fix is None or zh_fix in ours[0]
        assert not english_sentences(ours[0]), ours[0]


def test_a_standard_file_that_is_not_there_or_not_utf8_reads_chinese(tmp_path):
    gone = CliRunner().invoke(app, ["--lang", "zh", "standard", "check", str(tmp_path / "无.toml")])
    assert gone.exit_code == 2 and "无.toml：找不到标准文件" in gone.output and "xuanba standard init" in gone.output
    bad = tmp_path / "gbk.toml"
    bad.write_bytes('[standard]\nname = "标准"\n'.encode("gbk"))
    said = CliRunner().invoke(app, ["--lang", "zh", "standard", "check", str(bad)])
    assert said.exit_code == 2 and "标准文件不是 UTF-8 编码的文本" in said.output and not english_sentences(said.output)


def test_the_check_finds_english_it_forbids():
    assert english_sentences("第 3 行：criterion “r” has weight 0") == ["has weight"]
    assert english_sentences("第 3 行：the weights sum to 2, neither 1 nor 100") == ["the weights sum to"]
    assert english_sentences("层级 “B” 与上一级 “A” 重叠；normalise = 'percentile'") == []


# -- the table: a standard's Chinese words are Chinese ----------------------------------------------

#: The names a standard's Chinese words may keep as written: what a manager types in the file
#: (sections, keys, values, built-in fields) and the names of the tools.
def _code_words() -> set[str]:
    models = (schema.Standard, schema.Criterion, schema.Gate, schema.Tier, schema.Capacity, schema.TieBreak,
              schema.Quadrants, schema.Predictions)
    words = {k for m in models for k in m.model_fields} | schema._SECTIONS | set(schema.known_fields())
    return words | {"TOML", "UTF", "true", "false", "asc", "desc", "zero", "median", "xuanba", "standard",
                    "check", "init", "Python", "extra_fields", "customers"}


def test_the_standards_chinese_words_keep_no_english_of_their_own():
    """The reverse of the table's rule that English holds no Chinese: the zh words of each of the
    standard's problems (``err_std_*``) hold no English word but the file's own names (in
    backticks, quotes or brackets, a key, a value, a field) and the filled-in values."""
    code = _code_words()
    for key, (en, zh) in TEXT.items():
        if not key.startswith(("err_std_", "err_toml_", "err_syntax_")):
            continue
        bare = re.sub(r"\{\w+\}|`[^`]*`|\"[^\"]*\"|'[^']*'|\[[^\]]*\]|--[\w-]+|\w+=", " ", zh)
        left = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]+", bare) if w not in code}
        assert not left, (key, left)
        assert {f for _, f, _, _ in string.Formatter().parse(zh) if f} <= {
            f for _, f, _, _ in string.Formatter().parse(en) if f}, key


#: Rules a gate may not hold, each with the English the check said before it had phrases.
RULES = [
    ("", "the expression is empty", "Write a rule such as `margin_365d > 0`."),
    ("orders > " + "1" * 600, "the expression is 609 characters long (at most 500)", "Split it into simpler gates."),
    ("orders.real > 1", "attribute access (a.b) is not allowed in a rule",
     "Use field names, numbers, comparisons and the listed functions only."),
    ("orders[0] > 1", "subscripts (a[...]) is not allowed in a rule",
     "Use field names, numbers, comparisons and the listed functions only."),
    ("(lambda: 1)() > 0", "only the listed functions may be called",
     "Functions: abs, coalesce, isnull, log, log1p, max, min, notnull, round, sqrt."),
    ("{1} == orders", "sets is not allowed in a rule",
     "Use field names, numbers, comparisons and the listed functions only."),
    ("orders > 123456789012345678901234567890", "the number 123456789012… (30 digits) is too large (at character 10)",
     "Numbers in a rule fit 64 bits: use at most 18 digits."),
    ("orders > 1e999", "a number in the rule is too large (at character 10)", "Write a finite number, at most about 1e308."),
    ("orders == b'x'", "the value b'x' is not allowed (at character 11)", "Use numbers, quoted text, True or False."),
    ("_orders > 1", "the name '_orders' is not allowed", "Field names do not start with an underscore."),
    ("~orders > 1", "the operator ~ is not allowed", "Use `not`."),
    ("orders @ orders > 1", "the operator MatMult is not allowed", "Use + - * / // % ** only."),
    ("segment in region", "`in` needs a list of plain values",
     "Write e.g. `segment in ['retail', 'wholesale']`."),
    ("segment is None", "the comparison Is is not allowed", "Use < <= > >= == != or in."),
    ("eval(orders) > 1", "'eval' is not a function a rule may call",
     "Functions: abs, coalesce, isnull, log, log1p, max, min, notnull, round, sqrt."),
    ("abs(x=orders) > 1", "keyword arguments are not allowed", "Call abs(...) with plain arguments."),
    ("min(orders) > 1", "min() takes 2 argument(s), got 1", "Write min(x, y)."),
    ("[1, 2] == orders", "a list is only allowed after `in`",
     "Write e.g. `segment in ['retail', 'wholesale']`."),
    ("orders[1:2] > 1", "subscripts (a[...]) is not allowed in a rule",
     "Use field names, numbers, comparisons and the listed functions only."),
]


def test_every_refused_rule_reads_chinese_on_its_line_and_english_as_before(tmp_path):
    text = '[standard]\nname = "r"\nversion = "1"\n[[criteria]]\nname = "rev"\nfield = "revenue_365d"\nweight = 1\n'
    for i, (rule, _, _) in enumerate(RULES):
        text += f'\n[[gates]]\nname = "g{i}"\nexpr = {json.dumps(rule)}\n'
    en = check(tmp_path, text, "en", "--json")
    problems = json.loads(en.stdout)["problems"]
    assert [(p["message"], p["fix"]) for p in problems] == [(f"gate 'g{i}': {m}", f) for i, (_, m, f) in enumerate(RULES)]
    zh = check(tmp_path, text, "zh")
    said = problems_of(zh)
    assert len(said) == len(RULES)
    for i, (line, item) in enumerate(said):
        assert line == line_of(text, f'name = "g{i}"\nexpr') + 1 and f"门槛 “g{i}”：" in item, item
        assert not english_sentences(item), item


# -- what the TOML reader and Python's parser refuse ------------------------------------------------

HEAD = '[standard]\nname = "s"\nversion = "1"\n'
CRITERION = '\n[[criteria]]\nname = "rev"\nfield = "revenue_365d"\nweight = 1\n'

#: TOML a manager gets wrong: (the text, the line it is refused on and where on it (a piece of the
#: line the column is at, "$" its end; None: the end of the file), the English as e97c1c3 said it,
#: the Chinese kind of error and words of its own fix).
TOML_CASES = [
    (HEAD + 'description = "abc\n' + CRITERION, ('description', '$'),
     "Illegal character '\\n'", "引号里的文本没有结束", "补上与开头相同的英文引号"),
    (HEAD + CRITERION + 'label = "Revenue', None, "Unterminated string (at end of document)",
     "引号里的文本没有结束", "补上与开头相同的英文引号"),
    (HEAD + 'name = "t"\n' + CRITERION, ('name = "t"', 'name'), "Cannot overwrite a value",
     "同一个表里键 “name” 写了两次", "另起一行写 [[criteria]]"),
    (HEAD + CRITERION + 'name = "rev2"\nfield = "margin_365d"\nweight = 1\n', ('name = "rev2"', 'name'),
     "Cannot overwrite a value", "同一个表里键 “name” 写了两次", "另起一行写 [[criteria]]"),
    (HEAD + 'name.en = "t"\n' + CRITERION, ('name.en', 'name'), "Cannot overwrite a value",
     "“name” 在上文已写成文本，不能再在它下面写键 “name.en”", "只能有一种写法"),
    (HEAD + CRITERION + 'weight.share = 1\n', ('weight.share', 'weight'), "Cannot overwrite a value",
     "“weight” 在上文已写成数字，不能再在它下面写键 “weight.share”", "要么是一个值（`weight = …`）"),
    (HEAD + '[standard]\n' + CRITERION, ('[standard]\n\n', ']'), "Cannot declare ('standard',) twice",
     "表 [standard] 写了两次", "合并到同一个 [standard] 下"),
    (HEAD + '[criteria]\nname = "a"\n' + CRITERION, ('[[criteria]]', ']'), "Cannot overwrite a value",
     "表头 “[[criteria]]” 与上文同名的键或表冲突", "每一项上方都写 [[criteria]]"),
    (HEAD + CRITERION + 'direction: "lower"\n', ('direction', ':'), "Expected '=' after a key in a key/value pair",
     "键后面缺少等号“=”", "不能用冒号"),
    (HEAD + CRITERION + 'direction = lower\n', ('direction', 'lower'), "Invalid value",
     "等号后面的值无法识别", "文本要写在英文双引号里"),
    (HEAD + CRITERION + 'direction = “lower”\n', ('direction', '“'), "Invalid value",
     "等号后面的值无法识别", "不能用中文引号"),
    (HEAD + CRITERION.replace("weight = 1", "weight = 0,5"), ('weight', ','),
     "Expected newline or end of document after a statement", "这一行的值或表头后面还有多余的内容",
     "小数点用“.”而不是“,”"),
    (HEAD + CRITERION + '\n[[tiers]]\nname = "A"\nquota = 5%\n', ('quota', '%'),
     "Expected newline or end of document after a statement", "这一行的值或表头后面还有多余的内容", 'quota = "5%"'),
    (HEAD + '[[criteria]\nname = "rev"\nfield = "revenue_365d"\nweight = 1\n', ('[[criteria]', ']'),
     "Expected ']]' at the end of an array declaration", "表头缺少收尾的 “]]”", "[[criteria]] 的样子"),
    (HEAD + CRITERION + 'normalise = "bands"\nbands = [[0, 0], [10, 100]\n', None, "Unclosed array (at end of document)",
     "列表缺少收尾的“]”", "请补上“]”"),
    (HEAD + 'description = "C:\\数据\\标准"\n' + CRITERION, ('description', '据'), "Unescaped '\\' in a string",
     "文本里有单独的反斜杠“\\”", "写在单引号里"),
    (HEAD + '名称 = "标准"\n' + CRITERION, ('名称', '名'), "Invalid statement",
     "这一行既不是 `键 = 值`，也不是 [表头]", "其他文字的键名要写在引号里"),
]


def _at(text: str, where: tuple[str, str] | None) -> tuple[int | None, int | None]:
    """The line and column of ``where`` (a piece that starts the line, and the piece of that line
    the column is at, ``$`` its end), counted on the text itself. (The reader's column is where it
    stopped: past an escape \\数 it cannot read, at the one ] of a [[criteria] header.)"""
    if where is None:
        return None, None
    start = text.index(where[0])
    line = text[:start].count("\n") + 1
    written = text.splitlines()[line - 1]
    return line, len(written) + 1 if where[1] == "$" else written.index(where[1]) + 1


@pytest.mark.parametrize(("text", "where", "english", "kind", "fix"), TOML_CASES,
                         ids=[f"toml{i}" for i in range(len(TOML_CASES))])
def test_what_the_toml_reader_refuses_reads_chinese_with_its_line_and_column(tmp_path, text, where, english, kind,
                                                                            fix):
    """An unclosed quote, a key or table given twice, a colon for '=', text without quotes, a
    decimal comma ... said in Chinese and in English alike (the kind of error, its column, a fix of
    its own), on its line; not the TOML reader's own words with the one general fix."""
    line, col = _at(text, where)
    en = check(tmp_path, text, "en", "--json")
    zh = check(tmp_path, text, "zh")
    assert en.exit_code == zh.exit_code == 2, zh.output
    [problem] = json.loads(en.stdout)["problems"]
    where_en = f"not valid TOML at column {col}: " if col else "not valid TOML at the end of the file: "
    assert problem["line"] == line and problem["message"].startswith(where_en), problem
    assert english not in problem["message"] and "(at line" not in problem["message"], problem
    assert problem["fix"] != "Check quotes, brackets and `key = value` on that line.", problem
    [(said_line, said)] = problems_of(zh)
    assert said_line == line, said
    where_zh = f"不是有效的 TOML（第 {col} 列）：" if col else "不是有效的 TOML（文件末尾）："
    assert where_zh + kind in said, said
    assert fix in said and "解决办法：" in said and "请检查这一行的引号" not in said, said
    assert not english_sentences(said), said


#: Rules Python's parser refuses: (the rule, the English as e97c1c3 said it, the Chinese kind of error
#: and words of its own fix). Each message is Python's own in 3.10 to 3.13.
SYNTAX_CASES = [
    ("frequency >", "invalid syntax", "规则在 “>” 之后就结束了，没有写完", "后面都要跟字段或数字"),
    ("frequency > 0 and", "invalid syntax", "规则在 “and” 之后就结束了", "后面都要跟字段或数字"),
    ("p_alive >= 30%", "invalid syntax", "规则在 “30%” 之后就结束了", "百分比请写成小数"),
    ("segment = 'vip'", "invalid syntax (at character 9)", "“=”不是比较符号（第 9 个字符处）", "相等请写成 =="),
    ("orders => 2", "invalid syntax (at character 8)", "“=>” 不是比较符号", "大于等于请写成 >="),
    ("orders > 1 && p_alive > 0.3", "invalid syntax (at character 13)", "规则里不能用 “&&”", "“并且”请写 `and`"),
    ("orders > 1 frequency > 2", "invalid syntax (at character 12)", "写法有误（第 12 个字符处）",
     "两个条件之间要用 `and` 或 `or` 连接"),
    ("segment == 'vip", "unterminated string literal (detected at line 1) (at character 12)",
     "引号里的文本没有结束（缺少收尾的引号）（第 12 个字符处）", "其中的文本请用单引号"),
    ("max(orders, frequency > 1", "'(' was never closed (at character 4)", "“(” 没有对应的右括号（第 4 个字符处）",
     "请补上 “)”"),
    ("orders > 1)", "unmatched ')' (at character 11)", "多了一个 “)”", "在前面补上 “(”"),
    ("segment in ['a', 'b')", "closing parenthesis ')' does not match opening parenthesis '[' (at character 21)",
     "右括号 “)” 与左括号 “[” 不配对", "请用 “]” 与 “[” 配对"),
    ("orders （ 1", "invalid character '（' (U+FF08) (at character 8)", "规则里不能有字符 “（”（U+FF08）", "英文半角的 “(”"),
    ("orders ≥ 2", "invalid character '≥' (U+2265) (at character 8)", "规则里不能有字符 “≥”", "英文半角的 “>=”"),
    ("revenue_365d > ￥100", "invalid character '￥' (U+FFE5) (at character 16)", "规则里不能有字符 “￥”",
     "请删去它，或改用英文半角符号"),
    ("orders\u200b > 1", "invalid non-printable character U+200B (at character 7)", "规则里有看不见的字符（U+200B）",
     "请删去它"),
    ("region_code == 01", "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal "
     "integers (at character 16)", "数字不能以 0 开头", "写在引号里，如 '01'"),
    ("tenure_days > 30d", "invalid decimal literal (at character 16)", "数字后面直接跟了字母或其他字符", "数字不要带单位"),
    ("1 if p_alive > 0.5", "expected 'else' after 'if' expression", "`x if 条件` 缺少 `else y` 部分", "`1 if p_alive > 0.5 else 0`"),
    ("max(orders frequency) > 1", "invalid syntax. Perhaps you forgot a comma? (at character 5)", "可能缺少逗号",
     "`max(a, b)`"),
    ("orders > 1 \\ and p_alive > 0", "unexpected character after line continuation character (at character 13)",
     "规则里不能有反斜杠“\\”", "规则写在一行里"),
]


def test_what_pythons_parser_refuses_in_a_rule_reads_chinese_on_its_line(tmp_path):
    """A rule cut short (``frequency >``), ``=`` for ``==``, ``&&``, an unclosed quote or bracket, a
    full-width sign, a unit after a number ...: said in Chinese with a fix of its own, on the line
    of its rule; the English the parser's words as they were, with the one fix."""
    text = HEAD + CRITERION.replace('"revenue_365d"', '"revenue_365d"\n')
    for i, (rule, _, _, _) in enumerate(SYNTAX_CASES):
        text += f'\n[[gates]]\nname = "g{i}"\nexpr = {json.dumps(rule, ensure_ascii=False)}\n'
    en = check(tmp_path, text, "en", "--json", "--field", "region_code")
    assert en.exit_code == 2
    problems = json.loads(en.stdout)["problems"]
    fix = "Use field names, numbers, comparisons and and/or/not, e.g. `margin_365d > 0 and p_alive >= 0.3`."
    assert [(p["message"], p["fix"]) for p in problems] == [
        (f"gate 'g{i}': cannot read the expression: {english}", fix) for i, (_, english, _, _) in enumerate(SYNTAX_CASES)]
    said = problems_of(check(tmp_path, text, "zh", "--field", "region_code"))
    assert len(said) == len(SYNTAX_CASES)
    for i, ((line, item), (_, _, kind, own_fix)) in enumerate(zip(said, SYNTAX_CASES, strict=True)):
        assert line == line_of(text, f'name = "g{i}"\nexpr') + 1, item
        assert f"门槛 “g{i}”：无法读懂这条规则：{kind}" in item, item
        assert own_fix in item and "规则里只能用字段名、数字、比较符号和 and/or/not，例如" not in item, item
        assert not english_sentences(item), item


def test_a_criterions_rule_the_parser_refuses_reads_chinese_too():
    """The same words for a criterion's field and in a rule given to a round in Python (no file)."""
    from xuanba.errors import in_words
    from xuanba.standard.expressions import ExpressionError, check_expression

    with pytest.raises(schema.StandardError) as got:
        schema.load_standard(HEAD + CRITERION.replace('"revenue_365d"', '"revenue_365d /"'))
    assert got.value.render("zh").startswith("第 7 行：指标 “rev”：无法读懂这条规则：规则在 “/” 之后就结束了"), got.value.render("zh")
    assert str(got.value).startswith("line 7: criterion 'rev': cannot read the expression: invalid syntax")
    with pytest.raises(ExpressionError) as bad:
        check_expression("orders >= 1，", {"orders"})
    assert in_words(bad.value.phrase, "zh") == "无法读懂这条规则：规则里不能有字符 “，”（U+FF0C）"
    assert in_words(bad.value.fix_phrase, "zh") == "请改成英文半角的 “,”。"
    assert str(bad.value) == "cannot read the expression: invalid character '，' (U+FF0C) (at character 12)"


def test_an_english_reader_gets_the_kind_column_and_fix_of_a_toml_mistake(tmp_path):
    """The words an English reader gets for three common mistakes, word for word: the TOML
    reader's own ("Unterminated string", "Expected '=' after a key") told no column and one fix."""
    cases = [
        ('name = "x\n', "not valid TOML at column 10: a text in quotes is not closed",
         "Close the text with the quote it opens with"),
        ("weight: 1\n", "not valid TOML at column 7: a key without '=' after it", "Write `key = value`, e.g. weight = 1"),
        ('name = "x"\nname = "y"\n', "not valid TOML at column 1: key 'name' is given twice in one table",
         "Keep one of them"),
    ]
    for body, message, fix in cases:
        [problem] = json.loads(check(tmp_path, "[standard]\n" + body, "en", "--json").stdout)["problems"]
        assert problem["message"] == message and problem["fix"].startswith(fix), problem


@pytest.mark.parametrize(("body", "line", "message", "fix"), [
    ('name = "x"\n  name = "y"  # again\n', 3, "not valid TOML at column 3: key 'name' is given twice in one table",
     "Keep one of them"),
    ('name = "x"\nname.en = "y"\n', 3,
     "not valid TOML at column 1: 'name' is given above as a text, so it cannot hold the key 'name.en'",
     "Write `name` one way: a value (`name = …`) or keys below it (`name.en = …`), not both; or rename one of them."),
    ('a.b = 1\n a . b . "c.d" = 2\n', 3,
     "not valid TOML at column 2: 'a.b' is given above as a number, so it cannot hold the key 'a . b . \"c.d\"'",
     "Write `a.b` one way"),
    ('on = 2026-06-30\non.x = true\n', 3,
     "not valid TOML at column 1: 'on' is given above as a date or time, so it cannot hold the key 'on.x'",
     "Write `on` one way"),
    ('flag = true\nflag.x = 1\n', 3,
     "not valid TOML at column 1: 'flag' is given above as true or false, so it cannot hold the key 'flag.x'",
     "Write `flag` one way"),
    ('x = {a = 1, a.b = 2}\n', 2,
     "not valid TOML at column 20: in the braces, a key is given as a value and with keys below it",
     "Give each key in the braces one way"),
    # the reader says it past the value, on its last line: a line of the text there looked like a key
    ('description = "x"\ndescription = """\nweight = 2"""\n', 3,
     "not valid TOML at column 1: key 'description' is given twice in one table", "Keep one of them"),
    ('description = "x"\n description = [\n  "a",\n]\n', 3,
     "not valid TOML at column 2: key 'description' is given twice in one table", "Keep one of them"),
    ('name = "x"\nname.en = [\n  "y",\n]\n', 3,
     "not valid TOML at column 1: 'name' is given above as a text, so it cannot hold the key 'name.en'",
     "Write `name` one way"),
    ('x = [\n  {a = 1, a.b = 2},\n]\n', 3,  # in braces on a line of an array: that line, where the reader stopped
     "not valid TOML at column 18: in the braces, a key is given as a value and with keys below it",
     "Give each key in the braces one way"),
    pytest.param("[" + ".".join(["t"] * 3000) + "]\nx = 1\nx.y = 2\n", 4,  # a header thousands of tables deep:
                 "not valid TOML at column 1: 'x' is given above as a number, so it cannot hold the key 'x.y'",
                 "Write `x` one way", id="deep-header"),  # was a RecursionError's traceback
])
def test_a_key_twice_is_placed_at_its_key_and_a_key_below_a_value_is_not_said_given_twice(tmp_path, body, line, message, fix):
    """``a = 1`` then ``a.b = 2``: the TOML reader says "Cannot overwrite a value", as for a key given
    twice, and so did xuanba ("key 'a.b' is given twice"), though 'a.b' was given once: the fault is
    that 'a' holds a number, which cannot hold a key. The column of a key given twice was where the
    reader stopped, one past the end of the line (past a comment's end): now the key's own."""
    [problem] = json.loads(check(tmp_path, "[standard]\n" + body, "en", "--json").stdout)["problems"]
    assert problem["line"] == line and problem["message"] == message and problem["fix"].startswith(fix), problem
    [(said_line, said)] = problems_of(check(tmp_path, "[standard]\n" + body, "zh"))
    assert said_line == line and ("写了两次" in said) == ("given twice" in message), said
    assert f"（第 {message.split()[5][:-1]} 列）" in said and not english_sentences(said), said


def test_a_long_dotted_key_given_twice_is_read_a_few_times_not_once_per_part(tmp_path, monkeypatch):
    """What a key given twice is about was asked of the TOML reader once per part of the key, on
    all the text above it, and the reader takes time in the square of a key's parts: a key of 1,000
    parts given twice (a 4 kB standard, as the web editor takes) took 23 s of CPU, one of 3,000 parts
    over 10 minutes. The reader is asked a few times now, whatever the key's length (counted)."""
    import tomllib

    real, read = tomllib.loads, []

    def counted(text: str, **kw):  # noqa: ANN202
        read.append(len(text))
        return real(text, **kw)

    monkeypatch.setattr(tomllib, "loads", counted)
    key = ".".join(f"k{i}" for i in range(60))
    problem = json.loads(check(tmp_path, f"[standard]\n{key} = 1\n{key} = 2\n", "en", "--json").stdout)["problems"]
    assert [p["line"] for p in problem] == [3] and "is given twice in one table" in problem[0]["message"], problem
    assert len(read) <= 8, len(read)


def test_a_standard_given_as_text_with_a_bom_reads_as_its_file_does(tmp_path):
    """The web editor and the API take the standard as text: with a byte-order mark at its start (a
    file read by a program as plain UTF-8, pasted or posted) the TOML reader refused line 1,
    column 1, "neither `key = value` nor a [table]", whatever the text held, where ``xuanba standard
    check`` of the same file reads it (utf-8-sig). Now the text reads as the file: the same standard
    and hash, and a mistake on its own line and column (review31b)."""
    from xuanba.standard import load_standard

    text = HEAD + CRITERION
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8-sig")
    assert load_standard("\ufeff" + text).sha256 == load_standard(path).sha256 == load_standard(text).sha256
    bad = text + "direction: \"lower\"\n"
    with pytest.raises(schema.StandardError) as said:
        load_standard("\ufeff" + bad)
    [problem] = said.value.problems
    assert problem.line == bad.count("\n") and problem.words("en")[0] == (
        "not valid TOML at column 10: a key without '=' after it")
