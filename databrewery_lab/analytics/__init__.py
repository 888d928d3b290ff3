"""Analytics over a Brewery's live database, in DuckDB: every metric is a DataFrame with a figure.

    from databrewery_lab.analytics import annotator_throughput, extract_annotations
    annotator_throughput(brewery, "Product review sentiment", since="2026-09-01").plot()
    extract_annotations(brewery, "Product review sentiment").df()   # the ratings table
    brewery.sql("SELECT count(*) FROM task_completion WHERE project_id = $p", p=1)

Every metric takes the same selection (:func:`resolve_scope`): a project or list of
projects, or task ids, a ``since``/``until`` range and annotators.
"""

from __future__ import annotations

from .engine import AnalyticsEngine, AnalyticsUnavailable, PgQuery, QueryRefused
from .extraction import (
    EXTRACTIONS,
    choose_control,
    extract_annotations,
    extract_predictions,
    find_control,
)
from .frames import MetricFrame, metric_frame
from .predictions import (
    pre_annotation_changes,
    prediction_accuracy,
    prediction_calibration,
    prediction_class_metrics,
    prediction_confusion,
)
from .scope import PERIODS, InvalidSelection, Scope, ScopedProject, resolve_scope
from .throughput import (
    active_annotators,
    annotations_over_time,
    annotator_throughput,
    lead_times,
    review_turnaround,
    time_to_finish,
)

__all__ = [
    "EXTRACTIONS",
    "PERIODS",
    "AnalyticsEngine",
    "AnalyticsUnavailable",
    "InvalidSelection",
    "MetricFrame",
    "PgQuery",
    "QueryRefused",
    "Scope",
    "ScopedProject",
    "active_annotators",
    "annotations_over_time",
    "annotator_throughput",
    "choose_control",
    "extract_annotations",
    "extract_predictions",
    "find_control",
    "lead_times",
    "metric_frame",
    "pre_annotation_changes",
    "prediction_accuracy",
    "prediction_calibration",
    "prediction_class_metrics",
    "prediction_confusion",
    "resolve_scope",
    "review_turnaround",
    "time_to_finish",
]
