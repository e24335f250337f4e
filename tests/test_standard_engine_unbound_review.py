"""A stranger's attack on :class:`xuanba.standard.engine_cache.UnboundNumber` (review of the
left21 branch): legitimate calls that share a roster build (one standard over bases of other
sizes, a base of one customer, a base where every value is one, on this process's DuckDB and on
a fresh one) never raise it, and each equals the pandas oracle."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_standard_engine_roster import FIELDS, NO_SHRINK, ROW, _frame, standards
from tests.test_standard_engine_shared_property import _equal, _scored
from xuanba.errors import DataError
from xuanba.standard import load_standard
from xuanba.standard.score import score_customers


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=NO_SHRINK)
@given(sizes=st.lists(st.lists(ROW, min_size=1, max_size=12), min_size=2, max_size=3),
       one=ROW, text=standards(), fresh=st.booleans())
def test_bases_of_other_sizes_and_of_one_customer_in_a_row_raise_nothing(sizes, one, text, fresh):
    std = load_standard(text, extra_fields=FIELDS)
    frames = [_frame([one]), *(_frame(rows) for rows in sizes), _frame([one, one]), _frame([one])]
    try:
        for f in frames:
            score_customers(f, std)
    except DataError:
        return  # refusals are test_standard_engine_roster's
    for f in frames:
        _equal(f, std, _scored(f, std, fresh))  # an UnboundNumber would surface here
