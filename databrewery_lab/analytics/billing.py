"""Billing: embedding costs, orders, invoices, annotator payouts and data productions.

Money is never added across currencies: every amount is summed within the currency its
row names, and a frame that mixes currencies keeps one row (and one figure trace or
panel) per currency. Tables that record no currency (``orders_order`` invoices, workspace
embedding costs) are summed only within one organization or workspace. Sums are exact
``numeric`` in PostgreSQL, shipped as float.

Payouts: an annotator is paid for each *accepted* annotation at the organization's
``payment_rate`` in force when the annotation was submitted. Accepted means a submitted
(not skipped) annotation that a reviewer accepted: ``reviewed`` is true and
``review_flow_type`` is ``accept`` or ``fix_and_accept`` — or, where the platform left
``review_flow_type`` empty, ``last_action`` is ``accepted`` or ``fixed_and_accepted``
(Label Studio Enterprise's markers). An annotation fixed by the reviewer and then
accepted still pays its annotator. The rate in force is the organization's latest
``payment_rate`` created at or before the annotation (ties: the higher id); its
currency code (trimmed, upper-cased) is the payout's currency. Accepted annotations with
no rate in force keep a row with NULL currency and payout, so nothing goes missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .frames import MetricFrame, metric_frame
from .scope import (
    ProjectRef,
    Scope,
    TimeRef,
    UserRef,
    check_period,
    resolve_scope,
)
from .tenancy import (
    OrgRef,
    SqlParams,
    fetch_frame,
    organization_clause,
    project_clause,
    resolve_selection,
    resolve_tenancy,
    time_clause,
)

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

#: Periods orders and invoices are bucketed by (PostgreSQL ``date_trunc`` fields).
#: ``review_flow_type`` values and ``last_action`` values that mean "accepted".
ACCEPTED_FLOWS = ("accept", "fix_and_accept")
ACCEPTED_ACTIONS = ("accepted", "fixed_and_accepted")
UNKNOWN = "unknown"


def _window(brewery: Brewery, since: TimeRef | None, until: TimeRef | None) -> Scope:
    """since/until parsed and checked like every metric's (no project lookup)."""
    return resolve_scope(brewery, since=since, until=until)


# --------------------------------------------------------------------------- embeddings


def embedding_costs(
    brewery: Brewery,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    *,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
) -> MetricFrame:
    """Embeddings billed per workspace and month (months overlapping since/until).

    ``month`` is the billing row's ``YYYY-MM`` (its ``created_at`` month when malformed);
    several rows of one workspace and month are summed. The cost is in whatever currency
    the platform bills embeddings in (the table records none), per workspace.
    """
    schema = brewery.schema
    feature = "embedding costs"
    schema.require(
        "workspaces_workspacebillingembeddings",
        "workspace_id",
        "month",
        "embeddings_count",
        "embeddings_cost",
        "created_at",
        feature=feature,
    )
    schema.require("workspace", "id", "title", feature=feature)
    tenancy = resolve_tenancy(brewery, organization, workspace)
    window = _window(brewery, since, until)
    params = SqlParams()
    where = "TRUE"
    if tenancy.workspace_ids is not None:
        where = f"b.workspace_id = ANY({params.ids(tenancy.workspace_ids)})"
    if tenancy.organization_ids is not None:
        schema.require(
            "organization_workspaces", "organization_id", "workspace_id", feature=feature
        )
        linked = organization_clause(params, tenancy, "ow.organization_id")
        spaces = f"SELECT ow.workspace_id FROM organization_workspaces AS ow WHERE {linked}"  # noqa: S608 - bound
        where += f" AND b.workspace_id IN ({spaces})"
    months = []
    if window.since is not None:
        start = params.bind(window.since.isoformat(), "timestamptz")
        months.append(f"e.month + interval '1 month' > {start} AT TIME ZONE 'UTC'")
    if window.until is not None:
        end = params.bind(window.until.isoformat(), "timestamptz")
        months.append(f"e.month < {end} AT TIME ZONE 'UTC'")
    sql = f"""
        WITH e AS (
            SELECT b.workspace_id,
                   coalesce(
                       CASE WHEN b.month ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])$'
                            THEN to_date(b.month, 'YYYY-MM')::timestamp END,
                       date_trunc('month', b.created_at AT TIME ZONE 'UTC')) AS month,
                   b.embeddings_count, b.embeddings_cost
            FROM workspaces_workspacebillingembeddings AS b
            WHERE {where}
        )
        SELECT e.workspace_id::bigint AS workspace_id, w.title::text AS workspace,
               e.month, sum(e.embeddings_count)::bigint AS embeddings_count,
               sum(e.embeddings_cost)::float8 AS embeddings_cost
        FROM e JOIN workspace AS w ON w.id = e.workspace_id
        WHERE {" AND ".join(months) or "TRUE"}
        GROUP BY 1, 2, 3
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("workspace_id", "month"))
    return metric_frame(frame, "embedding_costs", _embeddings_figure)


def _embeddings_figure(frame: pd.DataFrame) -> go.Figure:
    """Bars of cost per month, one trace per workspace; counts on hover."""
    figure = go.Figure()
    for workspace, rows in frame.groupby("workspace", sort=True):
        figure.add_bar(
            x=rows["month"],
            y=rows["embeddings_cost"],
            name=str(workspace),
            customdata=rows["embeddings_count"],
            hovertemplate="%{x|%Y-%m}: %{y} for %{customdata} embeddings<extra></extra>",
        )
    figure.update_layout(
        title="Embedding costs per workspace and month",
        barmode="stack",
        xaxis={"title": "month", "dtick": "M1", "tickformat": "%Y-%m"},
        yaxis_title="embeddings cost",
    )
    return figure


# --------------------------------------------------------------------------- orders


def orders_over_time(
    brewery: Brewery,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    *,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    freq: str = "month",
) -> MetricFrame:
    """Data-production orders (``workflow_helpers_order``) per period, status and currency.

    ``period`` buckets ``created_at`` (UTC) by ``freq``; ``total_cost`` is summed within
    one currency; a missing status or currency reads ``unknown``.
    """
    schema = brewery.schema
    feature = "orders over time"
    schema.require(
        "workflow_helpers_order",
        "organization_id",
        "status",
        "created_at",
        "total_cost",
        "currency_id",
        feature=feature,
    )
    schema.require("workflow_helpers_currency", "id", "code", feature=feature)
    tenancy = resolve_tenancy(brewery, organization)
    window = _window(brewery, since, until)
    params = SqlParams()
    period = params.bind(check_period(freq), "text")
    unknown = params.bind(UNKNOWN, "text")
    where = organization_clause(params, tenancy, "o.organization_id")
    where += " AND " + time_clause(params, "o.created_at", window.since, window.until)
    sql = f"""
        SELECT date_trunc({period}, o.created_at AT TIME ZONE 'UTC') AS period,
               coalesce(o.status, {unknown})::text AS status,
               coalesce(c.code, {unknown})::text AS currency,
               count(*)::bigint AS orders,
               sum(o.total_cost)::float8 AS total_cost
        FROM workflow_helpers_order AS o
        LEFT JOIN workflow_helpers_currency AS c ON c.id = o.currency_id
        WHERE {where}
        GROUP BY 1, 2, 3
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("period", "currency", "status"))
    return metric_frame(
        frame,
        "orders_over_time",
        _panels_figure("currency", "status", "total_cost", "Orders by status, per currency"),
    )


def invoices(
    brewery: Brewery,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    *,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    freq: str = "month",
) -> MetricFrame:
    """Invoices (``orders_order``) per organization, period and status.

    The table records no currency, so amounts are summed only within one organization
    (which bills in one currency); refunds are negative amounts, as stored.
    """
    schema = brewery.schema
    feature = "invoices"
    schema.require(
        "orders_order",
        "organization_id",
        "status",
        "created_at",
        "total_amount",
        feature=feature,
    )
    schema.require("organization", "id", "title", feature=feature)
    tenancy = resolve_tenancy(brewery, organization)
    window = _window(brewery, since, until)
    params = SqlParams()
    period = params.bind(check_period(freq), "text")
    unknown = params.bind(UNKNOWN, "text")
    where = organization_clause(params, tenancy, "i.organization_id")
    where += " AND " + time_clause(params, "i.created_at", window.since, window.until)
    sql = f"""
        SELECT i.organization_id::bigint AS organization_id, g.title::text AS organization,
               date_trunc({period}, i.created_at AT TIME ZONE 'UTC') AS period,
               coalesce(i.status, {unknown})::text AS status,
               count(*)::bigint AS invoices,
               sum(i.total_amount)::float8 AS total_amount
        FROM orders_order AS i
        JOIN organization AS g ON g.id = i.organization_id
        WHERE {where}
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "period", "status"))
    return metric_frame(
        frame,
        "invoices",
        _panels_figure("organization", "status", "total_amount", "Invoices by status"),
    )


def _panels_figure(panel: str, trace: str, value: str, title: str):
    """One panel per ``panel`` value (a currency, an organization), stacked bars per ``trace``.

    Panels keep amounts that must not be added apart; bars within a panel may stack.
    """

    def draw(frame: pd.DataFrame) -> go.Figure:
        panels = sorted(frame[panel].astype(str).unique())
        figure = make_subplots(
            rows=max(len(panels), 1),
            cols=1,
            shared_xaxes=True,
            subplot_titles=panels or None,
            vertical_spacing=0.08,
        )
        for row, name in enumerate(panels, start=1):
            rows = frame[frame[panel].astype(str) == name]
            for key, group in rows.groupby(trace, sort=True):
                figure.add_bar(
                    x=group["period"],
                    y=group[value],
                    name=f"{key} ({name})",
                    legendgroup=str(key),
                    row=row,
                    col=1,
                )
        figure.update_layout(title=title, barmode="stack")
        figure.update_yaxes(title_text=value.replace("_", " "))
        return figure

    return draw


# --------------------------------------------------------------------------- payouts


def accepted_condition(brewery: Brewery, params: SqlParams, alias: str) -> str:
    """SQL: annotation ``alias`` was accepted by a reviewer (see the module doc)."""
    schema = brewery.schema
    feature = "accepted annotations"
    schema.require("task_completion", "reviewed", "was_cancelled", feature=feature)
    flows = schema.has_column("task_completion", "review_flow_type")
    actions = schema.has_column("task_completion", "last_action")
    if not (flows or actions):
        schema.require("task_completion", "review_flow_type", feature=feature)
    by_flow = f"{alias}.review_flow_type = ANY({params.texts(ACCEPTED_FLOWS)})"
    by_action = f"{alias}.last_action = ANY({params.texts(ACCEPTED_ACTIONS)})"
    if flows and actions:
        outcome = f"({by_flow} OR ({alias}.review_flow_type IS NULL AND {by_action}))"
    else:
        outcome = by_flow if flows else by_action
    return f"({alias}.reviewed AND NOT {alias}.was_cancelled AND {outcome})"


def annotator_payouts(
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
    """Per annotator, organization and currency: accepted annotations and their payout.

    ``since``/``until`` select annotations by submission time. See the module doc for
    "accepted" and for which rate applies; ``payout`` is NULL where no rate was in force.
    """
    schema = brewery.schema
    feature = "annotator payouts"
    schema.require(
        "task_completion",
        "project_id",
        "task_id",
        "completed_by_id",
        "created_at",
        feature=feature,
    )
    schema.require(
        "payment_rate", "id", "amount", "currency", "created_at", "organization_id", feature=feature
    )
    schema.require("project", "id", "organization_id", feature=feature)
    schema.require("organization", "id", "title", feature=feature)
    schema.require("htx_user", "id", "username", feature=feature)
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
    params = SqlParams()
    accepted = accepted_condition(brewery, params, "a")
    where = params.scope(selection.scope, "a")
    where += " AND " + project_clause(brewery, params, selection.tenancy, "p")
    sql = f"""
        WITH rates AS (
            SELECT r.organization_id, r.amount,
                   nullif(upper(btrim(r.currency)), '') AS currency,
                   r.created_at AS valid_from,
                   lead(r.created_at) OVER (
                       PARTITION BY r.organization_id ORDER BY r.created_at, r.id
                   ) AS valid_to
            FROM payment_rate AS r
        ),
        accepted AS (
            SELECT a.completed_by_id AS annotator_id, p.organization_id, a.created_at
            FROM task_completion AS a
            JOIN project AS p ON p.id = a.project_id
            WHERE a.completed_by_id IS NOT NULL AND {accepted} AND {where}
        ),
        priced AS (
            SELECT x.annotator_id, x.organization_id,
                   CASE WHEN r.amount IS NOT NULL THEN r.currency END AS currency,
                   CASE WHEN r.currency IS NOT NULL THEN r.amount END AS amount
            FROM accepted AS x
            LEFT JOIN rates AS r
              ON r.organization_id = x.organization_id
             AND x.created_at >= r.valid_from
             AND (r.valid_to IS NULL OR x.created_at < r.valid_to)
        )
        SELECT x.annotator_id::bigint AS annotator_id, u.username::text AS username,
               x.organization_id::bigint AS organization_id, o.title::text AS organization,
               x.currency::text AS currency,
               count(*)::bigint AS accepted_annotations,
               sum(x.amount)::float8 AS payout
        FROM priced AS x
        JOIN htx_user AS u ON u.id = x.annotator_id
        JOIN organization AS o ON o.id = x.organization_id
        GROUP BY 1, 2, 3, 4, 5
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "currency", "annotator_id"))
    return metric_frame(frame, "annotator_payouts", _payouts_figure)


def _payouts_figure(frame: pd.DataFrame) -> go.Figure:
    """Grouped bars of payout per annotator, one trace per currency (never stacked)."""
    figure = go.Figure()
    priced = frame.dropna(subset=["currency"])
    for currency, rows in priced.groupby("currency", sort=True):
        per_user = rows.groupby("username", sort=True)["payout"].sum()
        figure.add_bar(x=per_user.index.tolist(), y=per_user.to_numpy(), name=str(currency))
    figure.update_layout(
        title="Payouts per annotator (accepted annotations × payment rate)",
        barmode="group",
        xaxis={"title": "annotator", "type": "category"},
        yaxis_title="payout (in each trace's currency)",
    )
    return figure


# --------------------------------------------------------------------------- productions


def data_productions(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
) -> MetricFrame:
    """Data-production requests created in the range: ordered vs delivered annotations.

    ``delivered_annotations`` are the project's submitted (not skipped) annotations to
    date, ``accepted_annotations`` those a reviewer accepted; ``orders`` counts the
    production's orders, ``status_history`` lists their statuses oldest first, and the
    latest order gives ``latest_status``, ``latest_cost`` and its ``currency``.
    """
    schema = brewery.schema
    feature = "data productions"
    schema.require(
        "workflow_helpers_dataproduction",
        "id",
        "organization_id",
        "project_id",
        "created_at",
        "data_type",
        "annotation_type",
        "estimated_data_volume",
        "total_annotations",
        feature=feature,
    )
    schema.require(
        "workflow_helpers_order",
        "id",
        "data_production_id",
        "status",
        "created_at",
        "total_cost",
        "currency_id",
        feature=feature,
    )
    schema.require("workflow_helpers_currency", "id", "code", feature=feature)
    schema.require("task_completion", "project_id", "was_cancelled", feature=feature)
    selection = resolve_selection(brewery, project, organization=organization, workspace=workspace)
    window = _window(brewery, since, until)
    params = SqlParams()
    accepted = accepted_condition(brewery, params, "a")
    where = time_clause(params, "d.created_at", window.since, window.until)
    if selection.scope.projects:
        where += f" AND d.project_id = ANY({params.ids(selection.scope.project_ids)})"
    tenancy = selection.tenancy
    where += " AND " + organization_clause(params, tenancy, "d.organization_id")
    if tenancy.workspace_ids is not None:
        where += " AND " + project_clause(brewery, params, tenancy, "p")
    unknown = params.bind(UNKNOWN, "text")
    sql = f"""
        WITH d AS (
            SELECT d.*, p.title AS project
            FROM workflow_helpers_dataproduction AS d
            LEFT JOIN project AS p ON p.id = d.project_id
            WHERE {where}
        ),
        orders AS (
            SELECT o.data_production_id, count(*) AS orders,
                   string_agg(coalesce(o.status, {unknown}), ' -> '
                              ORDER BY o.created_at, o.id) AS status_history
            FROM workflow_helpers_order AS o
            WHERE o.data_production_id IN (SELECT id FROM d)
            GROUP BY 1
        ),
        latest AS (
            SELECT DISTINCT ON (o.data_production_id) o.data_production_id,
                   o.status, o.total_cost, c.code
            FROM workflow_helpers_order AS o
            LEFT JOIN workflow_helpers_currency AS c ON c.id = o.currency_id
            WHERE o.data_production_id IN (SELECT id FROM d)
            ORDER BY o.data_production_id, o.created_at DESC, o.id DESC
        ),
        delivered AS (
            SELECT a.project_id, count(*) FILTER (WHERE NOT a.was_cancelled) AS delivered,
                   count(*) FILTER (WHERE {accepted}) AS accepted
            FROM task_completion AS a
            WHERE a.project_id IN (SELECT project_id FROM d)
            GROUP BY 1
        )
        SELECT d.id::bigint AS production_id, d.organization_id::bigint AS organization_id,
               g.title::text AS organization, d.project_id::bigint AS project_id,
               d.project::text AS project, d.created_at,
               d.data_type::text AS data_type, d.annotation_type::text AS annotation_type,
               d.estimated_data_volume::bigint AS estimated_data_volume,
               d.total_annotations::bigint AS ordered_annotations,
               coalesce(v.delivered, 0)::bigint AS delivered_annotations,
               coalesce(v.accepted, 0)::bigint AS accepted_annotations,
               (coalesce(v.delivered, 0)::float8 / nullif(d.total_annotations, 0))
                   AS delivered_share,
               coalesce(s.orders, 0)::bigint AS orders, s.status_history::text AS status_history,
               l.status::text AS latest_status, l.total_cost::float8 AS latest_cost,
               l.code::text AS currency
        FROM d
        JOIN organization AS g ON g.id = d.organization_id
        LEFT JOIN orders AS s ON s.data_production_id = d.id
        LEFT JOIN latest AS l ON l.data_production_id = d.id
        LEFT JOIN delivered AS v ON v.project_id = d.project_id
    """  # noqa: S608 - constants of this module; values are bound
    frame = fetch_frame(brewery, sql, params, ("organization_id", "production_id"))
    return metric_frame(frame, "data_productions", _productions_figure)


def _productions_figure(frame: pd.DataFrame) -> go.Figure:
    """Grouped bars per production: ordered, delivered and accepted annotations."""
    labels = [
        f"#{pid} {title}" if isinstance(title, str) else f"#{pid}"
        for pid, title in zip(frame["production_id"], frame["project"], strict=True)
    ]
    figure = go.Figure()
    for column, name in (
        ("ordered_annotations", "ordered"),
        ("delivered_annotations", "delivered"),
        ("accepted_annotations", "accepted"),
    ):
        figure.add_bar(x=labels, y=frame[column], name=name)
    figure.update_layout(
        title="Data productions: ordered vs delivered annotations",
        barmode="group",
        xaxis={"title": "production", "type": "category"},
        yaxis_title="annotations",
    )
    return figure
