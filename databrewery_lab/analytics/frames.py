"""Metric results: a pandas DataFrame that knows how to draw itself.

Every analytics function returns a :class:`MetricFrame`. It is an ordinary DataFrame for
everything pandas does (indexing, ``.to_csv()``, arithmetic); its ``.plot()`` returns the
plotly Figure made for that metric instead of pandas' generic plot. Frames derived from it
(a slice, a ``groupby`` result) are plain DataFrames, because the figure only describes the
metric's own shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

#: Draws the figure of one metric from its frame.
FigureFactory = Callable[[pd.DataFrame], Any]


class MetricFrame(pd.DataFrame):
    """A DataFrame of one metric, with ``.plot()`` returning its plotly Figure."""

    _metadata: ClassVar[list[str]] = ["metric", "_figure"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def plot(self, **layout: Any) -> Any:  # type: ignore[override]
        """The metric's plotly Figure; keyword arguments go to ``Figure.update_layout``."""
        factory: FigureFactory | None = getattr(self, "_figure", None)
        if factory is None:
            raise TypeError(f"the metric {getattr(self, 'metric', '?')!r} has no figure")
        figure = factory(pd.DataFrame(self))
        if layout:
            figure.update_layout(**layout)
        return figure


def metric_frame(frame: pd.DataFrame, metric: str, figure: FigureFactory) -> MetricFrame:
    """Wrap ``frame`` as the result of ``metric``, drawn by ``figure``."""
    result = MetricFrame(frame)
    result.metric = metric
    result._figure = figure
    return result
