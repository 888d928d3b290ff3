"""Prediction quality per ``model_version``: accuracy, per-label P/R/F1, confusion, calibration.

    from databrewery_lab.analytics import prediction_accuracy, pre_annotation_changes
    prediction_accuracy(brewery, "Product review sentiment", against="consensus").plot()
    pre_annotation_changes(brewery, "Product review sentiment", since="2026-09-01")

The labels come from the extractors (:mod:`.extraction`, JSON read inside PostgreSQL);
pairing, counting and averaging are DuckDB SQL (:mod:`.prediction_kernels`, which holds
the definitions). Controls compared as whole answers are supported: Choices (single, or
multiple as label sets), Rating and Number; regions and text are refused.

The reference of a task (``against``):

* ``"ground_truth"`` — its ground-truth annotation (``task_completion.ground_truth``);
  with several, the latest (highest id).
* ``"consensus"`` — the majority vote of its annotators' latest answers
  (:func:`~.agreement.majority_vote`); a tie leaves the task without a reference, a task
  one person answered has that answer.

Selection: ``tasks``/``project`` select both sides; ``since``/``until`` select the
*predictions* by their ``created_at`` (the reference of those tasks is read whenever it
was made); ``annotators`` narrows the annotations the reference is built from. For
:func:`pre_annotation_changes` the filters select the *annotations* (created in the
range, by those annotators), and ``model_versions`` the version of their parent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
from plotly.subplots import make_subplots

from .engine import PgQuery
from .extraction import (
    choose_control,
    extract_annotations,
    extract_predictions,
    extraction_key,
    model_version_list,
)
from .frames import MetricFrame, metric_frame
from .prediction_kernels import (
    Comparison,
    change_counts,
    compare,
    consensus_values,
    ground_truth_values,
)
from .scope import InvalidSelection, ProjectRef, Scope, TimeRef, UserRef, resolve_scope

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery
    from databrewery_lab.label_config import ControlTag

Against = Literal["ground_truth", "consensus"]
#: What predictions can be compared with.
AGAINST: tuple[str, ...] = ("ground_truth", "consensus")
#: Extraction keys of the controls whose answers compare as wholes.
SUPPORTED_CONTROLS: tuple[str, ...] = ("choices", "multichoices", "rating", "number")
_FACET_COLUMNS = 3
_SCORES = ("accuracy", "macro_precision", "macro_recall", "macro_f1")


# --------------------------------------------------------------------------- selection


def _select(
    brewery: Brewery, project: Any, control: str | None, filters: dict[str, Any]
) -> tuple[Scope, ControlTag]:
    """The resolved scope and the control, refused unless its answers compare as wholes."""
    scope = resolve_scope(brewery, project, **filters)
    chosen = choose_control(scope, control)
    key = extraction_key(chosen)
    if key not in SUPPORTED_CONTROLS:
        raise InvalidSelection(
            f"{chosen.tag} {chosen.name!r} cannot be scored: prediction metrics compare whole "
            "answers of Choices (single or multiple), Rating and Number controls, not regions "
            "or text. Pass control='<name>' naming one of those."
        )
    return scope, chosen


def _against(against: str) -> Against:
    if against not in AGAINST:
        raise InvalidSelection(
            f"against={against!r} is not a reference; use 'ground_truth' (the annotations "
            "flagged ground truth) or 'consensus' (the annotators' majority vote)."
        )
    return against  # type: ignore[return-value]


def _compare(
    brewery: Brewery,
    project: Any,
    control: str | None,
    against: str,
    model_versions: str | Iterable[str] | None,
    filters: dict[str, Any],
) -> tuple[Comparison, str]:
    """Pair each version's predictions with the reference; also a title for figures."""
    reference_kind = _against(against)
    versions = model_version_list(model_versions)
    scope, chosen = _select(brewery, project, control, filters)
    title = f"{scope.label} · {chosen.name} vs {reference_kind.replace('_', ' ')}"
    if reference_kind == "ground_truth":
        scope = replace(scope, task_ids=_ground_truth_tasks(brewery, scope))
    predicted = extract_predictions(brewery, scope, chosen.name, model_versions=versions)
    rated = extract_annotations(brewery, replace(scope, since=None, until=None), chosen.name)
    reference = (
        ground_truth_values(rated) if reference_kind == "ground_truth" else consensus_values(rated)
    )
    return compare(predicted, reference), title


def _ground_truth_tasks(brewery: Brewery, scope: Scope) -> tuple[int, ...]:
    """The tasks in scope with a submitted ground-truth annotation (by ``annotators``).

    Only they can be compared, so both extractions are narrowed to them: a few honeypots
    instead of every annotation and prediction of the project.
    """
    if not brewery.schema.has_column("task_completion", "ground_truth"):
        return ()
    where, params = replace(scope, since=None, until=None).pg_filter("src")
    if brewery.schema.has_column("task_completion", "was_cancelled"):
        where += " AND NOT src.was_cancelled"
    query = PgQuery(
        "SELECT DISTINCT src.task_id::bigint AS task_id FROM task_completion AS src "  # noqa: S608 - constants of this module; values are bound
        f"WHERE {where} AND src.ground_truth",
        params,
    )
    source, bound = query.source("truth")
    table = brewery.analytics.run(f"SELECT task_id FROM {source} ORDER BY task_id", **bound)  # noqa: S608 - constants
    return tuple(table.column("task_id").to_pylist())


# --------------------------------------------------------------------------- metrics


def prediction_accuracy(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    against: Against = "ground_truth",
    model_versions: str | Iterable[str] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """One row per model_version: how often its predictions match the reference.

    Columns: ``model_version, tasks, correct, accuracy, macro_precision, macro_recall,
    macro_f1, n_labels`` (how many labels the macro averages span), ``mean_score`` (of
    the compared predictions) and ``mae`` (mean absolute error, Rating/Number only, else
    NaN). Only tasks with both a prediction of the version and a reference count.
    Multi-choice: accuracy is the exact-set match, the macro scores average per-label
    binary P/R/F1.
    """
    filters = dict(tasks=tasks, since=since, until=until, annotators=annotators)
    comparison, title = _compare(brewery, project, control, against, model_versions, filters)
    with comparison:
        frame = comparison.accuracy()
    return metric_frame(frame, "prediction_accuracy", _accuracy_figure(title))


def prediction_class_metrics(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    against: Against = "ground_truth",
    model_versions: str | Iterable[str] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """One row per (model_version, label): ``tp, fp, fn, support, precision, recall, f1``.

    scikit-learn's ``precision_recall_fscore_support(zero_division=0)`` per label, over
    the labels the version's compared tasks use (predicted or reference).
    """
    filters = dict(tasks=tasks, since=since, until=until, annotators=annotators)
    comparison, title = _compare(brewery, project, control, against, model_versions, filters)
    with comparison:
        frame = comparison.class_metrics()
    return metric_frame(frame, "prediction_class_metrics", _class_figure(title))


def prediction_confusion(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    against: Against = "ground_truth",
    model_versions: str | Iterable[str] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """The confusion matrix per version, long: ``model_version, reference, predicted, count``.

    Only non-empty cells are listed; multi-choice label sets are keyed by their JSON text.
    The figure draws one heatmap per version.
    """
    filters = dict(tasks=tasks, since=since, until=until, annotators=annotators)
    comparison, title = _compare(brewery, project, control, against, model_versions, filters)
    with comparison:
        frame = comparison.confusion()
    return metric_frame(frame, "prediction_confusion", _confusion_figure(title))


def prediction_calibration(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    against: Against = "ground_truth",
    model_versions: str | Iterable[str] | None = None,
    buckets: int = 10,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """Accuracy by score bucket per version (a reliability diagram).

    ``buckets`` equal-width buckets over [0, 1]: ``[k/B, (k+1)/B)``, 1.0 in the last.
    Columns: ``model_version, bucket, score_low, score_high, tasks, mean_score,
    accuracy``; empty buckets and predictions without a score in [0, 1] are left out.
    """
    if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
        raise InvalidSelection(
            f"buckets={buckets!r}; use a positive whole number of score buckets, e.g. 10."
        )
    filters = dict(tasks=tasks, since=since, until=until, annotators=annotators)
    comparison, title = _compare(brewery, project, control, against, model_versions, filters)
    with comparison:
        frame = comparison.calibration(buckets)
    return metric_frame(frame, "prediction_calibration", _calibration_figure(title))


def pre_annotation_changes(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    model_versions: str | Iterable[str] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """How often annotators changed a pre-annotation, per version of the prediction.

    Counted: the annotations the extractor keeps (latest submitted per task and
    annotator, answering the control) whose ``parent_prediction_id`` is set. An
    annotation *kept* the prediction when its extracted answer equals the parent's for
    this control. The labels are compared, not the result JSON: an untouched
    pre-annotation is saved with new region ids and without the prediction's
    ``score``, and edits to other controls are not edits of this one.
    Columns: ``model_version, annotations, kept, changed, change_rate``.
    """
    versions = model_version_list(model_versions)
    filters = dict(tasks=tasks, since=since, until=until, annotators=annotators)
    scope, chosen = _select(brewery, project, control, filters)
    rated = extract_annotations(brewery, scope, chosen.name)
    links = _parent_links(brewery, scope, versions)
    parents = extract_predictions(
        brewery, replace(scope, since=None, until=None), chosen.name, model_versions=versions
    )
    frame = change_counts(rated, links, parents)
    title = f"{scope.label} · {chosen.name}"
    return metric_frame(frame, "pre_annotation_changes", _changes_figure(title))


def _parent_links(brewery: Brewery, scope: Scope, versions: tuple[str, ...] | None) -> pa.Table:
    """``annotation_id, prediction_id, model_version`` of submitted annotations in scope
    that started from a prediction (joined inside PostgreSQL, values bound)."""
    schema = brewery.schema
    feature = "pre-annotation changes"
    schema.require(
        "task_completion", "id", "task_id", "project_id", "completed_by_id", "created_at",
        "parent_prediction_id", feature=feature,
    )  # fmt: skip
    schema.require("prediction", "id", "model_version", feature=feature)
    where, params = scope.pg_filter("src")
    if schema.has_column("task_completion", "was_cancelled"):
        where += " AND NOT src.was_cancelled"
    if versions is not None:
        first = len(params) + 1
        listed = ", ".join(f"${first + i}::text" for i in range(len(versions)))
        where += f" AND pr.model_version IN ({listed})"
        params += versions
    query = PgQuery(
        "SELECT src.id::bigint AS annotation_id, pr.id::bigint AS prediction_id, "  # noqa: S608 - constants of this module; values are bound
        "pr.model_version::text AS model_version FROM task_completion AS src "
        f"JOIN prediction AS pr ON pr.id = src.parent_prediction_id WHERE {where}",
        params,
    )
    source, bound = query.source("links")
    return brewery.analytics.run(f"SELECT * FROM {source}", **bound)  # noqa: S608 - constants


# --------------------------------------------------------------------------- figures


def _accuracy_figure(title: str) -> Callable[[pd.DataFrame], go.Figure]:
    """Grouped bars: accuracy and the macro scores of each version."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        versions = frame["model_version"].astype(str)
        figure = go.Figure()
        for column in _SCORES:
            figure.add_bar(x=versions, y=frame[column], name=column.replace("_", " "))
        figure.update_layout(
            barmode="group", title=f"Prediction accuracy — {title}",
            xaxis={"title": "model version", "type": "category"},
            yaxis={"title": "score", "range": [0, 1]},
        )  # fmt: skip
        return figure

    return draw


def _class_figure(title: str) -> Callable[[pd.DataFrame], go.Figure]:
    """F1 per label, one bar trace per version (precision and recall on hover)."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure()
        for version, rows in frame.groupby("model_version", sort=True, dropna=False):
            figure.add_bar(
                x=rows["label"].astype(str), y=rows["f1"], name=str(version),
                customdata=rows[["precision", "recall", "support"]].to_numpy(),
                hovertemplate="%{x}<br>F1 %{y:.3f}<br>precision %{customdata[0]:.3f}"
                "<br>recall %{customdata[1]:.3f}<br>support %{customdata[2]}",
            )  # fmt: skip
        figure.update_layout(
            barmode="group", title=f"F1 per label — {title}", legend_title="model version",
            xaxis={"title": "label", "type": "category"}, yaxis={"title": "F1", "range": [0, 1]},
        )  # fmt: skip
        return figure

    return draw


def _confusion_figure(title: str) -> Callable[[pd.DataFrame], go.Figure]:
    """One heatmap (reference × predicted counts) per version, as facets."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        groups = list(frame.groupby("model_version", sort=True, dropna=False))
        if not groups:
            return go.Figure(layout={"title": f"Confusion — {title} (no compared tasks)"})
        columns = min(len(groups), _FACET_COLUMNS)
        rows = math.ceil(len(groups) / columns)
        figure = make_subplots(rows=rows, cols=columns, subplot_titles=[str(v) for v, _ in groups])
        for index, (version, cells) in enumerate(groups):
            matrix = _square(cells)
            figure.add_trace(
                go.Heatmap(
                    z=matrix.to_numpy(), x=matrix.columns, y=matrix.index, name=str(version),
                    coloraxis="coloraxis", texttemplate="%{z}",
                    hovertemplate="reference %{y}<br>predicted %{x}<br>%{z} tasks",
                ),
                row=index // columns + 1, col=index % columns + 1,
            )  # fmt: skip
        figure.update_xaxes(title_text="predicted", type="category")
        figure.update_yaxes(title_text="reference", type="category", autorange="reversed")
        figure.update_layout(
            title=f"Confusion — {title}", coloraxis={"colorscale": "Blues"},
            height=max(400, 350 * rows),
        )  # fmt: skip
        return figure

    return draw


def _square(cells: pd.DataFrame) -> pd.DataFrame:
    """The version's cells as a square reference × predicted count matrix."""
    labelled = cells.assign(
        reference=cells["reference"].astype(str), predicted=cells["predicted"].astype(str)
    )
    labels = sorted(set(labelled["reference"]) | set(labelled["predicted"]))
    matrix = labelled.pivot_table(
        index="reference", columns="predicted", values="count", aggfunc="sum", fill_value=0
    )
    return matrix.reindex(index=labels, columns=labels, fill_value=0)


def _calibration_figure(title: str) -> Callable[[pd.DataFrame], go.Figure]:
    """Reliability diagram: accuracy against mean score per bucket, and the diagonal."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure()
        figure.add_scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
            line={"dash": "dash", "color": "gray"},
        )  # fmt: skip
        for version, rows in frame.groupby("model_version", sort=True, dropna=False):
            figure.add_scatter(
                x=rows["mean_score"], y=rows["accuracy"], mode="lines+markers",
                name=str(version), customdata=rows[["tasks"]].to_numpy(),
                hovertemplate="mean score %{x:.3f}<br>accuracy %{y:.3f}<br>%{customdata[0]} tasks",
            )  # fmt: skip
        figure.update_layout(
            title=f"Calibration — {title}", legend_title="model version",
            xaxis={"title": "mean score", "range": [0, 1]},
            yaxis={"title": "accuracy", "range": [0, 1]},
        )  # fmt: skip
        return figure

    return draw


def _changes_figure(title: str) -> Callable[[pd.DataFrame], go.Figure]:
    """Stacked bars per version: pre-annotations kept and changed."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        versions = frame["model_version"].astype(str)
        rate = frame["change_rate"].map("{:.0%} changed".format)
        figure = go.Figure()
        figure.add_bar(x=versions, y=frame["kept"], name="kept")
        figure.add_bar(
            x=versions, y=frame["changed"], name="changed", text=rate, textposition="outside"
        )
        figure.update_layout(
            barmode="stack", title=f"Pre-annotations kept or changed — {title}",
            xaxis={"title": "model version", "type": "category"}, yaxis_title="annotations",
        )  # fmt: skip
        return figure

    return draw
