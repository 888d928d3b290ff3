"""Generated ratings for the agreement tests, and a check that they hold the hard cases.

A ratings *matrix* is tasks × annotators of label codes with NaN for a missing rating —
the layout the reference libraries want (``krippendorff.alpha`` takes its transpose). The
long frame is what the metrics take: ``task_id, annotator_id, value``, with non-contiguous
ids so that nothing can lean on positions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TASK_BASE = 1000
ANNOTATOR_IDS = np.array([7, 11, 23, 42, 57, 68, 91, 103])


def ratings_matrix(
    rng: np.random.Generator,
    tasks: int = 60,
    annotators: int = 5,
    labels: int = 4,
    missing: float = 0.25,
    accuracy: float = 0.6,
) -> np.ndarray:
    """Label codes 0..labels-2 (the last label is never used), NaN = missing.

    Row 0 is a single-rater task, row 1 a unanimous task with every annotator, row 2 has
    no rating at all; the rest follow a noisy true label so that agreement is non-trivial.
    """
    truth = rng.integers(0, labels - 1, size=tasks)
    noise = rng.integers(0, labels - 1, size=(tasks, annotators))
    keep = rng.random((tasks, annotators)) < accuracy
    matrix = np.where(keep, truth[:, None], noise).astype(float)
    matrix[rng.random((tasks, annotators)) < missing] = np.nan
    matrix[0, :] = np.nan
    matrix[0, 1] = truth[0]
    matrix[1, :] = truth[1]
    matrix[2, :] = np.nan
    return matrix


def long_frame(matrix: np.ndarray, values: list | None = None) -> pd.DataFrame:
    """The long table of ``matrix`` (missing ratings dropped), codes mapped by ``values``."""
    tasks, annotators = np.nonzero(~np.isnan(matrix))
    codes = matrix[tasks, annotators]
    value = codes if values is None else [values[int(c)] for c in codes]
    return pd.DataFrame(
        {
            "task_id": TASK_BASE + tasks,
            "annotator_id": ANNOTATOR_IDS[annotators],
            "value": value,
        }
    )


def label_names(labels: int) -> list[str]:
    return [f"label-{i}" for i in range(labels)]


def test_generated_ratings_hold_the_hard_cases() -> None:
    matrix = ratings_matrix(np.random.default_rng(0))
    rated = (~np.isnan(matrix)).sum(axis=1)
    assert rated[0] == 1 and rated[2] == 0
    assert np.isnan(matrix).any()
    assert len(set(matrix[1])) == 1 and rated[1] == matrix.shape[1]
    assert 3 not in set(matrix[~np.isnan(matrix)].astype(int))
    frame = long_frame(matrix, label_names(4))
    assert len(frame) == rated.sum()
    assert TASK_BASE + 2 not in set(frame["task_id"])
