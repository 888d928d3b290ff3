"""The Labeler widget without a database or a browser: its files, protocol and payloads.

The database-backed behaviour (submit, drafts, navigation, media, lost connections) is in
tests/integration/test_labeler_widget.py; the front end in a real JupyterLab is in
tests/browser/test_labeler_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy.exc

from databrewery_lab._resources import resource_path
from databrewery_lab.annotation_writer import Draft
from databrewery_lab.errors import (
    AnnotationRejected,
    ConnectionFailed,
    LabelConfigError,
    MediaError,
    NotFound,
    TaskUnavailable,
)
from databrewery_lab.labeling import Annotation, Prediction, TaskView
from databrewery_lab.widgets import labeler
from databrewery_lab.widgets.labeler import (
    ERROR_KINDS,
    REPLY_KIND,
    REQUEST_KINDS,
    Labeler,
    task_payload,
)

JS = resource_path("widgets/labeler.js")
CSS = resource_path("widgets/labeler.css")


def js_object(name: str) -> dict[str, str]:
    """The string values of a frozen object literal ``const NAME = Object.freeze({...})``."""
    source = JS.read_text()
    found = re.search(rf"const {name} = Object\.freeze\(\{{(.*?)\}}\);", source, re.S)
    assert found, f"{name} is not declared in labeler.js"
    return dict(re.findall(r"(\w+):\s*\"([a-z_]+)\"", found.group(1)))


def test_request_kinds_are_declared_once_on_each_side() -> None:
    assert sorted(js_object("REQUEST").values()) == sorted(REQUEST_KINDS)
    assert re.search(rf'const REPLY = "{REPLY_KIND}";', JS.read_text())
    js_errors = set(js_object("ERROR_KIND").values())
    assert set(ERROR_KINDS) <= js_errors
    assert js_errors - set(ERROR_KINDS) == {"timeout"}  # the browser's own: no answer


def test_every_request_kind_has_a_handler() -> None:
    handlers = {name[len("_on_") :] for name in vars(Labeler) if name.startswith("_on_")}
    assert handlers == set(REQUEST_KINDS)


def test_the_widget_loads_its_files_from_the_shipped_resources() -> None:
    assert "export default" in JS.read_text()
    assert str(Labeler._esm).strip() == JS.read_text().strip()
    assert str(Labeler._css).strip() == CSS.read_text().strip()


def test_the_front_end_imports_nothing_and_fetches_nothing() -> None:
    source = JS.read_text()
    assert not re.search(r"^\s*import\s", source, re.M)
    assert "import(" not in source
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket\(", source)
    assert not re.search(r"https?://", source + CSS.read_text())


def test_the_module_is_valid_javascript() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the browser tests load the module for real)")
    checked = subprocess.run([node, "--check", str(JS)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_test_ids_and_classes_carry_the_prefix() -> None:
    source = JS.read_text()
    test_ids = re.findall(r'testid: [`"]([^`"$]*)', source)
    assert test_ids and all(t.startswith("dbl-labeler") for t in test_ids if t)
    # Controls take their class and test id from controlShell(def, "dbl-labeler-<kind>", ...)
    kinds = re.findall(r'controlShell\(def, (?:kind|"([^"]+)")', source)
    assert kinds and all(k.startswith("dbl-labeler-") for k in kinds if k)
    classes = re.findall(r'class: "([^"]*)"', source)
    assert classes and all(n.startswith("dbl-labeler") for v in classes for n in v.split())
    selectors = re.findall(
        r"\.([a-z][\w-]*)", re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    )
    assert selectors and all(n.startswith("dbl-labeler") for n in selectors), {
        n for n in selectors if not n.startswith("dbl-labeler")
    }


def test_theme_variables_have_fallbacks() -> None:
    css = CSS.read_text()
    uses = re.findall(r"var\((--(?:jp|vscode)-[\w-]+)([,)])", css)
    assert uses
    bare = [name for name, after in uses if after == ")"]
    assert bare == [], f"no fallback for {bare}: Notebook 7 and VS Code may lack them"


def test_unknown_keyword_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Labeler(object(), autoplay=True)  # type: ignore[call-arg]


def test_task_payload_is_plain_json() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    view = TaskView(
        id=7,
        inner_id=3,
        data={"text": "hello", "meta": {"score": Decimal("0.5")}},
        predictions=(Prediction(11, "v1", 0.9, [{"type": "choices"}]),),
        draft=Draft(5, [{"type": "choices"}], 2.5, when),
        annotation=Annotation(9, [], 4.0, True, "u-1", when, when),
        read_only=False,
        locked_until=when,
    )
    payload = task_payload(view)
    assert json.loads(json.dumps(payload)) == payload
    assert payload["data"]["meta"]["score"] == 0.5
    assert payload["draft"] == {
        "id": 5,
        "result": [{"type": "choices"}],
        "lead_time": 2.5,
        "updated_at": when.isoformat(),
    }
    assert payload["annotation"]["was_cancelled"] is True
    assert payload["predictions"][0]["model_version"] == "v1"
    assert payload["locked_until"] == when.isoformat()


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (AnnotationRejected("bad"), "rejected"),
        (TaskUnavailable("taken"), "unavailable"),
        (NotFound("gone"), "unavailable"),
        (MediaError("unreadable"), "media"),
        (ConnectionFailed("refused"), "connection"),
        (psycopg.OperationalError("server closed the connection"), "connection"),
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("down")), "connection"),
        (LabelConfigError("broken"), "unavailable"),
        (labeler._BadRequest("task_id"), "request"),
        (KeyError("bug"), None),
    ],
)
def test_errors_users_can_cause_are_classified(error: Exception, kind: str | None) -> None:
    assert labeler._error_kind(error) == kind


def test_connection_messages_promise_the_work_is_kept() -> None:
    message = labeler._error_message(psycopg.OperationalError("server closed"), "connection")
    assert "server closed" in message and "kept in this browser" in message
