"""Manager selections: organizations and workspaces by id or title, and bound SQL plumbing.

The manager metrics (billing, workforce, summaries, the overview) select like every
metric — projects, tasks, a date range, annotators (:class:`~.scope.Scope`) — and
additionally by organization and workspace (:class:`Tenancy`). They run their SQL inside
PostgreSQL through the analytics engine; :class:`SqlParams` numbers every value as a
bound ``$n`` and the ``*_clause`` helpers turn a selection into ``WHERE`` conditions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from databrewery_lab.errors import NotFound

from .engine import PgQuery, PgValue, quote_identifier
from .scope import (
    InvalidSelection,
    ProjectRef,
    Scope,
    TimeRef,
    UserRef,
    parse_instant,
    resolve_scope,
)

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

OrgRef = int | str
#: Names listed when an organization or workspace is not found.
_SHOWN = 10


class SqlParams:
    """Values of one PostgreSQL query, numbered ``$1..$n`` in the order they are bound."""

    def __init__(self) -> None:
        self.values: list[PgValue] = []

    def bind(self, value: PgValue, cast: str) -> str:
        """A placeholder for ``value`` cast to ``cast`` (a type name of this package)."""
        self.values.append(value)
        return f"${len(self.values)}::{cast}"

    def ids(self, ids: Iterable[int]) -> str:
        """A ``bigint[]`` placeholder (one bound array literal of validated ints)."""
        return self.bind("{" + ",".join(str(int(i)) for i in ids) + "}", "bigint[]")

    def texts(self, values: Iterable[str]) -> str:
        """A ``text[]`` expression over bound JSON (no array-literal quoting to get wrong)."""
        listed = self.bind(json.dumps(list(values)), "jsonb")
        return f"ARRAY(SELECT jsonb_array_elements_text({listed}))"

    def scope(self, scope: Scope, alias: str, **columns: Any) -> str:
        """The scope's bound ``WHERE`` clause over ``alias`` (see :meth:`Scope.pg_filter`)."""
        clause, values = scope.pg_filter(alias, first_param=len(self.values) + 1, **columns)
        self.values.extend(values)
        return clause

    def query(self, sql: str) -> PgQuery:
        return PgQuery(sql, tuple(self.values))


def fetch_frame(
    brewery: Brewery, sql: str, params: SqlParams, order_by: Sequence[str]
) -> pd.DataFrame:
    """Run ``sql`` in PostgreSQL (through DuckDB's ``postgres_query``) → pandas, ordered.

    ``order_by`` are output column names of ``sql`` (constants of the calling module).
    """
    source, duck_params = params.query(sql).source("q")
    order = ", ".join(quote_identifier(column) for column in order_by)
    table = brewery.analytics.run(
        f"SELECT * FROM {source} ORDER BY {order}",  # noqa: S608 - constants; values are bound
        **duck_params,
    )
    return table.to_pandas().reset_index(drop=True)


@dataclass(frozen=True)
class Tenancy:
    """Organizations and workspaces a manager metric is limited to (None: no limit)."""

    organization_ids: tuple[int, ...] | None = None
    workspace_ids: tuple[int, ...] | None = None

    @property
    def is_everything(self) -> bool:
        return self.organization_ids is None and self.workspace_ids is None


def resolve_tenancy(
    brewery: Brewery,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
) -> Tenancy:
    """Organizations and workspaces by id or title; unknown ones raise NotFound.

    A workspace given with an organization must belong to it (``organization_workspaces``).
    """
    orgs = None
    if organization is not None:
        orgs = _lookup(brewery, "organization", organization, "organization")
    spaces = None
    if workspace is not None:
        spaces = _lookup(brewery, "workspace", workspace, "workspace")
    if orgs is not None and spaces is not None:
        schema = brewery.schema
        schema.require(
            "organization_workspaces",
            "organization_id",
            "workspace_id",
            feature="workspace selection",
        )
        links = schema.table("organization_workspaces")
        with brewery.engine.connect() as conn:
            linked = set(
                conn.execute(
                    sa.select(links.c.workspace_id).where(
                        links.c.organization_id.in_(orgs), links.c.workspace_id.in_(spaces)
                    )
                ).scalars()
            )
        outside = sorted(set(spaces) - linked)
        if outside:
            raise InvalidSelection(
                f"Workspace(s) {outside} do not belong to organization(s) {list(orgs)}; "
                "drop organization= or pick workspaces of that organization."
            )
    return Tenancy(orgs, spaces)


def _lookup(
    brewery: Brewery, table_name: str, refs: OrgRef | Iterable[OrgRef], what: str
) -> tuple[int, ...]:
    """Ids of rows of ``table_name`` named by id or exact title."""
    items: list[Any] = [refs] if isinstance(refs, int | str | np.integer) else list(refs)
    if not items:
        raise InvalidSelection(f"The {what} list is empty; name at least one, or pass None.")
    ids: list[int] = []
    titles: list[str] = []
    for ref in items:
        if isinstance(ref, bool | np.bool_) or not isinstance(ref, int | str | np.integer):
            raise InvalidSelection(f"A {what} is named by id or title, not {ref!r}.")
        (titles if isinstance(ref, str) else ids).append(ref if isinstance(ref, str) else int(ref))
    schema = brewery.schema
    schema.require(table_name, "id", "title", feature=f"{what} selection")
    table = schema.table(table_name)
    with brewery.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.id, table.c.title).where(
                sa.or_(table.c.id.in_(ids), table.c.title.in_(titles))
            )
        ).all()
        known = {int(row.id) for row in rows}
        by_title: dict[str, list[int]] = {}
        for row in rows:
            by_title.setdefault(row.title, []).append(int(row.id))
        missing = [i for i in ids if i not in known] + [t for t in titles if t not in by_title]
        if missing:
            listed = conn.execute(
                sa.select(table.c.id, table.c.title).order_by(table.c.id).limit(_SHOWN)
            ).all()
            names = ", ".join(f"{r.title!r} (id {r.id})" for r in listed) or "none"
            raise NotFound(
                f"No {what} {missing[0]!r} in {brewery.database!r}; the {what}s there are: "
                f"{names}. Name one by id or exact title."
            )
    found = set(ids)
    for title in titles:
        matches = by_title[title]
        if len(matches) > 1:
            raise InvalidSelection(
                f"Several {what}s are titled {title!r} (ids {sorted(matches)}); pass the id."
            )
        found.add(matches[0])
    return tuple(sorted(found))


@dataclass(frozen=True)
class Selection:
    """A resolved standard selection plus the organizations/workspaces it is limited to."""

    scope: Scope
    tenancy: Tenancy


def resolve_selection(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    *,
    organization: OrgRef | Iterable[OrgRef] | None = None,
    workspace: OrgRef | Iterable[OrgRef] | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> Selection:
    """The standard selection, limited to organizations/workspaces; checks they agree."""
    scope = resolve_scope(
        brewery, project, tasks=tasks, since=since, until=until, annotators=annotators
    )
    tenancy = resolve_tenancy(brewery, organization, workspace)
    if scope.projects and not tenancy.is_everything:
        params = SqlParams()
        inside = project_clause(brewery, params, tenancy, "p")
        wanted = params.ids(scope.project_ids)
        outside = fetch_frame(
            brewery,
            f"SELECT p.id::bigint AS id FROM project AS p WHERE p.id = ANY({wanted}) "  # noqa: S608 - constants; values are bound
            f"AND NOT coalesce({inside}, false)",
            params,
            ("id",),
        )
        if len(outside):
            raise InvalidSelection(
                f"Project(s) {outside['id'].tolist()} are outside the selected "
                "organization/workspace; drop organization=/workspace= or those projects."
            )
    return Selection(scope, tenancy)


def project_clause(brewery: Brewery, params: SqlParams, tenancy: Tenancy, alias: str) -> str:
    """``alias`` (a ``project`` row) lies in the tenancy's organizations and workspaces."""
    clauses = []
    if tenancy.organization_ids is not None:
        brewery.schema.require("project", "organization_id", feature="organization selection")
        clauses.append(f"{alias}.organization_id = ANY({params.ids(tenancy.organization_ids)})")
    if tenancy.workspace_ids is not None:
        brewery.schema.require("project", "workspace_id", feature="workspace selection")
        clauses.append(f"{alias}.workspace_id = ANY({params.ids(tenancy.workspace_ids)})")
    return " AND ".join(clauses) or "TRUE"


def organization_clause(params: SqlParams, tenancy: Tenancy, column: str) -> str:
    """``column`` (an organization id) lies in the tenancy's organizations."""
    if tenancy.organization_ids is None:
        return "TRUE"
    return f"{column} = ANY({params.ids(tenancy.organization_ids)})"


def time_clause(
    params: SqlParams, column: str, since: datetime | None, until: datetime | None
) -> str:
    """``since <= column < until`` with bound instants (either may be open)."""
    clauses = []
    if since is not None:
        clauses.append(f"{column} >= {params.bind(since.isoformat(), 'timestamptz')}")
    if until is not None:
        clauses.append(f"{column} < {params.bind(until.isoformat(), 'timestamptz')}")
    return " AND ".join(clauses) or "TRUE"


def as_of_instant(params: SqlParams, as_of: TimeRef | None) -> str:
    """The reference instant: a bound ``as_of`` (UTC), or the database's ``now()``."""
    if as_of is None:
        return "now()"
    instant = parse_instant(as_of, "as_of", end_of_day=False)
    assert instant is not None
    return params.bind(instant.isoformat(), "timestamptz")
