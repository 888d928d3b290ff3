"""The manager dashboard: all organizations → organization → workspace → project.

``brewery.dashboard()`` returns a :class:`Dashboard`. For the place on screen the kernel
takes every number from the overview analytics (:mod:`databrewery_lab.analytics.overview`
and the ``overview_*`` modules beside it, usable without the widget) and ships it as one
JSON trait, ``figures``: key figures, the rows of the tables one drills down through, and
short data series that ``widgets/dashboard.js`` draws as SVG itself — no plotting library
and nothing fetched, so it works offline in JupyterLab, Notebook 7 and VS Code. This
module only navigates, keeps the traits and turns the analytics' frames into JSON. The
browser asks to move with request messages:

    browser → kernel   {kind, request_id, ...}          kinds: REQUEST_KINDS below
    kernel → browser   {kind: "reply", request_id, ok, error}

While it computes, the kernel sets ``status`` to ``"loading"`` (sent at once), then the
new ``location``, ``breadcrumb`` and ``figures`` together, ``status = "ready"`` and the
``computed`` acknowledgement. A failed move keeps the previous place on screen and puts
the reason in ``error``; a part that cannot be computed here (a table a plain Label
Studio database lacks, a project without a Choices control) carries its own message and
the rest of the page still shows.

What each level shows (``figures["charts"]`` keys in :data:`CHARTS`):

- every level: tasks, labeled tasks and % done, annotations, active annotators, skip
  rate, median and p90 lead time, time to finish at the recent rate; annotations over
  time; per-annotator throughput;
- all organizations: the organizations (and projects outside any organization);
- organization: its workspaces and projects; embedding costs and orders per month;
  members by role, member activity and invitations;
- workspace: its projects; embedding costs per month;
- project: label distribution and the agreement headline of each Choices, Rating or
  Number control.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import anywidget
import duckdb
import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa
import sqlalchemy.exc
import traitlets as t

from databrewery_lab._resources import resource_path
from databrewery_lab.analytics.overview import LEVELS, Overview, key_figures
from databrewery_lab.analytics.overview_activity import (
    AGREEMENT_HEADLINES,
    agreement_controls,
    annotations_per_period,
    control_agreement,
    label_counts,
    period_frequency,
)
from databrewery_lab.analytics.overview_billing_workforce import (
    CurrencyOrders,
    invitations_by_status,
    members_by_activity,
    members_by_role,
    monthly_embeddings,
    orders_by_currency,
)
from databrewery_lab.analytics.overview_drilldown import drill_down
from databrewery_lab.analytics.scope import InvalidSelection, resolve_scope
from databrewery_lab.analytics.tenancy import resolve_tenancy
from databrewery_lab.errors import ConnectionFailed, DatabreweryError
from databrewery_lab.projects import Project

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery
    from databrewery_lab.label_config import ControlTag

# LEVELS, the drill-down levels top first, are the overview's. Twin: ``LEVELS`` in
# widgets/dashboard.js.
#: Request kinds the browser sends. Twin: ``REQUEST`` in widgets/dashboard.js.
REQUEST_KINDS = ("open", "up", "refresh", "period")
#: The one message kind the kernel sends. Twin: ``REPLY`` in widgets/dashboard.js.
REPLY_KIND = "reply"
#: Chart sections per level, in page order. Twin: ``CHART_RENDERERS`` in dashboard.js.
CHARTS: dict[str, tuple[str, ...]] = {
    "all": ("over_time", "throughput"),
    "organization": ("over_time", "throughput", "billing", "workforce"),
    "workspace": ("over_time", "throughput", "billing"),
    "project": ("over_time", "throughput", "labels", "agreement"),
}

#: Rows a table ships at most (the rest is counted, ``truncated`` says so).
MAX_ROWS = 200
#: Annotators the throughput chart shows (the busiest first).
MAX_ANNOTATORS = 12
#: Labels per control and controls per project the label chart shows.
MAX_LABELS = 20
MAX_CONTROLS = 6
#: Currencies the orders chart shows (money is never added across currencies).
MAX_CURRENCIES = 3

#: A lost or refused database: shown in the widget, not a bug.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailed,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    duckdb.IOException,
    duckdb.ConnectionException,
)
#: Failures the user can fix or that this database explains: shown, never raised.
_USER_ERRORS: tuple[type[BaseException], ...] = (DatabreweryError,)

Ref = int | str
TimeRef = date | datetime | str


class _BadRequest(Exception):
    """A message from the browser that does not follow the protocol (a bug, not a user act)."""


# ============================================================== where the dashboard is


@dataclass(frozen=True)
class Place:
    """One step of the breadcrumb: a level, the id there (None for all) and its title."""

    level: str
    id: int | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "id": self.id, "title": self.title}


ALL = Place("all", None, "All organizations")


@dataclass(frozen=True)
class Location:
    """The place on screen and the places above it (a project may have no workspace)."""

    organization: Place | None = None
    workspace: Place | None = None
    project: Place | None = None

    @property
    def here(self) -> Place:
        return self.project or self.workspace or self.organization or ALL

    @property
    def level(self) -> str:
        return self.here.level

    def crumbs(self) -> list[Place]:
        """From all organizations down to here."""
        return [ALL, *(p for p in (self.organization, self.workspace, self.project) if p)]

    def parent(self) -> Location:
        """One level up (a project without a workspace goes up to its organization)."""
        if self.project is not None:
            return Location(self.organization, self.workspace)
        if self.workspace is not None:
            return Location(self.organization)
        return Location()

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "organization_id": self.organization.id if self.organization else None,
            "workspace_id": self.workspace.id if self.workspace else None,
            "project_id": self.project.id if self.project else None,
        }


def locate(
    brewery: Brewery,
    organization: Ref | None = None,
    workspace: Ref | None = None,
    project: Ref | None = None,
) -> Location:
    """The most specific place named (ids or exact titles); unknown names raise NotFound.

    The broader places given must contain it, else InvalidSelection names the mismatch.
    """
    organization, workspace, project = (
        _single(ref, what)
        for ref, what in (
            (organization, "organization"),
            (workspace, "workspace"),
            (project, "project"),
        )
    )
    if project is not None:
        found = _project_location(brewery, project)
    elif workspace is not None:
        found = _workspace_location(brewery, workspace)
    elif organization is not None:
        return Location(_organization_place(brewery, organization))
    else:
        return Location()
    if workspace is not None and found.project is not None:
        _require_inside(found, found.workspace, _workspace_place(brewery, workspace))
    if organization is not None:
        _require_inside(found, found.organization, _organization_place(brewery, organization))
    return found


def _single(ref: Any, what: str) -> Ref | None:
    """One id or title (numpy integers from a DataFrame index count as ids)."""
    if ref is None:
        return None
    if isinstance(ref, np.integer):
        return int(ref)
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise InvalidSelection(
            f"The dashboard opens one {what}, named by id or exact title, not {ref!r}."
        )
    return ref


def _require_inside(found: Location, actual: Place | None, given: Place) -> None:
    if actual is None or actual.id != given.id:
        where = f"{actual.level} {actual.title!r}" if actual else f"no {given.level}"
        raise InvalidSelection(
            f"{found.here.level.capitalize()} {found.here.title!r} is in {where}, not in "
            f"{given.level} {given.title!r}; drop {given.level}= or name a place inside it."
        )


def _title(brewery: Brewery, table_name: str, row_id: int) -> str:
    table = brewery.schema.table(table_name)
    with brewery.engine.connect() as conn:
        title = conn.execute(sa.select(table.c.title).where(table.c.id == row_id)).scalar()
    return str(title) if title is not None else f"{table_name} {row_id}"


def _organization_place(brewery: Brewery, ref: Ref) -> Place:
    ids = resolve_tenancy(brewery, organization=ref).organization_ids
    assert ids is not None and len(ids) == 1  # one ref: one id, or NotFound / InvalidSelection
    org_id = ids[0]
    return Place("organization", org_id, _title(brewery, "organization", org_id))


def _workspace_place(brewery: Brewery, ref: Ref) -> Place:
    ids = resolve_tenancy(brewery, workspace=ref).workspace_ids
    assert ids is not None and len(ids) == 1
    space_id = ids[0]
    return Place("workspace", space_id, _title(brewery, "workspace", space_id))


def _workspace_location(brewery: Brewery, ref: Ref) -> Location:
    """A workspace and the organization it is linked to (if the database links them)."""
    space = _workspace_place(brewery, ref)
    schema = brewery.schema
    if not schema.has_table("organization_workspaces"):
        return Location(workspace=space)
    links = schema.table("organization_workspaces")
    with brewery.engine.connect() as conn:
        org_id = conn.execute(
            sa.select(links.c.organization_id)
            .where(links.c.workspace_id == space.id)
            .order_by(links.c.organization_id)
            .limit(1)
        ).scalar()
    if org_id is None:
        return Location(workspace=space)
    return Location(
        Place("organization", int(org_id), _title(brewery, "organization", int(org_id))), space
    )


def _project_location(brewery: Brewery, ref: Ref) -> Location:
    """A project and the organization and workspace its row names."""
    project = Project.load(brewery, ref)
    row = project.row
    places: dict[str, Place | None] = {}
    for level in ("organization", "workspace"):
        row_id = row.get(f"{level}_id")
        known = row_id is not None and brewery.schema.has_column(level, "title")
        places[level] = (
            Place(level, int(row_id), _title(brewery, level, int(row_id))) if known else None
        )
    return Location(
        places["organization"], places["workspace"], Place("project", project.id, project.title)
    )


# ============================================================== the period


@dataclass(frozen=True)
class Period:
    """The date range every activity figure counts: ``since`` inclusive, ``until`` exclusive."""

    since: datetime | None
    until: datetime | None
    since_text: str | None
    until_text: str | None

    @classmethod
    def of(cls, brewery: Brewery, since: TimeRef | None, until: TimeRef | None) -> Period:
        """Checked like every metric's range (a bare date as ``until`` includes that day)."""
        window = resolve_scope(brewery, since=since, until=until)
        return cls(window.since, window.until, _time_text(since), _time_text(until))

    @property
    def label(self) -> str:
        if self.since_text is None and self.until_text is None:
            return "all time"
        return f"{self.since_text or '…'} – {self.until_text or '…'}"

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since_text, "until": self.until_text, "label": self.label}


def _time_text(value: TimeRef | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value).strip()


# ============================================================== JSON values


def _num(value: Any) -> float | None:
    """A finite float, or None for missing, NaN and infinite values."""
    if value is None or value is pd.NaT:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int:
    number = _num(value)
    return int(number) if number is not None else 0


def _when(value: Any) -> str | None:
    """A timestamp as ISO text (UTC when it has a zone), None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(UTC)
    return stamp.isoformat()


def _day(value: Any) -> str:
    """A period start (a timestamp) as its ISO date."""
    return pd.Timestamp(value).date().isoformat()


def _json(value: Any) -> Any:
    """One plain value of the analytics side as JSON (NaN → None, timestamps → ISO text)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, datetime | pd.Timestamp):
        return _when(value)
    return _num(value)


def _message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _part(compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``{"ok": True, ...}``, or ``{"ok": False, "error": ...}`` for a failure the user can
    fix or that this database explains (a bug still raises)."""
    try:
        return {"ok": True, **compute()}
    except _USER_ERRORS as exc:
        return {"ok": False, "error": _message(exc)}


# ============================================================== the figures of a place


def compute_figures(brewery: Brewery, location: Location, period: Period) -> dict[str, Any]:
    """Everything the dashboard shows for ``location`` in ``period``, as JSON values."""
    here = location.here
    place = Overview(brewery, here.level, here.id, since=period.since, until=period.until)
    key = key_figures(place)
    return {
        "level": here.level,
        "id": here.id,
        "title": here.title,
        "period": period.as_dict(),
        "key": {name: _json(value) for name, value in key.values.items()},
        "notes": dict(key.notes),
        "tables": _tables(place),
        "charts": {name: _part(lambda n=name: _CHARTS[n](place)) for name in CHARTS[here.level]},
    }


# -------------------------------------------------------------------- tables


def _column(key: str, label: str, kind: str) -> dict[str, str]:
    return {"key": key, "label": label, "format": kind}


_PLACE_COLUMNS = (
    _column("projects", "Projects", "int"),
    _column("tasks", "Tasks", "int"),
    _column("progress", "Labeled", "progress"),
    _column("annotations", "Annotations", "int"),
    _column("skipped", "Skips", "int"),
)
_PROJECT_COLUMNS = (
    _column("tasks", "Tasks", "int"),
    _column("progress", "Labeled", "progress"),
    _column("queue", "Queue", "int"),
    _column("annotations", "Annotations", "int"),
    _column("skipped", "Skips", "int"),
    _column("annotators", "Annotators", "int"),
)
#: Place tables of drill_down(): name → (title, the level a row opens).
_PLACE_TABLES = {
    "organizations": ("Organizations", "organization"),
    "workspaces": ("Workspaces", "workspace"),
}


def _tables(place: Overview) -> list[dict[str, Any]]:
    """The drill-down tables of the place: organizations or workspaces, then projects."""
    frames = drill_down(place)
    tables = []
    for name, frame in frames.items():
        if name != "projects":
            title, level = _PLACE_TABLES[name]
            rows = [{c: _json(v) for c, v in row.items()} for row in frame.to_dict("records")]
            tables.append(_table(name, title, level, _PLACE_COLUMNS, rows))
            continue
        title = "Projects outside any organization" if "organizations" in frames else "Projects"
        columns = _PROJECT_COLUMNS
        if place.level == "organization":
            columns = (_column("workspace", "Workspace", "text"), *columns)
        tables.append(_table(name, title, "project", columns, _project_rows(frame)))
    return tables


def _table(
    name: str, title: str, level: str, columns: tuple[dict[str, str], ...], rows: list[dict]
) -> dict[str, Any]:
    """A table whose rows open ``level`` when clicked; at most MAX_ROWS rows travel.

    The first column is the row's title (the button that opens it), named after ``level``.
    """
    return {
        "name": name,
        "title": title,
        "level": level,
        "columns": [_column("title", level.capitalize(), "name"), *columns],
        "rows": rows[:MAX_ROWS],
        "total": len(rows),
        "truncated": len(rows) > MAX_ROWS,
    }


def _project_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for row in frame.to_dict("records"):
        workspace = row.get("workspace")
        rows.append(
            {
                "id": int(row["project_id"]),
                "title": str(row["project"]),
                "workspace": workspace if isinstance(workspace, str) else None,
                "tasks": _int(row["tasks"]),
                "labeled_tasks": _int(row["labeled_tasks"]),
                "progress": _num(row["progress"]),
                "queue": _int(row["queue"]),
                "annotations": _int(row["annotations"]),
                "skipped": _int(row["skipped"]),
                "annotators": _int(row["annotators"]),
            }
        )
    return rows


# -------------------------------------------------------------------- charts


def _over_time(place: Overview) -> dict[str, Any]:
    """Annotations and skips per period, every period in the range present (zeros too)."""
    freq = period_frequency(place)
    frame = annotations_per_period(place, freq)
    return {
        "freq": freq,
        "periods": [_day(stamp) for stamp in frame["period"]],
        "annotations": [int(v) for v in frame["annotations"]],
        "skips": [int(v) for v in frame["skips"]],
    }


def _throughput(place: Overview) -> dict[str, Any]:
    """The busiest annotators: submitted, skipped, median lead time, active days."""
    frame = place.throughput
    rows = [
        {
            "annotator": str(row.annotator),
            "annotations": _int(row.annotations),
            "skips": _int(row.skips),
            "median_lead_time_s": _num(row.median_lead_time_s),
            "active_days": _int(row.active_days),
        }
        for row in frame.head(MAX_ANNOTATORS).itertuples(index=False)
    ]
    return {"rows": rows, "total": len(frame)}


def _labels(place: Overview) -> dict[str, Any]:
    """Per labelled control, how often each label was given (config order first)."""
    controls = []
    for control, rows in label_counts(place).groupby("control", sort=False):
        controls.append(
            {
                "control": str(control),
                "tag": str(rows["tag"].iloc[0]),
                "total": _int(rows["count"].sum()),
                "labels": [
                    {
                        "label": str(r["label"]),
                        "count": _int(r["count"]),
                        "share": _num(r["share"]),
                        "in_config": bool(r["in_config"]),
                    }
                    for r in rows.head(MAX_LABELS).to_dict("records")
                ],
                "more": max(len(rows) - MAX_LABELS, 0),
            }
        )
    return {"controls": controls[:MAX_CONTROLS]}


def _agreement(place: Overview) -> dict[str, Any]:
    """The headline agreement of each Choices, Rating and Number control of the project."""
    controls = agreement_controls(place)
    return {
        "controls": [_control_agreement(place, c) for c in controls[:MAX_CONTROLS]],
        "applicable": bool(controls),
    }


def _control_agreement(place: Overview, control: ControlTag) -> dict[str, Any]:
    """One control's headline metrics; its own error when the ratings do not allow them."""
    head: dict[str, Any] = {"control": control.name, "tag": control.tag}
    try:
        frame = control_agreement(place, control)
    except _USER_ERRORS as exc:
        return {**head, "ok": False, "error": _message(exc)}
    shown = [
        {
            "metric": row["metric"],
            "label": row["label"],
            "value": _num(row["value"]),
            "n_items": _int(row["n_items"]),
            "n_annotators": _int(row["n_annotators"]),
        }
        for row in frame.to_dict("records")
    ]
    return {**head, "ok": True, "metrics": shown}


def _billing(place: Overview) -> dict[str, Any]:
    """Embedding costs per month (organization or workspace) and orders (organization)."""
    billing: dict[str, Any] = {"embeddings": _part(lambda: _embeddings(place))}
    if place.level == "organization":
        billing["orders"] = _part(lambda: _orders(place))
    return billing


def _embeddings(place: Overview) -> dict[str, Any]:
    months = monthly_embeddings(place)
    return {
        "months": [_day(m) for m in months["month"]],
        "count": [_int(v) for v in months["embeddings_count"]],
        "cost": [_num(v) or 0.0 for v in months["embeddings_cost"]],
        "total_count": _int(months["embeddings_count"].sum()),
        "total_cost": _num(months["embeddings_cost"].sum()) or 0.0,
    }


def _orders(place: Overview) -> dict[str, Any]:
    """One panel per currency, most orders first (amounts never cross currencies)."""
    panels = orders_by_currency(place)
    return {
        "currencies": [_orders_panel(p) for p in panels[:MAX_CURRENCIES]],
        "more": max(len(panels) - MAX_CURRENCIES, 0),
    }


def _orders_panel(panel: CurrencyOrders) -> dict[str, Any]:
    statuses = [str(s) for s in panel.cost.columns]
    return {
        "currency": panel.currency,
        "periods": [_day(p) for p in panel.cost.index],
        "statuses": statuses,
        "cost": {s: [_num(v) or 0.0 for v in panel.cost[s]] for s in statuses},
        "orders": {s: [_int(v) for v in panel.orders[s]] for s in statuses},
        "total_cost": _num(panel.total_cost) or 0.0,
        "total_orders": panel.total_orders,
    }


def _workforce(place: Overview) -> dict[str, Any]:
    """Members by role, how recently they were active, and invitations by status."""
    return {
        "members": _part(lambda: _members(place)),
        "activity": _part(lambda: _activity(place)),
        "invitations": _part(lambda: _invitations(place)),
    }


def _members(place: Overview) -> dict[str, Any]:
    roles = members_by_role(place)
    return {
        "roles": [
            {"role": str(r), "members": _int(n)}
            for r, n in zip(roles["role"], roles["members"], strict=True)
        ],
        "members": _int(roles["members"].sum()),
        "former_members": _int(roles["former_members"].sum()),
    }


def _activity(place: Overview) -> dict[str, Any]:
    frame = members_by_activity(place)
    return {
        "windows": [
            {"window": w, "members": _int(n)}
            for w, n in zip(frame["window"], frame["members"], strict=True)
        ]
    }


def _invitations(place: Overview) -> dict[str, Any]:
    per = invitations_by_status(place)
    return {
        "statuses": [
            {"status": str(r.status), "invitations": _int(r.invitations), "uses": _int(r.uses)}
            for r in per.itertuples(index=False)
        ],
        "total": _int(per["invitations"].sum()),
    }


#: Chart section name → its JSON. Every name of CHARTS has one.
_CHARTS: dict[str, Callable[[Overview], dict[str, Any]]] = {
    "over_time": _over_time,
    "throughput": _throughput,
    "labels": _labels,
    "agreement": _agreement,
    "billing": _billing,
    "workforce": _workforce,
}


# ============================================================== the widget


def _describe(exc: BaseException) -> tuple[str, bool]:
    """The message the widget shows, and whether the failure is a bug (then re-raised)."""
    if isinstance(exc, _USER_ERRORS) and not isinstance(exc, ConnectionFailed):
        return _message(exc), False
    if isinstance(exc, _CONNECTION_ERRORS):
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else type(exc).__name__
        return f"Lost the connection to the database ({first}). Try again with ↻ Refresh.", False
    if isinstance(exc, _BadRequest):
        return str(exc), False
    return f"Internal error ({type(exc).__name__}: {exc}); see the kernel log.", True


class Dashboard(anywidget.AnyWidget):
    """Key figures and charts of an organization, workspace or project; click to drill down.

    Obtain it with ``brewery.dashboard()``. Click a row to open that workspace or project,
    a breadcrumb step (or Alt+↑) to go back up; pick a period to count activity in it.
    From Python: :meth:`navigate`, :meth:`up`, :meth:`refresh`, :meth:`set_period`; the numbers
    on screen are ``dashboard.figures``, and as DataFrames without the widget
    :func:`databrewery_lab.analytics.overview.overview` gives them.
    """

    _esm = resource_path("widgets/dashboard.js")
    _css = resource_path("widgets/dashboard.css")

    # Everything below is synced to the browser; the browser only reads it.
    location = t.Dict(
        help="The place on screen: level, organization_id, workspace_id, project_id."
    ).tag(sync=True)
    breadcrumb = t.List(
        t.Dict(), help="The places from all organizations down to here: level, id, title."
    ).tag(sync=True)
    period = t.Dict(help="since, until (as given, ISO text or None) and a label.").tag(sync=True)
    figures = t.Dict(help="What the place shows (see compute_figures).").tag(sync=True)
    status = t.Enum(("loading", "ready", "error"), "loading").tag(sync=True)
    error = t.Unicode("", help="Why the last move failed; '' when it worked.").tag(sync=True)
    computed = t.Dict(help="Ack of the last computation: level, id, seconds, at, request_id.").tag(
        sync=True
    )

    def __init__(
        self,
        brewery: Brewery,
        *,
        organization: Ref | None = None,
        workspace: Ref | None = None,
        project: Ref | None = None,
        since: TimeRef | None = None,
        until: TimeRef | None = None,
    ) -> None:
        # Everything is resolved and computed before the widget exists, so a bad name
        # raises at once and leaves no half-made widget behind.
        period = Period.of(brewery, since, until)
        location = locate(brewery, organization, workspace, project)
        started = time.perf_counter()
        figures = compute_figures(brewery, location, period)
        super().__init__(**self._state(location, period, figures, started, None), status="ready")
        self._brewery = brewery
        self._period = period
        self._location = location
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            kind: getattr(self, f"_on_{kind}") for kind in REQUEST_KINDS
        }
        self.on_msg(self._handle_message)

    # -- public ---------------------------------------------------------------------------
    @property
    def level(self) -> str:
        """``"all"``, ``"organization"``, ``"workspace"`` or ``"project"``."""
        return self._location.level

    def navigate(
        self,
        organization: Ref | None = None,
        *,
        workspace: Ref | None = None,
        project: Ref | None = None,
    ) -> None:
        """Show the most specific place named (none: all organizations)."""
        self._move(locate(self._brewery, organization, workspace, project))

    def up(self) -> None:
        """Show the place one level up."""
        self._move(self._location.parent())

    def refresh(self) -> None:
        """Compute the place on screen again from the live database."""
        self._move(self._location)

    def set_period(self, since: TimeRef | None = None, until: TimeRef | None = None) -> None:
        """Count activity (annotations, skips, lead times, billing) in ``[since, until]``.

        A bare date as ``until`` includes that whole day; ``None`` leaves that side open.
        """
        period = Period.of(self._brewery, since, until)
        self._move(self._location, period)

    def __repr__(self) -> str:
        here = self._location.here
        return f"<Dashboard {here.level} {here.title!r}, {self._period.label}, {self.status}>"

    # -- moving ---------------------------------------------------------------------------
    @staticmethod
    def _state(
        location: Location,
        period: Period,
        figures: dict[str, Any],
        started: float,
        request_id: Any,
    ) -> dict[str, Any]:
        return {
            "location": location.as_dict(),
            "breadcrumb": [place.as_dict() for place in location.crumbs()],
            "period": period.as_dict(),
            "figures": figures,
            "error": "",
            "computed": {
                "level": location.level,
                "id": location.here.id,
                "seconds": round(time.perf_counter() - started, 3),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "request_id": request_id,
            },
        }

    def _move(
        self, location: Location, period: Period | None = None, request_id: Any = None
    ) -> None:
        """Compute ``location`` and show it; on failure the previous place stays on screen."""
        period = period or self._period
        started = time.perf_counter()
        self.status = "loading"  # sent now: the browser shows it while the kernel works
        try:
            figures = compute_figures(self._brewery, location, period)
        except BaseException as exc:  # an interrupt too: the page must not stay "loading"
            message, _ = _describe(exc)
            with self.hold_sync():
                self.error = message
                self.status = "error"
            raise
        with self.hold_sync():
            for name, value in self._state(location, period, figures, started, request_id).items():
                setattr(self, name, value)
            self.status = "ready"
        self._location, self._period = location, period

    # -- message handlers: one per REQUEST_KINDS entry ------------------------------------
    def _on_open(self, content: dict[str, Any]) -> None:
        level = content.get("level")
        if level not in LEVELS:
            raise _BadRequest(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        place_id = content.get("id")
        if level == "all":
            location = Location()
        elif isinstance(place_id, bool) or not isinstance(place_id, int):
            raise _BadRequest(f"opening a {level} needs its integer id, not {place_id!r}")
        else:
            location = locate(self._brewery, **{level: place_id})
        self._move(location, request_id=content.get("request_id"))

    def _on_up(self, content: dict[str, Any]) -> None:
        self._move(self._location.parent(), request_id=content.get("request_id"))

    def _on_refresh(self, content: dict[str, Any]) -> None:
        self._move(self._location, request_id=content.get("request_id"))

    def _on_period(self, content: dict[str, Any]) -> None:
        bounds = {}
        for side in ("since", "until"):
            value = content.get(side)
            if value is not None and (not isinstance(value, str) or len(value) > 40):
                raise _BadRequest(f"{side} must be a short ISO date text or null, not {value!r}")
            bounds[side] = value or None
        period = Period.of(self._brewery, bounds["since"], bounds["until"])
        self._move(self._location, period, request_id=content.get("request_id"))

    # -- dispatch -------------------------------------------------------------------------
    def _handle_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        kind = content.get("kind") if isinstance(content, dict) else None
        request_id = content.get("request_id") if isinstance(content, dict) else None
        if kind not in self._handlers:
            self._reply(request_id, ok=False, error=f"unknown request kind {kind!r}")
            return
        try:
            self._handlers[kind](content)
        except Exception as exc:
            message, bug = _describe(exc)
            with self.hold_sync():
                self.error = message
                self.status = "error"
            self._reply(request_id, ok=False, error=message)
            if bug:
                raise  # shown by ipywidgets in the log, never swallowed
            return
        self._reply(request_id, ok=True)

    def _reply(self, request_id: Any, *, ok: bool, error: str | None = None) -> None:
        self.send({"kind": REPLY_KIND, "request_id": request_id, "ok": ok, "error": error})


__all__ = [
    "AGREEMENT_HEADLINES",
    "CHARTS",
    "LEVELS",
    "REPLY_KIND",
    "REQUEST_KINDS",
    "Dashboard",
    "Location",
    "Period",
    "Place",
    "compute_figures",
    "locate",
]
