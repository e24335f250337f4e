"""One stored truth per round (issue 10): every output renders what the round stored.

On the bundled demo: the demo's own files and summary, then a second round run by the command
line and every output of it (``round --json``, the report, statements, the xlsx export, the
account sheet) — each figure that appears in more than one of them must be the same number.
Then the outputs must render with the model fits, facts queries and account analyses made to
fail, and a round stored by an older xuanba (no stored fields) must still render, saying what
it lacks.
"""

from __future__ import annotations

import html as html_module
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from tests._helpers import demo_copy
from xuanba import Workspace
from xuanba.cli import app
from xuanba.outputs.i18n import pct
from xuanba.outputs.statements import safe_filename
from xuanba.tables import read_table

pytestmark = pytest.mark.slow


def run(*args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{re.escape(sid)}">(.*?)</section>', html, re.S)
    assert m, f"no section {sid}"
    return m.group(1)


def rows(html: str, sid: str) -> list[list[str]]:
    body = section(html, sid).split("<tbody>", 1)[1]
    return [[text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def cards(html: str) -> dict[str, str]:
    found = re.findall(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>', section(html, "headline"))
    return {text_of(k): text_of(v) for k, v in found}


def number(cell: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", cell))


@pytest.fixture(scope="module")
def demo(demo_built, tmp_path_factory):
    """The demo (rounds 1 and 2; a copy of the run's), then round 3 by `xuanba round` with every
    output of it."""
    out, stdout = demo_copy(demo_built, tmp_path_factory)
    doc = json.loads(stdout)
    ws = str(out / "xuanba.duckdb")
    got = {"out": out, "demo": doc, "ws": ws}
    got["round"] = run("round", "-s", str(out / "standard.toml"), "--cutoff", "2026-06-30", "-w", ws)
    assert got["round"]["round_id"] == 3
    got["report"] = (out / "r3.html")
    run("report", "3", "--out", str(got["report"]), "--lang", "en", "-w", ws)
    got["export"] = out / "r3.xlsx"
    run("export", "3", "--out", str(got["export"]), "--tables", "roster,facts", "-w", ws)
    return got


def test_round_json_report_and_export_agree_on_tiers_and_value(demo):
    summary = demo["round"]["summary"]
    html = demo["report"].read_text("utf-8")
    roster = read_table(demo["export"], sheet="roster").fillna({"tier": ""})
    exported = roster["tier"].value_counts().to_dict()
    tier_rows = rows(html, "tiers")
    assert sum(number(r[1]) for r in tier_rows) == summary["customers"] == len(roster)
    counts = [int(number(r[1])) for r in tier_rows]
    assert counts == list(summary["tier_counts"].values())
    assert {k: v for k, v in summary["tier_counts"].items() if v} == exported
    assert demo["round"]["n_selected"] == summary["selected"] == int(roster["selected"].sum())
    # the value share card is the stored share
    assert summary["measure"] == "profit_365d"
    assert cards(html)["Value share of the selection"] == pct(100 * summary["value_share"])
    # the whale peak: stored once, shown by the report and the demo's summary of its own round
    whale = summary["whale"]
    assert f"earn {pct(whale['profit_pct'])} of profit" in text_of(section(html, "whale"))
    demo_whale = demo["demo"]["summary"]["whale_peak"]
    demo_round = run("rounds", "2", "-w", demo["ws"])["summary"]["whale"]
    assert demo_whale == {"customer_pct": round(demo_round["customer_pct"], 1),
                          "profit_pct": round(demo_round["profit_pct"], 1)}
    # the same data and standard: rounds 2 and 3 store the same figures
    assert demo_round == whale


def test_a_customers_figures_agree_across_export_statement_and_sheet(demo):
    roster = read_table(demo["export"], sheet="roster")
    facts = read_table(demo["export"], sheet="facts").set_index("customer_id")
    picks = [roster["customer_id"].iloc[0], roster["customer_id"].iloc[len(roster) // 2]]
    folder = demo["out"] / "st3"
    run("statements", "3", "--out", str(folder), "--customers", ",".join(picks), "--lang", "en", "-w", demo["ws"])
    demo_preds = read_table(demo["out"] / "predictions.xlsx").set_index("customer_id")
    with Workspace(demo["ws"], read_only=True) as ws:
        from xuanba.rounds import load_round

        stored = load_round(ws, 3, fields=False)
    contributions = stored.contributions
    public_names = [c.name for c in stored.standard.public_criteria]
    demo_facts = read_table(demo["out"] / "facts.xlsx").set_index("customer_id")
    for cid in picks:
        row = roster.set_index("customer_id").loc[cid]
        sheet = run("sheet", cid, "--round", "3", "--lang", "en", "-w", demo["ws"])["standing"]
        assert sheet["rank"] == row["rank"] and sheet["score"] == pytest.approx(row["score"], abs=1e-12)
        assert sheet["tier"] == (row["tier"] if isinstance(row["tier"], str) else "")
        for field in ("revenue_365d", "profit_365d", "p_alive", "clv_3y"):
            assert sheet[field] == pytest.approx(facts.loc[cid, field], abs=1e-9), field
        # the demo's own files come from its stored round 2: same data, same numbers
        assert demo_preds.loc[cid, "p_alive"] == pytest.approx(sheet["p_alive"], abs=1e-9)
        assert demo_facts.loc[cid, "revenue_365d"] == pytest.approx(sheet["revenue_365d"], abs=1e-9)
        page = text_of((folder / safe_filename(cid)).read_text("utf-8"))
        # the starter standard has a private criterion, so the page shows the public part of the
        # stored score (the sum of the public criteria's stored points) and not the total
        points = contributions.loc[contributions["customer_id"] == cid]
        public = points.loc[points["criterion"].isin(public_names), "contribution"].sum()
        assert f"Public part of your score {public:,.1f}" in page
        assert f"{float(row['score']):,.1f}" not in page or f"{float(row['score']):,.1f}" == f"{public:,.1f}"


def test_profit_bands_of_the_demo_file_are_the_reports(demo):
    bands = read_table(demo["out"] / "profit_by_size.xlsx")
    html = (demo["out"] / "report-en.html").read_text("utf-8")
    shown = rows(html, "accounts-size")
    assert [int(number(r[1])) for r in shown] == bands["customers"].tolist()
    for col, i in (("revenue", 2), ("cost_to_serve", 3), ("profit", 4)):
        np.testing.assert_allclose([number(r[i]) for r in shown], bands[col], atol=0.5, err_msg=col)
    assert set(bands["as_of"].astype(str)) == {"2026-06-30"} and set(bands["window_start"].astype(str)) == {"2025-07-01"}


def test_outputs_render_without_fitting_or_computing_facts(demo, monkeypatch, tmp_path):
    """Make every fit, facts query and account analysis fail: the outputs of a stored round still
    render, because they only read it."""
    import xuanba.accounts.book
    import xuanba.accounts.fields
    import xuanba.accounts.profit
    import xuanba.facts
    import xuanba.facts.compute
    import xuanba.models.evaluate
    import xuanba.models.predict
    from xuanba.models._base import Model

    def boom(*_a, **_k):
        raise AssertionError("an output recomputed what the round stored")

    for mod, names in ((xuanba.facts, ("customer_facts", "calibration_holdout")),
                       (xuanba.facts.compute, ("customer_facts", "calibration_holdout")),
                       (xuanba.models.evaluate, ("evaluate",)), (xuanba.models.predict, ("predict_customers",)),
                       (xuanba.accounts.profit, ("customer_profit",)), (xuanba.accounts.fields, ("account_fields",)),
                       (xuanba.accounts.book, ("account_book",))):
        for name in names:
            monkeypatch.setattr(mod, name, boom)
    todo = [Model]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        monkeypatch.setattr(cls, "fit", boom)
    ws = demo["ws"]
    cid = read_table(demo["export"], sheet="roster")["customer_id"].iloc[0]
    for lang in ("en", "zh"):
        run("report", "3", "--out", str(tmp_path / f"r-{lang}.html"), "--lang", lang, "-w", ws)
    run("statements", "3", "--out", str(tmp_path / "st"), "--customers", cid, "-w", ws)
    run("export", "3", "--out", str(tmp_path / "x.xlsx"), "--tables", "roster,contributions,diff,migration,facts",
        "-w", ws)
    run("sheet", cid, "--round", "3", "-w", ws)
    run("rounds", "3", "-w", ws)
    run("diff", "2", "3", "-w", ws)
    html = (tmp_path / "r-en.html").read_text("utf-8")
    for sid in ("whale", "model", "models", "accounts-size", "accounts-keep-warm"):
        assert f'<section id="{sid}">' in html, sid


def test_a_round_stored_before_round_fields_existed_still_reports(demo, tmp_path):
    """A workspace written before this change (no schema version, rounds with roster and
    contributions only, a meta without the stored parts) opens read-only as it is and reports
    (saying what is missing), writes statements and exports the roster, without changing a byte
    of the file; exporting facts says how to get them."""
    import hashlib

    import duckdb

    old = tmp_path / "old.duckdb"
    with Workspace(demo["ws"], read_only=True) as src:
        rounds = src.sql("SELECT * FROM rounds WHERE round_id <= 2")
        roster = src.sql("SELECT * FROM roster WHERE round_id <= 2")
        contrib = src.sql("SELECT * FROM contributions WHERE round_id <= 2")
        tx = src.sql("SELECT * FROM transactions")
    stripped = []
    for text in rounds["meta_json"]:
        meta = json.loads(text)
        for key in ("summary", "field_columns", "customer_fields", "account_fields"):
            meta.pop(key, None)
        stripped.append(json.dumps(meta))
    rounds["meta_json"] = stripped
    con = duckdb.connect(str(old))  # the old layout, as the old code wrote it: no xuanba_meta
    for name, frame in (("rounds", rounds), ("roster", roster), ("contributions", contrib), ("transactions", tx)):
        con.register("_f", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _f")
        con.unregister("_f")
    con.close()
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    run("report", "latest", "--out", str(tmp_path / "old.html"), "--lang", "en", "-w", str(old))
    text = text_of((tmp_path / "old.html").read_text("utf-8"))
    assert "stored by an older xuanba" in text and "per-customer fields" in text and "check of its model" in text
    tiers = [int(number(r[1])) for r in rows((tmp_path / "old.html").read_text("utf-8"), "tiers")]
    assert sum(tiers) == len(roster.loc[roster["round_id"] == 2])
    cid = str(roster.loc[roster["round_id"] == 2, "customer_id"].iloc[0])
    run("statements", "latest", "--out", str(tmp_path / "st"), "--customers", cid, "-w", str(old))
    assert (tmp_path / "st" / safe_filename(cid)).exists()
    run("export", "latest", "--out", str(tmp_path / "roster.csv"), "--tables", "roster", "-w", str(old))
    res = CliRunner().invoke(app, ["export", "latest", "--out", str(tmp_path / "f.xlsx"), "--tables", "facts",
                                   "-w", str(old)])
    assert res.exit_code == 3 and "older xuanba" in res.output and "Traceback" not in res.output
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before


def test_keep_warm_command_ranks_by_the_stored_rounds_potential(demo):
    """Without --potential, `accounts keep-warm` at a round's cutoff ranks by that round's stored
    potential score — the list the round stored and the report shows, not a model of its own."""
    doc = run("accounts", "keep-warm", "--as-of", "2026-06-30", "-w", demo["ws"])
    assert doc["ranked by"] == "the potential score of round 3 (cutoff 2026-06-30)"
    # without --as-of: the last transaction's day, which is the round's cutoff in the demo
    assert run("accounts", "keep-warm", "-w", demo["ws"])["ranked by"] == doc["ranked by"]
    with Workspace(demo["ws"], read_only=True) as ws:
        from xuanba.rounds import load_round

        stored = load_round(ws, 3, fields=False).tables["keep_warm"]
    assert doc["rows"] == stored.info["accounts"] == len(stored.frame)
    assert [r["customer_id"] for r in doc["table"]] == stored.frame["customer_id"].head(200).tolist()


def test_warnings_of_the_fits_are_stored_with_the_round_and_reported(test_data, tmp_path, monkeypatch):
    """A warning raised while the round fits its models is kept in the round (not printed and
    lost) and the report's model section says it."""
    import warnings

    import xuanba.models.predict
    from tests._helpers import cdnow_transactions, store
    from xuanba.outputs.report import write_report
    from xuanba.rounds import load_round, run_round
    from xuanba.standard import starter_standard

    real = xuanba.models.predict.predict_customers

    def noisy(*args, **kwargs):
        warnings.warn("the Hessian is nearly singular", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(xuanba.models.predict, "predict_customers", noisy)
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        store(ws, "transactions", cdnow_transactions(test_data))
        run_round(ws, starter_standard("en"), "1998-06-30", check_model=False)
        warned = load_round(ws, "latest", fields=False).meta["model_warnings"]
    assert warned == ["RuntimeWarning: the Hessian is nearly singular"]
    text = text_of(write_report(path, "latest", tmp_path / "r.html").read_text("utf-8"))
    assert "The fits warned: RuntimeWarning: the Hessian is nearly singular." in text
