"""Projects: the list an organization sees, and one project's summary."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from .errors import NotAMember, NotFound
from .users import User, resolve_user

if TYPE_CHECKING:
    from .annotation_writer import Submission
    from .connection import Brewery
    from .labeling import LabelSession
    from .widgets.labeler import Labeler

_FEATURE = "project listing"


def _project_figures(brewery: Brewery, project_id: int | None = None) -> sa.Select:
    """Per project: title, owner names and live counts of tasks, annotations, predictions.

    With ``project_id`` every aggregate is restricted to that project, so summarising one
    project reads only its rows (through the project_id indexes).
    """

    def only_this_project(query: sa.Select, column: sa.ColumnElement[Any]) -> sa.Select:
        return query if project_id is None else query.where(column == project_id)

    schema = brewery.schema
    schema.require("project", "id", "title", feature=_FEATURE)
    schema.require("task", "project_id", feature=_FEATURE)
    project, task = schema.table("project"), schema.table("task")
    columns: list[Any] = [project.c.id, project.c.title]
    source: Any = project

    if schema.has_column("project", "organization_id") and schema.has_table("organization"):
        org = schema.table("organization")
        source = source.outerjoin(org, org.c.id == project.c.organization_id)
        columns.append(org.c.title.label("organization"))
    if schema.has_column("project", "workspace_id") and schema.has_table("workspace"):
        ws = schema.table("workspace")
        source = source.outerjoin(ws, ws.c.id == project.c.workspace_id)
        columns.append(ws.c.title.label("workspace"))

    labeled = (
        sa.func.count().filter(task.c.is_labeled)
        if schema.has_column("task", "is_labeled")
        else sa.literal(None)
    )
    tasks = (
        only_this_project(
            sa.select(
                task.c.project_id,
                sa.func.count().label("tasks"),
                labeled.label("labeled_tasks"),
            ),
            task.c.project_id,
        )
        .group_by(task.c.project_id)
        .subquery("tasks")
    )
    source = source.outerjoin(tasks, tasks.c.project_id == project.c.id)
    columns += [
        sa.func.coalesce(tasks.c.tasks, 0).label("tasks"),
        sa.func.coalesce(tasks.c.labeled_tasks, 0).label("labeled_tasks"),
    ]

    if schema.has_table("task_completion"):
        tc = schema.table("task_completion")
        cancelled = tc.c.was_cancelled if "was_cancelled" in tc.c else sa.false()
        ann = (
            only_this_project(
                sa.select(
                    tc.c.project_id,
                    sa.func.count().filter(sa.not_(cancelled)).label("annotations"),
                    sa.func.count().filter(cancelled).label("skipped"),
                    sa.func.count(sa.distinct(tc.c.completed_by_id)).label("annotators"),
                    sa.func.max(tc.c.created_at).label("last_annotation_at"),
                ),
                tc.c.project_id,
            )
            .group_by(tc.c.project_id)
            .subquery("annotations")
        )
        source = source.outerjoin(ann, ann.c.project_id == project.c.id)
        columns += [
            sa.func.coalesce(ann.c.annotations, 0).label("annotations"),
            sa.func.coalesce(ann.c.skipped, 0).label("skipped"),
            sa.func.coalesce(ann.c.annotators, 0).label("annotators"),
            ann.c.last_annotation_at,
        ]
    if schema.has_table("prediction"):
        pr = schema.table("prediction")
        preds = (
            only_this_project(
                sa.select(pr.c.project_id, sa.func.count().label("predictions")),
                pr.c.project_id,
            )
            .group_by(pr.c.project_id)
            .subquery("predictions")
        )
        source = source.outerjoin(preds, preds.c.project_id == project.c.id)
        columns.append(sa.func.coalesce(preds.c.predictions, 0).label("predictions"))
    for optional in ("maximum_annotations", "created_at"):
        if optional in project.c:
            columns.append(project.c[optional])
    query = sa.select(*columns).select_from(source).order_by(project.c.id)
    return only_this_project(query, project.c.id)


def list_projects(brewery: Brewery, project_id: int | None = None) -> pd.DataFrame:
    """One row per project with live counts; ``progress`` is labeled tasks / tasks."""
    query = _project_figures(brewery, project_id)
    with brewery.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return frame
    frame = frame.rename(columns={"maximum_annotations": "overlap"})
    tasks = frame["tasks"].where(frame["tasks"] > 0)
    frame["progress"] = (frame["labeled_tasks"] / tasks).fillna(0.0).round(4)
    return frame.set_index("id")


class Project:
    """One project. Obtain it with ``brewery.project(id_or_title)``."""

    def __init__(self, brewery: Brewery, row: dict[str, Any]) -> None:
        self._brewery = brewery
        self._row = row
        self.id: int = row["id"]
        self.title: str = row["title"]
        self._sessions: dict[int, LabelSession] = {}

    @classmethod
    def create(cls, brewery: Brewery, title: str, label_config: str, **settings: Any) -> Project:
        """Create a project from a Label Studio config, validated before anything is written.

        ``settings`` are project columns such as ``description``, ``expert_instruction``,
        ``maximum_annotations``, ``sampling``, ``skip_queue``, ``organization`` (id or
        title); see :func:`databrewery_lab.project_create.create_project`.
        """
        from .project_create import create_project

        return cls.load(brewery, create_project(brewery, title, label_config, **settings))

    @classmethod
    def load(cls, brewery: Brewery, ref: int | str) -> Project:
        schema = brewery.schema
        schema.require("project", "id", "title", feature="projects")
        table = schema.table("project")
        query = schema.select_visible("project")
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise TypeError(f"project reference must be an id or a title, not {ref!r}")
        query = query.where(table.c.id == ref if isinstance(ref, int) else table.c.title == ref)
        with brewery.engine.connect() as conn:
            rows = conn.execute(query.order_by(table.c.id).limit(2)).mappings().all()
        if not rows:
            raise NotFound(
                f"No project {ref!r} in {brewery.database!r}. "
                "brewery.projects() lists the projects there are."
            )
        if len(rows) > 1:
            raise NotFound(
                f"Several projects are titled {ref!r}; pass the project id instead "
                f"(ids {rows[0]['id']}, {rows[1]['id']}, ...)."
            )
        return cls(brewery, dict(rows[0]))

    @property
    def label_config(self) -> str | None:
        return self._row.get("label_config")

    @property
    def row(self) -> dict[str, Any]:
        """The project's database row (secret-free)."""
        return dict(self._row)

    def summary(self) -> pd.Series:
        """Key figures: tasks, progress, annotations, skips, annotators, lead times, models."""
        schema = self._brewery.schema
        figures = list_projects(self._brewery, self.id).loc[self.id].to_dict()
        extra: dict[str, Any] = {}
        if schema.has_table("task_completion"):
            tc = schema.table("task_completion")
            stats = [sa.func.min(tc.c.created_at).label("first_annotation_at")]
            if "lead_time" in tc.c:
                stats += [
                    sa.func.percentile_cont(0.5)
                    .within_group(tc.c.lead_time)
                    .label("median_lead_time_s"),
                ]
            if "ground_truth" in tc.c:
                stats.append(sa.func.count().filter(tc.c.ground_truth).label("ground_truth"))
            query = sa.select(*stats).where(tc.c.project_id == self.id)
            if "was_cancelled" in tc.c:
                query = query.where(sa.not_(tc.c.was_cancelled))
            with self._brewery.engine.connect() as conn:
                extra.update(conn.execute(query).mappings().one())
        if schema.has_table("prediction") and schema.has_column("prediction", "model_version"):
            pr = schema.table("prediction")
            versions = (
                sa.select(pr.c.model_version)
                .where(pr.c.project_id == self.id)
                .group_by(pr.c.model_version)
                .order_by(pr.c.model_version)
            )
            with self._brewery.engine.connect() as conn:
                extra["model_versions"] = [v for (v,) in conn.execute(versions) if v]
        summary = pd.Series({"id": self.id, **figures, **extra}, name=self.title, dtype=object)
        return summary

    # -- labeling -------------------------------------------------------------------------
    def label(self, user: int | str | None = None) -> Labeler:
        """The labeling widget: ``user`` (or the brewery's acting user) labels task after task."""
        from .widgets.labeler import Labeler

        return Labeler(self.label_session(user, record_visit=True))

    def label_session(
        self,
        user: int | str | None = None,
        *,
        lock_ttl: timedelta | None = None,
        record_visit: bool = False,
    ) -> LabelSession:
        """The label stream of one user, without a widget (scripts, tests, custom UIs)."""
        from .label_stream import DEFAULT_LOCK_TTL
        from .labeling import LabelSession

        who = self._acting_user(user)
        session = self._sessions.get(who.id)
        if session is None or lock_ttl is not None or record_visit:
            session = LabelSession(
                self._brewery,
                self,
                who,
                lock_ttl=lock_ttl or DEFAULT_LOCK_TTL,
                record_visit=record_visit,
            )
            self._sessions[who.id] = session
        return session

    def annotate(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        *,
        user: int | str | None = None,
        lead_time: float | None = None,
        unique_id: str | None = None,
        parent_prediction_id: int | None = None,
    ) -> Submission:
        """Submit ``result`` (Label Studio result JSON) for a task, as the widget would.

        The result is checked against the label config and the task data; a task that
        another annotator holds, or that already has all its annotations, is refused.
        """
        return self.label_session(user).submit(
            task_id,
            result,
            lead_time=lead_time,
            unique_id=unique_id,
            parent_prediction_id=parent_prediction_id,
        )

    def _acting_user(self, user: int | str | None) -> User:
        if user is not None:
            return resolve_user(self._brewery, user)
        if self._brewery.user is not None:
            return self._brewery.user
        raise NotAMember(
            f"Who is labeling {self.title!r}? Pass user='<email or username>' or connect "
            "as a user: brewery.as_user('<email>').project(...)."
        )

    def __repr__(self) -> str:
        return f"<Project {self.id}: {self.title!r}>"
