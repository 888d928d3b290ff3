"""What the labeling UI shows of one task to one user, read in one statement.

The task row, this user's annotation and drafts and the task's predictions arrive as JSON
subqueries of a single SELECT. The same columns can ride on the statement that picks and
locks the next task (see :mod:`databrewery_lab.label_stream`), so "next task" is one
round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .annotation_writer import Draft
from .schema import Schema
from .statement_runner import Prepared, constant


@dataclass(frozen=True)
class Prediction:
    """A model's pre-annotation of a task (``prediction``)."""

    id: int
    model_version: str
    score: float | None
    result: list[dict[str, Any]]


@dataclass(frozen=True)
class Annotation:
    """This user's annotation of a task (``task_completion``)."""

    id: int
    result: list[dict[str, Any]]
    lead_time: float | None
    was_cancelled: bool
    unique_id: str
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class TaskView:
    """Everything the labeling UI needs to show one task to one user."""

    id: int
    inner_id: int | None
    data: dict[str, Any]
    predictions: tuple[Prediction, ...]
    draft: Draft | None
    annotation: Annotation | None
    read_only: bool
    locked_until: datetime | None


_ANNOTATION_FIELDS = (
    "id",
    "result",
    "lead_time",
    "was_cancelled",
    "unique_id",
    "created_at",
    "updated_at",
)
_PREDICTION_FIELDS = ("id", "model_version", "score", "result")
_DRAFT_FIELDS = ("id", "result", "lead_time", "updated_at", "annotation_id")


class TaskViewQuery:
    """Builds the view columns for a task table and turns a fetched row into a TaskView.

    Bound parameters: ``user_id`` (and ``task_id`` for the standalone statement).
    ``extra`` columns of the task row ride along (the writer's task state).
    """

    def __init__(self, schema: Schema, extra: Sequence[Any] = ()) -> None:
        self._schema = schema
        self.task = schema.table("task")
        self.columns: list[Any] = [*self._columns(), *extra]
        lock = schema.table("tasks_tasklock")
        t, user = self.task, sa.bindparam("user_id")
        mine_lock = sa.and_(
            lock.c.task_id == t.c.id, lock.c.user_id == user, lock.c.expire_at > sa.func.now()
        )
        until = sa.select(lock.c.expire_at).where(mine_lock).scalar_subquery().label("until")
        #: One task by ``task_id``, with ``until`` = this user's live lock on it, if any.
        self.by_id = Prepared(
            sa.select(*self.columns, until).where(t.c.id == sa.bindparam("task_id"))
        )

    def _columns(self) -> list[Any]:
        schema, t, user = self._schema, self.task, sa.bindparam("user_id")
        a = schema.table("task_completion")
        columns: list[Any] = [t.c.id, t.c.data, t.c.project_id]
        columns.append(t.c.inner_id if "inner_id" in t.c else sa.null().label("inner_id"))

        def as_json(table: sa.Table, names: tuple[str, ...]) -> Any:
            pairs = [x for n in names if n in table.c for x in (constant(n), table.c[n])]
            return sa.func.json_build_object(*pairs)

        def json_rows(table: sa.Table, names: tuple[str, ...], *where: Any) -> Any:
            return (
                sa.select(sa.func.json_agg(as_json(table, names))).where(*where).scalar_subquery()
            )

        mine = json_rows(a, _ANNOTATION_FIELDS, a.c.task_id == t.c.id, a.c.completed_by_id == user)
        columns.append(mine.label("mine"))
        if schema.has_table("prediction"):
            pr = schema.table("prediction")
            columns.append(
                json_rows(pr, _PREDICTION_FIELDS, pr.c.task_id == t.c.id).label("predictions")
            )
        if schema.has_table("tasks_annotationdraft"):
            d = schema.table("tasks_annotationdraft")
            drafts = json_rows(d, _DRAFT_FIELDS, d.c.task_id == t.c.id, d.c.user_id == user)
            columns.append(drafts.label("drafts"))
        return columns

    @staticmethod
    def to_view(
        row: dict[str, Any], *, locked: bool, until: datetime | None, model_version: str
    ) -> TaskView:
        """The TaskView of a fetched row; ``locked`` = this user holds the task's lock."""
        mine = sorted(row["mine"] or [], key=lambda r: (r["was_cancelled"], -r["id"]))
        annotation = _annotation(mine[0]) if mine else None
        editing = annotation.id if annotation and not annotation.was_cancelled else None
        drafts = [d for d in row.get("drafts") or [] if d.get("annotation_id") == editing]
        draft = max(drafts, key=lambda d: d["id"]) if drafts else None
        predictions = sorted(
            row.get("predictions") or [],
            key=lambda p: (p.get("model_version") != model_version, -p["id"]),
        )
        data = row["data"]
        return TaskView(
            id=int(row["id"]),
            inner_id=row["inner_id"],
            data=data if isinstance(data, dict) else {"value": data},
            predictions=tuple(_prediction(p) for p in predictions),
            draft=None if draft is None else _draft(draft),
            annotation=annotation,
            read_only=not (locked or until is not None or editing is not None),
            locked_until=until,
        )


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def _when(value: str | None) -> datetime | None:
    """Timestamps arrive as ISO text inside JSON."""
    return None if value is None else datetime.fromisoformat(value)


def _annotation(row: dict[str, Any]) -> Annotation:
    return Annotation(
        int(row["id"]),
        _as_list(row["result"]),
        row.get("lead_time"),
        bool(row["was_cancelled"]),
        row["unique_id"],
        _when(row.get("created_at")),
        _when(row.get("updated_at")),
    )


def _prediction(row: dict[str, Any]) -> Prediction:
    return Prediction(
        int(row["id"]), row.get("model_version") or "", row.get("score"), _as_list(row["result"])
    )


def _draft(row: dict[str, Any]) -> Draft:
    return Draft(
        int(row["id"]), _as_list(row["result"]), row.get("lead_time"), _when(row.get("updated_at"))
    )
