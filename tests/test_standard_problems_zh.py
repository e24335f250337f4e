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
    items = [first.split("标准.toml，", 1)[1]] + re.split(r"\n  - ", rest)[1:]
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
        if not key.startswith("err_std_"):
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
