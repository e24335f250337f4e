"""A standard built in Python (``Standard(...)``, ``Standard.model_validate``), which no TOML
reading saw, has its names checked by a round as :func:`load_standard` checks a file's: a rule,
tie-break or capacity on an unknown field is refused before any work, with load_standard's words
(near misses, the known fields, the extra fields given) in both languages; a valid one runs as
the same standard read from TOML does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.rounds import list_rounds, run_round
from xuanba.rounds.engine import run_round_on_engine
from xuanba.standard import StandardError, load_standard
from xuanba.standard.schema import Standard

CUTOFF = "2025-12-31"

#: Each as a dict (what ``Standard.model_validate`` takes) and as the TOML text that says it.
BASE = {"name": "hand", "version": "1",
        "criteria": [{"name": "revenue", "field": "revenue_365d", "weight": 0.5},
                     {"name": "nps", "field": "nps_score", "weight": 0.5}],
        "gates": [{"name": "kept", "expr": "plan != 'internal'"}],
        "tiers": [{"name": "A", "quota": 10}]}
TOML = """[standard]
name = "hand"
version = "1"
[[criteria]]
name = "revenue"
field = "{revenue}"
weight = 0.5
[[criteria]]
name = "nps"
field = "nps_score"
weight = 0.5
[[gates]]
name = "kept"
expr = "{gate}"
[[tiers]]
name = "A"
quota = 10
{more}"""


def _dict(revenue: str = "revenue_365d", gate: str = "plan != 'internal'", tie: str | None = None) -> dict:
    d = {**BASE, "criteria": [{**BASE["criteria"][0], "field": revenue}, BASE["criteria"][1]],
         "gates": [{"name": "kept", "expr": gate}]}
    return {**d, "tie_break": {"order": [tie, "customer_id"]}} if tie else d


def _toml(revenue: str = "revenue_365d", gate: str = "plan != 'internal'", tie: str | None = None) -> str:
    more = f'[tie_break]\norder = ["{tie}", "customer_id"]\n' if tie else ""
    return TOML.format(revenue=revenue, gate=gate, more=more)  # the rules hold no double quote


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hand")
    tx = simulated_transactions(80, seed=21)
    ids = sorted(tx["customer_id"].unique())
    rng = np.random.default_rng(2)
    extra = pd.DataFrame({"customer_id": ids, "nps_score": rng.integers(0, 11, len(ids)).astype(float),
                          "plan": np.array(["internal", "gold", "silver"], dtype=object)[rng.integers(0, 3, len(ids))]})
    return tx, _workspace(tmp, tx), extra


@pytest.mark.parametrize(("kw", "said"), [
    ({"revenue": "revenu_365d"}, ("criterion 'revenue': unknown field 'revenu_365d'", "Did you mean revenue_365d")),
    ({"gate": "plan != 'internal' and nps_scor > 2"}, ("gate 'kept': unknown field 'nps_scor'",
                                                       "Did you mean nps_score")),
    ({"tie": "clv_4y desc"}, ("tie_break entry 1: unknown field 'clv_4y'", "Did you mean clv_3y")),
    ({"gate": "plans != 'internal'"}, ("gate 'kept': unknown field 'plans'", "Did you mean plan")),
])
def test_a_hand_built_standard_on_an_unknown_field_is_refused_before_any_work_with_load_standards_words(
        data, monkeypatch, kw, said):
    tx, path, extra = data
    with pytest.raises(StandardError) as read:
        load_standard(_toml(**kw), extra_fields=["nps_score", "plan"])
    want = [p.words(lang) for p in read.value.problems for lang in ("en", "zh")]
    assert said[0] in want[0][0] and said[1] in want[0][1] and "nps_score, plan" in want[0][1], want[0]
    assert "未知字段" in want[1][0] and "另给的字段" in want[1][1], want[1]

    def no_work(*_a, **_k):
        raise AssertionError("the round started work before refusing the standard")

    monkeypatch.setattr("xuanba.rounds.run.gather_fields", no_work)
    monkeypatch.setattr("xuanba.rounds.engine.engine_fields", no_work)
    for std in (Standard(**_dict(**kw)), Standard.model_validate(_dict(**kw))):
        for run in (lambda s=std: run_round(path, s, CUTOFF, extra_fields=extra, check_model=False),
                    lambda s=std: run_round(tx, s, CUTOFF, extra_fields=extra, check_model=False),
                    lambda s=std: run_round_on_engine(tx, s, CUTOFF, extra_fields=extra, check_model=False)):
            with pytest.raises(StandardError) as got:
                run()
            # the same problems, in the same words, both languages; no line (there is no file)
            assert [p.words(lang) for p in got.value.problems for lang in ("en", "zh")] == want
            assert got.value.row is None and got.value.file is None
            assert got.value.render("en").startswith(said[0]), got.value.render("en")
    assert list_rounds(path).empty


def test_a_hand_built_standard_lists_the_extra_fields_given_or_that_none_was(data):
    tx, path, extra = data
    std = Standard.model_validate(_dict())
    with pytest.raises(StandardError) as got:  # reads nps_score and plan, given neither
        run_round(path, std, CUTOFF, check_model=False, store=False)
    with pytest.raises(StandardError) as read:
        load_standard(_toml())
    assert [p.words("zh") for p in got.value.problems] == [p.words("zh") for p in read.value.problems]
    assert len(got.value.problems) == 2 and "No extra fields were given" in got.value.problems[0].fix


def test_a_valid_hand_built_standard_runs_as_the_same_standard_read_from_toml(data):
    tx, path, extra = data
    text = _toml(tie="nps_score desc")
    hand = run_round(path, Standard.model_validate(_dict(tie="nps_score desc")), CUTOFF, extra_fields=extra,
                     store=False, check_model=False)
    read = run_round(path, text, CUTOFF, extra_fields=extra, store=False, check_model=False)
    pd.testing.assert_frame_equal(hand.roster, read.roster)
    internal = set(extra.loc[extra["plan"] == "internal", "customer_id"].astype(str))
    assert internal and not set(hand.selected["customer_id"]) & internal  # the gate over the text field held
    assert hand.meta["n_selected"] == 10


def test_a_round_of_a_hand_built_standard_stores_a_text_that_reads_back_as_it(data, tmp_path):
    """The round stores, hashes and publishes the TOML the standard stands for; the stored round
    reads back (before, it stored an empty text and could not be loaded: "no [[criteria]]")."""
    import hashlib

    from xuanba.rounds import load_round
    from xuanba.standard.schema import standard_toml

    tx, _, extra = data
    path = _workspace(tmp_path, tx)
    std = Standard.model_validate(_dict(tie="nps_score desc"))
    rnd = run_round(path, std, CUTOFF, extra_fields=extra, check_model=False)
    text = standard_toml(std)
    assert rnd.standard.text == text and rnd.meta["standard_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    back = load_round(path, "latest")
    assert back.standard.model_dump() == std.model_dump()
    pd.testing.assert_frame_equal(back.roster, rnd.roster, check_dtype=False)


def test_a_hand_built_standard_breaking_a_files_rule_is_refused_with_its_words(data):
    tx, path, extra = data
    bad = _dict()
    bad["criteria"] = [{**c, "weight": 2.0} for c in bad["criteria"]]  # sums to 4: neither 1 nor 100
    with pytest.raises(StandardError) as got:
        run_round(path, Standard.model_validate(bad), CUTOFF, extra_fields=extra, store=False, check_model=False)
    assert "the weights sum to 4, neither 1 nor 100" in str(got.value) and got.value.row is None


@pytest.mark.parametrize("odd", ["a\"b\\c", "line\nbreak\ttab", "=cmd; DROP TABLE rounds; --", "全角　名", "\x7f"])
def test_standard_toml_reads_back_as_the_standard_for_hostile_text(odd):
    from xuanba.standard.schema import standard_toml

    std = Standard.model_validate({**_dict(gate=f"plan != {odd!r}"), "description": odd,
                                   "tiers": [{"name": odd, "label": odd, "quota": "5%"}]})
    assert load_standard(standard_toml(std), extra_fields=["nps_score", "plan"]).model_dump() == std.model_dump()
