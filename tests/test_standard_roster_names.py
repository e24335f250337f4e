"""Names the engine would confuse with the roster's own columns are refused when a standard is
read (attack s13, findings F16 and F17): a field named ``rank`` or ``score`` was read as the
engine's own rank after ranking (wrong gate labels and raw values stored, silently), and a
criterion ``Rank`` or two criteria ``rev`` and ``Rev`` stopped the engine, whose column names
ignore case. The renamed field scores the same on the engine and on the pandas oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.standard import load_standard
from xuanba.standard.engine import score_in_engine
from xuanba.standard.schema import StandardError
from xuanba.standard.score import score_customers

HEAD = '[standard]\nname = "n"\nversion = "1"\n'
TIERS = '[[tiers]]\nname = "A"\nquota = 3\n'


def _text(field: str, gate: str | None = None, names: tuple[str, str] = ("a", "b")) -> str:
    out = HEAD + (
        f'[[criteria]]\nname = "{names[0]}"\nfield = "a"\nweight = 0.5\n'
        f'[[criteria]]\nname = "{names[1]}"\nfield = "{field}"\nweight = 0.5\ndirection = "lower"\n'
    )
    if gate:
        out += f'[[gates]]\nname = "g"\nexpr = "{gate}"\n'
    return out + TIERS


@pytest.mark.parametrize("name", ["rank", "score", "Score", "TIER", "gates_failed"])
def test_a_field_named_like_a_roster_column_is_refused_with_a_fix(name):
    with pytest.raises(StandardError) as err:
        load_standard(_text(name, gate=f"{name} <= 3"), extra_fields=("a", name))
    said = str(err.value)
    assert f"the field {name!r} has the name of a roster column" in said
    assert f"my_{name}" in said  # the fix names a way out


@pytest.mark.parametrize("names", [("Rank", "y"), ("Tier", "y"), ("Score", "y"), ("rev", "Rev")])
def test_criterion_names_that_differ_only_by_case_are_refused(names):
    with pytest.raises(StandardError) as err:
        load_standard(_text("b", names=names), extra_fields=("a", "b"))
    said = str(err.value)
    assert "taken by a roster column" in said or "used twice (criterion names ignore case)" in said


def test_the_renamed_field_scores_the_same_on_the_engine_and_the_oracle():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(40)],
            "my_rank": rng.integers(0, 5, 40).astype(float),
            "a": rng.integers(0, 5, 40).astype(float),
        }
    )
    std = load_standard(_text("my_rank", gate="my_rank <= 3"), extra_fields=("a", "my_rank"))
    engine, oracle = score_in_engine(frame, std), score_customers(frame, std)
    cols = ["customer_id", "rank", "tier", "selected", "gates_failed"]
    pd.testing.assert_frame_equal(
        engine.roster[cols].reset_index(drop=True),
        oracle.roster[cols].reset_index(drop=True),
        check_dtype=False,
    )
    np.testing.assert_allclose(engine.roster["score"], oracle.roster["score"], atol=1e-9)
    # the gate read the user's column: a customer whose my_rank is 4 is never selected
    failed = set(frame.loc[frame["my_rank"] > 3, "customer_id"])
    assert failed and not failed & set(engine.roster.loc[engine.roster["selected"], "customer_id"])


@pytest.mark.parametrize("fill", ["nan", "inf", "-inf"])
def test_a_missing_value_filled_with_nan_or_inf_is_refused(fill):
    """Attack s13 F19: TOML's nan and inf passed the check and stopped the engine."""
    text = HEAD + f'[[criteria]]\nname = "x"\nfield = "a"\nweight = 1\nmissing = {fill}\n' + TIERS
    with pytest.raises(StandardError, match="fills a missing value with"):
        load_standard(text, extra_fields=("a",))


def test_a_value_too_large_for_the_engine_is_a_clear_error_and_the_next_call_still_works():
    """Attack s13 F4: a value beyond ~1e154 made DuckDB's spread overflow into a traceback."""
    from xuanba.errors import DataError

    std = load_standard(
        HEAD + '[[criteria]]\nname = "x"\nfield = "a"\nweight = 1\n' + TIERS, extra_fields=("a",)
    )
    huge = pd.DataFrame({"customer_id": list("abcd"), "a": [1.0, 2e200, -3.0, 4.0]})
    with pytest.raises(DataError) as err:
        score_in_engine(huge, std)
    assert err.value.fix is not None and "1e6" in str(err.value.fix)
    fine = pd.DataFrame({"customer_id": list("abcd"), "a": [1.0, 2.0, -3.0, 4.0]})
    got, want = score_in_engine(fine, std).roster, score_customers(fine, std).roster
    assert got["customer_id"].tolist() == want["customer_id"].tolist()


@pytest.mark.parametrize("values", [["1,000", "7", "1", "2"], ["5", "7", "x", "2"]])
def test_text_read_as_a_number_is_missing_in_a_rule_and_refused_as_a_criterion(values):
    """Attack s13 F6: the engine cast text with CAST and stopped with DuckDB's ConversionException.
    In a rule, text that is not a number is missing (as in the pandas reference); a criterion that
    is a text column is refused in words."""
    from xuanba.errors import DataError

    frame = pd.DataFrame({"customer_id": list("abcd"), "a": values, "t": [1.0, 2.0, 3.0, 0.0]})
    in_rule = load_standard(
        HEAD + '[[criteria]]\nname = "x"\nfield = "a * 1 + t"\nweight = 1\n' + TIERS,
        extra_fields=("a", "t"),
    )
    got, want = score_in_engine(frame, in_rule).roster, score_customers(frame, in_rule).roster
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    np.testing.assert_allclose(got["score"], want["score"], atol=1e-9)
    plain = load_standard(
        HEAD + '[[criteria]]\nname = "x"\nfield = "a"\nweight = 1\n' + TIERS, extra_fields=("a",)
    )
    with pytest.raises(DataError, match="is not a number"):
        score_in_engine(frame, plain)


def test_the_duplicate_ids_the_engine_names_are_the_first_five_by_id():
    """Attack s13 F18: the refusal says 'first' and named five ids in no order."""
    from xuanba.errors import DataError

    ids = [f"d{i}" for i in range(8)] * 2 + ["x"]
    frame = pd.DataFrame({"customer_id": ids[::-1], "a": np.arange(len(ids), dtype=float)})
    std = load_standard(
        HEAD + '[[criteria]]\nname = "x"\nfield = "a"\nweight = 1\n' + TIERS, extra_fields=("a",)
    )
    with pytest.raises(DataError) as err:
        score_in_engine(frame, std)
    assert err.value.examples == ["d0", "d1", "d2", "d3", "d4"]
    assert err.value.count == 8
