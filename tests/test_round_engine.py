"""The round run by the engine that holds the transactions (here DuckDB: the Spark run of the same
code is in test_round_spark.py) equals the workspace's round, customer for customer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._helpers import cdnow_transactions, store
from xuanba import Workspace
from xuanba.errors import InputError
from xuanba.rounds import load_round, run_round
from xuanba.rounds.engine import duckdb_source, run_round_on_engine
from xuanba.rounds.run import table_sha256
from xuanba.rounds.spark import parse_spark_conf
from xuanba.standard import load_standard, starter_standard

CDNOW_CUTOFF = "1997-09-30"

#: Every kind of normalisation, a missing value by the median, a tie-break, gates, a quota and a
#: bar, and a capacity that binds: the parts of a roster a round on an engine must reproduce.
BUSY_STANDARD = """
[standard]
name = "busy"
version = "3"
[predictions]
model = "bgnbd"
penalizer = 0.001
[[criteria]]
name = "revenue"
field = "revenue_365d"
weight = 30
group = "value"
[[criteria]]
name = "margin"
field = "margin_365d"
normalise = "zscore"
missing = "median"
weight = 20
group = "value"
[[criteria]]
name = "future"
field = "clv_3y"
normalise = "minmax"
weight = 20
group = "potential"
[[criteria]]
name = "alive"
field = "p_alive"
normalise = "bands"
bands = [[0.0, 0], [0.3, 40], [0.6, 80], [0.8, 100]]
weight = 15
group = "potential"
[[criteria]]
name = "quiet"
field = "days_since_last"
direction = "lower"
weight = 15
[[gates]]
name = "active"
expr = "p_alive >= 0.05"
[[gates]]
name = "bought"
expr = "orders >= 1"
[[tiers]]
name = "A"
quota = "5%"
[[tiers]]
name = "B"
min_score = 35
quota = 60
[capacity]
max_accounts = 50
[tie_break]
order = ["clv_3y desc", "revenue_365d desc"]
"""


def _hostile(n: int) -> list[str]:
    """Customer ids an attacker or an export would give: markup, formulas, quotes, Chinese,
    ids that look like numbers with leading zeros, spaces inside (spaces around an id are
    trimmed as ingest trims them: tests/test_round_engine_source.py)."""
    kinds = ["<b>{i}</b>", "=1+{i}", "0{i:05d}", "客户{i}", "a'b\"{i}", "a {i}  b", "{i}", "@SUM({i})"]
    return [kinds[i % len(kinds)].format(i=i) for i in range(n)]


def simulated_transactions(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """A BG/NBD base over two years with hostile ids, costs on part of the rows and returns."""
    from xuanba.models.simulate import simulate_transactions

    tx = simulate_transactions("bgnbd", n, "2024-01-01", "2025-12-31", seed=seed)
    ids = np.array(_hostile(n), dtype=object)
    tx["customer_id"] = ids[tx["customer_id"].str[1:].astype(int).to_numpy()]  # ids c00000, c00001, ...
    rng = np.random.default_rng(seed)
    tx["amount"] = np.round(tx["amount"].to_numpy(dtype=float), 2)  # cents: sums inexact in binary
    tx["cost"] = np.where(rng.random(len(tx)) < 0.7, np.round(tx["amount"] * 0.55, 2), np.nan)
    tx["is_return"] = rng.random(len(tx)) < 0.03
    tx.loc[tx["is_return"], ["amount", "cost"]] *= -1  # a return's money negative, as ingest stores it
    return tx[["customer_id", "ts", "amount", "cost", "is_return"]].reset_index(drop=True)


def cdnow_standard():
    return load_standard(starter_standard("en").replace('model = "auto"', 'model = "bgnbd"'))


def _workspace(tmp_path, tx: pd.DataFrame, name: str = "ws.duckdb"):
    path = tmp_path / name
    with Workspace(path) as ws:
        store(ws, "transactions", tx)
    return path


def assert_same_round(engine_round, ws_round, roster_out=None) -> None:
    """Rosters identical (scores within 1e-9, everything else equal): the selected rows the engine
    round holds, and every customer in the ``roster.parquet`` the engine wrote to ``roster_out``;
    the same data and roster hashes, the same headline figures and the same model estimates."""
    a, b = engine_round.roster, ws_round.selected
    pd.testing.assert_frame_equal(a.drop(columns="score"), b.drop(columns="score"))
    assert len(a) == 0 or np.abs(a["score"].to_numpy() - b["score"].to_numpy()).max() <= 1e-9
    if roster_out is not None:
        full = read_roster(roster_out)
        # the cheapest change inverts a normalisation from sums over the base, added in the engine's
        # order: equal to the last few bits, so the engine's roster hash is that of what it wrote
        pd.testing.assert_frame_equal(full, ws_round.roster, check_dtype=False, check_exact=False,
                                      rtol=1e-12, atol=1e-9)
        assert engine_round.meta["roster_sha256"] == table_sha256(roster_typed(full, ws_round.roster))
    for key in ("data_sha256", "n_customers", "n_selected", "tier_counts", "n_gated_out",
                "n_left_out_by_capacity", "capacity_method", "predictions"):
        assert engine_round.meta[key] == ws_round.meta[key], key
    sa, sb = engine_round.meta["summary"], ws_round.meta["summary"]
    assert sa.keys() == sb.keys()
    for key in sa:  # sums in the engine's order: equal to a few units in the last place
        assert _close(sa[key], sb[key]), (key, sa[key], sb[key])
    from xuanba.rounds.summary import score_bins

    scores, roster = engine_round.meta["base_scores"], ws_round.roster  # what the report shows of every score
    assert scores["median"] == pytest.approx(float(roster["score"].median()), abs=1e-9)
    by_tier = roster.groupby(roster["tier"].fillna("").astype(str))["score"]
    assert scores["histogram"] == {k: score_bins(v.to_numpy(float)) for k, v in by_tier}
    assert scores["tier_mean_score"] == pytest.approx({k: float(v.mean()) for k, v in by_tier}, rel=1e-12)
    for role, model in ws_round.meta.get("models", {}).items():
        assert engine_round.meta["models"][role]["params"] == model["params"], role
        assert engine_round.meta["models"][role].get("excluded") == model.get("excluded"), role


def _close(a, b) -> bool:
    """Equal, floats (also inside dicts) within a relative 1e-12."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-9)
    return a == b


def roster_typed(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the column types of ``like`` (Parquet gives text back as object)."""
    return frame.astype(like.dtypes.to_dict())


def read_roster(folder) -> pd.DataFrame:
    """The ``roster.parquet`` an engine wrote (a file, or a folder of parts on Spark), by rank."""
    frame = pd.read_parquet(Path(folder) / "roster.parquet")
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def test_round_half_even_is_numpys_rounding_on_the_engine():
    """Ties, negatives (numpy keeps -0.0), huge and non-finite values, and random values at the
    six decimals a round keeps: the engine's bits are numpy's."""
    import ibis
    import pyarrow as pa

    from xuanba.facts.expressions import round_half_even

    rng = np.random.default_rng(11)
    x = np.concatenate([
        [0.5, 1.5, 2.5, -0.5, -1.5, -0.4, 0.0, -0.0, 1e300, -1e300, np.inf, -np.inf, 2.0**52 + 1, 0.0000005,
         0.0000015, 1.2345675, -7.0000005],
        rng.normal(0, 1e4, 20_000),
        rng.integers(-10**8, 10**8, 20_000) / 2**7,  # exact binary fractions: many ties at the 7th place
    ])
    t = ibis.memtable(pa.table({"x": x}))
    for decimals in (0, 2, 6):
        got = t.select(r=round_half_even(t.x, decimals)).to_pyarrow()["r"].to_numpy()
        want = np.round(x, decimals)
        assert np.array_equal(got, want, equal_nan=True), decimals
        assert np.array_equal(np.signbit(got), np.signbit(want)), decimals
    assert t.select(r=round_half_even(ibis.null("float64"), 6)).to_pyarrow()["r"].null_count == len(x)


def test_engine_round_equals_the_workspace_round_on_cdnow(tmp_path, test_data):
    """CDNOW sample (2,357 customers): BG/NBD and Gamma-Gamma fitted on the distinct histories the
    engine hands over give the workspace round's estimates to the last bit, and the same roster."""
    path = _workspace(tmp_path, cdnow_transactions(test_data))
    std = cdnow_standard()
    want = run_round(path, std, CDNOW_CUTOFF, store=False, check_model=False)
    with Workspace(path, read_only=True) as ws:
        got = run_round_on_engine(ws.table("transactions"), std, CDNOW_CUTOFF, roster_out=tmp_path / "out",
                                  check_model=False)
    assert got.meta["n_customers"] == 2357 and got.meta["predictions"] == "model:bgnbd"
    assert_same_round(got, want, tmp_path / "out")
    assert got.meta["engine"] == "duckdb" and got.meta["model_check"] == "skipped"
    # the stored fields are those of the selected customers, equal to the workspace round's
    sel = want.fields[want.fields["customer_id"].isin(want.selected["customer_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.fields, sel, check_dtype=False)


def _check(rnd) -> tuple[dict, pd.DataFrame | None]:
    stored = rnd.tables["holdout"]
    return stored.info, stored.frame


@pytest.mark.parametrize(("cutoff", "checked"), [("1998-06-30", True), (CDNOW_CUTOFF, False)])
def test_engine_round_checks_a_named_model_as_the_workspace_round_does(tmp_path, test_data, cutoff, checked):
    """A named model's check on the year before the cutoff (table ``holdout``): the same figures
    as the workspace round's; and at a cutoff whose year before holds no calibration history
    (CDNOW starts in 1997), the same reason for having none."""
    path = _workspace(tmp_path, cdnow_transactions(test_data))
    std = cdnow_standard()
    want = run_round(path, std, cutoff, store=False)
    with Workspace(path, read_only=True) as ws:
        got = run_round_on_engine(ws.table("transactions"), std, cutoff)
    assert "model_check" not in got.meta and "holdout" not in got.missing
    (info, frame), (want_info, want_frame) = _check(got), _check(want)
    assert info.keys() == want_info.keys()
    for key, value in want_info.items():
        if isinstance(value, float):
            assert info[key] == pytest.approx(value, rel=1e-9), key
        elif isinstance(value, dict):
            assert value.keys() == info[key].keys()
            for k, v in value.items():
                assert info[key][k] == pytest.approx(v, rel=1e-9, nan_ok=True), (key, k)
        else:
            assert info[key] == value, key
    if not checked:
        assert want_frame is None and frame is None and "no transaction" in info["error"]
    else:
        assert "error" not in info and len(frame) == len(want_frame) > 3
        pd.testing.assert_frame_equal(frame, want_frame, check_dtype=False, rtol=1e-9)


@pytest.fixture(scope="module")
def hostile_base(tmp_path_factory):
    """The hostile simulated base (:func:`simulated_transactions`), its workspace and the
    workspace round of :data:`BUSY_STANDARD` on it at 2025-12-31 (not stored, no model check):
    the round two tests compare the engine's with, run once for them (read only)."""
    tx = simulated_transactions()
    path = _workspace(tmp_path_factory.mktemp("hostile-base"), tx)
    return tx, path, run_round(path, load_standard(BUSY_STANDARD), "2025-12-31", store=False, check_model=False)


def test_engine_round_equals_the_workspace_round_on_a_hostile_simulated_base(tmp_path, hostile_base):
    """600 simulated customers with markup, formula and Chinese ids, costs on part of the rows,
    returns: every normalisation, gates, quota, bar, tie-break and a binding capacity agree."""
    tx, path, want = hostile_base
    std = load_standard(BUSY_STANDARD)
    assert want.meta["n_left_out_by_capacity"] > 0 and want.meta["n_gated_out"] > 0  # the parts are exercised
    assert want.roster["gates_failed"].ne("").any() and want.roster["cheapest_criterion"].ne("").any()
    got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out")  # in memory: a private DuckDB
    assert_same_round(got, want, tmp_path / "out")
    assert set(read_roster(tmp_path / "out")["customer_id"]) == set(tx["customer_id"][~tx["is_return"]])


def test_roster_out_writes_the_whole_roster_and_every_field_and_the_workspace_keeps_the_selection(tmp_path,
                                                                                                  hostile_base):
    tx, path, want = hostile_base
    std = load_standard(BUSY_STANDARD)
    out = tmp_path / "out"
    with Workspace(path, read_only=True) as ws:
        got = run_round_on_engine(ws.table("transactions"), std, "2025-12-31", roster_out=out,
                                  workspace=tmp_path / "spark_rounds.duckdb")
    roster = read_roster(out)
    pd.testing.assert_frame_equal(roster, want.roster, check_dtype=False)
    fields = pd.read_parquet(out / "fields.parquet")
    for col in ("first_purchase", "last_purchase"):
        fields[col] = pd.to_datetime(fields[col])
    pd.testing.assert_frame_equal(fields, want.fields, check_dtype=False)
    assert sorted(p.name for p in out.iterdir()) == ["fields.parquet", "roster.parquet"]  # no temporary left
    stored = load_round(tmp_path / "spark_rounds.duckdb", "latest")
    assert stored.round_id == got.round_id == 1 and stored.meta["stored_customers"] == "selected"
    assert stored.meta["n_customers"] == len(roster) > len(stored.roster) == want.meta["n_selected"]
    pd.testing.assert_frame_equal(stored.roster, want.selected, check_dtype=False)
    assert stored.missing == []
    contrib = stored.contributions.merge(want.contributions, on=["customer_id", "criterion"], suffixes=("", "_ws"))
    assert len(contrib) == len(stored.contributions) == len(stored.roster) * len(std.criteria)
    for col in ("raw", "normalised", "weight", "contribution"):
        assert np.allclose(contrib[col], contrib[f"{col}_ws"], rtol=1e-12, atol=1e-12, equal_nan=True), col


def test_the_report_reads_a_round_the_engine_stored(tmp_path):
    from xuanba.cli import app

    tx = simulated_transactions(200, seed=4)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    ws = tmp_path / "rounds.duckdb"
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                   "--engine", "duckdb", "--source", str(source), "--roster-out",
                                   str(tmp_path / "out"), "--workspace", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "roster.parquet").exists()
    import json

    quadrants = json.loads(res.output[res.output.index("{"):])["quadrants"]  # over every customer
    assert sum(quadrants.values()) == len(read_roster(tmp_path / "out"))
    res = CliRunner().invoke(app, ["report", "latest", "--workspace", str(ws), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text("utf-8")
    rnd = load_round(ws, "latest")
    top = rnd.roster.sort_values("rank")["customer_id"].head(10).tolist()
    assert any(i in html for i in top if i.isdigit())  # the selection is listed from the stored rows
    marked = [i for i in rnd.roster["customer_id"] if i.startswith("<b>")]
    assert marked and not any(i in html for i in marked)  # markup ids never reach the page as markup


@pytest.mark.parametrize(("args", "needle"), [
    (["--engine", "duckdb", "--source", "no/such.parquet"], "does not exist"),
    (["--engine", "spark"], "needs --source"),
    (["--engine", "flink", "--source", "x.parquet"], "not an engine"),
    (["--engine", "spark", "--source", "x.parquet", "--spark-conf", "spark.master"], "is not key=value"),
    (["--engine", "spark", "--source", "x.parquet", "--spark-conf", "=2g"], "is not a setting name"),
    (["--engine", "spark", "--source", "x.parquet", "--spark-conf", "spark.driver.memory="], "has no value"),
    (["--engine", "duckdb", "--source", "x.parquet", "--spark-conf", "a.b=1"], "is for --engine spark"),
])
def test_bad_engine_options_give_a_clear_message_and_exit_code_2(tmp_path, args, needle):
    """Mistakes are caught before any engine starts: a message with the fix, exit code 2 (InputError)."""
    from xuanba.cli import app

    (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                   "--workspace", str(tmp_path / "w.duckdb"), *args])
    assert res.exit_code == InputError.exit_code == 2, res.output
    assert needle in res.output and "Traceback" not in res.output


def test_a_source_that_is_not_parquet_is_an_input_error(tmp_path):
    bad = tmp_path / "tx.parquet"
    bad.write_text("customer_id,ts,amount\n<script>,2025-01-01,1\n", "utf-8")
    with pytest.raises(InputError, match="cannot read --source"):
        duckdb_source(bad)
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(InputError, match="cannot read --source"):
        duckdb_source(folder)


def test_a_source_without_the_transaction_columns_names_them(tmp_path):
    """Said as ``xuanba ingest`` says it of the same file (its headers read by ingest's aliases:
    ``client`` is a customer id, nothing names the date): the field, the candidate and the fix."""
    from xuanba import Workspace
    from xuanba.errors import SchemaError
    from xuanba.ingest import ingest

    path = tmp_path / "t.parquet"
    pd.DataFrame({"client": ["a"], "when": pd.to_datetime(["2025-01-01"]), "amount": [1.0]}).to_parquet(path)
    with pytest.raises(SchemaError, match=r"no column for the required field 'ts'; columns found: client, when") as got:
        run_round_on_engine(duckdb_source(path), load_standard(BUSY_STANDARD), "2025-12-31")
    with Workspace(tmp_path / "w.duckdb") as ws, pytest.raises(SchemaError) as want:
        ingest(str(path), ws)
    assert "candidates in the file: when" in got.value.render("en") and "--map ts=<column>" in got.value.render("en")
    for lang in ("en", "zh"):
        named = want.value.render(lang)  # ingest names the file: the engine's command line names its --source
        assert got.value.render(lang) == named.replace(f"{path}{'，' if lang == 'zh' else ', '}", ""), lang


def _round_cli(tmp_path, *args):
    from xuanba.cli import app

    source = tmp_path / "tx.parquet"
    if not source.exists():
        simulated_transactions(60, seed=5).to_parquet(source, index=False)
        (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    return CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                    "--workspace", str(tmp_path / "w.duckdb"), *args], env={"COLUMNS": "200"})


def test_a_roster_out_url_or_table_on_duckdb_is_refused_before_the_round_runs_and_makes_no_local_folder(
        tmp_path, monkeypatch):
    """DuckDB writes a URL only with its httpfs extension (not downloaded): refused in both
    languages with the fix, before any work, and no local folder ``s3a:`` (the command line took
    the URL as a path and wrote ``s3a:/lake/out`` in the current folder); a catalog table is Spark's."""
    from xuanba.rounds import engine as engine_module

    monkeypatch.chdir(tmp_path)
    ran = []
    monkeypatch.setattr(engine_module, "engine_fields", lambda *a, **k: ran.append(1))
    res = _round_cli(tmp_path, "--engine", "duckdb", "--source", "tx.parquet", "--roster-out", "s3a://lake/out")
    assert res.exit_code == 2 and "httpfs" in res.output and "--engine spark" in res.output, res.output
    assert not (tmp_path / "s3a:").exists() and ran == []
    res = _round_cli(tmp_path, "--source", "tx.parquet", "--roster-out", "s3a://lake/out", "--lang", "zh")
    assert res.exit_code == 2 and "是网址" in res.output and "httpfs" in res.output, res.output
    res = _round_cli(tmp_path, "--source", "tx.parquet", "--roster-out", "table:sales.roster")
    assert res.exit_code == 2 and "only Spark writes one" in res.output and "Traceback" not in res.output
    with pytest.raises(InputError, match="not a table name"):
        run_round_on_engine(simulated_transactions(20, seed=1), load_standard(BUSY_STANDARD), "2025-12-31",
                            roster_out="table:a; drop table b")


def test_a_file_url_is_a_local_folder_to_duckdb_for_the_source_and_the_roster(tmp_path):
    """``file://`` URLs (with an escaped space) are read and written as the local paths they name;
    before, the roster's ended in a traceback."""
    res = _round_cli(tmp_path, "--source", (tmp_path / "tx.parquet").as_uri(),
                     "--roster-out", (tmp_path / "my out").as_uri(), "--no-store")
    assert res.exit_code == 0, res.output
    assert "%20" in (tmp_path / "my out").as_uri()
    assert len(read_roster(tmp_path / "my out")) == simulated_transactions(60, seed=5)["customer_id"].nunique()


def test_a_source_url_on_duckdb_is_said_not_a_missing_file(tmp_path):
    res = _round_cli(tmp_path, "--engine", "duckdb", "--source", "s3://bucket/tx.parquet")
    assert res.exit_code == 2 and "is a URL" in res.output and "httpfs" in res.output, res.output
    assert "does not exist" not in res.output


def test_an_empty_source_is_said_as_a_source_not_as_a_workspace_to_ingest(tmp_path):
    simulated_transactions(10, seed=1).head(0).to_parquet(tmp_path / "empty.parquet", index=False)
    res = _round_cli(tmp_path, "--source", str(tmp_path / "empty.parquet"))
    assert res.exit_code == 3 and "--source has no transactions" in res.output, res.output
    assert "xuanba ingest" not in res.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_or_headerless_csv_source_is_named(tmp_path, lang):
    """A CSV with a header and no rows, and an empty file (no columns at all): the error names
    the file, in the reader's language (e0ecc40 said "--source has no transactions" and "the
    transactions table lacks [...]" of no file, the second in English only; then, its headers read
    as ingest reads them, ingest's error of a file without the required columns, column0; now the
    empty file is said empty, as ingest says it)."""
    (tmp_path / "header only.csv").write_text("customer_id,ts,amount\n", "utf-8")
    (tmp_path / "nothing.csv").write_text("", "utf-8")
    said = {"en": ("--source has no transactions", "the file is empty"),
            "zh": ("--source 中没有交易记录", "文件是空的")}[lang]
    for name, code, words in (("header only.csv", 3, said[0]), ("nothing.csv", 2, said[1])):
        res = _round_cli(tmp_path, "--lang", lang, "--engine", "duckdb", "--source", str(tmp_path / name), "--no-store")
        assert res.exit_code == code and name in res.output and words in res.output, res.output


@pytest.mark.parametrize(("where", "said"), [("table:sales.roster", "only Spark writes one"),
                                             ("s3a://lake/replay", "httpfs")])
def test_a_replay_on_duckdb_refuses_a_url_or_a_table_before_any_round(tmp_path, where, said, monkeypatch):
    """DuckDB writes neither a catalog table nor a URL (Spark's replay does): a replay on DuckDB says
    so as one round does, before its first round (a file:// URL is a folder to it)."""
    from xuanba.rounds import engine as engine_module

    ran = []
    monkeypatch.setattr(engine_module, "engine_fields", lambda *a, **k: ran.append(1))
    res = _round_cli(tmp_path, "--source", str(tmp_path / "tx.parquet"), "--every", "quarter", "--from", "2025-06-30",
                     "--to", "2025-12-31", "--roster-out", where)
    assert res.exit_code == 2 and said in res.output and ran == [], res.output


def test_transactions_without_a_customer_id_are_counted_and_said_of_the_source(tmp_path):
    """Left out and counted as ingest rejects them (before: "customer_id is missing in 1 row(s) of
    the fields ... before scoring", the six rows grouped into one customer without an id)."""
    tx = simulated_transactions(60, seed=5)
    tx.loc[tx.index[:6], "customer_id"] = None
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    res = _round_cli(tmp_path, "--source", str(tmp_path / "tx.parquet"))
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and f"6 of the source's {len(tx):,} rows were left out" in said, res.output
    assert "of the fields" not in res.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a folder even root cannot write: /proc/self")
def test_a_roster_out_folder_that_takes_no_file_is_refused_before_the_round_runs(tmp_path, monkeypatch):
    """A folder that exists but refuses a file (here /proc/self, which even root cannot write):
    said before the round runs, not as DuckDB's IOException at its end."""
    from xuanba.rounds import engine as engine_module

    ran = []
    monkeypatch.setattr(engine_module, "engine_fields", lambda *a, **k: ran.append(1))
    res = _round_cli(tmp_path, "--source", str(tmp_path / "tx.parquet"), "--roster-out", "/proc/self")
    assert res.exit_code == 2 and "cannot be written" in res.output and "Traceback" not in res.output, res.output
    assert ran == []


def test_a_roster_write_that_fails_on_duckdb_is_said_and_keeps_the_earlier_roster(tmp_path, monkeypatch):
    """The engine fails while writing (a full disk): an InputError naming where, the earlier
    roster.parquet as it was."""
    tx = simulated_transactions(40, seed=2)
    std = load_standard(BUSY_STANDARD)
    run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out")
    before = (tmp_path / "out" / "roster.parquet").read_bytes()

    def full_disk(expr, path):
        Path(path).write_bytes(b"PAR1 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("xuanba.rounds.roster_out._write_parquet", full_disk)  # the engine's writer
    with pytest.raises(InputError, match="could not be written to .*roster.parquet.*No space left") as info:
        run_round_on_engine(tx, std, "2025-09-30", roster_out=tmp_path / "out")
    assert "kept as it was" in info.value.fix
    assert (tmp_path / "out" / "roster.parquet").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fields.parquet", "roster.parquet"]


def test_parse_spark_conf():
    assert parse_spark_conf([" spark.sql.shuffle.partitions = 8", "spark.driver.memory=2g",
                             "spark.sql.shuffle.partitions=16", "spark.executor.extraJavaOptions=-Da=b=c"]) == {
        "spark.sql.shuffle.partitions": "16", "spark.driver.memory": "2g",
        "spark.executor.extraJavaOptions": "-Da=b=c"}
    for bad in ("spark.master", "=x", "1abc=2", "a b=1", "k="):
        with pytest.raises(InputError):
            parse_spark_conf([bad])


def test_no_model_drops_its_criteria_as_the_workspace_round_does(tmp_path):
    """Three customers cannot carry a model: with on_no_model = "drop" both rounds score on the
    facts alone and say so the same way."""
    tx = pd.DataFrame({"customer_id": ["a", "b", "c"], "ts": pd.to_datetime(["2025-01-02", "2025-02-01", "2025-03-03"]),
                       "amount": [10.0, 5.0, 20.0]})
    path = _workspace(tmp_path, tx)
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-03-31", store=False, check_model=False)
    got = run_round_on_engine(tx, std, "2025-03-31", roster_out=tmp_path / "out")
    assert want.meta["predictions"] == got.meta["predictions"] == "unavailable"
    assert got.meta["fallback"] == want.meta["fallback"]
    assert_same_round(got, want, tmp_path / "out")


def test_a_mean_spend_on_a_tie_is_the_same_whatever_order_the_engine_adds_in():
    """32 repeat purchases whose spends sum to an odd number of cents: the mean falls exactly on
    a tie at the seventh decimal, and a sum whose last bit depends on the order of the rows used
    to give four different means over thirty shuffles of the same transactions (so a round, on
    DuckDB or Spark, rounded it either way). The money sums are rounded before the division."""
    from xuanba.facts import customer_facts

    rng = np.random.default_rng(0)
    amounts = np.round(rng.uniform(1, 50, 33), 2)
    if round(amounts[1:].sum() * 100) % 2 == 0:
        amounts[-1] = np.round(amounts[-1] + 0.01, 2)
    assert round(amounts[1:].sum() * 100) % 2 == 1  # k/3200 with k odd: a tie at the 7th decimal
    ts = pd.date_range("2025-01-01", periods=33, freq="3D")
    # the thirty shuffles as thirty customers of one table, each buying the same in its own order:
    # one facts query (0.2 s of CPU) instead of thirty (7 s); without the rounding it gives three
    # or four different means too (checked by removing it)
    shuffles = [rng.permutation(33) for _ in range(30)]
    frame = pd.concat([pd.DataFrame({"customer_id": f"a{k:02d}", "ts": ts[order], "amount": amounts[order]})
                       for k, order in enumerate(shuffles)], ignore_index=True)
    facts = customer_facts(frame, "2025-12-31")
    assert len(facts) == 30 and (facts["frequency"] == 32).all()
    means = {float(v).hex() for v in facts["monetary_value"]}
    assert len(means) == 1


def test_the_driver_reads_the_roster_in_chunks_and_holds_only_the_selection(tmp_path, monkeypatch):
    """With chunks of 7 rows (so hashing crosses many chunk edges) the hashes are still those of
    the whole tables, and the round in memory holds the selected customers only."""
    import xuanba.rounds.engine as engine

    tx = simulated_transactions(150, seed=2)
    path = _workspace(tmp_path, tx)
    std = load_standard(BUSY_STANDARD)
    want = run_round(path, std, "2025-12-31", store=False, check_model=False)
    monkeypatch.setattr(engine, "SHA_READ_ROWS", 7)
    got = run_round_on_engine(tx, std, "2025-12-31", roster_out=tmp_path / "out")
    assert got.meta["data_sha256"] == want.meta["data_sha256"]
    full = read_roster(tmp_path / "out")
    assert got.meta["roster_sha256"] == table_sha256(roster_typed(full, want.roster))
    assert len(got.roster) == got.meta["n_selected"] == want.meta["n_selected"] < len(full) == len(want.roster)
    assert got.roster["selected"].all() and len(got.contributions) == len(got.roster) * len(std.criteria)


def test_a_roster_out_that_is_a_file_is_refused_before_the_round_runs(tmp_path, monkeypatch):
    from xuanba.cli import app
    from xuanba.rounds import engine as engine_module

    tx = simulated_transactions(50, seed=5)
    source = tmp_path / "tx.parquet"
    tx.to_parquet(source, index=False)
    (tmp_path / "s.toml").write_text(BUSY_STANDARD, "utf-8")
    taken = tmp_path / "taken"
    taken.write_text("a file the user keeps", "utf-8")
    ran = []
    monkeypatch.setattr(engine_module, "engine_fields", lambda *a, **k: ran.append(1))  # the round must not start
    res = CliRunner().invoke(app, ["round", "--standard", str(tmp_path / "s.toml"), "--cutoff", "2025-12-31",
                                   "--engine", "duckdb", "--source", str(source), "--roster-out", str(taken),
                                   "--workspace", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2 and "is a file" in res.output and "Traceback" not in res.output, res.output
    assert ran == [] and taken.read_text("utf-8") == "a file the user keeps"


@pytest.mark.parametrize("backend", ["polars", "sqlite"])
@pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated")  # Ibis' SQLite reads via pandas
def test_a_backend_that_cannot_run_the_round_is_named_with_the_engines_that_work(backend):
    """polars (no window functions in Ibis) and SQLite (no isnan): an InputError naming the backend
    and DuckDB and Spark, not Ibis' "No translation rule"."""
    import ibis

    pytest.importorskip("polars" if backend == "polars" else "sqlite3")
    try:
        con = getattr(ibis, backend).connect()
    except Exception as exc:  # noqa: BLE001 - the backend's extra is not installed here
        pytest.skip(f"no Ibis {backend} backend: {exc}")
    import pyarrow as pa

    table = con.create_table("tx", pa.Table.from_pandas(simulated_transactions(60, seed=2), preserve_index=False))
    with pytest.raises(InputError, match=rf"the Ibis backend '{backend}' cannot run a round") as info:
        run_round_on_engine(table, load_standard(BUSY_STANDARD), "2025-12-31")
    assert "DuckDB or Spark" in info.value.fix
    zh = info.value.render("zh")  # in the reader's language, the backend's own words kept (i18n38)
    assert f"Ibis 后端 '{backend}' 无法运行一轮：" in zh and "请改用 DuckDB、Spark 之一运行" in zh, zh


def test_an_engine_round_leaves_the_users_duckdb_connection_as_it_found_it():
    """The in-memory tables a round registers (per-history predictions, the selected ids ...) are
    unregistered when it ends; the user's own in-memory table stays; a second round runs alike."""
    import ibis
    import pyarrow as pa

    con = ibis.duckdb.connect()
    table = con.create_table("tx", pa.Table.from_pandas(simulated_transactions(150, seed=6), preserve_index=False))
    mine = ibis.memtable(pa.table({"x": [1, 2]}))
    assert con.to_pyarrow(mine.x.sum()).as_py() == 3  # registered on this connection before the round

    def views() -> set[str]:  # what is registered on the connection (Ibis' list_tables warns of DuckDB's API)
        return {r[0] for r in con.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}

    before = views()
    assert any("memtable" in n for n in before)
    std = load_standard(BUSY_STANDARD)
    first = run_round_on_engine(table, std, "2025-12-31")
    assert views() == before
    second = run_round_on_engine(table, std, "2025-12-31")
    assert views() == before and con.to_pyarrow(mine.x.sum()).as_py() == 3
    pd.testing.assert_frame_equal(first.roster, second.roster)


def test_an_unreadable_source_says_duckdbs_words_on_a_line_of_their_own(tmp_path):
    """DuckDB's English reason is a line marked as its words, not inside the Chinese sentence."""
    bad = tmp_path / "tx.parquet"
    bad.write_text("not parquet\n", "utf-8")
    with pytest.raises(InputError) as err:
        duckdb_source(bad)
    zh = err.value.render("zh").splitlines()
    assert zh[0].endswith("无法读取 --source " + repr(str(bad))) and zh[1].lstrip().startswith("DuckDB 的原话（英文）："), zh
    assert err.value.render("en").splitlines()[1].lstrip().startswith("DuckDB's words: ")
