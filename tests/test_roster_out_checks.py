"""The check that an engine round's ``--roster-out`` still holds its rows, attacked: two rounds
with the same id and counts (two workspaces, one folder), a roster output swapped between the
check and the read, ids that are not text. Built on small Parquet files written here, the
verdicts written out."""

from __future__ import annotations

import pandas as pd

from xuanba.rounds import selection_only as so


def _roster(folder, ranks, scores=(3.0, 2.0, 1.0)) -> None:
    folder.mkdir(exist_ok=True)
    tmp = folder / "tmp.parquet"
    pd.DataFrame({"customer_id": ["a", "b", "c"], "rank": list(ranks), "score": list(scores),
                  "selected": [r == 1 for r in ranks], "potential_score": [1.0, 2.0, 3.0]}).to_parquet(tmp)
    tmp.replace(folder / "roster.parquet")  # renamed into place whole, as --roster-out does
    pd.DataFrame({"customer_id": ["a", "b", "c"], "owner": ["x", "y", "z"]}).to_parquet(folder / "fields.parquet")


def _meta(folder, sha) -> dict:
    return {"stored_customers": "selected", "engine": "duckdb", "n_customers": 3, "n_selected": 1,
            "roster_out": str(folder), "roster_sha256": sha}


def _selected(cid, score):
    return lambda: pd.DataFrame({"customer_id": [cid], "rank": [1], "score": [score]})


def test_round_1_of_two_workspaces_naming_one_folder_is_each_checked_on_its_own(tmp_path):
    """Workspace A's round 1 selected 'a'; workspace B's round 1 (same counts) selected 'c' and
    wrote the folder after. A is told replaced; B, checked next in the same process, holds it:
    the first verdict was kept by file and round id alone and given to B ("replaced")."""
    folder = tmp_path / "out"
    _roster(folder, ranks=(3, 2, 1), scores=(1.0, 2.0, 3.0))  # B's: 'c' first
    a = so.rest_of_base(_meta(folder, "sha-a"), 1, _selected("a", 3.0))
    b = so.rest_of_base(_meta(folder, "sha-b"), 1, _selected("c", 3.0))
    assert a.replaced and a.roster is None
    assert not b.replaced and b.roster == str(folder / "roster.parquet")


def test_a_roster_output_swapped_after_the_check_is_not_read_as_the_rounds(tmp_path):
    """The folder held the round when checked; a later round then wrote it: the readers give
    nothing (not at hand) rather than that round's ranks, potentials and owners."""
    folder = tmp_path / "out"
    _roster(folder, ranks=(1, 2, 3))
    rest = so.rest_of_base(_meta(folder, "sha-a"), 1, _selected("a", 3.0))
    assert rest.folder is not None
    assert so.roster_out_column(rest, "potential_score")["potential_score"].tolist() == [1.0, 2.0, 3.0]
    assert so.rank_in_roster_out(rest, "b") == 2
    _roster(folder, ranks=(3, 1, 2), scores=(1.0, 3.0, 2.0))  # a later round's, renamed into place
    assert so.roster_out_column(rest, "potential_score") is None
    assert so.rank_in_roster_out(rest, "b") is None
    assert so.roster_out_fields(rest, ["a"], ["owner"]) is None
    again = so.rest_of_base(_meta(folder, "sha-a"), 1, _selected("a", 3.0))
    assert again.replaced and again.folder is None  # checked anew: said replaced


def test_ids_that_are_numbers_in_the_roster_output_are_found_as_text(tmp_path):
    """A roster output whose customer_id column is numeric (a Spark job's cast, a hand-made
    file) still answers for the id written as text."""
    folder = tmp_path / "out"
    folder.mkdir()
    pd.DataFrame({"customer_id": [7, 8, 9], "rank": [1, 2, 3], "score": [3.0, 2.0, 1.0],
                  "selected": [True, False, False]}).to_parquet(folder / "roster.parquet")
    pd.DataFrame({"customer_id": [7, 8, 9], "owner": ["x", "y", "z"]}).to_parquet(folder / "fields.parquet")
    meta = _meta(folder, "sha-n") | {"roster_places": {"roster": str(folder / "roster.parquet"),
                                                       "fields": str(folder / "fields.parquet")}}
    rest = so.rest_of_base(meta, 1, _selected("7", 3.0))
    assert rest.folder is not None
    assert so.rank_in_roster_out(rest, "8") == 2
    assert so.rank_in_roster_out(rest, "8", owner="y") == 2
    assert so.rank_in_roster_out(rest, "8", owner="x") is None
    assert so.rank_in_roster_out(rest, "nope") is None  # not a number: not there, no error


def _fields_at(folder, cutoff: str) -> None:
    """fields.parquet as a round at ``cutoff`` writes it: days since each last purchase to it."""
    last = pd.to_datetime(["2025-01-10", "2025-03-01", "2025-06-30"])
    pd.DataFrame({"customer_id": ["a", "b", "c"], "owner": ["x", "y", "z"], "last_purchase": last.date,
                  "days_since_last": (pd.Timestamp(cutoff) - last).days}).to_parquet(folder / "fields.parquet")


def test_fields_of_a_later_round_beside_the_rounds_roster_are_not_read_as_its_own(tmp_path):
    """A later round swaps its fields.parquet in before its roster.parquet; one that died between
    the two renames left this round's roster (which its check finds held) beside the later
    round's fields: their owners and profits were read as this round's."""
    folder = tmp_path / "out"
    _roster(folder, ranks=(1, 2, 3))
    meta = _meta(folder, "sha-a") | {"cutoff": "2025-09-30"}
    _fields_at(folder, "2025-09-30")
    rest = so.rest_of_base(meta, 1, _selected("a", 3.0))
    assert so.roster_out_fields(rest, ["b"], ["owner"])["owner"].tolist() == ["y"]
    _fields_at(folder, "2025-12-31")  # the later round's fields alone
    assert rest.folder is not None  # the roster is still this round's
    assert so.roster_out_fields(rest, ["b"], ["owner"]) is None
