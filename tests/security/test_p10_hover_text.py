"""Point 10: report hover labels and ticks show a customer id such as ``<a href=...>`` as written;
Plotly's own tag subset never makes it a link."""

from __future__ import annotations

import json

from tests.test_report import figure_json, make_diff
from xuanba.outputs._synthetic import synthetic_round
from xuanba.outputs.report import build_report


def test_ids_and_labels_in_charts_are_text_not_markup():
    """Plotly draws a subset of HTML in hover labels and ticks: a customer id such as
    <a href=...> must show as written, never become a link (issue 12 point 10)."""
    r = synthetic_round(300, seed=21)
    hostile = '<a href="http://evil.example">click</a>'
    r.roster.loc[0, "customer_id"] = hostile
    r.fields.loc[r.fields["customer_id"] == r.roster["customer_id"].iloc[1], "customer_id"] = "x"
    before = synthetic_round(300, seed=22)
    before.roster.loc[before.roster.index[-1], "customer_id"] = hostile  # rank last then first: a big mover
    html = build_report(r, diff=make_diff(before, r), previous_id="r0")
    for fid in ("fig-quadrants", "fig-movers"):
        data, _ = figure_json(html, fid)
        dumped = json.dumps(data)
        assert '<a href=\\\\"http' not in dumped and "<a href" not in dumped, fid
    data, _ = figure_json(html, "fig-movers")
    assert any("&lt;a href" in str(v) for trace in data for v in (trace.get("y") or []))
