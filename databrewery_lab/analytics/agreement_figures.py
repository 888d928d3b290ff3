"""The plotly figures of the agreement metrics, one small factory per frame shape.

Pairwise tables draw as a symmetric annotator × annotator heatmap, per-label and
per-annotator tables as bars, per-task tables as a histogram (the spread of agreement is
what review ordering needs to see), and scalar metrics as bars with their confidence
interval when one was asked for. plotly is imported when a figure is drawn, not before:
computing a metric should not pay for the plotting library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .frames import FigureFactory

if TYPE_CHECKING:
    import plotly.graph_objects as go


def scalar_figure(title: str) -> FigureFactory:
    """Bars of ``value`` per ``metric`` row, with the CI as error bars when present."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        import plotly.graph_objects as go

        low = frame["value"] - frame["ci_low"]
        high = frame["ci_high"] - frame["value"]
        has_ci = bool(np.isfinite(frame["ci_low"]).any())
        error: dict[str, Any] | None = (
            {"type": "data", "symmetric": False, "array": high, "arrayminus": low}
            if has_ci
            else None
        )
        bar = go.Bar(x=frame["metric"], y=frame["value"], error_y=error, name=title)
        figure = go.Figure(bar)
        figure.update_layout(title=title, yaxis_title="value", xaxis_title="metric")
        return figure

    return draw


def pair_heatmap(value: str, title: str, zrange: tuple[float, float] | None = (-1.0, 1.0)):
    """Symmetric heatmap of ``value`` over (annotator_a, annotator_b) rows."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        import plotly.graph_objects as go

        names = sorted(set(frame["annotator_a"]).union(frame["annotator_b"]))
        index = {name: i for i, name in enumerate(names)}
        matrix = np.full((len(names), len(names)), np.nan)
        rows = frame["annotator_a"].map(index).to_numpy(dtype=np.int64)
        cols = frame["annotator_b"].map(index).to_numpy(dtype=np.int64)
        matrix[rows, cols] = frame[value].to_numpy(dtype=float)
        matrix[cols, rows] = frame[value].to_numpy(dtype=float)
        labels = [str(name) for name in names]
        heat = go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            colorscale="RdBu",
            name=value,
            zmin=None if zrange is None else zrange[0],
            zmax=None if zrange is None else zrange[1],
            colorbar={"title": value},
        )
        figure = go.Figure(heat)
        figure.update_layout(
            title=title,
            xaxis={"title": "annotator", "type": "category"},
            yaxis={"title": "annotator", "type": "category", "autorange": "reversed"},
        )
        return figure

    return draw


def bar_figure(x: str, y: str, title: str) -> FigureFactory:
    """One bar of ``y`` per ``x`` (a label, an annotator)."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        import plotly.graph_objects as go

        bar = go.Bar(x=frame[x].astype(str), y=frame[y], name=y)
        figure = go.Figure(bar)
        figure.update_layout(title=title, xaxis={"title": x, "type": "category"}, yaxis_title=y)
        return figure

    return draw


def histogram_figure(column: str, title: str) -> FigureFactory:
    """Histogram of ``column`` over the rows (tasks)."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        import plotly.graph_objects as go

        histogram = go.Histogram(x=frame[column].dropna(), name=column)
        figure = go.Figure(histogram)
        figure.update_layout(title=title, xaxis_title=column, yaxis_title="tasks")
        return figure

    return draw
