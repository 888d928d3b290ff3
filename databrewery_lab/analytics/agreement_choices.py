"""Choices agreement per task, per annotator, against consensus and against ground truth.

Values compare as wholes: a choice with a choice, a multi-choice label set with a label set
(equal when exactly the same labels were ticked). Each function is one set-based query;
kappas are finished from confusion cells in numpy (:mod:`.agreement_kappa`).

Definitions:

* per task — ``agreement``: share of agreeing rater pairs (Fleiss' P_i; NaN with fewer
  than two ratings), ``majority_share``: the largest vote share, ``unanimous``.
* per annotator — ``pair_agreement``: of the pairs (this annotator, another one) on the
  same task, the share that agree; ``mean_kappa``: mean of the annotator's pairwise Cohen
  kappas (NaN kappas left out).
* majority vote — the value with the most votes; a tie leaves ``value`` NULL.
* consensus — each rating is compared with the strict majority of the *other*
  annotators' ratings of the task (leave-one-out, so an annotator never votes for
  themself); ties among the others and tasks nobody else rated are left out.
  ``accuracy`` and Cohen's ``kappa`` against that consensus.
* ground truth — ``accuracy`` (exact match), Cohen's ``kappa`` and ``macro_f1``: per label
  F1 = 2tp / (2tp + fp + fn) with labels read as present/absent, averaged over the labels
  the annotator or the truth used on the compared tasks — for single choices exactly
  ``precision_recall_fscore_support(truth, predicted, average="macro")``.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .agreement_figures import bar_figure, histogram_figure
from .agreement_input import AgreementInputError, Ratings, RatingsLike, truth_connection
from .agreement_kappa import encode_values, kappa_from_cells, pair_cells, raise_if_duplicated
from .agreement_units import nominal_keys
from .frames import MetricFrame, metric_frame

_TASK_SQL = """
WITH counts AS (
    SELECT task_id, value, count(*) AS votes FROM dbl_ratings GROUP BY ALL
)
SELECT task_id,
       CAST(sum(votes) AS BIGINT) AS n_ratings,
       count(*) AS n_values,
       CASE WHEN sum(votes) >= 2 THEN
           CAST(sum(votes * votes) - sum(votes) AS DOUBLE) / (sum(votes) * (sum(votes) - 1))
       END AS agreement,
       CAST(max(votes) AS DOUBLE) / sum(votes) AS majority_share,
       sum(votes) >= 2 AND count(*) = 1 AS unanimous
FROM counts
GROUP BY task_id
ORDER BY task_id
"""

_ANNOTATOR_SQL = """
WITH counts AS (
    SELECT task_id, value, count(*) AS votes FROM dbl_ratings GROUP BY ALL
),
sizes AS (
    SELECT task_id, sum(votes) AS m FROM counts GROUP BY task_id
)
SELECT r.annotator_id,
       count(*) AS n_items,
       CAST(sum(s.m - 1) AS BIGINT) AS n_pairs,
       CAST(sum(c.votes - 1) AS DOUBLE) / sum(s.m - 1) AS pair_agreement
FROM dbl_ratings AS r
JOIN counts AS c ON r.task_id = c.task_id AND r.value = c.value
JOIN sizes AS s ON r.task_id = s.task_id
WHERE s.m >= 2
GROUP BY r.annotator_id
ORDER BY r.annotator_id
"""

_MAJORITY_SQL = """
WITH counts AS (
    SELECT task_id, value, count(*) AS votes FROM dbl_ratings GROUP BY ALL
),
ranked AS (
    SELECT task_id, value, votes,
           CAST(sum(votes) OVER (PARTITION BY task_id) AS BIGINT) AS n_ratings,
           max(votes) OVER (PARTITION BY task_id) AS top
    FROM counts
)
SELECT task_id,
       CASE WHEN count(*) = 1 THEN any_value(value) END AS value,
       any_value(top) AS votes,
       any_value(n_ratings) AS n_ratings,
       CAST(any_value(top) AS DOUBLE) / any_value(n_ratings) AS share,
       count(*) > 1 AS tie
FROM ranked
WHERE votes = top
GROUP BY task_id
ORDER BY task_id
"""

# Leave-one-out majority: the others' votes for each value are the task's votes minus the
# annotator's own one; the consensus is the single value with the most of them.
_CONSENSUS_CELLS_SQL = """
WITH counts AS (
    SELECT task_id, value, count(*) AS votes FROM dbl_ratings GROUP BY ALL
),
others AS (
    SELECT r.task_id, r.annotator_id, r.value AS own, c.value AS other,
           c.votes - CASE WHEN c.value = r.value THEN 1 ELSE 0 END AS votes
    FROM dbl_ratings AS r JOIN counts AS c ON r.task_id = c.task_id
),
best AS (
    SELECT *, max(votes) OVER (PARTITION BY task_id, annotator_id) AS top FROM others
),
consensus AS (
    SELECT task_id, annotator_id, any_value(own) AS own, any_value(other) AS consensus
    FROM best
    WHERE votes = top AND top > 0
    GROUP BY task_id, annotator_id
    HAVING count(*) = 1
)
SELECT annotator_id, own AS value_a, consensus AS value_b, count(*) AS n
FROM consensus
GROUP BY ALL
"""

_TRUTH_DUPLICATE_SQL = """
SELECT task_id, count(*) AS n FROM dbl_truth GROUP BY task_id HAVING count(*) > 1
ORDER BY task_id LIMIT 1
"""

# Keys compare whole values (label sets as canonical JSON); lists give per-label F1.
_TRUTH_VIEWS = {
    "label": (
        "CREATE TEMP VIEW dbl_rated_values AS SELECT task_id, annotator_id, value AS value_key, "
        "[CAST(value AS VARCHAR)] AS value_list FROM dbl_rated",
        "CREATE TEMP VIEW dbl_truth_values AS SELECT task_id, value AS value_key, "
        "[CAST(value AS VARCHAR)] AS value_list FROM dbl_truth",
    ),
    "label_set": (
        "CREATE TEMP VIEW dbl_rated_values AS SELECT task_id, annotator_id, "
        "CAST(to_json(value) AS VARCHAR) AS value_key, value AS value_list FROM dbl_rated",
        "CREATE TEMP VIEW dbl_truth_values AS SELECT task_id, "
        "CAST(to_json(value) AS VARCHAR) AS value_key, value AS value_list FROM dbl_truth",
    ),
}

_TRUTH_CELLS_SQL = """
SELECT r.annotator_id, r.value_key AS value_a, t.value_key AS value_b, count(*) AS n
FROM dbl_rated_values AS r JOIN dbl_truth_values AS t ON r.task_id = t.task_id
GROUP BY ALL
"""

_TRUTH_LABELS_SQL = """
WITH compared AS (
    SELECT r.annotator_id, r.value_list AS predicted, t.value_list AS truth
    FROM dbl_rated_values AS r JOIN dbl_truth_values AS t ON r.task_id = t.task_id
),
labelled AS (
    SELECT annotator_id, predicted, truth,
           unnest(list_distinct(list_concat(predicted, truth))) AS label
    FROM compared
)
SELECT annotator_id, label,
       count(*) FILTER (WHERE list_contains(predicted, label) AND list_contains(truth, label))
           AS tp,
       count(*) FILTER (WHERE list_contains(predicted, label) AND NOT list_contains(truth, label))
           AS fp,
       count(*) FILTER (WHERE NOT list_contains(predicted, label) AND list_contains(truth, label))
           AS fn
FROM labelled
GROUP BY ALL
"""


def task_agreement(ratings: Ratings) -> MetricFrame:
    """Per task: ratings, distinct values, pair agreement, majority share, unanimity."""
    frame = ratings.query(_TASK_SQL).df()
    return metric_frame(frame, "task_agreement", histogram_figure("agreement", "Agreement by task"))


def annotator_agreement(ratings: Ratings) -> MetricFrame:
    """Per annotator: pair agreement with the others and mean pairwise Cohen's kappa."""
    keys = nominal_keys(ratings)
    cells, first, second = pair_cells(keys)
    kappas = cells.table()["kappa"][0]
    frame = keys.query("dbl_ratings", _ANNOTATOR_SQL).df()
    pairs = pd.DataFrame({"a": np.r_[first, second], "kappa": np.r_[kappas, kappas]})
    mean_kappa = pairs.groupby("a")["kappa"].mean()
    frame["mean_kappa"] = frame["annotator_id"].map(mean_kappa).astype(float)
    return metric_frame(
        frame,
        "annotator_agreement",
        bar_figure("annotator_id", "pair_agreement", "Agreement with the other annotators"),
    )


def majority_vote(ratings: Ratings) -> MetricFrame:
    """Per task: the majority value (NULL on a tie), its votes and share of the ratings."""
    frame = ratings.query(_MAJORITY_SQL).df()
    return metric_frame(frame, "majority_vote", histogram_figure("share", "Majority share by task"))


def consensus_agreement(ratings: Ratings) -> MetricFrame:
    """Per annotator: accuracy and Cohen's kappa against the others' majority."""
    keys = nominal_keys(ratings)
    raise_if_duplicated(keys)
    table = keys.query("dbl_ratings", _CONSENSUS_CELLS_SQL).to_arrow_table()
    frame = _cells_by_annotator(table)
    return metric_frame(
        frame,
        "consensus_agreement",
        bar_figure("annotator_id", "accuracy", "Agreement with the majority of the others"),
    )


def ground_truth_agreement(ratings: Ratings, ground_truth: RatingsLike | None) -> MetricFrame:
    """Per annotator: accuracy, Cohen's kappa and macro F1 against the ground truth."""
    connection = truth_connection(ratings, ground_truth)
    try:
        require_single_truth(connection)
        for statement in _TRUTH_VIEWS[ratings.shape]:
            connection.execute(statement)
        frame = _cells_by_annotator(connection.sql(_TRUTH_CELLS_SQL).to_arrow_table())
        labels = connection.sql(_TRUTH_LABELS_SQL).df()
    finally:
        connection.close()
    f1 = 2.0 * labels["tp"] / (2.0 * labels["tp"] + labels["fp"] + labels["fn"])
    macro = f1.groupby(labels["annotator_id"]).mean()
    frame["macro_f1"] = frame["annotator_id"].map(macro).astype(float)
    return metric_frame(
        frame,
        "ground_truth_agreement",
        bar_figure("annotator_id", "accuracy", "Agreement with the ground truth"),
    )


def require_single_truth(connection: duckdb.DuckDBPyConnection) -> None:
    row = connection.sql(_TRUTH_DUPLICATE_SQL).fetchone()
    if row is not None:
        raise AgreementInputError(
            f"task {row[0]} has {row[1]} ground-truth values; keep one ground truth per task"
        )


def _cells_by_annotator(table) -> pd.DataFrame:
    """Accuracy and kappa per annotator from (annotator_id, value_a, value_b, n) cells."""
    columns = ["annotator_id", "n_items", "accuracy", "kappa"]
    if table.num_rows == 0:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in columns})
    annotators, group = np.unique(table.column("annotator_id").to_numpy(), return_inverse=True)
    (code_a, code_b), domain = encode_values(table.column("value_a"), table.column("value_b"))
    count = table.column("n").to_numpy().astype(np.float64)
    result = kappa_from_cells(group, code_a, code_b, count[None, :], len(annotators), len(domain))
    return pd.DataFrame(
        {
            "annotator_id": annotators,
            "n_items": result["n_items"][0].astype(np.int64),
            "accuracy": result["observed_agreement"][0],
            "kappa": result["kappa"][0],
        }
    )
