"""One user labeling one project: the object behind the labeling widget and ``annotate()``.

A :class:`LabelSession` ties together the parsed label config (what a valid result is),
the :class:`~databrewery_lab.label_stream.LabelStream` (which task next, locks) and the
:class:`~databrewery_lab.annotation_writer.AnnotationWriter` (submits, skips, drafts,
counters). Every public method is one short transaction on the session's own connection
(statements run through :class:`~databrewery_lab.statement_runner.StatementRunner`); the
widget never talks SQL.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import psycopg
import sqlalchemy as sa

from .annotation_writer import (
    AnnotationWriter,
    Draft,
    Submission,
    TaskState,
    task_state,
    task_state_columns,
)
from .errors import AnnotationRejected, ConnectionFailed, NotFound
from .label_config import LabelConfig, parse_label_config
from .label_stream import DEFAULT_LOCK_TTL, LabelStream, StreamSettings
from .media import read_media
from .result_validation import validate_result
from .statement_runner import StatementRunner
from .task_view import Annotation, Prediction, TaskView, TaskViewQuery
from .users import User, require_member

if TYPE_CHECKING:
    from .connection import Brewery
    from .projects import Project

__all__ = ["Annotation", "Draft", "LabelSession", "Prediction", "Progress", "TaskView"]

#: Tasks a session remembers as shown (next/previous in the widget revisit a few).
_SEEN_LIMIT = 16


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
        self._views = TaskViewQuery(schema, extra=task_state_columns(schema))
        self.stream = LabelStream(
            schema,
            project.id,
            user.id,
            StreamSettings.from_row(row),
            lock_ttl=lock_ttl,
            view_columns=self._views.columns,
        )
        self._writer = AnnotationWriter(schema, project.id, user.id, user.username, self.stream)
        self._allow_empty = bool(row.get("enable_empty_annotation", True))
        self._allow_skip = bool(row.get("show_skip_button", True))
        self._schema = schema
        self._document_roots: list[str] | None = None
        self._runner = StatementRunner(brewery.raw_connection, brewery.engine.dialect)
        self._resume = True  # work left behind (own lock, drafts) may exist
        #: Tasks as this user was last shown them, holding their lock: a submit of one
        #: unchanged since is a single statement (see AnnotationWriter).
        self._seen: dict[int, TaskState] = {}
        if record_visit:
            self._record_stream_visit()

    # -- the stream ---------------------------------------------------------------------
    def next_task(self) -> TaskView | None:
        """Lock and show the next task for this user; None when none is left for them."""
        with self._connection() as runner:
            row = self.stream.next_task(runner, resume=self._resume)
            self._resume = False
            if row is None:
                return None
            self._remember(row, until=row["until"])
            return self._views.to_view(
                row, locked=True, until=row["until"], model_version=self._model_version
            )

    def open_task(self, task_id: int) -> TaskView:
        """Show a given task: one's own earlier work (editable), or take its lock if free."""
        task_id = _task_id(task_id)
        with self._connection() as runner:
            view = self._view(runner, task_id, locked=False)
            if view.annotation is not None and not view.annotation.was_cancelled:
                return view  # one's own submitted work: editable without a lock
            if self.stream.take_lock(runner, task_id):
                return self._view(runner, task_id, locked=True, remember=True)
            return view

    def release(self, task_id: int | None = None) -> None:
        """Give a task (or all of this user's tasks in the project) back to the stream."""
        with self._connection() as runner:
            self.stream.release(runner, task_id)
        self._resume = True
        if task_id is None:
            self._seen.clear()
        else:
            self._seen.pop(task_id, None)

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

        task_id = _task_id(task_id)
        with self._connection() as runner:
            return self._writer.submit(
                runner,
                task_id,
                result,  # type: ignore[arg-type]  # validated against the task's data
                lead_time=lead_time,
                unique_id=_unique_id(unique_id),
                parent_prediction_id=parent_prediction_id,
                validate=validate,
                seen=self._seen.pop(task_id, None),
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
        task_id = _task_id(task_id)
        with self._connection() as runner:
            return self._writer.submit(
                runner,
                task_id,
                [],
                lead_time=_check_lead_time(lead_time),
                unique_id=_unique_id(unique_id),
                cancelled=True,
                seen=self._seen.pop(task_id, None),
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
        task_id = _task_id(task_id)
        self._seen.pop(task_id, None)  # the draft flag may change the task row
        with self._connection() as runner, runner.transaction():
            draft = self._writer.save_draft(
                runner,
                task_id,
                items,
                lead_time=_check_lead_time(lead_time),
                annotation_id=annotation_id,
            )
            if annotation_id is None:
                self.stream.take_lock(runner, task_id)  # renews it, or re-takes a lapsed one
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
        with self._connection() as runner:
            return [int(t) for (t,) in runner.all(query)][::-1]

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
        with self._connection() as runner, runner.transaction():  # one snapshot
            done, total = runner.first(figures)
            return Progress(int(runner.scalar(mine)), int(done), int(total))

    def media(self, url: str) -> tuple[bytes, str]:
        """The bytes and MIME type of a file named in task data, read by the kernel."""
        return read_media(url, self._local_roots())

    def close(self) -> None:
        """Release this user's locks in the project and the session's connection."""
        try:
            self.release()
        finally:
            self._runner.close()

    # -- helpers ------------------------------------------------------------------------
    @property
    def _model_version(self) -> str:
        """Predictions of the project's current model version are shown first."""
        return self.project.row.get("model_version") or ""

    def _view(
        self, runner: StatementRunner, task_id: int, *, locked: bool, remember: bool = False
    ) -> TaskView:
        params = {"task_id": task_id, "user_id": self.user.id}
        row = runner.first_mapping(self._views.by_id, params)
        if row is None or row["project_id"] != self.project.id:
            raise NotFound(f"Task {task_id} is not in project {self.project.title!r}.")
        if remember:
            self._remember(row, until=row["until"])
        return self._views.to_view(
            row, locked=locked, until=row["until"], model_version=self._model_version
        )

    def _remember(self, row: Mapping[str, Any], *, until: Any) -> None:
        """Keep the state of a task just shown under this user's lock (a few at most)."""
        self._seen[int(row["id"])] = task_state(row, holder=self.user.id, until=until)
        while len(self._seen) > _SEEN_LIMIT:
            del self._seen[next(iter(self._seen))]

    @contextlib.contextmanager
    def _connection(self) -> Iterator[StatementRunner]:
        """The session's own connection (no pool checkout per click), reopened if lost.

        A lost connection becomes :class:`ConnectionFailed`; the next call connects again.
        """
        try:
            yield self._runner
        except psycopg.OperationalError as err:
            if not self._runner.closed and not self._runner.connection.broken:
                raise
            self._runner.close()
            raise ConnectionFailed(
                f"Lost the connection to {self.brewery.database!r} ({err}). Nothing was "
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
                with self._connection() as runner:
                    roots = [p for (p,) in runner.all(query) if p]
            self._document_roots = roots
        return self._document_roots

    def _record_stream_visit(self) -> None:
        """The platform logs each opening of the label stream (projects_labelstreamhistory)."""
        if not self._schema.has_table("projects_labelstreamhistory"):
            return
        history = self._schema.table("projects_labelstreamhistory")
        with self._connection() as runner:
            runner.execute(
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
