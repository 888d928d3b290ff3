"""Who is acting: resolve an ``htx_user`` and check that they may label a project.

A user may label a project when they are an enabled member of it
(``projects_projectmember``) or a current member of the project's organization
(``organizations_organizationmember`` without ``deleted_at``), as on the platform.
Only identity columns are read: never the password hash or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .errors import NotAMember, NotFound

if TYPE_CHECKING:
    from .connection import Brewery

_FEATURE = "acting as a user"


@dataclass(frozen=True)
class User:
    """An ``htx_user`` as the labeling code needs it (no secrets)."""

    id: int
    email: str
    username: str
    display_name: str

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"


def resolve_user(brewery: Brewery, ref: int | str) -> User:
    """Find a user by id, email (case-insensitive) or username; say how to find one if not."""
    schema = brewery.schema
    schema.require("htx_user", "id", "email", "username", feature=_FEATURE)
    users = schema.table("htx_user")
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise TypeError(f"a user is named by id, email or username, not {ref!r}")
    if isinstance(ref, int):
        where = users.c.id == ref
    else:
        where = sa.or_(sa.func.lower(users.c.email) == ref.strip().lower(), users.c.username == ref)
    names = [users.c.id, users.c.email, users.c.username]
    names += [users.c[c] for c in ("first_name", "last_name") if c in users.c]
    active = users.c.is_active if "is_active" in users.c else sa.true()
    with brewery.engine.connect() as conn:
        row = (
            conn.execute(sa.select(*names, active.label("active")).where(where)).mappings().first()
        )
    if row is None:
        raise NotFound(
            f"No user {ref!r} in {brewery.database!r}. Name a user by email, username or id; "
            "brewery.users() lists them."
        )
    if not row["active"]:
        raise NotAMember(f"User {row['email']} is deactivated; an admin must re-activate them.")
    full_name = " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p).strip()
    return User(int(row["id"]), row["email"], row["username"], full_name or row["username"])


def is_member(brewery: Brewery, user: User, project_id: int) -> bool:
    """True when ``user`` is an enabled project member or belongs to its organization."""
    schema = brewery.schema
    checks: list[sa.ColumnElement[bool]] = []
    if schema.has_table("projects_projectmember"):
        pm = schema.table("projects_projectmember")
        member = sa.and_(pm.c.project_id == project_id, pm.c.user_id == user.id)
        if "enabled" in pm.c:
            member = sa.and_(member, pm.c.enabled)
        checks.append(sa.exists().where(member))
    if schema.has_table("organizations_organizationmember") and schema.has_column(
        "project", "organization_id"
    ):
        om, project = schema.table("organizations_organizationmember"), schema.table("project")
        in_org = sa.and_(
            om.c.user_id == user.id,
            om.c.organization_id
            == sa.select(project.c.organization_id)
            .where(project.c.id == project_id)
            .scalar_subquery(),
        )
        if "deleted_at" in om.c:
            in_org = sa.and_(in_org, om.c.deleted_at.is_(None))
        checks.append(sa.exists().where(in_org))
    if not checks:
        return True  # a database without membership tables has no notion of membership
    with brewery.engine.connect() as conn:
        return bool(conn.execute(sa.select(sa.or_(*checks))).scalar())


def require_member(brewery: Brewery, user: User, project_id: int, project_title: str) -> None:
    """Refuse a user who may not label the project, saying how to fix it."""
    if not is_member(brewery, user, project_id):
        raise NotAMember(
            f"{user.email} is not a member of project {project_title!r} (id {project_id}) "
            "nor of its organization. Add them to the project in Databrewery, or act as a "
            "member: brewery.as_user('<member email>')."
        )
