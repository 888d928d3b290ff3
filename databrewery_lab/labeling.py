"""One user labeling one project: the object behind the labeling widget and ``annotate()``.

A :class:`LabelSession` ties together the parsed label config (what a valid result is),
the :class:`~databrewery_lab.label_stream.LabelStream` (which task next, locks) and the
:class:`~databrewery_lab.annotation_writer.AnnotationWriter` (submits, skips, drafts,
counters). Every public method is one short transaction; the widget never talks SQL.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .annotation_writer import AnnotationWriter, Draft, Submission
from .errors import AnnotationRejected, ConnectionFailed, NotFound
from .label_config import LabelConfig, parse_label_config
from .label_stream import DEFAULT_LOCK_TTL, LabelStream, StreamSettings
from .media import read_media
from .result_validation import validate_result
from .users import User, require_member

if TYPE_CHECKING:
    from .connection import Brewery
    from .projects import Project

__all__ = ["Annotation", "Draft", "LabelSession", "Prediction", "Progress", "TaskView"]


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


@dataclass(frozen=True)
class Progress:
    """Tasks this user annotated / tasks finished in the project / all tasks."""

    mine: int
    project_done: int
    total: int


class LabelSession:
    """``user`` labeling ``project``: next task, submit, skip, drafts, locks, progress."""

    def __init__(
        self,
        brewery: Brewery,
        project: Project,
        user: User,
        *,
        lock_ttl: timedelta = DEFAULT_LOCK_TTL,
        record_visit: bool = False,
    ) -> None:
        require_member(brewery, user, project.id, project.title)
        self.brewery, self.project, self.user = brewery, project, user
        self.config: LabelConfig = parse_label_config(project.label_config or "")
        row = project.row
        schema = brewery.schema
        self.stream = LabelStream(
            schema, project.id, user.id, StreamSettings.from_row(row), lock_ttl=lock_ttl
        )
        self._writer = AnnotationWriter(schema, project.id, user.id, user.username, self.stream)
        self._allow_empty = bool(row.get("enable_empty_annotation", True))
        self._allow_skip = bool(row.get("show_skip_button", True))
        self._schema = schema
        self._document_roots: list[str] | None = None
        self._conn: sa.Connection | None = None
        self._resume = True  # work left behind (own lock, drafts) may exist
        self._view_query = self._build_view_query()
        if record_visit:
            self._record_stream_visit()

    # -- the stream ---------------------------------------------------------------------
    def next_task(self) -> TaskView | None:
        """Lock and show the next task for this user; None when none is left for them."""
        with self._transaction() as conn:
            task_id = self.stream.next_task(conn, resume=self._resume)
            self._resume = False
            if task_id is None:
                return None
            return self._view(conn, task_id, locked=True)

    def open_task(self, task_id: int) -> TaskView:
        """Show a given task: one's own earlier work (editable), or take its lock if free."""
        task_id = _task_id(task_id)
        with self._transaction() as conn:
            view = self._view(conn, task_id, locked=False)
            if view.annotation is not None and not view.annotation.was_cancelled:
                return view  # one's own submitted work: editable without a lock
            if self.stream.take_lock(conn, task_id):
                return self._view(conn, task_id, locked=True)
            return view

    def release(self, task_id: int | None = None) -> None:
        """Give a task (or all of this user's tasks in the project) back to the stream."""
        with self._transaction() as conn:
            self.stream.release(conn, task_id)
        self._resume = True

    # -- writes -------------------------------------------------------------------------
    def submit(
        self,
        task_id: int,
        result: object,
        *,
        lead_time: float | None = None,
        unique_id: str | None = None,
        parent_prediction_id: int | None = None,
    ) -> Submission:
        """Submit (or update) this user's annotation; the result must fit the label config."""
        lead_time = _check_lead_time(lead_time)

        def validate(items: list[dict[str, Any]], data: dict[str, Any]) -> list[dict[str, Any]]:
            checked = validate_result(self.config, items, data)
            if not checked and not self._allow_empty:
                raise AnnotationRejected(
                    f"Project {self.project.title!r} does not accept empty annotations: "
                    "label something, or skip the task."
                )
            return checked

        with self._transaction() as conn:
            return self._writer.submit(
                conn,
                _task_id(task_id),
                result,  # type: ignore[arg-type]  # validated under the task lock
                lead_time=lead_time,
                unique_id=_unique_id(unique_id),
                parent_prediction_id=parent_prediction_id,
                validate=validate,
            )

    def skip(
        self, task_id: int, *, lead_time: float | None = None, unique_id: str | None = None
    ) -> Submission:
        """Skip the task: a cancelled annotation, requeued as the project's skip queue says."""
        if not self._allow_skip:
            raise AnnotationRejected(
                f"Project {self.project.title!r} does not allow skipping (show_skip_button is "
                "off); submit an annotation instead."
            )
        with self._transaction() as conn:
            return self._writer.submit(
                conn,
                _task_id(task_id),
                [],
                lead_time=_check_lead_time(lead_time),
                unique_id=_unique_id(unique_id),
                cancelled=True,
            )

    def save_draft(
        self,
        task_id: int,
        result: object,
        *,
        lead_time: float | None = None,
        annotation_id: int | None = None,
    ) -> Draft:
        """Autosave unfinished work (any well-formed result list) and keep the task locked."""
        items = _result_list(result)
        with self._transaction() as conn:
            draft = self._writer.save_draft(
                conn,
                _task_id(task_id),
                items,
                lead_time=_check_lead_time(lead_time),
                annotation_id=annotation_id,
            )
            if annotation_id is None:
                self.stream.take_lock(conn, task_id)  # renews it, or re-takes a lapsed one
        return draft

    # -- reading ------------------------------------------------------------------------
    def history(self, limit: int = 50) -> list[int]:
        """Tasks this user annotated or skipped in the project, oldest first."""
        a = self._schema.table("task_completion")
        when = sa.func.max(a.c.updated_at if "updated_at" in a.c else a.c.id)
        query = (
            sa.select(a.c.task_id)
            .where(a.c.project_id == self.project.id, a.c.completed_by_id == self.user.id)
            .group_by(a.c.task_id)
            .order_by(when.desc())
            .limit(max(1, int(limit)))
        )
        with self._transaction() as conn:
            return [int(t) for (t,) in conn.execute(query)][::-1]

    def progress(self) -> Progress:
        """My submitted annotations, finished tasks and all tasks of the project."""
        a, t, p = (self._schema.table(n) for n in ("task_completion", "task", "project"))
        mine = sa.select(sa.func.count()).where(
            a.c.project_id == self.project.id,
            a.c.completed_by_id == self.user.id,
            sa.not_(a.c.was_cancelled),
        )
        if {"finished_task_number", "task_number"} <= set(p.c.keys()):
            figures = sa.select(p.c.finished_task_number, p.c.task_number).where(
                p.c.id == self.project.id
            )
        else:
            figures = sa.select(sa.func.count().filter(t.c.is_labeled), sa.func.count()).where(
                t.c.project_id == self.project.id
            )
        with self._transaction() as conn:
            done, total = conn.execute(figures).one()
            return Progress(int(conn.execute(mine).scalar_one()), int(done), int(total))

    def media(self, url: str) -> tuple[bytes, str]:
        """The bytes and MIME type of a file named in task data, read by the kernel."""
        return read_media(url, self._local_roots())

    def close(self) -> None:
        """Release this user's locks in the project and the session's connection."""
        try:
            self.release()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- helpers ------------------------------------------------------------------------
    def _build_view_query(self) -> sa.Select:
        """One statement: the task, its predictions, my annotation and my drafts, as JSON."""
        schema, user = self._schema, sa.bindparam("user_id")
        t, a = schema.table("task"), schema.table("task_completion")
        columns: list[Any] = [t.c.id, t.c.data, t.c.project_id]
        columns.append(t.c.inner_id if "inner_id" in t.c else sa.null().label("inner_id"))

        def as_json(table: sa.Table, names: tuple[str, ...]) -> Any:
            pairs = [x for n in names if n in table.c for x in (sa.literal(n), table.c[n])]
            return sa.func.json_build_object(*pairs)

        mine = (
            sa.select(sa.func.json_agg(as_json(a, _ANNOTATION_FIELDS)))
            .where(a.c.task_id == t.c.id, a.c.completed_by_id == user)
            .scalar_subquery()
        )
        columns.append(mine.label("mine"))
        if schema.has_table("prediction"):
            pr = schema.table("prediction")
            predictions = (
                sa.select(sa.func.json_agg(as_json(pr, _PREDICTION_FIELDS)))
                .where(pr.c.task_id == t.c.id)
                .scalar_subquery()
            )
            columns.append(predictions.label("predictions"))
        if schema.has_table("tasks_annotationdraft"):
            d = schema.table("tasks_annotationdraft")
            drafts = (
                sa.select(sa.func.json_agg(as_json(d, _DRAFT_FIELDS)))
                .where(d.c.task_id == t.c.id, d.c.user_id == user)
                .scalar_subquery()
            )
            columns.append(drafts.label("drafts"))
        lock = schema.table("tasks_tasklock")
        mine_lock = sa.and_(
            lock.c.task_id == t.c.id, lock.c.user_id == user, lock.c.expire_at > sa.func.now()
        )
        columns.append(
            sa.select(lock.c.expire_at).where(mine_lock).scalar_subquery().label("until")
        )
        return sa.select(*columns).where(t.c.id == sa.bindparam("task_id"))

    def _view(self, conn: sa.Connection, task_id: int, *, locked: bool) -> TaskView:
        params = {"task_id": task_id, "user_id": self.user.id}
        row = conn.execute(self._view_query, params).mappings().first()
        if row is None or row["project_id"] != self.project.id:
            raise NotFound(f"Task {task_id} is not in project {self.project.title!r}.")
        mine = sorted(row["mine"] or [], key=lambda r: (r["was_cancelled"], -r["id"]))
        annotation = _annotation(mine[0]) if mine else None
        editing = annotation.id if annotation and not annotation.was_cancelled else None
        drafts = [d for d in row.get("drafts") or [] if d.get("annotation_id") == editing]
        draft = max(drafts, key=lambda d: d["id"]) if drafts else None
        current = self.project.row.get("model_version") or ""
        predictions = sorted(
            row.get("predictions") or [],
            key=lambda p: (p.get("model_version") != current, -p["id"]),
        )
        data = row["data"]
        return TaskView(
            id=int(row["id"]),
            inner_id=row["inner_id"],
            data=data if isinstance(data, dict) else {"value": data},
            predictions=tuple(_prediction(p) for p in predictions),
            draft=None if draft is None else _draft(draft),
            annotation=annotation,
            read_only=not (locked or row["until"] is not None or editing is not None),
            locked_until=row["until"],
        )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """A transaction on this session's own connection, reopened if it was lost.

        The session keeps one connection (no pool checkout per click); a lost connection
        becomes :class:`ConnectionFailed` and the next call connects again.
        """
        if self._conn is None or self._conn.closed:
            self._conn = self.brewery.engine.connect()
        conn = self._conn
        try:
            with conn.begin():
                yield conn
        except sa.exc.DBAPIError as err:
            if not err.connection_invalidated:
                raise
            conn.close()
            self._conn = None
            raise ConnectionFailed(
                f"Lost the connection to {self.brewery.database!r} ({err.orig}). Nothing was "
                "saved by this action; try again when the database is back."
            ) from None

    def _local_roots(self) -> list[str]:
        """Local-files document roots: the project's local storages, as Label Studio."""
        if self._document_roots is None:
            roots: list[str] = []
            name = "io_storages_localfilesimportstorage"
            if self._schema.has_table(name) and self._schema.has_column(name, "path"):
                storage = self._schema.table(name)
                query = sa.select(storage.c.path).where(storage.c.project_id == self.project.id)
                with self._transaction() as conn:
                    roots = [p for (p,) in conn.execute(query) if p]
            self._document_roots = roots
        return self._document_roots

    def _record_stream_visit(self) -> None:
        """The platform logs each opening of the label stream (projects_labelstreamhistory)."""
        if not self._schema.has_table("projects_labelstreamhistory"):
            return
        history = self._schema.table("projects_labelstreamhistory")
        with self._transaction() as conn:
            conn.execute(
                sa.insert(history).values(project_id=self.project.id, user_id=self.user.id)
            )

    def __repr__(self) -> str:
        return f"<LabelSession {self.user.email} on {self.project!r}>"


def _task_id(task_id: object) -> int:
    if isinstance(task_id, bool) or not isinstance(task_id, int):
        raise TypeError(f"a task is named by its integer id, not {task_id!r}")
    return task_id


def _unique_id(unique_id: object) -> str | None:
    if unique_id is None:
        return None
    if not isinstance(unique_id, str) or not 0 < len(unique_id) <= 200:
        raise AnnotationRejected(f"unique_id must be a non-empty string, not {unique_id!r}.")
    return unique_id


def _check_lead_time(lead_time: object) -> float | None:
    """Lead time in seconds: None, or a finite number >= 0."""
    if lead_time is None:
        return None
    if isinstance(lead_time, bool) or not isinstance(lead_time, int | float):
        raise AnnotationRejected(f"lead_time must be seconds as a number, not {lead_time!r}.")
    if not math.isfinite(lead_time) or lead_time < 0:
        raise AnnotationRejected(f"lead_time must be a finite number >= 0, not {lead_time!r}.")
    return float(lead_time)


def _result_list(result: object) -> list[dict[str, Any]]:
    """A draft may be incomplete but must be a JSON list of result items."""
    if not isinstance(result, list) or not all(isinstance(i, Mapping) for i in result):
        raise AnnotationRejected("A result is a list of Label Studio result items (dicts).")
    try:
        json.dumps(result)
    except (TypeError, ValueError) as err:
        raise AnnotationRejected(f"The result is not JSON-serialisable: {err}.") from None
    return [dict(i) for i in result]


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


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
