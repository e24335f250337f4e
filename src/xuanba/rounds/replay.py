"""Replay a standard over a past period: one round per month, quarter or year end.

Example
-------
>>> [d.isoformat() for d in replay_cutoffs("2025-01-01", "2025-12-31", "quarter")]
['2025-03-31', '2025-06-30', '2025-09-30', '2025-12-31']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from xuanba.errors import InputError, Listed, Phrase, quoted
from xuanba.rounds.diff import compare_rosters
from xuanba.rounds.extra_names import checked_extra_fields, criteria_numbers, extra_field_names
from xuanba.rounds.roster_out import RosterOut, parse_roster_out
from xuanba.rounds.run import (
    Progress,
    Round,
    _as_cutoff,
    as_standard,
    customer_attributes,
    run_round,
)
from xuanba.standard.schema import Standard
from xuanba.workspace import Workspace, open_workspace

EVERY = {"month": "ME", "quarter": "QE", "year": "YE"}


def replay_cutoffs(start: dt.date | str, end: dt.date | str, every: str = "quarter") -> list[dt.date]:
    """The month, quarter or year ends between ``start`` and ``end`` (both inclusive)."""
    if every not in EVERY:
        raise InputError(Phrase("err_option_unknown", option="--every", value=quoted(every)),
                         fix=Phrase("err_use_one_of", names=Listed(EVERY)))
    a, b = _as_cutoff(start), _as_cutoff(end)
    if b < a:
        raise InputError(Phrase("err_to_before_from", to=str(b), start=str(a)), fix=Phrase("err_to_before_from_fix"))
    days = pd.date_range(a, b, freq=EVERY[every])
    if len(days) == 0:
        raise InputError(Phrase("err_no_period_ends", every=Phrase(f"err_every_{every}"), start=str(a), to=str(b)),
                         fix=Phrase("err_no_period_ends_fix"))
    return [d.date() for d in days]


@dataclass
class Replay:
    """The rounds of a replay and a table of how the selection moved from one to the next;
    ``notes``: keys of :mod:`xuanba.i18n` for what the summary leaves unsaid and why."""

    rounds: list[Round]
    summary: pd.DataFrame
    notes: tuple[str, ...] = ()


def replay_rounds(
    workspace: Workspace | str | Path,
    standard: Standard | str | Path,
    start: dt.date | str,
    end: dt.date | str,
    *,
    every: str = "quarter",
    time_unit: str = "week",
    predictions: Callable[[dt.date], pd.DataFrame] | None = None,
    extra_fields: pd.DataFrame | None = None,
    store: bool = True,
    progress: Progress | None = None,
    check_model: bool = True,
) -> Replay:
    """Run the standard at every period end from ``start`` to ``end``; compare each to the last.

    ``predictions`` may be a function of the cutoff returning a predictions table (else the
    standard's model is fitted at each cutoff). ``summary`` has one row per round: cutoff,
    round_id, customers, selected, entered, left, kept, rank_correlation (with the previous).
    ``check_model``: each round checks its model on the year before its cutoff, as
    :func:`~xuanba.rounds.run.run_round` does; ``False``: not (``model_check = "skipped"``), for
    a replay that only wants the selections.
    """
    cutoffs = replay_cutoffs(start, end, every)
    extra_fields = checked_extra_fields(extra_fields)  # names checked before any is used
    rounds: list[Round] = []
    rows = []
    with open_workspace(workspace) as ws:
        std = as_standard(standard, extra_field_names(extra_fields), customer_attributes(ws))
        criteria_numbers(extra_fields, std)  # before any work
        for cut in cutoffs:
            if progress:
                progress(f"round at {cut}")
            preds = predictions(cut) if predictions is not None else None
            rnd = run_round(ws, std, cut, predictions=preds, extra_fields=extra_fields, time_unit=time_unit,
                            name=f"{std.name} v{std.version} replay @ {cut}", store=store,  # type: ignore[arg-type]
                            check_model=check_model)
            row = {"cutoff": cut, "round_id": rnd.round_id, "customers": rnd.meta["n_customers"],
                   "selected": rnd.meta["n_selected"], "entered": None, "left": None, "kept": None,
                   "rank_correlation": None}
            if rounds:
                d = compare_rosters(rounds[-1].roster, rnd.roster, [t.name for t in std.tiers])
                row.update(entered=d.summary["entered"], left=d.summary["left"], kept=d.summary["kept"],
                           rank_correlation=d.rank_correlation)
            rounds.append(rnd)
            rows.append(row)
    summary = pd.DataFrame(rows)
    for col in ("entered", "left", "kept"):
        summary[col] = pd.array(summary[col], dtype="Int64")
    summary["rank_correlation"] = summary["rank_correlation"].astype("float64")
    return Replay(rounds, summary)


def replay_rounds_on_engine(
    transactions: Any,
    standard: Standard | str | Path,
    start: dt.date | str,
    end: dt.date | str,
    *,
    every: str = "quarter",
    time_unit: str = "week",
    workspace: Workspace | str | Path | None = None,
    roster_out: str | Path | RosterOut | None = None,
    roster_replace: bool = False,
    side_tables: Workspace | str | Path | None = None,
    progress: Progress | None = None,
    extra_fields: Any = None,
    check_model: bool = True,
    mapping: Mapping[str, str] | None = None,
) -> Replay:
    """:func:`replay_rounds` on the engine that holds the transactions (an Ibis table, as
    :func:`xuanba.rounds.engine.run_round_on_engine` takes): one engine round per period end,
    each stored in ``workspace`` (when given) as an engine round is (the selected customers), each
    roster written where :meth:`~xuanba.rounds.roster_out.RosterOut.for_cutoff` puts it:
    ``roster_out/<YYYY-MM-DD>/`` for a folder or a URL, the tables ``db.name_<YYYYMMDD>`` and
    ``db.name_<YYYYMMDD>_fields`` for ``table:db.name`` (one table per cutoff, sorting by cutoff;
    one that exists is refused before any round runs unless ``roster_replace``); without
    ``roster_out`` a temporary folder on this machine, removed at the end, on DuckDB; on Spark no
    roster of every customer at all (the executors of a cluster cannot write to the driver's disk):
    the rounds keep their selection, as a round without ``roster_out`` does, and the rank
    correlation is not computed (NaN; ``notes`` says why). Each round lands whole or not at all,
    as one round does (:func:`~xuanba.rounds.roster_out.roster_landing`): a replay that fails at a
    cutoff leaves the earlier cutoffs' rosters (and rounds) whole and nothing of that cutoff's.

    ``summary`` is :func:`replay_rounds`'s: who entered, left and stayed in the selection, and the
    rank correlation over every customer ranked in both rounds, computed from the two rosters
    written (by a private DuckDB for a folder, by the round's Spark for a URL or a table: the
    driver never holds a whole roster). ``extra_fields``: joined to every round's fields, as
    :func:`replay_rounds` joins them. ``check_model``: as for :func:`replay_rounds` (each round's
    model checked on the year before its cutoff; ``False`` spares a replay that only wants the
    selections the check's queries on the engine). ``mapping``: the source's headers, as for
    :func:`~xuanba.rounds.engine.run_round_on_engine`.
    """
    import contextlib
    import tempfile

    from xuanba._frames import to_pandas
    from xuanba.rounds.engine import _backend_of, run_round_on_engine
    from xuanba.rounds.roster_out import checked_roster_out
    from xuanba.rounds.source_check import refuse_roster_out_in_table_source

    cutoffs = replay_cutoffs(start, end, every)
    backend = _backend_of(transactions)
    # said before any round runs: a place the engine cannot write, a cutoff's table there already
    base = parse_roster_out(roster_out, replace=roster_replace)
    refuse_roster_out_in_table_source(transactions, base)
    base = checked_roster_out(base, backend)
    if base is not None and base.kind == "table":
        for cut in cutoffs:
            checked_roster_out(base.for_cutoff(cut), backend)
    extra_fields = checked_extra_fields(to_pandas(extra_fields))  # names checked before any is used
    std = as_standard(standard, extra_field_names(extra_fields),
                      customer_attributes(side_tables if side_tables is not None else workspace))
    criteria_numbers(extra_fields, std)  # before any work
    tiers = [t.name for t in std.tiers]
    rounds: list[Round] = []
    rows = []
    # on Spark, no place this machine picks: a cluster's executors write to their own disks
    unwritten = base is None and getattr(backend, "name", None) == "pyspark"
    with contextlib.ExitStack() as stack:
        if base is None and not unwritten:  # the rosters only for the rank correlation: the rounds do not name them
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="xuanba-replay-"))
            base = RosterOut("folder", folder, temporary=True)
        previous: RosterOut | None = None
        for cut in cutoffs:
            if progress:
                progress(f"round at {cut}")
            target = base.for_cutoff(cut) if base is not None else None
            rnd = run_round_on_engine(transactions, std, cut, workspace=workspace, roster_out=target,
                                      roster_replace=roster_replace,
                                      time_unit=time_unit, name=f"{std.name} v{std.version} replay @ {cut}",
                                      side_tables=side_tables if side_tables is not None else workspace,
                                      extra_fields=extra_fields, check_model=check_model, mapping=mapping)
            row = {"cutoff": cut, "round_id": rnd.round_id, "customers": rnd.meta["n_customers"],
                   "selected": rnd.meta["n_selected"], "entered": None, "left": None, "kept": None,
                   "rank_correlation": None}
            if rounds:
                d = compare_rosters(rounds[-1].roster, rnd.roster, tiers)  # the selections: who entered, left, stayed
                row.update(entered=d.summary["entered"], left=d.summary["left"], kept=d.summary["kept"],
                           rank_correlation=None if previous is None or target is None
                           else _written_rank_correlation(backend, previous, target))
            rounds.append(rnd)
            rows.append(row)
            previous = target
    summary = pd.DataFrame(rows)
    for col in ("entered", "left", "kept"):
        summary[col] = pd.array(summary[col], dtype="Int64")
    summary["rank_correlation"] = summary["rank_correlation"].astype("float64")
    return Replay(rounds, summary, ("replay_spark_no_roster",) if unwritten else ())


def _written_rank_correlation(backend: Any, a: RosterOut, b: RosterOut) -> float:
    """:func:`roster_rank_correlation` of the rosters two rounds wrote at ``a`` and ``b``: a folder
    read by a private DuckDB, a URL or a table by the Spark session of ``backend`` that wrote it."""
    if a.kind == "folder":
        return roster_rank_correlation(Path(a.places()["roster"]), Path(b.places()["roster"]))
    return spark_rank_correlation(backend, a, b)


def spark_rank_correlation(backend: Any, a: RosterOut, b: RosterOut) -> float:
    """:func:`roster_rank_correlation` of two rosters Spark wrote (a URL or a catalog table each),
    computed by the Spark ``backend``: the customers' places among those in both from
    range-partitioned sorts (:func:`~xuanba.standard.engine_spark.sorted_index`, no task holding
    every customer), dropped with the views it reads through when it returns."""
    import math

    from xuanba.rounds.spark import temp_views_dropped
    from xuanba.standard.engine import to_arrow
    from xuanba.standard.engine_spark import kept_for_call, sorted_index

    with temp_views_dropped(backend), kept_for_call():
        ra, rb = (_read_back(backend, x) for x in (a, b))
        ra = ra.select(_id=ra.customer_id.cast("string"), _ra=ra["rank"])
        rb = rb.select(_id2=rb.customer_id.cast("string"), _rb=rb["rank"])
        both = ra.join(rb, ra._id == rb._id2).select("_id", "_ra", "_rb")
        both = sorted_index(both, [both._ra.asc(), both._id.asc()], "_pa")
        both = sorted_index(both, [both._rb.asc(), both._id.asc()], "_pb")
        got = to_arrow(both.aggregate(n=both.count(), r=both._pa.cast("float64").corr(
            both._pb.cast("float64"), how="pop"))).to_pylist()[0]
    r = got["r"]
    if (got["n"] or 0) < 2 or r is None or (isinstance(r, float) and math.isnan(r)):
        return float("nan")
    return float(r)


def _read_back(backend: Any, target: RosterOut) -> Any:
    """The roster Spark wrote at ``target`` as an Ibis table on ``backend``."""
    import uuid

    session = backend._session
    place = target.places()["roster"]
    frame = session.table(target.where) if target.kind == "table" else session.read.parquet(place)
    view = f"_xuanba_read_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(view)
    return backend.table(view)


def roster_rank_correlation(a: str | Path, b: str | Path) -> float:
    """Spearman's correlation of the ranks of the customers ranked in both rosters written as
    Parquet (a file, or a folder of parts), as :func:`xuanba.rounds.diff.compare_rosters` gives it:
    the ranks are unique, so it is Pearson's of the customers' places among those in both. NaN
    with fewer than two such customers or no spread.

    Example
    -------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": ["x", "y", "z"], "rank": [1, 2, 3]}).to_parquet(d / "a.parquet")
    >>> pd.DataFrame({"customer_id": ["y", "x", "w"], "rank": [1, 2, 3]}).to_parquet(d / "b.parquet")
    >>> roster_rank_correlation(d / "a.parquet", d / "b.parquet")
    -1.0
    """
    import math

    import ibis

    con = ibis.duckdb.connect()  # one private DuckDB reads both (Spark wrote a folder of parts)

    def read(path: str | Path) -> Any:
        return con.read_parquet(str(Path(path) / "**" / "*.parquet") if Path(path).is_dir() else str(path))

    ra, rb = read(a), read(b)
    ra = ra.select(_id=ra.customer_id.cast("string"), _ra=ra["rank"])
    rb = rb.select(_id2=rb.customer_id.cast("string"), _rb=rb["rank"])
    both = ra.join(rb, ra._id == rb._id2)
    both = both.mutate(_pa=ibis.row_number().over(ibis.window(order_by=both._ra)).cast("float64"),
                       _pb=ibis.row_number().over(ibis.window(order_by=both._rb)).cast("float64"))
    got = both.aggregate(n=both.count(), r=both._pa.corr(both._pb, how="pop")).to_pyarrow().to_pylist()[0]
    r = got["r"]
    if (got["n"] or 0) < 2 or r is None or (isinstance(r, float) and math.isnan(r)):
        return float("nan")
    return float(r)
