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

Each attempt is one autocommit statement that picks, locks and (with ``view_columns``)
also returns what the UI shows, so "next task" is one round trip. Its only durable effect
is the lock row, which expires anyway, so it commits without waiting for the WAL flush
(``synchronous_commit`` off for that statement alone): a lock lost in a server crash costs
nothing, and annotations keep full durability.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from .schema import Schema
from .statement_runner import Prepared, StatementRunner, constant

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
#: One tier of the stream: (runner, bound parameters) -> None when the tier is empty, else
#: the picked row: ``candidate`` (task id), ``locked`` (the same id if its lock was taken,
#: None if another annotator won the race), ``until`` (lock expiry) and the view columns.
Tier = Callable[[StatementRunner, dict[str, Any]], "dict[str, Any] | None"]


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
        view_columns: Sequence[Any] = (),
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
        #: Id order for queues of unfinished tasks. With ``is_labeled`` first (constant
        #: under ``NOT is_labeled``) only the (project_id, is_labeled, id) index yields
        #: this order without a sort, so the plan does not hinge on statistics: ANALYZEd
        #: before labeling began, they show no labeled task, and the planner may pick the
        #: (project_id, id) index and walk past every task labeled since on each pick.
        self._id_order: list[Any] = [self._task.c.is_labeled, self._task.c.id]
        self._view_columns = list(view_columns)
        self._tiers = self._build_tiers(schema)
        one_task = sa.select(sa.bindparam("task_id", type_=sa.Integer).label("id"))
        self._take_lock = Prepared(self._lock_upsert(one_task))
        self._id_range: tuple[int, int] | None = None
        self._random = random.Random()

    # -- public -----------------------------------------------------------------------
    def next_task(self, runner: StatementRunner, *, resume: bool = True) -> dict[str, Any] | None:
        """Lock the next task for this user and return its row, or None when none is left.

        The row has ``locked`` (the task id), ``until`` (lock expiry) and the view columns.
        ``resume=False`` skips the tiers of work this user left behind (own lock, drafts),
        for a caller that knows there is none. Call it outside a transaction: each attempt
        is one statement that commits its lock at once, visible to the other annotators.
        """
        params = {"project_id": self.project_id, "user_id": self.user_id}
        for name, tier in self._tiers:
            if not resume and name in _RESUME_TIERS:
                continue
            excluded: list[int] = []
            for _ in range(_LOCK_ATTEMPTS):
                picked = tier(runner, {**params, "excluded": excluded})
                if picked is None:
                    break
                if picked["locked"] is not None:
                    return picked
                excluded.append(picked["candidate"])  # another annotator won it; next one
        return None

    def take_lock(self, runner: StatementRunner, task_id: int) -> bool:
        """Lock ``task_id`` for this user unless someone else holds a live lock on it."""
        params = {"user_id": self.user_id, "task_id": task_id}
        return runner.first(self._take_lock, params) is not None

    def _lock_upsert(self, source: sa.Select) -> Any:
        """INSERT the lock of the task ``source`` yields; replace only expired or own locks."""
        lock = self._lock
        task_id = source.selected_columns[0]
        columns: list[Any] = [
            task_id,
            sa.bindparam("user_id"),
            sa.func.now() + constant(self.lock_ttl),
        ]
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
        ).returning(lock.c.task_id, lock.c.expire_at)

    def release(self, runner: StatementRunner, task_id: int | None = None) -> None:
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
        runner.execute(query)

    # -- statements -------------------------------------------------------------------
    def _open_tasks(self) -> sa.ColumnElement[bool]:
        """Unfinished tasks of the project this user has not touched and nobody else holds."""
        t, a = self._task, self._ann
        touched = _probe(a.c.task_id == t.c.id, a.c.completed_by_id == sa.bindparam("user_id"))
        return sa.and_(
            t.c.project_id == sa.bindparam("project_id"),
            sa.not_(t.c.is_labeled),
            sa.not_(touched),
            sa.not_(self._held_by_others()),
            _not_excluded(t),
        )

    def _held_by_others(self) -> sa.ColumnElement[bool]:
        return held_by_others(self._lock, self._task.c.id, sa.bindparam("user_id"))

    def _candidate(self, *where: Any, order: list[Any]) -> sa.Select:
        t = self._task
        return (
            sa.select(t.c.id)
            .where(self._open_tasks(), *where)
            .order_by(*order)
            .limit(constant(1))
            .with_for_update(of=t, skip_locked=True)
        )

    def _pick_and_lock(self, candidate: sa.Select) -> Tier:
        """One statement: lock a candidate row (SKIP LOCKED), upsert its task lock, and
        return the view columns of the task; committed without waiting for the WAL flush."""
        t = self._task
        pick = candidate.where(_NO_FLUSH_WAIT).cte("pick")
        locked = self._lock_upsert(sa.select(pick.c.id)).cte("locked")
        query = Prepared(
            sa.select(
                pick.c.id.label("candidate"),
                locked.c.task_id.label("locked"),
                locked.c.expire_at.label("until"),
                *self._view_columns,
            ).select_from(pick.outerjoin(locked, sa.true()).join(t, t.c.id == pick.c.id))
        )

        def run(runner: StatementRunner, params: dict[str, Any]) -> dict[str, Any] | None:
            return runner.first_mapping(query, params)

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
            tiers.append(("ground truth", fixed(self._candidate(gold, order=self._id_order))))
        if s.show_overlap_first and "overlap" in t.c:
            overlap = self._candidate(t.c.overlap > 1, order=self._id_order)
            tiers.append(("overlap", fixed(overlap)))
        if s.maximum_annotations > 1 and "total_annotations" in t.c:
            # A constant, not a bound value, so a generic plan can use the partial index.
            started = self._candidate(t.c.total_annotations > constant(0), order=[t.c.id])
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
            after = fixed(self._candidate(t.c.id >= sa.bindparam("start"), order=self._id_order))
            wrapped = fixed(self._candidate(order=self._id_order))

            def uniform(runner: StatementRunner, params: dict[str, Any]) -> Any:
                # A random point in the id range, then onwards, wrapping around: uniform
                # over tasks without sorting the whole queue on every request.
                low, high = self._task_id_range(runner)
                start = self._random.randint(low, high)
                found = after(runner, {**params, "start": start})
                return found if found is not None else wrapped(runner, params)

            return uniform
        return fixed(self._candidate(order=self._id_order))

    def _task_id_range(self, runner: StatementRunner) -> tuple[int, int]:
        if self._id_range is None:
            t = self._task
            low, high = runner.first(
                sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id)).where(
                    t.c.project_id == self.project_id
                )
            )
            self._id_range = (int(low or 0), int(high or 0))
        return self._id_range

    def _my_lock_query(self) -> sa.Select:
        """The task this user holds a live lock on, if any (and has not annotated yet)."""
        t, a, lock = self._task, self._ann, self._lock
        user = sa.bindparam("user_id")
        mine = _probe(
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
                _not_excluded(t),
            )
            .order_by(lock.c.expire_at.desc())
            .limit(constant(1))
            .with_for_update(of=t, skip_locked=True)
        )

    def _my_draft_query(self) -> sa.Select:
        """Unfinished tasks where this user left a draft and no annotation."""
        t, d = self._task, self._draft
        assert d is not None
        of_new_work = [d.c.annotation_id.is_(None)] if "annotation_id" in d.c else []
        has_draft = _probe(
            d.c.task_id == t.c.id, d.c.user_id == sa.bindparam("user_id"), *of_new_work
        )
        return self._candidate(has_draft, order=self._id_order)

    def _my_skips_query(self) -> sa.Select:
        """REQUEUE_FOR_ME: unfinished tasks this user only skipped, oldest skip first."""
        t, a = self._task, self._ann
        user = sa.bindparam("user_id")
        other = a.alias("submitted")
        submitted = _probe(
            other.c.task_id == t.c.id,
            other.c.completed_by_id == user,
            sa.not_(other.c.was_cancelled),
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
                sa.not_(self._held_by_others()),
                _not_excluded(t),
            )
            .order_by(when, t.c.id)
            .limit(constant(1))
            .with_for_update(of=t, skip_locked=True)
        )


def held_by_others(
    lock: sa.Table, task_id: sa.ColumnElement[int], user: sa.ColumnElement[int]
) -> sa.ColumnElement[bool]:
    """Someone other than ``user`` holds a live lock on ``task_id``.

    Written so that ``task_id`` is the only condition an index can serve: with the expiry
    and user in the WHERE clause, a planner that believes the lock table is empty (just
    vacuumed) may scan another index of it on every probe.
    """
    live_other = sa.and_(lock.c.expire_at > sa.func.now(), lock.c.user_id != user)
    held = sa.select(sa.func.bool_or(live_other)).where(lock.c.task_id == task_id)
    return sa.func.coalesce(held.scalar_subquery(), sa.false())


def _probe(*where: Any) -> sa.Exists:
    """EXISTS (... OFFSET 0): checked per candidate row through its index.

    The stream walks candidates in index order and stops at the first free one, so each
    check should be a lookup. Without ``OFFSET 0`` the planner may turn NOT EXISTS into an
    anti-join that reads all of a user's annotations on every request — a cost that grows
    with every task they label.
    """
    return sa.select(constant(1)).where(*where).offset(constant(0)).exists()


def _not_excluded(task: sa.Table) -> sa.ColumnElement[bool]:
    """Not one of the candidates another annotator just won (``:excluded``, an int array)."""
    return task.c.id != sa.all_(sa.bindparam("excluded", type_=pg.ARRAY(sa.Integer)))


#: Applied to the pick: this statement's commit does not wait for the WAL flush.
_NO_FLUSH_WAIT = (
    sa.select(sa.func.set_config(constant("synchronous_commit"), constant("off"), constant(True)))
    .scalar_subquery()
    .is_not(None)
)
