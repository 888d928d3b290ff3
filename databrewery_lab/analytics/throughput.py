"""Throughput and time: who annotates how much, how fast, and when the work will be done.

Counting, bucketing and percentiles run inside PostgreSQL over the scoped rows (through
the indexes on ``project_id``/``task_id``), so only one row per group crosses to DuckDB,
which adds the annotator names and derived columns. Lead times and turnarounds are
seconds or hours; percentiles interpolate linearly (``percentile_cont``, numpy's
default). Each function returns a :class:`~.frames.MetricFrame` whose ``.plot()`` draws it.

Definitions: an *annotation* is a submitted (not cancelled) ``task_completion``; a *skip*
is a cancelled one. Time buckets are local time in ``tz`` (naive timestamps marking the
start of the hour, day, ISO week or month).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .engine import PgQuery
from .frames import MetricFrame, metric_frame
from .scope import (
    InvalidSelection,
    ProjectRef,
    Scope,
    TimeRef,
    UserRef,
    check_period,
    resolve_scope,
)

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

Freq = Literal["hour", "day", "week", "month", "quarter", "year"]
_SECONDS_PER_HOUR = 3600.0


# --------------------------------------------------------------------------- plumbing


class _Source:
    """The optional ``task_completion`` columns, read once from the reflected schema."""

    def __init__(self, brewery: Brewery, feature: str) -> None:
        schema = brewery.schema
        schema.require(
            "task_completion", "task_id", "project_id", "completed_by_id", "created_at",
            feature=feature,
        )  # fmt: skip
        has = lambda column: schema.has_column("task_completion", column)  # noqa: E731
        self.skipped = "src.was_cancelled" if has("was_cancelled") else "false"
        self.lead_time = "src.lead_time::float8" if has("lead_time") else "NULL::float8"
        self.has_users = schema.has_table("htx_user") and schema.has_column("htx_user", "email")


def _run(brewery: Brewery, query: PgQuery, select: str, **params: Any) -> pd.DataFrame:
    """Run ``select`` (DuckDB, reading the PostgreSQL aggregate as ``agg``) → DataFrame."""
    source, bound = query.source("agg")
    sql = f"WITH agg AS MATERIALIZED (SELECT * FROM {source}) {select}"  # noqa: S608 - constants
    return brewery.analytics.run(sql, **bound, **params).to_pandas()


def _who(source: _Source, id_column: str, alias: str = "u") -> tuple[str, str]:
    """``(label expression, join)`` naming a user id column (email, else ``user <id>``)."""
    column = f"agg.{id_column}"
    fallback = f"CASE WHEN {column} IS NULL THEN '(deleted user)' ELSE 'user ' || {column} END"
    if not source.has_users:
        return fallback, ""
    return (
        f"coalesce({alias}.email, {fallback})",
        f"LEFT JOIN htx_user AS {alias} ON {alias}.id = agg.{id_column}",
    )


def _tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidSelection(
            f"tz={tz!r} is not a time zone; use an IANA name such as 'UTC' or 'Europe/Berlin'."
        ) from None
    return tz


def _scope(brewery: Brewery, project: Any, filters: dict[str, Any]) -> Scope:
    return resolve_scope(brewery, project, **filters)


def _frame(
    frame: pd.DataFrame, metric: str, figure: Callable[[pd.DataFrame], go.Figure]
) -> MetricFrame:
    return metric_frame(frame.reset_index(drop=True), metric, figure)


# --------------------------------------------------------------------------- per period


def annotations_over_time(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    freq: Freq = "day",
    tz: str = "UTC",
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """Annotations and skips per annotator per ``freq`` (one of :data:`~.scope.PERIODS`).

    Columns: ``period, annotator_id, annotator, annotations, skips``; one row per
    (period, annotator) with any activity.
    """
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    source = _Source(brewery, "annotations over time")
    where, params = scope.pg_filter("src")
    n = len(params)
    query = PgQuery(
        "SELECT date_trunc("  # noqa: S608 - constants of this module; values are bound
        f"${n + 1}::text, src.created_at AT TIME ZONE ${n + 2}::text) AS period, "
        "src.completed_by_id::bigint AS annotator_id, "
        f"count(*) FILTER (WHERE NOT {source.skipped})::bigint AS annotations, "
        f"count(*) FILTER (WHERE {source.skipped})::bigint AS skips "
        f"FROM task_completion AS src WHERE {where} GROUP BY 1, 2",
        (*params, check_period(freq), _tz(tz)),
    )
    label, join = _who(source, "annotator_id")
    frame = _run(
        brewery,
        query,
        f"SELECT agg.period, agg.annotator_id, {label} AS annotator, agg.annotations, agg.skips "  # noqa: S608 - constants
        f"FROM agg {join} ORDER BY agg.period, agg.annotator_id NULLS LAST",
    )
    return _frame(frame, "annotations_over_time", _stacked_periods)


def active_annotators(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    freq: Freq = "day",
    tz: str = "UTC",
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """How many people annotated (or skipped) in each period, and how much.

    Columns: ``period, active_annotators, annotations, skips``.
    """
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    source = _Source(brewery, "active annotators")
    where, params = scope.pg_filter("src")
    n = len(params)
    query = PgQuery(
        "SELECT date_trunc("  # noqa: S608 - constants of this module; values are bound
        f"${n + 1}::text, src.created_at AT TIME ZONE ${n + 2}::text) AS period, "
        "count(DISTINCT src.completed_by_id)::bigint AS active_annotators, "
        f"count(*) FILTER (WHERE NOT {source.skipped})::bigint AS annotations, "
        f"count(*) FILTER (WHERE {source.skipped})::bigint AS skips "
        f"FROM task_completion AS src WHERE {where} GROUP BY 1",
        (*params, check_period(freq), _tz(tz)),
    )
    frame = _run(brewery, query, "SELECT * FROM agg ORDER BY period")
    return _frame(frame, "active_annotators", _active_figure)


# --------------------------------------------------------------------------- per person


def annotator_throughput(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    tz: str = "UTC",
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """One row per annotator: volume, skips, active days and lead-time percentiles.

    Columns: ``annotator_id, annotator, annotations, skips, skip_rate, tasks,
    active_days, annotations_per_active_day, first_at, last_at, median_lead_time_s,
    p90_lead_time_s`` (lead times of submitted annotations; days are local to ``tz``).
    """
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    source = _Source(brewery, "annotator throughput")
    where, params = scope.pg_filter("src")
    n = len(params)
    timed = f"NOT {source.skipped} AND {source.lead_time} IS NOT NULL"
    query = PgQuery(
        "SELECT src.completed_by_id::bigint AS annotator_id, "  # noqa: S608 - constants of this module; values are bound
        f"count(*) FILTER (WHERE NOT {source.skipped})::bigint AS annotations, "
        f"count(*) FILTER (WHERE {source.skipped})::bigint AS skips, "
        f"count(DISTINCT src.task_id) FILTER (WHERE NOT {source.skipped})::bigint AS tasks, "
        f"count(DISTINCT (src.created_at AT TIME ZONE ${n + 1}::text)::date)::bigint "
        "AS active_days, min(src.created_at) AS first_at, max(src.created_at) AS last_at, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {source.lead_time}) FILTER (WHERE {timed})"
        " AS median_lead_time_s, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {source.lead_time}) FILTER (WHERE {timed})"
        " AS p90_lead_time_s "
        f"FROM task_completion AS src WHERE {where} GROUP BY 1",
        (*params, _tz(tz)),
    )
    label, join = _who(source, "annotator_id")
    frame = _run(
        brewery,
        query,
        f"SELECT agg.annotator_id, {label} AS annotator, agg.annotations, agg.skips, "  # noqa: S608 - constants
        "agg.skips / (agg.annotations + agg.skips) AS skip_rate, agg.tasks, agg.active_days, "
        "agg.annotations / agg.active_days AS annotations_per_active_day, agg.first_at, "
        "agg.last_at, agg.median_lead_time_s, agg.p90_lead_time_s "
        f"FROM agg {join} ORDER BY agg.annotations DESC, agg.annotator_id NULLS LAST",
    )
    return _frame(frame, "annotator_throughput", _throughput_figure)


LeadTimeGroup = Literal["annotator", "project"]


def lead_times(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    by: LeadTimeGroup | None = "annotator",
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """Lead time (seconds spent per submitted annotation) per annotator or per project.

    Columns: ``<by>_id, <by>, annotations, median_s, p90_s, mean_s``; annotations
    without a recorded lead time are left out. ``by=None`` pools the whole selection into
    one row (``annotations, median_s, p90_s, mean_s``; NaN when nothing was timed), e.g.
    one median over several projects, which per-group rows cannot give.
    """
    if by not in ("annotator", "project", None):
        raise InvalidSelection(
            f"by={by!r}; lead times group by 'annotator' or 'project', or by=None for one row."
        )
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    source = _Source(brewery, "lead times")
    where, params = scope.pg_filter("src")
    key, group = "", ""  # by=None: one aggregate row, even over no rows at all
    if by is not None:
        column = "completed_by_id" if by == "annotator" else "project_id"
        key, group = f"src.{column}::bigint AS {by}_id, ", " GROUP BY 1"
    query = PgQuery(
        f"SELECT {key}count(*)::bigint AS annotations, "  # noqa: S608 - constants of this module; values are bound
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {source.lead_time}) AS median_s, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {source.lead_time}) AS p90_s, "
        f"avg({source.lead_time}) AS mean_s "
        f"FROM task_completion AS src WHERE {where} AND NOT {source.skipped} "
        f"AND {source.lead_time} IS NOT NULL{group}",
        params,
    )
    if by is None:
        frame = _run(brewery, query, "SELECT annotations, median_s, p90_s, mean_s FROM agg")
        return _frame(frame, "lead_time", _lead_time_figure(None))
    if by == "annotator":
        label, join = _who(source, "annotator_id")
    else:
        label, join = _project_label(brewery)
    frame = _run(
        brewery,
        query,
        f"SELECT agg.{by}_id, {label} AS {by}, agg.annotations, agg.median_s, agg.p90_s, "  # noqa: S608 - constants
        f"agg.mean_s FROM agg {join} ORDER BY agg.median_s DESC, agg.{by}_id NULLS LAST",
    )
    return _frame(frame, f"lead_times_by_{by}", _lead_time_figure(by))


def _project_label(brewery: Brewery) -> tuple[str, str]:
    fallback = "'project ' || agg.project_id"
    if not brewery.schema.has_column("project", "title"):
        return fallback, ""
    return f"coalesce(p.title, {fallback})", "LEFT JOIN project AS p ON p.id = agg.project_id"


# --------------------------------------------------------------------------- forecast


def time_to_finish(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    window_days: float = 7.0,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """When each project's remaining annotations are done at the recent rate.

    Remaining = Σ over tasks of ``max(overlap − annotations, 0)`` (skips count too when
    the project's skip queue is ``IGNORE_SKIPPED``, as for ``is_labeled``). The rate is
    that of the same kind of annotations per day in the window ``[since, until)``;
    without a range it is the ``window_days`` before ``until`` (default: now).
    ``annotators`` narrows the rate to their pace. Columns: ``project_id, project,
    tasks, remaining_tasks, target_annotations, remaining_annotations, window_start,
    window_end, recent_annotations, annotations_per_day, days_to_finish,
    expected_finish`` (NaN / NaT when nothing was done in the window).
    """
    if not window_days > 0:
        raise InvalidSelection(f"window_days={window_days!r}; use a positive number of days.")
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    schema = brewery.schema
    schema.require("task", "id", "project_id", "overlap", feature="time to finish")
    source = _Source(brewery, "time to finish")
    end = scope.until or datetime.now(UTC)
    start = scope.since or end - timedelta(days=window_days)
    counts_skips = (
        "p.skip_queue = 'IGNORE_SKIPPED'" if schema.has_column("project", "skip_queue") else "false"
    )
    work = replace(scope, since=None, until=None, annotator_ids=None)
    tasks_where, params = work.pg_filter(
        "t", task_column="id", time_column=None, annotator_column=None
    )
    done_where, done_params = work.pg_filter(
        "src", time_column=None, annotator_column=None, first_param=len(params) + 1
    )
    params += done_params
    rate = replace(scope, since=start, until=end)
    rate_where, rate_params = rate.pg_filter("src", first_param=len(params) + 1)
    params += rate_params
    progress = f"(NOT {source.skipped} OR coalesce({counts_skips}, false))"
    query = PgQuery(
        "WITH done AS (SELECT src.task_id, "  # noqa: S608 - constants of this module; values are bound
        f"count(*) FILTER (WHERE NOT {source.skipped}) AS submitted, "
        f"count(*) FILTER (WHERE {source.skipped}) AS skipped "
        f"FROM task_completion AS src WHERE {done_where} GROUP BY src.task_id), "
        "need AS (SELECT t.project_id, t.overlap, greatest(t.overlap - coalesce(d.submitted, 0) "
        f"- CASE WHEN coalesce({counts_skips}, false) THEN coalesce(d.skipped, 0) ELSE 0 END, 0)"
        " AS remaining FROM task AS t JOIN project AS p ON p.id = t.project_id "
        f"LEFT JOIN done AS d ON d.task_id = t.id WHERE {tasks_where}), "
        "recent AS (SELECT src.project_id, count(*) AS recent FROM task_completion AS src "
        f"JOIN project AS p ON p.id = src.project_id WHERE {rate_where} AND {progress} "
        "GROUP BY src.project_id) "
        "SELECT need.project_id::bigint AS project_id, count(*)::bigint AS tasks, "
        "count(*) FILTER (WHERE need.remaining > 0)::bigint AS remaining_tasks, "
        "sum(need.overlap)::bigint AS target_annotations, "
        "sum(need.remaining)::bigint AS remaining_annotations, "
        "coalesce(max(recent.recent), 0)::bigint AS recent_annotations "
        "FROM need LEFT JOIN recent ON recent.project_id = need.project_id GROUP BY 1",
        params,
    )
    label, join = _project_label(brewery)
    frame = _run(
        brewery,
        query,
        f"SELECT agg.project_id, {label} AS project, agg.tasks, agg.remaining_tasks, "  # noqa: S608 - constants
        "agg.target_annotations, agg.remaining_annotations, agg.recent_annotations "
        f"FROM agg {join} ORDER BY agg.project_id",
    )
    days = (end - start).total_seconds() / 86400.0
    frame.insert(6, "window_start", pd.Timestamp(start))
    frame.insert(7, "window_end", pd.Timestamp(end))
    frame["annotations_per_day"] = frame["recent_annotations"] / days
    rate_per_day = frame["annotations_per_day"].where(frame["annotations_per_day"] > 0)
    frame["days_to_finish"] = frame["remaining_annotations"] / rate_per_day
    frame["expected_finish"] = pd.Timestamp(end) + pd.to_timedelta(
        frame["days_to_finish"], unit="D"
    )
    return _frame(frame, "time_to_finish", _finish_figure)


# --------------------------------------------------------------------------- reviews


def review_turnaround(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> MetricFrame:
    """How long submitted annotations wait for review, per reviewer, and the verdicts.

    The schema records a review on the annotation itself (``reviewed``,
    ``reviewed_by_id``, ``review_flow_type``) with no review timestamp of its own, so
    the review time is the reviewed annotation's ``updated_at`` (its last write) and
    the turnaround is ``updated_at − created_at``. A database without these columns
    (plain Label Studio) raises MissingSchemaError; catch it to skip this metric.
    Columns: ``reviewer_id, reviewer, reviewed, accepted, rejected, fixed,
    median_turnaround_h, p90_turnaround_h, mean_turnaround_h``.
    """
    scope = _scope(
        brewery, project, dict(tasks=tasks, since=since, until=until, annotators=annotators)
    )
    source = _Source(brewery, "review turnaround")
    brewery.schema.require(
        "task_completion", "reviewed", "reviewed_by_id", "updated_at", feature="review turnaround"
    )
    has_flow = brewery.schema.has_column("task_completion", "review_flow_type")
    flow = "src.review_flow_type" if has_flow else "NULL::text"
    where, params = scope.pg_filter("src")
    hours = f"extract(epoch FROM src.updated_at - src.created_at) / {_SECONDS_PER_HOUR}"
    query = PgQuery(
        "SELECT src.reviewed_by_id::bigint AS reviewer_id, count(*)::bigint AS reviewed, "  # noqa: S608 - constants of this module; values are bound
        f"count(*) FILTER (WHERE {flow} = 'accept')::bigint AS accepted, "
        f"count(*) FILTER (WHERE {flow} = 'reject')::bigint AS rejected, "
        f"count(*) FILTER (WHERE {flow} = 'fix_and_accept')::bigint AS fixed, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {hours}) AS median_turnaround_h, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {hours}) AS p90_turnaround_h, "
        f"avg({hours})::float8 AS mean_turnaround_h "
        f"FROM task_completion AS src WHERE {where} AND src.reviewed "
        f"AND NOT {source.skipped} GROUP BY 1",
        params,
    )
    label, join = _who(source, "reviewer_id")
    frame = _run(
        brewery,
        query,
        f"SELECT agg.reviewer_id, {label} AS reviewer, agg.reviewed, agg.accepted, "  # noqa: S608 - constants
        "agg.rejected, agg.fixed, agg.median_turnaround_h, agg.p90_turnaround_h, "
        f"agg.mean_turnaround_h FROM agg {join} ORDER BY agg.reviewed DESC, "
        "agg.reviewer_id NULLS LAST",
    )
    return _frame(frame, "review_turnaround", _review_figure)


# --------------------------------------------------------------------------- figures


def _stacked_periods(frame: pd.DataFrame) -> go.Figure:
    """One bar trace per annotator (stacked), plus the skips of all as a line."""
    figure = go.Figure()
    for name, rows in frame.groupby("annotator", sort=True):
        figure.add_bar(x=rows["period"], y=rows["annotations"], name=str(name))
    skips = frame.groupby("period", as_index=False)["skips"].sum()
    figure.add_scatter(
        x=skips["period"], y=skips["skips"], name="skips (all)", mode="lines+markers"
    )
    figure.update_layout(
        barmode="stack", title="Annotations per annotator", xaxis_title="period",
        yaxis_title="annotations", legend_title="annotator",
    )  # fmt: skip
    return figure


def _active_figure(frame: pd.DataFrame) -> go.Figure:
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(x=frame["period"], y=frame["annotations"], name="annotations", opacity=0.5)
    figure.add_scatter(
        x=frame["period"], y=frame["active_annotators"], name="active annotators",
        mode="lines+markers", secondary_y=True,
    )  # fmt: skip
    figure.update_layout(title="Active annotators", xaxis_title="period")
    figure.update_yaxes(title_text="annotations", secondary_y=False)
    figure.update_yaxes(title_text="active annotators", secondary_y=True)
    return figure


def _throughput_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(
        y=frame["annotator"], x=frame["annotations"], name="annotations", orientation="h"
    )
    figure.add_bar(y=frame["annotator"], x=frame["skips"], name="skips", orientation="h")
    figure.update_layout(
        barmode="stack", title="Throughput per annotator", xaxis_title="count",
        yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return figure


def _lead_time_figure(by: str | None) -> Callable[[pd.DataFrame], go.Figure]:
    def draw(frame: pd.DataFrame) -> go.Figure:
        x = frame[by] if by else ["all annotations"] * len(frame)
        figure = go.Figure()
        figure.add_bar(x=x, y=frame["median_s"], name="median")
        figure.add_bar(x=x, y=frame["p90_s"], name="p90")
        figure.update_layout(
            barmode="group", title=f"Lead time per {by}" if by else "Lead time",
            yaxis_title="seconds", xaxis_title=by or "",
        )  # fmt: skip
        return figure

    return draw


def _finish_figure(frame: pd.DataFrame) -> go.Figure:
    done = frame["target_annotations"] - frame["remaining_annotations"]
    finish = ["no recent work" if pd.isna(d) else f"{d:.1f} days" for d in frame["days_to_finish"]]
    figure = go.Figure()
    figure.add_bar(y=frame["project"], x=done, name="done", orientation="h")
    figure.add_bar(
        y=frame["project"], x=frame["remaining_annotations"], name="remaining",
        orientation="h", text=finish, textposition="outside",
    )  # fmt: skip
    figure.update_layout(barmode="stack", title="Time to finish", xaxis_title="annotations")
    return figure


def _review_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(x=frame["reviewer"], y=frame["median_turnaround_h"], name="median")
    figure.add_bar(x=frame["reviewer"], y=frame["p90_turnaround_h"], name="p90")
    figure.update_layout(
        barmode="group", title="Review turnaround", yaxis_title="hours", xaxis_title="reviewer"
    )
    return figure
