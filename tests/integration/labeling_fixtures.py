"""A small organization to label in: users, memberships, a project per test, tasks by COPY.

Each test gets its own project, so tests never see each other's annotations; the
database (schema only) is shared by the module.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg

import databrewery_lab as dbl
from databrewery_lab.projects import Project

SENTIMENT = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""

_titles = itertools.count(1)


def seed_people(conninfo: str, annotators: int = 16) -> list[str]:
    """One organization, ``annotators`` members and one outsider; return member emails."""
    emails = [f"annotator{i:02d}@example.org" for i in range(annotators)]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        org = conn.execute(
            "INSERT INTO organization (title) VALUES ('Lab') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        other = conn.execute(
            "INSERT INTO organization (title) VALUES ('Elsewhere') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        for email in [*emails, "outsider@example.org"]:
            home = other if email.startswith("outsider") else org
            user = conn.execute(
                "INSERT INTO htx_user (username, email, active_organization_id) "
                "VALUES (%s, %s, %s) RETURNING id",
                (email.split("@")[0], email, home),
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                "INSERT INTO organizations_organizationmember (organization_id, user_id) "
                "VALUES (%s, %s)",
                (home, user),
            )
    return emails


def make_project(
    brewery: dbl.Brewery,
    tasks: int | Iterable[Mapping[str, Any]],
    *,
    config: str = SENTIMENT,
    scores: list[float] | None = None,
    overlap: int = 1,
    **settings: Any,
) -> Project:
    """A project (created as the brewery's acting user) holding the given tasks."""
    title = f"Project {next(_titles)}"
    project = Project.create(brewery, title, config, maximum_annotations=overlap, **settings)
    rows = (
        [{"text": f"Review number {i}: it was fine."} for i in range(tasks)]
        if isinstance(tasks, int)
        else list(tasks)
    )
    with psycopg.connect(brewery.conninfo, autocommit=True) as conn:
        with conn.cursor().copy(
            "COPY task (data, project_id, overlap, inner_id, predictions_score) FROM STDIN"
        ) as copy:
            for i, data in enumerate(rows):
                score = scores[i] if scores else None
                copy.write_row((json.dumps(data), project.id, overlap, i + 1, score))
        conn.execute(
            "UPDATE project SET task_number = (SELECT count(*) FROM task WHERE project_id = %s),"
            " queue_total = (SELECT count(*) FROM task WHERE project_id = %s) WHERE id = %s",
            (project.id, project.id, project.id),
        )
    return brewery.project(project.id)


def choice(label: str) -> list[dict[str, Any]]:
    """A sentiment result as Label Studio writes it."""
    return [
        {
            "from_name": "sentiment",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [label]},
        }
    ]


COUNTER_MISMATCHES = """
WITH a AS (
  SELECT task_id,
         count(*) FILTER (WHERE NOT was_cancelled) AS total,
         count(*) FILTER (WHERE was_cancelled) AS cancelled
  FROM task_completion GROUP BY task_id
)
SELECT t.id FROM task t
JOIN project p ON p.id = t.project_id
LEFT JOIN a ON a.task_id = t.id
WHERE t.project_id = %(p)s AND (
  t.total_annotations <> coalesce(a.total, 0)
  OR t.cancelled_annotations <> coalesce(a.cancelled, 0)
  OR t.is_labeled <> (coalesce(a.total, 0)
       + CASE WHEN p.skip_queue = 'IGNORE_SKIPPED' THEN coalesce(a.cancelled, 0) ELSE 0 END
       >= t.overlap))
"""

PROJECT_COUNTERS = """
SELECT p.total_annotations_number = (SELECT count(*) FROM task_completion
         WHERE project_id = p.id AND NOT was_cancelled) AS total,
       p.skipped_annotations_number = (SELECT count(*) FROM task_completion
         WHERE project_id = p.id AND was_cancelled) AS skipped,
       p.finished_task_number = (SELECT count(*) FROM task
         WHERE project_id = p.id AND is_labeled) AS finished,
       p.num_tasks_with_annotations = (SELECT count(*) FROM task
         WHERE project_id = p.id AND total_annotations > 0) AS with_annotations,
       p.useful_annotation_number = (SELECT count(*) FROM task_completion
         WHERE project_id = p.id AND NOT was_cancelled AND NOT ground_truth
           AND jsonb_array_length(result) > 0) AS useful
FROM project p WHERE p.id = %(p)s
"""


def assert_counters_consistent(conninfo: str, project_id: int) -> None:
    """Task and project counters equal count(*) over the rows they count."""
    with psycopg.connect(conninfo) as conn:
        bad = conn.execute(COUNTER_MISMATCHES, {"p": project_id}).fetchall()
        assert bad == [], f"tasks whose counters disagree with task_completion: {bad[:10]}"
        row = conn.execute(PROJECT_COUNTERS, {"p": project_id}).fetchone()
        assert row is not None and all(row), f"project counters disagree: {row}"
