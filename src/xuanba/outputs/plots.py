"""The plots a customer-base analyst expects, as Plotly figures (a notebook shows them; the report
and the web pages can embed them).

A model's fit: :func:`period_transactions` (customers by number of repeat purchases, model
against actual), :func:`calibration_holdout_plot` (holdout purchases by calibration frequency),
:func:`purchases_over_time` (cumulative or per-period repeat purchases, the calibration end
marked). A model's predictions: :func:`probability_alive_grid` and
:func:`expected_purchases_grid` over frequency × recency, :func:`customer_history` (one
customer's purchases and P(alive) day by day). A round: :func:`value_potential` and
:func:`migration` (the report's own charts, from :mod:`xuanba.outputs.charts`). A backtest:
:func:`value_captured` (each method's share of the next horizon's revenue, cutoff by cutoff).

Example
-------
>>> import pandas as pd
>>> from xuanba.models import BGNBD
>>> m = BGNBD(); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
>>> fig = probability_alive_grid(m, T=39, max_frequency=5, points=4)
>>> fig.data[0].type, len(fig.data[0].y), len(fig.data[0].x)
('heatmap', 6, 4)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from xuanba._dates import as_date, check_unit, unit_days
from xuanba.errors import DataError, InputError, Phrase, quoted
from xuanba.outputs import charts
from xuanba.outputs.i18n import t

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from xuanba.models.evaluate import Evaluation
    from xuanba.rounds.backtest import Backtest
    from xuanba.rounds.diff import RoundDiff
    from xuanba.rounds.run import Round

ACTUAL = "#37474f"
MODEL = "#1565c0"
FREQUENCY_CAP = 7
"""Frequencies at or above this are pooled into one bar ("7+"), as in the published figures."""


def _unit(model: Any, time_unit: str | None) -> str:
    return check_unit(time_unit or getattr(model, "time_unit", None) or "week", "time_unit")


def _model_label(model: Any, lang: str) -> str:
    return t("plot_model", lang, model=type(model).__name__)


# -- a model's fit --------------------------------------------------------------------------------
def period_transactions(model: Any, facts: Any, *, max_frequency: int = FREQUENCY_CAP,
                        lang: str = "en") -> go.Figure:
    """Customers by number of repeat purchases: the actual counts in ``facts`` against what
    ``model`` expects for customers of the same ages (``T``).

    The model's count of ``k`` is the sum over customers of P(X(T) = k), computed once per
    distinct ``T``; frequencies of ``max_frequency`` and more share the last bar.

    Parameters
    ----------
    model
        A fitted purchase model with ``probability_purchases(n, t)`` (BG/NBD, MBG/NBD, Pareto/NBD).
    facts
        The table it was fitted on (``frequency``, ``T``), pandas, polars or Arrow.

    Example
    -------
    >>> fig = period_transactions(fitted_model, facts)  # doctest: +SKIP
    >>> [tr.name for tr in fig.data]  # doctest: +SKIP
    ['actual', 'model (BGNBD)']
    """
    import plotly.graph_objects as go

    from xuanba.models._base import as_frame

    frame = as_frame(facts, name="the facts")
    freq = frame["frequency"].to_numpy(dtype=float)
    ages, per_age = np.unique(np.round(frame["T"].to_numpy(dtype=float), 9), return_counts=True)
    ks = np.arange(max_frequency)
    expected = np.zeros(max_frequency + 1)
    for age, n in zip(ages, per_age, strict=True):
        probs = np.asarray(model.probability_purchases(ks, float(age)), dtype=float)
        expected[:max_frequency] += n * probs
        expected[max_frequency] += n * max(0.0, 1.0 - probs.sum())
    actual = np.bincount(np.minimum(freq, max_frequency).astype(int), minlength=max_frequency + 1)
    labels = [str(k) for k in ks] + [f"{max_frequency}+"]
    fig = go.Figure([
        go.Bar(x=labels, y=actual, name=t("actual", lang), marker_color=ACTUAL,
               hovertemplate="%{x}: %{y:,}<extra></extra>"),
        go.Bar(x=labels, y=expected, name=_model_label(model, lang), marker_color=MODEL,
               hovertemplate="%{x}: %{y:,.1f}<extra></extra>"),
    ])
    fig.update_layout(barmode="group")
    charts._layout(fig, t("plot_period_title", lang), t("plot_period_x", lang), t("plot_period_y", lang))
    fig.update_xaxes(tickformat=None, type="category")
    return fig


def calibration_holdout_plot(evaluation: Evaluation, model: str | None = None, *, lang: str = "en") -> go.Figure:
    """Mean holdout purchases by calibration frequency, actual against ``model`` (default the
    best of the evaluation): the check a round's report shows, from :func:`xuanba.evaluate`.

    Example
    -------
    >>> ev = xuanba.evaluate(tx, "1997-09-30", "1998-06-30", models=["bgnbd"])  # doctest: +SKIP
    >>> calibration_holdout_plot(ev).data[1].y  # doctest: +SKIP
    """
    name = model or evaluation.best
    table = evaluation.by_frequency
    if name not in table.columns:
        raise InputError(Phrase("err_evaluation_no_model", name=quoted(name)),
                         fix=Phrase("err_use_one_of_list", names=str(list(evaluation.comparison.index))))
    frame = pd.DataFrame({"bucket": [str(i) for i in table.index], "actual": table["actual"].to_numpy(),
                          "predicted": table[name].to_numpy()})
    return charts.holdout_chart(frame, lang=lang)


def purchases_over_time(evaluation: Evaluation, *, cumulative: bool = True, lang: str = "en") -> go.Figure:
    """Repeat purchases period by period (``cumulative=False``) or added up, actual against each
    model of ``evaluation`` (from :func:`xuanba.evaluate`), with the calibration end marked.

    Example
    -------
    >>> fig = purchases_over_time(ev, cumulative=True)  # doctest: +SKIP
    """
    import plotly.graph_objects as go

    curve = evaluation.cumulative
    if curve is None:
        raise DataError(Phrase("err_evaluation_no_periods"), fix=Phrase("err_evaluation_no_periods_fix"))
    unit = t(f"unit_{evaluation.time_unit}", lang)
    suffix = "_cumulative" if cumulative else ""
    x = pd.to_datetime(curve["period_end"])
    fig = go.Figure([go.Scatter(x=x, y=curve[f"actual{suffix}"], name=t("actual", lang), mode="lines",
                                line={"color": ACTUAL, "width": 2})])
    for i, name in enumerate(evaluation.models):
        fig.add_trace(go.Scatter(x=x, y=curve[f"{name}{suffix}"], mode="lines", name=t("plot_model", lang, model=name),
                                 line={"dash": "dash", "color": charts.QUADRANT_COLOURS[i % len(charts.QUADRANT_COLOURS)]}))
    end = pd.Timestamp(evaluation.calibration_end)
    fig.add_shape(type="line", x0=end, x1=end, y0=0, y1=1, yref="paper", line={"dash": "dot", "color": charts.GREY})
    fig.add_annotation(x=end, y=1, yref="paper", text=t("plot_calibration_end", lang), showarrow=False,
                       xanchor="left", yanchor="bottom")
    title = t("plot_cumulative_title", lang) if cumulative else t("plot_incremental_title", lang, unit=unit)
    charts._layout(fig, title, t("plot_time_x", lang, unit=unit), t("plot_purchases_y", lang))
    fig.update_xaxes(tickformat=None)
    return fig


# -- a model's predictions ----------------------------------------------------------------------
def _grid(model: Any, T: float, max_frequency: int, points: int,
          predict: Callable[[pd.DataFrame], Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``predict`` over frequency 0..max_frequency × recency (``points`` values in [0, T]); a
    customer without a repeat purchase has recency 0 whatever the column."""
    if T <= 0 or max_frequency < 1 or points < 2:
        raise InputError(Phrase("err_grid"), fix=Phrase("err_grid_fix"))
    freq = np.arange(max_frequency + 1)
    rec = np.linspace(0.0, float(T), points)
    f, r = np.meshgrid(freq, rec, indexing="ij")
    r = np.where(f == 0, 0.0, r)
    table = pd.DataFrame({"frequency": f.ravel(), "recency": r.ravel(), "T": float(T)})
    values = predict(table)
    z = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values, dtype=float).reshape(f.shape)
    return freq, rec, z


def _heatmap(freq: np.ndarray, rec: np.ndarray, z: np.ndarray, title: str, unit: str, lang: str) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure(go.Heatmap(z=z, x=rec, y=freq, colorscale="Blues",
                               hovertemplate="f = %{y}, r = %{x:.1f}: %{z:.3f}<extra></extra>"))
    charts._layout(fig, title, t("plot_recency_x", lang, unit=unit), t("plot_frequency_y", lang))
    return fig


def probability_alive_grid(model: Any, T: float, *, max_frequency: int = 20, points: int = 40,
                           time_unit: str | None = None, lang: str = "en") -> go.Figure:
    """P(alive) of a customer of age ``T`` for each frequency (rows) and recency (columns): the
    classic view that a long silence after many purchases means a lost customer."""
    unit = t(f"unit_{_unit(model, time_unit)}", lang)
    freq, rec, z = _grid(model, T, max_frequency, points, model.probability_alive)
    return _heatmap(freq, rec, z, t("plot_alive_title", lang, T=float(T), unit=unit), unit, lang)


def expected_purchases_grid(model: Any, T: float, t_ahead: float, *, max_frequency: int = 20, points: int = 40,
                            time_unit: str | None = None, lang: str = "en") -> go.Figure:
    """Expected purchases in the next ``t_ahead`` units of a customer of age ``T``, for each
    frequency (rows) and recency (columns)."""
    unit = t(f"unit_{_unit(model, time_unit)}", lang)
    freq, rec, z = _grid(model, T, max_frequency, points, lambda tab: model.expected_purchases(tab, t_ahead))
    return _heatmap(freq, rec, z, t("plot_expected_title", lang, t=float(t_ahead), unit=unit), unit, lang)


def history_table(purchase_days: Sequence[dt.date], end: dt.date, time_unit: str) -> pd.DataFrame:
    """One row per day from the first purchase to ``end``: the customer's ``frequency``,
    ``recency`` and ``T`` as the facts would give them on that day (purchases of one day count
    once).

    Example
    -------
    >>> import datetime as dt
    >>> h = history_table([dt.date(2026, 1, 1), dt.date(2026, 1, 8)], dt.date(2026, 1, 15), "week")
    >>> h.iloc[[0, 7, 14]][["frequency", "recency", "T"]].to_dict("list")
    {'frequency': [0, 1, 1], 'recency': [0.0, 1.0, 1.0], 'T': [0.0, 1.0, 2.0]}
    """
    days = np.array(sorted({np.datetime64(d, "D") for d in purchase_days}))
    if len(days) == 0:
        raise DataError(Phrase("err_customer_no_purchase"), fix=Phrase("err_customer_no_purchase_fix"))
    first = days[0]
    grid = np.arange(first, np.datetime64(end, "D") + 1)
    bought = np.searchsorted(days, grid, side="right")  # purchase days on or before each day
    unit = unit_days(time_unit)
    last = days[bought - 1]
    return pd.DataFrame({
        "day": grid.astype("datetime64[ns]"),
        "frequency": bought - 1,
        "recency": (last - first).astype(float) / unit,
        "T": (grid - first).astype(float) / unit,
        "purchase": np.isin(grid, days),
    })


def customer_history(model: Any, transactions: Any, customer_id: str, *, end: dt.date | str | None = None,
                     time_unit: str | None = None, lang: str = "en") -> go.Figure:
    """One customer's purchases and P(alive) day by day, from the first purchase to ``end``
    (default the last transaction in the data), as ``model`` sees it.

    Parameters
    ----------
    model
        A fitted purchase model (its unit of time is used unless ``time_unit`` is given).
    transactions
        A :class:`~xuanba.Workspace` or a transactions table (``customer_id``, ``ts``, ``amount``).
    customer_id
        The customer.

    Example
    -------
    >>> fig = customer_history(model, ws, "C00012", end="2026-06-30")  # doctest: +SKIP
    """
    import plotly.graph_objects as go

    from xuanba.facts.compute import _execute, transactions_table
    from xuanba.facts.expressions import purchase_days

    unit = _unit(model, time_unit)
    tx = transactions_table(transactions)
    mine = tx.filter(tx.customer_id.cast("string") == str(customer_id))
    if end is None:
        last = _execute(mine.aggregate(last=mine.ts.max()), transactions)["last"].iloc[0]
        if pd.isna(last):
            raise DataError(Phrase("err_customer_no_transaction", customer=quoted(customer_id)), examples=[customer_id],
                            fix=Phrase("err_check_customer_id_fix"))
        end_d = pd.Timestamp(last).date()
    else:
        end_d = as_date(end, "end")
    days = purchase_days(mine, end_d)
    bought = _execute(days.filter(days.is_purchase).select("day"), transactions)["day"]
    table = history_table([pd.Timestamp(d).date() for d in bought], end_d, unit)
    alive = np.asarray(model.probability_alive(table[["frequency", "recency", "T"]]), dtype=float)
    buys = table["purchase"].to_numpy()
    label = charts.plain(customer_id)
    fig = go.Figure([
        go.Scatter(x=table["day"], y=alive, mode="lines", name=t("plot_p_alive", lang),
                   line={"color": MODEL, "width": 2}, hovertemplate="%{x|%Y-%m-%d}: %{y:.3f}<extra></extra>"),
        go.Scatter(x=table["day"][buys], y=alive[buys], mode="markers", name=t("plot_purchase", lang),
                   marker={"color": "#c62828", "size": 8, "symbol": "circle"},
                   hovertemplate="%{x|%Y-%m-%d}<extra></extra>"),
    ])
    charts._layout(fig, t("plot_history_title", lang, id=label), t("plot_history_x", lang), t("plot_p_alive", lang))
    fig.update_xaxes(tickformat=None)
    fig.update_yaxes(range=[0, 1.05])
    return fig


# -- a round -------------------------------------------------------------------------------------
def value_potential(rnd: Round, *, lang: str | None = None, max_points: int = 20_000) -> go.Figure:
    """The round's customers on value × potential, one colour per quadrant: the report's chart
    (:func:`xuanba.outputs.charts.quadrant_scatter`), for a notebook."""
    lang = lang or rnd.standard.lang
    q, roster = rnd.standard.quadrants, rnd.roster
    if not {"value_score", "potential_score"} <= set(roster.columns):
        raise DataError(Phrase("err_no_value_potential"), fix=Phrase("err_no_value_potential_fix"))
    names = roster["quadrant"].replace("", np.nan).dropna().unique() if "quadrant" in roster.columns else []
    fig, _ = charts.quadrant_scatter(roster, lang=lang, max_points=max_points,
                                     quadrant_labels={str(n): q.label(str(n)) for n in names},
                                     thresholds=(q.value_threshold, q.potential_threshold))
    return fig


def migration(diff: RoundDiff, *, lang: str = "en") -> go.Figure:
    """The tier migration of a diff as a heatmap with counts (rows: round A, columns: round B):
    the report's chart (:func:`xuanba.outputs.charts.migration_heatmap`)."""
    return charts.migration_heatmap(diff.migration, prev=str(diff.a), cur=str(diff.b), lang=lang)


# -- a backtest ----------------------------------------------------------------------------------
def value_captured(bt: Backtest, *, lang: str | None = None) -> go.Figure:
    """Share of the next horizon's revenue each method's selection brought, cutoff by cutoff: the
    standard, the ranked baselines, and random selection's mean with its 90% band shaded.

    Example
    -------
    >>> fig = value_captured(xuanba.backtest(ws, "standard.toml", "2024-01-01", "2025-12-31"))  # doctest: +SKIP
    """
    import plotly.graph_objects as go

    lang = lang or bt.standard.lang
    table = bt.cutoffs
    fig = go.Figure()
    if "random" in set(table["method"]):
        r = table.loc[table["method"] == "random"]
        x = pd.to_datetime(r["cutoff"])
        fig.add_trace(go.Scatter(x=x, y=r["revenue_captured_hi"], mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=r["revenue_captured_lo"], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor="rgba(120,120,120,0.2)", name=t("bt_band", lang), hoverinfo="skip"))
    for i, method in enumerate(dict.fromkeys(table["method"])):
        part = table.loc[table["method"] == method]
        own = method == "standard"
        colour = MODEL if own else (charts.GREY if method == "random" else
                                    charts.QUADRANT_COLOURS[i % len(charts.QUADRANT_COLOURS)])
        fig.add_trace(go.Scatter(x=pd.to_datetime(part["cutoff"]), y=part["revenue_captured"], mode="lines+markers",
                                 name=t(f"bt_method_{method}", lang),
                                 line={"color": colour, "width": 3 if own else 1.5, "dash": None if own else "dash"},
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:.1%}<extra></extra>"))
    charts._layout(fig, t("bt_title_cutoffs", lang), t("nb_cutoff", lang), t("bt_captured", lang))
    fig.update_xaxes(tickformat=None)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig

