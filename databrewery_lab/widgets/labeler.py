"""The labeling widget: one user labels one project, task after task, from the keyboard.

``project.label(user=...)`` returns a :class:`Labeler` around a
:class:`~databrewery_lab.labeling.LabelSession`. The kernel owns every read and
write (the session does the SQL); the browser (``widgets/labeler.js``) renders the
task, keeps the working result, and asks the kernel for things with request messages:

    browser → kernel   {kind, request_id, ...}            kinds: REQUEST_KINDS below
    kernel → browser   {kind: "reply", request_id, ok, error, error_kind, ...} [+ buffers]

State the browser shows lives in synced traits (``task``, ``progress``, ``status`` ...);
after a write the kernel sets ``last_saved`` only once the row is committed, so tests and
the UI can wait on it. Images named in task data travel as binary buffers of a ``media``
reply: the browser never fetches a URL itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anywidget
import psycopg
import sqlalchemy.exc
import traitlets as t

from databrewery_lab._resources import resource_path
from databrewery_lab.errors import (
    AnnotationRejected,
    ConnectionFailed,
    DatabreweryError,
    MediaError,
    NotAMember,
    NotFound,
    TaskUnavailable,
)

if TYPE_CHECKING:
    from databrewery_lab.labeling import LabelSession

#: Request kinds the browser sends. Twin: ``REQUEST`` in widgets/labeler.js.
REQUEST_KINDS = ("next", "prev", "open", "submit", "skip", "draft", "media")
#: The one message kind the kernel sends back. Twin: ``REPLY`` in widgets/labeler.js.
REPLY_KIND = "reply"
#: ``error_kind`` values of a failed reply. Twin: ``ERROR_KIND`` in widgets/labeler.js.
ERROR_KINDS = ("rejected", "unavailable", "media", "connection", "request", "internal")

#: How many of my last tasks Alt+←/Alt+→ walk through.
HISTORY_LIMIT = 50
#: Largest result (items) and unique_id the kernel accepts from the browser.
_MAX_RESULT_ITEMS = 10_000
_MAX_UNIQUE_ID = 64

#: A lost or refused database connection: the user's work waits in the browser.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailed,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


#: A request handler: the request -> (reply fields, reply buffers).
Handler = Callable[[dict[str, Any]], tuple[dict[str, Any], list[bytes]]]


class _BadRequest(Exception):
    """A message from the browser that does not follow the protocol (a bug, not a user act)."""


def _error_kind(exc: BaseException) -> str | None:
    """The ``error_kind`` of an exception the user can cause, or None for a real failure."""
    if isinstance(exc, AnnotationRejected):
        return "rejected"
    if isinstance(exc, TaskUnavailable | NotFound | NotAMember):
        return "unavailable"
    if isinstance(exc, MediaError):
        return "media"
    if isinstance(exc, _CONNECTION_ERRORS):
        return "connection"
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return "connection"
    if isinstance(exc, DatabreweryError):
        return "unavailable"
    if isinstance(exc, _BadRequest):
        return "request"
    return None


def _error_message(exc: BaseException, kind: str) -> str:
    if kind == "connection":
        keep = (
            "Your work is kept in this browser and is saved with your next action once the "
            "database is back."
        )
        if isinstance(exc, ConnectionFailed):  # already says what happened, in our words
            return f"{str(exc).strip()} {keep}"
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else type(exc).__name__
        return f"Lost the connection to the database ({first}). {keep}"
    return str(exc) or type(exc).__name__


def _jsonable(value: Any) -> Any:
    """Task data, results and timestamps as plain JSON values (datetimes as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _record(obj: Any) -> dict[str, Any] | None:
    """A session dataclass (Draft, Annotation, Prediction) as a JSON dict."""
    if obj is None:
        return None
    fields = dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else dict(vars(obj))
    return _jsonable(fields)


def _widget_spec(session: LabelSession) -> dict[str, Any]:
    """The config's widget_spec, plus the TextArea limits the front end enforces too."""
    spec = _jsonable(session.config.widget_spec())
    for control in session.config.controls:
        entry = spec["controls"].get(control.name)
        if entry is not None and "max_submissions" not in entry:
            entry["max_submissions"] = getattr(control, "max_submissions", None)
    return spec


def task_payload(view: Any) -> dict[str, Any]:
    """The ``task`` trait for a TaskView: everything the browser needs to show it."""
    return {
        "id": int(view.id),
        "inner_id": view.inner_id,
        "data": _jsonable(view.data or {}),
        "predictions": [_record(p) for p in view.predictions],
        "draft": _record(view.draft),
        "annotation": _record(view.annotation),
        "read_only": bool(view.read_only),
        "locked_until": _jsonable(view.locked_until),
    }


def _int(content: Mapping[str, Any], key: str, *, optional: bool = False) -> int | None:
    value = content.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRequest(f"{key} must be an integer, got {value!r}")
    return value


def _lead_time(content: Mapping[str, Any]) -> float | None:
    value = content.get("lead_time")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _BadRequest(f"lead_time must be a number of seconds, got {value!r}")
    if value < 0:
        raise _BadRequest(f"lead_time must not be negative, got {value!r}")
    return float(value)


def _result(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = content.get("result")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _BadRequest("result must be a list of result items (objects)")
    if len(value) > _MAX_RESULT_ITEMS:
        raise _BadRequest(f"result has {len(value)} items; at most {_MAX_RESULT_ITEMS}")
    return value


def _unique_id(content: Mapping[str, Any]) -> str | None:
    value = content.get("unique_id")
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_UNIQUE_ID:
        raise _BadRequest(f"unique_id must be a short string, got {value!r}")
    return value


class Labeler(anywidget.AnyWidget):
    """Label a project's tasks in the notebook. Obtain it with ``project.label()``.

    Keys (shown in the widget's hint bar): the config's hotkeys (digits by default) pick
    choices and labels; Ctrl/Cmd+Enter submits; Ctrl+Space skips; Alt+←/→ walk through
    the tasks you did; Ctrl+Z/Ctrl+Shift+Z undo/redo; Delete removes the selected
    region; Esc clears the selection; ? shows all keys.

    ``labeler.current_task`` is the id of the task on screen; ``labeler.close()`` gives
    the task lock back and closes the session.
    """

    _esm = resource_path("widgets/labeler.js")
    _css = resource_path("widgets/labeler.css")

    # Everything below is synced to the browser; the browser only reads it.
    spec = t.Dict(
        help="The label config as widget_spec(): layout, objects, controls, hotkeys."
    ).tag(sync=True)
    project_info = t.Dict(
        help="id, title, show_skip_button, enable_empty_annotation of the project."
    ).tag(sync=True)
    user = t.Dict(help="The labeling user: id, email, username, display_name.").tag(sync=True)
    instruction = t.Unicode(
        "", help="The project's instruction HTML when it asks to show it (sandboxed in the UI)."
    ).tag(sync=True)
    task = t.Dict(
        None, allow_none=True, help="The task on screen (see task_payload); None when done."
    ).tag(sync=True)
    current_task = t.Int(None, allow_none=True, help="Id of the task on screen.").tag(sync=True)
    history = t.List(t.Int(), help="Ids of the tasks I annotated or skipped, oldest first.").tag(
        sync=True
    )
    progress = t.Dict(help="mine, project_done, total").tag(sync=True)
    status = t.Enum(("loading", "ready", "saving", "saved", "error", "done"), "loading").tag(
        sync=True
    )
    error = t.Unicode("", help="The last user-facing error, '' when the last action worked.").tag(
        sync=True
    )
    last_saved = t.Dict(
        help="Ack of the last committed write: kind (submit|skip|draft), task_id, annotation_id."
    ).tag(sync=True)

    def __init__(self, session: LabelSession) -> None:
        project = session.project
        row = project.row
        user = session.user
        instruction = row.get("expert_instruction") or ""
        super().__init__(
            spec=_widget_spec(session),
            project_info={
                "id": project.id,
                "title": project.title,
                "show_skip_button": bool(row.get("show_skip_button", True)),
                "enable_empty_annotation": bool(row.get("enable_empty_annotation", True)),
            },
            user={
                "id": user.id,
                "email": user.email,
                "username": user.username,
                "display_name": user.display_name,
            },
            instruction=instruction if row.get("show_instruction") else "",
        )
        self._session = session
        self._closed = False
        self._held_lock: int | None = None  # the task on screen, while I hold its lock
        self._handlers: dict[str, Handler] = {
            kind: getattr(self, f"_on_{kind}") for kind in REQUEST_KINDS
        }
        self.on_msg(self._handle_message)
        with self.hold_sync():
            self._refresh_history()
            self._refresh_progress()
            self._show(session.next_task())

    # -- public ---------------------------------------------------------------------------
    @property
    def session(self) -> LabelSession:
        """The :class:`LabelSession` this widget drives."""
        return self._session

    def close(self) -> None:
        """Give back the lock of the task on screen, close the session and the widget."""
        if not getattr(self, "_closed", True):  # (a failed __init__ has nothing to give back)
            self._closed = True
            try:
                self._release_held()
            finally:
                self._session.close()
        super().close()

    def __repr__(self) -> str:
        title = self.project_info.get("title", "?")
        who = self.user.get("email", "?")
        return f"<Labeler {title!r} as {who}, task {self.current_task}, {self.status}>"

    # -- navigation state -----------------------------------------------------------------
    def _refresh_history(self) -> None:
        self.history = [int(i) for i in self._session.history(limit=HISTORY_LIMIT)]

    def _refresh_progress(self) -> None:
        p = self._session.progress()
        self.progress = {"mine": p.mine, "project_done": p.project_done, "total": p.total}

    def _show(self, view: Any) -> None:
        """Put a TaskView (or None: nothing left) on screen."""
        self._held_lock = int(view.id) if view is not None and view.locked_until else None
        with self.hold_sync():
            if view is None:
                self.task = None
                self.current_task = None
                self.status = "done"
            else:
                self.task = task_payload(view)
                self.current_task = int(view.id)
                self.status = "ready"
            self.error = ""

    def _release_held(self) -> None:
        """Give back my lock on the task on screen, when leaving it unfinished."""
        held = self._held_lock
        if held is not None:
            self._held_lock = None
            self._session.release(held)

    def _show_next_after(self, task_id: int | None, history: list[int] | None = None) -> None:
        """After task_id: the next task of my history, or a new one from the queue."""
        history = self.history if history is None else history
        if task_id in history:
            i = history.index(task_id)
            if i + 1 < len(history):
                self._show(self._session.open_task(history[i + 1]))
                return
        self._show(self._session.next_task())

    def _require_current(self, task_id: int) -> None:
        if task_id != self.current_task:
            raise _BadRequest(
                f"task {task_id} is not the task on screen ({self.current_task}); reload the view"
            )

    # -- message handlers: one per REQUEST_KINDS entry ------------------------------------
    def _on_next(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        current = self.current_task
        self._release_held()
        self._show_next_after(current)
        return {"task_id": self.current_task}, []

    def _on_prev(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        history = self.history
        current = self.current_task
        if current in history:
            i = history.index(current)
            if i == 0:
                raise _BadRequest("this is the first task of your history")
            target = history[i - 1]
        elif history:
            target = history[-1]
        else:
            raise _BadRequest("you have not labeled any task of this project yet")
        self._release_held()
        self._show(self._session.open_task(target))
        return {"task_id": self.current_task}, []

    def _on_open(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        task_id = _int(content, "task_id")
        assert task_id is not None
        if task_id != self.current_task:
            view = self._session.open_task(task_id)
            self._release_held()
            self._show(view)
        return {"task_id": self.current_task}, []

    def _on_submit(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        task_id = _int(content, "task_id")
        assert task_id is not None
        self._require_current(task_id)
        result = _result(content)
        lead_time = _lead_time(content)
        unique_id = _unique_id(content)
        parent = _int(content, "parent_prediction_id", optional=True)
        self.status = "saving"
        submission = self._session.submit(
            task_id,
            result,
            lead_time=lead_time,
            unique_id=unique_id,
            parent_prediction_id=parent,
        )
        self._held_lock = None  # annotated: the lock is the session's business now
        return self._after_write("submit", task_id, submission)

    def _on_skip(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        task_id = _int(content, "task_id")
        assert task_id is not None
        self._require_current(task_id)
        lead_time = _lead_time(content)
        unique_id = _unique_id(content)
        self.status = "saving"
        submission = self._session.skip(task_id, lead_time=lead_time, unique_id=unique_id)
        self._held_lock = None
        return self._after_write("skip", task_id, submission)

    def _after_write(
        self, kind: str, task_id: int, submission: Any
    ) -> tuple[dict[str, Any], list[bytes]]:
        ack = {
            "kind": kind,
            "task_id": task_id,
            "annotation_id": int(submission.annotation_id),
            "created": bool(submission.created),
        }
        before = self.history
        with self.hold_sync():
            self._refresh_history()
            self._refresh_progress()
            self.last_saved = ack
            # Onwards from where the task was: re-editing an old task moves it to the end
            # of the history, but the user expects the task after it.
            self._show_next_after(task_id, before)
        return ack, []

    def _on_draft(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        task_id = _int(content, "task_id")
        assert task_id is not None
        self._require_current(task_id)
        result = _result(content)
        lead_time = _lead_time(content)
        draft = self._session.save_draft(task_id, result, lead_time=lead_time)
        ack = {
            "kind": "draft",
            "task_id": task_id,
            "annotation_id": None,
            "draft_id": int(draft.id),
        }
        with self.hold_sync():
            self.last_saved = ack
            self.status = "saved"
            self.error = ""
        return ack, []

    def _on_media(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        url = content.get("url")
        if not isinstance(url, str) or not url:
            raise _BadRequest("media needs the url named in the task data")
        data, mime = self._session.media(url)
        return {"url": url, "mime": mime, "size": len(data)}, [bytes(data)]

    # -- dispatch -------------------------------------------------------------------------
    def _handle_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("kind") not in self._handlers:
            kind = content.get("kind") if isinstance(content, dict) else None
            request_id = content.get("request_id") if isinstance(content, dict) else None
            self._reply(
                request_id, ok=False, error=f"unknown request kind {kind!r}", error_kind="request"
            )
            return
        request_id = content.get("request_id")
        if self._closed:
            self._reply(request_id, ok=False, error="this labeler is closed", error_kind="request")
            return
        handler = self._handlers[content["kind"]]
        try:
            extra, out = handler(content)
        except Exception as exc:
            kind = _error_kind(exc)
            message = _error_message(exc, kind or "internal")
            if kind is None:
                message = f"Internal error ({type(exc).__name__}: {exc}); see the kernel log."
            with self.hold_sync():
                self.error = message
                self.status = "error"
            self._reply(request_id, ok=False, error=message, error_kind=kind or "internal")
            if kind is None:
                raise  # a bug: shown by ipywidgets in the log, never swallowed
            return
        if content["kind"] not in ("draft", "media") and self.error:
            self.error = ""
        self._reply(request_id, ok=True, buffers=out, **extra)

    def _reply(
        self,
        request_id: Any,
        *,
        ok: bool,
        error: str | None = None,
        error_kind: str | None = None,
        buffers: list[bytes] | None = None,
        **extra: Any,
    ) -> None:
        message = {
            **extra,  # first: the protocol keys below win over a handler's fields
            "kind": REPLY_KIND,
            "request_id": request_id,
            "ok": ok,
            "error": error,
            "error_kind": error_kind,
        }
        self.send(message, buffers or None)


__all__ = ["ERROR_KINDS", "HISTORY_LIMIT", "REPLY_KIND", "REQUEST_KINDS", "Labeler", "task_payload"]
