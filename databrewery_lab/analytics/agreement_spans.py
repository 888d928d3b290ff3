"""Agreement on text spans (Labels): pairwise span F1 with exact and overlap matching.

Input: ``task_id, annotator_id, start, "end", label`` with one row per labelled span (a
region with two labels is two spans; ``region_id`` and other columns are ignored). A row
whose start, end or label is NULL only says "this annotator submitted the task", so an
annotator who marked nothing still counts — without such a row, a task an annotator left
empty is indistinguishable from one they never saw.

Two annotators are compared on the tasks both submitted. Spans match one-to-one and only
with the same label:

* exact — identical start and end (duplicates match as often as both sides have them);
* overlap — the character ranges overlap (IoU > 0); several overlapping candidates are
  resolved greedily by descending IoU (:mod:`.agreement_matching`).

F1 = 2·matches / (spans of a + spans of b), pooled over tasks (micro). ``by`` gives the
table per annotator pair (heatmap), per task (histogram, for review ordering), per
annotator against everyone else, or per annotator against the ground truth (with precision
and recall, the truth being the reference).
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
           count(*) FILTER (WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL)
               AS n
    FROM dbl_left GROUP BY ALL
),
r AS (
    SELECT task_id, annotator_id,
           count(*) FILTER (WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL)
               AS n
    FROM dbl_right GROUP BY ALL
),
exact_l AS (
    SELECT task_id, annotator_id, label, start, "end", count(*) AS k FROM dbl_left
    WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL GROUP BY ALL
),
exact_r AS (
    SELECT task_id, annotator_id, label, start, "end", count(*) AS k FROM dbl_right
    WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL GROUP BY ALL
),
exact AS (
    SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
           CAST(sum(least(a.k, b.k)) AS BIGINT) AS tp
    FROM exact_l AS a
    JOIN exact_r AS b
      ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id AND a.label = b.label
     AND a.start = b.start AND a."end" = b."end"
    GROUP BY ALL
)
SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
       a.n AS n_a, b.n AS n_b, coalesce(e.tp, 0) AS tp_exact
FROM l AS a
JOIN r AS b ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id
LEFT JOIN exact AS e
  ON e.task_id = a.task_id AND e.annotator_a = a.annotator_id AND e.annotator_b = b.annotator_id
"""

_CANDIDATES_SQL = """
WITH l AS (
    SELECT task_id, annotator_id, label, start, "end",
           row_number() OVER (ORDER BY task_id, annotator_id, label, start, "end") AS span_id
    FROM dbl_left WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL
),
r AS (
    SELECT task_id, annotator_id, label, start, "end",
           row_number() OVER (ORDER BY task_id, annotator_id, label, start, "end") AS span_id
    FROM dbl_right WHERE label IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL
)
SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
       a.span_id AS left_id, b.span_id AS right_id,
       (least(a."end", b."end") - greatest(a.start, b.start))
           / (greatest(a."end", b."end") - least(a.start, b.start)) AS score
FROM l AS a
JOIN r AS b
  ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id AND a.label = b.label
 AND a.start < b."end" AND b.start < a."end"
"""


def span_agreement(
    spans: RatingsLike,
    *,
    by: By = "pair",
    ground_truth: RatingsLike | None = None,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> MetricFrame:
    """Span F1 (exact and overlap matching) per pair, task, annotator or vs ground truth.

    ``ci`` adds bootstrap intervals of each F1 (resampling each group's tasks).
    """
    spec = bootstrap_spec(ci, n_boot, seed)
    loaded = load_ratings(spans, "spans")
    connection = region_connection(loaded, ground_truth, by)
    try:
        pair_tasks = connection.sql(_PAIR_TASKS_SQL).df()
        candidates = connection.sql(_CANDIDATES_SQL).df()
    finally:
        connection.close()
    overlap = match_counts(candidates, threshold=0.0)
    pair_tasks = with_matches(pair_tasks, overlap, "overlap")
    return f1_frame(pair_tasks, ["exact", "overlap"], by, "span_f1", "Span F1", spec)
