"""What a metric looks at: projects or tasks, a date range and annotators, checked once.

Every analytics function takes the same selection, resolves it here into a frozen
:class:`Scope` (ids only, every name looked up, every bad input refused with a message
naming it and the fix), and turns it into a PostgreSQL ``WHERE`` clause whose values are
all bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from databrewery_lab.errors import DatabreweryError, NotAMember, NotFound
from databrewery_lab.projects import Project
from databrewery_lab.users import User, resolve_user

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

    from .engine import PgValue

ProjectRef = int | str | Project
TimeRef = date | datetime | str
UserRef = int | str | User

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_SHOWN_MISSING = 5


class InvalidSelection(DatabreweryError, ValueError):
    """A metric's selection is malformed or contradictory (e.g. ``since`` after ``until``)."""


#: Calendar periods a metric can be bucketed by (PostgreSQL ``date_trunc`` units).
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "quarter", "year")


def check_period(freq: str) -> str:
    """``freq`` if it is one of :data:`PERIODS`, else InvalidSelection naming them."""
    if freq not in PERIODS:
        raise InvalidSelection(f"freq={freq!r} is not a period; use one of {', '.join(PERIODS)}.")
    return freq


@dataclass(frozen=True)
class ScopedProject:
    """A project in a scope: what metrics need to label and interpret its rows."""

    id: int
    title: str
    label_config: str | None


@dataclass(frozen=True)
class Scope:
    """A resolved selection. Build it with :func:`resolve_scope`.

    ``projects`` is empty when the scope is every project of the database. ``since`` is
    inclusive and ``until`` exclusive, both timezone-aware (UTC).
    """

    projects: tuple[ScopedProject, ...] = ()
    task_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    annotator_ids: tuple[int, ...] | None = None

    @property
    def all_projects(self) -> bool:
        return not self.projects

    @property
    def project_ids(self) -> tuple[int, ...]:
        return tuple(project.id for project in self.projects)

    @property
    def label(self) -> str:
        """A short description for figure titles."""
        if self.all_projects:
            what = "all projects"
        elif len(self.projects) == 1:
            what = self.projects[0].title
        else:
            what = f"{len(self.projects)} projects"
        if self.task_ids is not None:
            what = f"{len(self.task_ids)} tasks of {what}"
        if self.since or self.until:
            start = self.since.date().isoformat() if self.since else "…"
            end = self.until.isoformat(timespec="minutes") if self.until else "…"
            what += f", {start} – {end}"
        return what

    def pg_filter(
        self,
        alias: str,
        *,
        project_column: str = "project_id",
        task_column: str = "task_id",
        time_column: str | None = "created_at",
        annotator_column: str | None = "completed_by_id",
        first_param: int = 1,
    ) -> tuple[str, tuple[PgValue, ...]]:
        """``(clause, params)`` restricting ``alias`` to this scope; placeholders ``$n``.

        Column names are the caller's constants (checked against the schema by the caller);
        ids travel as one bound array literal each, dates as bound ISO text.
        """
        for name in (alias, project_column, task_column, time_column, annotator_column):
            if name is not None and not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r} is not a plain identifier")
        clauses: list[str] = []
        params: list[PgValue] = []

        def bound(value: PgValue, cast: str) -> str:
            params.append(value)
            return f"${first_param + len(params) - 1}::{cast}"

        if not self.all_projects:
            ids = bound(_int_array(self.project_ids), "bigint[]")
            clauses.append(f"{alias}.{project_column} = ANY({ids})")
        if self.task_ids is not None:
            clauses.append(
                f"{alias}.{task_column} = ANY({bound(_int_array(self.task_ids), 'bigint[]')})"
            )
        if time_column is not None and self.since is not None:
            clauses.append(
                f"{alias}.{time_column} >= {bound(self.since.isoformat(), 'timestamptz')}"
            )
        if time_column is not None and self.until is not None:
            clauses.append(
                f"{alias}.{time_column} < {bound(self.until.isoformat(), 'timestamptz')}"
            )
        if annotator_column is not None and self.annotator_ids is not None:
            ids = bound(_int_array(self.annotator_ids), "bigint[]")
            clauses.append(f"{alias}.{annotator_column} = ANY({ids})")
        return (" AND ".join(clauses) or "TRUE"), tuple(params)


def resolve_scope(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> Scope:
    """Resolve a metric's selection; unknown names raise NotFound, contradictions InvalidSelection.

    ``project``: an id, title or :class:`Project`, a list of them, an already resolved
    :class:`Scope`, or None for every project (or the projects of ``tasks``).
    ``tasks``: explicit task ids. ``since``/``until``: dates, datetimes or ISO strings;
    a bare date as ``until`` includes that whole day; naive times are UTC.
    ``annotators``: ids, emails or usernames (one or a list).
    """
    if isinstance(project, Scope):
        if any(x is not None for x in (tasks, since, until, annotators)):
            raise InvalidSelection(
                "Pass either a resolved Scope or the filters (tasks, since, until, annotators),"
                " not both; resolve_scope() builds a new Scope from the filters."
            )
        return project
    start = parse_instant(since, "since", end_of_day=False)
    end = parse_instant(until, "until", end_of_day=True)
    if start is not None and end is not None and start >= end:
        raise InvalidSelection(
            f"since={since!r} is not before until={until!r}, so the date range is empty; "
            "swap them or widen the range."
        )
    projects = _projects(brewery, project)
    task_ids = None
    if tasks is not None:
        task_ids, task_projects = _tasks(brewery, tasks)
        if projects:
            outside = sorted(set(task_projects) - {p.id for p in projects})
            if outside:
                raise InvalidSelection(
                    f"Some selected tasks belong to project(s) {outside}, outside the "
                    f"selected project(s) {[p.id for p in projects]}; drop the project "
                    "argument or those tasks."
                )
        else:
            projects = _projects(brewery, list(task_projects))
    people = None if annotators is None else _annotators(brewery, annotators)
    return Scope(tuple(projects), task_ids, start, end, people)


# --------------------------------------------------------------------------- pieces


def _projects(
    brewery: Brewery, project: ProjectRef | Iterable[ProjectRef] | None
) -> list[ScopedProject]:
    if project is None:
        return []
    refs: list[Any] = (
        [project] if isinstance(project, int | str | Project | np.integer) else list(project)
    )
    if not refs:
        raise InvalidSelection(
            "The project list is empty; pass a project id or title, or None for all projects."
        )
    found: dict[int, ScopedProject] = {}
    for ref in refs:
        loaded = ref if isinstance(ref, Project) else Project.load(brewery, _plain(ref))
        found.setdefault(loaded.id, ScopedProject(loaded.id, loaded.title, loaded.label_config))
    return list(found.values())


def _plain(ref: Any) -> Any:
    """numpy integers (from a DataFrame index) behave like ints."""
    return int(ref) if isinstance(ref, np.integer) else ref


def _int_ids(values: Iterable[Any], what: str) -> tuple[int, ...]:
    ids: set[int] = set()
    for value in values:
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
            raise InvalidSelection(f"{what} are integer ids; {value!r} is not one.")
        ids.add(int(value))
    if not ids:
        raise InvalidSelection(f"The {what} selection is empty; select at least one.")
    return tuple(sorted(ids))


def _tasks(brewery: Brewery, tasks: Iterable[int]) -> tuple[tuple[int, ...], dict[int, int]]:
    """Sorted unique task ids and, per project, how many of them it holds."""
    if isinstance(tasks, str | bytes):
        raise InvalidSelection("tasks is a list of task ids, not text.")
    ids = _int_ids(tasks, "task ids")
    brewery.schema.require("task", "id", "project_id", feature="task selections")
    task = brewery.schema.table("task")
    wanted = sa.bindparam("ids", list(ids), type_=pg.ARRAY(sa.BigInteger))
    with brewery.engine.connect() as conn:
        counts: dict[int, int] = {
            int(project): int(count)
            for project, count in conn.execute(
                sa.select(task.c.project_id, sa.func.count())
                .where(task.c.id == sa.any_(wanted))
                .group_by(task.c.project_id)
            )
        }
        if sum(counts.values()) != len(ids):
            given = sa.func.unnest(wanted).table_valued("id").render_derived()
            missing = conn.execute(
                sa.select(given.c.id)
                .where(~sa.exists().where(task.c.id == given.c.id))
                .order_by(given.c.id)
                .limit(_SHOWN_MISSING)
            ).scalars()
            raise NotFound(
                f"{len(ids) - sum(counts.values())} selected task id(s) do not exist in "
                f"{brewery.database!r}, e.g. {list(missing)}; select existing tasks."
            )
    return ids, counts


def _annotators(brewery: Brewery, refs: UserRef | Iterable[UserRef]) -> tuple[int, ...]:
    items: list[Any] = [refs] if isinstance(refs, int | str | User | np.integer) else list(refs)
    if not items:
        raise InvalidSelection(
            "The annotator list is empty; name annotators by id, email or username, "
            "or pass None for everyone."
        )
    ids = []
    for ref in items:
        ids.append(ref.id if isinstance(ref, User) else _annotator_id(brewery, _plain(ref)))
    return tuple(sorted(set(ids)))


def _annotator_id(brewery: Brewery, ref: int | str) -> int:
    """resolve_user's rules, but a deactivated annotator's past work still counts."""
    try:
        return resolve_user(brewery, ref).id
    except NotAMember:
        users = brewery.schema.table("htx_user")
        where = (
            users.c.id == ref
            if isinstance(ref, int)
            else sa.or_(
                sa.func.lower(users.c.email) == ref.strip().lower(), users.c.username == ref
            )
        )
        with brewery.engine.connect() as conn:
            return int(conn.execute(sa.select(users.c.id).where(where).limit(1)).scalar_one())


def parse_instant(value: TimeRef | None, name: str, *, end_of_day: bool) -> datetime | None:
    """A UTC datetime; a bare date is its midnight (the next one for an ``until``)."""
    if value is None:
        return None
    day: date | None = None
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
            moment = None if day else datetime.fromisoformat(text)
        except ValueError:
            raise InvalidSelection(
                f"{name}={value!r} is not a date or time; use ISO format such as "
                "'2024-05-01' or '2024-05-01T09:30:00+02:00'."
            ) from None
    else:
        raise InvalidSelection(
            f"{name} must be a date, a datetime or an ISO string, not {type(value).__name__}."
        )
    if day is not None:
        moment = datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=int(end_of_day))
    assert moment is not None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _int_array(ids: Iterable[int]) -> str:
    """A PostgreSQL array literal of validated ints, bound as one text parameter."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"
