"""Analytics over a Brewery's live database, in DuckDB: every metric is a DataFrame with a figure.

    from databrewery_lab import analytics as dba
    ratings = dba.extract_annotations(brewery, "Product review sentiment")  # one control
    dba.krippendorff_alpha(ratings), dba.cohen_kappa_matrix(ratings).plot()
    dba.annotator_throughput(brewery, "Product review sentiment", since="2026-09-01").plot()
    dba.prediction_accuracy(brewery, "Product review sentiment", against="consensus")
    dba.project_summaries(brewery, organization="Northwind Labs")
    brewery.sql("SELECT count(*) FROM task_completion WHERE project_id = $p", p=1)

Every metric takes the same selection (:func:`resolve_scope`): a project or list of
projects, or task ids, a ``since``/``until`` range and annotators; the manager metrics
(summaries, billing, workforce, :func:`overview`) also take organizations and workspaces.
"""

from __future__ import annotations

from .agreement import (
    AGREEMENT_METRICS,
    agreement_metrics,
    annotator_agreement,
    consensus_agreement,
    ground_truth_agreement,
    majority_vote,
    task_agreement,
)
from .agreement_boxes import box_agreement
from .agreement_coefficients import (
    cohen_kappa_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    label_agreement,
    percent_agreement,
)
from .agreement_spans import span_agreement
from .agreement_text import text_agreement
from .billing import (
    annotator_payouts,
    data_productions,
    embedding_costs,
    invoices,
    orders_over_time,
)
from .engine import AnalyticsEngine, AnalyticsUnavailable, PgQuery, QueryRefused
from .extraction import (
    EXTRACTIONS,
    choose_control,
    extract_annotations,
    extract_predictions,
    find_control,
)
from .frames import MetricFrame, metric_frame
from .overview import Overview, key_figures, overview
from .predictions import (
    pre_annotation_changes,
    prediction_accuracy,
    prediction_calibration,
    prediction_class_metrics,
    prediction_confusion,
)
from .scope import PERIODS, InvalidSelection, Scope, ScopedProject, resolve_scope
from .summaries import flag_counts, label_distribution, project_summaries
from .throughput import (
    active_annotators,
    annotations_over_time,
    annotator_throughput,
    lead_times,
    review_turnaround,
    time_to_finish,
)
from .workforce import group_members, invitations, member_activity, organization_members

__all__ = [
    "AGREEMENT_METRICS",
    "EXTRACTIONS",
    "PERIODS",
    "AnalyticsEngine",
    "AnalyticsUnavailable",
    "InvalidSelection",
    "MetricFrame",
    "Overview",
    "PgQuery",
    "QueryRefused",
    "Scope",
    "ScopedProject",
    "active_annotators",
    "agreement_metrics",
    "annotations_over_time",
    "annotator_agreement",
    "annotator_payouts",
    "annotator_throughput",
    "box_agreement",
    "choose_control",
    "cohen_kappa_matrix",
    "consensus_agreement",
    "data_productions",
    "embedding_costs",
    "extract_annotations",
    "extract_predictions",
    "find_control",
    "flag_counts",
    "fleiss_kappa",
    "ground_truth_agreement",
    "group_members",
    "invitations",
    "invoices",
    "key_figures",
    "krippendorff_alpha",
    "label_agreement",
    "label_distribution",
    "lead_times",
    "majority_vote",
    "member_activity",
    "metric_frame",
    "orders_over_time",
    "organization_members",
    "overview",
    "percent_agreement",
    "pre_annotation_changes",
    "prediction_accuracy",
    "prediction_calibration",
    "prediction_class_metrics",
    "prediction_confusion",
    "project_summaries",
    "resolve_scope",
    "review_turnaround",
    "span_agreement",
    "task_agreement",
    "text_agreement",
    "time_to_finish",
]
