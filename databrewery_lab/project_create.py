"""Create a project from a Label Studio config: validate everything, then one transaction.

What the platform stores beside the XML is stored here too: ``parsed_label_config``,
``config_has_control_tags`` and ``data_types`` (task-data key -> object tag), the
creator as ``created_by_id`` and as a project member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import NotFound
from .label_config import parse_label_config
from .label_stream import (
    IGNORE_SKIPPED,
    REQUEUE_FOR_ME,
    REQUEUE_FOR_OTHERS,
    SEQUENTIAL,
    UNCERTAINTY,
    UNIFORM,
)

if TYPE_CHECKING:
    from .connection import Brewery

#: Settings a caller may give, with the check each value must pass.
_CHOICES = {
    "sampling": (SEQUENTIAL, UNIFORM, UNCERTAINTY),
    "skip_queue": (REQUEUE_FOR_ME, REQUEUE_FOR_OTHERS, IGNORE_SKIPPED),
}
_BOOLEANS = (
    "show_instruction",
    "show_skip_button",
    "enable_empty_annotation",
    "show_overlap_first",
    "show_ground_truth_first",
    "is_published",
)
_TEXTS = ("description", "expert_instruction", "color", "model_version")
_INTEGERS = {"maximum_annotations": 1, "overlap_cohort_percentage": 0}


def create_project(
    brewery: Brewery,
    title: str,
    label_config: str,
    *,
    organization: int | str | None = None,
    **settings: Any,
) -> int:
    """Insert the project; return its id. Nothing is written when anything is invalid."""
    if not isinstance(title, str) or not title.strip():
        raise ValueError("A project needs a non-empty title.")
    config = parse_label_config(label_config)
    values = _checked_settings(settings)
    schema = brewery.schema
    schema.require("project", "id", "title", "label_config", feature="creating projects")
    project = schema.table("project")
    user = brewery.user
    with brewery.engine.begin() as conn:
        values |= {
            "title": title.strip(),
            "label_config": label_config,
            "parsed_label_config": config.parsed_json(),
            "config_has_control_tags": config.has_control_tags,
            "data_types": {o.data_path[0]: o.tag for o in config.objects if o.data_path},
            "created_by_id": user.id if user else None,
        }
        if "organization_id" in project.c:
            values["organization_id"] = _organization_id(brewery, conn, organization)
        missing = sorted(k for k in values if k not in project.c)
        for key in missing:
            values.pop(key)
        project_id = int(
            conn.execute(sa.insert(project).values(**values).returning(project.c.id)).scalar_one()
        )
        if user is not None and schema.has_table("projects_projectmember"):
            member = schema.table("projects_projectmember")
            conn.execute(sa.insert(member).values(project_id=project_id, user_id=user.id))
    return project_id


def _checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    known = {*_CHOICES, *_BOOLEANS, *_TEXTS, *_INTEGERS}
    for key, value in settings.items():
        if key not in known:
            raise TypeError(
                f"Unknown project setting {key!r}. Known: {', '.join(sorted(known))}, organization."
            )
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ValueError(f"{key} must be one of {', '.join(_CHOICES[key])}; got {value!r}.")
        if key in _BOOLEANS and not isinstance(value, bool):
            raise ValueError(f"{key} must be True or False; got {value!r}.")
        if key in _TEXTS and not isinstance(value, str):
            raise ValueError(f"{key} must be a string; got {value!r}.")
        if key in _INTEGERS and (
            isinstance(value, bool) or not isinstance(value, int) or value < _INTEGERS[key]
        ):
            raise ValueError(f"{key} must be an integer >= {_INTEGERS[key]}; got {value!r}.")
        values[key] = value
    return values


def _organization_id(brewery: Brewery, conn: sa.Connection, ref: int | str | None) -> int:
    """The named organization, else the acting user's, else the only one there is."""
    org = brewery.schema.table("organization")
    if ref is not None:
        where = org.c.id == ref if isinstance(ref, int) else org.c.title == ref
        found = conn.execute(sa.select(org.c.id).where(where)).scalar()
        if found is None:
            raise NotFound(f"No organization {ref!r}; pass an organization id or title.")
        return int(found)
    user = brewery.user
    if user is not None and brewery.schema.has_column("htx_user", "active_organization_id"):
        users = brewery.schema.table("htx_user")
        active = conn.execute(
            sa.select(users.c.active_organization_id).where(users.c.id == user.id)
        ).scalar()
        if active is not None:
            return int(active)
    ids = conn.execute(sa.select(org.c.id).order_by(org.c.id).limit(2)).scalars().all()
    if len(ids) == 1:
        return int(ids[0])
    raise NotFound(
        "Which organization should own the project? Pass organization=<id or title>, or "
        "act as a user whose active organization it is (brewery.as_user(...))."
    )
