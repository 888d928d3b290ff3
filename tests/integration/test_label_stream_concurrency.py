"""Sixteen annotators, each with their own connection, label one project at once."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable

import psycopg

import databrewery_lab as dbl
from databrewery_lab.errors import TaskUnavailable

from .labeling_fixtures import assert_counters_consistent, choice, make_project, seed_people

ANNOTATORS = 16
TASKS = 500
OVERLAP = 2


def test_sixteen_annotators_never_collide(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=True)
    emails = seed_people(conninfo, annotators=ANNOTATORS)
    with dbl.connect(conninfo) as owner:
        project = make_project(owner.as_user(emails[0]), TASKS, overlap=OVERLAP)

    submitted: dict[str, tuple[int, int]] = {}  # unique_id -> (user, task)
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(ANNOTATORS)

    def annotator(email: str, seed: int) -> None:
        rnd = random.Random(seed)
        try:
            with dbl.connect(conninfo) as brewery:  # its own engine and connections
                session = brewery.as_user(email).project(project.id).label_session()
                start.wait()
                while (task := session.next_task()) is not None:
                    unique_id = str(uuid.uuid4())
                    try:
                        if rnd.random() < 0.05:  # a double click: the same submission twice
                            session.submit(task.id, choice("Positive"), unique_id=unique_id)
                        if rnd.random() < 0.03:
                            session.skip(task.id, unique_id=unique_id)
                        else:
                            label = rnd.choice(["Positive", "Negative", "Neutral"])
                            session.submit(
                                task.id, choice(label), lead_time=1.0, unique_id=unique_id
                            )
                    except TaskUnavailable:
                        continue
                    with guard:
                        submitted[unique_id] = (session.user.id, task.id)
        except BaseException as err:  # surfaced in the main thread
            with guard:
                errors.append(err)

    threads = [
        threading.Thread(target=annotator, args=(email, i)) for i, email in enumerate(emails)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors

    with psycopg.connect(conninfo) as conn:
        over = conn.execute(
            "SELECT task_id, count(*) FROM task_completion WHERE project_id = %s"
            " AND NOT was_cancelled GROUP BY task_id HAVING count(*) > %s",
            (project.id, OVERLAP),
        ).fetchall()
        assert over == [], f"tasks above the overlap: {over[:5]}"
        twice = conn.execute(
            "SELECT task_id, completed_by_id FROM task_completion WHERE project_id = %s"
            " GROUP BY task_id, completed_by_id HAVING count(*) > 1",
            (project.id,),
        ).fetchall()
        assert twice == [], f"users with two annotations of one task: {twice[:5]}"
        landed = {
            unique_id: (user, task)
            for unique_id, user, task in conn.execute(
                "SELECT unique_id, completed_by_id, task_id FROM task_completion"
                " WHERE project_id = %s",
                (project.id,),
            )
        }
        unfinished = conn.execute(
            "SELECT count(*) FROM task WHERE project_id = %s AND NOT is_labeled", (project.id,)
        ).fetchone()
        locks = conn.execute("SELECT count(*) FROM tasks_tasklock").fetchone()
    # Every submission the annotators were told about landed exactly once, and no others.
    assert landed == submitted
    # Skips go to others (REQUEUE_FOR_OTHERS): with 16 annotators every task gets finished.
    assert unfinished == (0,)
    assert locks == (0,)
    assert_counters_consistent(conninfo, project.id)
