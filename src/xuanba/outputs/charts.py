"""Plotly figures of a round, built from tables. Every figure has a title and axis labels with
units; the reading line beside it is written by :mod:`xuanba.outputs.report`.

Example
-------
>>> import pandas as pd
>>> fig = score_histogram(pd.DataFrame({"score": [10.0, 55.0, 80.0], "tier": ["", "b", "a"]}),
...                       tier_order=["a", "b", ""], tier_labels={"a": "A", "b": "B", "": "none"})
>>> fig.layout.xaxis.title.text
'Score (0–100)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xuanba.outputs.i18n import t, with_unit

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colours of tiers from the highest down; "not selected" is grey.
TIER_COLOURS = ("#1b5e20", "#2e7d32", "#43a047", "#7cb342", "#c0ca33", "#fdd835", "#fb8c00")
GREY = "#9e9e9e"
QUADRANT_COLOURS = ("#1565c0", "#2e7d32", "#ef6c00", "#8e24aa", "#6d4c41", "#00838f")
#: Scatters with more points than this are drawn with WebGL (canvas) instead of SVG.
WEBGL_ABOVE = 5_000
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'



def plain(text: object) -> str:
    """Text for a chart label: Plotly draws a subset of HTML in labels (``<a href>``, ``<b>``), so
    ids and labels from the data are escaped and show as written.

    Example
    -------
    >>> plain('<a href="http://x">y</a>')
    '&lt;a href="http://x"&gt;y&lt;/a&gt;'
    """
    import html

    return html.escape(str(text), quote=False)


def plain_all(values: pd.Series) -> np.ndarray:
    """:func:`plain` of every value of a column."""
    return np.array([plain(v) for v in values.astype(str).tolist()], dtype=object)

def text_width(text: str, size: float = 13) -> float:
    """A rough width in pixels of ``text`` at font ``size`` (CJK characters are square, others
    about 0.55 em): enough to tell whether an axis title fits beside its axis."""
    import unicodedata

    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.55 * size for ch in text)


def fit_title(text: str, room: float, size: float = 13) -> str:
    """``text`` broken into two lines (Plotly's ``<br>``) at the space or bracket nearest its middle
    when it is wider than ``room`` pixels, so a y-axis title stays beside its axis instead of
    running into the chart's title.

    Example
    -------
    >>> fit_title("Profit after cost-to-serve, last 365 days (¥ CNY)", 200)
    'Profit after cost-to-serve,<br>last 365 days (¥ CNY)'
    >>> fit_title("Customers", 200)
    'Customers'
    """
    if text_width(text, size) <= room:
        return text
    mid = len(text) / 2
    cuts = [i for i, ch in enumerate(text) if ch in " （(，,"]
    if not cuts:
        cuts = [int(mid)]
    i = min(cuts, key=lambda k: abs(k - mid))
    if text[i] == " ":
        return text[:i] + "<br>" + text[i + 1:]
    if text[i] in "，,":
        return text[:i + 1] + "<br>" + text[i + 1:].lstrip()
    return text[:i] + "<br>" + text[i:]


def _layout(fig: go.Figure, title: str, x: str, y: str, *, height: int = 420) -> go.Figure:
    y = fit_title(y, height - 130)  # the plot area's height: the y title is drawn along it
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        separators=".,",
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.18},
    )
    fig.update_xaxes(title_text=x, tickformat=",~r")
    fig.update_yaxes(title_text=y, tickformat=",~r")
    return fig


def tier_colours(tier_order: Sequence[str]) -> dict[str, str]:
    """A colour per tier in ``tier_order`` (highest first); ``""`` (not selected) is grey."""
    named = [x for x in tier_order if x != ""]
    out = {name: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, name in enumerate(named)}
    out[""] = GREY
    return out


def tier_bars(
    by_tier: pd.DataFrame, *, lang: str = "en", value_label: str = "Value", currency: str = ""
) -> go.Figure:
    """Two bar panels: customers per tier and value per tier.

    ``by_tier`` has ``tier`` (key), ``label``, ``count`` and ``value``, in display order.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    colours = tier_colours(list(by_tier["tier"]))
    col = [colours[x] for x in by_tier["tier"]]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14)
    fig.add_trace(go.Bar(x=by_tier["label"], y=by_tier["count"], marker_color=col, showlegend=False,
                         hovertemplate="%{x}: %{y:,}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=by_tier["label"], y=by_tier["value"], marker_color=col, showlegend=False,
                         hovertemplate="%{x}: %{y:,.0f}<extra></extra>"), row=1, col=2)
    _layout(fig, t("tiers_title", lang), t("tier_axis", lang), t("tiers_count_axis", lang))
    fig.update_xaxes(title_text=t("tier_axis", lang), tickformat=None)
    fig.update_yaxes(title_text=fit_title(with_unit(value_label, currency, lang), 420 - 130), row=1, col=2)
    return fig


def stratified_sample(frame: pd.DataFrame, by: Sequence[str], max_points: int, *, seed: int = 0) -> pd.DataFrame:
    """At most ``max_points`` rows, drawn within each group of ``by`` in proportion to its size
    (every non-empty group keeps at least one row, so small groups stay visible).

    Example
    -------
    >>> df = pd.DataFrame({"g": ["a"] * 90 + ["b"] * 10, "x": range(100)})
    >>> stratified_sample(df, ["g"], 20)["g"].value_counts().to_dict()
    {'a': 18, 'b': 2}
    """
    if len(frame) <= max_points:
        return frame
    rng = np.random.default_rng(seed)
    groups = frame.groupby(list(by), sort=True, observed=True, dropna=False).indices
    sizes = {k: len(v) for k, v in groups.items()}
    total = sum(sizes.values())
    keep = []
    for k, idx in groups.items():
        m = max(1, int(np.floor(max_points * sizes[k] / total)))
        keep.append(np.sort(rng.choice(idx, size=min(m, len(idx)), replace=False)))
    return frame.iloc[np.sort(np.concatenate(keep))]


def quadrant_scatter(
    roster: pd.DataFrame,
    *,
    lang: str = "en",
    max_points: int = 20_000,
    seed: int = 0,
    quadrant_labels: Mapping[str, str] | None = None,
    thresholds: tuple[float | None, float | None] = (None, None),
    hover: Callable[[pd.Series], np.ndarray] | None = None,
) -> tuple[go.Figure, int]:
    """Value score × potential score, one colour per quadrant, each quadrant named where its
    customers sit. Big rosters are stratified-sampled (quadrant × tier) to ``max_points``.

    Above :data:`WEBGL_ABOVE` points the scatter is drawn with WebGL.
    ``thresholds`` (value, potential) draws the quadrant borders of the standard.
    ``hover`` turns the drawn points' ids into their hover text (e.g. "name (id)"); default the id.
    Returns the figure and the number of points drawn.
    """
    import plotly.graph_objects as go

    cols = ["customer_id", "value_score", "potential_score", "quadrant", "tier"]
    data = roster[[c for c in cols if c in roster.columns]]
    strata = [c for c in ("quadrant", "tier") if c in data.columns]
    shown = stratified_sample(data, strata, max_points, seed=seed) if strata else data.head(max_points)
    # SVG draws a few thousand points quickly; beyond that WebGL (a canvas) keeps the page fast
    kind = go.Scattergl if len(shown) > WEBGL_ABOVE else go.Scatter
    fig = go.Figure()
    hover_text = pd.Series(hover(shown["customer_id"]) if hover is not None else shown["customer_id"].to_numpy(),
                           index=shown.index)
    names = sorted(data["quadrant"].dropna().unique()) if "quadrant" in data.columns else []
    labels = dict(quadrant_labels or {})
    for i, q in enumerate(names):
        part = shown[shown["quadrant"] == q]
        fig.add_trace(kind(
            x=part["value_score"].to_numpy(float), y=part["potential_score"].to_numpy(float),
            mode="markers", name=plain(labels.get(q, q)), text=plain_all(hover_text.loc[part.index]),
            marker={"size": 4, "opacity": 0.55, "color": QUADRANT_COLOURS[i % len(QUADRANT_COLOURS)]},
            hovertemplate="%{text}<br>%{x:.1f} × %{y:.1f}<extra>" + plain(labels.get(q, q)) + "</extra>",
        ))
        full = data.loc[data["quadrant"] == q, ["value_score", "potential_score"]]
        fig.add_annotation(
            x=float(full["value_score"].median()), y=float(full["potential_score"].median()),
            text=f"<b>{plain(labels.get(q, q))}</b>", showarrow=False, bgcolor="rgba(255,255,255,0.8)",
            font={"size": 14},
        )
    if not names:
        fig.add_trace(go.Scatter(x=shown["value_score"], y=shown["potential_score"], mode="markers",
                                 marker={"size": 4}))
    vx, py = thresholds
    if vx is not None:
        fig.add_vline(x=float(vx), line_dash="dot", line_color=GREY)
    if py is not None:
        fig.add_hline(y=float(py), line_dash="dot", line_color=GREY)
    _layout(fig, t("quadrant_title", lang), t("value_axis", lang), t("potential_axis", lang), height=520)
    fig.update_layout(legend={"itemsizing": "constant"})  # legend dots readable, not the 4 px of the points
    fig.update_xaxes(range=[-2, 102])
    fig.update_yaxes(range=[-2, 102])
    return fig, len(shown)


def thin_curve(curve: pd.DataFrame, max_points: int = 2_000) -> pd.DataFrame:
    """Every k-th point of a curve, keeping the first, the last and the highest point."""
    n = len(curve)
    if n <= max_points:
        return curve
    idx = np.unique(np.concatenate([
        np.linspace(0, n - 1, max_points).round().astype(int),
        [int(curve["profit_pct"].to_numpy().argmax())],
    ]))
    return curve.iloc[idx]


def whale_chart(curve: pd.DataFrame, peak: Mapping[str, float | int | str], *, lang: str = "en") -> go.Figure:
    """The whale curve (``customer_pct`` × ``profit_pct``) with its peak marked."""
    import plotly.graph_objects as go

    thin = thin_curve(curve)
    x = np.concatenate([[0.0], thin["customer_pct"].to_numpy(float)])
    y = np.concatenate([[0.0], thin["profit_pct"].to_numpy(float)])
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line={"color": "#1565c0", "width": 2},
                               showlegend=False, hovertemplate="%{x:.1f}% → %{y:.1f}%<extra></extra>"))
    fig.add_hline(y=100, line_dash="dot", line_color=GREY)
    fig.add_trace(go.Scatter(x=[peak["customer_pct"]], y=[peak["profit_pct"]], mode="markers+text",
                             marker={"size": 10, "color": "#c62828"}, showlegend=False,
                             text=[f"{t('whale_peak', lang)} {float(peak['profit_pct']):,.1f}%"],
                             textposition="top right"))
    return _layout(fig, t("whale_title", lang), t("whale_x", lang), t("whale_y", lang))


def score_histogram(
    roster: pd.DataFrame,
    *,
    tier_order: Sequence[str],
    tier_labels: Mapping[str, str],
    lang: str = "en",
    counts: Mapping[str, Sequence[int]] | None = None,
) -> go.Figure:
    """Customers per score bin (0–100, :data:`~xuanba.rounds.summary.SCORE_BINS` bins), stacked by
    tier. Bins are counted here (:func:`~xuanba.rounds.summary.score_bins`) unless ``counts``
    gives each tier's bins as a round stored them; the file holds counts, not one number per
    customer."""
    import plotly.graph_objects as go

    from xuanba.rounds.summary import SCORE_BINS, score_bins

    bins = SCORE_BINS
    edges = np.linspace(0, 100, bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    colours = tier_colours(tier_order)
    fig = go.Figure()
    for tier in reversed(list(tier_order)):
        if counts is not None:
            per = np.asarray(counts.get(tier) or [0] * bins, dtype=np.int64)
        else:
            per = np.asarray(score_bins(roster.loc[roster["tier"] == tier, "score"].to_numpy(float)), dtype=np.int64)
        if not per.sum():
            continue  # an empty tier gets no legend entry and no bars
        fig.add_trace(go.Bar(x=mids, y=per, width=100 / bins, name=tier_labels.get(tier, tier),
                             marker_color=colours.get(tier, GREY),
                             hovertemplate="%{x:.0f}: %{y:,}<extra>" + tier_labels.get(tier, tier) + "</extra>"))
    fig.update_layout(barmode="stack", bargap=0)
    return _layout(fig, t("score_title", lang), t("score_x", lang), t("score_y", lang))


def movers_chart(movers: pd.DataFrame, *, prev: str, lang: str = "en") -> go.Figure:
    """Horizontal bars of rank change (positive = rose) of the biggest movers.

    ``movers`` has ``customer_id`` and ``rank_change`` (and ``label``, "name (id)", when known).
    """
    import plotly.graph_objects as go

    m = movers.sort_values("rank_change")
    colours = np.where(m["rank_change"].to_numpy() >= 0, "#2e7d32", "#c62828")
    names = m["label"] if "label" in m.columns else m["customer_id"]
    fig = go.Figure(go.Bar(x=m["rank_change"], y=plain_all(names), orientation="h",
                           marker_color=colours, hovertemplate="%{y}: %{x:+,}<extra></extra>"))
    _layout(fig, t("movers_title", lang, prev=prev), t("movers_x", lang), t("customer", lang),
            height=max(320, 22 * len(m) + 120))
    fig.update_yaxes(tickformat=None, type="category", automargin=True)  # names are longer than ids
    return fig


def migration_heatmap(
    migration: pd.DataFrame, *, prev: str, cur: str, lang: str = "en"
) -> go.Figure:
    """Tier × tier counts (rows: previous round, columns: this round) as a heatmap with numbers."""
    import plotly.graph_objects as go

    z = migration.to_numpy(float)
    text = [[f"{int(v):,}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in migration.columns], y=[str(i) for i in migration.index],
        text=text, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
    ))
    _layout(fig, t("migration_title", lang, prev=prev, cur=cur), t("migration_x", lang, cur=cur),
            t("migration_y", lang, prev=prev))
    fig.update_xaxes(tickformat=None, type="category", side="bottom")
    fig.update_yaxes(tickformat=None, type="category", autorange="reversed")
    return fig


def holdout_chart(holdout: pd.DataFrame, *, lang: str = "en") -> go.Figure:
    """Actual vs predicted holdout purchases by calibration frequency (``bucket``, ``actual``,
    ``predicted``), the usual check of a customer-base model."""
    import plotly.graph_objects as go

    x = holdout["bucket"].astype(str)
    fig = go.Figure([
        go.Scatter(x=x, y=holdout["actual"], name=t("actual", lang), mode="lines+markers"),
        go.Scatter(x=x, y=holdout["predicted"], name=t("predicted", lang), mode="lines+markers",
                   line={"dash": "dash"}),
    ])
    _layout(fig, t("model_title", lang), t("model_x", lang), t("model_y", lang))
    fig.update_xaxes(tickformat=None, type="category")
    return fig


def rank_history_figure(history: pd.DataFrame, *, lang: str = "en") -> dict:
    """One customer's rank in each stored round (``round_id, cutoff, rank, tier``) as a Plotly
    figure spec (a plain dict, for a page to draw with Plotly's script): best at the top, each
    point labelled with its tier. Written as a dict, not through ``plotly.graph_objects``, because
    a page draws one per request and building a validated figure takes a tenth of a second.

    Example
    -------
    >>> h = pd.DataFrame({"round_id": [1, 2], "cutoff": ["2026-03-31", "2026-06-30"], "rank": [9, 4],
    ...                   "tier": ["", "gold"]})
    >>> f = rank_history_figure(h)
    >>> f["data"][0]["y"], f["data"][0]["text"], f["layout"]["yaxis"]["autorange"]
    ([9.0, 4.0], ['–', 'gold'], 'reversed')
    """
    x = [f"{int(r)} · {str(c)[:10]}" for r, c in zip(history["round_id"], history["cutoff"], strict=True)]
    tiers = [plain(v) if str(v) not in ("", "None", "nan") else "–" for v in history["tier"]]
    y = [float(v) for v in history["rank"]]
    axis = {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8", "automargin": True}
    return {
        "data": [{"type": "scatter", "x": x, "y": y, "mode": "lines+markers+text", "text": tiers,
                  "textposition": "top center", "line": {"color": "#1565c0"}, "showlegend": False,
                  "hovertemplate": "%{x}: %{y:,}<extra></extra>"}],
        "layout": {"title": {"text": t("history_title", lang), "x": 0.01, "xanchor": "left"}, "separators": ".,",
                   "font": {"family": FONT, "size": 13}, "height": 320, "paper_bgcolor": "white",
                   "plot_bgcolor": "white", "margin": {"l": 70, "r": 30, "t": 60, "b": 60},
                   "xaxis": {**axis, "type": "category", "title": {"text": t("history_x", lang)}},
                   "yaxis": {**axis, "autorange": "reversed", "tickformat": ",~r",
                             "title": {"text": t("history_y", lang)}}},
    }
