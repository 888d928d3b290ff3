"""The label stream on real PostgreSQL: order, overlap, locks, skips, drafts, idempotency."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

import databrewery_lab as dbl
from databrewery_lab.errors import AnnotationRejected, NotAMember, NotFound, TaskUnavailable

from .labeling_fixtures import (
    SENTIMENT,
    assert_counters_consistent,
    choice,
    make_project,
    seed_people,
)


@pytest.fixture(scope="module")
def people_db(make_database: Callable[..., str]) -> tuple[str, list[str]]:
    conninfo = make_database(schema=True)
    return conninfo, seed_people(conninfo, annotators=4)


@pytest.fixture(scope="module")
def brewery(people_db: tuple[str, list[str]]) -> Iterator[dbl.Brewery]:
    with dbl.connect(people_db[0]) as brewery:
        yield brewery


@pytest.fixture
def users(brewery: dbl.Brewery, people_db: tuple[str, list[str]]) -> list[dbl.Brewery]:
    return [brewery.as_user(email) for email in people_db[1]]


def rows(conninfo: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql, params).fetchall()


def test_sequential_stream_locks_and_submits_like_label_studio(users, brewery) -> None:
    project = make_project(users[0], 5)
    ann, other = project.label_session(), users[1].project(project.id).label_session()
    first = ann.next_task()
    assert first is not None and first.data == {"text": "Review number 0: it was fine."}
    assert not first.read_only and first.locked_until is not None
    # Another annotator passes the locked task; the holder gets it back on reload.
    second = other.next_task()
    assert second is not None and second.id == first.id + 1
    assert ann.next_task().id == first.id  # type: ignore[union-attr]

    done = ann.submit(first.id, choice("Positive"), lead_time=4.5, unique_id="click-1")
    assert done.created
    (row,) = rows(
        brewery.conninfo,
        "SELECT result, lead_time, completed_by_id, project_id, unique_id, was_cancelled,"
        " last_action, result_count FROM task_completion WHERE id = %s",
        done.annotation_id,
    )
    (item,) = row[0]
    assert item["from_name"] == "sentiment" and item["to_name"] == "text"
    assert item["type"] == "choices" and item["value"] == {"choices": ["Positive"]}
    assert item["origin"] == "manual" and item["id"]
    assert row[1:] == (4.5, ann.user.id, project.id, "click-1", False, "submitted", 1)
    lock = rows(brewery.conninfo, "SELECT 1 FROM tasks_tasklock WHERE task_id = %s", first.id)
    assert lock == []
    task = rows(
        brewery.conninfo,
        "SELECT is_labeled, total_annotations, updated_by_id, annotations_results, avg_lead_time"
        " FROM task WHERE id = %s",
        first.id,
    )
    assert task == [(True, 1, ann.user.id, '["Positive"]', 4.5)]
    assert ann.progress() == dbl.labeling.Progress(mine=1, project_done=1, total=5)
    assert_counters_consistent(brewery.conninfo, project.id)


def test_resubmitting_the_same_click_is_one_annotation(users, brewery) -> None:
    project = make_project(users[0], 2)
    session = project.label_session()
    task = session.next_task()
    assert task is not None
    a = session.submit(task.id, choice("Negative"), lead_time=1.0, unique_id="same")
    b = session.submit(task.id, choice("Negative"), lead_time=1.0, unique_id="same")
    assert (a.annotation_id, a.created, b.created) == (b.annotation_id, True, False)
    count = rows(brewery.conninfo, "SELECT count(*) FROM task_completion WHERE task_id=%s", task.id)
    assert count == [(1,)]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_updating_ones_annotation_keeps_one_row(users, brewery) -> None:
    project = make_project(users[0], 2)
    session = project.label_session()
    task = session.next_task()
    assert task is not None
    first = session.submit(task.id, choice("Negative"), lead_time=2.0)
    again = session.submit(task.id, choice("Neutral"), lead_time=3.0)
    assert again.annotation_id == first.annotation_id and not again.created
    (row,) = rows(
        brewery.conninfo,
        "SELECT result->0->'value'->'choices'->>0, lead_time, last_action, updated_at > created_at"
        " FROM task_completion WHERE task_id = %s",
        task.id,
    )
    assert row == ("Neutral", 5.0, "updated", True)
    view = session.open_task(task.id)
    assert view.annotation is not None and view.annotation.result[0]["value"]["choices"] == [
        "Neutral"
    ]
    assert session.history() == [task.id]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_overlap_is_never_exceeded_and_breadth_first(users, brewery) -> None:
    project = make_project(users[0], 3, overlap=2)
    sessions = [u.project(project.id).label_session() for u in users[:3]]
    t0 = sessions[0].next_task()
    assert t0 is not None
    sessions[0].submit(t0.id, choice("Positive"))
    # The next annotator finishes the started task before opening a new one.
    t1 = sessions[1].next_task()
    assert t1 is not None and t1.id == t0.id
    sessions[1].submit(t1.id, choice("Negative"))
    t2 = sessions[2].next_task()
    assert t2 is not None and t2.id != t0.id
    with pytest.raises(TaskUnavailable, match="already has all the annotations"):
        project.annotate(t0.id, choice("Neutral"), user=users[3].user.email)  # type: ignore[union-attr]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_requeue_for_others_hides_a_skip_from_the_skipper_only(users, brewery) -> None:
    project = make_project(users[0], 2, skip_queue="REQUEUE_FOR_OTHERS")
    mine, theirs = project.label_session(), users[1].project(project.id).label_session()
    task = mine.next_task()
    assert task is not None
    skipped = mine.skip(task.id, lead_time=0.5)
    (row,) = rows(
        brewery.conninfo,
        "SELECT was_cancelled, last_action, result FROM task_completion WHERE id = %s",
        skipped.annotation_id,
    )
    assert row == (True, "skipped", [])
    assert mine.next_task().id != task.id  # type: ignore[union-attr]
    assert theirs.next_task().id == task.id  # type: ignore[union-attr]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_requeue_for_me_brings_a_skip_back_last_and_the_answer_replaces_it(users, brewery):
    project = make_project(users[0], 2, skip_queue="REQUEUE_FOR_ME")
    session = project.label_session()
    first = session.next_task()
    assert first is not None
    session.skip(first.id)
    second = session.next_task()
    assert second is not None and second.id != first.id
    session.submit(second.id, choice("Positive"))
    again = session.next_task()
    assert again is not None and again.id == first.id
    session.submit(first.id, choice("Negative"))
    mine = rows(
        brewery.conninfo,
        "SELECT count(*), bool_or(was_cancelled) FROM task_completion WHERE task_id = %s",
        first.id,
    )
    assert mine == [(1, False)]
    assert session.next_task() is None
    assert_counters_consistent(brewery.conninfo, project.id)


def test_ignore_skipped_counts_a_skip_as_done(users, brewery) -> None:
    project = make_project(users[0], 1, skip_queue="IGNORE_SKIPPED")
    task = project.label_session().next_task()
    assert task is not None
    project.label_session().skip(task.id)
    assert users[1].project(project.id).label_session().next_task() is None
    assert rows(brewery.conninfo, "SELECT is_labeled FROM task WHERE id=%s", task.id) == [(True,)]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_drafts_are_restored_and_removed_on_submit(users, brewery) -> None:
    project = make_project(users[0], 3)
    session = project.label_session()
    task = session.next_task()
    assert task is not None and task.draft is None
    session.save_draft(task.id, choice("Neutral"), lead_time=2.0)
    assert rows(brewery.conninfo, "SELECT draft_exists FROM task WHERE id=%s", task.id) == [(True,)]
    session.release(task.id)  # walked away; the draft brings the task back first
    fresh = users[0].project(project.id).label_session(lock_ttl=timedelta(minutes=1))
    again = fresh.next_task()
    assert again is not None and again.id == task.id
    assert again.draft is not None and again.draft.result == choice("Neutral")
    fresh.submit(task.id, choice("Neutral"), lead_time=3.0)
    left = rows(
        brewery.conninfo, "SELECT count(*) FROM tasks_annotationdraft WHERE task_id=%s", task.id
    )
    assert left == [(0,)]
    assert rows(brewery.conninfo, "SELECT draft_exists FROM task WHERE id=%s", task.id) == [
        (False,)
    ]


def test_expired_lock_is_retaken_or_the_user_is_told_the_task_moved_on(users, brewery):
    project = make_project(users[0], 2)
    slow = project.label_session(lock_ttl=timedelta(milliseconds=300))
    fast = users[1].project(project.id).label_session()
    task = slow.next_task()
    assert task is not None
    time.sleep(0.4)
    # Lapsed but nobody took it: the submit re-takes the task.
    assert slow.submit(task.id, choice("Positive")).created
    other = slow.next_task()
    assert other is not None
    time.sleep(0.4)
    taken = fast.next_task()
    assert taken is not None and taken.id == other.id
    slow.save_draft(other.id, choice("Negative"))
    with pytest.raises(TaskUnavailable, match="being labeled by another annotator"):
        slow.submit(other.id, choice("Negative"))
    fast.submit(other.id, choice("Positive"))
    with pytest.raises(TaskUnavailable, match="moved on"):
        slow.submit(other.id, choice("Negative"))
    draft = rows(
        brewery.conninfo,
        "SELECT result FROM tasks_annotationdraft WHERE task_id=%s AND user_id=%s",
        other.id,
        slow.user.id,
    )
    assert draft == [(choice("Negative"),)]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_uncertainty_sampling_serves_lowest_prediction_score_first(users) -> None:
    project = make_project(
        users[0], 4, scores=[0.9, 0.2, 0.5, 0.1], sampling="Uncertainty sampling"
    )
    session = project.label_session()
    order = []
    while (task := session.next_task()) is not None:
        order.append(task.data["text"])
        session.submit(task.id, choice("Neutral"))
    assert [t.split(":")[0] for t in order] == [
        "Review number 3",
        "Review number 1",
        "Review number 2",
        "Review number 0",
    ]


def test_uniform_sampling_serves_every_task_once(users) -> None:
    project = make_project(users[0], 30, sampling="Uniform sampling")
    session = project.label_session()
    seen = []
    while (task := session.next_task()) is not None:
        seen.append(task.id)
        session.submit(task.id, choice("Neutral"))
    assert len(seen) == len(set(seen)) == 30
    assert seen != sorted(seen)


def test_predictions_come_with_the_task(users, brewery) -> None:
    project = make_project(users[0], 1)
    task_id = rows(brewery.conninfo, "SELECT id FROM task WHERE project_id=%s", project.id)[0][0]
    with psycopg.connect(brewery.conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO prediction (result, score, model_version, task_id, project_id)"
            " VALUES (%s, 0.7, 'bert-v2', %s, %s)",
            (psycopg.types.json.Jsonb(choice("Positive")), task_id, project.id),
        )
    view = project.label_session().next_task()
    assert view is not None
    (prediction,) = view.predictions
    assert (prediction.model_version, prediction.score) == ("bert-v2", 0.7)
    submitted = project.annotate(
        task_id, choice("Positive"), parent_prediction_id=prediction.id, lead_time=1.0
    )
    parent = rows(
        brewery.conninfo,
        "SELECT parent_prediction_id FROM task_completion WHERE id=%s",
        submitted.annotation_id,
    )
    assert parent == [(prediction.id,)]


def test_results_that_do_not_fit_the_config_change_nothing(users, brewery) -> None:
    project = make_project(users[0], 1)
    task_id = rows(brewery.conninfo, "SELECT id FROM task WHERE project_id=%s", project.id)[0][0]
    bad = [
        [{"from_name": "mood", "to_name": "text", "type": "choices", "value": {"choices": ["x"]}}],
        choice("Ecstatic"),
        "Positive",
    ]
    for result in bad:
        with pytest.raises(AnnotationRejected):
            project.annotate(task_id, result)  # type: ignore[arg-type]
    with pytest.raises(AnnotationRejected, match="lead_time"):
        project.annotate(task_id, choice("Positive"), lead_time=-1)
    assert rows(
        brewery.conninfo, "SELECT count(*) FROM task_completion WHERE task_id=%s", task_id
    ) == [(0,)]
    assert_counters_consistent(brewery.conninfo, project.id)


def test_who_is_labeling(users, brewery) -> None:
    project = make_project(users[0], 1)
    with pytest.raises(NotAMember, match="not a member"):
        brewery.as_user("outsider@example.org").project(project.id).label_session()
    with pytest.raises(NotFound, match="No user"):
        brewery.as_user("nobody@example.org")
    with pytest.raises(NotAMember, match="Who is labeling"):
        brewery.project(project.id).label_session()
    assert "as annotator00@example.org" in repr(users[0])


def test_create_project_validates_before_writing(users, brewery) -> None:
    before = rows(brewery.conninfo, "SELECT count(*) FROM project")
    with pytest.raises(dbl.LabelConfigError):
        dbl.Project.create(users[0], "Broken", "<View><Choices name='x' toName='nowhere'/></View>")
    with pytest.raises(ValueError, match="sampling"):
        dbl.Project.create(users[0], "Odd", SENTIMENT, sampling="Random")
    assert rows(brewery.conninfo, "SELECT count(*) FROM project") == before
    project = dbl.Project.create(users[0], "Fine", SENTIMENT)
    (row,) = rows(
        brewery.conninfo,
        "SELECT config_has_control_tags, parsed_label_config::jsonb -> 'sentiment' ->> 'type',"
        " data_types, created_by_id FROM project WHERE id = %s",
        project.id,
    )
    assert row == (True, "Choices", {"text": "Text"}, users[0].user.id)  # type: ignore[union-attr]


def test_a_submit_waiting_for_the_task_lock_counts_what_was_committed_meanwhile(
    users, brewery
) -> None:
    """Read committed: the annotations are read after the row lock is granted.

    Another writer holds the task row, adds an annotation and commits while this submit
    waits; the submit must count it (2 of overlap 2 = labeled), not the older snapshot.
    """
    project = make_project(users[0], 1, overlap=2)
    (task_id,) = rows(brewery.conninfo, "SELECT id FROM task WHERE project_id = %s", project.id)[0]
    other_user = users[2].user
    assert other_user is not None
    session = users[1].project(project.id).label_session()
    with psycopg.connect(brewery.conninfo) as writer:
        writer.execute("SELECT id FROM task WHERE id = %s FOR UPDATE", (task_id,))
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(session.submit, task_id, choice("Negative"), lead_time=1.0)
            deadline = time.monotonic() + 10
            while not _waits_for_a_lock(brewery.conninfo) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _waits_for_a_lock(brewery.conninfo), "the submit never waited for the row"
            writer.execute(
                "INSERT INTO task_completion (task_id, project_id, completed_by_id, result,"
                " was_submitted, result_count) VALUES (%s, %s, %s, %s, true, 1)",
                (task_id, project.id, other_user.id, Jsonb(choice("Positive"))),
            )
            writer.execute(
                "UPDATE task SET total_annotations = 1, annotations_results = %s WHERE id = %s",
                (json.dumps(["Positive"]), task_id),
            )
            writer.execute(
                "UPDATE project SET total_annotations_number = total_annotations_number + 1,"
                " num_tasks_with_annotations = num_tasks_with_annotations + 1,"
                " useful_annotation_number = useful_annotation_number + 1 WHERE id = %s",
                (project.id,),
            )
            writer.commit()
            waiting.result(timeout=10)
    ((total, labeled),) = rows(
        brewery.conninfo, "SELECT total_annotations, is_labeled FROM task WHERE id = %s", task_id
    )
    assert (total, labeled) == (2, True)
    assert_counters_consistent(brewery.conninfo, project.id)


def _waits_for_a_lock(conninfo: str) -> bool:
    found = rows(
        conninfo,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'",
    )
    return bool(found[0][0])


def test_a_task_that_changed_since_it_was_shown_is_decided_afresh(users, brewery) -> None:
    """A submit of a task as shown is one statement only while the task is unchanged.

    Here another writer adds an annotation after the task was shown; the submit must
    still count it (2 of overlap 2 = labeled) and keep the counters equal to count(*).
    """
    project = make_project(users[0], 1, overlap=2)
    session = users[1].project(project.id).label_session()
    task = session.next_task()
    assert task is not None
    other_user = users[2].user
    assert other_user is not None
    with psycopg.connect(brewery.conninfo) as writer:
        writer.execute(
            "INSERT INTO task_completion (task_id, project_id, completed_by_id, result,"
            " was_submitted, result_count) VALUES (%s, %s, %s, %s, true, 1)",
            (task.id, project.id, other_user.id, Jsonb(choice("Positive"))),
        )
        writer.execute(
            "UPDATE task SET total_annotations = 1, annotations_results = %s WHERE id = %s",
            (json.dumps(["Positive"]), task.id),
        )
        writer.execute(
            "UPDATE project SET total_annotations_number = total_annotations_number + 1,"
            " num_tasks_with_annotations = num_tasks_with_annotations + 1,"
            " useful_annotation_number = useful_annotation_number + 1 WHERE id = %s",
            (project.id,),
        )
    assert session.submit(task.id, choice("Negative"), lead_time=1.0).created
    ((total, labeled, summary),) = rows(
        brewery.conninfo,
        "SELECT total_annotations, is_labeled, annotations_results FROM task WHERE id = %s",
        task.id,
    )
    assert (total, labeled, json.loads(summary)) == (2, True, ["Positive", "Negative"])
    assert_counters_consistent(brewery.conninfo, project.id)


def test_a_lock_taken_over_after_the_task_was_shown_refuses_the_submit(users, brewery):
    project = make_project(users[0], 1)
    slow = project.label_session(lock_ttl=timedelta(milliseconds=300))
    fast = users[1].project(project.id).label_session()
    task = slow.next_task()
    assert task is not None
    time.sleep(0.4)
    assert (taken := fast.next_task()) is not None and taken.id == task.id
    with pytest.raises(TaskUnavailable, match="being labeled by another annotator"):
        slow.submit(task.id, choice("Negative"))
    assert rows(
        brewery.conninfo, "SELECT count(*) FROM task_completion WHERE task_id = %s", task.id
    ) == [(0,)]
    fast.submit(task.id, choice("Positive"))
    assert_counters_consistent(brewery.conninfo, project.id)
