"""A standard's lines are numbered as the TOML reader numbers them, by LF alone: a label may hold
U+2028 (LINE SEPARATOR) or U+0085 (NEXT LINE), pasted from a web page or Word, which
``str.splitlines`` also ends a line at. c89dfa7 so named, under such a label, every later problem
one line too far, the Chinese refusal of a key written twice the key of the line above it, and
``tune`` wrote the label's separator as a line end inside its quotes (a standard that no longer loads)."""

from __future__ import annotations

import numpy as np
import pytest

from xuanba.rounds.tune import tuned_text
from xuanba.standard import load_standard
from xuanba.standard.schema import StandardError

SEPARATORS = ["\u2028", "\u2029", "\x85"]
STANDARD = """[standard]
name = "s"
version = "1"
[[criteria]]
name = "r"
label = "Revenue{sep}last year"
field = "revenue_365d"
weight = {w}
[[criteria]]
name = "f"
field = "frequency"
weight = 0.5
[[tiers]]
name = "A"
min_score = 1
"""


@pytest.mark.parametrize("sep", SEPARATORS)
def test_a_problem_under_a_label_with_a_line_separator_names_its_own_line(sep):
    text = STANDARD.format(sep=sep, w=-0.5)
    line = text.split("\n").index("weight = -0.5") + 1  # the file's line, as an editor counts it
    with pytest.raises(StandardError) as info:
        load_standard(text)
    assert f"line {line}: criterion 'r' has weight -0.5" in info.value.render("en"), info.value.render("en")


@pytest.mark.parametrize("sep", SEPARATORS)
def test_the_chinese_refusal_of_a_key_twice_names_that_key_under_such_a_label(sep):
    text = f'[standard]\nname = "s"\nlabel = "a{sep}b"\nalpha = 1\ngamma = 3\nalpha = 2\n'
    with pytest.raises(StandardError) as info:
        load_standard(text)
    said = info.value.render("zh")
    assert "第 6 行" in said and "键 “alpha” 写了两次" in said and "gamma" not in said, said


@pytest.mark.parametrize("sep", SEPARATORS)
def test_tune_keeps_a_label_with_a_line_separator_inside_its_quotes(sep):
    std = load_standard(STANDARD.format(sep=sep, w=0.5))
    again = load_standard(tuned_text(std, np.array([0.3, 0.7])))
    assert [c.weight for c in again.criteria] == [0.3, 0.7]
    assert again.criteria[0].label == f"Revenue{sep}last year"


@pytest.mark.parametrize("text", ['[standard]\nname = "s"\nversion = "1"\nname = "t"',
                                  '[standard]\nname = "s"\nlabel.x = "a"\nlabel = "b"'])
def test_a_key_twice_on_a_last_line_without_its_line_end_is_said_in_chinese(text):
    """The TOML reader places such a key 'at end of document', with no line: c89dfa7's Chinese kept
    its English ('Cannot overwrite a value') inside the sentence; it says what the same file with
    its last line end says."""
    said = {}
    for end in ("", "\n"):
        with pytest.raises(StandardError) as info:
            load_standard(text + end)
        said[end] = info.value.render("zh")
    assert "Cannot" not in said[""], said[""]
    kind = said["\n"].split("\n")[0].split("）：", 1)[1]  # the words after the line and column
    assert kind in said[""], (said[""], kind)


def test_a_long_key_twice_is_shown_cut_in_chinese():
    """A 5,000-character key written twice: c89dfa7's Chinese refusal showed all of it (the English
    says no key); shown to 60 characters and an ellipsis."""
    key = "k" * 5000
    with pytest.raises(StandardError) as info:
        load_standard(f"[standard]\n{key} = 1\n{key} = 2\n")
    said = info.value.render("zh")
    assert "k" * 60 + "…" in said and "k" * 61 not in said and len(said) < 400, said
