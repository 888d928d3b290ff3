"""Project summaries across projects: progress, queue, overlap, labels, skips, comments, flags.

For a manager comparing every project of an organization or workspace (or any standard
selection). All counting runs in PostgreSQL, from the rows themselves rather than the
platform's cached counters, so a summary is true even where counters drifted.

What the selection filters:

- *state* numbers (tasks, labeled tasks, progress, queue, overlap coverage, flagged tasks)
  describe the selected projects/tasks now: date and annotator filters do not apply;
- *activity* numbers (annotations, skipped, annotators, ground truth, label counts) count
  annotations created in the date range by the selected annotators;
- comments count notes written in the date range.

Label distributions follow each project's own label config: every control with labels
(Choices, Labels, RectangleLabels, and Rating with its stars ``1..maxRating``) of the
parsed config, with its options listed even when nobody used them, plus any label found
in results that the config does not know.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from databrewery_lab.errors import LabelConfigError
from databrewery_lab.label_config import parse_label_config

from .frames import MetricFrame, metric_frame
from .scope import ProjectRef, Scope, TimeRef, UserRef
from .tenancy import (
    OrgRef,
    Selection,
    SqlParams,
    fetch_frame,
    project_clause,
    resolve_selection,
    time_clause,
)

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

#: Result types whose ``value.<type>`` holds labels: a list of strings, or (Rating) one
#: number whose options are ``1..maxRating``.
LABEL_TYPES = ("choices", "labels", "rectanglelabels", "rating")


def _projects_clause(brewery: Brewery, params: SqlParams, selection: Selection, alias: str) -> str:
    """``alias`` (a project row) is one of the selected projects."""
    if selection.scope.projects:
        return f"{alias}.id = ANY({params.ids(selection.scope.project_ids)})"
    return project_clause(brewery, params, selection.tenancy, alias)


def _task_clause(params: SqlParams, scope: Scope, column: str) -> str:
    """``column`` (a task id) is one of the selected tasks, when tasks were selected."""
    if scope.task_ids is None:
        return "TRUE"
    return f"{column} = ANY({params.ids(scope.task_ids)})"


# --------------------------------------------------------------------------- summaries


def project_summaries(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """One row per selected project (all of an organization/workspace, or the scope's).

    ``progress`` = labeled tasks / tasks and ``queue`` = tasks not labeled (the platform's
    ``is_labeled``); ``overlap_coverage`` = share of tasks with ``overlap`` > 1 that have
    at least ``overlap`` submitted annotations. Comment and flag columns appear when the
    database has ``tasks_notes`` / ``task_flags``; ``organization``/``workspace`` and
    ``ground_truth`` likewise (a Label Studio database may lack them).
    """
    schema = brewery.schema
    feature = "project summaries"
    schema.require("project", "id", "title", feature=feature)
    schema.require("task", "id", "project_id", "is_labeled", "overlap", feature=feature)
    schema.require(
        "task_completion",
        "task_id",
        "project_id",
        "completed_by_id",
        "created_at",
        "was_cancelled",
        feature=feature,
    )
    selection = resolve_selection(
        brewery,
        project,
        organization=organization,
        workspace=workspace,
        tasks=tasks,
        since=since,
        until=until,
        annotators=annotators,
    )
    scope = selection.scope
    params = SqlParams()
    chosen = _projects_clause(brewery, params, selection, "p")
    task_filter = _task_clause(params, scope, "t.id")
    submitted_filter = _task_clause(params, scope, "a.task_id")
    activity = params.scope(scope, "a")
    has_truth = schema.has_column("task_completion", "ground_truth")
    truth = "count(*) FILTER (WHERE a.ground_truth AND NOT a.was_cancelled)" if has_truth else "0"
    ctes: list[str] = []
    joins: list[str] = []
    names: list[str] = []
    columns: list[str] = []
    if has_truth:
        columns.append("coalesce(a.ground_truth, 0)::bigint AS ground_truth")
    for table, title, column in (
        ("organization", "organization", "organization_id"),
        ("workspace", "workspace", "workspace_id"),
    ):
        if schema.has_column("project", column) and schema.has_column(table, "title"):
            joins.append(f"LEFT JOIN {table} AS {title}_t ON {title}_t.id = p.{column}")
            names.append(f"p.{column}::bigint AS {column}, {title}_t.title::text AS {title}")
    if schema.has_table("tasks_notes"):
        schema.require(
            "tasks_notes", "task_id", "project_id", "created_at", "is_resolved", feature=feature
        )
        notes = _task_clause(params, scope, "n.task_id")
        since_until = time_clause(params, "n.created_at", scope.since, scope.until)
        ctes.append(
            "c AS (SELECT n.project_id, count(*) AS comments, "  # noqa: S608 - bound
            "count(*) FILTER (WHERE NOT n.is_resolved) AS unresolved_comments "
            f"FROM tasks_notes AS n WHERE n.project_id IN (SELECT id FROM p) AND {notes} "
            f"AND {since_until} GROUP BY 1)"
        )
        joins.append("LEFT JOIN c ON c.project_id = p.id")
        columns.append(
            "coalesce(c.comments, 0)::bigint AS comments, "
            "coalesce(c.unresolved_comments, 0)::bigint AS unresolved_comments"
        )
    if schema.has_table("task_flags"):
        schema.require("task_flags", "task_id", "flag_id", feature=feature)
        ctes.append(
            "f AS (SELECT t.project_id, count(DISTINCT x.task_id) AS flagged_tasks "  # noqa: S608 - bound
            "FROM task_flags AS x JOIN task AS t ON t.id = x.task_id "
            f"WHERE t.project_id IN (SELECT id FROM p) AND {task_filter} GROUP BY 1)"
        )
        joins.append("LEFT JOIN f ON f.project_id = p.id")
        columns.append("coalesce(f.flagged_tasks, 0)::bigint AS flagged_tasks")
    sql = f"""
        WITH p AS (SELECT p.* FROM project AS p WHERE {chosen}),
        given AS (
            SELECT a.task_id, count(*) AS submitted
            FROM task_completion AS a
            WHERE a.project_id IN (SELECT id FROM p) AND NOT a.was_cancelled
              AND {submitted_filter}
            GROUP BY 1
        ),
        t AS (
            SELECT t.project_id, count(*) AS tasks,
                   count(*) FILTER (WHERE t.is_labeled) AS labeled_tasks,
                   count(*) FILTER (WHERE t.overlap > 1) AS overlap_tasks,
                   count(*) FILTER (WHERE t.overlap > 1
                                    AND coalesce(g.submitted, 0) >= t.overlap)
                       AS overlap_complete
            FROM task AS t LEFT JOIN given AS g ON g.task_id = t.id
            WHERE t.project_id IN (SELECT id FROM p) AND {task_filter}
            GROUP BY 1
        ),
        a AS (
            SELECT a.project_id,
                   count(*) FILTER (WHERE NOT a.was_cancelled) AS annotations,
                   count(*) FILTER (WHERE a.was_cancelled) AS skipped,
                   count(DISTINCT a.completed_by_id) FILTER (WHERE NOT a.was_cancelled)
                       AS annotators,
                   {truth} AS ground_truth
            FROM task_completion AS a
            WHERE a.project_id IN (SELECT id FROM p) AND {activity}
            GROUP BY 1
        ){"".join(", " + c for c in ctes)}
        SELECT p.id::bigint AS project_id, p.title::text AS project,
               {"".join(c + ", " for c in names)}
               coalesce(t.tasks, 0)::bigint AS tasks,
               coalesce(t.labeled_tasks, 0)::bigint AS labeled_tasks,
               (t.labeled_tasks::float8 / nullif(t.tasks, 0)) AS progress,
               (coalesce(t.tasks, 0) - coalesce(t.labeled_tasks, 0))::bigint AS queue,
               coalesce(t.overlap_tasks, 0)::bigint AS overlap_tasks,
               coalesce(t.overlap_complete, 0)::bigint AS overlap_complete,
               (t.overlap_complete::float8 / nullif(t.overlap_tasks, 0)) AS overlap_coverage,
               coalesce(a.annotations, 0)::bigint AS annotations,
               coalesce(a.skipped, 0)::bigint AS skipped,
               coalesce(a.annotators, 0)::bigint AS annotators
               {"".join(", " + c for c in columns)}
        FROM p
        LEFT JOIN t ON t.project_id = p.id
        LEFT JOIN a ON a.project_id = p.id
        {" ".join(joins)}
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("project_id",))
    return metric_frame(frame, "project_summaries", _summaries_figure)


def _summaries_figure(frame: pd.DataFrame) -> go.Figure:
    """Horizontal stacked bars per project: labeled tasks and the queue."""
    projects = [f"#{i} {t}" for i, t in zip(frame["project_id"], frame["project"], strict=True)]
    figure = go.Figure()
    figure.add_bar(y=projects, x=frame["labeled_tasks"], name="labeled", orientation="h")
    figure.add_bar(y=projects, x=frame["queue"], name="in queue", orientation="h")
    figure.update_layout(
        title="Project progress: labeled tasks and queue",
        barmode="stack",
        xaxis_title="tasks",
        yaxis={"title": "project", "type": "category", "autorange": "reversed"},
    )
    return figure


# --------------------------------------------------------------------------- labels


def label_distribution(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """How often each label of each labelled control was given, per project.

    ``count`` is how often the label was given in submitted annotations (once per region
    for Labels and RectangleLabels, once per answer for Choices and Rating); ``share`` its
    part of the control's count. ``in_config`` is
    false for labels results hold but the config does not list; ``position`` is the
    label's place in the config. Projects whose label config cannot be parsed are skipped
    with a warning naming them.
    """
    schema = brewery.schema
    feature = "label distribution"
    schema.require("project", "id", "title", "label_config", feature=feature)
    schema.require(
        "task_completion",
        "id",
        "result",
        "task_id",
        "project_id",
        "completed_by_id",
        "created_at",
        "was_cancelled",
        feature=feature,
    )
    selection = resolve_selection(
        brewery,
        project,
        organization=organization,
        workspace=workspace,
        tasks=tasks,
        since=since,
        until=until,
        annotators=annotators,
    )
    controls, options = _labelled_controls(brewery, selection)
    params = SqlParams()
    controls_json = params.bind(json.dumps(controls), "jsonb")
    options_json = params.bind(json.dumps(options), "jsonb")
    activity = params.scope(selection.scope, "a")
    types = params.texts(LABEL_TYPES)
    sql = f"""
        WITH controls AS (
            SELECT * FROM jsonb_to_recordset({controls_json})
                AS c(project_id bigint, control text, tag text, type text)
        ),
        options AS (
            SELECT * FROM jsonb_to_recordset({options_json})
                AS o(project_id bigint, control text, label text, position int)
        ),
        given_anywhere AS MATERIALIZED (
            -- one pass over the results; OFFSET 0 keeps each item's value read once
            SELECT a.project_id, i.control, i.type, lab.label, count(*) AS count
            FROM task_completion AS a
            CROSS JOIN LATERAL (
                SELECT e.value ->> 'from_name' AS control, lower(e.value ->> 'type') AS type,
                       e.value -> 'value' -> lower(e.value ->> 'type') AS v
                FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(a.result) = 'array' THEN a.result ELSE '[]'::jsonb END
                ) AS e
                WHERE lower(e.value ->> 'type') = ANY({types})
                OFFSET 0
            ) AS i
            CROSS JOIN LATERAL jsonb_array_elements_text(
                CASE jsonb_typeof(i.v)
                     WHEN 'array' THEN i.v
                     WHEN 'number' THEN jsonb_build_array(i.v)
                     WHEN 'string' THEN jsonb_build_array(i.v)
                     ELSE '[]'::jsonb END
            ) AS lab(label)
            WHERE NOT a.was_cancelled AND {activity}
              AND a.project_id IN (SELECT project_id FROM controls)
            GROUP BY 1, 2, 3, 4
        ),
        given AS (
            SELECT c.project_id, c.control, g.label, g.count
            FROM given_anywhere AS g
            JOIN controls AS c
              ON c.project_id = g.project_id AND c.control = g.control AND c.type = g.type
        ),
        merged AS (
            SELECT coalesce(g.project_id, o.project_id) AS project_id,
                   coalesce(g.control, o.control) AS control,
                   coalesce(g.label, o.label) AS label,
                   coalesce(g.count, 0) AS count,
                   o.position, o.label IS NOT NULL AS in_config
            FROM given AS g
            FULL JOIN options AS o
              ON o.project_id = g.project_id AND o.control = g.control AND o.label = g.label
        )
        SELECT m.project_id::bigint AS project_id, p.title::text AS project,
               m.control::text AS control, c.tag::text AS tag, m.label::text AS label,
               m.count::bigint AS count,
               (m.count::float8
                / nullif(sum(m.count) OVER (PARTITION BY m.project_id, m.control), 0))
                   AS share,
               m.in_config, m.position::bigint AS position
        FROM merged AS m
        JOIN controls AS c ON c.project_id = m.project_id AND c.control = m.control
        JOIN project AS p ON p.id = m.project_id
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("project_id", "control", "position", "label"))
    return metric_frame(frame, "label_distribution", _labels_figure)


def _labelled_controls(
    brewery: Brewery, selection: Selection
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The selected projects' labelled controls and their options, from parsed configs."""
    params = SqlParams()
    chosen = _projects_clause(brewery, params, selection, "p")
    projects = fetch_frame(
        brewery,
        f"SELECT p.id::bigint AS id, p.title::text AS title, p.label_config::text AS config "  # noqa: S608 - bound
        f"FROM project AS p WHERE {chosen}",
        params,
        ("id",),
    )
    controls: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = []
    unusable: list[str] = []
    for pid, title, xml in projects.itertuples(index=False):  # one row per project
        try:
            config = parse_label_config(xml if isinstance(xml, str) else "")
        except LabelConfigError as err:
            unusable.append(f"{title!r} (id {pid}): {err}")
            continue
        for control in config.controls:
            if control.result_type not in LABEL_TYPES:
                continue
            key = {"project_id": int(pid), "control": control.name}
            controls.append({**key, "tag": control.tag, "type": control.result_type})
            labels = control.result_values
            if control.result_type == "rating":
                labels = tuple(str(r) for r in range(1, (control.max_rating or 5) + 1))
            options += [
                {**key, "label": label, "position": position}
                for position, label in enumerate(labels)
            ]
    if unusable:
        warnings.warn(
            "label_distribution skips projects whose label config cannot be parsed: "
            + "; ".join(unusable)
            + ". Fix their configs to include them.",
            stacklevel=3,
        )
    return controls, options


def _labels_figure(frame: pd.DataFrame) -> go.Figure:
    """Grouped bars of label counts, one trace per (project, control)."""
    figure = go.Figure()
    for (_pid, control), rows in frame.groupby(["project_id", "control"], sort=True):
        title = rows["project"].iloc[0]
        figure.add_bar(
            x=rows["label"].astype(str).tolist(),
            y=rows["count"],
            name=f"{title} · {control}",
            customdata=rows["share"],
            hovertemplate="%{x}: %{y} (%{customdata:.1%})<extra></extra>",
        )
    figure.update_layout(
        title="Label distribution per project and control",
        barmode="group",
        xaxis={"title": "label", "type": "category"},
        yaxis_title="times given",
    )
    return figure


# --------------------------------------------------------------------------- flags


def flag_counts(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    tasks: Iterable[int] | None = None,
) -> MetricFrame:
    """Flagged tasks per project and flag (``task_flags`` → ``tasks_flag``)."""
    schema = brewery.schema
    feature = "task flags"
    schema.require("task_flags", "task_id", "flag_id", feature=feature)
    schema.require("tasks_flag", "id", "title", feature=feature)
    schema.require("task", "id", "project_id", feature=feature)
    schema.require("project", "id", "title", feature=feature)
    selection = resolve_selection(
        brewery, project, organization=organization, workspace=workspace, tasks=tasks
    )
    params = SqlParams()
    chosen = _projects_clause(brewery, params, selection, "p")
    task_filter = _task_clause(params, selection.scope, "t.id")
    sql = f"""
        SELECT p.id::bigint AS project_id, p.title::text AS project,
               fl.id::bigint AS flag_id, fl.title::text AS flag,
               count(DISTINCT x.task_id)::bigint AS flagged_tasks
        FROM task_flags AS x
        JOIN task AS t ON t.id = x.task_id
        JOIN project AS p ON p.id = t.project_id
        JOIN tasks_flag AS fl ON fl.id = x.flag_id
        WHERE {chosen} AND {task_filter}
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("project_id", "flag_id"))
    return metric_frame(frame, "flag_counts", _flags_figure)


def _flags_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars of flagged tasks per project, one trace per flag."""
    figure = go.Figure()
    for flag, rows in frame.groupby("flag", sort=True):
        figure.add_bar(
            x=[f"#{i} {t}" for i, t in zip(rows["project_id"], rows["project"], strict=True)],
            y=rows["flagged_tasks"],
            name=str(flag),
        )
    figure.update_layout(
        title="Flagged tasks per project",
        barmode="stack",
        xaxis={"title": "project", "type": "category"},
        yaxis_title="flagged tasks",
    )
    return figure
