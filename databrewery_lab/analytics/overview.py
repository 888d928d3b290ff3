"""A manager's overview of one place: every project, an organization, a workspace or a project.

An :class:`Overview` is the projects of that place (:func:`~.summaries.project_summaries`)
and the period whose activity counts. It computes each underlying metric at most once,
so the key figures here, the drill-down tables (:mod:`.overview_drilldown`) and the
charts (:mod:`.overview_activity`, :mod:`.overview_billing_workforce`) share one query per
metric. The dashboard widget shows these; in a notebook::

    from databrewery_lab.analytics.overview import key_figures, overview
    northwind = overview(brewery, organization="Northwind Labs", since="2026-08-15")
    key_figures(northwind).values      # {'projects': 5, 'progress': 0.62, ...}
    northwind.summaries                # one row per project

Key figures (:func:`key_figures`): projects, tasks, labeled tasks, queue and progress
(state now); annotations, skips, skip rate, active annotators and the median and p90
lead time over all the projects together (activity in the period); the organizations
(every project) or workspaces (an organization) below; and the time to finish the
remaining annotations at the rate of the period (or of the last week).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from databrewery_lab.errors import DatabreweryError
from databrewery_lab.label_config import LabelConfig, parse_label_config

from .frames import MetricFrame
from .scope import InvalidSelection, ProjectRef, Scope, ScopedProject, TimeRef, resolve_scope
from .summaries import project_summaries
from .tenancy import OrgRef, resolve_tenancy
from .throughput import annotator_throughput, lead_times, time_to_finish

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

#: The places an overview is of, top first.
LEVELS = ("all", "organization", "workspace", "project")
#: The rate window of "time to finish" when the period has no start.
RATE_WINDOW_DAYS = 7.0
#: The key figure counting the places one level down.
_PLACES_BELOW = {"all": "organizations", "organization": "workspaces"}
_THROUGHPUT_COLUMNS = ["annotator_id", "annotator", "annotations", "skips", "first_at", "last_at"]


class Overview:
    """The projects of one place and the period whose activity counts.

    ``level`` is one of :data:`LEVELS`; ``place_id`` the organization, workspace or project
    id (None for ``"all"``). ``since`` is inclusive, ``until`` exclusive (a bare date as
    ``until`` includes that day). Metrics are computed on first use and kept.
    """

    def __init__(
        self,
        brewery: Brewery,
        level: str = "all",
        place_id: int | None = None,
        *,
        since: TimeRef | None = None,
        until: TimeRef | None = None,
    ) -> None:
        if level not in LEVELS:
            raise InvalidSelection(f"level={level!r}; an overview is of one of {LEVELS}.")
        if (place_id is None) != (level == "all"):
            needs = "no place_id" if level == "all" else "the id of that place as place_id"
            raise InvalidSelection(f"An overview of {level!r} takes {needs}, not {place_id!r}.")
        window = resolve_scope(brewery, since=since, until=until)
        self.brewery = brewery
        self.level = level
        self.place_id = place_id
        self.since: datetime | None = window.since
        self.until: datetime | None = window.until

    def __repr__(self) -> str:
        place = self.level if self.place_id is None else f"{self.level} {self.place_id}"
        return f"<Overview {place}, since={self.since}, until={self.until}>"

    @property
    def times(self) -> dict[str, datetime | None]:
        """``since`` and ``until`` as keyword arguments of the analytics functions."""
        return {"since": self.since, "until": self.until}

    @cached_property
    def summaries(self) -> MetricFrame:
        """The :func:`~.summaries.project_summaries` every figure here follows."""
        if self.level == "project":
            return project_summaries(self.brewery, self.place_id, **self.times)
        if self.level in ("organization", "workspace"):
            place = {self.level: self.place_id}
            return project_summaries(self.brewery, **place, **self.times)
        return project_summaries(self.brewery, **self.times)

    @cached_property
    def scope(self) -> Scope | None:
        """The analytics scope of these projects in the period; None when there are none.

        (An empty project list would mean *every* project to the analytics functions.)
        """
        if self.summaries.empty:
            return None
        base = Scope(since=self.since, until=self.until)
        if self.level == "all":
            return base
        projects = tuple(
            ScopedProject(int(pid), str(title), None)
            for pid, title in zip(
                self.summaries["project_id"], self.summaries["project"], strict=True
            )
        )
        return replace(base, projects=projects)

    @cached_property
    def throughput(self) -> pd.DataFrame:
        """:func:`~.throughput.annotator_throughput` of the projects here, busiest first."""
        if self.scope is None:
            return pd.DataFrame(columns=_THROUGHPUT_COLUMNS)
        return annotator_throughput(self.brewery, self.scope)

    @cached_property
    def project_scope(self) -> Scope:
        """The scope of the one project of a project overview, with its label config."""
        if self.level != "project":
            raise InvalidSelection(f"An overview of {self.level!r} has no single project.")
        return resolve_scope(self.brewery, self.place_id, **self.times)

    @cached_property
    def label_config(self) -> LabelConfig:
        """The project's parsed config; LabelConfigError says what is wrong with it."""
        return parse_label_config(self.project_scope.projects[0].label_config or "")

    @cached_property
    def places_below(self) -> list[tuple[int, str]]:
        """``(id, title)`` of every organization (all) or the organization's workspaces."""
        if self.level == "all":
            return _organizations(self.brewery)
        if self.level == "organization":
            return _workspaces(self.brewery, self.place_id, self.summaries)
        return []


def overview(
    brewery: Brewery,
    *,
    organization: OrgRef | None = None,
    workspace: OrgRef | None = None,
    project: ProjectRef | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
) -> Overview:
    """The overview of one place, named by id or exact title (none named: every project)."""
    named = {
        level: ref
        for level, ref in (
            ("organization", organization),
            ("workspace", workspace),
            ("project", project),
        )
        if ref is not None
    }
    if len(named) > 1:
        raise InvalidSelection(
            f"An overview is of one place; name one of {', '.join(named)}, not {len(named)}."
        )
    if not named:
        return Overview(brewery, since=since, until=until)
    ((level, ref),) = named.items()
    if level == "project":
        ids = resolve_scope(brewery, ref).project_ids
    else:
        tenancy = resolve_tenancy(brewery, **{level: ref})
        ids = tenancy.organization_ids if level == "organization" else tenancy.workspace_ids
    if ids is None or len(ids) != 1:
        raise InvalidSelection(f"An overview is of one {level}, not {ref!r}.")
    return Overview(brewery, level, ids[0], since=since, until=until)


def _organizations(brewery: Brewery) -> list[tuple[int, str]]:
    """Every organization, by id."""
    schema = brewery.schema
    schema.require("organization", "id", "title", feature="the dashboard's organizations")
    table = schema.table("organization")
    with brewery.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.title).order_by(table.c.id)).all()
    return [(int(row.id), str(row.title)) for row in rows]


def _workspaces(
    brewery: Brewery, organization_id: int | None, summaries: pd.DataFrame
) -> list[tuple[int, str]]:
    """The organization's workspaces: linked ones, and any its projects name."""
    schema = brewery.schema
    found: dict[int, str] = {}
    if schema.has_table("organization_workspaces") and schema.has_column("workspace", "title"):
        links, spaces = schema.table("organization_workspaces"), schema.table("workspace")
        query = (
            sa.select(spaces.c.id, spaces.c.title)
            .join(links, links.c.workspace_id == spaces.c.id)
            .where(links.c.organization_id == organization_id)
        )
        with brewery.engine.connect() as conn:
            found.update((int(r.id), str(r.title)) for r in conn.execute(query))
    if "workspace_id" in summaries:
        named = summaries.dropna(subset=["workspace_id"])
        for space_id, title in zip(named["workspace_id"], named["workspace"], strict=True):
            found.setdefault(int(space_id), str(title))
    return sorted(found.items())


# ============================================================== key figures


@dataclass(frozen=True)
class KeyFigures:
    """The headline numbers of an overview (None where undefined, e.g. progress of 0 tasks)
    and, for a number this database cannot give, the reason in ``notes`` instead."""

    values: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def key_figures(place: Overview) -> KeyFigures:
    """Progress, activity, lead times and time to finish of the projects of ``place``."""
    s = place.summaries
    tasks, labeled = int(s["tasks"].sum()), int(s["labeled_tasks"].sum())
    annotations, skipped = int(s["annotations"].sum()), int(s["skipped"].sum())
    figures = KeyFigures(
        {
            "projects": len(s),
            "tasks": tasks,
            "labeled_tasks": labeled,
            "queue": tasks - labeled,
            "progress": _ratio(labeled, tasks),
            "annotations": annotations,
            "skipped": skipped,
            "skip_rate": _ratio(skipped, annotations + skipped),
        }
    )
    pieces: list[tuple[tuple[str, ...], Callable[[Overview], dict[str, Any]]]] = [
        (("annotators",), _annotators),
        (("median_lead_time_s", "p90_lead_time_s"), _lead_time),
        (("days_to_finish",), _finish),
    ]
    below = _PLACES_BELOW.get(place.level)
    if below is not None:
        pieces.insert(0, ((below,), lambda p: {below: len(p.places_below)}))
    for names, piece in pieces:
        try:
            figures.values.update(piece(place))
        except DatabreweryError as exc:  # this database cannot give it: say why, go on
            figures.notes.update(dict.fromkeys(names, str(exc) or type(exc).__name__))
    return figures


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _number(value: Any) -> float | None:
    """A float, or None for a missing (NULL, NaN) one."""
    return None if value is None or pd.isna(value) else float(value)


def _annotators(place: Overview) -> dict[str, Any]:
    """People who submitted at least one annotation here in the period."""
    frame = place.throughput
    active = frame["annotator_id"].notna() & (frame["annotations"] > 0)
    return {"annotators": int(active.sum())}


def _lead_time(place: Overview) -> dict[str, Any]:
    """Median and p90 seconds per submitted annotation, pooled over every project here."""
    if place.scope is None:
        return {"median_lead_time_s": None, "p90_lead_time_s": None, "timed_annotations": 0}
    # A database that records no lead times says so (lead_times alone would show none).
    place.brewery.schema.require(
        "task_completion", "was_cancelled", "lead_time", feature="lead times"
    )
    row = lead_times(place.brewery, place.scope, by=None).iloc[0]
    return {
        "median_lead_time_s": _number(row["median_s"]),
        "p90_lead_time_s": _number(row["p90_s"]),
        "timed_annotations": int(row["annotations"]),
    }


def _finish(place: Overview) -> dict[str, Any]:
    """Remaining annotations and when they are done at the rate of the period (or last week)."""
    done = {"remaining_annotations": 0, "remaining_tasks": 0, "days_to_finish": 0.0}
    if place.scope is None:
        return done
    frame = time_to_finish(place.brewery, place.scope, window_days=RATE_WINDOW_DAYS)
    if frame.empty:  # projects without tasks
        return done
    remaining = int(frame["remaining_annotations"].sum())
    recent = int(frame["recent_annotations"].sum())
    start, end = frame["window_start"].iloc[0], frame["window_end"].iloc[0]
    days = (end - start).total_seconds() / 86400.0
    rate = recent / days if days > 0 else 0.0
    to_go = 0.0 if remaining == 0 else (remaining / rate if rate > 0 else None)
    return {
        "remaining_annotations": remaining,
        "remaining_tasks": int(frame["remaining_tasks"].sum()),
        "recent_annotations": recent,
        "annotations_per_day": rate,
        "days_to_finish": to_go,
        "expected_finish": end + pd.Timedelta(days=to_go) if to_go is not None else None,
        "rate_window_start": start,
        "rate_window_end": end,
    }
