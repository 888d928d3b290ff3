"""Writes of one annotator: submit, skip, update, drafts, and the counters they move.

Every write is one transaction that starts by locking the task row
(``SELECT ... FOR UPDATE``), so writes to one task are serialised: the overlap check,
the idempotency check on ``unique_id`` and the counter updates see one consistent task.
Task counters are recomputed from the task's own ``task_completion`` rows (a handful),
so they equal ``count(*)`` by construction; project counters move by the difference
between the task before and after, in the same transaction.

Counter definitions (the demo builder uses the same ones):
``task.total_annotations`` = submitted (not cancelled) annotations;
``cancelled_annotations`` = skips; ``is_labeled`` = total (+ skips when the project's
skip queue is ``IGNORE_SKIPPED``, as in Label Studio) >= ``task.overlap``;
``avg_lead_time`` = mean lead time of submitted annotations;
``project.useful_annotation_number`` = submitted, not ground truth, non-empty result.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa

from .errors import AnnotationRejected, NotFound, TaskUnavailable
from .label_stream import IGNORE_SKIPPED, LabelStream, held_by_others
from .result_validation import result_summary
from .schema import Schema
from .statement_runner import Prepared, StatementRunner, constant

_FEATURE = "submitting annotations"
#: Project counters moved by annotation writes, when the database has them.
_PROJECT_COUNTERS = (
    "total_annotations_number",
    "skipped_annotations_number",
    "num_tasks_with_annotations",
    "finished_task_number",
    "queue_done",
    "useful_annotation_number",
)


@dataclass(frozen=True)
class Submission:
    """What a submit or skip did: which annotation, and whether it is a new row."""

    annotation_id: int
    task_id: int
    created: bool


@dataclass(frozen=True)
class Draft:
    """A user's unsubmitted work on a task (``tasks_annotationdraft``)."""

    id: int
    result: list[dict[str, Any]]
    lead_time: float | None
    updated_at: datetime | None


@dataclass(frozen=True)
class TaskState:
    """What a write decides on: a task's counters, data, every annotation (a handful) and
    its live lock, as read in one snapshot; ``version`` is the row's ``xmin`` then.

    Every annotation write also updates the task row, so an unchanged ``xmin`` means an
    unchanged task: a state read when the task was shown can stand in for a fresh read.
    """

    total: int
    cancelled: int
    is_labeled: bool
    overlap: int
    data: Any
    annotations: tuple[dict[str, Any], ...]
    holder: int | None
    holder_until: datetime | None
    version: str | None = None


@dataclass(frozen=True)
class _Write:
    """A decided submit: which write statement, its parameters, and what it will mean."""

    insert: bool
    counters: tuple[str, ...]
    params: dict[str, Any]
    task_id: int
    created: bool

    def submission(self, annotation_id: int) -> Submission:
        return Submission(int(annotation_id), self.task_id, created=self.created)


#: Checks a result against the (locked) task's data; returns the normalised result.
Validator = Callable[[list[dict[str, Any]], dict[str, Any]], list[dict[str, Any]]]


class AnnotationWriter:
    """Annotation and draft writes of one user in one project.

    A submit of a task as this user last saw it (``seen``, read when the task was shown)
    is one autocommit statement: its CTEs update the task's counters only if the task row
    is still that version (``xmin``) and nobody else holds it, and write the annotation,
    the project counters and drop the draft and lock only if that update happened. When
    the task moved on meanwhile, nothing is written and the submit takes the locked path:
    BEGIN and the read of the task under its row lock; a decision in Python; then the
    write statement sent together with COMMIT — so the hot project row stays locked only
    while the server commits, never while this client waits for its CPU turn.
    """

    def __init__(
        self, schema: Schema, project_id: int, user_id: int, username: str, stream: LabelStream
    ) -> None:
        schema.require(
            "task_completion",
            "id",
            "result",
            "task_id",
            "project_id",
            "completed_by_id",
            "was_cancelled",
            "unique_id",
            feature=_FEATURE,
        )
        schema.require(
            "task", "total_annotations", "cancelled_annotations", "overlap", feature=_FEATURE
        )
        self._schema = schema
        self.project_id, self.user_id, self.username = project_id, user_id, username
        self.stream = stream
        self._ignore_skipped = stream.settings.skip_queue == IGNORE_SKIPPED
        self._task = schema.table("task")
        self._ann = schema.table("task_completion")
        self._project = schema.table("project")
        self._lock = schema.table("tasks_tasklock")
        self._draft = (
            schema.table("tasks_annotationdraft")
            if schema.has_table("tasks_annotationdraft")
            else None
        )
        self._read_query = Prepared(self._build_read_query())
        t = self._task
        self._lock_row = Prepared(
            sa.select(t.c.project_id).where(t.c.id == sa.bindparam("task_id")).with_for_update()
        )
        self._statements: dict[tuple[bool, tuple[str, ...], bool], Prepared] = {}

    # -- annotations --------------------------------------------------------------------
    def submit(
        self,
        runner: StatementRunner,
        task_id: int,
        result: list[dict[str, Any]],
        *,
        lead_time: float | None = None,
        unique_id: str | None = None,
        parent_prediction_id: int | None = None,
        cancelled: bool = False,
        validate: Validator | None = None,
        seen: TaskState | None = None,
    ) -> Submission:
        """Create this user's annotation on the task (or skip it), or update the one they have.

        The same ``unique_id`` twice is one annotation: the second call changes nothing.
        ``validate`` sees the task data. ``seen`` is the task as this user was shown it
        (:func:`task_state`); when the task is unchanged since, the submit is one
        statement. One transaction; an error leaves the database as it was.
        """
        unique_id = unique_id or str(uuid.uuid4())
        decide = functools.partial(
            self._decide,
            task_id,
            result,
            lead_time=lead_time,
            unique_id=unique_id,
            parent_prediction_id=parent_prediction_id,
            cancelled=cancelled,
            validate=validate,
        )
        try:
            if seen is not None:
                done = self._submit_as_seen(runner, seen, unique_id, decide)
                if done is not None:
                    return done
            with runner.transaction():
                write = decide(self._read_task(runner, task_id))
                if isinstance(write, Submission):
                    return write
                statement = self._write_statement(write.insert, write.counters, guarded=False)
                (annotation_id,) = runner.execute_then_commit(statement, write.params)
                return write.submission(annotation_id)
        except psycopg.errors.UniqueViolation:
            raise AnnotationRejected(
                f"unique_id {unique_id!r} is already used by another annotation; send a "
                "fresh unique_id for a new annotation."
            ) from None

    def _submit_as_seen(
        self,
        runner: StatementRunner,
        seen: TaskState,
        unique_id: str,
        decide: Callable[[TaskState], _Write | Submission],
    ) -> Submission | None:
        """A new annotation on a task unchanged since it was shown: one statement.

        None when this does not apply or the task changed meanwhile (nothing was written);
        the caller then decides again under the row lock, where any refusal is raised.
        """
        fresh = seen.version is not None and not any(
            a["user"] == self.user_id or a["unique_id"] == unique_id for a in seen.annotations
        )
        if not fresh:
            return None
        try:
            write = decide(seen)
        except (AnnotationRejected, TaskUnavailable):
            return None
        assert isinstance(write, _Write) and write.insert
        statement = self._write_statement(True, write.counters, guarded=True)
        row = runner.first(statement, {**write.params, "p_version": seen.version})
        return None if row is None else write.submission(row[0])

    def _decide(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        before: TaskState,
        *,
        lead_time: float | None,
        unique_id: str,
        parent_prediction_id: int | None,
        cancelled: bool,
        validate: Validator | None,
    ) -> _Write | Submission:
        """What a submit does to the task as ``before`` describes it (or a refusal)."""
        if validate is not None:
            result = validate(result, before.data or {})
        landed = next((a for a in before.annotations if a["unique_id"] == unique_id), None)
        if landed is not None:
            if landed["user"] != self.user_id:
                raise AnnotationRejected(
                    f"unique_id {unique_id!r} already belongs to another user's annotation "
                    f"{landed['id']}; send a fresh unique_id for a new annotation."
                )
            return Submission(int(landed["id"]), task_id, created=False)

        mine = [a for a in before.annotations if a["user"] == self.user_id]
        submitted = next((a for a in mine if not a["cancelled"]), None)
        skipped = next((a for a in mine if a["cancelled"]), None)
        row = {
            "id": None,
            "user": self.user_id,
            "cancelled": cancelled,
            "gt": False,
            "lead": lead_time,
            "unique_id": unique_id,
            "result": result,
        }
        if submitted is not None:
            if cancelled:
                raise TaskUnavailable(
                    f"Task {task_id} already has your submitted annotation "
                    f"{submitted['id']}; it cannot be skipped now. Update it instead."
                )
            replaced, action = submitted, "updated"
        else:
            self._check_capacity(task_id, before, converting_skip=skipped is not None)
            replaced, action = skipped, "skipped" if cancelled else "submitted"
        if replaced is not None:  # one's own annotation (or REQUEUE_FOR_ME skip) rewritten
            lead = replaced["lead"] if lead_time is None else (replaced["lead"] or 0) + lead_time
            row |= {"id": replaced["id"], "gt": replaced["gt"], "lead": lead}
            row["unique_id"] = replaced["unique_id"]
        after_rows = [a for a in before.annotations if a is not replaced] + [row]
        counters = self._task_counters(before, after_rows)
        deltas = self._project_deltas(before, counters, replaced, row)
        # Parameter names carry a p_ prefix: SQLAlchemy reads keys named like a column
        # of an UPDATE's table as extra SET clauses.
        values = {
            "task_id": task_id,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "annotation_id": row["id"],
            "result": result,
            "was_cancelled": cancelled,
            "lead_time": row["lead"],
            "result_count": len(result),
            "last_action": action,
            "was_submitted": not cancelled,
            "unique_id": row["unique_id"],
            "parent_prediction_id": parent_prediction_id,
            **counters,
            **{f"d_{name}": delta for name, delta in deltas.items()},
        }
        return _Write(
            insert=row["id"] is None,
            counters=tuple(sorted(deltas)),
            params={f"p_{k}": v for k, v in values.items()},
            task_id=task_id,
            created=replaced is None,
        )

    def _build_read_query(self) -> sa.Select:
        t, lock = self._task, self._lock
        live = sa.and_(lock.c.task_id == t.c.id, lock.c.expire_at > sa.func.now())
        return sa.select(
            t.c.project_id,
            t.c.data,
            *task_state_columns(self._schema),
            sa.select(lock.c.user_id).where(live).scalar_subquery().label("holder"),
            sa.select(lock.c.expire_at).where(live).scalar_subquery().label("until"),
        ).where(t.c.id == sa.bindparam("task_id"))

    def _read_task(self, runner: StatementRunner, task_id: int) -> TaskState:
        """Lock the task row, then read it: two statements, one round trip when pipelined.

        The read is a statement of its own so that, under READ COMMITTED, its snapshot is
        taken after the row lock is granted and includes every annotation committed by
        the writer it waited for; a single locking SELECT would re-read the task row but
        not its annotations.
        """
        runner.execute(self._lock_row, {"task_id": task_id})
        row = runner.first_mapping(self._read_query, {"task_id": task_id})
        self._check_in_project(task_id, None if row is None else row["project_id"])
        return task_state(row, holder=row["holder"], until=row["until"])

    def _lock_task_row(self, runner: StatementRunner, task_id: int) -> None:
        """Only the task row lock, for writes that need no annotations (drafts)."""
        self._check_in_project(task_id, runner.scalar(self._lock_row, {"task_id": task_id}))

    def _check_in_project(self, task_id: int, project_id: int | None) -> None:
        if project_id != self.project_id:
            raise NotFound(f"Task {task_id} is not in project {self.project_id}.")

    def _check_capacity(self, task_id: int, before: TaskState, *, converting_skip: bool) -> None:
        """Refuse a new annotation beyond the overlap or on a task someone else holds."""
        if before.holder is not None and before.holder != self.user_id:
            until = f"{before.holder_until:%H:%M:%S %Z}" if before.holder_until else "later"
            raise TaskUnavailable(
                f"Task {task_id} is being labeled by another annotator (locked until "
                f"{until}); your work is kept as a draft. Open the next task."
            )
        # Under IGNORE_SKIPPED one's own skip already counts towards the overlap.
        if before.is_labeled and not (converting_skip and self._ignore_skipped):
            raise TaskUnavailable(
                f"Task {task_id} already has all the annotations it needs (the project's "
                "overlap) — it moved on while you were away. Your work is kept as a draft; "
                "open the next task."
            )

    def _write_statement(
        self, insert: bool, counters: tuple[str, ...], *, guarded: bool
    ) -> Prepared:
        """The one write statement of a submit, built once per shape and then reused.

        CTEs: the task counters (``guarded``: only if the task row is still version
        ``:p_version`` and no one else holds its lock), then — only if the task was
        updated — the annotation row (insert, or rewrite of one's own), the project
        counters that move, and the deletion of this user's draft and lock.
        """
        key = (insert, counters, guarded)
        if key not in self._statements:
            task = self._task_update(guarded)
            updated = sa.select(task.c.id).exists()
            written = self._write_annotation(insert, task)
            self._statements[key] = Prepared(
                sa.select(written.c.id).add_cte(
                    task,
                    *self._project_update(counters, updated),
                    *self._cleanup(updated),
                )
            )
        return self._statements[key]

    def _write_annotation(self, insert: bool, task: Any) -> Any:
        a = self._ann
        columns = ["result", "was_cancelled", "lead_time", "result_count", "last_action"]
        columns += ["was_submitted"]
        if insert:
            columns += ["task_id", "project_id", "unique_id", "parent_prediction_id"]
        values: dict[str, Any] = {
            c: sa.bindparam(f"p_{c}", type_=a.c[c].type) for c in columns if c in a.c
        }
        if insert:
            values["completed_by_id"] = sa.bindparam("p_user_id", type_=a.c.completed_by_id.type)
            rows = sa.select(*values.values()).select_from(task)  # a row only if it was updated
            query = sa.insert(a).from_select(list(values), rows)
            return query.returning(a.c.id).cte("written")
        if "updated_at" in a.c:
            values["updated_at"] = sa.func.now()
        if "parent_prediction_id" in a.c:
            values["parent_prediction_id"] = sa.func.coalesce(
                sa.bindparam("p_parent_prediction_id", type_=sa.Integer), a.c.parent_prediction_id
            )
        query = sa.update(a).where(
            a.c.id == sa.bindparam("p_annotation_id"), sa.select(task.c.id).exists()
        )
        return query.values(**values).returning(a.c.id).cte("written")

    def _task_counters(self, before: TaskState, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Task counters recomputed from its annotation rows as they will be."""
        submitted = [r for r in sorted(rows, key=_row_order) if not r["cancelled"]]
        cancelled = len(rows) - len(submitted)
        done = len(submitted) + (cancelled if self._ignore_skipped else 0)
        leads = [r["lead"] for r in submitted if r["lead"] is not None]
        return {
            "total_annotations": len(submitted),
            "cancelled_annotations": cancelled,
            "is_labeled": done >= before.overlap,
            "avg_lead_time": sum(leads) / len(leads) if leads else None,
            "annotations_results": json.dumps([result_summary(r["result"]) for r in submitted]),
        }

    def _task_update(self, guarded: bool) -> Any:
        t = self._task
        names = ["total_annotations", "cancelled_annotations", "is_labeled"]
        names += [c for c in ("avg_lead_time", "annotations_results") if c in t.c]
        values: dict[str, Any] = {c: sa.bindparam(f"p_{c}", type_=t.c[c].type) for c in names}
        if "updated_at" in t.c:
            values["updated_at"] = sa.func.now()
        if "updated_by_id" in t.c:
            values["updated_by_id"] = sa.bindparam("p_user_id")
        if "draft_exists" in t.c and self._draft is not None:
            values["draft_exists"] = sa.exists().where(
                self._draft.c.task_id == sa.bindparam("p_task_id"), sa.not_(self._my_drafts_of())
            )
        query = sa.update(t).where(t.c.id == sa.bindparam("p_task_id")).values(**values)
        if guarded:
            held = held_by_others(self._lock, t.c.id, sa.bindparam("p_user_id"))
            query = query.where(
                row_version(t) == sa.bindparam("p_version", type_=sa.Text), sa.not_(held)
            )
        return query.returning(t.c.id).cte("task_counters")

    def _project_deltas(
        self,
        before: TaskState,
        after: dict[str, Any],
        replaced: dict[str, Any] | None,
        row: dict[str, Any],
    ) -> dict[str, int]:
        """Project counters moved by the task's counters before and after (non-zero ones)."""
        total, cancelled = after["total_annotations"], after["cancelled_annotations"]
        finished = int(after["is_labeled"]) - int(before.is_labeled)
        deltas = {
            "total_annotations_number": total - before.total,
            "skipped_annotations_number": cancelled - before.cancelled,
            "num_tasks_with_annotations": int(total > 0) - int(before.total > 0),
            "finished_task_number": finished,
            "queue_done": finished,
            "useful_annotation_number": int(_useful(row))
            - int(replaced is not None and _useful(replaced)),
        }
        return {k: d for k, d in deltas.items() if d and k in self._project.c}

    def _project_update(self, counters: tuple[str, ...], updated: Any) -> list[Any]:
        if not counters:
            return []
        p = self._project
        values = {k: p.c[k] + sa.bindparam(f"p_d_{k}", type_=sa.Integer) for k in counters}
        query = sa.update(p).where(p.c.id == sa.bindparam("p_project_id"), updated)
        return [query.values(**values).cte("project_counters")]

    def _cleanup(self, updated: Any) -> list[Any]:
        """Submitting ends the drafting and frees the task: drop my draft and my lock."""
        lock = self._lock
        unlock = sa.delete(lock).where(
            lock.c.task_id == sa.bindparam("p_task_id"),
            lock.c.user_id == sa.bindparam("p_user_id"),
            updated,
        )
        ctes = [unlock.cte("unlocked")]
        if self._draft is not None:
            d = self._draft
            mine = sa.and_(d.c.task_id == sa.bindparam("p_task_id"), self._my_drafts_of())
            ctes.append(sa.delete(d).where(mine, updated).cte("undrafted"))
        return ctes

    def _my_drafts_of(self) -> sa.ColumnElement[bool]:
        """This user's drafts of a new annotation, or of annotation ``:annotation_id``."""
        d = self._draft
        assert d is not None
        same = sa.func.coalesce(
            d.c.annotation_id == sa.bindparam("p_annotation_id", type_=sa.Integer), sa.false()
        )
        return sa.and_(
            d.c.user_id == sa.bindparam("p_user_id"), sa.or_(d.c.annotation_id.is_(None), same)
        )

    # -- drafts -------------------------------------------------------------------------
    def save_draft(
        self,
        runner: StatementRunner,
        task_id: int,
        result: list[dict[str, Any]],
        *,
        lead_time: float | None = None,
        annotation_id: int | None = None,
    ) -> Draft:
        """Create or replace this user's draft on the task (of a new or existing annotation).

        Runs in the caller's transaction (:meth:`StatementRunner.transaction`).
        """
        d = self._require_drafts()
        self._lock_task_row(runner, task_id)  # serialises with submits of this task
        values: dict[str, Any] = {"result": result}
        if "lead_time" in d.c:
            values["lead_time"] = lead_time
        if "updated_at" in d.c:
            values["updated_at"] = sa.func.now()
        mine = sa.and_(
            d.c.task_id == task_id,
            d.c.user_id == self.user_id,
            d.c.annotation_id.is_(None)
            if annotation_id is None
            else d.c.annotation_id == annotation_id,
        )
        returning = [d.c.id, *[d.c[c] for c in ("updated_at",) if c in d.c]]
        row = runner.first(sa.update(d).where(mine).values(**values).returning(*returning))
        if row is None:
            extra = {"annotation_id": annotation_id, "task_id": task_id, "user_id": self.user_id}
            if "created_username" in d.c:
                extra["created_username"] = self.username
            row = runner.first(sa.insert(d).values(**values, **extra).returning(*returning))
        assert row is not None
        t = self._task
        if "draft_exists" in t.c:
            runner.execute(
                sa.update(t)
                .where(t.c.id == task_id, sa.not_(t.c.draft_exists))
                .values(draft_exists=True)
            )
        updated_at = row[1] if len(row) > 1 else None
        return Draft(int(row[0]), result, lead_time, updated_at)

    def _require_drafts(self) -> sa.Table:
        self._schema.require("tasks_annotationdraft", "task_id", "user_id", feature="drafts")
        assert self._draft is not None
        return self._draft


def row_version(table: sa.Table) -> sa.ColumnElement[str]:
    """The row's ``xmin`` as text: it changes whenever the row is written."""
    return sa.cast(sa.column("xmin", _selectable=table), sa.Text)


def task_state_columns(schema: Schema) -> list[Any]:
    """Columns of the ``task`` row for :func:`task_state`: counters, annotations, version.

    They ride on any SELECT over ``task`` — the read under the row lock, and the statement
    that shows a task — so the state a submit decides on costs no extra round trip.
    """
    t, a = schema.table("task"), schema.table("task_completion")
    fields: list[Any] = [
        constant("id"),
        a.c.id,
        constant("user"),
        a.c.completed_by_id,
        constant("cancelled"),
        a.c.was_cancelled,
        constant("unique_id"),
        a.c.unique_id,
        constant("result"),
        a.c.result,
        constant("gt"),
        a.c.ground_truth if "ground_truth" in a.c else sa.false(),
        constant("lead"),
        a.c.lead_time if "lead_time" in a.c else sa.null(),
    ]
    annotations = (
        sa.select(sa.func.json_agg(sa.func.json_build_object(*fields)))
        .where(a.c.task_id == t.c.id)
        .scalar_subquery()
    )
    return [
        t.c.total_annotations,
        t.c.cancelled_annotations,
        t.c.is_labeled,
        t.c.overlap,
        annotations.label("annotations"),
        row_version(t).label("row_version"),
    ]


def task_state(row: Mapping[str, Any], *, holder: int | None, until: datetime | None) -> TaskState:
    """The TaskState of a row carrying ``data`` and :func:`task_state_columns`."""
    return TaskState(
        row["total_annotations"],
        row["cancelled_annotations"],
        row["is_labeled"],
        row["overlap"],
        row["data"],
        tuple(sorted(row["annotations"] or [], key=lambda a: -a["id"])),
        holder,
        until,
        row["row_version"],
    )


def _row_order(row: dict[str, Any]) -> int:
    """Annotation rows in id order; the one being inserted (no id yet) last."""
    return row["id"] if row["id"] is not None else 2**62


def _useful(row: dict[str, Any]) -> bool:
    """Counted in ``useful_annotation_number``: submitted, not ground truth, non-empty."""
    return not row["cancelled"] and not row["gt"] and bool(row["result"])
