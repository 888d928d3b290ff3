"""The Labeler widget against a real database, driven the way its front end drives it.

Each test builds the demo organization at the smallest scale in a fresh database, opens
``project.label()`` as a member, and sends the widget the same request messages
``widgets/labeler.js`` sends (``{kind, request_id, ...}``); replies are captured from
``send``. The assertions are on the synced traits and on the rows written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.demo import build_demo
from databrewery_lab.widgets.labeler import REPLY_KIND, Labeler

SENTIMENT = "Product review sentiment"
NER = "News entities (CoNLL-style)"
SHELF = "Retail shelf detection"
SUMMARIES = "Support ticket summaries"


@dataclass
class Demo:
    conninfo: str
    media: Path
    brewery: dbl.Brewery

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with psycopg.connect(self.conninfo) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def member(self, title: str, nth: int = 0) -> dict[str, Any]:
        rows = self.rows(
            "SELECT u.id, u.email FROM projects_projectmember m "
            "JOIN htx_user u ON u.id = m.user_id JOIN project p ON p.id = m.project_id "
            "WHERE p.title = %(title)s AND m.enabled AND u.is_active ORDER BY u.id",
            title=title,
        )
        return rows[nth]


@pytest.fixture
def demo(
    make_database: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Demo]:
    conninfo = make_database(schema=True)
    media = tmp_path / "media"
    media.mkdir()
    build_demo(conninfo, scale=0.01, seed=1, media_dir=media, progress=False)
    monkeypatch.setenv("LOCAL_FILES_DOCUMENT_ROOT", str(media))
    brewery = dbl.connect(conninfo)
    try:
        yield Demo(conninfo, media, brewery)
    finally:
        brewery.close()


@dataclass
class Driver:
    """Plays the front end: sends requests to the widget, keeps its replies."""

    widget: Labeler
    replies: list[tuple[dict[str, Any], list[bytes] | None]] = field(default_factory=list)
    counter: int = 0

    def __post_init__(self) -> None:
        self.widget.send = self._capture  # type: ignore[method-assign]

    def _capture(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.replies.append((content, buffers))

    def request(self, kind: str, **payload: Any) -> tuple[dict[str, Any], list[bytes]]:
        self.counter += 1
        request_id = f"r{self.counter}"
        self.widget._handle_message(
            self.widget, {"kind": kind, "request_id": request_id, **payload}, []
        )
        content, buffers = self.replies[-1]
        assert content["kind"] == REPLY_KIND
        assert content["request_id"] == request_id
        return content, list(buffers or [])


def open_labeler(demo: Demo, title: str, nth: int = 0) -> tuple[Driver, dict[str, Any]]:
    member = demo.member(title, nth)
    widget = demo.brewery.as_user(member["email"]).project(title).label()
    return Driver(widget), member


def choice(value: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "c1",
            "from_name": "sentiment",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [value]},
            "origin": "manual",
        }
    ]


def test_opens_on_a_locked_task_with_everything_the_page_shows(demo: Demo) -> None:
    driver, member = open_labeler(demo, SENTIMENT)
    w = driver.widget
    try:
        assert w.status == "ready"
        assert w.error == ""
        assert w.current_task == w.task["id"]
        assert set(w.task) >= {"id", "inner_id", "data", "predictions", "draft", "annotation"}
        assert isinstance(w.task["data"]["text"], str)
        assert w.task["read_only"] is False
        assert "sentiment" in w.spec["controls"]
        assert w.spec["hotkeys"]["2"] == ["sentiment", "Negative"]
        assert w.user["email"] == member["email"]
        assert "password" not in repr(w.user).lower()
        assert w.project_info["title"] == SENTIMENT
        assert w.project_info["enable_empty_annotation"] is False
        assert "overall" in w.instruction  # show_instruction is on in the demo
        assert set(w.progress) == {"mine", "project_done", "total"}
        locks = demo.rows(
            "SELECT user_id FROM tasks_tasklock WHERE task_id = %(t)s", t=w.current_task
        )
        assert locks == [{"user_id": member["id"]}]
    finally:
        w.close()


def test_submit_writes_the_annotation_and_moves_to_the_next_task(demo: Demo) -> None:
    driver, member = open_labeler(demo, SENTIMENT)
    w = driver.widget
    first = w.current_task
    prediction = w.task["predictions"][0]["id"] if w.task["predictions"] else None
    mine_before = w.progress["mine"]

    reply, _ = driver.request(
        "submit",
        task_id=first,
        result=choice("Negative"),
        lead_time=3.25,
        unique_id="u-1",
        parent_prediction_id=prediction,
    )

    assert reply["ok"] is True, reply
    assert w.last_saved == {
        "kind": "submit",
        "task_id": first,
        "annotation_id": reply["annotation_id"],
        "created": True,
    }
    assert w.current_task != first and w.status == "ready"
    assert w.history[-1] == first
    assert w.progress["mine"] == mine_before + 1
    (row,) = demo.rows(
        "SELECT task_id, completed_by_id, result, lead_time, was_cancelled, unique_id, "
        "parent_prediction_id FROM task_completion WHERE id = %(id)s",
        id=reply["annotation_id"],
    )
    assert row["task_id"] == first
    assert row["completed_by_id"] == member["id"]
    assert row["lead_time"] == pytest.approx(3.25)
    assert row["was_cancelled"] is False
    assert row["unique_id"] == "u-1"
    assert row["parent_prediction_id"] == prediction
    assert [i["value"]["choices"] for i in row["result"]] == [["Negative"]]
    w.close()


def test_rejected_result_shows_the_error_and_stays_on_the_task(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SENTIMENT)
    w = driver.widget
    task = w.current_task
    reply, _ = driver.request("submit", task_id=task, result=choice("Furious"), lead_time=1.0)
    assert reply["ok"] is False
    assert reply["error_kind"] == "rejected"
    assert "Furious" in reply["error"]
    assert w.error == reply["error"] and w.status == "error"
    assert w.current_task == task
    assert demo.rows("SELECT id FROM task_completion WHERE task_id = %(t)s AND lead_time = 1.0",
                     t=task) == []  # fmt: skip

    # Empty annotations: the demo projects refuse them; the kernel says so too.
    reply, _ = driver.request("submit", task_id=task, result=[], lead_time=1.0)
    assert reply["ok"] is False and reply["error_kind"] == "rejected"
    assert "empty" in w.error

    # The next good action clears the banner.
    reply, _ = driver.request("submit", task_id=task, result=choice("Neutral"), lead_time=1.0)
    assert reply["ok"] is True
    assert w.error == "" and w.status == "ready"
    w.close()


def test_drafts_are_saved_and_restored_in_a_new_widget(demo: Demo) -> None:
    driver, member = open_labeler(demo, SUMMARIES)
    w = driver.widget
    task = w.current_task
    result = [
        {
            "id": "t1",
            "from_name": "summary",
            "to_name": "ticket",
            "type": "textarea",
            "value": {"text": ["Wants a refund"]},
            "origin": "manual",
        }
    ]
    reply, _ = driver.request("draft", task_id=task, result=result, lead_time=4.5)
    assert reply["ok"] is True
    assert w.last_saved["kind"] == "draft" and w.last_saved["task_id"] == task
    assert w.status == "saved"
    (row,) = demo.rows(
        "SELECT result, lead_time, user_id FROM tasks_annotationdraft WHERE id = %(id)s",
        id=w.last_saved["draft_id"],
    )
    assert row["user_id"] == member["id"] and row["lead_time"] == pytest.approx(4.5)
    assert row["result"][0]["value"]["text"] == ["Wants a refund"]
    assert demo.rows("SELECT id FROM task_completion WHERE task_id = %(t)s AND completed_by_id = "
                     "%(u)s", t=task, u=member["id"]) == []  # fmt: skip

    # The kernel restarts (a new widget, same user): the same task comes back with the draft.
    again = demo.brewery.as_user(member["email"]).project(SUMMARIES).label()
    try:
        assert again.current_task == task
        assert again.task["draft"]["result"][0]["value"]["text"] == ["Wants a refund"]
        assert again.task["draft"]["lead_time"] == pytest.approx(4.5)
    finally:
        again.close()
        w.close()


def test_skip_then_walk_back_and_forth_through_my_history(demo: Demo) -> None:
    driver, member = open_labeler(demo, SENTIMENT)
    w = driver.widget
    first = w.current_task
    reply, _ = driver.request("skip", task_id=first, lead_time=0.5, unique_id="skip-1")
    assert reply["ok"] is True and w.last_saved["kind"] == "skip"
    (row,) = demo.rows(
        "SELECT was_cancelled, completed_by_id FROM task_completion WHERE id = %(id)s",
        id=reply["annotation_id"],
    )
    assert row == {"was_cancelled": True, "completed_by_id": member["id"]}
    second = w.current_task
    assert second != first and w.history[-1] == first

    reply, _ = driver.request("submit", task_id=second, result=choice("Positive"), lead_time=2.0)
    assert reply["ok"]
    third = w.current_task

    reply, _ = driver.request("prev")  # from the new task back to my last one
    assert reply["ok"] and w.current_task == second
    assert w.task["annotation"]["result"][0]["value"]["choices"] == ["Positive"]
    assert w.task["read_only"] is False
    # My lock on the task I walked away from is released.
    assert demo.rows("SELECT 1 FROM tasks_tasklock WHERE task_id = %(t)s AND user_id = %(u)s",
                     t=third, u=member["id"]) == []  # fmt: skip

    reply, _ = driver.request("prev")
    assert reply["ok"] and w.current_task == first
    assert w.task["annotation"]["was_cancelled"] is True

    # Updating an earlier annotation keeps one annotation, and moves forward in history.
    reply, _ = driver.request("submit", task_id=first, result=choice("Mixed"), lead_time=1.0)
    assert reply["ok"] and reply["created"] in (True, False)
    assert w.current_task == second

    # The history is ordered by last change: the re-edited task is now the newest.
    assert w.history[-2:] == [second, first]
    reply, _ = driver.request("open", task_id=second)
    assert reply["ok"] and w.current_task == second
    reply, _ = driver.request("next")
    assert reply["ok"] and w.current_task == first
    reply, _ = driver.request("next")  # past my history: a task from the queue again
    assert reply["ok"] and w.current_task not in (first, second)
    assert w.current_task not in w.history
    w.close()


def test_media_arrives_as_bytes_in_the_reply(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SHELF)
    w = driver.widget
    url = w.task["data"]["image"]
    reply, buffers = driver.request("media", url=url)
    assert reply["ok"] is True, reply
    assert reply["mime"] == "image/png"
    assert len(buffers) == 1 and buffers[0].startswith(b"\x89PNG\r\n\x1a\n")
    assert reply["size"] == len(buffers[0])
    assert w.error == ""

    reply, buffers = driver.request("media", url="/data/local-files/?d=demo-images/nope.png")
    assert reply["ok"] is False and reply["error_kind"] == "media"
    assert "nope.png" in reply["error"] and buffers == []
    assert w.error == reply["error"]
    w.close()


def test_box_result_in_percent_is_accepted(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SHELF)
    w = driver.widget
    task = w.current_task
    box = {
        "id": "b1",
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 320,
        "original_height": 240,
        "image_rotation": 0,
        "value": {
            "x": 10.0,
            "y": 12.5,
            "width": 30.0,
            "height": 40.0,
            "rotation": 0,
            "rectanglelabels": ["Can"],
        },
        "origin": "manual",
    }
    reply, _ = driver.request("submit", task_id=task, result=[box], lead_time=7.0)
    assert reply["ok"] is True, reply
    (row,) = demo.rows("SELECT result FROM task_completion WHERE id = %(id)s",
                       id=reply["annotation_id"])  # fmt: skip
    assert row["result"][0]["value"]["rectanglelabels"] == ["Can"]
    assert row["result"][0]["value"]["x"] == 10.0
    w.close()


def drop_connections(demo: Demo) -> None:
    """What a database restart does to the kernel: every connection of it is cut."""
    demo.rows(
        "SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


def test_a_lost_database_connection_is_reported_and_recovered(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SENTIMENT)
    w = driver.widget
    task = w.current_task

    drop_connections(demo)
    reply, _ = driver.request("draft", task_id=task, result=choice("Positive"), lead_time=2.0)
    assert reply["ok"] is False
    assert reply["error_kind"] == "connection"
    assert "kept in this browser" in w.error
    assert w.status == "error" and w.current_task == task

    # The next autosave reconnects and clears the banner.
    reply, _ = driver.request("draft", task_id=task, result=choice("Positive"), lead_time=2.2)
    assert reply["ok"] is True and w.error == "" and w.status == "saved"

    drop_connections(demo)
    reply, _ = driver.request(
        "submit", task_id=task, result=choice("Positive"), lead_time=2.5, unique_id="retry-1"
    )
    assert reply["ok"] is False and reply["error_kind"] == "connection"
    assert w.current_task == task  # nothing moved on

    # The browser kept the work and retries with the same unique_id: one annotation.
    reply, _ = driver.request(
        "submit", task_id=task, result=choice("Positive"), lead_time=2.5, unique_id="retry-1"
    )
    assert reply["ok"] is True, reply
    assert w.error == "" and w.current_task != task
    assert len(demo.rows("SELECT id FROM task_completion WHERE unique_id = 'retry-1'")) == 1
    w.close()


def test_protocol_errors_are_answered_not_raised(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SENTIMENT)
    w = driver.widget
    task = w.current_task
    reply, _ = driver.request("explode")
    assert reply["ok"] is False and reply["error_kind"] == "request"
    reply, _ = driver.request("submit", task_id="five", result=[], lead_time=1)
    assert reply["ok"] is False and reply["error_kind"] == "request"
    reply, _ = driver.request("submit", task_id=task, result="Positive", lead_time=1)
    assert reply["ok"] is False and reply["error_kind"] == "request"
    reply, _ = driver.request("draft", task_id=task, result=[], lead_time=-3)
    assert reply["ok"] is False and reply["error_kind"] == "request"
    reply, _ = driver.request("submit", task_id=task + 1000, result=choice("Positive"))
    assert reply["ok"] is False and "not the task on screen" in reply["error"]
    assert w.current_task == task
    w.close()


def test_close_gives_the_lock_back(demo: Demo) -> None:
    driver, member = open_labeler(demo, NER)
    w = driver.widget
    task = w.current_task
    assert demo.rows("SELECT 1 FROM tasks_tasklock WHERE task_id = %(t)s", t=task)
    w.close()
    assert demo.rows("SELECT 1 FROM tasks_tasklock WHERE user_id = %(u)s", u=member["id"]) == []
    reply, _ = driver.request("next")
    assert reply["ok"] is False and "closed" in reply["error"]


def test_done_when_nothing_is_left_for_me(demo: Demo) -> None:
    driver, _ = open_labeler(demo, SUMMARIES)
    w = driver.widget
    seen: set[int] = set()
    while w.current_task is not None:
        assert w.current_task not in seen
        seen.add(w.current_task)
        reply, _ = driver.request("skip", task_id=w.current_task, lead_time=0.1)
        assert reply["ok"], reply
    assert w.status == "done" and w.task is None
    reply, _ = driver.request("next")  # "check again"
    assert reply["ok"] and w.status == "done"
    reply, _ = driver.request("prev")  # review my last one
    assert reply["ok"] and w.current_task == w.history[-1]
    w.close()
