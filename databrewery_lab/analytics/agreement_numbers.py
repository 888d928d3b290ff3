"""Rating and number agreement per task, per annotator, against consensus and ground truth.

Numbers agree by closeness, not equality, so these report distances (Krippendorff's alpha
ordinal/interval, in :mod:`.agreement_coefficients`, is the chance-corrected summary):

* per task — ``mean``, ``std`` (sample standard deviation; NaN with one rating), ``min``,
  ``max``, ``range``: a wide range is what a reviewer should look at first.
* per annotator — ``mean_abs_difference`` from each other annotator's rating of the same
  task, over all such pairs.
* consensus — error against the mean of the *other* annotators' ratings of the task
  (leave-one-out): ``mae``, ``rmse``, ``bias`` (mean signed error; positive = rates high).
* ground truth — ``mae``, ``rmse``, ``bias`` against the true value.
"""

from __future__ import annotations

from .agreement_choices import require_single_truth
from .agreement_figures import bar_figure, histogram_figure
from .agreement_input import Ratings, RatingsLike, truth_connection
from .agreement_kappa import raise_if_duplicated
from .frames import MetricFrame, metric_frame

_TASK_SQL = """
SELECT task_id, count(*) AS n_ratings, avg(value) AS mean, stddev_samp(value) AS std,
       min(value) AS min, max(value) AS max, max(value) - min(value) AS range
FROM dbl_ratings
GROUP BY task_id
ORDER BY task_id
"""

_ANNOTATOR_SQL = """
SELECT a.annotator_id,
       count(DISTINCT a.task_id) AS n_items,
       count(*) AS n_pairs,
       avg(abs(a.value - b.value)) AS mean_abs_difference
FROM dbl_ratings AS a
JOIN dbl_ratings AS b ON a.task_id = b.task_id AND a.annotator_id <> b.annotator_id
GROUP BY a.annotator_id
ORDER BY a.annotator_id
"""

_CONSENSUS_SQL = """
WITH sums AS (
    SELECT task_id, sum(value) AS total, count(*) AS m FROM dbl_ratings GROUP BY task_id
),
errors AS (
    SELECT r.annotator_id, r.value - (s.total - r.value) / (s.m - 1) AS error
    FROM dbl_ratings AS r JOIN sums AS s ON r.task_id = s.task_id
    WHERE s.m >= 2
)
SELECT annotator_id, count(*) AS n_items, avg(abs(error)) AS mae,
       sqrt(avg(error * error)) AS rmse, avg(error) AS bias
FROM errors
GROUP BY annotator_id
ORDER BY annotator_id
"""

_TRUTH_SQL = """
WITH errors AS (
    SELECT r.annotator_id, r.value - t.value AS error
    FROM dbl_rated AS r JOIN dbl_truth AS t ON r.task_id = t.task_id
)
SELECT annotator_id, count(*) AS n_items, avg(abs(error)) AS mae,
       sqrt(avg(error * error)) AS rmse, avg(error) AS bias
FROM errors
GROUP BY annotator_id
ORDER BY annotator_id
"""


def task_agreement(ratings: Ratings) -> MetricFrame:
    """Per task: count, mean, sample std, min, max and range of the ratings."""
    frame = ratings.query(_TASK_SQL).df()
    return metric_frame(frame, "task_agreement", histogram_figure("range", "Rating range by task"))


def annotator_agreement(ratings: Ratings) -> MetricFrame:
    """Per annotator: mean absolute difference from the others on shared tasks."""
    raise_if_duplicated(ratings.relation)
    frame = ratings.query(_ANNOTATOR_SQL).df()
    return metric_frame(
        frame,
        "annotator_agreement",
        bar_figure("annotator_id", "mean_abs_difference", "Distance from the other annotators"),
    )


def consensus_agreement(ratings: Ratings) -> MetricFrame:
    """Per annotator: error against the leave-one-out mean of the others."""
    raise_if_duplicated(ratings.relation)
    frame = ratings.query(_CONSENSUS_SQL).df()
    return metric_frame(
        frame,
        "consensus_agreement",
        bar_figure("annotator_id", "mae", "Distance from the others' mean"),
    )


def ground_truth_agreement(ratings: Ratings, ground_truth: RatingsLike | None) -> MetricFrame:
    """Per annotator: MAE, RMSE and bias against the ground truth."""
    connection = truth_connection(ratings, ground_truth)
    try:
        require_single_truth(connection)
        frame = connection.sql(_TRUTH_SQL).df()
    finally:
        connection.close()
    return metric_frame(
        frame,
        "ground_truth_agreement",
        bar_figure("annotator_id", "mae", "Distance from the ground truth"),
    )
