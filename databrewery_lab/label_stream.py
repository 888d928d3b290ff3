"""Which task a user labels next, and the task locks that keep annotators apart.

The stream follows the project's settings as Label Studio does, trying tiers in order
and returning the first task it can lock:

1. the task this user already holds a live lock on (a reload, a second widget);
2. tasks with this user's draft that still need annotations ("postponed" drafts);
3. ``show_ground_truth_first``: tasks with a ground-truth annotation;
4. ``show_overlap_first``: tasks whose overlap is above one;
5. breadth first when the overlap is above one: tasks that others already started,
   so half-done tasks are finished before new ones are opened;
6. the rest in ``sampling`` order: Sequential (task id), Uniform (a random start
   in the id range, wrapping around), Uncertainty (lowest prediction score first);
7. ``REQUEUE_FOR_ME``: tasks this user skipped, oldest skip first.

Every tier excludes finished tasks (``is_labeled``), tasks this user annotated or
skipped, and tasks under someone else's live lock. Candidates are read with
``FOR UPDATE SKIP LOCKED`` so concurrent annotators pass each other instead of queueing,
and the lock itself is an upsert on the unique ``tasks_tasklock.task_id`` that only
replaces an expired lock or one's own: that upsert is the arbiter if two annotators
ever pick the same task, and the loser simply tries the next one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from .schema import Schema

#: How long a task stays reserved for a user without activity (drafts renew it).
DEFAULT_LOCK_TTL = timedelta(minutes=15)
#: A lost race for a lock is retried on the next candidate this many times per tier.
_LOCK_ATTEMPTS = 8

SEQUENTIAL, UNIFORM, UNCERTAINTY = "Sequential sampling", "Uniform sampling", "Uncertainty sampling"
REQUEUE_FOR_ME, REQUEUE_FOR_OTHERS, IGNORE_SKIPPED = (
    "REQUEUE_FOR_ME",
    "REQUEUE_FOR_OTHERS",
    "IGNORE_SKIPPED",
)
_FEATURE = "the label stream"

#: Tiers that bring back work the user left behind.
_RESUME_TIERS = frozenset({"my lock", "my drafts"})
#: One tier of the stream: (connection, bound parameters) -> None when the tier is empty,
#: else (candidate task id, the same id if its lock was taken or None if the race was lost).
Tier = Callable[[sa.Connection, dict[str, Any]], "tuple[int, int | None] | None"]


@dataclass(frozen=True)
class StreamSettings:
    """The project settings the stream obeys (read from the project row)."""

    sampling: str = SEQUENTIAL
    skip_queue: str = REQUEUE_FOR_OTHERS
    maximum_annotations: int = 1
    show_overlap_first: bool = False
    show_ground_truth_first: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StreamSettings:
        return cls(
            sampling=row.get("sampling") or SEQUENTIAL,
            skip_queue=row.get("skip_queue") or REQUEUE_FOR_OTHERS,
            maximum_annotations=int(row.get("maximum_annotations") or 1),
            show_overlap_first=bool(row.get("show_overlap_first")),
            show_ground_truth_first=bool(row.get("show_ground_truth_first")),
        )


class LabelStream:
    """Task selection and task locks for one (project, user); statements are built once."""

    def __init__(
        self,
        schema: Schema,
        project_id: int,
        user_id: int,
        settings: StreamSettings,
        *,
        lock_ttl: timedelta = DEFAULT_LOCK_TTL,
    ) -> None:
        schema.require("task", "id", "project_id", "is_labeled", feature=_FEATURE)
        schema.require("task_completion", "task_id", "completed_by_id", feature=_FEATURE)
        schema.require("tasks_tasklock", "task_id", "user_id", "expire_at", feature=_FEATURE)
        self.project_id, self.user_id, self.settings = project_id, user_id, settings
        self.lock_ttl = lock_ttl
        self._task = schema.table("task")
        self._ann = schema.table("task_completion")
        self._lock = schema.table("tasks_tasklock")
        self._draft = (
            schema.table("tasks_annotationdraft")
            if schema.has_table("tasks_annotationdraft")
            else None
        )
        self._has_cancelled = "was_cancelled" in self._ann.c
        self._tiers = self._build_tiers(schema)
        self._id_range: tuple[int, int] | None = None
        self._random = random.Random()

    # -- public -----------------------------------------------------------------------
    def next_task(self, conn: sa.Connection, *, resume: bool = True) -> int | None:
        """Lock and return the next task id for this user, or None when nothing is left.

        ``resume=False`` skips the tiers of work this user left behind (own lock, drafts),
        for a caller that knows there is none. Each attempt is one statement that picks
        a candidate and upserts its lock; the lock is visible to others on commit.
        """
        params = {"project_id": self.project_id, "user_id": self.user_id}
        for name, tier in self._tiers:
            if not resume and name in _RESUME_TIERS:
                continue
            excluded: list[int] = []
            for _ in range(_LOCK_ATTEMPTS):
                picked = tier(conn, {**params, "excluded": excluded})
                if picked is None:
                    break
                candidate, locked = picked
                if locked is not None:
                    return int(locked)
                excluded.append(candidate)  # another annotator won this one; try the next
        return None

    def take_lock(self, conn: sa.Connection, task_id: int) -> bool:
        """Lock ``task_id`` for this user unless someone else holds a live lock on it."""
        locked = self._lock_upsert(sa.select(sa.literal(task_id, sa.Integer).label("id")))
        return conn.execute(locked, {"user_id": self.user_id}).first() is not None

    def _lock_upsert(self, source: sa.Select) -> Any:
        """INSERT the lock of the task ``source`` yields; replace only expired or own locks."""
        lock = self._lock
        task_id = source.selected_columns[0]
        columns: list[Any] = [task_id, sa.bindparam("user_id"), sa.func.now() + self.lock_ttl]
        names = ["task_id", "user_id", "expire_at"]
        if "created_at" in lock.c:
            columns.append(sa.func.now())
            names.append("created_at")
        insert = pg.insert(lock).from_select(names, source.with_only_columns(*columns))
        return insert.on_conflict_do_update(
            index_elements=[lock.c.task_id],
            set_={k: insert.excluded[k] for k in names if k != "task_id"},
            where=sa.or_(
                lock.c.expire_at <= sa.func.now(), lock.c.user_id == sa.bindparam("user_id")
            ),
        ).returning(lock.c.task_id)

    def release(self, conn: sa.Connection, task_id: int | None = None) -> None:
        """Drop this user's lock on one task (or all of their locks in this project)."""
        lock = self._lock
        query = sa.delete(lock).where(lock.c.user_id == self.user_id)
        if task_id is not None:
            query = query.where(lock.c.task_id == task_id)
        else:
            in_project = sa.select(self._task.c.id).where(
                self._task.c.project_id == self.project_id
            )
            query = query.where(lock.c.task_id.in_(in_project))
        conn.execute(query)

    # -- statements -------------------------------------------------------------------
    def _open_tasks(self) -> sa.ColumnElement[bool]:
        """Unfinished tasks of the project this user has not touched and nobody else holds."""
        t, a, lock = self._task, self._ann, self._lock
        user = sa.bindparam("user_id")
        touched = sa.exists().where(a.c.task_id == t.c.id, a.c.completed_by_id == user)
        held = sa.exists().where(
            lock.c.task_id == t.c.id, lock.c.expire_at > sa.func.now(), lock.c.user_id != user
        )
        return sa.and_(
            t.c.project_id == sa.bindparam("project_id"),
            sa.not_(t.c.is_labeled),
            sa.not_(touched),
            sa.not_(held),
            t.c.id.not_in(sa.bindparam("excluded", expanding=True)),
        )

    def _candidate(self, *where: Any, order: list[Any]) -> sa.Select:
        t = self._task
        return (
            sa.select(t.c.id)
            .where(self._open_tasks(), *where)
            .order_by(*order)
            .limit(1)
            .with_for_update(of=t, skip_locked=True)
        )

    def _pick_and_lock(self, candidate: sa.Select) -> Tier:
        """One statement: lock a candidate row (SKIP LOCKED), upsert its task lock."""
        pick = candidate.cte("pick")
        locked = self._lock_upsert(sa.select(pick.c.id)).cte("locked")
        query = sa.select(pick.c.id, locked.c.task_id).select_from(
            pick.outerjoin(locked, sa.true())
        )

        def run(conn: sa.Connection, params: dict[str, Any]) -> tuple[int, int | None] | None:
            row = conn.execute(query, params).first()
            return None if row is None else (int(row[0]), row[1])

        return run

    def _build_tiers(self, schema: Schema) -> list[tuple[str, Tier]]:
        t, a, s = self._task, self._ann, self.settings
        tiers: list[tuple[str, Tier]] = []
        fixed = self._pick_and_lock

        tiers.append(("my lock", fixed(self._my_lock_query())))
        if self._draft is not None:
            tiers.append(("my drafts", fixed(self._my_draft_query())))
        if s.show_ground_truth_first and "ground_truth" in a.c:
            gold = sa.exists().where(a.c.task_id == t.c.id, a.c.ground_truth)
            tiers.append(("ground truth", fixed(self._candidate(gold, order=[t.c.id]))))
        if s.show_overlap_first and "overlap" in t.c:
            tiers.append(("overlap", fixed(self._candidate(t.c.overlap > 1, order=[t.c.id]))))
        if s.maximum_annotations > 1 and "total_annotations" in t.c:
            started = self._candidate(t.c.total_annotations > 0, order=[t.c.id])
            tiers.append(("breadth first", fixed(started)))
        tiers.append(("sampling", self._sampling_tier(schema)))
        if s.skip_queue == REQUEUE_FOR_ME and self._has_cancelled:
            tiers.append(("my skips", fixed(self._my_skips_query())))
        return tiers

    def _sampling_tier(self, schema: Schema) -> Tier:
        t, fixed = self._task, self._pick_and_lock
        if self.settings.sampling == UNCERTAINTY:
            if "predictions_score" in t.c:
                score: Any = t.c.predictions_score
            else:  # Label Studio keeps no per-task score: compute it
                pr = schema.table("prediction")
                score = (
                    sa.select(sa.func.min(pr.c.score)).where(pr.c.task_id == t.c.id)
                ).scalar_subquery()
            return fixed(self._candidate(order=[score.asc().nulls_last(), t.c.id]))
        if self.settings.sampling == UNIFORM:
            after = fixed(self._candidate(t.c.id >= sa.bindparam("start"), order=[t.c.id]))
            wrapped = fixed(self._candidate(order=[t.c.id]))

            def uniform(conn: sa.Connection, params: dict[str, Any]) -> Any:
                # A random point in the id range, then onwards, wrapping around: uniform
                # over tasks without sorting the whole queue on every request.
                low, high = self._task_id_range(conn)
                start = self._random.randint(low, high)
                found = after(conn, {**params, "start": start})
                return found if found is not None else wrapped(conn, params)

            return uniform
        return fixed(self._candidate(order=[t.c.id]))

    def _task_id_range(self, conn: sa.Connection) -> tuple[int, int]:
        if self._id_range is None:
            t = self._task
            low, high = conn.execute(
                sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id)).where(
                    t.c.project_id == self.project_id
                )
            ).one()
            self._id_range = (int(low or 0), int(high or 0))
        return self._id_range

    def _my_lock_query(self) -> sa.Select:
        """The task this user holds a live lock on, if any (and has not annotated yet)."""
        t, a, lock = self._task, self._ann, self._lock
        user = sa.bindparam("user_id")
        mine = sa.exists().where(
            a.c.task_id == t.c.id,
            a.c.completed_by_id == user,
            *([sa.not_(a.c.was_cancelled)] if self._has_cancelled else []),
        )
        return (
            sa.select(t.c.id)
            .join(lock, lock.c.task_id == t.c.id)
            .where(
                lock.c.user_id == user,
                lock.c.expire_at > sa.func.now(),
                t.c.project_id == sa.bindparam("project_id"),
                sa.not_(t.c.is_labeled),
                sa.not_(mine),
                t.c.id.not_in(sa.bindparam("excluded", expanding=True)),
            )
            .order_by(lock.c.expire_at.desc())
            .limit(1)
            .with_for_update(of=t, skip_locked=True)
        )

    def _my_draft_query(self) -> sa.Select:
        """Unfinished tasks where this user left a draft and no annotation."""
        t, d = self._task, self._draft
        assert d is not None
        of_new_work = [d.c.annotation_id.is_(None)] if "annotation_id" in d.c else []
        has_draft = sa.exists().where(
            d.c.task_id == t.c.id, d.c.user_id == sa.bindparam("user_id"), *of_new_work
        )
        return self._candidate(has_draft, order=[t.c.id])

    def _my_skips_query(self) -> sa.Select:
        """REQUEUE_FOR_ME: unfinished tasks this user only skipped, oldest skip first."""
        t, a, lock = self._task, self._ann, self._lock
        user = sa.bindparam("user_id")
        other = a.alias("submitted")
        submitted = sa.exists().where(
            other.c.task_id == t.c.id,
            other.c.completed_by_id == user,
            sa.not_(other.c.was_cancelled),
        )
        held = sa.exists().where(
            lock.c.task_id == t.c.id, lock.c.expire_at > sa.func.now(), lock.c.user_id != user
        )
        when = a.c.updated_at if "updated_at" in a.c else a.c.id
        return (
            sa.select(t.c.id)
            .join(a, a.c.task_id == t.c.id)
            .where(
                a.c.completed_by_id == user,
                a.c.was_cancelled,
                t.c.project_id == sa.bindparam("project_id"),
                sa.not_(t.c.is_labeled),
                sa.not_(submitted),
                sa.not_(held),
                t.c.id.not_in(sa.bindparam("excluded", expanding=True)),
            )
            .order_by(when, t.c.id)
            .limit(1)
            .with_for_update(of=t, skip_locked=True)
        )
