"""Workforce: who belongs where, how active they are, and how invitations are used.

Manager metrics read the platform's membership tables (organizations, user groups,
invitations) and the activity counters kept on ``htx_user`` and
``user_profile_newuserprofile``. Every number is computed inside PostgreSQL and shipped
through the analytics engine; identity columns are limited to ids, usernames and roles:
password hashes, tokens, invitation uuids and links and bank details are never selected.

"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .frames import MetricFrame, metric_frame
from .scope import ProjectRef, Scope, TimeRef, UserRef, resolve_scope
from .tenancy import (
    OrgRef,
    SqlParams,
    as_of_instant,
    fetch_frame,
    organization_clause,
    resolve_selection,
    resolve_tenancy,
    time_clause,
)

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery


#: Activity windows: (label, last activity at most this many days before ``as_of``).
ACTIVITY_WINDOWS: tuple[tuple[str, int], ...] = (
    ("last 24 hours", 1),
    ("last 7 days", 7),
    ("last 30 days", 30),
    ("last 90 days", 90),
)
OLDER_ACTIVITY = "over 90 days"
NO_ACTIVITY = "never"


def organization_members(
    brewery: Brewery, organization: OrgRef | Iterable[OrgRef] | None = None
) -> MetricFrame:
    """Members per organization, role and role type; former (soft-deleted) ones apart.

    A user counts once per organization, with the role of their current membership (or of
    their latest one when every membership there is deleted); ``unknown`` where the
    database records no role (Label Studio).
    """
    schema = brewery.schema
    feature = "organization members"
    schema.require(
        "organizations_organizationmember",
        "id",
        "organization_id",
        "user_id",
        "deleted_at",
        feature=feature,
    )
    schema.require("organization", "id", "title", feature=feature)
    schema.require("htx_user", "id", "is_active", feature=feature)
    role, role_type = (
        f"m.{c}" if schema.has_column("organizations_organizationmember", c) else "NULL"
        for c in ("role", "role_type")
    )
    tenancy = resolve_tenancy(brewery, organization)
    params = SqlParams()
    where = organization_clause(params, tenancy, "m.organization_id")
    sql = f"""
        WITH latest AS (
            SELECT DISTINCT ON (m.organization_id, m.user_id)
                   m.organization_id, m.user_id, {role} AS role, {role_type} AS role_type,
                   m.deleted_at IS NULL AS current
            FROM organizations_organizationmember AS m
            WHERE {where}
            ORDER BY m.organization_id, m.user_id, (m.deleted_at IS NULL) DESC, m.id DESC
        )
        SELECT l.organization_id::bigint AS organization_id, o.title::text AS organization,
               coalesce(l.role, 'unknown')::text AS role,
               coalesce(l.role_type, 'unknown')::text AS role_type,
               count(*) FILTER (WHERE l.current)::bigint AS members,
               count(*) FILTER (WHERE l.current AND u.is_active)::bigint AS active_accounts,
               count(*) FILTER (WHERE NOT l.current)::bigint AS former_members
        FROM latest AS l
        JOIN organization AS o ON o.id = l.organization_id
        LEFT JOIN htx_user AS u ON u.id = l.user_id
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "role", "role_type"))
    return metric_frame(frame, "organization_members", _members_figure)


def _members_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: members per organization, one trace per role."""
    figure = go.Figure()
    for role, rows in frame.groupby("role", sort=True):
        per_org = rows.groupby("organization", sort=True)["members"].sum()
        figure.add_bar(x=per_org.index.tolist(), y=per_org.to_numpy(), name=str(role))
    figure.update_layout(
        title="Members per organization and role",
        barmode="stack",
        xaxis={"title": "organization", "type": "category"},
        yaxis_title="members",
    )
    return figure


def group_members(
    brewery: Brewery, organization: OrgRef | Iterable[OrgRef] | None = None
) -> MetricFrame:
    """Members per user group (team) and group role; empty groups keep a row with 0."""
    schema = brewery.schema
    feature = "group members"
    schema.require("user_group", "id", "title", "organization_id", feature=feature)
    schema.require("user_group_membership", "id", "group_id", "user_id", "role", feature=feature)
    schema.require("organization", "id", "title", feature=feature)
    tenancy = resolve_tenancy(brewery, organization)
    params = SqlParams()
    where = organization_clause(params, tenancy, "g.organization_id")
    sql = f"""
        SELECT g.organization_id::bigint AS organization_id, o.title::text AS organization,
               g.id::bigint AS group_id, g.title::text AS "group",
               CASE WHEN gm.id IS NULL THEN NULL ELSE coalesce(gm.role, 'unknown') END::text
                   AS role,
               count(DISTINCT gm.user_id)::bigint AS members
        FROM user_group AS g
        JOIN organization AS o ON o.id = g.organization_id
        LEFT JOIN user_group_membership AS gm ON gm.group_id = g.id
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "group_id", "role"))
    return metric_frame(frame, "group_members", _groups_figure)


def _groups_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: members per group, one trace per group role."""
    figure = go.Figure()
    groups = frame.drop_duplicates("group_id")["group"].astype(str).tolist()
    for role, rows in frame.dropna(subset=["role"]).groupby("role", sort=True):
        figure.add_bar(x=rows["group"].astype(str).tolist(), y=rows["members"], name=str(role))
    figure.update_layout(
        title="Members per user group",
        barmode="stack",
        xaxis={"title": "group", "type": "category", "categoryarray": groups},
        yaxis_title="members",
    )
    return figure


def member_activity(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
    as_of: TimeRef | None = None,
) -> MetricFrame:
    """One row per current organization member: activity counters and work in the scope.

        ``last_activity``, ``consecutive_login_days`` and ``annotations_time_spent`` (seconds,
        from ``user_profile_newuserprofile``) are the platform's counters; ``activity_window``
        buckets ``as_of - last_activity`` (``as_of`` defaults to the database's now; activity
        after it counts as current). ``annotations`` counts the member's submitted annotations
        in the selection, in projects of that organization. Selected projects limit the rows
    to their organizations' members, ``annotators`` to those people.
    """
    schema = brewery.schema
    feature = "member activity"
    schema.require(
        "htx_user",
        "id",
        "username",
        "is_active",
        "last_login",
        "last_activity",
        "consecutive_login_days",
        feature=feature,
    )
    schema.require(
        "organizations_organizationmember",
        "id",
        "organization_id",
        "user_id",
        "deleted_at",
        feature=feature,
    )
    role = "m.role" if schema.has_column("organizations_organizationmember", "role") else "NULL"
    schema.require(
        "user_profile_newuserprofile", "user_id", "annotations_time_spent", feature=feature
    )
    schema.require(
        "task_completion",
        "project_id",
        "task_id",
        "completed_by_id",
        "created_at",
        "was_cancelled",
        feature=feature,
    )
    schema.require("project", "id", "organization_id", feature=feature)
    selection = resolve_selection(
        brewery,
        project,
        organization=organization,
        tasks=tasks,
        since=since,
        until=until,
        annotators=annotators,
    )
    params = SqlParams()
    now = as_of_instant(params, as_of)
    members = organization_clause(params, selection.tenancy, "m.organization_id")
    if selection.scope.projects:
        homes = params.ids(selection.scope.project_ids)
        home = f"SELECT organization_id FROM project WHERE id = ANY({homes})"  # noqa: S608 - bound
        members += f" AND m.organization_id IN ({home})"
    if selection.scope.annotator_ids is not None:
        members += f" AND m.user_id = ANY({params.ids(selection.scope.annotator_ids)})"
    work = params.scope(selection.scope, "a")
    work += " AND " + organization_clause(params, selection.tenancy, "p.organization_id")
    windows = " ".join(
        f"WHEN {now} - u.last_activity <= make_interval(days => {params.bind(days, 'int')}) "
        f"THEN {params.bind(label, 'text')}"
        for label, days in ACTIVITY_WINDOWS
    )
    never, older = params.bind(NO_ACTIVITY, "text"), params.bind(OLDER_ACTIVITY, "text")
    sql = f"""
        WITH live AS (
            SELECT DISTINCT ON (m.organization_id, m.user_id)
                   m.organization_id, m.user_id, {role} AS role
            FROM organizations_organizationmember AS m
            WHERE m.deleted_at IS NULL AND {members}
            ORDER BY m.organization_id, m.user_id, m.id DESC
        ),
        work AS (
            SELECT a.completed_by_id AS user_id, p.organization_id, count(*) AS annotations
            FROM task_completion AS a
            JOIN project AS p ON p.id = a.project_id
            WHERE NOT a.was_cancelled AND a.completed_by_id IS NOT NULL AND {work}
            GROUP BY 1, 2
        )
        SELECT l.organization_id::bigint AS organization_id, o.title::text AS organization,
               u.id::bigint AS user_id, u.username::text AS username,
               coalesce(l.role, 'unknown')::text AS role, u.is_active,
               u.last_login, u.last_activity,
               greatest(extract(epoch FROM {now} - u.last_activity) / 86400.0, 0)::float8
                   AS days_since_activity,
               (CASE WHEN u.last_activity IS NULL THEN {never} {windows} ELSE {older} END)::text
                   AS activity_window,
               u.consecutive_login_days::bigint AS consecutive_login_days,
               pr.annotations_time_spent::float8 AS annotations_time_spent,
               coalesce(w.annotations, 0)::bigint AS annotations
        FROM live AS l
        JOIN htx_user AS u ON u.id = l.user_id
        JOIN organization AS o ON o.id = l.organization_id
        LEFT JOIN user_profile_newuserprofile AS pr ON pr.user_id = u.id
        LEFT JOIN work AS w ON w.user_id = l.user_id AND w.organization_id = l.organization_id
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "user_id"))
    return metric_frame(frame, "member_activity", _activity_figure)


def _activity_figure(frame: pd.DataFrame) -> go.Figure:
    """Scatter: days since last activity × hours spent annotating, one trace per role."""
    figure = go.Figure()
    for role, rows in frame.groupby("role", sort=True):
        streak = rows["consecutive_login_days"].fillna(0).to_numpy(dtype=float)
        figure.add_scatter(
            x=rows["days_since_activity"],
            y=rows["annotations_time_spent"].fillna(0) / 3600.0,
            mode="markers",
            name=str(role),
            text=rows["username"].astype(str).tolist(),
            marker={"size": 6 + np.sqrt(streak) * 3},
            hovertemplate="%{text}<br>%{x:.1f} days since activity<br>%{y:.1f} h<extra></extra>",
        )
    figure.update_layout(
        title="Member activity (marker size: consecutive login days)",
        xaxis_title="days since last activity",
        yaxis_title="hours spent annotating",
    )
    return figure


def invitations(
    brewery: Brewery,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    *,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
) -> MetricFrame:
    """Invitations created in the date range and how much of each was used.

    ``status`` is ``expired`` (flag set), ``used up`` (``use_count`` reached ``max_uses``)
    or ``open``; ``remaining_uses`` is NULL for unlimited invitations. The invitation
    uuid (its bearer token) is never selected; from ``defaults`` only ``role`` is.
    """
    schema = brewery.schema
    feature = "invitations"
    schema.require(
        "users_invitation",
        "id",
        "organization_id",
        "created_at",
        "created_by_id",
        "expired",
        "use_count",
        "max_uses",
        "can_manage_billing",
        "defaults",
        feature=feature,
    )
    schema.require("organization", "id", "title", feature=feature)
    tenancy = resolve_tenancy(brewery, organization)
    window = resolve_scope(brewery, since=since, until=until)
    params = SqlParams()
    where = organization_clause(params, tenancy, "i.organization_id")
    where += " AND " + time_clause(params, "i.created_at", window.since, window.until)
    counts = []
    for table, name in (
        ("users_invitationgroupmember", "groups"),
        ("users_invitationprojectmember", "projects"),
        ("users_invitationworkspacemember", "workspaces"),
    ):
        if schema.has_column(table, "invitation_id"):
            counts.append(
                f"(SELECT count(*) FROM {table} AS x WHERE x.invitation_id = i.id)::bigint "  # noqa: S608 - table names are constants
                f'AS "{name}"'
            )
    sql = f"""
        SELECT i.id::bigint AS invitation_id, i.organization_id::bigint AS organization_id,
               o.title::text AS organization, i.created_at,
               creator.username::text AS created_by,
               (CASE WHEN jsonb_typeof(i.defaults) = 'object'
                     THEN i.defaults ->> 'role' END)::text AS role,
               i.expired, i.can_manage_billing,
               i.max_uses::bigint AS max_uses, i.use_count::bigint AS use_count,
               greatest(i.max_uses - i.use_count, 0)::bigint AS remaining_uses,
               (i.use_count::float8 / nullif(i.max_uses, 0)) AS usage,
               (CASE WHEN i.expired THEN 'expired'
                     WHEN i.max_uses IS NOT NULL AND i.use_count >= i.max_uses THEN 'used up'
                     ELSE 'open' END)::text AS status
               {"".join(", " + c for c in counts)}
        FROM users_invitation AS i
        JOIN organization AS o ON o.id = i.organization_id
        LEFT JOIN htx_user AS creator ON creator.id = i.created_by_id
        WHERE {where}
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "created_at", "invitation_id"))
    return metric_frame(frame, "invitations", _invitations_figure)


def _invitations_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars per invitation: uses so far and uses left."""
    labels = [f"#{i} ({s})" for i, s in zip(frame["invitation_id"], frame["status"], strict=True)]
    figure = go.Figure()
    figure.add_bar(x=labels, y=frame["use_count"], name="used")
    figure.add_bar(x=labels, y=frame["remaining_uses"].fillna(0), name="remaining")
    figure.update_layout(
        title="Invitations and their use",
        barmode="stack",
        xaxis={"title": "invitation", "type": "category"},
        yaxis_title="uses",
    )
    return figure
