"""The labeling widget in a real JupyterLab: keys and mouse in Chromium, rows in PostgreSQL.

Each test writes a notebook that connects to a fresh demo database, acts as a project
member and shows ``project.label()``; then it labels one task the way a researcher
does and checks the ``task_completion`` row the kernel wrote. The widget mirrors the
kernel's ``last_saved`` acknowledgement into ``data-last-saved`` on its root, and the
tests wait on that, never on a sleep.
"""

from __future__ import annotations

import json
from typing import Any

from .conftest import DemoDatabase, JupyterLab, labeler_notebook, open_and_run

ROOT = "[data-testid='dbl-labeler']"
FIRST_PAINT_MS = 90_000
SAVE_MS = 20_000


def start_labeling(page: Any, lab: JupyterLab, db: DemoDatabase, title: str) -> dict[str, Any]:
    """Open the notebook, run it, wait for a task on screen; the member and task id."""
    member = db.member(title)
    url = lab.write_notebook("label.ipynb", *labeler_notebook(title, member["email"]))
    open_and_run(page, url)
    page.wait_for_selector(
        f"{ROOT}[data-task-id]:not([data-task-id=''])", state="visible", timeout=FIRST_PAINT_MS
    )
    task_id = int(page.get_attribute(ROOT, "data-task-id"))
    return {"user_id": member["id"], "email": member["email"], "task_id": task_id}


def wait_saved(page: Any, kind: str, task_id: int) -> dict[str, Any]:
    """Wait until the kernel acknowledged a committed write of `kind` on `task_id`."""
    page.wait_for_function(
        """([kind, taskId]) => {
          const root = document.querySelector("[data-testid='dbl-labeler']");
          if (!root || !root.dataset.lastSaved) return false;
          const ack = JSON.parse(root.dataset.lastSaved);
          return ack.kind === kind && ack.task_id === taskId;
        }""",
        arg=[kind, task_id],
        timeout=SAVE_MS,
    )
    return json.loads(page.get_attribute(ROOT, "data-last-saved"))


def annotation_row(db: DemoDatabase, annotation_id: int) -> dict[str, Any]:
    rows = db.query(
        "SELECT id, task_id, completed_by_id, result, lead_time, was_cancelled, "
        "parent_prediction_id FROM task_completion WHERE id = %(id)s",
        {"id": annotation_id},
    )
    assert len(rows) == 1
    return rows[0]


def test_sentiment_digit_hotkey_then_ctrl_enter(
    page: Any, jupyter_lab: JupyterLab, demo_database: DemoDatabase
) -> None:
    started = start_labeling(page, jupyter_lab, demo_database, "Product review sentiment")
    task_id = started["task_id"]
    root = page.locator(ROOT)
    root.locator("[data-testid='dbl-labeler-title']").click()  # focus the widget
    page.keyboard.press("2")  # hotkey of the second choice: Negative
    negative = root.locator("[data-testid='dbl-labeler-choice-sentiment-Negative']")
    assert negative.get_attribute("aria-checked") == "true"
    page.keyboard.press("Control+Enter")

    ack = wait_saved(page, "submit", task_id)
    row = annotation_row(demo_database, ack["annotation_id"])
    assert row["task_id"] == task_id
    assert row["completed_by_id"] == started["user_id"]
    assert row["was_cancelled"] is False
    assert row["lead_time"] > 0
    choices = [item for item in row["result"] if item["from_name"] == "sentiment"]
    assert len(choices) == 1
    assert choices[0]["value"]["choices"] == ["Negative"]
    # The widget moved on to the next task.
    page.wait_for_function(
        f"() => document.querySelector(\"{ROOT}\").dataset.taskId !== '{task_id}'",
        timeout=SAVE_MS,
    )


FREE_WORD_JS = """() => {
  // The first word of 4+ letters outside any highlighted span, with its screen position.
  const body = document.querySelector("[data-testid='dbl-labeler-text-text']");
  for (const node of body.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    const match = /[A-Za-z]{4,}/.exec(node.data);
    if (!match) continue;
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + 1);
    const first = range.getBoundingClientRect();
    range.setStart(node, match.index + match[0].length - 1);
    range.setEnd(node, match.index + match[0].length);
    const last = range.getBoundingClientRect();
    if (Math.abs(first.top - last.top) > 2) continue;  // wrapped: try another
    return { word: match[0], x1: first.left + 1, x2: last.right - 1,
             y: (first.top + first.bottom) / 2 };
  }
  return null;
}"""


def test_ner_label_then_mouse_selection(
    page: Any, jupyter_lab: JupyterLab, demo_database: DemoDatabase
) -> None:
    started = start_labeling(page, jupyter_lab, demo_database, "News entities (CoNLL-style)")
    task_id = started["task_id"]
    root = page.locator(ROOT)
    root.locator("[data-testid='dbl-labeler-title']").click()
    page.keyboard.press("1")  # arm PER
    per = root.locator("[data-testid='dbl-labeler-label-label-PER']")
    assert per.get_attribute("aria-pressed") == "true"
    regions = root.locator("[data-testid='dbl-labeler-region']")
    before = regions.count()

    target = page.evaluate(FREE_WORD_JS)
    assert target, "no unlabeled word on screen"
    page.mouse.move(target["x1"], target["y"])
    page.mouse.down()
    page.mouse.move(target["x2"], target["y"], steps=6)
    page.mouse.up()
    page.wait_for_function(
        "n => document.querySelectorAll(\"[data-testid='dbl-labeler-region']\").length === n",
        arg=before + 1,
        timeout=SAVE_MS,
    )
    page.keyboard.press("Control+Enter")

    ack = wait_saved(page, "submit", task_id)
    row = annotation_row(demo_database, ack["annotation_id"])
    assert row["completed_by_id"] == started["user_id"]
    assert row["lead_time"] > 0
    text = demo_database.query("SELECT data FROM task WHERE id = %(id)s", {"id": task_id})[0][
        "data"
    ]["text"]
    mine = [
        item
        for item in row["result"]
        if item["type"] == "labels" and item["value"].get("text") == target["word"]
    ]
    assert len(mine) == 1, row["result"]
    value = mine[0]["value"]
    assert value["labels"] == ["PER"]
    assert mine[0]["origin"] == "manual"
    assert text[value["start"] : value["end"]] == target["word"]


BOX_START_JS = """() => {
  // A drag start point (in % of the image) that is not inside an existing box.
  const overlay = document.querySelector("[data-testid='dbl-labeler-image-overlay-image']");
  const r = overlay.getBoundingClientRect();
  const boxes = [...overlay.querySelectorAll("[data-testid='dbl-labeler-box']")]
    .map((b) => b.getBoundingClientRect());
  for (const [px, py] of [[8, 8], [60, 8], [8, 55], [60, 55], [35, 30]]) {
    const x = r.left + (r.width * px) / 100;
    const y = r.top + (r.height * py) / 100;
    const inside = boxes.some((b) => x >= b.left - 8 && x <= b.right + 8
                                   && y >= b.top - 8 && y <= b.bottom + 8);
    if (!inside) return { px, py, left: r.left, top: r.top, width: r.width, height: r.height };
  }
  return null;
}"""


def test_image_box_by_mouse_drag(
    page: Any, jupyter_lab: JupyterLab, demo_database: DemoDatabase
) -> None:
    started = start_labeling(page, jupyter_lab, demo_database, "Retail shelf detection")
    task_id = started["task_id"]
    root = page.locator(ROOT)
    page.wait_for_selector(
        "[data-testid='dbl-labeler-image-image'][data-loaded='true']", timeout=SAVE_MS
    )
    root.locator("[data-testid='dbl-labeler-title']").click()
    page.keyboard.press("2")  # arm Can
    boxes = root.locator("[data-testid='dbl-labeler-box']")
    before = boxes.count()

    start = page.evaluate(BOX_START_JS)
    assert start, "no free spot on the image"
    width_pct, height_pct = 30, 35

    def at(px: float, py: float) -> tuple[float, float]:
        return (
            start["left"] + start["width"] * px / 100,
            start["top"] + start["height"] * py / 100,
        )

    page.mouse.move(*at(start["px"], start["py"]))
    page.mouse.down()
    page.mouse.move(*at(start["px"] + width_pct, start["py"] + height_pct), steps=8)
    page.mouse.up()
    page.wait_for_function(
        "n => document.querySelectorAll(\"[data-testid='dbl-labeler-box']\").length === n",
        arg=before + 1,
        timeout=SAVE_MS,
    )
    page.keyboard.press("Control+Enter")

    ack = wait_saved(page, "submit", task_id)
    row = annotation_row(demo_database, ack["annotation_id"])
    assert row["completed_by_id"] == started["user_id"]
    assert row["lead_time"] > 0
    mine = [
        item
        for item in row["result"]
        if item["type"] == "rectanglelabels" and item.get("origin") == "manual"
    ]
    assert len(mine) == 1, row["result"]
    box, value = mine[0], mine[0]["value"]
    assert value["rectanglelabels"] == ["Can"]
    for key in ("x", "y", "width", "height"):
        assert 0 <= value[key] <= 100
    assert value["x"] + value["width"] <= 100 + 1e-6
    assert value["y"] + value["height"] <= 100 + 1e-6
    assert abs(value["x"] - start["px"]) < 1.5
    assert abs(value["y"] - start["py"]) < 1.5
    assert abs(value["width"] - width_pct) < 1.5
    assert abs(value["height"] - height_pct) < 1.5
    assert value["rotation"] == 0
    assert box["original_width"] > 0 and box["original_height"] > 0
