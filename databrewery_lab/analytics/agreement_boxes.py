"""Agreement on rectangles (RectangleLabels): IoU-matched F1 at a threshold.

Input: ``task_id, annotator_id, x, y, width, height, label`` in Label Studio's percent
coordinates, one row per labelled box (``region_id`` and rotation are ignored; a negative
width or height is read as the box it spans). As with spans, a row with NULL geometry or
label only marks a submitted task, so an annotator who drew nothing is still compared.

Two boxes match when they have the same label and IoU (intersection area / union area)
≥ ``iou_threshold`` (default 0.5, as in PASCAL VOC); each box matches at most one box of
the other annotator, greedily by descending IoU (:mod:`.agreement_matching`). Boxes of
zero area never match. F1 = 2·matches / (boxes of a + boxes of b), pooled over the tasks
both annotators submitted; ``by`` chooses pair, task, annotator or ground-truth tables.
"""

from __future__ import annotations

import numpy as np

from .agreement_bootstrap import bootstrap_spec
from .agreement_input import RatingsLike, load_ratings
from .agreement_matching import By, f1_frame, match_counts, region_connection, with_matches
from .frames import MetricFrame

_PAIR_TASKS_SQL = """
WITH l AS (
    SELECT task_id, annotator_id,
           count(*) FILTER (WHERE label IS NOT NULL AND x IS NOT NULL AND y IS NOT NULL
                            AND width IS NOT NULL AND height IS NOT NULL) AS n
    FROM dbl_left GROUP BY ALL
),
r AS (
    SELECT task_id, annotator_id,
           count(*) FILTER (WHERE label IS NOT NULL AND x IS NOT NULL AND y IS NOT NULL
                            AND width IS NOT NULL AND height IS NOT NULL) AS n
    FROM dbl_right GROUP BY ALL
)
SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
       a.n AS n_a, b.n AS n_b
FROM l AS a
JOIN r AS b ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id
"""

_CANDIDATES_SQL = """
WITH l AS (
    SELECT task_id, annotator_id, label,
           least(x, x + width) AS x0, greatest(x, x + width) AS x1,
           least(y, y + height) AS y0, greatest(y, y + height) AS y1,
           row_number() OVER (ORDER BY task_id, annotator_id, label, x, y, width, height)
               AS box_id
    FROM dbl_left
    WHERE label IS NOT NULL AND x IS NOT NULL AND y IS NOT NULL
      AND width IS NOT NULL AND height IS NOT NULL
),
r AS (
    SELECT task_id, annotator_id, label,
           least(x, x + width) AS x0, greatest(x, x + width) AS x1,
           least(y, y + height) AS y0, greatest(y, y + height) AS y1,
           row_number() OVER (ORDER BY task_id, annotator_id, label, x, y, width, height)
               AS box_id
    FROM dbl_right
    WHERE label IS NOT NULL AND x IS NOT NULL AND y IS NOT NULL
      AND width IS NOT NULL AND height IS NOT NULL
),
overlapping AS (
    SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
           a.box_id AS left_id, b.box_id AS right_id,
           (least(a.x1, b.x1) - greatest(a.x0, b.x0))
               * (least(a.y1, b.y1) - greatest(a.y0, b.y0)) AS inter,
           (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) AS total
    FROM l AS a
    JOIN r AS b
      ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id AND a.label = b.label
     AND a.x0 < b.x1 AND b.x0 < a.x1 AND a.y0 < b.y1 AND b.y0 < a.y1
)
SELECT task_id, annotator_a, annotator_b, left_id, right_id, inter / (total - inter) AS score
FROM overlapping
"""


def box_agreement(
    boxes: RatingsLike,
    *,
    iou_threshold: float = 0.5,
    by: By = "pair",
    ground_truth: RatingsLike | None = None,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> MetricFrame:
    """Box F1 at ``iou_threshold`` per pair, task, annotator or against ground truth.

    ``ci`` adds bootstrap intervals of the F1 (resampling each group's tasks).
    """
    spec = bootstrap_spec(ci, n_boot, seed)
    if not 0.0 < float(iou_threshold) <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], not {iou_threshold}")
    loaded = load_ratings(boxes, "boxes")
    connection = region_connection(loaded, ground_truth, by)
    try:
        pair_tasks = connection.sql(_PAIR_TASKS_SQL).df()
        candidates = connection.sql(_CANDIDATES_SQL).df()
    finally:
        connection.close()
    matches = match_counts(candidates, threshold=float(iou_threshold))
    pair_tasks = with_matches(pair_tasks, matches, "iou")
    title = f"Box F1 at IoU ≥ {iou_threshold:g}"
    frame = f1_frame(pair_tasks, ["iou"], by, "box_f1", title, spec)
    frame.insert(len(frame.columns), "iou_threshold", float(iou_threshold))
    return frame
