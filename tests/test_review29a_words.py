"""What words29 changed, attacked as a hostile or unlucky user would (review29a): each test here
failed on 3913564."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_round_engine import _workspace, simulated_transactions
from xuanba.errors import DataError
from xuanba.rounds.engine import run_round_on_engine
from xuanba.rounds.run import run_round

CUTOFF = "2025-12-31"
STANDARD = ('[standard]\nname = "s"\nversion = "1"\n[[criteria]]\nname = "voice"\nfield = "nps"\nweight = 1\n'
            '[[tiers]]\nname = "A"\nquota = 5\n')


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review29a")
    tx = simulated_transactions(40, seed=7)
    return tx, _workspace(tmp, tx)


@pytest.mark.parametrize("where", ["workspace", "engine"])
def test_fields_without_customer_id_are_refused_as_such_when_a_criterion_reads_text(data, where):
    """A Python frame keyed by ``id`` (not ``customer_id``) whose criterion column is text: the
    round said ``the extra fields table has no customer_id column`` on 7200db1; the check words29
    put before the facts looked the ids up first, and a KeyError's traceback came out instead."""
    tx, ws = data
    ids = list(tx["customer_id"].drop_duplicates())
    fields = pd.DataFrame({"id": ids, "nps": ["n/a"] * len(ids)})
    with pytest.raises(DataError) as err:
        if where == "workspace":
            run_round(ws, STANDARD, CUTOFF, extra_fields=fields, store=False)
        else:
            run_round_on_engine(tx, STANDARD, CUTOFF, workspace=ws, extra_fields=fields)
    assert "customer_id" in str(err.value) and "Columns found: ['id', 'nps']" in str(err.value), str(err.value)
